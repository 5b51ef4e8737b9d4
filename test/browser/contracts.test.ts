// The contract pages in a real browser (Debian's Chromium): the agency names a worker on its staffing page, the
// worker (a 360×740 phone) logs in and confirms, checks in with the code shown on the enterprise's site page,
// then checks out; the enterprise approves on its timesheet page; the worker sees the earnings. A screenshot of
// each page is saved under test/artifacts/ (git-ignored). An independent worker withdraws their pay on the phone.
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { residentIdWithChecksum } from "../../src/parties";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { chromiumAvailable, launchBrowser } from "../helpers/browser";
import { backends } from "../helpers/services";

const PHONE_SCREEN = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const DESK = { viewport: { width: 1100, height: 800 } };
const ARTIFACTS = "test/artifacts";
const D = Date.UTC(2026, 11, 3, 0, 0); // 08:00 in Chongqing, a D1 shift to 17:00
const MARKET = "general-labourer.500107.2026-12-03.D1";

describe.skipIf(!chromiumAvailable)("contract pages (Chromium; worker at 360×740)", () => {
  const clock = fixedClock(new Date(D - 30 * 3_600_000));
  let app: TestApp;
  let browser: Browser;
  const problems: string[] = [];
  const external: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await startTestApp(backends[0]!, { clock, contractLoops: false });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function open(screen: typeof PHONE_SCREEN | typeof DESK, geolocation?: { latitude: number; longitude: number }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ ...screen, ...(geolocation ? { geolocation, permissions: ["geolocation"] } : {}) });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("request", (r) => {
      if (!r.url().startsWith(app.baseUrl) && !r.url().startsWith("ws://127.0.0.1")) external.push(r.url());
    });
    page.on("pageerror", (err) => problems.push(err.message));
    page.on("console", (m) => { if (process.env["DEBUG_BROWSER"]) console.log("[browser]", m.text()); });
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    return { context, page };
  }
  async function signIn(page: Page, key: string) {
    await page.goto(`${app.baseUrl}/trade/login`);
    await page.waitForSelector("#app:not([hidden])");
    await page.fill("#apikey", key);
    await page.click("#signin");
    await page.waitForURL(`${app.baseUrl}/trade`);
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
  /** Waits for the site page to show a six-digit code other than `previous` (the page's CSP allows no eval, so poll). */
  async function siteCodeOtherThan(page: Page, previous: string): Promise<void> {
    for (let i = 0; i < 150; i++) {
      const text = (await page.textContent("#site-code")) ?? "";
      if (/^\d{6}$/.test(text) && text !== previous) return;
      await page.waitForTimeout(100);
    }
    throw new Error("the site page shows no new code");
  }
  const noHorizontalScroll = (page: Page) => page.evaluate("document.documentElement.scrollWidth <= window.innerWidth");

  it("assign → confirm on the phone → check in and out with the site's code → approve → the worker sees the earnings", async () => {
    const operator = app.key("demo operator");
    const ent = app.key("demo enterprise 0001");
    const agency = app.key("demo agency 0004");
    const t = await call(app, "POST", "/v1/top-ups", { key: ent, body: { amountFen: 1_000_000 } });
    await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: 1_000_000, bankTransactionId: "BANK-BROWSER-1" } });
    expect((await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: MARKET, quantity: 1, rateFen: 3000 } })).status).toBe(201);
    const fill = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market: MARKET, quantity: 1, rateFen: 3000 } });
    const contractId = fill.body.fills[0].contractId as string;
    const phone = "+8613755500001";
    const w = await call(app, "POST", "/v1/workers", {
      key: agency,
      body: { realName: "李明", residentId: residentIdWithChecksum("50010719900101555"), phone, districtCode: "500107", skills: [{ skillId: "general-labourer", level: 0 }] },
    });
    expect(w.status).toBe(201);
    // the site's fence, around where the worker's phone will say it is
    await call(app, "PUT", "/v1/site", { key: ent, body: { fence: { latitude: 29.563, longitude: 106.5516, radiusM: 300 } } });

    // 1. the agency names the worker on its staffing page (live seat status)
    const agencyTab = await open(DESK);
    await signIn(agencyTab.page, agency);
    await agencyTab.page.goto(`${app.baseUrl}/staffing`);
    await agencyTab.page.waitForSelector(`section[data-contract="${contractId}"] form.assign`);
    await agencyTab.page.selectOption(`section[data-contract="${contractId}"] form.assign select`, w.body.id);
    await agencyTab.page.click(`section[data-contract="${contractId}"] form.assign button`);
    await agencyTab.page.waitForSelector(`section[data-contract="${contractId}"] tr[data-status="assigned"]`);
    // beside the contract, the buyer's record: one contract in the window, not cancelled late, no timesheet decided yet
    expect(await agencyTab.page.textContent(`section[data-contract="${contractId}"] .reliability`)).toBe("企业信用（近 90 天）：迟取消 0.0% (0/1) · 工时争议 — · 审批用时中位数 —");
    expect(await agencyTab.page.textContent(`section[data-contract="${contractId}"] tr[data-seat="1"]`)).toContain("李明");
    // the deadlines (settings) are shown: staff by 07:00, confirm by 07:30, approve by 17:00 the next day (Asia/Shanghai)
    const deadlines = (await agencyTab.page.textContent(`section[data-contract="${contractId}"] .deadlines`)) ?? "";
    expect(deadlines).toMatch(/派工截止 12\/03 07:00/);
    expect(deadlines).toMatch(/确认截止 12\/03 07:30/);
    expect(deadlines).toMatch(/审批截止 12\/04 17:00/);
    await shot(agencyTab.page, "agency-staffing");

    // 2. the worker logs in on the phone and confirms the offer
    const phoneTab = await open(PHONE_SCREEN, { latitude: 29.5631, longitude: 106.5517 });
    const worker = phoneTab.page;
    await worker.goto(`${app.baseUrl}/login`);
    await worker.waitForSelector("#app:not([hidden])");
    await worker.fill("#phone", phone.replace("+86", ""));
    await worker.click("#send");
    await worker.waitForSelector("#note:not([hidden])");
    await worker.fill("#code", app.sentCodes.at(-1)!.code);
    await worker.click("#verify");
    await worker.waitForURL(`${app.baseUrl}/worker`);
    await worker.waitForSelector("#offered li[data-state='assigned'] button.confirm");
    expect(await worker.textContent("#h-offered")).toBe("新的班次邀请");
    expect(await worker.textContent("#offered li")).toContain("普工");
    expect(await worker.textContent("#offered li")).toMatch(/请在 12\/03 07:30 前确认/);
    // the employer's record beside the offer, on the phone
    expect(await worker.textContent("#offered li .reliability")).toBe("企业信用（近 90 天）：迟取消 0.0% (0/1) · 工时争议 — · 审批用时中位数 —");
    await shot(worker, "worker-1-offered");
    await worker.click("#offered li button.confirm");
    await worker.waitForSelector("#upcoming li[data-state='confirmed']");
    expect(await noHorizontalScroll(worker)).toBe(true);
    await shot(worker, "worker-2-confirmed");
    // the agency's page followed live
    await agencyTab.page.waitForSelector(`section[data-contract="${contractId}"] tr[data-status="confirmed"]`);

    // 3. on site: the enterprise's screen shows the code and its QR code; the worker types it
    clock.set(new Date(D - 5 * 60_000));
    const entTab = await open(DESK);
    await signIn(entTab.page, ent);
    await entTab.page.goto(`${app.baseUrl}/site`);
    await siteCodeOtherThan(entTab.page, "");
    await entTab.page.waitForSelector("#qr svg path");
    const code = (await entTab.page.textContent("#site-code"))!;
    expect(code).toBe((await call(app, "GET", "/v1/site/code", { key: ent })).body.code);
    await shot(entTab.page, "enterprise-site-code");

    await worker.reload();
    await worker.waitForSelector("#upcoming li[data-state='confirmed'] input.site-code");
    await worker.fill("#upcoming li input.site-code", code);
    await worker.click("#upcoming li button.check-in");
    await worker.waitForSelector("#upcoming li[data-state='checkedIn']");
    await shot(worker, "worker-3-checked-in");

    clock.set(new Date(D + 9 * 3_600_000));
    await app.built.contracts.runtime.fireDueTimers();
    await entTab.page.reload();
    await siteCodeOtherThan(entTab.page, code);
    const later = (await entTab.page.textContent("#site-code"))!;
    await worker.fill("#upcoming li input.site-code", later);
    await worker.click("#upcoming li button.check-out");
    await worker.waitForSelector("#upcoming li[data-state='checkedOut']");
    expect(await worker.textContent("#upcoming li[data-state='checkedOut'] .hours")).toContain("8");
    await shot(worker, "worker-4-checked-out");

    // 4. the enterprise approves the timesheet
    await entTab.page.goto(`${app.baseUrl}/site/timesheets`);
    await entTab.page.waitForSelector(`section[data-contract="${contractId}"] tr[data-state="checkedOut"] button.approve`);
    await shot(entTab.page, "enterprise-timesheets");
    await entTab.page.click(`section[data-contract="${contractId}"] button.approve`);
    await entTab.page.waitForSelector(`section[data-contract="${contractId}"] tr[data-state="approved"]`);
    expect(await entTab.page.textContent(`section[data-contract="${contractId}"] tr[data-state="approved"]`)).toContain("¥240.00");
    await shot(entTab.page, "enterprise-timesheets-approved");

    // 5. the worker's phone shows the earnings (pushed over the shifts channel)
    await worker.waitForSelector("#past li[data-state='approved'] .money");
    expect(await worker.textContent("#past li .money")).toContain("¥240.00");
    expect(await noHorizontalScroll(worker)).toBe(true);
    await shot(worker, "worker-5-earnings");
    // a few minutes on (the record is cached a minute), the employer's record counts the approval: decided the moment the shift ended
    clock.set(new Date(D + 9 * 3_600_000 + 3 * 60_000));
    await worker.reload();
    await worker.waitForSelector("#past li[data-state='approved'] .reliability");
    expect(await worker.textContent("#past li .reliability")).toBe("企业信用（近 90 天）：迟取消 0.0% (0/1) · 工时争议 0.0% (0/1) · 审批用时中位数 0.0 小时");
    expect(await noHorizontalScroll(worker)).toBe(true);
    await worker.click("#lang");
    expect(await worker.textContent("#past li .reliability")).toBe("Employer record (90 days): late cancellations 0.0% (0/1) · disputed timesheets 0.0% (0/1) · approves in 0.0 h (median)");
    expect(await worker.textContent("#past li .money")).toContain("Earned ¥240.00");
    await shot(worker, "worker-6-earnings-en");

    expect(external).toEqual([]);
    expect(problems).toEqual([]);
    for (const tab of [agencyTab, phoneTab, entTab]) await tab.context.close();
  }, 180_000);

  it("an independent worker sees the payable on the phone and withdraws it to a bank card (360×740, zh-CN and English)", async () => {
    const D2 = Date.UTC(2026, 11, 5, 0, 0);
    const market = "general-labourer.500107.2026-12-05.D1";
    clock.set(new Date(D2 - 30 * 3_600_000));
    const operator = app.key("demo operator");
    const ent = app.key("demo enterprise 0001");
    const agency = app.key("demo agency 0004");
    expect((await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market, quantity: 1, rateFen: 3000 } })).status).toBe(201);
    const fill = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market, quantity: 1, rateFen: 3000 } });
    const contractId = fill.body.fills[0].contractId as string;
    const phone = "+8613755500002";
    const w = await call(app, "POST", "/v1/workers", {
      key: operator,
      body: { realName: "王芳", residentId: residentIdWithChecksum("50010719920202666"), phone, districtCode: "500107", supplierId: null, skills: [{ skillId: "general-labourer", level: 0 }] },
    });
    expect(w.status, JSON.stringify(w.body)).toBe(201);
    // the shift is worked and approved over the API (the first test drove those pages); wages go to the worker's own payable
    expect((await call(app, "POST", `/v1/contracts/${contractId}/assignments`, { key: agency, body: { seat: 1, workerId: w.body.id } })).status).toBe(200);
    const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
    const cookie = (await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } })).headers.get("set-cookie")!.split(";")[0]!;
    const shiftId = (await call(app, "GET", "/v1/shifts", { cookie })).body.items[0].shiftId as string;
    await call(app, "POST", `/v1/shifts/${shiftId}/confirm`, { cookie, body: {} });
    clock.set(new Date(D2));
    await call(app, "POST", `/v1/shifts/${shiftId}/check-in`, { cookie, body: { code: (await call(app, "GET", "/v1/site/code", { key: ent })).body.code } });
    clock.set(new Date(D2 + 9 * 3_600_000));
    await call(app, "POST", `/v1/shifts/${shiftId}/check-out`, { cookie, body: { code: (await call(app, "GET", "/v1/site/code", { key: ent })).body.code } });
    const approved = await call(app, "POST", `/v1/shifts/${shiftId}/approve`, { key: ent, body: {} });
    expect(approved.body.earnings).toMatchObject({ paidTo: "worker", netFen: 24_000 - 720 });

    const { context, page } = await open(PHONE_SCREEN);
    await page.goto(`${app.baseUrl}/login`);
    await page.waitForSelector("#app:not([hidden])");
    await page.fill("#phone", phone.replace("+86", ""));
    await page.click("#send");
    await page.waitForSelector("#note:not([hidden])");
    await page.fill("#code", app.sentCodes.at(-1)!.code);
    await page.click("#verify");
    await page.waitForURL(`${app.baseUrl}/worker`);
    await page.waitForSelector("#account:not([hidden])");
    expect(await page.textContent("#h-account")).toBe("我的账户");
    expect(await page.textContent("#available")).toBe("¥232.80");
    expect(await page.inputValue("#wd-name")).toBe("王芳");
    // more than the balance: refused in the page's own words, nothing held
    await page.fill("#wd-amount", "300");
    await page.fill("#wd-bank", "中国农业银行重庆分行");
    await page.fill("#wd-number", "6228 4800 1234 5678 901");
    await page.click("#withdraw");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toContain("余额不足");
    await page.fill("#wd-amount", "100.5");
    await page.click("#withdraw");
    await page.waitForSelector("#withdrawals li[data-status='requested']");
    expect(await page.textContent("#available")).toBe("¥132.30");
    expect(await page.textContent("#withdrawals li")).toContain("¥100.50");
    expect(await page.textContent("#note")).toContain("¥100.50");
    expect(await noHorizontalScroll(page)).toBe(true);
    await shot(page, "worker-7-withdrawal");
    await page.click("#lang");
    expect(await page.textContent("#h-account")).toBe("My account");
    expect(await page.textContent("#withdrawals li .state")).toBe("Waiting to be paid");
    await shot(page, "worker-8-withdrawal-en");
    const listed = (await call(app, "GET", "/v1/withdrawals", { cookie })).body.items;
    expect(listed).toEqual([expect.objectContaining({ workerId: w.body.id, amountFen: 10_050, status: "requested", bankAccountNumber: "6228480012345678901" })]);

    expect(external).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);
});
