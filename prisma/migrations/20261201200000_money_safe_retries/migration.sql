-- Money-safe retries.
-- Idempotency claims carry the process that holds them (its instance id, kept alive by a session advisory lock), a
-- fencing token that every takeover increments, and the operation a request started with its target, so a retry or the
-- sweeper completes that operation from what was stored instead of running it a second time.
ALTER TABLE "idempotency_records"
  ADD COLUMN "token"          BIGINT NOT NULL DEFAULT 1,
  ADD COLUMN "owner_instance" BIGINT,
  ADD COLUMN "claimed_at"     TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  ADD COLUMN "completed_at"   TIMESTAMPTZ(3),
  ADD COLUMN "operation"      TEXT,
  ADD COLUMN "target"         TEXT,
  ADD COLUMN "secret"         BOOLEAN NOT NULL DEFAULT false;
UPDATE "idempotency_records" SET "completed_at" = "created_at" WHERE "status_code" <> 0;
-- Responses that carried a secret (a new API key) were stored in plain text: forget their bodies.
UPDATE "idempotency_records" SET "response_body" = 'null'::jsonb, "secret" = true
 WHERE "status_code" BETWEEN 200 AND 299
   AND ("path" ~ '^/v1/api-keys([?#]|$)' OR "path" ~ '^/v1/organisations/[^/?#]+/api-keys([?#]|$)');
CREATE INDEX "idempotency_records_open_idx" ON "idempotency_records" ("claimed_at") WHERE "status_code" = 0;
CREATE INDEX "idempotency_records_completed_at_idx" ON "idempotency_records" ("completed_at") WHERE "status_code" <> 0;

-- Payment statuses become enums; the transient states (a write in progress whose ledger step may or may not have
-- happened yet) are explicit, so a retry or the sweeper can find and finish them.
CREATE TYPE "TopUpStatus" AS ENUM ('awaiting_transfer', 'confirming', 'confirmed');
ALTER TABLE "top_ups" DROP CONSTRAINT "top_ups_status_check";
ALTER TABLE "top_ups" ALTER COLUMN "status" TYPE "TopUpStatus" USING "status"::"TopUpStatus";
CREATE INDEX "top_ups_created_at_idx" ON "top_ups" ("created_at", "reference");

CREATE TYPE "WithdrawalStatus" AS ENUM ('holding', 'requested', 'rejecting', 'rejected', 'paying', 'paid');
ALTER TABLE "withdrawals" DROP CONSTRAINT "withdrawals_status_check";
ALTER TABLE "withdrawals" ALTER COLUMN "status" TYPE "WithdrawalStatus" USING "status"::"WithdrawalStatus";
CREATE INDEX "withdrawals_created_at_idx" ON "withdrawals" ("created_at", "id");
CREATE INDEX "withdrawals_batch_id_idx" ON "withdrawals" ("batch_id");

CREATE TYPE "PayoutBatchStatus" AS ENUM ('posting', 'posted');
ALTER TABLE "payout_batches" ADD COLUMN "status" "PayoutBatchStatus" NOT NULL DEFAULT 'posted';
ALTER TABLE "payout_batches" ALTER COLUMN "status" DROP DEFAULT;
