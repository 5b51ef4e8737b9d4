// Rate limits: per caller, problem+json 429; shared across app instances through Redis when REDIS_URL is set.
// Public routes count per client address only; X-Forwarded-For counts only from TRUST_PROXY; failed credential
// look-ups are limited per address.
import { randomBytes, randomInt } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends, redisUrl } from "../helpers/services";

/** Mints `n` fresh API keys for an organisation (what any organisation user can do). */
async function mintKeys(app: TestApp, n: number): Promise<string[]> {
  const org = app.demo.organisations.find((o) => o.kind === "agency")!;
  const keys: string[] = [];
  for (let i = 0; i < n; i++) keys.push((await app.built.services.auth.issueApiKey({ role: "agency", organisationId: org.id, label: `minted ${i}` })).apiKey);
  return keys;
}

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

  it("counts public routes per client address, whatever API key comes along", async () => {
    // The address's budget (5) is shared by six requests that each carry a different, freshly minted key.
    const keys = await mintKeys(app, 6);
    const statuses: number[] = [];
    for (const key of keys) statuses.push((await call(app, "GET", "/v1/catalogue", { key })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe("per-address limits of the login routes", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backends[0]!);
  });
  afterAll(async () => app?.close());

  it("counts code checks per address, not per API key sent along", async () => {
    const keys = await mintKeys(app, 11);
    const phone = app.demo.workerPhones[9]!;
    const statuses: number[] = [];
    for (const key of keys) statuses.push((await call(app, "POST", "/v1/auth/otp/verify", { key, body: { phone, code: "000000" } })).status);
    // Ten checks a minute per address; wrong codes answer 401 until the phone locks (429 with a field), the
    // eleventh is refused by the address limit.
    expect(statuses.slice(0, 10).every((s) => s === 401 || s === 429)).toBe(true);
    const last = await call(app, "POST", "/v1/auth/otp/verify", { key: keys[10]!, body: { phone: app.demo.workerPhones[10]!, code: "000000" } });
    expect(last.status).toBe(429);
    expect(last.body.field).toBeUndefined(); // the address limit, not the phone's lock
  });
});

describe("X-Forwarded-For and TRUST_PROXY", () => {
  let untrusting: TestApp;
  let trusting: TestApp;
  let hop: TestApp;
  beforeAll(async () => {
    const env = { RATE_LIMIT_MAX: "3", RATE_LIMIT_WINDOW_MS: "60000" };
    untrusting = await startTestApp(backends[0]!, { env });
    trusting = await startTestApp(backends[0]!, { env: { ...env, TRUST_PROXY: "127.0.0.1/32, ::1" } });
    hop = await startTestApp(backends[0]!, { env: { ...env, TRUST_PROXY: "1" } });
  });
  afterAll(async () => {
    await untrusting?.close();
    await trusting?.close();
    await hop?.close();
  });

  const fromAddresses = async (app: TestApp, addresses: string[]) => {
    const statuses: number[] = [];
    for (const a of addresses) statuses.push((await call(app, "GET", "/v1/catalogue", { headers: { "x-forwarded-for": a } })).status);
    return statuses;
  };

  it("ignores X-Forwarded-For by default: a client cannot pick a fresh address per request", async () => {
    expect(untrusting.config.trustProxy).toBe(false);
    expect(await fromAddresses(untrusting, ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"])).toEqual([200, 200, 200, 429]);
  });

  it("believes X-Forwarded-For from the configured proxies", async () => {
    expect(await fromAddresses(trusting, ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"])).toEqual([200, 200, 200, 200]);
    // Each forwarded address has its own budget.
    expect(await fromAddresses(trusting, ["203.0.113.9", "203.0.113.9", "203.0.113.9", "203.0.113.9"])).toEqual([200, 200, 200, 429]);
  });

  it("believes only as many hops as configured", async () => {
    // One trusted hop: the right-most forwarded address is the client; addresses a client prepends are ignored.
    const spoofed = ["10.9.9.1, 198.51.100.7", "10.9.9.2, 198.51.100.7", "10.9.9.3, 198.51.100.7", "10.9.9.4, 198.51.100.7"];
    expect(await fromAddresses(hop, spoofed)).toEqual([200, 200, 200, 429]);
  });

  it("counts IPv6 clients per /64", async () => {
    const sameNet = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3", "2001:db8:1:2:aaaa:bbbb:cccc:dddd"];
    expect(await fromAddresses(trusting, sameNet)).toEqual([200, 200, 200, 429]);
    expect(await fromAddresses(trusting, ["2001:db8:1:3::1"])).toEqual([200]);
  });
});

describe("failed credential look-ups per address (in memory)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backends[0]!, { env: { AUTH_FAILURE_MAX: "3", AUTH_FAILURE_WINDOW_MS: "60000", TRUST_PROXY: "127.0.0.1" } });
  });
  afterAll(async () => app?.close());

  it("answers 429 without a database look-up once an address has K failures", async () => {
    const from = { "x-forwarded-for": "192.0.2.10" };
    const cachedKey = app.key("demo agency 0004");
    expect((await call(app, "GET", "/v1/workers", { key: cachedKey, headers: from })).status).toBe(200);
    const uncachedKey = (await mintKeys(app, 1))[0]!;
    const lookups = vi.spyOn(app.built.services.repo, "findApiKeyByHash");
    const sessions = vi.spyOn(app.built.services.repo, "findSessionByHash");
    try {
      for (let i = 0; i < 3; i++) expect((await call(app, "GET", "/v1/workers", { key: `sx_wrong_${i}`, headers: from })).status).toBe(401);
      expect(lookups).toHaveBeenCalledTimes(3);
      const blocked = await call(app, "GET", "/v1/workers", { key: "sx_wrong_again", headers: from });
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe("rate_limited");
      expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
      // A key never seen before is not looked up either, nor is a session cookie.
      expect((await call(app, "GET", "/v1/workers", { key: uncachedKey, headers: from })).status).toBe(429);
      expect((await call(app, "GET", "/v1/me", { cookie: "shiftex_session=ses_forged", headers: from })).status).toBe(429);
      expect(lookups).toHaveBeenCalledTimes(3);
      expect(sessions).not.toHaveBeenCalled();
      // A key resolved before (cached, no look-up) still works, and other addresses are not affected.
      expect((await call(app, "GET", "/v1/workers", { key: cachedKey, headers: from })).status).toBe(200);
      expect((await call(app, "GET", "/v1/workers", { key: uncachedKey, headers: { "x-forwarded-for": "192.0.2.11" } })).status).toBe(200);
    } finally {
      lookups.mockRestore();
      sessions.mockRestore();
    }
  });

  it("counts unknown session cookies too, and clears them", async () => {
    const from = { "x-forwarded-for": "192.0.2.20" };
    const first = await call(app, "GET", "/v1/catalogue", { cookie: "shiftex_session=ses_stale", headers: from });
    expect(first.status).toBe(200);
    expect(first.headers.get("set-cookie")).toMatch(/shiftex_session=;/);
    await call(app, "GET", "/v1/catalogue", { cookie: "shiftex_session=ses_stale", headers: from });
    await call(app, "GET", "/v1/catalogue", { cookie: "shiftex_session=ses_stale", headers: from });
    expect((await call(app, "GET", "/v1/catalogue", { cookie: "shiftex_session=ses_stale", headers: from })).status).toBe(429);
    // Without credentials nothing is looked up, so nothing is refused.
    expect((await call(app, "GET", "/v1/catalogue", { headers: from })).status).toBe(200);
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
    const env = {
      RATE_LIMIT_MAX: "4", RATE_LIMIT_WINDOW_MS: "60000", SESSION_SECRET: `redis-test-${randomBytes(16).toString("hex")}`,
      AUTH_FAILURE_MAX: "3", TRUST_PROXY: "127.0.0.1",
    };
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
    const from = { "x-forwarded-for": `198.18.${randomInt(0, 256)}.${randomInt(1, 255)}` };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(a, "GET", "/v1/catalogue", { headers: from })).status);
    for (let i = 0; i < 2; i++) statuses.push((await call(b, "GET", "/v1/catalogue", { headers: from })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect((await redisA.keys("shiftex:rl:*")).length).toBeGreaterThan(0);
  });

  it("shares the failed-look-up count of an address between instances", async () => {
    const from = { "x-forwarded-for": `198.19.${randomInt(0, 256)}.${randomInt(1, 255)}` };
    for (let i = 0; i < 3; i++) expect((await call(a, "GET", "/v1/me", { key: `sx_wrong_${i}`, headers: from })).status).toBe(401);
    const lookups = vi.spyOn(b.built.services.repo, "findApiKeyByHash");
    try {
      expect((await call(b, "GET", "/v1/me", { key: "sx_wrong_on_b", headers: from })).status).toBe(429);
      expect(lookups).not.toHaveBeenCalled();
    } finally {
      lookups.mockRestore();
    }
    const keys = await redisA.keys("shiftex:rl:*authfail*");
    expect(keys.length).toBeGreaterThan(0);
  });
});
