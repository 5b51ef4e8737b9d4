/** HTTP routes of payments: top-ups, withdrawals, payout batches. Roles here; ownership and rules in the service. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { principalOf } from "../http/auth";
import { claimOf } from "../http/idempotency";
import { IdParams, IdempotencyHeaders, responses } from "../http/schemas";
import type { PaymentsService } from "./payments.service";
import { createPaymentsSchemas, type PaymentLimits } from "./payments.schemas";

export interface PaymentsRoutesOptions {
  payments: PaymentsService;
  limits: PaymentLimits;
}

export const paymentsRoutes: FastifyPluginAsyncTypebox<PaymentsRoutesOptions> = async (app, { payments, limits }) => {
  const tags = ["payments"];
  const S = createPaymentsSchemas(limits);
  // Routes that move money always run under an idempotency claim, so a request cut off mid-way is completed (recoverable).

  app.post("/v1/top-ups", {
    config: { access: ["enterprise"], recoverable: true },
    schema: { tags, summary: "Ask to fund the wallet: returns bank-transfer instructions with a unique reference", headers: IdempotencyHeaders, body: S.CreateTopUpBody, response: responses({ 201: S.TopUp }) },
  }, async (req, reply) => reply.status(201).send(await payments.requestTopUp(principalOf(req), BigInt(req.body.amountFen), claimOf(req))));

  app.get("/v1/top-ups", {
    config: { access: ["enterprise", "operator", "regulator"] },
    schema: { tags, summary: "List top-ups, newest first (own; all for operators)", querystring: S.TopUpListQuery, response: responses({ 200: S.TopUpPage }) },
  }, async (req) => payments.listTopUps(principalOf(req), req.query));

  app.get("/v1/top-ups/:ref", {
    config: { access: ["enterprise", "operator", "regulator"] },
    schema: { tags, summary: "Read a top-up", params: S.RefParams, response: responses({ 200: S.TopUp }) },
  }, async (req) => payments.getTopUp(principalOf(req), req.params.ref));

  app.post("/v1/top-ups/:ref/confirm", {
    config: { access: ["operator"], recoverable: true },
    schema: { tags, summary: "Confirm the bank received the transfer: credits the wallet (operator)", params: S.RefParams, headers: IdempotencyHeaders, body: S.ConfirmTopUpBody, response: responses({ 200: S.TopUp }) },
  }, async (req) => {
    const { amountFen, bankTransactionId, acceptDifferentAmount } = req.body;
    return payments.confirmTopUp(principalOf(req), req.params.ref, { amountFen: BigInt(amountFen), bankTransactionId, ...(acceptDifferentAmount !== undefined ? { acceptDifferentAmount } : {}) }, claimOf(req));
  });

  app.post("/v1/withdrawals", {
    config: { access: ["agency", "enterprise", "worker"], recoverable: true },
    schema: { tags, summary: "Ask to be paid out (organisations; independent workers from their payable): the amount is held until an operator pays or rejects it", headers: IdempotencyHeaders, body: S.CreateWithdrawalBody, response: responses({ 201: S.Withdrawal }) },
  }, async (req, reply) => reply.status(201).send(await payments.requestWithdrawal(principalOf(req), { ...req.body, amountFen: BigInt(req.body.amountFen) }, claimOf(req))));

  app.get("/v1/withdrawals", {
    config: { access: ["agency", "enterprise", "worker", "operator", "regulator"] },
    schema: { tags, summary: "List withdrawals, oldest first (own; all for operators)", querystring: S.WithdrawalListQuery, response: responses({ 200: S.WithdrawalPage }) },
  }, async (req) => payments.listWithdrawals(principalOf(req), req.query));

  app.post("/v1/withdrawals/:id/reject", {
    config: { access: ["operator"], recoverable: true },
    schema: { tags, summary: "Refuse a withdrawal: the hold is released (operator)", params: IdParams, headers: IdempotencyHeaders, body: S.RejectBody, response: responses({ 200: S.Withdrawal }) },
  }, async (req) => payments.rejectWithdrawal(principalOf(req), req.params.id, req.body.reason, claimOf(req)));

  app.post("/v1/payout-batches", {
    config: { access: ["operator"], recoverable: true },
    schema: { tags, summary: "Pay out requested withdrawals as one batch (operator)", headers: IdempotencyHeaders, body: S.CreatePayoutBatchBody, response: responses({ 201: S.PayoutBatch }) },
  }, async (req, reply) => reply.status(201).send(await payments.createPayoutBatch(principalOf(req), req.body.withdrawalIds, claimOf(req))));

  app.get("/v1/payout-batches", {
    config: { access: ["operator", "regulator"] },
    schema: { tags, summary: "Payout batches, newest first, each with its withdrawals", querystring: S.PayoutBatchListQuery, response: responses({ 200: S.PayoutBatchPage }) },
  }, async (req) => payments.listPayoutBatches(principalOf(req), req.query));

  app.get("/v1/payout-batches/:id", {
    config: { access: ["operator", "regulator"] },
    schema: { tags, summary: "Read a payout batch", params: IdParams, response: responses({ 200: S.PayoutBatch }) },
  }, async (req) => payments.getPayoutBatch(principalOf(req), req.params.id));

  app.get("/v1/payout-batches/:id/file", {
    config: { access: ["operator"] },
    schema: { tags, summary: "Download the batch's payout file (CSV, UTF-8 with byte order mark, for the bank's bulk upload)", params: IdParams, response: { ...responses({}), 200: Type.String({ description: "CSV" }) } },
  }, async (req, reply) => {
    const file = await payments.payoutFile(principalOf(req), req.params.id);
    return reply.type(file.contentType).header("content-disposition", `attachment; filename="${file.filename}"`).send(file.body);
  });
};
