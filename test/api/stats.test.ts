// Placement statistics from a month of real trades and shifts over HTTP, on PGlite and PostgreSQL: orders,
// fills, staffing, confirmation, check-in and -out, approval and settlement, with an empty seat refunded and an
// order left unfilled. The totals and every breakdown equal what this test computes on its own from what it did,
// and they reconcile with the ledger (wages paid = the wage and withholding postings) and with the contract rows
// (placements = seats contracted − seats refunded = settlements). The regulator and operators read it all, as
// JSON or CSV; the public sees the city's totals only; nobody else gets in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { residentIdWithChecksum } from "../../src/parties";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

const HOUR = 3_600_000;
const MIN = 60_000;
const start = (day: number) => Date.UTC(2026, 11, day, 0, 0); // 08:00 Shanghai, slot D1 (paid 8 h)

interface Trade { day: number; skill: string; district: string; rate: number; ordered: number; offered: number; staffed: number[]; waitH: number }
// Worker key groups: 0 migrant; 1 graduate; 2 both; 3 none; 4 migrant.
const GROUPS: string[][] = [["migrant_worker"], ["college_graduate"], ["migrant_worker", "college_graduate"], [], ["migrant_worker"]];
const TRADES: Trade[] = [
  { day: 3, skill: "general-labourer", district: "500107", rate: 3000, ordered: 3, offered: 2, staffed: [0, 1], waitH: 2 },
  { day: 5, skill: "welder", district: "500107", rate: 4000, ordered: 1, offered: 1, staffed: [2], waitH: 5 },
  { day: 9, skill: "general-labourer", district: "500103", rate: 3100, ordered: 2, offered: 2, staffed: [0], waitH: 1 }, // one seat left empty: refunded
  { day: 11, skill: "welder", district: "500103", rate: 4200, ordered: 2, offered: 2, staffed: [3, 4], waitH: 3 },
  { day: 16, skill: "general-labourer", district: "500107", rate: 3000, ordered: 4, offered: 3, staffed: [1, 2, 3], waitH: 2 },
  { day: 23, skill: "welder", district: "500107", rate: 4100, ordered: 1, offered: 1, staffed: [0], waitH: 4 },
  { day: 28, skill: "general-labourer", district: "500103", rate: 2900, ordered: 2, offered: 0, staffed: [], waitH: 0 }, // nobody offers
];

const isoWeek = (day: number) => (day <= 6 ? "2026-W49" : day <= 13 ? "2026-W50" : day <= 20 ? "2026-W51" : day <= 27 ? "2026-W52" : "2026-W53");

/** What the statistics must say, computed here from the table (nearest-rank median, one-decimal half-even percentages). */
function expectedRow(trades: Trade[], byGroup?: string) {
  const placed = trades.flatMap((t) => t.staffed.map((w) => ({ w, wage: t.rate * 8 }))).filter((p) => byGroup === undefined || GROUPS[p.w]!.includes(byGroup));
  const ordered = trades.reduce((s, t) => s + t.ordered, 0);
  const filled = trades.reduce((s, t) => s + t.offered, 0);
  const waits = trades.flatMap((t) => Array.from({ length: t.offered }, () => t.waitH)).sort((a, b) => a - b);
  const pct = ordered === 0 ? null : (Math.round((filled * 1000) / ordered) / 10).toFixed(1);
  return {
    placements: placed.length,
    workersPlaced: new Set(placed.map((p) => p.w)).size,
    demandHeadcount: byGroup === undefined ? ordered : null,
    filledHeadcount: byGroup === undefined ? filled : null,
    fillRatePercent: byGroup === undefined ? pct : null,
    medianTimeToFillHours: byGroup === undefined && waits.length > 0 ? waits[Math.max(1, Math.ceil(waits.length / 2)) - 1]!.toFixed(1) : null,
    wagesPaidFen: placed.reduce((s, p) => s + p.wage, 0),
    wagesPaid: (placed.reduce((s, p) => s + p.wage, 0) / 100).toFixed(2),
  };
}

describe.each(backends)("statistics from a month of trades and shifts on $name", (backend) => {
  const clock = fixedClock(new Date(Date.UTC(2026, 11, 1, 6, 0)));
  let app: TestApp;
  let operator: string, regulator: string, ent: string, agency: string;
  const workers: { id: string; cookie: string }[] = [];
  const at = (ms: number) => clock.set(new Date(ms));

  async function login(phone: string) {
    const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
    const ok = await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } });
    return ok.headers.get("set-cookie")!.split(";")[0]!;
  }

  beforeAll(async () => {
    // The month outlasts the default 7-day session: the workers stay logged in throughout.
    app = await startTestApp(backend, { clock, contractLoops: false, env: { SESSION_TTL_SECONDS: String(60 * 86_400) } });
    operator = app.key("demo operator");
    regulator = app.key("demo regulator");
    ent = app.key("demo enterprise 0001");
    agency = app.key("demo agency 0004");
    const t = await call(app, "POST", "/v1/top-ups", { key: ent, body: { amountFen: 10_000_000 } });
    await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 10_000_000, bankTransactionId: "BANK-STATS-1" } });
    for (let i = 0; i < GROUPS.length; i++) {
      const phone = `+86137${String(70_000_000 + i).padStart(8, "0")}`;
      const r = await call(app, "POST", "/v1/workers", {
        key: agency,
        body: {
          realName: `统计工人${i}`, residentId: residentIdWithChecksum(`500107199001${String(10 + i)}${String(300 + i)}`.slice(0, 17)), phone, districtCode: "500107",
          skills: [{ skillId: "general-labourer", level: 0 }, { skillId: "welder", level: 3 }], keyGroups: GROUPS[i],
        },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      workers.push({ id: r.body.id, cookie: await login(phone) });
    }

    for (const tr of TRADES) {
      const D = start(tr.day);
      const market = `${tr.skill}.${tr.district}.2026-12-${String(tr.day).padStart(2, "0")}.D1`;
      at(D - 30 * HOUR);
      const d = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market, quantity: tr.ordered, rateFen: tr.rate } });
      expect(d.status, JSON.stringify(d.body)).toBe(201);
      if (tr.offered === 0) continue;
      at(D - 30 * HOUR + tr.waitH * HOUR);
      const s = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market, quantity: tr.offered, rateFen: tr.rate } });
      expect(s.body.fills, JSON.stringify(s.body)).toHaveLength(1);
      const contractId = s.body.fills[0].contractId as string;
      await app.built.contracts.sweep(); // the contract's workflow starts (the bus already did; this is idempotent)
      const shifts: { shiftId: string; cookie: string }[] = [];
      for (const [i, w] of tr.staffed.entries()) {
        const a = await call(app, "POST", `/v1/contracts/${contractId}/assignments`, { key: agency, body: { seat: i + 1, workerId: workers[w]!.id } });
        expect(a.status, JSON.stringify(a.body)).toBe(200);
        const shiftId = (await call(app, "GET", `/v1/contracts/${contractId}/workflow`, { key: agency })).body.seats[i].shiftId as string;
        expect((await call(app, "POST", `/v1/shifts/${shiftId}/confirm`, { cookie: workers[w]!.cookie })).status).toBe(200);
        shifts.push({ shiftId, cookie: workers[w]!.cookie });
      }
      at(D - 5 * MIN);
      await app.built.contracts.runtime.fireDueTimers(); // an empty seat is refunded at the staffing deadline
      for (const sh of shifts) {
        const code = (await call(app, "GET", "/v1/site/code", { key: ent })).body.code;
        const c = await call(app, "POST", `/v1/shifts/${sh.shiftId}/check-in`, { cookie: sh.cookie, body: { code } });
        expect(c.status, JSON.stringify(c.body)).toBe(200);
      }
      at(D + HOUR);
      await app.built.contracts.runtime.fireDueTimers();
      at(D + 9 * HOUR + 5 * MIN);
      for (const sh of shifts) {
        const code = (await call(app, "GET", "/v1/site/code", { key: ent })).body.code;
        expect((await call(app, "POST", `/v1/shifts/${sh.shiftId}/check-out`, { cookie: sh.cookie, body: { code } })).body).toMatchObject({ recordedMinutes: 480 });
      }
      await app.built.contracts.runtime.fireDueTimers();
      at(D + 9 * HOUR + 10 * MIN);
      for (const sh of shifts) {
        const ap = await call(app, "POST", `/v1/shifts/${sh.shiftId}/approve`, { key: ent, body: {} });
        expect(ap.body, JSON.stringify(ap.body)).toMatchObject({ state: "approved", paid: { minutes: 480 } });
      }
    }
    at(start(30));
  }, 300_000);
  afterAll(async () => app?.close());

  const Q = "from=2026-W49&to=2026-W53";

  it("gives city totals and breakdowns equal to an independent computation", async () => {
    const r = await call(app, "GET", `/v1/stats?${Q}`, { key: regulator });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const s = r.body;
    expect(s.city).toEqual({ key: {}, ...expectedRow(TRADES) });
    // by hand: 10 placements of 5 workers; 11 of 15 filled; the 6th of 11 waits is 2 h
    expect(s.city).toMatchObject({ placements: 10, workersPlaced: 5, demandHeadcount: 15, filledHeadcount: 11, fillRatePercent: "73.3", medianTimeToFillHours: "2.0" });
    expect(s.byDistrict).toEqual(["500103", "500107"].map((d) => ({ key: { district: d }, ...expectedRow(TRADES.filter((t) => t.district === d)) })));
    expect(s.bySkill).toEqual(["general-labourer", "welder"].map((k) => ({ key: { skill: k }, ...expectedRow(TRADES.filter((t) => t.skill === k)) })));
    expect(s.byWeek).toEqual(["2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53"].map((w) => ({ key: { week: w }, ...expectedRow(TRADES.filter((t) => isoWeek(t.day) === w)) })));
    expect(s.byKeyGroup).toEqual(["college_graduate", "migrant_worker"].map((g) => ({ key: { keyGroup: g }, ...expectedRow(TRADES, g) })));
    expect(s.byKeyGroup[1]).toMatchObject({ placements: 6, workersPlaced: 3 });

    // a combined breakdown, and the operator reads the same
    const combined = await call(app, "GET", `/v1/stats?${Q}&by=district,skill`, { key: operator });
    expect(combined.body.rows).toEqual(
      [["500103", "general-labourer"], ["500103", "welder"], ["500107", "general-labourer"], ["500107", "welder"]].map(([d, k]) => ({
        key: { district: d, skill: k },
        ...expectedRow(TRADES.filter((t) => t.district === d && t.skill === k)),
      })),
    );
  });

  it("reconciles with the ledger (wages paid) and the contract rows (placements)", async () => {
    const { city } = (await call(app, "GET", `/v1/stats?${Q}`, { key: regulator })).body;
    const sql = app.database.db.sql;
    const ledger = await sql.query<{ sum: string }>(`SELECT COALESCE(sum("amount"), 0)::text AS "sum" FROM "ledger_transfers" WHERE "code" IN ('wages', 'tax_withheld')`);
    expect(BigInt(ledger.rows[0]!.sum)).toBe(BigInt(city.wagesPaidFen));
    const contracted = await sql.query<{ seats: string }>(`SELECT COALESCE(sum("headcount"), 0)::text AS "seats" FROM "contracts"`);
    const refunded = await sql.query<{ n: string }>(`SELECT count(*)::text AS "n" FROM "seat_settlements" WHERE "kind" = 'refunded'`);
    const settled = await sql.query<{ n: string }>(`SELECT count(*)::text AS "n" FROM "seat_settlements" WHERE "kind" = 'settled' AND "minutes" > 0`);
    expect(Number(contracted.rows[0]!.seats) - Number(refunded.rows[0]!.n)).toBe(city.placements);
    expect(Number(settled.rows[0]!.n)).toBe(city.placements);
    expect(Number(refunded.rows[0]!.n)).toBe(1);
    // the supplier's payable received exactly the wages (no independent worker here, so nothing withheld)
    const payable = await call(app, "GET", `/v1/accounts/${encodeURIComponent(`supplier_payable:${app.demo.keys.find((k) => k.label === "demo agency 0004")!.organisationId}:CNY`)}`, { key: operator });
    expect(payable.body.creditsPostedFen - payable.body.debitsPostedFen).toBe(city.wagesPaidFen);
  });

  it("exports the same figures as CSV, and shows the public the city's totals only", async () => {
    const json = (await call(app, "GET", `/v1/stats?${Q}`, { key: regulator })).body;
    const res = await fetch(`${app.baseUrl}/v1/stats?${Q}&format=csv`, { headers: { authorization: `Bearer ${regulator}` } });
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(await res.arrayBuffer());
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines = text.slice(1).trimEnd().split("\r\n").map((l) => l.split(","));
    expect(lines[0]).toEqual(["district", "skill", "key_group", "week", "placements", "workers_placed", "demand_headcount", "filled_headcount", "fill_rate_percent", "median_time_to_fill_hours", "wages_paid_fen", "wages_paid_yuan"]);
    const c = json.city;
    expect(lines[1]).toEqual(["", "", "", "", c.placements, c.workersPlaced, c.demandHeadcount, c.filledHeadcount, c.fillRatePercent, c.medianTimeToFillHours, c.wagesPaidFen, c.wagesPaid].map(String));
    expect(lines).toHaveLength(1 + 1 + json.byDistrict.length + json.bySkill.length + json.byKeyGroup.length + json.byWeek.length);
    const viaAccept = await fetch(`${app.baseUrl}/v1/stats?${Q}&by=week`, { headers: { authorization: `Bearer ${regulator}`, accept: "text/csv" } });
    expect((await viaAccept.text()).trimEnd().split("\r\n")).toHaveLength(1 + json.byWeek.length);

    const pub = await call(app, "GET", `/v1/public/stats?${Q}`);
    expect(pub.status).toBe(200);
    expect(pub.body).toEqual({ fromWeek: "2026-W49", toWeek: "2026-W53", placements: c.placements, workersPlaced: c.workersPlaced, fillRatePercent: c.fillRatePercent, medianTimeToFillHours: c.medianTimeToFillHours, wagesPaid: c.wagesPaid });

    for (const key of [ent, agency]) expect((await call(app, "GET", `/v1/stats?${Q}`, { key })).status).toBe(403);
    expect((await call(app, "GET", `/v1/stats?${Q}`)).status).toBe(401);
    expect((await call(app, "GET", `/v1/stats?${Q}`, { cookie: workers[0]!.cookie })).status).toBe(403);
    expect((await call(app, "GET", "/v1/stats?by=colour", { key: regulator })).body).toMatchObject({ status: 400, field: "/querystring/by" });
    expect((await call(app, "GET", "/v1/stats?from=2026-W53&to=2026-W49", { key: regulator })).body).toMatchObject({ status: 400, field: "/querystring/from" });
  });
});
