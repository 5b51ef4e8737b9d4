/** TypeBox schemas of the stream's HTTP side: tickets, and the upgrade's query. */
import { Type } from "typebox";

export const StreamTicket = Type.Object({
  ticket: Type.String({ description: "Open `GET /v1/stream?ticket=…` with it once, within a minute" }),
  expiresAt: Type.String({ format: "date-time" }),
});

export const StreamQuery = Type.Object(
  {
    ticket: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "A single-use ticket from POST /v1/stream/tickets (browser pages); other clients send their API key in the Authorization header" })),
  },
  { additionalProperties: false },
);

export const STREAM_DESCRIPTION = `WebSocket (upgrade this GET). Authenticate with \`Authorization: Bearer <api key>\`, the worker session cookie, or \`?ticket=\` from \`POST /v1/stream/tickets\` (never an API key in a URL).

Send JSON text frames:
- \`{"op":"subscribe","channel":"book:<market>"}\` → \`{"type":"subscribed","channel"}\`, then \`{"type":"snapshot","channel","market","bookSeq","seq","demand":[{rateFen,qty,orders}],"supply":[…]}\`, then \`{"type":"book.changed","channel","market","bookSeq","seq","at","demand","supply"}\` per change. \`bookSeq\` goes up by one per change: if it jumps, subscribe again for a fresh snapshot.
- \`{"op":"subscribe","channel":"trades:<market>"}\` → \`{"type":"trade","channel","market","fillId","rateFen","qty","aggressor","shared","seq","at"}\` per fill.
- \`{"op":"subscribe","channel":"executions"}\` (enterprise and agency keys) → your organisation's \`{"type":"execution",…}\` (accepted, filled, reduced, rerated, cancelled, expired, rejected) and \`{"type":"contract.created",…}\` only.
- \`{"op":"subscribe","channel":"opportunities"}\` (agency and lending-enterprise keys) → \`{"type":"order.opportunity","orderId","market","remaining","rateFen","minCertificate","minColour",…}\` for new demand orders your workers could staff (the skill at the level asked, in the order's district, a colour the order accepts); nobody else gets them.
- \`{"op":"subscribe","channel":"shifts"}\` (worker session) → \`{"type":"shift.offered",…}\` for that worker only, and \`{"type":"seats.open","contractId","market","openSeats","rateFen","shiftStart","shiftEnd",…}\` when your supplier's contract needs people and you could take a seat.
- \`{"op":"unsubscribe","channel":…}\` → \`{"type":"unsubscribed","channel"}\`; \`{"op":"ping"}\` → \`{"type":"pong"}\`.

A bad frame is answered with \`{"type":"error","code","detail","field"?,"channel"?}\` (codes: malformed_json, validation_failed, forbidden, not_found, too_many_subscriptions, internal) and the connection stays open. Frames over 1 KiB close it (1009). A client that does not read fast enough is closed with code 4008 (slow consumer): reconnect and re-snapshot. Server shutdown closes with 1001.`;
