// Rate limits: per caller, problem+json 429; shared across app instances through Redis when REDIS_URL is set.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends, redisUrl } from "../helpers/services";

describe("rate limits in memory (embedded default)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backends[0]!, { env: { RATE_LIMIT_MAX: "5", RATE_LIMIT_WINDOW_MS: "60000" } });
  });
  afterAll(async () => app?.close());

  it("answers the sixth request in the window with a 429 problem and Retry-After", async () => {
    const key = app.key("demo agency 0004");
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(app, "GET", "/v1/workers", { key })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const r = await call(app, "GET", "/v1/workers", { key });
    expect(r.status).toBe(429);
    expect(r.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(r.body.code).toBe("rate_limited");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another caller has its own budget.
    expect((await call(app, "GET", "/v1/workers", { key: app.key("demo agency 0005") })).status).toBe(200);
  });
});

describe.skipIf(!redisUrl)("rate limits through Redis (shared by every app instance)", () => {
  let a: TestApp;
  let b: TestApp;
  let redisA: Redis;
  let redisB: Redis;
  beforeAll(async () => {
    redisA = new Redis(redisUrl!);
    redisB = new Redis(redisUrl!);
    const stale = await redisA.keys("shiftex:rl:*");
    if (stale.length > 0) await redisA.del(...stale);
    const env = { RATE_LIMIT_MAX: "4", RATE_LIMIT_WINDOW_MS: "60000", SESSION_SECRET: `redis-test-${randomBytes(16).toString("hex")}` };
    a = await startTestApp(backends[0]!, { env, redis: redisA });
    b = await startTestApp(backends[0]!, { env, redis: redisB });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    redisA?.disconnect();
    redisB?.disconnect();
  });

  it("counts one caller's requests across two instances", async () => {
    // Each instance has its own database, so API key ids differ; an anonymous caller is keyed by its
    // address on both, which makes it the same caller to both instances.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(a, "GET", "/v1/catalogue")).status);
    for (let i = 0; i < 2; i++) statuses.push((await call(b, "GET", "/v1/catalogue")).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const keys = await redisA.keys("shiftex:rl:*");
    expect(keys.length).toBeGreaterThan(0);
    await redisA.del(...keys);
  });
});
