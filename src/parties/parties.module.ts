/** Builds the parties module's pieces from the config; the app and the seed script share it. */
import type { Config } from "../config";
import type { PrismaClient } from "../generated/prisma/client";
import type { Clock } from "../shared/clock";
import type { NewId } from "../shared/ids";
import { createAuthService } from "./auth.service";
import type { Notifier } from "./notifier";
import { createPartiesRepository } from "./parties.repository";
import { createPartiesService } from "./parties.service";

export interface PartiesModuleDeps {
  prisma: PrismaClient;
  config: Config;
  clock: Clock;
  newId: NewId;
  notifier: Notifier;
}

export function createPartiesModule(deps: PartiesModuleDeps) {
  const { config, clock, newId, notifier } = deps;
  const repo = createPartiesRepository(deps.prisma);
  const parties = createPartiesService({ repo, clock, newId, identityHashKey: config.identityHashKey });
  const auth = createAuthService({
    repo, clock, newId, notifier,
    sessionSecret: config.sessionSecret,
    sessionTtlSeconds: config.sessionTtlSeconds,
    otpTtlSeconds: config.otpTtlSeconds,
    devMode: config.devMode,
  });
  return { repo, parties, auth };
}
export type PartiesModule = ReturnType<typeof createPartiesModule>;
