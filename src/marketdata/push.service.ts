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
import type { ExecutionEvent, WorkflowChanged } from "../shared/events";
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

  /** The workers who could take one of a contract's open seats now (its supplier's own, free, of age for the work). */
  async function seatRecipients(c: PushContract): Promise<string[]> {
    const taken = c.seats.filter((s) => s.workerId !== null && s.status !== "open" && s.status !== "closed").map((s) => s.workerId as string);
    const candidates = await repo.seatCandidates({ supplierId: c.supplierId, skill: c.skillId, minCertificate: c.minCertificate, shiftStart: c.shiftStart, shiftEnd: c.shiftEnd, except: taken });
    const day = shanghaiDate(c.shiftStart);
    const forbidden = juvenileRefusal(c.skillId, c.shiftStart, c.shiftEnd) !== null;
    return candidates.filter((w) => !(forbidden && w.birthDate !== null && ageOn(w.birthDate, day) < ADULT_AGE)).map((w) => w.workerId);
  }

  const openSeats = (c: PushContract) => c.seats.filter((s) => s.status === "open").length;
  const needsPeople = (c: PushContract) => c.state === "staffing" && c.shiftStart > now() && openSeats(c) > 0;

  async function pushOrder(e: ExecutionEvent): Promise<void> {
    const o = await repo.demandOrder(e.orderId);
    if (o === undefined || o.state !== "open" || o.remaining <= 0) return;
    const m = parseMarketId(o.market);
    if (!m.ok) return;
    const recipients = await repo.suppliersFor({
      owner: o.organisationId, skill: m.value.skill, district: m.value.district, minCertificate: o.minCertificate, minColour: o.minColour,
      excluded: o.excludedSuppliers, today: shanghaiDate(now()),
    });
    if (recipients.length === 0) return;
    bus.publish({
      type: "order.opportunity", seq: e.seq, at: shanghaiIso(now()), recipients, orderId: o.id, market: o.market, remaining: o.remaining,
      rateFen: o.rateFen, minCertificate: o.minCertificate, minColour: o.minColour,
    });
  }

  async function pushSeats(e: WorkflowChanged): Promise<void> {
    const c = await repo.contract(e.contractId);
    if (c === undefined || !needsPeople(c)) return;
    const recipients = await seatRecipients(c);
    if (recipients.length === 0) return;
    bus.publish({
      type: "seats.open", seq: e.seq, at: shanghaiIso(now()), recipients, contractId: c.contractId, supplierId: c.supplierId, market: c.market,
      openSeats: openSeats(c), rateFen: c.rateFen, shiftStart: shanghaiIso(c.shiftStart), shiftEnd: shanghaiIso(c.shiftEnd),
    });
  }

  let unsubscribe: (() => void)[] = [];

  return {
    /** Starts listening to this node's own events. */
    start(): void {
      unsubscribe = [
        bus.subscribeOwn("execution", (e) => {
          if (e.kind === "accepted" && e.side === "demand" && e.remaining > 0) track("an order opportunity", () => pushOrder(e));
        }),
        bus.subscribeOwn("workflow.changed", (e) => {
          if (e.machine === "contract" && e.state === "staffing") track("a seat offer", () => pushSeats(e));
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
      for (const c of await repo.openContractsFor(workerId, now())) {
        if (!needsPeople(c) || !(await seatRecipients(c)).includes(workerId)) continue;
        out.push({ contractId: c.contractId, market: c.market, openSeats: openSeats(c), rateFen: c.rateFen, shiftStart: shanghaiIso(c.shiftStart), shiftEnd: shanghaiIso(c.shiftEnd) });
      }
      return out;
    },
  };
}
export type PushService = ReturnType<typeof createPushService>;
