// Shiftex worker pages (login and home), served by Shiftex itself under a strict CSP, sized for a 360 px phone.
// Chinese by default with an English switch remembered in localStorage; every text the page shows, errors
// included, comes from the dictionary below: problem `code`s map to localised messages, the server's English
// `detail` is never shown. The home lists the worker's shifts and is pushed live over the `shifts` channel.
"use strict";
(function () {
  var TEXT = {
    "zh-CN": {
      switchTo: "English", loginTitle: "工人登录", loginSub: "用手机号和验证码登录", phone: "手机号", send: "获取验证码",
      code: "验证码", login: "登录", homeTitle: "我的 Shiftex", hello: "你好，{name}", logout: "退出登录",
      sent: "如果该手机号已登记，验证码已发送。", devCode: "开发模式：验证码是 {code}",
      errPhone: "请输入有效的中国大陆手机号（11 位，以 13–19 开头）。", errCodeFormat: "验证码是 6 位数字。",
      errWrongCode: "验证码错误或已过期，请重新获取。", errLocked: "验证码错误次数过多，请 {seconds} 秒后再试。",
      errRateLimited: "请求过于频繁，请 {seconds} 秒后再试。", errNetwork: "网络连接失败，请检查网络后重试。",
      errSession: "登录已失效，请重新登录。", errGeneric: "出错了，请稍后再试（{code}）。",
      live_connecting: "连接中…", live_live: "实时更新", live_reconnecting: "重新连接中…",
      offered: "新的班次邀请", upcoming: "我的班次", past: "已结束的班次",
      noOffered: "暂时没有新的邀请。", noUpcoming: "暂时没有待上的班次。", noPast: "还没有已结束的班次。",
      openings: "所在机构的空缺班次", noOpenings: "暂时没有适合您的空缺。", openingSeats: "空缺 {n} 人", openingHint: "想接这个班次？请联系您的机构为您派工。",
      reliability: "企业信用（近 {days} 天）：迟取消 {late} · 工时争议 {dispute} · 审批用时中位数 {hours}", reliabilityNone: "企业信用：暂无记录", hoursOf: "{hours} 小时",
      when: "{date} {from}–{to}", rate: "时薪 {rate}", by: "用工企业：{name}", agency: "派遣机构：{name}",
      confirmBy: "请在 {time} 前确认", checkInBy: "请在 {time} 前签到", confirm: "确认接单", decline: "拒绝",
      siteCode: "现场签到码（6 位）", checkIn: "签到", checkOut: "签退",
      checkedInAt: "已签到 {time}", checkedOutAt: "已签退 {time}", hours: "工时 {hours} 小时", earned: "收入 {amount}",
      earnedNet: "实得 {amount}（代扣个税 {tax}）", paidToSupplier: "由 {name} 发放工资", paidToWorker: "已计入您的账户",
      waitingApproval: "等待企业确认工时（{time} 前未处理将自动确认）", flagged: "您的位置在场地范围外：签到已保留，待企业确认。",
      st_assigned: "待确认", st_confirmed: "已确认", st_checkedIn: "已签到", st_checkedOut: "已签退", st_disputed: "工时有争议",
      st_approved: "已结算", st_resolved: "争议已处理", st_declined: "已拒绝", st_replaced: "已换人", st_lapsed: "未按时确认",
      st_cancelled: "已取消", st_noShow: "缺勤", done: "已完成：{what}",
      errBadCode: "签到码不正确：请重新读取现场屏幕上的签到码（每 30 秒更换）。", errConflict: "当前状态下不能这样操作（例如已过截止时间）。",
      errNotFound: "找不到该班次。", skillUnknown: "班次",
      account: "我的账户", available: "可提现余额", pendingOut: "提现处理中 {amount}", wdAmount: "提现金额（元）", wdName: "收款人姓名",
      wdBank: "开户银行", wdNumber: "银行卡号", withdraw: "申请提现", wdHint: "提现由平台审核后分批打款到您的银行卡。",
      wdRequested: "已申请提现 {amount}，等待平台打款。", errAmount: "请输入大于 0 的金额，最多两位小数。",
      errTooMuch: "余额不足：可提现余额不够这笔提现。", errBankNumber: "银行卡号是 8 到 34 位数字。", errBankName: "请填写开户银行（至少 2 个字）。",
      errPayee: "请填写收款人姓名（至少 2 个字）。",
      wd_holding: "处理中", wd_requested: "等待打款", wd_rejecting: "处理中", wd_rejected: "已退回", wd_paying: "打款中", wd_paid: "已打款",
      wdLine: "{amount} · {bank} 尾号 {tail}"
    },
    "en": {
      switchTo: "中文", loginTitle: "Worker login", loginSub: "Log in with your phone and a one-time code", phone: "Phone", send: "Send code",
      code: "Code", login: "Log in", homeTitle: "My Shiftex", hello: "Hello, {name}", logout: "Log out",
      sent: "If this phone is registered, a code is on its way.", devCode: "Dev mode: the code is {code}",
      errPhone: "Enter a valid mainland China mobile number (11 digits starting 13–19).", errCodeFormat: "The code has 6 digits.",
      errWrongCode: "The code is wrong or has expired; ask for a new one.", errLocked: "Too many wrong codes; try again in {seconds} seconds.",
      errRateLimited: "Too many requests; try again in {seconds} seconds.", errNetwork: "Could not reach Shiftex; check your connection and try again.",
      errSession: "Your session has ended; please log in again.", errGeneric: "Something went wrong; please try again later ({code}).",
      live_connecting: "Connecting…", live_live: "Live", live_reconnecting: "Reconnecting…",
      offered: "Shift offers", upcoming: "My shifts", past: "Past shifts",
      noOffered: "No new offers.", noUpcoming: "No shifts coming up.", noPast: "No past shifts yet.",
      openings: "Open seats at your agency", noOpenings: "No open seats for you right now.", openingSeats: "{n} open", openingHint: "Want it? Ask your agency to name you for it.",
      reliability: "Employer record ({days} days): late cancellations {late} · disputed timesheets {dispute} · approves in {hours} (median)", reliabilityNone: "Employer record: none yet", hoursOf: "{hours} h",
      when: "{date} {from}–{to}", rate: "{rate} an hour", by: "Employer: {name}", agency: "Agency: {name}",
      confirmBy: "Confirm by {time}", checkInBy: "Check in by {time}", confirm: "Confirm", decline: "Decline",
      siteCode: "Site code (6 digits)", checkIn: "Check in", checkOut: "Check out",
      checkedInAt: "Checked in {time}", checkedOutAt: "Checked out {time}", hours: "{hours} h worked", earned: "Earned {amount}",
      earnedNet: "Paid {amount} ({tax} tax withheld)", paidToSupplier: "Wages paid by {name}", paidToWorker: "Paid into your account",
      waitingApproval: "Waiting for the employer to approve the hours (approved automatically after {time})", flagged: "Your position was outside the site: the check-in is kept for the employer to accept.",
      st_assigned: "To confirm", st_confirmed: "Confirmed", st_checkedIn: "Checked in", st_checkedOut: "Checked out", st_disputed: "Hours disputed",
      st_approved: "Paid", st_resolved: "Dispute resolved", st_declined: "Declined", st_replaced: "Replaced", st_lapsed: "Not confirmed in time",
      st_cancelled: "Cancelled", st_noShow: "No-show", done: "Done: {what}",
      errBadCode: "That is not the site's code: read the code on the site's screen again (it changes every 30 seconds).", errConflict: "That cannot be done in the shift's current state (a deadline may have passed).",
      errNotFound: "Shift not found.", skillUnknown: "Shift",
      account: "My account", available: "Available to withdraw", pendingOut: "Being paid out: {amount}", wdAmount: "Amount (yuan)", wdName: "Account holder",
      wdBank: "Bank", wdNumber: "Bank card number", withdraw: "Withdraw", wdHint: "Withdrawals are checked by Shiftex and paid to your bank card in batches.",
      wdRequested: "Withdrawal of {amount} requested; waiting to be paid.", errAmount: "Enter an amount above 0 with at most two decimals.",
      errTooMuch: "Not enough money: the balance does not cover this withdrawal.", errBankNumber: "A bank card number has 8 to 34 digits.", errBankName: "Enter the bank's name (at least 2 characters).",
      errPayee: "Enter the account holder's name (at least 2 characters).",
      wd_holding: "Processing", wd_requested: "Waiting to be paid", wd_rejecting: "Processing", wd_rejected: "Returned", wd_paying: "Being paid", wd_paid: "Paid",
      wdLine: "{amount} · {bank} ending {tail}"
    }
  };
  var KEY = "shiftex.lang";
  var lang = "zh-CN";
  try { if (localStorage.getItem(KEY) === "en") lang = "en"; } catch (e) { /* storage may be blocked */ }
  var shown = { note: null, error: null };
  var shifts = null;
  var skills = {};
  var live = "connecting";
  var fresh = {};
  var account = null;
  var withdrawals = [];
  var codeFromLink = (function () { var m = /[?&]code=(\d{6})/.exec(location.search); return m ? m[1] : ""; })();

  function $(id) { return document.getElementById(id); }
  function t(key, params) {
    var s = (TEXT[lang] && TEXT[lang][key]) || TEXT["zh-CN"][key] || key;
    return s.replace(/\{(\w+)\}/g, function (_, k) { return params && params[k] !== undefined ? String(params[k]) : ""; });
  }
  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function yuan(fen) {
    var n = Number(fen), abs = Math.abs(n);
    return (n < 0 ? "-" : "") + "¥" + Math.floor(abs / 100) + "." + String(abs % 100).padStart(2, "0");
  }
  function fmt(iso, opts) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var o = { timeZone: "Asia/Shanghai", hour12: false };
    for (var k in opts) o[k] = opts[k];
    return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", o).format(d);
  }
  var hm = function (iso) { return fmt(iso, { hour: "2-digit", minute: "2-digit" }); };
  var dayOf = function (iso) { return fmt(iso, { month: "2-digit", day: "2-digit", weekday: "short" }); };
  var stamp = function (iso) { return fmt(iso, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }); };

  function render() {
    document.documentElement.lang = lang;
    document.title = "Shiftex · " + t(document.body.dataset.page === "worker" ? "homeTitle" : "loginTitle");
    var nodes = document.querySelectorAll("[data-t]");
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = t(nodes[i].getAttribute("data-t"));
    var sw = $("lang");
    sw.textContent = t("switchTo");
    sw.setAttribute("lang", lang === "en" ? "zh-CN" : "en");
    ["note", "error"].forEach(function (id) {
      var m = shown[id];
      if (m) { $(id).textContent = t(m.key, m.params); $(id).hidden = false; } else { $(id).hidden = true; }
    });
    var hello = $("hello");
    if (hello && window.__me) hello.textContent = t("hello", { name: window.__me.realName });
    if ($("live")) { $("live").textContent = t("live_" + live); $("live").className = "badge" + (live === "live" ? " live" : ""); }
    if (shifts) renderShifts();
    if ($("account")) renderAccount();
    renderOpenings();
  }
  function show(id, key, params) { shown[id] = { key: key, params: params || {} }; render(); }
  function hide(id) { shown[id] = null; render(); }

  /** A problem document (or a failed fetch) as a message of the page's own. */
  function messageOf(err) {
    if (!err || err.network) return { key: "errNetwork" };
    var p = err.problem || {};
    var seconds = err.retryAfter || (p.retryAfterSeconds) || 60;
    if (p.code === "validation_failed" && p.field === "/body/phone") return { key: "errPhone" };
    if (p.code === "validation_failed" && p.field === "/body/code" && document.body.dataset.page === "worker") return { key: "errBadCode" };
    if (p.code === "validation_failed" && p.field === "/body/code") return { key: "errCodeFormat" };
    if (p.code === "rate_limited" && p.field === "/body/phone" && p.retryAfterSeconds) return { key: "errLocked", params: { seconds: seconds } };
    if (p.code === "rate_limited") return { key: "errRateLimited", params: { seconds: seconds } };
    if (p.code === "unauthenticated" && p.field === "/body/code") return { key: "errWrongCode" };
    if (p.code === "unauthenticated") return { key: "errSession" };
    if (p.field === "/body/amountFen" && p.code === "unprocessable") return { key: "errTooMuch" };
    if (p.field === "/body/amountFen") return { key: "errAmount" };
    if (p.field === "/body/bankAccountNumber") return { key: "errBankNumber" };
    if (p.field === "/body/bankName") return { key: "errBankName" };
    if (p.field === "/body/bankAccountName") return { key: "errPayee" };
    if (p.code === "conflict") return { key: "errConflict" };
    if (p.code === "not_found") return { key: "errNotFound" };
    return { key: "errGeneric", params: { code: p.code || ("HTTP " + err.status) } };
  }
  function call(method, path, body, headers) {
    var init = { method: method, credentials: "same-origin", headers: headers || {} };
    if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (res.ok) return data;
        var err = { status: res.status, problem: data || {}, retryAfter: Number(res.headers.get("retry-after")) || 0 };
        throw err;
      });
    }, function () { throw { network: true }; });
  }
  function fail(err) { var m = messageOf(err); show("error", m.key, m.params); }

  function loginPage() {
    call("GET", "/v1/me").then(function (me) {
      if (me && me.role === "worker") { location.replace("/worker" + location.search); return; }
      $("app").hidden = false;
    }, function () { $("app").hidden = false; });
    $("phone-form").addEventListener("submit", function (e) {
      e.preventDefault(); hide("error"); $("send").disabled = true;
      call("POST", "/v1/auth/otp", { phone: $("phone").value }).then(function (r) {
        $("code-form").hidden = false; $("code").focus();
        if (r.devCode) show("note", "devCode", { code: r.devCode }); else show("note", "sent");
      }, fail).then(function () { $("send").disabled = false; });
    });
    $("code-form").addEventListener("submit", function (e) {
      e.preventDefault(); hide("error");
      var code = $("code").value.trim();
      if (!/^\d{6}$/.test(code)) { show("error", "errCodeFormat"); return; }
      $("verify").disabled = true;
      call("POST", "/v1/auth/otp/verify", { phone: $("phone").value, code: code }).then(function () {
        location.assign("/worker" + location.search);
      }, function (err) { fail(err); $("verify").disabled = false; });
    });
  }

  // ---- the worker's shifts ----
  var OFFERED = ["assigned"];
  var UPCOMING = ["confirmed", "checkedIn", "checkedOut", "disputed"];

  function loadShifts() {
    return call("GET", "/v1/shifts?limit=100").then(function (page) {
      var before = {};
      (shifts || []).forEach(function (s) { before[s.shiftId] = s.state; });
      (page.items || []).forEach(function (s) { if (shifts && before[s.shiftId] !== s.state) fresh[s.shiftId] = true; });
      shifts = page.items || [];
      render();
    }, fail);
  }

  /** Posts a shift action; the answer is the shift, put in place at once. */
  function act(shift, action, body, button) {
    hide("error"); hide("note");
    if (button) button.disabled = true;
    var pos = action === "check-in" && body ? position() : Promise.resolve(null);
    return pos.then(function (p) {
      if (p) { body.latitude = p.latitude; body.longitude = p.longitude; }
      return call("POST", "/v1/shifts/" + encodeURIComponent(shift.shiftId) + "/" + action, body === undefined ? {} : body);
    }).then(function (updated) {
      shifts = shifts.map(function (s) { return s.shiftId === updated.shiftId ? updated : s; });
      fresh[updated.shiftId] = true;
      if (updated.warning) show("note", "flagged"); else show("note", "done", { what: t("st_" + updated.state) });
    }, function (err) { fail(err); if (button) button.disabled = false; });
  }

  /** The phone's position when it gives one quickly; none otherwise (the check-in is not refused for it). */
  function position() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve(null);
      var done = false;
      var finish = function (v) { if (!done) { done = true; resolve(v); } };
      setTimeout(function () { finish(null); }, 3000);
      navigator.geolocation.getCurrentPosition(function (p) { finish({ latitude: p.coords.latitude, longitude: p.coords.longitude }); }, function () { finish(null); }, { timeout: 3000, maximumAge: 60000 });
    });
  }

  function skillName(id) {
    var s = skills[id];
    return s ? (lang === "en" ? s.nameEn : s.nameZh) : t("skillUnknown");
  }

  function codeForm(shift, action, label) {
    var form = el("form", "codeform");
    form.setAttribute("novalidate", "");
    var input = el("input");
    input.setAttribute("inputmode", "numeric"); input.setAttribute("maxlength", "6"); input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-label", t("siteCode")); input.setAttribute("placeholder", t("siteCode"));
    input.className = "site-code"; input.value = codeFromLink;
    var button = el("button", action, t(label)); button.type = "submit";
    form.append(input, button);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      act(shift, action, { code: input.value.trim() }, button);
    });
    return form;
  }

  // The employer's record beside the shift: late cancellations, disputed timesheets, how fast it approves.
  function reliabilityText(r) {
    if (!r) return t("reliabilityNone");
    var pct = function (x) { return x.percent === null ? "—" : x.percent + "% (" + x.numerator + "/" + x.denominator + ")"; };
    return t("reliability", { days: r.windowDays, late: pct(r.lateCancellation), dispute: pct(r.dispute), hours: r.approval.medianHours === null ? "—" : t("hoursOf", { hours: r.approval.medianHours }) });
  }

  function card(s) {
    var li = el("li", fresh[s.shiftId] ? "fresh" : "");
    li.dataset.shift = s.shiftId;
    li.dataset.state = s.state;
    var title = el("div", "card-title", skillName(s.skillId) + " · " + dayOf(s.shiftStart));
    li.append(title);
    li.append(el("div", "line", t("when", { date: "", from: hm(s.shiftStart), to: hm(s.shiftEnd) }).trim() + " · " + t("rate", { rate: yuan(s.rateFen) })));
    li.append(el("div", "muted", t("by", { name: s.enterpriseName })));
    li.append(el("div", "muted reliability", reliabilityText(s.enterpriseReliability)));
    li.append(el("div", "state", t("st_" + s.state)));
    if (s.state === "assigned") {
      li.append(el("div", "muted", t("confirmBy", { time: stamp(s.confirmDeadline) })));
      var row = el("div", "row2");
      var yes = el("button", "confirm", t("confirm")); yes.type = "button";
      var no = el("button", "secondary decline", t("decline")); no.type = "button";
      yes.addEventListener("click", function () { act(s, "confirm", undefined, yes); });
      no.addEventListener("click", function () { act(s, "decline", {}, no); });
      row.append(yes, no);
      li.append(row);
    }
    if (s.state === "confirmed") {
      li.append(el("div", "muted", t("checkInBy", { time: stamp(s.noShowAt) })));
      li.append(codeForm(s, "check-in", "checkIn"));
    }
    if (s.checkIn) li.append(el("div", "muted", t("checkedInAt", { time: stamp(s.checkIn.at) })));
    if (s.checkIn && s.checkIn.outsideGeofence && !s.checkIn.accepted) li.append(el("div", "warn", t("flagged")));
    if (s.state === "checkedIn") li.append(codeForm(s, "check-out", "checkOut"));
    if (s.checkOut) li.append(el("div", "muted", t("checkedOutAt", { time: stamp(s.checkOut.at) })));
    if (s.state === "checkedOut") li.append(el("div", "muted", t("waitingApproval", { time: stamp(s.autoApproveAt) })));
    var minutes = s.paid ? s.paid.minutes : s.recordedMinutes;
    if (minutes !== null && minutes !== undefined) li.append(el("div", "hours", t("hours", { hours: (minutes / 60).toFixed(2).replace(/\.?0+$/, "") })));
    if (s.earnings) {
      li.append(el("div", "money", s.earnings.taxFen > 0 ? t("earnedNet", { amount: yuan(s.earnings.netFen), tax: yuan(s.earnings.taxFen) }) : t("earned", { amount: yuan(s.earnings.netFen) })));
      li.append(el("div", "muted", s.earnings.paidTo === "worker" ? t("paidToWorker") : t("paidToSupplier", { name: s.supplierName })));
    }
    return li;
  }

  function renderShifts() {
    var lists = { offered: [], upcoming: [], past: [] };
    shifts.forEach(function (s) {
      if (OFFERED.indexOf(s.state) >= 0) lists.offered.push(s);
      else if (UPCOMING.indexOf(s.state) >= 0) lists.upcoming.push(s);
      else lists.past.push(s);
    });
    // Soonest first for what is ahead; latest first for what is done.
    lists.offered.reverse(); lists.upcoming.reverse();
    [["offered", "noOffered"], ["upcoming", "noUpcoming"], ["past", "noPast"]].forEach(function (pair) {
      var ol = $(pair[0]);
      var focused = document.activeElement && ol.contains(document.activeElement) && document.activeElement.tagName === "INPUT" ? document.activeElement : null;
      if (focused) return; // do not take the code out from under the worker's fingers
      ol.textContent = "";
      if (lists[pair[0]].length === 0) ol.append(el("li", "empty", t(pair[1])));
      lists[pair[0]].forEach(function (s) { ol.append(card(s)); });
    });
    fresh = {};
  }

  // ---- the worker's own payable (an independent worker is paid into it) and withdrawals from it ----

  /** The payable and the withdrawals; the section shows only for a worker who has been paid directly. */
  function loadAccount() {
    return call("GET", "/v1/accounts").then(function (page) {
      account = (page.items || []).filter(function (a) { return a.code === "worker_payable"; })[0] || null;
      if (!account) { render(); return; }
      return call("GET", "/v1/withdrawals?limit=100").then(function (w) { withdrawals = w.items || []; render(); });
    }, function () { /* the shifts still show */ });
  }

  /** "12.5" or "12.50" yuan → 1250 fen, without floating point; null when it is not an amount. */
  function toFen(text) {
    var m = /^(\d{1,9})(?:[.．](\d{1,2}))?$/.exec(String(text).trim().replace(/^¥/, ""));
    if (!m) return null;
    var fen = Number(m[1]) * 100 + Number(((m[2] || "") + "00").slice(0, 2));
    return fen > 0 ? fen : null;
  }

  /** An id for one press of the button: a retry of the same request (a lost answer) holds the money once. */
  function requestKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint32Array(4); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (x) { return x.toString(16); }).join("-");
  }

  var pendingKey = null;
  function withdraw(e) {
    e.preventDefault(); hide("error"); hide("note");
    var fen = toFen($("wd-amount").value);
    if (fen === null) { show("error", "errAmount"); return; }
    var body = { amountFen: fen, bankAccountName: $("wd-name").value.trim(), bankName: $("wd-bank").value.trim(), bankAccountNumber: $("wd-number").value.trim() };
    // the same form sent again after a failure is the same request (same key); any change makes it a new one
    var fingerprint = JSON.stringify(body);
    if (!pendingKey || pendingKey.body !== fingerprint) pendingKey = { body: fingerprint, key: requestKey() };
    $("withdraw").disabled = true;
    call("POST", "/v1/withdrawals", body, { "idempotency-key": pendingKey.key }).then(function (w) {
      pendingKey = null;
      $("wd-amount").value = "";
      show("note", "wdRequested", { amount: yuan(w.amountFen) });
      return loadAccount();
    }, fail).then(function () { $("withdraw").disabled = false; });
  }

  function renderAccount() {
    var section = $("account");
    section.hidden = !account;
    if (!account) return;
    $("available").textContent = yuan(account.availableFen);
    $("pending").textContent = account.debitsPendingFen > 0 ? t("pendingOut", { amount: yuan(account.debitsPendingFen) }) : "";
    if (!$("wd-name").value && window.__me) $("wd-name").value = window.__me.realName;
    var ol = $("withdrawals");
    ol.textContent = "";
    withdrawals.slice().reverse().forEach(function (w) {
      var li = el("li", "");
      li.dataset.withdrawal = w.id; li.dataset.status = w.status;
      li.append(el("div", "line", t("wdLine", { amount: yuan(w.amountFen), bank: w.bankName, tail: w.bankAccountNumber.slice(-4) })));
      li.append(el("div", "state", t("wd_" + w.status)));
      li.append(el("div", "muted", stamp(w.createdAt)));
      ol.append(li);
    });
  }

  /** Seats the worker's supplier needs people for, that the worker could take (targeted push; the supplier names who works). */
  var openings = null;
  function loadOpenings() {
    return call("GET", "/v1/shifts/openings").then(function (page) { openings = page.items || []; renderOpenings(); }, function () { /* the list stays as it was */ });
  }
  function renderOpenings() {
    var ol = $("openings");
    if (!ol || !openings) return;
    ol.textContent = "";
    if (openings.length === 0) ol.append(el("li", "empty", t("noOpenings")));
    openings.forEach(function (o) {
      var li = el("li");
      li.dataset.contract = o.contractId;
      var skill = skills[o.market.split(".")[0]];
      li.append(el("div", "card-title", (skill ? (lang === "en" ? skill.nameEn : skill.nameZh) : o.market.split(".")[0]) + " · " + dayOf(o.shiftStart) + " " + hm(o.shiftStart) + "–" + hm(o.shiftEnd)));
      li.append(el("div", "money", yuan(o.rateFen) + "/h · " + t("openingSeats", { n: o.openSeats })));
      li.append(el("div", "muted", t("openingHint")));
      ol.append(li);
    });
  }

  /** The `shifts` channel: any change to one of the worker's shifts reloads the list; an open-seat push reloads the openings (and the payable, which settlement may have paid into). */
  function connect(delay) {
    setTimeout(function () {
      call("POST", "/v1/stream/tickets").then(function (r) {
        var ws = new WebSocket((location.protocol === "https:" ? "wss" : "ws") + "://" + location.host + "/v1/stream?ticket=" + encodeURIComponent(r.ticket));
        ws.onopen = function () { ws.send(JSON.stringify({ op: "subscribe", channel: "shifts" })); };
        ws.onmessage = function (m) {
          var f = null;
          try { f = JSON.parse(m.data); } catch (e) { return; }
          if (f.type === "subscribed") { live = "live"; render(); loadShifts(); loadOpenings(); return; }
          if (f.type === "seats.open") { loadOpenings(); return; }
          if (f.channel === "shifts") { loadShifts(); loadAccount(); loadOpenings(); }
        };
        ws.onclose = function () { live = "reconnecting"; render(); connect(2000); };
      }, function () { live = "reconnecting"; render(); connect(5000); });
    }, delay);
  }

  function workerPage() {
    call("GET", "/v1/me").then(function (me) {
      if (!me || me.role !== "worker" || !me.worker) { location.replace("/login" + location.search); return; }
      window.__me = me.worker;
      $("app").hidden = false; render();
      call("GET", "/v1/catalogue").then(function (c) { (c.skills || []).forEach(function (s) { skills[s.id] = s; }); render(); }, function () { /* names fall back */ });
      loadShifts();
      loadAccount();
      loadOpenings();
      connect(0);
    }, function (err) {
      if (err && err.status === 401) { location.replace("/login" + location.search); return; }
      $("app").hidden = false; fail(err);
    });
    $("withdraw-form").addEventListener("submit", withdraw);
    $("logout").addEventListener("click", function () {
      $("logout").disabled = true;
      call("POST", "/v1/auth/logout").then(function () { location.replace("/login"); }, function (err) { fail(err); $("logout").disabled = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("lang").addEventListener("click", function () {
      lang = lang === "en" ? "zh-CN" : "en";
      try { localStorage.setItem(KEY, lang); } catch (e) { /* not remembered, still switched */ }
      render();
    });
    render();
    if (document.body.dataset.page === "worker") workerPage(); else loginPage();
  });
})();
