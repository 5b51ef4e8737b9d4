/**
 * The statistics' reads, from what actually happened: completed worker-shifts
 * are the seats settled with paid minutes (seat_settlements, written in the
 * same transaction as the ledger posting that paid them); demand is the
 * demand orders and their fills (the contracts). Ranges are of the shifts'
 * market dates, inclusive.
 */
import type { SqlClient } from "../infra/db";
import type { DemandRecord, PlacementRecord } from "./stats";

export interface DateRange {
  readonly fromDate: string;
  readonly toDate: string;
}

const ms = (v: Date | string) => (v instanceof Date ? v.getTime() : Date.parse(v));

export function createStatsRepository(sql: SqlClient) {
  return {
    /** Completed worker-shifts in the range: one row per seat settled with paid minutes, its gross wage (tax included, the fee not). */
    async placements(r: DateRange): Promise<PlacementRecord[]> {
      const { rows } = await sql.query<{ shift_id: string; worker_id: string; market: string; key_groups: string[] | null; wage_fen: string | number }>(
        `SELECT s."shift_id", s."worker_id", c."market", w."key_groups", s."wage_fen"
           FROM "seat_settlements" s
           JOIN "contract_workflows" c ON c."contract_id" = s."contract_id"
           JOIN "workers" w ON w."id" = s."worker_id"
          WHERE s."kind" = 'settled' AND s."minutes" > 0 AND s."shift_id" IS NOT NULL
            AND split_part(c."market", '.', 3) BETWEEN $1 AND $2`,
        [r.fromDate, r.toDate],
      );
      return rows.map((x) => ({
        shiftId: x.shift_id,
        workerId: x.worker_id,
        market: x.market,
        keyGroups: x.key_groups ?? [],
        completed: true,
        wagesFen: BigInt(x.wage_fen),
      }));
    },

    /** Demand orders of markets in the range with their fills (headcount and when each was made). */
    async demand(r: DateRange): Promise<DemandRecord[]> {
      const { rows } = await sql.query<{ id: string; market: string; quantity: number; created_at: Date | string; fills: { qty: number; at: string }[] | null }>(
        `SELECT o."id", o."market", o."quantity", o."created_at",
                (SELECT json_agg(json_build_object('qty', c."headcount", 'at', c."created_at") ORDER BY c."id")
                   FROM "contracts" c WHERE c."demand_order_id" = o."id") AS "fills"
           FROM "orders" o
          WHERE o."side" = 'demand' AND split_part(o."market", '.', 3) BETWEEN $1 AND $2`,
        [r.fromDate, r.toDate],
      );
      return rows.map((x) => ({
        orderId: x.id,
        market: x.market,
        createdAt: ms(x.created_at),
        quantity: Number(x.quantity),
        fills: (x.fills ?? []).map((f) => ({ qty: Number(f.qty), at: Date.parse(f.at) })),
      }));
    },
  };
}
export type StatsRepository = ReturnType<typeof createStatsRepository>;
