// The Stripe adapter against a real stripe-mock (Stripe's own API mock, built from its OpenAPI spec): every call Shiftex
// makes is one stripe-mock accepts, with the parameters Stripe requires. stripe-mock is stateless (it answers fixtures), so
// the flows themselves are tested against the stateful fake in stripe.test.ts. Runs when STRIPE_MOCK_URL is set.
import { describe, expect, it } from "vitest";
import { createStripeApi, StripeRefused } from "../../src/payments";
import { stripeProviderSource } from "../../src/reconciliation";
import { stripeMockUrl } from "../helpers/services";

describe.skipIf(!stripeMockUrl)("Stripe adapter against stripe-mock", () => {
  const api = () => createStripeApi({ secretKey: "sk_test_123", apiBase: stripeMockUrl!, webhookSecret: "whsec_test", maxNetworkRetries: 0 });

  it("creates, reads and cancels a PaymentIntent", async () => {
    const pi = await api().createPaymentIntent({ amountFen: 12_345n, currency: "CNY", metadata: { shiftex_payment: "spm_mock" }, description: "mock" }, "shiftex:spm_mock:create");
    expect(pi.id).toMatch(/^pi_/);
    expect(typeof pi.status).toBe("string");
    expect((await api().retrievePaymentIntent(pi.id)).id).toMatch(/^pi_/);
    expect((await api().cancelPaymentIntent(pi.id, "shiftex:spm_mock:cancel")).id).toMatch(/^pi_/);
  });

  it("reads a charge's fee", async () => {
    expect(typeof (await api().chargeFee("ch_mock"))).toBe("bigint");
  });

  it("opens a Connect account, transfers to it with a transfer group, pays it out, refunds a payment", async () => {
    const account = await api().createConnectAccount({ organisationId: "org_mock", name: "Mock Agency" }, "shiftex:org:org_mock:connect");
    expect(account.id).toMatch(/^acct_/);
    expect((await api().retrieveAccount(account.id)).id).toMatch(/^acct_/);
    const t = await api().createTransfer({ amountFen: 500n, currency: "CNY", destination: account.id, transferGroup: "ctr_mock", metadata: { shiftex_payment: "spt_mock" } }, "shiftex:spt_mock:create");
    expect(t.id).toMatch(/^tr_/);
    const po = await api().createPayout({ amountFen: 500n, currency: "CNY", account: account.id, metadata: { shiftex_payment: "spo_mock" } }, "shiftex:spo_mock:create");
    expect(po.id).toMatch(/^po_/);
    const re = await api().createRefund({ paymentIntent: "pi_mock", amountFen: 100n, metadata: { shiftex_payment: "spm_refund" } }, "shiftex:spm_refund:create");
    expect(re.id).toMatch(/^re_/);
  });

  it("lists balance transactions as provider records", async () => {
    const records: unknown[] = [];
    await stripeProviderSource(api()).fetch({ fromDate: "2026-12-01", toDate: "2026-12-01" }, async (page) => void records.push(...page));
    expect(Array.isArray(records)).toBe(true);
  });

  it("refuses a webhook whose signature does not verify", () => {
    expect(() => api().verifyWebhook(Buffer.from("{}"), "t=1,v1=bad")).toThrow(StripeRefused);
  });
});
