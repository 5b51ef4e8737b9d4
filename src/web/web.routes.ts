/** Pages served to browsers. */
import type { FastifyPluginAsync } from "fastify";
import { loginPage } from "./login.page";

export const webRoutes: FastifyPluginAsync<{ devMode: boolean }> = async (app, { devMode }) => {
  const html = loginPage({ devMode });
  app.get("/login", { config: { access: "public" }, schema: { hide: true } }, async (_req, reply) =>
    reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(html),
  );
  app.get("/", { config: { access: "public" }, schema: { hide: true } }, async (_req, reply) => reply.redirect("/docs"));
};
