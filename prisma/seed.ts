// `npm run seed`: (re-)creates the demo data on the configured database; running it twice changes nothing.
import path from "node:path";
import { config } from "../src/config";
import { openDatabase } from "../src/infra/db";
import { migrateDatabase } from "../src/infra/migrate";
import { createLogNotifier, createPartiesModule, seedDemo } from "../src/parties";
import { systemClock } from "../src/shared/clock";
import { newId } from "../src/shared/ids";

const cfg = config();
const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: path.join(cfg.dataDir, "pglite"), poolSize: cfg.databasePoolSize });
try {
  await migrateDatabase(db, cfg.databaseOwnerUrl);
  // Only the parties module: the seed must not take the ledger writer's shard lock from a running server.
  const notifier = createLogNotifier(() => undefined);
  const parties = createPartiesModule({ prisma: db.prisma, config: cfg, clock: systemClock, newId, notifier });
  const r = await seedDemo({ ...parties, secret: cfg.sessionSecret });
  console.log(`seed: created ${r.created.organisations} organisations, ${r.created.workers} workers, ${r.created.apiKeys} API keys (the rest existed)`);
  for (const k of r.keys) console.log(`  ${k.label.padEnd(30)} Authorization: Bearer ${k.apiKey}`);
} finally {
  await db.close();
}
