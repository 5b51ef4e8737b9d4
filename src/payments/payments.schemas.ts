/** TypeBox schemas of the payments API. */
import { Type } from "typebox";

const Fen = (description: string) => Type.Integer({ minimum: 1, maximum: 9_000_000_000_000, description });

export const FundingInstructions = Type.Object({
  method: Type.Literal("bank_transfer"),
  reference: Type.String(),
  amountFen: Type.Integer(),
  amount: Type.String(),
  bankName: Type.String(),
  accountName: Type.String(),
  accountNumber: Type.String(),
  note: Type.String(),
});

export const TopUp = Type.Object({
  reference: Type.String({ description: "Quote it on the bank transfer" }),
  organisationId: Type.String(),
  accountId: Type.String(),
  requestedFen: Type.Integer(),
  receivedFen: Type.Union([Type.Integer(), Type.Null()]),
  status: Type.Union([Type.Literal("awaiting_transfer"), Type.Literal("confirmed")]),
  instructions: FundingInstructions,
  createdAt: Type.String(),
  confirmedAt: Type.Union([Type.String(), Type.Null()]),
});

export const CreateTopUpBody = Type.Object({ amountFen: Fen("Amount to pay in, integer fen") }, { additionalProperties: false });

export const ConfirmTopUpBody = Type.Object(
  {
    amountFen: Fen("Amount the bank actually received, integer fen"),
    bankTransactionId: Type.String({ minLength: 1, maxLength: 100, description: "The bank's id of the incoming transfer" }),
  },
  { additionalProperties: false },
);

export const RefParams = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: false });

export const TopUpListQuery = Type.Object(
  { status: Type.Optional(Type.Union([Type.Literal("awaiting_transfer"), Type.Literal("confirmed")])), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
  { additionalProperties: false },
);

export const Withdrawal = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  accountId: Type.String(),
  amountFen: Type.Integer(),
  amount: Type.String(),
  bankAccountName: Type.String(),
  bankName: Type.String(),
  bankAccountNumber: Type.String(),
  status: Type.Union([Type.Literal("requested"), Type.Literal("paid"), Type.Literal("rejected")]),
  statusReason: Type.Union([Type.String(), Type.Null()]),
  batchId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});

export const CreateWithdrawalBody = Type.Object(
  {
    amountFen: Fen("Amount to withdraw, integer fen"),
    bankAccountName: Type.String({ minLength: 2, maxLength: 100 }),
    bankName: Type.String({ minLength: 2, maxLength: 100 }),
    bankAccountNumber: Type.String({ minLength: 8, maxLength: 40 }),
  },
  { additionalProperties: false },
);

export const WithdrawalListQuery = Type.Object(
  { status: Type.Optional(Type.Union([Type.Literal("requested"), Type.Literal("paid"), Type.Literal("rejected")])), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
  { additionalProperties: false },
);

export const RejectBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false });

export const CreatePayoutBatchBody = Type.Object(
  { withdrawalIds: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 10_000, uniqueItems: true, description: "Omit to pay every requested withdrawal" })) },
  { additionalProperties: false },
);

export const PayoutBatch = Type.Object({
  id: Type.String(),
  gateway: Type.String(),
  count: Type.Integer(),
  totalFen: Type.Integer(),
  createdAt: Type.String(),
  withdrawals: Type.Array(Withdrawal),
});
