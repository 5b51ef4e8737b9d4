/** How every page and asset is served: no-store pages under a strict content security policy; assets revalidated. */
import type { FastifyReply } from "fastify";

/** The pages' content security policy. */
// Everything comes from Shiftex itself: no inline script, no third-party origin ('self' also covers the same-origin WebSocket).
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

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

/**
 * A file whose URL changes whenever its bytes do (a version in the path):
 * cached by browsers and proxies for a year without revalidation. `gzip`,
 * when given, is sent instead of `body` (the caller checked Accept-Encoding).
 */
export function immutableAsset(reply: FastifyReply, type: string, body: Buffer, gzip?: Buffer) {
  reply.type(type).header("cache-control", "public, max-age=31536000, immutable").header("x-content-type-options", "nosniff").header("vary", "accept-encoding");
  if (gzip !== undefined) reply.header("content-encoding", "gzip");
  return reply.send(gzip ?? body);
}
