/**
 * Idempotency-Key for creating POSTs. A key is scoped to the caller and bound
 * to a hash of the request: the same key and body replay the stored response;
 * the same key with another body is a 409. A placeholder row claims the key
 * before the handler runs, so two concurrent retries cannot both execute.
 * Only successful (2xx) responses are kept: a failed request wrote nothing,
 * so retrying it is safe.
 */
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { SqlClient } from "../infra/db";
import { DomainError } from "../shared/errors";

// A claim older than this belongs to a request that died mid-flight (crash): it may be taken over.
const ABANDONED_CLAIM_MS = 60_000;

export interface StoredResponse {
  requestHash: string;
  statusCode: number;
  responseBody: unknown;
  createdAt: Date;
}

/** Repository of idempotency records. */
export function createIdempotencyRepository(sql: SqlClient) {
  return {
    /** Claims (caller, key) for a new request; returns false if a record exists. */
    async claim(caller: string, key: string, method: string, path: string, requestHash: string): Promise<boolean> {
      const r = await sql.query(
        `INSERT INTO idempotency_records (caller, key, method, path, request_hash, status_code, response_body)
         VALUES ($1, $2, $3, $4, $5, 0, 'null'::jsonb)
         ON CONFLICT (caller, key) DO NOTHING`,
        [caller, key, method, path, requestHash],
      );
      return r.rowCount === 1;
    },
    async find(caller: string, key: string): Promise<StoredResponse | null> {
      const r = await sql.query<{ request_hash: string; status_code: number; response_body: unknown; created_at: Date }>(
        `SELECT request_hash, status_code, response_body, created_at FROM idempotency_records WHERE caller = $1 AND key = $2`,
        [caller, key],
      );
      const row = r.rows[0];
      return row
        ? { requestHash: row.request_hash, statusCode: row.status_code, responseBody: row.response_body, createdAt: new Date(row.created_at) }
        : null;
    },
    /** Takes over an abandoned claim; false if someone else did first. */
    async takeOver(caller: string, key: string, requestHash: string, olderThan: Date): Promise<boolean> {
      const r = await sql.query(
        `UPDATE idempotency_records SET request_hash = $3, created_at = now()
         WHERE caller = $1 AND key = $2 AND status_code = 0 AND created_at < $4`,
        [caller, key, requestHash, olderThan],
      );
      return r.rowCount === 1;
    },
    async complete(caller: string, key: string, statusCode: number, body: unknown): Promise<void> {
      await sql.query(
        `UPDATE idempotency_records SET status_code = $3, response_body = $4::jsonb WHERE caller = $1 AND key = $2 AND status_code = 0`,
        [caller, key, statusCode, JSON.stringify(body)],
      );
    },
    async release(caller: string, key: string): Promise<void> {
      await sql.query(`DELETE FROM idempotency_records WHERE caller = $1 AND key = $2 AND status_code = 0`, [caller, key]);
    },
  };
}
export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;

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
  return createHash("sha256").update(`${method} ${url}\n${canonical(body ?? null)}`).digest("hex");
}

declare module "fastify" {
  interface FastifyRequest {
    idempotency: { caller: string; key: string } | null;
  }
}

export function installIdempotency(app: FastifyInstance, repo: IdempotencyRepository, now: () => Date): void {
  app.decorateRequest("idempotency", null);

  app.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== "POST" || request.routeOptions.config?.idempotent === false) return;
    const header = request.headers["idempotency-key"];
    if (header === undefined) return;
    const key = Array.isArray(header) ? header[0] : header;
    if (!key || key.length > 255) {
      throw new DomainError("validation_failed", "Idempotency-Key must be 1 to 255 characters", { field: "/headers/idempotency-key" });
    }
    if (!request.principal) return; // public POSTs (login) are not creating writes
    const caller = request.principal.callerId;
    const hash = requestHash(request.method, request.url, request.body);
    if (await repo.claim(caller, key, request.method, request.url, hash)) {
      request.idempotency = { caller, key };
      return;
    }
    const stored = await repo.find(caller, key);
    if (!stored) {
      // Released between our claim and read (the other request failed): claim again.
      if (await repo.claim(caller, key, request.method, request.url, hash)) {
        request.idempotency = { caller, key };
        return;
      }
      throw new DomainError("idempotency_in_progress", "a request with this Idempotency-Key is being processed; retry shortly", {
        field: "/headers/idempotency-key",
      });
    }
    if (stored.requestHash !== hash) {
      throw new DomainError("idempotency_key_reused", "this Idempotency-Key was used with a different request", {
        field: "/headers/idempotency-key",
      });
    }
    if (stored.statusCode === 0) {
      const abandonedBefore = new Date(now().getTime() - ABANDONED_CLAIM_MS);
      if (stored.createdAt < abandonedBefore && (await repo.takeOver(caller, key, hash, abandonedBefore))) {
        request.idempotency = { caller, key };
        return;
      }
      throw new DomainError("idempotency_in_progress", "a request with this Idempotency-Key is being processed; retry shortly", {
        field: "/headers/idempotency-key",
      });
    }
    void reply.header("idempotent-replayed", "true");
    return reply.status(stored.statusCode).send(stored.responseBody);
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const idem = request.idempotency;
    if (!idem) return payload;
    request.idempotency = null;
    if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === "string") {
      await repo.complete(idem.caller, idem.key, reply.statusCode, JSON.parse(payload));
    } else {
      await repo.release(idem.caller, idem.key);
    }
    return payload;
  });

  app.addHook("onRequestAbort", async (request) => {
    const idem = request.idempotency;
    if (idem) await repo.release(idem.caller, idem.key);
  });
}
