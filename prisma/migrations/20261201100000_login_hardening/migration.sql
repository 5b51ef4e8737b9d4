-- Login hardening (issue 7): one-time codes for phone changes, per-phone lockout with back-off,
-- workers' birth dates (minimum age, juvenile workers), an audit trail of operator-only
-- organisation changes, and indexes for the retention purge.

CREATE TYPE "OtpPurpose" AS ENUM ('login', 'phone_change');

-- A phone-change challenge is sent to the NEW phone and belongs to the worker whose phone changes.
ALTER TABLE "otp_challenges"
  ADD COLUMN "purpose"      "OtpPurpose" NOT NULL DEFAULT 'login',
  ADD COLUMN "worker_id"    TEXT REFERENCES "workers"("id") ON DELETE CASCADE,
  ADD COLUMN "requested_by" TEXT;
CREATE INDEX "otp_challenges_worker_id_idx" ON "otp_challenges"("worker_id");
CREATE INDEX "otp_challenges_expires_at_idx" ON "otp_challenges"("expires_at");
CREATE INDEX "worker_sessions_expires_at_idx" ON "worker_sessions"("expires_at");

-- Failed code checks per normalised phone; a phone is locked for a growing time after repeated failures.
CREATE TABLE "login_lockouts" (
  "phone"        TEXT PRIMARY KEY,
  "failures"     INTEGER NOT NULL DEFAULT 0,
  "lock_level"   INTEGER NOT NULL DEFAULT 0,
  "locked_until" TIMESTAMPTZ(3),
  "updated_at"   TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "login_lockouts_updated_at_idx" ON "login_lockouts"("updated_at");

-- Unknown for workers registered before this migration (the raw ID number was never kept).
ALTER TABLE "workers" ADD COLUMN "birth_date" DATE;

CREATE TYPE "OrganisationField" AS ENUM ('name', 'districtCode', 'lendsStaff');

-- Every change of an organisation's record: who, when, old and new value, and the operator's reason.
CREATE TABLE "organisation_changes" (
  "id"              TEXT PRIMARY KEY,
  "organisation_id" TEXT NOT NULL REFERENCES "organisations"("id"),
  "field"           "OrganisationField" NOT NULL,
  "old_value"       TEXT NOT NULL,
  "new_value"       TEXT NOT NULL,
  "reason"          TEXT,
  "changed_by"      TEXT NOT NULL,
  "changed_by_role" "Role" NOT NULL,
  "changed_at"      TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "organisation_changes_organisation_id_idx" ON "organisation_changes"("organisation_id", "id");
