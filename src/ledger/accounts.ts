/**
 * Names of the ledger's accounts. Ids say what an account is, so statements
 * and audits read without look-ups: "wallet:org_…:CNY", "platform:clearing:CNY".
 */
import { AccountFlags, type AccountCode, type AccountInput } from "./ledger.types";

/** The one currency of the Chongqing shard. */
export const CNY = "CNY";

/** The platform's own accounts, one per currency. */
export const PLATFORM_ACCOUNTS = ["clearing", "platform_fee", "penalty", "tax_withheld", "suspense"] as const satisfies readonly AccountCode[];
export type PlatformAccountCode = (typeof PLATFORM_ACCOUNTS)[number];

export function platformAccountId(code: PlatformAccountCode, ledger = CNY): string {
  return `platform:${code}:${ledger}`;
}

/** An enterprise's wallet: money it paid in and has not committed to shifts. */
export function walletAccountId(organisationId: string, ledger = CNY): string {
  return `wallet:${organisationId}:${ledger}`;
}

/** What the platform owes a supplier (agency or lending enterprise) for approved work. */
export function supplierPayableAccountId(organisationId: string, ledger = CNY): string {
  return `supplier_payable:${organisationId}:${ledger}`;
}

/** What the platform owes an independent worker (no supplier) for approved work, net of withholding. */
export function workerPayableAccountId(workerId: string, ledger = CNY): string {
  return `worker_payable:${workerId}:${ledger}`;
}

/** Money owned by customers: it may never go below zero, holds included. */
const CUSTOMER_FLAGS = AccountFlags.debitsMustNotExceedCredits;

export function walletAccount(organisationId: string, ledger = CNY): AccountInput {
  return { id: walletAccountId(organisationId, ledger), ledger, code: "wallet", ownerId: organisationId, flags: CUSTOMER_FLAGS };
}

export function supplierPayableAccount(organisationId: string, ledger = CNY): AccountInput {
  return { id: supplierPayableAccountId(organisationId, ledger), ledger, code: "supplier_payable", ownerId: organisationId, flags: CUSTOMER_FLAGS };
}

export function workerPayableAccount(workerId: string, ledger = CNY): AccountInput {
  return { id: workerPayableAccountId(workerId, ledger), ledger, code: "worker_payable", ownerId: workerId, flags: CUSTOMER_FLAGS };
}

/** The platform accounts of a ledger; clearing mirrors the bank account and so has no limit. */
export function platformAccounts(ledger = CNY): AccountInput[] {
  return PLATFORM_ACCOUNTS.map((code) => ({ id: platformAccountId(code, ledger), ledger, code, ownerId: null, flags: AccountFlags.none }));
}
