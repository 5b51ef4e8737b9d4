// From fill to paid wages over real HTTP, on PGlite and PostgreSQL: order → offer → fill → assign → confirm →
// check in → check out → approve → settled, with the ledger exact to the fen and its invariants holding, the
// process restarted between steps (timers still fire, nothing settles twice), and every variant: decline and
// replace, no-show, late and free cancellation by the enterprise, cancellation by the supplier, dispute and split,
// auto-approval, shared staffing, an independent worker with withholding. Time moves by an injected clock.
import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { residentIdWithChecksum } from "../../src/parties";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { backends } from "../helpers/services";
import { openStream } from "../helpers/stream-client";

const HOUR = 3_600_000;
const MIN = 60_000;
const RATE = 3000; // fen per hour; the slot D1 pays 8 hours
const WAGE = RATE * 8; // 24 000
const FEE = WAGE * 0.05; // 1 200 (platform fee 5 %)
const SEAT = WAGE + FEE; // 25 200: one seat's escrow
/** 08:00 Asia/Shanghai on a December 2026 day (the D1 slot runs to 17:00). */
const start = (day: number) => Date.UTC(2026, 11, day, 0, 0);
const date = (day: number) => `2026-12-${String(day).padStart(2, "0")}`;
const market = (day: number, skill = "general-labourer") => `${skill}.500107.${date(day)}.D1`;

describe.each(backends)("contract lifecycle on $name", (backend) => {
  const clock = fixedClock(new Date(Date.UTC(2026, 11, 1, 6, 0)));
  let database: TestDatabase;
  let app: TestApp;
  let operator: string;
  let ent: string;
  let ent2: string;
  let agency: string;
  let agency2: string;
  let lender: string;
  let serial = 0;
  const org = (label: string) => app.demo.keys.find((k) => k.label === label)!.organisationId!;

  async function boot() {
    app = await startTestApp(backend, { clock, contractLoops: false, database: { db: database.db, url: database.url, drop: async () => undefined } });
    operator = app.key("demo operator");
    ent = app.key("demo enterprise 0001");
    ent2 = app.key("demo enterprise 0002");
    agency = app.key("demo agency 0004");
    agency2 = app.key("demo agency 0005");
    lender = app.key("demo lending enterprise 0007");
  }
  /** The process stops and starts again on the same database: only what was stored survives. */
  async function restart() {
    await app.built.app.close();
    await boot();
  }
  const at = (ms: number) => clock.set(new Date(ms));
  const fire = () => app.built.contracts.runtime.fireDueTimers();

  async function fund(key: string, fen: number) {
    const t = await call(app, "POST", "/v1/top-ups", { key, body: { amountFen: fen } });
    expect(t.status).toBe(201);
    const c = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: fen, bankTransactionId: `BANK-LC-${++serial}` } });
    expect(c.status).toBe(200);
  }
  async function balance(id: string): Promise<{ creditsPostedFen: number; debitsPostedFen: number; availableFen: number }> {
    const r = await call(app, "GET", `/v1/accounts/${encodeURIComponent(id)}`, { key: operator });
    return r.status === 200 ? r.body : { creditsPostedFen: 0, debitsPostedFen: 0, availableFen: 0 };
  }
  const net = async (id: string) => {
    const b = await balance(id);
    return b.creditsPostedFen - b.debitsPostedFen;
  };

  /** A demand and a crossing offer: one contract of `headcount` seats at RATE (shared: the lender's offer at 2500). */
  async function trade(day: number, headcount: number, options: { buyer?: string; seller?: string; shared?: boolean; skill?: string } = {}): Promise<string> {
    const m = market(day, options.skill);
    const rate = options.shared ? 2500 : RATE;
    const d = await call(app, "POST", "/v1/orders", { key: options.buyer ?? ent, body: { side: "demand", market: m, quantity: headcount, rateFen: RATE } });
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    const s = await call(app, "POST", "/v1/orders", { key: options.seller ?? agency, body: { side: "supply", market: m, quantity: headcount, rateFen: rate, ...(options.shared ? { shared: true } : {}) } });
    expect(s.status, JSON.stringify(s.body)).toBe(201);
    expect(s.body.fills).toHaveLength(1);
    return s.body.fills[0].contractId as string;
  }

  /** A worker registered by `key` (an agency's or lending enterprise's own; the operator's with supplierId null: independent). */
  async function worker(key: string, extra: Record<string, unknown> = {}, birth = "19900101"): Promise<{ id: string; phone: string; cookie: string }> {
    const n = ++serial;
    const phone = `+86137${String(50_000_000 + n).padStart(8, "0")}`;
    const body = {
      realName: `测试工人${n}`,
      residentId: residentIdWithChecksum(`500107${birth}${String(100 + (n % 900)).padStart(3, "0")}`.slice(0, 17)),
      phone,
      districtCode: "500107",
      skills: [{ skillId: "general-labourer", level: 0 }, { skillId: "welder", level: 3 }],
      ...extra,
    };
    const r = await call(app, "POST", "/v1/workers", { key, body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { id: r.body.id, phone, cookie: await login(phone) };
  }
  async function login(phone: string): Promise<string> {
    const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
    expect(sent.status).toBe(202);
    const ok = await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } });
    expect(ok.status).toBe(200);
    return ok.headers.get("set-cookie")!.split(";")[0]!;
  }

  const workflow = async (contractId: string, key = operator) => (await call(app, "GET", `/v1/contracts/${contractId}/workflow`, { key })).body;
  /** The exchange's view of a contract (GET /v1/contracts/:id) and its entry in the caller's list: state and closed, as its workflow has them. */
  async function exchangeView(contractId: string, key = ent): Promise<{ state: string; closed: boolean }> {
    const one = await call(app, "GET", `/v1/contracts/${contractId}`, { key });
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    const listed = (await call(app, "GET", "/v1/contracts?limit=100", { key })).body.items.find((c: { id: string }) => c.id === contractId);
    expect({ state: listed.state, closed: listed.closed }).toEqual({ state: one.body.state, closed: one.body.closed });
    return { state: one.body.state, closed: one.body.closed };
  }
  const assign = (contractId: string, seat: number, workerId: string, key = agency) => call(app, "POST", `/v1/contracts/${contractId}/assignments`, { key, body: { seat, workerId } });
  const shiftOf = async (contractId: string, seat: number) => (await workflow(contractId)).seats[seat - 1].shiftId as string;
  const act = (shiftId: string, action: string, cookie: string, body?: unknown) => call(app, "POST", `/v1/shifts/${shiftId}/${action}`, { cookie, ...(body !== undefined ? { body } : {}) });
  const entAct = (shiftId: string, action: string, body: unknown = {}, key = ent) => call(app, "POST", `/v1/shifts/${shiftId}/${action}`, { key, body });
  const siteCode = async (key = ent) => (await call(app, "GET", "/v1/site/code", { key })).body.code as string;

  async function expectVerified() {
    const v = await call(app, "GET", "/v1/ledger/verify", { key: operator });
    expect(v.body.invariants).toEqual({ ok: true, problems: [] });
    expect(v.body.ok).toBe(true);
  }

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    await boot();
    await fund(ent, 10_000_000);
    await fund(ent2, 1_000_000);
  });
  afterAll(async () => {
    await app?.built.app.close();
    await database?.drop();
  });

  it("runs the whole lifecycle with restarts between steps, settles each seat exactly once and closes with the escrow at zero", async () => {
    const D = start(3);
    at(D - 30 * HOUR);
    const wallet = `wallet:${org("demo enterprise 0001")}:CNY`;
    const payable = `supplier_payable:${org("demo agency 0004")}:CNY`;
    const walletBefore = await net(wallet);
    const payableBefore = await net(payable);
    const feeBefore = await net("platform:platform_fee:CNY");

    const contractId = await trade(3, 2);
    const escrow = `escrow:${contractId}:CNY`;
    expect(await net(escrow)).toBe(2 * SEAT);
    let w = await workflow(contractId, agency);
    expect(w).toMatchObject({ state: "staffing", headcount: 2, rateFen: RATE, seatFen: SEAT, paidMinutes: 480, closed: false });
    expect(w.deadlines).toEqual({
      staffingDeadline: "2026-12-03T07:00:00.000+08:00",
      confirmDeadline: "2026-12-03T07:30:00.000+08:00",
      freeCancellationUntil: "2026-12-02T08:00:00.000+08:00",
      noShowAt: "2026-12-03T08:30:00.000+08:00",
      autoApproveAt: "2026-12-04T17:00:00.000+08:00",
    });
    expect(w.policy).toMatchObject({ approvalWindowMinutes: 1440, freeCancellationNoticeMinutes: 1440, lateCancellationFeeMinutes: 240, hoursRounding: { unitMinutes: 15, rounding: "down" } });
    expect((await call(app, "GET", `/v1/contracts/${contractId}/workflow`, { key: ent2 })).status).toBe(404);
    expect(await exchangeView(contractId)).toEqual({ state: "staffing", closed: false });

    const w1 = await worker(agency);
    const w2 = await worker(agency);
    expect((await assign(contractId, 1, w1.id)).status).toBe(200);
    // naming the seat's worker again (a retry) changes nothing
    expect((await assign(contractId, 1, w1.id)).status).toBe(200);
    expect((await assign(contractId, 2, w2.id)).body.state).toBe("confirming");
    expect(await exchangeView(contractId, agency)).toEqual({ state: "confirming", closed: false });
    const s1 = await shiftOf(contractId, 1);
    const s2 = await shiftOf(contractId, 2);
    // the worker sees the offer on the phone
    const mine = await call(app, "GET", "/v1/shifts", { cookie: w1.cookie });
    expect(mine.body.items.map((s: { shiftId: string }) => s.shiftId)).toEqual([s1]);
    expect(mine.body.items[0]).toMatchObject({ state: "assigned", rateFen: RATE, market: market(3), enterpriseName: expect.stringContaining("Liangjiang") });
    expect((await call(app, "GET", `/v1/shifts/${s1}`, { cookie: w2.cookie })).status).toBe(404);
    expect((await act(s1, "confirm", w1.cookie)).body.state).toBe("confirmed");
    expect((await act(s1, "confirm", w1.cookie)).body.state).toBe("confirmed"); // a retried confirm answers the same
    await restart();
    expect((await act(s2, "confirm", w2.cookie)).body.state).toBe("confirmed");
    expect((await workflow(contractId)).state).toBe("ready");
    expect(await exchangeView(contractId)).toEqual({ state: "ready", closed: false });

    // on site: the code from the enterprise's screen; worker 2's phone is outside the site's fence
    at(D - 5 * MIN);
    expect((await call(app, "PUT", "/v1/site", { key: ent, body: { fence: { latitude: 29.5630, longitude: 106.5516, radiusM: 200 } } })).status).toBe(200);
    expect((await act(s1, "check-in", w1.cookie, { code: "000000" })).body).toMatchObject({ status: 400, field: "/body/code" });
    expect((await act(s1, "check-in", w1.cookie, { code: await siteCode(), latitude: 29.5631, longitude: 106.5517 })).body.checkIn).toMatchObject({ outsideGeofence: false, accepted: true });
    const far = await act(s2, "check-in", w2.cookie, { code: await siteCode(), latitude: 29.60, longitude: 106.60 });
    expect(far.status).toBe(200);
    expect(far.body.checkIn).toMatchObject({ outsideGeofence: true, accepted: false });
    expect(far.body.warning).toMatch(/outside its 200 m fence/);
    expect((await entAct(s2, "accept-check-in")).body.checkIn).toMatchObject({ outsideGeofence: true, accepted: true });

    at(D + HOUR);
    await restart(); // start-up fires the due timer: the shift has begun
    expect((await workflow(contractId)).state).toBe("inProgress");
    expect(await exchangeView(contractId, agency)).toEqual({ state: "inProgress", closed: false });

    at(D + 7 * HOUR + 40 * MIN);
    expect((await act(s1, "check-out", w1.cookie, { code: await siteCode() })).body).toMatchObject({ state: "checkedOut", recordedMinutes: 450 });
    at(D + 9 * HOUR + 5 * MIN);
    expect((await act(s2, "check-out", w2.cookie, { code: await siteCode() })).body).toMatchObject({ state: "checkedOut", recordedMinutes: 480 });
    await fire();
    expect((await workflow(contractId)).state).toBe("awaitingApproval");
    expect(await exchangeView(contractId)).toEqual({ state: "awaitingApproval", closed: false });
    await restart();

    at(D + 11 * HOUR);
    const approved = await entAct(s1, "approve");
    expect(approved.body).toMatchObject({ state: "approved", paid: { minutes: 450, basis: "approved" } });
    // 450 min at 30 yuan/h = 225.00 to the agency; the fee in proportion: 1 200 × 450 / 480 = 1 125; the rest back
    expect(approved.body.earnings).toMatchObject({ wageFen: 22_500, taxFen: 0, netFen: 22_500, paidTo: "supplier" });
    expect((await entAct(s1, "approve")).status).toBe(200); // a retry answers the approved shift, nothing moves twice

    // seat 2: silence approves once the window ends, even across a restart
    at(D + 9 * HOUR + 24 * HOUR + MIN);
    await restart();
    w = await workflow(contractId, ent);
    expect(w).toMatchObject({ state: "settled", closed: true, outcome: "settled" });
    expect(await exchangeView(contractId)).toEqual({ state: "settled", closed: true });
    expect(await exchangeView(contractId, agency)).toEqual({ state: "settled", closed: true });
    expect(w.seats.map((s: { settlement: { basis: string; wageFen: number; feeFen: number; refundFen: number } }) => s.settlement)).toEqual([
      expect.objectContaining({ kind: "settled", basis: "approved", minutes: 450, wageFen: 22_500, feeFen: 1_125, refundFen: 1_575 }),
      expect.objectContaining({ kind: "settled", basis: "auto_approved", minutes: 480, wageFen: 24_000, feeFen: 1_200, refundFen: 0 }),
    ]);
    expect(await net(escrow)).toBe(0);
    expect(await net(payable)).toBe(payableBefore + 22_500 + 24_000);
    expect(await net("platform:platform_fee:CNY")).toBe(feeBefore + 1_125 + 1_200);
    expect(await net(wallet)).toBe(walletBefore - 2 * SEAT + 1_575);

    // nothing settles twice: timers fired again, the outbox swept again, another restart
    const lines = (await call(app, "GET", `/v1/accounts/${encodeURIComponent(escrow)}/statement`, { key: operator })).body.items;
    await fire();
    await app.built.contracts.sweep();
    await restart();
    // a deadline delivered again, late (a timer row left behind, a second node): fired, ignored, gone
    const { repo } = app.built.contracts;
    await repo.transaction((tx) => repo.replaceTimers(tx, "shift", s2, [{ id: `${s2}:timer:deadline.autoApprove`, dueAt: D + 33 * HOUR, event: { type: "deadline.autoApprove", at: D + 33 * HOUR } }]));
    expect(await fire()).toBe(1);
    expect(await repo.timers()).toEqual([]);
    expect((await call(app, "GET", `/v1/accounts/${encodeURIComponent(escrow)}/statement`, { key: operator })).body.items).toEqual(lines);
    expect(lines.map((l: { transferId: string; direction: string; amountFen: number; counterpartyAccountId: string; code: string }) => [l.transferId.replace(contractId, "C"), l.direction, l.amountFen, l.code])).toEqual([
      [expect.stringMatching(/^fil_.*:escrow$/), "credit", 2 * SEAT, "escrow"],
      ["C:seat:1:escrow", "debit", 22_500, "wages"],
      ["C:seat:1:escrow:fee", "debit", 1_125, "platform_fee"],
      ["C:seat:1:escrow:refund", "debit", 1_575, "escrow_refund"],
      ["C:seat:2:escrow", "debit", 24_000, "wages"],
      ["C:seat:2:escrow:fee", "debit", 1_200, "platform_fee"],
    ]);
    mkdirSync("test/artifacts", { recursive: true });
    writeFileSync(`test/artifacts/ledger-lines-${backend.name}.json`, JSON.stringify({ contractId, escrow, lines }, null, 2));

    // each stored snapshot is the replay of its input and its event log
    for (const [kind, id] of [["contract", contractId], ["shift", s1], ["shift", s2]] as const) {
      const m = await app.built.contracts.runtime.load(kind, id);
      expect(await app.built.contracts.runtime.replay(kind, id)).toEqual(m!.snapshot);
    }
    expect((await app.built.contracts.repo.timers()).filter((t) => [contractId, s1, s2].includes(t.machineId))).toEqual([]);
    // both see the earnings per shift
    const earned = await call(app, "GET", "/v1/earnings", { cookie: w1.cookie });
    expect(earned.body.items).toEqual([expect.objectContaining({ shiftId: s1, wageFen: 22_500, netFen: 22_500, wage: "225.00" })]);
    const supplierEarnings = (await call(app, "GET", "/v1/earnings", { key: agency })).body.items.filter((e: { contractId: string }) => e.contractId === contractId);
    expect(supplierEarnings.map((e: { seat: number; netFen: number }) => [e.seat, e.netFen]).sort()).toEqual([[1, 22_500], [2, 24_000]]);
    // the agency withdraws what it earned from its supplier payable through the existing withdrawal flow, paid in a batch
    const bank = { bankAccountName: "重庆渝才人力资源服务有限公司", bankName: "中国建设银行重庆分行", bankAccountNumber: "5000 1234 5678 9012 345" };
    const payout = await call(app, "POST", "/v1/withdrawals", { key: agency, body: { amountFen: 46_500, ...bank }, headers: { "idempotency-key": `agency-payout-${backend.name}` } });
    expect(payout.status, JSON.stringify(payout.body)).toBe(201);
    expect(payout.body).toMatchObject({ accountId: payable, organisationId: org("demo agency 0004"), workerId: null, amountFen: 46_500, status: "requested" });
    expect((await balance(payable)).availableFen).toBe(payableBefore);
    const paid = await call(app, "POST", "/v1/payout-batches", { key: operator, body: { withdrawalIds: [payout.body.id] } });
    expect(paid.body.withdrawals).toEqual([expect.objectContaining({ id: payout.body.id, status: "paid" })]);
    expect(await net(payable)).toBe(payableBefore);
    expect((await app.built.contracts.repo.trustEvents(contractId)).map((t) => t.event)).toEqual(["shift_completed", "shift_completed"]);
    await expectVerified();
  });

  it("a declined seat is named again before the deadline, and the replacement works and is paid", async () => {
    const D = start(6);
    at(D - 30 * HOUR);
    const contractId = await trade(6, 1);
    const a = await worker(agency);
    const b = await worker(agency);
    await assign(contractId, 1, a.id);
    const first = await shiftOf(contractId, 1);
    expect((await act(first, "decline", a.cookie, { reason: "sick" })).body.state).toBe("declined");
    let w = await workflow(contractId);
    expect(w.seats[0]).toMatchObject({ status: "open" });
    expect(w.state).toBe("staffing");
    expect((await assign(contractId, 1, b.id)).status).toBe(200);
    const second = await shiftOf(contractId, 1);
    expect(second).not.toBe(first);
    // a replacement of a named worker: the old shift ends as replaced
    const c = await worker(agency);
    expect((await assign(contractId, 1, c.id)).status).toBe(200);
    expect((await call(app, "GET", `/v1/shifts/${second}`, { cookie: b.cookie })).body.state).toBe("replaced");
    const third = await shiftOf(contractId, 1);
    await act(third, "confirm", c.cookie);
    await restart();
    at(D);
    await act(third, "check-in", c.cookie, { code: await siteCode() });
    at(D + 9 * HOUR);
    await act(third, "check-out", c.cookie, { code: await siteCode() });
    expect((await entAct(third, "approve")).body.earnings).toMatchObject({ wageFen: WAGE });
    w = await workflow(contractId);
    expect(w).toMatchObject({ state: "settled", closed: true });
    expect(w.seats[0]).toMatchObject({ workerId: c.id, shiftState: "approved" });
    expect(await net(`escrow:${contractId}:CNY`)).toBe(0);
    // the assignment window closes at the staffing deadline
    expect((await assign(contractId, 1, a.id)).body).toMatchObject({ status: 409 });
    await expectVerified();
  });

  it("a no-show refunds the enterprise the seat and marks the supplier; the timer fires after a restart", async () => {
    const D = start(8);
    at(D - 30 * HOUR);
    const wallet = `wallet:${org("demo enterprise 0001")}:CNY`;
    const contractId = await trade(8, 1);
    const a = await worker(agency);
    await assign(contractId, 1, a.id);
    const s = await shiftOf(contractId, 1);
    await act(s, "confirm", a.cookie);
    const before = await net(wallet);
    at(D + 31 * MIN);
    await restart();
    expect((await call(app, "GET", `/v1/shifts/${s}`, { cookie: a.cookie })).body).toMatchObject({ state: "noShow", ended: { why: "no_show" } });
    expect((await act(s, "check-in", a.cookie, { code: await siteCode() })).status).toBe(409);
    const w = await workflow(contractId);
    expect(w.seats[0].settlement).toMatchObject({ kind: "refunded", basis: "no_show", refundFen: SEAT });
    expect(w).toMatchObject({ closed: true });
    expect(await net(wallet)).toBe(before + SEAT);
    expect(await net(`escrow:${contractId}:CNY`)).toBe(0);
    expect((await app.built.contracts.repo.trustEvents(contractId)).map((t) => [t.party, t.event])).toContainEqual(["supplier", "no_show"]);
    await expectVerified();
  });

  it("cancellation: free with notice, a fee per staffed seat when late, and a full refund with the supplier marked when the supplier cancels", async () => {
    const D = start(10);
    at(D - 30 * HOUR);
    const wallet = `wallet:${org("demo enterprise 0001")}:CNY`;
    const payable = `supplier_payable:${org("demo agency 0004")}:CNY`;
    const free = await trade(10, 1);
    const late = await trade(10, 2, { skill: "warehouse-picker" });
    const bySupplier = await trade(10, 1, { skill: "cleaner" });
    const a = await worker(agency, { skills: [{ skillId: "warehouse-picker", level: 0 }] });
    await assign(late, 1, a.id);

    let before = await net(wallet);
    const f = await call(app, "POST", `/v1/contracts/${free}/cancel`, { key: ent, body: { reason: "order withdrawn" } });
    expect(f.body).toMatchObject({ state: "cancelled", closed: true, cancellation: { by: "enterprise", late: false, reason: "order withdrawn" } });
    expect(await exchangeView(free)).toEqual({ state: "cancelled", closed: true });
    expect(await net(wallet)).toBe(before + SEAT);

    at(D - 3 * HOUR);
    before = await net(wallet);
    const payableBefore = await net(payable);
    const l = await call(app, "POST", `/v1/contracts/${late}/cancel`, { key: ent, body: {} });
    expect(l.body).toMatchObject({ state: "cancelled", closed: true, cancellation: { by: "enterprise", late: true } });
    // seat 1 had a named worker: 4 hours at 30 yuan to the agency, the rest back; seat 2 was empty: all back
    expect(l.body.seats.map((s: { settlement: unknown }) => s.settlement)).toEqual([
      expect.objectContaining({ kind: "late_cancelled", minutes: 240, wageFen: 12_000, refundFen: SEAT - 12_000 }),
      expect.objectContaining({ kind: "refunded", refundFen: SEAT }),
    ]);
    expect(await net(payable)).toBe(payableBefore + 12_000);
    expect(await net(wallet)).toBe(before + 2 * SEAT - 12_000);
    expect((await call(app, "POST", `/v1/contracts/${late}/cancel`, { key: ent, body: {} })).status).toBe(200); // repeated: the same answer
    expect((await call(app, "GET", `/v1/shifts/${l.body.seats[0].shiftId}`, { cookie: a.cookie })).body.state).toBe("cancelled");

    const s = await call(app, "POST", `/v1/contracts/${bySupplier}/cancel`, { key: agency, body: { reason: "crew unavailable" } });
    expect(s.body).toMatchObject({ state: "cancelled", closed: true, cancellation: { by: "supplier" } });
    expect(s.body.seats[0].settlement).toMatchObject({ kind: "refunded", basis: "supplier_cancelled", refundFen: SEAT });
    expect((await app.built.contracts.repo.trustEvents(late)).map((t) => [t.party, t.event])).toContainEqual(["enterprise", "late_cancellation"]);
    expect((await app.built.contracts.repo.trustEvents(bySupplier)).map((t) => [t.party, t.event])).toContainEqual(["supplier", "supplier_cancelled"]);
    for (const c of [free, late, bySupplier]) expect(await net(`escrow:${c}:CNY`)).toBe(0);
    await expectVerified();
  });

  it("a dispute freezes the seat until an operator splits it; the split is a ledger posting both parties see", async () => {
    const D = start(12);
    at(D - 30 * HOUR);
    const contractId = await trade(12, 1);
    const a = await worker(agency);
    await assign(contractId, 1, a.id);
    const s = await shiftOf(contractId, 1);
    await act(s, "confirm", a.cookie);
    at(D);
    await act(s, "check-in", a.cookie, { code: await siteCode() });
    at(D + 9 * HOUR);
    await act(s, "check-out", a.cookie, { code: await siteCode() });
    expect((await entAct(s, "dispute", { reason: "left at 14:00", proposedMinutes: 300 })).body).toMatchObject({ state: "disputed", dispute: { reason: "left at 14:00", proposedMinutes: 300 } });
    await fire();
    let w = await workflow(contractId);
    expect(w.state).toBe("disputed");
    expect(await exchangeView(contractId)).toEqual({ state: "disputed", closed: false });
    expect(await net(`escrow:${contractId}:CNY`)).toBe(SEAT); // frozen: nothing moved
    // silence does not approve a disputed seat
    at(D + 9 * HOUR + 25 * HOUR);
    await restart();
    expect((await workflow(contractId)).state).toBe("disputed");
    expect((await call(app, "POST", `/v1/contracts/${contractId}/seats/1/split`, { key: ent, body: { minutes: 360, reason: "x" } })).status).toBe(403);
    expect((await call(app, "POST", `/v1/contracts/${contractId}/seats/1/split`, { key: operator, body: { minutes: 481, reason: "x" } })).body).toMatchObject({ status: 400, field: "/body/minutes" });
    const split = await call(app, "POST", `/v1/contracts/${contractId}/seats/1/split`, { key: operator, body: { minutes: 360, reason: "gate log shows 14:00 exit" } });
    expect(split.body).toMatchObject({ state: "resolved", closed: true });
    expect(await exchangeView(contractId, agency)).toEqual({ state: "resolved", closed: true });
    for (const key of [ent, agency]) {
      w = await workflow(contractId, key);
      expect(w.seats[0].settlement).toMatchObject({ basis: "dispute_split", reason: "gate log shows 14:00 exit", minutes: 360, wageFen: 18_000, feeFen: 900, refundFen: 6_300 });
    }
    expect((await call(app, "GET", `/v1/shifts/${s}`, { cookie: a.cookie })).body).toMatchObject({ state: "resolved", paid: { minutes: 360, basis: "dispute_split" } });
    expect(await net(`escrow:${contractId}:CNY`)).toBe(0);
    await expectVerified();
  });

  it("shared staffing pays the lending enterprise, which stays the employer; only its own employees staff it", async () => {
    const D = start(15);
    at(D - 30 * HOUR);
    const contractId = await trade(15, 1, { seller: lender, shared: true });
    const w0 = await workflow(contractId, lender);
    expect(w0).toMatchObject({ shared: true, rateFen: 2500 });
    const agencyWorker = await worker(agency);
    expect((await assign(contractId, 1, agencyWorker.id, lender)).status).toBe(403);
    const employee = await worker(lender);
    expect((await assign(contractId, 1, employee.id, lender)).status).toBe(200);
    const s = await shiftOf(contractId, 1);
    await act(s, "confirm", employee.cookie);
    at(D);
    await act(s, "check-in", employee.cookie, { code: await siteCode() });
    at(D + 9 * HOUR);
    await act(s, "check-out", employee.cookie, { code: await siteCode() });
    const payable = `supplier_payable:${org("demo lending enterprise 0007")}:CNY`;
    const before = await net(payable);
    expect((await entAct(s, "approve")).body.earnings).toMatchObject({ wageFen: 2500 * 8, paidTo: "supplier", payeeAccountId: payable });
    expect(await net(payable)).toBe(before + 20_000);
    expect(await net(`escrow:${contractId}:CNY`)).toBe(0);
    // the lending enterprise withdraws its pay through the existing withdrawal flow
    const bank = { bankAccountName: "重庆长寿化工机械有限公司", bankName: "中国建设银行重庆分行", bankAccountNumber: "5000 1234 5678 9012 345" };
    const wd = await call(app, "POST", "/v1/withdrawals", { key: lender, body: { amountFen: 20_000, from: "payable", ...bank } });
    expect(wd.status, JSON.stringify(wd.body)).toBe(201);
    expect(wd.body).toMatchObject({ accountId: payable, amountFen: 20_000 });
    expect((await call(app, "POST", "/v1/withdrawals", { key: agency, body: { amountFen: 1, from: "wallet", ...bank } })).body).toMatchObject({ status: 400, field: "/body/from" });
    await expectVerified();
  });

  it("an independent worker is paid into a payable of their own, less the withholding, which goes to tax withheld", async () => {
    const D = start(17);
    at(D - 30 * HOUR);
    const contractId = await trade(17, 1);
    const solo = await worker(operator, { supplierId: null });
    expect((await assign(contractId, 1, solo.id)).status).toBe(200);
    const s = await shiftOf(contractId, 1);
    await act(s, "confirm", solo.cookie);
    at(D);
    await act(s, "check-in", solo.cookie, { code: await siteCode() });
    at(D + 9 * HOUR);
    await act(s, "check-out", solo.cookie, { code: await siteCode() });
    const tax = await net("platform:tax_withheld:CNY");
    const approved = await entAct(s, "approve");
    // 3 % of 240.00 = 7.20 withheld
    expect(approved.body.earnings).toMatchObject({ wageFen: WAGE, taxFen: 720, netFen: WAGE - 720, paidTo: "worker", payeeAccountId: `worker_payable:${solo.id}:CNY` });
    expect(await net(`worker_payable:${solo.id}:CNY`)).toBe(WAGE - 720);
    expect(await net("platform:tax_withheld:CNY")).toBe(tax + 720);
    expect((await call(app, "GET", "/v1/earnings", { cookie: solo.cookie })).body.items[0]).toMatchObject({ wageFen: WAGE, taxFen: 720, netFen: WAGE - 720 });

    // the worker withdraws from that payable through the existing withdrawal flow, with the phone's session
    const own = `worker_payable:${solo.id}:CNY`;
    const accounts = await call(app, "GET", "/v1/accounts", { cookie: solo.cookie });
    expect(accounts.body.items).toEqual([expect.objectContaining({ id: own, availableFen: WAGE - 720 })]);
    const other = await worker(operator, { supplierId: null });
    expect((await call(app, "GET", `/v1/accounts/${encodeURIComponent(own)}`, { cookie: other.cookie })).status).toBe(404);
    const bank = { bankAccountName: "测试工人", bankName: "中国农业银行重庆分行", bankAccountNumber: "6228 4800 1234 5678 901" };
    expect((await call(app, "POST", "/v1/withdrawals", { cookie: solo.cookie, body: { amountFen: 100, from: "wallet", ...bank } })).body).toMatchObject({ status: 400, field: "/body/from" });
    expect((await call(app, "POST", "/v1/withdrawals", { cookie: solo.cookie, body: { amountFen: WAGE, ...bank } })).body).toMatchObject({ status: 422, field: "/body/amountFen" });
    expect((await call(app, "POST", "/v1/withdrawals", { cookie: other.cookie, body: { amountFen: 100, ...bank } })).body).toMatchObject({ status: 422, field: "/body/amountFen" });
    const request = { cookie: solo.cookie, body: { amountFen: 20_000, ...bank }, headers: { "idempotency-key": `solo-wd-${backend.name}` } };
    const wd = await call(app, "POST", "/v1/withdrawals", request);
    expect(wd.status, JSON.stringify(wd.body)).toBe(201);
    expect(wd.body).toMatchObject({ workerId: solo.id, organisationId: null, accountId: own, amountFen: 20_000, status: "requested", bankAccountNumber: "6228480012345678901" });
    const replay = await call(app, "POST", "/v1/withdrawals", request); // a retry answers the same withdrawal: one hold
    expect(replay.body.id).toBe(wd.body.id);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await balance(own)).toMatchObject({ availableFen: WAGE - 720 - 20_000, creditsPostedFen: WAGE - 720 });
    expect((await call(app, "GET", "/v1/withdrawals", { cookie: solo.cookie })).body.items.map((x: { id: string }) => x.id)).toEqual([wd.body.id]);
    expect((await call(app, "GET", "/v1/withdrawals", { cookie: other.cookie })).body.items).toEqual([]);
    expect((await call(app, "GET", "/v1/withdrawals", { key: agency })).body.items.map((x: { id: string }) => x.id)).not.toContain(wd.body.id);
    // an operator pays it with the others; the bank file names the worker as the payee
    const batch = await call(app, "POST", "/v1/payout-batches", { key: operator, body: { withdrawalIds: [wd.body.id] } });
    expect(batch.status).toBe(201);
    const file = await fetch(`${app.baseUrl}/v1/payout-batches/${batch.body.id}/file`, { headers: { authorization: `Bearer ${operator}` } });
    expect((await file.text()).split("\r\n")[1]).toBe(`${batch.body.id},${wd.body.id},${solo.id},测试工人,中国农业银行重庆分行,6228480012345678901,200.00,20000,${batch.body.createdAt}`);
    expect(await net(own)).toBe(WAGE - 720 - 20_000);
    await expectVerified();
  });

  it("a settlement whose ledger outcome was unknown completes on the next sweep, moving the money once", async () => {
    const D = start(21);
    at(D - 30 * HOUR);
    const contractId = await trade(21, 1);
    const a = await worker(agency);
    await assign(contractId, 1, a.id);
    const s = await shiftOf(contractId, 1);
    await act(s, "confirm", a.cookie);
    at(D);
    await act(s, "check-in", a.cookie, { code: await siteCode() });
    at(D + 9 * HOUR);
    await act(s, "check-out", a.cookie, { code: await siteCode() });
    const payable = `supplier_payable:${org("demo agency 0004")}:CNY`;
    const before = await net(payable);
    // the sequencer commits the transfers, but the answer is lost (a dropped connection): the outcome is unknown
    const sequencer = app.built.sequencer;
    const original = sequencer.createTransfers.bind(sequencer);
    let lost = 0;
    sequencer.createTransfers = async (batch) => {
      const out = await original(batch);
      if (batch.some((t) => t.id.startsWith(`${contractId}:seat:`)) && lost++ === 0) throw new Error("connection lost after COMMIT");
      return out;
    };
    try {
      const approved = await entAct(s, "approve");
      expect(approved.body).toMatchObject({ state: "approved", earnings: null }); // decided, money not yet confirmed
      expect((await workflow(contractId)).closed).toBe(false);
      await restart(); // the process dies; the outbox keeps the effect
    } finally {
      sequencer.createTransfers = original;
    }
    expect(await net(payable)).toBe(before + WAGE); // the money moved once, before the answer was lost
    const w = await workflow(contractId);
    expect(w).toMatchObject({ state: "settled", closed: true });
    expect(w.seats[0].settlement).toMatchObject({ wageFen: WAGE, transferIds: [`${contractId}:seat:1:escrow`, `${contractId}:seat:1:escrow:fee`] });
    expect(await net(payable)).toBe(before + WAGE);
    expect(await net(`escrow:${contractId}:CNY`)).toBe(0);
    await expectVerified();
  });

  it("refuses the same person booked for overlapping shifts through two agencies, and workers who do not qualify", async () => {
    const D = start(24);
    at(D - 30 * HOUR);
    const first = await trade(24, 1);
    const second = await trade(24, 1, { buyer: ent2, seller: agency2, skill: "warehouse-picker" });
    const solo = await worker(operator, { supplierId: null, skills: [{ skillId: "general-labourer", level: 0 }, { skillId: "warehouse-picker", level: 1 }] });
    expect((await assign(first, 1, solo.id, agency)).status).toBe(200);
    const twice = await assign(second, 1, solo.id, agency2);
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ code: "conflict", field: "/body/workerId", reason: "double_booking" });
    expect((await workflow(second)).seats[0]).toMatchObject({ status: "open", shiftId: null });
    // once the first agency's shift is declined, the person is free again
    await act(await shiftOf(first, 1), "decline", solo.cookie, {});
    expect((await assign(second, 1, solo.id, agency2)).status).toBe(200);

    // another agency's worker, a missing skill, a juvenile on hazardous work
    const other = await worker(agency2);
    expect((await assign(first, 1, other.id, agency)).body).toMatchObject({ status: 403, field: "/body/workerId" });
    const noSkill = await worker(agency, { skills: [{ skillId: "cleaner", level: 0 }] });
    expect((await assign(first, 1, noSkill.id, agency)).body).toMatchObject({ status: 422, reason: "skill" });
    const welding = await trade(24, 1, { skill: "welder" });
    const young = await worker(agency, {}, "20090601"); // 17 on the shift's day
    expect((await assign(welding, 1, young.id, agency)).body).toMatchObject({ status: 422, reason: "juvenile_hazard" });
    expect((await assign(first, 1, young.id, ent)).status).toBe(403); // the enterprise does not staff
  });

  it("starts a round of new contracts in one go: each gets one workflow and its deadline once, started ones and unknown ids are left alone", async () => {
    const ids = [await trade(26, 1), await trade(26, 2), await trade(26, 3)];
    await app.built.contracts.sweep(); // whatever the bus has not started yet
    const repo = app.built.contracts.repo;
    // two of them as if the bus had lost their events: no workflow, no timer
    await database.db.sql.query(`DELETE FROM "workflow_timers" WHERE "machine_id" = ANY($1::text[])`, [ids.slice(1)]);
    await database.db.sql.query(`DELETE FROM "contract_workflows" WHERE "contract_id" = ANY($1::text[])`, [ids.slice(1)]);
    const firstBefore = await repo.workflow(ids[0]!);
    const started = await app.built.contracts.runtime.startMany([...ids, ids[1]!, "ctr_not_a_contract"]);
    expect([...started].sort()).toEqual([...ids].sort());
    for (const [i, id] of ids.entries()) {
      const w = await repo.workflow(id);
      expect(w).toMatchObject({ contractId: id, version: 1, state: "staffing", headcount: i + 1, seatFen: BigInt(SEAT) });
      expect((await repo.timers()).filter((t) => t.machineId === id).map((t) => t.event.type)).toEqual(["deadline.staffing"]);
    }
    expect(await repo.workflow(ids[0]!)).toEqual(firstBefore);
    // again: nothing changes
    const timers = (await repo.timers()).filter((t) => ids.includes(t.machineId));
    expect([...(await app.built.contracts.runtime.startMany(ids))].sort()).toEqual([...ids].sort());
    expect((await repo.timers()).filter((t) => ids.includes(t.machineId))).toEqual(timers);
    expect(await app.built.contracts.runtime.start("ctr_not_a_contract")).toBe(false);

    // a contract that cannot start (here: a market the catalogue does not know) fails alone; the rest of its round starts
    const another = await trade(26, 1);
    await app.built.contracts.sweep();
    await database.db.sql.query(`DELETE FROM "workflow_timers" WHERE "machine_id" = $1`, [another]);
    await database.db.sql.query(`DELETE FROM "contract_workflows" WHERE "contract_id" = $1`, [another]);
    await database.db.sql.query(
      `INSERT INTO "contracts" ("id", "fill_id", "shard", "seq", "market", "enterprise_id", "supplier_id", "demand_order_id", "supply_order_id", "headcount",
         "rate_fen", "aggressor", "shared", "shift_start", "shift_end", "escrow_account_id", "escrow_fen", "state", "created_at")
       SELECT 'ctr_bogus', 'fill_bogus', "shard", "seq", 'nowhere.000000.2026-12-26.D1', "enterprise_id", "supplier_id", "demand_order_id", "supply_order_id", "headcount",
         "rate_fen", "aggressor", "shared", "shift_start", "shift_end", "escrow_account_id", "escrow_fen", "state", "created_at" FROM "contracts" WHERE "id" = $1`,
      [another],
    );
    try {
      await expect(app.built.contracts.runtime.startMany(["ctr_bogus", another])).rejects.toThrow(/ctr_bogus: market nowhere/);
      expect(await repo.workflow("ctr_bogus")).toBeUndefined();
      expect(await repo.workflow(another)).toMatchObject({ contractId: another, version: 1, state: "staffing" });
    } finally {
      await database.db.sql.query(`DELETE FROM "contracts" WHERE "id" = 'ctr_bogus'`);
    }
  });

  it("sweeps only what is new: the loop's sweep leaves contracts younger than its interval to the bus, and no sweep looks again below the sequence it saw all started", async () => {
    const { repo } = app.built.contracts;
    const id = await trade(26, 1);
    // the bus starts it; then, as if the bus had lost its event, its workflow goes
    await expect.poll(async () => (await repo.workflow(id))?.state, { timeout: 10_000 }).toBe("staffing");
    const fromEvent = await repo.workflow(id); // started from the facts the contract.created event carries
    await database.db.sql.query(`DELETE FROM "workflow_timers" WHERE "machine_id" = $1`, [id]);
    await database.db.sql.query(`DELETE FROM "contract_workflows" WHERE "contract_id" = $1`, [id]);
    const seq = Number((await database.db.sql.query<{ seq: string }>(`SELECT "seq"::text FROM "contracts" WHERE "id" = $1`, [id])).rows[0]!.seq);

    await app.built.contracts.sweep({ settledMs: 60_000 }); // the loop's sweep: created this instant, it is still the bus's
    expect(await repo.workflow(id)).toBeUndefined();
    const looked = vi.spyOn(repo, "unstartedContracts");
    try {
      await app.built.contracts.sweep(); // a full sweep (start-up's) takes it
      expect(await repo.workflow(id)).toEqual(fromEvent); // from the stored row: the same input, snapshot and facts
      expect(looked.mock.calls[0]![1]).toBeLessThan(seq);
      looked.mockClear();
      await app.built.contracts.sweep(); // the next looks only after it
      expect(looked.mock.calls.length).toBeGreaterThan(0);
      for (const [, after] of looked.mock.calls) expect(after).toBeGreaterThanOrEqual(seq);
    } finally {
      looked.mockRestore();
    }
    // an event naming a contract the sequencer never wrote starts nothing
    const ghost = { type: "contract.created" as const, seq: seq + 1_000_000, at: "2026-12-01T09:00:00.000+08:00", contractId: "ctr_ghost", fillId: "fil_ghost", market: "general-labourer.500107.2026-12-26.D1",
      enterpriseId: org("demo enterprise 0001"), supplierId: org("demo agency 0004"), headcount: 1, rateFen: RATE, shared: false, escrowAccountId: "escrow:ctr_ghost:CNY",
      escrowFen: String(SEAT), shiftStart: "2026-12-26T08:00:00.000+08:00", shiftEnd: "2026-12-26T17:00:00.000+08:00", minCertificate: 0 };
    expect([...(await app.built.contracts.runtime.startCreated([ghost]))]).toEqual([]);
    expect(await repo.workflow("ctr_ghost")).toBeUndefined();
    expect((await repo.timers()).filter((t) => t.machineId === "ctr_ghost")).toEqual([]);
  });

  it("refunds a seat still empty at the staffing deadline and marks the supplier; a missing check-out is named by the enterprise at approval", async () => {
    const D = start(29);
    at(D - 30 * HOUR);
    const wallet = `wallet:${org("demo enterprise 0001")}:CNY`;
    const contractId = await trade(29, 2);
    const a = await worker(agency);
    await assign(contractId, 1, a.id);
    const s = await shiftOf(contractId, 1);
    await act(s, "confirm", a.cookie);
    at(D - 61 * MIN);
    await fire(); // earlier tests' contracts reach their own deadlines first (their refunds go to the same wallet)
    const before = await net(wallet);
    at(D - 59 * MIN); // past the staffing deadline (07:00): seat 2 was never named
    await restart();
    let w = await workflow(contractId, agency);
    expect(w.seats[1]).toMatchObject({ status: "closed", settlement: { kind: "refunded", basis: "unfilled", refundFen: SEAT } });
    expect(await net(wallet)).toBe(before + SEAT);
    expect((await app.built.contracts.repo.trustEvents(contractId)).map((t) => [t.party, t.event, t.seat])).toContainEqual(["supplier", "seat_unfilled", 2]);
    expect((await assign(contractId, 2, (await worker(agency)).id)).body).toMatchObject({ status: 409 });

    at(D);
    await act(s, "check-in", a.cookie, { code: await siteCode() });
    at(D + 10 * HOUR); // the shift ended; the worker forgot to check out
    await fire();
    expect((await entAct(s, "approve")).body).toMatchObject({ status: 409, detail: expect.stringContaining("checkOutAt") });
    const approved = await entAct(s, "approve", { checkOutAt: "2026-12-29T15:00:00+08:00" });
    expect(approved.body).toMatchObject({ state: "approved", paid: { minutes: 420 }, earnings: { wageFen: 21_000 } });
    w = await workflow(contractId);
    expect(w).toMatchObject({ state: "settled", closed: true });
    expect(await net(`escrow:${contractId}:CNY`)).toBe(0);
    await expectVerified();
  });

  it("concurrent steps on one machine are each applied to the latest version or refused, none lost; concurrent timer passes settle each seat once", async () => {
    const D = start(30);
    at(D - 13 * HOUR); // the clock only moves forward: the previous case ended on the 29th
    const contractId = await trade(30, 3);
    const escrow = `escrow:${contractId}:CNY`;
    const ws = [await worker(agency), await worker(agency), await worker(agency)];
    // three seats named at once: three steps of one contract machine race for its version
    const named = await Promise.all(ws.map((w, i) => assign(contractId, i + 1, w.id)));
    expect(named.map((r) => r.status)).toEqual([200, 200, 200]);
    let w = await workflow(contractId);
    expect(w.seats.map((s: { workerId: string }) => s.workerId)).toEqual(ws.map((x) => x.id));
    expect(w.state).toBe("confirming");
    // the worker taps confirm and decline at once: exactly one wins, the other is told the shift moved on
    const s1 = w.seats[0].shiftId as string;
    const [c, d] = await Promise.all([act(s1, "confirm", ws[0]!.cookie), act(s1, "decline", ws[0]!.cookie, {})]);
    expect([c.status, d.status].sort()).toEqual([200, 409]);
    const won = c.status === 200 ? "confirmed" : "declined";
    expect((await call(app, "GET", `/v1/shifts/${s1}`, { cookie: ws[0]!.cookie })).body.state).toBe(won);
    // each machine's event log has one event per version, no gap, and replays into the stored snapshot
    const { runtime } = app.built.contracts;
    for (const [kind, id] of [["contract", contractId], ["shift", s1]] as const) {
      const m = (await runtime.load(kind, id))!;
      const versions = (await database.db.sql.query<{ version: number }>(`SELECT "version" FROM "workflow_events" WHERE "machine_id" = $1 ORDER BY "version"`, [id])).rows.map((r) => r.version);
      expect(versions.at(-1)).toBe(m.row.version);
      expect(versions).toEqual(versions.map((_, i) => versions[0]! + i));
      expect(await runtime.replay(kind, id)).toEqual(m.snapshot);
    }
    // two timer passes at once, past the staffing and confirmation deadlines: every unconfirmed seat is refunded once
    at(D - 29 * MIN);
    const [x, y] = await Promise.all([fire(), fire()]);
    expect(x + y).toBeGreaterThan(0);
    expect((await app.built.contracts.repo.timers()).filter((t) => t.dueAt <= D - 29 * MIN)).toEqual([]);
    await app.built.contracts.sweep();
    w = await workflow(contractId);
    const refunded = w.seats.filter((s: { settlement: { kind: string } | null }) => s.settlement?.kind === "refunded").length;
    expect(refunded).toBe(won === "confirmed" ? 2 : 3);
    expect(await net(escrow)).toBe(won === "confirmed" ? SEAT : 0);
    const unfilled = (await app.built.contracts.repo.trustEvents(contractId)).filter((t) => t.event === "seat_unfilled").map((t) => t.seat);
    expect([...unfilled].sort()).toEqual(won === "confirmed" ? [2, 3] : [1, 2, 3]);
    await expectVerified();
  });

  it("tells the worker on the shifts channel and by SMS through the notifier, and the agency on its executions channel", async () => {
    const D = start(31);
    at(D - 20 * HOUR);
    const contractId = await trade(31, 1);
    const a = await worker(agency);
    const b = await worker(agency);
    const phone = await openStream(app.baseUrl, { cookie: a.cookie, origin: app.baseUrl });
    const otherPhone = await openStream(app.baseUrl, { cookie: b.cookie, origin: app.baseUrl });
    const desk = await openStream(app.baseUrl, { key: agency });
    try {
      for (const [c, channel] of [[phone, "shifts"], [otherPhone, "shifts"], [desk, "executions"]] as const) {
        c.send({ op: "subscribe", channel });
        await c.take((f) => f.type === "subscribed");
      }
      const notices = app.sentNotices.length;
      expect((await assign(contractId, 1, a.id)).status).toBe(200);
      const s = await shiftOf(contractId, 1);
      expect(await phone.take((f) => f.type === "shift.offered")).toMatchObject({ channel: "shifts", workerId: a.id, shiftId: s, market: market(31) });
      expect(await desk.take((f) => f.type === "workflow.changed" && f.shiftId === s)).toMatchObject({ channel: "executions", contractId, seat: 1, state: "assigned" });
      expect(app.sentNotices.slice(notices)).toEqual([{ phone: a.phone, text: expect.stringContaining("新的班次邀请") }]);
      await act(s, "confirm", a.cookie);
      expect(await phone.take((f) => f.type === "workflow.changed" && f.state === "confirmed")).toMatchObject({ channel: "shifts", shiftId: s, workerId: a.id });
      expect(await desk.take((f) => f.type === "workflow.changed" && f.shiftId === s && f.state === "confirmed")).toMatchObject({ contractId, seat: 1 });
      // another worker's phone hears nothing of it
      expect(otherPhone.unread((f) => f.channel === "shifts")).toEqual([]);
    } finally {
      for (const c of [phone, otherPhone, desk]) await c.close();
    }
  });

  it("the ledger verification reports a closed contract whose escrow is not at zero", async () => {
    await expectVerified();
    const open = (await app.built.contracts.repo.workflows(undefined, undefined, 500)).find((w) => w.closedAt === null)!;
    // what a bug (or a hand edit) would leave: a contract marked closed with money still in its escrow
    await database.db.sql.query(`UPDATE "contract_workflows" SET "closed_at" = now(), "outcome" = 'settled' WHERE "contract_id" = $1`, [open.contractId]);
    const v = await call(app, "GET", "/v1/ledger/verify", { key: operator });
    expect(v.body.ok).toBe(false);
    const problem = `contract ${open.contractId} is closed but its escrow ${open.escrowAccountId} holds ${await net(open.escrowAccountId)} fen`;
    expect(v.body.invariants.problems).toEqual([problem]);
    // the start-up verification reports it too, naming the contract (and the process still serves)
    const logged: string[] = [];
    await app.built.app.close();
    app = await startTestApp(backend, {
      clock, contractLoops: false, env: { LOG_LEVEL: "error" }, logStream: { write: (line: string) => void logged.push(line) },
      database: { db: database.db, url: database.url, drop: async () => undefined },
    });
    expect(logged.map((l) => JSON.parse(l) as { level: number; problem?: string }).filter((l) => l.level >= 50 && l.problem !== undefined).map((l) => l.problem)).toEqual([problem]);
    expect((await call(app, "GET", "/v1/ledger/verify", { key: app.key("demo operator") })).body.invariants.problems).toEqual([problem]);
  });
});
