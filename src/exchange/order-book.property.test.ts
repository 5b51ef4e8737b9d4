/**
 * Property tests: on random command sequences the order book must produce
 * exactly what a deliberately simple reference book produces (arrays, sorts
 * and linear scans, no cleverness), and keep its invariants after every
 * command.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Colour, OrderBook, Side, TimeInForce } from "./index";
import { OccupancyBitmap } from "./price-ladder";
import type { CommandResult, Fill, OrderInput, OrderView, RejectReason } from "./index";

// ---------------------------------------------------------------- reference book

const CFG = { minRate: 100, maxRate: 200, tickSize: 10 };
const START = 0;
const GTT = TimeInForce.GoodTill;
const FOK = TimeInForce.FillOrKill;

interface RefOrder {
  tag: number;
  side: Side;
  owner: number;
  rem: number;
  rate: number;
  goodTill: number;
  seq: number;
  /** Time priority: renewed when the order (re-)enters a level. */
  prio: number;
  minLeft: number;
  minCert: number;
  minColour: number;
  excluded: number[];
  minSplit: number;
  aon: boolean;
  cert: number;
  colour: number;
  shared: boolean;
}

/** Fill without handles (the reference has none): tags identify orders. */
interface RefFill {
  aggressor: Side;
  rate: number;
  qty: number;
  demandTag: number;
  demandOwner: number;
  demandLeft: number;
  supplyTag: number;
  supplyOwner: number;
  supplyLeft: number;
  shared: boolean;
}

type RefResult =
  | { ok: false; reason: RejectReason }
  | { ok: true; fills: RefFill[]; resting: number; cancelled: number }
  | { ok: true; cancelled: number; side: Side; owner: number; tag: number }
  | { ok: true; qty: number; reducedBy: number }
  | { ok: true; now: number; expired: { tag: number; side: Side; owner: number; qty: number }[] };

const isInt = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x);

class RefBook {
  now = START;
  book: RefOrder[] = [];
  private seq = 0;
  private prio = 0;

  rateReason(rate: number): RejectReason | null {
    if (!isInt(rate)) return "bad_rate";
    if (rate < CFG.minRate || rate > CFG.maxRate) return "rate_off_band";
    if ((rate - CFG.minRate) % CFG.tickSize !== 0) return "rate_off_grid";
    return null;
  }

  /** Only the checks the generator can trip, in the core's order. */
  reason(o: OrderInput): RejectReason | null {
    if (!isInt(o.qty) || o.qty < 1) return "bad_quantity";
    const r = this.rateReason(o.rate);
    if (r) return r;
    if (o.tif === GTT && (o.goodTill ?? -Infinity) <= this.now) return "expired";
    if (o.side === Side.Demand) {
      if ((o.minFill ?? 0) > o.qty) return "bad_min_fill";
    } else {
      if (o.colour === Colour.Black) return "black_supplier";
      if ((o.minSplit ?? 1) > o.qty) return "bad_min_split";
    }
    return null;
  }

  find(tag: number): RefOrder | undefined {
    return this.book.find((o) => o.tag === tag);
  }

  place(o: OrderInput): RefResult {
    const reason = this.reason(o);
    if (reason) return { ok: false, reason };
    const d = o.side === Side.Demand ? o : null;
    const s = o.side === Side.Supply ? o : null;
    const order: RefOrder = {
      tag: o.tag,
      side: o.side,
      owner: o.owner,
      rem: o.qty,
      rate: o.rate,
      goodTill: o.tif === GTT ? o.goodTill! : 0,
      seq: ++this.seq,
      prio: 0,
      minLeft: d?.minFill ?? 0,
      minCert: d?.minCertificate ?? 0,
      minColour: d?.minColour ?? Colour.Blue,
      excluded: [...(d?.excluded ?? [])],
      minSplit: s?.minSplit ?? 1,
      aon: s?.allOrNone ?? false,
      cert: s?.certificate ?? 0,
      colour: s?.colour ?? 0,
      shared: s?.shared ?? false,
    };
    return this.enter(order, o.tif);
  }

  cancel(tag: number): RefResult {
    const o = this.find(tag);
    if (!o) return { ok: false, reason: "unknown_order" };
    this.book = this.book.filter((x) => x !== o);
    return { ok: true, side: o.side, owner: o.owner, tag: o.tag, cancelled: o.rem };
  }

  reduce(tag: number, qty: number): RefResult {
    const o = this.find(tag);
    if (!o) return { ok: false, reason: "unknown_order" };
    if (!isInt(qty) || qty < 1) return { ok: false, reason: "bad_quantity" };
    if (qty >= o.rem) return { ok: false, reason: "not_a_reduction" };
    const reducedBy = o.rem - qty;
    o.rem = qty;
    o.minLeft = Math.min(o.minLeft, qty);
    return { ok: true, qty, reducedBy };
  }

  replaceRate(tag: number, rate: number): RefResult {
    const o = this.find(tag);
    if (!o) return { ok: false, reason: "unknown_order" };
    const reason = this.rateReason(rate);
    if (reason) return { ok: false, reason };
    this.book = this.book.filter((x) => x !== o);
    o.rate = rate;
    return this.enter(o, GTT);
  }

  advanceTo(t: number): RefResult {
    if (t < this.now) return { ok: false, reason: "time_regressed" };
    this.now = t;
    const gone = this.book.filter((o) => o.goodTill <= t).sort((a, b) => a.goodTill - b.goodTill || a.seq - b.seq);
    this.book = this.book.filter((o) => o.goodTill > t);
    return { ok: true, now: t, expired: gone.map((o) => ({ tag: o.tag, side: o.side, owner: o.owner, qty: o.rem })) };
  }

  /** Resting orders of a side in priority order. */
  sorted(side: Side): RefOrder[] {
    return this.book
      .filter((o) => o.side === side)
      .sort((a, b) => (side === Side.Demand ? b.rate - a.rate : a.rate - b.rate) || a.prio - b.prio);
  }

  private enter(a: RefOrder, tif: number): RefResult {
    const q0 = a.rem;
    const other = this.sorted(a.side === Side.Demand ? Side.Supply : Side.Demand).filter((o) =>
      a.side === Side.Demand ? o.rate <= a.rate : o.rate >= a.rate,
    );
    const left = new Map(other.map((o) => [o, o.rem]));
    let planned: [RefOrder, number][] = [];
    let q = q0;
    // Each fill: the first order in priority that the rules allow right now.
    for (;;) {
      const c = other.find((o) => left.get(o)! > 0 && allowed(a, o, q, left.get(o)!));
      if (c === undefined) break;
      const f = Math.min(q, left.get(c)!);
      left.set(c, left.get(c)! - f);
      q -= f;
      planned.push([c, f]);
      if (q === 0) break;
    }
    const threshold = tif === FOK ? q0 : a.minLeft;
    if (threshold > 1 && q0 - q < threshold) {
      planned = [];
      q = q0;
    }
    const fills: RefFill[] = [];
    let aLeft = q0;
    for (const [c, f] of planned) {
      aLeft -= f;
      c.rem -= f;
      c.minLeft = 0;
      const [d, dLeft, s, sLeft] = a.side === Side.Demand ? [a, aLeft, c, c.rem] : [c, c.rem, a, aLeft];
      fills.push({
        aggressor: a.side,
        rate: c.rate,
        qty: f,
        demandTag: d.tag,
        demandOwner: d.owner,
        demandLeft: dLeft,
        supplyTag: s.tag,
        supplyOwner: s.owner,
        supplyLeft: sLeft,
        shared: s.shared,
      });
    }
    if (planned.length > 0) a.minLeft = 0;
    this.book = this.book.filter((o) => o.rem > 0);
    a.rem = q;
    if (q === 0) return { ok: true, fills, resting: 0, cancelled: 0 };
    if (tif === GTT) {
      a.prio = ++this.prio;
      this.book.push(a);
      return { ok: true, fills, resting: q, cancelled: 0 };
    }
    return { ok: true, fills, resting: 0, cancelled: q };
  }
}

/** Eligibility: never changes for a pair. */
function eligible(d: RefOrder, s: RefOrder): boolean {
  return d.owner !== s.owner && s.colour >= d.minColour && s.cert >= d.minCert && !d.excluded.includes(s.owner);
}

/** Smallest fill an order accepts given its remainder (supply split rule). */
function splitOk(o: RefOrder, f: number, rem: number): boolean {
  if (o.side === Side.Demand) return true;
  if (o.aon) return f === rem;
  return f === rem || f >= o.minSplit;
}

/** May incoming `a` (q left) fill resting `r` (rem left) right now? */
function allowed(a: RefOrder, r: RefOrder, q: number, rem: number): boolean {
  const [d, s] = a.side === Side.Demand ? [a, r] : [r, a];
  if (!eligible(d, s)) return false;
  const f = Math.min(q, rem);
  return splitOk(a, f, q) && splitOk(r, f, rem) && f >= r.minLeft;
}

// ---------------------------------------------------------------- commands

type Cmd =
  | { type: "place"; order: OrderInput }
  | { type: "cancel"; pick: number }
  | { type: "reduce"; pick: number; qty: number }
  | { type: "replaceRate"; pick: number; rate: number }
  | { type: "advance"; by: number };

const OWNERS = 5;

const orderArb: fc.Arbitrary<Omit<OrderInput, "tag" | "goodTill"> & { ttl: number }> = fc.oneof(
  fc.record({
    side: fc.constant(Side.Demand),
    owner: fc.integer({ min: 1, max: OWNERS }),
    qty: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 1, arbitrary: fc.constant(0) }),
    rate: fc.oneof(
      { weight: 19, arbitrary: fc.integer({ min: 0, max: 10 }).map((k) => 100 + 10 * k) },
      { weight: 1, arbitrary: fc.constantFrom(95, 105, 210) },
    ),
    tif: fc.constantFrom(GTT, GTT, GTT, TimeInForce.ImmediateOrCancel, FOK),
    ttl: fc.integer({ min: -1, max: 12 }),
    minFill: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) }),
    minCertificate: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
    minColour: fc.constantFrom(Colour.Black, Colour.Blue, Colour.Blue, Colour.Red),
    excluded: fc.oneof(
      { weight: 3, arbitrary: fc.constant([] as number[]) },
      { weight: 1, arbitrary: fc.uniqueArray(fc.integer({ min: 1, max: OWNERS }), { maxLength: 2 }) },
    ),
  }),
  fc.record({
    side: fc.constant(Side.Supply),
    owner: fc.integer({ min: 1, max: OWNERS }),
    qty: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 1, arbitrary: fc.constant(0) }),
    rate: fc.oneof(
      { weight: 19, arbitrary: fc.integer({ min: 0, max: 10 }).map((k) => 100 + 10 * k) },
      { weight: 1, arbitrary: fc.constantFrom(95, 105, 210) },
    ),
    tif: fc.constantFrom(GTT, GTT, GTT, TimeInForce.ImmediateOrCancel, FOK),
    ttl: fc.integer({ min: -1, max: 12 }),
    colour: fc.constantFrom(Colour.Black, Colour.Blue, Colour.Blue, Colour.Red, Colour.Red, Colour.Red, Colour.Red, Colour.Red),
    certificate: fc.integer({ min: 0, max: 3 }),
    minSplit: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) }),
    allOrNone: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    shared: fc.boolean(),
  }),
) as never;

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 10, arbitrary: orderArb.map((order) => ({ type: "place" as const, order: order as never })) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ type: "cancel" as const, pick })) },
  {
    weight: 2,
    arbitrary: fc.record({ pick: fc.nat(), qty: fc.integer({ min: 0, max: 8 }) }).map((c) => ({ type: "reduce" as const, ...c })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ pick: fc.nat(), rate: fc.integer({ min: -1, max: 11 }).map((k) => 100 + 10 * k) })
      .map((c) => ({ type: "replaceRate" as const, ...c })),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }).map((by) => ({ type: "advance" as const, by })) },
);

/** Same generator biased to plain orders (no requirements, no size rules), for the priority property. */
const plainCmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({
        side: fc.constantFrom(Side.Demand, Side.Supply),
        owner: fc.integer({ min: 1, max: 1000 }),
        qty: fc.integer({ min: 1, max: 8 }),
        rate: fc.integer({ min: 0, max: 10 }).map((k) => 100 + 10 * k),
      })
      .map((o) => ({
        type: "place" as const,
        order: { ...o, tif: GTT, ttl: 1000, colour: Colour.Blue } as never,
      })),
  },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ type: "cancel" as const, pick })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ pick: fc.nat(), rate: fc.integer({ min: 0, max: 10 }).map((k) => 100 + 10 * k) })
      .map((c) => ({ type: "replaceRate" as const, ...c })),
  },
);

// ---------------------------------------------------------------- driver

/** Drives the core and tracks what the tests need: tag <-> handle, headcount ledger per tag. */
class Driver {
  readonly book: OrderBook;
  /** tag of the n-th place command, for picks. */
  readonly tags: number[] = [];
  readonly handleOfTag = new Map<number, number>();
  readonly tagOfHandle = new Map<number, number>();
  /** Placed minus filled, cancelled, reduced, expired: must equal the resting quantity. */
  readonly open = new Map<number, number>();
  /** minFill as placed, per demand tag (the book only knows what is left of it). */
  readonly declaredMinFill = new Map<number, number>();
  private nextTag = 1;

  constructor(book = new OrderBook({ ...CFG, now: START })) {
    this.book = book;
  }

  /** Turns a generated command into the concrete order (tag and goodTill assigned here). */
  concrete(c: Cmd): Cmd {
    if (c.type !== "place") return c;
    const { ttl, ...rest } = c.order as OrderInput & { ttl: number };
    return { type: "place", order: { ...rest, tag: this.nextTag++, goodTill: this.book.now + ttl } as OrderInput };
  }

  /** Three picks in four name a live order (if any), the rest any order ever placed (often done: stale handles). */
  pickTag(pick: number): number {
    if (pick % 4 !== 3) {
      const live = [...this.open].filter(([, q]) => q > 0).map(([tag]) => tag);
      if (live.length > 0) return live[(pick >> 2) % live.length]!;
    }
    return this.tags.length === 0 ? -1 : this.tags[(pick >> 2) % this.tags.length]!;
  }

  run(c: Cmd): CommandResult {
    switch (c.type) {
      case "place": {
        this.tags.push(c.order.tag);
        if (c.order.side === Side.Demand) this.declaredMinFill.set(c.order.tag, c.order.minFill ?? 0);
        const r = this.book.place(c.order);
        if (r.ok) {
          this.handleOfTag.set(c.order.tag, r.handle);
          this.tagOfHandle.set(r.handle, c.order.tag);
          this.open.set(c.order.tag, c.order.qty - r.cancelled);
          this.applyFills(r.fills);
        }
        return r;
      }
      case "cancel": {
        const r = this.book.cancel(this.handle(c.pick));
        if (r.ok) this.take(r.tag, r.cancelled);
        return r;
      }
      case "reduce": {
        const tag = this.pickTag(c.pick);
        const r = this.book.reduce(this.handle(c.pick), c.qty);
        if (r.ok) this.take(tag, r.reducedBy);
        return r;
      }
      case "replaceRate": {
        const r = this.book.replaceRate(this.handle(c.pick), c.rate);
        if (r.ok) this.applyFills(r.fills);
        return r;
      }
      case "advance": {
        const r = this.book.advanceTo(this.book.now + c.by);
        if (r.ok) for (const e of r.expired) this.take(e.tag, e.qty);
        return r;
      }
    }
  }

  private handle(pick: number): number {
    return this.handleOfTag.get(this.pickTag(pick)) ?? -1;
  }

  private take(tag: number, qty: number): void {
    this.open.set(tag, (this.open.get(tag) ?? 0) - qty);
  }

  private applyFills(fills: readonly Fill[]): void {
    for (const f of fills) {
      this.take(f.demandTag, f.qty);
      this.take(f.supplyTag, f.qty);
    }
  }

  /** The core's result with handles checked against tags, then dropped, to compare with the reference. */
  normalise(c: Cmd, r: CommandResult): RefResult {
    if (!r.ok) return { ok: false, reason: r.reason };
    if ("fills" in r) {
      const fills = r.fills.map((f): RefFill => {
        expect(this.tagOfHandle.get(f.demand)).toBe(f.demandTag);
        expect(this.tagOfHandle.get(f.supply)).toBe(f.supplyTag);
        const { demand: _d, supply: _s, ...rest } = f;
        return { ...rest };
      });
      return { ok: true, fills, resting: r.resting, cancelled: r.cancelled };
    }
    if ("expired" in r) {
      return {
        ok: true,
        now: r.now,
        expired: r.expired.map((e) => {
          expect(this.tagOfHandle.get(e.handle)).toBe(e.tag);
          return { tag: e.tag, side: e.side, owner: e.owner, qty: e.qty };
        }),
      };
    }
    if ("reducedBy" in r) return { ok: true, qty: r.qty, reducedBy: r.reducedBy };
    if (c.type === "cancel") expect(this.tagOfHandle.get(r.handle)).toBe(r.tag);
    return { ok: true, side: r.side, owner: r.owner, tag: r.tag, cancelled: r.cancelled };
  }
}

function runRef(ref: RefBook, d: Driver, c: Cmd): RefResult {
  switch (c.type) {
    case "place":
      return ref.place(c.order);
    case "cancel":
      return ref.cancel(d.pickTag(c.pick));
    case "reduce":
      return ref.reduce(d.pickTag(c.pick), c.qty);
    case "replaceRate":
      return ref.replaceRate(d.pickTag(c.pick), c.rate);
    case "advance":
      return ref.advanceTo(ref.now + c.by);
  }
}

const viewOf = (o: OrderView): RefOrder =>
  o.side === Side.Demand
    ? { tag: o.tag, side: o.side, owner: o.owner, rem: o.qty, rate: o.rate, goodTill: o.goodTill, seq: o.seq, prio: 0, minLeft: o.minFill, minCert: o.minCertificate, minColour: o.minColour, excluded: [...o.excluded], minSplit: 1, aon: false, cert: 0, colour: 0, shared: false }
    : { tag: o.tag, side: o.side, owner: o.owner, rem: o.qty, rate: o.rate, goodTill: o.goodTill, seq: o.seq, prio: 0, minLeft: 0, minCert: 0, minColour: 0, excluded: [], minSplit: o.minSplit, aon: o.allOrNone, cert: o.certificate, colour: o.colour, shared: o.shared };

/** Checks the book's invariants after a command. */
function checkInvariants(d: Driver): void {
  const book = d.book;
  const demand = book.orders(Side.Demand).map(viewOf);
  const supply = book.orders(Side.Supply).map(viewOf);
  // Headcount is conserved: placed = filled + cancelled + reduced + expired + resting.
  const resting = new Map<number, number>();
  for (const o of [...demand, ...supply]) resting.set(o.tag, o.rem);
  for (const [tag, open] of d.open) expect(open, `headcount of order ${tag}`).toBe(resting.get(tag) ?? 0);
  // Not crossed for eligible pairs: two resting orders that cross, pass every
  // eligibility check and carry no size rule (min fill, min split,
  // all-or-none) would have traded when the later one arrived.
  const plainD = demand.filter((o) => (d.declaredMinFill.get(o.tag) ?? 0) <= 1);
  const plainS = supply.filter((o) => !o.aon && o.minSplit <= 1);
  for (const x of plainD) {
    for (const y of plainS) {
      if (x.rate >= y.rate) expect(eligible(x, y), `crossed: demand ${x.tag} @${x.rate} vs supply ${y.tag} @${y.rate}`).toBe(false);
    }
  }
  // Depth agrees with the orders; the queue order is by rate; best rates agree.
  const depth = book.depth();
  const agg = (xs: RefOrder[]) => {
    const m = new Map<number, { rate: number; qty: number; orders: number }>();
    for (const o of xs) {
      const l = m.get(o.rate) ?? { rate: o.rate, qty: 0, orders: 0 };
      l.qty += o.rem;
      l.orders += 1;
      m.set(o.rate, l);
    }
    return [...m.values()];
  };
  expect(depth.demand).toEqual(agg(demand));
  expect(depth.supply).toEqual(agg(supply));
  for (let i = 1; i < demand.length; i++) expect(demand[i]!.rate).toBeLessThanOrEqual(demand[i - 1]!.rate);
  for (let i = 1; i < supply.length; i++) expect(supply[i]!.rate).toBeGreaterThanOrEqual(supply[i - 1]!.rate);
  expect(book.bestDemandRate).toBe(demand[0]?.rate ?? null);
  expect(book.bestSupplyRate).toBe(supply[0]?.rate ?? null);
  expect(book.size).toBe(demand.length + supply.length);
}

const listing = (xs: RefOrder[]) => xs.map((o) => [o.tag, o.rem, o.rate, o.minLeft, o.goodTill]);

// ---------------------------------------------------------------- properties

describe("order book against the reference implementation", () => {
  it("produces exactly the reference's results and book on random command sequences, keeping every invariant", () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { minLength: 20, maxLength: 100, size: "max" }), (cmds) => {
        const d = new Driver();
        const ref = new RefBook();
        for (const raw of cmds) {
          const c = d.concrete(raw);
          const expected = runRef(ref, d, c);
          const got = d.normalise(c, d.run(c));
          expect(got).toEqual(expected);
          // Priority holds: the book's queues are the reference's (rate, then time) order.
          expect(listing(d.book.orders(Side.Demand).map(viewOf))).toEqual(listing(ref.sorted(Side.Demand)));
          expect(listing(d.book.orders(Side.Supply).map(viewOf))).toEqual(listing(ref.sorted(Side.Supply)));
          checkInvariants(d);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("fills plain orders strictly in price-time priority", () => {
    fc.assert(
      fc.property(fc.array(plainCmdArb, { minLength: 1, maxLength: 150, size: "max" }), (cmds) => {
        const d = new Driver();
        for (const raw of cmds) {
          const c = d.concrete(raw);
          const incoming =
            c.type === "place" ? c.order : c.type === "replaceRate" ? d.book.order(d.handleOfTag.get(d.pickTag(c.pick)) ?? -1) : undefined;
          const before = incoming
            ? d.book
                .orders(incoming.side === Side.Demand ? Side.Supply : Side.Demand)
                .filter((o) => o.owner !== incoming.owner)
                .filter((o) => (incoming.side === Side.Demand ? o.rate <= (c.type === "replaceRate" ? c.rate : incoming.rate) : o.rate >= (c.type === "replaceRate" ? c.rate : incoming.rate)))
                .map((o) => o.tag)
            : [];
          const r = d.run(c);
          if (r.ok && "fills" in r) {
            const takenFrom = r.fills.map((f) => (f.aggressor === Side.Demand ? f.supplyTag : f.demandTag));
            // The fills take a prefix of the crossing queue, in order; the
            // incoming order stops only when filled or the queue is used up.
            expect(takenFrom).toEqual(before.slice(0, takenFrom.length));
            if (r.resting > 0) expect(takenFrom.length).toBe(before.length);
          }
          checkInvariants(d);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("continues after snapshot -> JSON -> restore exactly as without the snapshot", () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { minLength: 1, maxLength: 60, size: "max" }), fc.nat(), (cmds, at) => {
        const cut = at % (cmds.length + 1);
        const straight = new Driver();
        const resumed = new Driver();
        const concrete: Cmd[] = [];
        const a: CommandResult[] = [];
        for (const raw of cmds) {
          const c = straight.concrete(raw);
          concrete.push(c);
          a.push(straight.run(c));
        }
        const b: CommandResult[] = [];
        for (let i = 0; i < cut; i++) b.push(resumed.run(concrete[i]!));
        const snap = JSON.parse(JSON.stringify(resumed.book.snapshot()));
        const restored = OrderBook.restore(snap);
        expect(restored.snapshot()).toEqual(resumed.book.snapshot());
        // Same driver bookkeeping, new book.
        Object.assign(resumed, { book: restored });
        for (let i = cut; i < concrete.length; i++) b.push(resumed.run(concrete[i]!));
        expect(b).toEqual(a);
        expect(restored.snapshot()).toEqual(straight.book.snapshot());
      }),
      { numRuns: 300 },
    );
  });

  it("is deterministic: the same commands give the same results, handles included", () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { minLength: 1, maxLength: 60, size: "max" }), (cmds) => {
        const x = new Driver();
        const y = new Driver();
        for (const raw of cmds) {
          const c = x.concrete(raw);
          y.concrete(raw);
          expect(y.run(c)).toEqual(x.run(c));
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("occupancy bitmap against a set", () => {
  it("finds the same next and previous occupied levels", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.tuple(fc.constantFrom("set", "clear", "next", "prev"), fc.nat()), { maxLength: 200 }),
        (size, ops) => {
          const bm = new OccupancyBitmap(size);
          const set = new Set<number>();
          for (const [op, raw] of ops) {
            const i = raw % size;
            if (op === "set") {
              bm.set(i);
              set.add(i);
            } else if (op === "clear") {
              bm.clear(i);
              set.delete(i);
            } else if (op === "next") {
              const want = [...set].filter((x) => x >= i).sort((p, q) => p - q)[0] ?? -1;
              expect(bm.nextFrom(i)).toBe(want);
            } else {
              const want = [...set].filter((x) => x <= i).sort((p, q) => q - p)[0] ?? -1;
              expect(bm.prevFrom(i)).toBe(want);
            }
            expect(bm.has(i)).toBe(set.has(i));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
