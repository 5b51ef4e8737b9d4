/**
 * The market data module's reads: trades (one per fill, the contract it made)
 * by the market's skill, district and shift date. The sequencer alone writes
 * the contracts table; a market id reads "skill.district.date.slot", so the
 * filters are its dot-separated parts.
 */
import type { SqlClient } from "../infra/db";
import type { TradeRecord } from "./guidance";

/** Which trades to read: shift dates inclusive ("YYYY-MM-DD"), a skill and a district when given. */
export interface TradeQuery {
  readonly fromDate: string;
  readonly toDate?: string;
  readonly skill?: string;
  readonly district?: string;
}

export function createMarketdataRepository(sql: SqlClient) {
  return {
    /** Trades of markets whose shift date lies in the range: market, rate and headcount of each fill. */
    async trades(q: TradeQuery): Promise<TradeRecord[]> {
      const { rows } = await sql.query<{ market: string; rate_fen: number; headcount: number }>(
        `SELECT "market", "rate_fen", "headcount" FROM "contracts"
          WHERE split_part("market", '.', 3) >= $1
            AND ($2::text IS NULL OR split_part("market", '.', 3) <= $2)
            AND ($3::text IS NULL OR split_part("market", '.', 1) = $3)
            AND ($4::text IS NULL OR split_part("market", '.', 2) = $4)`,
        [q.fromDate, q.toDate ?? null, q.skill ?? null, q.district ?? null],
      );
      return rows.map((r) => ({ market: r.market, rateFen: Number(r.rate_fen), qty: Number(r.headcount) }));
    },
  };
}
export type MarketdataRepository = ReturnType<typeof createMarketdataRepository>;
