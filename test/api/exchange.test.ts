// The exchange over real HTTP on PGlite and PostgreSQL: markets, pre-trade escrow, matching into contracts,
// amendments, shared staffing at cost, retries, and every kind of bad input refused with nothing changed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { creditCodeWithChecksum } from "../../src/parties";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

// 14:00 in Chongqing on 2026-12-01: tomorrow's day shift is 18 hours away, today's evening shift 3.
const NOW = new Date("2026-12-01T06:00:00Z");
const DAY = "welder.500107.2026-12-02.D1"; // 8 paid hours; minimum wage in 500107: 2100 fen/h
const unit = (rateFen: number) => rateFen * 8 + Math.round(rateFen * 8 * 0.05); // per head, fee included (no half fen at these rates)

describe.each(backends)("exchange API on $name", (backend) => {
  let app: TestApp;
  let operator: string;
  let ent: string; // enterprise 0001
  let ent2: string; // enterprise 0002
  let agency: string; // agency 0004 (licensed)
  let agency2: string; // agency 0005
  let lender: string; // lending enterprise 0007
  const org = (label: string) => app.demo.keys.find((k) => k.label === label)!.organisationId!;
  const wallet = (label: string) => `wallet:${org(label)}:CNY`;
  let serial = 0;

  async function fund(key: string, fen: number) {
    const t = await call(app, "POST", "/v1/top-ups", { key, body: { amountFen: fen } });
    expect(t.status).toBe(201);
    const c = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: fen, bankTransactionId: `BANK-X-${++serial}` } });
    expect(c.status).toBe(200);
  }
  async function account(id: string) {
    const r = await call(app, "GET", `/v1/accounts/${encodeURIComponent(id)}`, { key: operator });
    return r.status === 200 ? r.body : { availableFen: 0, debitsPendingFen: 0, creditsPostedFen: 0, debitsPostedFen: 0 };
  }
  const place = (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => call(app, "POST", "/v1/orders", { key, body, headers });

  beforeAll(async () => {
    app = await startTestApp(backend, { clock: fixedClock(NOW) });
    operator = app.key("demo operator");
    ent = app.key("demo enterprise 0001");
    ent2 = app.key("demo enterprise 0002");
    agency = app.key("demo agency 0004");
    agency2 = app.key("demo agency 0005");
    lender = app.key("demo lending enterprise 0007");
    await fund(ent, 10_000_000);
    await fund(ent2, 1_000_000);
  });
  afterAll(async () => app?.close());

  it("lists markets from the catalogue within the horizon, paged, with the market's grid", async () => {
    const r = await call(app, "GET", "/v1/markets?skill=welder&district=500107&date=2026-12-02", { key: agency });
    expect(r.status).toBe(200);
    expect(r.body.items.map((m: { id: string }) => m.id)).toEqual([
      "welder.500107.2026-12-02.D1",
      "welder.500107.2026-12-02.E1",
      "welder.500107.2026-12-02.M1",
      "welder.500107.2026-12-02.N1",
    ]);
    expect(r.body.items[0]).toMatchObject({
      skillId: "welder",
      districtCode: "500107",
      shiftStart: "2026-12-02T08:00:00.000+08:00",
      shiftEnd: "2026-12-02T17:00:00.000+08:00",
      paidHours: "8",
      minimumRateFen: 2100,
      tickFen: 50,
      bestDemandFen: null,
      openOrders: 0,
    });
    const p1 = await call(app, "GET", "/v1/markets?skill=welder&limit=3", { key: agency });
    const p2 = await call(app, "GET", `/v1/markets?skill=welder&limit=3&cursor=${p1.body.next}`, { key: agency });
    expect(p1.body.items).toHaveLength(3);
    expect(p2.body.items[0].id > p1.body.items[2].id || p2.body.items[0].id.split(".")[1] >= p1.body.items[2].id.split(".")[1]).toBe(true);
    expect(new Set([...p1.body.items, ...p2.body.items].map((m: { id: string }) => m.id)).size).toBe(6);
    expect((await call(app, "GET", "/v1/markets?skill=plumber-of-mars", { key: agency })).body).toMatchObject({ status: 400, field: "/querystring/skill" });
    expect((await call(app, "GET", "/v1/markets?date=2027-03-01", { key: agency })).body).toMatchObject({ status: 400, field: "/querystring/date" });
  });

  it("holds a demand order's money, matches a crossing offer into a contract with its escrow, and shows book and trades", async () => {
    const before = await account(wallet("demo enterprise 0001"));
    const d = await place(ent, { side: "demand", market: DAY, quantity: 3, rateFen: 3000, clientOrderId: "d-1" });
    expect(d.status).toBe(201);
    expect(d.body).toMatchObject({ side: "demand", state: "open", quantity: 3, remaining: 3, filled: 0, rateFen: 3000, timeInForce: "good_till", holdFen: 3 * unit(3000) });
    // good-till defaults to shift start less the staffing lead (2 hours)
    expect(d.body.goodTill).toBe("2026-12-02T06:00:00.000+08:00");
    const held = await account(wallet("demo enterprise 0001"));
    expect(held.availableFen).toBe(before.availableFen - 3 * unit(3000));
    expect(held.debitsPendingFen).toBe(before.debitsPendingFen + 3 * unit(3000));

    const book = await call(app, "GET", `/v1/markets/${DAY}/book`, { key: agency });
    expect(book.body).toMatchObject({ market: DAY, demand: [{ rateFen: 3000, qty: 3, orders: 1 }], supply: [] });
    expect(JSON.stringify(book.body)).not.toContain(org("demo enterprise 0001"));

    // an agency offers 2 at 2800: they trade at the resting demand's rate, 3000
    const s = await place(agency, { side: "supply", market: DAY, quantity: 2, rateFen: 2800 });
    expect(s.status).toBe(201);
    expect(s.body).toMatchObject({ state: "filled", filled: 2, remaining: 0, holdFen: 0 });
    expect(s.body.fills).toHaveLength(1);
    const fill = s.body.fills[0];
    expect(fill).toMatchObject({ rateFen: 3000, qty: 2 });

    const demand = await call(app, "GET", `/v1/orders/${d.body.id}`, { key: ent });
    expect(demand.body).toMatchObject({ state: "open", remaining: 1, filled: 2, holdFen: unit(3000) });
    expect(demand.body.fills).toEqual([fill]);

    const contract = await call(app, "GET", `/v1/contracts/${fill.contractId}`, { key: agency });
    expect(contract.status).toBe(200);
    expect(contract.body).toMatchObject({
      fillId: fill.fillId,
      market: DAY,
      enterpriseId: org("demo enterprise 0001"),
      supplierId: org("demo agency 0004"),
      demandOrderId: d.body.id,
      supplyOrderId: s.body.id,
      headcount: 2,
      rateFen: 3000,
      shared: false,
      escrowFen: 2 * unit(3000),
      state: "staffing",
      shiftStart: "2026-12-02T08:00:00.000+08:00",
    });
    const escrow = await account(contract.body.escrowAccountId);
    expect(escrow.creditsPostedFen).toBe(2 * unit(3000));
    // wallet available + holds + escrow = paid in
    const after = await account(wallet("demo enterprise 0001"));
    expect(after.availableFen + after.debitsPendingFen + escrow.creditsPostedFen).toBe(before.availableFen + before.debitsPendingFen);

    // the other parties do not see it; both parties list it
    expect((await call(app, "GET", `/v1/contracts/${fill.contractId}`, { key: ent2 })).status).toBe(404);
    expect((await call(app, "GET", "/v1/contracts", { key: ent })).body.items.map((c: { id: string }) => c.id)).toContain(fill.contractId);
    expect((await call(app, "GET", "/v1/contracts", { key: agency2 })).body.items.map((c: { id: string }) => c.id)).not.toContain(fill.contractId);

    const trades = await call(app, "GET", `/v1/markets/${DAY}/trades`, { key: lender });
    expect(trades.body.items[0]).toMatchObject({ fillId: fill.fillId, rateFen: 3000, qty: 2, aggressor: "supply", shared: false });
    const after2 = await call(app, "GET", `/v1/markets/${DAY}/book`, { key: agency });
    expect(after2.body.demand).toEqual([{ rateFen: 3000, qty: 1, orders: 1 }]);
    expect(after2.body.bookSeq).toBeGreaterThan(book.body.bookSeq);
    expect((await call(app, "GET", `/v1/markets/${DAY}`, { key: agency })).body).toMatchObject({ bestDemandFen: 3000, openOrders: 1 });

    // cancel releases the rest of the hold; a second cancel is a conflict
    const c = await call(app, "DELETE", `/v1/orders/${d.body.id}`, { key: ent });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ state: "cancelled", holdFen: 0, remaining: 1 });
    expect((await account(wallet("demo enterprise 0001"))).debitsPendingFen).toBe(before.debitsPendingFen);
    const again = await call(app, "DELETE", `/v1/orders/${d.body.id}`, { key: ent });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ state: "cancelled" });
  });

  it("an incoming demand order trades at the resting offer's rate and holds only what rests", async () => {
    const market = "welder.500107.2026-12-03.D1";
    const s = await place(agency2, { side: "supply", market, quantity: 2, rateFen: 2500 });
    expect(s.body.state).toBe("open");
    const before = await account(wallet("demo enterprise 0001"));
    const d = await place(ent, { side: "demand", market, quantity: 5, rateFen: 3500 });
    expect(d.status).toBe(201);
    expect(d.body).toMatchObject({ filled: 2, remaining: 3, state: "open", holdFen: 3 * unit(3500) });
    expect(d.body.fills[0]).toMatchObject({ rateFen: 2500, qty: 2 });
    const after = await account(wallet("demo enterprise 0001"));
    expect(before.availableFen - after.availableFen).toBe(2 * unit(2500) + 3 * unit(3500));
    expect(after.debitsPendingFen - before.debitsPendingFen).toBe(3 * unit(3500));
  });

  it("reduces (keeping priority) and re-rates an order, its hold following; only the owner may", async () => {
    const market = "welder.500107.2026-12-04.D1";
    const d = await place(ent, { side: "demand", market, quantity: 4, rateFen: 3000 });
    const d2 = await place(ent2, { side: "demand", market, quantity: 1, rateFen: 3000 });
    expect((await call(app, "PATCH", `/v1/orders/${d.body.id}`, { key: ent2, body: { quantity: 2 } })).status).toBe(404);
    expect((await call(app, "DELETE", `/v1/orders/${d.body.id}`, { key: ent2 })).status).toBe(404);
    expect((await call(app, "GET", `/v1/orders/${d.body.id}`, { key: ent2 })).status).toBe(404);
    const r = await call(app, "PATCH", `/v1/orders/${d.body.id}`, { key: ent, body: { quantity: 2 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ quantity: 2, remaining: 2, holdFen: 2 * unit(3000) });
    // still first in line: an offer of 1 trades with d, not d2
    const s = await place(agency, { side: "supply", market, quantity: 1, rateFen: 3000 });
    expect((await call(app, "GET", `/v1/contracts/${s.body.fills[0].contractId}`, { key: operator })).body.demandOrderId).toBe(d.body.id);
    const rr = await call(app, "PATCH", `/v1/orders/${d.body.id}`, { key: ent, body: { rateFen: 4000 } });
    expect(rr.status).toBe(200);
    expect(rr.body).toMatchObject({ rateFen: 4000, remaining: 1, holdFen: unit(4000) });
    expect((await call(app, "PATCH", `/v1/orders/${d.body.id}`, { key: ent, body: { quantity: 1, rateFen: 3000 } })).body).toMatchObject({ status: 400, field: "/body" });
    expect((await call(app, "PATCH", `/v1/orders/${d.body.id}`, { key: ent, body: { quantity: 5 } })).body).toMatchObject({ status: 400, field: "/body/quantity" });
    // cancel all of mine in the market
    const all = await call(app, "DELETE", `/v1/orders?market=${market}`, { key: ent });
    expect(all.body).toEqual({ cancelled: 1 });
    expect((await call(app, "GET", `/v1/orders/${d2.body.id}`, { key: ent2 })).body.state).toBe("open");
  });

  it("trades shared staffing at the offer's stated cost whichever side rested; the hold releases the difference", async () => {
    const market = "welder.500107.2026-12-05.D1";
    const d = await place(ent2, { side: "demand", market, quantity: 2, rateFen: 4000 });
    expect((await place(lender, { side: "supply", market, quantity: 1, rateFen: 2500 })).body).toMatchObject({ status: 400, field: "/body/shared" });
    const s = await place(lender, { side: "supply", market, quantity: 2, rateFen: 2500, shared: true });
    expect(s.status).toBe(201);
    expect(s.body.fills[0]).toMatchObject({ rateFen: 2500, qty: 2 });
    const c = await call(app, "GET", `/v1/contracts/${s.body.fills[0].contractId}`, { key: ent2 });
    expect(c.body).toMatchObject({ shared: true, rateFen: 2500, escrowFen: 2 * unit(2500) });
    expect((await call(app, "GET", `/v1/orders/${d.body.id}`, { key: ent2 })).body).toMatchObject({ state: "filled", holdFen: 0 });
    // an agency may not call its offer shared staffing
    expect((await place(agency, { side: "supply", market, quantity: 1, rateFen: 2500, shared: true })).body).toMatchObject({ status: 400, field: "/body/shared" });
  });

  it("returns the original order for a retried client order id or Idempotency-Key, and refuses a reused one", async () => {
    const market = "welder.500107.2026-12-06.D1";
    const body = { side: "demand", market, quantity: 1, rateFen: 2500, clientOrderId: "retry-1" };
    const first = await place(ent, body);
    const second = await place(ent, body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body.id).toBe(first.body.id);
    expect((await place(ent, { ...body, market: "welder.500107.2026-12-07.D1" })).body).toMatchObject({ status: 409, field: "/body/clientOrderId" });
    // another organisation may use the same client order id
    expect((await place(ent2, body)).status).toBe(201);
    const byKey = { side: "demand", market, quantity: 1, rateFen: 2500 };
    const k1 = await place(ent, byKey, { "idempotency-key": "place-key-1" });
    const k2 = await place(ent, byKey, { "idempotency-key": "place-key-1" });
    expect(k2.body.id).toBe(k1.body.id);
    const mine = await call(app, "GET", `/v1/orders?market=${market}`, { key: ent });
    expect(mine.body.items).toHaveLength(2);
  });

  it("refuses bad input naming the field, with nothing changed", async () => {
    const market = "welder.500107.2026-12-08.D1";
    // an agency without a licence, and a supplier rated black
    const unlicensed = await call(app, "POST", "/v1/organisations", {
      key: operator,
      body: { kind: "agency", name: "无证劳务 Unlicensed", creditCode: creditCodeWithChecksum(`91500107MA${String(1000 + serial).padStart(4, "0")}XX01`.slice(0, 17)), districtCode: "500107" },
    });
    expect(unlicensed.status).toBe(201);
    const unlicensedKey = (await call(app, "POST", `/v1/organisations/${unlicensed.body.id}/api-keys`, { key: operator, body: { label: "unlicensed" } })).body.apiKey;
    await app.database.db.sql.query(`UPDATE organisations SET colour = 'black' WHERE id = $1`, [org("demo agency 0006")]);
    const black = app.key("demo agency 0006");

    const walletBefore = await account(wallet("demo enterprise 0002"));
    const ordersBefore = (await call(app, "GET", "/v1/orders?limit=500", { key: operator })).body.items.length;
    const seqBefore = app.built.sequencer.seq;
    const demand = { side: "demand", market, quantity: 1, rateFen: 3000 };
    const refusals: Array<[string, Record<string, unknown>, string, number, string?]> = [
      [ent2, { ...demand, quantity: 0 }, "/body/quantity", 400],
      [ent2, { ...demand, quantity: -3 }, "/body/quantity", 400],
      [ent2, { ...demand, quantity: 1.5 }, "/body/quantity", 400],
      [ent2, { ...demand, rateFen: 3010 }, "/body/rateFen", 400],
      [ent2, { ...demand, rateFen: 2000 }, "/body/rateFen", 400, "minimum wage"],
      [ent2, { ...demand, market: "welder.500107.2026-11-30.D1" }, "/body/market", 400, "past"],
      [ent2, { ...demand, market: "welder.500107.2026-12-01.E1" }, "/body/market", 400, "close"],
      [ent2, { ...demand, market: "welder.500107.2027-02-01.D1" }, "/body/market", 400, "days ahead"],
      [ent2, { ...demand, market: "astronaut.500107.2026-12-08.D1" }, "/body/market", 400, "unknown skill"],
      [ent2, { ...demand, market: "welder.999999.2026-12-08.D1" }, "/body/market", 400, "district"],
      [ent2, { ...demand, market: "welder-500107-2026-12-08" }, "/body/market", 400],
      [ent2, { ...demand, market: "welder.500107.2026-12-08.X9" }, "/body/market", 400, "slot"],
      [ent2, { ...demand, goodTill: "2026-12-08T07:00:00+08:00" }, "/body/goodTill", 400],
      [ent2, { ...demand, timeInForce: "ioc", goodTill: "2026-12-05T07:00:00+08:00" }, "/body/goodTill", 400],
      [ent2, { ...demand, minSplit: 1 }, "/body/minSplit", 400],
      [ent2, { ...demand, quantity: 2, minFill: 3 }, "/body/minFill", 400],
      [ent2, { ...demand, side: "supply" }, "/body/side", 403],
      [ent2, { ...demand, quantity: 1000 }, "/body/quantity", 422, "shortfall"],
      [agency, { side: "demand", market, quantity: 1, rateFen: 3000 }, "/body/side", 403],
      [agency, { side: "supply", market, quantity: 1, rateFen: 3000, minFill: 1 }, "/body/minFill", 400],
      [unlicensedKey, { side: "supply", market, quantity: 1, rateFen: 3000 }, "/body/side", 403, "licence"],
      [black, { side: "supply", market, quantity: 1, rateFen: 3000 }, "/body/side", 403, "black"],
      [ent2, { side: "supply", market, quantity: 1, rateFen: 3000, shared: true }, "/body/side", 403, "lending"],
    ];
    for (const [key, body, field, status, text] of refusals) {
      const r = await place(key, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.headers.get("content-type")).toMatch(/application\/problem\+json/);
      expect(r.body.field, JSON.stringify(body)).toBe(field);
      if (text === "shortfall") {
        const needed = 1000 * unit(3000);
        expect(r.body.shortfall).toBe(((needed - walletBefore.availableFen) / 100).toFixed(2));
        expect(r.body.detail).toMatch(new RegExp(`lacks ${r.body.shortfall} yuan`));
      } else if (text !== undefined) {
        expect(r.body.detail.toLowerCase(), JSON.stringify(body)).toContain(text);
      }
    }
    expect(await account(wallet("demo enterprise 0002"))).toEqual(walletBefore);
    expect((await call(app, "GET", "/v1/orders?limit=500", { key: operator })).body.items.length).toBe(ordersBefore);
    // only the wallet check needs the sequencer's state: that refusal is the one command the journal records
    expect(app.built.sequencer.seq).toBe(seqBefore + 1);
    expect((await call(app, "GET", `/v1/markets/${market}/book`, { key: agency })).body).toMatchObject({ demand: [], supply: [] });
    // malformed or unknown market in the path, an order that is not there
    expect((await call(app, "GET", "/v1/markets/nothing/book", { key: agency })).body).toMatchObject({ status: 400, field: "/params/market" });
    expect((await call(app, "GET", "/v1/orders/ord_nope", { key: ent })).status).toBe(404);
    expect((await call(app, "DELETE", "/v1/orders/ord_nope", { key: ent })).status).toBe(404);
    // workers may look at markets but not trade
    expect((await place(operator, demand)).status).toBe(403);
  });

  it("keeps the ledger's and the exchange's invariants", async () => {
    const inv = app.built.sequencer.invariants();
    expect(inv).toEqual({ ok: true, problems: [] });
    expect((await call(app, "GET", "/v1/ledger/verify", { key: operator })).body).toMatchObject({ ok: true });
  });
});
