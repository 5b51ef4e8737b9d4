import { describe, expect, it } from "vitest";
import { createLocalBus } from "../infra/bus";
import type { Principal } from "../shared/principal";
import { createStreamService, type StreamSocket } from "./stream.service";

const agency: Principal = { role: "agency", organisationId: "org_s", workerId: null, credentialId: "key_s", callerId: "org_s" };

function fakeSocket() {
  const sent: string[] = [];
  const socket = {
    sent,
    bufferedAmount: 0,
    pings: 0,
    closed: null as null | { code: number; reason: string },
    terminated: false,
    send(data: string) {
      sent.push(data);
    },
    close(code: number, reason: string) {
      socket.closed = { code, reason };
    },
    terminate() {
      socket.terminated = true;
    },
    ping() {
      socket.pings++;
    },
  };
  return socket satisfies StreamSocket;
}

const service = () =>
  createStreamService({
    bus: createLocalBus(),
    books: { book: (market) => ({ market, bookSeq: 0, seq: 0, demand: [], supply: [] }) },
    maxBufferedBytes: 1000,
    maxSubscriptions: 8,
    log: { warn: () => undefined, error: () => undefined },
  });

describe("stream service", () => {
  it("terminates a socket that did not answer the previous ping, and keeps one that did", () => {
    const s = service();
    const quiet = fakeSocket();
    const lively = fakeSocket();
    s.connect(quiet, agency);
    const conn = s.connect(lively, agency);
    s.heartbeat();
    expect([quiet.pings, lively.pings]).toEqual([1, 1]);
    conn.pong();
    s.heartbeat();
    expect(quiet.terminated).toBe(true);
    expect(lively.terminated).toBe(false);
    expect(lively.pings).toBe(2);
    expect(s.stats().connections).toBe(1);
  });

  it("closes a socket whose unsent bytes pass the bound with 4008, and sends it nothing more", () => {
    const bus = createLocalBus();
    const s = createStreamService({ bus, books: { book: () => { throw new Error("unused"); } }, maxBufferedBytes: 1000, maxSubscriptions: 8, log: { warn: () => undefined, error: () => undefined } });
    const socket = fakeSocket();
    const conn = s.connect(socket, agency);
    conn.receive('{"op":"subscribe","channel":"trades:welder.500107.2026-12-02.D1"}');
    const trade = { type: "trade" as const, seq: 1, at: "2026-12-01T00:00:00Z", market: "welder.500107.2026-12-02.D1", fillId: "f", rateFen: 3000, qty: 1, aggressor: "demand" as const, shared: false };
    bus.publish(trade);
    expect(socket.sent).toHaveLength(2);
    socket.bufferedAmount = 1001; // the kernel stopped taking data; user space holds the rest
    bus.publish(trade);
    expect(socket.closed).toEqual({ code: 4008, reason: "slow consumer: reconnect and re-snapshot" });
    bus.publish(trade);
    expect(socket.sent).toHaveLength(3);
    expect(s.stats()).toMatchObject({ connections: 0, subscriptions: 0, droppedSlow: 1 });
  });

  it("closes every socket with 1001 and leaves the bus on close", () => {
    const bus = createLocalBus();
    const s = createStreamService({ bus, books: { book: () => { throw new Error("unused"); } }, maxBufferedBytes: 1000, maxSubscriptions: 8, log: { warn: () => undefined, error: () => undefined } });
    const socket = fakeSocket();
    s.connect(socket, agency).receive('{"op":"subscribe","channel":"executions"}');
    s.close();
    expect(socket.closed?.code).toBe(1001);
    bus.publish({ type: "execution", seq: 1, at: "x", organisationId: "org_s", orderId: "o", clientOrderId: null, market: "m", side: "supply", kind: "accepted", remaining: 1 });
    expect(socket.sent).toEqual(['{"type":"subscribed","channel":"executions"}']);
  });
});
