/**
 * The targeted push's reads: who could staff a new demand order (suppliers)
 * and who could take a contract's open seat (the supplier's own workers).
 * Colour is the organisation's stored colour (`organisations.colour`, the
 * same value the exchange's matching reads; blue until the trust module
 * changes it).
 */
import type { SqlClient } from "../infra/db";

/** A demand order as the push needs it. */
export interface PushOrder {
  readonly id: string;
  readonly organisationId: string;
  readonly market: string;
  readonly state: string;
  readonly remaining: number;
  readonly rateFen: number;
  readonly minCertificate: number;
  readonly minColour: "blue" | "red" | null;
  readonly excludedSuppliers: readonly string[];
}

/** A contract's workflow as the push needs it. */
export interface PushContract {
  readonly contractId: string;
  readonly supplierId: string;
  readonly market: string;
  readonly skillId: string;
  readonly minCertificate: number;
  readonly rateFen: number;
  readonly shared: boolean;
  readonly shiftStart: number;
  readonly shiftEnd: number;
  readonly state: string;
  readonly seats: readonly { readonly status: string; readonly workerId: string | null }[];
}

/** A worker who could take a seat, before the rules about the person (age) are applied. */
export interface SeatCandidate {
  readonly workerId: string;
  readonly birthDate: string | null;
}

const ms = (v: Date | string) => (v instanceof Date ? v.getTime() : Date.parse(v));

export function createPushRepository(sql: SqlClient) {
  /** Contracts' workflows as the push needs them, in one look-up (those with no workflow are left out). */
  async function contracts(contractIds: readonly string[]): Promise<PushContract[]> {
    if (contractIds.length === 0) return [];
    const { rows } = await sql.query<{
      contract_id: string; supplier_id: string; market: string; skill_id: string; min_certificate: number; rate_fen: number; shared: boolean;
      shift_start: Date | string; shift_end: Date | string; state: string; seats: { status: string; workerId: string | null }[] | null;
    }>(
      `SELECT "contract_id", "supplier_id", "market", "skill_id", "min_certificate", "rate_fen", "shared", "shift_start", "shift_end", "state",
              "snapshot"->'context'->'seats' AS "seats"
         FROM "contract_workflows" WHERE "contract_id" = ANY($1::text[])`,
      [[...contractIds]],
    );
    return rows.map((r) => ({
      contractId: r.contract_id, supplierId: r.supplier_id, market: r.market, skillId: r.skill_id, minCertificate: Number(r.min_certificate),
      rateFen: Number(r.rate_fen), shared: r.shared, shiftStart: ms(r.shift_start), shiftEnd: ms(r.shift_end), state: r.state,
      seats: (r.seats ?? []).map((s) => ({ status: s.status, workerId: s.workerId ?? null })),
    }));
  }

  return {
    /** Demand orders as the push needs them, in one look-up (supply orders and unknown ids are left out). */
    async demandOrders(ids: readonly string[]): Promise<PushOrder[]> {
      if (ids.length === 0) return [];
      const { rows } = await sql.query<{
        id: string; organisation_id: string; market: string; state: string; remaining: number; rate_fen: number;
        min_certificate: number; min_colour: "blue" | "red" | null; excluded_suppliers: string[];
      }>(
        `SELECT "id", "organisation_id", "market", "state", "remaining", "rate_fen", "min_certificate", "min_colour", "excluded_suppliers"
           FROM "orders" WHERE "id" = ANY($1::text[]) AND "side" = 'demand'`,
        [[...ids]],
      );
      return rows.map((r) => ({
        id: r.id, organisationId: r.organisation_id, market: r.market, state: r.state, remaining: Number(r.remaining), rateFen: Number(r.rate_fen),
        minCertificate: Number(r.min_certificate), minColour: r.min_colour, excludedSuppliers: r.excluded_suppliers ?? [],
      }));
    },

    /**
     * Suppliers that could staff an order: an agency with a valid licence or an enterprise lending its staff,
     * not the order's owner nor one it excludes, not black (red when the order asks for red), with at least
     * one worker of its own holding the skill at the level asked, where the worker or the supplier is in
     * the order's district.
     */
    async suppliersFor(o: { owner: string; skill: string; district: string; minCertificate: number; minColour: "blue" | "red" | null; excluded: readonly string[]; today: string }): Promise<string[]> {
      const { rows } = await sql.query<{ id: string }>(
        `SELECT o."id" FROM "organisations" o
          WHERE o."id" <> $1 AND NOT (o."id" = ANY($6::text[]))
            AND o."colour"::text <> 'black' AND ($5::text IS NULL OR $5 = 'blue' OR o."colour"::text = 'red')
            AND ((o."kind"::text = 'agency' AND EXISTS (SELECT 1 FROM "licences" l WHERE l."organisation_id" = o."id" AND l."status" = 'valid' AND l."valid_until" >= $7::date))
                 OR (o."kind"::text = 'enterprise' AND o."lends_staff"))
            AND EXISTS (SELECT 1 FROM "workers" w JOIN "worker_skills" s ON s."worker_id" = w."id"
                         WHERE w."supplier_id" = o."id" AND s."skill_id" = $2 AND s."level" >= $4
                           AND (w."district_code" = $3 OR o."district_code" = $3))
          ORDER BY o."id"`,
        [o.owner, o.skill, o.district, o.minCertificate, o.minColour, [...o.excluded], o.today],
      );
      return rows.map((r) => r.id);
    },

    contracts,

    /**
     * The supplier's own workers holding the skill at the level asked, not among `except`, and not booked for
     * an overlapping shift anywhere on the exchange (by identity, across suppliers).
     */
    async seatCandidates(c: { supplierId: string; skill: string; minCertificate: number; shiftStart: number; shiftEnd: number; except: readonly string[] }): Promise<SeatCandidate[]> {
      const { rows } = await sql.query<{ id: string; birth_date: string | null }>(
        `SELECT w."id", to_char(w."birth_date", 'YYYY-MM-DD') AS "birth_date" FROM "workers" w
           JOIN "worker_skills" s ON s."worker_id" = w."id" AND s."skill_id" = $2 AND s."level" >= $3
          WHERE w."supplier_id" = $1 AND NOT (w."id" = ANY($6::text[]))
            AND NOT EXISTS (SELECT 1 FROM "worker_shifts" b WHERE b."identity_hash" = w."identity_hash" AND b."booked"
                              AND b."shift_start" < $5::timestamptz AND b."shift_end" > $4::timestamptz)
          ORDER BY w."id"`,
        [c.supplierId, c.skill, c.minCertificate, new Date(c.shiftStart).toISOString(), new Date(c.shiftEnd).toISOString(), [...c.except]],
      );
      return rows.map((r) => ({ workerId: r.id, birthDate: r.birth_date }));
    },

    /**
     * Contracts of a worker's supplier that need people now and that the worker could take a seat of (the
     * phone page's list; the live push tells of new ones): staffing, shift not started, an open seat.
     */
    async openContractsFor(workerId: string, now: number): Promise<PushContract[]> {
      const { rows } = await sql.query<{ contract_id: string }>(
        `SELECT c."contract_id" FROM "contract_workflows" c
           JOIN "workers" w ON w."id" = $1 AND w."supplier_id" = c."supplier_id"
           JOIN "worker_skills" s ON s."worker_id" = w."id" AND s."skill_id" = c."skill_id" AND s."level" >= c."min_certificate"
          WHERE c."state" = 'staffing' AND c."shift_start" > $2::timestamptz
          ORDER BY c."shift_start", c."contract_id" LIMIT 50`,
        [workerId, new Date(now).toISOString()],
      );
      const byId = new Map((await contracts(rows.map((r) => r.contract_id))).map((c) => [c.contractId, c]));
      return rows.flatMap((r) => byId.get(r.contract_id) ?? []);
    },
  };
}
export type PushRepository = ReturnType<typeof createPushRepository>;
