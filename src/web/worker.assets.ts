/**
 * The worker's pages: login (/login) and home (/worker). Plain HTML with one
 * script and one style sheet, all served by Shiftex (no CDN, strict CSP),
 * sized for a phone (usable at 360 px). Chinese by default with an English
 * switch remembered in localStorage; every text the page shows, including
 * errors, comes from the page's own dictionary: problem `code`s map to
 * localised messages, the server's English `detail` is never shown.
 */

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
    <input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" placeholder="139 2300 0000" required>
    <button id="send" type="submit" data-t="send"></button>
  </form>
  <form id="code-form" novalidate hidden>
    <label for="code" data-t="code"></label>
    <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required>
    <button id="verify" type="submit" data-t="login"></button>
  </form>`);

/** The worker's home: empty for now apart from the worker's name and a log-out button. */
export const workerHtml = shell("worker", `  <h1 data-t="homeTitle"></h1>
  <p id="hello" class="hello"></p>
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
[hidden] { display: none !important; }
`;

export const workerJs = `"use strict";
(function () {
  var TEXT = {
    "zh-CN": {
      switchTo: "English", loginTitle: "工人登录", loginSub: "用手机号和验证码登录", phone: "手机号", send: "获取验证码",
      code: "验证码", login: "登录", homeTitle: "我的 Shiftex", hello: "你好，{name}", logout: "退出登录",
      sent: "如果该手机号已登记，验证码已发送。", devCode: "开发模式：验证码是 {code}",
      errPhone: "请输入有效的中国大陆手机号（11 位，以 13–19 开头）。", errCodeFormat: "验证码是 6 位数字。",
      errWrongCode: "验证码错误或已过期，请重新获取。", errLocked: "验证码错误次数过多，请 {seconds} 秒后再试。",
      errRateLimited: "请求过于频繁，请 {seconds} 秒后再试。", errNetwork: "网络连接失败，请检查网络后重试。",
      errSession: "登录已失效，请重新登录。", errGeneric: "出错了，请稍后再试（{code}）。"
    },
    "en": {
      switchTo: "中文", loginTitle: "Worker login", loginSub: "Log in with your phone and a one-time code", phone: "Phone", send: "Send code",
      code: "Code", login: "Log in", homeTitle: "My Shiftex", hello: "Hello, {name}", logout: "Log out",
      sent: "If this phone is registered, a code is on its way.", devCode: "Dev mode: the code is {code}",
      errPhone: "Enter a valid mainland China mobile number (11 digits starting 13–19).", errCodeFormat: "The code has 6 digits.",
      errWrongCode: "The code is wrong or has expired; ask for a new one.", errLocked: "Too many wrong codes; try again in {seconds} seconds.",
      errRateLimited: "Too many requests; try again in {seconds} seconds.", errNetwork: "Could not reach Shiftex; check your connection and try again.",
      errSession: "Your session has ended; please log in again.", errGeneric: "Something went wrong; please try again later ({code})."
    }
  };
  var KEY = "shiftex.lang";
  var lang = "zh-CN";
  try { if (localStorage.getItem(KEY) === "en") lang = "en"; } catch (e) { /* storage may be blocked */ }
  var shown = { note: null, error: null };

  function $(id) { return document.getElementById(id); }
  function t(key, params) {
    var s = TEXT[lang][key] || key;
    return s.replace(/\\{(\\w+)\\}/g, function (_, k) { return params && params[k] !== undefined ? String(params[k]) : ""; });
  }
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
  }
  function show(id, key, params) { shown[id] = { key: key, params: params || {} }; render(); }
  function hide(id) { shown[id] = null; render(); }

  /** A problem document (or a failed fetch) as a message of the page's own. */
  function messageOf(err) {
    if (!err || err.network) return { key: "errNetwork" };
    var p = err.problem || {};
    var seconds = err.retryAfter || (p.retryAfterSeconds) || 60;
    if (p.code === "validation_failed" && p.field === "/body/phone") return { key: "errPhone" };
    if (p.code === "validation_failed" && p.field === "/body/code") return { key: "errCodeFormat" };
    if (p.code === "rate_limited" && p.field === "/body/phone" && p.retryAfterSeconds) return { key: "errLocked", params: { seconds: seconds } };
    if (p.code === "rate_limited") return { key: "errRateLimited", params: { seconds: seconds } };
    if (p.code === "unauthenticated" && p.field === "/body/code") return { key: "errWrongCode" };
    if (p.code === "unauthenticated") return { key: "errSession" };
    return { key: "errGeneric", params: { code: p.code || ("HTTP " + err.status) } };
  }
  function call(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: {} };
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
      if (me && me.role === "worker") { location.replace("/worker"); return; }
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
      if (!/^\\d{6}$/.test(code)) { show("error", "errCodeFormat"); return; }
      $("verify").disabled = true;
      call("POST", "/v1/auth/otp/verify", { phone: $("phone").value, code: code }).then(function () {
        location.assign("/worker");
      }, function (err) { fail(err); $("verify").disabled = false; });
    });
  }

  function workerPage() {
    call("GET", "/v1/me").then(function (me) {
      if (!me || me.role !== "worker" || !me.worker) { location.replace("/login"); return; }
      window.__me = me.worker;
      $("app").hidden = false; render();
    }, function (err) {
      if (err && err.status === 401) { location.replace("/login"); return; }
      $("app").hidden = false; fail(err);
    });
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
`;
