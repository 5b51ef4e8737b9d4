// The command line as a scheduler runs it: a child process per command, beside the running server on the same PostgreSQL
// database; exit codes a scheduler can act on and a summary line a person can read.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, progressBar } from "../../src/cli";
import { shanghaiDate } from "../../src/parties";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { createTestDatabase } from "../helpers/database";
import { behindTriggers } from "../helpers/ledger";
import { postgresUrl } from "../helpers/services";

const today = shanghaiDate(Date.now());
const runDate = shanghaiDate(Date.now() + 86_400_000);

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string; last: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
      env: { PATH: process.env["PATH"] ?? "", NODE_ENV: "test", LOG_LEVEL: "silent", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, last: stdout.trim().split("\n").at(-1) ?? "" }));
  });
}

describe("progress bar", () => {
  it("draws on a terminal only, once per percent", () => {
    const tty: string[] = [];
    const bar = progressBar({ out: () => undefined, err: (t) => tty.push(t), tty: true }, "import");
    for (let done = 0; done <= 200; done += 1) bar({ done, total: 200 });
    bar.end();
    expect(tty.length).toBe(102); // 0..100 % and the closing line end
    expect(tty[50]).toBe(`\rimport [${"#".repeat(15)}${"-".repeat(15)}]  50% 100/200`);
    const pipe: string[] = [];
    const quiet = progressBar({ out: () => undefined, err: (t) => pipe.push(t), tty: false }, "import");
    quiet({ done: 1, total: 2 });
    quiet.end();
    expect(pipe).toEqual([]);
  });
});

// Each case starts the command line as a process several times over (a TypeScript start is seconds on a busy machine):
// the default 30 s per case is a budget for in-process tests, not for nine process starts.
describe.skipIf(!postgresUrl)("npm run shiftex (PostgreSQL)", { timeout: 180_000 }, () => {
  let app: TestApp;
  let env: Record<string, string>;
  let dir: string;
  let operator: string;
  const refs: string[] = [];

  beforeAll(async () => {
    const database = await createTestDatabase({ name: "postgres", url: postgresUrl });
    app = await startTestApp({ name: "postgres", url: postgresUrl }, { database });
    env = { DATABASE_URL: database.url! };
    dir = await mkdtemp(path.join(tmpdir(), "shiftex-cli-"));
    operator = app.key("demo operator");
    const enterprise = app.key("demo enterprise 0001");
    for (const [fen, bankId] of [[10_000, "CLI-1"], [2_000, "CLI-2"]] as const) {
      const t = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: fen } });
      refs.push(t.body.reference);
      expect((await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: fen, bankTransactionId: bankId } })).status).toBe(200);
    }
  });
  afterAll(async () => {
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("reconcile imports the statement and runs: exit 1 while exceptions are open, with a summary line", async () => {
    const file = path.join(dir, "statement.csv");
    await writeFile(file, `transaction_id,date,amount,reference\nCLI-1,${today},100.00,${refs[0]}\n`);
    const r = await cli(["reconcile", "--date", runDate, "--statement", file], env);
    expect(r.stderr).toBe(""); // not a terminal: no progress bar
    expect(r.code).toBe(EXIT.exceptions);
    expect(r.stdout).toContain("import imp_");
    expect(r.last).toMatch(new RegExp(`^reconcile offline ${runDate}: 1 matched, 1 exception open, 0 suggested; CNY ledger 120.00 vs provider 100.00, difference -20.00 \\(1 open, unexplained 0.00\\) — run rrn_`));
    const again = await cli(["reconcile", "--date", runDate], env);
    expect(again.code).toBe(EXIT.exceptions);
    expect(again.last).toContain("(unchanged since the last run)");
  });

  it("once the exception is resolved through the server, reconcile exits 0", async () => {
    const open = await call(app, "GET", "/v1/reconciliation/exceptions?status=open", { key: operator });
    expect(open.body.items.length).toBe(1);
    expect((await call(app, "POST", `/v1/reconciliation/exceptions/${open.body.items[0].id}/resolve`, { key: operator, body: { action: "correct" } })).status).toBe(200);
    const r = await cli(["reconcile", "--date", runDate, "--provider", "offline"], env);
    expect(r.code).toBe(EXIT.ok);
    expect(r.last).toContain("0 exceptions open");
    expect(r.last).toContain("difference 0.00");
  });

  it("exports the trial balance to stdout or a file", async () => {
    const r = await cli(["export", "trial-balance", "--date", runDate], env);
    expect(r.code).toBe(EXIT.ok);
    const total = r.stdout.split("\n").map((l) => l.trim().split(",")).find((l) => l[0] === "TOTAL CNY")!;
    expect(total[4]).toBe(total[5]);
    const out = path.join(dir, "tb.csv");
    const f = await cli(["export", "trial-balance", "--date", runDate, "--out", out], env);
    expect(f.last).toMatch(/^export trial-balance .*lines written to /);
    expect(await readFile(out, "utf8")).toContain("platform:suspense:CNY");
  });

  it("refuses bad input with 64 (usage), 65 (data), 69 (database unreachable) and 78 (configuration)", async () => {
    expect((await cli(["reconcile"], env)).code).toBe(EXIT.usage);
    expect((await cli(["reconcile", "--date", runDate, "--provider", "paypal"], env)).code).toBe(EXIT.usage);
    expect((await cli(["frobnicate"], env)).code).toBe(EXIT.usage);
    const bad = path.join(dir, "bad.csv");
    await writeFile(bad, `transaction_id,date,amount\nX,${today},1.001\n`);
    const data = await cli(["import-statement", bad], env);
    expect(data.code).toBe(EXIT.data);
    expect(data.stderr).toContain("line 2, column amount");
    expect((await cli(["import-statement", path.join(dir, "absent.csv")], env)).code).toBe(EXIT.data);
    const down = await cli(["verify"], { DATABASE_URL: "postgres://postgres@127.0.0.1:1/nowhere" });
    expect(down.code).toBe(EXIT.unavailable);
    const config = await cli(["verify"], { ...env, LEDGER_SHARD: "Not A Shard" });
    expect(config.code).toBe(EXIT.config);
    expect(config.stderr).toContain("LEDGER_SHARD");
    // an earlier date than the last run: runs are cumulative, so retrying would never help
    const earlier = await cli(["reconcile", "--date", "2026-01-01"], env);
    expect(earlier.code).toBe(EXIT.data);
    expect(earlier.stderr).toContain(`up to ${runDate} already`);
  });

  it("verify: 2 while a closed contract's escrow is not at zero, naming the contract", async () => {
    // what a bug or a hand edit would leave: a contract marked closed whose escrow still holds money (here, a funded account)
    const enterprise = app.demo.keys.find((k) => k.label === "demo enterprise 0001")!.organisationId!;
    const escrow = `wallet:${enterprise}:CNY`;
    const sql = app.database.db.sql;
    await sql.query(
      `INSERT INTO "contract_workflows" ("contract_id", "enterprise_id", "supplier_id", "market", "skill_id", "headcount", "rate_fen", "shared", "paid_minutes",
         "min_certificate", "shift_start", "shift_end", "escrow_account_id", "seat_fen", "input", "snapshot", "version", "machine_version", "state", "outcome",
         "closed_at", "created_at", "updated_at")
       VALUES ('con_planted', $1, $1, 'general-labourer.500107.2026-12-03.D1', 'general-labourer', 1, 3000, false, 480, 0, now(), now(), $2, 25200,
         '{}'::jsonb, '{}'::jsonb, 1, 'test', 'settled', 'settled', now(), now(), now())`,
      [enterprise, escrow],
    );
    try {
      const bad = await cli(["verify"], env);
      expect(bad.code).toBe(EXIT.disagree);
      expect(bad.stderr).toMatch(new RegExp(`contract con_planted is closed but its escrow ${escrow} holds \\d+ fen`));
      expect(bad.last).toMatch(/^verify main: FAILED; .*; 1 closed contract's escrow not at zero/);
    } finally {
      await sql.query(`DELETE FROM "contract_workflows" WHERE "contract_id" = 'con_planted'`);
    }
  });

  it("verify: 0 on an intact ledger, 2 once a record was changed behind the triggers", async () => {
    const ok = await cli(["verify"], env);
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.last).toMatch(/^verify main: ok; \d+ records and \d+ checkpoints checked; debits = credits in CNY$/);
    await behindTriggers(app.database.db.sql, (c) => c.query(`UPDATE ledger_transfers SET amount = amount + 1 WHERE id = $1`, [`topup:${refs[0]}`]));
    const bad = await cli(["verify"], env);
    expect(bad.code).toBe(EXIT.disagree);
    expect(bad.last).toContain("FAILED");
  });
});
