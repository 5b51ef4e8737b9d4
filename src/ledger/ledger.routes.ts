/** HTTP routes of the ledger: balances and statements (owner or staff), trial balance and verification (staff), public checkpoints. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { principalOf } from "../http/auth";
import { responses } from "../http/schemas";
import type { LedgerService } from "./ledger.service";
import * as S from "./ledger.schemas";

export interface LedgerRoutesOptions {
  ledger: LedgerService;
}

export const ledgerRoutes: FastifyPluginAsyncTypebox<LedgerRoutesOptions> = async (app, { ledger }) => {
  const tags = ["ledger"];

  app.get("/v1/accounts", {
    config: { access: ["enterprise", "agency", "worker"] },
    schema: { tags, summary: "The caller's own accounts (wallet, supplier payable; a worker's payable)", querystring: S.PageOnlyQuery, response: responses({ 200: S.AccountPage }) },
  }, async (req) => ledger.ownAccounts(principalOf(req), req.query));

  app.get("/v1/accounts/:id", {
    config: { access: ["enterprise", "agency", "worker", "operator", "regulator"] },
    schema: { tags, summary: "An account's balances (its owner, operators)", params: S.AccountParams, response: responses({ 200: S.Account }) },
  }, async (req) => ledger.account(principalOf(req), req.params.id));

  app.get("/v1/accounts/:id/statement", {
    config: { access: ["enterprise", "agency", "worker", "operator", "regulator"] },
    schema: {
      tags, summary: "An account's transfers, oldest first, with running posted totals",
      params: S.AccountParams, querystring: S.PageOnlyQuery, response: responses({ 200: S.StatementPage }),
    },
  }, async (req) => ledger.statement(principalOf(req), req.params.id, req.query));

  app.get("/v1/ledger/trial-balance", {
    config: { access: ["operator", "regulator"] },
    schema: { tags, summary: "Committed totals per ledger and per account code", response: responses({ 200: S.TrialBalance }) },
  }, async (req) => ledger.trialBalance(principalOf(req)));

  app.get("/v1/ledger/verify", {
    config: { access: ["operator"] },
    schema: {
      tags,
      summary: "Check the invariants, and verify every stored record and checkpoint of the hash chain",
      description: "A record removed after a checkpoint, a record edited, or a history rewritten behind a checkpoint makes `ok` false and names the first bad position in `chain.firstBad`.",
      response: responses({ 200: S.VerifyReport }),
    },
  }, async (req) => ledger.verify(principalOf(req)));

  app.get("/v1/public/ledger/checkpoints", {
    config: { access: "public" },
    schema: {
      tags,
      summary: "Signed checkpoints of the ledger's hash chain, oldest first, with the public key (no login)",
      description:
        "Keep copies: each checkpoint says the shard's chain reached `chainHash` at record `sequence`, signed with Ed25519 over `payload`. " +
        "If the operator's own verification ever disagrees with a copy you hold, the ledger was changed.",
      security: [],
      querystring: S.PageOnlyQuery,
      response: responses({ 200: S.CheckpointPage }),
    },
  }, async (req) => ledger.checkpoints(req.query));
};
