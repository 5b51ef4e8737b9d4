// The operator console in a real Chromium at laptop size: the operator signs in with an API key, imports a bank
// statement in which every kind of discrepancy is planted (matched aside: amount mismatch, missing in the ledger,
// missing at the provider, duplicate) and watches the import's progress, runs reconciliation, assigns and comments,
// resolves one exception of each kind with a correcting transfer, and sees the control totals' difference turn zero;
// then the trial balance and the chain verification, CSV exports, the disputes queue with the split tool, a top-up
// confirmation, the charts (ECharts served by Shiftex, richText tooltips under the CSP) and the English switch.
// Screenshots go to test/artifacts/ (git-ignored). Nothing is fetched from outside Shiftex.
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { residentIdWithChecksum, shanghaiDate } from "../../src/parties";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { chromiumAvailable, launchBrowser } from "../helpers/browser";
import { backends, servicesRequired } from "../helpers/services";

if (!chromiumAvailable && servicesRequired) throw new Error("REQUIRE_SERVICES=1 but Chromium is not installed (apt-get install -y chromium)");

const LAPTOP = { viewport: { width: 1366, height: 900 } };
const ARTIFACTS = "test/artifacts";
const HOUR = 3_600_000;
const MIN = 60_000;
const D = Date.UTC(2026, 11, 3, 0, 0); // 08:00 in Chongqing: a D1 shift to 17:00
const MARKET = "general-labourer.500107.2026-12-03.D1";

describe.skipIf(!chromiumAvailable)("operator console (Chromium, 1366×900)", () => {
  const clock = fixedClock(new Date(D - 30 * HOUR));
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  let operator: string;
  let ent: string;
  let agency: string;
  let contractId = "";
  const problems: string[] = [];
  const external: string[] = [];
  const refs: Record<string, string> = {};
  let day = "";

  const at = (ms: number) => clock.set(new Date(ms));
  const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });

  async function topUp(label: string, fen: number, bank?: string) {
    const t = await call(app, "POST", "/v1/top-ups", { key: ent, body: { amountFen: fen } });
    expect(t.status).toBe(201);
    refs[label] = t.body.reference;
    if (bank) expect((await call(app, "POST", `/v1/top-ups/${t.body.reference}/confirm`, { key: operator, body: { amountFen: fen, bankTransactionId: bank } })).status).toBe(200);
  }

  /** A one-seat contract worked and disputed by the enterprise (the operator's disputes queue). */
  async function disputedSeat(): Promise<string> {
    expect((await call(app, "POST", "/v1/orders", { key: ent, body: { side: "demand", market: MARKET, quantity: 1, rateFen: 3000 } })).status).toBe(201);
    const fill = await call(app, "POST", "/v1/orders", { key: agency, body: { side: "supply", market: MARKET, quantity: 1, rateFen: 3000 } });
    const id = fill.body.fills[0].contractId as string;
    await app.built.contracts.runtime.drain();
    const phone = "+8613755500077";
    const w = await call(app, "POST", "/v1/workers", {
      key: agency,
      body: { realName: "张伟", residentId: residentIdWithChecksum("50010719900101777"), phone, districtCode: "500107", skills: [{ skillId: "general-labourer", level: 0 }] },
    });
    expect(w.status).toBe(201);
    const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
    const cookie = (await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } })).headers.get("set-cookie")!.split(";")[0]!;
    expect((await call(app, "POST", `/v1/contracts/${id}/assignments`, { key: agency, body: { seat: 1, workerId: w.body.id } })).status).toBe(200);
    const shiftId = (await call(app, "GET", `/v1/contracts/${id}/workflow`, { key: operator })).body.seats[0].shiftId as string;
    expect((await call(app, "POST", `/v1/shifts/${shiftId}/confirm`, { cookie })).status).toBe(200);
    const code = async () => (await call(app, "GET", "/v1/site/code", { key: ent })).body.code as string;
    at(D - 5 * MIN);
    expect((await call(app, "POST", `/v1/shifts/${shiftId}/check-in`, { cookie, body: { code: await code() } })).status).toBe(200);
    at(D + HOUR);
    await app.built.contracts.runtime.fireDueTimers();
    at(D + 9 * HOUR);
    expect((await call(app, "POST", `/v1/shifts/${shiftId}/check-out`, { cookie, body: { code: await code() } })).status).toBe(200);
    await app.built.contracts.runtime.fireDueTimers();
    at(D + 10 * HOUR);
    const d = await call(app, "POST", `/v1/shifts/${shiftId}/dispute`, { key: ent, body: { reason: "14:00 就离开了", proposedMinutes: 300 } });
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    return id;
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await startTestApp(backends[0]!, { clock, contractLoops: false });
    operator = app.key("demo operator");
    ent = app.key("demo enterprise 0001");
    agency = app.key("demo agency 0004");
    day = shanghaiDate(clock.now().getTime());
    // The ledger side: top-ups confirmed with the bank's transaction ids. A funds the disputed contract below.
    await topUp("A", 1_000_000, "BANK-A");
    await topUp("B", 5_000, "BANK-B");
    await topUp("C", 7_000, "BANK-C");
    await topUp("D", 3_000, "BANK-D");
    contractId = await disputedSeat();
    browser = await launchBrowser();
    const context = await browser.newContext(LAPTOP);
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("request", (r) => { if (!r.url().startsWith(app.baseUrl) && !r.url().startsWith("blob:")) external.push(r.url()); });
    page.on("pageerror", (err) => problems.push(err.message));
    page.on("console", (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const statement = () =>
    "\uFEFFtransaction_id,date,amount,counterparty,reference\r\n" +
    `BANK-A,${day},10000.00,重庆某企业,货款 ${refs["A"]}\r\n` + // matched
    `BANK-B,${day},49.00,重庆某企业,${refs["B"]}\r\n` + // amount mismatch: the ledger credited 50.00
    `BANK-X,${day},12.34,不明来款,\r\n` + // missing in the ledger
    `BANK-D,${day},30.00,重庆某企业,${refs["D"]}\r\n` + // matched
    `BANK-D2,${day},30.00,重庆某企业,${refs["D"]}\r\n`; // the same payment reported twice: duplicate
  // top-up C (70.00) is not on the statement: missing at the provider

  const totalsRow = (cur = "CNY") => page.locator(`#totals tbody tr[data-currency="${cur}"]`);

  it("signs in with an operator's key only", async () => {
    await page.goto(`${app.baseUrl}/console`);
    await page.waitForURL(`${app.baseUrl}/console/login`);
    await page.waitForSelector("#app:not([hidden])");
    expect(await page.textContent("h1")).toBe("运营人员登录");
    await page.fill("#apikey", ent);
    await page.click("#signin");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.textContent("#error")).toBe("该密钥不属于运营人员。");
    await page.fill("#apikey", operator);
    await page.click("#signin");
    await page.waitForURL(`${app.baseUrl}/console`);
    await page.waitForSelector("#app:not([hidden])");
    expect(page.url()).not.toContain(operator);
  });

  it("imports the statement showing its progress, runs reconciliation and lists exactly the planted exceptions", async () => {
    await page.setInputFiles("#import-file", { name: "icbc-statement.csv", mimeType: "text/csv", buffer: Buffer.from(statement()) });
    await page.click("#import");
    await page.waitForSelector("#import-progress-box:not([hidden])");
    // evaluated in the page as text (the test project's types have no DOM)
    await page.locator("#import-progress-text", { hasText: /^已导入/ }).waitFor(); // a locator: a string predicate is polled with eval, which the CSP refuses
    expect(await page.textContent("#import-progress-text")).toBe("已导入：新增 5 行，已有 0 行（共 5 行）");
    expect(await page.getAttribute("#import-progress", "value")).toBe("5");
    await page.waitForSelector("#imports li[data-import]");

    await page.fill("#run-date", day);
    await page.click("#run");
    await page.waitForSelector("#runs tbody tr[data-run]");
    expect(await page.textContent("#note")).toBe("对账完成：匹配 2 笔，异常 4 笔。");
    await page.waitForSelector("#exceptions li[data-exception]");
    const kinds = await page.locator("#exceptions li[data-exception]").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-kind")).sort());
    expect(kinds).toEqual(["amount_mismatch", "duplicate", "missing_at_provider", "missing_in_ledger"]);
    // before any correction the difference is the planted one, explained by the open exceptions
    await totalsRow().waitFor();
    expect(await totalsRow().getAttribute("data-difference")).toBe(String(4_900 + 1_234 + 3_000 - 5_000 - 7_000));
    expect(await totalsRow().getAttribute("data-unexplained")).toBe("0");
    await shot("console-runs");
  });

  it("assigns and comments on an exception", async () => {
    const item = page.locator('#exceptions li[data-kind="amount_mismatch"]');
    await item.locator('form.assign input[name="owner"]').fill("王芳");
    await item.locator("form.assign button").click();
    await page.waitForSelector('#exceptions li[data-kind="amount_mismatch"] >> text=负责人: 王芳');
    await item.locator('form.comment input[name="note"]').fill("银行扣了 1 元手续费");
    await item.locator("form.comment button").click();
    await page.waitForSelector('#exceptions li[data-kind="amount_mismatch"] ul.notes li');
    expect(await item.locator("ul.notes li").textContent()).toContain("银行扣了 1 元手续费");
    await shot("console-exceptions");
  });

  it("resolves one exception of each kind with a correcting transfer; the control totals' difference turns zero", async () => {
    for (const kind of ["amount_mismatch", "missing_in_ledger", "missing_at_provider", "duplicate"]) {
      await page.locator(`#exceptions li[data-kind="${kind}"][data-status="open"] button.resolve-correct`).click();
      await page.waitForSelector(`#exceptions li[data-kind="${kind}"]`, { state: "detached" });
      expect(await page.textContent("#note")).toBe("异常已解决。");
    }
    await page.waitForSelector("#exceptions li.empty");
    // the corrections are new ledger transfers between clearing and suspense, one per exception
    const corrections = await app.database.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_transfers WHERE code = 'reconciliation' AND (debit_account_id = 'platform:suspense:CNY' OR credit_account_id = 'platform:suspense:CNY')`);
    expect(corrections.rows[0]!.n).toBe(4);
    await page.selectOption("#exceptions-status", "resolved");
    await page.waitForSelector('#exceptions li[data-status="resolved"]');
    expect(await page.locator('#exceptions li[data-status="resolved"]').count()).toBe(4);
    await shot("console-resolved");

    await page.fill("#totals-date", day);
    await page.click("#totals-refresh");
    await page.waitForSelector('#totals tbody tr[data-currency="CNY"][data-difference="0"]');
    expect(await totalsRow().getAttribute("data-unexplained")).toBe("0");
    expect(await page.textContent("#totals-asof")).toContain("差额为零");
    await page.locator("#totals-panel").scrollIntoViewIfNeeded();
    await shot("console-control-totals-zero");
  });

  it("shows the trial balance, verifies the hash chain and checkpoints, and exports CSVs", async () => {
    await page.click('nav a[href="/console/ledger"]');
    await page.waitForURL(`${app.baseUrl}/console/ledger`);
    await page.waitForSelector('#tb-ledgers tbody tr[data-ledger="CNY"]');
    expect(await page.getAttribute('#tb-ledgers tbody tr[data-ledger="CNY"]', "data-balanced")).toBe("true");
    await page.click("#verify");
    await page.waitForSelector("#verify-result:not([hidden])");
    expect(await page.getAttribute("#verify-result", "data-ok")).toBe("true");
    expect(await page.textContent("#verify-result")).toContain("验证通过");
    await shot("console-trial-balance");

    await page.fill("#export-date", day);
    const [tb] = await Promise.all([page.waitForEvent("download"), page.click("#export-tb")]);
    expect(tb.suggestedFilename()).toBe(`trial-balance-${day}.csv`);
    const [tr] = await Promise.all([page.waitForEvent("download"), page.click("#export-transfers")]);
    expect(tr.suggestedFilename()).toBe(`transfers-${day}.csv`);
    await page.fill("#export-contract", contractId);
    const [st] = await Promise.all([page.waitForEvent("download"), page.click("#export-statement")]);
    expect(st.suggestedFilename()).toBe(`contract-${contractId}-statement.csv`);
    const { readFile } = await import("node:fs/promises");
    const text = await readFile((await st.path())!, "utf8");
    expect(text.startsWith("\uFEFFat,transfer_id,kind,code,direction")).toBe(true);
    expect(text).toContain(contractId);
  });

  it("splits a disputed seat from the disputes queue", async () => {
    await page.click('nav a[href="/console/disputes"]');
    await page.waitForSelector(`#disputes li[data-contract="${contractId}"]`);
    const item = page.locator(`#disputes li[data-contract="${contractId}"]`);
    expect(await item.textContent()).toContain("14:00 就离开了");
    expect(await item.locator('input[name="minutes"]').inputValue()).toBe("300");
    await item.locator('input[name="minutes"]').fill("360");
    await item.locator('input[name="reason"]').fill("门禁记录 14:00 离开");
    await shot("console-disputes");
    await item.locator("form.split button").click();
    await page.waitForSelector("#disputes li.empty");
    expect(await page.textContent("#note")).toBe("已裁定：支付 360 分钟。");
    const wf = await call(app, "GET", `/v1/contracts/${contractId}/workflow`, { key: operator });
    expect(wf.body.seats[0].settlement).toMatchObject({ basis: "dispute_split", minutes: 360, reason: "门禁记录 14:00 离开" });
  });

  it("confirms a top-up, and draws the charts with ECharts from Shiftex", async () => {
    await topUp("F", 8_800);
    await page.click('nav a[href="/console/payments"]');
    const item = page.locator(`#topups li[data-topup="${refs["F"]}"]`);
    await item.waitFor();
    await item.locator('input[aria-label="银行流水号"]').fill("BANK-F");
    await item.locator("button").click();
    await page.waitForSelector(`#topups li[data-topup="${refs["F"]}"]`, { state: "detached" });
    expect(await page.textContent("#note")).toBe("已确认，钱包已入账。");

    await page.click('nav a[href="/console/charts"]');
    await page.fill("#charts-from", "2026-11-25");
    await page.fill("#charts-to", "2026-12-05");
    await page.click('#charts-form button[type="submit"]');
    await page.waitForSelector('body[data-charts="drawn"]');
    expect(await page.locator("#chart-volume canvas").count()).toBeGreaterThan(0);
    await shot("console-charts");
  });

  it("switches to English, and fetched nothing from outside Shiftex", async () => {
    await page.click("#lang");
    expect(await page.textContent("h1")).toBe("Charts");
    await page.click('nav a[href="/console"]');
    await page.waitForSelector("#app:not([hidden])");
    expect(await page.textContent("h1")).toBe("Reconciliation");
    expect(external).toEqual([]);
    expect(problems).toEqual([]);
  });
});
