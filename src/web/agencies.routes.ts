/** The public disclosure pages and their script and style sheet; everything served by Shiftex itself, no login. */
import type { FastifyPluginAsync } from "fastify";
import { asset, page } from "./respond";
import { agenciesCss, agenciesHtml, agenciesJs } from "./agencies.pages";

export const agenciesPagesRoutes: FastifyPluginAsync = async (app) => {
  const hidden = { hide: true } as const;
  const config = { access: "public" as const };
  app.get("/agencies", { config, schema: hidden }, async (_req, reply) => page(reply, agenciesHtml.directory));
  // The id is read by the script from the path; the page itself is the same for every agency.
  app.get("/agencies/:id", { config, schema: hidden }, async (_req, reply) => page(reply, agenciesHtml.agency));
  app.get("/trust/settings", { config, schema: hidden }, async (_req, reply) => page(reply, agenciesHtml.settings));
  app.get("/assets/agencies.js", { config, schema: hidden }, async (_req, reply) => asset(reply, "text/javascript; charset=utf-8", agenciesJs));
  app.get("/assets/agencies.css", { config, schema: hidden }, async (_req, reply) => asset(reply, "text/css; charset=utf-8", agenciesCss));
};
