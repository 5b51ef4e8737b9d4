/**
 * Identifiers: a prefix naming the kind plus a time-ordered random part, so
 * ids sort roughly by creation and say what they are ("org_…", "wrk_…").
 */
import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export type IdPrefix = "org" | "lic" | "key" | "wrk" | "otp" | "ses" | "req" | string;

/** Generates ids; injected so tests and replays can be deterministic. */
export type NewId = (prefix: IdPrefix) => string;

// Random bytes drawn 4 KiB at a time: one system call per 400 ids instead of one per id (ids are drawn per request).
const POOL = 4096;
let pool = randomBytes(POOL);
let poolAt = 0;
function randomInto(target: Uint8Array, offset: number, n: number): void {
  if (poolAt + n > POOL) {
    pool = randomBytes(POOL);
    poolAt = 0;
  }
  target.set(pool.subarray(poolAt, poolAt + n), offset);
  poolAt += n;
}

/** Time-ordered random id: 48-bit milliseconds + 80 random bits, base32. */
export const newId: NewId = (prefix) => {
  const bytes = new Uint8Array(16);
  const ms = Date.now();
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  randomInto(bytes, 6, 10);
  return `${prefix}_${base32(bytes)}`;
};

/** A random secret token (API keys, session tokens), URL-safe. */
export function newSecret(prefix: string, bytes = 24): string {
  return `${prefix}_${randomBytes(bytes).toString("base64url")}`;
}

const REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // no I, L, O, U: read aloud and typed by hand

/** A short reference a person types into a bank form, e.g. "SX-7K3Q-9MZD"; 40 random bits. */
export function newReference(prefix = "SX"): string {
  const bytes = randomBytes(8);
  let s = "";
  for (let i = 0; i < 8; i++) s += REFERENCE_ALPHABET[bytes[i]! & 31];
  return `${prefix}-${s.slice(0, 4)}-${s.slice(4)}`;
}
