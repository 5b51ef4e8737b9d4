/**
 * bench:ledger — durable transfers per second into PostgreSQL through the
 * ledger's single writer (group commit, synchronous_commit on), 20 concurrent
 * clients, two patterns:
 *   hot10       — transfers among 10 funded no-overdraft wallets (every one checked against its balance);
 *   accounts10k — transfers among 10,000 funded no-overdraft wallets.
 * Each client awaits the ack of its call before the next one. Every pattern
 * runs with BATCH transfers per call (like a TigerBeetle client, or the
 * sequencer posting all fills of a match at once) three times (median), then
 * once with 10 and once with a single transfer per call. In the same run, the baseline: 20
 * concurrent `pg` clients each doing BEGIN; INSERT one transfer row; COMMIT
 * into a plain table of the same shape (same columns and indexes, no triggers).
 *
 * Env: BENCH_DATABASE_URL | DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
 * names the server; the bench creates and drops a scratch database beside it.
 * BENCH_SECONDS (default 5) per run, BENCH_BATCH (default 50), BENCH_CLIENTS (default 20).
 * Progress goes to stderr; the last line on stdout is one JSON object.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { openDatabase } from "../src/infra/db";
import { migrate } from "../src/infra/migrate";
import { AccountFlags, hashTransfer, GENESIS_HASH, openLedgerWriter, type LedgerWriter, type TransferInput } from "../src/ledger";
import { systemClock } from "../src/shared/clock";
import { createScratchPostgres } from "../test/helpers/database";
import { prng } from "../test/helpers/prng";

// The bench is a process entry of its own, like migrate.cli.ts: it reads its settings here.
const env = process.env;
const adminUrl = env["BENCH_DATABASE_URL"] ?? env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SECONDS = Number(env["BENCH_SECONDS"] ?? 5);
const BATCH = Number(env["BENCH_BATCH"] ?? 50);
const CLIENTS = Number(env["BENCH_CLIENTS"] ?? 20);
const RUNS = 3;
const TARGET = 20_000;
const CNY = "CNY";

const say = (msg: string) => process.stderr.write(`${msg}\n`);

interface RunResult {
  transfersPerSec: number;
  p50Ms: number;
  p99Ms: number;
  transfers: number;
  failed: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** 20 clients, each awaiting its own ack, for SECONDS. */
async function drive(
  clients: number,
  seconds: number,
  call: (client: number, seq: number) => Promise<{ ok: number; failed: number }>,
): Promise<RunResult> {
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let last = start;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let seq = 0; performance.now() < end; seq++) {
        const t0 = performance.now();
        const r = await call(c, seq);
        const t1 = performance.now();
        latencies.push(t1 - t0);
        ok += r.ok;
        failed += r.failed;
        if (t1 > last) last = t1;
      }
    }),
  );
  const sorted = Float64Array.from(latencies).sort();
  return {
    transfersPerSec: Math.round(ok / ((last - start) / 1000)),
    p50Ms: round2(percentile(sorted, 50)),
    p99Ms: round2(percentile(sorted, 99)),
    transfers: ok,
    failed,
  };
}

function median(runs: RunResult[]): RunResult {
  const sorted = [...runs].sort((a, b) => a.transfersPerSec - b.transfersPerSec);
  return sorted[Math.floor(sorted.length / 2)] as RunResult;
}


async function setUpPattern(writer: LedgerWriter, name: string, wallets: number): Promise<string[]> {
  const ids = Array.from({ length: wallets }, (_, i) => `wallet:${name}:${i}`);
  const clearing = `clearing:${name}`;
  await writer.createAccounts([{ id: clearing, ledger: CNY, code: "clearing" }]);
  for (let i = 0; i < ids.length; i += 5000) {
    const chunk = ids.slice(i, i + 5000);
    const r = await writer.createAccounts(
      chunk.map((id) => ({ id, ledger: CNY, code: "wallet" as const, ownerId: id, flags: AccountFlags.debitsMustNotExceedCredits })),
    );
    if (r.results.some((x) => x !== "ok")) throw new Error("account setup failed");
    const f = await writer.createTransfers(
      chunk.map((id) => ({ id: `fund:${id}`, debitAccountId: clearing, creditAccountId: id, amount: 1_000_000_000_000n, ledger: CNY, code: "top_up" })),
    );
    if (f.results.some((x) => x !== "ok")) throw new Error("funding failed");
  }
  return ids;
}

async function runPattern(
  writer: LedgerWriter,
  name: string,
  wallets: string[],
  batch: number,
  runs: number,
  tag: string,
): Promise<RunResult & { batchPerCall: number; runs: RunResult[] }> {
  const results: RunResult[] = [];
  for (let run = 0; run < runs; run++) {
    const rnd = prng(run * 7919 + batch);
    const n = wallets.length;
    const r = await drive(CLIENTS, SECONDS, async (client, seq) => {
      const transfers: TransferInput[] = new Array(batch);
      for (let k = 0; k < batch; k++) {
        const a = Math.floor(rnd() * n);
        let b = Math.floor(rnd() * (n - 1));
        if (b >= a) b++;
        transfers[k] = {
          id: `${name}:${tag}:${run}:${client}:${seq}:${k}`,
          debitAccountId: wallets[a] as string,
          creditAccountId: wallets[b] as string,
          amount: BigInt(1 + Math.floor(rnd() * 10_000)),
          ledger: CNY,
          code: "fill",
        };
      }
      const out = await writer.createTransfers(transfers);
      let ok = 0;
      for (const x of out.results) if (x === "ok") ok++;
      return { ok, failed: batch - ok };
    });
    say(`  ${name} batch=${batch} run ${run + 1}/${runs}: ${r.transfersPerSec} transfers/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.failed} failed`);
    results.push(r);
  }
  return { ...median(results), batchPerCall: batch, runs: results };
}

/** The baseline: one plain INSERT per transaction through pg, 20 clients. */
async function baseline(url: string, runs: number): Promise<RunResult> {
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query(`CREATE TABLE "bench_plain_transfers" (LIKE "ledger_transfers" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`);
  await setup.end();
  const pool = new pg.Pool({ connectionString: url, max: CLIENTS });
  pool.on("error", () => undefined);
  const conns = await Promise.all(Array.from({ length: CLIENTS }, () => pool.connect()));
  let ts = Date.now() * 1000;
  let sequence = 0;
  const results: RunResult[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const rnd = prng(run + 1);
      let prev = GENESIS_HASH;
      const r = await drive(CLIENTS, SECONDS, async (client, seq) => {
        const conn = conns[client] as pg.PoolClient;
        const record = {
          id: `plain:${run}:${client}:${seq}`,
          kind: "single" as const,
          debitAccountId: `wallet:${Math.floor(rnd() * 10)}`,
          creditAccountId: `wallet:${Math.floor(rnd() * 10)}`,
          amount: BigInt(1 + Math.floor(rnd() * 10_000)),
          pendingId: null,
          ledger: CNY,
          code: "fill",
          flags: 0,
          timeoutMs: 0,
          userData: null,
          timestamp: ++ts,
        };
        const h = hashTransfer(prev, record);
        prev = h.chainHash;
        await conn.query("BEGIN");
        await conn.query(
          `INSERT INTO "bench_plain_transfers" ("shard", "sequence", "timestamp", "id", "kind", "debit_account_id", "credit_account_id", "amount",
             "pending_id", "ledger", "code", "flags", "timeout_ms", "user_data", "content_hash", "chain_hash",
             "dr_debits_posted", "dr_credits_posted", "cr_debits_posted", "cr_credits_posted")
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0, 0, 0, 0)`,
          [
            "bench",
            ++sequence,
            record.timestamp,
            record.id,
            record.kind,
            record.debitAccountId,
            record.creditAccountId,
            record.amount.toString(),
            record.pendingId,
            record.ledger,
            record.code,
            record.flags,
            record.timeoutMs,
            record.userData,
            h.contentHash,
            h.chainHash,
          ],
        );
        await conn.query("COMMIT");
        return { ok: 1, failed: 0 };
      });
      say(`  baseline run ${run + 1}/${runs}: ${r.transfersPerSec} transfers/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`);
      results.push(r);
    }
  } finally {
    for (const c of conns) c.release();
    await pool.end();
  }
  return median(results);
}

function hashCostUs(): number {
  const n = 50_000;
  let prev = GENESIS_HASH;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    prev = hashTransfer(prev, {
      id: `x:${i}`,
      kind: "single",
      debitAccountId: "wallet:hot:1",
      creditAccountId: "wallet:hot:2",
      amount: BigInt(i),
      pendingId: null,
      ledger: CNY,
      code: "fill",
      flags: 0,
      timeoutMs: 0,
      userData: null,
      timestamp: 1_800_000_000_000_000 + i,
    }).chainHash;
  }
  return round2(((performance.now() - t0) * 1000) / n);
}

async function main(): Promise<void> {
  const scratch = await createScratchPostgres(adminUrl);
  say(`bench:ledger: scratch database ${new URL(scratch.url).pathname.slice(1)} on ${new URL(adminUrl).host}; ${CLIENTS} clients, ${SECONDS} s per run, batch ${BATCH}`);
  const db = await openDatabase({ databaseUrl: scratch.url, poolSize: 4 });
  try {
    await migrate(db.sql);
    const { rows } = await db.sql.query<{ synchronous_commit: string }>("SHOW synchronous_commit");
    const synchronousCommit = rows[0]?.synchronous_commit ?? "?";
    const hashUs = hashCostUs();
    say(`  synchronous_commit=${synchronousCommit}; sha256 content+chain hash ${hashUs} µs per transfer`);

    const writer = await openLedgerWriter({ sql: db.sql, clock: systemClock, shard: "bench" });
    let hot10, accounts10k, hot10Single, accounts10kSingle, hot10Ten, accounts10kTen, invariantsOk: boolean;
    try {
      const hot = await setUpPattern(writer, "hot10", 10);
      const many = await setUpPattern(writer, "a10k", 10_000);
      say("hot10: 10 wallets, no overdraft");
      hot10 = await runPattern(writer, "hot10", hot, BATCH, RUNS, "b");
      say("accounts10k: 10,000 wallets, no overdraft");
      accounts10k = await runPattern(writer, "a10k", many, BATCH, RUNS, "b");
      say("10 transfers per call");
      hot10Ten = await runPattern(writer, "hot10", hot, 10, 1, "t");
      accounts10kTen = await runPattern(writer, "a10k", many, 10, 1, "t");
      say("single transfer per call");
      hot10Single = await runPattern(writer, "hot10", hot, 1, 1, "s");
      accounts10kSingle = await runPattern(writer, "a10k", many, 1, 1, "s");
      const inv = writer.invariants();
      invariantsOk = inv.ok;
      if (!inv.ok) say(`  invariants: ${inv.problems.slice(0, 5).join("; ")}`);
      const { rows: count } = await db.sql.query<{ n: bigint }>(`SELECT count(*)::bigint AS n FROM ledger_transfers WHERE shard = 'bench'`);
      if (Number(count[0]?.n) !== writer.tip.count) throw new Error(`rows in the database ${count[0]?.n} ≠ acknowledged ${writer.tip.count}`);
      say(`  ${writer.tip.count} transfers stored; invariants ${invariantsOk ? "ok" : "BROKEN"}`);
    } finally {
      await writer.close();
    }

    say("baseline: BEGIN; INSERT one row; COMMIT per transfer through pg");
    const base = await baseline(scratch.url, RUNS);

    const strip = ({ runs: _runs, ...r }: RunResult & { runs: RunResult[] }) => r;
    const ratioHot = round1(hot10.transfersPerSec / base.transfersPerSec);
    const ratio10k = round1(accounts10k.transfersPerSec / base.transfersPerSec);
    const result = {
      bench: "ledger",
      clients: CLIENTS,
      secondsPerRun: SECONDS,
      runs: RUNS,
      synchronousCommit,
      hashUsPerTransfer: hashUs,
      hot10: strip(hot10),
      accounts10k: strip(accounts10k),
      tenPerCall: { hot10: strip(hot10Ten), accounts10k: strip(accounts10kTen) },
      singlePerCall: { hot10: strip(hot10Single), accounts10k: strip(accounts10kSingle) },
      baseline: {
        transfersPerSec: base.transfersPerSec,
        p50Ms: base.p50Ms,
        p99Ms: base.p99Ms,
        method: `${CLIENTS} pg clients, each BEGIN; INSERT one row; COMMIT into a table of the same columns and indexes (no triggers)`,
      },
      ratio: Math.min(ratioHot, ratio10k),
      ratios: { hot10: ratioHot, accounts10k: ratio10k },
      invariantsOk,
      target: TARGET,
      met: hot10.transfersPerSec >= TARGET && accounts10k.transfersPerSec >= TARGET,
    };
    console.log(JSON.stringify(result));
  } finally {
    await db.close();
    await scratch.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
