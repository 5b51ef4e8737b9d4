// The worker's pages in a real browser, on a 360 px wide phone screen: login, worker home, reload, log-out,
// and the language switch (Chinese by default; every message the page shows follows the page language).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { startTestApp, type TestApp } from "../helpers/build-app";
import { chromiumAvailable, launchBrowser } from "../helpers/browser";
import { backends, servicesRequired } from "../helpers/services";

if (!chromiumAvailable && servicesRequired) throw new Error("REQUIRE_SERVICES=1 but Chromium is not installed (apt-get install -y chromium)");
if (!chromiumAvailable) console.log("[shiftex tests] skipping browser suites: install Chromium (apt-get install -y chromium) to run them");

const PHONE_SCREEN = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

describe.skipIf(!chromiumAvailable)("worker pages (Chromium, 360 px)", () => {
  let app: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    app = await startTestApp(backends[0]!);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function phoneContext(): Promise<{ context: BrowserContext; page: Page; external: string[]; problems: string[] }> {
    const context = await browser.newContext(PHONE_SCREEN);
    const page = await context.newPage();
    // Every request the page makes must go to Shiftex itself, and nothing may break or be blocked by the CSP.
    const external: string[] = [];
    const problems: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(app.baseUrl)) external.push(r.url());
    });
    page.on("pageerror", (err) => problems.push(err.message));
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    return { context, page, external, problems };
  }

  const noHorizontalScroll = (page: Page) => page.evaluate("document.documentElement.scrollWidth <= window.innerWidth");

  async function logIn(page: Page, phone: string): Promise<void> {
    await page.goto(`${app.baseUrl}/login`);
    await page.waitForSelector("#app:not([hidden])");
    await page.fill("#phone", phone.replace("+86", ""));
    await page.click("#send");
    await page.waitForSelector("#note:not([hidden])");
    const code = /(\d{6})/.exec((await page.textContent("#note")) ?? "")?.[1];
    expect(code).toBe(app.sentCodes.at(-1)?.code);
    await page.fill("#code", code!);
    await page.click("#verify");
    await page.waitForURL(`${app.baseUrl}/worker`);
    await page.waitForSelector("#app:not([hidden])");
  }

  it("logs in in Chinese, lands on the worker home, and keeps the session across reloads", async () => {
    const { context, page, external, problems } = await phoneContext();
    const phone = app.demo.workerPhones[7]!;
    const worker = await app.database.db.prisma.worker.findUniqueOrThrow({ where: { phone } });
    await page.goto(`${app.baseUrl}/login`);
    await page.waitForSelector("#app:not([hidden])");
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    expect(await page.textContent("h1")).toBe("工人登录");
    expect(await noHorizontalScroll(page)).toBe(true);

    await logIn(page, phone);
    expect(await page.textContent("#hello")).toContain(worker.realName);
    expect(await page.textContent("#logout")).toBe("退出登录");
    expect(await noHorizontalScroll(page)).toBe(true);
    const session = (await context.cookies()).find((c) => c.name === "shiftex_session");
    expect(session?.httpOnly).toBe(true);

    await page.reload();
    await page.waitForSelector("#app:not([hidden])");
    expect(page.url()).toBe(`${app.baseUrl}/worker`);
    expect(await page.textContent("#hello")).toContain(worker.realName);
    // A logged-in worker opening /login lands on the worker home.
    await page.goto(`${app.baseUrl}/login`);
    await page.waitForURL(`${app.baseUrl}/worker`);
    await page.waitForSelector("#app:not([hidden])");
    expect(await page.textContent("#hello")).toContain(worker.realName);
    expect(external).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("logs out: the session ends on the server and the pages lead back to login", async () => {
    const { context, page } = await phoneContext();
    await logIn(page, app.demo.workerPhones[11]!);
    const cookie = (await context.cookies()).find((c) => c.name === "shiftex_session")!;
    await page.click("#logout");
    await page.waitForURL(`${app.baseUrl}/login`);
    await page.waitForSelector("#app:not([hidden])");
    const me = await fetch(`${app.baseUrl}/v1/me`, { headers: { cookie: `shiftex_session=${cookie.value}` } });
    expect(me.status).toBe(401);
    expect(await app.database.db.prisma.workerSession.count({ where: { tokenHash: { not: "" }, worker: { phone: app.demo.workerPhones[11]! } } })).toBe(0);
    await page.goto(`${app.baseUrl}/worker`);
    await page.waitForURL(`${app.baseUrl}/login`);
    await context.close();
  });

  it("switches to English and back: labels and the page's own messages, errors included, remembered across reloads", async () => {
    const { context, page } = await phoneContext();
    await page.goto(`${app.baseUrl}/login`);
    await page.waitForSelector("#app:not([hidden])");
    // A phone the server refuses: the page says so in its own words, not the server's English detail.
    await page.fill("#phone", "12345");
    await page.click("#send");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toBe("请输入有效的中国大陆手机号（11 位，以 13–19 开头）。");

    await page.fill("#phone", app.demo.workerPhones[12]!);
    await page.click("#send");
    await page.waitForSelector("#code-form:not([hidden])");
    const real = app.sentCodes.at(-1)!.code;
    await page.fill("#code", real === "000000" ? "111111" : "000000");
    await page.click("#verify");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toBe("验证码错误或已过期，请重新获取。");
    expect(await page.textContent("#note")).toBe(`开发模式：验证码是 ${real}`);
    expect(await page.isHidden("#hello")).toBe(true);

    await page.click("#lang");
    expect(await page.getAttribute("html", "lang")).toBe("en");
    expect(await page.textContent("#error")).toBe("The code is wrong or has expired; ask for a new one.");
    expect(await page.textContent("#note")).toBe(`Dev mode: the code is ${real}`);
    expect(await page.textContent("#send")).toBe("Send code");
    expect(await page.textContent("#lang")).toBe("中文");
    expect(await noHorizontalScroll(page)).toBe(true);

    await page.reload();
    await page.waitForSelector("#app:not([hidden])");
    expect(await page.getAttribute("html", "lang")).toBe("en");
    expect(await page.textContent("h1")).toBe("Worker login");
    await page.fill("#phone", "12345");
    await page.click("#send");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toBe("Enter a valid mainland China mobile number (11 digits starting 13–19).");
    await page.fill("#phone", app.demo.workerPhones[12]!);
    await page.click("#send");
    await page.waitForSelector("#code-form:not([hidden])");
    await page.fill("#code", "12");
    await page.click("#verify");
    expect(await page.textContent("#error")).toBe("The code has 6 digits.");

    // The worker home follows the remembered language too.
    await page.fill("#code", app.sentCodes.at(-1)!.code);
    await page.click("#verify");
    await page.waitForURL(`${app.baseUrl}/worker`);
    await page.waitForSelector("#app:not([hidden])");
    expect(await page.textContent("#logout")).toBe("Log out");
    expect(await page.textContent("#hello")).toMatch(/^Hello, /);
    expect(await noHorizontalScroll(page)).toBe(true);
    await page.click("#lang");
    expect(await page.textContent("#logout")).toBe("退出登录");
    expect(await page.textContent("#hello")).toMatch(/^你好，/);
    await context.close();
  });
});
