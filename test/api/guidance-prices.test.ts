// Guidance prices from real trades over HTTP, on PGlite and PostgreSQL: the figures per skill × district × week
// equal what this test computes on its own from the trades it made (VWAP half-even, nearest-rank percentiles
// weighted by headcount), JSON and CSV carry the same rows, bad filters are 400 naming the field, and an order far
// outside the band is placed all the same with the flag in its answer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

const date = (day: number) => `2026-12-${String(day).padStart(2, "0")}`;
const market = (day: number, skill = "welder", district = "500107") => `${skill}.${district}.${date(day)}.D1`;

/** Independent of src/: VWAP half-even, nearest-rank weighted percentiles. */
function expected(trades: { rate: number; qty: number }[]) {
  const qty = trades.reduce((s, t) => s + t.qty, 0);
  const amount = trades.reduce((s, t) => s + t.rate * t.qty, 0);
  const q = Math.floor(amount / qty);
  const r = amount - q * qty;
  const vwap = 2 * r > qty || (2 * r === qty && q % 2 === 1) ? q + 1 : q;
  const sorted = trades.flatMap((t) => Array.from({ length: t.qty }, () => t.rate)).sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.max(1, Math.ceil((p * qty) / 100)) - 1];
  return { trades: trades.length, headcount: qty, vwapFen: vwap, p25Fen: pct(25), medianFen: pct(50), p75Fen: pct(75), minFen: sorted[0], maxFen: sorted[sorted.length - 1] };
}

describe.each(backends)("guidance prices on $name", (backend) => {
  const clock = fixedClock(new Date(Date.UTC(2026, 11, 1, 6, 0)));
  let app: TestApp;
  let operator: string;
  let ent: string;
  let agency: string;
  let serial = 0;

  async function trade(m: string, rate: number, qty: number) {
    const d = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: m, quantity: qty, rateFen: rate } });
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    const s = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market: m, quantity: qty, rateFen: rate } });
    expect(s.status, JSON.stringify(s.body)).toBe(201);
    expect(s.body.fills).toHaveLength(1);
  }

  // W49 is 2026-11-30 … 12-06, W50 12-07 … 12-13, W51 12-14 … 12-20.
  const W49 = [{ day: 3, rate: 3000, qty: 3 }, { day: 4, rate: 3200, qty: 2 }, { day: 5, rate: 3500, qty: 1 }, { day: 5, rate: 2800, qty: 1 }];
  const W50 = [{ day: 8, rate: 3000, qty: 2 }, { day: 9, rate: 3100, qty: 4 }, { day: 10, rate: 3300, qty: 1 }];
  const OTHER = [{ day: 8, rate: 2500, qty: 2 }]; // general-labourer in the same district and week

  beforeAll(async () => {
    app = await startTestApp(backend, { clock, contractLoops: false });
    operator = app.key("demo operator");
    ent = app.key("demo enterprise 0001");
    agency = app.key("demo agency 0004");
    const t = await call(app, "POST", "/v1/top-ups", { key: ent, body: { amountFen: 10_000_000 } });
    await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 10_000_000, bankTransactionId: `BANK-GP-${++serial}` } });
    for (const x of [...W49, ...W50]) await trade(market(x.day), x.rate, x.qty);
    for (const x of OTHER) await trade(market(x.day, "general-labourer"), x.rate, x.qty);
  });
  afterAll(async () => app?.close());

  it("computes count, VWAP and weighted percentiles per skill × district × week, equal to an independent computation", async () => {
    const r = await call(app, "GET", "/v1/public/guidance-prices?skill=welder&district=500107&from=2026-W48&to=2026-W52");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.fromWeek).toBe("2026-W48");
    expect(r.body.toWeek).toBe("2026-W52");
    expect(r.body.items).toEqual([
      { skill: "welder", district: "500107", week: "2026-W49", weekStart: "2026-11-30", ...expected(W49) },
      { skill: "welder", district: "500107", week: "2026-W50", weekStart: "2026-12-07", ...expected(W50) },
    ]);
    // 3×3000 + 2×3200 + 3500 + 2800 = 21 700 over 7 → 3100; weighted ranks: p25 → 2nd of 7 = 3000, median → 4th = 3000, p75 → 6th = 3200
    expect(r.body.items[0]).toMatchObject({ vwapFen: 3100, p25Fen: 3000, medianFen: 3000, p75Fen: 3200, headcount: 7, trades: 4 });

    // no filter: every skill and district in the default range (which reaches the trading horizon)
    const all = await call(app, "GET", "/v1/public/guidance-prices");
    expect(all.status).toBe(200);
    expect(all.body.items.map((p: { skill: string; week: string }) => `${p.skill}/${p.week}`)).toEqual(["general-labourer/2026-W50", "welder/2026-W49", "welder/2026-W50"]);
    // a week range excludes
    const one = await call(app, "GET", "/v1/public/guidance-prices?from=2026-W50&to=2026-W50&district=500107");
    expect(one.body.items.map((p: { skill: string }) => p.skill)).toEqual(["general-labourer", "welder"]);
    expect((await call(app, "GET", "/v1/public/guidance-prices?district=500103")).body.items).toEqual([]);
  });

  it("serves the same rows as CSV (format=csv or Accept: text/csv) through the one CSV writer", async () => {
    const json = (await call(app, "GET", "/v1/public/guidance-prices?skill=welder&from=2026-W48&to=2026-W52")).body.items;
    const variants: { path: string; headers: Record<string, string> }[] = [
      { path: "?skill=welder&from=2026-W48&to=2026-W52&format=csv", headers: {} },
      { path: "?skill=welder&from=2026-W48&to=2026-W52", headers: { accept: "text/csv" } },
    ];
    for (const variant of variants) {
      const res = await fetch(`${app.baseUrl}/v1/public/guidance-prices${variant.path}`, { headers: variant.headers });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="guidance-prices-2026-W48-2026-W52\.csv"/);
      // fetch's text() drops a byte order mark: read the bytes
      const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(await res.arrayBuffer());
      expect(text.startsWith("\uFEFFskill,district,week,week_start,trades,headcount,vwap_fen,vwap_yuan,p25_fen,median_fen,p75_fen,min_fen,max_fen\r\n")).toBe(true);
      const lines = text.slice(1).trimEnd().split("\r\n").slice(1).map((l) => l.split(","));
      expect(lines).toEqual(json.map((p: Record<string, number | string>) => [p.skill, p.district, p.week, p.weekStart, p.trades, p.headcount, p.vwapFen, (Number(p.vwapFen) / 100).toFixed(2), p.p25Fen, p.medianFen, p.p75Fen, p.minFen, p.maxFen].map(String)));
    }
    // JSON stays the default, and wins when both are acceptable in that order
    const res = await fetch(`${app.baseUrl}/v1/public/guidance-prices`, { headers: { accept: "application/json, text/csv" } });
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it.each([
    ["from=2026-W60", "/querystring/from"],
    ["to=2025-W53", "/querystring/to"],
    ["from=2026-W50&to=2026-W49", "/querystring/from"],
    ["from=2024-W01&to=2026-W50", "/querystring/to"],
    ["skill=astronaut", "/querystring/skill"],
    ["district=999999", "/querystring/district"],
    ["format=xml", "/querystring/format"],
    ["limit=5", "/querystring/limit"],
  ])("refuses %s naming %s", async (query, field) => {
    const r = await call(app, "GET", `/v1/public/guidance-prices?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.field).toBe(field);
  });

  it("flags an order far outside the recent band to the organisation placing it, and places it all the same", async () => {
    await app.built.marketdata.service.refreshBands();
    // an order for W51 is checked against W50 (the latest look-back week with at least 5 placed workers): p25 3000, median 3100, p75 3100;
    // margin = max(1.5 × 100, 10 % of 3100) = 310 → not flagged from 2690 to 3410
    const W50p = expected(W50);
    expect(W50p).toMatchObject({ p25Fen: 3000, medianFen: 3100, p75Fen: 3100 });
    const far = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: market(16), quantity: 1, rateFen: 4500 } });
    expect(far.status).toBe(201);
    expect(far.body.state).toBe("open");
    expect(far.body.guidance).toEqual({
      flagged: true,
      direction: "above",
      band: { week: "2026-W50", headcount: 7, p25Fen: 3000, medianFen: 3100, p75Fen: 3100, vwapFen: W50p.vwapFen, lowerFen: 2690, upperFen: 3410 },
    });
    const low = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market: market(17), quantity: 1, rateFen: 5000 } });
    expect(low.body.guidance).toMatchObject({ flagged: true, direction: "above" });
    const inside = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: market(16), quantity: 1, rateFen: 3400 } });
    expect(inside.body.guidance).toMatchObject({ flagged: false, direction: null, band: { week: "2026-W50", lowerFen: 2690, upperFen: 3410 } });
    // a market with no band: nothing to flag
    const none = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: market(16, "welder", "500103"), quantity: 1, rateFen: 4500 } });
    expect(none.status).toBe(201);
    expect(none.body.guidance).toEqual({ flagged: false, direction: null, band: null });
    // the flag is the placing organisation's: the stored order does not carry it to anyone
    const stored = await call(app, "GET", `/v1/orders/${far.body.id}`, { key: operator });
    expect(stored.body.guidance).toBeUndefined();
    // a replay answers the same flag
    const key = "gp-replay-1";
    const first = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: market(18), quantity: 1, rateFen: 2600 }, headers: { "idempotency-key": key } });
    const again = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: market(18), quantity: 1, rateFen: 2600 }, headers: { "idempotency-key": key } });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.guidance).toMatchObject({ flagged: true, direction: "below" });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.guidance).toEqual(first.body.guidance);
  });
});
