// A payout batch larger than the ledger writer takes in one call (8,190 transfers) is posted in chunks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CNY, platformAccountId } from "../../src/ledger";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

const COUNT = 8_200;

describe.each(backends)("a payout batch of %s withdrawals on $name".replace("%s", String(COUNT)), (backend) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backend);
  });
  afterAll(async () => app?.close());

  it("pays every withdrawal once, in one batch", async () => {
    const operator = app.key("demo operator");
    const enterprise = app.key("demo enterprise 0001");
    const t = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: COUNT * 100 } });
    await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: COUNT * 100, bankTransactionId: "BIG-1" } });
    const wallet: string = t.body.accountId;
    const orgId: string = t.body.organisationId;
    // 8,200 requested withdrawals with their holds, written directly (8,200 HTTP requests would only slow the test down).
    const ids = Array.from({ length: COUNT }, (_, i) => `wdr_big_${String(i).padStart(5, "0")}`);
    await app.database.db.sql.query(
      `INSERT INTO withdrawals (id, organisation_id, account_id, amount_fen, bank_account_name, bank_name, bank_account_number, status, hold_transfer_id, created_at, updated_at)
       SELECT id, $2, $3, 100, '重庆两江精密制造有限公司', '中国工商银行重庆分行', '6222000011112222', 'requested', 'withdrawal:' || id, now(), now()
         FROM unnest($1::text[]) AS id`,
      [ids, orgId, wallet],
    );
    for (let i = 0; i < COUNT; i += 4_000) {
      const out = await app.built.ledger.createTransfers(
        ids.slice(i, i + 4_000).map((id) => ({ id: `withdrawal:${id}`, kind: "pending" as const, debitAccountId: wallet, creditAccountId: platformAccountId("clearing"), amount: 100n, ledger: CNY, code: "withdrawal", userData: id })),
      );
      expect(out.results.every((r) => r === "ok")).toBe(true);
    }

    const batch = await call(app, "POST", "/v1/payout-batches", { key: operator, body: {} });
    expect(batch.status).toBe(201);
    expect(batch.body).toMatchObject({ status: "posted", count: COUNT, totalFen: COUNT * 100 });
    const rows = await app.database.db.sql.query<{ status: string; n: bigint }>(`SELECT status::text, count(*) AS n FROM withdrawals WHERE account_id = $1 GROUP BY status`, [wallet]);
    expect(rows.rows).toEqual([{ status: "paid", n: BigInt(COUNT) }]);
    const posts = await app.database.db.sql.query<{ n: bigint }>(`SELECT count(*) AS n FROM ledger_transfers WHERE kind = 'post' AND id LIKE 'withdrawal-paid:wdr_big_%'`);
    expect(posts.rows[0]!.n).toBe(BigInt(COUNT));
    const acct = (await call(app, "GET", `/v1/accounts/${encodeURIComponent(wallet)}`, { key: enterprise })).body;
    expect(acct).toMatchObject({ debitsPendingFen: 0, debitsPostedFen: COUNT * 100, availableFen: 0 });
  }, 120_000);
});
