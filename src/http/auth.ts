/**
 * Authentication and route access. Every request's credential (Bearer API
 * key or worker session cookie) is resolved once; each route declares who may
 * call it in `config.access` ("public" or a list of roles). A route that
 * declares nothing is closed: forgetting the declaration fails safe.
 *
 * Unknown keys and sessions cost a database look-up each, and are answered
 * before any rate limit runs; so failed look-ups are counted per client
 * address, and an address past the limit gets 429 without a look-up.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { DomainError } from "../shared/errors";
import type { Principal, Role } from "../shared/principal";

export const SESSION_COOKIE = "shiftex_session";

export type Access = "public" | readonly Role[];

declare module "fastify" {
  interface FastifyContextConfig {
    access?: Access;
    /** Opt a creating POST out of Idempotency-Key handling (login and other non-creating POSTs). */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Resolves credentials; implemented by the parties module. */
export interface Authenticator {
  /** A key resolved recently, answered from memory (no look-up, so no failure budget spent). */
  cachedApiKey?(token: string): Principal | undefined;
  apiKey(token: string): Promise<Principal | null>;
  session(token: string): Promise<Principal | null>;
}

/** Counts failed credential look-ups per client address (in Redis when the app has it, else in memory). */
export interface AuthFailureGuard {
  /** Seconds until the address may try again, or null when it is not blocked. Does not count. */
  blocked(request: FastifyRequest): Promise<number | null>;
  /** Counts one failed look-up. */
  failed(request: FastifyRequest): Promise<void>;
}

/** The caller, or a 401 when the route is reached without one (for use in handlers of role-restricted routes). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError("unauthenticated", "this route needs an API key or a worker session");
  return request.principal;
}

export function installAuth(app: FastifyInstance, auth: Authenticator, guard?: AuthFailureGuard): void {
  app.decorateRequest("principal", null);

  async function refuseIfBlocked(request: FastifyRequest): Promise<void> {
    const seconds = guard ? await guard.blocked(request) : null;
    if (seconds !== null) {
      const err = new DomainError("rate_limited", `too many requests with unknown credentials from this address; retry in ${seconds} seconds`);
      throw Object.assign(err, { retryAfter: seconds });
    }
  }

  app.addHook("onRequest", async (request, reply) => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) {
        throw new DomainError("unauthenticated", "the Authorization header must read 'Bearer <api key>'", { field: "/headers/authorization" });
      }
      const token = match[1]!;
      let principal = auth.cachedApiKey?.(token) ?? null;
      if (!principal) {
        await refuseIfBlocked(request);
        principal = await auth.apiKey(token);
        if (!principal) {
          await guard?.failed(request);
          throw new DomainError("unauthenticated", "the API key is not valid", { field: "/headers/authorization" });
        }
      }
      request.principal = principal;
    } else {
      const token = request.cookies?.[SESSION_COOKIE];
      if (token) {
        await refuseIfBlocked(request);
        request.principal = await auth.session(token);
        if (!request.principal) {
          await guard?.failed(request);
          // A stale cookie would otherwise spend the address's budget on every page load.
          void reply.clearCookie(SESSION_COOKIE, { path: "/" });
        }
      }
    }
    const access = request.routeOptions.config?.access;
    if (access === "public") return;
    if (request.routeOptions.url === undefined) return; // 404s are answered by the not-found handler
    if (!request.principal) {
      throw new DomainError("unauthenticated", "this route needs an API key (Authorization: Bearer …) or a worker session", {
        field: "/headers/authorization",
      });
    }
    if (!access || !access.includes(request.principal.role)) {
      throw new DomainError("forbidden", `the ${request.principal.role} role may not call ${request.method} ${request.routeOptions.url}`);
    }
  });
}
