// The checkpoint migration (20261201300000) numbers the records a ledger already holds, chains accounts and
// transfers into one sequence, and refuses an old chain that was already broken instead of re-anchoring it.
import { afterEach, describe, expect, it } from "vitest";
import type { SqlClient } from "../../src/infra/db";
import { migrate, readMigrations } from "../../src/infra/migrate";
import { GENESIS_HASH, Ledger, hashAccount, hashTransfer, openLedgerWriter } from "../../src/ledger";
import { fixedClock } from "../../src/shared/clock";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { single, testAccounts } from "../helpers/ledger";
import { backends } from "../helpers/services";

const STAMP = "20261201300000_ledger_checkpoints";

/** Writes a shard the way the ledger stored it before the migration: accounts with their own hash, a chain over transfers only. */
async function writeOldShard(sql: SqlClient, shard: string, options: { breakAt?: string } = {}): Promise<void> {
  const ledger = new Ledger();
  const now = Date.parse("2026-11-30T08:00:00Z");
  // an account created between transfers: its position falls between theirs
  const accounts = ledger.createAccounts(testAccounts, now).records;
  const transfers = ledger.createTransfers([single("f1", "clearing", "wallet:a", 1_000n), single("f2", "clearing", "wallet:b", 500n)], now + 1).records;
  accounts.push(...ledger.createAccounts([{ id: "late", ledger: "CNY", code: "wallet" }], now + 2).records);
  transfers.push(...ledger.createTransfers([single("p1", "wallet:a", "late", 300n)], now + 3).records);
  for (const a of accounts) {
    await sql.query(
      `INSERT INTO ledger_accounts (shard, id, ledger, code, owner_id, flags, user_data, timestamp, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [shard, a.id, a.ledger, a.code, a.ownerId, a.flags, a.userData, a.timestamp, hashAccount(a)],
    );
  }
  let prev = GENESIS_HASH;
  for (const t of transfers) {
    const h = hashTransfer(prev, t);
    prev = h.chainHash;
    const chain = t.id === options.breakAt ? "f".repeat(64) : h.chainHash;
    await sql.query(
      `INSERT INTO ledger_transfers (shard, timestamp, id, kind, debit_account_id, credit_account_id, amount, pending_id, ledger, code, flags, timeout_ms, user_data, content_hash, chain_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [shard, t.timestamp, t.id, t.kind, t.debitAccountId, t.creditAccountId, t.amount, t.pendingId, t.ledger, t.code, t.flags, t.timeoutMs, t.userData, h.contentHash, chain],
    );
  }
}

describe.each(backends)("the ledger checkpoint migration on $name", (backend) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.drop();
    t = undefined;
  });

  it("numbers existing accounts and transfers in creation order and chains them; the writer then verifies and signs them", async () => {
    t = await createTestDatabase(backend, { migrate: false });
    const all = await readMigrations();
    await migrate(t.db.sql, all.filter((m) => m.name < STAMP));
    await writeOldShard(t.db.sql, "main");
    await writeOldShard(t.db.sql, "other");
    expect((await migrate(t.db.sql, all)).applied).toContain(STAMP);

    const { rows } = await t.db.sql.query<{ id: string; sequence: bigint }>(
      `SELECT id, sequence FROM ledger_accounts WHERE shard = 'main' UNION ALL SELECT id, sequence FROM ledger_transfers WHERE shard = 'main' ORDER BY sequence`,
    );
    expect(rows.map((r) => [r.id, Number(r.sequence)])).toEqual([
      ["clearing", 1],
      ["wallet:a", 2],
      ["wallet:b", 3],
      ["escrow:c1", 4],
      ["f1", 5],
      ["f2", 6],
      ["late", 7],
      ["p1", 8],
    ]);
    for (const shard of ["main", "other"]) {
      const w = await openLedgerWriter({ sql: t.db.sql, clock: fixedClock(new Date("2026-12-01T08:00:00Z")), shard, expiryIntervalMs: 0, verifyOnOpen: "full" });
      expect(w.tip.sequence).toBe(8);
      expect(w.lastCheckpoint?.sequence).toBe(8); // signed at open: the migrated history is anchored
      expect(await w.verifyChain()).toMatchObject({ ok: true, checked: 8 });
      expect(w.balances("late")?.creditsPosted).toBe(300n);
      await w.close();
    }
  });

  it("refuses to re-anchor an old chain that was already broken", async () => {
    t = await createTestDatabase(backend, { migrate: false });
    const all = await readMigrations();
    await migrate(t.db.sql, all.filter((m) => m.name < STAMP));
    await writeOldShard(t.db.sql, "main", { breakAt: "f2" });
    await expect(migrate(t.db.sql, all)).rejects.toThrow(/transfer f2 breaks the stored hash chain/);
  });
});
