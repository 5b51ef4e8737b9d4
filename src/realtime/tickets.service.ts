/**
 * Single-use stream tickets: a browser page cannot set headers on a
 * WebSocket and must never put its API key in a URL, so it trades the key
 * (in a normal authenticated POST) for a ticket that opens one stream within
 * a minute. Only the ticket's SHA-256 is stored.
 */
import type { Clock } from "../shared/clock";
import { newSecret } from "../shared/ids";
import { sha256Hex } from "../shared/sha256";
import type { Principal } from "../shared/principal";
import type { TicketRepository } from "./tickets.repository";

/** How long a ticket may wait before it opens a stream. */
export const TICKET_TTL_SECONDS = 60;

export interface TicketService {
  issue(principal: Principal): Promise<{ ticket: string; expiresAt: string }>;
  /** The principal of a valid unused ticket, which is used up; null otherwise. */
  redeem(ticket: string): Promise<Principal | null>;
}

const TICKET = /^sxt_[A-Za-z0-9_-]{43}$/;
const hashOf = sha256Hex;

export function createTicketService(deps: { repo: TicketRepository; clock: Clock }): TicketService {
  return {
    async issue(principal) {
      const ticket = newSecret("sxt", 32);
      await deps.repo.put(hashOf(ticket), principal, TICKET_TTL_SECONDS);
      return { ticket, expiresAt: new Date(deps.clock.now().getTime() + TICKET_TTL_SECONDS * 1000).toISOString() };
    },
    async redeem(ticket) {
      if (!TICKET.test(ticket)) return null;
      return deps.repo.take(hashOf(ticket));
    },
  };
}
