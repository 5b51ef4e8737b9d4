// Integrity points from real flows over HTTP, on PGlite and PostgreSQL: a no-show in a contract lowers the agency's
// points; enough of them turn it black, the sequencer cancels its open offers and refuses new ones; the agency sees
// why and appeals; an operator upholds the appeal, which annuls the events and restores the colour through the
// sequencer at once. A licence suspended turns an agency black at once. Bad input names the field; each role sees
// only its own; the public disclosure shows no personal data of workers. Time moves by an injected clock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { residentIdWithChecksum } from "../../src/parties";
import { fixedClock } from "../../src/shared/clock";
import { findSensitive } from "../../src/shared/privacy";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

const MIN = 60_000;
const HOUR = 60 * MIN;
const RATE = 3000;
/** 08:00 Asia/Shanghai on a December 2026 day (the D1 slot runs to 17:00). */
const start = (day: number) => Date.UTC(2026, 11, day, 0, 0);
const date = (day: number) => `2026-12-${String(day).padStart(2, "0")}`;
const market = (day: number, skill = "general-labourer") => `${skill}.500107.${date(day)}.D1`;

describe.each(backends)("integrity points and colours on $name", (backend) => {
  const clock = fixedClock(new Date(Date.UTC(2026, 11, 1, 6, 0)));
  let app: TestApp;
  let operator: string;
  let regulator: string;
  let ent: string;
  let agency: string;
  let other: string;
  let serial = 0;
  const workers: { id: string; phone: string; name: string; cookie: string }[] = [];
  const org = (label: string) => app.demo.keys.find((k) => k.label === label)!.organisationId!;
  const at = (ms: number) => clock.set(new Date(ms));
  const fire = () => app.built.contracts.runtime.fireDueTimers();
  const score = () => app.built.trust.service.runOnce();

  async function fund(key: string, fen: number) {
    const t = await call(app, "POST", "/v1/top-ups", { key, body: { amountFen: fen } });
    const c = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: fen, bankTransactionId: `BANK-TR-${++serial}` } });
    expect(c.status).toBe(200);
  }
  async function trade(day: number, headcount: number, seller = agency): Promise<string> {
    const m = market(day);
    const d = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: m, quantity: headcount, rateFen: RATE } });
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    const s = await call(app, "POST", "/v1/orders", { key: seller, body: { side: "supply", market: m, quantity: headcount, rateFen: RATE } });
    expect(s.status, JSON.stringify(s.body)).toBe(201);
    return s.body.fills[0].contractId as string;
  }
  async function worker(key: string) {
    const n = ++serial;
    const phone = `+86137${String(60_000_000 + n).padStart(8, "0")}`;
    const name = `信用测试${"甲乙丙丁戊己庚辛壬癸"[n % 10]}${n}`;
    const r = await call(app, "POST", "/v1/workers", {
      key,
      body: { realName: name, residentId: residentIdWithChecksum(`50010719900101${String(100 + n).slice(-3)}`), phone, districtCode: "500107", skills: [{ skillId: "general-labourer", level: 0 }, { skillId: "welder", level: 3 }] },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
    const ok = await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } });
    const w = { id: r.body.id as string, phone, name, cookie: ok.headers.get("set-cookie")!.split(";")[0]! };
    workers.push(w);
    return w;
  }
  /** Names a fresh worker to every seat of the contract; each confirms. */
  async function staff(contractId: string, seats: number) {
    for (let seat = 1; seat <= seats; seat++) {
      const w = await worker(agency);
      expect((await call(app, "POST", `/v1/contracts/${contractId}/assignments`, { key: agency, body: { seat, workerId: w.id } })).status).toBe(200);
      const wf = (await call(app, "GET", `/v1/contracts/${contractId}/workflow`, { key: operator })).body;
      const shiftId = wf.seats[seat - 1].shiftId as string;
      expect((await call(app, "POST", `/v1/shifts/${shiftId}/confirm`, { cookie: w.cookie })).status).toBe(200);
    }
  }
  const history = (key: string, id: string) => call(app, "GET", `/v1/trust/organisations/${id}`, { key });

  beforeAll(async () => {
    app = await startTestApp(backend, { clock, contractLoops: false });
    operator = app.key("demo operator");
    regulator = app.key("demo regulator");
    ent = app.key("demo enterprise 0001");
    agency = app.key("demo agency 0005");
    other = app.key("demo agency 0004");
    await fund(ent, 5_000_000);
  });
  afterAll(async () => app?.close());

  it("rates agencies from their first valid licence: blue at the base points, with nothing to tell the sequencer", async () => {
    const r = await score();
    expect(r.transitions).toBe(0);
    const h = await history(agency, org("demo agency 0005"));
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ colour: "blue", rated: true, points: "100.00", settingsVersion: "2026-1", transitions: [] });
  });

  it("a no-show lowers points; enough turn the agency black, its open offers are cancelled and new ones refused; an upheld appeal restores blue", async () => {
    const agencyId = org("demo agency 0005");
    const D8 = start(8);
    const D9 = start(9);
    at(D8 - 30 * HOUR);
    const a = await trade(8, 1);
    await staff(a, 1);
    const b = await trade(9, 8);
    await staff(b, 8);

    // one no-show: 5 points off, every point traced to the contract's trust record
    at(D8 + 31 * MIN);
    await fire();
    const first = await score();
    expect(first.contractRecords).toBeGreaterThanOrEqual(1);
    let h = await history(agency, agencyId);
    expect(h.body).toMatchObject({ colour: "blue", points: "95.00" });
    const records = await app.built.contracts.repo.trustEvents(a);
    expect(records.map((r) => r.event)).toContain("no_show");
    expect(h.body.lines).toEqual([expect.objectContaining({ kind: "no_show", contractId: a, seat: 1, count: 1, unitWeight: -500, percent: 100, centipoints: -500, points: "-5.00" })]);
    // scoring again changes nothing: one event per source
    await score();
    expect((await history(agency, agencyId)).body.points).toBe("95.00");

    // an open offer in another market, resting
    at(D8 + 2 * HOUR);
    const resting = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market: market(11, "cleaner"), quantity: 2, rateFen: RATE } });
    expect(resting.status).toBe(201);
    expect(resting.body.state).toBe("open");

    // eight more no-shows: 55 points, below the black line of 60
    at(D9 + 31 * MIN);
    await fire();
    const second = await score();
    expect(second.transitions).toBe(1);
    expect(second.toldSequencer).toBe(1);
    h = await history(agency, agencyId);
    expect(h.body).toMatchObject({ colour: "black", points: "55.00", reason: { kind: "points_black", threshold: 60 } });
    const downgrade = h.body.transitions[0];
    expect(downgrade).toMatchObject({ from: "blue", to: "black", points: "55.00", settingsVersion: "2026-1" });
    expect(downgrade.eventIds).toHaveLength(9);
    // the sequencer cancelled the open offer, and refuses new ones
    expect((await call(app, "GET", `/v1/orders/${resting.body.id}`, { key: agency })).body.state).toBe("cancelled");
    const refused = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market: market(12, "cleaner"), quantity: 1, rateFen: RATE } });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: "forbidden" });
    // the rest of Shiftex reads the colour too
    expect((await call(app, "GET", `/v1/organisations/${agencyId}`, { key: operator })).body).toMatchObject({ colour: "black" });

    // bad appeals name the field; another organisation's change reads as absent
    const bad = async (body: unknown, status: number, field: string) => {
      const r = await call(app, "POST", "/v1/trust/appeals", { key: agency, body });
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.headers.get("content-type")).toMatch(/application\/problem\+json/);
      expect(r.body.field).toBe(field);
    };
    await bad({ transitionId: downgrade.id, grounds: "" }, 400, "/body/grounds");
    await bad({ transitionId: downgrade.id, grounds: "x", extra: 1 }, 400, "/body/extra");
    await bad({ transitionId: downgrade.id, grounds: "workers were sent home by the site", contested: ["nope"] }, 400, "/body/contested");
    await bad({ transitionId: "trn_nope", grounds: "x" }, 404, "/body/transitionId");
    expect((await call(app, "POST", "/v1/trust/appeals", { key: other, body: { transitionId: downgrade.id, grounds: "not mine" } })).status).toBe(404);

    const filed = await call(app, "POST", "/v1/trust/appeals", { key: agency, body: { transitionId: downgrade.id, grounds: "The site was closed by the district that morning; the workers were turned away at the gate." } });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    expect(filed.body).toMatchObject({ status: "open", from: "blue", to: "black", contested: downgrade.eventIds });
    expect((await call(app, "POST", "/v1/trust/appeals", { key: agency, body: { transitionId: downgrade.id, grounds: "again" } })).status).toBe(409);

    // roles: the agency sees its own appeal, the other agency does not; only an operator decides
    expect((await call(app, "GET", `/v1/trust/appeals/${filed.body.id}`, { key: agency })).status).toBe(200);
    expect((await call(app, "GET", `/v1/trust/appeals/${filed.body.id}`, { key: other })).status).toBe(404);
    expect((await call(app, "GET", "/v1/trust/appeals", { key: other })).body.items).toEqual([]);
    expect((await call(app, "GET", "/v1/trust/appeals?status=open", { key: regulator })).body.items.map((x: { id: string }) => x.id)).toContain(filed.body.id);
    expect((await history(other, agencyId)).status).toBe(404);
    expect((await call(app, "POST", `/v1/trust/appeals/${filed.body.id}/decision`, { key: agency, body: { decision: "upheld", reason: "mine" } })).status).toBe(403);
    expect((await call(app, "POST", `/v1/trust/appeals/${filed.body.id}/decision`, { key: regulator, body: { decision: "upheld", reason: "x" } })).status).toBe(403);
    const noReason = await call(app, "POST", `/v1/trust/appeals/${filed.body.id}/decision`, { key: operator, body: { decision: "upheld", reason: "" } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.field).toBe("/body/reason");

    // upheld: the events are annulled (kept, counting nothing), the colour is blue again, and the sequencer knows before the answer
    const decided = await call(app, "POST", `/v1/trust/appeals/${filed.body.id}/decision`, { key: operator, body: { decision: "upheld", reason: "District notice 2026-117 closed the site." } });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(decided.body).toMatchObject({ appeal: { status: "upheld" }, colour: "blue", transition: { from: "black", to: "blue", appealId: filed.body.id, reason: { kind: "appeal_upheld" } } });
    const again = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market: market(12, "cleaner"), quantity: 1, rateFen: RATE } });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    h = await history(agency, agencyId);
    expect(h.body).toMatchObject({ colour: "blue", points: "100.00", lines: [] });
    expect(h.body.events.filter((e: { annulled: boolean }) => e.annulled)).toHaveLength(9);
    expect((await call(app, "POST", `/v1/trust/appeals/${filed.body.id}/decision`, { key: operator, body: { decision: "rejected", reason: "twice" } })).status).toBe(409);
    // nothing left to tell the sequencer; a pass changes nothing
    expect(await score()).toMatchObject({ transitions: 0, toldSequencer: 0 });

    // the public page: colour, history with reasons, the annulled events marked; no worker's name, phone or ID number
    const pub = await call(app, "GET", `/v1/public/agencies/${agencyId}`);
    expect(pub.status).toBe(200);
    expect(pub.body).toMatchObject({ id: agencyId, colour: "blue", points: "100.00" });
    expect(pub.body.history.filter((e: { kind: string; annulled: boolean }) => e.kind === "no_show" && e.annulled)).toHaveLength(9);
    expect(pub.body.transitions.map((t: { to: string }) => t.to)).toEqual(["blue", "black"]);
    expect(pub.body.licences[0]).toMatchObject({ status: "valid", validUntil: "2029-12-31" });
    const people = { names: workers.map((w) => w.name), phones: workers.map((w) => w.phone) };
    expect(findSensitive(pub.body, people)).toEqual([]);
    expect(JSON.stringify(pub.body)).not.toMatch(/wrk_|contractId|seat/);
  });

  it("a suspended licence costs points; with no valid licence left the agency is black at once and its offers cancelled; reinstated, it trades again", async () => {
    const otherId = org("demo agency 0004");
    at(start(9) + 2 * HOUR);
    const offer = await call(app, "POST", "/v1/orders", { key: other, body: { side: "supply", market: market(13, "cleaner"), quantity: 1, rateFen: RATE } });
    expect(offer.status).toBe(201);
    const [hr, ld] = (await call(app, "GET", `/v1/organisations/${otherId}`, { key: operator })).body.licences as { id: string; number: string }[];
    const suspend = (id: string) => call(app, "POST", `/v1/licences/${id}/suspend`, { key: operator, body: { reason: "inspection found no office at the registered address" } });
    // one of two licences suspended: 20 points off, still blue (a valid licence remains), the offer stands
    expect((await suspend(ld!.id)).status).toBe(200);
    expect(await score()).toMatchObject({ transitions: 0 });
    let h = await history(other, otherId);
    expect(h.body).toMatchObject({ colour: "blue", points: "80.00" });
    expect(h.body.lines[0]).toMatchObject({ kind: "licence_invalid", reason: `licence ${ld!.number} suspended`, points: "-20.00" });
    expect((await call(app, "GET", `/v1/orders/${offer.body.id}`, { key: other })).body.state).toBe("open");
    // the other one too: no valid licence, black at once, the offer cancelled through the sequencer
    expect((await suspend(hr!.id)).status).toBe(200);
    expect(await score()).toMatchObject({ transitions: 1, toldSequencer: 1 });
    h = await history(other, otherId);
    expect(h.body).toMatchObject({ colour: "black", reason: { kind: "licence_invalid" }, points: "60.00" });
    expect((await call(app, "GET", `/v1/orders/${offer.body.id}`, { key: other })).body.state).toBe("cancelled");
    // scoring again records nothing more
    expect(await score()).toMatchObject({ licenceChanges: 0, transitions: 0 });
    // a licence downgrade is not appealed: a valid licence ends it
    const ap = await call(app, "POST", "/v1/trust/appeals", { key: other, body: { transitionId: h.body.transitions[0].id, grounds: "please" } });
    expect(ap.status).toBe(409);
    expect(ap.body.field).toBe("/body/transitionId");
    expect((await call(app, "POST", `/v1/licences/${hr!.id}/reinstate`, { key: operator, body: { reason: "office found" } })).status).toBe(200);
    expect(await score()).toMatchObject({ transitions: 1, toldSequencer: 1 });
    expect((await history(other, otherId)).body).toMatchObject({ colour: "blue", points: "60.00" });
    expect((await call(app, "POST", "/v1/orders", { key: other, body: { side: "supply", market: market(13, "cleaner"), quantity: 1, rateFen: RATE } })).status).toBe(201);
    // the public page lists the licence losses among penalties
    const pub = await call(app, "GET", `/v1/public/agencies/${otherId}`);
    expect(pub.body.penalties).toEqual([expect.objectContaining({ kind: "licence_invalid", points: "-20.00" }), expect.objectContaining({ kind: "licence_invalid", points: "-20.00" })]);
    expect(pub.body.licences.map((l: { status: string }) => l.status).sort()).toEqual(["suspended", "valid"]);
  });

  it("operators record commendations and penalties with a reason and document reference; bad input names the field", async () => {
    const id = org("demo agency 0004");
    const post = (body: unknown, key = operator) => call(app, "POST", `/v1/trust/organisations/${id}/records`, { key, body });
    const good = { kind: "commendation", points: 5, reason: "Staffed the flood relief site at a day's notice", documentRef: "渝人社函〔2026〕88号" };
    for (const [body, field] of [
      [{ ...good, points: 0 }, "/body/points"],
      [{ ...good, points: 51 }, "/body/points"], // above operatorMaxPoints
      [{ ...good, reason: "" }, "/body/reason"],
      [{ ...good, documentRef: "   " }, "/body/documentRef"],
      [{ ...good, serious: true }, "/body/serious"],
      [{ ...good, reason: "call the foreman on 13800138000" }, "/body/reason"],
      [{ ...good, kind: "bonus" }, "/body/kind"],
    ] as const) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.field).toBe(field);
    }
    // the agency's own worker named in a public text: refused
    const w = await worker(other);
    const named = await post({ ...good, reason: `thanks to ${w.name} for the extra night` });
    expect(named.status).toBe(400);
    expect(named.body.field).toBe("/body/reason");
    expect((await post(good, other)).status).toBe(403);
    expect((await call(app, "POST", "/v1/trust/organisations/org_nope/records", { key: operator, body: good })).status).toBe(404);
    const r = await post(good);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ event: { kind: "commendation", points: 5, documentRef: good.documentRef }, colour: "blue" });
  });

  it("the arrears warning is for operators and the regulator; reliability is served to agencies and workers", async () => {
    const ar = await call(app, "GET", "/v1/trust/arrears", { key: regulator });
    expect(ar.status).toBe(200);
    expect(ar.body).toMatchObject({ settlementWindowDays: 3, total: { all: { count: 0, amountFen: 0 } }, oldest: [] });
    expect((await call(app, "GET", "/v1/trust/arrears", { key: operator })).status).toBe(200);
    expect((await call(app, "GET", "/v1/trust/arrears", { key: agency })).status).toBe(403);
    const entId = org("demo enterprise 0001");
    const rel = await call(app, "GET", `/v1/trust/reliability?enterpriseIds=${entId}`, { cookie: workers[0]!.cookie });
    expect(rel.status, JSON.stringify(rel.body)).toBe(200);
    expect(rel.body.items[0]).toMatchObject({ enterpriseId: entId, reliability: { lateCancellation: { numerator: 0 }, dispute: { denominator: 0 } } });
    const badIds = await call(app, "GET", "/v1/trust/reliability?enterpriseIds=a,,b", { key: agency });
    expect(badIds.status).toBe(400);
    expect(badIds.body.field).toMatch(/enterpriseIds/);
  });

  it("the public directory pages by cursor and searches by district, skill and name; bad queries name the field", async () => {
    const all = await call(app, "GET", "/v1/public/agencies?limit=1");
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(1);
    expect(all.body.next).toEqual(expect.any(String));
    const page2 = await call(app, "GET", `/v1/public/agencies?limit=1&cursor=${all.body.next}`);
    expect(page2.body.items[0].id > all.body.items[0].id).toBe(true);
    const agencyId = org("demo agency 0005");
    const welders = await call(app, "GET", "/v1/public/agencies?skill=welder&district=500107");
    expect(welders.status).toBe(200);
    for (const a of welders.body.items) expect(a.districtCode).toBe("500107");
    const orgView = (await call(app, "GET", `/v1/organisations/${agencyId}`, { key: operator })).body;
    if (orgView.districtCode === "500107") expect(welders.body.items.map((a: { id: string }) => a.id)).toContain(agencyId);
    expect((await call(app, "GET", "/v1/public/agencies?skill=astronaut")).body.items).toEqual([]);
    const byName = await call(app, "GET", `/v1/public/agencies?q=${encodeURIComponent(orgView.name.slice(0, 4))}`);
    expect(byName.body.items.map((a: { id: string }) => a.id)).toContain(agencyId);
    for (const [query, field] of [["district=abc", "/querystring/district"], ["cursor=%21%21", "/querystring/cursor"], ["limit=0", "/querystring/limit"], ["colour=red", "/querystring"]] as const) {
      const r = await call(app, "GET", `/v1/public/agencies?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.field ?? "", query).toContain(field.replace("/querystring", "") === "" ? "" : field.split("/").pop()!);
    }
    expect((await call(app, "GET", `/v1/public/agencies/${org("demo enterprise 0001")}`)).status).toBe(404);
    const settings = await call(app, "GET", "/v1/public/trust-settings");
    expect(settings.body.inForce).toMatchObject({ version: "2026-1", thresholds: { blackBelow: 60, redAtLeast: 110 } });
    expect(settings.body.versions).toEqual([expect.objectContaining({ version: "2026-1", inForce: true })]);
    for (const page of ["/agencies", `/agencies/${agencyId}`, "/trust/settings", "/assets/agencies.js"]) {
      const r = await fetch(`${app.baseUrl}${page}`);
      expect(r.status, page).toBe(200);
    }
  });
});
