// The sequencer's state under random exchange traffic: after every command the ledger's and the exchange's
// invariants hold and no enterprise's money appears or vanishes; a replay of the journal, or a snapshot and
// the rest of the journal, reaches the same chain, the same books and the same balances.
import { describe, expect, it } from "vitest";
import { fillIds, orderHoldsAccount, walletOf, type ColourOutcome, type ExchangeCommand, type PartyFacts, type PlaceOrder } from "../exchange/exchange.core";
import { AccountFlags } from "../ledger/ledger.types";
import { prng } from "../../test/helpers/prng";
import { Batch, type JournalCommand } from "./batch";
import { ShardState, type LiveCommand } from "./shard-state";
import { decodeJournal, encodeJournal } from "./journal";
import { INITIAL_EXCHANGE_SETTINGS } from "./sequencer";

const START = Date.parse("2026-12-01T06:00:00Z");
const MARKETS = ["welder.500107.2026-12-02.D1", "welder.500107.2026-12-02.N1", "cleaner.500103.2026-12-03.E1"];
const ENTERPRISES: PartyFacts[] = ["e1", "e2", "e3"].map((id) => ({ id, kind: "enterprise", colour: "blue", lendsStaff: false, licensedUntil: null }));
const LENDER: PartyFacts = { id: "l1", kind: "enterprise", colour: "red", lendsStaff: true, licensedUntil: null };
const AGENCIES: PartyFacts[] = [
  { id: "a1", kind: "agency", colour: "blue", lendsStaff: false, licensedUntil: "2029-12-31" },
  { id: "a2", kind: "agency", colour: "red", lendsStaff: false, licensedUntil: "2029-12-31" },
];
const CLEARING = "platform:clearing:CNY";

function run(seed: number, steps: number) {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const state = ShardState.empty("t", INITIAL_EXCHANGE_SETTINGS, { recentTransfers: 200 });
  const journal: JournalCommand[] = [];
  let at = START;
  let orderSerial = 0;
  const paidIn = new Map<string, bigint>();
  const placed: Array<{ id: string; org: string }> = [];
  const apply = (cmd: LiveCommand) => {
    const batch = new Batch(state.chain);
    const applied = state.apply(cmd, at, batch);
    journal.push(...batch.journal);
    return applied.value;
  };
  apply({
    t: "accounts",
    inputs: [
      { id: CLEARING, ledger: "CNY", code: "clearing" },
      orderHoldsAccount(),
      ...[...ENTERPRISES, LENDER].map((e) => ({ id: walletOf(e.id), ledger: "CNY", code: "wallet" as const, ownerId: e.id, flags: AccountFlags.debitsMustNotExceedCredits })),
    ],
  });
  const topUp = (org: string, fen: bigint) => {
    apply({ t: "transfers", batch: [{ id: `topup:${org}:${at}:${rnd()}`, debitAccountId: CLEARING, creditAccountId: walletOf(org), amount: fen, ledger: "CNY", code: "top_up" }] });
    paidIn.set(org, (paidIn.get(org) ?? 0n) + fen);
  };
  for (const e of ENTERPRISES) topUp(e.id, 5_000_000n);

  for (let step = 0; step < steps; step++) {
    at += Math.floor(rnd() * 120_000);
    const r = rnd();
    let cmd: LiveCommand;
    if (r < 0.5) {
      const demand = rnd() < 0.5;
      const party = demand ? pick(ENTERPRISES) : rnd() < 0.2 ? LENDER : pick(AGENCIES);
      const tifRoll = rnd();
      const quantity = 1 + Math.floor(rnd() * 5);
      const order: PlaceOrder = {
        id: `o${++orderSerial}`,
        party,
        clientOrderId: rnd() < 0.3 ? `c${Math.floor(rnd() * 30)}` : null,
        dedupeKey: null,
        market: pick(MARKETS),
        side: demand ? "demand" : "supply",
        quantity,
        rateFen: 2100 + 50 * Math.floor(rnd() * 40),
        timeInForce: tifRoll < 0.8 ? "good_till" : tifRoll < 0.9 ? "ioc" : "fok",
        goodTill: null,
        minFill: demand && rnd() < 0.2 ? Math.floor(rnd() * (quantity + 1)) : 0,
        minCertificate: 0,
        minColour: demand && rnd() < 0.2 ? "red" : null,
        excludedSuppliers: demand && rnd() < 0.2 ? [pick(AGENCIES).id] : [],
        minSplit: !demand && rnd() < 0.2 ? 1 + Math.floor(rnd() * quantity) : 1,
        allOrNone: !demand && rnd() < 0.1,
        certificate: 0,
        shared: party === LENDER,
      };
      cmd = { t: "place", order: { ...order, dedupeKey: order.clientOrderId } };
    } else if (r < 0.62 && placed.length > 0) {
      const o = pick(placed);
      cmd = { t: "cancel", orderId: o.id, by: o.org };
    } else if (r < 0.72 && placed.length > 0) {
      const o = pick(placed);
      cmd = { t: "reduce", orderId: o.id, by: o.org, quantity: 1 + Math.floor(rnd() * 4) };
    } else if (r < 0.82 && placed.length > 0) {
      const o = pick(placed);
      cmd = { t: "rerate", orderId: o.id, by: o.org, rateFen: 2100 + 50 * Math.floor(rnd() * 40) };
    } else if (r < 0.86) {
      cmd = { t: "cancelAll", organisationId: pick([...ENTERPRISES, ...AGENCIES]).id, market: rnd() < 0.5 ? pick(MARKETS) : null, side: null, reason: "test" };
    } else if (r < 0.88) {
      // a rating changed: black cancels the supplier's offers, red / blue recolours them where they rest
      cmd = { t: "colour", organisationId: pick([...AGENCIES, LENDER]).id, colour: pick(["black", "blue", "red", "blue"] as const), reason: "test" };
    } else if (r < 0.9) {
      topUp(pick(ENTERPRISES).id, BigInt(100_000 + Math.floor(rnd() * 1_000_000)));
      continue;
    } else {
      at += Math.floor(rnd() * 1_800_000); // time passes: good-till orders expire (the first markets close ~16 h in)
      cmd = { t: "tick" };
    }
    const out = apply(cmd) as { ok?: boolean; order?: { id: string; organisationId: string } };
    if (cmd.t === "place" && out.ok === true && out.order) placed.push({ id: out.order.id, org: out.order.organisationId });
    const problems = state.invariants();
    expect(problems, `step ${step} (${cmd.t})`).toEqual([]);
  }
  return { state, journal, paidIn, at };
}

function replay(journal: readonly JournalCommand[], from?: ShardState): ShardState {
  const state = from ?? ShardState.empty("t", INITIAL_EXCHANGE_SETTINGS, { recentTransfers: 200 });
  for (const e of journal) {
    if (e.seq <= state.seq) continue;
    const batch = new Batch(state.chain);
    state.replay(e, batch);
  }
  return state;
}

describe("the sequencer's state under random exchange traffic", () => {
  it.each([1, 2, 3, 4, 5, 6])("seed %i: invariants after every command, money conserved, and replays reach the same state", (seed) => {
    const { state, journal, paidIn } = run(seed, 400);
    // money: every fen an enterprise paid in is in its wallet (available or held) or in the escrow of its contracts
    const snap = state.snapshot();
    let contracts = 0;
    let totalEscrow = 0n;
    for (const a of state.ledger.listAccounts()) {
      if (a.code === "escrow" && a.ownerId !== null) {
        contracts++;
        totalEscrow += a.creditsPosted - a.debitsPosted;
      }
    }
    let totalWallets = 0n;
    let totalPaid = 0n;
    for (const e of ENTERPRISES) {
      const w = state.ledger.balances(walletOf(e.id))!;
      // available + held = posted credits − posted debits
      totalWallets += w.creditsPosted - w.debitsPosted;
      totalPaid += paidIn.get(e.id) ?? 0n;
    }
    expect(totalWallets + totalEscrow).toBe(totalPaid);
    const holds = state.ledger.balances(orderHoldsAccount().id)!;
    expect(holds.creditsPosted).toBe(holds.debitsPosted); // what fills posted into it went on into escrow
    expect(journal.filter((e) => e.t === "place").length).toBeGreaterThan(50);
    expect(contracts).toBeGreaterThan(5);

    // a replay from the start, of the journal as stored, reaches the same chain and the same state
    const again = replay(decodeJournal(encodeJournal(journal)));
    expect(again.chain).toEqual(state.chain);
    expect(JSON.stringify(again.snapshot())).toBe(JSON.stringify(snap));

    // a snapshot taken half-way and the rest of the journal reach it too
    const half = replay(journal.slice(0, Math.floor(journal.length / 2)));
    const restored = ShardState.fromSnapshot(JSON.parse(JSON.stringify(half.snapshot())), { recentTransfers: 200 });
    const rest = replay(journal, restored);
    expect(rest.chain).toEqual(state.chain);
    expect(JSON.stringify(rest.snapshot())).toBe(JSON.stringify(snap));
  });

  it("a journal entry changed by hand does not replay to the same chain", () => {
    const { state, journal } = run(7, 150);
    const i = journal.findIndex((e) => e.t === "place" && e.order.side === "demand");
    const forged = journal.map((e, k) => (k === i && e.t === "place" ? { ...e, order: { ...e.order, quantity: e.order.quantity + 1 } } : e)) as JournalCommand[];
    let ok = true;
    try {
      const again = replay(forged);
      ok = again.chain.chainHash === state.chain.chainHash;
    } catch {
      ok = false;
    }
    expect(ok).toBe(false);
  });

  it("a colour command cancels a black supplier's offers and refuses new ones; red lets its offers meet orders that require red; replay agrees", () => {
    const state = ShardState.empty("t", INITIAL_EXCHANGE_SETTINGS, { recentTransfers: 200 });
    const at = START;
    const b = new Batch(state.chain);
    state.apply({ t: "accounts", inputs: [{ id: CLEARING, ledger: "CNY", code: "clearing" }, orderHoldsAccount(), { id: walletOf("e1"), ledger: "CNY", code: "wallet", ownerId: "e1", flags: AccountFlags.debitsMustNotExceedCredits }] }, at, b);
    state.apply({ t: "transfers", batch: [{ id: "f", debitAccountId: CLEARING, creditAccountId: walletOf("e1"), amount: 1_000_000n, ledger: "CNY", code: "top_up" }] }, at, b);
    const base = { clientOrderId: null, dedupeKey: null, market: MARKETS[0]!, quantity: 1, rateFen: 3000, timeInForce: "good_till", goodTill: null, minFill: 0, minCertificate: 0, minColour: null, excludedSuppliers: [], minSplit: 1, allOrNone: false, certificate: 0, shared: false } as const;
    const offer = (id: string, market = MARKETS[0]!): ExchangeCommand => ({ t: "place", order: { ...base, id, market, party: AGENCIES[0]!, side: "supply" } });
    // two resting offers of a blue agency, then it turns black: both cancelled, a new one refused although the edge still says blue
    expect(state.apply(offer("s1"), at, b).value).toMatchObject({ ok: true });
    expect(state.apply(offer("s2", MARKETS[1]!), at, b).value).toMatchObject({ ok: true });
    expect(state.apply({ t: "colour", organisationId: "a1", colour: "black", reason: "trn_1" }, at, b).value).toEqual({ ok: true, cancelled: 2, recoloured: 0, fills: [] });
    expect(state.exchange.openOrderCount).toBe(0);
    expect(state.apply(offer("s3"), at, b).value).toMatchObject({ ok: false, code: "forbidden" });
    // back to blue: offers accepted again; a demand that requires red does not take it …
    expect(state.apply({ t: "colour", organisationId: "a1", colour: "blue", reason: "trn_2" }, at, b).value).toEqual({ ok: true, cancelled: 0, recoloured: 0, fills: [] });
    expect(state.apply(offer("s4"), at, b).value).toMatchObject({ ok: true });
    const demand = (id: string): ExchangeCommand => ({ t: "place", order: { ...base, id, party: ENTERPRISES[0]!, side: "demand", minColour: "red", timeInForce: "ioc" } });
    expect(state.apply(demand("d1"), at, b).value).toMatchObject({ ok: true, fills: [] });
    // … until the agency is rated red: its resting offer is recoloured in place and trades
    expect(state.apply({ t: "colour", organisationId: "a1", colour: "red", reason: "trn_3" }, at, b).value).toEqual({ ok: true, cancelled: 0, recoloured: 1, fills: [] });
    expect((state.apply(demand("d2"), at, b).value as { fills: unknown[] }).fills).toHaveLength(1);
    const again = replay(decodeJournal(encodeJournal(b.journal)));
    expect(again.chain).toEqual(state.chain);
    expect(again.exchange.colourOf("a1")).toBe("red");
    expect(state.invariants()).toEqual([]);
  });

  it("an agency raised to red trades at once with resting demand that required red: the demand's hold pays the escrow; fill ids run on across its offers; replay agrees", () => {
    const state = ShardState.empty("t", INITIAL_EXCHANGE_SETTINGS, { recentTransfers: 200 });
    const at = START;
    const b = new Batch(state.chain);
    state.apply({ t: "accounts", inputs: [{ id: CLEARING, ledger: "CNY", code: "clearing" }, orderHoldsAccount(), { id: walletOf("e1"), ledger: "CNY", code: "wallet", ownerId: "e1", flags: AccountFlags.debitsMustNotExceedCredits }] }, at, b);
    state.apply({ t: "transfers", batch: [{ id: "f", debitAccountId: CLEARING, creditAccountId: walletOf("e1"), amount: 1_000_000n, ledger: "CNY", code: "top_up" }] }, at, b);
    const base = { clientOrderId: null, dedupeKey: null, quantity: 2, rateFen: 3000, timeInForce: "good_till", goodTill: null, minFill: 0, minCertificate: 0, minColour: null, excludedSuppliers: [], minSplit: 1, allOrNone: false, certificate: 0, shared: false } as const;
    // two blue offers in two markets, and in each a resting demand that requires red at a higher rate: they cross but do not trade
    for (const [i, market] of [MARKETS[0]!, MARKETS[1]!].entries()) {
      expect(state.apply({ t: "place", order: { ...base, id: `s${i}`, market, party: AGENCIES[0]!, side: "supply" } }, at, b).value).toMatchObject({ ok: true, fills: [] });
      expect(state.apply({ t: "place", order: { ...base, id: `d${i}`, market, party: ENTERPRISES[0]!, side: "demand", quantity: 1, rateFen: 3500, minColour: "red" } }, at, b).value).toMatchObject({ ok: true, fills: [] });
    }
    const held = state.ledger.balances(walletOf("e1"))!.debitsPending;
    expect(held).toBeGreaterThan(0n);
    const seq = state.seq + 1;
    const out = state.apply({ t: "colour", organisationId: "a1", colour: "red", reason: "trn_red" }, at, b).value as ColourOutcome;
    expect(out).toMatchObject({ ok: true, cancelled: 0, recoloured: 2 });
    // one contract per market, at the demand's rate, ids k = 0 and 1 of the colour command
    expect(out.fills.map((f) => [f.contractId, f.rateFen, f.qty])).toEqual([
      [fillIds("t", seq, 0).contractId, 3500, 1],
      [fillIds("t", seq, 1).contractId, 3500, 1],
    ]);
    expect(b.contracts.map((c) => [c.id, c.aggressor, c.supplierId, c.enterpriseId])).toEqual(out.fills.map((f) => [f.contractId, "supply", "a1", "e1"]));
    // the demand orders are filled, their holds posted into the escrows; the offers rest with one head each
    expect(state.exchange.openOrder("d0")).toBeUndefined();
    expect(state.exchange.openOrder("s0")).toMatchObject({ remaining: 1, filled: 1 });
    expect(state.ledger.balances(walletOf("e1"))!.debitsPending).toBe(0n);
    for (const c of b.contracts) expect(state.available(c.escrowAccountId)).toBe(c.escrowFen);
    expect(state.ledger.balances(walletOf("e1"))!.debitsPosted).toBe(b.contracts.reduce((n, c) => n + c.escrowFen, 0n));
    expect(state.invariants()).toEqual([]);
    // a second red changes nothing
    expect(state.apply({ t: "colour", organisationId: "a1", colour: "red", reason: "trn_red2" }, at, b).value).toEqual({ ok: true, cancelled: 0, recoloured: 0, fills: [] });
    const again = replay(decodeJournal(encodeJournal(b.journal)));
    expect(again.chain).toEqual(state.chain);
    expect(again.exchange.openOrder("s1")).toEqual(state.exchange.openOrder("s1"));
  });

  it("ticks are journalled only when something expires, and replay expires the same orders", () => {
    const state = ShardState.empty("t", INITIAL_EXCHANGE_SETTINGS, { recentTransfers: 200 });
    const at = START;
    const b = new Batch(state.chain);
    state.apply({ t: "accounts", inputs: [{ id: CLEARING, ledger: "CNY", code: "clearing" }, orderHoldsAccount(), { id: walletOf("e1"), ledger: "CNY", code: "wallet", ownerId: "e1", flags: AccountFlags.debitsMustNotExceedCredits }] }, at, b);
    state.apply({ t: "transfers", batch: [{ id: "f", debitAccountId: CLEARING, creditAccountId: walletOf("e1"), amount: 1_000_000n, ledger: "CNY", code: "top_up" }] }, at, b);
    const place: ExchangeCommand = {
      t: "place",
      order: {
        id: "o1", party: ENTERPRISES[0]!, clientOrderId: null, dedupeKey: null, market: MARKETS[0]!, side: "demand", quantity: 2, rateFen: 3000,
        timeInForce: "good_till", goodTill: null, minFill: 0, minCertificate: 0, minColour: null, excludedSuppliers: [], minSplit: 1, allOrNone: false, certificate: 0, shared: false,
      },
    };
    state.apply(place, at, b);
    expect(state.ledger.balances(walletOf("e1"))!.debitsPending).toBe(2n * 25_200n);
    expect(state.apply({ t: "tick" }, at + 60_000, b).journalled).toBe(false);
    // good-till: 2026-12-02 06:00 in Chongqing = 2026-12-01T22:00Z
    const due = Date.parse("2026-12-01T22:00:00Z");
    const t = state.apply({ t: "tick" }, due, b);
    expect(t.journalled).toBe(true);
    expect(state.exchange.openOrderCount).toBe(0);
    expect(state.ledger.balances(walletOf("e1"))!.debitsPending).toBe(0n);
    const again = replay(b.journal);
    expect(again.chain).toEqual(state.chain);
    expect(again.exchange.openOrderCount).toBe(0);
  });
});
