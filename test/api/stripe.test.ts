// The Stripe gateway against an HTTP-level fake of Stripe's API (test/helpers/stripe-fake.ts: a Fastify server the official
// SDK talks to), through the real app: funding by PaymentIntent, Connect accounts, transfers with the contract as transfer
// group, payouts, refunds; signed webhooks replayed, reordered and forged; a crash at each recovery point ending in exactly
// one wallet credit or one transfer; no database transaction open while Stripe is called; reconciliation of Stripe's records.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CNY, platformAccountId, platformAccounts, supplierPayableAccount } from "../../src/ledger";
import { shanghaiDate } from "../../src/parties";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { faultySql, type FaultySql } from "../helpers/faulty-sql";
import { backends } from "../helpers/services";
import { startStripeFake, type StripeFake } from "../helpers/stripe-fake";

describe.each(backends)("Stripe gateway on $name", (backend) => {
  let fake: StripeFake;
  let app: TestApp;
  let faults: FaultySql;
  let operator: string;
  let enterprise: string;
  let enterpriseId: string;
  let agencyId: string;
  const openTransactions: number[] = [];

  const q = async <R = Record<string, unknown>>(text: string, params: unknown[] = []) => (await app.database.db.sql.query<R>(text, params)).rows;
  const transfersLike = async (pattern: string) => q<{ id: string; kind: string; amount: bigint }>(`SELECT id, kind, amount FROM ledger_transfers WHERE id LIKE $1 ORDER BY id`, [pattern]);
  const stripe = () => app.built.services.stripe!;
  const sweep = () => stripe().sweep();
  const payment = async (id: string) => (await call(app, "GET", `/v1/stripe/payments/${id}`, { key: operator })).body;

  async function webhook(event: object, options: { secret?: string; body?: string; signature?: string | null } = {}) {
    const payload = JSON.stringify(event);
    const headers: Record<string, string> = { "content-type": "application/json" };
    const signature = options.signature === undefined ? fake.sign(payload, options.secret) : options.signature;
    if (signature !== null) headers["stripe-signature"] = signature;
    const res = await fetch(`${app.baseUrl}/v1/stripe/webhooks`, { method: "POST", headers, body: options.body ?? payload });
    return { status: res.status, body: (await res.json()) as any };
  }

  async function fund(fen: number, key?: string) {
    const r = await call(app, "POST", "/v1/stripe/top-ups", { key: enterprise, body: { amountFen: fen }, ...(key ? { headers: { "idempotency-key": key } } : {}) });
    return r;
  }

  beforeAll(async () => {
    fake = await startStripeFake({
      requireIdempotencyKeys: true,
      pageSize: 4,
      // No database transaction of ours may be open while Stripe is called (PostgreSQL shows it; PGlite is one connection).
      beforeEach: async () => {
        if (backend.name !== "postgres" || !app) return;
        const r = await app.database.db.sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()`,
        );
        openTransactions.push(r.rows[0]!.n);
      },
    });
    app = await startTestApp(backend, {
      env: { STRIPE_SECRET_KEY: fake.secretKey, STRIPE_API_BASE: fake.url, STRIPE_WEBHOOK_SECRET: fake.webhookSecret, STRIPE_MAX_NETWORK_RETRIES: "0", STRIPE_SWEEP_SECONDS: "0" },
      // No contract timer or sweep loops: no contract exists here, and the timer loop's claim transaction (open for a
      // moment every poll) would be counted by the check that no transaction is open while Stripe is called.
      contractLoops: false,
      wrapDatabase: (db) => {
        faults = faultySql(db);
        return faults.db;
      },
    });
    operator = app.key("demo operator");
    enterprise = app.key("demo enterprise 0001");
    enterpriseId = app.demo.keys.find((k) => k.label === "demo enterprise 0001")!.organisationId!;
    agencyId = app.demo.keys.find((k) => k.label === "demo agency 0004")!.organisationId!;
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  describe("the gateway per organisation", () => {
    it("is offline unless an operator picks Stripe; each funding route refuses the other gateway's organisations", async () => {
      expect((await call(app, "GET", `/v1/organisations/${enterpriseId}/payment-settings`, { key: enterprise })).body).toMatchObject({ gateway: "offline", stripeAccountId: null });
      const refused = await fund(10_000);
      expect(refused.status).toBe(409);
      expect((await call(app, "PUT", `/v1/organisations/${enterpriseId}/payment-settings`, { key: enterprise, body: { gateway: "stripe" } })).status).toBe(403);
      const set = await call(app, "PUT", `/v1/organisations/${enterpriseId}/payment-settings`, { key: operator, body: { gateway: "stripe" } });
      expect(set.body).toMatchObject({ gateway: "stripe" });
      const offline = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 10_000 } });
      expect(offline.status).toBe(409);
      expect(offline.body.detail).toContain("/v1/stripe/top-ups");
      const other = app.key("demo enterprise 0002");
      expect((await call(app, "GET", `/v1/organisations/${enterpriseId}/payment-settings`, { key: other })).status).toBe(404);
    });

    it("opens one Connect account per agency, however often asked; an enterprise that lends no staff has none", async () => {
      const first = await call(app, "POST", `/v1/organisations/${agencyId}/stripe-account`, { key: operator });
      expect(first.status).toBe(201);
      expect(first.body.stripeAccountId).toMatch(/^acct_/);
      const again = await call(app, "POST", `/v1/organisations/${agencyId}/stripe-account`, { key: operator });
      expect(again.body.stripeAccountId).toBe(first.body.stripeAccountId);
      expect([...fake.accounts.values()].filter((a) => (a["metadata"] as any).shiftex_organisation === agencyId).length).toBe(1);
      expect((await call(app, "POST", `/v1/organisations/${enterpriseId}/stripe-account`, { key: operator })).status).toBe(422);
      // account.updated: Stripe says it can be paid out now
      fake.accounts.get(first.body.stripeAccountId)!["payouts_enabled"] = true;
      expect((await webhook(fake.event("account.updated", fake.accounts.get(first.body.stripeAccountId)!))).status).toBe(200);
      expect((await call(app, "GET", `/v1/organisations/${agencyId}/payment-settings`, { key: operator })).body.stripeAccountReady).toBe(true);
    });
  });

  describe("funding a wallet with a PaymentIntent", () => {
    it("creates the PaymentIntent with a key derived from the payment; the signed webhook credits the wallet once, the fee to the platform", async () => {
      const r = await fund(50_000);
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ kind: "funding", status: "awaiting_payment", amountFen: 50_000, accountId: `wallet:${enterpriseId}:CNY` });
      expect(r.body.clientSecret).toMatch(/_secret_/);
      const pi = fake.paymentIntents.get(r.body.stripeId)!;
      expect(pi).toMatchObject({ amount: 50_000, currency: "cny", metadata: { shiftex_payment: r.body.id } });
      expect(fake.requests.find((x) => x.path === "/v1/payment_intents" && x.method === "POST")!.idempotencyKey).toBe(`shiftex:${r.body.id}:create`);
      const event = fake.pay(r.body.stripeId, { feeFen: 160 });
      const delivered = await webhook(event);
      expect(delivered).toMatchObject({ status: 200, body: { received: true, duplicate: false, outcome: `payment ${r.body.id} is posted` } });
      expect(await payment(r.body.id)).toMatchObject({ status: "posted", receivedFen: 50_000, feeFen: 160, clientSecret: null });
      expect(await transfersLike(`stripe:${r.body.id}:%`)).toEqual([
        { id: `stripe:${r.body.id}:credit`, kind: "single", amount: 50_000n },
        { id: `stripe:${r.body.id}:fee`, kind: "single", amount: 160n },
      ]);
      // replayed: recognised by its event id, processed once
      const replay = await webhook(event);
      expect(replay.body).toMatchObject({ duplicate: true });
      expect((await transfersLike(`stripe:${r.body.id}:%`)).length).toBe(2);
      expect((await q(`SELECT count(*)::int AS n FROM stripe_events WHERE id = $1`, [event["id"]]))[0]!["n"]).toBe(1);
    });

    it("refuses forged events: a wrong secret, a body other than the one signed, no signature; none is stored", async () => {
      const r = await fund(1_000);
      const event = fake.pay(r.body.stripeId);
      const before = (await q(`SELECT count(*)::int AS n FROM stripe_events`))[0]!["n"];
      expect((await webhook(event, { secret: "whsec_forged" })).status).toBe(400);
      const signedOther = fake.sign(JSON.stringify({ ...event, id: "evt_other" }));
      expect((await webhook(event, { signature: signedOther })).status).toBe(400);
      const missing = await webhook(event, { signature: null });
      expect(missing.status).toBe(400);
      expect(missing.body.field).toBe("/headers/stripe-signature");
      expect((await webhook(event, { signature: fake.sign(JSON.stringify(event), undefined, Math.floor(Date.now() / 1000) - 3600) })).status).toBe(400); // too old
      expect((await q(`SELECT count(*)::int AS n FROM stripe_events`))[0]!["n"]).toBe(before);
      expect((await payment(r.body.id)).status).toBe("awaiting_payment");
      expect((await transfersLike(`stripe:${r.body.id}:%`)).length).toBe(0);
    });

    it("takes events in any order: a stale 'processing' after 'succeeded' changes nothing", async () => {
      const r = await fund(2_000);
      const processing = fake.event("payment_intent.processing", { ...fake.paymentIntents.get(r.body.stripeId)!, status: "processing" });
      const succeeded = fake.pay(r.body.stripeId);
      expect((await webhook(succeeded)).status).toBe(200);
      expect((await webhook(processing)).status).toBe(200);
      expect(await payment(r.body.id)).toMatchObject({ status: "posted" });
      expect((await transfersLike(`stripe:${r.body.id}:credit`)).length).toBe(1);
    });

    it("an unpaid PaymentIntent past its time is cancelled and abandoned; one paid meanwhile is credited instead", async () => {
      const unpaid = await fund(3_000);
      const paid = await fund(4_000);
      await q(`UPDATE stripe_payments SET created_at = created_at - interval '3 days' WHERE id = ANY($1::text[])`, [[unpaid.body.id, paid.body.id]]);
      fake.pay(paid.body.stripeId); // its webhook is lost
      await sweep();
      expect(await payment(unpaid.body.id)).toMatchObject({ status: "abandoned" });
      expect(fake.paymentIntents.get(unpaid.body.stripeId)!["status"]).toBe("canceled");
      expect(await payment(paid.body.id)).toMatchObject({ status: "posted" });
      expect((await transfersLike(`stripe:${unpaid.body.id}:%`)).length).toBe(0);
      expect((await transfersLike(`stripe:${paid.body.id}:credit`)).length).toBe(1);
    });
  });

  describe("a crash at each recovery point of a funding ends in exactly one wallet credit", () => {
    const credited = async (id: string) => (await transfersLike(`stripe:${id}:credit`)).length;
    const intents = (id: string) => [...fake.paymentIntents.values()].filter((p) => (p["metadata"] as any).shiftex_payment === id);

    it("Stripe unavailable before the PaymentIntent: the sweeper creates it; paid, the sweeper credits it with no webhook", async () => {
      fake.failNext(/^POST \/v1\/payment_intents$/, "unavailable");
      const r = await fund(5_100);
      expect(r.status).toBe(500);
      const [row] = await q<{ id: string; status: string }>(`SELECT id, status FROM stripe_payments WHERE amount_fen = 5100`);
      expect(row!.status).toBe("creating");
      await sweep();
      expect((await payment(row!.id)).status).toBe("awaiting_payment");
      fake.pay(intents(row!.id)[0]!["id"] as string);
      await sweep();
      expect((await payment(row!.id)).status).toBe("posted");
      expect(intents(row!.id).length).toBe(1);
      expect(await credited(row!.id)).toBe(1);
    });

    it("the answer lost after Stripe created it: the retry with the same key gets the same PaymentIntent back", async () => {
      // the answer and the SDK's own repeat of the request (same key) both lost
      fake.failNext(/^POST \/v1\/payment_intents$/, "drop");
      fake.failNext(/^POST \/v1\/payment_intents$/, "drop");
      const first = await fund(5_200, "fund-drop");
      expect(first.status).toBe(500);
      const retry = await fund(5_200, "fund-drop");
      expect(retry.status).toBe(201);
      expect(retry.body.status).toBe("awaiting_payment");
      expect(intents(retry.body.id).length).toBe(1);
      await webhook(fake.pay(retry.body.stripeId));
      expect(await credited(retry.body.id)).toBe(1);
    });

    it("our write after Stripe's answer failed: a webhook arriving first finds the payment by its metadata and finishes it", async () => {
      faults.arm({ kind: "fail", match: /step to awaiting_payment/ });
      const r = await fund(5_300);
      expect(r.status).toBe(500);
      const [row] = await q<{ id: string; status: string }>(`SELECT id, status FROM stripe_payments WHERE amount_fen = 5300`);
      expect(row!.status).toBe("creating");
      const pi = intents(row!.id);
      expect(pi.length).toBe(1);
      expect((await webhook(fake.pay(pi[0]!["id"] as string))).body.outcome).toBe(`payment ${row!.id} is posted`);
      expect(intents(row!.id).length).toBe(1);
      expect(await credited(row!.id)).toBe(1);
    });

    it("the credit written, the final write failed: the sweeper finishes without crediting again", async () => {
      const r = await fund(5_400);
      faults.arm({ kind: "fail", match: /step to posted/ });
      expect((await webhook(fake.pay(r.body.stripeId))).status).toBe(500);
      expect((await payment(r.body.id)).status).toBe("succeeded");
      expect(await credited(r.body.id)).toBe(1);
      await sweep();
      expect((await payment(r.body.id)).status).toBe("posted");
      expect(await credited(r.body.id)).toBe(1);
    });

    it("the payment's success not yet written: the stored event is processed again by the sweeper", async () => {
      const r = await fund(5_500);
      faults.arm({ kind: "fail", match: /step to succeeded/ });
      const event = fake.pay(r.body.stripeId);
      expect((await webhook(event)).status).toBe(500);
      expect((await q<{ processed_at: unknown }>(`SELECT processed_at FROM stripe_events WHERE id = $1`, [event["id"]]))[0]!.processed_at).toBeNull();
      const report = await sweep();
      expect(report.events).toBeGreaterThanOrEqual(1);
      expect((await payment(r.body.id)).status).toBe("posted");
      expect(await credited(r.body.id)).toBe(1);
    });
  });

  describe("transfers to Connect accounts, payouts and refunds", () => {
    let account: string;
    const payable = () => supplierPayableAccount(agencyId).id;

    beforeAll(async () => {
      account = (await call(app, "GET", `/v1/organisations/${agencyId}/payment-settings`, { key: operator })).body.stripeAccountId;
      // What settlement will do: money owed to the agency in its payable account (here straight from clearing).
      await app.built.ledger.createAccounts([...platformAccounts(CNY), supplierPayableAccount(agencyId)]);
      const out = await app.built.ledger.createTransfers([{ id: "test:owed", debitAccountId: platformAccountId("clearing"), creditAccountId: payable(), amount: 100_000n, ledger: CNY, code: "test" }]);
      expect(out.results).toEqual(["ok"]);
      fake.fund(1_000_000);
    });
    const available = () => {
      const a = app.built.ledger.lookupAccount(payable())!;
      return a.creditsPosted - a.debitsPosted - a.debitsPending;
    };

    it("holds the payable, transfers with the contract as transfer group, posts; asking again answers the same transfer", async () => {
      const before = available();
      const t = await stripe().transferToConnected({ key: "settlement:ctr_1:agency", organisationId: agencyId, amountFen: 12_000n, contractId: "ctr_1" });
      expect(t).toMatchObject({ kind: "transfer", status: "posted", transferGroup: "ctr_1", destination: account, amountFen: 12_000 });
      expect(fake.transfers.get(t.stripeId!)).toMatchObject({ amount: 12_000, destination: account, transfer_group: "ctr_1" });
      expect(available()).toBe(before - 12_000n);
      const again = await stripe().transferToConnected({ key: "settlement:ctr_1:agency", organisationId: agencyId, amountFen: 12_000n, contractId: "ctr_1" });
      expect(again.id).toBe(t.id);
      expect([...fake.transfers.values()].filter((x) => x["transfer_group"] === "ctr_1").length).toBe(1);
      await expect(stripe().transferToConnected({ key: "settlement:ctr_1:agency", organisationId: agencyId, amountFen: 13_000n, contractId: "ctr_1" })).rejects.toMatchObject({ code: "conflict" });
    });

    it.each([
      ["Stripe unavailable after the hold", () => fake.failNext(/^POST \/v1\/transfers$/, "unavailable")],
      ["Stripe's answer lost", () => {
        fake.failNext(/^POST \/v1\/transfers$/, "drop");
        fake.failNext(/^POST \/v1\/transfers$/, "drop");
      }],
      ["our write after Stripe's answer failed", () => faults.arm({ kind: "fail", match: /step to succeeded/ })],
      ["the post written, the final write failed", () => faults.arm({ kind: "fail", match: /step to posted/ })],
    ])("%s: the sweeper ends it in exactly one transfer", async (label, inject) => {
      const key = `settlement:crash-${label.length}:agency`;
      const group = `ctr_crash_${label.length}`;
      const before = available();
      inject();
      await expect(stripe().transferToConnected({ key, organisationId: agencyId, amountFen: 1_000n, contractId: group })).rejects.toBeTruthy();
      await sweep();
      await sweep();
      const rows = await q<{ id: string; status: string }>(`SELECT id, status FROM stripe_payments WHERE transfer_group = $1`, [group]);
      expect(rows.map((r) => r.status)).toEqual(["posted"]);
      expect([...fake.transfers.values()].filter((x) => x["transfer_group"] === group).length).toBe(1);
      expect((await transfersLike(`stripe:${rows[0]!.id}:%`)).map((t) => t.kind)).toEqual(["pending", "post"]);
      expect(available()).toBe(before - 1_000n);
    });

    it("a transfer Stripe refuses (its balance short) voids the hold: the money is the agency's again", async () => {
      const before = available();
      fake.failNext(/^POST \/v1\/transfers$/, "insufficient");
      const t = await stripe().transferToConnected({ key: "settlement:too-big:agency", organisationId: agencyId, amountFen: 9_000n, contractId: "ctr_big" });
      expect(t).toMatchObject({ status: "failed" });
      expect(t.failure).toContain("balance_insufficient");
      expect((await transfersLike(`stripe:${t.id}:%`)).map((x) => x.kind)).toEqual(["pending", "void"]);
      expect(available()).toBe(before);
      expect([...fake.transfers.values()].filter((x) => x["transfer_group"] === "ctr_big")).toEqual([]);
    });

    it("pays the Connect account out to its bank, on its own account", async () => {
      const p = await stripe().payoutConnected({ key: "payout:1", organisationId: agencyId, amountFen: 5_000n });
      expect(p).toMatchObject({ kind: "payout", status: "posted" });
      const req = fake.requests.find((r) => r.path === "/v1/payouts")!;
      expect(req).toMatchObject({ account: account, idempotencyKey: `shiftex:${p.id}:create` });
    });

    it("refunds part of a funding from the wallet; never more than was received", async () => {
      const r = await fund(20_000);
      await webhook(fake.pay(r.body.stripeId));
      const refund = await call(app, "POST", "/v1/stripe/refunds", { key: operator, body: { paymentId: r.body.id, amountFen: 7_500 } });
      expect(refund.status).toBe(201);
      expect(refund.body).toMatchObject({ kind: "refund", status: "posted", refundOf: r.body.id });
      expect(fake.refunds.get(refund.body.stripeId)).toMatchObject({ amount: 7_500, payment_intent: r.body.stripeId });
      expect((await transfersLike(`stripe:${refund.body.id}:%`)).map((t) => [t.kind, t.amount])).toEqual([["pending", 7_500n], ["post", 7_500n]]);
      const tooMuch = await call(app, "POST", "/v1/stripe/refunds", { key: operator, body: { paymentId: r.body.id, amountFen: 12_501 } });
      expect(tooMuch.status).toBe(422);
      expect((await call(app, "POST", "/v1/stripe/refunds", { key: enterprise, body: { paymentId: r.body.id, amountFen: 1 } })).status).toBe(403);
    });
  });

  describe("what Stripe was asked", () => {
    it("every request that creates something carried an idempotency key derived from our own record", () => {
      const posts = fake.requests.filter((r) => r.method === "POST");
      expect(posts.length).toBeGreaterThan(10);
      for (const r of posts) expect(r.idempotencyKey, `${r.method} ${r.path}`).toMatch(/^shiftex:(spm_|spt_|spo_|org:)/);
    });

    it.skipIf(backend.name !== "postgres")("no database transaction of ours was open while Stripe was called", () => {
      expect(openTransactions.length).toBeGreaterThan(10);
      expect(openTransactions.every((n) => n === 0)).toBe(true);
    });
  });

  describe("reconciliation against Stripe's balance transactions", () => {
    it("imports them page by page and matches every movement but the balance top-up the ledger never saw", async () => {
      const today = shanghaiDate(Date.now());
      const runDate = shanghaiDate(Date.now() + 86_400_000);
      const imported = await call(app, "POST", "/v1/reconciliation/imports/stripe", { key: operator, body: { fromDate: today, toDate: runDate } });
      expect(imported.status).toBe(201);
      expect(imported.body.total).toBe(fake.balanceTransactions.length + fake.balanceTransactions.filter((b) => Number(b["fee"]) !== 0).length);
      expect(fake.requests.filter((r) => r.path === "/v1/balance_transactions").length).toBeGreaterThan(1); // paginated
      const again = await call(app, "POST", "/v1/reconciliation/imports/stripe", { key: operator, body: { fromDate: today, toDate: runDate } });
      expect(again.body.id).toBe(imported.body.id);
      const run = await call(app, "POST", "/v1/reconciliation/runs", { key: operator, body: { provider: "stripe", date: runDate } });
      expect(run.status).toBe(201);
      const open = (await call(app, "GET", "/v1/reconciliation/exceptions?provider=stripe&status=open", { key: operator })).body.items;
      const adjustment = fake.balanceTransactions.find((b) => b["type"] === "adjustment")!;
      expect(open.map((e: any) => [e.kind, e.providerIds])).toEqual([["missing_in_ledger", [adjustment["id"]]]]);
      expect(run.body.totals[0]).toMatchObject({ unexplainedFen: 0, openExceptionsFen: 1_000_000 });
    });
  });
});
