// Generates the Prisma client into src/generated/prisma when the schema changed.
// The Prisma CLI wants a native schema engine it cannot download on offline
// machines; `generate` does not use it, so any existing file satisfies the check.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const schema = path.join(root, "prisma/schema.prisma");
const stamp = path.join(root, "src/generated/prisma/.schema-hash");
const hash = createHash("sha256").update(readFileSync(schema)).digest("hex");

if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash && !process.argv.includes("--force")) process.exit(0);

const cli = path.join(root, "node_modules/prisma/build/index.js");
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const r = spawnSync(process.execPath, [cli, "generate", "--schema", schema], { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });
if (r.status !== 0) {
  process.stdout.write(r.stdout ?? "");
  console.error("prisma generate failed");
  process.exit(r.status ?? 1);
}
writeFileSync(stamp, hash);
console.log("prisma client generated");
