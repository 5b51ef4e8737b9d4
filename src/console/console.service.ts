/**
 * What the operator console shows beyond the other modules' own APIs: the
 * chart series (daily volume, exceptions per day, wage-arrears ageing).
 * Operators and regulators only.
 *
 * Wage arrears: approved (or split) work whose settlement has not been
 * recorded, so its wage is still in the contract's escrow; aged in whole
 * days since approval and bucketed by the trust module's pure arrears core
 * (src/trust/arrears.ts: `ageDays`, `bucketOf`, `ARREARS_BUCKETS`), the
 * same buckets the early warning uses.
 */
import type { PersistedWorkerShift } from "../../machines";
import { shanghaiDate } from "../parties";
import type { Clock } from "../shared/clock";
import { DomainError, invalidField } from "../shared/errors";
import { fenToJsonNumber, wageForMinutes } from "../shared/money";
import { canReadAll, type Principal } from "../shared/principal";
import { ARREARS_BUCKETS, ageDays, bucketOf, type ArrearsBucket } from "../trust";
import { dateToDay, dayToDate, type ConsoleRepository } from "./console.repository";

export interface ConsoleServiceDeps {
  repo: ConsoleRepository;
  clock: Clock;
  /** The ledger shard whose volume is shown. */
  shard: string;
}

/** Longest range of days one chart request covers. */
export const MAX_CHART_DAYS = 366;
/** Most unpaid items the arrears chart reads. */
const MAX_ARREARS_ITEMS = 10_000;
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
        repo.unpaidApprovedWork(MAX_ARREARS_ITEMS),
      ]);
      const byDay = new Map(volume.filter((v) => v.ledger === "CNY").map((v) => [v.day, v]));
      const days: ChartsView["volume"] = [];
      for (let d = fromDay; d <= toDay; d++) {
        const v = byDay.get(d);
        days.push({ date: dayToDate(d), transfers: v?.transfers ?? 0, amountFen: fenToJsonNumber(v?.amountFen ?? 0n) });
      }

      const buckets = new Map<ArrearsBucket, { count: number; fen: bigint }>(ARREARS_BUCKETS.map((b) => [b.bucket, { count: 0, fen: 0n }]));
      const items = unpaid.map((u) => {
        const paid = (u.snapshot as PersistedWorkerShift).context.paid;
        const approvedAt = paid?.at ?? u.approvedAt;
        const amountFen = wageForMinutes(BigInt(u.rateFen), paid?.minutes ?? 0);
        const age = Math.max(0, ageDays(approvedAt, now));
        const b = buckets.get(bucketOf(age))!;
        b.count++;
        b.fen += amountFen;
        return { shiftId: u.shiftId, contractId: u.contractId, enterpriseId: u.enterpriseId, ageDays: age, amountFen: fenToJsonNumber(amountFen), approvedAt: new Date(approvedAt).toISOString() };
      });
      items.sort((a, b) => b.ageDays - a.ageDays || (a.shiftId < b.shiftId ? -1 : 1));

      return {
        from, to, asOf: new Date(now).toISOString(),
        volume: days,
        exceptions: exceptions.map((e) => ({ date: dayToDate(e.day), kind: e.kind, opened: e.opened, open: e.stillOpen, openEffectFen: fenToJsonNumber(e.effectFen) })),
        arrears: ARREARS_BUCKETS.map(({ bucket }) => ({ bucket, count: buckets.get(bucket)!.count, amountFen: fenToJsonNumber(buckets.get(bucket)!.fen) })),
        arrearsOldest: items.slice(0, 20),
      };
    },
  };
}
export type ConsoleService = ReturnType<typeof createConsoleService>;
