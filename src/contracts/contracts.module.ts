/** Builds the contract runtime from the config: repository, runtime (machines, outbox, timers), service, and its loops. */
import { createHmac } from "node:crypto";
import { contractSettingsOf, type Config } from "../config";
import type { Bus } from "../infra/bus";
import type { SqlPool } from "../infra/db";
import type { Notifier } from "../parties";
import type { Clock } from "../shared/clock";
import type { ContractCreated } from "../shared/events";
import type { NewId } from "../shared/ids";
import type { ReliabilityPort } from "../shared/reliability";
import { createContractsRepository } from "./contracts.repository";
import { createContractsRuntime, type ContractsLedgerPort, type RuntimeLog, type SettlementPayouts } from "./contracts.runtime";
import { createContractsService } from "./contracts.service";

export interface ContractsModuleDeps {
  sql: SqlPool;
  config: Pick<Config, "contracts" | "taxWithholdingRate" | "sessionSecret" | "ledger">;
  ledger: ContractsLedgerPort;
  clock: Clock;
  newId: NewId;
  bus: Bus;
  notifier: Notifier;
  log: RuntimeLog;
  /** Pays settled payables out through the supplier's gateway (Stripe transfers); absent: they stay in the payable. */
  payouts?: SettlementPayouts | undefined;
  /** Enterprises' two-way reliability beside their contracts and shifts (the trust module); without it, null. */
  reliability?: ReliabilityPort;
}

export function createContractsModule(deps: ContractsModuleDeps) {
  const settings = contractSettingsOf(deps.config.contracts);
  const repo = createContractsRepository(deps.sql, deps.config.ledger.shard);
  const runtime = createContractsRuntime({
    repo, ledger: deps.ledger, clock: deps.clock, bus: deps.bus, notifier: deps.notifier, settings, taxRate: deps.config.taxWithholdingRate, log: deps.log, payouts: deps.payouts,
  });
  // Its own key, derived from the session secret: the codes say nothing about sessions and vice versa.
  const codeSecret = createHmac("sha256", deps.config.sessionSecret).update("shiftex:site-check-in-codes").digest("hex");
  const service = createContractsService({ repo, runtime, clock: deps.clock, newId: deps.newId, settings, codeSecret, ...(deps.reliability ? { reliability: deps.reliability } : {}) });

  let unsubscribe: (() => void) | undefined;
  let timers: NodeJS.Timeout[] = [];
  let busy = { timers: false, sweep: false };

  /**
   * New contracts from the bus, started a round at a time from the facts their events carry: those that arrive
   * while a round runs wait for the next, so a burst of fills costs one commit per round instead of per contract.
   */
  let arrived = new Map<string, ContractCreated>();
  let starting: Promise<void> | undefined;
  function startArrived(): void {
    if (starting !== undefined || arrived.size === 0) return;
    const events = [...arrived.values()];
    arrived = new Map();
    starting = runtime
      .startCreated(events)
      .then(() => void runtime.drain().catch(() => undefined)) // a failed pass is logged by the runtime; the sweep runs it again
      .catch((err: unknown) => deps.log.error({ err, contracts: events.length, contractId: events[0]!.contractId }, "contracts: new contracts could not be started; the sweep will retry"))
      .finally(() => {
        starting = undefined;
        startArrived();
      });
  }

  /**
   * One sweep: contracts missed by the bus are started, effects left pending are run again. The loop's sweeps
   * leave the contracts of the last sweep interval to the bus (`settledMs`); a sweep called directly takes all.
   */
  async function sweep(options: { settledMs?: number } = {}): Promise<void> {
    await runtime.catchUp(options);
    await runtime.drain();
  }

  return {
    repo,
    runtime,
    service,
    sweep,
    /** Where contracts stand in their workflows: the port the exchange's contract views read (app.ts hands it over). */
    progress: { progressOf: (contractIds: readonly string[]) => repo.progressOf(contractIds) },
    /**
     * Starts listening: new contracts from the bus, the contracts written while the process was down, the
     * effects a crash left pending, and (unless `loops` is false) the timer and sweep loops.
     */
    async start(options: { loops?: boolean } = {}): Promise<void> {
      unsubscribe = deps.bus.subscribe("contract.created", (e) => {
        arrived.set(e.contractId, e);
        startArrived();
      });
      // A failure here (the ledger unavailable, say) must not keep the process from serving: the loops retry.
      await sweep().catch((err: unknown) => deps.log.error({ err }, "contracts: the start-up sweep failed; the sweep loop retries"));
      await runtime.fireDueTimers().catch((err: unknown) => deps.log.error({ err }, "contracts: firing due timers at start-up failed; the timer loop retries"));
      if (options.loops === false) return;
      const every = (ms: number, key: keyof typeof busy, fn: () => Promise<unknown>) => {
        const t = setInterval(() => {
          if (busy[key]) return;
          busy = { ...busy, [key]: true };
          fn().catch((err: unknown) => deps.log.error({ err }, `contracts: the ${key} loop failed`)).finally(() => (busy = { ...busy, [key]: false }));
        }, ms);
        t.unref();
        timers.push(t);
      };
      every(deps.config.contracts.timerPollMs, "timers", () => runtime.fireDueTimers());
      every(deps.config.contracts.sweepMs, "sweep", () => sweep({ settledMs: deps.config.contracts.sweepMs }));
    },
    /** Stops the loops and the subscription; resolves once the outbox pass in flight ended. */
    async stop(): Promise<void> {
      unsubscribe?.();
      for (const t of timers) clearInterval(t);
      timers = [];
      arrived.clear();
      await starting;
      await runtime.drain().catch(() => undefined);
    },
  };
}
export type ContractsModule = ReturnType<typeof createContractsModule>;
