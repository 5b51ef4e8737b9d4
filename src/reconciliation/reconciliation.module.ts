/** Builds the reconciliation module from the config: repository and service over the ledger's single writer. */
import type { Config } from "../config";
import type { SqlPool } from "../infra/db";
import type { ClearingMovement } from "../payments";
import type { Clock } from "../shared/clock";
import type { NewId } from "../shared/ids";
import { createReconciliationRepository } from "./reconciliation.repository";
import { createReconciliationService, type ProviderSource, type ReconciliationLedger } from "./reconciliation.service";

export interface ReconciliationModuleDeps {
  sql: SqlPool;
  /** The shard's sequencer (through its public ledger API). */
  ledger: ReconciliationLedger;
  config: Pick<Config, "ledger" | "reconciliation">;
  clock: Clock;
  newId: NewId;
  /** Payments says which gateway and ids its clearing transfers carry. */
  describeClearing(transferIds: readonly string[]): Promise<Map<string, ClearingMovement>>;
  /** Stripe's records, when Stripe is configured. */
  stripeSource?: ProviderSource | undefined;
}

export function createReconciliationModule(deps: ReconciliationModuleDeps) {
  const repo = createReconciliationRepository(deps.sql);
  const service = createReconciliationService({
    repo,
    ledger: deps.ledger,
    describeClearing: deps.describeClearing,
    shard: deps.config.ledger.shard,
    clock: deps.clock,
    newId: deps.newId,
    windowDays: deps.config.reconciliation.windowDays,
    ...(deps.stripeSource ? { stripeSource: deps.stripeSource } : {}),
  });
  return {
    repo,
    service,
    /** Recovery of the operations reconciliation records on claims: register each with the idempotency layer. */
    operations: service.operations,
    /** What the routes need besides the service. */
    limits: { maxStatementBytes: deps.config.reconciliation.maxStatementBytes },
  };
}
export type ReconciliationModule = ReturnType<typeof createReconciliationModule>;
