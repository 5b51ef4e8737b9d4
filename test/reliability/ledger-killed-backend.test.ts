// The ledger writer when its PostgreSQL backend is killed under load: it must see an unknown outcome,
// take the shard's lock on a new session, rebuild, and lose nothing acknowledged.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { postgresUrl } from "../helpers/services";

describe.skipIf(!postgresUrl)("ledger writer when its PostgreSQL backend is killed", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ name: "postgres", url: postgresUrl });
  });
  afterAll(async () => t?.drop());

  // A terminated backend must fail the writer's next statement, not crash the process with an unheard
  // 'error' event (src/infra/db.ts listens while a client is checked out). The writer then sees an
  // unknown outcome, takes the lock on a new session and rebuilds. It runs in a child process so a
  // regression cannot take the test runner down with it.
  it("recovers when the backend holding the shard lock is terminated under load", async () => {
    const child = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./ledger-kill-writer.child.ts", import.meta.url)), t.url!], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.stderr).not.toMatch(/Unhandled 'error' event/);
    expect(child.status).toBe(0);
  });
});
