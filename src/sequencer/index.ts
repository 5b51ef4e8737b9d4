/** The sequencer: the single writer of a shard, hosting its order books and the ledger's balances. */
export { INITIAL_EXCHANGE_SETTINGS, openLedgerWriter, openSequencer } from "./sequencer";
/** Options, reads, views and reports of the sequencer (and of the ledger writer it implements). */
export type {
  BookLevel,
  BookView,
  ChainReport,
  ChainTip,
  LedgerTotals,
  LedgerWriter,
  LedgerWriterLog,
  LedgerWriterOptions,
  Sequencer,
  SequencerOptions,
  SequencerStats,
  StatementLine,
  StatementOptions,
  TrialBalance,
  VerifyMode,
} from "./sequencer";
/** Busy shard, corrupt stored state, unavailable writer, unacknowledged write. */
export { LedgerCorruptError, LedgerShardBusyError, LedgerUnavailableError, LedgerWriteError } from "./errors";
/** The journal's command shapes. */
export type { JournalCommand } from "./batch";
