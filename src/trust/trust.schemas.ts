/** TypeBox schemas of the trust API: ratings explained, appeals, operators' records, arrears, reliability, public disclosure. */
import { Type } from "typebox";
import { PageOf, PageQuery } from "../http/schemas";

const Id = Type.String({ minLength: 1, maxLength: 64 });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const ColourName = Type.Union([Type.Literal("red"), Type.Literal("blue"), Type.Literal("black")]);
const AnyJson = Type.Unknown({ description: "See the description" });

export const OrganisationParams = Type.Object({ id: Id }, { additionalProperties: false });

const Transition = Type.Object({
  id: Type.String(),
  from: ColourName,
  to: ColourName,
  reason: Type.Unknown({ description: "Why: { kind: licence_invalid | serious_violation | points_black | points_red | points_blue | history_short | appeal_upheld, … }" }),
  at: Type.String(),
  settingsVersion: Type.String(),
  points: Type.String({ description: "The score at the change, in points (\"57.00\")" }),
  eventIds: Type.Array(Type.String(), { description: "The events behind a downgrade: what an appeal may contest" }),
  appealId: Nullable(Type.String()),
});

export const Appeal = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  transitionId: Type.String(),
  from: ColourName,
  to: ColourName,
  grounds: Type.String(),
  contested: Type.Array(Type.String()),
  status: Type.Union([Type.Literal("open"), Type.Literal("upheld"), Type.Literal("rejected")]),
  filedAt: Type.String(),
  decision: Type.Union([Type.Object({ by: Type.String(), reason: Type.String(), at: Type.String() }), Type.Null()]),
});
export const AppealPage = PageOf(Appeal);

export const History = Type.Object({
  organisationId: Type.String(),
  colour: Type.Union([ColourName, Type.Null()], { description: "null: not rated yet (an agency is rated from its first valid licence)" }),
  reason: AnyJson,
  rated: Type.Boolean(),
  points: Type.String(),
  settingsVersion: Type.String(),
  at: Type.String(),
  lines: Type.Array(AnyJson, { description: "Every event that counts now: weight, age, share still counting, points; the score is base + their sum" }),
  events: Type.Array(AnyJson, { description: "The latest 200 scored events, newest first, annulled ones marked" }),
  transitions: Type.Array(Transition),
  appeals: Type.Array(Appeal),
});

export const FileAppealBody = Type.Object(
  {
    transitionId: Type.String({ minLength: 1, maxLength: 64, description: "The latest colour change (a downgrade)" }),
    grounds: Type.String({ minLength: 1, maxLength: 2000, description: "Why the change should be reversed" }),
    contested: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 1000, description: "Events behind the change that should not count (default: all)" })),
  },
  { additionalProperties: false },
);

export const AppealListQuery = Type.Object(
  { status: Type.Optional(Type.Union([Type.Literal("open"), Type.Literal("upheld"), Type.Literal("rejected")])), ...PageQuery },
  { additionalProperties: false },
);

export const DecisionBody = Type.Object(
  {
    decision: Type.Union([Type.Literal("upheld"), Type.Literal("rejected")]),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);

export const Decision = Type.Object({ appeal: Appeal, colour: Type.Union([ColourName, Type.Null()]), transition: Type.Union([Transition, Type.Null()]) });

export const RecordBody = Type.Object(
  {
    kind: Type.Union([Type.Literal("commendation"), Type.Literal("penalty")]),
    points: Type.Integer({ minimum: 1, maximum: 1_000_000, description: "Whole points, up to the settings' operatorMaxPoints" }),
    reason: Type.String({ minLength: 1, maxLength: 500, description: "Public: no personal data of workers" }),
    documentRef: Type.String({ minLength: 1, maxLength: 100, description: "The decision's document reference (文号)" }),
    serious: Type.Optional(Type.Boolean({ description: "A penalty for a serious violation: black at once for seriousViolationBlackDays" })),
  },
  { additionalProperties: false },
);

export const Recorded = Type.Object({
  event: Type.Object({ id: Type.String(), kind: Type.String(), at: Type.String(), points: Type.Union([Type.Integer(), Type.Null()]), reason: Nullable(Type.String()), documentRef: Nullable(Type.String()), serious: Type.Boolean() }),
  colour: Type.Union([ColourName, Type.Null()]),
  points: Type.String(),
  transition: Type.Union([Transition, Type.Null()]),
});

const Totals = Type.Object({ count: Type.Integer(), amountFen: Type.Integer(), amount: Type.String({ description: "yuan" }) });
const Buckets = Type.Object({ "0-3": Totals, "4-7": Totals, "8-30": Totals, "31+": Totals });
const ArrearsRow = Type.Object({ key: Type.String(), total: Totals, buckets: Buckets, oldestApprovedAt: Type.String() });
export const Arrears = Type.Object({
  at: Type.String(),
  settlementWindowDays: Type.Integer(),
  total: Type.Object({ "0-3": Totals, "4-7": Totals, "8-30": Totals, "31+": Totals, all: Totals }),
  byEnterprise: Type.Array(ArrearsRow),
  byDistrict: Type.Array(ArrearsRow),
  oldest: Type.Array(
    Type.Object({
      id: Type.String(), enterpriseId: Type.String(), districtCode: Type.String(), payee: Type.Union([Type.Literal("supplier"), Type.Literal("worker")]), payeeId: Type.String(),
      contractId: Type.String(), shiftId: Nullable(Type.String()), approvedAt: Type.String(), ageDays: Type.Integer(), bucket: Type.String(), amountFen: Type.Integer(), amount: Type.String(),
    }),
    { description: "The oldest unpaid approved hours (ARREARS_QUEUE_SIZE), oldest first" },
  ),
  costs: Type.Array(Type.Object({ enterpriseId: Type.String(), events: Type.Integer(), points: Type.String() })),
});

const Ratio = Type.Object({ numerator: Type.Integer(), denominator: Type.Integer(), percent: Nullable(Type.String()) });
export const ReliabilitySchema = Type.Object({
  enterpriseId: Type.String(),
  lateCancellation: Ratio,
  dispute: Ratio,
  approval: Type.Object({ medianMs: Type.Union([Type.Integer(), Type.Null()]), medianHours: Nullable(Type.String()), autoApproved: Ratio }),
});
export const ReliabilityQuery = Type.Object(
  { enterpriseIds: Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64}){0,99}$", description: "Up to 100 enterprise ids, comma-separated" }) },
  { additionalProperties: false },
);
export const ReliabilityList = Type.Object({
  windowDays: Type.Integer(),
  items: Type.Array(Type.Object({ enterpriseId: Type.String(), reliability: Type.Union([ReliabilitySchema, Type.Null()], { description: "null: nothing in the window" }) })),
});

// ------------------------------------------------------------------ public

const PublicLicence = Type.Object({ type: Type.String(), number: Type.String(), validUntil: Type.String(), status: Type.String() });
const PublicReason = Type.Object({ kind: Type.String(), points: Nullable(Type.String()), appealUpheld: Type.Boolean() });

export const DirectoryQuery = Type.Object(
  {
    district: Type.Optional(Type.String({ pattern: "^[0-9]{6}$", description: "District code, e.g. 500107" })),
    skill: Type.Optional(Type.String({ pattern: "^[a-z0-9-]{1,64}$", description: "A skill id of the catalogue: agencies whose workers hold it" })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "Part of the agency's name" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: PageQuery.cursor,
  },
  { additionalProperties: false },
);

export const DirectoryEntry = Type.Object({
  id: Type.String(), name: Type.String(), districtCode: Type.String(), colour: Type.Union([ColourName, Type.Null()]), points: Nullable(Type.String()), licences: Type.Array(PublicLicence),
});
export const DirectoryPage = PageOf(DirectoryEntry);

const PublicEvent = Type.Object({
  kind: Type.String(), at: Type.String(), count: Type.Integer(), reason: Nullable(Type.String()), documentRef: Nullable(Type.String()), points: Type.String(), serious: Type.Boolean(), annulled: Type.Boolean(),
});

export const PublicAgency = Type.Object({
  id: Type.String(), name: Type.String(), districtCode: Type.String(), registeredOn: Type.String(),
  colour: Type.Union([ColourName, Type.Null()], { description: "null: not rated yet (no valid licence yet)" }),
  reason: Type.Union([PublicReason, Type.Null()]),
  points: Nullable(Type.String()),
  settingsVersion: Type.String(),
  licences: Type.Array(PublicLicence),
  skills: Type.Array(Type.String()),
  history: Type.Array(PublicEvent, { description: "Scored events, newest first (reasons only; no personal data of workers)" }),
  transitions: Type.Array(Type.Object({ from: ColourName, to: ColourName, at: Type.String(), points: Type.String(), reason: PublicReason })),
  penalties: Type.Array(PublicEvent),
});

export const PublicSettings = Type.Object({
  inForce: AnyJson,
  versions: Type.Array(Type.Object({ version: Type.String(), inForceFrom: Type.String(), inForce: Type.Boolean() })),
});
