/**
 * Statistics as the API serves them: the regulator (read-only) and operators
 * see every aggregate with its breakdowns, as JSON or CSV; the public sees
 * the city's totals only. Everything is computed by the pure core
 * (stats.ts) from the rows the repository reads; no personal data leaves:
 * workers are counted, never named.
 */
import { shanghaiDate } from "../parties/catalogue";
import type { Clock } from "../shared/clock";
import { DomainError, invalidField } from "../shared/errors";
import { hoursOf } from "../shared/measures";
import { fenToJsonNumber, fenToYuan } from "../shared/money";
import { canReadAll, type Principal } from "../shared/principal";
import { addWeeks, dateOfDay, dayNumber, isIsoWeek, isoWeekMonday, isoWeekOf } from "../shared/week";
import { computeStatistics, publicCityTotals, statsBy, statsCsv, type Dimension, type StatsRow } from "./stats";
import type { StatsRepository } from "./stats.repository";

export interface StatsQuery {
  readonly from?: string;
  readonly to?: string;
  /** Dimensions combined, comma-separated: "district", "skill", "keyGroup", "week". */
  readonly by?: string;
}

/** A row as JSON: integer fen and yuan strings, percentages and hours as decimal strings (never floats). */
export interface StatsRowView {
  key: { district?: string; skill?: string; keyGroup?: string; week?: string };
  placements: number;
  workersPlaced: number;
  demandHeadcount: number | null;
  filledHeadcount: number | null;
  fillRatePercent: string | null;
  medianTimeToFillHours: string | null;
  wagesPaidFen: number;
  wagesPaid: string;
}

export const MAX_WEEKS = 105;
const DEFAULT_WEEKS = 52;
const AHEAD_DAYS = 35;
const DIMENSIONS: readonly Dimension[] = ["district", "skill", "keyGroup", "week"];

export interface StatsServiceDeps {
  repo: StatsRepository;
  clock: Clock;
  /** The public totals are recomputed at most this often (0: every request). */
  publicCacheMs: number;
}

function rowView(r: StatsRow): StatsRowView {
  return {
    key: { ...r.key },
    placements: r.placements,
    workersPlaced: r.workersPlaced,
    demandHeadcount: r.demandHeadcount,
    filledHeadcount: r.filledHeadcount,
    fillRatePercent: r.fillRate?.percent ?? null,
    medianTimeToFillHours: r.medianTimeToFillMs === null ? null : hoursOf(r.medianTimeToFillMs),
    wagesPaidFen: fenToJsonNumber(r.wagesPaidFen),
    wagesPaid: fenToYuan(r.wagesPaidFen),
  };
}

function dims(by: string): Dimension[] {
  const list = by.split(",").map((d) => d.trim());
  for (const d of list) if (!(DIMENSIONS as readonly string[]).includes(d)) throw invalidField("/querystring/by", `unknown dimension "${d}": use ${DIMENSIONS.join(", ")}`);
  if (new Set(list).size !== list.length) throw invalidField("/querystring/by", "a dimension may appear once");
  return list as Dimension[];
}

export function createStatsService(deps: StatsServiceDeps) {
  const { repo, clock } = deps;
  const publicCache = new Map<string, { until: number; value: unknown }>();

  function range(q: StatsQuery): { fromWeek: string; toWeek: string; fromDate: string; toDate: string } {
    for (const f of ["from", "to"] as const) {
      const v = q[f];
      if (v !== undefined && !isIsoWeek(v)) throw invalidField(`/querystring/${f}`, `${f} must be an ISO week that exists, like "2026-W49"`);
    }
    const today = dayNumber(shanghaiDate(clock.now().getTime())) as number;
    const toWeek = q.to ?? isoWeekOf(dateOfDay(today + AHEAD_DAYS));
    const fromWeek = q.from ?? addWeeks(toWeek, -(DEFAULT_WEEKS - 1));
    if (fromWeek > toWeek) throw invalidField("/querystring/from", `from (${fromWeek}) is after to (${toWeek})`);
    if (addWeeks(fromWeek, MAX_WEEKS - 1) < toWeek) throw invalidField("/querystring/to", `at most ${MAX_WEEKS} weeks per request`);
    const fromDate = isoWeekMonday(fromWeek) as string;
    const toDate = dateOfDay((dayNumber(isoWeekMonday(toWeek) as string) as number) + 6);
    return { fromWeek, toWeek, fromDate, toDate };
  }

  async function load(q: StatsQuery) {
    const r = range(q);
    const [placements, demand] = await Promise.all([repo.placements(r), repo.demand(r)]);
    return { ...r, placements, demand, filter: { fromWeek: r.fromWeek, toWeek: r.toWeek } };
  }

  function reader(p: Principal): void {
    if (!canReadAll(p)) throw new DomainError("forbidden", "statistics in detail are for the regulator and operators; the public totals are at GET /v1/public/stats");
  }

  return {
    /** City totals and the breakdowns by district, skill, key group and week; or, with `by`, the rows of that breakdown. */
    async statistics(p: Principal, q: StatsQuery) {
      reader(p);
      const d = await load(q);
      if (q.by !== undefined) {
        return { fromWeek: d.fromWeek, toWeek: d.toWeek, by: dims(q.by), rows: statsBy(d.placements, d.demand, dims(q.by), d.filter, q.by === "keyGroup").map(rowView) };
      }
      const s = computeStatistics(d.placements, d.demand, d.filter);
      return {
        fromWeek: d.fromWeek,
        toWeek: d.toWeek,
        city: rowView(s.city),
        byDistrict: s.byDistrict.map(rowView),
        bySkill: s.bySkill.map(rowView),
        byKeyGroup: s.byKeyGroup.map(rowView),
        byWeek: s.byWeek.map(rowView),
      };
    },

    /** The same as one CSV: the city row (no key), then every breakdown (blank key cells: all); or the `by` rows. */
    async csv(p: Principal, q: StatsQuery): Promise<{ filename: string; body: string }> {
      reader(p);
      const d = await load(q);
      let rows: StatsRow[];
      if (q.by !== undefined) rows = statsBy(d.placements, d.demand, dims(q.by), d.filter, q.by === "keyGroup");
      else {
        const s = computeStatistics(d.placements, d.demand, d.filter);
        rows = [s.city, ...s.byDistrict, ...s.bySkill, ...s.byKeyGroup, ...s.byWeek];
      }
      return { filename: `statistics-${d.fromWeek}-${d.toWeek}.csv`, body: statsCsv(rows) };
    },

    /** What the public sees: the city's totals over the range (recomputed at most every STATS_PUBLIC_CACHE_SECONDS). */
    async publicTotals(q: { from?: string; to?: string }) {
      const r = range(q);
      const key = `${r.fromWeek} ${r.toWeek}`;
      const now = clock.now().getTime();
      const hit = publicCache.get(key);
      if (hit !== undefined && hit.until > now) return hit.value as ReturnType<typeof publicCityTotals> & { fromWeek: string; toWeek: string };
      const d = await load(q);
      const value = { fromWeek: d.fromWeek, toWeek: d.toWeek, ...publicCityTotals(computeStatistics(d.placements, d.demand, d.filter)) };
      if (deps.publicCacheMs > 0) {
        if (publicCache.size > 1000) publicCache.clear();
        publicCache.set(key, { until: now + deps.publicCacheMs, value });
      }
      return value;
    },
  };
}
export type StatsService = ReturnType<typeof createStatsService>;
