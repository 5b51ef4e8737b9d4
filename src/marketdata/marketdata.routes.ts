/** HTTP routes of market data: guidance prices (public, JSON or CSV) and a worker's open seat offers. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { principalOf } from "../http/auth";
import { wantsCsv } from "../http/negotiate";
import { responses } from "../http/schemas";
import { CSV_CONTENT_TYPE } from "../shared/csv";
import { DomainError } from "../shared/errors";
import type { MarketdataService } from "./marketdata.service";
import type { PushService } from "./push.service";
import * as S from "./marketdata.schemas";

export interface MarketdataRoutesOptions {
  marketdata: MarketdataService;
  push: PushService;
}

export const marketdataRoutes: FastifyPluginAsyncTypebox<MarketdataRoutesOptions> = async (app, { marketdata, push }) => {
  app.get("/v1/public/guidance-prices", {
    config: { access: "public" },
    schema: {
      tags: ["public data"],
      summary: "Guidance prices (指导价格) per skill × district × ISO week, computed from trades: count, VWAP, p25 / median / p75 of hourly rates",
      description: "JSON by default; `format=csv` or `Accept: text/csv` gives the same rows as a CSV file (UTF-8 with a byte order mark). No personal data.",
      querystring: S.GuidanceQuery,
      response: responses({
        200: {
          description: "Guidance prices",
          content: { "application/json": { schema: S.GuidancePrices }, "text/csv": { schema: Type.String({ description: "CSV, UTF-8 with a byte order mark" }) } },
        } as never,
      }),
    },
  }, async (req, reply) => {
    const r = await marketdata.prices(req.query);
    if (wantsCsv(req.query.format, req.headers.accept)) {
      return reply.type(CSV_CONTENT_TYPE).header("content-disposition", `attachment; filename="guidance-prices-${r.fromWeek}-${r.toWeek}.csv"`).send(marketdata.csv(r.items));
    }
    return reply.type("application/json; charset=utf-8").send(r);
  });

  app.get("/v1/shifts/openings", {
    config: { access: ["worker"] },
    schema: {
      tags: ["contracts"],
      summary: "Contracts of the worker's supplier that need people now and that the worker could take a seat of (the supplier still names who works)",
      response: responses({ 200: S.SeatOffers }),
    },
  }, async (req) => {
    const p = principalOf(req);
    if (p.workerId === null) throw new DomainError("forbidden", "seat offers are for workers");
    return { items: await push.seatOffersFor(p.workerId) };
  });
};
