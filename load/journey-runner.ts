/**
 * The in-repo harness of the k6 scripts: runs the very same journey steps (load/k6/lib/journey.js) and book
 * watcher (load/k6/lib/book-watch.js) in Node, with fetch and the `ws` package, where k6 is not installed.
 * It records every request, every check, and every response field the journey reads, so a test can hold
 * the scripts to the OpenAPI document.
 *
 *   npm run load:journey -- --url http://127.0.0.1:3000 --operator-key sx_… [--iterations 20] [--enterprises 2] [--agencies 2]
 *
 * Last line: one JSON object (checks passed/failed, requests, fills, cancels, p50/p99 of order placement).
 */
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

// Plain JavaScript shared with k6 (no types of its own): imported by a computed path, typed here.
interface Request {
  method: "GET" | "POST" | "DELETE" | "PATCH";
  path: string;
  route: string;
  name: string;
  key: string;
  body?: unknown;
  idempotencyKey?: string;
  expected?: number[];
}
interface Response {
  status: number;
  json: any;
}
type Step<T> = Generator<Request, T, Response>;
export interface Party {
  key: string;
  organisationId: string;
}
export interface RunData {
  operatorKey: string;
  runId: string;
  markets: { id: string; minimumRateFen: number; tickFen: number }[];
  enterprises: Party[];
  agencies: Party[];
}
interface Ctx {
  check(label: string, ok: boolean): void;
  count(metric: string, n: number): void;
  random(): number;
}
interface PrepareOptions {
  operatorKey: string;
  nowMs: number;
  enterpriseKeys: string[];
  agencyKeys: string[];
  createEnterprises: number;
  createAgencies: number;
  skills: string[];
  district: string;
  daysAhead: number;
}
interface JourneyModule {
  prepare(ctx: Ctx, opts: PrepareOptions): Step<RunData>;
  enterpriseIteration(ctx: Ctx, data: RunData, who: Party, iteration: number): Step<void>;
  agencyIteration(ctx: Ctx, data: RunData, who: Party, iteration: number): Step<void>;
  fundWallet(ctx: Ctx, data: RunData, who: Party, amountFen: number): Step<boolean>;
  walletAvailable(ctx: Ctx, who: Party): Step<number>;
  seeded(seed: number): () => number;
}
interface WatchStats {
  snapshots: number;
  updates: number;
  gaps: number;
  trades: number;
  errors: number;
  firstSnapshot: boolean;
}
interface BookWatchModule {
  bookWatcher(market: string, send: (m: string) => void, check: (label: string, ok: boolean) => void): { stats: WatchStats; open(): void; onMessage(text: string): void };
}

const here = new URL(".", import.meta.url);
export async function loadJourney(): Promise<JourneyModule> {
  const spec = new URL("k6/lib/journey.js", here).href;
  return (await import(spec)) as JourneyModule;
}
async function loadBookWatch(): Promise<BookWatchModule> {
  const spec = new URL("k6/lib/book-watch.js", here).href;
  return (await import(spec)) as BookWatchModule;
}

/** What a run saw. */
export interface Report {
  checks: Map<string, { passes: number; fails: number }>;
  requests: { method: string; route: string; name: string; status: number; ms: number }[];
  /** Response fields the journey read, per "METHOD route status". */
  reads: Map<string, Set<string>>;
  counts: Map<string, number>;
}

export function newReport(): Report {
  return { checks: new Map(), requests: [], reads: new Map(), counts: new Map() };
}

/** The ctx the journey reports through, recording into `report`. */
export function nodeCtx(report: Report, random: () => number): Ctx {
  return {
    check(label, ok) {
      const c = report.checks.get(label) ?? { passes: 0, fails: 0 };
      if (ok) c.passes++;
      else c.fails++;
      report.checks.set(label, c);
    },
    count(metric, n) {
      report.counts.set(metric, (report.counts.get(metric) ?? 0) + n);
    },
    random,
  };
}

/** Wraps parsed JSON so every property the journey reads is written down as a path ("items[].fills[].contractId"). */
function recording(value: unknown, path: string, sink: Set<string>): unknown {
  if (value === null || typeof value !== "object") return value;
  return new Proxy(value as object, {
    get(target, prop, receiver) {
      if (typeof prop === "symbol") return Reflect.get(target, prop, receiver);
      if (Array.isArray(target)) {
        if (/^\d+$/.test(prop)) return recording(target[Number(prop)], `${path}[]`, sink);
        return Reflect.get(target, prop, receiver); // length, every, map…: their index reads come back here
      }
      const name = path ? `${path}.${prop}` : prop;
      sink.add(name);
      return recording((target as Record<string, unknown>)[prop], name, sink);
    },
  });
}

/** Drives one journey step with fetch. */
export async function drive<T>(baseUrl: string, step: Step<T>, report: Report): Promise<T> {
  let next = step.next();
  while (!next.done) {
    const r = next.value;
    const headers: Record<string, string> = { authorization: `Bearer ${r.key}` };
    if (r.body !== undefined) headers["content-type"] = "application/json";
    if (r.idempotencyKey) headers["idempotency-key"] = r.idempotencyKey;
    const started = performance.now();
    const res = await fetch(baseUrl + r.path, { method: r.method, headers, body: r.body === undefined ? undefined : JSON.stringify(r.body) });
    const text = await res.text();
    const ms = performance.now() - started;
    report.requests.push({ method: r.method, route: r.route, name: r.name, status: res.status, ms });
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    const key = `${r.method} ${r.route} ${res.status}`;
    let sink = report.reads.get(key);
    if (!sink) report.reads.set(key, (sink = new Set()));
    next = step.next({ status: res.status, json: recording(json, "", sink) });
  }
  return next.value;
}

export interface JourneyOptions {
  baseUrl: string;
  operatorKey: string;
  enterpriseKeys?: string[];
  agencyKeys?: string[];
  createEnterprises?: number;
  createAgencies?: number;
  /** Rounds: in each, every enterprise runs one iteration, then every agency, concurrently within the side. */
  iterations: number;
  seed?: number;
  skills?: string[];
  district?: string;
  daysAhead?: number;
  nowMs?: number;
}

/** Prepares and runs the journey; returns what it saw and the prepared parties and markets. */
export async function runJourney(options: JourneyOptions): Promise<{ report: Report; data: RunData }> {
  const journey = await loadJourney();
  const report = newReport();
  const random = journey.seeded(options.seed ?? 1);
  const ctx = nodeCtx(report, random);
  const data = await drive(options.baseUrl, journey.prepare(ctx, {
    operatorKey: options.operatorKey,
    nowMs: options.nowMs ?? Date.now(),
    enterpriseKeys: options.enterpriseKeys ?? [],
    agencyKeys: options.agencyKeys ?? [],
    createEnterprises: options.createEnterprises ?? 0,
    createAgencies: options.createAgencies ?? 0,
    skills: options.skills ?? ["general-labourer", "warehouse-picker", "welder"],
    district: options.district ?? "500107",
    daysAhead: options.daysAhead ?? 3,
  }), report);
  if (data.markets.length === 0 || data.enterprises.length === 0 || data.agencies.length === 0) return { report, data };
  for (let i = 0; i < options.iterations; i++) {
    await Promise.all(data.enterprises.map((who, n) => drive(options.baseUrl, journey.enterpriseIteration(ctx, data, who, i * 1000 + n), report)));
    await Promise.all(data.agencies.map((who, n) => drive(options.baseUrl, journey.agencyIteration(ctx, data, who, i * 1000 + n), report)));
  }
  return { report, data };
}

interface WsSocket {
  on(event: "open", fn: () => void): void;
  on(event: "message", fn: (data: Buffer) => void): void;
  on(event: "close", fn: (code: number) => void): void;
  on(event: "error", fn: (err: Error) => void): void;
  send(data: string): void;
  close(): void;
}
type WsConstructor = new (url: string, options?: { headers?: Record<string, string> }) => WsSocket;

/** A book watcher on one socket, driven by the same logic as the k6 watcher. */
export async function watchBook(baseUrl: string, apiKey: string, market: string, report: Report) {
  const { bookWatcher } = await loadBookWatch();
  const WebSocketImpl = createRequire(import.meta.url)("ws") as WsConstructor;
  const ctx = nodeCtx(report, Math.random);
  const socket = new WebSocketImpl(`${baseUrl.replace(/^http/, "ws")}/v1/stream`, { headers: { authorization: `Bearer ${apiKey}` } });
  const watcher = bookWatcher(market, (m) => socket.send(m), ctx.check);
  const listeners: (() => void)[] = [];
  socket.on("message", (data) => {
    watcher.onMessage(data.toString("utf8"));
    for (const l of listeners.splice(0)) l();
  });
  const closed = new Promise<number>((resolve) => socket.on("close", resolve));
  await new Promise<void>((resolve, reject) => {
    socket.on("open", () => {
      watcher.open();
      resolve();
    });
    socket.on("error", reject);
  });
  return {
    stats: watcher.stats,
    /** Resolves once the watcher's stats satisfy `done` (checked after each frame). */
    until(done: (s: WatchStats) => boolean): Promise<void> {
      if (done(watcher.stats)) return Promise.resolve();
      return new Promise((resolve) => {
        const poll = () => (done(watcher.stats) ? resolve() : listeners.push(poll));
        listeners.push(poll);
      });
    },
    async close() {
      socket.close();
      await closed;
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The CLI: a quick, k6-free run of the journey against a running Shiftex. */
async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: "string", default: "http://127.0.0.1:3000" },
      "operator-key": { type: "string" },
      "enterprise-keys": { type: "string", default: "" },
      "agency-keys": { type: "string", default: "" },
      enterprises: { type: "string", default: "2" },
      agencies: { type: "string", default: "2" },
      iterations: { type: "string", default: "20" },
      seed: { type: "string", default: "1" },
    },
  });
  if (!values["operator-key"]) throw new Error("--operator-key is required (it confirms top-ups and creates the organisations)");
  const split = (s: string | undefined) => (s ? s.split(",").filter(Boolean) : []);
  const enterpriseKeys = split(values["enterprise-keys"]);
  const agencyKeys = split(values["agency-keys"]);
  const { report } = await runJourney({
    baseUrl: values.url!,
    operatorKey: values["operator-key"],
    enterpriseKeys,
    agencyKeys,
    createEnterprises: enterpriseKeys.length ? 0 : Number(values.enterprises),
    createAgencies: agencyKeys.length ? 0 : Number(values.agencies),
    iterations: Number(values.iterations),
    seed: Number(values.seed),
  });
  const failed = [...report.checks].filter(([, c]) => c.fails > 0);
  for (const [label, c] of failed) console.log(`check failed ${c.fails}× : ${label}`);
  const place = report.requests.filter((r) => r.name === "place_order").map((r) => r.ms).sort((a, b) => a - b);
  const passes = [...report.checks.values()].reduce((n, c) => n + c.passes, 0);
  const fails = [...report.checks.values()].reduce((n, c) => n + c.fails, 0);
  console.log(JSON.stringify({
    checksPassed: passes, checksFailed: fails, requests: report.requests.length,
    fills: report.counts.get("fills") ?? 0, cancels: report.counts.get("cancels") ?? 0,
    placeOrderP50Ms: Number(percentile(place, 50).toFixed(2)), placeOrderP99Ms: Number(percentile(place, 99).toFixed(2)),
  }));
  if (fails > 0) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
