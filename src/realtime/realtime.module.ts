/**
 * The realtime module built from its dependencies: the event bus (local, or
 * across processes through Redis pub/sub), stream tickets, and the WebSocket
 * stream service with its heartbeat and metrics.
 */
import type { Redis } from "ioredis";
import { Counter, Gauge, type Registry } from "prom-client";
import { createLocalBus, type Bus } from "../infra/bus";
import type { Clock } from "../shared/clock";
import type { DomainEvent } from "../shared/events";
import { createRedisBus } from "./redis-bus";
import { createStreamService, type BookSource, type StreamService } from "./stream.service";
import { createMemoryTicketRepository, createRedisTicketRepository } from "./tickets.repository";
import { createTicketService, type TicketService } from "./tickets.service";

type Log = { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };

export interface EventBus extends Bus {
  close(): Promise<void>;
}

/**
 * The process's bus: in-process, or with Redis the pub/sub wrapper so events
 * published on any node reach every node's subscribers once.
 */
export async function createEventBus(deps: { redis?: Redis | undefined; prefix: string; nodeId: string; log: Log }): Promise<EventBus> {
  const local = createLocalBus((err: unknown, event: DomainEvent) => deps.log.error({ err, event: event.type }, "bus: a subscriber failed"));
  if (!deps.redis) return Object.assign(local, { close: async () => undefined });
  return createRedisBus({
    local,
    redis: deps.redis,
    channel: `${deps.prefix}events`,
    nodeId: deps.nodeId,
    onError: (err, context) => deps.log.error({ err }, context),
  });
}

export interface RealtimeDeps {
  bus: Bus;
  books: BookSource;
  redis?: Redis | undefined;
  clock: Clock;
  log: Log;
  settings: { redisPrefix: string; maxBufferedBytes: number; maxSubscriptions: number };
  metrics?: Registry;
}

export interface RealtimeModule {
  stream: StreamService;
  tickets: TicketService;
  close(): void;
}

// Long enough to cost nothing, short enough that dead peers (no close frame) are reaped within a minute.
const HEARTBEAT_MS = 30_000;

export function createRealtimeModule(deps: RealtimeDeps): RealtimeModule {
  const { settings } = deps;
  const dropped = deps.metrics
    ? new Counter({ name: "stream_slow_consumers_dropped_total", help: "WebSocket clients closed for not reading fast enough", registers: [deps.metrics] })
    : undefined;
  const stream = createStreamService({
    bus: deps.bus,
    books: deps.books,
    maxBufferedBytes: settings.maxBufferedBytes,
    maxSubscriptions: settings.maxSubscriptions,
    log: deps.log,
    onDropped: () => dropped?.inc(),
  });
  if (deps.metrics) {
    new Gauge({ name: "stream_connections", help: "Open WebSocket stream connections", registers: [deps.metrics], collect() { this.set(stream.stats().connections); } });
    new Gauge({ name: "stream_subscriptions", help: "Channel subscriptions over all stream connections", registers: [deps.metrics], collect() { this.set(stream.stats().subscriptions); } });
  }
  const repo = deps.redis ? createRedisTicketRepository(deps.redis, settings.redisPrefix) : createMemoryTicketRepository(deps.clock);
  const tickets = createTicketService({ repo, clock: deps.clock });
  const heartbeat = setInterval(() => stream.heartbeat(), HEARTBEAT_MS);
  heartbeat.unref();
  return {
    stream,
    tickets,
    close() {
      clearInterval(heartbeat);
      stream.close();
    },
  };
}
