/**
 * What the operator console shows beyond the other modules' own APIs: the
 * chart series (daily volume, exceptions per day, wage-arrears ageing).
 * Operators and regulators only.
 *
 * Wage arrears come from the trust module's early warning (its one query of
 * approved work whose money has not reached the payable, aged by its pure
 * core), handed in as a port: the chart and the warning cannot disagree.
 */
import { shanghaiDate } from "../parties";
import type { Clock } from "../shared/clock";
import { DomainError, invalidField } from "../shared/errors";
import { fenToJsonNumber } from "../shared/money";
import { canReadAll, type Principal } from "../shared/principal";
import { ARREARS_BUCKETS, type ArrearsBucket, type ArrearsReport } from "../trust";
import { dateToDay, dayToDate, type ConsoleRepository } from "./console.repository";

export interface ConsoleServiceDeps {
  repo: ConsoleRepository;
  clock: Clock;
  /** The ledger shard whose volume is shown. */
  shard: string;
  /** The wage-arrears warning now, with at most `oldest` of the oldest items (the trust module's report). */
  arrears: (oldest: number) => Promise<ArrearsReport>;
}

/** Longest range of days one chart request covers. */
export const MAX_CHART_DAYS = 366;
/** The oldest unpaid items the chart lists. */
const ARREARS_OLDEST = 20;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface ChartsView {
  from: string;
  to: string;
  asOf: string;
  /** One entry per day of the range (zeros included), CNY. */
  volume: { date: string; transfers: number; amountFen: number }[];
  /** Exceptions first found per day, by kind; `open` of them still open. */
  exceptions: { date: string; kind: string; opened: number; open: number; openEffectFen: number }[];
  /** Approved work still unpaid, by age bucket (days since approval). */
  arrears: { bucket: ArrearsBucket; count: number; amountFen: number }[];
  /** The oldest unpaid items, oldest first. */
  arrearsOldest: { shiftId: string; contractId: string; enterpriseId: string; ageDays: number; amountFen: number; approvedAt: string }[];
}

function checkDate(date: string, field: string): number {
  if (!DATE.test(date) || dayToDate(dateToDay(date)) !== date) throw invalidField(field, `"${date}" is not a date like 2026-12-01`);
  return dateToDay(date);
}

export function createConsoleService(deps: ConsoleServiceDeps) {
  const { repo, clock } = deps;
  return {
    /** The chart series of a range of days (default: the 30 days up to today, Asia/Shanghai). */
    async charts(principal: Principal, query: { from?: string; to?: string }): Promise<ChartsView> {
      if (!canReadAll(principal)) throw new DomainError("forbidden", "the console's charts are for operators and regulators");
      const now = clock.now().getTime();
      const to = query.to ?? shanghaiDate(now);
      const toDay = checkDate(to, "/querystring/to");
      const from = query.from ?? dayToDate(toDay - 29);
      const fromDay = checkDate(from, "/querystring/from");
      if (fromDay > toDay) throw invalidField("/querystring/from", "must not be after `to`");
      if (toDay - fromDay + 1 > MAX_CHART_DAYS) throw invalidField("/querystring/from", `at most ${MAX_CHART_DAYS} days at once`);

      const [volume, exceptions, unpaid] = await Promise.all([
        repo.dailyVolume(deps.shard, fromDay, toDay),
        repo.exceptionsByDay(fromDay, toDay),
        deps.arrears(ARREARS_OLDEST),
      ]);
      const byDay = new Map(volume.filter((v) => v.ledger === "CNY").map((v) => [v.day, v]));
      const days: ChartsView["volume"] = [];
      for (let d = fromDay; d <= toDay; d++) {
        const v = byDay.get(d);
        days.push({ date: dayToDate(d), transfers: v?.transfers ?? 0, amountFen: fenToJsonNumber(v?.amountFen ?? 0n) });
      }

      return {
        from, to, asOf: new Date(now).toISOString(),
        volume: days,
        exceptions: exceptions.map((e) => ({ date: dayToDate(e.day), kind: e.kind, opened: e.opened, open: e.stillOpen, openEffectFen: fenToJsonNumber(e.effectFen) })),
        arrears: ARREARS_BUCKETS.map(({ bucket }) => ({ bucket, count: unpaid.total[bucket].count, amountFen: fenToJsonNumber(unpaid.total[bucket].amountFen) })),
        arrearsOldest: unpaid.oldest.slice(0, ARREARS_OLDEST).map((i) => ({
          shiftId: i.shiftId ?? i.id, contractId: i.contractId, enterpriseId: i.enterpriseId, ageDays: i.ageDays, amountFen: fenToJsonNumber(i.amountFen), approvedAt: new Date(i.approvedAt).toISOString(),
        })),
      };
    },
  };
}
export type ConsoleService = ReturnType<typeof createConsoleService>;
