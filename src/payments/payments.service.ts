/**
 * Money in and out through the payment gateway. Every movement is a ledger
 * transfer with an id derived from the business record ("topup:<ref>",
 * "withdrawal:<id>"), so a retried or crashed step repeats harmlessly: the
 * ledger answers `exists`.
 */
import type { AccountInput, AccountSnapshot, CreateAccountsOutcome, CreateTransferResult, CreateTransfersOutcome, TransferInput } from "../ledger";
import { CNY, platformAccountId, platformAccounts, supplierPayableAccount, walletAccount } from "../ledger";
import type { Clock } from "../shared/clock";
import { DomainError, invalidField, notFound } from "../shared/errors";
import { newReference, type NewId } from "../shared/ids";
import { fenToJsonNumber, fenToYuan } from "../shared/money";
import { canReadAll, type Principal } from "../shared/principal";
import type { FundingInstructions, PaymentGateway, PayoutFile } from "./gateway";
import type { PaymentsRepository, PayoutBatchRow, TopUpRow, WithdrawalRow } from "./payments.repository";

/** What payments needs of the ledger writer. */
export interface LedgerPort {
  createAccounts(inputs: AccountInput[]): Promise<CreateAccountsOutcome>;
  createTransfers(batch: TransferInput[]): Promise<CreateTransfersOutcome>;
  lookupAccount(id: string): AccountSnapshot | undefined;
}

export interface PaymentsDeps {
  repo: PaymentsRepository;
  ledger: LedgerPort;
  gateway: PaymentGateway;
  clock: Clock;
  newId: NewId;
  newReference?: () => string;
  /** Top-ups and withdrawals above this are refused (anti-fat-finger), fen. */
  maxAmountFen?: bigint;
}

export type TopUpStatus = "awaiting_transfer" | "confirmed";
export type WithdrawalStatus = "requested" | "paid" | "rejected";

export interface TopUpView {
  reference: string;
  organisationId: string;
  accountId: string;
  requestedFen: number;
  receivedFen: number | null;
  status: TopUpStatus;
  instructions: FundingInstructions;
  createdAt: string;
  confirmedAt: string | null;
}

export interface WithdrawalView {
  id: string;
  organisationId: string;
  accountId: string;
  amountFen: number;
  /** The same in yuan, e.g. "1250.00". */
  amount: string;
  bankAccountName: string;
  bankName: string;
  bankAccountNumber: string;
  status: WithdrawalStatus;
  statusReason: string | null;
  batchId: string | null;
  createdAt: string;
}

export interface PayoutBatchView {
  id: string;
  gateway: string;
  count: number;
  totalFen: number;
  createdAt: string;
  withdrawals: WithdrawalView[];
}

const DEFAULT_MAX_FEN = 100_000_000_00n; // one hundred million yuan

/** Turns a refused ledger result into the client's error. */
function ledgerRefusal(result: CreateTransferResult, field: string): DomainError {
  switch (result) {
    case "exceeds_credits":
      return new DomainError("unprocessable", "the account does not hold enough money (holds included)", { field, result });
    case "debit_account_frozen":
    case "credit_account_frozen":
      return new DomainError("conflict", "the account is frozen", { result });
    case "exists_with_different_fields":
      return new DomainError("conflict", "this movement was already recorded with different values", { result });
    default:
      return new DomainError("conflict", `the ledger refused the movement: ${result}`, { result });
  }
}

export function createPaymentsService(deps: PaymentsDeps) {
  const { repo, ledger, gateway, clock } = deps;
  const reference = deps.newReference ?? (() => newReference("SX"));
  const maxFen = deps.maxAmountFen ?? DEFAULT_MAX_FEN;
  /** Creates whichever of these accounts (and the platform's) do not exist yet; usually none, and then no write. */
  async function ensureAccounts(accounts: AccountInput[]): Promise<void> {
    const missing = [...platformAccounts(CNY), ...accounts].filter((a) => ledger.lookupAccount(a.id) === undefined);
    if (missing.length === 0) return;
    const out = await ledger.createAccounts(missing);
    out.results.forEach((r, i) => {
      if (r !== "ok" && r !== "exists") throw new Error(`ledger account ${missing[i]!.id}: ${r}`);
    });
  }

  function checkAmount(amountFen: bigint, field: string): void {
    if (amountFen <= 0n) throw invalidField(field, "the amount must be more than zero fen");
    if (amountFen > maxFen) throw invalidField(field, `the amount must be at most ${maxFen} fen`);
  }

  function topUpView(t: TopUpRow): TopUpView {
    return {
      reference: t.reference,
      organisationId: t.organisationId,
      accountId: t.accountId,
      requestedFen: fenToJsonNumber(t.requestedFen),
      receivedFen: t.receivedFen === null ? null : fenToJsonNumber(t.receivedFen),
      status: t.status as TopUpStatus,
      instructions: gateway.fundingInstructions(t.reference, t.requestedFen),
      createdAt: t.createdAt.toISOString(),
      confirmedAt: t.confirmedAt?.toISOString() ?? null,
    };
  }

  function withdrawalView(w: WithdrawalRow): WithdrawalView {
    return {
      id: w.id,
      organisationId: w.organisationId,
      accountId: w.accountId,
      amountFen: fenToJsonNumber(w.amountFen),
      amount: fenToYuan(w.amountFen),
      bankAccountName: w.bankAccountName,
      bankName: w.bankName,
      bankAccountNumber: w.bankAccountNumber,
      status: w.status as WithdrawalStatus,
      statusReason: w.statusReason,
      batchId: w.batchId,
      createdAt: w.createdAt.toISOString(),
    };
  }

  function batchView(b: PayoutBatchRow): PayoutBatchView {
    return { id: b.id, gateway: b.gateway, count: b.count, totalFen: fenToJsonNumber(b.totalFen), createdAt: b.createdAt.toISOString(), withdrawals: b.withdrawals.map(withdrawalView) };
  }

  return {
    /** An enterprise asks to fund its wallet: it gets bank-transfer instructions with a unique reference. */
    async requestTopUp(principal: Principal, amountFen: bigint): Promise<TopUpView> {
      if (principal.role !== "enterprise" || !principal.organisationId) throw new DomainError("forbidden", "only an enterprise funds a wallet");
      checkAmount(amountFen, "/body/amountFen");
      const account = walletAccount(principal.organisationId);
      await ensureAccounts([account]);
      for (let attempt = 0; attempt < 5; attempt++) {
        const ref = reference();
        const row = { reference: ref, organisationId: principal.organisationId, accountId: account.id, requestedFen: amountFen, status: "awaiting_transfer", gateway: gateway.name, createdAt: clock.now() };
        if (await repo.insertTopUp(row)) return topUpView((await repo.findTopUp(ref))!);
      }
      throw new Error("could not draw an unused top-up reference");
    },

    async listTopUps(principal: Principal, query: { status?: string; limit?: number }): Promise<TopUpView[]> {
      const rows = await repo.listTopUps({
        limit: query.limit ?? 100,
        ...(query.status ? { status: query.status } : {}),
        ...(canReadAll(principal) ? {} : { organisationId: principal.organisationId ?? "-" }),
      });
      return rows.map(topUpView);
    },

    async getTopUp(principal: Principal, ref: string): Promise<TopUpView> {
      const t = await repo.findTopUp(ref);
      if (!t || (!canReadAll(principal) && t.organisationId !== principal.organisationId)) throw notFound("top-up", ref);
      return topUpView(t);
    },

    /**
     * An operator confirms the bank received a transfer quoting the
     * reference: clearing (the bank account) → wallet, for the amount that
     * actually arrived. Repeating the same confirmation answers the same.
     */
    async confirmTopUp(principal: Principal, ref: string, input: { amountFen: bigint; bankTransactionId: string }): Promise<TopUpView> {
      checkAmount(input.amountFen, "/body/amountFen");
      const t = await repo.findTopUp(ref);
      if (!t) throw notFound("top-up", ref);
      const bound = await repo.bindReceipt(ref, input.bankTransactionId, input.amountFen);
      if (bound === "taken") {
        throw new DomainError("conflict", "this bank transaction already confirmed another top-up", { field: "/body/bankTransactionId" });
      }
      if (bound === "mismatch") {
        throw new DomainError("conflict", "this top-up was confirmed with another bank transaction or amount", { field: "/body/bankTransactionId" });
      }
      await ensureAccounts([walletAccount(t.organisationId)]);
      const transferId = `topup:${ref}`;
      const out = await ledger.createTransfers([
        { id: transferId, debitAccountId: platformAccountId("clearing"), creditAccountId: t.accountId, amount: input.amountFen, ledger: CNY, code: "top_up", userData: ref },
      ]);
      const result = out.results[0]!;
      if (result !== "ok" && result !== "exists") throw ledgerRefusal(result, "/body/amountFen");
      const updated = t.status === "confirmed" ? t : await repo.markTopUpConfirmed(ref, transferId, principal.credentialId, clock.now());
      return topUpView(updated);
    },

    /** A supplier (or an enterprise, from its wallet) asks to be paid out: the amount is held at once. */
    async requestWithdrawal(principal: Principal, input: { amountFen: bigint; bankAccountName: string; bankName: string; bankAccountNumber: string }): Promise<WithdrawalView> {
      const orgId = principal.organisationId;
      if (!orgId || (principal.role !== "agency" && principal.role !== "enterprise")) {
        throw new DomainError("forbidden", "only an organisation withdraws its own money");
      }
      checkAmount(input.amountFen, "/body/amountFen");
      if (!/^[0-9 -]{8,34}$/.test(input.bankAccountNumber)) throw invalidField("/body/bankAccountNumber", "a bank account number is 8 to 34 digits");
      const account = principal.role === "agency" ? supplierPayableAccount(orgId) : walletAccount(orgId);
      await ensureAccounts([account]);
      const id = deps.newId("wdr");
      const holdId = `withdrawal:${id}`;
      // The request is recorded before the hold, so a crash leaves a request without money moved, never money held without a request.
      const row = await repo.insertWithdrawal({
        id, organisationId: orgId, accountId: account.id, amountFen: input.amountFen,
        bankAccountName: input.bankAccountName.trim(), bankName: input.bankName.trim(), bankAccountNumber: input.bankAccountNumber.replace(/[ -]/g, ""),
        status: "requested", holdTransferId: holdId, createdAt: clock.now(), updatedAt: clock.now(),
      });
      const out = await ledger.createTransfers([
        { id: holdId, kind: "pending", debitAccountId: account.id, creditAccountId: platformAccountId("clearing"), amount: input.amountFen, ledger: CNY, code: "withdrawal", userData: id },
      ]);
      const result = out.results[0]!;
      if (result !== "ok" && result !== "exists") {
        await repo.deleteWithdrawal(id);
        throw ledgerRefusal(result, "/body/amountFen");
      }
      return withdrawalView(row);
    },

    async listWithdrawals(principal: Principal, query: { status?: string; limit?: number }): Promise<WithdrawalView[]> {
      const rows = await repo.listWithdrawals({
        limit: query.limit ?? 100,
        ...(query.status ? { status: query.status } : {}),
        ...(canReadAll(principal) ? {} : { organisationId: principal.organisationId ?? "-" }),
      });
      return rows.map(withdrawalView);
    },

    /** An operator refuses a withdrawal: the hold is voided and the money is free again. */
    async rejectWithdrawal(id: string, reason: string): Promise<WithdrawalView> {
      const w = await repo.findWithdrawal(id);
      if (!w) throw notFound("withdrawal", id);
      if (w.status === "rejected") return withdrawalView(w);
      if (w.status !== "requested") throw new DomainError("conflict", `a ${w.status} withdrawal cannot be rejected`);
      const out = await ledger.createTransfers([{ id: `withdrawal-void:${id}`, kind: "void", pendingId: w.holdTransferId }]);
      const result = out.results[0]!;
      if (result !== "ok" && result !== "exists" && result !== "pending_transfer_not_found" && result !== "pending_transfer_already_voided" && result !== "pending_transfer_expired") {
        throw ledgerRefusal(result, "/params/id");
      }
      return withdrawalView(await repo.setWithdrawalStatus(id, "rejected", reason, clock.now()));
    },

    /**
     * An operator pays out requested withdrawals (the listed ones, or all):
     * each hold is posted (money leaves through clearing), the batch is
     * recorded, and the gateway's payout file can be downloaded.
     */
    async createPayoutBatch(principal: Principal, withdrawalIds: string[] | undefined): Promise<PayoutBatchView> {
      const rows = await repo.listWithdrawals({ status: "requested", limit: 10_000, ...(withdrawalIds ? { ids: withdrawalIds } : {}) });
      if (withdrawalIds) {
        const found = new Set(rows.map((r) => r.id));
        const missing = withdrawalIds.findIndex((id) => !found.has(id));
        if (missing >= 0) throw invalidField(`/body/withdrawalIds/${missing}`, `withdrawal ${withdrawalIds[missing]} is not awaiting payment`);
      }
      if (rows.length === 0) throw new DomainError("unprocessable", "no withdrawal is awaiting payment");
      const out = await ledger.createTransfers(rows.map((w) => ({ id: `withdrawal-paid:${w.id}`, kind: "post" as const, pendingId: w.holdTransferId, amount: null })));
      const paid: WithdrawalRow[] = [];
      out.results.forEach((r, i) => {
        if (r === "ok" || r === "exists") paid.push(rows[i]!);
      });
      if (paid.length === 0) throw new DomainError("conflict", `no withdrawal could be paid: ${out.results.join(", ")}`);
      const total = paid.reduce((s, w) => s + w.amountFen, 0n);
      const batch = await repo.insertBatch({ id: deps.newId("pay"), gateway: gateway.name, createdBy: principal.credentialId, createdAt: clock.now() }, paid.map((w) => w.id), total);
      return batchView(batch);
    },

    async getPayoutBatch(id: string): Promise<PayoutBatchView> {
      const b = await repo.findBatch(id);
      if (!b) throw notFound("payout batch", id);
      return batchView(b);
    },

    async payoutFile(id: string): Promise<PayoutFile> {
      const b = await repo.findBatch(id);
      if (!b) throw notFound("payout batch", id);
      return gateway.payoutFile(b.id, b.createdAt, b.withdrawals.map((w) => ({
        withdrawalId: w.id, organisationId: w.organisationId, amountFen: w.amountFen,
        bankAccountName: w.bankAccountName, bankName: w.bankName, bankAccountNumber: w.bankAccountNumber,
      })));
    },
  };
}
export type PaymentsService = ReturnType<typeof createPaymentsService>;
