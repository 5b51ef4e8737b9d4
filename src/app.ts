/**
 * The one place where modules are wired together: config → database →
 * services → Fastify routes. Tests build the same app with other options.
 */
import Fastify, { type FastifyInstance } from "fastify";
import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { Redis } from "ioredis";
import { Type } from "typebox";
import type { Config } from "./config";
import type { Database } from "./infra/db";
import { installAuth } from "./http/auth";
import { createIdempotency } from "./http/idempotency";
import { createClaimsRepository } from "./infra/claims";
import { openProcessInstance } from "./infra/instance";
import { installMetrics } from "./http/metrics";
import { installProblemHandlers } from "./http/problem";
import { ProblemSchema, responses } from "./http/schemas";
import { validatorCompiler } from "./http/validation";
import { createLogNotifier, createPartiesModule, partiesRoutes, type Notifier } from "./parties";
import { systemClock, type Clock } from "./shared/clock";
import { DomainError } from "./shared/errors";
import { webRoutes } from "./web";
import { ledgerRoutes, openLedgerWriter } from "./ledger";
import { createPaymentsModule, paymentsRoutes } from "./payments";
import { newId, type NewId } from "./shared/ids";

export interface AppDeps {
  config: Config;
  db: Database;
  redis?: Redis | undefined;
  clock?: Clock;
  newId?: NewId;
  notifier?: Notifier;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Builds the Fastify app with every module; does not listen. */
export async function buildApp(deps: AppDeps) {
  const { config, db } = deps;
  const clock = deps.clock ?? systemClock;
  const ids = deps.newId ?? newId;

  const app = Fastify({
    logger: { level: config.logLevel, redact: ["req.headers.authorization", "req.headers.cookie"] },
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : ids("req");
    },
    trustProxy: config.env === "production",
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.addSchema(ProblemSchema);
  installProblemHandlers(app);
  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", request.id);
  });

  const notifier = deps.notifier ?? createLogNotifier((msg, fields) => app.log.info(fields, msg));
  const partiesModule = createPartiesModule({ prisma: db.prisma, config, clock, newId: ids, notifier });
  const { parties, auth } = partiesModule;

  // The docs routes are public and added by the plugin: mark them so the access check lets them through.
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/docs")) route.config = { ...(route.config ?? {}), access: "public" };
  });
  // The single writer of the ledger shard: balances in memory, batches committed before acknowledging.
  const ledger = await openLedgerWriter({ sql: db.sql, clock, log: app.log });
  app.addHook("onClose", async () => ledger.close());
  const paymentsModule = createPaymentsModule({ sql: db.sql, ledger, config, clock, newId: ids });
  const { payments } = paymentsModule;
  // Idempotency claims name this process (its liveness lock), so a claim left by a process that died is taken over at once.
  const instance = await openProcessInstance(db.sql, { log: app.log });
  app.addHook("onClose", async () => instance.close());
  const idempotency = createIdempotency({
    claims: createClaimsRepository(db.sql),
    instance,
    clock,
    takeoverMs: config.idempotency.takeoverSeconds * 1000,
    retentionMs: config.idempotency.retentionHours * 3_600_000,
    log: app.log,
  });
  for (const [operation, recover] of Object.entries(paymentsModule.operations)) idempotency.register(operation, recover);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Shiftex API", version: "1", description: "Open short-term labour exchange. Errors are application/problem+json." },
      components: { securitySchemes: { apiKey: { type: "http", scheme: "bearer" }, session: { type: "apiKey", in: "cookie", name: "shiftex_session" } } },
      security: [{ apiKey: [] }, { session: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs", uiConfig: { docExpansion: "list" } });

  await app.register(cookie);
  installAuth(app, auth);
  const metrics = installMetrics(app);
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    hook: "preHandler",
    ...(deps.redis ? { redis: deps.redis, nameSpace: "shiftex:rl:" } : {}),
    keyGenerator: (req) => req.principal?.callerId ?? req.ip,
    errorResponseBuilder: (_req, ctx) => {
      const err = new DomainError("rate_limited", `rate limit of ${ctx.max} requests per ${ctx.after} exceeded; retry later`);
      return Object.assign(err, { statusCode: 429, retryAfter: Math.ceil(ctx.ttl / 1000) });
    },
  });
  idempotency.install(app);

  app.get("/health", {
    config: { access: "public", rateLimit: false },
    schema: { tags: ["ops"], summary: "Process is alive", response: { 200: Type.Object({ status: Type.Literal("ok") }) } },
  }, async () => ({ status: "ok" as const }));

  app.get("/ready", {
    config: { access: "public", rateLimit: false },
    schema: { tags: ["ops"], summary: "Database (and Redis, when configured) reachable", response: responses({ 200: Type.Object({ status: Type.Literal("ready"), database: Type.String(), redis: Type.String() }), 503: Type.Ref("Problem") }) },
  }, async () => {
    try {
      await db.sql.query("SELECT 1");
    } catch {
      throw new DomainError("not_ready", "the database is not reachable");
    }
    let redis = "not configured";
    if (deps.redis) {
      try {
        await deps.redis.ping();
        redis = "ok";
      } catch {
        throw new DomainError("not_ready", "Redis is not reachable");
      }
    }
    return { status: "ready" as const, database: db.kind, redis };
  });

  app.get("/metrics", {
    config: { access: "public", rateLimit: false },
    schema: { tags: ["ops"], summary: "Prometheus metrics", hide: false },
  }, async (_req, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));

  await app.register(partiesRoutes, {
    parties, auth,
    secureCookies: config.env === "production",
    sessionTtlSeconds: config.sessionTtlSeconds,
  });

  await app.register(ledgerRoutes, { ledger });
  await app.register(paymentsRoutes, { payments, limits: paymentsModule.limits });
  await app.register(webRoutes, { devMode: config.devMode });

  return { app: app as unknown as FastifyInstance, services: { ...partiesModule, payments, idempotency }, ledger, metrics };
}
export type BuiltApp = Awaited<ReturnType<typeof buildApp>>;
