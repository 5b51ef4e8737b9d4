// The routes the operator console reads besides reconciliation's own, over real HTTP on PGlite and PostgreSQL:
// payout batches listed with their withdrawals, the per-contract statement CSV (the escrow account's movements,
// through the one CSV writer), the disputes queue, and the chart series (daily cash volume, exceptions per day,
// wage-arrears buckets). Operators read them; organisations get 403; bad input names its field.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shanghaiDate } from "../../src/parties";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

const MARKET = (() => {
  const d = new Date(Date.now() + 3 * 86_400_000);
  return `welder.500107.${shanghaiDate(d.getTime())}.D1`;
})();

describe.each(backends)("console routes on $name", (backend) => {
  let app: TestApp;
  let operator: string;
  let regulator: string;
  let ent: string;
  let agency: string;
  const today = shanghaiDate(Date.now());

  beforeAll(async () => {
    app = await startTestApp(backend, { contractLoops: false });
    operator = app.key("demo operator");
    regulator = app.key("demo regulator");
    ent = app.key("demo enterprise 0001");
    agency = app.key("demo agency 0004");
    const t = await call(app, "POST", "/v1/top-ups", { key: ent, body: { amountFen: 500_000 } });
    expect((await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 500_000, bankTransactionId: "BANK-CON-1" } })).status).toBe(200);
  });
  afterAll(async () => app?.close());

  it("lists payout batches newest first with their withdrawals; operators and regulators only", async () => {
    const bank = { bankAccountName: "重庆山城物流仓储有限公司", bankName: "中国建设银行重庆分行", bankAccountNumber: "5000-1234-5678-9012" };
    const ids: string[] = [];
    for (const fen of [1_000, 2_000]) {
      const w = await call(app, "POST", "/v1/withdrawals", { key: ent, body: { amountFen: fen, ...bank } });
      expect(w.status).toBe(201);
      ids.push(w.body.id);
    }
    const first = await call(app, "POST", "/v1/payout-batches", { key: operator, body: { withdrawalIds: [ids[0]] } });
    const second = await call(app, "POST", "/v1/payout-batches", { key: operator, body: { withdrawalIds: [ids[1]] } });
    expect(second.status).toBe(201);
    const page1 = await call(app, "GET", "/v1/payout-batches?limit=1", { key: operator });
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((b: any) => [b.id, b.count, b.totalFen, b.status, b.withdrawals.map((w: any) => w.id)])).toEqual([[second.body.id, 1, 2_000, "posted", [ids[1]]]]);
    const page2 = await call(app, "GET", `/v1/payout-batches?limit=1&cursor=${encodeURIComponent(page1.body.next)}`, { key: regulator });
    expect(page2.body.items.map((b: any) => b.id)).toEqual([first.body.id]);
    expect((await call(app, "GET", "/v1/payout-batches", { key: ent })).status).toBe(403);
  });

  it("exports a contract's statement: every movement of its escrow account, with running totals", async () => {
    expect((await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: MARKET, quantity: 2, rateFen: 3000 } })).status).toBe(201);
    const fill = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market: MARKET, quantity: 2, rateFen: 3000 } });
    expect(fill.status, JSON.stringify(fill.body)).toBe(201);
    const contractId = fill.body.fills[0].contractId as string;
    const res = await fetch(`${app.baseUrl}/v1/reconciliation/exports/contract-statement.csv?contractId=${contractId}`, { headers: { authorization: `Bearer ${operator}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="contract-${contractId}-statement.csv"`);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // Excel reads UTF-8 only with the byte order mark
    const body = bytes.toString("utf8");
    const lines = body.split("\r\n");
    expect(lines[0]).toBe("\uFEFFat,transfer_id,kind,code,direction,counterparty_account_id,amount_fen,debits_posted_fen,credits_posted_fen,balance_fen,user_data");
    const rows = lines.slice(1).filter((l) => l !== "").map((l) => l.split(","));
    expect(rows.length).toBeGreaterThan(0);
    // the fill put two seats' escrow in: 2 × (8 h × 30 yuan + 5 % fee)
    const last = rows[rows.length - 1]!;
    expect(Number(last[9])).toBe(2 * (24_000 + 1_200));
    expect(rows.every((r) => r[4] === "credit" || r[4] === "debit")).toBe(true);

    expect((await call(app, "GET", "/v1/reconciliation/exports/contract-statement.csv?contractId=ctr_nope", { key: operator })).status).toBe(404);
    const bad = await call(app, "GET", "/v1/reconciliation/exports/contract-statement.csv?contractId=a%20b", { key: operator });
    expect(bad.body).toMatchObject({ status: 400, field: "/querystring/contractId" });
    expect((await call(app, "GET", `/v1/reconciliation/exports/contract-statement.csv?contractId=${contractId}`, { key: ent })).status).toBe(403);
  });

  it("the disputes queue is the operators' (and the regulator's to read)", async () => {
    const q = await call(app, "GET", "/v1/disputes", { key: operator });
    expect(q.status).toBe(200);
    expect(q.body).toEqual({ items: [], next: null });
    expect((await call(app, "GET", "/v1/disputes", { key: regulator })).status).toBe(200);
    expect((await call(app, "GET", "/v1/disputes", { key: ent })).status).toBe(403);
  });

  it("charts: a value per day of the range, exceptions per day and kind, arrears by age bucket; the range is checked", async () => {
    const r = await call(app, "GET", `/v1/console/charts?to=${today}`, { key: operator });
    expect(r.status).toBe(200);
    expect(r.body.volume.length).toBe(30);
    expect(r.body.volume.at(-1).date).toBe(today);
    // today's cash: the top-up (500 000), both withdrawals' posts (1 000 + 2 000); the fill's escrow moves as posted holds too
    expect(r.body.volume.at(-1).amountFen).toBeGreaterThanOrEqual(503_000);
    expect(r.body.volume.slice(0, -1).every((d: any) => d.amountFen === 0 && d.transfers === 0)).toBe(true);
    expect(r.body.arrears.map((a: any) => a.bucket)).toEqual(["0-3", "4-7", "8-30", "31+"]);
    expect(r.body.exceptions).toEqual([]);
    const backwards = await call(app, "GET", "/v1/console/charts?from=2026-12-05&to=2026-12-01", { key: operator });
    expect(backwards.body).toMatchObject({ status: 400, field: "/querystring/from" });
    const tooLong = await call(app, "GET", "/v1/console/charts?from=2024-01-01&to=2026-12-01", { key: operator });
    expect(tooLong.body).toMatchObject({ status: 400, field: "/querystring/from" });
    expect((await call(app, "GET", "/v1/console/charts?to=2026-02-30", { key: operator })).status).toBe(400);
    expect((await call(app, "GET", "/v1/console/charts", { key: regulator })).status).toBe(200);
    expect((await call(app, "GET", "/v1/console/charts", { key: agency })).status).toBe(403);
  });

  it("serves the console's pages and assets itself, under the CSP", async () => {
    for (const path of ["/console/login", "/console", "/console/disputes", "/console/ledger", "/console/payments", "/console/charts"]) {
      const res = await fetch(`${app.baseUrl}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
      const html = await res.text();
      expect(html).toContain('<html lang="zh-CN">');
      expect(html).not.toMatch(/https?:\/\//);
    }
    expect(await (await fetch(`${app.baseUrl}/console/charts`)).text()).toMatch(/\/assets\/vendor\/echarts-6\.1\.0\.min\.js/);
    const js = await fetch(`${app.baseUrl}/assets/console.js`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await js.text()).toContain('renderMode: "richText"');
  });
});
