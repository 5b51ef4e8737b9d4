/**
 * Money in and out through the payment gateway: authorisation, ownership,
 * rules and views. Every movement is a ledger transfer whose id derives from
 * the row the request created ("topup:<ref>", "withdrawal:<id>",
 * "withdrawal-void:<id>", "withdrawal-paid:<id>"), so repeating a step
 * repeats harmlessly: the ledger answers `exists`.
 *
 * Each flow that writes to the ledger and to its own rows writes in one
 * order: (1) its rows in a passing state (confirming, holding, rejecting,
 * paying), recording the operation on the request's claim in the same
 * transaction; (2) the ledger; (3) the rows' final state. A failure after (1)
 * leaves the passing state, which the retry of the request or the sweeper
 * completes (`operations`): it repeats (2), which now answers ok or exists,
 * and writes (3); or, when the ledger refuses, undoes (1). So rows and ledger
 * end as a consistent pair whatever fails in between, and an unknown ledger
 * outcome is never taken for "nothing happened".
 */
import type { AccountInput, AccountSnapshot, CreateAccountsOutcome, CreateTransfersOutcome, TransferInput } from "../ledger";
import {
  CNY,
  acceptTransfer,
  accountStands,
  ledgerRefusal,
  platformAccountId,
  platformAccounts,
  supplierPayableAccount,
  transferStands,
  walletAccount,
  workerPayableAccount,
} from "../ledger";
import { claimLost, type Claim, type Recover } from "../shared/claim";
import type { Clock } from "../shared/clock";
import { decodeCursor, pageOf, type Page } from "../shared/cursor";
import { DomainError, invalidField, notFound } from "../shared/errors";
import { newReference, type NewId } from "../shared/ids";
import { fenToJsonNumber, fenToYuan } from "../shared/money";
import { canReadAll, type Principal } from "../shared/principal";
import type { FundingInstructions, PaymentGateway, PayoutFile } from "./gateway";
import type { PaymentsRepository, PayoutBatchRow, TopUpRow, TopUpStatus, WithdrawalRow, WithdrawalStatus } from "./payments.repository";
import { BANK_ACCOUNT_NUMBER_PATTERN, MAX_PAYOUT_BATCH } from "./payments.schemas";

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
  /** Top-ups and withdrawals above this are refused (a guard against a slipped digit), fen. */
  maxAmountFen: bigint;
  /** Most transfers per ledger call when a batch is posted (below the writer's per-call limit). */
  ledgerChunk?: number;
  /** The gateway an organisation pays through; bank-transfer top-ups are for the offline one. Default: offline for all. */
  gatewayOf?: (organisationId: string) => Promise<"offline" | "stripe">;
}

/** Names of the operations payments records on claims (see src/http/idempotency.ts). */
export const PAYMENT_OPERATIONS = {
  topUpRequest: "payments.top_up.request",
  topUpConfirm: "payments.top_up.confirm",
  withdrawalRequest: "payments.withdrawal.request",
  withdrawalReject: "payments.withdrawal.reject",
  payoutBatch: "payments.payout_batch.create",
} as const;

export type { TopUpStatus, WithdrawalStatus } from "./payments.repository";

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
  /** The payee: an organisation, or an independent worker (workerId); the other is null. */
  organisationId: string | null;
  workerId: string | null;
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
  status: "posting" | "posted";
  gateway: string;
  count: number;
  totalFen: number;
  createdAt: string;
  withdrawals: WithdrawalView[];
}

const REFERENCE_BODY = /^SX([0-9A-Z]{8})$/;

/**
 * The canonical form of a top-up reference as a person may type it: any
 * case, with or without spaces and dashes, O for 0 and I or L for 1 (the
 * references never use O, I or L, so the reading is unambiguous).
 */
export function normaliseReference(input: string): string {
  const compact = input.toUpperCase().replace(/[\s\-_]/g, "");
  const m = REFERENCE_BODY.exec(compact);
  if (!m) return compact;
  const body = m[1]!.replace(/O/g, "0").replace(/[IL]/g, "1");
  return `SX-${body.slice(0, 4)}-${body.slice(4)}`;
}

const BANK_ACCOUNT_NUMBER = new RegExp(BANK_ACCOUNT_NUMBER_PATTERN);

function available(s: AccountSnapshot | undefined): bigint {
  return s === undefined ? 0n : s.creditsPosted - s.debitsPosted - s.debitsPending;
}

export function createPaymentsService(deps: PaymentsDeps) {
  const { repo, ledger, gateway, clock } = deps;
  const reference = deps.newReference ?? (() => newReference("SX"));
  const maxFen = deps.maxAmountFen;
  const chunk = deps.ledgerChunk ?? 1000;

  /** Creates whichever of these accounts (and the platform's) do not exist yet; usually none, and then no write. */
  async function ensureAccounts(accounts: AccountInput[]): Promise<void> {
    const missing = [...platformAccounts(CNY), ...accounts].filter((a) => ledger.lookupAccount(a.id) === undefined);
    if (missing.length === 0) return;
    const out = await ledger.createAccounts(missing);
    out.results.forEach((r, i) => {
      if (!accountStands(r)) throw new Error(`ledger account ${missing[i]!.id}: ${r}`);
    });
  }

  function checkAmount(amountFen: bigint, field: string): void {
    if (amountFen <= 0n) throw invalidField(field, "the amount must be more than zero fen");
    if (amountFen > maxFen) throw invalidField(field, `the amount must be at most ${maxFen} fen`);
  }

  function operatorOnly(principal: Principal, what: string): void {
    if (principal.role !== "operator") throw new DomainError("forbidden", `only an operator ${what}`);
  }

  function staffOnly(principal: Principal): void {
    if (!canReadAll(principal)) throw new DomainError("forbidden", "only operators and regulators read payout batches");
  }

  function topUpView(t: TopUpRow): TopUpView {
    return {
      reference: t.reference,
      organisationId: t.organisationId,
      accountId: t.accountId,
      requestedFen: fenToJsonNumber(t.requestedFen),
      receivedFen: t.receivedFen === null ? null : fenToJsonNumber(t.receivedFen),
      status: t.status,
      instructions: gateway.fundingInstructions(t.reference, t.requestedFen),
      createdAt: t.createdAt.toISOString(),
      confirmedAt: t.confirmedAt?.toISOString() ?? null,
    };
  }

  function withdrawalView(w: WithdrawalRow): WithdrawalView {
    return {
      id: w.id,
      organisationId: w.organisationId,
      workerId: w.workerId,
      accountId: w.accountId,
      amountFen: fenToJsonNumber(w.amountFen),
      amount: fenToYuan(w.amountFen),
      bankAccountName: w.bankAccountName,
      bankName: w.bankName,
      bankAccountNumber: w.bankAccountNumber,
      status: w.status,
      statusReason: w.statusReason,
      batchId: w.batchId,
      createdAt: w.createdAt.toISOString(),
    };
  }

  function batchView(b: PayoutBatchRow): PayoutBatchView {
    return {
      id: b.id,
      status: b.status,
      gateway: b.gateway,
      count: b.count,
      totalFen: fenToJsonNumber(b.totalFen),
      createdAt: b.createdAt.toISOString(),
      withdrawals: b.withdrawals.map(withdrawalView),
    };
  }

  function ownOnly(principal: Principal): { organisationId?: string } {
    return canReadAll(principal) ? {} : { organisationId: principal.organisationId ?? "-" };
  }

  /** Withdrawals the caller may list: a worker's own, an organisation's own, or all (operators, regulators). */
  function ownWithdrawals(principal: Principal): { organisationId?: string; workerId?: string } {
    if (canReadAll(principal)) return {};
    if (principal.role === "worker") return { workerId: principal.workerId ?? "-" };
    return { organisationId: principal.organisationId ?? "-" };
  }

  // Each `complete…` drives an operation from its passing state to its end. The request runs it right after step (1);
  // a retry that took the claim over, or the sweeper, runs it again from what is stored. Null: nothing of it stands.

  async function completeConfirm(ref: string, claim: Claim): Promise<TopUpView | null> {
    const t = await repo.findTopUp(ref);
    if (!t || t.status === "awaiting_transfer") return null;
    if (t.status === "confirmed") return topUpView(t);
    await ensureAccounts([walletAccount(t.organisationId)]);
    const transferId = `topup:${ref}`;
    const out = await ledger.createTransfers([
      { id: transferId, debitAccountId: platformAccountId("clearing"), creditAccountId: t.accountId, amount: t.receivedFen!, ledger: CNY, code: "top_up", userData: ref },
    ]);
    const result = out.results[0]!;
    if (!transferStands(result)) {
      if ((await repo.unbindReceipt(ref, claim)) === "claim_lost") throw claimLost();
      throw ledgerRefusal(result, "/body/amountFen");
    }
    if ((await repo.finishTopUp(ref, transferId, clock.now(), claim)) === "claim_lost") throw claimLost();
    return topUpView((await repo.findTopUp(ref))!);
  }

  async function completeWithdrawal(id: string, claim: Claim): Promise<WithdrawalView | null> {
    const w = await repo.findWithdrawal(id);
    if (!w) return null;
    if (w.status !== "holding") return withdrawalView(w);
    const out = await ledger.createTransfers([
      { id: w.holdTransferId, kind: "pending", debitAccountId: w.accountId, creditAccountId: platformAccountId("clearing"), amount: w.amountFen, ledger: CNY, code: "withdrawal", userData: id },
    ]);
    const result = out.results[0]!;
    if (!transferStands(result)) {
      if ((await repo.dropWithdrawal(id, claim)) === "claim_lost") throw claimLost();
      throw ledgerRefusal(result, "/body/amountFen");
    }
    if ((await repo.finishHold(id, clock.now(), claim)) === "claim_lost") throw claimLost();
    return withdrawalView((await repo.findWithdrawal(id))!);
  }

  async function completeReject(id: string, claim: Claim): Promise<WithdrawalView | null> {
    const w = await repo.findWithdrawal(id);
    if (!w) return null;
    if (w.status === "rejected") return withdrawalView(w);
    if (w.status !== "rejecting") return null;
    const out = await ledger.createTransfers([{ id: `withdrawal-void:${id}`, kind: "void", pendingId: w.holdTransferId }]);
    const result = out.results[0]!;
    // A hold already gone (expired, voided, never placed) leaves nothing to release: the rejection stands.
    if (!transferStands(result) && !["pending_transfer_not_found", "pending_transfer_already_voided", "pending_transfer_expired"].includes(result)) {
      if ((await repo.undoReject(id, clock.now(), claim)) === "claim_lost") throw claimLost();
      acceptTransfer(result, "/params/id");
    }
    if ((await repo.finishReject(id, clock.now(), claim)) === "claim_lost") throw claimLost();
    return withdrawalView((await repo.findWithdrawal(id))!);
  }

  async function completeBatch(id: string, claim: Claim): Promise<PayoutBatchView | null> {
    const b = await repo.findBatch(id);
    if (!b) return null;
    if (b.status === "posted") return batchView(b);
    const paying = b.withdrawals.filter((w) => w.status === "paying");
    const paid: string[] = [];
    const unpaid: string[] = [];
    const refusals = new Set<string>();
    // The ledger writer takes a bounded number of transfers per call: post in chunks.
    for (let i = 0; i < paying.length; i += chunk) {
      const part = paying.slice(i, i + chunk);
      const out = await ledger.createTransfers(part.map((w) => ({ id: `withdrawal-paid:${w.id}`, kind: "post" as const, pendingId: w.holdTransferId, amount: null })));
      out.results.forEach((r, j) => {
        if (transferStands(r)) paid.push(part[j]!.id);
        else {
          unpaid.push(part[j]!.id);
          refusals.add(r);
        }
      });
    }
    const finished = await repo.finishBatch(id, paid, unpaid, clock.now(), claim);
    if (finished === "claim_lost") throw claimLost();
    if (finished === "empty") throw new DomainError("conflict", `no withdrawal could be paid: ${[...refusals].join(", ")}`);
    return batchView((await repo.findBatch(id))!);
  }

  /** Wraps a `complete…` as the recovery of an operation, answering with the route's success status. */
  function recovery<V>(statusCode: number, complete: (target: string, claim: Claim) => Promise<V | null>): Recover {
    return async (target, claim) => {
      const view = await complete(target, claim);
      return view === null ? null : { statusCode, body: view };
    };
  }

  return {
    /** An enterprise asks to fund its wallet: it gets bank-transfer instructions with a unique reference. */
    async requestTopUp(principal: Principal, amountFen: bigint, claim: Claim): Promise<TopUpView> {
      if (principal.role !== "enterprise" || !principal.organisationId) throw new DomainError("forbidden", "only an enterprise funds a wallet");
      checkAmount(amountFen, "/body/amountFen");
      if ((await deps.gatewayOf?.(principal.organisationId)) === "stripe") {
        throw new DomainError("conflict", "this organisation pays through Stripe: POST /v1/stripe/top-ups", { field: "/body" });
      }
      const account = walletAccount(principal.organisationId);
      await ensureAccounts([account]);
      for (let attempt = 0; attempt < 5; attempt++) {
        const row: TopUpRow = {
          reference: reference(), organisationId: principal.organisationId, accountId: account.id, requestedFen: amountFen, receivedFen: null,
          status: "awaiting_transfer", gateway: gateway.name, bankTransactionId: null, transferId: null, createdAt: clock.now(), confirmedAt: null, confirmedBy: null,
        };
        const inserted = await repo.insertTopUp(row, claim, PAYMENT_OPERATIONS.topUpRequest);
        if (inserted === "claim_lost") throw claimLost();
        if (inserted === "inserted") return topUpView((await repo.findTopUp(row.reference))!);
      }
      throw new Error("could not draw an unused top-up reference");
    },

    async listTopUps(principal: Principal, query: { status?: TopUpStatus; limit?: number; cursor?: string }): Promise<Page<TopUpView>> {
      const limit = query.limit ?? 100;
      const after = query.cursor ? decodeCursor(query.cursor, ["t", "ref"]) : undefined;
      const rows = await repo.listTopUps({
        limit: limit + 1,
        ...(query.status ? { status: query.status } : {}),
        ...(after ? { after: { createdAt: new Date(after.t), reference: after.ref } } : {}),
        ...ownOnly(principal),
      });
      return pageOf(rows, limit, topUpView, (t) => ({ t: t.createdAt.toISOString(), ref: t.reference }));
    },

    async getTopUp(principal: Principal, ref: string): Promise<TopUpView> {
      const t = await repo.findTopUp(normaliseReference(ref));
      if (!t || (!canReadAll(principal) && t.organisationId !== principal.organisationId)) throw notFound("top-up", ref);
      return topUpView(t);
    },

    /**
     * An operator confirms the bank received a transfer quoting the
     * reference: clearing (the bank account) → wallet, for the amount that
     * actually arrived; a different amount than asked needs
     * acceptDifferentAmount. Repeating the same confirmation answers the same.
     */
    async confirmTopUp(
      principal: Principal,
      refInput: string,
      input: { amountFen: bigint; bankTransactionId: string; acceptDifferentAmount?: boolean },
      claim: Claim,
    ): Promise<TopUpView> {
      operatorOnly(principal, "confirms a top-up");
      checkAmount(input.amountFen, "/body/amountFen");
      const ref = normaliseReference(refInput);
      const t = await repo.findTopUp(ref);
      if (!t) throw notFound("top-up", refInput);
      const answerBound = (row: TopUpRow): TopUpView => {
        if (row.bankTransactionId !== input.bankTransactionId || row.receivedFen !== input.amountFen) {
          throw new DomainError("conflict", "this top-up was confirmed with another bank transaction or amount", { field: "/body/bankTransactionId" });
        }
        if (row.status === "confirming") {
          throw new DomainError("conflict", "this top-up is being confirmed by another request; read it again shortly", { field: "/params/ref" });
        }
        return topUpView(row);
      };
      if (t.status !== "awaiting_transfer") return answerBound(t);
      if (input.amountFen !== t.requestedFen && input.acceptDifferentAmount !== true) {
        throw new DomainError(
          "unprocessable",
          `the top-up asked for ${t.requestedFen} fen but ${input.amountFen} fen arrived; confirm with acceptDifferentAmount: true to credit what arrived`,
          { field: "/body/acceptDifferentAmount", requestedFen: fenToJsonNumber(t.requestedFen), amountFen: fenToJsonNumber(input.amountFen) },
        );
      }
      const bound = await repo.bindReceipt(
        ref,
        { bankTransactionId: input.bankTransactionId, receivedFen: input.amountFen, confirmedBy: principal.credentialId },
        claim,
        PAYMENT_OPERATIONS.topUpConfirm,
      );
      if (bound === "claim_lost") throw claimLost();
      if (bound === "taken") throw new DomainError("conflict", "this bank transaction already confirmed another top-up", { field: "/body/bankTransactionId" });
      if (bound === "not_awaiting") return answerBound((await repo.findTopUp(ref))!);
      return (await completeConfirm(ref, claim))!;
    },

    /**
     * A supplier (an agency or a lending enterprise, from its payable), an enterprise (from its wallet) or an
     * independent worker (from the payable the contract runtime pays them into) asks to be paid out: the amount is
     * held at once. The same flow for all: the row in a passing state under the request's claim, the hold, the row's
     * final state.
     */
    async requestWithdrawal(
      principal: Principal,
      input: { amountFen: bigint; bankAccountName: string; bankName: string; bankAccountNumber: string; from?: "wallet" | "payable" },
      claim: Claim,
    ): Promise<WithdrawalView> {
      const orgId = principal.organisationId;
      const workerId = principal.role === "worker" ? principal.workerId : null;
      if (workerId === null && (!orgId || (principal.role !== "agency" && principal.role !== "enterprise"))) {
        throw new DomainError("forbidden", "only an organisation or a worker withdraws their own money");
      }
      checkAmount(input.amountFen, "/body/amountFen");
      if (!BANK_ACCOUNT_NUMBER.test(input.bankAccountNumber)) {
        throw invalidField("/body/bankAccountNumber", "a bank account number is 8 to 34 digits, optionally grouped by single spaces or dashes");
      }
      const bankAccountName = input.bankAccountName.trim();
      const bankName = input.bankName.trim();
      if (bankAccountName.length < 2) throw invalidField("/body/bankAccountName", "the payee name needs at least 2 characters");
      if (bankName.length < 2) throw invalidField("/body/bankName", "the bank name needs at least 2 characters");
      if (principal.role === "agency" && input.from === "wallet") throw invalidField("/body/from", "an agency is paid into its payable and withdraws from it");
      if (workerId !== null && input.from === "wallet") throw invalidField("/body/from", "a worker is paid into their payable and withdraws from it");
      // A lending enterprise is paid for its staff's shared-staffing shifts into a payable of its own (the contract runtime);
      // an independent worker into a payable of their own, net of the withholding.
      const account =
        workerId !== null ? workerPayableAccount(workerId) : principal.role === "agency" || input.from === "payable" ? supplierPayableAccount(orgId!) : walletAccount(orgId!);
      // The ledger would refuse it too, as "exceeds credits"; say what it means for an account that holds nothing.
      if (available(ledger.lookupAccount(account.id)) <= 0n) {
        throw new DomainError("unprocessable", "there is nothing to withdraw: the account holds no money that is not already held for a withdrawal", {
          field: "/body/amountFen",
        });
      }
      const id = deps.newId("wdr");
      const now = clock.now();
      const row: WithdrawalRow = {
        id, organisationId: workerId === null ? orgId : null, workerId, accountId: account.id, amountFen: input.amountFen,
        bankAccountName, bankName, bankAccountNumber: input.bankAccountNumber.replace(/[ -]/g, ""),
        status: "holding", holdTransferId: `withdrawal:${id}`, batchId: null, statusReason: null, createdAt: now, updatedAt: now,
      };
      if ((await repo.insertWithdrawal(row, claim, PAYMENT_OPERATIONS.withdrawalRequest)) === "claim_lost") throw claimLost();
      return (await completeWithdrawal(id, claim))!;
    },

    async listWithdrawals(principal: Principal, query: { status?: WithdrawalStatus; limit?: number; cursor?: string }): Promise<Page<WithdrawalView>> {
      const limit = query.limit ?? 100;
      const after = query.cursor ? decodeCursor(query.cursor, ["t", "id"]) : undefined;
      const rows = await repo.listWithdrawals({
        limit: limit + 1,
        ...(query.status ? { status: query.status } : {}),
        ...(after ? { after: { createdAt: new Date(after.t), id: after.id } } : {}),
        ...ownWithdrawals(principal),
      });
      return pageOf(rows, limit, withdrawalView, (w) => ({ t: w.createdAt.toISOString(), id: w.id }));
    },

    /** An operator refuses a withdrawal: the hold is voided and the money is free again. Repeating answers the same. */
    async rejectWithdrawal(principal: Principal, id: string, reason: string, claim: Claim): Promise<WithdrawalView> {
      operatorOnly(principal, "rejects a withdrawal");
      const w = await repo.findWithdrawal(id);
      if (!w) throw notFound("withdrawal", id);
      const started = await repo.startReject(id, reason, clock.now(), claim, PAYMENT_OPERATIONS.withdrawalReject);
      if (started === "claim_lost") throw claimLost();
      if (started === "started") return (await completeReject(id, claim))!;
      const now = (await repo.findWithdrawal(id))!;
      if (now.status === "rejected") return withdrawalView(now);
      if (now.status === "rejecting") throw new DomainError("conflict", "this withdrawal is being rejected by another request; read it again shortly", { field: "/params/id" });
      throw new DomainError("conflict", `a withdrawal that is ${now.status} cannot be rejected`, { field: "/params/id", status: now.status });
    },

    /**
     * An operator pays out requested withdrawals (the listed ones, or the
     * oldest ones): each hold is posted (money leaves through clearing), the
     * batch is recorded, and the gateway's payout file can be downloaded.
     */
    async createPayoutBatch(principal: Principal, withdrawalIds: string[] | undefined, claim: Claim): Promise<PayoutBatchView> {
      operatorOnly(principal, "pays out withdrawals");
      const id = deps.newId("pay");
      const started = await repo.startBatch(
        { id, gateway: gateway.name, createdBy: principal.credentialId, createdAt: clock.now() },
        withdrawalIds,
        MAX_PAYOUT_BATCH,
        claim,
        PAYMENT_OPERATIONS.payoutBatch,
      );
      if (started === "claim_lost") throw claimLost();
      if (started === "empty") throw new DomainError("unprocessable", "no withdrawal is awaiting payment");
      if (typeof started === "object") {
        throw invalidField(`/body/withdrawalIds/${started.missing}`, `withdrawal ${withdrawalIds![started.missing]} is not awaiting payment`);
      }
      return (await completeBatch(id, claim))!;
    },

    async getPayoutBatch(principal: Principal, id: string): Promise<PayoutBatchView> {
      staffOnly(principal);
      const b = await repo.findBatch(id);
      if (!b) throw notFound("payout batch", id);
      return batchView(b);
    },

    /** Payout batches, newest first (operators and regulators). */
    async listPayoutBatches(principal: Principal, query: { limit?: number; cursor?: string }): Promise<Page<PayoutBatchView>> {
      staffOnly(principal);
      const limit = query.limit ?? 20;
      const after = query.cursor ? decodeCursor(query.cursor, ["t", "id"]) : undefined;
      const rows = await repo.listBatches({ limit: limit + 1, ...(after ? { after: { createdAt: new Date(after.t), id: after.id } } : {}) });
      return pageOf(rows, limit, batchView, (b) => ({ t: b.createdAt.toISOString(), id: b.id }));
    },

    async payoutFile(principal: Principal, id: string): Promise<PayoutFile> {
      operatorOnly(principal, "downloads payout files");
      const b = await repo.findBatch(id);
      if (!b) throw notFound("payout batch", id);
      if (b.status !== "posted") throw new DomainError("conflict", "the batch is still being posted; download its file shortly", { field: "/params/id" });
      return gateway.payoutFile(b.id, b.createdAt, b.withdrawals.map((w) => ({
        withdrawalId: w.id, payeeId: w.organisationId ?? w.workerId ?? "", amountFen: w.amountFen,
        bankAccountName: w.bankAccountName, bankName: w.bankName, bankAccountNumber: w.bankAccountNumber,
      })));
    },

    /** Recovery of every operation payments records on claims, for the idempotency layer to register. */
    operations: {
      [PAYMENT_OPERATIONS.topUpRequest]: recovery(201, async (ref) => {
        const t = await repo.findTopUp(ref);
        return t ? topUpView(t) : null;
      }),
      [PAYMENT_OPERATIONS.topUpConfirm]: recovery(200, completeConfirm),
      [PAYMENT_OPERATIONS.withdrawalRequest]: recovery(201, completeWithdrawal),
      [PAYMENT_OPERATIONS.withdrawalReject]: recovery(200, completeReject),
      [PAYMENT_OPERATIONS.payoutBatch]: recovery(201, completeBatch),
    } as Record<string, Recover>,
  };
}
export type PaymentsService = ReturnType<typeof createPaymentsService>;
