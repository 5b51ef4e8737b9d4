// Settings are parsed once; a bad value stops start-up naming the variable.
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { CONFIG_VARIABLES, ConfigError, loadConfig } from "../src/config";
import { developmentSigningKey, keyIdOf } from "../src/ledger";

/** A key's raw 32-byte public key as base64. */
function keyRaw(key: import("node:crypto").KeyObject): string {
  return Buffer.from(createPublicKey(key).export({ format: "jwk" }).x as string, "base64url").toString("base64");
}

describe("config", () => {
  it("has working defaults for the embedded mode", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ env: "development", port: 3000, databaseUrl: undefined, redisUrl: undefined, devMode: true, seedDemo: true, platformFeeRate: "0.05" });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    ["PORT", "http"],
    ["PORT", "70000"],
    ["DATABASE_URL", "mysql://x/y"],
    ["DATABASE_URL", "not a url"],
    ["REDIS_URL", "http://127.0.0.1:6379"],
    ["PLATFORM_FEE_RATE", "5%"],
    ["PLATFORM_FEE_RATE", "1.5"],
    ["DEV_MODE", "maybe"],
    ["LOG_LEVEL", "loud"],
    ["NODE_ENV", "staging"],
    ["SESSION_SECRET", "short"],
    ["DATABASE_POOL_SIZE", "0"],
    ["DATABASE_OWNER_URL", "postgres://owner@db/x"], // without DATABASE_URL beside it
    ["LEDGER_SHARD", "Main Shard"],
    ["LEDGER_BATCH_SIZE", "0"],
    ["LEDGER_CHECKPOINT_INTERVAL_MS", "120000"], // "at least every minute"
    ["LEDGER_SIGNING_KEY", "too-short"],
    ["LEDGER_SIGNING_KEY", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"],
    ["LEDGER_PREVIOUS_PUBLIC_KEYS", "abc,def"],
    ["LEDGER_VERIFY_ON_START", "never"],
    ["REDIS_PREFIX", "shiftex events"],
    ["STREAM_MAX_BUFFERED_BYTES", "1024"],
    ["STREAM_MAX_SUBSCRIPTIONS", "0"],
    ["RECONCILIATION_WINDOW_DAYS", "32"],
    ["RECONCILIATION_MAX_STATEMENT_BYTES", "100"],
    ["STRIPE_SECRET_KEY", "pk_test_publishable"],
    ["STRIPE_FUNDING_TTL_MINUTES", "1"],
    ["STRIPE_SWEEP_SECONDS", "-1"],
    ["STRIPE_MAX_NETWORK_RETRIES", "9"],
    ["TRUST_SETTINGS", "not json"],
    ["TRUST_SETTINGS", '{"blackBelow":50}'], // changed values without a version of their own
    ["TRUST_SETTINGS", '{"version":"x2","redAtLeast":10}'], // red below black
    ["TRUST_SETTINGS", '{"version":"x3","weights":{"no_show":500}}'], // a no-show never earns points
    ["ARREARS_SETTLEMENT_WINDOW_DAYS", "-1"],
    ["ARREARS_QUEUE_SIZE", "0"],
    ["RELIABILITY_WINDOW_DAYS", "0"],
    ["TRUST_POLL_MS", "1"],
  ])("refuses %s=%s naming the variable", (name, value) => {
    let caught: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(name);
    expect((caught as Error).message).toContain(name);
  });

  const production = {
    NODE_ENV: "production", IDENTITY_HASH_KEY: "k".repeat(40), SESSION_SECRET: "s".repeat(40), DATABASE_URL: "postgres://db/x",
    NOTIFIER_URL: "https://sms.example.cn/hook", NOTIFIER_SECRET: "n".repeat(40), LEDGER_SIGNING_KEY: randomBytes(32).toString("base64"),
  };
  const refusal = (env: Record<string, string>): ConfigError => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    throw new Error("loadConfig accepted it");
  };
  it("reads the reconciliation and Stripe settings; a Stripe key needs the webhook secret beside it", () => {
    expect(loadConfig({})).toMatchObject({
      reconciliation: { windowDays: 3, maxStatementBytes: 32 * 1024 * 1024 },
      stripe: { secretKey: undefined, webhookSecret: undefined, fundingTtlMinutes: 1440, sweepSeconds: 30, maxNetworkRetries: 1 },
    });
    const c = loadConfig({ STRIPE_SECRET_KEY: "sk_test_abc123", STRIPE_WEBHOOK_SECRET: "whsec_x", STRIPE_FUNDING_TTL_MINUTES: "60", RECONCILIATION_WINDOW_DAYS: "0" });
    expect(c).toMatchObject({ stripe: { secretKey: "sk_test_abc123", fundingTtlMinutes: 60 }, reconciliation: { windowDays: 0 } });
    expect(() => loadConfig({ STRIPE_SECRET_KEY: "sk_test_abc123" })).toThrow("STRIPE_WEBHOOK_SECRET");
  });

  it("reads the guidance band and statistics settings, refusing bad values by name", () => {
    expect(loadConfig({})).toMatchObject({
      marketdata: { band: { k: "1.5", minMarginPercent: 10, minHeadcount: 5, lookbackWeeks: 4 }, bandRefreshSeconds: 300 },
      stats: { publicCacheSeconds: 60 },
    });
    const c = loadConfig({
      GUIDANCE_BAND_K: "2", GUIDANCE_BAND_MIN_MARGIN_PERCENT: "0", GUIDANCE_BAND_MIN_HEADCOUNT: "20", GUIDANCE_BAND_LOOKBACK_WEEKS: "8",
      GUIDANCE_BAND_REFRESH_SECONDS: "30", STATS_PUBLIC_CACHE_SECONDS: "0",
    });
    expect(c).toMatchObject({ marketdata: { band: { k: "2", minMarginPercent: 0, minHeadcount: 20, lookbackWeeks: 8 }, bandRefreshSeconds: 30 }, stats: { publicCacheSeconds: 0 } });
    expect(Object.isFrozen(c.marketdata.band)).toBe(true);
    for (const [name, value] of [
      ["GUIDANCE_BAND_K", "1.5x"], ["GUIDANCE_BAND_K", "-1"], ["GUIDANCE_BAND_K", "1.2345"], ["GUIDANCE_BAND_MIN_MARGIN_PERCENT", "101"],
      ["GUIDANCE_BAND_MIN_HEADCOUNT", "0"], ["GUIDANCE_BAND_LOOKBACK_WEEKS", "0"], ["GUIDANCE_BAND_LOOKBACK_WEEKS", "53"],
      ["GUIDANCE_BAND_REFRESH_SECONDS", "0"], ["STATS_PUBLIC_CACHE_SECONDS", "-5"],
    ]) {
      expect(refusal({ [name!]: value! }).variable, `${name}=${value}`).toBe(name);
    }
  });

  it("reads the payment ceiling and the idempotency settings, refusing bad values by name", () => {
    expect(loadConfig({})).toMatchObject({ paymentMaxFen: 10_000_000_000, idempotency: { takeoverSeconds: 60, retentionHours: 24, sweepSeconds: 10 } });
    const c = loadConfig({ PAYMENT_MAX_FEN: "500000", IDEMPOTENCY_TAKEOVER_SECONDS: "5", IDEMPOTENCY_RETENTION_HOURS: "72", IDEMPOTENCY_SWEEP_SECONDS: "0" });
    expect(c).toMatchObject({ paymentMaxFen: 500_000, idempotency: { takeoverSeconds: 5, retentionHours: 72, sweepSeconds: 0 } });
    for (const [name, value] of [["PAYMENT_MAX_FEN", "0"], ["PAYMENT_MAX_FEN", "1.5"], ["IDEMPOTENCY_TAKEOVER_SECONDS", "0"], ["IDEMPOTENCY_RETENTION_HOURS", "0"], ["IDEMPOTENCY_SWEEP_SECONDS", "-1"]]) {
      expect(() => loadConfig({ [name!]: value }), `${name}=${value}`).toThrow(ConfigError);
      expect(() => loadConfig({ [name!]: value })).toThrow(name);
    }
  });

  it("requires real secrets in production and turns dev conveniences off", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/IDENTITY_HASH_KEY/);
    const { LEDGER_SIGNING_KEY: _key, ...noSigningKey } = production;
    expect(() => loadConfig(noSigningKey)).toThrow(/LEDGER_SIGNING_KEY: is required when NODE_ENV=production/);
    const c = loadConfig(production);
    expect(c.devMode).toBe(false);
    expect(c.seedDemo).toBe(false);
    expect(c.trustProxy).toBe(false);
  });

  it("refuses DEV_MODE and SEED_DEMO in production, naming the variable", () => {
    expect(refusal({ ...production, DEV_MODE: "true" }).variable).toBe("DEV_MODE");
    expect(refusal({ ...production, SEED_DEMO: "true" }).variable).toBe("SEED_DEMO");
    expect(refusal({ ...production, SEED_DEMO: "true" }).message).toContain("SEED_DEMO");
  });

  it("requires a notifier in production, and its secret whenever it is set", () => {
    const { NOTIFIER_URL: _u, NOTIFIER_SECRET: _s, ...noNotifier } = production;
    expect(refusal(noNotifier).variable).toBe("NOTIFIER_URL");
    expect(refusal({ NOTIFIER_URL: "http://127.0.0.1:9/hook" }).variable).toBe("NOTIFIER_SECRET");
    expect(refusal({ NOTIFIER_URL: "ftp://x/y", NOTIFIER_SECRET: "n".repeat(40) }).variable).toBe("NOTIFIER_URL");
    expect(loadConfig({ NOTIFIER_URL: "http://127.0.0.1:9/hook", NOTIFIER_SECRET: "n".repeat(40) }).notifier).toMatchObject({ url: "http://127.0.0.1:9/hook", timeoutMs: 5000, retries: 3 });
  });

  it("refuses a non-loopback HOST while a development secret is in use, in any environment", () => {
    for (const env of ["development", "test"]) {
      const e = refusal({ NODE_ENV: env, HOST: "0.0.0.0" });
      expect(["IDENTITY_HASH_KEY", "SESSION_SECRET"]).toContain(e.variable);
      expect(e.message).toMatch(/HOST=0\.0\.0\.0/);
      expect(refusal({ NODE_ENV: env, HOST: "192.168.1.20", IDENTITY_HASH_KEY: "k".repeat(40) }).variable).toBe("SESSION_SECRET");
    }
    // The development values typed in by hand count as development values.
    const devValue = `${loadConfig({}).sessionSecret}`;
    expect(refusal({ SESSION_SECRET: devValue }).variable).toBe("SESSION_SECRET");
    // Loopback hosts may use them; real secrets may listen anywhere.
    for (const host of ["127.0.0.1", "localhost", "::1", "127.0.0.2"]) expect(loadConfig({ HOST: host }).host).toBe(host);
    const realSecrets = { IDENTITY_HASH_KEY: "k".repeat(40), SESSION_SECRET: "s".repeat(40) };
    expect(refusal({ HOST: "0.0.0.0", ...realSecrets }).variable).toBe("LEDGER_SIGNING_KEY");
    expect(loadConfig({ HOST: "0.0.0.0", ...realSecrets, LEDGER_SIGNING_KEY: randomBytes(32).toString("base64") }).host).toBe("0.0.0.0");
  });

  it("reads TRUST_PROXY as off, a hop count, or addresses and ranges", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "off" }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: "10.0.0.0/8, 127.0.0.1,fd00::/8, loopback" }).trustProxy).toEqual(["10.0.0.0/8", "127.0.0.1", "fd00::/8", "loopback"]);
    for (const bad of ["true", "300.1.1.1", "10.0.0.0/33", "proxy.internal", "11"]) expect(refusal({ TRUST_PROXY: bad }).variable).toBe("TRUST_PROXY");
  });

  it("reads the ledger and pool settings, and the signing key as a seed (base64 or hex) or a PEM", () => {
    const d = loadConfig({});
    expect(d.ledger).toMatchObject({ shard: "main", batchSize: 8190, checkpointIntervalMs: 60_000, verifyOnStart: "incremental", previousPublicKeys: [] });
    expect(d.databasePoolSize).toBe(20);
    expect(keyIdOf(d.ledger.signingKey)).toBe(keyIdOf(developmentSigningKey()));
    const seed = randomBytes(32);
    const fromBase64 = loadConfig({ LEDGER_SIGNING_KEY: seed.toString("base64") }).ledger.signingKey;
    const fromHex = loadConfig({ LEDGER_SIGNING_KEY: seed.toString("hex") }).ledger.signingKey;
    expect(keyIdOf(fromHex)).toBe(keyIdOf(fromBase64));
    expect(keyIdOf(fromBase64)).not.toBe(keyIdOf(developmentSigningKey()));
    const pair = generateKeyPairSync("ed25519");
    const pem = pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const c = loadConfig({
      LEDGER_SIGNING_KEY: pem,
      // an SPKI PEM and a raw public key in base64, comma-separated
      LEDGER_PREVIOUS_PUBLIC_KEYS: `${pair.publicKey.export({ format: "pem", type: "spki" }).toString()}, ${keyRaw(fromHex)}`,
      LEDGER_SHARD: "cq-1",
      LEDGER_BATCH_SIZE: "1000",
      LEDGER_CHECKPOINT_INTERVAL_MS: "5000",
      LEDGER_VERIFY_ON_START: "full",
      DATABASE_URL: "postgres://app@db/x",
      DATABASE_OWNER_URL: "postgres://owner@db/x",
      DATABASE_POOL_SIZE: "8",
    });
    expect(keyIdOf(c.ledger.signingKey)).toBe(keyIdOf(pair.publicKey));
    expect(c.ledger.previousPublicKeys.map(keyIdOf)).toEqual([keyIdOf(pair.publicKey), keyIdOf(fromHex)]);
    expect(c.ledger).toMatchObject({ shard: "cq-1", batchSize: 1000, checkpointIntervalMs: 5000, verifyOnStart: "full" });
    expect(c).toMatchObject({ databaseOwnerUrl: "postgres://owner@db/x", databasePoolSize: 8 });
  });

  it("reads the contract terms, refusing deadlines that do not fit together by the variable's name", () => {
    expect(loadConfig({}).contracts).toMatchObject({
      staffingDeadlineMinutes: 60, confirmDeadlineMinutes: 30, noShowGraceMinutes: 30, approvalWindowMinutes: 1440,
      freeCancellationNoticeMinutes: 1440, lateCancellationFeeMinutes: 240, hoursRoundingUnitMinutes: 15, hoursRounding: "down",
    });
    expect(loadConfig({ HOURS_ROUNDING: "nearest", HOURS_ROUNDING_UNIT_MINUTES: "30" }).contracts).toMatchObject({ hoursRounding: "nearest", hoursRoundingUnitMinutes: 30 });
    // a contract filled as late as the exchange allows must still have time to name its workers
    expect(() => loadConfig({ CONTRACT_STAFFING_DEADLINE_MINUTES: "120" })).toThrow(/CONTRACT_STAFFING_DEADLINE_MINUTES: must be less than EXCHANGE_STAFFING_LEAD_MINUTES \(120\)/);
    expect(loadConfig({ CONTRACT_STAFFING_DEADLINE_MINUTES: "150", EXCHANGE_STAFFING_LEAD_MINUTES: "180" }).contracts.staffingDeadlineMinutes).toBe(150);
    // workers confirm after staffing closes, not before
    expect(() => loadConfig({ CONTRACT_CONFIRM_DEADLINE_MINUTES: "90" })).toThrow(/CONTRACT_CONFIRM_DEADLINE_MINUTES/);
    expect(() => loadConfig({ HOURS_ROUNDING: "sideways" })).toThrow(/HOURS_ROUNDING: must be one of down, up, nearest/);
    expect(() => loadConfig({ HOURS_ROUNDING_UNIT_MINUTES: "61" })).toThrow(/HOURS_ROUNDING_UNIT_MINUTES/);
    expect(() => loadConfig({ CONTRACT_APPROVAL_WINDOW_MINUTES: "0" })).toThrow(/CONTRACT_APPROVAL_WINDOW_MINUTES/);
  });

  it("reads the trust settings: the published defaults, or JSON over them under a version of its own", () => {
    const d = loadConfig({});
    expect(d.trust).toMatchObject({ arrearsSettlementWindowDays: 3, arrearsQueueSize: 100, reliabilityWindowDays: 90, pollMs: 1000 });
    expect(d.trust.settings).toMatchObject({ version: "2026-1", basePoints: 100, blackBelow: 60, redAtLeast: 110 });
    const c = loadConfig({ TRUST_SETTINGS: '{"version":"2027-1","blackBelow":50,"weights":{"no_show":-800}}', ARREARS_SETTLEMENT_WINDOW_DAYS: "5", ARREARS_QUEUE_SIZE: "20", RELIABILITY_WINDOW_DAYS: "30" });
    expect(c.trust.settings).toMatchObject({ version: "2027-1", blackBelow: 50, redAtLeast: 110, weights: { no_show: -800, late_cancellation: -200 } });
    expect(c.trust).toMatchObject({ arrearsSettlementWindowDays: 5, arrearsQueueSize: 20, reliabilityWindowDays: 30 });
    expect(() => loadConfig({ TRUST_SETTINGS: '{"version":"2027-1","decay":[{"untilDays":90,"percent":50},{"untilDays":30,"percent":100}]}' })).toThrow(/TRUST_SETTINGS: decay\[1\]/);
  });

  it("reads the stream settings and the Redis prefix", () => {
    expect(loadConfig({})).toMatchObject({ redisPrefix: "shiftex:", stream: { maxBufferedBytes: 1048576, maxSubscriptions: 64 } });
    const c = loadConfig({ REDIS_PREFIX: "staging:shiftex:", STREAM_MAX_BUFFERED_BYTES: "65536", STREAM_MAX_SUBSCRIPTIONS: "8" });
    expect(c).toMatchObject({ redisPrefix: "staging:shiftex:", stream: { maxBufferedBytes: 65536, maxSubscriptions: 8 } });
  });

  it("stops the process at start-up with a message naming the bad variable", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], { env: { ...process.env, PORT: "abc", DATABASE_URL: "" }, encoding: "utf8", timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("PORT");
  });

  it("does not start on a non-loopback HOST with the development secrets, nor in production with DEV_MODE on", () => {
    const base = { ...process.env, DATABASE_URL: "", IDENTITY_HASH_KEY: "", SESSION_SECRET: "", NODE_ENV: "development" };
    const open = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], { env: { ...base, HOST: "0.0.0.0" }, encoding: "utf8", timeout: 20_000 });
    expect(open.status).toBe(1);
    expect(open.stderr).toMatch(/IDENTITY_HASH_KEY|SESSION_SECRET/);
    expect(open.stderr).toContain("HOST=0.0.0.0");
    const prod = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], { env: { ...base, ...production, DEV_MODE: "true" }, encoding: "utf8", timeout: 20_000 });
    expect(prod.status).toBe(1);
    expect(prod.stderr).toContain("DEV_MODE");
  });

  it("is the only reader of process.env in src/", () => {
    // Code that reads it (not comments that mention it).
    const r = spawnSync("grep", ["-rlnE", "process\\.env(\\[|\\.| *\\))", "src", "--include=*.ts"], { encoding: "utf8" });
    const files = r.stdout.split("\n").filter((f) => f && !f.startsWith("src/generated/"));
    expect(files).toEqual(["src/config.ts"]);
  });
});

describe("docker-compose.yml", () => {
  const compose = parse(readFileSync("docker-compose.yml", "utf8")) as { services: Record<string, { image?: string; environment?: Record<string, string> }> };

  it("runs postgres, redis, stripe-mock and the app", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["app", "postgres", "redis", "stripe-mock"]);
    expect(compose.services["stripe-mock"]!.image).toMatch(/^stripe\/stripe-mock/);
    expect(compose.services["postgres"]!.image).toMatch(/^postgres/);
    expect(compose.services["redis"]!.image).toMatch(/^redis/);
  });

  it("gives the app only variables config.ts reads, and a configuration config.ts accepts", () => {
    const env = compose.services["app"]!.environment!;
    const unknown = Object.keys(env).filter((k) => !(CONFIG_VARIABLES as readonly string[]).includes(k));
    expect(unknown).toEqual([]);
    const c = loadConfig(env);
    // A local trial: development mode, published only on this machine, with explicit secrets (HOST is 0.0.0.0).
    expect(c.env).not.toBe("production");
    expect(c.host).toBe("0.0.0.0");
    expect((compose.services["app"] as { ports?: string[] }).ports).toEqual(["127.0.0.1:3000:3000"]);
    expect(new URL(c.databaseUrl!).hostname).toBe("postgres");
    expect(new URL(c.redisUrl!).hostname).toBe("redis");
    expect(new URL(c.stripe.apiBase!).hostname).toBe("stripe-mock");
  });

  it("lists every variable config.ts reads in CONFIG_VARIABLES", () => {
    const source = readFileSync("src/config.ts", "utf8");
    const read = [...source.matchAll(/\(env, "([A-Z_]+)"/g)].map((m) => m[1]);
    expect(new Set(read)).toEqual(new Set(CONFIG_VARIABLES));
  });
});
