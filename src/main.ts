/** Process entry: config → database (migrated) → app → listen. */
import path from "node:path";
import { Redis } from "ioredis";
import { buildApp } from "./app";
import { config, ConfigError } from "./config";
import { openDatabase } from "./infra/db";
import { appendOnlyWeaknesses, migrateDatabase } from "./infra/migrate";
import { LedgerCorruptError, keyIdOf } from "./ledger";
import { seedDemo } from "./parties";

const started = process.hrtime.bigint();
let cfg;
try {
  cfg = config();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Shiftex cannot start: ${err.message}`);
    process.exit(1);
  }
  throw err;
}

const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: path.join(cfg.dataDir, "pglite"), poolSize: cfg.databasePoolSize });
// Two PostgreSQL roles: migrations run as the owner, which then grants the application's role what it may do.
const migration = await migrateDatabase(db, cfg.databaseOwnerUrl);
const weaknesses = db.kind === "postgres" ? await appendOnlyWeaknesses(db.sql) : [];
const redis = cfg.redisUrl ? new Redis(cfg.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 }) : undefined;
let built;
try {
  built = await buildApp({ config: cfg, db, redis });
} catch (err) {
  if (err instanceof LedgerCorruptError) {
    // The stored ledger does not verify against its signed checkpoints: serving from it would hide the tampering.
    console.error(`Shiftex cannot start: ${err.message}`);
    redis?.disconnect();
    await db.close();
    process.exit(1);
  }
  throw err;
}
const { app, services } = built;
if (migration.applied.length > 0) app.log.info({ applied: migration.applied }, "migrations applied");
if (weaknesses.length > 0) {
  app.log.warn({ weaknesses }, "the application's database role can undo the ledger's append-only guard; run it as a role of its own (DATABASE_URL) beside the owner (DATABASE_OWNER_URL)");
}

const expired = await services.parties.expireLicences();
if (expired > 0) app.log.info({ expired }, "licences expired");
// Licences run out at midnight; checking hourly keeps the stored status close to the truth.
const sweeper = setInterval(() => {
  services.parties.expireLicences().catch((err: unknown) => app.log.error({ err }, "licence expiry sweep failed"));
}, 3_600_000);
sweeper.unref();
// Requests cut off by a crash are completed by their retries, or by this sweep when nobody retries; old responses are purged.
if (cfg.idempotency.sweepSeconds > 0) await services.idempotency.sweep().catch((err: unknown) => app.log.error({ err }, "idempotency sweep failed"));
const stopIdempotency = services.idempotency.schedule({ sweepMs: cfg.idempotency.sweepSeconds * 1000, purgeMs: 10 * 60_000 });
// Stripe payments short of their end (a crash between our write and Stripe's answer, a lost webhook) are driven on, or abandoned.
let stripeSweeping = false;
const stripeSweeper = services.stripe && cfg.stripe.sweepSeconds > 0
  ? setInterval(() => {
      if (stripeSweeping) return;
      stripeSweeping = true;
      services.stripe!.sweep().catch((err: unknown) => app.log.error({ err }, "Stripe sweep failed")).finally(() => (stripeSweeping = false));
    }, cfg.stripe.sweepSeconds * 1000)
  : undefined;
stripeSweeper?.unref();

// Retention: one-time-code challenges, worker sessions and phone lock records go some time after they expire.
async function purgeParties() {
  try {
    const purged = await services.parties.purgeExpired();
    if (purged.otpChallenges + purged.sessions + purged.lockouts > 0) app.log.info({ purged }, "expired login records purged");
  } catch (err) {
    app.log.error({ err }, "purge of expired login records failed");
  }
}
await purgeParties();
const purger = setInterval(() => void purgeParties(), 600_000);
purger.unref();

let seedSummary: Awaited<ReturnType<typeof seedDemo>> | undefined;
if (cfg.seedDemo) {
  seedSummary = await seedDemo({ ...services, secret: cfg.sessionSecret });
}

await app.listen({ port: cfg.port, host: cfg.host });
const address = app.server.address();
const port = typeof address === "object" && address ? address.port : cfg.port;
const base = cfg.publicUrl.replace(/:\d+$/, `:${port}`);
const ms = Number(process.hrtime.bigint() - started) / 1e6;

const lines = [
  "",
  `Shiftex is up in ${Math.round(ms)} ms on ${db.kind === "pglite" ? `embedded PGlite (${path.join(cfg.dataDir, "pglite")})` : "PostgreSQL"}`,
  `  API docs     ${base}/docs`,
  `  Health       ${base}/health   Ready ${base}/ready   Metrics ${base}/metrics`,
  `  Worker login ${base}/login${cfg.devMode ? "   (dev mode: the one-time code is shown on the page)" : ""}`,
  `  Ledger       ${base}/v1/public/ledger/checkpoints   (signed checkpoints; Ed25519 key ${keyIdOf(cfg.ledger.signingKey)})`,
];
if (seedSummary) {
  lines.push("", "Demo data (npm run seed re-runs it; nothing is duplicated):");
  for (const k of seedSummary.keys) lines.push(`  ${k.label.padEnd(30)} Authorization: Bearer ${k.apiKey}`);
  lines.push(`  workers: 40 demo workers, phones ${seedSummary.workerPhones[0]} … ${seedSummary.workerPhones.at(-1)}`);
  lines.push(`  try: curl -H 'Authorization: Bearer ${seedSummary.keys[0]!.apiKey}' ${base}/v1/organisations`);
}
// Handlers before the banner: whoever waits for the banner may signal at once.
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
console.log(lines.join("\n"));

async function shutdown(signal: string) {
  app.log.info({ signal }, "shutting down");
  clearInterval(sweeper);
  clearInterval(purger);
  stopIdempotency();
  if (stripeSweeper) clearInterval(stripeSweeper);
  await app.close();
  redis?.disconnect();
  await db.close();
  process.exit(0);
}
