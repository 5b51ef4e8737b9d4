/**
 * Trust's SQL: the append-only record of scored events (one per source), what
 * was read of the contract runtime's trust records, annulments, colour
 * transitions, appeals, each organisation's current rating and the transition
 * the sequencer was last told of; and the read-only views of other modules'
 * tables the scorer needs (contract trust records, licences, approved seats and
 * their settlements, decisions on timesheets). Returns rows and outcomes, never
 * HTTP errors.
 */
import type { SqlClient, SqlPool } from "../infra/db";
import { isUniqueViolation } from "../infra/unique-violation";
import type { Colour, ColourReason, ScoredEvent, ScoredKind, TrustSettings } from "./trust.rules";

type Stamp = Date | string;
const ms = (v: Stamp): number => (v instanceof Date ? v.getTime() : Date.parse(v));
const iso = (t: number): string => new Date(t).toISOString();

export type EventSource = "contract" | "licence" | "operator" | "arrears";

export interface EventRow extends ScoredEvent {
  readonly source: EventSource;
  readonly sourceId: string;
  readonly recordedAt: number;
}

export interface TransitionRow {
  readonly id: string;
  readonly organisationId: string;
  readonly from: Colour;
  readonly to: Colour;
  readonly reason: ColourReason;
  readonly at: number;
  readonly settingsVersion: string;
  readonly points: string;
  readonly eventIds: string[];
  readonly appealId: string | null;
}

export interface AppealRow {
  readonly id: string;
  readonly organisationId: string;
  readonly transitionId: string;
  readonly from: Colour;
  readonly to: Colour;
  readonly grounds: string;
  readonly contested: string[];
  readonly status: "open" | "upheld" | "rejected";
  readonly filedAt: number;
  readonly decidedBy: string | null;
  readonly decisionReason: string | null;
  readonly decidedAt: number | null;
}

export interface StatusRow {
  readonly organisationId: string;
  readonly colour: Colour;
  readonly reason: ColourReason;
  readonly centipoints: number;
  readonly licenceValid: boolean;
  readonly lastTransitionId: string | null;
  readonly syncedTransitionId: string | null;
  readonly dirty: boolean;
  readonly evaluatedAt: number;
}

export interface ContractTrustRecord {
  readonly id: string;
  readonly contractId: string;
  readonly party: "enterprise" | "supplier";
  readonly partyId: string;
  readonly event: string;
  readonly seat: number | null;
  readonly seats: number;
  readonly minutes: { recorded: number | null; proposed: number | null; awarded: number } | null;
  readonly recordedAt: number;
}

export interface OrganisationFacts {
  readonly id: string;
  readonly kind: "enterprise" | "agency";
  readonly name: string;
  readonly districtCode: string;
  readonly createdAt: number;
}

export interface LicenceRow {
  readonly id: string;
  readonly type: string;
  readonly number: string;
  readonly validUntil: string;
  readonly status: string;
  readonly updatedAt: number;
}

export interface ApprovedSeatRow {
  readonly id: string;
  readonly contractId: string;
  readonly shiftId: string | null;
  readonly enterpriseId: string;
  readonly supplierId: string;
  readonly workerId: string | null;
  readonly independent: boolean;
  readonly market: string;
  readonly rateFen: number;
  readonly minutes: number;
  readonly approvedAt: number;
  readonly settledAt: number | null;
}

export interface DirectoryRow extends OrganisationFacts {
  readonly colour: Colour | null;
  readonly centipoints: number | null;
}

interface EventDb {
  id: string; organisation_id: string; kind: ScoredKind; source: EventSource; source_id: string; at: Stamp; count: number; contract_id: string | null;
  seat: number | null; reason: string | null; document_ref: string | null; points: number | null; serious: boolean; operator_id: string | null; recorded_at: Stamp;
}
const EVENT_COLUMNS = `"id", "organisation_id", "kind", "source", "source_id", "at", "count", "contract_id", "seat", "reason", "document_ref", "points", "serious", "operator_id", "recorded_at"`;
function eventRow(r: EventDb): EventRow {
  return {
    id: r.id, organisationId: r.organisation_id, kind: r.kind, source: r.source, sourceId: r.source_id, at: ms(r.at), count: r.count, contractId: r.contract_id,
    seat: r.seat, reason: r.reason, documentRef: r.document_ref, points: r.points, serious: r.serious, operatorId: r.operator_id, recordedAt: ms(r.recorded_at),
  };
}

interface TransitionDb {
  id: string; organisation_id: string; from_colour: Colour; to_colour: Colour; reason: ColourReason; at: Stamp; settings_version: string; points: string; event_ids: string[]; appeal_id: string | null;
}
const TRANSITION_COLUMNS = `"id", "organisation_id", "from_colour", "to_colour", "reason", "at", "settings_version", "points", "event_ids", "appeal_id"`;
function transitionRow(r: TransitionDb): TransitionRow {
  return {
    id: r.id, organisationId: r.organisation_id, from: r.from_colour, to: r.to_colour, reason: r.reason, at: ms(r.at), settingsVersion: r.settings_version,
    points: r.points, eventIds: r.event_ids, appealId: r.appeal_id,
  };
}

interface AppealDb {
  id: string; organisation_id: string; transition_id: string; from_colour: Colour; to_colour: Colour; grounds: string; contested: string[]; status: AppealRow["status"];
  filed_at: Stamp; decided_by: string | null; decision_reason: string | null; decided_at: Stamp | null;
}
const APPEAL_COLUMNS = `"id", "organisation_id", "transition_id", "from_colour", "to_colour", "grounds", "contested", "status", "filed_at", "decided_by", "decision_reason", "decided_at"`;
function appealRow(r: AppealDb): AppealRow {
  return {
    id: r.id, organisationId: r.organisation_id, transitionId: r.transition_id, from: r.from_colour, to: r.to_colour, grounds: r.grounds, contested: r.contested,
    status: r.status, filedAt: ms(r.filed_at), decidedBy: r.decided_by, decisionReason: r.decision_reason, decidedAt: r.decided_at === null ? null : ms(r.decided_at),
  };
}

interface StatusDb {
  organisation_id: string; colour: Colour; reason: ColourReason; centipoints: number; licence_valid: boolean; last_transition_id: string | null;
  synced_transition_id: string | null; dirty: boolean; evaluated_at: Stamp;
}
function statusRow(r: StatusDb): StatusRow {
  return {
    organisationId: r.organisation_id, colour: r.colour, reason: r.reason, centipoints: r.centipoints, licenceValid: r.licence_valid, lastTransitionId: r.last_transition_id,
    syncedTransitionId: r.synced_transition_id, dirty: r.dirty, evaluatedAt: ms(r.evaluated_at),
  };
}

/** The licence of an agency is valid on `today` (YYYY-MM-DD) when one is verified and runs at least to that day. */
const LICENCE_VALID = `EXISTS (SELECT 1 FROM "licences" l WHERE l."organisation_id" = o."id" AND l."status" = 'valid' AND l."valid_until" >= $1::date)`;

export function createTrustRepository(sql: SqlPool) {
  return {
    transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      return sql.transaction(fn);
    },

    // ------------------------------------------------------------ settings

    /** Records the settings version in force (once); the stored values of a version already recorded, to compare. */
    async recordSettings(s: TrustSettings, at: number): Promise<unknown> {
      await sql.query(`INSERT INTO "trust_settings_versions" ("version", "settings", "in_force_from") VALUES ($1, $2::jsonb, $3::timestamptz) ON CONFLICT ("version") DO NOTHING`, [
        s.version, JSON.stringify(s), iso(at),
      ]);
      const { rows } = await sql.query<{ settings: unknown }>(`SELECT "settings" FROM "trust_settings_versions" WHERE "version" = $1`, [s.version]);
      return rows[0]?.settings;
    },

    async settingsVersions(): Promise<{ version: string; settings: TrustSettings; inForceFrom: number }[]> {
      const { rows } = await sql.query<{ version: string; settings: TrustSettings; in_force_from: Stamp }>(
        `SELECT "version", "settings", "in_force_from" FROM "trust_settings_versions" ORDER BY "in_force_from" DESC, "version"`,
      );
      return rows.map((r) => ({ version: r.version, settings: r.settings, inForceFrom: ms(r.in_force_from) }));
    },

    // ------------------------------------------------------------ sources

    /** Contract trust records not read yet, oldest first. */
    async unreadContractRecords(limit: number): Promise<ContractTrustRecord[]> {
      const { rows } = await sql.query<{ id: string; contract_id: string; party: "enterprise" | "supplier"; party_id: string; event: string; seat: number | null; seats: number; minutes: ContractTrustRecord["minutes"]; recorded_at: Stamp }>(
        `SELECT t."id", t."contract_id", t."party", t."party_id", t."event", t."seat", t."seats", t."minutes", t."recorded_at" FROM "contract_trust_events" t
          WHERE NOT EXISTS (SELECT 1 FROM "trust_consumed" c WHERE c."source_id" = t."id") ORDER BY t."recorded_at", t."id" LIMIT $1`,
        [limit],
      );
      return rows.map((r) => ({ id: r.id, contractId: r.contract_id, party: r.party, partyId: r.party_id, event: r.event, seat: r.seat, seats: r.seats, minutes: r.minutes, recordedAt: ms(r.recorded_at) }));
    },

    /** Marks a contract record read, with the event it scored (if any). */
    async markConsumed(tx: SqlClient, sourceId: string, eventId: string | null, at: number): Promise<boolean> {
      const r = await tx.query(`INSERT INTO "trust_consumed" ("source_id", "event_id", "consumed_at") VALUES ($1, $2, $3::timestamptz) ON CONFLICT ("source_id") DO NOTHING`, [sourceId, eventId, iso(at)]);
      return r.rowCount > 0;
    },

    /** Appends a scored event unless its source was scored before; true when it was new. */
    async insertEvent(tx: SqlClient, e: ScoredEvent, source: EventSource, sourceId: string, recordedAt: number): Promise<boolean> {
      try {
        const r = await tx.query(
          `INSERT INTO "trust_events" (${EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7, $8, $9, $10, $11, $12, $13, $14, $15::timestamptz)
           ON CONFLICT DO NOTHING`,
          [e.id, e.organisationId, e.kind, source, sourceId, iso(e.at), e.count, e.contractId, e.seat, e.reason, e.documentRef, e.points, e.serious, e.operatorId, iso(recordedAt)],
        );
        return r.rowCount > 0;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },

    /** Makes sure the organisation has a status row and marks it for evaluation. */
    async markDirty(tx: SqlClient, organisationId: string, today: string, basePoints: number, at: number): Promise<void> {
      await tx.query(
        `INSERT INTO "trust_status" ("organisation_id", "colour", "reason", "centipoints", "licence_valid", "dirty", "evaluated_at")
         SELECT o."id", 'blue', '{"kind":"initial"}'::jsonb, $2, o."kind" = 'enterprise' OR ${LICENCE_VALID}, true, $4::timestamptz FROM "organisations" o WHERE o."id" = $3
         ON CONFLICT ("organisation_id") DO UPDATE SET "dirty" = true`,
        [today, basePoints * 100, organisationId, iso(at)],
      );
    },

    /**
     * Agencies whose licence validity differs from what the scorer last saw:
     * `was` null for an agency not yet rated (only those with a valid licence are listed: rating starts with one).
     */
    async licenceChanges(today: string): Promise<{ organisationId: string; was: boolean | null; valid: boolean }[]> {
      const { rows } = await sql.query<{ id: string; was: boolean | null; valid: boolean }>(
        `SELECT o."id", s."licence_valid" AS "was", ${LICENCE_VALID} AS "valid" FROM "organisations" o
           LEFT JOIN "trust_status" s ON s."organisation_id" = o."id"
          WHERE o."kind" = 'agency' AND ((s."organisation_id" IS NULL AND ${LICENCE_VALID}) OR s."licence_valid" <> ${LICENCE_VALID})
          ORDER BY o."id"`,
        [today],
      );
      return rows.map((r) => ({ organisationId: r.id, was: r.was, valid: r.valid }));
    },

    /**
     * Licences of rated agencies lost and not yet scored: each suspension (once per suspension), and each expiry
     * that left the agency without a valid licence of that type (a renewal in time is no breach).
     */
    async lostLicences(today: string): Promise<{ organisationId: string; licenceId: string; number: string; lost: "suspended" | "expired"; validUntil: string; sourceId: string }[]> {
      const { rows } = await sql.query<{ organisation_id: string; id: string; number: string; lost: "suspended" | "expired"; valid_until: string; source_id: string }>(
        `WITH lost AS (
           SELECT l."organisation_id", l."id", l."number", l."type", to_char(l."valid_until", 'YYYY-MM-DD') AS "valid_until",
                  CASE WHEN l."status" = 'suspended' THEN 'suspended' ELSE 'expired' END AS "lost",
                  CASE WHEN l."status" = 'suspended' THEN l."id" || ':suspended:' || floor(extract(epoch FROM l."updated_at") * 1000)::bigint::text
                       ELSE l."id" || ':expired:' || to_char(l."valid_until", 'YYYY-MM-DD') END AS "source_id"
             FROM "licences" l JOIN "trust_status" s ON s."organisation_id" = l."organisation_id"
            WHERE l."status" = 'suspended' OR l."status" = 'expired' OR (l."status" = 'valid' AND l."valid_until" < $1::date))
         SELECT x."organisation_id", x."id", x."number", x."lost", x."valid_until", x."source_id" FROM lost x
          WHERE NOT EXISTS (SELECT 1 FROM "trust_events" e WHERE e."source" = 'licence' AND e."source_id" = x."source_id")
            AND (x."lost" = 'suspended' OR NOT EXISTS (SELECT 1 FROM "licences" o WHERE o."organisation_id" = x."organisation_id" AND o."type" = x."type"
                                                        AND o."status" = 'valid' AND o."valid_until" >= $1::date))
          ORDER BY x."organisation_id", x."source_id"`,
        [today],
      );
      return rows.map((r) => ({ organisationId: r.organisation_id, licenceId: r.id, number: r.number, lost: r.lost, validUntil: r.valid_until, sourceId: r.source_id }));
    },

    /** Inside a transaction: the status row, locked; undefined when the organisation has none. */
    async lockStatus(tx: SqlClient, organisationId: string): Promise<StatusRow | undefined> {
      const { rows } = await tx.query<StatusDb>(`SELECT * FROM "trust_status" WHERE "organisation_id" = $1 FOR UPDATE`, [organisationId]);
      return rows[0] === undefined ? undefined : statusRow(rows[0]);
    },

    async setLicenceValid(tx: SqlClient, organisationId: string, valid: boolean): Promise<void> {
      await tx.query(`UPDATE "trust_status" SET "licence_valid" = $2, "dirty" = true WHERE "organisation_id" = $1`, [organisationId, valid]);
    },

    /** An agency's licences, the most recently changed first. */
    async licences(organisationId: string): Promise<LicenceRow[]> {
      const { rows } = await sql.query<{ id: string; type: string; number: string; valid_until: Date | string; status: string; updated_at: Stamp }>(
        `SELECT "id", "type"::text AS "type", "number", "valid_until", "status"::text AS "status", "updated_at" FROM "licences" WHERE "organisation_id" = $1 ORDER BY "updated_at" DESC, "id"`,
        [organisationId],
      );
      return rows.map((r) => ({
        id: r.id, type: r.type, number: r.number, status: r.status, updatedAt: ms(r.updated_at),
        validUntil: r.valid_until instanceof Date ? r.valid_until.toISOString().slice(0, 10) : String(r.valid_until).slice(0, 10),
      }));
    },

    /** Approved seats (a settlement effect exists) still unpaid, or paid more than `windowDays` after approval and approved after `since`. */
    async approvedSeats(windowDays: number, since: number): Promise<ApprovedSeatRow[]> {
      const { rows } = await sql.query<{
        id: string; contract_id: string; shift_id: string | null; enterprise_id: string; supplier_id: string; worker_id: string | null; independent: boolean | null;
        market: string; rate_fen: number; minutes: number; approved_at: Stamp; settled_at: Stamp | null;
      }>(
        `SELECT e."effect_id" AS "id", w."contract_id", e."effect"->>'shiftId' AS "shift_id", w."enterprise_id", w."supplier_id", ws."worker_id", ws."independent",
                w."market", w."rate_fen", (e."effect"->>'minutes')::int AS "minutes", e."created_at" AS "approved_at", s."settled_at"
           FROM "workflow_effects" e
           JOIN "contract_workflows" w ON w."contract_id" = e."effect"->>'contractId'
           LEFT JOIN "worker_shifts" ws ON ws."shift_id" = e."effect"->>'shiftId'
           LEFT JOIN "seat_settlements" s ON s."id" = e."effect_id"
          WHERE e."type" = 'ledger.settleSeat'
            AND (s."id" IS NULL OR (s."settled_at" > e."created_at" + $1 * interval '1 day' AND e."created_at" > $2::timestamptz))`,
        [windowDays, iso(since)],
      );
      return rows.map((r) => ({
        id: r.id, contractId: r.contract_id, shiftId: r.shift_id, enterpriseId: r.enterprise_id, supplierId: r.supplier_id, workerId: r.worker_id, independent: r.independent === true,
        market: r.market, rateFen: r.rate_fen, minutes: r.minutes, approvedAt: ms(r.approved_at), settledAt: r.settled_at === null ? null : ms(r.settled_at),
      }));
    },

    /** Contracts of enterprises created in [from, to), with whether the enterprise cancelled late. */
    async enterpriseContracts(from: number, to: number, enterpriseIds: readonly string[] | null) {
      const { rows } = await sql.query<{ contract_id: string; enterprise_id: string; created_at: Stamp; late: boolean; cancelled_by: string | null }>(
        `SELECT w."contract_id", w."enterprise_id", w."created_at",
                EXISTS (SELECT 1 FROM "contract_trust_events" t WHERE t."contract_id" = w."contract_id" AND t."party" = 'enterprise' AND t."event" = 'late_cancellation') AS "late",
                w."snapshot"->'context'->'cancellation'->>'by' AS "cancelled_by"
           FROM "contract_workflows" w
          WHERE w."created_at" >= $1::timestamptz AND w."created_at" < $2::timestamptz AND ($3::text[] IS NULL OR w."enterprise_id" = ANY($3::text[]))`,
        [iso(from), iso(to), enterpriseIds],
      );
      return rows.map((r) => ({
        enterpriseId: r.enterprise_id, contractId: r.contract_id, createdAt: ms(r.created_at),
        cancellation: r.late ? { by: "enterprise" as const, late: true } : r.cancelled_by === "enterprise" || r.cancelled_by === "supplier" ? { by: r.cancelled_by as "enterprise" | "supplier", late: false } : null,
      }));
    },

    /** Worker-shifts of enterprises ending in [from, to), with the enterprise's first decision on the timesheet. */
    async enterpriseShifts(from: number, to: number, enterpriseIds: readonly string[] | null) {
      const { rows } = await sql.query<{ shift_id: string; enterprise_id: string; shift_end: Stamp; type: string | null; at: string | null }>(
        `SELECT ws."shift_id", ws."enterprise_id", ws."shift_end", d."type", d."at"
           FROM "worker_shifts" ws
           LEFT JOIN LATERAL (
             SELECT e."event"->>'type' AS "type", e."event"->>'at' AS "at" FROM "workflow_events" e
              WHERE e."machine_id" = ws."shift_id" AND e."event"->>'type' IN ('shift.approve', 'shift.dispute', 'deadline.autoApprove')
              ORDER BY e."version" LIMIT 1) d ON true
          WHERE ws."shift_end" >= $1::timestamptz AND ws."shift_end" < $2::timestamptz AND ($3::text[] IS NULL OR ws."enterprise_id" = ANY($3::text[]))`,
        [iso(from), iso(to), enterpriseIds],
      );
      return rows.map((r) => ({
        enterpriseId: r.enterprise_id, shiftId: r.shift_id, shiftEnd: ms(r.shift_end),
        decision:
          r.type === null || r.at === null
            ? null
            : { kind: r.type === "shift.approve" ? ("approved" as const) : r.type === "shift.dispute" ? ("disputed" as const) : ("auto_approved" as const), at: Number(r.at) },
      }));
    },

    // ------------------------------------------------------------ evaluation

    /** Organisations to evaluate: marked dirty, or not evaluated since `staleBefore` (decay moves scores with time). */
    async toEvaluate(staleBefore: number, limit: number): Promise<string[]> {
      const { rows } = await sql.query<{ organisation_id: string }>(
        `SELECT "organisation_id" FROM "trust_status" WHERE "dirty" OR "evaluated_at" < $1::timestamptz ORDER BY "organisation_id" LIMIT $2`,
        [iso(staleBefore), limit],
      );
      return rows.map((r) => r.organisation_id);
    },

    async organisation(id: string, client: SqlClient = sql): Promise<OrganisationFacts | undefined> {
      const { rows } = await client.query<{ id: string; kind: "enterprise" | "agency"; name: string; district_code: string; created_at: Stamp }>(
        `SELECT "id", "kind"::text AS "kind", "name", "district_code", "created_at" FROM "organisations" WHERE "id" = $1`,
        [id],
      );
      const r = rows[0];
      return r === undefined ? undefined : { id: r.id, kind: r.kind, name: r.name, districtCode: r.district_code, createdAt: ms(r.created_at) };
    },

    /** Every scored event of an organisation, oldest first. */
    async eventsOf(organisationId: string, client: SqlClient = sql): Promise<EventRow[]> {
      const { rows } = await client.query<EventDb>(`SELECT ${EVENT_COLUMNS} FROM "trust_events" WHERE "organisation_id" = $1 ORDER BY "at", "id"`, [organisationId]);
      return rows.map(eventRow);
    },

    async annulmentsOf(organisationId: string, client: SqlClient = sql): Promise<{ eventId: string; appealId: string; operatorId: string; at: number }[]> {
      const { rows } = await client.query<{ event_id: string; appeal_id: string; operator_id: string; at: Stamp }>(
        `SELECT a."event_id", a."appeal_id", a."operator_id", a."at" FROM "trust_annulments" a JOIN "trust_events" e ON e."id" = a."event_id" WHERE e."organisation_id" = $1`,
        [organisationId],
      );
      return rows.map((r) => ({ eventId: r.event_id, appealId: r.appeal_id, operatorId: r.operator_id, at: ms(r.at) }));
    },

    /** Writes an evaluation: the status, the transition (if any) and the organisation's colour and points as the rest of Shiftex reads them. */
    async saveEvaluation(tx: SqlClient, s: { organisationId: string; colour: Colour; reason: ColourReason; centipoints: number; at: number }, transition: TransitionRow | null): Promise<void> {
      if (transition !== null) {
        await tx.query(
          `INSERT INTO "trust_colour_transitions" (${TRANSITION_COLUMNS}) VALUES ($1, $2, $3, $4, $5::jsonb, $6::timestamptz, $7, $8, $9::text[], $10)`,
          [transition.id, transition.organisationId, transition.from, transition.to, JSON.stringify(transition.reason), iso(transition.at), transition.settingsVersion, transition.points, transition.eventIds, transition.appealId],
        );
      }
      await tx.query(
        `UPDATE "trust_status" SET "colour" = $2, "reason" = $3::jsonb, "centipoints" = $4, "dirty" = false, "evaluated_at" = $5::timestamptz,
                "last_transition_id" = COALESCE($6, "last_transition_id") WHERE "organisation_id" = $1`,
        [s.organisationId, s.colour, JSON.stringify(s.reason), s.centipoints, iso(s.at), transition?.id ?? null],
      );
      await tx.query(`UPDATE "organisations" SET "colour" = $2::"Colour", "integrity_points" = $3, "updated_at" = $4::timestamptz WHERE "id" = $1 AND ("colour" <> $2::"Colour" OR "integrity_points" <> $3)`, [
        s.organisationId, s.colour, Math.trunc(s.centipoints / 100), iso(s.at),
      ]);
    },

    /** Ratings whose latest transition the sequencer has not been told of. */
    async unsynced(): Promise<{ organisationId: string; colour: Colour; transitionId: string }[]> {
      const { rows } = await sql.query<{ organisation_id: string; colour: Colour; last_transition_id: string }>(
        `SELECT "organisation_id", "colour", "last_transition_id" FROM "trust_status" WHERE "last_transition_id" IS NOT NULL AND "last_transition_id" IS DISTINCT FROM "synced_transition_id" ORDER BY "organisation_id"`,
      );
      return rows.map((r) => ({ organisationId: r.organisation_id, colour: r.colour, transitionId: r.last_transition_id }));
    },

    async markSynced(organisationId: string, transitionId: string): Promise<void> {
      await sql.query(`UPDATE "trust_status" SET "synced_transition_id" = $2 WHERE "organisation_id" = $1`, [organisationId, transitionId]);
    },

    async status(organisationId: string): Promise<StatusRow | undefined> {
      const { rows } = await sql.query<StatusDb>(`SELECT * FROM "trust_status" WHERE "organisation_id" = $1`, [organisationId]);
      return rows[0] === undefined ? undefined : statusRow(rows[0]);
    },

    // ------------------------------------------------------------ transitions and appeals

    async transitionsOf(organisationId: string, limit: number): Promise<TransitionRow[]> {
      const { rows } = await sql.query<TransitionDb>(
        `SELECT ${TRANSITION_COLUMNS} FROM "trust_colour_transitions" WHERE "organisation_id" = $1 ORDER BY "at" DESC, "id" DESC LIMIT $2`,
        [organisationId, limit],
      );
      return rows.map(transitionRow);
    },

    async findTransition(id: string, client: SqlClient = sql): Promise<TransitionRow | undefined> {
      const { rows } = await client.query<TransitionDb>(`SELECT ${TRANSITION_COLUMNS} FROM "trust_colour_transitions" WHERE "id" = $1`, [id]);
      return rows[0] === undefined ? undefined : transitionRow(rows[0]);
    },

    async appealsOfOrganisation(organisationId: string, client: SqlClient = sql): Promise<AppealRow[]> {
      const { rows } = await client.query<AppealDb>(`SELECT ${APPEAL_COLUMNS} FROM "trust_appeals" WHERE "organisation_id" = $1 ORDER BY "filed_at" DESC, "id" DESC`, [organisationId]);
      return rows.map(appealRow);
    },

    /** Appeals, newest first, after a cursor id; of one organisation or all; of one status or all. */
    async listAppeals(q: { organisationId?: string; status?: AppealRow["status"]; beforeId?: string; limit: number }): Promise<AppealRow[]> {
      const { rows } = await sql.query<AppealDb>(
        `SELECT ${APPEAL_COLUMNS} FROM "trust_appeals"
          WHERE ($1::text IS NULL OR "organisation_id" = $1) AND ($2::text IS NULL OR "status" = $2) AND ($3::text IS NULL OR "id" < $3)
          ORDER BY "id" DESC LIMIT $4`,
        [q.organisationId ?? null, q.status ?? null, q.beforeId ?? null, q.limit],
      );
      return rows.map(appealRow);
    },

    async findAppeal(id: string, client: SqlClient = sql, lock = false): Promise<AppealRow | undefined> {
      const { rows } = await client.query<AppealDb>(`SELECT ${APPEAL_COLUMNS} FROM "trust_appeals" WHERE "id" = $1${lock ? " FOR UPDATE" : ""}`, [id]);
      return rows[0] === undefined ? undefined : appealRow(rows[0]);
    },

    /** Files an appeal; "taken" when the transition was appealed already. */
    async insertAppeal(tx: SqlClient, a: AppealRow): Promise<"ok" | "taken"> {
      try {
        await tx.query(
          `INSERT INTO "trust_appeals" (${APPEAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8, $9::timestamptz, NULL, NULL, NULL)`,
          [a.id, a.organisationId, a.transitionId, a.from, a.to, a.grounds, a.contested, a.status, iso(a.filedAt)],
        );
        return "ok";
      } catch (err) {
        if (isUniqueViolation(err)) return "taken";
        throw err;
      }
    },

    async decideAppeal(tx: SqlClient, id: string, d: { status: "upheld" | "rejected"; operatorId: string; reason: string; at: number }): Promise<boolean> {
      const r = await tx.query(
        `UPDATE "trust_appeals" SET "status" = $2, "decided_by" = $3, "decision_reason" = $4, "decided_at" = $5::timestamptz WHERE "id" = $1 AND "status" = 'open'`,
        [id, d.status, d.operatorId, d.reason, iso(d.at)],
      );
      return r.rowCount > 0;
    },

    async insertAnnulments(tx: SqlClient, list: readonly { eventId: string; appealId: string; operatorId: string; at: number }[]): Promise<void> {
      for (const a of list) {
        await tx.query(`INSERT INTO "trust_annulments" ("event_id", "appeal_id", "operator_id", "at") VALUES ($1, $2, $3, $4::timestamptz) ON CONFLICT ("event_id") DO NOTHING`, [
          a.eventId, a.appealId, a.operatorId, iso(a.at),
        ]);
      }
    },

    /** Names and phones of an organisation's workers: an operator's public text must not contain them. */
    async workersOf(organisationId: string): Promise<{ names: string[]; phones: string[] }> {
      const { rows } = await sql.query<{ real_name: string; phone: string }>(`SELECT "real_name", "phone" FROM "workers" WHERE "supplier_id" = $1`, [organisationId]);
      return { names: rows.map((r) => r.real_name), phones: rows.map((r) => r.phone) };
    },

    // ------------------------------------------------------------ public directory

    /** Agencies by id after a cursor, filtered by district, by a skill their workers hold, and by name. */
    async directory(q: { district?: string; skill?: string; name?: string; afterId?: string; limit: number }): Promise<DirectoryRow[]> {
      const { rows } = await sql.query<{ id: string; kind: "agency"; name: string; district_code: string; created_at: Stamp; colour: Colour | null; centipoints: number | null }>(
        `SELECT o."id", o."kind"::text AS "kind", o."name", o."district_code", o."created_at", s."colour", s."centipoints"
           FROM "organisations" o LEFT JOIN "trust_status" s ON s."organisation_id" = o."id"
          WHERE o."kind" = 'agency'
            AND ($1::text IS NULL OR o."district_code" = $1)
            AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM "workers" w JOIN "worker_skills" k ON k."worker_id" = w."id" WHERE w."supplier_id" = o."id" AND k."skill_id" = $2))
            AND ($3::text IS NULL OR strpos(lower(o."name"), lower($3)) > 0)
            AND ($4::text IS NULL OR o."id" > $4)
          ORDER BY o."id" LIMIT $5`,
        [q.district ?? null, q.skill ?? null, q.name ?? null, q.afterId ?? null, q.limit],
      );
      return rows.map((r) => ({ id: r.id, kind: r.kind, name: r.name, districtCode: r.district_code, createdAt: ms(r.created_at), colour: r.colour, centipoints: r.centipoints }));
    },

    /** The skills an agency's workers hold (ids only: how many workers is nobody's business here). */
    async skillsOf(organisationId: string): Promise<string[]> {
      const { rows } = await sql.query<{ skill_id: string }>(
        `SELECT DISTINCT k."skill_id" FROM "workers" w JOIN "worker_skills" k ON k."worker_id" = w."id" WHERE w."supplier_id" = $1 ORDER BY k."skill_id"`,
        [organisationId],
      );
      return rows.map((r) => r.skill_id);
    },
  };
}
export type TrustRepository = ReturnType<typeof createTrustRepository>;
