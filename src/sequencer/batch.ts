/**
 * One batch of the sequencer: the commands applied together and everything
 * they produce, ready to be written as ONE statement: journal entries,
 * ledger accounts and transfers (with positions, hashes and running totals),
 * orders (each row once, in its latest state), contracts; and what to do
 * after the commit: settle the callers, publish the events.
 *
 * A batch also knows its own effects on balances, so readers can be shown
 * committed state only while it is in flight (PendingView).
 */
import type { AccountRecord, AccountSnapshot, CreateAccountResult, CreateTransferResult, TransferRecord } from "../ledger/ledger.types";
import { TransferFlags } from "../ledger/ledger.types";
import type { ContractRecord, ExchangeCommand, ExchangeSettings, MarketDepth, OrderState } from "../exchange/exchange.core";
import type { DomainEvent } from "../shared/events";
import type { AccountInput } from "../ledger/ledger.types";

/** The end of the ledger's chain (its last record). */
export interface ChainTip {
  /** position of the last record (account or transfer); 0 when the shard is empty. */
  readonly sequence: number;
  /** its chain hash. */
  readonly chainHash: string;
  /** its timestamp (µs). */
  readonly timestamp: number;
  /** how many transfers the shard holds. */
  readonly count: number;
}

/** A transfer input as journalled (src/sequencer/journal.ts): a replay reads back exactly what was given. */
export type EncodedInput = unknown;

/** A command as the journal holds it: its position, the sequencer's clock, and what it needs to replay. */
export type JournalCommand = { readonly seq: number; readonly at: number } & (
  | { readonly t: "accounts"; readonly inputs: AccountInput[]; readonly results: CreateAccountResult[] }
  | { readonly t: "transfers"; readonly batch: EncodedInput[]; readonly results: CreateTransferResult[] }
  | { readonly t: "tick" }
  | { readonly t: "settings"; readonly settings: ExchangeSettings }
  | ExchangeCommand
);

/** A caller waiting for its command's batch to commit. */
export interface Waiter {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** The transfers of a batch, column by column, in chain order. */
export interface TransferRows {
  sequence: string[];
  timestamp: string[];
  id: string[];
  kind: string[];
  debit: string[];
  credit: string[];
  amount: string[];
  pendingId: Array<string | null>;
  ledger: string[];
  code: string[];
  flags: number[];
  timeoutMs: number[];
  userData: Array<string | null>;
  contentHash: string[];
  chainHash: string[];
  drDebits: string[];
  drCredits: string[];
  crDebits: string[];
  crCredits: string[];
}

/** An account of a batch with its position and hashes. */
export interface AccountRow {
  readonly record: AccountRecord;
  readonly sequence: number;
  readonly contentHash: string;
  readonly chainHash: string;
}

function transferRows(): TransferRows {
  return {
    sequence: [],
    timestamp: [],
    id: [],
    kind: [],
    debit: [],
    credit: [],
    amount: [],
    pendingId: [],
    ledger: [],
    code: [],
    flags: [],
    timeoutMs: [],
    userData: [],
    contentHash: [],
    chainHash: [],
    drDebits: [],
    drCredits: [],
    crDebits: [],
    crCredits: [],
  };
}

/** Effects of a batch's records on one account, to subtract for committed reads. */
interface Delta {
  dp: bigint;
  dP: bigint;
  cp: bigint;
  cP: bigint;
  /** frozen before the batch, if a record of the batch changed it. */
  frozenBefore: boolean | undefined;
}

/** What a batch not yet committed added to memory, and how to see around it. */
export class PendingView {
  readonly accounts = new Set<string>();
  readonly transfers = new Set<string>();
  /** holds resolved (posted, voided, expired) by the batch: still pending as far as readers know. */
  readonly resolved = new Set<string>();
  readonly deltas = new Map<string, Delta>();

  addAccount(id: string): void {
    this.accounts.add(id);
  }

  /** Notes a transfer; `hold` is the pending record it resolves (post, void, expire). */
  addTransfer(r: TransferRecord, hold: TransferRecord | undefined): void {
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
        if (hold === undefined) throw new Error(`transfer ${r.id} resolves a hold that is not in memory`);
        if (!this.transfers.has(hold.id)) this.resolved.add(hold.id);
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

  private delta(id: string): Delta {
    let d = this.deltas.get(id);
    if (d === undefined) {
      d = { dp: 0n, dP: 0n, cp: 0n, cP: 0n, frozenBefore: undefined };
      this.deltas.set(id, d);
    }
    return d;
  }

  /** The view of a snapshot before this batch; undefined if the account itself is new in it. */
  before(s: AccountSnapshot): AccountSnapshot | undefined {
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

/** One batch: commands applied together, written in one statement, acknowledged after its commit. */
export class Batch {
  firstSeq = 0;
  lastSeq = 0;
  readonly journal: JournalCommand[] = [];
  readonly accounts: AccountRow[] = [];
  readonly transfers = transferRows();
  /** orders whose row the batch writes, latest state (objects are read when the batch is encoded). */
  readonly orders = new Map<string, OrderState>();
  readonly contracts: ContractRecord[] = [];
  readonly events: DomainEvent[] = [];
  /** markets whose book changed, and their depth once the batch is sealed. */
  readonly markets = new Set<string>();
  readonly depth = new Map<string, MarketDepth | undefined>();
  readonly view = new PendingView();
  /** callers to settle after the commit, with their command (applied again if the batch is thrown away unsent). */
  readonly waiters: Array<{ waiter: Waiter; value: unknown; cmd: unknown }> = [];
  /** the chain tip after the batch's records. */
  chainAfter: ChainTip;
  /**
   * Ids the batch's commands named that memory did not know (transfer ids, client order keys) and that
   * were applied as new: PostgreSQL must confirm they are before the batch is sent.
   */
  readonly unverifiedIds = new Set<string>();
  readonly unverifiedKeys = new Map<string, { organisationId: string; dedupeKey: string }>();
  /** µs timestamp of the batch's last record (0 if none). */
  constructor(readonly chainBefore: ChainTip) {
    this.chainAfter = chainBefore;
  }

  /** Journal entries plus records: what bounds a batch's size. */
  get size(): number {
    return this.journal.length + this.accounts.length + this.transfers.id.length + this.orders.size + this.contracts.length;
  }

  /** Whether the batch writes anything. */
  get writes(): boolean {
    return this.journal.length > 0;
  }

  pushTransfer(r: TransferRecord, sequence: number, contentHash: string, chainHash: string, totals: readonly [bigint, bigint, bigint, bigint]): void {
    const c = this.transfers;
    c.sequence.push(String(sequence));
    c.timestamp.push(String(r.timestamp));
    c.id.push(r.id);
    c.kind.push(r.kind);
    c.debit.push(r.debitAccountId);
    c.credit.push(r.creditAccountId);
    c.amount.push(r.amount.toString());
    c.pendingId.push(r.pendingId);
    c.ledger.push(r.ledger);
    c.code.push(r.code);
    c.flags.push(r.flags);
    c.timeoutMs.push(r.timeoutMs);
    c.userData.push(r.userData);
    c.contentHash.push(contentHash);
    c.chainHash.push(chainHash);
    c.drDebits.push(totals[0].toString());
    c.drCredits.push(totals[1].toString());
    c.crDebits.push(totals[2].toString());
    c.crCredits.push(totals[3].toString());
  }
}
