/** The sequencer's errors: busy shard, corrupt stored state, unavailable writer, unacknowledged write. */
import { DomainError } from "../shared/errors";
import type { ChainFault } from "../ledger/ledger.hash";
import type { VerifyMode } from "../ledger/ledger.verifier";

/** Another sequencer holds the shard. */
export class LedgerShardBusyError extends DomainError {
  constructor(readonly shard: string) {
    super("conflict", `ledger shard ${shard} already has a writer (its advisory lock is held)`, { shard });
    this.name = "LedgerShardBusyError";
  }
}

/** The stored state does not verify or does not replay. */
export class LedgerCorruptError extends DomainError {
  /** the first bad position of the chain, when one is known. */
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

/** The sequencer takes no commands now: closed, rebuilding failed, or fenced out. */
export class LedgerUnavailableError extends DomainError {
  constructor(shard: string, why: string) {
    super("not_ready", `ledger shard ${shard} is unavailable: ${why}`, { shard });
    this.name = "LedgerUnavailableError";
  }
}

/**
 * A command was not acknowledged. outcome "not_written": nothing of it is
 * stored. outcome "unknown": it may or may not be stored; retry with the same
 * ids (stored transfers answer `exists`, a placement with the same client
 * order id finds the original).
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

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Whether the server refused the statement with an ERROR (the implicit
 * transaction rolled back, nothing is stored). FATAL/PANIC, a lost
 * connection or anything else leaves the outcome unknown.
 */
export function definitelyNotWritten(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { severity?: unknown; code?: unknown };
  return e.severity === "ERROR" && typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code);
}
