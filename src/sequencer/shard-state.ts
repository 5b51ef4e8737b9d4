/**
 * Everything one shard's sequencer holds in memory, and the one function
 * that changes it: apply a command. Pure and deterministic (no I/O, no
 * clock: every command comes with its instant): the ledger's balances and
 * holds (src/ledger/ledger.ts, in window mode), the books and open orders
 * (src/exchange/exchange.core.ts), the chain tip, the journal position.
 *
 * Applying a command appends what it produced to a Batch: its journal
 * entry, every ledger record with its chain position, hashes and running
 * totals, the orders and contracts it changed, the events to publish. A
 * replay applies journalled commands the same way and must arrive at the
 * same chain (the sequencer checks batch by batch).
 */
import {
  ExchangeCore,
  ORDER_HOLDS_ACCOUNT,
  type CommandContext,
  type ExchangeCommand,
  type ExchangeEffects,
  type ExchangeSettings,
  type ExchangeSnapshot,
  type LedgerGate,
} from "../exchange/exchange.core";
import { Ledger, type LedgerSnapshot } from "../ledger/ledger";
import { GENESIS_HASH, chainLink, hashAccount, transferContentHash } from "../ledger/ledger.hash";
import type {
  AccountInput,
  AccountRecord,
  AccountSnapshot,
  CreateAccountsOutcome,
  CreateTransfersOutcome,
  TransferInput,
  TransferRecord,
} from "../ledger/ledger.types";
import { Batch, type ChainTip, type JournalCommand } from "./batch";
import { decodeTransferInput, encodeTransferInput } from "./journal";

/** A command as callers submit it. */
export type LiveCommand =
  | { readonly t: "accounts"; readonly inputs: readonly AccountInput[] }
  | { readonly t: "transfers"; readonly batch: readonly TransferInput[] }
  | { readonly t: "tick" }
  | { readonly t: "settings"; readonly settings: ExchangeSettings }
  | ExchangeCommand;

/** What applying a command did. */
export interface Applied {
  /** false: it changed nothing and takes no journal position (a duplicate placement, a tick with nothing due). */
  readonly journalled: boolean;
  readonly value: unknown;
}

/** Thrown when the journal does not replay: the stored state is corrupt. */
export class ReplayError extends Error {
  constructor(
    message: string,
    readonly seq: number,
  ) {
    super(message);
    this.name = "ReplayError";
  }
}

export const GENESIS: ChainTip = { sequence: 0, chainHash: GENESIS_HASH, timestamp: 0, count: 0 };

/** The state as plain data, for snapshots. */
export interface ShardSnapshot {
  readonly format: 1;
  readonly shard: string;
  readonly seq: number;
  readonly lastAt: number;
  readonly chain: ChainTip;
  readonly ledger: LedgerSnapshot;
  readonly exchange: ExchangeSnapshot;
}

export interface ShardStateOptions {
  /** how many recent transfers the ledger keeps in memory (window mode). */
  readonly recentTransfers: number;
}

/** The sequencer's state of one shard. */
export class ShardState {
  /** the last journal position applied. */
  seq = 0;
  /** the clock of the last command applied (ms); commands never go back in time. */
  lastAt = 0;
  /** the end of the chain over everything applied (committed or not). */
  chain: ChainTip = GENESIS;

  constructor(
    readonly shard: string,
    public ledger: Ledger,
    public exchange: ExchangeCore,
  ) {}

  static empty(shard: string, settings: ExchangeSettings, options: ShardStateOptions): ShardState {
    return new ShardState(shard, new Ledger({ recentTransfers: options.recentTransfers }), new ExchangeCore(settings));
  }

  snapshot(): ShardSnapshot {
    return {
      format: 1,
      shard: this.shard,
      seq: this.seq,
      lastAt: this.lastAt,
      chain: this.chain,
      ledger: this.ledger.snapshot(),
      exchange: this.exchange.snapshot(),
    };
  }

  static fromSnapshot(snap: ShardSnapshot, options: ShardStateOptions): ShardState {
    if (snap === null || typeof snap !== "object" || snap.format !== 1) throw new Error("invalid snapshot: format");
    const state = new ShardState(snap.shard, Ledger.fromSnapshot(snap.ledger, { recentTransfers: options.recentTransfers }), ExchangeCore.fromSnapshot(snap.exchange));
    state.seq = snap.seq;
    state.lastAt = snap.lastAt;
    state.chain = snap.chain;
    return state;
  }

  // ---------------------------------------------------------------- reads

  /** An account's balances as memory holds them (committed or not). */
  available(accountId: string): bigint {
    const b = this.ledger.balances(accountId);
    return b === undefined ? 0n : b.creditsPosted - b.debitsPosted - b.debitsPending;
  }

  /** Everything the ledger and the exchange check about themselves. */
  invariants(): string[] {
    const problems = [...this.ledger.invariants().problems];
    problems.push(...this.exchange.invariants(this.gateForChecks()));
    return problems;
  }

  private gateForChecks(): LedgerGate {
    return {
      createAccounts: () => {
        throw new Error("read only");
      },
      createTransfers: () => {
        throw new Error("read only");
      },
      available: (id) => this.available(id),
      pendingAmount: (id) => (this.ledger.holdStatus(id) === "pending" ? this.ledger.lookupTransfer(id)?.amount : undefined),
      creditsPending: (id) => this.ledger.balances(id)?.creditsPending ?? 0n,
      hasAccount: (id) => this.ledger.hasAccount(id),
    };
  }

  // ---------------------------------------------------------------- apply

  /** Applies a caller's command at `at` (ms), appending what it produced to `batch`. */
  apply(cmd: LiveCommand, at: number, batch: Batch): Applied {
    if (at < this.lastAt) throw new Error(`the sequencer's clock went back: ${at} < ${this.lastAt}`);
    const seq = this.seq + 1;
    let entry: JournalCommand;
    let value: unknown;
    switch (cmd.t) {
      case "accounts": {
        const out = this.ledger.createAccounts(cmd.inputs, at);
        this.appendAccounts(out.records, batch);
        entry = { seq, at, t: "accounts", inputs: cmd.inputs.slice(), results: out.results };
        value = out;
        break;
      }
      case "transfers": {
        const out = this.ledger.createTransfers(cmd.batch, at);
        this.appendTransfers(out.records, batch);
        entry = { seq, at, t: "transfers", batch: cmd.batch.map(encodeTransferInput), results: out.results };
        value = out;
        break;
      }
      case "tick": {
        if (!this.exchange.tickDue(at) && !this.ledger.hasDueHolds(at)) return { journalled: false, value: [] };
        value = this.tick(seq, at, batch);
        entry = { seq, at, t: "tick" };
        break;
      }
      case "settings": {
        this.exchange.settings = cmd.settings;
        entry = { seq, at, t: "settings", settings: cmd.settings };
        value = undefined;
        break;
      }
      default: {
        const result = this.exchange.execute(cmd, this.context(seq, at, batch));
        if (!result.ok && result.code === "duplicate") return { journalled: false, value: result };
        entry = { ...cmd, seq, at };
        value = result;
      }
    }
    this.journal(entry, batch);
    return { journalled: true, value };
  }

  /** Applies a journalled command again (a replay): the same records, or a ReplayError. */
  replay(entry: JournalCommand, batch: Batch): void {
    if (entry.seq !== this.seq + 1) throw new ReplayError(`journal entry ${entry.seq} follows ${this.seq}: entries are missing or repeated`, this.seq + 1);
    if (entry.at < this.lastAt) throw new ReplayError(`journal entry ${entry.seq} goes back in time`, entry.seq);
    const { seq, at } = entry;
    try {
      switch (entry.t) {
        case "accounts":
          this.appendAccounts(this.ledger.replayAccounts(entry.inputs, at, entry.results).records, batch);
          break;
        case "transfers":
          this.appendTransfers(this.ledger.replayTransfers(entry.batch.map(decodeTransferInput), at, entry.results).records, batch);
          break;
        case "tick":
          this.tick(seq, at, batch);
          break;
        case "settings":
          this.exchange.settings = entry.settings;
          break;
        default: {
          const { seq: _s, at: _a, ...cmd } = entry;
          const result = this.exchange.execute(cmd as ExchangeCommand, this.context(seq, at, batch));
          if (!result.ok && result.code === "duplicate") throw new Error("a journalled placement replays as a duplicate");
        }
      }
    } catch (err) {
      if (err instanceof ReplayError) throw err;
      throw new ReplayError(`journal entry ${seq} (${entry.t}) does not replay: ${err instanceof Error ? err.message : String(err)}`, seq);
    }
    this.journal(entry, batch);
  }

  private journal(entry: JournalCommand, batch: Batch): void {
    this.seq = entry.seq;
    this.lastAt = entry.at;
    if (batch.firstSeq === 0) batch.firstSeq = entry.seq;
    batch.lastSeq = entry.seq;
    batch.journal.push(entry);
  }

  /** The ledger's expiries, then the books' clocks. Returns the ledger's expiry records. */
  private tick(seq: number, at: number, batch: Batch): TransferRecord[] {
    const expired: TransferRecord[] = [];
    const records = this.ledger.expirePending(at);
    this.appendTransfers(records, batch);
    expired.push(...records);
    this.exchange.tick(this.context(seq, at, batch, expired));
    return expired;
  }

  private context(seq: number, at: number, batch: Batch, expired?: TransferRecord[]): CommandContext {
    const ledger = this.ledger;
    const gate: LedgerGate = {
      createAccounts: (inputs) => {
        const out = ledger.createAccounts(inputs, at);
        this.appendAccounts(out.records, batch);
        const bad = out.results.findIndex((r) => r !== "ok");
        if (bad >= 0) throw new Error(`account ${inputs[bad]?.id}: ${out.results[bad]}`);
      },
      createTransfers: (transfers) => {
        const out = ledger.createTransfers(transfers, at);
        this.appendTransfers(out.records, batch);
        if (expired !== undefined) for (const r of out.records) if (r.kind === "expire") expired.push(r);
        const bad = out.results.findIndex((r) => r !== "ok");
        if (bad >= 0) throw new Error(`transfer ${transfers[bad]?.id}: ${out.results[bad]}`);
      },
      available: (id) => this.available(id),
      pendingAmount: (id) => (ledger.holdStatus(id) === "pending" ? ledger.lookupTransfer(id)?.amount : undefined),
      creditsPending: (id) => ledger.balances(id)?.creditsPending ?? 0n,
      hasAccount: (id) => ledger.hasAccount(id),
    };
    const out: ExchangeEffects = {
      order: (o) => void batch.orders.set(o.id, o),
      contract: (c) => void batch.contracts.push(c),
      event: (e) => void batch.events.push(e),
      market: (id) => void batch.markets.add(id),
    };
    return { seq, at, shard: this.shard, ledger: gate, out };
  }

  // ---------------------------------------------------------------- records

  private appendAccounts(records: readonly AccountRecord[], batch: Batch): void {
    let { sequence, chainHash, timestamp } = this.chain;
    for (const r of records) {
      const contentHash = hashAccount(r);
      chainHash = chainLink(chainHash, contentHash);
      timestamp = r.timestamp;
      batch.accounts.push({ record: r, sequence: ++sequence, contentHash, chainHash });
      batch.view.addAccount(r.id);
    }
    this.chain = { sequence, chainHash, timestamp, count: this.chain.count };
    batch.chainAfter = this.chain;
  }

  /** Appends transfers (in the order the ledger made them) with the posted totals of both accounts after each. */
  private appendTransfers(records: readonly TransferRecord[], batch: Batch): void {
    const n = records.length;
    if (n === 0) return;
    // Walk back from the balances after the last record to the totals after each one.
    const running = new Map<string, { d: bigint; c: bigint }>();
    const at = (id: string) => {
      let t = running.get(id);
      if (t === undefined) {
        const b = this.ledger.balances(id);
        t = { d: b?.debitsPosted ?? 0n, c: b?.creditsPosted ?? 0n };
        running.set(id, t);
      }
      return t;
    };
    const totals = new Array<[bigint, bigint, bigint, bigint]>(n);
    for (let k = n - 1; k >= 0; k--) {
      const r = records[k] as TransferRecord;
      const dr = at(r.debitAccountId);
      const cr = at(r.creditAccountId);
      totals[k] = [dr.d, dr.c, cr.d, cr.c];
      if (r.kind === "single" || r.kind === "post") {
        dr.d -= r.amount;
        cr.c -= r.amount;
      }
    }
    let { sequence, chainHash, timestamp } = this.chain;
    for (let k = 0; k < n; k++) {
      const r = records[k] as TransferRecord;
      const contentHash = transferContentHash(r);
      chainHash = chainLink(chainHash, contentHash);
      timestamp = r.timestamp;
      batch.pushTransfer(r, ++sequence, contentHash, chainHash, totals[k] as [bigint, bigint, bigint, bigint]);
      batch.view.addTransfer(r, r.pendingId === null ? undefined : this.ledger.lookupTransfer(r.pendingId));
    }
    this.chain = { sequence, chainHash, timestamp, count: this.chain.count + n };
    batch.chainAfter = this.chain;
  }
}

/** The committed view of an account: memory less what the batches not yet committed did to it. */
export function committedAccount(s: AccountSnapshot | undefined, pending: readonly Batch[]): AccountSnapshot | undefined {
  let out = s;
  for (let i = pending.length - 1; i >= 0 && out !== undefined; i--) out = (pending[i] as Batch).view.before(out);
  return out;
}

export { ORDER_HOLDS_ACCOUNT };
export type { CreateAccountsOutcome, CreateTransfersOutcome };
