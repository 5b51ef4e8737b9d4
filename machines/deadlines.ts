/**
 * Time inside the machines. A machine never reads a clock: each event carries
 * its instant (`at`, from the runtime's injected Clock), deadlines are
 * absolute instants kept in context, and a named delay is the distance from
 * the current event's instant to a deadline. So the same events give the same
 * snapshots whether the delays run on XState's SimulatedClock (tests) or the
 * runtime's durable timers (production: `dueTimers` of each machine).
 */
import type { EpochMs } from "./types";

/** The instant of the event being processed; XState's own init event has none, so the machine's start instant stands in. */
export function instantOf(event: unknown, startedAt: EpochMs): EpochMs {
  if (typeof event === "object" && event !== null && "at" in event && typeof event.at === "number") return event.at;
  return startedAt;
}

/** Milliseconds from the current event's instant to `dueAt`; an overdue deadline is due at once (0). */
export function msUntil(dueAt: EpochMs, event: unknown, startedAt: EpochMs): number {
  return Math.max(0, dueAt - instantOf(event, startedAt));
}

/**
 * A clock whose timers never fire, for the runtime: it applies one event to a
 * restored actor and stops it, and keeps the deadlines as durable timers in
 * PostgreSQL instead (XState does not persist its scheduled events, and
 * measures them from Date.now()).
 */
export const inertClock = {
  setTimeout: (): number => 0,
  clearTimeout: (): void => {},
};
