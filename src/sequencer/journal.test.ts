// The journal's compact encoding gives back exactly the commands it was given.
import { describe, expect, it } from "vitest";
import type { PlaceOrder } from "../exchange/exchange.core";
import type { JournalCommand } from "./batch";
import { decodeJournal, decodeTransferInput, encodeJournal, encodeTransferInput } from "./journal";

const place: PlaceOrder = {
  id: "ord_1",
  party: { id: "org_a", kind: "agency", colour: "red", lendsStaff: false, licensedUntil: "2029-12-31" },
  clientOrderId: "c-1",
  dedupeKey: "c-1",
  market: "welder.500107.2026-12-02.D1",
  side: "supply",
  quantity: 3,
  rateFen: 3000,
  timeInForce: "fok",
  goodTill: null,
  minFill: 0,
  minCertificate: 0,
  minColour: null,
  excludedSuppliers: [],
  minSplit: 2,
  allOrNone: true,
  certificate: 4,
  shared: false,
};

describe("the journal's encoding", () => {
  it("gives back every kind of command, positions and instants included", () => {
    const at = 1_796_000_000_000;
    const entries: JournalCommand[] = [
      { seq: 41, at, t: "accounts", inputs: [{ id: "w", ledger: "CNY", code: "wallet", flags: 1 }], results: ["ok"] },
      { seq: 42, at: at + 1, t: "transfers", batch: [encodeTransferInput({ id: "t", debitAccountId: "a", creditAccountId: "b", amount: 5n, ledger: "CNY", code: "x" })], results: ["exceeds_credits"] },
      { seq: 43, at: at + 1, t: "place", order: place },
      {
        seq: 44,
        at: at + 7,
        t: "place",
        order: { ...place, id: "ord_2", party: { id: "org_e", kind: "enterprise", colour: "blue", lendsStaff: true, licensedUntil: null }, clientOrderId: null, dedupeKey: "~idem:key_1:k", side: "demand", timeInForce: "good_till", goodTill: at + 3_600_000, minFill: 2, minCertificate: 3, minColour: "red", excludedSuppliers: ["org_x", "org_y"], minSplit: 1, allOrNone: false, certificate: 0, shared: true },
      },
      { seq: 45, at: at + 9, t: "cancel", orderId: "ord_1", by: "org_a" },
      { seq: 46, at: at + 9, t: "reduce", orderId: "ord_2", by: "org_e", quantity: 2 },
      { seq: 47, at: at + 9, t: "rerate", orderId: "ord_2", by: "org_e", rateFen: 3550 },
      { seq: 48, at: at + 10, t: "cancelAll", organisationId: "org_a", market: null, side: "supply", reason: "black" },
      { seq: 49, at: at + 11, t: "tick" },
      { seq: 50, at: at + 12, t: "settings", settings: { feeRate: "0.06", tickFen: 10, maxRateFen: 9000, horizonDays: 7, minLeadMs: 1, staffingLeadMs: 0 } },
      { seq: 51, at: at + 13, t: "colour", organisationId: "org_a", colour: "black", reason: "trn_1" },
      { seq: 52, at: at + 13, t: "colour", organisationId: "org_b", colour: "red", reason: "trn_2" },
      { seq: 53, at: at + 14, t: "colour", organisationId: "org_a", colour: "blue", reason: "trn_3" },
    ];
    expect(decodeJournal(encodeJournal(entries))).toEqual(entries);
    // the first format (commands as objects) still reads
    expect(decodeJournal(JSON.stringify(entries.slice(4)))).toEqual(entries.slice(4));
  });

  it("keeps a transfer input as it was given, odd fields and all", () => {
    const plain = { id: "t1", kind: "pending" as const, debitAccountId: "a", creditAccountId: "b", amount: 12n, ledger: "CNY", code: "x", flags: 1, timeoutMs: 5, userData: "u" };
    expect(decodeTransferInput(JSON.parse(JSON.stringify(encodeTransferInput(plain))))).toEqual({ ...plain, pendingId: null });
    // not a bigint amount, an unknown key: kept as they came (a replay must refuse them exactly as the first run did)
    const odd = { id: "t2", debitAccountId: "a", creditAccountId: "b", amount: 12 as unknown as bigint, ledger: "CNY", code: "x", extra: true } as never;
    expect(decodeTransferInput(JSON.parse(JSON.stringify(encodeTransferInput(odd))))).toEqual(odd);
    const post = { id: "t3", kind: "post" as const, pendingId: "t1", amount: null };
    expect(decodeTransferInput(JSON.parse(JSON.stringify(encodeTransferInput(post))))).toEqual({ ...post, debitAccountId: null, creditAccountId: null, ledger: null, code: null, flags: 0, timeoutMs: 0, userData: null });
  });

  it("takes a fraction of the plain form's bytes", () => {
    const entries: JournalCommand[] = Array.from({ length: 30 }, (_, i) => ({ seq: i + 1, at: 1_796_000_000_000 + i, t: "place", order: { ...place, id: `ord_${i}` } }));
    expect(encodeJournal(entries).length * 2).toBeLessThan(JSON.stringify(entries).length);
  });
});
