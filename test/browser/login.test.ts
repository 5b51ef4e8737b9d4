// The worker login page in a real browser, on a phone-sized screen.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { startTestApp, type TestApp } from "../helpers/build-app";
import { chromiumAvailable, launchBrowser } from "../helpers/browser";
import { backends, servicesRequired } from "../helpers/services";

if (!chromiumAvailable && servicesRequired) throw new Error("REQUIRE_SERVICES=1 but Chromium is not installed (apt-get install -y chromium)");
if (!chromiumAvailable) console.log("[shiftex tests] skipping browser suites: install Chromium (apt-get install -y chromium) to run them");

describe.skipIf(!chromiumAvailable)("worker login page (Chromium)", () => {
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

  it("logs a worker in with phone and the dev-mode code, on a phone-sized screen", async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/login`);
    const phone = app.demo.workerPhones[7]!;
    await page.fill("#phone", phone.replace("+86", ""));
    await page.click("#send");
    await page.waitForSelector("#dev:not([hidden])");
    const devText = await page.textContent("#dev");
    const code = /(\d{6})/.exec(devText ?? "")?.[1];
    expect(code).toBe(app.sentCodes.at(-1)?.code);
    await page.fill("#code", code!);
    await page.click("#verify");
    await page.waitForSelector("#done:not([hidden])");
    const worker = await app.database.db.prisma.worker.findUnique({ where: { phone } });
    expect(await page.textContent("#done")).toContain(worker!.realName);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "shiftex_session");
    expect(session?.httpOnly).toBe(true);
    // Nothing overflows the narrow screen.
    const overflow = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth");
    expect(overflow).toBe(false);
    await context.close();
  });

  it("shows the server's problem detail for a wrong code", async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/login`);
    await page.fill("#phone", app.demo.workerPhones[8]!);
    await page.click("#send");
    await page.waitForSelector("#code-form:not([hidden])");
    const real = app.sentCodes.at(-1)!.code;
    await page.fill("#code", real === "000000" ? "111111" : "000000");
    await page.click("#verify");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toMatch(/wrong or has expired/);
    expect(await page.isHidden("#done")).toBe(true);
    await context.close();
  });
});
