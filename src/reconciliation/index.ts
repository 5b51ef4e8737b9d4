/** The pure engine: tiers, classification, corrections, control totals. */
export { reconcile, itemKey, ITEM_KINDS, type Item, type ItemKind, type ExceptionKind, type LedgerEntry, type ProviderRecord, type ControlTotals, type ReconcileInput, type ReconcileResult } from "./reconcile";
/** The bank statement CSV format: decoding, parsing with problems by line and column, references in a remark. */
export { decodeStatement, parseStatement, referencesIn, STATEMENT_ENCODINGS, type StatementEncoding, type StatementLine, type StatementProblem } from "./statement-csv";
/** The reconciliation module built from the config: repository, service, recovery of its operations. */
export { createReconciliationModule, type ReconciliationModule, type ReconciliationModuleDeps } from "./reconciliation.module";
/** Imports, runs, the exception queue, corrections through suspense, control totals, exports. */
export {
  createReconciliationService, exceptionIdOf, PROVIDERS, RECONCILIATION_OPERATIONS,
  type ReconciliationService, type ReconciliationLedger, type ProviderSource, type ImportProgress, type RunView, type ExceptionView, type ImportView, type ControlTotalsView, type TotalsView,
} from "./reconciliation.service";
/** Persistence of provider records, runs, items and exceptions. */
export { createReconciliationRepository, type ReconciliationRepository, type Provider, type ProviderRecordRow } from "./reconciliation.repository";
/** HTTP routes of reconciliation (operators only). */
export { reconciliationRoutes } from "./reconciliation.routes";
/** Stripe's balance transactions as provider records, fetched page by page. */
export { stripeProviderSource, balanceTransactionRecords, type BalanceTransactionPages } from "./stripe-records";
