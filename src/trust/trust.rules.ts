/**
 * Integrity points and colour (诚信积分, 红蓝黑): the pure rules.
 *
 * An organisation's score at an instant is its base points plus the decayed,
 * weighted points of every scored event recorded against it before that
 * instant and not annulled. Every point traces to its event: the explanation
 * lists each contributing event with its weight, its age, the share of it
 * that still counts and the points that result, and the score is exactly
 * their sum (integers throughout; no float ever rounds a score).
 *
 * Units: scores and weights are counted in hundredths of a point
 * ("centipoints", so a completed shift can be worth 0.1 point and the sum
 * stays exact); thresholds and operators' commendations and penalties are
 * whole points. Decay is windowed: an event counts in full while it is young,
 * then by steps (a share in whole percent) until it no longer counts. Each
 * decayed line is rounded once, half-even, to whole centipoints; the total is
 * the sum of the lines as shown.
 *
 * Colour: black at once for an invalid licence or an active serious
 * violation; otherwise black below a threshold; red at or above another, and
 * only after a minimum history; blue between. Leaving red or black needs the
 * threshold plus a margin (hysteresis), so a score hovering at a line does not
 * flip the colour (and the sequencer's books) back and forth. Colour changes
 * are events; a downgrade can be appealed, and an upheld appeal annuls the
 * contested events, so the colour recomputed without them is restored.
 *
 * Pure: no I/O, no clock (every instant is passed in), no randomness (ids
 * are passed in or derived from the inputs). The settings are versioned;
 * every explanation and transition names the version it was computed under.
 */
import type { TrustRecordEffect } from "../../machines/types";

/** Epoch milliseconds. */
export type EpochMs = number;

const DAY_MS = 86_400_000;

// ------------------------------------------------------------------ events

/** The colours, lowest first: black never trades, red may take orders that require red. */
export type Colour = "black" | "blue" | "red";

const COLOUR_RANK: Record<Colour, number> = { black: 0, blue: 1, red: 2 };

/** True when `to` is a lower colour than `from`. */
export function isDowngrade(from: Colour, to: Colour): boolean {
  return COLOUR_RANK[to] < COLOUR_RANK[from];
}

/** What can be scored. */
export type ScoredKind =
  | "shift_completed"
  | "seat_unfilled"
  | "no_show"
  | "late_cancellation"
  | "supplier_cancelled"
  | "dispute_lost"
  | "licence_invalid"
  | "wages_unpaid"
  | "commendation"
  | "penalty";

/** Every scored kind, in the order the public page lists them. */
export const SCORED_KINDS: readonly ScoredKind[] = Object.freeze([
  "shift_completed",
  "seat_unfilled",
  "no_show",
  "late_cancellation",
  "supplier_cancelled",
  "dispute_lost",
  "licence_invalid",
  "wages_unpaid",
  "commendation",
  "penalty",
]);

/** Kinds whose points are the settings' weight; an operator sets the points of a commendation or penalty. */
export type WeightedKind = Exclude<ScoredKind, "commendation" | "penalty">;

/** One entry of the append-only record of scored events of an organisation. */
export interface ScoredEvent {
  /** Stable and unique (the contract effect's id, the operator record's id…): appending twice changes nothing. */
  readonly id: string;
  readonly organisationId: string;
  readonly kind: ScoredKind;
  /** When it happened (the instant of the event that produced it, not when it was recorded). */
  readonly at: EpochMs;
  /** Seats (or items) concerned, at least 1: the weight counts once for each. */
  readonly count: number;
  readonly contractId: string | null;
  readonly seat: number | null;
  /** Why, in words for the public page (no personal data of workers); required for licence_invalid, commendation and penalty. */
  readonly reason: string | null;
  /** Reference (文号) of the decision behind a commendation or penalty; required for those. */
  readonly documentRef: string | null;
  /** Whole points (1..operatorMaxPoints) an operator awarded or deducted; only for commendation and penalty. */
  readonly points: number | null;
  /** A penalty for a serious violation (严重失信): black at once, for `seriousViolationBlackDays`. */
  readonly serious: boolean;
  /** The operator who recorded a commendation or penalty; null for recorded facts. */
  readonly operatorId: string | null;
}

/** A problem with an event or a setting, naming the field (for DomainError's invalidField). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

const MAX_REASON = 500;
const MAX_DOCUMENT_REF = 100;

function text(value: string | null): string {
  return value === null ? "" : value.trim();
}

/** What is wrong with a scored event under these settings (empty when it may be recorded). */
export function scoredEventProblems(e: ScoredEvent, settings: TrustSettings): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (text(e.id) === "") add("id", "an event needs an id");
  if (text(e.organisationId) === "") add("organisationId", "an event needs an organisation");
  if (!SCORED_KINDS.includes(e.kind)) add("kind", `unknown kind "${e.kind}"`);
  if (!Number.isSafeInteger(e.at)) add("at", "the instant must be whole epoch milliseconds");
  if (!Number.isSafeInteger(e.count) || e.count < 1) add("count", "count must be a whole number of at least 1");
  if (e.seat !== null && (!Number.isSafeInteger(e.seat) || e.seat < 1)) add("seat", "seat must be a whole number of at least 1");
  if (e.reason !== null && e.reason.length > MAX_REASON) add("reason", `reason must be at most ${MAX_REASON} characters`);
  if (e.documentRef !== null && e.documentRef.length > MAX_DOCUMENT_REF) add("documentRef", `document reference must be at most ${MAX_DOCUMENT_REF} characters`);
  const operator = e.kind === "commendation" || e.kind === "penalty";
  if (operator) {
    if (text(e.reason) === "") add("reason", `a ${e.kind} needs a reason`);
    if (text(e.documentRef) === "") add("documentRef", `a ${e.kind} needs the reference of its decision document`);
    if (e.points === null || !Number.isSafeInteger(e.points) || e.points < 1 || e.points > settings.operatorMaxPoints) {
      add("points", `points must be a whole number from 1 to ${settings.operatorMaxPoints}`);
    }
    if (e.count !== 1) add("count", `a ${e.kind} counts once`);
    if (text(e.operatorId) === "") add("operatorId", `a ${e.kind} names the operator who recorded it`);
  } else if (e.points !== null) {
    add("points", `a ${e.kind} takes its points from the settings`);
  }
  if (e.kind === "licence_invalid" && text(e.reason) === "") add("reason", "a licence event says which licence and why");
  if (e.serious && e.kind !== "penalty") add("serious", "only a penalty can be a serious violation");
  return problems;
}

/**
 * Who lost a dispute an operator split, from the minutes the clock recorded
 * (the supplier's claim), the enterprise proposed, and the operator awarded.
 *
 * - Both claims known: the party whose claim the award is further from lost;
 *   an award exactly midway is nobody's loss.
 * - Only the clock's minutes known (the enterprise proposed nothing): an
 *   award below them is the supplier's loss, otherwise the enterprise's.
 * - Only the enterprise's proposal known (the worker never checked out): an
 *   award above it is the enterprise's loss, otherwise the supplier's.
 * - Neither known: nobody's.
 */
export function disputeLoser(minutes: { readonly recorded: number | null; readonly proposed: number | null; readonly awarded: number }): "enterprise" | "supplier" | null {
  const { recorded, proposed, awarded } = minutes;
  if (recorded !== null && proposed !== null) {
    const fromSupplier = Math.abs(awarded - recorded);
    const fromEnterprise = Math.abs(awarded - proposed);
    if (fromSupplier === fromEnterprise) return null;
    return fromSupplier > fromEnterprise ? "supplier" : "enterprise";
  }
  if (recorded !== null) return awarded < recorded ? "supplier" : "enterprise";
  if (proposed !== null) return awarded > proposed ? "enterprise" : "supplier";
  return null;
}

function factEvent(id: string, organisationId: string, kind: WeightedKind, at: EpochMs, count: number, contractId: string | null, seat: number | null, reason: string | null): ScoredEvent {
  return { id, organisationId, kind, at, count, contractId, seat, reason, documentRef: null, points: null, serious: false, operatorId: null };
}

/**
 * The scored event a contract's `trust.record` effect stands for, or null when
 * it scores nothing (a dispute nobody lost, a cancellation that touched no
 * seat). `at` is the instant of the machine event that emitted the effect
 * (not when the runtime ran it), so a replay scores the same instant. The
 * effect's id becomes the event's id: running the effect twice records once.
 */
export function scoredEventFromTrustRecord(effect: TrustRecordEffect, at: EpochMs): ScoredEvent | null {
  const count = Math.max(effect.seats, 0);
  switch (effect.event) {
    case "shift_completed":
    case "seat_unfilled":
    case "no_show":
    case "late_cancellation":
    case "supplier_cancelled":
      if (count === 0) return null;
      return factEvent(effect.id, effect.partyId, effect.event, at, count, effect.contractId, effect.seat, null);
    case "dispute_resolved": {
      if (effect.minutes === null || disputeLoser(effect.minutes) !== effect.party) return null;
      return factEvent(effect.id, effect.partyId, "dispute_lost", at, 1, effect.contractId, effect.seat, null);
    }
    default: {
      const unknown: never = effect.event;
      throw new RangeError(`scoredEventFromTrustRecord: unknown trust event ${String(unknown)}`);
    }
  }
}

/** The scored event of a licence that expired or was suspended (parties records it when the status changes). */
export function licenceEvent(input: { readonly id: string; readonly organisationId: string; readonly licenceNumber: string; readonly status: "expired" | "suspended"; readonly at: EpochMs }): ScoredEvent {
  const why = input.status === "expired" ? "expired" : "suspended";
  return factEvent(input.id, input.organisationId, "licence_invalid", input.at, 1, null, null, `licence ${input.licenceNumber} ${why}`);
}

/** An operator's commendation or penalty as a scored event; validate it with scoredEventProblems before recording. */
export function operatorEvent(input: {
  readonly id: string;
  readonly organisationId: string;
  readonly kind: "commendation" | "penalty";
  readonly points: number;
  readonly reason: string;
  readonly documentRef: string;
  readonly serious: boolean;
  readonly operatorId: string;
  readonly at: EpochMs;
}): ScoredEvent {
  return {
    id: input.id,
    organisationId: input.organisationId,
    kind: input.kind,
    at: input.at,
    count: 1,
    contractId: null,
    seat: null,
    reason: input.reason.trim(),
    documentRef: input.documentRef.trim(),
    points: input.points,
    serious: input.kind === "penalty" && input.serious,
    operatorId: input.operatorId,
  };
}

// ------------------------------------------------------------------ settings

/** One step of the decay: an event younger than `untilDays` days counts `percent` % of its points. */
export interface DecayStep {
  readonly untilDays: number;
  readonly percent: number;
}

/** Weights, decay and thresholds, published on the public page under their version. */
export interface TrustSettings {
  /** Changes whenever any value changes; stored beside every explanation and transition. */
  readonly version: string;
  /** Points every organisation starts from (the organisations table's default). */
  readonly basePoints: number;
  /** Hundredths of a point per seat (or item) for each kind recorded from facts; negative costs points. */
  readonly weights: Readonly<Record<WeightedKind, number>>;
  /** Largest commendation or penalty an operator may record, in whole points. */
  readonly operatorMaxPoints: number;
  /** Ages (ascending) and the share that still counts; an event older than the last step counts nothing. */
  readonly decay: readonly DecayStep[];
  /** Below this many points: black. */
  readonly blackBelow: number;
  /** At or above this many points, with enough history: red. */
  readonly redAtLeast: number;
  /** Leaving black needs blackBelow + this; staying red needs redAtLeast − this. */
  readonly hysteresis: number;
  /** Red needs at least this many completed seats … */
  readonly redMinCompletedSeats: number;
  /** … and this many days since the organisation joined. */
  readonly redMinHistoryDays: number;
  /** A serious violation keeps the organisation black this many days (unless annulled on appeal). */
  readonly seriousViolationBlackDays: number;
  /** A downgrade may be appealed within this many days. */
  readonly appealWindowDays: number;
}

/** The first published settings. */
export const DEFAULT_TRUST_SETTINGS: TrustSettings = Object.freeze({
  version: "2026-1",
  basePoints: 100,
  weights: Object.freeze({
    shift_completed: 10,
    seat_unfilled: -200,
    no_show: -500,
    late_cancellation: -200,
    supplier_cancelled: -300,
    dispute_lost: -300,
    licence_invalid: -2000,
    wages_unpaid: -300,
  }),
  operatorMaxPoints: 50,
  decay: Object.freeze([
    Object.freeze({ untilDays: 90, percent: 100 }),
    Object.freeze({ untilDays: 180, percent: 50 }),
    Object.freeze({ untilDays: 365, percent: 25 }),
  ]),
  blackBelow: 60,
  redAtLeast: 110,
  hysteresis: 5,
  redMinCompletedSeats: 50,
  redMinHistoryDays: 90,
  seriousViolationBlackDays: 365,
  appealWindowDays: 30,
});

const WEIGHTED_KINDS = SCORED_KINDS.filter((k): k is WeightedKind => k !== "commendation" && k !== "penalty");
const SIGN: Record<WeightedKind, 1 | -1> = {
  shift_completed: 1,
  seat_unfilled: -1,
  no_show: -1,
  late_cancellation: -1,
  supplier_cancelled: -1,
  dispute_lost: -1,
  licence_invalid: -1,
  wages_unpaid: -1,
};
const MAX_POINTS = 1_000_000;

function wholeIn(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max;
}

/** What is wrong with a settings object (empty when it may be used); config.ts reports these naming its variable. */
export function trustSettingsProblems(s: TrustSettings): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (typeof s.version !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/.test(s.version)) add("version", "version must be 1–40 letters, digits, dots, dashes or underscores");
  if (!wholeIn(s.basePoints, 0, MAX_POINTS)) add("basePoints", `basePoints must be a whole number 0..${MAX_POINTS}`);
  for (const kind of WEIGHTED_KINDS) {
    const w = s.weights?.[kind];
    if (!wholeIn(w, -MAX_POINTS * 100, MAX_POINTS * 100)) add(`weights.${kind}`, `weights.${kind} must be whole hundredths of a point`);
    else if (w !== 0 && Math.sign(w) !== SIGN[kind]) add(`weights.${kind}`, `weights.${kind} must be ${SIGN[kind] > 0 ? "positive" : "negative"} or 0`);
  }
  for (const key of Object.keys(s.weights ?? {})) {
    if (!(WEIGHTED_KINDS as readonly string[]).includes(key)) add(`weights.${key}`, `no scored kind "${key}" takes a weight`);
  }
  if (!wholeIn(s.operatorMaxPoints, 1, MAX_POINTS)) add("operatorMaxPoints", `operatorMaxPoints must be a whole number 1..${MAX_POINTS}`);
  if (!Array.isArray(s.decay) || s.decay.length === 0) add("decay", "decay needs at least one step");
  else {
    s.decay.forEach((step, i) => {
      if (!wholeIn(step?.untilDays, 1, 36_500)) add(`decay[${i}].untilDays`, "untilDays must be a whole number 1..36500");
      if (!wholeIn(step?.percent, 0, 100)) add(`decay[${i}].percent`, "percent must be a whole number 0..100");
      const prev = s.decay[i - 1];
      if (prev !== undefined && wholeIn(step?.untilDays, 1, 36_500) && step.untilDays <= prev.untilDays) add(`decay[${i}].untilDays`, "steps must grow older");
      if (prev !== undefined && wholeIn(step?.percent, 0, 100) && step.percent > prev.percent) add(`decay[${i}].percent`, "an older event never counts more than a younger one");
    });
  }
  if (!wholeIn(s.blackBelow, 0, MAX_POINTS)) add("blackBelow", "blackBelow must be a whole number of points");
  if (!wholeIn(s.redAtLeast, 0, MAX_POINTS)) add("redAtLeast", "redAtLeast must be a whole number of points");
  if (!wholeIn(s.hysteresis, 0, MAX_POINTS)) add("hysteresis", "hysteresis must be a whole number of points");
  if (wholeIn(s.blackBelow, 0, MAX_POINTS) && wholeIn(s.redAtLeast, 0, MAX_POINTS) && wholeIn(s.hysteresis, 0, MAX_POINTS)) {
    // The margins must leave room for blue, or an organisation could be held red and black at once.
    if (s.blackBelow + s.hysteresis > s.redAtLeast - s.hysteresis) add("redAtLeast", "redAtLeast − hysteresis must not be below blackBelow + hysteresis");
    if (s.basePoints < s.blackBelow + s.hysteresis) add("basePoints", "a new organisation must start blue: basePoints must be at least blackBelow + hysteresis");
  }
  if (!wholeIn(s.redMinCompletedSeats, 0, 10_000_000)) add("redMinCompletedSeats", "redMinCompletedSeats must be a whole number");
  if (!wholeIn(s.redMinHistoryDays, 0, 36_500)) add("redMinHistoryDays", "redMinHistoryDays must be a whole number of days");
  if (!wholeIn(s.seriousViolationBlackDays, 1, 36_500)) add("seriousViolationBlackDays", "seriousViolationBlackDays must be a whole number of days, at least 1");
  if (!wholeIn(s.appealWindowDays, 1, 3650)) add("appealWindowDays", "appealWindowDays must be a whole number of days, at least 1");
  return problems;
}

/** Result of reading settings from configuration. */
export type ParsedTrustSettings = { readonly ok: true; readonly settings: TrustSettings } | { readonly ok: false; readonly problems: readonly FieldProblem[] };

/**
 * Settings from a JSON text (the TRUST_SETTINGS variable): the fields given
 * replace the defaults' (weights and the decay too, each as a whole), and a
 * `version` other than the defaults' is required, so two different sets of
 * values never share a version. Empty text means the defaults.
 */
export function parseTrustSettings(json: string, defaults: TrustSettings = DEFAULT_TRUST_SETTINGS): ParsedTrustSettings {
  if (json.trim() === "") return { ok: true, settings: defaults };
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return { ok: false, problems: [{ field: "", message: "must be a JSON object" }] };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { ok: false, problems: [{ field: "", message: "must be a JSON object" }] };
  const given = raw as Record<string, unknown>;
  const known = Object.keys(defaults);
  const unknown = Object.keys(given).filter((k) => !known.includes(k));
  if (unknown.length > 0) return { ok: false, problems: unknown.map((k) => ({ field: k, message: `unknown setting "${k}"` })) };
  if (given.version === undefined || given.version === defaults.version) {
    return { ok: false, problems: [{ field: "version", message: `changed settings need their own version (not "${defaults.version}")` }] };
  }
  const weights = given.weights === undefined ? defaults.weights : { ...defaults.weights, ...(given.weights as object) };
  const settings = { ...defaults, ...given, weights } as TrustSettings;
  const problems = trustSettingsProblems(settings);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, settings: deepFreeze(settings) };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Hundredths of a point as a decimal string: 8735 → "87.35", -305 → "-3.05". */
export function formatPoints(centipoints: number): string {
  if (!Number.isSafeInteger(centipoints)) throw new RangeError(`points must be whole hundredths, got ${centipoints}`);
  const sign = centipoints < 0 ? "-" : "";
  const abs = Math.abs(centipoints);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** The settings as the public page shows them: weights in points, every number explained by its name. */
export function publicTrustSettings(s: TrustSettings) {
  return {
    version: s.version,
    basePoints: s.basePoints,
    weights: SCORED_KINDS.map((kind) =>
      kind === "commendation" || kind === "penalty"
        ? { kind, points: null, perSeat: false, byOperatorUpTo: s.operatorMaxPoints }
        : { kind, points: formatPoints(s.weights[kind]), perSeat: kind !== "licence_invalid" && kind !== "wages_unpaid", byOperatorUpTo: null },
    ),
    decay: s.decay.map((d) => ({ untilDays: d.untilDays, percent: d.percent })),
    thresholds: { blackBelow: s.blackBelow, redAtLeast: s.redAtLeast, hysteresis: s.hysteresis },
    red: { minCompletedSeats: s.redMinCompletedSeats, minHistoryDays: s.redMinHistoryDays },
    seriousViolationBlackDays: s.seriousViolationBlackDays,
    appealWindowDays: s.appealWindowDays,
  };
}

// ------------------------------------------------------------------ score

/** Hundredths of a point per unit of an event: the weight, or the operator's points. */
export function unitWeight(e: ScoredEvent, settings: TrustSettings): number {
  if (e.kind === "commendation") return (e.points ?? 0) * 100;
  if (e.kind === "penalty") return -(e.points ?? 0) * 100;
  return settings.weights[e.kind];
}

/** The share (whole percent) that an event of this age still counts; 0 once older than the last step. */
export function decayPercent(ageMs: number, settings: TrustSettings): number {
  for (const step of settings.decay) if (ageMs < step.untilDays * DAY_MS) return step.percent;
  return 0;
}

/** n / 100 rounded half-even to a whole number, symmetric around 0. */
function hundredthHalfEven(n: number): number {
  const abs = Math.abs(n);
  let q = Math.floor(abs / 100);
  const r = abs - q * 100;
  if (r > 50 || (r === 50 && q % 2 === 1)) q += 1;
  return n < 0 ? -q : q;
}

/** One contributing event of a score. */
export interface ScoreLine {
  readonly eventId: string;
  readonly kind: ScoredKind;
  readonly at: EpochMs;
  readonly count: number;
  /** Hundredths of a point per unit. */
  readonly unitWeight: number;
  /** Whole days between the event and the instant of the score. */
  readonly ageDays: number;
  /** Share that still counts. */
  readonly percent: number;
  /** unitWeight × count × percent / 100, rounded half-even: what this event adds to the score. */
  readonly centipoints: number;
  readonly reason: string | null;
  readonly documentRef: string | null;
  readonly contractId: string | null;
  readonly seat: number | null;
  readonly serious: boolean;
}

/** A score at an instant with every point traced to its event: centipoints = base + Σ lines. */
export interface ScoreExplanation {
  readonly organisationId: string;
  readonly at: EpochMs;
  readonly settingsVersion: string;
  readonly baseCentipoints: number;
  /** Newest first. */
  readonly lines: readonly ScoreLine[];
  /** Events recorded before the instant that an upheld appeal annulled; they count nothing. */
  readonly annulled: readonly { readonly eventId: string; readonly kind: ScoredKind; readonly at: EpochMs }[];
  readonly centipoints: number;
  /** The score as a decimal string of points ("87.35"). */
  readonly points: string;
  /** Seats completed before the instant (not decayed, annulled ones aside): the history red needs. */
  readonly completedSeats: number;
}

function uniqueEvents(organisationId: string, events: readonly ScoredEvent[]): ScoredEvent[] {
  const seen = new Set<string>();
  const out: ScoredEvent[] = [];
  for (const e of events) {
    if (e.organisationId !== organisationId) throw new RangeError(`event ${e.id} belongs to ${e.organisationId}, not ${organisationId}`);
    // The record is keyed by id; a second delivery of one event counts once.
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    out.push(e);
  }
  return out;
}

/**
 * The score of `organisationId` at `at` and every line it is made of. Events
 * after `at` are left out (the score of a past instant is reproducible), as
 * are events too old to count; annulled events are listed apart.
 */
export function explainScore(organisationId: string, events: readonly ScoredEvent[], annulled: ReadonlySet<string>, at: EpochMs, settings: TrustSettings): ScoreExplanation {
  const lines: ScoreLine[] = [];
  const voided: { eventId: string; kind: ScoredKind; at: EpochMs }[] = [];
  let completedSeats = 0;
  for (const e of uniqueEvents(organisationId, events)) {
    if (e.at > at) continue;
    if (annulled.has(e.id)) {
      voided.push({ eventId: e.id, kind: e.kind, at: e.at });
      continue;
    }
    if (e.kind === "shift_completed") completedSeats += e.count;
    const age = at - e.at;
    const percent = decayPercent(age, settings);
    if (percent === 0) continue;
    const weight = unitWeight(e, settings);
    const centipoints = hundredthHalfEven(weight * e.count * percent);
    lines.push({
      eventId: e.id,
      kind: e.kind,
      at: e.at,
      count: e.count,
      unitWeight: weight,
      ageDays: Math.floor(age / DAY_MS),
      percent,
      centipoints,
      reason: e.reason,
      documentRef: e.documentRef,
      contractId: e.contractId,
      seat: e.seat,
      serious: e.serious,
    });
  }
  lines.sort((a, b) => b.at - a.at || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  voided.sort((a, b) => b.at - a.at || (a.eventId < b.eventId ? -1 : 1));
  const baseCentipoints = settings.basePoints * 100;
  const centipoints = lines.reduce((sum, l) => sum + l.centipoints, baseCentipoints);
  return { organisationId, at, settingsVersion: settings.version, baseCentipoints, lines, annulled: voided, centipoints, points: formatPoints(centipoints), completedSeats };
}

// ------------------------------------------------------------------ colour

/** Why an organisation has its colour. */
export type ColourReason =
  | { readonly kind: "initial" }
  | { readonly kind: "licence_invalid" }
  | { readonly kind: "serious_violation"; readonly eventId: string; readonly until: EpochMs }
  /** `threshold` is the line applied (blackBelow, or blackBelow + hysteresis while already black: then `held`). */
  | { readonly kind: "points_black"; readonly points: string; readonly threshold: number; readonly held: boolean }
  | { readonly kind: "points_red"; readonly points: string; readonly threshold: number; readonly held: boolean }
  | { readonly kind: "points_blue"; readonly points: string }
  /** Points enough for red, history not yet. */
  | { readonly kind: "history_short"; readonly points: string; readonly completedSeats: number; readonly historyDays: number; readonly needSeats: number; readonly needDays: number }
  | { readonly kind: "appeal_upheld"; readonly appealId: string; readonly evaluated: ColourReason };

/** What the organisation is now: its colour and the reason it was given. */
export interface ColourStatus {
  readonly colour: Colour;
  readonly reason: ColourReason;
}

/** The status of an organisation nothing has been scored against yet (the table's default colour). */
export const INITIAL_COLOUR_STATUS: ColourStatus = Object.freeze({ colour: "blue", reason: Object.freeze({ kind: "initial" }) });

/** Facts the colour needs besides the events. */
export interface ColourFacts {
  /** False for an agency without a valid licence (expired, suspended, none yet): black at once. Enterprises pass true. */
  readonly licenceValid: boolean;
  /** When the organisation joined: red's minimum history counts from here. */
  readonly registeredAt: EpochMs;
}

/** A colour with its reason and the score behind it. */
export interface ColourEvaluation extends ColourStatus {
  readonly score: ScoreExplanation;
}

/** The serious violation keeping the organisation black at `at` (the one lasting longest), if any. */
function activeSeriousViolation(events: readonly ScoredEvent[], annulled: ReadonlySet<string>, at: EpochMs, settings: TrustSettings): { eventId: string; until: EpochMs } | null {
  let found: { eventId: string; until: EpochMs } | null = null;
  for (const e of events) {
    if (!e.serious || e.kind !== "penalty" || e.at > at || annulled.has(e.id)) continue;
    const until = e.at + settings.seriousViolationBlackDays * DAY_MS;
    if (at < until && (found === null || until > found.until)) found = { eventId: e.id, until };
  }
  return found;
}

function heldByPoints(previous: ColourStatus, colour: Colour): boolean {
  const kind = previous.reason.kind === "appeal_upheld" ? previous.reason.evaluated.kind : previous.reason.kind;
  // The margin applies only to a colour the points gave; black for a licence now valid again is judged afresh.
  return previous.colour === colour && (kind === "points_black" || kind === "points_red");
}

/**
 * The colour of an organisation at `at` from its events, its facts and the
 * status it had (for the hysteresis). The rules, in order:
 * 1. no valid licence → black;
 * 2. a serious violation younger than seriousViolationBlackDays → black;
 * 3. fewer than blackBelow points → black (while black by points: fewer than blackBelow + hysteresis);
 * 4. at least redAtLeast points (while red by points: redAtLeast − hysteresis), with
 *    redMinCompletedSeats completed seats and redMinHistoryDays since joining → red;
 * 5. otherwise blue.
 */
export function evaluateColour(input: {
  readonly organisationId: string;
  readonly previous: ColourStatus;
  readonly events: readonly ScoredEvent[];
  readonly annulled: ReadonlySet<string>;
  readonly facts: ColourFacts;
  readonly at: EpochMs;
  readonly settings: TrustSettings;
}): ColourEvaluation {
  const { previous, annulled, facts, at, settings } = input;
  const score = explainScore(input.organisationId, input.events, annulled, at, settings);
  if (!facts.licenceValid) return { colour: "black", reason: { kind: "licence_invalid" }, score };
  const serious = activeSeriousViolation(input.events, annulled, at, settings);
  if (serious !== null) return { colour: "black", reason: { kind: "serious_violation", ...serious }, score };

  const holdBlack = heldByPoints(previous, "black");
  const blackLine = settings.blackBelow + (holdBlack ? settings.hysteresis : 0);
  if (score.centipoints < blackLine * 100) {
    return { colour: "black", reason: { kind: "points_black", points: score.points, threshold: blackLine, held: holdBlack && score.centipoints >= settings.blackBelow * 100 }, score };
  }
  const holdRed = heldByPoints(previous, "red");
  const redLine = settings.redAtLeast - (holdRed ? settings.hysteresis : 0);
  if (score.centipoints >= redLine * 100) {
    const historyDays = Math.max(0, Math.floor((at - facts.registeredAt) / DAY_MS));
    if (score.completedSeats >= settings.redMinCompletedSeats && historyDays >= settings.redMinHistoryDays) {
      return { colour: "red", reason: { kind: "points_red", points: score.points, threshold: redLine, held: holdRed && score.centipoints < settings.redAtLeast * 100 }, score };
    }
    return {
      colour: "blue",
      reason: { kind: "history_short", points: score.points, completedSeats: score.completedSeats, historyDays, needSeats: settings.redMinCompletedSeats, needDays: settings.redMinHistoryDays },
      score,
    };
  }
  return { colour: "blue", reason: { kind: "points_blue", points: score.points }, score };
}

/** A change of colour: an event of its own, shown to the organisation and on its public page, and sent to the sequencer. */
export interface ColourTransition {
  readonly id: string;
  readonly organisationId: string;
  readonly from: Colour;
  readonly to: Colour;
  readonly reason: ColourReason;
  readonly at: EpochMs;
  readonly settingsVersion: string;
  readonly points: string;
  /**
   * The events behind it, which an appeal may contest: for a downgrade by
   * points, every event costing points at that instant; for a serious
   * violation, its penalty; none for a licence (the licence itself is what
   * must be put right) or an upgrade.
   */
  readonly eventIds: readonly string[];
}

/**
 * The transition from `previous` to an evaluation, or null when the colour
 * stays (a new reason for the same colour is not a transition). `appealId`
 * marks a change made because an appeal was upheld.
 */
export function colourTransition(input: {
  readonly id: string;
  readonly previous: ColourStatus;
  readonly evaluation: ColourEvaluation;
  readonly appealId?: string;
}): ColourTransition | null {
  const { previous, evaluation } = input;
  if (previous.colour === evaluation.colour) return null;
  const downgrade = isDowngrade(previous.colour, evaluation.colour);
  let eventIds: string[] = [];
  if (downgrade && evaluation.reason.kind === "serious_violation") eventIds = [evaluation.reason.eventId];
  else if (downgrade && evaluation.reason.kind !== "licence_invalid") eventIds = evaluation.score.lines.filter((l) => l.centipoints < 0).map((l) => l.eventId);
  const reason: ColourReason = input.appealId === undefined ? evaluation.reason : { kind: "appeal_upheld", appealId: input.appealId, evaluated: evaluation.reason };
  return {
    id: input.id,
    organisationId: evaluation.score.organisationId,
    from: previous.colour,
    to: evaluation.colour,
    reason,
    at: evaluation.score.at,
    settingsVersion: evaluation.score.settingsVersion,
    points: evaluation.score.points,
    eventIds,
  };
}

// ------------------------------------------------------------------ appeals

/** An appeal against a downgrade, filed by the organisation and resolved by an operator. */
export interface Appeal {
  readonly id: string;
  readonly organisationId: string;
  readonly transitionId: string;
  /** The colour the organisation had before the appealed downgrade. */
  readonly from: Colour;
  readonly to: Colour;
  readonly filedAt: EpochMs;
  readonly grounds: string;
  /** The events the organisation says should not count (a subset of the transition's). */
  readonly contested: readonly string[];
  readonly status: "open" | "upheld" | "rejected";
  readonly resolution: { readonly operatorId: string; readonly reason: string; readonly at: EpochMs } | null;
}

/** Why an appeal cannot be filed or resolved. */
export type AppealRefusal =
  | "not_yours"
  | "not_a_downgrade"
  | "licence"
  | "superseded"
  | "window_closed"
  | "already_appealed"
  | "grounds_required"
  | "contested_unknown"
  | "not_open"
  | "reason_required"
  | "before_filing";

/** An appeal step's outcome: a result, or a refusal naming the field and saying why. */
export type AppealOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: AppealRefusal; readonly field: string; readonly message: string };

const MAX_GROUNDS = 2000;

function refuse<T>(refusal: AppealRefusal, field: string, message: string): AppealOutcome<T> {
  return { ok: false, refusal, field, message };
}

/**
 * File an appeal against `transition`, which must be the organisation's
 * latest, a downgrade not caused by its licence, younger than the appeal
 * window, and not appealed before. `contested` defaults to all of the
 * transition's events.
 */
export function fileAppeal(input: {
  readonly id: string;
  readonly organisationId: string;
  readonly transition: ColourTransition;
  readonly latestTransitionId: string;
  readonly appeals: readonly Appeal[];
  readonly grounds: string;
  readonly contested?: readonly string[];
  readonly at: EpochMs;
  readonly settings: TrustSettings;
}): AppealOutcome<Appeal> {
  const { transition: t } = input;
  if (t.organisationId !== input.organisationId) return refuse("not_yours", "transitionId", "that colour change is not this organisation's");
  if (!isDowngrade(t.from, t.to)) return refuse("not_a_downgrade", "transitionId", "only a downgrade can be appealed");
  const kind = t.reason.kind === "appeal_upheld" ? t.reason.evaluated.kind : t.reason.kind;
  if (kind === "licence_invalid") return refuse("licence", "transitionId", "black for an invalid licence ends when a valid licence is recorded; it is not appealed here");
  if (t.id !== input.latestTransitionId) return refuse("superseded", "transitionId", "the colour has changed since; only the latest change can be appealed");
  if (input.at < t.at) return refuse("before_filing", "at", "an appeal cannot precede the change it appeals");
  if (input.at - t.at > input.settings.appealWindowDays * DAY_MS) return refuse("window_closed", "transitionId", `appeals must be filed within ${input.settings.appealWindowDays} days of the change`);
  if (input.appeals.some((a) => a.transitionId === t.id)) return refuse("already_appealed", "transitionId", "this change has already been appealed");
  const grounds = input.grounds.trim();
  if (grounds === "" || grounds.length > MAX_GROUNDS) return refuse("grounds_required", "grounds", `grounds must be 1–${MAX_GROUNDS} characters`);
  const contested = input.contested === undefined ? [...t.eventIds] : [...new Set(input.contested)];
  if (contested.length === 0) return refuse("contested_unknown", "contested", "name at least one event behind the change");
  const unknown = contested.find((id) => !t.eventIds.includes(id));
  if (unknown !== undefined) return refuse("contested_unknown", "contested", `event ${unknown} is not behind this change`);
  return {
    ok: true,
    value: { id: input.id, organisationId: t.organisationId, transitionId: t.id, from: t.from, to: t.to, filedAt: input.at, grounds, contested, status: "open", resolution: null },
  };
}

/** An event an upheld appeal voids: it stays in the record (append-only) and counts nothing from then on. */
export interface Annulment {
  readonly eventId: string;
  readonly appealId: string;
  readonly operatorId: string;
  readonly at: EpochMs;
}

/**
 * An operator's decision on an open appeal. Upheld: every contested event is
 * annulled; evaluate the colour again without them (evaluateColour with the
 * annulments) and record the transition with `appealId` — when the contested
 * events caused the downgrade, that restores the colour the appeal names in
 * `from`. Rejected: nothing else changes.
 */
export function resolveAppeal(
  appeal: Appeal,
  decision: { readonly decision: "upheld" | "rejected"; readonly operatorId: string; readonly reason: string; readonly at: EpochMs },
): AppealOutcome<{ readonly appeal: Appeal; readonly annulments: readonly Annulment[] }> {
  if (appeal.status !== "open") return refuse("not_open", "appealId", `the appeal was already ${appeal.status}`);
  const reason = decision.reason.trim();
  if (reason === "" || reason.length > MAX_REASON) return refuse("reason_required", "reason", `the decision needs a reason of 1–${MAX_REASON} characters`);
  if (decision.at < appeal.filedAt) return refuse("before_filing", "at", "a decision cannot precede the appeal");
  const resolved: Appeal = { ...appeal, status: decision.decision, resolution: { operatorId: decision.operatorId, reason, at: decision.at } };
  const annulments =
    decision.decision === "upheld" ? appeal.contested.map((eventId) => ({ eventId, appealId: appeal.id, operatorId: decision.operatorId, at: decision.at })) : [];
  return { ok: true, value: { appeal: resolved, annulments } };
}

/** The ids of events annulled at or before `at`: what explainScore and evaluateColour leave out at that instant. */
export function annulledAt(annulments: readonly Annulment[], at: EpochMs): ReadonlySet<string> {
  return new Set(annulments.filter((a) => a.at <= at).map((a) => a.eventId));
}
