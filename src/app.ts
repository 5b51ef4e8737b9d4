/**
 * The one place where modules are wired together: config → database →
 * services → Fastify routes. Tests build the same app with other options.
 */
import Fastify, { LogController, type FastifyInstance } from "fastify";
import cookie from "@fastify/cookie";
import websocket from "@fastify/websocket";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { Redis } from "ioredis";
import { Type } from "typebox";
import type { Config } from "./config";
import type { Database } from "./infra/db";
import type { DestinationStream } from "pino";
import { installAuth, type AuthFailureGuard } from "./http/auth";
import { clientAddressKey } from "./http/client-address";
import { createIdempotency } from "./http/idempotency";
import { createClaimsRepository } from "./infra/claims";
import { openProcessInstance } from "./infra/instance";
import { installMetrics } from "./http/metrics";
import { clientErrorHandler, frameworkErrors, installProblemHandlers, MAX_PARAM_LENGTH } from "./http/problem";
import { ProblemSchema, responses } from "./http/schemas";
import { validatorCompiler } from "./http/validation";
import { createPartiesModule, notifierFromConfig, partiesRoutes, type Notifier } from "./parties";
import { systemClock, type Clock } from "./shared/clock";
import { DomainError } from "./shared/errors";
import { agenciesPagesRoutes, consolePagesRoutes, contractPagesRoutes, publicDataPagesRoutes, tradeRoutes, webRoutes } from "./web";
import { consoleRoutes, createConsoleModule } from "./console";
import { createLedgerModule, ledgerRoutes } from "./ledger";
import type { Bus } from "./infra/bus";
import { openSequencer } from "./sequencer";
import { createExchangeModule, exchangeRoutes, exchangeSettingsOf } from "./exchange";
import { createPaymentsModule, paymentsRoutes, stripeRoutes, stripeWebhookRoutes, type StripeApi } from "./payments";
import { createReconciliationModule, reconciliationRoutes, stripeProviderSource } from "./reconciliation";
import { newId, type NewId } from "./shared/ids";
import { createEventBus, createRealtimeModule, MAX_CLIENT_MESSAGE_BYTES, realtimeRoutes, type BookSource } from "./realtime";
import { contractsRoutes, createContractsModule } from "./contracts";
import { createTrustModule, trustRoutes } from "./trust";
import { createMarketdataModule, marketdataRoutes } from "./marketdata";
import { createStatsModule, statsRoutes } from "./stats";

export interface AppDeps {
  config: Config;
  db: Database;
  redis?: Redis | undefined;
  clock?: Clock;
  newId?: NewId;
  notifier?: Notifier;
  /** Where the log goes (tests capture it); stdout by default. */
  logStream?: DestinationStream;
  /** Where committed domain events go; default: the process's bus (through Redis pub/sub when `redis` is given). */
  bus?: Bus;
  /** Where the stream's book snapshots come from; default: the exchange's committed books (tests may stand in their own). */
  books?: BookSource;
  /** Run the contract runtime's timer and sweep loops (default true); tests that move the clock fire timers themselves. */
  contractLoops?: boolean;
  /** Stands in for Stripe's API (tests); default: the official SDK when STRIPE_SECRET_KEY is set. */
  stripeApi?: StripeApi;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Believe X-Forwarded-For through `hops` proxies in front of the app (0: none). */
function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

/** Builds the Fastify app with every module; does not listen. */
export async function buildApp(deps: AppDeps) {
  const { config, db } = deps;
  const clock = deps.clock ?? systemClock;
  const ids = deps.newId ?? newId;

  const app = Fastify({
    logger: { level: config.logLevel, redact: ["req.headers.authorization", "req.headers.cookie"], ...(deps.logStream ? { stream: deps.logStream } : {}) },
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: false,
    // One access line per request (below) instead of Fastify's two ("incoming request" and "request completed").
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : ids("req");
    },
    // X-Forwarded-For is believed only from the proxies TRUST_PROXY names (none by default).
    trustProxy: typeof config.trustProxy === "number" ? trustHops(config.trustProxy) : config.trustProxy === false ? false : [...config.trustProxy],
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.addSchema(ProblemSchema);
  installProblemHandlers(app);
  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", request.id);
  });
  if (["trace", "debug", "info"].includes(config.logLevel)) {
    app.addHook("onResponse", async (request, reply) => {
      request.log.info({ method: request.method, url: request.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime }, "request completed");
    });
  }

  const notifier = deps.notifier ?? notifierFromConfig(config, (msg, fields) => app.log.info(fields, msg));
  const partiesModule = createPartiesModule({
    prisma: db.prisma, config, clock, newId: ids, notifier,
    onDeliveryError: (err, about) => app.log.error({ err, ...about }, "a one-time code could not be delivered"),
  });
  const { parties, auth } = partiesModule;
  app.addHook("onClose", async () => auth.drain());

  // Every route that needs no credential (pages, assets, public data): the privacy crawler test walks them all.
  const publicRoutes: { method: string; url: string }[] = [];
  // The docs routes are public and added by the plugin: mark them so the access check lets them through.
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/docs")) route.config = { ...(route.config ?? {}), access: "public" };
    if (route.config?.access === "public") for (const method of [route.method].flat()) publicRoutes.push({ method, url: route.url });
    // A public route needs no credential: no lock beside it in /docs.
    if (route.config?.access === "public" && route.schema) route.schema = { ...route.schema, security: [] };
  });
  // Committed events reach every process's subscribers (WebSocket clients among them): in-process, or through Redis pub/sub.
  const eventBus = deps.bus ? undefined : await createEventBus({ redis: deps.redis, prefix: config.redisPrefix, nodeId: ids("node"), log: app.log });
  const bus = deps.bus ?? eventBus!;
  // The shard's sequencer: the single writer of orders, contracts and the ledger, books and balances in memory,
  // batches committed before acknowledging; opening verifies the stored chain and replays the journal after the
  // newest snapshot, and refuses a ledger that does not verify.
  const sequencer = await openSequencer({
    sql: db.sql,
    clock,
    shard: config.ledger.shard,
    maxBatchTransfers: config.ledger.batchSize,
    checkpointIntervalMs: config.ledger.checkpointIntervalMs,
    signingKey: config.ledger.signingKey,
    previousPublicKeys: config.ledger.previousPublicKeys,
    verifyOnOpen: config.ledger.verifyOnStart,
    exchange: exchangeSettingsOf(config),
    recentTransfers: config.exchange.recentIds,
    recentOrders: config.exchange.recentIds,
    snapshotEvery: config.exchange.snapshotEvery,
    expiryIntervalMs: config.exchange.tickMs,
    log: app.log,
    bus,
  });
  app.addHook("onClose", async () => sequencer.close());
  // Checks the ledger verification runs beyond its own (filled in below: every closed contract's escrow is zero).
  const ledgerChecks: (() => Promise<string[]>)[] = [];
  const ledgerModule = await createLedgerModule({ sql: db.sql, config, clock, log: app.log, writer: sequencer, checks: ledgerChecks });
  const ledger = ledgerModule.writer;
  // Guidance prices and the band cache (orders far outside it are flagged, never refused), the targeted push.
  const marketdata = createMarketdataModule({ sql: db.sql, config, clock, bus, log: app.log });
  app.addHook("preClose", async () => marketdata.stop());
  const stats = createStatsModule({ sql: db.sql, config, clock });
  // Trust: contract records, licence changes and arrears become integrity points; colour changes reach the sequencer as commands.
  // It reads the other modules' records only through its own SQL views, so it is built first: its reliability port feeds their views.
  const trust = await createTrustModule({ sql: db.sql, config, sequencer, clock, newId: ids, log: app.log });
  app.addHook("preClose", async () => trust.stop());
  // Payments move money through the sequencer too, so balances never race.
  const paymentsModule = createPaymentsModule({
    sql: db.sql, ledger, config, clock, newId: ids, log: app.log, ...(deps.stripeApi ? { stripeApi: deps.stripeApi } : {}),
    organisation: async (id) => {
      const o = await partiesModule.repo.findOrganisation(id);
      return o ? { kind: o.kind, lendsStaff: o.lendsStaff, name: o.name } : null;
    },
  });
  const { payments } = paymentsModule;
  // The contract runtime: every contract and worker-shift as a machine; money through the sequencer. Its shift and contract
  // views show each enterprise's two-way reliability through trust's port.
  // Settled payables of Stripe-paid suppliers leave as transfers to their Connect accounts (transfer group = the contract).
  const stripeGateway = paymentsModule.stripe;
  const payouts = stripeGateway
    ? { pay: async (p: { key: string; supplierId: string; contractId: string; amountFen: bigint }) => void (await stripeGateway.paySettlement({ key: p.key, organisationId: p.supplierId, amountFen: p.amountFen, contractId: p.contractId })) }
    : undefined;
  const contracts = createContractsModule({ sql: db.sql, config, ledger: sequencer, clock, newId: ids, bus, notifier, log: app.log, payouts, reliability: trust.reliability });
  ledgerChecks.push(() => contracts.service.closedEscrowProblems());
  // The exchange shows each contract's workflow state through the runtime's port, not by reading its tables, and the enterprise's reliability through trust's.
  const exchange = await createExchangeModule({
    sql: db.sql, sequencer, clock, newId: ids, progress: contracts.progress, priceGuide: marketdata.priceGuide, reliability: trust.reliability,
  });
  // Before the sequencer closes: the outbox pass in flight may still be moving money.
  app.addHook("preClose", async () => contracts.stop());
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
  // Reconciliation reads the clearing account through the sequencer and corrects only through it (via suspense).
  const reconciliationModule = createReconciliationModule({
    sql: db.sql, ledger: sequencer, config, clock, newId: ids, describeClearing: (transferIds) => paymentsModule.repo.describeClearing(transferIds),
    stripeSource: paymentsModule.stripeApi ? stripeProviderSource(paymentsModule.stripeApi) : undefined,
  });
  for (const [operation, recover] of Object.entries(reconciliationModule.operations)) idempotency.register(operation, recover);

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
  const metrics = installMetrics(app);
  const realtime = createRealtimeModule({
    bus, books: deps.books ?? exchange, redis: deps.redis, clock, log: app.log, metrics,
    settings: { redisPrefix: config.redisPrefix, ...config.stream },
  });
  // Sockets close (1001, going away) before the server stops listening: this hook precedes the plugin's own.
  app.addHook("preClose", async () => realtime.close());
  app.addHook("onClose", async () => eventBus?.close());
  await app.register(websocket, { options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES } });
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    hook: "preHandler",
    ...(deps.redis ? { redis: deps.redis, nameSpace: "shiftex:rl:" } : {}),
    // Public routes count per client address only: an API key sent along would give each minted key a fresh budget.
    keyGenerator: (req) =>
      req.routeOptions.config?.access === "public" || !req.principal ? `ip:${clientAddressKey(req.ip)}` : `caller:${req.principal.callerId}`,
    errorResponseBuilder: (_req, ctx) => {
      const err = new DomainError("rate_limited", `rate limit of ${ctx.max} requests per ${ctx.after} exceeded; retry later`);
      return Object.assign(err, { statusCode: 429, retryAfter: Math.ceil(ctx.ttl / 1000) });
    },
  });
  // Failed credential look-ups per address, in the rate limiter's store (Redis when configured).
  const authFailures = app.createRateLimit({
    max: config.authFailures.max,
    timeWindow: config.authFailures.windowMs,
    keyGenerator: (req) => `authfail:${clientAddressKey(req.ip)}`,
  });
  const guard: AuthFailureGuard = {
    async blocked(req) {
      const r = await authFailures(req, { increment: false });
      return !r.isAllowed && r.remaining === 0 ? Math.max(1, r.ttlInSeconds) : null;
    },
    async failed(req) {
      await authFailures(req);
    },
  };
  // After the WebSocket plugin: its hook marks an upgrade before authentication can refuse it, so a refused upgrade's socket is closed.
  installAuth(app, auth, guard);
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
    codesPerPhone: config.otpRequestsPerPhone,
  });

  await app.register(ledgerRoutes, { ledger: ledgerModule.service });
  await app.register(paymentsRoutes, { payments, limits: paymentsModule.limits });
  await app.register(reconciliationRoutes, { reconciliation: reconciliationModule.service, ...reconciliationModule.limits });
  if (paymentsModule.stripe) {
    await app.register(stripeRoutes, { stripe: paymentsModule.stripe, maxAmountFen: config.paymentMaxFen });
    await app.register(stripeWebhookRoutes, { stripe: paymentsModule.stripe });
  }
  await app.register(exchangeRoutes, { exchange: exchange.service });
  await app.register(contractsRoutes, { contracts: contracts.service });
  await app.register(trustRoutes, { trust: trust.service });
  await app.register(realtimeRoutes, { stream: realtime.stream, tickets: realtime.tickets });
  await app.register(marketdataRoutes, { marketdata: marketdata.service, push: marketdata.push });
  await app.register(statsRoutes, { stats: stats.service });
  await app.register(publicDataPagesRoutes);
  await app.register(tradeRoutes);
  await app.register(contractPagesRoutes);
  await app.register(agenciesPagesRoutes);
  await app.register(consoleRoutes, { console: createConsoleModule({ sql: db.sql, clock, shard: config.ledger.shard, arrears: (oldest) => trust.service.arrearsNow(oldest) }).service });
  await app.register(consolePagesRoutes);
  await app.register(webRoutes);

  // Contracts filled while the process was down are started, effects a crash left pending run, due timers fire.
  await contracts.start({ loops: deps.contractLoops ?? true });
  trust.start({ loops: deps.contractLoops ?? true });
  // The start-up verification, beyond the chain the sequencer verified on opening: every closed contract's escrow stands
  // at zero. A contract that does not is reported, not a reason to stop serving everyone else (GET /v1/ledger/verify fails).
  try {
    for (const problem of await contracts.service.closedEscrowProblems()) app.log.error({ problem }, `ledger verification at start-up: ${problem}`);
  } catch (err) {
    app.log.error({ err }, "ledger verification at start-up: closed contracts' escrow could not be checked");
  }

  await marketdata.start();

  return { app: app as unknown as FastifyInstance, services: { ...partiesModule, payments, idempotency, reconciliation: reconciliationModule.service, stripe: paymentsModule.stripe }, ledger, sequencer, exchange, contracts, trust, bus, realtime, metrics, marketdata, stats, publicRoutes };
}
export type BuiltApp = Awaited<ReturnType<typeof buildApp>>;
