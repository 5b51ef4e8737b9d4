/**
 * What a seat's money effect posts, pure and integer-only: the amounts of
 * every leg and the ledger transfers that carry them. A seat's escrow is what
 * the fill put in for one head: the wage of the slot's paid minutes at the
 * trade rate plus the platform fee on it. Each seat's escrow leaves exactly
 * once, whole, through one chain of linked transfers whose ids derive from
 * the effect id, so a retry finds them (`exists`) and cannot pay twice.
 *
 * Ids: the first leg that moves money carries the effect id itself
 * (`<contract>:seat:<n>:escrow`), the others a suffix. Two different
 * decisions about one seat therefore collide on that id
 * (`exists_with_different_fields`) instead of both paying.
 */
import type { TransferInput } from "../ledger";
import { TransferFlags } from "../ledger";
import { applyRate, wageForMinutes } from "../shared/money";
import type { SeatMoneyEffect } from "../../machines";

/** The facts of a contract that its money needs. */
export interface SeatTerms {
  readonly contractId: string;
  readonly rateFen: number;
  readonly paidMinutes: number;
  /** One seat's escrow, fen (the contract's escrow / headcount). */
  readonly seatFen: bigint;
  readonly escrowAccountId: string;
  readonly walletAccountId: string;
  /** Where a late-cancellation fee goes: the supplier's payable. */
  readonly supplierPayableAccountId: string;
}

/** Who is paid for a settled seat's work. */
export interface Payee {
  readonly accountId: string;
  /** An independent worker: income tax is withheld at `taxRate`. */
  readonly withholds: boolean;
}

/** Accounts of the platform the legs use. */
export interface PlatformAccounts {
  readonly platformFee: string;
  readonly taxWithheld: string;
}

/** The amounts of one seat's money effect, fen; wage + fee + refund = seatFen, tax ⊆ wage. */
export interface SeatAmounts {
  /** Gross pay (settlement) or the cancellation fee (late cancellation). */
  readonly wageFen: bigint;
  readonly taxFen: bigint;
  readonly feeFen: bigint;
  readonly refundFen: bigint;
}

/** Half-even rounding of n / d for non-negative bigints. */
function divHalfEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  if (r * 2n > d || (r * 2n === d && q % 2n === 1n)) return q + 1n;
  return q;
}

/**
 * The amounts of a money effect. The platform's fee is the part of the
 * seat's fee in proportion to the minutes paid (so a full shift pays exactly
 * the fee the fill collected, and a short one less); withholding is
 * `taxRate` of the gross pay of an independent worker.
 */
export function seatAmounts(terms: SeatTerms, effect: SeatMoneyEffect, payee: Payee | null, taxRate: string): SeatAmounts {
  const fullWage = wageForMinutes(BigInt(terms.rateFen), terms.paidMinutes);
  const seatFee = terms.seatFen - fullWage;
  if (seatFee < 0n) throw new RangeError(`contract ${terms.contractId}: a seat's escrow ${terms.seatFen} is less than its wage ${fullWage}`);
  switch (effect.type) {
    case "ledger.refundSeat":
      return { wageFen: 0n, taxFen: 0n, feeFen: 0n, refundFen: terms.seatFen };
    case "ledger.lateCancelSeat": {
      const minutes = Math.min(Math.max(0, effect.feeMinutes), terms.paidMinutes);
      const fee = wageForMinutes(BigInt(terms.rateFen), minutes);
      return { wageFen: fee, taxFen: 0n, feeFen: 0n, refundFen: terms.seatFen - fee };
    }
    case "ledger.settleSeat": {
      const minutes = Math.min(Math.max(0, effect.minutes), terms.paidMinutes);
      const wage = wageForMinutes(BigInt(terms.rateFen), minutes);
      const fee = divHalfEven(seatFee * BigInt(minutes), BigInt(terms.paidMinutes));
      const tax = payee?.withholds ? applyRate(wage, taxRate) : 0n;
      return { wageFen: wage, taxFen: tax, feeFen: fee, refundFen: terms.seatFen - wage - fee };
    }
  }
}

/** The linked transfers that move a seat's escrow out, in a fixed order; zero legs are left out. */
export function seatTransfers(terms: SeatTerms, effect: SeatMoneyEffect, amounts: SeatAmounts, payee: Payee | null, platform: PlatformAccounts): TransferInput[] {
  const legs: { suffix: string; credit: string; amount: bigint; code: string }[] = [];
  if (effect.type === "ledger.settleSeat") {
    if (payee === null) throw new Error(`contract ${terms.contractId} seat ${effect.seat}: a settlement needs a payee`);
    legs.push({ suffix: "wages", credit: payee.accountId, amount: amounts.wageFen - amounts.taxFen, code: "wages" });
    legs.push({ suffix: "tax", credit: platform.taxWithheld, amount: amounts.taxFen, code: "tax_withheld" });
    legs.push({ suffix: "fee", credit: platform.platformFee, amount: amounts.feeFen, code: "platform_fee" });
  } else if (effect.type === "ledger.lateCancelSeat") {
    legs.push({ suffix: "cancellation-fee", credit: terms.supplierPayableAccountId, amount: amounts.wageFen, code: "cancellation_fee" });
  }
  legs.push({ suffix: "refund", credit: terms.walletAccountId, amount: amounts.refundFen, code: "escrow_refund" });
  const moving = legs.filter((l) => l.amount > 0n);
  return moving.map((l, i) => ({
    id: i === 0 ? effect.id : `${effect.id}:${l.suffix}`,
    debitAccountId: terms.escrowAccountId,
    creditAccountId: l.credit,
    amount: l.amount,
    ledger: "CNY",
    code: l.code,
    userData: `${terms.contractId}:seat:${effect.seat}`,
    flags: i < moving.length - 1 ? TransferFlags.linked : TransferFlags.none,
  }));
}
