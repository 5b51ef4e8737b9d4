-- The contract runtime's sweep looks for contracts without a workflow after the last sequence it knows all
-- started (contracts are written in sequence order per shard), instead of anti-joining the whole history.
CREATE INDEX "contracts_shard_seq_idx" ON "contracts"("shard", "seq");
