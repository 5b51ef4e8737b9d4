import { describe, expect, it } from "vitest";
import { prng } from "../../test/helpers/prng";
import { hoursOf, median, percentiles, ratio, weightedPercentiles, type Observation } from "./measures";

const H = 3_600_000;

/** Nearest rank by the definition, on the expanded list (each observation repeated weight times). */
function reference(observations: readonly Observation[], p: number): number | null {
  const list = observations.flatMap((o) => Array.from({ length: o.weight }, () => o.value)).sort((a, b) => a - b);
  if (list.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * list.length - 1e-9));
  return list[rank - 1] as number;
}

describe("nearest-rank percentiles", () => {
  it("takes observed values: the lower middle for an even count", () => {
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([])).toBeNull();
    expect(percentiles([10, 20, 30, 40], [0, 25, 50, 75, 100])).toEqual([10, 10, 20, 30, 40]);
  });

  it("weights an observation by its count (a trade of 9 at one rate outweighs one at another)", () => {
    expect(weightedPercentiles([{ value: 3000, weight: 9 }, { value: 2000, weight: 1 }], [25, 50, 75])).toEqual([3000, 3000, 3000]);
    expect(weightedPercentiles([{ value: 3000, weight: 1 }, { value: 2000, weight: 3 }], [25, 50, 75, 76])).toEqual([2000, 2000, 2000, 3000]);
  });

  it("equals the expanded-list definition on seeded random samples", () => {
    const rand = prng(25_75);
    for (let round = 0; round < 500; round++) {
      const obs: Observation[] = Array.from({ length: Math.floor(rand() * 12) }, () => ({ value: 2000 + 50 * Math.floor(rand() * 20), weight: 1 + Math.floor(rand() * 6) }));
      const ps = [0, 1, 10, 25, 33, 50, 67, 75, 90, 99, 100];
      expect(weightedPercentiles(obs, ps)).toEqual(ps.map((p) => reference(obs, p)));
    }
  });

  it("refuses weights and percentiles that are not whole numbers", () => {
    expect(() => weightedPercentiles([{ value: 1, weight: 0 }], [50])).toThrow(RangeError);
    expect(() => weightedPercentiles([{ value: 1, weight: 1.5 }], [50])).toThrow(RangeError);
    expect(() => percentiles([1], [50.5])).toThrow(RangeError);
    expect(() => percentiles([1], [101])).toThrow(RangeError);
  });
});

describe("ratio", () => {
  it.each([
    [1, 8, "12.5"],
    [1, 3, "33.3"],
    [2, 3, "66.7"],
    [1, 16, "6.2"], // 6.25 → half-even
    [3, 16, "18.8"], // 18.75 → half-even
    [0, 5, "0.0"],
    [5, 5, "100.0"],
  ])("%i/%i = %s %%", (n, d, percent) => {
    expect(ratio(n, d)).toEqual({ numerator: n, denominator: d, percent });
  });

  it("has no percentage for an empty denominator and refuses negatives", () => {
    expect(ratio(0, 0).percent).toBeNull();
    expect(() => ratio(-1, 2)).toThrow(RangeError);
    expect(() => ratio(1.5, 2)).toThrow(RangeError);
  });
});

describe("hoursOf", () => {
  it.each([
    [0, "0.0"],
    [H, "1.0"],
    [5.5 * H, "5.5"],
    [0.25 * H, "0.2"], // 0.25 → 0.2 (half-even)
    [0.35 * H, "0.4"], // 0.35 → 0.4 (half-even)
    [26 * H + 1, "26.0"],
  ])("%i ms = %s h", (ms, text) => {
    expect(hoursOf(ms)).toBe(text);
  });
});
