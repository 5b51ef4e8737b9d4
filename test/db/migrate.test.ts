// The project's migrator: ordered, checksummed, serialised by an advisory lock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/infra/db";
import { migrate, MigrationError, readMigrations, type Migration } from "../../src/infra/migrate";
import { createScratchPostgres, createTestDatabase } from "../helpers/database";
import { backends, postgresUrl } from "../helpers/services";
import { createHash } from "node:crypto";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const m = (name: string, sql: string): Migration => ({ name, sql, checksum: sha(sql) });

describe.each(backends)("migrator on $name", (backend) => {
  it("applies the project's migrations in order, once", async () => {
    const t = await createTestDatabase(backend, { migrate: false });
    try {
      const all = await readMigrations();
      expect(all.map((x) => x.name)).toEqual([...all.map((x) => x.name)].sort());
      const first = await migrate(t.db.sql);
      expect(first.applied).toEqual(all.map((x) => x.name));
      const second = await migrate(t.db.sql);
      expect(second).toEqual({ applied: [], alreadyApplied: all.length });
    } finally {
      await t.drop();
    }
  });

  it("refuses an applied migration that was edited, and one that vanished", async () => {
    const t = await createTestDatabase(backend, { migrate: false });
    try {
      await migrate(t.db.sql, [m("001_a", "CREATE TABLE a (x int);")]);
      await expect(migrate(t.db.sql, [m("001_a", "CREATE TABLE a (x bigint);")])).rejects.toThrow(/edited after it was applied/);
      await expect(migrate(t.db.sql, [m("002_b", "CREATE TABLE b (x int);")])).rejects.toThrow(/missing/);
      await expect(migrate(t.db.sql, [m("000_z", "SELECT 1;"), m("001_a", "CREATE TABLE a (x int);")])).rejects.toBeInstanceOf(MigrationError);
    } finally {
      await t.drop();
    }
  });

  it("rolls a failing migration back whole and records nothing", async () => {
    const t = await createTestDatabase(backend, { migrate: false });
    try {
      await expect(migrate(t.db.sql, [m("001_bad", "CREATE TABLE c (x int); INSERT INTO nope VALUES (1);")])).rejects.toThrow(/001_bad failed/);
      const tables = await t.db.sql.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'c'`);
      expect(tables.rowCount).toBe(0);
      const recorded = await t.db.sql.query(`SELECT 1 FROM "_shiftex_migrations"`);
      expect(recorded.rowCount).toBe(0);
    } finally {
      await t.drop();
    }
  });
});

describe.skipIf(!postgresUrl)("migrator under concurrency (PostgreSQL)", () => {
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  beforeAll(async () => {
    scratch = await createScratchPostgres(postgresUrl!);
  });
  afterAll(async () => scratch?.drop());

  it("lets only one of several processes apply each migration", async () => {
    const dbs = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ databaseUrl: scratch.url, poolSize: 2 })));
    try {
      // pg_sleep widens the window in which an unserialised migrator would double-apply.
      const slow = [m("001_slow", "SELECT pg_sleep(0.3); CREATE TABLE once_only (x int);"), m("002_next", "ALTER TABLE once_only ADD COLUMN y int;")];
      const reports = await Promise.all(dbs.map((d) => migrate(d.sql, slow)));
      const appliedCounts = reports.map((r) => r.applied.length).sort();
      expect(appliedCounts).toEqual([0, 0, 0, 2]);
      const recorded = await dbs[0]!.sql.query(`SELECT name FROM "_shiftex_migrations" ORDER BY name`);
      expect(recorded.rows).toEqual([{ name: "001_slow" }, { name: "002_next" }]);
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
    }
  });
});
