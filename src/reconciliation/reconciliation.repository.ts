/**
 * Reconciliation's SQL: provider records and their imports, the copy of the
 * clearing account's movements, runs with their items, the exception queue,
 * and the two read-only views of the ledger the exports need (a trial
 * balance at an instant, the transfers of a day) — read from the ledger's
 * append-only tables, never written. Returns outcomes, never HTTP errors.
 */
import type { SqlClient, SqlPool } from "../infra/db";
import { Rollback, underClaim } from "../infra/claims";
import type { Claim } from "../shared/claim";
import type { ItemKind } from "./reconcile";

export type Provider = "offline" | "stripe";
export type ExceptionStatus = "open" | "resolving" | "resolved" | "cleared";

export interface ProviderRecordRow {
  readonly provider: Provider;
  readonly id: string;
  readonly source: string;
  readonly currency: string;
  readonly amountFen: bigint;
  readonly valueDate: string;
  readonly identifiers: string[];
  readonly transferGroup: string | null;
  readonly counterparty: string | null;
  readonly reference: string | null;
  readonly contentHash: string;
}

export interface ImportRow {
  readonly id: string;
  readonly provider: Provider;
  readonly fileSha256: string;
  readonly filename: string | null;
  readonly encoding: string;
  readonly status: "importing" | "imported";
  readonly total: number;
  readonly done: number;
  readonly inserted: number;
  readonly already: number;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

export interface LedgerEntryRow {
  readonly transferId: string;
  readonly provider: Provider;
  readonly kind: string;
  readonly currency: string;
  readonly amountFen: bigint;
  readonly businessDate: string;
  readonly ledgerTimestamp: number;
  readonly identifiers: string[];
  readonly transferGroup: string | null;
  readonly corrects: string[];
}

export interface RunRow {
  readonly id: string;
  readonly provider: Provider;
  readonly businessDate: string;
  readonly scopeFingerprint: string;
  readonly resultFingerprint: string;
  readonly ledgerCount: number;
  readonly providerCount: number;
  readonly matched: number;
  readonly exceptions: number;
  readonly suggestions: number;
  readonly totals: unknown;
  readonly startedBy: string;
  readonly createdAt: Date;
}

export interface ItemRow {
  readonly position: number;
  readonly kind: ItemKind;
  readonly tier: number | null;
  readonly currency: string;
  readonly ledgerIds: string[];
  readonly providerIds: string[];
  readonly correctionIds: string[];
  readonly ledgerFen: bigint;
  readonly providerFen: bigint;
  readonly effectFen: bigint;
  readonly itemDate: string;
  readonly exceptionId: string | null;
  readonly suggestionId: string | null;
}

export interface ExceptionRow {
  readonly id: string;
  readonly provider: Provider;
  readonly kind: ItemKind;
  readonly currency: string;
  readonly ledgerIds: string[];
  readonly providerIds: string[];
  readonly ledgerFen: bigint;
  readonly providerFen: bigint;
  readonly effectFen: bigint;
  readonly itemDate: string;
  readonly suggestionId: string | null;
  readonly status: ExceptionStatus;
  readonly owner: string | null;
  readonly resolution: string | null;
  readonly correctionTransferId: string | null;
  readonly correctionFen: bigint | null;
  readonly matchedWith: string | null;
  readonly firstRunId: string;
  readonly lastRunId: string;
  readonly openedAt: Date;
  readonly updatedAt: Date;
  readonly resolvedAt: Date | null;
  readonly resolvedBy: string | null;
}

export interface NoteRow {
  readonly id: string;
  readonly exceptionId: string;
  readonly author: string;
  readonly body: string;
  readonly createdAt: Date;
}

/** An exception as a run found it. */
export interface FoundException {
  readonly id: string;
  readonly kind: ItemKind;
  readonly currency: string;
  readonly ledgerIds: readonly string[];
  readonly providerIds: readonly string[];
  readonly ledgerFen: bigint;
  readonly providerFen: bigint;
  readonly effectFen: bigint;
  readonly itemDate: string;
  readonly suggestionId: string | null;
  /** For a new exception: the owner of the exception it succeeds (one sharing a member). */
  readonly owner: string | null;
}

/** Everything one run writes, in one transaction. */
export interface RunWrite {
  readonly run: Omit<RunRow, "createdAt"> & { createdAt: Date };
  readonly items: readonly ItemRow[];
  readonly settledLedgerIds: readonly string[];
  readonly settledProviderIds: readonly string[];
  readonly settledIdentifiers: readonly string[];
  readonly exceptions: readonly FoundException[];
}

type Raw = Record<string, unknown>;
const big = (v: unknown): bigint => (typeof v === "bigint" ? v : BigInt(v as string | number));
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(v as string));
const nullableDate = (v: unknown): Date | null => (v === null || v === undefined ? null : date(v));
const texts = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);

function importRow(r: Raw): ImportRow {
  return {
    id: r["id"] as string,
    provider: r["provider"] as Provider,
    fileSha256: r["file_sha256"] as string,
    filename: (r["filename"] as string | null) ?? null,
    encoding: r["encoding"] as string,
    status: r["status"] as ImportRow["status"],
    total: Number(r["total"]),
    done: Number(r["done"]),
    inserted: Number(r["inserted"]),
    already: Number(r["already"]),
    createdBy: r["created_by"] as string,
    createdAt: date(r["created_at"]),
    finishedAt: nullableDate(r["finished_at"]),
  };
}

function runRow(r: Raw): RunRow {
  return {
    id: r["id"] as string,
    provider: r["provider"] as Provider,
    businessDate: r["business_date"] as string,
    scopeFingerprint: r["scope_fingerprint"] as string,
    resultFingerprint: r["result_fingerprint"] as string,
    ledgerCount: Number(r["ledger_count"]),
    providerCount: Number(r["provider_count"]),
    matched: Number(r["matched"]),
    exceptions: Number(r["exceptions"]),
    suggestions: Number(r["suggestions"]),
    totals: r["totals"],
    startedBy: r["started_by"] as string,
    createdAt: date(r["created_at"]),
  };
}

function itemRow(r: Raw): ItemRow {
  return {
    position: Number(r["position"]),
    kind: r["kind"] as ItemKind,
    tier: r["tier"] === null ? null : Number(r["tier"]),
    currency: r["currency"] as string,
    ledgerIds: texts(r["ledger_ids"]),
    providerIds: texts(r["provider_ids"]),
    correctionIds: texts(r["correction_ids"]),
    ledgerFen: big(r["ledger_fen"]),
    providerFen: big(r["provider_fen"]),
    effectFen: big(r["effect_fen"]),
    itemDate: r["item_date"] as string,
    exceptionId: (r["exception_id"] as string | null) ?? null,
    suggestionId: (r["suggestion_id"] as string | null) ?? null,
  };
}

function exceptionRow(r: Raw): ExceptionRow {
  return {
    id: r["id"] as string,
    provider: r["provider"] as Provider,
    kind: r["kind"] as ItemKind,
    currency: r["currency"] as string,
    ledgerIds: texts(r["ledger_ids"]),
    providerIds: texts(r["provider_ids"]),
    ledgerFen: big(r["ledger_fen"]),
    providerFen: big(r["provider_fen"]),
    effectFen: big(r["effect_fen"]),
    itemDate: r["item_date"] as string,
    suggestionId: (r["suggestion_id"] as string | null) ?? null,
    status: r["status"] as ExceptionStatus,
    owner: (r["owner"] as string | null) ?? null,
    resolution: (r["resolution"] as string | null) ?? null,
    correctionTransferId: (r["correction_transfer_id"] as string | null) ?? null,
    correctionFen: r["correction_fen"] === null || r["correction_fen"] === undefined ? null : big(r["correction_fen"]),
    matchedWith: (r["matched_with"] as string | null) ?? null,
    firstRunId: r["first_run_id"] as string,
    lastRunId: r["last_run_id"] as string,
    openedAt: date(r["opened_at"]),
    updatedAt: date(r["updated_at"]),
    resolvedAt: nullableDate(r["resolved_at"]),
    resolvedBy: (r["resolved_by"] as string | null) ?? null,
  };
}

const EXCEPTION_COLUMNS = `"id", "provider", "kind", "currency", "ledger_ids", "provider_ids", "ledger_fen", "provider_fen", "effect_fen",
  "item_date"::text AS "item_date", "suggestion_id", "status", "owner", "resolution", "correction_transfer_id", "correction_fen", "matched_with",
  "first_run_id", "last_run_id", "opened_at", "updated_at", "resolved_at", "resolved_by"`;

const RUN_COLUMNS = `"id", "provider", "business_date"::text AS "business_date", "scope_fingerprint", "result_fingerprint", "ledger_count",
  "provider_count", "matched", "exceptions", "suggestions", "totals", "started_by", "created_at"`;

/** Runs a provider's writes one at a time: the key of a transaction-level advisory lock. */
const RUN_LOCK = `SELECT pg_advisory_xact_lock(hashtext('shiftex:reconciliation:' || $1))`;

export function createReconciliationRepository(sql: SqlPool) {
  async function findException(client: SqlClient, id: string): Promise<ExceptionRow | null> {
    const r = await client.query<Raw>(`SELECT ${EXCEPTION_COLUMNS} FROM "reconciliation_exceptions" WHERE "id" = $1`, [id]);
    return r.rows[0] ? exceptionRow(r.rows[0]) : null;
  }

  return {
    // ------------------------------------------------------------ imports

    async findImportByFile(provider: Provider, sha: string): Promise<ImportRow | null> {
      const r = await sql.query<Raw>(`SELECT * FROM "statement_imports" WHERE "provider" = $1 AND "file_sha256" = $2`, [provider, sha]);
      return r.rows[0] ? importRow(r.rows[0]) : null;
    },

    async findImport(id: string): Promise<ImportRow | null> {
      const r = await sql.query<Raw>(`SELECT * FROM "statement_imports" WHERE "id" = $1`, [id]);
      return r.rows[0] ? importRow(r.rows[0]) : null;
    },

    /** Records an import about to write its lines; the existing one when the same file was uploaded before. */
    async startImport(row: Omit<ImportRow, "status" | "done" | "inserted" | "already" | "finishedAt">): Promise<ImportRow> {
      await sql.query(
        `INSERT INTO "statement_imports" ("id", "provider", "file_sha256", "filename", "encoding", "status", "total", "done", "inserted", "already", "created_by", "created_at")
         VALUES ($1, $2, $3, $4, $5, 'importing', $6, 0, 0, 0, $7, $8)
         ON CONFLICT ("provider", "file_sha256") DO NOTHING`,
        [row.id, row.provider, row.fileSha256, row.filename, row.encoding, row.total, row.createdBy, row.createdAt],
      );
      return (await this.findImportByFile(row.provider, row.fileSha256))!;
    },

    /** Content hashes of the records already stored among `ids`. */
    async storedHashes(provider: Provider, ids: readonly string[]): Promise<Map<string, string>> {
      if (ids.length === 0) return new Map();
      const r = await sql.query<{ id: string; content_hash: string }>(
        `SELECT "id", "content_hash" FROM "provider_records" WHERE "provider" = $1 AND "id" = ANY($2::text[])`,
        [provider, ids],
      );
      return new Map(r.rows.map((x) => [x.id, x.content_hash]));
    },

    /**
     * Writes a chunk of records (those already stored are left as they are)
     * and the import's progress, in one transaction; returns how many were new.
     */
    async insertRecords(importId: string, records: readonly ProviderRecordRow[], done: number): Promise<number> {
      return sql.transaction(async (tx) => {
        const rows = records.map((r) => ({
          provider: r.provider, id: r.id, source: r.source, currency: r.currency, amount_fen: r.amountFen.toString(), value_date: r.valueDate,
          identifiers: r.identifiers, transfer_group: r.transferGroup, counterparty: r.counterparty, reference: r.reference, content_hash: r.contentHash,
        }));
        const inserted = await tx.query(
          `INSERT INTO "provider_records" ("provider", "id", "source", "currency", "amount_fen", "value_date", "identifiers", "transfer_group",
                                           "counterparty", "reference", "content_hash", "import_id")
           SELECT r."provider", r."id", r."source", r."currency", r."amount_fen", r."value_date", r."identifiers", r."transfer_group",
                  r."counterparty", r."reference", r."content_hash", $2
             FROM jsonb_to_recordset($1::jsonb) AS r("provider" text, "id" text, "source" text, "currency" text, "amount_fen" bigint, "value_date" date,
                                                    "identifiers" text[], "transfer_group" text, "counterparty" text, "reference" text, "content_hash" text)
           ON CONFLICT ("provider", "id") DO NOTHING`,
          [JSON.stringify(rows), importId],
        );
        const n = inserted.rowCount;
        await tx.query(
          `UPDATE "statement_imports" SET "done" = GREATEST("done", $2), "inserted" = "inserted" + $3, "already" = "already" + $4 WHERE "id" = $1 AND "status" = 'importing'`,
          [importId, done, n, records.length - n],
        );
        return n;
      });
    },

    async finishImport(id: string, at: Date): Promise<ImportRow> {
      await sql.query(`UPDATE "statement_imports" SET "status" = 'imported', "done" = "total", "finished_at" = $2 WHERE "id" = $1 AND "status" = 'importing'`, [id, at]);
      return (await this.findImport(id))!;
    },

    /** Undoes the counts of an import that is written again from the start (a retried upload of a file that was cut off). */
    async restartImport(id: string): Promise<void> {
      await sql.query(`UPDATE "statement_imports" SET "done" = 0, "inserted" = 0, "already" = 0 WHERE "id" = $1 AND "status" = 'importing'`, [id]);
    },

    async listImports(filter: { after?: { createdAt: Date; id: string }; limit: number }): Promise<ImportRow[]> {
      const r = await sql.query<Raw>(
        `SELECT * FROM "statement_imports"
          WHERE ($1::timestamptz IS NULL OR ("created_at", "id") < ($1::timestamptz, $2::text))
          ORDER BY "created_at" DESC, "id" DESC LIMIT $3`,
        [filter.after?.createdAt ?? null, filter.after?.id ?? null, filter.limit],
      );
      return r.rows.map(importRow);
    },

    // ----------------------------------------------- the clearing account's copy

    async cursor(shard: string): Promise<number> {
      const r = await sql.query<{ after_timestamp: bigint }>(`SELECT "after_timestamp" FROM "reconciliation_cursors" WHERE "shard" = $1`, [shard]);
      return r.rows[0] ? Number(r.rows[0].after_timestamp) : 0;
    },

    /** Stores copied movements (a movement copied before is left as it is) and moves the cursor forward. */
    async insertLedgerEntries(shard: string, rows: readonly LedgerEntryRow[], cursor: number): Promise<void> {
      await sql.transaction(async (tx) => {
        if (rows.length > 0) {
          const json = rows.map((r) => ({
            transfer_id: r.transferId, provider: r.provider, kind: r.kind, currency: r.currency, amount_fen: r.amountFen.toString(), business_date: r.businessDate,
            ledger_timestamp: String(r.ledgerTimestamp), identifiers: r.identifiers, transfer_group: r.transferGroup, corrects: r.corrects,
          }));
          await tx.query(
            `INSERT INTO "reconciliation_ledger_entries" ("transfer_id", "provider", "kind", "currency", "amount_fen", "business_date", "ledger_timestamp",
                                                          "identifiers", "transfer_group", "corrects")
             SELECT * FROM jsonb_to_recordset($1::jsonb) AS r("transfer_id" text, "provider" text, "kind" text, "currency" text, "amount_fen" bigint,
                                                             "business_date" date, "ledger_timestamp" bigint, "identifiers" text[], "transfer_group" text, "corrects" text[])
             ON CONFLICT ("transfer_id") DO NOTHING`,
            [JSON.stringify(json)],
          );
        }
        await tx.query(
          `INSERT INTO "reconciliation_cursors" ("shard", "after_timestamp") VALUES ($1, $2)
           ON CONFLICT ("shard") DO UPDATE SET "after_timestamp" = GREATEST("reconciliation_cursors"."after_timestamp", EXCLUDED."after_timestamp")`,
          [shard, cursor],
        );
      });
    },

    // ---------------------------------------------------------------- runs

    /** Everything of a provider up to `date` that no run matched. */
    async openScope(provider: Provider, upTo: string): Promise<{ ledger: LedgerEntryRow[]; records: ProviderRecordRow[] }> {
      const l = await sql.query<Raw>(
        `SELECT "transfer_id", "provider", "kind", "currency", "amount_fen", "business_date"::text AS "business_date", "ledger_timestamp",
                "identifiers", "transfer_group", "corrects"
           FROM "reconciliation_ledger_entries" WHERE "provider" = $1 AND "settled_run_id" IS NULL AND "business_date" <= $2::date`,
        [provider, upTo],
      );
      const p = await sql.query<Raw>(
        `SELECT "provider", "id", "source", "currency", "amount_fen", "value_date"::text AS "value_date", "identifiers", "transfer_group",
                "counterparty", "reference", "content_hash"
           FROM "provider_records" WHERE "provider" = $1 AND "settled_run_id" IS NULL AND "value_date" <= $2::date`,
        [provider, upTo],
      );
      return {
        ledger: l.rows.map((r) => ({
          transferId: r["transfer_id"] as string, provider: r["provider"] as Provider, kind: r["kind"] as string, currency: r["currency"] as string,
          amountFen: big(r["amount_fen"]), businessDate: r["business_date"] as string, ledgerTimestamp: Number(r["ledger_timestamp"]),
          identifiers: texts(r["identifiers"]), transferGroup: (r["transfer_group"] as string | null) ?? null, corrects: texts(r["corrects"]),
        })),
        records: p.rows.map((r) => ({
          provider: r["provider"] as Provider, id: r["id"] as string, source: r["source"] as string, currency: r["currency"] as string,
          amountFen: big(r["amount_fen"]), valueDate: r["value_date"] as string, identifiers: texts(r["identifiers"]),
          transferGroup: (r["transfer_group"] as string | null) ?? null, counterparty: (r["counterparty"] as string | null) ?? null,
          reference: (r["reference"] as string | null) ?? null, contentHash: r["content_hash"] as string,
        })),
      };
    },

    /** Cumulative sums up to a date per currency, matched or not: what the control totals compare. */
    async cumulativeTotals(provider: Provider, upTo: string, day: string): Promise<Map<string, { ledgerFen: bigint; providerFen: bigint; dayLedgerFen: bigint; dayProviderFen: bigint }>> {
      const r = await sql.query<{ currency: string; side: string; total: bigint; day_total: bigint }>(
        `SELECT "currency", 'ledger' AS "side", coalesce(sum("amount_fen"), 0)::bigint AS "total",
                coalesce(sum("amount_fen") FILTER (WHERE "business_date" = $3::date), 0)::bigint AS "day_total"
           FROM "reconciliation_ledger_entries" WHERE "provider" = $1 AND "business_date" <= $2::date GROUP BY "currency"
         UNION ALL
         SELECT "currency", 'provider', coalesce(sum("amount_fen"), 0)::bigint, coalesce(sum("amount_fen") FILTER (WHERE "value_date" = $3::date), 0)::bigint
           FROM "provider_records" WHERE "provider" = $1 AND "value_date" <= $2::date GROUP BY "currency"`,
        [provider, upTo, day],
      );
      const out = new Map<string, { ledgerFen: bigint; providerFen: bigint; dayLedgerFen: bigint; dayProviderFen: bigint }>();
      for (const row of r.rows) {
        const t = out.get(row.currency) ?? { ledgerFen: 0n, providerFen: 0n, dayLedgerFen: 0n, dayProviderFen: 0n };
        if (row.side === "ledger") {
          t.ledgerFen = big(row.total);
          t.dayLedgerFen = big(row.day_total);
        } else {
          t.providerFen = big(row.total);
          t.dayProviderFen = big(row.day_total);
        }
        out.set(row.currency, t);
      }
      return out;
    },

    /** The settled identifiers among `identifiers`. */
    async settledAmong(provider: Provider, identifiers: readonly string[]): Promise<string[]> {
      if (identifiers.length === 0) return [];
      const r = await sql.query<{ identifier: string }>(
        `SELECT "identifier" FROM "reconciliation_settled_identifiers" WHERE "provider" = $1 AND "identifier" = ANY($2::text[])`,
        [provider, identifiers],
      );
      return r.rows.map((x) => x.identifier);
    },

    /** Pairs an operator matched by accepting a suggestion, among these members: member id → the pair's link. */
    async matchLinks(provider: Provider, memberIds: readonly string[]): Promise<Map<string, string>> {
      const out = new Map<string, string>();
      if (memberIds.length === 0) return out;
      const r = await sql.query<{ id: string; matched_with: string; ledger_ids: string[]; provider_ids: string[] }>(
        `SELECT "id", "matched_with", "ledger_ids", "provider_ids" FROM "reconciliation_exceptions"
          WHERE "provider" = $1 AND "resolution" = 'match' AND "status" = 'resolved'
            AND ("ledger_ids" && $2::text[] OR "provider_ids" && $2::text[])`,
        [provider, memberIds],
      );
      for (const row of r.rows) {
        const link = `match:${row.id < row.matched_with ? row.id : row.matched_with}`;
        for (const m of [...texts(row.ledger_ids), ...texts(row.provider_ids)]) out.set(m, link);
      }
      return out;
    },

    async latestRun(provider: Provider): Promise<RunRow | null> {
      const r = await sql.query<Raw>(
        `SELECT ${RUN_COLUMNS} FROM "reconciliation_runs" WHERE "provider" = $1 ORDER BY "business_date" DESC, "created_at" DESC, "id" DESC LIMIT 1`,
        [provider],
      );
      return r.rows[0] ? runRow(r.rows[0]) : null;
    },

    /** The newest run of a provider for one date. */
    async latestRunOn(provider: Provider, date: string): Promise<RunRow | null> {
      const r = await sql.query<Raw>(
        `SELECT ${RUN_COLUMNS} FROM "reconciliation_runs" WHERE "provider" = $1 AND "business_date" = $2::date ORDER BY "created_at" DESC, "id" DESC LIMIT 1`,
        [provider, date],
      );
      return r.rows[0] ? runRow(r.rows[0]) : null;
    },

    async findRun(id: string): Promise<RunRow | null> {
      const r = await sql.query<Raw>(`SELECT ${RUN_COLUMNS} FROM "reconciliation_runs" WHERE "id" = $1`, [id]);
      return r.rows[0] ? runRow(r.rows[0]) : null;
    },

    async listRuns(filter: { provider?: Provider; after?: { createdAt: Date; id: string }; limit: number }): Promise<RunRow[]> {
      const r = await sql.query<Raw>(
        `SELECT ${RUN_COLUMNS} FROM "reconciliation_runs"
          WHERE ($1::text IS NULL OR "provider" = $1)
            AND ($2::timestamptz IS NULL OR ("created_at", "id") < ($2::timestamptz, $3::text))
          ORDER BY "created_at" DESC, "id" DESC LIMIT $4`,
        [filter.provider ?? null, filter.after?.createdAt ?? null, filter.after?.id ?? null, filter.limit],
      );
      return r.rows.map(runRow);
    },

    async listItems(runId: string, filter: { kind?: ItemKind; after?: number; limit: number }): Promise<ItemRow[]> {
      const r = await sql.query<Raw>(
        `SELECT "position", "kind", "tier", "currency", "ledger_ids", "provider_ids", "correction_ids", "ledger_fen", "provider_fen", "effect_fen",
                "item_date"::text AS "item_date", "exception_id", "suggestion_id"
           FROM "reconciliation_items"
          WHERE "run_id" = $1 AND ($2::text IS NULL OR "kind"::text = $2) AND "position" > $3
          ORDER BY "position" LIMIT $4`,
        [runId, filter.kind ?? null, filter.after ?? -1, filter.limit],
      );
      return r.rows.map(itemRow);
    },

    /**
     * Writes a run: the run and its items, the matched movements settled
     * (with their identifiers), its exceptions into the queue (a known one
     * keeps its owner, notes and status, and is opened again if a run had
     * cleared it), and every exception of the queue it no longer finds
     * cleared. "stale" when another run of the provider was written since
     * `previousRunId` was read.
     */
    async saveRun(w: RunWrite, previousRunId: string | null): Promise<"saved" | "stale"> {
      try {
        return await sql.transaction(async (tx) => {
          const { run } = w;
          await tx.query(RUN_LOCK, [run.provider]);
          const latest = await tx.query<{ id: string }>(
            `SELECT "id" FROM "reconciliation_runs" WHERE "provider" = $1 ORDER BY "business_date" DESC, "created_at" DESC, "id" DESC LIMIT 1`,
            [run.provider],
          );
          if ((latest.rows[0]?.id ?? null) !== previousRunId) throw new Rollback("stale" as const);
          await tx.query(
            `INSERT INTO "reconciliation_runs" ("id", "provider", "business_date", "scope_fingerprint", "result_fingerprint", "ledger_count", "provider_count",
                                                "matched", "exceptions", "suggestions", "totals", "started_by", "created_at")
             VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13)`,
            [run.id, run.provider, run.businessDate, run.scopeFingerprint, run.resultFingerprint, run.ledgerCount, run.providerCount, run.matched,
              run.exceptions, run.suggestions, JSON.stringify(run.totals), run.startedBy, run.createdAt],
          );
          if (w.items.length > 0) {
            const items = w.items.map((i) => ({
              position: i.position, kind: i.kind, tier: i.tier, currency: i.currency, ledger_ids: i.ledgerIds, provider_ids: i.providerIds,
              correction_ids: i.correctionIds, ledger_fen: i.ledgerFen.toString(), provider_fen: i.providerFen.toString(), effect_fen: i.effectFen.toString(),
              item_date: i.itemDate, exception_id: i.exceptionId, suggestion_id: i.suggestionId,
            }));
            await tx.query(
              `INSERT INTO "reconciliation_items" ("run_id", "position", "kind", "tier", "currency", "ledger_ids", "provider_ids", "correction_ids",
                                                   "ledger_fen", "provider_fen", "effect_fen", "item_date", "exception_id", "suggestion_id")
               SELECT $2, r."position", r."kind"::"ReconciliationItemKind", r."tier", r."currency", r."ledger_ids", r."provider_ids", r."correction_ids",
                      r."ledger_fen", r."provider_fen", r."effect_fen", r."item_date", r."exception_id", r."suggestion_id"
                 FROM jsonb_to_recordset($1::jsonb) AS r("position" int, "kind" text, "tier" int, "currency" text, "ledger_ids" text[], "provider_ids" text[],
                                                        "correction_ids" text[], "ledger_fen" bigint, "provider_fen" bigint, "effect_fen" bigint,
                                                        "item_date" date, "exception_id" text, "suggestion_id" text)`,
              [JSON.stringify(items), run.id],
            );
          }
          if (w.settledLedgerIds.length > 0) {
            await tx.query(`UPDATE "reconciliation_ledger_entries" SET "settled_run_id" = $1 WHERE "transfer_id" = ANY($2::text[]) AND "settled_run_id" IS NULL`, [
              run.id,
              w.settledLedgerIds,
            ]);
          }
          if (w.settledProviderIds.length > 0) {
            await tx.query(`UPDATE "provider_records" SET "settled_run_id" = $1 WHERE "provider" = $2 AND "id" = ANY($3::text[]) AND "settled_run_id" IS NULL`, [
              run.id,
              run.provider,
              w.settledProviderIds,
            ]);
          }
          if (w.settledIdentifiers.length > 0) {
            await tx.query(
              `INSERT INTO "reconciliation_settled_identifiers" ("provider", "identifier", "run_id", "business_date")
               SELECT $1, x, $2, $3::date FROM unnest($4::text[]) AS x ON CONFLICT DO NOTHING`,
              [run.provider, run.id, run.businessDate, w.settledIdentifiers],
            );
          }
          if (w.exceptions.length > 0) {
            const ex = w.exceptions.map((e) => ({
              id: e.id, kind: e.kind, currency: e.currency, ledger_ids: e.ledgerIds, provider_ids: e.providerIds, ledger_fen: e.ledgerFen.toString(),
              provider_fen: e.providerFen.toString(), effect_fen: e.effectFen.toString(), item_date: e.itemDate, suggestion_id: e.suggestionId, owner: e.owner,
            }));
            await tx.query(
              `INSERT INTO "reconciliation_exceptions" ("id", "provider", "kind", "currency", "ledger_ids", "provider_ids", "ledger_fen", "provider_fen", "effect_fen",
                                                        "item_date", "suggestion_id", "status", "owner", "first_run_id", "last_run_id", "opened_at", "updated_at")
               SELECT r."id", $2, r."kind"::"ReconciliationItemKind", r."currency", r."ledger_ids", r."provider_ids", r."ledger_fen", r."provider_fen", r."effect_fen",
                      r."item_date", r."suggestion_id", 'open', r."owner", $3, $3, $4, $4
                 FROM jsonb_to_recordset($1::jsonb) AS r("id" text, "kind" text, "currency" text, "ledger_ids" text[], "provider_ids" text[], "ledger_fen" bigint,
                                                        "provider_fen" bigint, "effect_fen" bigint, "item_date" date, "suggestion_id" text, "owner" text)
               ON CONFLICT ("id") DO UPDATE SET
                 "ledger_fen" = EXCLUDED."ledger_fen", "provider_fen" = EXCLUDED."provider_fen", "effect_fen" = EXCLUDED."effect_fen",
                 "item_date" = EXCLUDED."item_date", "suggestion_id" = EXCLUDED."suggestion_id", "last_run_id" = EXCLUDED."last_run_id",
                 "status" = CASE WHEN "reconciliation_exceptions"."status" IN ('cleared', 'resolved') THEN 'open'::"ReconciliationExceptionStatus"
                                 ELSE "reconciliation_exceptions"."status" END,
                 "updated_at" = EXCLUDED."updated_at"`,
              [JSON.stringify(ex), run.provider, run.id, run.createdAt],
            );
          }
          // What the queue still holds open that this run did not find is no longer a discrepancy (matched since, or found as another exception).
          await tx.query(
            `UPDATE "reconciliation_exceptions" SET "status" = 'cleared', "last_run_id" = $2, "updated_at" = $3
              WHERE "provider" = $1 AND "status" = 'open' AND NOT ("id" = ANY($4::text[]))`,
            [run.provider, run.id, run.createdAt, w.exceptions.map((e) => e.id)],
          );
          return "saved" as const;
        });
      } catch (err) {
        if (err instanceof Rollback) return err.outcome as "stale";
        throw err;
      }
    },

    // ---------------------------------------------------------- exceptions

    findException: (id: string) => findException(sql, id),

    async exceptionsByIds(ids: readonly string[]): Promise<ExceptionRow[]> {
      if (ids.length === 0) return [];
      const r = await sql.query<Raw>(`SELECT ${EXCEPTION_COLUMNS} FROM "reconciliation_exceptions" WHERE "id" = ANY($1::text[])`, [ids]);
      return r.rows.map(exceptionRow);
    },

    /** Open (and resolving) exceptions sharing a member with these: the successors of exceptions a run cleared. */
    async ownersOf(provider: Provider, memberIds: readonly string[]): Promise<Map<string, string>> {
      const out = new Map<string, string>();
      if (memberIds.length === 0) return out;
      const r = await sql.query<{ owner: string; ledger_ids: string[]; provider_ids: string[] }>(
        `SELECT "owner", "ledger_ids", "provider_ids" FROM "reconciliation_exceptions"
          WHERE "provider" = $1 AND "owner" IS NOT NULL AND "status" IN ('open', 'resolving')
            AND ("ledger_ids" && $2::text[] OR "provider_ids" && $2::text[])`,
        [provider, memberIds],
      );
      for (const row of r.rows) for (const m of [...texts(row.ledger_ids), ...texts(row.provider_ids)]) out.set(m, row.owner);
      return out;
    },

    async listExceptions(filter: { provider?: Provider; status?: ExceptionStatus; owner?: string; after?: { openedAt: Date; id: string }; limit: number }): Promise<ExceptionRow[]> {
      const r = await sql.query<Raw>(
        `SELECT ${EXCEPTION_COLUMNS} FROM "reconciliation_exceptions"
          WHERE ($1::text IS NULL OR "provider" = $1)
            AND ($2::text IS NULL OR "status"::text = $2)
            AND ($3::text IS NULL OR "owner" = $3)
            AND ($4::timestamptz IS NULL OR ("opened_at", "id") > ($4::timestamptz, $5::text))
          ORDER BY "opened_at", "id" LIMIT $6`,
        [filter.provider ?? null, filter.status ?? null, filter.owner ?? null, filter.after?.openedAt ?? null, filter.after?.id ?? null, filter.limit],
      );
      return r.rows.map(exceptionRow);
    },

    async assign(id: string, owner: string | null, at: Date): Promise<ExceptionRow | null> {
      await sql.query(`UPDATE "reconciliation_exceptions" SET "owner" = $2, "updated_at" = $3 WHERE "id" = $1`, [id, owner, at]);
      return findException(sql, id);
    },

    async addNote(note: NoteRow): Promise<void> {
      await sql.query(`INSERT INTO "reconciliation_notes" ("id", "exception_id", "author", "body", "created_at") VALUES ($1, $2, $3, $4, $5)`, [
        note.id, note.exceptionId, note.author, note.body, note.createdAt,
      ]);
    },

    async notes(exceptionId: string): Promise<NoteRow[]> {
      const r = await sql.query<Raw>(`SELECT * FROM "reconciliation_notes" WHERE "exception_id" = $1 ORDER BY "created_at", "id"`, [exceptionId]);
      return r.rows.map((n) => ({ id: n["id"] as string, exceptionId: n["exception_id"] as string, author: n["author"] as string, body: n["body"] as string, createdAt: date(n["created_at"]) }));
    },

    /**
     * open → resolving with the correcting transfer it is about to write, under
     * the request's claim (recording the operation): before any money moves.
     */
    async startCorrection(id: string, correction: { transferId: string; amountFen: bigint; by: string; at: Date }, claim: Claim, operation: string): Promise<"started" | "not_open" | "claim_lost"> {
      return underClaim<"started", "not_open">(sql, claim, { operation, target: id }, async (tx) => {
        const r = await tx.query(
          `UPDATE "reconciliation_exceptions" SET "status" = 'resolving', "resolution" = 'correction', "correction_transfer_id" = $2, "correction_fen" = $3,
                  "resolved_by" = $4, "updated_at" = $5
            WHERE "id" = $1 AND "status" = 'open'`,
          [id, correction.transferId, correction.amountFen, correction.by, correction.at],
        );
        if (r.rowCount !== 1) throw new Rollback("not_open" as const);
        return "started" as const;
      });
    },

    /** The correcting transfer stands: resolving → resolved. */
    async finishCorrection(id: string, at: Date, claim: Claim): Promise<"done" | "claim_lost"> {
      return underClaim(sql, claim, undefined, async (tx) => {
        await tx.query(`UPDATE "reconciliation_exceptions" SET "status" = 'resolved', "resolved_at" = $2, "updated_at" = $2 WHERE "id" = $1 AND "status" = 'resolving'`, [id, at]);
        return "done" as const;
      });
    },

    /** The ledger refused the correction: resolving → open, the correction forgotten. */
    async undoCorrection(id: string, at: Date, claim: Claim): Promise<"done" | "claim_lost"> {
      return underClaim(sql, claim, undefined, async (tx) => {
        await tx.query(
          `UPDATE "reconciliation_exceptions" SET "status" = 'open', "resolution" = NULL, "correction_transfer_id" = NULL, "correction_fen" = NULL,
                  "resolved_by" = NULL, "updated_at" = $2
            WHERE "id" = $1 AND "status" = 'resolving'`,
          [id, at],
        );
        return "done" as const;
      });
    },

    /** An accepted suggestion: both exceptions (open, one missing on each side) resolved as matched with each other. */
    async resolveByMatch(a: string, b: string, by: string, at: Date): Promise<"done" | "not_open"> {
      return sql.transaction(async (tx) => {
        const r = await tx.query(
          `UPDATE "reconciliation_exceptions" SET "status" = 'resolved', "resolution" = 'match',
                  "matched_with" = CASE WHEN "id" = $1 THEN $2 ELSE $1 END, "resolved_by" = $3, "resolved_at" = $4, "updated_at" = $4
            WHERE "id" IN ($1, $2) AND "status" = 'open'`,
          [a, b, by, at],
        );
        if (r.rowCount !== 2) throw new Rollback("not_open" as const);
        return "done" as const;
      }).catch((err: unknown) => {
        if (err instanceof Rollback) return err.outcome as "not_open";
        throw err;
      });
    },

    /** The exceptions whose correcting transfers these are (transfer id → exception). */
    async exceptionsByCorrection(transferIds: readonly string[]): Promise<Map<string, ExceptionRow>> {
      const out = new Map<string, ExceptionRow>();
      const ids = [...new Set(transferIds.map((t) => /^reconciliation:(rex_[0-9a-f]+):\d+$/.exec(t)?.[1]).filter((x): x is string => x !== undefined))];
      if (ids.length === 0) return out;
      const rows = await this.exceptionsByIds(ids);
      const byId = new Map(rows.map((e) => [e.id, e]));
      for (const t of transferIds) {
        const id = /^reconciliation:(rex_[0-9a-f]+):\d+$/.exec(t)?.[1];
        const e = id ? byId.get(id) : undefined;
        if (e) out.set(t, e);
      }
      return out;
    },

    // ------------------------------------------------- exports (read the ledger)

    /**
     * Each account's posted totals as of a ledger instant (µs), from the
     * running totals every transfer row carries: the totals of the account's
     * last transfer at or before it.
     */
    async trialBalanceAt(shard: string, upToUs: number): Promise<Array<{ accountId: string; ledger: string; code: string; ownerId: string | null; debitsPosted: bigint; creditsPosted: bigint }>> {
      const r = await sql.query<Raw>(
        `WITH "legs" AS (
           SELECT "debit_account_id" AS "account_id", "timestamp", "dr_debits_posted" AS "dp", "dr_credits_posted" AS "cp"
             FROM "ledger_transfers" WHERE "shard" = $1 AND "timestamp" <= $2
           UNION ALL
           SELECT "credit_account_id", "timestamp", "cr_debits_posted", "cr_credits_posted"
             FROM "ledger_transfers" WHERE "shard" = $1 AND "timestamp" <= $2
         ), "last" AS (
           SELECT DISTINCT ON ("account_id") "account_id", "dp", "cp" FROM "legs" ORDER BY "account_id", "timestamp" DESC
         )
         SELECT a."id", a."ledger", a."code", a."owner_id", coalesce(l."dp", 0) AS "dp", coalesce(l."cp", 0) AS "cp"
           FROM "ledger_accounts" a LEFT JOIN "last" l ON l."account_id" = a."id"
          WHERE a."shard" = $1 AND a."timestamp" <= $2
          ORDER BY a."ledger", a."code", a."id"`,
        [shard, upToUs],
      );
      return r.rows.map((x) => ({
        accountId: x["id"] as string, ledger: x["ledger"] as string, code: x["code"] as string, ownerId: (x["owner_id"] as string | null) ?? null,
        debitsPosted: big(x["dp"]), creditsPosted: big(x["cp"]),
      }));
    },

    /** A page of the ledger's transfers with timestamps in [fromUs, toUs), after `afterUs`. */
    /** Whether the ledger has the account (a per-contract statement of an unknown contract is a 404). */
    async accountExists(shard: string, id: string): Promise<boolean> {
      const r = await sql.query(`SELECT 1 FROM "ledger_accounts" WHERE "shard" = $1 AND "id" = $2`, [shard, id]);
      return r.rows.length > 0;
    },

    async transfersBetween(shard: string, fromUs: number, toUs: number, afterUs: number, limit: number): Promise<Raw[]> {
      const r = await sql.query<Raw>(
        `SELECT "timestamp", "id", "kind", "debit_account_id", "credit_account_id", "amount", "pending_id", "ledger", "code", "user_data"
           FROM "ledger_transfers" WHERE "shard" = $1 AND "timestamp" >= $2 AND "timestamp" < $3 AND "timestamp" > $4
          ORDER BY "timestamp" LIMIT $5`,
        [shard, fromUs, toUs, afterUs, limit],
      );
      return r.rows;
    },
  };
}
export type ReconciliationRepository = ReturnType<typeof createReconciliationRepository>;
