/**
 * The public-data pages: /prices (guidance prices over time with a chart,
 * and the city's placement totals; no login) and /stats (the regulator's and
 * operators' statistics with charts and the CSV export; sign-in with the API
 * key, kept in the tab's sessionStorage). Plain HTML; every text comes from
 * /assets/publicdata.js's dictionary (zh-CN by default, English by the
 * switch). Charts are the vendored ECharts with the richText tooltip, so the
 * strict CSP holds.
 */
import { readFileSync } from "node:fs";
import { echartsAsset } from "./vendor";
import { pageShell } from "./page-shell";

export type PublicDataPage = "prices" | "stats";

/** The script and style sheet, read once at start-up. */
export const publicDataJs = readFileSync(new URL("./assets/publicdata.js", import.meta.url), "utf8");
export const publicDataCss = readFileSync(new URL("./assets/publicdata.css", import.meta.url), "utf8");

function shell(page: PublicDataPage, main: string): string {
  return pageShell({
    page,
    styles: ["/assets/publicdata.css"],
    scripts: [echartsAsset().path, "/assets/publicdata.js"],
    nav: [
      { href: "/prices", key: "navPrices", current: page === "prices" },
      { href: "/stats", key: "navStats", current: page === "stats" },
    ],
    mainAttrs: " hidden",
  }, main);
}

const totals = `<section class="panel" id="totals-panel">
    <h2 data-t="cityTotals"></h2>
    <p class="sub" id="totals-range"></p>
    <dl class="totals" id="totals"></dl>
  </section>`;

const prices = shell("prices", `  <h1 data-t="pricesTitle"></h1>
  <p class="sub" data-t="pricesSub"></p>
  <section class="panel">
    <form id="prices-form" class="row">
      <label><span data-t="skill"></span><select id="skill"></select></label>
      <label><span data-t="district"></span><select id="district"></select></label>
      <label><span data-t="weeks"></span><select id="weeks"><option value="12">12</option><option value="26" selected>26</option><option value="52">52</option></select></label>
      <button type="submit" id="show" data-t="show"></button>
    </form>
    <div id="chart" class="chart" role="img"></div>
    <p class="muted" id="chart-note"></p>
    <p><a id="csv" href="/v1/public/guidance-prices?format=csv" data-t="downloadCsv" download></a></p>
    <div class="scroll"><table id="prices-table"><thead><tr>
      <th data-t="colWeek"></th><th data-t="colTrades"></th><th data-t="colHeadcount"></th><th data-t="colVwap"></th><th data-t="colP25"></th><th data-t="colMedian"></th><th data-t="colP75"></th>
    </tr></thead><tbody></tbody></table></div>
  </section>
  ${totals}`);

const stats = shell("stats", `  <h1 data-t="statsTitle"></h1>
  <section class="panel narrow" id="login-panel" hidden>
    <p class="sub" data-t="statsLogin"></p>
    <form id="login-form" novalidate autocomplete="off">
      <label for="apikey"><span data-t="apiKey"></span></label>
      <input id="apikey" type="password" autocomplete="off" spellcheck="false" required>
      <button id="signin" type="submit" data-t="signIn"></button>
    </form>
    <p class="muted" data-t="publicHint"></p>
  </section>
  <div id="stats-view" hidden>
    <section class="panel">
      <form id="stats-form" class="row">
        <label><span data-t="weeks"></span><select id="weeks"><option value="12">12</option><option value="26">26</option><option value="52" selected>52</option></select></label>
        <button type="submit" id="show" data-t="show"></button>
        <button type="button" id="download" class="secondary" data-t="downloadCsv"></button>
        <button type="button" id="signout" class="link" data-t="signOut"></button>
      </form>
      <p class="sub" id="stats-range"></p>
      <dl class="totals" id="city"></dl>
    </section>
    <div class="layout two">
      <section class="panel"><h2 data-t="byWeek"></h2><div id="chart-week" class="chart"></div></section>
      <section class="panel"><h2 data-t="byDistrict"></h2><div id="chart-district" class="chart"></div></section>
    </div>
    <div class="layout two">
      <section class="panel"><h2 data-t="byKeyGroup"></h2><div class="scroll"><table id="table-keygroup"></table></div></section>
      <section class="panel"><h2 data-t="bySkill"></h2><div class="scroll"><table id="table-skill"></table></div></section>
    </div>
  </div>`);

export const publicDataHtml: Record<PublicDataPage, string> = { prices, stats };
