// @ts-check
/**
 * The trading journey as plain steps, shared by the k6 scripts and the in-repo Node runner
 * (load/journey-runner.ts): every step is a generator that yields an HTTP request and receives
 * its response, so k6 (synchronous http) and Node (fetch) drive the very same logic.
 * No imports: this file runs unchanged in k6 ≥ 0.48 and in Node. ES2017 syntax only.
 *
 * Enterprises keep their wallets funded (offline top-up, confirmed by an operator) and place
 * demand orders; agencies place crossing supply offers at the best bid; some demand orders are
 * cancelled. Every response is checked through ctx.check.
 */

/**
 * @typedef {{ method: "GET"|"POST"|"DELETE"|"PATCH", path: string, route: string, name: string,
 *   key: string, body?: any, idempotencyKey?: string, expected?: number[] }} Request
 * @typedef {{ status: number, json: any }} Response
 * @typedef {Generator<Request, any, Response>} Step
 * @typedef {{ key: string, organisationId: string }} Party
 * @typedef {{ id: string, minimumRateFen: number, tickFen: number }} Market
 * @typedef {{ operatorKey: string, runId: string, markets: Market[], enterprises: Party[], agencies: Party[] }} RunData
 * @typedef {{ check: (label: string, ok: boolean) => void, count: (metric: string, n: number) => void, random: () => number }} Ctx
 */

const ORDER_STATES = ["open", "filled", "cancelled", "expired"];
/** Top up when a wallet's available money falls below this (fen), by this much. */
export const FUND_BELOW_FEN = 2000000;
export const TOP_UP_FEN = 10000000;
/** Share of open demand orders an enterprise cancels right after placing them. */
export const CANCEL_RATIO = 0.3;

/**
 * @param {Request["method"]} method @param {string} path @param {string} route @param {string} name
 * @param {string} key @param {any} [body] @param {{ idempotencyKey?: string, expected?: number[] }} [extra]
 * @returns {Request}
 */
export function request(method, path, route, name, key, body, extra) {
  /** @type {Request} */
  const r = { method: method, path: path, route: route, name: name, key: key };
  if (body !== undefined) r.body = body;
  if (extra && extra.idempotencyKey) r.idempotencyKey = extra.idempotencyKey;
  if (extra && extra.expected) r.expected = extra.expected;
  return r;
}

/** A small seeded generator (mulberry32), so a Node run can be repeated exactly. @param {number} seed */
export function seeded(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @param {() => number} random @param {number} n an integer in [0, n) */
function below(random, n) {
  return Math.floor(random() * n);
}

/** Today's date in Asia/Shanghai plus `days`, as YYYY-MM-DD. @param {number} nowMs @param {number} days */
export function shanghaiDate(nowMs, days) {
  return new Date(nowMs + 8 * 3600 * 1000 + days * 86400 * 1000).toISOString().slice(0, 10);
}

const CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** A valid unified social credit code (GB 32100-2015) for a test organisation; serial below 31^5. @param {string} district @param {number} serial */
export function creditCode(district, serial) {
  let tail = "";
  let n = serial;
  for (let i = 0; i < 5; i++) {
    tail = CREDIT_CHARSET.charAt(n % 31) + tail;
    n = Math.floor(n / 31);
  }
  // 9 (registered with market regulation) 1 (enterprise) 50xxxx (Chongqing district) MA K6 + 5 serial characters.
  const first17 = "9150" + district.slice(2) + "MAK6" + tail;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CREDIT_CHARSET.indexOf(first17.charAt(i)) * CREDIT_WEIGHTS[i];
  return first17 + CREDIT_CHARSET.charAt((31 - (sum % 31)) % 31);
}

/**
 * Prepares a run: the markets to trade (from GET /v1/markets) and the parties, either given as
 * API keys or created through the operator (organisations, verified agency licences, API keys).
 * @param {Ctx} ctx
 * @param {{ operatorKey: string, nowMs: number, enterpriseKeys: string[], agencyKeys: string[],
 *   createEnterprises: number, createAgencies: number, skills: string[], district: string, daysAhead: number }} opts
 * @returns {Generator<Request, RunData, Response>}
 */
export function* prepare(ctx, opts) {
  const runId = String(opts.nowMs);
  const date = shanghaiDate(opts.nowMs, opts.daysAhead);
  /** @type {Market[]} */
  const markets = [];
  for (const skill of opts.skills) {
    const r = yield request("GET", "/v1/markets?skill=" + skill + "&district=" + opts.district + "&date=" + date + "&limit=10", "/v1/markets", "markets", opts.operatorKey);
    const ok = r.status === 200 && Array.isArray(r.json.items) && r.json.items.length > 0;
    ctx.check("markets listed (200, not empty)", ok);
    if (!ok) continue;
    const m = r.json.items[0];
    ctx.check("market has its rate grid", typeof m.id === "string" && m.minimumRateFen > 0 && m.tickFen > 0);
    markets.push({ id: m.id, minimumRateFen: m.minimumRateFen, tickFen: m.tickFen });
  }

  /** @param {string} key @returns {Generator<Request, Party | null, Response>} */
  function* known(key) {
    const r = yield request("GET", "/v1/me", "/v1/me", "me", key);
    ctx.check("key is an organisation's (200)", r.status === 200 && typeof r.json.organisationId === "string");
    return r.status === 200 ? { key: key, organisationId: r.json.organisationId } : null;
  }

  /** @param {"enterprise"|"agency"} kind @param {number} i @returns {Generator<Request, Party | null, Response>} */
  function* create(kind, i) {
    const org = yield request("POST", "/v1/organisations", "/v1/organisations", "create_organisation", opts.operatorKey, {
      kind: kind, name: "k6 " + kind + " " + runId + "-" + i, creditCode: creditCode(opts.district, (Math.floor(opts.nowMs / 1000) % 100000) * 200 + i * 2 + (kind === "agency" ? 1 : 0)), districtCode: opts.district,
    }, { idempotencyKey: "k6-org-" + runId + "-" + kind + "-" + i });
    ctx.check("organisation created (201)", org.status === 201 && typeof org.json.id === "string");
    if (org.status !== 201) return null;
    const id = org.json.id;
    if (kind === "agency") {
      for (const type of ["hr_service", "labour_dispatch"]) {
        const lic = yield request("POST", "/v1/organisations/" + id + "/licences", "/v1/organisations/{id}/licences", "create_licence", opts.operatorKey, {
          type: type, number: (type === "hr_service" ? "HR-" : "LD-") + runId + "-" + i, validUntil: shanghaiDate(opts.nowMs, 365), verified: true,
        }, { idempotencyKey: "k6-lic-" + runId + "-" + i + "-" + type });
        ctx.check("licence recorded (201)", lic.status === 201);
      }
    }
    const key = yield request("POST", "/v1/organisations/" + id + "/api-keys", "/v1/organisations/{id}/api-keys", "create_api_key", opts.operatorKey, { label: "k6 " + runId },
      { idempotencyKey: "k6-key-" + runId + "-" + kind + "-" + i });
    ctx.check("API key issued (201)", key.status === 201 && typeof key.json.apiKey === "string");
    return key.status === 201 ? { key: key.json.apiKey, organisationId: id } : null;
  }

  /** @type {Party[]} */ const enterprises = [];
  /** @type {Party[]} */ const agencies = [];
  for (const k of opts.enterpriseKeys) { const p = yield* known(k); if (p) enterprises.push(p); }
  for (const k of opts.agencyKeys) { const p = yield* known(k); if (p) agencies.push(p); }
  for (let i = 0; i < opts.createEnterprises; i++) { const p = yield* create("enterprise", i); if (p) enterprises.push(p); }
  for (let i = 0; i < opts.createAgencies; i++) { const p = yield* create("agency", i); if (p) agencies.push(p); }
  return { operatorKey: opts.operatorKey, runId: runId, markets: markets, enterprises: enterprises, agencies: agencies };
}

/** Checks an order as the API returns it. @param {Ctx} ctx @param {any} o @param {string} side */
function checkOrder(ctx, o, side) {
  ctx.check("order has its fields", typeof o.id === "string" && o.side === side && ORDER_STATES.indexOf(o.state) >= 0 && typeof o.market === "string");
  ctx.check("order quantities add up", o.filled + o.remaining <= o.quantity && o.filled >= 0 && o.remaining >= 0);
  ctx.check("demand holds money, supply none", side === "demand" ? o.holdFen >= 0 : o.holdFen === 0);
  ctx.check("every fill has a contract", Array.isArray(o.fills) && o.fills.every(function (/** @type {any} */ f) { return typeof f.contractId === "string" && f.qty > 0 && f.rateFen > 0; }));
}

/** The wallet's available money (0 before the first top-up). @param {Ctx} ctx @param {Party} who @returns {Generator<Request, number, Response>} */
export function* walletAvailable(ctx, who) {
  const id = "wallet:" + who.organisationId + ":CNY";
  const r = yield request("GET", "/v1/accounts/" + encodeURIComponent(id), "/v1/accounts/{id}", "wallet", who.key, undefined, { expected: [200, 404] });
  ctx.check("wallet read (200, or 404 before the first top-up)", r.status === 200 || r.status === 404);
  return r.status === 200 ? r.json.availableFen : 0;
}

/**
 * Funds a wallet the offline way: ask for a top-up, the operator confirms the bank received it.
 * @param {Ctx} ctx @param {RunData} data @param {Party} who @param {number} amountFen
 * @returns {Generator<Request, boolean, Response>}
 */
export function* fundWallet(ctx, data, who, amountFen) {
  const r = yield request("POST", "/v1/top-ups", "/v1/top-ups", "top_up", who.key, { amountFen: amountFen }, { idempotencyKey: "k6-topup-" + data.runId + "-" + who.organisationId + "-" + Math.floor(ctx.random() * 1e9) });
  const ok = r.status === 201 && typeof r.json.reference === "string" && r.json.instructions.amountFen === amountFen;
  ctx.check("top-up gives bank-transfer instructions (201)", ok);
  if (!ok) return false;
  const c = yield request("POST", "/v1/top-ups/" + r.json.reference + "/confirm", "/v1/top-ups/{ref}/confirm", "top_up_confirm", data.operatorKey,
    { amountFen: amountFen, bankTransactionId: "k6-" + r.json.reference }, { idempotencyKey: "k6-confirm-" + r.json.reference });
  ctx.check("operator confirms the top-up (200)", c.status === 200 && c.json.status === "confirmed" && c.json.receivedFen === amountFen);
  return c.status === 200;
}

/** One enterprise iteration. @param {Ctx} ctx @param {RunData} data @param {Party} who @param {number} iteration @returns {Step} */
export function* enterpriseIteration(ctx, data, who, iteration) {
  if ((yield* walletAvailable(ctx, who)) < FUND_BELOW_FEN) yield* fundWallet(ctx, data, who, TOP_UP_FEN);
  const market = data.markets[below(ctx.random, data.markets.length)];
  const book = yield request("GET", "/v1/markets/" + market.id + "/book", "/v1/markets/{market}/book", "book", who.key);
  ctx.check("book read (200)", book.status === 200 && Array.isArray(book.json.demand) && Array.isArray(book.json.supply) && book.json.market === market.id);
  const quantity = 1 + below(ctx.random, 4);
  const rateFen = market.minimumRateFen + market.tickFen * (5 + below(ctx.random, 20));
  const clientOrderId = "k6-" + data.runId + "-" + who.organisationId.slice(-6) + "-" + iteration;
  const o = yield request("POST", "/v1/orders", "/v1/orders", "place_order", who.key,
    { side: "demand", market: market.id, quantity: quantity, rateFen: rateFen, timeInForce: "good_till", clientOrderId: clientOrderId }, { idempotencyKey: clientOrderId });
  ctx.check("demand order placed (201)", o.status === 201);
  if (o.status !== 201) return;
  checkOrder(ctx, o.json, "demand");
  ctx.check("order keeps its client id", o.json.clientOrderId === clientOrderId && o.json.quantity === quantity && o.json.rateFen === rateFen);
  ctx.count("fills", o.json.fills.length);
  if (o.json.state === "open" && ctx.random() < CANCEL_RATIO) {
    const d = yield request("DELETE", "/v1/orders/" + o.json.id, "/v1/orders/{id}", "cancel_order", who.key, undefined, { expected: [200, 409] });
    // 409: it filled (or expired) in between; either way nothing stays open by mistake.
    ctx.check("cancel answered (200 cancelled, or 409 already done)", (d.status === 200 && d.json.state === "cancelled" && d.json.holdFen === 0) || d.status === 409);
    if (d.status === 200) ctx.count("cancels", 1);
  } else {
    const g = yield request("GET", "/v1/orders/" + o.json.id, "/v1/orders/{id}", "get_order", who.key);
    ctx.check("order read back (200)", g.status === 200 && g.json.id === o.json.id);
  }
}

/**
 * One agency iteration: an offer at the best bid (crossing it), or a resting one when the book has no bid.
 * @param {Ctx} ctx @param {RunData} data @param {Party} who @param {number} iteration @returns {Step}
 */
export function* agencyIteration(ctx, data, who, iteration) {
  const market = data.markets[below(ctx.random, data.markets.length)];
  const book = yield request("GET", "/v1/markets/" + market.id + "/book", "/v1/markets/{market}/book", "book", who.key);
  ctx.check("book read (200)", book.status === 200 && Array.isArray(book.json.demand));
  const best = book.status === 200 && book.json.demand.length > 0 ? book.json.demand[0] : null;
  const rateFen = best ? best.rateFen : market.minimumRateFen + market.tickFen * (10 + below(ctx.random, 20));
  const quantity = best ? Math.min(best.qty, 1 + below(ctx.random, 3)) : 1 + below(ctx.random, 3);
  const clientOrderId = "k6-" + data.runId + "-" + who.organisationId.slice(-6) + "-" + iteration;
  const o = yield request("POST", "/v1/orders", "/v1/orders", "place_order", who.key,
    { side: "supply", market: market.id, quantity: quantity, rateFen: rateFen, clientOrderId: clientOrderId }, { idempotencyKey: clientOrderId });
  ctx.check("supply offer placed (201)", o.status === 201);
  if (o.status !== 201) return;
  checkOrder(ctx, o.json, "supply");
  ctx.count("fills", o.json.fills.length);
  if (o.json.fills.length > 0) {
    const fill = o.json.fills[0];
    const c = yield request("GET", "/v1/contracts/" + fill.contractId, "/v1/contracts/{id}", "get_contract", who.key);
    ctx.check("the fill's contract names this agency (200)", c.status === 200 && c.json.supplierId === who.organisationId && c.json.fillId === fill.fillId && c.json.state === "staffing");
  }
}
