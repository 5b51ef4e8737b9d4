/**
 * Both machines together, driven the way the runtime will drive them: every
 * step through `step*` (JSON snapshots), effects through an outbox, deadlines
 * as durable timers from `dueTimers` (XState's own timers inert), and the
 * whole state restartable from its dump at any point.
 */
import { describe, expect, it } from "vitest";
import { MemoryRuntime } from "./memory-runtime";
import { startContract, startWorkerShift, stepContract, stepWorkerShift, type PersistedContract, type PersistedWorkerShift } from "./step";
import { AUTO_APPROVE_AT, CONFIRM_DEADLINE, HOUR, MIN, NO_SHOW_AT, PAID_MINUTES, SETTINGS, SHIFT_END, SHIFT_START, STAFFING_DEADLINE } from "./test-support";
import type { ContractEvent, ContractInput, Effect, SeatMoneyEffect, WorkerShiftEvent, WorkerShiftInput } from "./types";

const C = "ctr_1";

function open(headcount = 2): MemoryRuntime {
  const rt = MemoryRuntime.empty(SHIFT_START - 72 * HOUR);
  rt.startContract({
    contractId: C,
    enterpriseId: "org_ent",
    supplierId: "org_sup",
    headcount,
    shiftStart: SHIFT_START,
    shiftEnd: SHIFT_END,
    paidMinutes: PAID_MINUTES,
    settings: SETTINGS,
  });
  return rt;
}

const assign = (rt: MemoryRuntime, seat: number, shiftId: string, workerId = `wrk_${shiftId}`) =>
  rt.contract(C, { type: "seat.assign", seat, shiftId, workerId });
const value = (rt: MemoryRuntime, id: string) => rt.snapshot(id).value;
const money = (rt: MemoryRuntime) => rt.external().filter((e): e is SeatMoneyEffect => e.type.startsWith("ledger."));

/** What must hold once a contract is closed, whatever the path. */
function expectClosedCleanly(rt: MemoryRuntime, headcount: number, outcome: "settled" | "resolved" | "cancelled"): void {
  const contract = rt.snapshot<PersistedContract>(C);
  expect(contract.status).toBe("done");
  expect(contract.value).toBe(outcome);
  // Every seat's escrow left through exactly one effect.
  const bySeat = money(rt).map((e) => e.seat).sort((a, b) => a - b);
  expect(bySeat).toEqual(Array.from({ length: headcount }, (_, i) => i + 1));
  expect(money(rt).every((e) => e.id === `${C}:seat:${e.seat}:escrow`)).toBe(true);
  expect(rt.external().filter((e) => e.type === "contract.closed")).toEqual([{ id: `${C}:closed`, type: "contract.closed", contractId: C, outcome }]);
  // Every worker-shift reached an end, and nothing waits on a timer any more.
  for (const id of rt.machines("shift")) expect(rt.snapshot(id).status, `${id} is ${String(rt.snapshot(id).value)}`).toBe("done");
  expect(rt.timers()).toEqual([]);
  expect(rt.pendingEffects()).toEqual([]);
  // Each stored snapshot is exactly the replay of its input and event log.
  for (const id of [C, ...rt.machines("shift")]) expect(replay(rt, id)).toEqual(rt.snapshot(id));
}

function replay(rt: MemoryRuntime, id: string): unknown {
  if (id === C) {
    let s = startContract(rt.input<ContractInput>(id)).snapshot;
    for (const e of rt.log(id)) s = stepContract(s, e as ContractEvent).snapshot;
    return s;
  }
  let s = startWorkerShift(rt.input<WorkerShiftInput>(id)).snapshot;
  for (const e of rt.log(id)) s = stepWorkerShift(s, e as WorkerShiftEvent).snapshot;
  return s;
}

/** The straight path as steps, so it can run with and without restarts. */
const straightPath: ((rt: MemoryRuntime) => void)[] = [
  (rt) => expect(assign(rt, 1, "shf_a")).toBe(true),
  (rt) => expect(assign(rt, 2, "shf_b")).toBe(true),
  (rt) => rt.advanceTo(SHIFT_START - 24 * HOUR),
  (rt) => expect(rt.shift("shf_a", { type: "shift.confirm" })).toBe(true),
  (rt) => expect(rt.shift("shf_b", { type: "shift.confirm" })).toBe(true),
  (rt) => rt.advanceTo(SHIFT_START - 5 * MIN),
  (rt) => expect(rt.shift("shf_a", { type: "shift.checkIn", outsideGeofence: false })).toBe(true),
  (rt) => expect(rt.shift("shf_b", { type: "shift.checkIn", outsideGeofence: true })).toBe(true),
  (rt) => expect(rt.shift("shf_b", { type: "shift.acceptCheckIn" })).toBe(true),
  (rt) => rt.advanceTo(SHIFT_START + 7 * HOUR + 40 * MIN),
  (rt) => expect(rt.shift("shf_a", { type: "shift.checkOut" })).toBe(true),
  (rt) => rt.advanceTo(SHIFT_END + 5 * MIN),
  (rt) => expect(rt.shift("shf_b", { type: "shift.checkOut" })).toBe(true),
  (rt) => rt.advanceTo(SHIFT_END + 2 * HOUR),
  (rt) => expect(rt.shift("shf_a", { type: "shift.approve", checkOutAt: null })).toBe(true),
  (rt) => rt.advanceTo(AUTO_APPROVE_AT + HOUR), // shf_b: silence approves
];

describe("lifecycle through the runtime loop", () => {
  it("order → fill → assign → confirm → check in → check out → approve (and auto-approve) → settled", () => {
    const rt = open();
    straightPath[0]!(rt);
    expect(value(rt, C)).toBe("staffing");
    expect(value(rt, "shf_a")).toBe("assigned");
    for (const step of straightPath.slice(1, 5)) step(rt);
    expect(value(rt, C)).toBe("ready");
    for (const step of straightPath.slice(5)) step(rt);

    expectClosedCleanly(rt, 2, "settled");
    expect(money(rt)).toEqual([
      expect.objectContaining({ type: "ledger.settleSeat", seat: 1, shiftId: "shf_a", workerId: "wrk_shf_a", minutes: 450, basis: "approved" }),
      expect.objectContaining({ type: "ledger.settleSeat", seat: 2, shiftId: "shf_b", workerId: "wrk_shf_b", minutes: 480, basis: "auto_approved" }),
    ]);
    expect(rt.snapshot<PersistedWorkerShift>("shf_b").context.checkIn).toMatchObject({ outsideGeofence: true, accepted: true });
    const kinds = rt.external().filter((e) => e.type === "notify" && e.to === "worker").map((e) => (e.type === "notify" ? `${e.shiftId}:${e.kind}` : ""));
    expect(kinds).toEqual(["shf_a:shift_offered", "shf_b:shift_offered", "shf_a:hours_approved", "shf_b:hours_auto_approved"]);
  });

  it("reaches the same end, effect for effect, when the process restarts after every step", () => {
    const plain = open();
    for (const step of straightPath) step(plain);

    let rt = open();
    for (const step of straightPath) {
      step(rt);
      rt = MemoryRuntime.restore(rt.dump());
    }
    expect(rt.external()).toEqual(plain.external());
    for (const id of [C, "shf_a", "shf_b"]) {
      expect(rt.snapshot(id)).toEqual(plain.snapshot(id));
      expect(rt.version(id)).toBe(plain.version(id));
    }
  });

  it("a timer or a message delivered twice, or an effect run again after a crash, changes nothing", () => {
    const rt = open();
    for (const step of straightPath.slice(0, 10)) step(rt);
    expect(value(rt, C)).toBe("inProgress");
    const versions = [C, "shf_a", "shf_b"].map((id) => rt.version(id));

    // Timers fired again (a second runtime instance, or a retry after a crash).
    expect(rt.fireAgain(C, { type: "deadline.start", at: SHIFT_START })).toBe(false);
    expect(rt.fireAgain("shf_a", { type: "deadline.noShow", at: NO_SHOW_AT })).toBe(false);
    expect(rt.fireAgain(C, { type: "deadline.staffing", at: STAFFING_DEADLINE })).toBe(false);
    // Messages between the machines delivered again, and a shift created again.
    rt.rerun({
      id: "shf_a:report:seat.confirmed",
      type: "contract.send",
      contractId: C,
      event: { type: "seat.confirmed", seat: 1, shiftId: "shf_a", at: SHIFT_START - 24 * HOUR },
    });
    rt.rerun({ id: `${C}:seat:1:assignment:1`, type: "shift.create", input: rt.input<WorkerShiftInput>("shf_a") });
    expect([C, "shf_a", "shf_b"].map((id) => rt.version(id))).toEqual(versions);
    expect(rt.ignored().map((i) => i.machineId)).toEqual([C, "shf_a", C, C]);

    for (const step of straightPath.slice(10)) step(rt);
    expectClosedCleanly(rt, 2, "settled");
    const settled = money(rt);
    // A settlement run again with the same body is the same posting; the ledger keeps one.
    for (const e of settled) rt.rerun(e);
    expect(money(rt)).toEqual(settled);
  });

  it("decline and replace: the seat is reopened, restaffed, worked and settled", () => {
    const rt = open(1);
    assign(rt, 1, "shf_a");
    rt.advanceTo(SHIFT_START - 30 * HOUR);
    rt.shift("shf_a", { type: "shift.decline", reason: "ill" });
    expect(value(rt, C)).toBe("staffing");
    expect(rt.external().map((e) => e.id)).toContain(`${C}:seat:1:notify:supplier:seat_declined`);
    assign(rt, 1, "shf_c");
    rt.shift("shf_c", { type: "shift.confirm" });
    expect(value(rt, C)).toBe("ready");
    rt.advanceTo(SHIFT_START);
    rt.shift("shf_c", { type: "shift.checkIn", outsideGeofence: false });
    rt.advanceTo(SHIFT_START + 4 * HOUR);
    rt.shift("shf_c", { type: "shift.checkOut" });
    rt.shift("shf_c", { type: "shift.approve", checkOutAt: null });
    rt.advanceTo(SHIFT_END);
    expectClosedCleanly(rt, 1, "settled");
    expect(value(rt, "shf_a")).toBe("declined");
    expect(money(rt)).toEqual([expect.objectContaining({ type: "ledger.settleSeat", shiftId: "shf_c", minutes: 240 })]);
  });

  it("a confirmed worker replaced before the staffing deadline is told, and the new one works the seat", () => {
    const rt = open(1);
    assign(rt, 1, "shf_a");
    rt.shift("shf_a", { type: "shift.confirm" });
    assign(rt, 1, "shf_c");
    expect(value(rt, "shf_a")).toBe("replaced");
    expect(value(rt, C)).toBe("confirming");
    rt.shift("shf_c", { type: "shift.confirm" });
    rt.advanceTo(SHIFT_START + 10 * MIN);
    rt.shift("shf_c", { type: "shift.checkIn", outsideGeofence: false });
    rt.advanceTo(AUTO_APPROVE_AT);
    expectClosedCleanly(rt, 1, "settled");
    expect(money(rt)).toEqual([expect.objectContaining({ shiftId: "shf_c", minutes: 480, basis: "auto_approved" })]); // 08:10 → 17:00 is 8 h 50, capped at the paid 8 h
  });

  it("no-show: the seat is refunded to the enterprise and the supplier's record is marked", () => {
    const rt = open();
    assign(rt, 1, "shf_a");
    assign(rt, 2, "shf_b");
    rt.shift("shf_a", { type: "shift.confirm" });
    rt.shift("shf_b", { type: "shift.confirm" });
    rt.advanceTo(SHIFT_START);
    rt.shift("shf_a", { type: "shift.checkIn", outsideGeofence: false });
    rt.advanceTo(NO_SHOW_AT);
    expect(value(rt, "shf_b")).toBe("noShow");
    rt.advanceTo(SHIFT_END);
    rt.shift("shf_a", { type: "shift.checkOut" });
    rt.shift("shf_a", { type: "shift.approve", checkOutAt: null });
    expectClosedCleanly(rt, 2, "settled");
    expect(money(rt).map((e) => [e.seat, e.type, e.type === "ledger.refundSeat" ? e.reason : e.type === "ledger.settleSeat" ? e.minutes : null])).toEqual([
      [2, "ledger.refundSeat", "no_show"],
      [1, "ledger.settleSeat", 480],
    ]);
    expect(rt.external().filter((e) => e.type === "trust.record").map((e) => e.id)).toEqual([
      `${C}:seat:2:trust:supplier:no_show`,
      `${C}:seat:1:trust:supplier:shift_completed`,
    ]);
  });

  it("a worker who never confirms lapses at the confirmation deadline; an empty seat is refunded at the staffing deadline", () => {
    const rt = open(3);
    assign(rt, 1, "shf_a");
    assign(rt, 2, "shf_b");
    rt.shift("shf_a", { type: "shift.confirm" });
    rt.advanceTo(STAFFING_DEADLINE);
    expect(money(rt).map((e) => [e.seat, e.type === "ledger.refundSeat" ? e.reason : ""])).toEqual([[3, "unfilled"]]);
    rt.advanceTo(CONFIRM_DEADLINE);
    expect(value(rt, "shf_b")).toBe("lapsed");
    expect(rt.shift("shf_b", { type: "shift.confirm" })).toBe(false);
    rt.advanceTo(SHIFT_START);
    rt.shift("shf_a", { type: "shift.checkIn", outsideGeofence: false });
    rt.advanceTo(AUTO_APPROVE_AT);
    expectClosedCleanly(rt, 3, "settled");
    expect(money(rt).map((e) => [e.seat, e.type === "ledger.refundSeat" ? e.reason : e.type])).toEqual([
      [3, "unfilled"],
      [2, "unconfirmed"],
      [1, "ledger.settleSeat"],
    ]);
  });

  it("late cancellation by the enterprise: the fee per staffed seat, the workers told, the enterprise marked", () => {
    const rt = open();
    assign(rt, 1, "shf_a");
    assign(rt, 2, "shf_b");
    rt.shift("shf_a", { type: "shift.confirm" });
    rt.advanceTo(SHIFT_START - 3 * HOUR);
    expect(rt.contract(C, { type: "enterprise.cancel", reason: "weather" })).toBe(true);
    expectClosedCleanly(rt, 2, "cancelled");
    expect(money(rt)).toEqual([
      { id: `${C}:seat:1:escrow`, type: "ledger.lateCancelSeat", contractId: C, seat: 1, feeMinutes: 240 },
      { id: `${C}:seat:2:escrow`, type: "ledger.lateCancelSeat", contractId: C, seat: 2, feeMinutes: 240 },
    ]);
    expect(value(rt, "shf_a")).toBe("cancelled");
    expect(value(rt, "shf_b")).toBe("cancelled");
    expect(rt.external().map((e) => e.id)).toEqual(expect.arrayContaining([`${C}:trust:enterprise:late_cancellation`, "shf_a:notify:worker:shift_cancelled"]));
  });

  it("cancellation by the supplier: every seat refunded, the supplier marked", () => {
    const rt = open();
    assign(rt, 1, "shf_a");
    rt.advanceTo(SHIFT_START - 10 * HOUR);
    expect(rt.contract(C, { type: "supplier.cancel", reason: null })).toBe(true);
    expectClosedCleanly(rt, 2, "cancelled");
    expect(money(rt).map((e) => (e.type === "ledger.refundSeat" ? e.reason : e.type))).toEqual(["supplier_cancelled", "supplier_cancelled"]);
    expect(rt.external().map((e) => e.id)).toContain(`${C}:trust:supplier:supplier_cancelled`);
  });

  it("dispute and split: the seat's funds wait for the operator, whose split settles it and reaches the worker", () => {
    const rt = open(1);
    assign(rt, 1, "shf_a");
    rt.shift("shf_a", { type: "shift.confirm" });
    rt.advanceTo(SHIFT_START + 20 * MIN);
    rt.shift("shf_a", { type: "shift.checkIn", outsideGeofence: false });
    rt.advanceTo(SHIFT_END);
    rt.shift("shf_a", { type: "shift.checkOut" });
    rt.shift("shf_a", { type: "shift.dispute", reason: "arrived 09:30 by the gate log", proposedMinutes: 390 });
    expect(value(rt, C)).toBe("disputed");
    expect(money(rt)).toEqual([]);
    rt.advanceTo(AUTO_APPROVE_AT + 24 * HOUR); // no auto-approval for a disputed seat
    expect(money(rt)).toEqual([]);
    expect(rt.contract(C, { type: "dispute.resolve", seat: 1, minutes: 420, reason: "gate log, less the grace", operatorId: "op_1" })).toBe(true);
    expectClosedCleanly(rt, 1, "resolved");
    expect(money(rt)).toEqual([expect.objectContaining({ basis: "dispute_split", minutes: 420, operatorId: "op_1", reason: "gate log, less the grace" })]);
    expect(rt.snapshot<PersistedWorkerShift>("shf_a").context.paid).toMatchObject({ minutes: 420, basis: "dispute_split" });
  });

  it("a missing check-out is resolved by the enterprise at approval", () => {
    const rt = open(1);
    assign(rt, 1, "shf_a");
    rt.shift("shf_a", { type: "shift.confirm" });
    rt.advanceTo(SHIFT_START);
    rt.shift("shf_a", { type: "shift.checkIn", outsideGeofence: false });
    rt.advanceTo(SHIFT_END + 3 * HOUR);
    expect(rt.shift("shf_a", { type: "shift.approve", checkOutAt: null })).toBe(false);
    expect(rt.shift("shf_a", { type: "shift.approve", checkOutAt: SHIFT_START + 6 * HOUR })).toBe(true);
    expectClosedCleanly(rt, 1, "settled");
    expect(money(rt)).toEqual([expect.objectContaining({ minutes: 360, basis: "approved" })]);
  });

  it("nobody named: the contract is cancelled at the staffing deadline with every seat refunded", () => {
    const rt = open(3);
    rt.advanceTo(SHIFT_START);
    expectClosedCleanly(rt, 3, "cancelled");
    expect(money(rt).every((e) => e.type === "ledger.refundSeat" && e.reason === "unfilled")).toBe(true);
  });

  it("never runs two effects under one id across a whole eventful contract", () => {
    const rt = open(3);
    assign(rt, 1, "shf_a");
    assign(rt, 2, "shf_b");
    assign(rt, 3, "shf_c");
    rt.shift("shf_c", { type: "shift.decline", reason: null });
    assign(rt, 3, "shf_d");
    for (const id of ["shf_a", "shf_b", "shf_d"]) rt.shift(id, { type: "shift.confirm" });
    rt.advanceTo(SHIFT_START);
    rt.shift("shf_a", { type: "shift.checkIn", outsideGeofence: false });
    rt.shift("shf_d", { type: "shift.checkIn", outsideGeofence: true });
    rt.advanceTo(SHIFT_END);
    rt.shift("shf_a", { type: "shift.checkOut" });
    rt.shift("shf_d", { type: "shift.dispute", reason: "outside the site", proposedMinutes: 0 });
    rt.advanceTo(AUTO_APPROVE_AT);
    rt.contract(C, { type: "dispute.resolve", seat: 3, minutes: 240, reason: "half", operatorId: "op_2" });
    expectClosedCleanly(rt, 3, "resolved");
    const all: Effect[] = rt.external();
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(rt.ignored()).toEqual([]);
  });
});
