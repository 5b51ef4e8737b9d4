/** TypeBox schemas of the reconciliation API (operators only). */
import { Type } from "typebox";
import { DateString, PageOf, PageQuery } from "../http/schemas";

const Provider = Type.Union([Type.Literal("offline"), Type.Literal("stripe")], { description: "offline: the escrow bank account; stripe: the Stripe balance" });
const ItemKind = Type.Union([
  Type.Literal("matched"), Type.Literal("amount_mismatch"), Type.Literal("missing_in_ledger"), Type.Literal("missing_at_provider"), Type.Literal("duplicate"),
]);
const ExceptionStatus = Type.Union([Type.Literal("open"), Type.Literal("resolving"), Type.Literal("resolved"), Type.Literal("cleared")], {
  description: "resolving: its correcting transfer is being written and it becomes resolved on its own; cleared: a later run matched it without a correction",
});

export const STATEMENT_FORMAT = `CSV, UTF-8 (with or without a byte order mark) or GB18030 (choose encoding=gb18030). The first line names the columns
(English or Chinese, any order): transaction_id (交易流水号, required, the bank's id of the line), date (交易日期, required: YYYY-MM-DD,
YYYY/MM/DD or YYYYMMDD), amount (金额: signed yuan, positive money in) or credit (贷方金额) and debit (借方金额), currency (币种, CNY),
counterparty (对方户名), counterparty_account (对方账号), reference (附言: the top-up reference SX-XXXX-XXXX, a withdrawal id wdr_…,
or a payout batch id pay_…). Amounts are yuan with at most 2 decimals ("1,250.50" quoted). A bad value is refused naming its line and column,
and nothing is written. Importing is idempotent on transaction_id; the same file again answers the same import.`;

export const ImportQuery = Type.Object(
  {
    encoding: Type.Optional(Type.Union([Type.Literal("utf-8"), Type.Literal("gb18030")], { default: "utf-8", description: "The file's encoding" })),
    filename: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const StripeImportBody = Type.Object(
  { fromDate: DateString, toDate: DateString },
  { additionalProperties: false, examples: [{ fromDate: "2026-12-01", toDate: "2026-12-01" }] },
);

export const Import = Type.Object({
  id: Type.String(),
  provider: Provider,
  filename: Type.Union([Type.String(), Type.Null()]),
  encoding: Type.String(),
  status: Type.Union([Type.Literal("importing"), Type.Literal("imported")], { description: "importing: lines are being written (done of total)" }),
  total: Type.Integer(),
  done: Type.Integer(),
  inserted: Type.Integer({ description: "Lines new to Shiftex" }),
  alreadyImported: Type.Integer({ description: "Lines an earlier import had stored" }),
  createdBy: Type.String(),
  createdAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});
export const ImportPage = PageOf(Import);

const Totals = Type.Object({
  currency: Type.String(),
  ledgerFen: Type.Integer({ description: "Cumulative to the date: the clearing account's movements through this provider" }),
  providerFen: Type.Integer({ description: "Cumulative to the date: the provider's net" }),
  differenceFen: Type.Integer({ description: "providerFen − ledgerFen" }),
  openExceptionsFen: Type.Integer({ description: "Σ effects of the open exceptions: equal to differenceFen" }),
  unexplainedFen: Type.Integer({ description: "differenceFen − openExceptionsFen: always 0" }),
  openExceptions: Type.Integer(),
  dayLedgerFen: Type.Integer({ description: "The date's own movements, ledger side" }),
  dayProviderFen: Type.Integer({ description: "The date's own movements, provider side" }),
});

export const RunBody = Type.Object(
  { provider: Provider, date: DateString },
  { additionalProperties: false, examples: [{ provider: "offline", date: "2026-12-01" }] },
);

export const Run = Type.Object({
  id: Type.String(),
  provider: Provider,
  date: Type.String(),
  ledgerCount: Type.Integer(),
  providerCount: Type.Integer(),
  matched: Type.Integer(),
  exceptions: Type.Integer(),
  suggestions: Type.Integer(),
  totals: Type.Array(Totals),
  startedBy: Type.String(),
  createdAt: Type.String(),
  unchanged: Type.Boolean({ description: "Nothing changed since this run: it is answered again and nothing is written" }),
});
export const RunPage = PageOf(Run);
export const RunListQuery = Type.Object({ provider: Type.Optional(Provider), ...PageQuery }, { additionalProperties: false });

export const Item = Type.Object({
  position: Type.Integer(),
  kind: ItemKind,
  tier: Type.Union([Type.Integer(), Type.Null()], { description: "1: external id; 2: transfer group + amount; null: unmatched" }),
  currency: Type.String(),
  ledgerIds: Type.Array(Type.String()),
  providerIds: Type.Array(Type.String()),
  correctionIds: Type.Array(Type.String()),
  ledgerFen: Type.Integer(),
  providerFen: Type.Integer(),
  effectFen: Type.Integer(),
  date: Type.String(),
  exceptionId: Type.Union([Type.String(), Type.Null()]),
  suggestedExceptionId: Type.Union([Type.String(), Type.Null()], { description: "Tier 3: an exception on the other side with the same amount within the date window" }),
});
export const ItemPage = PageOf(Item);
export const ItemListQuery = Type.Object({ kind: Type.Optional(ItemKind), ...PageQuery }, { additionalProperties: false });

const Note = Type.Object({ id: Type.String(), author: Type.String(), body: Type.String(), createdAt: Type.String() });

export const Exception = Type.Object({
  id: Type.String(),
  provider: Provider,
  kind: ItemKind,
  currency: Type.String(),
  ledgerIds: Type.Array(Type.String()),
  providerIds: Type.Array(Type.String()),
  ledgerFen: Type.Integer(),
  providerFen: Type.Integer(),
  effectFen: Type.Integer({ description: "What it adds to the difference; a correction moves this much into clearing from suspense (negative: out of clearing)" }),
  date: Type.String(),
  suggestedExceptionId: Type.Union([Type.String(), Type.Null()]),
  status: ExceptionStatus,
  owner: Type.Union([Type.String(), Type.Null()]),
  resolution: Type.Union([Type.String(), Type.Null()]),
  correctionTransferId: Type.Union([Type.String(), Type.Null()]),
  correctionFen: Type.Union([Type.Integer(), Type.Null()]),
  matchedWith: Type.Union([Type.String(), Type.Null()]),
  openedAt: Type.String(),
  updatedAt: Type.String(),
  resolvedAt: Type.Union([Type.String(), Type.Null()]),
  resolvedBy: Type.Union([Type.String(), Type.Null()]),
  ageDays: Type.Integer(),
  firstRunId: Type.String(),
  lastRunId: Type.String(),
  notes: Type.Array(Note),
});
export const ExceptionPage = PageOf(Exception);
export const ExceptionListQuery = Type.Object(
  { provider: Type.Optional(Provider), status: Type.Optional(ExceptionStatus), owner: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), ...PageQuery },
  { additionalProperties: false },
);
export const ExceptionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export const AssignBody = Type.Object(
  { owner: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], { description: "Who works on it; null gives it back to the queue" }) },
  { additionalProperties: false, examples: [{ owner: "王芳" }] },
);
export const NoteBody = Type.Object({ body: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false, examples: [{ body: "Called the bank: the line is a fee." }] });
export const ResolveBody = Type.Union(
  [
    Type.Object({ action: Type.Literal("correct", { description: "Post the effect between clearing and suspense as a new transfer" }) }, { additionalProperties: false }),
    Type.Object(
      {
        action: Type.Literal("match", { description: "Accept a pairing with an exception missing on the other side for the same amount" }),
        with: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "The other exception; default: the suggestion" })),
      },
      { additionalProperties: false },
    ),
  ],
  { examples: [{ action: "correct" }] },
);

export const DateQuery = Type.Object({ date: DateString }, { additionalProperties: false });
export const ContractQuery = Type.Object({ contractId: Type.String({ minLength: 1, maxLength: 64, description: "The contract whose escrow account's movements are listed" }) }, { additionalProperties: false });
export const ControlTotalsQuery = Type.Object({ provider: Provider, date: DateString }, { additionalProperties: false });
export const ControlTotals = Type.Object({ provider: Provider, date: Type.String(), asOf: Type.String(), totals: Type.Array(Totals) });
