// The documents a user reads after cloning point only at files the clone has.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

describe.each(["README.md", "ARCHITECTURE.md"])("%s", (file) => {
  it("links only to files inside the repository, and each exists", () => {
    const text = readFileSync(file, "utf8");
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^(https?:|mailto:|#)/.test(t));
    for (const t of targets) {
      const resolved = path.resolve(path.dirname(file), t.split("#")[0]!);
      expect(resolved.startsWith(process.cwd() + path.sep), `${t} leaves the repository`).toBe(true);
      expect(existsSync(resolved), `${t} does not exist`).toBe(true);
    }
    expect(text).not.toMatch(/\.\.\/shared\//);
  });
});

describe("README settings table", () => {
  it("lists every variable src/config.ts reads", async () => {
    const { CONFIG_VARIABLES } = await import("../src/config");
    const text = readFileSync("README.md", "utf8");
    const table = text.slice(text.indexOf("### Settings"), text.indexOf("## API conventions"));
    const missing = CONFIG_VARIABLES.filter((v) => !table.includes(`\`${v}\``));
    expect(missing).toEqual([]);
  });
});
