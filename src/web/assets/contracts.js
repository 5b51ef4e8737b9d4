// Shiftex contract pages for organisations: the enterprise's site screen (rotating check-in code and its QR code),
// timesheet approval, and the agency's staffing page with live seat status. One script, served by Shiftex itself.
// The API key is the one the trading pages keep in this tab's sessionStorage; it never goes into a URL. Every
// text, errors included, comes from the dictionary below (zh-CN by default; English by the switch).
"use strict";
(() => {
  const TEXT = {
    "zh-CN": {
      switchTo: "English", navTrade: "交易", navSite: "现场签到码", navTimesheets: "工时审批", navStaffing: "派工",
      role_enterprise: "用工企业", role_agency: "人力资源机构", who: "{name}（{role}）",
      siteTitle: "现场签到码", siteSub: "请把本页显示在现场入口。工人在手机上输入下方 6 位签到码或扫描二维码，完成签到和签退。",
      rotates: "签到码每 30 秒更换一次，", countdown: "{seconds} 秒后更换",
      timesheetsTitle: "工时审批", timesheetsSub: "在审批期内确认或提出异议；逾期未处理的工时将自动确认并结算。",
      staffingTitle: "派工", staffingSub: "为已成交的合同指派工人，在截止时间前可更换。座位状态实时更新。",
      live_connecting: "连接中…", live_live: "实时", live_reconnecting: "重新连接中…",
      reliability: "企业信用（近 {days} 天）：迟取消 {late} · 工时争议 {dispute} · 审批用时中位数 {hours}", reliabilityNone: "企业信用：暂无记录", hoursOf: "{hours} 小时",
      contractLine: "{skill} · {date} {from}–{to} · {headcount} 人 @ {rate}/小时", seatsOf: "座位",
      staffingBy: "派工截止 {time}", confirmBy: "确认截止 {time}", approveBy: "审批截止 {time}", freeCancelUntil: "免费取消至 {time}",
      seat: "座位", worker: "工人", status: "状态", attendance: "考勤", hours: "工时", money: "结算",
      assign: "指派", replace: "更换", chooseWorker: "选择工人", noWorkers: "没有可派的工人",
      approve: "确认工时", dispute: "提出异议", acceptCheckIn: "接受签到", disputeReason: "异议原因", proposed: "认可分钟数（可选）",
      checkIn: "签到 {time}", checkOut: "签退 {time}", outside: "（场地范围外）", minutes: "{hours} 小时",
      paid: "已付 {wage}，平台费 {fee}，退回 {refund}", refunded: "已退回 {refund}", lateFee: "取消费 {wage}，退回 {refund}",
      split: "裁定：{minutes} 分钟 ·「{reason}」",
      seat_open: "空缺", seat_assigned: "待确认", seat_confirmed: "已确认", seat_disputed: "争议中", seat_closed: "已结束",
      st_assigned: "待确认", st_confirmed: "已确认", st_checkedIn: "已签到", st_checkedOut: "已签退", st_disputed: "工时有争议",
      st_approved: "已结算", st_resolved: "争议已处理", st_declined: "已拒绝", st_replaced: "已换人", st_lapsed: "未按时确认",
      st_cancelled: "已取消", st_noShow: "缺勤",
      wf_staffing: "派工中", wf_confirming: "待确认", wf_ready: "待开工", wf_inProgress: "进行中", wf_awaitingApproval: "待审批",
      wf_disputed: "争议中", wf_closing: "结算中", wf_settled: "已结算", wf_resolved: "已裁定", wf_cancelled: "已取消",
      empty: "暂无合同。", emptyShifts: "还没有工人。", done: "已完成。",
      errSession: "登录已失效，请在交易页面重新登录。", errForbidden: "贵单位无权进行此操作。", errNotFound: "未找到，或不属于贵单位。",
      errConflict: "当前状态下不能这样操作（例如已过截止时间，或该工人已有时间冲突的班次）。", errDouble: "该工人在同一时间已有其他班次（可能经由其他机构）。",
      errWorker: "该工人不符合要求（不属于贵单位、缺少技能或等级，或未成年不得从事该工作）。", errField: "请检查填写的内容。",
      errNetwork: "网络连接失败，请检查网络后重试。", errGeneric: "出错了，请稍后再试（{code}）。", errRole: "本页面供用工企业使用。", errRoleStaffing: "本页面供人力资源机构和出借员工的企业使用。",
    },
    en: {
      switchTo: "中文", navTrade: "Trading", navSite: "Site code", navTimesheets: "Timesheets", navStaffing: "Staffing",
      role_enterprise: "enterprise", role_agency: "agency", who: "{name} ({role})",
      siteTitle: "Site check-in code", siteSub: "Show this page at the site's entrance. Workers type the six-digit code below on their phones, or scan the QR code, to check in and out.",
      rotates: "The code changes every 30 seconds;", countdown: "next in {seconds} s",
      timesheetsTitle: "Timesheets", timesheetsSub: "Approve or dispute within the approval window; hours left alone are approved and paid automatically.",
      staffingTitle: "Staffing", staffingSub: "Name workers for your contracts; replace them until the deadline. Seats update live.",
      live_connecting: "Connecting…", live_live: "Live", live_reconnecting: "Reconnecting…",
      reliability: "Employer record ({days} days): late cancellations {late} · disputed timesheets {dispute} · approves in {hours} (median)", reliabilityNone: "Employer record: none yet", hoursOf: "{hours} h",
      contractLine: "{skill} · {date} {from}–{to} · {headcount} @ {rate}/h", seatsOf: "Seats",
      staffingBy: "Staff by {time}", confirmBy: "Confirm by {time}", approveBy: "Approve by {time}", freeCancelUntil: "Free cancellation until {time}",
      seat: "Seat", worker: "Worker", status: "Status", attendance: "Attendance", hours: "Hours", money: "Settlement",
      assign: "Assign", replace: "Replace", chooseWorker: "Choose a worker", noWorkers: "No workers to name",
      approve: "Approve", dispute: "Dispute", acceptCheckIn: "Accept check-in", disputeReason: "Why", proposed: "Minutes you accept (optional)",
      checkIn: "In {time}", checkOut: "Out {time}", outside: " (outside the site)", minutes: "{hours} h",
      paid: "Paid {wage}, fee {fee}, back {refund}", refunded: "Refunded {refund}", lateFee: "Cancellation fee {wage}, back {refund}",
      split: "Split: {minutes} min · “{reason}”",
      seat_open: "Open", seat_assigned: "Awaiting confirmation", seat_confirmed: "Confirmed", seat_disputed: "Disputed", seat_closed: "Done",
      st_assigned: "To confirm", st_confirmed: "Confirmed", st_checkedIn: "Checked in", st_checkedOut: "Checked out", st_disputed: "Hours disputed",
      st_approved: "Paid", st_resolved: "Dispute resolved", st_declined: "Declined", st_replaced: "Replaced", st_lapsed: "Not confirmed in time",
      st_cancelled: "Cancelled", st_noShow: "No-show",
      wf_staffing: "Staffing", wf_confirming: "Confirming", wf_ready: "Ready", wf_inProgress: "In progress", wf_awaitingApproval: "Awaiting approval",
      wf_disputed: "Disputed", wf_closing: "Settling", wf_settled: "Settled", wf_resolved: "Resolved", wf_cancelled: "Cancelled",
      empty: "No contracts yet.", emptyShifts: "No workers yet.", done: "Done.",
      errSession: "Your session has ended; sign in again on the trading pages.", errForbidden: "Your organisation may not do this.", errNotFound: "Not found, or not yours.",
      errConflict: "That cannot be done now (a deadline passed, or the worker is booked elsewhere at that time).", errDouble: "This person already has a shift at that time (possibly through another agency).",
      errWorker: "This worker does not qualify (not yours, lacks the skill or level, or is under 18 for this work).", errField: "Please check what you entered.",
      errNetwork: "Could not reach Shiftex; check your connection and try again.", errGeneric: "Something went wrong; please try again later ({code}).", errRole: "This page is for enterprises.", errRoleStaffing: "This page is for agencies and enterprises that lend staff.",
    },
  };
  const LANG_KEY = "shiftex.lang";
  const API_KEY = "shiftex.apiKey";
  let lang = "zh-CN";
  try { if (localStorage.getItem(LANG_KEY) === "en") lang = "en"; } catch { /* storage may be blocked */ }
  const page = document.body.dataset.page;
  const shown = { note: null, error: null };
  const renderers = [];
  let me = null;
  let org = null;
  let skills = {};
  let live = "connecting";

  const { $, el } = window.ShiftexKit;
  const t = (key, params) => window.ShiftexKit.translate(TEXT, lang, key, params);
  const yuan = (fen) => `¥${Math.floor(Math.abs(fen) / 100).toLocaleString("en-US")}.${String(Math.abs(fen) % 100).padStart(2, "0")}`;
  function fmt(iso, opts) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai", hour12: false, ...opts }).format(d);
  }
  const hm = (iso) => fmt(iso, { hour: "2-digit", minute: "2-digit" });
  const day = (iso) => fmt(iso, { month: "2-digit", day: "2-digit" });
  const stamp = (iso) => fmt(iso, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  const skillName = (id) => (skills[id] ? (lang === "en" ? skills[id].nameEn : skills[id].nameZh) : id);
  const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));

  function render() {
    document.documentElement.lang = lang;
    document.title = `Shiftex · ${t({ site: "siteTitle", timesheets: "timesheetsTitle", staffing: "staffingTitle" }[page])}`;
    for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.getAttribute("data-t"));
    $("lang").textContent = t("switchTo");
    $("lang").setAttribute("lang", lang === "en" ? "zh-CN" : "en");
    if (org) $("who").textContent = t("who", { name: org.name, role: t(`role_${me.role}`) });
    if ($("live")) { $("live").textContent = t(`live_${live}`); $("live").className = `badge${live === "live" ? " live" : ""}`; }
    for (const id of ["note", "error"]) {
      const m = shown[id];
      if (m) { $(id).textContent = t(m.key, m.params); $(id).hidden = false; } else $(id).hidden = true;
    }
    for (const fn of renderers) fn();
  }
  const show = (id, key, params) => { shown[id] = { key, params: params || {} }; render(); };
  const hide = (id) => { shown[id] = null; render(); };
  function fail(err) {
    if (!err || err.network) return show("error", "errNetwork");
    const p = err.problem || {};
    const key = {
      unauthenticated: "errSession", forbidden: "errForbidden", not_found: "errNotFound", unprocessable: "errWorker", validation_failed: "errField",
    }[p.code] ?? (p.code === "conflict" ? (p.reason === "double_booking" ? "errDouble" : "errConflict") : null);
    if (p.code === "forbidden" && p.field === "/body/workerId") return show("error", "errWorker");
    if (key) return show("error", key);
    show("error", "errGeneric", { code: p.code || `HTTP ${err.status}` });
  }

  const apiKey = () => { try { return sessionStorage.getItem(API_KEY); } catch { return null; } };
  async function api(method, path, body) {
    const headers = { authorization: `Bearer ${apiKey()}` };
    if (body !== undefined) { headers["content-type"] = "application/json"; headers["idempotency-key"] = newKey(); }
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
    if (res.status === 401) location.replace("/trade/login");
    throw { status: res.status, problem: data || {} };
  }

  // ---- the site screen ----
  function sitePage() {
    if (me.role !== "enterprise") return show("error", "errRole");
    let timer = null;
    let left = 0;
    async function refresh() {
      try {
        const c = await api("GET", "/v1/site/code");
        hide("error");
        $("site-code").textContent = c.code;
        const qr = qrcode(0, "M"); // the qrcode-generator library draws it
        qr.addData(`${location.origin}/worker?code=${c.code}`);
        qr.make();
        const svg = new DOMParser().parseFromString(qr.createSvgTag({ cellSize: 6, margin: 4, scalable: true }), "image/svg+xml").documentElement;
        $("qr").replaceChildren(document.importNode(svg, true));
        $("qr").setAttribute("aria-label", c.code);
        left = c.secondsLeft;
      } catch (err) {
        fail(err);
        left = 5;
      }
      clearTimeout(timer);
      timer = setTimeout(refresh, Math.max(1, left) * 1000 + 200);
      renderers.length = 0;
      renderers.push(() => { $("countdown").textContent = t("countdown", { seconds: Math.max(0, left) }); });
      render();
    }
    setInterval(() => { left -= 1; render(); }, 1000);
    refresh();
  }

  // ---- contracts (timesheets and staffing) ----
  async function loadContracts(filter) {
    const page = await api("GET", "/v1/workflows?limit=100");
    return page.items.filter(filter);
  }

  function contractHead(w) {
    return el("div", null,
      el("h2", null, t("contractLine", { skill: skillName(w.skillId), date: day(w.shiftStart), from: hm(w.shiftStart), to: hm(w.shiftEnd), headcount: w.headcount, rate: yuan(w.rateFen) }), " ",
        el("span", { class: `state-badge${w.closed ? " done" : ""}`, text: t(`wf_${w.state}`) })),
      el("p", { class: "muted deadlines" },
        el("span", { text: t("staffingBy", { time: stamp(w.deadlines.staffingDeadline) }) }),
        el("span", { text: t("confirmBy", { time: stamp(w.deadlines.confirmDeadline) }) }),
        el("span", { text: t("freeCancelUntil", { time: stamp(w.deadlines.freeCancellationUntil) }) }),
        el("span", { text: t("approveBy", { time: stamp(w.deadlines.autoApproveAt) }) })),
      // the supplier sees the buyer's record (late cancellations, disputes, approval speed) beside the contract
      w.enterpriseId !== me.organisationId ? el("p", { class: "muted reliability", text: reliabilityText(w.enterpriseReliability) }) : null);
  }
  /** An enterprise's two-way reliability in a line; "none yet" when it has nothing in the window. */
  function reliabilityText(r) {
    if (!r) return t("reliabilityNone");
    const pct = (x) => (x.percent === null ? "—" : `${x.percent}% (${x.numerator}/${x.denominator})`);
    return t("reliability", { days: r.windowDays, late: pct(r.lateCancellation), dispute: pct(r.dispute), hours: r.approval.medianHours === null ? "—" : t("hoursOf", { hours: r.approval.medianHours }) });
  }
  function moneyOf(s) {
    if (!s) return "";
    if (s.kind === "refunded") return t("refunded", { refund: yuan(s.refundFen) });
    if (s.kind === "late_cancelled") return t("lateFee", { wage: yuan(s.wageFen), refund: yuan(s.refundFen) });
    const paid = t("paid", { wage: yuan(s.wageFen), fee: yuan(s.feeFen), refund: yuan(s.refundFen) });
    return s.basis === "dispute_split" ? `${paid} · ${t("split", { minutes: s.minutes, reason: s.reason })}` : paid;
  }

  async function timesheetsPage() {
    if (me.role !== "enterprise") return show("error", "errRole");
    async function load() {
      const list = await loadContracts((w) => w.enterpriseId === me.organisationId && w.seats.some((s) => s.shiftId));
      const box = $("contracts");
      box.replaceChildren();
      if (list.length === 0) box.append(el("p", { class: "empty", text: t("empty") }));
      for (const w of list) {
        const shifts = (await api("GET", `/v1/contracts/${encodeURIComponent(w.contractId)}/shifts`)).items.filter((s) => s.state !== "replaced" && s.state !== "declined");
        const body = el("tbody");
        for (const s of shifts) {
          const seat = w.seats.find((x) => x.seat === s.seat);
          const actions = el("div", { class: "actions" });
          const run = async (action, payload, button) => {
            button.disabled = true;
            try { await api("POST", `/v1/shifts/${encodeURIComponent(s.shiftId)}/${action}`, payload); show("note", "done"); await load(); } catch (err) { fail(err); button.disabled = false; }
          };
          if (s.checkIn && s.checkIn.outsideGeofence && !s.checkIn.accepted) {
            const b = el("button", { type: "button", class: "secondary accept", text: t("acceptCheckIn") });
            b.addEventListener("click", () => run("accept-check-in", {}, b));
            actions.append(b);
          }
          if (s.state === "checkedOut" || s.state === "checkedIn") {
            const b = el("button", { type: "button", class: "approve", text: t("approve") });
            b.addEventListener("click", () => run("approve", s.state === "checkedIn" ? { checkOutAt: s.shiftEnd } : {}, b));
            const reason = el("input", { placeholder: t("disputeReason"), "aria-label": t("disputeReason"), class: "reason" });
            const d = el("button", { type: "button", class: "danger dispute", text: t("dispute") });
            d.addEventListener("click", () => (reason.value.trim() ? run("dispute", { reason: reason.value.trim() }, d) : reason.focus()));
            actions.append(b, reason, d);
          }
          const minutes = s.paid ? s.paid.minutes : s.recordedMinutes;
          body.append(el("tr", { "data-shift": s.shiftId, "data-state": s.state },
            el("td", { text: String(s.seat) }),
            el("td", null, el("div", { text: s.workerName || s.workerId }), el("div", { class: "muted", text: t(`st_${s.state}`) })),
            el("td", null,
              s.checkIn ? el("div", { text: t("checkIn", { time: stamp(s.checkIn.at) }) + (s.checkIn.outsideGeofence ? t("outside") : "") }) : null,
              s.checkOut ? el("div", { text: t("checkOut", { time: stamp(s.checkOut.at) }) }) : null),
            el("td", { text: minutes === null || minutes === undefined ? "" : t("minutes", { hours: (minutes / 60).toFixed(2) }) }),
            el("td", null, el("div", { class: "muted", text: moneyOf(seat && seat.settlement) }), actions)));
        }
        const table = el("table", { class: "seats" }, el("thead", null, el("tr", null, ...["seat", "worker", "attendance", "hours", "money"].map((k) => el("th", { text: t(k) })))), body);
        box.append(el("section", { class: "panel", "data-contract": w.contractId }, contractHead(w), shifts.length ? table : el("p", { class: "empty", text: t("emptyShifts") })));
      }
    }
    renderers.push(() => undefined);
    await load().catch(fail);
    stream(() => load().catch(fail));
  }

  async function staffingPage() {
    if (me.role !== "agency" && !(me.role === "enterprise" && org && org.lendsStaff)) return show("error", "errRoleStaffing");
    const workers = [];
    for (let cursor = null, n = 0; n < 20; n++) {
      const p = await api("GET", `/v1/workers?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      workers.push(...p.items.filter((w) => w.supplierId === me.organisationId));
      if (!p.next) break;
      cursor = p.next;
    }
    async function load() {
      const list = await loadContracts((w) => w.supplierId === me.organisationId);
      const box = $("contracts");
      box.replaceChildren();
      if (list.length === 0) box.append(el("p", { class: "empty", text: t("empty") }));
      for (const w of list) {
        const body = el("tbody");
        for (const s of w.seats) {
          const cell = el("td");
          if (!w.closed && (s.status === "open" || s.status === "assigned" || s.status === "confirmed") && ["staffing", "confirming", "ready"].includes(w.state)) {
            const qualified = workers.filter((x) => x.skills.some((k) => k.skillId === w.skillId));
            const select = el("select", { "aria-label": t("chooseWorker"), class: "worker-choice" },
              el("option", { value: "", text: qualified.length ? t("chooseWorker") : t("noWorkers") }),
              ...qualified.map((x) => el("option", { value: x.id, text: x.realName })));
            const b = el("button", { type: "submit", text: t(s.workerId && s.status !== "open" ? "replace" : "assign") });
            const form = el("form", { class: "assign", "data-seat": s.seat }, select, b);
            form.addEventListener("submit", async (e) => {
              e.preventDefault();
              if (!select.value) return select.focus();
              b.disabled = true;
              try { await api("POST", `/v1/contracts/${encodeURIComponent(w.contractId)}/assignments`, { seat: s.seat, workerId: select.value }); hide("error"); show("note", "done"); await load(); } catch (err) { fail(err); b.disabled = false; }
            });
            cell.append(form);
          }
          body.append(el("tr", { "data-seat": s.seat, "data-status": s.status },
            el("td", { text: String(s.seat) }),
            el("td", { text: s.workerName || "—" }),
            el("td", null, el("div", { text: t(`seat_${s.status}`) }), s.shiftState ? el("div", { class: "muted", text: t(`st_${s.shiftState}`) }) : null, el("div", { class: "muted", text: moneyOf(s.settlement) })),
            cell));
        }
        const table = el("table", { class: "seats" }, el("thead", null, el("tr", null, ...["seat", "worker", "status", ""].map((k) => el("th", { text: k ? t(k) : "" })))), body);
        box.append(el("section", { class: "panel", "data-contract": w.contractId }, contractHead(w), table));
      }
    }
    await load().catch(fail);
    stream(() => load().catch(fail));
  }

  /** The organisation's `executions` channel: a contract's or seat's change reloads the list. */
  function stream(reload) {
    let timer = null;
    const soon = () => { clearTimeout(timer); timer = setTimeout(reload, 150); };
    const open = async (delay) => {
      await new Promise((r) => setTimeout(r, delay));
      let ticket;
      try { ticket = (await api("POST", "/v1/stream/tickets")).ticket; } catch { return open(5000); }
      const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/stream?ticket=${encodeURIComponent(ticket)}`);
      ws.onopen = () => ws.send(JSON.stringify({ op: "subscribe", channel: "executions" }));
      ws.onmessage = (m) => {
        let f;
        try { f = JSON.parse(m.data); } catch { return; }
        if (f.type === "subscribed") { live = "live"; render(); return; }
        if (f.type === "workflow.changed" || f.type === "contract.created") soon();
      };
      ws.onclose = () => { live = "reconnecting"; render(); open(2000); };
    };
    open(0);
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("lang").addEventListener("click", () => {
      lang = lang === "en" ? "zh-CN" : "en";
      try { localStorage.setItem(LANG_KEY, lang); } catch { /* not remembered */ }
      render();
    });
    render();
    if (!apiKey()) { location.replace("/trade/login"); return; }
    try {
      me = await api("GET", "/v1/me");
      if (me.organisationId) org = await api("GET", `/v1/organisations/${encodeURIComponent(me.organisationId)}`);
      const c = await api("GET", "/v1/catalogue");
      for (const s of c.skills) skills[s.id] = s;
    } catch (err) {
      $("app").hidden = false;
      return fail(err);
    }
    // each role sees the links it can use
    for (const a of document.querySelectorAll("nav a[data-nav]")) {
      const n = a.dataset.nav;
      a.hidden = (n === "site" || n === "timesheets") ? me.role !== "enterprise" : n === "staffing" ? !(me.role === "agency" || (org && org.lendsStaff)) : false;
    }
    $("app").hidden = false;
    render();
    if (page === "site") sitePage();
    else if (page === "timesheets") timesheetsPage();
    else staffingPage();
  });
})();
