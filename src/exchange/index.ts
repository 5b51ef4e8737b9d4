/** The matching core: one pure, deterministic labour order book per market. */
/** One market's order book: place, cancel, reduce, replaceRate, advanceTo, depth, snapshot / restore. */
export { OrderBook } from "./order-book";
/** Order side: Demand = 0 (enterprise, bid), Supply = 1 (crew, ask). */
export { Side } from "./order-book.types";
/** Time in force: GoodTill = 0, ImmediateOrCancel = 1, FillOrKill = 2. */
export { TimeInForce } from "./order-book.types";
/** Supplier colour: Black = 0 (never trades), Blue = 1, Red = 2. */
export { Colour } from "./order-book.types";
/** Highest certificate level (levels are 0 = none .. 5). */
export { MAX_CERTIFICATE } from "./order-book.types";
/** Largest headcount of one order. */
export { MAX_QUANTITY } from "./order-book.types";
/** Largest number of excluded suppliers on one demand order. */
export { MAX_EXCLUDED } from "./order-book.types";
/** Largest organisation id (ids are int32). */
export { MAX_OWNER } from "./order-book.types";
/** A market's rate grid (fen): minRate, maxRate, tickSize. */
export type { BookConfig } from "./order-book.types";
/** Constructor options: the grid plus the starting instant and initial capacity. */
export type { BookOptions } from "./order-book.types";
/** A demand order (enterprise): headcount, max rate, minFill, requirements. */
export type { DemandOrder } from "./order-book.types";
/** A supply offer (crew): size, min rate, minSplit, allOrNone, certificate, colour, shared. */
export type { SupplyOrder } from "./order-book.types";
/** Either kind of order, discriminated by `side`. */
export type { OrderInput } from "./order-book.types";
/** Why a command was rejected (a closed set of codes). */
export type { RejectReason } from "./order-book.types";
/** A rejected command: `{ ok: false, reason }`. */
export type { Rejected } from "./order-book.types";
/** One trade: both sides' handles, owners, tags and remainders, qty, rate, aggressor side. */
export type { Fill } from "./order-book.types";
/** Result of place / replaceRate: handle, fills, resting and cancelled quantity. */
export type { PlaceAccepted, PlaceResult, RecolourAccepted, RecolourResult } from "./order-book.types";
/** Result of cancel. */
export type { CancelAccepted, CancelResult } from "./order-book.types";
/** Result of reduce. */
export type { ReduceAccepted, ReduceResult } from "./order-book.types";
/** One expired order, as reported by advanceTo. */
export type { Expiry } from "./order-book.types";
/** Result of advanceTo: the new instant and the expired orders. */
export type { AdvanceAccepted, AdvanceResult } from "./order-book.types";
/** A journalable command and its result, for `execute`. */
export type { Command, CommandResult } from "./order-book.types";
/** A resting order as the book holds it. */
export type { DemandView, OrderView, SupplyView } from "./order-book.types";
/** Depth aggregated by level for market data. */
export type { BookDepth, DepthLevel } from "./order-book.types";
/** Plain-JSON book state for snapshot / restore. */
export type { BookSnapshot } from "./order-book.types";
/** The exchange's rules over the books: markets, pre-trade escrow, fills to contracts (pure). */
export { ExchangeCore, CURRENCY, ORDER_HOLDS_ACCOUNT, escrowOf, fillIds, orderHoldsAccount, walletOf } from "./exchange.core";
/** Commands, settings, outcomes and records of the exchange core. */
export type {
  CancelAllOutcome,
  ColourOutcome,
  ContractRecord,
  ExchangeCommand,
  ExchangeSettings,
  FillView,
  OrderOutcome,
  OrderState,
  PartyFacts,
  PlaceOrder,
  Refusal,
} from "./exchange.core";
/** The exchange module built on the shard's sequencer: service, committed books for the edge, supplier offer cancellation. */
export { createExchangeModule, exchangeSettingsOf, type ExchangeModule, type ExchangeModuleDeps } from "./exchange.module";
/** Authorisation, ownership and views of markets, orders and contracts. */
export { createExchangeService, type ExchangeService, type MarketView, type OrderView as ApiOrder, type ContractView, type PriceGuide, type PriceGuidance } from "./exchange.service";
/** The port the exchange reads contracts' workflow states through (implemented by the contract runtime, wired in app.ts). */
export type { ContractProgress, ContractProgressPort } from "./exchange.service";
/** The exchange's reads from PostgreSQL. */
export { createExchangeRepository, type ExchangeRepository } from "./exchange.repository";
/** HTTP routes: /v1/markets*, /v1/orders*, /v1/contracts*. */
export { exchangeRoutes } from "./exchange.routes";
