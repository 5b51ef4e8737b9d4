// The stream fed by the real exchange: orders placed over HTTP move the book a WebSocket client watches (a
// snapshot of the committed book, then bookSeq + 1 per change), trades reach trades:<market>, and each
// organisation's executions and contracts reach it alone.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";
import { openStream, type StreamClient } from "../helpers/stream-client";

// Needs the exchange's routes and events (the core's half of issue 8).
const exchangeWired = existsSync("src/exchange/exchange.routes.ts");
const shanghaiDate = (days: number) => new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);

describe.skipIf(!exchangeWired).each(backends)("stream fed by the exchange ($name)", (backend) => {
  let app: TestApp;
  const clients: StreamClient[] = [];
  let ent: string, entB: string, agency: string, orgA: string, orgB: string, orgS: string;
  let market: { id: string; minimumRateFen: number; tickFen: number };

  beforeAll(async () => {
    app = await startTestApp(backend);
    ent = app.key("demo enterprise 0001");
    entB = app.key("demo enterprise 0002");
    agency = app.key("demo agency 0005");
    const org = (label: string) => app.demo.keys.find((k) => k.label === label)!.organisationId!;
    [orgA, orgB, orgS] = [org("demo enterprise 0001"), org("demo enterprise 0002"), org("demo agency 0005")];
    const markets = await call(app, "GET", `/v1/markets?skill=cleaner&district=500107&date=${shanghaiDate(3)}`, { key: ent });
    market = markets.body.items.find((m: { slotId: string }) => m.slotId === "D1");
    for (const key of [ent, entB]) {
      const t = await call(app, "POST", "/v1/top-ups", { key, body: { amountFen: 1_000_000 } });
      await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: app.key("demo operator"), body: { amountFen: 1_000_000, bankTransactionId: `b-${t.body.reference}` } });
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await app?.close();
  });
  async function connect(key: string, channels: string[]) {
    const c = await openStream(app.baseUrl, { key });
    clients.push(c);
    for (const channel of channels) {
      c.send({ op: "subscribe", channel });
      await c.take((f) => f.type === "subscribed" && f.channel === channel);
    }
    return c;
  }

  it("snapshots the committed book, then sends each change, the trade, and private reports to their owners only", async () => {
    const rate = market.minimumRateFen + 10 * market.tickFen;
    const book = `book:${market.id}`;
    const trades = `trades:${market.id}`;
    // Something already rests before the watchers come.
    const first = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: market.id, quantity: 3, rateFen: rate - market.tickFen } });
    expect(first.status).toBe(201);
    const watcherA = await connect(ent, ["executions", trades]);
    const watcherB = await connect(entB, ["executions", trades]);
    const watcherS = await connect(agency, ["executions", trades]);
    watcherB.send({ op: "subscribe", channel: book });
    await watcherB.take((f) => f.type === "subscribed" && f.channel === book);
    const snap = await watcherB.take((f) => f.type === "snapshot");
    const viaHttp = (await call(app, "GET", `/v1/markets/${market.id}/book`, { key: entB })).body;
    expect(snap).toMatchObject({ market: market.id, bookSeq: viaHttp.bookSeq, demand: viaHttp.demand, supply: viaHttp.supply });
    expect(snap.demand).toEqual([{ rateFen: rate - market.tickFen, qty: 3, orders: 1 }]);

    // A better bid: one change.
    const bid = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: market.id, quantity: 2, rateFen: rate } });
    expect(bid.status).toBe(201);
    const change1 = await watcherB.take((f) => f.type === "book.changed");
    expect(change1.bookSeq).toBe(snap.bookSeq + 1);
    expect(change1.demand[0]).toEqual({ rateFen: rate, qty: 2, orders: 1 });

    // The agency crosses it: the book changes again, a trade, and reports to the two parties.
    const offer = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market: market.id, quantity: 2, rateFen: rate } });
    expect(offer.status).toBe(201);
    expect(offer.body.fills).toHaveLength(1);
    const { fillId, contractId } = offer.body.fills[0];
    const change2 = await watcherB.take((f) => f.type === "book.changed");
    expect(change2.bookSeq).toBe(change1.bookSeq + 1);
    expect(change2.demand).toEqual([{ rateFen: rate - market.tickFen, qty: 3, orders: 1 }]);
    for (const w of [watcherA, watcherB, watcherS]) {
      expect(await w.take((f) => f.type === "trade")).toMatchObject({ channel: trades, market: market.id, fillId, rateFen: rate, qty: 2, aggressor: "supply" });
    }
    for (const [w, org] of [[watcherA, orgA], [watcherS, orgS]] as const) {
      const filled = await w.take((f) => f.type === "execution" && f.kind === "filled");
      expect(filled).toMatchObject({ channel: "executions", organisationId: org, fill: { fillId, contractId, qty: 2, rateFen: rate } });
      expect(await w.take((f) => f.type === "contract.created")).toMatchObject({ contractId, enterpriseId: orgA, supplierId: orgS, headcount: 2, rateFen: rate });
    }
    // The enterprise also heard of its own orders being accepted; nobody else heard of them.
    expect(watcherA.frames.filter((f) => f.type === "execution" && f.kind === "accepted").map((f) => f.orderId)).toEqual(expect.arrayContaining([bid.body.id]));
    for (const f of watcherA.frames.filter((x) => x.channel === "executions" && x.type === "execution")) expect(f.organisationId).toBe(orgA);
    for (const f of watcherS.frames.filter((x) => x.channel === "executions" && x.type === "execution")) expect(f.organisationId).toBe(orgS);
    // B places an order of its own: once B hears of it, everything published before has reached B, and B
    // has heard of nothing but its own order.
    const own = await call(app, "POST", "/v1/orders", { key: entB, body: { side: "demand", market: market.id, quantity: 1, rateFen: market.minimumRateFen } });
    expect(own.status).toBe(201);
    await watcherB.take((f) => f.type === "execution" && f.orderId === own.body.id);
    const privateToB = watcherB.frames.filter((f) => f.channel === "executions" && f.type !== "subscribed");
    expect(privateToB.map((f) => [f.type, f.organisationId, f.orderId])).toEqual([["execution", orgB, own.body.id]]);
  });
});
