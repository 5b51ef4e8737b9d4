/**
 * The project's own migrator: applies prisma/migrations/<stamp>_<name>/migration.sql
 * in order, each in its own transaction, recording a SHA-256 checksum. An
 * applied migration whose file changed (or vanished) is refused. A PostgreSQL
 * advisory lock serialises concurrent starts, so two processes cannot race.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, type Database, type SqlClient, type SqlPool } from "./db";

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../prisma/migrations");

// Arbitrary constant shared by every Shiftex process: "SHFTX" in ASCII.
const MIGRATION_LOCK_KEY = 0x5348465458;

export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationReport {
  readonly applied: string[];
  readonly alreadyApplied: number;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/** Reads the migration folders in name order. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const out: Migration[] = [];
  for (const name of names) {
    const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
    out.push({ name, sql, checksum: createHash("sha256").update(sql).digest("hex") });
  }
  return out;
}

async function ensureTable(conn: SqlClient): Promise<void> {
  await conn.exec(`CREATE TABLE IF NOT EXISTS "_shiftex_migrations" (
    "name" TEXT PRIMARY KEY,
    "checksum" TEXT NOT NULL,
    "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now()
  )`);
}

/** Applies pending migrations under the advisory lock; refuses edited or missing applied ones. */
export async function migrate(pool: SqlPool, migrations?: Migration[]): Promise<MigrationReport> {
  const wanted = migrations ?? (await readMigrations());
  return pool.withConnection(async (conn) => {
    await conn.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await ensureTable(conn);
      const { rows } = await conn.query<{ name: string; checksum: string }>(
        `SELECT "name", "checksum" FROM "_shiftex_migrations" ORDER BY "name"`,
      );
      const byName = new Map(wanted.map((m) => [m.name, m]));
      for (const row of rows) {
        const m = byName.get(row.name);
        if (!m) throw new MigrationError(`migration ${row.name} is applied in the database but missing from ${MIGRATIONS_DIR}`);
        if (m.checksum !== row.checksum) {
          throw new MigrationError(
            `migration ${row.name} was edited after it was applied (checksum ${row.checksum.slice(0, 12)} in the database, ${m.checksum.slice(0, 12)} on disk); add a new migration instead`,
          );
        }
      }
      const done = new Set(rows.map((r) => r.name));
      const lastApplied = rows.at(-1)?.name;
      const applied: string[] = [];
      for (const m of wanted) {
        if (done.has(m.name)) continue;
        if (lastApplied !== undefined && m.name < lastApplied) {
          throw new MigrationError(`migration ${m.name} sorts before the already applied ${lastApplied}; rename it to a later stamp`);
        }
        await conn.exec("BEGIN");
        try {
          await conn.exec(m.sql);
          await conn.query(`INSERT INTO "_shiftex_migrations" ("name", "checksum") VALUES ($1, $2)`, [m.name, m.checksum]);
          await conn.exec("COMMIT");
        } catch (err) {
          await conn.exec("ROLLBACK").catch(() => undefined);
          throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`);
        }
        applied.push(m.name);
      }
      return { applied, alreadyApplied: rows.length };
    } finally {
      await conn.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  });
}

// ------------------------------------------------------------ database roles

/** A role name as a quoted SQL identifier. */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The role a connection acts as. */
export async function currentRole(sql: SqlClient): Promise<string> {
  const { rows } = await sql.query<{ role: string }>(`SELECT current_user AS "role"`);
  return rows[0]!.role;
}

// Append-only tables are the ones guarded by the refuse-change trigger (the ledger's, and any later one that uses it).
const APPEND_ONLY_TABLES = `
SELECT DISTINCT c.relname AS "table"
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_proc p ON p.oid = t.tgfoid
 WHERE n.nspname = 'public' AND p.proname = 'ledger_refuse_change'`;

export interface GrantReport {
  readonly role: string;
  /** tables the role may only SELECT and INSERT. */
  readonly appendOnly: string[];
  /** tables the role may SELECT, INSERT, UPDATE and DELETE. */
  readonly readWrite: string[];
}

/**
 * Run as the schema's owner after migrating: gives the application's role
 * exactly what the application needs. On append-only tables (the ledger's)
 * SELECT and INSERT only, so the role can neither change nor remove a row,
 * nor TRUNCATE, nor disable the triggers (that takes ownership); on the
 * migrations table SELECT; on every other table SELECT, INSERT, UPDATE,
 * DELETE; sequences USAGE. Idempotent: every start re-applies it, so tables
 * added by later migrations are covered. Refuses a superuser application
 * role and the owner itself: either could disable the triggers.
 */
export async function grantApplicationRole(owner: SqlClient, role: string): Promise<GrantReport> {
  const ownerRole = await currentRole(owner);
  if (ownerRole === role) {
    throw new MigrationError(`DATABASE_URL and DATABASE_OWNER_URL both connect as ${role}; the application needs a role of its own`);
  }
  const { rows: found } = await owner.query<{ rolsuper: boolean }>(`SELECT "rolsuper" FROM pg_roles WHERE "rolname" = $1`, [role]);
  if (found.length === 0) throw new MigrationError(`the application's role ${role} does not exist`);
  if (found[0]!.rolsuper) {
    throw new MigrationError(`the application's role ${role} is a superuser, so it could disable the ledger's triggers; connect DATABASE_URL as a role without SUPERUSER`);
  }
  const { rows: owned } = await owner.query<{ table: string }>(
    `SELECT "tablename" AS "table" FROM pg_tables WHERE "schemaname" = 'public' AND "tableowner" = $1 ORDER BY "tablename"`,
    [role],
  );
  if (owned.length > 0) {
    throw new MigrationError(
      `the application's role ${role} owns ${owned.map((o) => o.table).join(", ")}, so it could disable the ledger's triggers; ` +
        `as a superuser run: REASSIGN OWNED BY ${ident(role)} TO ${ident(ownerRole)}`,
    );
  }
  const appendOnly = new Set((await owner.query<{ table: string }>(APPEND_ONLY_TABLES)).rows.map((r) => r.table));
  const { rows: tables } = await owner.query<{ table: string }>(
    `SELECT "tablename" AS "table" FROM pg_tables WHERE "schemaname" = 'public' ORDER BY "tablename"`,
  );
  const r = ident(role);
  const statements = [`GRANT USAGE ON SCHEMA public TO ${r}`];
  const report: GrantReport = { role, appendOnly: [], readWrite: [] };
  for (const { table } of tables) {
    const t = `public.${ident(table)}`;
    statements.push(`REVOKE ALL ON ${t} FROM ${r}`);
    if (appendOnly.has(table)) {
      statements.push(`GRANT SELECT, INSERT ON ${t} TO ${r}`);
      report.appendOnly.push(table);
    } else if (table === "_shiftex_migrations") {
      statements.push(`GRANT SELECT ON ${t} TO ${r}`);
    } else {
      statements.push(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${t} TO ${r}`);
      report.readWrite.push(table);
    }
  }
  statements.push(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r}`);
  await owner.exec(`BEGIN; ${statements.join(";\n")}; COMMIT;`);
  return report;
}

/**
 * What lets the connected role undo the ledger's append-only guard: it owns
 * an append-only table (so it may ALTER TABLE … DISABLE TRIGGER), holds
 * UPDATE, DELETE or TRUNCATE on one, or is a superuser. Empty on a
 * two-role setup; the one-role setup (and the embedded PGlite) runs, with a warning.
 */
export async function appendOnlyWeaknesses(sql: SqlClient): Promise<string[]> {
  const { rows } = await sql.query<{ table: string; owner: boolean; change: boolean; superuser: boolean }>(
    `SELECT a."table",
            pg_has_role(c.relowner, 'USAGE') AS "owner",
            has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE') AS "change",
            (SELECT "rolsuper" FROM pg_roles WHERE "rolname" = current_user) AS "superuser"
       FROM (${APPEND_ONLY_TABLES}) a JOIN pg_class c ON c.relname = a."table" JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
      ORDER BY a."table"`,
  );
  const role = await currentRole(sql);
  const out: string[] = [];
  if (rows[0]?.superuser) out.push(`the application's database role ${role} is a superuser`);
  for (const row of rows) {
    if (row.owner) out.push(`${role} owns ${row.table} and can disable its append-only triggers`);
    else if (row.change) out.push(`${role} may UPDATE, DELETE or TRUNCATE ${row.table}`);
  }
  return out;
}

/** What migrateDatabase did. */
export interface DatabasePreparation extends MigrationReport {
  /** with two roles: what the application's role was granted. */
  readonly grants?: GrantReport;
}

/**
 * Migrates the application's database. With `ownerUrl` (DATABASE_OWNER_URL)
 * the migrations run as that role, which then grants the role `app` connects
 * as (DATABASE_URL) what the application needs and no more; without it, `app`
 * migrates its own schema (one role, as the embedded PGlite always is).
 */
export async function migrateDatabase(app: Database, ownerUrl: string | undefined): Promise<DatabasePreparation> {
  if (ownerUrl === undefined) return migrate(app.sql);
  const owner = await openDatabase({ databaseUrl: ownerUrl, poolSize: 2 });
  try {
    const report = await migrate(owner.sql);
    return { ...report, grants: await grantApplicationRole(owner.sql, await currentRole(app.sql)) };
  } finally {
    await owner.close();
  }
}
