/** Builds the ledger module: the shard's single writer (the sequencer, opened and verified) and its service. */
import type { Config } from "../config";
import type { SqlPool } from "../infra/db";
import type { Clock } from "../shared/clock";
import { openLedgerWriter, type LedgerWriter, type LedgerWriterLog } from "../sequencer";
import { createLedgerRepository } from "./ledger.repository";
import { createLedgerService } from "./ledger.service";

export interface LedgerModuleDeps {
  sql: SqlPool;
  config: Pick<Config, "ledger">;
  clock: Clock;
  log?: LedgerWriterLog;
  /** the shard's sequencer, when the app opened it (it also hosts the books); otherwise one is opened here. */
  writer?: LedgerWriter;
  /** further checks the verification runs (read when it runs, so modules built later may add theirs). */
  checks?: readonly (() => Promise<string[]>)[];
}

/**
 * Opens the shard's writer unless given one (verifying the stored chain; a
 * chain that does not verify throws LedgerCorruptError) and builds the
 * service on it.
 */
export async function createLedgerModule(deps: LedgerModuleDeps) {
  const settings = deps.config.ledger;
  const owned = deps.writer === undefined;
  const writer =
    deps.writer ??
    (await openLedgerWriter({
      sql: deps.sql,
      clock: deps.clock,
      shard: settings.shard,
      maxBatchTransfers: settings.batchSize,
      checkpointIntervalMs: settings.checkpointIntervalMs,
      signingKey: settings.signingKey,
      previousPublicKeys: settings.previousPublicKeys,
      verifyOnOpen: settings.verifyOnStart,
      ...(deps.log ? { log: deps.log } : {}),
    }));
  const service = createLedgerService({
    writer,
    repo: createLedgerRepository(deps.sql, settings.shard),
    signingKey: settings.signingKey,
    previousPublicKeys: settings.previousPublicKeys,
    ...(deps.checks ? { checks: deps.checks } : {}),
  });
  return {
    /** the shard's single writer: payments and every other module move money through it. */
    writer,
    service,
    /** signs a last checkpoint and releases the shard (when this module opened the writer). */
    close: () => (owned ? writer.close() : Promise.resolve()),
  };
}
export type LedgerModule = Awaited<ReturnType<typeof createLedgerModule>>;
