/** Integrity points, colours and appeals: the pure rules (scored events, versioned settings, explained scores, colour, transitions, appeals). */
export * from "./trust.rules";
/** Two-way reliability of enterprises: late-cancellation rate, dispute rate, approval speed. */
export { enterpriseReliability, type EnterpriseContractRecord, type EnterpriseShiftRecord, type EnterpriseReliability, type Window } from "./reliability";
/** Wage-arrears early warning: ageing per enterprise and district, the oldest items, the points they cost. */
export {
  arrearsReport,
  arrearsTrustEvents,
  outstandingAt,
  ageDays,
  bucketOf,
  costDays,
  ARREARS_BUCKETS,
  type ApprovedHoursRecord,
  type ArrearsBucket,
  type ArrearsRow,
  type ArrearsItem,
  type ArrearsCost,
  type ArrearsReport,
  type Totals,
} from "./arrears";
