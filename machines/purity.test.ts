import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const dir = import.meta.dirname;
/** The machines' sources (tests and the export script, which writes files, aside). */
const sources = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "export.ts");

describe("machines/ stay pure (STYLE rules 2, 9, 10)", () => {
  it("has the sources this test guards", () => {
    expect(sources).toEqual(expect.arrayContaining(["contract.machine.ts", "worker-shift.machine.ts", "hours.ts", "step.ts", "types.ts"]));
  });

  it.each(sources)("%s imports only xstate, src/shared and machines/, and reads no clock, randomness or environment", (file) => {
    const text = readFileSync(join(dir, file), "utf8");
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    const imports = [...code.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]);
    for (const spec of imports) {
      expect(spec === "xstate" || spec!.startsWith("./") || spec!.startsWith("../src/shared/"), `${file} imports ${spec}`).toBe(true);
    }
    expect(code).not.toMatch(/Date\.now\(|new Date\(|Math\.random\(|process\.env|performance\.now\(/);
  });
});
