/**
 * The SQL of the Stripe gateway: each organisation's gateway and Connect
 * account, Stripe payments with their recovery point (status), and the
 * webhook inbox. Every status change is a compare-and-set on the status it
 * leaves, so two drivers of one payment (a request, a webhook, the sweeper)
 * never both take a step; no transaction is held open across a Stripe call
 * (each write here is one short statement).
 */
import type { SqlPool } from "../infra/db";
import { underClaim } from "../infra/claims";
import type { Claim } from "../shared/claim";

export type Gateway = "offline" | "stripe";
export type StripePaymentKind = "funding" | "transfer" | "refund" | "payout";
export type StripePaymentStatus = "creating" | "awaiting_payment" | "sending" | "succeeded" | "posted" | "failing" | "failed" | "abandoning" | "abandoned";

export interface PaymentSettingsRow {
  readonly organisationId: string;
  readonly gateway: Gateway;
  readonly stripeAccountId: string | null;
  readonly stripeAccountReady: boolean;
}

export interface StripePaymentRow {
  readonly id: string;
  readonly kind: StripePaymentKind;
  readonly organisationId: string;
  /** The ledger account the money comes from or goes to (wallet, supplier payable). */
  readonly accountId: string;
  readonly amountFen: bigint;
  readonly currency: string;
  readonly status: StripePaymentStatus;
  readonly stripeId: string | null;
  readonly chargeId: string | null;
  readonly clientSecret: string | null;
  readonly receivedFen: bigint | null;
  readonly feeFen: bigint | null;
  readonly transferGroup: string | null;
  readonly destination: string | null;
  readonly refundOf: string | null;
  readonly failure: string | null;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

type Raw = Record<string, unknown>;
const big = (v: unknown): bigint => (typeof v === "bigint" ? v : BigInt(v as string));
const nbig = (v: unknown): bigint | null => (v === null || v === undefined ? null : big(v));

function payment(r: Raw): StripePaymentRow {
  return {
    id: r["id"] as string,
    kind: r["kind"] as StripePaymentKind,
    organisationId: r["organisation_id"] as string,
    accountId: r["account_id"] as string,
    amountFen: big(r["amount_fen"]),
    currency: r["currency"] as string,
    status: r["status"] as StripePaymentStatus,
    stripeId: (r["stripe_id"] as string | null) ?? null,
    chargeId: (r["charge_id"] as string | null) ?? null,
    clientSecret: (r["client_secret"] as string | null) ?? null,
    receivedFen: nbig(r["received_fen"]),
    feeFen: nbig(r["fee_fen"]),
    transferGroup: (r["transfer_group"] as string | null) ?? null,
    destination: (r["destination"] as string | null) ?? null,
    refundOf: (r["refund_of"] as string | null) ?? null,
    failure: (r["failure"] as string | null) ?? null,
    attempts: Number(r["attempts"]),
    createdAt: new Date(r["created_at"] as string),
    updatedAt: new Date(r["updated_at"] as string),
  };
}

/** Fields a step may set together with its new status. */
export interface StepFields {
  stripeId?: string;
  chargeId?: string;
  clientSecret?: string;
  receivedFen?: bigint;
  feeFen?: bigint;
  failure?: string;
}

export function createStripeRepository(sql: SqlPool) {
  return {
    async settings(organisationId: string): Promise<PaymentSettingsRow | null> {
      const r = await sql.query<Raw>(`SELECT * FROM payment_settings WHERE organisation_id = $1`, [organisationId]);
      const row = r.rows[0];
      return row
        ? { organisationId: row["organisation_id"] as string, gateway: row["gateway"] as Gateway, stripeAccountId: (row["stripe_account_id"] as string | null) ?? null, stripeAccountReady: row["stripe_account_ready"] === true }
        : null;
    },

    async setGateway(organisationId: string, gateway: Gateway, at: Date): Promise<void> {
      await sql.query(
        `INSERT INTO payment_settings (organisation_id, gateway, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (organisation_id) DO UPDATE SET gateway = EXCLUDED.gateway, updated_at = EXCLUDED.updated_at`,
        [organisationId, gateway, at],
      );
    },

    /** Records the organisation's Connect account (the first one created stays). */
    async setAccount(organisationId: string, accountId: string, ready: boolean, at: Date): Promise<void> {
      await sql.query(
        `INSERT INTO payment_settings (organisation_id, gateway, stripe_account_id, stripe_account_ready, updated_at) VALUES ($1, 'offline', $2, $3, $4)
         ON CONFLICT (organisation_id) DO UPDATE SET stripe_account_id = coalesce(payment_settings.stripe_account_id, EXCLUDED.stripe_account_id),
           stripe_account_ready = CASE WHEN payment_settings.stripe_account_id IS NULL OR payment_settings.stripe_account_id = EXCLUDED.stripe_account_id
                                       THEN EXCLUDED.stripe_account_ready ELSE payment_settings.stripe_account_ready END,
           updated_at = EXCLUDED.updated_at`,
        [organisationId, accountId, ready, at],
      );
    },

    async accountReady(accountId: string, ready: boolean, at: Date): Promise<boolean> {
      const r = await sql.query(`UPDATE payment_settings SET stripe_account_ready = $2, updated_at = $3 WHERE stripe_account_id = $1`, [accountId, ready, at]);
      return r.rowCount === 1;
    },

    /** Inserts a payment at its first recovery point, recording the operation on the request's claim in the same transaction. */
    async insertUnderClaim(row: StripePaymentRow, claim: Claim, operation: string): Promise<"inserted" | "claim_lost"> {
      return underClaim(sql, claim, { operation, target: row.id }, async (tx) => {
        await tx.query(
          `INSERT INTO stripe_payments (id, kind, organisation_id, account_id, amount_fen, currency, status, transfer_group, destination, refund_of, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
          [row.id, row.kind, row.organisationId, row.accountId, row.amountFen, row.currency, row.status, row.transferGroup, row.destination, row.refundOf, row.createdAt],
        );
        return "inserted" as const;
      });
    },

    /** Inserts a payment whose id the caller derived from its own record; "exists" when that caller asked before. */
    async insertOnce(row: StripePaymentRow): Promise<"inserted" | "exists"> {
      const r = await sql.query(
        `INSERT INTO stripe_payments (id, kind, organisation_id, account_id, amount_fen, currency, status, transfer_group, destination, refund_of, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT (id) DO NOTHING`,
        [row.id, row.kind, row.organisationId, row.accountId, row.amountFen, row.currency, row.status, row.transferGroup, row.destination, row.refundOf, row.createdAt],
      );
      return r.rowCount === 1 ? "inserted" : "exists";
    },

    async find(id: string): Promise<StripePaymentRow | null> {
      const r = await sql.query<Raw>(`SELECT * FROM stripe_payments WHERE id = $1`, [id]);
      return r.rows[0] ? payment(r.rows[0]) : null;
    },

    async findByStripeId(stripeId: string): Promise<StripePaymentRow | null> {
      const r = await sql.query<Raw>(`SELECT * FROM stripe_payments WHERE stripe_id = $1`, [stripeId]);
      return r.rows[0] ? payment(r.rows[0]) : null;
    },

    /** Σ refunds of a funding payment that stand or may still stand. */
    async refundedFen(fundingId: string): Promise<bigint> {
      const r = await sql.query<{ n: bigint | null }>(
        `SELECT coalesce(sum(amount_fen), 0)::bigint AS n FROM stripe_payments WHERE refund_of = $1 AND status NOT IN ('failed', 'abandoned')`,
        [fundingId],
      );
      return big(r.rows[0]?.n ?? 0);
    },

    /** Moves a payment from one of `from` to `to` with the step's fields; false when it is not in one of them (another driver took the step). */
    async step(id: string, from: readonly StripePaymentStatus[], to: StripePaymentStatus, fields: StepFields, at: Date): Promise<boolean> {
      // The target status is in the text too: one statement per step, which a fault-injection test can single out.
      const r = await sql.query(
        `UPDATE stripe_payments /* step to ${to} */ SET status = $3, updated_at = $4,
                stripe_id = coalesce($5, stripe_id), charge_id = coalesce($6, charge_id), client_secret = coalesce($7, client_secret),
                received_fen = coalesce($8, received_fen), fee_fen = coalesce($9, fee_fen), failure = coalesce($10, failure)
          WHERE id = $1 AND status::text = ANY($2::text[])`,
        [id, from, to, at, fields.stripeId ?? null, fields.chargeId ?? null, fields.clientSecret ?? null, fields.receivedFen ?? null, fields.feeFen ?? null, fields.failure ?? null],
      );
      return r.rowCount === 1;
    },

    /** Counts a drive that could not finish (Stripe or the ledger unavailable), for the operators' view. */
    async attempted(id: string, at: Date, failure: string): Promise<void> {
      await sql.query(`UPDATE stripe_payments SET attempts = attempts + 1, failure = $3, updated_at = $2 WHERE id = $1`, [id, at, failure.slice(0, 500)]);
    },

    /** Payments not at a final state, least recently touched first: the sweeper's work. */
    async unfinished(limit: number): Promise<StripePaymentRow[]> {
      const r = await sql.query<Raw>(
        `SELECT * FROM stripe_payments WHERE status NOT IN ('posted', 'failed', 'abandoned') ORDER BY updated_at, id LIMIT $1`,
        [limit],
      );
      return r.rows.map(payment);
    },

    async listForOrganisation(organisationId: string | null, after: { createdAt: Date; id: string } | undefined, limit: number): Promise<StripePaymentRow[]> {
      const r = await sql.query<Raw>(
        `SELECT * FROM stripe_payments
          WHERE ($1::text IS NULL OR organisation_id = $1)
            AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::text))
          ORDER BY created_at DESC, id DESC LIMIT $4`,
        [organisationId, after?.createdAt ?? null, after?.id ?? null, limit],
      );
      return r.rows.map(payment);
    },

    // ------------------------------------------------------------- inbox

    /** Stores a verified event; false when its id was stored before (a replay). */
    async storeEvent(e: { id: string; type: string; objectId: string | null; payload: unknown; at: Date }): Promise<boolean> {
      const r = await sql.query(
        `INSERT INTO stripe_events (id, type, object_id, payload, received_at) VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (id) DO NOTHING`,
        [e.id, e.type, e.objectId, JSON.stringify(e.payload), e.at],
      );
      return r.rowCount === 1;
    },

    async eventProcessed(id: string): Promise<boolean> {
      const r = await sql.query<{ processed_at: unknown }>(`SELECT processed_at FROM stripe_events WHERE id = $1`, [id]);
      return r.rows[0]?.processed_at !== null && r.rows[0]?.processed_at !== undefined;
    },

    async markEvent(id: string, outcome: string, at: Date): Promise<void> {
      await sql.query(`UPDATE stripe_events SET processed_at = $2, outcome = $3, attempts = attempts + 1 WHERE id = $1`, [id, at, outcome]);
    },

    async eventFailed(id: string, outcome: string): Promise<void> {
      await sql.query(`UPDATE stripe_events SET attempts = attempts + 1, outcome = $2 WHERE id = $1`, [id, outcome.slice(0, 500)]);
    },

    async unprocessedEvents(limit: number): Promise<Array<{ id: string; type: string; payload: unknown }>> {
      const r = await sql.query<{ id: string; type: string; payload: unknown }>(
        `SELECT id, type, payload FROM stripe_events WHERE processed_at IS NULL ORDER BY received_at, id LIMIT $1`,
        [limit],
      );
      return r.rows;
    },
  };
}
export type StripeRepository = ReturnType<typeof createStripeRepository>;
