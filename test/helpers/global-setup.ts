// Runs once before the suites: says which services are in use, and fails fast in CI when one is missing.
import { postgresUrl, redisUrl, servicesRequired, stripeMockUrl } from "./services";

export default function setup(): void {
  if (!stripeMockUrl) console.log("[shiftex tests] skipping the stripe-mock suite: set STRIPE_MOCK_URL (docker compose up stripe-mock, then http://127.0.0.1:12111) to run it");
  const missing: string[] = [];
  if (!postgresUrl) missing.push("DATABASE_URL (PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/postgres)");
  if (!redisUrl) missing.push("REDIS_URL (e.g. redis://127.0.0.1:6379)");
  if (missing.length === 0) {
    console.log("[shiftex tests] PostgreSQL and Redis suites enabled; PGlite suites always run");
    return;
  }
  const line = `[shiftex tests] skipping suites that need ${missing.join(" and ")}; set the variable(s) to run them`;
  if (servicesRequired) throw new Error(`REQUIRE_SERVICES=1 but ${line.replace("[shiftex tests] skipping", "missing:")}`);
  console.log(line);
}
