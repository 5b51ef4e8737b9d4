/**
 * The ledger's service: who may see which account, statement, report and
 * checkpoint, and the views the API returns. Balances come from the writer's
 * memory (committed state only); statements and checkpoints from the
 * repository. Routes declare roles too (fail closed at the edge); the
 * service checks them again and owns the ownership rules.
 */
import type { KeyObject } from "node:crypto";
import { decodeCursor, pageOf, type Page } from "../shared/cursor";
import { DomainError, notFound } from "../shared/errors";
import { fenToJsonNumber } from "../shared/money";
import { canReadAll, type Principal, type Role } from "../shared/principal";
import { CNY, supplierPayableAccountId, walletAccountId, workerPayableAccountId } from "./accounts";
import { checkpointPayload, publishKey, type Checkpoint, type PublishedKey } from "./ledger.checkpoint";
import type { LedgerRepository, StatementLine } from "./ledger.repository";
import type { AccountSnapshot } from "./ledger.types";
import type { ChainReport } from "./ledger.verifier";
import type { LedgerTotals, LedgerWriter } from "../sequencer";

export interface LedgerServiceDeps {
  writer: LedgerWriter;
  repo: LedgerRepository;
  /** the key checkpoints are signed with (only its public half is published). */
  signingKey: KeyObject;
  /** earlier signing keys' public keys, published beside the current one. */
  previousPublicKeys?: readonly KeyObject[];
  /** further checks of the books that verify() runs, each returning its problems (e.g. a closed contract's escrow is zero). */
  checks?: readonly (() => Promise<string[]>)[];
}

/** A page request: `limit` items after the opaque `cursor`. */
export interface PageRequest {
  readonly limit?: number;
  readonly cursor?: string;
}

export interface AccountView {
  id: string;
  ledger: string;
  code: string;
  ownerId: string | null;
  debitsPostedFen: number;
  creditsPostedFen: number;
  debitsPendingFen: number;
  creditsPendingFen: number;
  availableFen: number;
  frozen: boolean;
}

export interface StatementLineView {
  transferId: string;
  kind: string;
  code: string;
  direction: "debit" | "credit";
  amountFen: number;
  counterpartyAccountId: string;
  pendingId: string | null;
  userData: string | null;
  timestamp: string;
  at: string;
  debitsPostedFen: number;
  creditsPostedFen: number;
}

export interface TotalsView {
  ledger: string;
  accounts: number;
  debitsPostedFen: number;
  creditsPostedFen: number;
  debitsPendingFen: number;
  creditsPendingFen: number;
}

export interface VerifyView {
  ok: boolean;
  invariants: { ok: boolean; problems: string[] };
  chain: ChainReport;
  tip: { sequence: number; chainHash: string };
}

export interface CheckpointView extends Checkpoint {
  payload: string;
}

export interface CheckpointPageView extends Page<CheckpointView> {
  shard: string;
  signingKey: PublishedKey;
  previousKeys: PublishedKey[];
}

const DEFAULT_LIMIT = 100;

function accountView(a: AccountSnapshot): AccountView {
  return {
    id: a.id,
    ledger: a.ledger,
    code: a.code,
    ownerId: a.ownerId,
    debitsPostedFen: fenToJsonNumber(a.debitsPosted),
    creditsPostedFen: fenToJsonNumber(a.creditsPosted),
    debitsPendingFen: fenToJsonNumber(a.debitsPending),
    creditsPendingFen: fenToJsonNumber(a.creditsPending),
    availableFen: fenToJsonNumber(a.creditsPosted - a.debitsPosted - a.debitsPending),
    frozen: a.frozen,
  };
}

function statementLineView(l: StatementLine): StatementLineView {
  const t = l.transfer;
  return {
    transferId: t.id,
    kind: t.kind,
    code: t.code,
    direction: l.direction,
    amountFen: fenToJsonNumber(t.amount),
    counterpartyAccountId: l.direction === "debit" ? t.creditAccountId : t.debitAccountId,
    pendingId: t.pendingId,
    userData: t.userData,
    timestamp: String(t.timestamp),
    at: new Date(Math.floor(t.timestamp / 1000)).toISOString(),
    debitsPostedFen: fenToJsonNumber(l.debitsPosted),
    creditsPostedFen: fenToJsonNumber(l.creditsPosted),
  };
}

function totalsView(t: LedgerTotals): TotalsView {
  return {
    ledger: t.ledger,
    accounts: t.accounts,
    debitsPostedFen: fenToJsonNumber(t.debitsPosted),
    creditsPostedFen: fenToJsonNumber(t.creditsPosted),
    debitsPendingFen: fenToJsonNumber(t.debitsPending),
    creditsPendingFen: fenToJsonNumber(t.creditsPending),
  };
}

function requireRole(p: Principal, roles: readonly Role[], what: string): void {
  if (!roles.includes(p.role)) throw new DomainError("forbidden", `the ${p.role} role may not ${what}`);
}

/** A cursor position that must be a non-negative safe integer. */
function position(cursor: string | undefined, key: string): number {
  if (cursor === undefined) return 0;
  const raw = decodeCursor(cursor, [key])[key] ?? "";
  const n = Number(raw);
  if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new DomainError("validation_failed", "the cursor is not one this server issued; pass the `next` value of the previous page", {
      field: "/querystring/cursor",
    });
  }
  return n;
}

export function createLedgerService(deps: LedgerServiceDeps) {
  const { writer, repo } = deps;
  const signingKey = publishKey(deps.signingKey);
  const previousKeys = (deps.previousPublicKeys ?? []).map(publishKey);

  /** An account the caller may read; another owner's account reads as absent. */
  async function readableAccount(p: Principal, id: string): Promise<AccountSnapshot> {
    // an account the writer evicted from memory (idle, holding nothing) is read from storage
    const a = writer.lookupAccount(id) ?? (await repo.account(id));
    // an organisation owns its wallet and payable; a worker (paid directly, as an independent worker) owns a payable
    const owner = p.role === "worker" ? p.workerId : p.organisationId;
    if (!a || (!canReadAll(p) && (a.ownerId === null || owner === null || a.ownerId !== owner))) throw notFound("account", id);
    return a;
  }

  return {
    /** The caller's own accounts that exist, by id: an organisation's wallet and supplier payable, a worker's payable. */
    async ownAccounts(p: Principal, page: PageRequest = {}): Promise<Page<AccountView>> {
      requireRole(p, ["enterprise", "agency", "worker"], "list its own accounts");
      const limit = page.limit ?? DEFAULT_LIMIT;
      const after = page.cursor === undefined ? "" : decodeCursor(page.cursor, ["id"]).id;
      let ids: string[];
      if (p.role === "worker") {
        if (p.workerId === null) throw new DomainError("forbidden", "this credential belongs to no worker");
        ids = [workerPayableAccountId(p.workerId, CNY)];
      } else {
        if (p.organisationId === null) throw new DomainError("forbidden", "this credential belongs to no organisation");
        ids = [walletAccountId(p.organisationId, CNY), supplierPayableAccountId(p.organisationId, CNY)].sort();
      }
      const found = await Promise.all(ids.filter((id) => id > after).map(async (id) => writer.lookupAccount(id) ?? (await repo.account(id))));
      const rows = found.filter((a): a is AccountSnapshot => a !== undefined).slice(0, limit + 1);
      return pageOf(rows, limit, accountView, (a) => ({ id: a.id }));
    },

    /** An account's committed balances: its owner, operators and regulators. */
    async account(p: Principal, id: string): Promise<AccountView> {
      return accountView(await readableAccount(p, id));
    },

    /** An account's transfers, oldest first, with running posted totals. */
    async statement(p: Principal, id: string, page: PageRequest = {}): Promise<Page<StatementLineView>> {
      await readableAccount(p, id);
      const limit = page.limit ?? DEFAULT_LIMIT;
      const lines = await repo.statement(id, position(page.cursor, "t"), limit + 1);
      return pageOf(lines, limit, statementLineView, (l) => ({ t: String(l.transfer.timestamp) }));
    },

    /** Committed totals per ledger and per account code. */
    trialBalance(p: Principal) {
      requireRole(p, ["operator", "regulator"], "read the trial balance");
      const tb = writer.trialBalance();
      return { asOf: String(tb.asOf), ledgers: tb.ledgers.map(totalsView), codes: tb.codes.map((c) => ({ ...totalsView(c), code: c.code })) };
    },

    /** The books' invariants and the full verification of the stored chain against every checkpoint. */
    async verify(p: Principal): Promise<VerifyView> {
      requireRole(p, ["operator"], "verify the ledger");
      const own = writer.invariants();
      const more = (await Promise.all((deps.checks ?? []).map((check) => check()))).flat();
      const invariants = { ok: own.ok && more.length === 0, problems: [...own.problems, ...more] };
      const tip = writer.tip;
      const chain = await writer.verifyChain();
      return {
        ok: invariants.ok && chain.ok,
        invariants: { ok: invariants.ok, problems: invariants.problems },
        chain,
        tip: { sequence: tip.sequence, chainHash: tip.chainHash },
      };
    },

    /** Signed checkpoints, oldest first, with the public keys that verify them. Public: anyone may keep copies. */
    async checkpoints(page: PageRequest = {}): Promise<CheckpointPageView> {
      const limit = page.limit ?? DEFAULT_LIMIT;
      const rows = await repo.checkpoints(position(page.cursor, "s"), limit + 1);
      const items = pageOf(rows, limit, (c) => ({ ...c, payload: checkpointPayload(c) }), (c) => ({ s: String(c.sequence) }));
      return { shard: writer.shard, signingKey, previousKeys, ...items };
    },
  };
}
export type LedgerService = ReturnType<typeof createLedgerService>;
