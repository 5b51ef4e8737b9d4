// GET /v1/stream over real WebSockets against the real app: authentication (API key, worker cookie, single-use
// ticket, never a key in the URL), book snapshots then increments with bookSeq, trades, private channels kept
// private, bad frames answered with error frames, bounded subscriptions, and a slow consumer dropped with 4008.
import { once } from "node:events";
import { connect as connectTcp } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BookSnapshot, BookSource } from "../../src/realtime";
import type { BookChanged, ContractCreated, DomainEvent, ExecutionEvent, ShiftOffered, TradeEvent } from "../../src/shared/events";
import { DomainError } from "../../src/shared/errors";
import { fixedClock } from "../../src/shared/clock";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends } from "../helpers/services";
import { HandshakeRefused, openStream, type Frame, type StreamClient } from "../helpers/stream-client";

const M = "welder.500107.2026-12-02.D1";
const N = "cleaner.500103.2026-12-02.N1";
const AT = "2026-12-01T08:00:00.000Z";

/** Books the test controls: a snapshot per market, optionally held back until released. */
function fakeBooks() {
  const books = new Map<string, BookSnapshot>();
  let gate: Promise<void> | null = null;
  const source: BookSource = {
    async book(market) {
      if (gate) await gate;
      const b = books.get(market);
      if (!b) throw new DomainError("not_found", `market ${market} has no book`, { id: market });
      return b;
    },
  };
  return {
    source,
    set(b: BookSnapshot) {
      books.set(b.market, b);
    },
    /** Holds snapshots back until the returned function is called. */
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

const level = (rateFen: number, qty: number) => ({ rateFen, qty, orders: 1 });
const bookChanged = (market: string, bookSeq: number, bestDemand = 3000): BookChanged => ({
  type: "book.changed", seq: 100 + bookSeq, at: AT, market, bookSeq, demand: [level(bestDemand, bookSeq)], supply: [level(3500, 2)],
});
const trade = (market: string, fillId: string): TradeEvent => ({ type: "trade", seq: 1, at: AT, market, fillId, rateFen: 3200, qty: 2, aggressor: "demand", shared: false });
const execution = (organisationId: string, orderId: string): ExecutionEvent => ({
  type: "execution", seq: 1, at: AT, organisationId, orderId, clientOrderId: null, market: M, side: "demand", kind: "accepted", remaining: 3,
});
const contract = (enterpriseId: string, supplierId: string, contractId: string): ContractCreated => ({
  type: "contract.created", seq: 2, at: AT, contractId, fillId: `fil_${contractId}`, market: M, enterpriseId, supplierId, headcount: 2, rateFen: 3200, shared: false, escrowAccountId: `escrow:${contractId}:CNY`,
  escrowFen: "50400", shiftStart: "2026-12-02T08:00:00.000+08:00", shiftEnd: "2026-12-02T17:00:00.000+08:00", minCertificate: 0,
});
const offered = (workerId: string, shiftId: string): ShiftOffered => ({ type: "shift.offered", seq: 3, at: AT, workerId, shiftId, market: M });

async function workerCookie(app: TestApp, phone: string): Promise<{ cookie: string; workerId: string }> {
  const sent = await call(app, "POST", "/v1/auth/otp", { body: { phone } });
  const ok = await call(app, "POST", "/v1/auth/otp/verify", { body: { phone, code: sent.body.devCode } });
  expect(ok.status).toBe(200);
  return { cookie: ok.headers.get("set-cookie")!.split(";")[0]!, workerId: ok.body.workerId };
}

async function refused(promise: Promise<unknown>): Promise<HandshakeRefused> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(HandshakeRefused);
  return err as HandshakeRefused;
}

describe.each(backends)("stream ($name)", (backend) => {
  let app: TestApp;
  const books = fakeBooks();
  const clock = fixedClock(new Date("2026-12-01T00:00:00Z"));
  let enterpriseA: string, enterpriseB: string, agency: string, operator: string;
  let orgA: string, orgB: string, orgAgency: string;
  const open: StreamClient[] = [];
  const publish = (e: DomainEvent) => app.built.bus.publish(e);
  async function connect(auth: Parameters<typeof openStream>[1]) {
    const c = await openStream(app.baseUrl, auth);
    open.push(c);
    return c;
  }

  beforeAll(async () => {
    app = await startTestApp(backend, { books: books.source, clock, env: { STREAM_MAX_SUBSCRIPTIONS: "3", STREAM_MAX_BUFFERED_BYTES: "16384" } });
    enterpriseA = app.key("demo enterprise 0001");
    enterpriseB = app.key("demo enterprise 0002");
    agency = app.key("demo agency 0004");
    operator = app.key("demo operator");
    const orgOf = (label: string) => app.demo.keys.find((k) => k.label === label)!.organisationId!;
    orgA = orgOf("demo enterprise 0001");
    orgB = orgOf("demo enterprise 0002");
    orgAgency = orgOf("demo agency 0004");
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await app?.close();
  });

  describe("authentication", () => {
    it("refuses a handshake without a credential, or with a bad key, as problem+json", async () => {
      const none = await refused(openStream(app.baseUrl));
      expect(none.status).toBe(401);
      expect(none.problem).toMatchObject({ code: "unauthenticated", field: "/headers/authorization" });
      const bad = await refused(openStream(app.baseUrl, { key: "sx_not_a_key" }));
      expect(bad.status).toBe(401);
    });

    it("closes the socket of a refused upgrade (no connection left hanging)", async () => {
      const url = new URL(app.baseUrl);
      const socket = connectTcp(Number(url.port), url.hostname);
      await once(socket, "connect");
      socket.write(
        "GET /v1/stream HTTP/1.1\r\nHost: " + url.host + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer sx_not_a_key\r\n\r\n",
      );
      let response = "";
      socket.on("data", (chunk: Buffer) => (response += chunk.toString("utf8")));
      await once(socket, "close");
      expect(response).toMatch(/^HTTP\/1\.1 401/);
      expect(response).toContain('"code":"unauthenticated"');
    });

    it("never takes an API key in the URL", async () => {
      const inUrl = await refused(openStream(app.baseUrl, { query: `apiKey=${encodeURIComponent(enterpriseA)}` }));
      expect(inUrl.status).toBe(400);
      expect(inUrl.problem).toMatchObject({ code: "validation_failed", field: "/querystring/apiKey" });
      // A key passed where a ticket belongs is not a ticket.
      const asTicket = await refused(openStream(app.baseUrl, { ticket: enterpriseA }));
      expect(asTicket.status).toBe(401);
      expect(asTicket.problem).toMatchObject({ code: "unauthenticated", field: "/querystring/ticket" });
    });

    it("opens with an API key in the Authorization header", async () => {
      const c = await connect({ key: enterpriseA });
      c.send({ op: "ping" });
      expect(await c.take()).toEqual({ type: "pong" });
    });

    it("trades a key for a single-use ticket that opens one stream, as that organisation", async () => {
      const issued = await call(app, "POST", "/v1/stream/tickets", { key: enterpriseA });
      expect(issued.status).toBe(201);
      expect(issued.body.ticket).toMatch(/^sxt_/);
      expect(Date.parse(issued.body.expiresAt) - clock.now().getTime()).toBe(60_000);
      const c = await connect({ ticket: issued.body.ticket });
      c.send({ op: "subscribe", channel: "executions" });
      await c.take((f) => f.type === "subscribed");
      publish(execution(orgA, "ord_ticket"));
      expect(await c.take((f) => f.type === "execution")).toMatchObject({ organisationId: orgA, orderId: "ord_ticket", channel: "executions" });
      const again = await refused(openStream(app.baseUrl, { ticket: issued.body.ticket }));
      expect(again.status).toBe(401);
      expect(again.problem.code).toBe("unauthenticated");
    });

    it("refuses a ticket older than a minute", async () => {
      const issued = await call(app, "POST", "/v1/stream/tickets", { key: agency });
      clock.advance(60_001);
      const late = await refused(openStream(app.baseUrl, { ticket: issued.body.ticket }));
      expect(late.status).toBe(401);
    });

    it("needs a credential to issue a ticket", async () => {
      const r = await call(app, "POST", "/v1/stream/tickets");
      expect(r.status).toBe(401);
    });

    it("opens with a worker's session cookie from Shiftex's own pages, not from another site", async () => {
      const { cookie, workerId } = await workerCookie(app, app.demo.workerPhones[2]!);
      const own = await connect({ cookie, origin: app.baseUrl });
      own.send({ op: "subscribe", channel: "shifts" });
      await own.take((f) => f.type === "subscribed");
      publish(offered(workerId, "shf_1"));
      expect(await own.take((f) => f.type === "shift.offered")).toMatchObject({ workerId, shiftId: "shf_1", channel: "shifts" });
      const foreign = await refused(openStream(app.baseUrl, { cookie, origin: "https://evil.example" }));
      expect(foreign.status).toBe(403);
      expect(foreign.problem).toMatchObject({ code: "forbidden", field: "/headers/origin" });
    });

    it("is documented in the OpenAPI document, with its credentials and protocol", async () => {
      const doc = (await (await fetch(`${app.baseUrl}/docs/json`)).json()) as any;
      const op = doc.paths["/v1/stream"].get;
      expect(op.security).toEqual([{ apiKey: [] }, { session: [] }]);
      expect(op.description).toContain('{"op":"subscribe","channel":"book:<market>"}');
      expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(["ticket"]);
      expect(doc.paths["/v1/stream/tickets"].post.responses["201"]).toBeDefined();
    });

    it("answers a plain GET (no upgrade) with a problem", async () => {
      const r = await call(app, "GET", "/v1/stream", { key: enterpriseA });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("bad_request");
    });
  });

  describe("books and trades", () => {
    it("sends the committed snapshot, then each change with bookSeq one higher", async () => {
      books.set({ market: M, bookSeq: 5, seq: 40, demand: [level(3000, 4)], supply: [level(3400, 1)] });
      const c = await connect({ key: agency });
      c.send({ op: "subscribe", channel: `book:${M}` });
      expect(await c.take()).toEqual({ type: "subscribed", channel: `book:${M}` });
      expect(await c.take()).toEqual({ type: "snapshot", channel: `book:${M}`, market: M, bookSeq: 5, seq: 40, demand: [level(3000, 4)], supply: [level(3400, 1)] });
      publish(bookChanged(M, 6, 3100));
      publish(bookChanged(N, 1)); // another market: not on this channel
      publish(bookChanged(M, 7, 3200));
      const six = await c.take();
      expect(six).toEqual({ ...bookChanged(M, 6, 3100), channel: `book:${M}` });
      expect((await c.take()).bookSeq).toBe(7);
      expect(c.unread()).toEqual([]);
    });

    it("shows a gap by bookSeq, and a re-subscribe answers with a fresh snapshot", async () => {
      books.set({ market: M, bookSeq: 7, seq: 41, demand: [], supply: [] });
      const c = await connect({ key: enterpriseB });
      c.send({ op: "subscribe", channel: `book:${M}` });
      const snap = await c.take((f) => f.type === "snapshot");
      expect(snap.bookSeq).toBe(7);
      // bookSeq 8 was lost (e.g. across a Redis outage): the client sees 9 follow 7.
      books.set({ market: M, bookSeq: 9, seq: 45, demand: [level(2900, 1)], supply: [] });
      publish(bookChanged(M, 9));
      const next = await c.take((f) => f.type === "book.changed");
      expect(next.bookSeq - snap.bookSeq).toBe(2);
      c.send({ op: "subscribe", channel: `book:${M}` });
      await c.take((f) => f.type === "subscribed");
      const fresh = await c.take((f) => f.type === "snapshot");
      expect(fresh).toMatchObject({ bookSeq: 9, demand: [level(2900, 1)] });
      publish(bookChanged(M, 10));
      expect((await c.take((f) => f.type === "book.changed")).bookSeq).toBe(10);
    });

    it("keeps changes that arrive while the snapshot is read, and skips those the snapshot holds", async () => {
      books.set({ market: N, bookSeq: 3, seq: 50, demand: [level(2500, 1)], supply: [] });
      const release = books.hold();
      const c = await connect({ key: enterpriseA });
      c.send({ op: "subscribe", channel: `book:${N}` });
      await c.take((f) => f.type === "subscribed");
      // While the snapshot is being read: 3 is already in it, 4 is not.
      publish(bookChanged(N, 3));
      publish(bookChanged(N, 4));
      release();
      expect(await c.take()).toMatchObject({ type: "snapshot", bookSeq: 3 });
      expect(await c.take()).toMatchObject({ type: "book.changed", bookSeq: 4 });
      publish(bookChanged(N, 5));
      expect(await c.take()).toMatchObject({ type: "book.changed", bookSeq: 5 });
    });

    it("answers a market without a book with an error frame and keeps the connection", async () => {
      const c = await connect({ key: enterpriseA });
      const other = "forklift-operator.500112.2026-12-03.D1";
      c.send({ op: "subscribe", channel: `book:${other}` });
      await c.take((f) => f.type === "subscribed");
      expect(await c.take()).toMatchObject({ type: "error", code: "not_found", field: "/channel", channel: `book:${other}` });
      c.send({ op: "ping" });
      expect(await c.take()).toEqual({ type: "pong" });
    });

    it("sends public trades of the subscribed market only, and stops after unsubscribe", async () => {
      const c = await connect({ key: agency });
      c.send({ op: "subscribe", channel: `trades:${M}` });
      await c.take((f) => f.type === "subscribed");
      publish(trade(N, "fil_other"));
      publish(trade(M, "fil_1"));
      expect(await c.take()).toEqual({ ...trade(M, "fil_1"), channel: `trades:${M}` });
      c.send({ op: "unsubscribe", channel: `trades:${M}` });
      expect(await c.take()).toEqual({ type: "unsubscribed", channel: `trades:${M}` });
      publish(trade(M, "fil_2"));
      c.send({ op: "ping" });
      expect(await c.take()).toEqual({ type: "pong" }); // nothing came before it
    });
  });

  describe("private channels", () => {
    it("delivers an organisation's executions and contracts to it alone", async () => {
      const a = await connect({ key: enterpriseA });
      const b = await connect({ key: enterpriseB });
      const s = await connect({ key: agency });
      for (const c of [a, b, s]) {
        c.send({ op: "subscribe", channel: "executions" });
        c.send({ op: "subscribe", channel: `trades:${M}` });
        await c.take((f) => f.type === "subscribed" && f.channel === "executions");
        await c.take((f) => f.type === "subscribed" && f.channel === `trades:${M}`);
      }
      publish(execution(orgA, "ord_a1"));
      publish(execution(orgAgency, "ord_s1"));
      publish(contract(orgA, orgAgency, "ctr_1"));
      // A public marker after them: whoever has it has everything published before it.
      publish(trade(M, "fil_marker"));
      for (const c of [a, b, s]) await c.take((f) => f.type === "trade" && f.fillId === "fil_marker");
      const privateOf = (c: StreamClient) => c.frames.filter((f: Frame) => f.channel === "executions" && f.type !== "subscribed");
      expect(privateOf(a).map((f) => [f.type, f.orderId ?? f.contractId])).toEqual([["execution", "ord_a1"], ["contract.created", "ctr_1"]]);
      expect(privateOf(s).map((f) => [f.type, f.orderId ?? f.contractId])).toEqual([["execution", "ord_s1"], ["contract.created", "ctr_1"]]);
      expect(privateOf(b)).toEqual([]);
    });

    it("refuses executions to callers without an organisation and shifts to non-workers", async () => {
      const op = await connect({ key: operator });
      op.send({ op: "subscribe", channel: "executions" });
      expect(await op.take()).toMatchObject({ type: "error", code: "forbidden", channel: "executions" });
      const e = await connect({ key: enterpriseA });
      e.send({ op: "subscribe", channel: "shifts" });
      expect(await e.take()).toMatchObject({ type: "error", code: "forbidden", channel: "shifts" });
    });

    it("sends a worker only its own shift offers", async () => {
      const w1 = await workerCookie(app, app.demo.workerPhones[4]!);
      const w2 = await workerCookie(app, app.demo.workerPhones[5]!);
      const c1 = await connect({ cookie: w1.cookie });
      const c2 = await connect({ cookie: w2.cookie });
      for (const c of [c1, c2]) {
        c.send({ op: "subscribe", channel: "shifts" });
        c.send({ op: "subscribe", channel: `trades:${M}` });
        await c.take((f) => f.channel === `trades:${M}` && f.type === "subscribed");
      }
      publish(offered(w1.workerId, "shf_w1"));
      publish(trade(M, "fil_marker_w"));
      for (const c of [c1, c2]) await c.take((f) => f.fillId === "fil_marker_w");
      expect(c1.frames.filter((f) => f.type === "shift.offered").map((f) => f.shiftId)).toEqual(["shf_w1"]);
      expect(c2.frames.filter((f) => f.type === "shift.offered")).toEqual([]);
    });
  });

  describe("bad frames and limits", () => {
    it("answers each bad frame with an error frame naming the field, and keeps the connection", async () => {
      const c = await connect({ key: enterpriseA });
      const cases: [string | object | Buffer, object][] = [
        ["not json", { code: "malformed_json" }],
        [[1, 2], { code: "validation_failed", field: "" }],
        [{ op: "watch", channel: "executions" }, { code: "validation_failed", field: "/op" }],
        [{ op: "subscribe" }, { code: "validation_failed", field: "/channel" }],
        [{ op: "subscribe", channel: "orders" }, { code: "validation_failed", field: "/channel" }],
        [{ op: "subscribe", channel: "book:welder.500107.2026-12-02" }, { code: "validation_failed", field: "/channel" }],
        [{ op: "subscribe", channel: "book:astronaut.500107.2026-12-02.D1" }, { code: "validation_failed", field: "/channel" }],
        [{ op: "subscribe", channel: "trades:welder.500107.2026-02-30.D1" }, { code: "validation_failed", field: "/channel" }],
        [{ op: "subscribe", channel: "executions", key: "x" }, { code: "validation_failed", field: "/key" }],
        [Buffer.from([1, 2, 3]), { code: "validation_failed" }],
      ];
      for (const [message, expected] of cases) {
        c.send(message);
        expect(await c.take(), JSON.stringify(message)).toMatchObject({ type: "error", ...expected });
      }
      c.send({ op: "ping" });
      expect(await c.take()).toEqual({ type: "pong" });
    });

    it("bounds the subscriptions of one connection", async () => {
      const c = await connect({ key: enterpriseA });
      for (const channel of [`trades:${M}`, `trades:${N}`, "executions"]) {
        c.send({ op: "subscribe", channel });
        await c.take((f) => f.type === "subscribed" && f.channel === channel);
      }
      // Subscribing again to one it has is not a new subscription.
      c.send({ op: "subscribe", channel: "executions" });
      expect(await c.take()).toEqual({ type: "subscribed", channel: "executions" });
      c.send({ op: "subscribe", channel: `trades:welder.500107.2026-12-03.D1` });
      expect(await c.take()).toMatchObject({ type: "error", code: "too_many_subscriptions" });
      c.send({ op: "unsubscribe", channel: `trades:${N}` });
      await c.take((f) => f.type === "unsubscribed");
      c.send({ op: "subscribe", channel: `trades:welder.500107.2026-12-03.D1` });
      expect(await c.take()).toMatchObject({ type: "subscribed" });
    });

    it("closes a connection that sends an over-long frame (1009)", async () => {
      const c = await connect({ key: enterpriseA });
      c.send(JSON.stringify({ op: "subscribe", channel: "x".repeat(2000) }));
      expect((await c.closed).code).toBe(1009);
    });
  });

  describe("slow consumers", () => {
    it("closes a client that stops reading with 4008 instead of buffering without bound", async () => {
      const stats = () => app.built.realtime.stream.stats();
      const slow = await connect({ key: agency });
      const fast = await connect({ key: enterpriseB });
      for (const c of [slow, fast]) {
        c.send({ op: "subscribe", channel: `trades:${N}` });
        await c.take((f) => f.type === "subscribed");
      }
      const before = stats();
      slow.pause();
      // Publish until the server gives up on the slow client: that happens once its socket's kernel buffers are
      // full and 16 KiB more wait in user space. Between small batches (well under the bound) the event loop
      // turns, so the fast client keeps reading.
      const big = { ...trade(N, "fil_big"), padding: "p".repeat(2000) } as unknown as DomainEvent;
      let published = 0;
      while (stats().droppedSlow === before.droppedSlow && published < 50_000) {
        for (let i = 0; i < 4; i++, published++) publish(big);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(stats().droppedSlow).toBe(before.droppedSlow + 1);
      expect(stats().connections).toBe(before.connections - 1);
      // Nothing more is queued for the dropped client; the fast client has everything.
      for (let i = 0; i < 8; i++) publish(trade(N, "fil_after"));
      fast.send({ op: "ping" });
      await fast.take((f) => f.type === "pong");
      expect(fast.frames.filter((f) => f.fillId === "fil_big").length).toBe(published);
      expect(fast.frames.filter((f) => f.fillId === "fil_after").length).toBe(8);
      // The slow one, once it reads again, finds the close code after what was already sent.
      slow.resume();
      expect(await slow.closed).toEqual({ code: 4008, reason: "slow consumer: reconnect and re-snapshot" });
      expect(slow.frames.filter((f) => f.fillId === "fil_big").length).toBeLessThanOrEqual(published);
      expect(slow.frames.filter((f) => f.fillId === "fil_after")).toEqual([]);
      // Operators see it in the metrics.
      const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^stream_slow_consumers_dropped_total 1$/m);
      expect(metrics).toMatch(/^stream_connections \d+$/m);
    });
  });
});
