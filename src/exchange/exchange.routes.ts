/** HTTP routes of the exchange: markets, books and trades (any caller), orders (owners), contracts (the parties). */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { principalOf } from "../http/auth";
import { IdempotencyHeaders, responses } from "../http/schemas";
import type { ExchangeService } from "./exchange.service";
import * as S from "./exchange.schemas";

export interface ExchangeRoutesOptions {
  exchange: ExchangeService;
}

const EVERYONE = ["enterprise", "agency", "worker", "operator", "regulator"] as const;
const ORGS = ["enterprise", "agency"] as const;
const READERS = ["enterprise", "agency", "operator", "regulator"] as const;

export const exchangeRoutes: FastifyPluginAsyncTypebox<ExchangeRoutesOptions> = async (app, { exchange }) => {
  const tags = ["exchange"];

  app.get("/v1/markets", {
    config: { access: EVERYONE },
    schema: { tags, summary: "Markets (skill × district × day × shift slot) within the trading horizon, with their best rates", querystring: S.MarketQuery, response: responses({ 200: S.MarketPage }) },
  }, async (req) => exchange.listMarkets(req.query));

  app.get("/v1/markets/:market", {
    config: { access: EVERYONE },
    schema: { tags, summary: "One market", params: S.MarketParams, response: responses({ 200: S.Market }) },
  }, async (req) => exchange.getMarket(req.params.market));

  app.get("/v1/markets/:market/book", {
    config: { access: EVERYONE },
    schema: { tags, summary: "A market's book: depth by level, aggregated headcount, no owners (committed state)", params: S.MarketParams, response: responses({ 200: S.Book }) },
  }, async (req) => exchange.book(req.params.market));

  app.get("/v1/markets/:market/trades", {
    config: { access: EVERYONE },
    schema: { tags, summary: "A market's trades, newest first", params: S.MarketParams, querystring: S.PageOnlyQuery, response: responses({ 200: S.TradePage }) },
  }, async (req) => exchange.trades(req.params.market, req.query));

  app.post("/v1/orders", {
    config: { access: ORGS },
    schema: {
      tags,
      summary: "Place a demand order (enterprise) or a supply offer (agency; lending enterprise: shared staffing at cost)",
      description:
        "A demand order is funded at once by a hold on the wallet of headcount × paid hours × rate × (1 + fee); an order the wallet cannot fund is refused naming the shortfall in yuan. " +
        "Answered after the order is durable. A retry with the same clientOrderId (or Idempotency-Key) returns the original order.",
      headers: IdempotencyHeaders,
      body: S.PlaceOrderBody,
      response: responses({ 201: S.Order, 200: S.Order }),
    },
  }, async (req, reply) => {
    const key = req.headers["idempotency-key"];
    const out = await exchange.placeOrder(principalOf(req), req.body, typeof key === "string" ? key : undefined);
    if (out.replayed) void reply.header("idempotent-replayed", "true");
    return reply.status(out.replayed ? 200 : 201).send(out.order);
  });

  app.get("/v1/orders", {
    config: { access: READERS },
    schema: { tags, summary: "Orders: the caller's own (operators and regulators: all), newest first", querystring: S.OrderListQuery, response: responses({ 200: S.OrderPage }) },
  }, async (req) => exchange.listOrders(principalOf(req), req.query));

  app.delete("/v1/orders", {
    config: { access: ["enterprise", "agency", "operator"] },
    schema: {
      tags,
      summary: "Cancel all of the caller's open orders (in a market, of a side); operators name the organisation (e.g. every offer of a supplier rated black)",
      querystring: S.CancelAllQuery,
      response: responses({ 200: S.CancelAllResult }),
    },
  }, async (req) => exchange.cancelAll(principalOf(req), req.query));

  app.get("/v1/orders/:id", {
    config: { access: READERS },
    schema: { tags, summary: "One order with its fills", params: S.OrderParams, response: responses({ 200: S.Order }) },
  }, async (req) => exchange.getOrder(principalOf(req), req.params.id));

  app.patch("/v1/orders/:id", {
    config: { access: ORGS },
    schema: { tags, summary: "Reduce an open order (keeps priority) or change its rate (re-queues, may trade)", params: S.OrderParams, body: S.AmendOrderBody, response: responses({ 200: S.Order }) },
  }, async (req) => exchange.amendOrder(principalOf(req), req.params.id, req.body));

  app.delete("/v1/orders/:id", {
    config: { access: ORGS },
    schema: { tags, summary: "Cancel an open order; its hold is released (409 if it is already done)", params: S.OrderParams, response: responses({ 200: S.Order }) },
  }, async (req) => exchange.cancelOrder(principalOf(req), req.params.id));

  app.get("/v1/contracts", {
    config: { access: READERS },
    schema: { tags: ["contracts"], summary: "Contracts the caller is a party to (operators and regulators: all), newest first", querystring: S.PageOnlyQuery, response: responses({ 200: S.ContractPage }) },
  }, async (req) => exchange.listContracts(principalOf(req), req.query));

  app.get("/v1/contracts/:id", {
    config: { access: READERS },
    schema: { tags: ["contracts"], summary: "One contract (its parties, operators, regulators)", params: S.OrderParams, response: responses({ 200: S.Contract }) },
  }, async (req) => exchange.getContract(principalOf(req), req.params.id));
};
