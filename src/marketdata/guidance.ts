/**
 * Guidance prices (指导价格), pure: per skill × district × ISO week, computed
 * from the exchange's trades.
 *
 * - The week is the ISO week (Monday–Sunday, Asia/Shanghai) of the shift's
 *   market date, not of the moment the trade was made: the price guides what
 *   a shift in that week costs, however far ahead it was bought.
 * - Each trade counts once per worker it placed: a trade of 9 workers at a
 *   rate weighs 9 times one of 1 worker.
 * - VWAP = Σ(rate × headcount) / Σ headcount, computed in integers and rounded
 *   once, half-even, to whole fen.
 * - p25 / median / p75 are nearest-rank percentiles over those weighted rates
 *   (src/shared/measures.ts): the p-th percentile is the lowest traded rate at
 *   or below which at least p % of the placed workers were traded, so every
 *   figure is a rate that really traded (on the tick grid); the median of an
 *   even count is the lower middle.
 *
 * bandCheck flags (never blocks) an order whose rate is far from the band:
 * outside [p25 − m, p75 + m] with m = max(k × IQR, w % of the median), IQR =
 * p75 − p25 (Tukey's fences when k = 1.5). The floor on m keeps a band whose
 * trades all happened at one rate from flagging every other rate. A band with
 * fewer than `minHeadcount` placed workers is too thin to flag anything.
 */
import { parseMarketId } from "../parties/catalogue";
import { csvDocument } from "../shared/csv";
import { Decimal, fenToYuan } from "../shared/money";
import { weightedPercentiles } from "../shared/measures";
import { addWeeks, isoWeekMonday, isoWeekOf } from "../shared/week";

/** A trade as guidance prices need it (a fill, or the contract made from it). */
export interface TradeRecord {
  /** Market id "skill.district.date.slot". */
  readonly market: string;
  /** Trade rate, fen per hour. */
  readonly rateFen: number;
  /** Workers placed by the trade. */
  readonly qty: number;
}

/** The guidance price of one skill in one district in one week. */
export interface GuidancePrice {
  readonly skill: string;
  readonly district: string;
  /** ISO week of the market dates, "2026-W49". */
  readonly week: string;
  /** Its Monday, "2026-11-30". */
  readonly weekStart: string;
  readonly trades: number;
  /** Workers placed (Σ qty): the weight of the figures. */
  readonly headcount: number;
  readonly vwapFen: number;
  readonly p25Fen: number;
  readonly medianFen: number;
  readonly p75Fen: number;
  readonly minFen: number;
  readonly maxFen: number;
}

/** Which guidance prices to compute (all when absent). */
export interface GuidanceFilter {
  readonly skill?: string;
  readonly district?: string;
  /** First and last week included, e.g. "2026-W40". */
  readonly fromWeek?: string;
  readonly toWeek?: string;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Σ(rate × qty) / Σ qty, half-even to whole fen, in integers. */
function vwap(trades: readonly TradeRecord[]): number {
  let amount = 0n;
  let qty = 0n;
  for (const t of trades) {
    amount += BigInt(t.rateFen) * BigInt(t.qty);
    qty += BigInt(t.qty);
  }
  let q = amount / qty;
  const r2 = (amount % qty) * 2n;
  if (r2 > qty || (r2 === qty && q % 2n === 1n)) q += 1n;
  return Number(q);
}

/**
 * Guidance prices from trades, one per skill × district × week that traded,
 * sorted by skill, district and week. Throws RangeError for a record that is
 * not a trade (bad market id, rate or quantity): trades come from the
 * exchange's own rows, so one that is wrong is a bug to see, not to skip.
 */
export function guidancePrices(trades: readonly TradeRecord[], filter: GuidanceFilter = {}): GuidancePrice[] {
  const groups = new Map<string, { skill: string; district: string; week: string; trades: TradeRecord[] }>();
  for (const t of trades) {
    const parsed = parseMarketId(t.market);
    if (!parsed.ok) throw new RangeError(`trade in market "${t.market}": ${parsed.message}`);
    if (!Number.isSafeInteger(t.rateFen) || t.rateFen <= 0) throw new RangeError(`trade in ${t.market}: rate ${t.rateFen} is not a positive whole number of fen`);
    if (!Number.isSafeInteger(t.qty) || t.qty <= 0) throw new RangeError(`trade in ${t.market}: quantity ${t.qty} is not a positive whole number`);
    const { skill, district, date } = parsed.value;
    if (filter.skill !== undefined && skill !== filter.skill) continue;
    if (filter.district !== undefined && district !== filter.district) continue;
    const week = isoWeekOf(date);
    // "2026-W09" < "2026-W10" < "2027-W01": week ids compare in order as text.
    if (filter.fromWeek !== undefined && week < filter.fromWeek) continue;
    if (filter.toWeek !== undefined && week > filter.toWeek) continue;
    const key = `${skill}\u0000${district}\u0000${week}`;
    const g = groups.get(key) ?? { skill, district, week, trades: [] };
    g.trades.push(t);
    groups.set(key, g);
  }
  return [...groups.values()]
    .sort((a, b) => compare(a.skill, b.skill) || compare(a.district, b.district) || compare(a.week, b.week))
    .map((g) => {
      const [p25, p50, p75, min, max] = weightedPercentiles(
        g.trades.map((t) => ({ value: t.rateFen, weight: t.qty })),
        [25, 50, 75, 0, 100],
      ) as number[];
      return {
        skill: g.skill,
        district: g.district,
        week: g.week,
        weekStart: isoWeekMonday(g.week) as string,
        trades: g.trades.length,
        headcount: g.trades.reduce((s, t) => s + t.qty, 0),
        vwapFen: vwap(g.trades),
        p25Fen: p25 as number,
        medianFen: p50 as number,
        p75Fen: p75 as number,
        minFen: min as number,
        maxFen: max as number,
      };
    });
}

/** One skill × district over consecutive weeks, null where nothing traded: the chart's series. */
export function guidanceSeries(prices: readonly GuidancePrice[], skill: string, district: string, fromWeek: string, toWeek: string): { week: string; price: GuidancePrice | null }[] {
  if (isoWeekMonday(fromWeek) === undefined || isoWeekMonday(toWeek) === undefined) throw new RangeError(`not ISO weeks: ${fromWeek}, ${toWeek}`);
  const byWeek = new Map(prices.filter((p) => p.skill === skill && p.district === district).map((p) => [p.week, p]));
  const out: { week: string; price: GuidancePrice | null }[] = [];
  for (let w = fromWeek; w <= toWeek && out.length <= 520; w = addWeeks(w, 1)) out.push({ week: w, price: byWeek.get(w) ?? null });
  return out;
}

// ------------------------------------------------------------------ band

/** How far from the band an order must be to be flagged. */
export interface BandSettings {
  /** Multiple of the interquartile range beyond p25 and p75 (decimal string, "1.5" = Tukey's fences). */
  readonly k: string;
  /** Smallest margin, as whole percent of the median (so a band of one rate still allows some spread). */
  readonly minMarginPercent: number;
  /** A band of fewer placed workers than this flags nothing. */
  readonly minHeadcount: number;
  /** How many weeks back bandFor looks for a band. */
  readonly lookbackWeeks: number;
}

/** The first published band settings. */
export const DEFAULT_BAND_SETTINGS: BandSettings = Object.freeze({ k: "1.5", minMarginPercent: 10, minHeadcount: 5, lookbackWeeks: 4 });

/** What is wrong with band settings (config.ts reports these naming its variable). */
export function bandSettingsProblems(s: BandSettings): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (!/^(0|[1-9]\d{0,2})(\.\d{1,3})?$/.test(s.k)) problems.push({ field: "k", message: 'k must be a decimal like "1.5" (0 to 999.999)' });
  if (!Number.isSafeInteger(s.minMarginPercent) || s.minMarginPercent < 0 || s.minMarginPercent > 100) problems.push({ field: "minMarginPercent", message: "minMarginPercent must be a whole number 0..100" });
  if (!Number.isSafeInteger(s.minHeadcount) || s.minHeadcount < 1) problems.push({ field: "minHeadcount", message: "minHeadcount must be a whole number of at least 1" });
  if (!Number.isSafeInteger(s.lookbackWeeks) || s.lookbackWeeks < 1 || s.lookbackWeeks > 52) problems.push({ field: "lookbackWeeks", message: "lookbackWeeks must be a whole number 1..52" });
  return problems;
}

/** The outcome of checking a rate against a band: a flag to show the organisation, never a refusal. */
export type BandCheck =
  | { readonly flagged: false; readonly reason: "no_band" | "thin_band"; readonly band: GuidancePrice | null }
  | { readonly flagged: false; readonly reason: "inside"; readonly band: GuidancePrice; readonly lowerFen: number; readonly upperFen: number }
  | { readonly flagged: true; readonly direction: "below" | "above"; readonly band: GuidancePrice; readonly lowerFen: number; readonly upperFen: number };

/**
 * Is `rateFen` far outside `band`? Flagged below when rate < p25 − m, above
 * when rate > p75 + m, with m = max(k × (p75 − p25), minMarginPercent % of
 * the median), compared exactly (decimals, no rounding). `lowerFen` and
 * `upperFen` are the lowest and highest whole rates not flagged.
 */
export function bandCheck(rateFen: number, band: GuidancePrice | null, settings: BandSettings = DEFAULT_BAND_SETTINGS): BandCheck {
  if (!Number.isSafeInteger(rateFen)) throw new RangeError(`bandCheck: rate ${rateFen} is not whole fen`);
  if (band === null) return { flagged: false, reason: "no_band", band: null };
  if (band.headcount < settings.minHeadcount) return { flagged: false, reason: "thin_band", band };
  const iqr = new Decimal(band.p75Fen - band.p25Fen);
  const byIqr = iqr.times(settings.k);
  const byMedian = new Decimal(band.medianFen).times(settings.minMarginPercent).div(100);
  const margin = Decimal.max(byIqr, byMedian);
  const lower = new Decimal(band.p25Fen).minus(margin);
  const upper = new Decimal(band.p75Fen).plus(margin);
  const lowerFen = Number(lower.integerValue(Decimal.ROUND_CEIL).toFixed(0));
  const upperFen = Number(upper.integerValue(Decimal.ROUND_FLOOR).toFixed(0));
  if (rateFen < lowerFen) return { flagged: true, direction: "below", band, lowerFen, upperFen };
  if (rateFen > upperFen) return { flagged: true, direction: "above", band, lowerFen, upperFen };
  return { flagged: false, reason: "inside", band, lowerFen, upperFen };
}

/**
 * The band to check an order in `week` against: the latest of the
 * `lookbackWeeks` weeks before it (the order's own week is still trading)
 * with at least `minHeadcount` placed workers, or null.
 */
export function bandFor(prices: readonly GuidancePrice[], skill: string, district: string, week: string, settings: BandSettings = DEFAULT_BAND_SETTINGS): GuidancePrice | null {
  const earliest = addWeeks(week, -settings.lookbackWeeks);
  let best: GuidancePrice | null = null;
  for (const p of prices) {
    if (p.skill !== skill || p.district !== district || p.week >= week || p.week < earliest || p.headcount < settings.minHeadcount) continue;
    if (best === null || p.week > best.week) best = p;
  }
  return best;
}

// ------------------------------------------------------------------ CSV

/** The columns of the CSV export, in order. */
export const GUIDANCE_CSV_HEADER = [
  "skill",
  "district",
  "week",
  "week_start",
  "trades",
  "headcount",
  "vwap_fen",
  "vwap_yuan",
  "p25_fen",
  "median_fen",
  "p75_fen",
  "min_fen",
  "max_fen",
] as const;

/** Guidance prices as CSV (src/shared/csv.ts: UTF-8 with BOM, RFC 4180), the same data as the JSON. */
export function guidancePricesCsv(prices: readonly GuidancePrice[]): string {
  return csvDocument(
    GUIDANCE_CSV_HEADER,
    prices.map((p) => [p.skill, p.district, p.week, p.weekStart, p.trades, p.headcount, p.vwapFen, fenToYuan(BigInt(p.vwapFen)), p.p25Fen, p.medianFen, p.p75Fen, p.minFen, p.maxFen]),
  );
}
