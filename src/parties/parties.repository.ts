/** Persistence of organisations, licences, API keys and workers (Prisma). */
import type { PrismaClient } from "../generated/prisma/client";
import { Prisma } from "../generated/prisma/client";
import { DomainError } from "../shared/errors";

/** Maps a unique-constraint violation to a 409 naming the field; rethrows anything else. */
export function rethrowUnique(err: unknown, fields: Record<string, { field: string; message: string }>): never {
  if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") {
    const text = `${JSON.stringify(err.meta ?? {})} ${err.message}`;
    for (const [column, info] of Object.entries(fields)) {
      if (text.includes(column)) throw new DomainError("duplicate", info.message, { field: info.field });
    }
    throw new DomainError("duplicate", "a record with these values already exists");
  }
  throw err;
}

const orgInclude = { licences: { orderBy: { createdAt: "asc" } } } as const satisfies Prisma.OrganisationInclude;
const workerInclude = { skills: { orderBy: { skillId: "asc" } } } as const satisfies Prisma.WorkerInclude;

export type OrganisationRow = Prisma.OrganisationGetPayload<{ include: typeof orgInclude }>;
export type LicenceRow = Prisma.LicenceGetPayload<object>;
export type WorkerRow = Prisma.WorkerGetPayload<{ include: typeof workerInclude }>;

export function createPartiesRepository(prisma: PrismaClient) {
  return {
    async insertOrganisation(data: Prisma.OrganisationUncheckedCreateInput): Promise<OrganisationRow> {
      try {
        return await prisma.organisation.create({ data, include: orgInclude });
      } catch (err) {
        rethrowUnique(err, {
          credit_code: { field: "/body/creditCode", message: "an organisation with this unified social credit code is already registered" },
          creditCode: { field: "/body/creditCode", message: "an organisation with this unified social credit code is already registered" },
        });
      }
    },
    findOrganisation(id: string): Promise<OrganisationRow | null> {
      return prisma.organisation.findUnique({ where: { id }, include: orgInclude });
    },
    findOrganisationByCreditCode(creditCode: string): Promise<OrganisationRow | null> {
      return prisma.organisation.findUnique({ where: { creditCode }, include: orgInclude });
    },
    listOrganisations(filter: { kind?: "enterprise" | "agency"; after?: string; limit: number }): Promise<OrganisationRow[]> {
      return prisma.organisation.findMany({
        where: { ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.after ? { id: { gt: filter.after } } : {}) },
        orderBy: { id: "asc" },
        take: filter.limit,
        include: orgInclude,
      });
    },
    updateOrganisation(id: string, data: Prisma.OrganisationUncheckedUpdateInput): Promise<OrganisationRow> {
      return prisma.organisation.update({ where: { id }, data, include: orgInclude });
    },

    async insertLicence(data: Prisma.LicenceUncheckedCreateInput): Promise<LicenceRow> {
      try {
        return await prisma.licence.create({ data });
      } catch (err) {
        rethrowUnique(err, { number: { field: "/body/number", message: "a licence with this number is already registered" } });
      }
    },
    findLicence(id: string): Promise<LicenceRow | null> {
      return prisma.licence.findUnique({ where: { id } });
    },
    updateLicence(id: string, data: Prisma.LicenceUncheckedUpdateInput): Promise<LicenceRow> {
      return prisma.licence.update({ where: { id }, data });
    },
    /** Marks every licence whose last valid day is before `today` as expired; returns how many. */
    async expireLicences(today: Date): Promise<number> {
      const r = await prisma.licence.updateMany({
        where: { validUntil: { lt: today }, status: { in: ["pending", "valid"] } },
        data: { status: "expired", statusReason: "validity period ended", updatedAt: new Date() },
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
    ): Promise<WorkerRow> {
      try {
        return await prisma.worker.create({
          data: { ...data, skills: { create: skills.map((s) => ({ skillId: s.skillId, level: s.level })) } },
          include: workerInclude,
        });
      } catch (err) {
        rethrowUnique(err, {
          identity_hash: { field: "/body/residentId", message: "this person is already registered as a worker on Shiftex" },
          identityHash: { field: "/body/residentId", message: "this person is already registered as a worker on Shiftex" },
          phone: { field: "/body/phone", message: "this phone number already belongs to a worker" },
        });
      }
    },
    findWorker(id: string): Promise<WorkerRow | null> {
      return prisma.worker.findUnique({ where: { id }, include: workerInclude });
    },
    findWorkerByPhone(phone: string) {
      return prisma.worker.findUnique({ where: { phone } });
    },
    listWorkers(filter: { supplierId?: string | null; after?: string; limit: number }): Promise<WorkerRow[]> {
      return prisma.worker.findMany({
        where: {
          ...(filter.supplierId !== undefined ? { supplierId: filter.supplierId } : {}),
          ...(filter.after ? { id: { gt: filter.after } } : {}),
        },
        orderBy: { id: "asc" },
        take: filter.limit,
        include: workerInclude,
      });
    },
    async updateWorker(
      id: string,
      data: Prisma.WorkerUncheckedUpdateInput,
      skills: readonly { skillId: string; level: number }[] | undefined,
    ): Promise<WorkerRow> {
      try {
        return await prisma.$transaction(async (tx) => {
          if (skills) {
            await tx.workerSkill.deleteMany({ where: { workerId: id } });
            await tx.workerSkill.createMany({ data: skills.map((s) => ({ workerId: id, skillId: s.skillId, level: s.level })) });
          }
          return tx.worker.update({ where: { id }, data, include: workerInclude });
        });
      } catch (err) {
        rethrowUnique(err, { phone: { field: "/body/phone", message: "this phone number already belongs to a worker" } });
      }
    },

    insertOtpChallenge(data: Prisma.OtpChallengeUncheckedCreateInput) {
      return prisma.otpChallenge.create({ data });
    },
    latestOpenChallenge(phone: string, now: Date) {
      return prisma.otpChallenge.findFirst({
        where: { phone, consumedAt: null, expiresAt: { gt: now } },
        orderBy: { createdAt: "desc" },
      });
    },
    /** Counts a failed attempt; returns the new count. */
    async countAttempt(id: string): Promise<number> {
      const r = await prisma.otpChallenge.update({ where: { id }, data: { attempts: { increment: 1 } } });
      return r.attempts;
    },
    /** Consumes a challenge once: false if another request consumed it first. */
    async consumeChallenge(id: string, now: Date): Promise<boolean> {
      const r = await prisma.otpChallenge.updateMany({ where: { id, consumedAt: null }, data: { consumedAt: now } });
      return r.count === 1;
    },
    insertSession(data: Prisma.WorkerSessionUncheckedCreateInput) {
      return prisma.workerSession.create({ data });
    },
    findSessionByHash(tokenHash: string) {
      return prisma.workerSession.findUnique({ where: { tokenHash } });
    },
    deleteSessionByHash(tokenHash: string) {
      return prisma.workerSession.deleteMany({ where: { tokenHash } });
    },
  };
}
export type PartiesRepository = ReturnType<typeof createPartiesRepository>;
