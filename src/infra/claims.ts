/**
 * The SQL of idempotency claims (table idempotency_records). A record is a
 * claim while status_code is 0 and a stored response afterwards. A claim
 * names its owner (the process instance running the request, or NULL once
 * the request ended without a response: see release) and a fencing token
 * that every takeover increments. Writes of a request check the token in
 * the same transaction (holdClaim), so after a takeover the old handler's
 * writes change nothing.
 */
import type { Claim } from "../shared/claim";
import type { SqlClient, SqlPool } from "./db";

/** A record as stored. */
export interface ClaimRecord {
  readonly caller: string;
  readonly key: string;
  readonly requestHash: string;
  /** 0 while claimed. */
  readonly statusCode: number;
  readonly responseBody: unknown;
  readonly token: bigint;
  readonly owner: bigint | null;
  readonly claimedAt: Date;
  readonly operation: string | null;
  readonly target: string | null;
  /** The response held a secret: it was not stored and cannot be replayed. */
  readonly secret: boolean;
}

/** A claim just taken over, with the operation its earlier holder started (if any). */
export interface TakenClaim extends Claim {
  readonly operation: string | null;
  readonly target: string | null;
}

interface Row {
  caller: string;
  key: string;
  request_hash: string;
  status_code: number;
  response_body: unknown;
  token: bigint | string;
  owner_instance: bigint | string | null;
  claimed_at: Date | string;
  operation: string | null;
  target: string | null;
  secret: boolean;
}

const COLUMNS = `caller, key, request_hash, status_code, response_body, token, owner_instance, claimed_at, operation, target, secret`;

function record(r: Row): ClaimRecord {
  return {
    caller: r.caller,
    key: r.key,
    requestHash: r.request_hash,
    statusCode: Number(r.status_code),
    responseBody: r.response_body,
    token: BigInt(r.token),
    owner: r.owner_instance === null ? null : BigInt(r.owner_instance),
    claimedAt: new Date(r.claimed_at),
    operation: r.operation,
    target: r.target,
    secret: r.secret,
  };
}

/**
 * Inside a transaction: true while `claim` is still held (locking the claim
 * until the transaction ends, so a takeover waits for it), recording the
 * operation the request starts when `start` is given. The module's own
 * write follows in the same transaction; on false it must write nothing.
 */
export async function holdClaim(tx: SqlClient, claim: Claim, start?: { operation: string; target: string }): Promise<boolean> {
  const r = start
    ? await tx.query(
        `UPDATE idempotency_records SET operation = $4, target = $5
          WHERE caller = $1 AND key = $2 AND token = $3 AND status_code = 0
          RETURNING 1`,
        [claim.caller, claim.key, claim.token, start.operation, start.target],
      )
    : await tx.query(
        `SELECT 1 FROM idempotency_records WHERE caller = $1 AND key = $2 AND token = $3 AND status_code = 0 FOR UPDATE`,
        [claim.caller, claim.key, claim.token],
      );
  return r.rows.length === 1;
}

/** Thrown inside underClaim's function to roll its transaction back and return `outcome` instead. */
export class Rollback<O> {
  constructor(readonly outcome: O) {}
}

/**
 * The way a module writes on behalf of a request (every module that moves
 * money does it this way): runs fn in one transaction that first holds
 * `claim` and, with `start`, records the operation the request starts and
 * its target (the row fn writes), so whoever takes the claim over finds
 * that row. "claim_lost" when the claim was taken over: nothing is written.
 * fn may throw `new Rollback(outcome)` to write nothing and return outcome.
 */
export async function underClaim<T, O = never>(
  sql: SqlPool,
  claim: Claim,
  start: { operation: string; target: string } | undefined,
  fn: (tx: SqlClient) => Promise<T>,
): Promise<T | O | "claim_lost"> {
  try {
    return await sql.transaction(async (tx) => {
      if (!(await holdClaim(tx, claim, start))) throw new Rollback("claim_lost" as const);
      return fn(tx);
    });
  } catch (err) {
    if (err instanceof Rollback) return err.outcome as O | "claim_lost";
    throw err;
  }
}

export function createClaimsRepository(sql: SqlPool) {
  return {
    /** Claims (caller, key) for a new request; null when a record exists. */
    async claim(input: { caller: string; key: string; method: string; path: string; requestHash: string; owner: bigint; now: Date }): Promise<Claim | null> {
      const r = await sql.query(
        `INSERT INTO idempotency_records (caller, key, method, path, request_hash, status_code, response_body, token, owner_instance, claimed_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 0, 'null'::jsonb, 1, $6, $7, $7)
         ON CONFLICT (caller, key) DO NOTHING`,
        [input.caller, input.key, input.method, input.path, input.requestHash, input.owner, input.now],
      );
      return r.rowCount === 1 ? { caller: input.caller, key: input.key, token: 1n } : null;
    },

    async find(caller: string, key: string): Promise<ClaimRecord | null> {
      const r = await sql.query<Row>(`SELECT ${COLUMNS} FROM idempotency_records WHERE caller = $1 AND key = $2`, [caller, key]);
      return r.rows[0] ? record(r.rows[0]) : null;
    },

    /** Takes over a claim still at `seenToken`: the token goes up, the owner becomes `owner`. Null if someone else was first. */
    async takeOver(caller: string, key: string, seenToken: bigint, owner: bigint, now: Date): Promise<TakenClaim | null> {
      const r = await sql.query<{ token: bigint | string; operation: string | null; target: string | null }>(
        `UPDATE idempotency_records SET token = token + 1, owner_instance = $4, claimed_at = $5
          WHERE caller = $1 AND key = $2 AND token = $3 AND status_code = 0
          RETURNING token, operation, target`,
        [caller, key, seenToken, owner, now],
      );
      const row = r.rows[0];
      return row ? { caller, key, token: BigInt(row.token), operation: row.operation, target: row.target } : null;
    },

    /** Stores the response (none when it held a secret); false when the claim was taken over meanwhile. */
    async complete(claim: Claim, statusCode: number, body: unknown, secret: boolean, now: Date): Promise<boolean> {
      const r = await sql.query(
        `UPDATE idempotency_records
            SET status_code = $4, response_body = $5::jsonb, secret = $6, completed_at = $7, owner_instance = NULL
          WHERE caller = $1 AND key = $2 AND token = $3 AND status_code = 0`,
        [claim.caller, claim.key, claim.token, statusCode, secret ? "null" : JSON.stringify(body ?? null), secret, now],
      );
      return r.rowCount === 1;
    },

    /**
     * The request ended without a response to keep and its outcome may be
     * partial: keep the claim, owned by nobody, so the next retry (or the
     * sweeper) takes it over at once and completes what was stored.
     */
    async release(claim: Claim): Promise<void> {
      await sql.query(
        `UPDATE idempotency_records SET owner_instance = NULL WHERE caller = $1 AND key = $2 AND token = $3 AND status_code = 0`,
        [claim.caller, claim.key, claim.token],
      );
    },

    /** The request was refused and stored nothing: forget the claim, so the key may be used again. */
    async forget(claim: Claim): Promise<void> {
      await sql.query(`DELETE FROM idempotency_records WHERE caller = $1 AND key = $2 AND token = $3 AND status_code = 0`, [
        claim.caller,
        claim.key,
        claim.token,
      ]);
    },

    /**
     * Claims nobody works on: released ones, ones whose owner is not among
     * `live`, and ones claimed before `staleBefore` (a request that hangs).
     */
    async abandoned(live: readonly bigint[], staleBefore: Date, limit: number): Promise<ClaimRecord[]> {
      const r = await sql.query<Row>(
        `SELECT ${COLUMNS} FROM idempotency_records
          WHERE status_code = 0
            AND (owner_instance IS NULL OR NOT (owner_instance = ANY($1::bigint[])) OR claimed_at < $2)
          ORDER BY claimed_at
          LIMIT $3`,
        [live.map(String), staleBefore, limit],
      );
      return r.rows.map(record);
    },

    /** Deletes stored responses completed before `before`; returns how many. Claims stay until their request is finished. */
    async purge(before: Date, limit = 10_000): Promise<number> {
      const r = await sql.query(
        `DELETE FROM idempotency_records WHERE (caller, key) IN (
           SELECT caller, key FROM idempotency_records WHERE status_code <> 0 AND completed_at < $1 LIMIT $2)`,
        [before, limit],
      );
      return r.rowCount;
    },
  };
}
export type ClaimsRepository = ReturnType<typeof createClaimsRepository>;
