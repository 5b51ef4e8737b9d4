-- Issue 8: the sequencer. One single writer per shard hosts the shard's order books and the ledger's balances;
-- each batch of commands is ONE transaction (one statement) holding the batch's journal entry, the orders it
-- created or changed, the contracts (one per fill) and the ledger records. Start-up loads the newest snapshot
-- and replays only the journal after it.

-- Running totals: every transfer carries both accounts' posted totals after it, so a statement page starts
-- from the stored totals instead of summing an account's whole history, and an account evicted from the
-- writer's memory (idle, holding nothing) is loaded back from its last transfer. They are derived data, not
-- part of the content hash: the full verification recomputes them.
ALTER TABLE "ledger_transfers"
  ADD COLUMN "dr_debits_posted" BIGINT,
  ADD COLUMN "dr_credits_posted" BIGINT,
  ADD COLUMN "cr_debits_posted" BIGINT,
  ADD COLUMN "cr_credits_posted" BIGINT;

ALTER TABLE "ledger_transfers" DISABLE TRIGGER "ledger_transfers_append_only";
WITH "legs" AS (
  SELECT "shard", "sequence", "debit_account_id" AS "account", 'd' AS "side",
         CASE WHEN "kind" IN ('single', 'post') THEN "amount" ELSE 0 END AS "debit", 0::bigint AS "credit"
    FROM "ledger_transfers"
  UNION ALL
  SELECT "shard", "sequence", "credit_account_id", 'c', 0::bigint,
         CASE WHEN "kind" IN ('single', 'post') THEN "amount" ELSE 0 END
    FROM "ledger_transfers"
), "running" AS (
  SELECT "shard", "sequence", "side",
         sum("debit") OVER "w" AS "debits", sum("credit") OVER "w" AS "credits"
    FROM "legs" WINDOW "w" AS (PARTITION BY "shard", "account" ORDER BY "sequence")
)
UPDATE "ledger_transfers" t
   SET "dr_debits_posted" = dr."debits", "dr_credits_posted" = dr."credits",
       "cr_debits_posted" = cr."debits", "cr_credits_posted" = cr."credits"
  FROM "running" dr, "running" cr
 WHERE dr."shard" = t."shard" AND dr."sequence" = t."sequence" AND dr."side" = 'd'
   AND cr."shard" = t."shard" AND cr."sequence" = t."sequence" AND cr."side" = 'c';
ALTER TABLE "ledger_transfers" ENABLE TRIGGER "ledger_transfers_append_only";

ALTER TABLE "ledger_transfers"
  ALTER COLUMN "dr_debits_posted" SET NOT NULL,
  ALTER COLUMN "dr_credits_posted" SET NOT NULL,
  ALTER COLUMN "cr_debits_posted" SET NOT NULL,
  ALTER COLUMN "cr_credits_posted" SET NOT NULL;

-- Fewer indexes to maintain on every append: a record's position is its key (timestamps stay strictly
-- increasing along the chain, which the verifier checks), and an account's creation time needs no index.
ALTER TABLE "ledger_transfers" DROP CONSTRAINT "ledger_transfers_pkey";
ALTER TABLE "ledger_transfers" ADD CONSTRAINT "ledger_transfers_pkey" PRIMARY KEY USING INDEX "ledger_transfers_shard_sequence_key";
DROP INDEX "ledger_accounts_shard_timestamp_key";

-- The journal: every command the sequencer applied, one row per batch, commands in sequence order (a JSON
-- array; each command carries its sequence number and the sequencer's clock). With the ledger's chain tip
-- after the batch, so a replay proves it reproduces the stored chain batch by batch. Append-only.
CREATE TABLE "sequencer_journal" (
  "shard"          TEXT NOT NULL,
  "first_seq"      BIGINT NOT NULL CHECK ("first_seq" > 0),
  "last_seq"       BIGINT NOT NULL,
  "chain_sequence" BIGINT NOT NULL CHECK ("chain_sequence" >= 0),
  "chain_hash"     TEXT NOT NULL,
  "commands"       TEXT NOT NULL,
  "created_at"     TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "sequencer_journal_pkey" PRIMARY KEY ("shard", "first_seq"),
  CONSTRAINT "sequencer_journal_seq_check" CHECK ("last_seq" >= "first_seq")
);
CREATE TRIGGER "sequencer_journal_append_only" BEFORE UPDATE OR DELETE ON "sequencer_journal"
  FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "sequencer_journal_no_truncate" BEFORE TRUNCATE ON "sequencer_journal"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();

-- Snapshots of the sequencer's state at a batch boundary: balances of the accounts in memory, pending holds,
-- books and open orders, with the journal position and the chain tip they stand for. Signed with the
-- ledger's Ed25519 key, so a snapshot edited in the database is refused. Old ones may be pruned.
CREATE TABLE "sequencer_snapshots" (
  "shard"          TEXT NOT NULL,
  "journal_seq"    BIGINT NOT NULL CHECK ("journal_seq" >= 0),
  "chain_sequence" BIGINT NOT NULL CHECK ("chain_sequence" >= 0),
  "chain_hash"     TEXT NOT NULL,
  "state"          TEXT NOT NULL,
  "digest"         TEXT NOT NULL,
  "key_id"         TEXT NOT NULL,
  "signature"      TEXT NOT NULL,
  "created_at"     TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "sequencer_snapshots_pkey" PRIMARY KEY ("shard", "journal_seq")
);

-- Orders, written only by the sequencer: inserted by the batch that accepted them, updated by the batches that
-- fill, reduce, re-rate, cancel or expire them. "dedupe_key" is the client's order id (or a key derived from
-- the Idempotency-Key): unique per organisation, so a retried placement finds the original.
CREATE TABLE "orders" (
  "id"                 TEXT PRIMARY KEY,
  "shard"              TEXT NOT NULL,
  "organisation_id"    TEXT NOT NULL,
  "client_order_id"    TEXT,
  "dedupe_key"         TEXT,
  "market"             TEXT NOT NULL,
  "side"               TEXT NOT NULL CHECK ("side" IN ('demand', 'supply')),
  "quantity"           INTEGER NOT NULL CHECK ("quantity" > 0),
  "remaining"          INTEGER NOT NULL CHECK ("remaining" >= 0),
  "filled"             INTEGER NOT NULL CHECK ("filled" >= 0),
  "rate_fen"           INTEGER NOT NULL CHECK ("rate_fen" > 0),
  "time_in_force"      TEXT NOT NULL CHECK ("time_in_force" IN ('good_till', 'ioc', 'fok')),
  "good_till"          TIMESTAMPTZ(3),
  "state"              TEXT NOT NULL CHECK ("state" IN ('open', 'filled', 'cancelled', 'expired')),
  "hold_fen"           BIGINT NOT NULL CHECK ("hold_fen" >= 0),
  "min_fill"           INTEGER NOT NULL,
  "min_certificate"    INTEGER NOT NULL,
  "min_colour"         TEXT,
  "excluded_suppliers" TEXT[] NOT NULL,
  "min_split"          INTEGER NOT NULL,
  "all_or_none"        BOOLEAN NOT NULL,
  "certificate"        INTEGER NOT NULL,
  "shared"             BOOLEAN NOT NULL,
  "created_seq"        BIGINT NOT NULL,
  "updated_seq"        BIGINT NOT NULL,
  "created_at"         TIMESTAMPTZ(3) NOT NULL,
  "updated_at"         TIMESTAMPTZ(3) NOT NULL
);
-- Partial: orders without a client order id (or Idempotency-Key) cost no entry.
CREATE UNIQUE INDEX "orders_organisation_id_dedupe_key_key" ON "orders"("organisation_id", "dedupe_key") WHERE "dedupe_key" IS NOT NULL;
CREATE INDEX "orders_organisation_id_id_idx" ON "orders"("organisation_id", "id");

-- Contracts: one per fill, created in the batch of the fill, with the fill's trade record (market, rate,
-- headcount, aggressor) and the escrow account the fill's money moved into. Ids sort in sequence order.
CREATE TABLE "contracts" (
  "id"                TEXT PRIMARY KEY,
  "fill_id"           TEXT NOT NULL,
  "shard"             TEXT NOT NULL,
  "seq"               BIGINT NOT NULL,
  "market"            TEXT NOT NULL,
  "enterprise_id"     TEXT NOT NULL,
  "supplier_id"       TEXT NOT NULL,
  "demand_order_id"   TEXT NOT NULL,
  "supply_order_id"   TEXT NOT NULL,
  "headcount"         INTEGER NOT NULL CHECK ("headcount" > 0),
  "rate_fen"          INTEGER NOT NULL CHECK ("rate_fen" > 0),
  "aggressor"         TEXT NOT NULL CHECK ("aggressor" IN ('demand', 'supply')),
  "shared"            BOOLEAN NOT NULL,
  "shift_start"       TIMESTAMPTZ(3) NOT NULL,
  "shift_end"         TIMESTAMPTZ(3) NOT NULL,
  "escrow_account_id" TEXT NOT NULL,
  "escrow_fen"        BIGINT NOT NULL CHECK ("escrow_fen" > 0),
  "state"             TEXT NOT NULL,
  "created_at"        TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "contracts_market_id_idx" ON "contracts"("market", "id");
CREATE INDEX "contracts_enterprise_id_id_idx" ON "contracts"("enterprise_id", "id");
CREATE INDEX "contracts_supplier_id_id_idx" ON "contracts"("supplier_id", "id");
CREATE INDEX "contracts_demand_order_id_idx" ON "contracts"("demand_order_id");
CREATE INDEX "contracts_supply_order_id_idx" ON "contracts"("supply_order_id");
