// @ts-check
/**
 * k6 journey against a running Shiftex: enterprises fund their wallets (offline top-up, confirmed by an
 * operator key) and place demand orders; agencies place crossing supply offers at the best bid; about a
 * third of the enterprises' open orders are cancelled. Every response is checked; thresholds below.
 *
 *   k6 run -e SHIFTEX_URL=http://127.0.0.1:3000 -e OPERATOR_KEY=sx_… load/k6/journey.js
 *
 * Variables: SHIFTEX_URL, OPERATOR_KEY (required: it confirms top-ups and, without the next two, creates
 * the organisations), ENTERPRISE_KEYS / AGENCY_KEYS (comma-separated keys of existing organisations, e.g.
 * the demo keys the banner prints), ENTERPRISES / AGENCIES (how many to create, default 4 each),
 * ENTERPRISE_VUS / AGENCY_VUS (default 8 / 8), DURATION (default 1m), DISTRICT (default 500107),
 * SKILLS (default general-labourer,warehouse-picker,welder), DAYS_AHEAD (default 3).
 */
import exec from "k6/execution";
import { agencyIteration, enterpriseIteration, prepare } from "./lib/journey.js";
import { k6Ctx, run } from "./lib/k6-driver.js";

const BASE = __ENV.SHIFTEX_URL || "http://127.0.0.1:3000";
const DURATION = __ENV.DURATION || "1m";
/** @param {string | undefined} v */
const list = (v) => (v ? v.split(",").map((s) => s.trim()).filter((s) => s.length > 0) : []);

export const options = {
  scenarios: {
    enterprises: { executor: "constant-vus", exec: "enterprise", vus: Number(__ENV.ENTERPRISE_VUS || 8), duration: DURATION },
    // Agencies start a little later so there are bids to cross.
    agencies: { executor: "constant-vus", exec: "agency", vus: Number(__ENV.AGENCY_VUS || 8), duration: DURATION, startTime: "3s" },
  },
  thresholds: {
    checks: ["rate>0.99"],
    http_req_failed: ["rate<0.01"],
    "http_req_duration{name:place_order}": ["p(95)<250", "p(99)<500"],
    "http_req_duration{name:cancel_order}": ["p(95)<250"],
    "http_req_duration{name:book}": ["p(95)<100"],
    shiftex_fills: ["count>0"],
  },
  setupTimeout: "120s",
};

export function setup() {
  if (!__ENV.OPERATOR_KEY) throw new Error("set OPERATOR_KEY (an operator API key): it confirms the top-ups");
  const enterpriseKeys = list(__ENV.ENTERPRISE_KEYS);
  const agencyKeys = list(__ENV.AGENCY_KEYS);
  const data = run(BASE, prepare(k6Ctx, {
    operatorKey: __ENV.OPERATOR_KEY,
    nowMs: Date.now(),
    enterpriseKeys: enterpriseKeys,
    agencyKeys: agencyKeys,
    createEnterprises: enterpriseKeys.length > 0 ? 0 : Number(__ENV.ENTERPRISES || 4),
    createAgencies: agencyKeys.length > 0 ? 0 : Number(__ENV.AGENCIES || 4),
    skills: list(__ENV.SKILLS || "general-labourer,warehouse-picker,welder"),
    district: __ENV.DISTRICT || "500107",
    daysAhead: Number(__ENV.DAYS_AHEAD || 3),
  }));
  if (data.markets.length === 0 || data.enterprises.length === 0 || data.agencies.length === 0) {
    throw new Error("setup found no markets, enterprises or agencies: see the failed checks");
  }
  return data;
}

/** @param {import("./lib/journey.js").RunData} data */
export function enterprise(data) {
  const who = data.enterprises[(exec.vu.idInTest - 1) % data.enterprises.length];
  run(BASE, enterpriseIteration(k6Ctx, data, who, exec.vu.idInTest * 1000000 + exec.vu.iterationInScenario));
}

/** @param {import("./lib/journey.js").RunData} data */
export function agency(data) {
  const who = data.agencies[(exec.vu.idInTest - 1) % data.agencies.length];
  run(BASE, agencyIteration(k6Ctx, data, who, exec.vu.idInTest * 1000000 + exec.vu.iterationInScenario));
}
