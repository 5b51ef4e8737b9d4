/**
 * An HTTP-level fake of the part of Stripe's API Shiftex uses, as a small
 * Fastify server: the official SDK talks to it exactly as to Stripe
 * (form-encoded bodies with bracketed keys, Bearer secret key, Idempotency-Key,
 * Stripe-Account). It keeps state (PaymentIntents, charges and their balance
 * transactions, Connect accounts and their balances, transfers, refunds,
 * payouts), refuses requests that lack what Stripe requires (with Stripe's
 * error shape and codes), replays an idempotent request's first answer (and
 * refuses the key reused with other parameters), and can fail the next
 * matching request: "unavailable" (a 503 before doing anything) or "drop"
 * (does it, then cuts the connection: the answer is lost).
 *
 * Test-only controls: pay() (the customer pays a PaymentIntent; returns the
 * payment_intent.succeeded event), event(), sign() (the SDK's
 * generateTestHeaderString), and the request log.
 */
import { createHash, randomBytes } from "node:crypto";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import Stripe from "stripe";

type Obj = Record<string, unknown>;

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey: string | undefined;
  readonly account: string | undefined;
  readonly params: Obj;
}

export interface StripeFake {
  readonly url: string;
  readonly secretKey: string;
  readonly webhookSecret: string;
  readonly paymentIntents: Map<string, Obj>;
  readonly transfers: Map<string, Obj>;
  readonly refunds: Map<string, Obj>;
  readonly payouts: Map<string, Obj>;
  readonly accounts: Map<string, Obj>;
  readonly balanceTransactions: Obj[];
  readonly requests: FakeRequest[];
  /**
   * Fails the next request whose "METHOD /path" matches. The SDK repeats a
   * request whose connection closed once by itself (same key), so losing an
   * answer for good takes two "drop"s. "insufficient": Stripe refuses (400 balance_insufficient), creating nothing.
   */
  failNext(match: RegExp, mode: "unavailable" | "drop" | "insufficient"): void;
  /** The customer pays: the PaymentIntent succeeds with a charge and its balance transaction; returns payment_intent.succeeded. */
  pay(paymentIntentId: string, options?: { feeFen?: number; amountFen?: number }): Obj;
  /** Money in the platform's balance without a PaymentIntent (a top-up of the Stripe balance). */
  fund(amountFen: number): void;
  /** An event as Stripe sends it. */
  event(type: string, object: Obj): Obj;
  /** A Stripe-Signature header for a payload, signed with the webhook secret (or another). */
  sign(payload: string, secret?: string, timestamp?: number): string;
  /** Seconds since the epoch the fake stamps on what it creates. */
  now: number;
  close(): Promise<void>;
}

function stripeError(reply: FastifyReply, status: number, type: string, code: string | undefined, message: string, param?: string) {
  return reply.status(status).send({ error: { type, ...(code ? { code } : {}), message, ...(param ? { param } : {}) } });
}

/** Stripe's form encoding: a[b][c]=1, a[0]=x. */
export function parseForm(text: string): Obj {
  const out: Obj = {};
  if (!text) return out;
  for (const pair of text.split("&")) {
    if (!pair) continue;
    const [rawK, rawV = ""] = pair.split("=");
    const key = decodeURIComponent(rawK!.replace(/\+/g, " "));
    const value = decodeURIComponent(rawV.replace(/\+/g, " "));
    const parts = key.split(/\[|\]\[|\]/).filter((p, i) => p !== "" || i === 0);
    let node: Obj = out;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        node[part] = value;
        return;
      }
      const nextIsIndex = /^\d+$/.test(parts[i + 1]!);
      node[part] ??= nextIsIndex ? [] : {};
      node = node[part] as Obj;
    });
  }
  return out;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

export async function startStripeFake(
  options: { requireIdempotencyKeys?: boolean; beforeEach?: (r: FakeRequest) => Promise<void>; /** Most items per list page (Stripe's is 100), so pagination shows with few. */ pageSize?: number } = {},
): Promise<StripeFake> {
  const secretKey = "sk_test_shiftexfake";
  const webhookSecret = `whsec_${randomBytes(16).toString("hex")}`;
  const paymentIntents = new Map<string, Obj>();
  const charges = new Map<string, Obj>();
  const transfers = new Map<string, Obj>();
  const refunds = new Map<string, Obj>();
  const payouts = new Map<string, Obj>();
  const accounts = new Map<string, Obj>();
  const balanceTransactions: Obj[] = [];
  const accountBalance = new Map<string, number>();
  const requests: FakeRequest[] = [];
  const stored = new Map<string, { hash: string; status: number; body: unknown }>();
  const faults: Array<{ match: RegExp; mode: "unavailable" | "drop" | "insufficient" }> = [];
  const sdk = new Stripe(secretKey);
  const fake = { now: Math.floor(Date.now() / 1000) } as StripeFake;

  const platformBalance = () => balanceTransactions.reduce((s, bt) => s + Number(bt["net"]), 0);
  const addBt = (type: string, amount: number, fee: number, source: string, description: string | null) => {
    const bt = { id: id("txn"), object: "balance_transaction", amount, fee, net: amount - fee, currency: "cny", created: fake.now, type, source, description, status: "available" };
    balanceTransactions.push(bt);
    return bt;
  };
  const int = (v: unknown): number | undefined => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined);

  const app = Fastify({ logger: false });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => done(null, parseForm(body as string)));

  app.addHook("onRequest", async (req, reply) => {
    if (req.headers.authorization !== `Bearer ${secretKey}`) {
      return stripeError(reply, 401, "invalid_request_error", undefined, "Invalid API Key provided");
    }
  });

  type Handler = (req: FastifyRequest, params: Obj, account: string | undefined) => { status: number; body: unknown } | { error: [number, string, string, string?] };
  const routes: Array<{ method: string; path: RegExp; handler: Handler }> = [];
  const route = (method: string, path: RegExp, handler: Handler) => routes.push({ method, path, handler });

  app.all("/*", async (req, reply) => {
    const url = new URL(req.url, "http://fake");
    const path = url.pathname;
    const params: Obj = req.method === "GET" ? parseForm(url.search.slice(1)) : ((req.body as Obj | undefined) ?? {});
    const key = req.headers["idempotency-key"] as string | undefined;
    const account = req.headers["stripe-account"] as string | undefined;
    requests.push({ method: req.method, path, idempotencyKey: key, account, params });
    await options.beforeEach?.(requests[requests.length - 1]!);
    const fault = faults.findIndex((f) => f.match.test(`${req.method} ${path}`));
    const drop = fault >= 0 && faults[fault]!.mode === "drop";
    if (fault >= 0) {
      const f = faults.splice(fault, 1)[0]!;
      if (f.mode === "unavailable") return stripeError(reply, 503, "api_error", undefined, "Stripe is unavailable (injected)");
      if (f.mode === "insufficient") return stripeError(reply, 400, "invalid_request_error", "balance_insufficient", "You have insufficient funds in your Stripe account (injected).");
    }
    const answer = (status: number, body: unknown) => {
      if (drop) {
        // Done, but the answer never arrives.
        req.raw.socket.destroy();
        return reply.hijack();
      }
      return reply.status(status).header("request-id", id("req")).send(body);
    };
    if (req.method === "POST" && options.requireIdempotencyKeys && key === undefined) {
      return stripeError(reply, 400, "invalid_request_error", "idempotency_key_missing", "Shiftex's fake requires an Idempotency-Key on every POST");
    }
    if (req.method === "POST" && key !== undefined) {
      const hash = createHash("sha256").update(`${path}\u0000${account ?? ""}\u0000${JSON.stringify(params)}`).digest("hex");
      const prior = stored.get(key);
      if (prior) {
        if (prior.hash !== hash) {
          return stripeError(reply, 400, "idempotency_error", "idempotency_key_in_use", "Keys for idempotent requests can only be used with the same parameters they were first used with.");
        }
        void reply.header("idempotent-replayed", "true");
        return answer(prior.status, prior.body);
      }
    }
    for (const r of routes) {
      if (r.method !== req.method) continue;
      const m = r.path.exec(path);
      if (!m) continue;
      const out = r.handler(Object.assign(req, { match: m }) as FastifyRequest, params, account);
      if ("error" in out) {
        const [status, code, message, param] = out.error;
        // Stripe stores an idempotent request's answer once it started executing; a 400 validation error is not stored.
        return stripeError(reply, status, status === 402 ? "card_error" : "invalid_request_error", code, message, param);
      }
      if (req.method === "POST" && key !== undefined) {
        stored.set(key, { hash: createHash("sha256").update(`${path}\u0000${account ?? ""}\u0000${JSON.stringify(params)}`).digest("hex"), status: out.status, body: out.body });
      }
      return answer(out.status, out.body);
    }
    return stripeError(reply, 404, "invalid_request_error", "resource_missing", `Unrecognized request URL (${req.method}: ${path}).`);
  });

  const match = (req: FastifyRequest) => (req as FastifyRequest & { match: RegExpExecArray }).match;
  const missing = (param: string): { error: [number, string, string, string] } => ({ error: [400, "parameter_missing", `Missing required param: ${param}.`, param] });
  const noSuch = (what: string, value: string, param?: string): { error: [number, string, string, string?] } => ({ error: [404, "resource_missing", `No such ${what}: '${value}'`, param] });
  const metadataOf = (p: Obj) => (p["metadata"] as Obj | undefined) ?? {};

  route("POST", /^\/v1\/payment_intents$/, (_req, p) => {
    const amount = int(p["amount"]);
    if (p["amount"] === undefined) return missing("amount");
    if (amount === undefined || amount < 1) return { error: [400, "parameter_invalid_integer", "Invalid positive integer", "amount"] };
    if (typeof p["currency"] !== "string") return missing("currency");
    const pi = {
      id: id("pi"), object: "payment_intent", amount, amount_received: 0, currency: p["currency"], status: "requires_payment_method",
      client_secret: `${id("pi")}_secret_${randomBytes(8).toString("hex")}`, metadata: metadataOf(p), latest_charge: null, description: p["description"] ?? null, created: fake.now, livemode: false,
    };
    pi.client_secret = `${pi.id}_secret_${randomBytes(8).toString("hex")}`;
    paymentIntents.set(pi.id, pi);
    return { status: 200, body: pi };
  });
  route("GET", /^\/v1\/payment_intents\/([^/]+)$/, (req) => {
    const pi = paymentIntents.get(match(req)[1]!);
    return pi ? { status: 200, body: pi } : noSuch("payment_intent", match(req)[1]!, "intent");
  });
  route("POST", /^\/v1\/payment_intents\/([^/]+)\/cancel$/, (req) => {
    const pi = paymentIntents.get(match(req)[1]!);
    if (!pi) return noSuch("payment_intent", match(req)[1]!, "intent");
    if (pi["status"] === "succeeded" || pi["status"] === "canceled") {
      return { error: [400, "payment_intent_unexpected_state", `You cannot cancel this PaymentIntent because it has a status of ${pi["status"]}.`] };
    }
    pi["status"] = "canceled";
    return { status: 200, body: pi };
  });
  route("GET", /^\/v1\/charges\/([^/]+)$/, (req, p) => {
    const ch = charges.get(match(req)[1]!);
    if (!ch) return noSuch("charge", match(req)[1]!, "id");
    const expand = (p["expand"] as string[] | undefined) ?? [];
    const bt = balanceTransactions.find((b) => b["id"] === ch["balance_transaction"]);
    return { status: 200, body: expand.includes("balance_transaction") ? { ...ch, balance_transaction: bt } : ch };
  });
  route("POST", /^\/v1\/accounts$/, (_req, p) => {
    if (p["type"] === undefined && p["controller"] === undefined) return missing("type");
    if (p["type"] !== undefined && !["express", "custom", "standard"].includes(p["type"] as string)) return { error: [400, "parameter_invalid_string", "Invalid account type", "type"] };
    const a = { id: id("acct"), object: "account", type: p["type"], charges_enabled: false, payouts_enabled: false, metadata: metadataOf(p), business_profile: p["business_profile"] ?? {}, created: fake.now };
    accounts.set(a.id, a);
    accountBalance.set(a.id, 0);
    return { status: 200, body: a };
  });
  route("GET", /^\/v1\/accounts\/([^/]+)$/, (req) => {
    const a = accounts.get(match(req)[1]!);
    return a ? { status: 200, body: a } : noSuch("account", match(req)[1]!, "account");
  });
  route("POST", /^\/v1\/transfers$/, (_req, p) => {
    for (const f of ["amount", "currency", "destination"]) if (p[f] === undefined) return missing(f);
    const amount = int(p["amount"]);
    if (amount === undefined || amount < 1) return { error: [400, "parameter_invalid_integer", "Invalid positive integer", "amount"] };
    const dest = p["destination"] as string;
    if (!accounts.has(dest)) return { error: [400, "resource_missing", `No such destination: '${dest}'`, "destination"] };
    if (platformBalance() < amount) return { error: [400, "balance_insufficient", "You have insufficient funds in your Stripe account."] };
    const t = { id: id("tr"), object: "transfer", amount, currency: p["currency"], destination: dest, transfer_group: p["transfer_group"] ?? null, metadata: metadataOf(p), created: fake.now, reversed: false };
    transfers.set(t.id, t);
    accountBalance.set(dest, (accountBalance.get(dest) ?? 0) + amount);
    addBt("transfer", -amount, 0, t.id, null);
    return { status: 200, body: t };
  });
  route("POST", /^\/v1\/refunds$/, (_req, p) => {
    const piId = p["payment_intent"] as string | undefined;
    if (piId === undefined && p["charge"] === undefined) return missing("charge");
    const pi = piId ? paymentIntents.get(piId) : undefined;
    if (!pi) return { error: [400, "resource_missing", `No such payment_intent: '${piId}'`, "payment_intent"] };
    if (pi["status"] !== "succeeded") return { error: [400, "charge_not_refundable", "This PaymentIntent does not have a successful charge to refund."] };
    const already = [...refunds.values()].filter((r) => r["payment_intent"] === piId).reduce((s, r) => s + Number(r["amount"]), 0);
    const amount = p["amount"] === undefined ? Number(pi["amount_received"]) - already : int(p["amount"]);
    if (amount === undefined || amount < 1) return { error: [400, "parameter_invalid_integer", "Invalid positive integer", "amount"] };
    if (amount + already > Number(pi["amount_received"])) return { error: [400, "amount_too_large", "Refund amount is greater than unrefunded amount on charge", "amount"] };
    const r = { id: id("re"), object: "refund", amount, currency: pi["currency"], payment_intent: piId, charge: pi["latest_charge"], status: "succeeded", metadata: metadataOf(p), created: fake.now };
    refunds.set(r.id, r);
    addBt("refund", -amount, 0, r.id, null);
    return { status: 200, body: r };
  });
  route("POST", /^\/v1\/payouts$/, (_req, p, account) => {
    for (const f of ["amount", "currency"]) if (p[f] === undefined) return missing(f);
    const amount = int(p["amount"]);
    if (amount === undefined || amount < 1) return { error: [400, "parameter_invalid_integer", "Invalid positive integer", "amount"] };
    if (account !== undefined && !accounts.has(account)) return { error: [403, "account_invalid", "The provided key does not have access to account"] };
    const available = account !== undefined ? accountBalance.get(account)! : platformBalance();
    if (available < amount) return { error: [400, "balance_insufficient", "You have insufficient funds in your Stripe account for this transfer."] };
    const po = { id: id("po"), object: "payout", amount, currency: p["currency"], status: "pending", metadata: metadataOf(p), created: fake.now, account: account ?? null };
    payouts.set(po.id, po);
    if (account !== undefined) accountBalance.set(account, available - amount);
    else addBt("payout", -amount, 0, po.id, null);
    return { status: 200, body: po };
  });
  route("GET", /^\/v1\/balance_transactions$/, (_req, p) => {
    const created = (p["created"] as Obj | undefined) ?? {};
    const gte = int(created["gte"]) ?? 0;
    const lt = int(created["lt"]) ?? Number.MAX_SAFE_INTEGER;
    const limit = Math.min(int(p["limit"]) ?? 10, options.pageSize ?? 100);
    const expand = (p["expand"] as string[] | undefined) ?? [];
    // Newest first, as Stripe lists them.
    let list = balanceTransactions.filter((b) => Number(b["created"]) >= gte && Number(b["created"]) < lt).slice().reverse();
    if (typeof p["starting_after"] === "string") {
      const at = list.findIndex((b) => b["id"] === p["starting_after"]);
      if (at < 0) return { error: [400, "resource_missing", `No such balance_transaction: '${p["starting_after"]}'`, "starting_after"] };
      list = list.slice(at + 1);
    }
    const page = list.slice(0, limit).map((b) => {
      if (!expand.includes("data.source")) return b;
      const src = b["source"] as string;
      const obj = charges.get(src) ?? transfers.get(src) ?? refunds.get(src) ?? payouts.get(src) ?? src;
      return { ...b, source: obj };
    });
    return { status: 200, body: { object: "list", url: "/v1/balance_transactions", has_more: list.length > limit, data: page } };
  });

  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    secretKey,
    webhookSecret,
    paymentIntents,
    transfers,
    refunds,
    payouts,
    accounts,
    balanceTransactions,
    requests,
    failNext(m: RegExp, mode: "unavailable" | "drop" | "insufficient") {
      faults.push({ match: m, mode });
    },
    pay(piId: string, o: { feeFen?: number; amountFen?: number } = {}) {
      const pi = paymentIntents.get(piId);
      if (!pi) throw new Error(`no PaymentIntent ${piId}`);
      const amount = o.amountFen ?? Number(pi["amount"]);
      const ch = { id: id("ch"), object: "charge", amount, currency: pi["currency"], payment_intent: piId, status: "succeeded", balance_transaction: "", created: fake.now, metadata: pi["metadata"] };
      const bt = addBt("charge", amount, o.feeFen ?? 0, ch.id, null);
      ch.balance_transaction = bt["id"] as string;
      charges.set(ch.id, ch);
      Object.assign(pi, { status: "succeeded", amount_received: amount, latest_charge: ch.id });
      return fake.event("payment_intent.succeeded", pi);
    },
    fund(amountFen: number) {
      addBt("adjustment", amountFen, 0, id("adj"), "test balance");
    },
    event(type: string, object: Obj) {
      return { id: id("evt"), object: "event", api_version: "2026-10-28.endive", created: fake.now, data: { object: structuredClone(object) }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type };
    },
    sign(payload: string, secret?: string, timestamp?: number) {
      return sdk.webhooks.generateTestHeaderString({ payload, secret: secret ?? webhookSecret, ...(timestamp !== undefined ? { timestamp } : {}) });
    },
    close: () => app.close(),
  });
  return fake;
}
