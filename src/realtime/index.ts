/** Realtime: the event bus across processes, and the WebSocket stream of books, trades and private reports. */
export { createEventBus, createRealtimeModule, type EventBus, type RealtimeDeps, type RealtimeModule } from "./realtime.module";
/** The Redis pub/sub wrapper of a local bus (each event reaches every node's subscribers once). */
export { createRedisBus, type DistributedBus } from "./redis-bus";
/** The stream service and the port it reads book snapshots from. */
export { createStreamService, type BookSnapshot, type BookSource, type StreamService, type StreamStats } from "./stream.service";
/** Protocol constants: close codes and the largest frame a client may send. */
export { CLOSE, MAX_CLIENT_MESSAGE_BYTES, type StreamErrorCode } from "./stream.protocol";
/** Single-use tickets that open a stream from a browser page. */
export { TICKET_TTL_SECONDS, type TicketService } from "./tickets.service";
/** The HTTP routes: POST /v1/stream/tickets and GET /v1/stream. */
export { realtimeRoutes } from "./realtime.routes";
