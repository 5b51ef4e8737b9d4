/** HTTP routes of payments: top-ups, withdrawals, payout batches. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { principalOf } from "../http/auth";
import { IdParams, IdempotencyHeaders, responses } from "../http/schemas";
import type { PaymentsService } from "./payments.service";
import * as S from "./payments.schemas";

export const paymentsRoutes: FastifyPluginAsyncTypebox<{ payments: PaymentsService }> = async (app, { payments }) => {
  const tags = ["payments"];

  app.post("/v1/top-ups", {
    config: { access: ["enterprise"] },
    schema: { tags, summary: "Ask to fund the wallet: returns bank-transfer instructions with a unique reference", headers: IdempotencyHeaders, body: S.CreateTopUpBody, response: responses({ 201: S.TopUp }) },
  }, async (req, reply) => reply.status(201).send(await payments.requestTopUp(principalOf(req), BigInt(req.body.amountFen))));

  app.get("/v1/top-ups", {
    config: { access: ["enterprise", "operator", "regulator"] },
    schema: { tags, summary: "List top-ups (own; all for operators)", querystring: S.TopUpListQuery, response: responses({ 200: Type.Object({ items: Type.Array(S.TopUp) }) }) },
  }, async (req) => ({ items: await payments.listTopUps(principalOf(req), req.query) }));

  app.get("/v1/top-ups/:ref", {
    config: { access: ["enterprise", "operator", "regulator"] },
    schema: { tags, summary: "Read a top-up", params: S.RefParams, response: responses({ 200: S.TopUp }) },
  }, async (req) => payments.getTopUp(principalOf(req), req.params.ref));

  app.post("/v1/top-ups/:ref/confirm", {
    config: { access: ["operator"] },
    schema: { tags, summary: "Confirm the bank received the transfer: credits the wallet (operator)", params: S.RefParams, headers: IdempotencyHeaders, body: S.ConfirmTopUpBody, response: responses({ 200: S.TopUp }) },
  }, async (req) => payments.confirmTopUp(principalOf(req), req.params.ref, { amountFen: BigInt(req.body.amountFen), bankTransactionId: req.body.bankTransactionId }));

  app.post("/v1/withdrawals", {
    config: { access: ["agency", "enterprise"] },
    schema: { tags, summary: "Ask to be paid out: the amount is held until an operator pays or rejects it", headers: IdempotencyHeaders, body: S.CreateWithdrawalBody, response: responses({ 201: S.Withdrawal }) },
  }, async (req, reply) => reply.status(201).send(await payments.requestWithdrawal(principalOf(req), { ...req.body, amountFen: BigInt(req.body.amountFen) })));

  app.get("/v1/withdrawals", {
    config: { access: ["agency", "enterprise", "operator", "regulator"] },
    schema: { tags, summary: "List withdrawals (own; all for operators)", querystring: S.WithdrawalListQuery, response: responses({ 200: Type.Object({ items: Type.Array(S.Withdrawal) }) }) },
  }, async (req) => ({ items: await payments.listWithdrawals(principalOf(req), req.query) }));

  app.post("/v1/withdrawals/:id/reject", {
    config: { access: ["operator"] },
    schema: { tags, summary: "Refuse a withdrawal: the hold is released (operator)", params: IdParams, body: S.RejectBody, response: responses({ 200: S.Withdrawal }) },
  }, async (req) => payments.rejectWithdrawal(req.params.id, req.body.reason));

  app.post("/v1/payout-batches", {
    config: { access: ["operator"] },
    schema: { tags, summary: "Pay out requested withdrawals as one batch (operator)", headers: IdempotencyHeaders, body: S.CreatePayoutBatchBody, response: responses({ 201: S.PayoutBatch }) },
  }, async (req, reply) => reply.status(201).send(await payments.createPayoutBatch(principalOf(req), req.body.withdrawalIds)));

  app.get("/v1/payout-batches/:id", {
    config: { access: ["operator", "regulator"] },
    schema: { tags, summary: "Read a payout batch", params: IdParams, response: responses({ 200: S.PayoutBatch }) },
  }, async (req) => payments.getPayoutBatch(req.params.id));

  app.get("/v1/payout-batches/:id/file", {
    config: { access: ["operator"] },
    schema: { tags, summary: "Download the batch's payout file (CSV for the bank's bulk upload)", params: IdParams, response: { ...responses({}), 200: Type.String({ description: "CSV" }) } },
  }, async (req, reply) => {
    const file = await payments.payoutFile(req.params.id);
    return reply.type(file.contentType).header("content-disposition", `attachment; filename="${file.filename}"`).send(file.body);
  });
};
