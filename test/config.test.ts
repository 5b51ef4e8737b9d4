// Settings are parsed once; a bad value stops start-up naming the variable.
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_VARIABLES, ConfigError, loadConfig } from "../src/config";

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
    const c = loadConfig({ NODE_ENV: "production", IDENTITY_HASH_KEY: "k".repeat(40), SESSION_SECRET: "s".repeat(40), DATABASE_URL: "postgres://db/x" });
    expect(c.devMode).toBe(false);
    expect(c.seedDemo).toBe(false);
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
