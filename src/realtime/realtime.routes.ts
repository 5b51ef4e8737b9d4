/** HTTP side of the stream: tickets for browser pages, and the WebSocket upgrade at GET /v1/stream. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { principalOf } from "../http/auth";
import { responses } from "../http/schemas";
import { DomainError } from "../shared/errors";
import { ROLES } from "../shared/principal";
import * as S from "./realtime.schemas";
import type { StreamService, StreamSocket } from "./stream.service";
import type { TicketService } from "./tickets.service";

export interface RealtimeRoutesOptions {
  stream: StreamService;
  tickets: TicketService;
}

/** Browsers send the worker's cookie to any site's WebSocket: a cookie is honoured only from Shiftex's own pages. */
function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export const realtimeRoutes: FastifyPluginAsyncTypebox<RealtimeRoutesOptions> = async (app, { stream, tickets }) => {
  const tags = ["stream"];
  // The stream is declared public only so a ticket can stand in for a credential; /docs should still show the lock.
  app.addHook("onRoute", (route) => {
    if (route.url === "/v1/stream" && route.schema) route.schema = { ...route.schema, security: [{ apiKey: [] }, { session: [] }] };
  });

  app.post("/v1/stream/tickets", {
    // A ticket is single-use: replaying the answer of a retried POST would hand out a used ticket.
    config: { access: ROLES, idempotent: false },
    schema: {
      tags, summary: "A single-use ticket that opens one WebSocket stream within a minute (for browser pages, which cannot send headers on a WebSocket)",
      response: responses({ 201: S.StreamTicket }),
    },
  }, async (req, reply) => reply.status(201).send(await tickets.issue(principalOf(req))));

  app.route({
    method: "GET",
    url: "/v1/stream",
    // The credential is checked below, where a ticket can stand in for it.
    config: { access: "public" },
    schema: { tags, summary: "Live books, trades and private reports (WebSocket)", description: S.STREAM_DESCRIPTION, querystring: S.StreamQuery },
    preHandler: async (req) => {
      if (!req.ws) return;
      const ticket = req.query.ticket;
      if (ticket !== undefined) {
        const principal = await tickets.redeem(ticket);
        if (!principal) throw new DomainError("unauthenticated", "the stream ticket is unknown, used or expired; ask for a new one", { field: "/querystring/ticket" });
        req.principal = principal;
        return;
      }
      if (!req.principal) {
        throw new DomainError("unauthenticated", "the stream needs an API key (Authorization: Bearer …), a worker session, or a ticket from POST /v1/stream/tickets", { field: "/headers/authorization" });
      }
      if (req.headers.authorization === undefined && !sameOrigin(req)) {
        throw new DomainError("forbidden", "a session cookie opens the stream only from Shiftex's own pages", { field: "/headers/origin" });
      }
    },
    handler: async () => {
      throw new DomainError("bad_request", "GET /v1/stream is a WebSocket: connect with an Upgrade: websocket request");
    },
    wsHandler: (socket, req) => {
      const conn = stream.connect(socket as StreamSocket, principalOf(req));
      socket.on("message", (data: Buffer, isBinary: boolean) => (isBinary ? conn.receiveBinary() : conn.receive(data.toString("utf8"))));
      socket.on("pong", () => conn.pong());
      socket.on("close", () => conn.closed());
    },
  });
};
