/**
 * The contract runtime's service: who may do what to which contract and
 * shift, the staffing rules a person would state, and the views. Every change
 * is an event applied through the runtime (contracts.runtime.ts); the service
 * checks ownership first (another party's record reads as absent), turns a
 * machine's refusal into a clear error, treats a repeated request as done
 * (a retried confirm answers the confirmed shift), and answers once the
 * outbox has run, so the caller sees the money that moved.
 */
import {
  assignRefusal,
  contractDeadlines,
  splitRefusal,
  type ContractContext,
  type ContractSettings,
  type PersistedContract,
  type PersistedWorkerShift,
  type WorkerShiftContext,
} from "../../machines";
import { workerPayableAccountId } from "../ledger";
import { ADULT_AGE, ageOn, parseMarketId, shanghaiDate, shanghaiIso } from "../parties";
import type { Clock } from "../shared/clock";
import { decodeCursor, pageOf, type Page } from "../shared/cursor";
import { DomainError, invalidField, notFound } from "../shared/errors";
import type { NewId } from "../shared/ids";
import { fenToJsonNumber, fenToYuan } from "../shared/money";
import { canReadAll, type Principal } from "../shared/principal";
import type { ReliabilityPort, ReliabilityView } from "../shared/reliability";
import { codeMatches, CODE_PERIOD_MS, currentCode, distanceMetres, microDegrees } from "./attendance";
import type { ContractsRepository, SettlementRow, ShiftRow, WorkflowRow } from "./contracts.repository";
import type { ContractsRuntime } from "./contracts.runtime";
import { juvenileRefusal } from "./staffing-rules";

export interface ContractsServiceDeps {
  repo: ContractsRepository;
  runtime: ContractsRuntime;
  clock: Clock;
  newId: NewId;
  /** The terms new contracts run under (shown as the policy). */
  settings: ContractSettings;
  /** Keys the sites' rotating check-in codes. */
  codeSecret: string;
  /** Enterprises' two-way reliability, shown beside their contracts and shifts (src/trust implements it); without it, null. */
  reliability?: ReliabilityPort;
}

const MIN = 60_000;

type PolicyView = {
  staffingDeadlineMinutesBeforeStart: number;
  confirmDeadlineMinutesBeforeStart: number;
  noShowGraceMinutes: number;
  approvalWindowMinutes: number;
  freeCancellationNoticeMinutes: number;
  lateCancellationFeeMinutes: number;
  hoursRounding: { unitMinutes: number; rounding: "down" | "up" | "nearest" };
  supplierCancellation: string;
  noShow: string;
};

export function policyOf(s: ContractSettings): PolicyView {
  return {
    staffingDeadlineMinutesBeforeStart: s.staffingDeadlineBeforeStartMs / MIN,
    confirmDeadlineMinutesBeforeStart: s.confirmDeadlineBeforeStartMs / MIN,
    noShowGraceMinutes: s.noShowGraceMs / MIN,
    approvalWindowMinutes: s.approvalWindowMs / MIN,
    freeCancellationNoticeMinutes: s.freeCancellationNoticeMs / MIN,
    lateCancellationFeeMinutes: s.lateCancellationFeeMinutes,
    hoursRounding: { unitMinutes: s.hoursRule.unitMinutes, rounding: s.hoursRule.rounding },
    supplierCancellation: "the enterprise is refunded every seat in full and the supplier's record is marked",
    noShow: "the enterprise is refunded the seat in full and the supplier's record is marked",
  };
}

function settlementView(s: SettlementRow) {
  return {
    kind: s.kind,
    minutes: s.minutes,
    basis: s.basis,
    reason: s.reason,
    wageFen: fenToJsonNumber(s.wageFen),
    taxFen: fenToJsonNumber(s.taxFen),
    feeFen: fenToJsonNumber(s.feeFen),
    refundFen: fenToJsonNumber(s.refundFen),
    payeeAccountId: s.payeeAccountId,
    transferIds: s.transferIds,
    settledAt: shanghaiIso(s.settledAt),
  };
}

/** The ledger verification's check that every closed contract's escrow stands at zero: one line per contract that does not. */
export async function closedEscrowProblems(repo: Pick<ContractsRepository, "closedContractsWithEscrow">): Promise<string[]> {
  return (await repo.closedContractsWithEscrow()).map((r) => `contract ${r.contractId} is closed but its escrow ${r.escrowAccountId} holds ${r.balanceFen} fen`);
}

export function createContractsService(deps: ContractsServiceDeps) {
  const { repo, runtime, clock } = deps;
  const now = () => clock.now().getTime();

  // ------------------------------------------------------------ access

  function isParty(p: Principal, w: { enterpriseId: string; supplierId: string }): boolean {
    return p.organisationId !== null && (p.organisationId === w.enterpriseId || p.organisationId === w.supplierId);
  }

  /** A workflow the caller may read: its two parties, operators and regulators; anyone else is told it does not exist. */
  async function readableWorkflow(p: Principal, contractId: string): Promise<WorkflowRow> {
    const w = await repo.workflow(contractId);
    if (w === undefined || !(canReadAll(p) || isParty(p, w))) {
      // A contract the sequencer wrote but whose workflow has not started yet (the event is in flight): start it now.
      if (w === undefined && (await runtime.start(contractId))) {
        const started = await repo.workflow(contractId);
        if (started !== undefined && (canReadAll(p) || isParty(p, started))) return started;
      }
      throw notFound("contract", contractId);
    }
    return w;
  }

  /** A shift the caller may read: its worker, the contract's parties, operators and regulators. */
  async function readableShift(p: Principal, shiftId: string): Promise<ShiftRow> {
    const s = await repo.shift(shiftId);
    if (s === undefined) throw notFound("shift", shiftId);
    if (canReadAll(p) || (p.workerId !== null && p.workerId === s.workerId) || isParty(p, s)) return s;
    throw notFound("shift", shiftId);
  }

  // ------------------------------------------------------------ views

  /** The enterprises' reliability for a whole response: one call through the port (it caches), none without it. */
  async function reliabilityOf(enterpriseIds: readonly string[]): Promise<ReadonlyMap<string, ReliabilityView | null>> {
    return deps.reliability === undefined || enterpriseIds.length === 0 ? new Map() : deps.reliability.reliabilityOf([...new Set(enterpriseIds)]);
  }

  async function workflowView(w: WorkflowRow, known?: ReadonlyMap<string, ReliabilityView | null>) {
    const snapshot = w.snapshot as PersistedContract;
    const c: ContractContext = snapshot.context;
    const shifts = await repo.shiftsOfContract(w.contractId);
    const byId = new Map(shifts.map((s) => [s.shiftId, s]));
    const names = await repo.workerNames([...new Set(c.seats.map((s) => s.workerId ?? byId.get(s.shiftIds.at(-1) ?? "")?.workerId).filter((x): x is string => !!x))]);
    const orgs = await repo.organisationNames([w.enterpriseId, w.supplierId]);
    const settlements = new Map((await repo.settlementsOfContract(w.contractId)).map((s) => [s.seat, s]));
    const reliability = known ?? (await reliabilityOf([w.enterpriseId]));
    const d = contractDeadlines(c);
    return {
      contractId: w.contractId,
      market: w.market,
      skillId: w.skillId,
      state: String(snapshot.value),
      closed: w.closedAt !== null,
      outcome: w.outcome,
      enterpriseId: w.enterpriseId,
      enterpriseName: orgs.get(w.enterpriseId) ?? "",
      enterpriseReliability: reliability.get(w.enterpriseId) ?? null,
      supplierId: w.supplierId,
      supplierName: orgs.get(w.supplierId) ?? "",
      shared: w.shared,
      headcount: w.headcount,
      rateFen: w.rateFen,
      paidMinutes: w.paidMinutes,
      seatFen: fenToJsonNumber(w.seatFen),
      shiftStart: shanghaiIso(w.shiftStart),
      shiftEnd: shanghaiIso(w.shiftEnd),
      deadlines: {
        staffingDeadline: shanghaiIso(d.staffingDeadlineAt),
        confirmDeadline: shanghaiIso(d.confirmDeadlineAt),
        freeCancellationUntil: shanghaiIso(d.freeCancellationUntil),
        noShowAt: shanghaiIso(d.noShowAt),
        autoApproveAt: shanghaiIso(d.autoApproveAt),
      },
      policy: policyOf(c.settings),
      cancellation: c.cancellation === null ? null : { ...c.cancellation, at: shanghaiIso(c.cancellation.at) },
      seats: c.seats.map((s) => {
        // A closed seat keeps the worker it was closed with; an open one shows its last shift (declined, say).
        const lastShift = s.shiftId ?? s.shiftIds.at(-1) ?? null;
        const shift = lastShift === null ? undefined : byId.get(lastShift);
        const workerId = s.workerId ?? shift?.workerId ?? null;
        const settled = settlements.get(s.seat);
        return {
          seat: s.seat,
          status: s.status,
          shiftId: lastShift,
          workerId,
          workerName: workerId === null ? null : names.get(workerId) ?? null,
          shiftState: shift?.state ?? null,
          dispute: s.dispute === null ? null : { ...s.dispute, at: shanghaiIso(s.dispute.at) },
          settlement: settled === undefined ? null : settlementView(settled),
        };
      }),
    };
  }

  async function shiftViews(rows: readonly ShiftRow[]) {
    const workflows = new Map<string, WorkflowRow>();
    for (const r of rows) {
      if (!workflows.has(r.contractId)) {
        const w = await repo.workflow(r.contractId);
        if (w) workflows.set(r.contractId, w);
      }
    }
    const orgs = await repo.organisationNames([...new Set(rows.flatMap((r) => [r.enterpriseId, r.supplierId]))]);
    const names = await repo.workerNames([...new Set(rows.map((r) => r.workerId))]);
    const settlements = await repo.settlementsOfShifts(rows.map((r) => r.shiftId));
    const reliability = await reliabilityOf(rows.map((r) => r.enterpriseId));
    return rows.map((r) => {
      const c: WorkerShiftContext = (r.snapshot as PersistedWorkerShift).context;
      const w = workflows.get(r.contractId);
      const s = settlements.get(r.shiftId);
      return {
        shiftId: r.shiftId,
        contractId: r.contractId,
        seat: r.seat,
        state: r.state,
        workerId: r.workerId,
        workerName: names.get(r.workerId) ?? null,
        enterpriseId: r.enterpriseId,
        enterpriseName: orgs.get(r.enterpriseId) ?? "",
        enterpriseReliability: reliability.get(r.enterpriseId) ?? null,
        supplierId: r.supplierId,
        supplierName: orgs.get(r.supplierId) ?? "",
        market: w?.market ?? "",
        skillId: w?.skillId ?? "",
        shiftStart: shanghaiIso(r.shiftStart),
        shiftEnd: shanghaiIso(r.shiftEnd),
        paidMinutes: c.paidMinutes,
        rateFen: w?.rateFen ?? 0,
        confirmDeadline: shanghaiIso(c.confirmDeadlineAt),
        noShowAt: shanghaiIso(c.noShowAt),
        autoApproveAt: shanghaiIso(c.autoApproveAt),
        confirmedAt: c.confirmedAt === null ? null : shanghaiIso(c.confirmedAt),
        checkIn: c.checkIn === null ? null : { ...c.checkIn, at: shanghaiIso(c.checkIn.at) },
        checkOut: c.checkOut === null ? null : { ...c.checkOut, at: shanghaiIso(c.checkOut.at) },
        recordedMinutes: c.recordedMinutes,
        dispute: c.dispute === null ? null : { ...c.dispute, at: shanghaiIso(c.dispute.at) },
        paid: c.paid === null ? null : { minutes: c.paid.minutes, basis: c.paid.basis, reason: c.paid.reason },
        ended: c.ended === null ? null : { ...c.ended, at: shanghaiIso(c.ended.at) },
        earnings:
          s === undefined || s.kind !== "settled"
            ? null
            : {
                wageFen: fenToJsonNumber(s.wageFen),
                taxFen: fenToJsonNumber(s.taxFen),
                netFen: fenToJsonNumber(s.wageFen - s.taxFen),
                paidTo: s.payeeAccountId === workerPayableAccountId(r.workerId) ? ("worker" as const) : ("supplier" as const),
                payeeAccountId: s.payeeAccountId ?? "",
              },
      };
    });
  }

  async function shiftView(shiftId: string) {
    const s = await repo.shift(shiftId);
    if (s === undefined) throw notFound("shift", shiftId);
    return (await shiftViews([s]))[0]!;
  }

  // ------------------------------------------------------------ shift actions

  type ShiftActor = "worker" | "enterprise";

  /** The caller acting on a shift as its worker or as the contract's enterprise; anyone else is told it does not exist. */
  function owns(p: Principal, s: ShiftRow, actor: ShiftActor): void {
    const ok = actor === "worker" ? p.role === "worker" && p.workerId === s.workerId : p.role === "enterprise" && p.organisationId === s.enterpriseId;
    if (ok) return;
    if (canReadAll(p) || isParty(p, s) || (p.workerId !== null && p.workerId === s.workerId)) {
      throw new DomainError("forbidden", actor === "worker" ? "only the shift's worker may do this" : "only the enterprise that bought the shift may do this");
    }
    throw notFound("shift", s.shiftId);
  }

  /**
   * Applies a shift event for its worker or its enterprise. `done` says the shift already is where the
   * request wants it (a retry): answered as success without a step. A refused event is a 409 naming the state.
   */
  async function onShift(
    p: Principal,
    shiftId: string,
    actor: ShiftActor,
    what: string,
    event: (c: WorkerShiftContext, at: number) => { type: string; at: number },
    done: (state: string) => boolean,
    explain?: (c: WorkerShiftContext, at: number) => string | null,
  ) {
    const at = now();
    const m = await runtime.load("shift", shiftId);
    if (m === undefined || m.kind !== "shift") throw notFound("shift", shiftId);
    owns(p, m.row, actor);
    if (done(m.row.state)) return shiftView(shiftId);
    const refusal = explain?.(m.snapshot.context, at) ?? null;
    if (refusal !== null) throw new DomainError("conflict", refusal, { field: "/params/id", state: m.row.state });
    const result = await runtime.apply("shift", shiftId, event(m.snapshot.context, at), {
      check: (fresh) => {
        if (fresh.kind === "shift") owns(p, fresh.row, actor);
      },
    });
    await runtime.drain();
    if (!result.accepted) {
      const state = String(result.snapshot.value);
      if (done(state)) return shiftView(shiftId);
      throw new DomainError("conflict", `this shift is ${state}; it cannot ${what} now`, { field: "/params/id", state });
    }
    return shiftView(shiftId);
  }

  return {
    /** The terms new contracts run under. */
    policy: () => policyOf(deps.settings),

    /** A contract's workflow: state, deadlines, terms, seats and how each seat's money left. */
    async workflow(p: Principal, contractId: string) {
      return workflowView(await readableWorkflow(p, contractId));
    },

    /** The caller's contracts' workflows (operators and regulators: all), newest first. */
    async workflows(p: Principal, page: { limit?: number; cursor?: string }): Promise<Page<Awaited<ReturnType<typeof workflowView>>>> {
      if (!canReadAll(p) && p.organisationId === null) throw new DomainError("forbidden", "workers see their shifts at GET /v1/shifts");
      const limit = page.limit ?? 100;
      const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor, ["id"]).id;
      const rows = await repo.workflows(canReadAll(p) ? undefined : p.organisationId!, before, limit + 1);
      const reliability = await reliabilityOf(rows.map((w) => w.enterpriseId));
      const views = await Promise.all(rows.slice(0, limit + 1).map((w) => workflowView(w, reliability)));
      return pageOf(views, limit, (v) => v, (v) => ({ id: v.contractId }));
    },

    /**
     * The supplier names a worker for a seat (a seat with a worker gets a replacement). The worker must be
     * the supplier's own (a lending enterprise's employee for shared staffing; an agency may also name an
     * independent worker from the registry), hold the skill at the required level, be an adult for night
     * shifts and heavy or licensed work, and have no overlapping shift anywhere on the exchange.
     */
    async assign(p: Principal, contractId: string, input: { seat: number; workerId: string }) {
      const w = await readableWorkflow(p, contractId);
      if (p.organisationId !== w.supplierId || (p.role !== "agency" && p.role !== "enterprise")) {
        throw new DomainError("forbidden", "only the contract's supplier names its workers");
      }
      if (!Number.isInteger(input.seat) || input.seat < 1 || input.seat > w.headcount) {
        throw invalidField("/body/seat", `the contract has seats 1 to ${w.headcount}`);
      }
      const worker = await repo.worker(input.workerId);
      if (worker === undefined) throw invalidField("/body/workerId", `worker ${input.workerId} does not exist`);
      if (w.shared) {
        if (worker.supplierId !== w.supplierId) {
          throw new DomainError("forbidden", "a shared-staffing contract is staffed only by the lending enterprise's own employees", { field: "/body/workerId" });
        }
      } else if (worker.supplierId !== null && worker.supplierId !== w.supplierId) {
        throw new DomainError("forbidden", "this worker belongs to another supplier", { field: "/body/workerId" });
      }
      const level = worker.skills.get(w.skillId);
      if (level === undefined) throw new DomainError("unprocessable", `the worker does not hold the skill ${w.skillId}`, { field: "/body/workerId", reason: "skill" });
      if (level < w.minCertificate) {
        throw new DomainError("unprocessable", `the order requires certificate level ${w.minCertificate} in ${w.skillId}; the worker holds ${level}`, {
          field: "/body/workerId",
          reason: "certificate",
        });
      }
      if (worker.birthDate !== null && ageOn(worker.birthDate, shanghaiDate(w.shiftStart)) < ADULT_AGE) {
        const refusal = juvenileRefusal(w.skillId, w.shiftStart, w.shiftEnd);
        if (refusal === "juvenile_night") {
          throw new DomainError("unprocessable", "a juvenile worker (under 18) may not work night shifts (22:00–06:00)", { field: "/body/workerId", reason: "juvenile_night" });
        }
        if (refusal === "juvenile_hazard") {
          throw new DomainError("unprocessable", `a juvenile worker (under 18) may not do ${w.skillId} work (hazardous, heavy or a licensed operation)`, {
            field: "/body/workerId",
            reason: "juvenile_hazard",
          });
        }
      }
      const shiftId = deps.newId("shf");
      let same = false;
      const result = await runtime.apply("contract", contractId, { type: "seat.assign", seat: input.seat, shiftId, workerId: input.workerId, at: now() } as never, {
        check: (m) => {
          if (m.kind !== "contract") return;
          const refusal = assignRefusal(m.snapshot.context, { type: "seat.assign", seat: input.seat, shiftId, workerId: input.workerId, at: now() });
          same = refusal === "same_worker";
          if (refusal === null || same) return;
          const c = m.snapshot.context;
          const messages: Record<string, string> = {
            staffing_closed: `staffing closed at ${shanghaiIso(c.staffingDeadlineAt)}`,
            no_such_seat: `the contract has seats 1 to ${c.headcount}`,
            seat_closed: "this seat is closed (refunded, settled or under dispute)",
            worker_on_another_seat: "this worker already holds another seat of this contract",
            shift_id_in_use: "try again",
          };
          throw new DomainError(refusal === "no_such_seat" ? "validation_failed" : "conflict", messages[refusal] ?? refusal, {
            field: refusal === "no_such_seat" || refusal === "seat_closed" ? "/body/seat" : "/body/workerId",
            reason: refusal,
          });
        },
      });
      await runtime.drain();
      if (!result.accepted && !same) throw new DomainError("conflict", `the contract is ${String(result.snapshot.value)}; the seat cannot be assigned now`);
      return workflowView((await repo.workflow(contractId))!);
    },

    /** The enterprise (free or with the late fee) or the supplier (refund, record marked) cancels before the start. */
    async cancel(p: Principal, contractId: string, reason: string | null) {
      const w = await readableWorkflow(p, contractId);
      if (p.organisationId === null || !isParty(p, w)) throw new DomainError("forbidden", "only a party to the contract cancels it");
      const by = p.organisationId === w.enterpriseId ? "enterprise" : "supplier";
      const result = await runtime.apply("contract", contractId, { type: `${by}.cancel`, reason, at: now() } as never);
      await runtime.drain();
      if (!result.accepted) {
        const state = String(result.snapshot.value);
        if (state === "cancelled") return workflowView((await repo.workflow(contractId))!);
        throw new DomainError("conflict", `the contract is ${state}: a contract can be cancelled only before its shift starts`, { field: "/params/id", state });
      }
      return workflowView((await repo.workflow(contractId))!);
    },

    /** An operator splits a disputed seat: `minutes` paid, the rest back to the enterprise; both parties see it. */
    async split(p: Principal, contractId: string, seat: number, input: { minutes: number; reason: string }) {
      if (p.role !== "operator") throw new DomainError("forbidden", "only an operator resolves a dispute");
      const w = await readableWorkflow(p, contractId);
      const event = { type: "dispute.resolve" as const, seat, minutes: input.minutes, reason: input.reason.trim(), operatorId: p.callerId, at: now() };
      let alreadySplit = false;
      const result = await runtime.apply("contract", contractId, event, {
        check: (m) => {
          if (m.kind !== "contract") return;
          const refusal = splitRefusal(m.snapshot.context, event);
          const s = m.snapshot.context.seats[seat - 1];
          alreadySplit = refusal === "not_disputed" && s?.outcome?.kind === "settled" && s.outcome.basis === "dispute_split";
          if (refusal === null || alreadySplit) return;
          const field = refusal === "minutes_out_of_range" ? "/body/minutes" : refusal === "reason_required" ? "/body/reason" : "/params/seat";
          const message: Record<string, string> = {
            no_such_seat: `the contract has seats 1 to ${w.headcount}`,
            not_disputed: "this seat is not under dispute",
            minutes_out_of_range: `minutes must be 0 to ${w.paidMinutes}`,
            reason_required: "a reason is required",
          };
          throw new DomainError(refusal === "not_disputed" ? "conflict" : "validation_failed", message[refusal] ?? refusal, { field, reason: refusal });
        },
      });
      await runtime.drain();
      if (!result.accepted && !alreadySplit) throw new DomainError("conflict", "the seat could not be split now");
      return workflowView((await repo.workflow(contractId))!);
    },

    /** The disputes queue: seats under dispute, earliest shift first (operators split them; regulators read). */
    async disputes(p: Principal, page: { limit?: number; cursor?: string }) {
      if (!canReadAll(p)) throw new DomainError("forbidden", "the disputes queue is the operators'");
      const limit = page.limit ?? 100;
      const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, ["t", "id"]);
      const rows = await repo.disputedShifts(after === undefined ? undefined : { at: Number(after.t), id: after.id }, limit + 1);
      const views = await shiftViews(rows);
      return pageOf(rows.map((r, i) => ({ row: r, view: views[i]! })), limit, (x) => x.view, (x) => ({ t: String(x.row.shiftStart), id: x.row.shiftId }));
    },

    /** A contract's shifts (timesheets): its parties, operators and regulators. */
    async contractShifts(p: Principal, contractId: string) {
      await readableWorkflow(p, contractId);
      return { items: await shiftViews(await repo.shiftsOfContract(contractId)) };
    },

    /** The caller's own shifts (workers), latest first. */
    async myShifts(p: Principal, page: { limit?: number; cursor?: string }) {
      if (p.role !== "worker" || p.workerId === null) throw new DomainError("forbidden", "shifts are listed for workers; organisations read a contract's shifts");
      const limit = page.limit ?? 100;
      const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor, ["t", "id"]);
      const rows = await repo.shiftsOfWorker(p.workerId, before === undefined ? undefined : { start: Number(before.t), id: before.id ?? "" }, limit + 1);
      const views = await shiftViews(rows);
      return pageOf(views, limit, (v) => v, (v) => ({ t: String(new Date(v.shiftStart).getTime()), id: v.shiftId }));
    },

    async shift(p: Principal, shiftId: string) {
      await readableShift(p, shiftId);
      return shiftView(shiftId);
    },

    confirm: (p: Principal, shiftId: string) =>
      onShift(p, shiftId, "worker", "be confirmed", (_c, at) => ({ type: "shift.confirm", at }), (s) => s === "confirmed" || s === "checkedIn" || s === "checkedOut",
        (c, at) => (c.confirmedAt === null && at >= c.confirmDeadlineAt ? `the confirmation deadline passed at ${shanghaiIso(c.confirmDeadlineAt)}` : null)),

    decline: (p: Principal, shiftId: string, reason: string | null) =>
      onShift(p, shiftId, "worker", "be declined", (_c, at) => ({ type: "shift.decline", reason, at } as never), (s) => s === "declined"),

    /** Check-in with the site's current code; a position outside the site's fence is kept, flagged, with a warning. */
    async checkIn(p: Principal, shiftId: string, input: { code: string; latitude?: number; longitude?: number }) {
      const s = await readableShift(p, shiftId);
      owns(p, s, "worker");
      if (!codeMatches(deps.codeSecret, s.enterpriseId, now(), input.code.trim())) {
        throw invalidField("/body/code", "this is not the site's current check-in code; read the code on the site's screen again");
      }
      const fence = (await repo.site(s.enterpriseId)).fence;
      let outside = false;
      let distance = 0;
      if (fence !== null && (input.latitude !== undefined || input.longitude !== undefined)) {
        const lat = microDegrees(input.latitude ?? NaN, 90);
        const lon = microDegrees(input.longitude ?? NaN, 180);
        if (lat === null || lon === null) throw invalidField(input.latitude === undefined ? "/body/latitude" : "/body/longitude", "send both latitude and longitude, or neither");
        distance = distanceMetres(fence.latitudeE6, fence.longitudeE6, lat, lon);
        outside = distance > fence.radiusM;
      }
      const view = await onShift(p, shiftId, "worker", "be checked in", (_c, at) => ({ type: "shift.checkIn", outsideGeofence: outside, at } as never),
        (st) => st === "checkedIn" || st === "checkedOut",
        (c, at) => (c.confirmedAt === null ? "confirm the shift before checking in" : at >= c.noShowAt ? `check-in closed at ${shanghaiIso(c.noShowAt)}` : null));
      if (outside && view.checkIn?.outsideGeofence) {
        return { ...view, warning: `your position is about ${Math.round(distance)} m from the site, outside its ${fence!.radiusM} m fence: the check-in is kept, flagged, for the enterprise to accept` };
      }
      return view;
    },

    async checkOut(p: Principal, shiftId: string, input: { code: string }) {
      const s = await readableShift(p, shiftId);
      owns(p, s, "worker");
      if (!codeMatches(deps.codeSecret, s.enterpriseId, now(), input.code.trim())) {
        throw invalidField("/body/code", "this is not the site's current check-in code; read the code on the site's screen again");
      }
      return onShift(p, shiftId, "worker", "be checked out", (_c, at) => ({ type: "shift.checkOut", at }), (st) => st === "checkedOut" || st === "approved" || st === "disputed" || st === "resolved");
    },

    async approve(p: Principal, shiftId: string, input: { checkOutAt?: string }) {
      let checkOutAt: number | null = null;
      if (input.checkOutAt !== undefined) {
        checkOutAt = new Date(input.checkOutAt).getTime();
        if (!Number.isSafeInteger(checkOutAt)) throw invalidField("/body/checkOutAt", "not a date-time");
      }
      return onShift(p, shiftId, "enterprise", "be approved", (_c, at) => ({ type: "shift.approve", checkOutAt, at } as never), (s) => s === "approved",
        (c) => (c.checkIn !== null && c.checkOut === null && checkOutAt === null ? "the worker did not check out: name the check-out time (checkOutAt) to approve" : null));
    },

    dispute: (p: Principal, shiftId: string, input: { reason: string; proposedMinutes?: number }) => {
      if (input.reason.trim() === "") throw invalidField("/body/reason", "a reason is required");
      return onShift(p, shiftId, "enterprise", "be disputed", (_c, at) => ({ type: "shift.dispute", reason: input.reason.trim(), proposedMinutes: input.proposedMinutes ?? null, at } as never),
        (s) => s === "disputed");
    },

    acceptCheckIn: (p: Principal, shiftId: string) =>
      onShift(p, shiftId, "enterprise", "have its check-in accepted", (_c, at) => ({ type: "shift.acceptCheckIn", at }), () => false,
        (c) => (c.checkIn !== null && c.checkIn.accepted ? null : c.checkIn === null ? "the worker has not checked in" : null)),

    /** The site's current check-in code (enterprises), to show on a screen at the gate and as a QR code. */
    async siteCode(p: Principal) {
      if (p.role !== "enterprise" || p.organisationId === null) throw new DomainError("forbidden", "the check-in code is shown by an enterprise at its site");
      const c = currentCode(deps.codeSecret, p.organisationId, now());
      const fence = (await repo.site(p.organisationId)).fence;
      return {
        enterpriseId: p.organisationId,
        code: c.code,
        validUntil: shanghaiIso(c.validUntil),
        periodSeconds: CODE_PERIOD_MS / 1000,
        secondsLeft: Math.ceil((c.validUntil - now()) / 1000),
        fence: fence === null ? null : { latitude: fence.latitudeE6 / 1e6, longitude: fence.longitudeE6 / 1e6, radiusM: fence.radiusM },
      };
    },

    /** Sets (or removes) the site's geofence. */
    async setSite(p: Principal, input: { fence: { latitude: number; longitude: number; radiusM: number } | null }) {
      if (p.role !== "enterprise" || p.organisationId === null) throw new DomainError("forbidden", "an enterprise sets its own site");
      const f = input.fence;
      await repo.setSite(
        { enterpriseId: p.organisationId, fence: f === null ? null : { latitudeE6: microDegrees(f.latitude, 90)!, longitudeE6: microDegrees(f.longitude, 180)!, radiusM: f.radiusM } },
        now(),
      );
      return this.siteCode(p);
    },

    /** Earnings per shift: a worker's own (whoever was paid), a supplier's (agency or lending enterprise), newest first. */
    async earnings(p: Principal, page: { limit?: number; cursor?: string }) {
      const limit = page.limit ?? 100;
      const c = page.cursor === undefined ? undefined : decodeCursor(page.cursor, ["t", "id"]);
      const before = c === undefined ? undefined : { at: Number(c.t), id: c.id ?? "" };
      let rows: SettlementRow[];
      if (p.role === "worker" && p.workerId !== null) rows = await repo.earnings({ workerId: p.workerId }, before, limit + 1);
      else if ((p.role === "agency" || p.role === "enterprise") && p.organisationId !== null) rows = await repo.earnings({ supplierId: p.organisationId }, before, limit + 1);
      else throw new DomainError("forbidden", "earnings are shown to workers and suppliers");
      return pageOf(
        rows,
        limit,
        (s) => ({
          contractId: s.contractId,
          seat: s.seat,
          shiftId: s.shiftId,
          workerId: s.workerId,
          kind: s.kind,
          minutes: s.minutes,
          basis: s.basis,
          reason: s.reason,
          wageFen: fenToJsonNumber(s.wageFen),
          taxFen: fenToJsonNumber(s.taxFen),
          netFen: fenToJsonNumber(s.wageFen - s.taxFen),
          wage: fenToYuan(s.wageFen - s.taxFen),
          payeeAccountId: s.payeeAccountId,
          settledAt: shanghaiIso(s.settledAt),
        }),
        (s) => ({ t: String(s.settledAt), id: s.id }),
      );
    },

    /** The caller's notifications (workers; organisations as enterprise or supplier), newest first. */
    async notifications(p: Principal, page: { limit?: number; cursor?: string }) {
      const limit = page.limit ?? 100;
      const c = page.cursor === undefined ? undefined : decodeCursor(page.cursor, ["t", "id"]);
      const before = c === undefined ? undefined : { at: Number(c.t), id: c.id ?? "" };
      const [recipient, id] =
        p.role === "worker" && p.workerId !== null ? ["worker", p.workerId] : p.role === "enterprise" && p.organisationId !== null ? ["enterprise", p.organisationId] : p.organisationId !== null ? ["supplier", p.organisationId] : [null, null];
      if (recipient === null || id === null) throw new DomainError("forbidden", "notifications are for workers and organisations");
      const rows = await repo.notifications(recipient, id, before, limit + 1);
      return pageOf(rows, limit, (n) => ({ id: n.id, kind: n.kind, contractId: n.contractId, shiftId: n.shiftId, seat: n.seat, at: shanghaiIso(n.createdAt) }), (n) => ({ t: String(n.createdAt), id: n.id }));
    },

    /** Problems for the ledger verification: every closed contract's escrow must stand at zero. */
    closedEscrowProblems: () => closedEscrowProblems(repo),

    /** The market of a contract (for labels), or null. */
    marketOf: (market: string) => {
      const m = parseMarketId(market);
      return m.ok ? m.value : null;
    },
  };
}
export type ContractsService = ReturnType<typeof createContractsService>;
