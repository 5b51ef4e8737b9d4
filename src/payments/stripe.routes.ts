/**
 * HTTP routes of the Stripe gateway: an organisation's gateway and Connect
 * account, wallet funding by PaymentIntent, refunds, payments, and the signed
 * webhook (its own plugin: it reads the raw body the signature covers).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { principalOf } from "../http/auth";
import { claimOf } from "../http/idempotency";
import { IdParams, IdempotencyHeaders, PageOf, PageQuery, responses } from "../http/schemas";
import type { StripeGatewayService } from "./stripe.service";

export interface StripeRoutesOptions {
  stripe: StripeGatewayService;
  maxAmountFen: number;
}

const Status = Type.Union(
  [
    Type.Literal("creating"), Type.Literal("awaiting_payment"), Type.Literal("sending"), Type.Literal("succeeded"), Type.Literal("posted"),
    Type.Literal("failing"), Type.Literal("failed"), Type.Literal("abandoning"), Type.Literal("abandoned"),
  ],
  { description: "creating, sending, succeeded, failing, abandoning: a step is under way and completes on its own; posted, failed, abandoned: final" },
);

const Payment = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal("funding"), Type.Literal("transfer"), Type.Literal("refund"), Type.Literal("payout")]),
  organisationId: Type.String(),
  accountId: Type.String(),
  amountFen: Type.Integer(),
  currency: Type.String(),
  status: Status,
  stripeId: Type.Union([Type.String(), Type.Null()]),
  clientSecret: Type.Union([Type.String(), Type.Null()], { description: "Funding awaiting payment: pay it with Stripe.js (confirmPayment)" }),
  receivedFen: Type.Union([Type.Integer(), Type.Null()]),
  feeFen: Type.Union([Type.Integer(), Type.Null()]),
  transferGroup: Type.Union([Type.String(), Type.Null()]),
  destination: Type.Union([Type.String(), Type.Null()]),
  refundOf: Type.Union([Type.String(), Type.Null()]),
  failure: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const Settings = Type.Object({
  organisationId: Type.String(),
  gateway: Type.Union([Type.Literal("offline"), Type.Literal("stripe")]),
  stripeAccountId: Type.Union([Type.String(), Type.Null()]),
  stripeAccountReady: Type.Boolean(),
});

export const stripeRoutes: FastifyPluginAsyncTypebox<StripeRoutesOptions> = async (app, { stripe, maxAmountFen }) => {
  const tags = ["payments"];
  const Fen = Type.Integer({ minimum: 1, maximum: maxAmountFen, description: `fen (1 to ${maxAmountFen})` });

  app.get("/v1/organisations/:id/payment-settings", {
    config: { access: ["enterprise", "agency", "operator", "regulator"] },
    schema: { tags, summary: "The gateway an organisation pays through, and its Stripe Connect account (own; all for staff)", params: IdParams, response: responses({ 200: Settings }) },
  }, async (req) => stripe.settings(principalOf(req), req.params.id));

  app.put("/v1/organisations/:id/payment-settings", {
    config: { access: ["operator"] },
    schema: {
      tags, summary: "Pick the gateway an organisation pays through: offline (bank transfer) or stripe (operator)", params: IdParams,
      body: Type.Object({ gateway: Type.Union([Type.Literal("offline"), Type.Literal("stripe")]) }, { additionalProperties: false, examples: [{ gateway: "stripe" }] }),
      response: responses({ 200: Settings }),
    },
  }, async (req) => stripe.setGateway(principalOf(req), req.params.id, req.body.gateway));

  app.post("/v1/organisations/:id/stripe-account", {
    config: { access: ["operator"] },
    schema: { tags, summary: "Open a Stripe Connect account for an agency or lending enterprise (asking again answers the same)", params: IdParams, headers: IdempotencyHeaders, response: responses({ 201: Settings }) },
  }, async (req, reply) => reply.status(201).send(await stripe.createConnectAccount(principalOf(req), req.params.id)));

  app.post("/v1/stripe/top-ups", {
    config: { access: ["enterprise"], recoverable: true },
    schema: {
      tags, summary: "Fund the wallet by card through Stripe: a PaymentIntent whose client secret Stripe.js pays; the wallet is credited when Stripe says it succeeded",
      headers: IdempotencyHeaders, body: Type.Object({ amountFen: Fen }, { additionalProperties: false, examples: [{ amountFen: 500_000 }] }), response: responses({ 201: Payment }),
    },
  }, async (req, reply) => reply.status(201).send(await stripe.fund(principalOf(req), BigInt(req.body.amountFen), claimOf(req))));

  app.post("/v1/stripe/refunds", {
    config: { access: ["operator"], recoverable: true },
    schema: {
      tags, summary: "Refund (part of) a Stripe funding payment from the wallet to the card (operator)", headers: IdempotencyHeaders,
      body: Type.Object({ paymentId: Type.String({ minLength: 1, maxLength: 64 }), amountFen: Fen }, { additionalProperties: false }), response: responses({ 201: Payment }),
    },
  }, async (req, reply) => reply.status(201).send(await stripe.refund(principalOf(req), req.body.paymentId, BigInt(req.body.amountFen), claimOf(req))));

  app.get("/v1/stripe/payments", {
    config: { access: ["enterprise", "agency", "operator", "regulator"] },
    schema: { tags, summary: "Stripe payments, newest first (own; all for staff)", querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }), response: responses({ 200: PageOf(Payment) }) },
  }, async (req) => stripe.listPayments(principalOf(req), req.query));

  app.get("/v1/stripe/payments/:id", {
    config: { access: ["enterprise", "agency", "operator", "regulator"] },
    schema: { tags, summary: "A Stripe payment and where it stands", params: IdParams, response: responses({ 200: Payment }) },
  }, async (req) => stripe.getPayment(principalOf(req), req.params.id));
};

/** The webhook Stripe calls: the raw body, so the signature can be checked over exactly the bytes Stripe signed. */
export const stripeWebhookRoutes: FastifyPluginAsyncTypebox<{ stripe: StripeGatewayService }> = async (app, { stripe }) => {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  app.post("/v1/stripe/webhooks", {
    config: { access: "public", rateLimit: false },
    schema: {
      tags: ["payments"], summary: "Stripe's webhook: signed events (Stripe-Signature), processed once each",
      response: { ...responses({}), 200: Type.Object({ received: Type.Literal(true), duplicate: Type.Boolean(), outcome: Type.String() }) },
    },
  }, async (req) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.from("");
    const sig = req.headers["stripe-signature"];
    return stripe.receiveWebhook(raw, Array.isArray(sig) ? sig[0] : sig);
  });
};
