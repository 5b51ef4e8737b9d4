/** HTTP routes of statistics: the regulator's and operators' aggregates (JSON or CSV), the public city totals. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { principalOf } from "../http/auth";
import { responses } from "../http/schemas";
import { wantsCsv } from "../http/negotiate";
import { CSV_CONTENT_TYPE } from "../shared/csv";
import type { StatsService } from "./stats.service";
import * as S from "./stats.schemas";

export interface StatsRoutesOptions {
  stats: StatsService;
}

export const statsRoutes: FastifyPluginAsyncTypebox<StatsRoutesOptions> = async (app, { stats }) => {
  const tags = ["statistics"];

  app.get("/v1/stats", {
    config: { access: ["regulator", "operator"] },
    schema: {
      tags,
      summary: "Placements, workers placed, fill rate, median time to fill and wages paid: city totals and by district, skill, key group and week (regulator, operators)",
      description: "JSON by default; `format=csv` or `Accept: text/csv` gives the same rows as one CSV file (the city row has no key; blank key cells mean all). `by=district,week` (any combination) gives the rows of that breakdown only.",
      querystring: S.StatsQuery,
      response: responses({
        200: {
          description: "Statistics",
          content: { "application/json": { schema: S.Statistics }, "text/csv": { schema: Type.String({ description: "CSV, UTF-8 with a byte order mark" }) } },
        } as never,
      }),
    },
  }, async (req, reply) => {
    const p = principalOf(req);
    if (wantsCsv(req.query.format, req.headers.accept)) {
      const file = await stats.csv(p, req.query);
      return reply.type(CSV_CONTENT_TYPE).header("content-disposition", `attachment; filename="${file.filename}"`).send(file.body);
    }
    return reply.type("application/json; charset=utf-8").send(await stats.statistics(p, req.query));
  });

  app.get("/v1/public/stats", {
    config: { access: "public" },
    schema: {
      tags: ["public data"],
      summary: "The city's placement totals (public): placements, workers placed, fill rate, median time to fill, wages paid",
      querystring: S.PublicStatsQuery,
      response: responses({ 200: S.PublicStats }),
    },
  }, async (req) => stats.publicTotals(req.query));
};
