/**
 * Which Shiftex processes are running. Each process draws an instance id at
 * start and holds a session-level advisory lock keyed on it for its whole
 * life, on a connection of its own. PostgreSQL drops the lock the moment the
 * process's session ends (crash, SIGKILL, lost network: the server sees the
 * socket close), so any process can tell at once whether the holder of an
 * idempotency claim still runs: its lock is in pg_locks or it is not. On
 * embedded PGlite (one process, one session) the same query sees only the
 * current process's lock, so every earlier process reads as gone.
 */
import { randomBytes } from "node:crypto";
import type { SqlClient, SqlPool } from "./db";

// Instance ids carry a tag in their top 16 bits ("SX"), so they never meet other advisory locks (ledger shards, migrations).
const TAG = 0x5358n;
const TAG_SHIFT = 47n;

/** A fresh instance id: the tag and 47 random bits, a positive BIGINT. */
export function drawInstanceId(): bigint {
  const random = randomBytes(8).readBigUInt64BE() & ((1n << TAG_SHIFT) - 1n);
  return (TAG << TAG_SHIFT) | random;
}

export interface ProcessInstance {
  /** This process's instance id (claims record it as their owner). */
  readonly id: bigint;
  /** The instance ids of every running process (this one included while its lock holds). */
  live(): Promise<Set<bigint>>;
  /** Whether the process with this instance id runs. */
  isAlive(id: bigint): Promise<boolean>;
  /** Releases the lock: other processes then see this instance as gone. */
  close(): Promise<void>;
}

export interface InstanceLog {
  warn(obj: object, msg: string): void;
}

const LIVE_LOCKS = `
  SELECT ((classid::bigint << 32) | objid::bigint) AS "id"
    FROM pg_locks
   WHERE locktype = 'advisory' AND granted AND objsubid = 1
     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND (classid::bigint >> 15) = ${TAG.toString()}`;

interface Held {
  conn: SqlClient;
  release(): Promise<void>;
}

/** Takes the lock of `id` on a connection kept for as long as the lock must hold; null when the lock is taken. */
function holdLock(sql: SqlPool, id: bigint): Promise<Held | null> {
  return new Promise<Held | null>((resolve, reject) => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let settled = false;
    const done: Promise<void> = sql.withConnection(async (conn) => {
      const { rows } = await conn.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock($1::bigint) AS "locked"`, [id]);
      if (rows[0]?.locked !== true) {
        settled = true;
        resolve(null);
        return;
      }
      settled = true;
      resolve({
        conn,
        async release() {
          release();
          await done.catch(() => undefined);
        },
      });
      await released;
      await conn.query(`SELECT pg_advisory_unlock($1::bigint)`, [id]).catch(() => undefined);
    });
    done.catch((err: unknown) => {
      if (!settled) reject(err);
    });
  });
}

/**
 * holdLock, tried again when the pool handed out a connection whose server
 * session had already ended (ECONNRESET on its first statement): the pool
 * drops such a client only once it notices, which may be after handing it out.
 */
async function holdLockRetrying(sql: SqlPool, id: bigint): Promise<Held | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await holdLock(sql, id);
    } catch (err) {
      const refusedByServer = typeof err === "object" && err !== null && "severity" in err;
      if (refusedByServer || attempt >= 3) throw err;
    }
  }
}

/**
 * Registers this process: draws an instance id and takes its lock. A
 * heartbeat re-takes the lock on a new connection if the session is lost
 * while the process runs (other processes may meanwhile take its claims
 * over: the fencing tokens keep that safe).
 */
export async function openProcessInstance(sql: SqlPool, options: { heartbeatMs?: number; log?: InstanceLog; draw?: () => bigint } = {}): Promise<ProcessInstance> {
  const draw = options.draw ?? drawInstanceId;
  let id = draw();
  let held = await holdLockRetrying(sql, id);
  for (let attempt = 0; held === null && attempt < 5; attempt++) {
    id = draw();
    held = await holdLockRetrying(sql, id);
  }
  if (held === null) throw new Error("could not take a process instance lock");
  let current: Held | undefined = held;
  let closed = false;
  let beating = false;

  const heartbeat = setInterval(() => {
    if (beating || closed) return;
    beating = true;
    void (async () => {
      try {
        if (current !== undefined) {
          const ok = await current.conn.query("SELECT 1").then(() => true, () => false);
          if (ok) return;
          const gone = current;
          current = undefined;
          await gone.release();
          options.log?.warn({ instance: String(id) }, "process instance lock lost; taking it again");
        }
        const retaken = (await holdLockRetrying(sql, id)) ?? undefined;
        if (closed) await retaken?.release();
        else current = retaken;
      } catch (err) {
        options.log?.warn({ err, instance: String(id) }, "process instance lock: retaking failed");
      } finally {
        beating = false;
      }
    })();
  }, options.heartbeatMs ?? 5_000);
  heartbeat.unref();

  async function live(): Promise<Set<bigint>> {
    const { rows } = await sql.query<{ id: bigint | string }>(LIVE_LOCKS);
    return new Set(rows.map((r) => BigInt(r.id)));
  }

  return {
    id,
    live,
    async isAlive(other) {
      return (await live()).has(other);
    },
    async close() {
      closed = true;
      clearInterval(heartbeat);
      const h = current;
      current = undefined;
      await h?.release();
    },
  };
}
