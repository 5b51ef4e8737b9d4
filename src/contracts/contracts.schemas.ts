/** TypeBox schemas of the contract runtime's routes: staffing, attendance, timesheets, cancellation, splits, earnings, sites. */
import { Type } from "typebox";
import { EnterpriseReliability, PageOf, PageQuery } from "../http/schemas";

const Id = Type.String({ minLength: 1, maxLength: 64 });
const Iso = Type.String({ description: "ISO 8601 with offset (Asia/Shanghai)" });
const NullableIso = Type.Union([Iso, Type.Null()]);
const Reason = Type.String({ minLength: 1, maxLength: 500 });

export const ContractParams = Type.Object({ id: Id }, { additionalProperties: false });
export const SeatParams = Type.Object({ id: Id, seat: Type.Integer({ minimum: 1, maximum: 100_000 }) }, { additionalProperties: false });
export const ShiftParams = Type.Object({ id: Id }, { additionalProperties: false });

/** The terms a contract runs under, as users are shown them. */
export const Policy = Type.Object({
  staffingDeadlineMinutesBeforeStart: Type.Integer({ description: "Seats can be (re)assigned until this long before the start; a seat still empty then is refunded" }),
  confirmDeadlineMinutesBeforeStart: Type.Integer({ description: "Named workers confirm by this long before the start; an unconfirmed seat is refunded" }),
  noShowGraceMinutes: Type.Integer({ description: "A confirmed worker not checked in this long after the start is a no-show (the seat is refunded)" }),
  approvalWindowMinutes: Type.Integer({ description: "The enterprise approves or disputes hours within this long after the end; silence approves" }),
  freeCancellationNoticeMinutes: Type.Integer({ description: "An enterprise cancelling at least this long before the start pays nothing" }),
  lateCancellationFeeMinutes: Type.Integer({ description: "A later enterprise cancellation pays the supplier this many minutes at the trade rate per staffed seat; the rest is refunded" }),
  hoursRounding: Type.Object({ unitMinutes: Type.Integer(), rounding: Type.Union([Type.Literal("down"), Type.Literal("up"), Type.Literal("nearest")]) }),
  supplierCancellation: Type.String({ description: "What a supplier's cancellation does" }),
  noShow: Type.String({ description: "What a no-show does" }),
});

const Settlement = Type.Object({
  kind: Type.Union([Type.Literal("settled"), Type.Literal("refunded"), Type.Literal("late_cancelled")]),
  minutes: Type.Union([Type.Integer(), Type.Null()]),
  basis: Type.Union([Type.String(), Type.Null()], { description: "approved, auto_approved, dispute_split; or why a seat was refunded" }),
  reason: Type.Union([Type.String(), Type.Null()], { description: "The operator's reason for a split" }),
  wageFen: Type.Integer({ description: "Gross pay (or the late-cancellation fee) in fen" }),
  taxFen: Type.Integer(),
  feeFen: Type.Integer({ description: "Platform fee in fen" }),
  refundFen: Type.Integer({ description: "Back to the enterprise's wallet, fen" }),
  payeeAccountId: Type.Union([Type.String(), Type.Null()]),
  transferIds: Type.Array(Type.String()),
  settledAt: Iso,
});

export const Seat = Type.Object({
  seat: Type.Integer(),
  status: Type.String({ description: "open, assigned, confirmed, disputed, closed" }),
  shiftId: Type.Union([Type.String(), Type.Null()]),
  workerId: Type.Union([Type.String(), Type.Null()]),
  workerName: Type.Union([Type.String(), Type.Null()]),
  shiftState: Type.Union([Type.String(), Type.Null()]),
  dispute: Type.Union([Type.Object({ at: Iso, reason: Type.String(), recordedMinutes: Type.Union([Type.Integer(), Type.Null()]), proposedMinutes: Type.Union([Type.Integer(), Type.Null()]) }), Type.Null()]),
  settlement: Type.Union([Settlement, Type.Null()]),
});

export const Workflow = Type.Object({
  contractId: Type.String(),
  market: Type.String(),
  skillId: Type.String(),
  state: Type.String({ description: "staffing, confirming, ready, inProgress, awaitingApproval, disputed, closing, settled, resolved, cancelled" }),
  closed: Type.Boolean({ description: "Final, and its escrow stands at zero" }),
  outcome: Type.Union([Type.String(), Type.Null()]),
  enterpriseId: Type.String(),
  enterpriseName: Type.String(),
  enterpriseReliability: EnterpriseReliability,
  supplierId: Type.String(),
  supplierName: Type.String(),
  shared: Type.Boolean(),
  headcount: Type.Integer(),
  rateFen: Type.Integer(),
  paidMinutes: Type.Integer(),
  seatFen: Type.Integer({ description: "Escrow per seat: the wage of the paid minutes plus the platform fee" }),
  shiftStart: Iso,
  shiftEnd: Iso,
  deadlines: Type.Object({ staffingDeadline: Iso, confirmDeadline: Iso, freeCancellationUntil: Iso, noShowAt: Iso, autoApproveAt: Iso }),
  policy: Policy,
  cancellation: Type.Union([Type.Object({ by: Type.String(), at: Iso, late: Type.Boolean(), reason: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
  seats: Type.Array(Seat),
});
export const WorkflowPage = PageOf(Workflow);

export const Shift = Type.Object({
  shiftId: Type.String(),
  contractId: Type.String(),
  seat: Type.Integer(),
  state: Type.String({ description: "assigned, confirmed, checkedIn, checkedOut, disputed, approved, resolved, declined, replaced, lapsed, cancelled, noShow" }),
  workerId: Type.String(),
  workerName: Type.Union([Type.String(), Type.Null()]),
  enterpriseId: Type.String(),
  enterpriseName: Type.String(),
  enterpriseReliability: EnterpriseReliability,
  supplierId: Type.String(),
  supplierName: Type.String(),
  market: Type.String(),
  skillId: Type.String(),
  shiftStart: Iso,
  shiftEnd: Iso,
  paidMinutes: Type.Integer(),
  rateFen: Type.Integer(),
  confirmDeadline: Iso,
  noShowAt: Iso,
  autoApproveAt: Iso,
  confirmedAt: NullableIso,
  checkIn: Type.Union([Type.Object({ at: Iso, outsideGeofence: Type.Boolean(), accepted: Type.Boolean() }), Type.Null()]),
  checkOut: Type.Union([Type.Object({ at: Iso, by: Type.String() }), Type.Null()]),
  recordedMinutes: Type.Union([Type.Integer(), Type.Null()]),
  dispute: Type.Union([Type.Object({ at: Iso, reason: Type.String(), proposedMinutes: Type.Union([Type.Integer(), Type.Null()]) }), Type.Null()]),
  paid: Type.Union([Type.Object({ minutes: Type.Integer(), basis: Type.String(), reason: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
  ended: Type.Union([Type.Object({ at: Iso, why: Type.String() }), Type.Null()]),
  earnings: Type.Union([
    Type.Object({ wageFen: Type.Integer(), taxFen: Type.Integer(), netFen: Type.Integer(), paidTo: Type.Union([Type.Literal("worker"), Type.Literal("supplier")]), payeeAccountId: Type.String() }),
    Type.Null(),
  ]),
  warning: Type.Optional(Type.String({ description: "A check-in kept but flagged (outside the site's fence): the enterprise decides" })),
});
export const ShiftList = Type.Object({ items: Type.Array(Shift) });
export const ShiftPage = PageOf(Shift);
export const ShiftQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export const AssignBody = Type.Object(
  {
    seat: Type.Integer({ minimum: 1, maximum: 100_000, description: "1..headcount; a seat that has a worker gets a replacement" }),
    workerId: Id,
  },
  { additionalProperties: false, examples: [{ seat: 1, workerId: "wrk_01hx…" }] },
);
export const CancelBody = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });
export const SplitBody = Type.Object(
  { minutes: Type.Integer({ minimum: 0, maximum: 24 * 60, description: "Minutes the supplier (or independent worker) is paid; the rest goes back to the enterprise" }), reason: Reason },
  { additionalProperties: false },
);
export const DeclineBody = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });
export const AttendanceBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 12, description: "The six-digit code on the site's screen (it changes every 30 seconds)" }),
    latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  },
  { additionalProperties: false },
);
export const ApproveBody = Type.Object(
  { checkOutAt: Type.Optional(Type.String({ format: "date-time", description: "Names a missing check-out" })) },
  { additionalProperties: false },
);
export const DisputeBody = Type.Object(
  { reason: Reason, proposedMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 * 60, description: "What the enterprise would approve" })) },
  { additionalProperties: false },
);

export const SiteCode = Type.Object({
  enterpriseId: Type.String(),
  code: Type.String({ description: "Six digits; workers type or scan it to check in and out" }),
  validUntil: Iso,
  periodSeconds: Type.Integer(),
  secondsLeft: Type.Integer({ description: "Seconds until the code changes (by the server's clock)" }),
  fence: Type.Union([Type.Object({ latitude: Type.Number(), longitude: Type.Number(), radiusM: Type.Integer() }), Type.Null()]),
});
export const SiteBody = Type.Object(
  {
    fence: Type.Union([
      Type.Object(
        { latitude: Type.Number({ minimum: -90, maximum: 90 }), longitude: Type.Number({ minimum: -180, maximum: 180 }), radiusM: Type.Integer({ minimum: 10, maximum: 100_000 }) },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);

export const Earning = Type.Object({
  contractId: Type.String(),
  seat: Type.Integer(),
  shiftId: Type.Union([Type.String(), Type.Null()]),
  workerId: Type.Union([Type.String(), Type.Null()]),
  kind: Type.String(),
  minutes: Type.Union([Type.Integer(), Type.Null()]),
  basis: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  wageFen: Type.Integer(),
  taxFen: Type.Integer(),
  netFen: Type.Integer(),
  wage: Type.String({ description: "Net pay in yuan, e.g. \"240.00\"" }),
  payeeAccountId: Type.Union([Type.String(), Type.Null()]),
  settledAt: Iso,
});
export const EarningPage = PageOf(Earning);

export const Notification = Type.Object({ id: Type.String(), kind: Type.String(), contractId: Type.String(), shiftId: Type.Union([Type.String(), Type.Null()]), seat: Type.Union([Type.Integer(), Type.Null()]), at: Iso });
export const NotificationPage = PageOf(Notification);
