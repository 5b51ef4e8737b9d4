/** TypeBox schemas of the ledger API. Money is integer fen in `*Fen` fields. */
import { Type } from "typebox";
import { PageOf, PageQuery } from "../http/schemas";

export const Account = Type.Object({
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

export const StatementLine = Type.Object({
  transferId: Type.String(),
  kind: Type.String(),
  code: Type.String(),
  direction: Type.Union([Type.Literal("debit"), Type.Literal("credit")]),
  amountFen: Type.Integer(),
  counterpartyAccountId: Type.String(),
  pendingId: Type.Union([Type.String(), Type.Null()]),
  userData: Type.Union([Type.String(), Type.Null()]),
  timestamp: Type.String({ description: "µs since the Unix epoch, as assigned by the ledger" }),
  at: Type.String({ description: "The same instant, ISO 8601" }),
  debitsPostedFen: Type.Integer({ description: "The account's posted debits after this transfer" }),
  creditsPostedFen: Type.Integer({ description: "The account's posted credits after this transfer" }),
});

export const Totals = Type.Object({
  ledger: Type.String(),
  accounts: Type.Integer(),
  debitsPostedFen: Type.Integer(),
  creditsPostedFen: Type.Integer(),
  debitsPendingFen: Type.Integer(),
  creditsPendingFen: Type.Integer(),
});

export const TrialBalance = Type.Object({
  asOf: Type.String({ description: "µs timestamp of the last committed record the totals include" }),
  ledgers: Type.Array(Totals),
  codes: Type.Array(Type.Intersect([Totals, Type.Object({ code: Type.String() })])),
});

const Fault = Type.Object({
  sequence: Type.Integer({ description: "The first bad position of the chain (records are numbered 1, 2, 3, … per shard)" }),
  type: Type.Optional(Type.Union([Type.Literal("account"), Type.Literal("transfer")])),
  id: Type.Optional(Type.String()),
  reason: Type.String(),
});

export const VerifyReport = Type.Object({
  ok: Type.Boolean(),
  invariants: Type.Object({ ok: Type.Boolean(), problems: Type.Array(Type.String()) }),
  chain: Type.Object({
    ok: Type.Boolean(),
    mode: Type.Union([Type.Literal("full"), Type.Literal("incremental")]),
    checked: Type.Integer({ description: "Records (account creations and transfers) whose hashes were recomputed" }),
    from: Type.Integer(),
    through: Type.Integer(),
    checkpointsChecked: Type.Integer(),
    lastCheckpoint: Type.Optional(Type.Object({ sequence: Type.Integer(), signedAt: Type.String() })),
    firstBad: Type.Optional(Fault),
  }),
  tip: Type.Object({ sequence: Type.Integer(), chainHash: Type.String() }),
});

export const PublicKey = Type.Object({
  algorithm: Type.Literal("Ed25519"),
  keyId: Type.String({ description: "First 16 hex digits of sha256 of the raw 32-byte public key" }),
  publicKeyPem: Type.String({ description: "SubjectPublicKeyInfo PEM" }),
  publicKeyBase64: Type.String({ description: "The raw 32-byte public key, base64" }),
});

export const Checkpoint = Type.Object({
  shard: Type.String(),
  sequence: Type.Integer({ description: "Position of the last record the checkpoint covers" }),
  chainHash: Type.String({ description: "That record's chain hash, hex" }),
  signedAt: Type.String({ description: "ISO 8601 UTC, milliseconds" }),
  keyId: Type.String(),
  signature: Type.String({ description: "Ed25519 signature of `payload` (its UTF-8 bytes), base64" }),
  payload: Type.String({
    description: 'The signed string: the JSON array ["shiftex.ledger.checkpoint.v1", shard, "<sequence>", chainHash, signedAt]',
  }),
});

export const CheckpointPage = Type.Object({
  shard: Type.String(),
  signingKey: PublicKey,
  previousKeys: Type.Array(PublicKey, { description: "Earlier signing keys whose checkpoints are still served" }),
  ...PageOf(Checkpoint).properties,
});

export const AccountPage = PageOf(Account);
export const StatementPage = PageOf(StatementLine);

export const AccountParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export const PageOnlyQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
