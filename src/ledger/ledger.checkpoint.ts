/**
 * Signed checkpoints of a shard's hash chain. The writer signs, with an
 * Ed25519 key the database never sees, "shard S had record N with chain hash
 * H at time T". Anyone holding a copy of a checkpoint and the published
 * public key can later tell whether the stored chain still reaches H at N:
 * records removed after N, or a history rewritten behind N with every hash
 * recomputed, no longer do, and the database cannot forge a new signature.
 * Pure: node:crypto only.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

/** What a checkpoint vouches for. */
export interface CheckpointFields {
  readonly shard: string;
  /** the position of the last record the checkpoint covers (≥ 1). */
  readonly sequence: number;
  /** that record's chain hash, hex. */
  readonly chainHash: string;
  /** when it was signed, ISO 8601 UTC with milliseconds. */
  readonly signedAt: string;
}

/** A signed checkpoint as stored and served. */
export interface Checkpoint extends CheckpointFields {
  /** first 16 hex digits of sha256 of the signer's raw 32-byte public key. */
  readonly keyId: string;
  /** Ed25519 signature of checkpointPayload(fields), base64. */
  readonly signature: string;
}

/** Tag of the payload: a signature over it cannot be mistaken for one over anything else. */
export const CHECKPOINT_PAYLOAD_TAG = "shiftex.ledger.checkpoint.v1";

/**
 * The bytes that are signed, as a string: a JSON array
 * ["shiftex.ledger.checkpoint.v1", shard, "<sequence>", chainHash, signedAt].
 */
export function checkpointPayload(c: CheckpointFields): string {
  return JSON.stringify([CHECKPOINT_PAYLOAD_TAG, c.shard, String(c.sequence), c.chainHash, c.signedAt]);
}

// PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** An Ed25519 private key from its 32-byte seed. */
export function ed25519KeyFromSeed(seed: Buffer): KeyObject {
  if (seed.length !== 32) throw new RangeError("an Ed25519 seed is 32 bytes");
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
}

/**
 * The fixed signing key of development and tests (never accepted in
 * production: config.ts requires LEDGER_SIGNING_KEY there). Fixed, so a
 * development database's checkpoints verify across restarts.
 */
export function developmentSigningKey(): KeyObject {
  return ed25519KeyFromSeed(createHash("sha256").update("shiftex-development-ledger-signing-key-do-not-use-in-production").digest());
}

/** The public half of a key (a public key is returned as is). */
export function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === "public" ? key : createPublicKey(key);
}

/** The raw 32-byte Ed25519 public key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const jwk = publicKeyOf(key).export({ format: "jwk" });
  return Buffer.from(jwk.x as string, "base64url");
}

/** The id a key's checkpoints carry: the first 16 hex digits of sha256 of its raw public key. */
export function keyIdOf(key: KeyObject): string {
  return createHash("sha256").update(rawPublicKey(key)).digest("hex").slice(0, 16);
}

/** The public key as published: SPKI PEM, raw base64, and its id. */
export interface PublishedKey {
  readonly algorithm: "Ed25519";
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly publicKeyBase64: string;
}

export function publishKey(key: KeyObject): PublishedKey {
  const pub = publicKeyOf(key);
  return {
    algorithm: "Ed25519",
    keyId: keyIdOf(pub),
    publicKeyPem: pub.export({ format: "pem", type: "spki" }).toString(),
    publicKeyBase64: rawPublicKey(pub).toString("base64"),
  };
}

/** Signs a checkpoint. */
export function signCheckpoint(privateKey: KeyObject, fields: CheckpointFields): Checkpoint {
  const signature = sign(null, Buffer.from(checkpointPayload(fields), "utf8"), privateKey).toString("base64");
  return { ...fields, keyId: keyIdOf(privateKey), signature };
}

/** Why a checkpoint does not verify, or "ok". */
export type CheckpointCheck = "ok" | "unknown_key" | "bad_signature";

/** A checker of checkpoints against the trusted public keys (the signing key's and earlier ones). */
export function checkpointVerifier(trusted: readonly KeyObject[]): (c: Checkpoint) => CheckpointCheck {
  const keys = new Map(trusted.map((k) => [keyIdOf(k), publicKeyOf(k)]));
  return (c) => {
    const key = keys.get(c.keyId);
    if (key === undefined) return "unknown_key";
    let ok = false;
    try {
      ok = verify(null, Buffer.from(checkpointPayload(c), "utf8"), key, Buffer.from(c.signature, "base64"));
    } catch {
      ok = false;
    }
    return ok ? "ok" : "bad_signature";
  };
}
