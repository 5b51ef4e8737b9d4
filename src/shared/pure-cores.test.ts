// The cores of issue 10 (trust, market data, statistics) and the shared helpers they use stay pure (STYLE rules
// 2 and 10): no I/O, no framework, no clock, no randomness, no environment. Their wiring (repositories, routes,
// consumers) lives beside them in files this list does not hold.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const src = join(import.meta.dirname, "..");
const CORES = [
  "trust/trust.rules.ts",
  "trust/reliability.ts",
  "trust/arrears.ts",
  "marketdata/guidance.ts",
  "stats/stats.ts",
  "shared/csv.ts",
  "shared/week.ts",
  "shared/measures.ts",
  "shared/privacy.ts",
];
/** What a core may import: other pure files, the catalogue's static data, the machines' types. */
const ALLOWED = [/^\.\.\/shared\/(money|csv|week|measures)$/, /^\.\/(csv|week|measures|money|trust\.rules)$/, /^\.\.\/parties\/catalogue$/, /^\.\.\/\.\.\/machines\/types$/, /^\.\/(trust\.rules|reliability|arrears)$/];

describe("issue 10's cores stay pure", () => {
  it.each(CORES)("%s imports only pure code and reads no clock, randomness or environment", (file) => {
    const text = readFileSync(join(src, file), "utf8");
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    const imports = [...code.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1] as string);
    for (const spec of imports) expect(ALLOWED.some((re) => re.test(spec)), `${file} imports ${spec}`).toBe(true);
    expect(code).not.toMatch(/Date\.now\(|new Date\(|Math\.random\(|process\.env|performance\.now\(|require\(/);
  });
});
