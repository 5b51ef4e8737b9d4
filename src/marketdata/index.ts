/** Guidance prices per skill × district × ISO week from trades (count, VWAP, nearest-rank p25/median/p75), the chart's series, the CSV, and the band check that flags (never blocks) an order far from the band. */
export {
  guidancePrices,
  guidanceSeries,
  guidancePricesCsv,
  bandCheck,
  bandFor,
  bandSettingsProblems,
  DEFAULT_BAND_SETTINGS,
  GUIDANCE_CSV_HEADER,
  type TradeRecord,
  type GuidancePrice,
  type GuidanceFilter,
  type BandSettings,
  type BandCheck,
} from "./guidance";
/** The market data module: guidance prices, the band cache (the exchange's price guide), the targeted push. */
export { createMarketdataModule, type MarketdataModule, type MarketdataModuleDeps } from "./marketdata.module";
/** Guidance prices as the API serves them, and the cached band check of an order's rate. */
export { createMarketdataService, MAX_WEEKS, type MarketdataService, type PriceFlag, type GuidanceQuery } from "./marketdata.service";
/** Trades read from the contracts table. */
export { createMarketdataRepository, type MarketdataRepository } from "./marketdata.repository";
/** Targeted push: new demand orders to suppliers who could staff them, open seats to workers who could take them. */
export { createPushService, type PushService, type SeatOffer } from "./push.service";
/** The push's reads. */
export { createPushRepository, type PushRepository } from "./push.repository";
/** HTTP routes: GET /v1/public/guidance-prices (JSON or CSV), GET /v1/shifts/openings (worker). */
export { marketdataRoutes } from "./marketdata.routes";
