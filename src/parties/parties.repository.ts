/**
 * Persistence of organisations, licences, API keys, workers and credentials
 * (Prisma). Writes that can collide return an outcome naming the conflict;
 * the service turns outcomes into DomainErrors.
 */
import type { PrismaClient } from "../generated/prisma/client";
import { Prisma } from "../generated/prisma/client";
import { isUniqueViolation } from "../infra/unique-violation";

const orgInclude = { licences: { orderBy: { createdAt: "asc" } } } as const satisfies Prisma.OrganisationInclude;

/** Skills, and the open phone change (if any) as of `now`. */
function workerInclude(now: Date) {
  return {
    skills: { orderBy: { skillId: "asc" } },
    challenges: {
      where: { purpose: "phone_change", consumedAt: null, expiresAt: { gt: now } },
      orderBy: { createdAt: "desc" },
      take: 1,
      select: { phone: true, expiresAt: true },
    },
  } as const satisfies Prisma.WorkerInclude;
}

export type OrganisationRow = Prisma.OrganisationGetPayload<{ include: typeof orgInclude }>;
export type LicenceRow = Prisma.LicenceGetPayload<object>;
export type WorkerRow = Prisma.WorkerGetPayload<{ include: ReturnType<typeof workerInclude> }>;
export type OrganisationChangeRow = Prisma.OrganisationChangeGetPayload<object>;

/** A write that succeeded, or the unique field it collided on. */
export type Written<T, C extends string> = { ok: true; row: T } | { ok: false; conflict: C };

/** A one-time code whose check this request may make (the attempt is already counted). */
export interface ClaimedChallenge {
  id: string;
  codeHash: string;
  phone: string;
  attempts: number;
}

/** The lock state of a phone after a failed check. */
export interface LockoutState {
  failures: number;
  lockLevel: number;
  lockedUntil: Date | null;
}

/** Rows the retention purge deleted. */
export interface PurgeCounts {
  otpChallenges: number;
  sessions: number;
  lockouts: number;
}

const PURGE_CHUNK = 5000;

export function createPartiesRepository(prisma: PrismaClient) {
  /** Deletes in chunks so a large backlog never holds long locks; returns how many rows went. */
  async function deleteInChunks(run: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await run();
      total += n;
      if (n < PURGE_CHUNK) return total;
    }
  }

  return {
    async insertOrganisation(data: Prisma.OrganisationUncheckedCreateInput): Promise<Written<OrganisationRow, "creditCode">> {
      try {
        return { ok: true, row: await prisma.organisation.create({ data, include: orgInclude }) };
      } catch (err) {
        if (isUniqueViolation(err, "creditCode")) return { ok: false, conflict: "creditCode" };
        throw err;
      }
    },
    findOrganisation(id: string): Promise<OrganisationRow | null> {
      return prisma.organisation.findUnique({ where: { id }, include: orgInclude });
    },
    findOrganisationByCreditCode(creditCode: string): Promise<OrganisationRow | null> {
      return prisma.organisation.findUnique({ where: { creditCode }, include: orgInclude });
    },
    /** One page in id order: `limit + 1` rows, the extra one only says that another page exists. */
    listOrganisations(filter: { kind?: "enterprise" | "agency"; afterId?: string; limit: number }): Promise<OrganisationRow[]> {
      return prisma.organisation.findMany({
        where: { ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.afterId ? { id: { gt: filter.afterId } } : {}) },
        orderBy: { id: "asc" },
        take: filter.limit + 1,
        include: orgInclude,
      });
    },
    /** Changes an organisation and records each changed field in the audit trail, in one transaction. */
    updateOrganisation(
      id: string,
      data: Prisma.OrganisationUncheckedUpdateInput,
      changes: readonly Omit<Prisma.OrganisationChangeUncheckedCreateInput, "organisationId">[],
    ): Promise<OrganisationRow> {
      return prisma.$transaction(async (tx) => {
        if (changes.length > 0) await tx.organisationChange.createMany({ data: changes.map((c) => ({ ...c, organisationId: id })) });
        return tx.organisation.update({ where: { id }, data, include: orgInclude });
      });
    },
    listOrganisationChanges(organisationId: string, filter: { afterId?: string; limit: number }): Promise<OrganisationChangeRow[]> {
      return prisma.organisationChange.findMany({
        where: { organisationId, ...(filter.afterId ? { id: { gt: filter.afterId } } : {}) },
        orderBy: { id: "asc" },
        take: filter.limit + 1,
      });
    },

    async insertLicence(data: Prisma.LicenceUncheckedCreateInput): Promise<Written<LicenceRow, "number">> {
      try {
        return { ok: true, row: await prisma.licence.create({ data }) };
      } catch (err) {
        if (isUniqueViolation(err, "number")) return { ok: false, conflict: "number" };
        throw err;
      }
    },
    findLicence(id: string): Promise<LicenceRow | null> {
      return prisma.licence.findUnique({ where: { id } });
    },
    updateLicence(id: string, data: Prisma.LicenceUncheckedUpdateInput): Promise<LicenceRow> {
      return prisma.licence.update({ where: { id }, data });
    },
    /** Marks every licence whose last valid day is before `today` as expired; returns how many. */
    async expireLicences(today: Date, now: Date): Promise<number> {
      const r = await prisma.licence.updateMany({
        where: { validUntil: { lt: today }, status: { in: ["pending", "valid"] } },
        data: { status: "expired", statusReason: "validity period ended", updatedAt: now },
      });
      return r.count;
    },

    insertApiKey(data: Prisma.ApiKeyUncheckedCreateInput) {
      return prisma.apiKey.create({ data });
    },
    findApiKeyByHash(keyHash: string) {
      return prisma.apiKey.findUnique({ where: { keyHash } });
    },

    async insertWorker(
      data: Prisma.WorkerUncheckedCreateInput,
      skills: readonly { skillId: string; level: number }[],
      now: Date,
    ): Promise<Written<WorkerRow, "identity" | "phone">> {
      try {
        const row = await prisma.worker.create({
          data: { ...data, skills: { create: skills.map((s) => ({ skillId: s.skillId, level: s.level })) } },
          include: workerInclude(now),
        });
        return { ok: true, row };
      } catch (err) {
        if (isUniqueViolation(err, "identityHash")) return { ok: false, conflict: "identity" };
        if (isUniqueViolation(err, "phone")) return { ok: false, conflict: "phone" };
        throw err;
      }
    },
    findWorker(id: string, now: Date): Promise<WorkerRow | null> {
      return prisma.worker.findUnique({ where: { id }, include: workerInclude(now) });
    },
    findWorkerByPhone(phone: string) {
      return prisma.worker.findUnique({ where: { phone } });
    },
    /** One page in id order: `limit + 1` rows. */
    listWorkers(filter: { supplierId?: string | null; afterId?: string; limit: number }, now: Date): Promise<WorkerRow[]> {
      return prisma.worker.findMany({
        where: {
          ...(filter.supplierId !== undefined ? { supplierId: filter.supplierId } : {}),
          ...(filter.afterId ? { id: { gt: filter.afterId } } : {}),
        },
        orderBy: { id: "asc" },
        take: filter.limit + 1,
        include: workerInclude(now),
      });
    },
    /** Changes a worker's district, skills or key groups (never the phone: see confirmPhoneChange). */
    updateWorker(
      id: string,
      data: Pick<Prisma.WorkerUncheckedUpdateInput, "districtCode" | "keyGroups" | "updatedAt">,
      skills: readonly { skillId: string; level: number }[] | undefined,
      now: Date,
    ): Promise<WorkerRow> {
      return prisma.$transaction(async (tx) => {
        if (skills) {
          await tx.workerSkill.deleteMany({ where: { workerId: id } });
          await tx.workerSkill.createMany({ data: skills.map((s) => ({ workerId: id, skillId: s.skillId, level: s.level })) });
        }
        return tx.worker.update({ where: { id }, data, include: workerInclude(now) });
      });
    },

    insertOtpChallenge(data: Prisma.OtpChallengeUncheckedCreateInput) {
      return prisma.otpChallenge.create({ data });
    },
    /** Records a pending phone change; it replaces any earlier one of the worker that is still open. */
    insertPhoneChange(data: Omit<Prisma.OtpChallengeUncheckedCreateInput, "purpose"> & { workerId: string }) {
      return prisma.$transaction(async (tx) => {
        await tx.otpChallenge.deleteMany({ where: { workerId: data.workerId, purpose: "phone_change", consumedAt: null } });
        return tx.otpChallenge.create({ data: { ...data, purpose: "phone_change" } });
      });
    },

    /**
     * Counts an attempt on the phone's newest open login code and returns it
     * only while it had fewer than `cap` attempts: one statement, so parallel
     * guesses cannot all pass a check made before the count (the row lock
     * makes each UPDATE re-check `attempts < cap` against the latest count).
     */
    async claimLoginAttempt(phone: string, now: Date, cap: number): Promise<ClaimedChallenge | null> {
      const rows = await prisma.$queryRaw<ClaimedChallenge[]>`
        UPDATE "otp_challenges" SET "attempts" = "attempts" + 1
        WHERE "id" = (
          SELECT "id" FROM "otp_challenges"
          WHERE "phone" = ${phone} AND "purpose" = 'login' AND "consumed_at" IS NULL AND "expires_at" > ${now}
          ORDER BY "created_at" DESC, "id" DESC LIMIT 1
        ) AND "attempts" < ${cap} AND "consumed_at" IS NULL
        RETURNING "id", "code_hash" AS "codeHash", "phone", "attempts"`;
      return rows[0] ?? null;
    },
    /** The same counted claim for the worker's open phone change (`phone` is the new phone). */
    async claimPhoneChangeAttempt(workerId: string, now: Date, cap: number): Promise<ClaimedChallenge | null> {
      const rows = await prisma.$queryRaw<ClaimedChallenge[]>`
        UPDATE "otp_challenges" SET "attempts" = "attempts" + 1
        WHERE "id" = (
          SELECT "id" FROM "otp_challenges"
          WHERE "worker_id" = ${workerId} AND "purpose" = 'phone_change' AND "consumed_at" IS NULL AND "expires_at" > ${now}
          ORDER BY "created_at" DESC, "id" DESC LIMIT 1
        ) AND "attempts" < ${cap} AND "consumed_at" IS NULL
        RETURNING "id", "code_hash" AS "codeHash", "phone", "attempts"`;
      return rows[0] ?? null;
    },
    async deleteChallenge(id: string): Promise<void> {
      await prisma.otpChallenge.deleteMany({ where: { id } });
    },
    /** Consumes a challenge once: false if another request consumed it first. */
    async consumeChallenge(id: string, now: Date): Promise<boolean> {
      const r = await prisma.otpChallenge.updateMany({ where: { id, consumedAt: null }, data: { consumedAt: now } });
      return r.count === 1;
    },

    /** When the phone is locked, until when; null when it is not. */
    async lockedUntil(phone: string, now: Date): Promise<Date | null> {
      const row = await prisma.loginLockout.findUnique({ where: { phone }, select: { lockedUntil: true } });
      return row?.lockedUntil && row.lockedUntil > now ? row.lockedUntil : null;
    },
    /**
     * Counts a failed check of a phone in one statement. The `threshold`-th
     * failure locks the phone for base × 2^level seconds (at most max) and
     * raises the level; failures while locked are not counted.
     */
    async recordLoginFailure(phone: string, now: Date, p: { threshold: number; baseSeconds: number; maxSeconds: number }): Promise<LockoutState> {
      const rows = await prisma.$queryRaw<LockoutState[]>`
        INSERT INTO "login_lockouts" AS l ("phone", "failures", "lock_level", "locked_until", "updated_at")
        VALUES (${phone}, 1, 0, NULL, ${now})
        ON CONFLICT ("phone") DO UPDATE SET
          "failures" = CASE WHEN l."locked_until" > ${now} THEN l."failures"
                            WHEN l."failures" + 1 >= ${p.threshold}::int THEN 0
                            ELSE l."failures" + 1 END,
          "lock_level" = CASE WHEN l."locked_until" > ${now} THEN l."lock_level"
                              WHEN l."failures" + 1 >= ${p.threshold}::int THEN l."lock_level" + 1
                              ELSE l."lock_level" END,
          "locked_until" = CASE WHEN l."locked_until" > ${now} THEN l."locked_until"
                                WHEN l."failures" + 1 >= ${p.threshold}::int
                                  THEN ${now}::timestamptz + LEAST(${p.baseSeconds}::float8 * power(2, l."lock_level"), ${p.maxSeconds}::float8) * interval '1 second'
                                ELSE l."locked_until" END,
          "updated_at" = ${now}
        RETURNING "failures", "lock_level" AS "lockLevel", "locked_until" AS "lockedUntil"`;
      return rows[0]!;
    },
    /** A right code clears the phone's failures and lock level. */
    async clearLoginFailures(phone: string): Promise<void> {
      await prisma.loginLockout.deleteMany({ where: { phone } });
    },

    /**
     * Opens a session only while the worker still has `phone`. FOR SHARE waits
     * for a phone change in flight: a login with the old phone cannot slip a
     * session in after the change ended the worker's sessions.
     */
    async insertSessionForPhone(data: { id: string; tokenHash: string; workerId: string; phone: string; expiresAt: Date; createdAt: Date }): Promise<boolean> {
      const n = await prisma.$executeRaw`
        INSERT INTO "worker_sessions" ("id", "token_hash", "worker_id", "expires_at", "created_at")
        SELECT ${data.id}, ${data.tokenHash}, "id", ${data.expiresAt}, ${data.createdAt}
        FROM "workers" WHERE "id" = ${data.workerId} AND "phone" = ${data.phone}
        FOR SHARE`;
      return n === 1;
    },
    findSessionByHash(tokenHash: string) {
      return prisma.workerSession.findUnique({ where: { tokenHash } });
    },
    deleteSessionByHash(tokenHash: string) {
      return prisma.workerSession.deleteMany({ where: { tokenHash } });
    },

    /**
     * Applies a confirmed phone change: consumes the challenge, moves the
     * worker to the new phone and ends every session of the worker, all in
     * one transaction (nothing changes when any step fails).
     */
    async confirmPhoneChange(input: { challengeId: string; workerId: string; phone: string; now: Date }): Promise<
      { ok: true; row: WorkerRow; sessionsEnded: number } | { ok: false; conflict: "phone" | "consumed" }
    > {
      try {
        return await prisma.$transaction(async (tx) => {
          const consumed = await tx.otpChallenge.updateMany({ where: { id: input.challengeId, consumedAt: null }, data: { consumedAt: input.now } });
          if (consumed.count !== 1) return { ok: false as const, conflict: "consumed" as const };
          const row = await tx.worker.update({
            where: { id: input.workerId },
            data: { phone: input.phone, updatedAt: input.now },
            include: workerInclude(input.now),
          });
          const ended = await tx.workerSession.deleteMany({ where: { workerId: input.workerId } });
          return { ok: true as const, row, sessionsEnded: ended.count };
        });
      } catch (err) {
        if (isUniqueViolation(err, "phone")) return { ok: false, conflict: "phone" };
        throw err;
      }
    },

    /**
     * Deletes one-time-code challenges expired before `challengesBefore`,
     * sessions expired before `sessionsBefore`, and lock records with no
     * failure since `lockoutsBefore` whose lock has run out.
     */
    async purgeExpired(cut: { now: Date; challengesBefore: Date; sessionsBefore: Date; lockoutsBefore: Date }): Promise<PurgeCounts> {
      const otpChallenges = await deleteInChunks(() => prisma.$executeRaw`
        DELETE FROM "otp_challenges" WHERE "id" IN (
          SELECT "id" FROM "otp_challenges" WHERE "expires_at" < ${cut.challengesBefore} LIMIT ${PURGE_CHUNK})`);
      const sessions = await deleteInChunks(() => prisma.$executeRaw`
        DELETE FROM "worker_sessions" WHERE "id" IN (
          SELECT "id" FROM "worker_sessions" WHERE "expires_at" < ${cut.sessionsBefore} LIMIT ${PURGE_CHUNK})`);
      const lockouts = await deleteInChunks(() => prisma.$executeRaw`
        DELETE FROM "login_lockouts" WHERE "phone" IN (
          SELECT "phone" FROM "login_lockouts"
          WHERE "updated_at" < ${cut.lockoutsBefore} AND ("locked_until" IS NULL OR "locked_until" <= ${cut.now}) LIMIT ${PURGE_CHUNK})`);
      return { otpChallenges, sessions, lockouts };
    },
  };
}
export type PartiesRepository = ReturnType<typeof createPartiesRepository>;
