/**
 * Canonical encodings and the hash chain that make a shard's records
 * tamper-evident. Pure and deterministic.
 *
 * A shard's records, accounts' creations and transfers alike, form ONE chain
 * in the writer's order: record n has position ("sequence") n, 1, 2, 3, …
 * with no gaps. Each stores contentHash = sha256(canonical encoding) and
 * chainHash = sha256(chainHash of record n-1 + contentHash), the first
 * record chained to GENESIS_HASH. An edited, inserted, removed or reordered
 * record breaks the chain from there on; a rewrite that recomputes every
 * hash after it is caught by the signed checkpoints (ledger.checkpoint.ts).
 */
import { sha256Hex } from "../shared/sha256";
import type { AccountRecord, TransferRecord } from "./ledger.types";

/** Version of the encodings below; part of every encoding so they can evolve. */
export const HASH_VERSION = 1;
/** The "previous hash" of the first record of a chain. */
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

/** Every field of an account, in a fixed order, as an unambiguous string (8 elements, a transfer's 13: never equal). */
export function canonicalAccount(a: AccountRecord): string {
  return JSON.stringify([HASH_VERSION, a.id, a.ledger, a.code, a.ownerId, a.flags, a.userData, a.timestamp]);
}

const sha256 = sha256Hex;

/** sha256 of a transfer's canonical encoding, hex. */
export function transferContentHash(r: TransferRecord): string {
  return sha256(canonicalTransfer(r));
}

/** sha256 of an account's canonical encoding, hex. */
export function hashAccount(a: AccountRecord): string {
  return sha256(canonicalAccount(a));
}

/** The link of a record into the chain: sha256(previous chain hash + its content hash), hex. */
export function chainLink(prevChainHash: string, contentHash: string): string {
  return sha256(prevChainHash + contentHash);
}

/** The two hashes stored with a record. */
export interface TransferHashes {
  contentHash: string;
  chainHash: string;
}

/** A transfer's content hash and its link after `prevChainHash`. */
export function hashTransfer(prevChainHash: string, r: TransferRecord): TransferHashes {
  const contentHash = transferContentHash(r);
  return { contentHash, chainHash: chainLink(prevChainHash, contentHash) };
}

/** A record of a shard's chain as stored: an account's creation or a transfer, at its position. */
export type ChainEntry =
  | {
      readonly type: "account";
      readonly sequence: number;
      readonly record: AccountRecord;
      readonly contentHash: string;
      readonly chainHash: string;
    }
  | {
      readonly type: "transfer";
      readonly sequence: number;
      readonly record: TransferRecord;
      readonly contentHash: string;
      readonly chainHash: string;
    };

/** The content hash an entry's fields give. */
export function contentHashOf(e: ChainEntry): string {
  return e.type === "account" ? hashAccount(e.record) : transferContentHash(e.record);
}

/** The first entry of a run that does not verify, and why. */
export interface ChainFault {
  readonly sequence: number;
  readonly type?: "account" | "transfer";
  readonly id?: string;
  readonly reason: string;
}

/** Where a walk along the chain stands. */
export interface ChainPosition {
  /** the last position accepted (0 before the first record). */
  sequence: number;
  /** its chain hash (GENESIS_HASH before the first record). */
  chainHash: string;
  /** its timestamp (0 before the first record). */
  timestamp: number;
  /** the last position known to match a signed checkpoint (or where the walk started). */
  anchored: number;
}

/** What a signed checkpoint says about a position; only checkpoints whose signature verified are passed in. */
export interface CheckpointClaim {
  readonly sequence: number;
  readonly chainHash: string;
  readonly signedAt: string;
}

/**
 * Walks entries (in sequence order) on from `at`, recomputing each one's
 * hashes: the next entry must sit at the next position, hash to its stored
 * content hash, link to its predecessor, and where a checkpoint was signed,
 * carry the signed chain hash. Advances `at` past every entry that
 * verifies; returns the first fault, or undefined.
 */
export function walkChain(
  entries: Iterable<ChainEntry>,
  at: ChainPosition,
  checkpoints: ReadonlyMap<number, CheckpointClaim> = new Map(),
): ChainFault | undefined {
  for (const e of entries) {
    const expected = at.sequence + 1;
    if (e.sequence !== expected) {
      return e.sequence > expected
        ? { sequence: expected, reason: `record ${expected} is missing (the next stored record is ${e.sequence})` }
        : { sequence: e.sequence, type: e.type, id: e.record.id, reason: `record ${e.sequence} is stored twice` };
    }
    const where = { sequence: e.sequence, type: e.type, id: e.record.id };
    if (contentHashOf(e) !== e.contentHash) {
      return { ...where, reason: `${e.type} ${e.record.id} at ${e.sequence}: its fields do not match its content hash (edited)` };
    }
    if (chainLink(at.chainHash, e.contentHash) !== e.chainHash) {
      return { ...where, reason: `${e.type} ${e.record.id} at ${e.sequence}: does not chain to record ${at.sequence} (edited, inserted or reordered)` };
    }
    if (e.record.timestamp <= at.timestamp) {
      return { ...where, reason: `${e.type} ${e.record.id} at ${e.sequence}: its timestamp is not after its predecessor's` };
    }
    const signed = checkpoints.get(e.sequence);
    if (signed !== undefined && signed.chainHash !== e.chainHash) {
      const first = at.anchored + 1;
      return {
        sequence: first,
        reason:
          `records ${first}…${e.sequence} do not hash to the checkpoint signed for record ${e.sequence} at ${signed.signedAt}: ` +
          `the history up to it was rewritten with recomputed hashes`,
      };
    }
    at.sequence = e.sequence;
    at.chainHash = e.chainHash;
    at.timestamp = e.record.timestamp;
    if (signed !== undefined) at.anchored = e.sequence;
  }
  return undefined;
}
