// Shiftex operator console. One script for every /console page, served by Shiftex itself. The operator's API key lives
// in sessionStorage (this tab only) and goes in the Authorization header, never into a URL. Every text, errors
// included, comes from the dictionary below (zh-CN by default; English by the switch, remembered in localStorage).
"use strict";
(() => {
  const TEXT = {
    "zh-CN": {
      switchTo: "English", consoleBrand: "运营控制台", signOut: "退出", who: "运营人员",
      navRecon: "对账", navDisputes: "争议", navLedger: "账本", navPayments: "资金", navCharts: "图表",
      loginTitle: "运营人员登录", loginSub: "用运营人员的 API 密钥登录控制台。", apiKey: "API 密钥", signIn: "登录",
      loginHint: "密钥只保存在本标签页中，关闭标签页即清除，也不会出现在网址里。",
      errKeyEmpty: "请输入 API 密钥。", errKeyInvalid: "API 密钥无效或已停用。", errRole: "该密钥不属于运营人员。",
      provider: "渠道", provider_offline: "银行转账（线下）", provider_stripe: "Stripe", date: "日期", refresh: "刷新", all: "全部",
      totalsTitle: "每日控制总额", currency: "币种", ledgerSide: "账本（清算户）", providerSide: "渠道净额", difference: "差额",
      explained: "未结异常合计", unexplained: "无法解释", openCount: "未结异常", totalsAsOf: "截至 {at}", totalsNone: "所选日期还没有数据。",
      totalsZero: "差额为零：账本与渠道一致。",
      importTitle: "导入银行流水", importSub: "上传托管银行账户的对账单（CSV）。同一文件再次上传不会重复导入。",
      statementFile: "流水文件", encoding: "编码", importButton: "导入", imports: "导入记录", emptyImports: "暂无导入",
      importing: "导入中：{done} / {total} 行", imported: "已导入：新增 {inserted} 行，已有 {already} 行（共 {total} 行）",
      importStatus_importing: "导入中", importStatus_imported: "已完成", errNoFile: "请先选择文件。",
      runsTitle: "对账运行", runDate: "截至日期", runButton: "运行对账", ledgerCount: "账本笔数", providerCount: "渠道笔数", matched: "已匹配",
      exceptionsCol: "异常", suggestions: "建议", startedAt: "运行时间", emptyRuns: "暂无运行记录",
      runDone: "对账完成：匹配 {matched} 笔，异常 {exceptions} 笔。", runUnchanged: "数据未变化，返回上一次运行结果。",
      exceptionsTitle: "异常队列", status: "状态", status_open: "未结", status_resolving: "处理中", status_resolved: "已解决", status_cleared: "已自动消除",
      emptyExceptions: "没有符合条件的异常。",
      kind_amount_mismatch: "金额不符", kind_missing_in_ledger: "账本缺失", kind_missing_at_provider: "渠道缺失", kind_duplicate: "重复", kind_matched: "已匹配",
      exLine: "账本 {ledger} · 渠道 {provider} · 影响 {effect} · {age} 天 · 业务日 {date}",
      exIds: "账本：{ledger}；渠道：{provider}", owner: "负责人", noOwner: "未分配", assign: "分配", comment: "备注", addNote: "添加备注",
      resolveCorrect: "用更正转账解决（经暂挂户）", resolveMatch: "接受建议的配对", suggested: "建议配对：{id}",
      resolvedBy: "已由 {by} 解决：{how}", how_correction: "更正转账 {transfer}（{amount}）", how_match: "与 {with} 配对",
      assignedOk: "已分配。", notedOk: "备注已添加。", resolvedOk: "异常已解决。",
      disputesSub: "有争议的班次：查看工时与双方说法，裁定支付的分钟数；其余退回企业。双方都能看到裁定理由。",
      emptyDisputes: "没有待处理的争议。", disputeLine: "合同 {contract} · 第 {seat} 席 · {worker}",
      disputeParties: "用工企业：{enterprise} · 供给方：{supplier}", disputeTimes: "打卡记录 {recorded} 分钟（班次可付 {paid} 分钟）· 时薪 {rate}",
      disputeReason: "企业争议理由：{reason}", disputeProposed: "企业主张 {minutes} 分钟", minutesPaid: "支付分钟数", reason: "裁定理由", split: "裁定拆分",
      splitOk: "已裁定：支付 {minutes} 分钟。",
      trialBalance: "试算平衡表", accounts: "账户数", debitsPosted: "借方已过账", creditsPosted: "贷方已过账", debitsPending: "借方挂起", creditsPending: "贷方挂起",
      balanced: "借贷相等", byCode: "按账户类型", code: "类型", net: "贷减借", yes: "是", no: "否", tbAsOf: "截至账本时间戳 {asOf}",
      verifyTitle: "哈希链与检查点验证", verifySub: "重新计算每条记录的哈希，并与每个已签名的检查点核对；同时检查账本不变量。", verifyButton: "立即验证",
      verifyOk: "验证通过", verifyBad: "验证失败", invariants: "不变量", chain: "哈希链", checked: "已核对记录", checkpointsChecked: "已核对检查点",
      lastCheckpoint: "最新检查点", tip: "链尾", firstBad: "首个错误位置", checkpoints: "已签名检查点", signingKey: "签名公钥 {keyId}（Ed25519）",
      emptyCheckpoints: "暂无检查点", checkpointLine: "#{sequence} · {at}",
      exportsTitle: "CSV 导出", exportTrialBalance: "导出试算平衡表", exportTransfers: "导出当日转账", contractId: "合同编号", exportStatement: "导出合同对账单",
      errDate: "请选择日期。", errContract: "请输入合同编号。", downloaded: "已下载 {file}。",
      topUpsTitle: "待确认的充值", topUpsSub: "银行到账后，按银行流水填写实收金额与流水号确认，钱包随即入账。", emptyTopUps: "没有待确认的充值。",
      topUpLine: "{reference} · 申请 {amount} · {org}", receivedYuan: "实收金额（元）", bankTxn: "银行流水号", confirm: "确认到账", confirmedOk: "已确认，钱包已入账。",
      withdrawalsTitle: "待付款的提现", emptyWithdrawals: "没有待付款的提现。", withdrawalLine: "{amount} · {bank} {account} · {name}",
      batchButton: "生成付款批次", batchesTitle: "付款批次", emptyBatches: "暂无付款批次", batchLine: "{id} · {count} 笔 · 共 {total} · {status}",
      batch_posting: "过账中", batch_posted: "已过账", downloadFile: "下载付款文件", batchOk: "付款批次已生成：{count} 笔，共 {total}。",
      from: "开始日期", to: "结束日期", chartVolume: "每日资金流量", chartExceptions: "每日新发现的对账异常", chartArrears: "欠薪账龄",
      arrearsSub: "已确认工时但工资尚未从托管户付出的班次，按确认后天数分组。", arrearsOldest: "最久未付的工资",
      seriesAmount: "金额（元）", seriesTransfers: "笔数", seriesCount: "班次数", bucketDays: "{bucket} 天", emptyArrears: "没有拖欠的工资。",
      arrearsLine: "合同 {contract} · 已 {days} 天 · {amount}",
      errField: "「{field}」填写有误，请检查。", errSession: "登录已失效，请重新登录。", errForbidden: "无权进行此操作。", errNotFound: "未找到。",
      errConflict: "操作与当前状态冲突：{detail}", errUnprocessable: "无法执行：{detail}", errIdem: "相同请求正在处理，请稍后刷新查看结果。",
      errRateLimited: "请求过于频繁，请 {seconds} 秒后再试。", errNetwork: "网络连接失败，请检查网络后重试。", errGeneric: "出错了，请稍后再试（{code}）。",
      errStatement: "流水文件第 {line} 行「{column}」有误。", errAmount: "请输入大于 0 的金额，最多两位小数。", loading: "加载中…",
    },
    en: {
      switchTo: "中文", consoleBrand: "operator console", signOut: "Sign out", who: "Operator",
      navRecon: "Reconciliation", navDisputes: "Disputes", navLedger: "Ledger", navPayments: "Payments", navCharts: "Charts",
      loginTitle: "Operator sign-in", loginSub: "Sign in to the console with an operator's API key.", apiKey: "API key", signIn: "Sign in",
      loginHint: "The key stays in this browser tab only and is cleared when you close it; it never appears in a URL.",
      errKeyEmpty: "Enter your API key.", errKeyInvalid: "The API key is not valid or has been revoked.", errRole: "This key does not belong to an operator.",
      provider: "Provider", provider_offline: "Bank transfer (offline)", provider_stripe: "Stripe", date: "Date", refresh: "Refresh", all: "All",
      totalsTitle: "Daily control totals", currency: "Currency", ledgerSide: "Ledger (clearing)", providerSide: "Provider net", difference: "Difference",
      explained: "Open exceptions", unexplained: "Unexplained", openCount: "Open", totalsAsOf: "As of {at}", totalsNone: "Nothing for this date yet.",
      totalsZero: "The difference is zero: the ledger agrees with the provider.",
      importTitle: "Import a bank statement", importSub: "Upload the escrow bank account's statement (CSV). The same file again is not imported twice.",
      statementFile: "Statement file", encoding: "Encoding", importButton: "Import", imports: "Imports", emptyImports: "No imports yet",
      importing: "Importing: {done} of {total} lines", imported: "Imported: {inserted} new lines, {already} already stored ({total} in all)",
      importStatus_importing: "importing", importStatus_imported: "done", errNoFile: "Choose a file first.",
      runsTitle: "Reconciliation runs", runDate: "Up to date", runButton: "Run reconciliation", ledgerCount: "Ledger items", providerCount: "Provider items", matched: "Matched",
      exceptionsCol: "Exceptions", suggestions: "Suggestions", startedAt: "Run at", emptyRuns: "No runs yet",
      runDone: "Run finished: {matched} matched, {exceptions} exceptions.", runUnchanged: "Nothing changed; the previous run is shown again.",
      exceptionsTitle: "Exception queue", status: "Status", status_open: "Open", status_resolving: "Resolving", status_resolved: "Resolved", status_cleared: "Cleared",
      emptyExceptions: "No exceptions match.",
      kind_amount_mismatch: "Amount mismatch", kind_missing_in_ledger: "Missing in ledger", kind_missing_at_provider: "Missing at provider", kind_duplicate: "Duplicate", kind_matched: "Matched",
      exLine: "ledger {ledger} · provider {provider} · effect {effect} · {age} days · business day {date}",
      exIds: "ledger: {ledger}; provider: {provider}", owner: "Owner", noOwner: "unassigned", assign: "Assign", comment: "Note", addNote: "Add note",
      resolveCorrect: "Resolve with a correcting transfer (via suspense)", resolveMatch: "Accept the suggested pairing", suggested: "Suggested pairing: {id}",
      resolvedBy: "Resolved by {by}: {how}", how_correction: "correcting transfer {transfer} ({amount})", how_match: "paired with {with}",
      assignedOk: "Assigned.", notedOk: "Note added.", resolvedOk: "Exception resolved.",
      disputesSub: "Disputed shifts: read the times and both sides, decide the minutes paid; the rest goes back to the enterprise. Both parties see the reason.",
      emptyDisputes: "No disputes waiting.", disputeLine: "Contract {contract} · seat {seat} · {worker}",
      disputeParties: "Enterprise: {enterprise} · supplier: {supplier}", disputeTimes: "Clocked {recorded} minutes (shift pays up to {paid}) · rate {rate}/h",
      disputeReason: "Enterprise's reason: {reason}", disputeProposed: "Enterprise proposes {minutes} minutes", minutesPaid: "Minutes paid", reason: "Reason", split: "Split",
      splitOk: "Split: {minutes} minutes paid.",
      trialBalance: "Trial balance", accounts: "Accounts", debitsPosted: "Debits posted", creditsPosted: "Credits posted", debitsPending: "Debits pending", creditsPending: "Credits pending",
      balanced: "Balanced", byCode: "By account kind", code: "Kind", net: "Credits − debits", yes: "yes", no: "no", tbAsOf: "As of ledger timestamp {asOf}",
      verifyTitle: "Hash chain and checkpoints", verifySub: "Recomputes every record's hash and checks it against every signed checkpoint; checks the ledger's invariants too.", verifyButton: "Verify now",
      verifyOk: "Verified", verifyBad: "Verification failed", invariants: "Invariants", chain: "Hash chain", checked: "Records checked", checkpointsChecked: "Checkpoints checked",
      lastCheckpoint: "Latest checkpoint", tip: "Chain tip", firstBad: "First bad position", checkpoints: "Signed checkpoints", signingKey: "Signing key {keyId} (Ed25519)",
      emptyCheckpoints: "No checkpoints yet", checkpointLine: "#{sequence} · {at}",
      exportsTitle: "CSV exports", exportTrialBalance: "Trial balance", exportTransfers: "Transfers of the day", contractId: "Contract id", exportStatement: "Contract statement",
      errDate: "Choose a date.", errContract: "Enter a contract id.", downloaded: "Downloaded {file}.",
      topUpsTitle: "Top-ups to confirm", topUpsSub: "Once the bank has the money, confirm with the amount received and the bank's transaction id; the wallet is credited.", emptyTopUps: "No top-ups waiting.",
      topUpLine: "{reference} · asked {amount} · {org}", receivedYuan: "Received (yuan)", bankTxn: "Bank transaction id", confirm: "Confirm receipt", confirmedOk: "Confirmed; the wallet is credited.",
      withdrawalsTitle: "Withdrawals to pay", emptyWithdrawals: "No withdrawals waiting.", withdrawalLine: "{amount} · {bank} {account} · {name}",
      batchButton: "Create a payout batch", batchesTitle: "Payout batches", emptyBatches: "No payout batches yet", batchLine: "{id} · {count} payments · {total} · {status}",
      batch_posting: "posting", batch_posted: "posted", downloadFile: "Download the payout file", batchOk: "Payout batch created: {count} payments, {total}.",
      from: "From", to: "To", chartVolume: "Daily cash volume", chartExceptions: "Reconciliation exceptions found per day", chartArrears: "Wage-arrears ageing",
      arrearsSub: "Approved work whose wages have not left the contract's escrow, by days since approval.", arrearsOldest: "Oldest unpaid wages",
      seriesAmount: "Amount (yuan)", seriesTransfers: "Transfers", seriesCount: "Shifts", bucketDays: "{bucket} days", emptyArrears: "No wages in arrears.",
      arrearsLine: "Contract {contract} · {days} days · {amount}",
      errField: "Please check “{field}”.", errSession: "Your session has ended; please sign in again.", errForbidden: "You may not do this.", errNotFound: "Not found.",
      errConflict: "That conflicts with the current state: {detail}", errUnprocessable: "This cannot be carried out: {detail}", errIdem: "The same request is in progress; refresh shortly to see the result.",
      errRateLimited: "Too many requests; try again in {seconds} seconds.", errNetwork: "Could not reach Shiftex; check your connection and try again.", errGeneric: "Something went wrong; please try again later ({code}).",
      errStatement: "The statement's line {line}, column “{column}”, is not valid.", errAmount: "Enter an amount above 0 with at most two decimals.", loading: "Loading…",
    },
  };

  const LANG_KEY = "shiftex.lang";
  const API_KEY = "shiftex.consoleKey";
  let lang = "zh-CN";
  try { if (localStorage.getItem(LANG_KEY) === "en") lang = "en"; } catch { /* storage may be blocked */ }
  const page = document.body.dataset.page;
  const shown = { note: null, error: null };
  const renderers = [];

  // ---- helpers ----
  const { $, el } = window.ShiftexKit;
  const t = (key, params) => window.ShiftexKit.translate(TEXT, lang, key, params);
  function yuan(fen) {
    const n = Number(fen);
    const abs = Math.abs(n);
    return `${n < 0 ? "-" : ""}¥${Math.floor(abs / 100).toLocaleString("en-US")}.${String(abs % 100).padStart(2, "0")}`;
  }
  function fenOf(text) {
    const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(String(text).trim().replace(/^¥/, "").replace(/,/g, ""));
    if (!m) return null;
    return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
  }
  function when(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).format(d);
  }
  /** Today in Asia/Shanghai, YYYY-MM-DD. */
  function today() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  }
  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  const cell = (text, cls) => el("td", { class: cls, text: String(text) });

  // ---- messages ----
  function render() {
    document.documentElement.lang = lang;
    const titleKey = { login: "loginTitle", reconciliation: "navRecon", disputes: "navDisputes", ledger: "navLedger", payments: "navPayments", charts: "navCharts" }[page];
    document.title = `Shiftex · ${t(titleKey)}`;
    for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.getAttribute("data-t"));
    const sw = $("lang");
    sw.textContent = t("switchTo");
    sw.setAttribute("lang", lang === "en" ? "zh-CN" : "en");
    for (const id of ["note", "error"]) {
      const m = shown[id];
      const box = $(id);
      if (m) { box.textContent = typeof m === "function" ? m() : t(m.key, m.params); box.hidden = false; } else box.hidden = true;
    }
    for (const fn of renderers) fn();
  }
  function show(id, key, params) { shown[id] = { key, params: params || {} }; if (id === "note") shown.error = null; render(); }
  function hide(id) { shown[id] = null; render(); }
  function fail(err) { shown.note = null; shown.error = () => messageOf(err); render(); }

  function messageOf(err) {
    if (!err || err.network) return t("errNetwork");
    const p = err.problem || {};
    const field = typeof p.field === "string" ? p.field.split("/").pop() : "";
    switch (p.code) {
      case "validation_failed":
        if (p.line !== undefined && p.column !== undefined) return t("errStatement", { line: p.line, column: p.column });
        return t("errField", { field: field || "?" });
      case "unauthenticated": return t(page === "login" ? "errKeyInvalid" : "errSession");
      case "forbidden": return t(page === "login" ? "errRole" : "errForbidden");
      case "not_found": return t("errNotFound");
      case "conflict": return t("errConflict", { detail: p.detail || "" });
      case "unprocessable": return t("errUnprocessable", { detail: p.detail || "" });
      case "idempotency_key_reused": case "idempotency_in_progress": return t("errIdem");
      case "rate_limited": return t("errRateLimited", { seconds: err.retryAfter || 60 });
      default: return t("errGeneric", { code: p.code || `HTTP ${err.status}` });
    }
  }

  // ---- HTTP ----
  const apiKey = () => { try { return sessionStorage.getItem(API_KEY); } catch { return null; } };
  function signOut() {
    try { sessionStorage.removeItem(API_KEY); } catch { /* nothing kept */ }
    location.replace("/console/login");
  }
  async function request(method, path, options = {}) {
    const key = options.key ?? apiKey();
    const headers = {};
    if (key) headers.authorization = `Bearer ${key}`;
    let body;
    if (options.raw !== undefined) { body = options.raw; headers["content-type"] = options.type || "application/octet-stream"; }
    else if (options.body !== undefined) { body = JSON.stringify(options.body); headers["content-type"] = "application/json"; }
    if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
    let res;
    try {
      res = await fetch(path, { method, headers, body, credentials: "omit", cache: "no-store" });
    } catch {
      throw { network: true };
    }
    if (res.ok) return res;
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (res.status === 401 && page !== "login") signOut();
    throw { status: res.status, problem: data || {}, retryAfter: Number(res.headers.get("retry-after")) || 0 };
  }
  async function api(method, path, body, options = {}) {
    const res = await request(method, path, { ...options, body });
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }
  /** A POST that moves money: one Idempotency-Key per intended action, kept across a retry after a network failure. */
  function retrySafe() {
    const pending = new Map();
    return async (path, body) => {
      const id = `${path} ${JSON.stringify(body)}`;
      if (!pending.has(id)) pending.set(id, newKey());
      try {
        const r = await api("POST", path, body, { idempotencyKey: pending.get(id) });
        pending.delete(id);
        return r;
      } catch (err) {
        if (!err.network) pending.delete(id);
        throw err;
      }
    };
  }
  const post = retrySafe();
  /** Downloads a CSV the API serves (the key goes in the header, so the browser cannot follow a plain link). */
  async function download(path) {
    const res = await request("GET", path);
    const blob = await res.blob();
    const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") || "")?.[1] || "export.csv";
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    show("note", "downloaded", { file: name });
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
        if (!me || me.role !== "operator") { show("error", "errRole"); return; }
        try { sessionStorage.setItem(API_KEY, key); } catch { /* the tab must allow storage */ }
        location.replace("/console");
      } catch (err) {
        fail(err);
      } finally {
        $("signin").disabled = false;
      }
    });
  }

  // -- reconciliation --
  function reconciliationPage() {
    let totals = null;
    let runs = [];
    let imports = [];
    let exceptions = [];
    let progress = null;
    $("totals-date").value = today();
    $("run-date").value = today();

    function drawTotals() {
      const body = $("totals").querySelector("tbody");
      body.replaceChildren();
      if (!totals) return;
      if (totals.totals.length === 0) body.append(el("tr", null, el("td", { colspan: 7, class: "empty", text: t("totalsNone") })));
      for (const x of totals.totals) {
        body.append(el("tr", { class: x.differenceFen === 0 ? "zero" : "nonzero", "data-currency": x.currency, "data-difference": x.differenceFen, "data-unexplained": x.unexplainedFen },
          cell(x.currency), cell(yuan(x.ledgerFen), "num"), cell(yuan(x.providerFen), "num"), cell(yuan(x.differenceFen), "num diff"),
          cell(yuan(x.openExceptionsFen), "num"), cell(yuan(x.unexplainedFen), "num"), cell(x.openExceptions, "num")));
      }
      const zero = totals.totals.length > 0 && totals.totals.every((x) => x.differenceFen === 0);
      $("totals-asof").textContent = `${t("totalsAsOf", { at: when(totals.asOf) })}${zero ? ` · ${t("totalsZero")}` : ""}`;
      $("totals-asof").className = zero ? "muted ok-text" : "muted";
    }
    function drawRuns() {
      const body = $("runs").querySelector("tbody");
      body.replaceChildren();
      if (runs.length === 0) body.append(el("tr", null, el("td", { colspan: 9, class: "empty", text: t("emptyRuns") })));
      for (const r of runs) {
        const diff = r.totals.reduce((s, x) => s + x.differenceFen, 0);
        body.append(el("tr", { "data-run": r.id }, cell(r.date), cell(t(`provider_${r.provider}`)), cell(r.ledgerCount, "num"), cell(r.providerCount, "num"),
          cell(r.matched, "num"), cell(r.exceptions, "num"), cell(r.suggestions, "num"), cell(yuan(diff), "num"), cell(when(r.createdAt))));
      }
    }
    function drawImports() {
      const list = $("imports");
      list.replaceChildren();
      if (imports.length === 0) list.append(el("li", { class: "empty", text: t("emptyImports") }));
      for (const i of imports) {
        list.append(el("li", { "data-import": i.id },
          el("div", { class: "line" }, el("strong", { text: i.filename || i.id }), el("span", { class: "badge", text: t(`importStatus_${i.status}`) })),
          el("div", { class: "muted", text: i.status === "importing" ? t("importing", { done: i.done, total: i.total }) : t("imported", { inserted: i.inserted, already: i.alreadyImported, total: i.total }) })));
      }
      const box = $("import-progress-box");
      box.hidden = progress === null;
      if (progress) {
        $("import-progress").max = Math.max(1, progress.total);
        $("import-progress").value = progress.done;
        $("import-progress-text").textContent = progress.finished ? t("imported", progress.finished) : t("importing", progress);
      }
    }
    function drawExceptions() {
      const list = $("exceptions");
      list.replaceChildren();
      if (exceptions.length === 0) list.append(el("li", { class: "empty", text: t("emptyExceptions") }));
      for (const x of exceptions) list.append(exceptionItem(x));
    }
    function exceptionItem(x) {
      const open = x.status === "open";
      const li = el("li", { "data-exception": x.id, "data-kind": x.kind, "data-status": x.status },
        el("div", { class: "line" },
          el("span", { class: `kind ${x.kind}`, text: t(`kind_${x.kind}`) }),
          el("span", { class: `status-${x.status}`, text: t(`status_${x.status}`) }),
          el("strong", { text: yuan(x.effectFen) }),
          el("span", { class: "muted", text: `${t("owner")}: ${x.owner || t("noOwner")}` })),
        el("div", { class: "muted", text: t("exLine", { ledger: yuan(x.ledgerFen), provider: yuan(x.providerFen), effect: yuan(x.effectFen), age: x.ageDays, date: x.date }) }),
        el("div", { class: "mono-small", text: t("exIds", { ledger: x.ledgerIds.join(", ") || "—", provider: x.providerIds.join(", ") || "—" }) }),
        x.suggestedExceptionId ? el("div", { class: "muted", text: t("suggested", { id: x.suggestedExceptionId }) }) : null,
        x.status === "resolved" ? el("div", { class: "ok-text", text: t("resolvedBy", { by: x.resolvedBy || "", how: x.resolution === "match" ? t("how_match", { with: x.matchedWith }) : t("how_correction", { transfer: x.correctionTransferId, amount: yuan(x.correctionFen ?? 0) }) }) }) : null,
        x.notes.length ? el("ul", { class: "notes" }, ...x.notes.map((n) => el("li", { text: `${when(n.createdAt)} ${n.author}: ${n.body}` }))) : null);
      const owner = el("input", { name: "owner", value: x.owner || "", "aria-label": t("owner"), autocomplete: "off" });
      const note = el("input", { name: "note", "aria-label": t("comment"), autocomplete: "off" });
      const actions = el("div", { class: "ex-actions" },
        el("form", { class: "assign", onsubmit: async (e) => {
          e.preventDefault();
          try { replace(await api("POST", `/v1/reconciliation/exceptions/${encodeURIComponent(x.id)}/assign`, { owner: owner.value.trim() || null })); show("note", "assignedOk"); } catch (err) { fail(err); }
        } }, owner, el("button", { type: "submit", class: "secondary", text: t("assign") })),
        el("form", { class: "comment", onsubmit: async (e) => {
          e.preventDefault();
          if (!note.value.trim()) return;
          try { replace(await post(`/v1/reconciliation/exceptions/${encodeURIComponent(x.id)}/notes`, { body: note.value.trim() })); show("note", "notedOk"); } catch (err) { fail(err); }
        } }, note, el("button", { type: "submit", class: "secondary", text: t("addNote") })));
      if (open) {
        const buttons = el("div", { class: "actions" });
        if (x.effectFen !== 0) buttons.append(el("button", { type: "button", class: "resolve-correct", text: t("resolveCorrect"), onclick: (e) => resolve(e.target, x, { action: "correct" }) }));
        if (x.suggestedExceptionId) buttons.append(el("button", { type: "button", class: "secondary resolve-match", text: t("resolveMatch"), onclick: (e) => resolve(e.target, x, { action: "match" }) }));
        actions.append(buttons);
      }
      li.append(actions);
      return li;
    }
    async function resolve(button, x, body) {
      button.disabled = true;
      try {
        await post(`/v1/reconciliation/exceptions/${encodeURIComponent(x.id)}/resolve`, body);
        show("note", "resolvedOk");
        await Promise.all([loadExceptions(), loadTotals()]);
      } catch (err) {
        fail(err);
        button.disabled = false;
      }
    }
    function replace(view) {
      exceptions = exceptions.map((x) => (x.id === view.id ? view : x));
      drawExceptions();
    }
    async function loadTotals() {
      try { totals = await api("GET", `/v1/reconciliation/control-totals?provider=${encodeURIComponent($("totals-provider").value)}&date=${encodeURIComponent($("totals-date").value)}`); drawTotals(); } catch (err) { fail(err); }
    }
    async function loadRuns() {
      try { runs = (await api("GET", "/v1/reconciliation/runs?limit=20")).items; drawRuns(); } catch (err) { fail(err); }
    }
    async function loadImports() {
      try { imports = (await api("GET", "/v1/reconciliation/imports?limit=10")).items; drawImports(); } catch (err) { fail(err); }
    }
    async function loadExceptions() {
      const status = $("exceptions-status").value;
      try { exceptions = (await api("GET", `/v1/reconciliation/exceptions?limit=200${status ? `&status=${status}` : ""}`)).items; drawExceptions(); } catch (err) { fail(err); }
    }
    $("totals-form").addEventListener("submit", (e) => { e.preventDefault(); void loadTotals(); });
    $("exceptions-status").addEventListener("change", () => void loadExceptions());
    $("run-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      $("run").disabled = true;
      try {
        const r = await post("/v1/reconciliation/runs", { provider: $("run-provider").value, date: $("run-date").value });
        show("note", r.unchanged ? "runUnchanged" : "runDone", { matched: r.matched, exceptions: r.exceptions });
        $("totals-provider").value = r.provider;
        $("totals-date").value = r.date;
        await Promise.all([loadRuns(), loadExceptions(), loadTotals()]);
      } catch (err) {
        fail(err);
      } finally {
        $("run").disabled = false;
      }
    });
    $("import-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const file = $("import-file").files[0];
      if (!file) return show("error", "errNoFile");
      $("import").disabled = true;
      progress = { done: 0, total: 0 };
      drawImports();
      // The import writes its lines in chunks and records how far it got: poll that while the upload is answered.
      let polling = true;
      const poll = async () => {
        while (polling) {
          try {
            const latest = (await api("GET", "/v1/reconciliation/imports?limit=1")).items[0];
            if (polling && latest && latest.status === "importing") { progress = { done: latest.done, total: latest.total }; drawImports(); }
          } catch { /* the answer of the upload tells */ }
          await new Promise((r) => setTimeout(r, 250));
        }
      };
      void poll();
      try {
        const res = await request("POST", `/v1/reconciliation/imports?filename=${encodeURIComponent(file.name)}&encoding=${encodeURIComponent($("import-encoding").value)}`, { raw: file, type: "text/csv" });
        const view = await res.json();
        polling = false;
        progress = { done: view.done, total: view.total, finished: { inserted: view.inserted, already: view.alreadyImported, total: view.total } };
        await loadImports();
      } catch (err) {
        polling = false;
        progress = null;
        drawImports();
        fail(err);
      } finally {
        $("import").disabled = false;
      }
    });
    renderers.push(drawTotals, drawRuns, drawImports, drawExceptions);
    $("app").hidden = false;
    void Promise.all([loadTotals(), loadRuns(), loadImports(), loadExceptions()]);
  }

  // -- disputes --
  function disputesPage() {
    let items = [];
    function draw() {
      const list = $("disputes");
      list.replaceChildren();
      if (items.length === 0) list.append(el("li", { class: "empty", text: t("emptyDisputes") }));
      for (const s of items) {
        const minutes = el("input", { name: "minutes", inputmode: "numeric", value: String(s.dispute?.proposedMinutes ?? s.recordedMinutes ?? 0), "aria-label": t("minutesPaid") });
        const reason = el("input", { name: "reason", autocomplete: "off", "aria-label": t("reason") });
        list.append(el("li", { "data-shift": s.shiftId, "data-contract": s.contractId },
          el("div", { class: "line" }, el("strong", { text: t("disputeLine", { contract: s.contractId, seat: s.seat, worker: s.workerName || s.workerId }) })),
          el("div", { class: "muted", text: t("disputeParties", { enterprise: s.enterpriseName, supplier: s.supplierName }) }),
          el("div", { class: "muted", text: t("disputeTimes", { recorded: s.recordedMinutes ?? "—", paid: s.paidMinutes, rate: yuan(s.rateFen) }) }),
          s.dispute ? el("div", { text: t("disputeReason", { reason: s.dispute.reason }) }) : null,
          s.dispute && s.dispute.proposedMinutes !== null ? el("div", { class: "muted", text: t("disputeProposed", { minutes: s.dispute.proposedMinutes }) }) : null,
          el("form", { class: "row split", onsubmit: async (e) => {
            e.preventDefault();
            const m = Number(minutes.value);
            if (!Number.isInteger(m) || m < 0) return show("error", "errField", { field: t("minutesPaid") });
            try {
              await post(`/v1/contracts/${encodeURIComponent(s.contractId)}/seats/${s.seat}/split`, { minutes: m, reason: reason.value.trim() });
              show("note", "splitOk", { minutes: m });
              await load();
            } catch (err) { fail(err); }
          } }, el("label", null, el("span", { text: t("minutesPaid") }), minutes), el("label", null, el("span", { text: t("reason") }), reason), el("button", { type: "submit", text: t("split") }))));
      }
    }
    async function load() {
      try { items = (await api("GET", "/v1/disputes?limit=100")).items; draw(); } catch (err) { fail(err); }
    }
    renderers.push(draw);
    $("app").hidden = false;
    void load();
  }

  // -- ledger --
  function ledgerPage() {
    let tb = null;
    let verify = null;
    let checkpoints = null;
    $("export-date").value = today();
    function draw() {
      const lb = $("tb-ledgers").querySelector("tbody");
      const cb = $("tb-codes").querySelector("tbody");
      lb.replaceChildren();
      cb.replaceChildren();
      if (tb) {
        for (const l of tb.ledgers) {
          const ok = l.debitsPostedFen === l.creditsPostedFen && l.debitsPendingFen === l.creditsPendingFen;
          lb.append(el("tr", { "data-ledger": l.ledger, "data-balanced": ok }, cell(l.ledger), cell(l.accounts, "num"), cell(yuan(l.debitsPostedFen), "num"), cell(yuan(l.creditsPostedFen), "num"),
            cell(yuan(l.debitsPendingFen), "num"), cell(yuan(l.creditsPendingFen), "num"), cell(t(ok ? "yes" : "no"), ok ? "ok-text" : "bad-text")));
        }
        for (const c of tb.codes) {
          cb.append(el("tr", null, cell(c.code), cell(c.ledger), cell(c.accounts, "num"), cell(yuan(c.debitsPostedFen), "num"), cell(yuan(c.creditsPostedFen), "num"), cell(yuan(c.creditsPostedFen - c.debitsPostedFen), "num")));
        }
        $("tb-asof").textContent = t("tbAsOf", { asOf: tb.asOf });
      }
      const dl = $("verify-result");
      dl.replaceChildren();
      dl.hidden = verify === null;
      if (verify) {
        const row = (k, v, cls) => [el("dt", { text: t(k) }), el("dd", { text: v, class: cls })];
        dl.dataset.ok = String(verify.ok);
        dl.append(
          ...row("verifyTitle", t(verify.ok ? "verifyOk" : "verifyBad"), verify.ok ? "ok-text" : "bad-text"),
          ...row("invariants", verify.invariants.ok ? t("yes") : verify.invariants.problems.join("; "), verify.invariants.ok ? "ok-text" : "bad-text"),
          ...row("chain", `${verify.chain.ok ? t("yes") : t("no")} (${verify.chain.mode})`, verify.chain.ok ? "ok-text" : "bad-text"),
          ...row("checked", `${verify.chain.checked} (${verify.chain.from}–${verify.chain.through})`),
          ...row("checkpointsChecked", String(verify.chain.checkpointsChecked)),
          ...(verify.chain.lastCheckpoint ? row("lastCheckpoint", `#${verify.chain.lastCheckpoint.sequence} · ${when(verify.chain.lastCheckpoint.signedAt)}`) : []),
          ...(verify.chain.firstBad ? row("firstBad", `#${verify.chain.firstBad.sequence}: ${verify.chain.firstBad.reason}`, "bad-text") : []),
          ...row("tip", `#${verify.tip.sequence} ${verify.tip.chainHash.slice(0, 16)}…`));
      }
      const cl = $("checkpoints");
      cl.replaceChildren();
      if (checkpoints) {
        $("signing-key").textContent = t("signingKey", { keyId: checkpoints.signingKey.keyId });
        if (checkpoints.items.length === 0) cl.append(el("li", { class: "empty", text: t("emptyCheckpoints") }));
        for (const c of checkpoints.items) cl.append(el("li", null, el("span", { text: t("checkpointLine", { sequence: c.sequence, at: when(c.signedAt) }) }), el("span", { class: "mono-small", text: c.chainHash })));
      }
    }
    async function load() {
      try {
        [tb, checkpoints] = await Promise.all([api("GET", "/v1/ledger/trial-balance"), api("GET", "/v1/public/ledger/checkpoints?limit=10")]);
        draw();
      } catch (err) { fail(err); }
    }
    $("verify").addEventListener("click", async () => {
      $("verify").disabled = true;
      try { verify = await api("GET", "/v1/ledger/verify"); draw(); } catch (err) { fail(err); } finally { $("verify").disabled = false; }
    });
    const withDate = (fn) => () => { const d = $("export-date").value; if (!d) return show("error", "errDate"); void fn(d).catch(fail); };
    $("export-tb").addEventListener("click", withDate((d) => download(`/v1/reconciliation/exports/trial-balance.csv?date=${d}`)));
    $("export-transfers").addEventListener("click", withDate((d) => download(`/v1/reconciliation/exports/transfers.csv?date=${d}`)));
    $("export-statement").addEventListener("click", () => {
      const c = $("export-contract").value.trim();
      if (!c) return show("error", "errContract");
      void download(`/v1/reconciliation/exports/contract-statement.csv?contractId=${encodeURIComponent(c)}`).catch(fail);
    });
    renderers.push(draw);
    $("app").hidden = false;
    void load();
  }

  // -- payments --
  function paymentsPage() {
    let topups = [];
    let withdrawals = [];
    let batches = [];
    function draw() {
      const tl = $("topups");
      tl.replaceChildren();
      if (topups.length === 0) tl.append(el("li", { class: "empty", text: t("emptyTopUps") }));
      for (const x of topups) {
        const amount = el("input", { inputmode: "decimal", value: (x.requestedFen / 100).toFixed(2), "aria-label": t("receivedYuan") });
        const txn = el("input", { autocomplete: "off", "aria-label": t("bankTxn") });
        tl.append(el("li", { "data-topup": x.reference },
          el("div", { class: "line" }, el("strong", { text: t("topUpLine", { reference: x.reference, amount: yuan(x.requestedFen), org: x.organisationId }) })),
          el("form", { class: "row", onsubmit: async (e) => {
            e.preventDefault();
            const fen = fenOf(amount.value);
            if (!fen) return show("error", "errAmount");
            if (!txn.value.trim()) return show("error", "errField", { field: t("bankTxn") });
            try {
              await post(`/v1/top-ups/${encodeURIComponent(x.reference)}/confirm`, { amountFen: fen, bankTransactionId: txn.value.trim(), ...(fen !== x.requestedFen ? { acceptDifferentAmount: true } : {}) });
              show("note", "confirmedOk");
              await load();
            } catch (err) { fail(err); }
          } }, el("label", null, el("span", { text: t("receivedYuan") }), amount), el("label", null, el("span", { text: t("bankTxn") }), txn), el("button", { type: "submit", text: t("confirm") }))));
      }
      const wl = $("withdrawals");
      wl.replaceChildren();
      if (withdrawals.length === 0) wl.append(el("li", { class: "empty", text: t("emptyWithdrawals") }));
      for (const w of withdrawals) wl.append(el("li", { "data-withdrawal": w.id }, el("span", { text: t("withdrawalLine", { amount: yuan(w.amountFen), bank: w.bankName, account: w.bankAccountNumber, name: w.bankAccountName }) })));
      $("batch").disabled = withdrawals.length === 0;
      const bl = $("batches");
      bl.replaceChildren();
      if (batches.length === 0) bl.append(el("li", { class: "empty", text: t("emptyBatches") }));
      for (const b of batches) {
        bl.append(el("li", { "data-batch": b.id },
          el("div", { class: "line" }, el("span", { text: t("batchLine", { id: b.id, count: b.count, total: yuan(b.totalFen), status: t(`batch_${b.status}`) }) })),
          b.status === "posted" ? el("div", { class: "actions" }, el("button", { type: "button", class: "secondary", text: t("downloadFile"), onclick: () => void download(`/v1/payout-batches/${encodeURIComponent(b.id)}/file`).catch(fail) })) : null));
      }
    }
    async function load() {
      try {
        const [a, b, c] = await Promise.all([
          api("GET", "/v1/top-ups?status=awaiting_transfer&limit=100"),
          api("GET", "/v1/withdrawals?status=requested&limit=100"),
          api("GET", "/v1/payout-batches?limit=20"),
        ]);
        topups = a.items; withdrawals = b.items; batches = c.items;
        draw();
      } catch (err) { fail(err); }
    }
    $("batch").addEventListener("click", async () => {
      $("batch").disabled = true;
      try {
        const b = await post("/v1/payout-batches", { withdrawalIds: withdrawals.map((w) => w.id) });
        show("note", "batchOk", { count: b.count, total: yuan(b.totalFen) });
        await load();
      } catch (err) { fail(err); $("batch").disabled = false; }
    });
    renderers.push(draw);
    $("app").hidden = false;
    void load();
  }

  // -- charts --
  function chartsPage() {
    const charts = {};
    let data = null;
    const toDate = today();
    const fromDate = new Date(Date.parse(`${toDate}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
    $("charts-from").value = fromDate;
    $("charts-to").value = toDate;
    // Under the pages' CSP (style-src 'self') the HTML tooltip is blocked: tooltips are drawn on the canvas (richText).
    const tooltip = { trigger: "axis", renderMode: "richText" };
    function chart(id) {
      if (!charts[id]) charts[id] = window.echarts.init($(id), null, { renderer: "canvas" });
      return charts[id];
    }
    function draw() {
      if (!data || !window.echarts) return;
      const days = data.volume.map((d) => d.date);
      chart("chart-volume").setOption({
        animation: false, tooltip, legend: { top: 0, data: [t("seriesAmount"), t("seriesTransfers")] }, grid: { top: 56, left: 70, right: 50, bottom: 30 },
        xAxis: { type: "category", data: days },
        yAxis: [{ type: "value", name: t("seriesAmount") }, { type: "value", name: t("seriesTransfers"), minInterval: 1 }],
        series: [
          { name: t("seriesAmount"), type: "bar", data: data.volume.map((d) => d.amountFen / 100) },
          { name: t("seriesTransfers"), type: "line", yAxisIndex: 1, data: data.volume.map((d) => d.transfers) },
        ],
      }, true);
      const kinds = ["amount_mismatch", "missing_in_ledger", "missing_at_provider", "duplicate"];
      chart("chart-exceptions").setOption({
        animation: false, tooltip, legend: { top: 0, data: kinds.map((k) => t(`kind_${k}`)) }, grid: { top: 56, left: 50, right: 20, bottom: 30 },
        xAxis: { type: "category", data: days }, yAxis: { type: "value", minInterval: 1 },
        series: kinds.map((k) => ({ name: t(`kind_${k}`), type: "bar", stack: "kinds", data: days.map((d) => data.exceptions.filter((e) => e.date === d && e.kind === k).reduce((s, e) => s + e.opened, 0)) })),
      }, true);
      chart("chart-arrears").setOption({
        animation: false, tooltip, legend: { top: 0, data: [t("seriesAmount"), t("seriesCount")] }, grid: { top: 56, left: 70, right: 50, bottom: 30 },
        xAxis: { type: "category", data: data.arrears.map((a) => t("bucketDays", { bucket: a.bucket })) },
        yAxis: [{ type: "value", name: t("seriesAmount") }, { type: "value", name: t("seriesCount"), minInterval: 1 }],
        series: [
          { name: t("seriesAmount"), type: "bar", data: data.arrears.map((a) => a.amountFen / 100) },
          { name: t("seriesCount"), type: "line", yAxisIndex: 1, data: data.arrears.map((a) => a.count) },
        ],
      }, true);
      const list = $("arrears-oldest");
      list.replaceChildren();
      if (data.arrearsOldest.length === 0) list.append(el("li", { class: "empty", text: t("emptyArrears") }));
      for (const a of data.arrearsOldest) list.append(el("li", { text: t("arrearsLine", { contract: a.contractId, days: a.ageDays, amount: yuan(a.amountFen) }) }));
      document.body.dataset.charts = "drawn";
    }
    async function load() {
      try { data = await api("GET", `/v1/console/charts?from=${$("charts-from").value}&to=${$("charts-to").value}`); draw(); } catch (err) { fail(err); }
    }
    $("charts-form").addEventListener("submit", (e) => { e.preventDefault(); void load(); });
    window.addEventListener("resize", () => { for (const c of Object.values(charts)) c.resize(); });
    renderers.push(draw);
    $("app").hidden = false;
    void load();
  }

  // ---- start ----
  $("lang").addEventListener("click", () => {
    lang = lang === "en" ? "zh-CN" : "en";
    try { localStorage.setItem(LANG_KEY, lang); } catch { /* not remembered */ }
    render();
  });
  if (page === "login") {
    render();
    loginPage();
    return;
  }
  if (!apiKey()) { location.replace("/console/login"); return; }
  $("signout").addEventListener("click", signOut);
  renderers.push(() => { $("who").textContent = t("who"); });
  const pages = { reconciliation: reconciliationPage, disputes: disputesPage, ledger: ledgerPage, payments: paymentsPage, charts: chartsPage };
  render();
  pages[page]();
})();
