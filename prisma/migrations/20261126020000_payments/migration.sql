-- Payments through the offline gateway: wallet top-ups by bank transfer, supplier withdrawals paid in batches.
CREATE TABLE "top_ups" (
  "reference"           TEXT PRIMARY KEY,
  "organisation_id"     TEXT NOT NULL REFERENCES "organisations"("id"),
  "account_id"          TEXT NOT NULL,
  "requested_fen"       BIGINT NOT NULL CHECK ("requested_fen" > 0),
  "received_fen"        BIGINT CHECK ("received_fen" > 0),
  "status"              TEXT NOT NULL CHECK ("status" IN ('awaiting_transfer', 'confirmed')),
  "gateway"             TEXT NOT NULL,
  "bank_transaction_id" TEXT UNIQUE,
  "transfer_id"         TEXT,
  "created_at"          TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "confirmed_at"        TIMESTAMPTZ(3),
  "confirmed_by"        TEXT
);
CREATE INDEX "top_ups_organisation_id_idx" ON "top_ups"("organisation_id");

CREATE TABLE "payout_batches" (
  "id"         TEXT PRIMARY KEY,
  "gateway"    TEXT NOT NULL,
  "count"      INTEGER NOT NULL,
  "total_fen"  BIGINT NOT NULL,
  "created_by" TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);

CREATE TABLE "withdrawals" (
  "id"                  TEXT PRIMARY KEY,
  "organisation_id"     TEXT NOT NULL REFERENCES "organisations"("id"),
  "account_id"          TEXT NOT NULL,
  "amount_fen"          BIGINT NOT NULL CHECK ("amount_fen" > 0),
  "bank_account_name"   TEXT NOT NULL,
  "bank_name"           TEXT NOT NULL,
  "bank_account_number" TEXT NOT NULL,
  "status"              TEXT NOT NULL CHECK ("status" IN ('requested', 'paid', 'rejected')),
  "hold_transfer_id"    TEXT NOT NULL,
  "batch_id"            TEXT REFERENCES "payout_batches"("id"),
  "status_reason"       TEXT,
  "created_at"          TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "updated_at"          TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "withdrawals_organisation_id_idx" ON "withdrawals"("organisation_id");
CREATE INDEX "withdrawals_status_idx" ON "withdrawals"("status");
