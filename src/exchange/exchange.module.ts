/** Builds the exchange module on the shard's sequencer: its service, its routes' options, the committed books for the edge. */
import type { Config } from "../config";
import type { SqlClient } from "../infra/db";
import type { Clock } from "../shared/clock";
import type { NewId } from "../shared/ids";
import type { ReliabilityPort } from "../shared/reliability";
import type { BookView, Sequencer } from "../sequencer";
import type { ExchangeSettings } from "./exchange.core";
import { createExchangeRepository } from "./exchange.repository";
import { createExchangeService, type ContractProgressPort, type PriceGuide } from "./exchange.service";

/** The exchange's rules from the configuration (the sequencer journals them when they change). */
export function exchangeSettingsOf(config: Pick<Config, "exchange" | "platformFeeRate">): ExchangeSettings {
  const e = config.exchange;
  return {
    feeRate: config.platformFeeRate,
    tickFen: e.tickFen,
    maxRateFen: e.maxRateFen,
    horizonDays: e.horizonDays,
    minLeadMs: e.minLeadMinutes * 60_000,
    staffingLeadMs: e.staffingLeadMinutes * 60_000,
  };
}

export interface ExchangeModuleDeps {
  sql: SqlClient;
  sequencer: Sequencer;
  clock: Clock;
  newId: NewId;
  /** Where contracts stand in their workflows (the contract runtime); without it they show their state at the fill. */
  progress?: ContractProgressPort;
  /** Market data's band check: orders far outside the guidance band are flagged in the answer (never refused). */
  priceGuide?: PriceGuide;
  /** Enterprises' two-way reliability beside their contracts (the trust module); without it, null. */
  reliability?: ReliabilityPort;
}

/** The exchange: markets, orders with pre-trade escrow, contracts. Writes nothing at start-up. */
export async function createExchangeModule(deps: ExchangeModuleDeps) {
  const { sequencer } = deps;
  const service = createExchangeService({
    repo: createExchangeRepository(deps.sql), sequencer, clock: deps.clock, newId: deps.newId,
    ...(deps.progress ? { progress: deps.progress } : {}), ...(deps.priceGuide ? { priceGuide: deps.priceGuide } : {}),
    ...(deps.reliability ? { reliability: deps.reliability } : {}),
  });
  return {
    service,
    /** A market's committed book ({ market, bookSeq, seq, demand, supply }): the WebSocket's snapshot, the same as GET /v1/markets/:market/book. */
    book: (market: string): BookView => sequencer.book(market),
    /** Cancels every open offer of a supplier (turned black, licence lost); resolves with how many. */
    cancelOffersOf: (supplierId: string, reason: string) => service.cancelOffersOf(supplierId, reason),
  };
}
export type ExchangeModule = Awaited<ReturnType<typeof createExchangeModule>>;
