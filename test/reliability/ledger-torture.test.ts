// Concurrency torture on real PostgreSQL: many clients on a few hot no-overdraft wallets, lost acks,
// restarts in the middle; then every invariant, checked from the database rows themselves.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccountFlags,
  LedgerShardBusyError,
  LedgerUnavailableError,
  LedgerWriteError,
  TransferFlags,
  openLedgerWriter,
  type AccountInput,
  type CreateTransfersOutcome,
  type LedgerWriter,
  type TransferInput,
  type TransferRecord,
} from "../../src/ledger";
import { openDatabase, type SqlClient } from "../../src/infra/db";
import { systemClock } from "../../src/shared/clock";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { CNY, faultyPool, loadRows, replayFromDb } from "../helpers/ledger";
import { postgresUrl } from "../helpers/services";
import { prng } from "../helpers/prng";

const CLIENTS = 40;
const CALLS = 800;
const HOT = ["hot:0", "hot:1", "hot:2", "hot:3", "hot:4"];
const ESCROW = ["escrow:0", "escrow:1"];
const accounts: AccountInput[] = [
  { id: "clearing", ledger: CNY, code: "clearing" },
  ...HOT.map((id) => ({ id, ledger: CNY, code: "wallet" as const, ownerId: id, flags: AccountFlags.debitsMustNotExceedCredits })),
  ...ESCROW.map((id) => ({ id, ledger: CNY, code: "escrow" as const, ownerId: id })),
];


interface SqlBalances {
  account: string;
  ledger: string;
  flags: number;
  debits_posted: bigint;
  credits_posted: bigint;
  debits_pending: bigint;
  credits_pending: bigint;
}

/** Every account's balances computed by SQL from the transfer rows alone. */
async function sqlBalances(sql: SqlClient, shard: string): Promise<SqlBalances[]> {
  const { rows } = await sql.query<SqlBalances>(
    `WITH t AS (SELECT * FROM ledger_transfers WHERE shard = $1),
          open_holds AS (SELECT id FROM t WHERE kind = 'pending' AND id NOT IN (SELECT pending_id FROM t WHERE pending_id IS NOT NULL)),
          legs AS (
            SELECT debit_account_id AS account,
                   CASE WHEN kind IN ('single', 'post') THEN amount ELSE 0 END AS dposted,
                   CASE WHEN id IN (SELECT id FROM open_holds) THEN amount ELSE 0 END AS dpending,
                   0::bigint AS cposted, 0::bigint AS cpending
              FROM t
            UNION ALL
            SELECT credit_account_id, 0, 0,
                   CASE WHEN kind IN ('single', 'post') THEN amount ELSE 0 END,
                   CASE WHEN id IN (SELECT id FROM open_holds) THEN amount ELSE 0 END
              FROM t)
     SELECT a.id AS account, a.ledger, a.flags,
            coalesce(sum(l.dposted), 0)::bigint AS debits_posted, coalesce(sum(l.cposted), 0)::bigint AS credits_posted,
            coalesce(sum(l.dpending), 0)::bigint AS debits_pending, coalesce(sum(l.cpending), 0)::bigint AS credits_pending
       FROM ledger_accounts a LEFT JOIN legs l ON l.account = a.id
      WHERE a.shard = $1
      GROUP BY a.id, a.ledger, a.flags ORDER BY a.id`,
    [shard],
  );
  return rows;
}

describe.skipIf(!postgresUrl)("ledger writer torture on PostgreSQL", () => {
  let t: TestDatabase;
  const writers: LedgerWriter[] = [];
  beforeAll(async () => {
    t = await createTestDatabase({ name: "postgres", url: postgresUrl });
  });
  afterAll(async () => {
    // a writer holds its connection until closed, even when an assertion failed
    for (const w of writers) await w.close();
    await t?.drop();
  });

  it("a second writer of a shard on another connection pool is refused, not queued", async () => {
    const w = await openLedgerWriter({ sql: t.db.sql, clock: systemClock, shard: "fenced" });
    const other = await openDatabase({ databaseUrl: t.url, poolSize: 2 });
    try {
      // pg_try_advisory_lock answers at once: the second writer is refused, not queued behind the first
      await expect(openLedgerWriter({ sql: other.sql, clock: systemClock, shard: "fenced" })).rejects.toBeInstanceOf(LedgerShardBusyError);
      await w.close();
      const next = await openLedgerWriter({ sql: other.sql, clock: systemClock, shard: "fenced" });
      await next.close();
    } finally {
      await w.close();
      await other.close();
    }
  });

  it(`${CLIENTS} clients × ${CALLS} calls on ${HOT.length} hot wallets, lost acks and two restarts: every invariant holds`, async () => {
    const shard = "torture";
    const lossy = faultyPool(t.db.sql, { loseEvery: 13, maxLosses: 4 });
    const open = async () => {
      const w = await openLedgerWriter({ sql: lossy.pool, clock: systemClock, shard, expiryIntervalMs: 15 });
      writers.push(w);
      return w;
    };
    let writer: LedgerWriter = await open();
    let ready: Promise<void> = Promise.resolve();
    expect((await writer.createAccounts(accounts)).results.every((r) => r === "ok")).toBe(true);
    const funded = await writer.createTransfers(
      HOT.map((id) => ({ id: `fund:${id}`, debitAccountId: "clearing", creditAccountId: id, amount: 50_000n, ledger: CNY, code: "top_up" })),
    );
    expect(funded.results.every((r) => r === "ok")).toBe(true);

    const acked = new Map<string, TransferRecord>();
    const holds: string[] = [];
    const counts = { calls: 0, retries: 0, results: new Map<string, number>() };

    /** Submits until the writer answers, retrying the SAME batch after a restart or an unknown outcome. */
    async function submit(batch: TransferInput[]): Promise<CreateTransfersOutcome> {
      for (;;) {
        try {
          const out = await writer.createTransfers(batch);
          for (const r of out.records) acked.set(r.id, r);
          for (const r of out.results) counts.results.set(r, (counts.results.get(r) ?? 0) + 1);
          return out;
        } catch (err) {
          if (!(err instanceof LedgerUnavailableError || err instanceof LedgerWriteError)) throw err;
          counts.retries++;
          await ready;
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    }

    async function client(c: number): Promise<void> {
      const rnd = prng(c + 1);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
      const amount = () => BigInt(1 + Math.floor(rnd() * 4_000));
      const sent: TransferInput[] = [];
      let n = 0;
      const id = () => `c${c}:${n++}`;
      const pay = (from: string, to: string, extra: Partial<TransferInput> = {}): TransferInput => ({
        id: id(),
        debitAccountId: from,
        creditAccountId: to,
        amount: amount(),
        ledger: CNY,
        code: "pay",
        ...extra,
      });
      for (let call = 0; call < CALLS; call++) {
        const x = rnd();
        const batch: TransferInput[] = [];
        const other = () => {
          const a = pick(HOT);
          let b = pick(HOT);
          while (b === a) b = pick(HOT);
          return [a, b] as const;
        };
        if (x < 0.25) {
          const [a, b] = other();
          batch.push(pay(a, b));
        } else if (x < 0.4) {
          const timeoutMs = rnd() < 0.5 ? 0 : 20 + Math.floor(rnd() * 200);
          const h = pay(pick(HOT), pick(ESCROW), { kind: "pending", timeoutMs });
          holds.push(h.id);
          batch.push(h);
        } else if (x < 0.55 && holds.length > 0) {
          const p = pick(holds);
          batch.push({ id: id(), kind: "post", pendingId: p, amount: rnd() < 0.5 ? null : BigInt(1 + Math.floor(rnd() * 50)) });
        } else if (x < 0.65 && holds.length > 0) {
          batch.push({ id: id(), kind: "void", pendingId: pick(holds) });
        } else if (x < 0.78) {
          // a linked chain: hot → escrow hold → another hot, one may fail and take the chain down
          const [a, b] = other();
          batch.push(pay(a, b, { flags: TransferFlags.linked }));
          batch.push(pay(b, pick(ESCROW), { flags: TransferFlags.linked, amount: amount() * 3n }));
          batch.push(pay(pick(ESCROW), a, { amount: 1n }));
        } else if (x < 0.86 && sent.length > 0) {
          // a duplicate: the same body again (exists, or the same refusal), or another body under the same id
          const old = pick(sent);
          batch.push(rnd() < 0.7 ? old : { ...old, amount: 999_999n });
        } else if (x < 0.93) {
          batch.push(pay("clearing", pick(HOT), { code: "top_up" }));
        } else {
          // a batch of several independent payments
          for (let k = 0; k < 5; k++) {
            const [a, b] = other();
            batch.push(pay(a, b));
          }
        }
        const out = await submit(batch);
        expect(out.results).toHaveLength(batch.length);
        for (const b of batch) sent.push(b);
        counts.calls++;
      }
    }

    async function restartAt(fraction: number): Promise<void> {
      while (counts.calls < CLIENTS * CALLS * fraction) await new Promise((r) => setTimeout(r, 5));
      let reopened!: () => void;
      ready = new Promise((r) => (reopened = r));
      const before = writer;
      await before.close();
      const tip = before.tip;
      writer = await open();
      expect(writer.tip).toEqual(tip); // what the old writer committed is exactly what the new one rebuilt
      reopened();
    }

    /** Reads memory while groups are in flight: the committed view must balance and respect the limits at every moment. */
    let reads = 0;
    const readProblems: string[] = [];
    let done = false;
    async function reader(): Promise<void> {
      while (!done) {
        const tb = writer.trialBalance();
        for (const l of tb.ledgers) {
          if (l.debitsPosted !== l.creditsPosted || l.debitsPending !== l.creditsPending) readProblems.push(`unbalanced read ${JSON.stringify(l, (_, v) => (typeof v === "bigint" ? String(v) : v))}`);
        }
        for (const id of HOT) {
          const b = writer.balances(id);
          if (b && b.debitsPosted + b.debitsPending > b.creditsPosted) readProblems.push(`overdrawn read of ${id}`);
        }
        reads++;
        await new Promise((r) => setTimeout(r, 1));
      }
    }

    const readers = reader();
    await Promise.all([...Array.from({ length: CLIENTS }, (_, c) => client(c)), restartAt(1 / 3), restartAt(2 / 3)]);
    done = true;
    await readers;
    expect(readProblems.slice(0, 5)).toEqual([]);
    expect(reads).toBeGreaterThan(10);
    // let the remaining short holds expire through the timer
    await new Promise((r) => setTimeout(r, 300));
    await writer.expirePending();

    const rows = await loadRows(t.db.sql, shard);
    // every acknowledged record is stored, exactly as acknowledged
    const stored = new Map(rows.transfers.map((r) => [r.id, r]));
    for (const [id, r] of acked) expect(stored.get(id), id).toEqual(r);
    expect(rows.transfers.length).toBe(writer.tip.count);

    // balances by SQL: Σ debits = Σ credits per ledger, posted and pending; no overdraft; equal to memory and to a replay
    const bal = await sqlBalances(t.db.sql, shard);
    const perLedger = new Map<string, { dP: bigint; cP: bigint; dp: bigint; cp: bigint }>();
    const replay = replayFromDb(rows);
    for (const b of bal) {
      const l = perLedger.get(b.ledger) ?? { dP: 0n, cP: 0n, dp: 0n, cp: 0n };
      l.dP += b.debits_posted;
      l.cP += b.credits_posted;
      l.dp += b.debits_pending;
      l.cp += b.credits_pending;
      perLedger.set(b.ledger, l);
      if ((b.flags & AccountFlags.debitsMustNotExceedCredits) !== 0) {
        expect(b.debits_posted + b.debits_pending, b.account).toBeLessThanOrEqual(b.credits_posted);
      }
      const fromSql = { debitsPosted: b.debits_posted, creditsPosted: b.credits_posted, debitsPending: b.debits_pending, creditsPending: b.credits_pending };
      expect(writer.balances(b.account), b.account).toMatchObject(fromSql);
      expect(replay.balances(b.account), b.account).toMatchObject(fromSql);
    }
    for (const [, l] of perLedger) {
      expect(l.dP).toBe(l.cP);
      expect(l.dp).toBe(l.cp);
    }
    expect(writer.trialBalance().ledgers).toEqual([
      { ledger: CNY, accounts: accounts.length, debitsPosted: perLedger.get(CNY)!.dP, creditsPosted: perLedger.get(CNY)!.cP, debitsPending: perLedger.get(CNY)!.dp, creditsPending: perLedger.get(CNY)!.cp },
    ]);

    // each hold resolved at most once, and only holds are resolved
    const { rows: twice } = await t.db.sql.query(
      `SELECT pending_id, count(*) FROM ledger_transfers WHERE shard = $1 AND pending_id IS NOT NULL GROUP BY pending_id HAVING count(*) > 1`,
      [shard],
    );
    expect(twice).toEqual([]);
    const { rows: orphans } = await t.db.sql.query(
      `SELECT r.id FROM ledger_transfers r LEFT JOIN ledger_transfers h ON h.shard = r.shard AND h.id = r.pending_id AND h.kind = 'pending'
        WHERE r.shard = $1 AND r.pending_id IS NOT NULL AND h.id IS NULL`,
      [shard],
    );
    expect(orphans).toEqual([]);

    expect(writer.invariants()).toEqual({ ok: true, problems: [] });
    expect(replay.invariants()).toEqual({ ok: true, problems: [] });
    const chain = await writer.verifyChain({ pageSize: 1_000 });
    expect(chain).toMatchObject({ ok: true, checked: rows.transfers.length + rows.accounts.length });

    // the run exercised what it claims to
    const kinds = new Set(rows.transfers.map((r) => r.kind));
    expect([...kinds].sort()).toEqual(["expire", "pending", "post", "single", "void"]);
    expect(lossy.losses()).toBe(4);
    expect(counts.retries).toBeGreaterThan(0);
    for (const code of ["ok", "exists", "exceeds_credits", "linked_event_failed", "exists_with_different_fields"]) {
      expect(counts.results.get(code) ?? 0, code).toBeGreaterThan(0);
    }
    console.log(
      `[torture] ${counts.calls} calls, ${rows.transfers.length} transfers stored, ${counts.retries} retries, ${lossy.losses()} lost acks, 2 restarts, ${reads} concurrent reads`,
    );
    await writer.close();

    // and once more from a cold start
    const cold = await open();
    expect(cold.tip).toEqual(writer.tip);
    for (const a of accounts) expect(cold.balances(a.id)).toEqual(writer.balances(a.id));
    await cold.close();
  });
});
