/**
 * Verification of a shard's stored chain against its signed checkpoints.
 *
 * full: every checkpoint's signature, and every record from the first on
 * (content hash, link to its predecessor, and at each signed position the
 * signed chain hash). Names the first bad position.
 *
 * incremental (start-up): the newest checkpoint's signature, the record at
 * its position against it, and every record after it. Cheap whatever the
 * history's length: a rewrite behind the newest checkpoint that recomputed
 * the hashes changes the chain hash at its position and is caught; an edit
 * behind it that left the stored hashes alone is found only by a full
 * verification (GET /v1/ledger/verify, or LEDGER_VERIFY_ON_START=full).
 *
 * Both: a checkpoint (or the writer's own committed tip) beyond the last
 * stored record means records were removed; the first missing one is named.
 */
import type { SqlClient } from "../infra/db";
import type { Checkpoint, CheckpointCheck } from "./ledger.checkpoint";
import { GENESIS_HASH, walkChain, type ChainFault, type ChainPosition, type CheckpointClaim } from "./ledger.hash";
import { chainPage, chainPages, checkpointPages, lastSequence, latestCheckpoint } from "./ledger.repository";

export type VerifyMode = "full" | "incremental";

/** What a verification found. */
export interface ChainReport {
  readonly ok: boolean;
  readonly mode: VerifyMode;
  /** records (accounts and transfers) whose hashes were recomputed and verified. */
  readonly checked: number;
  /** the first position recomputed (1 for a full verification). */
  readonly from: number;
  /** the last stored position the walk reached. */
  readonly through: number;
  /** checkpoints whose signatures were checked. */
  readonly checkpointsChecked: number;
  /** the newest checkpoint, if any. */
  readonly lastCheckpoint?: { readonly sequence: number; readonly signedAt: string };
  /** the first bad position and what is wrong there. */
  readonly firstBad?: ChainFault;
}

export interface VerifyOptions {
  readonly mode: VerifyMode;
  /** checks a checkpoint's signature against the trusted keys. */
  readonly check: (c: Checkpoint) => CheckpointCheck;
  readonly pageSize?: number;
  /** what the running writer committed: the stored chain must reach it, with this hash. */
  readonly committed?: { readonly sequence: number; readonly chainHash: string };
}

function signatureFault(c: Checkpoint, why: CheckpointCheck): ChainFault {
  return {
    sequence: c.sequence,
    reason:
      why === "unknown_key"
        ? `the checkpoint for record ${c.sequence} (signed at ${c.signedAt}) names key ${c.keyId}, which this server does not trust; ` +
          "after rotating LEDGER_SIGNING_KEY, list the old public key in LEDGER_PREVIOUS_PUBLIC_KEYS"
        : `the checkpoint for record ${c.sequence} (signed at ${c.signedAt}) does not verify with key ${c.keyId}: it was altered`,
  };
}

function missingFault(last: number, upTo: number, what: string): ChainFault {
  return {
    sequence: last + 1,
    reason: last + 1 === upTo ? `record ${upTo} is missing, though ${what} covers it` : `records ${last + 1}…${upTo} are missing, though ${what} covers them`,
  };
}

function earliest(a: ChainFault | undefined, b: ChainFault | undefined): ChainFault | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.sequence < a.sequence ? b : a;
}

/** Verifies a shard's stored chain; see the module comment for what each mode covers. */
export async function verifyStoredChain(sql: SqlClient, shard: string, options: VerifyOptions): Promise<ChainReport> {
  const pageSize = options.pageSize ?? 10_000;
  const claims = new Map<number, CheckpointClaim>();
  let signatures: ChainFault | undefined;
  let checkpointsChecked = 0;
  let newest: Checkpoint | undefined;
  let newestValid: Checkpoint | undefined;
  const take = (c: Checkpoint) => {
    checkpointsChecked++;
    newest = c;
    const why = options.check(c);
    if (why === "ok") {
      claims.set(c.sequence, c);
      newestValid = c;
    } else signatures ??= signatureFault(c, why);
  };
  if (options.mode === "full") {
    for await (const page of checkpointPages(sql, shard, pageSize)) for (const c of page) take(c);
  } else {
    const c = await latestCheckpoint(sql, shard);
    if (c !== undefined) take(c);
  }
  const last = newest === undefined ? undefined : { sequence: newest.sequence, signedAt: newest.signedAt };
  const report = (checked: number, from: number, through: number, fault: ChainFault | undefined): ChainReport => {
    const firstBad = earliest(signatures, fault);
    return {
      ok: firstBad === undefined,
      mode: options.mode,
      checked,
      from,
      through,
      checkpointsChecked,
      ...(last ? { lastCheckpoint: last } : {}),
      ...(firstBad ? { firstBad } : {}),
    };
  };

  // Records removed from the end: a signed checkpoint, or the writer itself, vouches for more than is stored.
  const stored = await lastSequence(sql, shard);
  if (newestValid !== undefined && newestValid.sequence > stored) {
    return report(0, stored + 1, stored, missingFault(stored, newestValid.sequence, `the checkpoint signed at ${newestValid.signedAt}`));
  }
  if (options.committed !== undefined && options.committed.sequence > stored) {
    return report(0, stored + 1, stored, missingFault(stored, options.committed.sequence, "what this writer committed"));
  }
  if (options.mode === "incremental" && signatures !== undefined) return report(0, 1, stored, undefined);

  const at: ChainPosition = { sequence: 0, chainHash: GENESIS_HASH, timestamp: 0, anchored: 0 };
  if (options.mode === "incremental" && newest !== undefined && newest.sequence > 1) {
    // Start at the newest checkpoint's predecessor, taken as stored: the link at the checkpoint's position vouches for it.
    const before = (await chainPage(sql, shard, newest.sequence - 2, 1))[0];
    if (before === undefined || before.sequence !== newest.sequence - 1) {
      return report(0, newest.sequence - 1, stored, { sequence: newest.sequence - 1, reason: `record ${newest.sequence - 1} is missing` });
    }
    at.sequence = before.sequence;
    at.chainHash = before.chainHash;
    at.timestamp = before.record.timestamp;
  }
  const from = at.sequence + 1;
  const upTo = options.committed?.sequence;
  let fault: ChainFault | undefined;
  for await (const page of chainPages(sql, shard, at.sequence, pageSize, upTo)) {
    fault = walkChain(page, at, claims);
    if (fault !== undefined) break;
  }
  if (fault === undefined && options.committed !== undefined && at.sequence < options.committed.sequence) {
    fault = missingFault(at.sequence, options.committed.sequence, "what this writer committed");
  } else if (fault === undefined && options.committed !== undefined && at.chainHash !== options.committed.chainHash) {
    const first = at.anchored + 1;
    fault = {
      sequence: first,
      reason: `records ${first}…${at.sequence} do not hash to what this writer committed: the history was rewritten with recomputed hashes`,
    };
  }
  // every record up to `at` verified; the walk stopped at the first one that did not
  return report(at.sequence - from + 1, from, at.sequence, fault);
}
