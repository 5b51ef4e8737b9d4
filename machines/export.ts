/**
 * `npm run machines:export [dir]`: writes each machine's definition as a JSON
 * file the Stately editor opens (its config: states, transitions and the
 * names of guards, actions and delays; in Stately Studio, paste it into
 * "Import" as `createMachine(<file>)`). The output is generated, not
 * committed (machines/export/ is in .gitignore): the machines are the source.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { contractMachine } from "./contract.machine";
import { workerShiftMachine } from "./worker-shift.machine";

/** The machines' definitions as plain JSON values, by file name. */
export function machineDefinitions(): Record<string, unknown> {
  return { "contract.json": definitionOf(contractMachine.config), "worker-shift.json": definitionOf(workerShiftMachine.config) };
}

/**
 * The config without its context factory (a function of the runtime's input:
 * the visualiser needs none). Every guard, action and delay is referenced by
 * name, so nothing else is lost; a function anywhere else is refused rather
 * than silently dropped by JSON.stringify.
 */
export function definitionOf(config: object): unknown {
  const { context: _context, schemas: _schemas, ...rest } = config as Record<string, unknown>;
  const walk = (value: unknown, path: string): void => {
    if (typeof value === "function") throw new Error(`machine definition has an inline function at ${path}: name it in setup()`);
    if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
  };
  walk(rest, "config");
  return JSON.parse(JSON.stringify(rest)) as unknown;
}

/** Writes the definitions into `dir` (created if missing); returns the paths written. */
export function exportMachines(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(machineDefinitions()).map(([file, definition]) => {
    const path = join(dir, file);
    writeFileSync(path, `${JSON.stringify(definition, null, 2)}\n`);
    return path;
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = resolve(process.argv[2] ?? join(import.meta.dirname, "export"));
  for (const path of exportMachines(dir)) console.log(`wrote ${path}`);
}
