// `npm start` refuses a ledger whose stored chain no longer matches its signed checkpoints: records removed from
// the end while the server was down (which it used to serve from without a word) stop start-up with a message
// naming the first missing record.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/infra/db";
import { migrate } from "../../src/infra/migrate";
import { openLedgerWriter } from "../../src/ledger";
import { systemClock } from "../../src/shared/clock";
import { behindTriggers, single, testAccounts } from "../helpers/ledger";

interface Run {
  code: number | null;
  output: string;
  baseUrl?: string;
}

/** Starts src/main.ts on the embedded database in `dataDir`; resolves once it serves (then stops it) or exits. */
function run(dataDir: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: "0", NODE_ENV: "development", LOG_LEVEL: "warn", SEED_DEMO: "false" };
  delete env["DATABASE_URL"];
  delete env["DATABASE_OWNER_URL"];
  delete env["REDIS_URL"];
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`neither served nor exited within 60 s:\n${output}`));
    }, 60_000);
    let baseUrl: string | undefined;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /API docs\s+(http:\/\/\S+)\/docs/.exec(output);
      if (m && baseUrl === undefined) {
        baseUrl = m[1]!;
        child.kill("SIGTERM"); // a clean shutdown: the writer signs its closing checkpoint
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output, ...(baseUrl ? { baseUrl } : {}) });
    });
  });
}

describe("start-up on a tampered embedded ledger", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "shiftex-tamper-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("serves an intact ledger, and refuses to start once its last records were removed", async () => {
    // the server's shard, written and closed as a server would (signing a checkpoint of its tip)
    const db = await openDatabase({ dataDir: path.join(dataDir, "pglite") });
    await migrate(db.sql);
    const w = await openLedgerWriter({ sql: db.sql, clock: systemClock, shard: "main", expiryIntervalMs: 0 });
    await w.createAccounts(testAccounts);
    for (let i = 1; i <= 4; i++) await w.createTransfers([single(`t${i}`, "clearing", "wallet:a", BigInt(i))]);
    const tip = w.tip.sequence;
    await w.close();
    await db.close();

    const intact = await run(dataDir);
    expect(intact.baseUrl, intact.output).toBeDefined();
    expect(intact.code).toBe(0);

    const again = await openDatabase({ dataDir: path.join(dataDir, "pglite") });
    await behindTriggers(again.sql, (c) => c.query(`DELETE FROM ledger_transfers WHERE shard = 'main' AND id IN ('t3', 't4')`));
    await again.close();

    const refused = await run(dataDir);
    expect(refused.baseUrl).toBeUndefined();
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`Shiftex cannot start: ledger shard main: stored log is corrupt: first bad record ${tip - 1}: records ${tip - 1}…${tip} are missing`);
  }, 120_000);
});
