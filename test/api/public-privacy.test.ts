// No public response, page or CSV contains a resident ID number, a phone number or a worker's name, however
// spelled (src/shared/privacy.ts findSensitive: encodings undone, digits inside separators, full-width forms).
// The crawler enumerates every route that needs no credential from the app's own route table (so routes added
// later — the trust module's public agency pages among them — are crawled without editing this test), fills path
// parameters from seeded data, asks JSON routes for CSV too, and searches every answer. Seeded first: workers
// with names, phones and ID numbers, trades, a contract staffed with them and confirmed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { residentIdWithChecksum } from "../../src/parties";
import { findSensitive } from "../../src/shared/privacy";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";

/** Public routes that are not GETs: they take what the caller sends and disclose nothing stored (checked by name so a new one is noticed). */
const NOT_CRAWLED = new Set(["POST /v1/auth/otp", "POST /v1/auth/otp/verify", "POST /v1/auth/logout", "POST /v1/stripe/webhooks"]);
const shanghaiDate = (days: number) => new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);

describe.each(backends)("public routes disclose no personal data ($name)", (backend) => {
  let app: TestApp;
  const residentIds: string[] = [];
  const phones: string[] = [];
  const names: string[] = [];
  const market = `welder.500107.${shanghaiDate(3)}.D1`;
  const values: Record<string, string[]> = {};

  beforeAll(async () => {
    app = await startTestApp(backend);
    const operator = app.key("demo operator");
    const ent = app.key("demo enterprise 0001");
    const agency = app.key("demo agency 0004");
    const seeded: { id: string; phone: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const residentId = residentIdWithChecksum(`50010719880${i + 1}15${400 + i}`);
      const phone = `+86136${String(80_000_000 + i).padStart(8, "0")}`;
      const realName = ["欧阳秀英", "司马志强", "Zhang Wei-Ming"][i]!;
      const r = await call(app, "POST", "/v1/workers", { key: agency, body: { realName, residentId, phone, districtCode: "500107", skills: [{ skillId: "welder", level: 3 }] } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      residentIds.push(residentId);
      phones.push(phone);
      names.push(realName);
      seeded.push({ id: r.body.id, phone });
    }
    // every worker on the exchange: the demo's forty too (their names and phones; their ID numbers are stored only hashed)
    const { rows } = await app.database.db.sql.query<{ real_name: string; phone: string }>(`SELECT "real_name", "phone" FROM "workers"`);
    for (const r of rows) {
      if (!names.includes(r.real_name)) names.push(r.real_name);
      if (!phones.includes(r.phone)) phones.push(r.phone);
    }
    const t = await call(app, "POST", "/v1/top-ups", { key: ent, body: { amountFen: 2_000_000 } });
    await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 2_000_000, bankTransactionId: "BANK-PRIV-1" } });
    expect((await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market, quantity: 3, rateFen: 3500 } })).status).toBe(201);
    const s = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market, quantity: 3, rateFen: 3500 } });
    const contractId = s.body.fills[0].contractId as string;
    await app.built.contracts.sweep();
    for (const [i, w] of seeded.entries()) {
      expect((await call(app, "POST", `/v1/contracts/${contractId}/assignments`, { key: agency, body: { seat: i + 1, workerId: w.id } })).status).toBe(200);
    }
    await app.built.marketdata.service.refreshBands();
    const orgs = app.demo.organisations.map((o) => o.id);
    // what a path parameter is filled with, by its name; a new public route with another parameter fails below until it is added here
    Object.assign(values, { id: orgs, market: [market], contractId: [contractId], ref: ["x"], "*": ["index.html"] });
  }, 120_000);
  afterAll(async () => app?.close());

  it("searches every public route's answer (JSON, CSV, pages, assets) and finds no ID number, phone or name", async () => {
    const routes = app.built.publicRoutes.filter((r) => r.method !== "HEAD");
    const notGet = routes.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.url}`);
    expect(notGet.filter((r) => !NOT_CRAWLED.has(r)), "a public route that is not a GET: crawl it, or say here why it discloses nothing").toEqual([]);

    const urls: string[] = [];
    for (const { url } of routes.filter((r) => r.method === "GET")) {
      const params = [...url.matchAll(/:([A-Za-z]+)|\*/g)].map((m) => m[1] ?? "*");
      let expanded = [url];
      for (const p of params) {
        const vals = values[p];
        expect(vals, `no seeded value for path parameter "${p}" of ${url}: add one`).toBeDefined();
        expanded = expanded.flatMap((u) => vals!.map((v) => u.replace(p === "*" ? "*" : `:${p}`, encodeURIComponent(v).replace(/%2F/g, "/"))));
      }
      urls.push(...expanded);
    }
    // the public data's other shapes: CSV, filters
    urls.push("/v1/public/guidance-prices?format=csv", `/v1/public/guidance-prices?skill=welder&district=500107&format=csv`, "/docs/json");
    expect(urls).toEqual(expect.arrayContaining(["/v1/public/guidance-prices", "/v1/public/stats", "/prices", "/stats", "/v1/catalogue"]));

    const crawled: string[] = [];
    for (const url of urls) {
      const res = await fetch(`${app.baseUrl}${url}`, { headers: { accept: "application/json, text/html, text/csv, */*" } });
      if (res.status === 429) throw new Error("rate limited while crawling: raise RATE_LIMIT_MAX for this test");
      const body = new TextDecoder().decode(await res.arrayBuffer());
      crawled.push(`${res.status} ${url}`);
      const leaks = findSensitive(body, { residentIds, phones, names });
      expect(leaks, `${url} (${res.status}) discloses personal data`).toEqual([]);
    }
    // the crawl saw real data: guidance prices of the trade, and the pages
    const gp = await call(app, "GET", "/v1/public/guidance-prices");
    expect(gp.body.items.length).toBeGreaterThan(0);
    expect(crawled.filter((c) => c.startsWith("200 ")).length).toBeGreaterThan(10);
  });

  it("would notice a leak: the same search finds the seeded data in an operator's answer", async () => {
    const r = await fetch(`${app.baseUrl}/v1/workers?limit=500`, { headers: { authorization: `Bearer ${app.key("demo operator")}` } });
    const leaks = findSensitive(await r.text(), { residentIds, phones, names });
    expect(leaks.some((l) => l.kind === "phone")).toBe(true);
    expect(leaks.some((l) => l.kind === "name")).toBe(true);
  });
});
