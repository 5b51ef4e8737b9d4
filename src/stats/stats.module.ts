/** Builds the statistics module: repository and service from the config. */
import type { Config } from "../config";
import type { SqlClient } from "../infra/db";
import type { Clock } from "../shared/clock";
import { createStatsRepository } from "./stats.repository";
import { createStatsService } from "./stats.service";

export interface StatsModuleDeps {
  sql: SqlClient;
  config: Pick<Config, "stats">;
  clock: Clock;
}

export function createStatsModule(deps: StatsModuleDeps) {
  const repo = createStatsRepository(deps.sql);
  return { repo, service: createStatsService({ repo, clock: deps.clock, publicCacheMs: deps.config.stats.publicCacheSeconds * 1000 }) };
}
export type StatsModule = ReturnType<typeof createStatsModule>;
