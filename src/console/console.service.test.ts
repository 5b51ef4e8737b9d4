// The console's chart series from stand-in reads: every day of the range present, volume in CNY only, exceptions per
// day and kind, and the trust module's arrears warning (its pure core over stand-in approved work) charted by bucket.
import { describe, expect, it } from "vitest";
import { fixedClock } from "../shared/clock";
import type { Principal } from "../shared/principal";
import { DEFAULT_TRUST_SETTINGS, arrearsReport, type ApprovedHoursRecord } from "../trust";
import { dateToDay, dayToDate, type ConsoleRepository } from "./console.repository";
import { createConsoleService } from "./console.service";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 20, 4, 0); // 12:00 in Chongqing, 2026-12-20
const operator = { role: "operator", organisationId: null, workerId: null, credentialId: "key_op", callerId: "op" } as unknown as Principal;
const agency = { role: "agency", organisationId: "org_a", workerId: null, credentialId: "key_a", callerId: "a" } as unknown as Principal;

function unpaid(id: string, approvedDaysAgo: number, amountFen: bigint): ApprovedHoursRecord {
  const at = NOW - approvedDaysAgo * DAY - 1;
  return { id: `eff_${id}`, enterpriseId: "org_e", districtCode: "500107", payee: "supplier", payeeId: "org_s", contractId: `ctr_${id}`, shiftId: id, approvedAt: at, amountFen, paidAt: null };
}
const approved = [unpaid("a", 0, 24_000n), unpaid("b", 3, 3_000n), unpaid("c", 4, 24_000n), unpaid("d", 9, 1_500n), unpaid("e", 40, 24_000n), { ...unpaid("f", 5, 9_000n), paidAt: NOW - DAY }];
const arrears = async (oldest: number) => arrearsReport(approved, NOW, { oldest, settlementWindowDays: 3, trust: DEFAULT_TRUST_SETTINGS });

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
};

describe("console charts", () => {
  const service = createConsoleService({ repo, clock: fixedClock(new Date(NOW)), shard: "cq", arrears });

  it("fills every day of the range, counts CNY only, and lists exceptions per day and kind", async () => {
    const c = await service.charts(operator, { from: "2026-12-18", to: "2026-12-20" });
    expect(c.volume).toEqual([
      { date: "2026-12-18", transfers: 0, amountFen: 0 },
      { date: "2026-12-19", transfers: 3, amountFen: 12_345 },
      { date: "2026-12-20", transfers: 0, amountFen: 0 },
    ]);
    expect(c.exceptions).toEqual([{ date: "2026-12-20", kind: "duplicate", opened: 2, open: 1, openEffectFen: 3_000 }]);
  });

  it("charts the arrears warning's buckets (paid items left out) and its oldest items, oldest first", async () => {
    const c = await service.charts(operator, { from: "2026-12-18", to: "2026-12-20" });
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
    const s = createConsoleService({ repo: { ...repo, dailyVolume: async (_s, f, t) => (all.push(dayToDate(f), dayToDate(t)), []) }, clock: fixedClock(new Date(NOW)), shard: "cq", arrears });
    const c = await s.charts(operator, {});
    expect([c.from, c.to, c.volume.length]).toEqual(["2026-11-21", "2026-12-20", 30]);
    expect(all).toEqual(["2026-11-21", "2026-12-20"]);
    await expect(s.charts(agency, {})).rejects.toMatchObject({ code: "forbidden" });
  });
});
