/**
 * Money through Stripe: wallet funding by PaymentIntent, transfers to the
 * Connect accounts of agencies and lending enterprises (transfer_group = the
 * contract), their payouts, refunds. The escrow stays in the ledger.
 *
 * Each payment is a row whose status is its recovery point, and every step
 * from one point to the next repeats harmlessly: Stripe calls carry an
 * idempotency key derived from the row ("shiftex:<id>:create"), ledger
 * transfers an id derived from it ("stripe:<id>:credit|fee|hold|post|void"),
 * and the status moves by compare-and-set. No database transaction is open
 * while Stripe is called. Whoever finds a payment short of its end drives it
 * on (advance): the request that created it, a webhook, the sweeper. So a
 * crash at any point ends, once the sweeper ran, in exactly one wallet
 * credit (funding) or one transfer (hold → Stripe → post), or in nothing
 * (abandoned, failed: the hold voided).
 *
 *   funding:  creating ─PI─▶ awaiting_payment ─paid─▶ succeeded ─ledger─▶ posted
 *                 │               └─ unpaid past the TTL ─▶ abandoning ─cancel─▶ abandoned
 *                 └─ refused ─▶ failed
 *   transfer, refund: creating ─hold─▶ sending ─Stripe─▶ succeeded ─post─▶ posted
 *                         └ refused ▶ failed    └ refused ▶ failing ─void─▶ failed
 *   payout (a Connect account's balance to its bank; no ledger movement): creating ─Stripe─▶ posted | failed
 *
 * Webhooks are verified, stored in an inbox unique on the event id (a replay
 * is recognised), and processed by fetching the object's current state from
 * Stripe rather than trusting the event's copy, so events arriving out of
 * order or twice do no harm.
 */
import { createHash } from "node:crypto";
import { CNY, TransferFlags, accountStands, platformAccountId, platformAccounts, supplierPayableAccount, transferStands, walletAccount, type AccountInput, type TransferInput } from "../ledger";
import { claimLost, type Claim, type Recover } from "../shared/claim";
import type { Clock } from "../shared/clock";
import { decodeCursor, pageOf, type Page } from "../shared/cursor";
import { DomainError, invalidField, notFound } from "../shared/errors";
import type { NewId } from "../shared/ids";
import { fenToJsonNumber } from "../shared/money";
import { canReadAll, type Principal } from "../shared/principal";
import type { LedgerPort } from "./payments.service";
import { StripeRefused, type StripeApi, type StripeEventLike } from "./stripe";
import type { Gateway, StripePaymentRow, StripePaymentStatus, StripeRepository } from "./stripe.repository";

export interface OrganisationFacts {
  readonly kind: "enterprise" | "agency";
  readonly lendsStaff: boolean;
  readonly name: string;
}

export interface StripeGatewayLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StripeGatewayDeps {
  repo: StripeRepository;
  api: StripeApi;
  ledger: LedgerPort;
  clock: Clock;
  newId: NewId;
  /** An organisation's kind and name (parties), or null when there is none. */
  organisation(id: string): Promise<OrganisationFacts | null>;
  /** Largest single payment, fen. */
  maxAmountFen: bigint;
  /** A PaymentIntent unpaid this long is cancelled and its payment abandoned. */
  fundingTtlMs: number;
  log: StripeGatewayLog;
}

/** Names of the operations the Stripe gateway records on claims (see src/http/idempotency.ts). */
export const STRIPE_OPERATIONS = { fund: "payments.stripe.fund", refund: "payments.stripe.refund" } as const;

export interface StripePaymentView {
  id: string;
  kind: StripePaymentRow["kind"];
  organisationId: string;
  accountId: string;
  amountFen: number;
  currency: string;
  status: StripePaymentStatus;
  stripeId: string | null;
  /** Funding: what the browser hands to Stripe.js to pay (shown to the paying enterprise and operators). */
  clientSecret: string | null;
  receivedFen: number | null;
  feeFen: number | null;
  transferGroup: string | null;
  destination: string | null;
  refundOf: string | null;
  failure: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PaymentSettingsView {
  organisationId: string;
  gateway: Gateway;
  stripeAccountId: string | null;
  stripeAccountReady: boolean;
}

export interface SweepReport {
  /** payments driven to a final state. */
  finished: number;
  /** payments that could not move (Stripe or the ledger unavailable): kept for the next sweep. */
  stuck: number;
  /** stored webhook events processed again. */
  events: number;
}

const FINAL: readonly StripePaymentStatus[] = ["posted", "failed", "abandoned"];
const KEY_PART = /^[A-Za-z0-9:_.-]{1,120}$/;

/** The ids and keys a payment's steps use, all derived from the payment. */
export const stripeIds = {
  credit: (id: string) => `stripe:${id}:credit`,
  fee: (id: string) => `stripe:${id}:fee`,
  hold: (id: string) => `stripe:${id}:hold`,
  post: (id: string) => `stripe:${id}:post`,
  void: (id: string) => `stripe:${id}:void`,
  createKey: (id: string) => `shiftex:${id}:create`,
  cancelKey: (id: string) => `shiftex:${id}:cancel`,
};

function view(p: StripePaymentRow, showSecret: boolean): StripePaymentView {
  return {
    id: p.id, kind: p.kind, organisationId: p.organisationId, accountId: p.accountId, amountFen: fenToJsonNumber(p.amountFen), currency: p.currency, status: p.status,
    stripeId: p.stripeId, clientSecret: showSecret && p.status === "awaiting_payment" ? p.clientSecret : null,
    receivedFen: p.receivedFen === null ? null : fenToJsonNumber(p.receivedFen), feeFen: p.feeFen === null ? null : fenToJsonNumber(p.feeFen),
    transferGroup: p.transferGroup, destination: p.destination, refundOf: p.refundOf, failure: p.failure, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString(),
  };
}

export function createStripeGatewayService(deps: StripeGatewayDeps) {
  const { repo, api, ledger, clock, log } = deps;

  async function ensureAccounts(accounts: AccountInput[]): Promise<void> {
    const missing = [...platformAccounts(CNY), ...accounts].filter((a) => ledger.lookupAccount(a.id) === undefined);
    if (missing.length === 0) return;
    const out = await ledger.createAccounts(missing);
    out.results.forEach((r, i) => {
      if (!accountStands(r)) throw new Error(`ledger account ${missing[i]!.id}: ${r}`);
    });
  }

  function checkAmount(amountFen: bigint, field: string): void {
    if (amountFen <= 0n) throw invalidField(field, "the amount must be more than zero fen");
    if (amountFen > deps.maxAmountFen) throw invalidField(field, `the amount must be at most ${deps.maxAmountFen} fen`);
  }

  async function gatewayOf(organisationId: string): Promise<Gateway> {
    return (await repo.settings(organisationId))?.gateway ?? "offline";
  }

  /** One ledger call; true when every transfer stands, the first refusal otherwise. */
  async function post(transfers: TransferInput[]): Promise<true | string> {
    const out = await ledger.createTransfers(transfers);
    const bad = out.results.find((r) => !transferStands(r));
    return bad === undefined ? true : bad;
  }

  /**
   * Takes the next step of a payment from its recovery point; false when
   * there is none to take now (final, or waiting for the payer). Throws when
   * the outcome is unknown (Stripe or the ledger did not answer): the point
   * stays, and the step is repeated later with the same keys and ids.
   */
  async function step(p: StripePaymentRow): Promise<boolean> {
    const now = clock.now();
    const to = (from: StripePaymentStatus, status: StripePaymentStatus, fields = {}) => repo.step(p.id, [from], status, fields, now);
    switch (`${p.kind}/${p.status}`) {
      case "funding/creating": {
        try {
          const pi = await api.createPaymentIntent(
            { amountFen: p.amountFen, currency: p.currency, metadata: { shiftex_payment: p.id, shiftex_organisation: p.organisationId }, description: `Shiftex wallet top-up ${p.id}` },
            stripeIds.createKey(p.id),
          );
          return to("creating", "awaiting_payment", { stripeId: pi.id, ...(pi.clientSecret ? { clientSecret: pi.clientSecret } : {}) });
        } catch (err) {
          if (err instanceof StripeRefused) return to("creating", "failed", { failure: `${err.code}: ${err.message}` });
          throw err;
        }
      }
      case "funding/awaiting_payment":
      case "funding/abandoning": {
        const pi = await api.retrievePaymentIntent(p.stripeId!);
        if (pi.status === "succeeded") {
          const fee = pi.latestCharge ? await api.chargeFee(pi.latestCharge) : 0n;
          return repo.step(p.id, ["awaiting_payment", "abandoning"], "succeeded", { receivedFen: pi.amountReceivedFen, feeFen: fee, ...(pi.latestCharge ? { chargeId: pi.latestCharge } : {}) }, now);
        }
        if (pi.status === "canceled") return repo.step(p.id, ["awaiting_payment", "abandoning"], "abandoned", { failure: "the PaymentIntent was canceled" }, now);
        if (p.status === "awaiting_payment") {
          if (now.getTime() - p.createdAt.getTime() < deps.fundingTtlMs) return false; // the payer has time left
          return to("awaiting_payment", "abandoning");
        }
        if (pi.status === "processing") return false; // a payment in flight is neither cancelled nor credited yet
        try {
          await api.cancelPaymentIntent(p.stripeId!, stripeIds.cancelKey(p.id));
        } catch (err) {
          // Paid between our read and the cancel: the next step sees it succeeded.
          if (err instanceof StripeRefused) return true;
          throw err;
        }
        return true;
      }
      case "funding/succeeded": {
        await ensureAccounts([walletAccount(p.organisationId)]);
        const received = p.receivedFen ?? p.amountFen;
        const fee = p.feeFen ?? 0n;
        const credit: TransferInput = { id: stripeIds.credit(p.id), debitAccountId: platformAccountId("clearing"), creditAccountId: p.accountId, amount: received, ledger: CNY, code: "stripe_funding", userData: p.id };
        // Stripe's fee leaves the Stripe balance: the platform bears it (platform_fee debited), linked with the credit so both stand or neither.
        const transfers: TransferInput[] = fee > 0n
          ? [{ ...credit, flags: TransferFlags.linked }, { id: stripeIds.fee(p.id), debitAccountId: platformAccountId("platform_fee"), creditAccountId: platformAccountId("clearing"), amount: fee, ledger: CNY, code: "stripe_fee", userData: p.id }]
          : [credit];
        const done = await post(transfers);
        if (done !== true) throw new Error(`the ledger refused the credit of Stripe payment ${p.id}: ${done}`);
        return to("succeeded", "posted");
      }
      case "transfer/creating":
      case "refund/creating": {
        await ensureAccounts([]);
        const held = await post([
          { id: stripeIds.hold(p.id), kind: "pending", debitAccountId: p.accountId, creditAccountId: platformAccountId("clearing"), amount: p.amountFen, ledger: CNY, code: `stripe_${p.kind}`, userData: p.id },
        ]);
        if (held !== true) return to("creating", "failed", { failure: `the ledger refused the hold: ${held}` });
        return to("creating", "sending");
      }
      case "transfer/sending":
      case "refund/sending": {
        try {
          let stripeId: string;
          if (p.kind === "transfer") {
            stripeId = (await api.createTransfer(
              { amountFen: p.amountFen, currency: p.currency, destination: p.destination!, transferGroup: p.transferGroup, metadata: { shiftex_payment: p.id } },
              stripeIds.createKey(p.id),
            )).id;
          } else {
            const funding = await repo.find(p.refundOf!);
            stripeId = (await api.createRefund({ paymentIntent: funding!.stripeId!, amountFen: p.amountFen, metadata: { shiftex_payment: p.id } }, stripeIds.createKey(p.id))).id;
          }
          return to("sending", "succeeded", { stripeId });
        } catch (err) {
          if (err instanceof StripeRefused) return to("sending", "failing", { failure: `${err.code}: ${err.message}` });
          throw err;
        }
      }
      case "transfer/succeeded":
      case "refund/succeeded": {
        const done = await post([{ id: stripeIds.post(p.id), kind: "post", pendingId: stripeIds.hold(p.id), amount: null }]);
        if (done !== true) throw new Error(`the ledger refused to post the hold of Stripe payment ${p.id}: ${done}`);
        return to("succeeded", "posted");
      }
      case "transfer/failing":
      case "refund/failing": {
        const done = await post([{ id: stripeIds.void(p.id), kind: "void", pendingId: stripeIds.hold(p.id) }]);
        if (done !== true && !["pending_transfer_not_found", "pending_transfer_already_voided", "pending_transfer_expired"].includes(done)) {
          throw new Error(`the ledger refused to void the hold of Stripe payment ${p.id}: ${done}`);
        }
        return to("failing", "failed");
      }
      case "payout/creating": {
        try {
          const po = await api.createPayout({ amountFen: p.amountFen, currency: p.currency, account: p.destination!, metadata: { shiftex_payment: p.id } }, stripeIds.createKey(p.id));
          return to("creating", "posted", { stripeId: po.id });
        } catch (err) {
          if (err instanceof StripeRefused) return to("creating", "failed", { failure: `${err.code}: ${err.message}` });
          throw err;
        }
      }
      default:
        return false;
    }
  }

  /** Drives a payment on until it waits or ends; returns where it stands. */
  async function advance(id: string, until?: (p: StripePaymentRow) => boolean): Promise<StripePaymentRow> {
    for (let i = 0; i < 12; i++) {
      const p = await repo.find(id);
      if (!p) throw notFound("payment", id);
      if (FINAL.includes(p.status) || until?.(p)) return p;
      if (!(await step(p))) {
        const again = await repo.find(id);
        // Another driver took the step (the status moved): go on from there; otherwise there is nothing to do now.
        if (again && again.status !== p.status) continue;
        return again!;
      }
    }
    return (await repo.find(id))!;
  }

  async function connectedAccount(organisationId: string, field: string): Promise<string> {
    const s = await repo.settings(organisationId);
    if (!s?.stripeAccountId) throw new DomainError("unprocessable", "the organisation has no Stripe Connect account", { field });
    return s.stripeAccountId;
  }

  async function processEvent(event: StripeEventLike): Promise<string> {
    const o = event.data.object;
    const objectId = typeof o["id"] === "string" ? o["id"] : null;
    const metadata = (o["metadata"] ?? {}) as Record<string, string>;
    const byMetadata = metadata["shiftex_payment"] ? await repo.find(metadata["shiftex_payment"]) : null;
    const [family] = event.type.split(".");
    switch (family) {
      case "payment_intent": {
        const p = byMetadata ?? (objectId ? await repo.findByStripeId(objectId) : null);
        if (!p) return "ignored: not a Shiftex payment";
        const now = await advance(p.id);
        return `payment ${p.id} is ${now.status}`;
      }
      case "charge": {
        const pi = typeof o["payment_intent"] === "string" ? (o["payment_intent"] as string) : null;
        const p = pi ? await repo.findByStripeId(pi) : null;
        if (!p) return "ignored: not a Shiftex payment";
        const now = await advance(p.id);
        return `payment ${p.id} is ${now.status}`;
      }
      case "transfer":
      case "refund":
      case "payout": {
        const p = byMetadata ?? (objectId ? await repo.findByStripeId(objectId) : null);
        if (!p) return "ignored: not a Shiftex payment";
        const now = await advance(p.id);
        if (event.type === "payout.failed" || event.type === "refund.failed" || event.type === "transfer.reversed") {
          // Money Stripe gave back after the fact: reconciliation shows it, and an operator corrects it through suspense.
          log.warn({ payment: p.id, type: event.type }, "Stripe reports a payment undone after it was posted");
          await repo.attempted(p.id, clock.now(), `${event.type} at Stripe`);
          return `payment ${p.id}: ${event.type} noted`;
        }
        return `payment ${p.id} is ${now.status}`;
      }
      case "account": {
        if (!objectId) return "ignored";
        const a = await api.retrieveAccount(objectId);
        return (await repo.accountReady(a.id, a.ready, clock.now())) ? `account ${a.id} ready=${a.ready}` : "ignored: not a Shiftex account";
      }
      default:
        return "ignored";
    }
  }

  function operatorOnly(principal: Principal, what: string): void {
    if (principal.role !== "operator") throw new DomainError("forbidden", `only an operator ${what}`);
  }

  async function readable(principal: Principal, id: string): Promise<StripePaymentRow> {
    const p = await repo.find(id);
    if (!p || (!canReadAll(principal) && p.organisationId !== principal.organisationId)) throw notFound("payment", id);
    return p;
  }

  const showSecret = (principal: Principal, p: StripePaymentRow) => principal.role === "operator" || principal.organisationId === p.organisationId;

  return {
    advance,
    gatewayOf,

    async settings(principal: Principal, organisationId: string): Promise<PaymentSettingsView> {
      if (!canReadAll(principal) && principal.organisationId !== organisationId) throw notFound("organisation", organisationId);
      if (!(await deps.organisation(organisationId))) throw notFound("organisation", organisationId);
      const s = await repo.settings(organisationId);
      return { organisationId, gateway: s?.gateway ?? "offline", stripeAccountId: s?.stripeAccountId ?? null, stripeAccountReady: s?.stripeAccountReady ?? false };
    },

    /** An operator picks the gateway an organisation pays through. */
    async setGateway(principal: Principal, organisationId: string, gateway: Gateway): Promise<PaymentSettingsView> {
      operatorOnly(principal, "picks an organisation's payment gateway");
      const org = await deps.organisation(organisationId);
      if (!org) throw notFound("organisation", organisationId);
      if (gateway === "stripe" && org.kind === "agency" && !(await repo.settings(organisationId))?.stripeAccountId) {
        throw new DomainError("unprocessable", "an agency is paid through Stripe into its Connect account: create it first (POST …/stripe-account)", { field: "/body/gateway" });
      }
      await repo.setGateway(organisationId, gateway, clock.now());
      return this.settings(principal, organisationId);
    },

    /**
     * An operator opens a Stripe Connect account for an agency or a lending
     * enterprise (who are paid out); asking again answers the same account.
     */
    async createConnectAccount(principal: Principal, organisationId: string): Promise<PaymentSettingsView> {
      operatorOnly(principal, "opens Connect accounts");
      const org = await deps.organisation(organisationId);
      if (!org) throw notFound("organisation", organisationId);
      if (org.kind !== "agency" && !org.lendsStaff) throw new DomainError("unprocessable", "only agencies and lending enterprises are paid out to a Connect account", { field: "/params/id" });
      const s = await repo.settings(organisationId);
      if (!s?.stripeAccountId) {
        // The key derives from the organisation: a retry after a crash (before we stored the id) gets the same account back.
        try {
          const a = await api.createConnectAccount({ organisationId, name: org.name }, `shiftex:org:${organisationId}:connect`);
          await repo.setAccount(organisationId, a.id, a.ready, clock.now());
        } catch (err) {
          if (err instanceof StripeRefused) throw new DomainError("unprocessable", `Stripe refused the account: ${err.message}`, { field: "/params/id", stripeCode: err.code });
          throw err;
        }
      }
      return this.settings(principal, organisationId);
    },

    /** An enterprise that pays through Stripe funds its wallet: a PaymentIntent whose client secret the browser pays with. */
    async fund(principal: Principal, amountFen: bigint, claim: Claim): Promise<StripePaymentView> {
      if (principal.role !== "enterprise" || !principal.organisationId) throw new DomainError("forbidden", "only an enterprise funds a wallet");
      checkAmount(amountFen, "/body/amountFen");
      if ((await gatewayOf(principal.organisationId)) !== "stripe") {
        throw new DomainError("conflict", "this organisation pays by bank transfer: POST /v1/top-ups", { field: "/body" });
      }
      const wallet = walletAccount(principal.organisationId);
      await ensureAccounts([wallet]);
      const now = clock.now();
      const row: StripePaymentRow = {
        id: deps.newId("spm"), kind: "funding", organisationId: principal.organisationId, accountId: wallet.id, amountFen, currency: CNY, status: "creating",
        stripeId: null, chargeId: null, clientSecret: null, receivedFen: null, feeFen: null, transferGroup: null, destination: null, refundOf: null, failure: null,
        attempts: 0, createdAt: now, updatedAt: now,
      };
      if ((await repo.insertUnderClaim(row, claim, STRIPE_OPERATIONS.fund)) === "claim_lost") throw claimLost();
      const p = await advance(row.id, (x) => x.status === "awaiting_payment");
      return view(p, true);
    },

    /** An operator refunds (part of) a funding payment to the card it came from: held from the wallet, refunded, posted. */
    async refund(principal: Principal, paymentId: string, amountFen: bigint, claim: Claim): Promise<StripePaymentView> {
      operatorOnly(principal, "refunds payments");
      checkAmount(amountFen, "/body/amountFen");
      const funding = await repo.find(paymentId);
      if (!funding || funding.kind !== "funding") throw invalidField("/body/paymentId", `there is no Stripe funding payment ${paymentId}`);
      if (funding.status !== "posted") throw new DomainError("conflict", `a funding payment that is ${funding.status} cannot be refunded`, { field: "/body/paymentId" });
      const left = (funding.receivedFen ?? funding.amountFen) - (await repo.refundedFen(paymentId));
      if (amountFen > left) throw new DomainError("unprocessable", `at most ${left} fen of this payment is left to refund`, { field: "/body/amountFen" });
      const now = clock.now();
      const row: StripePaymentRow = {
        id: deps.newId("spm"), kind: "refund", organisationId: funding.organisationId, accountId: funding.accountId, amountFen, currency: funding.currency, status: "creating",
        stripeId: null, chargeId: null, clientSecret: null, receivedFen: null, feeFen: null, transferGroup: null, destination: null, refundOf: paymentId, failure: null,
        attempts: 0, createdAt: now, updatedAt: now,
      };
      if ((await repo.insertUnderClaim(row, claim, STRIPE_OPERATIONS.refund)) === "claim_lost") throw claimLost();
      const p = await advance(row.id);
      if (p.status === "failed") throw new DomainError("unprocessable", `the refund failed: ${p.failure}`, { field: "/body/amountFen" });
      return view(p, false);
    },

    /**
     * Pays a supplier from its payable account to its Connect account, with
     * the contract as the transfer group (settlement calls this). `key` is
     * the caller's stable name for this payment (e.g. "settlement:<contract>:<supplier>"):
     * calling again with it answers the same payment, never a second one.
     */
    async transferToConnected(input: { key: string; organisationId: string; amountFen: bigint; contractId: string }): Promise<StripePaymentView> {
      if (!KEY_PART.test(input.key)) throw new RangeError(`transfer key ${input.key} must be 1 to 120 letters, digits or :_.-`);
      checkAmount(input.amountFen, "amountFen");
      const destination = await connectedAccount(input.organisationId, "organisationId");
      const id = `spt_${createHash("sha256").update(`transfer\u0000${input.key}`).digest("hex").slice(0, 26)}`;
      const account = supplierPayableAccount(input.organisationId);
      const now = clock.now();
      const inserted = await repo.insertOnce({
        id, kind: "transfer", organisationId: input.organisationId, accountId: account.id, amountFen: input.amountFen, currency: CNY, status: "creating",
        stripeId: null, chargeId: null, clientSecret: null, receivedFen: null, feeFen: null, transferGroup: input.contractId, destination, refundOf: null, failure: null,
        attempts: 0, createdAt: now, updatedAt: now,
      });
      if (inserted === "exists") {
        const before = (await repo.find(id))!;
        if (before.amountFen !== input.amountFen || before.organisationId !== input.organisationId || before.transferGroup !== input.contractId) {
          throw new DomainError("conflict", `transfer ${input.key} was asked before with another amount, supplier or contract`, { field: "key" });
        }
      }
      return view(await advance(id), false);
    },

    /**
     * Settlement's payout of a supplier's payable (the contract runtime calls it from its outbox with the
     * effect's id as `key`): a transfer to the Connect account, transfer group = the contract, when the
     * supplier is paid through Stripe; nothing for an organisation on the offline gateway (it withdraws by bank batch).
     */
    async paySettlement(input: { key: string; organisationId: string; amountFen: bigint; contractId: string }): Promise<StripePaymentView | null> {
      if ((await gatewayOf(input.organisationId)) !== "stripe") return null;
      return this.transferToConnected(input);
    },

    /** Pays a Connect account's Stripe balance out to its bank (no movement of Shiftex's ledger); `key` as for transfers. */
    async payoutConnected(input: { key: string; organisationId: string; amountFen: bigint }): Promise<StripePaymentView> {
      if (!KEY_PART.test(input.key)) throw new RangeError(`payout key ${input.key} must be 1 to 120 letters, digits or :_.-`);
      checkAmount(input.amountFen, "amountFen");
      const destination = await connectedAccount(input.organisationId, "organisationId");
      const id = `spo_${createHash("sha256").update(`payout\u0000${input.key}`).digest("hex").slice(0, 26)}`;
      const now = clock.now();
      await repo.insertOnce({
        id, kind: "payout", organisationId: input.organisationId, accountId: supplierPayableAccount(input.organisationId).id, amountFen: input.amountFen, currency: CNY,
        status: "creating", stripeId: null, chargeId: null, clientSecret: null, receivedFen: null, feeFen: null, transferGroup: null, destination, refundOf: null,
        failure: null, attempts: 0, createdAt: now, updatedAt: now,
      });
      return view(await advance(id), false);
    },

    async getPayment(principal: Principal, id: string): Promise<StripePaymentView> {
      const p = await readable(principal, id);
      return view(p, showSecret(principal, p));
    },

    async listPayments(principal: Principal, query: { limit?: number; cursor?: string }): Promise<Page<StripePaymentView>> {
      const limit = query.limit ?? 100;
      const after = query.cursor ? decodeCursor(query.cursor, ["t", "id"]) : undefined;
      const org = canReadAll(principal) ? null : principal.organisationId ?? "-";
      const rows = await repo.listForOrganisation(org, after ? { createdAt: new Date(after.t), id: after.id } : undefined, limit + 1);
      return pageOf(rows, limit, (p) => view(p, false), (p) => ({ t: p.createdAt.toISOString(), id: p.id }));
    },

    /**
     * A webhook: verified (a forged one is refused and stored nowhere),
     * stored in the inbox unique on its id (a replay is answered without
     * being processed again), then processed.
     */
    async receiveWebhook(rawBody: Buffer, signature: string | undefined): Promise<{ received: true; duplicate: boolean; outcome: string }> {
      let event: StripeEventLike;
      try {
        event = api.verifyWebhook(rawBody, signature);
      } catch (err) {
        if (err instanceof StripeRefused) throw new DomainError("bad_request", err.message, { field: "/headers/stripe-signature" });
        throw err;
      }
      const objectId = typeof event.data?.object?.["id"] === "string" ? (event.data.object["id"] as string) : null;
      const fresh = await repo.storeEvent({ id: event.id, type: event.type, objectId, payload: event, at: clock.now() });
      if (!fresh && (await repo.eventProcessed(event.id))) return { received: true, duplicate: true, outcome: "already processed" };
      try {
        const outcome = await processEvent(event);
        await repo.markEvent(event.id, outcome, clock.now());
        return { received: true, duplicate: !fresh, outcome };
      } catch (err) {
        // Stored but not processed: the sweeper processes it again; Stripe also retries what is not answered 2xx.
        await repo.eventFailed(event.id, (err as Error).message);
        throw err;
      }
    },

    /** Drives every unfinished payment on (and processes stored events that failed); a payment that cannot move waits for the next sweep. */
    async sweep(limit = 200): Promise<SweepReport> {
      const report: SweepReport = { finished: 0, stuck: 0, events: 0 };
      for (const e of await repo.unprocessedEvents(limit)) {
        try {
          await repo.markEvent(e.id, await processEvent(e.payload as StripeEventLike), clock.now());
          report.events++;
        } catch (err) {
          await repo.eventFailed(e.id, (err as Error).message);
        }
      }
      for (const p of await repo.unfinished(limit)) {
        try {
          const now = await advance(p.id);
          if (FINAL.includes(now.status)) report.finished++;
        } catch (err) {
          report.stuck++;
          await repo.attempted(p.id, clock.now(), (err as Error).message).catch(() => undefined);
          log.warn({ err, payment: p.id, status: p.status }, "Stripe sweep: a payment could not move; kept for the next sweep");
        }
      }
      if (report.finished + report.stuck + report.events > 0) log.info({ ...report }, "Stripe sweep");
      return report;
    },

    /** Recovery of the operations the Stripe gateway records on claims. */
    operations: {
      [STRIPE_OPERATIONS.fund]: (async (target) => {
        const p = await repo.find(target);
        if (!p) return null;
        const now = await advance(target, (x) => x.status === "awaiting_payment");
        return { statusCode: 201, body: view(now, true) };
      }) as Recover,
      [STRIPE_OPERATIONS.refund]: (async (target) => {
        const p = await repo.find(target);
        if (!p) return null;
        return { statusCode: 201, body: view(await advance(target), false) };
      }) as Recover,
    } as Record<string, Recover>,
  };
}
export type StripeGatewayService = ReturnType<typeof createStripeGatewayService>;
