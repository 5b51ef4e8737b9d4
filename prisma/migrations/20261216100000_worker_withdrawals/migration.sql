-- An independent worker is paid into a payable of their own (the contract runtime) and withdraws from it through
-- the same flow as organisations: the same hold, claim and recovery. A withdrawal belongs to an organisation or to
-- a worker, never both and never neither.
ALTER TABLE "withdrawals" ALTER COLUMN "organisation_id" DROP NOT NULL;
ALTER TABLE "withdrawals" ADD COLUMN "worker_id" TEXT REFERENCES "workers"("id");
ALTER TABLE "withdrawals" ADD CONSTRAINT "withdrawals_payee_check" CHECK (("organisation_id" IS NULL) <> ("worker_id" IS NULL));
CREATE INDEX "withdrawals_worker_id_idx" ON "withdrawals"("worker_id");
