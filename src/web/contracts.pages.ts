/**
 * The organisations' contract pages: the enterprise's site screen (the rotating check-in code, also as a QR
 * code drawn by the qrcode-generator library), the enterprise's timesheet approval, and the agency's staffing
 * page (assign and replace workers, seat status live). Signed in with the API key the trading pages keep in the
 * tab's sessionStorage; every text comes from /assets/contracts.js's dictionary (zh-CN first, English switch).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

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
  const scripts = `${page === "site" ? `<script src="/assets/qrcode.js" defer></script>\n` : ""}<script src="/assets/kit.js" defer></script>\n<script src="/assets/contracts.js" defer></script>`;
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shiftex</title>
<link rel="stylesheet" href="/assets/trade.css">
<link rel="stylesheet" href="/assets/contracts.css">
${scripts}
</head>
<body data-page="${page}">
<header class="top"><div class="bar">
    <span class="brand">Shiftex</span>
    <nav aria-label="Shiftex">${NAV.map((n) => `<a href="${n.href}" data-t="${n.key}" data-nav="${n.page}"${n.page === page ? ' aria-current="page"' : ""}></a>`).join("")}</nav>
    <span class="who" id="who"></span>
    <button id="lang" type="button" class="link" lang="en">English</button>
</div></header>
<main id="app" hidden>
${main}
  <div id="note" class="note" role="status" hidden></div>
  <div id="error" class="error" role="alert" hidden></div>
</main>
<noscript>Shiftex 需要启用 JavaScript。Shiftex needs JavaScript.</noscript>
</body>
</html>`;
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
