/** HTTP routes of trust: ratings explained, appeals, operators' records, arrears, reliability, and the public disclosure API. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { principalOf } from "../http/auth";
import { IdParams, IdempotencyHeaders, responses } from "../http/schemas";
import type { TrustService } from "./trust.service";
import * as S from "./trust.schemas";

export interface TrustRoutesOptions {
  trust: TrustService;
}

export const trustRoutes: FastifyPluginAsyncTypebox<TrustRoutesOptions> = async (app, { trust }) => {
  const tags = ["trust"];
  const parties = ["enterprise", "agency", "operator", "regulator"] as const;

  app.get("/v1/trust/organisations/:id", {
    config: { access: parties },
    schema: { tags, summary: "An organisation's rating explained: colour and why, every point traced to its event, colour changes, appeals (its own; operators and the regulator: any)", params: S.OrganisationParams, response: responses({ 200: S.History }) },
  }, async (req) => trust.history(principalOf(req), req.params.id));

  app.post("/v1/trust/appeals", {
    config: { access: ["enterprise", "agency"] },
    schema: { tags, summary: "Appeal the organisation's latest downgrade (within the settings' appeal window)", headers: IdempotencyHeaders, body: S.FileAppealBody, response: responses({ 201: S.Appeal }) },
  }, async (req, reply) => reply.status(201).send(await trust.fileAppeal(principalOf(req), req.body)));

  app.get("/v1/trust/appeals", {
    config: { access: parties },
    schema: { tags, summary: "Appeals, newest first: the organisation's own; operators and the regulator see all", querystring: S.AppealListQuery, response: responses({ 200: S.AppealPage }) },
  }, async (req) => trust.listAppeals(principalOf(req), req.query));

  app.get("/v1/trust/appeals/:id", {
    config: { access: parties },
    schema: { tags, summary: "An appeal", params: IdParams, response: responses({ 200: S.Appeal }) },
  }, async (req) => trust.getAppeal(principalOf(req), req.params.id));

  app.post("/v1/trust/appeals/:id/decision", {
    config: { access: ["operator"] },
    schema: {
      tags, summary: "Decide an open appeal: upheld annuls the contested events and re-rates at once (matching reflects it before this answers)",
      params: IdParams, headers: IdempotencyHeaders, body: S.DecisionBody, response: responses({ 200: S.Decision }),
    },
  }, async (req) => trust.decideAppeal(principalOf(req), req.params.id, req.body));

  app.post("/v1/trust/organisations/:id/records", {
    config: { access: ["operator"] },
    schema: {
      tags, summary: "Record a commendation or penalty with its reason and decision document reference (public; no personal data of workers)",
      params: S.OrganisationParams, headers: IdempotencyHeaders, body: S.RecordBody, response: responses({ 201: S.Recorded }),
    },
  }, async (req, reply) => reply.status(201).send(await trust.recordOperatorEvent(principalOf(req), req.params.id, req.body)));

  app.get("/v1/trust/arrears", {
    config: { access: ["operator", "regulator"] },
    schema: { tags, summary: "Wage-arrears early warning: approved hours not yet paid, aged 0–3, 4–7, 8–30, >30 days per enterprise and district; the oldest first (the operator's queue)", response: responses({ 200: S.Arrears }) },
  }, async (req) => trust.arrears(principalOf(req)));

  app.get("/v1/trust/reliability", {
    config: { access: ["enterprise", "agency", "worker", "operator", "regulator"] },
    schema: { tags, summary: "Enterprises' two-way reliability: late-cancellation rate, dispute rate, approval speed (RELIABILITY_WINDOW_DAYS)", querystring: S.ReliabilityQuery, response: responses({ 200: S.ReliabilityList }) },
  }, async (req) => trust.reliability(req.query.enterpriseIds.split(",")));

  // ---------------------------------------------------------------- public, no login

  app.get("/v1/public/agencies", {
    config: { access: "public" },
    schema: { tags: ["public"], summary: "Directory of agencies: licences and colour; search by district, skill and name", querystring: S.DirectoryQuery, response: responses({ 200: S.DirectoryPage }) },
  }, async (req) => trust.directory(req.query));

  app.get("/v1/public/agencies/:id", {
    config: { access: "public" },
    schema: { tags: ["public"], summary: "An agency's disclosure: licences and validity, colour, points history (reasons only), penalties", params: IdParams, response: responses({ 200: S.PublicAgency }) },
  }, async (req) => trust.publicAgency(req.params.id));

  app.get("/v1/public/trust-settings", {
    config: { access: "public" },
    schema: { tags: ["public"], summary: "The integrity points' weights, decay and thresholds in force, and every version", response: responses({ 200: S.PublicSettings }) },
  }, async () => trust.publicSettings());
};
