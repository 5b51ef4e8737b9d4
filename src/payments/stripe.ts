/**
 * Stripe, through the official SDK: the narrow set of calls Shiftex makes,
 * behind a port (StripeApi) so the flows (stripe.service.ts) and tests do not
 * depend on the SDK's types. The escrow stays in Shiftex's ledger; Stripe
 * only moves money in (PaymentIntents) and out (transfers to Connect
 * accounts, their payouts, refunds).
 *
 * Every creating call carries an idempotency key the caller derives from its
 * own record, so a call repeated after a crash or a lost answer finds what
 * the first one did instead of doing it again.
 *
 * Failures are sorted in two: StripeRefused (Stripe answered and created
 * nothing: a validation error, a card decline, a missing account) and
 * anything else, whose outcome is unknown (no answer, a 5xx, a rate limit):
 * the caller keeps its recovery point and repeats the call with the same key.
 */
import Stripe from "stripe";

export interface StripeSettings {
  readonly secretKey: string;
  /** Where the API is (stripe-mock, a test fake); default Stripe's own. */
  readonly apiBase?: string | undefined;
  readonly webhookSecret: string;
  /** The SDK's own retries of a request that got no answer (with the same idempotency key). */
  readonly maxNetworkRetries?: number;
  readonly timeoutMs?: number;
}

/** Stripe answered and created nothing. */
export class StripeRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = "StripeRefused";
  }
}

export interface PaymentIntentState {
  readonly id: string;
  /** requires_payment_method, requires_confirmation, requires_action, processing, requires_capture, canceled, succeeded. */
  readonly status: string;
  readonly clientSecret: string | null;
  readonly amountFen: bigint;
  readonly amountReceivedFen: bigint;
  readonly currency: string;
  readonly latestCharge: string | null;
  readonly metadata: Record<string, string>;
}

export interface StripeEventLike {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly data: { readonly object: Record<string, unknown> };
}

export interface StripeApi {
  createPaymentIntent(p: { amountFen: bigint; currency: string; metadata: Record<string, string>; description: string }, idempotencyKey: string): Promise<PaymentIntentState>;
  retrievePaymentIntent(id: string): Promise<PaymentIntentState>;
  cancelPaymentIntent(id: string, idempotencyKey: string): Promise<PaymentIntentState>;
  /** The fee Stripe took on a charge (from its balance transaction); 0 while it is not known. */
  chargeFee(chargeId: string): Promise<bigint>;
  createConnectAccount(p: { organisationId: string; name: string }, idempotencyKey: string): Promise<{ id: string; ready: boolean }>;
  retrieveAccount(id: string): Promise<{ id: string; ready: boolean }>;
  createTransfer(p: { amountFen: bigint; currency: string; destination: string; transferGroup: string | null; metadata: Record<string, string> }, idempotencyKey: string): Promise<{ id: string }>;
  createRefund(p: { paymentIntent: string; amountFen: bigint; metadata: Record<string, string> }, idempotencyKey: string): Promise<{ id: string; status: string }>;
  createPayout(p: { amountFen: bigint; currency: string; account: string; metadata: Record<string, string> }, idempotencyKey: string): Promise<{ id: string; status: string }>;
  /** A page of balance transactions created in [from, to) (unix seconds), sources expanded. */
  balanceTransactions(range: { from: number; to: number }, startingAfter: string | undefined): Promise<{ data: Record<string, unknown>[]; hasMore: boolean }>;
  /** Checks the signature of a webhook's raw body; throws StripeRefused("signature") when it does not verify. */
  verifyWebhook(rawBody: Buffer, signature: string | undefined): StripeEventLike;
}

function refusedOrUnknown(err: unknown): never {
  if (err instanceof Stripe.errors.StripeError) {
    const status = err.statusCode ?? 0;
    // A 4xx other than a rate limit, a conflict on an idempotency key in flight, or an authentication problem: Stripe created nothing.
    if (status >= 400 && status < 500 && status !== 429 && status !== 409 && status !== 401 && !(err instanceof Stripe.errors.StripeIdempotencyError)) {
      throw new StripeRefused(err.code ?? err.type, err.message, status);
    }
  }
  throw err;
}

function big(v: unknown): bigint {
  return BigInt(typeof v === "number" || typeof v === "string" ? v : 0);
}

function intent(pi: Stripe.PaymentIntent): PaymentIntentState {
  return {
    id: pi.id,
    status: pi.status,
    clientSecret: pi.client_secret ?? null,
    amountFen: big(pi.amount),
    amountReceivedFen: big(pi.amount_received),
    currency: pi.currency.toUpperCase(),
    latestCharge: typeof pi.latest_charge === "string" ? pi.latest_charge : pi.latest_charge?.id ?? null,
    metadata: (pi.metadata ?? {}) as Record<string, string>,
  };
}

/** Amounts go to Stripe in the currency's smallest unit: fen for CNY, so a safe integer of fen. */
function amount(fen: bigint): number {
  if (fen <= 0n || fen > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`amount ${fen} fen cannot go to Stripe`);
  return Number(fen);
}

export function createStripeApi(settings: StripeSettings): StripeApi {
  const base = settings.apiBase ? new URL(settings.apiBase) : undefined;
  const stripe = new Stripe(settings.secretKey, {
    maxNetworkRetries: settings.maxNetworkRetries ?? 1,
    timeout: settings.timeoutMs ?? 30_000,
    telemetry: false,
    ...(base
      ? { host: base.hostname, port: base.port || (base.protocol === "https:" ? 443 : 80), protocol: base.protocol === "https:" ? ("https" as const) : ("http" as const) }
      : {}),
  });
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      refusedOrUnknown(err);
    }
  };
  return {
    createPaymentIntent: (p, idempotencyKey) =>
      call(async () =>
        intent(
          await stripe.paymentIntents.create(
            { amount: amount(p.amountFen), currency: p.currency.toLowerCase(), metadata: p.metadata, description: p.description, automatic_payment_methods: { enabled: true } },
            { idempotencyKey },
          ),
        ),
      ),
    retrievePaymentIntent: (id) => call(async () => intent(await stripe.paymentIntents.retrieve(id))),
    cancelPaymentIntent: (id, idempotencyKey) => call(async () => intent(await stripe.paymentIntents.cancel(id, {}, { idempotencyKey }))),
    chargeFee: (chargeId) =>
      call(async () => {
        const charge = await stripe.charges.retrieve(chargeId, { expand: ["balance_transaction"] });
        const bt = charge.balance_transaction;
        return bt !== null && typeof bt === "object" ? big(bt.fee) : 0n;
      }),
    createConnectAccount: (p, idempotencyKey) =>
      call(async () => {
        const a = await stripe.accounts.create(
          { type: "express", business_profile: { name: p.name }, metadata: { shiftex_organisation: p.organisationId }, capabilities: { transfers: { requested: true } } },
          { idempotencyKey },
        );
        return { id: a.id, ready: a.charges_enabled === true || a.payouts_enabled === true };
      }),
    retrieveAccount: (id) =>
      call(async () => {
        const a = await stripe.accounts.retrieve(id);
        return { id: a.id, ready: a.payouts_enabled === true };
      }),
    createTransfer: (p, idempotencyKey) =>
      call(async () => {
        const t = await stripe.transfers.create(
          { amount: amount(p.amountFen), currency: p.currency.toLowerCase(), destination: p.destination, metadata: p.metadata, ...(p.transferGroup ? { transfer_group: p.transferGroup } : {}) },
          { idempotencyKey },
        );
        return { id: t.id };
      }),
    createRefund: (p, idempotencyKey) =>
      call(async () => {
        const r = await stripe.refunds.create({ payment_intent: p.paymentIntent, amount: amount(p.amountFen), metadata: p.metadata }, { idempotencyKey });
        return { id: r.id, status: r.status ?? "pending" };
      }),
    createPayout: (p, idempotencyKey) =>
      call(async () => {
        const po = await stripe.payouts.create({ amount: amount(p.amountFen), currency: p.currency.toLowerCase(), metadata: p.metadata }, { idempotencyKey, stripeAccount: p.account });
        return { id: po.id, status: po.status };
      }),
    balanceTransactions: (range, startingAfter) =>
      call(async () => {
        const page = await stripe.balanceTransactions.list({
          created: { gte: range.from, lt: range.to }, limit: 100, expand: ["data.source"], ...(startingAfter ? { starting_after: startingAfter } : {}),
        });
        return { data: page.data as unknown as Record<string, unknown>[], hasMore: page.has_more };
      }),
    verifyWebhook(rawBody, signature) {
      if (signature === undefined) throw new StripeRefused("signature", "the Stripe-Signature header is missing", 400);
      try {
        return stripe.webhooks.constructEvent(rawBody, signature, settings.webhookSecret) as unknown as StripeEventLike;
      } catch (err) {
        if (err instanceof Stripe.errors.StripeSignatureVerificationError) throw new StripeRefused("signature", `the webhook's signature does not verify: ${err.message}`, 400);
        throw new StripeRefused("payload", "the webhook body is not a Stripe event", 400);
      }
    },
  };
}
