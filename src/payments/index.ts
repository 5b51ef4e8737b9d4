/** The payments module built from the config: repository, gateway, service, recovery of its operations. */
export { createPaymentsModule, type PaymentsModule, type PaymentsModuleDeps } from "./payments.module";
/** The payment gateway port and what moves through it. */
export type { PaymentGateway, FundingInstructions, PayoutItem, PayoutFile } from "./gateway";
/** The offline bank-transfer gateway (embedded default); its payout file is written by src/shared/csv.ts. */
export { createOfflineGateway, type EscrowBankAccount } from "./offline";
/** Persistence of top-ups, withdrawals and payout batches. */
export { createPaymentsRepository, type PaymentsRepository, type ClearingMovement } from "./payments.repository";
/** Top-ups, withdrawals and payout batches over the ledger; the operations they record on claims; reference reading. */
export { createPaymentsService, normaliseReference, PAYMENT_OPERATIONS, type PaymentsService, type LedgerPort } from "./payments.service";
/** HTTP routes of payments. */
export { paymentsRoutes } from "./payments.routes";
/** Stripe through the official SDK: the port, its failures, and the adapter configured from the settings. */
export { createStripeApi, StripeRefused, type StripeApi, type StripeSettings, type PaymentIntentState, type StripeEventLike } from "./stripe";
/** The Stripe gateway's flows: funding, Connect accounts, transfers, payouts, refunds, webhooks, the sweeper. */
export { createStripeGatewayService, STRIPE_OPERATIONS, stripeIds, type StripeGatewayService, type StripePaymentView, type OrganisationFacts, type SweepReport } from "./stripe.service";
/** Persistence of gateways per organisation, Stripe payments and the webhook inbox. */
export { createStripeRepository, type StripeRepository, type Gateway } from "./stripe.repository";
/** HTTP routes of the Stripe gateway and its webhook. */
export { stripeRoutes, stripeWebhookRoutes } from "./stripe.routes";
