/**
 * Property tests of the reconciliation engine: seeded books where the ledger
 * and the provider agree, with discrepancies of every kind planted. The
 * engine must find exactly the planted ones, explain the difference by them,
 * give the same answer in any input order and on the residue of a run, and
 * a correction per exception must balance the books.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { prng } from "../../test/helpers/prng";
import { itemKey, reconcile, type ExceptionKind, type Item, type LedgerEntry, type ProviderRecord } from "./reconcile";

const PLANTS = ["missing_at_provider", "missing_in_ledger", "mismatch_1", "mismatch_2", "duplicate_provider", "duplicate_ledger", "suggested_pair"] as const;
type Plant = (typeof PLANTS)[number];

interface Scenario {
  ledger: LedgerEntry[];
  provider: ProviderRecord[];
  /** keys of the exceptions planted. */
  expected: Set<string>;
  /** item keys that must carry a suggestion, with the key suggested. */
  suggestions: Map<string, string>;
}

const DAY0 = Date.UTC(2026, 10, 20);
const day = (n: number) => new Date(DAY0 + n * 86_400_000).toISOString().slice(0, 10);

/** Builds a scenario: `clean` agreeing movements (pairs and batches), plus the planted discrepancies. */
function scenario(seed: number, clean: number, plants: readonly Plant[]): Scenario {
  const rnd = prng(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const ledger: LedgerEntry[] = [];
  const provider: ProviderRecord[] = [];
  const expected = new Set<string>();
  const suggestions = new Map<string, string>();
  let n = 0;
  // Every movement's amount is unique to its index, so no two unrelated movements can be suggested to each other.
  const amount = (i: number) => BigInt((i + 1) * 1000 + pick(999) + 1) * (rnd() < 0.3 ? -1n : 1n);
  const currency = () => (rnd() < 0.8 ? "CNY" : "USD");
  const L = (id: string, cur: string, fen: bigint, d: number, identifiers: string[], group: string | null = null): LedgerEntry => {
    const e = { id, currency: cur, amountFen: fen, date: day(d), identifiers, transferGroup: group };
    ledger.push(e);
    return e;
  };
  const P = (id: string, cur: string, fen: bigint, d: number, identifiers: string[], group: string | null = null): ProviderRecord => {
    const e = { id, currency: cur, amountFen: fen, date: day(d), identifiers, transferGroup: group };
    provider.push(e);
    return e;
  };
  const pair = () => {
    const i = n++;
    const cur = currency();
    const fen = amount(i);
    const d = pick(10);
    // sometimes the ledger knows two identifiers (bank transaction id and reference) and the provider quotes one or both
    const both = rnd() < 0.5;
    const l = L(`L${i}`, cur, fen, d, both ? [`X${i}`, `R${i}`] : [`X${i}`]);
    const p = P(`P${i}`, cur, fen, d + pick(2), both && rnd() < 0.5 ? [`R${i}`] : [`X${i}`]);
    return { i, cur, fen, d, l, p };
  };
  const batch = (delta: bigint) => {
    const i = n++;
    const cur = currency();
    const parts = 1 + pick(4);
    let total = 0n;
    const ls: LedgerEntry[] = [];
    for (let j = 0; j < parts; j++) {
      const fen = -BigInt(1 + pick(50_000)) * 100n - BigInt(i);
      total += fen;
      ls.push(L(`L${i}.${j}`, cur, fen, 3 + pick(3), [`W${i}.${j}`], `G${i}`));
    }
    const p = P(`B${i}`, cur, total + delta, 6, [`BANK${i}`], `G${i}`);
    return { cur, ls, p };
  };

  for (let k = 0; k < clean; k++) {
    if (rnd() < 0.75) pair();
    else batch(0n);
  }
  for (const plant of plants) {
    switch (plant) {
      case "missing_at_provider": {
        const i = n++;
        const cur = currency();
        const l = L(`L${i}`, cur, amount(i), pick(10), [`X${i}`], rnd() < 0.3 ? `G-lone${i}` : null);
        expected.add(itemKey("missing_at_provider", cur, [l.id], []));
        break;
      }
      case "missing_in_ledger": {
        const i = n++;
        const cur = currency();
        const p = P(`P${i}`, cur, amount(i), pick(10), [`X${i}`], rnd() < 0.3 ? `G-lone${i}` : null);
        expected.add(itemKey("missing_in_ledger", cur, [], [p.id]));
        break;
      }
      case "mismatch_1": {
        const i = n++;
        const cur = currency();
        const fen = amount(i);
        const d = pick(10);
        const l = L(`L${i}`, cur, fen, d, [`X${i}`]);
        const p = P(`P${i}`, cur, fen + BigInt(1 + pick(500)) * (rnd() < 0.5 ? 1n : -1n), d, [`X${i}`]);
        expected.add(itemKey("amount_mismatch", cur, [l.id], [p.id]));
        break;
      }
      case "mismatch_2": {
        const { cur, ls, p } = batch(BigInt(1 + pick(10_000)) * (rnd() < 0.5 ? 1n : -1n));
        expected.add(itemKey("amount_mismatch", cur, ls.map((l) => l.id), [p.id]));
        break;
      }
      case "duplicate_provider": {
        const { i, cur, fen, p } = pair();
        // the provider reports the same movement again (a later date or a later id, so the first one pairs)
        const dup = P(`P${i}~dup`, cur, fen, Number(p.date.slice(8, 10)) - 20 + pick(3), [...p.identifiers]);
        expected.add(itemKey("duplicate", cur, [], [dup.id]));
        break;
      }
      case "duplicate_ledger": {
        const { i, cur, fen, l } = pair();
        const dup = L(`L${i}~dup`, cur, fen, Number(l.date.slice(8, 10)) - 20 + pick(3), [...l.identifiers]);
        expected.add(itemKey("duplicate", cur, [dup.id], []));
        break;
      }
      case "suggested_pair": {
        // the same amount on both sides, no identifier in common, dates within the window: two exceptions, each suggesting the other
        const i = n++;
        const cur = currency();
        const fen = amount(i);
        const d = pick(10);
        const l = L(`L${i}`, cur, fen, d, [`X${i}`]);
        const p = P(`P${i}`, cur, fen, d + pick(4), [`Y${i}`]);
        const lk = itemKey("missing_at_provider", cur, [l.id], []);
        const pk = itemKey("missing_in_ledger", cur, [], [p.id]);
        expected.add(lk);
        expected.add(pk);
        suggestions.set(lk, pk);
        suggestions.set(pk, lk);
        break;
      }
    }
  }
  return { ledger, provider, expected, suggestions };
}

function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const rnd = prng(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const exceptionsOf = (items: readonly Item[]) => items.filter((i) => i.kind !== "matched");

const arbitraryScenario = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  clean: fc.integer({ min: 0, max: 40 }),
  plants: fc.array(fc.constantFrom(...PLANTS), { maxLength: 14 }),
});

describe("reconcile: planted discrepancies", () => {
  it("finds exactly the planted exceptions, of every kind, and puts every movement in one item", () => {
    fc.assert(
      fc.property(arbitraryScenario, ({ seed, clean, plants }) => {
        const s = scenario(seed, clean, plants);
        const r = reconcile({ ledger: s.ledger, provider: s.provider });
        expect(new Set(exceptionsOf(r.items).map((i) => i.key))).toEqual(s.expected);
        const seen = r.items.flatMap((i) => [...i.ledgerIds.map((id) => `l:${id}`), ...i.providerIds.map((id) => `p:${id}`)]);
        expect(seen.length).toBe(s.ledger.length + s.provider.length);
        expect(new Set(seen).size).toBe(seen.length);
        // tier 3 is only ever a suggestion: exactly the planted pairs, pointing at each other
        const suggested = new Map(r.items.filter((i) => i.suggestion !== null).map((i) => [i.key, i.suggestion]));
        expect(suggested).toEqual(s.suggestions);
      }),
      { numRuns: 300 },
    );
  });

  it("explains the difference per currency by the open exceptions", () => {
    fc.assert(
      fc.property(arbitraryScenario, ({ seed, clean, plants }) => {
        const s = scenario(seed, clean, plants);
        const r = reconcile({ ledger: s.ledger, provider: s.provider });
        for (const t of r.totals) {
          expect(t.ledgerFen).toBe(s.ledger.filter((e) => e.currency === t.currency).reduce((a, e) => a + e.amountFen, 0n));
          expect(t.providerFen).toBe(s.provider.filter((e) => e.currency === t.currency).reduce((a, e) => a + e.amountFen, 0n));
          expect(t.differenceFen).toBe(t.providerFen - t.ledgerFen);
          expect(t.openExceptionsFen).toBe(t.differenceFen);
          const open = exceptionsOf(r.items).filter((i) => i.currency === t.currency);
          expect(t.exceptions).toBe(open.length);
          expect(open.reduce((a, i) => a + i.effectFen, 0n)).toBe(t.differenceFen);
        }
        for (const i of r.items.filter((x) => x.kind === "matched")) expect(i.effectFen).toBe(0n);
      }),
      { numRuns: 300 },
    );
  });

  it("answers the same whatever the order of its input", () => {
    fc.assert(
      fc.property(arbitraryScenario, fc.integer({ min: 1, max: 1e9 }), ({ seed, clean, plants }, order) => {
        const s = scenario(seed, clean, plants);
        const a = reconcile({ ledger: s.ledger, provider: s.provider });
        const b = reconcile({ ledger: shuffle(s.ledger, order), provider: shuffle(s.provider, order + 1) });
        expect(b).toEqual(a);
      }),
      { numRuns: 150 },
    );
  });

  it("a second run on the residue (matched items settled) finds the same exceptions, and a third changes nothing", () => {
    fc.assert(
      fc.property(arbitraryScenario, ({ seed, clean, plants }) => {
        const s = scenario(seed, clean, plants);
        const first = reconcile({ ledger: s.ledger, provider: s.provider });
        const settledL = new Set(first.items.filter((i) => i.kind === "matched").flatMap((i) => i.ledgerIds));
        const settledP = new Set(first.items.filter((i) => i.kind === "matched").flatMap((i) => i.providerIds));
        const settledIdentifiers = [
          ...s.ledger.filter((e) => settledL.has(e.id)).flatMap((e) => e.identifiers),
          ...s.provider.filter((e) => settledP.has(e.id)).flatMap((e) => e.identifiers),
        ];
        const residue = { ledger: s.ledger.filter((e) => !settledL.has(e.id)), provider: s.provider.filter((e) => !settledP.has(e.id)), settledIdentifiers };
        const second = reconcile(residue);
        expect(second.items).toEqual(exceptionsOf(first.items));
        expect(reconcile(residue)).toEqual(second);
      }),
      { numRuns: 300 },
    );
  });

  it("a correction through suspense per exception (its effect, naming its members) balances the books", () => {
    fc.assert(
      fc.property(arbitraryScenario, ({ seed, clean, plants }) => {
        const s = scenario(seed, clean, plants);
        const first = reconcile({ ledger: s.ledger, provider: s.provider });
        const corrections: LedgerEntry[] = exceptionsOf(first.items).map((i, n) => ({
          id: `fix${n}`, currency: i.currency, amountFen: i.effectFen, date: i.date, identifiers: [], transferGroup: null, corrects: [...i.ledgerIds, ...i.providerIds],
        }));
        const after = reconcile({ ledger: [...s.ledger, ...corrections], provider: s.provider });
        expect(exceptionsOf(after.items)).toEqual([]);
        for (const t of after.totals) {
          expect(t.differenceFen).toBe(0n);
          expect(t.openExceptionsFen).toBe(0n);
        }
        // each correction joined the exception it names, and the exception keeps its key
        for (const i of exceptionsOf(first.items)) {
          const now = after.items.find((x) => x.key === i.key)!;
          expect(now.kind).toBe("matched");
          expect(now.correctionIds.length).toBe(1);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("reconcile: single cases", () => {
  const l = (id: string, fen: bigint, identifiers: string[], extra: Partial<LedgerEntry> = {}): LedgerEntry => ({
    id, currency: "CNY", amountFen: fen, date: "2026-12-01", identifiers, transferGroup: null, ...extra,
  });
  const p = (id: string, fen: bigint, identifiers: string[], extra: Partial<ProviderRecord> = {}): ProviderRecord => ({
    id, currency: "CNY", amountFen: fen, date: "2026-12-01", identifiers, transferGroup: null, ...extra,
  });
  const kinds = (r: ReturnType<typeof reconcile>) => r.items.map((i) => [i.kind, i.tier, [...i.ledgerIds], [...i.providerIds]]);

  it("tier 1 pairs by any shared identifier; tier 2 by group and sum; tier 3 only suggests", () => {
    const r = reconcile({
      ledger: [l("topup:SX-1", 10_000n, ["BANK-1", "SX-1"]), l("wd:1", -300n, ["wdr_1"], { transferGroup: "pay_1" }), l("wd:2", -700n, ["wdr_2"], { transferGroup: "pay_1" }), l("topup:SX-9", 500n, ["BANK-9"])],
      provider: [p("BANK-1", 10_000n, ["BANK-1"]), p("BANK-2", -1000n, ["BANK-2"], { transferGroup: "pay_1" }), p("BANK-3", 500n, ["BANK-3"], { date: "2026-12-03" })],
    });
    expect(kinds(r)).toEqual(
      expect.arrayContaining([
        ["matched", 1, ["topup:SX-1"], ["BANK-1"]],
        ["matched", 2, ["wd:1", "wd:2"], ["BANK-2"]],
        ["missing_at_provider", null, ["topup:SX-9"], []],
        ["missing_in_ledger", null, [], ["BANK-3"]],
      ]),
    );
    const missing = r.items.filter((i) => i.kind !== "matched");
    expect(missing[0]!.suggestion).toBe(missing[1]!.key);
    expect(missing[1]!.suggestion).toBe(missing[0]!.key);
    expect(r.totals).toEqual([{ currency: "CNY", ledgerFen: 9_500n, providerFen: 9_500n, differenceFen: 0n, openExceptionsFen: 0n, matched: 2, exceptions: 2 }]);
  });

  it("suggests nothing outside the window, across currencies, or for different amounts", () => {
    const r = reconcile({
      ledger: [l("a", 500n, ["A"]), l("b", 600n, ["B"]), l("c", 700n, ["C"])],
      provider: [p("x", 500n, ["X"], { date: "2026-12-05" }), p("y", 600n, ["Y"], { currency: "USD" }), p("z", 701n, ["Z"])],
      windowDays: 3,
    });
    expect(r.items.every((i) => i.suggestion === null)).toBe(true);
    expect(reconcile({ ledger: [l("a", 500n, ["A"])], provider: [p("x", 500n, ["X"], { date: "2026-12-04" })], windowDays: 3 }).items.every((i) => i.suggestion !== null)).toBe(true);
  });

  it("the same identifier in two currencies is not a match", () => {
    const r = reconcile({ ledger: [l("a", 500n, ["A"])], provider: [p("x", 500n, ["A"], { currency: "USD" })] });
    expect(r.items.map((i) => i.kind).sort()).toEqual(["missing_at_provider", "missing_in_ledger"]);
  });

  it("a correction that names nothing in scope stands alone as a movement missing at the provider", () => {
    const r = reconcile({ ledger: [l("fix", 100n, [], { corrects: ["gone"] })], provider: [] });
    expect(kinds(r)).toEqual([["missing_at_provider", null, ["fix"], []]]);
    expect(r.totals[0]!.differenceFen).toBe(-100n);
  });

  it("a correction that disturbs a matched item makes it an amount mismatch", () => {
    const r = reconcile({ ledger: [l("a", 100n, ["A"]), l("fix", 5n, [], { corrects: ["a"] })], provider: [p("x", 100n, ["A"])] });
    expect(r.items.map((i) => [i.kind, i.effectFen])).toEqual([["amount_mismatch", -5n]]);
  });

  it("a new movement reusing a settled identifier is a duplicate, even with a counterpart", () => {
    const r = reconcile({ ledger: [l("a2", 100n, ["A"])], provider: [p("x2", 100n, ["A"])], settledIdentifiers: ["A"] });
    expect(r.items.map((i) => i.kind)).toEqual(["duplicate", "duplicate"]);
  });
});
