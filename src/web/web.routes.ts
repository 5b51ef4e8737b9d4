/** Pages served to browsers: the worker's login and home, and their script and style sheet. */
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { loginHtml, workerCss, workerHtml, workerJs } from "./worker.assets";

// Everything comes from Shiftex itself: no inline script, no third-party origin.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function page(reply: FastifyReply, html: string) {
  return reply
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .header("content-security-policy", CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .send(html);
}

function asset(reply: FastifyReply, type: string, body: string) {
  return reply.type(type).header("cache-control", "no-cache").header("x-content-type-options", "nosniff").send(body);
}

export const webRoutes: FastifyPluginAsync = async (app) => {
  const hidden = { hide: true } as const;
  app.get("/login", { config: { access: "public" }, schema: hidden }, async (_req, reply) => page(reply, loginHtml));
  app.get("/worker", { config: { access: "public" }, schema: hidden }, async (_req, reply) => page(reply, workerHtml));
  app.get("/assets/worker.js", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/javascript; charset=utf-8", workerJs));
  app.get("/assets/worker.css", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/css; charset=utf-8", workerCss));
  app.get("/", { config: { access: "public" }, schema: hidden }, async (_req, reply) => reply.redirect("/docs"));
};
