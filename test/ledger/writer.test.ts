// The ledger's single writer against a real database: PGlite always, PostgreSQL when DATABASE_URL is set.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Ledger, LedgerShardBusyError, LedgerWriteError, TransferFlags, openLedgerWriter, type LedgerWriter } from "../../src/ledger";
import type { SqlPool } from "../../src/infra/db";
import { fixedClock } from "../../src/shared/clock";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { CNY, faultyPool, loadRows, replayFromDb, single, testAccounts as accounts } from "../helpers/ledger";
import { backends } from "../helpers/services";

describe.each(backends)("ledger writer on $name", (backend) => {
  let t: TestDatabase;
  const clock = fixedClock(new Date("2026-12-01T08:00:00Z"));
  const writers: LedgerWriter[] = [];
  let shardSerial = 0;
  const open = async (shard: string, extra: { sql?: SqlPool } = {}) => {
    const w = await openLedgerWriter({ sql: extra.sql ?? t.db.sql, clock, shard, expiryIntervalMs: 0 });
    writers.push(w);
    return w;
  };
  const newShard = () => `s${++shardSerial}`;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
  });
  afterEach(async () => {
    for (const w of writers.splice(0)) await w.close();
  });
  afterAll(async () => t?.drop());

  it("persists accounts and transfers, and acknowledges only what is committed", async () => {
    const shard = newShard();
    const w = await open(shard);
    const acc = await w.createAccounts(accounts);
    expect(acc.results).toEqual(["ok", "ok", "ok", "ok"]);
    const { rows: accRows } = await t.db.sql.query<{ id: string; timestamp: bigint }>(
      `SELECT id, timestamp FROM ledger_accounts WHERE shard = $1 ORDER BY timestamp`,
      [shard],
    );
    expect(accRows.map((r) => r.id)).toEqual(accounts.map((a) => a.id));

    // many concurrent submissions: each one's rows are in the database when its promise resolves
    const checks = Array.from({ length: 30 }, async (_, i) => {
      const out = await w.createTransfers([single(`fund-${i}`, "clearing", "wallet:a", 100n)]);
      expect(out.results).toEqual(["ok"]);
      const { rows } = await t.db.sql.query<{ amount: bigint; timestamp: bigint }>(
        `SELECT amount, timestamp FROM ledger_transfers WHERE shard = $1 AND id = $2`,
        [shard, `fund-${i}`],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]!.amount).toBe(100n);
      expect(Number(rows[0]!.timestamp)).toBe(out.records[0]!.timestamp);
    });
    await Promise.all(checks);
    expect(w.balances("wallet:a")).toMatchObject({ creditsPosted: 3000n, debitsPosted: 0n });
    expect(w.lookupTransfer("fund-7")?.amount).toBe(100n);
    expect(w.tip.count).toBe(30);

    // a refused transfer stores nothing
    const over = await w.createTransfers([single("over", "wallet:a", "wallet:b", 3001n)]);
    expect(over.results).toEqual(["exceeds_credits"]);
    expect(over.records).toEqual([]);
    expect(w.lookupTransfer("over")).toBeUndefined();
    expect((await w.verifyChain()).ok).toBe(true);
  });

  it("rebuilds identical balances on reopen and answers retried ids with exists", async () => {
    const shard = newShard();
    const w = await open(shard);
    await w.createAccounts(accounts);
    await w.createTransfers([single("f1", "clearing", "wallet:a", 10_000n), single("f2", "clearing", "wallet:b", 5_000n)]);
    await w.createTransfers([
      { ...single("h1", "wallet:a", "escrow:c1", 4_000n), kind: "pending", flags: TransferFlags.linked },
      single("x1", "wallet:b", "wallet:a", 1_000n),
    ]);
    await w.createTransfers([{ id: "p1", kind: "post", pendingId: "h1", amount: 2_500n }]);
    await w.createTransfers([{ ...single("h2", "wallet:b", "escrow:c1", 700n), kind: "pending" }]);
    const before = accounts.map((a) => w.lookupAccount(a.id));
    const trial = w.trialBalance();
    const tip = w.tip;
    await w.close();
    writers.length = 0;

    const again = await open(shard);
    expect(accounts.map((a) => again.lookupAccount(a.id))).toEqual(before);
    expect(again.trialBalance()).toEqual(trial);
    expect(again.tip).toEqual(tip);
    expect(again.holdStatus("h1")).toBe("posted");
    expect(again.holdStatus("h2")).toBe("pending");
    const retry = await again.createTransfers([
      single("f1", "clearing", "wallet:a", 10_000n),
      { id: "p1", kind: "post", pendingId: "h1", amount: 2_500n },
    ]);
    expect(retry.results).toEqual(["exists", "exists"]);
    expect(retry.records).toEqual([]);
    expect((await again.createAccounts([accounts[1]!])).results).toEqual(["exists"]);
    expect(again.invariants()).toEqual({ ok: true, problems: [] });

    const rows = await loadRows(t.db.sql, shard);
    const replay = replayFromDb(rows);
    for (const a of accounts) expect(replay.balances(a.id)).toEqual(again.balances(a.id));
  });

  it("persists expiry records, from the timer-free call and from batches", async () => {
    const shard = newShard();
    const w = await open(shard);
    await w.createAccounts(accounts);
    await w.createTransfers([single("f", "clearing", "wallet:a", 1_000n)]);
    await w.createTransfers([{ ...single("h", "wallet:a", "escrow:c1", 600n), kind: "pending", timeoutMs: 1_000 }]);
    await w.createTransfers([{ ...single("h-late", "wallet:a", "escrow:c1", 100n), kind: "pending", timeoutMs: 5_000 }]);
    expect(w.balances("wallet:a")?.debitsPending).toBe(700n);
    expect(await w.expirePending()).toEqual([]);
    clock.advance(1_001); // timestamps are µs past the clock's ms: 1 000 ms after the hold is not yet due
    const expired = await w.expirePending();
    expect(expired.map((r) => [r.id, r.kind, r.amount])).toEqual([["~expire:h", "expire", 600n]]);
    expect(w.holdStatus("h")).toBe("expired");
    clock.advance(4_000);
    const out = await w.createTransfers([single("g", "clearing", "wallet:b", 1n)]);
    expect(out.records.map((r) => r.id)).toEqual(["~expire:h-late", "g"]);
    const { rows } = await t.db.sql.query<{ id: string; pending_id: string }>(
      `SELECT id, pending_id FROM ledger_transfers WHERE shard = $1 AND kind = 'expire' ORDER BY timestamp`,
      [shard],
    );
    expect(rows).toEqual([
      { id: "~expire:h", pending_id: "h" },
      { id: "~expire:h-late", pending_id: "h-late" },
    ]);
    await w.close();
    writers.length = 0;
    const again = await open(shard);
    expect(again.holdStatus("h")).toBe("expired");
    expect(again.balances("wallet:a")).toMatchObject({ debitsPending: 0n, debitsPosted: 0n });
    expect((await again.verifyChain()).ok).toBe(true);
  });

  it("expires due holds on its timer", async () => {
    const shard = newShard();
    const w = await openLedgerWriter({ sql: t.db.sql, clock, shard, expiryIntervalMs: 20 });
    writers.push(w);
    await w.createAccounts(accounts);
    await w.createTransfers([single("f", "clearing", "wallet:a", 1_000n)]);
    await w.createTransfers([{ ...single("h", "wallet:a", "escrow:c1", 600n), kind: "pending", timeoutMs: 1 }]);
    clock.advance(2);
    await expect.poll(() => w.holdStatus("h"), { timeout: 5_000 }).toBe("expired");
    const { rows } = await t.db.sql.query(`SELECT 1 FROM ledger_transfers WHERE shard = $1 AND id = '~expire:h'`, [shard]);
    expect(rows).toHaveLength(1);
  });

  it("reads statements from the database with running posted totals", async () => {
    const shard = newShard();
    const w = await open(shard);
    await w.createAccounts(accounts);
    await w.createTransfers([single("s1", "clearing", "wallet:a", 1_000n)]);
    await w.createTransfers([single("s2", "wallet:a", "wallet:b", 300n)]);
    await w.createTransfers([{ ...single("s3", "wallet:a", "escrow:c1", 200n), kind: "pending" }]);
    await w.createTransfers([{ id: "s4", kind: "post", pendingId: "s3", amount: 150n }]);
    await w.createTransfers([single("s5", "wallet:b", "wallet:a", 50n)]);
    const lines = await w.statement("wallet:a");
    expect(lines.map((l) => [l.transfer.id, l.direction, l.debitsPosted, l.creditsPosted])).toEqual([
      ["s1", "credit", 0n, 1_000n],
      ["s2", "debit", 300n, 1_000n],
      ["s3", "debit", 300n, 1_000n],
      ["s4", "debit", 450n, 1_000n],
      ["s5", "credit", 450n, 1_050n],
    ]);
    const page1 = await w.statement("wallet:a", { limit: 2 });
    const page2 = await w.statement("wallet:a", { afterTimestamp: page1[1]!.transfer.timestamp, limit: 2 });
    const page3 = await w.statement("wallet:a", { afterTimestamp: page2[1]!.transfer.timestamp, limit: 2 });
    expect([...page1, ...page2, ...page3]).toEqual(lines);
    expect(await w.statement("nobody")).toEqual([]);
    const last = lines.at(-1)!;
    const b = w.balances("wallet:a")!;
    expect([last.debitsPosted, last.creditsPosted]).toEqual([b.debitsPosted, b.creditsPosted]);
  });

  it("reports a trial balance per ledger and per account code", async () => {
    const shard = newShard();
    const w = await open(shard);
    await w.createAccounts([...accounts, { id: "usd:clearing", ledger: "USD", code: "clearing" }, { id: "usd:w", ledger: "USD", code: "wallet" }]);
    await w.createTransfers([single("t1", "clearing", "wallet:a", 500n), single("t2", "clearing", "wallet:b", 200n)]);
    await w.createTransfers([{ ...single("t3", "wallet:a", "escrow:c1", 100n), kind: "pending" }]);
    await w.createTransfers([{ ...single("u1", "usd:clearing", "usd:w", 9n, { ledger: "USD" }) }]);
    const tb = w.trialBalance();
    expect(tb.ledgers).toEqual([
      { ledger: "CNY", accounts: 4, debitsPosted: 700n, creditsPosted: 700n, debitsPending: 100n, creditsPending: 100n },
      { ledger: "USD", accounts: 2, debitsPosted: 9n, creditsPosted: 9n, debitsPending: 0n, creditsPending: 0n },
    ]);
    expect(tb.codes.find((c) => c.ledger === "CNY" && c.code === "wallet")).toEqual({
      ledger: "CNY",
      code: "wallet",
      accounts: 2,
      debitsPosted: 0n,
      creditsPosted: 700n,
      debitsPending: 100n,
      creditsPending: 0n,
    });
    expect(tb.asOf).toBe(w.tip.timestamp);
  });

  it("refuses a second writer of the same shard, and takes it once the first closes", async () => {
    const shard = newShard();
    const w = await open(shard);
    await expect(openLedgerWriter({ sql: t.db.sql, clock, shard })).rejects.toBeInstanceOf(LedgerShardBusyError);
    const other = await open(newShard()); // another shard is independent
    expect(other.tip.count).toBe(0);
    await w.close();
    const next = await open(shard);
    expect(next.shard).toBe(shard);
  });

  it("refuses NUL and unpaired surrogates before they reach the group", async () => {
    const w = await open(newShard());
    await w.createAccounts(accounts);
    await expect(w.createTransfers([single("bad\u0000id", "clearing", "wallet:a", 1n)])).rejects.toMatchObject({ code: "validation_failed" });
    await expect(w.createTransfers([single("ok", "clearing", "wallet:a", 1n, { userData: "x\ud800" })])).rejects.toMatchObject({
      code: "validation_failed",
    });
    expect((await w.createTransfers([single("ok", "clearing", "wallet:a", 1n, { userData: "工资 😀" })])).results).toEqual(["ok"]);
    expect((await w.verifyChain()).ok).toBe(true);
  });

  it("rolls a group back when the database refuses it, and keeps going", async () => {
    const shard = newShard();
    // The server refuses the append with an ERROR (as a unique violation would): nothing of the batch is stored.
    // (Before the sequencer this test planted a foreign row in the shard; a rebuild now rightly refuses such a shard.)
    const { pool, faults } = faultyPool(t.db.sql);
    const w = await open(shard, { sql: pool });
    await w.createAccounts(accounts);
    await w.createTransfers([single("a1", "clearing", "wallet:a", 100n)]);
    faults.refuseNext = true;
    const failed = await w.createTransfers([single("a2", "clearing", "wallet:a", 5n)]).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(LedgerWriteError);
    expect((failed as LedgerWriteError).outcome).toBe("not_written");
    expect(w.lookupTransfer("a2")).toBeUndefined();
    expect(w.balances("wallet:a")?.creditsPosted).toBe(100n);
    expect((await w.createTransfers([single("a3", "clearing", "wallet:a", 7n)])).results).toEqual(["ok"]);
    expect(w.balances("wallet:a")?.creditsPosted).toBe(107n);
    // a2 was never stored: the same id is free
    expect((await w.createTransfers([single("a2", "clearing", "wallet:a", 5n)])).results).toEqual(["ok"]);
    expect((await w.verifyChain()).ok).toBe(true);
  });
});

describe.each(backends)("ledger writer faults on $name", (backend) => {
  let t: TestDatabase;
  const clock = fixedClock(new Date("2026-12-01T08:00:00Z"));
  beforeAll(async () => {
    t = await createTestDatabase(backend);
  });
  afterAll(async () => t?.drop());

  it("on an unknown outcome rejects with 'unknown', rebuilds from the database, and a retry answers exists", async () => {
    const { pool, faults } = faultyPool(t.db.sql);
    const w = await openLedgerWriter({ sql: pool, clock, shard: "faults", expiryIntervalMs: 0 });
    try {
      await w.createAccounts(accounts);
      await w.createTransfers([single("k1", "clearing", "wallet:a", 100n)]);
      faults.loseNextAck = true;
      const lost = await w.createTransfers([single("k2", "clearing", "wallet:a", 50n)]).catch((e: unknown) => e);
      expect(lost).toBeInstanceOf(LedgerWriteError);
      expect((lost as LedgerWriteError).outcome).toBe("unknown");
      // it was in fact committed: after the rebuild the writer knows it
      const retry = await w.createTransfers([single("k2", "clearing", "wallet:a", 50n)]);
      expect(retry.results).toEqual(["exists"]);
      expect(w.balances("wallet:a")?.creditsPosted).toBe(150n);
      expect((await w.verifyChain()).ok).toBe(true);
      expect(w.tip.count).toBe(2);
    } finally {
      await w.close();
    }
  });

  it("shows readers committed state only while a group is in flight", async () => {
    const { pool, faults } = faultyPool(t.db.sql);
    const w = await openLedgerWriter({ sql: pool, clock, shard: "inflight", expiryIntervalMs: 0 });
    try {
      await w.createAccounts(accounts);
      await w.createTransfers([single("i1", "clearing", "wallet:a", 1_000n), single("i0", "clearing", "wallet:b", 1_000n)]);
      await w.createTransfers([{ ...single("ih", "wallet:a", "escrow:c1", 400n), kind: "pending", flags: TransferFlags.closingDebit }]);
      await w.createTransfers([{ ...single("ih3", "wallet:b", "escrow:c1", 300n), kind: "pending" }]);
      const before = accounts.map((a) => w.lookupAccount(a.id));
      const trial = w.trialBalance();
      expect(before[1]!.frozen).toBe(true);
      let open!: () => void;
      faults.gate = new Promise((r) => (open = r));
      const pending = w.createTransfers([
        { id: "iv", kind: "void", pendingId: "ih" },
        single("i2", "wallet:a", "wallet:b", 600n),
        { ...single("ih2", "wallet:a", "escrow:c1", 100n), kind: "pending" },
        { id: "ip", kind: "post", pendingId: "ih3", amount: 120n },
      ]);
      const acc = w.createAccounts([{ id: "new", ledger: CNY, code: "wallet" }]);
      await new Promise((r) => setTimeout(r, 20));
      expect(accounts.map((a) => w.lookupAccount(a.id))).toEqual(before);
      expect(w.trialBalance()).toEqual(trial);
      expect(w.lookupTransfer("i2")).toBeUndefined();
      expect(w.holdStatus("ih")).toBe("pending");
      expect(w.holdStatus("ih2")).toBeUndefined();
      expect(w.holdStatus("ih3")).toBe("pending");
      expect(w.lookupAccount("new")).toBeUndefined();
      faults.gate = undefined;
      open();
      expect((await pending).results).toEqual(["ok", "ok", "ok", "ok"]);
      await acc;
      expect(w.lookupAccount("wallet:a")).toMatchObject({ frozen: false, debitsPosted: 600n, debitsPending: 100n });
      expect(w.holdStatus("ih")).toBe("voided");
      expect(w.lookupAccount("wallet:b")).toMatchObject({ debitsPosted: 120n, debitsPending: 0n, creditsPosted: 1_600n });
      expect(w.lookupAccount("new")).toBeDefined();
    } finally {
      await w.close();
    }
  });
});

describe("replay helper", () => {
  it("rebuilds an empty ledger", () => {
    expect(replayFromDb({ accounts: [], transfers: [] })).toBeInstanceOf(Ledger);
  });
});
