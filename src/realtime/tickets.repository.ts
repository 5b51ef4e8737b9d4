/**
 * Where stream tickets wait to be redeemed: in memory for the embedded single
 * process, in Redis when several processes serve the stream (a ticket issued
 * by one node is redeemed on another). Only the ticket's hash is stored, and
 * taking a ticket removes it atomically so it works once.
 */
import type { Redis } from "ioredis";
import type { Clock } from "../shared/clock";
import type { Principal } from "../shared/principal";

export interface TicketRepository {
  put(hash: string, principal: Principal, ttlSeconds: number): Promise<void>;
  /** The principal the ticket was issued to, removing it; null when unknown, used or expired. */
  take(hash: string): Promise<Principal | null>;
}

// A bound on unredeemed tickets held in memory; issuing is rate limited per caller, so this is a backstop.
const MAX_MEMORY_TICKETS = 100_000;

export function createMemoryTicketRepository(clock: Clock): TicketRepository {
  const tickets = new Map<string, { principal: Principal; expiresAt: number }>();
  function sweep(now: number) {
    for (const [hash, t] of tickets) if (t.expiresAt <= now) tickets.delete(hash);
  }
  return {
    async put(hash, principal, ttlSeconds) {
      const now = clock.now().getTime();
      if (tickets.size >= MAX_MEMORY_TICKETS) sweep(now);
      if (tickets.size >= MAX_MEMORY_TICKETS) tickets.delete(tickets.keys().next().value!);
      tickets.set(hash, { principal, expiresAt: now + ttlSeconds * 1000 });
    },
    async take(hash) {
      const t = tickets.get(hash);
      if (t === undefined) return null;
      tickets.delete(hash);
      return t.expiresAt > clock.now().getTime() ? t.principal : null;
    },
  };
}

export function createRedisTicketRepository(redis: Redis, prefix: string): TicketRepository {
  const key = (hash: string) => `${prefix}stream-ticket:${hash}`;
  return {
    async put(hash, principal, ttlSeconds) {
      await redis.set(key(hash), JSON.stringify(principal), "EX", ttlSeconds);
    },
    async take(hash) {
      // GETDEL: read and remove in one step, so two nodes can never both redeem it.
      const raw = await redis.getdel(key(hash));
      return raw === null ? null : (JSON.parse(raw) as Principal);
    },
  };
}
