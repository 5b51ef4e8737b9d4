// Two app instances on the real Redis: an event published on one node reaches every node's subscribers exactly
// once (no echo to its own node), WebSocket clients of either node receive it, and a stream ticket issued by one
// node opens a stream on the other, once.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainEvent, TradeEvent } from "../../src/shared/events";
import { call, startTestApp, type TestApp } from "../helpers/build-app";
import { backends, redisUrl, servicesRequired } from "../helpers/services";
import { HandshakeRefused, openStream, type StreamClient } from "../helpers/stream-client";

if (!redisUrl && servicesRequired) throw new Error("REQUIRE_SERVICES=1 but REDIS_URL is not set");

const M = "welder.500107.2026-12-02.D1";
const trade = (fillId: string): TradeEvent => ({ type: "trade", seq: 1, at: "2026-12-01T08:00:00.000Z", market: M, fillId, rateFen: 3200, qty: 1, aggressor: "supply", shared: false });

describe.skipIf(!redisUrl).each(backends)("fan-out across two nodes through Redis ($name)", (backend) => {
  let a: TestApp, b: TestApp;
  let redisA: Redis, redisB: Redis;
  const seen: Record<"a" | "b", string[]> = { a: [], b: [] };
  const clients: StreamClient[] = [];

  beforeAll(async () => {
    // One prefix per run: other suites (and other runs) on the same Redis never cross this one's channel.
    const env = { REDIS_PREFIX: `shiftex-test-${randomBytes(6).toString("hex")}:` };
    redisA = new Redis(redisUrl!);
    redisB = new Redis(redisUrl!);
    // Each node has its own database here: the bus and tickets live in Redis, not in the database.
    a = await startTestApp(backend, { redis: redisA, env });
    b = await startTestApp(backend, { redis: redisB, env });
    a.built.bus.subscribe("trade", (e) => seen.a.push(e.fillId));
    b.built.bus.subscribe("trade", (e) => seen.b.push(e.fillId));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await a?.close();
    await b?.close();
    redisA?.disconnect();
    redisB?.disconnect();
  });

  /** Waits until node `node`'s subscribers have seen `fillId` (a marker), so everything published before it has arrived. */
  async function until(node: TestApp, fillId: string) {
    await new Promise<void>((resolve) => {
      const off = node.built.bus.subscribe("trade", (e) => {
        if (e.fillId === fillId) {
          off();
          resolve();
        }
      });
    });
  }

  it("delivers an event published on either node once to each node's subscribers", async () => {
    const atB = until(b, "fil_a1");
    a.built.bus.publish(trade("fil_a1"));
    // Local subscribers have it at once; the other node through Redis.
    expect(seen.a).toEqual(["fil_a1"]);
    await atB;
    // B answers; when A has B's event, any echo of A's own earlier event would have arrived before it.
    const atA = until(a, "fil_b1");
    b.built.bus.publish(trade("fil_b1"));
    await atA;
    const atB2 = until(b, "fil_a2");
    a.built.bus.publish(trade("fil_a2"));
    await atB2;
    expect(seen.a).toEqual(["fil_a1", "fil_b1", "fil_a2"]);
    expect(seen.b).toEqual(["fil_a1", "fil_b1", "fil_a2"]);
  });

  it("delivers to subscribeOwn only the events this node published (work done once across nodes: the targeted push)", async () => {
    const own: Record<"a" | "b", string[]> = { a: [], b: [] };
    const offA = a.built.bus.subscribeOwn("trade", (e) => own.a.push(e.fillId));
    const offB = b.built.bus.subscribeOwn("trade", (e) => own.b.push(e.fillId));
    const atB = until(b, "fil_own_a");
    a.built.bus.publish(trade("fil_own_a"));
    await atB;
    const atA = until(a, "fil_own_b");
    b.built.bus.publish(trade("fil_own_b"));
    await atA;
    offA();
    offB();
    expect(own).toEqual({ a: ["fil_own_a"], b: ["fil_own_b"] });
  });

  it("gets an event published on one node to WebSocket clients of both", async () => {
    const onA = await openStream(a.baseUrl, { key: a.key("demo agency 0004") });
    const onB = await openStream(b.baseUrl, { key: b.key("demo enterprise 0001") });
    clients.push(onA, onB);
    for (const c of [onA, onB]) {
      c.send({ op: "subscribe", channel: `trades:${M}` });
      await c.take((f) => f.type === "subscribed");
    }
    a.built.bus.publish(trade("fil_ws"));
    a.built.bus.publish(trade("fil_ws_marker")); // one publisher: its events keep their order on every node
    for (const c of [onA, onB]) {
      await c.take((f) => f.fillId === "fil_ws_marker");
      expect(c.frames.filter((f) => f.type === "trade").map((f) => f.fillId)).toEqual(["fil_ws", "fil_ws_marker"]);
    }
    // And private events of B's organisation reach its client on B when published on A.
    const orgB = b.demo.keys.find((k) => k.label === "demo enterprise 0001")!.organisationId!;
    onB.send({ op: "subscribe", channel: "executions" });
    await onB.take((f) => f.type === "subscribed" && f.channel === "executions");
    const exec: DomainEvent = { type: "execution", seq: 9, at: "2026-12-01T08:00:00.000Z", organisationId: orgB, orderId: "ord_x", clientOrderId: "c1", market: M, side: "demand", kind: "accepted", remaining: 1 };
    a.built.bus.publish(exec);
    expect(await onB.take((f) => f.type === "execution")).toMatchObject({ orderId: "ord_x", channel: "executions" });
  });

  it("redeems a ticket issued on one node on the other, once", async () => {
    const issued = await call(a, "POST", "/v1/stream/tickets", { key: a.key("demo enterprise 0002") });
    expect(issued.status).toBe(201);
    const c = await openStream(b.baseUrl, { ticket: issued.body.ticket });
    clients.push(c);
    c.send({ op: "ping" });
    expect(await c.take()).toEqual({ type: "pong" });
    const again = await openStream(a.baseUrl, { ticket: issued.body.ticket }).then(() => null, (e: unknown) => e);
    expect(again).toBeInstanceOf(HandshakeRefused);
    expect((again as HandshakeRefused).status).toBe(401);
    // Only the ticket's hash is in Redis.
    const keys = await redisA.keys("shiftex-test-*stream-ticket:*");
    for (const k of keys) expect(k).not.toContain(issued.body.ticket);
  });
});
