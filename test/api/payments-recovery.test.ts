// Every payments flow that writes to the ledger and to its own rows, with a failure injected right after the ledger step:
// the retry with the same Idempotency-Key, or the sweeper when nobody retries, ends with rows and ledger as one consistent pair.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { platformAccountId, workerPayableAccount } from "../../src/ledger";
import { residentIdWithChecksum } from "../../src/parties";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { faultySql, type FaultySql } from "../helpers/faulty-sql";
import { backends } from "../helpers/services";

describe.each(backends)("payments: failure between the ledger step and the rows' final write, on $name", (backend) => {
  let app: TestApp;
  let faults: FaultySql;
  let operator: string;
  const bank = { bankAccountName: "重庆山城物流仓储有限公司", bankName: "中国建设银行重庆分行", bankAccountNumber: "5000-1234-5678-9012" };

  beforeAll(async () => {
    app = await startTestApp(backend, {
      wrapDatabase: (db) => {
        faults = faultySql(db);
        return faults.db;
      },
    });
    operator = app.key("demo operator");
  });
  afterAll(async () => app?.close());

  const q = async <R = Record<string, unknown>>(text: string, params: unknown[] = []) => (await app.database.db.sql.query<R>(text, params)).rows;
  const transfer = async (id: string) => (await q<{ id: string; kind: string; amount: bigint }>(`SELECT id, kind, amount FROM ledger_transfers WHERE id = $1`, [id]))[0];
  const withdrawalRow = async (id: string) => (await q<{ status: string; status_reason: string | null; batch_id: string | null }>(`SELECT * FROM withdrawals WHERE id = $1`, [id]))[0];
  const idem = (key: string) => ({ "idempotency-key": key });
  const sweep = () => app.built.services.idempotency.sweep();

  async function fund(key: string, fen: number): Promise<string> {
    const t = await call(app, "POST", "/v1/top-ups", { key, body: { amountFen: fen } });
    expect(t.status).toBe(201);
    const c = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: fen, bankTransactionId: `FUND-${t.body.reference}` } });
    expect(c.status).toBe(200);
    return t.body.accountId;
  }

  async function withdraw(key: string, fen: number): Promise<{ id: string }> {
    const w = await call(app, "POST", "/v1/withdrawals", { key, body: { amountFen: fen, ...bank } });
    expect(w.status).toBe(201);
    return w.body;
  }

  describe("top-up confirmation", () => {
    const confirmedWrite = /UPDATE top_ups SET status = 'confirmed'/;

    it("retried with its key: the wallet is credited once and the top-up is confirmed", async () => {
      const enterprise = app.key("demo enterprise 0001");
      const t = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 12_300 } });
      const path = `/v1/top-ups/${t.body.reference}/confirm`;
      const body = { amountFen: 12_300, bankTransactionId: "REC-CONFIRM-1" };
      faults.arm({ kind: "fail", match: confirmedWrite });
      const first = await call(app, "POST", path, { key: operator, body, headers: idem("confirm-1") });
      expect(faults.fired()).toBe(true);
      expect(first.status).toBe(500);
      // Between the two writes: the money is in the wallet, the top-up says so (confirming), the claim is kept.
      expect((await transfer(`topup:${t.body.reference}`))?.amount).toBe(12_300n);
      expect((await call(app, "GET", `/v1/top-ups/${t.body.reference}`, { key: enterprise })).body.status).toBe("confirming");

      const retry = await call(app, "POST", path, { key: operator, body, headers: idem("confirm-1") });
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ reference: t.body.reference, status: "confirmed", receivedFen: 12_300 });
      expect((await q(`SELECT id FROM ledger_transfers WHERE id = $1`, [`topup:${t.body.reference}`])).length).toBe(1);
      const again = await call(app, "POST", path, { key: operator, body, headers: idem("confirm-1") });
      expect(again.status).toBe(200);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(again.body.confirmedAt).toBe(retry.body.confirmedAt);
    });

    it("without a key: the sweeper confirms it, no retry needed", async () => {
      const enterprise = app.key("demo enterprise 0001");
      const t = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 4_560 } });
      faults.arm({ kind: "fail", match: confirmedWrite });
      const first = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 4_560, bankTransactionId: "REC-CONFIRM-2" } });
      expect(first.status).toBe(500);
      expect((await call(app, "GET", `/v1/top-ups/${t.body.reference}`, { key: enterprise })).body.status).toBe("confirming");
      expect((await sweep()).completed).toBeGreaterThanOrEqual(1);
      expect((await call(app, "GET", `/v1/top-ups/${t.body.reference}`, { key: enterprise })).body).toMatchObject({ status: "confirmed", receivedFen: 4_560 });
      expect((await q(`SELECT id FROM ledger_transfers WHERE id = $1`, [`topup:${t.body.reference}`])).length).toBe(1);
    });
  });

  describe("withdrawal request", () => {
    const heldWrite = /SET status = 'requested', updated_at/;

    it("retried with its key: exactly one withdrawal and one hold, and the answer describes them", async () => {
      const enterprise = app.key("demo enterprise 0002");
      const wallet = await fund(enterprise, 50_000);
      const body = { amountFen: 7_700, ...bank };
      faults.arm({ kind: "fail", match: heldWrite });
      const first = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body, headers: idem("wdr-1") });
      expect(faults.fired()).toBe(true);
      expect(first.status).toBe(500);
      const rows = await q<{ id: string; status: string }>(`SELECT id, status FROM withdrawals WHERE account_id = $1`, [wallet]);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.status).toBe("holding");
      expect((await transfer(`withdrawal:${rows[0]!.id}`))?.kind).toBe("pending");

      const retry = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body, headers: idem("wdr-1") });
      expect(retry.status).toBe(201);
      expect(retry.body).toMatchObject({ id: rows[0]!.id, status: "requested", amountFen: 7_700, bankAccountNumber: "5000123456789012" });
      expect(await q(`SELECT id FROM withdrawals WHERE account_id = $1`, [wallet])).toHaveLength(1);
      expect(await q(`SELECT id FROM ledger_transfers WHERE kind = 'pending' AND debit_account_id = $1`, [wallet])).toHaveLength(1);
      const acct = (await call(app, "GET", `/v1/accounts/${encodeURIComponent(wallet)}`, { key: enterprise })).body;
      expect(acct).toMatchObject({ debitsPendingFen: 7_700, availableFen: 50_000 - 7_700 });
    });

    it("without a key: the sweeper finishes it", async () => {
      const enterprise = app.key("demo enterprise 0003");
      const wallet = await fund(enterprise, 9_000);
      faults.arm({ kind: "fail", match: heldWrite });
      expect((await call(app, "POST", "/v1/withdrawals", { key: enterprise, body: { amountFen: 900, ...bank } })).status).toBe(500);
      expect((await q<{ status: string }>(`SELECT status FROM withdrawals WHERE account_id = $1`, [wallet]))[0]?.status).toBe("holding");
      expect((await sweep()).completed).toBeGreaterThanOrEqual(1);
      const rows = await q<{ id: string; status: string }>(`SELECT id, status FROM withdrawals WHERE account_id = $1`, [wallet]);
      expect(rows.map((r) => r.status)).toEqual(["requested"]);
      expect((await transfer(`withdrawal:${rows[0]!.id}`))?.kind).toBe("pending");
    });

    it("when the ledger refuses the hold on the retry, the request is dropped: no row without a hold", async () => {
      const enterprise = app.key("demo lending enterprise 0007");
      const wallet = await fund(enterprise, 1_000);
      // The hold is never written (the append fails before it runs), so the retry meets the ledger afresh.
      faults.arm({ kind: "fail", match: /INSERT INTO "ledger_transfers"/ });
      const first = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body: { amountFen: 800, ...bank }, headers: idem("wdr-refused") });
      expect(first.status).toBeGreaterThanOrEqual(500);
      expect((await q<{ status: string }>(`SELECT status FROM withdrawals WHERE account_id = $1`, [wallet]))[0]?.status).toBe("holding");
      // Meanwhile the money went elsewhere: the retry's hold is refused.
      await withdraw(enterprise, 900);
      const retry = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body: { amountFen: 800, ...bank }, headers: idem("wdr-refused") });
      expect(retry.status).toBe(422);
      const rows = await q<{ id: string; status: string; amount_fen: bigint }>(`SELECT id, status, amount_fen FROM withdrawals WHERE account_id = $1`, [wallet]);
      expect(rows.map((r) => [r.status, r.amount_fen])).toEqual([["requested", 900n]]);
      expect(await q(`SELECT id FROM ledger_transfers WHERE kind = 'pending' AND debit_account_id = $1`, [wallet])).toHaveLength(1);
    });
  });

  describe("a worker's withdrawal from their payable (the same flow, with the phone's session)", () => {
    const heldWrite = /SET status = 'requested', updated_at/;
    let serial = 0;

    /** An independent worker logged in, with `fen` in their payable (as the contract runtime would have paid them). */
    async function paidWorker(fen: number): Promise<{ id: string; cookie: string; payable: string }> {
      const n = ++serial;
      const phone = `+86136${String(70_000_000 + n).padStart(8, "0")}`;
      const r = await call(app, "POST", "/v1/workers", {
        key: operator,
        body: { realName: `独立工人${n}`, residentId: residentIdWithChecksum(`50010719880101${String(200 + n).padStart(3, "0")}`), phone, districtCode: "500107", supplierId: null, skills: [{ skillId: "general-labourer", level: 0 }] },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
      const ok = await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } });
      const cookie = ok.headers.get("set-cookie")!.split(";")[0]!;
      const account = workerPayableAccount(r.body.id);
      await app.built.ledger.createAccounts([account]);
      const paid = await app.built.ledger.createTransfers([{ id: `test-wages:${r.body.id}`, debitAccountId: platformAccountId("clearing"), creditAccountId: account.id, amount: BigInt(fen), ledger: "CNY", code: "wages" }]);
      expect(paid.results).toEqual(["ok"]);
      return { id: r.body.id, cookie, payable: account.id };
    }

    it("retried with its key: exactly one withdrawal and one hold", async () => {
      const w = await paidWorker(30_000);
      const body = { amountFen: 12_000, ...bank };
      faults.arm({ kind: "fail", match: heldWrite });
      const first = await call(app, "POST", "/v1/withdrawals", { cookie: w.cookie, body, headers: idem("worker-wdr-1") });
      expect(faults.fired()).toBe(true);
      expect(first.status).toBe(500);
      const rows = await q<{ id: string; status: string; worker_id: string; organisation_id: string | null }>(`SELECT * FROM withdrawals WHERE account_id = $1`, [w.payable]);
      expect(rows.map((r) => [r.status, r.worker_id, r.organisation_id])).toEqual([["holding", w.id, null]]);
      expect((await transfer(`withdrawal:${rows[0]!.id}`))?.kind).toBe("pending");

      const retry = await call(app, "POST", "/v1/withdrawals", { cookie: w.cookie, body, headers: idem("worker-wdr-1") });
      expect(retry.status).toBe(201);
      expect(retry.body).toMatchObject({ id: rows[0]!.id, workerId: w.id, organisationId: null, status: "requested", amountFen: 12_000 });
      expect(await q(`SELECT id FROM ledger_transfers WHERE kind = 'pending' AND debit_account_id = $1`, [w.payable])).toHaveLength(1);
      expect((await call(app, "GET", `/v1/accounts/${encodeURIComponent(w.payable)}`, { cookie: w.cookie })).body).toMatchObject({ debitsPendingFen: 12_000, availableFen: 18_000 });
    });

    it("without a key: the sweeper finishes it", async () => {
      const w = await paidWorker(5_000);
      faults.arm({ kind: "fail", match: heldWrite });
      expect((await call(app, "POST", "/v1/withdrawals", { cookie: w.cookie, body: { amountFen: 5_000, ...bank } })).status).toBe(500);
      expect((await sweep()).completed).toBeGreaterThanOrEqual(1);
      const rows = await q<{ id: string; status: string }>(`SELECT id, status FROM withdrawals WHERE account_id = $1`, [w.payable]);
      expect(rows.map((r) => r.status)).toEqual(["requested"]);
      expect((await call(app, "GET", "/v1/withdrawals", { cookie: w.cookie })).body.items).toEqual([expect.objectContaining({ id: rows[0]!.id, status: "requested" })]);
    });
  });

  describe("withdrawal rejection", () => {
    const rejectedWrite = /UPDATE withdrawals SET status = 'rejected'/;

    it("retried with its key: the hold is voided once and the withdrawal is rejected", async () => {
      const enterprise = app.key("demo enterprise 0002");
      const w = await withdraw(enterprise, 1_100);
      faults.arm({ kind: "fail", match: rejectedWrite });
      const path = `/v1/withdrawals/${w.id}/reject`;
      const first = await call(app, "POST", path, { key: operator, body: { reason: "name mismatch" }, headers: idem("reject-1") });
      expect(first.status).toBe(500);
      expect((await withdrawalRow(w.id))?.status).toBe("rejecting");
      expect((await transfer(`withdrawal-void:${w.id}`))?.kind).toBe("void");
      const retry = await call(app, "POST", path, { key: operator, body: { reason: "name mismatch" }, headers: idem("reject-1") });
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ id: w.id, status: "rejected", statusReason: "name mismatch" });
      expect((await withdrawalRow(w.id))?.status).toBe("rejected");
    });

    it("without a key: the sweeper finishes it", async () => {
      const enterprise = app.key("demo enterprise 0002");
      const w = await withdraw(enterprise, 1_200);
      faults.arm({ kind: "fail", match: rejectedWrite });
      expect((await call(app, "POST", `/v1/withdrawals/${w.id}/reject`, { key: operator, body: { reason: "duplicate request" } })).status).toBe(500);
      expect((await withdrawalRow(w.id))?.status).toBe("rejecting");
      expect((await sweep()).completed).toBeGreaterThanOrEqual(1);
      expect(await withdrawalRow(w.id)).toMatchObject({ status: "rejected", status_reason: "duplicate request" });
    });

    it("a reason the database refuses leaves the withdrawal requested with its hold in place (the hold is not released first)", async () => {
      const enterprise = app.key("demo enterprise 0002");
      const w = await withdraw(enterprise, 1_300);
      const bad = await call(app, "POST", `/v1/withdrawals/${w.id}/reject`, { key: operator, body: { reason: "bad\u0000reason" } });
      expect(bad.status).toBeGreaterThanOrEqual(400);
      expect((await withdrawalRow(w.id))?.status).toBe("requested");
      expect(await transfer(`withdrawal-void:${w.id}`)).toBeUndefined();
      // …so it can still be rejected cleanly.
      const good = await call(app, "POST", `/v1/withdrawals/${w.id}/reject`, { key: operator, body: { reason: "bad reason" } });
      expect(good.body).toMatchObject({ status: "rejected", statusReason: "bad reason" });
      expect((await sweep()).kept).toBe(0);
    });
  });

  describe("payout batch", () => {
    const paidWrite = /UPDATE withdrawals SET status = 'paid'/;

    it("retried with its key: each hold is posted once and the batch is recorded once", async () => {
      const enterprise = app.key("demo enterprise 0003");
      await fund(enterprise, 20_000);
      const ws = [await withdraw(enterprise, 2_000), await withdraw(enterprise, 3_000)];
      const body = { withdrawalIds: ws.map((w) => w.id) };
      faults.arm({ kind: "fail", match: paidWrite });
      const first = await call(app, "POST", "/v1/payout-batches", { key: operator, body, headers: idem("batch-1") });
      expect(first.status).toBe(500);
      for (const w of ws) {
        expect((await withdrawalRow(w.id))?.status).toBe("paying");
        expect((await transfer(`withdrawal-paid:${w.id}`))?.kind).toBe("post");
      }
      const retry = await call(app, "POST", "/v1/payout-batches", { key: operator, body, headers: idem("batch-1") });
      expect(retry.status).toBe(201);
      expect(retry.body).toMatchObject({ status: "posted", count: 2, totalFen: 5_000 });
      expect(retry.body.withdrawals.map((w: { status: string }) => w.status)).toEqual(["paid", "paid"]);
      expect(await q(`SELECT id FROM payout_batches WHERE id = $1`, [retry.body.id])).toHaveLength(1);
      for (const w of ws) expect(await withdrawalRow(w.id)).toMatchObject({ status: "paid", batch_id: retry.body.id });
    });

    it("without a key: the sweeper finishes it", async () => {
      const enterprise = app.key("demo enterprise 0003");
      const w = await withdraw(enterprise, 1_500);
      faults.arm({ kind: "fail", match: paidWrite });
      expect((await call(app, "POST", "/v1/payout-batches", { key: operator, body: { withdrawalIds: [w.id] } })).status).toBe(500);
      expect((await withdrawalRow(w.id))?.status).toBe("paying");
      expect((await sweep()).completed).toBeGreaterThanOrEqual(1);
      const row = await withdrawalRow(w.id);
      expect(row?.status).toBe("paid");
      const batch = await call(app, "GET", `/v1/payout-batches/${row!.batch_id}`, { key: operator });
      expect(batch.body).toMatchObject({ status: "posted", count: 1, totalFen: 1_500 });
    });
  });

  it("leaves no claim open and the books balanced", async () => {
    await sweep();
    expect(await q(`SELECT key FROM idempotency_records WHERE status_code = 0`)).toEqual([]);
    expect(await q(`SELECT id FROM withdrawals WHERE status IN ('holding', 'rejecting', 'paying')`)).toEqual([]);
    expect(await q(`SELECT reference FROM top_ups WHERE status = 'confirming'`)).toEqual([]);
    const v = await call(app, "GET", "/v1/ledger/verify", { key: operator });
    expect(v.body).toMatchObject({ ok: true, invariants: { ok: true } });
  });
});
