/** TypeBox schemas of the exchange API: markets, books, trades, orders, contracts. Money is integer fen in `*Fen` fields. */
import { Type } from "typebox";
import { EnterpriseReliability, PageOf, PageQuery } from "../http/schemas";
import { MAX_EXCLUDED, MAX_QUANTITY } from "./order-book.types";

const MarketId = Type.String({
  minLength: 1,
  maxLength: 80,
  description: "skill.district.date.slot, e.g. welder.500107.2026-12-02.D1",
  examples: ["welder.500107.2026-12-02.D1"],
});
const Iso = (description: string) => Type.String({ description: `${description}, ISO 8601 with offset (Asia/Shanghai)` });
const OrgId = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$" });

export const Market = Type.Object({
  id: Type.String(),
  skillId: Type.String(),
  districtCode: Type.String(),
  date: Type.String({ description: "The shift's local date, YYYY-MM-DD" }),
  slotId: Type.String(),
  shiftStart: Iso("Shift start"),
  shiftEnd: Iso("Shift end"),
  paidHours: Type.String({ description: "Paid hours per head (a decimal string)" }),
  minimumRateFen: Type.Integer({ description: "Lowest rate: the district's hourly minimum wage, up to the tick" }),
  maximumRateFen: Type.Integer(),
  tickFen: Type.Integer({ description: "Rates are whole multiples of this, fen per hour" }),
  bestDemandFen: Type.Union([Type.Integer(), Type.Null()]),
  bestSupplyFen: Type.Union([Type.Integer(), Type.Null()]),
  openOrders: Type.Integer(),
});

export const MarketQuery = Type.Object(
  {
    skill: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    district: Type.Optional(Type.String({ minLength: 6, maxLength: 6, pattern: "^[0-9]{6}$" })),
    date: Type.Optional(Type.String({ format: "date", description: "Local date YYYY-MM-DD" })),
    active: Type.Optional(Type.Boolean({ description: "Only markets with open orders" })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const MarketParams = Type.Object({ market: MarketId }, { additionalProperties: false });

const Level = Type.Object({
  rateFen: Type.Integer(),
  qty: Type.Integer({ description: "Aggregated headcount at the rate" }),
  orders: Type.Integer(),
});

export const Book = Type.Object({
  market: Type.String(),
  bookSeq: Type.Integer({ description: "+1 per published change of this book: a client that sees a jump re-reads it" }),
  seq: Type.Integer({ description: "Sequencer position of the batch that published it" }),
  demand: Type.Array(Level, { description: "Best (highest) first, at most 20 levels, committed state, no owners" }),
  supply: Type.Array(Level, { description: "Best (lowest) first, at most 20 levels" }),
});

export const Trade = Type.Object({
  fillId: Type.String(),
  rateFen: Type.Integer(),
  qty: Type.Integer(),
  aggressor: Type.Union([Type.Literal("demand"), Type.Literal("supply")]),
  shared: Type.Boolean(),
  at: Iso("When it traded"),
});

export const PageOnlyQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

const Side = Type.Union([Type.Literal("demand"), Type.Literal("supply")]);
const State = Type.Union([Type.Literal("open"), Type.Literal("filled"), Type.Literal("cancelled"), Type.Literal("expired")]);
const TimeInForce = Type.Union([Type.Literal("good_till"), Type.Literal("ioc"), Type.Literal("fok")]);

export const PlaceOrderBody = Type.Object(
  {
    side: Side,
    market: MarketId,
    quantity: Type.Integer({ minimum: 1, maximum: MAX_QUANTITY, description: "Headcount (demand) or crew size (supply)" }),
    rateFen: Type.Integer({ minimum: 1, maximum: 10_000_000, description: "Max (demand) or min (supply) hourly rate, fen, on the tick grid" }),
    timeInForce: Type.Optional(TimeInForce),
    goodTill: Type.Optional(Type.String({ format: "date-time", description: "Default and latest: shift start less the staffing lead time" })),
    clientOrderId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: "^[\\x21-\\x7e]+$", description: "Yours, unique per organisation: a retry with it returns the original order" })),
    minFill: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_QUANTITY, description: "demand: smallest first execution" })),
    minCertificate: Type.Optional(Type.Integer({ minimum: 0, maximum: 5, description: "demand: lowest certificate level of the crew" })),
    minColour: Type.Optional(Type.Union([Type.Literal("blue"), Type.Literal("red")], { description: "demand: lowest supplier colour" })),
    excludedSuppliers: Type.Optional(Type.Array(OrgId, { maxItems: MAX_EXCLUDED, description: "demand: suppliers never to trade with" })),
    minSplit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_QUANTITY, description: "supply: smallest part of the crew a fill takes" })),
    allOrNone: Type.Optional(Type.Boolean({ description: "supply: the crew is never split" })),
    certificate: Type.Optional(Type.Integer({ minimum: 0, maximum: 5, description: "supply: the crew's certificate level" })),
    shared: Type.Optional(Type.Boolean({ description: "supply: shared staffing by a lending enterprise, traded at the stated cost" })),
  },
  { additionalProperties: false },
);

export const AmendOrderBody = Type.Object(
  {
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_QUANTITY, description: "New total quantity (less than now): keeps priority" })),
    rateFen: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: "New rate: re-queues, may trade at once" })),
  },
  { additionalProperties: false },
);

export const OrderListQuery = Type.Object(
  {
    state: Type.Optional(State),
    market: Type.Optional(MarketId),
    side: Type.Optional(Side),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const CancelAllQuery = Type.Object(
  {
    market: Type.Optional(MarketId),
    side: Type.Optional(Side),
    organisationId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "operator: whose orders (e.g. every offer of a supplier rated black)" })),
  },
  { additionalProperties: false },
);

export const Fill = Type.Object({
  fillId: Type.String(),
  contractId: Type.String(),
  rateFen: Type.Integer(),
  qty: Type.Integer(),
  at: Iso("When it traded"),
});

export const PriceGuidance = Type.Object(
  {
    flagged: Type.Boolean({ description: "true: the rate is far outside the recent band (shown to you only; the order is placed all the same)" }),
    direction: Type.Union([Type.Literal("below"), Type.Literal("above"), Type.Null()]),
    band: Type.Union([
      Type.Object({
        week: Type.String({ description: "The ISO week of the band: the latest of the look-back weeks before the shift's week with enough placed workers" }),
        headcount: Type.Integer(),
        p25Fen: Type.Integer(),
        medianFen: Type.Integer(),
        p75Fen: Type.Integer(),
        vwapFen: Type.Integer(),
        lowerFen: Type.Integer({ description: "Lowest rate not flagged: p25 − max(k × IQR, a share of the median)" }),
        upperFen: Type.Integer({ description: "Highest rate not flagged: p75 + the same margin" }),
      }),
      Type.Null(),
    ], { description: "null: no band yet (too few trades in this skill and district lately)" }),
  },
  { description: "The order's rate against the guidance prices (GET /v1/public/guidance-prices); only in the answer to placing it" },
);

export const Order = Type.Object({
  id: Type.String(),
  clientOrderId: Type.Union([Type.String(), Type.Null()]),
  organisationId: Type.String(),
  market: Type.String(),
  side: Side,
  quantity: Type.Integer(),
  remaining: Type.Integer(),
  filled: Type.Integer(),
  rateFen: Type.Integer(),
  timeInForce: TimeInForce,
  goodTill: Type.Union([Iso("Good till"), Type.Null()]),
  state: State,
  holdFen: Type.Integer({ description: "demand: money still held for the remainder (headcount × paid hours × rate + fee); supply: 0" }),
  terms: Type.Object({
    minFill: Type.Integer(),
    minCertificate: Type.Integer(),
    minColour: Type.Union([Type.Literal("blue"), Type.Literal("red"), Type.Null()]),
    excludedSuppliers: Type.Array(Type.String()),
    minSplit: Type.Integer(),
    allOrNone: Type.Boolean(),
    certificate: Type.Integer(),
    shared: Type.Boolean(),
  }),
  fills: Type.Array(Fill),
  createdAt: Iso("Accepted"),
  updatedAt: Iso("Last changed"),
  guidance: Type.Optional(Type.Union([PriceGuidance, Type.Null()])),
});

export const CancelAllResult = Type.Object({ cancelled: Type.Integer() });

export const Contract = Type.Object({
  id: Type.String(),
  fillId: Type.String(),
  market: Type.String(),
  enterpriseId: Type.String(),
  enterpriseReliability: EnterpriseReliability,
  supplierId: Type.String(),
  demandOrderId: Type.String(),
  supplyOrderId: Type.String(),
  headcount: Type.Integer(),
  rateFen: Type.Integer(),
  shiftStart: Iso("Shift start"),
  shiftEnd: Iso("Shift end"),
  shared: Type.Boolean(),
  escrowAccountId: Type.String(),
  escrowFen: Type.Integer({ description: "Moved into escrow at the fill: headcount × paid hours × rate + fee" }),
  state: Type.String({ description: "The contract's workflow state: staffing, confirming, ready, inProgress, awaitingApproval, disputed, closing, settled, resolved, cancelled" }),
  closed: Type.Boolean({ description: "Final, and its escrow stands at zero" }),
  createdAt: Iso("Created"),
});

export const OrderParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export const MarketPage = PageOf(Market);
export const TradePage = PageOf(Trade);
export const OrderPage = PageOf(Order);
export const ContractPage = PageOf(Contract);
