/**
 * The one place that decides whether a ledger result means "the movement
 * stands" and turns a refusal into the client's error. Every module that
 * moves money accepts ledger results through these, so a retried posting
 * (`exists`) is success everywhere and a refusal reads the same everywhere.
 */
import { DomainError } from "../shared/errors";
import type { CreateAccountResult, CreateTransferResult } from "./ledger.types";

/** ok or exists: the transfer is in the ledger (now, or from an earlier try with the same id). */
export function transferStands(result: CreateTransferResult): boolean {
  return result === "ok" || result === "exists";
}

/** ok or exists: the account is in the ledger. */
export function accountStands(result: CreateAccountResult): boolean {
  return result === "ok" || result === "exists";
}

/** A refused movement as the client's error; `field` names the input that caused it. */
export function ledgerRefusal(result: CreateTransferResult, field: string): DomainError {
  switch (result) {
    case "exceeds_credits":
      return new DomainError("unprocessable", "the account does not hold enough money (holds included)", { field, result });
    case "debit_account_not_found":
      return new DomainError("unprocessable", "there is no money in this account yet", { field, result });
    case "debit_account_frozen":
    case "credit_account_frozen":
      return new DomainError("conflict", "the account is frozen", { result });
    case "exists_with_different_fields":
      return new DomainError("conflict", "this movement was already recorded with different values", { result });
    default:
      return new DomainError("conflict", `the ledger refused the movement: ${result}`, { result });
  }
}

/**
 * Accepts a transfer result: returns when the movement stands (or its result
 * is one of `alsoFine`, e.g. a void of a hold that already expired), throws
 * the client's error otherwise.
 */
export function acceptTransfer(result: CreateTransferResult, field: string, alsoFine: readonly CreateTransferResult[] = []): void {
  if (transferStands(result) || alsoFine.includes(result)) return;
  throw ledgerRefusal(result, field);
}
