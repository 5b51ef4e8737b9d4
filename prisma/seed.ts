// `npm run seed`: (re-)creates the demo data on the configured database; running it twice changes nothing.
import path from "node:path";
import { buildApp } from "../src/app";
import { config } from "../src/config";
import { openDatabase } from "../src/infra/db";
import { migrate } from "../src/infra/migrate";
import { createPartiesRepository, seedDemo } from "../src/parties";

const cfg = config();
const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: path.join(cfg.dataDir, "pglite") });
try {
  await migrate(db.sql);
  const { services } = await buildApp({ config: { ...cfg, logLevel: "silent" }, db });
  const r = await seedDemo({ ...services, repo: createPartiesRepository(db.prisma), secret: cfg.sessionSecret });
  console.log(`seed: created ${r.created.organisations} organisations, ${r.created.workers} workers, ${r.created.apiKeys} API keys (the rest existed)`);
  for (const k of r.keys) console.log(`  ${k.label.padEnd(30)} Authorization: Bearer ${k.apiKey}`);
} finally {
  await db.close();
}
