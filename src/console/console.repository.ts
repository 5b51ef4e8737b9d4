/**
 * The reads behind the operator console's charts: daily ledger volume and
 * reconciliation exceptions per day and kind (wage arrears come from the
 * trust module's warning). Read-only SQL over
 * other modules' tables, kept here so those modules' write paths stay theirs.
 * Days are Asia/Shanghai dates, computed arithmetically (UTC+8, no daylight
 * saving) so PGlite and PostgreSQL answer alike without a time-zone database.
 */
import type { SqlPool } from "../infra/db";

const DAY_MS = 86_400_000;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** Day number (days since 1970-01-01 in Asia/Shanghai) → "YYYY-MM-DD". */
export function dayToDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** "YYYY-MM-DD" (Asia/Shanghai) → day number. */
export function dateToDay(date: string): number {
  return Math.floor(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / DAY_MS);
}

export interface VolumeRow {
  readonly day: number;
  readonly ledger: string;
  readonly transfers: number;
  readonly amountFen: bigint;
}

export interface ExceptionDayRow {
  readonly day: number;
  readonly kind: string;
  readonly opened: number;
  readonly stillOpen: number;
  readonly effectFen: bigint;
}

export function createConsoleRepository(sql: SqlPool) {
  return {
    /** Cash moved per day and ledger: single transfers and posted holds (a hold is not cash yet), in [fromDay, toDay]. */
    async dailyVolume(shard: string, fromDay: number, toDay: number): Promise<VolumeRow[]> {
      const fromUs = (fromDay * DAY_MS - SHANGHAI_OFFSET_MS) * 1000;
      const toUs = ((toDay + 1) * DAY_MS - SHANGHAI_OFFSET_MS) * 1000;
      const r = await sql.query<{ day: string | number; ledger: string; n: string | number; fen: string | bigint }>(
        `SELECT floor(("timestamp" / 1000 + $4::bigint) / $5::bigint)::int AS "day", "ledger", count(*) AS "n", sum("amount") AS "fen"
           FROM "ledger_transfers"
          WHERE "shard" = $1 AND "timestamp" >= $2 AND "timestamp" < $3 AND "kind" IN ('single', 'post')
          GROUP BY 1, 2 ORDER BY 1, 2`,
        [shard, fromUs, toUs, SHANGHAI_OFFSET_MS, DAY_MS],
      );
      return r.rows.map((x) => ({ day: Number(x.day), ledger: x.ledger, transfers: Number(x.n), amountFen: BigInt(x.fen) }));
    },

    /** Exceptions first found per day and kind, and how many of those are still open. */
    async exceptionsByDay(fromDay: number, toDay: number): Promise<ExceptionDayRow[]> {
      const r = await sql.query<{ day: string | number; kind: string; opened: string | number; open: string | number; fen: string | bigint }>(
        `SELECT floor((extract(epoch FROM "opened_at") * 1000 + $1) / $2)::int AS "day", "kind"::text AS "kind", count(*) AS "opened",
                count(*) FILTER (WHERE "status" IN ('open', 'resolving')) AS "open",
                coalesce(sum("effect_fen") FILTER (WHERE "status" IN ('open', 'resolving')), 0) AS "fen"
           FROM "reconciliation_exceptions"
          WHERE floor((extract(epoch FROM "opened_at") * 1000 + $1) / $2) BETWEEN $3 AND $4
          GROUP BY 1, 2 ORDER BY 1, 2`,
        [SHANGHAI_OFFSET_MS, DAY_MS, fromDay, toDay],
      );
      return r.rows.map((x) => ({ day: Number(x.day), kind: x.kind, opened: Number(x.opened), stillOpen: Number(x.open), effectFen: BigInt(x.fen) }));
    },

    /** Approved (or split) seats whose settlement has not been recorded: their wages are still in escrow. */
  };
}
export type ConsoleRepository = ReturnType<typeof createConsoleRepository>;
