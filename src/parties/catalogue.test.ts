import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  certificateLevels,
  districtByCode,
  districts,
  formatMarketId,
  keyGroups,
  MINIMUM_WAGE_SOURCE,
  minimumHourlyWageFen,
  parseMarketId,
  shanghaiDate,
  shiftSlotById,
  shiftSlots,
  shiftWindow,
  skillById,
  skills,
} from "./catalogue";
import type { MarketRef } from "./catalogue";

const csvPath = fileURLToPath(new URL("./catalogue-data/chongqing-districts.csv", import.meta.url));
// The project's reference folder sits beside the repository; when it is there,
// the in-repo copy must still be identical to it.
const sharedCsvPath = fileURLToPath(new URL("../../../shared/reference/chongqing-districts.csv", import.meta.url));

function readCsv(path: string): { code: string; name_zh: string; kind: string }[] {
  const [header, ...lines] = readFileSync(path, "utf8").trim().split(/\r?\n/);
  expect(header).toBe("code,name_zh,kind");
  return lines.map((line) => {
    const [code = "", name_zh = "", kind = ""] = line.split(",");
    return { code, name_zh, kind };
  });
}

const HOUR = 3_600_000;

describe("districts", () => {
  it("are exactly the 38 divisions of the reference CSV, in order", () => {
    const csv = readCsv(csvPath);
    expect(csv).toHaveLength(38);
    expect(districts.map(({ code, name_zh, kind }) => ({ code, name_zh, kind }))).toEqual(csv);
    expect(new Set(districts.map((d) => d.code)).size).toBe(38);
  });

  it.skipIf(!existsSync(sharedCsvPath))("the in-repo CSV is a verbatim copy of shared/reference", () => {
    expect(readFileSync(csvPath, "utf8")).toBe(readFileSync(sharedCsvPath, "utf8"));
  });

  it("have 26 districts, 8 counties and 4 autonomous counties, each with an English name", () => {
    const count = (kind: string) => districts.filter((d) => d.kind === kind).length;
    expect([count("district"), count("county"), count("autonomous_county")]).toEqual([26, 8, 4]);
    for (const d of districts) expect(d.name_en).toMatch(/^[A-Z][A-Za-z' ]+(District|County)$/);
  });

  it("every district has a positive whole-fen minimum wage from the cited tiers", () => {
    for (const d of districts) {
      const hourly = minimumHourlyWageFen(d.code);
      expect(hourly).toBe(d.minimumHourlyWageFen);
      expect(Number.isSafeInteger(hourly) && hourly! > 0).toBe(true);
      expect(d.minimumHourlyWageFen).toBe(MINIMUM_WAGE_SOURCE.tiers[d.minimumWageTier].hourlyFen);
      expect(d.minimumMonthlyWageFen).toBe(MINIMUM_WAGE_SOURCE.tiers[d.minimumWageTier].monthlyFen);
    }
  });

  it("put districts in tier 1 (21 yuan/h) and counties in tier 2 (20 yuan/h)", () => {
    expect(minimumHourlyWageFen("500107")).toBe(2_100); // 九龙坡区
    expect(minimumHourlyWageFen("500156")).toBe(2_100); // 武隆区, a district since 2016
    expect(minimumHourlyWageFen("500229")).toBe(2_000); // 城口县
    expect(minimumHourlyWageFen("500243")).toBe(2_000); // 彭水苗族土家族自治县
  });

  it("cite their source", () => {
    expect(MINIMUM_WAGE_SOURCE.title_zh).toContain("最低工资");
    expect(MINIMUM_WAGE_SOURCE.effectiveDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("look up by code", () => {
    expect(districtByCode("500107")?.name_zh).toBe("九龙坡区");
    expect(districtByCode("500000")).toBeUndefined();
    expect(districtByCode("500232")).toBeUndefined(); // 武隆县's old code, now 500156
    expect(minimumHourlyWageFen("110105")).toBeUndefined();
  });
});

describe("skills and certificate levels", () => {
  it("has at least 20 skills with unique ASCII kebab ids and no dots", () => {
    expect(skills.length).toBeGreaterThanOrEqual(20);
    expect(new Set(skills.map((s) => s.id)).size).toBe(skills.length);
    for (const s of skills) {
      expect(s.id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(s.id).not.toContain(".");
      expect(s.name_zh.length).toBeGreaterThan(0);
      expect(s.name_en.length).toBeGreaterThan(0);
    }
  });

  it("marks special operations as licensed, with the licence named", () => {
    for (const id of ["electrician", "welder", "forklift-operator"]) {
      expect(skillById(id)).toMatchObject({ licensedOperation: true });
      expect(skillById(id)?.licence?.name_zh).toMatch(/证/);
    }
    expect(skillById("general-labourer")).toMatchObject({ licensedOperation: false, licence: null, maxLevel: 0 });
    expect(skillById("nope")).toBeUndefined();
  });

  it("orders certificate levels so higher means more qualified", () => {
    expect(certificateLevels.map((l) => l.level)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(certificateLevels.map((l) => l.code)).toEqual([
      "none",
      "vocational_5",
      "vocational_4",
      "vocational_3",
      "vocational_2",
      "vocational_1",
    ]);
    expect(certificateLevels[5]?.name_zh).toBe("一级/高级技师");
    const levels = new Set(certificateLevels.map((l) => l.level));
    for (const s of skills) expect(levels.has(s.maxLevel)).toBe(true);
  });
});

describe("shift slots and key groups", () => {
  it("paid minutes are the span less the break", () => {
    for (const slot of shiftSlots) {
      const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
      const span = (minutes(slot.end) - minutes(slot.start) + (slot.crossesMidnight ? 1440 : 0));
      expect(slot.crossesMidnight).toBe(minutes(slot.end) <= minutes(slot.start));
      expect(slot.paidMinutes).toBe(span - slot.breakMinutes);
      expect(slot.id).not.toContain(".");
    }
    expect(shiftSlotById("D1")).toMatchObject({ start: "08:00", end: "17:00", paidMinutes: 480 });
    expect(shiftSlotById("N1")).toMatchObject({ start: "20:00", end: "08:00", paidMinutes: 660, crossesMidnight: true });
  });

  it("key groups include the action plan's two", () => {
    expect(keyGroups.map((g) => g.id)).toEqual(expect.arrayContaining(["college_graduate", "migrant_worker"]));
    expect(keyGroups.find((g) => g.id === "migrant_worker")?.name_zh).toBe("农民工");
  });
});

describe("market ids", () => {
  it("format and parse the documented example", () => {
    const ref: MarketRef = { skill: "welder", district: "500107", date: "2026-12-01", slot: "D1" };
    expect(formatMarketId(ref)).toBe("welder.500107.2026-12-01.D1");
    expect(parseMarketId("welder.500107.2026-12-01.D1")).toEqual({ ok: true, value: ref });
  });

  it("property: parse(format(ref)) round-trips", () => {
    const date = fc
      .integer({ min: Date.UTC(2000, 0, 1) / 86_400_000, max: Date.UTC(2099, 11, 31) / 86_400_000 })
      .map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10));
    const ref = fc.record({
      skill: fc.constantFrom(...skills.map((s) => s.id)),
      district: fc.constantFrom(...districts.map((d) => d.code)),
      date,
      slot: fc.constantFrom(...shiftSlots.map((s) => s.id)),
    });
    fc.assert(
      fc.property(ref, (r) => {
        expect(parseMarketId(formatMarketId(r))).toEqual({ ok: true, value: r });
      }),
    );
  });

  it("name the bad part", () => {
    const cases: [string, string][] = [
      ["welder.500107.2026-12-01", "format"],
      ["welder.500107.2026-12-01.D1.x", "format"],
      ["", "format"],
      ["plumber-x.500107.2026-12-01.D1", "skill"],
      ["Welder.500107.2026-12-01.D1", "skill"],
      ["welder.500100.2026-12-01.D1", "district"],
      ["welder.110105.2026-12-01.D1", "district"],
      ["welder.500107.2026-02-30.D1", "date"],
      ["welder.500107.2026-13-01.D1", "date"],
      ["welder.500107.20261201.D1", "date"],
      ["welder.500107.2026-12-01.X9", "slot"],
      ["welder.500107.2026-12-01.d1", "slot"],
    ];
    for (const [id, reason] of cases) {
      const result = parseMarketId(id);
      expect(result, id).toMatchObject({ ok: false, reason });
      if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
    }
  });
});

describe("shiftWindow", () => {
  it("puts a day shift at 08:00-17:00 Asia/Shanghai (UTC+8)", () => {
    const w = shiftWindow("2026-12-01", "D1");
    expect(new Date(w.startsAt).toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(new Date(w.endsAt).toISOString()).toBe("2026-12-01T09:00:00.000Z");
  });

  it("ends a night shift at 08:00 the next local day", () => {
    const w = shiftWindow("2026-12-01", "N1");
    expect(new Date(w.startsAt).toISOString()).toBe("2026-12-01T12:00:00.000Z"); // 20:00 +08:00
    expect(new Date(w.endsAt).toISOString()).toBe("2026-12-02T00:00:00.000Z"); // 08:00 +08:00 next day
    expect(w.endsAt - w.startsAt).toBe(12 * HOUR);
    expect(shanghaiDate(w.endsAt)).toBe("2026-12-02");
  });

  it("rolls a night shift over month and year ends, including a leap day", () => {
    expect(shanghaiDate(shiftWindow("2026-12-31", "N1").endsAt)).toBe("2027-01-01");
    expect(shanghaiDate(shiftWindow("2028-02-28", "N1").endsAt)).toBe("2028-02-29");
    expect(shanghaiDate(shiftWindow("2028-02-29", "N1").endsAt)).toBe("2028-03-01");
  });

  it("property: every slot starts on its market date and lasts span minutes", () => {
    const date = fc
      .integer({ min: Date.UTC(2000, 0, 1) / 86_400_000, max: Date.UTC(2099, 11, 31) / 86_400_000 })
      .map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10));
    fc.assert(
      fc.property(date, fc.constantFrom(...shiftSlots), (d, slot) => {
        const w = shiftWindow(d, slot.id);
        expect(shanghaiDate(w.startsAt)).toBe(d);
        expect(new Date(w.startsAt + 8 * HOUR).toISOString().slice(11, 16)).toBe(slot.start);
        expect(w.endsAt - w.startsAt).toBe((slot.paidMinutes + slot.breakMinutes) * 60_000);
      }),
    );
  });

  it("throws on inputs parseMarketId would have refused", () => {
    expect(() => shiftWindow("2026-02-30", "D1")).toThrow(RangeError);
    expect(() => shiftWindow("2026-12-01", "Z9")).toThrow(RangeError);
  });
});

describe("shanghaiDate", () => {
  it("switches date at 16:00 UTC", () => {
    expect(shanghaiDate(Date.UTC(2026, 0, 1, 15, 59, 59, 999))).toBe("2026-01-01");
    expect(shanghaiDate(Date.UTC(2026, 0, 1, 16, 0))).toBe("2026-01-02");
  });
});
