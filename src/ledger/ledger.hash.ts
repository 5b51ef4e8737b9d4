/**
 * Canonical encodings and hash chain for tamper evidence. Pure and
 * deterministic: the writer stores each transfer's hashes beside it and a
 * verifier recomputes them from the stored fields in timestamp order; any
 * edited, inserted, removed or reordered row breaks the chain from there on.
 */
import { createHash } from "node:crypto";
import type { AccountRecord, TransferRecord } from "./ledger.types";

/** Version of the encodings below; part of every encoding so they can evolve. */
export const HASH_VERSION = 1;
/** The "previous hash" of the first transfer of a chain. */
export const GENESIS_HASH = "0".repeat(64);

/** Every field of a transfer, in a fixed order, as an unambiguous string. */
export function canonicalTransfer(r: TransferRecord): string {
  return JSON.stringify([
    HASH_VERSION,
    r.id,
    r.kind,
    r.debitAccountId,
    r.creditAccountId,
    r.amount.toString(),
    r.pendingId,
    r.ledger,
    r.code,
    r.flags,
    r.timeoutMs,
    r.userData,
    r.timestamp,
  ]);
}

/** Every field of an account, in a fixed order, as an unambiguous string. */
export function canonicalAccount(a: AccountRecord): string {
  return JSON.stringify([HASH_VERSION, a.id, a.ledger, a.code, a.ownerId, a.flags, a.userData, a.timestamp]);
}

function sha256(s: string): string {
  return createHash("sha256").update(s, "utf8").digest("hex");
}

/** The two hashes stored with a transfer: of its content, and of that chained to its predecessor. */
export interface TransferHashes {
  contentHash: string;
  chainHash: string;
}

/** contentHash = sha256(canonical); chainHash = sha256(prevChainHash + contentHash), hex. */
export function hashTransfer(prevChainHash: string, r: TransferRecord): TransferHashes {
  const contentHash = sha256(canonicalTransfer(r));
  return { contentHash, chainHash: sha256(prevChainHash + contentHash) };
}

/** sha256 of an account's canonical encoding, hex. */
export function hashAccount(a: AccountRecord): string {
  return sha256(canonicalAccount(a));
}

/**
 * Recomputes a chain over stored rows (in timestamp order) and returns the
 * index of the first row whose stored hashes do not match, or -1 if all do.
 */
export function verifyTransferChain(
  rows: Iterable<{ record: TransferRecord; contentHash: string; chainHash: string }>,
  prevChainHash: string = GENESIS_HASH,
): number {
  let prev = prevChainHash;
  let i = 0;
  for (const row of rows) {
    const h = hashTransfer(prev, row.record);
    if (h.contentHash !== row.contentHash || h.chainHash !== row.chainHash) return i;
    prev = row.chainHash;
    i++;
  }
  return -1;
}
