/** The trading pages and their script and style sheet; everything served by Shiftex itself. */
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { tradeCss, tradeHtml, tradeJs, type TradePage } from "./trade.pages";

// No inline script, no third-party origin; the stream is a same-origin WebSocket ('self' covers ws: and wss:).
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
  app.get("/assets/trade.js", { config: { access: "public" }, schema: hidden }, async (_req, reply) =>
    reply.type("text/javascript; charset=utf-8").header("cache-control", "no-cache").header("x-content-type-options", "nosniff").send(tradeJs),
  );
  app.get("/assets/trade.css", { config: { access: "public" }, schema: hidden }, async (_req, reply) =>
    reply.type("text/css; charset=utf-8").header("cache-control", "no-cache").header("x-content-type-options", "nosniff").send(tradeCss),
  );
};
