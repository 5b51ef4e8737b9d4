// Settlement pays Stripe-paid suppliers out: once a seat's wage reaches an agency's payable, the contract runtime's outbox
// transfers it to the agency's Connect account with the contract as transfer_group (test/helpers/stripe-fake.ts stands in
// for Stripe). The outbox effect is written in the transaction that records the seat's settlement (the recovery point),
// the Stripe payment and its idempotency key derive from that effect, and no database transaction is open while Stripe
// is called; so whatever fails — Stripe unavailable, its answer lost, our write after it, the outbox's own mark, the
// process stopping — each settled payable ends in exactly one transfer. An agency on the offline gateway gets none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { residentIdWithChecksum } from "../../src/parties";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { faultySql, type FaultySql } from "../helpers/faulty-sql";
import { backends } from "../helpers/services";
import { startStripeFake, type StripeFake } from "../helpers/stripe-fake";

const HOUR = 3_600_000;
const MIN = 60_000;
const RATE = 3000; // fen per hour; D1 pays 8 hours
const WAGE = RATE * 8;
const start = (day: number) => Date.UTC(2026, 11, day, 0, 0);
const market = (day: number) => `general-labourer.500107.2026-12-${String(day).padStart(2, "0")}.D1`;

describe.each(backends)("settlement transfers to Connect accounts on $name", (backend) => {
  const clock = fixedClock(new Date(Date.UTC(2026, 11, 1, 6, 0)));
  let fake: StripeFake;
  let database: TestDatabase;
  let app: TestApp;
  let faults: FaultySql;
  let operator: string;
  let ent: string;
  let agency: string;
  let agency2: string;
  let serial = 0;
  const openTransactions: number[] = [];
  /** Armed when Stripe receives the next transfer (a fault for a statement that comes after Stripe's answer). */
  let onTransfer: (() => void) | null = null;
  const org = (label: string) => app.demo.keys.find((k) => k.label === label)!.organisationId!;
  const q = async <R = Record<string, unknown>>(text: string, params: unknown[] = []) => (await database.db.sql.query<R>(text, params)).rows;
  const at = (ms: number) => clock.set(new Date(ms));
  const drain = () => app.built.contracts.runtime.drain();

  async function boot() {
    app = await startTestApp(backend, {
      clock, contractLoops: false,
      database: { db: database.db, url: database.url, drop: async () => undefined },
      env: { STRIPE_SECRET_KEY: fake.secretKey, STRIPE_API_BASE: fake.url, STRIPE_WEBHOOK_SECRET: fake.webhookSecret, STRIPE_MAX_NETWORK_RETRIES: "0", STRIPE_SWEEP_SECONDS: "0" },
      wrapDatabase: (db) => {
        faults = faultySql(db);
        return faults.db;
      },
    });
    operator = app.key("demo operator");
    ent = app.key("demo enterprise 0001");
    agency = app.key("demo agency 0004");
    agency2 = app.key("demo agency 0005");
  }

  async function login(phone: string): Promise<string> {
    const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
    const ok = await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } });
    expect(ok.status).toBe(200);
    return ok.headers.get("set-cookie")!.split(";")[0]!;
  }
  async function worker(key: string): Promise<{ id: string; cookie: string }> {
    const n = ++serial;
    const phone = `+86137${String(60_000_000 + n).padStart(8, "0")}`;
    const r = await call(app, "POST", "/v1/workers", {
      key,
      body: { realName: `结算工人${n}`, residentId: residentIdWithChecksum(`50010719900101${String(100 + n)}`.slice(0, 17)), phone, districtCode: "500107", skills: [{ skillId: "general-labourer", level: 0 }] },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return { id: r.body.id, cookie: await login(phone) };
  }

  /** One contract of `seats` seats on `day`, supplied by `seller`, worked a whole shift and approved: settled. */
  async function settledContract(day: number, seats: number, seller: string, beforeApprove?: () => void): Promise<string> {
    const D = start(day);
    at(D - 30 * HOUR);
    const d = await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: market(day), quantity: seats, rateFen: RATE } });
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    const s = await call(app, "POST", "/v1/orders", { key: seller, body: { side: "supply", market: market(day), quantity: seats, rateFen: RATE } });
    const contractId = s.body.fills[0].contractId as string;
    await drain();
    const people = [];
    for (let seat = 1; seat <= seats; seat++) {
      const w = await worker(seller);
      expect((await call(app, "POST", `/v1/contracts/${contractId}/assignments`, { key: seller, body: { seat, workerId: w.id } })).status).toBe(200);
      people.push(w);
    }
    const wf = (await call(app, "GET", `/v1/contracts/${contractId}/workflow`, { key: operator })).body;
    const shifts = wf.seats.map((x: { shiftId: string }) => x.shiftId as string);
    for (let i = 0; i < seats; i++) expect((await call(app, "POST", `/v1/shifts/${shifts[i]}/confirm`, { cookie: people[i]!.cookie })).status).toBe(200);
    at(D - 5 * MIN);
    const code = async () => (await call(app, "GET", "/v1/site/code", { key: ent })).body.code as string;
    for (let i = 0; i < seats; i++) expect((await call(app, "POST", `/v1/shifts/${shifts[i]}/check-in`, { cookie: people[i]!.cookie, body: { code: await code() } })).status).toBe(200);
    at(D + HOUR);
    await app.built.contracts.runtime.fireDueTimers();
    at(D + 9 * HOUR);
    for (let i = 0; i < seats; i++) expect((await call(app, "POST", `/v1/shifts/${shifts[i]}/check-out`, { cookie: people[i]!.cookie, body: { code: await code() } })).status).toBe(200);
    await app.built.contracts.runtime.fireDueTimers();
    at(D + 10 * HOUR);
    beforeApprove?.();
    for (let i = 0; i < seats; i++) {
      const r = await call(app, "POST", `/v1/shifts/${shifts[i]}/approve`, { key: ent, body: {} });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    return contractId;
  }

  const stripeTransfers = (contractId: string) => [...fake.transfers.values()].filter((t) => t["transfer_group"] === contractId);
  const payments = (contractId: string) =>
    q<{ id: string; status: string; amount_fen: bigint; destination: string }>(`SELECT id, status, amount_fen, destination FROM stripe_payments WHERE transfer_group = $1 ORDER BY id`, [contractId]);
  const pendingPayouts = async () => (await q<{ n: number }>(`SELECT count(*)::int AS n FROM workflow_effects WHERE type = 'payments.supplierPayout' AND done_at IS NULL`))[0]!.n;
  let account = "";

  beforeAll(async () => {
    fake = await startStripeFake({
      requireIdempotencyKeys: true,
      beforeEach: async (req) => {
        if (onTransfer && req.method === "POST" && req.path === "/v1/transfers") {
          onTransfer();
          onTransfer = null;
        }
        if (backend.name !== "postgres" || !app) return;
        const r = await database.db.sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()`,
        );
        openTransactions.push(r.rows[0]!.n);
      },
    });
    fake.fund(10_000_000);
    database = await createTestDatabase(backend);
    await boot();
    const t = await call(app, "POST", "/v1/top-ups", { key: ent, body: { amountFen: 5_000_000 } });
    expect((await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 5_000_000, bankTransactionId: "BANK-ST-1" } })).status).toBe(200);
    const agencyId = org("demo agency 0004");
    account = (await call(app, "POST", `/v1/organisations/${agencyId}/stripe-account`, { key: operator })).body.stripeAccountId;
    expect((await call(app, "PUT", `/v1/organisations/${agencyId}/payment-settings`, { key: operator, body: { gateway: "stripe" } })).body.gateway).toBe("stripe");
  });
  afterAll(async () => {
    await app?.built.app.close();
    await database?.drop();
    await fake?.close();
  });

  it("each settled seat's wage goes to the agency's Connect account once, with the contract as transfer_group", async () => {
    const contractId = await settledContract(3, 2, agency);
    await drain();
    const rows = await payments(contractId);
    expect(rows.map((r) => [r.status, r.amount_fen, r.destination])).toEqual([["posted", BigInt(WAGE), account], ["posted", BigInt(WAGE), account]]);
    expect(stripeTransfers(contractId).map((t) => [t["amount"], t["destination"], t["currency"]])).toEqual([[WAGE, account, "cny"], [WAGE, account, "cny"]]);
    // the payable held, then posted, through clearing; the idempotency key derives from the settlement's outbox effect
    const keys = fake.requests.filter((r) => r.path === "/v1/transfers" && r.method === "POST").map((r) => r.idempotencyKey);
    for (const r of rows) expect(keys).toContain(`shiftex:${r.id}:create`);
    expect(await pendingPayouts()).toBe(0);
    // another pass, a sweep: nothing more
    await drain();
    await app.built.services.stripe!.sweep();
    expect(stripeTransfers(contractId).length).toBe(2);
    if (backend.name === "postgres") expect(openTransactions.every((n) => n === 0)).toBe(true);
  });

  it("an agency on the offline gateway is paid by bank batch: no Stripe transfer", async () => {
    const contractId = await settledContract(4, 1, agency2);
    await drain();
    expect(await payments(contractId)).toEqual([]);
    expect(stripeTransfers(contractId)).toEqual([]);
    expect(await pendingPayouts()).toBe(0);
    const payable = (await call(app, "GET", `/v1/accounts/${encodeURIComponent(`supplier_payable:${org("demo agency 0005")}:CNY`)}`, { key: operator })).body;
    expect(payable.creditsPostedFen - payable.debitsPostedFen).toBe(WAGE);
  });

  it.each([
    ["Stripe unavailable", () => fake.failNext(/^POST \/v1\/transfers$/, "unavailable")],
    ["Stripe's answer lost", () => {
      fake.failNext(/^POST \/v1\/transfers$/, "drop");
      fake.failNext(/^POST \/v1\/transfers$/, "drop");
    }],
    ["our write after Stripe's answer failed", () => faults.arm({ kind: "fail", match: /step to succeeded/ })],
    // the first outbox mark after Stripe's answer is the payout effect's own
    ["the outbox's done mark failed after the transfer posted", () => (onTransfer = () => faults.arm({ kind: "fail", match: /UPDATE "workflow_effects" SET "done_at"/ }))],
  ])("%s, then the process restarts: exactly one transfer per settled payable", async (_label, inject) => {
    // the approval's own outbox pass settles the seat and tries the payout once
    const contractId = await settledContract(5 + serial, 1, agency, inject);
    // cut off: the payout effect is still pending (its Stripe payment short of posted, or posted but unmarked)
    expect(await pendingPayouts()).toBe(1);
    // the process stops before anything retries; on start-up the outbox and the Stripe sweeper finish it
    await app.built.app.close();
    await boot();
    await drain();
    await app.built.services.stripe!.sweep();
    await drain();
    const rows = await payments(contractId);
    expect(rows.map((r) => r.status)).toEqual(["posted"]);
    expect(stripeTransfers(contractId).length).toBe(1);
    expect(stripeTransfers(contractId)[0]).toMatchObject({ amount: WAGE, destination: account, transfer_group: contractId });
    expect((await q<{ kind: string }>(`SELECT kind FROM ledger_transfers WHERE id LIKE $1 ORDER BY id`, [`stripe:${rows[0]!.id}:%`])).map((t) => t.kind)).toEqual(["pending", "post"]);
    expect(await pendingPayouts()).toBe(0);
    const v = await call(app, "GET", "/v1/ledger/verify", { key: operator });
    expect(v.body.ok).toBe(true);
  });
});
