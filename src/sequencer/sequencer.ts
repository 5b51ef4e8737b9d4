/**
 * The sequencer: the single writer of one shard. It hosts the shard's order
 * books and the ledger's balances in memory (ShardState), applies every
 * command the moment it arrives, writes each batch of commands as ONE
 * statement, and acknowledges a command only after its batch committed.
 * Orders, fills, contracts, ledger transfers and payments' movements all go
 * through it, so balances never race.
 *
 * Pipeline. Commands are applied to memory on arrival, into the open batch.
 * While batch N's statement is in flight, batch N+1 fills up on top of N's
 * uncommitted state; the moment N commits, N+1 is sealed and sent. If N
 * fails, N+1 was never sent: its commands are applied again after the state
 * is rebuilt (a replay from the newest snapshot and the journal); N's
 * callers learn "not_written" (the server refused the statement) or
 * "unknown" (the connection died with it in flight: retry with the same
 * ids). Reads (balances, holds, books) show committed state only: the
 * effects of batches not yet committed are subtracted (PendingView), books
 * are published as of their batch's commit.
 *
 * Durability and recovery. Each batch's statement carries the batch's
 * journal entry (every applied command in sequence order, with its instant
 * and, for ledger calls, each input's result), the ledger records with their
 * chain positions, hashes and running totals, the orders' rows and the
 * contracts. Start-up verifies the stored chain against the signed
 * checkpoints (src/ledger/ledger.verifier.ts), loads the newest signed
 * snapshot, checks that every position after it is stored exactly once and
 * re-hashes the accounts after it, and replays the journal after it batch by
 * batch, proving that the replay reaches the stored chain hash at every
 * batch's end.
 *
 * Bounded memory. Memory holds balances of the accounts in use, every
 * pending hold, open orders and books, and windows of recent transfer ids
 * and order keys. An id older than a window is looked up in PostgreSQL (its
 * unique index), batched per round, before the command that names it is
 * applied; idle accounts holding nothing are evicted and loaded back from
 * their last transfer's running totals. A snapshot is written every
 * `snapshotEvery` journal entries and on close.
 *
 * Time. A timer submits a tick: holds whose time-out passed expire in the
 * ledger, orders whose good-till passed expire in the books; the tick is
 * journalled with its instant, so a replay reproduces it.
 *
 * Fencing. The sequencer writes on one dedicated connection that holds the
 * shard's session-level advisory lock; a second sequencer of the shard
 * fails to open, and one whose session died must take the lock again
 * before it rebuilds.
 */
import type { KeyObject } from "node:crypto";
import type { SqlClient, SqlPool } from "../infra/db";
import type { Bus } from "../infra/bus";
import type { Clock } from "../shared/clock";
import { DomainError } from "../shared/errors";
import type { BookChanged, DepthLevelEvent } from "../shared/events";
import { shanghaiIso } from "../parties/catalogue";
import { Ledger } from "../ledger/ledger";
import { checkpointVerifier, developmentSigningKey, publicKeyOf, signCheckpoint, type Checkpoint, type CheckpointCheck } from "../ledger/ledger.checkpoint";
import { hashAccount } from "../ledger/ledger.hash";
import {
  chainPage,
  insertCheckpoint,
  latestCheckpoint,
  loadAccounts,
  statement as readStatement,
  transferPages,
  tryLockShard,
  unlockShard,
  type StatementLine,
} from "../ledger/ledger.repository";
import { verifyStoredChain, type ChainReport, type VerifyMode } from "../ledger/ledger.verifier";
import type {
  AccountBalances,
  AccountCode,
  AccountInput,
  AccountSnapshot,
  CreateAccountsOutcome,
  CreateTransfersOutcome,
  InvariantReport,
  PendingStatus,
  TransferInput,
  TransferRecord,
} from "../ledger/ledger.types";
import {
  ExchangeCore,
  ORDER_HOLDS_ACCOUNT,
  type CancelAllOutcome,
  type ColourOutcome,
  type ExchangeCommand,
  type ExchangeSettings,
  type MarketDepth,
  type OrderOutcome,
} from "../exchange/exchange.core";
import { Batch, type ChainTip, type JournalCommand, type Waiter } from "./batch";
import { LedgerCorruptError, LedgerShardBusyError, LedgerUnavailableError, LedgerWriteError, definitelyNotWritten, describe } from "./errors";
import {
  accountsAfter,
  appendBatch,
  batchParams,
  firstGap,
  journalPage,
  lastJournalSeq,
  latestSnapshot,
  lookupAccounts,
  lookupDedupeKeys,
  lookupTransfers,
  recordsAfter,
  storeSnapshot,
} from "./sequencer.repository";
import { GENESIS, ReplayError, ShardState, committedAccount, type LiveCommand, type ShardSnapshot } from "./shard-state";
import { signSnapshot, snapshotFault } from "./snapshot";
import { decodeJournal, decodeTransferInput } from "./journal";

export type { StatementLine } from "../ledger/ledger.repository";
export type { ChainReport, VerifyMode } from "../ledger/ledger.verifier";
export type { ChainTip } from "./batch";

/** The subset of a pino logger the sequencer uses. */
export interface LedgerWriterLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * The exchange rules a shard starts from. A replay begins with these and
 * applies the journalled settings changes, so they must never change: set
 * other values through the configuration (they are journalled at open).
 */
export const INITIAL_EXCHANGE_SETTINGS: ExchangeSettings = Object.freeze({
  feeRate: "0.05",
  tickFen: 50,
  maxRateFen: 50_000,
  horizonDays: 30,
  minLeadMs: 4 * 3_600_000,
  staffingLeadMs: 2 * 3_600_000,
});

export interface SequencerOptions {
  readonly sql: SqlPool;
  readonly clock: Clock;
  /** the shard this sequencer owns; default "main". */
  readonly shard?: string;
  /** most inputs per ledger call, and the size a batch grows to before the next one starts; default 8190. */
  readonly maxBatchTransfers?: number;
  /** how often the clock ticks (expiries of holds and orders); default 1000 ms; 0 = never (calls still expire due holds). */
  readonly expiryIntervalMs?: number;
  /** Ed25519 private key that signs checkpoints and snapshots; default: the fixed development key (config.ts refuses that in production). */
  readonly signingKey?: KeyObject;
  /** public keys of earlier signing keys whose checkpoints and snapshots still verify. */
  readonly previousPublicKeys?: readonly KeyObject[];
  /** longest time between checkpoints while the chain grows; default 60 000 ms; 0 = only at open and close (and checkpoint()). */
  readonly checkpointIntervalMs?: number;
  /** how opening checks the stored chain: "incremental" (default) from the newest checkpoint on, or "full". */
  readonly verifyOnOpen?: VerifyMode;
  readonly log?: LedgerWriterLog;
  /** the exchange's rules; journalled at open when they differ from the shard's. Default: INITIAL_EXCHANGE_SETTINGS. */
  readonly exchange?: ExchangeSettings;
  /** recent transfers kept in memory (older ids are looked up in PostgreSQL); default 100 000. */
  readonly recentTransfers?: number;
  /** recent order keys (client order ids) kept in memory; default 100 000. */
  readonly recentOrders?: number;
  /** a snapshot after this many journal entries; default 50 000; 0 = never periodically. */
  readonly snapshotEvery?: number;
  /** close writes a snapshot if at least this many entries followed the last one; default 1000. */
  readonly snapshotOnCloseAfter?: number;
  /** an account holding nothing is evicted from memory after this long without a transfer; default 600 000 ms. */
  readonly evictAfterMs?: number;
  /** where committed events go. */
  readonly bus?: Bus;
}
/** The options of the ledger's single writer: the sequencer's. */
export type LedgerWriterOptions = SequencerOptions;

/** Totals of one ledger (currency) or of one account code in it, in fen. */
export interface LedgerTotals {
  readonly ledger: string;
  readonly accounts: number;
  readonly debitsPosted: bigint;
  readonly creditsPosted: bigint;
  readonly debitsPending: bigint;
  readonly creditsPending: bigint;
}

/** Committed totals per ledger and per account code. */
export interface TrialBalance {
  /** µs timestamp of the last committed record the totals include. */
  readonly asOf: number;
  readonly ledgers: LedgerTotals[];
  readonly codes: Array<LedgerTotals & { readonly code: AccountCode }>;
}

/** Options of statement(). */
export interface StatementOptions {
  /** µs timestamp of the last line already seen (exclusive cursor); default: from the first transfer. */
  readonly afterTimestamp?: number;
  /** default 100, at most 1000. */
  readonly limit?: number;
}

/** The ledger's single writer: what payments, the ledger service and tests use. */
export interface LedgerWriter {
  readonly shard: string;
  /** most accounts or transfers per call. */
  readonly batchSize: number;
  createAccounts(inputs: readonly AccountInput[]): Promise<CreateAccountsOutcome>;
  /** Applies a batch (expiring due holds first); resolves after its records are committed. */
  createTransfers(batch: readonly TransferInput[]): Promise<CreateTransfersOutcome>;
  /** Expires due holds (and orders) now; resolves with the committed expiry records of holds. */
  expirePending(): Promise<TransferRecord[]>;
  /** A committed account with its balances (accounts evicted from memory read as absent: they hold nothing). */
  lookupAccount(id: string): AccountSnapshot | undefined;
  balances(id: string): AccountBalances | undefined;
  /** A committed transfer among the recent ones (and pending holds). */
  lookupTransfer(id: string): TransferRecord | undefined;
  /** Committed state of a recent or pending hold. */
  holdStatus(id: string): PendingStatus | undefined;
  /** An account's committed transfers from the database, oldest first, with running posted totals. */
  statement(accountId: string, options?: StatementOptions): Promise<StatementLine[]>;
  trialBalance(): TrialBalance;
  /** The in-memory checks of the ledger and of the exchange. */
  invariants(): InvariantReport;
  verifyChain(options?: { pageSize?: number }): Promise<ChainReport>;
  checkpoint(): Promise<Checkpoint | undefined>;
  readonly lastCheckpoint: Checkpoint | undefined;
  /** The end of the committed chain. */
  readonly tip: ChainTip;
  close(): Promise<void>;
}

/** One level of a published book. */
export interface BookLevel {
  readonly rateFen: number;
  readonly qty: number;
  readonly orders: number;
}

/** A market's book as of the last commit that changed it. */
export interface BookView {
  readonly market: string;
  /** +1 per published change of this market's book. */
  readonly bookSeq: number;
  /** journal position of the batch that published it. */
  readonly seq: number;
  readonly demand: readonly BookLevel[];
  readonly supply: readonly BookLevel[];
  readonly openOrders: number;
}

/** What the sequencer holds in memory, for operators and benchmarks. */
export interface SequencerStats {
  readonly seq: number;
  readonly accountsInMemory: number;
  readonly recentTransfers: number;
  readonly openOrders: number;
  readonly markets: number;
  readonly rememberedOrderKeys: number;
}

/** The sequencer: the ledger writer plus the exchange's commands and books. */
export interface Sequencer extends LedgerWriter {
  /** Runs an exchange command; resolves after the batch holding it committed. */
  submit(cmd: ExchangeCommand): Promise<OrderOutcome | CancelAllOutcome | ColourOutcome>;
  /** A market's committed book, or an empty one. */
  book(market: string): BookView;
  /** The rating the last `colour` command gave an organisation (undefined: none yet; the edge's facts stand). */
  colourOf(organisationId: string): "red" | "blue" | "black" | undefined;
  /** Committed books of every market that has one. */
  books(): BookView[];
  /** The last committed journal position. */
  readonly seq: number;
  /** Writes a snapshot of the committed state now (between batches); resolves with its journal position. */
  snapshot(): Promise<number>;
  stats(): SequencerStats;
  /** The exchange settings in force. */
  readonly settings: ExchangeSettings;
}

// ------------------------------------------------------------------ input checks

// NUL is refused by PostgreSQL text and a lone surrogate would be stored as U+FFFD:
// either would poison a whole batch or break the chain, so they are refused up front.
const BAD_TEXT = /[\u0000]|\p{Cs}/u;

function badText(v: unknown): boolean {
  return typeof v === "string" && BAD_TEXT.test(v);
}

function badNumber(v: unknown): boolean {
  // NaN and Infinity would not survive the journal's JSON
  return typeof v === "number" && !Number.isFinite(v);
}

function checkAccounts(inputs: readonly AccountInput[], max: number): DomainError | undefined {
  if (!Array.isArray(inputs)) return new DomainError("validation_failed", "accounts must be an array");
  if (inputs.length > max) return new DomainError("validation_failed", `at most ${max} accounts per call`);
  for (let i = 0; i < inputs.length; i++) {
    const a = inputs[i] as AccountInput;
    if (a === null || typeof a !== "object") return new DomainError("validation_failed", `accounts[${i}] must be an object`, { field: `/${i}` });
    for (const f of ["id", "ledger", "code", "ownerId", "userData"] as const) {
      if (badText(a[f])) return new DomainError("validation_failed", `accounts[${i}].${f} holds NUL or an unpaired surrogate`, { field: `/${i}/${f}` });
    }
    if (badNumber(a.flags)) return new DomainError("validation_failed", `accounts[${i}].flags must be a finite number`, { field: `/${i}/flags` });
  }
  return undefined;
}

const TRANSFER_TEXT_FIELDS = ["id", "debitAccountId", "creditAccountId", "pendingId", "ledger", "code", "userData"] as const;

function checkTransfers(batch: readonly TransferInput[], max: number): DomainError | undefined {
  if (!Array.isArray(batch)) return new DomainError("validation_failed", "transfers must be an array");
  if (batch.length > max) return new DomainError("validation_failed", `at most ${max} transfers per call`);
  for (let i = 0; i < batch.length; i++) {
    const t = batch[i] as TransferInput;
    if (t === null || typeof t !== "object") return new DomainError("validation_failed", `transfers[${i}] must be an object`, { field: `/${i}` });
    for (const f of TRANSFER_TEXT_FIELDS) {
      if (badText(t[f])) return new DomainError("validation_failed", `transfers[${i}].${f} holds NUL or an unpaired surrogate`, { field: `/${i}/${f}` });
    }
    for (const f of ["flags", "timeoutMs", "amount"] as const) {
      if (badNumber(t[f])) return new DomainError("validation_failed", `transfers[${i}].${f} must be finite`, { field: `/${i}/${f}` });
    }
  }
  return undefined;
}

// ------------------------------------------------------------------ session and loading

interface Session {
  readonly conn: SqlClient;
  release(): Promise<void>;
}

/**
 * A dedicated connection holding the shard's session-level advisory lock
 * until release(). sql.withConnection keeps the connection for as long as
 * its callback runs, so the callback waits for release().
 */
function openSession(sql: SqlPool, shard: string): Promise<Session> {
  return new Promise<Session>((resolve, reject) => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let opened = false;
    const done: Promise<void> = sql.withConnection(async (conn) => {
      if (!(await tryLockShard(conn, shard))) throw new LedgerShardBusyError(shard);
      opened = true;
      resolve({
        conn,
        async release() {
          release();
          await done.catch(() => undefined);
        },
      });
      await released;
      await unlockShard(conn, shard).catch(() => undefined);
    });
    done.catch((err: unknown) => {
      if (!opened) reject(err);
    });
  });
}

// One sequencer per shard and pool inside a process (PGlite's advisory lock is re-entrant).
const openShards = new WeakMap<SqlPool, Set<string>>();

const JOURNAL_PAGE = 200;
const LEGACY_PAGE = 20_000;

/** How a sequencer checks and signs. */
interface Signing {
  readonly key: KeyObject;
  readonly trusted: readonly KeyObject[];
  readonly check: (c: Checkpoint) => CheckpointCheck;
}

function signingOf(options: SequencerOptions): Signing {
  const key = options.signingKey ?? developmentSigningKey();
  const trusted = [publicKeyOf(key), ...(options.previousPublicKeys ?? [])];
  return { key, trusted, check: checkpointVerifier(trusted) };
}

interface LoadContext {
  readonly conn: SqlClient;
  readonly shard: string;
  readonly signing: Signing;
  readonly mode: VerifyMode;
  readonly log: LedgerWriterLog | undefined;
  readonly recentTransfers: number;
  /** what this process had committed before (a rebuild): the stored chain must still reach it. */
  readonly committed?: ChainTip;
}

/** The accounts a journalled command needs in memory to replay (ledger calls' accounts evicted before). */
function replayNeeds(state: ShardState, entry: JournalCommand): string[] {
  if (entry.t !== "transfers") return [];
  const out: string[] = [];
  entry.batch.forEach((encoded, i) => {
    if (entry.results[i] !== "ok") return;
    const t = decodeTransferInput(encoded);
    const kind = t.kind ?? "single";
    if (kind !== "single" && kind !== "pending") return;
    for (const f of ["debitAccountId", "creditAccountId"] as const) {
      const id = t[f];
      if (typeof id === "string" && !state.ledger.hasAccount(id)) out.push(id);
    }
  });
  return out;
}

/**
 * Builds the state from PostgreSQL: verifies the stored chain, loads the
 * newest snapshot (or, for a ledger written before the journal existed,
 * replays its rows), checks the records after it, replays the journal.
 */
async function loadState(ctx: LoadContext): Promise<{ state: ShardState; checkpoint: Checkpoint | undefined; snapshotSeq: number }> {
  const { conn, shard, signing, mode, log } = ctx;
  const report = await verifyStoredChain(conn, shard, {
    mode,
    check: signing.check,
    ...(ctx.committed !== undefined && ctx.committed.sequence > 0 ? { committed: ctx.committed } : {}),
  });
  if (report.firstBad !== undefined) throw LedgerCorruptError.from(shard, report.firstBad, mode);
  log?.info(
    { shard, mode, checked: report.checked, from: report.from, through: report.through, lastCheckpoint: report.lastCheckpoint?.sequence ?? null },
    "ledger: stored chain verified",
  );

  const options = { recentTransfers: ctx.recentTransfers };
  let state: ShardState;
  let snapshotSeq = 0;
  const snap = await latestSnapshot(conn, shard);
  const lastEntry = await lastJournalSeq(conn, shard);
  if (snap !== undefined) {
    const fault = snapshotFault(signing.trusted, shard, snap);
    if (fault !== undefined) throw new LedgerCorruptError(shard, `the snapshot after journal entry ${snap.journalSeq} cannot be trusted: ${fault}`, undefined, snap.chainSequence);
    let parsed: ShardSnapshot;
    try {
      parsed = JSON.parse(snap.state) as ShardSnapshot;
      state = ShardState.fromSnapshot(parsed, options);
    } catch (err) {
      throw new LedgerCorruptError(shard, `the snapshot after journal entry ${snap.journalSeq} does not load: ${describe(err)}`, err);
    }
    if (state.seq !== snap.journalSeq || state.chain.sequence !== snap.chainSequence || state.chain.chainHash !== snap.chainHash) {
      throw new LedgerCorruptError(shard, `the snapshot after journal entry ${snap.journalSeq} does not describe itself`, undefined, snap.chainSequence);
    }
    if (snap.chainSequence > 0) {
      const at = (await chainPage(conn, shard, snap.chainSequence - 1, 1))[0];
      if (at === undefined || at.sequence !== snap.chainSequence || at.chainHash !== snap.chainHash) {
        throw new LedgerCorruptError(shard, `record ${snap.chainSequence}, where the newest snapshot stands, is missing or changed`, undefined, snap.chainSequence);
      }
    }
    snapshotSeq = snap.journalSeq;
  } else if (lastEntry === 0) {
    // A ledger written before the journal existed (or an empty shard): replay its rows once.
    state = await legacyState(conn, shard, options);
  } else {
    state = ShardState.empty(shard, INITIAL_EXCHANGE_SETTINGS, options);
  }

  // Every position after the snapshot is stored exactly once; accounts created after it still hash to what they say.
  const after = state.chain.sequence;
  const { count, last } = await recordsAfter(conn, shard, after);
  if (last > after && count !== last - after) {
    const gap = (await firstGap(conn, shard, after)) ?? after + 1;
    throw new LedgerCorruptError(shard, `first bad record ${gap}: record ${gap} is missing or stored twice`, undefined, gap);
  }
  for (const a of await accountsAfter(conn, shard, after)) {
    if (hashAccount(a.record) !== a.contentHash) {
      throw new LedgerCorruptError(shard, `first bad record ${a.sequence}: account ${a.record.id} at ${a.sequence}: its fields do not match its content hash (edited)`, undefined, a.sequence);
    }
  }

  // The journal after the snapshot, batch by batch: each must reach the chain hash stored with it.
  let replayed = 0;
  for (;;) {
    const page = await journalPage(conn, shard, state.seq, JOURNAL_PAGE);
    if (page.length === 0) break;
    for (const row of page) {
      let entries: JournalCommand[];
      try {
        entries = decodeJournal(row.commands);
      } catch (err) {
        throw new LedgerCorruptError(shard, `journal entries ${row.firstSeq}…${row.lastSeq} do not parse`, err);
      }
      const need = new Set<string>();
      for (const e of entries) for (const id of replayNeeds(state, e)) need.add(id);
      if (need.size > 0) {
        for (const b of await lookupAccounts(conn, shard, [...need], state.chain.sequence)) {
          state.ledger.loadAccount(b.record, b.debitsPosted, b.creditsPosted, b.touched);
        }
      }
      const batch = new Batch(state.chain);
      try {
        if (row.firstSeq !== state.seq + 1 || entries[0]?.seq !== row.firstSeq || entries.at(-1)?.seq !== row.lastSeq) {
          throw new ReplayError(`journal entries ${row.firstSeq}…${row.lastSeq} do not follow entry ${state.seq}`, state.seq + 1);
        }
        for (const e of entries) state.replay(e, batch);
      } catch (err) {
        throw new LedgerCorruptError(shard, describe(err), err, state.chain.sequence + 1);
      }
      if (state.chain.sequence !== row.chainSequence || state.chain.chainHash !== row.chainHash) {
        throw new LedgerCorruptError(
          shard,
          `journal entries ${row.firstSeq}…${row.lastSeq} replay to record ${state.chain.sequence}, not to the stored record ${row.chainSequence} and its hash`,
          undefined,
          Math.min(state.chain.sequence, row.chainSequence) + 1,
        );
      }
      replayed += entries.length;
    }
  }
  if (last > state.chain.sequence) {
    throw new LedgerCorruptError(shard, `records ${state.chain.sequence + 1}…${last} are stored but no journal entry made them`, undefined, state.chain.sequence + 1);
  }
  if (last < state.chain.sequence) {
    throw new LedgerCorruptError(shard, `the journal made records up to ${state.chain.sequence}, the database holds ${last}`, undefined, last + 1);
  }
  state.ledger.trimRecent(state.chain.timestamp);
  log?.info({ shard, seq: state.seq, snapshot: snapshotSeq, replayed, records: state.chain.sequence }, "sequencer: state loaded");
  return { state, checkpoint: await latestCheckpoint(conn, shard), snapshotSeq };
}

/** The state of a shard whose ledger rows predate the journal: every row replayed once (Ledger.restore re-checks each rule). */
async function legacyState(conn: SqlClient, shard: string, options: { recentTransfers: number }): Promise<ShardState> {
  const accounts = await loadAccounts(conn, shard);
  const transfers: TransferRecord[] = [];
  let last: { sequence: number; chainHash: string; timestamp: number } | undefined;
  for await (const page of transferPages(conn, shard, LEGACY_PAGE)) {
    for (const row of page) transfers.push(row.record);
    const end = page[page.length - 1];
    if (end !== undefined) last = { sequence: end.sequence, chainHash: end.chainHash, timestamp: end.record.timestamp };
  }
  const lastAccount = accounts[accounts.length - 1];
  if (lastAccount !== undefined && (last === undefined || lastAccount.sequence > last.sequence)) {
    last = { sequence: lastAccount.sequence, chainHash: lastAccount.chainHash, timestamp: lastAccount.record.timestamp };
  }
  let ledger: Ledger;
  try {
    ledger = Ledger.restore(
      accounts.map((a) => a.record),
      transfers,
      options,
    );
  } catch (err) {
    throw new LedgerCorruptError(shard, describe(err), err);
  }
  const state = new ShardState(shard, ledger, new ExchangeCore(INITIAL_EXCHANGE_SETTINGS));
  state.chain = last === undefined ? GENESIS : { ...last, count: transfers.length };
  state.lastAt = Math.floor(ledger.lastTimestamp / 1000);
  return state;
}

/**
 * Opens the sequencer of a shard: takes the shard's lock, loads and checks
 * the stored state (see loadState), signs the tip if it moved since the
 * newest checkpoint, journals the exchange settings if they changed, and
 * starts the clock. Throws LedgerShardBusyError if another sequencer holds
 * the shard, LedgerCorruptError if the stored state does not verify.
 */
export async function openSequencer(options: SequencerOptions): Promise<Sequencer> {
  const shard = options.shard ?? "main";
  const sql = options.sql;
  const signing = signingOf(options);
  let shards = openShards.get(sql);
  if (shards === undefined) {
    shards = new Set();
    openShards.set(sql, shards);
  }
  if (shards.has(shard)) throw new LedgerShardBusyError(shard);
  shards.add(shard);
  try {
    const session = await openSession(sql, shard);
    try {
      const loaded = await loadState({
        conn: session.conn,
        shard,
        signing,
        mode: options.verifyOnOpen ?? "incremental",
        log: options.log,
        recentTransfers: options.recentTransfers ?? 100_000,
      });
      const s = new SequencerImpl(options, shard, session, loaded.state, loaded.checkpoint, loaded.snapshotSeq, signing);
      await s.signIfMoved();
      if (options.exchange !== undefined && !sameSettings(loaded.state.exchange.settings, options.exchange)) {
        await s.applySettings(options.exchange);
      }
      s.startTimers(options);
      return s;
    } catch (err) {
      await session.release();
      throw err;
    }
  } catch (err) {
    shards.delete(shard);
    throw err;
  }
}

/** Opens the ledger's single writer (the sequencer of the shard). */
export function openLedgerWriter(options: LedgerWriterOptions): Promise<LedgerWriter> {
  return openSequencer(options);
}

function sameSettings(a: ExchangeSettings, b: ExchangeSettings): boolean {
  return (
    a.feeRate === b.feeRate &&
    a.tickFen === b.tickFen &&
    a.maxRateFen === b.maxRateFen &&
    a.horizonDays === b.horizonDays &&
    a.minLeadMs === b.minLeadMs &&
    a.staffingLeadMs === b.staffingLeadMs
  );
}

// ------------------------------------------------------------------ the sequencer

interface Entry {
  readonly cmd: LiveCommand;
  readonly waiter: Waiter;
  /** keys already looked up in PostgreSQL for it (found ones are in memory now). */
  checked?: Set<string>;
}

type Status = "open" | "rebuilding" | "failed" | "closed";

const DEPTH_LEVELS = 20;
/** Look-ups in a row that found nothing stored before new ids are applied at once again. */
const CAREFUL_ROUNDS = 20;

function levels(d: readonly { rate: number; qty: number; orders: number }[]): BookLevel[] {
  return d.map((l) => ({ rateFen: l.rate, qty: l.qty, orders: l.orders }));
}

class SequencerImpl implements Sequencer {
  private readonly sql: SqlPool;
  private readonly clock: Clock;
  private readonly log: LedgerWriterLog | undefined;
  private readonly bus: Bus | undefined;
  private readonly maxBatch: number;
  private readonly signing: Signing;
  private readonly recentTransfers: number;
  private readonly recentOrders: number;
  private readonly snapshotEvery: number;
  private readonly snapshotOnCloseAfter: number;
  private readonly evictAfterMs: number;
  private readonly verifyMode: VerifyMode;
  private state: ShardState;
  private session: Session | undefined;
  private committed: { seq: number; chain: ChainTip };
  private newestCheckpoint: Checkpoint | undefined;
  private lastSnapshotSeq: number;
  private status: Status = "open";
  private failure: Error | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;
  private inflight: Batch | undefined;
  private openBatch: Batch | undefined;
  private flushScheduled = false;
  /** after a commit: send the next batch once it holds this many commands, or when fillTimer fires. */
  private fillTarget = 0;
  private fillTimer: ReturnType<typeof setImmediate> | undefined;
  /** commands not applied yet: the open batch is full, a snapshot or a rebuild is under way. */
  private waiting: Entry[] = [];
  /** commands waiting for a look-up in PostgreSQL. */
  private lookups: Entry[] = [];
  private lookupRunning = false;
  /** while a look-up runs, windows keep what was committed after it started. */
  private lookupFloor: { seq: number; us: number } | undefined;
  private poisoned: Error | undefined;
  /** sealed, waiting for the last verification of its ids before it is sent. */
  private sealed: Batch | undefined;
  private verifyRunning = false;
  /**
   * Careful: a command naming ids memory does not know waits for their look-up before it is applied.
   * Otherwise it is applied at once and its batch's ids are verified while the batch before is in flight.
   * Careful after start-up and after an id older than memory turned up (retries come in bunches), until
   * CAREFUL_ROUNDS look-ups in a row found nothing.
   */
  private careful = true;
  private carefulStreak = 0;
  /** batches applied to memory but thrown away (failed or never sent): readers see around them until the rebuild replaces memory. */
  private discarded: Batch[] = [];
  private snapshotDue = false;
  private snapshotting = false;
  private snapshotWaiters: Array<{ resolve(seq: number): void; reject(err: unknown): void }> = [];
  private idleWaiters: Array<() => void> = [];
  private readonly timers: Array<ReturnType<typeof setInterval>> = [];
  private tickQueued = false;
  private checkpointQueued = false;
  private lastSweep = 0;
  private readonly published = new Map<string, BookView>();

  constructor(
    options: SequencerOptions,
    readonly shard: string,
    session: Session,
    state: ShardState,
    checkpoint: Checkpoint | undefined,
    snapshotSeq: number,
    signing: Signing,
  ) {
    this.sql = options.sql;
    this.clock = options.clock;
    this.log = options.log;
    this.bus = options.bus;
    this.maxBatch = options.maxBatchTransfers ?? 8190;
    this.signing = signing;
    this.recentTransfers = options.recentTransfers ?? 100_000;
    this.recentOrders = options.recentOrders ?? 100_000;
    this.snapshotEvery = options.snapshotEvery ?? 50_000;
    this.snapshotOnCloseAfter = options.snapshotOnCloseAfter ?? 1000;
    this.evictAfterMs = options.evictAfterMs ?? 600_000;
    this.verifyMode = options.verifyOnOpen ?? "incremental";
    this.session = session;
    this.state = state;
    this.committed = { seq: state.seq, chain: state.chain };
    this.newestCheckpoint = checkpoint;
    this.lastSnapshotSeq = snapshotSeq;
    this.publishAll(state.seq);
  }

  startTimers(options: SequencerOptions): void {
    const every = options.expiryIntervalMs ?? 1000;
    if (every > 0) this.timers.push(setInterval(() => this.tickOnTimer(), every));
    const sign = options.checkpointIntervalMs ?? 60_000;
    if (sign > 0) this.timers.push(setInterval(() => this.checkpointOnTimer(), sign));
    for (const t of this.timers) t.unref();
  }

  get batchSize(): number {
    return this.maxBatch;
  }

  get lastCheckpoint(): Checkpoint | undefined {
    return this.newestCheckpoint;
  }

  get tip(): ChainTip {
    return this.committed.chain;
  }

  get seq(): number {
    return this.committed.seq;
  }

  get settings(): ExchangeSettings {
    return this.state.exchange.settings;
  }

  stats(): SequencerStats {
    return {
      seq: this.committed.seq,
      accountsInMemory: this.state.ledger.accountCount,
      recentTransfers: this.state.ledger.recentCount,
      openOrders: this.state.exchange.openOrderCount,
      markets: this.state.exchange.marketCount,
      rememberedOrderKeys: this.state.exchange.rememberedKeys,
    };
  }

  // ------------------------------------------------------------- commands

  createAccounts(inputs: readonly AccountInput[]): Promise<CreateAccountsOutcome> {
    const bad = checkAccounts(inputs, this.maxBatch);
    if (bad !== undefined) return Promise.reject(bad);
    return this.run({ t: "accounts", inputs: inputs.map((a) => ({ ...a })) }) as Promise<CreateAccountsOutcome>;
  }

  createTransfers(batch: readonly TransferInput[]): Promise<CreateTransfersOutcome> {
    const bad = checkTransfers(batch, this.maxBatch);
    if (bad !== undefined) return Promise.reject(bad);
    return this.run({ t: "transfers", batch: batch.map((t) => ({ ...t })) }) as Promise<CreateTransfersOutcome>;
  }

  expirePending(): Promise<TransferRecord[]> {
    return this.run({ t: "tick" }) as Promise<TransferRecord[]>;
  }

  submit(cmd: ExchangeCommand): Promise<OrderOutcome | CancelAllOutcome | ColourOutcome> {
    return this.run(cmd) as Promise<OrderOutcome | CancelAllOutcome | ColourOutcome>;
  }

  /** Journals new exchange settings (at open, when the configuration changed them). */
  async applySettings(settings: ExchangeSettings): Promise<void> {
    await this.run({ t: "settings", settings: { ...settings } });
  }

  checkpoint(): Promise<Checkpoint | undefined> {
    return this.signIfMoved();
  }

  private run(cmd: LiveCommand): Promise<unknown> {
    return new Promise((resolve, reject) => this.enter({ cmd, waiter: { resolve, reject } }));
  }

  private enter(e: Entry): void {
    if (this.closing || this.status === "closed") {
      e.waiter.reject(new LedgerUnavailableError(this.shard, "the writer is closed"));
      return;
    }
    if (this.status === "failed") {
      e.waiter.reject(new LedgerUnavailableError(this.shard, `the writer stopped: ${describe(this.failure)}`));
      return;
    }
    if (this.blocked()) {
      this.waiting.push(e);
      return;
    }
    this.route(e);
  }

  /** Whether new commands must wait instead of joining the open batch. */
  private blocked(): boolean {
    if (this.fillTimer !== undefined && this.openBatch !== undefined && this.openBatch.size >= this.maxBatch) this.sendNow();
    return this.status !== "open" || this.poisoned !== undefined || this.snapshotDue || (this.openBatch !== undefined && this.openBatch.size >= this.maxBatch);
  }

  /** Applies a command now, or first looks up what memory lacks for it. */
  private route(e: Entry): void {
    const need = this.missing(e);
    const unknownIds = need.transfers.length + need.keys.length;
    if (need.holds.length + need.accounts.length > 0 || (this.careful && unknownIds > 0)) {
      this.lookups.push(e);
      this.runLookups();
      return;
    }
    this.apply(e, unknownIds > 0 ? need : undefined);
  }

  private apply(e: Entry, unverified?: { transfers: string[]; keys: Array<{ organisationId: string; dedupeKey: string }> }): void {
    if (this.blocked()) {
      this.waiting.push(e);
      return;
    }
    const batch = (this.openBatch ??= new Batch(this.state.chain));
    const at = Math.max(this.clock.now().getTime(), this.state.lastAt);
    let applied;
    try {
      applied = this.state.apply(e.cmd, at, batch);
    } catch (err) {
      this.log?.error({ err, shard: this.shard, command: e.cmd.t }, "sequencer: a command threw while applied; rebuilding");
      e.waiter.reject(new DomainError("internal", `the sequencer failed to apply the command: ${describe(err)}`));
      this.poison(err);
      return;
    }
    batch.waiters.push({ waiter: e.waiter, value: applied.value, cmd: e.cmd });
    if (unverified !== undefined && applied.journalled) {
      for (const id of unverified.transfers) batch.unverifiedIds.add(id);
      for (const k of unverified.keys) batch.unverifiedKeys.set(`${k.organisationId}\u0000${k.dedupeKey}`, k);
      this.verify();
    }
    if (this.fillTimer !== undefined) {
      if (batch.waiters.length >= this.fillTarget) this.sendNow();
      return;
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.inflight !== undefined || this.flushScheduled || this.fillTimer !== undefined) return;
    this.flushScheduled = true;
    // Let the commands of this turn of the event loop join the batch: one round instead of many.
    setImmediate(() => {
      this.flushScheduled = false;
      this.send();
    });
  }

  /** Seals the open batch and writes it, if nothing is in flight (once its ids are verified). */
  private send(): void {
    if (this.inflight !== undefined || this.sealed !== undefined || this.poisoned !== undefined || this.status !== "open") return;
    const batch = this.openBatch;
    if (batch === undefined) {
      this.afterQuiet();
      return;
    }
    this.openBatch = undefined;
    if (batch.unverifiedIds.size + batch.unverifiedKeys.size > 0 || this.verifyRunning) {
      // its last ids are being confirmed new; what arrives meanwhile starts the next batch
      this.sealed = batch;
      this.drainWaiting();
      this.verify();
      return;
    }
    this.write(batch);
  }

  private write(batch: Batch): void {
    this.inflight = batch;
    for (const m of batch.markets) batch.depth.set(m, this.state.exchange.depth(m, DEPTH_LEVELS));
    const params = batch.writes ? batchParams(this.shard, batch) : undefined;
    // what waited for room joins the next batch, on top of this one's state
    this.drainWaiting();
    if (params === undefined) {
      // only refusals or duplicates: nothing to store, and everything before is committed
      this.committedBatch(batch);
      return;
    }
    const session = this.session;
    if (session === undefined) {
      this.failedBatch(batch, new Error("no database session"));
      return;
    }
    appendBatch(session.conn, params).then(
      () => this.committedBatch(batch),
      (err: unknown) => this.failedBatch(batch, err),
    );
  }

  private committedBatch(batch: Batch): void {
    this.inflight = undefined;
    if (batch.writes) this.committed = { seq: batch.lastSeq, chain: batch.chainAfter };
    for (const [market, depth] of batch.depth) this.publish(market, depth, this.committed.seq);
    for (const { waiter, value } of batch.waiters) waiter.resolve(value);
    if (this.bus !== undefined) {
      for (const e of batch.events) this.bus.publish(e);
      for (const market of batch.depth.keys()) this.bus.publish(this.bookEvent(market));
    }
    this.trim();
    if (this.snapshotEvery > 0 && this.committed.seq - this.lastSnapshotSeq >= this.snapshotEvery) this.snapshotDue = true;
    if (this.poisoned !== undefined) {
      void this.rebuild();
      return;
    }
    if (this.snapshotDue) {
      void this.takeSnapshot();
      return;
    }
    if (this.sealed !== undefined) {
      this.verify();
      return;
    }
    this.sendAfterCommit(batch.waiters.length);
  }

  /**
   * Callers answered by a commit usually come straight back. Without waiting for them, each batch holds
   * only the callers that arrived while the one before was in flight, and the callers split into two
   * halves that alternate, each paying a commit. So the next batch goes out after one more turn of the
   * event loop, or as soon as the callers just answered have all joined it: callers in this process
   * (payments, the ledger's clients) come back within that turn; a client over the network does not,
   * and is not waited for.
   */
  private sendAfterCommit(answered: number): void {
    const open = this.openBatch;
    if (open === undefined || answered <= 1 || this.poisoned !== undefined || this.status !== "open") {
      this.send();
      return;
    }
    this.fillTarget = open.waiters.length + answered;
    this.fillTimer = setImmediate(() => this.sendNow());
  }

  private sendNow(): void {
    if (this.fillTimer !== undefined) clearImmediate(this.fillTimer);
    this.fillTimer = undefined;
    this.fillTarget = 0;
    this.send();
  }

  private failedBatch(batch: Batch, err: unknown): void {
    this.inflight = undefined;
    const outcome = definitelyNotWritten(err) ? "not_written" : "unknown";
    this.log?.error({ err, shard: this.shard, seq: batch.firstSeq, outcome }, "sequencer: a batch was not acknowledged; rebuilding");
    const e = new LedgerWriteError(this.shard, outcome, err);
    for (const { waiter } of batch.waiters) waiter.reject(e);
    this.discarded.push(batch);
    this.requeueOpen();
    void this.rebuild();
  }

  /** The batches not yet sent were applied on top of state that is being thrown away: their commands go back to the queue. */
  private requeueOpen(): void {
    const unsent = [this.sealed, this.openBatch].filter((b): b is Batch => b !== undefined);
    this.sealed = undefined;
    this.openBatch = undefined;
    const again: Entry[] = [];
    for (const b of unsent) {
      this.discarded.push(b);
      for (const w of b.waiters) again.push({ cmd: w.cmd as LiveCommand, waiter: w.waiter });
    }
    this.waiting = [...again, ...this.waiting];
  }

  /**
   * Confirms with PostgreSQL that the ids the open (or sealed) batch took as new are: one look-up at a
   * time, over the ids gathered since the last. Sends the sealed batch when all are confirmed; an id
   * found stored means a command was applied as new although it retried an older one: the unsent
   * batches are thrown away, memory is rebuilt, and the commands are applied again, carefully.
   */
  private verify(): void {
    if (this.verifyRunning || this.status !== "open" || this.poisoned !== undefined) return;
    const target = this.sealed ?? this.openBatch;
    if (target === undefined) return;
    const ids = [...target.unverifiedIds];
    const keys = [...target.unverifiedKeys.values()];
    target.unverifiedIds.clear();
    target.unverifiedKeys.clear();
    if (ids.length + keys.length === 0) {
      if (target === this.sealed && this.inflight === undefined) {
        this.sealed = undefined;
        this.write(target);
      }
      return;
    }
    this.verifyRunning = true;
    const state = this.state;
    Promise.all([lookupTransfers(this.sql, this.shard, ids), lookupDedupeKeys(this.sql, keys)]).then(
      ([transfers, orders]) => {
        this.verifyRunning = false;
        if (state !== this.state) return;
        if (transfers.length + orders.length > 0) {
          this.conflict(`${transfers.length + orders.length} id(s) taken as new are stored already (a retry of an older request)`);
          return;
        }
        this.verify();
        if (this.quiet) this.afterQuiet();
      },
      (err: unknown) => {
        this.verifyRunning = false;
        if (state !== this.state) return;
        this.log?.warn({ err, shard: this.shard }, "sequencer: verifying new ids failed");
        this.conflict("verifying new ids failed");
      },
    );
  }

  /** Commands applied as new retried older ones (or could not be verified): rebuild, then apply them again carefully. */
  private conflict(why: string): void {
    this.log?.info({ shard: this.shard, why }, "sequencer: unsent batches thrown away; applying them again carefully");
    this.careful = true;
    this.carefulStreak = 0;
    if (this.poisoned === undefined) this.poisoned = new Error(why);
    this.requeueOpen();
    if (this.inflight === undefined) void this.rebuild();
  }

  /** A command threw half-way: memory cannot be trusted. Nothing more is sent; the state is rebuilt once the batch in flight settled. */
  private poison(err: unknown): void {
    if (this.poisoned === undefined) this.poisoned = err instanceof Error ? err : new Error(String(err));
    this.requeueOpen();
    if (this.inflight === undefined) void this.rebuild();
  }

  private drainWaiting(): void {
    while (this.waiting.length > 0 && !this.blocked()) {
      const e = this.waiting.shift() as Entry;
      if (this.closing && this.status !== "open") {
        e.waiter.reject(new LedgerUnavailableError(this.shard, "the writer is closed"));
        continue;
      }
      this.route(e);
    }
  }

  /** Called when nothing is in flight or open: snapshots and close wait for this. */
  private afterQuiet(): void {
    if (this.lookups.length > 0 || this.lookupRunning || this.verifyRunning || this.sealed !== undefined) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private get quiet(): boolean {
    return this.inflight === undefined && this.sealed === undefined && this.openBatch === undefined && !this.lookupRunning && !this.verifyRunning && this.lookups.length === 0;
  }

  // ------------------------------------------------------------- look-ups

  /**
   * What memory lacks for a command: `transfers` are the ids of its transfers (new ones may be applied
   * before PostgreSQL confirms them), `holds` the holds its posts and voids name and `accounts` the
   * accounts it moves money on (both needed to apply it at all), `keys` its client order key.
   */
  private missing(e: Entry): { transfers: string[]; holds: string[]; accounts: string[]; keys: Array<{ organisationId: string; dedupeKey: string }> } {
    const out = { transfers: [] as string[], holds: [] as string[], accounts: [] as string[], keys: [] as Array<{ organisationId: string; dedupeKey: string }> };
    const checked = e.checked;
    const ledger = this.state.ledger;
    const cmd = e.cmd;
    const account = (id: unknown) => {
      if (typeof id === "string" && id.length > 0 && !ledger.hasAccount(id) && !checked?.has(`a:${id}`)) out.accounts.push(id);
    };
    const unknown = (id: unknown): id is string =>
      typeof id === "string" && id.length > 0 && id.charCodeAt(0) !== 0x7e && ledger.lookupTransfer(id) === undefined && !checked?.has(`t:${id}`);
    const transfer = (id: unknown) => {
      if (unknown(id)) out.transfers.push(id);
    };
    const hold = (id: unknown) => {
      if (unknown(id)) out.holds.push(id);
    };
    if (cmd.t === "accounts") {
      for (const a of cmd.inputs) account(a?.id);
    } else if (cmd.t === "transfers") {
      for (const t of cmd.batch) {
        transfer(t.id);
        const kind = t.kind ?? "single";
        if (kind === "post" || kind === "void") hold(t.pendingId);
        else {
          account(t.debitAccountId);
          account(t.creditAccountId);
        }
      }
    } else if (cmd.t === "place") {
      const p = cmd.order;
      if (p.dedupeKey !== null && this.state.exchange.knownKey(p.party.id, p.dedupeKey) === undefined && !checked?.has(`k:${p.party.id}\u0000${p.dedupeKey}`)) {
        out.keys.push({ organisationId: p.party.id, dedupeKey: p.dedupeKey });
      }
    }
    return out;
  }

  private runLookups(): void {
    if (this.lookupRunning || this.lookups.length === 0 || this.status !== "open") return;
    const entries = this.lookups;
    this.lookups = [];
    const transfers = new Set<string>();
    const accounts = new Set<string>();
    const keys = new Map<string, { organisationId: string; dedupeKey: string }>();
    const asked = entries.map((e) => {
      const need = this.missing(e);
      for (const id of need.holds) transfers.add(id);
      for (const id of need.transfers) transfers.add(id);
      for (const id of need.accounts) accounts.add(id);
      for (const k of need.keys) keys.set(`${k.organisationId}\u0000${k.dedupeKey}`, k);
      return need;
    });
    this.lookupRunning = true;
    const upTo = this.committed.chain.sequence;
    this.lookupFloor = { seq: this.committed.seq, us: this.committed.chain.timestamp };
    const state = this.state;
    Promise.all([
      lookupTransfers(this.sql, this.shard, [...transfers]),
      lookupAccounts(this.sql, this.shard, [...accounts], upTo),
      lookupDedupeKeys(this.sql, [...keys.values()]),
    ]).then(
      ([foundTransfers, foundAccounts, foundKeys]) => {
        this.lookupRunning = false;
        this.lookupFloor = undefined;
        if (state === this.state) {
          const now = this.clock.now().getTime() * 1000;
          try {
            for (const b of foundAccounts) {
              state.ledger.loadAccount(b.record, b.debitsPosted, b.creditsPosted, b.touched);
              state.ledger.touch(b.record.id, now);
            }
            state.ledger.rememberStored(foundTransfers);
          } catch (err) {
            this.log?.error({ err, shard: this.shard }, "sequencer: stored records do not fit memory");
            const e = new DomainError("internal", `the stored records do not fit the sequencer's memory: ${describe(err)}`);
            for (const x of entries) x.waiter.reject(e);
            this.runLookups();
            if (this.quiet) this.afterQuiet();
            return;
          }
          for (const k of foundKeys) state.exchange.rememberKey(k.organisationId, k.dedupeKey, k.orderId, k.seq);
          if (foundTransfers.length + foundKeys.length > 0) this.carefulStreak = 0;
          else if (++this.carefulStreak >= CAREFUL_ROUNDS) this.careful = false;
          entries.forEach((e, i) => {
            const need = asked[i]!;
            e.checked ??= new Set();
            for (const id of need.transfers) e.checked.add(`t:${id}`);
            for (const id of need.holds) e.checked.add(`t:${id}`);
            for (const id of need.accounts) e.checked.add(`a:${id}`);
            for (const k of need.keys) e.checked.add(`k:${k.organisationId}\u0000${k.dedupeKey}`);
          });
        }
        for (const e of entries) this.enter(e);
        this.runLookups();
        if (this.quiet) this.afterQuiet();
      },
      (err: unknown) => {
        this.lookupRunning = false;
        this.lookupFloor = undefined;
        this.log?.warn({ err, shard: this.shard }, "sequencer: a look-up failed");
        const e = new LedgerUnavailableError(this.shard, `looking up older ids failed (${describe(err)}); retry`);
        for (const x of entries) x.waiter.reject(e);
        this.runLookups();
        if (this.quiet) this.afterQuiet();
      },
    );
  }

  /** Windows forget what is committed and old enough, never what a running look-up may not have seen. */
  private trim(): void {
    const floor = this.lookupFloor;
    const us = floor === undefined ? this.committed.chain.timestamp : Math.min(floor.us, this.committed.chain.timestamp);
    const seq = floor === undefined ? this.committed.seq : Math.min(floor.seq, this.committed.seq);
    this.state.ledger.trimRecent(us);
    this.state.exchange.trimKeys(this.recentOrders, seq);
    const now = this.clock.now().getTime();
    if (now - this.lastSweep >= 10_000 && floor === undefined) {
      this.lastSweep = now;
      const before = Math.min(this.committed.chain.timestamp, (now - this.evictAfterMs) * 1000);
      const evicted = this.state.ledger.evictIdle(before, (id) => id.startsWith("platform:") || id === ORDER_HOLDS_ACCOUNT);
      if (evicted > 0) this.log?.info({ shard: this.shard, evicted }, "sequencer: idle accounts evicted from memory");
    }
  }

  // ------------------------------------------------------------- rebuild

  /**
   * After an unknown outcome or a failed command: make sure this sequencer
   * still owns the shard (a new session must take the lock again), then
   * replace the state by what PostgreSQL holds. Commands wait meanwhile;
   * each failed attempt rejects them (not written) and retries with backoff.
   */
  private async rebuild(): Promise<void> {
    if (this.status === "rebuilding") return;
    this.status = "rebuilding";
    let delay = 50;
    for (;;) {
      if (this.closing) {
        this.rejectWaiting(new LedgerUnavailableError(this.shard, "the writer is closed"));
        this.status = "closed";
        this.afterQuiet();
        return;
      }
      // a look-up still running belongs to the old state: let it finish first
      while (this.lookupRunning) await new Promise((r) => setTimeout(r, 5));
      try {
        if (this.session !== undefined) {
          const alive = await this.session.conn.query("SELECT 1").then(
            () => true,
            () => false,
          );
          if (!alive) {
            // never probe a released connection again: the pool may hand it to someone else
            const gone = this.session;
            this.session = undefined;
            await gone.release();
          }
        }
        this.session ??= await openSession(this.sql, this.shard);
        const loaded = await loadState({
          conn: this.session.conn,
          shard: this.shard,
          signing: this.signing,
          mode: "incremental",
          log: this.log,
          recentTransfers: this.recentTransfers,
          committed: this.committed.chain,
        });
        this.state = loaded.state;
        this.discarded = [];
        this.committed = { seq: loaded.state.seq, chain: loaded.state.chain };
        this.newestCheckpoint = loaded.checkpoint;
        this.lastSnapshotSeq = loaded.snapshotSeq;
        this.openBatch = undefined;
        this.sealed = undefined;
        this.poisoned = undefined;
        this.careful = true;
        this.carefulStreak = 0;
        this.status = "open";
        this.publishAll(this.committed.seq);
        this.log?.warn({ shard: this.shard, seq: this.committed.seq, records: this.committed.chain.sequence }, "sequencer: rebuilt from the database");
        this.drainWaiting();
        this.runLookups();
        if (this.quiet) this.afterQuiet();
        return;
      } catch (err) {
        if (err instanceof LedgerShardBusyError || err instanceof LedgerCorruptError) {
          this.status = "failed";
          this.failure = err;
          this.log?.error({ err, shard: this.shard }, "sequencer: stopped");
          this.rejectWaiting(new LedgerUnavailableError(this.shard, `the writer stopped: ${describe(err)}`));
          this.afterQuiet();
          return;
        }
        this.log?.error({ err, shard: this.shard }, "sequencer: rebuild failed; retrying");
        this.rejectWaiting(new LedgerUnavailableError(this.shard, `rebuilding from the database failed (${describe(err)}); retry`));
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private rejectWaiting(err: Error): void {
    const all = [...this.waiting, ...this.lookups];
    this.waiting = [];
    this.lookups = [];
    for (const e of all) e.waiter.reject(err);
  }

  // ------------------------------------------------------------- snapshots

  snapshot(): Promise<number> {
    if (this.status !== "open" || this.closing) return Promise.reject(new LedgerUnavailableError(this.shard, "the writer is not open"));
    return this.requestSnapshot();
  }

  private requestSnapshot(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.snapshotWaiters.push({ resolve, reject });
      this.snapshotDue = true;
      void this.takeSnapshot();
    });
  }

  /** Writes a snapshot of the committed state: only between batches, when memory holds nothing uncommitted. */
  private async takeSnapshot(): Promise<void> {
    if (this.snapshotting) return;
    if (!this.quiet) {
      // commands in look-ups or a batch still open: come back when they are through
      this.idleWaiters.push(() => void this.takeSnapshot());
      if (this.inflight === undefined) this.send();
      return;
    }
    this.snapshotting = true;
    const waiters = this.snapshotWaiters;
    this.snapshotWaiters = [];
    try {
      const state = this.state;
      const text = JSON.stringify(state.snapshot());
      const row = signSnapshot(this.signing.key, this.shard, { journalSeq: state.seq, chainSequence: state.chain.sequence, chainHash: state.chain.chainHash, state: text });
      this.snapshotDue = false;
      this.snapshotting = false;
      // writing may overlap the next batches: the text is already taken, and the session runs statements in order
      this.drainWaiting();
      const session = this.session;
      if (session === undefined) throw new Error("no database session");
      await storeSnapshot(session.conn, this.shard, row, 3);
      this.lastSnapshotSeq = Math.max(this.lastSnapshotSeq, row.journalSeq);
      this.log?.info({ shard: this.shard, seq: row.journalSeq, bytes: text.length }, "sequencer: snapshot written");
      for (const w of waiters) w.resolve(row.journalSeq);
    } catch (err) {
      this.snapshotDue = false;
      this.snapshotting = false;
      this.log?.warn({ err, shard: this.shard }, "sequencer: writing a snapshot failed");
      for (const w of waiters) w.reject(err);
      this.drainWaiting();
    }
  }

  // ------------------------------------------------------------- clock and checkpoints

  private tickOnTimer(): void {
    if (this.tickQueued || this.status !== "open" || this.closing) return;
    this.tickQueued = true;
    this.expirePending().then(
      () => (this.tickQueued = false),
      (err: unknown) => {
        this.tickQueued = false;
        this.log?.warn({ err, shard: this.shard }, "sequencer: the clock's tick failed");
      },
    );
  }

  private checkpointOnTimer(): void {
    if (this.checkpointQueued || this.status !== "open" || this.closing) return;
    if (this.committed.chain.sequence <= (this.newestCheckpoint?.sequence ?? 0)) return;
    this.checkpointQueued = true;
    this.checkpoint().then(
      () => (this.checkpointQueued = false),
      (err: unknown) => {
        this.checkpointQueued = false;
        this.log?.warn({ err, shard: this.shard }, "ledger: signing a checkpoint failed; retrying at the next interval");
      },
    );
  }

  /**
   * Signs the committed tip and stores the checkpoint on the sequencer's own
   * session (fenced by the shard lock), if the tip moved since the newest one.
   */
  async signIfMoved(): Promise<Checkpoint | undefined> {
    const tip = this.committed.chain;
    if (tip.sequence === 0 || tip.sequence <= (this.newestCheckpoint?.sequence ?? 0)) return this.newestCheckpoint;
    if (this.session === undefined) throw new LedgerUnavailableError(this.shard, "no database session");
    const c = signCheckpoint(this.signing.key, {
      shard: this.shard,
      sequence: tip.sequence,
      chainHash: tip.chainHash,
      signedAt: this.clock.now().toISOString(),
    });
    const stored = await insertCheckpoint(this.session.conn, c);
    const newest = stored ? c : await latestCheckpoint(this.session.conn, this.shard);
    if (newest !== undefined && newest.sequence >= (this.newestCheckpoint?.sequence ?? 0)) this.newestCheckpoint = newest;
    return this.newestCheckpoint;
  }

  // ------------------------------------------------------------- reads

  private pending(): Batch[] {
    const out: Batch[] = [...this.discarded];
    if (this.inflight !== undefined) out.push(this.inflight);
    if (this.sealed !== undefined) out.push(this.sealed);
    if (this.openBatch !== undefined) out.push(this.openBatch);
    return out;
  }

  lookupAccount(id: string): AccountSnapshot | undefined {
    return committedAccount(this.state.ledger.lookupAccount(id), this.pending());
  }

  balances(id: string): AccountBalances | undefined {
    const s = this.lookupAccount(id);
    if (s === undefined) return undefined;
    return { debitsPending: s.debitsPending, debitsPosted: s.debitsPosted, creditsPending: s.creditsPending, creditsPosted: s.creditsPosted, frozen: s.frozen };
  }

  lookupTransfer(id: string): TransferRecord | undefined {
    for (const b of this.pending()) if (b.view.transfers.has(id)) return undefined;
    return this.state.ledger.lookupTransfer(id);
  }

  holdStatus(id: string): PendingStatus | undefined {
    const pending = this.pending();
    for (const b of pending) if (b.view.transfers.has(id)) return undefined;
    for (const b of pending) if (b.view.resolved.has(id)) return "pending";
    return this.state.ledger.holdStatus(id);
  }

  trialBalance(): TrialBalance {
    const pending = this.pending();
    type Mutable = { -readonly [K in keyof LedgerTotals]: LedgerTotals[K] };
    const ledgers = new Map<string, Mutable>();
    const codes = new Map<string, Mutable & { code: AccountCode }>();
    const zero = (ledger: string) => ({ ledger, accounts: 0, debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n });
    const add = (ledger: string, code: AccountCode, n: number, dP: bigint, cP: bigint, dp: bigint, cp: bigint): void => {
      let l = ledgers.get(ledger);
      if (l === undefined) ledgers.set(ledger, (l = zero(ledger)));
      const key = `${ledger}\u0000${code}`;
      let c = codes.get(key);
      if (c === undefined) codes.set(key, (c = { ...zero(ledger), code }));
      for (const t of [l, c]) {
        t.accounts += n;
        t.debitsPosted += dP;
        t.creditsPosted += cP;
        t.debitsPending += dp;
        t.creditsPending += cp;
      }
    };
    for (const raw of this.state.ledger.listAccounts()) {
      const s = committedAccount(raw, pending);
      if (s !== undefined) add(s.ledger, s.code, 1, s.debitsPosted, s.creditsPosted, s.debitsPending, s.creditsPending);
    }
    for (const t of this.state.ledger.evictedTotals()) add(t.ledger, t.code, t.accounts, t.debitsPosted, t.creditsPosted, 0n, 0n);
    const sorted = <T>(m: Map<string, T>): T[] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
    return { asOf: this.committed.chain.timestamp, ledgers: sorted(ledgers), codes: sorted(codes) };
  }

  invariants(): InvariantReport {
    const problems = this.state.invariants();
    return { ok: problems.length === 0, problems };
  }

  statement(accountId: string, options: StatementOptions = {}): Promise<StatementLine[]> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), 1000);
    const after = options.afterTimestamp ?? 0;
    if (!Number.isSafeInteger(after) || after < 0) {
      return Promise.reject(new DomainError("validation_failed", "afterTimestamp must be a µs timestamp", { field: "afterTimestamp" }));
    }
    return readStatement(this.sql, this.shard, accountId, after, limit, this.committed.chain.sequence);
  }

  async verifyChain(options: { pageSize?: number } = {}): Promise<ChainReport> {
    const tip = this.committed.chain;
    return verifyStoredChain(this.sql, this.shard, {
      mode: "full",
      check: this.signing.check,
      ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
      ...(tip.sequence > 0 ? { committed: tip } : {}),
    });
  }

  // ------------------------------------------------------------- books

  private publish(market: string, depth: MarketDepth | undefined, seq: number): void {
    const prev = this.published.get(market);
    const view: BookView = {
      market,
      bookSeq: (prev?.bookSeq ?? 0) + 1,
      seq,
      demand: levels(depth?.demand ?? []),
      supply: levels(depth?.supply ?? []),
      openOrders: depth?.openOrders ?? 0,
    };
    if (depth === undefined || (view.openOrders === 0 && prev === undefined)) {
      // a dropped or never-used book: nothing to show, but keep the counter so clients see the change
      if (prev !== undefined) this.published.set(market, view);
      return;
    }
    this.published.set(market, view);
  }

  /** Publishes every book of the state (after a load). Book sequence numbers carry on. */
  private publishAll(seq: number): void {
    const seen = new Set<string>();
    for (const view of this.published.values()) seen.add(view.market);
    for (const market of seen) this.publish(market, this.state.exchange.depth(market, DEPTH_LEVELS), seq);
    for (const id of this.state.exchange.marketIds()) if (!seen.has(id)) this.publish(id, this.state.exchange.depth(id, DEPTH_LEVELS), seq);
  }

  private bookEvent(market: string): BookChanged {
    const v = this.book(market);
    const toEvent = (l: BookLevel): DepthLevelEvent => ({ rateFen: l.rateFen, qty: l.qty, orders: l.orders });
    return {
      type: "book.changed",
      seq: v.seq,
      at: shanghaiIso(this.clock.now().getTime()),
      market,
      bookSeq: v.bookSeq,
      demand: v.demand.map(toEvent),
      supply: v.supply.map(toEvent),
    };
  }

  colourOf(organisationId: string): "red" | "blue" | "black" | undefined {
    return this.state.exchange.colourOf(organisationId);
  }

  book(market: string): BookView {
    return this.published.get(market) ?? { market, bookSeq: 0, seq: this.committed.seq, demand: [], supply: [], openOrders: 0 };
  }

  books(): BookView[] {
    return [...this.published.values()].filter((v) => v.openOrders > 0);
  }

  // ------------------------------------------------------------- close

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    // what was accepted before close runs through; nothing new is taken
    if (this.status === "open" && (!this.quiet || this.waiting.length > 0)) {
      await new Promise<void>((resolve) => {
        const check = () => {
          if (this.status !== "open" || (this.quiet && this.waiting.length === 0)) resolve();
          else this.idleWaiters.push(check);
        };
        this.idleWaiters.push(check);
        this.drainWaiting();
        if (this.inflight === undefined) this.send();
      });
    }
    while (this.status === "rebuilding") await new Promise((r) => setTimeout(r, 10));
    if (this.status === "open") {
      if (this.committed.seq - this.lastSnapshotSeq >= this.snapshotOnCloseAfter && this.committed.seq > 0) {
        await this.requestSnapshot().catch((err: unknown) => this.log?.error({ err, shard: this.shard }, "sequencer: the closing snapshot failed"));
      }
      // the last word of this sequencer: a checkpoint of everything it committed
      await this.signIfMoved().catch((err: unknown) => this.log?.error({ err, shard: this.shard }, "ledger: signing the closing checkpoint failed"));
    }
    this.rejectWaiting(new LedgerUnavailableError(this.shard, "the writer is closed"));
    this.status = "closed";
    await this.session?.release();
    this.session = undefined;
    openShards.get(this.sql)?.delete(this.shard);
  }
}
