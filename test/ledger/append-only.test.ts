// The stored ledger refuses UPDATE, DELETE and TRUNCATE; a row changed behind the triggers' back is caught by the hash chain.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccountFlags,
  LedgerCorruptError,
  hashTransfer,
  openLedgerWriter,
  type AccountInput,
  type LedgerWriter,
  type TransferInput,
  type TransferRecord,
} from "../../src/ledger";
import type { SqlClient } from "../../src/infra/db";
import { fixedClock } from "../../src/shared/clock";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { backends } from "../helpers/services";
import { loadRows } from "./ledger-db";

const CNY = "CNY";
const accounts: AccountInput[] = [
  { id: "clearing", ledger: CNY, code: "clearing" },
  { id: "wallet:a", ledger: CNY, code: "wallet", ownerId: "org_a", flags: AccountFlags.debitsMustNotExceedCredits },
  { id: "wallet:b", ledger: CNY, code: "wallet", ownerId: "org_b", flags: AccountFlags.debitsMustNotExceedCredits },
];
const single = (id: string, from: string, to: string, amount: bigint): TransferInput => ({
  id,
  debitAccountId: from,
  creditAccountId: to,
  amount,
  ledger: CNY,
  code: "test",
});

/** Runs fn with the append-only triggers bypassed for this session only (superuser), as an attacker with DB access could. */
async function behindTriggers(t: TestDatabase, fn: (c: SqlClient) => Promise<void>): Promise<void> {
  await t.db.sql.withConnection(async (c) => {
    await c.query("SET session_replication_role = replica");
    try {
      await fn(c);
    } finally {
      await c.query("RESET session_replication_role");
    }
  });
}

describe.each(backends)("append-only ledger tables on $name", (backend) => {
  let t: TestDatabase;
  const clock = fixedClock(new Date("2026-12-01T08:00:00Z"));
  let serial = 0;

  /** A shard with a few committed transfers: f1..f3 fund a, then a pays b twice. */
  async function seeded(): Promise<{ shard: string; w: LedgerWriter }> {
    const shard = `tamper${++serial}`;
    const w = await openLedgerWriter({ sql: t.db.sql, clock, shard, expiryIntervalMs: 0 });
    await w.createAccounts(accounts);
    await w.createTransfers([single("f1", "clearing", "wallet:a", 1_000n), single("f2", "clearing", "wallet:a", 2_000n)]);
    await w.createTransfers([single("f3", "clearing", "wallet:a", 3_000n)]);
    await w.createTransfers([single("p1", "wallet:a", "wallet:b", 500n)]);
    await w.createTransfers([single("p2", "wallet:a", "wallet:b", 700n)]);
    return { shard, w };
  }

  beforeAll(async () => {
    t = await createTestDatabase(backend);
  });
  afterAll(async () => t?.drop());

  it("refuses UPDATE, DELETE and TRUNCATE on ledger_transfers and ledger_accounts", async () => {
    const { shard, w } = await seeded();
    await w.close();
    const refused = async (text: string, params: unknown[] = []) => {
      const err = await t.db.sql.query(text, params).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message: string },
      );
      expect(err, text).toBeDefined();
      expect(err!.code).toBe("42501");
      expect(err!.message).toMatch(/append-only/);
    };
    await refused(`UPDATE ledger_transfers SET amount = amount + 1 WHERE shard = $1 AND id = 'f1'`, [shard]);
    await refused(`DELETE FROM ledger_transfers WHERE shard = $1 AND id = 'p2'`, [shard]);
    await refused(`TRUNCATE ledger_transfers`);
    await refused(`UPDATE ledger_accounts SET flags = 0 WHERE shard = $1 AND id = 'wallet:a'`, [shard]);
    await refused(`DELETE FROM ledger_accounts WHERE shard = $1`, [shard]);
    await refused(`TRUNCATE ledger_accounts`);
    const rows = await loadRows(t.db.sql, shard);
    expect(rows.transfers.map((r) => [r.id, r.amount])).toEqual([
      ["f1", 1_000n],
      ["f2", 2_000n],
      ["f3", 3_000n],
      ["p1", 500n],
      ["p2", 700n],
    ]);
    expect(rows.accounts).toHaveLength(3);
  });

  it("a changed amount is caught by verifyChain at that row; a reopen replays it unless asked to verify", async () => {
    const { shard, w } = await seeded();
    expect(await w.verifyChain()).toMatchObject({ ok: true, checked: 5, accountsChecked: 3 });
    await behindTriggers(t, (c) => c.query(`UPDATE ledger_transfers SET amount = 2500 WHERE shard = $1 AND id = 'f2'`, [shard]).then(() => undefined));
    const f2 = w.lookupTransfer("f2")!;
    const report = await w.verifyChain({ pageSize: 2 }); // pages must carry the chain across
    expect(report.ok).toBe(false);
    expect(report.firstBad).toEqual({ id: "f2", timestamp: String(f2.timestamp) });
    await w.close();

    // the rules still accept a bigger top-up, so a plain replay cannot tell...
    const replayed = await openLedgerWriter({ sql: t.db.sql, clock, shard, expiryIntervalMs: 0 });
    expect(replayed.balances("wallet:a")?.creditsPosted).toBe(6_500n);
    expect((await replayed.verifyChain()).firstBad?.id).toBe("f2");
    await replayed.close();
    // ...while verifying on open refuses the log
    await expect(openLedgerWriter({ sql: t.db.sql, clock, shard, verifyChainOnOpen: true })).rejects.toBeInstanceOf(LedgerCorruptError);
  });

  it("a change that breaks the rules makes the reopen refuse the log", async () => {
    const { shard, w } = await seeded();
    await w.close();
    // a pays more than it ever received: the replay's no-overdraft check fails
    await behindTriggers(t, (c) => c.query(`UPDATE ledger_transfers SET amount = 999999 WHERE shard = $1 AND id = 'p2'`, [shard]).then(() => undefined));
    const err = await openLedgerWriter({ sql: t.db.sql, clock, shard }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LedgerCorruptError);
    expect((err as Error).message).toMatch(/p2/);
  });

  it("a removed row breaks the chain at its successor; a removed tail is caught against the writer's tip", async () => {
    const { shard, w } = await seeded();
    await behindTriggers(t, (c) => c.query(`DELETE FROM ledger_transfers WHERE shard = $1 AND id = 'f3'`, [shard]).then(() => undefined));
    expect((await w.verifyChain()).firstBad?.id).toBe("p1");
    await w.close();

    const other = await seeded();
    await behindTriggers(t, (c) => c.query(`DELETE FROM ledger_transfers WHERE shard = $1 AND id = 'p2'`, [other.shard]).then(() => undefined));
    const report = await other.w.verifyChain();
    expect(report.ok).toBe(false);
    expect(report.firstBad).toBeUndefined();
    expect(report.checked).toBe(4);
    expect(report.problem).toMatch(/removed/);
    await other.w.close();
  });

  it("rewriting a row together with its own hashes still breaks the chain at the next row", async () => {
    const { shard, w } = await seeded();
    const f1 = w.lookupTransfer("f1")!;
    const f2 = w.lookupTransfer("f2")!;
    const { rows } = await t.db.sql.query<{ chain_hash: string }>(`SELECT chain_hash FROM ledger_transfers WHERE shard = $1 AND id = 'f1'`, [shard]);
    const forged: TransferRecord = { ...f2, amount: 9_000n };
    const h = hashTransfer(rows[0]!.chain_hash, forged);
    await behindTriggers(t, (c) =>
      c
        .query(`UPDATE ledger_transfers SET amount = 9000, content_hash = $2, chain_hash = $3 WHERE shard = $1 AND id = 'f2'`, [shard, h.contentHash, h.chainHash])
        .then(() => undefined),
    );
    expect(f1.timestamp).toBeLessThan(f2.timestamp);
    expect((await w.verifyChain()).firstBad?.id).toBe("f3");
    await w.close();
  });

  it("a changed account is caught by its hash", async () => {
    const { shard, w } = await seeded();
    await behindTriggers(t, (c) => c.query(`UPDATE ledger_accounts SET flags = 0 WHERE shard = $1 AND id = 'wallet:b'`, [shard]).then(() => undefined));
    const report = await w.verifyChain();
    expect(report.ok).toBe(false);
    expect(report.firstBadAccount?.id).toBe("wallet:b");
    expect(report.firstBad).toBeUndefined();
    await w.close();
    await expect(openLedgerWriter({ sql: t.db.sql, clock, shard, verifyChainOnOpen: true })).rejects.toBeInstanceOf(LedgerCorruptError);
  });
});
