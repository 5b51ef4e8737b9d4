/**
 * The contract runtime's loop in memory, for tests (and as a sketch for
 * src/contracts/): snapshots with versions, an append-only event log per
 * machine, an outbox of effects keyed by id, durable timers keyed by id, and
 * a ledger that refuses a second, different posting under one id. Its whole
 * state is one JSON document (`dump`), so a test can "restart the process"
 * at any point with `MemoryRuntime.restore(dump)`.
 */
import { startContract, startWorkerShift, stepContract, stepWorkerShift, type PersistedContract, type PersistedWorkerShift } from "./step";
import type { ContractEvent, ContractInput, DueTimer, Effect, EpochMs, WorkerShiftEvent } from "./types";

type Kind = "contract" | "shift";

interface Row {
  readonly kind: Kind;
  /** What the machine was started from (JSON text), so its log can be replayed. */
  readonly input: string;
  /** The persisted snapshot as stored (JSON text). */
  readonly snapshot: string;
  readonly version: number;
  /** Every accepted event, in order (JSON text). */
  readonly log: string[];
}

interface State {
  now: EpochMs;
  rows: Record<string, Row>;
  timers: Record<string, DueTimer<{ type: string; at: EpochMs }>>;
  /** Effects stored with their step and not yet run. */
  outbox: Effect[];
  /** Effect ids already run. */
  done: string[];
  /** Effects with an outside world (ledger, trust, notifications, closing), by id, as first run. */
  external: Record<string, Effect>;
  /** Events a machine ignored (the runtime would answer 409). */
  ignored: { machineId: string; event: unknown }[];
}

/** An in-memory contract runtime over the pure machines. */
export class MemoryRuntime {
  private constructor(private readonly s: State) {}

  /** A runtime with nothing in it, its clock at `now`. */
  static empty(now: EpochMs): MemoryRuntime {
    return new MemoryRuntime({ now, rows: {}, timers: {}, outbox: [], done: [], external: {}, ignored: [] });
  }

  /** A runtime restarted from a dump: nothing survives but what was stored. */
  static restore(dump: string): MemoryRuntime {
    return new MemoryRuntime(JSON.parse(dump) as State);
  }

  /** Everything the runtime has stored. */
  dump(): string {
    return JSON.stringify(this.s);
  }

  get now(): EpochMs {
    return this.s.now;
  }

  /** Starts a contract from its row (the runtime reacts to `contract.created`). */
  startContract(input: Omit<ContractInput, "at">): void {
    const full: ContractInput = { ...input, at: this.s.now };
    const r = startContract(full);
    this.store(input.contractId, "contract", r.snapshot, null, r.effects, r.timers, full);
    this.pump();
  }

  /** Applies a command to a contract (stamped with the runtime's clock); false when the machine ignored it. */
  contract(contractId: string, event: DistributiveOmit<ContractEvent, "at"> & { at?: EpochMs }): boolean {
    const accepted = this.apply(contractId, { at: this.s.now, ...event });
    this.pump();
    return accepted;
  }

  /** Applies a command to a worker-shift (stamped with the runtime's clock); false when the machine ignored it. */
  shift(shiftId: string, event: DistributiveOmit<WorkerShiftEvent, "at"> & { at?: EpochMs }): boolean {
    const accepted = this.apply(shiftId, { at: this.s.now, ...event });
    this.pump();
    return accepted;
  }

  /** Moves the clock to `t`, firing due timers in due order, each at its due time. */
  advanceTo(t: EpochMs): void {
    for (;;) {
      const next = Object.values(this.s.timers)
        .filter((timer) => timer.dueAt <= t)
        .sort((a, b) => a.dueAt - b.dueAt || a.id.localeCompare(b.id))[0];
      if (next === undefined) break;
      this.s.now = Math.max(this.s.now, next.dueAt);
      delete this.s.timers[next.id];
      this.apply(next.machineId, next.event);
      this.pump();
    }
    this.s.now = Math.max(this.s.now, t);
  }

  /** Fires a timer event again, as a duplicate delivery would; returns whether anything changed. */
  fireAgain(machineId: string, event: { type: string; at: EpochMs }): boolean {
    const accepted = this.apply(machineId, event);
    this.pump();
    return accepted;
  }

  /** Runs an already-run effect again, as a retry after a crash would. */
  rerun(effect: Effect): void {
    this.perform(effect);
    this.pump();
  }

  /** The stored snapshot of a machine. */
  snapshot<T = PersistedContract | PersistedWorkerShift>(machineId: string): T {
    const row = this.s.rows[machineId];
    if (row === undefined) throw new Error(`no machine ${machineId}`);
    return JSON.parse(row.snapshot) as T;
  }

  version(machineId: string): number {
    return this.s.rows[machineId]?.version ?? 0;
  }

  /** The input a machine was started from. */
  input<T>(machineId: string): T {
    const row = this.s.rows[machineId];
    if (row === undefined) throw new Error(`no machine ${machineId}`);
    return JSON.parse(row.input) as T;
  }

  log(machineId: string): unknown[] {
    return (this.s.rows[machineId]?.log ?? []).map((e) => JSON.parse(e) as unknown);
  }

  machines(kind: Kind): string[] {
    return Object.entries(this.s.rows)
      .filter(([, row]) => row.kind === kind)
      .map(([id]) => id);
  }

  timers(): DueTimer<{ type: string; at: EpochMs }>[] {
    return Object.values(this.s.timers);
  }

  /** Effects run against the outside world, in the order first run. */
  external(): Effect[] {
    return Object.values(this.s.external);
  }

  ignored(): { machineId: string; event: unknown }[] {
    return this.s.ignored;
  }

  pendingEffects(): Effect[] {
    return [...this.s.outbox];
  }

  // -------------------------------------------------------------- the loop

  private apply(machineId: string, event: { type: string; at: EpochMs }): boolean {
    const row = this.s.rows[machineId];
    if (row === undefined) throw new Error(`no machine ${machineId}`);
    const r =
      row.kind === "contract"
        ? stepContract(JSON.parse(row.snapshot) as PersistedContract, event as ContractEvent)
        : stepWorkerShift(JSON.parse(row.snapshot) as PersistedWorkerShift, event as WorkerShiftEvent);
    if (!r.accepted) {
      this.s.ignored.push({ machineId, event });
      return false;
    }
    this.store(machineId, row.kind, r.snapshot, event, r.effects, r.timers);
    return true;
  }

  /** One transaction: snapshot with version + 1, the event appended, the effects into the outbox, the timers replaced. */
  private store(
    machineId: string,
    kind: Kind,
    snapshot: unknown,
    event: unknown,
    effects: readonly Effect[],
    timers: readonly DueTimer<{ type: string; at: EpochMs }>[],
    input: unknown = null,
  ): void {
    const prev = this.s.rows[machineId];
    this.s.rows[machineId] = {
      kind,
      input: prev?.input ?? JSON.stringify(input),
      snapshot: JSON.stringify(snapshot),
      version: (prev?.version ?? 0) + 1,
      log: event === null ? [...(prev?.log ?? [])] : [...(prev?.log ?? []), JSON.stringify(event)],
    };
    for (const [id, timer] of Object.entries(this.s.timers)) if (timer.machineId === machineId) delete this.s.timers[id];
    for (const timer of timers) this.s.timers[timer.id] = timer;
    this.s.outbox.push(...effects);
  }

  /** Runs the outbox in order; each effect at most once by id (a crash before `done` would run it again, harmlessly). */
  private pump(): void {
    for (;;) {
      const effect = this.s.outbox.shift();
      if (effect === undefined) return;
      if (this.s.done.includes(effect.id)) continue;
      this.perform(effect);
      this.s.done.push(effect.id);
    }
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case "shift.create":
        if (this.s.rows[effect.input.shiftId] === undefined) {
          const r = startWorkerShift(effect.input);
          this.store(effect.input.shiftId, "shift", r.snapshot, null, r.effects, r.timers, effect.input);
        }
        return;
      case "shift.send":
        this.apply(effect.shiftId, effect.event);
        return;
      case "contract.send":
        this.apply(effect.contractId, effect.event);
        return;
      default: {
        // The ledger (and the other outside effects) accept one body per id.
        const existing = this.s.external[effect.id];
        if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(effect)) {
          throw new Error(`effect ${effect.id} run twice with different bodies`);
        }
        this.s.external[effect.id] = effect;
      }
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
