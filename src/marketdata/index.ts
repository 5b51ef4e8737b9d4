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
