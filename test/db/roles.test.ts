// Two PostgreSQL roles: migrations run as the owner, the application connects as a role that may only SELECT and
// INSERT on the ledger's tables, so it can neither change nor remove ledger rows nor switch their triggers off.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/infra/db";
import { appendOnlyWeaknesses, grantApplicationRole, migrateDatabase } from "../../src/infra/migrate";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { postgresUrl } from "../helpers/services";

// the append-only tables: the ledger's, the sequencer's journal (the record every replay starts from), and the contract
// runtime's event log, seat settlements and trust events, and the trust module's record (scored events, annulments, colour
// transitions, settings versions, what it consumed)
const LEDGER_TABLES = [
  "contract_trust_events", "ledger_accounts", "ledger_checkpoints", "ledger_transfers", "seat_settlements", "sequencer_journal",
  "trust_annulments", "trust_colour_transitions", "trust_consumed", "trust_events", "trust_settings_versions", "workflow_events",
];

describe.skipIf(!postgresUrl)("the application's PostgreSQL role (PostgreSQL)", () => {
  const suffix = randomBytes(4).toString("hex");
  const ownerRole = `shiftex_owner_${suffix}`;
  const appRole = `shiftex_app_${suffix}`;
  const dbName = `shiftex_t_roles_${suffix}`;
  const urlFor = (user: string) => {
    const u = new URL(postgresUrl!);
    u.username = user;
    u.password = "";
    u.pathname = `/${dbName}`;
    return u.toString();
  };
  const admin = async (text: string) => {
    const c = new pg.Client({ connectionString: postgresUrl });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  let appDb: Database;
  let app: TestApp | undefined;

  beforeAll(async () => {
    // an owner that is not a superuser, and an application role; the database belongs to the owner
    await admin(`CREATE ROLE ${ownerRole} LOGIN`);
    await admin(`CREATE ROLE ${appRole} LOGIN`);
    await admin(`CREATE DATABASE ${dbName} OWNER ${ownerRole}`);
    appDb = await openDatabase({ databaseUrl: urlFor(appRole), poolSize: 10 });
    const prepared = await migrateDatabase(appDb, urlFor(ownerRole));
    expect(prepared.applied.length).toBeGreaterThan(0);
    expect(prepared.grants).toMatchObject({ role: appRole, appendOnly: LEDGER_TABLES });
    expect(prepared.grants!.readWrite).toContain("withdrawals");
  });

  afterAll(async () => {
    await app?.built.app.close();
    await appDb?.close();
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin(`DROP ROLE IF EXISTS ${appRole}`);
    await admin(`DROP ROLE IF EXISTS ${ownerRole}`);
  });

  it("runs the app through the restricted role: money in, a withdrawal hold, verification and checkpoints", async () => {
    app = await startTestApp({ name: "postgres", url: postgresUrl }, { database: { db: appDb, url: urlFor(appRole), drop: async () => undefined } });
    const operator = app.key("demo operator");
    const enterprise = app.key("demo enterprise 0001");
    const t = await call(app, "POST", "/v1/top-ups", { key: enterprise, body: { amountFen: 80_000 } });
    expect(t.status).toBe(201);
    const c = await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 80_000, bankTransactionId: "ROLE-1" } });
    expect(c.status).toBe(200);
    const w = await call(app, "POST", "/v1/withdrawals", {
      key: enterprise,
      body: { amountFen: 30_000, bankAccountName: "Role Co", bankName: "ICBC", bankAccountNumber: "62220000111122224444" },
    });
    expect(w.status).toBe(201);
    expect((await call(app, "GET", `/v1/accounts/${encodeURIComponent(t.body.accountId)}`, { key: enterprise })).body).toMatchObject({ availableFen: 50_000 });
    await app.built.ledger.checkpoint();
    const v = await call(app, "GET", "/v1/ledger/verify", { key: operator });
    expect(v.body).toMatchObject({ ok: true, chain: { ok: true } });
    const cps = await call(app, "GET", "/v1/public/ledger/checkpoints");
    expect(cps.status).toBe(200);
    expect(cps.body.items.length).toBeGreaterThan(0);
    expect(await appendOnlyWeaknesses(appDb.sql)).toEqual([]);
  });

  it("cannot UPDATE, DELETE or TRUNCATE the ledger's tables, nor switch their triggers off", async () => {
    const refused = async (text: string) => {
      const err = await appDb.sql.query(text).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message: string },
      );
      expect(err, text).toBeDefined();
      // 42501 insufficient_privilege: refused by the privilege system, before any trigger runs
      expect(err!.code, text).toBe("42501");
      expect(err!.message, text).not.toMatch(/append-only/);
    };
    for (const table of LEDGER_TABLES) {
      const { rows: first } = await appDb.sql.query<{ c: string }>(
        `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position LIMIT 1`,
        [table],
      );
      await refused(`UPDATE ${table} SET "${first[0]!.c}" = "${first[0]!.c}"`);
      await refused(`DELETE FROM ${table}`);
      await refused(`TRUNCATE ${table}`);
      await refused(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
      await refused(`ALTER TABLE ${table} DISABLE TRIGGER ALL`);
      await refused(`DROP TABLE ${table}`);
    }
    await refused(`SET session_replication_role = replica`);
    await refused(`DROP FUNCTION ledger_refuse_change()`);
    await refused(`CREATE TABLE sneaky (x int)`);
    // it can read and append
    const { rows } = await appDb.sql.query<{ n: bigint }>(`SELECT count(*)::bigint AS n FROM ledger_transfers`);
    expect(rows[0]!.n).toBeGreaterThan(0n);
  });

  it("is refused as the application's role when it is the owner itself, or owns tables", async () => {
    const owner = await openDatabase({ databaseUrl: urlFor(ownerRole), poolSize: 1 });
    try {
      await expect(grantApplicationRole(owner.sql, ownerRole)).rejects.toThrow(/both connect as/);
      await expect(grantApplicationRole(owner.sql, "postgres")).rejects.toThrow(/superuser/);
      // the owner itself, connected as the application, can undo the guard: the server warns about it at start
      const weaknesses = await appendOnlyWeaknesses(owner.sql);
      expect(weaknesses).toContain(`${ownerRole} owns ledger_transfers and can disable its append-only triggers`);
    } finally {
      await owner.close();
    }
  });
});
