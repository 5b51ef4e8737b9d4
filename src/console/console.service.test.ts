// The console's chart series from stand-in reads: every day of the range present, volume in CNY only, exceptions per
// day and kind, and unpaid approved work aged and bucketed by the trust core's arrears rules (days since approval).
import { describe, expect, it } from "vitest";
import { fixedClock } from "../shared/clock";
import type { Principal } from "../shared/principal";
import { dateToDay, dayToDate, type ConsoleRepository, type UnpaidWorkRow } from "./console.repository";
import { createConsoleService } from "./console.service";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 20, 4, 0); // 12:00 in Chongqing, 2026-12-20
const operator = { role: "operator", organisationId: null, workerId: null, credentialId: "key_op", callerId: "op" } as unknown as Principal;
const agency = { role: "agency", organisationId: "org_a", workerId: null, credentialId: "key_a", callerId: "a" } as unknown as Principal;

function unpaid(id: string, approvedDaysAgo: number, minutes: number): UnpaidWorkRow {
  const at = NOW - approvedDaysAgo * DAY - 1;
  return {
    shiftId: id, contractId: `ctr_${id}`, enterpriseId: "org_e", supplierId: "org_s", workerId: "wkr", independent: false, market: "welder.500107.2026-12-01.D1",
    rateFen: 3000, snapshot: { context: { paid: { at, minutes, basis: "approved", reason: null } } }, approvedAt: at,
  };
}

const repo: ConsoleRepository = {
  async dailyVolume(_shard, fromDay, toDay) {
    expect([dayToDate(fromDay), dayToDate(toDay)]).toEqual(["2026-12-18", "2026-12-20"]);
    return [
      { day: dateToDay("2026-12-19"), ledger: "CNY", transfers: 3, amountFen: 12_345n },
      { day: dateToDay("2026-12-19"), ledger: "USD", transfers: 9, amountFen: 999n },
    ];
  },
  async exceptionsByDay() {
    return [{ day: dateToDay("2026-12-20"), kind: "duplicate", opened: 2, stillOpen: 1, effectFen: 3_000n }];
  },
  async unpaidApprovedWork() {
    return [unpaid("a", 0, 480), unpaid("b", 3, 60), unpaid("c", 4, 480), unpaid("d", 9, 30), unpaid("e", 40, 480)];
  },
};

describe("console charts", () => {
  const service = createConsoleService({ repo, clock: fixedClock(new Date(NOW)), shard: "cq" });

  it("fills every day of the range, counts CNY only, and lists exceptions per day and kind", async () => {
    const c = await service.charts(operator, { from: "2026-12-18", to: "2026-12-20" });
    expect(c.volume).toEqual([
      { date: "2026-12-18", transfers: 0, amountFen: 0 },
      { date: "2026-12-19", transfers: 3, amountFen: 12_345 },
      { date: "2026-12-20", transfers: 0, amountFen: 0 },
    ]);
    expect(c.exceptions).toEqual([{ date: "2026-12-20", kind: "duplicate", opened: 2, open: 1, openEffectFen: 3_000 }]);
  });

  it("ages unpaid approved work in whole days since approval, into the arrears buckets, oldest first", async () => {
    const c = await service.charts(operator, { from: "2026-12-18", to: "2026-12-20" });
    // 8 h at 30 yuan = 24 000 fen; 1 h = 3 000; 30 min = 1 500
    expect(c.arrears).toEqual([
      { bucket: "0-3", count: 2, amountFen: 24_000 + 3_000 },
      { bucket: "4-7", count: 1, amountFen: 24_000 },
      { bucket: "8-30", count: 1, amountFen: 1_500 },
      { bucket: "31+", count: 1, amountFen: 24_000 },
    ]);
    expect(c.arrearsOldest.map((a) => [a.shiftId, a.ageDays])).toEqual([["e", 40], ["d", 9], ["c", 4], ["b", 3], ["a", 0]]);
  });

  it("defaults to the 30 days up to today (Asia/Shanghai), and is the operators' and regulators' only", async () => {
    const all: string[] = [];
    const s = createConsoleService({ repo: { ...repo, dailyVolume: async (_s, f, t) => (all.push(dayToDate(f), dayToDate(t)), []) }, clock: fixedClock(new Date(NOW)), shard: "cq" });
    const c = await s.charts(operator, {});
    expect([c.from, c.to, c.volume.length]).toEqual(["2026-11-21", "2026-12-20", 30]);
    expect(all).toEqual(["2026-11-21", "2026-12-20"]);
    await expect(s.charts(agency, {})).rejects.toMatchObject({ code: "forbidden" });
  });
});
