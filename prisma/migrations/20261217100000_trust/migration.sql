-- Issue 10 (trust): integrity points, colours, appeals. Every point traces to its source: a scored event is
-- recorded once per source (a contract's trust record, a licence lost, an operator's commendation or penalty,
-- an arrears cost day), and an upheld appeal annuls events without deleting them. Colour changes are events
-- of their own; the sequencer is told of each (trust_status remembers which one it was told last).

-- The versions of the weights, decay and thresholds; the version in force is shown on the public page. Append-only.
CREATE TABLE "trust_settings_versions" (
  "version"       TEXT PRIMARY KEY,
  "settings"      JSONB NOT NULL,
  "in_force_from" TIMESTAMPTZ(3) NOT NULL
);
CREATE TRIGGER "trust_settings_versions_append_only" BEFORE UPDATE OR DELETE ON "trust_settings_versions"
  FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "trust_settings_versions_no_truncate" BEFORE TRUNCATE ON "trust_settings_versions"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();

-- The scored events of every organisation. Append-only; unique per source, so a source scored twice records once.
CREATE TABLE "trust_events" (
  "id"              TEXT PRIMARY KEY,
  "organisation_id" TEXT NOT NULL,
  "kind"            TEXT NOT NULL CHECK ("kind" IN ('shift_completed', 'seat_unfilled', 'no_show', 'late_cancellation', 'supplier_cancelled',
                                                    'dispute_lost', 'licence_invalid', 'wages_unpaid', 'commendation', 'penalty')),
  "source"          TEXT NOT NULL CHECK ("source" IN ('contract', 'licence', 'operator', 'arrears')),
  "source_id"       TEXT NOT NULL,
  "at"              TIMESTAMPTZ(3) NOT NULL,
  "count"           INTEGER NOT NULL CHECK ("count" >= 1),
  "contract_id"     TEXT,
  "seat"            INTEGER,
  "reason"          TEXT,
  "document_ref"    TEXT,
  "points"          INTEGER,
  "serious"         BOOLEAN NOT NULL,
  "operator_id"     TEXT,
  "recorded_at"     TIMESTAMPTZ(3) NOT NULL,
  CONSTRAINT "trust_events_source_key" UNIQUE ("source", "source_id")
);
CREATE INDEX "trust_events_organisation_id_at_idx" ON "trust_events"("organisation_id", "at");
CREATE TRIGGER "trust_events_append_only" BEFORE UPDATE OR DELETE ON "trust_events"
  FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "trust_events_no_truncate" BEFORE TRUNCATE ON "trust_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();

-- Which contract trust records the scorer has read (also those that score nothing, e.g. a dispute nobody lost). Append-only.
CREATE TABLE "trust_consumed" (
  "source_id"   TEXT PRIMARY KEY,
  "event_id"    TEXT,
  "consumed_at" TIMESTAMPTZ(3) NOT NULL
);
CREATE TRIGGER "trust_consumed_append_only" BEFORE UPDATE OR DELETE ON "trust_consumed"
  FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "trust_consumed_no_truncate" BEFORE TRUNCATE ON "trust_consumed"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();

-- Events an upheld appeal voided: they stay in trust_events and count nothing from "at" on. Append-only.
CREATE TABLE "trust_annulments" (
  "event_id"    TEXT PRIMARY KEY,
  "appeal_id"   TEXT NOT NULL,
  "operator_id" TEXT NOT NULL,
  "at"          TIMESTAMPTZ(3) NOT NULL
);
CREATE TRIGGER "trust_annulments_append_only" BEFORE UPDATE OR DELETE ON "trust_annulments"
  FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "trust_annulments_no_truncate" BEFORE TRUNCATE ON "trust_annulments"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();

-- Every change of colour, with its reason, the points and settings version behind it and the events an appeal may contest. Append-only.
CREATE TABLE "trust_colour_transitions" (
  "id"               TEXT PRIMARY KEY,
  "organisation_id"  TEXT NOT NULL,
  "from_colour"      TEXT NOT NULL CHECK ("from_colour" IN ('red', 'blue', 'black')),
  "to_colour"        TEXT NOT NULL CHECK ("to_colour" IN ('red', 'blue', 'black')),
  "reason"           JSONB NOT NULL,
  "at"               TIMESTAMPTZ(3) NOT NULL,
  "settings_version" TEXT NOT NULL,
  "points"           TEXT NOT NULL,
  "event_ids"        TEXT[] NOT NULL,
  "appeal_id"        TEXT
);
CREATE INDEX "trust_colour_transitions_organisation_id_at_idx" ON "trust_colour_transitions"("organisation_id", "at");
CREATE TRIGGER "trust_colour_transitions_append_only" BEFORE UPDATE OR DELETE ON "trust_colour_transitions"
  FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "trust_colour_transitions_no_truncate" BEFORE TRUNCATE ON "trust_colour_transitions"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();

-- Appeals against a downgrade: filed by the organisation, decided by an operator (the decision fills the row once).
CREATE TABLE "trust_appeals" (
  "id"              TEXT PRIMARY KEY,
  "organisation_id" TEXT NOT NULL,
  "transition_id"   TEXT NOT NULL UNIQUE,
  "from_colour"     TEXT NOT NULL,
  "to_colour"       TEXT NOT NULL,
  "grounds"         TEXT NOT NULL,
  "contested"       TEXT[] NOT NULL,
  "status"          TEXT NOT NULL CHECK ("status" IN ('open', 'upheld', 'rejected')),
  "filed_at"        TIMESTAMPTZ(3) NOT NULL,
  "decided_by"      TEXT,
  "decision_reason" TEXT,
  "decided_at"      TIMESTAMPTZ(3),
  CONSTRAINT "trust_appeals_decision_check" CHECK (("status" = 'open') = ("decided_at" IS NULL))
);
CREATE INDEX "trust_appeals_organisation_id_filed_at_idx" ON "trust_appeals"("organisation_id", "filed_at");
CREATE INDEX "trust_appeals_status_filed_at_idx" ON "trust_appeals"("status", "filed_at");

-- Each rated organisation's current colour and reason, whether its licence was valid when last looked at, its
-- latest transition, and the transition the sequencer was last told of (behind it: the next pass tells it again).
CREATE TABLE "trust_status" (
  "organisation_id"      TEXT PRIMARY KEY,
  "colour"               TEXT NOT NULL CHECK ("colour" IN ('red', 'blue', 'black')),
  "reason"               JSONB NOT NULL,
  "centipoints"          INTEGER NOT NULL,
  "licence_valid"        BOOLEAN NOT NULL,
  "last_transition_id"   TEXT,
  "synced_transition_id" TEXT,
  "dirty"                BOOLEAN NOT NULL,
  "evaluated_at"         TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "trust_status_dirty_idx" ON "trust_status"("organisation_id") WHERE "dirty";
