/**
 * Offline gateway: the payer sends a bank transfer quoting a reference; an
 * operator confirms the receipt; payouts leave as a CSV batch file for the
 * bank's bulk-payment upload (UTF-8 with a byte order mark, so Excel opens
 * it with the Chinese payee names intact).
 */
import { fenToJsonNumber, fenToYuan } from "../shared/money";
import type { PaymentGateway, PayoutItem } from "./gateway";

export interface EscrowBankAccount {
  bankName: string;
  accountName: string;
  accountNumber: string;
}

/** A CSV field, quoted when it holds a separator, quote or line break; formula-leading characters are neutralised. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
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
      const lines = items.map((i) =>
        [batchId, i.withdrawalId, i.organisationId, i.bankAccountName, i.bankName, i.bankAccountNumber, fenToYuan(i.amountFen), i.amountFen.toString(), createdAt.toISOString()]
          .map(csvField)
          .join(","),
      );
      // The byte order mark tells Excel the file is UTF-8; without it Excel reads it in the system code page and the Chinese names break.
      return { filename: `payout-${batchId}.csv`, contentType: "text/csv; charset=utf-8", body: `\uFEFF${[header.join(","), ...lines].join("\r\n")}\r\n` };
    },
  };
}
