/**
 * Signed snapshots of a shard's state. A snapshot says "after journal entry
 * J, with the chain at record S and hash H, the state was X"; start-up loads
 * the newest and replays only the journal after it. Its digest is signed
 * with the ledger's Ed25519 key (the same key as the chain's checkpoints),
 * so a snapshot changed in the database (a balance raised, a hold dropped)
 * no longer verifies and is refused. Pure: node:crypto only.
 */
import { sign, verify, type KeyObject } from "node:crypto";
import { keyIdOf, publicKeyOf } from "../ledger/ledger.checkpoint";
import { sha256Hex } from "../shared/sha256";
import type { SnapshotRow } from "./sequencer.repository";

export const SNAPSHOT_PAYLOAD_TAG = "shiftex.sequencer.snapshot.v1";

function payload(shard: string, s: Omit<SnapshotRow, "state" | "keyId" | "signature">): Buffer {
  return Buffer.from(JSON.stringify([SNAPSHOT_PAYLOAD_TAG, shard, String(s.journalSeq), String(s.chainSequence), s.chainHash, s.digest]), "utf8");
}

/** A signed snapshot row of a state already serialised to `state`. */
export function signSnapshot(key: KeyObject, shard: string, fields: { journalSeq: number; chainSequence: number; chainHash: string; state: string }): SnapshotRow {
  const digest = sha256Hex(fields.state);
  const signature = sign(null, payload(shard, { ...fields, digest }), key).toString("base64");
  return { ...fields, digest, keyId: keyIdOf(key), signature };
}

/** Why a stored snapshot cannot be trusted, or undefined if it verifies with one of the trusted keys. */
export function snapshotFault(trusted: readonly KeyObject[], shard: string, s: SnapshotRow): string | undefined {
  if (sha256Hex(s.state) !== s.digest) return "its state does not match its digest (edited)";
  const key = trusted.find((k) => keyIdOf(k) === s.keyId);
  if (key === undefined) return `it is signed by key ${s.keyId}, which this server does not trust`;
  let ok = false;
  try {
    ok = verify(null, payload(shard, s), publicKeyOf(key), Buffer.from(s.signature, "base64"));
  } catch {
    ok = false;
  }
  return ok ? undefined : "its signature does not verify (edited)";
}
