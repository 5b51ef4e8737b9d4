/**
 * Shared by the machines' tests: fixed instants and settings, a live actor on
 * XState's SimulatedClock, and a coverage recorder that proves every
 * transition of a machine was taken and every guard answered both ways.
 * Not imported by production code.
 */
import { createActor, SimulatedClock, type AnyStateMachine, type InspectionEvent } from "xstate";
import type { ContractInput, ContractSettings, Effect, EpochMs, WorkerShiftInput } from "./types";

/** An event as a test writes it: `at` defaults to the simulated clock. */
export type TestEvent = { readonly type: string; readonly at?: EpochMs; readonly [k: string]: unknown };

export const MIN = 60_000;
export const HOUR = 60 * MIN;
/** 2026-12-02 08:00 Asia/Shanghai (00:00 UTC), a day slot D1: 08:00–17:00, 8 paid hours. */
export const SHIFT_START: EpochMs = Date.UTC(2026, 11, 2, 0, 0);
export const SHIFT_END: EpochMs = SHIFT_START + 9 * HOUR;
export const PAID_MINUTES = 480;

/** Test settings; the ones the runtime passes come from src/config.ts. */
export const SETTINGS: ContractSettings = {
  staffingDeadlineBeforeStartMs: 60 * MIN,
  confirmDeadlineBeforeStartMs: 30 * MIN,
  noShowGraceMs: 30 * MIN,
  approvalWindowMs: 24 * HOUR,
  freeCancellationNoticeMs: 24 * HOUR,
  lateCancellationFeeMinutes: 240,
  hoursRule: { unitMinutes: 15, rounding: "down" },
};

export const STAFFING_DEADLINE = SHIFT_START - SETTINGS.staffingDeadlineBeforeStartMs;
export const CONFIRM_DEADLINE = SHIFT_START - SETTINGS.confirmDeadlineBeforeStartMs;
export const NO_SHOW_AT = SHIFT_START + SETTINGS.noShowGraceMs;
export const AUTO_APPROVE_AT = SHIFT_END + SETTINGS.approvalWindowMs;

/** A contract of `headcount` seats created three days before the shift. */
export function contractInput(overrides: Partial<ContractInput> = {}): ContractInput {
  return {
    contractId: "ctr_1",
    enterpriseId: "org_ent",
    supplierId: "org_sup",
    headcount: 2,
    shiftStart: SHIFT_START,
    shiftEnd: SHIFT_END,
    paidMinutes: PAID_MINUTES,
    settings: SETTINGS,
    at: SHIFT_START - 72 * HOUR,
    ...overrides,
  };
}

/** A worker-shift as the contract would create it, named two days before the shift. */
export function workerShiftInput(overrides: Partial<WorkerShiftInput> = {}): WorkerShiftInput {
  return {
    shiftId: "shf_1",
    contractId: "ctr_1",
    seat: 1,
    workerId: "wrk_1",
    enterpriseId: "org_ent",
    supplierId: "org_sup",
    shiftStart: SHIFT_START,
    shiftEnd: SHIFT_END,
    paidMinutes: PAID_MINUTES,
    confirmDeadlineAt: CONFIRM_DEADLINE,
    noShowGraceMs: SETTINGS.noShowGraceMs,
    approvalWindowMs: SETTINGS.approvalWindowMs,
    hoursRule: SETTINGS.hoursRule,
    at: SHIFT_START - 48 * HOUR,
    ...overrides,
  };
}

type AnyTransition = object;

/**
 * Wraps a machine's named guards to record each answer, and inspects its
 * microsteps to record each transition taken. `missing()` lists what no test
 * reached yet, readably.
 */
export class Coverage<M extends AnyStateMachine> {
  readonly machine: M;
  private readonly taken = new Set<AnyTransition>();
  private readonly answers = new Map<string, Set<boolean>>();

  constructor(machine: M) {
    const guards = machine.implementations.guards as Record<string, (...args: unknown[]) => boolean>;
    const wrapped: Record<string, (...args: unknown[]) => boolean> = {};
    for (const [name, guard] of Object.entries(guards)) {
      this.answers.set(name, new Set());
      wrapped[name] = (...args) => {
        const answer = guard(...args);
        this.answers.get(name)?.add(answer);
        return answer;
      };
    }
    this.machine = machine.provide({ guards: wrapped } as never) as M;
  }

  readonly inspect = (e: InspectionEvent): void => {
    if (e.type === "@xstate.microstep") for (const t of e._transitions) this.taken.add(t);
  };

  /** Transitions never taken and guards never answered true or false. */
  missing(): string[] {
    const out: string[] = [];
    const visit = (node: AnyStateMachine["root"]): void => {
      for (const [eventType, list] of node.transitions) {
        list.forEach((t, i) => {
          if (!this.taken.has(t)) out.push(`transition ${node.id} on "${eventType}" #${i} (${describe(t)})`);
        });
      }
      (node.always ?? []).forEach((t, i) => {
        if (!this.taken.has(t)) out.push(`transition ${node.id} always #${i} (${describe(t)})`);
      });
      for (const child of Object.values(node.states)) visit(child as AnyStateMachine["root"]);
    };
    visit(this.machine.root);
    for (const [name, answers] of this.answers) {
      if (!answers.has(true)) out.push(`guard ${name} never true`);
      if (!answers.has(false)) out.push(`guard ${name} never false`);
    }
    return out;
  }
}

function describe(t: { guard?: unknown; target?: ReadonlyArray<{ id: string }> | undefined }): string {
  const guard = typeof t.guard === "string" ? t.guard : typeof t.guard === "object" && t.guard !== null && "type" in t.guard ? String(t.guard.type) : "no guard";
  return `${guard} → ${t.target?.map((n) => n.id).join(",") ?? "stay"}`;
}

/** A started actor on a SimulatedClock: send events stamped with the clock, move time forward, collect effects. */
export function live<TContext>(machine: AnyStateMachine, input: { at: EpochMs }, coverage?: Coverage<AnyStateMachine>) {
  const clock = new SimulatedClock();
  clock.set(input.at);
  const effects: Effect[] = [];
  const actor = createActor(machine, { input, clock, ...(coverage ? { inspect: coverage.inspect } : {}) } as never) as ReturnType<
    typeof createActor<AnyStateMachine>
  >;
  actor.on("*", (e) => {
    effects.push(e as Effect);
  });
  actor.start();
  let seen = 0;
  const h = {
    actor,
    clock,
    effects,
    /** Sends an event stamped with the clock (unless it names `at`), then fires anything already due. */
    send(event: TestEvent) {
      actor.send({ at: clock.now(), ...event } as never);
      clock.set(clock.now());
      return h;
    },
    /** Moves the clock to `t`, firing the delays due on the way, each at its own instant. */
    at(t: EpochMs) {
      advance(clock, t);
      return h;
    },
    get value(): string {
      return actor.getSnapshot().value as string;
    },
    get context(): TContext {
      return actor.getSnapshot().context as TContext;
    },
    get status(): string {
      return actor.getSnapshot().status;
    },
    /** Effects described since the last call. */
    take(): Effect[] {
      const fresh = effects.slice(seen);
      seen = effects.length;
      return fresh;
    },
    /** The deadline events XState itself has pending (from its scheduler), as `{ type, at }`. */
    scheduled(): { type: string; at: unknown }[] {
      const pending = Object.values(actor.system.getSnapshot()._scheduledEvents);
      return pending.map((s) => ({ type: s.event.type, at: (s.event as { at?: unknown }).at })).sort((a, b) => a.type.localeCompare(b.type));
    },
  };
  return h;
}

/** Ids of effects, for compact assertions. */
export function ids(effects: readonly Effect[]): string[] {
  return effects.map((e) => e.id);
}

/**
 * Moves a SimulatedClock to `t` one due timer at a time. `clock.set(t)` alone
 * would fire every overdue timer at `t`, so a delay armed by one of them would
 * start counting from `t` instead of from its own instant.
 */
export function advance(clock: SimulatedClock, t: EpochMs): void {
  const timeouts = (clock as unknown as { timeouts: Map<number, { start: number; timeout: number }> }).timeouts;
  for (;;) {
    let next = Infinity;
    for (const { start, timeout } of timeouts.values()) next = Math.min(next, start + timeout);
    if (next > t) break;
    clock.set(Math.max(next, clock.now()));
  }
  clock.set(t);
}

/**
 * A live machine whose every step also checks that XState's own pending
 * delays are exactly the timers `dueTimers` tells the runtime to hold.
 */
export class Harness<TContext> {
  readonly h: ReturnType<typeof live<TContext>>;

  constructor(
    machine: AnyStateMachine,
    input: { at: EpochMs },
    coverage: Coverage<AnyStateMachine>,
    private readonly dueTimers: (snapshot: { value: unknown; context: TContext; status?: string }) => { event: unknown }[],
  ) {
    this.h = live<TContext>(machine, input, coverage);
    this.inSync();
  }

  private inSync(): void {
    const snapshot = this.h.actor.getSnapshot();
    const expected = this.dueTimers({ value: snapshot.value, context: snapshot.context as TContext, status: snapshot.status }).map((t) => t.event);
    if (JSON.stringify(this.h.scheduled()) !== JSON.stringify(expected)) {
      throw new Error(`XState's pending delays ${JSON.stringify(this.h.scheduled())} differ from dueTimers ${JSON.stringify(expected)}`);
    }
  }

  get actor() {
    return this.h.actor;
  }
  get clock() {
    return this.h.clock;
  }
  get effects(): Effect[] {
    return this.h.effects;
  }
  get value(): string {
    return this.h.value;
  }
  get status(): string {
    return this.h.status;
  }
  get context(): TContext {
    return this.h.context;
  }
  /** Effects described since the last call. */
  take(): Effect[] {
    return this.h.take();
  }
  /** Whether the machine would accept this event now (stamped with the clock unless it names `at`). */
  can(event: TestEvent): boolean {
    return this.h.actor.getSnapshot().can({ at: this.h.clock.now(), ...event } as never);
  }
  send(event: TestEvent): this {
    this.h.send(event);
    this.inSync();
    return this;
  }
  at(t: EpochMs): this {
    this.h.at(t);
    this.inSync();
    return this;
  }
}

/** A machine restored from persisted JSON onto a fresh SimulatedClock at `now`; `rearm` does what the runtime does with `dueTimers`. */
export function restored(
  machine: AnyStateMachine,
  json: string,
  now: EpochMs,
  dueTimers: (snapshot: { value: unknown; context: never; status?: string }) => { dueAt: EpochMs; event: unknown }[],
  coverage?: Coverage<AnyStateMachine>,
) {
  const clock = new SimulatedClock();
  clock.set(now);
  const effects: Effect[] = [];
  const actor = createActor(machine, { snapshot: JSON.parse(json) as never, clock, ...(coverage ? { inspect: coverage.inspect } : {}) } as never) as ReturnType<
    typeof createActor<AnyStateMachine>
  >;
  actor.on("*", (e) => {
    effects.push(e as Effect);
  });
  actor.start();
  const h = {
    actor,
    clock,
    effects,
    get value(): string {
      return actor.getSnapshot().value as string;
    },
    send(event: TestEvent) {
      actor.send({ at: clock.now(), ...event } as never);
      clock.set(clock.now());
      return h;
    },
    at(t: EpochMs) {
      advance(clock, t);
      return h;
    },
    scheduled(): unknown[] {
      return Object.values(actor.system.getSnapshot()._scheduledEvents).map((s) => s.event);
    },
    /** Hold each listed timer and send its event when due, as the runtime's durable timers do. */
    rearm() {
      const snapshot = actor.getSnapshot();
      for (const timer of dueTimers({ value: snapshot.value, context: snapshot.context as never, status: snapshot.status })) {
        clock.setTimeout(() => actor.send(timer.event as never), Math.max(0, timer.dueAt - clock.now()));
      }
    },
  };
  return h;
}
