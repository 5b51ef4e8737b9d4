/** Persistence of top-ups, withdrawals and payout batches (Prisma). */
import type { PrismaClient } from "../generated/prisma/client";
import { Prisma } from "../generated/prisma/client";

export type TopUpRow = Prisma.TopUpGetPayload<object>;
export type WithdrawalRow = Prisma.WithdrawalGetPayload<object>;
export type PayoutBatchRow = Prisma.PayoutBatchGetPayload<{ include: { withdrawals: true } }>;

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002";
}

export function createPaymentsRepository(prisma: PrismaClient) {
  return {
    /** Inserts a top-up; false when the reference is taken (the caller draws another). */
    async insertTopUp(data: Prisma.TopUpUncheckedCreateInput): Promise<boolean> {
      try {
        await prisma.topUp.create({ data });
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },
    findTopUp(reference: string): Promise<TopUpRow | null> {
      return prisma.topUp.findUnique({ where: { reference } });
    },
    listTopUps(filter: { organisationId?: string; status?: string; limit: number }): Promise<TopUpRow[]> {
      return prisma.topUp.findMany({
        where: { ...(filter.organisationId ? { organisationId: filter.organisationId } : {}), ...(filter.status ? { status: filter.status } : {}) },
        orderBy: { createdAt: "desc" },
        take: filter.limit,
      });
    },
    /**
     * Binds the bank transaction and amount to an unconfirmed top-up, before
     * any money moves. Returns "bound" (or already bound to the same values),
     * "mismatch" (bound to other values) or "taken" (the bank transaction
     * already confirmed another top-up).
     */
    async bindReceipt(reference: string, bankTransactionId: string, receivedFen: bigint): Promise<"bound" | "mismatch" | "taken"> {
      try {
        const r = await prisma.topUp.updateMany({
          where: { reference, status: "awaiting_transfer", bankTransactionId: null },
          data: { bankTransactionId, receivedFen },
        });
        if (r.count === 1) return "bound";
      } catch (err) {
        if (isUniqueViolation(err)) return "taken";
        throw err;
      }
      const row = await prisma.topUp.findUnique({ where: { reference } });
      return row && row.bankTransactionId === bankTransactionId && row.receivedFen === receivedFen ? "bound" : "mismatch";
    },
    markTopUpConfirmed(reference: string, transferId: string, by: string, at: Date): Promise<TopUpRow> {
      return prisma.topUp.update({ where: { reference }, data: { status: "confirmed", transferId, confirmedBy: by, confirmedAt: at } });
    },

    insertWithdrawal(data: Prisma.WithdrawalUncheckedCreateInput): Promise<WithdrawalRow> {
      return prisma.withdrawal.create({ data });
    },
    deleteWithdrawal(id: string): Promise<unknown> {
      return prisma.withdrawal.deleteMany({ where: { id, status: "requested" } });
    },
    findWithdrawal(id: string): Promise<WithdrawalRow | null> {
      return prisma.withdrawal.findUnique({ where: { id } });
    },
    listWithdrawals(filter: { organisationId?: string; status?: string; ids?: string[]; limit: number }): Promise<WithdrawalRow[]> {
      return prisma.withdrawal.findMany({
        where: {
          ...(filter.organisationId ? { organisationId: filter.organisationId } : {}),
          ...(filter.status ? { status: filter.status } : {}),
          ...(filter.ids ? { id: { in: filter.ids } } : {}),
        },
        orderBy: { createdAt: "asc" },
        take: filter.limit,
      });
    },
    setWithdrawalStatus(id: string, status: "rejected", reason: string, at: Date): Promise<WithdrawalRow> {
      return prisma.withdrawal.update({ where: { id }, data: { status, statusReason: reason, updatedAt: at } });
    },
    /** Records a batch and marks its withdrawals paid, in one transaction. */
    async insertBatch(batch: { id: string; gateway: string; createdBy: string; createdAt: Date }, withdrawalIds: string[], totalFen: bigint): Promise<PayoutBatchRow> {
      return prisma.$transaction(async (tx) => {
        await tx.payoutBatch.create({ data: { ...batch, count: withdrawalIds.length, totalFen } });
        const r = await tx.withdrawal.updateMany({ where: { id: { in: withdrawalIds }, status: "requested" }, data: { status: "paid", batchId: batch.id, updatedAt: batch.createdAt } });
        if (r.count !== withdrawalIds.length) throw new Error(`payout batch ${batch.id}: ${withdrawalIds.length - r.count} withdrawal(s) changed meanwhile`);
        return tx.payoutBatch.findUniqueOrThrow({ where: { id: batch.id }, include: { withdrawals: { orderBy: { createdAt: "asc" } } } });
      });
    },
    findBatch(id: string): Promise<PayoutBatchRow | null> {
      return prisma.payoutBatch.findUnique({ where: { id }, include: { withdrawals: { orderBy: { createdAt: "asc" } } } });
    },
  };
}
export type PaymentsRepository = ReturnType<typeof createPaymentsRepository>;
