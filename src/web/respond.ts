/** How every page and asset is served: no-store pages under a strict content security policy; assets revalidated. */
import type { FastifyReply } from "fastify";

// Everything comes from Shiftex itself: no inline script, no third-party origin ('self' also covers the same-origin WebSocket).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function page(reply: FastifyReply, html: string) {
  return reply
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .header("content-security-policy", CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .send(html);
}

export function asset(reply: FastifyReply, type: string, body: string) {
  return reply.type(type).header("cache-control", "no-cache").header("x-content-type-options", "nosniff").send(body);
}
