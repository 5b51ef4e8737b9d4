/** The payments module built from the config: repository, gateway, service, recovery of its operations. */
export { createPaymentsModule, type PaymentsModule, type PaymentsModuleDeps } from "./payments.module";
/** The payment gateway port and what moves through it. */
export type { PaymentGateway, FundingInstructions, PayoutItem, PayoutFile } from "./gateway";
/** The offline bank-transfer gateway (embedded default) and its CSV helper. */
export { createOfflineGateway, csvField, type EscrowBankAccount } from "./offline";
/** Persistence of top-ups, withdrawals and payout batches. */
export { createPaymentsRepository, type PaymentsRepository, type ClearingMovement } from "./payments.repository";
/** Top-ups, withdrawals and payout batches over the ledger; the operations they record on claims; reference reading. */
export { createPaymentsService, normaliseReference, PAYMENT_OPERATIONS, type PaymentsService, type LedgerPort } from "./payments.service";
/** HTTP routes of payments. */
export { paymentsRoutes } from "./payments.routes";
