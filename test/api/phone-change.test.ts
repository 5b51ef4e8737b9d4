// A worker's phone changes only when the worker confirms a code sent to the new phone; confirming ends every
// session of the worker. Before this, an agency could move its worker's login to a phone it holds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

describe.each(backends)("phone change on $name", (backend) => {
  let app: TestApp;
  let agency: string;
  beforeAll(async () => {
    app = await startTestApp(backend, { env: { TRUST_PROXY: "127.0.0.1" } });
    agency = app.key("demo agency 0004");
  });
  afterAll(async () => app?.close());

  let address = 1;
  /** Logs in with phone + code; each login from its own address, so per-address limits stay out of the way. */
  async function login(phone: string): Promise<{ status: number; cookie?: string; workerId?: string }> {
    const headers = { "x-forwarded-for": `192.0.2.${address++}` };
    const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone }, headers });
    if (!sent.body.devCode) return { status: 401 };
    const r = await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode }, headers });
    return { status: r.status, cookie: r.headers.get("set-cookie")?.split(";")[0], workerId: r.body.workerId };
  }

  /** A demo worker supplied by the agency whose key is `agency`. */
  async function agencyWorker(index: number): Promise<{ id: string; phone: string }> {
    const list = await call(app, "GET", "/v1/workers?limit=500", { key: agency });
    const w = list.body.items[index];
    return { id: w.id, phone: w.phone };
  }

  it("keeps the old phone until the worker confirms the code sent to the new one, then ends every session", async () => {
    const worker = await agencyWorker(0);
    const newPhone = "+8613612345678";
    const s1 = await login(worker.phone);
    const s2 = await login(worker.phone);
    expect(s1.status).toBe(200);
    expect(s1.workerId).toBe(worker.id);

    const patched = await call(app, "PATCH", `/v1/workers/${worker.id}`, { key: agency, body: { phone: "136 1234 5678" } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ phone: worker.phone, pendingPhone: newPhone });
    const sent = app.sentCodes.at(-1)!;
    expect(sent.phone).toBe(newPhone);
    const stored = await app.database.db.prisma.worker.findUniqueOrThrow({ where: { id: worker.id } });
    expect(stored.phone).toBe(worker.phone);

    // Until confirmed: the old phone still logs in, the sessions live, the new phone is nobody's.
    const s3 = await login(worker.phone);
    expect(s3.status).toBe(200);
    expect((await call(app, "GET", "/v1/me", { cookie: s1.cookie! })).body.worker).toMatchObject({ phone: worker.phone, pendingPhone: newPhone });
    expect((await login(newPhone)).status).toBe(401);

    // The agency cannot confirm for the worker; a wrong code changes nothing.
    expect((await call(app, "POST", "/v1/me/phone/confirm", { key: agency, body: { code: sent.code } })).status).toBe(403);
    const wrong = await call(app, "POST", "/v1/me/phone/confirm", { cookie: s2.cookie!, body: { code: sent.code === "000000" ? "111111" : "000000" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.field).toBe("/body/code");
    expect((await call(app, "GET", "/v1/me", { cookie: s2.cookie! })).status).toBe(200);

    // The worker confirms: the phone changes and every session (s1, s2, s3) ends.
    const confirmed = await call(app, "POST", "/v1/me/phone/confirm", { cookie: s2.cookie!, body: { code: sent.code } });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.worker).toMatchObject({ id: worker.id, phone: newPhone, pendingPhone: null });
    expect(confirmed.body.sessionsEnded).toBe(3);
    expect(confirmed.headers.get("set-cookie")).toMatch(/shiftex_session=;/);
    for (const s of [s1, s2, s3]) expect((await call(app, "GET", "/v1/me", { cookie: s.cookie! })).status).toBe(401);
    expect(await app.database.db.prisma.workerSession.count({ where: { workerId: worker.id } })).toBe(0);

    // Now the old phone is nobody's, the new one logs in, and the code cannot be used twice.
    expect((await login(worker.phone)).status).toBe(401);
    const fresh = await login(newPhone);
    expect(fresh.status).toBe(200);
    expect(fresh.workerId).toBe(worker.id);
    expect((await call(app, "POST", "/v1/me/phone/confirm", { cookie: fresh.cookie!, body: { code: sent.code } })).status).toBe(409);
  });

  it("replaces an earlier pending change, refuses a phone that belongs to another worker, and lets a supplier change only its own workers", async () => {
    const worker = await agencyWorker(1);
    const other = await agencyWorker(2);
    const before = app.sentCodes.length;
    const taken = await call(app, "PATCH", `/v1/workers/${worker.id}`, { key: agency, body: { phone: other.phone } });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: "duplicate", field: "/body/phone" });
    expect(app.sentCodes.length).toBe(before);
    expect((await call(app, "PATCH", `/v1/workers/${worker.id}`, { key: app.key("demo agency 0005"), body: { phone: "+8613612340001" } })).status).toBe(404);

    await call(app, "PATCH", `/v1/workers/${worker.id}`, { key: agency, body: { phone: "+8613612340002" } });
    const firstCode = app.sentCodes.at(-1)!.code;
    const second = await call(app, "PATCH", `/v1/workers/${worker.id}`, { key: agency, body: { phone: "+8613612340003", districtCode: "500104" } });
    expect(second.body).toMatchObject({ pendingPhone: "+8613612340003", districtCode: "500104", phone: worker.phone });
    const secondCode = app.sentCodes.at(-1)!.code;
    const session = await login(worker.phone);
    if (firstCode !== secondCode) {
      expect((await call(app, "POST", "/v1/me/phone/confirm", { cookie: session.cookie!, body: { code: firstCode } })).status).toBe(401);
    }
    const ok = await call(app, "POST", "/v1/me/phone/confirm", { cookie: session.cookie!, body: { code: secondCode } });
    expect(ok.status).toBe(200);
    expect(ok.body.worker.phone).toBe("+8613612340003");
  });

  it("answers a confirmation with nothing pending with 409", async () => {
    const worker = await agencyWorker(3);
    const session = await login(worker.phone);
    const r = await call(app, "POST", "/v1/me/phone/confirm", { cookie: session.cookie!, body: { code: "123456" } });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("conflict");
  });
});
