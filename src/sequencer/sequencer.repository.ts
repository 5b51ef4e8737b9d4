/**
 * The sequencer's SQL. The hot path is one statement per batch: the journal
 * entry, ledger accounts and transfers, new orders, changed orders and
 * contracts, each an INSERT (or UPDATE) over unnest()ed column arrays in
 * one WITH: one implicit transaction, one round trip, one plan (prepared
 * once per connection on PostgreSQL). The rest reads: the journal and
 * snapshots for start-up, and the look-ups of ids older than memory's
 * window, batched per round.
 */
import type { SqlClient } from "../infra/db";
import type { ContractRecord, OrderState } from "../exchange/exchange.core";
import type { AccountCode, AccountRecord, TransferKind, TransferRecord } from "../ledger/ledger.types";
import type { Batch } from "./batch";
import { encodeJournal } from "./journal";

/** `$n::type[]` for each column type, numbered from `from`. */
function arrays(from: number, types: readonly string[]): string {
  return types.map((t, i) => `$${from + i}::${t}[]`).join(", ");
}

const ACCOUNT_TYPES = ["bigint", "text", "text", "text", "text", "int", "text", "bigint", "text", "text"];
const TRANSFER_TYPES = ["bigint", "bigint", "text", "text", "text", "text", "bigint", "text", "text", "text", "int", "bigint", "text", "text", "text", "bigint", "bigint", "bigint", "bigint"];
const ORDER_TYPES = ["text", "text", "text", "text", "text", "text", "int", "int", "int", "int", "text", "bigint", "text", "bigint", "int", "int", "text", "text", "int", "bool", "int", "bool", "bigint", "bigint", "bigint", "bigint"];
const ORDER_UPDATE_TYPES = ["text", "int", "int", "int", "int", "text", "bigint", "bigint", "bigint"];
const CONTRACT_TYPES = ["text", "text", "bigint", "text", "text", "text", "text", "text", "int", "int", "text", "bool", "bigint", "bigint", "text", "bigint", "text", "bigint"];

/** The statement's parts after the journal's, in order, each with its column types and its CTE from its first parameter's number. */
const PARTS: ReadonlyArray<{ readonly types: readonly string[]; readonly cte: (n: number) => string }> = [
  {
    types: ACCOUNT_TYPES,
    cte: (n) => `"accounts" AS (
  INSERT INTO "ledger_accounts" ("shard", "sequence", "id", "ledger", "code", "owner_id", "flags", "user_data", "timestamp", "content_hash", "chain_hash")
  SELECT $1, * FROM unnest(${arrays(n, ACCOUNT_TYPES)})
)`,
  },
  {
    types: TRANSFER_TYPES,
    cte: (n) => `"transfers" AS (
  INSERT INTO "ledger_transfers" ("shard", "sequence", "timestamp", "id", "kind", "debit_account_id", "credit_account_id", "amount",
    "pending_id", "ledger", "code", "flags", "timeout_ms", "user_data", "content_hash", "chain_hash",
    "dr_debits_posted", "dr_credits_posted", "cr_debits_posted", "cr_credits_posted")
  SELECT $1, * FROM unnest(${arrays(n, TRANSFER_TYPES)})
)`,
  },
  {
    types: ORDER_TYPES,
    cte: (n) => `"new_orders" AS (
  INSERT INTO "orders" ("shard", "id", "organisation_id", "client_order_id", "dedupe_key", "market", "side", "quantity", "remaining", "filled",
    "rate_fen", "time_in_force", "good_till", "state", "hold_fen", "min_fill", "min_certificate", "min_colour", "excluded_suppliers",
    "min_split", "all_or_none", "certificate", "shared", "created_seq", "updated_seq", "created_at", "updated_at")
  SELECT $1, o."id", o."org", o."cid", o."dk", o."market", o."side", o."quantity", o."remaining", o."filled",
    o."rate", o."tif", to_timestamp(o."till"::double precision / 1000), o."state", o."hold", o."min_fill", o."min_cert", o."min_colour",
    string_to_array(o."excluded", ','), o."min_split", o."aon", o."cert", o."shared", o."cseq", o."useq",
    to_timestamp(o."cat"::double precision / 1000), to_timestamp(o."uat"::double precision / 1000)
  FROM unnest(${arrays(n, ORDER_TYPES)})
    AS o("id", "org", "cid", "dk", "market", "side", "quantity", "remaining", "filled", "rate", "tif", "till", "state", "hold",
      "min_fill", "min_cert", "min_colour", "excluded", "min_split", "aon", "cert", "shared", "cseq", "useq", "cat", "uat")
)`,
  },
  {
    types: ORDER_UPDATE_TYPES,
    cte: (n) => `"changed_orders" AS (
  UPDATE "orders" o SET "quantity" = u."quantity", "remaining" = u."remaining", "filled" = u."filled", "rate_fen" = u."rate",
    "state" = u."state", "hold_fen" = u."hold", "updated_seq" = u."useq", "updated_at" = to_timestamp(u."uat"::double precision / 1000)
  FROM unnest(${arrays(n, ORDER_UPDATE_TYPES)}) AS u("id", "quantity", "remaining", "filled", "rate", "state", "hold", "useq", "uat")
  WHERE o."id" = u."id"
)`,
  },
  {
    types: CONTRACT_TYPES,
    cte: (n) => `"new_contracts" AS (
  INSERT INTO "contracts" ("shard", "id", "fill_id", "seq", "market", "enterprise_id", "supplier_id", "demand_order_id", "supply_order_id",
    "headcount", "rate_fen", "aggressor", "shared", "shift_start", "shift_end", "escrow_account_id", "escrow_fen", "state", "created_at")
  SELECT $1, c."id", c."fill", c."seq", c."market", c."ent", c."sup", c."dord", c."sord", c."heads", c."rate", c."aggr", c."shared",
    to_timestamp(c."start"::double precision / 1000), to_timestamp(c."end"::double precision / 1000), c."escrow", c."fen", c."state",
    to_timestamp(c."cat"::double precision / 1000)
  FROM unnest(${arrays(n, CONTRACT_TYPES)})
    AS c("id", "fill", "seq", "market", "ent", "sup", "dord", "sord", "heads", "rate", "aggr", "shared", "start", "end", "escrow", "fen", "state", "cat")
)`,
  },
];

/**
 * The batch statement for the parts a batch has rows for (bit i: PARTS[i]): the journal's entry always,
 * then each part as a data-modifying CTE over unnest()ed column arrays. One statement, one implicit
 * transaction, one round trip; a batch of ledger calls alone carries no empty order or contract parts.
 */
const statements = new Map<number, string>();
function appendStatement(mask: number): string {
  let sql = statements.get(mask);
  if (sql === undefined) {
    const ctes = [
      `"journal" AS (
  INSERT INTO "sequencer_journal" ("shard", "first_seq", "last_seq", "chain_sequence", "chain_hash", "commands")
  VALUES ($1, $2, $3, $4, $5, $6)
)`,
    ];
    let n = 7;
    PARTS.forEach((part, i) => {
      if ((mask & (1 << i)) === 0) return;
      ctes.push(part.cte(n));
      n += part.types.length;
    });
    sql = `WITH ${ctes.join(", ")}\nSELECT 1`;
    statements.set(mask, sql);
  }
  return sql;
}

function accountParams(batch: Batch): unknown[] {
  const a = batch.accounts;
  const n = a.length;
  const cols: unknown[][] = Array.from({ length: 10 }, () => new Array<unknown>(n));
  for (let i = 0; i < n; i++) {
    const s = a[i]!;
    const r = s.record;
    cols[0]![i] = String(s.sequence);
    cols[1]![i] = r.id;
    cols[2]![i] = r.ledger;
    cols[3]![i] = r.code;
    cols[4]![i] = r.ownerId;
    cols[5]![i] = r.flags;
    cols[6]![i] = r.userData;
    cols[7]![i] = String(r.timestamp);
    cols[8]![i] = s.contentHash;
    cols[9]![i] = s.chainHash;
  }
  return cols;
}

function orderParams(batch: Batch): { inserts: unknown[]; updates: unknown[] } {
  const ins: unknown[][] = Array.from({ length: 26 }, () => []);
  const upd: unknown[][] = Array.from({ length: 9 }, () => []);
  for (const o of batch.orders.values()) {
    if (o.createdSeq >= batch.firstSeq) pushInsert(ins, o);
    else {
      upd[0]!.push(o.id);
      upd[1]!.push(o.quantity);
      upd[2]!.push(o.remaining);
      upd[3]!.push(o.filled);
      upd[4]!.push(o.rateFen);
      upd[5]!.push(o.state);
      upd[6]!.push(o.holdFen.toString());
      upd[7]!.push(String(o.updatedSeq));
      upd[8]!.push(String(o.updatedAt));
    }
  }
  return { inserts: ins, updates: upd };
}

function pushInsert(c: unknown[][], o: OrderState): void {
  const t = o.terms;
  const v: unknown[] = [
    o.id,
    o.organisationId,
    o.clientOrderId,
    o.dedupeKey,
    o.market,
    o.side,
    o.quantity,
    o.remaining,
    o.filled,
    o.rateFen,
    o.timeInForce,
    o.goodTill === null ? null : String(o.goodTill),
    o.state,
    o.holdFen.toString(),
    t.minFill,
    t.minCertificate,
    t.minColour,
    t.excludedSuppliers.join(","),
    t.minSplit,
    t.allOrNone,
    t.certificate,
    t.shared,
    String(o.createdSeq),
    String(o.updatedSeq),
    String(o.createdAt),
    String(o.updatedAt),
  ];
  for (let i = 0; i < v.length; i++) c[i]!.push(v[i]);
}

function contractParams(list: readonly ContractRecord[]): unknown[] {
  const c: unknown[][] = Array.from({ length: 18 }, () => []);
  for (const k of list) {
    const v: unknown[] = [
      k.id,
      k.fillId,
      String(k.seq),
      k.market,
      k.enterpriseId,
      k.supplierId,
      k.demandOrderId,
      k.supplyOrderId,
      k.headcount,
      k.rateFen,
      k.aggressor,
      k.shared,
      String(k.shiftStart),
      String(k.shiftEnd),
      k.escrowAccountId,
      k.escrowFen.toString(),
      k.state,
      String(k.createdAt),
    ];
    for (let i = 0; i < v.length; i++) c[i]!.push(v[i]);
  }
  return c;
}

/** A sealed batch's statement: which parts it has and its parameters. */
export interface BatchStatement {
  readonly mask: number;
  readonly params: unknown[];
}

/** The statement of a batch; built when the batch is sealed, so later changes to its orders do not leak in. */
export function batchParams(shard: string, batch: Batch): BatchStatement {
  const t = batch.transfers;
  const { inserts, updates } = orderParams(batch);
  const parts: unknown[][] = [
    accountParams(batch),
    [t.sequence, t.timestamp, t.id, t.kind, t.debit, t.credit, t.amount, t.pendingId, t.ledger, t.code, t.flags, t.timeoutMs, t.userData, t.contentHash, t.chainHash, t.drDebits, t.drCredits, t.crDebits, t.crCredits],
    inserts,
    updates,
    contractParams(batch.contracts),
  ];
  let mask = 0;
  const params: unknown[] = [shard, String(batch.firstSeq), String(batch.lastSeq), String(batch.chainAfter.sequence), batch.chainAfter.chainHash, encodeJournal(batch.journal)];
  parts.forEach((cols, i) => {
    if ((cols[0] as unknown[]).length === 0) return;
    mask |= 1 << i;
    params.push(...cols);
  });
  return { mask, params };
}

/** Writes a sealed batch in ONE statement: when it returns, all of it is committed; on an ERROR, none of it is. */
export async function appendBatch(conn: SqlClient, statement: BatchStatement): Promise<void> {
  await conn.query(appendStatement(statement.mask), statement.params, { name: `sequencer_append_${statement.mask}` });
}

// ------------------------------------------------------------------ journal

export interface JournalRow {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly chainSequence: number;
  readonly chainHash: string;
  readonly commands: string;
}

/** Up to `limit` journal rows of a shard after position `afterSeq`, oldest first. */
export async function journalPage(sql: SqlClient, shard: string, afterSeq: number, limit: number): Promise<JournalRow[]> {
  const { rows } = await sql.query<{ first_seq: bigint; last_seq: bigint; chain_sequence: bigint; chain_hash: string; commands: string }>(
    `SELECT "first_seq", "last_seq", "chain_sequence", "chain_hash", "commands" FROM "sequencer_journal"
      WHERE "shard" = $1 AND "first_seq" > $2 ORDER BY "first_seq" LIMIT $3`,
    [shard, afterSeq, limit],
  );
  return rows.map((r) => ({
    firstSeq: Number(r.first_seq),
    lastSeq: Number(r.last_seq),
    chainSequence: Number(r.chain_sequence),
    chainHash: r.chain_hash,
    commands: r.commands,
  }));
}

/** The last journal position of a shard (0 if none). */
export async function lastJournalSeq(sql: SqlClient, shard: string): Promise<number> {
  const { rows } = await sql.query<{ last: bigint | null }>(`SELECT max("last_seq") AS "last" FROM "sequencer_journal" WHERE "shard" = $1`, [shard]);
  return Number(rows[0]?.last ?? 0);
}

// ---------------------------------------------------------------- snapshots

export interface SnapshotRow {
  readonly journalSeq: number;
  readonly chainSequence: number;
  readonly chainHash: string;
  readonly state: string;
  readonly digest: string;
  readonly keyId: string;
  readonly signature: string;
}

/** The newest snapshot of a shard, if any. */
export async function latestSnapshot(sql: SqlClient, shard: string): Promise<SnapshotRow | undefined> {
  const { rows } = await sql.query<{ journal_seq: bigint; chain_sequence: bigint; chain_hash: string; state: string; digest: string; key_id: string; signature: string }>(
    `SELECT "journal_seq", "chain_sequence", "chain_hash", "state", "digest", "key_id", "signature" FROM "sequencer_snapshots"
      WHERE "shard" = $1 ORDER BY "journal_seq" DESC LIMIT 1`,
    [shard],
  );
  const r = rows[0];
  return r === undefined
    ? undefined
    : { journalSeq: Number(r.journal_seq), chainSequence: Number(r.chain_sequence), chainHash: r.chain_hash, state: r.state, digest: r.digest, keyId: r.key_id, signature: r.signature };
}

/** Stores a snapshot (a repeat of the same position is ignored) and keeps only the newest `keep`. */
export async function storeSnapshot(conn: SqlClient, shard: string, s: SnapshotRow, keep: number): Promise<void> {
  await conn.query(
    `INSERT INTO "sequencer_snapshots" ("shard", "journal_seq", "chain_sequence", "chain_hash", "state", "digest", "key_id", "signature")
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT ("shard", "journal_seq") DO NOTHING`,
    [shard, s.journalSeq, s.chainSequence, s.chainHash, s.state, s.digest, s.keyId, s.signature],
  );
  await conn.query(
    `DELETE FROM "sequencer_snapshots" WHERE "shard" = $1 AND "journal_seq" < (
       SELECT min("journal_seq") FROM (SELECT "journal_seq" FROM "sequencer_snapshots" WHERE "shard" = $1 ORDER BY "journal_seq" DESC LIMIT $2) AS "kept")`,
    [shard, keep],
  );
}

// ------------------------------------------------------------------ look-ups

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
}

function toTransfer(r: TransferRow): TransferRecord {
  return {
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
  };
}

const TRANSFER_COLUMNS = `"sequence", "timestamp", "id", "kind", "debit_account_id", "credit_account_id", "amount", "pending_id", "ledger", "code", "flags", "timeout_ms", "user_data"`;

/**
 * Stored transfers by id, with what a retry or a resolution needs beside
 * them: the hold a post or void resolved, and the resolution of a hold.
 * Every probe goes through the (shard, id) and (shard, pending_id) unique
 * indexes. (No bound on positions: an id the sequencer does not hold in
 * memory belongs to no batch in flight.)
 */
export async function lookupTransfers(sql: SqlClient, shard: string, ids: readonly string[]): Promise<TransferRecord[]> {
  if (ids.length === 0) return [];
  // One probe per id, each an equality on a unique index: a LATERAL per id, fenced with OFFSET 0 so the
  // planner cannot turn it into a join (without fresh statistics, `id = ANY(…)` and the flattened join both
  // scanned every row of the shard); the holds and resolutions beside the (rare) ids found in a second round.
  const byId = async (list: readonly string[]) =>
    list.length === 0
      ? []
      : (
          await sql.query<TransferRow>(
            `SELECT t.* FROM unnest($2::text[]) AS w("id"),
               LATERAL (SELECT ${TRANSFER_COLUMNS} FROM "ledger_transfers" WHERE "shard" = $1 AND "id" = w."id" OFFSET 0) AS t`,
            [shard, list],
          )
        ).rows.map(toTransfer);
  const found = await byId(ids);
  if (found.length === 0) return [];
  const holds = found.filter((r) => r.pendingId !== null).map((r) => r.pendingId as string);
  const pending = found.filter((r) => r.kind === "pending").map((r) => r.id);
  const [holdRows, resolutions] = await Promise.all([
    byId(holds.filter((id) => !found.some((r) => r.id === id))),
    pending.length === 0
      ? Promise.resolve([])
      : sql
          .query<TransferRow>(
            `SELECT t.* FROM unnest($2::text[]) AS w("id"),
               LATERAL (SELECT ${TRANSFER_COLUMNS} FROM "ledger_transfers" WHERE "shard" = $1 AND "pending_id" = w."id" OFFSET 0) AS t`,
            [shard, pending],
          )
          .then((r) => r.rows.map(toTransfer)),
  ]);
  const all = new Map<string, TransferRecord>();
  for (const r of [...found, ...holdRows, ...resolutions]) all.set(r.id, r);
  return [...all.values()].sort((x, y) => x.timestamp - y.timestamp);
}

export { lookupAccounts, type StoredBalance } from "../ledger/ledger.repository";

/** Orders already placed under these (organisation, dedupe key) pairs. */
export async function lookupDedupeKeys(
  sql: SqlClient,
  pairs: ReadonlyArray<{ organisationId: string; dedupeKey: string }>,
): Promise<Array<{ organisationId: string; dedupeKey: string; orderId: string; seq: number }>> {
  if (pairs.length === 0) return [];
  const { rows } = await sql.query<{ organisation_id: string; dedupe_key: string; id: string; created_seq: bigint }>(
    `SELECT o.* FROM unnest($1::text[], $2::text[]) AS w("org", "key"),
       LATERAL (SELECT "organisation_id", "dedupe_key", "id", "created_seq" FROM "orders"
                 WHERE "organisation_id" = w."org" AND "dedupe_key" = w."key" OFFSET 0) AS o`,
    [pairs.map((p) => p.organisationId), pairs.map((p) => p.dedupeKey)],
  );
  return rows.map((r) => ({ organisationId: r.organisation_id, dedupeKey: r.dedupe_key, orderId: r.id, seq: Number(r.created_seq) }));
}

// ------------------------------------------------------------------ start-up checks

/** How many chain records (accounts and transfers) a shard stores after position `after`, and the highest position. */
export async function recordsAfter(sql: SqlClient, shard: string, after: number): Promise<{ count: number; last: number }> {
  const { rows } = await sql.query<{ n: bigint; last: bigint | null }>(
    `SELECT (SELECT count(*) FROM "ledger_accounts" WHERE "shard" = $1 AND "sequence" > $2)
          + (SELECT count(*) FROM "ledger_transfers" WHERE "shard" = $1 AND "sequence" > $2) AS "n",
            GREATEST((SELECT max("sequence") FROM "ledger_accounts" WHERE "shard" = $1),
                     (SELECT max("sequence") FROM "ledger_transfers" WHERE "shard" = $1)) AS "last"`,
    [shard, after],
  );
  return { count: Number(rows[0]?.n ?? 0), last: Number(rows[0]?.last ?? 0) };
}

/** The first position after `after` that is not stored exactly once (walks the positions; only when a count said so). */
export async function firstGap(sql: SqlClient, shard: string, after: number): Promise<number | undefined> {
  const { rows } = await sql.query<{ sequence: bigint }>(
    `SELECT "sequence" FROM (SELECT "sequence" FROM "ledger_accounts" WHERE "shard" = $1 AND "sequence" > $2
                             UNION ALL SELECT "sequence" FROM "ledger_transfers" WHERE "shard" = $1 AND "sequence" > $2) AS s
      ORDER BY "sequence"`,
    [shard, after],
  );
  let expected = after + 1;
  for (const r of rows) {
    if (Number(r.sequence) !== expected) return expected;
    expected++;
  }
  return undefined;
}

/** Accounts created after chain position `after` with their stored hashes (start-up re-hashes them). */
export async function accountsAfter(sql: SqlClient, shard: string, after: number): Promise<Array<{ record: AccountRecord; sequence: number; contentHash: string }>> {
  const { rows } = await sql.query<{ sequence: bigint; id: string; ledger: string; code: string; owner_id: string | null; flags: number; user_data: string | null; timestamp: bigint; content_hash: string }>(
    `SELECT "sequence", "id", "ledger", "code", "owner_id", "flags", "user_data", "timestamp", "content_hash" FROM "ledger_accounts"
      WHERE "shard" = $1 AND "sequence" > $2 ORDER BY "sequence"`,
    [shard, after],
  );
  return rows.map((r) => ({
    record: { id: r.id, ledger: r.ledger, code: r.code as AccountCode, ownerId: r.owner_id, flags: r.flags, userData: r.user_data, timestamp: Number(r.timestamp) },
    sequence: Number(r.sequence),
    contentHash: r.content_hash,
  }));
}
