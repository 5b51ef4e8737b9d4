import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMachine, type AnyStateMachine } from "xstate";
import { afterAll, describe, expect, it } from "vitest";
import { contractMachine } from "./contract.machine";
import { definitionOf, exportMachines } from "./export";
import { workerShiftMachine } from "./worker-shift.machine";

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "shiftex-machines-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Every transition of a machine as "state: event → targets [guard]" lines, to compare a rebuilt machine with the original. */
function shape(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const visit = (node: AnyStateMachine["root"]): void => {
    for (const [event, list] of node.transitions) {
      for (const t of list) out.push(`${node.id}: ${event} → ${t.target?.map((n) => n.id).join(",") ?? "-"} [${JSON.stringify(t.guard ?? null)}]`);
    }
    for (const t of node.always ?? []) out.push(`${node.id}: always → ${t.target?.map((n) => n.id).join(",") ?? "-"} [${JSON.stringify(t.guard ?? null)}]`);
    out.push(`${node.id}: entry ${JSON.stringify(node.entry.map((a: unknown) => (typeof a === "object" && a !== null && "type" in a ? a.type : a)))}`);
    for (const child of Object.values(node.states)) visit(child as AnyStateMachine["root"]);
  };
  visit(machine.root);
  return out.sort();
}

describe("machines:export", () => {
  it("writes one JSON definition per machine that rebuilds into the same states and transitions", () => {
    const dir = scratch();
    const paths = exportMachines(dir);
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(["contract.json", "worker-shift.json"]);

    const contract = JSON.parse(readFileSync(join(dir, "contract.json"), "utf8")) as { id: string; initial: string; states: Record<string, unknown> };
    expect(contract.id).toBe("contract");
    expect(contract.initial).toBe("staffing");
    expect(Object.keys(contract.states)).toEqual(["staffing", "confirming", "ready", "inProgress", "awaitingApproval", "disputed", "closing", "settled", "resolved", "cancelled"]);
    const shift = JSON.parse(readFileSync(join(dir, "worker-shift.json"), "utf8")) as { id: string; states: Record<string, unknown> };
    expect(Object.keys(shift.states)).toEqual(["assigned", "confirmed", "checkedIn", "checkedOut", "disputed", "approved", "resolved", "declined", "replaced", "lapsed", "cancelled", "noShow"]);

    // What a visualiser builds from the file is the machine, transition for transition.
    expect(shape(createMachine(contract as never))).toEqual(shape(contractMachine));
    expect(shape(createMachine(shift as never))).toEqual(shape(workerShiftMachine));
  });

  it("runs as the npm script's command line, into the directory given", () => {
    const dir = scratch();
    const out = execFileSync(process.execPath, ["--import", "tsx", "machines/export.ts", dir], { encoding: "utf8" });
    expect(out).toContain(join(dir, "contract.json"));
    expect(() => JSON.parse(readFileSync(join(dir, "worker-shift.json"), "utf8"))).not.toThrow();
  });

  it("refuses a definition with an inline function instead of dropping it silently", () => {
    expect(() => definitionOf({ id: "x", context: () => ({}), states: { a: { entry: () => undefined } } })).toThrow(/inline function at config\.states\.a\.entry/);
  });
});

describe("machine versions", () => {
  it("are declared, for the runtime to store beside each snapshot", () => {
    expect(contractMachine.version).toBe("1");
    expect(workerShiftMachine.version).toBe("1");
  });
});
