/**
 * The matching core: one in-memory labour order book per market.
 *
 * Pure and deterministic: no I/O, no clock, no randomness. The same commands
 * always give the same results (handles included), so the sequencer can
 * journal commands and replay them, or snapshot a book and continue.
 *
 * ## Rules
 *
 * - Rates are integer fen per hour on the market's grid
 *   (`minRate + k * tickSize <= maxRate`); quantities are headcounts.
 * - Price-time priority. An incoming order (a place, or a resting order whose
 *   rate was replaced) trades against resting orders of the other side whose
 *   rate crosses its own; the trade rate is the resting order's rate. Resting
 *   orders never trade with each other, and cancel / reduce / expiry never
 *   trigger trades, with one exception: a resting offer whose colour rises
 *   (`recolour`, blue to red) meets the resting demand it is newly eligible
 *   for as an incoming order would, keeping its place for what is left.
 * - Each fill is with the highest-priority resting order that all the rules
 *   below allow *at that moment*, for `f = min(incoming remaining, resting
 *   remaining)`. A resting order that a rule rules out is skipped, not
 *   removed, and keeps its place. (Because the quantity rules depend on the
 *   remaining sizes, an order skipped for size may become the best choice
 *   after a later fill shrinks the incoming order; it is then taken first.)
 * - Eligibility (checked at match time, never changes for a pair):
 *   different owners (an organisation never trades with itself); crew colour
 *   >= the demand's `minColour` (Black offers are rejected at entry, so black
 *   never trades); crew certificate >= the demand's `minCertificate`; the
 *   crew's owner is not in the demand's `excluded` list.
 * - Min split (supply): `f >= minSplit`, unless `f` is the crew's whole
 *   remaining size. A fill may leave a remainder below minSplit; that
 *   remainder then only trades whole. All-or-none: `f` must be the crew's
 *   whole remaining size (the crew is never split, not even across several
 *   demand orders).
 * - Min fill (demand): a threshold on the order's *first* execution. As the
 *   incoming order, the whole aggression must fill at least `minFill` or it
 *   trades nothing (and then rests if GoodTill, with `minFill` unchanged). As
 *   the resting order, a single fill must be at least its `minFill`. Once any
 *   fill happened, the order has no minimum any more. Reduce clamps minFill to
 *   the new quantity.
 * - FillOrKill: the aggression must fill the whole quantity or it trades
 *   nothing and is cancelled. ImmediateOrCancel: the remainder is cancelled.
 *   GoodTill: the remainder rests until `goodTill`.
 * - Time: the book's clock moves only by `advanceTo(t)` (t never decreases).
 *   It expires every resting order with `goodTill <= t`, in (goodTill,
 *   placement sequence) order. A GoodTill order with `goodTill <= now` is
 *   rejected as `expired`; so an order with goodTill = T trades while now < T.
 * - Reduce keeps priority; replacing the rate loses it (the order re-enters
 *   at the tail of its new level, and may trade as the incoming order first).
 * - Tags are opaque to the book (the sequencer keeps its own ids unique);
 *   duplicate excluded-supplier ids are rejected.
 * - Handles: `place` returns an integer handle (slot + generation). It stays
 *   valid until the order is done (filled, cancelled or expired); a stale
 *   handle is rejected as `unknown_order`, never applied to another order.
 * - Invariant after every command: no resting demand and resting supply
 *   that cross in rate, are eligible for each other and carry no size rule
 *   (minFill <= 1, minSplit <= 1, not all-or-none) are both on the book.
 *   Orders with size rules can rest crossed with an eligible order they
 *   could not fill at the sizes they met at; they trade when a later
 *   incoming order fits.
 * - Every command returns a result; bad input is rejected with a reason code
 *   and leaves the book unchanged. Only the constructor and `restore` throw
 *   (for a bad market config or a corrupt snapshot).
 *
 * ## Data structures
 *
 * Struct-of-arrays in typed arrays indexed by slot, slots recycled through a
 * free list and grown by doubling; one intrusive doubly linked FIFO per price
 * level (cancel and full fill are O(1) unlinks); level head/tail/total arrays
 * indexed by level; an occupancy bitmap with a summary level to find the next
 * occupied level; excluded-supplier lists in a side pool only for orders that
 * have them; a binary heap keyed by (goodTill, seq) for expiry with lazy
 * deletion. Memory: about 40 bytes per tick of the band (both sides) plus
 * about 90 bytes per resting order; an empty book starts small (64 slots).
 * Levels of both sides share one index space: demand level k is k,
 * supply level k is `levels + k`, so walking the bitmap down from the best
 * demand level or up from the best supply level never leaves its side.
 */
import { OccupancyBitmap } from "./price-ladder";
import {
  Colour,
  MAX_CERTIFICATE,
  MAX_EXCLUDED,
  MAX_OWNER,
  MAX_QUANTITY,
  Side,
  TimeInForce,
} from "./order-book.types";
import type {
  AdvanceResult,
  BookConfig,
  BookDepth,
  BookOptions,
  BookSnapshot,
  CancelResult,
  Command,
  CommandResult,
  DemandOrder,
  DemandView,
  DepthLevel,
  Expiry,
  Fill,
  OrderInput,
  OrderView,
  PlaceResult,
  RecolourResult,
  ReduceResult,
  RejectReason,
  Rejected,
  SupplyOrder,
  SupplyView,
} from "./order-book.types";

const NIL = -1;
const DEMAND = 0;
const SUPPLY = 1;
/** Side value of a slot that holds no order. */
const FREE = 2;
const GTT = TimeInForce.GoodTill;
const FOK = TimeInForce.FillOrKill;
const IOC = TimeInForce.ImmediateOrCancel;
const FLAG_AON = 1;
const FLAG_SHARED = 2;
/** Split of an all-or-none crew: no fill short of its whole remainder passes `f >= min(split, rem)`. */
const AON_SPLIT = 0x7fffffff;
/** handle = generation * SLOT_SPAN + slot; 2^24 slots per book. */
const SLOT_SPAN = 16_777_216;
/** Generations wrap below 2^29 so handles stay below 2^53. */
const GEN_LIMIT = 536_870_912;
/** Widest rate band, in ticks. */
const MAX_LEVELS = 1 << 22;

const EMPTY_FILLS: readonly Fill[] = Object.freeze([]);
const EMPTY_EXPIRED: readonly Expiry[] = Object.freeze([]);

const rejections = new Map<RejectReason, Rejected>();
/** One frozen object per reason, so rejecting allocates nothing. */
function reject(reason: RejectReason): Rejected {
  let r = rejections.get(reason);
  if (r === undefined) {
    r = Object.freeze({ ok: false as const, reason });
    rejections.set(reason, r);
  }
  return r;
}

function isInt(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x);
}

function isOptionalInt(x: unknown, lo: number, hi: number): boolean {
  return x === undefined || (isInt(x) && x >= lo && x <= hi);
}

function makeFill(
  aggressor: Side,
  rate: number,
  qty: number,
  demand: number,
  demandOwner: number,
  demandTag: number,
  demandLeft: number,
  supply: number,
  supplyOwner: number,
  supplyTag: number,
  supplyLeft: number,
  shared: boolean,
): Fill {
  return {
    aggressor,
    rate,
    qty,
    demand,
    demandOwner,
    demandTag,
    demandLeft,
    supply,
    supplyOwner,
    supplyTag,
    supplyLeft,
    shared,
  };
}

/** Checks a market config; throws RangeError, since a bad config is a programming error. */
function checkConfig(c: BookConfig): number {
  const { minRate, maxRate, tickSize } = c;
  if (!isInt(minRate) || minRate < 0) throw new RangeError("minRate must be an integer >= 0");
  if (!isInt(tickSize) || tickSize < 1) throw new RangeError("tickSize must be an integer >= 1");
  if (!isInt(maxRate) || maxRate < minRate) throw new RangeError("maxRate must be an integer >= minRate");
  if ((maxRate - minRate) % tickSize !== 0) throw new RangeError("maxRate - minRate must be a multiple of tickSize");
  const levels = (maxRate - minRate) / tickSize + 1;
  if (levels > MAX_LEVELS) throw new RangeError(`the band may hold at most ${MAX_LEVELS} ticks`);
  return levels;
}

/** One market's order book. See the module documentation for the rules. */
export class OrderBook {
  readonly minRate: number;
  readonly maxRate: number;
  readonly tickSize: number;
  /** Number of ticks in the band. */
  readonly levels: number;

  private clock: number;
  private nextSeq = 1;

  // Per-order columns, indexed by slot.
  private cap: number;
  private hwm = 0;
  private nextOf: Int32Array;
  private prevOf: Int32Array;
  private remOf: Int32Array;
  private levelOf: Int32Array;
  private sideOf: Uint8Array;
  private flagsOf: Uint8Array;
  private certOf: Uint8Array;
  private colourOf: Uint8Array;
  private ownerOf: Int32Array;
  private genOf: Int32Array;
  private splitOf: Int32Array;
  private minLeftOf: Int32Array;
  private exOffOf: Int32Array;
  private tagOf: Float64Array;
  private tillOf: Float64Array;
  private seqOf: Float64Array;
  private freeStack: Int32Array;
  private freeTop = 0;

  // Per-level columns; demand levels 0..levels-1, supply levels levels..2*levels-1.
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly levelQty: Float64Array;
  private readonly levelCount: Int32Array;
  private readonly occ: OccupancyBitmap;
  private bestDemand = NIL;
  private bestSupply = NIL;
  private resting = 0;

  // Scratch for the fills of one aggression.
  private fillSlot = new Int32Array(64);
  private fillQty = new Int32Array(64);
  private fillCount = 0;

  // Expiry heap ordered by (till, seq); entries whose seq no longer matches the slot are garbage.
  private heapTill = new Float64Array(64);
  private heapSeq = new Float64Array(64);
  private heapSlot = new Int32Array(64);
  private heapLen = 0;

  // Excluded-supplier pool: at offset o, [slot, n, id1..idn]; offset 0 means none.
  private exPool = new Int32Array(64);
  private exTop = 1;
  private exGarbage = 0;

  constructor(options: BookOptions) {
    this.levels = checkConfig(options);
    this.minRate = options.minRate;
    this.maxRate = options.maxRate;
    this.tickSize = options.tickSize;
    const now = options.now ?? Number.MIN_SAFE_INTEGER;
    if (!isInt(now)) throw new RangeError("now must be a safe integer");
    this.clock = now;
    const cap = Math.min(SLOT_SPAN, Math.max(16, Math.floor(options.initialCapacity ?? 64) || 16));
    this.cap = cap;
    this.nextOf = new Int32Array(cap);
    this.prevOf = new Int32Array(cap);
    this.remOf = new Int32Array(cap);
    this.levelOf = new Int32Array(cap);
    this.sideOf = new Uint8Array(cap);
    this.flagsOf = new Uint8Array(cap);
    this.certOf = new Uint8Array(cap);
    this.colourOf = new Uint8Array(cap);
    this.ownerOf = new Int32Array(cap);
    this.genOf = new Int32Array(cap);
    this.splitOf = new Int32Array(cap);
    this.minLeftOf = new Int32Array(cap);
    this.exOffOf = new Int32Array(cap);
    this.tagOf = new Float64Array(cap);
    this.tillOf = new Float64Array(cap);
    this.seqOf = new Float64Array(cap);
    this.freeStack = new Int32Array(cap);
    const n = 2 * this.levels;
    this.head = new Int32Array(n).fill(NIL);
    this.tail = new Int32Array(n).fill(NIL);
    this.levelQty = new Float64Array(n);
    this.levelCount = new Int32Array(n);
    this.occ = new OccupancyBitmap(n);
  }

  /** The book's current instant (last `advanceTo`). */
  get now(): number {
    return this.clock;
  }

  /** Number of resting orders on both sides. */
  get size(): number {
    return this.resting;
  }

  /** Best (highest) resting demand rate, or null. */
  get bestDemandRate(): number | null {
    return this.bestDemand === NIL ? null : this.rateOfLevel(this.bestDemand);
  }

  /** Best (lowest) resting supply rate, or null. */
  get bestSupplyRate(): number | null {
    return this.bestSupply === NIL ? null : this.rateOfLevel(this.bestSupply);
  }

  // ---------------------------------------------------------------- commands

  /** Runs one journaled command. */
  execute(cmd: Command): CommandResult {
    if (cmd === null || typeof cmd !== "object") return reject("bad_command");
    switch (cmd.type) {
      case "place":
        return this.place(cmd.order);
      case "cancel":
        return this.cancel(cmd.handle);
      case "reduce":
        return this.reduce(cmd.handle, cmd.qty);
      case "replaceRate":
        return this.replaceRate(cmd.handle, cmd.rate);
      case "advanceTo":
        return this.advanceTo(cmd.time);
      default:
        return reject("bad_command");
    }
  }

  /** Places a demand order or supply offer: validates, matches, then rests, cancels or kills the remainder. */
  place(order: OrderInput): PlaceResult {
    const reason = this.check(order);
    if (reason !== null) return reject(reason);
    const s = this.alloc();
    if (s === NIL) return reject("book_full");
    const side = order.side;
    this.sideOf[s] = side;
    this.ownerOf[s] = order.owner;
    this.tagOf[s] = order.tag;
    this.remOf[s] = order.qty;
    this.levelOf[s] = side * this.levels + (order.rate - this.minRate) / this.tickSize;
    this.tillOf[s] = order.tif === GTT ? (order.goodTill as number) : 0;
    this.seqOf[s] = this.nextSeq++;
    if (side === DEMAND) {
      this.flagsOf[s] = 0;
      this.splitOf[s] = 0;
      this.minLeftOf[s] = order.minFill ?? 0;
      this.certOf[s] = order.minCertificate ?? 0;
      this.colourOf[s] = order.minColour ?? Colour.Blue;
      const ex = order.excluded;
      this.exOffOf[s] = ex !== undefined && ex.length > 0 ? this.storeExcluded(s, ex) : 0;
    } else {
      const aon = order.allOrNone === true;
      this.flagsOf[s] = (aon ? FLAG_AON : 0) | (order.shared === true ? FLAG_SHARED : 0);
      this.splitOf[s] = aon ? AON_SPLIT : (order.minSplit ?? 1);
      this.minLeftOf[s] = 0;
      this.certOf[s] = order.certificate ?? 0;
      this.colourOf[s] = order.colour;
      this.exOffOf[s] = 0;
    }
    return this.enter(s, order.tif, order.qty, true);
  }

  /** Cancels a resting order. */
  cancel(handle: number): CancelResult {
    const s = this.resolve(handle);
    if (s === NIL) return reject("unknown_order");
    const result = {
      ok: true as const,
      handle,
      side: this.sideOf[s] as Side,
      owner: this.ownerOf[s]!,
      tag: this.tagOf[s]!,
      cancelled: this.remOf[s]!,
    };
    this.unlink(s);
    this.release(s);
    return result;
  }

  /**
   * Changes a resting supply offer's colour (its supplier's rating changed). It keeps its
   * place. A colour that rises (blue to red) makes it eligible for resting demand that
   * requires the higher colour: it then meets that demand as an incoming offer would (the
   * resting demand sets the rate; the offer's minSplit and all-or-none hold), and what is
   * left keeps its place. A colour that falls never trades. Black is refused: a black
   * supplier's offers are cancelled, not recoloured.
   */
  recolour(handle: number, colour: Colour): RecolourResult {
    const s = this.resolve(handle);
    if (s === NIL) return reject("unknown_order");
    if (this.sideOf[s] !== Side.Supply) return reject("bad_command");
    if (colour !== Colour.Blue && colour !== Colour.Red) return reject(colour === Colour.Black ? "black_supplier" : "bad_colour");
    const from = this.colourOf[s] as Colour;
    this.colourOf[s] = colour;
    const q0 = this.remOf[s]!;
    if (colour <= from) return { ok: true, handle, from, fills: EMPTY_FILLS, resting: q0 };
    this.fillCount = 0;
    const q = this.match(s, q0);
    if (this.fillCount === 0) return { ok: true, handle, from, fills: EMPTY_FILLS, resting: q0 };
    const fills = this.commit(s, q0);
    if (q === 0) {
      this.unlink(s);
      this.remOf[s] = 0;
      this.release(s);
    } else {
      this.levelQty[this.levelOf[s]!]! -= q0 - q;
      this.remOf[s] = q;
    }
    return { ok: true, handle, from, fills, resting: q };
  }

  /** Reduces a resting order's remaining quantity to `qty` (1 <= qty < remaining); keeps priority, never trades. */
  reduce(handle: number, qty: number): ReduceResult {
    const s = this.resolve(handle);
    if (s === NIL) return reject("unknown_order");
    if (!isInt(qty) || qty < 1) return reject("bad_quantity");
    const rem = this.remOf[s]!;
    if (qty >= rem) return reject("not_a_reduction");
    this.remOf[s] = qty;
    this.levelQty[this.levelOf[s]!]! -= rem - qty;
    if (this.minLeftOf[s]! > qty) this.minLeftOf[s] = qty;
    return { ok: true, handle, qty, reducedBy: rem - qty };
  }

  /** Moves a resting order to a new rate: it loses priority and may trade as the incoming order. */
  replaceRate(handle: number, rate: number): PlaceResult {
    const s = this.resolve(handle);
    if (s === NIL) return reject("unknown_order");
    const reason = this.checkRate(rate);
    if (reason !== null) return reject(reason);
    this.unlink(s);
    const side = this.sideOf[s]!;
    this.levelOf[s] = side * this.levels + (rate - this.minRate) / this.tickSize;
    return this.enter(s, GTT, this.remOf[s]!, false);
  }

  /** Moves the clock to `time` and expires every resting order with goodTill <= time. */
  advanceTo(time: number): AdvanceResult {
    if (!isInt(time)) return reject("bad_time");
    if (time < this.clock) return reject("time_regressed");
    this.clock = time;
    let expired: Expiry[] | null = null;
    while (this.heapLen > 0 && this.heapTill[0]! <= time) {
      const s = this.heapSlot[0]!;
      const seq = this.heapSeq[0]!;
      this.heapPop();
      if (this.seqOf[s] !== seq) continue;
      (expired ??= []).push({
        handle: this.handleOf(s),
        side: this.sideOf[s] as Side,
        owner: this.ownerOf[s]!,
        tag: this.tagOf[s]!,
        qty: this.remOf[s]!,
      });
      this.unlink(s);
      this.release(s);
    }
    return { ok: true, now: time, expired: expired ?? EMPTY_EXPIRED };
  }

  // ---------------------------------------------------------------- queries

  /** The resting order behind a handle, or undefined. */
  order(handle: number): OrderView | undefined {
    const s = this.resolve(handle);
    return s === NIL ? undefined : this.view(s);
  }

  /** Resting orders of one side in priority order. */
  orders(side: Side): OrderView[] {
    const out: OrderView[] = [];
    this.forEachLevel(side, Infinity, (lv) => {
      for (let s = this.head[lv]!; s !== NIL; s = this.nextOf[s]!) out.push(this.view(s));
    });
    return out;
  }

  /** Depth aggregated by level, best first, at most `maxLevels` levels a side. */
  depth(maxLevels = Infinity): BookDepth {
    const level = (lv: number): DepthLevel => ({
      rate: this.rateOfLevel(lv),
      qty: this.levelQty[lv]!,
      orders: this.levelCount[lv]!,
    });
    const demand: DepthLevel[] = [];
    const supply: DepthLevel[] = [];
    this.forEachLevel(DEMAND, maxLevels, (lv) => demand.push(level(lv)));
    this.forEachLevel(SUPPLY, maxLevels, (lv) => supply.push(level(lv)));
    return { demand, supply };
  }

  /** A plain-JSON copy of the whole book state. */
  snapshot(): BookSnapshot {
    const free: number[] = [];
    for (let i = 0; i < this.freeTop; i++) free.push(this.handleOf(this.freeStack[i]!));
    return {
      format: 1,
      config: { minRate: this.minRate, maxRate: this.maxRate, tickSize: this.tickSize },
      now: this.clock,
      nextSeq: this.nextSeq,
      slots: this.hwm,
      free,
      demand: this.orders(DEMAND) as DemandView[],
      supply: this.orders(SUPPLY) as SupplyView[],
    };
  }

  /** Rebuilds a book from `snapshot()`; throws on a corrupt snapshot. */
  static restore(snap: BookSnapshot): OrderBook {
    if (snap === null || typeof snap !== "object" || snap.format !== 1) throw new Error("invalid snapshot: format");
    const book = new OrderBook({
      ...snap.config,
      now: snap.now,
      initialCapacity: Math.max(64, snap.slots),
    });
    const bad = (what: string): never => {
      throw new Error(`invalid snapshot: ${what}`);
    };
    if (!isInt(snap.nextSeq) || snap.nextSeq < 1) bad("nextSeq");
    if (!isInt(snap.slots) || snap.slots < 0 || snap.slots > SLOT_SPAN) bad("slots");
    book.nextSeq = snap.nextSeq;
    book.hwm = snap.slots;
    book.sideOf.fill(FREE, 0, snap.slots);
    const place = (v: OrderView, side: Side): void => {
      if (v.side !== side) bad("side");
      // A partly filled crew may hold less than its minSplit; that is valid state.
      const input: OrderInput =
        side === DEMAND
          ? { ...(v as DemandView), tif: GTT }
          : { ...(v as SupplyView), tif: GTT, minSplit: Math.min((v as SupplyView).minSplit, v.qty) };
      const reason = book.check(input);
      if (reason !== null) bad(`order ${v.handle}: ${reason}`);
      if (!isInt(v.seq) || v.seq < 1 || v.seq >= snap.nextSeq) bad("seq");
      const s = book.slotOfHandle(v.handle);
      if (s === NIL || s >= book.hwm || book.sideOf[s] !== FREE) bad(`handle ${v.handle}`);
      book.genOf[s] = (v.handle - s) / SLOT_SPAN;
      book.sideOf[s] = side;
      book.ownerOf[s] = v.owner;
      book.tagOf[s] = v.tag;
      book.remOf[s] = v.qty;
      book.levelOf[s] = side * book.levels + (v.rate - book.minRate) / book.tickSize;
      book.tillOf[s] = v.goodTill;
      book.seqOf[s] = v.seq;
      if (v.side === Side.Demand) {
        book.flagsOf[s] = 0;
        book.splitOf[s] = 0;
        book.minLeftOf[s] = v.minFill;
        book.certOf[s] = v.minCertificate;
        book.colourOf[s] = v.minColour;
        book.exOffOf[s] = v.excluded.length > 0 ? book.storeExcluded(s, v.excluded) : 0;
      } else {
        book.flagsOf[s] = (v.allOrNone ? FLAG_AON : 0) | (v.shared ? FLAG_SHARED : 0);
        book.splitOf[s] = v.allOrNone ? AON_SPLIT : v.minSplit;
        book.minLeftOf[s] = 0;
        book.certOf[s] = v.certificate;
        book.colourOf[s] = v.colour;
        book.exOffOf[s] = 0;
      }
      book.link(s);
      book.heapPush(s);
    };
    for (const v of snap.demand) place(v, Side.Demand);
    for (const v of snap.supply) place(v, Side.Supply);
    for (const h of snap.free) {
      const s = book.slotOfHandle(h);
      if (s === NIL || s >= book.hwm || book.sideOf[s] !== FREE) bad(`free ${h}`);
      book.genOf[s] = (h - s) / SLOT_SPAN;
      book.seqOf[s] = -1;
      book.freeStack[book.freeTop++] = s;
    }
    if (book.freeTop + book.resting !== book.hwm) bad("slots are neither live nor free");
    return book;
  }

  // ---------------------------------------------------------------- matching

  /**
   * Runs slot `s` (already written, not linked) as the incoming order with
   * `q0` to fill, then rests / cancels / releases the remainder.
   */
  private enter(s: number, tif: number, q0: number, fresh: boolean): PlaceResult {
    this.fillCount = 0;
    let q = this.match(s, q0);
    const threshold = tif === FOK ? q0 : this.minLeftOf[s]!;
    if (threshold > 1 && q0 - q < threshold) {
      this.undo();
      q = q0;
    }
    const handle = this.handleOf(s);
    const fills = this.fillCount === 0 ? EMPTY_FILLS : this.commit(s, q0);
    this.remOf[s] = q;
    if (q === 0) {
      this.release(s);
      return { ok: true, handle, fills, resting: 0, cancelled: 0 };
    }
    if (tif === GTT) {
      this.link(s);
      if (fresh) this.heapPush(s);
      return { ok: true, handle, fills, resting: q, cancelled: 0 };
    }
    this.release(s);
    return { ok: true, handle, fills, resting: 0, cancelled: q };
  }

  /**
   * Walks the other side from its best level, recording fills in the scratch
   * buffers and shrinking the resting orders' remaining quantities in place
   * (so `undo` can put them back). Returns what is left of `q`.
   */
  private match(a: number, q: number): number {
    const levels = this.levels;
    const aSide = this.sideOf[a]!;
    const aTick = this.levelOf[a]! - aSide * levels;
    const occ = this.occ;
    let lv: number;
    if (aSide === DEMAND) {
      lv = this.bestSupply;
      if (lv === NIL || lv - levels > aTick) return q;
    } else {
      lv = this.bestDemand;
      if (lv === NIL || lv < aTick) return q;
    }
    const head = this.head;
    const nextOf = this.nextOf;
    const remOf = this.remOf;
    const ownerOf = this.ownerOf;
    const certOf = this.certOf;
    const colourOf = this.colourOf;
    const splitOf = this.splitOf;
    const minLeftOf = this.minLeftOf;
    const exOffOf = this.exOffOf;
    const aOwner = ownerOf[a]!;
    const aCert = certOf[a]!;
    const aColour = colourOf[a]!;
    const aSplit = splitOf[a]!;
    const aEx = exOffOf[a]!;
    let cur = head[lv]!;
    let rescan = NIL;
    let rescanLevel = NIL;
    for (;;) {
      if (cur === NIL) {
        if (aSide === DEMAND) {
          lv = occ.nextFrom(lv + 1);
          if (lv === NIL || lv - levels > aTick) break;
        } else {
          lv = occ.prevFrom(lv - 1);
          if (lv === NIL || lv < aTick) break;
        }
        cur = head[lv]!;
        continue;
      }
      const r = remOf[cur]!;
      // r === 0: already consumed earlier in this aggression.
      if (r === 0 || ownerOf[cur] === aOwner) {
        cur = nextOf[cur]!;
        continue;
      }
      if (aSide === DEMAND) {
        if (colourOf[cur]! < aColour || certOf[cur]! < aCert || (aEx !== 0 && this.excludes(aEx, ownerOf[cur]!))) {
          cur = nextOf[cur]!;
          continue;
        }
      } else if (aColour < colourOf[cur]! || aCert < certOf[cur]! || (exOffOf[cur] !== 0 && this.excludes(exOffOf[cur]!, aOwner))) {
        cur = nextOf[cur]!;
        continue;
      }
      const f = q < r ? q : r;
      const rSplit = splitOf[cur]!;
      if ((f < q && f < aSplit) || (f < r && f < rSplit) || f < minLeftOf[cur]!) {
        if (rescan === NIL) {
          rescan = cur;
          rescanLevel = lv;
        }
        cur = nextOf[cur]!;
        continue;
      }
      remOf[cur] = r - f;
      q -= f;
      this.pushFill(cur, f);
      if (q === 0) break;
      if (rescan !== NIL) {
        // Everything before the first size-skipped order was ineligible for
        // good or is consumed, so resuming there finds the best allowed order.
        cur = rescan;
        lv = rescanLevel;
        rescan = NIL;
      } else {
        cur = nextOf[cur]!;
      }
    }
    return q;
  }

  private excludes(off: number, owner: number): boolean {
    const pool = this.exPool;
    const end = off + 2 + pool[off + 1]!;
    for (let i = off + 2; i < end; i++) if (pool[i] === owner) return true;
    return false;
  }

  private pushFill(s: number, f: number): void {
    const i = this.fillCount;
    if (i === this.fillSlot.length) {
      this.fillSlot = grown(this.fillSlot, i * 2);
      this.fillQty = grown(this.fillQty, i * 2);
    }
    this.fillSlot[i] = s;
    this.fillQty[i] = f;
    this.fillCount = i + 1;
  }

  private undo(): void {
    for (let i = 0; i < this.fillCount; i++) this.remOf[this.fillSlot[i]!]! += this.fillQty[i]!;
    this.fillCount = 0;
  }

  /** Turns the recorded fills into events and takes filled resting orders off the book. */
  private commit(a: number, q0: number): Fill[] {
    const n = this.fillCount;
    const fills: Fill[] = [];
    const aSide = this.sideOf[a] as Side;
    const aHandle = this.handleOf(a);
    const aOwner = this.ownerOf[a]!;
    const aTag = this.tagOf[a]!;
    const aShared = (this.flagsOf[a]! & FLAG_SHARED) !== 0;
    let q = q0;
    for (let i = 0; i < n; i++) {
      const s = this.fillSlot[i]!;
      const f = this.fillQty[i]!;
      const lv = this.levelOf[s]!;
      const r = this.remOf[s]!;
      q -= f;
      this.levelQty[lv]! -= f;
      this.minLeftOf[s] = 0;
      const rate = this.rateOfLevel(lv);
      const sHandle = this.handleOf(s);
      if (aSide === DEMAND) {
        const shared = (this.flagsOf[s]! & FLAG_SHARED) !== 0;
        fills.push(makeFill(0, rate, f, aHandle, aOwner, aTag, q, sHandle, this.ownerOf[s]!, this.tagOf[s]!, r, shared));
      } else {
        fills.push(makeFill(1, rate, f, sHandle, this.ownerOf[s]!, this.tagOf[s]!, r, aHandle, aOwner, aTag, q, aShared));
      }
      if (r === 0) {
        this.unlink(s);
        this.release(s);
      }
    }
    this.minLeftOf[a] = 0;
    this.fillCount = 0;
    return fills;
  }

  // ---------------------------------------------------------------- levels

  /** Appends slot `s` at the tail of its level. */
  private link(s: number): void {
    const lv = this.levelOf[s]!;
    const t = this.tail[lv]!;
    this.nextOf[s] = NIL;
    this.prevOf[s] = t;
    if (t === NIL) {
      this.head[lv] = s;
      this.occ.set(lv);
      if (lv < this.levels) {
        if (lv > this.bestDemand) this.bestDemand = lv;
      } else if (this.bestSupply === NIL || lv < this.bestSupply) {
        this.bestSupply = lv;
      }
    } else {
      this.nextOf[t] = s;
    }
    this.tail[lv] = s;
    this.levelQty[lv]! += this.remOf[s]!;
    this.levelCount[lv]! += 1;
    this.resting += 1;
  }

  /** Takes slot `s` out of its level in O(1). */
  private unlink(s: number): void {
    const lv = this.levelOf[s]!;
    const p = this.prevOf[s]!;
    const n = this.nextOf[s]!;
    if (p === NIL) this.head[lv] = n;
    else this.nextOf[p] = n;
    if (n === NIL) this.tail[lv] = p;
    else this.prevOf[n] = p;
    this.levelQty[lv]! -= this.remOf[s]!;
    this.resting -= 1;
    if (--this.levelCount[lv]! === 0) {
      this.occ.clear(lv);
      if (lv === this.bestDemand) this.bestDemand = this.occ.prevFrom(lv - 1);
      else if (lv === this.bestSupply) this.bestSupply = this.occ.nextFrom(lv + 1);
    }
  }

  private rateOfLevel(lv: number): number {
    const tick = lv < this.levels ? lv : lv - this.levels;
    return this.minRate + tick * this.tickSize;
  }

  private forEachLevel(side: Side, maxLevels: number, fn: (lv: number) => void): void {
    let n = 0;
    if (side === DEMAND) {
      for (let lv = this.bestDemand; lv !== NIL && n < maxLevels; lv = this.occ.prevFrom(lv - 1), n++) fn(lv);
    } else {
      for (let lv = this.bestSupply; lv !== NIL && n < maxLevels; lv = this.occ.nextFrom(lv + 1), n++) fn(lv);
    }
  }

  // ---------------------------------------------------------------- slots

  private handleOf(s: number): number {
    return this.genOf[s]! * SLOT_SPAN + s;
  }

  private slotOfHandle(handle: number): number {
    if (!isInt(handle) || handle < 0) return NIL;
    const s = handle % SLOT_SPAN;
    return (handle - s) / SLOT_SPAN < GEN_LIMIT ? s : NIL;
  }

  /** The slot of a live order's handle, or NIL for a stale or malformed handle. */
  private resolve(handle: number): number {
    const s = this.slotOfHandle(handle);
    if (s === NIL || s >= this.hwm || this.sideOf[s] === FREE) return NIL;
    return this.genOf[s]! * SLOT_SPAN + s === handle ? s : NIL;
  }

  private alloc(): number {
    if (this.freeTop > 0) return this.freeStack[--this.freeTop]!;
    if (this.hwm === this.cap) {
      if (this.cap >= SLOT_SPAN) return NIL;
      this.grow(Math.min(SLOT_SPAN, this.cap * 2));
    }
    return this.hwm++;
  }

  private release(s: number): void {
    this.sideOf[s] = FREE;
    this.seqOf[s] = -1;
    const g = this.genOf[s]! + 1;
    this.genOf[s] = g === GEN_LIMIT ? 0 : g;
    const off = this.exOffOf[s]!;
    if (off !== 0) {
      this.exGarbage += this.exPool[off + 1]! + 2;
      this.exOffOf[s] = 0;
    }
    this.freeStack[this.freeTop++] = s;
  }

  private grow(cap: number): void {
    this.nextOf = grown(this.nextOf, cap);
    this.prevOf = grown(this.prevOf, cap);
    this.remOf = grown(this.remOf, cap);
    this.levelOf = grown(this.levelOf, cap);
    this.sideOf = grown(this.sideOf, cap);
    this.flagsOf = grown(this.flagsOf, cap);
    this.certOf = grown(this.certOf, cap);
    this.colourOf = grown(this.colourOf, cap);
    this.ownerOf = grown(this.ownerOf, cap);
    this.genOf = grown(this.genOf, cap);
    this.splitOf = grown(this.splitOf, cap);
    this.minLeftOf = grown(this.minLeftOf, cap);
    this.exOffOf = grown(this.exOffOf, cap);
    this.tagOf = grown(this.tagOf, cap);
    this.tillOf = grown(this.tillOf, cap);
    this.seqOf = grown(this.seqOf, cap);
    this.freeStack = grown(this.freeStack, cap);
    this.cap = cap;
  }

  private view(s: number): OrderView {
    const base = {
      handle: this.handleOf(s),
      seq: this.seqOf[s]!,
      owner: this.ownerOf[s]!,
      tag: this.tagOf[s]!,
      qty: this.remOf[s]!,
      rate: this.rateOfLevel(this.levelOf[s]!),
      goodTill: this.tillOf[s]!,
    };
    if (this.sideOf[s] === DEMAND) {
      const off = this.exOffOf[s]!;
      const excluded = off === 0 ? [] : Array.from(this.exPool.subarray(off + 2, off + 2 + this.exPool[off + 1]!));
      return {
        side: Side.Demand,
        ...base,
        minFill: this.minLeftOf[s]!,
        minCertificate: this.certOf[s]!,
        minColour: this.colourOf[s] as Colour,
        excluded,
      };
    }
    const aon = (this.flagsOf[s]! & FLAG_AON) !== 0;
    return {
      side: Side.Supply,
      ...base,
      minSplit: aon ? 1 : this.splitOf[s]!,
      allOrNone: aon,
      certificate: this.certOf[s]!,
      colour: this.colourOf[s] as Colour,
      shared: (this.flagsOf[s]! & FLAG_SHARED) !== 0,
    };
  }

  // ---------------------------------------------------------------- validation

  private checkRate(rate: unknown): RejectReason | null {
    if (!isInt(rate)) return "bad_rate";
    if (rate < this.minRate || rate > this.maxRate) return "rate_off_band";
    if ((rate - this.minRate) % this.tickSize !== 0) return "rate_off_grid";
    return null;
  }

  /** Null when `o` is a valid order for this book, else why not. */
  private check(o: OrderInput): RejectReason | null {
    if (o === null || typeof o !== "object") return "bad_order";
    const side = o.side;
    if (side !== DEMAND && side !== SUPPLY) return "bad_side";
    if (!isInt(o.owner) || o.owner < 0 || o.owner > MAX_OWNER) return "bad_owner";
    if (!isInt(o.tag)) return "bad_tag";
    const qty = o.qty;
    if (!isInt(qty) || qty < 1 || qty > MAX_QUANTITY) return "bad_quantity";
    const rateReason = this.checkRate(o.rate);
    if (rateReason !== null) return rateReason;
    const tif = o.tif;
    if (tif === GTT) {
      if (!isInt(o.goodTill)) return "bad_good_till";
      if (o.goodTill <= this.clock) return "expired";
    } else if (tif !== IOC && tif !== FOK) {
      return "bad_time_in_force";
    }
    if (side === DEMAND) {
      const d = o as DemandOrder;
      if (!isOptionalInt(d.minFill, 0, qty)) return "bad_min_fill";
      if (!isOptionalInt(d.minCertificate, 0, MAX_CERTIFICATE)) return "bad_certificate";
      if (!isOptionalInt(d.minColour, Colour.Black, Colour.Red)) return "bad_colour";
      if (d.excluded !== undefined && !validExcluded(d.excluded)) return "bad_excluded";
    } else {
      const sp = o as SupplyOrder;
      if (!isInt(sp.colour) || sp.colour < Colour.Black || sp.colour > Colour.Red) return "bad_colour";
      if (sp.colour === Colour.Black) return "black_supplier";
      if (!isOptionalInt(sp.certificate, 0, MAX_CERTIFICATE)) return "bad_certificate";
      if (!isOptionalInt(sp.minSplit, 1, qty)) return "bad_min_split";
      if (sp.allOrNone !== undefined && typeof sp.allOrNone !== "boolean") return "bad_all_or_none";
      if (sp.shared !== undefined && typeof sp.shared !== "boolean") return "bad_shared";
    }
    return null;
  }

  // ---------------------------------------------------------------- excluded pool

  private storeExcluded(s: number, ids: readonly number[]): number {
    const need = ids.length + 2;
    if (this.exTop + need > this.exPool.length) {
      if (this.exGarbage * 2 >= this.exTop) this.compactExcluded();
      if (this.exTop + need > this.exPool.length) {
        this.exPool = grown(this.exPool, Math.max(this.exPool.length * 2, this.exTop + need));
      }
    }
    const off = this.exTop;
    const pool = this.exPool;
    pool[off] = s;
    pool[off + 1] = ids.length;
    for (let i = 0; i < ids.length; i++) pool[off + 2 + i] = ids[i]!;
    this.exTop = off + need;
    return off;
  }

  /** Slides live lists down over freed ones; each entry names its slot, so this is one pass over the pool. */
  private compactExcluded(): void {
    const pool = this.exPool;
    let w = 1;
    for (let r = 1; r < this.exTop; ) {
      const s = pool[r]!;
      const size = pool[r + 1]! + 2;
      if (this.exOffOf[s] === r) {
        if (w !== r) pool.copyWithin(w, r, r + size);
        this.exOffOf[s] = w;
        w += size;
      }
      r += size;
    }
    this.exTop = w;
    this.exGarbage = 0;
  }

  // ---------------------------------------------------------------- expiry heap

  private heapLess(i: number, j: number): boolean {
    const ti = this.heapTill[i]!;
    const tj = this.heapTill[j]!;
    return ti < tj || (ti === tj && this.heapSeq[i]! < this.heapSeq[j]!);
  }

  private heapSwap(i: number, j: number): void {
    const t = this.heapTill[i]!;
    this.heapTill[i] = this.heapTill[j]!;
    this.heapTill[j] = t;
    const q = this.heapSeq[i]!;
    this.heapSeq[i] = this.heapSeq[j]!;
    this.heapSeq[j] = q;
    const s = this.heapSlot[i]!;
    this.heapSlot[i] = this.heapSlot[j]!;
    this.heapSlot[j] = s;
  }

  private heapPush(s: number): void {
    if (this.heapLen === this.heapTill.length) {
      // Lazy deletion leaves entries of finished orders behind; drop them
      // when they are the majority, otherwise make room.
      if (this.resting * 2 < this.heapLen) this.heapCompact();
      else {
        const cap = this.heapLen * 2;
        this.heapTill = grown(this.heapTill, cap);
        this.heapSeq = grown(this.heapSeq, cap);
        this.heapSlot = grown(this.heapSlot, cap);
      }
    }
    let i = this.heapLen++;
    this.heapTill[i] = this.tillOf[s]!;
    this.heapSeq[i] = this.seqOf[s]!;
    this.heapSlot[i] = s;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.heapLess(i, p)) break;
      this.heapSwap(i, p);
      i = p;
    }
  }

  private heapPop(): void {
    const last = --this.heapLen;
    if (last > 0) {
      this.heapTill[0] = this.heapTill[last]!;
      this.heapSeq[0] = this.heapSeq[last]!;
      this.heapSlot[0] = this.heapSlot[last]!;
      this.siftDown(0);
    }
  }

  private siftDown(i: number): void {
    const n = this.heapLen;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && this.heapLess(r, l) ? r : l;
      if (!this.heapLess(c, i)) return;
      this.heapSwap(c, i);
      i = c;
    }
  }

  private heapCompact(): void {
    let w = 0;
    for (let r = 0; r < this.heapLen; r++) {
      const s = this.heapSlot[r]!;
      if (this.seqOf[s] !== this.heapSeq[r]) continue;
      this.heapTill[w] = this.heapTill[r]!;
      this.heapSeq[w] = this.heapSeq[r]!;
      this.heapSlot[w] = s;
      w++;
    }
    this.heapLen = w;
    for (let i = (w >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }
}

function validExcluded(ids: unknown): boolean {
  if (!Array.isArray(ids) || ids.length > MAX_EXCLUDED) return false;
  for (let i = 0; i < ids.length; i++) {
    const id: unknown = ids[i];
    if (!isInt(id) || id < 0 || id > MAX_OWNER) return false;
    for (let j = 0; j < i; j++) if (ids[j] === id) return false;
  }
  return true;
}

function grown<T extends Int32Array | Uint8Array | Float64Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a.subarray(0, Math.min(a.length, cap)) as never);
  return b;
}
