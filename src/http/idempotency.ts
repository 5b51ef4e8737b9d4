/**
 * Idempotency-Key for creating POSTs, and recovery of requests that were cut
 * off. A key is scoped to the caller and bound to a hash of the request: the
 * same key and body replay the stored response; the same key with another
 * body is a 409. A claim row is written before the handler runs, so two
 * concurrent retries cannot both execute.
 *
 * Claims (src/infra/claims.ts) name the process that holds them and carry a
 * fencing token. A request's end decides what is kept:
 * - 2xx: the response is stored and replayed to retries (a response that
 *   holds a secret is not stored: its replay is a 409 secret_shown_once);
 * - 4xx: the request was refused and stored nothing: the claim is forgotten;
 * - 5xx, or the process died: the outcome may be partial (an unknown ledger
 *   outcome, a failure between two writes). The claim is kept, owned by
 *   nobody, and the next retry takes it over at once, as does a retry whose
 *   claim belongs to a process that no longer runs, or one older than the
 *   takeover time (a request that hangs).
 *
 * Routes that move money are `recoverable`: they always run under a claim
 * (one the server draws when the caller sent no key), and their module
 * records the operation it starts on the claim together with its first write
 * (holdClaim). A takeover then does not run the handler a second time: it
 * asks the module to complete that operation from what was stored, and
 * answers with that. The sweeper does the same for claims nobody retries.
 *
 * A module that moves money (payments now; orders and contracts later):
 * 1. marks its creating routes `recoverable: true` and hands claimOf(req) to
 *    its service;
 * 2. writes its rows in a passing state through underClaim(sql, claim,
 *    { operation, target }, …) (src/infra/claims.ts), then the ledger, with
 *    transfer ids derived from those rows, then the rows' final state
 *    (underClaim again, without start);
 * 3. exports a Recover per operation that drives a target from its passing
 *    state to its end (or undoes it when the ledger refuses), and app.ts
 *    registers each here.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ClaimRecord, ClaimsRepository, TakenClaim } from "../infra/claims";
import type { ProcessInstance } from "../infra/instance";
import type { Claim, Recover, Recovered } from "../shared/claim";
import type { Clock } from "../shared/clock";
import { DomainError } from "../shared/errors";
import { sha256Hex } from "../shared/sha256";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The handler moves money: it always runs under a claim and records its operation for recovery. */
    recoverable?: boolean;
    /** The 2xx response holds a secret (a new API key): it is never stored, and a replay answers 409 secret_shown_once. */
    secret?: boolean;
  }
  interface FastifyRequest {
    idempotency: Claim | null;
  }
}

/** JSON with object keys sorted, so the same body hashes the same whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function requestHash(method: string, url: string, body: unknown): string {
  return sha256Hex(`${method} ${url}\n${canonical(body ?? null)}`);
}

/** The claim a recoverable route's handler runs under. */
export function claimOf(request: FastifyRequest): Claim {
  if (!request.idempotency) throw new Error(`${request.method} ${request.routeOptions.url} runs without a claim: mark the route recoverable`);
  return request.idempotency;
}

export interface IdempotencyLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface IdempotencyDeps {
  claims: ClaimsRepository;
  instance: ProcessInstance;
  clock: Clock;
  /** A claim older than this is taken over even if its process runs (a hung request). */
  takeoverMs: number;
  /** Stored responses are purged this long after they were stored. */
  retentionMs: number;
  log: IdempotencyLog;
}

/** What one sweep did. */
export interface SweepReport {
  /** operations completed and their response stored. */
  completed: number;
  /** claims whose request stored nothing (or was refused), forgotten. */
  forgotten: number;
  /** claims kept for a later sweep or retry (the ledger was unavailable, say). */
  kept: number;
}

function inProgress(): DomainError {
  return new DomainError("idempotency_in_progress", "a request with this Idempotency-Key is being processed; retry shortly", {
    field: "/headers/idempotency-key",
  });
}

const SWEEP_PAGE = 200;

export function createIdempotency(deps: IdempotencyDeps) {
  const { claims, instance, clock, log } = deps;
  const operations = new Map<string, Recover>();
  /** Claims held by requests (or the sweeper) of this process right now. */
  const running = new Set<string>();
  const runKey = (c: { caller: string; key: string }) => `${c.caller}\u0000${c.key}`;

  /** Nobody works on the claim: released, its process is gone, or it is older than the takeover time. */
  async function abandoned(rec: ClaimRecord, now: Date, live?: Set<bigint>): Promise<boolean> {
    if (rec.owner === null) return true;
    if (now.getTime() - rec.claimedAt.getTime() >= deps.takeoverMs) return true;
    if (rec.owner === instance.id) return !running.has(runKey(rec));
    return live ? !live.has(rec.owner) : !(await instance.isAlive(rec.owner));
  }

  /** Completes the operation a taken-over claim's earlier holder started; null when it started none or nothing stands. */
  async function recover(taken: TakenClaim): Promise<Recovered | null> {
    if (taken.operation === null) return null;
    const fn = operations.get(taken.operation);
    if (!fn) throw new DomainError("not_ready", `this server cannot complete the operation ${taken.operation}; retry later`);
    return fn(taken.target ?? "", { caller: taken.caller, key: taken.key, token: taken.token });
  }

  /** Records how a request under `claim` ended (see the header comment). */
  async function settle(claim: Claim, statusCode: number, body: unknown, secret: boolean): Promise<void> {
    if (statusCode >= 200 && statusCode < 300) {
      if (!(await claims.complete(claim, statusCode, body, secret, clock.now()))) {
        log.warn({ caller: claim.caller, key: claim.key }, "idempotency: the claim was taken over; this response is not stored");
      }
    } else if (statusCode < 500) {
      await claims.forget(claim);
    } else {
      await claims.release(claim);
    }
  }

  function install(app: FastifyInstance): void {
    app.decorateRequest("idempotency", null);

    app.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
      const config = request.routeOptions.config;
      if (request.method !== "POST" || config?.idempotent === false) return;
      const header = request.headers["idempotency-key"];
      const given = Array.isArray(header) ? header[0] : header;
      if (header !== undefined && (!given || given.length > 255)) {
        throw new DomainError("validation_failed", "Idempotency-Key must be 1 to 255 characters", { field: "/headers/idempotency-key" });
      }
      if (!request.principal) return; // public POSTs (login) are not creating writes
      if (given === undefined && config?.recoverable !== true) return;
      // Without a key, money still moves under a claim, so the sweeper can complete a request cut off mid-way.
      const key = given ?? `~auto:${randomBytes(12).toString("base64url")}`;
      const caller = request.principal.callerId;
      const hash = requestHash(request.method, request.url, request.body);
      const now = clock.now();

      const fresh = await claims.claim({ caller, key, method: request.method, path: request.url, requestHash: hash, owner: instance.id, now });
      if (fresh) {
        running.add(runKey(fresh));
        request.idempotency = fresh;
        return;
      }
      const stored = await claims.find(caller, key);
      if (!stored) throw inProgress(); // forgotten between our insert and read: the caller retries
      if (stored.requestHash !== hash) {
        throw new DomainError("idempotency_key_reused", "this Idempotency-Key was used with a different request", {
          field: "/headers/idempotency-key",
        });
      }
      if (stored.statusCode !== 0) {
        if (stored.secret) {
          throw new DomainError("secret_shown_once", "this request's response held a secret, shown once and not stored; make a new request to get a new one", {
            field: "/headers/idempotency-key",
          });
        }
        void reply.header("idempotent-replayed", "true");
        return reply.status(stored.statusCode).send(stored.responseBody);
      }
      if (!(await abandoned(stored, now))) throw inProgress();
      const taken = await claims.takeOver(caller, key, stored.token, instance.id, now);
      if (!taken) throw inProgress();
      const claim: Claim = { caller, key, token: taken.token };
      running.add(runKey(claim));
      request.idempotency = claim;
      const recovered = await recover(taken);
      if (recovered) {
        void reply.header("idempotent-replayed", "true");
        return reply.status(recovered.statusCode).send(recovered.body);
      }
      // Nothing of an earlier attempt stands: the handler runs under the new token.
    });

    app.addHook("onSend", async (request, reply, payload) => {
      const claim = request.idempotency;
      if (!claim) return payload;
      request.idempotency = null;
      const secret = request.routeOptions.config?.secret === true;
      try {
        const body = !secret && typeof payload === "string" && payload !== "" ? JSON.parse(payload) : null;
        await settle(claim, reply.statusCode, body, secret);
      } catch (err) {
        // The claim stays as it was: the next retry or the sweeper completes the request from what was stored.
        request.log.error({ err }, "idempotency: could not record the end of the request");
      } finally {
        running.delete(runKey(claim));
      }
      return payload;
    });
  }

  /**
   * Completes requests that nobody retries: takes over every abandoned claim,
   * completes the operation it started and stores the response, forgets
   * claims whose request stored nothing, keeps the rest for the next sweep.
   */
  async function sweep(): Promise<SweepReport> {
    const report: SweepReport = { completed: 0, forgotten: 0, kept: 0 };
    const now = clock.now();
    const live = await instance.live();
    const candidates = await claims.abandoned([...live], new Date(now.getTime() - deps.takeoverMs), SWEEP_PAGE);
    for (const rec of candidates) {
      if (!(await abandoned(rec, now, live))) continue;
      const taken = await claims.takeOver(rec.caller, rec.key, rec.token, instance.id, now);
      if (!taken) continue;
      const claim: Claim = { caller: rec.caller, key: rec.key, token: taken.token };
      running.add(runKey(claim));
      try {
        const recovered = await recover(taken);
        if (recovered === null) {
          await claims.forget(claim);
          report.forgotten++;
        } else {
          await settle(claim, recovered.statusCode, recovered.body, false);
          if (recovered.statusCode < 300) report.completed++;
          else if (recovered.statusCode < 500) report.forgotten++;
          else report.kept++;
        }
      } catch (err) {
        const status = err instanceof DomainError ? err.status : 500;
        await settle(claim, status, null, false).catch(() => undefined);
        if (status < 500) report.forgotten++;
        else {
          report.kept++;
          log.warn({ err, operation: taken.operation, target: taken.target }, "idempotency sweep: could not complete an operation; kept for the next sweep");
        }
      } finally {
        running.delete(runKey(claim));
      }
    }
    if (report.completed + report.forgotten + report.kept > 0) log.info({ ...report }, "idempotency sweep");
    return report;
  }

  /** Deletes stored responses older than the retention; returns how many. */
  async function purge(): Promise<number> {
    let total = 0;
    const before = new Date(clock.now().getTime() - deps.retentionMs);
    for (;;) {
      const n = await claims.purge(before);
      total += n;
      if (n < 10_000) return total;
    }
  }

  return {
    install,
    /** Registers the recovery of an operation that a module records on claims. */
    register(operation: string, fn: Recover): void {
      if (operations.has(operation)) throw new Error(`operation ${operation} is registered twice`);
      operations.set(operation, fn);
    },
    sweep,
    purge,
    /** Runs sweep (unless sweepMs is 0) and purge on timers; returns the function that stops them. */
    schedule(every: { sweepMs: number; purgeMs: number }): () => void {
      let sweeping = false;
      let purging = false;
      const sweepTimer = every.sweepMs > 0
        ? setInterval(() => {
            if (sweeping) return;
            sweeping = true;
            sweep()
              .catch((err: unknown) => log.error({ err }, "idempotency sweep failed"))
              .finally(() => (sweeping = false));
          }, every.sweepMs)
        : undefined;
      const purgeTimer = setInterval(() => {
        if (purging) return;
        purging = true;
        purge()
          .then((n) => n > 0 && log.info({ purged: n }, "idempotency records purged"))
          .catch((err: unknown) => log.error({ err }, "idempotency purge failed"))
          .finally(() => (purging = false));
      }, every.purgeMs);
      sweepTimer?.unref();
      purgeTimer.unref();
      return () => {
        if (sweepTimer) clearInterval(sweepTimer);
        clearInterval(purgeTimer);
      };
    },
  };
}
export type Idempotency = ReturnType<typeof createIdempotency>;
