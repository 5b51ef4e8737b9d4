import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "machines/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two files at a time even on a two-core machine: most of a file's time is spent waiting on PostgreSQL, Chromium
    // or a child server, so one worker per core minus one (vitest's default: a single worker here) leaves the CPU idle.
    maxWorkers: 2,
  },
});
