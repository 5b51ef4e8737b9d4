// Prisma CLI configuration. The app applies migrations with its own migrator
// (src/infra/migrate.ts); the CLI is used here for `prisma generate` only.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations", seed: "tsx prisma/seed.ts" },
  // The CLI's own env read: only used by `prisma migrate` on machines that have
  // the schema engine; the application reads DATABASE_URL in src/config.ts.
  datasource: { url: process.env["DATABASE_URL"] ?? "postgresql://localhost:5432/shiftex" },
});
