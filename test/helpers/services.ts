/**
 * Which real services the tests can use. PostgreSQL and Redis suites run when
 * DATABASE_URL / REDIS_URL point at them; otherwise they are skipped with one
 * line saying how to enable them. REQUIRE_SERVICES=1 (CI) turns a missing
 * service into a failure instead.
 */
import { loadConfig } from "../../src/config";

const env = loadConfig({ ...process.env, NODE_ENV: "test" });

export const postgresUrl = env.databaseUrl;
export const redisUrl = env.redisUrl;
/** A real stripe-mock (docker compose up stripe-mock: http://127.0.0.1:12111); its suite is skipped without it. Not required by REQUIRE_SERVICES: it cannot be installed everywhere. */
export const stripeMockUrl = process.env["STRIPE_MOCK_URL"] || undefined;
export const servicesRequired = /^(1|true|yes)$/i.test(process.env["REQUIRE_SERVICES"] ?? "");

export type BackendName = "pglite" | "postgres";
export interface Backend {
  readonly name: BackendName;
  readonly url: string | undefined;
}

/** The database backends every database-backed suite runs against. */
export const backends: Backend[] = [
  { name: "pglite", url: undefined },
  ...(postgresUrl ? [{ name: "postgres" as const, url: postgresUrl }] : []),
];
