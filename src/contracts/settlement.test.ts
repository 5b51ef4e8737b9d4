// A seat's money, pure: every effect moves the seat's escrow out whole, never more, in integer fen, and the first
// leg carries the effect id so two different decisions about one seat collide in the ledger.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { seatAmounts, seatTransfers, type SeatTerms } from "./settlement";
import type { SeatMoneyEffect } from "../../machines";

const terms = (rateFen: number, paidMinutes: number, feeRate = 0.05): SeatTerms => {
  const wage = BigInt(Math.round((rateFen * paidMinutes) / 60));
  return {
    contractId: "con_1",
    rateFen,
    paidMinutes,
    seatFen: wage + BigInt(Math.round(Number(wage) * feeRate)),
    escrowAccountId: "escrow:con_1:CNY",
    walletAccountId: "wallet:org_e:CNY",
    supplierPayableAccountId: "supplier_payable:org_s:CNY",
  };
};
const platform = { platformFee: "platform:platform_fee:CNY", taxWithheld: "platform:tax_withheld:CNY" };
const settle = (minutes: number): SeatMoneyEffect => ({
  id: "con_1:seat:1:escrow", type: "ledger.settleSeat", contractId: "con_1", seat: 1, shiftId: "shf_1", workerId: "wrk_1", minutes, basis: "approved", reason: null, operatorId: null,
});

describe("seat money", () => {
  it("pays the hours, the fee in proportion and the rest back, in linked legs that sum to the seat", () => {
    const t = terms(3000, 480);
    const payee = { accountId: "supplier_payable:org_s:CNY", withholds: false };
    const a = seatAmounts(t, settle(450), payee, "0.03");
    expect(a).toEqual({ wageFen: 22_500n, taxFen: 0n, feeFen: 1_125n, refundFen: 1_575n });
    const legs = seatTransfers(t, settle(450), a, payee, platform);
    expect(legs.map((l) => [l.id, l.creditAccountId, l.amount, l.flags])).toEqual([
      ["con_1:seat:1:escrow", "supplier_payable:org_s:CNY", 22_500n, 1],
      ["con_1:seat:1:escrow:fee", "platform:platform_fee:CNY", 1_125n, 1],
      ["con_1:seat:1:escrow:refund", "wallet:org_e:CNY", 1_575n, 0],
    ]);
  });

  it("withholds tax from an independent worker's pay", () => {
    const t = terms(3000, 480);
    const payee = { accountId: "worker_payable:wrk_1:CNY", withholds: true };
    const a = seatAmounts(t, settle(480), payee, "0.03");
    expect(a).toEqual({ wageFen: 24_000n, taxFen: 720n, feeFen: 1_200n, refundFen: 0n });
    expect(seatTransfers(t, settle(480), a, payee, platform).map((l) => [l.code, l.amount])).toEqual([["wages", 23_280n], ["tax_withheld", 720n], ["platform_fee", 1_200n]]);
  });

  it("a refund is one leg under the effect id; a late cancellation pays the fee minutes, capped by the shift", () => {
    const t = terms(3000, 300);
    const refund: SeatMoneyEffect = { id: "con_1:seat:2:escrow", type: "ledger.refundSeat", contractId: "con_1", seat: 2, reason: "no_show" };
    expect(seatTransfers(t, refund, seatAmounts(t, refund, null, "0"), null, platform).map((l) => [l.id, l.amount])).toEqual([["con_1:seat:2:escrow", t.seatFen]]);
    const late: SeatMoneyEffect = { id: "con_1:seat:1:escrow", type: "ledger.lateCancelSeat", contractId: "con_1", seat: 1, feeMinutes: 600 };
    expect(seatAmounts(t, late, null, "0")).toEqual({ wageFen: 15_000n, taxFen: 0n, feeFen: 0n, refundFen: t.seatFen - 15_000n });
  });

  it("always moves exactly the seat's escrow, never a negative leg, whatever the minutes, rate and withholding", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom(300, 420, 480, 660), fc.integer({ min: 0, max: 1000 }), fc.boolean(), fc.constantFrom("0", "0.03", "0.2"), (rate, paid, minutes, withholds, tax) => {
        const t = terms(rate, paid);
        const payee = { accountId: "p", withholds };
        const e = settle(minutes);
        const a = seatAmounts(t, e, payee, tax);
        const legs = seatTransfers(t, e, a, payee, platform);
        expect(legs.reduce((s, l) => s + (l.amount ?? 0n), 0n)).toBe(t.seatFen);
        expect(legs.every((l) => (l.amount ?? 0n) > 0n)).toBe(true);
        expect(legs[0]!.id).toBe(e.id);
        expect(legs.at(-1)!.flags).toBe(0);
      }),
    );
  });
});
