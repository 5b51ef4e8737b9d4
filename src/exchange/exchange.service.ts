/**
 * The exchange's service: who may place, see and change which orders, what
 * the edge knows about the caller's organisation when it sends an order,
 * and the views the API returns. Every change is a command to the shard's
 * sequencer, answered after its batch committed; reads of orders, contracts
 * and trades come from PostgreSQL (committed by definition), books from the
 * sequencer's committed view.
 */
import type { Clock } from "../shared/clock";
import { decodeCursor, pageOf, type Page } from "../shared/cursor";
import { DomainError, invalidField, notFound } from "../shared/errors";
import type { NewId } from "../shared/ids";
import { fenToJsonNumber } from "../shared/money";
import { canReadAll, type Principal } from "../shared/principal";
import {
  districts,
  minimumHourlyWageFen,
  paidHours,
  parseMarketId,
  shanghaiDate,
  shanghaiIso,
  shiftSlots,
  shiftWindow,
  skills,
  type MarketRef,
} from "../parties/catalogue";
import type { ReliabilityPort, ReliabilityView } from "../shared/reliability";
import type { BookView, Sequencer } from "../sequencer";
import { checkPlacement, type FillView, type OrderOutcome, type OrderState, type PartyFacts, type PlaceOrder, type Refusal, type SideName } from "./exchange.core";
import type { ContractRow, ExchangeRepository, OrderRow } from "./exchange.repository";

/** Where a contract stands in its workflow, as the module that runs contracts tells it. */
export interface ContractProgress {
  /** The workflow's state: staffing, confirming, ready, inProgress, awaitingApproval, disputed, closing, settled, resolved, cancelled. */
  readonly state: string;
  /** Final, with its escrow at zero. */
  readonly closed: boolean;
}

/**
 * A port the exchange reads contracts' progress through (the contract runtime implements it; app.ts wires it):
 * the exchange writes contracts at the fill and knows nothing of how they run afterwards.
 */
export interface ContractProgressPort {
  /** The progress of those contracts whose workflow has started; the others are absent from the map. */
  progressOf(contractIds: readonly string[]): Promise<ReadonlyMap<string, ContractProgress>>;
}

/** How an order's rate compares with the recent guidance band: flagged when far outside it, never refused. */
export interface PriceGuidance {
  readonly flagged: boolean;
  readonly direction: "below" | "above" | null;
  readonly band: {
    readonly week: string;
    readonly headcount: number;
    readonly p25Fen: number;
    readonly medianFen: number;
    readonly p75Fen: number;
    readonly vwapFen: number;
    readonly lowerFen: number;
    readonly upperFen: number;
  } | null;
}

/** The port to market data (owned here): checks a rate against a cached band, with no query. */
export interface PriceGuide {
  check(market: string, rateFen: number): PriceGuidance | null;
}

export interface ExchangeServiceDeps {
  repo: ExchangeRepository;
  sequencer: Sequencer;
  clock: Clock;
  newId: NewId;
  /** Contracts' workflow states; without it a contract shows the state it was written in at the fill (staffing). */
  progress?: ContractProgressPort;
  /** Flags an order far outside the guidance band in the answer to its placing (absent: no flag). */
  priceGuide?: PriceGuide;
  /** Enterprises' two-way reliability, shown beside their contracts (src/trust implements it); without it, null. */
  reliability?: ReliabilityPort;
  /** how long what is known about an organisation (kind, colour, licence) is reused, ms; default 5000. */
  partyCacheMs?: number;
}

export interface PageRequest {
  readonly limit?: number;
  readonly cursor?: string;
}

export interface FillJson {
  fillId: string;
  contractId: string;
  rateFen: number;
  qty: number;
  at: string;
}

export interface OrderView {
  id: string;
  clientOrderId: string | null;
  organisationId: string;
  market: string;
  side: SideName;
  quantity: number;
  remaining: number;
  filled: number;
  rateFen: number;
  timeInForce: "good_till" | "ioc" | "fok";
  goodTill: string | null;
  state: "open" | "filled" | "cancelled" | "expired";
  holdFen: number;
  terms: {
    minFill: number;
    minCertificate: number;
    minColour: "blue" | "red" | null;
    excludedSuppliers: string[];
    minSplit: number;
    allOrNone: boolean;
    certificate: number;
    shared: boolean;
  };
  fills: FillJson[];
  createdAt: string;
  updatedAt: string;
  /** Only in the answer to placing it: the rate against the recent guidance band. */
  guidance?: PriceGuidance | null;
}

export interface ContractView {
  id: string;
  fillId: string;
  market: string;
  enterpriseId: string;
  /** The enterprise's two-way reliability (late cancellations, disputes, approval speed); null when it has nothing in the window. */
  enterpriseReliability: ReliabilityView | null;
  supplierId: string;
  demandOrderId: string;
  supplyOrderId: string;
  headcount: number;
  rateFen: number;
  shiftStart: string;
  shiftEnd: string;
  shared: boolean;
  escrowAccountId: string;
  escrowFen: number;
  /** The workflow's state (staffing until the contract runtime has started it). */
  state: string;
  /** Final, with its escrow at zero. */
  closed: boolean;
  createdAt: string;
}

export interface MarketView {
  id: string;
  skillId: string;
  districtCode: string;
  date: string;
  slotId: string;
  shiftStart: string;
  shiftEnd: string;
  paidHours: string;
  minimumRateFen: number;
  maximumRateFen: number;
  tickFen: number;
  bestDemandFen: number | null;
  bestSupplyFen: number | null;
  openOrders: number;
}

/** The body of POST /v1/orders after schema validation. */
export interface PlaceOrderInput {
  side: SideName;
  market: string;
  quantity: number;
  rateFen: number;
  timeInForce?: "good_till" | "ioc" | "fok";
  goodTill?: string;
  clientOrderId?: string;
  minFill?: number;
  minCertificate?: number;
  minColour?: "blue" | "red";
  excludedSuppliers?: string[];
  minSplit?: number;
  allOrNone?: boolean;
  certificate?: number;
  shared?: boolean;
}

const DEFAULT_LIMIT = 100;
const DEMAND_ONLY = ["minFill", "minCertificate", "minColour", "excludedSuppliers"] as const;
const SUPPLY_ONLY = ["minSplit", "allOrNone", "certificate", "shared"] as const;

function refusalError(r: Refusal): DomainError {
  return new DomainError(r.code, r.message, { ...(r.details ?? {}), ...(r.field !== undefined ? { field: r.field } : {}) });
}

function fillJson(f: FillView): FillJson {
  return { fillId: f.fillId, contractId: f.contractId, rateFen: f.rateFen, qty: f.qty, at: shanghaiIso(f.at) };
}

function contractFill(c: ContractRow): FillJson {
  return { fillId: c.fillId, contractId: c.id, rateFen: c.rateFen, qty: c.headcount, at: shanghaiIso(c.createdAt) };
}

/** The view of an order, from the sequencer's state or a stored row. */
function orderView(o: OrderState | OrderRow, fills: FillJson[]): OrderView {
  const terms = "terms" in o ? o.terms : o;
  return {
    id: o.id,
    clientOrderId: o.clientOrderId,
    organisationId: o.organisationId,
    market: o.market,
    side: o.side,
    quantity: o.quantity,
    remaining: o.remaining,
    filled: o.filled,
    rateFen: o.rateFen,
    timeInForce: o.timeInForce,
    goodTill: o.goodTill === null ? null : shanghaiIso(o.goodTill),
    state: o.state,
    holdFen: fenToJsonNumber(o.holdFen),
    terms: {
      minFill: terms.minFill,
      minCertificate: terms.minCertificate,
      minColour: terms.minColour,
      excludedSuppliers: [...terms.excludedSuppliers],
      minSplit: terms.minSplit,
      allOrNone: terms.allOrNone,
      certificate: terms.certificate,
      shared: terms.shared,
    },
    fills,
    createdAt: shanghaiIso(o.createdAt),
    updatedAt: shanghaiIso(o.updatedAt),
  };
}

function contractView(c: ContractRow, progress: ContractProgress | undefined, reliability: ReadonlyMap<string, ReliabilityView | null>): ContractView {
  return {
    id: c.id,
    fillId: c.fillId,
    market: c.market,
    enterpriseId: c.enterpriseId,
    enterpriseReliability: reliability.get(c.enterpriseId) ?? null,
    supplierId: c.supplierId,
    demandOrderId: c.demandOrderId,
    supplyOrderId: c.supplyOrderId,
    headcount: c.headcount,
    rateFen: c.rateFen,
    shiftStart: shanghaiIso(c.shiftStart),
    shiftEnd: shanghaiIso(c.shiftEnd),
    shared: c.shared,
    escrowAccountId: c.escrowAccountId,
    escrowFen: fenToJsonNumber(c.escrowFen),
    state: progress?.state ?? c.state,
    closed: progress?.closed ?? false,
    createdAt: shanghaiIso(c.createdAt),
  };
}

function organisationOf(p: Principal): string {
  if ((p.role !== "enterprise" && p.role !== "agency") || p.organisationId === null) {
    throw new DomainError("forbidden", "only an organisation's key places and changes orders");
  }
  return p.organisationId;
}

function beforeId(cursor: string | undefined): string | undefined {
  return cursor === undefined ? undefined : decodeCursor(cursor, ["id"]).id;
}

const SKILLS = [...skills].map((s) => s.id).sort();
const DISTRICTS = [...districts].map((d) => d.code).sort();
const SLOTS = [...shiftSlots].map((s) => s.id).sort();

function compareRef(a: MarketRef, b: MarketRef): number {
  const key = (r: MarketRef): [number, number, string, number] => [SKILLS.indexOf(r.skill), DISTRICTS.indexOf(r.district), r.date, SLOTS.indexOf(r.slot)];
  const x = key(a);
  const y = key(b);
  for (let i = 0; i < 4; i++) {
    if (x[i]! < y[i]!) return -1;
    if (x[i]! > y[i]!) return 1;
  }
  return 0;
}

function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function createExchangeService(deps: ExchangeServiceDeps) {
  const { repo, sequencer, clock } = deps;
  const ttl = deps.partyCacheMs ?? 5_000;

  /** The workflows' progress of these contracts (none without the port). */
  async function progressOf(rows: readonly ContractRow[]): Promise<ReadonlyMap<string, ContractProgress>> {
    return deps.progress === undefined || rows.length === 0 ? new Map() : deps.progress.progressOf(rows.map((c) => c.id));
  }
  /** The reliability of these contracts' enterprises: one call for the whole list (the port caches). */
  async function reliabilityOf(rows: readonly ContractRow[]): Promise<ReadonlyMap<string, ReliabilityView | null>> {
    return deps.reliability === undefined || rows.length === 0 ? new Map() : deps.reliability.reliabilityOf([...new Set(rows.map((c) => c.enterpriseId))]);
  }
  const parties = new Map<string, { facts: PartyFacts; until: number }>();

  async function partyFacts(organisationId: string): Promise<PartyFacts> {
    const now = clock.now().getTime();
    const cached = parties.get(organisationId);
    if (cached !== undefined && cached.until > now) return cached.facts;
    const facts = await repo.partyFacts(organisationId);
    if (facts === undefined) throw new DomainError("forbidden", "the caller's organisation is not registered");
    if (parties.size > 50_000) parties.clear();
    parties.set(organisationId, { facts, until: now + ttl });
    return facts;
  }

  function marketView(id: string, ref: MarketRef, book: BookView | undefined): MarketView {
    const settings = sequencer.settings;
    const window = shiftWindow(ref.date, ref.slot);
    const slot = shiftSlots.find((s) => s.id === ref.slot)!;
    const tick = settings.tickFen;
    const minRate = Math.ceil((minimumHourlyWageFen(ref.district) ?? 0) / tick) * tick;
    return {
      id,
      skillId: ref.skill,
      districtCode: ref.district,
      date: ref.date,
      slotId: ref.slot,
      shiftStart: shanghaiIso(window.startsAt),
      shiftEnd: shanghaiIso(window.endsAt),
      paidHours: paidHours(slot),
      minimumRateFen: minRate,
      maximumRateFen: Math.max(minRate, Math.floor(settings.maxRateFen / tick) * tick),
      tickFen: tick,
      bestDemandFen: book?.demand[0]?.rateFen ?? null,
      bestSupplyFen: book?.supply[0]?.rateFen ?? null,
      openOrders: book?.openOrders ?? 0,
    };
  }

  /** A market id from a path, or a 400 naming it. */
  function market(id: string, field: string): MarketRef {
    const parsed = parseMarketId(id);
    if (!parsed.ok) throw invalidField(field, `market: ${parsed.message}`, { reason: parsed.reason });
    return parsed.value;
  }

  /** Why a change of an order the sequencer does not hold open was refused: not yours (404) or already done (409). */
  async function notOpen(p: Principal, orderId: string, r: Refusal): Promise<never> {
    if (r.code !== "not_found") throw refusalError(r);
    const stored = await repo.findOrder(orderId);
    if (stored === undefined || stored.organisationId !== p.organisationId) throw notFound("order", orderId);
    throw new DomainError("conflict", `the order is ${stored.state}`, { field: "/params/id", state: stored.state });
  }

  async function storedView(o: OrderRow): Promise<OrderView> {
    return orderView(o, (await repo.fillsOf([o.id])).map(contractFill));
  }

  async function changed(p: Principal, orderId: string, outcome: OrderOutcome): Promise<OrderView> {
    if (!outcome.ok) return outcome.code === "duplicate" ? Promise.reject(new Error("unexpected duplicate")) : notOpen(p, orderId, outcome);
    const fills = await repo.fillsOf([orderId]);
    return orderView(outcome.order, fills.map(contractFill));
  }

  return {
    /**
     * Places an order. A retry with the same client order id (or, without
     * one, the same Idempotency-Key) finds the original: `replayed` is then
     * true and the order is returned as it is now.
     */
    async placeOrder(p: Principal, body: PlaceOrderInput, idempotencyKey?: string): Promise<{ replayed: boolean; order: OrderView }> {
      const organisationId = organisationOf(p);
      const b = body as unknown as Record<string, unknown>;
      for (const f of body.side === "demand" ? SUPPLY_ONLY : DEMAND_ONLY) {
        if (b[f] !== undefined) throw invalidField(`/body/${f}`, `${f} applies to ${body.side === "demand" ? "supply" : "demand"} orders`);
      }
      const tif = body.timeInForce ?? "good_till";
      let goodTill: number | null = null;
      if (body.goodTill !== undefined) {
        if (tif !== "good_till") throw invalidField("/body/goodTill", "goodTill applies to good_till orders only");
        goodTill = Date.parse(body.goodTill);
        if (!Number.isFinite(goodTill)) throw invalidField("/body/goodTill", "goodTill must be an ISO 8601 date-time");
      }
      const facts = await partyFacts(organisationId);
      // The sequencer's rating (a journalled colour command) wins over cached facts: an agency turned black or restored is judged at once.
      const rated = sequencer.colourOf(organisationId);
      const party = rated === undefined || rated === facts.colour ? facts : { ...facts, colour: rated };
      const dedupeKey = body.clientOrderId ?? (idempotencyKey !== undefined ? `~idem:${p.callerId}:${idempotencyKey}` : null);
      const order: PlaceOrder = {
        id: deps.newId("ord"),
        party,
        clientOrderId: body.clientOrderId ?? null,
        dedupeKey,
        market: body.market,
        side: body.side,
        quantity: body.quantity,
        rateFen: body.rateFen,
        timeInForce: tif,
        goodTill,
        minFill: body.minFill ?? 0,
        minCertificate: body.minCertificate ?? 0,
        minColour: body.minColour ?? null,
        excludedSuppliers: body.excludedSuppliers ?? [],
        minSplit: body.minSplit ?? 1,
        allOrNone: body.allOrNone ?? false,
        certificate: body.certificate ?? 0,
        shared: body.shared ?? false,
      };
      // the rules that need no book or wallet, checked here for a clear error with nothing journalled (the sequencer checks again)
      const refused = checkPlacement(order, clock.now().getTime(), sequencer.settings);
      if (!refused.ok) throw refusalError(refused);
      const outcome = (await sequencer.submit({ t: "place", order })) as OrderOutcome;
      // From the band cache, after the sequencer answered: the flag never delays or changes the order.
      const guidance = deps.priceGuide?.check(body.market, body.rateFen) ?? null;
      if (outcome.ok) return { replayed: false, order: { ...orderView(outcome.order, outcome.fills.map(fillJson)), guidance } };
      if (outcome.code !== "duplicate") throw refusalError(outcome);
      const original = await repo.findOrder(outcome.orderId);
      if (original === undefined) throw new DomainError("internal", `order ${outcome.orderId} is remembered but not stored`);
      if (original.market !== body.market || original.side !== body.side || original.timeInForce !== tif) {
        throw new DomainError(
          "conflict",
          body.clientOrderId !== undefined ? "this clientOrderId was used for another order" : "this Idempotency-Key was used for another order",
          { field: body.clientOrderId !== undefined ? "/body/clientOrderId" : "/headers/idempotency-key", orderId: original.id },
        );
      }
      return { replayed: true, order: { ...(await storedView(original)), guidance: deps.priceGuide?.check(original.market, original.rateFen) ?? null } };
    },

    /** The caller's orders (operators and regulators: everyone's), newest first. */
    async listOrders(p: Principal, q: PageRequest & { state?: OrderView["state"]; market?: string; side?: SideName }): Promise<Page<OrderView>> {
      const limit = q.limit ?? DEFAULT_LIMIT;
      const own = canReadAll(p) ? undefined : organisationOf(p);
      const rows = await repo.listOrders({
        ...(own !== undefined ? { organisationId: own } : {}),
        ...(q.state !== undefined ? { state: q.state } : {}),
        ...(q.market !== undefined ? { market: q.market } : {}),
        ...(q.side !== undefined ? { side: q.side } : {}),
        ...(q.cursor !== undefined ? { beforeId: beforeId(q.cursor) } : {}),
        limit: limit + 1,
      });
      const kept = rows.slice(0, limit);
      const fills = new Map<string, FillJson[]>();
      for (const c of await repo.fillsOf(kept.map((o) => o.id))) {
        for (const id of [c.demandOrderId, c.supplyOrderId]) {
          let list = fills.get(id);
          if (list === undefined) fills.set(id, (list = []));
          list.push(contractFill(c));
        }
      }
      return pageOf(rows, limit, (o) => orderView(o, fills.get(o.id) ?? []), (o) => ({ id: o.id }));
    },

    /** One order: its owner, operators and regulators; anyone else reads it as absent. */
    async getOrder(p: Principal, id: string): Promise<OrderView> {
      const o = await repo.findOrder(id);
      if (o === undefined || (!canReadAll(p) && o.organisationId !== p.organisationId)) throw notFound("order", id);
      return storedView(o);
    },

    /** Reduces an open order's quantity (keeps priority) or changes its rate (re-queues). */
    async amendOrder(p: Principal, id: string, body: { quantity?: number; rateFen?: number }): Promise<OrderView> {
      const organisationId = organisationOf(p);
      if ((body.quantity === undefined) === (body.rateFen === undefined)) {
        throw invalidField("/body", "give either quantity (to reduce) or rateFen (to re-rate), not both");
      }
      const outcome = (await sequencer.submit(
        body.quantity !== undefined
          ? { t: "reduce", orderId: id, by: organisationId, quantity: body.quantity }
          : { t: "rerate", orderId: id, by: organisationId, rateFen: body.rateFen! },
      )) as OrderOutcome;
      return changed(p, id, outcome);
    },

    /** Cancels an open order; a demand order's hold is released. */
    async cancelOrder(p: Principal, id: string): Promise<OrderView> {
      const organisationId = organisationOf(p);
      const outcome = (await sequencer.submit({ t: "cancel", orderId: id, by: organisationId })) as OrderOutcome;
      return changed(p, id, outcome);
    },

    /** Cancels all of the caller's open orders (in a market, of a side); operators name the organisation. */
    async cancelAll(p: Principal, q: { market?: string; side?: SideName; organisationId?: string }): Promise<{ cancelled: number }> {
      let organisationId: string;
      if (p.role === "operator") {
        if (q.organisationId === undefined) throw invalidField("/querystring/organisationId", "name the organisation whose orders to cancel");
        organisationId = q.organisationId;
      } else {
        if (q.organisationId !== undefined && q.organisationId !== p.organisationId) {
          throw new DomainError("forbidden", "only an operator cancels another organisation's orders", { field: "/querystring/organisationId" });
        }
        organisationId = organisationOf(p);
      }
      if (q.market !== undefined) market(q.market, "/querystring/market");
      const outcome = await sequencer.submit({
        t: "cancelAll",
        organisationId,
        market: q.market ?? null,
        side: q.side ?? null,
        reason: p.role === "operator" ? "operator" : "client",
      });
      if (!outcome.ok) throw refusalError(outcome as Refusal);
      return { cancelled: (outcome as { cancelled: number }).cancelled };
    },

    /** Cancels every open offer of a supplier (one turned black, or lost its licence). */
    async cancelOffersOf(supplierId: string, reason: string): Promise<number> {
      parties.delete(supplierId);
      const outcome = await sequencer.submit({ t: "cancelAll", organisationId: supplierId, market: null, side: "supply", reason });
      return outcome.ok ? (outcome as { cancelled: number }).cancelled : 0;
    },

    /** Forgets what is known about an organisation (its colour or licence changed). */
    forgetParty(organisationId: string): void {
      parties.delete(organisationId);
    },

    /** Markets the catalogue defines within the trading horizon, filtered; or only those with open orders. */
    listMarkets(q: PageRequest & { skill?: string; district?: string; date?: string; active?: boolean }): Page<MarketView> {
      const limit = q.limit ?? DEFAULT_LIMIT;
      if (q.skill !== undefined && !SKILLS.includes(q.skill)) throw invalidField("/querystring/skill", `unknown skill "${q.skill}"`);
      if (q.district !== undefined && !DISTRICTS.includes(q.district)) throw invalidField("/querystring/district", `unknown district code "${q.district}"`);
      const after = q.cursor === undefined ? undefined : market(decodeCursor(q.cursor, ["m"]).m, "/querystring/cursor");
      const now = clock.now().getTime();
      const first = shanghaiDate(now);
      const last = shanghaiDate(now + sequencer.settings.horizonDays * 86_400_000);
      if (q.date !== undefined && (q.date < first || q.date > last)) {
        throw invalidField("/querystring/date", `markets are open for ${first} to ${last}`);
      }
      const rows: Array<{ id: string; ref: MarketRef }> = [];
      if (q.active === true) {
        const refs = sequencer
          .books()
          .map((b) => ({ id: b.market, parsed: parseMarketId(b.market) }))
          .filter((x): x is { id: string; parsed: { ok: true; value: MarketRef } } => x.parsed.ok)
          .map((x) => ({ id: x.id, ref: x.parsed.value }))
          .filter(({ ref }) => (q.skill === undefined || ref.skill === q.skill) && (q.district === undefined || ref.district === q.district) && (q.date === undefined || ref.date === q.date))
          .filter(({ ref }) => after === undefined || compareRef(ref, after) > 0)
          .sort((a, b) => compareRef(a.ref, b.ref));
        rows.push(...refs.slice(0, limit + 1));
      } else {
        const dates: string[] = [];
        for (let d = first; d <= last; d = addDays(d, 1)) if (q.date === undefined || d === q.date) dates.push(d);
        outer: for (const skill of q.skill !== undefined ? [q.skill] : SKILLS) {
          for (const district of q.district !== undefined ? [q.district] : DISTRICTS) {
            for (const date of dates) {
              for (const slot of SLOTS) {
                const ref = { skill, district, date, slot } as MarketRef;
                if (after !== undefined && compareRef(ref, after) <= 0) continue;
                rows.push({ id: `${skill}.${district}.${date}.${slot}`, ref });
                if (rows.length > limit) break outer;
              }
            }
          }
        }
      }
      return pageOf(rows, limit, (r) => marketView(r.id, r.ref, sequencer.book(r.id)), (r) => ({ m: r.id }));
    },

    /** One market. */
    getMarket(id: string): MarketView {
      return marketView(id, market(id, "/params/market"), sequencer.book(id));
    },

    /** A market's committed book: depth by level, no owners. */
    book(id: string): BookView {
      market(id, "/params/market");
      return sequencer.book(id);
    },

    /** A market's trades, newest first. */
    async trades(id: string, page: PageRequest = {}): Promise<Page<{ fillId: string; rateFen: number; qty: number; aggressor: SideName; shared: boolean; at: string }>> {
      market(id, "/params/market");
      const limit = page.limit ?? DEFAULT_LIMIT;
      const rows = await repo.trades(id, beforeId(page.cursor), limit + 1);
      return pageOf(rows, limit, (c) => ({ fillId: c.fillId, rateFen: c.rateFen, qty: c.headcount, aggressor: c.aggressor, shared: c.shared, at: shanghaiIso(c.createdAt) }), (c) => ({ id: c.id }));
    },

    /** The caller's contracts (either party), or all for operators and regulators; newest first. */
    async listContracts(p: Principal, page: PageRequest = {}): Promise<Page<ContractView>> {
      const limit = page.limit ?? DEFAULT_LIMIT;
      const party = canReadAll(p) ? undefined : organisationOf(p);
      const cursor = beforeId(page.cursor);
      const rows = await repo.listContracts({ ...(party !== undefined ? { partyId: party } : {}), ...(cursor !== undefined ? { beforeId: cursor } : {}), limit: limit + 1 });
      const [progress, reliability] = await Promise.all([progressOf(rows.slice(0, limit)), reliabilityOf(rows.slice(0, limit))]);
      return pageOf(rows, limit, (c) => contractView(c, progress.get(c.id), reliability), (c) => ({ id: c.id }));
    },

    /** One contract: its two parties, operators and regulators. */
    async getContract(p: Principal, id: string): Promise<ContractView> {
      const c = await repo.findContract(id);
      if (c === undefined || (!canReadAll(p) && c.enterpriseId !== p.organisationId && c.supplierId !== p.organisationId)) throw notFound("contract", id);
      const [progress, reliability] = await Promise.all([progressOf([c]), reliabilityOf([c])]);
      return contractView(c, progress.get(c.id), reliability);
    },
  };
}
export type ExchangeService = ReturnType<typeof createExchangeService>;
