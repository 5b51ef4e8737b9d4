/** TypeBox schemas of the market data API: guidance prices (JSON and CSV) and the worker's open seat offers. */
import { Type } from "typebox";

const Week = (description: string) => Type.String({ pattern: "^\\d{4}-W\\d{2}$", description, examples: ["2026-W49"] });

export const GuidanceQuery = Type.Object(
  {
    skill: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "A skill id of the catalogue", examples: ["welder"] })),
    district: Type.Optional(Type.String({ pattern: "^\\d{6}$", description: "A district code of the catalogue", examples: ["500107"] })),
    from: Type.Optional(Week("First ISO week (Asia/Shanghai) of the shift dates; default: 25 weeks before `to`")),
    to: Type.Optional(Week("Last ISO week; default: the week about five weeks ahead (the end of the trading horizon)")),
    format: Type.Optional(Type.Union([Type.Literal("json"), Type.Literal("csv")], { description: "csv: the same data as a CSV file (also chosen by `Accept: text/csv`)" })),
  },
  { additionalProperties: false },
);

export const GuidancePrice = Type.Object({
  skill: Type.String(),
  district: Type.String(),
  week: Type.String({ description: "ISO week of the shifts' dates" }),
  weekStart: Type.String({ description: "Its Monday, YYYY-MM-DD" }),
  trades: Type.Integer({ description: "Fills in this skill, district and week" }),
  headcount: Type.Integer({ description: "Workers they placed: the weight of every figure below" }),
  vwapFen: Type.Integer({ description: "Σ(rate × headcount) / Σ headcount, half-even to whole fen" }),
  p25Fen: Type.Integer({ description: "Nearest-rank 25th percentile of the hourly rates, weighted by headcount" }),
  medianFen: Type.Integer(),
  p75Fen: Type.Integer(),
  minFen: Type.Integer(),
  maxFen: Type.Integer(),
});

export const GuidancePrices = Type.Object({
  fromWeek: Type.String(),
  toWeek: Type.String(),
  items: Type.Array(GuidancePrice),
});

export const SeatOffer = Type.Object({
  contractId: Type.String(),
  market: Type.String(),
  openSeats: Type.Integer(),
  rateFen: Type.Integer(),
  shiftStart: Type.String(),
  shiftEnd: Type.String(),
});

export const SeatOffers = Type.Object({ items: Type.Array(SeatOffer) });
