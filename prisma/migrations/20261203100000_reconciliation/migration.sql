-- Issue 11: reconciliation and the Stripe gateway.
--
-- Reconciliation compares what the ledger says moved through a provider's account (the clearing account's
-- movements, copied with what identifies them) with what the provider says moved (bank statement lines,
-- Stripe balance transactions). A run is cumulative to its business date: everything up to that date that
-- no earlier run matched. Matched movements are settled (settled_run_id) and leave later runs' scope; the rest
-- become exceptions in a queue, resolved only by new transfers through the suspense account.

-- What a provider reported, one row per provider id (a bank's transaction id, a Stripe balance transaction);
-- an import is idempotent on it. Amounts are signed fen: + into the provider account, - out of it.
CREATE TABLE "provider_records" (
  "provider"       TEXT NOT NULL CHECK ("provider" IN ('offline', 'stripe')),
  "id"             TEXT NOT NULL,
  "source"         TEXT NOT NULL,
  "currency"       TEXT NOT NULL,
  "amount_fen"     BIGINT NOT NULL,
  "value_date"     DATE NOT NULL,
  "identifiers"    TEXT[] NOT NULL,
  "transfer_group" TEXT,
  "counterparty"   TEXT,
  "reference"      TEXT,
  "content_hash"   TEXT NOT NULL,
  "import_id"      TEXT NOT NULL,
  "settled_run_id" TEXT,
  "created_at"     TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "provider_records_pkey" PRIMARY KEY ("provider", "id")
);
-- A run's scope: what is not settled, up to its date.
CREATE INDEX "provider_records_open_idx" ON "provider_records" ("provider", "value_date") WHERE "settled_run_id" IS NULL;

CREATE TYPE "StatementImportStatus" AS ENUM ('importing', 'imported');
-- One upload of a statement file (or one fetch of Stripe's records); the same file again is the same import.
CREATE TABLE "statement_imports" (
  "id"          TEXT PRIMARY KEY,
  "provider"    TEXT NOT NULL,
  "file_sha256" TEXT NOT NULL,
  "filename"    TEXT,
  "encoding"    TEXT NOT NULL,
  "status"      "StatementImportStatus" NOT NULL,
  "total"       INTEGER NOT NULL,
  "done"        INTEGER NOT NULL,
  "inserted"    INTEGER NOT NULL,
  "already"     INTEGER NOT NULL,
  "created_by"  TEXT NOT NULL,
  "created_at"  TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "finished_at" TIMESTAMPTZ(3),
  CONSTRAINT "statement_imports_provider_file_sha256_key" UNIQUE ("provider", "file_sha256")
);
CREATE INDEX "statement_imports_created_at_idx" ON "statement_imports" ("created_at", "id");

-- The clearing account's movements as reconciliation sees them: copied from the append-only ledger (never
-- changed there) with the provider they went through and what identifies them.
CREATE TABLE "reconciliation_ledger_entries" (
  "transfer_id"      TEXT PRIMARY KEY,
  "provider"         TEXT NOT NULL,
  "kind"             TEXT NOT NULL,
  "currency"         TEXT NOT NULL,
  "amount_fen"       BIGINT NOT NULL,
  "business_date"    DATE NOT NULL,
  "ledger_timestamp" BIGINT NOT NULL,
  "identifiers"      TEXT[] NOT NULL,
  "transfer_group"   TEXT,
  "corrects"         TEXT[] NOT NULL DEFAULT '{}',
  "settled_run_id"   TEXT
);
CREATE INDEX "reconciliation_ledger_entries_open_idx" ON "reconciliation_ledger_entries" ("provider", "business_date") WHERE "settled_run_id" IS NULL;

-- How far the clearing account's statement has been copied (µs ledger timestamp), per ledger shard.
CREATE TABLE "reconciliation_cursors" (
  "shard"           TEXT PRIMARY KEY,
  "after_timestamp" BIGINT NOT NULL
);

-- Identifiers of movements already matched: a later movement that reuses one is a duplicate.
CREATE TABLE "reconciliation_settled_identifiers" (
  "provider"      TEXT NOT NULL,
  "identifier"    TEXT NOT NULL,
  "run_id"        TEXT NOT NULL,
  "business_date" DATE NOT NULL,
  CONSTRAINT "reconciliation_settled_identifiers_pkey" PRIMARY KEY ("provider", "identifier")
);

CREATE TABLE "reconciliation_runs" (
  "id"                 TEXT PRIMARY KEY,
  "provider"           TEXT NOT NULL,
  "business_date"      DATE NOT NULL,
  "scope_fingerprint"  TEXT NOT NULL,
  "result_fingerprint" TEXT NOT NULL,
  "ledger_count"       INTEGER NOT NULL,
  "provider_count"     INTEGER NOT NULL,
  "matched"            INTEGER NOT NULL,
  "exceptions"         INTEGER NOT NULL,
  "suggestions"        INTEGER NOT NULL,
  "totals"             JSONB NOT NULL,
  "started_by"         TEXT NOT NULL,
  "created_at"         TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "reconciliation_runs_provider_business_date_idx" ON "reconciliation_runs" ("provider", "business_date", "created_at");
CREATE INDEX "reconciliation_runs_created_at_idx" ON "reconciliation_runs" ("created_at", "id");

CREATE TYPE "ReconciliationItemKind" AS ENUM ('matched', 'amount_mismatch', 'missing_in_ledger', 'missing_at_provider', 'duplicate');
CREATE TABLE "reconciliation_items" (
  "run_id"         TEXT NOT NULL REFERENCES "reconciliation_runs"("id"),
  "position"       INTEGER NOT NULL,
  "kind"           "ReconciliationItemKind" NOT NULL,
  "tier"           INTEGER,
  "currency"       TEXT NOT NULL,
  "ledger_ids"     TEXT[] NOT NULL,
  "provider_ids"   TEXT[] NOT NULL,
  "correction_ids" TEXT[] NOT NULL,
  "ledger_fen"     BIGINT NOT NULL,
  "provider_fen"   BIGINT NOT NULL,
  "effect_fen"     BIGINT NOT NULL,
  "item_date"      DATE NOT NULL,
  "exception_id"   TEXT,
  "suggestion_id"  TEXT,
  CONSTRAINT "reconciliation_items_pkey" PRIMARY KEY ("run_id", "position")
);

-- open: needs an operator; resolving: its correcting transfer is being written (a retry or the sweeper finishes
-- it); resolved: corrected (or matched by an accepted suggestion); cleared: a later run matched it by itself.
CREATE TYPE "ReconciliationExceptionStatus" AS ENUM ('open', 'resolving', 'resolved', 'cleared');
CREATE TABLE "reconciliation_exceptions" (
  "id"                     TEXT PRIMARY KEY,
  "provider"               TEXT NOT NULL,
  "kind"                   "ReconciliationItemKind" NOT NULL,
  "currency"               TEXT NOT NULL,
  "ledger_ids"             TEXT[] NOT NULL,
  "provider_ids"           TEXT[] NOT NULL,
  "ledger_fen"             BIGINT NOT NULL,
  "provider_fen"           BIGINT NOT NULL,
  "effect_fen"             BIGINT NOT NULL,
  "item_date"              DATE NOT NULL,
  "suggestion_id"          TEXT,
  "status"                 "ReconciliationExceptionStatus" NOT NULL,
  "owner"                  TEXT,
  "resolution"             TEXT,
  "correction_transfer_id" TEXT UNIQUE,
  "correction_fen"         BIGINT,
  "matched_with"           TEXT,
  "first_run_id"           TEXT NOT NULL,
  "last_run_id"            TEXT NOT NULL,
  "opened_at"              TIMESTAMPTZ(3) NOT NULL,
  "updated_at"             TIMESTAMPTZ(3) NOT NULL,
  "resolved_at"            TIMESTAMPTZ(3),
  "resolved_by"            TEXT
);
CREATE INDEX "reconciliation_exceptions_status_idx" ON "reconciliation_exceptions" ("provider", "status", "opened_at", "id");
CREATE INDEX "reconciliation_exceptions_opened_at_idx" ON "reconciliation_exceptions" ("opened_at", "id");

CREATE TABLE "reconciliation_notes" (
  "id"           TEXT PRIMARY KEY,
  "exception_id" TEXT NOT NULL REFERENCES "reconciliation_exceptions"("id"),
  "author"       TEXT NOT NULL,
  "body"         TEXT NOT NULL,
  "created_at"   TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "reconciliation_notes_exception_id_idx" ON "reconciliation_notes" ("exception_id", "created_at");

-- The gateway each organisation pays through, and its Stripe objects.
CREATE TABLE "payment_settings" (
  "organisation_id"      TEXT PRIMARY KEY REFERENCES "organisations"("id"),
  "gateway"              TEXT NOT NULL CHECK ("gateway" IN ('offline', 'stripe')),
  "stripe_account_id"    TEXT UNIQUE,
  "stripe_account_ready" BOOLEAN NOT NULL DEFAULT false,
  "updated_at"           TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);

-- A money movement through Stripe, with its recovery point (status). Its ledger ids and the idempotency keys of
-- its Stripe requests derive from its id, so repeating any step repeats harmlessly.
CREATE TYPE "StripePaymentStatus" AS ENUM ('creating', 'awaiting_payment', 'sending', 'succeeded', 'posted', 'failing', 'failed', 'abandoning', 'abandoned');
CREATE TABLE "stripe_payments" (
  "id"              TEXT PRIMARY KEY,
  "kind"            TEXT NOT NULL CHECK ("kind" IN ('funding', 'transfer', 'refund', 'payout')),
  "organisation_id" TEXT NOT NULL REFERENCES "organisations"("id"),
  "account_id"      TEXT NOT NULL,
  "amount_fen"      BIGINT NOT NULL CHECK ("amount_fen" > 0),
  "currency"        TEXT NOT NULL,
  "status"          "StripePaymentStatus" NOT NULL,
  "stripe_id"       TEXT UNIQUE,
  "charge_id"       TEXT,
  "client_secret"   TEXT,
  "received_fen"    BIGINT,
  "fee_fen"         BIGINT,
  "transfer_group"  TEXT,
  "destination"     TEXT,
  "refund_of"       TEXT REFERENCES "stripe_payments"("id"),
  "failure"         TEXT,
  "attempts"        INTEGER NOT NULL DEFAULT 0,
  "created_at"      TIMESTAMPTZ(3) NOT NULL,
  "updated_at"      TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "stripe_payments_pending_idx" ON "stripe_payments" ("updated_at") WHERE "status" NOT IN ('posted', 'failed', 'abandoned');
CREATE INDEX "stripe_payments_organisation_id_idx" ON "stripe_payments" ("organisation_id", "created_at", "id");

-- Webhook inbox: one row per Stripe event id, so a replayed event is recognised and processed once.
CREATE TABLE "stripe_events" (
  "id"           TEXT PRIMARY KEY,
  "type"         TEXT NOT NULL,
  "object_id"    TEXT,
  "payload"      JSONB NOT NULL,
  "received_at"  TIMESTAMPTZ(3) NOT NULL,
  "processed_at" TIMESTAMPTZ(3),
  "outcome"      TEXT,
  "attempts"     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX "stripe_events_unprocessed_idx" ON "stripe_events" ("received_at") WHERE "processed_at" IS NULL;
