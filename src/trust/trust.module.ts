/** Builds the trust module: repository, service, and the scorer's loop (contract records, licences, arrears → points, colours → sequencer). */
import type { Config } from "../config";
import type { SqlPool } from "../infra/db";
import type { Clock } from "../shared/clock";
import type { NewId } from "../shared/ids";
import type { ReliabilityPort } from "../shared/reliability";
import { createTrustRepository } from "./trust.repository";
import { createTrustService, type ColourPort } from "./trust.service";

export interface TrustModuleDeps {
  sql: SqlPool;
  config: Pick<Config, "trust">;
  sequencer: ColourPort;
  clock: Clock;
  newId: NewId;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** Trust: records the settings version in force (refusing one recorded with other values) and returns the service and its loop. */
export async function createTrustModule(deps: TrustModuleDeps) {
  const t = deps.config.trust;
  const repo = createTrustRepository(deps.sql);
  const service = createTrustService({
    repo, sequencer: deps.sequencer, clock: deps.clock, newId: deps.newId, settings: t.settings, log: deps.log,
    arrearsSettlementWindowDays: t.arrearsSettlementWindowDays, arrearsQueueSize: t.arrearsQueueSize, reliabilityWindowDays: t.reliabilityWindowDays,
  });
  await service.init();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const pass = () => {
    if (running !== undefined || stopped) return;
    running = service
      .runOnce()
      .catch((err: unknown) => deps.log.error({ err }, "the trust scorer's pass failed; the next pass tries again"))
      .finally(() => (running = undefined));
  };
  return {
    repo,
    service,
    /** Enterprises' two-way reliability, cached: the port the exchange's and the contract runtime's views read (app.ts hands it over). */
    reliability: { reliabilityOf: (ids: readonly string[]) => service.reliabilityOf(ids) } satisfies ReliabilityPort,
    /** Starts the scorer's loop (every TRUST_POLL_MS); tests that move the clock call service.runOnce() themselves. */
    start({ loops }: { loops: boolean }): void {
      if (!loops || timer !== undefined) return;
      timer = setInterval(pass, t.pollMs);
      timer.unref();
      pass();
    },
    /** Stops the loop and waits for a pass in flight (before the sequencer closes: a pass may be telling it something). */
    async stop(): Promise<void> {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      await running;
    },
  };
}
export type TrustModule = Awaited<ReturnType<typeof createTrustModule>>;
