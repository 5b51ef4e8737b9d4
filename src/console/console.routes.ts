/** HTTP routes of the operator console's own data (the pages live in src/web). */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { principalOf } from "../http/auth";
import { responses } from "../http/schemas";
import type { ConsoleService } from "./console.service";
import * as S from "./console.schemas";

export const consoleRoutes: FastifyPluginAsyncTypebox<{ console: ConsoleService }> = async (app, { console: service }) => {
  app.get("/v1/console/charts", {
    config: { access: ["operator", "regulator"] },
    schema: {
      tags: ["console"], summary: "Chart series: daily cash volume, reconciliation exceptions per day and kind, wage-arrears ageing",
      querystring: S.ChartsQuery, response: responses({ 200: S.Charts }),
    },
  }, async (req) => service.charts(principalOf(req), req.query));
};
