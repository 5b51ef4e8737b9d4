// `npm run db:migrate`: applies pending migrations to the configured database.
import { config } from "../config";
import { openDatabase } from "./db";
import { migrate } from "./migrate";
import path from "node:path";

const cfg = config();
const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: path.join(cfg.dataDir, "pglite") });
try {
  const report = await migrate(db.sql);
  console.log(
    report.applied.length === 0
      ? `database is up to date (${report.alreadyApplied} migrations applied)`
      : `applied ${report.applied.length} migration(s): ${report.applied.join(", ")}`,
  );
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await db.close();
}
