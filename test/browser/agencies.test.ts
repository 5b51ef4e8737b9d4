// The public disclosure pages in a real Chromium, without signing in: the agency directory (search by district,
// paging) and an agency's page (licences, colour and why, penalties, points history) at 360 px and 1280 px, in
// Chinese by default and in English by the switch; every request to Shiftex itself; no horizontal scroll; no
// worker's personal data on the page. Screenshots are saved under test/artifacts/ (git-ignored).
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { findSensitive } from "../../src/shared/privacy";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { chromiumAvailable, launchBrowser } from "../helpers/browser";
import { backends, servicesRequired } from "../helpers/services";

if (!chromiumAvailable && servicesRequired) throw new Error("REQUIRE_SERVICES=1 but Chromium is not installed (apt-get install -y chromium)");

const ARTIFACTS = "test/artifacts";

describe.skipIf(!chromiumAvailable)("public agency pages (Chromium)", () => {
  let app: TestApp;
  let browser: Browser;
  let agencyId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await startTestApp(backends[0]!, { contractLoops: false });
    browser = await launchBrowser();
    agencyId = app.demo.keys.find((k) => k.label === "demo agency 0005")!.organisationId!;
    await app.built.trust.service.runOnce();
    const operator = app.key("demo operator");
    for (const body of [
      { kind: "penalty", points: 8, reason: "Workers sent to a site without the safety briefing the contract required", documentRef: "渝人社罚〔2026〕17号" },
      { kind: "commendation", points: 3, reason: "Staffed the winter relief warehouse at a day's notice", documentRef: "渝人社函〔2026〕88号" },
    ]) {
      const r = await call(app, "POST", `/v1/trust/organisations/${agencyId}/records`, { key: operator, body });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function open(path: string, width: number) {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    const urls: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => urls.push(r.url()));
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(m.text());
    });
    await page.goto(`${app.baseUrl}${path}`);
    return { page, context, urls, errors };
  }
  const noHorizontalScroll = (page: Page) => page.evaluate("document.documentElement.scrollWidth <= window.innerWidth");
  const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });

  it.each([360, 1280])("an agency's page at %i px: licences, colour and why, penalties and history; English by the switch", async (width) => {
    const { page, context, urls, errors } = await open(`/agencies/${agencyId}`, width);
    try {
      await page.waitForSelector("#history li");
      expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
      expect(await page.textContent("#colour")).toBe("蓝色（一般）");
      expect(await page.textContent("#points")).toBe("95.00 分");
      expect(await page.textContent("#licences")).toContain("人力资源服务许可证");
      expect(await page.textContent("#licences")).toContain("有效期至 2029-12-31");
      expect(await page.textContent("#penalties")).toContain("渝人社罚〔2026〕17号");
      expect(await page.textContent("#history")).toContain("表彰");
      expect(await noHorizontalScroll(page)).toBe(true);
      await shot(page, `public-agency-${width}`);
      await page.click("#lang");
      await page.waitForSelector("html[lang=en]");
      expect(await page.textContent("#colour")).toBe("Blue (standard)");
      expect(await page.textContent("#penalties")).toContain("Penalty");
      expect(await noHorizontalScroll(page)).toBe(true);
      const html = await page.content();
      expect(findSensitive(html, { phones: app.demo.workerPhones })).toEqual([]);
      expect(urls.every((u) => u.startsWith(app.baseUrl))).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("the directory at 360 px: searches by district and lists agencies with their colour and licences", async () => {
    const district = (await call(app, "GET", `/v1/organisations/${agencyId}`, { key: app.key("demo operator") })).body.districtCode as string;
    const { page, context, urls, errors } = await open("/agencies", 360);
    try {
      await page.waitForSelector("#agencies li");
      await page.waitForSelector(`#district option[value='${district}']`, { state: "attached" });
      await page.selectOption("#district", district);
      await Promise.all([page.waitForResponse((r) => r.url().includes("/v1/public/agencies?") && r.url().includes(`district=${district}`)), page.click("#search button[type=submit]")]);
      await page.waitForSelector("#agencies li");
      const text = await page.textContent("#agencies");
      expect(text).toMatch(/蓝色（一般）|尚未评级/);
      expect(await noHorizontalScroll(page)).toBe(true);
      await shot(page, "agencies-directory-360");
      expect(text).toContain(app.demo.organisations.find((o) => o.id === agencyId)!.name);
      await page.click("#agencies li a");
      await page.waitForURL(/\/agencies\/org_/);
      await page.waitForSelector("#licences li");
      expect(urls.every((u) => u.startsWith(app.baseUrl))).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("the trust settings page shows the version in force and its weights", async () => {
    const { page, context, errors } = await open("/trust/settings", 360);
    try {
      await page.waitForSelector("#weights li");
      expect(await page.textContent("#version")).toBe("2026-1");
      expect(await page.textContent("#weights")).toContain("工人缺勤");
      expect(await page.textContent("#thresholds")).toContain("低于 60 分为黑色");
      expect(await noHorizontalScroll(page)).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
