// The real server (src/main.ts) on PostgreSQL, killed with SIGKILL in the middle of 90 concurrent money requests, each
// with its own Idempotency-Key; restarted; then every request retried with its key. Afterwards the money and the rows
// agree exactly: one withdrawal and one hold per key, no withdrawal without its hold nor hold without its withdrawal;
// every top-up confirmed once and credited once; no request left half-done; the ledger's invariants hold.
//
// Iterations alternate two ways of converging: retries alone (the sweeper off, and a takeover time of an hour, so only
// the dead process's released lock lets a retry in at once), and the sweeper alone (nobody retries until it has finished
// every request the crash cut off). CRASH_ITERATIONS sets how many kills each scenario runs (default 4).
import { spawn, type ChildProcess } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchPostgres } from "../helpers/database";
import { prng } from "../helpers/prng";
import { postgresUrl } from "../helpers/services";

const ITERATIONS = Number(process.env["CRASH_ITERATIONS"] ?? 4);
const CONCURRENT = 90;

interface Server {
  child: ChildProcess;
  baseUrl: string;
  keys: Map<string, string>;
  output: () => string;
}

type Mode = "retries" | "sweeper";

function start(databaseUrl: string, mode: Mode): Promise<Server> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    HOST: "127.0.0.1",
    PORT: "0",
    NODE_ENV: "development",
    DEV_MODE: "true",
    SEED_DEMO: "true",
    LOG_LEVEL: "warn",
    RATE_LIMIT_MAX: "10000000",
    IDEMPOTENCY_TAKEOVER_SECONDS: "3600",
    IDEMPOTENCY_SWEEP_SECONDS: mode === "sweeper" ? "1" : "0",
  };
  delete env["REDIS_URL"];
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return new Promise((resolve, reject) => {
    const onData = () => {
      const m = /API docs\s+(http:\/\/\S+)\/docs/.exec(output);
      if (!m || !output.includes("workers: 40")) return;
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      const keys = new Map<string, string>();
      for (const k of output.matchAll(/^ {2}(demo [^\n]*?)\s+Authorization: Bearer (\S+)$/gm)) keys.set(k[1]!.trim(), k[2]!);
      resolve({ child, baseUrl: m[1]!, keys, output: () => output });
    };
    const onExit = (code: number | null) => reject(new Error(`the server exited with ${code} before it was up:\n${output}`));
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
  });
}

function kill(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve();
    server.child.once("exit", () => resolve());
    server.child.kill("SIGKILL");
  });
}

async function send(server: Server, path: string, key: string, body: unknown, idempotencyKey?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
  const res = await fetch(`${server.baseUrl}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * Retries with the same key until the answer is final, as a client should: a dropped connection, any 5xx (the outcome
 * may be partial: the claim is kept for the retry) and "in progress" are not final.
 */
async function untilFinal(server: Server, path: string, key: string, body: unknown, idempotencyKey: string): Promise<{ status: number; body: any }> {
  for (;;) {
    const r = await send(server, path, key, body, idempotencyKey).catch(() => undefined);
    if (r && r.status < 500 && !(r.status === 409 && r.body?.code === "idempotency_in_progress")) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe.skipIf(!postgresUrl)("SIGKILL during money requests, restart, retry (real server on PostgreSQL)", () => {
  let scratch: { url: string; drop(): Promise<void> };
  let db: pg.Pool;
  let server: Server | undefined;
  const random = prng(7);

  beforeAll(async () => {
    scratch = await createScratchPostgres(postgresUrl!);
    db = new pg.Pool({ connectionString: scratch.url, max: 2 });
  });
  afterAll(async () => {
    if (server) await kill(server);
    await db?.end();
    await scratch?.drop();
  });

  const q = async <R = Record<string, unknown>>(text: string, params: unknown[] = []) => (await db.query(text, params)).rows as R[];

  /** The killed server's sessions are gone (its shard lock too), so a new one can open the ledger. */
  async function sessionsGone(): Promise<void> {
    while ((await q<{ n: string }>(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`))[0]!.n !== "0") {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Fires every request at once; SIGKILLs the server after `killAfter` answers; returns what came back before. */
  async function fireAndKill(s: Server, requests: Array<() => Promise<unknown>>, killAfter: number): Promise<number> {
    let answered = 0;
    let killed: Promise<void> | undefined;
    await Promise.all(
      requests.map(async (r) => {
        try {
          await r();
          answered++;
        } catch {
          /* the connection died with the server */
        }
        if (answered >= killAfter) killed ??= kill(s);
      }),
    );
    await (killed ?? kill(s));
    return answered;
  }

  async function restart(mode: Mode): Promise<Server> {
    await sessionsGone();
    // A start can fail for reasons outside this test (the shared PostgreSQL out of connections): try again, then give up.
    for (let attempt = 1; ; attempt++) {
      try {
        server = await start(scratch.url, mode);
        return server;
      } catch (err) {
        if (attempt === 3) throw err;
        await sessionsGone();
      }
    }
  }

  /** Runs one iteration; a failure carries the server's last output. */
  async function diagnosed(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (err instanceof Error) err.message += `\n--- ${what}; ${log.join("\n")}\n--- server output:\n${server?.output() ?? ""}`;
      throw err;
    }
  }

  /** What the kill cut off: claims of requests in flight, and rows left in a passing state. */
  async function cutOff(keyPrefix: string): Promise<{ claims: number; passing: number }> {
    const claims = await q(`SELECT 1 FROM idempotency_records WHERE status_code = 0 AND key LIKE $1`, [`${keyPrefix}%`]);
    const passing = await q(
      `SELECT 1 FROM withdrawals WHERE status IN ('holding', 'rejecting', 'paying') UNION ALL SELECT 1 FROM top_ups WHERE status = 'confirming'`,
    );
    return { claims: claims.length, passing: passing.length };
  }
  const log: string[] = [];

  /** The sweeper alone finishes what the crash cut off: no open claim is left. */
  async function sweeperDone(): Promise<void> {
    while ((await q(`SELECT 1 FROM idempotency_records WHERE status_code = 0`)).length > 0) await new Promise((r) => setTimeout(r, 50));
  }

  async function verifyLedger(s: Server): Promise<void> {
    const res = await fetch(`${s.baseUrl}/v1/ledger/verify`, { headers: { authorization: `Bearer ${s.keys.get("demo operator")}` } });
    const v = (await res.json()) as { ok: boolean; invariants: { ok: boolean; problems: string[] } };
    expect(v.invariants.problems).toEqual([]);
    expect(v.ok).toBe(true);
  }

  async function fund(s: Server, label: string, fen: number, bankTx: string): Promise<string> {
    const t = await untilFinal(s, "/v1/top-ups", s.keys.get(label)!, { amountFen: fen }, `fund-${bankTx}`);
    expect(t.status).toBe(201);
    const c = await untilFinal(s, `/v1/top-ups/${t.body.reference}/confirm`, s.keys.get("demo operator")!, { amountFen: fen, bankTransactionId: bankTx }, `fund-confirm-${bankTx}`);
    expect(c.status).toBe(200);
    return t.body.accountId;
  }

  it(`withdrawals: one withdrawal and one hold per key, over ${ITERATIONS} kills`, async () => {
    let s = server ?? (server = await start(scratch.url, "retries"));
    const wallet = await fund(s, "demo enterprise 0001", 1_000_000_000, "CRASH-FUND-W");
    const answered = new Map<string, { id: string; amountFen: number }>();
    let cutTotal = 0;
    for (let iteration = 0; iteration < ITERATIONS; iteration++) await diagnosed(`withdrawals #${iteration}`, async () => {
      const mode: Mode = iteration % 2 === 0 ? "retries" : "sweeper";
      const requests = Array.from({ length: CONCURRENT }, (_, n) => ({
        key: `w${iteration}-${n}`,
        body: { amountFen: 1_000 + iteration * 100 + n, bankAccountName: "重庆两江精密制造有限公司", bankName: "中国工商银行重庆分行", bankAccountNumber: `6222 0000 ${String(iteration).padStart(4, "0")} ${String(n).padStart(4, "0")}` },
      }));
      const enterprise = s.keys.get("demo enterprise 0001")!;
      const killAfter = 1 + Math.floor(random() * 30);
      const before = await fireAndKill(s, requests.map((r) => () => send(s, "/v1/withdrawals", enterprise, r.body, r.key)), killAfter);
      const cut = await cutOff(`w${iteration}-`);
      log.push(`withdrawals #${iteration} (${mode}): ${before} answered before SIGKILL, ${cut.claims} claims and ${cut.passing} rows cut off`);
      cutTotal += cut.claims;
      s = await restart(mode);
      if (mode === "sweeper") await sweeperDone();
      const answers = await Promise.all(requests.map((r) => untilFinal(s, "/v1/withdrawals", enterprise, r.body, r.key)));
      answers.forEach((a, n) => {
        expect(a.status, `${requests[n]!.key}: ${JSON.stringify(a.body)}`).toBe(201);
        expect(a.body.amountFen).toBe(requests[n]!.body.amountFen);
        answered.set(requests[n]!.key, { id: a.body.id, amountFen: a.body.amountFen });
      });

      // Exactly one withdrawal per key, each with exactly one hold of its amount, and nothing else.
      const ids = [...answered.values()].map((a) => a.id);
      expect(new Set(ids).size).toBe(answered.size);
      const rows = await q<{ id: string; status: string; amount_fen: string }>(`SELECT id, status::text, amount_fen::text FROM withdrawals WHERE account_id = $1`, [wallet]);
      expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
      expect(rows.filter((r) => r.status !== "requested")).toEqual([]);
      const holds = await q<{ id: string; amount: string }>(`SELECT id, amount::text FROM ledger_transfers WHERE kind = 'pending' AND id LIKE 'withdrawal:%'`);
      expect(holds.length).toBe(rows.length);
      const holdAmount = new Map(holds.map((h) => [h.id, h.amount]));
      for (const a of answered.values()) expect(holdAmount.get(`withdrawal:${a.id}`), a.id).toBe(String(a.amountFen));
      expect(await q(`SELECT id FROM withdrawals w WHERE NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = 'withdrawal:' || w.id)`)).toEqual([]);
      expect(await q(`SELECT id FROM ledger_transfers t WHERE t.id LIKE 'withdrawal:%' AND NOT EXISTS (SELECT 1 FROM withdrawals w WHERE t.id = 'withdrawal:' || w.id)`)).toEqual([]);
      expect(await q(`SELECT key FROM idempotency_records WHERE status_code = 0`)).toEqual([]);
      await verifyLedger(s);
    });
    // The kills did land in the middle of requests (otherwise this test would prove nothing).
    expect(cutTotal).toBeGreaterThan(0);
    console.log(log.splice(0).join("\n"));
  }, 60_000 + ITERATIONS * 60_000);

  it(`top-up confirmations: each confirmed once and credited once, over ${ITERATIONS} kills`, async () => {
    let s = server ?? (server = await start(scratch.url, "retries"));
    const enterprise = s.keys.get("demo enterprise 0002")!;
    const confirmed = new Map<string, number>();
    let cutTotal = 0;
    for (let iteration = 0; iteration < ITERATIONS; iteration++) await diagnosed(`top-up confirmations #${iteration}`, async () => {
      const mode: Mode = iteration % 2 === 0 ? "retries" : "sweeper";
      const topUps: Array<{ reference: string; amountFen: number }> = [];
      for (let n = 0; n < CONCURRENT; n++) {
        const amountFen = 50_000 + iteration * 1_000 + n;
        const t = await untilFinal(s, "/v1/top-ups", enterprise, { amountFen }, `topup-${iteration}-${n}`);
        expect(t.status).toBe(201);
        topUps.push({ reference: t.body.reference, amountFen });
      }
      const operator = s.keys.get("demo operator")!;
      const requests = topUps.map((t, n) => ({ path: `/v1/top-ups/${t.reference}/confirm`, key: `c${iteration}-${n}`, body: { amountFen: t.amountFen, bankTransactionId: `CRASH-${iteration}-${n}` } }));
      const killAfter = 1 + Math.floor(random() * 30);
      const before = await fireAndKill(s, requests.map((r) => () => send(s, r.path, operator, r.body, r.key)), killAfter);
      const cut = await cutOff(`c${iteration}-`);
      log.push(`top-up confirmations #${iteration} (${mode}): ${before} answered before SIGKILL, ${cut.claims} claims and ${cut.passing} rows cut off`);
      cutTotal += cut.claims;
      s = await restart(mode);
      if (mode === "sweeper") {
        await sweeperDone();
        // Before anyone retries: wherever the money is in the wallet, the top-up says confirmed.
        const stale = await q(
          `SELECT u.reference FROM top_ups u JOIN ledger_transfers t ON t.id = 'topup:' || u.reference WHERE u.status <> 'confirmed' AND u.reference = ANY($1::text[])`,
          [topUps.map((t) => t.reference)],
        );
        expect(stale).toEqual([]);
      }
      const answers = await Promise.all(requests.map((r) => untilFinal(s, r.path, operator, r.body, r.key)));
      answers.forEach((a, n) => {
        expect(a.status, `${requests[n]!.key}: ${JSON.stringify(a.body)}`).toBe(200);
        expect(a.body).toMatchObject({ reference: topUps[n]!.reference, status: "confirmed", receivedFen: topUps[n]!.amountFen });
        confirmed.set(topUps[n]!.reference, topUps[n]!.amountFen);
      });

      const refs = [...confirmed.keys()];
      const rows = await q<{ reference: string; status: string }>(`SELECT reference, status::text FROM top_ups WHERE reference = ANY($1::text[])`, [refs]);
      expect(rows.filter((r) => r.status !== "confirmed")).toEqual([]);
      const credits = await q<{ id: string; amount: string }>(`SELECT id, amount::text FROM ledger_transfers WHERE id = ANY($1::text[])`, [refs.map((r) => `topup:${r}`)]);
      expect(credits.length).toBe(refs.length);
      for (const c of credits) expect(c.amount).toBe(String(confirmed.get(c.id.slice("topup:".length))));
      expect(await q(`SELECT reference FROM top_ups WHERE status = 'confirming'`)).toEqual([]);
      expect(await q(`SELECT key FROM idempotency_records WHERE status_code = 0`)).toEqual([]);
      const wallet = (await q<{ account_id: string }>(`SELECT account_id FROM top_ups WHERE reference = $1`, [refs[0]]))[0]!.account_id;
      const credited = await q<{ total: string }>(`SELECT coalesce(sum(amount), 0)::text AS total FROM ledger_transfers WHERE credit_account_id = $1 AND kind = 'single'`, [wallet]);
      expect(credited[0]!.total).toBe(String([...confirmed.values()].reduce((a, b) => a + b, 0)));
      await verifyLedger(s);
    });
    // The kills did land in the middle of requests (otherwise this test would prove nothing).
    expect(cutTotal).toBeGreaterThan(0);
    console.log(log.splice(0).join("\n"));
  }, 60_000 + ITERATIONS * 60_000);
});
