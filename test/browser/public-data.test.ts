// The public-data pages in a real Chromium: /prices draws the guidance-price chart over the weeks (vendored
// ECharts under the strict CSP, the richText tooltip) with the table and the city's totals, at 360 px and
// 1280 px, without horizontal scroll, fetching nothing from elsewhere, zh-CN first with the English switch;
// /stats signs the regulator in with the API key and draws the statistics. Screenshots: test/artifacts/
// prices-360.png, prices-1280.png, stats-regulator-1280.png.
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { residentIdWithChecksum } from "../../src/parties";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { chromiumAvailable, launchBrowser } from "../helpers/browser";
import { backends, servicesRequired } from "../helpers/services";

if (!chromiumAvailable && servicesRequired) throw new Error("REQUIRE_SERVICES=1 but Chromium is not installed (apt-get install -y chromium)");

const HOUR = 3_600_000;
const DAY = 86_400_000;
const ARTIFACTS = "test/artifacts";

describe.skipIf(!chromiumAvailable)("public-data pages (Chromium)", () => {
  // 14:00 in Shanghai today; shifts from the day after tomorrow on
  const now = Date.now();
  const today = new Date(now + 8 * HOUR).toISOString().slice(0, 10);
  const clock = fixedClock(new Date(Date.parse(`${today}T06:00:00Z`)));
  const shiftStart = (k: number) => Date.parse(`${today}T00:00:00Z`) + k * DAY; // 08:00 Shanghai, k days ahead
  const dateOf = (k: number) => new Date(shiftStart(k)).toISOString().slice(0, 10);
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await startTestApp(backends[0]!, { clock, contractLoops: false });
    browser = await launchBrowser();
    const operator = app.key("demo operator");
    const ent = app.key("demo enterprise 0001");
    const agency = app.key("demo agency 0004");
    const t = await call(app, "POST", "/v1/top-ups", { key: ent, body: { amountFen: 20_000_000 } });
    await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 20_000_000, bankTransactionId: "BANK-PD-1" } });
    const trade = async (market: string, rate: number, qty: number) => {
      expect((await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market, quantity: qty, rateFen: rate } })).status).toBe(201);
      const s = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market, quantity: qty, rateFen: rate } });
      expect(s.body.fills).toHaveLength(1);
      return s.body.fills[0].contractId as string;
    };
    // four to five weeks of welding trades in Yubei's neighbour 500107, the rates drifting up
    for (const [i, k] of [2, 5, 9, 12, 16, 19, 23, 26].entries()) {
      for (const [j, delta] of [-150, 0, 100, 250].entries()) await trade(`welder.500107.${dateOf(k)}.D1`, 3200 + i * 50 + delta, 1 + ((i + j) % 3));
    }
    // two people placed and paid, so the statistics have something to show
    const contractId = await trade(`general-labourer.500107.${dateOf(2)}.D1`, 3000, 2);
    await app.built.contracts.sweep();
    const seats: { shiftId: string; cookie: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const phone = `+86137${String(90_000_000 + i).padStart(8, "0")}`;
      const w = await call(app, "POST", "/v1/workers", {
        key: agency,
        body: { realName: `页面工人${i}`, residentId: residentIdWithChecksum(`50010719920${i + 1}1550${i}`), phone, districtCode: "500107", skills: [{ skillId: "general-labourer", level: 0 }], keyGroups: i === 0 ? ["migrant_worker"] : ["college_graduate"] },
      });
      expect(w.status, JSON.stringify(w.body)).toBe(201);
      const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
      const cookie = (await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } })).headers.get("set-cookie")!.split(";")[0]!;
      expect((await call(app, "POST", `/v1/contracts/${contractId}/assignments`, { key: agency, body: { seat: i + 1, workerId: w.body.id } })).status).toBe(200);
      const shiftId = (await call(app, "GET", `/v1/contracts/${contractId}/workflow`, { key: agency })).body.seats[i].shiftId;
      expect((await call(app, "POST", `/v1/shifts/${shiftId}/confirm`, { cookie })).status).toBe(200);
      seats.push({ shiftId, cookie });
    }
    const D = shiftStart(2);
    clock.set(new Date(D - 5 * 60_000));
    for (let i = 0; i < 2; i++) {
      const { shiftId, cookie } = seats[i]!;
      const code = (await call(app, "GET", "/v1/site/code", { key: ent })).body.code;
      expect((await call(app, "POST", `/v1/shifts/${shiftId}/check-in`, { cookie, body: { code } })).status).toBe(200);
    }
    clock.set(new Date(D + HOUR));
    await app.built.contracts.runtime.fireDueTimers();
    clock.set(new Date(D + 9 * HOUR + 5 * 60_000));
    for (let i = 0; i < 2; i++) {
      const { shiftId, cookie } = seats[i]!;
      const code = (await call(app, "GET", "/v1/site/code", { key: ent })).body.code;
      expect((await call(app, "POST", `/v1/shifts/${shiftId}/check-out`, { cookie, body: { code } })).status).toBe(200);
    }
    await app.built.contracts.runtime.fireDueTimers();
    for (let i = 0; i < 2; i++) {
      const { shiftId } = seats[i]!;
      expect((await call(app, "POST", `/v1/shifts/${shiftId}/approve`, { key: ent, body: {} })).body.state).toBe("approved");
    }
  }, 180_000);
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await app?.close();
  });

  async function newPage(width: number) {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const urls: string[] = [];
    const problems: string[] = [];
    page.on("request", (r) => urls.push(r.url()));
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    return { page, urls, problems };
  }
  const evaluate = <T>(page: Page, js: string) => page.evaluate(js) as Promise<T>;

  it.each([360, 1280])("draws the guidance-price chart, its table and the city's totals at %i px", async (width) => {
    const { page, urls, problems } = await newPage(width);
    await page.goto(`${app.baseUrl}/prices`);
    await page.waitForSelector("#chart[data-drawn='1']", { state: "attached", timeout: 15_000 });
    await page.waitForSelector("#prices-table tbody tr");
    await page.waitForSelector("#totals [data-total='placements'] dd");
    expect(await page.textContent("h1")).toBe("零工指导价格");
    expect(await page.inputValue("#skill")).toBe("welder");
    expect(await page.inputValue("#district")).toBe("500107");
    const canvas = await evaluate<{ width: number; height: number } | null>(page, `(() => { const c = document.querySelector("#chart canvas"); return c && { width: c.clientWidth, height: c.clientHeight }; })()`);
    const box = await evaluate<number>(page, `document.getElementById("chart").clientWidth`);
    expect(canvas).toEqual({ width: box, height: 320 });
    expect(await page.locator("#prices-table tbody tr").count()).toBeGreaterThanOrEqual(4);
    expect(await page.textContent("#totals [data-total='placements'] dd")).toBe("2");
    expect(await evaluate<boolean>(page, "document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/prices-${width}.png`, fullPage: true });

    await page.click("#lang");
    expect(await page.textContent("h1")).toBe("Guidance prices for short-term work");
    expect(await page.textContent("#prices-table thead th:nth-child(4)")).toBe("VWAP");
    expect(await page.getAttribute("#csv", "href")).toMatch(/^\/v1\/public\/guidance-prices\?skill=welder&district=500107&from=\d{4}-W\d{2}&to=\d{4}-W\d{2}&format=csv$/);
    await page.click("#lang");
    expect(problems).toEqual([]);
    expect(urls.filter((u) => !u.startsWith(app.baseUrl))).toEqual([]);
  });

  it("signs the regulator in and draws the statistics (1280 px)", async () => {
    const { page, urls, problems } = await newPage(1280);
    await page.goto(`${app.baseUrl}/stats`);
    await page.waitForSelector("#login-form");
    await page.fill("#apikey", app.key("demo enterprise 0001"));
    await page.click("#signin");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toBe("该密钥不属于监管部门或运营人员。");
    await page.fill("#apikey", app.key("demo regulator"));
    await page.click("#signin");
    await page.waitForSelector("#chart-week[data-drawn='1']", { state: "attached", timeout: 15_000 });
    await page.waitForSelector("#city [data-total='placements'] dd");
    expect(await page.textContent("#city [data-total='placements'] dd")).toBe("2");
    expect(await page.textContent("#city [data-total='workersPlaced'] dd")).toBe("2");
    expect(await page.locator("#table-keygroup tbody tr").count()).toBe(2);
    expect(await page.isVisible("#login-panel")).toBe(false);
    expect(await evaluate<string | null>(page, `sessionStorage.getItem("shiftex.statsKey")`)).toBe(app.key("demo regulator"));
    expect(urls.some((u) => u.includes(app.key("demo regulator")))).toBe(false);
    await page.screenshot({ path: `${ARTIFACTS}/stats-regulator-1280.png`, fullPage: true });
    expect(problems).toEqual([]);
    expect(urls.filter((u) => !u.startsWith(app.baseUrl))).toEqual([]);
  });

  it("tells the enterprise on /trade that its order is far above the guidance band, and places it", async () => {
    await app.built.marketdata.service.refreshBands();
    const { page, problems } = await newPage(1280);
    const market = `welder.500107.${dateOf(28)}.D1`;
    const path = `/trade?market=${market}`;
    await page.goto(`${app.baseUrl}${path}`);
    await page.waitForURL(/\/trade\/login/);
    await page.fill("#apikey", app.key("demo enterprise 0001"));
    await page.click("#signin");
    await page.waitForURL((u) => u.pathname === "/trade");
    await page.waitForSelector('#live[data-status="live"]');
    await page.fill("#quantity", "1");
    await page.fill("#rate", "80.00");
    await page.click("#place");
    await page.waitForSelector("#placed[data-band='above']");
    expect(await page.textContent("#placed")).toMatch(/^已提交：挂单中.*提示：该时薪明显高于近期指导价格（\d{4}-W\d{2}：中位数 ¥\d+\.\d{2}，正常区间 ¥\d+\.\d{2}–¥\d+\.\d{2}）。订单已照常提交。$/);
    await page.click("#lang");
    expect(await page.textContent("#placed")).toMatch(/far above recent guidance prices/);
    expect(problems).toEqual([]);
  });
});
