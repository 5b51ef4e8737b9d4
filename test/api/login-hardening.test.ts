// Worker login against guessing: atomic attempt counting and per-phone lockout with back-off, and the retention
// purge of login records. On PGlite and PostgreSQL. (The per-phone code limit is in parties.test.ts.)
import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

// The app believes X-Forwarded-For from the loopback test client, so each request can come from its own address:
// the per-address limits stay out of the way of the per-phone rules under test.
const env = { TRUST_PROXY: "127.0.0.1", OTP_REQUESTS_PER_PHONE: "50" };
const anyAddress = () => ({ "x-forwarded-for": `198.51.${randomInt(0, 256)}.${randomInt(1, 255)}` });

function otherCode(code: string, n = 1): string {
  return String((Number(code) + n) % 1_000_000).padStart(6, "0");
}

describe.each(backends)("login hardening on $name", (backend) => {
  let app: TestApp;
  const clock = fixedClock(new Date("2026-06-15T02:00:00Z"));
  beforeAll(async () => {
    app = await startTestApp(backend, { env, clock });
  });
  afterAll(async () => app?.close());

  const requestCode = (phone: string) => call(app, "POST", "/v1/auth/otp", { body: { phone }, headers: anyAddress() });
  const verify = (phone: string, code: string) => call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code }, headers: anyAddress() });
  const challengeRows = (phone: string) => app.database.db.prisma.otpChallenge.findMany({ where: { phone }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });

  it("checks at most the cap of codes when wrong guesses arrive in parallel, then refuses the right code while locked", async () => {
    const phone = app.demo.workerPhones[30]!;
    const sent = await requestCode(phone);
    expect(sent.status).toBe(202);
    const right = sent.body.devCode as string;
    expect((await verify(phone, otherCode(right))).status).toBe(401);
    const parallel = await Promise.all(Array.from({ length: 8 }, (_, i) => verify(phone, otherCode(right, i + 2))));
    for (const r of parallel) expect([401, 429]).toContain(r.status);
    // One wrong code plus eight parallel ones: the database let exactly the cap (5) be checked.
    const [challenge] = await challengeRows(phone);
    expect(challenge!.attempts).toBe(app.config.otpMaxAttempts);
    expect(parallel.filter((r) => r.status === 401).length).toBeLessThanOrEqual(app.config.otpMaxAttempts - 1);
    // The phone is locked: even the right code is refused, with a Retry-After.
    const late = await verify(phone, right);
    expect(late.status).toBe(429);
    expect(late.body).toMatchObject({ code: "rate_limited", field: "/body/phone" });
    expect(Number(late.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(challenge!.consumedAt).toBeNull();
  });

  it("locks a phone with growing back-off, sends no new code while locked, and lets the right code in afterwards", async () => {
    const phone = app.demo.workerPhones[31]!;
    const lockFor = async (): Promise<number> => {
      const sent = await requestCode(phone);
      expect(sent.status).toBe(202);
      const wrong = otherCode(sent.body.devCode);
      for (let i = 0; i < app.config.otpMaxAttempts - 1; i++) expect((await verify(phone, wrong)).status).toBe(401);
      const locking = await verify(phone, wrong);
      expect(locking.status).toBe(429);
      return Number(locking.headers.get("retry-after"));
    };
    const base = app.config.loginLockout.baseSeconds;
    const first = await lockFor();
    expect(first).toBe(base);
    // While locked, no new code (a new code would bring fresh attempts) and nothing is sent.
    const sentBefore = app.sentCodes.length;
    const refused = await requestCode(phone);
    expect(refused.status).toBe(429);
    expect(app.sentCodes.length).toBe(sentBefore);
    clock.advance((first + 1) * 1000);
    const second = await lockFor();
    expect(second).toBe(base * 2);
    clock.advance((second + 1) * 1000);
    const third = await lockFor();
    expect(third).toBe(base * 4);
    clock.advance((third + 1) * 1000);
    // The lock, not just a used-up code, refuses the right code: four wrong on one code, then a fresh code
    // and one wrong guess on it lock the phone, and the fresh code's right value is refused while locked.
    const c1 = await requestCode(phone);
    for (let i = 0; i < app.config.otpMaxAttempts - 1; i++) expect((await verify(phone, otherCode(c1.body.devCode))).status).toBe(401);
    const c2 = await requestCode(phone);
    expect(c2.status).toBe(202);
    const fourth = await verify(phone, otherCode(c2.body.devCode));
    expect(fourth.status).toBe(429);
    expect(Number(fourth.headers.get("retry-after"))).toBe(base * 8);
    expect((await verify(phone, c2.body.devCode)).status).toBe(429);
    const [fresh] = await challengeRows(phone);
    expect(fresh!.attempts).toBe(1);
    expect(fresh!.consumedAt).toBeNull();
    // Once the lock has run out the right code gets in; success clears the phone's failures.
    clock.advance((base * 8 + 1) * 1000);
    const sent = await requestCode(phone);
    expect((await verify(phone, sent.body.devCode)).status).toBe(200);
    expect(await app.database.db.prisma.loginLockout.findUnique({ where: { phone } })).toBeNull();
  });

  it("counts failures for unregistered phones alike, so a lock says nothing about who is registered", async () => {
    const phone = "+8613711112222";
    const statuses: number[] = [];
    for (let i = 0; i < app.config.otpMaxAttempts + 1; i++) statuses.push((await verify(phone, "123456")).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    expect((await requestCode(phone)).status).toBe(429);
  });

  it("purges challenges and sessions once their retention has passed, and keeps the rest", async () => {
    const prisma = app.database.db.prisma;
    const phone = app.demo.workerPhones[33]!;
    const sent = await requestCode(phone);
    const login = await verify(phone, sent.body.devCode);
    expect(login.status).toBe(200);
    const session = await prisma.workerSession.findFirstOrThrow({ where: { workerId: login.body.workerId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
    const challenge = (await challengeRows(phone))[0]!;
    // Just past the code's expiry: still kept (retention runs from expiry).
    clock.set(new Date(challenge.expiresAt.getTime() + 1000));
    await app.built.services.parties.purgeExpired();
    expect(await prisma.otpChallenge.findUnique({ where: { id: challenge.id } })).not.toBeNull();
    expect(await prisma.workerSession.findUnique({ where: { id: session.id } })).not.toBeNull();
    // Past the code's retention, still inside the session's lifetime: the challenge goes, the session stays.
    clock.set(new Date(challenge.expiresAt.getTime() + (app.config.retention.otpSeconds + 1) * 1000));
    const first = await app.built.services.parties.purgeExpired();
    expect(first.otpChallenges).toBeGreaterThanOrEqual(1);
    expect(await prisma.otpChallenge.findUnique({ where: { id: challenge.id } })).toBeNull();
    expect(await prisma.workerSession.findUnique({ where: { id: session.id } })).not.toBeNull();
    // Past the session's expiry (+ its retention): the session goes too, and so do lock records gone quiet.
    clock.set(new Date(session.expiresAt.getTime() + (app.config.retention.sessionSeconds + 1) * 1000));
    const second = await app.built.services.parties.purgeExpired();
    expect(second.sessions).toBeGreaterThanOrEqual(1);
    expect(await prisma.workerSession.findUnique({ where: { id: session.id } })).toBeNull();
    expect(await prisma.loginLockout.count()).toBe(0);
    expect(await prisma.otpChallenge.count({ where: { expiresAt: { lt: new Date(clock.now().getTime() - app.config.retention.otpSeconds * 1000) } } })).toBe(0);
  });
});
