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
/** The trust module: the scorer (contract records, licences, arrears → points → colours → sequencer), appeals, disclosure. */
export { createTrustModule, type TrustModule, type TrustModuleDeps } from "./trust.module";
/** Ratings explained, appeals, operators' records, arrears, reliability, public disclosure. */
export { createTrustService, type TrustService, type PassReport } from "./trust.service";
/** Trust's SQL. */
export { createTrustRepository, type TrustRepository } from "./trust.repository";
/** HTTP routes: /v1/trust/*, /v1/public/agencies*, /v1/public/trust-settings. */
export { trustRoutes } from "./trust.routes";
