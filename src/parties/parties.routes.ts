/** HTTP routes of the parties module: organisations, licences, API keys, workers, login, catalogues. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { Type } from "typebox";
import { principalOf, SESSION_COOKIE } from "../http/auth";
import { clientAddressKey } from "../http/client-address";
import { IdParams, IdempotencyHeaders, responses } from "../http/schemas";
import { DomainError } from "../shared/errors";
import type { AuthService } from "./auth.service";
import { certificateLevels, districts, keyGroups, shiftSlots, skills, MINIMUM_WAGE_SOURCE } from "./catalogue";
import { validateChinaMobile } from "./identity";
import type { PartiesService } from "./parties.service";
import * as S from "./parties.schemas";

/** Code requests and code checks per client address, each per minute. */
const CODES_PER_ADDRESS = 20;
const CHECKS_PER_ADDRESS = 10;

/** The per-phone key of a code request: the normalised phone, so "+86 139…", "0086139…" and "139 …" share one budget. */
function phoneKey(req: FastifyRequest): string {
  const raw = (req.body as { phone?: unknown } | undefined)?.phone;
  const phone = typeof raw === "string" ? validateChinaMobile(raw) : undefined;
  // An invalid phone is refused by the handler; its requests still count, against the address.
  return phone?.ok ? `otp-phone:${phone.value}` : `otp-phone:invalid:${clientAddressKey(req.ip)}`;
}

export interface PartiesRoutesOptions {
  parties: PartiesService;
  auth: AuthService;
  secureCookies: boolean;
  sessionTtlSeconds: number;
  /** Login codes per phone (normalised) per window. */
  codesPerPhone: { max: number; windowMs: number };
}

export const partiesRoutes: FastifyPluginAsyncTypebox<PartiesRoutesOptions> = async (app, { parties, auth, secureCookies, sessionTtlSeconds, codesPerPhone }) => {
  const tags = ["parties"];
  // The route's own limit counts per address; this second one counts per phone, in the same store (Redis when configured).
  const perPhone = app.createRateLimit({ max: codesPerPhone.max, timeWindow: codesPerPhone.windowMs, keyGenerator: phoneKey });

  app.post("/v1/organisations", {
    config: { access: ["operator"] },
    schema: { tags, summary: "Register an enterprise or agency", headers: IdempotencyHeaders, body: S.CreateOrganisationBody, response: responses({ 201: S.Organisation }) },
  }, async (req, reply) => reply.status(201).send(await parties.createOrganisation(req.body)));

  app.get("/v1/organisations", {
    config: { access: ["operator", "regulator"] },
    schema: { tags, summary: "List organisations, a page at a time", querystring: S.OrganisationListQuery, response: responses({ 200: S.OrganisationPage }) },
  }, async (req) => parties.listOrganisations(req.query));

  app.get("/v1/organisations/:id", {
    config: { access: ["operator", "regulator", "enterprise", "agency"] },
    schema: { tags, summary: "Read an organisation (operator, regulator, or its own users)", params: IdParams, response: responses({ 200: S.Organisation }) },
  }, async (req) => parties.getOrganisation(principalOf(req), req.params.id));

  app.patch("/v1/organisations/:id", {
    config: { access: ["operator", "enterprise", "agency"] },
    schema: {
      tags,
      summary: "Change an organisation's district (its users or an operator), name or shared-staffing flag (operator only, with a reason)",
      params: IdParams, body: S.UpdateOrganisationBody, response: responses({ 200: S.Organisation }),
    },
  }, async (req) => parties.updateOrganisation(principalOf(req), req.params.id, req.body));

  app.get("/v1/organisations/:id/changes", {
    config: { access: ["operator", "regulator", "enterprise", "agency"] },
    schema: { tags, summary: "The recorded changes of an organisation, oldest first, with the operator's reasons", params: IdParams, querystring: S.ChangeListQuery, response: responses({ 200: S.OrganisationChangePage }) },
  }, async (req) => parties.listOrganisationChanges(principalOf(req), req.params.id, req.query));

  app.post("/v1/organisations/:id/licences", {
    config: { access: ["operator", "agency"] },
    schema: { tags, summary: "Submit (agency) or record (operator) a licence", params: IdParams, headers: IdempotencyHeaders, body: S.CreateLicenceBody, response: responses({ 201: S.Licence }) },
  }, async (req, reply) => reply.status(201).send(await parties.addLicence(principalOf(req), req.params.id, req.body)));

  for (const action of ["verify", "suspend", "reinstate"] as const) {
    app.post(`/v1/licences/:id/${action}`, {
      config: { access: ["operator"], idempotent: false },
      schema: { tags, summary: `${action[0]!.toUpperCase()}${action.slice(1)} a licence (operator)`, params: IdParams, body: S.LicenceActionBody, response: responses({ 200: S.Licence }) },
    }, async (req) => parties.setLicenceStatus(req.params.id, action, req.body.reason));
  }

  app.post("/v1/organisations/:id/api-keys", {
    config: { access: ["operator", "enterprise", "agency"], secret: true },
    schema: { tags, summary: "Issue an API key for a user of the organisation", params: IdParams, headers: IdempotencyHeaders, body: S.CreateApiKeyBody, response: responses({ 201: S.ApiKey }) },
  }, async (req, reply) => {
    const org = await parties.getOrganisation(principalOf(req), req.params.id);
    const key = await auth.issueApiKey({ role: org.kind, organisationId: org.id, label: req.body.label });
    return reply.status(201).send(key);
  });

  app.post("/v1/api-keys", {
    config: { access: ["operator"], secret: true },
    schema: { tags, summary: "Issue an operator or regulator API key", headers: IdempotencyHeaders, body: S.CreateStaffKeyBody, response: responses({ 201: S.ApiKey }) },
  }, async (req, reply) => reply.status(201).send(await auth.issueApiKey({ role: req.body.role, organisationId: null, label: req.body.label })));

  app.post("/v1/workers", {
    config: { access: ["agency", "enterprise", "operator"] },
    schema: { tags, summary: "Register a worker (real name; one identity = one worker)", headers: IdempotencyHeaders, body: S.CreateWorkerBody, response: responses({ 201: S.Worker }) },
  }, async (req, reply) => reply.status(201).send(await parties.registerWorker(principalOf(req), req.body)));

  app.get("/v1/workers", {
    config: { access: ["agency", "enterprise", "operator", "regulator"] },
    schema: { tags, summary: "List the caller's workers (all, for operators), a page at a time", querystring: S.WorkerListQuery, response: responses({ 200: S.WorkerPage }) },
  }, async (req) => parties.listWorkers(principalOf(req), req.query));

  app.get("/v1/workers/:id", {
    config: { access: ["agency", "enterprise", "operator", "regulator", "worker"] },
    schema: { tags, summary: "Read a worker (its supplier, the worker, operators)", params: IdParams, response: responses({ 200: S.Worker }) },
  }, async (req) => parties.getWorker(principalOf(req), req.params.id));

  app.patch("/v1/workers/:id", {
    config: { access: ["agency", "enterprise", "operator"] },
    schema: {
      tags,
      summary: "Change a worker's district, skills or key groups; a new phone becomes pending until the worker confirms the code sent to it",
      params: IdParams, body: S.UpdateWorkerBody, response: responses({ 200: S.Worker, 503: Type.Ref("Problem") }),
    },
  }, async (req) => parties.updateWorker(principalOf(req), req.params.id, req.body));

  app.post("/v1/me/phone/confirm", {
    config: { access: ["worker"], idempotent: false, rateLimit: { max: CHECKS_PER_ADDRESS, timeWindow: 60_000 } },
    schema: {
      tags: ["auth"],
      summary: "The worker confirms a pending phone change with the code sent to the new phone; every session of the worker ends",
      body: S.PhoneConfirmBody, response: responses({ 200: S.PhoneConfirmed }),
    },
  }, async (req, reply) => {
    const done = await parties.confirmPhoneChange(principalOf(req), req.body.code);
    void reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return done;
  });

  app.get("/v1/me", {
    config: { access: ["worker", "enterprise", "agency", "operator", "regulator"] },
    schema: {
      tags, summary: "Who am I",
      response: responses({ 200: Type.Object({ role: Type.String(), organisationId: Type.Union([Type.String(), Type.Null()]), workerId: Type.Union([Type.String(), Type.Null()]), worker: Type.Optional(S.Worker) }) }),
    },
  }, async (req) => {
    const p = principalOf(req);
    return { role: p.role, organisationId: p.organisationId, workerId: p.workerId, ...(p.workerId ? { worker: await parties.getWorker(p, p.workerId) } : {}) };
  });

  // Worker login: phone + one-time code → session cookie. Public routes are limited per client address (never per
  // API key: anyone can mint keys), code requests also per phone, and wrong codes lock the phone (in the service).
  app.post("/v1/auth/otp", {
    config: { access: "public", idempotent: false, rateLimit: { max: CODES_PER_ADDRESS, timeWindow: 60_000 } },
    preHandler: async (req) => {
      const limit = await perPhone(req);
      if (!limit.isAllowed && limit.isExceeded) {
        const err = new DomainError("rate_limited", `at most ${codesPerPhone.max} codes are sent to one phone in ${Math.round(codesPerPhone.windowMs / 60_000)} minutes; retry later`, { field: "/body/phone" });
        throw Object.assign(err, { retryAfter: limit.ttlInSeconds });
      }
    },
    schema: {
      tags: ["auth"], summary: "Send a one-time login code to a worker's phone", body: S.OtpRequestBody,
      response: responses({ 202: Type.Object({ expiresAt: Type.String(), devCode: Type.Optional(Type.String({ description: "Dev mode only" })) }) }),
    },
  }, async (req, reply) => reply.status(202).send(await auth.requestCode(req.body.phone)));

  app.post("/v1/auth/otp/verify", {
    config: { access: "public", idempotent: false, rateLimit: { max: CHECKS_PER_ADDRESS, timeWindow: 60_000 } },
    schema: {
      tags: ["auth"], summary: "Exchange phone + code for a session cookie", body: S.OtpVerifyBody,
      response: responses({ 200: Type.Object({ workerId: Type.String(), expiresAt: Type.String() }) }),
    },
  }, async (req, reply) => {
    const s = await auth.verifyCode(req.body.phone, req.body.code);
    void reply.setCookie(SESSION_COOKIE, s.token, { httpOnly: true, sameSite: "lax", secure: secureCookies, path: "/", maxAge: sessionTtlSeconds });
    return { workerId: s.workerId, expiresAt: s.expiresAt.toISOString() };
  });

  app.post("/v1/auth/logout", {
    config: { access: "public", idempotent: false },
    schema: { tags: ["auth"], summary: "End the worker session", response: responses({ 204: Type.Null() }) },
  }, async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE];
    if (token) await auth.logout(token);
    void reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return reply.status(204).send(null);
  });

  // Reference catalogues: public.
  app.get("/v1/catalogue", {
    config: { access: "public" },
    schema: {
      tags: ["catalogue"], summary: "Districts with minimum wages, skills, certificate levels, shift slots, key groups",
      response: responses({ 200: Type.Object({
        minimumWageSource: Type.Unknown(),
        districts: Type.Array(Type.Object({ code: Type.String(), nameZh: Type.String(), nameEn: Type.String(), kind: Type.String(), minimumHourlyWageFen: Type.Integer() })),
        skills: Type.Array(Type.Object({ id: Type.String(), nameZh: Type.String(), nameEn: Type.String(), maxLevel: Type.Integer(), licensedOperation: Type.Boolean() })),
        certificateLevels: Type.Array(Type.Object({ level: Type.Integer(), code: Type.String(), nameZh: Type.String(), nameEn: Type.String() })),
        shiftSlots: Type.Array(Type.Object({ id: Type.String(), start: Type.String(), end: Type.String(), crossesMidnight: Type.Boolean(), paidMinutes: Type.Integer() })),
        keyGroups: Type.Array(Type.Object({ id: Type.String(), nameZh: Type.String(), nameEn: Type.String() })),
      }) }),
    },
  }, async () => ({
    minimumWageSource: MINIMUM_WAGE_SOURCE,
    districts: districts.map((d) => ({ code: d.code, nameZh: d.name_zh, nameEn: d.name_en, kind: d.kind, minimumHourlyWageFen: d.minimumHourlyWageFen })),
    skills: skills.map((s) => ({ id: s.id, nameZh: s.name_zh, nameEn: s.name_en, maxLevel: s.maxLevel, licensedOperation: s.licensedOperation })),
    certificateLevels: certificateLevels.map((c) => ({ level: c.level, code: c.code, nameZh: c.name_zh, nameEn: c.name_en })),
    shiftSlots: shiftSlots.map((s) => ({ id: s.id, start: s.start, end: s.end, crossesMidnight: s.crossesMidnight, paidMinutes: s.paidMinutes })),
    keyGroups: keyGroups.map((k) => ({ id: k.id, nameZh: k.name_zh, nameEn: k.name_en })),
  }));

  if (!secureCookies) app.log.debug("session cookies are not marked Secure (plain HTTP in development)");
};
