/**
 * Placement statistics (帮助实现就业人次, 重点群体), pure aggregations:
 *
 * - placements: completed worker-shifts (hours settled — approved,
 *   auto-approved or split by an operator — with paid minutes above zero);
 * - workers placed: distinct workers with at least one placement;
 * - fill rate: headcount filled of headcount ordered (demand orders);
 * - median time to fill: from an order's placing to each fill, weighted by
 *   the fill's headcount (nearest-rank, src/shared/measures.ts);
 * - wages paid: Σ of what completed worker-shifts paid out of escrow to the
 *   supplier or worker (bigint fen; the fee is not wages), which must equal
 *   the ledger's settlement postings.
 *
 * Broken down by district, skill, key group and ISO week (of the shift's
 * market date, Asia/Shanghai), alone or combined, with city totals. A worker
 * counts in every key group they belong to (and in none if they belong to
 * none), so key-group rows do not add up to the city; orders carry no key
 * group, so rows keyed by key group have no fill rate or time to fill. The
 * key-group breakdown lists every group of the catalogue, placed or not.
 */
import { keyGroups, parseMarketId } from "../parties/catalogue";
import { csvDocument } from "../shared/csv";
import { hoursOf, ratio, weightedPercentiles, type Ratio } from "../shared/measures";
import { fenToYuan, type Fen } from "../shared/money";
import { isoWeekOf } from "../shared/week";

/** Epoch milliseconds. */
type EpochMs = number;

/** A worker-shift. */
export interface PlacementRecord {
  readonly shiftId: string;
  readonly workerId: string;
  /** Market id "skill.district.date.slot" of its contract. */
  readonly market: string;
  /** The worker's key groups (catalogue ids). */
  readonly keyGroups: readonly string[];
  /** Settled with paid minutes above zero. */
  readonly completed: boolean;
  /** Paid out of escrow to the supplier or worker for it (0 unless completed). */
  readonly wagesFen: Fen;
}

/** A demand order and its fills. */
export interface DemandRecord {
  readonly orderId: string;
  readonly market: string;
  readonly createdAt: EpochMs;
  /** Headcount ordered. */
  readonly quantity: number;
  readonly fills: readonly { readonly qty: number; readonly at: EpochMs }[];
}

/** What a breakdown is by. */
export type Dimension = "district" | "skill" | "keyGroup" | "week";

/** The key of a row: the dimensions it is broken down by (none for the city). */
export interface StatsKey {
  readonly district?: string;
  readonly skill?: string;
  readonly keyGroup?: string;
  readonly week?: string;
}

/** One row of statistics. */
export interface StatsRow {
  readonly key: StatsKey;
  readonly placements: number;
  readonly workersPlaced: number;
  /** null for rows keyed by key group (orders have none). */
  readonly demandHeadcount: number | null;
  readonly filledHeadcount: number | null;
  readonly fillRate: Ratio | null;
  readonly medianTimeToFillMs: number | null;
  readonly wagesPaidFen: Fen;
}

/** City totals and the one-dimensional breakdowns the regulator's page shows. */
export interface Statistics {
  readonly city: StatsRow;
  readonly byDistrict: readonly StatsRow[];
  readonly bySkill: readonly StatsRow[];
  readonly byKeyGroup: readonly StatsRow[];
  readonly byWeek: readonly StatsRow[];
}

/** What to count (everything when absent): weeks inclusive, e.g. "2026-W49". */
export interface StatsFilter {
  readonly fromWeek?: string;
  readonly toWeek?: string;
}

interface Parsed {
  readonly district: string;
  readonly skill: string;
  readonly week: string;
}

function parse(market: string, what: string): Parsed {
  const m = parseMarketId(market);
  if (!m.ok) throw new RangeError(`${what} in market "${market}": ${m.message}`);
  return { district: m.value.district, skill: m.value.skill, week: isoWeekOf(m.value.date) };
}

function inRange(week: string, f: StatsFilter): boolean {
  return (f.fromWeek === undefined || week >= f.fromWeek) && (f.toWeek === undefined || week <= f.toWeek);
}

interface Acc {
  key: StatsKey;
  placements: number;
  workers: Set<string>;
  demand: number;
  filled: number;
  waits: { value: number; weight: number }[];
  wages: Fen;
}

const DIMENSIONS: readonly Dimension[] = ["district", "skill", "keyGroup", "week"];

function keyText(key: StatsKey): string {
  return DIMENSIONS.map((d) => key[d] ?? "").join("\u0000");
}

function compareKeys(a: StatsKey, b: StatsKey): number {
  for (const d of DIMENSIONS) {
    const x = a[d] ?? "";
    const y = b[d] ?? "";
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The keys a record falls under for these dimensions (several when keyed by key group and the worker is in several). */
function keysOf(p: Parsed, groups: readonly string[] | null, dims: readonly Dimension[]): StatsKey[] {
  let keys: Record<string, string>[] = [{}];
  for (const d of dims) {
    if (d === "keyGroup") {
      if (groups === null) return [];
      keys = keys.flatMap((k) => [...new Set(groups)].map((g) => ({ ...k, keyGroup: g })));
    } else {
      keys = keys.map((k) => ({ ...k, [d]: p[d] }));
    }
  }
  return keys as StatsKey[];
}

function checkDims(dims: readonly Dimension[]): void {
  for (const d of dims) if (!DIMENSIONS.includes(d)) throw new RangeError(`unknown dimension "${d}"`);
  if (new Set(dims).size !== dims.length) throw new RangeError("a dimension may appear once");
}

/**
 * Rows broken down by `dims` (in any combination; [] gives the city), one per
 * key that has any record, sorted by key. Records repeated (same shift or
 * order id) count once. `zeroKeyGroups` adds an empty row for every catalogue
 * key group missing from a breakdown by key group alone.
 */
export function statsBy(placements: readonly PlacementRecord[], demand: readonly DemandRecord[], dims: readonly Dimension[], filter: StatsFilter = {}, zeroKeyGroups = false): StatsRow[] {
  checkDims(dims);
  const byGroup = dims.includes("keyGroup");
  const rows = new Map<string, Acc>();
  const acc = (key: StatsKey): Acc => {
    const text = keyText(key);
    let a = rows.get(text);
    if (a === undefined) {
      a = { key, placements: 0, workers: new Set(), demand: 0, filled: 0, waits: [], wages: 0n };
      rows.set(text, a);
    }
    return a;
  };

  const seenShifts = new Set<string>();
  for (const r of placements) {
    if (seenShifts.has(r.shiftId)) continue;
    seenShifts.add(r.shiftId);
    const p = parse(r.market, `placement ${r.shiftId}`);
    if (!r.completed || !inRange(p.week, filter)) continue;
    if (typeof r.wagesFen !== "bigint" || r.wagesFen < 0n) throw new RangeError(`placement ${r.shiftId}: wages must be non-negative bigint fen`);
    for (const key of keysOf(p, r.keyGroups, dims)) {
      const a = acc(key);
      a.placements++;
      a.workers.add(r.workerId);
      a.wages += r.wagesFen;
    }
  }

  if (!byGroup) {
    const seenOrders = new Set<string>();
    for (const o of demand) {
      if (seenOrders.has(o.orderId)) continue;
      seenOrders.add(o.orderId);
      const p = parse(o.market, `order ${o.orderId}`);
      if (!inRange(p.week, filter)) continue;
      if (!Number.isSafeInteger(o.quantity) || o.quantity < 1) throw new RangeError(`order ${o.orderId}: quantity must be a whole number of at least 1`);
      const filled = o.fills.reduce((s, f) => s + f.qty, 0);
      if (filled > o.quantity) throw new RangeError(`order ${o.orderId}: fills of ${filled} exceed its quantity ${o.quantity}`);
      for (const key of keysOf(p, null, dims)) {
        const a = acc(key);
        a.demand += o.quantity;
        a.filled += filled;
        for (const f of o.fills) if (f.qty > 0) a.waits.push({ value: Math.max(0, f.at - o.createdAt), weight: f.qty });
      }
    }
  }

  if (zeroKeyGroups && dims.length === 1 && dims[0] === "keyGroup") for (const g of keyGroups) acc({ keyGroup: g.id });
  if (dims.length === 0) acc({});

  return [...rows.values()]
    .sort((a, b) => compareKeys(a.key, b.key))
    .map((a) => ({
      key: a.key,
      placements: a.placements,
      workersPlaced: a.workers.size,
      demandHeadcount: byGroup ? null : a.demand,
      filledHeadcount: byGroup ? null : a.filled,
      fillRate: byGroup ? null : ratio(a.filled, a.demand),
      medianTimeToFillMs: byGroup ? null : (weightedPercentiles(a.waits, [50])[0] ?? null),
      wagesPaidFen: a.wages,
    }));
}

/** City totals and the breakdowns by district, skill, key group (every catalogue group) and week. */
export function computeStatistics(placements: readonly PlacementRecord[], demand: readonly DemandRecord[], filter: StatsFilter = {}): Statistics {
  return {
    city: statsBy(placements, demand, [], filter)[0] as StatsRow,
    byDistrict: statsBy(placements, demand, ["district"], filter),
    bySkill: statsBy(placements, demand, ["skill"], filter),
    byKeyGroup: statsBy(placements, demand, ["keyGroup"], filter, true),
    byWeek: statsBy(placements, demand, ["week"], filter),
  };
}

/** What the public sees: city totals only, as JSON-safe values (fen as a decimal string of yuan and an integer). */
export function publicCityTotals(stats: Statistics) {
  const c = stats.city;
  return {
    placements: c.placements,
    workersPlaced: c.workersPlaced,
    fillRatePercent: c.fillRate?.percent ?? null,
    medianTimeToFillHours: c.medianTimeToFillMs === null ? null : hoursOf(c.medianTimeToFillMs),
    wagesPaid: fenToYuan(c.wagesPaidFen),
  };
}

/** The columns of the statistics CSV, in order. */
export const STATS_CSV_HEADER = [
  "district",
  "skill",
  "key_group",
  "week",
  "placements",
  "workers_placed",
  "demand_headcount",
  "filled_headcount",
  "fill_rate_percent",
  "median_time_to_fill_hours",
  "wages_paid_fen",
  "wages_paid_yuan",
] as const;

/** Rows as CSV through the shared writer (UTF-8 with BOM, RFC 4180); blank cells where a figure does not apply. */
export function statsCsv(rows: readonly StatsRow[]): string {
  return csvDocument(
    STATS_CSV_HEADER,
    rows.map((r) => [
      r.key.district ?? null,
      r.key.skill ?? null,
      r.key.keyGroup ?? null,
      r.key.week ?? null,
      r.placements,
      r.workersPlaced,
      r.demandHeadcount,
      r.filledHeadcount,
      r.fillRate?.percent ?? null,
      r.medianTimeToFillMs === null ? null : hoursOf(r.medianTimeToFillMs),
      r.wagesPaidFen,
      fenToYuan(r.wagesPaidFen),
    ]),
  );
}
