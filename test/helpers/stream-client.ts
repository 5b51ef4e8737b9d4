/**
 * A WebSocket client for tests of GET /v1/stream: the `ws` package (which
 * @fastify/websocket brings; Node 20 has no WebSocket global), typed here by
 * the little the tests use. Frames are kept in arrival order; `take` waits
 * for the first unread frame that matches, so tests never sleep.
 */
import { createRequire } from "node:module";

interface WsSocket {
  on(event: "open", fn: () => void): void;
  on(event: "message", fn: (data: Buffer, isBinary: boolean) => void): void;
  on(event: "close", fn: (code: number, reason: Buffer) => void): void;
  on(event: "error", fn: (err: Error) => void): void;
  on(event: "unexpected-response", fn: (req: unknown, res: import("node:http").IncomingMessage) => void): void;
  send(data: string | Buffer): void;
  close(code?: number): void;
  terminate(): void;
  pause(): void;
  resume(): void;
}
type WsConstructor = new (url: string, options?: { headers?: Record<string, string> }) => WsSocket;

const WebSocketImpl = createRequire(import.meta.url)("ws") as WsConstructor;

/** Any frame the server sends (JSON). */
export type Frame = { type: string; channel?: string; [key: string]: any };

export interface StreamClient {
  readonly frames: readonly Frame[];
  send(message: object | string | Buffer): void;
  /** The first unread frame matching, waiting for it if needed; it is then read. */
  take(match?: (f: Frame) => boolean): Promise<Frame>;
  /** Frames not yet read that match (without waiting). */
  unread(match?: (f: Frame) => boolean): Frame[];
  /** Resolves when the socket closes, with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** Refused handshake: the HTTP status and the problem document. */
export class HandshakeRefused extends Error {
  constructor(
    readonly status: number,
    readonly problem: any,
  ) {
    super(`stream handshake refused: HTTP ${status} ${JSON.stringify(problem)}`);
  }
}

export interface StreamAuth {
  key?: string;
  cookie?: string;
  ticket?: string;
  origin?: string;
  /** Extra query string (to prove what the server refuses). */
  query?: string;
}

/** Opens the stream at `baseUrl` (http://…); rejects with HandshakeRefused when the server answers without upgrading. */
export function openStream(baseUrl: string, auth: StreamAuth = {}): Promise<StreamClient> {
  const url = new URL("/v1/stream", baseUrl.replace(/^http/, "ws"));
  if (auth.ticket !== undefined) url.searchParams.set("ticket", auth.ticket);
  if (auth.query) url.search = url.search ? `${url.search}&${auth.query}` : `?${auth.query}`;
  const headers: Record<string, string> = {};
  if (auth.key) headers["authorization"] = `Bearer ${auth.key}`;
  if (auth.cookie) headers["cookie"] = auth.cookie;
  if (auth.origin) headers["origin"] = auth.origin;
  const ws = new WebSocketImpl(url.toString(), { headers });

  const frames: Frame[] = [];
  const read = new Set<Frame>();
  const waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void; reject: (e: Error) => void }[] = [];
  let resolveClosed!: (v: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));
  let isClosed = false;

  ws.on("message", (data) => {
    const frame = JSON.parse(data.toString("utf8")) as Frame;
    frames.push(frame);
    const i = waiters.findIndex((w) => w.match(frame));
    if (i >= 0) {
      read.add(frame);
      waiters.splice(i, 1)[0]!.resolve(frame);
    }
  });
  ws.on("close", (code, reason) => {
    isClosed = true;
    resolveClosed({ code, reason: reason.toString("utf8") });
    for (const w of waiters.splice(0)) w.reject(new Error(`stream closed (${code} ${reason.toString("utf8")}) before the awaited frame; frames: ${JSON.stringify(frames.slice(-5))}`));
  });

  const client: StreamClient = {
    frames,
    send(message) {
      ws.send(typeof message === "string" || Buffer.isBuffer(message) ? message : JSON.stringify(message));
    },
    take(match = () => true) {
      const found = frames.find((f) => !read.has(f) && match(f));
      if (found) {
        read.add(found);
        return Promise.resolve(found);
      }
      if (isClosed) return Promise.reject(new Error(`stream is closed; frames: ${JSON.stringify(frames.slice(-5))}`));
      return new Promise((resolve, reject) => waiters.push({ match, resolve, reject }));
    },
    unread(match = () => true) {
      return frames.filter((f) => !read.has(f) && match(f));
    },
    closed,
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    async close() {
      if (!isClosed) ws.close(1000);
      await closed;
    },
  };

  return new Promise((resolve, reject) => {
    ws.on("open", () => resolve(client));
    ws.on("error", (err) => reject(err));
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        let problem: unknown = body;
        try {
          problem = JSON.parse(body);
        } catch {
          /* keep the text */
        }
        reject(new HandshakeRefused(res.statusCode ?? 0, problem));
        ws.terminate();
      });
    });
  });
}
