/**
 * sha256 of a text (UTF-8) or bytes, as lower-case hex: the ledger's hash chain, API-key and ticket look-ups,
 * idempotency fingerprints. One-shot `crypto.hash` rather than a Hash object per call: the ledger hashes
 * every account and transfer twice, and every authenticated request hashes its key, so the object's cost
 * (more than half of a short input's hashing) is paid on every hot path.
 */
import { hash } from "node:crypto";

export function sha256Hex(data: string | Uint8Array): string {
  return hash("sha256", data, "hex");
}
