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
import type { SqlClient, SqlPool } from "./db";

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
