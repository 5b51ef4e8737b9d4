/**
 * The one bus for domain events (src/shared/events.ts). In the embedded
 * default it is in-process; with REDIS_URL the realtime module wraps it so
 * events published on one node reach every node's subscribers (pub/sub).
 * Publishing never throws into the publisher: a failing subscriber is the
 * subscriber's problem, reported through onError.
 */
import type { DomainEvent, DomainEventType } from "../shared/events";

export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;

export interface Bus {
  /** Delivers to every local subscriber of the event's type (and, when distributed, to other nodes). */
  publish(event: DomainEvent): void;
  /** Subscribes to one event type; returns the unsubscribe function. */
  subscribe<T extends DomainEventType>(type: T, handler: (event: EventOf<T>) => void): () => void;
  /**
   * Subscribes to the events this process published only (all of them, when the bus is in-process): work
   * that must happen once per event across every node — a targeted push — hangs off this, not subscribe.
   */
  subscribeOwn<T extends DomainEventType>(type: T, handler: (event: EventOf<T>) => void): () => void;
}

/** In-process bus: synchronous fan-out to the subscribers of a type. */
export function createLocalBus(onError: (err: unknown, event: DomainEvent) => void = () => undefined): Bus {
  const handlers = new Map<DomainEventType, Set<(event: DomainEvent) => void>>();
  return {
    publish(event) {
      const set = handlers.get(event.type);
      if (set === undefined) return;
      for (const h of set) {
        try {
          h(event);
        } catch (err) {
          onError(err, event);
        }
      }
    },
    subscribe(type, handler) {
      let set = handlers.get(type);
      if (set === undefined) handlers.set(type, (set = new Set()));
      const h = handler as (event: DomainEvent) => void;
      set.add(h);
      return () => void set.delete(h);
    },
    subscribeOwn(type, handler) {
      // One process: every event published here is its own.
      let set = handlers.get(type);
      if (set === undefined) handlers.set(type, (set = new Set()));
      const h = handler as (event: DomainEvent) => void;
      set.add(h);
      return () => void set.delete(h);
    },
  };
}
