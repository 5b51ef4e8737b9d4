// @ts-check
/** Runs a journey step (a generator of requests, lib/journey.js) with k6's synchronous http. */
import http from "k6/http";
import { check } from "k6";
import { Counter } from "k6/metrics";

/** @type {Record<string, Counter>} */
const counters = {};

/** The ctx a journey step reports through: k6 checks and counters, Math.random. */
export const k6Ctx = {
  /** @param {string} label @param {boolean} ok */
  check: function (label, ok) {
    /** @type {Record<string, () => boolean>} */
    const sets = {};
    sets[label] = function () { return ok; };
    check(null, sets);
  },
  /** @param {string} metric @param {number} n */
  count: function (metric, n) {
    if (!counters[metric]) counters[metric] = new Counter("shiftex_" + metric);
    counters[metric].add(n);
  },
  random: Math.random,
};

/**
 * @template T
 * @param {string} baseUrl
 * @param {Generator<import("./journey.js").Request, T, import("./journey.js").Response>} step
 * @returns {T}
 */
export function run(baseUrl, step) {
  let next = step.next();
  while (!next.done) {
    const r = next.value;
    /** @type {Record<string, string>} */
    const headers = { authorization: "Bearer " + r.key };
    if (r.body !== undefined) headers["content-type"] = "application/json";
    if (r.idempotencyKey) headers["idempotency-key"] = r.idempotencyKey;
    /** @type {import("k6/http").Params} */
    const params = { headers: headers, tags: { name: r.name } };
    if (r.expected) params.responseCallback = http.expectedStatuses.apply(null, r.expected);
    const res = http.request(r.method, baseUrl + r.path, r.body === undefined ? null : JSON.stringify(r.body), params);
    /** @type {any} */
    let json = null;
    try {
      json = typeof res.body === "string" && res.body.length > 0 ? JSON.parse(res.body) : null;
    } catch (e) {
      json = null;
    }
    next = step.next({ status: res.status, json: json });
  }
  return next.value;
}
