/**
 * Persistence of top-ups, withdrawals and payout batches: raw SQL through the
 * pool of src/infra/db.ts, returning outcomes, never HTTP errors.
 *
 * Every write made on behalf of a request runs under the request's claim
 * (underClaim from src/infra/claims.ts: the claim is checked in the same
 * transaction), so a handler whose claim was taken over writes nothing
 * ("claim_lost"). The first write of an operation also
 * records the operation and its target on the claim, in that transaction:
 * whoever takes the claim over finds the rows this request made.
 */
import type { SqlClient, SqlPool } from "../infra/db";
import { Rollback, underClaim as runUnderClaim } from "../infra/claims";
import { isUniqueViolation } from "../infra/unique-violation";
import type { Claim } from "../shared/claim";

export type TopUpStatus = "awaiting_transfer" | "confirming" | "confirmed";
export type WithdrawalStatus = "holding" | "requested" | "rejecting" | "rejected" | "paying" | "paid";
export type PayoutBatchStatus = "posting" | "posted";

export interface TopUpRow {
  reference: string;
  organisationId: string;
  accountId: string;
  requestedFen: bigint;
  receivedFen: bigint | null;
  status: TopUpStatus;
  gateway: string;
  bankTransactionId: string | null;
  transferId: string | null;
  createdAt: Date;
  confirmedAt: Date | null;
  confirmedBy: string | null;
}

export interface WithdrawalRow {
  id: string;
  /** The payee: an organisation, or (workerId) an independent worker; exactly one is set. */
  organisationId: string | null;
  workerId: string | null;
  accountId: string;
  amountFen: bigint;
  bankAccountName: string;
  bankName: string;
  bankAccountNumber: string;
  status: WithdrawalStatus;
  holdTransferId: string;
  batchId: string | null;
  statusReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface PayoutBatchRow {
  id: string;
  status: PayoutBatchStatus;
  gateway: string;
  count: number;
  totalFen: bigint;
  createdBy: string;
  createdAt: Date;
  withdrawals: WithdrawalRow[];
}

/**
 * A movement of the clearing account that payments wrote, as reconciliation
 * needs it: the gateway it went through and what the provider may quote for
 * it (tier 1), and the group it was paid out in (tier 2).
 */
export interface ClearingMovement {
  readonly provider: "offline" | "stripe";
  readonly kind: string;
  readonly identifiers: string[];
  readonly transferGroup: string | null;
}

/** The operation a request starts, recorded on its claim with the first write. */
export interface Start {
  operation: string;
  target: string;
}

type Raw = Record<string, unknown>;
const big = (v: unknown): bigint => (typeof v === "bigint" ? v : BigInt(v as string));
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(v as string));

function topUp(r: Raw): TopUpRow {
  return {
    reference: r["reference"] as string,
    organisationId: r["organisation_id"] as string,
    accountId: r["account_id"] as string,
    requestedFen: big(r["requested_fen"]),
    receivedFen: r["received_fen"] === null ? null : big(r["received_fen"]),
    status: r["status"] as TopUpStatus,
    gateway: r["gateway"] as string,
    bankTransactionId: r["bank_transaction_id"] as string | null,
    transferId: r["transfer_id"] as string | null,
    createdAt: date(r["created_at"]),
    confirmedAt: r["confirmed_at"] === null ? null : date(r["confirmed_at"]),
    confirmedBy: r["confirmed_by"] as string | null,
  };
}

function withdrawal(r: Raw): WithdrawalRow {
  return {
    id: r["id"] as string,
    organisationId: r["organisation_id"] as string | null,
    workerId: r["worker_id"] as string | null,
    accountId: r["account_id"] as string,
    amountFen: big(r["amount_fen"]),
    bankAccountName: r["bank_account_name"] as string,
    bankName: r["bank_name"] as string,
    bankAccountNumber: r["bank_account_number"] as string,
    status: r["status"] as WithdrawalStatus,
    holdTransferId: r["hold_transfer_id"] as string,
    batchId: r["batch_id"] as string | null,
    statusReason: r["status_reason"] as string | null,
    createdAt: date(r["created_at"]),
    updatedAt: date(r["updated_at"]),
  };
}

export function createPaymentsRepository(sql: SqlPool) {
  const underClaim = <T, O = never>(claim: Claim, start: Start | undefined, fn: (tx: SqlClient) => Promise<T>) => runUnderClaim<T, O>(sql, claim, start, fn);

  async function findBatch(client: SqlClient, id: string): Promise<PayoutBatchRow | null> {
    const b = await client.query<Raw>(`SELECT * FROM payout_batches WHERE id = $1`, [id]);
    const row = b.rows[0];
    if (!row) return null;
    const w = await client.query<Raw>(`SELECT * FROM withdrawals WHERE batch_id = $1 ORDER BY created_at, id`, [id]);
    return {
      id: row["id"] as string,
      status: row["status"] as PayoutBatchStatus,
      gateway: row["gateway"] as string,
      count: Number(row["count"]),
      totalFen: big(row["total_fen"]),
      createdBy: row["created_by"] as string,
      createdAt: date(row["created_at"]),
      withdrawals: w.rows.map(withdrawal),
    };
  }

  return {
    /**
     * What reconciliation needs of these ledger transfer ids, for those that
     * payments wrote: a top-up credit (bank transaction id and reference), a
     * paid withdrawal (its id; its payout batch as the group).
     */
    async describeClearing(transferIds: readonly string[]): Promise<Map<string, ClearingMovement>> {
      const out = new Map<string, ClearingMovement>();
      const refs = transferIds.filter((t) => t.startsWith("topup:")).map((t) => t.slice("topup:".length));
      const paid = transferIds.filter((t) => t.startsWith("withdrawal-paid:")).map((t) => t.slice("withdrawal-paid:".length));
      if (refs.length > 0) {
        const r = await sql.query<{ reference: string; bank_transaction_id: string | null; gateway: string }>(
          `SELECT reference, bank_transaction_id, gateway FROM top_ups WHERE reference = ANY($1::text[])`,
          [refs],
        );
        for (const t of r.rows) {
          out.set(`topup:${t.reference}`, {
            provider: t.gateway === "stripe" ? "stripe" : "offline",
            kind: "top_up",
            identifiers: [...(t.bank_transaction_id ? [t.bank_transaction_id] : []), t.reference],
            transferGroup: null,
          });
        }
      }
      if (paid.length > 0) {
        const r = await sql.query<{ id: string; batch_id: string | null; gateway: string | null }>(
          `SELECT w.id, w.batch_id, b.gateway FROM withdrawals w LEFT JOIN payout_batches b ON b.id = w.batch_id WHERE w.id = ANY($1::text[])`,
          [paid],
        );
        for (const w of r.rows) {
          out.set(`withdrawal-paid:${w.id}`, { provider: w.gateway === "stripe" ? "stripe" : "offline", kind: "payout", identifiers: [w.id], transferGroup: w.batch_id });
        }
      }
      const stripe = transferIds.map((t) => /^stripe:(.+):(credit|fee|post)$/.exec(t)).filter((m): m is RegExpExecArray => m !== null);
      if (stripe.length > 0) {
        const r = await sql.query<{ id: string; kind: string; stripe_id: string | null; charge_id: string | null; transfer_group: string | null }>(
          `SELECT id, kind, stripe_id, charge_id, transfer_group FROM stripe_payments WHERE id = ANY($1::text[])`,
          [[...new Set(stripe.map((m) => m[1]!))]],
        );
        const byId = new Map(r.rows.map((x) => [x.id, x]));
        for (const m of stripe) {
          const p = byId.get(m[1]!);
          if (!p) continue;
          const ids = (xs: (string | null)[]) => xs.filter((x): x is string => x !== null);
          if (m[2] === "credit") out.set(m[0], { provider: "stripe", kind: "stripe_funding", identifiers: ids([p.stripe_id, p.charge_id]), transferGroup: null });
          else if (m[2] === "fee") out.set(m[0], { provider: "stripe", kind: "stripe_fee", identifiers: p.charge_id ? [`fee:${p.charge_id}`] : [], transferGroup: null });
          else out.set(m[0], { provider: "stripe", kind: `stripe_${p.kind}`, identifiers: ids([p.stripe_id]), transferGroup: p.kind === "transfer" ? p.transfer_group : null });
        }
      }
      return out;
    },

    // ------------------------------------------------------------- top-ups

    /** Inserts a top-up awaiting its transfer; "reference_taken" when the reference is in use (draw another). */
    async insertTopUp(row: TopUpRow, claim: Claim, operation: string): Promise<"inserted" | "reference_taken" | "claim_lost"> {
      return underClaim(claim, { operation, target: row.reference }, async (tx) => {
        const r = await tx.query(
          `INSERT INTO top_ups (reference, organisation_id, account_id, requested_fen, status, gateway, created_at)
           VALUES ($1, $2, $3, $4, 'awaiting_transfer', $5, $6)
           ON CONFLICT (reference) DO NOTHING`,
          [row.reference, row.organisationId, row.accountId, row.requestedFen, row.gateway, row.createdAt],
        );
        if (r.rowCount !== 1) throw new Rollback("reference_taken" as const);
        return "inserted" as const;
      });
    },

    async findTopUp(reference: string): Promise<TopUpRow | null> {
      const r = await sql.query<Raw>(`SELECT * FROM top_ups WHERE reference = $1`, [reference]);
      return r.rows[0] ? topUp(r.rows[0]) : null;
    },

    /** A page of top-ups, newest first, after the keyset position `after` (exclusive). */
    async listTopUps(filter: { organisationId?: string; status?: TopUpStatus; after?: { createdAt: Date; reference: string }; limit: number }): Promise<TopUpRow[]> {
      const r = await sql.query<Raw>(
        `SELECT * FROM top_ups
          WHERE ($1::text IS NULL OR organisation_id = $1)
            AND ($2::text IS NULL OR status::text = $2)
            AND ($3::timestamptz IS NULL OR (created_at, reference) < ($3::timestamptz, $4::text))
          ORDER BY created_at DESC, reference DESC
          LIMIT $5`,
        [filter.organisationId ?? null, filter.status ?? null, filter.after?.createdAt ?? null, filter.after?.reference ?? null, filter.limit],
      );
      return r.rows.map(topUp);
    },

    /**
     * Binds the bank transaction and amount to a top-up awaiting its
     * transfer and marks it confirming, before any money moves. "taken": the
     * bank transaction confirmed another top-up; "not_awaiting": the top-up
     * is confirming or confirmed already.
     */
    async bindReceipt(
      reference: string,
      receipt: { bankTransactionId: string; receivedFen: bigint; confirmedBy: string },
      claim: Claim,
      operation: string,
    ): Promise<"bound" | "taken" | "not_awaiting" | "claim_lost"> {
      try {
        return await underClaim(claim, { operation, target: reference }, async (tx) => {
          const r = await tx.query(
            `UPDATE top_ups SET status = 'confirming', bank_transaction_id = $2, received_fen = $3, confirmed_by = $4
              WHERE reference = $1 AND status = 'awaiting_transfer'`,
            [reference, receipt.bankTransactionId, receipt.receivedFen, receipt.confirmedBy],
          );
          if (r.rowCount !== 1) throw new Rollback("not_awaiting" as const);
          return "bound" as const;
        });
      } catch (err) {
        if (isUniqueViolation(err, "bank_transaction_id")) return "taken";
        throw err;
      }
    },

    /** The wallet credit stands: confirming → confirmed. */
    async finishTopUp(reference: string, transferId: string, at: Date, claim: Claim): Promise<"done" | "claim_lost"> {
      return underClaim(claim, undefined, async (tx) => {
        await tx.query(`UPDATE top_ups SET status = 'confirmed', transfer_id = $2, confirmed_at = $3 WHERE reference = $1 AND status = 'confirming'`, [
          reference,
          transferId,
          at,
        ]);
        return "done" as const;
      });
    },

    /** The ledger refused the credit: confirming → awaiting_transfer, receipt unbound. */
    async unbindReceipt(reference: string, claim: Claim): Promise<"done" | "claim_lost"> {
      return underClaim(claim, undefined, async (tx) => {
        await tx.query(
          `UPDATE top_ups SET status = 'awaiting_transfer', bank_transaction_id = NULL, received_fen = NULL, confirmed_by = NULL
            WHERE reference = $1 AND status = 'confirming'`,
          [reference],
        );
        return "done" as const;
      });
    },

    // --------------------------------------------------------- withdrawals

    /** Records a withdrawal whose hold is about to be placed (status holding). */
    async insertWithdrawal(row: WithdrawalRow, claim: Claim, operation: string): Promise<"inserted" | "claim_lost"> {
      return underClaim(claim, { operation, target: row.id }, async (tx) => {
        await tx.query(
          `INSERT INTO withdrawals (id, organisation_id, worker_id, account_id, amount_fen, bank_account_name, bank_name, bank_account_number,
                                    status, hold_transfer_id, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'holding', $9, $10, $10)`,
          [row.id, row.organisationId, row.workerId, row.accountId, row.amountFen, row.bankAccountName, row.bankName, row.bankAccountNumber, row.holdTransferId, row.createdAt],
        );
        return "inserted" as const;
      });
    },

    async findWithdrawal(id: string): Promise<WithdrawalRow | null> {
      const r = await sql.query<Raw>(`SELECT * FROM withdrawals WHERE id = $1`, [id]);
      return r.rows[0] ? withdrawal(r.rows[0]) : null;
    },

    /** A page of withdrawals, oldest first (the order they are paid in), after the keyset position `after`. */
    async listWithdrawals(filter: {
      organisationId?: string;
      workerId?: string;
      status?: WithdrawalStatus;
      after?: { createdAt: Date; id: string };
      limit: number;
    }): Promise<WithdrawalRow[]> {
      const r = await sql.query<Raw>(
        `SELECT * FROM withdrawals
          WHERE ($1::text IS NULL OR organisation_id = $1)
            AND ($6::text IS NULL OR worker_id = $6)
            AND ($2::text IS NULL OR status::text = $2)
            AND ($3::timestamptz IS NULL OR (created_at, id) > ($3::timestamptz, $4::text))
          ORDER BY created_at, id
          LIMIT $5`,
        [filter.organisationId ?? null, filter.status ?? null, filter.after?.createdAt ?? null, filter.after?.id ?? null, filter.limit, filter.workerId ?? null],
      );
      return r.rows.map(withdrawal);
    },

    /** The hold stands: holding → requested. */
    async finishHold(id: string, at: Date, claim: Claim): Promise<"done" | "claim_lost"> {
      return underClaim(claim, undefined, async (tx) => {
        await tx.query(`UPDATE withdrawals SET status = 'requested', updated_at = $2 WHERE id = $1 AND status = 'holding'`, [id, at]);
        return "done" as const;
      });
    },

    /** The ledger refused the hold: the request is dropped (nothing of it stands). */
    async dropWithdrawal(id: string, claim: Claim): Promise<"done" | "claim_lost"> {
      return underClaim(claim, undefined, async (tx) => {
        await tx.query(`DELETE FROM withdrawals WHERE id = $1 AND status = 'holding'`, [id]);
        return "done" as const;
      });
    },

    /** requested → rejecting with the reason, before the hold is voided; "not_requested" when it is in another state. */
    async startReject(id: string, reason: string, at: Date, claim: Claim, operation: string): Promise<"started" | "not_requested" | "claim_lost"> {
      return underClaim(claim, { operation, target: id }, async (tx) => {
        const r = await tx.query(`UPDATE withdrawals SET status = 'rejecting', status_reason = $2, updated_at = $3 WHERE id = $1 AND status = 'requested'`, [
          id,
          reason,
          at,
        ]);
        if (r.rowCount !== 1) throw new Rollback("not_requested" as const);
        return "started" as const;
      });
    },

    /** The void stands: rejecting → rejected. */
    async finishReject(id: string, at: Date, claim: Claim): Promise<"done" | "claim_lost"> {
      return underClaim(claim, undefined, async (tx) => {
        await tx.query(`UPDATE withdrawals SET status = 'rejected', updated_at = $2 WHERE id = $1 AND status = 'rejecting'`, [id, at]);
        return "done" as const;
      });
    },

    /** The ledger refused the void: rejecting → requested. */
    async undoReject(id: string, at: Date, claim: Claim): Promise<"done" | "claim_lost"> {
      return underClaim(claim, undefined, async (tx) => {
        await tx.query(`UPDATE withdrawals SET status = 'requested', status_reason = NULL, updated_at = $2 WHERE id = $1 AND status = 'rejecting'`, [id, at]);
        return "done" as const;
      });
    },

    // ------------------------------------------------------- payout batches

    /**
     * Records a batch (status posting) and moves its withdrawals from
     * requested to paying, before any hold is posted: the listed ones (all of
     * them, or { missing } naming the first that is not awaiting payment), or
     * else the oldest `max` requested ones ("empty" when there are none).
     */
    async startBatch(
      batch: { id: string; gateway: string; createdBy: string; createdAt: Date },
      withdrawalIds: readonly string[] | undefined,
      max: number,
      claim: Claim,
      operation: string,
    ): Promise<"started" | "empty" | { missing: number } | "claim_lost"> {
      return underClaim<"started", "empty" | { missing: number }>(claim, { operation, target: batch.id }, async (tx) => {
        await tx.query(
          `INSERT INTO payout_batches (id, status, gateway, count, total_fen, created_by, created_at) VALUES ($1, 'posting', $2, 0, 0, $3, $4)`,
          [batch.id, batch.gateway, batch.createdBy, batch.createdAt],
        );
        const taken = withdrawalIds
          ? await tx.query<{ id: string }>(
              `UPDATE withdrawals SET status = 'paying', batch_id = $1, updated_at = $2
                WHERE id = ANY($3::text[]) AND status = 'requested' RETURNING id`,
              [batch.id, batch.createdAt, withdrawalIds],
            )
          : await tx.query<{ id: string }>(
              `UPDATE withdrawals SET status = 'paying', batch_id = $1, updated_at = $2
                WHERE id IN (SELECT id FROM withdrawals WHERE status = 'requested' ORDER BY created_at, id LIMIT $3 FOR UPDATE)
                  AND status = 'requested'
                RETURNING id`,
              [batch.id, batch.createdAt, max],
            );
        if (withdrawalIds && taken.rowCount !== withdrawalIds.length) {
          const got = new Set(taken.rows.map((r) => r.id));
          throw new Rollback({ missing: withdrawalIds.findIndex((id) => !got.has(id)) });
        }
        if (taken.rowCount === 0) throw new Rollback("empty" as const);
        await tx.query(
          `UPDATE payout_batches SET (count, total_fen) = (SELECT count(*), coalesce(sum(amount_fen), 0) FROM withdrawals WHERE batch_id = $1) WHERE id = $1`,
          [batch.id],
        );
        return "started" as const;
      });
    },

    findBatch(id: string): Promise<PayoutBatchRow | null> {
      return findBatch(sql, id);
    },

    /** Payout batches, newest first, each with its withdrawals; keyset on (created_at, id). */
    async listBatches(filter: { after?: { createdAt: Date; id: string }; limit: number }): Promise<PayoutBatchRow[]> {
      const r = await sql.query<{ id: string }>(
        `SELECT id FROM payout_batches WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1::timestamptz, $2::text)) ORDER BY created_at DESC, id DESC LIMIT $3`,
        [filter.after?.createdAt ?? null, filter.after?.id ?? null, filter.limit],
      );
      const rows: PayoutBatchRow[] = [];
      for (const { id } of r.rows) {
        const b = await findBatch(sql, id);
        if (b) rows.push(b);
      }
      return rows;
    },

    /**
     * The posts are done: the posted withdrawals become paid, the refused
     * ones go back to requested, the batch is posted with what it paid; with
     * nothing paid the batch is removed ("empty").
     */
    async finishBatch(id: string, paidIds: readonly string[], unpaidIds: readonly string[], at: Date, claim: Claim): Promise<"posted" | "empty" | "claim_lost"> {
      return underClaim<"posted" | "empty">(claim, undefined, async (tx) => {
        if (paidIds.length > 0) {
          await tx.query(`UPDATE withdrawals SET status = 'paid', updated_at = $2 WHERE batch_id = $1 AND status = 'paying' AND id = ANY($3::text[])`, [id, at, paidIds]);
        }
        if (unpaidIds.length > 0) {
          await tx.query(
            `UPDATE withdrawals SET status = 'requested', batch_id = NULL, updated_at = $2 WHERE batch_id = $1 AND status = 'paying' AND id = ANY($3::text[])`,
            [id, at, unpaidIds],
          );
        }
        const left = await tx.query<{ n: bigint | string }>(`SELECT count(*) AS n FROM withdrawals WHERE batch_id = $1`, [id]);
        if (big(left.rows[0]?.n ?? 0) === 0n) {
          await tx.query(`DELETE FROM payout_batches WHERE id = $1`, [id]);
          return "empty" as const;
        }
        await tx.query(
          `UPDATE payout_batches SET status = 'posted', (count, total_fen) = (SELECT count(*), coalesce(sum(amount_fen), 0) FROM withdrawals WHERE batch_id = $1)
            WHERE id = $1`,
          [id],
        );
        return "posted" as const;
      });
    },
  };
}
export type PaymentsRepository = ReturnType<typeof createPaymentsRepository>;
