/** Pages served to browsers: the worker's login and home, their script and style sheet, and the vendored chart library. */
import type { FastifyPluginAsync } from "fastify";
import { asset, page } from "./respond";
import { vendorRoutes } from "./vendor";
import { loginHtml, workerCss, workerHtml, workerJs } from "./worker.assets";

export const webRoutes: FastifyPluginAsync = async (app) => {
  const hidden = { hide: true } as const;
  app.get("/login", { config: { access: "public" }, schema: hidden }, async (_req, reply) => page(reply, loginHtml));
  app.get("/worker", { config: { access: "public" }, schema: hidden }, async (_req, reply) => page(reply, workerHtml));
  app.get("/assets/worker.js", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/javascript; charset=utf-8", workerJs));
  app.get("/assets/worker.css", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/css; charset=utf-8", workerCss));
  app.get("/", { config: { access: "public" }, schema: hidden }, async (_req, reply) => reply.redirect("/docs"));
  await app.register(vendorRoutes);
};
