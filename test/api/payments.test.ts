// Money in and out through the offline gateway, over real HTTP, on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

describe.each(backends)("payments API on $name", (backend) => {
  let app: TestApp;
  let operator: string;
  let enterprise: string;
  let otherEnterprise: string;
  let agency: string;
  let enterpriseId: string;

  beforeAll(async () => {
    app = await startTestApp(backend);
    operator = app.key("demo operator");
    enterprise = app.key("demo enterprise 0001");
    otherEnterprise = app.key("demo enterprise 0002");
    agency = app.key("demo agency 0004");
    enterpriseId = app.demo.keys.find((k) => k.label === "demo enterprise 0001")!.organisationId!;
  });
  afterAll(async () => app?.close());

  async function fundWallet(key: string, fen: number, bankTx: string) {
    const t = await call(app, "POST", "/v1/top-ups", { key, body: { amountFen: fen } });
    expect(t.status).toBe(201);
    const c = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: fen, bankTransactionId: bankTx } });
    expect(c.status).toBe(200);
    return c.body;
  }

  it("funds a wallet: instructions with a reference, operator confirms, balance and statement show it", async () => {
    const t = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 500_000 } });
    expect(t.status).toBe(201);
    expect(t.body.reference).toMatch(/^SX-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(t.body.instructions).toMatchObject({ method: "bank_transfer", reference: t.body.reference, amountFen: 500_000, amount: "5000.00" });
    expect(t.body.status).toBe("awaiting_transfer");
    // The bank received a little less than asked: crediting it needs the operator to say so…
    const unacknowledged = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 499_000, bankTransactionId: "BANK-1" } });
    expect(unacknowledged.status).toBe(422);
    expect(unacknowledged.body).toMatchObject({ field: "/body/acceptDifferentAmount", requestedFen: 500_000, amountFen: 499_000 });
    expect((await call(app, "GET", `/v1/top-ups/${t.body.reference}`, { key: enterprise })).body.status).toBe("awaiting_transfer");
    // …and then the wallet gets what arrived.
    const c = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 499_000, bankTransactionId: "BANK-1", acceptDifferentAmount: true } });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ status: "confirmed", receivedFen: 499_000 });
    const acct = await call(app, "GET", `/v1/accounts/${encodeURIComponent(t.body.accountId)}`, { key: enterprise });
    expect(acct.status).toBe(200);
    expect(acct.body).toMatchObject({ code: "wallet", ownerId: enterpriseId, creditsPostedFen: 499_000, availableFen: 499_000 });
    const st = await call(app, "GET", `/v1/accounts/${encodeURIComponent(t.body.accountId)}/statement`, { key: enterprise });
    expect(st.status).toBe(200);
    expect(st.body.items.some((l: { transferId: string; amountFen: number }) => l.transferId === `topup:${t.body.reference}` && l.amountFen === 499_000)).toBe(true);
  });

  it("confirms a top-up once: repeating answers the same, a second bank transaction or amount is refused", async () => {
    const t = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 10_000 } });
    const body = { amountFen: 10_000, bankTransactionId: "BANK-2" };
    const first = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body });
    const wallet = t.body.accountId;
    const before = (await call(app, "GET", `/v1/accounts/${encodeURIComponent(wallet)}`, { key: operator })).body.creditsPostedFen;
    const again = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body });
    expect(again.status).toBe(200);
    expect(again.body.confirmedAt).toBe(first.body.confirmedAt);
    const other = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 20_000, bankTransactionId: "BANK-2", acceptDifferentAmount: true } });
    expect(other.status).toBe(409);
    // A bank transaction confirms one top-up only.
    const t2 = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 10_000 } });
    const reuse = await call(app, "POST", `/v1/top-ups/${t2.body.reference}/confirm`, { key: operator, body });
    expect(reuse.status).toBe(409);
    expect(reuse.body.field).toBe("/body/bankTransactionId");
    const after = (await call(app, "GET", `/v1/accounts/${encodeURIComponent(wallet)}`, { key: operator })).body.creditsPostedFen;
    expect(after).toBe(before);
  });

  it("lets only the operator confirm, and only the owner (or staff) see a top-up or account", async () => {
    const t = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 1_000 } });
    expect((await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: enterprise, body: { amountFen: 1_000, bankTransactionId: "SELF" } })).status).toBe(403);
    expect((await call(app, "GET", `/v1/top-ups/${t.body.reference}`, { key: otherEnterprise })).status).toBe(404);
    expect((await call(app, "GET", `/v1/accounts/${encodeURIComponent(t.body.accountId)}`, { key: otherEnterprise })).status).toBe(404);
    expect((await call(app, "GET", `/v1/accounts/${encodeURIComponent(t.body.accountId)}/statement`, { key: otherEnterprise })).status).toBe(404);
    expect((await call(app, "POST", "/v1/top-ups", { key: agency, body: { amountFen: 1_000 } })).status).toBe(403);
  });

  it("refuses bad amounts naming the field", async () => {
    for (const amountFen of [0, -5, 1.5, "100"]) {
      const r = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen } });
      expect(r.status).toBe(400);
      expect(r.body.field).toBe("/body/amountFen");
    }
  });

  it("holds a withdrawal at once, refuses overdrawing, pays a batch and exports it as CSV", async () => {
    await fundWallet(otherEnterprise, 30_000, "BANK-W1");
    const bank = { bankAccountName: "重庆山城物流仓储有限公司", bankName: "中国建设银行重庆分行", bankAccountNumber: "5000 1234 5678 9012" };
    const w = await call(app, "POST", "/v1/withdrawals", { key: otherEnterprise, body: { amountFen: 20_000, ...bank } });
    expect(w.status).toBe(201);
    expect(w.body).toMatchObject({ status: "requested", amountFen: 20_000, amount: "200.00", bankAccountNumber: "5000123456789012" });
    const acct = (await call(app, "GET", `/v1/accounts/${encodeURIComponent(w.body.accountId)}`, { key: otherEnterprise })).body;
    expect(acct.debitsPendingFen).toBe(20_000);
    expect(acct.availableFen).toBe(10_000);
    // The hold counts: 15,000 more would overdraw.
    const count = (await call(app, "GET", "/v1/withdrawals", { key: otherEnterprise })).body.items.length;
    expect(count).toBe(1);
    const over = await call(app, "POST", "/v1/withdrawals", { key: otherEnterprise, body: { amountFen: 15_000, ...bank } });
    expect(over.status).toBe(422);
    expect(over.body.field).toBe("/body/amountFen");
    expect((await call(app, "GET", "/v1/withdrawals", { key: otherEnterprise })).body.items.length).toBe(count);

    const batch = await call(app, "POST", "/v1/payout-batches", { key: operator, body: { withdrawalIds: [w.body.id] } });
    expect(batch.status).toBe(201);
    expect(batch.body).toMatchObject({ count: 1, totalFen: 20_000, gateway: "offline" });
    expect(batch.body.withdrawals[0].status).toBe("paid");
    const after = (await call(app, "GET", `/v1/accounts/${encodeURIComponent(w.body.accountId)}`, { key: otherEnterprise })).body;
    expect(after).toMatchObject({ debitsPendingFen: 0, debitsPostedFen: 20_000, availableFen: 10_000 });
    const file = await fetch(`${app.baseUrl}/v1/payout-batches/${batch.body.id}/file`, { headers: { authorization: `Bearer ${operator}` } });
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toMatch(/text\/csv/);
    // UTF-8 with a byte order mark, so Excel shows the Chinese payee name intact.
    const bytes = Buffer.from(await file.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.subarray(3).toString("utf8");
    expect(csv).toContain(",重庆山城物流仓储有限公司,中国建设银行重庆分行,");
    const [header, line] = csv.trim().split("\r\n");
    expect(header).toBe("batch_id,withdrawal_id,organisation_id,payee_name,bank_name,account_number,amount_yuan,amount_fen,created_at");
    expect(line).toContain(`${batch.body.id},${w.body.id},`);
    expect(line).toContain(",5000123456789012,200.00,20000,");
    // Paid once: a second batch has nothing to pay.
    expect((await call(app, "POST", "/v1/payout-batches", { key: operator, body: { withdrawalIds: [w.body.id] } })).status).toBe(400);
  });

  it("releases the hold when an operator rejects a withdrawal", async () => {
    const wallet = (await fundWallet(enterprise, 8_000, "BANK-R1")).accountId;
    const before = (await call(app, "GET", `/v1/accounts/${encodeURIComponent(wallet)}`, { key: enterprise })).body.availableFen;
    const w = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body: { amountFen: 5_000, bankAccountName: "X Co", bankName: "ICBC", bankAccountNumber: "62220000111122223333" } });
    expect((await call(app, "GET", `/v1/accounts/${encodeURIComponent(wallet)}`, { key: enterprise })).body.availableFen).toBe(before - 5_000);
    expect((await call(app, "POST", `/v1/withdrawals/${w.body.id}/reject`, { key: enterprise, body: { reason: "x" } })).status).toBe(403);
    const r = await call(app, "POST", `/v1/withdrawals/${w.body.id}/reject`, { key: operator, body: { reason: "account name does not match" } });
    expect(r.body).toMatchObject({ status: "rejected", statusReason: "account name does not match" });
    expect((await call(app, "GET", `/v1/accounts/${encodeURIComponent(wallet)}`, { key: enterprise })).body.availableFen).toBe(before);
  });

  it("keeps the books balanced and the chain intact (operator views)", async () => {
    const tb = await call(app, "GET", "/v1/ledger/trial-balance", { key: operator });
    expect(tb.status).toBe(200);
    const cny = tb.body.ledgers.find((l: { ledger: string }) => l.ledger === "CNY");
    expect(cny.debitsPostedFen).toBe(cny.creditsPostedFen);
    expect(cny.debitsPendingFen).toBe(cny.creditsPendingFen);
    expect(cny.debitsPostedFen).toBeGreaterThan(0);
    const v = await call(app, "GET", "/v1/ledger/verify", { key: operator });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ ok: true, invariants: { ok: true, problems: [] }, chain: { ok: true } });
    expect(v.body.chain.checked).toBeGreaterThan(0);
    expect((await call(app, "GET", "/v1/ledger/verify", { key: enterprise })).status).toBe(403);
    expect((await call(app, "GET", "/v1/ledger/trial-balance", { key: agency })).status).toBe(403);
  });

  it("makes a retried top-up request idempotent with Idempotency-Key", async () => {
    const headers = { "idempotency-key": "topup-retry-1" };
    const a = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 777 }, headers });
    const b = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 777 }, headers });
    expect(b.body.reference).toBe(a.body.reference);
    expect((await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 778 }, headers })).status).toBe(409);
  });
});

describe.each(backends)("payments details on $name", (backend) => {
  let app: TestApp;
  let operator: string;
  let enterprise: string;
  const bank = { bankAccountName: "重庆渝才人力资源服务有限公司", bankName: "中国建设银行重庆分行", bankAccountNumber: "5000 1234 5678 9012" };

  beforeAll(async () => {
    app = await startTestApp(backend);
    operator = app.key("demo operator");
    enterprise = app.key("demo enterprise 0003");
  });
  afterAll(async () => app?.close());

  const q = async <R = Record<string, unknown>>(text: string, params: unknown[] = []) => (await app.database.db.sql.query<R>(text, params)).rows;

  it("tells an agency with nothing in its account that it has nothing to withdraw (not 'exceeds credits')", async () => {
    const agency = app.key("demo agency 0005");
    const agencyId = app.demo.keys.find((k) => k.label === "demo agency 0005")!.organisationId!;
    const r = await call(app, "POST", "/v1/withdrawals", { key: agency, body: { amountFen: 10_000, ...bank } });
    expect(r.status).toBe(422);
    expect(r.body.field).toBe("/body/amountFen");
    expect(r.body.detail).toMatch(/nothing to withdraw/);
    expect(r.body.detail).not.toMatch(/exceed|enough/);
    expect(await q(`SELECT id FROM withdrawals WHERE organisation_id = $1`, [agencyId])).toEqual([]);
  });

  it("matches top-up references whatever the case, spaces, dashes, or O/I/L typed for 0/1", async () => {
    const t = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 2_000 } });
    const ref: string = t.body.reference;
    const typed = [ref.toLowerCase(), ref.replaceAll("-", ""), ref.replaceAll("-", " ").toLowerCase(), ref.replaceAll("0", "O").replaceAll("1", "l")];
    for (const variant of typed) {
      const r = await call(app, "GET", `/v1/top-ups/${encodeURIComponent(variant)}`, { key: enterprise });
      expect(r.status, variant).toBe(200);
      expect(r.body.reference).toBe(ref);
    }
    const c = await call(app, "POST", `/v1/top-ups/${encodeURIComponent(ref.toLowerCase().replaceAll("-", ""))}/confirm`, { key: operator, body: { amountFen: 2_000, bankTransactionId: "CASE-1" } });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ reference: ref, status: "confirmed" });
    expect((await call(app, "GET", "/v1/top-ups/SX-ZZZZ-ZZZZ", { key: enterprise })).status).toBe(404);
  });

  it("refuses a bank account number without digits (dashes only) naming the field, and stores nothing", async () => {
    const before = await q(`SELECT id FROM withdrawals`);
    for (const bankAccountNumber of ["--------", "- - - - - -", "1234-", "12345678901234567890123456789012345"]) {
      const r = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body: { ...bank, amountFen: 100, bankAccountNumber } });
      expect(r.status, bankAccountNumber).toBe(400);
      expect(r.body.field).toBe("/body/bankAccountNumber");
    }
    expect((await call(app, "POST", "/v1/withdrawals", { key: enterprise, body: { ...bank, amountFen: 100, bankAccountName: "   " } })).body.field).toBe("/body/bankAccountName");
    expect(await q(`SELECT id FROM withdrawals`)).toEqual(before);
  });

  it("states the server's limits and real examples in the OpenAPI document", async () => {
    const doc = (await call(app, "GET", "/docs/json")).body;
    const media = (path: string) => doc.paths[path].post.requestBody.content["application/json"];
    const body = (path: string) => media(path).schema;
    // @fastify/swagger moves a schema's `examples` onto the media type: one as `example`, several as named `examples`.
    const examplesOf = (path: string): Record<string, unknown>[] => {
      const m = media(path);
      return m.example !== undefined ? [m.example] : Object.values(m.examples ?? {}).map((e) => (e as { value: Record<string, unknown> }).value);
    };
    const withdrawal = body("/v1/withdrawals");
    expect(withdrawal.properties.amountFen.maximum).toBe(app.config.paymentMaxFen);
    expect(withdrawal.properties.bankAccountNumber).toMatchObject({ minLength: 8, maxLength: 67 });
    expect(new RegExp(withdrawal.properties.bankAccountNumber.pattern).test("--------")).toBe(false);
    expect(body("/v1/top-ups").properties.amountFen.maximum).toBe(app.config.paymentMaxFen);
    expect(body("/v1/top-ups/{ref}/confirm").properties.acceptDifferentAmount.type).toBe("boolean");
    for (const path of ["/v1/withdrawals", "/v1/top-ups", "/v1/top-ups/{ref}/confirm", "/v1/withdrawals/{id}/reject", "/v1/payout-batches"]) {
      const examples = examplesOf(path);
      expect(examples.length, path).toBeGreaterThan(0);
      for (const example of examples) for (const k of Object.keys(example)) expect(Object.keys(body(path).properties), path).toContain(k);
    }
    // The server holds to what the document says: the ceiling passes validation, one fen more does not.
    const over = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body: { ...bank, amountFen: app.config.paymentMaxFen + 1 } });
    expect(over.status).toBe(400);
    expect(over.body.field).toBe("/body/amountFen");
    const atCeiling = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: app.config.paymentMaxFen } });
    expect(atCeiling.status).toBe(201);
    // A withdrawal example is one the server accepts.
    const funded = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 200_000 } });
    await call(app, "POST", `/v1/top-ups/${funded.body.reference}/confirm`, { key: operator, body: { amountFen: 200_000, bankTransactionId: "EXAMPLE-1" } });
    expect((await call(app, "POST", "/v1/withdrawals", { key: enterprise, body: examplesOf("/v1/withdrawals")[0] })).status).toBe(201);
  });

  it("pages top-ups and withdrawals with limit and an opaque next cursor", async () => {
    const other = app.key("demo enterprise 0002");
    const refs: string[] = [];
    for (let i = 0; i < 5; i++) refs.push((await call(app, "POST", "/v1/top-ups", { key: other, body: { amountFen: 100 + i } })).body.reference);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { items: { reference: string }[]; next: string | null } } = await call(app, "GET", `/v1/top-ups?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: other });
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((t) => t.reference));
      cursor = page.body.next;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual([...refs].reverse()); // newest first, each once
    const bad = await call(app, "GET", "/v1/top-ups?cursor=not-a-cursor", { key: other });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("/querystring/cursor");

    await call(app, "POST", `/v1/top-ups/${refs[0]}/confirm`, { key: operator, body: { amountFen: 100, bankTransactionId: "PAGE-1" } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call(app, "POST", "/v1/withdrawals", { key: other, body: { ...bank, amountFen: 10 + i } })).body.id);
    const p1 = await call(app, "GET", "/v1/withdrawals?limit=2", { key: other });
    expect(p1.body.items.map((w: { id: string }) => w.id)).toEqual(ids.slice(0, 2)); // oldest first
    const p2 = await call(app, "GET", `/v1/withdrawals?limit=2&cursor=${p1.body.next}`, { key: other });
    expect(p2.body).toMatchObject({ next: null });
    expect(p2.body.items.map((w: { id: string }) => w.id)).toEqual(ids.slice(2));
    // Operators see everyone's; a status filter keeps paging.
    const all = await call(app, "GET", "/v1/withdrawals?status=requested&limit=500", { key: operator });
    expect(all.body.items.length).toBeGreaterThanOrEqual(3);
  });
});
