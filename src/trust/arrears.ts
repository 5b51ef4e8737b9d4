/**
 * Wage-arrears early warning (欠薪预警), pure.
 *
 * An item is a piece of approved work (a seat's approved hours) whose money
 * should move from the contract's escrow to the payee's payable (the
 * supplier's, or the worker's for an independent worker). Until it does, the
 * item is in arrears, aged in whole days since approval (24-hour periods from
 * the approval instant, not calendar days) and bucketed 0–3, 4–7, 8–30 and
 * over 30 days, per enterprise and per district of the work.
 *
 * Arrears cost the enterprise points: an item still unpaid when it passes the
 * settlement window (day W+1), and again when it enters each older bucket,
 * produces a `wages_unpaid` scored event at that instant, with an id derived
 * from the item and the day, so recording them again changes nothing.
 *
 * Money is bigint fen; nothing reads a clock (`at` is passed in).
 */
import type { Fen } from "../shared/money";
import { explainScore, type EpochMs, type ScoredEvent, type TrustSettings } from "./trust.rules";

const DAY_MS = 86_400_000;

/** Approved work and whether its money reached the payee's payable. */
export interface ApprovedHoursRecord {
  /** Stable id of the item (e.g. the seat's escrow effect id). */
  readonly id: string;
  readonly enterpriseId: string;
  /** District of the work (the market's district): the district bureau that oversees it. */
  readonly districtCode: string;
  readonly payee: "supplier" | "worker";
  readonly payeeId: string;
  readonly contractId: string;
  readonly shiftId: string | null;
  readonly approvedAt: EpochMs;
  readonly amountFen: Fen;
  /** When the money reached the payee's payable; null while it has not. */
  readonly paidAt: EpochMs | null;
}

/** The age buckets, youngest first. */
export type ArrearsBucket = "0-3" | "4-7" | "8-30" | "31+";

/** The buckets with the first day each holds. */
export const ARREARS_BUCKETS: readonly { readonly bucket: ArrearsBucket; readonly fromDay: number }[] = Object.freeze([
  { bucket: "0-3", fromDay: 0 },
  { bucket: "4-7", fromDay: 4 },
  { bucket: "8-30", fromDay: 8 },
  { bucket: "31+", fromDay: 31 },
]);

/** Whole days since approval. */
export function ageDays(approvedAt: EpochMs, at: EpochMs): number {
  return Math.floor((at - approvedAt) / DAY_MS);
}

/** The bucket of an age in whole days. */
export function bucketOf(days: number): ArrearsBucket {
  let found: ArrearsBucket = "0-3";
  for (const b of ARREARS_BUCKETS) if (days >= b.fromDay) found = b.bucket;
  return found;
}

/** Number and amount of items. */
export interface Totals {
  readonly count: number;
  readonly amountFen: Fen;
}

/** Arrears of one enterprise or district, by bucket. */
export interface ArrearsRow {
  readonly key: string;
  readonly buckets: Readonly<Record<ArrearsBucket, Totals>>;
  readonly total: Totals;
  readonly oldestApprovedAt: EpochMs;
}

/** An item in arrears, as the operator's queue shows it. */
export interface ArrearsItem extends ApprovedHoursRecord {
  readonly ageDays: number;
  readonly bucket: ArrearsBucket;
}

/** What the enterprise's arrears cost it at the instant. */
export interface ArrearsCost {
  readonly enterpriseId: string;
  /** The scored events behind the cost (all recorded by `at`). */
  readonly eventIds: readonly string[];
  /** Their decayed points at `at`, hundredths of a point (≤ 0). */
  readonly centipoints: number;
}

/** The warning at an instant. */
export interface ArrearsReport {
  readonly at: EpochMs;
  readonly byEnterprise: readonly ArrearsRow[];
  readonly byDistrict: readonly ArrearsRow[];
  readonly total: Readonly<Record<ArrearsBucket, Totals>> & { readonly all: Totals };
  /** The oldest items (oldest approval first), for the operator's queue and the regulator's view. */
  readonly oldest: readonly ArrearsItem[];
  readonly costs: readonly ArrearsCost[];
}

/** True when the item is in arrears at `at`: approved by then, its money not yet in the payable. */
export function outstandingAt(r: ApprovedHoursRecord, at: EpochMs): boolean {
  return r.approvedAt <= at && (r.paidAt === null || r.paidAt > at);
}

/** The days (since approval) at which an unpaid item costs points: the day after the settlement window, then each older bucket's first day. */
export function costDays(settlementWindowDays: number): number[] {
  if (!Number.isSafeInteger(settlementWindowDays) || settlementWindowDays < 0) throw new RangeError(`settlement window must be whole days, got ${settlementWindowDays}`);
  const first = settlementWindowDays + 1;
  return [first, ...ARREARS_BUCKETS.map((b) => b.fromDay).filter((d) => d > first)];
}

/**
 * The `wages_unpaid` events the items have earned by `at`: one per item and
 * cost day it reached unpaid. Ids are `<item id>:wages_unpaid:d<day>`;
 * recording them again is a no-op.
 */
export function arrearsTrustEvents(records: readonly ApprovedHoursRecord[], at: EpochMs, settlementWindowDays: number): ScoredEvent[] {
  const days = costDays(settlementWindowDays);
  const out: ScoredEvent[] = [];
  for (const r of records) {
    for (const d of days) {
      const when = r.approvedAt + d * DAY_MS;
      if (when > at || !outstandingAt(r, when)) continue;
      out.push({
        id: `${r.id}:wages_unpaid:d${d}`,
        organisationId: r.enterpriseId,
        kind: "wages_unpaid",
        at: when,
        count: 1,
        contractId: r.contractId,
        seat: null,
        reason: `approved hours unpaid ${d} days after approval`,
        documentRef: null,
        points: null,
        serious: false,
        operatorId: null,
      });
    }
  }
  return out.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function emptyBuckets(): Record<ArrearsBucket, Totals> {
  return { "0-3": { count: 0, amountFen: 0n }, "4-7": { count: 0, amountFen: 0n }, "8-30": { count: 0, amountFen: 0n }, "31+": { count: 0, amountFen: 0n } };
}

function add(t: Totals, amountFen: Fen): Totals {
  return { count: t.count + 1, amountFen: t.amountFen + amountFen };
}

function rows(items: readonly ArrearsItem[], keyOf: (i: ArrearsItem) => string): ArrearsRow[] {
  const map = new Map<string, { buckets: Record<ArrearsBucket, Totals>; total: Totals; oldest: EpochMs }>();
  for (const i of items) {
    const key = keyOf(i);
    const row = map.get(key) ?? { buckets: emptyBuckets(), total: { count: 0, amountFen: 0n }, oldest: i.approvedAt };
    row.buckets[i.bucket] = add(row.buckets[i.bucket], i.amountFen);
    row.total = add(row.total, i.amountFen);
    row.oldest = Math.min(row.oldest, i.approvedAt);
    map.set(key, row);
  }
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, r]) => ({ key, buckets: r.buckets, total: r.total, oldestApprovedAt: r.oldest }));
}

/**
 * The early warning at `at`: arrears per enterprise and per district by age
 * bucket, the `oldest` items for the operator's queue, and what they cost
 * each enterprise in points (the decayed points of its `wages_unpaid` events).
 * An item repeated (same id) counts once.
 */
export function arrearsReport(
  records: readonly ApprovedHoursRecord[],
  at: EpochMs,
  options: { readonly oldest: number; readonly settlementWindowDays: number; readonly trust: TrustSettings },
): ArrearsReport {
  if (!Number.isSafeInteger(options.oldest) || options.oldest < 0) throw new RangeError(`oldest must be a whole number, got ${options.oldest}`);
  const seen = new Set<string>();
  const unique = records.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
  for (const r of unique) if (r.amountFen < 0n) throw new RangeError(`item ${r.id} has a negative amount`);
  const items: ArrearsItem[] = unique
    .filter((r) => outstandingAt(r, at))
    .map((r) => {
      const days = ageDays(r.approvedAt, at);
      return { ...r, ageDays: days, bucket: bucketOf(days) };
    })
    .sort((a, b) => a.approvedAt - b.approvedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const total = emptyBuckets();
  let all: Totals = { count: 0, amountFen: 0n };
  for (const i of items) {
    total[i.bucket] = add(total[i.bucket], i.amountFen);
    all = add(all, i.amountFen);
  }

  // Costs come from every item, paid or not: an item paid late still cost points on the days it was unpaid.
  const events = arrearsTrustEvents(unique, at, options.settlementWindowDays);
  const byEnterprise = new Map<string, ScoredEvent[]>();
  for (const e of events) byEnterprise.set(e.organisationId, [...(byEnterprise.get(e.organisationId) ?? []), e]);
  const costs: ArrearsCost[] = [...byEnterprise.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([enterpriseId, evs]) => {
      const x = explainScore(enterpriseId, evs, new Set(), at, options.trust);
      return { enterpriseId, eventIds: evs.map((e) => e.id), centipoints: x.centipoints - x.baseCentipoints };
    });

  return {
    at,
    byEnterprise: rows(items, (i) => i.enterpriseId),
    byDistrict: rows(items, (i) => i.districtCode),
    total: { ...total, all },
    oldest: items.slice(0, options.oldest),
    costs,
  };
}
