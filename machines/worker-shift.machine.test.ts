import { describe, expect, it } from "vitest";
import {
  AUTO_APPROVE_AT,
  CONFIRM_DEADLINE,
  Coverage,
  HOUR,
  Harness,
  MIN,
  NO_SHOW_AT,
  PAID_MINUTES,
  SHIFT_END,
  SHIFT_START,
  ids,
  restored,
  workerShiftInput,
} from "./test-support";
import type { Effect, WorkerShiftInput } from "./types";
import { workerShiftDueTimers, workerShiftMachine, type WorkerShiftContext } from "./worker-shift.machine";

const coverage = new Coverage(workerShiftMachine);

function shift(overrides: Partial<WorkerShiftInput> = {}) {
  return new Harness<WorkerShiftContext>(coverage.machine, workerShiftInput(overrides), coverage, workerShiftDueTimers);
}

/** Confirmed and checked in (inside the fence) ten minutes before the start. */
function onSite(outsideGeofence = false) {
  const h = shift().send({ type: "shift.confirm" }).at(SHIFT_START - 10 * MIN).send({ type: "shift.checkIn", outsideGeofence });
  expect(h.value).toBe("checkedIn");
  h.take();
  return h;
}

const reports = (effects: readonly Effect[]) => effects.filter((e) => e.type === "contract.send").map((e) => (e.type === "contract.send" ? e.event : null));

describe("worker-shift machine: confirmation", () => {
  it("offers the shift to the worker when it starts", () => {
    const h = shift();
    expect(h.value).toBe("assigned");
    expect(h.context).toMatchObject({ noShowAt: NO_SHOW_AT, autoApproveAt: AUTO_APPROVE_AT, confirmDeadlineAt: CONFIRM_DEADLINE });
    expect(h.take()).toEqual([
      {
        id: "shf_1:notify:worker:shift_offered",
        type: "notify",
        to: "worker",
        recipientId: "wrk_1",
        contractId: "ctr_1",
        shiftId: "shf_1",
        seat: 1,
        kind: "shift_offered",
      },
    ]);
    expect(workerShiftDueTimers(h.actor.getSnapshot())).toEqual([]);
  });

  it("confirms before the confirmation deadline and reports it to the contract; later is refused", () => {
    const late = shift();
    expect(late.can({ type: "shift.confirm", at: CONFIRM_DEADLINE })).toBe(false);
    late.send({ type: "shift.confirm", at: CONFIRM_DEADLINE });
    expect(late.value).toBe("assigned");

    const h = shift();
    h.take();
    h.at(CONFIRM_DEADLINE - 1).send({ type: "shift.confirm" });
    expect(h.value).toBe("confirmed");
    expect(h.context.confirmedAt).toBe(CONFIRM_DEADLINE - 1);
    expect(h.take()).toEqual([
      {
        id: "shf_1:report:seat.confirmed",
        type: "contract.send",
        contractId: "ctr_1",
        event: { type: "seat.confirmed", seat: 1, shiftId: "shf_1", at: CONFIRM_DEADLINE - 1 },
      },
    ]);
    expect(workerShiftDueTimers(h.actor.getSnapshot())).toEqual([
      { id: "shf_1:timer:deadline.noShow", machineId: "shf_1", dueAt: NO_SHOW_AT, event: { type: "deadline.noShow", at: NO_SHOW_AT } },
    ]);
  });

  it("declines and reports it, ending the shift", () => {
    const h = shift().send({ type: "shift.decline", reason: "ill" });
    expect(h.value).toBe("declined");
    expect(h.status).toBe("done");
    expect(h.context.ended).toEqual({ at: h.clock.now(), why: "declined" });
    expect(reports(h.take())).toEqual([{ type: "seat.declined", seat: 1, shiftId: "shf_1", at: h.clock.now() }]);
  });
});

describe("worker-shift machine: attendance", () => {
  it("checks in, checks out, and is approved for the rounded minutes inside the shift", () => {
    const h = onSite();
    expect(h.context.checkIn).toEqual({ at: SHIFT_START - 10 * MIN, outsideGeofence: false, accepted: true });
    h.at(SHIFT_START + 7 * HOUR + 50 * MIN).send({ type: "shift.checkOut" });
    expect(h.value).toBe("checkedOut");
    expect(h.context.recordedMinutes).toBe(465); // 08:00 → 15:50 is 7 h 50, down to the quarter: 7 h 45
    h.at(SHIFT_END + 2 * HOUR).send({ type: "shift.approve", checkOutAt: SHIFT_END }); // a time named after a check-out is ignored
    expect(h.value).toBe("approved");
    expect(h.context.paid).toEqual({ at: SHIFT_END + 2 * HOUR, minutes: 465, basis: "approved", reason: null });
    expect(h.take()).toEqual([
      {
        id: "shf_1:report:seat.approved",
        type: "contract.send",
        contractId: "ctr_1",
        event: { type: "seat.approved", seat: 1, shiftId: "shf_1", minutes: 465, basis: "approved", at: SHIFT_END + 2 * HOUR },
      },
      expect.objectContaining({ id: "shf_1:notify:worker:hours_approved", recipientId: "wrk_1" }),
    ]);
  });

  it("keeps a check-in from outside the fence, flagged for the enterprise, who may accept it once", () => {
    const h = shift().send({ type: "shift.confirm" }).at(SHIFT_START);
    h.take();
    h.send({ type: "shift.checkIn", outsideGeofence: true });
    expect(h.value).toBe("checkedIn");
    expect(h.context.checkIn).toEqual({ at: SHIFT_START, outsideGeofence: true, accepted: false });
    expect(h.take()).toEqual([
      {
        id: "shf_1:notify:enterprise:check_in_flagged",
        type: "notify",
        to: "enterprise",
        recipientId: "org_ent",
        contractId: "ctr_1",
        shiftId: "shf_1",
        seat: 1,
        kind: "check_in_flagged",
      },
    ]);
    h.send({ type: "shift.acceptCheckIn" });
    expect(h.context.checkIn?.accepted).toBe(true);
    expect(h.can({ type: "shift.acceptCheckIn" })).toBe(false); // nothing left to accept
  });

  it("lets the enterprise accept a flagged check-in after the check-out, and counts an approval as acceptance", () => {
    const a = onSite(true).send({ type: "shift.checkOut" });
    expect(a.can({ type: "shift.acceptCheckIn" })).toBe(true);
    a.send({ type: "shift.acceptCheckIn" });
    expect(a.context.checkIn?.accepted).toBe(true);
    expect(a.can({ type: "shift.acceptCheckIn" })).toBe(false);

    const b = onSite(true).send({ type: "shift.checkOut" }).send({ type: "shift.approve", checkOutAt: null });
    expect(b.value).toBe("approved");
    expect(b.context.checkIn?.accepted).toBe(true);
  });

  it("a confirmed worker not checked in by the start plus the grace is a no-show, reported to the contract", () => {
    const h = shift().send({ type: "shift.confirm" });
    h.take();
    h.send({ type: "deadline.noShow", at: NO_SHOW_AT - 1 }); // early: ignored
    expect(h.value).toBe("confirmed");
    h.at(NO_SHOW_AT - 1);
    expect(h.value).toBe("confirmed");
    h.at(NO_SHOW_AT);
    expect(h.value).toBe("noShow");
    expect(h.context.ended).toEqual({ at: NO_SHOW_AT, why: "no_show" });
    expect(h.take()).toEqual([
      { id: "shf_1:report:seat.noShow", type: "contract.send", contractId: "ctr_1", event: { type: "seat.noShow", seat: 1, shiftId: "shf_1", at: NO_SHOW_AT } },
      expect.objectContaining({ id: "shf_1:notify:worker:no_show" }),
    ]);
  });

  it("refuses a check-in made at or after the no-show deadline, even if that timer has not fired yet", () => {
    const h = shift().send({ type: "shift.confirm" });
    for (const outsideGeofence of [false, true]) {
      expect(h.can({ type: "shift.checkIn", outsideGeofence, at: NO_SHOW_AT })).toBe(false);
      h.send({ type: "shift.checkIn", outsideGeofence, at: NO_SHOW_AT });
    }
    expect(h.value).toBe("confirmed");
  });
});

describe("worker-shift machine: approval", () => {
  it("resolves a missing check-out with the time the enterprise names at approval", () => {
    const h = onSite();
    h.at(SHIFT_END + HOUR);
    for (const checkOutAt of [null, SHIFT_START - 20 * MIN, 1.5]) {
      expect(h.can({ type: "shift.approve", checkOutAt })).toBe(false);
      h.send({ type: "shift.approve", checkOutAt });
    }
    expect(h.value).toBe("checkedIn");
    h.send({ type: "shift.approve", checkOutAt: SHIFT_START + 4 * HOUR + 20 * MIN });
    expect(h.value).toBe("approved");
    expect(h.context.checkOut).toEqual({ at: SHIFT_START + 4 * HOUR + 20 * MIN, by: "enterprise" });
    expect(reports(h.take())).toEqual([{ type: "seat.approved", seat: 1, shiftId: "shf_1", minutes: 255, basis: "approved", at: SHIFT_END + HOUR }]);
  });

  it("auto-approves after the window; a worker who never checked out is paid to the shift's end (capped by paid hours)", () => {
    const h = onSite();
    h.send({ type: "deadline.autoApprove", at: AUTO_APPROVE_AT - 1 }); // early: ignored
    expect(h.value).toBe("checkedIn");
    h.at(AUTO_APPROVE_AT - 1);
    expect(h.value).toBe("checkedIn");
    h.at(AUTO_APPROVE_AT);
    expect(h.value).toBe("approved");
    expect(h.context.checkOut).toEqual({ at: SHIFT_END, by: "shift_end" });
    expect(h.context.paid).toEqual({ at: AUTO_APPROVE_AT, minutes: PAID_MINUTES, basis: "auto_approved", reason: null });
    expect(ids(h.take())).toEqual(["shf_1:report:seat.approved", "shf_1:notify:worker:hours_auto_approved"]);
  });

  it("auto-approves the recorded minutes after the window when the enterprise stays silent", () => {
    const h = onSite().at(SHIFT_START + 3 * HOUR + 14 * MIN).send({ type: "shift.checkOut" });
    h.send({ type: "deadline.autoApprove", at: AUTO_APPROVE_AT - 1 }); // early: ignored
    expect(h.value).toBe("checkedOut");
    h.at(AUTO_APPROVE_AT);
    expect(h.value).toBe("approved");
    expect(reports(h.take())).toEqual([{ type: "seat.approved", seat: 1, shiftId: "shf_1", minutes: 180, basis: "auto_approved", at: AUTO_APPROVE_AT }]);
  });

  it("disputes recorded hours (frozen until the contract sends the operator's split), refusing a dispute without reason or with impossible minutes", () => {
    const h = onSite().at(SHIFT_END).send({ type: "shift.checkOut" });
    h.take();
    for (const bad of [
      { reason: " ", proposedMinutes: null },
      { reason: "left early", proposedMinutes: PAID_MINUTES + 1 },
      { reason: "left early", proposedMinutes: -1 },
      { reason: "left early", proposedMinutes: 12.5 },
    ]) {
      expect(h.can({ type: "shift.dispute", ...bad })).toBe(false);
      h.send({ type: "shift.dispute", ...bad });
    }
    expect(h.value).toBe("checkedOut");
    h.send({ type: "shift.dispute", reason: "left at 15:00", proposedMinutes: 420 });
    expect(h.value).toBe("disputed");
    expect(workerShiftDueTimers(h.actor.getSnapshot())).toEqual([]); // no auto-approval once disputed
    expect(h.take()).toEqual([
      {
        id: "shf_1:report:seat.disputed",
        type: "contract.send",
        contractId: "ctr_1",
        event: { type: "seat.disputed", seat: 1, shiftId: "shf_1", recordedMinutes: 480, proposedMinutes: 420, reason: "left at 15:00", at: SHIFT_END },
      },
      expect.objectContaining({ id: "shf_1:notify:worker:hours_disputed" }),
    ]);
    h.at(AUTO_APPROVE_AT + HOUR);
    expect(h.value).toBe("disputed");
    h.send({ type: "shift.resolved", minutes: 450, reason: "site log" });
    expect(h.value).toBe("resolved");
    expect(h.context.paid).toEqual({ at: AUTO_APPROVE_AT + HOUR, minutes: 450, basis: "dispute_split", reason: "site log" });
    expect(ids(h.take())).toEqual(["shf_1:notify:worker:dispute_resolved"]);
  });

  it("disputes a missing check-out with no recorded minutes", () => {
    const h = onSite().at(SHIFT_END + HOUR).send({ type: "shift.dispute", reason: "never seen after lunch", proposedMinutes: null });
    expect(h.value).toBe("disputed");
    expect(reports(h.take())).toEqual([
      { type: "seat.disputed", seat: 1, shiftId: "shf_1", recordedMinutes: null, proposedMinutes: null, reason: "never seen after lunch", at: SHIFT_END + HOUR },
    ]);
  });
});

describe("worker-shift machine: the contract's commands win before an outcome", () => {
  it.each([
    ["shift.replace", "replaced", "assigned"],
    ["shift.lapse", "lapsed", "confirmed"],
    ["shift.cancel", "cancelled", "checkedIn"],
    ["shift.replace", "replaced", "checkedOut"],
  ] as const)("%s ends a shift in %s (from %s) and tells the worker", (command, ended, from) => {
    const h = shift();
    if (from !== "assigned") h.send({ type: "shift.confirm" });
    if (from === "checkedIn" || from === "checkedOut") h.at(SHIFT_START - HOUR).send({ type: "shift.checkIn", outsideGeofence: false });
    if (from === "checkedOut") h.send({ type: "shift.checkOut" });
    expect(h.value).toBe(from);
    h.take();
    h.send({ type: command });
    expect(h.value).toBe(ended);
    expect(h.context.ended).toEqual({ at: h.clock.now(), why: ended });
    expect(h.take()).toEqual([expect.objectContaining({ id: `shf_1:notify:worker:shift_${ended}`, to: "worker", kind: `shift_${ended}` })]);
    expect(workerShiftDueTimers(h.actor.getSnapshot())).toEqual([]);
  });
});

describe("worker-shift machine: determinism and persistence", () => {
  it("continues identically from a snapshot persisted mid-flight (JSON round trip), its auto-approval re-armed from dueTimers", () => {
    const a = onSite(true).at(SHIFT_START + 5 * HOUR).send({ type: "shift.checkOut" });
    const json = JSON.stringify(a.actor.getPersistedSnapshot());
    const persistedAt = a.clock.now();
    const before = a.effects.length;
    a.at(AUTO_APPROVE_AT + HOUR);
    expect(a.value).toBe("approved");

    const b = restored(coverage.machine, json, persistedAt, workerShiftDueTimers as never, coverage);
    expect(b.value).toBe("checkedOut");
    expect(b.scheduled()).toEqual([]);
    b.rearm();
    b.at(AUTO_APPROVE_AT + HOUR);
    expect(b.value).toBe("approved");
    expect(b.effects).toEqual(a.effects.slice(before));
    expect(JSON.parse(JSON.stringify(b.actor.getPersistedSnapshot()))).toEqual(JSON.parse(JSON.stringify(a.actor.getPersistedSnapshot())));
  });

  it("never describes one effect id twice in a shift's life", () => {
    const h = onSite(true).send({ type: "shift.acceptCheckIn" }).at(SHIFT_END).send({ type: "shift.checkOut" });
    h.send({ type: "shift.dispute", reason: "x", proposedMinutes: 0 }).send({ type: "shift.resolved", minutes: 100, reason: "y" });
    const all = ids(h.effects);
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((id) => id.startsWith("shf_1:"))).toBe(true);
  });
});

describe("worker-shift machine: coverage", () => {
  it("took every transition and saw every guard answer both ways", () => {
    expect(coverage.missing()).toEqual([]);
  });
});
