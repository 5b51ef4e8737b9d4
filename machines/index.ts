/**
 * The pure contract workflows (XState 5): what src/contracts/ (the runtime)
 * uses. No I/O, no clock, no randomness: the runtime injects time in events,
 * stores snapshots, runs the effects and holds the timers.
 */

/** The contract machine, its context and seats, its timers, and the refusals the service names to users. */
export {
  contractMachine,
  contractDueTimers,
  initialContractContext,
  assignRefusal,
  splitRefusal,
  contractSettingsProblems,
  contractDeadlines,
  type ContractContext,
  type ContractState,
  type Seat,
  type SeatStatus,
  type SeatOutcome,
  type AssignRefusal,
  type SplitRefusal,
} from "./contract.machine";
/** The worker-shift machine, its context and its timers. */
export { workerShiftMachine, workerShiftDueTimers, initialWorkerShiftContext, type WorkerShiftContext, type WorkerShiftState } from "./worker-shift.machine";
/** Start a machine or apply one event to a stored snapshot: next snapshot (JSON), effects to run, timers to hold. */
export {
  startContract,
  stepContract,
  startWorkerShift,
  stepWorkerShift,
  type Persisted,
  type PersistedContract,
  type PersistedWorkerShift,
  type Stepped,
} from "./step";
/** Settings, inputs, events, effect descriptors, their ids and the durable timer shape. */
export * from "./types";
/** The hours rule: paid minutes from check-in and check-out. */
export { paidMinutesWorked, hoursRuleProblem, type HoursRule, type Rounding, type WorkedSpan } from "./hours";
/** A clock whose timers never fire, for actors the runtime restores to apply one event. */
export { inertClock } from "./deadlines";
