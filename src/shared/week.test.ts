import { describe, expect, it } from "vitest";
import { prng } from "../../test/helpers/prng";
import { addWeeks, dateOfDay, dayNumber, isIsoWeek, isoWeekMonday, isoWeekOf, isoWeekOfInstant, isoWeekday, shanghaiDateOf } from "./week";

/** ISO week by the textbook recipe on JavaScript Dates (the test may use Date; the module may not). */
function referenceWeek(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  const weekday = d.getUTCDay() === 0 ? 7 : d.getUTCDay();
  const thursday = new Date(d.getTime() + (4 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

describe("ISO weeks", () => {
  it.each([
    ["2026-12-01", "2026-W49"],
    ["2026-01-01", "2026-W01"],
    ["2027-01-01", "2026-W53"],
    ["2021-01-03", "2020-W53"],
    ["2024-12-30", "2025-W01"],
    ["2000-02-29", "2000-W09"],
  ])("%s is in %s", (date, week) => {
    expect(isoWeekOf(date)).toBe(week);
  });

  it("agrees with a Date-based reference on 5,000 seeded dates from 1901 to 2199", () => {
    const rand = prng(8601);
    const start = Date.UTC(1901, 0, 1);
    const end = Date.UTC(2199, 11, 31);
    for (let i = 0; i < 5000; i++) {
      const date = new Date(start + Math.floor(rand() * ((end - start) / 86_400_000)) * 86_400_000).toISOString().slice(0, 10);
      expect(isoWeekOf(date), date).toBe(referenceWeek(date));
      expect(dateOfDay(dayNumber(date) as number)).toBe(date);
      expect(isoWeekday(dayNumber(date) as number)).toBe(new Date(`${date}T00:00:00Z`).getUTCDay() || 7);
    }
  });

  it("refuses dates that do not exist", () => {
    for (const bad of ["2025-02-29", "2026-13-01", "2026-04-31", "2026-1-01", "x"]) {
      expect(dayNumber(bad)).toBeUndefined();
      expect(() => isoWeekOf(bad)).toThrow(RangeError);
    }
  });

  it("finds the Monday of a week, and knows which years have a week 53", () => {
    expect(isoWeekMonday("2026-W49")).toBe("2026-11-30");
    expect(isoWeekMonday("2020-W53")).toBe("2020-12-28");
    expect(isoWeekMonday("2025-W01")).toBe("2024-12-30");
    expect(isIsoWeek("2026-W53")).toBe(true);
    expect(isIsoWeek("2025-W53")).toBe(false);
    expect(isIsoWeek("2025-W00")).toBe(false);
    expect(isIsoWeek("2025-49")).toBe(false);
  });

  it("adds weeks across year ends", () => {
    expect(addWeeks("2026-W53", 1)).toBe("2027-W01");
    expect(addWeeks("2025-W01", -1)).toBe("2024-W52");
    expect(addWeeks("2026-W10", 0)).toBe("2026-W10");
    expect(() => addWeeks("2025-W53", 1)).toThrow(RangeError);
  });

  it("takes the week of an instant in Asia/Shanghai, not UTC", () => {
    // Sunday 2026-11-29 16:00 UTC is Monday 2026-11-30 00:00 in Shanghai.
    const instant = Date.UTC(2026, 10, 29, 16, 0);
    expect(shanghaiDateOf(instant)).toBe("2026-11-30");
    expect(isoWeekOfInstant(instant)).toBe("2026-W49");
    expect(isoWeekOfInstant(instant - 1)).toBe("2026-W48");
  });
});
