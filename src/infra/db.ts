/**
 * The database: PostgreSQL through pg + @prisma/adapter-pg when DATABASE_URL
 * is set, otherwise the embedded default, PGlite (PostgreSQL in WASM),
 * file-backed in the data dir. Both expose the same two faces: Prisma for
 * CRUD and a raw SQL client for hot paths (batched statements).
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client";

export interface QueryResult<R> {
  readonly rows: R[];
  readonly rowCount: number;
}

/** Options of one query. */
export interface QueryOptions {
  /** Prepare the statement once per connection under this name (PostgreSQL; PGlite ignores it): for hot, constant SQL. */
  readonly name?: string;
}

/** Anything that runs SQL: the pool, or one connection inside a transaction. */
export interface SqlClient {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/** The raw-SQL pool for hot paths. */
export interface SqlPool extends SqlClient {
  /** Runs fn in one transaction on one connection; commits if it resolves, rolls back if it throws. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  /** Runs fn on one dedicated connection (session-level advisory locks). */
  withConnection<T>(fn: (conn: SqlClient) => Promise<T>): Promise<T>;
}

export interface Database {
  readonly kind: "postgres" | "pglite";
  readonly sql: SqlPool;
  readonly prisma: PrismaClient;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL URL; when absent the embedded PGlite is used. */
  readonly databaseUrl?: string | undefined;
  /** PGlite data directory; "memory://" for an in-memory database. */
  readonly dataDir?: string;
  /** PostgreSQL connections; the server passes DATABASE_POOL_SIZE (config.ts), scripts and tests a few. */
  readonly poolSize?: number;
}

// Enough for a script or a test; the server sizes its pool from the config.
const DEFAULT_SCRIPT_POOL = 4;

const INT8_OID = 20;

/** bigint parameters travel as decimal text: both drivers accept that for BIGINT. */
function toParams(params: readonly unknown[] | undefined): unknown[] | undefined {
  if (params === undefined) return undefined;
  let out: unknown[] | undefined;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (typeof p === "bigint") {
      out ??= params.slice();
      out[i] = p.toString();
    }
  }
  return out ?? (params as unknown[]);
}

// BIGINT columns come back as bigint from both drivers, so money is never a float.
const pgTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid === INT8_OID) return (v: string) => BigInt(v);
    return pg.types.getTypeParser(oid, format as "text");
  },
};

function pgClient(client: pg.Pool | pg.PoolClient): SqlClient {
  return {
    async query<R>(text: string, params?: readonly unknown[], options?: QueryOptions) {
      const r = await client.query({ text, values: toParams(params), types: pgTypes, ...(options?.name !== undefined ? { name: options.name } : {}) });
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    },
    async exec(script: string) {
      await client.query(script);
    },
  };
}

/**
 * Runs fn on a client checked out of the pool. While checked out, a client's
 * 'error' event (backend terminated, network gone) has no listener of the
 * pool's, and an unheard 'error' event crashes the process; so listen, let
 * the failing query reject, and destroy the broken client instead of
 * returning it to the pool.
 */
async function checkedOut<T>(pool: pg.Pool, fn: (conn: pg.PoolClient) => Promise<T>): Promise<T> {
  const conn = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  conn.on("error", onError);
  try {
    return await fn(conn);
  } finally {
    conn.off("error", onError);
    conn.release(broken ?? false);
  }
}

function pgPool(pool: pg.Pool): SqlPool {
  const base = pgClient(pool);
  return {
    query: base.query,
    exec: base.exec,
    async transaction(fn) {
      return checkedOut(pool, async (conn) => {
        await conn.query("BEGIN");
        try {
          const result = await fn(pgClient(conn));
          await conn.query("COMMIT");
          return result;
        } catch (err) {
          await conn.query("ROLLBACK").catch(() => undefined);
          throw err;
        }
      });
    },
    withConnection: (fn) => checkedOut(pool, (conn) => fn(pgClient(conn))),
  };
}

const pgliteParsers = { [INT8_OID]: (v: string) => BigInt(v) };

interface PgliteLike {
  query<R>(text: string, params?: unknown[], opts?: { parsers?: Record<number, (v: string) => unknown> }): Promise<{ rows: R[]; affectedRows?: number }>;
  exec(script: string): Promise<unknown>;
}

function pgliteClient(db: PgliteLike): SqlClient {
  return {
    async query<R>(text: string, params?: readonly unknown[]) {
      const r = await db.query<R>(text, toParams(params), { parsers: pgliteParsers });
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(script: string) {
      await db.exec(script);
    },
  };
}

function pglitePool(db: PGlite): SqlPool {
  const base = pgliteClient(db as unknown as PgliteLike);
  return {
    query: base.query,
    exec: base.exec,
    transaction: (fn) => db.transaction((tx) => fn(pgliteClient(tx as unknown as PgliteLike))),
    // PGlite is one connection: every caller already shares the session.
    withConnection: (fn) => fn(base),
  };
}

/** Opens the database the options name: PostgreSQL server or embedded PGlite. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? DEFAULT_SCRIPT_POOL });
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    pool.on("error", () => undefined);
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    return {
      kind: "postgres",
      sql: pgPool(pool),
      prisma,
      async close() {
        await prisma.$disconnect();
        await pool.end();
      },
    };
  }
  const dataDir = options.dataDir ?? "memory://";
  if (!dataDir.startsWith("memory://")) await mkdir(path.dirname(path.resolve(dataDir)), { recursive: true });
  const lite = await PGlite.create(dataDir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) });
  return {
    kind: "pglite",
    sql: pglitePool(lite),
    prisma,
    async close() {
      await prisma.$disconnect();
      await lite.close();
    },
  };
}
