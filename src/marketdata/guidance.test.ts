import { describe, expect, it } from "vitest";
import { prng } from "../../test/helpers/prng";
import { DEFAULT_BAND_SETTINGS, GUIDANCE_CSV_HEADER, bandCheck, bandFor, bandSettingsProblems, guidancePrices, guidancePricesCsv, guidanceSeries, type GuidancePrice, type TradeRecord } from "./guidance";

const trade = (market: string, rateFen: number, qty: number): TradeRecord => ({ market, rateFen, qty });

function price(over: Partial<GuidancePrice>): GuidancePrice {
  return { skill: "welder", district: "500107", week: "2026-W49", weekStart: "2026-11-30", trades: 10, headcount: 20, vwapFen: 3000, p25Fen: 2800, medianFen: 3000, p75Fen: 3200, minFen: 2500, maxFen: 3600, ...over };
}

describe("guidance prices", () => {
  it("groups by skill × district × ISO week of the market date, weighting each trade by its headcount", () => {
    const prices = guidancePrices([
      trade("welder.500107.2026-11-30.D1", 3000, 9), // Monday of W49
      trade("welder.500107.2026-12-06.N1", 2000, 1), // Sunday of W49
      trade("welder.500107.2026-12-07.D1", 2500, 2), // Monday of W50
      trade("welder.500103.2026-12-01.D1", 2600, 1),
      trade("cook.500107.2026-12-01.D1", 2200, 3),
    ]);
    expect(prices.map((p) => [p.skill, p.district, p.week])).toEqual([
      ["cook", "500107", "2026-W49"],
      ["welder", "500103", "2026-W49"],
      ["welder", "500107", "2026-W49"],
      ["welder", "500107", "2026-W50"],
    ]);
    expect(prices[2]).toEqual({
      skill: "welder",
      district: "500107",
      week: "2026-W49",
      weekStart: "2026-11-30",
      trades: 2,
      headcount: 10,
      vwapFen: 2900, // (3000×9 + 2000×1) / 10
      p25Fen: 3000,
      medianFen: 3000,
      p75Fen: 3000,
      minFen: 2000,
      maxFen: 3000,
    });
  });

  it("rounds the VWAP once, half-even, to whole fen", () => {
    // (2501 + 2502) / 2 = 2501.5 → 2502 (even); (2500 + 2501) / 2 = 2500.5 → 2500 (even); (2500×2 + 2501) / 3 = 2500.33 → 2500
    expect(guidancePrices([trade("cook.500107.2026-12-01.D1", 2501, 1), trade("cook.500107.2026-12-01.D1", 2502, 1)])[0]?.vwapFen).toBe(2502);
    expect(guidancePrices([trade("cook.500107.2026-12-01.D1", 2500, 1), trade("cook.500107.2026-12-01.D1", 2501, 1)])[0]?.vwapFen).toBe(2500);
    expect(guidancePrices([trade("cook.500107.2026-12-01.D1", 2500, 2), trade("cook.500107.2026-12-01.D1", 2501, 1)])[0]?.vwapFen).toBe(2500);
  });

  it("filters by skill, district and a range of weeks (across a year end)", () => {
    const trades = [trade("cook.500107.2026-12-28.D1", 2200, 1), trade("cook.500107.2027-01-04.D1", 2300, 1), trade("cook.500107.2027-01-11.D1", 2400, 1), trade("cook.500101.2027-01-04.D1", 2400, 1)];
    expect(guidancePrices(trades, { fromWeek: "2026-W53", toWeek: "2027-W01" }).map((p) => [p.district, p.week])).toEqual([
      ["500101", "2027-W01"],
      ["500107", "2026-W53"],
      ["500107", "2027-W01"],
    ]);
    expect(guidancePrices(trades, { district: "500107", skill: "cook", fromWeek: "2027-W02" }).map((p) => p.week)).toEqual(["2027-W02"]);
  });

  it("refuses records that are not trades", () => {
    expect(() => guidancePrices([trade("welder.999999.2026-12-01.D1", 3000, 1)])).toThrow(/district/);
    expect(() => guidancePrices([trade("welder.500107.2026-12-01.D1", 0, 1)])).toThrow(RangeError);
    expect(() => guidancePrices([trade("welder.500107.2026-12-01.D1", 3000, 1.5)])).toThrow(RangeError);
  });

  it("a seeded month of trades: every figure equals an independent computation on the expanded list of placed workers", () => {
    const rand = prng(2026_12);
    const skills = ["welder", "cook", "cleaner"];
    const districts = ["500103", "500107"];
    const trades: TradeRecord[] = [];
    for (let i = 0; i < 3000; i++) {
      const day = 1 + Math.floor(rand() * 31);
      const skill = skills[Math.floor(rand() * skills.length)]!;
      trades.push(trade(`${skill}.${districts[Math.floor(rand() * 2)]}.2026-12-${String(day).padStart(2, "0")}.${rand() < 0.5 ? "D1" : "N1"}`, 2100 + 50 * Math.floor(rand() * 40), 1 + Math.floor(rand() * 8)));
    }
    const prices = guidancePrices(trades);
    // December 2026: Tuesday 1st (W49) to Thursday 31st (W53).
    expect(new Set(prices.map((p) => p.week))).toEqual(new Set(["2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53"]));
    expect(prices.length).toBe(3 * 2 * 5);
    let placed = 0;
    for (const p of prices) {
      const mine = trades.filter((t) => {
        const [skill, district, date] = t.market.split(".");
        const day = Number(date!.slice(8));
        const week = day <= 6 ? "2026-W49" : day <= 13 ? "2026-W50" : day <= 20 ? "2026-W51" : day <= 27 ? "2026-W52" : "2026-W53";
        return skill === p.skill && district === p.district && week === p.week;
      });
      const rates = mine.flatMap((t) => Array.from({ length: t.qty }, () => t.rateFen)).sort((a, b) => a - b);
      placed += rates.length;
      expect(p.trades).toBe(mine.length);
      expect(p.headcount).toBe(rates.length);
      const at = (q: number) => rates[Math.max(1, Math.ceil((q * rates.length) / 100)) - 1];
      expect([p.p25Fen, p.medianFen, p.p75Fen, p.minFen, p.maxFen]).toEqual([at(25), at(50), at(75), rates[0], rates[rates.length - 1]]);
      const sum = rates.reduce((s, r) => s + r, 0);
      // |vwap − exact| ≤ ½ fen, i.e. |2·vwap·n − 2·sum| ≤ n
      expect(Math.abs(2 * p.vwapFen * rates.length - 2 * sum)).toBeLessThanOrEqual(rates.length);
    }
    expect(placed).toBe(trades.reduce((s, t) => s + t.qty, 0));
  });

  it("gives the chart a week-by-week series with gaps as null", () => {
    const prices = guidancePrices([trade("cook.500107.2026-12-28.D1", 2200, 1), trade("cook.500107.2027-01-11.D1", 2400, 1)]);
    expect(guidanceSeries(prices, "cook", "500107", "2026-W52", "2027-W02").map((s) => [s.week, s.price?.medianFen ?? null])).toEqual([
      ["2026-W52", null],
      ["2026-W53", 2200],
      ["2027-W01", null],
      ["2027-W02", 2400],
    ]);
  });
});

describe("band check (flag, not block)", () => {
  it("flags rates outside [p25 − 1.5·IQR, p75 + 1.5·IQR] and passes the fences themselves", () => {
    const band = price({ p25Fen: 2800, medianFen: 3000, p75Fen: 3200 }); // IQR 400 → fences 2200 and 3800
    expect(bandCheck(2200, band)).toMatchObject({ flagged: false, reason: "inside", lowerFen: 2200, upperFen: 3800 });
    expect(bandCheck(3800, band)).toMatchObject({ flagged: false, reason: "inside" });
    expect(bandCheck(2199, band)).toMatchObject({ flagged: true, direction: "below" });
    expect(bandCheck(3801, band)).toMatchObject({ flagged: true, direction: "above" });
  });

  it("keeps a minimum margin of a share of the median when every trade was at one rate", () => {
    const band = price({ p25Fen: 3000, medianFen: 3000, p75Fen: 3000 }); // IQR 0 → margin 10 % of 3000 = 300
    expect(bandCheck(2700, band)).toMatchObject({ flagged: false, lowerFen: 2700, upperFen: 3300 });
    expect(bandCheck(2699, band)).toMatchObject({ flagged: true, direction: "below" });
    expect(bandCheck(3301, band)).toMatchObject({ flagged: true, direction: "above" });
  });

  it("compares exactly: fractional fences round inwards to the whole rates not flagged", () => {
    const band = price({ p25Fen: 2801, medianFen: 2900, p75Fen: 2802 }); // IQR 1 → k·IQR 1.5; 10 % of 2900 = 290
    expect(bandCheck(2511, band, { ...DEFAULT_BAND_SETTINGS, k: "1.5" })).toMatchObject({ flagged: false, lowerFen: 2511, upperFen: 3092 });
    const wide = price({ p25Fen: 2801, medianFen: 2802, p75Fen: 2804 }); // IQR 3 → 4.5 vs 280.2 → margin 280.2
    expect(bandCheck(0, wide)).toMatchObject({ lowerFen: 2521, upperFen: 3084 }); // 2520.8 → 2521; 3084.2 → 3084
  });

  it("flags nothing without a band or with a thin one", () => {
    expect(bandCheck(1, null)).toEqual({ flagged: false, reason: "no_band", band: null });
    expect(bandCheck(1, price({ headcount: 4 }))).toMatchObject({ flagged: false, reason: "thin_band" });
  });

  it("checks an order against the latest band of the weeks before its own", () => {
    const prices = [price({ week: "2026-W45" }), price({ week: "2026-W47", medianFen: 1 }), price({ week: "2026-W48", headcount: 2 }), price({ week: "2026-W49" }), price({ week: "2026-W47", district: "500101" })];
    expect(bandFor(prices, "welder", "500107", "2026-W49")?.week).toBe("2026-W47");
    expect(bandFor(prices, "welder", "500107", "2026-W50")?.week).toBe("2026-W49");
    expect(bandFor(prices, "welder", "500107", "2026-W52")?.week).toBe("2026-W49");
    expect(bandFor(prices, "welder", "500107", "2026-W53")?.week).toBe("2026-W49"); // four weeks back, 2026 has 53
    expect(bandFor(prices, "welder", "500107", "2027-W01")).toBeNull(); // W49 is more than four weeks back
    expect(bandFor(prices, "cook", "500107", "2026-W50")).toBeNull();
  });

  it("validates its settings", () => {
    expect(bandSettingsProblems(DEFAULT_BAND_SETTINGS)).toEqual([]);
    expect(bandSettingsProblems({ ...DEFAULT_BAND_SETTINGS, k: "-1" }).map((p) => p.field)).toEqual(["k"]);
    expect(bandSettingsProblems({ ...DEFAULT_BAND_SETTINGS, k: "1e3" }).map((p) => p.field)).toEqual(["k"]);
    expect(bandSettingsProblems({ ...DEFAULT_BAND_SETTINGS, minMarginPercent: 101, minHeadcount: 0, lookbackWeeks: 0 }).map((p) => p.field)).toEqual(["minMarginPercent", "minHeadcount", "lookbackWeeks"]);
  });
});

describe("guidance CSV", () => {
  it("has the JSON's figures, one line per price, yuan beside fen", () => {
    const csv = guidancePricesCsv([price({ vwapFen: 3050 })]);
    const [header, line, end] = csv.slice(1).split("\r\n");
    expect(header).toBe(GUIDANCE_CSV_HEADER.join(","));
    expect(line).toBe("welder,500107,2026-W49,2026-11-30,10,20,3050,30.50,2800,3000,3200,2500,3600");
    expect(end).toBe("");
    expect(csv.startsWith("\uFEFF")).toBe(true);
  });
});
