/** The public-data pages (/prices, /stats) and their script and style sheet; everything served by Shiftex itself. */
import type { FastifyPluginAsync } from "fastify";
import { publicDataCss, publicDataHtml, publicDataJs } from "./publicdata.pages";
import { asset, page } from "./respond";

export const publicDataPagesRoutes: FastifyPluginAsync = async (app) => {
  const hidden = { hide: true } as const;
  app.get("/prices", { config: { access: "public" }, schema: hidden }, async (_req, reply) => page(reply, publicDataHtml.prices));
  app.get("/stats", { config: { access: "public" }, schema: hidden }, async (_req, reply) => page(reply, publicDataHtml.stats));
  app.get("/assets/publicdata.js", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/javascript; charset=utf-8", publicDataJs));
  app.get("/assets/publicdata.css", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/css; charset=utf-8", publicDataCss));
};
