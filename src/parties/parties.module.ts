/** Builds the parties module's pieces from the config; the app and the seed script share it. */
import type { Config } from "../config";
import type { PrismaClient } from "../generated/prisma/client";
import type { Clock } from "../shared/clock";
import type { NewId } from "../shared/ids";
import { createAuthService } from "./auth.service";
import { createLogNotifier, createWebhookNotifier, type CodePurpose, type Notifier } from "./notifier";
import { createPartiesRepository } from "./parties.repository";
import { createPartiesService } from "./parties.service";

export interface PartiesModuleDeps {
  prisma: PrismaClient;
  config: Config;
  clock: Clock;
  newId: NewId;
  notifier: Notifier;
  /** Told when a one-time code could not be delivered (the phone comes masked). */
  onDeliveryError?: (err: unknown, about: { phone: string; purpose: CodePurpose }) => void;
}

/** The notifier the config asks for: the webhook when NOTIFIER_URL is set, otherwise the log-only default. */
export function notifierFromConfig(config: Config, log: (msg: string, fields: Record<string, unknown>) => void): Notifier {
  const { url, secret } = config.notifier;
  if (url === undefined || secret === undefined) return createLogNotifier(log);
  return createWebhookNotifier({ url, secret, timeoutMs: config.notifier.timeoutMs, retries: config.notifier.retries, otpTtlSeconds: config.otpTtlSeconds });
}

export function createPartiesModule(deps: PartiesModuleDeps) {
  const { config, clock, newId, notifier } = deps;
  const repo = createPartiesRepository(deps.prisma);
  const auth = createAuthService({
    repo, clock, newId, notifier,
    sessionSecret: config.sessionSecret,
    sessionTtlSeconds: config.sessionTtlSeconds,
    otpTtlSeconds: config.otpTtlSeconds,
    otpMaxAttempts: config.otpMaxAttempts,
    lockout: { baseSeconds: config.loginLockout.baseSeconds, maxSeconds: config.loginLockout.maxSeconds },
    devMode: config.devMode,
    ...(deps.onDeliveryError ? { onDeliveryError: deps.onDeliveryError } : {}),
  });
  const parties = createPartiesService({
    repo, clock, newId,
    identityHashKey: config.identityHashKey,
    phoneChanges: { start: (input) => auth.startPhoneChange(input), confirm: (principal, code) => auth.confirmPhoneChange(principal, code) },
    retention: { otpSeconds: config.retention.otpSeconds, sessionSeconds: config.retention.sessionSeconds, lockoutResetSeconds: config.loginLockout.resetSeconds },
  });
  return { repo, parties, auth };
}
export type PartiesModule = ReturnType<typeof createPartiesModule>;
