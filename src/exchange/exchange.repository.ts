/**
 * The exchange's reads: what the edge needs to know about an organisation
 * before it sends an order (kind, colour, licence), and orders, contracts
 * and trades as the sequencer committed them. The sequencer alone writes
 * these tables (src/sequencer/sequencer.repository.ts).
 */
import type { SqlClient } from "../infra/db";
import type { ColourName, PartyFacts, SideName, TimeInForceName, OrderStateName } from "./exchange.core";

/** An order row as stored. */
export interface OrderRow {
  readonly id: string;
  readonly organisationId: string;
  readonly clientOrderId: string | null;
  readonly market: string;
  readonly side: SideName;
  readonly quantity: number;
  readonly remaining: number;
  readonly filled: number;
  readonly rateFen: number;
  readonly timeInForce: TimeInForceName;
  readonly goodTill: number | null;
  readonly state: OrderStateName;
  readonly holdFen: bigint;
  readonly minFill: number;
  readonly minCertificate: number;
  readonly minColour: "blue" | "red" | null;
  readonly excludedSuppliers: string[];
  readonly minSplit: number;
  readonly allOrNone: boolean;
  readonly certificate: number;
  readonly shared: boolean;
  readonly createdSeq: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A contract row (one per fill). */
export interface ContractRow {
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
  readonly state: string;
  readonly createdAt: number;
}

const ORDER_COLUMNS = `"id", "organisation_id", "client_order_id", "market", "side", "quantity", "remaining", "filled", "rate_fen",
  "time_in_force", "good_till", "state", "hold_fen", "min_fill", "min_certificate", "min_colour", "excluded_suppliers", "min_split",
  "all_or_none", "certificate", "shared", "created_seq", "created_at", "updated_at"`;

interface RawOrder {
  id: string;
  organisation_id: string;
  client_order_id: string | null;
  market: string;
  side: string;
  quantity: number;
  remaining: number;
  filled: number;
  rate_fen: number;
  time_in_force: string;
  good_till: Date | string | null;
  state: string;
  hold_fen: bigint;
  min_fill: number;
  min_certificate: number;
  min_colour: string | null;
  excluded_suppliers: string[];
  min_split: number;
  all_or_none: boolean;
  certificate: number;
  shared: boolean;
  created_seq: bigint;
  created_at: Date | string;
  updated_at: Date | string;
}

const ms = (d: Date | string): number => new Date(d).getTime();

function toOrder(r: RawOrder): OrderRow {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    clientOrderId: r.client_order_id,
    market: r.market,
    side: r.side as SideName,
    quantity: r.quantity,
    remaining: r.remaining,
    filled: r.filled,
    rateFen: r.rate_fen,
    timeInForce: r.time_in_force as TimeInForceName,
    goodTill: r.good_till === null ? null : ms(r.good_till),
    state: r.state as OrderStateName,
    holdFen: r.hold_fen,
    minFill: r.min_fill,
    minCertificate: r.min_certificate,
    minColour: r.min_colour as "blue" | "red" | null,
    excludedSuppliers: r.excluded_suppliers,
    minSplit: r.min_split,
    allOrNone: r.all_or_none,
    certificate: r.certificate,
    shared: r.shared,
    createdSeq: Number(r.created_seq),
    createdAt: ms(r.created_at),
    updatedAt: ms(r.updated_at),
  };
}

const CONTRACT_COLUMNS = `"id", "fill_id", "seq", "market", "enterprise_id", "supplier_id", "demand_order_id", "supply_order_id", "headcount",
  "rate_fen", "aggressor", "shared", "shift_start", "shift_end", "escrow_account_id", "escrow_fen", "state", "created_at"`;

interface RawContract {
  id: string;
  fill_id: string;
  seq: bigint;
  market: string;
  enterprise_id: string;
  supplier_id: string;
  demand_order_id: string;
  supply_order_id: string;
  headcount: number;
  rate_fen: number;
  aggressor: string;
  shared: boolean;
  shift_start: Date | string;
  shift_end: Date | string;
  escrow_account_id: string;
  escrow_fen: bigint;
  state: string;
  created_at: Date | string;
}

function toContract(r: RawContract): ContractRow {
  return {
    id: r.id,
    fillId: r.fill_id,
    seq: Number(r.seq),
    market: r.market,
    enterpriseId: r.enterprise_id,
    supplierId: r.supplier_id,
    demandOrderId: r.demand_order_id,
    supplyOrderId: r.supply_order_id,
    headcount: r.headcount,
    rateFen: r.rate_fen,
    aggressor: r.aggressor as SideName,
    shared: r.shared,
    shiftStart: ms(r.shift_start),
    shiftEnd: ms(r.shift_end),
    escrowAccountId: r.escrow_account_id,
    escrowFen: r.escrow_fen,
    state: r.state,
    createdAt: ms(r.created_at),
  };
}

export interface OrderFilter {
  readonly organisationId?: string;
  readonly state?: OrderStateName;
  readonly market?: string;
  readonly side?: SideName;
  /** keyset: orders with a smaller id (ids grow with time, lists are newest first). */
  readonly beforeId?: string;
  readonly limit: number;
}

export function createExchangeRepository(sql: SqlClient) {
  return {
    /** What the exchange needs to know about an organisation to take its order; undefined if it does not exist. */
    async partyFacts(organisationId: string): Promise<PartyFacts | undefined> {
      const { rows } = await sql.query<{ id: string; kind: "enterprise" | "agency"; colour: ColourName; lends_staff: boolean; licensed_until: string | null }>(
        `SELECT o."id", o."kind"::text AS "kind", o."colour"::text AS "colour", o."lends_staff",
                (SELECT to_char(max(l."valid_until"), 'YYYY-MM-DD') FROM "licences" l
                  WHERE l."organisation_id" = o."id" AND l."status" = 'valid') AS "licensed_until"
           FROM "organisations" o WHERE o."id" = $1`,
        [organisationId],
        { name: "exchange_party_facts" },
      );
      const r = rows[0];
      return r === undefined ? undefined : { id: r.id, kind: r.kind, colour: r.colour, lendsStaff: r.lends_staff, licensedUntil: r.licensed_until };
    },

    async findOrder(id: string): Promise<OrderRow | undefined> {
      const { rows } = await sql.query<RawOrder>(`SELECT ${ORDER_COLUMNS} FROM "orders" WHERE "id" = $1`, [id]);
      return rows[0] === undefined ? undefined : toOrder(rows[0]);
    },

    /** Orders newest first, filtered; `limit` rows. */
    async listOrders(f: OrderFilter): Promise<OrderRow[]> {
      const { rows } = await sql.query<RawOrder>(
        `SELECT ${ORDER_COLUMNS} FROM "orders"
          WHERE ($1::text IS NULL OR "organisation_id" = $1) AND ($2::text IS NULL OR "state" = $2)
            AND ($3::text IS NULL OR "market" = $3) AND ($4::text IS NULL OR "side" = $4) AND ($5::text IS NULL OR "id" < $5)
          ORDER BY "id" DESC LIMIT $6`,
        [f.organisationId ?? null, f.state ?? null, f.market ?? null, f.side ?? null, f.beforeId ?? null, f.limit],
      );
      return rows.map(toOrder);
    },

    /** The contracts (fills) of some orders, oldest first. */
    async fillsOf(orderIds: readonly string[]): Promise<ContractRow[]> {
      if (orderIds.length === 0) return [];
      // per order, each side through its index (fenced: a planner without fresh statistics would rather scan)
      const { rows } = await sql.query<RawContract>(
        `SELECT c.* FROM unnest($1::text[]) AS w("id"),
           LATERAL (SELECT ${CONTRACT_COLUMNS} FROM "contracts" WHERE "demand_order_id" = w."id" OFFSET 0) AS c
         UNION
         SELECT c.* FROM unnest($1::text[]) AS w("id"),
           LATERAL (SELECT ${CONTRACT_COLUMNS} FROM "contracts" WHERE "supply_order_id" = w."id" OFFSET 0) AS c
         ORDER BY "id"`,
        [orderIds],
      );
      return rows.map(toContract);
    },

    async findContract(id: string): Promise<ContractRow | undefined> {
      const { rows } = await sql.query<RawContract>(`SELECT ${CONTRACT_COLUMNS} FROM "contracts" WHERE "id" = $1`, [id]);
      return rows[0] === undefined ? undefined : toContract(rows[0]);
    },

    /** Contracts newest first: of one party (either side), or all. */
    async listContracts(f: { partyId?: string; beforeId?: string; limit: number }): Promise<ContractRow[]> {
      const { rows } =
        f.partyId === undefined
          ? await sql.query<RawContract>(
              `SELECT ${CONTRACT_COLUMNS} FROM "contracts" WHERE ($1::text IS NULL OR "id" < $1) ORDER BY "id" DESC LIMIT $2`,
              [f.beforeId ?? null, f.limit],
            )
          : await sql.query<RawContract>(
              `SELECT * FROM (
                 (SELECT ${CONTRACT_COLUMNS} FROM "contracts" WHERE "enterprise_id" = $1 AND ($2::text IS NULL OR "id" < $2) ORDER BY "id" DESC LIMIT $3)
                 UNION
                 (SELECT ${CONTRACT_COLUMNS} FROM "contracts" WHERE "supplier_id" = $1 AND ($2::text IS NULL OR "id" < $2) ORDER BY "id" DESC LIMIT $3)
               ) AS "mine" ORDER BY "id" DESC LIMIT $3`,
              [f.partyId, f.beforeId ?? null, f.limit],
            );
      return rows.map(toContract);
    },

    /** A market's trades newest first. */
    async trades(market: string, beforeId: string | undefined, limit: number): Promise<ContractRow[]> {
      const { rows } = await sql.query<RawContract>(
        `SELECT ${CONTRACT_COLUMNS} FROM "contracts" WHERE "market" = $1 AND ($2::text IS NULL OR "id" < $2) ORDER BY "id" DESC LIMIT $3`,
        [market, beforeId ?? null, limit],
      );
      return rows.map(toContract);
    },
  };
}
export type ExchangeRepository = ReturnType<typeof createExchangeRepository>;
