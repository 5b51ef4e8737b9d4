-- Foundation: parties, API keys, worker login, idempotency.
CREATE TYPE "OrganisationKind" AS ENUM ('enterprise', 'agency');
CREATE TYPE "Colour" AS ENUM ('red', 'blue', 'black');
CREATE TYPE "LicenceType" AS ENUM ('hr_service', 'labour_dispatch');
CREATE TYPE "LicenceStatus" AS ENUM ('pending', 'valid', 'suspended', 'expired');
CREATE TYPE "Role" AS ENUM ('enterprise', 'agency', 'worker', 'operator', 'regulator');

CREATE TABLE "organisations" (
  "id"               TEXT PRIMARY KEY,
  "kind"             "OrganisationKind" NOT NULL,
  "name"             TEXT NOT NULL,
  "credit_code"      TEXT NOT NULL UNIQUE,
  "district_code"    TEXT NOT NULL,
  "lends_staff"      BOOLEAN NOT NULL DEFAULT false,
  "colour"           "Colour" NOT NULL DEFAULT 'blue',
  "integrity_points" INTEGER NOT NULL DEFAULT 100,
  "created_at"       TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "updated_at"       TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);

CREATE TABLE "licences" (
  "id"              TEXT PRIMARY KEY,
  "organisation_id" TEXT NOT NULL REFERENCES "organisations"("id"),
  "type"            "LicenceType" NOT NULL,
  "number"          TEXT NOT NULL UNIQUE,
  "valid_until"     DATE NOT NULL,
  "status"          "LicenceStatus" NOT NULL DEFAULT 'pending',
  "status_reason"   TEXT,
  "verified_at"     TIMESTAMPTZ(3),
  "created_at"      TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "updated_at"      TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "licences_organisation_id_idx" ON "licences"("organisation_id");

CREATE TABLE "api_keys" (
  "id"              TEXT PRIMARY KEY,
  "key_hash"        TEXT NOT NULL UNIQUE,
  "prefix"          TEXT NOT NULL,
  "role"            "Role" NOT NULL,
  "organisation_id" TEXT REFERENCES "organisations"("id"),
  "label"           TEXT NOT NULL,
  "created_at"      TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "revoked_at"      TIMESTAMPTZ(3)
);
CREATE INDEX "api_keys_organisation_id_idx" ON "api_keys"("organisation_id");

CREATE TABLE "workers" (
  "id"            TEXT PRIMARY KEY,
  "supplier_id"   TEXT REFERENCES "organisations"("id"),
  "real_name"     TEXT NOT NULL,
  "identity_hash" TEXT NOT NULL UNIQUE,
  "identity_mask" TEXT NOT NULL,
  "phone"         TEXT NOT NULL UNIQUE,
  "district_code" TEXT NOT NULL,
  "key_groups"    TEXT[] NOT NULL DEFAULT '{}',
  "created_at"    TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "updated_at"    TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "workers_supplier_id_idx" ON "workers"("supplier_id");

CREATE TABLE "worker_skills" (
  "worker_id" TEXT NOT NULL REFERENCES "workers"("id") ON DELETE CASCADE,
  "skill_id"  TEXT NOT NULL,
  "level"     INTEGER NOT NULL,
  PRIMARY KEY ("worker_id", "skill_id")
);

CREATE TABLE "otp_challenges" (
  "id"          TEXT PRIMARY KEY,
  "phone"       TEXT NOT NULL,
  "code_hash"   TEXT NOT NULL,
  "expires_at"  TIMESTAMPTZ(3) NOT NULL,
  "attempts"    INTEGER NOT NULL DEFAULT 0,
  "consumed_at" TIMESTAMPTZ(3),
  "created_at"  TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "otp_challenges_phone_idx" ON "otp_challenges"("phone");

CREATE TABLE "worker_sessions" (
  "id"         TEXT PRIMARY KEY,
  "token_hash" TEXT NOT NULL UNIQUE,
  "worker_id"  TEXT NOT NULL REFERENCES "workers"("id") ON DELETE CASCADE,
  "expires_at" TIMESTAMPTZ(3) NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "worker_sessions_worker_id_idx" ON "worker_sessions"("worker_id");

CREATE TABLE "idempotency_records" (
  "caller"        TEXT NOT NULL,
  "key"           TEXT NOT NULL,
  "method"        TEXT NOT NULL,
  "path"          TEXT NOT NULL,
  "request_hash"  TEXT NOT NULL,
  "status_code"   INTEGER NOT NULL,
  "response_body" JSONB NOT NULL,
  "created_at"    TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  PRIMARY KEY ("caller", "key")
);
