-- Ledger tamper evidence (issue 7): one chain over accounts AND transfers, and signed checkpoints.
--
-- Every record of a shard (an account's creation or a transfer) gets a position, "sequence":
-- 1, 2, 3, … with no gaps, shared by both tables, in the writer's timestamp order. Each record
-- stores the sha256 of its content ("content_hash", unchanged for transfers; the old "hash" of
-- accounts) and of that chained to the record before it ("chain_hash" = sha256(previous
-- chain_hash || content_hash), the first record chained to 64 zeros). So an edited account is
-- caught like an edited transfer.
--
-- The writer signs (Ed25519) {shard, sequence, chain_hash, time} at least every minute while the
-- chain grows and on shutdown, into "ledger_checkpoints", and serves them publicly: a record
-- removed after a checkpoint, or a history rewritten behind one (hashes recomputed), no longer
-- matches a signature the database cannot forge.

ALTER TABLE "ledger_accounts" RENAME COLUMN "hash" TO "content_hash";
ALTER TABLE "ledger_accounts" ADD COLUMN "sequence" BIGINT, ADD COLUMN "chain_hash" TEXT;
ALTER TABLE "ledger_transfers" ADD COLUMN "sequence" BIGINT;

-- Number and re-chain the records already stored. The old chain (transfers only) is checked on
-- the way, so a broken one is refused instead of being re-anchored as if it were intact.
ALTER TABLE "ledger_accounts" DISABLE TRIGGER "ledger_accounts_append_only";
ALTER TABLE "ledger_transfers" DISABLE TRIGGER "ledger_transfers_append_only";
DO $$
DECLARE
  r RECORD;
  current_shard TEXT := NULL;
  seq BIGINT := 0;
  prev TEXT;
  prev_old TEXT;
  link TEXT;
BEGIN
  FOR r IN
    SELECT 'account' AS "what", "shard", "timestamp", "id", "content_hash", NULL::TEXT AS "old_chain_hash" FROM "ledger_accounts"
    UNION ALL
    SELECT 'transfer', "shard", "timestamp", "id", "content_hash", "chain_hash" FROM "ledger_transfers"
    ORDER BY 2, 3
  LOOP
    IF current_shard IS DISTINCT FROM r."shard" THEN
      current_shard := r."shard";
      seq := 0;
      prev := repeat('0', 64);
      prev_old := repeat('0', 64);
    END IF;
    seq := seq + 1;
    link := encode(sha256(convert_to(prev || r."content_hash", 'UTF8')), 'hex');
    IF r."what" = 'account' THEN
      UPDATE "ledger_accounts" SET "sequence" = seq, "chain_hash" = link WHERE "shard" = r."shard" AND "id" = r."id";
    ELSE
      IF r."old_chain_hash" <> encode(sha256(convert_to(prev_old || r."content_hash", 'UTF8')), 'hex') THEN
        RAISE EXCEPTION 'ledger shard %: transfer % breaks the stored hash chain; the ledger was changed behind its triggers', r."shard", r."id";
      END IF;
      prev_old := r."old_chain_hash";
      UPDATE "ledger_transfers" SET "sequence" = seq, "chain_hash" = link WHERE "shard" = r."shard" AND "timestamp" = r."timestamp";
    END IF;
    prev := link;
  END LOOP;
END
$$;
ALTER TABLE "ledger_accounts" ENABLE TRIGGER "ledger_accounts_append_only";
ALTER TABLE "ledger_transfers" ENABLE TRIGGER "ledger_transfers_append_only";

ALTER TABLE "ledger_accounts" ALTER COLUMN "sequence" SET NOT NULL, ALTER COLUMN "chain_hash" SET NOT NULL,
  ADD CONSTRAINT "ledger_accounts_sequence_check" CHECK ("sequence" > 0);
ALTER TABLE "ledger_transfers" ALTER COLUMN "sequence" SET NOT NULL,
  ADD CONSTRAINT "ledger_transfers_sequence_check" CHECK ("sequence" > 0);
-- A position is taken once per table; the writer and the verifier keep it unique across both.
CREATE UNIQUE INDEX "ledger_accounts_shard_sequence_key" ON "ledger_accounts"("shard", "sequence");
CREATE UNIQUE INDEX "ledger_transfers_shard_sequence_key" ON "ledger_transfers"("shard", "sequence");

CREATE TABLE "ledger_checkpoints" (
  "shard"      TEXT NOT NULL,
  "sequence"   BIGINT NOT NULL CHECK ("sequence" > 0),
  "chain_hash" TEXT NOT NULL,
  "signed_at"  TIMESTAMPTZ(3) NOT NULL,
  -- first 16 hex digits of the sha256 of the signing key's raw public key
  "key_id"     TEXT NOT NULL,
  -- Ed25519 signature of the checkpoint's canonical payload, base64
  "signature"  TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "ledger_checkpoints_pkey" PRIMARY KEY ("shard", "sequence")
);

CREATE TRIGGER "ledger_checkpoints_append_only" BEFORE UPDATE OR DELETE ON "ledger_checkpoints"
  FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "ledger_checkpoints_no_truncate" BEFORE TRUNCATE ON "ledger_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();
