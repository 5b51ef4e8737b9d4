// Reconciliation over HTTP against the real app: a bank statement imported, every kind of discrepancy planted between it and
// the ledger, a run that finds exactly those, a second run that changes nothing, corrections through suspense that balance
// the books, and a correction cut off between the ledger and the exception's row completed by its retry or the sweeper.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shanghaiDate } from "../../src/parties";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { faultySql, type FaultySql } from "../helpers/faulty-sql";
import { backends } from "../helpers/services";

const today = shanghaiDate(Date.now());
// Runs are cumulative to their date: tomorrow's covers today's movements even if the test crosses midnight.
const runDate = shanghaiDate(Date.now() + 86_400_000);

describe.each(backends)("reconciliation on $name", (backend) => {
  let app: TestApp;
  let faults: FaultySql;
  let operator: string;
  let enterprise: string;
  const refs: Record<string, string> = {};
  let batchId = "";

  const q = async <R = Record<string, unknown>>(text: string, params: unknown[] = []) => (await app.database.db.sql.query<R>(text, params)).rows;
  const csvUpload = (body: string | Buffer, query = "") =>
    fetch(`${app.baseUrl}/v1/reconciliation/imports${query}`, { method: "POST", headers: { authorization: `Bearer ${operator}`, "content-type": "text/csv" }, body }).then(async (r) => ({ status: r.status, body: await r.json() as any }));

  async function topUp(label: string, fen: number, bankTransactionId?: string): Promise<string> {
    const t = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: fen } });
    expect(t.status).toBe(201);
    refs[label] = t.body.reference;
    if (bankTransactionId) {
      const c = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: fen, bankTransactionId } });
      expect(c.status).toBe(200);
    }
    return t.body.reference;
  }

  beforeAll(async () => {
    app = await startTestApp(backend, {
      wrapDatabase: (db) => {
        faults = faultySql(db);
        return faults.db;
      },
    });
    operator = app.key("demo operator");
    enterprise = app.key("demo enterprise 0001");
    await topUp("A", 10_000, "BANK-A");
    await topUp("B", 5_000, "BANK-B");
    await topUp("C", 7_000, "BANK-C");
    await topUp("D", 3_000, "BANK-D");
    await topUp("E", 2_500, "BANK-E-TYPO");
    const bank = { bankAccountName: "重庆山城物流仓储有限公司", bankName: "中国建设银行重庆分行", bankAccountNumber: "5000-1234-5678-9012" };
    const w1 = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body: { amountFen: 1_000, ...bank } });
    const w2 = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body: { amountFen: 2_000, ...bank } });
    const batch = await call(app, "POST", "/v1/payout-batches", { key: operator, body: { withdrawalIds: [w1.body.id, w2.body.id] } });
    expect(batch.status).toBe(201);
    batchId = batch.body.id;
  });
  afterAll(async () => app?.close());

  const statement = () =>
    "\uFEFFtransaction_id,date,amount,counterparty,reference\r\n" +
    `BANK-A,${today},100.00,重庆某企业,货款 ${refs["A"]}\r\n` + // matched (tier 1)
    `BANK-B,${today},49.00,重庆某企业,${refs["B"]}\r\n` + // amount mismatch: the ledger credited 50.00
    `BANK-X,${today},12.34,不明来款,\r\n` + // missing in the ledger
    `BANK-D,${today},30.00,重庆某企业,${refs["D"]}\r\n` + // matched
    `BANK-D2,${today},30.00,重庆某企业,${refs["D"]}\r\n` + // the same payment reported twice: duplicate
    `BANK-P,${today},-30.00,代发,批量代付 ${batchId}\r\n` + // the payout batch as one line: matched by group and sum (tier 2)
    `BANK-E,${today},25.00,重庆某企业,\r\n`; // no id in common with the ledger's top-up E (confirmed as BANK-E-TYPO): a suggestion only
  // BANK-C is absent: top-up C is missing at the provider.

  it("refuses a bad statement naming the line and column, writing nothing", async () => {
    const r = await csvUpload(`transaction_id,date,amount\nOK-1,${today},1.00\nBAD-1,${today},12.345\n`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "validation_failed", field: "/body", line: 3, column: "amount" });
    expect(r.body.detail).toContain("line 3, column amount");
    expect(await q(`SELECT * FROM provider_records`)).toEqual([]);
    const gbk = await csvUpload(Buffer.from([0x74, 0x72, 0x61, 0x0a, 0xd6, 0xd8, 0x0a]));
    expect(gbk.status).toBe(400);
    expect(gbk.body.detail).toContain("gb18030");
    const json = await call(app, "POST", "/v1/reconciliation/imports", { key: operator, body: { lines: [] } });
    expect(json.status).toBe(415);
  });

  it("imports the statement once: the same file answers the same import, an overlapping one adds only its new lines", async () => {
    const first = await csvUpload(statement(), "?filename=icbc-20261201.csv");
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ provider: "offline", status: "imported", total: 7, done: 7, inserted: 7, alreadyImported: 0, filename: "icbc-20261201.csv" });
    const again = await csvUpload(statement());
    expect(again.body).toEqual(first.body);
    const overlap = await csvUpload(`transaction_id,date,amount\nBANK-A,${today},100.00\n`);
    expect(overlap.body).toMatchObject({ inserted: 0, alreadyImported: 1 });
    const conflict = await csvUpload(`transaction_id,date,amount\nBANK-NEW,${today},1.00\nBANK-A,${today},100.01\n`);
    expect(conflict.status).toBe(409);
    expect(conflict.body.transactionId).toBe("BANK-A");
    expect((await q(`SELECT id FROM provider_records WHERE id = 'BANK-NEW'`)).length).toBe(0);
    expect((await q(`SELECT id FROM provider_records`)).length).toBe(7);
    const list = await call(app, "GET", "/v1/reconciliation/imports?limit=1", { key: operator });
    expect(list.body.items.length).toBe(1);
    expect(list.body.next).not.toBeNull();
  });

  let runId = "";
  let exceptions: any[] = [];
  const kinds = () => exceptions.map((e) => [e.kind, e.ledgerIds, e.providerIds]);

  it("finds exactly the planted discrepancies, and explains the difference by them", async () => {
    const run = await call(app, "POST", "/v1/reconciliation/runs", { key: operator, body: { provider: "offline", date: runDate } });
    expect(run.status).toBe(201);
    runId = run.body.id;
    expect(run.body).toMatchObject({ provider: "offline", date: runDate, matched: 3, exceptions: 6, suggestions: 2, unchanged: false });
    const list = await call(app, "GET", "/v1/reconciliation/exceptions?provider=offline&status=open", { key: operator });
    exceptions = list.body.items;
    expect(kinds()).toEqual(
      expect.arrayContaining([
        ["amount_mismatch", [`topup:${refs["B"]}`], ["BANK-B"]],
        ["missing_at_provider", [`topup:${refs["C"]}`], []],
        ["missing_in_ledger", [], ["BANK-X"]],
        ["duplicate", [], ["BANK-D2"]],
        ["missing_at_provider", [`topup:${refs["E"]}`], []],
        ["missing_in_ledger", [], ["BANK-E"]],
      ]),
    );
    expect(exceptions.length).toBe(6);
    const e = exceptions.find((x) => x.ledgerIds[0] === `topup:${refs["E"]}`);
    const bankE = exceptions.find((x) => x.providerIds[0] === "BANK-E");
    expect(e.suggestedExceptionId).toBe(bankE.id);
    expect(bankE.suggestedExceptionId).toBe(e.id);
    const [totals] = run.body.totals;
    // ledger: top-ups 100+50+70+30+25, payouts -30; bank: 100+49+12.34+30+30-30+25
    expect(totals).toMatchObject({ currency: "CNY", ledgerFen: 24_500, providerFen: 21_634, differenceFen: -2_866, openExceptionsFen: -2_866, unexplainedFen: 0, openExceptions: 6 });
    expect(exceptions.reduce((s, x) => s + x.effectFen, 0)).toBe(totals.differenceFen);
    const items = await call(app, "GET", `/v1/reconciliation/runs/${runId}/items?kind=matched`, { key: operator });
    expect(items.body.items.map((i: any) => [i.tier, i.providerIds])).toEqual(expect.arrayContaining([[1, ["BANK-A"]], [1, ["BANK-D"]], [2, ["BANK-P"]]]));
  });

  it("a second run on the same data changes nothing", async () => {
    const snapshot = async () => ({
      runs: await q(`SELECT id FROM reconciliation_runs ORDER BY id`),
      items: await q(`SELECT count(*)::int AS n FROM reconciliation_items`),
      exceptions: await q(`SELECT id, status, effect_fen, last_run_id, updated_at FROM reconciliation_exceptions ORDER BY id`),
      settled: await q(`SELECT count(*)::int AS n FROM reconciliation_settled_identifiers`),
    });
    const before = await snapshot();
    const again = await call(app, "POST", "/v1/reconciliation/runs", { key: operator, body: { provider: "offline", date: runDate } });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: runId, unchanged: true });
    expect(await snapshot()).toEqual(before);
    const earlier = await call(app, "POST", "/v1/reconciliation/runs", { key: operator, body: { provider: "offline", date: today < runDate ? "2026-01-01" : today } });
    expect(earlier.status).toBe(409);
    expect(earlier.body.field).toBe("/body/date");
  });

  it("keeps owner and notes, pages the queue, and lets only operators in", async () => {
    const b = exceptions.find((x) => x.kind === "amount_mismatch");
    const assigned = await call(app, "POST", `/v1/reconciliation/exceptions/${b.id}/assign`, { key: operator, body: { owner: "王芳" } });
    expect(assigned.body.owner).toBe("王芳");
    const noted = await call(app, "POST", `/v1/reconciliation/exceptions/${b.id}/notes`, { key: operator, body: { body: "银行扣了 1 元手续费" } });
    expect(noted.body.notes.map((n: any) => n.body)).toEqual(["银行扣了 1 元手续费"]);
    expect(noted.body.ageDays).toBe(0);
    const page = await call(app, "GET", "/v1/reconciliation/exceptions?limit=4", { key: operator });
    expect(page.body.items.length).toBe(4);
    const rest = await call(app, "GET", `/v1/reconciliation/exceptions?limit=4&cursor=${page.body.next}`, { key: operator });
    expect(rest.body.items.length).toBe(2);
    expect(rest.body.next).toBeNull();
    expect((await call(app, "GET", "/v1/reconciliation/exceptions?owner=王芳", { key: operator })).body.items.map((e: any) => e.id)).toEqual([b.id]);
    for (const key of [enterprise, app.key("demo regulator")]) {
      expect((await call(app, "GET", "/v1/reconciliation/exceptions", { key })).status).toBe(403);
      expect((await call(app, "POST", `/v1/reconciliation/exceptions/${b.id}/resolve`, { key, body: { action: "correct" } })).status).toBe(403);
    }
    const missing = await call(app, "GET", "/v1/reconciliation/exceptions/rex_nope", { key: operator });
    expect(missing.status).toBe(404);
  });

  it("a correction cut off after the ledger step is completed by its retry: one transfer through suspense", async () => {
    const x = exceptions.find((e) => e.kind === "missing_in_ledger" && e.providerIds[0] === "BANK-X");
    faults.arm({ kind: "fail", match: /SET "status" = 'resolved'/ });
    const first = await call(app, "POST", `/v1/reconciliation/exceptions/${x.id}/resolve`, { key: operator, body: { action: "correct" }, headers: { "idempotency-key": "fix-x" } });
    expect(faults.fired()).toBe(true);
    expect(first.status).toBe(500);
    const transfer = await q<{ id: string; debit_account_id: string; credit_account_id: string; amount: bigint }>(`SELECT id, debit_account_id, credit_account_id, amount FROM ledger_transfers WHERE id LIKE $1`, [`reconciliation:${x.id}:%`]);
    expect(transfer).toEqual([{ id: `reconciliation:${x.id}:1`, debit_account_id: "platform:clearing:CNY", credit_account_id: "platform:suspense:CNY", amount: 1_234n }]);
    expect((await call(app, "GET", `/v1/reconciliation/exceptions/${x.id}`, { key: operator })).body.status).toBe("resolving");
    const retry = await call(app, "POST", `/v1/reconciliation/exceptions/${x.id}/resolve`, { key: operator, body: { action: "correct" }, headers: { "idempotency-key": "fix-x" } });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ status: "resolved", resolution: "correction", correctionTransferId: `reconciliation:${x.id}:1`, correctionFen: 1_234 });
    const again = await call(app, "POST", `/v1/reconciliation/exceptions/${x.id}/resolve`, { key: operator, body: { action: "correct" } });
    expect(again.status).toBe(200);
    expect((await q(`SELECT id FROM ledger_transfers WHERE id LIKE $1`, [`reconciliation:${x.id}:%`])).length).toBe(1);
  });

  it("without a retry, the sweeper completes a cut-off correction", async () => {
    const c = exceptions.find((e) => e.kind === "missing_at_provider" && e.ledgerIds[0] === `topup:${refs["C"]}`);
    faults.arm({ kind: "fail", match: /SET "status" = 'resolved'/ });
    const first = await call(app, "POST", `/v1/reconciliation/exceptions/${c.id}/resolve`, { key: operator, body: { action: "correct" } });
    expect(first.status).toBe(500);
    expect((await app.built.services.idempotency.sweep()).completed).toBeGreaterThanOrEqual(1);
    const now = await call(app, "GET", `/v1/reconciliation/exceptions/${c.id}`, { key: operator });
    expect(now.body).toMatchObject({ status: "resolved", correctionFen: -7_000 });
    expect(await q(`SELECT debit_account_id, credit_account_id, amount FROM ledger_transfers WHERE id LIKE $1`, [`reconciliation:${c.id}:%`])).toEqual([
      { debit_account_id: "platform:suspense:CNY", credit_account_id: "platform:clearing:CNY", amount: 7_000n },
    ]);
  });

  it("resolving every exception (corrections through suspense, the suggested pair matched) brings the control totals to zero", async () => {
    const pending = exceptions.filter((e) => !["BANK-X"].includes(e.providerIds[0]) && e.ledgerIds[0] !== `topup:${refs["C"]}`);
    const e = pending.find((x) => x.ledgerIds[0] === `topup:${refs["E"]}`);
    const matched = await call(app, "POST", `/v1/reconciliation/exceptions/${e.id}/resolve`, { key: operator, body: { action: "match" } });
    expect(matched.status).toBe(200);
    expect(matched.body).toMatchObject({ status: "resolved", resolution: "match", matchedWith: e.suggestedExceptionId });
    const wrong = exceptions.find((x) => x.kind === "duplicate");
    expect((await call(app, "POST", `/v1/reconciliation/exceptions/${wrong.id}/resolve`, { key: operator, body: { action: "match", with: exceptions.find((x) => x.ledgerIds[0] === `topup:${refs["C"]}`).id } })).status).toBe(422);
    for (const x of pending.filter((p) => p.kind === "amount_mismatch" || p.kind === "duplicate")) {
      const r = await call(app, "POST", `/v1/reconciliation/exceptions/${x.id}/resolve`, { key: operator, body: { action: "correct" } });
      expect(r.status).toBe(200);
      expect(r.body.status).toBe("resolved");
    }
    const totals = await call(app, "GET", `/v1/reconciliation/control-totals?provider=offline&date=${runDate}`, { key: operator });
    expect(totals.status).toBe(200);
    expect(totals.body.totals).toEqual([expect.objectContaining({ currency: "CNY", differenceFen: 0, openExceptionsFen: 0, unexplainedFen: 0, openExceptions: 0 })]);
    // the books: suspense holds what the corrections moved (12.34 in, 70 out, 1 out, 30 in)
    const suspense = await call(app, "GET", "/v1/accounts/platform:suspense:CNY", { key: operator });
    expect(suspense.body.creditsPostedFen - suspense.body.debitsPostedFen).toBe(1_234 - 7_000 - 100 + 3_000);
    const run = await call(app, "POST", "/v1/reconciliation/runs", { key: operator, body: { provider: "offline", date: runDate } });
    expect(run.body).toMatchObject({ unchanged: false, exceptions: 0 });
    expect(run.body.totals[0]).toMatchObject({ differenceFen: 0, openExceptionsFen: 0 });
    const open = await call(app, "GET", "/v1/reconciliation/exceptions?status=open", { key: operator });
    expect(open.body.items).toEqual([]);
    const resolved = await call(app, "GET", "/v1/reconciliation/exceptions?status=resolved", { key: operator });
    expect(resolved.body.items.length).toBe(6);
    const third = await call(app, "POST", "/v1/reconciliation/runs", { key: operator, body: { provider: "offline", date: runDate } });
    expect(third.body).toMatchObject({ id: run.body.id, unchanged: true });
  });

  it("a movement that shows up after its match is a duplicate; a new bank line is found by the next run", async () => {
    const late = await csvUpload(`transaction_id,date,amount,reference\nBANK-A-AGAIN,${today},100.00,${refs["A"]}\nBANK-Y,${today},5.00,\n`);
    expect(late.body.inserted).toBe(2);
    const run = await call(app, "POST", "/v1/reconciliation/runs", { key: operator, body: { provider: "offline", date: runDate } });
    expect(run.body.exceptions).toBe(2);
    const open = (await call(app, "GET", "/v1/reconciliation/exceptions?status=open", { key: operator })).body.items;
    expect(open.map((e: any) => [e.kind, e.providerIds])).toEqual(expect.arrayContaining([["duplicate", ["BANK-A-AGAIN"]], ["missing_in_ledger", ["BANK-Y"]]]));
    expect(run.body.totals[0]).toMatchObject({ differenceFen: 10_500, openExceptionsFen: 10_500, unexplainedFen: 0 });
  });

  it("answers control totals of a date a later run went past from that date's own run, never from today's scope", async () => {
    const past = await call(app, "GET", `/v1/reconciliation/control-totals?provider=offline&date=${today}`, { key: operator });
    expect(past.status).toBe(409);
    expect(past.body).toMatchObject({ field: "/querystring/date", latestDate: runDate });
    const own = await call(app, "GET", `/v1/reconciliation/control-totals?provider=offline&date=${runDate}`, { key: operator });
    expect(own.body.totals[0]).toMatchObject({ unexplainedFen: 0 });
  });

  it("exports the trial balance and the day's transfers as CSV", async () => {
    const tb = await fetch(`${app.baseUrl}/v1/reconciliation/exports/trial-balance.csv?date=${runDate}`, { headers: { authorization: `Bearer ${operator}` } });
    expect(tb.status).toBe(200);
    expect(tb.headers.get("content-type")).toContain("text/csv");
    const text = (await tb.text()).replace(/^\uFEFF/, "");
    const rows = text.trim().split("\r\n").map((l) => l.split(","));
    expect(rows[0]).toEqual(["account_id", "ledger", "code", "owner_id", "debits_posted_fen", "credits_posted_fen", "balance_fen"]);
    const total = rows.find((r) => r[0] === "TOTAL CNY")!;
    expect(total[4]).toBe(total[5]); // Σ debits = Σ credits
    expect(total[6]).toBe("0");
    const suspense = rows.find((r) => r[0] === "platform:suspense:CNY")!;
    expect(Number(suspense[6])).toBe(1_234 - 7_000 - 100 + 3_000);
    const day = await fetch(`${app.baseUrl}/v1/reconciliation/exports/transfers.csv?date=${today}`, { headers: { authorization: `Bearer ${operator}` } });
    const lines = (await day.text()).replace(/^\uFEFF/, "").trim().split("\r\n");
    expect(lines[0]).toBe("at,transfer_id,kind,code,debit_account_id,credit_account_id,amount_fen,ledger,pending_id,user_data");
    expect(lines.some((l) => l.includes(`topup:${refs["A"]}`))).toBe(true);
    const bad = await call(app, "GET", "/v1/reconciliation/exports/transfers.csv?date=2026-02-30", { key: operator });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("/querystring/date");
  });

  it("reports progress of a long import, chunk by chunk", async () => {
    const lines = Array.from({ length: 1_234 }, (_, i) => `LONG-${i},${today},${(i + 1).toString()}.00,`);
    const seen: Array<[number, number]> = [];
    const principal = { role: "operator" as const, organisationId: null, workerId: null, credentialId: "cli", callerId: "cli" };
    const view = await app.built.services.reconciliation.importStatement(principal, { bytes: Buffer.from(`transaction_id,date,amount,reference\n${lines.join("\n")}\n`) }, (p) => seen.push([p.done, p.total]));
    expect(view).toMatchObject({ total: 1_234, inserted: 1_234, status: "imported" });
    expect(seen).toEqual([[0, 1_234], [500, 1_234], [1_000, 1_234], [1_234, 1_234]]);
  });
});
