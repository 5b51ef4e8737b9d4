/**
 * TypeBox schemas of the payments API. They state the limits the server
 * enforces (the payment ceiling is a setting, so the schemas are built from
 * it), and request bodies carry real examples for /docs.
 */
import { Type } from "typebox";
import { PageOf, PageQuery } from "../http/schemas";

/** A bank account number: 8 to 34 digits, optionally grouped by single spaces or dashes. */
export const BANK_ACCOUNT_NUMBER_PATTERN = "^(?:[0-9][ -]?){7,33}[0-9]$";
/** Longest bank account number as typed: 34 digits and 33 separators. */
export const BANK_ACCOUNT_NUMBER_MAX_LENGTH = 67;
/** A name with at least two characters that are not spaces. */
const NAME_PATTERN = "\\S[\\s\\S]*\\S";
/** Most withdrawals one payout batch pays. */
export const MAX_PAYOUT_BATCH = 10_000;

const TopUpStatus = (options: { description?: string } = {}) =>
  Type.Union([Type.Literal("awaiting_transfer"), Type.Literal("confirming"), Type.Literal("confirmed")], options);
const WithdrawalStatus = (options: { description?: string } = {}) =>
  Type.Union(
    [Type.Literal("holding"), Type.Literal("requested"), Type.Literal("rejecting"), Type.Literal("rejected"), Type.Literal("paying"), Type.Literal("paid")],
    options,
  );

export interface PaymentLimits {
  /** Largest top-up or withdrawal, fen. */
  maxAmountFen: number;
}

export function createPaymentsSchemas(limits: PaymentLimits) {
  const Fen = (description: string) => Type.Integer({ minimum: 1, maximum: limits.maxAmountFen, description: `${description} (1 to ${limits.maxAmountFen})` });

  const FundingInstructions = Type.Object({
    method: Type.Literal("bank_transfer"),
    reference: Type.String(),
    amountFen: Type.Integer(),
    amount: Type.String(),
    bankName: Type.String(),
    accountName: Type.String(),
    accountNumber: Type.String(),
    note: Type.String(),
  });

  const TopUp = Type.Object({
    reference: Type.String({ description: "Quote it on the bank transfer" }),
    organisationId: Type.String(),
    accountId: Type.String(),
    requestedFen: Type.Integer(),
    receivedFen: Type.Union([Type.Integer(), Type.Null()]),
    status: TopUpStatus({
      description: "confirming: the receipt is recorded and the wallet credit is being written; it becomes confirmed on its own",
    }),
    instructions: FundingInstructions,
    createdAt: Type.String(),
    confirmedAt: Type.Union([Type.String(), Type.Null()]),
  });

  const Withdrawal = Type.Object({
    id: Type.String(),
    organisationId: Type.Union([Type.String(), Type.Null()], { description: "The organisation paid out; null for a worker's withdrawal" }),
    workerId: Type.Union([Type.String(), Type.Null()], { description: "The independent worker paid out (from their worker payable); null for an organisation's" }),
    accountId: Type.String(),
    amountFen: Type.Integer(),
    amount: Type.String({ description: "The same in yuan, e.g. \"1250.00\"" }),
    bankAccountName: Type.String(),
    bankName: Type.String(),
    bankAccountNumber: Type.String({ description: "Digits only" }),
    status: WithdrawalStatus({
      description: "holding, rejecting and paying are passing states: the ledger step is being written and the withdrawal moves on by itself",
    }),
    statusReason: Type.Union([Type.String(), Type.Null()]),
    batchId: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
  });

  const schemas = {
    TopUp,
    Withdrawal,
    TopUpPage: PageOf(TopUp),
    WithdrawalPage: PageOf(Withdrawal),

    CreateTopUpBody: Type.Object({ amountFen: Fen("Amount to pay in, integer fen") }, { additionalProperties: false, examples: [{ amountFen: 500_000 }] }),

    ConfirmTopUpBody: Type.Object(
      {
        amountFen: Fen("Amount the bank actually received, integer fen"),
        bankTransactionId: Type.String({ minLength: 1, maxLength: 100, description: "The bank's id of the incoming transfer" }),
        acceptDifferentAmount: Type.Optional(
          Type.Boolean({ description: "Required (true) when the bank received a different amount than the top-up asked for: the wallet is credited with what arrived" }),
        ),
      },
      {
        additionalProperties: false,
        examples: [
          { amountFen: 500_000, bankTransactionId: "ICBC-20261201-0001234" },
          { amountFen: 499_000, bankTransactionId: "ICBC-20261201-0001235", acceptDifferentAmount: true },
        ],
      },
    ),

    RefParams: Type.Object(
      {
        ref: Type.String({
          minLength: 1,
          maxLength: 32,
          description: "The top-up reference, e.g. SX-7K3Q-9MZD; case, spaces and dashes do not matter, and O/I/L read as 0/1",
        }),
      },
      { additionalProperties: false },
    ),

    TopUpListQuery: Type.Object({ status: Type.Optional(TopUpStatus()), ...PageQuery }, { additionalProperties: false }),

    CreateWithdrawalBody: Type.Object(
      {
        amountFen: Fen("Amount to withdraw, integer fen"),
        bankAccountName: Type.String({ minLength: 2, maxLength: 100, pattern: NAME_PATTERN, description: "The payee's name as the bank has it" }),
        bankName: Type.String({ minLength: 2, maxLength: 100, pattern: NAME_PATTERN }),
        bankAccountNumber: Type.String({
          minLength: 8,
          maxLength: BANK_ACCOUNT_NUMBER_MAX_LENGTH,
          pattern: BANK_ACCOUNT_NUMBER_PATTERN,
          description: "8 to 34 digits; single spaces or dashes between digits are allowed and dropped",
        }),
        from: Type.Optional(Type.Union([Type.Literal("wallet"), Type.Literal("payable")], {
          description: "Which account pays out: an agency's is always its payable; an enterprise's wallet by default, or the payable a lending enterprise is paid into for its staff's shared-staffing work; an independent worker's is always the payable their wages (net of withholding) are paid into",
        })),
      },
      {
        additionalProperties: false,
        examples: [{ amountFen: 125_000, bankAccountName: "重庆渝才人力资源服务有限公司", bankName: "中国建设银行重庆分行", bankAccountNumber: "5000 1234 5678 9012 345" }],
      },
    ),

    WithdrawalListQuery: Type.Object(
      { status: Type.Optional(WithdrawalStatus()), ...PageQuery },
      { additionalProperties: false },
    ),

    RejectBody: Type.Object(
      { reason: Type.String({ minLength: 1, maxLength: 500, description: "Shown to the organisation" }) },
      { additionalProperties: false, examples: [{ reason: "开户名与机构名称不符 / the account name does not match the organisation" }] },
    ),

    CreatePayoutBatchBody: Type.Object(
      {
        withdrawalIds: Type.Optional(
          Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
            minItems: 1,
            maxItems: MAX_PAYOUT_BATCH,
            uniqueItems: true,
            description: `Omit to pay the oldest requested withdrawals, at most ${MAX_PAYOUT_BATCH}`,
          }),
        ),
      },
      { additionalProperties: false, examples: [{ withdrawalIds: ["wdr_06f4qk2m8n1r3t5v7x9z0b2d4g"] }, {}] },
    ),

    PayoutBatchListQuery: Type.Object({ ...PageQuery }, { additionalProperties: false }),

    PayoutBatch: Type.Object({
      id: Type.String(),
      status: Type.Union([Type.Literal("posting"), Type.Literal("posted")], {
        description: "posting: the holds are being posted and the batch becomes posted by itself; download the file once it is posted",
      }),
      gateway: Type.String(),
      count: Type.Integer(),
      totalFen: Type.Integer(),
      createdAt: Type.String(),
      withdrawals: Type.Array(Withdrawal),
    }),
  };
  return { ...schemas, PayoutBatchPage: PageOf(schemas.PayoutBatch) };
}
export type PaymentsSchemas = ReturnType<typeof createPaymentsSchemas>;
