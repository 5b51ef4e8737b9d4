/** Pages served to browsers: the worker's login and home, their script and style sheet, and the vendored chart library. */
import type { FastifyPluginAsync } from "fastify";
import { readFileSync } from "node:fs";
import { asset, page } from "./respond";
import { vendorRoutes } from "./vendor";
import { loginHtml, workerCss, workerHtml, workerJs } from "./worker.assets";

const kitJs = readFileSync(new URL("./assets/kit.js", import.meta.url), "utf8");

export const webRoutes: FastifyPluginAsync = async (app) => {
  const hidden = { hide: true } as const;
  app.get("/login", { config: { access: "public" }, schema: hidden }, async (_req, reply) => page(reply, loginHtml));
  app.get("/worker", { config: { access: "public" }, schema: hidden }, async (_req, reply) => page(reply, workerHtml));
  app.get("/assets/worker.js", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/javascript; charset=utf-8", workerJs));
  // The helpers the organisation pages share (agencies, contracts, console, trade), written once.
  app.get("/assets/kit.js", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/javascript; charset=utf-8", kitJs));
  app.get("/assets/worker.css", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/css; charset=utf-8", workerCss));
  app.get("/", { config: { access: "public" }, schema: hidden }, async (_req, reply) => reply.redirect("/docs"));
  await app.register(vendorRoutes);
};
