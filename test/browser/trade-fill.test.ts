// The whole trading flow through the pages in a real Chromium, with two browser profiles: an enterprise
// (laptop) funds its wallet and posts a demand order; an agency (a 360 px phone) sees the bid appear live and
// posts a crossing offer; both see the fill appear live (trades, executions, the contract), and the
// enterprise's order, contract and wallet pages agree with the API.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { chromiumAvailable, launchBrowser } from "../helpers/browser";
import { backends, servicesRequired } from "../helpers/services";

if (!chromiumAvailable && servicesRequired) throw new Error("REQUIRE_SERVICES=1 but Chromium is not installed (apt-get install -y chromium)");
// This flow needs the exchange's routes (markets, orders, contracts: the core's half of issue 8).
const exchangeWired = existsSync("src/exchange/exchange.routes.ts");

const shanghaiDate = (days: number) => new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);

describe.skipIf(!chromiumAvailable || !exchangeWired)("trading through the pages: a crossing order and offer (Chromium)", () => {
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let enterpriseKey: string, agencyKey: string, operatorKey: string, orgA: string, orgS: string;

  beforeAll(async () => {
    app = await startTestApp(backends[0]!);
    browser = await launchBrowser();
    enterpriseKey = app.key("demo enterprise 0001");
    agencyKey = app.key("demo agency 0004");
    operatorKey = app.key("demo operator");
    orgA = app.demo.keys.find((k) => k.label === "demo enterprise 0001")!.organisationId!;
    orgS = app.demo.keys.find((k) => k.label === "demo agency 0004")!.organisationId!;
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await app?.close();
  });

  async function open(key: string, path: string, viewport: { width: number; height: number }) {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${app.baseUrl}/trade/login?next=${encodeURIComponent(path)}`);
    await page.fill("#apikey", key);
    await page.click("#signin");
    await page.waitForURL((u) => u.pathname + u.search === path);
    await page.waitForSelector("#app:not([hidden])");
    return { page, errors };
  }
  const noHorizontalScroll = (page: Page) => page.evaluate("document.documentElement.scrollWidth <= window.innerWidth");

  it("places a demand order and a crossing offer through the pages and shows the fill live on both", async () => {
    // The market and its rate grid, as the API gives them.
    const date = shanghaiDate(3);
    const markets = await call(app, "GET", `/v1/markets?skill=welder&district=500107&date=${date}`, { key: enterpriseKey });
    expect(markets.status).toBe(200);
    const market = markets.body.items.find((m: { slotId: string }) => m.slotId === "D1");
    const rateFen: number = market.minimumRateFen + 20 * market.tickFen;
    const rateYuan = `${Math.floor(rateFen / 100)}.${String(rateFen % 100).padStart(2, "0")}`;
    const path = `/trade?market=${market.id}`;

    // The enterprise funds its wallet on the wallet page; the operator confirms the bank transfer.
    const ent = await open(enterpriseKey, "/trade/wallet", { width: 1280, height: 900 });
    await ent.page.fill("#topup-amount", "20000");
    await ent.page.click("#topup");
    await ent.page.waitForSelector("#instructions:not([hidden])");
    const reference = (await ent.page.textContent("#topup-reference"))!;
    expect((await call(app, "POST", `/v1/top-ups/${reference}/confirm`, { key: operatorKey, body: { amountFen: 2_000_000, bankTransactionId: `b-${reference}` } })).status).toBe(200);

    // Both watch the market: the enterprise on a laptop, the agency on a phone.
    await ent.page.goto(`${app.baseUrl}${path}`);
    await ent.page.waitForSelector('#live[data-status="live"]');
    const ag = await open(agencyKey, path, { width: 360, height: 780 });
    await ag.page.waitForSelector('#live[data-status="live"]');
    expect(await ag.page.textContent("#order-title")).toBe("发布供给报价");

    // The enterprise's demand order rests; the agency sees the bid appear in its live book.
    await ent.page.fill("#quantity", "2");
    await ent.page.fill("#rate", rateYuan);
    await ent.page.click("#place");
    await ent.page.waitForSelector("#placed:not([hidden])");
    expect(await ent.page.textContent("#placed")).toContain("挂单中");
    await ent.page.waitForSelector('#my-orders li[data-state="open"]');
    await ag.page.waitForSelector(`#book-demand li[data-rate="${rateFen}"][data-qty="2"]`);
    const [order] = (await call(app, "GET", `/v1/orders?market=${market.id}`, { key: enterpriseKey })).body.items;
    expect(order).toMatchObject({ side: "demand", quantity: 2, remaining: 2, rateFen, state: "open" });
    expect(order.holdFen).toBeGreaterThan(0);

    // The agency's offer crosses it.
    await ag.page.fill("#quantity", "2");
    await ag.page.fill("#rate", rateYuan);
    await ag.page.click("#place");
    await ag.page.waitForSelector("#placed:not([hidden])");
    expect(await ag.page.textContent("#placed")).toContain("已成交 2 人");

    // Both see the trade and their own executions live, and the book empties.
    for (const p of [ent.page, ag.page]) {
      await p.waitForSelector("#trades li[data-fill]");
      expect(await p.textContent("#trades li[data-fill]")).toContain(`2 人 @ ¥${rateYuan}/小时`);
      await p.waitForSelector('#executions li[data-kind="filled"]');
      await p.waitForSelector('#executions li[data-kind="contract"]');
      await p.waitForSelector(`#book-demand li.empty`);
    }
    await ent.page.waitForSelector(`#my-orders li[data-order="${order.id}"][data-state="filled"]`);
    expect(await noHorizontalScroll(ag.page)).toBe(true);

    // The API agrees: one contract between the two, its escrow funded.
    const contracts = (await call(app, "GET", "/v1/contracts", { key: enterpriseKey })).body.items;
    expect(contracts).toHaveLength(1);
    expect(contracts[0]).toMatchObject({ enterpriseId: orgA, supplierId: orgS, headcount: 2, rateFen, state: "staffing" });
    const contractId: string = contracts[0].id;
    await ent.page.waitForSelector(`#executions li[data-contract="${contractId}"]`);
    await ag.page.waitForSelector(`#executions li[data-contract="${contractId}"]`);

    // The enterprise's other pages show the fill, the contract and the wallet.
    await ent.page.goto(`${app.baseUrl}/trade/orders`);
    await ent.page.waitForSelector(`#orders li[data-order="${order.id}"][data-state="filled"] [data-fill]`);
    await ent.page.goto(`${app.baseUrl}/trade/contracts`);
    await ent.page.waitForSelector(`#contracts li[data-contract="${contractId}"]`);
    await ent.page.goto(`${app.baseUrl}/trade/wallet`);
    const wallet = (await call(app, "GET", `/v1/accounts/wallet:${orgA}:CNY`, { key: enterpriseKey })).body;
    await ent.page.waitForSelector(`[data-available="${wallet.availableFen}"]`);
    expect(wallet.availableFen).toBeLessThan(2_000_000);
    // The agency's phone pages fit too.
    for (const p of ["/trade/orders", "/trade/contracts"]) {
      await ag.page.goto(`${app.baseUrl}${p}`);
      await ag.page.waitForSelector("#app:not([hidden]) li");
      expect(await noHorizontalScroll(ag.page), p).toBe(true);
    }
    expect([...ent.errors, ...ag.errors]).toEqual([]);
  });

  it("localises an order the wallet cannot fund by the problem's code, naming the shortfall", async () => {
    const date = shanghaiDate(4);
    const markets = await call(app, "GET", `/v1/markets?skill=cleaner&district=500107&date=${date}`, { key: enterpriseKey });
    const market = markets.body.items.find((m: { slotId: string }) => m.slotId === "D1");
    const ent = await open(app.key("demo enterprise 0002"), `/trade?market=${market.id}`, { width: 1280, height: 900 });
    await ent.page.fill("#quantity", "500");
    await ent.page.fill("#rate", "80.00");
    await ent.page.click("#place");
    await ent.page.waitForSelector("#error:not([hidden])");
    expect(await ent.page.textContent("#error")).toMatch(/^钱包可用余额不足，还差 [\d,.]+ 元。请先充值。$/);
    await ent.page.click("#lang");
    expect(await ent.page.textContent("#error")).toMatch(/^The wallet is short by [\d,.]+ yuan; top it up first\.$/);
    await ent.page.click("#lang");
  });
});
