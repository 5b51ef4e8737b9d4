/**
 * The organisations' contract pages: the enterprise's site screen (the rotating check-in code, also as a QR
 * code drawn by the qrcode-generator library), the enterprise's timesheet approval, and the agency's staffing
 * page (assign and replace workers, seat status live). Signed in with the API key the trading pages keep in the
 * tab's sessionStorage; every text comes from /assets/contracts.js's dictionary (zh-CN first, English switch).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pageShell, WHO } from "./page-shell";

export type ContractsPage = "site" | "timesheets" | "staffing";

/** The pages' script and style sheet, and the QR library's browser build, read once at start-up. */
export const contractsJs = readFileSync(new URL("./assets/contracts.js", import.meta.url), "utf8");
export const contractsCss = readFileSync(new URL("./assets/contracts.css", import.meta.url), "utf8");
export const qrcodeJs = readFileSync(createRequire(import.meta.url).resolve("qrcode-generator"), "utf8");

const NAV: { page: ContractsPage | "trade"; href: string; key: string }[] = [
  { page: "trade", href: "/trade", key: "navTrade" },
  { page: "site", href: "/site", key: "navSite" },
  { page: "timesheets", href: "/site/timesheets", key: "navTimesheets" },
  { page: "staffing", href: "/staffing", key: "navStaffing" },
];

function shell(page: ContractsPage, main: string): string {
  return pageShell({
    page,
    styles: ["/assets/trade.css", "/assets/contracts.css"],
    scripts: [...(page === "site" ? ["/assets/qrcode.js"] : []), "/assets/kit.js", "/assets/contracts.js"],
    nav: NAV.map((n) => ({ href: n.href, key: n.key, current: n.page === page, attrs: ` data-nav="${n.page}"` })),
    bar: WHO,
    mainAttrs: " hidden",
    note: true,
  }, main);
}

const site = shell("site", `  <h1 data-t="siteTitle"></h1>
  <section class="panel site">
    <p class="sub" data-t="siteSub"></p>
    <div class="code-box"><div id="site-code" class="site-code" aria-live="polite"></div><div id="qr" class="qr" role="img"></div></div>
    <p class="muted"><span data-t="rotates"></span> <span id="countdown"></span></p>
  </section>`);

const timesheets = shell("timesheets", `  <h1 data-t="timesheetsTitle"></h1>
  <p class="sub" data-t="timesheetsSub"></p>
  <div id="contracts" class="stack"></div>`);

const staffing = shell("staffing", `  <h1 data-t="staffingTitle"></h1>
  <p class="sub"><span data-t="staffingSub"></span> <span id="live" class="badge"></span></p>
  <div id="contracts" class="stack"></div>`);

export const contractsHtml: Record<ContractsPage, string> = { site, timesheets, staffing };
