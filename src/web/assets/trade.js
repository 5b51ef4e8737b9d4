// Shiftex trading pages (enterprises and agencies). One script for every page, served by Shiftex itself.
// The API key lives in sessionStorage (this tab only) and is sent in the Authorization header; it never goes
// into a URL. The live stream opens with a single-use ticket. Every text, errors included, comes from the
// dictionary below (zh-CN by default; English by the switch, remembered across pages in localStorage).
"use strict";
(() => {
  const TEXT = {
    "zh-CN": {
      switchTo: "English", navMarket: "市场", navOrders: "我的订单", navContracts: "合同", navWallet: "钱包", signOut: "退出",
      role_enterprise: "用工企业", role_agency: "人力资源机构", who: "{name}（{role}）",
      loginTitle: "企业与机构登录", loginSub: "用贵单位的 API 密钥登录交易页面。", apiKey: "API 密钥", signIn: "登录",
      loginHint: "密钥只保存在本标签页中，关闭标签页即清除，也不会出现在网址里。",
      workerLogin: "工人请在此登录 →", errKeyEmpty: "请输入 API 密钥。", errKeyInvalid: "API 密钥无效或已停用。",
      errRole: "该密钥不属于用工企业或人力资源机构；工人请在工人登录页登录。",
      chooseMarket: "选择市场", skill: "工种", district: "区县", date: "日期", slot: "班次", watch: "查看",
      live_connecting: "连接中…", live_live: "实时", live_reconnecting: "重新连接中…", live_slow: "接收过慢，重新连接中…",
      demandTitle: "发布用工需求", supplyTitle: "发布供给报价", qtyDemand: "需要人数", qtySupply: "可供人数",
      rateDemand: "最高时薪（元/小时）", rateSupply: "最低时薪（元/小时）",       tif: "有效期", tifGoodTill: "有效至开工前", tifIoc: "立即成交，剩余撤销（IOC）", tifFok: "全部成交，否则撤销（FOK）",
      placeDemand: "提交需求", placeSupply: "提交报价",
      orderKind: "类型", kindDemand: "用工需求", kindShared: "共享用工报价（出借本企业员工，按成本）",
      sharedTitle: "发布共享用工报价", rateShared: "每小时成本（元/小时）",
      placed: "已提交：{state}，已成交 {filled} 人，剩余 {remaining} 人。", placedHold: "冻结资金 {hold}。",
      band_above: "提示：该时薪明显高于近期指导价格（{week}：中位数 {median}，正常区间 {lower}–{upper}）。订单已照常提交。",
      band_below: "提示：该时薪明显低于近期指导价格（{week}：中位数 {median}，正常区间 {lower}–{upper}）。订单已照常提交。",
      opportunity: "新需求：{market}，需要 {remaining} 人 @ {rate}/小时", opportunityCert: "（证书等级 ≥ {level}）",
      book: "实时盘口", demandSide: "需求（买方）", supplySide: "供给（卖方）", levelQty: "{qty} 人", levelOrders: "{n} 单", emptyBook: "暂无挂单",
      trades: "最新成交", emptyTrades: "暂无成交", tradeLine: "{qty} 人 @ {rate}/小时",
      aggressor_demand: "需求方主动成交", aggressor_supply: "供给方主动成交", shared: "共享用工",
      myOrdersHere: "我在本市场的订单", executions: "我的成交回报", emptyExecutions: "暂无回报",
      kind_accepted: "已挂单", kind_filled: "已成交", kind_reduced: "已减量", kind_rerated: "已改价", kind_cancelled: "已撤单", kind_expired: "已过期", kind_rejected: "被拒绝",
      execLine: "{side}{kind}，剩余 {remaining} 人", execFill: "成交 {qty} 人 @ {rate}/小时",
      contractCreated: "合同已生成：{headcount} 人 @ {rate}/小时",
      side_demand: "需求", side_supply: "供给",
      state: "状态", all: "全部", state_open: "挂单中", state_filled: "已成交", state_cancelled: "已撤单", state_expired: "已过期",
      orderQty: "数量 {quantity} · 已成交 {filled} · 剩余 {remaining}", orderRate: "时薪 {rate}", orderHold: "冻结 {hold}",
      fillLine: "成交 {qty} 人 @ {rate}/小时 · 合同 {contract}", cancel: "撤单", cancelledOk: "订单已撤销。",
      more: "加载更多", emptyOrders: "暂无订单", loading: "加载中…",
      contractDetail: "{headcount} 人 @ {rate}/小时 · 托管 {escrow}", contractShift: "班次 {start} – {end}",
      reliability: "企业信用（近 {days} 天）：迟取消 {late} · 工时争议 {dispute} · 审批用时中位数 {hours}", reliabilityNone: "企业信用：暂无记录", hoursOf: "{hours} 小时",
      contractParty_enterprise: "用工方", contractParty_supplier: "供给方", contract_state_staffing: "待派工", emptyContracts: "暂无合同",
      balances: "余额", account_wallet: "钱包", account_supplier_payable: "应收款",
      available: "可用", held: "挂单冻结", posted: "账面余额",
      noAccounts: "还没有账户。企业第一次充值时开立钱包。",
      topUpTitle: "充值（银行转账）", topUpSub: "申请后按下列信息转账，并在附言中填写参考号；银行到账、运营人员确认后计入钱包。",
      amountYuan: "金额（元）", topUpRequest: "申请充值",
      bankName: "收款银行", accountName: "户名", accountNumber: "账号", amount: "金额", reference: "转账附言（参考号）",
      topUps: "充值记录", emptyTopUps: "暂无充值记录", showInstructions: "查看转账信息",
      quoteReference: "转账时请在附言中填写 {reference}；银行到账并经运营人员确认后计入钱包。",
      topup_awaiting_transfer: "待转账", topup_confirmed: "已到账",
      errAmount: "请输入大于 0 的金额，最多两位小数。", errQuantity: "人数须为 1 到 9999 的整数。", errRate: "请按 32.50 的格式填写时薪。",
      errField: "「{field}」填写有误，请检查。", errRateMin: "时薪不能低于该区县最低工资 {min}/小时。", errTick: "时薪须为 {tick} 的整数倍。",
      errFunds: "钱包可用余额不足，还差 {shortfall} 元。请先充值。", errUnprocessable: "无法执行该请求，请检查后重试。",
      errSession: "登录已失效，请重新登录。", errForbidden: "贵单位无权进行此操作。", errNotFound: "未找到，或不属于贵单位。",
      errNoBook: "该市场未开放交易（日期超出交易期或不存在）。", errMarket: "市场编号有误。",
      errConflict: "操作与当前状态冲突（例如订单已完成）。", errDuplicate: "重复提交：该订单号已使用。",
      errIdem: "相同请求正在处理，或内容已改变；请刷新后查看结果。", errRateLimited: "请求过于频繁，请 {seconds} 秒后再试。",
      errTooMany: "同时订阅的频道过多。", errNetwork: "网络连接失败，请检查网络后重试。", errGeneric: "出错了，请稍后再试（{code}）。",
      field_quantity: "人数", field_rateFen: "时薪", field_market: "市场", field_amountFen: "金额", field_timeInForce: "有效期",
      field_goodTill: "有效期至", field_clientOrderId: "客户订单号", field_side: "方向", field_minFill: "最少成交人数",
    },
    en: {
      switchTo: "中文", navMarket: "Market", navOrders: "My orders", navContracts: "Contracts", navWallet: "Wallet", signOut: "Sign out",
      role_enterprise: "enterprise", role_agency: "agency", who: "{name} ({role})",
      loginTitle: "Sign in: enterprises and agencies", loginSub: "Sign in to the trading pages with your organisation's API key.", apiKey: "API key", signIn: "Sign in",
      loginHint: "The key stays in this browser tab only and is cleared when you close it; it never appears in a URL.",
      workerLogin: "Workers log in here →", errKeyEmpty: "Enter your API key.", errKeyInvalid: "The API key is not valid or has been revoked.",
      errRole: "This key does not belong to an enterprise or an agency; workers log in on the worker page.",
      chooseMarket: "Choose a market", skill: "Skill", district: "District", date: "Date", slot: "Shift", watch: "Watch",
      live_connecting: "Connecting…", live_live: "Live", live_reconnecting: "Reconnecting…", live_slow: "Too slow; reconnecting…",
      demandTitle: "Post a demand order", supplyTitle: "Post a supply offer", qtyDemand: "Headcount", qtySupply: "Crew size",
      rateDemand: "Maximum hourly rate (yuan)", rateSupply: "Minimum hourly rate (yuan)",
      tif: "Time in force", tifGoodTill: "Good till shift start", tifIoc: "Immediate or cancel (IOC)", tifFok: "Fill or kill (FOK)",
      placeDemand: "Place order", placeSupply: "Place offer",
      orderKind: "Kind", kindDemand: "Demand order", kindShared: "Shared-staffing offer (lend own staff at cost)",
      sharedTitle: "Post a shared-staffing offer", rateShared: "Hourly cost (yuan)",
      placed: "Placed: {state}, {filled} filled, {remaining} remaining.", placedHold: "{hold} held.",
      band_above: "Note: this rate is far above recent guidance prices ({week}: median {median}, usual range {lower}–{upper}). The order was placed all the same.",
      band_below: "Note: this rate is far below recent guidance prices ({week}: median {median}, usual range {lower}–{upper}). The order was placed all the same.",
      opportunity: "New demand: {market}, {remaining} wanted @ {rate}/h", opportunityCert: " (certificate level ≥ {level})",
      book: "Live book", demandSide: "Demand (bids)", supplySide: "Supply (offers)", levelQty: "{qty} people", levelOrders: "{n} orders", emptyBook: "No orders",
      trades: "Latest trades", emptyTrades: "No trades yet", tradeLine: "{qty} @ {rate}/h",
      aggressor_demand: "demand took", aggressor_supply: "supply took", shared: "shared staffing",
      myOrdersHere: "My orders in this market", executions: "My executions", emptyExecutions: "Nothing yet",
      kind_accepted: "accepted", kind_filled: "filled", kind_reduced: "reduced", kind_rerated: "re-rated", kind_cancelled: "cancelled", kind_expired: "expired", kind_rejected: "rejected",
      execLine: "{side} {kind}, {remaining} remaining", execFill: "filled {qty} @ {rate}/h",
      contractCreated: "Contract created: {headcount} @ {rate}/h",
      side_demand: "Demand", side_supply: "Supply",
      state: "State", all: "All", state_open: "Open", state_filled: "Filled", state_cancelled: "Cancelled", state_expired: "Expired",
      orderQty: "Quantity {quantity} · filled {filled} · remaining {remaining}", orderRate: "Rate {rate}", orderHold: "Held {hold}",
      fillLine: "Fill: {qty} @ {rate}/h · contract {contract}", cancel: "Cancel", cancelledOk: "Order cancelled.",
      more: "Load more", emptyOrders: "No orders", loading: "Loading…",
      contractDetail: "{headcount} @ {rate}/h · escrow {escrow}", contractShift: "Shift {start} – {end}",
      reliability: "Employer record ({days} days): late cancellations {late} · disputed timesheets {dispute} · approves in {hours} (median)", reliabilityNone: "Employer record: none yet", hoursOf: "{hours} h",
      contractParty_enterprise: "buyer", contractParty_supplier: "supplier", contract_state_staffing: "Staffing", emptyContracts: "No contracts yet",
      balances: "Balances", account_wallet: "Wallet", account_supplier_payable: "Receivable",
      available: "Available", held: "Held for orders", posted: "Balance",
      noAccounts: "No accounts yet. An enterprise's wallet opens with its first top-up.",
      topUpTitle: "Top up (bank transfer)", topUpSub: "Ask for a top-up, then make the bank transfer quoting the reference; the wallet is credited once the bank has it and an operator confirms.",
      amountYuan: "Amount (yuan)", topUpRequest: "Request top-up",
      bankName: "Bank", accountName: "Account name", accountNumber: "Account number", amount: "Amount", reference: "Reference (put it in the transfer note)",
      topUps: "Top-ups", emptyTopUps: "No top-ups yet", showInstructions: "Show transfer details",
      quoteReference: "Quote {reference} in the transfer note; the wallet is credited once the bank has the money and an operator confirms it.",
      topup_awaiting_transfer: "awaiting transfer", topup_confirmed: "confirmed",
      errAmount: "Enter an amount above 0 with at most two decimals.", errQuantity: "The headcount is a whole number from 1 to 9999.", errRate: "Enter the hourly rate like 32.50.",
      errField: "Please check “{field}”.", errRateMin: "The rate may not be below the district's minimum wage of {min}/h.", errTick: "The rate must be a multiple of {tick}.",
      errFunds: "The wallet is short by {shortfall} yuan; top it up first.", errUnprocessable: "This request cannot be carried out; check it and try again.",
      errSession: "Your session has ended; please sign in again.", errForbidden: "Your organisation may not do this.", errNotFound: "Not found, or not yours.",
      errNoBook: "This market is not open for trading (outside the trading horizon, or unknown).", errMarket: "The market id is not valid.",
      errConflict: "That conflicts with the current state (e.g. the order is already done).", errDuplicate: "Duplicate: this client order id is already used.",
      errIdem: "The same request is in progress or has changed; refresh to see the result.", errRateLimited: "Too many requests; try again in {seconds} seconds.",
      errTooMany: "Too many channels at once.", errNetwork: "Could not reach Shiftex; check your connection and try again.", errGeneric: "Something went wrong; please try again later ({code}).",
      field_quantity: "Headcount", field_rateFen: "Hourly rate", field_market: "Market", field_amountFen: "Amount", field_timeInForce: "Time in force",
      field_goodTill: "Good till", field_clientOrderId: "Client order id", field_side: "Side", field_minFill: "Minimum fill",
    },
  };

  const LANG_KEY = "shiftex.lang"; // shared with the worker pages
  const API_KEY = "shiftex.apiKey";
  const ORG_KEY = "shiftex.org";
  const MARKET_KEY = "shiftex.market";

  let lang = "zh-CN";
  try { if (localStorage.getItem(LANG_KEY) === "en") lang = "en"; } catch { /* storage may be blocked */ }
  const page = document.body.dataset.page;
  const shown = { note: null, error: null };
  const renderers = [];
  let org = null; // { id, name, kind, lendsStaff }
  let catalogue = null;

  // ---- helpers ----
  const { $, el } = window.ShiftexKit;
  const t = (key, params) => window.ShiftexKit.translate(TEXT, lang, key, params);
  function yuan(fen) {
    const n = Number(fen);
    const abs = Math.abs(n);
    const whole = Math.floor(abs / 100).toLocaleString("en-US");
    return `${n < 0 ? "-" : ""}¥${whole}.${String(abs % 100).padStart(2, "0")}`;
  }
  /** "32.5" → 3250 fen with integer arithmetic only; null when it does not read as yuan. */
  function fenOf(text) {
    const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(String(text).trim().replace(/^¥/, "").replace(/,/g, ""));
    if (!m) return null;
    return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
  }
  function when(iso, withDate) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    const opts = { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hour12: false };
    if (withDate) Object.assign(opts, { month: "2-digit", day: "2-digit" }); else opts.second = "2-digit";
    return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", opts).format(d);
  }
  const nameOf = (item) => (item ? (lang === "en" ? item.nameEn : item.nameZh) : "");
  function marketLabel(id) {
    const [skill, district, date, slot] = String(id).split(".");
    if (!catalogue) return id;
    const s = catalogue.skills.find((x) => x.id === skill);
    const d = catalogue.districts.find((x) => x.code === district);
    return `${nameOf(s) || skill} · ${nameOf(d) || district} · ${date} · ${slot}`;
  }
  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ---- messages ----
  function render() {
    document.documentElement.lang = lang;
    const titleKey = { login: "loginTitle", market: "navMarket", orders: "navOrders", contracts: "navContracts", wallet: "navWallet" }[page];
    document.title = `Shiftex · ${t(titleKey)}`;
    for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.getAttribute("data-t"));
    const sw = $("lang");
    sw.textContent = t("switchTo");
    sw.setAttribute("lang", lang === "en" ? "zh-CN" : "en");
    if (org && $("who")) $("who").textContent = t("who", { name: org.name, role: t(`role_${org.kind}`) });
    for (const id of ["note", "error"]) {
      const m = shown[id];
      const box = $(id);
      if (m) { box.textContent = typeof m === "function" ? m() : t(m.key, m.params); box.hidden = false; } else box.hidden = true;
    }
    for (const fn of renderers) fn();
  }
  function show(id, key, params) { shown[id] = { key, params: params || {} }; render(); }
  function hide(id) { shown[id] = null; render(); }
  function fail(err) { shown.error = () => messageOf(err); render(); }

  /** A problem document, an error frame of the stream, or a failed fetch, as a sentence of the page's own. */
  function messageOf(err) {
    if (!err || err.network) return t("errNetwork");
    const p = err.problem || err.frame || {};
    const field = typeof p.field === "string" ? p.field.split("/").pop() : "";
    switch (p.code) {
      case "validation_failed":
        if (err.frame) return t(p.channel && p.channel.startsWith("book:") ? "errMarket" : "errGeneric", { code: p.code });
        if (field === "rateFen" && p.minimumRateFen !== undefined) return t("errRateMin", { min: yuan(p.minimumRateFen) });
        if (field === "rateFen" && p.tickFen !== undefined) return t("errTick", { tick: yuan(p.tickFen) });
        if (field === "market") return t("errNoBook");
        return t("errField", { field: TEXT[lang][`field_${field}`] ? t(`field_${field}`) : field || "?" });
      case "unprocessable": {
        const shortfall = p.shortfall ?? p.shortfallYuan ?? (p.shortfallFen !== undefined ? yuan(p.shortfallFen).replace("¥", "") : undefined);
        if (shortfall !== undefined) return t("errFunds", { shortfall });
        return t("errUnprocessable");
      }
      case "unauthenticated": return t(page === "login" ? "errKeyInvalid" : "errSession");
      case "forbidden": return t("errForbidden");
      case "not_found": return t(err.frame ? "errNoBook" : "errNotFound");
      case "conflict": return t("errConflict");
      case "duplicate": return t("errDuplicate");
      case "idempotency_key_reused": case "idempotency_in_progress": return t("errIdem");
      case "rate_limited": return t("errRateLimited", { seconds: err.retryAfter || p.retryAfterSeconds || 60 });
      case "too_many_subscriptions": return t("errTooMany");
      default: return t("errGeneric", { code: p.code || `HTTP ${err.status}` });
    }
  }

  // ---- HTTP ----
  const apiKey = () => { try { return sessionStorage.getItem(API_KEY); } catch { return null; } };
  function signOut() {
    try { sessionStorage.removeItem(API_KEY); sessionStorage.removeItem(ORG_KEY); } catch { /* nothing kept */ }
    location.replace("/trade/login");
  }
  async function api(method, path, body, options = {}) {
    const key = options.key ?? apiKey();
    const headers = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
    let res;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit", cache: "no-store" });
    } catch {
      throw { network: true };
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (res.ok) return data;
    if (res.status === 401 && page !== "login") signOut();
    throw { status: res.status, problem: data || {}, retryAfter: Number(res.headers.get("retry-after")) || 0 };
  }
  /**
   * A POST a user may retry: the same body keeps its Idempotency-Key until the server gives a definite answer,
   * so a retry after a network failure cannot create a second order or top-up.
   */
  function retrySafe(options = {}) {
    let pending = null;
    return async (path, body) => {
      const json = JSON.stringify(body);
      if (!pending || pending.json !== json) {
        const key = newKey();
        // An order's client id is part of the attempt: a retry sends the same one.
        pending = { json, key, body: options.clientOrderId ? { ...body, clientOrderId: `web-${key.replace(/-/g, "").slice(0, 20)}` } : body };
      }
      try {
        const r = await api("POST", path, pending.body, { idempotencyKey: pending.key });
        pending = null;
        return r;
      } catch (err) {
        if (!err.network) pending = null;
        throw err;
      }
    };
  }

  // ---- live stream ----
  const stream = {
    ws: null, channels: new Map(), retry: 0, status: "connecting",
    start() { this.connect(); },
    async connect() {
      this.setStatus(this.retry ? "reconnecting" : "connecting");
      let ticket;
      try { ticket = (await api("POST", "/v1/stream/tickets")).ticket; } catch { return this.later(); }
      const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/stream?ticket=${encodeURIComponent(ticket)}`);
      this.ws = ws;
      ws.onopen = () => {
        this.retry = 0;
        this.setStatus("live");
        for (const [channel, handler] of this.channels) { handler.reset?.(); this.send({ op: "subscribe", channel }); }
      };
      ws.onmessage = (m) => {
        let frame;
        try { frame = JSON.parse(m.data); } catch { return; }
        if (frame.type === "error") { fail({ frame }); return; }
        const handler = frame.channel && this.channels.get(frame.channel);
        if (handler) handler(frame);
      };
      ws.onclose = (ev) => {
        if (this.ws !== ws) return;
        this.ws = null;
        this.setStatus(ev.code === 4008 ? "slow" : "reconnecting");
        this.later();
      };
    },
    later() { setTimeout(() => this.connect(), Math.min(30_000, 500 * 2 ** this.retry++)); },
    send(msg) { if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg)); },
    subscribe(channel, handler) { this.channels.set(channel, handler); this.send({ op: "subscribe", channel }); },
    unsubscribe(channel) { if (this.channels.delete(channel)) this.send({ op: "unsubscribe", channel }); },
    setStatus(s) { this.status = s; const b = $("live"); if (b) { b.textContent = t(`live_${s}`); b.className = `badge ${s === "live" ? "live" : "warn"}`; b.dataset.status = s; } },
  };
  renderers.push(() => stream.setStatus(stream.status));

  // ---- session ----
  async function loadOrg() {
    try { const cached = JSON.parse(sessionStorage.getItem(ORG_KEY) || "null"); if (cached) return cached; } catch { /* refetch */ }
    const me = await api("GET", "/v1/me");
    if (!me || (me.role !== "enterprise" && me.role !== "agency") || !me.organisationId) { signOut(); return null; }
    const o = await api("GET", `/v1/organisations/${encodeURIComponent(me.organisationId)}`);
    const value = { id: o.id, name: o.name, kind: me.role, lendsStaff: Boolean(o.lendsStaff) };
    try { sessionStorage.setItem(ORG_KEY, JSON.stringify(value)); } catch { /* fetched again next time */ }
    return value;
  }

  // ---- pages ----
  function loginPage() {
    $("app").hidden = false;
    $("apikey").focus();
    $("login-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      hide("error");
      const key = $("apikey").value.trim();
      if (!key) return show("error", "errKeyEmpty");
      $("signin").disabled = true;
      try {
        const me = await api("GET", "/v1/me", undefined, { key });
        if (me.role !== "enterprise" && me.role !== "agency") { show("error", "errRole"); return; }
        sessionStorage.setItem(API_KEY, key);
        sessionStorage.removeItem(ORG_KEY);
        const next = new URLSearchParams(location.search).get("next");
        location.replace(next && /^\/trade(\/[a-z]*)?(\?[\w.=&-]*)?$/.test(next) ? next : "/trade");
      } catch (err) {
        fail(err);
      } finally {
        $("signin").disabled = false;
      }
    });
  }

  function listInto(id, items, emptyKey, renderItem) {
    const ol = $(id);
    ol.replaceChildren(...(items.length ? items.map(renderItem) : [el("li", { class: "empty", text: t(emptyKey) })]));
  }

  function orderItem(o, options = {}) {
    const li = el("li", { "data-order": o.id, "data-state": o.state },
      el("div", { class: "line" },
        el("strong", { text: t(`side_${o.side}`) }),
        el("span", { class: `state ${o.state}`, text: t(`state_${o.state}`) }),
        options.showMarket ? el("span", { text: marketLabel(o.market) }) : null),
      el("div", { class: "line" },
        el("span", { text: t("orderQty", { quantity: o.quantity, filled: o.filled, remaining: o.remaining }) }),
        el("span", { text: t("orderRate", { rate: yuan(o.rateFen) }) }),
        o.side === "demand" && o.holdFen > 0 ? el("span", { text: t("orderHold", { hold: yuan(o.holdFen) }) }) : null),
      el("div", { class: "muted", text: `${when(o.createdAt, true)} · ${o.clientOrderId || o.id}` }));
    for (const f of o.fills || []) {
      li.append(el("div", { class: "line muted", "data-fill": f.fillId }, el("span", { text: t("fillLine", { qty: f.qty, rate: yuan(f.rateFen), contract: f.contractId }) }), el("span", { text: when(f.at, true) })));
    }
    if (o.state === "open") {
      li.append(el("div", { class: "actions" }, el("button", {
        type: "button", class: "danger", text: t("cancel"), "data-cancel": o.id,
        onclick: async (e) => {
          e.target.disabled = true;
          hide("error");
          try { await api("DELETE", `/v1/orders/${encodeURIComponent(o.id)}`); show("note", "cancelledOk"); options.onChange?.(); } catch (err) { fail(err); e.target.disabled = false; }
        },
      })));
    }
    return li;
  }

  async function marketPage() {
    catalogue = await api("GET", "/v1/catalogue");
    // Enterprises post demand; one that lends its idle staff may also offer them at cost (shared staffing).
    let side = org.kind === "enterprise" ? "demand" : "supply";
    let shared = false;
    if (org.kind === "enterprise" && org.lendsStaff) {
      $("side-choice").hidden = false;
      $("side").addEventListener("change", () => {
        shared = $("side").value === "shared";
        side = shared ? "supply" : "demand";
        render();
      });
    }
    const skill = $("skill"), district = $("district"), date = $("date"), slot = $("slot");
    renderers.push(() => {
      const fill = (select, items, value, label) => {
        const current = select.value;
        select.replaceChildren(...items.map((x) => el("option", { value: value(x), text: label(x) })));
        if (current) select.value = current;
      };
      fill(skill, catalogue.skills, (s) => s.id, nameOf);
      fill(district, catalogue.districts, (d) => d.code, (d) => `${nameOf(d)} (${d.code})`);
      fill(slot, catalogue.shiftSlots, (s) => s.id, (s) => `${s.id} ${s.start}–${s.end}`);
      $("order-title").textContent = t(shared ? "sharedTitle" : side === "demand" ? "demandTitle" : "supplyTitle");
      $("qty-label").textContent = t(side === "demand" ? "qtyDemand" : "qtySupply");
      $("rate-label").textContent = t(shared ? "rateShared" : side === "demand" ? "rateDemand" : "rateSupply");
      $("place").textContent = t(side === "demand" ? "placeDemand" : "placeSupply");
    });
    render();

    let market = null;
    let book = { bookSeq: null, demand: [], supply: [] };
    let trades = [];
    let execs = [];
    let mine = [];

    const renderBook = () => {
      for (const s of ["demand", "supply"]) {
        listInto(`book-${s}`, book[s], "emptyBook", (l) => el("li", { "data-rate": l.rateFen, "data-qty": l.qty },
          el("span", { text: yuan(l.rateFen) }), el("span", { text: t("levelQty", { qty: l.qty }) }), el("span", { class: "muted", text: t("levelOrders", { n: l.orders }) })));
      }
    };
    const renderTrades = () => listInto("trades", trades, "emptyTrades", (tr) => el("li", { "data-fill": tr.fillId, class: tr.fresh ? "fresh" : undefined },
      el("div", { class: "line" }, el("strong", { text: t("tradeLine", { qty: tr.qty, rate: yuan(tr.rateFen) }) }), el("span", { class: "muted", text: when(tr.at) })),
      el("div", { class: "line muted" }, el("span", { text: t(`aggressor_${tr.aggressor}`) }), tr.shared ? el("span", { text: t("shared") }) : null)));
    const renderExecs = () => listInto("executions", execs, "emptyExecutions", (f) => {
      if (f.type === "order.opportunity") {
        return el("li", { "data-kind": "opportunity", "data-order": f.orderId, class: "fresh" },
          el("strong", { text: t("opportunity", { market: marketLabel(f.market), remaining: f.remaining, rate: yuan(f.rateFen) }) + (f.minCertificate > 0 ? t("opportunityCert", { level: f.minCertificate }) : "") }),
          el("span", { class: "muted", text: when(f.at) }));
      }
      if (f.type === "contract.created") {
        return el("li", { "data-kind": "contract", "data-contract": f.contractId, class: "fresh" },
          el("strong", { text: t("contractCreated", { headcount: f.headcount, rate: yuan(f.rateFen) }) }),
          el("span", { class: "muted", text: `${marketLabel(f.market)} · ${when(f.at)}` }));
      }
      return el("li", { "data-kind": f.kind, "data-order": f.orderId, class: "fresh" },
        el("div", { class: "line" }, el("strong", { text: t("execLine", { side: t(`side_${f.side}`), kind: t(`kind_${f.kind}`), remaining: f.remaining }) }),
          f.fill ? el("span", { text: t("execFill", { qty: f.fill.qty, rate: yuan(f.fill.rateFen) }) }) : null),
        el("span", { class: "muted", text: `${marketLabel(f.market)} · ${when(f.at)}` }));
    });
    const renderMine = () => listInto("my-orders", mine, "emptyOrders", (o) => orderItem(o, { onChange: loadMine }));
    renderers.push(renderBook, renderTrades, renderExecs, renderMine);
    for (const draw of [renderBook, renderTrades, renderExecs, renderMine]) draw();

    async function loadMine() {
      if (!market) return;
      try { mine = (await api("GET", `/v1/orders?market=${encodeURIComponent(market)}&limit=20`)).items; renderMine(); } catch (err) { fail(err); }
    }

    function onBook(f) {
      if (f.type === "snapshot") {
        book = { bookSeq: f.bookSeq, demand: f.demand, supply: f.supply };
        renderBook();
      } else if (f.type === "book.changed") {
        if (book.bookSeq === null || f.bookSeq <= book.bookSeq) return; // waiting for a snapshot, or already in it
        if (f.bookSeq !== book.bookSeq + 1) {
          // A change was missed: ask for a fresh snapshot.
          book.bookSeq = null;
          stream.send({ op: "subscribe", channel: `book:${market}` });
          return;
        }
        book = { bookSeq: f.bookSeq, demand: f.demand, supply: f.supply };
        renderBook();
      }
    }
    onBook.reset = () => { book.bookSeq = null; };
    function onTrade(f) {
      if (f.type !== "trade" || trades.some((x) => x.fillId === f.fillId)) return;
      trades = [{ ...f, fresh: true }, ...trades].slice(0, 50);
      renderTrades();
    }
    function onExecution(f) {
      if (f.type !== "execution" && f.type !== "contract.created" && f.type !== "order.opportunity") return;
      execs = [f, ...execs].slice(0, 50);
      renderExecs();
      if (f.market === market) loadMine();
    }

    async function watch(id) {
      if (market) { stream.unsubscribe(`book:${market}`); stream.unsubscribe(`trades:${market}`); }
      market = id;
      try { localStorage.setItem(MARKET_KEY, id); } catch { /* not remembered */ }
      $("market-id").textContent = id;
      book = { bookSeq: null, demand: [], supply: [] };
      trades = [];
      renderBook(); renderTrades();
      stream.subscribe(`book:${id}`, onBook);
      stream.subscribe(`trades:${id}`, onTrade);
      try {
        const past = await api("GET", `/v1/markets/${encodeURIComponent(id)}/trades?limit=20`);
        if (market === id) { for (const tr of past.items.reverse()) if (!trades.some((x) => x.fillId === tr.fillId)) trades.unshift({ ...tr, market: id }); trades = trades.slice(0, 50); renderTrades(); }
      } catch { /* the live trades still come */ }
      loadMine();
    }

    // The market: from the address (?market=…, shareable), else the last one watched, else tomorrow's first.
    const tomorrow = new Date(Date.now() + 32 * 3600 * 1000).toISOString().slice(0, 10);
    let initial = new URLSearchParams(location.search).get("market");
    try { initial ??= localStorage.getItem(MARKET_KEY); } catch { /* none */ }
    const parts = (initial || "").split(".");
    if (parts.length === 4) { [skill.value, district.value, date.value, slot.value] = parts; } else date.value = tomorrow;
    if (!skill.value) skill.value = catalogue.skills[0].id;
    if (!district.value) district.value = catalogue.districts[0].code;
    if (!slot.value) slot.value = catalogue.shiftSlots[0].id;

    $("market-form").addEventListener("submit", (e) => {
      e.preventDefault();
      hide("error");
      if (!date.value) return show("error", "errMarket");
      const id = `${skill.value}.${district.value}.${date.value}.${slot.value}`;
      history.replaceState(null, "", `/trade?market=${encodeURIComponent(id)}`);
      watch(id);
    });

    const placeOrder = retrySafe({ clientOrderId: true });
    $("order-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      hide("error"); hide("note"); $("placed").hidden = true;
      if (!market) return show("error", "errMarket");
      const quantity = Number($("quantity").value.trim());
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > 9999) return show("error", "errQuantity");
      const rateFen = fenOf($("rate").value);
      if (rateFen === null || rateFen <= 0) return show("error", "errRate");
      $("place").disabled = true;
      try {
        const body = { side, market, quantity, rateFen, timeInForce: $("tif").value };
        if (shared) body.shared = true;
        const o = await placeOrder("/v1/orders", body);
        const box = $("placed");
        // An order far outside the recent guidance band is placed, and the organisation is told (never blocked).
        const g = o.guidance && o.guidance.flagged && o.guidance.band ? o.guidance : null;
        const flag = () => (g ? ` ${t(`band_${g.direction}`, { week: g.band.week, median: yuan(g.band.medianFen), lower: yuan(g.band.lowerFen), upper: yuan(g.band.upperFen) })}` : "");
        const text = () => t("placed", { state: t(`state_${o.state}`), filled: o.filled, remaining: o.remaining }) + (o.side === "demand" && o.holdFen > 0 ? ` ${t("placedHold", { hold: yuan(o.holdFen) })}` : "") + flag();
        box.textContent = text();
        box.dataset.order = o.id;
        if (g) box.dataset.band = g.direction; else delete box.dataset.band;
        box.hidden = false;
        renderers.push(() => { if (!box.hidden && box.dataset.order === o.id) box.textContent = text(); });
        loadMine();
      } catch (err) {
        fail(err);
      } finally {
        $("place").disabled = false;
      }
    });

    $("app").hidden = false;
    stream.subscribe("executions", onExecution);
    // Suppliers hear of new demand orders their workers could staff (targeted push).
    if (org.kind === "agency" || org.lendsStaff) stream.subscribe("opportunities", onExecution);
    stream.start();
    if (initial && parts.length === 4) watch(initial);
  }

  function pagedList(listId, moreId, path, emptyKey, renderItem) {
    let items = [];
    let next = null;
    const draw = () => {
      listInto(listId, items, emptyKey, renderItem);
      $(moreId).hidden = !next;
    };
    renderers.push(draw);
    async function load(reset) {
      try {
        const url = typeof path === "function" ? path() : path;
        const sep = url.includes("?") ? "&" : "?";
        const r = await api("GET", `${url}${sep}limit=20${!reset && next ? `&cursor=${encodeURIComponent(next)}` : ""}`);
        items = reset ? r.items : [...items, ...r.items];
        next = r.next ?? null;
        draw();
      } catch (err) { fail(err); }
    }
    $(moreId).addEventListener("click", () => load(false));
    return { reload: () => load(true) };
  }

  async function ordersPage() {
    catalogue = await api("GET", "/v1/catalogue");
    const list = pagedList("orders", "orders-more", () => {
      const state = $("state-filter").value;
      return `/v1/orders${state ? `?state=${encodeURIComponent(state)}` : ""}`;
    }, "emptyOrders", (o) => orderItem(o, { showMarket: true, onChange: () => list.reload() }));
    $("state-filter").addEventListener("change", () => list.reload());
    $("app").hidden = false;
    render();
    await list.reload();
  }

  /** An enterprise's two-way reliability in a line; "none yet" when it has nothing in the window. */
  function reliabilityText(r) {
    if (!r) return t("reliabilityNone");
    const pct = (x) => (x.percent === null ? "—" : `${x.percent}% (${x.numerator}/${x.denominator})`);
    return t("reliability", { days: r.windowDays, late: pct(r.lateCancellation), dispute: pct(r.dispute), hours: r.approval.medianHours === null ? "—" : t("hoursOf", { hours: r.approval.medianHours }) });
  }

  async function contractsPage() {
    catalogue = await api("GET", "/v1/catalogue");
    const list = pagedList("contracts", "contracts-more", "/v1/contracts", "emptyContracts", (c) => {
      const mineIs = c.enterpriseId === org.id ? "enterprise" : "supplier";
      return el("li", { "data-contract": c.id },
        el("div", { class: "line" }, el("strong", { text: marketLabel(c.market) }), el("span", { class: "state", text: TEXT[lang][`contract_state_${c.state}`] ? t(`contract_state_${c.state}`) : c.state }), el("span", { class: "muted", text: t(`contractParty_${mineIs}`) })),
        el("div", { class: "line" }, el("span", { text: t("contractDetail", { headcount: c.headcount, rate: yuan(c.rateFen), escrow: yuan(c.escrowFen) }) }), c.shared ? el("span", { text: t("shared") }) : null),
        el("div", { class: "muted", text: `${t("contractShift", { start: when(c.shiftStart, true), end: when(c.shiftEnd, true) })} · ${c.id}` }),
        // the supplier sees the buyer's record: late cancellations, disputes, approval speed
        mineIs === "supplier" ? el("div", { class: "muted reliability", text: reliabilityText(c.enterpriseReliability) }) : null);
    });
    $("app").hidden = false;
    render();
    await list.reload();
  }

  async function walletPage() {
    let accounts = [];
    let topups = [];
    let instructions = null;
    const drawAccounts = () => {
      const box = $("accounts");
      if (!accounts.length) { box.replaceChildren(el("p", { class: "empty", text: t("noAccounts") })); return; }
      box.replaceChildren(...accounts.map((a) => el("div", { "data-account": a.id },
        el("h3", { text: TEXT[lang][`account_${a.code}`] ? t(`account_${a.code}`) : a.code }),
        el("div", { class: "balances" },
          el("div", null, el("div", { class: "muted", text: t("available") }), el("div", { class: "amount", "data-available": a.availableFen, text: yuan(a.availableFen) })),
          el("div", null, el("div", { class: "muted", text: t("held") }), el("div", { class: "amount", "data-held": a.debitsPendingFen, text: yuan(a.debitsPendingFen) })),
          el("div", null, el("div", { class: "muted", text: t("posted") }), el("div", { class: "amount", text: yuan(a.creditsPostedFen - a.debitsPostedFen) }))))));
    };
    const drawInstructions = () => {
      const box = $("instructions");
      if (!instructions) { box.hidden = true; return; }
      const i = instructions;
      box.replaceChildren(el("dl", null,
        el("dt", { text: t("reference") }), el("dd", { class: "reference mono", id: "topup-reference", text: i.reference }),
        el("dt", { text: t("amount") }), el("dd", { text: yuan(i.amountFen) }),
        el("dt", { text: t("bankName") }), el("dd", { text: i.bankName }),
        el("dt", { text: t("accountName") }), el("dd", { text: i.accountName }),
        el("dt", { text: t("accountNumber") }), el("dd", { class: "mono", text: i.accountNumber })),
        el("p", { class: "muted", text: t("quoteReference", { reference: i.reference }) }));
      box.hidden = false;
    };
    const drawTopups = () => listInto("topups", topups, "emptyTopUps", (x) => el("li", { "data-reference": x.reference, "data-status": x.status },
      el("div", { class: "line" }, el("strong", { class: "mono", text: x.reference }), el("span", { text: yuan(x.receivedFen ?? x.requestedFen) }), el("span", { class: `state ${x.status === "confirmed" ? "filled" : "open"}`, text: t(`topup_${x.status}`) })),
      el("div", { class: "line muted" }, el("span", { text: when(x.createdAt, true) }),
        x.status === "awaiting_transfer" ? el("button", { type: "button", class: "link", text: t("showInstructions"), onclick: () => { instructions = x.instructions; drawInstructions(); } }) : null)));
    renderers.push(drawAccounts, drawInstructions, drawTopups);

    async function load() {
      try {
        accounts = (await api("GET", "/v1/accounts")).items;
        drawAccounts();
        if (org.kind === "enterprise") { topups = (await api("GET", "/v1/top-ups?limit=20")).items; drawTopups(); }
      } catch (err) { fail(err); }
    }
    $("topup-panel").hidden = org.kind !== "enterprise";
    const requestTopUp = retrySafe();
    $("topup-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      hide("error");
      const amountFen = fenOf($("topup-amount").value);
      if (amountFen === null || amountFen <= 0) return show("error", "errAmount");
      $("topup").disabled = true;
      try {
        const r = await requestTopUp("/v1/top-ups", { amountFen });
        instructions = r.instructions;
        drawInstructions();
        await load();
      } catch (err) { fail(err); } finally { $("topup").disabled = false; }
    });
    $("app").hidden = false;
    render();
    await load();
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("lang").addEventListener("click", () => {
      lang = lang === "en" ? "zh-CN" : "en";
      try { localStorage.setItem(LANG_KEY, lang); } catch { /* switched, not remembered */ }
      render();
    });
    render();
    if (page === "login") return loginPage();
    if (!apiKey()) { location.replace(`/trade/login?next=${encodeURIComponent(location.pathname + location.search)}`); return; }
    $("signout").addEventListener("click", signOut);
    try {
      org = await loadOrg();
      if (!org) return;
      render();
      if (page === "market") await marketPage();
      else if (page === "orders") await ordersPage();
      else if (page === "contracts") await contractsPage();
      else if (page === "wallet") await walletPage();
    } catch (err) {
      $("app").hidden = false;
      fail(err);
    }
  });
})();
