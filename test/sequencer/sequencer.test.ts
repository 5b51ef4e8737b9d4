// The sequencer against a real database (PGlite always, PostgreSQL when DATABASE_URL is set): restart from the
// journal and from snapshots, bounded memory (ids older than the windows looked up, idle accounts evicted and
// loaded back), the clock's expiries, batches thrown away when the one before failed, events after commit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderHoldsAccount, walletOf, type OrderOutcome, type PartyFacts, type PlaceOrder } from "../../src/exchange";
import type { SqlPool } from "../../src/infra/db";
import { createLocalBus } from "../../src/infra/bus";
import { AccountFlags, LedgerCorruptError, LedgerWriteError, createLedgerRepository } from "../../src/ledger";
import { openSequencer, type Sequencer, type SequencerOptions } from "../../src/sequencer";
import { decodeJournal, encodeJournal } from "../../src/sequencer/journal";
import { fixedClock } from "../../src/shared/clock";
import type { DomainEvent } from "../../src/shared/events";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { behindTriggers, faultyPool, loadRows, replayFromDb } from "../helpers/ledger";
import { backends } from "../helpers/services";

const MARKET = "welder.500107.2026-12-02.D1";
const E1: PartyFacts = { id: "e1", kind: "enterprise", colour: "blue", lendsStaff: false, licensedUntil: null };
const E2: PartyFacts = { id: "e2", kind: "enterprise", colour: "blue", lendsStaff: false, licensedUntil: null };
const A1: PartyFacts = { id: "a1", kind: "agency", colour: "blue", lendsStaff: false, licensedUntil: "2029-12-31" };
const UNIT_3000 = 25_200n; // 8 h × 3000 fen + 5 % fee, per head

let serial = 0;
function order(party: PartyFacts, side: "demand" | "supply", quantity: number, rateFen: number, extra: Partial<PlaceOrder> = {}): PlaceOrder {
  return {
    id: `ord_${++serial}`,
    party,
    clientOrderId: null,
    dedupeKey: null,
    market: MARKET,
    side,
    quantity,
    rateFen,
    timeInForce: "good_till",
    goodTill: null,
    minFill: 0,
    minCertificate: 0,
    minColour: null,
    excludedSuppliers: [],
    minSplit: 1,
    allOrNone: false,
    certificate: 0,
    shared: false,
    ...extra,
  };
}

describe.each(backends)("sequencer on $name", (backend) => {
  let t: TestDatabase;
  const clock = fixedClock(new Date("2026-12-01T06:00:00Z"));
  let shardSerial = 0;
  const open = (shard: string, extra: Partial<SequencerOptions> = {}) =>
    openSequencer({ sql: t.db.sql, clock, shard, expiryIntervalMs: 0, checkpointIntervalMs: 0, ...extra });

  async function seeded(s: Sequencer, fen = 10_000_000n): Promise<void> {
    await s.createAccounts([
      { id: "platform:clearing:CNY", ledger: "CNY", code: "clearing" },
      orderHoldsAccount(),
      ...[E1, E2].map((e) => ({ id: walletOf(e.id), ledger: "CNY", code: "wallet" as const, ownerId: e.id, flags: AccountFlags.debitsMustNotExceedCredits })),
    ]);
    await s.createTransfers([E1, E2].map((e) => ({ id: `fund:${e.id}`, debitAccountId: "platform:clearing:CNY", creditAccountId: walletOf(e.id), amount: fen, ledger: "CNY", code: "top_up" })));
  }
  const place = async (s: Sequencer, o: PlaceOrder) => (await s.submit({ t: "place", order: o })) as OrderOutcome & { ok: true };

  beforeAll(async () => {
    t = await createTestDatabase(backend);
  });
  afterAll(async () => t?.drop());

  it("comes back after a restart with the same books, orders, holds and balances, and continues the sequence", async () => {
    const shard = `r${++shardSerial}`;
    const s = await open(shard);
    await seeded(s);
    const d1 = await place(s, order(E1, "demand", 3, 3000));
    const d2 = await place(s, order(E2, "demand", 2, 3100));
    const s1 = await place(s, order(A1, "supply", 2, 2900));
    expect(s1.fills.map((f) => f.rateFen)).toEqual([3100]);
    await s.submit({ t: "reduce", orderId: d1.order.id, by: "e1", quantity: 2 });
    const book = s.book(MARKET);
    const wallet = s.lookupAccount(walletOf("e1"));
    const seq = s.seq;
    const tip = s.tip;
    expect(s.invariants()).toEqual({ ok: true, problems: [] });
    await s.close();

    const again = await open(shard);
    try {
      expect(again.book(MARKET)).toMatchObject({ demand: book.demand, supply: book.supply, openOrders: 1 });
      expect(again.lookupAccount(walletOf("e1"))).toEqual(wallet);
      expect(again.seq).toBe(seq);
      expect(again.tip).toEqual(tip);
      expect(again.invariants()).toEqual({ ok: true, problems: [] });
      // the resting order still trades, its hold moves into escrow
      const s2 = await place(again, order(A1, "supply", 2, 3000));
      expect(s2.fills).toEqual([expect.objectContaining({ rateFen: 3000, qty: 2 })]);
      expect(again.seq).toBe(seq + 1);
      expect(again.lookupAccount(walletOf("e1"))?.debitsPending).toBe(0n);
      const c = s2.fills[0]!.contractId;
      expect(again.lookupAccount(`escrow:${c}:CNY`)?.creditsPosted).toBe(2n * UNIT_3000);
      void d2;
    } finally {
      await again.close();
    }
    // the stored rows alone replay to the same balances
    const rows = await loadRows(t.db.sql, shard);
    const replay = replayFromDb(rows);
    expect(replay.invariants().ok).toBe(true);
  });

  it("loads the newest snapshot and replays only the journal after it; a snapshot edited in the database is refused", async () => {
    const shard = `snap${++shardSerial}`;
    const logs: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const log = { info: (obj: object, msg: string) => void logs.push({ obj: obj as Record<string, unknown>, msg }), warn: () => undefined, error: () => undefined };
    const s = await open(shard, { snapshotOnCloseAfter: 1_000_000 });
    await seeded(s);
    await place(s, order(E1, "demand", 3, 3000));
    const at = await s.snapshot();
    expect(at).toBe(s.seq);
    await place(s, order(E2, "demand", 1, 3500));
    await place(s, order(A1, "supply", 1, 2500));
    const book = s.book(MARKET);
    const balances = [walletOf("e1"), walletOf("e2"), orderHoldsAccount().id].map((id) => s.lookupAccount(id));
    const trial = s.trialBalance();
    await s.close();

    const again = await open(shard, { log, snapshotOnCloseAfter: 1_000_000 });
    expect(logs.find((l) => l.msg === "sequencer: state loaded")?.obj).toMatchObject({ snapshot: at, replayed: 2 });
    expect(again.book(MARKET)).toMatchObject({ demand: book.demand, supply: book.supply });
    expect([walletOf("e1"), walletOf("e2"), orderHoldsAccount().id].map((id) => again.lookupAccount(id))).toEqual(balances);
    expect(again.trialBalance()).toEqual(trial);
    await again.close();

    // a balance raised in the stored snapshot: its digest and signature no longer match
    await t.db.sql.query(`UPDATE sequencer_snapshots SET state = replace(state, '"10000000"', '"99000000"') WHERE shard = $1`, [shard]);
    const err = await open(shard).then(
      async (x) => {
        await x.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LedgerCorruptError);
    expect((err as Error).message).toMatch(/snapshot .* cannot be trusted/);
  });

  it("keeps only recent ids in memory: an older client order id or transfer id is found in the database", async () => {
    const shard = `w${++shardSerial}`;
    const s = await open(shard, { recentOrders: 5, recentTransfers: 5 });
    try {
      await seeded(s);
      const first = await place(s, order(E1, "demand", 1, 2500, { clientOrderId: "keep-1", dedupeKey: "keep-1" }));
      // immediate-or-cancel orders that find nothing are done at once: their keys only need the window
      for (let i = 0; i < 20; i++) await place(s, order(E1, "demand", 1, 2500, { clientOrderId: `fill-${i}`, dedupeKey: `fill-${i}`, timeInForce: "ioc" }));
      for (let i = 0; i < 20; i++) await s.createTransfers([{ id: `t${i}`, debitAccountId: "platform:clearing:CNY", creditAccountId: walletOf("e2"), amount: 1n, ledger: "CNY", code: "x" }]);
      expect(s.stats().rememberedOrderKeys).toBeLessThanOrEqual(6); // the window, and the one still open
      expect(s.lookupTransfer("t0")).toBeUndefined(); // gone from memory…
      // …but a retry still finds it: in the database
      expect((await s.createTransfers([{ id: "t0", debitAccountId: "platform:clearing:CNY", creditAccountId: walletOf("e2"), amount: 1n, ledger: "CNY", code: "x" }])).results).toEqual(["exists"]);
      expect((await s.createTransfers([{ id: "t1", debitAccountId: "platform:clearing:CNY", creditAccountId: walletOf("e2"), amount: 2n, ledger: "CNY", code: "x" }])).results).toEqual(["exists_with_different_fields"]);
      const retry = (await s.submit({ t: "place", order: order(E1, "demand", 1, 2500, { clientOrderId: "keep-1", dedupeKey: "keep-1" }) })) as OrderOutcome;
      // the first order is still open (it rests), so memory knows its key; cancel it and push it out of the window
      expect(retry).toMatchObject({ ok: false, code: "duplicate", orderId: first.order.id });
      await s.submit({ t: "cancel", orderId: first.order.id, by: "e1" });
      for (let i = 20; i < 40; i++) await place(s, order(E2, "demand", 1, 2500, { clientOrderId: `more-${i}`, dedupeKey: `more-${i}`, timeInForce: "ioc" }));
      expect(s.stats().rememberedOrderKeys).toBeLessThanOrEqual(6);
      const later = (await s.submit({ t: "place", order: order(E1, "demand", 1, 2500, { clientOrderId: "keep-1", dedupeKey: "keep-1" }) })) as OrderOutcome;
      expect(later).toMatchObject({ ok: false, code: "duplicate", orderId: first.order.id });
      // a hold resolved long ago answers as resolved
      for (let i = 20; i < 30; i++) await s.createTransfers([{ id: `t${i}`, debitAccountId: "platform:clearing:CNY", creditAccountId: walletOf("e2"), amount: 1n, ledger: "CNY", code: "x" }]);
      expect(s.holdStatus(`${first.order.id}:hold:1`)).toBeUndefined();
      expect((await s.createTransfers([{ id: "late-void", kind: "void", pendingId: `${first.order.id}:hold:1` }])).results).toEqual(["pending_transfer_already_voided"]);
    } finally {
      await s.close();
    }
  });

  it("applies new ids at once and confirms them while the batch before is in flight; a retried older id is caught, thrown away and answered as stored", async () => {
    const shard = `opt${++shardSerial}`;
    const logs: string[] = [];
    const log = { info: (_: object, msg: string) => void logs.push(msg), warn: () => undefined, error: () => undefined };
    const s = await open(shard, { recentTransfers: 5, log });
    try {
      await seeded(s);
      const move = (id: string, amount = 1n) => ({ id, debitAccountId: "platform:clearing:CNY", creditAccountId: walletOf("e2"), amount, ledger: "CNY", code: "x" });
      // careful at first: each new id is looked up before it is applied; after a run of look-ups that found nothing, no more
      for (let i = 0; i < 30; i++) expect((await s.createTransfers([move(`n${i}`)])).results).toEqual(["ok"]);
      const before = s.lookupAccount(walletOf("e2"))!.creditsPosted;
      // concurrent calls, one of them a retry of an id long out of memory: it must not be stored twice
      const calls = await Promise.all([s.createTransfers([move("n40")]), s.createTransfers([move("n0")]), s.createTransfers([move("n1", 9n)]), s.createTransfers([move("n41")])]);
      expect(calls.map((c) => c.results[0])).toEqual(["ok", "exists", "exists_with_different_fields", "ok"]);
      expect(logs).toContain("sequencer: unsent batches thrown away; applying them again carefully");
      expect(s.lookupAccount(walletOf("e2"))!.creditsPosted).toBe(before + 2n);
      const { rows } = await t.db.sql.query<{ n: bigint }>(`SELECT count(*)::bigint AS n FROM ledger_transfers WHERE shard = $1 AND id IN ('n0', 'n1')`, [shard]);
      expect(rows[0]!.n).toBe(2n);
      expect(s.invariants()).toEqual({ ok: true, problems: [] });
    } finally {
      await s.close();
    }
  });

  it("evicts idle accounts that hold nothing and loads them back from their running totals", async () => {
    const shard = `ev${++shardSerial}`;
    const s = await open(shard, { evictAfterMs: 1_000 });
    try {
      await s.createAccounts([
        { id: "c", ledger: "CNY", code: "clearing" },
        { id: "w", ledger: "CNY", code: "wallet", flags: AccountFlags.debitsMustNotExceedCredits },
        { id: "x", ledger: "CNY", code: "escrow" },
      ]);
      await s.createTransfers([{ id: "in", debitAccountId: "c", creditAccountId: "x", amount: 700n, ledger: "CNY", code: "t" }]);
      await s.createTransfers([{ id: "out", debitAccountId: "x", creditAccountId: "w", amount: 700n, ledger: "CNY", code: "t" }]);
      const trial = s.trialBalance();
      clock.advance(60_000);
      await s.createTransfers([{ id: "poke", debitAccountId: "c", creditAccountId: "w", amount: 1n, ledger: "CNY", code: "t" }]);
      expect(s.stats().accountsInMemory).toBe(2); // x holds nothing and was idle: evicted
      expect(s.lookupAccount("x")).toBeUndefined();
      // the ledger's API still shows it, from storage
      expect(await createLedgerRepository(t.db.sql, shard).account("x")).toMatchObject({ id: "x", debitsPosted: 700n, creditsPosted: 700n, debitsPending: 0n });
      expect(s.trialBalance().codes.find((c) => c.code === "escrow")).toEqual(trial.codes.find((c) => c.code === "escrow"));
      // used again: loaded back with its totals, and its statement carries on from them
      await s.createTransfers([{ id: "again", debitAccountId: "w", creditAccountId: "x", amount: 100n, ledger: "CNY", code: "t" }]);
      expect(s.lookupAccount("x")).toMatchObject({ debitsPosted: 700n, creditsPosted: 800n });
      const lines = await s.statement("x");
      expect(lines.map((l) => [l.transfer.id, l.debitsPosted, l.creditsPosted])).toEqual([
        ["in", 0n, 700n],
        ["out", 700n, 700n],
        ["again", 700n, 800n],
      ]);
      expect((await s.createAccounts([{ id: "x", ledger: "CNY", code: "escrow" }])).results).toEqual(["exists"]);
      expect(s.invariants()).toEqual({ ok: true, problems: [] });
    } finally {
      await s.close();
    }
    const rows = await loadRows(t.db.sql, shard);
    expect(replayFromDb(rows).balances("x")).toMatchObject({ debitsPosted: 700n, creditsPosted: 800n });
  });

  it("expires good-till orders from its own clock, journalled, and a restart reproduces it", async () => {
    const shard = `exp${++shardSerial}`;
    const s = await open(shard);
    await seeded(s);
    const d = await place(s, order(E1, "demand", 2, 3000));
    expect(s.lookupAccount(walletOf("e1"))?.debitsPending).toBe(2n * UNIT_3000);
    clock.set(new Date("2026-12-01T22:00:00Z")); // good-till: shift start less two hours
    await s.expirePending();
    expect(s.book(MARKET).openOrders).toBe(0);
    expect(s.lookupAccount(walletOf("e1"))?.debitsPending).toBe(0n);
    const seq = s.seq;
    await s.close();
    clock.set(new Date("2026-12-01T06:00:00Z"));
    const again = await open(shard);
    try {
      expect(again.seq).toBe(seq);
      expect(again.book(MARKET).openOrders).toBe(0);
      expect(again.lookupAccount(walletOf("e1"))?.debitsPending).toBe(0n);
      expect((await again.submit({ t: "cancel", orderId: d.order.id, by: "e1" })) as OrderOutcome).toMatchObject({ ok: false, code: "not_found" });
    } finally {
      await again.close();
    }
  });

  it("publishes events only after their batch committed, in order, with the book's update number", async () => {
    const shard = `ev${++shardSerial}`;
    const bus = createLocalBus();
    const seen: DomainEvent[] = [];
    for (const type of ["execution", "trade", "contract.created", "book.changed"] as const) bus.subscribe(type, (e) => void seen.push(e));
    const { pool, faults } = faultyPool(t.db.sql);
    const s = await openSequencer({ sql: pool, clock, shard, expiryIntervalMs: 0, checkpointIntervalMs: 0, bus });
    try {
      await seeded(s);
      await place(s, order(E1, "demand", 2, 3000));
      const before = seen.length;
      let release!: () => void;
      faults.gate = new Promise((r) => (release = r));
      const pending = place(s, order(A1, "supply", 1, 2900));
      await new Promise((r) => setTimeout(r, 30));
      expect(seen.length).toBe(before); // in flight: nothing published yet
      expect(s.book(MARKET).demand).toEqual([{ rateFen: 3000, qty: 2, orders: 1 }]); // committed view
      faults.gate = undefined;
      release();
      await pending;
      const kinds = seen.slice(before).map((e) => (e.type === "execution" ? `${e.type}:${e.kind}` : e.type));
      expect(kinds).toEqual(["execution:accepted", "trade", "execution:filled", "execution:filled", "contract.created", "book.changed"]);
      const books = seen.filter((e): e is Extract<DomainEvent, { type: "book.changed" }> => e.type === "book.changed");
      expect(books.map((b) => b.bookSeq)).toEqual([1, 2]);
      expect(books[1]).toMatchObject({ market: MARKET, demand: [{ rateFen: 3000, qty: 1, orders: 1 }] });
    } finally {
      await s.close();
    }
  });

  it("throws away the batch built on one the database refused, and applies its commands again after the rebuild", async () => {
    const shard = `f${++shardSerial}`;
    const { pool, faults } = faultyPool(t.db.sql);
    const s = await openSequencer({ sql: pool, clock, shard, expiryIntervalMs: 0, checkpointIntervalMs: 0 });
    try {
      await seeded(s);
      let release!: () => void;
      faults.gate = new Promise((r) => (release = r));
      faults.refuseNext = true;
      const n = s.submit({ t: "place", order: order(E1, "demand", 1, 3000) });
      await new Promise((r) => setTimeout(r, 20));
      // batch N+1 fills up on top of N while N is in flight
      const n1 = s.submit({ t: "place", order: order(E2, "demand", 1, 3000) });
      const n1b = s.createTransfers([{ id: "side", debitAccountId: "platform:clearing:CNY", creditAccountId: walletOf("e1"), amount: 5n, ledger: "CNY", code: "x" }]);
      await new Promise((r) => setTimeout(r, 20));
      faults.gate = undefined;
      release();
      const failed = await n.catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(LedgerWriteError);
      expect((failed as LedgerWriteError).outcome).toBe("not_written");
      expect(await n1).toMatchObject({ ok: true, order: { organisationId: "e2", state: "open" } });
      expect((await n1b).results).toEqual(["ok"]);
      expect(s.book(MARKET).demand).toEqual([{ rateFen: 3000, qty: 1, orders: 1 }]);
      expect(s.lookupAccount(walletOf("e1"))).toMatchObject({ debitsPending: 0n, creditsPosted: 10_000_005n });
      expect(s.invariants()).toEqual({ ok: true, problems: [] });
      const { rows } = await t.db.sql.query<{ first_seq: bigint; last_seq: bigint }>(`SELECT first_seq, last_seq FROM sequencer_journal WHERE shard = $1 ORDER BY first_seq`, [shard]);
      for (let i = 1; i < rows.length; i++) expect(Number(rows[i]!.first_seq)).toBe(Number(rows[i - 1]!.last_seq) + 1);
    } finally {
      await s.close();
    }
  });

  it("refuses a journal whose entries do not replay to the stored chain", async () => {
    const shard = `j${++shardSerial}`;
    const s = await open(shard);
    await seeded(s);
    await place(s, order(E1, "demand", 2, 3000));
    await s.close();
    // the placement's headcount raised by hand in the journal, its encoding otherwise intact
    const { rows } = await t.db.sql.query<{ first_seq: bigint; commands: string }>(`SELECT first_seq, commands FROM sequencer_journal WHERE shard = $1`, [shard]);
    const row = rows.find((r) => decodeJournal(r.commands).some((e) => e.t === "place"))!;
    const forged = decodeJournal(row.commands).map((e) => (e.t === "place" ? { ...e, order: { ...e.order, quantity: 3 } } : e));
    await behindTriggers(t.db.sql as SqlPool, async (c) => {
      await c.query(`ALTER TABLE sequencer_journal DISABLE TRIGGER USER`);
      await c.query(`UPDATE sequencer_journal SET commands = $3 WHERE shard = $1 AND first_seq = $2`, [shard, row.first_seq, encodeJournal(forged)]);
      await c.query(`ALTER TABLE sequencer_journal ENABLE TRIGGER USER`);
    });
    const err = await open(shard).then(
      async (x) => {
        await x.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LedgerCorruptError);
    expect((err as Error).message).toMatch(/replay to record \d+, not to the stored record/);
  });
});
