/**
 * Public types of the matching core: order inputs, command results, views and
 * snapshots. Everything numeric is an integer; nothing here is a float.
 */

/** Which side of a market an order is on: demand (enterprise, bid) or supply (crew, ask). */
export const Side = { Demand: 0, Supply: 1 } as const;
export type Side = (typeof Side)[keyof typeof Side];

/** Time in force: good till an instant (normally shift start), immediate-or-cancel, fill-or-kill. */
export const TimeInForce = { GoodTill: 0, ImmediateOrCancel: 1, FillOrKill: 2 } as const;
export type TimeInForce = (typeof TimeInForce)[keyof typeof TimeInForce];

/** Supplier colour from the integrity-points system: red > blue; black never trades. */
export const Colour = { Black: 0, Blue: 1, Red: 2 } as const;
export type Colour = (typeof Colour)[keyof typeof Colour];

/** Highest certificate level (0 = none). */
export const MAX_CERTIFICATE = 5;
/** Largest headcount of one order. */
export const MAX_QUANTITY = 1_000_000;
/** Largest number of excluded suppliers on one demand order. */
export const MAX_EXCLUDED = 256;
/** Largest owner (organisation) id and excluded supplier id: ids are int32. */
export const MAX_OWNER = 0x7fffffff;

/** The per-market rate grid: rates are fen per hour, `minRate + k * tickSize` for k >= 0, up to `maxRate`. */
export interface BookConfig {
  readonly minRate: number;
  readonly maxRate: number;
  readonly tickSize: number;
}

export interface BookOptions extends BookConfig {
  /** Instant the book starts at (default Number.MIN_SAFE_INTEGER); only `advanceTo` moves it. */
  readonly now?: number;
  /** Order slots to preallocate (default 64); the book doubles them as needed. */
  readonly initialCapacity?: number;
}

interface OrderBase {
  /** Organisation id of the owner (int32 >= 0). */
  readonly owner: number;
  /** Opaque client tag (safe integer) that the sequencer maps back to its own order id. */
  readonly tag: number;
  /** Headcount (demand) or crew size (supply). */
  readonly qty: number;
  /** Max hourly rate (demand) or min hourly rate (supply), fen, on the grid. */
  readonly rate: number;
  readonly tif: TimeInForce;
  /** For GoodTill: the instant it expires at (an `advanceTo(t)` with `t >= goodTill` expires it). */
  readonly goodTill?: number;
}

export interface DemandOrder extends OrderBase {
  readonly side: typeof Side.Demand;
  /** Minimum headcount of the order's first execution; 0 or 1 = no minimum. */
  readonly minFill?: number;
  /** Minimum certificate level a crew must hold (0..5). */
  readonly minCertificate?: number;
  /** Minimum supplier colour (Blue by default; Black is never tradeable). */
  readonly minColour?: Colour;
  /** Supplier organisation ids this order must never trade with. */
  readonly excluded?: readonly number[];
}

export interface SupplyOrder extends OrderBase {
  readonly side: typeof Side.Supply;
  /** Supplier colour; Black offers are rejected. */
  readonly colour: Colour;
  /** Certificate level of the crew (0..5). */
  readonly certificate?: number;
  /** A fill from this crew is never smaller than this, unless it takes the whole remainder (default 1). */
  readonly minSplit?: number;
  /** The crew is never split: every fill takes its whole remaining size. */
  readonly allOrNone?: boolean;
  /** Shared-staffing offer (a lending enterprise's own employees); carried into fills. */
  readonly shared?: boolean;
}

export type OrderInput = DemandOrder | SupplyOrder;

export type RejectReason =
  | "bad_command"
  | "bad_order"
  | "bad_side"
  | "bad_owner"
  | "bad_tag"
  | "bad_quantity"
  | "bad_rate"
  | "rate_off_band"
  | "rate_off_grid"
  | "bad_time_in_force"
  | "bad_good_till"
  | "expired"
  | "bad_min_fill"
  | "bad_min_split"
  | "bad_all_or_none"
  | "bad_shared"
  | "bad_certificate"
  | "bad_colour"
  | "black_supplier"
  | "bad_excluded"
  | "book_full"
  | "unknown_order"
  | "not_a_reduction"
  | "bad_time"
  | "time_regressed";

export interface Rejected {
  readonly ok: false;
  readonly reason: RejectReason;
}

/** One trade between a demand order and a supply offer; each fill becomes a contract. */
export interface Fill {
  /** Side of the incoming (taking) order; the other side was resting and set the rate. */
  readonly aggressor: Side;
  /** Trade rate: the resting order's rate. */
  readonly rate: number;
  readonly qty: number;
  readonly demand: number;
  readonly demandOwner: number;
  readonly demandTag: number;
  /** Remaining headcount of the demand order after this fill (0 = done). */
  readonly demandLeft: number;
  readonly supply: number;
  readonly supplyOwner: number;
  readonly supplyTag: number;
  /** Remaining crew size of the supply offer after this fill (0 = done). */
  readonly supplyLeft: number;
  /** The supply offer is shared staffing. */
  readonly shared: boolean;
}

export interface PlaceAccepted {
  readonly ok: true;
  /** Integer handle of the order: valid until the order is done; never reused for another live order. */
  readonly handle: number;
  readonly fills: readonly Fill[];
  /** Quantity left resting in the book (0 if none). */
  readonly resting: number;
  /** Quantity cancelled by IOC / FOK / an unmet minFill on an IOC order. */
  readonly cancelled: number;
}
export type PlaceResult = PlaceAccepted | Rejected;

/** A recoloured offer: its colour before, the fills its rise to a higher colour made, and what still rests (0: filled). */
export interface RecolourAccepted {
  readonly ok: true;
  readonly handle: number;
  readonly from: Colour;
  readonly fills: readonly Fill[];
  readonly resting: number;
}
export type RecolourResult = RecolourAccepted | Rejected;

export interface CancelAccepted {
  readonly ok: true;
  readonly handle: number;
  readonly side: Side;
  readonly owner: number;
  readonly tag: number;
  readonly cancelled: number;
}
export type CancelResult = CancelAccepted | Rejected;

export interface ReduceAccepted {
  readonly ok: true;
  readonly handle: number;
  /** New remaining quantity. */
  readonly qty: number;
  readonly reducedBy: number;
}
export type ReduceResult = ReduceAccepted | Rejected;

export interface Expiry {
  readonly handle: number;
  readonly side: Side;
  readonly owner: number;
  readonly tag: number;
  readonly qty: number;
}

export interface AdvanceAccepted {
  readonly ok: true;
  readonly now: number;
  /** Expired orders in (goodTill, placement sequence) order. */
  readonly expired: readonly Expiry[];
}
export type AdvanceResult = AdvanceAccepted | Rejected;

/** A journalable command; `execute` runs one. */
export type Command =
  | { readonly type: "place"; readonly order: OrderInput }
  | { readonly type: "cancel"; readonly handle: number }
  | { readonly type: "reduce"; readonly handle: number; readonly qty: number }
  | { readonly type: "replaceRate"; readonly handle: number; readonly rate: number }
  | { readonly type: "advanceTo"; readonly time: number };

export type CommandResult = PlaceResult | CancelResult | ReduceResult | AdvanceResult;

interface ViewBase {
  readonly handle: number;
  /** Placement sequence number (orders expire in (goodTill, seq) order). */
  readonly seq: number;
  readonly owner: number;
  readonly tag: number;
  /** Remaining quantity. */
  readonly qty: number;
  readonly rate: number;
  readonly goodTill: number;
}

export interface DemandView extends ViewBase {
  readonly side: typeof Side.Demand;
  /** Minimum fill still to be met (0 once the order has had any fill). */
  readonly minFill: number;
  readonly minCertificate: number;
  readonly minColour: Colour;
  readonly excluded: readonly number[];
}

export interface SupplyView extends ViewBase {
  readonly side: typeof Side.Supply;
  /** 1 for all-or-none crews (the flag already forbids any split). */
  readonly minSplit: number;
  readonly allOrNone: boolean;
  readonly certificate: number;
  readonly colour: Colour;
  readonly shared: boolean;
}

/** A resting order as stored in the book. */
export type OrderView = DemandView | SupplyView;

export interface DepthLevel {
  readonly rate: number;
  /** Total remaining quantity at the level. */
  readonly qty: number;
  readonly orders: number;
}

/** Aggregated book depth, best level first on each side. */
export interface BookDepth {
  readonly demand: readonly DepthLevel[];
  readonly supply: readonly DepthLevel[];
}

/** Plain-JSON state of a book: restoring it and continuing gives the same events (handles included). */
export interface BookSnapshot {
  readonly format: 1;
  readonly config: BookConfig;
  readonly now: number;
  readonly nextSeq: number;
  /** Order slots ever used (high-water mark). */
  readonly slots: number;
  /** Free slots as the handle each would get next, bottom of the free stack first. */
  readonly free: readonly number[];
  /** Resting demand orders in priority order (best rate first, FIFO within a rate). */
  readonly demand: readonly DemandView[];
  /** Resting supply offers in priority order. */
  readonly supply: readonly SupplyView[];
}
