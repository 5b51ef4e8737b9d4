import { describe, expect, it } from "vitest";
import { MemoryRuntime } from "../../machines/memory-runtime";
import { HOUR, MIN, NO_SHOW_AT, PAID_MINUTES, SETTINGS, SHIFT_END, SHIFT_START } from "../../machines/test-support";
import type { TrustRecordEffect } from "../../machines/types";
import { prng } from "../../test/helpers/prng";
import {
  DEFAULT_TRUST_SETTINGS,
  INITIAL_COLOUR_STATUS,
  annulledAt,
  colourTransition,
  decayPercent,
  disputeLoser,
  evaluateColour,
  explainScore,
  fileAppeal,
  formatPoints,
  licenceEvent,
  operatorEvent,
  parseTrustSettings,
  publicTrustSettings,
  resolveAppeal,
  scoredEventFromTrustRecord,
  scoredEventProblems,
  trustSettingsProblems,
  type Appeal,
  type ColourStatus,
  type ColourTransition,
  type ScoredEvent,
  type ScoredKind,
  type TrustSettings,
} from "./trust.rules";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const ORG = "org_sup";
const S = DEFAULT_TRUST_SETTINGS;
const none = new Set<string>();

let n = 0;
function ev(kind: ScoredKind, at: number, over: Partial<ScoredEvent> = {}): ScoredEvent {
  n++;
  return {
    id: `ev_${n}`,
    organisationId: ORG,
    kind,
    at,
    count: 1,
    contractId: null,
    seat: null,
    reason: null,
    documentRef: null,
    points: null,
    serious: false,
    operatorId: null,
    ...over,
  };
}

function evaluate(events: readonly ScoredEvent[], at: number, previous: ColourStatus = INITIAL_COLOUR_STATUS, extra: { annulled?: Set<string>; licenceValid?: boolean; registeredAt?: number; settings?: TrustSettings } = {}) {
  return evaluateColour({
    organisationId: ORG,
    previous,
    events,
    annulled: extra.annulled ?? none,
    facts: { licenceValid: extra.licenceValid ?? true, registeredAt: extra.registeredAt ?? T0 - 365 * DAY },
    at,
    settings: extra.settings ?? S,
  });
}

describe("settings", () => {
  it("the defaults are valid and versioned", () => {
    expect(trustSettingsProblems(S)).toEqual([]);
    expect(S.version).toBe("2026-1");
    expect(Object.isFrozen(S.weights)).toBe(true);
  });

  it.each<[string, Partial<TrustSettings>]>([
    ["weights.no_show", { weights: { ...S.weights, no_show: 500 } }],
    ["weights.shift_completed", { weights: { ...S.weights, shift_completed: -1 } }],
    ["weights.no_show", { weights: { ...S.weights, no_show: 1.5 } }],
    ["decay[1].untilDays", { decay: [{ untilDays: 90, percent: 100 }, { untilDays: 90, percent: 50 }] }],
    ["decay[1].percent", { decay: [{ untilDays: 90, percent: 50 }, { untilDays: 180, percent: 60 }] }],
    ["decay", { decay: [] }],
    ["redAtLeast", { blackBelow: 100, redAtLeast: 105, hysteresis: 5 }],
    ["basePoints", { basePoints: 62 }],
    ["version", { version: "" }],
    ["version", { version: "has space" }],
    ["appealWindowDays", { appealWindowDays: 0 }],
    ["operatorMaxPoints", { operatorMaxPoints: 0 }],
  ])("names %s when it is wrong", (field, change) => {
    expect(trustSettingsProblems({ ...S, ...change }).map((p) => p.field)).toContain(field);
  });

  it("parses TRUST_SETTINGS over the defaults and insists on a new version", () => {
    expect(parseTrustSettings("")).toEqual({ ok: true, settings: S });
    const parsed = parseTrustSettings(JSON.stringify({ version: "2026-2", weights: { no_show: -800 }, blackBelow: 50 }));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.settings.weights.no_show).toBe(-800);
      expect(parsed.settings.weights.seat_unfilled).toBe(S.weights.seat_unfilled);
      expect(parsed.settings.blackBelow).toBe(50);
      expect(Object.isFrozen(parsed.settings.weights)).toBe(true);
    }
    expect(parseTrustSettings(JSON.stringify({ blackBelow: 50 }))).toMatchObject({ ok: false, problems: [{ field: "version" }] });
    expect(parseTrustSettings(JSON.stringify({ version: S.version, blackBelow: 50 }))).toMatchObject({ ok: false, problems: [{ field: "version" }] });
    expect(parseTrustSettings(JSON.stringify({ version: "x2", bogus: 1 }))).toMatchObject({ ok: false, problems: [{ field: "bogus" }] });
    expect(parseTrustSettings(JSON.stringify({ version: "x2", weights: { tardiness: -1 } }))).toMatchObject({ ok: false, problems: [{ field: "weights.tardiness" }] });
    expect(parseTrustSettings("[1]")).toMatchObject({ ok: false });
    expect(parseTrustSettings("{")).toMatchObject({ ok: false });
  });

  it("shows weights in points for the public page", () => {
    const shown = publicTrustSettings(S);
    expect(shown.version).toBe("2026-1");
    expect(shown.weights.find((w) => w.kind === "no_show")).toEqual({ kind: "no_show", points: "-5.00", perSeat: true, byOperatorUpTo: null });
    expect(shown.weights.find((w) => w.kind === "shift_completed")?.points).toBe("0.10");
    expect(shown.weights.find((w) => w.kind === "penalty")).toEqual({ kind: "penalty", points: null, perSeat: false, byOperatorUpTo: 50 });
    expect(JSON.parse(JSON.stringify(shown))).toEqual(shown);
  });
});

describe("scored events", () => {
  it("an operator's commendation or penalty needs a reason, a document reference, bounded points and the operator", () => {
    const ok = operatorEvent({ id: "op_1", organisationId: ORG, kind: "penalty", points: 10, reason: " late wages ", documentRef: "渝人社罚〔2026〕1号", serious: false, operatorId: "opr_1", at: T0 });
    expect(ok.reason).toBe("late wages");
    expect(scoredEventProblems(ok, S)).toEqual([]);
    expect(scoredEventProblems({ ...ok, reason: "  " }, S).map((p) => p.field)).toEqual(["reason"]);
    expect(scoredEventProblems({ ...ok, documentRef: null }, S).map((p) => p.field)).toEqual(["documentRef"]);
    expect(scoredEventProblems({ ...ok, points: 51 }, S).map((p) => p.field)).toEqual(["points"]);
    expect(scoredEventProblems({ ...ok, points: 0 }, S).map((p) => p.field)).toEqual(["points"]);
    expect(scoredEventProblems({ ...ok, operatorId: null }, S).map((p) => p.field)).toEqual(["operatorId"]);
    expect(scoredEventProblems({ ...ok, count: 2 }, S).map((p) => p.field)).toEqual(["count"]);
  });

  it("only a penalty can be serious; facts take their points from the settings", () => {
    expect(scoredEventProblems(ev("no_show", T0, { serious: true }), S).map((p) => p.field)).toEqual(["serious"]);
    expect(scoredEventProblems(ev("no_show", T0, { points: 3 }), S).map((p) => p.field)).toEqual(["points"]);
    expect(scoredEventProblems(ev("no_show", T0, { count: 0 }), S).map((p) => p.field)).toEqual(["count"]);
    expect(scoredEventProblems(ev("licence_invalid", T0), S).map((p) => p.field)).toEqual(["reason"]);
    expect(scoredEventProblems(licenceEvent({ id: "l1", organisationId: ORG, licenceNumber: "(渝)人服证字〔2024〕第0001号", status: "suspended", at: T0 }), S)).toEqual([]);
  });

  it.each([
    [{ recorded: 180, proposed: 120, awarded: 170 }, "enterprise"],
    [{ recorded: 180, proposed: 120, awarded: 130 }, "supplier"],
    [{ recorded: 180, proposed: 120, awarded: 150 }, null],
    [{ recorded: 180, proposed: null, awarded: 180 }, "enterprise"],
    [{ recorded: 180, proposed: null, awarded: 170 }, "supplier"],
    [{ recorded: null, proposed: 120, awarded: 120 }, "supplier"],
    [{ recorded: null, proposed: 120, awarded: 121 }, "enterprise"],
    [{ recorded: null, proposed: null, awarded: 100 }, null],
  ] as const)("dispute %j is lost by %s", (minutes, loser) => {
    expect(disputeLoser(minutes)).toBe(loser);
  });

  const effect = (over: Partial<TrustRecordEffect>): TrustRecordEffect => ({
    id: "ctr_1:seat:2:trust:supplier:no_show",
    type: "trust.record",
    contractId: "ctr_1",
    party: "supplier",
    partyId: ORG,
    event: "no_show",
    seat: 2,
    seats: 1,
    minutes: null,
    ...over,
  });

  it("maps the contract machines' trust.record effects, keeping their ids", () => {
    expect(scoredEventFromTrustRecord(effect({}), T0)).toMatchObject({ id: "ctr_1:seat:2:trust:supplier:no_show", organisationId: ORG, kind: "no_show", at: T0, count: 1, contractId: "ctr_1", seat: 2 });
    expect(scoredEventFromTrustRecord(effect({ event: "late_cancellation", party: "enterprise", partyId: "org_ent", seat: null, seats: 3 }), T0)).toMatchObject({ kind: "late_cancellation", organisationId: "org_ent", count: 3 });
    // A cancellation that touched no staffed seat scores nothing.
    expect(scoredEventFromTrustRecord(effect({ event: "late_cancellation", party: "enterprise", seats: 0 }), T0)).toBeNull();
    const dispute = { recorded: 180, proposed: 120, awarded: 130 };
    expect(scoredEventFromTrustRecord(effect({ event: "dispute_resolved", minutes: dispute }), T0)).toMatchObject({ kind: "dispute_lost", organisationId: ORG });
    expect(scoredEventFromTrustRecord(effect({ event: "dispute_resolved", party: "enterprise", partyId: "org_ent", minutes: dispute }), T0)).toBeNull();
  });

  it("a no-show in a contract lifecycle lowers the supplier's points", () => {
    const rt = MemoryRuntime.empty(SHIFT_START - 72 * HOUR);
    rt.startContract({ contractId: "ctr_9", enterpriseId: "org_ent", supplierId: ORG, headcount: 2, shiftStart: SHIFT_START, shiftEnd: SHIFT_END, paidMinutes: PAID_MINUTES, settings: SETTINGS });
    rt.contract("ctr_9", { type: "seat.assign", seat: 1, shiftId: "shf_a", workerId: "wrk_a" });
    rt.contract("ctr_9", { type: "seat.assign", seat: 2, shiftId: "shf_b", workerId: "wrk_b" });
    rt.shift("shf_a", { type: "shift.confirm" });
    rt.shift("shf_b", { type: "shift.confirm" });
    rt.advanceTo(SHIFT_START + 5 * MIN);
    rt.shift("shf_a", { type: "shift.checkIn", outsideGeofence: false });
    rt.advanceTo(NO_SHOW_AT);
    const before = explainScore(ORG, [], none, rt.now, S).centipoints;
    const events = rt
      .external()
      .filter((e): e is TrustRecordEffect => e.type === "trust.record")
      .map((e) => scoredEventFromTrustRecord(e, rt.now))
      .filter((e): e is ScoredEvent => e !== null);
    expect(events.map((e) => [e.kind, e.seat])).toEqual([["no_show", 2]]);
    const after = explainScore(ORG, events, none, rt.now, S);
    expect(after.centipoints).toBe(before - 500);
    expect(after.lines).toEqual([expect.objectContaining({ eventId: "ctr_9:seat:2:trust:supplier:no_show", centipoints: -500 })]);
  });
});

describe("score and explanation", () => {
  it("every point traces to its event: the score is the base plus the lines", () => {
    const events = [ev("shift_completed", T0, { count: 30 }), ev("no_show", T0 + DAY), ev("penalty", T0 + 2 * DAY, { points: 7, reason: "r", documentRef: "d", operatorId: "opr" })];
    const x = explainScore(ORG, events, none, T0 + 10 * DAY, S);
    expect(x.baseCentipoints).toBe(10_000);
    expect(x.lines.map((l) => [l.kind, l.centipoints, l.percent, l.ageDays])).toEqual([
      ["penalty", -700, 100, 8],
      ["no_show", -500, 100, 9],
      ["shift_completed", 300, 100, 10],
    ]);
    expect(x.centipoints).toBe(10_000 + 300 - 500 - 700);
    expect(x.points).toBe("91.00");
    expect(x.settingsVersion).toBe("2026-1");
    expect(x.completedSeats).toBe(30);
  });

  it("decays by windows, rounding each line once, half-even, and forgets after the last window", () => {
    expect(decayPercent(0, S)).toBe(100);
    expect(decayPercent(90 * DAY - 1, S)).toBe(100);
    expect(decayPercent(90 * DAY, S)).toBe(50);
    expect(decayPercent(180 * DAY, S)).toBe(25);
    expect(decayPercent(365 * DAY, S)).toBe(0);
    const completed = ev("shift_completed", T0); // 10 centipoints
    const at = (days: number) => explainScore(ORG, [completed], none, T0 + days * DAY, S);
    expect(at(100).lines[0]?.centipoints).toBe(5);
    expect(at(200).lines[0]?.centipoints).toBe(2); // 2.5 → 2 (even)
    expect(explainScore(ORG, [ev("shift_completed", T0, { count: 3 })], none, T0 + 200 * DAY, S).lines[0]?.centipoints).toBe(8); // 7.5 → 8 (even)
    expect(explainScore(ORG, [ev("no_show", T0, { count: 1 }), ev("shift_completed", T0, { count: 1 })], none, T0 + 200 * DAY, S).lines.map((l) => l.centipoints).sort()).toEqual([-125, 2]);
    expect(at(365).lines).toEqual([]);
    expect(at(365).centipoints).toBe(10_000);
  });

  it("leaves out events after the instant, counts a repeated id once, lists annulled events apart", () => {
    const a = ev("no_show", T0);
    const b = ev("no_show", T0 + 5 * DAY);
    const x = explainScore(ORG, [a, a, b], new Set([a.id]), T0 + 2 * DAY, S);
    expect(x.lines).toEqual([]);
    expect(x.annulled).toEqual([{ eventId: a.id, kind: "no_show", at: T0 }]);
    expect(x.centipoints).toBe(10_000);
    expect(explainScore(ORG, [a, a, b], none, T0 + 6 * DAY, S).centipoints).toBe(10_000 - 1000);
  });

  it("refuses another organisation's events", () => {
    expect(() => explainScore(ORG, [ev("no_show", T0, { organisationId: "org_other" })], none, T0, S)).toThrow(RangeError);
  });

  it("formats hundredths of a point", () => {
    expect(formatPoints(8735)).toBe("87.35");
    expect(formatPoints(-305)).toBe("-3.05");
    expect(formatPoints(0)).toBe("0.00");
    expect(formatPoints(-5)).toBe("-0.05");
  });

  it("property (seeded): the total always equals base + Σ lines, lines are the non-annulled past events still counting, and order of the input does not matter", () => {
    const rand = prng(1010);
    const kinds: ScoredKind[] = ["shift_completed", "seat_unfilled", "no_show", "late_cancellation", "supplier_cancelled", "dispute_lost", "licence_invalid", "wages_unpaid", "commendation", "penalty"];
    for (let round = 0; round < 200; round++) {
      const events = Array.from({ length: Math.floor(rand() * 40) }, () => {
        const kind = kinds[Math.floor(rand() * kinds.length)] as ScoredKind;
        const operator = kind === "commendation" || kind === "penalty";
        return ev(kind, T0 + Math.floor(rand() * 500 * DAY), {
          count: operator ? 1 : 1 + Math.floor(rand() * 5),
          points: operator ? 1 + Math.floor(rand() * 50) : null,
          reason: operator || kind === "licence_invalid" ? "why" : null,
          documentRef: operator ? "doc" : null,
          operatorId: operator ? "opr" : null,
        });
      });
      const annulled = new Set(events.filter(() => rand() < 0.1).map((e) => e.id));
      const at = T0 + Math.floor(rand() * 600 * DAY);
      const x = explainScore(ORG, events, annulled, at, S);
      expect(x.centipoints).toBe(x.baseCentipoints + x.lines.reduce((s, l) => s + l.centipoints, 0));
      const expected = events.filter((e) => e.at <= at && !annulled.has(e.id) && at - e.at < 365 * DAY).map((e) => e.id).sort();
      expect(x.lines.map((l) => l.eventId).sort()).toEqual(expected);
      for (const l of x.lines) {
        const exact = (l.unitWeight * l.count * l.percent) / 100;
        expect(Math.abs(l.centipoints - exact)).toBeLessThanOrEqual(0.5);
      }
      const shuffled = [...events].sort(() => rand() - 0.5);
      expect(explainScore(ORG, shuffled, annulled, at, S)).toEqual(x);
    }
  });
});

describe("colour", () => {
  const noShows = (k: number, from = T0) => Array.from({ length: k }, (_, i) => ev("no_show", from + i * HOUR));

  it("starts blue; enough no-shows turn an agency black", () => {
    expect(evaluate([], T0).colour).toBe("blue");
    expect(evaluate(noShows(8), T0 + DAY)).toMatchObject({ colour: "blue", reason: { kind: "points_blue", points: "60.00" } });
    expect(evaluate(noShows(9), T0 + DAY)).toMatchObject({ colour: "black", reason: { kind: "points_black", points: "55.00", threshold: 60, held: false } });
  });

  it("is black at once without a valid licence or with a serious violation, whatever the points", () => {
    const rich = [ev("shift_completed", T0, { count: 500 })];
    expect(evaluate(rich, T0 + DAY, INITIAL_COLOUR_STATUS, { licenceValid: false })).toMatchObject({ colour: "black", reason: { kind: "licence_invalid" } });
    const serious = ev("penalty", T0 + DAY, { points: 1, serious: true, reason: "forged certificates", documentRef: "doc", operatorId: "opr" });
    const r = evaluate([...rich, serious], T0 + 2 * DAY);
    expect(r).toMatchObject({ colour: "black", reason: { kind: "serious_violation", eventId: serious.id, until: T0 + DAY + 365 * DAY } });
    // It lasts seriousViolationBlackDays, then points decide again.
    expect(evaluate([...rich, serious], T0 + DAY + 365 * DAY).colour).not.toBe("black");
  });

  it("is red only after the minimum history: completed seats and days since joining", () => {
    const rich = [ev("shift_completed", T0, { count: 100 })]; // +10 → 110
    expect(evaluate(rich, T0 + DAY)).toMatchObject({ colour: "red", reason: { kind: "points_red", points: "110.00" } });
    expect(evaluate(rich, T0 + DAY, INITIAL_COLOUR_STATUS, { registeredAt: T0 - 10 * DAY })).toMatchObject({
      colour: "blue",
      reason: { kind: "history_short", historyDays: 11, needDays: 90, completedSeats: 100, needSeats: 50 },
    });
    const fewButLarge = [ev("shift_completed", T0, { count: 40 }), ev("commendation", T0, { points: 20, reason: "r", documentRef: "d", operatorId: "o" })];
    expect(evaluate(fewButLarge, T0 + DAY)).toMatchObject({ colour: "blue", reason: { kind: "history_short", completedSeats: 40 } });
  });

  it("holds red and black within the hysteresis margin, so a score at a line does not flip", () => {
    const red: ColourStatus = { colour: "red", reason: { kind: "points_red", points: "110.00", threshold: 110, held: false } };
    const at107 = [ev("shift_completed", T0, { count: 100 }), ev("seat_unfilled", T0 + HOUR, { count: 1 }), ev("commendation", T0, { points: 0 + 1, reason: "r", documentRef: "d", operatorId: "o" })]; // 100+10-2+1 = 109
    expect(evaluate(at107, T0 + DAY, red)).toMatchObject({ colour: "red", reason: { kind: "points_red", threshold: 105, held: true } });
    expect(evaluate(at107, T0 + DAY)).toMatchObject({ colour: "blue" });
    const black: ColourStatus = { colour: "black", reason: { kind: "points_black", points: "55.00", threshold: 60, held: false } };
    const at62 = [...noShows(8), ev("commendation", T0, { points: 2, reason: "r", documentRef: "d", operatorId: "o" })]; // 62
    expect(evaluate(at62, T0 + DAY, black)).toMatchObject({ colour: "black", reason: { kind: "points_black", threshold: 65, held: true } });
    expect(evaluate(at62, T0 + DAY).colour).toBe("blue");
    // Black for a licence is not held by the points margin once the licence is valid again.
    expect(evaluate(at62, T0 + DAY, { colour: "black", reason: { kind: "licence_invalid" } }).colour).toBe("blue");
  });

  it("a change of colour is an event naming from, to, reason and the events behind a downgrade; the same colour is none", () => {
    const events = noShows(9);
    const black = evaluate(events, T0 + DAY);
    const t = colourTransition({ id: "ct_1", previous: INITIAL_COLOUR_STATUS, evaluation: black }) as ColourTransition;
    expect(t).toMatchObject({ id: "ct_1", organisationId: ORG, from: "blue", to: "black", reason: { kind: "points_black" }, at: T0 + DAY, settingsVersion: "2026-1", points: "55.00" });
    expect([...t.eventIds].sort()).toEqual(events.map((e) => e.id).sort());
    expect(colourTransition({ id: "ct_2", previous: black, evaluation: evaluate(noShows(10), T0 + DAY, black) })).toBeNull();
    const up = colourTransition({ id: "ct_3", previous: { colour: "black", reason: { kind: "licence_invalid" } }, evaluation: evaluate([], T0) });
    expect(up).toMatchObject({ from: "black", to: "blue", eventIds: [] });
    const licence = colourTransition({ id: "ct_4", previous: INITIAL_COLOUR_STATUS, evaluation: evaluate(events, T0 + DAY, INITIAL_COLOUR_STATUS, { licenceValid: false }) });
    expect(licence).toMatchObject({ to: "black", reason: { kind: "licence_invalid" }, eventIds: [] });
  });
});

describe("appeals", () => {
  function blackened() {
    const events = Array.from({ length: 9 }, (_, i) => ev("no_show", T0 + i * HOUR));
    const evaluation = evaluate(events, T0 + DAY);
    const transition = colourTransition({ id: "ct_black", previous: INITIAL_COLOUR_STATUS, evaluation }) as ColourTransition;
    return { events, evaluation, transition };
  }
  const file = (transition: ColourTransition, over: Partial<Parameters<typeof fileAppeal>[0]> = {}) =>
    fileAppeal({ id: "ap_1", organisationId: ORG, transition, latestTransitionId: transition.id, appeals: [], grounds: "the workers were sent home by the site", at: transition.at + DAY, settings: S, ...over });

  it("an appeal upheld by an operator annuls the contested events and restores the colour", () => {
    const { events, evaluation, transition } = blackened();
    const filed = file(transition);
    expect(filed).toMatchObject({ ok: true, value: { status: "open", from: "blue", to: "black", transitionId: "ct_black" } });
    const appeal = (filed as { value: Appeal }).value;
    expect(appeal.contested).toEqual(transition.eventIds);
    const resolved = resolveAppeal(appeal, { decision: "upheld", operatorId: "opr_1", reason: "site records confirm", at: transition.at + 3 * DAY });
    expect(resolved.ok).toBe(true);
    if (!resolved.ok) return;
    expect(resolved.value.appeal).toMatchObject({ status: "upheld", resolution: { operatorId: "opr_1", reason: "site records confirm" } });
    expect(resolved.value.annulments.map((a) => a.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    const annulled = new Set(resolved.value.annulments.map((a) => a.eventId));
    const after = evaluate(events, transition.at + 3 * DAY, evaluation, { annulled });
    const restored = colourTransition({ id: "ct_restore", previous: evaluation, evaluation: after, appealId: appeal.id });
    expect(restored).toMatchObject({ from: "black", to: "blue", reason: { kind: "appeal_upheld", appealId: "ap_1", evaluated: { kind: "points_blue" } } });
    expect(after.score.annulled).toHaveLength(9);
    // Scores before the decision are reproduced as they were; from the decision on the events count nothing.
    expect(annulledAt(resolved.value.annulments, transition.at + 3 * DAY - 1).size).toBe(0);
    expect(annulledAt(resolved.value.annulments, transition.at + 3 * DAY)).toEqual(annulled);
    // A later evaluation keeps the annulled events out: the colour stays restored.
    expect(evaluate(events, transition.at + 10 * DAY, after, { annulled }).colour).toBe("blue");
  });

  it("a rejected appeal annuls nothing", () => {
    const { transition } = blackened();
    const appeal = (file(transition) as { value: Appeal }).value;
    expect(resolveAppeal(appeal, { decision: "rejected", operatorId: "opr_1", reason: "no evidence", at: transition.at + 2 * DAY })).toMatchObject({
      ok: true,
      value: { appeal: { status: "rejected" }, annulments: [] },
    });
  });

  it("refuses what cannot be appealed, naming the field", () => {
    const { transition } = blackened();
    const appeal = (file(transition) as { value: Appeal }).value;
    expect(file(transition, { organisationId: "org_other" })).toMatchObject({ ok: false, refusal: "not_yours" });
    expect(file({ ...transition, from: "black", to: "blue" })).toMatchObject({ ok: false, refusal: "not_a_downgrade" });
    expect(file({ ...transition, reason: { kind: "licence_invalid" } })).toMatchObject({ ok: false, refusal: "licence" });
    expect(file(transition, { latestTransitionId: "ct_newer" })).toMatchObject({ ok: false, refusal: "superseded" });
    expect(file(transition, { at: transition.at + 31 * DAY })).toMatchObject({ ok: false, refusal: "window_closed" });
    expect(file(transition, { at: transition.at + 30 * DAY }).ok).toBe(true);
    expect(file(transition, { appeals: [appeal] })).toMatchObject({ ok: false, refusal: "already_appealed" });
    expect(file(transition, { grounds: "  " })).toMatchObject({ ok: false, refusal: "grounds_required", field: "grounds" });
    expect(file(transition, { contested: ["ev_unknown"] })).toMatchObject({ ok: false, refusal: "contested_unknown", field: "contested" });
    expect(file(transition, { contested: [] })).toMatchObject({ ok: false, refusal: "contested_unknown" });
    expect(file(transition, { at: transition.at - 1 })).toMatchObject({ ok: false, refusal: "before_filing" });
    const resolved = resolveAppeal(appeal, { decision: "rejected", operatorId: "o", reason: "r", at: transition.at + 2 * DAY });
    if (!resolved.ok) throw new Error("expected a resolution");
    expect(resolveAppeal(resolved.value.appeal, { decision: "upheld", operatorId: "o", reason: "r", at: transition.at + 3 * DAY })).toMatchObject({ ok: false, refusal: "not_open" });
    expect(resolveAppeal(appeal, { decision: "upheld", operatorId: "o", reason: " ", at: transition.at + 3 * DAY })).toMatchObject({ ok: false, refusal: "reason_required", field: "reason" });
    expect(resolveAppeal(appeal, { decision: "upheld", operatorId: "o", reason: "r", at: appeal.filedAt - 1 })).toMatchObject({ ok: false, refusal: "before_filing" });
  });

  it("upholding only some contested events restores the colour only if those were enough", () => {
    const { events, evaluation, transition } = blackened();
    const appeal = (file(transition, { contested: [events[0]!.id] }) as { value: Appeal }).value;
    const resolved = resolveAppeal(appeal, { decision: "upheld", operatorId: "o", reason: "one was wrong", at: transition.at + DAY });
    if (!resolved.ok) throw new Error("expected a resolution");
    const annulled = new Set(resolved.value.annulments.map((a) => a.eventId));
    // 8 no-shows remain: 60 points, but black is held until 65.
    const after = evaluate(events, transition.at + DAY, evaluation, { annulled });
    expect(after).toMatchObject({ colour: "black", reason: { kind: "points_black", held: true } });
    expect(colourTransition({ id: "x", previous: evaluation, evaluation: after, appealId: appeal.id })).toBeNull();
  });

  it("appeals a serious violation by its penalty", () => {
    const serious = ev("penalty", T0, { points: 5, serious: true, reason: "r", documentRef: "d", operatorId: "o" });
    const evaluation = evaluate([serious], T0 + HOUR);
    const transition = colourTransition({ id: "ct_s", previous: INITIAL_COLOUR_STATUS, evaluation }) as ColourTransition;
    expect(transition.eventIds).toEqual([serious.id]);
    const appeal = (file(transition) as { value: Appeal }).value;
    const resolved = resolveAppeal(appeal, { decision: "upheld", operatorId: "o", reason: "wrong organisation", at: T0 + 2 * DAY });
    if (!resolved.ok) throw new Error("expected a resolution");
    const after = evaluate([serious], T0 + 2 * DAY, evaluation, { annulled: new Set(resolved.value.annulments.map((a) => a.eventId)) });
    expect(after.colour).toBe("blue");
  });
});
