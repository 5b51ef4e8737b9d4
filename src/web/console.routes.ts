/** The operator console's pages, script and style sheet; everything served by Shiftex itself. */
import type { FastifyPluginAsync } from "fastify";
import { asset, page } from "./respond";
import { consoleCss, consoleHtml, consoleJs, type ConsolePage } from "./console.pages";

const ROUTES: [string, ConsolePage][] = [
  ["/console/login", "login"],
  ["/console", "reconciliation"],
  ["/console/disputes", "disputes"],
  ["/console/ledger", "ledger"],
  ["/console/payments", "payments"],
  ["/console/charts", "charts"],
];

export const consolePagesRoutes: FastifyPluginAsync = async (app) => {
  const hidden = { hide: true } as const;
  for (const [url, name] of ROUTES) {
    const html = consoleHtml[name];
    app.get(url, { config: { access: "public" }, schema: hidden }, async (_req, reply) => page(reply, html));
  }
  app.get("/assets/console.js", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/javascript; charset=utf-8", consoleJs));
  app.get("/assets/console.css", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/css; charset=utf-8", consoleCss));
};
