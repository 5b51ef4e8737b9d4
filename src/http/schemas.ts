/** TypeBox schemas shared by every route: problems, ids, pagination. */
import { Type, type TSchema } from "typebox";

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    field: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
  },
  { additionalProperties: true, $id: "Problem", description: "RFC 9457 problem details" },
);

const problemRef = Type.Ref("Problem");

/** The error responses every authenticated route can give. */
export const problems = {
  400: problemRef,
  401: problemRef,
  403: problemRef,
  404: problemRef,
  409: problemRef,
  413: problemRef,
  415: problemRef,
  422: problemRef,
  429: problemRef,
} as const;

/** Response map: the success schema(s) plus the shared problem responses. */
export function responses<S extends Record<number, TSchema>>(ok: S): S & typeof problems {
  return { ...problems, ...ok };
}

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export const IdempotencyHeaders = Type.Object({
  "idempotency-key": Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: "Makes a retried POST safe" })),
});

export const DateString = Type.String({ format: "date", description: "Local date YYYY-MM-DD (Asia/Shanghai)" });

/** Query of every list: page size and the opaque cursor from the previous page's `next`. */
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, description: "Items per page (default 100)" })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: "The `next` value of the previous page" })),
};

/** Response of every list: `{ items, next }`, `next` null on the last page. */
export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    next: Type.Union([Type.String(), Type.Null()], { description: "Pass as `cursor` to read the next page; null on the last page" }),
  });
}

const RatioSchema = Type.Object({
  numerator: Type.Integer(),
  denominator: Type.Integer(),
  percent: Type.Union([Type.String(), Type.Null()], { description: "numerator / denominator in percent, one decimal; null when the denominator is 0" }),
});

/** An enterprise's two-way reliability (src/shared/reliability.ts), shown beside its contracts and shifts. */
export const ReliabilityViewSchema = Type.Object({
  enterpriseId: Type.String(),
  windowDays: Type.Integer({ description: "Counted over this many days (RELIABILITY_WINDOW_DAYS)" }),
  lateCancellation: RatioSchema,
  dispute: RatioSchema,
  approval: Type.Object({
    medianMs: Type.Union([Type.Integer(), Type.Null()]),
    medianHours: Type.Union([Type.String(), Type.Null()]),
    autoApproved: RatioSchema,
  }),
}, { description: "The enterprise's late-cancellation rate, dispute rate and how fast it approves timesheets" });

/** The same, or null: nothing in the window, or no reliability source wired. */
export const EnterpriseReliability = Type.Union([ReliabilityViewSchema, Type.Null()], {
  description: "The enterprise's two-way reliability: late-cancellation rate, dispute rate, approval speed; null when it has nothing in the window",
});
