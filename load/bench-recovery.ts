/**
 * bench:recovery — does restarting cost more as history grows?
 *
 * Builds two shards' histories on scratch PostgreSQL databases through the
 * sequencer itself: SMALL (≈ 20 000 transfers) and LARGE (≈ 2 000 000), both
 * of the same daily pattern: enterprises top up their wallets, post demand
 * orders that agencies' offers fill (holds, posts, escrow, one contract and
 * escrow account per fill), contracts are settled out of escrow to the
 * agencies and the platform (as the contract runtime will), agencies are
 * paid out, leftover orders are cancelled. Each history ends with a graceful
 * close (a snapshot and a checkpoint). Then Shiftex itself (src/main.ts) is
 * started on each database RUNS times: the time from process start to the
 * banner ("ready"), and the heap in use after start-up (after a forced GC,
 * read through load/bench-recovery.probe.mjs), medians.
 *
 * Target: LARGE/SMALL ≤ 1.5 for both. Memory holds balances of accounts in
 * use, pending holds, open orders and windows of recent ids; start-up loads
 * the newest snapshot and replays only the journal after it.
 *
 * Env: BENCH_DATABASE_URL | DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
 * BENCH_SMALL (default 20000) and BENCH_LARGE (default 2000000) transfers; BENCH_RUNS (default 3).
 * Progress goes to stderr; the last line on stdout is one JSON object.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { openDatabase } from "../src/infra/db";
import { migrate } from "../src/infra/migrate";
import { orderHoldsAccount, walletOf, type OrderOutcome, type PartyFacts } from "../src/exchange";
import { AccountFlags, platformAccounts, supplierPayableAccount, type AccountInput, type TransferInput } from "../src/ledger";
import { shanghaiDate } from "../src/parties/catalogue";
import { openSequencer, type Sequencer } from "../src/sequencer";
import { fixedClock } from "../src/shared/clock";
import { createScratchPostgres } from "../test/helpers/database";

const env = process.env;
const adminUrl = env["BENCH_DATABASE_URL"] ?? env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SMALL = Number(env["BENCH_SMALL"] ?? 20_000);
const LARGE = Number(env["BENCH_LARGE"] ?? 2_000_000);
const RUNS = Number(env["BENCH_RUNS"] ?? 3);

const say = (msg: string) => process.stderr.write(`${msg}\n`);

const ENTERPRISES = 200;
const AGENCIES = 50;
const PLACES_PER_DAY = 400; // half demand, half the offers that fill them
const TOP_UPS_PER_CALL = 1000;
const DAY_MS = 86_400_000;
const CLEARING = "platform:clearing:CNY";
const FEE = "platform:platform_fee:CNY";

interface History {
  transfers: number;
  contracts: number;
  orders: number;
  journal: number;
  seconds: number;
}

/** Builds a history of about `target` transfers through the sequencer; returns what it holds. */
async function build(url: string, target: number): Promise<History> {
  const db = await openDatabase({ databaseUrl: url, poolSize: 4 });
  await migrate(db.sql);
  const clock = fixedClock(new Date("2026-12-01T01:00:00Z"));
  const s: Sequencer = await openSequencer({ sql: db.sql, clock, shard: "main", expiryIntervalMs: 0, checkpointIntervalMs: 0, snapshotOnCloseAfter: 1 });
  const t0 = performance.now();
  const enterprises: PartyFacts[] = Array.from({ length: ENTERPRISES }, (_, i) => ({ id: `org_e${i}`, kind: "enterprise", colour: "blue", lendsStaff: false, licensedUntil: null }));
  const agencies: PartyFacts[] = Array.from({ length: AGENCIES }, (_, i) => ({ id: `org_a${i}`, kind: "agency", colour: "blue", lendsStaff: false, licensedUntil: "2030-12-31" }));
  const accounts: AccountInput[] = [
    ...platformAccounts(),
    orderHoldsAccount(),
    ...enterprises.map((e) => ({ id: walletOf(e.id), ledger: "CNY", code: "wallet" as const, ownerId: e.id, flags: AccountFlags.debitsMustNotExceedCredits })),
    ...agencies.map((a) => supplierPayableAccount(a.id)),
  ];
  expectAll((await s.createAccounts(accounts)).results, "accounts");
  let transfers = 0;
  let contracts = 0;
  let orders = 0;
  let serial = 0;
  for (let day = 0; transfers < target; day++) {
    clock.set(new Date(Date.parse("2026-12-01T01:00:00Z") + day * DAY_MS));
    const market = (k: number) => `${k % 2 === 0 ? "welder.500107" : "cleaner.500103"}.${shanghaiDate(clock.now().getTime() + 2 * DAY_MS)}.D1`;
    // money in: many small top-ups
    const topUps = Math.min(Math.max(0, target - transfers - 1000), 19_000);
    for (let done = 0; done < topUps; ) {
      const n = Math.min(TOP_UPS_PER_CALL, topUps - done);
      const batch: TransferInput[] = Array.from({ length: n }, (_, k) => ({
        id: `topup:${day}:${done + k}`,
        debitAccountId: CLEARING,
        creditAccountId: walletOf(enterprises[(done + k) % ENTERPRISES]!.id),
        amount: 50_000n,
        ledger: "CNY",
        code: "top_up",
      }));
      const calls: Promise<unknown>[] = [];
      calls.push(s.createTransfers(batch).then((o) => expectAll(o.results, "top-ups")));
      await Promise.all(calls);
      done += n;
      transfers += n;
    }
    // the day's trading: demand orders rest, offers fill them
    const places: Array<Promise<OrderOutcome>> = [];
    for (let k = 0; k < PLACES_PER_DAY / 2; k++) {
      const m = market(k);
      const e = enterprises[(day * 7 + k) % ENTERPRISES]!;
      const a = agencies[(day * 3 + k) % AGENCIES]!;
      const order = (party: PartyFacts, side: "demand" | "supply", rateFen: number) => ({
        id: `ord_${++serial}`, party, clientOrderId: `c${serial}`, dedupeKey: `c${serial}`, market: m, side, quantity: 1 + (k % 3), rateFen,
        timeInForce: "good_till" as const, goodTill: null, minFill: 0, minCertificate: 0, minColour: null, excludedSuppliers: [], minSplit: 1, allOrNone: false, certificate: 0, shared: false,
      });
      places.push(s.submit({ t: "place", order: order(e, "demand", 3000) }) as Promise<OrderOutcome>);
      places.push(s.submit({ t: "place", order: order(a, "supply", 2900) }) as Promise<OrderOutcome>);
    }
    const placed = await Promise.all(places);
    orders += placed.length;
    const fills = placed.flatMap((o) => (o.ok ? o.fills : []));
    contracts += fills.length;
    transfers = s.tip.count;
    // settlement of yesterday's… (here: today's) contracts, out of escrow to the agency and the platform
    const settle: TransferInput[] = [];
    for (const o of placed) {
      if (!o.ok || o.order.side !== "supply") continue;
      for (const f of o.fills) {
        const base = BigInt(f.qty * f.rateFen * 8);
        const escrow = `escrow:${f.contractId}:CNY`;
        const total = s.lookupAccount(escrow)!.creditsPosted;
        settle.push({ id: `settle:${f.contractId}`, debitAccountId: escrow, creditAccountId: `supplier_payable:${o.order.organisationId}:CNY`, amount: base, ledger: "CNY", code: "settlement", flags: 1 });
        settle.push({ id: `fee:${f.contractId}`, debitAccountId: escrow, creditAccountId: FEE, amount: total - base, ledger: "CNY", code: "fee" });
      }
    }
    for (let i = 0; i < settle.length; i += 1000) expectAll((await s.createTransfers(settle.slice(i, i + 1000))).results, "settlement");
    // payouts, and what did not trade is cancelled
    const payouts: TransferInput[] = agencies.map((a) => ({
      id: `payout:${day}:${a.id}`,
      debitAccountId: `supplier_payable:${a.id}:CNY`,
      creditAccountId: CLEARING,
      amount: null,
      ledger: "CNY",
      code: "payout",
      flags: 2, // balancing: whatever the payable holds
    }));
    await s.createTransfers(payouts);
    await Promise.all([...enterprises, ...agencies].map((p) => s.submit({ t: "cancelAll", organisationId: p.id, market: null, side: null, reason: "end of day" })));
    transfers = s.tip.count;
    if (day % 10 === 0) say(`  day ${day}: ${transfers} transfers, ${contracts} contracts, ${orders} orders, ${s.stats().accountsInMemory} accounts in memory`);
  }
  const inv = s.invariants();
  if (!inv.ok) throw new Error(`invariants: ${inv.problems.slice(0, 3).join("; ")}`);
  const journal = s.seq;
  await s.close();
  await db.close();
  return { transfers, contracts, orders, journal, seconds: Math.round((performance.now() - t0) / 100) / 10 };
}

function expectAll(results: readonly string[], what: string): void {
  const bad = results.find((r) => r !== "ok" && r !== "exists");
  if (bad !== undefined) throw new Error(`${what}: ${bad}`);
}

interface Start {
  readyMs: number;
  heapBytes: number;
  rssBytes: number;
}

/** Starts Shiftex on a database; the time from spawn to its banner, and its heap after a forced GC. */
function startOnce(url: string): Promise<Start> {
  const childEnv: NodeJS.ProcessEnv = { ...env, DATABASE_URL: url, HOST: "127.0.0.1", PORT: "0", NODE_ENV: "development", SEED_DEMO: "false", LOG_LEVEL: "warn" };
  delete childEnv["REDIS_URL"];
  delete childEnv["DATABASE_OWNER_URL"];
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--expose-gc", "--import", "./load/bench-recovery.probe.mjs", "--import", "tsx", "src/main.ts"], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    let readyMs = -1;
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (readyMs < 0 && output.includes("Shiftex is up")) {
        readyMs = performance.now() - t0;
        // let start-up's last promises settle before measuring
        setTimeout(() => child.kill("SIGUSR2"), 500);
      }
      const heap = /HEAP (\d+) (\d+)/.exec(output);
      if (heap !== null && readyMs >= 0) {
        child.kill("SIGTERM");
        child.once("exit", () => resolve({ readyMs: Math.round(readyMs), heapBytes: Number(heap[1]), rssBytes: Number(heap[2]) }));
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => void (output += chunk.toString()));
    child.once("exit", (code) => {
      if (readyMs < 0) reject(new Error(`the server exited with ${code}:\n${output.slice(-3000)}`));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function measure(url: string, label: string): Promise<{ readyMs: number; heapMb: number; rssMb: number; runs: Start[] }> {
  const runs: Start[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await startOnce(url);
    say(`  ${label} start ${i + 1}/${RUNS}: ready in ${r.readyMs} ms, heap ${(r.heapBytes / 1e6).toFixed(1)} MB, rss ${(r.rssBytes / 1e6).toFixed(1)} MB`);
    runs.push(r);
  }
  return {
    readyMs: median(runs.map((r) => r.readyMs)),
    heapMb: Math.round(median(runs.map((r) => r.heapBytes)) / 1e5) / 10,
    rssMb: Math.round(median(runs.map((r) => r.rssBytes)) / 1e5) / 10,
    runs,
  };
}

async function main(): Promise<void> {
  const small = await createScratchPostgres(adminUrl);
  const large = await createScratchPostgres(adminUrl);
  try {
    say(`bench:recovery: building a history of ~${SMALL} transfers`);
    const h1 = await build(small.url, SMALL);
    say(`  built: ${JSON.stringify(h1)}`);
    say(`bench:recovery: building a history of ~${LARGE} transfers`);
    const h2 = await build(large.url, LARGE);
    say(`  built: ${JSON.stringify(h2)}`);
    // interleave the measurements, so both see the same machine
    const m1 = await measure(small.url, "small");
    const m2 = await measure(large.url, "large");
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    const result = {
      bench: "recovery",
      small: { history: h1, readyMs: m1.readyMs, heapMb: m1.heapMb, rssMb: m1.rssMb },
      large: { history: h2, readyMs: m2.readyMs, heapMb: m2.heapMb, rssMb: m2.rssMb },
      heapRatio: ratio(m2.heapMb, m1.heapMb),
      readyRatio: ratio(m2.readyMs, m1.readyMs),
      target: 1.5,
    };
    console.log(JSON.stringify({ ...result, met: result.heapRatio <= 1.5 && result.readyRatio <= 1.5 }));
  } finally {
    await small.drop();
    await large.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
