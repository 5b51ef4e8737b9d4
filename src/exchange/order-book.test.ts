import { describe, expect, it } from "vitest";
import { Colour, OrderBook, Side, TimeInForce } from "./index";
import { OccupancyBitmap } from "./price-ladder";
import type { DemandOrder, Fill, OrderInput, PlaceAccepted, PlaceResult, SupplyOrder } from "./index";

const GTT = TimeInForce.GoodTill;
const IOC = TimeInForce.ImmediateOrCancel;
const FOK = TimeInForce.FillOrKill;

/** A market with rates 1000..2000 fen in 10-fen ticks, starting at t = 0. */
function book(): OrderBook {
  return new OrderBook({ minRate: 1000, maxRate: 2000, tickSize: 10, now: 0 });
}

let nextTag = 1;
function demand(p: Partial<DemandOrder> = {}): DemandOrder {
  return { side: Side.Demand, owner: 100, tag: nextTag++, qty: 5, rate: 1500, tif: GTT, goodTill: 1000, ...p };
}
function supply(p: Partial<SupplyOrder> = {}): SupplyOrder {
  return { side: Side.Supply, owner: 200, tag: nextTag++, qty: 5, rate: 1500, tif: GTT, goodTill: 1000, colour: Colour.Blue, ...p };
}

function ok(r: PlaceResult): PlaceAccepted {
  if (!r.ok) throw new Error(`rejected: ${r.reason}`);
  return r;
}

/** Fills as [restingTag, qty, rate] for compact assertions. */
function trades(r: PlaceResult): [number, number, number][] {
  return ok(r).fills.map((f: Fill) => [f.aggressor === Side.Demand ? f.supplyTag : f.demandTag, f.qty, f.rate]);
}

describe("market config", () => {
  it("rejects a bad grid by throwing, since it is a programming error", () => {
    expect(() => new OrderBook({ minRate: 1000, maxRate: 995, tickSize: 10 })).toThrow(RangeError);
    expect(() => new OrderBook({ minRate: 1000, maxRate: 2005, tickSize: 10 })).toThrow(RangeError);
    expect(() => new OrderBook({ minRate: 1000, maxRate: 2000, tickSize: 0 })).toThrow(RangeError);
    expect(() => new OrderBook({ minRate: -1, maxRate: 2000, tickSize: 1 })).toThrow(RangeError);
    expect(() => new OrderBook({ minRate: 0, maxRate: 1 << 23, tickSize: 1 })).toThrow(RangeError);
    expect(() => new OrderBook({ minRate: 0, maxRate: 10, tickSize: 1, now: 0.5 })).toThrow(RangeError);
  });

  it("accepts a one-tick band", () => {
    const b = new OrderBook({ minRate: 1500, maxRate: 1500, tickSize: 10, now: 0 });
    ok(b.place(supply({ rate: 1500 })));
    expect(trades(b.place(demand({ rate: 1500, qty: 2 })))[0]?.[1]).toBe(2);
  });
});

describe("place validation", () => {
  const cases: [string, OrderInput | unknown][] = [
    ["bad_order", null],
    ["bad_order", "order"],
    ["bad_side", { ...demand(), side: 2 }],
    ["bad_owner", demand({ owner: -1 })],
    ["bad_owner", demand({ owner: 1.5 })],
    ["bad_owner", demand({ owner: 2 ** 31 })],
    ["bad_tag", demand({ tag: Number.NaN })],
    ["bad_quantity", demand({ qty: 0 })],
    ["bad_quantity", demand({ qty: -3 })],
    ["bad_quantity", demand({ qty: 2.5 })],
    ["bad_quantity", demand({ qty: 1_000_001 })],
    ["bad_quantity", { ...demand(), qty: "5" }],
    ["bad_rate", demand({ rate: 1500.5 })],
    ["bad_rate", demand({ rate: Number.POSITIVE_INFINITY })],
    ["rate_off_band", demand({ rate: 990 })],
    ["rate_off_band", demand({ rate: 2010 })],
    ["rate_off_grid", demand({ rate: 1505 })],
    ["bad_time_in_force", { ...demand(), tif: 7 }],
    ["bad_good_till", demand({ goodTill: undefined })],
    ["bad_good_till", demand({ goodTill: 10.5 })],
    ["expired", demand({ goodTill: 0 })],
    ["expired", demand({ goodTill: -5 })],
    ["bad_min_fill", demand({ minFill: 6 })],
    ["bad_min_fill", demand({ minFill: -1 })],
    ["bad_certificate", demand({ minCertificate: 6 })],
    ["bad_colour", { ...demand(), minColour: 3 }],
    ["bad_excluded", demand({ excluded: [7, 7] })],
    ["bad_excluded", demand({ excluded: [-1] })],
    ["bad_excluded", { ...demand(), excluded: "7" }],
    ["bad_excluded", demand({ excluded: Array.from({ length: 257 }, (_, i) => i) })],
    ["bad_colour", { ...supply(), colour: undefined }],
    ["bad_colour", { ...supply(), colour: 5 }],
    ["black_supplier", supply({ colour: Colour.Black })],
    ["bad_certificate", supply({ certificate: -1 })],
    ["bad_min_split", supply({ minSplit: 0 })],
    ["bad_min_split", supply({ minSplit: 6 })],
    ["bad_all_or_none", { ...supply(), allOrNone: 1 }],
    ["bad_shared", { ...supply(), shared: "yes" }],
  ];
  it.each(cases)("rejects %s without throwing or changing the book", (reason, order) => {
    const b = book();
    ok(b.place(supply({ rate: 1600 })));
    const before = b.snapshot();
    const r = b.place(order as OrderInput);
    expect(r).toEqual({ ok: false, reason });
    expect(b.snapshot()).toEqual(before);
  });

  it("accepts IOC / FOK without goodTill, and goodTill just after now", () => {
    const b = book();
    expect(ok(b.place(demand({ tif: IOC, goodTill: undefined }))).cancelled).toBe(5);
    expect(ok(b.place(demand({ tif: FOK, goodTill: undefined }))).cancelled).toBe(5);
    expect(ok(b.place(demand({ goodTill: 1 }))).resting).toBe(5);
  });

  it("never throws on garbage commands", () => {
    const b = book();
    const garbage: unknown[] = [undefined, null, 42, "x", {}, { type: "nope" }, { type: "place" }, { type: "cancel" }];
    for (const g of garbage) expect(() => b.execute(g as never)).not.toThrow();
    expect(b.execute({ type: "nope" } as never)).toEqual({ ok: false, reason: "bad_command" });
    expect(b.execute({ type: "place", order: undefined } as never)).toEqual({ ok: false, reason: "bad_order" });
    expect(b.cancel(Number.NaN)).toEqual({ ok: false, reason: "unknown_order" });
    expect(b.cancel(-1)).toEqual({ ok: false, reason: "unknown_order" });
    expect(b.cancel(2 ** 60)).toEqual({ ok: false, reason: "unknown_order" });
    expect(b.cancel("0" as never)).toEqual({ ok: false, reason: "unknown_order" });
    expect(b.size).toBe(0);
  });
});

describe("price-time priority", () => {
  it("fills the best rate first, FIFO within a rate, at the resting rate", () => {
    const b = book();
    const s1 = supply({ rate: 1520, qty: 3 });
    const s2 = supply({ rate: 1500, qty: 2 });
    const s3 = supply({ rate: 1500, qty: 4 });
    const s4 = supply({ rate: 1600, qty: 4 });
    for (const s of [s1, s2, s3, s4]) ok(b.place(s));
    const r = b.place(demand({ rate: 1550, qty: 8 }));
    expect(trades(r)).toEqual([
      [s2.tag, 2, 1500],
      [s3.tag, 4, 1500],
      [s1.tag, 2, 1520],
    ]);
    expect(ok(r).resting).toBe(0);
    expect(b.depth()).toEqual({
      demand: [],
      supply: [
        { rate: 1520, qty: 1, orders: 1 },
        { rate: 1600, qty: 4, orders: 1 },
      ],
    });
  });

  it("rests the remainder and reports both sides of every fill", () => {
    const b = book();
    const s = supply({ owner: 7, qty: 3, rate: 1490, shared: true });
    const sh = ok(b.place(s)).handle;
    const d = demand({ owner: 9, qty: 5, rate: 1500 });
    const r = ok(b.place(d));
    expect(r.resting).toBe(2);
    expect(r.fills).toEqual([
      {
        aggressor: Side.Demand,
        rate: 1490,
        qty: 3,
        demand: r.handle,
        demandOwner: 9,
        demandTag: d.tag,
        demandLeft: 2,
        supply: sh,
        supplyOwner: 7,
        supplyTag: s.tag,
        supplyLeft: 0,
        shared: true,
      },
    ]);
    expect(b.bestDemandRate).toBe(1500);
    expect(b.bestSupplyRate).toBeNull();
    // A supply aggressor now takes the resting demand at the demand's rate.
    const r2 = ok(b.place(supply({ owner: 8, qty: 1, rate: 1400 })));
    expect(r2.fills[0]).toMatchObject({ aggressor: Side.Supply, rate: 1500, qty: 1, demand: r.handle, demandLeft: 1, supplyLeft: 0 });
  });

  it("does not trade when rates do not cross", () => {
    const b = book();
    ok(b.place(supply({ rate: 1510 })));
    expect(ok(b.place(demand({ rate: 1500 }))).fills).toEqual([]);
    expect(b.size).toBe(2);
  });
});

describe("eligibility", () => {
  it("skips an ineligible resting order without removing it; it keeps its place", () => {
    const b = book();
    const low = supply({ certificate: 1, qty: 2 });
    const high = supply({ certificate: 3, qty: 2 });
    ok(b.place(low));
    ok(b.place(high));
    expect(trades(b.place(demand({ minCertificate: 3, qty: 5 })))).toEqual([[high.tag, 2, 1500]]);
    // The skipped crew is still first in the queue for anyone it suits.
    ok(b.place(supply({ qty: 2 })));
    expect(trades(b.place(demand({ qty: 1 })))).toEqual([[low.tag, 1, 1500]]);
  });

  it("applies min colour: red orders need red crews, blue takes both", () => {
    const b = book();
    const blue = supply({ colour: Colour.Blue, qty: 1 });
    const red = supply({ colour: Colour.Red, qty: 1 });
    ok(b.place(blue));
    ok(b.place(red));
    expect(trades(b.place(demand({ minColour: Colour.Red, qty: 2, tif: IOC })))).toEqual([[red.tag, 1, 1500]]);
    expect(trades(b.place(demand({ minColour: Colour.Blue, qty: 2, tif: IOC })))).toEqual([[blue.tag, 1, 1500]]);
  });

  it("applies excluded suppliers from both directions", () => {
    const b = book();
    ok(b.place(demand({ excluded: [201, 202], qty: 2 })));
    expect(ok(b.place(supply({ owner: 201, qty: 1 }))).fills).toEqual([]);
    expect(ok(b.place(supply({ owner: 203, qty: 1 }))).fills).toHaveLength(1);
    const b2 = book();
    ok(b2.place(supply({ owner: 205, qty: 1 })));
    const other = supply({ owner: 206, qty: 1 });
    ok(b2.place(other));
    expect(trades(b2.place(demand({ excluded: [205, 201], qty: 3, tif: IOC })))).toEqual([[other.tag, 1, 1500]]);
  });

  it("never lets an organisation trade with itself", () => {
    const b = book();
    const own = supply({ owner: 100, qty: 3 });
    const other = supply({ owner: 300, qty: 3, rate: 1510 });
    ok(b.place(own));
    ok(b.place(other));
    expect(trades(b.place(demand({ owner: 100, qty: 4, rate: 1600 })))).toEqual([[other.tag, 3, 1510]]);
    expect(b.order(ok(b.place(demand({ owner: 100, qty: 1, rate: 1600 }))).handle)?.qty).toBe(1);
  });
});

describe("min split and all-or-none", () => {
  it("never fills a crew below its min split unless the fill takes the whole remainder", () => {
    const b = book();
    const crew = supply({ qty: 10, minSplit: 4 });
    const h = ok(b.place(crew)).handle;
    expect(ok(b.place(demand({ qty: 3 }))).fills).toEqual([]); // 3 < 4: skipped
    b.cancel(b.orders(Side.Demand)[0]!.handle);
    expect(trades(b.place(demand({ qty: 7 })))).toEqual([[crew.tag, 7, 1500]]); // leaves 3 < minSplit
    expect(b.order(h)?.qty).toBe(3);
    expect(trades(b.place(demand({ qty: 2, tif: IOC })))).toEqual([]); // 2 is neither >= 4 nor the whole 3
    expect(trades(b.place(demand({ qty: 3 })))).toEqual([[crew.tag, 3, 1500]]); // whole remainder
  });

  it("applies an aggressing crew's min split to each fill", () => {
    const b = book();
    const small = demand({ qty: 2 });
    const big = demand({ qty: 6 });
    ok(b.place(small));
    ok(b.place(big));
    const r = ok(b.place(supply({ qty: 7, minSplit: 3 })));
    // small (2) is skipped for size; big takes 6; the last 1 is the whole
    // remainder, so the best order it now fits (small) is taken next.
    expect(trades(r)).toEqual([
      [big.tag, 6, 1500],
      [small.tag, 1, 1500],
    ]);
  });

  it("fills an all-or-none crew only whole, and skips it otherwise keeping its place", () => {
    const b = book();
    const aon = supply({ qty: 4, allOrNone: true });
    const plain = supply({ qty: 4 });
    ok(b.place(aon));
    ok(b.place(plain));
    expect(trades(b.place(demand({ qty: 3 })))).toEqual([[plain.tag, 3, 1500]]);
    expect(trades(b.place(demand({ qty: 5 })))).toEqual([
      [aon.tag, 4, 1500],
      [plain.tag, 1, 1500],
    ]);
  });

  it("never splits an aggressing all-or-none crew across demand orders", () => {
    const b = book();
    ok(b.place(demand({ qty: 2 })));
    ok(b.place(demand({ qty: 2 })));
    const crew = supply({ qty: 4, allOrNone: true });
    const r = ok(b.place(crew));
    expect(r.fills).toEqual([]);
    expect(r.resting).toBe(4);
    expect(trades(b.place(demand({ qty: 4, tif: IOC })))).toEqual([[crew.tag, 4, 1500]]);
  });
});

describe("min fill", () => {
  it("trades an aggressing demand only if the aggression reaches min fill, else rests untouched", () => {
    const b = book();
    ok(b.place(supply({ qty: 2 })));
    ok(b.place(supply({ qty: 1, rate: 1510 })));
    const r = ok(b.place(demand({ qty: 6, minFill: 4, rate: 1510 })));
    expect(r.fills).toEqual([]);
    expect(r.resting).toBe(6);
    expect(b.order(r.handle)).toMatchObject({ qty: 6, minFill: 4 });
    expect(b.orders(Side.Supply).map((o) => o.qty)).toEqual([2, 1]); // undo restored them
    const r2 = ok(b.place(demand({ qty: 6, minFill: 3, rate: 1510, tif: IOC })));
    expect(r2.fills.map((f) => f.qty)).toEqual([2, 1]);
    expect(r2.cancelled).toBe(3);
  });

  it("cancels an IOC whose min fill is not reached", () => {
    const b = book();
    ok(b.place(supply({ qty: 2 })));
    expect(ok(b.place(demand({ qty: 5, minFill: 3, tif: IOC })))).toMatchObject({ fills: [], resting: 0, cancelled: 5 });
    expect(b.orders(Side.Supply)[0]?.qty).toBe(2);
  });

  it("applies to a resting demand per incoming fill, and only until its first fill", () => {
    const b = book();
    const h = ok(b.place(demand({ qty: 8, minFill: 5 }))).handle;
    expect(ok(b.place(supply({ qty: 3 }))).fills).toEqual([]);
    const big = ok(b.place(supply({ qty: 5, rate: 1490 })));
    expect(big.fills).toHaveLength(1);
    expect(b.order(h)).toMatchObject({ qty: 3, minFill: 0 });
    // Now any size goes; the earlier 3-crew is resting though, and resting
    // orders never trade with each other: a fresh 1-crew takes it.
    expect(ok(b.place(supply({ qty: 1, rate: 1490 }))).fills.map((f) => f.qty)).toEqual([1]);
  });

  it("is clamped by reduce", () => {
    const b = book();
    const h = ok(b.place(demand({ qty: 8, minFill: 6 }))).handle;
    expect(b.reduce(h, 4)).toEqual({ ok: true, handle: h, qty: 4, reducedBy: 4 });
    expect(b.order(h)).toMatchObject({ qty: 4, minFill: 4 });
    expect(ok(b.place(supply({ qty: 4 }))).fills.map((f) => f.qty)).toEqual([4]);
  });
});

describe("time in force", () => {
  it("FOK fills wholly across levels or not at all", () => {
    const b = book();
    ok(b.place(supply({ qty: 2 })));
    ok(b.place(supply({ qty: 2, rate: 1510 })));
    expect(ok(b.place(demand({ qty: 5, rate: 1510, tif: FOK })))).toMatchObject({ fills: [], resting: 0, cancelled: 5 });
    expect(b.depth().supply.map((l) => l.qty)).toEqual([2, 2]);
    const r = ok(b.place(demand({ qty: 4, rate: 1510, tif: FOK })));
    expect(r.fills.map((f) => [f.rate, f.qty])).toEqual([
      [1500, 2],
      [1510, 2],
    ]);
    expect(b.size).toBe(0);
  });

  it("FOK counts only eligible crews", () => {
    const b = book();
    ok(b.place(supply({ qty: 3, certificate: 0 })));
    ok(b.place(supply({ qty: 1, certificate: 4 })));
    expect(ok(b.place(demand({ qty: 2, minCertificate: 2, tif: FOK }))).cancelled).toBe(2);
    expect(ok(b.place(demand({ qty: 1, minCertificate: 2, tif: FOK }))).fills).toHaveLength(1);
  });

  it("IOC cancels the remainder", () => {
    const b = book();
    ok(b.place(supply({ qty: 2 })));
    expect(ok(b.place(demand({ qty: 5, tif: IOC })))).toMatchObject({ resting: 0, cancelled: 3 });
    expect(b.size).toBe(0);
  });
});

describe("expiry", () => {
  it("expires orders with goodTill <= t, in (goodTill, placement) order", () => {
    const b = book();
    const a = ok(b.place(demand({ goodTill: 20, rate: 1400 }))).handle;
    const c = ok(b.place(supply({ goodTill: 10, rate: 1600 }))).handle;
    const d = ok(b.place(demand({ goodTill: 10, rate: 1300 }))).handle;
    ok(b.place(supply({ goodTill: 30, rate: 1700 })));
    expect(b.advanceTo(9)).toEqual({ ok: true, now: 9, expired: [] });
    const r = b.advanceTo(20);
    expect(r.ok && r.expired.map((e) => e.handle)).toEqual([c, d, a]);
    expect(r.ok && r.expired[0]).toMatchObject({ side: Side.Supply, owner: 200, qty: 5 });
    expect(b.size).toBe(1);
    expect(b.now).toBe(20);
  });

  it("lets an order trade while now < goodTill, and rejects new orders at or before now", () => {
    const b = book();
    ok(b.place(supply({ goodTill: 10 })));
    b.advanceTo(9);
    expect(ok(b.place(demand({ qty: 1 }))).fills).toHaveLength(1);
    b.advanceTo(10);
    expect(b.place(demand({ goodTill: 10 }))).toEqual({ ok: false, reason: "expired" });
    expect(ok(b.place(demand({ goodTill: 11, qty: 1 }))).fills).toEqual([]);
  });

  it("rejects time going backwards or non-integer time", () => {
    const b = book();
    b.advanceTo(50);
    expect(b.advanceTo(49)).toEqual({ ok: false, reason: "time_regressed" });
    expect(b.advanceTo(50.5)).toEqual({ ok: false, reason: "bad_time" });
    expect(b.advanceTo(50)).toEqual({ ok: true, now: 50, expired: [] });
  });

  it("does not expire cancelled, filled or re-rated orders twice, across many churned orders", () => {
    const b = book();
    const live: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const h = ok(b.place(demand({ qty: 1, rate: 1000 + (i % 50) * 10, goodTill: 100 + (i % 7) }))).handle;
      if (i % 3 === 1) b.cancel(h);
      else {
        if (i % 3 === 2) b.replaceRate(h, 1000);
        live.push(h);
      }
    }
    const r = b.advanceTo(1000);
    if (!r.ok) throw new Error("advance failed");
    expect(r.expired).toHaveLength(live.length);
    expect(new Set(r.expired.map((e) => e.handle))).toEqual(new Set(live));
    expect(b.size).toBe(0);
  });
});

describe("cancel, reduce, replace rate", () => {
  it("cancel removes the order and reports it; a second cancel is unknown", () => {
    const b = book();
    const d = demand({ owner: 42, qty: 7 });
    const h = ok(b.place(d)).handle;
    expect(b.cancel(h)).toEqual({ ok: true, handle: h, side: Side.Demand, owner: 42, tag: d.tag, cancelled: 7 });
    expect(b.cancel(h)).toEqual({ ok: false, reason: "unknown_order" });
    expect(b.size).toBe(0);
    expect(b.depth()).toEqual({ demand: [], supply: [] });
  });

  it("rejects a stale handle after its slot is reused", () => {
    const b = book();
    const h1 = ok(b.place(demand())).handle;
    b.cancel(h1);
    const h2 = ok(b.place(demand())).handle;
    expect(h2).not.toBe(h1);
    expect(b.cancel(h1)).toEqual({ ok: false, reason: "unknown_order" });
    expect(b.reduce(h1, 1)).toEqual({ ok: false, reason: "unknown_order" });
    expect(b.replaceRate(h1, 1500)).toEqual({ ok: false, reason: "unknown_order" });
    expect(b.order(h2)?.qty).toBe(5);
  });

  it("reduce keeps priority", () => {
    const b = book();
    const first = supply({ qty: 5 });
    const second = supply({ qty: 5 });
    const h = ok(b.place(first)).handle;
    ok(b.place(second));
    expect(b.reduce(h, 2)).toMatchObject({ ok: true, qty: 2, reducedBy: 3 });
    expect(b.depth().supply).toEqual([{ rate: 1500, qty: 7, orders: 2 }]);
    expect(trades(b.place(demand({ qty: 3 })))).toEqual([
      [first.tag, 2, 1500],
      [second.tag, 1, 1500],
    ]);
  });

  it("reduce rejects non-reductions", () => {
    const b = book();
    const h = ok(b.place(demand({ qty: 5 }))).handle;
    expect(b.reduce(h, 5)).toEqual({ ok: false, reason: "not_a_reduction" });
    expect(b.reduce(h, 9)).toEqual({ ok: false, reason: "not_a_reduction" });
    expect(b.reduce(h, 0)).toEqual({ ok: false, reason: "bad_quantity" });
    expect(b.reduce(h, 1.5)).toEqual({ ok: false, reason: "bad_quantity" });
    expect(b.order(h)?.qty).toBe(5);
  });

  it("replace rate loses priority, even at the same rate", () => {
    const b = book();
    const first = supply({ qty: 1 });
    const second = supply({ qty: 1 });
    const h = ok(b.place(first)).handle;
    ok(b.place(second));
    expect(ok(b.replaceRate(h, 1500))).toMatchObject({ handle: h, fills: [], resting: 1 });
    expect(trades(b.place(demand({ qty: 1 })))).toEqual([[second.tag, 1, 1500]]);
  });

  it("replace rate trades as the incoming order when the new rate crosses", () => {
    const b = book();
    const s = supply({ qty: 3, rate: 1600 });
    ok(b.place(s));
    const d = demand({ qty: 5, rate: 1500 });
    const h = ok(b.place(d)).handle;
    const r = ok(b.replaceRate(h, 1650));
    expect(r.fills).toEqual([expect.objectContaining({ aggressor: Side.Demand, rate: 1600, qty: 3, demand: h, demandLeft: 2 })]);
    expect(r.resting).toBe(2);
    expect(b.order(h)).toMatchObject({ rate: 1650, qty: 2 });
    expect(b.replaceRate(h, 1655)).toEqual({ ok: false, reason: "rate_off_grid" });
    expect(b.replaceRate(h, 5000)).toEqual({ ok: false, reason: "rate_off_band" });
    expect(b.order(h)).toMatchObject({ rate: 1650, qty: 2 });
  });

  it("a fully filled re-rated order is done and never expires", () => {
    const b = book();
    ok(b.place(supply({ qty: 5, rate: 1600 })));
    const h = ok(b.place(demand({ qty: 5, rate: 1500, goodTill: 50 }))).handle;
    expect(ok(b.replaceRate(h, 1600)).resting).toBe(0);
    expect(b.order(h)).toBeUndefined();
    expect(b.advanceTo(100)).toEqual({ ok: true, now: 100, expired: [] });
  });
});

describe("recolour", () => {
  it("an offer raised to red meets resting demand that requires red at once: the demand's rate, best demand first; the rest keeps its place", () => {
    const b = book();
    const early = supply({ qty: 4, rate: 1400, owner: 201 });
    const he = ok(b.place(early)).handle;
    const later = supply({ qty: 1, rate: 1400, owner: 202, colour: Colour.Red });
    ok(b.place(later));
    const d1 = demand({ qty: 1, rate: 1500, minColour: Colour.Red });
    const h1 = ok(b.place(d1)).handle;
    expect(b.order(h1)).toBeUndefined(); // it took the red offer
    const d2 = demand({ qty: 2, rate: 1550, minColour: Colour.Red });
    const h2 = ok(b.place(d2)).handle;
    const d3 = demand({ qty: 1, rate: 1450, minColour: Colour.Red });
    ok(b.place(d3));
    // blue: resting crossed with red-only demand, which skips it
    expect(b.order(h2)).toMatchObject({ qty: 2 });
    const r = b.recolour(he, Colour.Red);
    if (!r.ok) throw new Error(r.reason);
    expect(r.from).toBe(Colour.Blue);
    expect(r.fills.map((f) => [f.aggressor, f.demandTag, f.qty, f.rate, f.supplyLeft])).toEqual([
      [Side.Supply, d2.tag, 2, 1550, 2],
      [Side.Supply, d3.tag, 1, 1450, 1],
    ]);
    expect(r.resting).toBe(1);
    expect(b.order(he)).toMatchObject({ qty: 1, rate: 1400, colour: Colour.Red });
    expect(b.depth().demand).toEqual([]);
    expect(b.depth().supply).toEqual([{ rate: 1400, qty: 1, orders: 1 }]);
    // it kept its place: first in the queue at its rate
    ok(b.place(supply({ qty: 1, rate: 1400, owner: 203 })));
    expect(trades(b.place(demand({ qty: 1, rate: 1400 })))).toEqual([[early.tag, 1, 1400]]);
  });

  it("a colour that falls never trades; an offer filled whole by its rise is done; all-or-none and minSplit still hold", () => {
    const b = book();
    // a red offer resting beside a demand of 3 that needs 3 at once (minFill): falling to blue trades nothing
    const h = ok(b.place(supply({ qty: 2, rate: 1500, colour: Colour.Red }))).handle;
    ok(b.place(demand({ qty: 3, rate: 1500, minFill: 3 })));
    expect(b.recolour(h, Colour.Blue)).toMatchObject({ ok: true, from: Colour.Red, fills: [], resting: 2 });
    const aon = ok(b.place(supply({ qty: 3, rate: 1900, owner: 204 }))).handle;
    // a whole crew of 3, all-or-none, beside a red-only demand of 2: its rise trades nothing
    const other = book();
    const d = demand({ qty: 2, rate: 1600, minColour: Colour.Red });
    ok(other.place(d));
    const crew = ok(other.place(supply({ qty: 3, rate: 1500, allOrNone: true }))).handle;
    expect(other.recolour(crew, Colour.Red)).toMatchObject({ ok: true, fills: [], resting: 3 });
    const whole = ok(other.place(supply({ qty: 2, rate: 1500, owner: 205 }))).handle;
    const r = other.recolour(whole, Colour.Red);
    if (!r.ok) throw new Error(r.reason);
    expect(r.fills.map((f) => [f.demandTag, f.qty, f.rate])).toEqual([[d.tag, 2, 1600]]);
    expect(r.resting).toBe(0);
    expect(other.order(whole)).toBeUndefined();
    expect(other.recolour(whole, Colour.Red)).toEqual({ ok: false, reason: "unknown_order" });
    expect(other.advanceTo(2000)).toMatchObject({ ok: true, expired: [expect.objectContaining({ handle: crew })] });
    expect(b.recolour(aon, Colour.Black)).toEqual({ ok: false, reason: "black_supplier" });
    expect(b.recolour(ok(b.place(demand({ qty: 1, rate: 1000 }))).handle, Colour.Red)).toEqual({ ok: false, reason: "bad_command" });
  });
});

describe("execute", () => {
  it("dispatches every command type", () => {
    const b = book();
    const p = b.execute({ type: "place", order: demand({ qty: 4 }) });
    if (!p.ok || !("fills" in p)) throw new Error("place failed");
    expect(b.execute({ type: "reduce", handle: p.handle, qty: 2 })).toMatchObject({ ok: true, qty: 2 });
    expect(b.execute({ type: "replaceRate", handle: p.handle, rate: 1510 })).toMatchObject({ ok: true, resting: 2 });
    expect(b.execute({ type: "advanceTo", time: 5 })).toEqual({ ok: true, now: 5, expired: [] });
    expect(b.execute({ type: "cancel", handle: p.handle })).toMatchObject({ ok: true, cancelled: 2 });
  });
});

describe("depth, views and snapshots", () => {
  it("aggregates depth by level, best first, limited to n levels", () => {
    const b = book();
    ok(b.place(demand({ rate: 1400, qty: 1 })));
    ok(b.place(demand({ rate: 1450, qty: 2 })));
    ok(b.place(demand({ rate: 1450, qty: 3 })));
    ok(b.place(supply({ rate: 1700, qty: 4 })));
    ok(b.place(supply({ rate: 1650, qty: 5 })));
    expect(b.depth()).toEqual({
      demand: [
        { rate: 1450, qty: 5, orders: 2 },
        { rate: 1400, qty: 1, orders: 1 },
      ],
      supply: [
        { rate: 1650, qty: 5, orders: 1 },
        { rate: 1700, qty: 4, orders: 1 },
      ],
    });
    expect(b.depth(1).demand).toHaveLength(1);
  });

  it("views every field of a resting order", () => {
    const b = book();
    const d = demand({ owner: 1, qty: 6, minFill: 2, minCertificate: 3, minColour: Colour.Red, excluded: [5, 6] });
    const s = supply({ owner: 2, qty: 4, rate: 1600, minSplit: 2, certificate: 4, colour: Colour.Red, shared: true });
    const a = supply({ owner: 3, qty: 4, rate: 1700, allOrNone: true, minSplit: 3 });
    const hd = ok(b.place(d)).handle;
    const hs = ok(b.place(s)).handle;
    const ha = ok(b.place(a)).handle;
    expect(b.order(hd)).toEqual({
      side: Side.Demand, handle: hd, seq: 1, owner: 1, tag: d.tag, qty: 6, rate: 1500, goodTill: 1000,
      minFill: 2, minCertificate: 3, minColour: Colour.Red, excluded: [5, 6],
    });
    expect(b.order(hs)).toEqual({
      side: Side.Supply, handle: hs, seq: 2, owner: 2, tag: s.tag, qty: 4, rate: 1600, goodTill: 1000,
      minSplit: 2, allOrNone: false, certificate: 4, colour: Colour.Red, shared: true,
    });
    expect(b.order(ha)).toMatchObject({ allOrNone: true, minSplit: 1 });
    expect(b.order(hd + 1_000_000_000)).toBeUndefined();
  });

  it("restores a snapshot that continues exactly like the original", () => {
    const b = book();
    ok(b.place(demand({ excluded: [3], minFill: 2 })));
    const gone = ok(b.place(supply({ rate: 1800 }))).handle;
    ok(b.place(supply({ rate: 1700, qty: 9, minSplit: 5 })));
    ok(b.place(demand({ rate: 1700, qty: 6, owner: 5 }))); // leaves the crew at 3 < minSplit
    b.cancel(gone);
    b.advanceTo(7);
    const snap = JSON.parse(JSON.stringify(b.snapshot()));
    const c = OrderBook.restore(snap);
    expect(c.snapshot()).toEqual(b.snapshot());
    const next: OrderInput[] = [supply({ rate: 1500, qty: 2 }), demand({ rate: 1700, qty: 9, owner: 6 }), demand({ qty: 1 })];
    for (const o of next) expect(c.place(o)).toEqual(b.place(o));
    expect(c.advanceTo(2000)).toEqual(b.advanceTo(2000));
  });

  it("rejects a corrupt snapshot by throwing", () => {
    const b = book();
    const h = ok(b.place(demand())).handle;
    const snap = b.snapshot();
    expect(() => OrderBook.restore({ ...snap, format: 2 } as never)).toThrow(/snapshot/);
    expect(() => OrderBook.restore({ ...snap, slots: 0 })).toThrow(/snapshot/);
    expect(() => OrderBook.restore({ ...snap, demand: [{ ...snap.demand[0]!, qty: 0 }] })).toThrow(/snapshot/);
    expect(() => OrderBook.restore({ ...snap, demand: [snap.demand[0]!, snap.demand[0]!], slots: 2 })).toThrow(/snapshot/);
    expect(() => OrderBook.restore({ ...snap, slots: 2 })).toThrow(/snapshot/);
    expect(OrderBook.restore(snap).order(h)?.qty).toBe(5);
  });
});

describe("scale", () => {
  it("grows past its initial capacity and keeps working", () => {
    const b = new OrderBook({ minRate: 0, maxRate: 99_999, tickSize: 1, now: 0, initialCapacity: 16 });
    const handles: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      handles.push(ok(b.place(demand({ rate: (i * 7919) % 50_000, qty: 1, owner: i, excluded: i % 10 === 0 ? [i + 1, i + 2] : undefined }))).handle);
    }
    expect(b.size).toBe(20_000);
    expect(b.bestDemandRate).toBe(Math.max(...Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 50_000)));
    // Cancel half (churning the excluded pool), then sweep the rest with one crew.
    for (let i = 0; i < handles.length; i += 2) b.cancel(handles[i]!);
    for (let i = 0; i < 2000; i++) b.cancel(ok(b.place(demand({ rate: 10, qty: 1, excluded: [1, 2, 3] }))).handle);
    const r = ok(b.place(supply({ rate: 0, qty: 1_000_000, owner: 1_000_000, tif: IOC })));
    expect(r.fills).toHaveLength(10_000);
    expect(r.fills.map((f) => f.rate)).toEqual([...r.fills.map((f) => f.rate)].sort((x, y) => y - x));
    expect(b.size).toBe(0);
  });

  it("finds occupied levels across a sparse wide bitmap", () => {
    const bm = new OccupancyBitmap(100_000);
    expect(bm.nextFrom(0)).toBe(-1);
    expect(bm.prevFrom(99_999)).toBe(-1);
    bm.set(3);
    bm.set(70_000);
    bm.set(99_999);
    expect(bm.nextFrom(4)).toBe(70_000);
    expect(bm.nextFrom(70_001)).toBe(99_999);
    expect(bm.prevFrom(69_999)).toBe(3);
    expect(bm.prevFrom(200_000)).toBe(99_999);
    bm.clear(70_000);
    expect(bm.nextFrom(4)).toBe(99_999);
    expect(bm.has(3)).toBe(true);
    expect(bm.has(70_000)).toBe(false);
  });
});
