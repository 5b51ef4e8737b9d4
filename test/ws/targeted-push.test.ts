// Targeted push over real HTTP and WebSockets, on PGlite and PostgreSQL: a new demand order reaches, on their
// `opportunities` channel, exactly the suppliers whose own workers hold the skill at the level asked in the
// order's district, whose colour the order accepts and whose licence is valid; a contract that needs people
// reaches, on their `shifts` channel and phone page, exactly its supplier's workers who could take a seat.
// Everyone else — other agencies, the wrong district or level, a black supplier, a juvenile for heavy work,
// another supplier's worker, the enterprise itself — hears nothing: each silent client proves it with a
// ping answered after the push was delivered (frames on one socket arrive in order).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { residentIdWithChecksum } from "../../src/parties";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";
import { openStream, type StreamClient } from "../helpers/stream-client";

const D = Date.UTC(2026, 11, 5, 0, 0); // 08:00 Shanghai, 2026-12-05 (slot D1)
const MARKET = "scaffolder.500107.2026-12-05.D1"; // no demo worker holds this skill

describe.each(backends)("targeted push on $name", (backend) => {
  const clock = fixedClock(new Date(D - 30 * 3_600_000));
  let app: TestApp;
  let ent: string, yucai: string, bayu: string, jiangjin: string, lender: string;
  const clients: StreamClient[] = [];
  let serial = 0;
  const org = (label: string) => app.demo.keys.find((k) => k.label === label)!.organisationId!;

  async function worker(key: string, skills: { skillId: string; level: number }[], district = "500107", birth = "19900101") {
    const n = ++serial;
    const phone = `+86137${String(60_000_000 + n).padStart(8, "0")}`;
    const r = await call(app, "POST", "/v1/workers", {
      key,
      body: { realName: `推送工人${n}`, residentId: residentIdWithChecksum(`500107${birth}${String(200 + n).padStart(3, "0")}`.slice(0, 17)), phone, districtCode: district, skills },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
    const ok = await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } });
    return { id: r.body.id as string, cookie: ok.headers.get("set-cookie")!.split(";")[0]! };
  }
  async function listen(auth: { key?: string; cookie?: string }, channel: string) {
    const c = await openStream(app.baseUrl, auth);
    clients.push(c);
    c.send({ op: "subscribe", channel });
    await c.take((f) => f.type === "subscribed" && f.channel === channel);
    return c;
  }
  /** Nothing of `type` reached `c`: a ping sent now is answered after anything already sent to it. */
  async function silent(c: StreamClient, type: string) {
    c.send({ op: "ping" });
    await c.take((f) => f.type === "pong");
    expect(c.frames.filter((f) => f.type === type)).toEqual([]);
  }

  beforeAll(async () => {
    app = await startTestApp(backend, { clock, contractLoops: false });
    ent = app.key("demo enterprise 0001");
    yucai = app.key("demo agency 0004"); // district 500105
    bayu = app.key("demo agency 0005"); // district 500108
    jiangjin = app.key("demo agency 0006"); // district 500116
    lender = app.key("demo lending enterprise 0007");
    const t = await call(app, "POST", "/v1/top-ups", { key: ent, body: { amountFen: 5_000_000 } });
    await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: app.key("demo operator"), body: { amountFen: 5_000_000, bankTransactionId: "BANK-PUSH-1" } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await app?.close();
  });

  it("pushes a new demand order to the suppliers that could staff it, and to nobody else", async () => {
    await worker(yucai, [{ skillId: "scaffolder", level: 2 }]); // qualifies: skill, level, works in 500107
    await worker(bayu, [{ skillId: "scaffolder", level: 2 }], "500108"); // wrong district (and Bayu is in 500108)
    await worker(jiangjin, [{ skillId: "scaffolder", level: 0 }]); // level below the order's minimum
    await worker(lender, [{ skillId: "scaffolder", level: 3 }]); // would qualify, but the lender is black
    await app.database.db.sql.query(`UPDATE "organisations" SET "colour" = 'black' WHERE "id" = $1`, [org("demo lending enterprise 0007")]);

    const told = await listen({ key: yucai }, "opportunities");
    const others = [await listen({ key: bayu }, "opportunities"), await listen({ key: jiangjin }, "opportunities"), await listen({ key: lender }, "opportunities"), await listen({ key: ent }, "opportunities")];
    const otherChannel = await listen({ key: yucai }, "executions"); // the push is not an execution report

    const o = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: MARKET, quantity: 2, rateFen: 3500, minCertificate: 1 } });
    expect(o.status).toBe(201);
    const frame = await told.take((f) => f.type === "order.opportunity");
    expect(frame).toEqual({
      type: "order.opportunity", channel: "opportunities", seq: expect.any(Number), at: expect.any(String),
      orderId: o.body.id, market: MARKET, remaining: 2, rateFen: 3500, minCertificate: 1, minColour: null,
    });
    expect(JSON.stringify(frame)).not.toContain(org("demo enterprise 0001")); // who ordered is not said, nor who else was told
    for (const c of others) await silent(c, "order.opportunity");
    await silent(otherChannel, "order.opportunity");

    // an order that requires red skips blue suppliers: nobody is red here, so nobody is told
    const red = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: MARKET, quantity: 1, rateFen: 3500, minColour: "red" } });
    expect(red.status).toBe(201);
    await app.built.marketdata.push.idle();
    await silent(told, "never-this"); // flush
    expect(told.frames.filter((f) => f.type === "order.opportunity" && f.orderId === red.body.id)).toEqual([]);
    // cancel both so the next test's book is clean
    await call(app, "DELETE", `/v1/orders/${o.body.id}`, { key: ent });
    await call(app, "DELETE", `/v1/orders/${red.body.id}`, { key: ent });
  });

  it("pushes a contract's open seats to its supplier's workers who could take one (stream and phone page), and to nobody else", async () => {
    const able = await worker(yucai, [{ skillId: "scaffolder", level: 2 }]);
    const alsoAble = await worker(yucai, [{ skillId: "scaffolder", level: 1 }]);
    const lowLevel = await worker(yucai, [{ skillId: "welder", level: 3 }, { skillId: "scaffolder", level: 0 }]);
    const juvenile = await worker(yucai, [{ skillId: "scaffolder", level: 2 }], "500107", "20090901"); // 17 on the day: no heavy work
    const elsewhere = await worker(bayu, [{ skillId: "scaffolder", level: 2 }]); // another supplier's worker
    const streams = new Map<string, StreamClient>();
    for (const w of [able, alsoAble, lowLevel, juvenile, elsewhere]) streams.set(w.id, await listen({ cookie: w.cookie }, "shifts"));

    const d = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: MARKET, quantity: 2, rateFen: 3600, minCertificate: 1 } });
    expect(d.status).toBe(201);
    const s = await call(app, "POST", "/v1/orders", { key: yucai, body: { side: "supply", market: MARKET, quantity: 2, rateFen: 3600, certificate: 2 } });
    expect(s.body.fills).toHaveLength(1);
    const contractId = s.body.fills[0].contractId as string;

    for (const w of [able, alsoAble]) {
      const f = await streams.get(w.id)!.take((x) => x.type === "seats.open");
      expect(f).toEqual({
        type: "seats.open", channel: "shifts", seq: expect.any(Number), at: expect.any(String), contractId, supplierId: org("demo agency 0004"),
        market: MARKET, openSeats: 2, rateFen: 3600, shiftStart: "2026-12-05T08:00:00.000+08:00", shiftEnd: "2026-12-05T17:00:00.000+08:00",
      });
      expect(f.recipients).toBeUndefined();
    }
    for (const w of [lowLevel, juvenile, elsewhere]) await silent(streams.get(w.id)!, "seats.open");

    // the phone page lists it for those who could take a seat, and for nobody else
    const page = await call(app, "GET", "/v1/shifts/openings", { cookie: able.cookie });
    expect(page.status).toBe(200);
    expect(page.body.items).toEqual([{ contractId, market: MARKET, openSeats: 2, rateFen: 3600, shiftStart: "2026-12-05T08:00:00.000+08:00", shiftEnd: "2026-12-05T17:00:00.000+08:00" }]);
    for (const w of [lowLevel, juvenile, elsewhere]) expect((await call(app, "GET", "/v1/shifts/openings", { cookie: w.cookie })).body.items).toEqual([]);
    expect((await call(app, "GET", "/v1/shifts/openings", { key: yucai })).status).toBe(403);

    // once the supplier names `able` to a seat, the one left open goes to the others who could take it, not to `able` again
    const assigned = await call(app, "POST", `/v1/contracts/${contractId}/assignments`, { key: yucai, body: { seat: 1, workerId: able.id } });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    const again = await streams.get(alsoAble.id)!.take((x) => x.type === "seats.open");
    expect(again).toMatchObject({ contractId, openSeats: 1 });
    await app.built.marketdata.push.idle();
    await silent(streams.get(lowLevel.id)!, "seats.open");
    const ableStream = streams.get(able.id)!;
    ableStream.send({ op: "ping" });
    await ableStream.take((f) => f.type === "pong");
    expect(ableStream.frames.filter((f) => f.type === "seats.open")).toHaveLength(1);
    expect((await call(app, "GET", "/v1/shifts/openings", { cookie: able.cookie })).body.items).toEqual([]);
    expect((await call(app, "GET", "/v1/shifts/openings", { cookie: alsoAble.cookie })).body.items).toMatchObject([{ contractId, openSeats: 1 }]);
  });
});
