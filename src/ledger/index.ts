/** The in-memory double-entry ledger: createAccounts, createTransfers, expirePending, group commit, restore, queries, invariants. */
export { Ledger } from "./ledger";
/** Limits and the reserved-id helpers of the ledger core. */
export { MAX_AMOUNT, MAX_NOW_MS, MAX_TIMEOUT_MS, RESERVED_ID_PREFIX, expireRecordId } from "./ledger";
/** Account codes, account and transfer flag bitmasks, and every result code, as runtime values. */
export {
  ACCOUNT_CODES,
  ACCOUNT_FLAGS_ALL,
  AccountFlags,
  CREATE_ACCOUNT_RESULTS,
  CREATE_TRANSFER_RESULTS,
  TRANSFER_FLAGS_ALL,
  TransferFlags,
} from "./ledger.types";
/** Shapes of accounts, transfers, results and reports. */
export type {
  AccountBalances,
  AccountCode,
  AccountInput,
  AccountRecord,
  AccountSnapshot,
  CreateAccountResult,
  CreateAccountsOutcome,
  CreateTransferResult,
  CreateTransfersOutcome,
  InvariantReport,
  PendingStatus,
  SubmittableTransferKind,
  TransferInput,
  TransferKind,
  TransferRecord,
} from "./ledger.types";
/** Canonical encodings and the sha256 hash chain that make stored transfers tamper-evident. */
export {
  GENESIS_HASH,
  HASH_VERSION,
  canonicalAccount,
  canonicalTransfer,
  hashAccount,
  hashTransfer,
  verifyTransferChain,
} from "./ledger.hash";
/** The two hashes stored with each transfer. */
export type { TransferHashes } from "./ledger.hash";
/** Ledger account ids and definitions: wallets, supplier payables, platform accounts. */
export { CNY, PLATFORM_ACCOUNTS, platformAccountId, platformAccounts, walletAccountId, walletAccount, supplierPayableAccountId, supplierPayableAccount, type PlatformAccountCode } from "./accounts";
/** The single writer of a ledger shard: group commit into PostgreSQL, acks after COMMIT, rebuild on start, committed reads from memory. */
export {
  LedgerCorruptError,
  LedgerShardBusyError,
  LedgerUnavailableError,
  LedgerWriteError,
  openLedgerWriter,
} from "./ledger.writer";
/** Options, reads and reports of the ledger writer. */
export type {
  ChainReport,
  ChainTip,
  LedgerTotals,
  LedgerWriter,
  LedgerWriterLog,
  LedgerWriterOptions,
  StatementLine,
  StatementOptions,
  TrialBalance,
} from "./ledger.writer";
/** HTTP routes of the ledger: accounts, statements, trial balance, verification. */
export { ledgerRoutes } from "./ledger.routes";
/** Whether a ledger result stands, and refusals as the client's error: the one way every module accepts ledger results. */
export { acceptTransfer, accountStands, ledgerRefusal, transferStands } from "./ledger.results";
