/** TypeBox schemas of the statistics API. Money is integer fen in `*Fen` fields and yuan strings; shares and hours are decimal strings. */
import { Type } from "typebox";

const Week = (description: string) => Type.String({ pattern: "^\\d{4}-W\\d{2}$", description, examples: ["2026-W49"] });

const Range = {
  from: Type.Optional(Week("First ISO week of the shifts' dates (Asia/Shanghai); default: 51 weeks before `to`")),
  to: Type.Optional(Week("Last ISO week; default: the week about five weeks ahead")),
};

export const StatsQuery = Type.Object(
  {
    ...Range,
    by: Type.Optional(Type.String({ maxLength: 40, pattern: "^[A-Za-z,]+$", description: "Dimensions combined, comma-separated (district, skill, keyGroup, week): the rows of that breakdown only", examples: ["district,week"] })),
    format: Type.Optional(Type.Union([Type.Literal("json"), Type.Literal("csv")], { description: "csv: the same rows as a CSV file (also chosen by `Accept: text/csv`)" })),
  },
  { additionalProperties: false },
);

export const PublicStatsQuery = Type.Object(Range, { additionalProperties: false });

export const StatsRow = Type.Object({
  key: Type.Object({
    district: Type.Optional(Type.String()),
    skill: Type.Optional(Type.String()),
    keyGroup: Type.Optional(Type.String()),
    week: Type.Optional(Type.String()),
  }, { description: "What the row is broken down by; empty for the city" }),
  placements: Type.Integer({ description: "Completed worker-shifts: seats settled with paid minutes" }),
  workersPlaced: Type.Integer({ description: "Distinct workers with at least one placement" }),
  demandHeadcount: Type.Union([Type.Integer(), Type.Null()], { description: "Headcount of the demand orders (null by key group: orders have none)" }),
  filledHeadcount: Type.Union([Type.Integer(), Type.Null()]),
  fillRatePercent: Type.Union([Type.String(), Type.Null()], { description: "filled / ordered, one decimal" }),
  medianTimeToFillHours: Type.Union([Type.String(), Type.Null()], { description: "From an order's placing to its fills, weighted by headcount (nearest rank), one decimal" }),
  wagesPaidFen: Type.Integer({ description: "Gross wages paid out of escrow for completed worker-shifts (the platform fee is not wages); equals the ledger's wage and withholding postings" }),
  wagesPaid: Type.String({ description: "The same in yuan" }),
});

export const Statistics = Type.Object({
  fromWeek: Type.String(),
  toWeek: Type.String(),
  city: Type.Optional(StatsRow),
  byDistrict: Type.Optional(Type.Array(StatsRow)),
  bySkill: Type.Optional(Type.Array(StatsRow)),
  byKeyGroup: Type.Optional(Type.Array(StatsRow, { description: "Every key group of the catalogue; a worker counts in each group they belong to" })),
  byWeek: Type.Optional(Type.Array(StatsRow)),
  by: Type.Optional(Type.Array(Type.String())),
  rows: Type.Optional(Type.Array(StatsRow)),
});

export const PublicStats = Type.Object({
  fromWeek: Type.String(),
  toWeek: Type.String(),
  placements: Type.Integer({ description: "Completed worker-shifts in the city (帮助实现就业人次)" }),
  workersPlaced: Type.Integer(),
  fillRatePercent: Type.Union([Type.String(), Type.Null()]),
  medianTimeToFillHours: Type.Union([Type.String(), Type.Null()]),
  wagesPaid: Type.String({ description: "Yuan" }),
});
