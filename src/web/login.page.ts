/**
 * The worker's login page: phone → one-time code → session. Plain HTML and a
 * little script, sized for a phone; in dev mode the code is shown on the page
 * because no SMS provider is configured.
 */
export function loginPage(options: { devMode: boolean }): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shiftex · 工人登录 Worker login</title>
<style>
  :root { font-family: system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; color: #1b1f24; background: #f4f6f8; }
  body { margin: 0; display: flex; justify-content: center; }
  main { width: 100%; max-width: 420px; padding: 24px 20px; box-sizing: border-box; }
  h1 { font-size: 1.4rem; margin: 0 0 4px; }
  p.sub { margin: 0 0 24px; color: #57606a; }
  form { display: flex; flex-direction: column; gap: 12px; }
  label { font-weight: 600; }
  input { font-size: 1.2rem; padding: 12px; border: 1px solid #c9d1d9; border-radius: 8px; }
  button { font-size: 1.1rem; padding: 14px; border: 0; border-radius: 8px; background: #0b6bcb; color: white; min-height: 48px; }
  button:disabled { background: #8bb4de; }
  .note { padding: 12px; border-radius: 8px; background: #fff8c5; margin-top: 12px; }
  .error { padding: 12px; border-radius: 8px; background: #ffebe9; color: #82071e; margin-top: 12px; }
  .ok { padding: 12px; border-radius: 8px; background: #dafbe1; margin-top: 12px; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<main>
  <h1>Shiftex 工人登录</h1>
  <p class="sub">Worker login · 用手机号和验证码登录</p>
  <form id="phone-form">
    <label for="phone">手机号 Phone</label>
    <input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" placeholder="139 2300 0000" required>
    <button id="send" type="submit">获取验证码 Send code</button>
  </form>
  <form id="code-form" hidden>
    <label for="code">验证码 Code</label>
    <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="\\d{6}" maxlength="6" required>
    <button id="verify" type="submit">登录 Log in</button>
  </form>
  <div id="dev" class="note" hidden></div>
  <div id="error" class="error" role="alert" hidden></div>
  <div id="done" class="ok" hidden></div>
</main>
<script>
const devMode = ${options.devMode ? "true" : "false"};
const $ = (id) => document.getElementById(id);
function show(id, text) { const el = $(id); el.textContent = text; el.hidden = false; }
function hide(id) { $(id).hidden = true; }
async function post(path, body) {
  const res = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), credentials: "same-origin" });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.detail || ("HTTP " + res.status));
  return data;
}
$("phone-form").addEventListener("submit", async (e) => {
  e.preventDefault(); hide("error"); $("send").disabled = true;
  try {
    const r = await post("/v1/auth/otp", { phone: $("phone").value });
    $("code-form").hidden = false; $("code").focus();
    if (devMode && r.devCode) show("dev", "开发模式 Dev mode — code: " + r.devCode);
    else show("dev", "验证码已发送 If this phone is registered, a code is on its way.");
  } catch (err) { show("error", err.message); }
  finally { $("send").disabled = false; }
});
$("code-form").addEventListener("submit", async (e) => {
  e.preventDefault(); hide("error"); $("verify").disabled = true;
  try {
    await post("/v1/auth/otp/verify", { phone: $("phone").value, code: $("code").value });
    const me = await fetch("/v1/me", { credentials: "same-origin" }).then((r) => r.json());
    $("phone-form").hidden = true; $("code-form").hidden = true; hide("dev");
    show("done", "已登录 Signed in: " + (me.worker ? me.worker.realName : me.workerId));
  } catch (err) { show("error", err.message); }
  finally { $("verify").disabled = false; }
});
</script>
</body>
</html>`;
}
