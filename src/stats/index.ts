/** Placement statistics: placements, workers placed, fill rate, time to fill, wages paid, by district, skill, key group and week, city totals, CSV. */
export {
  computeStatistics,
  statsBy,
  publicCityTotals,
  statsCsv,
  STATS_CSV_HEADER,
  type PlacementRecord,
  type DemandRecord,
  type Dimension,
  type StatsKey,
  type StatsRow,
  type Statistics,
  type StatsFilter,
} from "./stats";
