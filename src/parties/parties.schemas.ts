/**
 * TypeBox schemas of the parties API. The limits here are the limits the
 * server enforces (the services check the rest, e.g. checksums, and say so
 * in the descriptions), so the OpenAPI document never promises more than
 * the server accepts.
 */
import { Type } from "typebox";
import { DateString, PageOf, PageQuery } from "../http/schemas";
import { districts, keyGroups, skills } from "./catalogue";

export const OrganisationKind = Type.Union([Type.Literal("enterprise"), Type.Literal("agency")]);
export const LicenceType = Type.Union([Type.Literal("hr_service"), Type.Literal("labour_dispatch")]);
export const Role = Type.Union([Type.Literal("enterprise"), Type.Literal("agency"), Type.Literal("operator"), Type.Literal("regulator"), Type.Literal("worker")]);

// Text the server trims: a pattern states the length it checks after trimming (JS trim() and \s cover the same spaces).
const AT_LEAST_TWO_AFTER_TRIM = "\\S[\\s\\S]*\\S";
const AT_LEAST_THREE_AFTER_TRIM = "\\S[\\s\\S]+\\S";
const NOT_BLANK = "\\S";

/** A mainland mobile number as validateChinaMobile accepts it: 11 digits from 13–19, optional +86/0086/86, spaces or hyphens anywhere. */
const PHONE_PATTERN = "^[\\s-]*(?:\\+[\\s-]*8[\\s-]*6|0[\\s-]*0[\\s-]*8[\\s-]*6|8[\\s-]*6)?[\\s-]*1[\\s-]*[3-9](?:[\\s-]*\\d){9}[\\s-]*$";

const Phone = (description: string) =>
  Type.String({ maxLength: 20, pattern: PHONE_PATTERN, description: `${description}. Mainland mobile: 11 digits starting 13–19, optionally +86, 0086 or 86 before; spaces and hyphens are ignored`, examples: [EXAMPLES.phone, "138 0013 8000"] });

const DistrictCode = Type.Enum(districts.map((d) => d.code), {
  description: "GB/T 2260 code of one of Chongqing's 38 districts and counties (see GET /v1/catalogue)",
  examples: ["500107"],
});

const Reason = Type.String({ minLength: 1, maxLength: 500, pattern: NOT_BLANK });

/** A valid Chongqing example of each identity number (checksums correct), for the docs. */
export const EXAMPLES = {
  creditCode: "91500107MA60EXAMPB",
  residentId: "500107199003071234",
  phone: "+8613800138000",
  districtCode: "500107",
} as const;

export const CreateOrganisationBody = Type.Object(
  {
    kind: OrganisationKind,
    name: Type.String({ maxLength: 200, pattern: AT_LEAST_TWO_AFTER_TRIM, description: "At least 2 characters besides surrounding spaces (which are trimmed)" }),
    creditCode: Type.String({
      maxLength: 64,
      pattern: "^\\s*[0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y]{18}\\s*$",
      description: "Unified social credit code (GB 32100-2015): 18 characters without I, O, S, V, Z; case and surrounding spaces are ignored; the registration type, region and check character are verified",
    }),
    districtCode: DistrictCode,
    lendsStaff: Type.Optional(Type.Boolean({ description: "An enterprise that lends its idle staff (shared staffing); enterprises only" })),
  },
  {
    additionalProperties: false,
    examples: [{ kind: "enterprise", name: "重庆九龙坡示例制造有限公司 Jiulongpo Example Manufacturing", creditCode: EXAMPLES.creditCode, districtCode: EXAMPLES.districtCode }],
  },
);

export const UpdateOrganisationBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200, pattern: AT_LEAST_TWO_AFTER_TRIM, description: "Operators only, with a reason" })),
    districtCode: Type.Optional(DistrictCode),
    lendsStaff: Type.Optional(Type.Boolean({ description: "Operators only, with a reason; enterprises only" })),
    reason: Type.Optional({ ...Reason, description: "Why the operator makes the change; required with name or lendsStaff, and recorded" }),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ lendsStaff: true, reason: "shared-staffing agreement filed with the district HR bureau, ref. 2026-117" }] },
);

export const Licence = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  type: LicenceType,
  number: Type.String(),
  validUntil: Type.String({ description: "Last valid day" }),
  status: Type.Union([Type.Literal("pending"), Type.Literal("valid"), Type.Literal("suspended"), Type.Literal("expired")]),
  statusReason: Type.Union([Type.String(), Type.Null()]),
  verifiedAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});

export const Organisation = Type.Object({
  id: Type.String(),
  kind: OrganisationKind,
  name: Type.String(),
  creditCode: Type.String(),
  districtCode: Type.String(),
  lendsStaff: Type.Boolean(),
  colour: Type.Union([Type.Literal("red"), Type.Literal("blue"), Type.Literal("black")]),
  integrityPoints: Type.Integer(),
  licences: Type.Array(Licence),
  createdAt: Type.String(),
});

export const OrganisationChange = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  field: Type.Union([Type.Literal("name"), Type.Literal("districtCode"), Type.Literal("lendsStaff")]),
  oldValue: Type.String(),
  newValue: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()], { description: "The operator's reason (required for name and lendsStaff)" }),
  changedBy: Type.String({ description: "Id of the API key that made the change" }),
  changedByRole: Type.String(),
  changedAt: Type.String(),
});

export const CreateLicenceBody = Type.Object(
  {
    type: LicenceType,
    number: Type.String({ maxLength: 64, pattern: AT_LEAST_THREE_AFTER_TRIM, description: "At least 3 characters besides surrounding spaces (which are trimmed)" }),
    validUntil: { ...DateString, description: "Last valid day (YYYY-MM-DD, Asia/Shanghai); today or later" },
    verified: Type.Optional(Type.Boolean({ description: "Operators only: record the licence as already verified" })),
  },
  { additionalProperties: false, examples: [{ type: "labour_dispatch", number: "渝劳派500107-2026-0042", validUntil: "2029-12-31" }] },
);

export const LicenceActionBody = Type.Object(
  { reason: Type.Optional(Reason) },
  { additionalProperties: false },
);

const Label = Type.String({ minLength: 1, maxLength: 100, pattern: NOT_BLANK });

export const CreateApiKeyBody = Type.Object(
  { label: Label },
  { additionalProperties: false, examples: [{ label: "dispatch desk" }] },
);

export const CreateStaffKeyBody = Type.Object(
  { role: Type.Union([Type.Literal("operator"), Type.Literal("regulator")]), label: Label },
  { additionalProperties: false },
);

export const ApiKey = Type.Object({
  id: Type.String(),
  apiKey: Type.String({ description: "Shown once; store it now" }),
  prefix: Type.String(),
  role: Role,
  organisationId: Type.Union([Type.String(), Type.Null()]),
  label: Type.String(),
});

const SkillClaim = Type.Object(
  {
    skillId: Type.Enum(skills.map((s) => s.id), { description: "A skill of the catalogue (GET /v1/catalogue)" }),
    level: Type.Integer({ minimum: 0, maximum: 5, description: "Certificate level, at most the skill's maxLevel in the catalogue" }),
  },
  { additionalProperties: false },
);

const Skills = Type.Array(SkillClaim, { maxItems: 30, description: "Each skill at most once" });
const KeyGroups = Type.Array(Type.Enum(keyGroups.map((k) => k.id)), { maxItems: 10, description: "Key groups (duplicates are dropped)" });

export const CreateWorkerBody = Type.Object(
  {
    realName: Type.String({ maxLength: 100, pattern: AT_LEAST_TWO_AFTER_TRIM, description: "At least 2 characters besides surrounding spaces (which are trimmed)" }),
    residentId: Type.String({
      maxLength: 32,
      pattern: "^\\s*\\d{17}[\\dXx]\\s*$",
      description: "Resident ID number (GB 11643): 17 digits and a check digit or X; the region, birth date and check digit are verified, and the person must be at least 16. Stored only as a keyed hash and a mask",
    }),
    phone: Phone("The worker's phone, used to log in"),
    districtCode: DistrictCode,
    skills: Type.Optional(Skills),
    keyGroups: Type.Optional(KeyGroups),
    supplierId: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()], { description: "Operators only: the supplying organisation, or null for an independent worker" })),
  },
  {
    additionalProperties: false,
    examples: [{
      realName: "李雷",
      residentId: EXAMPLES.residentId,
      phone: EXAMPLES.phone,
      districtCode: EXAMPLES.districtCode,
      skills: [{ skillId: "welder", level: 2 }],
      keyGroups: ["migrant_worker"],
    }],
  },
);

export const UpdateWorkerBody = Type.Object(
  {
    phone: Type.Optional(Phone("A new phone: it becomes pending, a code is sent to it, and it takes effect when the worker confirms (POST /v1/me/phone/confirm), which ends the worker's sessions")),
    districtCode: Type.Optional(DistrictCode),
    skills: Type.Optional(Skills),
    keyGroups: Type.Optional(KeyGroups),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ districtCode: "500106", skills: [{ skillId: "electrician", level: 1 }] }] },
);

export const Worker = Type.Object({
  id: Type.String(),
  supplierId: Type.Union([Type.String(), Type.Null()]),
  realName: Type.String(),
  identityMasked: Type.String({ description: "e.g. 500***********123X; the full number is never stored" }),
  phone: Type.String(),
  pendingPhone: Type.Union([Type.String(), Type.Null()], { description: "A requested new phone the worker has not confirmed yet" }),
  juvenile: Type.Boolean({ description: "Aged 16 or 17 today: kept off night shifts and hazardous skills" }),
  districtCode: Type.String(),
  skills: Type.Array(Type.Object({ skillId: Type.String(), level: Type.Integer() })),
  keyGroups: Type.Array(Type.String()),
  createdAt: Type.String(),
});

export const WorkerListQuery = Type.Object(
  { ...PageQuery, supplierId: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);

export const OrganisationListQuery = Type.Object(
  { ...PageQuery, kind: Type.Optional(OrganisationKind) },
  { additionalProperties: false },
);

export const ChangeListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export const WorkerPage = PageOf(Worker);
export const OrganisationPage = PageOf(Organisation);
export const OrganisationChangePage = PageOf(OrganisationChange);

const Code = Type.String({ pattern: "^\\d{6}$", description: "The 6-digit code from the text message", examples: ["042917"] });

export const OtpRequestBody = Type.Object(
  { phone: Phone("The worker's phone") },
  { additionalProperties: false, examples: [{ phone: EXAMPLES.phone }] },
);
export const OtpVerifyBody = Type.Object(
  { phone: Phone("The phone the code was sent to"), code: Code },
  { additionalProperties: false, examples: [{ phone: EXAMPLES.phone, code: "042917" }] },
);

export const PhoneConfirmBody = Type.Object(
  { code: Code },
  { additionalProperties: false, examples: [{ code: "042917" }] },
);
export const PhoneConfirmed = Type.Object({
  worker: Worker,
  sessionsEnded: Type.Integer({ description: "How many sessions of the worker ended (this one included); log in again with the new phone" }),
});
