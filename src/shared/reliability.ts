/**
 * An enterprise's two-way reliability as agencies and workers see it beside
 * its contracts and shifts, and the port the modules that show it read it
 * through. The trust module computes it (src/trust/reliability.ts) and
 * implements the port; app.ts hands it to the exchange and the contract
 * runtime, which know nothing of how it is computed. Two modules use the port,
 * so it lives here rather than in either.
 */
import type { Ratio } from "./measures";

/** Late-cancellation rate, dispute rate and approval speed over the last `windowDays` days. */
export interface ReliabilityView {
  readonly enterpriseId: string;
  readonly windowDays: number;
  readonly lateCancellation: Ratio;
  readonly dispute: Ratio;
  readonly approval: {
    /** Median milliseconds from a shift's end to the enterprise's decision on its timesheet; null without decisions. */
    readonly medianMs: number | null;
    /** The same in hours, one decimal ("5.5"). */
    readonly medianHours: string | null;
    /** Timesheets it left to auto-approval, of those decided. */
    readonly autoApproved: Ratio;
  };
}

/** Where the views read enterprises' reliability: one call per response, whatever the number of items (the implementation caches). */
export interface ReliabilityPort {
  /** Each listed enterprise's reliability; null for one with nothing in the window. */
  reliabilityOf(enterpriseIds: readonly string[]): Promise<ReadonlyMap<string, ReliabilityView | null>>;
}
