/** Builds the console module: its read-only repository and service. */
import type { SqlPool } from "../infra/db";
import type { Clock } from "../shared/clock";
import type { ArrearsReport } from "../trust";
import { createConsoleRepository } from "./console.repository";
import { createConsoleService } from "./console.service";

export interface ConsoleModuleDeps {
  sql: SqlPool;
  clock: Clock;
  shard: string;
  /** The trust module's wage-arrears warning (the console charts it; it is computed once, there). */
  arrears: (oldest: number) => Promise<ArrearsReport>;
}

export function createConsoleModule(deps: ConsoleModuleDeps) {
  const repo = createConsoleRepository(deps.sql);
  return { repo, service: createConsoleService({ repo, clock: deps.clock, shard: deps.shard, arrears: deps.arrears }) };
}
export type ConsoleModule = ReturnType<typeof createConsoleModule>;
