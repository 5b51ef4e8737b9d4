/** HTTP routes of the ledger: balances and statements (owner or staff), trial balance and verification (operator). */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { principalOf } from "../http/auth";
import { responses } from "../http/schemas";
import { notFound } from "../shared/errors";
import { fenToJsonNumber } from "../shared/money";
import { canReadAll, type Principal } from "../shared/principal";
import { CNY, supplierPayableAccountId, walletAccountId } from "./accounts";
import type { AccountSnapshot } from "./ledger.types";
import type { LedgerWriter } from "./ledger.writer";

const Account = Type.Object({
  id: Type.String(),
  ledger: Type.String(),
  code: Type.String(),
  ownerId: Type.Union([Type.String(), Type.Null()]),
  debitsPostedFen: Type.Integer(),
  creditsPostedFen: Type.Integer(),
  debitsPendingFen: Type.Integer(),
  creditsPendingFen: Type.Integer(),
  availableFen: Type.Integer({ description: "For wallets and payables: posted credits less posted and pending debits" }),
  frozen: Type.Boolean(),
});

const StatementLine = Type.Object({
  transferId: Type.String(),
  kind: Type.String(),
  code: Type.String(),
  direction: Type.Union([Type.Literal("debit"), Type.Literal("credit")]),
  amountFen: Type.Integer(),
  counterpartyAccountId: Type.String(),
  pendingId: Type.Union([Type.String(), Type.Null()]),
  userData: Type.Union([Type.String(), Type.Null()]),
  timestamp: Type.String({ description: "µs since the Unix epoch; pass as `after` for the next page" }),
  at: Type.String(),
  debitsPostedFen: Type.Integer(),
  creditsPostedFen: Type.Integer(),
});

const Totals = Type.Object({
  ledger: Type.String(),
  accounts: Type.Integer(),
  debitsPostedFen: Type.Integer(),
  creditsPostedFen: Type.Integer(),
  debitsPendingFen: Type.Integer(),
  creditsPendingFen: Type.Integer(),
});

const AccountParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const StatementQuery = Type.Object(
  { after: Type.Optional(Type.String({ pattern: "^\\d{1,19}$" })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: false },
);

function accountView(a: AccountSnapshot) {
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

function totalsView(t: { ledger: string; accounts: number; debitsPosted: bigint; creditsPosted: bigint; debitsPending: bigint; creditsPending: bigint }) {
  return {
    ledger: t.ledger,
    accounts: t.accounts,
    debitsPostedFen: fenToJsonNumber(t.debitsPosted),
    creditsPostedFen: fenToJsonNumber(t.creditsPosted),
    debitsPendingFen: fenToJsonNumber(t.debitsPending),
    creditsPendingFen: fenToJsonNumber(t.creditsPending),
  };
}

export const ledgerRoutes: FastifyPluginAsyncTypebox<{ ledger: LedgerWriter }> = async (app, { ledger }) => {
  const tags = ["ledger"];

  /** Another owner's account reads as absent. */
  function ownedAccount(p: Principal, id: string): AccountSnapshot {
    const a = ledger.lookupAccount(id);
    if (!a || (!canReadAll(p) && (a.ownerId === null || a.ownerId !== p.organisationId))) throw notFound("account", id);
    return a;
  }

  app.get("/v1/accounts", {
    config: { access: ["enterprise", "agency"] },
    schema: { tags, summary: "The caller's own accounts (wallet, supplier payable)", response: responses({ 200: Type.Object({ items: Type.Array(Account) }) }) },
  }, async (req) => {
    const p = principalOf(req);
    const ids = [walletAccountId(p.organisationId!, CNY), supplierPayableAccountId(p.organisationId!, CNY)];
    return { items: ids.map((id) => ledger.lookupAccount(id)).filter((a): a is AccountSnapshot => a !== undefined).map(accountView) };
  });

  app.get("/v1/accounts/:id", {
    config: { access: ["enterprise", "agency", "operator", "regulator"] },
    schema: { tags, summary: "An account's balances (its owner, operators)", params: AccountParams, response: responses({ 200: Account }) },
  }, async (req) => accountView(ownedAccount(principalOf(req), req.params.id)));

  app.get("/v1/accounts/:id/statement", {
    config: { access: ["enterprise", "agency", "operator", "regulator"] },
    schema: {
      tags, summary: "An account's transfers, oldest first, with running posted totals; page with `after`",
      params: AccountParams, querystring: StatementQuery,
      response: responses({ 200: Type.Object({ items: Type.Array(StatementLine), next: Type.Union([Type.String(), Type.Null()]) }) }),
    },
  }, async (req) => {
    ownedAccount(principalOf(req), req.params.id);
    const limit = req.query.limit ?? 100;
    const lines = await ledger.statement(req.params.id, { ...(req.query.after ? { afterTimestamp: Number(req.query.after) } : {}), limit });
    const items = lines.map((l) => ({
      transferId: l.transfer.id,
      kind: l.transfer.kind,
      code: l.transfer.code,
      direction: l.direction,
      amountFen: fenToJsonNumber(l.transfer.amount),
      counterpartyAccountId: l.direction === "debit" ? l.transfer.creditAccountId : l.transfer.debitAccountId,
      pendingId: l.transfer.pendingId,
      userData: l.transfer.userData,
      timestamp: String(l.transfer.timestamp),
      at: new Date(Math.floor(l.transfer.timestamp / 1000)).toISOString(),
      debitsPostedFen: fenToJsonNumber(l.debitsPosted),
      creditsPostedFen: fenToJsonNumber(l.creditsPosted),
    }));
    return { items, next: items.length === limit ? items.at(-1)!.timestamp : null };
  });

  app.get("/v1/ledger/trial-balance", {
    config: { access: ["operator", "regulator"] },
    schema: {
      tags, summary: "Committed totals per ledger and per account code",
      response: responses({ 200: Type.Object({ asOf: Type.String(), ledgers: Type.Array(Totals), codes: Type.Array(Type.Intersect([Totals, Type.Object({ code: Type.String() })])) }) }),
    },
  }, async () => {
    const tb = ledger.trialBalance();
    return { asOf: String(tb.asOf), ledgers: tb.ledgers.map(totalsView), codes: tb.codes.map((c) => ({ ...totalsView(c), code: c.code })) };
  });

  app.get("/v1/ledger/verify", {
    config: { access: ["operator"] },
    schema: {
      tags, summary: "Check the invariants and recompute the hash chain over every stored transfer",
      response: responses({
        200: Type.Object({
          ok: Type.Boolean(),
          invariants: Type.Object({ ok: Type.Boolean(), problems: Type.Array(Type.String()) }),
          chain: Type.Object({
            ok: Type.Boolean(),
            checked: Type.Integer(),
            accountsChecked: Type.Integer(),
            firstBad: Type.Optional(Type.Object({ id: Type.String(), timestamp: Type.String() })),
            firstBadAccount: Type.Optional(Type.Object({ id: Type.String(), timestamp: Type.String() })),
            problem: Type.Optional(Type.String()),
          }),
        }),
      }),
    },
  }, async () => {
    const invariants = ledger.invariants();
    const chain = await ledger.verifyChain();
    return { ok: invariants.ok && chain.ok, invariants: { ok: invariants.ok, problems: invariants.problems }, chain };
  });
};
