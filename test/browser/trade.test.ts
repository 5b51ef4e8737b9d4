// The trading pages in a real Chromium: sign-in with an API key (kept in sessionStorage, never in a URL), the
// language switch remembered across pages, the offline top-up flow on the wallet page, the live book, trades and
// executions over the WebSocket, errors localised by problem code, and no horizontal scroll at 360 px.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { BookSnapshot, BookSource } from "../../src/realtime";
import { DomainError } from "../../src/shared/errors";
import type { BookChanged } from "../../src/shared/events";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { chromiumAvailable, launchBrowser } from "../helpers/browser";
import { backends, servicesRequired } from "../helpers/services";

if (!chromiumAvailable && servicesRequired) throw new Error("REQUIRE_SERVICES=1 but Chromium is not installed (apt-get install -y chromium)");

const M = "welder.500107.2026-12-02.D1";
const AT = "2026-12-01T08:00:00.000Z";

/** Book snapshots the test sets (until the exchange module is wired in, the stream's books come from here). */
function fakeBooks() {
  const books = new Map<string, BookSnapshot>();
  const source: BookSource = {
    book(market) {
      const b = books.get(market);
      if (!b) throw new DomainError("not_found", `market ${market} has no book`, { id: market });
      return b;
    },
  };
  return { source, set: (b: BookSnapshot) => void books.set(b.market, b) };
}

describe.skipIf(!chromiumAvailable)("trading pages (Chromium)", () => {
  let app: TestApp;
  let browser: Browser;
  const books = fakeBooks();
  const contexts: BrowserContext[] = [];
  let enterpriseKey: string, agencyKey: string, orgA: string;

  beforeAll(async () => {
    app = await startTestApp(backends[0]!, { books: books.source });
    browser = await launchBrowser();
    enterpriseKey = app.key("demo enterprise 0001");
    agencyKey = app.key("demo agency 0004");
    orgA = app.demo.keys.find((k) => k.label === "demo enterprise 0001")!.organisationId!;
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await app?.close();
  });

  /** A fresh browser profile that records every URL it requests and every script error. */
  async function newPage(viewport = { width: 1280, height: 900 }) {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    const urls: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => urls.push(r.url()));
    page.on("websocket", (ws) => urls.push(ws.url()));
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(m.text());
    });
    return { page, context, urls, errors };
  }

  async function signIn(page: Page, key: string, path = "/trade") {
    await page.goto(`${app.baseUrl}${path}`);
    await page.waitForURL(/\/trade\/login/);
    await page.fill("#apikey", key);
    await page.click("#signin");
    await page.waitForURL((u) => u.pathname === path);
    await page.waitForSelector("#who:not(:empty)");
  }

  const noHorizontalScroll = (page: Page) => page.evaluate("document.documentElement.scrollWidth <= window.innerWidth");

  it("signs in with an API key kept in this tab only and never put in a URL; refuses other roles in the page's language", async () => {
    const { page, urls, errors } = await newPage();
    await page.goto(`${app.baseUrl}/trade/login`);
    expect(await page.textContent("h1")).toBe("企业与机构登录");
    // A wrong key: the problem's code, in Chinese.
    await page.fill("#apikey", "sx_wrong_key");
    await page.click("#signin");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toBe("API 密钥无效或已停用。");
    // An operator key is not for these pages.
    await page.fill("#apikey", app.key("demo operator"));
    await page.click("#signin");
    // A locator, not a string predicate: Playwright polls a string with eval, which the pages' CSP refuses
    // whenever the text is not there at the first look.
    await page.locator("#error", { hasText: "工人请在工人登录页登录" }).waitFor();
    await signIn(page, enterpriseKey);
    expect(await page.evaluate("sessionStorage.getItem('shiftex.apiKey')")).toBe(enterpriseKey);
    expect(await page.evaluate("localStorage.getItem('shiftex.apiKey')")).toBeNull();
    expect(await page.textContent("#who")).toContain("重庆两江精密制造有限公司");
    await page.waitForSelector('#live[data-status="live"]');
    // Every address the page asked for, the WebSocket's included, is free of the key.
    expect(urls.length).toBeGreaterThan(5);
    for (const u of urls) expect(u).not.toContain(enterpriseKey);
    expect(urls.some((u) => /\/v1\/stream\?ticket=sxt_/.test(u))).toBe(true);
    expect(errors).toEqual([]);
    // Signing out forgets the key.
    await page.click("#signout");
    await page.waitForURL(/\/trade\/login/);
    expect(await page.evaluate("sessionStorage.getItem('shiftex.apiKey')")).toBeNull();
  });

  it("remembers the English switch across pages, and localises errors in English too", async () => {
    const { page, errors } = await newPage();
    await page.goto(`${app.baseUrl}/trade/login`);
    await page.click("#lang");
    expect(await page.textContent("h1")).toBe("Sign in: enterprises and agencies");
    await page.fill("#apikey", "sx_wrong_key");
    await page.click("#signin");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toBe("The API key is not valid or has been revoked.");
    await page.fill("#apikey", enterpriseKey);
    await page.click("#signin");
    await page.waitForURL((u) => u.pathname === "/trade");
    await page.waitForSelector("#who:not(:empty)");
    expect(await page.getAttribute("html", "lang")).toBe("en");
    expect(await page.textContent('nav a[href="/trade/wallet"]')).toBe("Wallet");
    expect(await page.textContent("#order-title")).toBe("Post a demand order");
    await page.click('nav a[href="/trade/wallet"]');
    await page.waitForURL(/\/trade\/wallet/);
    expect(await page.textContent("h1")).toBe("Wallet");
    // The worker pages read the same setting.
    expect(await page.evaluate("localStorage.getItem('shiftex.lang')")).toBe("en");
    await page.click("#lang");
    expect(await page.textContent("h1")).toBe("钱包");
    expect(errors).toEqual([]);
  });

  it("funds the wallet offline: asks for a top-up, shows the bank-transfer instructions and reference, and the balance once confirmed", async () => {
    const { page, errors } = await newPage();
    await signIn(page, enterpriseKey, "/trade/wallet");
    await page.waitForSelector("#topup-panel:not([hidden])");
    await page.fill("#topup-amount", "0");
    await page.click("#topup");
    expect(await page.textContent("#error")).toBe("请输入大于 0 的金额，最多两位小数。");
    await page.fill("#topup-amount", "5,000.50");
    await page.click("#topup");
    await page.waitForSelector("#instructions:not([hidden])");
    const reference = (await page.textContent("#topup-reference"))!;
    const listed = await call(app, "GET", "/v1/top-ups", { key: enterpriseKey });
    const topUp = listed.body.items.find((x: { reference: string }) => x.reference === reference);
    expect(topUp).toMatchObject({ requestedFen: 500050, status: "awaiting_transfer" });
    const instructions = await page.textContent("#instructions");
    expect(instructions).toContain("¥5,000.50");
    expect(instructions).toContain(topUp.instructions.accountNumber);
    expect(instructions).toContain(topUp.instructions.bankName);
    await page.waitForSelector(`#topups li[data-reference="${reference}"][data-status="awaiting_transfer"]`);
    // The bank receives it; an operator confirms.
    const confirmed = await call(app, "POST", `/v1/top-ups/${reference}/confirm`, { key: app.key("demo operator"), body: { amountFen: 500050, bankTransactionId: `bank-${reference}` } });
    expect(confirmed.status).toBe(200);
    await page.reload();
    await page.waitForSelector(`#topups li[data-reference="${reference}"][data-status="confirmed"]`);
    const wallet = `wallet:${orgA}:CNY`;
    expect(await page.getAttribute(`[data-account="${wallet}"] [data-available]`, "data-available")).toBe("500050");
    expect(await page.textContent(`[data-account="${wallet}"] [data-available]`)).toBe("¥5,000.50");
    expect(errors).toEqual([]);
  });

  it("retries a top-up whose answer was lost with the same Idempotency-Key: one top-up, not two", async () => {
    const { page } = await newPage();
    await signIn(page, enterpriseKey, "/trade/wallet");
    await page.waitForSelector("#topup-panel:not([hidden])");
    const keys: string[] = [];
    let dropped = false;
    await page.route("**/v1/top-ups", async (route) => {
      if (route.request().method() !== "POST") return route.continue();
      keys.push(route.request().headers()["idempotency-key"] ?? "");
      if (dropped) return route.continue();
      // The server takes the request; its answer is lost on the way back.
      dropped = true;
      await route.fetch();
      await route.abort("connectionreset");
    });
    const before = (await call(app, "GET", "/v1/top-ups", { key: enterpriseKey })).body.items.length;
    await page.fill("#topup-amount", "777.77");
    await page.click("#topup");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toBe("网络连接失败，请检查网络后重试。");
    await page.click("#topup");
    await page.waitForSelector("#instructions:not([hidden])");
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(keys[1]).toBe(keys[0]);
    const after = (await call(app, "GET", "/v1/top-ups", { key: enterpriseKey })).body.items;
    expect(after.length).toBe(before + 1);
    expect(after.filter((x: { requestedFen: number }) => x.requestedFen === 77777)).toHaveLength(1);
    // A new amount is a new request, with a new key.
    // The reference of the first top-up is still shown: wait for the new one, not for any (that raced the request).
    const firstReference = await page.textContent("#topup-reference");
    expect(firstReference).not.toBe("");
    await page.fill("#topup-amount", "888");
    await page.click("#topup");
    await expect.poll(() => page.textContent("#topup-reference"), { timeout: 10_000 }).not.toBe(firstReference);
    expect(keys).toHaveLength(3);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it("shows the live book and trades, re-snapshots on a gap, and lists the organisation's executions as they happen", async () => {
    books.set({ market: M, bookSeq: 4, seq: 10, demand: [{ rateFen: 3000, qty: 3, orders: 2 }], supply: [{ rateFen: 3600, qty: 5, orders: 1 }] });
    const { page, errors } = await newPage();
    await signIn(page, enterpriseKey, "/trade");
    await page.goto(`${app.baseUrl}/trade?market=${M}`);
    await page.waitForSelector('#book-demand li[data-rate="3000"][data-qty="3"]');
    expect(await page.textContent("#book-supply")).toContain("¥36.00");
    expect(await page.inputValue("#skill")).toBe("welder");
    const bus = app.built.bus;
    const change = (bookSeq: number, demand: BookChanged["demand"]): BookChanged => ({ type: "book.changed", seq: 10 + bookSeq, at: AT, market: M, bookSeq, demand, supply: [{ rateFen: 3600, qty: 5, orders: 1 }] });
    bus.publish(change(5, [{ rateFen: 3100, qty: 1, orders: 1 }, { rateFen: 3000, qty: 3, orders: 2 }]));
    await page.waitForSelector('#book-demand li[data-rate="3100"]');
    // bookSeq 6 is lost: the page sees 7 follow 5 and asks for a fresh snapshot.
    books.set({ market: M, bookSeq: 7, seq: 20, demand: [{ rateFen: 3300, qty: 9, orders: 3 }], supply: [] });
    bus.publish(change(7, [{ rateFen: 9999, qty: 1, orders: 1 }]));
    await page.waitForSelector('#book-demand li[data-rate="3300"][data-qty="9"]');
    expect(await page.$('#book-demand li[data-rate="9999"]')).toBeNull();
    expect(await page.textContent("#book-supply")).toBe("暂无挂单");
    bus.publish({ type: "trade", seq: 21, at: AT, market: M, fillId: "fil_live", rateFen: 3300, qty: 2, aggressor: "supply", shared: false });
    await page.waitForSelector('#trades li[data-fill="fil_live"]');
    expect(await page.textContent('#trades li[data-fill="fil_live"]')).toContain("2 人 @ ¥33.00/小时");
    // Executions: the organisation's own, not another's.
    const orgB = app.demo.keys.find((k) => k.label === "demo enterprise 0002")!.organisationId!;
    bus.publish({ type: "execution", seq: 22, at: AT, organisationId: orgB, orderId: "ord_not_mine", clientOrderId: null, market: M, side: "demand", kind: "filled", remaining: 0 });
    bus.publish({ type: "execution", seq: 22, at: AT, organisationId: orgA, orderId: "ord_mine", clientOrderId: null, market: M, side: "demand", kind: "filled", remaining: 1, fill: { fillId: "fil_live", contractId: "ctr_live", rateFen: 3300, qty: 2 } });
    await page.waitForSelector('#executions li[data-kind="filled"][data-order="ord_mine"]');
    expect(await page.textContent('#executions li[data-order="ord_mine"]')).toContain("需求已成交，剩余 1 人");
    expect(await page.$('#executions li[data-order="ord_not_mine"]')).toBeNull();
    expect(errors).toEqual([]);
  });

  it("is usable at 360 px wide with no horizontal scroll on every page", async () => {
    books.set({ market: M, bookSeq: 1, seq: 1, demand: [{ rateFen: 3000, qty: 1234, orders: 99 }], supply: [{ rateFen: 123400, qty: 5, orders: 1 }] });
    for (const key of [enterpriseKey, agencyKey]) {
      const { page } = await newPage({ width: 360, height: 740 });
      await page.goto(`${app.baseUrl}/trade/login`);
      expect(await noHorizontalScroll(page)).toBe(true);
      await signIn(page, key, "/trade");
      await page.goto(`${app.baseUrl}/trade?market=${M}`);
      await page.waitForSelector('#book-demand li[data-rate="3000"]');
      expect(await noHorizontalScroll(page)).toBe(true);
      for (const path of ["/trade/orders", "/trade/contracts", "/trade/wallet"]) {
        await page.goto(`${app.baseUrl}${path}`);
        await page.waitForSelector("#app:not([hidden])");
        expect(await noHorizontalScroll(page), path).toBe(true);
      }
      // The English texts are longer; still no horizontal scroll.
      await page.click("#lang");
      await page.goto(`${app.baseUrl}/trade?market=${M}`);
      await page.waitForSelector('#book-demand li[data-rate="3000"]');
      expect(await noHorizontalScroll(page)).toBe(true);
    }
  });

  it("serves every page and asset from Shiftex under a strict content security policy", async () => {
    for (const path of ["/trade/login", "/trade", "/trade/orders", "/trade/contracts", "/trade/wallet"]) {
      const r = await fetch(`${app.baseUrl}${path}`);
      expect(r.status).toBe(200);
      const csp = r.headers.get("content-security-policy")!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      const html = await r.text();
      expect(html).not.toMatch(/https?:\/\//); // no CDN, no other origin
    }
    for (const asset of ["/assets/trade.js", "/assets/trade.css"]) expect((await fetch(`${app.baseUrl}${asset}`)).status).toBe(200);
  });
});
