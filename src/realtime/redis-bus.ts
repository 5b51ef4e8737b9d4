/**
 * The bus across processes: every event published here is delivered to this
 * process's subscribers at once and sent on one Redis pub/sub channel; what
 * other processes send there is delivered to this process's subscribers.
 * Each message names the node that sent it, so a node never delivers its own
 * events twice: every subscriber on every node sees each event once.
 * Pub/sub is at-most-once across a Redis outage; book clients detect the gap
 * by bookSeq and re-snapshot.
 */
import type { Redis } from "ioredis";
import { createLocalBus, type Bus } from "../infra/bus";
import type { DomainEvent } from "../shared/events";

export interface DistributedBus extends Bus {
  /** Leaves the channel (the publishing connection belongs to the caller). */
  close(): Promise<void>;
}

export interface RedisBusDeps {
  /** The process's own bus: local subscribers hang off it. */
  local: Bus;
  /** Connection used to publish; a duplicate of it subscribes (a subscribing connection can do nothing else). */
  redis: Redis;
  channel: string;
  /** Unique per process. */
  nodeId: string;
  onError: (err: unknown, context: string) => void;
}

interface Envelope {
  readonly node: string;
  readonly event: DomainEvent;
}

/** Joins the channel (resolves once subscribed) and returns the bus to publish on. */
export async function createRedisBus(deps: RedisBusDeps): Promise<DistributedBus> {
  const { local, redis, channel, nodeId, onError } = deps;
  // Subscribers of this node's own events only (subscribeOwn): what came from other nodes never reaches them.
  const own = createLocalBus((err) => onError(err, "bus: a subscriber of own events failed"));
  const subscriber = redis.duplicate();
  subscriber.on("error", (err) => onError(err, "redis bus subscriber"));
  subscriber.on("message", (from: string, payload: string) => {
    if (from !== channel) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch (err) {
      return onError(err, "redis bus: a message that is not JSON");
    }
    if (typeof envelope?.node !== "string" || typeof envelope.event?.type !== "string") {
      return onError(new Error("not an event envelope"), "redis bus");
    }
    if (envelope.node === nodeId) return; // delivered locally when it was published
    local.publish(envelope.event);
  });
  await subscriber.subscribe(channel);

  return {
    publish(event) {
      local.publish(event);
      own.publish(event);
      const envelope: Envelope = { node: nodeId, event };
      redis.publish(channel, JSON.stringify(envelope)).catch((err: unknown) => onError(err, `redis bus: publishing ${event.type}`));
    },
    subscribe: (type, handler) => local.subscribe(type, handler),
    subscribeOwn: (type, handler) => own.subscribe(type, handler),
    async close() {
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
