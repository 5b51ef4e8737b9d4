/**
 * Targeted push (定向推送): a new demand order goes to the suppliers that
 * could staff it, on their `opportunities` channel; a contract that needs
 * people goes to its supplier's own workers who could take a seat, on their
 * `shifts` channel and phone page. Nobody else is told: the events name
 * their recipients and the stream writes each only to those.
 *
 * It hangs off the bus's own events (`subscribeOwn`): the sequencer's node
 * sees each accepted order once, the node that stepped a contract sees its
 * change once, so with many nodes every push still happens exactly once. It
 * runs after the commit and beside the request, never inside the sequencer.
 */
import type { Bus } from "../infra/bus";
import { juvenileRefusal } from "../contracts/staffing-rules";
import { ADULT_AGE, ageOn, parseMarketId, shanghaiDate, shanghaiIso } from "../parties";
import type { Clock } from "../shared/clock";
import type { ExecutionEvent } from "../shared/events";
import type { PushContract, PushRepository } from "./push.repository";

export interface PushServiceDeps {
  repo: PushRepository;
  bus: Bus;
  clock: Clock;
  log: { error(obj: object, msg: string): void };
}

/** One open seat offer as the worker's phone page lists it. */
export interface SeatOffer {
  contractId: string;
  market: string;
  openSeats: number;
  rateFen: number;
  shiftStart: string;
  shiftEnd: string;
}

export function createPushService(deps: PushServiceDeps) {
  const { repo, bus, clock, log } = deps;
  const now = () => clock.now().getTime();
  const inFlight = new Set<Promise<void>>();

  function track(what: string, work: () => Promise<void>): void {
    const p = work()
      .catch((err: unknown) => log.error({ err }, `push: ${what} failed`))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }

  /**
   * One look-up per distinct query in a round: contracts or orders alike in what is asked (a round of fills in
   * one market, say) share the answer.
   */
  function oncePerQuery<Q, R>(lookup: (query: Q) => Promise<R>): (query: Q) => Promise<R> {
    const answers = new Map<string, Promise<R>>();
    return (query) => {
      const key = JSON.stringify(query);
      let answer = answers.get(key);
      if (answer === undefined) {
        answer = lookup(query);
        answers.set(key, answer);
      }
      return answer;
    };
  }

  /** The workers who could take one of each contract's open seats now (its supplier's own, free, of age for the work), by contract id. */
  async function seatRecipients(list: readonly PushContract[]): Promise<Map<string, string[]>> {
    const candidates = oncePerQuery(async (q: { supplierId: string; skill: string; minCertificate: number; shiftStart: number; shiftEnd: number; except: string[] }) => {
      const day = shanghaiDate(q.shiftStart);
      const forbidden = juvenileRefusal(q.skill, q.shiftStart, q.shiftEnd) !== null;
      return (await repo.seatCandidates(q)).filter((w) => !(forbidden && w.birthDate !== null && ageOn(w.birthDate, day) < ADULT_AGE)).map((w) => w.workerId);
    });
    const out = new Map<string, string[]>();
    for (const c of list) {
      const taken = c.seats.filter((s) => s.workerId !== null && s.status !== "open" && s.status !== "closed").map((s) => s.workerId as string).sort();
      out.set(c.contractId, await candidates({ supplierId: c.supplierId, skill: c.skillId, minCertificate: c.minCertificate, shiftStart: c.shiftStart, shiftEnd: c.shiftEnd, except: taken }));
    }
    return out;
  }

  const openSeats = (c: PushContract) => c.seats.filter((s) => s.status === "open").length;
  const needsPeople = (c: PushContract) => c.state === "staffing" && c.shiftStart > now() && openSeats(c) > 0;

  /** Demand orders accepted with headcount left this turn and not filled or ended since: id → the sequence that accepted it. */
  let acceptedOrders = new Map<string, number>();
  /** Contracts that (re)entered staffing this turn, with the sequence of their latest change. */
  let staffingContracts = new Map<string, number>();
  let flushQueued = false;

  /**
   * Events arrive a batch at a time (a round of the sequencer, a round of started contracts): they are
   * gathered for one turn of the event loop and looked up together, so a round costs a few queries, not
   * a few per order or contract. An order filled in the round that placed it is never looked up at all.
   */
  function queueFlush(): void {
    if (flushQueued) return;
    flushQueued = true;
    track("the targeted push", async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      flushQueued = false;
      const orders = acceptedOrders;
      const contracts = staffingContracts;
      acceptedOrders = new Map();
      staffingContracts = new Map();
      if (orders.size > 0) track("order opportunities", () => pushOrders(orders));
      if (contracts.size > 0) track("seat offers", () => pushSeats(contracts));
    });
  }

  function onExecution(e: ExecutionEvent): void {
    if (e.kind === "accepted") {
      if (e.side !== "demand" || e.remaining <= 0) return;
      acceptedOrders.set(e.orderId, e.seq);
      queueFlush();
      return;
    }
    // Filled or ended in the round that accepted it: never looked up (a partial fill leaves it to the stored state).
    if (e.remaining <= 0 || e.kind === "cancelled" || e.kind === "expired" || e.kind === "rejected") acceptedOrders.delete(e.orderId);
  }

  async function pushOrders(seqOf: ReadonlyMap<string, number>): Promise<void> {
    // The stored order is the truth (the events only spared the look-up of orders filled at once): it is open with headcount left.
    const orders = (await repo.demandOrders([...seqOf.keys()])).filter((o) => o.state === "open" && o.remaining > 0);
    const today = shanghaiDate(now());
    const suppliers = oncePerQuery(repo.suppliersFor);
    for (const o of orders) {
      const m = parseMarketId(o.market);
      if (!m.ok) continue;
      const to = await suppliers({ owner: o.organisationId, skill: m.value.skill, district: m.value.district, minCertificate: o.minCertificate, minColour: o.minColour, excluded: [...o.excludedSuppliers].sort(), today });
      if (to.length === 0) continue;
      bus.publish({
        type: "order.opportunity", seq: seqOf.get(o.id) ?? 0, at: shanghaiIso(now()), recipients: to, orderId: o.id, market: o.market, remaining: o.remaining,
        rateFen: o.rateFen, minCertificate: o.minCertificate, minColour: o.minColour,
      });
    }
  }

  async function pushSeats(changed: ReadonlyMap<string, number>): Promise<void> {
    const contracts = (await repo.contracts([...changed.keys()])).filter(needsPeople);
    const recipients = await seatRecipients(contracts);
    for (const c of contracts) {
      const to = recipients.get(c.contractId) ?? [];
      if (to.length === 0) continue;
      bus.publish({
        type: "seats.open", seq: changed.get(c.contractId) ?? 0, at: shanghaiIso(now()), recipients: to, contractId: c.contractId, supplierId: c.supplierId, market: c.market,
        openSeats: openSeats(c), rateFen: c.rateFen, shiftStart: shanghaiIso(c.shiftStart), shiftEnd: shanghaiIso(c.shiftEnd),
      });
    }
  }

  let unsubscribe: (() => void)[] = [];

  return {
    /** Starts listening to this node's own events. */
    start(): void {
      unsubscribe = [
        bus.subscribeOwn("execution", onExecution),
        bus.subscribeOwn("workflow.changed", (e) => {
          if (e.machine !== "contract" || e.state !== "staffing") return;
          staffingContracts.set(e.contractId, e.seq);
          queueFlush();
        }),
      ];
    },
    stop(): void {
      for (const off of unsubscribe) off();
      unsubscribe = [];
    },
    /** Resolves once the pushes under way have been published (tests; shutdown). */
    async idle(): Promise<void> {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    /** Open seats of the worker's supplier the worker could take now: what the phone page lists beside the live pushes. */
    async seatOffersFor(workerId: string): Promise<SeatOffer[]> {
      const out: SeatOffer[] = [];
      const open = (await repo.openContractsFor(workerId, now())).filter(needsPeople);
      const recipients = await seatRecipients(open);
      for (const c of open) {
        if (!(recipients.get(c.contractId) ?? []).includes(workerId)) continue;
        out.push({ contractId: c.contractId, market: c.market, openSeats: openSeats(c), rateFen: c.rateFen, shiftStart: shanghaiIso(c.shiftStart), shiftEnd: shanghaiIso(c.shiftEnd) });
      }
      return out;
    },
  };
}
export type PushService = ReturnType<typeof createPushService>;
