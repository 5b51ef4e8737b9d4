// @ts-check
/**
 * What a book watcher does with each frame of GET /v1/stream, shared by the k6 script and the Node runner:
 * a snapshot first, then book.changed with bookSeq one higher each time; a jump is a gap, answered by
 * subscribing again (a fresh snapshot). No imports; ES2017.
 */

/**
 * @typedef {{ snapshots: number, updates: number, gaps: number, trades: number, errors: number, firstSnapshot: boolean }} WatchStats
 */

/**
 * @param {string} market
 * @param {(message: string) => void} send
 * @param {(label: string, ok: boolean) => void} check
 */
export function bookWatcher(market, send, check) {
  /** @type {number | null} */
  let bookSeq = null;
  /** @type {WatchStats} */
  const stats = { snapshots: 0, updates: 0, gaps: 0, trades: 0, errors: 0, firstSnapshot: false };
  let sawSubscribed = false;
  return {
    stats: stats,
    open: function () {
      send(JSON.stringify({ op: "subscribe", channel: "book:" + market }));
      send(JSON.stringify({ op: "subscribe", channel: "trades:" + market }));
    },
    /** @param {string} text */
    onMessage: function (text) {
      /** @type {any} */
      let f;
      try {
        f = JSON.parse(text);
      } catch (e) {
        check("frame is JSON", false);
        return;
      }
      if (f.type === "subscribed") {
        sawSubscribed = true;
        return;
      }
      if (f.type === "error") {
        stats.errors++;
        check("no error frame", false);
        return;
      }
      if (f.type === "snapshot") {
        if (stats.snapshots === 0) {
          stats.firstSnapshot = sawSubscribed;
          check("snapshot follows subscribed", sawSubscribed);
        }
        check("snapshot has its levels", Array.isArray(f.demand) && Array.isArray(f.supply) && typeof f.bookSeq === "number" && f.market === market);
        stats.snapshots++;
        bookSeq = f.bookSeq;
        return;
      }
      if (f.type === "book.changed") {
        if (bookSeq === null || f.bookSeq <= bookSeq) return; // waiting for a snapshot, or already in it
        if (f.bookSeq !== bookSeq + 1) {
          stats.gaps++;
          bookSeq = null;
          send(JSON.stringify({ op: "subscribe", channel: "book:" + market }));
          return;
        }
        check("update has its levels", Array.isArray(f.demand) && Array.isArray(f.supply));
        stats.updates++;
        bookSeq = f.bookSeq;
        return;
      }
      if (f.type === "trade") {
        check("trade has rate and quantity", f.rateFen > 0 && f.qty > 0 && f.market === market);
        stats.trades++;
      }
    },
  };
}
