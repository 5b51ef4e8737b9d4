/** The trading pages and their script and style sheet; everything served by Shiftex itself. */
import type { FastifyPluginAsync } from "fastify";
import { asset, page } from "./respond";
import { tradeCss, tradeHtml, tradeJs, type TradePage } from "./trade.pages";

const ROUTES: [string, TradePage][] = [
  ["/trade/login", "login"],
  ["/trade", "market"],
  ["/trade/orders", "orders"],
  ["/trade/contracts", "contracts"],
  ["/trade/wallet", "wallet"],
];

export const tradeRoutes: FastifyPluginAsync = async (app) => {
  const hidden = { hide: true } as const;
  for (const [url, name] of ROUTES) {
    const html = tradeHtml[name];
    app.get(url, { config: { access: "public" }, schema: hidden }, async (_req, reply) => page(reply, html));
  }
  app.get("/assets/trade.js", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/javascript; charset=utf-8", tradeJs));
  app.get("/assets/trade.css", { config: { access: "public" }, schema: hidden }, async (_req, reply) => asset(reply, "text/css; charset=utf-8", tradeCss));
};
