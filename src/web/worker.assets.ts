/**
 * The worker's pages: login (/login) and home (/worker). Plain HTML with one
 * script and one style sheet, all served by Shiftex (no CDN, strict CSP),
 * sized for a phone (usable at 360 px). Chinese by default with an English
 * switch remembered in localStorage; every text the page shows, including
 * errors, comes from the page's own dictionary: problem `code`s map to
 * localised messages, the server's English `detail` is never shown.
 */

import { readFileSync } from "node:fs";

const shell = (page: "login" | "worker", main: string) => `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shiftex</title>
<link rel="stylesheet" href="/assets/worker.css">
<script src="/assets/worker.js" defer></script>
</head>
<body data-page="${page}">
<header>
  <span class="brand">Shiftex</span>
  <button id="lang" type="button" class="link" lang="en">English</button>
</header>
<main id="app" hidden>
${main}
  <div id="note" class="note" role="status" hidden></div>
  <div id="error" class="error" role="alert" hidden></div>
</main>
<noscript>Shiftex 需要启用 JavaScript。Shiftex needs JavaScript.</noscript>
</body>
</html>`;

/** The login page: phone → one-time code → session; a worker already logged in goes straight home. */
export const loginHtml = shell("login", `  <h1 data-t="loginTitle"></h1>
  <p class="sub" data-t="loginSub"></p>
  <form id="phone-form" novalidate>
    <label for="phone" data-t="phone"></label>
    <input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" placeholder="138 0013 8000" required>
    <button id="send" type="submit" data-t="send"></button>
  </form>
  <form id="code-form" novalidate hidden>
    <label for="code" data-t="code"></label>
    <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required>
    <button id="verify" type="submit" data-t="login"></button>
  </form>`);

/**
 * The worker's home: offered shifts (confirm or decline), upcoming ones (check in and out with the site's
 * code), past ones with hours and earnings; pushed live over the `shifts` channel. A worker paid directly (an
 * independent worker's payable) also sees the balance and withdraws it to a bank account (POST /v1/withdrawals).
 */
export const workerHtml = shell("worker", `  <h1 data-t="homeTitle"></h1>
  <p id="hello" class="hello"></p>
  <p class="live-line"><span id="live" class="badge" data-t="live_connecting"></span></p>
  <section aria-labelledby="h-offered"><h2 id="h-offered" data-t="offered"></h2><ol id="offered" class="cards"></ol></section>
  <section aria-labelledby="h-openings"><h2 id="h-openings" data-t="openings"></h2><ol id="openings" class="cards"></ol></section>
  <section aria-labelledby="h-upcoming"><h2 id="h-upcoming" data-t="upcoming"></h2><ol id="upcoming" class="cards"></ol></section>
  <section aria-labelledby="h-past"><h2 id="h-past" data-t="past"></h2><ol id="past" class="cards"></ol></section>
  <section id="account" aria-labelledby="h-account" hidden>
    <h2 id="h-account" data-t="account"></h2>
    <div class="card">
      <div class="muted" data-t="available"></div>
      <div id="available" class="money"></div>
      <div id="pending" class="muted"></div>
      <form id="withdraw-form" novalidate>
        <label for="wd-amount" data-t="wdAmount"></label>
        <input id="wd-amount" name="amount" inputmode="decimal" autocomplete="off" placeholder="0.00" required>
        <label for="wd-name" data-t="wdName"></label>
        <input id="wd-name" name="name" autocomplete="name" required>
        <label for="wd-bank" data-t="wdBank"></label>
        <input id="wd-bank" name="bank" autocomplete="off" required>
        <label for="wd-number" data-t="wdNumber"></label>
        <input id="wd-number" name="number" inputmode="numeric" autocomplete="off" required>
        <button id="withdraw" type="submit" data-t="withdraw"></button>
      </form>
      <p class="muted" data-t="wdHint"></p>
    </div>
    <ol id="withdrawals" class="cards"></ol>
  </section>
  <button id="logout" type="button" class="secondary" data-t="logout"></button>`);

export const workerCss = `:root { font-family: system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #1b1f24; background: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0; }
header { display: flex; justify-content: space-between; align-items: center; max-width: 420px; margin: 0 auto; padding: 12px 20px 0; }
.brand { font-weight: 700; color: #0b6bcb; }
main { width: 100%; max-width: 420px; margin: 0 auto; padding: 16px 20px 24px; }
h1 { font-size: 1.4rem; margin: 0 0 4px; }
p.sub { margin: 0 0 24px; color: #57606a; }
p.hello { font-size: 1.2rem; margin: 16px 0 24px; overflow-wrap: anywhere; }
form { display: flex; flex-direction: column; gap: 12px; margin-bottom: 12px; }
label { font-weight: 600; }
input { width: 100%; font-size: 1.2rem; padding: 12px; border: 1px solid #c9d1d9; border-radius: 8px; }
button { font-size: 1.1rem; padding: 14px; border: 0; border-radius: 8px; background: #0b6bcb; color: white; min-height: 48px; width: 100%; }
button:disabled { background: #8bb4de; }
button.secondary { background: #eaeef2; color: #1b1f24; }
button.link { background: none; color: #0b6bcb; width: auto; min-height: 44px; padding: 8px 0 8px 12px; font-size: 1rem; }
.note, .error { padding: 12px; border-radius: 8px; margin-top: 12px; overflow-wrap: anywhere; }
.note { background: #fff8c5; }
.error { background: #ffebe9; color: #82071e; }
h2 { font-size: 1.1rem; margin: 20px 0 8px; }
.live-line { margin: 0 0 8px; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 999px; font-size: .8rem; background: #eaeef2; color: #57606a; }
.badge.live { background: #dafbe1; color: #116329; }
ol.cards { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px; }
ol.cards li { background: #fff; border: 1px solid #d8dee4; border-radius: 12px; padding: 12px; display: grid; gap: 6px; }
ol.cards li.fresh { animation: flash 1.5s ease-out; }
@keyframes flash { from { background: #fff8c5; } to { background: #fff; } }
.card-title { font-weight: 700; font-size: 1.05rem; }
.muted { color: #57606a; font-size: .9rem; }
.state { font-weight: 600; color: #0b6bcb; }
.money { font-size: 1.2rem; font-weight: 700; color: #116329; font-variant-numeric: tabular-nums; }
.row2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 8px; }
.codeform { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 8px; margin: 0; }
.codeform button { width: auto; padding: 12px 16px; }
.empty { color: #57606a; font-size: .95rem; margin: 0; }
.warn { background: #fff8c5; border-radius: 8px; padding: 8px; font-size: .9rem; }
.card { background: #fff; border: 1px solid #d8dee4; border-radius: 12px; padding: 12px; display: grid; gap: 6px; margin-bottom: 10px; }
.card form { margin: 8px 0 0; gap: 8px; }
[hidden] { display: none !important; }
`;

/** The pages' script: a file of its own (served at /assets/worker.js), read once at start-up. */
export const workerJs = readFileSync(new URL("./assets/worker.js", import.meta.url), "utf8");
