/**
 * The ledger's SQL: the append of one group (accounts and transfers of many
 * submissions) as ONE statement, so it is one transaction and one round trip;
 * the reads that rebuild a writer; statements; the chain a verification
 * walks; signed checkpoints. Raw SQL on the hot path, through the pool of
 * src/infra/db.ts (PostgreSQL or PGlite).
 */
import { createHash } from "node:crypto";
import type { SqlClient } from "../infra/db";
import { AccountFlags, type AccountCode, type AccountRecord, type AccountSnapshot, type TransferKind, type TransferRecord } from "./ledger.types";
import type { ChainEntry } from "./ledger.hash";
import type { Checkpoint } from "./ledger.checkpoint";

/** A transfer as stored, with its position and hashes. */
export interface StoredTransfer {
  readonly record: TransferRecord;
  readonly sequence: number;
  readonly contentHash: string;
  readonly chainHash: string;
}

/** An account as stored, with its position and hashes. */
export interface StoredAccount {
  readonly record: AccountRecord;
  readonly sequence: number;
  readonly contentHash: string;
  readonly chainHash: string;
}

// ------------------------------------------------------------------ reading

interface AccountRow {
  sequence: bigint;
  id: string;
  ledger: string;
  code: string;
  owner_id: string | null;
  flags: number;
  user_data: string | null;
  timestamp: bigint;
  content_hash: string;
  chain_hash: string;
}

interface TransferRow {
  sequence: bigint;
  timestamp: bigint;
  id: string;
  kind: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: bigint;
  pending_id: string | null;
  ledger: string;
  code: string;
  flags: number;
  timeout_ms: bigint;
  user_data: string | null;
  content_hash: string;
  chain_hash: string;
}

const ACCOUNT_COLUMNS = `"sequence", "id", "ledger", "code", "owner_id", "flags", "user_data", "timestamp", "content_hash", "chain_hash"`;

const TRANSFER_COLUMNS = `"sequence", "timestamp", "id", "kind", "debit_account_id", "credit_account_id", "amount", "pending_id",
  "ledger", "code", "flags", "timeout_ms", "user_data", "content_hash", "chain_hash"`;

function toAccount(r: AccountRow): StoredAccount {
  return {
    record: {
      id: r.id,
      ledger: r.ledger,
      code: r.code as AccountCode,
      ownerId: r.owner_id,
      flags: r.flags,
      userData: r.user_data,
      timestamp: Number(r.timestamp),
    },
    sequence: Number(r.sequence),
    contentHash: r.content_hash,
    chainHash: r.chain_hash,
  };
}

function toTransfer(r: TransferRow): StoredTransfer {
  return {
    record: {
      id: r.id,
      kind: r.kind as TransferKind,
      debitAccountId: r.debit_account_id,
      creditAccountId: r.credit_account_id,
      amount: r.amount,
      pendingId: r.pending_id,
      ledger: r.ledger,
      code: r.code,
      flags: r.flags,
      timeoutMs: Number(r.timeout_ms),
      userData: r.user_data,
      timestamp: Number(r.timestamp),
    },
    sequence: Number(r.sequence),
    contentHash: r.content_hash,
    chainHash: r.chain_hash,
  };
}

/** Every account of a shard, in sequence (= timestamp) order. */
export async function loadAccounts(sql: SqlClient, shard: string): Promise<StoredAccount[]> {
  const { rows } = await sql.query<AccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM "ledger_accounts" WHERE "shard" = $1 ORDER BY "sequence"`,
    [shard],
  );
  return rows.map(toAccount);
}

/** Up to `limit` transfers of a shard with sequence in (after, upTo], in sequence (= timestamp) order. */
export async function transferPage(
  sql: SqlClient,
  shard: string,
  after: number,
  limit: number,
  upTo: number = Number.MAX_SAFE_INTEGER,
): Promise<StoredTransfer[]> {
  const { rows } = await sql.query<TransferRow>(
    `SELECT ${TRANSFER_COLUMNS} FROM "ledger_transfers"
      WHERE "shard" = $1 AND "sequence" > $2 AND "sequence" <= $3
      ORDER BY "sequence" LIMIT $4`,
    [shard, after, upTo, limit],
  );
  return rows.map(toTransfer);
}

/** Every transfer of a shard with its hashes, in sequence order, read in keyset pages. */
export async function* transferPages(
  sql: SqlClient,
  shard: string,
  pageSize: number,
  upTo?: number,
): AsyncGenerator<StoredTransfer[]> {
  let after = 0;
  for (;;) {
    const page = await transferPage(sql, shard, after, pageSize, upTo);
    if (page.length === 0) return;
    yield page;
    after = (page[page.length - 1] as StoredTransfer).sequence;
    if (page.length < pageSize) return;
  }
}

// One row shape for both tables: the columns the other table lacks are NULL.
interface ChainRow extends Omit<TransferRow, "kind" | "debit_account_id" | "credit_account_id" | "amount" | "timeout_ms"> {
  type: "account" | "transfer";
  kind: string | null;
  debit_account_id: string | null;
  credit_account_id: string | null;
  amount: bigint | null;
  timeout_ms: bigint | null;
  owner_id: string | null;
}

const CHAIN_PAGE = `
SELECT * FROM (
  (SELECT 'account' AS "type", "sequence", "timestamp", "id", NULL::text AS "kind", NULL::text AS "debit_account_id",
          NULL::text AS "credit_account_id", NULL::bigint AS "amount", NULL::text AS "pending_id", "ledger", "code", "flags",
          NULL::bigint AS "timeout_ms", "user_data", "owner_id", "content_hash", "chain_hash"
     FROM "ledger_accounts" WHERE "shard" = $1 AND "sequence" > $2 AND "sequence" <= $3 ORDER BY "sequence" LIMIT $4)
  UNION ALL
  (SELECT 'transfer', "sequence", "timestamp", "id", "kind", "debit_account_id", "credit_account_id", "amount", "pending_id",
          "ledger", "code", "flags", "timeout_ms", "user_data", NULL::text, "content_hash", "chain_hash"
     FROM "ledger_transfers" WHERE "shard" = $1 AND "sequence" > $2 AND "sequence" <= $3 ORDER BY "sequence" LIMIT $4)
) AS "chain" ORDER BY "sequence" LIMIT $4`;

function toEntry(r: ChainRow): ChainEntry {
  if (r.type === "account") {
    return { type: "account", ...toAccount(r as unknown as AccountRow) };
  }
  return { type: "transfer", ...toTransfer(r as unknown as TransferRow) };
}

/** Up to `limit` records (accounts and transfers) of a shard's chain with sequence in (after, upTo], in sequence order. */
export async function chainPage(sql: SqlClient, shard: string, after: number, limit: number, upTo = Number.MAX_SAFE_INTEGER): Promise<ChainEntry[]> {
  const { rows } = await sql.query<ChainRow>(CHAIN_PAGE, [shard, after, upTo, limit]);
  return rows.map(toEntry);
}

/** A shard's chain from sequence `after` + 1 on, in keyset pages. */
export async function* chainPages(sql: SqlClient, shard: string, after: number, pageSize: number, upTo?: number): AsyncGenerator<ChainEntry[]> {
  let from = after;
  for (;;) {
    const page = await chainPage(sql, shard, from, pageSize, upTo);
    if (page.length === 0) return;
    yield page;
    from = (page[page.length - 1] as ChainEntry).sequence;
    if (page.length < pageSize) return;
  }
}

/** The highest position stored in a shard's chain (0 when empty). */
export async function lastSequence(sql: SqlClient, shard: string): Promise<number> {
  const { rows } = await sql.query<{ last: bigint | null }>(
    `SELECT GREATEST((SELECT max("sequence") FROM "ledger_accounts" WHERE "shard" = $1),
                     (SELECT max("sequence") FROM "ledger_transfers" WHERE "shard" = $1)) AS "last"`,
    [shard],
  );
  return Number(rows[0]?.last ?? 0);
}

// --------------------------------------------------------------- checkpoints

interface CheckpointRow {
  shard: string;
  sequence: bigint;
  chain_hash: string;
  signed_at: Date | string;
  key_id: string;
  signature: string;
}

function toCheckpoint(r: CheckpointRow): Checkpoint {
  return {
    shard: r.shard,
    sequence: Number(r.sequence),
    chainHash: r.chain_hash,
    signedAt: new Date(r.signed_at).toISOString(),
    keyId: r.key_id,
    signature: r.signature,
  };
}

/**
 * Stores a signed checkpoint; false if one of the same position was already
 * stored (a retry after an unknown outcome), which is left as it is
 * (ON CONFLICT DO NOTHING needs only the INSERT privilege).
 */
export async function insertCheckpoint(conn: SqlClient, c: Checkpoint): Promise<boolean> {
  const { rowCount } = await conn.query(
    `INSERT INTO "ledger_checkpoints" ("shard", "sequence", "chain_hash", "signed_at", "key_id", "signature")
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ("shard", "sequence") DO NOTHING`,
    [c.shard, c.sequence, c.chainHash, c.signedAt, c.keyId, c.signature],
  );
  return rowCount > 0;
}

/** The newest checkpoint of a shard (highest sequence), if any. */
export async function latestCheckpoint(sql: SqlClient, shard: string): Promise<Checkpoint | undefined> {
  const { rows } = await sql.query<CheckpointRow>(
    `SELECT "shard", "sequence", "chain_hash", "signed_at", "key_id", "signature" FROM "ledger_checkpoints"
      WHERE "shard" = $1 ORDER BY "sequence" DESC LIMIT 1`,
    [shard],
  );
  return rows[0] === undefined ? undefined : toCheckpoint(rows[0]);
}

/** Up to `limit` checkpoints of a shard after position `after`, oldest first. */
export async function checkpointPage(sql: SqlClient, shard: string, after: number, limit: number): Promise<Checkpoint[]> {
  const { rows } = await sql.query<CheckpointRow>(
    `SELECT "shard", "sequence", "chain_hash", "signed_at", "key_id", "signature" FROM "ledger_checkpoints"
      WHERE "shard" = $1 AND "sequence" > $2 ORDER BY "sequence" LIMIT $3`,
    [shard, after, limit],
  );
  return rows.map(toCheckpoint);
}

/** Every checkpoint of a shard, oldest first, in keyset pages. */
export async function* checkpointPages(sql: SqlClient, shard: string, pageSize: number): AsyncGenerator<Checkpoint[]> {
  let after = 0;
  for (;;) {
    const page = await checkpointPage(sql, shard, after, pageSize);
    if (page.length === 0) return;
    yield page;
    after = (page[page.length - 1] as Checkpoint).sequence;
    if (page.length < pageSize) return;
  }
}

/** A transfer of an account's statement, with the account's posted totals after it. */
export interface StatementLine {
  readonly transfer: TransferRecord;
  /** which side of the transfer the account is on. */
  readonly direction: "debit" | "credit";
  /** the account's posted debits after this transfer (pending, void and expire records leave it unchanged). */
  readonly debitsPosted: bigint;
  /** the account's posted credits after this transfer. */
  readonly creditsPosted: bigint;
}

/**
 * An account's transfers after `afterTimestamp` (exclusive), oldest first,
 * with running posted totals: each row stores both accounts' totals after
 * it, so a page starts from the stored totals, whatever the history's
 * length. Only committed rows (at or before chain position `upTo`) are read.
 */
export async function statement(
  sql: SqlClient,
  shard: string,
  accountId: string,
  afterTimestamp: number,
  limit: number,
  upTo: number = Number.MAX_SAFE_INTEGER,
): Promise<StatementLine[]> {
  const { rows } = await sql.query<TransferRow & { dr_debits_posted: bigint; dr_credits_posted: bigint; cr_debits_posted: bigint; cr_credits_posted: bigint }>(
    `SELECT * FROM (
       (SELECT ${TRANSFER_COLUMNS}, "dr_debits_posted", "dr_credits_posted", "cr_debits_posted", "cr_credits_posted" FROM "ledger_transfers"
         WHERE "shard" = $1 AND "debit_account_id" = $2 AND "timestamp" > $3 AND "sequence" + 0 <= $5 ORDER BY "timestamp" LIMIT $4)
       UNION ALL
       (SELECT ${TRANSFER_COLUMNS}, "dr_debits_posted", "dr_credits_posted", "cr_debits_posted", "cr_credits_posted" FROM "ledger_transfers"
         WHERE "shard" = $1 AND "credit_account_id" = $2 AND "timestamp" > $3 AND "sequence" + 0 <= $5 ORDER BY "timestamp" LIMIT $4)
     ) AS "lines" ORDER BY "timestamp" LIMIT $4`,
    [shard, accountId, afterTimestamp, limit, upTo],
  );
  return rows.map((row) => {
    const { record } = toTransfer(row);
    const direction = record.debitAccountId === accountId ? "debit" : "credit";
    return direction === "debit"
      ? { transfer: record, direction, debitsPosted: row.dr_debits_posted, creditsPosted: row.dr_credits_posted }
      : { transfer: record, direction, debitsPosted: row.cr_debits_posted, creditsPosted: row.cr_credits_posted };
  });
}

/** An account found in storage with its posted totals as of a chain position. */
export interface StoredBalance {
  readonly record: AccountRecord;
  readonly debitsPosted: bigint;
  readonly creditsPosted: bigint;
  /** µs timestamp of its last transfer (or its creation). */
  readonly touched: number;
}

/**
 * Accounts by id as of chain position `upTo` (a replay reads them as they were), with the running
 * totals of their last transfer. The position is compared as an expression ("sequence" + 0), so the
 * planner probes the id and account indexes instead of scanning a range of positions.
 */
export async function lookupAccounts(sql: SqlClient, shard: string, ids: readonly string[], upTo: number): Promise<StoredBalance[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql.query<{
    id: string;
    ledger: string;
    code: string;
    owner_id: string | null;
    flags: number;
    user_data: string | null;
    timestamp: bigint;
    d_ts: bigint | null;
    d_dp: bigint | null;
    d_cp: bigint | null;
    c_ts: bigint | null;
    c_dp: bigint | null;
    c_cp: bigint | null;
  }>(
    `SELECT a."id", a."ledger", a."code", a."owner_id", a."flags", a."user_data", a."timestamp",
            d."timestamp" AS "d_ts", d."dr_debits_posted" AS "d_dp", d."dr_credits_posted" AS "d_cp",
            c."timestamp" AS "c_ts", c."cr_debits_posted" AS "c_dp", c."cr_credits_posted" AS "c_cp"
       FROM unnest($2::text[]) AS w("id")
       JOIN LATERAL (SELECT * FROM "ledger_accounts" WHERE "shard" = $1 AND "id" = w."id" AND "sequence" + 0 <= $3 OFFSET 0) a ON true
       LEFT JOIN LATERAL (SELECT "timestamp", "dr_debits_posted", "dr_credits_posted" FROM "ledger_transfers" t
                           WHERE t."shard" = $1 AND t."debit_account_id" = a."id" AND t."sequence" + 0 <= $3
                           ORDER BY t."timestamp" DESC LIMIT 1) d ON true
       LEFT JOIN LATERAL (SELECT "timestamp", "cr_debits_posted", "cr_credits_posted" FROM "ledger_transfers" t
                           WHERE t."shard" = $1 AND t."credit_account_id" = a."id" AND t."sequence" + 0 <= $3
                           ORDER BY t."timestamp" DESC LIMIT 1) c ON true`,
    [shard, ids, upTo],
  );
  return rows.map((r) => {
    const record: AccountRecord = {
      id: r.id,
      ledger: r.ledger,
      code: r.code as AccountCode,
      ownerId: r.owner_id,
      flags: r.flags,
      userData: r.user_data,
      timestamp: Number(r.timestamp),
    };
    const d = r.d_ts === null ? -1 : Number(r.d_ts);
    const c = r.c_ts === null ? -1 : Number(r.c_ts);
    if (d < 0 && c < 0) return { record, debitsPosted: 0n, creditsPosted: 0n, touched: record.timestamp };
    return d > c
      ? { record, debitsPosted: r.d_dp ?? 0n, creditsPosted: r.d_cp ?? 0n, touched: d }
      : { record, debitsPosted: r.c_dp ?? 0n, creditsPosted: r.c_cp ?? 0n, touched: c };
  });
}

// ----------------------------------------------------------------- fencing

/** The 64-bit key of a shard's PostgreSQL advisory lock. */
export function shardLockKey(shard: string): bigint {
  return createHash("sha256").update(`shiftex.ledger.writer:${shard}`).digest().readBigInt64BE(0);
}

/** Takes the shard's session-level advisory lock on `conn` if free; whether it was taken. */
export async function tryLockShard(conn: SqlClient, shard: string): Promise<boolean> {
  const { rows } = await conn.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock($1::bigint) AS "locked"`, [
    shardLockKey(shard),
  ]);
  return rows[0]?.locked === true;
}

/** Releases the shard's advisory lock held by `conn`'s session. */
export async function unlockShard(conn: SqlClient, shard: string): Promise<void> {
  await conn.query(`SELECT pg_advisory_unlock($1::bigint)`, [shardLockKey(shard)]);
}

// ------------------------------------------------------------- service reads

/** The reads the ledger service makes outside the writer (the writer appends on its own session). */
export interface LedgerRepository {
  /** An account as stored, with the posted totals of its last transfer (for accounts the writer evicted from memory: they hold nothing pending). */
  account(id: string): Promise<AccountSnapshot | undefined>;
  /** An account's statement lines after a µs timestamp (0 = from the first), oldest first. */
  statement(accountId: string, afterTimestamp: number, limit: number): Promise<StatementLine[]>;
  /** Checkpoints after a position, oldest first. */
  checkpoints(afterSequence: number, limit: number): Promise<Checkpoint[]>;
}

export function createLedgerRepository(sql: SqlClient, shard: string): LedgerRepository {
  return {
    async account(id) {
      const found = (await lookupAccounts(sql, shard, [id], Number.MAX_SAFE_INTEGER))[0];
      if (found === undefined) return undefined;
      const frozen = (found.record.flags & AccountFlags.frozen) !== 0;
      return { ...found.record, debitsPosted: found.debitsPosted, creditsPosted: found.creditsPosted, debitsPending: 0n, creditsPending: 0n, frozen };
    },
    statement: (accountId, afterTimestamp, limit) => statement(sql, shard, accountId, afterTimestamp, limit),
    checkpoints: (afterSequence, limit) => checkpointPage(sql, shard, afterSequence, limit),
  };
}
