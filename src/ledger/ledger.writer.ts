/**
 * The single writer of one ledger shard: the pure Ledger in memory, every
 * mutation through one in-process queue, one database transaction in flight
 * at a time, callers acknowledged only after COMMIT.
 *
 * Group commit: submissions that arrive while a transaction is in flight wait
 * in the queue; the next round applies all of them to the Ledger inside one
 * group (openGroup), hashes the new transfers onto the chain, and appends
 * every account and transfer in ONE multi-row statement (one implicit
 * transaction, one round trip). Then:
 * - committed → commitGroup, resolve every submission of the group;
 * - the server refused the statement (an ERROR response: nothing was
 *   written) → rollbackGroup, reject the group's submissions with
 *   LedgerWriteError outcome "not_written";
 * - anything else (connection lost while the statement was in flight, a
 *   FATAL error, a bug): the outcome is unknown → reject with outcome
 *   "unknown" (retry with the same ids: a stored transfer answers `exists`)
 *   and rebuild the Ledger from PostgreSQL before taking the next group.
 *
 * Reads (lookupAccount, balances, lookupTransfer, holdStatus, trialBalance)
 * come from memory and show committed state only: while a group is in
 * flight its effects are subtracted from what the Ledger holds.
 *
 * Tamper evidence: every record (account or transfer) takes the next
 * position ("sequence") of the shard's ONE hash chain as the group is
 * built. The writer signs the committed tip (Ed25519) at open when it moved,
 * at least every checkpointIntervalMs while the chain grows, and at close,
 * into ledger_checkpoints. Opening verifies the stored chain (incremental:
 * the newest checkpoint, every record after it, every account and that no
 * position is missing; full: every record and checkpoint) and refuses a
 * chain that does not verify, naming the first bad position.
 *
 * Fencing: the writer appends on one dedicated connection that holds the
 * shard's session-level advisory lock for the writer's lifetime, so a second
 * writer of the shard fails to open, and a writer whose session is gone
 * cannot write (its next statement fails; it then has to take the lock again
 * before it rebuilds). Within one process, a second writer on the same pool
 * and shard is refused too (PGlite is one session, where the lock is
 * re-entrant).
 */
import type { KeyObject } from "node:crypto";
import type { SqlClient, SqlPool } from "../infra/db";
import type { Clock } from "../shared/clock";
import { DomainError } from "../shared/errors";
import { Ledger } from "./ledger";
import { checkpointVerifier, developmentSigningKey, publicKeyOf, signCheckpoint, type Checkpoint, type CheckpointCheck } from "./ledger.checkpoint";
import { GENESIS_HASH, chainLink, hashAccount, transferContentHash, type ChainFault } from "./ledger.hash";
import {
  appendGroup,
  insertCheckpoint,
  latestCheckpoint,
  loadAccounts,
  pushTransfer,
  statement as readStatement,
  transferColumns,
  transferPages,
  tryLockShard,
  unlockShard,
  type StatementLine,
  type StoredAccount,
  type StoredTransfer,
} from "./ledger.repository";
import { verifyStoredChain, type ChainReport, type VerifyMode } from "./ledger.verifier";
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
} from "./ledger.types";
import { TransferFlags } from "./ledger.types";

export type { StatementLine } from "./ledger.repository";
export type { ChainReport, VerifyMode } from "./ledger.verifier";

/** The subset of a pino logger the writer uses. */
export interface LedgerWriterLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface LedgerWriterOptions {
  readonly sql: SqlPool;
  readonly clock: Clock;
  /** the ledger shard this writer owns; default "main". */
  readonly shard?: string;
  /** most inputs (accounts or transfers) per database transaction, and per call; default 8190. */
  readonly maxBatchTransfers?: number;
  /** how often the writer expires due holds on its own; default 1000 ms; 0 = never (callers' batches still expire them). */
  readonly expiryIntervalMs?: number;
  /** Ed25519 private key that signs checkpoints; default: the fixed development key (config.ts refuses that in production). */
  readonly signingKey?: KeyObject;
  /** public keys of earlier signing keys whose checkpoints still verify (key rotation). */
  readonly previousPublicKeys?: readonly KeyObject[];
  /** longest time between checkpoints while the chain grows; default 60 000 ms; 0 = only at open and close (and checkpoint()). */
  readonly checkpointIntervalMs?: number;
  /**
   * how opening checks the stored chain before it accepts it: "incremental" (default) from the newest
   * checkpoint on, "full" every record and checkpoint. A chain that does not verify is refused (LedgerCorruptError).
   */
  readonly verifyOnOpen?: VerifyMode;
  readonly log?: LedgerWriterLog;
}

/** Totals of one ledger (currency) or of one account code in it, in fen. */
export interface LedgerTotals {
  readonly ledger: string;
  readonly accounts: number;
  readonly debitsPosted: bigint;
  readonly creditsPosted: bigint;
  readonly debitsPending: bigint;
  readonly creditsPending: bigint;
}

/** Committed totals per ledger and per account code, from memory. */
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

/** The single writer of a ledger shard. */
export interface LedgerWriter {
  readonly shard: string;
  /** most accounts or transfers per call (and per database transaction). */
  readonly batchSize: number;
  /** Creates accounts; resolves after the new accounts are committed. */
  createAccounts(inputs: readonly AccountInput[]): Promise<CreateAccountsOutcome>;
  /** Applies a batch (expiring due holds first); resolves after its records are committed. */
  createTransfers(batch: readonly TransferInput[]): Promise<CreateTransfersOutcome>;
  /** Expires due holds now; resolves with the committed expiry records. The writer also does this on a timer. */
  expirePending(): Promise<TransferRecord[]>;
  /** A committed account with its balances. */
  lookupAccount(id: string): AccountSnapshot | undefined;
  /** Committed balances of an account. */
  balances(id: string): AccountBalances | undefined;
  /** A committed transfer (expiry records included). */
  lookupTransfer(id: string): TransferRecord | undefined;
  /** Committed state of a hold. */
  holdStatus(id: string): PendingStatus | undefined;
  /** An account's committed transfers from the database, oldest first, with running posted totals. */
  statement(accountId: string, options?: StatementOptions): Promise<StatementLine[]>;
  /** Committed totals per ledger and per account code. */
  trialBalance(): TrialBalance;
  /** The Ledger's own invariant check over memory (O(accounts + transfers)). */
  invariants(): InvariantReport;
  /**
   * Verifies the stored chain up to the last commit: every checkpoint's signature, every record's
   * hashes and links, the signed chain hash at each checkpoint, and that nothing this writer
   * committed or a checkpoint covers is missing. Reads the database in pages.
   */
  verifyChain(options?: { pageSize?: number }): Promise<ChainReport>;
  /** Signs the committed tip now if it moved since the last checkpoint; resolves with the newest checkpoint. */
  checkpoint(): Promise<Checkpoint | undefined>;
  /** The newest checkpoint this writer stored or found at open. */
  readonly lastCheckpoint: Checkpoint | undefined;
  /** The end of the committed chain. */
  readonly tip: ChainTip;
  /** Stops the expiry timer, refuses new submissions, waits for the queued ones, releases the shard. */
  close(): Promise<void>;
}

/** The end of the committed chain. */
export interface ChainTip {
  /** position of the last committed record (account or transfer); 0 when the shard is empty. */
  readonly sequence: number;
  /** its chain hash. */
  readonly chainHash: string;
  /** its timestamp (µs). */
  readonly timestamp: number;
  /** how many transfers the shard holds. */
  readonly count: number;
}

// ----------------------------------------------------------------- errors

/** Another writer holds the shard. */
export class LedgerShardBusyError extends DomainError {
  constructor(readonly shard: string) {
    super("conflict", `ledger shard ${shard} already has a writer (its advisory lock is held)`, { shard });
    this.name = "LedgerShardBusyError";
  }
}

/** The stored log does not replay or does not verify. */
export class LedgerCorruptError extends DomainError {
  /** the first bad position, when the chain named one. */
  readonly sequence: number | undefined;
  constructor(shard: string, message: string, cause?: unknown, sequence?: number) {
    super("internal", `ledger shard ${shard}: stored log is corrupt: ${message}`, { shard, ...(sequence !== undefined ? { sequence } : {}) });
    this.name = "LedgerCorruptError";
    this.sequence = sequence;
    if (cause !== undefined) this.cause = cause;
  }

  /** The error for a chain that did not verify. */
  static from(shard: string, fault: ChainFault, mode: VerifyMode): LedgerCorruptError {
    const hint = mode === "incremental" ? " (LEDGER_VERIFY_ON_START=full walks every record and narrows it down)" : "";
    return new LedgerCorruptError(shard, `first bad record ${fault.sequence}: ${fault.reason}${hint}`, undefined, fault.sequence);
  }
}

/** The writer takes no submissions now: closed, rebuilding failed, or fenced out. */
export class LedgerUnavailableError extends DomainError {
  constructor(shard: string, why: string) {
    super("not_ready", `ledger shard ${shard} is unavailable: ${why}`, { shard });
    this.name = "LedgerUnavailableError";
  }
}

/**
 * A submission was not acknowledged. outcome "not_written": nothing of it is
 * stored. outcome "unknown": it may or may not be stored; retry with the same
 * ids (stored transfers answer `exists`, stored accounts `exists`).
 */
export class LedgerWriteError extends DomainError {
  constructor(
    shard: string,
    readonly outcome: "not_written" | "unknown",
    cause: unknown,
  ) {
    super(
      "not_ready",
      outcome === "unknown"
        ? `ledger shard ${shard}: the outcome of the write is unknown (${describe(cause)}); retry with the same ids`
        : `ledger shard ${shard}: the write failed and nothing was stored (${describe(cause)}); retry`,
      { shard, outcome },
    );
    this.name = "LedgerWriteError";
    this.cause = cause;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Whether the server refused the statement with an ERROR (the implicit
 * transaction rolled back, nothing is stored). FATAL/PANIC, a lost
 * connection or anything else leaves the outcome unknown.
 */
function definitelyNotWritten(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { severity?: unknown; code?: unknown };
  return e.severity === "ERROR" && typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code);
}

// ------------------------------------------------------------------ input

// NUL is refused by PostgreSQL text and a lone surrogate would be stored as U+FFFD:
// either would poison a whole group or break the chain, so they are refused up front.
const BAD_TEXT = /[\u0000]|\p{Cs}/u;

function badText(v: unknown): boolean {
  return typeof v === "string" && BAD_TEXT.test(v);
}

function checkAccounts(inputs: readonly AccountInput[], max: number): DomainError | undefined {
  if (!Array.isArray(inputs)) return new DomainError("validation_failed", "accounts must be an array");
  if (inputs.length > max) return new DomainError("validation_failed", `at most ${max} accounts per call`);
  for (let i = 0; i < inputs.length; i++) {
    const a = inputs[i] as AccountInput;
    for (const f of ["id", "ledger", "code", "ownerId", "userData"] as const) {
      if (badText(a?.[f])) return new DomainError("validation_failed", `accounts[${i}].${f} holds NUL or an unpaired surrogate`, { field: `/${i}/${f}` });
    }
  }
  return undefined;
}

const TRANSFER_TEXT_FIELDS = ["id", "debitAccountId", "creditAccountId", "pendingId", "ledger", "code", "userData"] as const;

function checkTransfers(batch: readonly TransferInput[], max: number): DomainError | undefined {
  if (!Array.isArray(batch)) return new DomainError("validation_failed", "transfers must be an array");
  if (batch.length > max) return new DomainError("validation_failed", `at most ${max} transfers per call`);
  for (let i = 0; i < batch.length; i++) {
    const t = batch[i] as TransferInput;
    for (const f of TRANSFER_TEXT_FIELDS) {
      if (badText(t?.[f])) return new DomainError("validation_failed", `transfers[${i}].${f} holds NUL or an unpaired surrogate`, { field: `/${i}/${f}` });
    }
  }
  return undefined;
}

// ------------------------------------------------------------- submissions

interface Settle<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

type Submission =
  | { op: "accounts"; inputs: readonly AccountInput[]; size: number; settle: Settle<CreateAccountsOutcome> }
  | { op: "transfers"; batch: readonly TransferInput[]; size: number; settle: Settle<CreateTransfersOutcome> }
  | { op: "expire"; size: number; settle: Settle<TransferRecord[]> }
  | { op: "checkpoint"; size: number; settle: Settle<Checkpoint | undefined> };

/** Effects of the records in flight on one account, to subtract for committed reads. */
interface Delta {
  dp: bigint;
  dP: bigint;
  cp: bigint;
  cP: bigint;
  /** frozen before the group, if a record of the group changed it. */
  frozenBefore: boolean | undefined;
}

/** What the group in flight added to memory, and how to see around it. */
class InflightView {
  readonly accounts = new Set<string>();
  readonly transfers = new Set<string>();
  /** holds resolved (posted, voided, expired) by the group: still pending as far as readers know. */
  readonly resolved = new Set<string>();
  readonly deltas = new Map<string, Delta>();

  constructor(ledger: Ledger, accounts: readonly StoredAccount[], records: readonly TransferRecord[]) {
    for (const a of accounts) this.accounts.add(a.record.id);
    for (const r of records) {
      this.transfers.add(r.id);
      const dr = this.delta(r.debitAccountId);
      const cr = this.delta(r.creditAccountId);
      const a = r.amount;
      switch (r.kind) {
        case "single":
          dr.dP += a;
          cr.cP += a;
          break;
        case "pending":
          dr.dp += a;
          cr.cp += a;
          // a closing hold can only be placed on an unfrozen account
          if ((r.flags & TransferFlags.closingDebit) !== 0) dr.frozenBefore ??= false;
          if ((r.flags & TransferFlags.closingCredit) !== 0) cr.frozenBefore ??= false;
          break;
        default: {
          const hold = ledger.lookupTransfer(r.pendingId as string) as TransferRecord;
          this.resolved.add(hold.id);
          dr.dp -= hold.amount;
          cr.cp -= hold.amount;
          if (r.kind === "post") {
            dr.dP += a;
            cr.cP += a;
          } else {
            // releasing a closing hold unfreezes what it froze
            if ((hold.flags & TransferFlags.closingDebit) !== 0) dr.frozenBefore ??= true;
            if ((hold.flags & TransferFlags.closingCredit) !== 0) cr.frozenBefore ??= true;
          }
        }
      }
    }
  }

  private delta(id: string): Delta {
    let d = this.deltas.get(id);
    if (d === undefined) {
      d = { dp: 0n, dP: 0n, cp: 0n, cP: 0n, frozenBefore: undefined };
      this.deltas.set(id, d);
    }
    return d;
  }

  /** The committed view of a snapshot; undefined if the account itself is in flight. */
  snapshot(s: AccountSnapshot): AccountSnapshot | undefined {
    if (this.accounts.has(s.id)) return undefined;
    const d = this.deltas.get(s.id);
    if (d === undefined) return s;
    return {
      ...s,
      debitsPending: s.debitsPending - d.dp,
      debitsPosted: s.debitsPosted - d.dP,
      creditsPending: s.creditsPending - d.cp,
      creditsPosted: s.creditsPosted - d.cP,
      frozen: d.frozenBefore ?? s.frozen,
    };
  }
}

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

// One writer per shard and pool inside a process (PGlite's advisory lock is re-entrant).
const openShards = new WeakMap<SqlPool, Set<string>>();

const RESTORE_PAGE = 20_000;

interface LoadedState {
  ledger: Ledger;
  tip: ChainTip;
  checkpoint: Checkpoint | undefined;
}

/** How a writer checks and signs its chain. */
interface Signing {
  readonly key: KeyObject;
  readonly check: (c: Checkpoint) => CheckpointCheck;
}

function signingOf(options: LedgerWriterOptions): Signing {
  const key = options.signingKey ?? developmentSigningKey();
  return { key, check: checkpointVerifier([publicKeyOf(key), ...(options.previousPublicKeys ?? [])]) };
}

/** The first position of 1, 2, 3, … that the two ascending lists do not hold exactly once. */
function firstMissingPosition(a: readonly number[], b: readonly number[]): number | undefined {
  let i = 0;
  let j = 0;
  for (let expected = 1; i < a.length || j < b.length; expected++) {
    const x = a[i];
    const y = b[j];
    if (x === expected && y !== expected) i++;
    else if (y === expected && x !== expected) j++;
    else return expected;
  }
  return undefined;
}

/**
 * Verifies the stored chain (see ledger.verifier.ts), then replays it into a
 * Ledger. `committed`: what this writer had committed before (a rebuild): the
 * stored chain must still reach it.
 */
async function loadState(
  conn: SqlClient,
  shard: string,
  signing: Signing,
  mode: VerifyMode,
  log: LedgerWriterLog | undefined,
  committed?: ChainTip,
): Promise<LoadedState> {
  const report = await verifyStoredChain(conn, shard, {
    mode,
    check: signing.check,
    ...(committed !== undefined && committed.sequence > 0 ? { committed } : {}),
  });
  if (report.firstBad !== undefined) throw LedgerCorruptError.from(shard, report.firstBad, mode);
  log?.info(
    { shard, mode, checked: report.checked, from: report.from, through: report.through, lastCheckpoint: report.lastCheckpoint?.sequence ?? null },
    "ledger: stored chain verified",
  );
  const accounts = await loadAccounts(conn, shard);
  if (mode === "incremental") {
    // Accounts are few and their flags guard every balance: re-hash them all, also behind the newest checkpoint.
    for (const a of accounts) {
      if (hashAccount(a.record) !== a.contentHash) {
        throw new LedgerCorruptError(
          shard,
          `first bad record ${a.sequence}: account ${a.record.id} at ${a.sequence}: its fields do not match its content hash (edited)`,
          undefined,
          a.sequence,
        );
      }
    }
  }
  const transfers: TransferRecord[] = [];
  const transferSequences: number[] = [];
  let lastTransfer: StoredTransfer | undefined;
  for await (const page of transferPages(conn, shard, RESTORE_PAGE)) {
    for (const row of page) {
      transfers.push(row.record);
      transferSequences.push(row.sequence);
    }
    lastTransfer = page[page.length - 1] ?? lastTransfer;
  }
  // Every position from 1 on is taken exactly once, also behind the checkpoint an incremental verification starts at.
  const missing = firstMissingPosition(
    accounts.map((a) => a.sequence),
    transferSequences,
  );
  if (missing !== undefined) {
    throw new LedgerCorruptError(shard, `first bad record ${missing}: record ${missing} is missing or stored twice`, undefined, missing);
  }
  let ledger: Ledger;
  try {
    ledger = Ledger.restore(
      accounts.map((a) => a.record),
      transfers,
    );
  } catch (err) {
    throw new LedgerCorruptError(shard, describe(err), err);
  }
  const lastAccount = accounts[accounts.length - 1];
  const last = lastAccount === undefined || (lastTransfer !== undefined && lastTransfer.sequence > lastAccount.sequence) ? lastTransfer : lastAccount;
  const tip: ChainTip =
    last === undefined
      ? { sequence: 0, chainHash: GENESIS_HASH, timestamp: 0, count: 0 }
      : { sequence: last.sequence, chainHash: last.chainHash, timestamp: last.record.timestamp, count: transfers.length };
  return { ledger, tip, checkpoint: await latestCheckpoint(conn, shard) };
}

/**
 * Opens the writer of a shard: takes the shard's lock, verifies the stored
 * chain against the signed checkpoints, rebuilds the Ledger from PostgreSQL
 * (Ledger.restore re-checks every rule), and signs the tip if it moved since
 * the newest checkpoint. Throws LedgerShardBusyError if another writer holds
 * the shard, LedgerCorruptError if the chain does not verify or the log does
 * not replay.
 */
export async function openLedgerWriter(options: LedgerWriterOptions): Promise<LedgerWriter> {
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
      const state = await loadState(session.conn, shard, signing, options.verifyOnOpen ?? "incremental", options.log);
      const writer = new Writer(options, shard, session, state, signing);
      await writer.signIfMoved();
      writer.startTimers(options);
      return writer;
    } catch (err) {
      await session.release();
      throw err;
    }
  } catch (err) {
    shards.delete(shard);
    throw err;
  }
}

type WriterState = "open" | "rebuilding" | "failed" | "closed";

class Writer implements LedgerWriter {
  private readonly sql: SqlPool;
  private readonly clock: Clock;
  private readonly log: LedgerWriterLog | undefined;
  private readonly maxBatch: number;
  private readonly signing: Signing;
  private ledger: Ledger;
  /** undefined between losing a session and taking the lock on a new one. */
  private session: Session | undefined;
  private committed: ChainTip;
  private newestCheckpoint: Checkpoint | undefined;
  private state: WriterState = "open";
  private failure: Error | undefined;
  private closing = false;
  private closed: Promise<void> | undefined;
  private readonly queue: Submission[] = [];
  private head = 0;
  private pumping = false;
  private drained: Array<() => void> = [];
  private expireQueued = false;
  private checkpointQueued = false;
  private readonly timers: Array<ReturnType<typeof setInterval>> = [];
  /** the group whose write is in flight (or whose outcome is unknown until the rebuild). */
  private inflight: { accounts: StoredAccount[]; records: TransferRecord[] } | undefined;
  private view: InflightView | undefined;

  constructor(
    options: LedgerWriterOptions,
    readonly shard: string,
    session: Session,
    state: LoadedState,
    signing: Signing,
  ) {
    this.sql = options.sql;
    this.clock = options.clock;
    this.log = options.log;
    this.maxBatch = options.maxBatchTransfers ?? 8190;
    this.signing = signing;
    this.session = session;
    this.ledger = state.ledger;
    this.committed = state.tip;
    this.newestCheckpoint = state.checkpoint;
  }

  /** Starts the expiry and checkpoint timers (after open has signed the tip). */
  startTimers(options: LedgerWriterOptions): void {
    const every = options.expiryIntervalMs ?? 1000;
    if (every > 0) this.timers.push(setInterval(() => this.expireOnTimer(), every));
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
    return this.committed;
  }

  // ------------------------------------------------------------- mutations

  createAccounts(inputs: readonly AccountInput[]): Promise<CreateAccountsOutcome> {
    const bad = checkAccounts(inputs, this.maxBatch);
    if (bad !== undefined) return Promise.reject(bad);
    return new Promise((resolve, reject) => {
      this.submit({ op: "accounts", inputs: inputs.slice(), size: inputs.length, settle: { resolve, reject } });
    });
  }

  createTransfers(batch: readonly TransferInput[]): Promise<CreateTransfersOutcome> {
    const bad = checkTransfers(batch, this.maxBatch);
    if (bad !== undefined) return Promise.reject(bad);
    return new Promise((resolve, reject) => {
      this.submit({ op: "transfers", batch: batch.slice(), size: batch.length, settle: { resolve, reject } });
    });
  }

  expirePending(): Promise<TransferRecord[]> {
    return new Promise((resolve, reject) => {
      this.submit({ op: "expire", size: 1, settle: { resolve, reject } });
    });
  }

  checkpoint(): Promise<Checkpoint | undefined> {
    return new Promise((resolve, reject) => {
      this.submit({ op: "checkpoint", size: 1, settle: { resolve, reject } });
    });
  }

  private checkpointOnTimer(): void {
    if (this.checkpointQueued || this.state !== "open" || this.closing) return;
    if (this.committed.sequence <= (this.newestCheckpoint?.sequence ?? 0)) return;
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
   * Signs the committed tip and stores the checkpoint on the writer's own
   * session (fenced by the shard lock), if the tip moved since the newest
   * checkpoint. Only between groups: the tip is committed and nothing is in flight.
   */
  async signIfMoved(): Promise<Checkpoint | undefined> {
    const tip = this.committed;
    if (tip.sequence === 0 || tip.sequence <= (this.newestCheckpoint?.sequence ?? 0)) return this.newestCheckpoint;
    if (this.session === undefined) throw new LedgerUnavailableError(this.shard, "no database session");
    const c = signCheckpoint(this.signing.key, {
      shard: this.shard,
      sequence: tip.sequence,
      chainHash: tip.chainHash,
      signedAt: this.clock.now().toISOString(),
    });
    const stored = await insertCheckpoint(this.session.conn, c);
    this.newestCheckpoint = stored ? c : await latestCheckpoint(this.session.conn, this.shard);
    return this.newestCheckpoint;
  }

  private expireOnTimer(): void {
    if (this.expireQueued || this.state !== "open" || this.closing) return;
    this.expireQueued = true;
    this.expirePending().then(
      () => (this.expireQueued = false),
      (err: unknown) => {
        this.expireQueued = false;
        this.log?.warn({ err, shard: this.shard }, "ledger: expiring due holds failed");
      },
    );
  }

  private submit(s: Submission): void {
    if (this.closing || this.state === "closed") {
      s.settle.reject(new LedgerUnavailableError(this.shard, "the writer is closed"));
      return;
    }
    if (this.state === "failed") {
      s.settle.reject(new LedgerUnavailableError(this.shard, `the writer stopped: ${describe(this.failure)}`));
      return;
    }
    this.queue.push(s);
    if (!this.pumping) {
      this.pumping = true;
      void this.pump();
    }
  }

  private queued(): number {
    return this.queue.length - this.head;
  }

  /** The next group: queued submissions up to maxBatch inputs (always at least one). */
  private take(): Submission[] {
    const q = this.queue;
    let n = 0;
    let end = this.head;
    while (end < q.length) {
      const size = (q[end] as Submission).size;
      if (end > this.head && n + size > this.maxBatch) break;
      n += size;
      end++;
    }
    const group = q.slice(this.head, end);
    if (end === q.length) {
      q.length = 0;
      this.head = 0;
    } else {
      this.head = end;
      if (this.head > 1024) {
        q.splice(0, this.head);
        this.head = 0;
      }
    }
    return group;
  }

  private rejectQueued(err: Error): void {
    const group = this.queue.splice(this.head);
    this.queue.length = 0;
    this.head = 0;
    for (const s of group) s.settle.reject(err);
  }

  private async pump(): Promise<void> {
    try {
      while (this.queued() > 0) {
        if (this.state !== "open") {
          this.rejectQueued(
            this.state === "failed"
              ? new LedgerUnavailableError(this.shard, `the writer stopped: ${describe(this.failure)}`)
              : new LedgerUnavailableError(this.shard, "the writer is closed"),
          );
          break;
        }
        await this.round(this.take());
        // Let the callers just acknowledged submit again before the next group is cut: one
        // group of everyone instead of two half-groups alternating, half the commits.
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.pumping = false;
      const waiters = this.drained;
      this.drained = [];
      for (const w of waiters) w();
    }
  }

  /** Applies one group, writes it, settles it. Never throws. */
  private async round(group: Submission[]): Promise<void> {
    const signs = group.filter((s) => s.op === "checkpoint");
    if (signs.length > 0) {
      group = group.filter((s) => s.op !== "checkpoint");
      // signed before the group's records: the committed tip is stable here
      await this.signIfMoved().then(
        (c) => {
          for (const s of signs) s.settle.resolve(c);
        },
        (err: unknown) => {
          for (const s of signs) s.settle.reject(err);
        },
      );
      if (group.length === 0) return;
    }
    try {
      await this.applyAndWrite(group);
    } catch (err) {
      // a bug between openGroup and the settlement: memory can no longer be trusted
      this.log?.error({ err, shard: this.shard }, "ledger: unexpected failure in a round; rebuilding");
      const e = new LedgerWriteError(this.shard, "unknown", err);
      for (const s of group) s.settle.reject(e); // no-op for the ones already settled
      await this.rebuild();
    }
  }

  private async applyAndWrite(group: Submission[]): Promise<void> {
    const ledger = this.ledger;
    const nowMs = this.clock.now().getTime();
    const outcomes = new Array<unknown>(group.length);
    const failed = new Array<unknown>(group.length);
    const accounts: StoredAccount[] = [];
    const records: TransferRecord[] = [];
    const columns = transferColumns();
    // Each record takes the next position of the one chain, in the order the Ledger created it (= timestamp order).
    let sequence = this.committed.sequence;
    let chainHash = this.committed.chainHash;
    let timestamp = this.committed.timestamp;
    const chain = (rs: readonly TransferRecord[]): void => {
      for (const r of rs) {
        const contentHash = transferContentHash(r);
        chainHash = chainLink(chainHash, contentHash);
        timestamp = r.timestamp;
        pushTransfer(columns, { record: r, sequence: ++sequence, contentHash, chainHash });
        records.push(r);
      }
    };

    ledger.openGroup();
    for (let i = 0; i < group.length; i++) {
      const s = group[i] as Submission;
      try {
        if (s.op === "accounts") {
          const o = ledger.createAccounts(s.inputs, nowMs);
          for (const r of o.records) {
            const contentHash = hashAccount(r);
            chainHash = chainLink(chainHash, contentHash);
            timestamp = r.timestamp;
            accounts.push({ record: r, sequence: ++sequence, contentHash, chainHash });
          }
          outcomes[i] = o;
        } else if (s.op === "transfers") {
          const o = ledger.createTransfers(s.batch, nowMs);
          chain(o.records);
          outcomes[i] = o;
        } else if (s.op === "expire") {
          const rs = ledger.expirePending(nowMs);
          chain(rs);
          outcomes[i] = rs;
        }
      } catch (err) {
        // the Ledger undoes a call that throws before it rethrows; the rest of the group stands
        this.log?.error({ err, shard: this.shard, op: s.op }, "ledger: a submission threw inside the Ledger");
        failed[i] = new DomainError("internal", `ledger: ${describe(err)}`);
      }
    }

    if (accounts.length > 0 || records.length > 0) {
      this.inflight = { accounts, records };
      this.view = undefined;
      try {
        if (this.session === undefined) throw new Error("no database session"); // cannot happen while open
        await appendGroup(this.session.conn, this.shard, accounts, columns);
      } catch (err) {
        if (definitelyNotWritten(err)) {
          ledger.rollbackGroup();
          this.inflight = undefined;
          this.view = undefined;
          this.log?.error({ err, shard: this.shard, transfers: records.length }, "ledger: group refused by the database, rolled back");
          const e = new LedgerWriteError(this.shard, "not_written", err);
          for (let i = 0; i < group.length; i++) (group[i] as Submission).settle.reject(failed[i] ?? e);
          return;
        }
        this.log?.error({ err, shard: this.shard, transfers: records.length }, "ledger: outcome of a group unknown; rebuilding");
        const e = new LedgerWriteError(this.shard, "unknown", err);
        for (let i = 0; i < group.length; i++) (group[i] as Submission).settle.reject(failed[i] ?? e);
        await this.rebuild();
        return;
      }
      this.committed = { sequence, chainHash, timestamp, count: this.committed.count + records.length };
      this.inflight = undefined;
      this.view = undefined;
    }
    ledger.commitGroup();
    for (let i = 0; i < group.length; i++) {
      const s = group[i] as Submission;
      if (failed[i] !== undefined) s.settle.reject(failed[i]);
      else (s.settle as Settle<unknown>).resolve(outcomes[i]);
    }
  }

  /**
   * After an unknown outcome: make sure this writer still owns the shard (a
   * new session must take the lock again), then replace the Ledger by a
   * replay of what PostgreSQL holds. Submissions queue meanwhile; each failed
   * attempt rejects them (not written) and retries with backoff.
   */
  private async rebuild(): Promise<void> {
    this.state = "rebuilding";
    let delay = 50;
    for (;;) {
      if (this.closing) {
        this.rejectQueued(new LedgerUnavailableError(this.shard, "the writer is closed"));
        return;
      }
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
        const state = await loadState(this.session.conn, this.shard, this.signing, "incremental", this.log, this.committed);
        this.ledger = state.ledger;
        this.committed = state.tip;
        this.newestCheckpoint = state.checkpoint;
        this.inflight = undefined;
        this.view = undefined;
        this.state = "open";
        this.log?.warn({ shard: this.shard, transfers: state.tip.count }, "ledger: rebuilt from the database");
        return;
      } catch (err) {
        if (err instanceof LedgerShardBusyError || err instanceof LedgerCorruptError) {
          this.state = "failed";
          this.failure = err;
          this.log?.error({ err, shard: this.shard }, "ledger: writer stopped");
          this.rejectQueued(new LedgerUnavailableError(this.shard, `the writer stopped: ${describe(err)}`));
          return;
        }
        this.log?.error({ err, shard: this.shard }, "ledger: rebuild failed; retrying");
        this.rejectQueued(new LedgerUnavailableError(this.shard, `rebuilding from the database failed (${describe(err)}); retry`));
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  // ----------------------------------------------------------------- reads

  private inflightView(): InflightView | undefined {
    if (this.inflight === undefined) return undefined;
    this.view ??= new InflightView(this.ledger, this.inflight.accounts, this.inflight.records);
    return this.view;
  }

  lookupAccount(id: string): AccountSnapshot | undefined {
    const s = this.ledger.lookupAccount(id);
    if (s === undefined) return undefined;
    const v = this.inflightView();
    return v === undefined ? s : v.snapshot(s);
  }

  balances(id: string): AccountBalances | undefined {
    const s = this.lookupAccount(id);
    if (s === undefined) return undefined;
    return {
      debitsPending: s.debitsPending,
      debitsPosted: s.debitsPosted,
      creditsPending: s.creditsPending,
      creditsPosted: s.creditsPosted,
      frozen: s.frozen,
    };
  }

  lookupTransfer(id: string): TransferRecord | undefined {
    if (this.inflightView()?.transfers.has(id)) return undefined;
    return this.ledger.lookupTransfer(id);
  }

  holdStatus(id: string): PendingStatus | undefined {
    const v = this.inflightView();
    if (v !== undefined) {
      if (v.transfers.has(id)) return undefined;
      if (v.resolved.has(id)) return "pending";
    }
    return this.ledger.holdStatus(id);
  }

  trialBalance(): TrialBalance {
    const v = this.inflightView();
    type Mutable = { -readonly [K in keyof LedgerTotals]: LedgerTotals[K] };
    const ledgers = new Map<string, Mutable>();
    const codes = new Map<string, Mutable & { code: AccountCode }>();
    const add = (t: Mutable, s: AccountSnapshot): void => {
      t.accounts++;
      t.debitsPosted += s.debitsPosted;
      t.creditsPosted += s.creditsPosted;
      t.debitsPending += s.debitsPending;
      t.creditsPending += s.creditsPending;
    };
    const zero = (ledger: string) => ({ ledger, accounts: 0, debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n });
    for (const raw of this.ledger.listAccounts()) {
      const s = v === undefined ? raw : v.snapshot(raw);
      if (s === undefined) continue;
      let l = ledgers.get(s.ledger);
      if (l === undefined) ledgers.set(s.ledger, (l = zero(s.ledger)));
      add(l, s);
      const key = `${s.ledger}\u0000${s.code}`;
      let c = codes.get(key);
      if (c === undefined) codes.set(key, (c = { ...zero(s.ledger), code: s.code }));
      add(c, s);
    }
    const sorted = <T>(m: Map<string, T>): T[] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
    return { asOf: this.committed.timestamp, ledgers: sorted(ledgers), codes: sorted(codes) };
  }

  invariants(): InvariantReport {
    return this.ledger.invariants();
  }

  statement(accountId: string, options: StatementOptions = {}): Promise<StatementLine[]> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), 1000);
    const after = options.afterTimestamp ?? 0;
    if (!Number.isSafeInteger(after) || after < 0) {
      return Promise.reject(new DomainError("validation_failed", "afterTimestamp must be a µs timestamp", { field: "afterTimestamp" }));
    }
    return readStatement(this.sql, this.shard, accountId, after, limit);
  }

  async verifyChain(options: { pageSize?: number } = {}): Promise<ChainReport> {
    const tip = this.committed;
    return verifyStoredChain(this.sql, this.shard, {
      mode: "full",
      check: this.signing.check,
      ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
      ...(tip.sequence > 0 ? { committed: tip } : {}),
    });
  }

  // ------------------------------------------------------------------ close

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    if (this.pumping) await new Promise<void>((r) => this.drained.push(r));
    if (this.state === "open") {
      // the last word of this writer: a checkpoint of everything it committed
      await this.signIfMoved().catch((err: unknown) => this.log?.error({ err, shard: this.shard }, "ledger: signing the closing checkpoint failed"));
    }
    this.state = "closed";
    await this.session?.release();
    this.session = undefined;
    openShards.get(this.sql)?.delete(this.shard);
  }
}
