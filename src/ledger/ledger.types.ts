/**
 * Shapes and result codes of the ledger core. Modelled on TigerBeetle's
 * accounts, transfers and CreateTransferResult; deviations are documented
 * where they are made (see ledger.ts).
 */

/** What an account is for. One ledger (currency) holds accounts of every code. */
export const ACCOUNT_CODES = [
  "wallet",
  "escrow",
  "supplier_payable",
  "worker_payable",
  "platform_fee",
  "penalty",
  "tax_withheld",
  "clearing",
  "suspense",
] as const;
export type AccountCode = (typeof ACCOUNT_CODES)[number];

/** Account flags, a bitmask fixed at creation. */
export const AccountFlags = {
  none: 0,
  /** debits (posted + pending) may never exceed posted credits: no overdraft on a liability such as a wallet. */
  debitsMustNotExceedCredits: 1 << 0,
  /** credits (posted + pending) may never exceed posted debits: for asset-style accounts. */
  creditsMustNotExceedDebits: 1 << 1,
  /** created frozen, for good. Accounts are frozen for a while by closing transfers instead. */
  frozen: 1 << 2,
} as const;
export const ACCOUNT_FLAGS_ALL = 0b111;

/** Transfer modifier flags, a bitmask. The kind (single/pending/post/void) is a separate field. */
export const TransferFlags = {
  none: 0,
  /** chains to the next transfer of the batch: the chain succeeds or fails as a unit. */
  linked: 1 << 0,
  /** move at most `amount` (null = no cap), less if the debit account's posted credits cannot cover it. */
  balancingDebit: 1 << 1,
  /** move at most `amount` (null = no cap), less if the credit account's posted debits cannot cover it. */
  balancingCredit: 1 << 2,
  /** pending only: freezes the debit account until this hold is voided or expires. */
  closingDebit: 1 << 3,
  /** pending only: freezes the credit account until this hold is voided or expires. */
  closingCredit: 1 << 4,
} as const;
export const TRANSFER_FLAGS_ALL = 0b11111;

/** single: posts at once. pending: a hold. post/void: resolve a hold. expire: written by the ledger only. */
export type TransferKind = "single" | "pending" | "post" | "void" | "expire";
/** The kinds a caller may submit; expiry records are produced by the ledger itself. */
export type SubmittableTransferKind = Exclude<TransferKind, "expire">;

/** State of a hold. A hold leaves `pending` at most once. */
export type PendingStatus = "pending" | "posted" | "voided" | "expired";

/** An account as a caller asks for it. */
export interface AccountInput {
  /** client-chosen, e.g. "acc_wallet_org123_CNY"; never reused. */
  id: string;
  /** currency, e.g. "CNY": transfers only move money between accounts of one ledger. */
  ledger: string;
  code: AccountCode;
  /** organisation, worker or contract the account belongs to; null for platform accounts. */
  ownerId?: string | null;
  /** AccountFlags bitmask; default none. */
  flags?: number;
  userData?: string | null;
}

/** An account as stored: immutable after creation. Balances are derived from transfers. */
export interface AccountRecord {
  readonly id: string;
  readonly ledger: string;
  readonly code: AccountCode;
  readonly ownerId: string | null;
  readonly flags: number;
  readonly userData: string | null;
  /** assigned by the ledger, µs since the Unix epoch, unique and increasing with transfer timestamps. */
  readonly timestamp: number;
}

/** Balances of one account, in fen. */
export interface AccountBalances {
  readonly debitsPending: bigint;
  readonly debitsPosted: bigint;
  readonly creditsPending: bigint;
  readonly creditsPosted: bigint;
  /** frozen at creation, or by a closing hold still pending. */
  readonly frozen: boolean;
}

/** An account with its current balances. */
export interface AccountSnapshot extends AccountRecord, AccountBalances {}

/**
 * A transfer as a caller asks for it.
 *
 * - single / pending: debitAccountId, creditAccountId, amount, ledger, code are
 *   required. `amount` must be > 0, except: a closing hold may be 0, and with a
 *   balancing flag `amount` is a cap (null = no cap). pending may set timeoutMs.
 * - post / void: pendingId is required. debitAccountId, creditAccountId, ledger,
 *   code and userData may be omitted (null/undefined) and are then taken from
 *   the hold; if given they must match it. post: amount null = the full hold,
 *   otherwise 0 < amount ≤ hold, and the rest is released. void: amount null or
 *   equal to the hold.
 */
export interface TransferInput {
  /** client-chosen, the idempotency key; ids starting with "~" are reserved for the ledger. */
  id: string;
  /** default "single". */
  kind?: SubmittableTransferKind;
  debitAccountId?: string | null;
  creditAccountId?: string | null;
  /** fen. */
  amount?: bigint | null;
  pendingId?: string | null;
  ledger?: string | null;
  /** reason code, e.g. "order_hold", "fill", "settlement". */
  code?: string | null;
  /** TransferFlags bitmask; default none. */
  flags?: number;
  /** pending only: the hold expires timeoutMs after its timestamp; 0/absent = never. */
  timeoutMs?: number;
  /** opaque reference, e.g. a contract or order id. */
  userData?: string | null;
}

/** A transfer as stored: every field resolved, immutable, appended in timestamp order. */
export interface TransferRecord {
  readonly id: string;
  readonly kind: TransferKind;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  /** fen actually moved (single/post), held (pending) or released (void/expire). */
  readonly amount: bigint;
  /** post/void/expire: the hold; otherwise null. */
  readonly pendingId: string | null;
  readonly ledger: string;
  readonly code: string;
  readonly flags: number;
  /** pending only; 0 = never expires. */
  readonly timeoutMs: number;
  readonly userData: string | null;
  /** assigned by the ledger: µs since the Unix epoch, strictly increasing. */
  readonly timestamp: number;
}

export const CREATE_ACCOUNT_RESULTS = [
  "ok",
  "exists",
  "exists_with_different_fields",
  "id_must_not_be_empty",
  "ledger_must_not_be_empty",
  "code_invalid",
  "reserved_flag",
  "flags_are_mutually_exclusive",
  "owner_id_invalid",
  "user_data_invalid",
] as const;
/** Outcome of one account in createAccounts. */
export type CreateAccountResult = (typeof CREATE_ACCOUNT_RESULTS)[number];

/**
 * Outcome of one transfer in createTransfers. Apart from the chain codes,
 * listed in the order the checks run: the first failing check wins. Only `ok`
 * stores anything; `exists` means an identical transfer is already stored and
 * nothing changed (it does not fail a chain).
 */
export const CREATE_TRANSFER_RESULTS = [
  "ok",
  "exists",
  // chains
  "linked_event_failed",
  "linked_event_chain_open",
  // every kind, before the idempotency check
  "id_must_not_be_empty",
  "id_is_reserved",
  "kind_invalid",
  "reserved_flag",
  // idempotency
  "exists_with_different_fields",
  // single and pending
  "debit_account_id_must_not_be_empty",
  "credit_account_id_must_not_be_empty",
  "accounts_must_be_different",
  "pending_id_must_be_empty",
  "timeout_reserved_for_pending_transfer",
  "timeout_invalid",
  "closing_transfer_must_be_pending",
  "ledger_must_not_be_empty",
  "code_must_not_be_empty",
  "user_data_invalid",
  "amount_invalid",
  "amount_must_not_be_negative",
  "amount_must_not_be_zero",
  "debit_account_not_found",
  "credit_account_not_found",
  "accounts_must_have_the_same_ledger",
  "transfer_must_have_the_same_ledger_as_accounts",
  "debit_account_frozen",
  "credit_account_frozen",
  "overflows_debits",
  "overflows_credits",
  "exceeds_credits",
  "exceeds_debits",
  // post and void (also use timeout_reserved_for_pending_transfer, user_data_invalid, amount_*, *_frozen)
  "pending_id_must_not_be_empty",
  "pending_id_must_be_different",
  "flags_are_mutually_exclusive",
  "pending_transfer_not_found",
  "pending_transfer_not_pending",
  "pending_transfer_has_different_debit_account_id",
  "pending_transfer_has_different_credit_account_id",
  "pending_transfer_has_different_ledger",
  "pending_transfer_has_different_code",
  "pending_transfer_already_posted",
  "pending_transfer_already_voided",
  "pending_transfer_expired",
  "exceeds_pending_transfer_amount",
  "pending_transfer_has_different_amount",
] as const;
/** Outcome of one transfer in createTransfers. */
export type CreateTransferResult = (typeof CREATE_TRANSFER_RESULTS)[number];

/** What createAccounts returns. */
export interface CreateAccountsOutcome {
  /** one per input, same order. */
  readonly results: CreateAccountResult[];
  /** the accounts created, in timestamp order: persist exactly these. */
  readonly records: AccountRecord[];
}

/** What createTransfers returns. */
export interface CreateTransfersOutcome {
  /** one per input, same order. */
  readonly results: CreateTransferResult[];
  /**
   * every transfer appended by this call, in timestamp order: first the
   * expiries of holds due at `nowMs`, then the accepted inputs (those whose
   * result is `ok`, in input order). Persist exactly these, in this order.
   */
  readonly records: TransferRecord[];
}

/** Result of Ledger.invariants(). */
export interface InvariantReport {
  readonly ok: boolean;
  readonly problems: string[];
}
