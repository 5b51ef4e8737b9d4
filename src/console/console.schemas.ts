/** TypeBox schemas of the console's API (operators and regulators). */
import { Type } from "typebox";
import { DateString } from "../http/schemas";

export const ChartsQuery = Type.Object(
  {
    from: Type.Optional({ ...DateString, description: "First day (default: 29 days before `to`)" }),
    to: Type.Optional({ ...DateString, description: "Last day (default: today, Asia/Shanghai)" }),
  },
  { additionalProperties: false },
);

const Bucket = Type.Union([Type.Literal("0-3"), Type.Literal("4-7"), Type.Literal("8-30"), Type.Literal("31+")]);

export const Charts = Type.Object({
  from: Type.String(),
  to: Type.String(),
  asOf: Type.String(),
  volume: Type.Array(Type.Object({ date: Type.String(), transfers: Type.Integer(), amountFen: Type.Integer({ description: "Cash moved that day (single transfers and posted holds), CNY" }) })),
  exceptions: Type.Array(Type.Object({
    date: Type.String({ description: "The day the exception was first found" }),
    kind: Type.String(),
    opened: Type.Integer(),
    open: Type.Integer({ description: "Of those, still open" }),
    openEffectFen: Type.Integer(),
  })),
  arrears: Type.Array(Type.Object({ bucket: Bucket, count: Type.Integer(), amountFen: Type.Integer() }), { description: "Approved work whose wages are still in escrow, by days since approval" }),
  arrearsOldest: Type.Array(Type.Object({ shiftId: Type.String(), contractId: Type.String(), enterpriseId: Type.String(), ageDays: Type.Integer(), amountFen: Type.Integer(), approvedAt: Type.String() })),
});
