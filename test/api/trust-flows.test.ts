// Trust from real flows over HTTP, on PGlite and PostgreSQL, with failures injected where money or matching must not
// go wrong:
// - an agency raised to red trades at once with the resting demand that required red (the sequencer re-matches);
// - a crash between recording a colour change and telling the sequencer (the command refused, or its answer lost):
//   the next pass, or the next process, tells it, and the offers are cancelled once;
// - an enterprise's two-way reliability is shown beside its contracts (the agency's), its workflows and the
//   worker's shifts, read once per response and cached;
// - approved hours left unpaid (the settlement effect failing) age through 0–3, 4–7, 8–30 and >30 days per
//   enterprise and district, head the operator's queue oldest first, and cost the enterprise points once each,
//   across passes and a restart (after which the money moves, late);
// - a dispute split against the supplier costs it points; a serious penalty turns a red agency black at once;
//   licences lapsing by date are scored once and turn the agency black.
// Time moves by an injected clock; the process restarts on the same database.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { residentIdWithChecksum } from "../../src/parties";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { backends } from "../helpers/services";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const RATE = 3000;
const WAGE = RATE * 8; // a D1 seat's wage: 8 paid hours
/** 08:00 Asia/Shanghai on a December 2026 day (the D1 slot runs to 17:00); days past 31 run into January. */
const start = (day: number) => Date.UTC(2026, 11, day, 0, 0);
const date = (day: number) => new Date(start(day) + 8 * HOUR).toISOString().slice(0, 10);
const market = (day: number, district = "500107", skill = "general-labourer") => `${skill}.${district}.${date(day)}.D1`;
/** Red needs no history here, so an operator's commendation can raise an agency to red. */
const TRUST_SETTINGS = JSON.stringify({ version: "test-flows", redMinCompletedSeats: 0, redMinHistoryDays: 0 });

describe.each(backends)("trust from real flows on $name", (backend) => {
  const clock = fixedClock(new Date(Date.UTC(2026, 11, 1, 2, 0)));
  let database: TestDatabase;
  let app: TestApp;
  let operator: string;
  let regulator: string;
  let serial = 0;
  const key = (label: string) => app.key(label);
  const org = (label: string) => app.demo.keys.find((k) => k.label === label)!.organisationId!;
  const at = (ms: number) => clock.set(new Date(ms));
  const score = (arrears = false) => app.built.trust.service.runOnce({ arrears });

  async function boot() {
    app = await startTestApp(backend, {
      clock, contractLoops: false, env: { TRUST_SETTINGS, ARREARS_QUEUE_SIZE: "2" },
      database: { db: database.db, url: database.url, drop: async () => undefined },
    });
    operator = key("demo operator");
    regulator = key("demo regulator");
  }
  /** The process stops and starts again on the same database: only what was stored survives. */
  async function restart() {
    await app.built.app.close();
    await boot();
  }

  async function fund(k: string, fen: number) {
    const t = await call(app, "POST", "/v1/top-ups", { key: k, body: { amountFen: fen } });
    const c = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: fen, bankTransactionId: `BANK-TF-${++serial}` } });
    expect(c.status).toBe(200);
  }
  async function trade(buyer: string, seller: string, m: string, headcount: number): Promise<string> {
    const d = await call(app, "POST", "/v1/orders", { key: buyer, body: { side: "demand", market: m, quantity: headcount, rateFen: RATE } });
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    const s = await call(app, "POST", "/v1/orders", { key: seller, body: { side: "supply", market: m, quantity: headcount, rateFen: RATE } });
    expect(s.status, JSON.stringify(s.body)).toBe(201);
    return s.body.fills[0].contractId as string;
  }
  async function worker(agency: string) {
    const n = ++serial;
    const phone = `+86137${String(70_000_000 + n).padStart(8, "0")}`;
    const r = await call(app, "POST", "/v1/workers", {
      key: agency,
      body: { realName: `流程测试${n}`, residentId: residentIdWithChecksum(`50010719900101${String(100 + n).slice(-3)}`), phone, districtCode: "500107", skills: [{ skillId: "general-labourer", level: 0 }] },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
    const ok = await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } });
    return { id: r.body.id as string, cookie: ok.headers.get("set-cookie")!.split(";")[0]! };
  }
  /** Names a fresh worker to each seat; each confirms. The shifts, seat by seat. */
  async function staff(contractId: string, seats: number, agency: string) {
    const out: { shiftId: string; cookie: string }[] = [];
    for (let seat = 1; seat <= seats; seat++) {
      const w = await worker(agency);
      expect((await call(app, "POST", `/v1/contracts/${contractId}/assignments`, { key: agency, body: { seat, workerId: w.id } })).status).toBe(200);
      const shiftId = (await call(app, "GET", `/v1/contracts/${contractId}/workflow`, { key: operator })).body.seats[seat - 1].shiftId as string;
      expect((await call(app, "POST", `/v1/shifts/${shiftId}/confirm`, { cookie: w.cookie })).status).toBe(200);
      out.push({ shiftId, cookie: w.cookie });
    }
    return out;
  }
  /** Checks the shifts in at the start and out at the end with the enterprise's site code. */
  async function work(day: number, shifts: { shiftId: string; cookie: string }[], ent: string) {
    at(start(day));
    for (const s of shifts) {
      const code = (await call(app, "GET", "/v1/site/code", { key: ent })).body.code;
      expect((await call(app, "POST", `/v1/shifts/${s.shiftId}/check-in`, { cookie: s.cookie, body: { code } })).status).toBe(200);
    }
    at(start(day) + 9 * HOUR);
    for (const s of shifts) {
      const code = (await call(app, "GET", "/v1/site/code", { key: ent })).body.code;
      expect((await call(app, "POST", `/v1/shifts/${s.shiftId}/check-out`, { cookie: s.cookie, body: { code } })).status).toBe(200);
    }
  }
  const history = (id: string) => call(app, "GET", `/v1/trust/organisations/${id}`, { key: operator });
  const orderState = async (k: string, id: string) => (await call(app, "GET", `/v1/orders/${id}`, { key: k })).body.state as string;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    await boot();
    for (const e of ["demo enterprise 0001", "demo enterprise 0002", "demo enterprise 0003"]) await fund(key(e), 2_000_000);
  });
  afterAll(async () => {
    await app?.built.app.close();
    await database?.drop();
  });

  it("an agency raised to red trades at once with resting demand that required red: the sequencer re-matches its resting offer", async () => {
    const ent = key("demo enterprise 0001");
    const agency = key("demo agency 0005");
    const agencyId = org("demo agency 0005");
    await score();
    const m = market(5);
    const offer = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market: m, quantity: 3, rateFen: RATE } });
    expect(offer.body).toMatchObject({ state: "open", fills: [] });
    const demand = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: m, quantity: 2, rateFen: RATE + 100, minColour: "red" } });
    expect(demand.status, JSON.stringify(demand.body)).toBe(201);
    expect(demand.body).toMatchObject({ state: "open", fills: [] }); // crossed, but the offer is blue
    const wallet = async () => (await call(app, "GET", "/v1/accounts", { key: ent })).body.items.find((a: { code: string }) => a.code === "wallet");
    const before = await wallet();

    // an operator's commendation takes it to 110 points: red, and the sequencer is told before the answer
    const rec = await call(app, "POST", `/v1/trust/organisations/${agencyId}/records`, { key: operator, body: { kind: "commendation", points: 10, reason: "Staffed the flood relief site", documentRef: "渝人社函〔2026〕90号" } });
    expect(rec.status, JSON.stringify(rec.body)).toBe(201);
    expect(rec.body).toMatchObject({ colour: "red", transition: { from: "blue", to: "red" } });
    // the resting demand filled against the recoloured offer at its own rate; the offer keeps one head resting
    const d = (await call(app, "GET", `/v1/orders/${demand.body.id}`, { key: ent })).body;
    expect(d).toMatchObject({ state: "filled", remaining: 0, fills: [expect.objectContaining({ rateFen: RATE + 100, qty: 2 })] });
    expect((await call(app, "GET", `/v1/orders/${offer.body.id}`, { key: agency })).body).toMatchObject({ state: "open", remaining: 1, filled: 2 });
    const contractId = d.fills[0].contractId as string;
    const c = await call(app, "GET", `/v1/contracts/${contractId}`, { key: agency });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ enterpriseId: org("demo enterprise 0001"), supplierId: agencyId, headcount: 2, rateFen: RATE + 100 });
    // the demand's hold went into the contract's escrow: the wallet's available balance did not move again
    expect((await wallet()).availableFen).toBe(before.availableFen);
    const escrow = await call(app, "GET", `/v1/accounts/${encodeURIComponent(c.body.escrowAccountId)}`, { key: operator });
    expect(escrow.body.creditsPostedFen).toBe(c.body.escrowFen);
    expect((await call(app, "GET", "/v1/ledger/verify", { key: operator })).body.ok).toBe(true);

    // the process restarts: replaying the journal reproduces the fill (same contract, same resting remainder)
    await restart();
    expect((await call(app, "GET", `/v1/orders/${offer.body.id}`, { key: agency })).body).toMatchObject({ state: "open", remaining: 1 });
    expect((await call(app, "GET", `/v1/contracts/${contractId}`, { key: agency })).status).toBe(200);
    expect(app.built.sequencer.colourOf(agencyId)).toBe("red");
    expect(await score()).toMatchObject({ transitions: 0, toldSequencer: 0 });
  });

  it("a crash between recording a colour change and telling the sequencer: the next process tells it; a lost answer is told again, the offers cancelled once", async () => {
    const agency = key("demo agency 0006");
    const agencyId = org("demo agency 0006");
    at(Date.UTC(2026, 11, 1, 4, 0));
    await score();
    const offer = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market: market(6, "500107", "cleaner"), quantity: 2, rateFen: RATE } });
    expect(offer.body.state).toBe("open");
    const licences = (await call(app, "GET", `/v1/organisations/${agencyId}`, { key: operator })).body.licences as { id: string }[];
    for (const l of licences) expect((await call(app, "POST", `/v1/licences/${l.id}/suspend`, { key: operator, body: { reason: "no office at the registered address" } })).status).toBe(200);

    // 1. the sequencer refuses the colour command (down): the transition is recorded, the pass fails, the offer still rests
    const sequencer = app.built.sequencer;
    const original = sequencer.submit.bind(sequencer);
    sequencer.submit = async (cmd) => {
      if (cmd.t === "colour") throw new Error("sequencer unavailable (injected)");
      return original(cmd);
    };
    try {
      await expect(score()).rejects.toThrow(/injected/);
    } finally {
      sequencer.submit = original;
    }
    expect((await history(agencyId)).body).toMatchObject({ colour: "black" });
    expect(await orderState(agency, offer.body.id)).toBe("open");
    expect(sequencer.colourOf(agencyId)).not.toBe("black");

    // the process dies; the next one's first pass tells the sequencer: the offer is cancelled, the rating is black there too
    await restart();
    const seen: unknown[] = [];
    const next = app.built.sequencer;
    const submit = next.submit.bind(next);
    next.submit = async (cmd) => {
      const out = await submit(cmd);
      if (cmd.t === "colour") seen.push(out);
      return out;
    };
    expect(await score()).toMatchObject({ transitions: 0, toldSequencer: 1 });
    expect(seen).toEqual([{ ok: true, cancelled: 1, recoloured: 0, fills: [] }]);
    expect(await orderState(agency, offer.body.id)).toBe("cancelled");
    expect(next.colourOf(agencyId)).toBe("black");
    expect(await score()).toMatchObject({ toldSequencer: 0 });
    expect(seen).toHaveLength(1);

    // 2. reinstated: blue. The sequencer applies the command but its answer is lost; the pass fails before marking it told
    const [first] = licences;
    expect((await call(app, "POST", `/v1/licences/${first!.id}/reinstate`, { key: operator, body: { reason: "office found" } })).status).toBe(200);
    let lost = 0;
    next.submit = async (cmd) => {
      const out = await submit(cmd);
      if (cmd.t === "colour") {
        seen.push(out);
        if (lost++ === 0) throw new Error("connection lost after the command committed (injected)");
      }
      return out;
    };
    await expect(score()).rejects.toThrow(/injected/);
    expect(next.colourOf(agencyId)).toBe("blue"); // it was applied
    // the next pass tells it again: the same colour again changes nothing (no offer to cancel or recolour twice)
    expect(await score()).toMatchObject({ toldSequencer: 1 });
    expect(seen.slice(1)).toEqual([{ ok: true, cancelled: 0, recoloured: 0, fills: [] }, { ok: true, cancelled: 0, recoloured: 0, fills: [] }]);
    expect(await score()).toMatchObject({ toldSequencer: 0 });
    next.submit = submit;
    expect((await history(agencyId)).body).toMatchObject({ colour: "blue" });
    const again = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market: market(6, "500107", "cleaner"), quantity: 1, rateFen: RATE } });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(await orderState(agency, offer.body.id)).toBe("cancelled");
    const transitions = (await history(agencyId)).body.transitions.map((t: { from: string; to: string }) => `${t.from}>${t.to}`);
    expect(transitions).toEqual(["black>blue", "blue>black"]);
  });

  let disputed: { contractId: string; shiftId: string } | undefined;

  it("the enterprise's reliability is shown beside its contracts (agency), workflows and shifts (worker); read once per response and cached", async () => {
    const ent = key("demo enterprise 0003");
    const entId = org("demo enterprise 0003");
    const ent2Id = org("demo enterprise 0002");
    const agency = key("demo agency 0004");
    const D = start(7);
    at(D - 30 * HOUR);
    const worked = await trade(ent, agency, market(7), 2);
    const cancelledLate = await trade(ent, agency, market(8), 1);
    await trade(key("demo enterprise 0002"), agency, market(8, "500107", "cleaner"), 1);
    const shifts = await staff(worked, 2, agency);
    await work(7, shifts, ent);
    // a late cancellation (inside the 24-hour free notice), an approval two hours after the end, a dispute three hours after
    expect((await call(app, "POST", `/v1/contracts/${cancelledLate}/cancel`, { key: ent, body: { reason: "order withdrawn" } })).body.cancellation).toMatchObject({ late: true });
    at(D + 11 * HOUR);
    expect((await call(app, "POST", `/v1/shifts/${shifts[0]!.shiftId}/approve`, { key: ent, body: {} })).status).toBe(200);
    at(D + 12 * HOUR);
    expect((await call(app, "POST", `/v1/shifts/${shifts[1]!.shiftId}/dispute`, { key: ent, body: { reason: "left two hours early" } })).status).toBe(200);
    disputed = { contractId: worked, shiftId: shifts[1]!.shiftId };
    await app.built.contracts.runtime.drain();
    at(D + 12 * HOUR + 2 * MIN);

    const expected = {
      enterpriseId: entId, windowDays: 90,
      lateCancellation: { numerator: 1, denominator: 2, percent: "50.0" },
      dispute: { numerator: 1, denominator: 2, percent: "50.0" },
      approval: { medianMs: 2 * HOUR, medianHours: "2.0", autoApproved: { numerator: 0, denominator: 2 } },
    };
    const reads = vi.spyOn(app.built.trust.repo, "enterpriseContracts");
    try {
      // the agency's contracts: three, of two enterprises; their reliability is read once for the page
      const list = await call(app, "GET", "/v1/contracts?limit=100", { key: agency });
      expect(list.status).toBe(200);
      const mine = list.body.items.filter((c: { supplierId: string }) => c.supplierId === org("demo agency 0004"));
      expect(mine).toHaveLength(3);
      expect(mine.find((c: { id: string }) => c.id === worked).enterpriseReliability).toMatchObject(expected);
      expect(mine.find((c: { enterpriseId: string }) => c.enterpriseId === ent2Id).enterpriseReliability).toMatchObject({ enterpriseId: ent2Id, lateCancellation: { numerator: 0, denominator: 1 } });
      expect(reads).toHaveBeenCalledTimes(1);
      expect([...(reads.mock.calls[0]![2] ?? [])].sort()).toEqual([entId, ent2Id].sort());
      // within the minute nothing is read again: the staffing page's workflows and the worker's shifts come from the cache
      const flows = await call(app, "GET", "/v1/workflows?limit=100", { key: agency });
      expect(flows.body.items.find((w: { contractId: string }) => w.contractId === worked).enterpriseReliability).toMatchObject(expected);
      const own = await call(app, "GET", "/v1/shifts", { cookie: shifts[0]!.cookie });
      expect(own.body.items[0]).toMatchObject({ shiftId: shifts[0]!.shiftId, enterpriseReliability: expected });
      expect((await call(app, "GET", `/v1/shifts/${shifts[1]!.shiftId}`, { cookie: shifts[1]!.cookie })).body.enterpriseReliability).toMatchObject(expected);
      expect((await call(app, "GET", `/v1/contracts/${worked}`, { key: agency })).body.enterpriseReliability).toMatchObject(expected);
      expect(reads).toHaveBeenCalledTimes(1);
      // a minute on, it is read again (once)
      at(D + 12 * HOUR + 4 * MIN);
      await call(app, "GET", "/v1/shifts", { cookie: shifts[0]!.cookie });
      expect(reads).toHaveBeenCalledTimes(2);
    } finally {
      reads.mockRestore();
    }
    // the standalone route agrees
    const rel = await call(app, "GET", `/v1/trust/reliability?enterpriseIds=${entId}`, { key: agency });
    expect(rel.body.items[0].reliability).toMatchObject({ lateCancellation: expected.lateCancellation, dispute: expected.dispute });
  });

  it("a dispute the operator splits against the supplier costs it points; an operator's serious penalty turns a red agency black at once, its offers cancelled", async () => {
    const agencyId = org("demo agency 0004");
    at(start(7) + 13 * HOUR);
    const split = await call(app, "POST", `/v1/contracts/${disputed!.contractId}/seats/2/split`, { key: operator, body: { minutes: 240, reason: "site log shows four hours worked" } });
    expect(split.status, JSON.stringify(split.body)).toBe(200);
    expect((await score()).contractRecords).toBeGreaterThanOrEqual(2);
    const h = (await history(agencyId)).body;
    expect(h.lines.filter((l: { kind: string }) => l.kind === "dispute_lost")).toEqual([expect.objectContaining({ contractId: disputed!.contractId, seat: 2, points: "-3.00" })]);
    expect((await history(org("demo enterprise 0003"))).body.lines.filter((l: { kind: string }) => l.kind === "dispute_lost")).toEqual([]);
    expect((await score()).contractRecords).toBe(0);

    // a serious violation: black at once whatever the points, the resting offer cancelled before the answer
    const red = org("demo agency 0005");
    const offer = await call(app, "POST", "/v1/orders", { key: key("demo agency 0005"), body: { side: "supply", market: market(9, "500107", "cleaner"), quantity: 2, rateFen: RATE } });
    expect(offer.status, JSON.stringify(offer.body)).toBe(201);
    const resting = [offer.body as { id: string }];
    const pen = await call(app, "POST", `/v1/trust/organisations/${red}/records`, { key: operator, body: { kind: "penalty", points: 5, reason: "Dispatched workers without contracts", documentRef: "渝人社罚〔2026〕12号", serious: true } });
    expect(pen.status, JSON.stringify(pen.body)).toBe(201);
    expect(pen.body).toMatchObject({ colour: "black", transition: { from: "red", to: "black", reason: { kind: "serious_violation" } } });
    expect(await orderState(key("demo agency 0005"), resting[0]!.id)).toBe("cancelled");
    const pub = (await call(app, "GET", `/v1/public/agencies/${red}`)).body;
    expect(pub).toMatchObject({ colour: "black", reason: { kind: "serious_violation" } });
    expect(pub.penalties[0]).toMatchObject({ kind: "penalty", serious: true, documentRef: "渝人社罚〔2026〕12号", points: "-5.00" });
  });

  it("approved hours left unpaid age 0–3, 4–7, 8–30, >30 days per enterprise and district, head the queue oldest first, and cost points once each", async () => {
    const ent1 = key("demo enterprise 0001");
    const ent2 = key("demo enterprise 0002");
    const e1 = org("demo enterprise 0001");
    const e2 = org("demo enterprise 0002");
    const agency = key("demo agency 0004");
    // the ledger refuses every seat settlement: approvals stand, the money stays in escrow, the effects stay in the outbox
    const sequencer = app.built.sequencer;
    const original = sequencer.createTransfers.bind(sequencer);
    sequencer.createTransfers = async (batch) => {
      if (batch.some((t) => t.id.includes(":seat:"))) throw new Error("ledger unavailable (injected)");
      return original(batch);
    };
    const approvedAt: Record<string, number> = {};
    const seat = async (label: string, buyer: string, day: number, district: string) => {
      at(start(day) - 30 * HOUR);
      const contractId = await trade(buyer, agency, market(day, district), 1);
      const shifts = await staff(contractId, 1, agency);
      await work(day, shifts, buyer);
      at(start(day) + 9 * HOUR + 10 * MIN);
      const approved = await call(app, "POST", `/v1/shifts/${shifts[0]!.shiftId}/approve`, { key: buyer, body: {} });
      expect(approved.body).toMatchObject({ state: "approved", earnings: null });
      approvedAt[label] = start(day) + 9 * HOUR + 10 * MIN;
      return { contractId, shiftId: shifts[0]!.shiftId };
    };
    const arrears = async () => {
      const r = await call(app, "GET", "/v1/trust/arrears", { key: regulator });
      expect(r.status).toBe(200);
      return r.body;
    };
    const bucketsOf = (rows: { key: string; buckets: Record<string, { count: number }> }[], k: string) =>
      Object.fromEntries(Object.entries(rows.find((r) => r.key === k)?.buckets ?? {}).map(([b, t]) => [b, t.count]));
    const unpaidEvents = async (id: string) => (await history(id)).body.events.filter((e: { kind: string }) => e.kind === "wages_unpaid");

    let x: { contractId: string; shiftId: string };
    let y: { contractId: string; shiftId: string };
    let z: { contractId: string; shiftId: string };
    try {
      x = await seat("x", ent1, 10, "500107");
      y = await seat("y", ent1, 12, "500103");
      // two days after X, on Y's day: both in 0–3, the oldest first
      at(start(12) + 9 * HOUR + 30 * MIN);
      let r = await arrears();
      expect(r.total).toMatchObject({ "0-3": { count: 2, amountFen: 2 * WAGE }, all: { count: 2 } });
      expect(r.oldest.map((i: { contractId: string; ageDays: number; bucket: string }) => [i.contractId, i.ageDays, i.bucket])).toEqual([[x.contractId, 2, "0-3"], [y.contractId, 0, "0-3"]]);
      expect(r.oldest[0]).toMatchObject({ enterpriseId: e1, districtCode: "500107", payee: "supplier", amountFen: WAGE });
      expect(bucketsOf(r.byDistrict, "500103")).toMatchObject({ "0-3": 1 });
      expect((await score(true)).arrearsEvents).toBe(0); // within the three-day window: no cost yet

      z = await seat("z", ent2, 16, "500107");
      // X is 6 days old, Y 4: both 4–7; Z 0–3 and not in the queue of two
      at(start(16) + 9 * HOUR + 30 * MIN);
      r = await arrears();
      expect(bucketsOf(r.byEnterprise, e1)).toEqual({ "0-3": 0, "4-7": 2, "8-30": 0, "31+": 0 });
      expect(bucketsOf(r.byEnterprise, e2)).toEqual({ "0-3": 1, "4-7": 0, "8-30": 0, "31+": 0 });
      expect(bucketsOf(r.byDistrict, "500107")).toEqual({ "0-3": 1, "4-7": 1, "8-30": 0, "31+": 0 });
      expect(r.oldest.map((i: { contractId: string }) => i.contractId)).toEqual([x.contractId, y.contractId]);
      // past the window, each costs its enterprise points: once, however often the scorer passes
      expect((await score(true)).arrearsEvents).toBe(2);
      expect((await score(true)).arrearsEvents).toBe(0);
      const costed = await unpaidEvents(e1);
      expect(costed.map((e: { contractId: string }) => e.contractId).sort()).toEqual([x.contractId, y.contractId].sort());
      expect((await history(e1)).body).toMatchObject({ points: "94.00" });
      // the report shows the same cost: two events, three points each
      expect(r.costs).toEqual([{ enterpriseId: e1, events: 2, points: "-6.00" }]);

      // five days on: X 11, Y 9 (8–30), Z 5 (4–7)
      at(start(21) + 10 * HOUR);
      r = await arrears();
      expect(r.total).toMatchObject({ "4-7": { count: 1 }, "8-30": { count: 2 }, all: { count: 3, amountFen: 3 * WAGE } });
      expect(r.oldest.map((i: { bucket: string }) => i.bucket)).toEqual(["8-30", "8-30"]);
      expect((await score(true)).arrearsEvents).toBe(3); // X and Y enter 8–30, Z passes the window
      // past thirty days: X and Y over 30, Z 8–30
      at(start(44) + 10 * HOUR);
      r = await arrears();
      expect(bucketsOf(r.byEnterprise, e1)).toEqual({ "0-3": 0, "4-7": 0, "8-30": 0, "31+": 2 });
      expect(bucketsOf(r.byEnterprise, e2)).toEqual({ "0-3": 0, "4-7": 0, "8-30": 1, "31+": 0 });
      expect(bucketsOf(r.byDistrict, "500103")).toEqual({ "0-3": 0, "4-7": 0, "8-30": 0, "31+": 1 });
      expect(r.oldest.map((i: { contractId: string; ageDays: number }) => [i.contractId, i.ageDays])).toEqual([[x.contractId, 34], [y.contractId, 32]]);
      expect((await call(app, "GET", "/v1/trust/arrears", { key: operator })).body.oldest).toEqual(r.oldest);
      expect((await score(true)).arrearsEvents).toBe(3); // X and Y pass thirty days, Z enters 8–30
      expect(await unpaidEvents(e1)).toHaveLength(6);
      expect(await unpaidEvents(e2)).toHaveLength(2);
      void z;
    } finally {
      sequencer.createTransfers = original;
    }

    // the process restarts: the outbox's settlements go through now (late); the costs stay, counted once
    await restart();
    const r = await call(app, "GET", "/v1/trust/arrears", { key: regulator });
    expect(r.body.total.all).toMatchObject({ count: 0, amountFen: 0 });
    expect(r.body.costs).toEqual([{ enterpriseId: e1, events: 6, points: "-18.00" }, { enterpriseId: e2, events: 2, points: "-6.00" }]);
    expect((await score(true)).arrearsEvents).toBe(0);
    expect(await unpaidEvents(e1)).toHaveLength(6);
    expect((await call(app, "GET", `/v1/shifts/${x!.shiftId}`, { key: operator })).body.earnings).toMatchObject({ wageFen: WAGE, paidTo: "supplier" });
    void approvedAt;
  });

  it("licences lapsing by date are scored once each and turn the agency black at once; the edge refuses its offers", async () => {
    const agencyId = org("demo agency 0004");
    at(Date.UTC(2030, 0, 2, 2, 0)); // both licences ran to 2029-12-31
    await score();
    const h = (await history(agencyId)).body;
    expect(h).toMatchObject({ colour: "black", reason: { kind: "licence_invalid" } });
    const lapses = h.events.filter((e: { kind: string }) => e.kind === "licence_invalid");
    expect(lapses.map((e: { reason: string }) => e.reason).sort()).toEqual(["licence HR-500-0004 expired (valid until 2029-12-31)", "licence LD-500-0004 expired (valid until 2029-12-31)"]);
    expect(await score()).toMatchObject({ licenceChanges: 0, transitions: 0 });
    expect((await history(agencyId)).body.events.filter((e: { kind: string }) => e.kind === "licence_invalid")).toHaveLength(2);
    const refused = await call(app, "POST", "/v1/orders", { key: key("demo agency 0004"), body: { side: "supply", market: `general-labourer.500107.2030-01-05.D1`, quantity: 1, rateFen: RATE } });
    expect(refused.status).toBe(403);
  });
});
