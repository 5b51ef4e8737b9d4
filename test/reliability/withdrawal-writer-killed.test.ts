// The ledger writer's PostgreSQL backend is terminated while a withdrawal's hold is being written. The request cannot
// know whether its hold was stored: it must not answer "nothing happened", and a retry with the same Idempotency-Key must
// end with exactly one withdrawal and one hold, and describe them.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { faultySql, type FaultySql } from "../helpers/faulty-sql";
import { postgresUrl } from "../helpers/services";

// Process-instance locks carry this tag in their top bits (src/infra/instance.ts); every other advisory lock held while
// the app runs is the ledger writer's shard lock.
const INSTANCE_TAG = 0x5358;

describe.skipIf(!postgresUrl)("withdrawal while the ledger writer's backend is terminated (PostgreSQL)", () => {
  let app: TestApp;
  let faults: FaultySql;
  let enterprise: string;
  let wallet: string;
  const bank = { bankAccountName: "重庆山城物流仓储有限公司", bankName: "中国建设银行重庆分行", bankAccountNumber: "5000 1234 5678 9012" };

  beforeAll(async () => {
    app = await startTestApp({ name: "postgres", url: postgresUrl }, {
      wrapDatabase: (db) => {
        faults = faultySql(db);
        return faults.db;
      },
    });
    enterprise = app.key("demo enterprise 0002");
    const operator = app.key("demo operator");
    const t = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 100_000 } });
    await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 100_000, bankTransactionId: "KILL-FUND" } });
    wallet = t.body.accountId;
  });
  afterAll(async () => app?.close());

  const q = async <R = Record<string, unknown>>(text: string, params: unknown[] = []) => (await app.database.db.sql.query<R>(text, params)).rows;

  async function writerPid(): Promise<number> {
    const rows = await q<{ pid: number }>(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND (classid::bigint >> 15) <> $1`,
      [INSTANCE_TAG],
    );
    expect(rows).toHaveLength(1);
    return rows[0]!.pid;
  }

  /** Retries with the same key while the answer is "not yet" (writer rebuilding, request in progress). */
  async function retry(body: object, key: string) {
    for (;;) {
      const r = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body, headers: { "idempotency-key": key } });
      if (r.status !== 503 && !(r.status === 409 && r.body.code === "idempotency_in_progress")) return r;
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  async function expectOneWithdrawalAndHold(answer: { id: string; amountFen: number; status: string }, amountFen: number) {
    const rows = await q<{ id: string; status: string; amount_fen: bigint }>(`SELECT id, status, amount_fen FROM withdrawals WHERE account_id = $1 AND amount_fen = $2`, [wallet, amountFen]);
    expect(rows).toEqual([{ id: answer.id, status: "requested", amount_fen: BigInt(amountFen) }]);
    const holds = await q<{ id: string; amount: bigint }>(`SELECT id, amount FROM ledger_transfers WHERE kind = 'pending' AND debit_account_id = $1 AND amount = $2`, [wallet, amountFen]);
    expect(holds).toEqual([{ id: `withdrawal:${answer.id}`, amount: BigInt(amountFen) }]);
    expect(answer).toMatchObject({ status: "requested", amountFen });
  }

  it("terminated while its append waits on a lock (nothing stored): the retry places the one hold", async () => {
    const locker = new pg.Client({ connectionString: app.database.url });
    await locker.connect();
    await locker.query("BEGIN");
    await locker.query(`LOCK TABLE ledger_transfers IN SHARE MODE`);
    const body = { amountFen: 1_111, ...bank };
    const first = call(app, "POST", "/v1/withdrawals", { key: enterprise, body, headers: { "idempotency-key": "killed-1" } });
    const pid = await writerPid();
    for (;;) {
      const r = await q<{ wait_event_type: string | null }>(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]);
      if (r[0]?.wait_event_type === "Lock") break;
      await new Promise((res) => setTimeout(res, 5));
    }
    await q(`SELECT pg_terminate_backend($1)`, [pid]);
    await locker.query("ROLLBACK");
    await locker.end();

    const answer = await first;
    expect(answer.status).toBe(503);
    expect(answer.body.detail).toMatch(/unknown|unavailable/);
    expect((await q<{ status_code: number }>(`SELECT status_code FROM idempotency_records WHERE key = 'killed-1'`))[0]?.status_code).toBe(0);

    const r = await retry(body, "killed-1");
    expect(r.status).toBe(201);
    await expectOneWithdrawalAndHold(r.body, 1_111);
    const replay = await retry(body, "killed-1");
    expect(replay.body.id).toBe(r.body.id);
  });

  it("terminated after its append committed but before the answer (hold stored, outcome unknown): the retry finds it", async () => {
    faults.arm({
      kind: "lose",
      match: /INSERT INTO "ledger_transfers"/,
      after: async () => {
        await q(`SELECT pg_terminate_backend($1)`, [await writerPid()]);
      },
    });
    const body = { amountFen: 2_222, ...bank };
    const answer = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body, headers: { "idempotency-key": "killed-2" } });
    expect(faults.fired()).toBe(true);
    expect(answer.status).toBe(503);
    expect(answer.body.detail).toMatch(/unknown/);
    // The hold is in the ledger though the request could not know it.
    expect(await q(`SELECT id FROM ledger_transfers WHERE kind = 'pending' AND debit_account_id = $1 AND amount = 2222`, [wallet])).toHaveLength(1);

    const r = await retry(body, "killed-2");
    expect(r.status).toBe(201);
    await expectOneWithdrawalAndHold(r.body, 2_222);
  });

  it("keeps the books consistent", async () => {
    const v = await call(app, "GET", "/v1/ledger/verify", { key: app.key("demo operator") });
    expect(v.body).toMatchObject({ ok: true, invariants: { ok: true } });
    expect(await q(`SELECT id FROM withdrawals WHERE status = 'holding'`)).toEqual([]);
  });
});
