/**
 * Authentication and route access. Every request's credential (Bearer API
 * key or worker session cookie) is resolved once; each route declares who may
 * call it in `config.access` ("public" or a list of roles). A route that
 * declares nothing is closed: forgetting the declaration fails safe.
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
  apiKey(token: string): Promise<Principal | null>;
  session(token: string): Promise<Principal | null>;
}

/** The caller, or a 401 when the route is reached without one (for use in handlers of role-restricted routes). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError("unauthenticated", "this route needs an API key or a worker session");
  return request.principal;
}

export function installAuth(app: FastifyInstance, auth: Authenticator): void {
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request) => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) {
        throw new DomainError("unauthenticated", "the Authorization header must read 'Bearer <api key>'", { field: "/headers/authorization" });
      }
      const principal = await auth.apiKey(match[1]!);
      if (!principal) throw new DomainError("unauthenticated", "the API key is not valid", { field: "/headers/authorization" });
      request.principal = principal;
    } else {
      const token = request.cookies?.[SESSION_COOKIE];
      if (token) request.principal = await auth.session(token);
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
