/**
 * The trading pages of organisation users (enterprises and agencies): sign-in
 * with an API key, the market (live book, trades, order entry, executions),
 * orders with their fills, contracts, and the wallet with the offline top-up.
 * Plain HTML; every text comes from /assets/trade.js's dictionary (zh-CN by
 * default, English by the switch), so the markup carries keys, not words.
 */
import { readFileSync } from "node:fs";
import { pageShell, SIGNED_IN_BAR } from "./page-shell";

export type TradePage = "login" | "market" | "orders" | "contracts" | "wallet";

/** The script and style sheet, read once at start-up. */
export const tradeJs = readFileSync(new URL("./assets/trade.js", import.meta.url), "utf8");
export const tradeCss = readFileSync(new URL("./assets/trade.css", import.meta.url), "utf8");

const NAV: { page: Exclude<TradePage, "login">; href: string; key: string }[] = [
  { page: "market", href: "/trade", key: "navMarket" },
  { page: "orders", href: "/trade/orders", key: "navOrders" },
  { page: "contracts", href: "/trade/contracts", key: "navContracts" },
  { page: "wallet", href: "/trade/wallet", key: "navWallet" },
];

function shell(page: TradePage, main: string): string {
  const signedIn = page !== "login";
  return pageShell({
    page,
    styles: ["/assets/trade.css"],
    scripts: ["/assets/kit.js", "/assets/trade.js"],
    nav: signedIn ? NAV.map((n) => ({ href: n.href, key: n.key, current: n.page === page })) : [],
    bar: signedIn ? SIGNED_IN_BAR : "",
    mainAttrs: page === "login" ? ' class="narrow" hidden' : " hidden",
    note: true,
  }, main);
}

const login = shell("login", `  <h1 data-t="loginTitle"></h1>
  <p class="sub" data-t="loginSub"></p>
  <form id="login-form" method="post" action="/trade/login" novalidate autocomplete="off">
    <label for="apikey"><span data-t="apiKey"></span></label>
    <input id="apikey" name="apikey" type="password" autocomplete="off" spellcheck="false" required>
    <button id="signin" type="submit" data-t="signIn"></button>
  </form>
  <p class="muted" data-t="loginHint"></p>
  <p class="muted"><a href="/login" data-t="workerLogin"></a></p>`);

const market = shell("market", `  <div class="layout market">
  <div class="col">
    <section class="panel">
      <h2 data-t="chooseMarket"></h2>
      <form id="market-form" class="row">
        <label><span data-t="skill"></span><select id="skill"></select></label>
        <label><span data-t="district"></span><select id="district"></select></label>
        <label><span data-t="date"></span><input id="date" type="date"></label>
        <label><span data-t="slot"></span><select id="slot"></select></label>
        <button type="submit" id="watch" data-t="watch"></button>
      </form>
      <p class="market-id"><code id="market-id"></code><span id="live" class="badge"></span></p>
    </section>
    <section class="panel">
      <h2 id="order-title"></h2>
      <form id="order-form" novalidate>
        <label id="side-choice" hidden><span data-t="orderKind"></span><select id="side">
          <option value="demand" data-t="kindDemand"></option><option value="shared" data-t="kindShared"></option>
        </select></label>
        <label><span id="qty-label"></span><input id="quantity" inputmode="numeric" autocomplete="off"></label>
        <label><span id="rate-label"></span><input id="rate" inputmode="decimal" autocomplete="off" placeholder="32.00"></label>
        <label><span data-t="tif"></span><select id="tif">
          <option value="good_till" data-t="tifGoodTill"></option><option value="ioc" data-t="tifIoc"></option><option value="fok" data-t="tifFok"></option>
        </select></label>
        <button type="submit" id="place"></button>
      </form>
      <div id="placed" class="ok" hidden></div>
    </section>
  </div>
  <div class="col">
    <section class="panel">
      <h2 data-t="book"></h2>
      <div class="book">
        <div class="demand"><h3 data-t="demandSide"></h3><ol id="book-demand" class="levels"></ol></div>
        <div class="supply"><h3 data-t="supplySide"></h3><ol id="book-supply" class="levels"></ol></div>
      </div>
    </section>
    <section class="panel"><h2 data-t="trades"></h2><ol id="trades" class="list"></ol></section>
  </div>
  <div class="col">
    <section class="panel"><h2 data-t="myOrdersHere"></h2><ol id="my-orders" class="list"></ol></section>
    <section class="panel"><h2 data-t="executions"></h2><ol id="executions" class="list"></ol></section>
  </div>
  </div>`);

const orders = shell("orders", `  <h1 data-t="navOrders"></h1>
  <section class="panel">
    <form id="orders-filter" class="row">
      <label><span data-t="state"></span><select id="state-filter">
        <option value="" data-t="all"></option><option value="open" data-t="state_open"></option><option value="filled" data-t="state_filled"></option>
        <option value="cancelled" data-t="state_cancelled"></option><option value="expired" data-t="state_expired"></option>
      </select></label>
    </form>
    <ol id="orders" class="list"></ol>
    <button id="orders-more" type="button" class="secondary" data-t="more" hidden></button>
  </section>`);

const contracts = shell("contracts", `  <h1 data-t="navContracts"></h1>
  <section class="panel">
    <ol id="contracts" class="list"></ol>
    <button id="contracts-more" type="button" class="secondary" data-t="more" hidden></button>
  </section>`);

const wallet = shell("wallet", `  <h1 data-t="navWallet"></h1>
  <div class="layout two">
    <section class="panel"><h2 data-t="balances"></h2><div id="accounts"></div></section>
    <section class="panel" id="topup-panel" hidden>
      <h2 data-t="topUpTitle"></h2>
      <p class="sub" data-t="topUpSub"></p>
      <form id="topup-form" class="row" novalidate>
        <label><span data-t="amountYuan"></span><input id="topup-amount" inputmode="decimal" autocomplete="off" placeholder="10000.00"></label>
        <button type="submit" id="topup" data-t="topUpRequest"></button>
      </form>
      <div id="instructions" class="instructions" hidden></div>
      <h3 data-t="topUps" class="spaced"></h3>
      <ol id="topups" class="list"></ol>
    </section>
  </div>`);

export const tradeHtml: Record<TradePage, string> = { login, market, orders, contracts, wallet };
