/** HTTP routes of the contract runtime: staffing, the worker's shifts and attendance, timesheets, cancellation, splits, earnings, sites. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { principalOf } from "../http/auth";
import { IdempotencyHeaders, responses } from "../http/schemas";
import type { ContractsService } from "./contracts.service";
import * as S from "./contracts.schemas";

export interface ContractsRoutesOptions {
  contracts: ContractsService;
}

const EVERYONE = ["enterprise", "agency", "worker", "operator", "regulator"] as const;
const READERS = ["enterprise", "agency", "operator", "regulator"] as const;
const ORGS = ["enterprise", "agency"] as const;

export const contractsRoutes: FastifyPluginAsyncTypebox<ContractsRoutesOptions> = async (app, { contracts }) => {
  const tags = ["contracts"];
  const shiftTags = ["shifts"];

  app.get("/v1/contract-policy", {
    config: { access: EVERYONE },
    schema: { tags, summary: "The deadlines and cancellation terms new contracts run under (each contract keeps the terms it started with)", response: responses({ 200: S.Policy }) },
  }, async () => contracts.policy());

  app.get("/v1/workflows", {
    config: { access: READERS },
    schema: { tags, summary: "The workflows of the caller's contracts (operators and regulators: all), newest first", querystring: S.ShiftQuery, response: responses({ 200: S.WorkflowPage }) },
  }, async (req) => contracts.workflows(principalOf(req), req.query));

  app.get("/v1/contracts/:id/workflow", {
    config: { access: READERS },
    schema: { tags, summary: "A contract's workflow: state, deadlines, terms, seats, and how each seat's money left", params: S.ContractParams, response: responses({ 200: S.Workflow }) },
  }, async (req) => contracts.workflow(principalOf(req), req.params.id));

  app.post("/v1/contracts/:id/assignments", {
    config: { access: ORGS },
    schema: {
      tags,
      summary: "The supplier names a worker for a seat, or replaces the seat's worker (until the staffing deadline)",
      description: "The worker must be the supplier's own (a lending enterprise's employee for shared staffing; an agency may name an independent worker), hold the skill at the required certificate level, be 18 or over for night shifts and hazardous or licensed work, and have no overlapping shift anywhere on the exchange (checked by identity across every supplier). Naming the seat's current worker again answers the workflow unchanged.",
      params: S.ContractParams, headers: IdempotencyHeaders, body: S.AssignBody, response: responses({ 200: S.Workflow }),
    },
  }, async (req) => contracts.assign(principalOf(req), req.params.id, req.body));

  app.post("/v1/contracts/:id/cancel", {
    config: { access: ORGS },
    schema: {
      tags,
      summary: "Cancel a contract before its shift starts: by the enterprise (free with enough notice, otherwise a fee per staffed seat to the supplier) or by the supplier (every seat refunded, its record marked)",
      params: S.ContractParams, headers: IdempotencyHeaders, body: S.CancelBody, response: responses({ 200: S.Workflow }),
    },
  }, async (req) => contracts.cancel(principalOf(req), req.params.id, req.body.reason ?? null));

  app.post("/v1/contracts/:id/seats/:seat/split", {
    config: { access: ["operator"] },
    schema: {
      tags,
      summary: "An operator resolves a disputed seat: the minutes paid, the rest back to the enterprise, with a reason both parties see",
      params: S.SeatParams, headers: IdempotencyHeaders, body: S.SplitBody, response: responses({ 200: S.Workflow }),
    },
  }, async (req) => contracts.split(principalOf(req), req.params.id, req.params.seat, req.body));

  app.get("/v1/disputes", {
    config: { access: ["operator", "regulator"] },
    schema: { tags, summary: "The disputes queue: seats under dispute, earliest shift first (an operator splits each: POST /v1/contracts/:id/seats/:seat/split)", querystring: S.ShiftQuery, response: responses({ 200: S.ShiftPage }) },
  }, async (req) => contracts.disputes(principalOf(req), req.query));

  app.get("/v1/contracts/:id/shifts", {
    config: { access: READERS },
    schema: { tags, summary: "A contract's worker-shifts: timesheets with check-in, check-out, hours and earnings", params: S.ContractParams, response: responses({ 200: S.ShiftList }) },
  }, async (req) => contracts.contractShifts(principalOf(req), req.params.id));

  app.get("/v1/shifts", {
    config: { access: ["worker"] },
    schema: { tags: shiftTags, summary: "The worker's shifts, latest first: offered, upcoming and past, with hours and earnings", querystring: S.ShiftQuery, response: responses({ 200: S.ShiftPage }) },
  }, async (req) => contracts.myShifts(principalOf(req), req.query));

  app.get("/v1/shifts/:id", {
    config: { access: EVERYONE },
    schema: { tags: shiftTags, summary: "One shift (its worker, the contract's parties, operators, regulators)", params: S.ShiftParams, response: responses({ 200: S.Shift }) },
  }, async (req) => contracts.shift(principalOf(req), req.params.id));

  const workerAction = (path: string, summary: string) => ({ path, summary });
  for (const { path, summary } of [workerAction("confirm", "The worker confirms the shift (before the confirmation deadline)")]) {
    app.post(`/v1/shifts/:id/${path}`, {
      config: { access: ["worker"] },
      schema: { tags: shiftTags, summary, params: S.ShiftParams, headers: IdempotencyHeaders, response: responses({ 200: S.Shift }) },
    }, async (req) => contracts.confirm(principalOf(req), req.params.id));
  }

  app.post("/v1/shifts/:id/decline", {
    config: { access: ["worker"] },
    schema: { tags: shiftTags, summary: "The worker declines the shift (the supplier may name someone else until the staffing deadline)", params: S.ShiftParams, headers: IdempotencyHeaders, body: S.DeclineBody, response: responses({ 200: S.Shift }) },
  }, async (req) => contracts.decline(principalOf(req), req.params.id, req.body.reason ?? null));

  app.post("/v1/shifts/:id/check-in", {
    config: { access: ["worker"] },
    schema: {
      tags: shiftTags,
      summary: "The worker checks in with the code shown at the site; a position outside the site's fence is kept, flagged, with a warning",
      params: S.ShiftParams, headers: IdempotencyHeaders, body: S.AttendanceBody, response: responses({ 200: S.Shift }),
    },
  }, async (req) => contracts.checkIn(principalOf(req), req.params.id, req.body));

  app.post("/v1/shifts/:id/check-out", {
    config: { access: ["worker"] },
    schema: { tags: shiftTags, summary: "The worker checks out with the code shown at the site", params: S.ShiftParams, headers: IdempotencyHeaders, body: S.AttendanceBody, response: responses({ 200: S.Shift }) },
  }, async (req) => contracts.checkOut(principalOf(req), req.params.id, req.body));

  app.post("/v1/shifts/:id/approve", {
    config: { access: ["enterprise"] },
    schema: {
      tags: shiftTags,
      summary: "The enterprise approves the hours (naming a missing check-out); the seat settles at once",
      params: S.ShiftParams, headers: IdempotencyHeaders, body: S.ApproveBody, response: responses({ 200: S.Shift }),
    },
  }, async (req) => contracts.approve(principalOf(req), req.params.id, req.body));

  app.post("/v1/shifts/:id/dispute", {
    config: { access: ["enterprise"] },
    schema: { tags: shiftTags, summary: "The enterprise disputes the hours: the seat's funds are frozen until an operator splits them", params: S.ShiftParams, headers: IdempotencyHeaders, body: S.DisputeBody, response: responses({ 200: S.Shift }) },
  }, async (req) => contracts.dispute(principalOf(req), req.params.id, req.body));

  app.post("/v1/shifts/:id/accept-check-in", {
    config: { access: ["enterprise"] },
    schema: { tags: shiftTags, summary: "The enterprise accepts a check-in flagged outside the site's fence", params: S.ShiftParams, headers: IdempotencyHeaders, response: responses({ 200: S.Shift }) },
  }, async (req) => contracts.acceptCheckIn(principalOf(req), req.params.id));

  app.get("/v1/site/code", {
    config: { access: ["enterprise"] },
    schema: { tags: shiftTags, summary: "The site's check-in code now (six digits, changes every 30 seconds) for the screen at the gate", response: responses({ 200: S.SiteCode }) },
  }, async (req) => contracts.siteCode(principalOf(req)));

  app.put("/v1/site", {
    config: { access: ["enterprise"] },
    schema: { tags: shiftTags, summary: "Sets or removes the site's geofence (latitude, longitude, radius)", body: S.SiteBody, response: responses({ 200: S.SiteCode }) },
  }, async (req) => contracts.setSite(principalOf(req), req.body));

  app.get("/v1/earnings", {
    config: { access: ["worker", "agency", "enterprise"] },
    schema: { tags: shiftTags, summary: "Earnings per shift: a worker's own, a supplier's (agency or lending enterprise), newest first", querystring: S.ShiftQuery, response: responses({ 200: S.EarningPage }) },
  }, async (req) => contracts.earnings(principalOf(req), req.query));

  app.get("/v1/notifications", {
    config: { access: ["worker", "agency", "enterprise"] },
    schema: { tags: shiftTags, summary: "What the caller was told about its contracts and shifts, newest first", querystring: S.ShiftQuery, response: responses({ 200: S.NotificationPage }) },
  }, async (req) => contracts.notifications(principalOf(req), req.query));
};
