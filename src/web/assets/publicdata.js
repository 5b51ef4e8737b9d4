// Shiftex public-data pages: /prices (guidance prices with a chart, the city's totals; public) and /stats (the
// regulator's and operators' statistics; API key kept in sessionStorage, never in a URL). Served by Shiftex with
// the vendored ECharts; charts use the richText tooltip (drawn on the canvas) because the CSP forbids inline styles.
// Every text comes from the dictionary below (zh-CN by default; English by the switch, shared with the other pages).
"use strict";
(() => {
  const TEXT = {
    "zh-CN": {
      switchTo: "English", navPrices: "指导价格", navStats: "统计",
      pricesTitle: "零工指导价格", pricesSub: "按工种、区县和周，根据平台实际成交计算：成交笔数、成交人数、成交量加权均价（VWAP）及时薪的 25%、50%、75% 分位数。",
      skill: "工种", district: "区县", weeks: "周数", show: "查看", downloadCsv: "下载 CSV",
      colWeek: "周", colTrades: "成交笔数", colHeadcount: "成交人数", colVwap: "加权均价", colP25: "25% 分位", colMedian: "中位数", colP75: "75% 分位",
      seriesMedian: "中位数", seriesP25: "25% 分位", seriesP75: "75% 分位", seriesVwap: "加权均价", yuanPerHour: "元/小时",
      noTrades: "该工种和区县在所选周内没有成交。", weeksRange: "{from} 至 {to}（按班次日期所在周）",
      cityTotals: "全市就业服务统计", placements: "帮助就业人次", workersPlaced: "就业人数", fillRate: "需求满足率", timeToFill: "成交用时中位数", wagesPaid: "已发放工资",
      hours: "{h} 小时", none: "—",
      statsTitle: "就业统计（监管）", statsLogin: "请用监管部门或运营人员的 API 密钥登录。密钥只保存在本标签页中。", apiKey: "API 密钥", signIn: "登录", signOut: "退出",
      publicHint: "公众可在“指导价格”页查看全市汇总。", errRole: "该密钥不属于监管部门或运营人员。", errKey: "API 密钥无效或已停用。",
      byWeek: "按周", byDistrict: "按区县", byKeyGroup: "按重点群体", bySkill: "按工种",
      colGroup: "群体", colSkill: "工种", colPlacements: "就业人次", colWorkers: "人数", colWages: "工资（元）", colFill: "满足率",
      errNetwork: "网络连接失败，请稍后再试。", errGeneric: "出错了，请稍后再试（{code}）。",
    },
    en: {
      switchTo: "中文", navPrices: "Guidance prices", navStats: "Statistics",
      pricesTitle: "Guidance prices for short-term work", pricesSub: "Per skill, district and week, from the exchange's actual trades: trades, workers placed, volume-weighted average (VWAP) and the 25th, 50th and 75th percentiles of hourly rates.",
      skill: "Skill", district: "District", weeks: "Weeks", show: "Show", downloadCsv: "Download CSV",
      colWeek: "Week", colTrades: "Trades", colHeadcount: "Workers", colVwap: "VWAP", colP25: "25th pct", colMedian: "Median", colP75: "75th pct",
      seriesMedian: "Median", seriesP25: "25th percentile", seriesP75: "75th percentile", seriesVwap: "VWAP", yuanPerHour: "yuan/hour",
      noTrades: "No trades in this skill and district in these weeks.", weeksRange: "{from} to {to} (weeks of the shift dates)",
      cityTotals: "City totals", placements: "Placements", workersPlaced: "Workers placed", fillRate: "Fill rate", timeToFill: "Median time to fill", wagesPaid: "Wages paid",
      hours: "{h} h", none: "—",
      statsTitle: "Placement statistics (regulator)", statsLogin: "Sign in with a regulator's or operator's API key. The key stays in this browser tab only.", apiKey: "API key", signIn: "Sign in", signOut: "Sign out",
      publicHint: "The public city totals are on the guidance prices page.", errRole: "This key is not a regulator's or an operator's.", errKey: "The API key is not valid or has been revoked.",
      byWeek: "By week", byDistrict: "By district", byKeyGroup: "By key group", bySkill: "By skill",
      colGroup: "Group", colSkill: "Skill", colPlacements: "Placements", colWorkers: "Workers", colWages: "Wages (yuan)", colFill: "Fill rate",
      errNetwork: "Could not reach Shiftex; try again later.", errGeneric: "Something went wrong; please try again later ({code}).",
    },
  };
  const LANG_KEY = "shiftex.lang";
  const KEY = "shiftex.statsKey";
  let lang = "zh-CN";
  try { if (localStorage.getItem(LANG_KEY) === "en") lang = "en"; } catch { /* storage may be blocked */ }
  const page = document.body.dataset.page;
  const renderers = [];
  const charts = [];
  let catalogue = null;
  let error = null;

  const $ = (id) => document.getElementById(id);
  function t(key, params) {
    const s = TEXT[lang][key] ?? TEXT["zh-CN"][key] ?? key;
    return s.replace(/\{(\w+)\}/g, (_, k) => (params && params[k] !== undefined ? String(params[k]) : ""));
  }
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) if (v !== undefined && v !== null) node.setAttribute(k === "class" ? "class" : k, String(v));
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }
  const yuanText = (fen) => (Number(fen) / 100).toFixed(2);
  const nameOf = (item) => (item ? (lang === "en" ? item.nameEn : item.nameZh) : "");
  const skillName = (id) => nameOf(catalogue?.skills.find((s) => s.id === id)) || id;
  const districtName = (code) => nameOf(catalogue?.districts.find((d) => d.code === code)) || code;
  const groupName = (id) => nameOf(catalogue?.keyGroups.find((g) => g.id === id)) || id;

  function render() {
    document.documentElement.lang = lang;
    document.title = `Shiftex · ${t(page === "prices" ? "pricesTitle" : "statsTitle")}`;
    for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.getAttribute("data-t"));
    const sw = $("lang");
    sw.textContent = t("switchTo");
    sw.setAttribute("lang", lang === "en" ? "zh-CN" : "en");
    const box = $("error");
    box.hidden = !error;
    if (error) box.textContent = error();
    for (const fn of renderers) fn();
  }
  function fail(err) {
    error = () => (!err || err.network ? t("errNetwork") : t("errGeneric", { code: err.problem?.code || `HTTP ${err.status}` }));
    render();
  }
  $("lang").addEventListener("click", () => {
    lang = lang === "en" ? "zh-CN" : "en";
    try { localStorage.setItem(LANG_KEY, lang); } catch { /* not remembered */ }
    render();
  });
  window.addEventListener("resize", () => { for (const c of charts) c.resize(); });

  async function api(path, key, asText) {
    const headers = {};
    if (key) headers.authorization = `Bearer ${key}`;
    let res;
    try { res = await fetch(path, { headers, credentials: "omit", cache: "no-store" }); } catch { throw { network: true }; }
    const text = await res.text();
    if (!res.ok) { let problem = {}; try { problem = JSON.parse(text); } catch { /* not JSON */ } throw { status: res.status, problem }; }
    return asText ? text : JSON.parse(text);
  }

  // ---- ISO weeks (UTC dates stand for Shanghai calendar dates) ----
  function isoWeekOf(d) {
    const x = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    x.setUTCDate(x.getUTCDate() - ((x.getUTCDay() + 6) % 7) + 3);
    const year = x.getUTCFullYear();
    const jan4 = new Date(Date.UTC(year, 0, 4));
    const firstThursday = new Date(jan4);
    firstThursday.setUTCDate(jan4.getUTCDate() - ((jan4.getUTCDay() + 6) % 7) + 3);
    return `${year}-W${String(1 + Math.round((x - firstThursday) / 604800000)).padStart(2, "0")}`;
  }
  function mondayOf(week) {
    const [y, w] = week.split("-W").map(Number);
    const jan4 = new Date(Date.UTC(y, 0, 4));
    jan4.setUTCDate(jan4.getUTCDate() - ((jan4.getUTCDay() + 6) % 7) + (w - 1) * 7);
    return jan4;
  }
  function addWeeks(week, n) { const d = mondayOf(week); d.setUTCDate(d.getUTCDate() + 7 * n); return isoWeekOf(d); }
  function weeksBetween(from, to) {
    const out = [];
    for (let w = from; out.length < 120; w = addWeeks(w, 1)) { out.push(w); if (w === to) break; }
    return out;
  }

  function chart(id) {
    const c = echarts.init($(id));
    charts.push(c);
    return c;
  }
  function finished(c) { c.on("finished", () => { c.getDom().dataset.drawn = "1"; }); }

  function totalsInto(dl, v) {
    const items = [
      ["placements", String(v.placements)],
      ["workersPlaced", String(v.workersPlaced)],
      ["fillRate", v.fillRatePercent === null ? t("none") : `${v.fillRatePercent}%`],
      ["timeToFill", v.medianTimeToFillHours === null ? t("none") : t("hours", { h: v.medianTimeToFillHours })],
      ["wagesPaid", `¥${v.wagesPaid}`],
    ];
    dl.replaceChildren(...items.map(([k, value]) => el("div", { "data-total": k }, el("dt", null, t(k)), el("dd", null, value))));
  }

  // ---- /prices ----
  async function pricesPage() {
    catalogue = await api("/v1/catalogue");
    const skill = $("skill"), district = $("district"), weeks = $("weeks");
    const all = await api("/v1/public/guidance-prices");
    // Start with the busiest skill and district, so the first view shows something.
    const volume = new Map();
    for (const p of all.items) volume.set(`${p.skill} ${p.district}`, (volume.get(`${p.skill} ${p.district}`) || 0) + p.headcount);
    const busiest = [...volume.entries()].sort((a, b) => b[1] - a[1])[0];
    const [s0, d0] = busiest ? busiest[0].split(" ") : [catalogue.skills[0].id, catalogue.districts[0].code];
    const toWeek = all.toWeek;
    let data = null;
    const c = chart("chart");
    finished(c);

    const fill = (select, items, value, label) => {
      const current = select.value;
      select.replaceChildren(...items.map((x) => el("option", { value: value(x) }, label(x))));
      if (current) select.value = current;
    };
    const draw = () => {
      fill(skill, catalogue.skills, (s) => s.id, nameOf);
      fill(district, catalogue.districts, (d) => d.code, (d) => `${nameOf(d)} (${d.code})`);
      if (!data) return;
      const axis = weeksBetween(data.fromWeek, data.toWeek);
      const byWeek = new Map(data.items.map((p) => [p.week, p]));
      const series = (name, field, dashed) => ({
        name, type: "line", connectNulls: false, symbolSize: 6,
        lineStyle: dashed ? { type: "dashed" } : undefined,
        data: axis.map((w) => (byWeek.has(w) ? byWeek.get(w)[field] / 100 : null)),
      });
      c.setOption({
        animation: false,
        tooltip: { trigger: "axis", renderMode: "richText" },
        legend: { top: 0, type: "scroll" },
        grid: { left: 48, right: 16, top: 64, bottom: 40 },
        xAxis: { type: "category", data: axis },
        yAxis: { type: "value", name: t("yuanPerHour"), scale: true },
        series: [series(t("seriesMedian"), "medianFen"), series(t("seriesP25"), "p25Fen", true), series(t("seriesP75"), "p75Fen", true), series(t("seriesVwap"), "vwapFen")],
      }, true);
      $("chart").setAttribute("aria-label", `${skillName(data.skill)} · ${districtName(data.district)}`);
      $("chart-note").textContent = data.items.length ? t("weeksRange", { from: data.fromWeek, to: data.toWeek }) : t("noTrades");
      $("prices-table").querySelector("tbody").replaceChildren(...data.items.slice().reverse().map((p) => el("tr", { "data-week": p.week },
        el("td", null, p.week), el("td", null, String(p.trades)), el("td", null, String(p.headcount)), el("td", null, yuanText(p.vwapFen)),
        el("td", null, yuanText(p.p25Fen)), el("td", null, yuanText(p.medianFen)), el("td", null, yuanText(p.p75Fen)))));
    };
    renderers.push(draw);

    async function load() {
      const from = addWeeks(toWeek, -(Number(weeks.value) - 1));
      const q = `skill=${encodeURIComponent(skill.value)}&district=${encodeURIComponent(district.value)}&from=${from}&to=${toWeek}`;
      try {
        const r = await api(`/v1/public/guidance-prices?${q}`);
        data = { ...r, skill: skill.value, district: district.value };
        $("csv").setAttribute("href", `/v1/public/guidance-prices?${q}&format=csv`);
        error = null;
        render();
      } catch (err) { fail(err); }
    }
    fill(skill, catalogue.skills, (s) => s.id, nameOf);
    fill(district, catalogue.districts, (d) => d.code, (d) => `${nameOf(d)} (${d.code})`);
    skill.value = s0;
    district.value = d0;
    $("prices-form").addEventListener("submit", (e) => { e.preventDefault(); load(); });
    $("app").hidden = false;
    c.resize();

    const totals = await api("/v1/public/stats").catch(() => null);
    if (totals) renderers.push(() => { totalsInto($("totals"), totals); $("totals-range").textContent = t("weeksRange", { from: totals.fromWeek, to: totals.toWeek }); });
    await load();
  }

  // ---- /stats ----
  async function statsPage() {
    const key = () => { try { return sessionStorage.getItem(KEY); } catch { return null; } };
    const signedOut = () => {
      $("login-panel").hidden = false;
      $("stats-view").hidden = true;
      $("app").hidden = false;
      $("login-form").addEventListener("submit", async (e) => {
        e.preventDefault();
        const k = $("apikey").value.trim();
        try {
          const me = await api("/v1/me", k);
          if (me.role !== "regulator" && me.role !== "operator") { error = () => t("errRole"); render(); return; }
          sessionStorage.setItem(KEY, k);
          location.reload();
        } catch (err) {
          if (err.status === 401) { error = () => t("errKey"); render(); } else fail(err);
        }
      });
      render();
    };
    if (!key()) return signedOut();
    catalogue = await api("/v1/catalogue");
    $("stats-view").hidden = false;
    $("app").hidden = false;
    const weekChart = chart("chart-week");
    const districtChart = chart("chart-district");
    finished(weekChart);
    let s = null;
    const table = (id, rows, nameOfKey, keyName) => {
      $(id).replaceChildren(
        el("thead", null, el("tr", null, el("th", null, t(keyName)), el("th", null, t("colPlacements")), el("th", null, t("colWorkers")), el("th", null, t("colWages")), el("th", null, t("colFill")))),
        el("tbody", null, ...rows.map((r) => el("tr", null, el("td", null, nameOfKey(r.key)), el("td", null, String(r.placements)), el("td", null, String(r.workersPlaced)),
          el("td", null, r.wagesPaid), el("td", null, r.fillRatePercent === null ? t("none") : `${r.fillRatePercent}%`)))));
    };
    const draw = () => {
      if (!s) return;
      totalsInto($("city"), { ...s.city, wagesPaid: s.city.wagesPaid });
      $("stats-range").textContent = t("weeksRange", { from: s.fromWeek, to: s.toWeek });
      const weeksAxis = weeksBetween(s.fromWeek, s.toWeek);
      const byWeek = new Map(s.byWeek.map((r) => [r.key.week, r]));
      weekChart.setOption({
        animation: false,
        tooltip: { trigger: "axis", renderMode: "richText" },
        legend: { top: 0 },
        grid: { left: 48, right: 56, top: 48, bottom: 40 },
        xAxis: { type: "category", data: weeksAxis },
        yAxis: [{ type: "value", name: t("colPlacements") }, { type: "value", name: t("colWages") }],
        series: [
          { name: t("placements"), type: "bar", data: weeksAxis.map((w) => byWeek.get(w)?.placements ?? 0) },
          { name: t("wagesPaid"), type: "line", yAxisIndex: 1, data: weeksAxis.map((w) => (byWeek.get(w) ? byWeek.get(w).wagesPaidFen / 100 : 0)) },
        ],
      }, true);
      const districts = s.byDistrict.slice().sort((a, b) => b.placements - a.placements).slice(0, 12);
      districtChart.setOption({
        animation: false,
        tooltip: { trigger: "axis", renderMode: "richText" },
        grid: { left: 96, right: 16, top: 16, bottom: 32 },
        xAxis: { type: "value" },
        yAxis: { type: "category", inverse: true, data: districts.map((r) => districtName(r.key.district)) },
        series: [{ name: t("placements"), type: "bar", data: districts.map((r) => r.placements) }],
      }, true);
      table("table-keygroup", s.byKeyGroup, (k) => groupName(k.keyGroup), "colGroup");
      table("table-skill", s.bySkill, (k) => skillName(k.skill), "colSkill");
    };
    renderers.push(draw);
    // The weeks come from the server's clock: its default range ends at the trading horizon.
    let toWeek = null;
    const range = () => (toWeek ? `from=${addWeeks(toWeek, -(Number($("weeks").value) - 1))}&to=${toWeek}` : "");
    async function load() {
      try {
        if (!toWeek) toWeek = (await api("/v1/stats?by=week", key())).toWeek;
        s = await api(`/v1/stats?${range()}`, key());
        error = null;
        render();
        for (const c of charts) c.resize();
      } catch (err) {
        if (err.status === 401 || err.status === 403) { sessionStorage.removeItem(KEY); location.reload(); return; }
        fail(err);
      }
    }
    $("stats-form").addEventListener("submit", (e) => { e.preventDefault(); load(); });
    $("signout").addEventListener("click", () => { sessionStorage.removeItem(KEY); location.reload(); });
    $("download").addEventListener("click", async () => {
      try {
        const csv = await api(`/v1/stats?${range()}&format=csv`, key(), true);
        const a = el("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" })), download: "shiftex-statistics.csv" });
        document.body.append(a);
        a.click();
        a.remove();
      } catch (err) { fail(err); }
    });
    await load();
  }

  render();
  (page === "prices" ? pricesPage() : statsPage()).catch(fail);
})();
