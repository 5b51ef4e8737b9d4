/**
 * Offline gateway: the payer sends a bank transfer quoting a reference; an
 * operator confirms the receipt; payouts leave as a CSV batch file for the
 * bank's bulk-payment upload (UTF-8 with a byte order mark, so Excel opens
 * it with the Chinese payee names intact).
 */
import { CSV_CONTENT_TYPE, csvDocument } from "../shared/csv";
import { fenToJsonNumber, fenToYuan } from "../shared/money";
import type { PaymentGateway, PayoutItem } from "./gateway";

export interface EscrowBankAccount {
  bankName: string;
  accountName: string;
  accountNumber: string;
}

export function createOfflineGateway(bank: EscrowBankAccount): PaymentGateway {
  return {
    name: "offline",
    fundingInstructions(reference, amountFen) {
      return {
        method: "bank_transfer",
        reference,
        amountFen: fenToJsonNumber(amountFen),
        amount: fenToYuan(amountFen),
        bankName: bank.bankName,
        accountName: bank.accountName,
        accountNumber: bank.accountNumber,
        note: `Quote ${reference} as the payment reference (附言). The wallet is credited when an operator confirms the receipt.`,
      };
    },
    payoutFile(batchId, createdAt, items: readonly PayoutItem[]) {
      const header = ["batch_id", "withdrawal_id", "organisation_id", "payee_name", "bank_name", "account_number", "amount_yuan", "amount_fen", "created_at"];
      // Every cell is text (amounts included), as the bank's upload has always received them. The organisation_id
      // column names the payee as it always has; an independent worker's payout carries the worker's id (wrk_…) there.
      const rows = items.map((i) => [batchId, i.withdrawalId, i.payeeId, i.bankAccountName, i.bankName, i.bankAccountNumber, fenToYuan(i.amountFen), i.amountFen.toString(), createdAt.toISOString()]);
      return { filename: `payout-${batchId}.csv`, contentType: CSV_CONTENT_TYPE, body: csvDocument(header, rows) };
    },
  };
}
