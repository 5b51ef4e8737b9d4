/**
 * Typed domain events: what happened, after it committed. The sequencer
 * publishes them once the batch holding them is durable; WebSocket fan-out,
 * the contract runtime and statistics subscribe through the one bus
 * (src/infra/bus.ts). Money is integer fen; times are ISO 8601 strings;
 * every event names its shard sequence so a consumer can detect a gap.
 */

/** One level of a book's depth: rate (fen/h), aggregated headcount, number of orders. No owners. */
export interface DepthLevelEvent {
  readonly rateFen: number;
  readonly qty: number;
  readonly orders: number;
}

interface Base {
  /** Position of the batch (or command) in the shard's sequence: strictly increasing per shard. */
  readonly seq: number;
  /** When the sequencer applied it (its clock), ISO 8601. */
  readonly at: string;
}

/** A market's depth after a batch changed it: the full top-of-book levels (small), carrying the book's own update number. */
export interface BookChanged extends Base {
  readonly type: "book.changed";
  readonly market: string;
  /** Per-market update number: +1 per published change, so a client that sees a jump re-snapshots. */
  readonly bookSeq: number;
  readonly demand: readonly DepthLevelEvent[];
  readonly supply: readonly DepthLevelEvent[];
}

/** A public trade (a fill without owners). */
export interface TradeEvent extends Base {
  readonly type: "trade";
  readonly market: string;
  readonly fillId: string;
  readonly rateFen: number;
  readonly qty: number;
  readonly aggressor: "demand" | "supply";
  readonly shared: boolean;
}

/** Private to the organisation that owns the order: accepted, filled, reduced, re-rated, cancelled, expired, rejected. */
export interface ExecutionEvent extends Base {
  readonly type: "execution";
  readonly organisationId: string;
  readonly orderId: string;
  readonly clientOrderId: string | null;
  readonly market: string;
  readonly side: "demand" | "supply";
  readonly kind: "accepted" | "filled" | "reduced" | "rerated" | "cancelled" | "expired" | "rejected";
  readonly remaining: number;
  readonly fill?: { readonly fillId: string; readonly contractId: string; readonly rateFen: number; readonly qty: number };
  readonly reason?: string;
}

/** Private to both parties: a fill became a contract (the workflow issue consumes it). */
export interface ContractCreated extends Base {
  readonly type: "contract.created";
  readonly contractId: string;
  readonly fillId: string;
  readonly market: string;
  readonly enterpriseId: string;
  readonly supplierId: string;
  readonly headcount: number;
  readonly rateFen: number;
  readonly shared: boolean;
  readonly escrowAccountId: string;
  /** What the fill moved into escrow, fen (a decimal string: JSON has no 64-bit integers). */
  readonly escrowFen: string;
  /** The shift, from the market's slot (Shanghai time). */
  readonly shiftStart: string;
  readonly shiftEnd: string;
  /** The demand order's minimum certificate level: who may take the seats. */
  readonly minCertificate: number;
}

/** Targeted push of a shift offer to one worker (the contracts issue fills it in). */
export interface ShiftOffered extends Base {
  readonly type: "shift.offered";
  readonly workerId: string;
  readonly shiftId: string;
  readonly market: string;
}

/**
 * A contract's or a worker-shift's workflow moved (the contract runtime): to the worker's `shifts` channel and
 * to both organisations' `executions`, so pages refresh what they show. `seq` is the machine's version.
 */
export interface WorkflowChanged extends Base {
  readonly type: "workflow.changed";
  readonly machine: "contract" | "shift";
  readonly contractId: string;
  readonly shiftId: string | null;
  readonly seat: number | null;
  readonly workerId: string | null;
  readonly enterpriseId: string;
  readonly supplierId: string;
  readonly state: string;
}

/**
 * Targeted push of a new demand order to the suppliers that could staff it (workers with the skill at the
 * level asked, in its district, a colour the order accepts, a valid licence): to each recipient's
 * `opportunities` channel, and nobody else. No owner: the book does not name who ordered either.
 */
export interface OrderOpportunity extends Base {
  readonly type: "order.opportunity";
  /** Organisations told; the stream strips this list from the frame each of them gets. */
  readonly recipients: readonly string[];
  readonly orderId: string;
  readonly market: string;
  /** Headcount still wanted. */
  readonly remaining: number;
  readonly rateFen: number;
  readonly minCertificate: number;
  readonly minColour: "blue" | "red" | null;
}

/**
 * Targeted push of a contract's open seats to the supplier's own workers who could take one (the skill at
 * the level asked, an adult where the work requires it, free at that time): to each recipient's `shifts`
 * channel and phone page, and nobody else. The supplier still names who works.
 */
export interface SeatsOpen extends Base {
  readonly type: "seats.open";
  /** Workers told; the stream strips this list from the frame each of them gets. */
  readonly recipients: readonly string[];
  readonly contractId: string;
  readonly supplierId: string;
  readonly market: string;
  readonly openSeats: number;
  readonly rateFen: number;
  readonly shiftStart: string;
  readonly shiftEnd: string;
}

export type DomainEvent = BookChanged | TradeEvent | ExecutionEvent | ContractCreated | ShiftOffered | WorkflowChanged | OrderOpportunity | SeatsOpen;
export type DomainEventType = DomainEvent["type"];
