/**
 * What the contract runtime calls: start a machine from its input, or apply
 * one event to a persisted snapshot, and get back the next snapshot (plain
 * JSON, ready to store with an optimistic version check), the effects to run
 * after it is stored, and the timers to hold. The runtime's loop is then:
 *
 *   load {snapshot, version} → step(snapshot, event) → if accepted: in one
 *   transaction store snapshot (version + 1), append the event to the log,
 *   insert the effects into an outbox by id, upsert the timers by id → then
 *   run the outbox (each effect idempotent by its id).
 *
 * XState's own timers are inert here (see `inertClock`): the deadlines are
 * the durable timers, and a fired timer is just another event.
 */
import { createActor, type AnyStateMachine, type Snapshot } from "xstate";
import { contractDueTimers, contractMachine, type ContractContext, type ContractState } from "./contract.machine";
import { inertClock } from "./deadlines";
import type { ContractDeadline, ContractEvent, ContractInput, DueTimer, Effect, WorkerShiftDeadline, WorkerShiftEvent, WorkerShiftInput } from "./types";
import { workerShiftDueTimers, workerShiftMachine, type WorkerShiftContext, type WorkerShiftState } from "./worker-shift.machine";

/** A persisted snapshot as stored (JSON). `status` is "done" once a final state is reached. */
export interface Persisted<TValue extends string, TContext> {
  readonly value: TValue;
  readonly context: TContext;
  readonly status: "active" | "done";
  readonly [key: string]: unknown;
}

/** A contract's stored snapshot. */
export type PersistedContract = Persisted<ContractState, ContractContext>;
/** A worker-shift's stored snapshot. */
export type PersistedWorkerShift = Persisted<WorkerShiftState, WorkerShiftContext>;

/** The outcome of starting a machine or applying an event. */
export interface Stepped<TSnapshot, TTimer> {
  /** False when the machine ignored the event (wrong state, guard refused, already final): store nothing, report a conflict. */
  readonly accepted: boolean;
  readonly snapshot: TSnapshot;
  /** Effects in the order the machine described them; empty when not accepted. */
  readonly effects: Effect[];
  /** Every timer the runtime should now hold for this machine (replaces the previous list). */
  readonly timers: TTimer[];
}

function run(machine: AnyStateMachine, options: { input?: unknown; snapshot?: Snapshot<unknown> }, event: { type: string } | null) {
  const effects: Effect[] = [];
  const actor = createActor(machine, { ...options, clock: inertClock });
  actor.on("*", (emitted) => {
    effects.push(emitted as Effect);
  });
  actor.start();
  let accepted = true;
  if (event !== null) {
    const before = actor.getSnapshot();
    accepted = before.status === "active" && before.can(event);
    if (accepted) actor.send(event);
  }
  const after = actor.getSnapshot();
  const error: unknown = after.status === "error" ? after.error : undefined;
  // Through JSON on purpose: what is returned is exactly what PostgreSQL will hold.
  const persisted: unknown = after.status === "error" ? null : JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
  actor.stop();
  // An action that throws is a bug in the machine or its wiring: never persist its half-state.
  if (after.status === "error") throw error instanceof Error ? error : new Error(String(error));
  return { accepted, snapshot: persisted, effects: accepted ? effects : [] };
}

/** Starts a contract machine: its first snapshot, effects (none today) and its staffing deadline. */
export function startContract(input: ContractInput): Stepped<PersistedContract, DueTimer<ContractDeadline>> {
  const r = run(contractMachine, { input }, null);
  const snapshot = r.snapshot as PersistedContract;
  return { ...r, snapshot, timers: contractDueTimers(snapshot) };
}

/** Applies one event to a stored contract snapshot. */
export function stepContract(snapshot: PersistedContract, event: ContractEvent): Stepped<PersistedContract, DueTimer<ContractDeadline>> {
  const r = run(contractMachine, { snapshot: snapshot as unknown as Snapshot<unknown> }, event);
  const next = r.snapshot as PersistedContract;
  return { ...r, snapshot: next, timers: contractDueTimers(next) };
}

/** Starts a worker-shift machine (effect `shift.create`): its first snapshot and the offer to the worker. */
export function startWorkerShift(input: WorkerShiftInput): Stepped<PersistedWorkerShift, DueTimer<WorkerShiftDeadline>> {
  const r = run(workerShiftMachine, { input }, null);
  const snapshot = r.snapshot as PersistedWorkerShift;
  return { ...r, snapshot, timers: workerShiftDueTimers(snapshot) };
}

/** Applies one event to a stored worker-shift snapshot. */
export function stepWorkerShift(snapshot: PersistedWorkerShift, event: WorkerShiftEvent): Stepped<PersistedWorkerShift, DueTimer<WorkerShiftDeadline>> {
  const r = run(workerShiftMachine, { snapshot: snapshot as unknown as Snapshot<unknown> }, event);
  const next = r.snapshot as PersistedWorkerShift;
  return { ...r, snapshot: next, timers: workerShiftDueTimers(next) };
}
