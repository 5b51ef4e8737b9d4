import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hoursRuleProblem, paidMinutesWorked, type HoursRule, type WorkedSpan } from "./hours";

const MIN = 60_000;
const start = Date.UTC(2026, 11, 2, 0, 0); // 08:00 Asia/Shanghai
const end = start + 9 * 60 * MIN; // 17:00
const day = (checkInMin: number, checkOutMin: number, paidMinutes = 480): WorkedSpan => ({
  checkInAt: start + checkInMin * MIN,
  checkOutAt: start + checkOutMin * MIN,
  shiftStart: start,
  shiftEnd: end,
  paidMinutes,
});
const rule = (unitMinutes: number, rounding: HoursRule["rounding"]): HoursRule => ({ unitMinutes, rounding });

describe("paidMinutesWorked", () => {
  it.each([
    // [check-in, check-out] in minutes after the start, rule → paid minutes
    [0, 247, rule(15, "down"), 240], // 4h07 → 4h00
    [0, 247, rule(15, "up"), 255], // 4h07 → 4h15
    [0, 247, rule(15, "nearest"), 240], // 7 min < 7.5 → down
    [0, 248, rule(15, "nearest"), 255], // 8 min ≥ 7.5 → up
    [0, 240, rule(15, "up"), 240], // an exact unit is not rounded
    [0, 247, rule(1, "down"), 247],
    [0, 60, rule(60, "nearest"), 60],
    [0, 90, rule(60, "nearest"), 120], // a tie rounds up, for the worker
  ])("in %s, out %s, %j → %s", (inMin, outMin, r, minutes) => {
    expect(paidMinutesWorked(day(inMin, outMin), r)).toBe(minutes);
  });

  it("rounds a half-unit tie up in exact milliseconds (no float tie)", () => {
    const span = { ...day(0, 0), checkOutAt: start + 7 * MIN + 30_000 }; // 7 min 30 s
    expect(paidMinutesWorked(span, rule(15, "nearest"))).toBe(15);
    expect(paidMinutesWorked({ ...span, checkOutAt: span.checkOutAt - 1 }, rule(15, "nearest"))).toBe(0);
  });

  it("counts only the time inside the shift's window", () => {
    // 07:30 → 12:00 pays 08:00 → 12:00; 13:00 → 18:30 pays 13:00 → 17:00.
    expect(paidMinutesWorked(day(-30, 240), rule(15, "up"))).toBe(240);
    expect(paidMinutesWorked(day(300, 630), rule(15, "up"))).toBe(240);
  });

  it("is capped by the shift's paid minutes (a full slot with an unpaid meal hour pays 8 h)", () => {
    expect(paidMinutesWorked(day(0, 540), rule(15, "down"))).toBe(480);
    expect(paidMinutesWorked(day(-60, 600), rule(15, "up"))).toBe(480);
  });

  it("pays nothing for a check-out before the check-in or outside the window", () => {
    expect(paidMinutesWorked(day(120, 60), rule(15, "up"))).toBe(0);
    expect(paidMinutesWorked(day(-120, -30), rule(15, "up"))).toBe(0);
    expect(paidMinutesWorked(day(600, 660), rule(15, "up"))).toBe(0);
  });

  it("stays within 0..paid minutes, on the unit grid, and orders down ≤ nearest ≤ up", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -600, max: 900 }),
        fc.integer({ min: 0, max: 900 }),
        fc.integer({ min: 0, max: 59_999 }),
        fc.constantFrom(1, 5, 6, 10, 15, 20, 30, 60),
        (inMin, lengthMin, extraMs, unit) => {
          const span = { ...day(inMin, inMin + lengthMin), checkOutAt: start + (inMin + lengthMin) * MIN + extraMs };
          const down = paidMinutesWorked(span, rule(unit, "down"));
          const nearest = paidMinutesWorked(span, rule(unit, "nearest"));
          const up = paidMinutesWorked(span, rule(unit, "up"));
          for (const m of [down, nearest, up]) {
            expect(m).toBeGreaterThanOrEqual(0);
            expect(m).toBeLessThanOrEqual(480);
            expect(Number.isInteger(m)).toBe(true);
            if (m < 480) expect(m % unit).toBe(0);
          }
          expect(down).toBeLessThanOrEqual(nearest);
          expect(nearest).toBeLessThanOrEqual(up);
        },
      ),
    );
  });

  it("refuses an unusable rule or fractional times", () => {
    expect(() => paidMinutesWorked(day(0, 60), rule(0, "down"))).toThrow(/unitMinutes/);
    expect(() => paidMinutesWorked(day(0, 60), rule(7.5, "down"))).toThrow(/unitMinutes/);
    expect(() => paidMinutesWorked(day(0, 60), { unitMinutes: 15, rounding: "sideways" as "up" })).toThrow(/rounding/);
    expect(() => paidMinutesWorked({ ...day(0, 60), checkOutAt: start + 0.5 }, rule(15, "down"))).toThrow(/checkOutAt/);
  });
});

describe("hoursRuleProblem", () => {
  it("accepts 1..60 whole minutes and the three directions", () => {
    expect(hoursRuleProblem(rule(1, "down"))).toBeNull();
    expect(hoursRuleProblem(rule(60, "nearest"))).toBeNull();
    expect(hoursRuleProblem(rule(61, "up"))).toMatch(/1 to 60/);
  });
});
