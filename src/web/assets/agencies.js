// Shiftex public disclosure pages (no login): the agency directory, an agency's page, the integrity points'
// settings in force. One script, served by Shiftex itself; data from the public API only. Every text comes
// from the dictionary below (zh-CN by default; English by the switch, remembered in this browser).
"use strict";
(() => {
  const TEXT = {
    "zh-CN": {
      switchTo: "English", navAgencies: "人力资源机构公示", navSettings: "诚信积分规则",
      dirTitle: "人力资源机构公示", dirSub: "查询机构的许可证、诚信等级（红、蓝、黑）和积分记录。可按区县、工种和名称查找。",
      district: "区县", skill: "工种", name: "机构名称", any: "全部", search: "查询", more: "加载更多", none: "没有符合条件的机构。",
      back: "← 返回机构列表", licences: "许可证", penalties: "处罚与失信记录", transitions: "等级变化", history: "积分记录",
      colour_red: "红色（守信）", colour_blue: "蓝色（一般）", colour_black: "黑色（失信）", colour_none: "尚未评级",
      points: "{points} 分", noneYet: "暂无记录。", registered: "{date} 注册", version: "规则版本 {version}",
      lic_hr_service: "人力资源服务许可证", lic_labour_dispatch: "劳务派遣经营许可证",
      ls_valid: "有效", ls_pending: "待核验", ls_suspended: "已暂停", ls_expired: "已过期", validUntil: "有效期至 {date}",
      why_initial: "初始等级。", why_licence_invalid: "无有效许可证，按规则直接评为黑色。", why_serious_violation: "存在严重失信行为，按规则评为黑色。",
      why_points_black: "积分 {points} 低于黑色线。", why_points_red: "积分 {points} 达到红色线，且经营记录满足要求。", why_points_blue: "积分 {points}。",
      why_history_short: "积分 {points} 已达红色线，但经营记录尚不足。", why_unrated: "该机构尚无有效许可证，暂不评级。", appealUpheld: "（申诉成立后重新评定）",
      k_shift_completed: "完成班次", k_seat_unfilled: "岗位未按时派人", k_no_show: "工人缺勤", k_late_cancellation: "临时取消", k_supplier_cancelled: "机构取消合同",
      k_dispute_lost: "工时争议败诉", k_licence_invalid: "许可证失效", k_wages_unpaid: "已确认工时逾期未结算", k_commendation: "表彰", k_penalty: "处罚",
      seats: "×{count}", annulled: "（申诉成立，已撤销）", serious: "严重失信", docRef: "文号 {ref}", transition: "{from} → {to}",
      setTitle: "诚信积分规则", setSub: "积分由平台上实际发生的事件计算，每一分都可追溯到对应事件。以下为现行规则。",
      weights: "计分标准", decay: "时效衰减", versions: "规则版本", inForce: "现行", from: "自 {date} 起施行",
      perSeat: "每个岗位 {points} 分", once: "每次 {points} 分", byOperator: "由主管部门认定，最多 {points} 分",
      decayStep: "{days} 天内的事件按 {percent}% 计", thresholdsText: "起始 {base} 分；低于 {black} 分为黑色；达到 {red} 分为红色（升降级留有 {h} 分缓冲）。",
      redText: "评为红色还需至少完成 {seats} 个班次并注册满 {days} 天。", seriousText: "严重失信直接评为黑色，持续 {days} 天；等级下调后 {appeal} 天内可申诉。",
      errNotFound: "未找到该机构。", errNetwork: "网络连接失败，请检查网络后重试。", errGeneric: "出错了，请稍后再试（{code}）。",
    },
    en: {
      switchTo: "中文", navAgencies: "Agency disclosure", navSettings: "Integrity points rules",
      dirTitle: "Agency disclosure", dirSub: "Licences, integrity rating (red, blue, black) and points history of staffing agencies. Search by district, skill and name.",
      district: "District", skill: "Skill", name: "Agency name", any: "All", search: "Search", more: "Load more", none: "No agency matches.",
      back: "← All agencies", licences: "Licences", penalties: "Penalties and breaches", transitions: "Rating changes", history: "Points history",
      colour_red: "Red (trusted)", colour_blue: "Blue (standard)", colour_black: "Black (untrusted)", colour_none: "Not rated yet",
      points: "{points} points", noneYet: "Nothing yet.", registered: "registered {date}", version: "rules version {version}",
      lic_hr_service: "HR services licence", lic_labour_dispatch: "Labour dispatch licence",
      ls_valid: "valid", ls_pending: "awaiting verification", ls_suspended: "suspended", ls_expired: "expired", validUntil: "valid until {date}",
      why_initial: "Initial rating.", why_licence_invalid: "No valid licence: black by rule.", why_serious_violation: "A serious violation: black by rule.",
      why_points_black: "{points} points, below the black line.", why_points_red: "{points} points, at the red line, with enough history.", why_points_blue: "{points} points.",
      why_history_short: "{points} points reach the red line, but the history is not long enough yet.", why_unrated: "No valid licence yet: not rated.", appealUpheld: " (re-rated after an upheld appeal)",
      k_shift_completed: "Shift completed", k_seat_unfilled: "Seat not staffed in time", k_no_show: "Worker no-show", k_late_cancellation: "Late cancellation", k_supplier_cancelled: "Contract cancelled by the agency",
      k_dispute_lost: "Timesheet dispute lost", k_licence_invalid: "Licence no longer valid", k_wages_unpaid: "Approved hours left unpaid", k_commendation: "Commendation", k_penalty: "Penalty",
      seats: "×{count}", annulled: " (annulled on appeal)", serious: "serious violation", docRef: "ref. {ref}", transition: "{from} → {to}",
      setTitle: "Integrity points rules", setSub: "Points are computed from what actually happened on Shiftex; every point traces to its event. These rules are in force.",
      weights: "Weights", decay: "Decay", versions: "Versions", inForce: "in force", from: "from {date}",
      perSeat: "{points} per seat", once: "{points} each time", byOperator: "set by the authority, up to {points}",
      decayStep: "events younger than {days} days count {percent}%", thresholdsText: "Start at {base}; below {black} is black; {red} or more is red (a margin of {h} before moving back).",
      redText: "Red also needs at least {seats} completed shifts and {days} days since joining.", seriousText: "A serious violation is black for {days} days; a downgrade may be appealed within {appeal} days.",
      errNotFound: "No such agency.", errNetwork: "Could not reach Shiftex; check your connection and try again.", errGeneric: "Something went wrong; please try again later ({code}).",
    },
  };
  const LANG_KEY = "shiftex.lang";
  let lang = "zh-CN";
  try { if (localStorage.getItem(LANG_KEY) === "en") lang = "en"; } catch { /* storage may be blocked */ }
  const page = document.body.dataset.page;
  let error = null;
  let catalogue = { districts: [], skills: [] };
  let draw = () => {};

  const { $, el } = window.ShiftexKit;
  const t = (key, params) => window.ShiftexKit.translate(TEXT, lang, key, params);
  const date = (iso) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
  };
  const districtName = (code) => { const d = catalogue.districts.find((x) => x.code === code); return d ? (lang === "en" ? d.nameEn : d.nameZh) : code; };
  const skillName = (id) => { const s = catalogue.skills.find((x) => x.id === id); return s ? (lang === "en" ? s.nameEn : s.nameZh) : id; };
  const colourBadge = (c) => el("span", { class: `colour ${c || "none"}`, text: t(c ? `colour_${c}` : "colour_none") });
  const why = (r, points) => (r ? t(`why_${r.kind}`, { points: r.points ?? points ?? "" }) + (r.appealUpheld ? t("appealUpheld") : "") : t("why_unrated"));

  async function api(path) {
    let res;
    try { res = await fetch(path, { headers: { accept: "application/json" } }); } catch { throw { network: true }; }
    const body = await res.json().catch(() => null);
    if (!res.ok) throw { status: res.status, problem: body || {} };
    return body;
  }
  function fail(err) {
    error = !err || err.network ? { key: "errNetwork" } : err.problem && err.problem.code === "not_found" ? { key: "errNotFound" } : { key: "errGeneric", params: { code: (err.problem && err.problem.code) || `HTTP ${err.status}` } };
    render();
  }

  function render() {
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.getAttribute("data-t"));
    document.title = `Shiftex · ${t({ directory: "dirTitle", agency: "dirTitle", settings: "setTitle" }[page])}`;
    $("lang").textContent = t("switchTo");
    $("lang").setAttribute("lang", lang === "en" ? "zh-CN" : "en");
    if (error) { $("error").textContent = t(error.key, error.params); $("error").hidden = false; } else $("error").hidden = true;
    draw();
  }

  // ---------------------------------------------------------------- directory

  function directory() {
    let items = [];
    let next = null;
    const fill = (select, list, label) => {
      const keep = select.value;
      select.replaceChildren(el("option", { value: "", "data-t": "any", text: t("any") }), ...list.map((x) => el("option", { value: x.value, text: label(x) })));
      select.value = keep;
    };
    async function load(more) {
      const q = new URLSearchParams();
      for (const k of ["district", "skill", "q"]) if ($(k).value.trim()) q.set(k, $(k).value.trim());
      q.set("limit", "20");
      if (more && next) q.set("cursor", next);
      try {
        const page = await api(`/v1/public/agencies?${q}`);
        items = more ? items.concat(page.items) : page.items;
        next = page.next;
        error = null;
      } catch (err) { return fail(err); }
      render();
    }
    draw = () => {
      fill($("district"), catalogue.districts.map((d) => ({ value: d.code, ...d })), (d) => (lang === "en" ? d.nameEn : d.nameZh));
      fill($("skill"), catalogue.skills.map((s) => ({ value: s.id, ...s })), (s) => (lang === "en" ? s.nameEn : s.nameZh));
      $("agencies").replaceChildren(...items.map((a) => el("li", {},
        el("div", { class: "line" }, el("a", { href: `/agencies/${encodeURIComponent(a.id)}`, class: "agency-name", text: a.name }), colourBadge(a.colour), a.points ? el("span", { class: "muted", text: t("points", { points: a.points }) }) : null),
        el("div", { class: "line muted" }, el("span", { text: districtName(a.districtCode) }),
          ...a.licences.map((l) => el("span", { text: `${t(`lic_${l.type}`)} ${l.number} · ${t(`ls_${l.status}`)}` }))))));
      $("empty").hidden = items.length > 0;
      $("more").hidden = next === null;
    };
    $("search").addEventListener("submit", (e) => { e.preventDefault(); void load(false); });
    $("more").addEventListener("click", () => void load(true));
    return load(false);
  }

  // ---------------------------------------------------------------- one agency

  function agency() {
    const id = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
    let a = null;
    const eventLine = (e) => el("li", { class: e.annulled ? "annulled" : "" },
      el("div", { class: "line" }, el("strong", { text: t(`k_${e.kind}`) }), e.count > 1 ? el("span", { text: t("seats", { count: e.count }) }) : null,
        el("span", { class: e.points.startsWith("-") ? "minus" : "plus", text: e.points }), e.serious ? el("span", { class: "badge warn", text: t("serious") }) : null),
      el("div", { class: "line muted" }, el("span", { text: date(e.at) }), e.reason ? el("span", { text: e.reason }) : null, e.documentRef ? el("span", { text: t("docRef", { ref: e.documentRef }) }) : null,
        e.annulled ? el("span", { text: t("annulled") }) : null));
    const list = (node, items, line) => node.replaceChildren(...(items.length ? items.map(line) : [el("li", { class: "muted", text: t("noneYet") })]));
    draw = () => {
      if (!a) return;
      $("name").textContent = a.name;
      $("colour").replaceChildren(colourBadge(a.colour));
      $("points").textContent = a.points ? t("points", { points: a.points }) : "";
      $("why").textContent = why(a.reason, a.points);
      $("district").textContent = districtName(a.districtCode);
      $("registered").textContent = t("registered", { date: a.registeredOn });
      $("version").textContent = t("version", { version: a.settingsVersion });
      list($("licences"), a.licences, (l) => el("li", {}, el("div", { class: "line" }, el("strong", { text: t(`lic_${l.type}`) }), el("span", { class: "mono", text: l.number }), el("span", { class: `badge ls-${l.status}`, text: t(`ls_${l.status}`) })),
        el("div", { class: "line muted" }, el("span", { text: t("validUntil", { date: l.validUntil }) }))));
      list($("penalties"), a.penalties, eventLine);
      list($("transitions"), a.transitions, (x) => el("li", {}, el("div", { class: "line" }, colourBadge(x.from), el("span", { text: "→" }), colourBadge(x.to)),
        el("div", { class: "line muted" }, el("span", { text: date(x.at) }), el("span", { text: why(x.reason, x.points) }))));
      list($("history"), a.history, eventLine);
    };
    return api(`/v1/public/agencies/${encodeURIComponent(id)}`).then((x) => { a = x; render(); }, fail);
  }

  // ---------------------------------------------------------------- settings

  function settings() {
    let s = null;
    draw = () => {
      if (!s) return;
      const f = s.inForce;
      $("version").textContent = f.version;
      $("thresholds").textContent = t("thresholdsText", { base: f.basePoints, black: f.thresholds.blackBelow, red: f.thresholds.redAtLeast, h: f.thresholds.hysteresis });
      $("red").textContent = t("redText", { seats: f.red.minCompletedSeats, days: f.red.minHistoryDays });
      $("serious").textContent = t("seriousText", { days: f.seriousViolationBlackDays, appeal: f.appealWindowDays });
      $("weights").replaceChildren(...f.weights.map((w) => el("li", {}, el("div", { class: "line" }, el("strong", { text: t(`k_${w.kind}`) }),
        el("span", { text: w.points === null ? t("byOperator", { points: w.byOperatorUpTo }) : w.perSeat ? t("perSeat", { points: w.points }) : t("once", { points: w.points }) })))));
      $("decay").replaceChildren(...f.decay.map((d) => el("li", { text: t("decayStep", { days: d.untilDays, percent: d.percent }) })));
      $("versions").replaceChildren(...s.versions.map((v) => el("li", {}, el("div", { class: "line" }, el("span", { class: "mono", text: v.version }), el("span", { class: "muted", text: t("from", { date: date(v.inForceFrom) }) }), v.inForce ? el("span", { class: "badge live", text: t("inForce") }) : null))));
    };
    return api("/v1/public/trust-settings").then((x) => { s = x; render(); }, fail);
  }

  $("lang").addEventListener("click", () => {
    lang = lang === "en" ? "zh-CN" : "en";
    try { localStorage.setItem(LANG_KEY, lang); } catch { /* storage may be blocked */ }
    render();
  });
  render();
  api("/v1/catalogue").then((c) => { catalogue = c; render(); }, () => undefined).finally(() => {
    void ({ directory, agency, settings }[page] || (() => undefined))();
  });
})();
