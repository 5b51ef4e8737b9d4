/**
 * The worker-shift machine: one per worker named to a seat (the contract's
 * `shift.create` effect starts it). It owns attendance and hours: the
 * worker's confirmation, check-in (flagged when outside the site's fence),
 * check-out, the enterprise's approval or dispute, and the two deadlines
 * that belong to the worker (no-show after the start, auto-approval after the
 * end). It moves no money: it reports each outcome to its contract
 * (`contract.send`), which owns the seat's escrow.
 *
 *   assigned → confirmed → checkedIn → checkedOut → approved
 *      ↘ declined   ↘ noShow     ↘ (approved, missing check-out named by the enterprise)
 *                                 ↘ disputed → resolved (operator split, sent by the contract)
 *   before its outcome, the contract's commands win: → replaced | lapsed | cancelled
 */
import { assertEvent, cancel, enqueueActions, raise, setup } from "xstate";
import { instantOf, msUntil } from "./deadlines";
import { paidMinutesWorked } from "./hours";
import type { HoursRule } from "./hours";
import {
  effectIds,
  type ApprovalBasis,
  type DueTimer,
  type Effect,
  type EpochMs,
  type Recipient,
  type SeatReport,
  type WorkerShiftDeadline,
  type WorkerShiftEvent,
  type WorkerShiftInput,
} from "./types";

// ------------------------------------------------------------------ context

/** The worker-shift's context: the facts it was started with, its absolute deadlines, and what happened. */
export interface WorkerShiftContext {
  readonly shiftId: string;
  readonly contractId: string;
  readonly seat: number;
  readonly workerId: string;
  readonly enterpriseId: string;
  readonly supplierId: string;
  readonly shiftStart: EpochMs;
  readonly shiftEnd: EpochMs;
  readonly paidMinutes: number;
  readonly hoursRule: HoursRule;
  readonly assignedAt: EpochMs;
  readonly confirmDeadlineAt: EpochMs;
  /** A confirmed worker not checked in by then is a no-show. */
  readonly noShowAt: EpochMs;
  /** Hours not approved or disputed by then are approved. */
  readonly autoApproveAt: EpochMs;
  readonly confirmedAt: EpochMs | null;
  readonly checkIn: { readonly at: EpochMs; readonly outsideGeofence: boolean; readonly accepted: boolean } | null;
  /** `shift_end`: never checked out, approved by silence as if at the shift's end. */
  readonly checkOut: { readonly at: EpochMs; readonly by: "worker" | "enterprise" | "shift_end" } | null;
  /** Paid minutes by the clock times and the hours rule, once a check-out is known. */
  readonly recordedMinutes: number | null;
  readonly dispute: { readonly at: EpochMs; readonly reason: string; readonly proposedMinutes: number | null } | null;
  /** What the worker is paid for, once decided: the pages show it with the earnings. */
  readonly paid: { readonly at: EpochMs; readonly minutes: number; readonly basis: ApprovalBasis | "dispute_split"; readonly reason: string | null } | null;
  /** When and why it ended without being worked (declined, replaced, lapsed, cancelled, no-show). */
  readonly ended: { readonly at: EpochMs; readonly why: "declined" | "replaced" | "lapsed" | "cancelled" | "no_show" } | null;
}

/** The worker-shift's context at its start. */
export function initialWorkerShiftContext(input: WorkerShiftInput): WorkerShiftContext {
  return {
    shiftId: input.shiftId,
    contractId: input.contractId,
    seat: input.seat,
    workerId: input.workerId,
    enterpriseId: input.enterpriseId,
    supplierId: input.supplierId,
    shiftStart: input.shiftStart,
    shiftEnd: input.shiftEnd,
    paidMinutes: input.paidMinutes,
    hoursRule: input.hoursRule,
    assignedAt: input.at,
    confirmDeadlineAt: input.confirmDeadlineAt,
    noShowAt: input.shiftStart + input.noShowGraceMs,
    autoApproveAt: input.shiftEnd + input.approvalWindowMs,
    confirmedAt: null,
    checkIn: null,
    checkOut: null,
    recordedMinutes: null,
    dispute: null,
    paid: null,
    ended: null,
  };
}

// ------------------------------------------------------------------ helpers (pure)

interface Decision {
  readonly patch?: Partial<WorkerShiftContext>;
  readonly effects: readonly Effect[];
}

interface Enqueue {
  assign(patch: Partial<WorkerShiftContext>): void;
  emit(effect: Effect): void;
}

function apply(enqueue: Enqueue, decision: Decision): void {
  if (decision.patch !== undefined) enqueue.assign(decision.patch);
  for (const effect of decision.effects) enqueue.emit(effect);
}

const fx = {
  report: (c: WorkerShiftContext, event: SeatReport): Effect => ({
    id: effectIds.contractSend(c.shiftId, event.type),
    type: "contract.send",
    contractId: c.contractId,
    event,
  }),
  notify: (c: WorkerShiftContext, to: Exclude<Recipient, "operator">, kind: string): Effect => ({
    id: effectIds.shiftNotify(c.shiftId, to, kind),
    type: "notify",
    to,
    recipientId: to === "worker" ? c.workerId : to === "enterprise" ? c.enterpriseId : c.supplierId,
    contractId: c.contractId,
    shiftId: c.shiftId,
    seat: c.seat,
    kind,
  }),
};

function minutesUntil(c: WorkerShiftContext, checkOutAt: EpochMs): number {
  const checkInAt = (c.checkIn as NonNullable<WorkerShiftContext["checkIn"]>).at;
  return paidMinutesWorked(
    { checkInAt, checkOutAt, shiftStart: c.shiftStart, shiftEnd: c.shiftEnd, paidMinutes: c.paidMinutes },
    c.hoursRule,
  );
}

/** Approval of `minutes`: recorded, reported to the contract (which settles), told to the worker. */
function approval(c: WorkerShiftContext, at: EpochMs, minutes: number, basis: ApprovalBasis, patch: Partial<WorkerShiftContext>): Decision {
  // An approval by the enterprise is also its acceptance of a flagged check-in.
  const checkIn = c.checkIn !== null && basis === "approved" ? { ...c.checkIn, accepted: true } : c.checkIn;
  return {
    patch: { ...patch, checkIn, paid: { at, minutes, basis, reason: null } },
    effects: [
      fx.report(c, { type: "seat.approved", seat: c.seat, shiftId: c.shiftId, minutes, basis, at }),
      fx.notify(c, "worker", basis === "approved" ? "hours_approved" : "hours_auto_approved"),
    ],
  };
}

// ------------------------------------------------------------------ decisions (one per named action)

const decide = {
  offer: (c: WorkerShiftContext): Decision => ({ effects: [fx.notify(c, "worker", "shift_offered")] }),
  recordConfirmation: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, "shift.confirm");
    return {
      patch: { confirmedAt: event.at },
      effects: [fx.report(c, { type: "seat.confirmed", seat: c.seat, shiftId: c.shiftId, at: event.at })],
    };
  },
  reportDecline: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, "shift.decline");
    return {
      patch: { ended: { at: event.at, why: "declined" } },
      effects: [fx.report(c, { type: "seat.declined", seat: c.seat, shiftId: c.shiftId, at: event.at })],
    };
  },
  recordCheckIn: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, "shift.checkIn");
    return { patch: { checkIn: { at: event.at, outsideGeofence: false, accepted: true } }, effects: [] };
  },
  recordFlaggedCheckIn: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, "shift.checkIn");
    // Kept, not refused: the worker may be at a gate the fence misses; the enterprise decides.
    return { patch: { checkIn: { at: event.at, outsideGeofence: true, accepted: false } }, effects: [fx.notify(c, "enterprise", "check_in_flagged")] };
  },
  acceptCheckIn: (c: WorkerShiftContext): Decision => ({
    patch: { checkIn: { ...(c.checkIn as NonNullable<WorkerShiftContext["checkIn"]>), accepted: true } },
    effects: [],
  }),
  recordCheckOut: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, "shift.checkOut");
    return { patch: { checkOut: { at: event.at, by: "worker" }, recordedMinutes: minutesUntil(c, event.at) }, effects: [] };
  },
  approve: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, "shift.approve");
    return approval(c, event.at, c.recordedMinutes ?? 0, "approved", {});
  },
  approveWithCheckOut: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, "shift.approve");
    const checkOutAt = event.checkOutAt as EpochMs;
    const minutes = minutesUntil(c, checkOutAt);
    return approval(c, event.at, minutes, "approved", { checkOut: { at: checkOutAt, by: "enterprise" }, recordedMinutes: minutes });
  },
  autoApprove: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, "deadline.autoApprove");
    return approval(c, event.at, c.recordedMinutes ?? 0, "auto_approved", {});
  },
  autoApproveAtShiftEnd: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, "deadline.autoApprove");
    // Silence about a missing check-out pays to the shift's end: the enterprise had
    // the whole window to name the time or dispute, and unpaid wages are the harm
    // this market exists to prevent.
    const minutes = minutesUntil(c, c.shiftEnd);
    return approval(c, event.at, minutes, "auto_approved", { checkOut: { at: c.shiftEnd, by: "shift_end" }, recordedMinutes: minutes });
  },
  recordDispute: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, "shift.dispute");
    return {
      patch: { dispute: { at: event.at, reason: event.reason, proposedMinutes: event.proposedMinutes } },
      effects: [
        fx.report(c, {
          type: "seat.disputed",
          seat: c.seat,
          shiftId: c.shiftId,
          recordedMinutes: c.recordedMinutes,
          proposedMinutes: event.proposedMinutes,
          reason: event.reason,
          at: event.at,
        }),
        fx.notify(c, "worker", "hours_disputed"),
      ],
    };
  },
  recordResolution: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, "shift.resolved");
    return {
      patch: { paid: { at: event.at, minutes: event.minutes, basis: "dispute_split", reason: event.reason } },
      effects: [fx.notify(c, "worker", "dispute_resolved")],
    };
  },
  reportNoShow: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, "deadline.noShow");
    return {
      patch: { ended: { at: event.at, why: "no_show" } },
      effects: [fx.report(c, { type: "seat.noShow", seat: c.seat, shiftId: c.shiftId, at: event.at }), fx.notify(c, "worker", "no_show")],
    };
  },
  endByContract: (c: WorkerShiftContext, event: WorkerShiftEvent): Decision => {
    assertEvent(event, ["shift.replace", "shift.lapse", "shift.cancel"]);
    const why = event.type === "shift.replace" ? "replaced" : event.type === "shift.lapse" ? "lapsed" : "cancelled";
    return { patch: { ended: { at: event.at, why } }, effects: [fx.notify(c, "worker", `shift_${why}`)] };
  },
};

// ------------------------------------------------------------------ timers

/** The deadline each waiting state arms, as data: the machine's delays and `workerShiftDueTimers` both read it. */
const SHIFT_TIMERS = {
  confirmed: { event: "deadline.noShow", dueAt: (c: WorkerShiftContext) => c.noShowAt },
  checkedIn: { event: "deadline.autoApprove", dueAt: (c: WorkerShiftContext) => c.autoApproveAt },
  checkedOut: { event: "deadline.autoApprove", dueAt: (c: WorkerShiftContext) => c.autoApproveAt },
} as const satisfies Record<string, { event: WorkerShiftDeadline["type"]; dueAt: (c: WorkerShiftContext) => EpochMs }>;

type Args = { context: WorkerShiftContext; event: WorkerShiftEvent };
const now = ({ context, event }: Args): EpochMs => instantOf(event, context.assignedAt);

// ------------------------------------------------------------------ the machine

/** The worker-shift machine (XState 5, pure): named guards, actions and delays; effects emitted as descriptors. */
export const workerShiftMachine = setup({
  types: {} as {
    context: WorkerShiftContext;
    events: WorkerShiftEvent;
    input: WorkerShiftInput;
    emitted: Effect;
  },
  delays: {
    noShowDeadline: ({ context, event }) => msUntil(context.noShowAt, event, context.assignedAt),
    autoApprovalDeadline: ({ context, event }) => msUntil(context.autoApproveAt, event, context.assignedAt),
  },
  guards: {
    beforeConfirmDeadline: (args) => now(args) < args.context.confirmDeadlineAt,
    beforeNoShowDeadline: (args) => now(args) < args.context.noShowAt,
    checksInOutsideFence: (args) => args.event.type === "shift.checkIn" && args.event.outsideGeofence && now(args) < args.context.noShowAt,
    checkInFlagged: ({ context }) => context.checkIn !== null && context.checkIn.outsideGeofence && !context.checkIn.accepted,
    namesCheckOut: ({ context, event }) =>
      event.type === "shift.approve" &&
      typeof event.checkOutAt === "number" &&
      Number.isSafeInteger(event.checkOutAt) &&
      context.checkIn !== null &&
      event.checkOutAt >= context.checkIn.at,
    validDispute: ({ context, event }) =>
      event.type === "shift.dispute" &&
      event.reason.trim() !== "" &&
      (event.proposedMinutes === null ||
        (Number.isInteger(event.proposedMinutes) && event.proposedMinutes >= 0 && event.proposedMinutes <= context.paidMinutes)),
    noShowDue: (args) => now(args) >= args.context.noShowAt,
    autoApprovalDue: (args) => now(args) >= args.context.autoApproveAt,
  },
  actions: {
    offer: enqueueActions(({ context, enqueue }) => apply(enqueue, decide.offer(context))),
    recordConfirmation: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.recordConfirmation(context, event))),
    reportDecline: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.reportDecline(context, event))),
    recordCheckIn: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.recordCheckIn(context, event))),
    recordFlaggedCheckIn: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.recordFlaggedCheckIn(context, event))),
    acceptCheckIn: enqueueActions(({ context, enqueue }) => apply(enqueue, decide.acceptCheckIn(context))),
    recordCheckOut: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.recordCheckOut(context, event))),
    approve: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.approve(context, event))),
    approveWithCheckOut: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.approveWithCheckOut(context, event))),
    autoApprove: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.autoApprove(context, event))),
    autoApproveAtShiftEnd: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.autoApproveAtShiftEnd(context, event))),
    recordDispute: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.recordDispute(context, event))),
    recordResolution: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.recordResolution(context, event))),
    reportNoShow: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.reportNoShow(context, event))),
    endByContract: enqueueActions(({ context, event, enqueue }) => apply(enqueue, decide.endByContract(context, event))),
    armNoShowDeadline: raise(({ context }) => ({ type: "deadline.noShow" as const, at: context.noShowAt }), {
      id: "deadline.noShow",
      delay: "noShowDeadline",
    }),
    disarmNoShowDeadline: cancel("deadline.noShow"),
    armAutoApproval: raise(({ context }) => ({ type: "deadline.autoApprove" as const, at: context.autoApproveAt }), {
      id: "deadline.autoApprove",
      delay: "autoApprovalDeadline",
    }),
    disarmAutoApproval: cancel("deadline.autoApprove"),
  },
}).createMachine({
  id: "workerShift",
  // Stored beside each snapshot by the runtime: a change to states or context that old snapshots cannot restore into bumps it (and needs a migration).
  version: "1",
  description: "One worker named to one seat: confirmation, attendance, hours and their approval.",
  context: ({ input }) => initialWorkerShiftContext(input),
  initial: "assigned",
  // The contract's commands end the shift in any state before its outcome: the
  // contract owns the seat's money and has already decided (a replacement, a
  // lapsed confirmation, a cancellation), so the shift follows.
  on: {
    "shift.replace": { target: ".replaced", actions: "endByContract" },
    "shift.lapse": { target: ".lapsed", actions: "endByContract" },
    "shift.cancel": { target: ".cancelled", actions: "endByContract" },
  },
  states: {
    assigned: {
      description: "Offered to the worker, who confirms or declines on the phone before the confirmation deadline.",
      entry: "offer",
      on: {
        "shift.confirm": { guard: "beforeConfirmDeadline", target: "confirmed", actions: "recordConfirmation" },
        "shift.decline": { target: "declined", actions: "reportDecline" },
      },
    },
    confirmed: {
      description: "The worker will come; not checked in by the start plus the grace period is a no-show.",
      entry: "armNoShowDeadline",
      exit: "disarmNoShowDeadline",
      on: {
        "shift.checkIn": [
          { guard: "checksInOutsideFence", target: "checkedIn", actions: "recordFlaggedCheckIn" },
          { guard: "beforeNoShowDeadline", target: "checkedIn", actions: "recordCheckIn" },
        ],
        "deadline.noShow": { guard: "noShowDue", target: "noShow", actions: "reportNoShow" },
      },
    },
    checkedIn: {
      description: "On site. The enterprise may accept a flagged check-in, or approve naming the missing check-out time.",
      entry: "armAutoApproval",
      exit: "disarmAutoApproval",
      on: {
        "shift.acceptCheckIn": { guard: "checkInFlagged", actions: "acceptCheckIn" },
        "shift.checkOut": { target: "checkedOut", actions: "recordCheckOut" },
        "shift.approve": { guard: "namesCheckOut", target: "approved", actions: "approveWithCheckOut" },
        "shift.dispute": { guard: "validDispute", target: "disputed", actions: "recordDispute" },
        "deadline.autoApprove": { guard: "autoApprovalDue", target: "approved", actions: "autoApproveAtShiftEnd" },
      },
    },
    checkedOut: {
      description: "Hours recorded; the enterprise approves or disputes within the window, silence approves.",
      entry: "armAutoApproval",
      exit: "disarmAutoApproval",
      on: {
        "shift.acceptCheckIn": { guard: "checkInFlagged", actions: "acceptCheckIn" },
        "shift.approve": { target: "approved", actions: "approve" },
        "shift.dispute": { guard: "validDispute", target: "disputed", actions: "recordDispute" },
        "deadline.autoApprove": { guard: "autoApprovalDue", target: "approved", actions: "autoApprove" },
      },
    },
    disputed: {
      description: "The seat's funds are frozen in the contract until an operator splits them.",
      on: { "shift.resolved": { target: "resolved", actions: "recordResolution" } },
    },
    approved: { type: "final", description: "Hours approved (or auto-approved); the contract settles the seat." },
    resolved: { type: "final", description: "An operator split the disputed hours." },
    declined: { type: "final" },
    replaced: { type: "final" },
    lapsed: { type: "final", description: "Not confirmed by the confirmation deadline; the seat was refunded." },
    cancelled: { type: "final" },
    noShow: { type: "final" },
  },
});

/** The worker-shift machine's state names. */
export type WorkerShiftState =
  | "assigned"
  | "confirmed"
  | "checkedIn"
  | "checkedOut"
  | "disputed"
  | "approved"
  | "resolved"
  | "declined"
  | "replaced"
  | "lapsed"
  | "cancelled"
  | "noShow";

/** The timers the runtime must hold for a worker-shift in this snapshot (live or persisted JSON). */
export function workerShiftDueTimers(snapshot: { value: unknown; context: WorkerShiftContext; status?: string }): DueTimer<WorkerShiftDeadline>[] {
  if (snapshot.status !== undefined && snapshot.status !== "active") return [];
  if (typeof snapshot.value !== "string" || !(snapshot.value in SHIFT_TIMERS)) return [];
  const timer = SHIFT_TIMERS[snapshot.value as keyof typeof SHIFT_TIMERS];
  const c = snapshot.context;
  const dueAt = timer.dueAt(c);
  return [{ id: `${c.shiftId}:timer:${timer.event}`, machineId: c.shiftId, dueAt, event: { type: timer.event, at: dueAt } }];
}
