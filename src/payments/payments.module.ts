/** Builds the payments module's pieces from the config: repository, gateways, services and the recovery of their operations. */
import type { Config } from "../config";
import type { SqlPool } from "../infra/db";
import type { Clock } from "../shared/clock";
import type { NewId } from "../shared/ids";
import { createOfflineGateway } from "./offline";
import { createPaymentsRepository } from "./payments.repository";
import { createPaymentsService, type LedgerPort } from "./payments.service";
import { createStripeApi, type StripeApi } from "./stripe";
import { createStripeRepository } from "./stripe.repository";
import { createStripeGatewayService, type OrganisationFacts, type StripeGatewayLog } from "./stripe.service";

export interface PaymentsModuleDeps {
  sql: SqlPool;
  ledger: LedgerPort;
  config: Config;
  clock: Clock;
  newId: NewId;
  /** An organisation's kind and name (the Stripe gateway checks who may have a Connect account). */
  organisation?: (id: string) => Promise<OrganisationFacts | null>;
  log?: StripeGatewayLog;
  /** Stands in for Stripe's API (tests); default: the official SDK configured from STRIPE_*. */
  stripeApi?: StripeApi;
}

const quiet: StripeGatewayLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function createPaymentsModule(deps: PaymentsModuleDeps) {
  const { config } = deps;
  const repo = createPaymentsRepository(deps.sql);
  const gateway = createOfflineGateway(config.escrowBank);
  const stripeRepo = createStripeRepository(deps.sql);
  const payments = createPaymentsService({
    repo, ledger: deps.ledger, gateway, clock: deps.clock, newId: deps.newId, maxAmountFen: BigInt(config.paymentMaxFen), ledgerChunk: config.ledger.batchSize,
    gatewayOf: async (organisationId) => (await stripeRepo.settings(organisationId))?.gateway ?? "offline",
  });
  // Stripe joins when it is configured (a secret key; config.ts then requires the webhook secret too).
  const { secretKey, webhookSecret } = config.stripe;
  const api = deps.stripeApi ?? (secretKey && webhookSecret
    ? createStripeApi({ secretKey, webhookSecret, apiBase: config.stripe.apiBase, maxNetworkRetries: config.stripe.maxNetworkRetries })
    : undefined);
  const stripe = api
    ? createStripeGatewayService({
        repo: stripeRepo, api, ledger: deps.ledger, clock: deps.clock, newId: deps.newId, organisation: deps.organisation ?? (async () => null),
        maxAmountFen: BigInt(config.paymentMaxFen), fundingTtlMs: config.stripe.fundingTtlMinutes * 60_000, log: deps.log ?? quiet,
      })
    : undefined;
  return {
    repo,
    gateway,
    payments,
    /** The Stripe gateway, when configured. */
    stripe,
    /** Stripe's API (reconciliation fetches its balance transactions), when configured. */
    stripeApi: api,
    /** Recovery of the operations payments records on claims: register each with the idempotency layer. */
    operations: { ...payments.operations, ...(stripe?.operations ?? {}) },
    /** What the routes' schemas state. */
    limits: { maxAmountFen: config.paymentMaxFen },
  };
}
export type PaymentsModule = ReturnType<typeof createPaymentsModule>;
