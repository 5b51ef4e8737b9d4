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
/** Canonical encodings and the one sha256 hash chain over a shard's accounts and transfers. */
export {
  GENESIS_HASH,
  HASH_VERSION,
  canonicalAccount,
  canonicalTransfer,
  chainLink,
  contentHashOf,
  hashAccount,
  hashTransfer,
  transferContentHash,
  walkChain,
} from "./ledger.hash";
/** A stored record of the chain, its hashes, and what a walk along it reports. */
export type { ChainEntry, ChainFault, ChainPosition, CheckpointClaim, TransferHashes } from "./ledger.hash";
/** Ed25519-signed checkpoints of the chain: payload, signing, verification, published keys. */
export {
  CHECKPOINT_PAYLOAD_TAG,
  checkpointPayload,
  checkpointVerifier,
  developmentSigningKey,
  ed25519KeyFromSeed,
  keyIdOf,
  publishKey,
  signCheckpoint,
} from "./ledger.checkpoint";
/** A checkpoint and the published form of a key. */
export type { Checkpoint, CheckpointCheck, CheckpointFields, PublishedKey } from "./ledger.checkpoint";
/** Verification of the stored chain against the checkpoints (full, or incremental from the newest). */
export { verifyStoredChain } from "./ledger.verifier";
/** Ledger account ids and definitions: wallets, supplier payables, platform accounts. */
export {
  CNY,
  PLATFORM_ACCOUNTS,
  platformAccountId,
  platformAccounts,
  walletAccountId,
  walletAccount,
  supplierPayableAccountId,
  supplierPayableAccount,
  workerPayableAccountId,
  workerPayableAccount,
  type PlatformAccountCode,
} from "./accounts";
/** The single writer of a ledger shard is the shard's sequencer (src/sequencer): group commit, acks after COMMIT, rebuild on start, committed reads. */
export {
  LedgerCorruptError,
  LedgerShardBusyError,
  LedgerUnavailableError,
  LedgerWriteError,
  openLedgerWriter,
} from "../sequencer";
/** Options, reads and reports of the ledger writer. */
export type {
  ChainReport,
  VerifyMode,
  ChainTip,
  LedgerTotals,
  LedgerWriter,
  LedgerWriterLog,
  LedgerWriterOptions,
  StatementLine,
  StatementOptions,
  TrialBalance,
} from "../sequencer";
/** Window mode, snapshots and encodings of the in-memory ledger. */
export { decodeTransfer, encodeTransfer, type EncodedTransfer, type EvictedTotals, type LedgerOptions, type LedgerSnapshot } from "./ledger";
/** The ledger module built from the config: the verified single writer and the service. */
export { createLedgerModule, type LedgerModule, type LedgerModuleDeps } from "./ledger.module";
/** Authorisation, ownership and views of accounts, statements, reports and checkpoints. */
export { createLedgerService, type LedgerService, type LedgerServiceDeps } from "./ledger.service";
/** The reads of the service (statements, checkpoints). */
export { createLedgerRepository, type LedgerRepository } from "./ledger.repository";
/** HTTP routes of the ledger: accounts, statements, trial balance, verification, public checkpoints. */
export { ledgerRoutes } from "./ledger.routes";
/** Whether a ledger result stands, and refusals as the client's error: the one way every module accepts ledger results. */
export { acceptTransfer, accountStands, ledgerRefusal, transferStands } from "./ledger.results";
