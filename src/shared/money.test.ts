import BigNumber from "bignumber.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Decimal,
  MAX_FEN,
  applyRate,
  fenToYuan,
  parseYuan,
  splitLargestRemainder,
  wage,
  wageForMinutes,
  withFee,
  yuanToFen,
} from "./money";

describe("yuanToFen / fenToYuan", () => {
  it.each([
    ["18.50", 1850n],
    ["18.5", 1850n],
    ["18", 1800n],
    ["0", 0n],
    ["0.01", 1n],
    ["-0.05", -5n],
    ["1200.00", 120000n],
    ["92233720368547758.07", MAX_FEN],
  ])("parses %s", (s, fen) => {
    expect(yuanToFen(s)).toBe(fen);
  });

  it.each(["1.234", "0.005", "-1.999"])("rejects %s: more than 2 decimals", (s) => {
    expect(() => yuanToFen(s)).toThrow(/more than 2 decimal places/);
  });

  it.each(["", " 1", "1 ", "+1", "1.", ".5", "1e2", "0x10", "01", "1,5", "1_000", "abc", "NaN", "Infinity", "--1", "1.2.3"])(
    "rejects %j as not a decimal",
    (s) => {
      expect(() => yuanToFen(s)).toThrow(RangeError);
      expect(() => yuanToFen(s)).toThrow(/not a decimal/);
    },
  );

  it("rejects numbers (floats) and values beyond BIGINT", () => {
    expect(() => yuanToFen(18.5 as unknown as string)).toThrow(/must be a decimal string, got number/);
    expect(() => yuanToFen("92233720368547758.08")).toThrow(/too large/);
    expect(parseYuan("1.999")).toEqual({ ok: false, error: 'yuan amount "1.999" has more than 2 decimal places' });
    expect(parseYuan("7.25")).toEqual({ ok: true, fen: 725n });
  });

  it("formats fen with exactly two decimals", () => {
    expect(fenToYuan(1850n)).toBe("18.50");
    expect(fenToYuan(5n)).toBe("0.05");
    expect(fenToYuan(0n)).toBe("0.00");
    expect(fenToYuan(-5n)).toBe("-0.05");
    expect(fenToYuan(-123456n)).toBe("-1234.56");
    expect(() => fenToYuan(5 as unknown as bigint)).toThrow(RangeError);
  });

  it("round-trips every fen amount", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -MAX_FEN, max: MAX_FEN }), (fen) => {
        expect(yuanToFen(fenToYuan(fen))).toBe(fen);
      }),
    );
  });
});

describe("wage and applyRate round half-even", () => {
  it.each([
    ["0.5", 0n],
    ["1.5", 2n],
    ["2.5", 2n],
    ["3.5", 4n],
    ["2.4999", 2n],
    ["2.5001", 3n],
  ])("1 fen/h × %s h → %s fen", (hours, fen) => {
    expect(wage(1n, hours)).toBe(fen);
  });

  it("computes rate × hours exactly before rounding once", () => {
    expect(wage(2500n, "7.5")).toBe(18750n);
    expect(wage(2333n, "7.5")).toBe(17498n); // 17497.5 → even
    expect(wage(2335n, "7.5")).toBe(17512n); // 17512.5 → even
    expect(wage(3333n, "0.333")).toBe(1110n); // 1109.889
    expect(wage(2500n, new BigNumber("8"))).toBe(20000n);
    expect(wage(1n, "123456789012345678.5")).toBe(123456789012345678n);
  });

  it("rejects bad hours and rates", () => {
    expect(() => wage(2500n, "-1")).toThrow(/hours "-1"/);
    expect(() => wage(2500n, "1e2")).toThrow(RangeError);
    expect(() => wage(2500n, 7.5 as unknown as string)).toThrow(/decimal string or BigNumber/);
    expect(() => wage(2500n, new BigNumber(NaN))).toThrow(/finite non-negative/);
    expect(() => wage(-1n, "1")).toThrow(/must not be negative/);
    expect(() => wage(25 as unknown as bigint, "1")).toThrow(/bigint/);
    expect(() => applyRate(100n, "-0.05")).toThrow(/rate/);
  });

  it("applies a rate half-even, symmetric for negatives", () => {
    expect(applyRate(10050n, "0.05")).toBe(502n); // 502.5
    expect(applyRate(10150n, "0.05")).toBe(508n); // 507.5
    expect(applyRate(-10050n, "0.05")).toBe(-502n);
    expect(applyRate(10000n, "0")).toBe(0n);
    expect(applyRate(10000n, "1.5")).toBe(15000n);
  });

  it("adds a fee on top", () => {
    expect(withFee(18750n, "0.08")).toEqual({ base: 18750n, fee: 1500n, total: 20250n });
  });

  it("uses a clone configured half-even, leaving the global BigNumber alone", () => {
    expect(Decimal.config({}).ROUNDING_MODE).toBe(BigNumber.ROUND_HALF_EVEN);
    expect(Decimal).not.toBe(BigNumber);
  });

  it("matches an exact integer model of half-even rounding", () => {
    // amount × (n / 10^4) with rounding done in bigint arithmetic.
    const halfEven = (num: bigint, den: bigint): bigint => {
      const neg = num < 0n;
      const a = neg ? -num : num;
      const q = a / den;
      const r = a % den;
      const up = 2n * r > den || (2n * r === den && q % 2n === 1n);
      const res = up ? q + 1n : q;
      return neg ? -res : res;
    };
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 30000 }), (amount, n) => {
        const rate = new BigNumber(n).div(10000).toFixed();
        expect(applyRate(amount, rate)).toBe(halfEven(amount * BigInt(n), 10000n));
      }),
    );
  });
});

describe("splitLargestRemainder", () => {
  it("splits by weight and gives leftover fen to the largest remainders", () => {
    expect(splitLargestRemainder(100n, [1n, 1n, 1n])).toEqual([34n, 33n, 33n]);
    expect(splitLargestRemainder(101n, [1n, 1n, 1n])).toEqual([34n, 34n, 33n]);
    expect(splitLargestRemainder(10n, [3n, 7n])).toEqual([3n, 7n]);
    expect(splitLargestRemainder(10n, [1n, 2n, 3n])).toEqual([2n, 3n, 5n]); // 1.67, 3.33, 5
    expect(splitLargestRemainder(1n, [0n, 5n, 5n])).toEqual([0n, 1n, 0n]);
    expect(splitLargestRemainder(-100n, [1n, 1n, 1n])).toEqual([-34n, -33n, -33n]);
    expect(splitLargestRemainder(0n, [1n, 2n])).toEqual([0n, 0n]);
  });

  it("rejects impossible weights", () => {
    expect(() => splitLargestRemainder(10n, [])).toThrow(/zero weights/);
    expect(() => splitLargestRemainder(10n, [0n, 0n])).toThrow(/all be zero/);
    expect(() => splitLargestRemainder(10n, [1n, -1n])).toThrow(/negative/);
  });

  it("always sums to the whole, never gives a zero weight anything, stays within 1 fen of the exact share", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 12 }).filter((ws) => ws.some((w) => w > 0n)),
        (total, weights) => {
          const parts = splitLargestRemainder(total, weights);
          expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
          const sum = weights.reduce((a, b) => a + b, 0n);
          parts.forEach((p, i) => {
            const w = weights[i] as bigint;
            if (w === 0n) expect(p).toBe(0n);
            // |p × sum − total × w| < sum  ⇔  p is floor or ceil of the exact share
            const diff = p * sum - total * w;
            expect(diff < sum && diff > -sum).toBe(true);
          });
        },
      ),
    );
  });

  it("breaks ties by index, deterministically", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.bigInt({ min: 0n, max: 1000n }), (n, total) => {
        const parts = splitLargestRemainder(total, new Array<bigint>(n).fill(1n));
        for (let i = 1; i < n; i++) expect((parts[i - 1] as bigint) >= (parts[i] as bigint)).toBe(true);
      }),
    );
  });
});

describe("wageForMinutes", () => {
  it.each([
    [2500n, 450, 18750n], // 7.5 h
    [1n, 30, 0n], // 0.5 fen rounds to even 0
    [3n, 30, 2n], // 1.5 fen rounds to even 2
    [1n, 90, 2n], // 1.5 fen rounds to even 2
    [5n, 30, 2n], // 2.5 fen rounds to even 2
    [2000n, 10, 333n], // 333.33… fen
    [2000n, 20, 667n], // 666.66… fen
    [2000n, 0, 0n],
  ])("%s fen/h for %s min → %s fen", (rate, minutes, fen) => {
    expect(wageForMinutes(rate, minutes)).toBe(fen);
  });

  it("equals wage() on hours whenever minutes / 60 is a finite decimal", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10_000_000n }), fc.integer({ min: 0, max: 10_000 }), (rate, k) => {
        const minutes = k * 3; // minutes / 60 = k / 20 is always a finite decimal
        expect(wageForMinutes(rate, minutes)).toBe(wage(rate, new Decimal(minutes).div(60)));
      }),
    );
  });

  it("refuses fractional or negative minutes and negative rates", () => {
    expect(() => wageForMinutes(100n, 1.5)).toThrow(RangeError);
    expect(() => wageForMinutes(100n, -1)).toThrow(RangeError);
    expect(() => wageForMinutes(-1n, 60)).toThrow(RangeError);
  });
});
