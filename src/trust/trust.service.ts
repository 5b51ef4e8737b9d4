/**
 * Trust: turns what happened into integrity points and colours, and shows
 * them. The scorer reads the contract runtime's trust records, agencies'
 * licence changes and approved hours left unpaid, and appends one scored event
 * per source (idempotent: unique on the source, each read marked in the same
 * transaction); organisations with new events are evaluated under the pure
 * rules (trust.rules.ts), and a change of colour is a transition of its own,
 * written with the new status in one transaction. The sequencer is then told
 * by a journalled command (black cancels the supplier's offers and refuses new
 * ones; red and blue recolour them); which transition it was told of last is
 * remembered, so a crash between the two is made good by the next pass.
 *
 * Appeals: an organisation files one against its latest downgrade; an
 * operator decides it, and an upheld appeal annuls the contested events (they
 * stay in the record and count nothing) and re-evaluates at once, telling the
 * sequencer before it answers. Operators record commendations and penalties
 * with a reason and the decision's document reference.
 */
import { parseMarketId, shanghaiDate, shanghaiIso } from "../parties/catalogue";
import type { SqlClient } from "../infra/db";
import type { Clock } from "../shared/clock";
import { decodeCursor, pageOf, type Page } from "../shared/cursor";
import { DomainError, invalidField, notFound } from "../shared/errors";
import type { NewId } from "../shared/ids";
import { fenToJsonNumber, fenToYuan, wageForMinutes } from "../shared/money";
import { canReadAll, type Principal } from "../shared/principal";
import { findSensitive } from "../shared/privacy";
import type { ReliabilityView } from "../shared/reliability";
import type { ColourOutcome, ExchangeCommand } from "../exchange";
import { arrearsReport, arrearsTrustEvents, type ApprovedHoursRecord, type ArrearsRow, type Totals } from "./arrears";
import { enterpriseReliability, type EnterpriseReliability } from "./reliability";
import type { AppealRow, EventRow, TransitionRow, TrustRepository } from "./trust.repository";
import {
  annulledAt,
  colourTransition,
  evaluateColour,
  explainScore,
  fileAppeal,
  formatPoints,
  operatorEvent,
  publicTrustSettings,
  resolveAppeal,
  scoredEventFromTrustRecord,
  scoredEventProblems,
  type Appeal,
  type ColourReason,
  type ColourStatus,
  type ColourTransition,
  type ScoredEvent,
  type TrustSettings,
} from "./trust.rules";

const DAY = 86_400_000;
/** Decay moves scores with time: every rated organisation is evaluated again at least this often. */
const REEVALUATE_MS = DAY;
/** Arrears are aged at most this often (the query reads every unpaid approved seat). */
const ARREARS_EVERY_MS = 60_000;
const BATCH = 200;

/** The sequencer as trust needs it: one journalled command. */
export interface ColourPort {
  submit(cmd: ExchangeCommand): Promise<unknown>;
}

export interface TrustServiceDeps {
  repo: TrustRepository;
  sequencer: ColourPort;
  clock: Clock;
  newId: NewId;
  settings: TrustSettings;
  arrearsSettlementWindowDays: number;
  arrearsQueueSize: number;
  reliabilityWindowDays: number;
  log?: { warn(obj: object, msg: string): void };
}

/** What one pass of the scorer did. */
export interface PassReport {
  contractRecords: number;
  licenceChanges: number;
  arrearsEvents: number;
  evaluated: number;
  transitions: number;
  toldSequencer: number;
}

const PHONE_LIKE = /(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}/;
const ID_LIKE = /\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx]/;

function orgOf(p: Principal): string {
  if ((p.role !== "enterprise" && p.role !== "agency") || p.organisationId === null) throw new DomainError("forbidden", "only an organisation's key does this");
  return p.organisationId;
}

function totalsJson(t: Totals) {
  return { count: t.count, amountFen: fenToJsonNumber(t.amountFen), amount: fenToYuan(t.amountFen) };
}

function rowJson(r: ArrearsRow) {
  return {
    key: r.key,
    total: totalsJson(r.total),
    buckets: Object.fromEntries(Object.entries(r.buckets).map(([b, t]) => [b, totalsJson(t)])),
    oldestApprovedAt: shanghaiIso(r.oldestApprovedAt),
  };
}

function transitionJson(t: TransitionRow | ColourTransition) {
  return {
    id: t.id,
    from: t.from,
    to: t.to,
    reason: t.reason,
    at: shanghaiIso(t.at),
    settingsVersion: t.settingsVersion,
    points: t.points,
    eventIds: [...t.eventIds],
    appealId: "appealId" in t ? t.appealId : t.reason.kind === "appeal_upheld" ? t.reason.appealId : null,
  };
}

function appealJson(a: AppealRow) {
  return {
    id: a.id,
    organisationId: a.organisationId,
    transitionId: a.transitionId,
    from: a.from,
    to: a.to,
    grounds: a.grounds,
    contested: [...a.contested],
    status: a.status,
    filedAt: shanghaiIso(a.filedAt),
    decision: a.decidedAt === null ? null : { by: a.decidedBy!, reason: a.decisionReason!, at: shanghaiIso(a.decidedAt) },
  };
}

function toAppeal(a: AppealRow): Appeal {
  return {
    id: a.id, organisationId: a.organisationId, transitionId: a.transitionId, from: a.from, to: a.to, filedAt: a.filedAt, grounds: a.grounds, contested: a.contested, status: a.status,
    resolution: a.decidedAt === null ? null : { operatorId: a.decidedBy!, reason: a.decisionReason!, at: a.decidedAt },
  };
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v !== null && typeof v === "object") return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(",")}}`;
  return JSON.stringify(v);
}

export function createTrustService(deps: TrustServiceDeps) {
  const { repo, clock, settings } = deps;
  const now = () => clock.now().getTime();
  let lastArrears = Number.NEGATIVE_INFINITY;
  const reliabilityCache = new Map<string, { value: EnterpriseReliability | null; until: number }>();

  // ------------------------------------------------------------ scoring

  async function consumeContractRecords(): Promise<number> {
    let n = 0;
    for (;;) {
      const records = await repo.unreadContractRecords(BATCH);
      for (const r of records) {
        const event = scoredEventFromTrustRecord(
          { type: "trust.record", id: r.id, contractId: r.contractId, party: r.party, partyId: r.partyId, event: r.event as never, seat: r.seat, seats: r.seats, minutes: r.minutes },
          r.recordedAt,
        );
        const at = now();
        await repo.transaction(async (tx) => {
          if (event !== null) await repo.insertEvent(tx, event, "contract", r.id, at);
          if (await repo.markConsumed(tx, r.id, event?.id ?? null, at)) {
            if (event !== null) await repo.markDirty(tx, event.organisationId, shanghaiDate(at), settings.basePoints, at);
          }
        });
        n++;
      }
      if (records.length < BATCH) return n;
    }
  }

  /**
   * Licences: each suspension, and each expiry that leaves the agency without a valid licence of that type, is a
   * scored event; whether any valid licence remains decides black at once (an agency is rated from its first one).
   */
  async function consumeLicences(): Promise<number> {
    const at = now();
    const today = shanghaiDate(at);
    let n = 0;
    for (const l of await repo.lostLicences(today)) {
      const event: ScoredEvent = {
        id: deps.newId("tev"), organisationId: l.organisationId, kind: "licence_invalid", at, count: 1, contractId: null, seat: null,
        reason: l.lost === "suspended" ? `licence ${l.number} suspended` : `licence ${l.number} expired (valid until ${l.validUntil})`,
        documentRef: null, points: null, serious: false, operatorId: null,
      };
      await repo.transaction(async (tx) => {
        if (await repo.insertEvent(tx, event, "licence", l.sourceId, at)) await repo.markDirty(tx, l.organisationId, today, settings.basePoints, at);
      });
      n++;
    }
    for (const c of await repo.licenceChanges(today)) {
      await repo.transaction(async (tx) => {
        if (c.was === null) return repo.markDirty(tx, c.organisationId, today, settings.basePoints, at); // rating starts with the first valid licence
        const s = await repo.lockStatus(tx, c.organisationId);
        if (s !== undefined && s.licenceValid !== c.valid) await repo.setLicenceValid(tx, c.organisationId, c.valid);
      });
      n++;
    }
    return n;
  }

  async function approvedHours(at: number): Promise<ApprovedHoursRecord[]> {
    const seats = await repo.approvedSeats(deps.arrearsSettlementWindowDays, at - 400 * DAY);
    return seats.map((s) => {
      const market = parseMarketId(s.market);
      return {
        id: s.id,
        enterpriseId: s.enterpriseId,
        districtCode: market.ok ? market.value.district : "unknown",
        payee: s.independent ? "worker" : "supplier",
        payeeId: s.independent && s.workerId !== null ? s.workerId : s.supplierId,
        contractId: s.contractId,
        shiftId: s.shiftId,
        approvedAt: s.approvedAt,
        amountFen: wageForMinutes(BigInt(s.rateFen), s.minutes),
        paidAt: s.settledAt,
      };
    });
  }

  /** The warning at this instant with at most `oldest` of the oldest items (also what the operator console charts). */
  async function arrearsNow(oldest: number) {
    const at = now();
    return arrearsReport(await approvedHours(at), at, { oldest, settlementWindowDays: deps.arrearsSettlementWindowDays, trust: settings });
  }

  async function consumeArrears(force: boolean): Promise<number> {
    const at = now();
    if (!force && at - lastArrears < ARREARS_EVERY_MS) return 0;
    lastArrears = at;
    const events = arrearsTrustEvents(await approvedHours(at), at, deps.arrearsSettlementWindowDays);
    let n = 0;
    for (const e of events) {
      await repo.transaction(async (tx) => {
        if (await repo.insertEvent(tx, e, "arrears", e.id, at)) {
          await repo.markDirty(tx, e.organisationId, shanghaiDate(at), settings.basePoints, at);
          n++;
        }
      });
    }
    return n;
  }

  /** Evaluates one organisation inside `tx` (its status row locked): writes the status and, when the colour changed, the transition. */
  async function evaluateIn(tx: SqlClient, organisationId: string, at: number, appealId?: string): Promise<ColourTransition | null> {
    const status = await repo.lockStatus(tx, organisationId);
    const org = await repo.organisation(organisationId, tx);
    if (status === undefined || org === undefined) return null;
    const events = await repo.eventsOf(organisationId, tx);
    const annulled = annulledAt(await repo.annulmentsOf(organisationId, tx), at);
    const previous: ColourStatus = { colour: status.colour, reason: status.reason };
    const evaluation = evaluateColour({
      organisationId, previous, events, annulled, at, settings,
      facts: { licenceValid: org.kind === "enterprise" || status.licenceValid, registeredAt: org.createdAt },
    });
    const transition = colourTransition({ id: deps.newId("trn"), previous, evaluation, ...(appealId !== undefined ? { appealId } : {}) });
    await repo.saveEvaluation(
      tx,
      { organisationId, colour: evaluation.colour, reason: transition?.reason ?? evaluation.reason, centipoints: evaluation.score.centipoints, at },
      transition === null ? null : { ...transition, eventIds: [...transition.eventIds], appealId: appealId ?? null },
    );
    return transition;
  }

  /** Tells the sequencer every rating change it has not been told of (all, or one organisation's). */
  async function tellSequencer(only?: string): Promise<number> {
    let n = 0;
    for (const u of await repo.unsynced()) {
      if (only !== undefined && u.organisationId !== only) continue;
      const r = (await deps.sequencer.submit({ t: "colour", organisationId: u.organisationId, colour: u.colour, reason: u.transitionId })) as ColourOutcome;
      if (r.cancelled > 0) deps.log?.warn({ organisationId: u.organisationId, cancelled: r.cancelled }, "offers of a supplier rated black were cancelled");
      await repo.markSynced(u.organisationId, u.transitionId);
      n++;
    }
    return n;
  }

  async function runOnce(options: { arrears?: boolean } = {}): Promise<PassReport> {
    const contractRecords = await consumeContractRecords();
    const licenceChanges = await consumeLicences();
    const arrearsEvents = await consumeArrears(options.arrears ?? false);
    let evaluated = 0;
    let transitions = 0;
    for (;;) {
      const at = now();
      const ids = await repo.toEvaluate(at - REEVALUATE_MS, BATCH);
      for (const id of ids) {
        if ((await repo.transaction((tx) => evaluateIn(tx, id, at))) !== null) transitions++;
        evaluated++;
      }
      if (ids.length < BATCH) break;
    }
    const toldSequencer = await tellSequencer();
    return { contractRecords, licenceChanges, arrearsEvents, evaluated, transitions, toldSequencer };
  }

  // ------------------------------------------------------------ views

  async function canSee(p: Principal, organisationId: string): Promise<void> {
    if (canReadAll(p)) return;
    if (p.organisationId !== organisationId) throw notFound("organisation", organisationId);
  }

  function eventJson(e: EventRow, annulled: ReadonlySet<string>) {
    return {
      id: e.id, kind: e.kind, at: shanghaiIso(e.at), count: e.count, contractId: e.contractId, seat: e.seat, reason: e.reason, documentRef: e.documentRef,
      points: e.points, serious: e.serious, source: e.source, annulled: annulled.has(e.id),
    };
  }

  async function reliabilityFor(ids: readonly string[]): Promise<Map<string, EnterpriseReliability | null>> {
    const at = now();
    const out = new Map<string, EnterpriseReliability | null>();
    const missing = [...new Set(ids)].filter((id) => {
      const c = reliabilityCache.get(id);
      if (c !== undefined && c.until > at) {
        out.set(id, c.value);
        return false;
      }
      return true;
    });
    if (missing.length > 0) {
      const window = { from: at - deps.reliabilityWindowDays * DAY, to: at + 1 };
      const [contracts, shifts] = await Promise.all([repo.enterpriseContracts(window.from, window.to, missing), repo.enterpriseShifts(window.from, window.to, missing)]);
      const computed = new Map(enterpriseReliability(contracts, shifts, window).map((r) => [r.enterpriseId, r]));
      if (reliabilityCache.size > 10_000) reliabilityCache.clear();
      for (const id of missing) {
        const value = computed.get(id) ?? null;
        reliabilityCache.set(id, { value, until: at + 60_000 });
        out.set(id, value);
      }
    }
    return out;
  }

  function privateText(field: string, text: string, workers: { names: string[]; phones: string[] }) {
    if (PHONE_LIKE.test(text) || ID_LIKE.test(text)) throw invalidField(field, "public text must not contain a phone number or a resident ID number");
    const names = workers.names.filter((n) => [...n].length >= 2);
    const phones = workers.phones.filter((p) => /^\+?\d{11,14}$/.test(p.replace(/\s/g, "")));
    let leaks: unknown[] = [];
    try {
      leaks = findSensitive(text, { names, phones });
    } catch {
      leaks = [];
    }
    if (leaks.length > 0) throw invalidField(field, "public text must not name a worker or give their contact details");
  }

  return {
    /** Records the settings version in force; refuses to start when that version was recorded with other values. */
    async init(): Promise<void> {
      const stored = await repo.recordSettings(settings, now());
      if (stable(stored) !== stable(settings)) {
        throw new Error(`trust settings version ${settings.version} was recorded with other values; give changed settings a new version (TRUST_SETTINGS)`);
      }
    },

    runOnce,
    tellSequencer,

    /** An organisation's rating explained: colour and reason, every point traced to its event, transitions, appeals. */
    async history(p: Principal, organisationId: string) {
      await canSee(p, organisationId);
      if ((await repo.organisation(organisationId)) === undefined) throw notFound("organisation", organisationId);
      return this.explain(organisationId);
    },

    /** The explanation itself (no access check). */
    async explain(organisationId: string) {
      const at = now();
      const status = await repo.status(organisationId);
      const events = await repo.eventsOf(organisationId);
      const annulments = await repo.annulmentsOf(organisationId);
      const annulled = annulledAt(annulments, at);
      const score = explainScore(organisationId, events, annulled, at, settings);
      const transitions = await repo.transitionsOf(organisationId, 100);
      const appeals = await repo.appealsOfOrganisation(organisationId);
      return {
        organisationId,
        colour: status?.colour ?? null,
        reason: status?.reason ?? null,
        rated: status !== undefined,
        points: score.points,
        settingsVersion: settings.version,
        at: shanghaiIso(at),
        lines: score.lines.map((l) => ({ ...l, at: shanghaiIso(l.at), points: formatPoints(l.centipoints) })),
        events: events.slice(-200).reverse().map((e) => eventJson(e, annulled)),
        transitions: transitions.map(transitionJson),
        appeals: appeals.map(appealJson),
      };
    },

    /** Files an appeal against the organisation's latest downgrade. */
    async fileAppeal(p: Principal, body: { transitionId: string; grounds: string; contested?: string[] }) {
      const organisationId = orgOf(p);
      const at = now();
      const id = deps.newId("apl");
      const outcome = await repo.transaction(async (tx) => {
        const status = await repo.lockStatus(tx, organisationId);
        const t = await repo.findTransition(body.transitionId, tx);
        if (t === undefined || t.organisationId !== organisationId || status === undefined) throw new DomainError("not_found", `colour change ${body.transitionId} was not found`, { field: "/body/transitionId" });
        const appeals = (await repo.appealsOfOrganisation(organisationId, tx)).map(toAppeal);
        const filed = fileAppeal({
          id, organisationId, transition: t, latestTransitionId: status.lastTransitionId ?? "", appeals, grounds: body.grounds, at, settings,
          ...(body.contested !== undefined ? { contested: body.contested } : {}),
        });
        if (!filed.ok) {
          const code = filed.refusal === "grounds_required" || filed.refusal === "contested_unknown" ? "validation_failed" : filed.refusal === "not_yours" ? "not_found" : "conflict";
          throw new DomainError(code, filed.message, { field: `/body/${filed.field}`, refusal: filed.refusal });
        }
        const a = filed.value;
        const row: AppealRow = { ...a, contested: [...a.contested], decidedBy: null, decisionReason: null, decidedAt: null };
        if ((await repo.insertAppeal(tx, row)) === "taken") throw new DomainError("conflict", "this change has already been appealed", { field: "/body/transitionId" });
        return row;
      });
      return appealJson(outcome);
    },

    /** Appeals: an organisation's own; operators and the regulator see all. Newest first. */
    async listAppeals(p: Principal, q: { status?: AppealRow["status"]; limit?: number; cursor?: string }): Promise<Page<ReturnType<typeof appealJson>>> {
      const limit = q.limit ?? 100;
      const own = canReadAll(p) ? undefined : orgOf(p);
      const beforeId = q.cursor === undefined ? undefined : decodeCursor(q.cursor, ["id"]).id;
      const rows = await repo.listAppeals({ ...(own !== undefined ? { organisationId: own } : {}), ...(q.status !== undefined ? { status: q.status } : {}), ...(beforeId !== undefined ? { beforeId } : {}), limit: limit + 1 });
      return pageOf(rows, limit, appealJson, (a) => ({ id: a.id }));
    },

    async getAppeal(p: Principal, id: string) {
      const a = await repo.findAppeal(id);
      if (a === undefined || (!canReadAll(p) && a.organisationId !== p.organisationId)) throw notFound("appeal", id);
      return appealJson(a);
    },

    /** An operator decides an open appeal; upheld annuls the contested events and re-rates at once (the sequencer is told before this returns). */
    async decideAppeal(p: Principal, id: string, body: { decision: "upheld" | "rejected"; reason: string }) {
      if (p.role !== "operator") throw new DomainError("forbidden", "only an operator decides appeals");
      const at = now();
      const result = await repo.transaction(async (tx) => {
        const a = await repo.findAppeal(id, tx, true);
        if (a === undefined) throw notFound("appeal", id);
        const r = resolveAppeal(toAppeal(a), { decision: body.decision, operatorId: p.callerId, reason: body.reason, at });
        if (!r.ok) throw new DomainError(r.refusal === "reason_required" ? "validation_failed" : "conflict", r.message, { field: r.field === "appealId" ? "/params/id" : `/body/${r.field}` });
        await repo.decideAppeal(tx, id, { status: body.decision, operatorId: p.callerId, reason: r.value.appeal.resolution!.reason, at });
        await repo.insertAnnulments(tx, r.value.annulments);
        // Lock the rating before evaluating: the annulments count from this instant.
        const transition = body.decision === "upheld" ? await evaluateIn(tx, a.organisationId, at, a.id) : null;
        return { organisationId: a.organisationId, transition };
      });
      await tellSequencer(result.organisationId);
      const a = await repo.findAppeal(id);
      const status = await repo.status(result.organisationId);
      return { appeal: appealJson(a!), colour: status?.colour ?? null, transition: result.transition === null ? null : transitionJson(result.transition) };
    },

    /** An operator records a commendation or penalty (reason and the decision's document reference are public). */
    async recordOperatorEvent(p: Principal, organisationId: string, body: { kind: "commendation" | "penalty"; points: number; reason: string; documentRef: string; serious?: boolean }) {
      if (p.role !== "operator") throw new DomainError("forbidden", "only an operator records commendations and penalties");
      const org = await repo.organisation(organisationId);
      if (!org) throw notFound("organisation", organisationId);
      if (body.serious === true && body.kind !== "penalty") throw invalidField("/body/serious", "only a penalty can be a serious violation");
      const at = now();
      const event = operatorEvent({ id: deps.newId("tev"), organisationId, kind: body.kind, points: body.points, reason: body.reason, documentRef: body.documentRef, serious: body.serious ?? false, operatorId: p.callerId, at });
      const problem = scoredEventProblems(event, settings)[0];
      if (problem !== undefined) throw invalidField(`/body/${problem.field}`, problem.message);
      const workers = await repo.workersOf(organisationId);
      privateText("/body/reason", event.reason!, workers);
      privateText("/body/documentRef", event.documentRef!, workers);
      const transition = await repo.transaction(async (tx) => {
        await repo.insertEvent(tx, event, "operator", event.id, at);
        await repo.markDirty(tx, organisationId, shanghaiDate(at), settings.basePoints, at);
        return evaluateIn(tx, organisationId, at);
      });
      await tellSequencer(organisationId);
      const status = await repo.status(organisationId);
      return { event: { id: event.id, kind: event.kind, at: shanghaiIso(at), points: event.points, reason: event.reason, documentRef: event.documentRef, serious: event.serious }, colour: status?.colour ?? null, points: formatPoints(status?.centipoints ?? settings.basePoints * 100), transition: transition === null ? null : transitionJson(transition) };
    },

    /** The wage-arrears warning: ages per enterprise and district, the oldest items (operator's queue, regulator's view). */
    async arrears(p: Principal) {
      if (!canReadAll(p)) throw new DomainError("forbidden", "the arrears warning is for operators and the regulator");
      const r = await arrearsNow(deps.arrearsQueueSize);
      const at = r.at;
      return {
        at: shanghaiIso(at),
        settlementWindowDays: deps.arrearsSettlementWindowDays,
        total: Object.fromEntries(Object.entries(r.total).map(([b, t]) => [b, totalsJson(t)])),
        byEnterprise: r.byEnterprise.map(rowJson),
        byDistrict: r.byDistrict.map(rowJson),
        oldest: r.oldest.map((i) => ({
          id: i.id, enterpriseId: i.enterpriseId, districtCode: i.districtCode, payee: i.payee, payeeId: i.payeeId, contractId: i.contractId, shiftId: i.shiftId,
          approvedAt: shanghaiIso(i.approvedAt), ageDays: i.ageDays, bucket: i.bucket, amountFen: fenToJsonNumber(i.amountFen), amount: fenToYuan(i.amountFen),
        })),
        costs: r.costs.map((c) => ({ enterpriseId: c.enterpriseId, events: c.eventIds.length, points: formatPoints(c.centipoints) })),
      };
    },

    /** The warning as the pure core reports it, for other modules' views (no principal: the caller checks its own). */
    arrearsNow,

    /** Enterprises' two-way reliability (cached a minute): what agencies and workers see beside orders and shifts. */
    reliabilityFor,

    /** The same as the exchange and the contract runtime read it (ReliabilityPort): the window's length with each. */
    async reliabilityOf(ids: readonly string[]): Promise<ReadonlyMap<string, ReliabilityView | null>> {
      const map = await reliabilityFor(ids);
      return new Map([...map].map(([id, r]) => [id, r === null ? null : { ...r, windowDays: deps.reliabilityWindowDays }]));
    },

    async reliability(ids: readonly string[]) {
      const map = await reliabilityFor(ids);
      return { windowDays: deps.reliabilityWindowDays, items: ids.map((id) => ({ enterpriseId: id, reliability: map.get(id) ?? null })) };
    },

    // ------------------------------------------------------------ public

    /** The settings in force and every earlier version. */
    async publicSettings() {
      const versions = await repo.settingsVersions();
      return {
        inForce: publicTrustSettings(settings),
        versions: versions.map((v) => ({ version: v.version, inForceFrom: shanghaiIso(v.inForceFrom), inForce: v.version === settings.version })),
      };
    },

    /** Agencies: by district, by a skill their workers hold, by name; paged by id. */
    async directory(q: { district?: string; skill?: string; q?: string; limit?: number; cursor?: string }) {
      const limit = q.limit ?? 50;
      const afterId = q.cursor === undefined ? undefined : decodeCursor(q.cursor, ["id"]).id;
      const rows = await repo.directory({ ...(q.district !== undefined ? { district: q.district } : {}), ...(q.skill !== undefined ? { skill: q.skill } : {}), ...(q.q !== undefined ? { name: q.q } : {}), ...(afterId !== undefined ? { afterId } : {}), limit: limit + 1 });
      const kept = rows.slice(0, limit);
      const licences = new Map(await Promise.all(kept.map(async (r) => [r.id, await repo.licences(r.id)] as const)));
      const today = shanghaiDate(now());
      return pageOf(rows, limit, (r) => ({
        id: r.id, name: r.name, districtCode: r.districtCode, colour: r.colour, points: r.centipoints === null ? null : formatPoints(r.centipoints),
        licences: (licences.get(r.id) ?? []).map((l) => publicLicence(l, today)),
      }), (r) => ({ id: r.id }));
    },

    /** One agency's disclosure: licences, colour, points history (reasons only), penalties. No worker's personal data. */
    async publicAgency(id: string) {
      const org = await repo.organisation(id);
      if (!org || org.kind !== "agency") throw notFound("agency", id);
      const at = now();
      const today = shanghaiDate(at);
      const status = await repo.status(id);
      const events = await repo.eventsOf(id);
      const annulled = annulledAt(await repo.annulmentsOf(id), at);
      const score = explainScore(id, events, annulled, at, settings);
      const transitions = await repo.transitionsOf(id, 50);
      const publicEvent = (e: EventRow) => ({
        kind: e.kind, at: shanghaiIso(e.at), count: e.count, reason: e.reason, documentRef: e.documentRef,
        points: formatPoints(e.kind === "commendation" ? (e.points ?? 0) * 100 : e.kind === "penalty" ? -(e.points ?? 0) * 100 : settings.weights[e.kind] * e.count),
        serious: e.serious, annulled: annulled.has(e.id),
      });
      return {
        id: org.id, name: org.name, districtCode: org.districtCode, registeredOn: shanghaiDate(org.createdAt),
        colour: status?.colour ?? null, reason: status === undefined ? null : publicReason(status.reason), points: status === undefined ? null : score.points,
        settingsVersion: settings.version,
        licences: (await repo.licences(id)).map((l) => publicLicence(l, today)),
        skills: await repo.skillsOf(id),
        history: events.slice(-200).reverse().map(publicEvent),
        transitions: transitions.map((t) => ({ from: t.from, to: t.to, at: shanghaiIso(t.at), points: t.points, reason: publicReason(t.reason) })),
        penalties: events.filter((e) => e.kind === "penalty" || e.kind === "licence_invalid").reverse().map(publicEvent),
      };
    },
  };

}

function publicLicence(l: { type: string; number: string; validUntil: string; status: string }, today: string) {
  const status = l.status === "valid" && l.validUntil < today ? "expired" : l.status;
  return { type: l.type, number: l.number, validUntil: l.validUntil, status };
}

/** A colour's reason as the public page shows it: its kind and points, no ids. */
function publicReason(r: ColourReason): { kind: string; points: string | null; appealUpheld: boolean } {
  const inner = r.kind === "appeal_upheld" ? r.evaluated : r;
  return { kind: inner.kind, points: "points" in inner ? inner.points : null, appealUpheld: r.kind === "appeal_upheld" };
}

export type TrustService = ReturnType<typeof createTrustService>;
