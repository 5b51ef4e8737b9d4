// The real server (src/main.ts) on PostgreSQL, killed with SIGKILL while orders pour in concurrently (demand from
// enterprises, crossing offers from agencies, across two markets), at a different point each time; restarted; every
// order sent again with its client order id. Afterwards, from the database itself: every order acknowledged before a
// kill is stored exactly once under the id it was acknowledged with, every retry found its original, no fill is
// duplicated and each fill is one contract, orders' fills add up, holds and escrow match the orders to the fen, no
// enterprise's money appeared or vanished, the ledger replays and its chain verifies, and the journal's sequence and
// the chain's positions continue without a gap. CRASH_ITERATIONS sets how many kills (default 4).
import { spawn, type ChildProcess } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shanghaiDate } from "../../src/parties/catalogue";
import { createScratchPostgres } from "../helpers/database";
import { loadRows, replayFromDb } from "../helpers/ledger";
import { openDatabase, type Database } from "../../src/infra/db";
import { prng } from "../helpers/prng";
import { postgresUrl } from "../helpers/services";

const ITERATIONS = Number(process.env["CRASH_ITERATIONS"] ?? 4);
const CONCURRENT = 120;
const unit = (rateFen: number) => BigInt(rateFen * 8 + (rateFen * 8 * 5) / 100); // day shift: 8 paid hours, 5 % fee

interface Server {
  child: ChildProcess;
  baseUrl: string;
  keys: Map<string, string>;
}

function start(databaseUrl: string): Promise<Server> {
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
    // snapshots now and then, so restarts go through snapshot + journal tail as well as a plain replay
    SEQUENCER_SNAPSHOT_EVERY: "150",
  };
  delete env["REDIS_URL"];
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-40_000);
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
      resolve({ child, baseUrl: m[1]!, keys });
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

async function send(server: Server, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Sends until the answer is final, as a client should: a dropped connection or a 5xx may have been applied or not. */
async function untilFinal(server: Server, key: string, body: unknown): Promise<{ status: number; body: any }> {
  for (;;) {
    const r = await send(server, "POST", "/v1/orders", key, body).catch(() => undefined);
    if (r && r.status < 500) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe.skipIf(!postgresUrl)("SIGKILL while orders pour in, restart, retry (real server on PostgreSQL)", () => {
  let scratch: { url: string; drop(): Promise<void> };
  let db: pg.Pool;
  let server: Server | undefined;
  const random = prng(11);

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

  async function sessionsGone(): Promise<void> {
    while ((await q<{ n: string }>(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`))[0]!.n !== "0") {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it(`loses no acknowledged order, duplicates no fill and keeps the money exact across ${ITERATIONS} kills`, async () => {
    server = await start(scratch.url);
    const operator = server.keys.get("demo operator")!;
    const enterprises = ["demo enterprise 0001", "demo enterprise 0002", "demo enterprise 0003"];
    const agencies = ["demo agency 0004", "demo agency 0005", "demo agency 0006"];
    // fund the enterprises
    const paidIn = new Map<string, bigint>();
    for (const [i, label] of enterprises.entries()) {
      const key = server.keys.get(label)!;
      const t = await send(server, "POST", "/v1/top-ups", key, { amountFen: 50_000_000 });
      expect(t.status).toBe(201);
      const c = await send(server, "POST", `/v1/top-ups/${t.body.reference}/confirm`, operator, { amountFen: 50_000_000, bankTransactionId: `CRASH-${i}` });
      expect(c.status).toBe(200);
      paidIn.set(t.body.organisationId, 50_000_000n);
    }
    const date = shanghaiDate(Date.now() + 2 * 86_400_000);
    const markets = [`welder.500107.${date}.D1`, `cleaner.500103.${date}.D1`];

    const sent: Array<{ key: string; body: Record<string, unknown> }> = [];
    const acknowledged = new Map<string, string>(); // client order id → order id
    const counts = { acknowledgedBeforeKill: 0, placedByRetry: 0, foundByRetryUnacknowledged: 0 };
    let serial = 0;
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      const batch: Array<{ key: string; body: Record<string, unknown> }> = [];
      for (let i = 0; i < CONCURRENT; i++) {
        const demand = i % 2 === 0;
        const label = demand ? enterprises[Math.floor(random() * 3)]! : agencies[Math.floor(random() * 3)]!;
        batch.push({
          key: label,
          body: {
            side: demand ? "demand" : "supply",
            market: markets[Math.floor(random() * 2)]!,
            quantity: 1 + Math.floor(random() * 4),
            rateFen: demand ? 2800 + 50 * Math.floor(random() * 8) : 2600 + 50 * Math.floor(random() * 8),
            clientOrderId: `crash-${++serial}`,
          },
        });
      }
      sent.push(...batch);
      const killAfter = 5 + Math.floor(random() * (CONCURRENT - 20));
      let answered = 0;
      const s = server;
      let killing: Promise<void> | undefined;
      await Promise.all(
        batch.map(async ({ key, body }) => {
          const r = await send(s, "POST", "/v1/orders", s.keys.get(key)!, body).catch(() => undefined);
          if (r !== undefined && (r.status === 201 || r.status === 200)) {
            acknowledged.set(body["clientOrderId"] as string, r.body.id);
            counts.acknowledgedBeforeKill++;
          }
          if (++answered === killAfter) killing = kill(s);
        }),
      );
      await (killing ?? kill(s));
      await sessionsGone();
      server = await start(scratch.url);
      // every order of the round again, with its client order id: the acknowledged ones find their original
      const again = server;
      await Promise.all(
        batch.map(async ({ key, body }) => {
          const r = await untilFinal(again, again.keys.get(key)!, body);
          expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
          const coid = body["clientOrderId"] as string;
          const before = acknowledged.get(coid);
          if (before !== undefined) {
            expect(r.status, `${coid} was acknowledged before the kill`).toBe(200);
            expect(r.body.id).toBe(before);
          } else {
            // not acknowledged before the kill: committed all the same (found), or never (placed now)
            if (r.status === 200) counts.foundByRetryUnacknowledged++;
            else counts.placedByRetry++;
            acknowledged.set(coid, r.body.id);
          }
        }),
      );
    }
    expect(acknowledged.size).toBe(sent.length);
    console.log(`[crash] ${ITERATIONS} kills: ${JSON.stringify(counts)}`);
    // the kills fell mid-load: some orders were acknowledged before them, some were not
    expect(counts.acknowledgedBeforeKill).toBeGreaterThan(0);
    expect(counts.placedByRetry + counts.foundByRetryUnacknowledged).toBeGreaterThan(0);
    // a last graceful stop: the closing checkpoint and snapshot
    server.child.kill("SIGTERM");
    await new Promise((r) => server!.child.once("exit", r));
    server = undefined;

    // ----- the database, checked on its own
    const orders = await q<{ id: string; organisation_id: string; client_order_id: string; side: string; quantity: number; remaining: number; filled: number; rate_fen: number; state: string; hold_fen: string }>(
      `SELECT id, organisation_id, client_order_id, side, quantity, remaining, filled, rate_fen, state, hold_fen::text FROM orders`,
    );
    expect(orders).toHaveLength(sent.length); // exactly once each
    const byId = new Map(orders.map((o) => [o.id, o]));
    for (const [coid, id] of acknowledged) expect(byId.get(id)?.client_order_id, coid).toBe(coid);
    const contracts = await q<{ id: string; fill_id: string; demand_order_id: string; supply_order_id: string; headcount: number; rate_fen: number; escrow_fen: string; escrow_account_id: string; enterprise_id: string }>(
      `SELECT id, fill_id, demand_order_id, supply_order_id, headcount, rate_fen, escrow_fen::text, escrow_account_id, enterprise_id FROM contracts`,
    );
    expect(contracts.length).toBeGreaterThan(ITERATIONS * 10);
    expect(new Set(contracts.map((c) => c.fill_id)).size).toBe(contracts.length); // one contract per fill, no fill twice
    const filled = new Map<string, number>();
    for (const c of contracts) {
      for (const id of [c.demand_order_id, c.supply_order_id]) filled.set(id, (filled.get(id) ?? 0) + c.headcount);
      expect(BigInt(c.escrow_fen)).toBe(BigInt(c.headcount) * unit(c.rate_fen));
    }
    for (const o of orders) {
      expect(o.filled, o.id).toBe(filled.get(o.id) ?? 0);
      expect(o.remaining + o.filled, o.id).toBe(o.quantity);
      if (o.side === "demand" && o.state === "open") expect(BigInt(o.hold_fen), o.id).toBe(BigInt(o.remaining) * unit(o.rate_fen));
      else expect(o.hold_fen, o.id).toBe("0");
    }
    // the ledger, rebuilt from its rows alone
    const ledgerDb: Database = await openDatabase({ databaseUrl: scratch.url, poolSize: 2 });
    try {
      const rows = await loadRows(ledgerDb.sql, "main");
      const ledger = replayFromDb(rows);
      expect(ledger.invariants()).toEqual({ ok: true, problems: [] });
      // holds: each open demand order's money is held by exactly one pending transfer of its amount
      for (const o of orders.filter((x) => x.side === "demand" && x.state === "open")) {
        const open = rows.transfers.filter((r) => r.kind === "pending" && r.userData === o.id && ledger.holdStatus(r.id) === "pending");
        expect(open.map((r) => r.amount), o.id).toEqual([BigInt(o.hold_fen)]);
      }
      // escrow: each contract's account holds what the contract says
      for (const c of contracts) expect(ledger.balances(c.escrow_account_id)?.creditsPosted, c.id).toBe(BigInt(c.escrow_fen));
      // money: every fen paid in is in the wallet (available or held) or the escrow of the enterprise's contracts
      for (const [org, paid] of paidIn) {
        const w = ledger.balances(`wallet:${org}:CNY`)!;
        const escrow = contracts.filter((c) => c.enterprise_id === org).reduce((s, c) => s + BigInt(c.escrow_fen), 0n);
        expect(w.creditsPosted - w.debitsPosted + escrow, org).toBe(paid);
      }
      const holdsAccount = ledger.balances("platform:order_holds:CNY")!;
      expect(holdsAccount.creditsPosted).toBe(holdsAccount.debitsPosted);
    } finally {
      await ledgerDb.close();
    }
    // no gap: the journal's positions and the chain's
    const journal = await q<{ first_seq: string; last_seq: string }>(`SELECT first_seq::text AS first_seq, last_seq::text AS last_seq FROM sequencer_journal j WHERE shard = 'main' ORDER BY j.first_seq`);
    expect(Number(journal[0]!.first_seq)).toBe(1);
    for (let i = 1; i < journal.length; i++) expect(Number(journal[i]!.first_seq)).toBe(Number(journal[i - 1]!.last_seq) + 1);
    const chain = await q<{ n: string; last: string }>(
      `SELECT (SELECT count(*) FROM ledger_accounts WHERE shard = 'main') + (SELECT count(*) FROM ledger_transfers WHERE shard = 'main') AS n,
              GREATEST((SELECT max(sequence) FROM ledger_accounts WHERE shard = 'main'), (SELECT max(sequence) FROM ledger_transfers WHERE shard = 'main')) AS last`,
    );
    expect(chain[0]!.n).toBe(chain[0]!.last);
    // and the chain verifies against its signed checkpoints, through a server started once more
    server = await start(scratch.url);
    const verify = await send(server, "GET", "/v1/ledger/verify", server.keys.get("demo operator")!);
    expect(verify.body).toMatchObject({ ok: true, invariants: { ok: true }, chain: { ok: true } });
  }, 600_000);
});
