/**
 * Two-way reliability: what agencies and workers see about an enterprise
 * beside its orders and shifts (pure aggregations over plain records).
 *
 * - Late-cancellation rate: contracts the enterprise cancelled late (inside
 *   the free-cancellation notice, so a fee was owed) out of its contracts.
 * - Dispute rate: worker-shifts it disputed out of those it decided
 *   (approved, disputed, or left to auto-approval).
 * - Approval speed: the median time from a shift's end to the enterprise's
 *   decision on the timesheet (approval or dispute; an auto-approval counts at
 *   its deadline, which is as slow as an enterprise can be), and the share of
 *   timesheets it left to auto-approval.
 *
 * Records are counted in a window: contracts by creation, shifts by their end.
 * Medians are nearest-rank (src/shared/measures.ts): a duration that really
 * happened.
 */
import { hoursOf, median, ratio, type Ratio } from "../shared/measures";

/** Epoch milliseconds. */
type EpochMs = number;

/** A contract as reliability needs it. */
export interface EnterpriseContractRecord {
  readonly enterpriseId: string;
  readonly contractId: string;
  readonly createdAt: EpochMs;
  /** Who cancelled it and whether it was late (a fee was owed), or null when it was not cancelled. */
  readonly cancellation: { readonly by: "enterprise" | "supplier"; readonly late: boolean } | null;
}

/** A worker-shift as reliability needs it. */
export interface EnterpriseShiftRecord {
  readonly enterpriseId: string;
  readonly shiftId: string;
  readonly shiftEnd: EpochMs;
  /** The enterprise's decision on the timesheet, or null while none was made (or the shift was never worked). */
  readonly decision: { readonly kind: "approved" | "auto_approved" | "disputed"; readonly at: EpochMs } | null;
}

/** The window counted: [from, to). */
export interface Window {
  readonly from: EpochMs;
  readonly to: EpochMs;
}

/** What agencies and workers see about one enterprise. */
export interface EnterpriseReliability {
  readonly enterpriseId: string;
  readonly lateCancellation: Ratio;
  readonly dispute: Ratio;
  readonly approval: {
    /** Median milliseconds from shift end to decision; null without decisions. */
    readonly medianMs: number | null;
    /** The same in hours, one decimal ("5.5"). */
    readonly medianHours: string | null;
    readonly autoApproved: Ratio;
  };
}


function inWindow(t: EpochMs, w: Window): boolean {
  return t >= w.from && t < w.to;
}

/** Reliability of every enterprise that has a contract or a shift in the window, by enterprise id. */
export function enterpriseReliability(contracts: readonly EnterpriseContractRecord[], shifts: readonly EnterpriseShiftRecord[], window: Window): EnterpriseReliability[] {
  const acc = new Map<string, { contracts: number; late: number; decided: number; disputed: number; auto: number; waits: number[] }>();
  const of = (id: string) => {
    let a = acc.get(id);
    if (a === undefined) {
      a = { contracts: 0, late: 0, decided: 0, disputed: 0, auto: 0, waits: [] };
      acc.set(id, a);
    }
    return a;
  };
  const seenContracts = new Set<string>();
  for (const c of contracts) {
    if (!inWindow(c.createdAt, window) || seenContracts.has(c.contractId)) continue;
    seenContracts.add(c.contractId);
    const a = of(c.enterpriseId);
    a.contracts++;
    if (c.cancellation?.by === "enterprise" && c.cancellation.late) a.late++;
  }
  const seenShifts = new Set<string>();
  for (const s of shifts) {
    if (!inWindow(s.shiftEnd, window) || seenShifts.has(s.shiftId)) continue;
    seenShifts.add(s.shiftId);
    const a = of(s.enterpriseId);
    if (s.decision === null) continue;
    a.decided++;
    if (s.decision.kind === "disputed") a.disputed++;
    if (s.decision.kind === "auto_approved") a.auto++;
    a.waits.push(Math.max(0, s.decision.at - s.shiftEnd));
  }
  return [...acc.entries()]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([enterpriseId, a]) => {
      const medianMs = median(a.waits);
      return {
        enterpriseId,
        lateCancellation: ratio(a.late, a.contracts),
        dispute: ratio(a.disputed, a.decided),
        approval: { medianMs, medianHours: medianMs === null ? null : hoursOf(medianMs), autoApproved: ratio(a.auto, a.decided) },
      };
    });
}

