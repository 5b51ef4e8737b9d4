/**
 * The contract runtime's SQL: workflow rows (snapshot + version, optimistic
 * check), worker-shift rows, the append-only event log, the outbox, durable
 * timers (claimed with FOR UPDATE SKIP LOCKED), seat settlements, trust
 * events, notifications, sites. Returns outcomes; the runtime and the service
 * decide what they mean.
 */
import type { SqlClient, SqlPool } from "../infra/db";

/** Which machine a row holds. */
export type MachineKind = "contract" | "shift";

const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (d: Date | string): number => new Date(d).getTime();
const json = (v: unknown): string => JSON.stringify(v);

/** What the runtime starts a contract from: the contract row the sequencer wrote, with its demand's requirement. */
export interface ContractFacts {
  readonly contractId: string;
  readonly enterpriseId: string;
  readonly supplierId: string;
  readonly market: string;
  readonly headcount: number;
  readonly rateFen: number;
  readonly shared: boolean;
  readonly shiftStart: number;
  readonly shiftEnd: number;
  readonly escrowAccountId: string;
  readonly escrowFen: bigint;
  readonly minCertificate: number;
  readonly createdAt: number;
}

/** A contract's workflow row. */
export interface WorkflowRow {
  readonly contractId: string;
  readonly enterpriseId: string;
  readonly supplierId: string;
  readonly market: string;
  readonly skillId: string;
  readonly headcount: number;
  readonly rateFen: number;
  readonly shared: boolean;
  readonly paidMinutes: number;
  readonly minCertificate: number;
  readonly shiftStart: number;
  readonly shiftEnd: number;
  readonly escrowAccountId: string;
  readonly seatFen: bigint;
  readonly snapshot: unknown;
  readonly version: number;
  readonly state: string;
  readonly outcome: string | null;
  readonly closedAt: number | null;
  readonly createdAt: number;
}

/** A worker-shift row. */
export interface ShiftRow {
  readonly shiftId: string;
  readonly contractId: string;
  readonly seat: number;
  readonly workerId: string;
  readonly enterpriseId: string;
  readonly supplierId: string;
  readonly independent: boolean;
  readonly shiftStart: number;
  readonly shiftEnd: number;
  readonly snapshot: unknown;
  readonly version: number;
  readonly state: string;
  readonly booked: boolean;
  readonly createdAt: number;
}

/** An effect waiting in the outbox. */
export interface OutboxRow {
  readonly seq: bigint;
  readonly effectId: string;
  readonly machineId: string;
  readonly type: string;
  readonly effect: unknown;
  readonly attempts: number;
}

/** A durable timer. */
export interface TimerRow {
  readonly timerId: string;
  readonly machineId: string;
  readonly kind: MachineKind;
  readonly dueAt: number;
  readonly event: { type: string; at: number };
}

/** How a seat's escrow left, with every leg's amount. */
export interface SettlementRow {
  readonly id: string;
  readonly contractId: string;
  readonly seat: number;
  readonly kind: "settled" | "refunded" | "late_cancelled";
  readonly shiftId: string | null;
  readonly workerId: string | null;
  readonly minutes: number | null;
  readonly basis: string | null;
  readonly reason: string | null;
  readonly operatorId: string | null;
  readonly wageFen: bigint;
  readonly taxFen: bigint;
  readonly feeFen: bigint;
  readonly refundFen: bigint;
  readonly payeeAccountId: string | null;
  readonly transferIds: string[];
  readonly settledAt: number;
}

/** A worker as staffing checks them. */
export interface WorkerFacts {
  readonly id: string;
  readonly supplierId: string | null;
  readonly identityHash: string;
  readonly realName: string;
  readonly phone: string;
  readonly birthDate: string | null;
  readonly skills: ReadonlyMap<string, number>;
}

/** A notification as stored. */
export interface NotificationRow {
  readonly id: string;
  readonly recipient: string;
  readonly recipientId: string | null;
  readonly contractId: string;
  readonly shiftId: string | null;
  readonly seat: number | null;
  readonly kind: string;
  readonly createdAt: number;
}

/** An enterprise's site and its optional fence. */
export interface SiteRow {
  readonly enterpriseId: string;
  readonly fence: { readonly latitudeE6: number; readonly longitudeE6: number; readonly radiusM: number } | null;
}

/** One step to store: the machine's next snapshot, the event that led there, its effects and its timers. */
export interface StoredStep {
  readonly kind: MachineKind;
  readonly machineId: string;
  /** The version the step was computed from; the write fails ("stale") if the row moved on. */
  readonly fromVersion: number;
  readonly snapshot: unknown;
  readonly state: string;
  /** Worker-shifts only: still holds the worker's time. */
  readonly booked?: boolean;
  readonly event: unknown;
  readonly at: number;
}

/** An effect as it goes into the outbox. */
export interface OutboxInsert {
  readonly effectId: string;
  readonly type: string;
  readonly effect: unknown;
}

interface RawWorkflow {
  contract_id: string;
  enterprise_id: string;
  supplier_id: string;
  market: string;
  skill_id: string;
  headcount: number;
  rate_fen: number;
  shared: boolean;
  paid_minutes: number;
  min_certificate: number;
  shift_start: Date | string;
  shift_end: Date | string;
  escrow_account_id: string;
  seat_fen: bigint;
  snapshot: unknown;
  version: number;
  state: string;
  outcome: string | null;
  closed_at: Date | string | null;
  created_at: Date | string;
}

function toWorkflow(r: RawWorkflow): WorkflowRow {
  return {
    contractId: r.contract_id,
    enterpriseId: r.enterprise_id,
    supplierId: r.supplier_id,
    market: r.market,
    skillId: r.skill_id,
    headcount: r.headcount,
    rateFen: r.rate_fen,
    shared: r.shared,
    paidMinutes: r.paid_minutes,
    minCertificate: r.min_certificate,
    shiftStart: ms(r.shift_start),
    shiftEnd: ms(r.shift_end),
    escrowAccountId: r.escrow_account_id,
    seatFen: BigInt(r.seat_fen),
    snapshot: r.snapshot,
    version: r.version,
    state: r.state,
    outcome: r.outcome,
    closedAt: r.closed_at === null ? null : ms(r.closed_at),
    createdAt: ms(r.created_at),
  };
}

interface RawShift {
  shift_id: string;
  contract_id: string;
  seat: number;
  worker_id: string;
  enterprise_id: string;
  supplier_id: string;
  independent: boolean;
  shift_start: Date | string;
  shift_end: Date | string;
  snapshot: unknown;
  version: number;
  state: string;
  booked: boolean;
  created_at: Date | string;
}

function toShift(r: RawShift): ShiftRow {
  return {
    shiftId: r.shift_id,
    contractId: r.contract_id,
    seat: r.seat,
    workerId: r.worker_id,
    enterpriseId: r.enterprise_id,
    supplierId: r.supplier_id,
    independent: r.independent,
    shiftStart: ms(r.shift_start),
    shiftEnd: ms(r.shift_end),
    snapshot: r.snapshot,
    version: r.version,
    state: r.state,
    booked: r.booked,
    createdAt: ms(r.created_at),
  };
}

interface RawSettlement {
  id: string;
  contract_id: string;
  seat: number;
  kind: SettlementRow["kind"];
  shift_id: string | null;
  worker_id: string | null;
  minutes: number | null;
  basis: string | null;
  reason: string | null;
  operator_id: string | null;
  wage_fen: bigint;
  tax_fen: bigint;
  fee_fen: bigint;
  refund_fen: bigint;
  payee_account_id: string | null;
  transfer_ids: string[];
  settled_at: Date | string;
}

function toSettlement(r: RawSettlement): SettlementRow {
  return {
    id: r.id,
    contractId: r.contract_id,
    seat: r.seat,
    kind: r.kind,
    shiftId: r.shift_id,
    workerId: r.worker_id,
    minutes: r.minutes,
    basis: r.basis,
    reason: r.reason,
    operatorId: r.operator_id,
    wageFen: BigInt(r.wage_fen),
    taxFen: BigInt(r.tax_fen),
    feeFen: BigInt(r.fee_fen),
    refundFen: BigInt(r.refund_fen),
    payeeAccountId: r.payee_account_id,
    transferIds: r.transfer_ids,
    settledAt: ms(r.settled_at),
  };
}

const WORKFLOW_COLUMNS = `"contract_id", "enterprise_id", "supplier_id", "market", "skill_id", "headcount", "rate_fen", "shared", "paid_minutes",
  "min_certificate", "shift_start", "shift_end", "escrow_account_id", "seat_fen", "snapshot", "version", "state", "outcome", "closed_at", "created_at"`;
const SHIFT_COLUMNS = `"shift_id", "contract_id", "seat", "worker_id", "enterprise_id", "supplier_id", "independent", "shift_start", "shift_end",
  "snapshot", "version", "state", "booked", "created_at"`;
const SETTLEMENT_COLUMNS = `"id", "contract_id", "seat", "kind", "shift_id", "worker_id", "minutes", "basis", "reason", "operator_id",
  "wage_fen", "tax_fen", "fee_fen", "refund_fen", "payee_account_id", "transfer_ids", "settled_at"`;

type TimerInput = { id: string; machineId: string; dueAt: number; event: unknown };

/** Timers as the column arrays `upsertTimers` takes: ids, machine ids, due instants, events. */
const timerColumns = (timers: readonly TimerInput[]) => [timers.map((t) => t.id), timers.map((t) => t.machineId), timers.map((t) => iso(t.dueAt)), timers.map((t) => json(t.event))];

/** Upserts timers by id from parameter $from (the kind) and the four `timerColumns` after it, where `condition` holds of a timer `t`. */
function upsertTimers(from: number, condition: string): string {
  return `INSERT INTO "workflow_timers" ("timer_id", "machine_id", "kind", "due_at", "event")
       SELECT t."id", t."machine", $${from}, t."due"::timestamptz, t."event"::jsonb
         FROM unnest($${from + 1}::text[], $${from + 2}::text[], $${from + 3}::text[], $${from + 4}::text[]) AS t("id", "machine", "due", "event")
        WHERE ${condition}
       ON CONFLICT ("timer_id") DO UPDATE SET "due_at" = EXCLUDED."due_at", "event" = EXCLUDED."event", "machine_id" = EXCLUDED."machine_id"`;
}

export function createContractsRepository(sql: SqlPool, shard: string) {
  /** Replaces the timers of these machines (all of one kind) with these, in two statements whatever their number. */
  async function replaceTimersOf(
    tx: SqlClient,
    kind: MachineKind,
    machineIds: readonly string[],
    timers: readonly TimerInput[],
  ): Promise<void> {
    if (machineIds.length === 0) return;
    await tx.query(`DELETE FROM "workflow_timers" WHERE "machine_id" = ANY($1::text[])`, [machineIds]);
    if (timers.length === 0) return;
    await tx.query(upsertTimers(1, "TRUE"), [kind, ...timerColumns(timers)]);
  }

  return {
    /** Runs fn in one transaction. */
    transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      return sql.transaction(fn);
    },

    // ------------------------------------------------------------ starting contracts

    /**
     * The contract rows of these ids with their demand orders' certificate requirement, each marked whether its
     * workflow exists already; ids with no contract row are absent. One query for a whole round of new contracts.
     */
    async contractFacts(contractIds: readonly string[]): Promise<Array<ContractFacts & { readonly started: boolean }>> {
      if (contractIds.length === 0) return [];
      const { rows } = await sql.query<{
        id: string; enterprise_id: string; supplier_id: string; market: string; headcount: number; rate_fen: number; shared: boolean;
        shift_start: Date | string; shift_end: Date | string; escrow_account_id: string; escrow_fen: bigint; min_certificate: number | null; created_at: Date | string;
        started: boolean;
      }>(
        `SELECT c."id", c."enterprise_id", c."supplier_id", c."market", c."headcount", c."rate_fen", c."shared", c."shift_start", c."shift_end",
                c."escrow_account_id", c."escrow_fen", c."created_at", o."min_certificate", (w."contract_id" IS NOT NULL) AS "started"
           FROM "contracts" c LEFT JOIN "orders" o ON o."id" = c."demand_order_id"
                LEFT JOIN "contract_workflows" w ON w."contract_id" = c."id"
          WHERE c."id" = ANY($1::text[])`,
        [contractIds],
      );
      return rows.map((r) => ({
        contractId: r.id,
        enterpriseId: r.enterprise_id,
        supplierId: r.supplier_id,
        market: r.market,
        headcount: r.headcount,
        rateFen: r.rate_fen,
        shared: r.shared,
        shiftStart: ms(r.shift_start),
        shiftEnd: ms(r.shift_end),
        escrowAccountId: r.escrow_account_id,
        escrowFen: BigInt(r.escrow_fen),
        minCertificate: r.min_certificate ?? 0,
        createdAt: ms(r.created_at),
        started: r.started,
      }));
    },

    /**
     * Contracts of this shard the sequencer wrote that have no workflow yet (the bus is not durable: these were
     * missed), with sequence in (after, upTo], oldest first; with `createdBefore`, only those created before it.
     */
    async unstartedContracts(limit: number, after: number, upTo: number, createdBefore?: number): Promise<Array<{ id: string; seq: number }>> {
      const { rows } = await sql.query<{ id: string; seq: bigint | string }>(
        `SELECT c."id", c."seq" FROM "contracts" c
          WHERE c."shard" = $1 AND c."seq" > $2 AND c."seq" <= $3 AND ($5::timestamptz IS NULL OR c."created_at" < $5::timestamptz)
            AND NOT EXISTS (SELECT 1 FROM "contract_workflows" w WHERE w."contract_id" = c."id")
          ORDER BY c."seq" LIMIT $4`,
        [shard, after, upTo, limit, createdBefore === undefined ? null : iso(createdBefore)],
      );
      return rows.map((r) => ({ id: r.id, seq: Number(r.seq) }));
    },

    /**
     * The sequence up to which a sweep may look: the shard's last contract's, or, with `createdBefore`, the one
     * before the first contract created at or after it (those are still the bus's to start).
     */
    async sweepBound(after: number, createdBefore?: number): Promise<number> {
      const { rows } = await sql.query<{ tip: bigint | string | null; young: bigint | string | null }>(
        `SELECT (SELECT max(c."seq") FROM "contracts" c WHERE c."shard" = $1) AS "tip",
                (SELECT min(c."seq") FROM "contracts" c WHERE c."shard" = $1 AND c."seq" > $2 AND $3::timestamptz IS NOT NULL AND c."created_at" >= $3::timestamptz) AS "young"`,
        [shard, after, createdBefore === undefined ? null : iso(createdBefore)],
      );
      const r = rows[0];
      if (r?.young !== null && r?.young !== undefined) return Number(r.young) - 1;
      return r?.tip === null || r?.tip === undefined ? after : Number(r.tip);
    },

    /**
     * Inserts workflow rows (version 1) and the timers of those it inserted, in one statement (no transaction
     * held open between statements); returns the ids inserted. An id whose row exists already (another node or
     * an earlier try started it) is left as it is, its timers too, and not returned; so is one with no contract
     * row (a workflow only ever belongs to a contract the sequencer wrote). A new workflow has no timers yet,
     * so these are its first (a timer id written before is overwritten, as `replaceTimersOf` does).
     */
    async insertWorkflows(
      list: ReadonlyArray<Omit<WorkflowRow, "outcome" | "closedAt" | "version"> & { input: unknown; machineVersion: string }>,
      timers: readonly TimerInput[] = [],
      client: SqlClient = sql,
    ): Promise<Set<string>> {
      if (list.length === 0) return new Set();
      const col = <T>(f: (w: (typeof list)[number]) => T): T[] => list.map(f);
      const { rows } = await client.query<{ contract_id: string }>(
        `WITH "inserted" AS (
           INSERT INTO "contract_workflows" ("contract_id", "enterprise_id", "supplier_id", "market", "skill_id", "headcount", "rate_fen", "shared",
             "paid_minutes", "min_certificate", "shift_start", "shift_end", "escrow_account_id", "seat_fen", "input", "snapshot", "version",
             "machine_version", "state", "created_at", "updated_at")
           SELECT w."id", w."ent", w."sup", w."market", w."skill", w."heads", w."rate", w."shared", w."paid", w."cert", w."start", w."end",
                  w."escrow", w."seat", w."input"::jsonb, w."snapshot"::jsonb, 1, w."mv", w."state", w."cat", w."cat"
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::bool[], $9::int[], $10::int[],
                         $11::timestamptz[], $12::timestamptz[], $13::text[], $14::bigint[], $15::text[], $16::text[], $17::text[], $18::text[], $19::timestamptz[])
               WITH ORDINALITY AS w("id", "ent", "sup", "market", "skill", "heads", "rate", "shared", "paid", "cert", "start", "end", "escrow", "seat",
                                    "input", "snapshot", "mv", "state", "cat", "n")
            WHERE EXISTS (SELECT 1 FROM "contracts" c WHERE c."id" = w."id")
            ORDER BY w."n"
           ON CONFLICT ("contract_id") DO NOTHING
           RETURNING "contract_id"
         ), "timers" AS (
           ${upsertTimers(20, `t."machine" IN (SELECT "contract_id" FROM "inserted")`)}
         )
         SELECT "contract_id" FROM "inserted"`,
        [
          col((w) => w.contractId), col((w) => w.enterpriseId), col((w) => w.supplierId), col((w) => w.market), col((w) => w.skillId),
          col((w) => w.headcount), col((w) => w.rateFen), col((w) => w.shared), col((w) => w.paidMinutes), col((w) => w.minCertificate),
          col((w) => iso(w.shiftStart)), col((w) => iso(w.shiftEnd)), col((w) => w.escrowAccountId), col((w) => w.seatFen.toString()),
          col((w) => json(w.input)), col((w) => json(w.snapshot)), col((w) => w.machineVersion), col((w) => w.state), col((w) => iso(w.createdAt)),
          "contract", ...timerColumns(timers),
        ],
      );
      return new Set(rows.map((r) => r.contract_id));
    },

    // ------------------------------------------------------------ machines

    async workflow(contractId: string, client: SqlClient = sql): Promise<WorkflowRow | undefined> {
      const { rows } = await client.query<RawWorkflow>(`SELECT ${WORKFLOW_COLUMNS} FROM "contract_workflows" WHERE "contract_id" = $1`, [contractId]);
      return rows[0] === undefined ? undefined : toWorkflow(rows[0]);
    },

    /** Where these contracts' workflows stand (state, closed), for those that have started. */
    async progressOf(contractIds: readonly string[]): Promise<Map<string, { state: string; closed: boolean }>> {
      if (contractIds.length === 0) return new Map();
      const { rows } = await sql.query<{ contract_id: string; state: string; closed: boolean }>(
        `SELECT "contract_id", "state", "closed_at" IS NOT NULL AS "closed" FROM "contract_workflows" WHERE "contract_id" = ANY($1::text[])`,
        [contractIds],
      );
      return new Map(rows.map((r) => [r.contract_id, { state: r.state, closed: r.closed }]));
    },

    async shift(shiftId: string, client: SqlClient = sql): Promise<ShiftRow | undefined> {
      const { rows } = await client.query<RawShift>(`SELECT ${SHIFT_COLUMNS} FROM "worker_shifts" WHERE "shift_id" = $1`, [shiftId]);
      return rows[0] === undefined ? undefined : toShift(rows[0]);
    },

    /** Stores a step with the optimistic version check and appends its event; "stale" when the row moved on. */
    async storeStep(tx: SqlClient, s: StoredStep): Promise<"ok" | "stale"> {
      const table = s.kind === "contract" ? "contract_workflows" : "worker_shifts";
      const key = s.kind === "contract" ? "contract_id" : "shift_id";
      const booked = s.kind === "shift" ? `, "booked" = $6` : "";
      const params: unknown[] = [s.machineId, s.fromVersion, json(s.snapshot), s.state, iso(s.at)];
      if (s.kind === "shift") params.push(s.booked ?? true);
      const r = await tx.query(
        `UPDATE "${table}" SET "snapshot" = $3::jsonb, "version" = "version" + 1, "state" = $4, "updated_at" = $5::timestamptz${booked}
          WHERE "${key}" = $1 AND "version" = $2`,
        params,
      );
      if (r.rowCount === 0) return "stale";
      await tx.query(
        `INSERT INTO "workflow_events" ("machine_id", "version", "kind", "event", "recorded_at") VALUES ($1, $2, $3, $4::jsonb, $5::timestamptz)`,
        [s.machineId, s.fromVersion + 1, s.kind, json(s.event), iso(s.at)],
      );
      return "ok";
    },

    /** What a machine was started from. */
    async input(kind: MachineKind, id: string): Promise<unknown> {
      const { rows } =
        kind === "contract"
          ? await sql.query<{ input: unknown }>(`SELECT "input" FROM "contract_workflows" WHERE "contract_id" = $1`, [id])
          : await sql.query<{ input: unknown }>(`SELECT "input" FROM "worker_shifts" WHERE "shift_id" = $1`, [id]);
      return rows[0]?.input;
    },

    /** A machine's accepted events in order (its snapshot is the replay of its input and these). */
    async events(machineId: string): Promise<unknown[]> {
      const { rows } = await sql.query<{ event: unknown }>(`SELECT "event" FROM "workflow_events" WHERE "machine_id" = $1 ORDER BY "version"`, [machineId]);
      return rows.map((r) => r.event);
    },

    /** Inserts a worker-shift row at its first snapshot; false if the id is taken (the effect ran before). */
    async insertShift(
      tx: SqlClient,
      s: Omit<ShiftRow, "version" | "createdAt"> & { identityHash: string; input: unknown; machineVersion: string; at: number },
    ): Promise<boolean> {
      const r = await tx.query(
        `INSERT INTO "worker_shifts" ("shift_id", "contract_id", "seat", "worker_id", "identity_hash", "enterprise_id", "supplier_id", "independent",
           "shift_start", "shift_end", "input", "snapshot", "version", "machine_version", "state", "booked", "created_at", "updated_at")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz, $10::timestamptz, $11::jsonb, $12::jsonb, 1, $13, $14, $15, $16::timestamptz, $16::timestamptz)
         ON CONFLICT ("shift_id") DO NOTHING`,
        [
          s.shiftId, s.contractId, s.seat, s.workerId, s.identityHash, s.enterpriseId, s.supplierId, s.independent, iso(s.shiftStart), iso(s.shiftEnd),
          json(s.input), json(s.snapshot), s.machineVersion, s.state, s.booked, iso(s.at),
        ],
      );
      return r.rowCount > 0;
    },

    /**
     * Inside a transaction: locks the worker's row (so two assignments of one person serialise) and returns the
     * worker as staffing checks them.
     */
    async lockWorker(tx: SqlClient, workerId: string): Promise<WorkerFacts | undefined> {
      const { rows } = await tx.query<{ id: string; supplier_id: string | null; identity_hash: string; real_name: string; phone: string; birth_date: Date | string | null }>(
        `SELECT "id", "supplier_id", "identity_hash", "real_name", "phone", "birth_date" FROM "workers" WHERE "id" = $1 FOR UPDATE`,
        [workerId],
      );
      const w = rows[0];
      if (w === undefined) return undefined;
      const skills = await tx.query<{ skill_id: string; level: number }>(`SELECT "skill_id", "level" FROM "worker_skills" WHERE "worker_id" = $1`, [workerId]);
      return {
        id: w.id,
        supplierId: w.supplier_id,
        identityHash: w.identity_hash,
        realName: w.real_name,
        phone: w.phone,
        birthDate: w.birth_date === null ? null : new Date(w.birth_date).toISOString().slice(0, 10),
        skills: new Map(skills.rows.map((s) => [s.skill_id, s.level])),
      };
    },

    /** The worker without a lock (views, notifications). */
    async worker(workerId: string): Promise<WorkerFacts | undefined> {
      return sql.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string }>(`SELECT "id" FROM "workers" WHERE "id" = $1`, [workerId]);
        if (rows.length === 0) return undefined;
        return this.lockWorker(tx, workerId);
      });
    },

    /** Names of workers, for views. */
    async workerNames(ids: readonly string[]): Promise<Map<string, string>> {
      if (ids.length === 0) return new Map();
      const { rows } = await sql.query<{ id: string; real_name: string }>(`SELECT "id", "real_name" FROM "workers" WHERE "id" = ANY($1::text[])`, [ids]);
      return new Map(rows.map((r) => [r.id, r.real_name]));
    },

    /** A booked shift of the same person (by identity, across every supplier) overlapping [start, end), if any. */
    async overlappingShift(tx: SqlClient, identityHash: string, start: number, end: number): Promise<{ shiftId: string; contractId: string } | undefined> {
      const { rows } = await tx.query<{ shift_id: string; contract_id: string }>(
        `SELECT "shift_id", "contract_id" FROM "worker_shifts"
          WHERE "identity_hash" = $1 AND "booked" AND "shift_start" < $3::timestamptz AND "shift_end" > $2::timestamptz
          LIMIT 1`,
        [identityHash, iso(start), iso(end)],
      );
      const r = rows[0];
      return r === undefined ? undefined : { shiftId: r.shift_id, contractId: r.contract_id };
    },

    // ------------------------------------------------------------ outbox

    /** Puts effects into the outbox; an id already there is kept as it was (the same effect, described again). */
    async insertEffects(tx: SqlClient, machineId: string, effects: readonly OutboxInsert[], at: number): Promise<void> {
      if (effects.length === 0) return;
      await tx.query(
        `INSERT INTO "workflow_effects" ("effect_id", "machine_id", "type", "effect", "created_at")
         SELECT e."id", $1, e."type", e."effect"::jsonb, $5::timestamptz
           FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e("id", "type", "effect", "n")
          ORDER BY e."n"
         ON CONFLICT ("effect_id") DO NOTHING`,
        [machineId, effects.map((e) => e.effectId), effects.map((e) => e.type), effects.map((e) => json(e.effect)), iso(at)],
      );
    },

    /** Marks an effect run; false if it was already (another runner delivered it first). */
    async markDone(tx: SqlClient, effectId: string, at: number): Promise<boolean> {
      const r = await tx.query(`UPDATE "workflow_effects" SET "done_at" = $2::timestamptz WHERE "effect_id" = $1 AND "done_at" IS NULL`, [effectId, iso(at)]);
      return r.rowCount > 0;
    },

    /** Records a failed attempt; the effect stays pending for the next sweep. */
    async markFailed(effectId: string, error: string): Promise<void> {
      await sql.query(`UPDATE "workflow_effects" SET "attempts" = "attempts" + 1, "last_error" = $2 WHERE "effect_id" = $1`, [effectId, error.slice(0, 1000)]);
    },

    /** Pending effects after `afterSeq`, in the order they were described. */
    async pendingEffects(afterSeq: bigint, limit: number): Promise<OutboxRow[]> {
      const { rows } = await sql.query<{ seq: bigint; effect_id: string; machine_id: string; type: string; effect: unknown; attempts: number }>(
        `SELECT "seq", "effect_id", "machine_id", "type", "effect", "attempts" FROM "workflow_effects"
          WHERE "done_at" IS NULL AND "seq" > $1 ORDER BY "seq" LIMIT $2`,
        [afterSeq, limit],
      );
      return rows.map((r) => ({ seq: BigInt(r.seq), effectId: r.effect_id, machineId: r.machine_id, type: r.type, effect: r.effect, attempts: r.attempts }));
    },

    /** Money effects of a contract not yet run (a closing waits for them). */
    async pendingMoney(contractId: string): Promise<number> {
      const { rows } = await sql.query<{ n: bigint }>(
        `SELECT count(*) AS "n" FROM "workflow_effects" WHERE "machine_id" = $1 AND "type" LIKE 'ledger.%' AND "done_at" IS NULL`,
        [contractId],
      );
      return Number(rows[0]?.n ?? 0);
    },

    // ------------------------------------------------------------ timers

    /** Replaces a machine's timers with these. */
    async replaceTimers(tx: SqlClient, kind: MachineKind, machineId: string, timers: readonly { id: string; dueAt: number; event: unknown }[]): Promise<void> {
      await replaceTimersOf(tx, kind, [machineId], timers.map((t) => ({ ...t, machineId })));
    },

    /** Replaces the timers of these machines (all of one kind) with these, in two statements whatever their number. */
    replaceTimersOf,

    /** Inside a transaction: the earliest timer due by `now` that no other transaction holds, locked until it ends. */
    async claimDueTimer(tx: SqlClient, now: number): Promise<TimerRow | undefined> {
      const { rows } = await tx.query<{ timer_id: string; machine_id: string; kind: MachineKind; due_at: Date | string; event: { type: string; at: number } }>(
        `SELECT "timer_id", "machine_id", "kind", "due_at", "event" FROM "workflow_timers"
          WHERE "due_at" <= $1::timestamptz ORDER BY "due_at", "timer_id" LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [iso(now)],
      );
      const r = rows[0];
      return r === undefined ? undefined : { timerId: r.timer_id, machineId: r.machine_id, kind: r.kind, dueAt: ms(r.due_at), event: r.event };
    },

    async deleteTimer(tx: SqlClient, timerId: string): Promise<void> {
      await tx.query(`DELETE FROM "workflow_timers" WHERE "timer_id" = $1`, [timerId]);
    },

    /** Every timer (tests and operators). */
    async timers(): Promise<TimerRow[]> {
      const { rows } = await sql.query<{ timer_id: string; machine_id: string; kind: MachineKind; due_at: Date | string; event: { type: string; at: number } }>(
        `SELECT "timer_id", "machine_id", "kind", "due_at", "event" FROM "workflow_timers" ORDER BY "due_at", "timer_id"`,
      );
      return rows.map((r) => ({ timerId: r.timer_id, machineId: r.machine_id, kind: r.kind, dueAt: ms(r.due_at), event: r.event }));
    },

    // ------------------------------------------------------------ outside effects

    async insertTrust(
      tx: SqlClient,
      t: { id: string; contractId: string; party: string; partyId: string; event: string; seat: number | null; seats: number; minutes: unknown; at: number },
    ): Promise<void> {
      await tx.query(
        `INSERT INTO "contract_trust_events" ("id", "contract_id", "party", "party_id", "event", "seat", "seats", "minutes", "recorded_at")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::timestamptz) ON CONFLICT ("id") DO NOTHING`,
        [t.id, t.contractId, t.party, t.partyId, t.event, t.seat, t.seats, t.minutes === null ? null : json(t.minutes), iso(t.at)],
      );
    },

    async trustEvents(contractId: string): Promise<{ party: string; partyId: string; event: string; seat: number | null; seats: number }[]> {
      const { rows } = await sql.query<{ party: string; party_id: string; event: string; seat: number | null; seats: number }>(
        `SELECT "party", "party_id", "event", "seat", "seats" FROM "contract_trust_events" WHERE "contract_id" = $1 ORDER BY "recorded_at", "id"`,
        [contractId],
      );
      return rows.map((r) => ({ party: r.party, partyId: r.party_id, event: r.event, seat: r.seat, seats: r.seats }));
    },

    async insertNotification(tx: SqlClient, n: NotificationRow): Promise<boolean> {
      const r = await tx.query(
        `INSERT INTO "workflow_notifications" ("id", "recipient", "recipient_id", "contract_id", "shift_id", "seat", "kind", "created_at")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz) ON CONFLICT ("id") DO NOTHING`,
        [n.id, n.recipient, n.recipientId, n.contractId, n.shiftId, n.seat, n.kind, iso(n.createdAt)],
      );
      return r.rowCount > 0;
    },

    /** A recipient's notifications, newest first. */
    async notifications(recipient: string, recipientId: string, before: { at: number; id: string } | undefined, limit: number): Promise<NotificationRow[]> {
      const { rows } = await sql.query<{ id: string; recipient: string; recipient_id: string | null; contract_id: string; shift_id: string | null; seat: number | null; kind: string; created_at: Date | string }>(
        `SELECT "id", "recipient", "recipient_id", "contract_id", "shift_id", "seat", "kind", "created_at" FROM "workflow_notifications"
          WHERE "recipient" = $1 AND "recipient_id" = $2 AND ($3::timestamptz IS NULL OR ("created_at", "id") < ($3::timestamptz, $4))
          ORDER BY "created_at" DESC, "id" DESC LIMIT $5`,
        [recipient, recipientId, before === undefined ? null : iso(before.at), before?.id ?? "", limit],
      );
      return rows.map((r) => ({ id: r.id, recipient: r.recipient, recipientId: r.recipient_id, contractId: r.contract_id, shiftId: r.shift_id, seat: r.seat, kind: r.kind, createdAt: ms(r.created_at) }));
    },

    async insertSettlement(tx: SqlClient, s: SettlementRow): Promise<void> {
      await tx.query(
        `INSERT INTO "seat_settlements" (${SETTLEMENT_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::text[], $17::timestamptz) ON CONFLICT ("id") DO NOTHING`,
        [
          s.id, s.contractId, s.seat, s.kind, s.shiftId, s.workerId, s.minutes, s.basis, s.reason, s.operatorId, s.wageFen, s.taxFen, s.feeFen, s.refundFen,
          s.payeeAccountId, s.transferIds, iso(s.settledAt),
        ],
      );
    },

    async settlementsOfContract(contractId: string): Promise<SettlementRow[]> {
      const { rows } = await sql.query<RawSettlement>(`SELECT ${SETTLEMENT_COLUMNS} FROM "seat_settlements" WHERE "contract_id" = $1 ORDER BY "seat"`, [contractId]);
      return rows.map(toSettlement);
    },

    async settlementsOfShifts(shiftIds: readonly string[]): Promise<Map<string, SettlementRow>> {
      if (shiftIds.length === 0) return new Map();
      const { rows } = await sql.query<RawSettlement>(`SELECT ${SETTLEMENT_COLUMNS} FROM "seat_settlements" WHERE "shift_id" = ANY($1::text[])`, [shiftIds]);
      return new Map(rows.map((r) => [r.shift_id as string, toSettlement(r)]));
    },

    /** Closes a contract's workflow (its escrow is at zero). */
    async closeWorkflow(tx: SqlClient, contractId: string, outcome: string, at: number): Promise<void> {
      await tx.query(
        `UPDATE "contract_workflows" SET "outcome" = $2, "closed_at" = $3::timestamptz WHERE "contract_id" = $1 AND "closed_at" IS NULL`,
        [contractId, outcome, iso(at)],
      );
    },

    /**
     * Closed contracts whose escrow does not stand at zero, from the stored ledger (posted amounts of single
     * transfers and posts): the ledger verification reports each.
     */
    async closedContractsWithEscrow(): Promise<{ contractId: string; escrowAccountId: string; balanceFen: bigint }[]> {
      const { rows } = await sql.query<{ contract_id: string; escrow_account_id: string; balance: bigint | string }>(
        `SELECT w."contract_id", w."escrow_account_id", b."balance" FROM "contract_workflows" w,
           LATERAL (SELECT
             COALESCE((SELECT sum(t."amount") FROM "ledger_transfers" t WHERE t."shard" = $1 AND t."credit_account_id" = w."escrow_account_id" AND t."kind" IN ('single', 'post')), 0)
           - COALESCE((SELECT sum(t."amount") FROM "ledger_transfers" t WHERE t."shard" = $1 AND t."debit_account_id" = w."escrow_account_id" AND t."kind" IN ('single', 'post')), 0)
             AS "balance") b
          WHERE w."closed_at" IS NOT NULL AND b."balance" <> 0`,
        [shard],
      );
      return rows.map((r) => ({ contractId: r.contract_id, escrowAccountId: r.escrow_account_id, balanceFen: BigInt(r.balance) }));
    },

    // ------------------------------------------------------------ lists

    async shiftsOfContract(contractId: string): Promise<ShiftRow[]> {
      const { rows } = await sql.query<RawShift>(`SELECT ${SHIFT_COLUMNS} FROM "worker_shifts" WHERE "contract_id" = $1 ORDER BY "seat", "created_at", "shift_id"`, [contractId]);
      return rows.map(toShift);
    },

    /** A worker's shifts, latest start first; keyset on (start, id). */
    async shiftsOfWorker(workerId: string, before: { start: number; id: string } | undefined, limit: number): Promise<ShiftRow[]> {
      const { rows } = await sql.query<RawShift>(
        `SELECT ${SHIFT_COLUMNS} FROM "worker_shifts"
          WHERE "worker_id" = $1 AND ($2::timestamptz IS NULL OR ("shift_start", "shift_id") < ($2::timestamptz, $3))
          ORDER BY "shift_start" DESC, "shift_id" DESC LIMIT $4`,
        [workerId, before === undefined ? null : iso(before.start), before?.id ?? "", limit],
      );
      return rows.map(toShift);
    },

    /** Seats under dispute, earliest shift first (the operators' queue); keyset on (shift_start, shift_id). */
    async disputedShifts(after: { at: number; id: string } | undefined, limit: number): Promise<ShiftRow[]> {
      const { rows } = await sql.query<RawShift>(
        `SELECT ${SHIFT_COLUMNS} FROM "worker_shifts"
          WHERE "state" = 'disputed' AND ($1::timestamptz IS NULL OR ("shift_start", "shift_id") > ($1::timestamptz, $2))
          ORDER BY "shift_start", "shift_id" LIMIT $3`,
        [after === undefined ? null : iso(after.at), after?.id ?? "", limit],
      );
      return rows.map(toShift);
    },

    /** Workflows of a party (either side), or all; newest contract first. */
    async workflows(partyId: string | undefined, beforeId: string | undefined, limit: number): Promise<WorkflowRow[]> {
      const { rows } = await sql.query<RawWorkflow>(
        `SELECT ${WORKFLOW_COLUMNS} FROM "contract_workflows"
          WHERE ($1::text IS NULL OR "enterprise_id" = $1 OR "supplier_id" = $1) AND ($2::text IS NULL OR "contract_id" < $2)
          ORDER BY "contract_id" DESC LIMIT $3`,
        [partyId ?? null, beforeId ?? null, limit],
      );
      return rows.map(toWorkflow);
    },

    /** Settlements paid to a supplier's payable or a worker's own, newest first. */
    async earnings(filter: { supplierId: string } | { workerId: string }, before: { at: number; id: string } | undefined, limit: number): Promise<SettlementRow[]> {
      const bySupplier = "supplierId" in filter;
      const { rows } = await sql.query<RawSettlement>(
        `SELECT ${SETTLEMENT_COLUMNS.split(", ").map((c) => `s.${c}`).join(", ")} FROM "seat_settlements" s
           JOIN "contract_workflows" w ON w."contract_id" = s."contract_id"
          WHERE ${bySupplier ? `w."supplier_id" = $1 AND s."kind" IN ('settled', 'late_cancelled')` : `s."worker_id" = $1 AND s."kind" = 'settled'`}
            AND ($2::timestamptz IS NULL OR (s."settled_at", s."id") < ($2::timestamptz, $3))
          ORDER BY s."settled_at" DESC, s."id" DESC LIMIT $4`,
        [bySupplier ? filter.supplierId : filter.workerId, before === undefined ? null : iso(before.at), before?.id ?? "", limit],
      );
      return rows.map(toSettlement);
    },

    /** Names of organisations, for views. */
    async organisationNames(ids: readonly string[]): Promise<Map<string, string>> {
      if (ids.length === 0) return new Map();
      const { rows } = await sql.query<{ id: string; name: string }>(`SELECT "id", "name" FROM "organisations" WHERE "id" = ANY($1::text[])`, [ids]);
      return new Map(rows.map((r) => [r.id, r.name]));
    },

    // ------------------------------------------------------------ sites

    async site(enterpriseId: string): Promise<SiteRow> {
      const { rows } = await sql.query<{ latitude_e6: number | null; longitude_e6: number | null; radius_m: number | null }>(
        `SELECT "latitude_e6", "longitude_e6", "radius_m" FROM "enterprise_sites" WHERE "enterprise_id" = $1`,
        [enterpriseId],
      );
      const r = rows[0];
      if (r === undefined || r.latitude_e6 === null || r.longitude_e6 === null || r.radius_m === null) return { enterpriseId, fence: null };
      return { enterpriseId, fence: { latitudeE6: r.latitude_e6, longitudeE6: r.longitude_e6, radiusM: r.radius_m } };
    },

    async setSite(site: SiteRow, at: number): Promise<void> {
      await sql.query(
        `INSERT INTO "enterprise_sites" ("enterprise_id", "latitude_e6", "longitude_e6", "radius_m", "updated_at") VALUES ($1, $2, $3, $4, $5::timestamptz)
         ON CONFLICT ("enterprise_id") DO UPDATE SET "latitude_e6" = EXCLUDED."latitude_e6", "longitude_e6" = EXCLUDED."longitude_e6",
           "radius_m" = EXCLUDED."radius_m", "updated_at" = EXCLUDED."updated_at"`,
        [site.enterpriseId, site.fence?.latitudeE6 ?? null, site.fence?.longitudeE6 ?? null, site.fence?.radiusM ?? null, iso(at)],
      );
    },
  };
}
export type ContractsRepository = ReturnType<typeof createContractsRepository>;
