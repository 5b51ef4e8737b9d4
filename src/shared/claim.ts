/**
 * A request's claim on its Idempotency-Key, as the modules see it. Every
 * creating POST that moves money runs under a claim (the caller's key, or one
 * the server draws when the caller sent none). The token fences the claim: a
 * retry that takes the claim over gets a higher token, and every write of the
 * request checks its token in the same transaction, so a handler whose claim
 * was taken over can neither write a second effect nor store its response.
 */
import { DomainError } from "./errors";

export interface Claim {
  readonly caller: string;
  readonly key: string;
  /** The fencing token: only the holder of the current token may write. */
  readonly token: bigint;
}

/** A response rebuilt from what an operation stored. */
export interface Recovered {
  readonly statusCode: number;
  readonly body: unknown;
}

/**
 * Completes an operation that a request started (the module recorded
 * `target` on the claim together with its first write) from what the module
 * stored, and answers what the request would have answered. Null when
 * nothing of the operation stands, so the request may run anew.
 */
export type Recover = (target: string, claim: Claim) => Promise<Recovered | null>;

/** The claim was taken over by a later retry: this handler must stop writing. */
export function claimLost(): DomainError {
  return new DomainError("idempotency_in_progress", "a retry with this Idempotency-Key took the request over; retry with the same key to read its result", {
    field: "/headers/idempotency-key",
  });
}
