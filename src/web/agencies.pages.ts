/**
 * The public disclosure pages (no login): the agency directory (search by district, skill and name), one
 * agency's page (licences and validity, colour and why, points history with reasons only, penalties), and the
 * integrity points' settings in force. Every text comes from /assets/agencies.js's dictionary (zh-CN first,
 * English switch); the data from the public API; nothing from another origin.
 */
import { readFileSync } from "node:fs";
import { pageShell } from "./page-shell";

export type AgenciesPage = "directory" | "agency" | "settings";

/** The pages' script and style sheet, read once at start-up. */
export const agenciesJs = readFileSync(new URL("./assets/agencies.js", import.meta.url), "utf8");
export const agenciesCss = readFileSync(new URL("./assets/agencies.css", import.meta.url), "utf8");

function shell(page: AgenciesPage, main: string): string {
  return pageShell({
    page,
    styles: ["/assets/trade.css", "/assets/agencies.css"],
    scripts: ["/assets/kit.js", "/assets/agencies.js"],
    nav: [
      { href: "/agencies", key: "navAgencies", current: page === "directory" },
      { href: "/trust/settings", key: "navSettings", current: page === "settings" },
    ],
  }, main);
}

const directory = shell("directory", `  <h1 data-t="dirTitle"></h1>
  <p class="sub" data-t="dirSub"></p>
  <section class="panel">
    <form id="search" class="row">
      <label><span data-t="district"></span><select id="district" name="district"><option value="" data-t="any"></option></select></label>
      <label><span data-t="skill"></span><select id="skill" name="skill"><option value="" data-t="any"></option></select></label>
      <label><span data-t="name"></span><input id="q" name="q" maxlength="100" autocomplete="off"></label>
      <button type="submit" data-t="search"></button>
    </form>
  </section>
  <ol id="agencies" class="list agencies" aria-live="polite"></ol>
  <p id="empty" class="muted" data-t="none" hidden></p>
  <button id="more" type="button" class="secondary" data-t="more" hidden></button>`);

const agency = shell("agency", `  <p><a href="/agencies" data-t="back"></a></p>
  <h1 id="name"></h1>
  <section class="panel rating">
    <div class="line"><span id="colour" class="colour"></span><span id="points" class="points"></span></div>
    <p id="why" class="muted"></p>
    <p class="muted"><span id="district"></span> · <span id="registered"></span> · <a href="/trust/settings" id="version"></a></p>
  </section>
  <section class="panel"><h2 data-t="licences"></h2><ol id="licences" class="list"></ol></section>
  <section class="panel"><h2 data-t="penalties"></h2><ol id="penalties" class="list"></ol></section>
  <section class="panel"><h2 data-t="transitions"></h2><ol id="transitions" class="list"></ol></section>
  <section class="panel"><h2 data-t="history"></h2><ol id="history" class="list"></ol></section>`);

const settings = shell("settings", `  <h1 data-t="setTitle"></h1>
  <p class="sub" data-t="setSub"></p>
  <section class="panel"><h2><span data-t="version"></span> <span id="version" class="mono"></span></h2>
    <p id="thresholds"></p><p id="red"></p><p id="serious"></p></section>
  <section class="panel"><h2 data-t="weights"></h2><ol id="weights" class="list"></ol></section>
  <section class="panel"><h2 data-t="decay"></h2><ol id="decay" class="list"></ol></section>
  <section class="panel"><h2 data-t="versions"></h2><ol id="versions" class="list"></ol></section>`);

export const agenciesHtml: Record<AgenciesPage, string> = { directory, agency, settings };
