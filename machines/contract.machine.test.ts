import { describe, expect, it } from "vitest";
import {
  assignRefusal,
  contractDeadlines,
  contractDueTimers,
  contractMachine,
  contractSettingsProblems,
  splitRefusal,
  type ContractContext,
} from "./contract.machine";
import {
  CONFIRM_DEADLINE,
  Coverage,
  HOUR,
  Harness,
  MIN,
  NO_SHOW_AT,
  PAID_MINUTES,
  SETTINGS,
  SHIFT_END,
  SHIFT_START,
  STAFFING_DEADLINE,
  AUTO_APPROVE_AT,
  contractInput,
  ids,
  restored,
} from "./test-support";
import type { ContractInput, Effect } from "./types";

const coverage = new Coverage(contractMachine);

/** A live contract with seat helpers; every step checks XState's pending delays against `contractDueTimers`. */
class ContractHarness extends Harness<ContractContext> {
  constructor(overrides: Partial<ContractInput>) {
    super(coverage.machine, contractInput(overrides), coverage, contractDueTimers);
  }
  assign(seat: number, n = 1): this {
    return this.send({ type: "seat.assign", seat, shiftId: `shf_${seat}_${n}`, workerId: `wrk_${seat}_${n}` });
  }
  report(type: string, seat: number, n = 1, extra: Record<string, unknown> = {}): this {
    return this.send({ type, seat, shiftId: `shf_${seat}_${n}`, ...extra });
  }
  seat(n: number) {
    return this.context.seats[n - 1];
  }
}

function contract(overrides: Partial<ContractInput> = {}): ContractHarness {
  return new ContractHarness(overrides);
}

/** Both seats named and confirmed: the contract is ready. */
function readyContract(overrides: Partial<ContractInput> = {}) {
  const h = contract(overrides).assign(1).assign(2).report("seat.confirmed", 1).report("seat.confirmed", 2);
  expect(h.value).toBe("ready");
  h.take();
  return h;
}

const moneyOf = (effects: readonly Effect[]) => effects.filter((e) => e.type.startsWith("ledger."));

describe("contract machine: the straight path", () => {
  it("staffs, confirms, starts at the shift start, ends at the shift end and settles each seat once", () => {
    const h = contract();
    expect(h.value).toBe("staffing");
    expect(h.context.staffingDeadlineAt).toBe(STAFFING_DEADLINE);
    expect(h.context.confirmDeadlineAt).toBe(CONFIRM_DEADLINE);

    h.assign(1);
    expect(h.value).toBe("staffing"); // seat 2 still open
    const [create] = h.take();
    expect(create).toEqual({
      id: "ctr_1:seat:1:assignment:1",
      type: "shift.create",
      input: {
        shiftId: "shf_1_1",
        contractId: "ctr_1",
        seat: 1,
        workerId: "wrk_1_1",
        enterpriseId: "org_ent",
        supplierId: "org_sup",
        shiftStart: SHIFT_START,
        shiftEnd: SHIFT_END,
        paidMinutes: PAID_MINUTES,
        confirmDeadlineAt: CONFIRM_DEADLINE,
        noShowGraceMs: SETTINGS.noShowGraceMs,
        approvalWindowMs: SETTINGS.approvalWindowMs,
        hoursRule: SETTINGS.hoursRule,
        at: h.clock.now(),
      },
    });

    h.assign(2);
    expect(h.value).toBe("confirming");
    h.report("seat.confirmed", 1);
    expect(h.value).toBe("confirming"); // seat 2 not yet
    h.report("seat.confirmed", 2);
    expect(h.value).toBe("ready");
    h.take();

    h.at(SHIFT_START - 1);
    expect(h.value).toBe("ready");
    h.at(SHIFT_START);
    expect(h.value).toBe("inProgress");

    h.at(SHIFT_START + 6 * HOUR).report("seat.approved", 1, 1, { minutes: 360, basis: "approved" });
    expect(h.value).toBe("inProgress");
    h.at(SHIFT_END - 1);
    expect(h.value).toBe("inProgress");
    h.at(SHIFT_END);
    expect(h.value).toBe("awaitingApproval");
    h.at(SHIFT_END + 24 * HOUR).report("seat.approved", 2, 1, { minutes: 465, basis: "auto_approved" });
    expect(h.value).toBe("settled");
    expect(h.status).toBe("done");

    const effects = h.take();
    expect(moneyOf(effects)).toEqual([
      {
        id: "ctr_1:seat:1:escrow",
        type: "ledger.settleSeat",
        contractId: "ctr_1",
        seat: 1,
        shiftId: "shf_1_1",
        workerId: "wrk_1_1",
        minutes: 360,
        basis: "approved",
        reason: null,
        operatorId: null,
      },
      {
        id: "ctr_1:seat:2:escrow",
        type: "ledger.settleSeat",
        contractId: "ctr_1",
        seat: 2,
        shiftId: "shf_2_1",
        workerId: "wrk_2_1",
        minutes: 465,
        basis: "auto_approved",
        reason: null,
        operatorId: null,
      },
    ]);
    expect(ids(effects)).toEqual([
      "ctr_1:seat:1:escrow",
      "ctr_1:seat:1:trust:supplier:shift_completed",
      "ctr_1:seat:2:escrow",
      "ctr_1:seat:2:trust:supplier:shift_completed",
      "ctr_1:closed",
      "ctr_1:notify:enterprise:contract_settled",
      "ctr_1:notify:supplier:contract_settled",
    ]);
    expect(effects.find((e) => e.type === "contract.closed")).toEqual({ id: "ctr_1:closed", type: "contract.closed", contractId: "ctr_1", outcome: "settled" });
    expect(contractDueTimers(h.actor.getSnapshot())).toEqual([]);
  });

  it("ignores a deadline event that arrives before its deadline, in every waiting state", () => {
    const h = contract();
    expect(h.actor.getSnapshot().can({ type: "deadline.staffing", at: STAFFING_DEADLINE - 1 })).toBe(false);
    h.send({ type: "deadline.staffing", at: STAFFING_DEADLINE - 1 });
    expect(h.value).toBe("staffing");
    expect(h.context.seats.every((s) => s.status === "open")).toBe(true);

    h.assign(1).assign(2);
    h.send({ type: "deadline.confirm", at: CONFIRM_DEADLINE - 1 });
    expect(h.value).toBe("confirming");
    h.report("seat.confirmed", 1).report("seat.confirmed", 2);
    h.send({ type: "deadline.start", at: SHIFT_START - 1 });
    expect(h.value).toBe("ready");
    h.at(SHIFT_START);
    h.send({ type: "deadline.end", at: SHIFT_END - 1 });
    expect(h.value).toBe("inProgress");
    expect(moneyOf(h.take())).toEqual([]);
  });

  it("accepts a deadline event from the runtime's durable timer (as dueTimers lists it) exactly like its own delay", () => {
    const h = contract();
    const [timer] = contractDueTimers(h.actor.getSnapshot());
    expect(timer).toEqual({
      id: "ctr_1:timer:deadline.staffing",
      machineId: "ctr_1",
      dueAt: STAFFING_DEADLINE,
      event: { type: "deadline.staffing", at: STAFFING_DEADLINE },
    });
    // The runtime sends it (its clock may be past the due time); the machine's own delay is then obsolete.
    h.send(timer!.event);
    expect(h.value).toBe("cancelled");
    expect(moneyOf(h.take()).map((e) => [e.id, e.type, "reason" in e ? e.reason : null])).toEqual([
      ["ctr_1:seat:1:escrow", "ledger.refundSeat", "unfilled"],
      ["ctr_1:seat:2:escrow", "ledger.refundSeat", "unfilled"],
    ]);
  });
});

describe("contract machine: staffing and confirmation deadlines", () => {
  it("refunds the seats still empty at the staffing deadline and records them against the supplier", () => {
    const h = contract({ headcount: 3 }).assign(1).report("seat.confirmed", 1);
    expect(h.value).toBe("staffing");
    h.take();
    h.at(STAFFING_DEADLINE - 1);
    expect(h.value).toBe("staffing");
    h.at(STAFFING_DEADLINE);
    expect(h.value).toBe("ready"); // the only seat left is confirmed
    expect(h.take()).toEqual([
      { id: "ctr_1:seat:2:escrow", type: "ledger.refundSeat", contractId: "ctr_1", seat: 2, reason: "unfilled" },
      {
        id: "ctr_1:seat:2:trust:supplier:seat_unfilled",
        type: "trust.record",
        contractId: "ctr_1",
        party: "supplier",
        partyId: "org_sup",
        event: "seat_unfilled",
        seat: 2,
        seats: 1,
        minutes: null,
      },
      {
        id: "ctr_1:seat:2:notify:enterprise:seat_refunded",
        type: "notify",
        to: "enterprise",
        recipientId: "org_ent",
        contractId: "ctr_1",
        shiftId: null,
        seat: 2,
        kind: "seat_refunded",
      },
      { id: "ctr_1:seat:3:escrow", type: "ledger.refundSeat", contractId: "ctr_1", seat: 3, reason: "unfilled" },
      expect.objectContaining({ id: "ctr_1:seat:3:trust:supplier:seat_unfilled" }),
      expect.objectContaining({ id: "ctr_1:seat:3:notify:enterprise:seat_refunded" }),
    ]);
    expect(h.seat(2)?.outcome).toEqual({ kind: "refunded", reason: "unfilled", at: STAFFING_DEADLINE });
  });

  it("is cancelled (unfilled) when nobody was named by the staffing deadline", () => {
    const h = contract().at(STAFFING_DEADLINE);
    expect(h.value).toBe("cancelled");
    expect(ids(moneyOf(h.take()))).toEqual(["ctr_1:seat:1:escrow", "ctr_1:seat:2:escrow"]);
  });

  it("reopens a seat declined before the staffing deadline, and refunds one declined after it", () => {
    const h = contract().assign(1).assign(2);
    expect(h.value).toBe("confirming");
    h.take();
    h.report("seat.declined", 2);
    expect(h.value).toBe("staffing");
    expect(h.seat(2)).toMatchObject({ status: "open", shiftId: null, workerId: null, assignments: 1 });
    expect(ids(h.take())).toEqual(["ctr_1:seat:2:notify:supplier:seat_declined"]);

    h.assign(2, 2);
    expect(h.value).toBe("confirming");
    expect(ids(h.take())).toEqual(["ctr_1:seat:2:assignment:2"]);
    // A late report from the first worker of seat 2 changes nothing.
    h.report("seat.declined", 2, 1);
    expect(h.seat(2)?.shiftId).toBe("shf_2_2");

    h.report("seat.confirmed", 1);
    h.at(STAFFING_DEADLINE + 5 * MIN);
    expect(h.value).toBe("confirming");
    h.report("seat.declined", 2, 2);
    expect(h.value).toBe("ready");
    expect(h.take().map((e) => [e.id, e.type === "ledger.refundSeat" ? e.reason : e.type])).toEqual([
      ["ctr_1:seat:2:escrow", "declined"],
      ["ctr_1:seat:2:trust:supplier:seat_unfilled", "trust.record"],
      ["ctr_1:seat:2:notify:enterprise:seat_refunded", "notify"],
    ]);
  });

  it("lapses a seat not confirmed by the confirmation deadline: the shift is told, the seat refunded", () => {
    const h = contract().assign(1).assign(2).report("seat.confirmed", 1);
    h.take();
    h.at(CONFIRM_DEADLINE - 1);
    expect(h.value).toBe("confirming");
    h.at(CONFIRM_DEADLINE);
    expect(h.value).toBe("ready");
    expect(h.take()).toEqual([
      { id: "ctr_1:shift:shf_2_1:shift.lapse", type: "shift.send", shiftId: "shf_2_1", event: { type: "shift.lapse", at: CONFIRM_DEADLINE } },
      { id: "ctr_1:seat:2:escrow", type: "ledger.refundSeat", contractId: "ctr_1", seat: 2, reason: "unconfirmed" },
      expect.objectContaining({ id: "ctr_1:seat:2:trust:supplier:seat_unfilled" }),
      expect.objectContaining({ id: "ctr_1:seat:2:notify:enterprise:seat_refunded" }),
    ]);
    // A confirmation processed after the deadline is too late: the seat is closed.
    h.report("seat.confirmed", 2);
    expect(h.seat(2)?.status).toBe("closed");
  });

  it("is cancelled when no named worker confirms", () => {
    const h = contract().assign(1).assign(2).at(CONFIRM_DEADLINE);
    expect(h.value).toBe("cancelled");
    expect(h.take().filter((e) => e.type === "shift.send")).toHaveLength(2);
  });

  it("a confirmation deadline set before the staffing deadline is moved to it", () => {
    const h = contract({ settings: { ...SETTINGS, confirmDeadlineBeforeStartMs: 2 * HOUR } });
    expect(h.context.confirmDeadlineAt).toBe(STAFFING_DEADLINE);
  });
});

describe("contract machine: replacement and assignment rules", () => {
  it("replaces a confirmed worker before the staffing deadline: the old shift ends, the new one must confirm", () => {
    const h = readyContract();
    h.assign(1, 2);
    expect(h.value).toBe("confirming");
    expect(h.take()).toEqual([
      { id: "ctr_1:shift:shf_1_1:shift.replace", type: "shift.send", shiftId: "shf_1_1", event: { type: "shift.replace", at: h.clock.now() } },
      expect.objectContaining({ id: "ctr_1:seat:1:assignment:2", type: "shift.create" }),
    ]);
    h.report("seat.confirmed", 1, 1); // the replaced worker's confirmation is stale
    expect(h.value).toBe("confirming");
    h.report("seat.confirmed", 1, 2);
    expect(h.value).toBe("ready");
  });

  it("refuses assignments it cannot take, naming why", () => {
    const h = contract({ headcount: 3 }).assign(1).report("seat.confirmed", 1);
    const ev = (seat: number, shiftId: string, workerId: string, at = h.clock.now()) => ({ type: "seat.assign" as const, seat, shiftId, workerId, at });
    expect(assignRefusal(h.context, ev(2, "shf_new", "wrk_new"))).toBeNull();
    expect(assignRefusal(h.context, ev(4, "shf_new", "wrk_new"))).toBe("no_such_seat");
    expect(assignRefusal(h.context, ev(0, "shf_new", "wrk_new"))).toBe("no_such_seat");
    expect(assignRefusal(h.context, ev(1, "shf_new", "wrk_1_1"))).toBe("same_worker");
    expect(assignRefusal(h.context, ev(2, "shf_new", "wrk_1_1"))).toBe("worker_on_another_seat");
    expect(assignRefusal(h.context, ev(2, "shf_1_1", "wrk_new"))).toBe("shift_id_in_use");
    expect(assignRefusal(h.context, ev(2, "shf_new", "wrk_new", STAFFING_DEADLINE))).toBe("staffing_closed");
    // The machine ignores each of them.
    for (const e of [ev(4, "a", "b"), ev(2, "shf_new", "wrk_1_1"), ev(2, "shf_1_1", "x")]) {
      expect(h.actor.getSnapshot().can(e)).toBe(false);
      h.send(e);
    }
    expect(h.context.seats.map((s) => s.status)).toEqual(["confirmed", "open", "open"]);
    h.at(STAFFING_DEADLINE);
    h.take();
    // A refunded seat is closed for good; after the deadline every assignment is refused as staffing_closed.
    expect(assignRefusal(h.context, ev(2, "shf_new", "wrk_new", STAFFING_DEADLINE - 1))).toBe("seat_closed");
    h.send(ev(2, "shf_new", "wrk_new"));
    expect(h.take()).toEqual([]);
  });

  it("lets a worker freed from one seat be named to another", () => {
    const h = contract().assign(1).report("seat.declined", 1);
    expect(assignRefusal(h.context, { type: "seat.assign", seat: 2, shiftId: "shf_x", workerId: "wrk_1_1", at: h.clock.now() })).toBeNull();
  });
});

describe("contract machine: during and after the shift", () => {
  it("refunds a no-show seat and marks the supplier; a report about a closed seat is ignored", () => {
    const h = readyContract().at(NO_SHOW_AT).report("seat.noShow", 1);
    expect(h.value).toBe("inProgress");
    expect(h.take()).toEqual([
      { id: "ctr_1:seat:1:escrow", type: "ledger.refundSeat", contractId: "ctr_1", seat: 1, reason: "no_show" },
      expect.objectContaining({ id: "ctr_1:seat:1:trust:supplier:no_show", event: "no_show", partyId: "org_sup" }),
      expect.objectContaining({ id: "ctr_1:seat:1:notify:enterprise:seat_refunded" }),
    ]);
    h.report("seat.noShow", 1).report("seat.approved", 1, 1, { minutes: 480, basis: "approved" }).report("seat.disputed", 1, 1, {
      recordedMinutes: 480,
      proposedMinutes: null,
      reason: "x",
    });
    expect(h.take()).toEqual([]);
    h.at(SHIFT_END).report("seat.approved", 2, 1, { minutes: 480, basis: "approved" });
    expect(h.value).toBe("settled"); // a no-show still means the contract reached its shift
  });

  it("settles a seat once: a repeated approval pays nothing more", () => {
    const h = readyContract().at(SHIFT_START + HOUR);
    h.report("seat.approved", 1, 1, { minutes: 60, basis: "approved" });
    h.report("seat.approved", 1, 1, { minutes: 480, basis: "approved" });
    expect(moneyOf(h.take())).toEqual([expect.objectContaining({ id: "ctr_1:seat:1:escrow", minutes: 60 })]);
  });

  it("closes during the shift when every seat is done before the end", () => {
    const h = readyContract().at(SHIFT_START + 2 * HOUR);
    h.report("seat.approved", 1, 1, { minutes: 120, basis: "approved" }).report("seat.approved", 2, 1, { minutes: 120, basis: "approved" });
    expect(h.value).toBe("settled");
  });

  it("settles from ready when the shifts' outcomes arrive before the contract saw the start (late timers after a restart)", () => {
    const h = readyContract();
    h.send({ type: "seat.noShow", seat: 1, shiftId: "shf_1_1", at: NO_SHOW_AT });
    expect(h.value).toBe("ready");
    h.send({ type: "seat.noShow", seat: 2, shiftId: "shf_2_1", at: NO_SHOW_AT });
    expect(h.value).toBe("settled");
  });

  it("freezes a disputed seat (nothing moves) and, once the rest is done, waits for the operator's split", () => {
    const h = readyContract().at(SHIFT_START + 3 * HOUR);
    h.report("seat.approved", 1, 1, { minutes: 180, basis: "approved" });
    h.report("seat.disputed", 2, 1, { recordedMinutes: 180, proposedMinutes: 120, reason: "left at 10:00" });
    expect(h.value).toBe("disputed");
    expect(h.seat(2)).toMatchObject({ status: "disputed", dispute: { recordedMinutes: 180, proposedMinutes: 120, reason: "left at 10:00" } });
    const opened = h.take();
    expect(ids(moneyOf(opened))).toEqual(["ctr_1:seat:1:escrow"]);
    expect(ids(opened.filter((e) => e.type === "notify"))).toEqual(["ctr_1:seat:2:notify:operator:dispute_opened", "ctr_1:seat:2:notify:supplier:seat_disputed"]);
    expect(opened.find((e) => e.id.endsWith("operator:dispute_opened"))).toMatchObject({ to: "operator", recipientId: null, shiftId: "shf_2_1" });

    const resolve = (seat: number, minutes: number, reason = "site log shows 10:30") =>
      ({ type: "dispute.resolve", seat, minutes, reason, operatorId: "op_1" }) as const;
    for (const refused of [resolve(2, PAID_MINUTES + 1), resolve(2, -15), resolve(2, 7.5), resolve(1, 60), resolve(9, 60), resolve(2, 60, "  ")]) {
      h.send(refused);
    }
    expect(h.value).toBe("disputed");
    expect(h.take()).toEqual([]);

    h.at(SHIFT_END + 30 * HOUR).send(resolve(2, 150));
    expect(h.value).toBe("resolved");
    const effects = h.take();
    expect(effects).toEqual([
      {
        id: "ctr_1:seat:2:escrow",
        type: "ledger.settleSeat",
        contractId: "ctr_1",
        seat: 2,
        shiftId: "shf_2_1",
        workerId: "wrk_2_1",
        minutes: 150,
        basis: "dispute_split",
        reason: "site log shows 10:30",
        operatorId: "op_1",
      },
      {
        id: "ctr_1:shift:shf_2_1:shift.resolved",
        type: "shift.send",
        shiftId: "shf_2_1",
        event: { type: "shift.resolved", at: h.clock.now(), minutes: 150, reason: "site log shows 10:30" },
      },
      expect.objectContaining({ id: "ctr_1:seat:2:trust:enterprise:dispute_resolved", minutes: { recorded: 180, proposed: 120, awarded: 150 } }),
      expect.objectContaining({ id: "ctr_1:seat:2:trust:supplier:dispute_resolved", minutes: { recorded: 180, proposed: 120, awarded: 150 } }),
      expect.objectContaining({ id: "ctr_1:seat:2:notify:enterprise:dispute_resolved" }),
      expect.objectContaining({ id: "ctr_1:seat:2:notify:supplier:dispute_resolved" }),
      { id: "ctr_1:closed", type: "contract.closed", contractId: "ctr_1", outcome: "resolved" },
      expect.objectContaining({ id: "ctr_1:notify:enterprise:contract_resolved" }),
      expect.objectContaining({ id: "ctr_1:notify:supplier:contract_resolved" }),
    ]);
  });

  it("goes from awaiting approval to disputed when the last open seat is done, then resolves", () => {
    const h = readyContract().at(SHIFT_END);
    expect(h.value).toBe("awaitingApproval");
    h.report("seat.disputed", 1, 1, { recordedMinutes: null, proposedMinutes: null, reason: "never checked out" });
    expect(h.value).toBe("awaitingApproval"); // seat 2 still pending
    h.report("seat.approved", 2, 1, { minutes: 480, basis: "approved" });
    expect(h.value).toBe("disputed");
    h.send({ type: "dispute.resolve", seat: 1, minutes: 0, reason: "not on site", operatorId: "op_1" });
    expect(h.value).toBe("resolved");
    expect(splitRefusal(h.context, { type: "dispute.resolve", seat: 1, minutes: 0, reason: "again", operatorId: "op_1", at: 0 })).toBe("not_disputed");
  });
});

describe("contract machine: cancellation", () => {
  it("an enterprise cancelling with at least the free notice pays nothing: every seat refunded, named workers told", () => {
    const h = contract().assign(1);
    h.take();
    h.at(SHIFT_START - SETTINGS.freeCancellationNoticeMs).send({ type: "enterprise.cancel", reason: "order cancelled" });
    expect(h.value).toBe("cancelled");
    expect(h.context.cancellation).toEqual({ by: "enterprise", at: SHIFT_START - 24 * HOUR, late: false, reason: "order cancelled" });
    expect(h.take().map((e) => [e.id, e.type === "ledger.refundSeat" ? e.reason : e.type])).toEqual([
      ["ctr_1:shift:shf_1_1:shift.cancel", "shift.send"],
      ["ctr_1:seat:1:escrow", "cancelled"],
      ["ctr_1:seat:2:escrow", "cancelled"],
      ["ctr_1:closed", "contract.closed"],
      ["ctr_1:notify:enterprise:contract_cancelled", "notify"],
      ["ctr_1:notify:supplier:contract_cancelled", "notify"],
    ]);
  });

  it("a later enterprise cancellation pays the fee per staffed seat, refunds empty seats and marks the enterprise", () => {
    const h = contract({ headcount: 3 }).assign(1).assign(2).report("seat.confirmed", 2);
    h.take();
    h.at(SHIFT_START - SETTINGS.freeCancellationNoticeMs + 1).send({ type: "enterprise.cancel", reason: null });
    expect(h.value).toBe("cancelled");
    expect(h.context.cancellation?.late).toBe(true);
    const effects = h.take();
    expect(moneyOf(effects)).toEqual([
      { id: "ctr_1:seat:1:escrow", type: "ledger.lateCancelSeat", contractId: "ctr_1", seat: 1, feeMinutes: 240 },
      { id: "ctr_1:seat:2:escrow", type: "ledger.lateCancelSeat", contractId: "ctr_1", seat: 2, feeMinutes: 240 },
      { id: "ctr_1:seat:3:escrow", type: "ledger.refundSeat", contractId: "ctr_1", seat: 3, reason: "cancelled" },
    ]);
    expect(effects.find((e) => e.type === "trust.record")).toMatchObject({
      id: "ctr_1:trust:enterprise:late_cancellation",
      party: "enterprise",
      partyId: "org_ent",
      seat: null,
      seats: 2,
    });
    expect(h.context.seats.map((s) => s.outcome?.kind)).toEqual(["lateCancelled", "lateCancelled", "refunded"]);
  });

  it("caps the late-cancellation fee at the seat's paid minutes", () => {
    const h = readyContract({ paidMinutes: 180 }).at(SHIFT_START - HOUR).send({ type: "enterprise.cancel", reason: null });
    expect(moneyOf(h.take()).map((e) => (e.type === "ledger.lateCancelSeat" ? e.feeMinutes : null))).toEqual([180, 180]);
  });

  it("a supplier cancelling refunds every seat, tells the named workers and marks the supplier", () => {
    const h = contract().assign(1).assign(2);
    h.take();
    h.send({ type: "supplier.cancel", reason: "crew unavailable" });
    expect(h.value).toBe("cancelled");
    const effects = h.take();
    expect(ids(effects.filter((e) => e.type === "shift.send"))).toEqual(["ctr_1:shift:shf_1_1:shift.cancel", "ctr_1:shift:shf_2_1:shift.cancel"]);
    expect(moneyOf(effects).map((e) => (e.type === "ledger.refundSeat" ? e.reason : e.type))).toEqual(["supplier_cancelled", "supplier_cancelled"]);
    expect(effects.find((e) => e.type === "trust.record")).toMatchObject({ id: "ctr_1:trust:supplier:supplier_cancelled", partyId: "org_sup", seats: 2 });
  });

  it("cancels only the seats still live: a seat refunded at the staffing deadline is not refunded again", () => {
    const h = contract().assign(1).report("seat.confirmed", 1).at(STAFFING_DEADLINE);
    h.take();
    h.send({ type: "supplier.cancel", reason: null });
    expect(ids(moneyOf(h.take()))).toEqual(["ctr_1:seat:1:escrow"]);
  });

  it("cannot be cancelled from the shift's start on, by either side", () => {
    const h = readyContract().at(SHIFT_START);
    for (const type of ["enterprise.cancel", "supplier.cancel"]) {
      expect(h.actor.getSnapshot().can({ type, reason: null, at: SHIFT_START } as never)).toBe(false);
      h.send({ type, reason: null });
    }
    expect(h.value).toBe("inProgress");
    expect(h.take()).toEqual([]);
  });
});

describe("contract machine: determinism and persistence", () => {
  /** A whole run with replacement, lapse, no-show and dispute: returns its effects. */
  function eventfulRun() {
    const h = contract({ headcount: 3 });
    h.assign(1).assign(2).assign(3).report("seat.declined", 3).assign(3, 2).report("seat.confirmed", 1).report("seat.confirmed", 2);
    h.at(CONFIRM_DEADLINE); // seat 3 lapses
    h.at(NO_SHOW_AT).report("seat.noShow", 2);
    h.at(SHIFT_END).report("seat.disputed", 1, 1, { recordedMinutes: 480, proposedMinutes: 400, reason: "late" });
    h.send({ type: "dispute.resolve", seat: 1, minutes: 450, reason: "split", operatorId: "op_1" });
    expect(h.value).toBe("resolved");
    return h.effects;
  }

  it("describes the same effects with the same ids on every run, and never one id twice", () => {
    const a = eventfulRun();
    const b = eventfulRun();
    expect(b).toEqual(a);
    expect(new Set(ids(a)).size).toBe(a.length);
    // Each seat's escrow leaves through exactly one effect.
    expect(ids(moneyOf(a)).sort()).toEqual(["ctr_1:seat:1:escrow", "ctr_1:seat:2:escrow", "ctr_1:seat:3:escrow"]);
  });

  it("continues identically from a snapshot persisted mid-flight (JSON round trip), its pending deadline re-armed from dueTimers", () => {
    const script = (h: ContractHarness | ReturnType<typeof restoreAt>) => {
      h.at(CONFIRM_DEADLINE); // seat 2 lapses: the deadline armed before the snapshot must fire
      h.at(SHIFT_START);
      h.at(SHIFT_START + 4 * HOUR).send({ type: "seat.approved", seat: 1, shiftId: "shf_1_1", minutes: 240, basis: "approved" });
    };

    // Reference: one actor all the way.
    const a = contract().assign(1).assign(2).report("seat.confirmed", 1);
    const persisted = JSON.stringify(a.actor.getPersistedSnapshot());
    const persistedAt = a.clock.now();
    const before = a.effects.length;
    script(a);
    expect(a.value).toBe("settled");

    // Restored: a fresh actor on a fresh clock from the JSON, the pending timer re-armed from context only.
    const b = restoreAt(persisted, persistedAt);
    expect(b.value).toBe("confirming");
    expect(b.scheduled()).toEqual([]); // XState does not persist its own delayed events…
    b.rearm(); // …so the runtime's durable timers (dueTimers) stand in for them.
    script(b);
    expect(b.value).toBe("settled");
    expect(b.effects).toEqual(a.effects.slice(before));
    expect(JSON.parse(JSON.stringify(b.actor.getPersistedSnapshot()))).toEqual(JSON.parse(JSON.stringify(a.actor.getPersistedSnapshot())));
  });

  it("without re-arming, a restored contract would wait forever: why the runtime keeps durable timers", () => {
    const a = contract().assign(1).assign(2);
    const b = restoreAt(JSON.stringify(a.actor.getPersistedSnapshot()), a.clock.now());
    b.at(SHIFT_START + 48 * HOUR);
    expect(b.value).toBe("confirming");
  });
});

function restoreAt(json: string, now: number) {
  return restored(coverage.machine, json, now, contractDueTimers as never, coverage);
}

describe("contract machine: safety rails", () => {
  it("never takes a shift id twice, even one a replaced worker had", () => {
    const h = contract().assign(1).assign(1, 2);
    const reuse = (seat: number, shiftId: string) => ({ type: "seat.assign" as const, seat, shiftId, workerId: "wrk_other", at: h.clock.now() });
    expect(assignRefusal(h.context, reuse(1, "shf_1_1"))).toBe("shift_id_in_use");
    expect(assignRefusal(h.context, reuse(2, "shf_1_1"))).toBe("shift_id_in_use");
    expect(h.seat(1)?.shiftIds).toEqual(["shf_1_1", "shf_1_2"]);
  });

  it.each([
    [PAID_MINUTES + 60, PAID_MINUTES],
    [-30, 0],
    [7.5, 0],
  ])("pays no more than the seat's escrow funds: a report of %s minutes settles %s", (reported, paid) => {
    const h = readyContract().at(SHIFT_END);
    h.report("seat.approved", 1, 1, { minutes: reported, basis: "approved" });
    expect(moneyOf(h.take())).toEqual([expect.objectContaining({ id: "ctr_1:seat:1:escrow", minutes: paid })]);
  });

  it("lists every deadline as an instant for the pages", () => {
    expect(contractDeadlines(contract().context)).toEqual({
      staffingDeadlineAt: STAFFING_DEADLINE,
      confirmDeadlineAt: CONFIRM_DEADLINE,
      freeCancellationUntil: SHIFT_START - 24 * HOUR,
      noShowAt: NO_SHOW_AT,
      autoApproveAt: AUTO_APPROVE_AT,
    });
  });

  it("names each unusable setting for the configuration to report", () => {
    expect(contractSettingsProblems(SETTINGS)).toEqual([]);
    expect(
      contractSettingsProblems({
        ...SETTINGS,
        noShowGraceMs: -1,
        approvalWindowMs: 1.5,
        lateCancellationFeeMinutes: -240,
        confirmDeadlineBeforeStartMs: SETTINGS.staffingDeadlineBeforeStartMs + 1,
        hoursRule: { unitMinutes: 0, rounding: "down" },
      }),
    ).toEqual([
      "noShowGraceMs must be a whole, non-negative number of milliseconds",
      "approvalWindowMs must be a whole, non-negative number of milliseconds",
      "lateCancellationFeeMinutes must be a whole, non-negative number of minutes",
      "confirmDeadlineBeforeStartMs must not exceed staffingDeadlineBeforeStartMs: workers confirm after staffing closes, not before",
      "hoursRule: unitMinutes must be a whole number of minutes from 1 to 60, got 0",
    ]);
  });
});

describe("contract machine: coverage", () => {
  it("took every transition and saw every guard answer both ways", () => {
    expect(coverage.missing()).toEqual([]);
  });
});
