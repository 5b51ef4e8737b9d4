/**
 * The operator console (/console…), for a laptop screen: reconciliation
 * (control totals, statement imports with their progress, runs, the
 * exception queue: assign, comment, resolve with a correcting transfer),
 * the disputes queue with the split tool, the ledger (trial balance,
 * hash-chain and checkpoint verification, CSV exports), payments (top-up
 * confirmations, withdrawals, payout batches) and charts (ECharts, served by
 * Shiftex; richText tooltips under the CSP). Operators sign in with their API
 * key, kept in the tab's sessionStorage as on the trading pages. Plain HTML
 * whose texts come from /assets/console.js's dictionary (zh-CN first,
 * English switch).
 */
import { readFileSync } from "node:fs";
import { echartsAsset } from "./vendor";
import { pageShell, SIGNED_IN_BAR } from "./page-shell";

export type ConsolePage = "login" | "reconciliation" | "disputes" | "ledger" | "payments" | "charts";

/** The script and style sheet, read once at start-up. */
export const consoleJs = readFileSync(new URL("./assets/console.js", import.meta.url), "utf8");
export const consoleCss = readFileSync(new URL("./assets/console.css", import.meta.url), "utf8");

const NAV: { page: Exclude<ConsolePage, "login">; href: string; key: string }[] = [
  { page: "reconciliation", href: "/console", key: "navRecon" },
  { page: "disputes", href: "/console/disputes", key: "navDisputes" },
  { page: "ledger", href: "/console/ledger", key: "navLedger" },
  { page: "payments", href: "/console/payments", key: "navPayments" },
  { page: "charts", href: "/console/charts", key: "navCharts" },
];

function shell(page: ConsolePage, main: string): string {
  const signedIn = page !== "login";
  return pageShell({
    page,
    styles: ["/assets/trade.css", "/assets/console.css"],
    scripts: [...(page === "charts" ? [echartsAsset().path] : []), "/assets/kit.js", "/assets/console.js"],
    nav: signedIn ? NAV.map((n) => ({ href: n.href, key: n.key, current: n.page === page })) : [],
    brand: ' <span data-t="consoleBrand"></span>',
    bar: signedIn ? SIGNED_IN_BAR : "",
    bodyClass: "console",
    mainAttrs: page === "login" ? ' class="narrow" hidden' : " hidden",
    note: true,
  }, main);
}

const providerSelect = (id: string) => `<select id="${id}"><option value="offline" data-t="provider_offline"></option><option value="stripe" data-t="provider_stripe"></option></select>`;

const login = shell("login", `  <h1 data-t="loginTitle"></h1>
  <p class="sub" data-t="loginSub"></p>
  <form id="login-form" novalidate autocomplete="off">
    <label for="apikey"><span data-t="apiKey"></span></label>
    <input id="apikey" name="apikey" type="password" autocomplete="off" spellcheck="false" required>
    <button id="signin" type="submit" data-t="signIn"></button>
  </form>
  <p class="muted" data-t="loginHint"></p>`);

const reconciliation = shell("reconciliation", `  <h1 data-t="navRecon"></h1>
  <div class="layout two">
    <section class="panel" id="totals-panel">
      <h2 data-t="totalsTitle"></h2>
      <form id="totals-form" class="row">
        <label><span data-t="provider"></span>${providerSelect("totals-provider")}</label>
        <label><span data-t="date"></span><input id="totals-date" type="date"></label>
        <button type="submit" id="totals-refresh" data-t="refresh"></button>
      </form>
      <table class="grid" id="totals"><thead><tr>
        <th data-t="currency"></th><th data-t="ledgerSide"></th><th data-t="providerSide"></th><th data-t="difference"></th><th data-t="explained"></th><th data-t="unexplained"></th><th data-t="openCount"></th>
      </tr></thead><tbody></tbody></table>
      <p class="muted" id="totals-asof"></p>
    </section>
    <section class="panel">
      <h2 data-t="importTitle"></h2>
      <p class="sub" data-t="importSub"></p>
      <form id="import-form" class="row">
        <label><span data-t="statementFile"></span><input id="import-file" type="file" accept=".csv,text/csv"></label>
        <label><span data-t="encoding"></span><select id="import-encoding"><option value="utf-8">UTF-8</option><option value="gb18030">GB18030</option></select></label>
        <button type="submit" id="import" data-t="importButton"></button>
      </form>
      <div id="import-progress-box" class="progress-box" hidden><progress id="import-progress" max="1" value="0"></progress> <span id="import-progress-text"></span></div>
      <h3 class="spaced" data-t="imports"></h3>
      <ol id="imports" class="list"></ol>
    </section>
  </div>
  <section class="panel spaced">
    <h2 data-t="runsTitle"></h2>
    <form id="run-form" class="row">
      <label><span data-t="provider"></span>${providerSelect("run-provider")}</label>
      <label><span data-t="runDate"></span><input id="run-date" type="date"></label>
      <button type="submit" id="run" data-t="runButton"></button>
    </form>
    <table class="grid" id="runs"><thead><tr>
      <th data-t="runDate"></th><th data-t="provider"></th><th data-t="ledgerCount"></th><th data-t="providerCount"></th><th data-t="matched"></th><th data-t="exceptionsCol"></th><th data-t="suggestions"></th><th data-t="difference"></th><th data-t="startedAt"></th>
    </tr></thead><tbody></tbody></table>
  </section>
  <section class="panel spaced">
    <h2 data-t="exceptionsTitle"></h2>
    <form id="exceptions-filter" class="row">
      <label><span data-t="status"></span><select id="exceptions-status">
        <option value="open" data-t="status_open"></option><option value="resolved" data-t="status_resolved"></option><option value="cleared" data-t="status_cleared"></option><option value="" data-t="all"></option>
      </select></label>
    </form>
    <ol id="exceptions" class="list exceptions"></ol>
  </section>`);

const disputes = shell("disputes", `  <h1 data-t="navDisputes"></h1>
  <p class="sub" data-t="disputesSub"></p>
  <section class="panel"><ol id="disputes" class="list"></ol></section>`);

const ledger = shell("ledger", `  <h1 data-t="navLedger"></h1>
  <div class="layout two">
    <section class="panel">
      <h2 data-t="trialBalance"></h2>
      <table class="grid" id="tb-ledgers"><thead><tr><th data-t="currency"></th><th data-t="accounts"></th><th data-t="debitsPosted"></th><th data-t="creditsPosted"></th><th data-t="debitsPending"></th><th data-t="creditsPending"></th><th data-t="balanced"></th></tr></thead><tbody></tbody></table>
      <h3 class="spaced" data-t="byCode"></h3>
      <table class="grid" id="tb-codes"><thead><tr><th data-t="code"></th><th data-t="currency"></th><th data-t="accounts"></th><th data-t="debitsPosted"></th><th data-t="creditsPosted"></th><th data-t="net"></th></tr></thead><tbody></tbody></table>
      <p class="muted" id="tb-asof"></p>
    </section>
    <section class="panel">
      <h2 data-t="verifyTitle"></h2>
      <p class="sub" data-t="verifySub"></p>
      <button type="button" id="verify" data-t="verifyButton"></button>
      <dl id="verify-result" class="facts" hidden></dl>
      <h3 class="spaced" data-t="checkpoints"></h3>
      <p class="muted" id="signing-key"></p>
      <ol id="checkpoints" class="list"></ol>
    </section>
  </div>
  <section class="panel spaced">
    <h2 data-t="exportsTitle"></h2>
    <form id="export-form" class="row" novalidate>
      <label><span data-t="date"></span><input id="export-date" type="date"></label>
      <button type="button" id="export-tb" class="secondary" data-t="exportTrialBalance"></button>
      <button type="button" id="export-transfers" class="secondary" data-t="exportTransfers"></button>
      <label><span data-t="contractId"></span><input id="export-contract" autocomplete="off" spellcheck="false"></label>
      <button type="button" id="export-statement" class="secondary" data-t="exportStatement"></button>
    </form>
  </section>`);

const payments = shell("payments", `  <h1 data-t="navPayments"></h1>
  <div class="layout two">
    <section class="panel"><h2 data-t="topUpsTitle"></h2><p class="sub" data-t="topUpsSub"></p><ol id="topups" class="list"></ol></section>
    <section class="panel">
      <h2 data-t="withdrawalsTitle"></h2>
      <ol id="withdrawals" class="list"></ol>
      <button type="button" id="batch" class="spaced" data-t="batchButton"></button>
      <h3 class="spaced" data-t="batchesTitle"></h3>
      <ol id="batches" class="list"></ol>
    </section>
  </div>`);

const charts = shell("charts", `  <h1 data-t="navCharts"></h1>
  <form id="charts-form" class="row narrowform">
    <label><span data-t="from"></span><input id="charts-from" type="date"></label>
    <label><span data-t="to"></span><input id="charts-to" type="date"></label>
    <button type="submit" data-t="refresh"></button>
  </form>
  <div class="layout two spaced">
    <section class="panel"><h2 data-t="chartVolume"></h2><div id="chart-volume" class="chart" role="img"></div></section>
    <section class="panel"><h2 data-t="chartExceptions"></h2><div id="chart-exceptions" class="chart" role="img"></div></section>
    <section class="panel"><h2 data-t="chartArrears"></h2><p class="sub" data-t="arrearsSub"></p><div id="chart-arrears" class="chart" role="img"></div></section>
    <section class="panel"><h2 data-t="arrearsOldest"></h2><ol id="arrears-oldest" class="list"></ol></section>
  </div>`);

export const consoleHtml: Record<ConsolePage, string> = { login, reconciliation, disputes, ledger, payments, charts };
