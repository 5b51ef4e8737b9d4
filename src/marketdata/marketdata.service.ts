/**
 * Guidance prices as the API serves them (any filter of skill, district and
 * weeks, JSON or CSV), and the price guide the exchange consults when an
 * order is placed: a cache of recent bands per skill × district, recomputed
 * in the background every GUIDANCE_BAND_REFRESH_SECONDS, so checking an
 * order costs a map look-up and never a query (the sequencer's hot path is
 * not touched; the check runs at the edge, before and beside it).
 */
import { districtByCode, parseMarketId, shanghaiDate, skillById } from "../parties/catalogue";
import type { Clock } from "../shared/clock";
import { invalidField } from "../shared/errors";
import { addWeeks, dateOfDay, dayNumber, isIsoWeek, isoWeekMonday, isoWeekOf } from "../shared/week";
import { bandCheck, bandFor, guidancePrices, guidancePricesCsv, type BandSettings, type GuidancePrice } from "./guidance";
import type { MarketdataRepository } from "./marketdata.repository";

/** What the market data says about an order's rate: flagged when far outside the recent band; never a refusal. */
export interface PriceFlag {
  readonly flagged: boolean;
  readonly direction: "below" | "above" | null;
  /** The band checked against (the latest of the look-back weeks with enough placed workers), or null when there is none. */
  readonly band: {
    readonly week: string;
    readonly headcount: number;
    readonly p25Fen: number;
    readonly medianFen: number;
    readonly p75Fen: number;
    readonly vwapFen: number;
    /** The lowest and highest whole rates not flagged. */
    readonly lowerFen: number;
    readonly upperFen: number;
  } | null;
}

/** The query of GET /v1/public/guidance-prices. */
export interface GuidanceQuery {
  readonly skill?: string;
  readonly district?: string;
  readonly from?: string;
  readonly to?: string;
}

/** Longest range of weeks one request may ask for (two years). */
export const MAX_WEEKS = 105;
/** Weeks shown when no range is asked for: the half year up to the trading horizon. */
const DEFAULT_WEEKS = 26;
/** Weeks ahead of today the default range reaches (the exchange trades up to 30 days ahead). */
const AHEAD_DAYS = 35;

export interface MarketdataServiceDeps {
  repo: MarketdataRepository;
  clock: Clock;
  band: BandSettings;
}

function sundayOf(week: string): string {
  return dateOfDay((dayNumber(isoWeekMonday(week) as string) as number) + 6);
}

export function createMarketdataService(deps: MarketdataServiceDeps) {
  const { repo, clock, band: settings } = deps;
  const today = () => shanghaiDate(clock.now().getTime());

  /** Bands by "skill district": the guidance prices of the weeks an order placed now could be checked against. */
  let bands = new Map<string, GuidancePrice[]>();
  let refreshedAt: number | null = null;

  function range(q: GuidanceQuery): { fromWeek: string; toWeek: string } {
    for (const f of ["from", "to"] as const) {
      const v = q[f];
      if (v !== undefined && !isIsoWeek(v)) throw invalidField(`/querystring/${f}`, `${f} must be an ISO week that exists, like "2026-W49"`);
    }
    const toWeek = q.to ?? isoWeekOf(dateOfDay((dayNumber(today()) as number) + AHEAD_DAYS));
    const fromWeek = q.from ?? addWeeks(toWeek, -(DEFAULT_WEEKS - 1));
    if (fromWeek > toWeek) throw invalidField("/querystring/from", `from (${fromWeek}) is after to (${toWeek})`);
    if (addWeeks(fromWeek, MAX_WEEKS - 1) < toWeek) throw invalidField("/querystring/to", `at most ${MAX_WEEKS} weeks per request`);
    return { fromWeek, toWeek };
  }

  function check(q: GuidanceQuery): void {
    if (q.skill !== undefined && skillById(q.skill) === undefined) throw invalidField("/querystring/skill", `unknown skill "${q.skill}"`);
    if (q.district !== undefined && districtByCode(q.district) === undefined) throw invalidField("/querystring/district", `unknown district code "${q.district}"`);
  }

  return {
    /** Guidance prices per skill × district × week in the range asked (default: 26 weeks up to the trading horizon). */
    async prices(q: GuidanceQuery): Promise<{ fromWeek: string; toWeek: string; items: GuidancePrice[] }> {
      check(q);
      const { fromWeek, toWeek } = range(q);
      const trades = await repo.trades({
        fromDate: isoWeekMonday(fromWeek) as string,
        toDate: sundayOf(toWeek),
        ...(q.skill !== undefined ? { skill: q.skill } : {}),
        ...(q.district !== undefined ? { district: q.district } : {}),
      });
      return { fromWeek, toWeek, items: guidancePrices(trades, { ...q, fromWeek, toWeek }) };
    },

    /** The same as CSV (the one CSV writer: UTF-8 with BOM, RFC 4180, formulas neutralised). */
    csv: (items: readonly GuidancePrice[]) => guidancePricesCsv(items),

    /** Recomputes the bands orders are checked against: the look-back weeks before this week, and every week after. */
    async refreshBands(): Promise<void> {
      const fromWeek = addWeeks(isoWeekOf(today()), -settings.lookbackWeeks);
      const prices = guidancePrices(await repo.trades({ fromDate: isoWeekMonday(fromWeek) as string }));
      const next = new Map<string, GuidancePrice[]>();
      for (const p of prices) {
        const key = `${p.skill} ${p.district}`;
        const list = next.get(key);
        if (list === undefined) next.set(key, [p]);
        else list.push(p);
      }
      bands = next;
      refreshedAt = clock.now().getTime();
    },

    /** When the bands were last recomputed (epoch ms), or null before the first time. */
    bandsRefreshedAt: () => refreshedAt,

    /**
     * The flag for an order at `rateFen` in `market`, from the cached bands: the latest week with enough placed
     * workers among the look-back weeks before the market's week. Null for a market id that does not parse.
     */
    checkRate(market: string, rateFen: number): PriceFlag | null {
      const m = parseMarketId(market);
      if (!m.ok || !Number.isSafeInteger(rateFen)) return null;
      const { skill, district, date } = m.value;
      const b = bandFor(bands.get(`${skill} ${district}`) ?? [], skill, district, isoWeekOf(date), settings);
      const r = bandCheck(rateFen, b, settings);
      if (r.band === null || !("lowerFen" in r)) return { flagged: false, direction: null, band: null };
      const p = r.band;
      return {
        flagged: r.flagged,
        direction: r.flagged ? r.direction : null,
        band: { week: p.week, headcount: p.headcount, p25Fen: p.p25Fen, medianFen: p.medianFen, p75Fen: p.p75Fen, vwapFen: p.vwapFen, lowerFen: r.lowerFen, upperFen: r.upperFen },
      };
    },
  };
}
export type MarketdataService = ReturnType<typeof createMarketdataService>;
