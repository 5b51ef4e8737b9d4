/**
 * The reconciliation engine: pure. It pairs what the ledger says moved
 * through a provider's account (clearing movements) with what the provider
 * says moved (bank statement lines, Stripe balance transactions), and
 * classifies every movement. No I/O, no clock: the same input gives the same
 * output, in any input order.
 *
 * Amounts are signed fen seen from the provider account: + money came in
 * (clearing debited), − money left (clearing credited).
 *
 * Matching, in tiers:
 *  1. exact external id: a ledger entry and a provider record that share an
 *     identifier (bank transaction id, payment reference, Stripe object id)
 *     are the same movement. Two on one side are a duplicate.
 *  2. transfer group + currency: what tier 1 left, grouped by transfer group
 *     (a payout batch, a contract); a group whose ledger and provider sums are
 *     equal is matched, one whose sums differ is an amount mismatch.
 *  3. amount within a date window: never a match, only a suggestion on two
 *     items left unmatched (an operator may accept it).
 *
 * Every movement ends in exactly one item; an item's effect is what it adds
 * to the difference (provider − ledger), so per currency
 *     Σ provider − Σ ledger = Σ effects of the items that are not matched
 * holds by construction: the difference is explained by the open exceptions.
 *
 * Corrections are ledger entries through the suspense account that name the
 * members of the exception they correct; they join that item, and an item
 * whose effect becomes zero is matched.
 *
 * Re-running on the residue (what is left after the matched items are
 * settled, with their identifiers passed as `settledIdentifiers`) gives the
 * same exceptions: a component that reuses a settled identifier is all
 * duplicates, because its movement was already reconciled.
 */

/** A movement of a provider's account as the ledger records it. */
export interface LedgerEntry {
  /** The ledger transfer id. */
  readonly id: string;
  readonly currency: string;
  /** Signed fen: + into the provider account, − out of it. */
  readonly amountFen: bigint;
  /** Business date, YYYY-MM-DD (Asia/Shanghai). */
  readonly date: string;
  /** Tier 1: every id the provider may quote for this movement. */
  readonly identifiers: readonly string[];
  /** Tier 2: the payout batch or contract it belongs to. */
  readonly transferGroup: string | null;
  /** A correction: the ids of the ledger entries and provider records of the exception it corrects. */
  readonly corrects?: readonly string[];
}

/** A movement as the provider reports it. */
export interface ProviderRecord {
  /** The provider's id of the record (bank transaction id, balance transaction id). */
  readonly id: string;
  readonly currency: string;
  readonly amountFen: bigint;
  readonly date: string;
  readonly identifiers: readonly string[];
  readonly transferGroup: string | null;
}

export const ITEM_KINDS = ["matched", "amount_mismatch", "missing_in_ledger", "missing_at_provider", "duplicate"] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];
/** Kinds that are exceptions (everything but matched). */
export type ExceptionKind = Exclude<ItemKind, "matched">;

export interface Item {
  /**
   * Stable identity of the discrepancy: its kind (as found before any
   * correction) and its members. An exception keeps it across runs.
   */
  readonly key: string;
  readonly kind: ItemKind;
  /** The kind before corrections joined (equal to kind when none did). */
  readonly foundAs: ItemKind;
  /** 1 or 2 for a tier that paired it; null for items left alone. */
  readonly tier: 1 | 2 | null;
  readonly currency: string;
  readonly ledgerIds: readonly string[];
  readonly providerIds: readonly string[];
  /** Corrections that joined the item. */
  readonly correctionIds: readonly string[];
  /** Σ ledger members (corrections included). */
  readonly ledgerFen: bigint;
  readonly providerFen: bigint;
  /** providerFen − ledgerFen: what the item adds to the difference; 0 when matched. */
  readonly effectFen: bigint;
  /** The latest date among its members. */
  readonly date: string;
  /** Tier 3: the key of an unmatched item on the other side with the same amount within the window. */
  readonly suggestion: string | null;
}

export interface ControlTotals {
  readonly currency: string;
  /** Σ ledger entries (corrections included). */
  readonly ledgerFen: bigint;
  /** Σ provider records. */
  readonly providerFen: bigint;
  /** providerFen − ledgerFen. */
  readonly differenceFen: bigint;
  /** Σ effects of the exceptions: always equal to differenceFen. */
  readonly openExceptionsFen: bigint;
  readonly matched: number;
  readonly exceptions: number;
}

export interface ReconcileInput {
  readonly ledger: readonly LedgerEntry[];
  readonly provider: readonly ProviderRecord[];
  /** Identifiers of movements already matched by an earlier run: new movements that reuse one are duplicates. */
  readonly settledIdentifiers?: Iterable<string>;
  /** Tier 3 window, in days either side; default 3. */
  readonly windowDays?: number;
}

export interface ReconcileResult {
  /** Every movement in exactly one item; ordered by key. */
  readonly items: Item[];
  /** Per currency, ordered by currency. */
  readonly totals: ControlTotals[];
}

type Member = { side: "ledger"; e: LedgerEntry } | { side: "provider"; e: ProviderRecord };

const byDateId = (a: { date: string; id: string }, b: { date: string; id: string }) =>
  a.date < b.date ? -1 : a.date > b.date ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

function sum(xs: readonly { amountFen: bigint }[]): bigint {
  let s = 0n;
  for (const x of xs) s += x.amountFen;
  return s;
}

function maxDate(dates: readonly string[]): string {
  let m = "";
  for (const d of dates) if (d > m) m = d;
  return m;
}

/** Days since the epoch of a YYYY-MM-DD date. */
function dayNumber(date: string): number {
  return Math.floor(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000);
}

/** The stable key of an item: kind, currency and sorted member ids (ids may hold any character; JSON keeps them apart). */
export function itemKey(kind: ItemKind, currency: string, ledgerIds: readonly string[], providerIds: readonly string[]): string {
  return JSON.stringify([kind, currency, [...ledgerIds].sort(), [...providerIds].sort()]);
}

interface Draft {
  kind: ItemKind;
  tier: 1 | 2 | null;
  currency: string;
  ledger: LedgerEntry[];
  provider: ProviderRecord[];
}

/** Union-find over indexes. */
function unionFind(n: number) {
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  return {
    find,
    union(a: number, b: number) {
      const ra = find(a);
      const rb = find(b);
      if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
    },
  };
}

export function reconcile(input: ReconcileInput): ReconcileResult {
  const windowDays = input.windowDays ?? 3;
  const settled = new Set(input.settledIdentifiers ?? []);
  const corrections = input.ledger.filter((e) => e.corrects !== undefined && e.corrects.length > 0).sort(byDateId);
  const ledger = input.ledger.filter((e) => e.corrects === undefined || e.corrects.length === 0).sort(byDateId);
  const provider = [...input.provider].sort(byDateId);
  const members: Member[] = [...ledger.map((e) => ({ side: "ledger" as const, e })), ...provider.map((e) => ({ side: "provider" as const, e }))];

  // ---- tier 1: components of movements sharing an identifier (within a currency)
  const uf = unionFind(members.length);
  const firstWith = new Map<string, number>();
  members.forEach((m, i) => {
    for (const id of m.e.identifiers) {
      const k = `${m.e.currency}\u0000${id}`;
      const seen = firstWith.get(k);
      if (seen === undefined) firstWith.set(k, i);
      else uf.union(seen, i);
    }
  });
  const components = new Map<number, number[]>();
  members.forEach((_, i) => {
    const root = uf.find(i);
    const list = components.get(root);
    if (list) list.push(i);
    else components.set(root, [i]);
  });

  const drafts: Draft[] = [];
  const pool: Member[] = [];
  for (const idx of components.values()) {
    const ls = idx.map((i) => members[i]!).filter((m) => m.side === "ledger").map((m) => m.e as LedgerEntry);
    const ps = idx.map((i) => members[i]!).filter((m) => m.side === "provider").map((m) => m.e as ProviderRecord);
    const currency = (ls[0] ?? ps[0])!.currency;
    const reused = idx.some((i) => members[i]!.e.identifiers.some((id) => settled.has(id)));
    if (reused) {
      // The movement these identifiers name was reconciled already: whatever reuses them is a duplicate.
      for (const e of ls) drafts.push({ kind: "duplicate", tier: 1, currency, ledger: [e], provider: [] });
      for (const e of ps) drafts.push({ kind: "duplicate", tier: 1, currency, ledger: [], provider: [e] });
      continue;
    }
    if (ls.length > 0 && ps.length > 0) {
      // The pair: equal amounts first, then the earliest of each side.
      let best: [LedgerEntry, ProviderRecord] | undefined;
      for (const l of ls) {
        for (const p of ps) {
          if (l.amountFen === p.amountFen) {
            best = [l, p];
            break;
          }
        }
        if (best) break;
      }
      best ??= [ls[0]!, ps[0]!];
      const [l, p] = best;
      drafts.push({ kind: l.amountFen === p.amountFen ? "matched" : "amount_mismatch", tier: 1, currency, ledger: [l], provider: [p] });
      for (const e of ls) if (e !== l) drafts.push({ kind: "duplicate", tier: 1, currency, ledger: [e], provider: [] });
      for (const e of ps) if (e !== p) drafts.push({ kind: "duplicate", tier: 1, currency, ledger: [], provider: [e] });
      continue;
    }
    // One side only: the first goes on to tier 2, any further one quoting the same identifier is a duplicate.
    const side = ls.length > 0 ? ls.map((e) => ({ side: "ledger" as const, e })) : ps.map((e) => ({ side: "provider" as const, e }));
    pool.push(side[0]!);
    for (const m of side.slice(1)) {
      drafts.push(m.side === "ledger" ? { kind: "duplicate", tier: 1, currency, ledger: [m.e], provider: [] } : { kind: "duplicate", tier: 1, currency, ledger: [], provider: [m.e] });
    }
  }

  // ---- tier 2: transfer group + currency, sums compared
  const groups = new Map<string, Member[]>();
  const left: Member[] = [];
  for (const m of pool) {
    if (m.e.transferGroup === null) {
      left.push(m);
      continue;
    }
    const k = `${m.e.currency}\u0000${m.e.transferGroup}`;
    const g = groups.get(k);
    if (g) g.push(m);
    else groups.set(k, [m]);
  }
  for (const g of groups.values()) {
    const ls = g.filter((m) => m.side === "ledger").map((m) => m.e as LedgerEntry);
    const ps = g.filter((m) => m.side === "provider").map((m) => m.e as ProviderRecord);
    if (ls.length === 0 || ps.length === 0) {
      left.push(...g);
      continue;
    }
    drafts.push({ kind: sum(ls) === sum(ps) ? "matched" : "amount_mismatch", tier: 2, currency: g[0]!.e.currency, ledger: ls, provider: ps });
  }

  // ---- left alone: missing on the other side
  for (const m of left) {
    drafts.push(
      m.side === "ledger"
        ? { kind: "missing_at_provider", tier: null, currency: m.e.currency, ledger: [m.e], provider: [] }
        : { kind: "missing_in_ledger", tier: null, currency: m.e.currency, ledger: [], provider: [m.e] },
    );
  }

  // ---- corrections join the item holding a member they name; one naming nothing here stands alone
  const draftOf = new Map<string, Draft>();
  for (const d of drafts) {
    for (const e of d.ledger) draftOf.set(`l\u0000${e.id}`, d);
    for (const e of d.provider) draftOf.set(`p\u0000${e.id}`, d);
  }
  const joined = new Map<Draft, LedgerEntry[]>();
  for (const c of corrections) {
    let target: Draft | undefined;
    for (const id of c.corrects!) {
      target = draftOf.get(`l\u0000${id}`) ?? draftOf.get(`p\u0000${id}`);
      if (target && target.currency === c.currency) break;
      target = undefined;
    }
    if (target) {
      const list = joined.get(target);
      if (list) list.push(c);
      else joined.set(target, [c]);
    } else {
      drafts.push({ kind: "missing_at_provider", tier: null, currency: c.currency, ledger: [c], provider: [] });
    }
  }

  // ---- items
  const items: Item[] = drafts.map((d) => {
    const fixes = joined.get(d) ?? [];
    const ledgerFen = sum(d.ledger) + sum(fixes);
    const providerFen = sum(d.provider);
    const effectFen = providerFen - ledgerFen;
    const ledgerIds = d.ledger.map((e) => e.id).sort();
    const providerIds = d.provider.map((e) => e.id).sort();
    return {
      key: itemKey(d.kind, d.currency, ledgerIds, providerIds),
      // A correction that zeroes the effect matches the item; one that disturbs a matched item makes it a mismatch.
      kind: fixes.length === 0 ? d.kind : effectFen === 0n ? "matched" : d.kind === "matched" ? "amount_mismatch" : d.kind,
      foundAs: d.kind,
      tier: d.tier,
      currency: d.currency,
      ledgerIds,
      providerIds,
      correctionIds: fixes.map((e) => e.id).sort(),
      ledgerFen,
      providerFen,
      effectFen,
      date: maxDate([...d.ledger, ...d.provider, ...fixes].map((e) => e.date)),
      suggestion: null,
    };
  });

  // ---- tier 3: suggestions between items still missing on opposite sides, same currency and amount, dates within the window
  const suggested = new Map<Item, string>();
  const missingAtProvider = items.filter((i) => i.kind === "missing_at_provider" && i.foundAs === "missing_at_provider").sort(byItem);
  const missingInLedger = items.filter((i) => i.kind === "missing_in_ledger" && i.foundAs === "missing_in_ledger").sort(byItem);
  const taken = new Set<Item>();
  for (const l of missingAtProvider) {
    for (const p of missingInLedger) {
      if (taken.has(p) || p.currency !== l.currency || p.providerFen !== l.ledgerFen) continue;
      if (Math.abs(dayNumber(p.date) - dayNumber(l.date)) > windowDays) continue;
      taken.add(p);
      suggested.set(l, p.key);
      suggested.set(p, l.key);
      break;
    }
  }
  const final = items.map((i) => (suggested.has(i) ? { ...i, suggestion: suggested.get(i)! } : i)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  // ---- control totals per currency
  const totals = new Map<string, { ledgerFen: bigint; providerFen: bigint; openExceptionsFen: bigint; matched: number; exceptions: number }>();
  for (const i of final) {
    const t = totals.get(i.currency) ?? { ledgerFen: 0n, providerFen: 0n, openExceptionsFen: 0n, matched: 0, exceptions: 0 };
    t.ledgerFen += i.ledgerFen;
    t.providerFen += i.providerFen;
    if (i.kind === "matched") t.matched++;
    else {
      t.exceptions++;
      t.openExceptionsFen += i.effectFen;
    }
    totals.set(i.currency, t);
  }
  return {
    items: final,
    totals: [...totals.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([currency, t]) => ({ currency, ...t, differenceFen: t.providerFen - t.ledgerFen })),
  };
}

function byItem(a: Item, b: Item): number {
  return a.date < b.date ? -1 : a.date > b.date ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * The correcting movement that resolves an exception: its effect, moved
 * between the provider account (clearing) and suspense. Positive: money the
 * provider holds that the ledger lacks (clearing debited, suspense credited);
 * negative: the other way. Zero: nothing to correct.
 */
export function correctionFor(item: Pick<Item, "effectFen">): bigint {
  return item.effectFen;
}
