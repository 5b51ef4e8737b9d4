/**
 * The contract between the pure machines and the contract runtime
 * (src/contracts/): the settings and facts each machine starts from, the
 * events it accepts, and the effects it describes for the runtime to perform.
 *
 * Everything here is plain JSON (numbers, strings, booleans, null): snapshots,
 * events and effects are stored as they are in PostgreSQL and replayed from
 * there. Instants are epoch milliseconds; durations are milliseconds; worked
 * time is whole minutes. No money is computed here: the runtime turns minutes
 * into fen with src/shared/money.ts from the contract's rate, so the ledger
 * keeps its one rounding rule.
 */
import type { HoursRule } from "./hours";

/** Epoch milliseconds. */
export type EpochMs = number;

// ------------------------------------------------------------------ settings

/**
 * The deadlines and cancellation terms a contract runs under. The runtime
 * reads them from src/config.ts and passes them in when the contract starts;
 * the contract keeps its own copy, so a later change of configuration never
 * moves the deadlines of a running contract (and users were shown these).
 */
export interface ContractSettings {
  /** Seats can be (re)assigned until shift start − this; seats still empty then are refunded. */
  readonly staffingDeadlineBeforeStartMs: number;
  /** Named workers must confirm by shift start − this (never earlier than the staffing deadline); unconfirmed seats are refunded. */
  readonly confirmDeadlineBeforeStartMs: number;
  /** A confirmed worker not checked in by shift start + this is a no-show. */
  readonly noShowGraceMs: number;
  /** The enterprise approves or disputes until shift end + this; silence approves. */
  readonly approvalWindowMs: number;
  /** An enterprise cancelling at least this long before the start pays nothing. */
  readonly freeCancellationNoticeMs: number;
  /** A later enterprise cancellation pays the supplier this many minutes at the trade rate per seat with a named worker (capped by the seat's paid minutes). */
  readonly lateCancellationFeeMinutes: number;
  /** How check-in/check-out times become paid minutes. */
  readonly hoursRule: HoursRule;
}

// ------------------------------------------------------------------ inputs

/** The facts of a contract row (issue 8) plus the settings and the instant the runtime starts it. */
export interface ContractInput {
  readonly contractId: string;
  readonly enterpriseId: string;
  readonly supplierId: string;
  /** Number of seats, numbered 1..headcount. */
  readonly headcount: number;
  readonly shiftStart: EpochMs;
  readonly shiftEnd: EpochMs;
  /** Paid minutes per seat (the slot's paid hours × 60); each seat's escrow funds exactly this. */
  readonly paidMinutes: number;
  readonly settings: ContractSettings;
  /** When the runtime starts the machine (its injected clock). */
  readonly at: EpochMs;
}

/** Everything a worker-shift machine needs; the contract machine builds it (effect `shift.create`). */
export interface WorkerShiftInput {
  readonly shiftId: string;
  readonly contractId: string;
  readonly seat: number;
  readonly workerId: string;
  readonly enterpriseId: string;
  readonly supplierId: string;
  readonly shiftStart: EpochMs;
  readonly shiftEnd: EpochMs;
  readonly paidMinutes: number;
  readonly confirmDeadlineAt: EpochMs;
  readonly noShowGraceMs: number;
  readonly approvalWindowMs: number;
  readonly hoursRule: HoursRule;
  /** When the worker was named (the contract event's instant). */
  readonly at: EpochMs;
}

// ------------------------------------------------------------------ events

/** Every event carries the instant it happened (the runtime's injected clock); guards compare it with deadlines. */
type At = { readonly at: EpochMs };

/** How a seat's hours were accepted. */
export type ApprovalBasis = "approved" | "auto_approved";

/** Reports a worker-shift machine sends its contract (through the runtime, effect `contract.send`). */
export type SeatReport =
  | ({ readonly type: "seat.confirmed"; readonly seat: number; readonly shiftId: string } & At)
  | ({ readonly type: "seat.declined"; readonly seat: number; readonly shiftId: string } & At)
  | ({ readonly type: "seat.noShow"; readonly seat: number; readonly shiftId: string } & At)
  | ({
      readonly type: "seat.approved";
      readonly seat: number;
      readonly shiftId: string;
      readonly minutes: number;
      readonly basis: ApprovalBasis;
    } & At)
  | ({
      readonly type: "seat.disputed";
      readonly seat: number;
      readonly shiftId: string;
      /** Minutes by the clock times, or null when the worker never checked out. */
      readonly recordedMinutes: number | null;
      /** Minutes the enterprise would approve, if it said. */
      readonly proposedMinutes: number | null;
      readonly reason: string;
    } & At);

/** A contract's deadlines, raised by its own delays or sent by the runtime's durable timers. */
export type ContractDeadline =
  | ({ readonly type: "deadline.staffing" } & At)
  | ({ readonly type: "deadline.confirm" } & At)
  | ({ readonly type: "deadline.start" } & At)
  | ({ readonly type: "deadline.end" } & At);

/** Everything a contract machine accepts. */
export type ContractEvent =
  /** The supplier names a worker for a seat (a seat that already has one gets a replacement); the runtime chose `shiftId`. */
  | ({ readonly type: "seat.assign"; readonly seat: number; readonly shiftId: string; readonly workerId: string } & At)
  | ({ readonly type: "enterprise.cancel"; readonly reason: string | null } & At)
  | ({ readonly type: "supplier.cancel"; readonly reason: string | null } & At)
  /** An operator splits a disputed seat: the supplier is paid `minutes`, the rest goes back to the enterprise. */
  | ({ readonly type: "dispute.resolve"; readonly seat: number; readonly minutes: number; readonly reason: string; readonly operatorId: string } & At)
  | SeatReport
  | ContractDeadline;

/** Commands a contract sends a worker-shift (effect `shift.send`); the contract is authoritative, so they win. */
export type ShiftCommand =
  | ({ readonly type: "shift.replace" } & At)
  | ({ readonly type: "shift.lapse" } & At)
  | ({ readonly type: "shift.cancel" } & At)
  | ({ readonly type: "shift.resolved"; readonly minutes: number; readonly reason: string } & At);

/** A worker-shift's deadlines. */
export type WorkerShiftDeadline = ({ readonly type: "deadline.noShow" } & At) | ({ readonly type: "deadline.autoApprove" } & At);

/** Everything a worker-shift machine accepts. */
export type WorkerShiftEvent =
  // the worker, on the phone
  | ({ readonly type: "shift.confirm" } & At)
  | ({ readonly type: "shift.decline"; readonly reason: string | null } & At)
  /** `outsideGeofence`: the phone's position was outside the site's fence (the runtime checks it); the check-in is kept, flagged. */
  | ({ readonly type: "shift.checkIn"; readonly outsideGeofence: boolean } & At)
  | ({ readonly type: "shift.checkOut" } & At)
  // the enterprise
  | ({ readonly type: "shift.acceptCheckIn" } & At)
  /** `checkOutAt` resolves a missing check-out; ignored when the worker checked out. */
  | ({ readonly type: "shift.approve"; readonly checkOutAt: EpochMs | null } & At)
  | ({ readonly type: "shift.dispute"; readonly reason: string; readonly proposedMinutes: number | null } & At)
  | ShiftCommand
  | WorkerShiftDeadline;

// ------------------------------------------------------------------ effects

/** Why a seat's whole escrow goes back to the enterprise. */
export type RefundReason = "unfilled" | "unconfirmed" | "declined" | "no_show" | "cancelled" | "supplier_cancelled";

/** Events the trust module scores (issue: integrity points). */
export type TrustEvent = "seat_unfilled" | "no_show" | "supplier_cancelled" | "late_cancellation" | "shift_completed" | "dispute_resolved";

/** Who a notification is for. */
export type Recipient = "worker" | "enterprise" | "supplier" | "operator";

/** How a contract ended. */
export type ContractOutcome = "settled" | "resolved" | "cancelled";

interface EffectBase {
  /**
   * Stable and unique: derived from the contract (or shift) id, the seat and
   * what happened, never from a clock or a random number. The runtime uses it
   * (and suffixes of it) as the ledger transfer ids and the outbox key, so
   * running an effect twice cannot move money twice.
   */
  readonly id: string;
}

/** The whole escrow of a seat goes back to the enterprise wallet. */
export interface RefundSeatEffect extends EffectBase {
  readonly type: "ledger.refundSeat";
  readonly contractId: string;
  readonly seat: number;
  readonly reason: RefundReason;
}

/** A late enterprise cancellation: `feeMinutes` at the trade rate to the supplier, the rest of the seat's escrow back to the enterprise. */
export interface LateCancelSeatEffect extends EffectBase {
  readonly type: "ledger.lateCancelSeat";
  readonly contractId: string;
  readonly seat: number;
  readonly feeMinutes: number;
}

/** Pay `minutes` of the seat at the trade rate (supplier, lending enterprise or worker minus withholding), the fee to the platform, the rest back. */
export interface SettleSeatEffect extends EffectBase {
  readonly type: "ledger.settleSeat";
  readonly contractId: string;
  readonly seat: number;
  readonly shiftId: string;
  readonly workerId: string;
  readonly minutes: number;
  readonly basis: ApprovalBasis | "dispute_split";
  /** The operator's reason for a split; null otherwise. */
  readonly reason: string | null;
  /** The operator who split; null otherwise. */
  readonly operatorId: string | null;
}

/** Create and start a worker-shift machine with this input. */
export interface CreateShiftEffect extends EffectBase {
  readonly type: "shift.create";
  readonly input: WorkerShiftInput;
}

/** Deliver a command to a worker-shift machine. */
export interface SendToShiftEffect extends EffectBase {
  readonly type: "shift.send";
  readonly shiftId: string;
  readonly event: ShiftCommand;
}

/** Deliver a seat report to the contract machine. */
export interface SendToContractEffect extends EffectBase {
  readonly type: "contract.send";
  readonly contractId: string;
  readonly event: SeatReport;
}

/** Record an event against a party for the trust module to score. */
export interface TrustRecordEffect extends EffectBase {
  readonly type: "trust.record";
  readonly contractId: string;
  readonly party: "enterprise" | "supplier";
  readonly partyId: string;
  readonly event: TrustEvent;
  readonly seat: number | null;
  /** Seats concerned (a whole-contract cancellation counts them). */
  readonly seats: number;
  /** For `dispute_resolved`: the minutes recorded by the clock, proposed by the enterprise and awarded by the operator, so the scorer can tell who lost. */
  readonly minutes: { readonly recorded: number | null; readonly proposed: number | null; readonly awarded: number } | null;
}

/** Tell someone (notifier port and the worker's `shifts` WebSocket channel); `recipientId` is null for the operators' queue. */
export interface NotifyEffect extends EffectBase {
  readonly type: "notify";
  readonly to: Recipient;
  readonly recipientId: string | null;
  readonly contractId: string;
  readonly shiftId: string | null;
  readonly seat: number | null;
  readonly kind: string;
}

/** The contract reached a final state: its escrow must now be zero (the runtime checks, the ledger verifier too). */
export interface ContractClosedEffect extends EffectBase {
  readonly type: "contract.closed";
  readonly contractId: string;
  readonly outcome: ContractOutcome;
}

/** Every effect a machine can describe. */
export type Effect =
  | RefundSeatEffect
  | LateCancelSeatEffect
  | SettleSeatEffect
  | CreateShiftEffect
  | SendToShiftEffect
  | SendToContractEffect
  | TrustRecordEffect
  | NotifyEffect
  | ContractClosedEffect;

/** The effects that move a seat's escrow; a seat has exactly one over its life, all under one id. */
export type SeatMoneyEffect = RefundSeatEffect | LateCancelSeatEffect | SettleSeatEffect;

// ------------------------------------------------------------------ ids

/**
 * Effect ids. A seat's escrow leaves through one id whatever the path
 * (refund, late-cancellation fee, settlement, split), so two different
 * decisions about one seat collide in the ledger instead of both paying.
 */
export const effectIds = {
  /** The one money effect of a seat: `<contract>:seat:<n>:escrow`. */
  seatEscrow: (contractId: string, seat: number): string => `${contractId}:seat:${seat}:escrow`,
  /** The n-th worker named to a seat (1-based). */
  shiftCreate: (contractId: string, seat: number, assignment: number): string => `${contractId}:seat:${seat}:assignment:${assignment}`,
  /** A command to a worker-shift; each command type reaches a shift at most once. */
  shiftSend: (contractId: string, shiftId: string, command: ShiftCommand["type"]): string => `${contractId}:shift:${shiftId}:${command}`,
  /** A report from a worker-shift; each report type leaves a shift at most once. */
  contractSend: (shiftId: string, report: SeatReport["type"]): string => `${shiftId}:report:${report}`,
  /** A trust record about one seat, or about the whole contract when `seat` is null. */
  trust: (contractId: string, seat: number | null, party: "enterprise" | "supplier", event: TrustEvent): string =>
    seat === null ? `${contractId}:trust:${party}:${event}` : `${contractId}:seat:${seat}:trust:${party}:${event}`,
  /** A notification from a contract (per seat or whole contract) and recipient. */
  contractNotify: (contractId: string, seat: number | null, to: Recipient, kind: string): string =>
    seat === null ? `${contractId}:notify:${to}:${kind}` : `${contractId}:seat:${seat}:notify:${to}:${kind}`,
  /** A notification from a worker-shift. */
  shiftNotify: (shiftId: string, to: Recipient, kind: string): string => `${shiftId}:notify:${to}:${kind}`,
  /** The contract's closing. */
  closed: (contractId: string): string => `${contractId}:closed`,
} as const;

// ------------------------------------------------------------------ timers

/**
 * A timer the runtime must hold durably: at `dueAt`, send `event` (exactly as
 * given: its `at` is `dueAt`, so a replay sees the same event) to the machine
 * whose id is `machineId`. `id` is stable: upsert by it; a timer missing from
 * the latest list is obsolete and may be deleted; one that fires late, twice
 * or after it became obsolete changes nothing.
 */
export interface DueTimer<E extends { type: string; at: EpochMs }> {
  readonly id: string;
  readonly machineId: string;
  readonly dueAt: EpochMs;
  readonly event: E;
}
