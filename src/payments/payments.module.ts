/** Builds the payments module's pieces from the config: repository, gateway, service and the recovery of its operations. */
import type { Config } from "../config";
import type { SqlPool } from "../infra/db";
import type { Clock } from "../shared/clock";
import type { NewId } from "../shared/ids";
import { createOfflineGateway } from "./offline";
import { createPaymentsRepository } from "./payments.repository";
import { createPaymentsService, type LedgerPort } from "./payments.service";

export interface PaymentsModuleDeps {
  sql: SqlPool;
  ledger: LedgerPort;
  config: Config;
  clock: Clock;
  newId: NewId;
}

export function createPaymentsModule(deps: PaymentsModuleDeps) {
  const { config } = deps;
  const repo = createPaymentsRepository(deps.sql);
  const gateway = createOfflineGateway(config.escrowBank);
  const payments = createPaymentsService({ repo, ledger: deps.ledger, gateway, clock: deps.clock, newId: deps.newId, maxAmountFen: BigInt(config.paymentMaxFen), ledgerChunk: config.ledger.batchSize });
  return {
    repo,
    gateway,
    payments,
    /** Recovery of the operations payments records on idempotency claims: register each with the idempotency layer. */
    operations: payments.operations,
    /** What the routes' schemas state. */
    limits: { maxAmountFen: config.paymentMaxFen },
  };
}
export type PaymentsModule = ReturnType<typeof createPaymentsModule>;
