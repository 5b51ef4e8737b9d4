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

  it("requires real secrets in production and turns dev conveniences off", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/IDENTITY_HASH_KEY/);
    const secrets = { NODE_ENV: "production", IDENTITY_HASH_KEY: "k".repeat(40), SESSION_SECRET: "s".repeat(40), DATABASE_URL: "postgres://db/x" };
    expect(() => loadConfig(secrets)).toThrow(/LEDGER_SIGNING_KEY: is required when NODE_ENV=production/);
    const c = loadConfig({ ...secrets, LEDGER_SIGNING_KEY: randomBytes(32).toString("base64") });
    expect(c.devMode).toBe(false);
    expect(c.seedDemo).toBe(false);
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
