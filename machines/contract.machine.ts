/**
 * The contract machine: one per fill (issue 8 creates the contract row; the
 * runtime starts this machine from it). It owns the contract's escrow: every
 * seat's money leaves exactly once, through one of three effects under one
 * id (refund, late-cancellation fee, settlement).
 *
 *   staffing ⇄ confirming ⇄ ready → inProgress → awaitingApproval → closing → settled | resolved | cancelled
 *   - staffing → ready at once when every remaining seat is confirmed;
 *   - inProgress | awaitingApproval → disputed when only disputed seats are left → closing (resolved);
 *   - before the start, any state → cancelled (enterprise: free, or a fee per staffed seat;
 *     supplier), and closing → cancelled when every seat was refunded unworked.
 *
 * How it relates to the worker-shift machines: it does NOT spawn them as
 * children. Each worker named to a seat gets a worker-shift machine of its
 * own, persisted in its own row; the two talk only through effects the
 * runtime delivers (`shift.create` / `shift.send` from here, `contract.send`
 * with seat reports from there). Why:
 * - each snapshot stays small and flat, restores with `createActor(machine,
 *   { snapshot })` without XState's nested-children persistence, and a
 *   check-in touches one shift row, not the contract every seat shares;
 * - the worker's pages and the no-double-booking check query shift rows;
 * - both machines are replayed from their own event logs, and the messages
 *   between them are effects with stable ids, so a redelivery is harmless:
 *   the contract ignores a report from a shift that is no longer a seat's
 *   current one or about a closed seat, and a shift obeys the contract's
 *   commands (replace, lapse, cancel) in every state before its outcome.
 *
 * Seat status and money decisions live here; attendance and hours live in
 * the worker-shift. Effects are emitted (XState `emit`), never performed, and
 * not kept in context: a log in the snapshot would grow with every seat and
 * be rewritten on every event, while the runtime stores each step's effects
 * in its outbox in the same transaction as the snapshot (see step.ts).
 */
import { assertEvent, cancel, enqueueActions, raise, setup } from "xstate";
import { instantOf, msUntil } from "./deadlines";
import { hoursRuleProblem } from "./hours";
import {
  effectIds,
  type ApprovalBasis,
  type ContractDeadline,
  type ContractEvent,
  type ContractInput,
  type ContractOutcome,
  type ContractSettings,
  type DueTimer,
  type Effect,
  type EpochMs,
  type Recipient,
  type RefundReason,
  type ShiftCommand,
  type TrustEvent,
  type WorkerShiftInput,
} from "./types";

// ------------------------------------------------------------------ context

/** Where a seat stands: no worker, a named worker, a confirmed one, frozen by a dispute, or done (its escrow has left). */
export type SeatStatus = "open" | "assigned" | "confirmed" | "disputed" | "closed";

/** How a closed seat's escrow left. */
export type SeatOutcome =
  | { readonly kind: "refunded"; readonly reason: RefundReason; readonly at: EpochMs }
  | { readonly kind: "lateCancelled"; readonly feeMinutes: number; readonly at: EpochMs }
  | { readonly kind: "settled"; readonly minutes: number; readonly basis: ApprovalBasis | "dispute_split"; readonly at: EpochMs };

/** One seat of a contract. */
export interface Seat {
  /** 1..headcount. */
  readonly seat: number;
  readonly status: SeatStatus;
  /** The current worker-shift, or null for an open (or closed-while-open) seat. */
  readonly shiftId: string | null;
  readonly workerId: string | null;
  /** How many workers have been named to this seat (the next `shift.create` id uses it). */
  readonly assignments: number;
  /** Every worker-shift this seat has had, the current one included: an id is never used twice. */
  readonly shiftIds: readonly string[];
  readonly dispute: {
    readonly at: EpochMs;
    readonly recordedMinutes: number | null;
    readonly proposedMinutes: number | null;
    readonly reason: string;
  } | null;
  readonly outcome: SeatOutcome | null;
}

/** The contract machine's context: the row's facts, its settings and absolute deadlines (shown to users), and its seats. */
export interface ContractContext {
  readonly contractId: string;
  readonly enterpriseId: string;
  readonly supplierId: string;
  readonly headcount: number;
  readonly shiftStart: EpochMs;
  readonly shiftEnd: EpochMs;
  readonly paidMinutes: number;
  readonly settings: ContractSettings;
  readonly createdAt: EpochMs;
  readonly staffingDeadlineAt: EpochMs;
  readonly confirmDeadlineAt: EpochMs;
  readonly seats: readonly Seat[];
  readonly cancellation: {
    readonly by: "enterprise" | "supplier";
    readonly at: EpochMs;
    readonly late: boolean;
    readonly reason: string | null;
  } | null;
}

/** The contract's context at its start: deadlines made absolute once, every seat open. */
export function initialContractContext(input: ContractInput): ContractContext {
  const staffingDeadlineAt = input.shiftStart - input.settings.staffingDeadlineBeforeStartMs;
  // Confirmation can never close before staffing does: a seat named at the last
  // moment of staffing still gets until the staffing deadline to be confirmed.
  const confirmDeadlineAt = Math.max(staffingDeadlineAt, input.shiftStart - input.settings.confirmDeadlineBeforeStartMs);
  const seats: Seat[] = [];
  for (let n = 1; n <= input.headcount; n++) {
    seats.push({ seat: n, status: "open", shiftId: null, workerId: null, assignments: 0, shiftIds: [], dispute: null, outcome: null });
  }
  return {
    contractId: input.contractId,
    enterpriseId: input.enterpriseId,
    supplierId: input.supplierId,
    headcount: input.headcount,
    shiftStart: input.shiftStart,
    shiftEnd: input.shiftEnd,
    paidMinutes: input.paidMinutes,
    settings: input.settings,
    createdAt: input.at,
    staffingDeadlineAt,
    confirmDeadlineAt,
    seats,
    cancellation: null,
  };
}

/**
 * Problems with contract settings, each naming the field, or [] when usable;
 * src/config.ts reports them as a ConfigError naming its variable.
 */
export function contractSettingsProblems(settings: ContractSettings): string[] {
  const problems: string[] = [];
  const durations = [
    "staffingDeadlineBeforeStartMs",
    "confirmDeadlineBeforeStartMs",
    "noShowGraceMs",
    "approvalWindowMs",
    "freeCancellationNoticeMs",
  ] as const;
  for (const key of durations) {
    if (!Number.isSafeInteger(settings[key]) || settings[key] < 0) problems.push(`${key} must be a whole, non-negative number of milliseconds`);
  }
  if (!Number.isSafeInteger(settings.lateCancellationFeeMinutes) || settings.lateCancellationFeeMinutes < 0) {
    problems.push("lateCancellationFeeMinutes must be a whole, non-negative number of minutes");
  }
  if (settings.confirmDeadlineBeforeStartMs > settings.staffingDeadlineBeforeStartMs) {
    problems.push("confirmDeadlineBeforeStartMs must not exceed staffingDeadlineBeforeStartMs: workers confirm after staffing closes, not before");
  }
  const rule = hoursRuleProblem(settings.hoursRule);
  if (rule !== null) problems.push(`hoursRule: ${rule}`);
  return problems;
}

/** Every deadline of a contract as an instant, for the pages (each is a setting, and users are shown them). */
export function contractDeadlines(context: ContractContext): {
  staffingDeadlineAt: EpochMs;
  confirmDeadlineAt: EpochMs;
  freeCancellationUntil: EpochMs;
  noShowAt: EpochMs;
  autoApproveAt: EpochMs;
} {
  return {
    staffingDeadlineAt: context.staffingDeadlineAt,
    confirmDeadlineAt: context.confirmDeadlineAt,
    freeCancellationUntil: context.shiftStart - context.settings.freeCancellationNoticeMs,
    noShowAt: context.shiftStart + context.settings.noShowGraceMs,
    autoApproveAt: context.shiftEnd + context.settings.approvalWindowMs,
  };
}

// ------------------------------------------------------------------ refusals (the service names them to users)

/** Why an assignment is refused, or null; the guard `canAssign` and the runtime's error message share it. */
export type AssignRefusal = "staffing_closed" | "no_such_seat" | "seat_closed" | "same_worker" | "worker_on_another_seat" | "shift_id_in_use";

/** Why a `seat.assign` would be ignored now, or null when it would be accepted. */
export function assignRefusal(context: ContractContext, event: Extract<ContractEvent, { type: "seat.assign" }>): AssignRefusal | null {
  if (event.at >= context.staffingDeadlineAt) return "staffing_closed";
  const seat = seatOf(context, event.seat);
  if (seat === undefined) return "no_such_seat";
  if (seat.status === "closed" || seat.status === "disputed") return "seat_closed";
  if (seat.workerId === event.workerId) return "same_worker";
  if (context.seats.some((s) => s.seat !== event.seat && s.workerId === event.workerId && isLive(s))) return "worker_on_another_seat";
  // A reused id would find the old shift's row, so the runtime would not start the new one.
  if (context.seats.some((s) => s.shiftIds.includes(event.shiftId))) return "shift_id_in_use";
  return null;
}

/** Why an operator's split is refused, or null. */
export type SplitRefusal = "no_such_seat" | "not_disputed" | "minutes_out_of_range" | "reason_required";

/** Why a `dispute.resolve` would be ignored now, or null when it would be accepted. */
export function splitRefusal(context: ContractContext, event: Extract<ContractEvent, { type: "dispute.resolve" }>): SplitRefusal | null {
  const seat = seatOf(context, event.seat);
  if (seat === undefined) return "no_such_seat";
  if (seat.status !== "disputed") return "not_disputed";
  if (!Number.isInteger(event.minutes) || event.minutes < 0 || event.minutes > context.paidMinutes) return "minutes_out_of_range";
  if (event.reason.trim() === "") return "reason_required";
  return null;
}

// ------------------------------------------------------------------ helpers (pure)

function seatOf(context: ContractContext, n: number): Seat | undefined {
  return Number.isInteger(n) && n >= 1 && n <= context.seats.length ? context.seats[n - 1] : undefined;
}

/** A seat whose escrow is still in the contract. */
function isLive(seat: Seat): boolean {
  return seat.status !== "closed";
}

/** A seat with a worker named and not yet done. */
function isNamed(seat: Seat): boolean {
  return seat.status === "assigned" || seat.status === "confirmed" || seat.status === "disputed";
}

function withSeat(seats: readonly Seat[], next: Seat): Seat[] {
  return seats.map((s) => (s.seat === next.seat ? next : s));
}

/** A seat report is about the seat's current worker-shift, which has not yet ended. */
function reportsCurrent(context: ContractContext, event: { seat: number; shiftId: string }): boolean {
  const seat = seatOf(context, event.seat);
  return seat !== undefined && seat.shiftId === event.shiftId && (seat.status === "assigned" || seat.status === "confirmed");
}

/** A change the named actions make: new seats (or cancellation) and the effects to emit. */
interface Decision {
  readonly seats?: readonly Seat[];
  readonly cancellation?: ContractContext["cancellation"];
  readonly effects: readonly Effect[];
}

interface Enqueue {
  assign(patch: Partial<ContractContext>): void;
  emit(effect: Effect): void;
}

function apply(enqueue: Enqueue, decision: Decision): void {
  const patch: { seats?: readonly Seat[]; cancellation?: ContractContext["cancellation"] } = {};
  if (decision.seats !== undefined) patch.seats = decision.seats;
  if (decision.cancellation !== undefined) patch.cancellation = decision.cancellation;
  if (Object.keys(patch).length > 0) enqueue.assign(patch);
  for (const effect of decision.effects) enqueue.emit(effect);
}

const fx = {
  refund: (c: ContractContext, seat: number, reason: RefundReason): Effect => ({
    id: effectIds.seatEscrow(c.contractId, seat),
    type: "ledger.refundSeat",
    contractId: c.contractId,
    seat,
    reason,
  }),
  lateCancel: (c: ContractContext, seat: number, feeMinutes: number): Effect => ({
    id: effectIds.seatEscrow(c.contractId, seat),
    type: "ledger.lateCancelSeat",
    contractId: c.contractId,
    seat,
    feeMinutes,
  }),
  settle: (
    c: ContractContext,
    seat: Seat,
    minutes: number,
    basis: ApprovalBasis | "dispute_split",
    split: { reason: string; operatorId: string } | null,
  ): Effect => ({
    id: effectIds.seatEscrow(c.contractId, seat.seat),
    type: "ledger.settleSeat",
    contractId: c.contractId,
    seat: seat.seat,
    shiftId: seat.shiftId ?? "",
    workerId: seat.workerId ?? "",
    minutes,
    basis,
    reason: split?.reason ?? null,
    operatorId: split?.operatorId ?? null,
  }),
  send: (c: ContractContext, shiftId: string, event: ShiftCommand): Effect => ({
    id: effectIds.shiftSend(c.contractId, shiftId, event.type),
    type: "shift.send",
    shiftId,
    event,
  }),
  trust: (
    c: ContractContext,
    party: "enterprise" | "supplier",
    event: TrustEvent,
    seat: number | null,
    seats: number,
    minutes: { recorded: number | null; proposed: number | null; awarded: number } | null = null,
  ): Effect => ({
    id: effectIds.trust(c.contractId, seat, party, event),
    type: "trust.record",
    contractId: c.contractId,
    party,
    partyId: party === "enterprise" ? c.enterpriseId : c.supplierId,
    event,
    seat,
    seats,
    minutes,
  }),
  notify: (c: ContractContext, to: Exclude<Recipient, "worker">, kind: string, seat: Seat | null): Effect => ({
    id: effectIds.contractNotify(c.contractId, seat === null ? null : seat.seat, to, kind),
    type: "notify",
    to,
    recipientId: to === "enterprise" ? c.enterpriseId : to === "supplier" ? c.supplierId : null,
    contractId: c.contractId,
    shiftId: seat === null ? null : seat.shiftId,
    seat: seat === null ? null : seat.seat,
    kind,
  }),
};

function closeSeat(seat: Seat, outcome: SeatOutcome): Seat {
  return { ...seat, status: "closed", outcome };
}

// ------------------------------------------------------------------ decisions (one per named action)

function assignSeat(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "seat.assign");
  const seat = seatOf(c, event.seat) as Seat;
  const effects: Effect[] = [];
  // A seat that already has a worker gets a replacement: the old shift ends first.
  if (seat.shiftId !== null) effects.push(fx.send(c, seat.shiftId, { type: "shift.replace", at: event.at }));
  const assignments = seat.assignments + 1;
  const input: WorkerShiftInput = {
    shiftId: event.shiftId,
    contractId: c.contractId,
    seat: seat.seat,
    workerId: event.workerId,
    enterpriseId: c.enterpriseId,
    supplierId: c.supplierId,
    shiftStart: c.shiftStart,
    shiftEnd: c.shiftEnd,
    paidMinutes: c.paidMinutes,
    confirmDeadlineAt: c.confirmDeadlineAt,
    noShowGraceMs: c.settings.noShowGraceMs,
    approvalWindowMs: c.settings.approvalWindowMs,
    hoursRule: c.settings.hoursRule,
    at: event.at,
  };
  effects.push({ id: effectIds.shiftCreate(c.contractId, seat.seat, assignments), type: "shift.create", input });
  const next: Seat = {
    ...seat,
    status: "assigned",
    shiftId: event.shiftId,
    workerId: event.workerId,
    assignments,
    shiftIds: [...seat.shiftIds, event.shiftId],
  };
  return { seats: withSeat(c.seats, next), effects };
}

function confirmSeat(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "seat.confirmed");
  const seat = seatOf(c, event.seat) as Seat;
  return { seats: withSeat(c.seats, { ...seat, status: "confirmed" }), effects: [] };
}

function reopenSeat(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "seat.declined");
  const seat = seatOf(c, event.seat) as Seat;
  const next: Seat = { ...seat, status: "open", shiftId: null, workerId: null };
  // The supplier is told so it can name someone else before the staffing deadline.
  return { seats: withSeat(c.seats, next), effects: [fx.notify(c, "supplier", "seat_declined", seat)] };
}

/** A seat that will not be worked: its escrow goes back, and the supplier's record is marked. */
function refundSeat(c: ContractContext, seat: Seat, reason: RefundReason, trust: TrustEvent, at: EpochMs): { seat: Seat; effects: Effect[] } {
  return {
    seat: closeSeat(seat, { kind: "refunded", reason, at }),
    effects: [fx.refund(c, seat.seat, reason), fx.trust(c, "supplier", trust, seat.seat, 1), fx.notify(c, "enterprise", "seat_refunded", seat)],
  };
}

function refundDeclinedSeat(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "seat.declined");
  const r = refundSeat(c, seatOf(c, event.seat) as Seat, "declined", "seat_unfilled", event.at);
  return { seats: withSeat(c.seats, r.seat), effects: r.effects };
}

function refundNoShowSeat(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "seat.noShow");
  const r = refundSeat(c, seatOf(c, event.seat) as Seat, "no_show", "no_show", event.at);
  return { seats: withSeat(c.seats, r.seat), effects: r.effects };
}

function refundOpenSeats(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "deadline.staffing");
  let seats = [...c.seats];
  const effects: Effect[] = [];
  for (const seat of c.seats) {
    if (seat.status !== "open") continue;
    const r = refundSeat(c, seat, "unfilled", "seat_unfilled", event.at);
    seats = withSeat(seats, r.seat);
    effects.push(...r.effects);
  }
  return { seats, effects };
}

function lapseUnconfirmedSeats(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "deadline.confirm");
  let seats = [...c.seats];
  const effects: Effect[] = [];
  for (const seat of c.seats) {
    if (seat.status !== "assigned" && seat.status !== "open") continue;
    // The contract decides: a worker who confirms after this is too late, so the shift is told it lapsed.
    if (seat.shiftId !== null) effects.push(fx.send(c, seat.shiftId, { type: "shift.lapse", at: event.at }));
    const r = refundSeat(c, seat, seat.status === "open" ? "unfilled" : "unconfirmed", "seat_unfilled", event.at);
    seats = withSeat(seats, r.seat);
    effects.push(...r.effects);
  }
  return { seats, effects };
}

function settleSeat(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "seat.approved");
  const seat = seatOf(c, event.seat) as Seat;
  // The worker-shift already caps by the paid minutes; the contract holds the
  // line again because the seat's escrow funds no more than that.
  const minutes = Number.isInteger(event.minutes) ? Math.min(Math.max(0, event.minutes), c.paidMinutes) : 0;
  const next = closeSeat(seat, { kind: "settled", minutes, basis: event.basis, at: event.at });
  return {
    seats: withSeat(c.seats, next),
    effects: [fx.settle(c, seat, minutes, event.basis, null), fx.trust(c, "supplier", "shift_completed", seat.seat, 1)],
  };
}

function freezeSeat(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "seat.disputed");
  const seat = seatOf(c, event.seat) as Seat;
  const next: Seat = {
    ...seat,
    status: "disputed",
    dispute: { at: event.at, recordedMinutes: event.recordedMinutes, proposedMinutes: event.proposedMinutes, reason: event.reason },
  };
  // Nothing moves: the seat's escrow simply stays until an operator splits it.
  return { seats: withSeat(c.seats, next), effects: [fx.notify(c, "operator", "dispute_opened", seat), fx.notify(c, "supplier", "seat_disputed", seat)] };
}

function splitSeat(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "dispute.resolve");
  const seat = seatOf(c, event.seat) as Seat;
  const next = closeSeat(seat, { kind: "settled", minutes: event.minutes, basis: "dispute_split", at: event.at });
  const minutes = { recorded: seat.dispute?.recordedMinutes ?? null, proposed: seat.dispute?.proposedMinutes ?? null, awarded: event.minutes };
  return {
    seats: withSeat(c.seats, next),
    effects: [
      fx.settle(c, seat, event.minutes, "dispute_split", { reason: event.reason, operatorId: event.operatorId }),
      fx.send(c, seat.shiftId as string, { type: "shift.resolved", at: event.at, minutes: event.minutes, reason: event.reason }),
      fx.trust(c, "enterprise", "dispute_resolved", seat.seat, 1, minutes),
      fx.trust(c, "supplier", "dispute_resolved", seat.seat, 1, minutes),
      fx.notify(c, "enterprise", "dispute_resolved", seat),
      fx.notify(c, "supplier", "dispute_resolved", seat),
    ],
  };
}

/** Ends every live seat of a cancelled contract; `feeMinutes` null refunds them all. */
function cancelSeats(c: ContractContext, at: EpochMs, reason: RefundReason, feeMinutes: number | null): { seats: Seat[]; effects: Effect[]; named: number; live: number } {
  const effects: Effect[] = [];
  let named = 0;
  let live = 0;
  const seats = c.seats.map((seat) => {
    if (!isLive(seat)) return seat;
    live++;
    if (seat.shiftId !== null) effects.push(fx.send(c, seat.shiftId, { type: "shift.cancel", at }));
    if (feeMinutes !== null && isNamed(seat)) {
      // The fee is owed for seats the supplier had staffed; an empty seat cost it nothing.
      named++;
      effects.push(fx.lateCancel(c, seat.seat, feeMinutes));
      return closeSeat(seat, { kind: "lateCancelled", feeMinutes, at });
    }
    effects.push(fx.refund(c, seat.seat, reason));
    return closeSeat(seat, { kind: "refunded", reason, at });
  });
  return { seats, effects, named, live };
}

function cancelFree(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "enterprise.cancel");
  const r = cancelSeats(c, event.at, "cancelled", null);
  return { seats: r.seats, cancellation: { by: "enterprise", at: event.at, late: false, reason: event.reason }, effects: r.effects };
}

function cancelLate(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "enterprise.cancel");
  // Never more than the seat's escrow funds: the fee is capped by its paid minutes.
  const feeMinutes = Math.min(c.settings.lateCancellationFeeMinutes, c.paidMinutes);
  const r = cancelSeats(c, event.at, "cancelled", feeMinutes);
  return {
    seats: r.seats,
    cancellation: { by: "enterprise", at: event.at, late: true, reason: event.reason },
    effects: [...r.effects, fx.trust(c, "enterprise", "late_cancellation", null, r.named)],
  };
}

function cancelBySupplier(c: ContractContext, event: ContractEvent): Decision {
  assertEvent(event, "supplier.cancel");
  const r = cancelSeats(c, event.at, "supplier_cancelled", null);
  return {
    seats: r.seats,
    cancellation: { by: "supplier", at: event.at, late: false, reason: event.reason },
    effects: [...r.effects, fx.trust(c, "supplier", "supplier_cancelled", null, r.live)],
  };
}

function announceClosure(c: ContractContext, outcome: ContractOutcome): Decision {
  return {
    effects: [
      { id: effectIds.closed(c.contractId), type: "contract.closed", contractId: c.contractId, outcome },
      fx.notify(c, "enterprise", `contract_${outcome}`, null),
      fx.notify(c, "supplier", `contract_${outcome}`, null),
    ],
  };
}

// ------------------------------------------------------------------ timers

/** The deadline each waiting state arms, as data: the machine's delays and `contractDueTimers` both read it. */
const CONTRACT_TIMERS = {
  staffing: { event: "deadline.staffing", dueAt: (c: ContractContext) => c.staffingDeadlineAt },
  confirming: { event: "deadline.confirm", dueAt: (c: ContractContext) => c.confirmDeadlineAt },
  ready: { event: "deadline.start", dueAt: (c: ContractContext) => c.shiftStart },
  inProgress: { event: "deadline.end", dueAt: (c: ContractContext) => c.shiftEnd },
} as const satisfies Record<string, { event: ContractDeadline["type"]; dueAt: (c: ContractContext) => EpochMs }>;

const due = (dueAt: (c: ContractContext) => EpochMs) =>
  ({ context, event }: { context: ContractContext; event: ContractEvent }): boolean => instantOf(event, context.createdAt) >= dueAt(context);

const delayTo = (dueAt: (c: ContractContext) => EpochMs) =>
  ({ context, event }: { context: ContractContext; event: ContractEvent }): number => msUntil(dueAt(context), event, context.createdAt);

// ------------------------------------------------------------------ the machine

const closes = { guard: "allSeatsClosed", target: "closing" } as const;

/** The contract machine (XState 5, pure): named guards, actions and delays; effects emitted as descriptors. */
export const contractMachine = setup({
  types: {} as {
    context: ContractContext;
    events: ContractEvent;
    input: ContractInput;
    emitted: Effect;
  },
  delays: {
    staffingDeadline: delayTo(CONTRACT_TIMERS.staffing.dueAt),
    confirmDeadline: delayTo(CONTRACT_TIMERS.confirming.dueAt),
    shiftStart: delayTo(CONTRACT_TIMERS.ready.dueAt),
    shiftEnd: delayTo(CONTRACT_TIMERS.inProgress.dueAt),
  },
  guards: {
    canAssign: ({ context, event }) => event.type === "seat.assign" && assignRefusal(context, event) === null,
    confirmsAssignedSeat: ({ context, event }) =>
      event.type === "seat.confirmed" && reportsCurrent(context, event) && seatOf(context, event.seat)?.status === "assigned",
    declinedBeforeStaffingDeadline: ({ context, event }) =>
      event.type === "seat.declined" && reportsCurrent(context, event) && event.at < context.staffingDeadlineAt,
    reportsCurrentShift: ({ context, event }) => "shiftId" in event && "seat" in event && reportsCurrent(context, event),
    canSplit: ({ context, event }) => event.type === "dispute.resolve" && splitRefusal(context, event) === null,
    cancelsFree: ({ context, event }) => {
      const at = instantOf(event, context.createdAt);
      return at < context.shiftStart && context.shiftStart - at >= context.settings.freeCancellationNoticeMs;
    },
    beforeShiftStart: ({ context, event }) => instantOf(event, context.createdAt) < context.shiftStart,
    staffingDeadlineDue: due(CONTRACT_TIMERS.staffing.dueAt),
    confirmDeadlineDue: due(CONTRACT_TIMERS.confirming.dueAt),
    shiftStartDue: due(CONTRACT_TIMERS.ready.dueAt),
    shiftEndDue: due(CONTRACT_TIMERS.inProgress.dueAt),
    hasOpenSeat: ({ context }) => context.seats.some((s) => s.status === "open"),
    hasNoOpenSeat: ({ context }) => !context.seats.some((s) => s.status === "open"),
    hasUnconfirmedSeat: ({ context }) => context.seats.some((s) => s.status === "assigned"),
    allSeatsConfirmed: ({ context }) =>
      context.seats.some((s) => s.status === "confirmed") && !context.seats.some((s) => s.status === "open" || s.status === "assigned"),
    onlyDisputesOpen: ({ context }) =>
      context.seats.some((s) => s.status === "disputed") && context.seats.every((s) => s.status === "disputed" || s.status === "closed"),
    allSeatsClosed: ({ context }) => context.seats.every((s) => s.status === "closed"),
    anySeatSplit: ({ context }) => context.seats.some((s) => s.outcome?.kind === "settled" && s.outcome.basis === "dispute_split"),
    anySeatReachedShift: ({ context }) =>
      context.seats.some((s) => s.outcome?.kind === "settled" || (s.outcome?.kind === "refunded" && s.outcome.reason === "no_show")),
  },
  actions: {
    assignSeat: enqueueActions(({ context, event, enqueue }) => apply(enqueue, assignSeat(context, event))),
    confirmSeat: enqueueActions(({ context, event, enqueue }) => apply(enqueue, confirmSeat(context, event))),
    reopenSeat: enqueueActions(({ context, event, enqueue }) => apply(enqueue, reopenSeat(context, event))),
    refundDeclinedSeat: enqueueActions(({ context, event, enqueue }) => apply(enqueue, refundDeclinedSeat(context, event))),
    refundNoShowSeat: enqueueActions(({ context, event, enqueue }) => apply(enqueue, refundNoShowSeat(context, event))),
    refundOpenSeats: enqueueActions(({ context, event, enqueue }) => apply(enqueue, refundOpenSeats(context, event))),
    lapseUnconfirmedSeats: enqueueActions(({ context, event, enqueue }) => apply(enqueue, lapseUnconfirmedSeats(context, event))),
    settleSeat: enqueueActions(({ context, event, enqueue }) => apply(enqueue, settleSeat(context, event))),
    freezeSeat: enqueueActions(({ context, event, enqueue }) => apply(enqueue, freezeSeat(context, event))),
    splitSeat: enqueueActions(({ context, event, enqueue }) => apply(enqueue, splitSeat(context, event))),
    cancelFree: enqueueActions(({ context, event, enqueue }) => apply(enqueue, cancelFree(context, event))),
    cancelLate: enqueueActions(({ context, event, enqueue }) => apply(enqueue, cancelLate(context, event))),
    cancelBySupplier: enqueueActions(({ context, event, enqueue }) => apply(enqueue, cancelBySupplier(context, event))),
    announceClosure: enqueueActions(({ context, enqueue }, params: { outcome: ContractOutcome }) =>
      apply(enqueue, announceClosure(context, params.outcome)),
    ),
    armStaffingDeadline: raise(({ context }) => ({ type: "deadline.staffing" as const, at: context.staffingDeadlineAt }), {
      id: "deadline.staffing",
      delay: "staffingDeadline",
    }),
    disarmStaffingDeadline: cancel("deadline.staffing"),
    armConfirmDeadline: raise(({ context }) => ({ type: "deadline.confirm" as const, at: context.confirmDeadlineAt }), {
      id: "deadline.confirm",
      delay: "confirmDeadline",
    }),
    disarmConfirmDeadline: cancel("deadline.confirm"),
    armShiftStart: raise(({ context }) => ({ type: "deadline.start" as const, at: context.shiftStart }), { id: "deadline.start", delay: "shiftStart" }),
    disarmShiftStart: cancel("deadline.start"),
    armShiftEnd: raise(({ context }) => ({ type: "deadline.end" as const, at: context.shiftEnd }), { id: "deadline.end", delay: "shiftEnd" }),
    disarmShiftEnd: cancel("deadline.end"),
  },
}).createMachine({
  id: "contract",
  // Stored beside each snapshot by the runtime: a change to states or context that old snapshots cannot restore into bumps it (and needs a migration).
  version: "1",
  description: "One contract (one fill): seats staffed by a supplier, worked, approved and settled from escrow exactly once per seat.",
  context: ({ input }) => initialContractContext(input),
  initial: "staffing",
  // Seat reports, operators and cancellations are accepted in every state
  // before the end, guarded by the seat's own status and the event's instant:
  // the runtime may deliver a shift's report or fire a timer late (after a
  // restart), and the contract must still reach the same decision.
  on: {
    "seat.assign": { guard: "canAssign", actions: "assignSeat" },
    "seat.confirmed": { guard: "confirmsAssignedSeat", actions: "confirmSeat" },
    "seat.declined": [
      { guard: "declinedBeforeStaffingDeadline", actions: "reopenSeat" },
      { guard: "reportsCurrentShift", actions: "refundDeclinedSeat" },
    ],
    "seat.noShow": { guard: "reportsCurrentShift", actions: "refundNoShowSeat" },
    "seat.approved": { guard: "reportsCurrentShift", actions: "settleSeat" },
    "seat.disputed": { guard: "reportsCurrentShift", actions: "freezeSeat" },
    "dispute.resolve": { guard: "canSplit", actions: "splitSeat" },
    "enterprise.cancel": [
      { guard: "cancelsFree", target: ".cancelled", actions: "cancelFree" },
      { guard: "beforeShiftStart", target: ".cancelled", actions: "cancelLate" },
    ],
    "supplier.cancel": { guard: "beforeShiftStart", target: ".cancelled", actions: "cancelBySupplier" },
  },
  states: {
    staffing: {
      description: "The supplier names a worker for every seat; seats still empty at the staffing deadline are refunded.",
      entry: "armStaffingDeadline",
      exit: "disarmStaffingDeadline",
      always: [closes, { guard: "allSeatsConfirmed", target: "ready" }, { guard: "hasNoOpenSeat", target: "confirming" }],
      on: { "deadline.staffing": { guard: "staffingDeadlineDue", actions: "refundOpenSeats" } },
    },
    confirming: {
      description: "Every seat has a worker; each must confirm by the confirmation deadline, or the seat is refunded.",
      entry: "armConfirmDeadline",
      exit: "disarmConfirmDeadline",
      always: [closes, { guard: "hasOpenSeat", target: "staffing" }, { guard: "allSeatsConfirmed", target: "ready" }],
      on: { "deadline.confirm": { guard: "confirmDeadlineDue", actions: "lapseUnconfirmedSeats" } },
    },
    ready: {
      description: "Every remaining seat is confirmed; waiting for the shift to start.",
      entry: "armShiftStart",
      exit: "disarmShiftStart",
      always: [closes, { guard: "hasUnconfirmedSeat", target: "confirming" }],
      on: { "deadline.start": { guard: "shiftStartDue", target: "inProgress" } },
    },
    inProgress: {
      description: "The shift is on: workers check in and out; no-shows are refunded.",
      entry: "armShiftEnd",
      exit: "disarmShiftEnd",
      always: [closes, { guard: "onlyDisputesOpen", target: "disputed" }],
      on: { "deadline.end": { guard: "shiftEndDue", target: "awaitingApproval" } },
    },
    awaitingApproval: {
      description: "The shift has ended: each seat settles when its hours are approved (or auto-approved), or freezes when disputed.",
      always: [closes, { guard: "onlyDisputesOpen", target: "disputed" }],
    },
    disputed: {
      description: "Every other seat is done; disputed seats' funds are frozen until an operator splits them.",
      always: [closes],
    },
    closing: {
      description: "Every seat's escrow has left; chooses how the contract ended.",
      always: [{ guard: "anySeatSplit", target: "resolved" }, { guard: "anySeatReachedShift", target: "settled" }, { target: "cancelled" }],
    },
    settled: { type: "final", entry: { type: "announceClosure", params: { outcome: "settled" } } },
    resolved: { type: "final", entry: { type: "announceClosure", params: { outcome: "resolved" } } },
    cancelled: { type: "final", entry: { type: "announceClosure", params: { outcome: "cancelled" } } },
  },
});

/** The contract machine's state names. */
export type ContractState = "staffing" | "confirming" | "ready" | "inProgress" | "awaitingApproval" | "disputed" | "closing" | "settled" | "resolved" | "cancelled";

/**
 * The timers the runtime must hold for a contract in this snapshot (live or
 * persisted JSON): at most one, the deadline of the state it waits in.
 */
export function contractDueTimers(snapshot: { value: unknown; context: ContractContext; status?: string }): DueTimer<ContractDeadline>[] {
  if (snapshot.status !== undefined && snapshot.status !== "active") return [];
  if (typeof snapshot.value !== "string" || !(snapshot.value in CONTRACT_TIMERS)) return [];
  const timer = CONTRACT_TIMERS[snapshot.value as keyof typeof CONTRACT_TIMERS];
  const c = snapshot.context;
  const dueAt = timer.dueAt(c);
  return [{ id: `${c.contractId}:timer:${timer.event}`, machineId: c.contractId, dueAt, event: { type: timer.event, at: dueAt } }];
}
