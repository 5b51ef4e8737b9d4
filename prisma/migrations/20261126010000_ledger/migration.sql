-- Ledger (issue 4): the append-only journal of the single writer of each ledger shard.
-- One row per account and per transfer, in the writer's timestamp order (µs since
-- the epoch, unique per shard). Balances are not stored: the writer holds them in
-- memory and rebuilds them by replaying these rows. Nothing here is ever updated
-- or deleted (triggers below). Each transfer carries sha256 hashes of its content
-- and of that chained to the previous transfer of its shard, so an edited,
-- removed or inserted row breaks the chain from there on.
--
-- No foreign keys from transfers to accounts: the writer has checked every
-- reference before it writes, and an FK check would lock the hot account rows
-- once per transfer (WAL for every lock). The chain and a replay catch what an
-- FK would.

CREATE TABLE "ledger_accounts" (
  "shard"      TEXT NOT NULL,
  "id"         TEXT NOT NULL,
  "ledger"     TEXT NOT NULL,
  "code"       TEXT NOT NULL,
  "owner_id"   TEXT,
  "flags"      INTEGER NOT NULL CHECK ("flags" >= 0),
  "user_data"  TEXT,
  "timestamp"  BIGINT NOT NULL CHECK ("timestamp" > 0),
  "hash"       TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "ledger_accounts_pkey" PRIMARY KEY ("shard", "id")
);
CREATE UNIQUE INDEX "ledger_accounts_shard_timestamp_key" ON "ledger_accounts"("shard", "timestamp");

CREATE TABLE "ledger_transfers" (
  "shard"             TEXT NOT NULL,
  "timestamp"         BIGINT NOT NULL CHECK ("timestamp" > 0),
  "id"                TEXT NOT NULL,
  "kind"              TEXT NOT NULL CHECK ("kind" IN ('single', 'pending', 'post', 'void', 'expire')),
  "debit_account_id"  TEXT NOT NULL,
  "credit_account_id" TEXT NOT NULL,
  "amount"            BIGINT NOT NULL CHECK ("amount" >= 0),
  "pending_id"        TEXT,
  "ledger"            TEXT NOT NULL,
  "code"              TEXT NOT NULL,
  "flags"             INTEGER NOT NULL CHECK ("flags" >= 0),
  "timeout_ms"        BIGINT NOT NULL CHECK ("timeout_ms" >= 0),
  "user_data"         TEXT,
  "content_hash"      TEXT NOT NULL,
  "chain_hash"        TEXT NOT NULL,
  "created_at"        TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "ledger_transfers_pkey" PRIMARY KEY ("shard", "timestamp"),
  CONSTRAINT "ledger_transfers_pending_id_check" CHECK (("pending_id" IS NULL) = ("kind" IN ('single', 'pending')))
);
CREATE UNIQUE INDEX "ledger_transfers_shard_id_key" ON "ledger_transfers"("shard", "id");
-- Statements: an account's transfers in time order, one index per side.
CREATE INDEX "ledger_transfers_shard_debit_account_id_timestamp_idx" ON "ledger_transfers"("shard", "debit_account_id", "timestamp");
CREATE INDEX "ledger_transfers_shard_credit_account_id_timestamp_idx" ON "ledger_transfers"("shard", "credit_account_id", "timestamp");
-- A hold is resolved (posted, voided or expired) at most once, enforced by the database too.
-- Partial, so not expressible in schema.prisma.
CREATE UNIQUE INDEX "ledger_transfers_shard_pending_id_key" ON "ledger_transfers"("shard", "pending_id") WHERE "pending_id" IS NOT NULL;

-- Append-only: UPDATE, DELETE and TRUNCATE are refused for everyone, owner included.
CREATE FUNCTION "ledger_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "ledger_accounts_append_only" BEFORE UPDATE OR DELETE ON "ledger_accounts"
  FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "ledger_accounts_no_truncate" BEFORE TRUNCATE ON "ledger_accounts"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "ledger_transfers_append_only" BEFORE UPDATE OR DELETE ON "ledger_transfers"
  FOR EACH ROW EXECUTE FUNCTION "ledger_refuse_change"();
CREATE TRIGGER "ledger_transfers_no_truncate" BEFORE TRUNCATE ON "ledger_transfers"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger_refuse_change"();
