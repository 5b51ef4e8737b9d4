// `npm run db:migrate`: applies pending migrations to the configured database.
import { config } from "../config";
import { openDatabase } from "./db";
import { migrateDatabase } from "./migrate";
import path from "node:path";

// With DATABASE_OWNER_URL the migrations run as the owner, which then grants DATABASE_URL's role.
const cfg = config();
const db = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: path.join(cfg.dataDir, "pglite"), poolSize: 2 });
try {
  const report = await migrateDatabase(db, cfg.databaseOwnerUrl);
  console.log(
    report.applied.length === 0
      ? `database is up to date (${report.alreadyApplied} migrations applied)`
      : `applied ${report.applied.length} migration(s): ${report.applied.join(", ")}`,
  );
  if (report.grants) {
    const g = report.grants;
    console.log(`granted ${g.role}: SELECT, INSERT on ${g.appendOnly.join(", ")}; SELECT, INSERT, UPDATE, DELETE on ${g.readWrite.length} other tables`);
  }
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await db.close();
}
