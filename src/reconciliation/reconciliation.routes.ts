/** HTTP routes of reconciliation: imports, runs, the exception queue, control totals, CSV exports. Operators only. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { principalOf } from "../http/auth";
import { claimOf } from "../http/idempotency";
import { DomainError } from "../shared/errors";
import { IdParams, IdempotencyHeaders, responses } from "../http/schemas";
import type { ReconciliationService } from "./reconciliation.service";
import * as S from "./reconciliation.schemas";

export interface ReconciliationRoutesOptions {
  reconciliation: ReconciliationService;
  /** Largest statement upload, bytes. */
  maxStatementBytes: number;
}

const CSV = { ...responses({}), 200: Type.String({ description: "CSV, UTF-8 with a byte order mark" }) };

export const reconciliationRoutes: FastifyPluginAsyncTypebox<ReconciliationRoutesOptions> = async (app, { reconciliation: rec, maxStatementBytes }) => {
  const tags = ["reconciliation"];
  const access = ["operator"] as const;

  // The statement arrives as the file itself; only these routes (this plugin) read such bodies.
  app.addContentTypeParser(["text/csv", "application/octet-stream"], { parseAs: "buffer", bodyLimit: maxStatementBytes }, (_req, body, done) => done(null, body));

  app.post("/v1/reconciliation/imports", {
    // Idempotent by itself: the same file answers the same import, and every line is keyed by the bank's transaction id.
    config: { access, idempotent: false },
    bodyLimit: maxStatementBytes,
    schema: {
      tags, summary: "Import the escrow bank account's statement (offline gateway): the CSV file as the body",
      description: S.STATEMENT_FORMAT, querystring: S.ImportQuery, response: responses({ 201: S.Import }),
    },
  }, async (req, reply) => {
    const body = req.body as unknown;
    if (!Buffer.isBuffer(body)) throw new DomainError("unsupported_media_type", "send the statement file itself as the body, as text/csv", { field: "/headers/content-type" });
    const view = await rec.importStatement(principalOf(req), { bytes: body, filename: req.query.filename ?? null, encoding: req.query.encoding ?? "utf-8" });
    return reply.status(201).send(view);
  });

  app.post("/v1/reconciliation/imports/stripe", {
    config: { access },
    schema: { tags, summary: "Fetch Stripe's balance transactions of a period (paginated) as one import", headers: IdempotencyHeaders, body: S.StripeImportBody, response: responses({ 201: S.Import }) },
  }, async (req, reply) => reply.status(201).send(await rec.importStripe(principalOf(req), req.body)));

  app.get("/v1/reconciliation/imports", {
    config: { access },
    schema: { tags, summary: "Imports, newest first (an import in progress shows done of total)", querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })) }, { additionalProperties: false }), response: responses({ 200: S.ImportPage }) },
  }, async (req) => rec.listImports(principalOf(req), req.query));

  app.get("/v1/reconciliation/imports/:id", {
    config: { access },
    schema: { tags, summary: "An import and its progress", params: IdParams, response: responses({ 200: S.Import }) },
  }, async (req) => rec.getImport(principalOf(req), req.params.id));

  app.post("/v1/reconciliation/runs", {
    config: { access },
    schema: {
      tags, summary: "Reconcile a provider up to a date (cumulative); unchanged data answers the earlier run",
      headers: IdempotencyHeaders, body: S.RunBody, response: responses({ 201: S.Run }),
    },
  }, async (req, reply) => reply.status(201).send(await rec.run(principalOf(req), req.body)));

  app.get("/v1/reconciliation/runs", {
    config: { access },
    schema: { tags, summary: "Runs, newest first", querystring: S.RunListQuery, response: responses({ 200: S.RunPage }) },
  }, async (req) => rec.listRuns(principalOf(req), req.query));

  app.get("/v1/reconciliation/runs/:id", {
    config: { access },
    schema: { tags, summary: "A run with its control totals", params: IdParams, response: responses({ 200: S.Run }) },
  }, async (req) => rec.getRun(principalOf(req), req.params.id));

  app.get("/v1/reconciliation/runs/:id/items", {
    config: { access },
    schema: { tags, summary: "A run's items: every movement, matched or not", params: IdParams, querystring: S.ItemListQuery, response: responses({ 200: S.ItemPage }) },
  }, async (req) => rec.listItems(principalOf(req), req.params.id, req.query));

  app.get("/v1/reconciliation/exceptions", {
    config: { access },
    schema: { tags, summary: "The exception queue, oldest first", querystring: S.ExceptionListQuery, response: responses({ 200: S.ExceptionPage }) },
  }, async (req) => rec.listExceptions(principalOf(req), req.query));

  app.get("/v1/reconciliation/exceptions/:id", {
    config: { access },
    schema: { tags, summary: "An exception with its notes", params: S.ExceptionParams, response: responses({ 200: S.Exception }) },
  }, async (req) => rec.getException(principalOf(req), req.params.id));

  app.post("/v1/reconciliation/exceptions/:id/assign", {
    config: { access, idempotent: false },
    schema: { tags, summary: "Give an exception to an owner (null: back to the queue)", params: S.ExceptionParams, body: S.AssignBody, response: responses({ 200: S.Exception }) },
  }, async (req) => rec.assign(principalOf(req), req.params.id, req.body.owner));

  app.post("/v1/reconciliation/exceptions/:id/notes", {
    config: { access },
    schema: { tags, summary: "Comment on an exception", params: S.ExceptionParams, headers: IdempotencyHeaders, body: S.NoteBody, response: responses({ 200: S.Exception }) },
  }, async (req) => rec.comment(principalOf(req), req.params.id, req.body.body));

  app.post("/v1/reconciliation/exceptions/:id/resolve", {
    // Moves money (a correcting transfer through suspense): always under a claim, so a request cut off mid-way is completed.
    config: { access, recoverable: true },
    schema: {
      tags, summary: "Resolve an exception: a correcting transfer through suspense, or a match with its counterpart",
      params: S.ExceptionParams, headers: IdempotencyHeaders, body: S.ResolveBody, response: responses({ 200: S.Exception }),
    },
  }, async (req) => rec.resolve(principalOf(req), req.params.id, req.body, claimOf(req)));

  app.get("/v1/reconciliation/control-totals", {
    config: { access },
    schema: { tags, summary: "Daily control totals: ledger clearing vs provider net up to a date, the difference explained by the open exceptions", querystring: S.ControlTotalsQuery, response: responses({ 200: S.ControlTotals }) },
  }, async (req) => rec.controlTotals(principalOf(req), req.query));

  app.get("/v1/reconciliation/exports/trial-balance.csv", {
    config: { access },
    schema: { tags, summary: "The trial balance at the end of a date (CSV)", querystring: S.DateQuery, response: CSV },
  }, async (req, reply) => {
    const file = await rec.trialBalanceCsv(principalOf(req), req.query.date);
    return reply.type("text/csv; charset=utf-8").header("content-disposition", `attachment; filename="${file.filename}"`).send(file.body);
  });

  app.get("/v1/reconciliation/exports/transfers.csv", {
    config: { access },
    schema: { tags, summary: "Every ledger transfer of a date (CSV)", querystring: S.DateQuery, response: CSV },
  }, async (req, reply) => {
    const file = await rec.transfersCsv(principalOf(req), req.query.date);
    return reply.type("text/csv; charset=utf-8").header("content-disposition", `attachment; filename="${file.filename}"`).send(file.body);
  });

  app.get("/v1/reconciliation/exports/contract-statement.csv", {
    config: { access },
    schema: { tags, summary: "A contract's statement: every movement of its escrow account with running totals (CSV)", querystring: S.ContractQuery, response: CSV },
  }, async (req, reply) => {
    const file = await rec.contractStatementCsv(principalOf(req), req.query.contractId);
    return reply.type("text/csv; charset=utf-8").header("content-disposition", `attachment; filename="${file.filename}"`).send(file.body);
  });
};
