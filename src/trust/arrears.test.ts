import { describe, expect, it } from "vitest";
import { prng } from "../../test/helpers/prng";
import { ARREARS_BUCKETS, ageDays, arrearsReport, arrearsTrustEvents, bucketOf, costDays, type ApprovedHoursRecord, type ArrearsBucket } from "./arrears";
import { DEFAULT_TRUST_SETTINGS, explainScore } from "./trust.rules";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 31, 4);
const options = { oldest: 3, settlementWindowDays: 3, trust: DEFAULT_TRUST_SETTINGS };

function item(id: string, enterpriseId: string, districtCode: string, daysAgo: number, amountFen: bigint, paidAt: number | null = null): ApprovedHoursRecord {
  return { id, enterpriseId, districtCode, payee: "supplier", payeeId: "sup", contractId: `c_${id}`, shiftId: null, approvedAt: NOW - daysAgo * DAY, amountFen, paidAt };
}

describe("ageing", () => {
  it.each([
    [0, "0-3"],
    [3, "0-3"],
    [4, "4-7"],
    [7, "4-7"],
    [8, "8-30"],
    [30, "8-30"],
    [31, "31+"],
    [400, "31+"],
  ] as const)("day %i is in bucket %s", (days, bucket) => {
    expect(bucketOf(days)).toBe(bucket);
  });

  it("counts whole 24-hour days since approval", () => {
    expect(ageDays(NOW - 4 * DAY + 1, NOW)).toBe(3);
    expect(ageDays(NOW - 4 * DAY, NOW)).toBe(4);
  });

  it("costs points the day after the settlement window and on entering each older bucket", () => {
    expect(costDays(3)).toEqual([4, 8, 31]);
    expect(costDays(7)).toEqual([8, 31]);
    expect(costDays(10)).toEqual([11, 31]);
    expect(costDays(0)).toEqual([1, 4, 8, 31]);
    expect(() => costDays(-1)).toThrow(RangeError);
  });
});

describe("arrears report", () => {
  it("ages unpaid approved hours per enterprise and per district; paid ones leave", () => {
    const r = arrearsReport(
      [
        item("a1", "ent_a", "500103", 1, 10_000n),
        item("a2", "ent_a", "500103", 5, 20_000n),
        item("a3", "ent_a", "500107", 40, 30_000n),
        item("b1", "ent_b", "500107", 10, 40_000n),
        item("b2", "ent_b", "500107", 10, 50_000n, NOW - DAY), // paid yesterday
        item("b3", "ent_b", "500107", -1, 60_000n), // approved after the instant
        item("a1", "ent_a", "500103", 1, 10_000n), // repeated
      ],
      NOW,
      options,
    );
    expect(r.byEnterprise.map((row) => [row.key, row.total, row.buckets])).toEqual([
      [
        "ent_a",
        { count: 3, amountFen: 60_000n },
        { "0-3": { count: 1, amountFen: 10_000n }, "4-7": { count: 1, amountFen: 20_000n }, "8-30": { count: 0, amountFen: 0n }, "31+": { count: 1, amountFen: 30_000n } },
      ],
      ["ent_b", { count: 1, amountFen: 40_000n }, { "0-3": { count: 0, amountFen: 0n }, "4-7": { count: 0, amountFen: 0n }, "8-30": { count: 1, amountFen: 40_000n }, "31+": { count: 0, amountFen: 0n } }],
    ]);
    expect(r.byDistrict.map((row) => [row.key, row.total.amountFen])).toEqual([
      ["500103", 30_000n],
      ["500107", 70_000n],
    ]);
    expect(r.total.all).toEqual({ count: 4, amountFen: 100_000n });
    expect(r.oldest.map((i) => [i.id, i.ageDays, i.bucket])).toEqual([
      ["a3", 40, "31+"],
      ["b1", 10, "8-30"],
      ["a2", 5, "4-7"],
    ]);
  });

  it("costs the enterprise points for each cost day an item reached unpaid, paid late or not", () => {
    const records = [item("a3", "ent_a", "500107", 40, 30_000n), item("b2", "ent_b", "500107", 10, 50_000n, NOW - 5 * DAY)];
    const events = arrearsTrustEvents(records, NOW, 3);
    expect(events.map((e) => [e.id, e.organisationId, e.kind])).toEqual([
      ["a3:wages_unpaid:d4", "ent_a", "wages_unpaid"],
      ["a3:wages_unpaid:d8", "ent_a", "wages_unpaid"],
      ["a3:wages_unpaid:d31", "ent_a", "wages_unpaid"], // 9 days ago
      ["b2:wages_unpaid:d4", "ent_b", "wages_unpaid"], // 6 days ago; paid on day 5: only the day-4 cost
    ]);
    const r = arrearsReport(records, NOW, options);
    expect(r.costs).toEqual([
      { enterpriseId: "ent_a", eventIds: ["a3:wages_unpaid:d4", "a3:wages_unpaid:d8", "a3:wages_unpaid:d31"], centipoints: -900 },
      { enterpriseId: "ent_b", eventIds: ["b2:wages_unpaid:d4"], centipoints: -300 },
    ]);
    // Recording them again, in any order, changes nothing: the ids are stable.
    expect(arrearsTrustEvents([...records].reverse(), NOW, 3)).toEqual(events);
  });

  it("property (seeded): buckets, rows and totals equal an independent count, and reconcile with each other", () => {
    const rand = prng(31);
    const edges: [number, ArrearsBucket][] = [[31, "31+"], [8, "8-30"], [4, "4-7"], [0, "0-3"]];
    for (let round = 0; round < 100; round++) {
      const records = Array.from({ length: Math.floor(rand() * 50) }, (_, i) => {
        const days = Math.floor(rand() * 60 * DAY) / DAY;
        const paid = rand() < 0.4 ? NOW - Math.floor(rand() * 70 * DAY) : rand() < 0.1 ? NOW + DAY : null;
        return item(`i${i}`, `ent_${Math.floor(rand() * 4)}`, `5001${Math.floor(rand() * 3)}0`, days, BigInt(Math.floor(rand() * 1e6)), paid);
      });
      const r = arrearsReport(records, NOW, { ...options, oldest: 5 });
      const open = records.filter((x) => x.approvedAt <= NOW && (x.paidAt === null || x.paidAt > NOW));
      expect(r.total.all.count).toBe(open.length);
      for (const { bucket } of ARREARS_BUCKETS) {
        const mine = open.filter((x) => edges.find(([d]) => Math.floor((NOW - x.approvedAt) / DAY) >= d)![1] === bucket);
        expect(r.total[bucket]).toEqual({ count: mine.length, amountFen: mine.reduce((s, x) => s + x.amountFen, 0n) });
      }
      const sum = (rows: typeof r.byEnterprise) => rows.reduce((s, row) => s + row.total.amountFen, 0n);
      expect(sum(r.byEnterprise)).toBe(r.total.all.amountFen);
      expect(sum(r.byDistrict)).toBe(r.total.all.amountFen);
      expect(r.oldest.map((x) => x.id)).toEqual([...open].sort((a, b) => a.approvedAt - b.approvedAt || (a.id < b.id ? -1 : 1)).slice(0, 5).map((x) => x.id));
      for (const c of r.costs) {
        const evs = arrearsTrustEvents(records, NOW, 3).filter((e) => e.organisationId === c.enterpriseId);
        const x = explainScore(c.enterpriseId, evs, new Set(), NOW, DEFAULT_TRUST_SETTINGS);
        expect(c.centipoints).toBe(x.lines.reduce((s, l) => s + l.centipoints, 0));
        expect(c.centipoints).toBeLessThan(0);
      }
    }
  });
});
