/** The organisations' contract pages and their script, style sheet and the QR library; everything served by Shiftex itself. */
import type { FastifyPluginAsync } from "fastify";
import { asset, page } from "./respond";
import { contractsCss, contractsHtml, contractsJs, qrcodeJs, type ContractsPage } from "./contracts.pages";

const ROUTES: [string, ContractsPage][] = [
  ["/site", "site"],
  ["/site/timesheets", "timesheets"],
  ["/staffing", "staffing"],
];

export const contractPagesRoutes: FastifyPluginAsync = async (app) => {
  const hidden = { hide: true } as const;
  for (const [url, name] of ROUTES) {
    const html = contractsHtml[name];
    app.get(url, { config: { access: "public" }, schema: hidden }, async (_req, reply) => page(reply, html));
  }
  app.get("/assets/contracts.js", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/javascript; charset=utf-8", contractsJs));
  app.get("/assets/contracts.css", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/css; charset=utf-8", contractsCss));
  app.get("/assets/qrcode.js", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/javascript; charset=utf-8", qrcodeJs));
};
