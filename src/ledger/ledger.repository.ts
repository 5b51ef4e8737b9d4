/**
 * The ledger's SQL: the append of one group (accounts and transfers of many
 * submissions) as ONE statement, so it is one transaction and one round trip;
 * the reads that rebuild a writer; statements; the paged rows a chain
 * verification walks. Raw SQL on the hot path, through the pool of
 * src/infra/db.ts (PostgreSQL or PGlite).
 */
import { createHash } from "node:crypto";
import type { SqlClient } from "../infra/db";
import type { AccountCode, AccountRecord, TransferKind, TransferRecord } from "./ledger.types";
import type { TransferHashes } from "./ledger.hash";

/** A transfer as stored, with its hashes. */
export interface StoredTransfer {
  readonly record: TransferRecord;
  readonly contentHash: string;
  readonly chainHash: string;
}

/** An account as stored, with its hash. */
export interface StoredAccount {
  readonly record: AccountRecord;
  readonly hash: string;
}

/** Rows of the transfers of one append, column by column, in timestamp order. */
export interface TransferColumns {
  timestamp: string[];
  id: string[];
  kind: string[];
  debit: string[];
  credit: string[];
  amount: string[];
  pendingId: Array<string | null>;
  ledger: string[];
  code: string[];
  flags: number[];
  timeoutMs: number[];
  userData: Array<string | null>;
  contentHash: string[];
  chainHash: string[];
}

/** Empty column arrays, ready to be filled by pushTransfer. */
export function transferColumns(): TransferColumns {
  return {
    timestamp: [],
    id: [],
    kind: [],
    debit: [],
    credit: [],
    amount: [],
    pendingId: [],
    ledger: [],
    code: [],
    flags: [],
    timeoutMs: [],
    userData: [],
    contentHash: [],
    chainHash: [],
  };
}

/** Appends one transfer and its hashes to the columns. */
export function pushTransfer(c: TransferColumns, r: TransferRecord, h: TransferHashes): void {
  c.timestamp.push(String(r.timestamp));
  c.id.push(r.id);
  c.kind.push(r.kind);
  c.debit.push(r.debitAccountId);
  c.credit.push(r.creditAccountId);
  c.amount.push(r.amount.toString());
  c.pendingId.push(r.pendingId);
  c.ledger.push(r.ledger);
  c.code.push(r.code);
  c.flags.push(r.flags);
  c.timeoutMs.push(r.timeoutMs);
  c.userData.push(r.userData);
  c.contentHash.push(h.contentHash);
  c.chainHash.push(h.chainHash);
}

const INSERT_TRANSFERS = `
INSERT INTO "ledger_transfers" ("shard", "timestamp", "id", "kind", "debit_account_id", "credit_account_id", "amount",
  "pending_id", "ledger", "code", "flags", "timeout_ms", "user_data", "content_hash", "chain_hash")
SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
  $8::text[], $9::text[], $10::text[], $11::int[], $12::bigint[], $13::text[], $14::text[], $15::text[])`;

const INSERT_ACCOUNTS = `
INSERT INTO "ledger_accounts" ("shard", "id", "ledger", "code", "owner_id", "flags", "user_data", "timestamp", "hash")
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::bigint[], $9::text[])`;

// Both inserts in one statement: one implicit transaction, one round trip.
const INSERT_BOTH = `
WITH "accounts" AS (
  INSERT INTO "ledger_accounts" ("shard", "id", "ledger", "code", "owner_id", "flags", "user_data", "timestamp", "hash")
  SELECT $1, * FROM unnest($16::text[], $17::text[], $18::text[], $19::text[], $20::int[], $21::text[], $22::bigint[], $23::text[])
)
INSERT INTO "ledger_transfers" ("shard", "timestamp", "id", "kind", "debit_account_id", "credit_account_id", "amount",
  "pending_id", "ledger", "code", "flags", "timeout_ms", "user_data", "content_hash", "chain_hash")
SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
  $8::text[], $9::text[], $10::text[], $11::int[], $12::bigint[], $13::text[], $14::text[], $15::text[])`;

function transferParams(shard: string, c: TransferColumns): unknown[] {
  return [
    shard,
    c.timestamp,
    c.id,
    c.kind,
    c.debit,
    c.credit,
    c.amount,
    c.pendingId,
    c.ledger,
    c.code,
    c.flags,
    c.timeoutMs,
    c.userData,
    c.contentHash,
    c.chainHash,
  ];
}

function accountParams(accounts: readonly StoredAccount[]): unknown[] {
  const n = accounts.length;
  const id = new Array<string>(n);
  const ledger = new Array<string>(n);
  const code = new Array<string>(n);
  const owner = new Array<string | null>(n);
  const flags = new Array<number>(n);
  const userData = new Array<string | null>(n);
  const timestamp = new Array<string>(n);
  const hash = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const { record: a, hash: h } = accounts[i] as StoredAccount;
    id[i] = a.id;
    ledger[i] = a.ledger;
    code[i] = a.code;
    owner[i] = a.ownerId;
    flags[i] = a.flags;
    userData[i] = a.userData;
    timestamp[i] = String(a.timestamp);
    hash[i] = h;
  }
  return [id, ledger, code, owner, flags, userData, timestamp, hash];
}

/**
 * Appends a group's accounts and transfers in ONE statement (one implicit
 * transaction): when it returns, the rows are committed; when the server
 * answers with an error, nothing was written.
 */
export async function appendGroup(
  conn: SqlClient,
  shard: string,
  accounts: readonly StoredAccount[],
  transfers: TransferColumns,
): Promise<void> {
  const nt = transfers.id.length;
  if (accounts.length === 0 && nt === 0) return;
  if (accounts.length === 0) {
    await conn.query(INSERT_TRANSFERS, transferParams(shard, transfers));
  } else if (nt === 0) {
    await conn.query(INSERT_ACCOUNTS, [shard, ...accountParams(accounts)]);
  } else {
    await conn.query(INSERT_BOTH, [...transferParams(shard, transfers), ...accountParams(accounts)]);
  }
}

// ------------------------------------------------------------------ reading

interface AccountRow {
  id: string;
  ledger: string;
  code: string;
  owner_id: string | null;
  flags: number;
  user_data: string | null;
  timestamp: bigint;
  hash: string;
}

interface TransferRow {
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

const TRANSFER_COLUMNS = `"timestamp", "id", "kind", "debit_account_id", "credit_account_id", "amount", "pending_id",
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
    hash: r.hash,
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
    contentHash: r.content_hash,
    chainHash: r.chain_hash,
  };
}

/** Every account of a shard, in timestamp order. */
export async function loadAccounts(sql: SqlClient, shard: string): Promise<StoredAccount[]> {
  const { rows } = await sql.query<AccountRow>(
    `SELECT "id", "ledger", "code", "owner_id", "flags", "user_data", "timestamp", "hash"
       FROM "ledger_accounts" WHERE "shard" = $1 ORDER BY "timestamp"`,
    [shard],
  );
  return rows.map(toAccount);
}

/** Up to `limit` transfers of a shard with timestamp in (after, upTo], in timestamp order. */
export async function transferPage(
  sql: SqlClient,
  shard: string,
  after: number,
  limit: number,
  upTo: number = Number.MAX_SAFE_INTEGER,
): Promise<StoredTransfer[]> {
  const { rows } = await sql.query<TransferRow>(
    `SELECT ${TRANSFER_COLUMNS} FROM "ledger_transfers"
      WHERE "shard" = $1 AND "timestamp" > $2 AND "timestamp" <= $3
      ORDER BY "timestamp" LIMIT $4`,
    [shard, after, upTo, limit],
  );
  return rows.map(toTransfer);
}

/** Every transfer of a shard with its hashes, in timestamp order, read in keyset pages. */
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
    after = (page[page.length - 1] as StoredTransfer).record.timestamp;
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
 * with running posted totals. Rows at or before the cursor are committed and
 * immutable, so the opening totals are summed over them without a snapshot.
 */
export async function statement(
  sql: SqlClient,
  shard: string,
  accountId: string,
  afterTimestamp: number,
  limit: number,
): Promise<StatementLine[]> {
  const { rows } = await sql.query<TransferRow>(
    `SELECT * FROM (
       (SELECT ${TRANSFER_COLUMNS} FROM "ledger_transfers"
         WHERE "shard" = $1 AND "debit_account_id" = $2 AND "timestamp" > $3 ORDER BY "timestamp" LIMIT $4)
       UNION ALL
       (SELECT ${TRANSFER_COLUMNS} FROM "ledger_transfers"
         WHERE "shard" = $1 AND "credit_account_id" = $2 AND "timestamp" > $3 ORDER BY "timestamp" LIMIT $4)
     ) AS "lines" ORDER BY "timestamp" LIMIT $4`,
    [shard, accountId, afterTimestamp, limit],
  );
  if (rows.length === 0) return [];
  let debits = 0n;
  let credits = 0n;
  if (afterTimestamp > 0) {
    const { rows: opening } = await sql.query<{ debits: bigint | null; credits: bigint | null }>(
      `SELECT
         (SELECT sum("amount")::bigint FROM "ledger_transfers" WHERE "shard" = $1 AND "debit_account_id" = $2
             AND "timestamp" <= $3 AND "kind" IN ('single', 'post')) AS "debits",
         (SELECT sum("amount")::bigint FROM "ledger_transfers" WHERE "shard" = $1 AND "credit_account_id" = $2
             AND "timestamp" <= $3 AND "kind" IN ('single', 'post')) AS "credits"`,
      [shard, accountId, afterTimestamp],
    );
    debits = opening[0]?.debits ?? 0n;
    credits = opening[0]?.credits ?? 0n;
  }
  return rows.map((row) => {
    const { record } = toTransfer(row);
    const direction = record.debitAccountId === accountId ? "debit" : "credit";
    if (record.kind === "single" || record.kind === "post") {
      if (direction === "debit") debits += record.amount;
      else credits += record.amount;
    }
    return { transfer: record, direction, debitsPosted: debits, creditsPosted: credits };
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
