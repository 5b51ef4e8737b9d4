// The vendored ECharts draws a chart in Chromium under the pages' own content security policy (scripts and styles
// from 'self' only), at 360 px and 1280 px, loading nothing from elsewhere. The probe page is answered by the test
// (page.route) with the same CSP header every Shiftex page carries; ECharts itself comes from the running app.
// Found while writing it: ECharts' default HTML tooltip writes style="" attributes, which this CSP blocks
// (style-src-attr); pages must use `tooltip: { renderMode: "richText" }` (drawn on the canvas), as the probe does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { echartsAsset } from "../../src/web";
import { CSP } from "../../src/web/respond";
import { startTestApp, type TestApp } from "../helpers/build-app";
import { chromiumAvailable, launchBrowser } from "../helpers/browser";
import { backends, servicesRequired } from "../helpers/services";

if (!chromiumAvailable && servicesRequired) throw new Error("REQUIRE_SERVICES=1 but Chromium is not installed (apt-get install -y chromium)");

const PROBE_HTML = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/__probe/chart.css">
<script src="${echartsAsset().path}" defer></script><script src="/__probe/chart.js" defer></script></head>
<body><div id="chart"></div></body></html>`;
const PROBE_CSS = "body { margin: 0; } #chart { width: 100%; height: 320px; }";
const PROBE_JS = `
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
const chart = echarts.init(document.getElementById("chart"));
chart.setOption({
  animation: false,
  tooltip: { trigger: "axis", renderMode: "richText" },
  legend: {},
  xAxis: { type: "category", data: ["2026-W49", "2026-W50", "2026-W51"] },
  yAxis: { type: "value", name: "元/小时" },
  series: [
    { name: "中位数", type: "line", data: [30, 31, null] },
    { name: "p25", type: "line", data: [28, 29, 27.5] },
    { name: "p75", type: "line", data: [32, 33, 34] },
  ],
});
chart.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: 1 });
chart.on("finished", () => { document.body.dataset.drawn = "1"; });
`;

describe.skipIf(!chromiumAvailable)("vendored ECharts under the pages' CSP (Chromium)", () => {
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

  it.each([360, 1280])("draws a line chart with a tooltip at %i px, breaking no CSP rule and fetching only from Shiftex", async (width) => {
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    await page.route(`${app.baseUrl}/__probe/**`, async (route) => {
      const url = new URL(route.request().url());
      if (url.pathname === "/__probe/chart.js") return route.fulfill({ status: 200, contentType: "text/javascript; charset=utf-8", body: PROBE_JS });
      if (url.pathname === "/__probe/chart.css") return route.fulfill({ status: 200, contentType: "text/css; charset=utf-8", body: PROBE_CSS });
      return route.fulfill({ status: 200, headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": CSP }, body: PROBE_HTML });
    });
    await page.goto(`${app.baseUrl}/__probe/chart`);
    await page.waitForSelector("body[data-drawn='1']", { state: "attached", timeout: 10_000 });
    // Evaluated as text: the test project's types have no DOM.
    const canvas = await page.evaluate(`(() => { const c = document.querySelector("#chart canvas"); return c === null ? null : { width: c.clientWidth, height: c.clientHeight }; })()`);
    expect(canvas).toEqual({ width, height: 320 });
    expect(await page.evaluate("window.__violations")).toEqual([]);
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith(app.baseUrl))).toEqual([]);
    expect(requests).toContain(`${app.baseUrl}${echartsAsset().path}`);
    await context.close();
  });
});
