/**
 * Builds the real app on a fresh database and listens on an ephemeral
 * loopback port: tests talk real HTTP to it with fetch.
 */
import { buildApp, type BuiltApp } from "../../src/app";
import { loadConfig, type Config } from "../../src/config";
import { seedDemo, type Notifier } from "../../src/parties";
import type { Clock } from "../../src/shared/clock";
import { createTestDatabase, type TestDatabase } from "./database";
import type { Backend } from "./services";

export interface TestApp {
  readonly baseUrl: string;
  readonly built: BuiltApp;
  readonly database: TestDatabase;
  readonly config: Config;
  readonly sentCodes: { phone: string; code: string }[];
  /** Notices the notifier port was asked to send to phones (shift offers, approvals, …). */
  readonly sentNotices: { phone: string; text: string }[];
  /** The demo data (API keys by label, organisations, worker phones). */
  readonly demo: Awaited<ReturnType<typeof seedDemo>>;
  key(label: string): string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  clock?: Clock;
  redis?: import("ioredis").Redis;
  seed?: boolean;
  /** a database prepared by the test (e.g. connected as a restricted role); dropped by close(). */
  database?: TestDatabase;
  /** Wraps the database the app gets (fault injection); the test database itself is unchanged. */
  wrapDatabase?: (db: import("../../src/infra/db").Database) => import("../../src/infra/db").Database;
  /** book snapshots for the stream (until the exchange module is wired in). */
  books?: import("../../src/realtime").BookSource;
  /** false: the contract runtime's timer and sweep loops do not run (the test fires timers itself). */
  contractLoops?: boolean;
  /** Where the app's log goes (with env LOG_LEVEL above silent): tests that read what was logged. */
  logStream?: import("pino").DestinationStream;
}

export async function startTestApp(backend: Backend, options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", DEV_MODE: "true", ...options.env });
  const database = options.database ?? (await createTestDatabase(backend));
  const sentCodes: { phone: string; code: string }[] = [];
  const sentNotices: { phone: string; text: string }[] = [];
  const notifier: Notifier = {
    sendOneTimeCode: async (phone, code) => void sentCodes.push({ phone, code }),
    sendNotice: async (phone, text) => void sentNotices.push({ phone, text }),
  };
  const db = options.wrapDatabase ? options.wrapDatabase(database.db) : database.db;
  const built = await buildApp({ config, db, notifier, redis: options.redis, books: options.books, ...(options.contractLoops === false ? { contractLoops: false } : {}), ...(options.clock ? { clock: options.clock } : {}), ...(options.logStream ? { logStream: options.logStream } : {}) });
  const demo = await seedDemo({ ...built.services, secret: config.sessionSecret });
  await built.app.listen({ port: 0, host: "127.0.0.1" });
  const address = built.app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    built,
    database,
    config,
    sentCodes,
    sentNotices,
    demo,
    key(label) {
      const k = demo.keys.find((x) => x.label === label);
      if (!k) throw new Error(`no demo key labelled ${label}`);
      return k.apiKey;
    },
    async close() {
      await built.app.close();
      await database.drop();
    },
  };
}

/** fetch with JSON in and out. */
export async function call(
  app: TestApp,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; cookie?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers["authorization"] = `Bearer ${options.key}`;
  if (options.cookie) headers["cookie"] = options.cookie;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !headers["content-type"]) headers["content-type"] = "application/json";
  const res = await fetch(`${app.baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
