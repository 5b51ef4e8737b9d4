/**
 * Matching-core benchmark: `npm run bench:matching`.
 *
 * Three workloads of 1,000,000 commands each, generated up front from a seeded
 * PRNG, then run single-threaded: A (random limit orders in a 100-tick band,
 * qty 1–20, 30 % cancels of resting orders), B (deep book in the same band:
 * demand in the lower 75 ticks, supply in the upper 75, so they overlap in
 * the middle 50; cancel probability rising with depth so ~10,000 orders rest,
 * ~100 a level), C (B plus labour constraints). The same A and B
 * streams go to nodejs-order-book in the same run. Throughput is timed over
 * whole runs (one warm-up, median of 3); per-command latency comes from a
 * separate pass that times every command with process.hrtime.bigint().
 * The last line printed is one JSON object.
 *
 * Cancels name orders that really rest at that point: the generator runs our
 * book while it generates (matching is deterministic, so a fresh book replays
 * to the same state). Our book is driven through its public API (place /
 * cancel with integer handles, results as objects); the peer through its own
 * (limit / cancel with string ids). For a like-for-like view B is also run
 * with the map from string order ids to handles that the sequencer will keep
 * (`opsPerSecWithStringIdMap`); `ratio` compares the cores' own APIs.
 * Heap per resting order: heapUsed + arrayBuffers after gc, before and after
 * placing 1,000,000 non-crossing GoodTill orders into one book.
 */
import { OrderBook as PeerBook, Side as PeerSide } from "nodejs-order-book";
import type { LimitOrderOptions } from "nodejs-order-book";
import { Colour, OrderBook, Side, TimeInForce } from "../src/exchange/index";
import type { BookOptions, OrderInput, PlaceResult } from "../src/exchange/index";
import { prng } from "../test/helpers/prng";

const COMMANDS = Number(process.argv[2] ?? 1_000_000);
const RUNS = 3;
const HEAP_ORDERS = 1_000_000;
const GOOD_TILL = 1_000_000;

const TARGETS = { B_opsPerSec: 3_000_000, ratio: 20, C_opsPerSec: 1_500_000, heapBytesPerRestingOrder: 200 };


const CONFIG: BookOptions = { minRate: 2000, maxRate: 2990, tickSize: 10, now: 0 };
const TICKS = 100;

interface Workload {
  name: string;
  /** 0 = place, 1 = cancel */
  kind: Uint8Array;
  orders: (OrderInput | null)[];
  handles: Float64Array;
  peerIds: string[];
  peerSides: PeerSide[];
  /** Mean and final count of resting orders seen while generating. */
  meanResting: number;
  finalResting: number;
  fills: number;
}

type Kind = "A" | "B" | "C";

function generate(kind: Kind, n: number, seed: number): Workload {
  const rnd = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const book = new OrderBook(CONFIG);
  const kindArr = new Uint8Array(n);
  const orders: (OrderInput | null)[] = new Array(n).fill(null);
  const handles = new Float64Array(n);
  const peerIds: string[] = new Array(n).fill("");
  const peerSides: PeerSide[] = new Array(n).fill(PeerSide.BUY);
  // Live resting orders for picking cancels: dense array + position map.
  const live: number[] = [];
  const liveTag: number[] = [];
  const pos = new Map<number, number>();
  const addLive = (h: number, tag: number): void => {
    pos.set(h, live.length);
    live.push(h);
    liveTag.push(tag);
  };
  const removeLive = (h: number): void => {
    const i = pos.get(h);
    if (i === undefined) return;
    const last = live.length - 1;
    live[i] = live[last]!;
    liveTag[i] = liveTag[last]!;
    pos.set(live[i]!, i);
    live.pop();
    liveTag.pop();
    pos.delete(h);
  };
  let restingSum = 0;
  let fills = 0;
  for (let i = 0; i < n; i++) {
    const resting = live.length;
    restingSum += resting;
    let pCancel: number;
    if (kind === "A") pCancel = 0.3;
    else pCancel = Math.min(0.9, 0.5 * (resting / 11_300) ** 4);
    if (resting > 0 && rnd() < pCancel) {
      const j = Math.floor(rnd() * resting);
      const h = live[j]!;
      kindArr[i] = 1;
      handles[i] = h;
      peerIds[i] = `o${liveTag[j]!}`;
      const r = book.cancel(h);
      if (!r.ok) throw new Error(`generator: cancel of a resting order failed: ${r.reason}`);
      removeLive(h);
      continue;
    }
    const demand = rnd() < 0.5;
    const tick = kind === "A" ? int(0, TICKS - 1) : demand ? int(0, 74) : int(25, 99);
    const rate = CONFIG.minRate + tick * CONFIG.tickSize;
    const qty = int(1, 20);
    const tag = i;
    let order: OrderInput;
    if (kind === "C") {
      if (demand) {
        const excluded = rnd() < 0.1 ? [int(1500, 2500)] : undefined;
        order = {
          side: Side.Demand,
          owner: int(1, 2000),
          tag,
          qty,
          rate,
          tif: TimeInForce.GoodTill,
          goodTill: GOOD_TILL,
          minFill: 0,
          minCertificate: rnd() < 0.2 ? 3 : 0,
          minColour: rnd() < 0.15 ? Colour.Red : Colour.Blue,
          excluded,
        };
      } else {
        order = {
          side: Side.Supply,
          owner: int(1500, 2500),
          tag,
          qty,
          rate,
          tif: TimeInForce.GoodTill,
          goodTill: GOOD_TILL,
          colour: rnd() < 0.4 ? Colour.Red : Colour.Blue,
          certificate: rnd() < 0.3 ? int(0, 2) : int(3, 5),
          minSplit: 1,
          allOrNone: false,
          shared: rnd() < 0.1,
        };
      }
    } else if (demand) {
      order = { side: Side.Demand, owner: i + 1, tag, qty, rate, tif: TimeInForce.GoodTill, goodTill: GOOD_TILL };
    } else {
      order = { side: Side.Supply, owner: i + 1, tag, qty, rate, tif: TimeInForce.GoodTill, goodTill: GOOD_TILL, colour: Colour.Blue };
    }
    kindArr[i] = 0;
    orders[i] = order;
    peerIds[i] = `o${tag}`;
    peerSides[i] = demand ? PeerSide.BUY : PeerSide.SELL;
    const r = book.place(order);
    if (!r.ok) throw new Error(`generator: place rejected: ${r.reason}`);
    for (const f of r.fills) {
      fills++;
      if (demand && f.supplyLeft === 0) removeLive(f.supply);
      if (!demand && f.demandLeft === 0) removeLive(f.demand);
    }
    if (r.resting > 0) addLive(r.handle, tag);
  }
  return {
    name: kind,
    kind: kindArr,
    orders,
    handles,
    peerIds,
    peerSides,
    meanResting: Math.round(restingSum / n),
    finalResting: book.size,
    fills,
  };
}

let sink = 0;

/** Runs the whole stream through a fresh book; returns elapsed seconds. */
function runOurs(w: Workload, count = w.kind.length): number {
  const book = new OrderBook(CONFIG);
  const { kind, orders, handles } = w;
  let acc = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    if (kind[i] === 0) {
      const r: PlaceResult = book.place(orders[i]!);
      if (r.ok) acc += r.fills.length;
    } else {
      const r = book.cancel(handles[i]!);
      if (r.ok) acc += 1;
    }
  }
  const t1 = process.hrtime.bigint();
  sink += acc + book.size;
  return Number(t1 - t0) / 1e9;
}

/**
 * As runOurs, but also keeping what the sequencer will keep: a map from the
 * client's string order id to the handle, updated from every result. This is
 * the like-for-like comparison with the peer, whose API takes string ids.
 */
function runOursWithIds(w: Workload): number {
  const book = new OrderBook(CONFIG);
  const { kind, orders, peerIds } = w;
  const n = kind.length;
  const ids = new Map<string, number>();
  let acc = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    if (kind[i] === 0) {
      const r = book.place(orders[i]!);
      if (!r.ok) continue;
      const fills = r.fills;
      for (let j = 0; j < fills.length; j++) {
        const f = fills[j]!;
        if (f.aggressor === Side.Demand) {
          if (f.supplyLeft === 0) ids.delete(peerIds[f.supplyTag]!);
        } else if (f.demandLeft === 0) ids.delete(peerIds[f.demandTag]!);
      }
      if (r.resting > 0) ids.set(peerIds[i]!, r.handle);
      acc += fills.length;
    } else {
      const id = peerIds[i]!;
      const h = ids.get(id);
      if (h !== undefined && book.cancel(h).ok) {
        ids.delete(id);
        acc += 1;
      }
    }
  }
  const t1 = process.hrtime.bigint();
  sink += acc + ids.size;
  return Number(t1 - t0) / 1e9;
}

/** Times every command; returns per-command nanoseconds (timer overhead included). */
function latencyOurs(w: Workload): Float64Array {
  const book = new OrderBook(CONFIG);
  const { kind, orders, handles } = w;
  const n = kind.length;
  const out = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    if (kind[i] === 0) {
      const r = book.place(orders[i]!);
      if (r.ok) acc += r.fills.length;
    } else {
      const r = book.cancel(handles[i]!);
      if (r.ok) acc += 1;
    }
    out[i] = Number(process.hrtime.bigint() - t0);
  }
  sink += acc;
  return out;
}

type PeerLimit = LimitOrderOptions;

/** Builds the peer's own command objects up front, like ours. */
function peerStream(w: Workload): (PeerLimit | string)[] {
  const out: (PeerLimit | string)[] = [];
  for (let i = 0; i < w.kind.length; i++) {
    if (w.kind[i] === 0) {
      const o = w.orders[i]!;
      out.push({ id: w.peerIds[i]!, side: w.peerSides[i]!, size: o.qty, price: o.rate });
    } else {
      out.push(w.peerIds[i]!);
    }
  }
  return out;
}

function runPeer(stream: (PeerLimit | string)[], count: number): { seconds: number; book: PeerBook } {
  const book = new PeerBook();
  let acc = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const c = stream[i]!;
    if (typeof c === "string") {
      if (book.cancel(c) !== undefined) acc += 1;
    } else {
      acc += book.limit(c).done.length;
    }
  }
  const t1 = process.hrtime.bigint();
  sink += acc;
  return { seconds: Number(t1 - t0) / 1e9, book };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function timerOverheadNs(): number {
  const n = 200_000;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    xs[i] = Number(process.hrtime.bigint() - t0);
  }
  xs.sort();
  return percentile(xs, 0.5);
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error("run with node --expose-gc (npm run bench:matching does)");
  g();
  g();
}

function memNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Heap per resting order: 1,000,000 non-crossing GoodTill orders on a wide band. */
function heapPerRestingOrder(): number {
  const rnd = prng(7);
  gc();
  const before = memNow();
  const book = new OrderBook({ minRate: 2000, maxRate: 11990, tickSize: 10, now: 0 });
  for (let i = 0; i < HEAP_ORDERS; i++) {
    const demand = (i & 1) === 0;
    const tick = demand ? Math.floor(rnd() * 500) : 500 + Math.floor(rnd() * 500);
    const rate = 2000 + tick * 10;
    const qty = 1 + Math.floor(rnd() * 20);
    const r = demand
      ? book.place({ side: Side.Demand, owner: i + 1, tag: i, qty, rate, tif: TimeInForce.GoodTill, goodTill: GOOD_TILL })
      : book.place({ side: Side.Supply, owner: i + 1, tag: i, qty, rate, tif: TimeInForce.GoodTill, goodTill: GOOD_TILL, colour: Colour.Blue });
    if (!r.ok || r.resting !== qty) throw new Error("heap test: order did not rest");
  }
  gc();
  const after = memNow();
  if (book.size !== HEAP_ORDERS) throw new Error("heap test: wrong resting count");
  return (after - before) / HEAP_ORDERS;
}

/** Same final book as the peer? (Aggregated depth per rate; a check that both matched alike.) */
function sameDepth(w: Workload, peer: PeerBook): boolean {
  const ours = new OrderBook(CONFIG);
  for (let i = 0; i < w.kind.length; i++) {
    if (w.kind[i] === 0) ours.place(w.orders[i]!);
    else ours.cancel(w.handles[i]!);
  }
  const d = ours.depth();
  const [asks, bids] = peer.depth();
  const key = (xs: [number, number][]): string =>
    xs
      .map(([p, v]) => `${p}:${v}`)
      .sort()
      .join(",");
  const mine = (xs: readonly { rate: number; qty: number }[]): string =>
    xs
      .map((l) => `${l.rate}:${l.qty}`)
      .sort()
      .join(",");
  return key(asks) === mine(d.supply) && key(bids) === mine(d.demand);
}

function log(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function main(): void {
  log(`bench:matching — ${COMMANDS} commands per workload, median of ${RUNS} runs, node ${process.version}`);
  const workloads: Record<Kind, Workload> = {
    A: generate("A", COMMANDS, 0xa11ce),
    B: generate("B", COMMANDS, 0xb0b),
    C: generate("C", COMMANDS, 0xc0ffee),
  };
  for (const w of Object.values(workloads)) {
    log(`generated ${w.name}: mean resting ${w.meanResting}, final resting ${w.finalResting}, fills ${w.fills}`);
  }
  if (process.argv[3] === "generate-only") return;
  const overhead = timerOverheadNs();
  const result: Record<string, unknown> = {};
  const ours: Record<Kind, number> = { A: 0, B: 0, C: 0 };
  for (const k of ["A", "B", "C"] as const) {
    const w = workloads[k];
    runOurs(w); // warm-up
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) times.push(runOurs(w));
    const ops = COMMANDS / median(times);
    ours[k] = ops;
    const idTimes: number[] = [];
    if (k === "B") for (let r = 0; r < RUNS; r++) idTimes.push(runOursWithIds(w));
    const lat = latencyOurs(w).sort();
    result[k] = {
      opsPerSec: round(ops),
      runsOpsPerSec: times.map((t) => round(COMMANDS / t)),
      p50Us: round(percentile(lat, 0.5) / 1000, 3),
      p99Us: round(percentile(lat, 0.99) / 1000, 3),
      p999Us: round(percentile(lat, 0.999) / 1000, 3),
      ...(idTimes.length > 0 ? { opsPerSecWithStringIdMap: round(COMMANDS / median(idTimes)) } : {}),
      meanResting: w.meanResting,
      fills: w.fills,
    };
    log(`ours ${k}: ${round(ops)} ops/s (runs ${times.map((t) => round(COMMANDS / t)).join(", ")})`);
    if (idTimes.length > 0) log(`ours ${k} with the sequencer's string-id map: ${round(COMMANDS / median(idTimes))} ops/s`);
  }
  const peer: Record<string, unknown> = {};
  const peerOps: Record<"A" | "B", number> = { A: 0, B: 0 };
  for (const k of ["A", "B"] as const) {
    const w = workloads[k];
    const stream = peerStream(w);
    runPeer(stream, Math.min(COMMANDS, 100_000)); // warm-up on a prefix
    const times: number[] = [];
    let last: PeerBook | null = null;
    for (let r = 0; r < RUNS; r++) {
      const { seconds, book } = runPeer(stream, COMMANDS);
      times.push(seconds);
      last = book;
    }
    const ops = COMMANDS / median(times);
    peerOps[k] = ops;
    const agrees = last !== null && sameDepth(w, last);
    peer[k] = { opsPerSec: round(ops), runsOpsPerSec: times.map((t) => round(COMMANDS / t)), commands: COMMANDS, sameFinalDepth: agrees };
    log(`peer ${k}: ${round(ops)} ops/s (runs ${times.map((t) => round(COMMANDS / t)).join(", ")}), same final depth as ours: ${agrees}`);
  }
  const heap = heapPerRestingOrder();
  log(`heap per resting order: ${round(heap, 1)} bytes`);
  const ratio = ours.B / peerOps.B;
  const met = {
    B_opsPerSec: ours.B >= TARGETS.B_opsPerSec,
    ratio: ratio >= TARGETS.ratio,
    C_opsPerSec: ours.C >= TARGETS.C_opsPerSec,
    heapBytesPerRestingOrder: heap <= TARGETS.heapBytesPerRestingOrder,
  };
  const out = {
    bench: "matching",
    commands: COMMANDS,
    runs: RUNS,
    ...result,
    peer,
    ratio: round(ratio, 2),
    baseline: "nodejs-order-book@10.1.1 on B",
    heapBytesPerRestingOrder: round(heap, 1),
    heapOrders: HEAP_ORDERS,
    latency: `separate pass, every command timed with process.hrtime.bigint(); includes ~${round(overhead)} ns timer overhead`,
    throughput: "whole-run wall time after one warm-up run, median of runs",
    workloads: {
      A: "100-tick band, both sides uniform over it, qty 1-20, 30% cancels of resting orders",
      B: "100-tick band, demand in ticks 0-74, supply in ticks 25-99, qty 1-20, cancel probability 0.5*(resting/11300)^4 (~10,000 rest)",
      C: "B plus: 20% of demand need certificate 3 (30% of crews have 0-2), 10% exclude a supplier, 15% need red (40% of crews red), overlapping owner ranges (self-trade possible)",
    },
    targets: TARGETS,
    met,
    allMet: Object.values(met).every(Boolean),
    node: process.version,
    checksum: sink % 1000,
  };
  log(JSON.stringify(out));
}

main();
