/** Builds the ledger module from the config: the shard's single writer (opened and verified), its service, its routes' dependencies. */
import type { Config } from "../config";
import type { SqlPool } from "../infra/db";
import type { Clock } from "../shared/clock";
import { createLedgerRepository } from "./ledger.repository";
import { createLedgerService } from "./ledger.service";
import { openLedgerWriter, type LedgerWriterLog } from "./ledger.writer";

export interface LedgerModuleDeps {
  sql: SqlPool;
  config: Pick<Config, "ledger">;
  clock: Clock;
  log?: LedgerWriterLog;
}

/**
 * Opens the shard's writer (verifying the stored chain; a chain that does
 * not verify throws LedgerCorruptError) and builds the service on it.
 */
export async function createLedgerModule(deps: LedgerModuleDeps) {
  const settings = deps.config.ledger;
  const writer = await openLedgerWriter({
    sql: deps.sql,
    clock: deps.clock,
    shard: settings.shard,
    maxBatchTransfers: settings.batchSize,
    checkpointIntervalMs: settings.checkpointIntervalMs,
    signingKey: settings.signingKey,
    previousPublicKeys: settings.previousPublicKeys,
    verifyOnOpen: settings.verifyOnStart,
    ...(deps.log ? { log: deps.log } : {}),
  });
  const service = createLedgerService({
    writer,
    repo: createLedgerRepository(deps.sql, settings.shard),
    signingKey: settings.signingKey,
    previousPublicKeys: settings.previousPublicKeys,
  });
  return {
    /** the shard's single writer: payments and every other module move money through it. */
    writer,
    service,
    /** signs a last checkpoint and releases the shard. */
    close: () => writer.close(),
  };
}
export type LedgerModule = Awaited<ReturnType<typeof createLedgerModule>>;
