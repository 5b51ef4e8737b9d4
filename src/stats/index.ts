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
/** The statistics module built from the config: repository and service. */
export { createStatsModule, type StatsModule, type StatsModuleDeps } from "./stats.module";
/** The API's views of statistics: the regulator's aggregates, CSV, the public city totals. */
export { createStatsService, type StatsService, type StatsQuery, type StatsRowView } from "./stats.service";
/** Completed worker-shifts and demand orders read from the settlements and the book's rows. */
export { createStatsRepository, type StatsRepository } from "./stats.repository";
/** HTTP routes: GET /v1/stats (regulator, operators; JSON or CSV), GET /v1/public/stats. */
export { statsRoutes } from "./stats.routes";
