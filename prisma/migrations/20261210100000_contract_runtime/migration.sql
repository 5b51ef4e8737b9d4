-- Issue 9: the contract runtime. Every contract (one per fill) and every worker named to one of its seats runs
-- as an XState machine (machines/): its snapshot and version are stored here, every accepted event is appended
-- to a log, the effects a step describes go into an outbox in the same transaction, and its deadlines are
-- durable timers. Money leaves escrow only through the sequencer, with transfer ids derived from effect ids.

-- One row per contract: the facts the runtime needs to move the contract's money (copied from the contract row
-- the sequencer wrote), the machine's input, its latest snapshot and version (optimistic concurrency).
CREATE TABLE "contract_workflows" (
  "contract_id"       TEXT PRIMARY KEY,
  "enterprise_id"     TEXT NOT NULL,
  "supplier_id"       TEXT NOT NULL,
  "market"            TEXT NOT NULL,
  "skill_id"          TEXT NOT NULL,
  "headcount"         INTEGER NOT NULL CHECK ("headcount" > 0),
  "rate_fen"          INTEGER NOT NULL CHECK ("rate_fen" > 0),
  "shared"            BOOLEAN NOT NULL,
  "paid_minutes"      INTEGER NOT NULL CHECK ("paid_minutes" > 0),
  "min_certificate"   INTEGER NOT NULL,
  "shift_start"       TIMESTAMPTZ(3) NOT NULL,
  "shift_end"         TIMESTAMPTZ(3) NOT NULL,
  "escrow_account_id" TEXT NOT NULL,
  "seat_fen"          BIGINT NOT NULL CHECK ("seat_fen" > 0),
  "input"             JSONB NOT NULL,
  "snapshot"          JSONB NOT NULL,
  "version"           INTEGER NOT NULL CHECK ("version" > 0),
  "machine_version"   TEXT NOT NULL,
  "state"             TEXT NOT NULL,
  "outcome"           TEXT,
  "closed_at"         TIMESTAMPTZ(3),
  "created_at"        TIMESTAMPTZ(3) NOT NULL,
  "updated_at"        TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "contract_workflows_enterprise_id_contract_id_idx" ON "contract_workflows"("enterprise_id", "contract_id");
CREATE INDEX "contract_workflows_supplier_id_contract_id_idx" ON "contract_workflows"("supplier_id", "contract_id");

-- One row per worker named to a seat. "identity_hash" is the worker's real-name identity: the no-double-booking
-- check looks for an overlapping booked shift of the same person whichever supplier named them. "booked" is
-- false once the shift ended unworked (declined, replaced, lapsed, cancelled, no-show).
CREATE TABLE "worker_shifts" (
  "shift_id"        TEXT PRIMARY KEY,
  "contract_id"     TEXT NOT NULL,
  "seat"            INTEGER NOT NULL CHECK ("seat" > 0),
  "worker_id"       TEXT NOT NULL,
  "identity_hash"   TEXT NOT NULL,
  "enterprise_id"   TEXT NOT NULL,
  "supplier_id"     TEXT NOT NULL,
  "independent"     BOOLEAN NOT NULL,
  "shift_start"     TIMESTAMPTZ(3) NOT NULL,
  "shift_end"       TIMESTAMPTZ(3) NOT NULL,
  "input"           JSONB NOT NULL,
  "snapshot"        JSONB NOT NULL,
  "version"         INTEGER NOT NULL CHECK ("version" > 0),
  "machine_version" TEXT NOT NULL,
  "state"           TEXT NOT NULL,
  "booked"          BOOLEAN NOT NULL,
  "created_at"      TIMESTAMPTZ(3) NOT NULL,
  "updated_at"      TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "worker_shifts_contract_id_seat_idx" ON "worker_shifts"("contract_id", "seat");
CREATE INDEX "worker_shifts_worker_id_shift_start_idx" ON "worker_shifts"("worker_id", "shift_start");
CREATE INDEX "worker_shifts_identity_hash_shift_start_idx" ON "worker_shifts"("identity_hash", "shift_start");

-- Every accepted event of every machine, in order: a machine's snapshot is the replay of its input and this log.
CREATE TABLE "workflow_events" (
  "machine_id"  TEXT NOT NULL,
  "version"     INTEGER NOT NULL CHECK ("version" > 1),
  "kind"        TEXT NOT NULL CHECK ("kind" IN ('contract', 'shift')),
  "event"       JSONB NOT NULL,
  "recorded_at" TIMESTAMPTZ(3) NOT NULL,
  CONSTRAINT "workflow_events_pkey" PRIMARY KEY ("machine_id", "version")
);
CREATE TRIGGER "workflow_events_append_only" BEFORE UPDATE OR DELETE ON "workflow_events"
  FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "workflow_events_no_truncate" BEFORE TRUNCATE ON "workflow_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();

-- The outbox: effects stored with the step that described them, run after it committed, each at most once by
-- its stable id (messages between machines are delivered in the receiving step's own transaction).
CREATE TABLE "workflow_effects" (
  "seq"         BIGSERIAL PRIMARY KEY,
  "effect_id"   TEXT NOT NULL UNIQUE,
  "machine_id"  TEXT NOT NULL,
  "type"        TEXT NOT NULL,
  "effect"      JSONB NOT NULL,
  "attempts"    INTEGER NOT NULL DEFAULT 0,
  "last_error"  TEXT,
  "created_at"  TIMESTAMPTZ(3) NOT NULL,
  "done_at"     TIMESTAMPTZ(3)
);
CREATE INDEX "workflow_effects_pending_idx" ON "workflow_effects"("seq") WHERE "done_at" IS NULL;

-- Durable timers: a machine's deadlines (XState does not persist its own). Claimed with FOR UPDATE SKIP LOCKED;
-- the event fired is the one stored, so a timer fired late or twice changes nothing.
CREATE TABLE "workflow_timers" (
  "timer_id"   TEXT PRIMARY KEY,
  "machine_id" TEXT NOT NULL,
  "kind"       TEXT NOT NULL CHECK ("kind" IN ('contract', 'shift')),
  "due_at"     TIMESTAMPTZ(3) NOT NULL,
  "event"      JSONB NOT NULL
);
CREATE INDEX "workflow_timers_due_at_idx" ON "workflow_timers"("due_at");
CREATE INDEX "workflow_timers_machine_id_idx" ON "workflow_timers"("machine_id");

-- How each seat's escrow left, with the amounts of every leg: the earnings workers and suppliers see, the split
-- both parties of a dispute see. One row per seat (its id is the seat's escrow effect id). Append-only.
CREATE TABLE "seat_settlements" (
  "id"               TEXT PRIMARY KEY,
  "contract_id"      TEXT NOT NULL,
  "seat"             INTEGER NOT NULL,
  "kind"             TEXT NOT NULL CHECK ("kind" IN ('settled', 'refunded', 'late_cancelled')),
  "shift_id"         TEXT,
  "worker_id"        TEXT,
  "minutes"          INTEGER,
  "basis"            TEXT,
  "reason"           TEXT,
  "operator_id"      TEXT,
  "wage_fen"         BIGINT NOT NULL CHECK ("wage_fen" >= 0),
  "tax_fen"          BIGINT NOT NULL CHECK ("tax_fen" >= 0),
  "fee_fen"          BIGINT NOT NULL CHECK ("fee_fen" >= 0),
  "refund_fen"       BIGINT NOT NULL CHECK ("refund_fen" >= 0),
  "payee_account_id" TEXT,
  "transfer_ids"     TEXT[] NOT NULL,
  "settled_at"       TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "seat_settlements_contract_id_idx" ON "seat_settlements"("contract_id");
CREATE INDEX "seat_settlements_worker_id_idx" ON "seat_settlements"("worker_id");
CREATE TRIGGER "seat_settlements_append_only" BEFORE UPDATE OR DELETE ON "seat_settlements"
  FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "seat_settlements_no_truncate" BEFORE TRUNCATE ON "seat_settlements"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();

-- Events against an organisation for the trust issue to score (seat unfilled, no-show, late cancellation, …).
CREATE TABLE "contract_trust_events" (
  "id"          TEXT PRIMARY KEY,
  "contract_id" TEXT NOT NULL,
  "party"       TEXT NOT NULL CHECK ("party" IN ('enterprise', 'supplier')),
  "party_id"    TEXT NOT NULL,
  "event"       TEXT NOT NULL,
  "seat"        INTEGER,
  "seats"       INTEGER NOT NULL,
  "minutes"     JSONB,
  "recorded_at" TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "contract_trust_events_party_id_recorded_at_idx" ON "contract_trust_events"("party_id", "recorded_at");
CREATE TRIGGER "contract_trust_events_append_only" BEFORE UPDATE OR DELETE ON "contract_trust_events"
  FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "contract_trust_events_no_truncate" BEFORE TRUNCATE ON "contract_trust_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();

-- What each party was told (the pages' inbox; the notifier port and the WebSocket carry them live).
CREATE TABLE "workflow_notifications" (
  "id"           TEXT PRIMARY KEY,
  "recipient"    TEXT NOT NULL CHECK ("recipient" IN ('worker', 'enterprise', 'supplier', 'operator')),
  "recipient_id" TEXT,
  "contract_id"  TEXT NOT NULL,
  "shift_id"     TEXT,
  "seat"         INTEGER,
  "kind"         TEXT NOT NULL,
  "created_at"   TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "workflow_notifications_recipient_idx" ON "workflow_notifications"("recipient", "recipient_id", "created_at");

-- An enterprise's site: where its check-in code is shown, and its optional geofence (micro-degrees, metres).
CREATE TABLE "enterprise_sites" (
  "enterprise_id"  TEXT PRIMARY KEY,
  "latitude_e6"    INTEGER,
  "longitude_e6"   INTEGER,
  "radius_m"       INTEGER,
  "updated_at"     TIMESTAMPTZ(3) NOT NULL,
  CONSTRAINT "enterprise_sites_fence_check" CHECK (("latitude_e6" IS NULL) = ("longitude_e6" IS NULL) AND ("latitude_e6" IS NULL) = ("radius_m" IS NULL))
);
