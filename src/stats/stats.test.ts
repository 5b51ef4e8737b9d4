import { describe, expect, it } from "vitest";
import { keyGroups } from "../parties/catalogue";
import { prng } from "../../test/helpers/prng";
import { STATS_CSV_HEADER, computeStatistics, publicCityTotals, statsBy, statsCsv, type DemandRecord, type PlacementRecord, type StatsRow } from "./stats";

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 25);

const placement = (shiftId: string, workerId: string, market: string, wagesFen: bigint, groups: string[] = [], completed = true): PlacementRecord => ({ shiftId, workerId, market, keyGroups: groups, completed, wagesFen });
const order = (orderId: string, market: string, quantity: number, fills: [number, number][]): DemandRecord => ({ orderId, market, createdAt: T0, quantity, fills: fills.map(([qty, hours]) => ({ qty, at: T0 + hours * H })) });

describe("statistics", () => {
  const placements = [
    placement("s1", "w1", "welder.500107.2026-12-01.D1", 24_000n, ["migrant_worker"]),
    placement("s2", "w1", "welder.500107.2026-12-02.D1", 24_000n, ["migrant_worker"]),
    placement("s3", "w2", "cook.500103.2026-12-08.D1", 20_000n, ["college_graduate", "migrant_worker"]),
    placement("s4", "w3", "cook.500103.2026-12-08.D1", 0n, [], false), // not completed
    placement("s1", "w1", "welder.500107.2026-12-01.D1", 24_000n, ["migrant_worker"]), // repeated
  ];
  const demand = [order("o1", "welder.500107.2026-12-01.D1", 4, [[1, 2], [2, 10]]), order("o2", "cook.500103.2026-12-08.D1", 2, [[1, 1]])];

  it("counts placements, workers, fill rate, time to fill and wages for the city", () => {
    const s = computeStatistics(placements, demand);
    expect(s.city).toEqual({
      key: {},
      placements: 3,
      workersPlaced: 2,
      demandHeadcount: 6,
      filledHeadcount: 4,
      fillRate: { numerator: 4, denominator: 6, percent: "66.7" },
      medianTimeToFillMs: 2 * H, // waits 1 h ×1, 2 h ×1, 10 h ×2 → lower middle of 4 is 2 h
      wagesPaidFen: 68_000n,
    });
    expect(publicCityTotals(s)).toEqual({ placements: 3, workersPlaced: 2, fillRatePercent: "66.7", medianTimeToFillHours: "2.0", wagesPaid: "680.00" });
  });

  it("breaks down by district, skill, week, and every catalogue key group", () => {
    const s = computeStatistics(placements, demand);
    expect(s.byDistrict.map((r) => [r.key.district, r.placements, r.workersPlaced, r.fillRate?.percent, r.wagesPaidFen])).toEqual([
      ["500103", 1, 1, "50.0", 20_000n],
      ["500107", 2, 1, "75.0", 48_000n],
    ]);
    expect(s.bySkill.map((r) => [r.key.skill, r.placements])).toEqual([
      ["cook", 1],
      ["welder", 2],
    ]);
    expect(s.byWeek.map((r) => [r.key.week, r.placements, r.demandHeadcount])).toEqual([
      ["2026-W49", 2, 4],
      ["2026-W50", 1, 2],
    ]);
    expect(s.byKeyGroup.map((r) => [r.key.keyGroup, r.placements, r.workersPlaced, r.fillRate, r.wagesPaidFen])).toEqual([
      ["college_graduate", 1, 1, null, 20_000n],
      ["migrant_worker", 3, 2, null, 68_000n],
    ]);
    expect(s.byKeyGroup.map((r) => r.key.keyGroup)).toEqual(keyGroups.map((g) => g.id).sort());
  });

  it("lists a catalogue key group nobody was placed from, with zeros", () => {
    const s = computeStatistics([placement("s1", "w1", "welder.500107.2026-12-01.D1", 1n)], []);
    expect(s.byKeyGroup).toEqual(keyGroups.map((g) => ({ key: { keyGroup: g.id }, placements: 0, workersPlaced: 0, demandHeadcount: null, filledHeadcount: null, fillRate: null, medianTimeToFillMs: null, wagesPaidFen: 0n })).sort((a, b) => (a.key.keyGroup < b.key.keyGroup ? -1 : 1)));
  });

  it("combines dimensions and filters weeks", () => {
    expect(statsBy(placements, demand, ["district", "week"]).map((r) => [r.key, r.placements])).toEqual([
      [{ district: "500103", week: "2026-W50" }, 1],
      [{ district: "500107", week: "2026-W49" }, 2],
    ]);
    expect(computeStatistics(placements, demand, { fromWeek: "2026-W50" }).city.placements).toBe(1);
    expect(computeStatistics([], []).city).toMatchObject({ placements: 0, fillRate: { percent: null }, medianTimeToFillMs: null, wagesPaidFen: 0n });
    expect(() => statsBy([], [], ["district", "district"])).toThrow(RangeError);
  });

  it("refuses records that cannot be right", () => {
    expect(() => computeStatistics([placement("s", "w", "nope", 1n)], [])).toThrow(RangeError);
    expect(() => computeStatistics([], [order("o", "cook.500103.2026-12-08.D1", 1, [[2, 1]])])).toThrow(/exceed/);
  });

  it("a seeded month of shifts and orders: every figure equals an independent computation, and the breakdowns reconcile with the city", () => {
    const rand = prng(31_12);
    const skills = ["welder", "cook", "cleaner", "mover"];
    const districts = ["500101", "500103", "500107"];
    const groups = keyGroups.map((g) => g.id);
    const workers = Array.from({ length: 60 }, (_, i) => ({ id: `w${i}`, groups: groups.filter(() => rand() < 0.3) }));
    const market = () => `${skills[Math.floor(rand() * 4)]}.${districts[Math.floor(rand() * 3)]}.2026-12-${String(1 + Math.floor(rand() * 31)).padStart(2, "0")}.D1`;
    const ps: PlacementRecord[] = Array.from({ length: 800 }, (_, i) => {
      const w = workers[Math.floor(rand() * workers.length)]!;
      const done = rand() < 0.85;
      return placement(`s${i}`, w.id, market(), done ? BigInt(15_000 + Math.floor(rand() * 20_000)) : 0n, w.groups, done);
    });
    const ds: DemandRecord[] = Array.from({ length: 300 }, (_, i) => {
      const quantity = 1 + Math.floor(rand() * 10);
      const fills: [number, number][] = [];
      let left = quantity;
      while (left > 0 && rand() < 0.7) {
        const q = 1 + Math.floor(rand() * left);
        fills.push([q, Math.floor(rand() * 72)]);
        left -= q;
      }
      return order(`o${i}`, market(), quantity, fills);
    });
    const s = computeStatistics(ps, ds);

    const weekOf = (m: string) => {
      const day = Number(m.split(".")[2]!.slice(8));
      return day <= 6 ? "2026-W49" : day <= 13 ? "2026-W50" : day <= 20 ? "2026-W51" : day <= 27 ? "2026-W52" : "2026-W53";
    };
    const field = (m: string, d: "district" | "skill" | "week") => (d === "week" ? weekOf(m) : d === "skill" ? m.split(".")[0] : m.split(".")[1]);
    const expectRow = (row: StatsRow, mine: PlacementRecord[], orders: DemandRecord[] | null) => {
      const done = mine.filter((p) => p.completed);
      expect(row.placements).toBe(done.length);
      expect(row.workersPlaced).toBe(new Set(done.map((p) => p.workerId)).size);
      expect(row.wagesPaidFen).toBe(done.reduce((t, p) => t + p.wagesFen, 0n));
      if (orders === null) return;
      const demanded = orders.reduce((t, o) => t + o.quantity, 0);
      const filled = orders.reduce((t, o) => t + o.fills.reduce((u, f) => u + f.qty, 0), 0);
      expect([row.demandHeadcount, row.filledHeadcount]).toEqual([demanded, filled]);
      const waits = orders.flatMap((o) => o.fills.flatMap((f) => Array.from({ length: f.qty }, () => f.at - o.createdAt))).sort((a, b) => a - b);
      expect(row.medianTimeToFillMs).toBe(waits.length === 0 ? null : waits[Math.ceil(waits.length / 2) - 1]);
    };

    expectRow(s.city, ps, ds);
    for (const [dim, rows] of [["district", s.byDistrict], ["skill", s.bySkill], ["week", s.byWeek]] as const) {
      for (const row of rows) expectRow(row, ps.filter((p) => field(p.market, dim) === row.key[dim]), ds.filter((o) => field(o.market, dim) === row.key[dim]));
      // Every placement and every fen is in exactly one district, skill and week.
      expect(rows.reduce((t, r) => t + r.placements, 0)).toBe(s.city.placements);
      expect(rows.reduce((t, r) => t + r.wagesPaidFen, 0n)).toBe(s.city.wagesPaidFen);
      expect(rows.reduce((t, r) => t + (r.filledHeadcount ?? 0), 0)).toBe(s.city.filledHeadcount);
    }
    for (const row of s.byKeyGroup) expectRow(row, ps.filter((p) => p.keyGroups.includes(row.key.keyGroup!)), null);
    expect(s.byWeek.map((r) => r.key.week)).toEqual(["2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53"]);
  });
});

describe("statistics CSV", () => {
  it("writes every row with blanks where a figure does not apply", () => {
    const s = computeStatistics([placement("s1", "w1", "welder.500107.2026-12-01.D1", 24_000n, ["migrant_worker"])], [order("o1", "welder.500107.2026-12-01.D1", 2, [[1, 3]])]);
    const lines = statsCsv([s.city, ...s.byDistrict, ...s.byKeyGroup]).slice(1).split("\r\n");
    expect(lines[0]).toBe(STATS_CSV_HEADER.join(","));
    expect(lines[1]).toBe(",,,,1,1,2,1,50.0,3.0,24000,240.00");
    expect(lines[2]).toBe("500107,,,,1,1,2,1,50.0,3.0,24000,240.00");
    expect(lines).toContain(",,migrant_worker,,1,1,,,,,24000,240.00");
  });
});
