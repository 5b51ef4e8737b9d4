/** TypeBox schemas of the parties API. */
import { Type } from "typebox";
import { DateString } from "../http/schemas";

export const OrganisationKind = Type.Union([Type.Literal("enterprise"), Type.Literal("agency")]);
export const LicenceType = Type.Union([Type.Literal("hr_service"), Type.Literal("labour_dispatch")]);
export const Role = Type.Union([Type.Literal("enterprise"), Type.Literal("agency"), Type.Literal("operator"), Type.Literal("regulator"), Type.Literal("worker")]);

export const CreateOrganisationBody = Type.Object(
  {
    kind: OrganisationKind,
    name: Type.String({ minLength: 2, maxLength: 200 }),
    creditCode: Type.String({ minLength: 1, maxLength: 32, description: "Unified social credit code (18 characters, GB 32100-2015)" }),
    districtCode: Type.String({ pattern: "^\\d{6}$", description: "GB/T 2260 code of a Chongqing district or county" }),
    lendsStaff: Type.Optional(Type.Boolean({ description: "An enterprise that lends its idle staff (shared staffing)" })),
  },
  { additionalProperties: false },
);

export const UpdateOrganisationBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 2, maxLength: 200 })),
    districtCode: Type.Optional(Type.String({ pattern: "^\\d{6}$" })),
    lendsStaff: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
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

export const CreateLicenceBody = Type.Object(
  {
    type: LicenceType,
    number: Type.String({ minLength: 3, maxLength: 64 }),
    validUntil: DateString,
    verified: Type.Optional(Type.Boolean({ description: "Operators only: record the licence as already verified" })),
  },
  { additionalProperties: false },
);

export const LicenceActionBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
  { additionalProperties: false },
);

export const CreateApiKeyBody = Type.Object(
  { label: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

export const CreateStaffKeyBody = Type.Object(
  { role: Type.Union([Type.Literal("operator"), Type.Literal("regulator")]), label: Type.String({ minLength: 1, maxLength: 100 }) },
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
  { skillId: Type.String({ minLength: 1, maxLength: 64 }), level: Type.Integer({ minimum: 0, maximum: 5 }) },
  { additionalProperties: false },
);

export const CreateWorkerBody = Type.Object(
  {
    realName: Type.String({ minLength: 1, maxLength: 100 }),
    residentId: Type.String({ minLength: 1, maxLength: 32, description: "Resident ID number (GB 11643); stored only as a keyed hash and a mask" }),
    phone: Type.String({ minLength: 1, maxLength: 20 }),
    districtCode: Type.String({ pattern: "^\\d{6}$" }),
    skills: Type.Optional(Type.Array(SkillClaim, { maxItems: 30 })),
    keyGroups: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10 })),
    supplierId: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  },
  { additionalProperties: false },
);

export const UpdateWorkerBody = Type.Object(
  {
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
    districtCode: Type.Optional(Type.String({ pattern: "^\\d{6}$" })),
    skills: Type.Optional(Type.Array(SkillClaim, { maxItems: 30 })),
    keyGroups: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Worker = Type.Object({
  id: Type.String(),
  supplierId: Type.Union([Type.String(), Type.Null()]),
  realName: Type.String(),
  identityMasked: Type.String({ description: "e.g. 500***********123X; the full number is never stored" }),
  phone: Type.String(),
  districtCode: Type.String(),
  skills: Type.Array(Type.Object({ skillId: Type.String(), level: Type.Integer() })),
  keyGroups: Type.Array(Type.String()),
  createdAt: Type.String(),
});

export const WorkerListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    after: Type.Optional(Type.String({ maxLength: 64 })),
    supplierId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const OrganisationListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    after: Type.Optional(Type.String({ maxLength: 64 })),
    kind: Type.Optional(OrganisationKind),
  },
  { additionalProperties: false },
);

export const OtpRequestBody = Type.Object({ phone: Type.String({ minLength: 1, maxLength: 20 }) }, { additionalProperties: false });
export const OtpVerifyBody = Type.Object(
  { phone: Type.String({ minLength: 1, maxLength: 20 }), code: Type.String({ pattern: "^\\d{6}$" }) },
  { additionalProperties: false },
);
