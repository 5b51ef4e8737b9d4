/**
 * Live market data and private reports over WebSockets. One bus subscription
 * per event type for the whole process; each event is serialised once per
 * channel and written to the sockets listening on it. A socket whose unsent
 * data passes the bound is closed (4008) instead of buffered without end: a
 * consumer that cannot keep up reconnects and re-snapshots.
 */
import type { Bus } from "../infra/bus";
import { DomainError } from "../shared/errors";
import type { BookChanged, DepthLevelEvent, DomainEvent } from "../shared/events";
import type { Principal } from "../shared/principal";
import { CLOSE, mayWatch, parseClientMessage, routeKey, type Channel, type ErrorFrame } from "./stream.protocol";

/** A market's committed depth, as the book route returns it (no owners). */
export interface BookSnapshot {
  readonly market: string;
  /** The book's own update number: the next `book.changed` carries bookSeq + 1. */
  readonly bookSeq: number;
  readonly seq: number;
  readonly demand: readonly DepthLevelEvent[];
  readonly supply: readonly DepthLevelEvent[];
}

/** Where snapshots come from: the exchange's committed books (a port owned by this module). */
export interface BookSource {
  /** Throws DomainError (not_found, validation_failed) for a market that has no book. */
  book(market: string): BookSnapshot | Promise<BookSnapshot>;
}

/** What the service needs of a socket (the `ws` WebSocket has it). */
export interface StreamSocket {
  send(data: string): void;
  /** Bytes queued in user space, not yet handed to the kernel. */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
  terminate(): void;
  ping(): void;
}

export interface StreamConnection {
  /** A text frame from the client. */
  receive(text: string): void;
  /** A binary frame from the client: refused with an error frame. */
  receiveBinary(): void;
  pong(): void;
  /** The socket closed (by either side). */
  closed(): void;
}

export interface StreamStats {
  readonly connections: number;
  readonly subscriptions: number;
  readonly droppedSlow: number;
}

export interface StreamService {
  connect(socket: StreamSocket, principal: Principal): StreamConnection;
  /** Pings every socket; terminates those that did not answer the previous ping. */
  heartbeat(): void;
  stats(): StreamStats;
  /** Leaves the bus and closes every socket (going away). */
  close(): void;
}

export interface StreamServiceDeps {
  bus: Bus;
  books: BookSource;
  /** A socket with more unsent bytes than this is closed as a slow consumer. */
  maxBufferedBytes: number;
  maxSubscriptions: number;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Told of each slow consumer dropped (metrics). */
  onDropped?: () => void;
}

// Events that arrive while a book snapshot is being read wait here; beyond this many the client will see a gap and re-snapshot.
const MAX_PENDING_BOOK_EVENTS = 1000;

interface Subscription {
  readonly channel: Channel;
  readonly key: string;
  /** While a book snapshot is being taken: the updates that arrived meanwhile. */
  pending: BookChanged[] | null;
  /** Bumped by every (re-)subscribe so only the newest snapshot is sent. */
  generation: number;
}

export function createStreamService(deps: StreamServiceDeps): StreamService {
  const { bus, books, maxBufferedBytes, maxSubscriptions, log } = deps;
  const routes = new Map<string, Set<Connection>>();
  const connections = new Set<Connection>();
  let droppedSlow = 0;

  function listen(key: string, conn: Connection) {
    let set = routes.get(key);
    if (set === undefined) routes.set(key, (set = new Set()));
    set.add(conn);
  }
  function leave(key: string, conn: Connection) {
    const set = routes.get(key);
    if (set === undefined) return;
    set.delete(conn);
    if (set.size === 0) routes.delete(key);
  }

  /** Writes an event to every socket on a route key; the frame is built once, and only if someone listens. */
  function fanOut(key: string, channel: string, event: DomainEvent) {
    const set = routes.get(key);
    if (set === undefined) return;
    let frame: string | undefined;
    for (const conn of set) {
      if (event.type === "book.changed" && conn.buffer(channel, event)) continue;
      frame ??= JSON.stringify({ ...event, channel });
      conn.deliver(frame);
    }
  }

  /** A targeted event to each of its recipients' private channel, without the list of who else was told. */
  function fanOutTo(prefix: string, channel: string, event: DomainEvent & { recipients: readonly string[] }) {
    const { recipients, ...rest } = event;
    for (const id of new Set(recipients)) fanOut(`${prefix}:${id}`, channel, rest as DomainEvent);
  }

  class Connection implements StreamConnection {
    readonly subs = new Map<string, Subscription>();
    alive = true;
    done = false;

    constructor(
      readonly socket: StreamSocket,
      readonly principal: Principal,
    ) {}

    deliver(frame: string) {
      if (this.done) return;
      this.socket.send(frame);
      if (this.socket.bufferedAmount > maxBufferedBytes) this.dropSlow();
    }

    send(frame: object) {
      this.deliver(JSON.stringify(frame));
    }

    error(frame: ErrorFrame) {
      this.send(frame);
    }

    /** Holds a book update back while that channel's snapshot is being read; true when held. */
    buffer(channel: string, event: BookChanged): boolean {
      const sub = this.subs.get(channel);
      if (sub?.pending == null) return false;
      if (sub.pending.length < MAX_PENDING_BOOK_EVENTS) sub.pending.push(event);
      return true;
    }

    dropSlow() {
      droppedSlow++;
      deps.onDropped?.();
      log.warn({ caller: this.principal.callerId, bufferedBytes: this.socket.bufferedAmount }, "stream: slow consumer dropped");
      this.end();
      // The close frame queues behind the unsent data; `ws` destroys the socket if the handshake does not finish in time.
      this.socket.close(CLOSE.slowConsumer, "slow consumer: reconnect and re-snapshot");
    }

    end() {
      if (this.done) return;
      this.done = true;
      for (const sub of this.subs.values()) leave(sub.key, this);
      this.subs.clear();
      connections.delete(this);
    }

    receive(text: string) {
      if (this.done) return;
      const parsed = parseClientMessage(text);
      if (!parsed.ok) return this.error(parsed.error);
      const msg = parsed.value;
      if (msg.op === "ping") return this.send({ type: "pong" });
      if (msg.op === "unsubscribe") {
        const sub = this.subs.get(msg.channel.name);
        if (sub) {
          leave(sub.key, this);
          this.subs.delete(msg.channel.name);
        }
        return this.send({ type: "unsubscribed", channel: msg.channel.name });
      }
      void this.subscribe(msg.channel);
    }

    receiveBinary() {
      this.error({ type: "error", code: "validation_failed", detail: "send text frames holding JSON; binary frames are not understood", field: "" });
    }

    async subscribe(channel: Channel) {
      const refused = mayWatch(this.principal, channel);
      if (refused) return this.error(refused);
      let sub = this.subs.get(channel.name);
      if (sub === undefined) {
        if (this.subs.size >= maxSubscriptions) {
          return this.error({ type: "error", code: "too_many_subscriptions", detail: `at most ${maxSubscriptions} subscriptions per connection; unsubscribe from one first`, channel: channel.name });
        }
        sub = { channel, key: routeKey(this.principal, channel), pending: null, generation: 0 };
        this.subs.set(channel.name, sub);
        listen(sub.key, this);
      }
      this.send({ type: "subscribed", channel: channel.name });
      if (channel.kind !== "book") return;

      // Listen first, then read the snapshot: nothing committed in between is missed; what the snapshot already holds is skipped.
      const generation = ++sub.generation;
      sub.pending ??= [];
      let snapshot: BookSnapshot;
      try {
        snapshot = await books.book(channel.market);
      } catch (err) {
        if (this.subs.get(channel.name) === sub && sub.generation === generation) {
          leave(sub.key, this);
          this.subs.delete(channel.name);
        }
        return this.error(snapshotError(err, channel.name));
      }
      if (this.done || this.subs.get(channel.name) !== sub || sub.generation !== generation) return;
      const held = sub.pending ?? [];
      sub.pending = null;
      this.send({ type: "snapshot", channel: channel.name, market: snapshot.market, bookSeq: snapshot.bookSeq, seq: snapshot.seq, demand: snapshot.demand, supply: snapshot.supply });
      for (const event of held) {
        if (event.bookSeq > snapshot.bookSeq) this.deliver(JSON.stringify({ ...event, channel: channel.name }));
      }
    }

    pong() {
      this.alive = true;
    }

    closed() {
      this.end();
    }
  }

  function snapshotError(err: unknown, channel: string): ErrorFrame {
    if (err instanceof DomainError && (err.code === "not_found" || err.code === "validation_failed")) {
      return { type: "error", code: err.code, detail: err.message, field: "/channel", channel };
    }
    log.error({ err, channel }, "stream: book snapshot failed");
    return { type: "error", code: "internal", detail: "the book could not be read; subscribe again", channel };
  }

  const unsubscribe = [
    bus.subscribe("book.changed", (e) => fanOut(`book:${e.market}`, `book:${e.market}`, e)),
    bus.subscribe("trade", (e) => fanOut(`trades:${e.market}`, `trades:${e.market}`, e)),
    bus.subscribe("execution", (e) => fanOut(`executions:${e.organisationId}`, "executions", e)),
    bus.subscribe("contract.created", (e) => {
      fanOut(`executions:${e.enterpriseId}`, "executions", e);
      if (e.supplierId !== e.enterpriseId) fanOut(`executions:${e.supplierId}`, "executions", e);
    }),
    bus.subscribe("shift.offered", (e) => fanOut(`shifts:${e.workerId}`, "shifts", e)),
    bus.subscribe("order.opportunity", (e) => fanOutTo("opportunities", "opportunities", e)),
    bus.subscribe("seats.open", (e) => fanOutTo("shifts", "shifts", e)),
    bus.subscribe("workflow.changed", (e) => {
      if (e.workerId !== null) fanOut(`shifts:${e.workerId}`, "shifts", e);
      fanOut(`executions:${e.enterpriseId}`, "executions", e);
      if (e.supplierId !== e.enterpriseId) fanOut(`executions:${e.supplierId}`, "executions", e);
    }),
  ];

  return {
    connect(socket, principal) {
      const conn = new Connection(socket, principal);
      connections.add(conn);
      return conn;
    },
    heartbeat() {
      for (const conn of connections) {
        if (!conn.alive) {
          conn.end();
          conn.socket.terminate();
          continue;
        }
        conn.alive = false;
        conn.socket.ping();
      }
    },
    stats() {
      let subscriptions = 0;
      for (const conn of connections) subscriptions += conn.subs.size;
      return { connections: connections.size, subscriptions, droppedSlow };
    },
    close() {
      for (const off of unsubscribe) off();
      for (const conn of [...connections]) {
        conn.end();
        conn.socket.close(CLOSE.goingAway, "server shutting down");
      }
    },
  };
}
