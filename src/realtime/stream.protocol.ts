/**
 * The WebSocket protocol of `GET /v1/stream`, pure: what a client may send,
 * which channels exist, who may subscribe to which, and the frames the server
 * answers with. No Fastify, no sockets: the service drives it.
 */
import { parseMarketId } from "../parties";
import type { Principal } from "../shared/principal";

/** Codes of error frames; the pages localise by them. */
export type StreamErrorCode =
  | "malformed_json"
  | "validation_failed"
  | "forbidden"
  | "not_found"
  | "too_many_subscriptions"
  | "internal";

/** Close codes the server uses (4000–4999 are the application's own). */
export const CLOSE = {
  /** The client did not read fast enough: its unsent data passed the bound. Reconnect and re-snapshot. */
  slowConsumer: 4008,
  /** The server is shutting down (standard "going away"). */
  goingAway: 1001,
} as const;

export type Channel =
  | { readonly kind: "book"; readonly market: string; readonly name: string }
  | { readonly kind: "trades"; readonly market: string; readonly name: string }
  | { readonly kind: "executions"; readonly name: "executions" }
  | { readonly kind: "opportunities"; readonly name: "opportunities" }
  | { readonly kind: "shifts"; readonly name: "shifts" };

export type ClientMessage =
  | { readonly op: "subscribe"; readonly channel: Channel }
  | { readonly op: "unsubscribe"; readonly channel: Channel }
  | { readonly op: "ping" };

export interface ErrorFrame {
  readonly type: "error";
  readonly code: StreamErrorCode;
  readonly detail: string;
  readonly field?: string;
  readonly channel?: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorFrame };

/** Longest text frame a client may send; anything longer is closed by the socket layer (1009). */
export const MAX_CLIENT_MESSAGE_BYTES = 1024;

function fail(code: StreamErrorCode, detail: string, extra: { field?: string; channel?: string } = {}): { ok: false; error: ErrorFrame } {
  return { ok: false, error: { type: "error", code, detail, ...extra } };
}

/** Reads a channel name: `book:<market>`, `trades:<market>`, `executions`, `opportunities`, `shifts`. */
export function parseChannel(name: unknown): Parsed<Channel> {
  if (typeof name !== "string" || name.length === 0 || name.length > 128) {
    return fail("validation_failed", 'channel must be "book:<market>", "trades:<market>", "executions", "opportunities" or "shifts"', { field: "/channel" });
  }
  if (name === "executions") return { ok: true, value: { kind: "executions", name } };
  if (name === "opportunities") return { ok: true, value: { kind: "opportunities", name } };
  if (name === "shifts") return { ok: true, value: { kind: "shifts", name } };
  const colon = name.indexOf(":");
  const kind = colon < 0 ? name : name.slice(0, colon);
  if ((kind === "book" || kind === "trades") && colon > 0) {
    const market = name.slice(colon + 1);
    const parsed = parseMarketId(market);
    if (!parsed.ok) return fail("validation_failed", `${parsed.message} (market id: skill.district.date.slot)`, { field: "/channel", channel: name });
    return { ok: true, value: { kind, market, name } };
  }
  return fail("validation_failed", `unknown channel "${name}": use "book:<market>", "trades:<market>", "executions", "opportunities" or "shifts"`, { field: "/channel", channel: name });
}

/** Reads one text frame from a client. */
export function parseClientMessage(text: string): Parsed<ClientMessage> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail("malformed_json", 'a message must be a JSON object such as {"op":"subscribe","channel":"book:<market>"}');
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return fail("validation_failed", 'a message must be a JSON object such as {"op":"subscribe","channel":"book:<market>"}', { field: "" });
  }
  const msg = data as Record<string, unknown>;
  for (const key of Object.keys(msg)) {
    if (key !== "op" && key !== "channel") return fail("validation_failed", `unknown property "${key}"`, { field: `/${key}` });
  }
  if (msg["op"] === "ping") return { ok: true, value: { op: "ping" } };
  if (msg["op"] !== "subscribe" && msg["op"] !== "unsubscribe") {
    return fail("validation_failed", 'op must be "subscribe", "unsubscribe" or "ping"', { field: "/op" });
  }
  const channel = parseChannel(msg["channel"]);
  if (!channel.ok) return channel;
  return { ok: true, value: { op: msg["op"], channel: channel.value } };
}

/** Who may subscribe to a channel: public market data for any caller; private channels for their owner only. */
export function mayWatch(principal: Principal, channel: Channel): ErrorFrame | null {
  if (channel.kind === "executions" && principal.organisationId === null) {
    return { type: "error", code: "forbidden", detail: "executions are private to an organisation: connect with an enterprise or agency API key", channel: channel.name };
  }
  if (channel.kind === "opportunities" && principal.organisationId === null) {
    return { type: "error", code: "forbidden", detail: "opportunities are private to an organisation: connect with an agency's or lending enterprise's API key", channel: channel.name };
  }
  if (channel.kind === "shifts" && principal.workerId === null) {
    return { type: "error", code: "forbidden", detail: "shifts are private to a worker: connect with a worker session", channel: channel.name };
  }
  return null;
}

/**
 * The key under which a connection listens for a channel: private channels
 * are keyed by their owner, so another organisation's events can never reach it.
 */
export function routeKey(principal: Principal, channel: Channel): string {
  switch (channel.kind) {
    case "book":
    case "trades":
      return channel.name;
    case "executions":
      return `executions:${principal.organisationId}`;
    case "opportunities":
      return `opportunities:${principal.organisationId}`;
    case "shifts":
      return `shifts:${principal.workerId}`;
  }
}
