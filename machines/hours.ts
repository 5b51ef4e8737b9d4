/**
 * The hours rule: what a worker is paid for, from the clock times of one shift.
 * Pure and integer-only (epoch milliseconds in, whole minutes out), so the
 * machines carry minutes and the runtime turns them into fen once, with
 * src/shared/money.ts (`wageForMinutes`), never with floats.
 */

/** Which way a worked span is rounded to the rule's unit. */
export type Rounding = "down" | "up" | "nearest";

/** The configurable rounding of worked time: a unit in whole minutes and a direction. */
export interface HoursRule {
  /** Worked time is counted in whole units of this many minutes (1..60). */
  readonly unitMinutes: number;
  /** down: whole units only; up: any started unit counts; nearest: half a unit or more rounds up. */
  readonly rounding: Rounding;
}

/** What one shift's paid time is computed from; all instants are epoch ms. */
export interface WorkedSpan {
  readonly checkInAt: number;
  readonly checkOutAt: number;
  readonly shiftStart: number;
  readonly shiftEnd: number;
  /** The most minutes this shift pays (the slot's paid hours: its length less an unpaid break). */
  readonly paidMinutes: number;
}

const MINUTE_MS = 60_000;

/** A problem with a rule, or null when it is usable (config.ts can name the variable with it). */
export function hoursRuleProblem(rule: HoursRule): string | null {
  if (!Number.isInteger(rule.unitMinutes) || rule.unitMinutes < 1 || rule.unitMinutes > 60) {
    return `unitMinutes must be a whole number of minutes from 1 to 60, got ${String(rule.unitMinutes)}`;
  }
  if (rule.rounding !== "down" && rule.rounding !== "up" && rule.rounding !== "nearest") {
    return `rounding must be "down", "up" or "nearest", got "${String(rule.rounding)}"`;
  }
  return null;
}

/**
 * Paid minutes of one shift: check-out − check-in, counted only inside the
 * shift's window (the escrow funds the shift, not time before or after it),
 * rounded to the rule's unit, and capped by the shift's paid minutes (so a
 * full attendance of a slot with an unpaid meal hour pays the slot's hours).
 * Ties of "nearest" round up: half a unit worked is counted for the worker.
 * Throws RangeError on an unusable rule or non-integer times: those are wiring
 * bugs, not user input.
 */
export function paidMinutesWorked(span: WorkedSpan, rule: HoursRule): number {
  const problem = hoursRuleProblem(rule);
  if (problem !== null) throw new RangeError(`hours rule: ${problem}`);
  for (const key of ["checkInAt", "checkOutAt", "shiftStart", "shiftEnd", "paidMinutes"] as const) {
    if (!Number.isSafeInteger(span[key])) throw new RangeError(`hours: ${key} must be an integer, got ${String(span[key])}`);
  }
  const from = Math.max(span.checkInAt, span.shiftStart);
  const to = Math.min(span.checkOutAt, span.shiftEnd);
  const workedMs = Math.max(0, to - from);
  const unitMs = rule.unitMinutes * MINUTE_MS;
  let units: number;
  switch (rule.rounding) {
    case "down":
      units = Math.floor(workedMs / unitMs);
      break;
    case "up":
      units = Math.ceil(workedMs / unitMs);
      break;
    case "nearest":
      // Integer arithmetic: floor((2w + u) / 2u) rounds half up without a float tie.
      units = Math.floor((2 * workedMs + unitMs) / (2 * unitMs));
      break;
  }
  return Math.min(units * rule.unitMinutes, Math.max(0, span.paidMinutes));
}
