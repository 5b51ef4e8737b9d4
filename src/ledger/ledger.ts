/**
 * The escrow ledger's rules: double-entry, two-phase, append-only. Pure: no
 * I/O, no clock (the caller passes `nowMs`), deterministic, so the single
 * writer can journal a batch's records and anyone can rebuild the exact state
 * by replaying them (`Ledger.restore`).
 *
 * Semantics follow TigerBeetle (accounts with debits/credits posted and
 * pending; single, pending, post, void transfers; linked chains; balance
 * limits counting pending debits; balancing and closing transfers; client ids
 * for idempotency; failed transfers are not stored and may be retried).
 * Deliberate differences:
 * - Expiry is recorded: a hold that times out gets an append-only `expire`
 *   record (id "~expire:<holdId>"), so replay needs no clock.
 * - `exists` does not break a linked chain: retrying a whole committed chain
 *   answers `exists` for every member instead of failing it.
 * - Chains: a transfer with the linked flag chains to the next one; the chain
 *   ends at the first transfer without it. If a member fails it keeps its own
 *   result and every other member gets linked_event_failed; nothing of the
 *   chain is stored. A batch ending in a linked transfer leaves its chain
 *   open: the last transfer gets linked_event_chain_open (always, even if an
 *   earlier member already failed) and the chain fails.
 * - The idempotency check runs right after id/kind/flags validation, so a
 *   stored id always answers exists / exists_with_different_fields.
 * - A post amount is explicit: null = the whole hold, else 0 < amount ≤ hold.
 * - Amounts and balances are capped at PostgreSQL BIGINT (overflows_*).
 * - "closed" is called frozen. A frozen account refuses new transfers and
 *   posts; holds on it may still be voided or expire.
 *
 * Group commit: openGroup / commitGroup / rollbackGroup let the single writer
 * undo the calls of a database transaction that definitely failed.
 *
 * Timestamps are µs since the Unix epoch: the first event of a call gets
 * max(last + 1, nowMs × 1000), each further event last + 1, so they are
 * unique and strictly increasing even at millions of events per second.
 */
import { MAX_FEN } from "../shared/money";
import * as types from "./ledger.types";
import type {
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

/** Largest amount or balance, in fen: what PostgreSQL BIGINT holds. */
export const MAX_AMOUNT = MAX_FEN;
/** Longest hold timeout: 100 years. Keeps timestamp + timeout a safe integer. */
export const MAX_TIMEOUT_MS = 100 * 365 * 86_400_000;
/** Largest accepted `nowMs` (year 2255), so µs timestamps stay safe integers. */
export const MAX_NOW_MS = 9_000_000_000_000;
/** Ids starting with this are written by the ledger (expiry records) and refused from callers. */
export const RESERVED_ID_PREFIX = "~";
/** Id of the record that expires hold `holdId`. */
export function expireRecordId(holdId: string): string {
  return `~expire:${holdId}`;
}

// Module-local copies: imported bindings can cost a getter call per use once transpiled.
const { AccountFlags, TransferFlags } = types;
const ACCOUNT_FLAGS_ALL = types.ACCOUNT_FLAGS_ALL;
const TRANSFER_FLAGS_ALL = types.TRANSFER_FLAGS_ALL;
const FROZEN = AccountFlags.frozen;
const LINKED = TransferFlags.linked;
const BALANCING_DEBIT = TransferFlags.balancingDebit;
const BALANCING_CREDIT = TransferFlags.balancingCredit;
const CLOSING_DEBIT = TransferFlags.closingDebit;
const CLOSING_CREDIT = TransferFlags.closingCredit;
const BALANCING = BALANCING_DEBIT | BALANCING_CREDIT;
const CLOSING = CLOSING_DEBIT | CLOSING_CREDIT;
const DEBITS_MUST_NOT_EXCEED_CREDITS = AccountFlags.debitsMustNotExceedCredits;
const CREDITS_MUST_NOT_EXCEED_DEBITS = AccountFlags.creditsMustNotExceedDebits;
const ACCOUNT_CODE_SET: ReadonlySet<string> = new Set(types.ACCOUNT_CODES);
const TILDE = 0x7e;

/** Options of a Ledger. */
export interface LedgerOptions {
  /**
   * Window mode: keep about this many recent transfers in memory (and the
   * pending holds, whatever their age) instead of every transfer. The caller
   * then looks older ids up in storage (rememberStored) before it applies a
   * call naming them. Default: every transfer.
   */
  readonly recentTransfers?: number;
}

/** What the accounts evicted from memory add up to, per ledger and code (they hold no money and nothing pending). */
export interface EvictedTotals {
  readonly ledger: string;
  readonly code: AccountCode;
  accounts: number;
  debitsPosted: bigint;
  creditsPosted: bigint;
}

/** A transfer record as a JSON array (bigint as a decimal string). */
export type EncodedTransfer = [
  id: string,
  kind: TransferKind,
  debitAccountId: string,
  creditAccountId: string,
  amount: string,
  pendingId: string | null,
  ledger: string,
  code: string,
  flags: number,
  timeoutMs: number,
  userData: string | null,
  timestamp: number,
];

export function encodeTransfer(r: TransferRecord): EncodedTransfer {
  return [r.id, r.kind, r.debitAccountId, r.creditAccountId, r.amount.toString(), r.pendingId, r.ledger, r.code, r.flags, r.timeoutMs, r.userData, r.timestamp];
}

export function decodeTransfer(e: EncodedTransfer): TransferRecord {
  const [id, kind, debitAccountId, creditAccountId, amount, pendingId, ledger, code, flags, timeoutMs, userData, timestamp] = e;
  return { id, kind, debitAccountId, creditAccountId, amount: BigInt(amount), pendingId, ledger, code, flags, timeoutMs, userData, timestamp };
}

/** The state of a Ledger as plain data: accounts in memory with balances, pending holds, evicted totals. */
export interface LedgerSnapshot {
  readonly format: 1;
  readonly clock: number;
  readonly accounts: Array<
    [
      id: string,
      ledger: string,
      code: AccountCode,
      ownerId: string | null,
      flags: number,
      userData: string | null,
      timestamp: number,
      debitsPending: string,
      debitsPosted: string,
      creditsPending: string,
      creditsPosted: string,
      frozen: boolean,
      touched: number,
    ]
  >;
  readonly holds: EncodedTransfer[];
  readonly evicted: Array<{ ledger: string; code: AccountCode; accounts: number; debitsPosted: string; creditsPosted: string }>;
}

/** Mutable balances of one account; the record itself never changes. */
class AccountState {
  debitsPending = 0n;
  debitsPosted = 0n;
  creditsPending = 0n;
  creditsPosted = 0n;
  frozen: boolean;
  /** µs timestamp of the last record that touched the account (its creation at first): idle accounts may be evicted. */
  touched: number;
  constructor(readonly record: AccountRecord) {
    this.frozen = (record.flags & FROZEN) !== 0;
    this.touched = record.timestamp;
  }
}

/** Stands in for the accounts of a resolved hold known only from storage: nothing reads its balances. */
const DETACHED = new AccountState({ id: "~detached", ledger: "", code: "suspense", ownerId: null, flags: 0, userData: null, timestamp: 0 });

/** A hold and what became of it. */
class Hold {
  status: PendingStatus = "pending";
  /** whether the expiry queue holds an entry for it (entries of resolved holds go stale and are dropped when popped). */
  queued = false;
  constructor(
    readonly record: TransferRecord,
    readonly dr: AccountState,
    readonly cr: AccountState,
    /** µs; 0 = never. */
    readonly expiresAt: number,
  ) {}
}

/** Min-heap of holds by (expiresAt, timestamp). Entries go stale instead of being removed. */
class ExpiryQueue {
  private readonly heap: Hold[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): Hold | undefined {
    return this.heap[0];
  }

  push(h: Hold): void {
    h.queued = true;
    const heap = this.heap;
    let i = heap.length;
    heap.push(h);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Hold;
      if (!before(h, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = h;
  }

  pop(): Hold | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top !== undefined) top.queued = false;
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(heap[r] as Hold, heap[l] as Hold)) c = r;
      const child = heap[c] as Hold;
      if (!before(child, last)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: Hold, b: Hold): boolean {
  return a.expiresAt < b.expiresAt || (a.expiresAt === b.expiresAt && a.record.timestamp < b.record.timestamp);
}

function toMicros(nowMs: number): number {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0 || nowMs > MAX_NOW_MS) {
    throw new RangeError(`nowMs must be an integer number of ms since the epoch, got ${String(nowMs)}`);
  }
  return nowMs * 1000;
}

function isOptionalString(v: unknown): boolean {
  return v === undefined || v === null || typeof v === "string";
}

function sameTransferRecord(a: TransferRecord, b: TransferRecord): boolean {
  return (
    a.id === b.id &&
    a.kind === b.kind &&
    a.debitAccountId === b.debitAccountId &&
    a.creditAccountId === b.creditAccountId &&
    a.amount === b.amount &&
    a.pendingId === b.pendingId &&
    a.ledger === b.ledger &&
    a.code === b.code &&
    a.flags === b.flags &&
    a.timeoutMs === b.timeoutMs &&
    a.userData === b.userData &&
    a.timestamp === b.timestamp
  );
}

function sameAccountRecord(a: AccountRecord, b: AccountRecord): boolean {
  return (
    a.id === b.id &&
    a.ledger === b.ledger &&
    a.code === b.code &&
    a.ownerId === b.ownerId &&
    a.flags === b.flags &&
    a.userData === b.userData &&
    a.timestamp === b.timestamp
  );
}

/**
 * The in-memory ledger. One instance per shard, driven by a single writer:
 * createAccounts / createTransfers / expirePending return the records to
 * persist; the writer acknowledges callers only after those are committed.
 */
export class Ledger {
  private readonly accountStates = new Map<string, AccountState>();
  /** Every transfer ever stored (default), or in window mode the recent ones (see LedgerOptions.recentTransfers). */
  private readonly transfers = new Map<string, TransferRecord>();
  /** Every hold (default); in window mode the pending ones and the resolved ones still in the window. */
  private readonly holds = new Map<string, Hold>();
  private readonly expiries = new ExpiryQueue();
  private clock = 0;
  /** Everything appended since openGroup(), oldest first; null when no group is open. */
  private group: Array<AccountRecord | TransferRecord> | null = null;
  private lastReplayedAccount = 0;
  private lastReplayedTransfer = 0;
  private readonly replayOut: TransferRecord[] = [];
  /** How many recent transfers window mode keeps (Infinity: every transfer, the default). */
  private readonly recent: number;
  /** Window mode: ids of the transfers in `transfers`, oldest first from `recentHead`. */
  private recentIds: string[] = [];
  private recentHead = 0;
  /** Totals of accounts evicted from memory, by ledger and code. */
  private readonly evicted = new Map<string, EvictedTotals>();

  constructor(options: LedgerOptions = {}) {
    const recent = options.recentTransfers ?? Infinity;
    if (!(recent === Infinity || (Number.isSafeInteger(recent) && recent >= 0))) throw new RangeError("recentTransfers must be a whole number");
    this.recent = recent;
  }

  /**
   * Rebuilds a ledger from persisted records (accounts in timestamp order,
   * then transfers in timestamp order), re-checking every rule on the way.
   * Throws if any record would not have been accepted or differs from what
   * the rules produce: the log is corrupt or was tampered with.
   */
  static restore(accounts: Iterable<AccountRecord>, transfers: Iterable<TransferRecord>, options: LedgerOptions = {}): Ledger {
    const ledger = new Ledger(options);
    for (const a of accounts) ledger.replayAccount(a);
    for (const t of transfers) ledger.replayTransfer(t);
    return ledger;
  }

  /** Whether the ledger keeps only recent transfers (window mode). */
  get windowed(): boolean {
    return this.recent !== Infinity;
  }

  // ------------------------------------------------------------ window mode
  //
  // A ledger that lives for years cannot keep every transfer and every idle
  // account in memory. In window mode it keeps balances of the accounts in
  // use, every pending hold, and the most recent transfers; the single writer
  // looks older ids up in storage and hands them back (rememberStored,
  // loadAccount) before it applies a call that names them, so every answer is
  // the same as if everything were in memory.

  private noteRecent(id: string): void {
    if (this.recent !== Infinity) this.recentIds.push(id);
  }

  /**
   * Window mode: forgets the oldest transfers beyond the window whose
   * timestamp is at or before `committedUs` (only committed ones: a group in
   * flight may still be rolled back). Resolved holds leave with their records;
   * pending holds stay whatever their age.
   */
  trimRecent(committedUs: number): number {
    if (this.recent === Infinity) return 0;
    const ids = this.recentIds;
    let head = this.recentHead;
    let dropped = 0;
    while (ids.length - head > this.recent) {
      const id = ids[head] as string;
      const r = this.transfers.get(id);
      if (r !== undefined) {
        if (r.timestamp > committedUs) break;
        this.transfers.delete(id);
        dropped++;
        const own = this.holds.get(id);
        if (own !== undefined && own.status !== "pending") this.holds.delete(id);
        if (r.pendingId !== null) {
          const h = this.holds.get(r.pendingId);
          if (h !== undefined && h.status !== "pending" && !this.transfers.has(r.pendingId)) this.holds.delete(r.pendingId);
        }
      }
      head++;
    }
    if (head > 65_536 && head * 2 > ids.length) {
      this.recentIds = ids.slice(head);
      head = 0;
    }
    this.recentHead = head;
    return dropped;
  }

  /** How many transfers memory holds (all of them, or in window mode the recent ones). */
  get recentCount(): number {
    return this.transfers.size;
  }

  /**
   * Window mode: makes stored transfers known again, e.g. ids older than the
   * window that a retry names, or a long-resolved hold a post names: a retry
   * then answers exists, a second post pending_transfer_already_posted. Pass
   * a resolved hold's pending record together with its resolution.
   */
  rememberStored(records: readonly TransferRecord[]): void {
    const resolution = new Map<string, TransferRecord>();
    for (const r of records) if (r.pendingId !== null) resolution.set(r.pendingId, r);
    for (const r of records) {
      if (this.transfers.has(r.id)) continue;
      if (r.kind === "pending" && !this.holds.has(r.id)) {
        const res = resolution.get(r.id);
        if (res === undefined) throw new Error(`hold ${r.id} is neither in memory nor resolved in storage`);
        const hold = new Hold(r, DETACHED, DETACHED, r.timeoutMs === 0 ? 0 : r.timestamp + r.timeoutMs * 1000);
        hold.status = res.kind === "post" ? "posted" : res.kind === "void" ? "voided" : "expired";
        this.holds.set(r.id, hold);
      }
      this.transfers.set(r.id, r);
      this.noteRecent(r.id);
    }
  }

  /**
   * Evicts idle accounts that hold nothing (posted debits = posted credits,
   * nothing pending) and were last touched before `beforeUs`, unless `keep`
   * says otherwise; their totals go to evictedTotals(). Returns how many.
   */
  evictIdle(beforeUs: number, keep: (id: string) => boolean = () => false): number {
    let n = 0;
    for (const [id, s] of this.accountStates) {
      if (s.touched >= beforeUs || s.debitsPending !== 0n || s.creditsPending !== 0n || s.debitsPosted !== s.creditsPosted) continue;
      if (s.frozen !== ((s.record.flags & FROZEN) !== 0) || keep(id)) continue;
      const key = `${s.record.ledger}\u0000${s.record.code}`;
      let t = this.evicted.get(key);
      if (t === undefined) this.evicted.set(key, (t = { ledger: s.record.ledger, code: s.record.code, accounts: 0, debitsPosted: 0n, creditsPosted: 0n }));
      t.accounts++;
      t.debitsPosted += s.debitsPosted;
      t.creditsPosted += s.creditsPosted;
      this.accountStates.delete(id);
      n++;
    }
    return n;
  }

  /**
   * Brings an evicted account back with the posted totals storage holds for
   * it (an evicted account has nothing pending). No-op if it is in memory.
   */
  loadAccount(record: AccountRecord, debitsPosted: bigint, creditsPosted: bigint, touchedUs: number): void {
    if (this.accountStates.has(record.id)) return;
    const s = new AccountState(record);
    s.debitsPosted = debitsPosted;
    s.creditsPosted = creditsPosted;
    s.touched = touchedUs;
    this.accountStates.set(record.id, s);
    const t = this.evicted.get(`${record.ledger}\u0000${record.code}`);
    if (t !== undefined) {
      t.accounts--;
      t.debitsPosted -= debitsPosted;
      t.creditsPosted -= creditsPosted;
    }
  }

  /** Whether an account is in memory. */
  hasAccount(id: string): boolean {
    return this.accountStates.has(id);
  }

  /** Totals of the evicted accounts, per ledger and account code. */
  evictedTotals(): EvictedTotals[] {
    return [...this.evicted.values()].filter((t) => t.accounts !== 0 || t.debitsPosted !== 0n || t.creditsPosted !== 0n).map((t) => ({ ...t }));
  }

  /** Marks accounts as used now (loaded by the writer for a call), so an eviction does not take them before the call runs. */
  touch(id: string, atUs: number): void {
    const s = this.accountStates.get(id);
    if (s !== undefined && s.touched < atUs) s.touched = atUs;
  }

  // --------------------------------------------------------------- snapshot

  /** The whole state as plain JSON-able data (bigints as decimal strings): restore with Ledger.fromSnapshot. */
  snapshot(): LedgerSnapshot {
    if (this.group !== null) throw new Error("cannot snapshot while a group is open");
    const accounts: LedgerSnapshot["accounts"] = [];
    for (const s of this.accountStates.values()) {
      const a = s.record;
      accounts.push([
        a.id, a.ledger, a.code, a.ownerId, a.flags, a.userData, a.timestamp,
        s.debitsPending.toString(), s.debitsPosted.toString(), s.creditsPending.toString(), s.creditsPosted.toString(), s.frozen, s.touched,
      ]);
    }
    const holds: LedgerSnapshot["holds"] = [];
    for (const h of this.holds.values()) if (h.status === "pending") holds.push(encodeTransfer(h.record));
    return {
      format: 1,
      clock: this.clock,
      accounts,
      holds,
      evicted: this.evictedTotals().map((t) => ({ ...t, debitsPosted: t.debitsPosted.toString(), creditsPosted: t.creditsPosted.toString() })),
    };
  }

  /** A ledger from snapshot(); throws on a malformed one. Recent transfers are not part of a snapshot. */
  static fromSnapshot(snap: LedgerSnapshot, options: LedgerOptions = {}): Ledger {
    if (snap === null || typeof snap !== "object" || snap.format !== 1) throw new Error("invalid ledger snapshot: format");
    const ledger = new Ledger(options);
    ledger.clock = snap.clock;
    ledger.lastReplayedAccount = snap.clock;
    ledger.lastReplayedTransfer = snap.clock;
    for (const row of snap.accounts) {
      const [id, ledgerName, code, ownerId, flags, userData, timestamp, dp, dP, cp, cP, frozen, touched] = row;
      const s = new AccountState({ id, ledger: ledgerName, code, ownerId, flags, userData, timestamp });
      s.debitsPending = BigInt(dp);
      s.debitsPosted = BigInt(dP);
      s.creditsPending = BigInt(cp);
      s.creditsPosted = BigInt(cP);
      s.frozen = frozen;
      s.touched = touched;
      ledger.accountStates.set(id, s);
    }
    for (const enc of snap.holds) {
      const r = decodeTransfer(enc);
      const dr = ledger.accountStates.get(r.debitAccountId);
      const cr = ledger.accountStates.get(r.creditAccountId);
      if (dr === undefined || cr === undefined) throw new Error(`invalid ledger snapshot: hold ${r.id} names an account it lacks`);
      const hold = new Hold(r, dr, cr, r.timeoutMs === 0 ? 0 : r.timestamp + r.timeoutMs * 1000);
      ledger.holds.set(r.id, hold);
      ledger.transfers.set(r.id, r);
      ledger.noteRecent(r.id);
      if (r.timeoutMs !== 0) ledger.expiries.push(hold);
    }
    for (const t of snap.evicted) {
      ledger.evicted.set(`${t.ledger}\u0000${t.code}`, { ledger: t.ledger, code: t.code, accounts: t.accounts, debitsPosted: BigInt(t.debitsPosted), creditsPosted: BigInt(t.creditsPosted) });
    }
    return ledger;
  }

  // ----------------------------------------------------------------- replay of calls

  /**
   * Re-runs a createTransfers call whose results were recorded (the writer's
   * journal): every input takes its timestamp as it did, inputs recorded as
   * ok are applied (and must come out ok again), the others change nothing.
   * So a replay needs no storage look-up for ids the original call found
   * stored. Throws if an ok input does not replay as ok.
   */
  replayTransfers(batch: readonly TransferInput[], nowMs: number, expected: readonly CreateTransferResult[]): CreateTransfersOutcome {
    if (expected.length !== batch.length) throw new Error("replayTransfers: one recorded result per input");
    const nowUs = toMicros(nowMs);
    const records: TransferRecord[] = [];
    try {
      this.expireDue(nowUs, records);
      for (let i = 0; i < batch.length; i++) {
        const ts = this.tick(nowUs);
        if (expected[i] !== "ok") continue;
        const result = this.createTransfer(batch[i] as TransferInput, ts, records);
        if (result !== "ok") throw new Error(`transfer ${String((batch[i] as TransferInput).id)}: recorded ok, replays as ${result}`);
      }
    } catch (err) {
      this.rollbackTo(records, 0);
      throw err;
    }
    this.remember(records);
    return { results: expected.slice(), records };
  }

  /** Re-runs a createAccounts call whose results were recorded; see replayTransfers. */
  replayAccounts(inputs: readonly AccountInput[], nowMs: number, expected: readonly CreateAccountResult[]): CreateAccountsOutcome {
    if (expected.length !== inputs.length) throw new Error("replayAccounts: one recorded result per input");
    const nowUs = toMicros(nowMs);
    const records: AccountRecord[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const ts = this.tick(nowUs);
      if (expected[i] !== "ok") continue;
      const result = this.createAccount(inputs[i] as AccountInput, ts, records);
      if (result !== "ok") {
        for (const r of records) this.accountStates.delete(r.id);
        throw new Error(`account ${String((inputs[i] as AccountInput).id)}: recorded ok, replays as ${result}`);
      }
    }
    this.remember(records);
    return { results: expected.slice(), records };
  }

  /** Last timestamp assigned or replayed (µs). */
  get lastTimestamp(): number {
    return this.clock;
  }

  get accountCount(): number {
    return this.accountStates.size;
  }

  get transferCount(): number {
    return this.transfers.size;
  }

  private tick(nowUs: number): number {
    const next = this.clock + 1;
    this.clock = next > nowUs ? next : nowUs;
    return this.clock;
  }

  // ------------------------------------------------------------ group commit

  /**
   * Starts a group: what the following calls append can be undone as a whole
   * by rollbackGroup() until commitGroup(). The single writer opens a group
   * with its database transaction, applies batches, and on COMMIT calls
   * commitGroup(); if the commit definitely failed, rollbackGroup(). If the
   * outcome is unknown (connection lost during COMMIT), restore from the
   * database instead. One group at a time.
   */
  openGroup(): void {
    if (this.group !== null) throw new Error("a group is already open");
    this.group = [];
  }

  /** The group is durable: forget how to undo it. */
  commitGroup(): void {
    if (this.group === null) throw new Error("no group is open");
    this.group = null;
  }

  /** Undoes every account and transfer appended since openGroup(), newest first, and closes the group. */
  rollbackGroup(): void {
    const group = this.group;
    if (group === null) throw new Error("no group is open");
    this.group = null;
    for (let k = group.length - 1; k >= 0; k--) {
      const r = group[k] as AccountRecord | TransferRecord;
      if ("kind" in r) this.undo(r);
      else this.accountStates.delete(r.id); // every transfer touching it was newer and is undone already
    }
  }

  /** Whether a group is open. */
  get groupOpen(): boolean {
    return this.group !== null;
  }

  private remember(records: ReadonlyArray<AccountRecord | TransferRecord>): void {
    const group = this.group;
    if (group === null) return;
    for (let i = 0; i < records.length; i++) group.push(records[i] as AccountRecord | TransferRecord);
  }

  // ---------------------------------------------------------------- accounts

  /** Creates accounts; one result per input. Accounts are immutable once created. */
  createAccounts(inputs: readonly AccountInput[], nowMs: number): CreateAccountsOutcome {
    const nowUs = toMicros(nowMs);
    const results = new Array<CreateAccountResult>(inputs.length);
    const records: AccountRecord[] = [];
    for (let i = 0; i < inputs.length; i++) {
      results[i] = this.createAccount(inputs[i] as AccountInput, this.tick(nowUs), records);
    }
    this.remember(records);
    return { results, records };
  }

  private createAccount(a: AccountInput, ts: number, out: AccountRecord[]): CreateAccountResult {
    const id = a.id;
    if (typeof id !== "string" || id.length === 0) return "id_must_not_be_empty";
    const existing = this.accountStates.get(id);
    if (existing !== undefined) {
      const e = existing.record;
      const same =
        a.ledger === e.ledger &&
        a.code === e.code &&
        (a.ownerId ?? null) === e.ownerId &&
        (a.flags ?? 0) === e.flags &&
        (a.userData ?? null) === e.userData;
      return same ? "exists" : "exists_with_different_fields";
    }
    if (typeof a.ledger !== "string" || a.ledger.length === 0) return "ledger_must_not_be_empty";
    if (!ACCOUNT_CODE_SET.has(a.code)) return "code_invalid";
    const flags = a.flags ?? 0;
    if (!Number.isInteger(flags) || flags < 0 || flags > ACCOUNT_FLAGS_ALL) return "reserved_flag";
    if ((flags & DEBITS_MUST_NOT_EXCEED_CREDITS) !== 0 && (flags & CREDITS_MUST_NOT_EXCEED_DEBITS) !== 0) {
      return "flags_are_mutually_exclusive";
    }
    const ownerId = a.ownerId ?? null;
    if (ownerId !== null && (typeof ownerId !== "string" || ownerId.length === 0)) return "owner_id_invalid";
    if (!isOptionalString(a.userData)) return "user_data_invalid";
    const record: AccountRecord = {
      id,
      ledger: a.ledger,
      code: a.code,
      ownerId,
      flags,
      userData: a.userData ?? null,
      timestamp: ts,
    };
    this.accountStates.set(id, new AccountState(record));
    out.push(record);
    return "ok";
  }

  // --------------------------------------------------------------- transfers

  /**
   * Applies a batch: first expires holds due at `nowMs`, then each transfer
   * in order, linked chains atomically. Returns one result per input and the
   * records to persist. Never throws for bad input; if it throws at all (a
   * bug), every change of the call has been undone first.
   */
  createTransfers(batch: readonly TransferInput[], nowMs: number): CreateTransfersOutcome {
    const nowUs = toMicros(nowMs);
    const n = batch.length;
    const results = new Array<CreateTransferResult>(n);
    const records: TransferRecord[] = [];
    try {
      this.expireDue(nowUs, records);
      let chainStart = -1;
      let chainRecords = 0;
      let chainBroken = false;
      for (let i = 0; i < n; i++) {
        const t = batch[i] as TransferInput;
        const flags = t.flags;
        // a transfer whose flags are invalid fails on its own and links nothing
        const linked = Number.isInteger(flags) && (flags as number) > 0 && (flags as number) <= TRANSFER_FLAGS_ALL && ((flags as number) & LINKED) !== 0;
        if (linked && chainStart < 0) {
          chainStart = i;
          chainRecords = records.length;
        }
        const ts = this.tick(nowUs);
        let result: CreateTransferResult;
        if (linked && i === n - 1) result = "linked_event_chain_open";
        else if (chainBroken) result = "linked_event_failed";
        else result = this.createTransfer(t, ts, records);
        results[i] = result;
        if (chainStart >= 0 && !chainBroken && result !== "ok" && result !== "exists") {
          chainBroken = true;
          this.rollbackTo(records, chainRecords);
          for (let j = chainStart; j < i; j++) results[j] = "linked_event_failed";
        }
        if (!linked) {
          chainStart = -1;
          chainBroken = false;
        }
      }
    } catch (err) {
      this.rollbackTo(records, 0);
      throw err;
    }
    this.remember(records);
    return { results, records };
  }

  /**
   * Expires every hold whose expiry is at or before `nowMs`, oldest expiry
   * first, and returns the expiry records to persist. createTransfers does
   * this itself; call it alone from a timer so idle holds are released.
   */
  expirePending(nowMs: number): TransferRecord[] {
    const nowUs = toMicros(nowMs);
    const records: TransferRecord[] = [];
    try {
      this.expireDue(nowUs, records);
    } catch (err) {
      this.rollbackTo(records, 0);
      throw err;
    }
    this.remember(records);
    return records;
  }

  /** Whether a hold is due to expire at `nowMs` (expirePending would record something). */
  hasDueHolds(nowMs: number): boolean {
    const nowUs = toMicros(nowMs);
    const q = this.expiries;
    for (let h = q.peek(); h !== undefined && h.expiresAt <= nowUs; h = q.peek()) {
      if (h.status === "pending" && this.holds.get(h.record.id) === h) return true;
      q.pop(); // a stale entry
    }
    return false;
  }

  private expireDue(nowUs: number, out: TransferRecord[]): void {
    const q = this.expiries;
    for (let h = q.peek(); h !== undefined && h.expiresAt <= nowUs; h = q.peek()) {
      q.pop();
      if (h.status !== "pending" || this.holds.get(h.record.id) !== h) continue; // stale entry
      this.applyExpire(h, this.tick(nowUs), out);
    }
  }

  private applyExpire(h: Hold, ts: number, out: TransferRecord[]): void {
    const p = h.record;
    const record: TransferRecord = {
      id: expireRecordId(p.id),
      kind: "expire",
      debitAccountId: p.debitAccountId,
      creditAccountId: p.creditAccountId,
      amount: p.amount,
      pendingId: p.id,
      ledger: p.ledger,
      code: p.code,
      flags: 0,
      timeoutMs: 0,
      userData: p.userData,
      timestamp: ts,
    };
    h.dr.debitsPending -= p.amount;
    h.cr.creditsPending -= p.amount;
    h.dr.touched = ts;
    h.cr.touched = ts;
    h.status = "expired";
    if ((p.flags & CLOSING_DEBIT) !== 0) h.dr.frozen = false;
    if ((p.flags & CLOSING_CREDIT) !== 0) h.cr.frozen = false;
    this.transfers.set(record.id, record);
    this.noteRecent(record.id);
    out.push(record);
  }

  private createTransfer(t: TransferInput, ts: number, out: TransferRecord[]): CreateTransferResult {
    const id = t.id;
    if (typeof id !== "string" || id.length === 0) return "id_must_not_be_empty";
    if (id.charCodeAt(0) === TILDE) return "id_is_reserved";
    const kind = t.kind ?? "single";
    if (kind !== "single" && kind !== "pending" && kind !== "post" && kind !== "void") return "kind_invalid";
    const flags = t.flags ?? 0;
    if (!Number.isInteger(flags) || flags < 0 || flags > TRANSFER_FLAGS_ALL) return "reserved_flag";

    const existing = this.transfers.get(id);
    if (existing !== undefined) {
      return this.matchesStored(t, kind, flags, existing) ? "exists" : "exists_with_different_fields";
    }
    if (kind === "single" || kind === "pending") return this.createPosting(t, id, kind, flags, ts, out);
    return this.resolveHold(t, id, kind, flags, ts, out);
  }

  /** Whether a resubmitted transfer asks for what is stored (omitted post/void fields are inherited). */
  private matchesStored(t: TransferInput, kind: SubmittableTransferKind, flags: number, e: TransferRecord): boolean {
    if (kind !== e.kind || flags !== e.flags) return false;
    if ((t.timeoutMs ?? 0) !== e.timeoutMs || (t.pendingId ?? null) !== e.pendingId) return false;
    const a = t.amount;
    if (kind === "post" || kind === "void") {
      if (t.debitAccountId != null && t.debitAccountId !== e.debitAccountId) return false;
      if (t.creditAccountId != null && t.creditAccountId !== e.creditAccountId) return false;
      if (t.ledger != null && t.ledger !== e.ledger) return false;
      if (t.code != null && t.code !== e.code) return false;
      if (t.userData != null && t.userData !== e.userData) return false;
      if (a == null) {
        // null posts the whole hold; a void always releases the whole hold
        return kind === "void" || e.amount === (this.holds.get(e.pendingId as string) as Hold).record.amount;
      }
      return a === e.amount;
    }
    if (
      t.debitAccountId !== e.debitAccountId ||
      t.creditAccountId !== e.creditAccountId ||
      t.ledger !== e.ledger ||
      t.code !== e.code ||
      (t.userData ?? null) !== e.userData
    ) {
      return false;
    }
    // a balancing amount is a cap: any cap at or above what was moved asks for the same
    if ((flags & BALANCING) !== 0) return a == null || (typeof a === "bigint" && a >= e.amount);
    return a === e.amount;
  }

  private createPosting(
    t: TransferInput,
    id: string,
    kind: "single" | "pending",
    flags: number,
    ts: number,
    out: TransferRecord[],
  ): CreateTransferResult {
    const debitId = t.debitAccountId;
    const creditId = t.creditAccountId;
    if (typeof debitId !== "string" || debitId.length === 0) return "debit_account_id_must_not_be_empty";
    if (typeof creditId !== "string" || creditId.length === 0) return "credit_account_id_must_not_be_empty";
    if (debitId === creditId) return "accounts_must_be_different";
    if (t.pendingId !== undefined && t.pendingId !== null) return "pending_id_must_be_empty";
    const timeoutMs = t.timeoutMs ?? 0;
    if (kind === "pending") {
      if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_MS) return "timeout_invalid";
    } else {
      if (timeoutMs !== 0) return "timeout_reserved_for_pending_transfer";
      if ((flags & CLOSING) !== 0) return "closing_transfer_must_be_pending";
    }
    const ledger = t.ledger;
    if (typeof ledger !== "string" || ledger.length === 0) return "ledger_must_not_be_empty";
    const code = t.code;
    if (typeof code !== "string" || code.length === 0) return "code_must_not_be_empty";
    const userData = t.userData ?? null;
    if (userData !== null && typeof userData !== "string") return "user_data_invalid";

    const requested = t.amount;
    let amount: bigint;
    if (requested === undefined || requested === null) {
      if ((flags & BALANCING) === 0) return "amount_must_not_be_zero";
      amount = MAX_AMOUNT;
    } else if (typeof requested !== "bigint") {
      return "amount_invalid";
    } else if (requested < 0n) {
      return "amount_must_not_be_negative";
    } else if (requested === 0n && (flags & CLOSING) === 0) {
      return "amount_must_not_be_zero";
    } else {
      amount = requested;
    }

    const dr = this.accountStates.get(debitId);
    if (dr === undefined) return "debit_account_not_found";
    const cr = this.accountStates.get(creditId);
    if (cr === undefined) return "credit_account_not_found";
    if (dr.record.ledger !== cr.record.ledger) return "accounts_must_have_the_same_ledger";
    if (ledger !== dr.record.ledger) return "transfer_must_have_the_same_ledger_as_accounts";
    if (dr.frozen) return "debit_account_frozen";
    if (cr.frozen) return "credit_account_frozen";

    if ((flags & BALANCING_DEBIT) !== 0) {
      const available = dr.creditsPosted - dr.debitsPosted - dr.debitsPending;
      if (available < amount) amount = available > 0n ? available : 0n;
    }
    if ((flags & BALANCING_CREDIT) !== 0) {
      const available = cr.debitsPosted - cr.creditsPosted - cr.creditsPending;
      if (available < amount) amount = available > 0n ? available : 0n;
    }
    const drDebits = dr.debitsPosted + dr.debitsPending + amount;
    const crCredits = cr.creditsPosted + cr.creditsPending + amount;
    if (drDebits > MAX_AMOUNT) return "overflows_debits";
    if (crCredits > MAX_AMOUNT) return "overflows_credits";
    if ((dr.record.flags & DEBITS_MUST_NOT_EXCEED_CREDITS) !== 0 && drDebits > dr.creditsPosted) {
      return "exceeds_credits";
    }
    if ((cr.record.flags & CREDITS_MUST_NOT_EXCEED_DEBITS) !== 0 && crCredits > cr.debitsPosted) {
      return "exceeds_debits";
    }

    const record: TransferRecord = {
      id,
      kind,
      debitAccountId: debitId,
      creditAccountId: creditId,
      amount,
      pendingId: null,
      ledger,
      code,
      flags,
      timeoutMs,
      userData,
      timestamp: ts,
    };
    dr.touched = ts;
    cr.touched = ts;
    if (kind === "single") {
      dr.debitsPosted += amount;
      cr.creditsPosted += amount;
    } else {
      dr.debitsPending += amount;
      cr.creditsPending += amount;
      const hold = new Hold(record, dr, cr, timeoutMs === 0 ? 0 : ts + timeoutMs * 1000);
      this.holds.set(id, hold);
      if (timeoutMs !== 0) this.expiries.push(hold);
      if ((flags & CLOSING_DEBIT) !== 0) dr.frozen = true;
      if ((flags & CLOSING_CREDIT) !== 0) cr.frozen = true;
    }
    this.transfers.set(id, record);
    this.noteRecent(id);
    out.push(record);
    return "ok";
  }

  private resolveHold(
    t: TransferInput,
    id: string,
    kind: "post" | "void",
    flags: number,
    ts: number,
    out: TransferRecord[],
  ): CreateTransferResult {
    const pendingId = t.pendingId;
    if (typeof pendingId !== "string" || pendingId.length === 0) return "pending_id_must_not_be_empty";
    if (pendingId === id) return "pending_id_must_be_different";
    if ((t.timeoutMs ?? 0) !== 0) return "timeout_reserved_for_pending_transfer";
    if ((flags & ~LINKED) !== 0) return "flags_are_mutually_exclusive";
    if (!isOptionalString(t.userData)) return "user_data_invalid";
    const requested = t.amount;
    if (requested !== undefined && requested !== null) {
      if (typeof requested !== "bigint") return "amount_invalid";
      if (requested < 0n) return "amount_must_not_be_negative";
      if (requested === 0n && kind === "post") return "amount_must_not_be_zero";
    }

    const hold = this.holds.get(pendingId);
    if (hold === undefined) {
      return this.transfers.has(pendingId) ? "pending_transfer_not_pending" : "pending_transfer_not_found";
    }
    const p = hold.record;
    if (t.debitAccountId != null && t.debitAccountId !== p.debitAccountId) {
      return "pending_transfer_has_different_debit_account_id";
    }
    if (t.creditAccountId != null && t.creditAccountId !== p.creditAccountId) {
      return "pending_transfer_has_different_credit_account_id";
    }
    if (t.ledger != null && t.ledger !== p.ledger) return "pending_transfer_has_different_ledger";
    if (t.code != null && t.code !== p.code) return "pending_transfer_has_different_code";
    switch (hold.status) {
      case "posted":
        return "pending_transfer_already_posted";
      case "voided":
        return "pending_transfer_already_voided";
      case "expired":
        return "pending_transfer_expired";
      case "pending":
        if (hold.expiresAt !== 0 && hold.expiresAt <= ts) return "pending_transfer_expired";
    }

    const dr = hold.dr;
    const cr = hold.cr;
    let amount = p.amount;
    if (kind === "post") {
      if (requested != null) {
        if (requested > p.amount) return "exceeds_pending_transfer_amount";
        amount = requested;
      }
      if (dr.frozen) return "debit_account_frozen";
      if (cr.frozen) return "credit_account_frozen";
    } else if (requested != null && requested !== p.amount) {
      return "pending_transfer_has_different_amount";
    }

    const record: TransferRecord = {
      id,
      kind,
      debitAccountId: p.debitAccountId,
      creditAccountId: p.creditAccountId,
      amount,
      pendingId,
      ledger: p.ledger,
      code: p.code,
      flags,
      timeoutMs: 0,
      userData: t.userData ?? p.userData,
      timestamp: ts,
    };
    dr.debitsPending -= p.amount;
    cr.creditsPending -= p.amount;
    dr.touched = ts;
    cr.touched = ts;
    if (kind === "post") {
      dr.debitsPosted += amount;
      cr.creditsPosted += amount;
      hold.status = "posted";
    } else {
      hold.status = "voided";
      if ((p.flags & CLOSING_DEBIT) !== 0) dr.frozen = false;
      if ((p.flags & CLOSING_CREDIT) !== 0) cr.frozen = false;
    }
    this.transfers.set(id, record);
    this.noteRecent(id);
    out.push(record);
    return "ok";
  }

  /** Undoes the records applied after out[length], newest first, and drops them from `out`. */
  private rollbackTo(out: TransferRecord[], length: number): void {
    for (let k = out.length - 1; k >= length; k--) this.undo(out[k] as TransferRecord);
    out.length = length;
  }

  private undo(r: TransferRecord): void {
    this.transfers.delete(r.id);
    const a = r.amount;
    if (r.kind === "single" || r.kind === "pending") {
      const dr = this.accountStates.get(r.debitAccountId) as AccountState;
      const cr = this.accountStates.get(r.creditAccountId) as AccountState;
      if (r.kind === "single") {
        dr.debitsPosted -= a;
        cr.creditsPosted -= a;
      } else {
        dr.debitsPending -= a;
        cr.creditsPending -= a;
        this.holds.delete(r.id); // its expiry entry goes stale
        if ((r.flags & CLOSING_DEBIT) !== 0) dr.frozen = false;
        if ((r.flags & CLOSING_CREDIT) !== 0) cr.frozen = false;
      }
      return;
    }
    const hold = this.holds.get(r.pendingId as string) as Hold;
    const p = hold.record;
    hold.dr.debitsPending += p.amount;
    hold.cr.creditsPending += p.amount;
    hold.status = "pending";
    // its queue entry may have been dropped as stale since (always, for an expiry)
    if (hold.expiresAt !== 0 && !hold.queued) this.expiries.push(hold);
    if (r.kind === "post") {
      hold.dr.debitsPosted -= a;
      hold.cr.creditsPosted -= a;
      return;
    }
    if ((p.flags & CLOSING_DEBIT) !== 0) hold.dr.frozen = true;
    if ((p.flags & CLOSING_CREDIT) !== 0) hold.cr.frozen = true;
  }

  // ------------------------------------------------------------------ replay

  private replayAccount(a: AccountRecord): void {
    const ts = a.timestamp;
    if (!Number.isSafeInteger(ts) || ts <= this.lastReplayedAccount) {
      throw new Error(`account ${a.id}: timestamp ${ts} is not after ${this.lastReplayedAccount}`);
    }
    const out: AccountRecord[] = [];
    const result = this.createAccount(a, ts, out);
    if (result !== "ok") throw new Error(`account ${a.id}: replay gives ${result}`);
    if (!sameAccountRecord(out[0] as AccountRecord, a)) throw new Error(`account ${a.id}: stored fields are not canonical`);
    this.lastReplayedAccount = ts;
    if (ts > this.clock) this.clock = ts;
  }

  private replayTransfer(r: TransferRecord): void {
    const ts = r.timestamp;
    if (!Number.isSafeInteger(ts) || ts <= this.lastReplayedTransfer) {
      throw new Error(`transfer ${r.id}: timestamp ${ts} is not after ${this.lastReplayedTransfer}`);
    }
    const dr = this.accountStates.get(r.debitAccountId);
    const cr = this.accountStates.get(r.creditAccountId);
    if ((dr !== undefined && dr.record.timestamp >= ts) || (cr !== undefined && cr.record.timestamp >= ts)) {
      throw new Error(`transfer ${r.id}: an account was created after it`);
    }
    const out = this.replayOut;
    out.length = 0;
    if (r.kind === "expire") {
      const hold = this.holds.get(r.pendingId ?? "");
      if (hold === undefined || hold.status !== "pending" || hold.expiresAt === 0 || hold.expiresAt > ts) {
        throw new Error(`transfer ${r.id}: expires a hold that is not pending and due`);
      }
      if (this.transfers.has(r.id)) throw new Error(`transfer ${r.id}: duplicate id`);
      this.applyExpire(hold, ts, out);
    } else {
      // the stored amount is resolved; a zero one was asked for as "whole hold" / "whatever is available"
      const zeroAsNull = r.amount === 0n && (r.kind === "post" || (r.flags & BALANCING) !== 0);
      const input: TransferInput = {
        id: r.id,
        kind: r.kind,
        debitAccountId: r.debitAccountId,
        creditAccountId: r.creditAccountId,
        amount: zeroAsNull ? null : r.amount,
        pendingId: r.pendingId,
        ledger: r.ledger,
        code: r.code,
        flags: r.flags,
        timeoutMs: r.timeoutMs,
        userData: r.userData,
      };
      const result = this.createTransfer(input, ts, out);
      if (result !== "ok") throw new Error(`transfer ${r.id}: replay gives ${result}`);
    }
    if (!sameTransferRecord(out[0] as TransferRecord, r)) {
      this.rollbackTo(out, 0);
      throw new Error(`transfer ${r.id}: stored fields differ from what the rules produce`);
    }
    this.lastReplayedTransfer = ts;
    if (ts > this.clock) this.clock = ts;
  }

  // ----------------------------------------------------------------- queries

  /** Balances of an account, or undefined if it does not exist. */
  balances(accountId: string): AccountBalances | undefined {
    const s = this.accountStates.get(accountId);
    if (s === undefined) return undefined;
    return {
      debitsPending: s.debitsPending,
      debitsPosted: s.debitsPosted,
      creditsPending: s.creditsPending,
      creditsPosted: s.creditsPosted,
      frozen: s.frozen,
    };
  }

  /** An account with its balances. */
  lookupAccount(accountId: string): AccountSnapshot | undefined {
    const s = this.accountStates.get(accountId);
    if (s === undefined) return undefined;
    return {
      ...s.record,
      debitsPending: s.debitsPending,
      debitsPosted: s.debitsPosted,
      creditsPending: s.creditsPending,
      creditsPosted: s.creditsPosted,
      frozen: s.frozen,
    };
  }

  /** Every account with its balances, in creation order. */
  *listAccounts(): IterableIterator<AccountSnapshot> {
    for (const id of this.accountStates.keys()) yield this.lookupAccount(id) as AccountSnapshot;
  }

  /** A stored transfer (including expiry records). */
  lookupTransfer(id: string): TransferRecord | undefined {
    return this.transfers.get(id) ?? this.holds.get(id)?.record;
  }

  /** What became of a hold, or undefined if `id` is not a stored pending transfer. */
  holdStatus(id: string): PendingStatus | undefined {
    return this.holds.get(id)?.status;
  }

  /**
   * Checks the books: balances equal the replay of the stored transfers;
   * Σ debits = Σ credits per ledger, posted and pending; limits hold on
   * flagged accounts; each hold resolved at most once and by a record of the
   * matching kind; frozen exactly when created frozen or by a pending closing
   * hold. O(accounts + transfers): for verification, not the hot path.
   */
  invariants(): InvariantReport {
    if (this.recent !== Infinity) return this.windowInvariants();
    const problems: string[] = [];
    interface Sums {
      dp: bigint;
      dP: bigint;
      cp: bigint;
      cP: bigint;
      frozen: boolean;
    }
    const expected = new Map<string, Sums>();
    for (const s of this.accountStates.values()) {
      const frozen = (s.record.flags & FROZEN) !== 0;
      expected.set(s.record.id, { dp: 0n, dP: 0n, cp: 0n, cP: 0n, frozen });
    }
    const resolutions = new Map<string, number>();
    for (const r of this.transfers.values()) {
      const dr = expected.get(r.debitAccountId);
      const cr = expected.get(r.creditAccountId);
      if (dr === undefined || cr === undefined) {
        problems.push(`transfer ${r.id} names an unknown account`);
        continue;
      }
      if (r.kind === "single") {
        dr.dP += r.amount;
        cr.cP += r.amount;
      } else if (r.kind === "pending") {
        const hold = this.holds.get(r.id);
        if (hold?.record !== r) problems.push(`hold ${r.id} is not tracked`);
        else if (hold.status === "pending") {
          dr.dp += r.amount;
          cr.cp += r.amount;
          if ((r.flags & CLOSING_DEBIT) !== 0) dr.frozen = true;
          if ((r.flags & CLOSING_CREDIT) !== 0) cr.frozen = true;
        }
      } else {
        const pendingId = r.pendingId ?? "";
        const hold = this.holds.get(pendingId);
        const status = r.kind === "post" ? "posted" : r.kind === "void" ? "voided" : "expired";
        if (hold === undefined) problems.push(`${r.kind} ${r.id} resolves unknown hold ${pendingId}`);
        else if (hold.status !== status) problems.push(`${r.kind} ${r.id} but hold ${pendingId} is ${hold.status}`);
        resolutions.set(pendingId, (resolutions.get(pendingId) ?? 0) + 1);
        if (r.kind === "post") {
          dr.dP += r.amount;
          cr.cP += r.amount;
          if (hold !== undefined && r.amount > hold.record.amount) problems.push(`post ${r.id} exceeds its hold`);
        }
      }
    }
    for (const [id, hold] of this.holds) {
      const n = resolutions.get(id) ?? 0;
      if (n !== (hold.status === "pending" ? 0 : 1)) problems.push(`hold ${id} is ${hold.status} with ${n} resolutions`);
    }
    const ledgers = new Map<string, Sums>();
    for (const s of this.accountStates.values()) {
      const id = s.record.id;
      const e = expected.get(id) as Sums;
      if (
        s.debitsPending !== e.dp ||
        s.debitsPosted !== e.dP ||
        s.creditsPending !== e.cp ||
        s.creditsPosted !== e.cP
      ) {
        problems.push(`account ${id}: balances differ from the replay of its transfers`);
      }
      if (s.frozen !== e.frozen) problems.push(`account ${id}: frozen is ${s.frozen}, transfers say ${e.frozen}`);
      for (const v of [s.debitsPending, s.debitsPosted, s.creditsPending, s.creditsPosted]) {
        if (v < 0n || v > MAX_AMOUNT) problems.push(`account ${id}: balance ${v} out of range`);
      }
      const flags = s.record.flags;
      if ((flags & DEBITS_MUST_NOT_EXCEED_CREDITS) !== 0 && s.debitsPosted + s.debitsPending > s.creditsPosted) {
        problems.push(`account ${id}: debits exceed credits`);
      }
      if ((flags & CREDITS_MUST_NOT_EXCEED_DEBITS) !== 0 && s.creditsPosted + s.creditsPending > s.debitsPosted) {
        problems.push(`account ${id}: credits exceed debits`);
      }
      let l = ledgers.get(s.record.ledger);
      if (l === undefined) {
        l = { dp: 0n, dP: 0n, cp: 0n, cP: 0n, frozen: false };
        ledgers.set(s.record.ledger, l);
      }
      l.dp += s.debitsPending;
      l.dP += s.debitsPosted;
      l.cp += s.creditsPending;
      l.cP += s.creditsPosted;
    }
    for (const [ledger, l] of ledgers) {
      if (l.dP !== l.cP) problems.push(`ledger ${ledger}: posted debits ${l.dP} ≠ posted credits ${l.cP}`);
      if (l.dp !== l.cp) problems.push(`ledger ${ledger}: pending debits ${l.dp} ≠ pending credits ${l.cp}`);
    }
    return { ok: problems.length === 0, problems };
  }

  /**
   * Window mode's check, O(accounts + pending holds): pending balances equal
   * the pending holds, freezes equal the flags and closing holds, limits and
   * ranges hold, and Σ debits = Σ credits per ledger with the evicted
   * accounts' totals included. That posted balances equal the replay of every
   * stored transfer is checked against storage (the writer's verification).
   */
  private windowInvariants(): InvariantReport {
    const problems: string[] = [];
    const pending = new Map<string, { dp: bigint; cp: bigint; frozen: boolean }>();
    const of = (id: string) => {
      let e = pending.get(id);
      if (e === undefined) pending.set(id, (e = { dp: 0n, cp: 0n, frozen: false }));
      return e;
    };
    for (const [id, h] of this.holds) {
      if (h.status !== "pending") continue;
      const r = h.record;
      if (h.dr !== this.accountStates.get(r.debitAccountId) || h.cr !== this.accountStates.get(r.creditAccountId)) {
        problems.push(`hold ${id} names an account that is not in memory`);
        continue;
      }
      const d = of(r.debitAccountId);
      const c = of(r.creditAccountId);
      d.dp += r.amount;
      c.cp += r.amount;
      if ((r.flags & CLOSING_DEBIT) !== 0) d.frozen = true;
      if ((r.flags & CLOSING_CREDIT) !== 0) c.frozen = true;
    }
    const ledgers = new Map<string, { dP: bigint; cP: bigint; dp: bigint; cp: bigint }>();
    const sum = (ledger: string) => {
      let l = ledgers.get(ledger);
      if (l === undefined) ledgers.set(ledger, (l = { dP: 0n, cP: 0n, dp: 0n, cp: 0n }));
      return l;
    };
    for (const s of this.accountStates.values()) {
      const id = s.record.id;
      const e = pending.get(id) ?? { dp: 0n, cp: 0n, frozen: false };
      if (s.debitsPending !== e.dp || s.creditsPending !== e.cp) problems.push(`account ${id}: pending balances differ from its pending holds`);
      const frozen = (s.record.flags & FROZEN) !== 0 || e.frozen;
      if (s.frozen !== frozen) problems.push(`account ${id}: frozen is ${s.frozen}, its flags and holds say ${frozen}`);
      for (const v of [s.debitsPending, s.debitsPosted, s.creditsPending, s.creditsPosted]) {
        if (v < 0n || v > MAX_AMOUNT) problems.push(`account ${id}: balance ${v} out of range`);
      }
      const flags = s.record.flags;
      if ((flags & DEBITS_MUST_NOT_EXCEED_CREDITS) !== 0 && s.debitsPosted + s.debitsPending > s.creditsPosted) problems.push(`account ${id}: debits exceed credits`);
      if ((flags & CREDITS_MUST_NOT_EXCEED_DEBITS) !== 0 && s.creditsPosted + s.creditsPending > s.debitsPosted) problems.push(`account ${id}: credits exceed debits`);
      const l = sum(s.record.ledger);
      l.dP += s.debitsPosted;
      l.cP += s.creditsPosted;
      l.dp += s.debitsPending;
      l.cp += s.creditsPending;
    }
    for (const t of this.evicted.values()) {
      if (t.accounts < 0 || t.debitsPosted !== t.creditsPosted) problems.push(`evicted ${t.ledger} ${t.code} accounts: totals ${t.debitsPosted}/${t.creditsPosted} over ${t.accounts}`);
      const l = sum(t.ledger);
      l.dP += t.debitsPosted;
      l.cP += t.creditsPosted;
    }
    for (const [ledger, l] of ledgers) {
      if (l.dP !== l.cP) problems.push(`ledger ${ledger}: posted debits ${l.dP} ≠ posted credits ${l.cP}`);
      if (l.dp !== l.cp) problems.push(`ledger ${ledger}: pending debits ${l.dp} ≠ pending credits ${l.cp}`);
    }
    return { ok: problems.length === 0, problems };
  }
}
