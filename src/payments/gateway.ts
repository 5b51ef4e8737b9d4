/**
 * The payment provider port. The escrow lives in Shiftex's own ledger; a
 * gateway only moves money between bank and platform: it tells a payer how
 * to fund a wallet, and turns a batch of approved withdrawals into payouts.
 * Offline bank transfer is the embedded default; Stripe joins in a later issue.
 */

export interface FundingInstructions {
  method: "bank_transfer";
  /** The payer must quote this reference so the operator can match the receipt. */
  reference: string;
  amountFen: number;
  /** The same in yuan, as the payer types it into the bank form. */
  amount: string;
  bankName: string;
  accountName: string;
  accountNumber: string;
  note: string;
}

export interface PayoutItem {
  withdrawalId: string;
  /** Who is paid, by Shiftex id: an organisation, or an independent worker (wrk_…). */
  payeeId: string;
  amountFen: bigint;
  bankAccountName: string;
  bankName: string;
  bankAccountNumber: string;
}

export interface PayoutFile {
  filename: string;
  contentType: string;
  body: string;
}

export interface PaymentGateway {
  readonly name: string;
  /** How to pay a top-up in. */
  fundingInstructions(reference: string, amountFen: bigint): FundingInstructions;
  /** The file (or provider request) that pays a batch out. */
  payoutFile(batchId: string, createdAt: Date, items: readonly PayoutItem[]): PayoutFile;
}
