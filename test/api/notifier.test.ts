// The webhook notifier against a real local HTTP server (signature, retries, timeout), and the app's log
// captured through a whole login and phone change: no code and no full phone number reaches a log line.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { createWebhookNotifier, maskPhone, NotifierError, seedDemo } from "../../src/parties";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { backends } from "../helpers/services";

const SECRET = "notifier-test-secret-0123456789abcdef";

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A local webhook receiver whose answers the test scripts, one per request. */
async function receiver(answers: ((res: ServerResponse) => void)[]): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      open.add(res);
      res.on("close", () => open.delete(res));
      const answer = answers.shift() ?? ((r: ServerResponse) => r.writeHead(204).end());
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sms`,
    received,
    async close() {
      for (const r of open) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What a receiver does to check a delivery: recompute the HMAC over "<t>.<body>". */
function signatureValid(header: string | undefined, body: string, secret: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? "");
  if (!m) return false;
  const expected = createHmac("sha256", secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, "hex"));
}

describe("webhook notifier against a local HTTP server", () => {
  let server: Awaited<ReturnType<typeof receiver>> | undefined;
  const noWait = async () => undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("POSTs {phone, text} as JSON with a signature the receiver can verify", async () => {
    server = await receiver([]);
    const notifier = createWebhookNotifier({ url: server.url, secret: SECRET, timeoutMs: 2000, retries: 2, otpTtlSeconds: 300, now: () => new Date("2026-06-15T02:00:00Z") });
    await notifier.sendOneTimeCode("+8613923000007", "042917", "login");
    expect(server.received).toHaveLength(1);
    const [got] = server.received;
    expect(got!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(got!.body)).toEqual({ phone: "+8613923000007", text: expect.stringContaining("042917") });
    expect(got!.headers["x-shiftex-signature"]).toMatch(new RegExp(`^t=${Date.parse("2026-06-15T02:00:00Z") / 1000},v1=`));
    expect(signatureValid(got!.headers["x-shiftex-signature"] as string, got!.body, SECRET)).toBe(true);
    expect(signatureValid(got!.headers["x-shiftex-signature"] as string, got!.body, `${SECRET}x`)).toBe(false);
    expect(signatureValid(got!.headers["x-shiftex-signature"] as string, got!.body.replace("042917", "042918"), SECRET)).toBe(false);
  });

  it("retries after a 500 with back-off, under the same delivery id", async () => {
    server = await receiver([(r) => r.writeHead(500).end("busy"), (r) => r.writeHead(503).end(), (r) => r.writeHead(200).end("ok")]);
    const waits: number[] = [];
    const notifier = createWebhookNotifier({ url: server.url, secret: SECRET, timeoutMs: 2000, retries: 3, otpTtlSeconds: 300, backoffMs: 100, sleep: async (ms) => void waits.push(ms) });
    await notifier.sendOneTimeCode("+8613923000007", "123456", "phone_change");
    expect(server.received).toHaveLength(3);
    expect(waits).toEqual([100, 200]);
    const ids = new Set(server.received.map((r) => r.headers["x-shiftex-delivery"]));
    expect(ids.size).toBe(1);
    for (const r of server.received) expect(signatureValid(r.headers["x-shiftex-signature"] as string, r.body, SECRET)).toBe(true);
  });

  it("gives up on a receiver that does not answer in time, after the retries", async () => {
    const hang = () => undefined; // never answers
    server = await receiver([hang, hang, hang]);
    const notifier = createWebhookNotifier({ url: server.url, secret: SECRET, timeoutMs: 150, retries: 2, otpTtlSeconds: 300, sleep: noWait });
    const err = await notifier.sendOneTimeCode("+8613923000007", "123456").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotifierError);
    expect(server.received).toHaveLength(3);
    expect(String((err as Error).message)).not.toMatch(/13923000007|123456/);
  });

  it("does not retry a message the receiver refuses (4xx)", async () => {
    server = await receiver([(r) => r.writeHead(400).end("bad phone")]);
    const notifier = createWebhookNotifier({ url: server.url, secret: SECRET, timeoutMs: 2000, retries: 3, otpTtlSeconds: 300, sleep: noWait });
    await expect(notifier.sendOneTimeCode("+8613923000007", "123456")).rejects.toBeInstanceOf(NotifierError);
    expect(server.received).toHaveLength(1);
  });

  it("masks phones for logs", () => {
    expect(maskPhone("+8613923000007")).toBe("+86139****0007");
    expect(maskPhone("nonsense")).toBe("***");
  });
});

describe("no login code and no full phone number in the app's log", () => {
  let database: TestDatabase | undefined;
  let built: Awaited<ReturnType<typeof buildApp>> | undefined;
  let base: string;
  let hook: Awaited<ReturnType<typeof receiver>>;
  const lines: string[] = [];

  async function post(path: string, body: unknown, cookie?: string, key?: string) {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}), ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any, cookie: res.headers.get("set-cookie")?.split(";")[0] };
  }

  afterAll(async () => {
    await built?.app.close();
    await database?.drop();
    await hook?.close();
  });

  it.each([["embedded log notifier", false], ["webhook notifier", true]] as const)("through login, a wrong code, a phone change and logout (%s)", async (_name, webhook) => {
    lines.length = 0;
    hook ??= await receiver(Array.from({ length: 10 }, () => (r: ServerResponse) => r.writeHead(500).end()));
    const env: Record<string, string> = { NODE_ENV: "test", LOG_LEVEL: "trace", DEV_MODE: "true" };
    if (webhook) Object.assign(env, { NOTIFIER_URL: hook.url, NOTIFIER_SECRET: SECRET, NOTIFIER_RETRIES: "0" });
    const config = loadConfig(env);
    database = await createTestDatabase(backends[0]!);
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    // No notifier passed: the app builds the one the config asks for, as in production.
    built = await buildApp({ config, db: database.db, logStream: stream });
    const demo = await seedDemo({ ...built.services, secret: config.sessionSecret });
    await built.app.listen({ port: 0, host: "127.0.0.1" });
    base = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`;

    const phone = demo.workerPhones[4]!;
    const national = phone.replace("+86", "");
    const codes: string[] = [];
    const sent = await post("/v1/auth/otp", { phone: `${national.slice(0, 3)} ${national.slice(3, 7)} ${national.slice(7)}` });
    expect(sent.status).toBe(202);
    codes.push(sent.body.devCode);
    const wrong = sent.body.devCode === "000000" ? "111111" : "000000";
    expect((await post("/v1/auth/otp/verify", { phone, code: wrong })).status).toBe(401);
    const ok = await post("/v1/auth/otp/verify", { phone, code: sent.body.devCode });
    expect(ok.status).toBe(200);
    const me = await fetch(`${base}/v1/me`, { headers: { cookie: ok.cookie! } });
    expect(me.status).toBe(200);
    const newPhone = "+8613698765432";
    // A phone change by the worker's supplier sends a code to the new phone (the receiver refuses it in the webhook run).
    const workerId = ok.body.workerId as string;
    const worker = await database.db.prisma.worker.findUniqueOrThrow({ where: { id: workerId } });
    const supplierKey = demo.keys.find((k) => k.organisationId === worker.supplierId)!;
    const patch = await fetch(`${base}/v1/workers/${workerId}`, {
      method: "PATCH", headers: { "content-type": "application/json", authorization: `Bearer ${supplierKey.apiKey}` }, body: JSON.stringify({ phone: newPhone }),
    });
    expect(patch.status).toBe(webhook ? 503 : 200);
    expect((await post("/v1/auth/logout", {}, ok.cookie)).status).toBe(204);
    await built.services.auth.drain();
    // The webhook run knows the phone-change code too: the receiver got it.
    for (const r of hook.received) codes.push(/(\d{6})/.exec(JSON.parse(r.body).text)![1]!);

    const log = lines.join("\n");
    expect(lines.length).toBeGreaterThan(10); // the log was captured
    // one access line per request, not Fastify's two
    const access = lines.filter((l) => l.includes('"msg":"request completed"'));
    expect(access.some((l) => l.includes('"url":"/v1/auth/otp/verify"') && l.includes('"statusCode":401') && l.includes('"method":"POST"'))).toBe(true);
    expect(lines.filter((l) => l.includes('"msg":"incoming request"'))).toEqual([]);
    expect(log).toContain(webhook ? "could not be delivered" : "not delivered");
    expect(log).toContain(maskPhone(phone));
    for (const code of codes) expect(log).not.toMatch(new RegExp(`(?<!\\d)${code}(?!\\d)`));
    for (const p of [phone, newPhone]) {
      const digits = p.replace("+86", "");
      expect(log).not.toContain(digits);
      expect(log).not.toContain(`${digits.slice(0, 3)} ${digits.slice(3, 7)} ${digits.slice(7)}`);
    }
    if (webhook) expect(hook.received.length).toBeGreaterThanOrEqual(2);
    await built.app.close();
    await database.drop();
    built = undefined;
    database = undefined;
  });
});
