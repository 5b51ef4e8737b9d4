// Idempotency claims: fencing tokens, takeover of claims whose process is gone, secrets never stored, retention.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestHash } from "../../src/http/idempotency";
import { createClaimsRepository } from "../../src/infra/claims";
import { openProcessInstance } from "../../src/infra/instance";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { faultySql, type FaultySql } from "../helpers/faulty-sql";
import { backends } from "../helpers/services";

const HOUR = 3_600_000;

/** Polls until `check` holds; the suite's timeout bounds it (no timing is asserted). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}

describe.each(backends)("idempotency claims on $name", (backend) => {
  let app: TestApp;
  let faults: FaultySql;
  const clock = fixedClock(new Date());
  let operator: string;
  const bank = { bankAccountName: "重庆渝才人力资源服务有限公司", bankName: "中国建设银行重庆分行", bankAccountNumber: "6217 0000 1111 2222" };

  beforeAll(async () => {
    app = await startTestApp(backend, {
      clock,
      wrapDatabase: (db) => {
        faults = faultySql(db);
        return faults.db;
      },
    });
    operator = app.key("demo operator");
  });
  afterAll(async () => app?.close());

  const q = async <R = Record<string, unknown>>(text: string, params: unknown[] = []) => (await app.database.db.sql.query<R>(text, params)).rows;
  const record = async (key: string) =>
    (await q<{ caller: string; status_code: number; token: bigint; secret: boolean; response_body: unknown; owner_instance: bigint | null }>(
      `SELECT * FROM idempotency_records WHERE key = $1`,
      [key],
    ))[0];
  const idem = (key: string) => ({ "idempotency-key": key });

  async function fund(key: string, fen: number): Promise<string> {
    const t = await call(app, "POST", "/v1/top-ups", { key, body: { amountFen: fen } });
    const c = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: fen, bankTransactionId: `F-${t.body.reference}` } });
    expect(c.status).toBe(200);
    return t.body.accountId;
  }

  it("never stores a response that holds a secret: a replay says the secret was shown once", async () => {
    const staff = await call(app, "POST", "/v1/api-keys", { key: operator, body: { role: "regulator", label: "auditor" }, headers: idem("staff-key-1") });
    expect(staff.status).toBe(201);
    const enterpriseId = app.demo.keys.find((k) => k.label === "demo enterprise 0001")!.organisationId!;
    const own = await call(app, "POST", `/v1/organisations/${enterpriseId}/api-keys`, { key: app.key("demo enterprise 0001"), body: { label: "pos" }, headers: idem("org-key-1") });
    expect(own.status).toBe(201);
    for (const [key, issued] of [["staff-key-1", staff.body.apiKey], ["org-key-1", own.body.apiKey]] as const) {
      expect(issued).toMatch(/^sx_/);
      expect(await record(key)).toMatchObject({ status_code: 201, secret: true, response_body: null });
      expect(await q(`SELECT key FROM idempotency_records WHERE response_body::text LIKE $1`, [`%${issued}%`])).toEqual([]);
    }
    const replay = await call(app, "POST", "/v1/api-keys", { key: operator, body: { role: "regulator", label: "auditor" }, headers: idem("staff-key-1") });
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({ code: "secret_shown_once", field: "/headers/idempotency-key" });
    expect(JSON.stringify(replay.body)).not.toContain(staff.body.apiKey);
    const again = await call(app, "POST", `/v1/organisations/${enterpriseId}/api-keys`, { key: app.key("demo enterprise 0001"), body: { label: "pos" }, headers: idem("org-key-1") });
    expect(again.body.code).toBe("secret_shown_once");
    // The keys themselves work: they were issued once.
    expect((await call(app, "GET", "/v1/me", { key: staff.body.apiKey })).body.role).toBe("regulator");
  });

  it("fences a claim taken over after the takeover time: the first handler can neither store its answer nor make a second withdrawal", async () => {
    const enterprise = app.key("demo enterprise 0002");
    const wallet = await fund(enterprise, 10_000);
    const body = { amountFen: 1_000, ...bank };
    // Handler A places the withdrawal row, then its hold waits in the ledger writer's append.
    faults.arm({ kind: "wait", match: /INSERT INTO "ledger_transfers"/ });
    const a = call(app, "POST", "/v1/withdrawals", { key: enterprise, body, headers: idem("fenced-1") });
    await faults.reached();
    // Past the takeover time a retry takes the claim over (token 2) while A still runs.
    clock.advance(app.config.idempotency.takeoverSeconds * 1000 + 1);
    const b = call(app, "POST", "/v1/withdrawals", { key: enterprise, body, headers: idem("fenced-1") });
    await until(async () => (await record("fenced-1"))?.token === 2n);
    faults.release();
    const [ra, rb] = await Promise.all([a, b]);

    expect(rb.status).toBe(201);
    expect(ra.status).toBe(409);
    expect(ra.body.code).toBe("idempotency_in_progress");
    const rows = await q<{ id: string; status: string }>(`SELECT id, status FROM withdrawals WHERE account_id = $1`, [wallet]);
    expect(rows).toEqual([{ id: rb.body.id, status: "requested" }]);
    expect(await q(`SELECT id FROM ledger_transfers WHERE kind = 'pending' AND debit_account_id = $1`, [wallet])).toEqual([{ id: `withdrawal:${rb.body.id}` }]);
    const stored = await record("fenced-1");
    expect(stored).toMatchObject({ status_code: 201, token: 2n });
    expect((stored!.response_body as { id: string }).id).toBe(rb.body.id);
    const replay = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body, headers: idem("fenced-1") });
    expect(replay.body.id).toBe(rb.body.id);
  });

  it("takes over at once a claim whose process no longer runs, and completes what that process stored", async () => {
    const enterprise = app.key("demo enterprise 0003");
    const wallet = await fund(enterprise, 10_000);
    const body = { amountFen: 2_500, ...bank };
    // A request stops between its hold and its final write…
    faults.arm({ kind: "fail", match: /SET status = 'requested', updated_at/ });
    expect((await call(app, "POST", "/v1/withdrawals", { key: enterprise, body, headers: idem("orphan-1") })).status).toBe(500);
    // …and its claim belongs to another process (as if that process had died before it could release it).
    const other = await openProcessInstance(app.database.db.sql, { heartbeatMs: HOUR });
    await app.database.db.sql.query(`UPDATE idempotency_records SET owner_instance = $2 WHERE key = $1`, ["orphan-1", other.id]);
    const busy = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body, headers: idem("orphan-1") });
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe("idempotency_in_progress");
    await other.close(); // the process is gone: no clock advance, no wait
    const retry = await call(app, "POST", "/v1/withdrawals", { key: enterprise, body, headers: idem("orphan-1") });
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ status: "requested", amountFen: 2_500 });
    expect(await q(`SELECT id FROM withdrawals WHERE account_id = $1`, [wallet])).toEqual([{ id: retry.body.id }]);
    expect(await q(`SELECT id FROM ledger_transfers WHERE kind = 'pending' AND debit_account_id = $1`, [wallet])).toHaveLength(1);
  });

  it("runs a request anew when the dead process's claim had stored nothing", async () => {
    const enterprise = app.key("demo enterprise 0001");
    await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 1 }, headers: idem("probe") });
    const caller = (await record("probe"))!.caller;
    const other = await openProcessInstance(app.database.db.sql, { heartbeatMs: HOUR });
    const claims = createClaimsRepository(app.database.db.sql);
    const body = { amountFen: 321 };
    await claims.claim({ caller, key: "orphan-2", method: "POST", path: "/v1/top-ups", requestHash: requestHash("POST", "/v1/top-ups", body), owner: other.id, now: clock.now() });
    expect((await call(app, "POST", "/v1/top-ups", { key: enterprise, body, headers: idem("orphan-2") })).status).toBe(409);
    await other.close();
    const r = await call(app, "POST", "/v1/top-ups", { key: enterprise, body, headers: idem("orphan-2") });
    expect(r.status).toBe(201);
    expect(r.body.requestedFen).toBe(321);
  });

  it("tells running processes from gone ones by their instance lock", async () => {
    const sql = app.database.db.sql;
    const a = await openProcessInstance(sql, { heartbeatMs: HOUR });
    const b = await openProcessInstance(sql, { heartbeatMs: HOUR });
    try {
      expect(a.id).not.toBe(b.id);
      expect(await a.isAlive(b.id)).toBe(true);
      expect((await b.live()).has(a.id)).toBe(true);
      await b.close();
      expect(await a.isAlive(b.id)).toBe(false);
      if (backend.name === "postgres") {
        // A session that ends without a goodbye (killed process, lost network) reads as gone too.
        const c = await openProcessInstance(sql, { heartbeatMs: HOUR });
        const pids = await q<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
          [c.id],
        );
        expect(pids).toHaveLength(1);
        await sql.query(`SELECT pg_terminate_backend($1)`, [pids[0]!.pid]);
        await until(async () => !(await a.isAlive(c.id)));
        await c.close();
        // A running process whose session was cut takes its lock again on a new session.
        const d = await openProcessInstance(sql, { heartbeatMs: 20 });
        const pidOf = async (id: bigint) =>
          (await q<{ pid: number }>(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`, [id]))[0]?.pid;
        const first = await pidOf(d.id);
        await sql.query(`SELECT pg_terminate_backend($1)`, [first]);
        await until(async () => {
          const now = await pidOf(d.id);
          return now !== undefined && now !== first;
        });
        expect(await a.isAlive(d.id)).toBe(true);
        await d.close();
        expect(await a.isAlive(d.id)).toBe(false);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("purges stored responses after the retention (24 h by default), on the schedule too, and keeps open claims", async () => {
    expect(app.config.idempotency.retentionHours).toBe(24);
    const enterprise = app.key("demo enterprise 0001");
    const first = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 100 }, headers: idem("retained-1") });
    expect(first.status).toBe(201);
    const caller = (await record("retained-1"))!.caller;
    const claims = createClaimsRepository(app.database.db.sql);
    await claims.claim({ caller, key: "open-claim", method: "POST", path: "/v1/top-ups", requestHash: "x", owner: 1n, now: clock.now() });
    const idempotency = app.built.services.idempotency;

    clock.advance(23 * HOUR);
    await idempotency.purge();
    expect(await record("retained-1")).toBeDefined();
    const replay = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 100 }, headers: idem("retained-1") });
    expect(replay.body.reference).toBe(first.body.reference);

    clock.advance(2 * HOUR);
    expect(await idempotency.purge()).toBeGreaterThanOrEqual(1);
    expect(await record("retained-1")).toBeUndefined();
    expect(await record("open-claim")).toBeDefined();
    // The key is free again: the same request now makes a new top-up.
    const anew = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 100 }, headers: idem("retained-1") });
    expect(anew.status).toBe(201);
    expect(anew.body.reference).not.toBe(first.body.reference);

    // The scheduled purge (what src/main.ts starts) does the same on its own.
    clock.advance(25 * HOUR);
    const stop = idempotency.schedule({ sweepMs: 3_600_000, purgeMs: 20 });
    try {
      await until(async () => (await record("retained-1")) === undefined);
    } finally {
      stop();
    }
    await app.database.db.sql.query(`DELETE FROM idempotency_records WHERE key = 'open-claim'`);
  });
});
