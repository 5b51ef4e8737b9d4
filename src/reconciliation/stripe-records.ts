/**
 * Stripe's records for reconciliation: balance transactions of a period,
 * fetched page by page (pagination by starting_after), each a movement of
 * the platform's Stripe balance identified by its source object (charge,
 * refund, transfer, payout) and the PaymentIntent behind it; the fee Stripe
 * took is a record of its own, identified as "fee:<source>".
 */
import { shanghaiDate } from "../parties";
import type { ProviderRecordRow } from "./reconciliation.repository";
import type { ProviderSource } from "./reconciliation.service";

/** What the source needs of Stripe: one page of balance transactions created in [from, to) (unix seconds), sources expanded. */
export interface BalanceTransactionPages {
  balanceTransactions(range: { from: number; to: number }, startingAfter: string | undefined): Promise<{ data: Record<string, unknown>[]; hasMore: boolean }>;
}

const SHANGHAI_OFFSET_S = 8 * 3600;

function big(v: unknown): bigint {
  return BigInt(typeof v === "number" || typeof v === "string" ? v : 0);
}

/**
 * Stripe's balance transactions as provider records for reconciliation:
 * the movement (signed, as Stripe signs it) identified by its source object
 * (charge, refund, transfer, payout) and the PaymentIntent behind it; the
 * fee Stripe took as a record of its own.
 */
export function balanceTransactionRecords(bt: Record<string, unknown>): Omit<ProviderRecordRow, "contentHash">[] {
  const source = bt["source"];
  const sourceObject = source !== null && typeof source === "object" ? (source as Record<string, unknown>) : undefined;
  const sourceId = typeof source === "string" ? source : (sourceObject?.["id"] as string | undefined);
  // A charge is also known by its PaymentIntent (what the ledger's credit names); a refund names the PaymentIntent too, but
  // it is another movement of it: only its own id identifies it, or it would be taken for the charge.
  const isCharge = bt["type"] === "charge" || bt["type"] === "payment";
  const identifiers = [...new Set([sourceId, isCharge ? (sourceObject?.["payment_intent"] as string | undefined) : undefined].filter((x): x is string => typeof x === "string" && x !== ""))];
  const group = (sourceObject?.["transfer_group"] as string | null | undefined) ?? null;
  const currency = String(bt["currency"] ?? "").toUpperCase();
  const valueDate = shanghaiDate(Number(bt["created"]) * 1000);
  const id = String(bt["id"]);
  const out: Omit<ProviderRecordRow, "contentHash">[] = [
    { provider: "stripe", id, source: `balance_transaction:${String(bt["type"])}`, currency, amountFen: big(bt["amount"]), valueDate, identifiers, transferGroup: group, counterparty: null, reference: (bt["description"] as string | null) ?? null },
  ];
  const fee = big(bt["fee"]);
  if (fee !== 0n) {
    out.push({ provider: "stripe", id: `${id}:fee`, source: "balance_transaction:fee", currency, amountFen: -fee, valueDate, identifiers: sourceId ? [`fee:${sourceId}`] : [], transferGroup: null, counterparty: null, reference: null });
  }
  return out;
}

/** The local days [fromDate, toDate] (Asia/Shanghai) of balance transactions, as one source of provider records. */
export function stripeProviderSource(api: BalanceTransactionPages): ProviderSource {
  return {
    provider: "stripe",
    async fetch(range, onPage) {
      const day = (d: string) => Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10))) / 1000 - SHANGHAI_OFFSET_S;
      const from = day(range.fromDate);
      const to = day(range.toDate) + 86_400;
      let after: string | undefined;
      for (;;) {
        const page = await api.balanceTransactions({ from, to }, after);
        await onPage(page.data.flatMap((bt) => balanceTransactionRecords(bt)) as ProviderRecordRow[]);
        if (!page.hasMore || page.data.length === 0) return;
        after = String(page.data[page.data.length - 1]!["id"]);
      }
    },
  };
}
