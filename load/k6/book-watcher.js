// @ts-check
/**
 * k6 WebSocket book watcher: each VU opens GET /v1/stream with an API key in the Authorization header,
 * subscribes to a market's book and trades, checks that a snapshot comes first and that every update
 * carries bookSeq one higher (a jump is a gap: it re-subscribes for a fresh snapshot), for WATCH_SECONDS.
 * Run it beside journey.js to watch a book that moves.
 *
 *   k6 run -e SHIFTEX_URL=http://127.0.0.1:3000 -e API_KEY=sx_… -e MARKET=welder.500107.2026-12-04.D1 load/k6/book-watcher.js
 *
 * Variables: SHIFTEX_URL, API_KEY (any organisation's key), MARKET (a market id), VUS (default 50),
 * WATCH_SECONDS (default 60).
 */
import ws from "k6/ws";
import { check } from "k6";
import { Counter } from "k6/metrics";
import { bookWatcher } from "./lib/book-watch.js";

const BASE = (__ENV.SHIFTEX_URL || "http://127.0.0.1:3000").replace(/^http/, "ws");
const WATCH_MS = Number(__ENV.WATCH_SECONDS || 60) * 1000;

const updates = new Counter("shiftex_book_updates");
const gaps = new Counter("shiftex_book_gaps");
const snapshots = new Counter("shiftex_book_snapshots");
const trades = new Counter("shiftex_trades_seen");

export const options = {
  scenarios: {
    watchers: { executor: "per-vu-iterations", vus: Number(__ENV.VUS || 50), iterations: 1, maxDuration: Math.ceil(WATCH_MS / 1000) + 30 + "s" },
  },
  thresholds: {
    checks: ["rate>0.99"],
    ws_connecting: ["p(95)<500"],
    shiftex_book_snapshots: ["count>0"],
    // A gap is recovered by a fresh snapshot, but should stay rare.
    shiftex_book_gaps: ["count<10"],
  },
};

export default function () {
  if (!__ENV.API_KEY || !__ENV.MARKET) throw new Error("set API_KEY and MARKET");
  const market = __ENV.MARKET;
  const res = ws.connect(BASE + "/v1/stream", { headers: { authorization: "Bearer " + __ENV.API_KEY } }, function (socket) {
    const watcher = bookWatcher(market, function (m) { socket.send(m); }, function (label, ok) {
      /** @type {Record<string, () => boolean>} */
      const sets = {};
      sets[label] = function () { return ok; };
      check(null, sets);
    });
    socket.on("open", function () { watcher.open(); });
    socket.on("message", function (data) {
      const before = { u: watcher.stats.updates, g: watcher.stats.gaps, s: watcher.stats.snapshots, t: watcher.stats.trades };
      watcher.onMessage(data);
      updates.add(watcher.stats.updates - before.u);
      gaps.add(watcher.stats.gaps - before.g);
      snapshots.add(watcher.stats.snapshots - before.s);
      trades.add(watcher.stats.trades - before.t);
    });
    socket.on("close", function () { /* counted by ws_sessions */ });
    socket.setTimeout(function () { socket.close(); }, WATCH_MS);
  });
  check(res, { "stream upgraded (101)": function (r) { return r !== null && r.status === 101; } });
}
