// `npm start` on the embedded default: migrates, seeds, prints URLs and keys, and keeps data across a restart.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

interface Started {
  child: ChildProcess;
  output: string;
  baseUrl: string;
}

const json = (r: Response): Promise<any> => r.json();

/** Starts src/main.ts and waits for its banner; the environment is the machine's minus database settings. */
function start(dataDir: string): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: "0", NODE_ENV: "development", LOG_LEVEL: "warn" };
  delete env["DATABASE_URL"];
  delete env["REDIS_URL"];
  delete env["SEED_DEMO"];
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /API docs\s+(http:\/\/\S+)\/docs/.exec(output);
      if (m && output.includes("workers: 40")) {
        clearTimeout(timer);
        resolve({ child, output, baseUrl: m[1]! });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
}

function stop(s: Started): Promise<void> {
  return new Promise((resolve) => {
    s.child.removeAllListeners("exit");
    s.child.once("exit", () => resolve());
    s.child.kill("SIGTERM");
  });
}

describe("embedded default start-up", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "shiftex-start-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("comes up with demo data and /docs, and keeps what was written across a restart", async () => {
    const first = await start(dataDir);
    try {
      expect(first.output).toMatch(/embedded PGlite/);
      const operatorKey = /demo operator\s+Authorization: Bearer (\S+)/.exec(first.output)?.[1];
      expect(operatorKey).toMatch(/^sx_demo_/);
      expect((await fetch(`${first.baseUrl}/docs/json`)).status).toBe(200);
      const orgs = await fetch(`${first.baseUrl}/v1/organisations`, { headers: { authorization: `Bearer ${operatorKey}` } }).then(json);
      expect(orgs.items).toHaveLength(7);
      const workers = await fetch(`${first.baseUrl}/v1/workers?limit=500`, { headers: { authorization: `Bearer ${operatorKey}` } }).then(json);
      expect(workers.items).toHaveLength(40);
      const patched = await fetch(`${first.baseUrl}/v1/organisations/${orgs.items[0].id}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${operatorKey}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "Renamed before restart", reason: "registered name changed (test)" }),
      });
      expect(patched.status).toBe(200);
      await stop(first);

      const second = await start(dataDir);
      try {
        const again = await fetch(`${second.baseUrl}/v1/organisations/${orgs.items[0].id}`, { headers: { authorization: `Bearer ${operatorKey}` } }).then(json);
        expect(again.name).toBe("Renamed before restart");
        const workers2 = await fetch(`${second.baseUrl}/v1/workers?limit=500`, { headers: { authorization: `Bearer ${operatorKey}` } }).then(json);
        expect(workers2.items).toHaveLength(40);
      } finally {
        await stop(second);
      }
    } finally {
      if (first.child.exitCode === null) await stop(first);
    }
  }, 90_000);
});
