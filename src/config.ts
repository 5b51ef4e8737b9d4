/**
 * All settings, parsed and validated once from the environment. Nothing else
 * in the code base reads process.env. A bad value stops start-up with a
 * message naming the variable.
 */
import path from "node:path";

export interface Config {
  readonly env: "development" | "production" | "test";
  readonly host: string;
  readonly port: number;
  /** PostgreSQL server URL; absent means the embedded PGlite default. */
  readonly databaseUrl: string | undefined;
  /** Redis URL; absent means in-process bus and in-memory rate limits. */
  readonly redisUrl: string | undefined;
  /** Where the embedded database and other local state live. */
  readonly dataDir: string;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Dev mode shows one-time codes on the login page and seeds demo data. */
  readonly devMode: boolean;
  /** Seed the demo data on first start of the embedded default. */
  readonly seedDemo: boolean;
  /** Platform fee as a decimal fraction string, e.g. "0.05". */
  readonly platformFeeRate: string;
  /** Income tax withheld for independent workers, decimal fraction string. */
  readonly taxWithholdingRate: string;
  /** Key of the keyed hash of resident ID numbers. */
  readonly identityHashKey: string;
  /** Key for session and one-time-code hashes. */
  readonly sessionSecret: string;
  readonly sessionTtlSeconds: number;
  readonly otpTtlSeconds: number;
  readonly bodyLimitBytes: number;
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** Public base URL printed in the seed output and docs. */
  readonly publicUrl: string;
  /** The platform's escrow bank account that top-ups are paid into (offline gateway). */
  readonly escrowBank: { readonly bankName: string; readonly accountName: string; readonly accountNumber: string };
  /** Stripe: absent secret key means the offline bank-transfer gateway only. */
  readonly stripe: { readonly secretKey: string | undefined; readonly apiBase: string | undefined; readonly webhookSecret: string | undefined };
  /** Largest top-up or withdrawal, in fen (a guard against a slipped digit). */
  readonly paymentMaxFen: number;
  /** Idempotency claims and stored responses. */
  readonly idempotency: {
    /** A claim this old is taken over even though its process still runs (a hung request). */
    readonly takeoverSeconds: number;
    /** Stored responses are purged this long after the request ended. */
    readonly retentionHours: number;
    /** How often cut-off requests that nobody retries are completed; 0 turns the sweep off (retries still complete their own). */
    readonly sweepSeconds: number;
  };
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const DEV_SECRET = "shiftex-development-secret-do-not-use-in-production";

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function fraction(env: Env, name: string, fallback: string): string {
  const raw = str(env, name) ?? fallback;
  if (!/^0(\.\d{1,6})?$|^1(\.0{1,6})?$/.test(raw)) {
    throw new ConfigError(name, `must be a decimal fraction between 0 and 1 with at most 6 places, got "${raw}"`);
  }
  return raw;
}

function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, "is not a valid URL");
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(" or ")}, got ${parsed.protocol}`);
  }
  return raw;
}

function secret(env: Env, name: string, production: boolean): string {
  const raw = str(env, name);
  if (raw === undefined) {
    if (production) throw new ConfigError(name, "is required when NODE_ENV=production");
    return `${DEV_SECRET}:${name}`;
  }
  if (raw.length < 32) throw new ConfigError(name, "must be at least 32 characters");
  return raw;
}

/** Parses and validates the environment; throws ConfigError naming the bad variable. */
export function loadConfig(env: Env): Config {
  const nodeEnv = str(env, "NODE_ENV") ?? "development";
  if (nodeEnv !== "development" && nodeEnv !== "production" && nodeEnv !== "test") {
    throw new ConfigError("NODE_ENV", `must be development, production or test, got "${nodeEnv}"`);
  }
  const production = nodeEnv === "production";
  const logLevel = str(env, "LOG_LEVEL") ?? (nodeEnv === "test" ? "silent" : "info");
  const levels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
  if (!(levels as readonly string[]).includes(logLevel)) {
    throw new ConfigError("LOG_LEVEL", `must be one of ${levels.join(", ")}, got "${logLevel}"`);
  }
  const databaseUrl = url(env, "DATABASE_URL", ["postgres:", "postgresql:"]);
  const port = int(env, "PORT", 3000, 0, 65535);
  const host = str(env, "HOST") ?? "127.0.0.1";
  const devMode = bool(env, "DEV_MODE", !production);
  const config: Config = {
    env: nodeEnv,
    host,
    port,
    databaseUrl,
    redisUrl: url(env, "REDIS_URL", ["redis:", "rediss:"]),
    dataDir: path.resolve(str(env, "DATA_DIR") ?? "data"),
    logLevel: logLevel as Config["logLevel"],
    devMode,
    seedDemo: bool(env, "SEED_DEMO", devMode && databaseUrl === undefined),
    platformFeeRate: fraction(env, "PLATFORM_FEE_RATE", "0.05"),
    taxWithholdingRate: fraction(env, "TAX_WITHHOLDING_RATE", "0.03"),
    identityHashKey: secret(env, "IDENTITY_HASH_KEY", production),
    sessionSecret: secret(env, "SESSION_SECRET", production),
    sessionTtlSeconds: int(env, "SESSION_TTL_SECONDS", 7 * 24 * 3600, 60, 90 * 24 * 3600),
    otpTtlSeconds: int(env, "OTP_TTL_SECONDS", 300, 30, 3600),
    bodyLimitBytes: int(env, "BODY_LIMIT_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024),
    rateLimit: {
      max: int(env, "RATE_LIMIT_MAX", 1200, 1, 10_000_000),
      windowMs: int(env, "RATE_LIMIT_WINDOW_MS", 60_000, 1000, 3_600_000),
    },
    publicUrl: str(env, "PUBLIC_URL") ?? `http://${host === "0.0.0.0" ? "localhost" : host}:${port}`,
    escrowBank: {
      bankName: str(env, "ESCROW_BANK_NAME") ?? "中国工商银行重庆分行 (demo)",
      accountName: str(env, "ESCROW_BANK_ACCOUNT_NAME") ?? "Shiftex 资金监管专户 (demo)",
      accountNumber: str(env, "ESCROW_BANK_ACCOUNT_NUMBER") ?? "3100 0000 0000 0000 000",
    },
    stripe: {
      secretKey: str(env, "STRIPE_SECRET_KEY"),
      apiBase: url(env, "STRIPE_API_BASE", ["http:", "https:"]),
      webhookSecret: str(env, "STRIPE_WEBHOOK_SECRET"),
    },
    paymentMaxFen: int(env, "PAYMENT_MAX_FEN", 10_000_000_000, 1, 9_000_000_000_000),
    idempotency: {
      takeoverSeconds: int(env, "IDEMPOTENCY_TAKEOVER_SECONDS", 60, 1, 86_400),
      retentionHours: int(env, "IDEMPOTENCY_RETENTION_HOURS", 24, 1, 24 * 366),
      sweepSeconds: int(env, "IDEMPOTENCY_SWEEP_SECONDS", 10, 0, 3600),
    },
  };
  return Object.freeze(config);
}

/** Names of every environment variable loadConfig reads (docker-compose is checked against it). */
export const CONFIG_VARIABLES = [
  "NODE_ENV", "HOST", "PORT", "DATABASE_URL", "REDIS_URL", "DATA_DIR", "LOG_LEVEL", "DEV_MODE",
  "SEED_DEMO", "PLATFORM_FEE_RATE", "TAX_WITHHOLDING_RATE", "IDENTITY_HASH_KEY", "SESSION_SECRET",
  "SESSION_TTL_SECONDS", "OTP_TTL_SECONDS", "BODY_LIMIT_BYTES", "RATE_LIMIT_MAX",
  "RATE_LIMIT_WINDOW_MS", "PUBLIC_URL", "STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET",
  "ESCROW_BANK_NAME", "ESCROW_BANK_ACCOUNT_NAME", "ESCROW_BANK_ACCOUNT_NUMBER",
  "PAYMENT_MAX_FEN", "IDEMPOTENCY_TAKEOVER_SECONDS", "IDEMPOTENCY_RETENTION_HOURS", "IDEMPOTENCY_SWEEP_SECONDS",
] as const;

/** The process's configuration, read once from the environment on first use. */
let processConfig: Config | undefined;
export function config(): Config {
  processConfig ??= loadConfig(process.env);
  return processConfig;
}
