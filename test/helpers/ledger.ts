/**
 * Shared ledger fixtures: the usual accounts and transfers, rows read
 * straight from the database (for checks that must not trust the writer),
 * tampering behind the append-only triggers, and a pool that loses or holds
 * the answers of appends.
 */
import type { SqlClient, SqlPool } from "../../src/infra/db";
import {
  AccountFlags,
  GENESIS_HASH,
  Ledger,
  chainLink,
  contentHashOf,
  type AccountInput,
  type AccountRecord,
  type ChainEntry,
  type TransferInput,
  type TransferRecord,
} from "../../src/ledger";
import { chainPages, loadAccounts, transferPages } from "../../src/ledger/ledger.repository";

export const CNY = "CNY";

/** A clearing account, two no-overdraft wallets (org_a, org_b) and an escrow account. */
export const testAccounts: AccountInput[] = [
  { id: "clearing", ledger: CNY, code: "clearing" },
  { id: "wallet:a", ledger: CNY, code: "wallet", ownerId: "org_a", flags: AccountFlags.debitsMustNotExceedCredits },
  { id: "wallet:b", ledger: CNY, code: "wallet", ownerId: "org_b", flags: AccountFlags.debitsMustNotExceedCredits },
  { id: "escrow:c1", ledger: CNY, code: "escrow", ownerId: "c1" },
];

/** A single-phase CNY transfer. */
export function single(id: string, from: string, to: string, amount: bigint, extra: Partial<TransferInput> = {}): TransferInput {
  return { id, debitAccountId: from, creditAccountId: to, amount, ledger: CNY, code: "test", ...extra };
}

export interface ShardRows {
  accounts: AccountRecord[];
  transfers: TransferRecord[];
}

/** A shard's records read straight from the database. */
export async function loadRows(sql: SqlClient, shard: string): Promise<ShardRows> {
  const accounts = (await loadAccounts(sql, shard)).map((a) => a.record);
  const transfers: TransferRecord[] = [];
  for await (const page of transferPages(sql, shard, 5_000)) for (const r of page) transfers.push(r.record);
  return { accounts, transfers };
}

/** An independent Ledger rebuilt from the rows (throws if they do not replay). */
export function replayFromDb(rows: ShardRows): Ledger {
  return Ledger.restore(rows.accounts, rows.transfers);
}

/**
 * Runs fn on one connection with the append-only triggers of the ledger
 * tables disabled, as the tables' owner (or a superuser) could, and enables
 * them again afterwards.
 */
export async function behindTriggers(sql: SqlPool, fn: (c: SqlClient) => Promise<unknown>): Promise<void> {
  const tables = ["ledger_accounts", "ledger_transfers", "ledger_checkpoints"];
  await sql.withConnection(async (c) => {
    for (const t of tables) await c.query(`ALTER TABLE "${t}" DISABLE TRIGGER USER`);
    try {
      await fn(c);
    } finally {
      for (const t of tables) await c.query(`ALTER TABLE "${t}" ENABLE TRIGGER USER`);
    }
  });
}

/**
 * A pool whose dedicated connections (the writer's session) can lose the
 * answer of an append after it committed, refuse the next append with an
 * ERROR (nothing stored), or hold appends until a gate opens:
 * `faults.loseNextAck`, `faults.refuseNext`, `faults.gate`, and with
 * `loseEvery` every n-th append's answer up to `maxLosses`.
 */
export function faultyPool(sql: SqlPool, options: { loseEvery?: number; maxLosses?: number } = {}) {
  const faults = { loseNextAck: false, refuseNext: false, gate: undefined as Promise<void> | undefined };
  let appends = 0;
  let losses = 0;
  const wrap = (conn: SqlClient): SqlClient => ({
    exec: (s) => conn.exec(s),
    async query<R>(text: string, params?: readonly unknown[]) {
      const isAppend = /INSERT INTO "(ledger_accounts|ledger_transfers|sequencer_journal)"/.test(text);
      if (isAppend && faults.gate) await faults.gate;
      if (isAppend && faults.refuseNext) {
        // the server answers with an ERROR: the statement's transaction rolled back, nothing is stored
        faults.refuseNext = false;
        throw Object.assign(new Error('duplicate key value violates unique constraint "ledger_transfers_shard_id_key"'), { severity: "ERROR", code: "23505" });
      }
      const r = await conn.query<R>(text, params);
      if (!isAppend) return r;
      appends++;
      const periodic = options.loseEvery !== undefined && appends % options.loseEvery === 0 && losses < (options.maxLosses ?? Infinity);
      if (faults.loseNextAck || periodic) {
        faults.loseNextAck = false;
        losses++;
        throw new Error("Connection terminated unexpectedly");
      }
      return r;
    },
  });
  const pool: SqlPool = {
    query: (text, params) => sql.query(text, params),
    exec: (s) => sql.exec(s),
    transaction: (fn) => sql.transaction(fn),
    withConnection: (fn) => sql.withConnection((conn) => fn(wrap(conn))),
  };
  return { pool, faults, losses: () => losses };
}

/**
 * Rewrites a shard's history as an attacker with the owner's rights would:
 * `edit` returns a changed record for the entries to change; every hash
 * from the first change on is recomputed, so the stored chain verifies on
 * its own. Returns the positions changed.
 */
export async function rewriteChain(
  sql: SqlPool,
  shard: string,
  edit: (e: ChainEntry) => AccountRecord | TransferRecord | undefined,
): Promise<number[]> {
  const entries: ChainEntry[] = [];
  for await (const page of chainPages(sql, shard, 0, 1000)) entries.push(...page);
  const changed: number[] = [];
  let prev = GENESIS_HASH;
  let dirty = false;
  const updates: ChainEntry[] = [];
  for (const e of entries) {
    const record = edit(e);
    let next = e;
    if (record !== undefined) {
      next = { ...e, record } as ChainEntry;
      changed.push(e.sequence);
      dirty = true;
    }
    if (dirty) {
      const contentHash = contentHashOf(next);
      next = { ...next, contentHash, chainHash: chainLink(prev, contentHash) } as ChainEntry;
      updates.push(next);
    }
    prev = next.chainHash;
  }
  await behindTriggers(sql, async (c) => {
    for (const u of updates) {
      if (u.type === "account") {
        const a = u.record;
        await c.query(
          `UPDATE ledger_accounts SET code = $3, owner_id = $4, flags = $5, user_data = $6, content_hash = $7, chain_hash = $8 WHERE shard = $1 AND sequence = $2`,
          [shard, u.sequence, a.code, a.ownerId, a.flags, a.userData, u.contentHash, u.chainHash],
        );
      } else {
        const t = u.record;
        await c.query(
          `UPDATE ledger_transfers SET amount = $3, code = $4, flags = $5, user_data = $6, content_hash = $7, chain_hash = $8 WHERE shard = $1 AND sequence = $2`,
          [shard, u.sequence, t.amount, t.code, t.flags, t.userData, u.contentHash, u.chainHash],
        );
      }
    }
  });
  return changed;
}
