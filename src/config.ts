/**
 * All settings, parsed and validated once from the environment. Nothing else
 * in the code base reads process.env. A bad value stops start-up with a
 * message naming the variable.
 */
import { isIP } from "node:net";
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import path from "node:path";
import { developmentSigningKey, ed25519KeyFromSeed } from "./ledger/ledger.checkpoint";
import { contractSettingsProblems, type ContractSettings, type Rounding } from "../machines";
import { parseTrustSettings, type TrustSettings } from "./trust/trust.rules";
import { bandSettingsProblems, type BandSettings } from "./marketdata/guidance";

export interface Config {
  readonly env: "development" | "production" | "test";
  readonly host: string;
  readonly port: number;
  /** PostgreSQL server URL; absent means the embedded PGlite default. The application's role: on a two-role setup it may only SELECT and INSERT on the ledger's tables. */
  readonly databaseUrl: string | undefined;
  /** PostgreSQL URL of the role that owns the schema: runs migrations and grants the application's role. Absent: DATABASE_URL does both (one role). */
  readonly databaseOwnerUrl: string | undefined;
  /** Connections in the application's PostgreSQL pool. */
  readonly databasePoolSize: number;
  /** Redis URL; absent means in-process bus and in-memory rate limits. */
  readonly redisUrl: string | undefined;
  /** Prefix of Shiftex's Redis keys and channels, so deployments (or test runs) can share one Redis. */
  readonly redisPrefix: string;
  /** The WebSocket stream (GET /v1/stream). */
  readonly stream: { readonly maxBufferedBytes: number; readonly maxSubscriptions: number };
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
  /**
   * Which proxies' X-Forwarded-For is believed: false (none, the default), a
   * hop count, or addresses / CIDR ranges (also loopback, linklocal, uniquelocal).
   */
  readonly trustProxy: false | number | readonly string[];
  /** Failed credential look-ups (unknown API key or session) per client address before 429 without a look-up. */
  readonly authFailures: { readonly max: number; readonly windowMs: number };
  /** Login codes sent to one phone (however it is written) per window. */
  readonly otpRequestsPerPhone: { readonly max: number; readonly windowMs: number };
  /** Wrong codes checked per one-time code, and per phone before the phone is locked. */
  readonly otpMaxAttempts: number;
  /** Lock of a phone after repeated wrong codes: base, doubled per lock, up to max; forgotten after reset without failures. */
  readonly loginLockout: { readonly baseSeconds: number; readonly maxSeconds: number; readonly resetSeconds: number };
  /** How long expired one-time-code challenges and worker sessions are kept before the purge deletes them. */
  readonly retention: { readonly otpSeconds: number; readonly sessionSeconds: number };
  /** Webhook that delivers one-time codes (required in production); absent means codes are not delivered (dev mode shows them). */
  readonly notifier: { readonly url: string | undefined; readonly secret: string | undefined; readonly timeoutMs: number; readonly retries: number };
  /** Public base URL printed in the seed output and docs. */
  readonly publicUrl: string;
  /** The platform's escrow bank account that top-ups are paid into (offline gateway). */
  readonly escrowBank: { readonly bankName: string; readonly accountName: string; readonly accountNumber: string };
  /** The ledger's single writer and its tamper evidence. */
  readonly ledger: LedgerConfig;
  /** The exchange's rules and its sequencer's memory and snapshots. */
  readonly exchange: ExchangeConfig;
  /** The contract runtime: deadlines and terms every new contract runs under (shown to users), and its loops. */
  readonly contracts: ContractsConfig;
  /** Integrity points, colours, the wage-arrears warning and enterprises' reliability (src/trust). */
  readonly trust: TrustConfig;
  /** Stripe: absent secret key means the offline bank-transfer gateway only. */
  readonly stripe: {
    readonly secretKey: string | undefined;
    readonly apiBase: string | undefined;
    readonly webhookSecret: string | undefined;
    /** A PaymentIntent unpaid this long is cancelled and its payment abandoned. */
    readonly fundingTtlMinutes: number;
    /** How often unfinished Stripe payments are driven on (0: never; requests and webhooks still drive their own). */
    readonly sweepSeconds: number;
    /** The SDK's retries of a request that got no answer (with the same idempotency key). */
    readonly maxNetworkRetries: number;
  };
  /** Largest top-up or withdrawal, in fen (a guard against a slipped digit). */
  readonly paymentMaxFen: number;
  /** Reconciliation of the ledger against the payment providers. */
  readonly reconciliation: {
    /** Tier 3: an unmatched movement is suggested for one on the other side with the same amount this many days either side. */
    readonly windowDays: number;
    /** Largest bank statement file an operator may upload, bytes. */
    readonly maxStatementBytes: number;
  };
  /** Market data: guidance prices, the band an order is checked against (flagged, never refused). */
  readonly marketdata: {
    readonly band: BandSettings;
    /** How often each process recomputes the bands it checks orders against (no query per order). */
    readonly bandRefreshSeconds: number;
  };
  /** Placement statistics. */
  readonly stats: {
    /** The public city totals are recomputed at most this often. */
    readonly publicCacheSeconds: number;
  };
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

export interface LedgerConfig {
  /** The ledger shard this process writes. */
  readonly shard: string;
  /** Most accounts or transfers per writer call and per database transaction. */
  readonly batchSize: number;
  /** Longest time between signed checkpoints while the chain grows, ms. */
  readonly checkpointIntervalMs: number;
  /** Ed25519 private key that signs checkpoints. */
  readonly signingKey: KeyObject;
  /** Public keys of earlier signing keys whose checkpoints still verify (key rotation). */
  readonly previousPublicKeys: readonly KeyObject[];
  /** How start-up checks the stored chain: from the newest checkpoint on, or every record. */
  readonly verifyOnStart: "incremental" | "full";
}

export interface ExchangeConfig {
  /** Rates are whole multiples of this many fen per hour. */
  readonly tickFen: number;
  /** Highest accepted hourly rate, fen. */
  readonly maxRateFen: number;
  /** Markets exist for shift dates from today up to this many days ahead. */
  readonly horizonDays: number;
  /** An order is accepted only if its shift starts at least this many minutes later. */
  readonly minLeadMinutes: number;
  /** Good-till defaults to shift start minus this many minutes. */
  readonly staffingLeadMinutes: number;
  /** The sequencer writes a snapshot after this many journal entries (0: only on close). */
  readonly snapshotEvery: number;
  /** Recent transfer ids and order keys the sequencer keeps in memory; older ones are looked up in PostgreSQL. */
  readonly recentIds: number;
  /** How often the sequencer's clock ticks (expiries of holds and orders), ms. */
  readonly tickMs: number;
}

export interface ContractsConfig {
  /** Seats can be (re)assigned until shift start − this; seats still empty then are refunded. */
  readonly staffingDeadlineMinutes: number;
  /** Named workers confirm by shift start − this (never before the staffing deadline). */
  readonly confirmDeadlineMinutes: number;
  /** A confirmed worker not checked in by shift start + this is a no-show. */
  readonly noShowGraceMinutes: number;
  /** The enterprise approves or disputes hours until shift end + this; silence approves. */
  readonly approvalWindowMinutes: number;
  /** An enterprise cancelling at least this long before the start pays nothing. */
  readonly freeCancellationNoticeMinutes: number;
  /** A later enterprise cancellation pays the supplier this many minutes at the trade rate per staffed seat. */
  readonly lateCancellationFeeMinutes: number;
  /** Worked time is counted in whole units of this many minutes. */
  readonly hoursRoundingUnitMinutes: number;
  /** How a worked span is rounded to the unit. */
  readonly hoursRounding: Rounding;
  /** How often due durable timers are looked for, ms. */
  readonly timerPollMs: number;
  /** How often effects left pending (ledger unavailable, a crash) are retried and missed contracts started, ms. */
  readonly sweepMs: number;
}

export interface TrustConfig {
  /** Weights, decay and thresholds in force (TRUST_SETTINGS: JSON over the published defaults, with its own version). */
  readonly settings: TrustSettings;
  /** Approved hours unpaid longer than this many days cost the enterprise points. */
  readonly arrearsSettlementWindowDays: number;
  /** How many of the oldest arrears the operator's queue and the regulator's view show. */
  readonly arrearsQueueSize: number;
  /** Enterprises' reliability (late cancellations, disputes, approval speed) counts this many days back. */
  readonly reliabilityWindowDays: number;
  /** How often the scorer reads new contract records, licence changes and arrears, ms. */
  readonly pollMs: number;
}

function trustSettings(env: Env): TrustSettings {
  const parsed = parseTrustSettings(str(env, "TRUST_SETTINGS") ?? "");
  if (parsed.ok) return parsed.settings;
  const p = parsed.problems[0]!;
  throw new ConfigError("TRUST_SETTINGS", p.field === "" ? p.message : `${p.field}: ${p.message}`);
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
  if (raw.startsWith(DEV_SECRET)) throw new ConfigError(name, "must not be the built-in development value, which is public");
  return raw;
}

/** True for the built-in development value of a secret (public: it is in the source). */
export function isDevelopmentSecret(value: string): boolean {
  return value.startsWith(DEV_SECRET);
}

/** True when HOST only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

const PROXY_NAMES = ["loopback", "linklocal", "uniquelocal"];

function trustProxy(env: Env): false | number | readonly string[] {
  const raw = str(env, "TRUST_PROXY");
  if (raw === undefined || /^(off|false|no|0)$/i.test(raw)) return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 10) throw new ConfigError("TRUST_PROXY", `a hop count must be between 0 and 10, got ${hops}`);
    return hops;
  }
  if (/^(true|on|yes)$/i.test(raw)) {
    throw new ConfigError("TRUST_PROXY", "trusting every proxy lets any client choose its address; give a hop count or the proxies' addresses");
  }
  const entries = raw.split(",").map((e) => e.trim()).filter((e) => e !== "");
  for (const e of entries) {
    if (PROXY_NAMES.includes(e)) continue;
    const [addr, prefix, ...rest] = e.split("/");
    const family = isIP(addr ?? "");
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixOk || rest.length > 0) {
      throw new ConfigError("TRUST_PROXY", `"${e}" is not off, a hop count, an IP address, a CIDR range or one of ${PROXY_NAMES.join(", ")}`);
    }
  }
  return Object.freeze(entries);
}

/** An Ed25519 private key from a PKCS#8 PEM, or its 32-byte seed as base64, base64url or hex. */
function ed25519PrivateKey(raw: string, name: string): KeyObject {
  let key: KeyObject;
  try {
    if (raw.includes("-----BEGIN")) key = createPrivateKey(raw.replace(/\\n/g, "\n"));
    else {
      key = ed25519KeyFromSeed(/^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64"));
    }
  } catch {
    throw new ConfigError(name, "must be an Ed25519 private key: its 32-byte seed as base64 or hex, or a PKCS#8 PEM");
  }
  if (key.asymmetricKeyType !== "ed25519") throw new ConfigError(name, `must be an Ed25519 key, got ${key.asymmetricKeyType}`);
  return key;
}

/** Ed25519 public keys: a comma-separated list of SPKI PEMs or raw 32-byte keys as base64 or hex. */
function ed25519PublicKeys(env: Env, name: string): KeyObject[] {
  const raw = str(env, name);
  if (raw === undefined) return [];
  return raw.split(",").map((part) => {
    const v = part.trim();
    try {
      const key = v.includes("-----BEGIN")
        ? createPublicKey(v.replace(/\\n/g, "\n"))
        : createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: (/^[0-9a-f]{64}$/i.test(v) ? Buffer.from(v, "hex") : Buffer.from(v, "base64")).toString("base64url") }, format: "jwk" });
      if (key.asymmetricKeyType !== "ed25519") throw new Error("not ed25519");
      return key;
    } catch {
      throw new ConfigError(name, "must list Ed25519 public keys (SPKI PEM, or 32 bytes as base64 or hex), separated by commas");
    }
  });
}

function ledgerSigningKey(env: Env, production: boolean): KeyObject {
  const raw = str(env, "LEDGER_SIGNING_KEY");
  if (raw === undefined) {
    if (production) throw new ConfigError("LEDGER_SIGNING_KEY", "is required when NODE_ENV=production (generate one: node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\")");
    // A fixed development key, so checkpoints signed by one development start verify on the next.
    return developmentSigningKey();
  }
  return ed25519PrivateKey(raw, "LEDGER_SIGNING_KEY");
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = str(env, name) ?? fallback;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(name, `must be one of ${values.join(", ")}, got "${raw}"`);
  return raw as T;
}

function redisPrefix(env: Env): string {
  const raw = str(env, "REDIS_PREFIX") ?? "shiftex:";
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(raw)) throw new ConfigError("REDIS_PREFIX", `must be 1 to 64 letters, digits, ':', '_', '.' or '-', got "${raw}"`);
  return raw;
}

/** The contract runtime's settings; the machines' own checks name the variable at fault. */
function contractsConfig(env: Env, staffingLeadMinutes: number): ContractsConfig {
  const WEEK = 7 * 24 * 60;
  const c: ContractsConfig = {
    staffingDeadlineMinutes: int(env, "CONTRACT_STAFFING_DEADLINE_MINUTES", 60, 0, WEEK),
    confirmDeadlineMinutes: int(env, "CONTRACT_CONFIRM_DEADLINE_MINUTES", 30, 0, WEEK),
    noShowGraceMinutes: int(env, "CONTRACT_NO_SHOW_GRACE_MINUTES", 30, 0, 24 * 60),
    approvalWindowMinutes: int(env, "CONTRACT_APPROVAL_WINDOW_MINUTES", 24 * 60, 1, 30 * 24 * 60),
    freeCancellationNoticeMinutes: int(env, "CONTRACT_FREE_CANCELLATION_NOTICE_MINUTES", 24 * 60, 0, 30 * 24 * 60),
    lateCancellationFeeMinutes: int(env, "CONTRACT_LATE_CANCELLATION_FEE_MINUTES", 240, 0, 24 * 60),
    hoursRoundingUnitMinutes: int(env, "HOURS_ROUNDING_UNIT_MINUTES", 15, 1, 60),
    hoursRounding: oneOf(env, "HOURS_ROUNDING", ["down", "up", "nearest"] as const, "down"),
    timerPollMs: int(env, "CONTRACT_TIMER_POLL_MS", 1000, 10, 3_600_000),
    sweepMs: int(env, "CONTRACT_SWEEP_MS", 10_000, 100, 3_600_000),
  };
  // A fill can come as late as the exchange's staffing lead before the start: the contract must still have time to staff it.
  if (c.staffingDeadlineMinutes >= staffingLeadMinutes) {
    throw new ConfigError(
      "CONTRACT_STAFFING_DEADLINE_MINUTES",
      `must be less than EXCHANGE_STAFFING_LEAD_MINUTES (${staffingLeadMinutes}): a contract filled at the last moment the exchange allows would have no time to name its workers; got ${c.staffingDeadlineMinutes}`,
    );
  }
  const VARIABLE: Record<string, string> = {
    staffingDeadlineBeforeStartMs: "CONTRACT_STAFFING_DEADLINE_MINUTES",
    confirmDeadlineBeforeStartMs: "CONTRACT_CONFIRM_DEADLINE_MINUTES",
    noShowGraceMs: "CONTRACT_NO_SHOW_GRACE_MINUTES",
    approvalWindowMs: "CONTRACT_APPROVAL_WINDOW_MINUTES",
    freeCancellationNoticeMs: "CONTRACT_FREE_CANCELLATION_NOTICE_MINUTES",
    lateCancellationFeeMinutes: "CONTRACT_LATE_CANCELLATION_FEE_MINUTES",
    hoursRule: "HOURS_ROUNDING_UNIT_MINUTES",
  };
  const problem = contractSettingsProblems(contractSettingsOf(c))[0];
  if (problem !== undefined) {
    const key = Object.keys(VARIABLE).find((k) => problem.startsWith(k)) ?? "hoursRule";
    throw new ConfigError(VARIABLE[key]!, problem.replace(/BeforeStartMs/g, " (minutes before the start)"));
  }
  return Object.freeze(c);
}

/** The machines' settings (milliseconds) from the configuration (minutes). */
export function contractSettingsOf(c: ContractsConfig): ContractSettings {
  const MIN = 60_000;
  return {
    staffingDeadlineBeforeStartMs: c.staffingDeadlineMinutes * MIN,
    confirmDeadlineBeforeStartMs: c.confirmDeadlineMinutes * MIN,
    noShowGraceMs: c.noShowGraceMinutes * MIN,
    approvalWindowMs: c.approvalWindowMinutes * MIN,
    freeCancellationNoticeMs: c.freeCancellationNoticeMinutes * MIN,
    lateCancellationFeeMinutes: c.lateCancellationFeeMinutes,
    hoursRule: { unitMinutes: c.hoursRoundingUnitMinutes, rounding: c.hoursRounding },
  };
}

function stripeSettings(env: Env): Config["stripe"] {
  const secretKey = str(env, "STRIPE_SECRET_KEY");
  const webhookSecret = str(env, "STRIPE_WEBHOOK_SECRET");
  if (secretKey !== undefined && !/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/.test(secretKey)) {
    throw new ConfigError("STRIPE_SECRET_KEY", "must be a Stripe secret or restricted key (sk_test_…, sk_live_…, rk_…)");
  }
  // Without the webhook secret no event could be verified, and paid PaymentIntents would credit nothing until the sweeper polls.
  if (secretKey !== undefined && webhookSecret === undefined) throw new ConfigError("STRIPE_WEBHOOK_SECRET", "is required when STRIPE_SECRET_KEY is set: it verifies Stripe's webhooks");
  return {
    secretKey,
    apiBase: url(env, "STRIPE_API_BASE", ["http:", "https:"]),
    webhookSecret,
    fundingTtlMinutes: int(env, "STRIPE_FUNDING_TTL_MINUTES", 24 * 60, 5, 30 * 24 * 60),
    sweepSeconds: int(env, "STRIPE_SWEEP_SECONDS", 30, 0, 3600),
    maxNetworkRetries: int(env, "STRIPE_MAX_NETWORK_RETRIES", 1, 0, 5),
  };
}

/** The guidance band's settings; the pure core's own checks name the variable at fault. */
function bandSettings(env: Env): BandSettings {
  const band: BandSettings = {
    k: str(env, "GUIDANCE_BAND_K") ?? "1.5",
    minMarginPercent: int(env, "GUIDANCE_BAND_MIN_MARGIN_PERCENT", 10, 0, 100),
    minHeadcount: int(env, "GUIDANCE_BAND_MIN_HEADCOUNT", 5, 1, 1_000_000),
    lookbackWeeks: int(env, "GUIDANCE_BAND_LOOKBACK_WEEKS", 4, 1, 52),
  };
  const VARIABLE: Record<string, string> = {
    k: "GUIDANCE_BAND_K",
    minMarginPercent: "GUIDANCE_BAND_MIN_MARGIN_PERCENT",
    minHeadcount: "GUIDANCE_BAND_MIN_HEADCOUNT",
    lookbackWeeks: "GUIDANCE_BAND_LOOKBACK_WEEKS",
  };
  const problem = bandSettingsProblems(band)[0];
  if (problem !== undefined) throw new ConfigError(VARIABLE[problem.field] ?? "GUIDANCE_BAND_K", problem.message);
  return Object.freeze(band);
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
  const databaseOwnerUrl = url(env, "DATABASE_OWNER_URL", ["postgres:", "postgresql:"]);
  if (databaseOwnerUrl !== undefined && databaseUrl === undefined) {
    throw new ConfigError("DATABASE_OWNER_URL", "needs DATABASE_URL (the application's role) beside it; the embedded database has one role");
  }
  const shard = str(env, "LEDGER_SHARD") ?? "main";
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(shard)) {
    throw new ConfigError("LEDGER_SHARD", `must be 1 to 32 lower-case letters, digits, '-' or '_', got "${shard}"`);
  }
  const minLeadMinutes = int(env, "EXCHANGE_MIN_LEAD_MINUTES", 240, 1, 7 * 24 * 60);
  const staffingLeadMinutes = int(env, "EXCHANGE_STAFFING_LEAD_MINUTES", 120, 0, 7 * 24 * 60);
  if (staffingLeadMinutes >= minLeadMinutes) {
    throw new ConfigError("EXCHANGE_STAFFING_LEAD_MINUTES", `must be less than EXCHANGE_MIN_LEAD_MINUTES (${minLeadMinutes}), or no order could rest; got ${staffingLeadMinutes}`);
  }
  const tickFen = int(env, "EXCHANGE_TICK_FEN", 50, 1, 100_000);
  const maxRateFen = int(env, "EXCHANGE_MAX_RATE_FEN", 50_000, 1, 10_000_000);
  if (maxRateFen < tickFen) throw new ConfigError("EXCHANGE_MAX_RATE_FEN", `must be at least EXCHANGE_TICK_FEN (${tickFen}), got ${maxRateFen}`);
  const contracts = contractsConfig(env, staffingLeadMinutes);
  const port = int(env, "PORT", 3000, 0, 65535);
  const host = str(env, "HOST") ?? "127.0.0.1";
  const devMode = bool(env, "DEV_MODE", !production);
  // Production refuses the dev conveniences outright: dev mode shows login codes to whoever asks.
  if (production && devMode) throw new ConfigError("DEV_MODE", "must be off when NODE_ENV=production: dev mode shows one-time login codes on the page");
  const seedDemo = bool(env, "SEED_DEMO", devMode && databaseUrl === undefined);
  if (production && seedDemo) throw new ConfigError("SEED_DEMO", "must be off when NODE_ENV=production: the demo API keys are derived from public data");
  const identityHashKey = secret(env, "IDENTITY_HASH_KEY", production);
  const sessionSecret = secret(env, "SESSION_SECRET", production);
  if (!isLoopbackHost(host)) {
    // Anyone who can reach the server could forge sessions or reverse identity hashes with the public dev values.
    for (const [name, value] of [["IDENTITY_HASH_KEY", identityHashKey], ["SESSION_SECRET", sessionSecret]] as const) {
      if (isDevelopmentSecret(value)) {
        throw new ConfigError(name, `must be set when HOST=${host} (not a loopback address): the built-in development value is public`);
      }
    }
  }
  const notifierUrl = url(env, "NOTIFIER_URL", ["http:", "https:"]);
  if (production && notifierUrl === undefined) {
    throw new ConfigError("NOTIFIER_URL", "is required when NODE_ENV=production: without it one-time login codes reach nobody");
  }
  const notifierSecret = str(env, "NOTIFIER_SECRET");
  if (notifierUrl !== undefined && notifierSecret === undefined) {
    throw new ConfigError("NOTIFIER_SECRET", "is required when NOTIFIER_URL is set: it keys the signature the receiver checks");
  }
  if (notifierSecret !== undefined && notifierSecret.length < 32) throw new ConfigError("NOTIFIER_SECRET", "must be at least 32 characters");
  const lockoutBase = int(env, "LOGIN_LOCKOUT_BASE_SECONDS", 60, 1, 86_400);
  const signingKey = ledgerSigningKey(env, production);
  if (!isLoopbackHost(host) && signingKey.equals(developmentSigningKey())) {
    throw new ConfigError("LEDGER_SIGNING_KEY", `must be set when HOST=${host} (not a loopback address): the built-in development key is public, so anyone could sign checkpoints`);
  }
  const config: Config = {
    env: nodeEnv,
    host,
    port,
    databaseUrl,
    databaseOwnerUrl,
    databasePoolSize: int(env, "DATABASE_POOL_SIZE", 20, 2, 1000),
    redisUrl: url(env, "REDIS_URL", ["redis:", "rediss:"]),
    redisPrefix: redisPrefix(env),
    stream: {
      maxBufferedBytes: int(env, "STREAM_MAX_BUFFERED_BYTES", 1024 * 1024, 16 * 1024, 256 * 1024 * 1024),
      maxSubscriptions: int(env, "STREAM_MAX_SUBSCRIPTIONS", 64, 1, 10_000),
    },
    dataDir: path.resolve(str(env, "DATA_DIR") ?? "data"),
    logLevel: logLevel as Config["logLevel"],
    devMode,
    seedDemo,
    platformFeeRate: fraction(env, "PLATFORM_FEE_RATE", "0.05"),
    taxWithholdingRate: fraction(env, "TAX_WITHHOLDING_RATE", "0.03"),
    identityHashKey,
    sessionSecret,
    sessionTtlSeconds: int(env, "SESSION_TTL_SECONDS", 7 * 24 * 3600, 60, 90 * 24 * 3600),
    otpTtlSeconds: int(env, "OTP_TTL_SECONDS", 300, 30, 3600),
    bodyLimitBytes: int(env, "BODY_LIMIT_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024),
    rateLimit: {
      max: int(env, "RATE_LIMIT_MAX", 1200, 1, 10_000_000),
      windowMs: int(env, "RATE_LIMIT_WINDOW_MS", 60_000, 1000, 3_600_000),
    },
    trustProxy: trustProxy(env),
    authFailures: {
      max: int(env, "AUTH_FAILURE_MAX", 20, 1, 1_000_000),
      windowMs: int(env, "AUTH_FAILURE_WINDOW_MS", 60_000, 1000, 86_400_000),
    },
    otpRequestsPerPhone: {
      max: int(env, "OTP_REQUESTS_PER_PHONE", 5, 1, 1000),
      windowMs: int(env, "OTP_REQUESTS_WINDOW_MS", 600_000, 1000, 86_400_000),
    },
    otpMaxAttempts: int(env, "OTP_MAX_ATTEMPTS", 5, 2, 20),
    loginLockout: {
      baseSeconds: lockoutBase,
      maxSeconds: int(env, "LOGIN_LOCKOUT_MAX_SECONDS", Math.max(3600, lockoutBase), lockoutBase, 30 * 86_400),
      resetSeconds: int(env, "LOGIN_LOCKOUT_RESET_SECONDS", 86_400, 60, 365 * 86_400),
    },
    retention: {
      otpSeconds: int(env, "OTP_RETENTION_SECONDS", 86_400, 0, 365 * 86_400),
      sessionSeconds: int(env, "SESSION_RETENTION_SECONDS", 0, 0, 365 * 86_400),
    },
    notifier: {
      url: notifierUrl,
      secret: notifierSecret,
      timeoutMs: int(env, "NOTIFIER_TIMEOUT_MS", 5000, 100, 60_000),
      retries: int(env, "NOTIFIER_RETRIES", 3, 0, 10),
    },
    publicUrl: str(env, "PUBLIC_URL") ?? `http://${host === "0.0.0.0" ? "localhost" : host}:${port}`,
    escrowBank: {
      bankName: str(env, "ESCROW_BANK_NAME") ?? "中国工商银行重庆分行 (demo)",
      accountName: str(env, "ESCROW_BANK_ACCOUNT_NAME") ?? "Shiftex 资金监管专户 (demo)",
      accountNumber: str(env, "ESCROW_BANK_ACCOUNT_NUMBER") ?? "3100 0000 0000 0000 000",
    },
    ledger: {
      shard,
      batchSize: int(env, "LEDGER_BATCH_SIZE", 8190, 1, 65_535),
      checkpointIntervalMs: int(env, "LEDGER_CHECKPOINT_INTERVAL_MS", 60_000, 1000, 60_000),
      signingKey,
      previousPublicKeys: ed25519PublicKeys(env, "LEDGER_PREVIOUS_PUBLIC_KEYS"),
      verifyOnStart: oneOf(env, "LEDGER_VERIFY_ON_START", ["incremental", "full"] as const, "incremental"),
    },
    exchange: {
      tickFen,
      maxRateFen,
      horizonDays: int(env, "EXCHANGE_HORIZON_DAYS", 30, 1, 366),
      minLeadMinutes,
      staffingLeadMinutes,
      snapshotEvery: int(env, "SEQUENCER_SNAPSHOT_EVERY", 50_000, 0, 100_000_000),
      recentIds: int(env, "SEQUENCER_RECENT_IDS", 100_000, 1000, 100_000_000),
      tickMs: int(env, "SEQUENCER_TICK_MS", 1000, 10, 3_600_000),
    },
    contracts,
    trust: {
      settings: trustSettings(env),
      arrearsSettlementWindowDays: int(env, "ARREARS_SETTLEMENT_WINDOW_DAYS", 3, 0, 365),
      arrearsQueueSize: int(env, "ARREARS_QUEUE_SIZE", 100, 1, 10_000),
      reliabilityWindowDays: int(env, "RELIABILITY_WINDOW_DAYS", 90, 1, 3650),
      pollMs: int(env, "TRUST_POLL_MS", 1000, 10, 3_600_000),
    },
    stripe: stripeSettings(env),
    paymentMaxFen: int(env, "PAYMENT_MAX_FEN", 10_000_000_000, 1, 9_000_000_000_000),
    reconciliation: {
      windowDays: int(env, "RECONCILIATION_WINDOW_DAYS", 3, 0, 31),
      maxStatementBytes: int(env, "RECONCILIATION_MAX_STATEMENT_BYTES", 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    },
    marketdata: {
      band: bandSettings(env),
      bandRefreshSeconds: int(env, "GUIDANCE_BAND_REFRESH_SECONDS", 300, 1, 86_400),
    },
    stats: {
      publicCacheSeconds: int(env, "STATS_PUBLIC_CACHE_SECONDS", 60, 0, 86_400),
    },
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
  "STRIPE_FUNDING_TTL_MINUTES", "STRIPE_SWEEP_SECONDS", "STRIPE_MAX_NETWORK_RETRIES",
  "ESCROW_BANK_NAME", "ESCROW_BANK_ACCOUNT_NAME", "ESCROW_BANK_ACCOUNT_NUMBER",
  "TRUST_PROXY", "AUTH_FAILURE_MAX", "AUTH_FAILURE_WINDOW_MS", "OTP_REQUESTS_PER_PHONE", "OTP_REQUESTS_WINDOW_MS", "OTP_MAX_ATTEMPTS", "LOGIN_LOCKOUT_BASE_SECONDS",
  "LOGIN_LOCKOUT_MAX_SECONDS", "LOGIN_LOCKOUT_RESET_SECONDS", "OTP_RETENTION_SECONDS", "SESSION_RETENTION_SECONDS",
  "NOTIFIER_URL", "NOTIFIER_SECRET", "NOTIFIER_TIMEOUT_MS", "NOTIFIER_RETRIES",
  "DATABASE_OWNER_URL", "DATABASE_POOL_SIZE", "LEDGER_SHARD", "LEDGER_BATCH_SIZE", "LEDGER_CHECKPOINT_INTERVAL_MS",
  "LEDGER_SIGNING_KEY", "LEDGER_PREVIOUS_PUBLIC_KEYS", "LEDGER_VERIFY_ON_START",
  "PAYMENT_MAX_FEN", "RECONCILIATION_WINDOW_DAYS", "RECONCILIATION_MAX_STATEMENT_BYTES", "IDEMPOTENCY_TAKEOVER_SECONDS", "IDEMPOTENCY_RETENTION_HOURS", "IDEMPOTENCY_SWEEP_SECONDS",
  "REDIS_PREFIX", "STREAM_MAX_BUFFERED_BYTES", "STREAM_MAX_SUBSCRIPTIONS",
  "EXCHANGE_TICK_FEN", "EXCHANGE_MAX_RATE_FEN", "EXCHANGE_HORIZON_DAYS", "EXCHANGE_MIN_LEAD_MINUTES", "EXCHANGE_STAFFING_LEAD_MINUTES",
  "SEQUENCER_SNAPSHOT_EVERY", "SEQUENCER_RECENT_IDS", "SEQUENCER_TICK_MS",
  "CONTRACT_STAFFING_DEADLINE_MINUTES", "CONTRACT_CONFIRM_DEADLINE_MINUTES", "CONTRACT_NO_SHOW_GRACE_MINUTES",
  "CONTRACT_APPROVAL_WINDOW_MINUTES", "CONTRACT_FREE_CANCELLATION_NOTICE_MINUTES", "CONTRACT_LATE_CANCELLATION_FEE_MINUTES",
  "HOURS_ROUNDING_UNIT_MINUTES", "HOURS_ROUNDING", "CONTRACT_TIMER_POLL_MS", "CONTRACT_SWEEP_MS",
  "TRUST_SETTINGS", "ARREARS_SETTLEMENT_WINDOW_DAYS", "ARREARS_QUEUE_SIZE", "RELIABILITY_WINDOW_DAYS", "TRUST_POLL_MS",
  "GUIDANCE_BAND_K", "GUIDANCE_BAND_MIN_MARGIN_PERCENT", "GUIDANCE_BAND_MIN_HEADCOUNT", "GUIDANCE_BAND_LOOKBACK_WEEKS",
  "GUIDANCE_BAND_REFRESH_SECONDS", "STATS_PUBLIC_CACHE_SECONDS",
] as const;

/** The process's configuration, read once from the environment on first use. */
let processConfig: Config | undefined;
export function config(): Config {
  processConfig ??= loadConfig(process.env);
  return processConfig;
}
