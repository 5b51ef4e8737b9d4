/**
 * The exchange's rules on top of the pure order books: markets from the
 * catalogue, who may post what, the rate grid and minimum wage, lead times,
 * pre-trade escrow (holds) and what a fill does to money, orders' life
 * cycles, contracts. Pure and deterministic: no I/O, no clock (each command
 * carries its instant `at`), no randomness (ids derive from the command's
 * sequence number or come with the command), so the sequencer journals the
 * commands and a replay reaches the same state, records and events.
 *
 * Money (all integer fen):
 * - unit(rate) = withFee(wage(rate, paid hours of the slot)).total: what one
 *   head of one shift costs the enterprise at `rate`, fee included, rounded
 *   once per head as src/shared/money.ts rounds. Per head, so escrow and
 *   holds add up exactly however an order is split into fills.
 * - A resting demand order holds remaining × unit(max rate) on the wallet
 *   (a pending transfer wallet → the platform's order-holds account).
 * - A fill of f heads at trade rate r moves f × unit(r) into the contract's
 *   own escrow account: a resting demand posts that much of its hold
 *   (releasing the rest) and holds its new remainder again, then the
 *   order-holds account pays the escrow (one linked chain); an incoming
 *   demand that trades at once pays the escrow straight from the wallet
 *   (its funds were checked for the whole order first) and holds only what
 *   rests. So at every moment: wallet available + holds + escrow of open
 *   contracts = what the enterprise paid in − what was settled.
 * - Shared staffing (a lending enterprise's own employees) trades at the
 *   offer's stated cost whichever side rested; the enterprise's hold
 *   releases the difference.
 *
 * The catalogue is imported as a file: it is pure and static, and the
 * parties module's index also carries its database code.
 */
import { minimumHourlyWageFen, parseMarketId, shanghaiDate, shanghaiIso, shiftSlotById, shiftWindow, skillById } from "../parties/catalogue";
import type { AccountInput, TransferInput } from "../ledger/ledger.types";
import { AccountFlags, TransferFlags } from "../ledger/ledger.types";
import type { DomainEvent } from "../shared/events";
import { fenToYuan, wage, withFee } from "../shared/money";
import { OrderBook } from "./order-book";
import { Colour, MAX_CERTIFICATE, MAX_EXCLUDED, MAX_QUANTITY, Side, TimeInForce } from "./order-book.types";
import type { BookSnapshot, DepthLevel, Expiry, Fill, OrderInput, PlaceResult, RejectReason } from "./order-book.types";

// ------------------------------------------------------------------ settings

/** The rules' parameters; part of the sequencer's state, so a replay uses the ones the journal was written under. */
export interface ExchangeSettings {
  /** Platform fee on top of the wage, a decimal fraction string ("0.05"). */
  readonly feeRate: string;
  /** Rates are whole multiples of this many fen per hour. */
  readonly tickFen: number;
  /** Highest accepted rate, fen per hour. */
  readonly maxRateFen: number;
  /** Markets exist for shift dates from today up to this many days ahead (Asia/Shanghai). */
  readonly horizonDays: number;
  /** An order is accepted only if its shift starts at least this long after it (ms). */
  readonly minLeadMs: number;
  /** Good-till defaults to shift start minus this (ms): time left to name and confirm workers. */
  readonly staffingLeadMs: number;
}

export const CURRENCY = "CNY";
/** The platform's account that pending order holds credit and fills drain into escrow. */
export const ORDER_HOLDS_ACCOUNT = "platform:order_holds:CNY";

export function orderHoldsAccount(): AccountInput {
  return { id: ORDER_HOLDS_ACCOUNT, ledger: CURRENCY, code: "escrow", ownerId: null, flags: AccountFlags.none };
}

export function walletOf(organisationId: string): string {
  return `wallet:${organisationId}:${CURRENCY}`;
}

export function escrowOf(contractId: string): string {
  return `escrow:${contractId}:${CURRENCY}`;
}

// ------------------------------------------------------------------ shapes

export type SideName = "demand" | "supply";
export type TimeInForceName = "good_till" | "ioc" | "fok";
export type OrderStateName = "open" | "filled" | "cancelled" | "expired";
export type ColourName = "red" | "blue" | "black";

/** What the edge knew about the caller's organisation when it sent the command (journalled with it). */
export interface PartyFacts {
  readonly id: string;
  readonly kind: "enterprise" | "agency";
  readonly colour: ColourName;
  /** a lending enterprise: may post shared-staffing offers of its own employees. */
  readonly lendsStaff: boolean;
  /** last day (YYYY-MM-DD) covered by a valid licence, or null. */
  readonly licensedUntil: string | null;
}

/** A placement as journalled: every optional field resolved to its default by the edge. */
export interface PlaceOrder {
  readonly id: string;
  readonly party: PartyFacts;
  readonly clientOrderId: string | null;
  /** unique per organisation: the client order id, or one derived from the Idempotency-Key. */
  readonly dedupeKey: string | null;
  readonly market: string;
  readonly side: SideName;
  readonly quantity: number;
  readonly rateFen: number;
  readonly timeInForce: TimeInForceName;
  /** ms; null = the default (shift start − staffing lead) for good_till, none for ioc / fok. */
  readonly goodTill: number | null;
  readonly minFill: number;
  readonly minCertificate: number;
  readonly minColour: "blue" | "red" | null;
  readonly excludedSuppliers: readonly string[];
  readonly minSplit: number;
  readonly allOrNone: boolean;
  readonly certificate: number;
  readonly shared: boolean;
}

export interface OrderTerms {
  readonly minFill: number;
  readonly minCertificate: number;
  readonly minColour: "blue" | "red" | null;
  readonly excludedSuppliers: readonly string[];
  readonly minSplit: number;
  readonly allOrNone: boolean;
  readonly certificate: number;
  readonly shared: boolean;
}

/** An order as the core keeps it (open ones) and as it is written. */
export interface OrderState {
  readonly id: string;
  readonly organisationId: string;
  readonly clientOrderId: string | null;
  readonly dedupeKey: string | null;
  readonly market: string;
  readonly side: SideName;
  quantity: number;
  remaining: number;
  filled: number;
  rateFen: number;
  readonly timeInForce: TimeInForceName;
  readonly goodTill: number | null;
  state: OrderStateName;
  /** the pending transfer holding this demand order's money, or null. */
  holdId: string | null;
  holdFen: bigint;
  holdSerial: number;
  readonly terms: OrderTerms;
  readonly createdSeq: number;
  updatedSeq: number;
  readonly createdAt: number;
  updatedAt: number;
  /** the book's handle while it rests, else -1. */
  handle: number;
  /** the book's tag: the sequence number of the placement. */
  readonly tag: number;
  readonly owner: number;
}

/** A contract as created by a fill. */
export interface ContractRecord {
  readonly id: string;
  readonly fillId: string;
  readonly seq: number;
  readonly market: string;
  readonly enterpriseId: string;
  readonly supplierId: string;
  readonly demandOrderId: string;
  readonly supplyOrderId: string;
  readonly headcount: number;
  readonly rateFen: number;
  readonly aggressor: SideName;
  readonly shared: boolean;
  readonly shiftStart: number;
  readonly shiftEnd: number;
  readonly escrowAccountId: string;
  readonly escrowFen: bigint;
  readonly state: "staffing";
  readonly createdAt: number;
}

export interface FillView {
  readonly fillId: string;
  readonly contractId: string;
  readonly rateFen: number;
  readonly qty: number;
  readonly at: number;
}

/** Why a command was refused: the client's error, naming the field at fault. */
export interface Refusal {
  readonly ok: false;
  readonly code: "validation_failed" | "unprocessable" | "forbidden" | "conflict" | "not_found";
  readonly message: string;
  readonly field?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type OrderOutcome =
  | { readonly ok: true; readonly order: OrderState; readonly fills: readonly FillView[] }
  | Refusal
  /** the organisation already placed an order with this client order id (or Idempotency-Key). */
  | { readonly ok: false; readonly code: "duplicate"; readonly orderId: string };

export type CancelAllOutcome = { readonly ok: true; readonly cancelled: number } | Refusal;

/** What a colour change did to the supplier's open offers: cancelled (black) or recoloured (red / blue), and the fills an offer raised to red made at once. */
export type ColourOutcome = { readonly ok: true; readonly cancelled: number; readonly recoloured: number; readonly fills: readonly FillView[] };

// ------------------------------------------------------------------ commands

export type ExchangeCommand =
  | { readonly t: "place"; readonly order: PlaceOrder }
  | { readonly t: "cancel"; readonly orderId: string; readonly by: string }
  | { readonly t: "reduce"; readonly orderId: string; readonly by: string; readonly quantity: number }
  | { readonly t: "rerate"; readonly orderId: string; readonly by: string; readonly rateFen: number }
  | { readonly t: "cancelAll"; readonly organisationId: string; readonly market: string | null; readonly side: SideName | null; readonly reason: string }
  /**
   * An organisation's integrity rating changed (src/trust): from now on the core judges its
   * offers by this colour, whatever the edge read; black cancels its open offers, red or blue
   * recolours them in their books (they keep their place); an offer raised to red trades at
   * once with resting demand that required red.
   */
  | { readonly t: "colour"; readonly organisationId: string; readonly colour: ColourName; readonly reason: string };

/** The ledger as the core needs it: calls that must succeed (funds are checked first), and balances. */
export interface LedgerGate {
  /** Creates accounts; throws unless every one is created. */
  createAccounts(inputs: AccountInput[]): void;
  /** Applies transfers; throws unless every one is ok (a refusal here is a bug: funds were checked first). */
  createTransfers(batch: TransferInput[]): void;
  /** Posted credits − posted debits − pending debits; 0 for an account not in memory (it holds nothing). */
  available(accountId: string): bigint;
  /** A pending hold's amount, or undefined if it is not pending. */
  pendingAmount(holdId: string): bigint | undefined;
  /** The pending credits of an account. */
  creditsPending(accountId: string): bigint;
  /** Whether an account exists (in memory). */
  hasAccount(accountId: string): boolean;
}

/** Where a command's results go: rows to write and events to publish after the batch commits. */
export interface ExchangeEffects {
  /** An order's row changed (the latest state within a batch wins). */
  order(o: OrderState): void;
  contract(c: ContractRecord): void;
  event(e: DomainEvent): void;
  /** A market's book changed. */
  market(id: string): void;
}

/** The context of one command. */
export interface CommandContext {
  readonly seq: number;
  /** the sequencer's clock, ms. */
  readonly at: number;
  readonly shard: string;
  readonly ledger: LedgerGate;
  readonly out: ExchangeEffects;
}

// ------------------------------------------------------------------ helpers

const COLOUR: Record<ColourName, Colour> = { black: Colour.Black, blue: Colour.Blue, red: Colour.Red };
const DAY_MS = 86_400_000;

function refuse(code: Refusal["code"], message: string, field?: string, details?: Record<string, unknown>): Refusal {
  return { ok: false, code, message, ...(field !== undefined ? { field } : {}), ...(details !== undefined ? { details } : {}) };
}

function pad(seq: number): string {
  return String(seq).padStart(13, "0");
}

/** Ids of the k-th fill of command `seq` and of its contract; they sort in sequence order. */
export function fillIds(shard: string, seq: number, k: number): { fillId: string; contractId: string } {
  const key = `${shard}_${pad(seq)}_${k}`;
  return { fillId: `fil_${key}`, contractId: `con_${key}` };
}

function sameOrder(o: OrderState): OrderState {
  return { ...o, terms: o.terms };
}

/** A market the catalogue knows: its shift window, paid hours and book. */
interface MarketState {
  readonly id: string;
  readonly skill: string;
  readonly district: string;
  readonly date: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly hours: string;
  readonly book: OrderBook;
  readonly units: Map<number, bigint>;
}

/** The plain-data state of the core, for the sequencer's snapshots. */
export interface ExchangeSnapshot {
  readonly format: 1;
  readonly settings: ExchangeSettings;
  readonly owners: Array<[string, number]>;
  readonly markets: Array<{ id: string; book: BookSnapshot }>;
  readonly orders: Array<Omit<OrderState, "holdFen"> & { holdFen: string }>;
  /** Colours set by `colour` commands (absent in snapshots written before them). */
  readonly colours?: Array<[string, ColourName]>;
}

/** Depth of a book (best first on each side) and its number of resting orders. */
export interface MarketDepth {
  readonly demand: readonly DepthLevel[];
  readonly supply: readonly DepthLevel[];
  readonly openOrders: number;
}

/** The lowest and highest rate of a district's markets: the minimum wage up to the tick, the configured cap down to it. */
export function rateBounds(district: string, settings: ExchangeSettings): { minRate: number; maxRate: number } | undefined {
  const minWage = minimumHourlyWageFen(district);
  if (minWage === undefined) return undefined;
  const tick = settings.tickFen;
  const minRate = Math.ceil(minWage / tick) * tick;
  return { minRate, maxRate: Math.max(minRate, Math.floor(settings.maxRateFen / tick) * tick) };
}

/** Whether a rate is allowed in a district's markets: on the tick grid, not below the minimum wage, not above the cap. */
export function checkRate(district: string, rateFen: number, settings: ExchangeSettings): Refusal | undefined {
  const bounds = rateBounds(district, settings);
  const minWage = minimumHourlyWageFen(district);
  if (bounds === undefined || minWage === undefined) return refuse("validation_failed", "unknown market", "/body/market");
  if (!Number.isSafeInteger(rateFen) || rateFen <= 0) return refuse("validation_failed", "rateFen must be a whole number of fen per hour", "/body/rateFen");
  if (rateFen < minWage) {
    return refuse("validation_failed", `rateFen ${rateFen} is below the district's hourly minimum wage of ${minWage} fen`, "/body/rateFen", { minimumRateFen: bounds.minRate });
  }
  if (rateFen % settings.tickFen !== 0) {
    return refuse("validation_failed", `rateFen must be a multiple of the tick, ${settings.tickFen} fen`, "/body/rateFen", { tickFen: settings.tickFen });
  }
  if (rateFen < bounds.minRate || rateFen > bounds.maxRate) {
    return refuse("validation_failed", `rateFen must be from ${bounds.minRate} to ${bounds.maxRate} fen per hour`, "/body/rateFen", { minimumRateFen: bounds.minRate, maximumRateFen: bounds.maxRate });
  }
  return undefined;
}

/**
 * Every rule a placement must meet that does not depend on the books or
 * the wallet: the market (catalogue, horizon, lead time), who may post
 * which side, quantity, rate grid and minimum wage, good-till, terms.
 * The edge checks it before it sends the order (a clear error, nothing
 * journalled); the core checks it again at the sequencer's instant.
 */
export function checkPlacement(p: PlaceOrder, at: number, s: ExchangeSettings): { ok: true; goodTill: number | null; demand: boolean } | Refusal {
  const parsed = parseMarketId(p.market);
  if (!parsed.ok) return refuse("validation_failed", `market: ${parsed.message}`, "/body/market", { reason: parsed.reason });
  const ref = parsed.value;
  const today = shanghaiDate(at);
  const last = shanghaiDate(at + s.horizonDays * DAY_MS);
  if (ref.date < today) return refuse("validation_failed", `the market's day ${ref.date} is past`, "/body/market");
  if (ref.date > last) return refuse("validation_failed", `markets open ${s.horizonDays} days ahead: ${ref.date} is after ${last}`, "/body/market");
  const window = shiftWindow(ref.date, ref.slot);
  if (window.startsAt - at < s.minLeadMs) {
    return refuse(
      "validation_failed",
      `the shift starts at ${shanghaiIso(window.startsAt)}; orders close ${Math.round(s.minLeadMs / 60_000)} minutes before the shift starts`,
      "/body/market",
    );
  }
  const party = p.party;
  const demand = p.side === "demand";
  if (demand) {
    if (party.kind !== "enterprise") return refuse("forbidden", "only an enterprise posts demand orders", "/body/side");
    if (p.shared) return refuse("validation_failed", "shared is for supply offers", "/body/shared");
  } else {
    if (party.colour === "black") return refuse("forbidden", "a supplier rated black may not post offers", "/body/side", { colour: "black" });
    if (party.kind === "agency") {
      if (party.licensedUntil === null) return refuse("forbidden", "an agency needs a valid licence to post offers", "/body/side");
      if (party.licensedUntil < ref.date) {
        return refuse("forbidden", `the agency's licence is valid until ${party.licensedUntil}, before the shift on ${ref.date}`, "/body/side");
      }
      if (p.shared) return refuse("validation_failed", "shared-staffing offers are posted by lending enterprises for their own employees", "/body/shared");
    } else {
      if (!party.lendsStaff) return refuse("forbidden", "an enterprise posts offers only as a lending enterprise (shared staffing)", "/body/side");
      if (!p.shared) return refuse("validation_failed", "an enterprise's offer is shared staffing: set shared to true (at cost, no markup)", "/body/shared");
    }
  }
  if (!Number.isSafeInteger(p.quantity) || p.quantity < 1 || p.quantity > MAX_QUANTITY) {
    return refuse("validation_failed", `quantity must be a whole headcount from 1 to ${MAX_QUANTITY}`, "/body/quantity");
  }
  const rateRefusal = checkRate(ref.district, p.rateFen, s);
  if (rateRefusal !== undefined) return rateRefusal;
  const defaultTill = window.startsAt - s.staffingLeadMs;
  let goodTill: number | null = null;
  if (p.timeInForce === "good_till") {
    goodTill = p.goodTill ?? defaultTill;
    if (goodTill <= at) return refuse("validation_failed", "goodTill must be in the future", "/body/goodTill");
    if (goodTill > defaultTill) {
      return refuse("validation_failed", `goodTill must be at or before ${shanghaiIso(defaultTill)} (shift start less the staffing lead time)`, "/body/goodTill");
    }
  } else if (p.goodTill !== null) {
    return refuse("validation_failed", "goodTill applies to good_till orders only", "/body/goodTill");
  }
  if (demand) {
    if (!Number.isSafeInteger(p.minFill) || p.minFill < 0 || p.minFill > p.quantity) return refuse("validation_failed", "minFill must be from 0 to the quantity", "/body/minFill");
    const skill = skillById(ref.skill);
    const maxLevel = skill?.maxLevel ?? MAX_CERTIFICATE;
    if (!Number.isSafeInteger(p.minCertificate) || p.minCertificate < 0 || p.minCertificate > maxLevel) {
      return refuse("validation_failed", `minCertificate must be from 0 to ${maxLevel} for ${ref.skill}`, "/body/minCertificate");
    }
    if (p.excludedSuppliers.length > MAX_EXCLUDED) return refuse("validation_failed", `at most ${MAX_EXCLUDED} excluded suppliers`, "/body/excludedSuppliers");
    const seen = new Set<string>();
    for (let i = 0; i < p.excludedSuppliers.length; i++) {
      const id = p.excludedSuppliers[i] as string;
      if (seen.has(id)) return refuse("validation_failed", `supplier ${id} is listed twice`, `/body/excludedSuppliers/${i}`);
      seen.add(id);
    }
  } else {
    if (!Number.isSafeInteger(p.minSplit) || p.minSplit < 1 || p.minSplit > p.quantity) return refuse("validation_failed", "minSplit must be from 1 to the quantity", "/body/minSplit");
    if (!Number.isSafeInteger(p.certificate) || p.certificate < 0 || p.certificate > MAX_CERTIFICATE) {
      return refuse("validation_failed", `certificate must be from 0 to ${MAX_CERTIFICATE}`, "/body/certificate");
    }
  }

  return { ok: true, goodTill, demand };
}

// ------------------------------------------------------------------ the core

/** The books of a shard's markets, its open orders and the rules that move them. */
export class ExchangeCore {
  settings: ExchangeSettings;
  private readonly markets = new Map<string, MarketState>();
  private readonly open = new Map<string, OrderState>();
  private readonly byTag = new Map<number, OrderState>();
  private readonly owners = new Map<string, number>();
  /** Ratings set by `colour` commands: they override the colour the edge read (it may be seconds old). */
  private readonly colours = new Map<string, ColourName>();
  /** dedupe keys of open and recently finished orders → order id; the sequencer trims it. */
  private readonly recentKeys = new Map<string, string>();
  private readonly recentKeyOrder: Array<{ key: string; seq: number }> = [];
  private recentKeyHead = 0;

  constructor(settings: ExchangeSettings) {
    this.settings = settings;
  }

  // ---------------------------------------------------------------- queries

  /** An open order (a copy), or undefined. */
  openOrder(id: string): OrderState | undefined {
    const o = this.open.get(id);
    return o === undefined ? undefined : sameOrder(o);
  }

  get openOrderCount(): number {
    return this.open.size;
  }

  get marketCount(): number {
    return this.markets.size;
  }

  /** Ids of the markets that have a book. */
  marketIds(): string[] {
    return [...this.markets.keys()];
  }

  /** The order already placed with this dedupe key by the organisation, if the core remembers it. */
  knownKey(organisationId: string, dedupeKey: string): string | undefined {
    return this.recentKeys.get(`${organisationId}\u0000${dedupeKey}`);
  }

  /** Remembers a key found in storage (an older order), so the placement that asked is answered as a duplicate. */
  rememberKey(organisationId: string, dedupeKey: string, orderId: string, seq: number): void {
    const key = `${organisationId}\u0000${dedupeKey}`;
    if (this.recentKeys.has(key)) return;
    this.recentKeys.set(key, orderId);
    this.recentKeyOrder.push({ key, seq });
  }

  /** Forgets remembered keys beyond `keep` whose order was placed at or before `committedSeq` and is no longer open. */
  trimKeys(keep: number, committedSeq: number): void {
    const list = this.recentKeyOrder;
    let head = this.recentKeyHead;
    // one pass at most: keys of orders still open go to the back and are looked at again next time
    const end = list.length;
    while (list.length - head > keep && head < end) {
      const e = list[head] as { key: string; seq: number };
      if (e.seq > committedSeq) break;
      const orderId = this.recentKeys.get(e.key);
      if (orderId !== undefined && !this.open.has(orderId)) this.recentKeys.delete(e.key);
      else if (orderId !== undefined) list.push(e); // still open: keep it, look again later
      head++;
    }
    if (head > 65_536 && head * 2 > list.length) {
      list.splice(0, head);
      head = 0;
    }
    this.recentKeyHead = head;
  }

  get rememberedKeys(): number {
    return this.recentKeys.size;
  }

  /** Committed-or-not depth of a market's book, up to `levels` levels a side; undefined if it has no book. */
  depth(market: string, levels: number): MarketDepth | undefined {
    const m = this.markets.get(market);
    if (m === undefined) return undefined;
    const d = m.book.depth(levels);
    return { demand: d.demand, supply: d.supply, openOrders: m.book.size };
  }

  /** Per-head cost of a shift in a market at a rate, fee included, fen; undefined for an unknown market. */
  unitCost(market: string, rateFen: number): bigint | undefined {
    const m = this.marketState(market);
    return m === undefined ? undefined : this.unit(m, rateFen);
  }

  private unit(m: MarketState, rateFen: number): bigint {
    let u = m.units.get(rateFen);
    if (u === undefined) {
      u = withFee(wage(BigInt(rateFen), m.hours), this.settings.feeRate).total;
      if (m.units.size > 4096) m.units.clear();
      m.units.set(rateFen, u);
    }
    return u;
  }

  /** The market's state from the catalogue (creating its book), or undefined if the id is not a market. */
  private marketState(id: string): MarketState | undefined {
    const known = this.markets.get(id);
    if (known !== undefined) return known;
    const parsed = parseMarketId(id);
    if (!parsed.ok) return undefined;
    const ref = parsed.value;
    const slot = shiftSlotById(ref.slot);
    const minWage = minimumHourlyWageFen(ref.district);
    if (slot === undefined || minWage === undefined) return undefined;
    const { startsAt, endsAt } = shiftWindow(ref.date, ref.slot);
    const tick = this.settings.tickFen;
    const minRate = Math.ceil(minWage / tick) * tick;
    const maxRate = Math.max(minRate, Math.floor(this.settings.maxRateFen / tick) * tick);
    const hours = String(slot.paidMinutes / 60);
    const m: MarketState = {
      id,
      skill: ref.skill,
      district: ref.district,
      date: ref.date,
      startsAt,
      endsAt,
      hours,
      book: new OrderBook({ minRate, maxRate, tickSize: tick }),
      units: new Map(),
    };
    this.markets.set(id, m);
    return m;
  }

  private ownerOf(organisationId: string): number {
    let n = this.owners.get(organisationId);
    if (n === undefined) {
      n = this.owners.size + 1;
      this.owners.set(organisationId, n);
    }
    return n;
  }

  // ---------------------------------------------------------------- commands

  /** Runs one command. */
  execute(cmd: ExchangeCommand, ctx: CommandContext): OrderOutcome | CancelAllOutcome | ColourOutcome {
    switch (cmd.t) {
      case "place":
        return this.place(cmd.order, ctx);
      case "cancel":
        return this.cancel(cmd.orderId, cmd.by, ctx);
      case "reduce":
        return this.reduce(cmd.orderId, cmd.by, cmd.quantity, ctx);
      case "rerate":
        return this.rerate(cmd.orderId, cmd.by, cmd.rateFen, ctx);
      case "cancelAll":
        return this.cancelAll(cmd.organisationId, cmd.market, cmd.side, cmd.reason, ctx);
      case "colour":
        return this.setColour(cmd.organisationId, cmd.colour, ctx);
    }
  }

  /** The colour the core judges an organisation's offers by: the last `colour` command's, else undefined (the edge's facts stand). */
  colourOf(organisationId: string): ColourName | undefined {
    return this.colours.get(organisationId);
  }

  /** Validates, funds, matches and books a new order. */
  place(placed: PlaceOrder, ctx: CommandContext): OrderOutcome {
    const { at, ledger } = ctx;
    // The rating the core was told last wins over the edge's (possibly cached) facts: a supplier turned black is refused at once.
    const rated = this.colours.get(placed.party.id);
    const p = rated === undefined || rated === placed.party.colour ? placed : { ...placed, party: { ...placed.party, colour: rated } };
    const s = this.settings;
    if (p.dedupeKey !== null) {
      const known = this.knownKey(p.party.id, p.dedupeKey);
      if (known !== undefined) return { ok: false, code: "duplicate", orderId: known };
    }
    const checked = checkPlacement(p, at, s);
    if (!checked.ok) return checked;
    const { goodTill, demand } = checked;
    const party = p.party;
    const m = this.marketState(p.market);
    if (m === undefined) return refuse("validation_failed", "unknown market", "/body/market");

    // The book's clock moves to `at` first: what expired before this order does not trade with it.
    this.advance(m, ctx);

    const unit = this.unit(m, p.rateFen);
    const wallet = walletOf(party.id);
    if (demand) {
      const needed = BigInt(p.quantity) * unit;
      const available = ledger.available(wallet);
      if (available < needed) {
        const shortfall = fenToYuan(needed - available);
        return refuse(
          "unprocessable",
          `the wallet lacks ${shortfall} yuan to fund this order: it needs ${fenToYuan(needed)} yuan (headcount × paid hours × rate + fee) and ${fenToYuan(available < 0n ? 0n : available)} yuan is available`,
          "/body/quantity",
          { shortfall, needed: fenToYuan(needed), available: fenToYuan(available < 0n ? 0n : available), walletAccountId: wallet },
        );
      }
    }

    const owner = this.ownerOf(party.id);
    const tif = p.timeInForce === "good_till" ? TimeInForce.GoodTill : p.timeInForce === "ioc" ? TimeInForce.ImmediateOrCancel : TimeInForce.FillOrKill;
    const input: OrderInput = demand
      ? {
          side: Side.Demand,
          owner,
          tag: ctx.seq,
          qty: p.quantity,
          rate: p.rateFen,
          tif,
          ...(goodTill !== null ? { goodTill } : {}),
          minFill: p.minFill,
          minCertificate: p.minCertificate,
          minColour: p.minColour === "red" ? Colour.Red : Colour.Blue,
          excluded: p.excludedSuppliers.map((id) => this.ownerOf(id)),
        }
      : {
          side: Side.Supply,
          owner,
          tag: ctx.seq,
          qty: p.quantity,
          rate: p.rateFen,
          tif,
          ...(goodTill !== null ? { goodTill } : {}),
          colour: COLOUR[party.colour],
          certificate: p.certificate,
          minSplit: p.minSplit,
          allOrNone: p.allOrNone,
          shared: p.shared,
        };
    const result: PlaceResult = m.book.place(input);
    if (!result.ok) return bookRefusal(result.reason);

    const o: OrderState = {
      id: p.id,
      organisationId: party.id,
      clientOrderId: p.clientOrderId,
      dedupeKey: p.dedupeKey,
      market: p.market,
      side: p.side,
      quantity: p.quantity,
      remaining: p.quantity,
      filled: 0,
      rateFen: p.rateFen,
      timeInForce: p.timeInForce,
      goodTill,
      state: "open",
      holdId: null,
      holdFen: 0n,
      holdSerial: 0,
      terms: {
        minFill: demand ? p.minFill : 0,
        minCertificate: demand ? p.minCertificate : 0,
        minColour: demand ? p.minColour : null,
        excludedSuppliers: demand ? [...p.excludedSuppliers] : [],
        minSplit: demand ? 1 : p.minSplit,
        allOrNone: demand ? false : p.allOrNone,
        certificate: demand ? 0 : p.certificate,
        shared: demand ? false : p.shared,
      },
      createdSeq: ctx.seq,
      updatedSeq: ctx.seq,
      createdAt: at,
      updatedAt: at,
      handle: -1,
      tag: ctx.seq,
      owner,
    };
    if (p.dedupeKey !== null) this.rememberKey(party.id, p.dedupeKey, o.id, ctx.seq);
    this.execution(o, "accepted", ctx);
    const fills = this.settle(m, o, result.fills, ctx);
    o.remaining = o.quantity - o.filled;
    if (result.resting > 0) {
      o.handle = result.handle;
      this.open.set(o.id, o);
      this.byTag.set(o.tag, o);
      if (demand) this.hold(o, BigInt(result.resting) * unit, ctx);
    } else if (o.remaining === 0) {
      o.state = "filled";
    } else {
      // IOC / FOK: what did not trade is cancelled; nothing of it was ever held
      o.state = "cancelled";
      this.execution(o, "cancelled", ctx);
    }
    ctx.out.order(o);
    ctx.out.market(m.id);
    return { ok: true, order: sameOrder(o), fills };
  }

  /** Cancels an open order; its hold is released. */
  cancel(orderId: string, by: string, ctx: CommandContext): OrderOutcome {
    const o = this.ownOpen(orderId, by);
    if (!o.ok) return o;
    const order = o.order;
    const m = this.markets.get(order.market) as MarketState;
    this.advance(m, ctx);
    if (order.state !== "open") return refuse("conflict", `the order is ${order.state}`, "/params/id", { state: order.state });
    const r = m.book.cancel(order.handle);
    if (!r.ok) throw new Error(`order ${order.id}: the book refused its cancel (${r.reason})`);
    this.finish(order, "cancelled", ctx);
    ctx.out.market(m.id);
    return { ok: true, order: sameOrder(order), fills: [] };
  }

  /** Reduces an open order's total quantity (keeps its priority); a demand order's hold shrinks with it. */
  reduce(orderId: string, by: string, quantity: number, ctx: CommandContext): OrderOutcome {
    const found = this.ownOpen(orderId, by);
    if (!found.ok) return found;
    const o = found.order;
    const m = this.markets.get(o.market) as MarketState;
    this.advance(m, ctx);
    if (o.state !== "open") return refuse("conflict", `the order is ${o.state}`, "/params/id", { state: o.state });
    if (!Number.isSafeInteger(quantity) || quantity <= o.filled || quantity >= o.quantity) {
      return refuse("validation_failed", `quantity must be less than ${o.quantity} and more than the ${o.filled} already filled`, "/body/quantity");
    }
    const remaining = quantity - o.filled;
    const r = m.book.reduce(o.handle, remaining);
    if (!r.ok) throw new Error(`order ${o.id}: the book refused its reduce (${r.reason})`);
    o.quantity = quantity;
    o.remaining = remaining;
    if (o.side === "demand") this.rehold(o, BigInt(remaining) * this.unit(m, o.rateFen), ctx);
    this.touch(o, ctx);
    this.execution(o, "reduced", ctx);
    ctx.out.order(o);
    ctx.out.market(m.id);
    return { ok: true, order: sameOrder(o), fills: [] };
  }

  /** Moves an open order to a new rate: it re-queues, and may trade at once. A demand order's hold follows the new rate. */
  rerate(orderId: string, by: string, rateFen: number, ctx: CommandContext): OrderOutcome {
    const found = this.ownOpen(orderId, by);
    if (!found.ok) return found;
    const o = found.order;
    const m = this.markets.get(o.market) as MarketState;
    this.advance(m, ctx);
    if (o.state !== "open") return refuse("conflict", `the order is ${o.state}`, "/params/id", { state: o.state });
    const bad = this.checkRate(m, rateFen);
    if (bad !== undefined) return bad;
    if (rateFen === o.rateFen) return refuse("validation_failed", "the order already has this rate", "/body/rateFen");
    const unit = this.unit(m, rateFen);
    if (o.side === "demand") {
      const needed = BigInt(o.remaining) * unit;
      const available = ctx.ledger.available(walletOf(o.organisationId)) + o.holdFen;
      if (available < needed) {
        const shortfall = fenToYuan(needed - available);
        return refuse("unprocessable", `the wallet lacks ${shortfall} yuan to hold the order at the new rate`, "/body/rateFen", {
          shortfall,
          needed: fenToYuan(needed),
          available: fenToYuan(available),
        });
      }
    }
    const r = m.book.replaceRate(o.handle, rateFen);
    if (!r.ok) throw new Error(`order ${o.id}: the book refused its new rate (${r.reason})`);
    o.rateFen = rateFen;
    if (o.side === "demand") this.rehold(o, BigInt(o.remaining) * unit, ctx);
    this.touch(o, ctx);
    this.execution(o, "rerated", ctx);
    const fills = this.settle(m, o, r.fills, ctx);
    if (r.resting > 0) {
      o.handle = r.handle;
    } else {
      this.open.delete(o.id);
      this.byTag.delete(o.tag);
      o.handle = -1;
      o.state = "filled";
    }
    ctx.out.order(o);
    ctx.out.market(m.id);
    return { ok: true, order: sameOrder(o), fills };
  }

  /** Cancels every open order of an organisation (in one market, of one side, or all). */
  cancelAll(organisationId: string, market: string | null, side: SideName | null, reason: string, ctx: CommandContext): CancelAllOutcome {
    void reason;
    const victims = [...this.open.values()].filter(
      (o) => o.organisationId === organisationId && (market === null || o.market === market) && (side === null || o.side === side),
    );
    // oldest first, so the events read in the order the orders were placed
    victims.sort((a, b) => a.createdSeq - b.createdSeq);
    let cancelled = 0;
    for (const o of victims) {
      const m = this.markets.get(o.market) as MarketState;
      this.advance(m, ctx);
      if (o.state !== "open") continue;
      const r = m.book.cancel(o.handle);
      if (!r.ok) throw new Error(`order ${o.id}: the book refused its cancel (${r.reason})`);
      this.finish(o, "cancelled", ctx);
      ctx.out.market(m.id);
      cancelled++;
    }
    return { ok: true, cancelled };
  }

  /**
   * Records an organisation's new rating and applies it to its open offers:
   * black cancels them (their events say so), red or blue recolours them
   * where they rest. An offer raised to red meets, at once, the resting demand
   * that required red (as an incoming offer would: the demand's rate, money
   * from its hold into the new contracts' escrow), so matching reflects the
   * rating without waiting for the next order. Setting the colour it already
   * has changes nothing.
   */
  setColour(organisationId: string, colour: ColourName, ctx: CommandContext): ColourOutcome {
    this.colours.set(organisationId, colour);
    const offers = [...this.open.values()].filter((o) => o.organisationId === organisationId && o.side === "supply").sort((a, b) => a.createdSeq - b.createdSeq);
    let cancelled = 0;
    let recoloured = 0;
    const fills: FillView[] = [];
    for (const o of offers) {
      const m = this.markets.get(o.market) as MarketState;
      this.advance(m, ctx);
      if (o.state !== "open") continue;
      if (colour === "black") {
        const r = m.book.cancel(o.handle);
        if (!r.ok) throw new Error(`order ${o.id}: the book refused its cancel (${r.reason})`);
        this.finish(o, "cancelled", ctx);
        cancelled++;
      } else {
        const r = m.book.recolour(o.handle, COLOUR[colour]);
        if (!r.ok) throw new Error(`order ${o.id}: the book refused its colour (${r.reason})`);
        if (r.from !== COLOUR[colour]) recoloured++;
        if (r.fills.length > 0) {
          // fill ids run on across the offers of this one command
          fills.push(...this.settle(m, o, r.fills, ctx, fills.length));
          if (r.resting === 0) {
            this.open.delete(o.id);
            this.byTag.delete(o.tag);
            o.handle = -1;
            o.state = "filled";
          }
          ctx.out.order(o);
        }
      }
      ctx.out.market(m.id);
    }
    return { ok: true, cancelled, recoloured, fills };
  }

  /**
   * The clock: moves every book to `at`, expiring orders whose good-till
   * passed (their holds are released), and drops empty books of shifts that
   * have started. Returns how many orders expired.
   */
  tick(ctx: CommandContext): number {
    let expired = 0;
    for (const m of this.markets.values()) {
      expired += this.advance(m, ctx);
      if (m.book.size === 0 && m.startsAt <= ctx.at) this.markets.delete(m.id);
    }
    return expired;
  }

  /** Whether a tick at `at` would change anything (an order due to expire, or a book to drop). */
  tickDue(at: number): boolean {
    for (const o of this.open.values()) if (o.goodTill !== null && o.goodTill <= at) return true;
    for (const m of this.markets.values()) if (m.book.size === 0 && m.startsAt <= at) return true;
    return false;
  }

  // ---------------------------------------------------------------- internals

  private checkRate(m: MarketState, rateFen: number): Refusal | undefined {
    return checkRate(m.district, rateFen, this.settings);
  }

  private ownOpen(orderId: string, by: string): { ok: true; order: OrderState } | Refusal {
    const o = this.open.get(orderId);
    // another organisation's order reads as absent
    if (o === undefined || o.organisationId !== by) return refuse("not_found", `order ${orderId} is not an open order of yours`, "/params/id");
    return { ok: true, order: o };
  }

  private advance(m: MarketState, ctx: CommandContext): number {
    if (m.book.now >= ctx.at) return 0;
    const r = m.book.advanceTo(ctx.at);
    if (!r.ok) throw new Error(`market ${m.id}: the book refused the clock (${r.reason})`);
    for (const e of r.expired) this.expired(m, e, ctx);
    if (r.expired.length > 0) ctx.out.market(m.id);
    return r.expired.length;
  }

  private expired(m: MarketState, e: Expiry, ctx: CommandContext): void {
    const o = this.byTag.get(e.tag);
    if (o === undefined) throw new Error(`market ${m.id}: an expired book entry (tag ${e.tag}) has no order`);
    this.finish(o, "expired", ctx);
  }

  /** Takes an open order off the books for good (cancelled or expired): its hold is voided. */
  private finish(o: OrderState, state: "cancelled" | "expired", ctx: CommandContext): void {
    this.open.delete(o.id);
    this.byTag.delete(o.tag);
    o.handle = -1;
    o.state = state;
    if (o.holdId !== null) {
      ctx.ledger.createTransfers([{ id: `${o.holdId}:void`, kind: "void", pendingId: o.holdId }]);
      o.holdId = null;
      o.holdFen = 0n;
    }
    this.touch(o, ctx);
    this.execution(o, state, ctx);
    ctx.out.order(o);
  }

  private touch(o: OrderState, ctx: CommandContext): void {
    o.updatedSeq = ctx.seq;
    o.updatedAt = ctx.at;
  }

  /** Places the order's (first or next) hold. */
  private hold(o: OrderState, amount: bigint, ctx: CommandContext): void {
    // the platform's order-holds account is created with the first hold it receives
    if (!ctx.ledger.hasAccount(ORDER_HOLDS_ACCOUNT)) ctx.ledger.createAccounts([orderHoldsAccount()]);
    o.holdSerial++;
    const id = `${o.id}:hold:${o.holdSerial}`;
    ctx.ledger.createTransfers([
      { id, kind: "pending", debitAccountId: walletOf(o.organisationId), creditAccountId: ORDER_HOLDS_ACCOUNT, amount, ledger: CURRENCY, code: "order_hold", userData: o.id },
    ]);
    o.holdId = id;
    o.holdFen = amount;
  }

  /** Replaces a demand order's hold by one of `amount` (void and hold again, linked). */
  private rehold(o: OrderState, amount: bigint, ctx: CommandContext): void {
    const old = o.holdId;
    if (old === null) throw new Error(`order ${o.id}: a resting demand order without a hold`);
    o.holdSerial++;
    const id = `${o.id}:hold:${o.holdSerial}`;
    ctx.ledger.createTransfers([
      { id: `${old}:void`, kind: "void", pendingId: old, flags: TransferFlags.linked },
      { id, kind: "pending", debitAccountId: walletOf(o.organisationId), creditAccountId: ORDER_HOLDS_ACCOUNT, amount, ledger: CURRENCY, code: "order_hold", userData: o.id },
    ]);
    o.holdId = id;
    o.holdFen = amount;
  }

  /**
   * Turns the fills of one aggression into contracts and money: escrow
   * accounts, the escrow transfers, order remainders, events.
   */
  private settle(m: MarketState, incoming: OrderState, fills: readonly Fill[], ctx: CommandContext, firstK = 0): FillView[] {
    if (fills.length === 0) return [];
    const views: FillView[] = [];
    const accounts: AccountInput[] = [];
    const transfers: TransferInput[] = [];
    const contracts: ContractRecord[] = [];
    for (let k = 0; k < fills.length; k++) {
      const f = fills[k] as Fill;
      const d = f.demandTag === incoming.tag ? incoming : this.byTag.get(f.demandTag);
      const s = f.supplyTag === incoming.tag ? incoming : this.byTag.get(f.supplyTag);
      if (d === undefined || s === undefined) throw new Error(`market ${m.id}: a fill names an order the core does not hold`);
      // shared staffing trades at the offer's stated cost, whichever side rested
      const rate = f.shared ? s.rateFen : f.rate;
      const { fillId, contractId } = fillIds(ctx.shard, ctx.seq, firstK + k);
      const escrowId = escrowOf(contractId);
      const share = BigInt(f.qty) * this.unit(m, rate);
      accounts.push({ id: escrowId, ledger: CURRENCY, code: "escrow", ownerId: contractId, flags: AccountFlags.debitsMustNotExceedCredits });
      if (d.holdId === null) {
        // an incoming demand order trading at once: its funds were checked for the whole order
        transfers.push({ id: `${fillId}:escrow`, debitAccountId: walletOf(d.organisationId), creditAccountId: escrowId, amount: share, ledger: CURRENCY, code: "escrow", userData: contractId });
      } else {
        const left = BigInt(f.demandLeft);
        transfers.push({ id: `${fillId}:post`, kind: "post", pendingId: d.holdId, amount: share, flags: TransferFlags.linked });
        if (left > 0n) {
          d.holdSerial++;
          const next = `${d.id}:hold:${d.holdSerial}`;
          const amount = left * this.unit(m, d.rateFen);
          transfers.push({
            id: next,
            kind: "pending",
            debitAccountId: walletOf(d.organisationId),
            creditAccountId: ORDER_HOLDS_ACCOUNT,
            amount,
            ledger: CURRENCY,
            code: "order_hold",
            userData: d.id,
            flags: TransferFlags.linked,
          });
          d.holdId = next;
          d.holdFen = amount;
        } else {
          d.holdId = null;
          d.holdFen = 0n;
        }
        transfers.push({ id: `${fillId}:escrow`, debitAccountId: ORDER_HOLDS_ACCOUNT, creditAccountId: escrowId, amount: share, ledger: CURRENCY, code: "escrow", userData: contractId });
      }
      d.filled += f.qty;
      d.remaining = f.demandLeft;
      s.filled += f.qty;
      s.remaining = f.supplyLeft;
      for (const o of [d, s]) {
        this.touch(o, ctx);
        if (o !== incoming && o.remaining === 0) {
          this.open.delete(o.id);
          this.byTag.delete(o.tag);
          o.handle = -1;
          o.state = "filled";
        }
      }
      const aggressor: SideName = f.aggressor === Side.Demand ? "demand" : "supply";
      const c: ContractRecord = {
        id: contractId,
        fillId,
        seq: ctx.seq,
        market: m.id,
        enterpriseId: d.organisationId,
        supplierId: s.organisationId,
        demandOrderId: d.id,
        supplyOrderId: s.id,
        headcount: f.qty,
        rateFen: rate,
        aggressor,
        shared: f.shared,
        shiftStart: m.startsAt,
        shiftEnd: m.endsAt,
        escrowAccountId: escrowId,
        escrowFen: share,
        state: "staffing",
        createdAt: ctx.at,
      };
      contracts.push(c);
      const view: FillView = { fillId, contractId, rateFen: rate, qty: f.qty, at: ctx.at };
      views.push(view);
      const at = shanghaiIso(ctx.at);
      ctx.out.event({ type: "trade", seq: ctx.seq, at, market: m.id, fillId, rateFen: rate, qty: f.qty, aggressor, shared: f.shared });
      for (const o of [d, s]) {
        ctx.out.event({
          type: "execution",
          seq: ctx.seq,
          at,
          organisationId: o.organisationId,
          orderId: o.id,
          clientOrderId: o.clientOrderId,
          market: o.market,
          side: o.side,
          kind: "filled",
          remaining: o.remaining,
          fill: { fillId, contractId, rateFen: rate, qty: f.qty },
        });
        if (o !== incoming) ctx.out.order(o);
      }
      ctx.out.event({
        type: "contract.created",
        seq: ctx.seq,
        at,
        contractId,
        fillId,
        market: m.id,
        enterpriseId: d.organisationId,
        supplierId: s.organisationId,
        headcount: f.qty,
        rateFen: rate,
        shared: f.shared,
        escrowAccountId: escrowId,
        escrowFen: share.toString(),
        shiftStart: shanghaiIso(m.startsAt),
        shiftEnd: shanghaiIso(m.endsAt),
        minCertificate: d.terms.minCertificate,
      });
    }
    ctx.ledger.createAccounts(accounts);
    ctx.ledger.createTransfers(transfers);
    for (const c of contracts) ctx.out.contract(c);
    return views;
  }

  private execution(o: OrderState, kind: "accepted" | "reduced" | "rerated" | "cancelled" | "expired", ctx: CommandContext): void {
    ctx.out.event({
      type: "execution",
      seq: ctx.seq,
      at: shanghaiIso(ctx.at),
      organisationId: o.organisationId,
      orderId: o.id,
      clientOrderId: o.clientOrderId,
      market: o.market,
      side: o.side,
      kind,
      remaining: o.remaining,
    });
  }

  // ---------------------------------------------------------------- checks

  /**
   * The core's own consistency: every open order rests in its book with its
   * remainder and rate; every open demand order's hold is pending for
   * remaining × unit(rate); the order-holds account's pending credits are
   * exactly the open orders' holds.
   */
  invariants(ledger: LedgerGate): string[] {
    const problems: string[] = [];
    let held = 0n;
    for (const o of this.open.values()) {
      const m = this.markets.get(o.market);
      const v = m?.book.order(o.handle);
      if (m === undefined || v === undefined) {
        problems.push(`order ${o.id}: open but not in its book`);
        continue;
      }
      if (v.qty !== o.remaining || v.rate !== o.rateFen || v.tag !== o.tag) problems.push(`order ${o.id}: the book holds ${v.qty} at ${v.rate}, the order ${o.remaining} at ${o.rateFen}`);
      if (o.remaining + o.filled !== o.quantity) problems.push(`order ${o.id}: remaining + filled ≠ quantity`);
      if (o.side === "demand") {
        const expected = BigInt(o.remaining) * this.unit(m, o.rateFen);
        const amount = o.holdId === null ? undefined : ledger.pendingAmount(o.holdId);
        if (amount !== expected || o.holdFen !== expected) problems.push(`order ${o.id}: hold ${String(amount)} (${o.holdFen}) ≠ ${expected}`);
        held += o.holdFen;
      } else if (o.holdId !== null) problems.push(`supply order ${o.id} holds money`);
    }
    let resting = 0;
    for (const m of this.markets.values()) resting += m.book.size;
    if (resting !== this.open.size) problems.push(`books hold ${resting} orders, the core ${this.open.size}`);
    const pending = ledger.creditsPending(ORDER_HOLDS_ACCOUNT);
    if (pending !== held) problems.push(`the order-holds account has ${pending} fen pending, open orders hold ${held}`);
    return problems;
  }

  // ---------------------------------------------------------------- snapshot

  snapshot(): ExchangeSnapshot {
    return {
      format: 1,
      settings: this.settings,
      owners: [...this.owners.entries()],
      markets: [...this.markets.values()].map((m) => ({ id: m.id, book: m.book.snapshot() })),
      orders: [...this.open.values()].map((o) => ({ ...o, holdFen: o.holdFen.toString() })),
      colours: [...this.colours.entries()],
    };
  }

  static fromSnapshot(snap: ExchangeSnapshot): ExchangeCore {
    if (snap === null || typeof snap !== "object" || snap.format !== 1) throw new Error("invalid exchange snapshot: format");
    const core = new ExchangeCore(snap.settings);
    for (const [org, n] of snap.owners) core.owners.set(org, n);
    for (const [org, colour] of snap.colours ?? []) core.colours.set(org, colour);
    for (const { id, book } of snap.markets) {
      const m = core.marketState(id);
      if (m === undefined) throw new Error(`invalid exchange snapshot: market ${id}`);
      core.markets.set(id, { ...m, book: OrderBook.restore(book) });
    }
    for (const e of snap.orders) {
      const o: OrderState = { ...e, holdFen: BigInt(e.holdFen), terms: { ...e.terms, excludedSuppliers: [...e.terms.excludedSuppliers] } };
      core.open.set(o.id, o);
      core.byTag.set(o.tag, o);
      if (o.dedupeKey !== null) core.rememberKey(o.organisationId, o.dedupeKey, o.id, o.createdSeq);
    }
    return core;
  }
}

function bookRefusal(reason: RejectReason): Refusal {
  switch (reason) {
    case "bad_quantity":
      return refuse("validation_failed", "quantity is not a valid headcount", "/body/quantity");
    case "bad_rate":
    case "rate_off_band":
    case "rate_off_grid":
      return refuse("validation_failed", "rateFen is off the market's rate grid", "/body/rateFen");
    case "bad_good_till":
    case "expired":
      return refuse("validation_failed", "goodTill must be in the future", "/body/goodTill");
    case "bad_min_fill":
      return refuse("validation_failed", "minFill must be from 0 to the quantity", "/body/minFill");
    case "bad_min_split":
      return refuse("validation_failed", "minSplit must be from 1 to the quantity", "/body/minSplit");
    case "bad_certificate":
      return refuse("validation_failed", "certificate level out of range", "/body/certificate");
    case "black_supplier":
      return refuse("forbidden", "a supplier rated black may not post offers", "/body/side");
    case "bad_excluded":
      return refuse("validation_failed", "excludedSuppliers must list distinct organisations", "/body/excludedSuppliers");
    case "book_full":
      return refuse("conflict", "the market's book is full");
    default:
      return refuse("validation_failed", `the order was refused: ${reason}`);
  }
}
