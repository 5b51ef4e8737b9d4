/** Builds the market data module: guidance prices and the band cache the exchange checks orders against, and the targeted push. */
import type { Config } from "../config";
import type { Bus } from "../infra/bus";
import type { SqlClient } from "../infra/db";
import type { Clock } from "../shared/clock";
import { createMarketdataRepository } from "./marketdata.repository";
import { createMarketdataService } from "./marketdata.service";
import { createPushRepository } from "./push.repository";
import { createPushService } from "./push.service";

export interface MarketdataModuleDeps {
  sql: SqlClient;
  config: Pick<Config, "marketdata">;
  clock: Clock;
  bus: Bus;
  log: { error(obj: object, msg: string): void };
}

export function createMarketdataModule(deps: MarketdataModuleDeps) {
  const service = createMarketdataService({ repo: createMarketdataRepository(deps.sql), clock: deps.clock, band: deps.config.marketdata.band });
  const push = createPushService({ repo: createPushRepository(deps.sql), bus: deps.bus, clock: deps.clock, log: deps.log });
  let timer: NodeJS.Timeout | undefined;
  let refreshing = false;
  const refresh = () => {
    if (refreshing) return;
    refreshing = true;
    service.refreshBands().catch((err: unknown) => deps.log.error({ err }, "marketdata: the guidance bands could not be recomputed; the last ones stay")).finally(() => (refreshing = false));
  };
  return {
    service,
    push,
    /** The exchange's price guide: flags (never refuses) an order far outside the recent band, from the cache. */
    priceGuide: { check: (market: string, rateFen: number) => service.checkRate(market, rateFen) },
    /** Computes the bands once (awaited), then again every GUIDANCE_BAND_REFRESH_SECONDS; starts the targeted push. */
    async start(): Promise<void> {
      await service.refreshBands().catch((err: unknown) => deps.log.error({ err }, "marketdata: the guidance bands could not be computed at start-up; retried on the refresh"));
      timer = setInterval(refresh, deps.config.marketdata.bandRefreshSeconds * 1000);
      timer.unref();
      push.start();
    },
    /** Stops the refresh and the push; resolves once pushes under way are published. */
    async stop(): Promise<void> {
      if (timer !== undefined) clearInterval(timer);
      push.stop();
      await push.idle();
    },
  };
}
export type MarketdataModule = ReturnType<typeof createMarketdataModule>;
