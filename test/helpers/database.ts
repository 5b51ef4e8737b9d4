/**
 * A fresh, migrated database per test file: an in-memory PGlite, or a new
 * PostgreSQL database created beside the one DATABASE_URL names and dropped
 * afterwards, so suites never see each other's rows.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type Database } from "../../src/infra/db";
import { migrate } from "../../src/infra/migrate";
import type { Backend } from "./services";

export interface TestDatabase {
  readonly db: Database;
  /** URL of the database (PostgreSQL only), for tests that open their own connections. */
  readonly url: string | undefined;
  drop(): Promise<void>;
}

/** Creates an empty PostgreSQL database beside the one `adminUrl` names; returns its URL and a dropper. */
export async function createScratchPostgres(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `shiftex_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function createTestDatabase(backend: Backend, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  if (backend.name === "pglite") {
    const db = await openDatabase({ dataDir: "memory://" });
    if (options.migrate !== false) await migrate(db.sql);
    return { db, url: undefined, drop: () => db.close() };
  }
  const scratch = await createScratchPostgres(backend.url!);
  const db = await openDatabase({ databaseUrl: scratch.url, poolSize: 10 });
  if (options.migrate !== false) await migrate(db.sql);
  return {
    db,
    url: scratch.url,
    async drop() {
      await db.close();
      await scratch.drop();
    },
  };
}
