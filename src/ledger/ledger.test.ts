import { describe, expect, it } from "vitest";
import {
  AccountFlags,
  CREATE_ACCOUNT_RESULTS,
  CREATE_TRANSFER_RESULTS,
  GENESIS_HASH,
  Ledger,
  MAX_AMOUNT,
  MAX_TIMEOUT_MS,
  TransferFlags,
  canonicalTransfer,
  chainLink,
  expireRecordId,
  hashAccount,
  transferContentHash,
  walkChain,
} from "./index";
import type {
  AccountInput,
  AccountRecord,
  ChainEntry,
  CreateAccountResult,
  CreateTransferResult,
  TransferInput,
  TransferRecord,
} from "./index";

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z in ms
const { linked, balancingDebit, balancingCredit, closingDebit, closingCredit } = TransferFlags;

const seenTransferResults = new Set<CreateTransferResult>();
const seenAccountResults = new Set<CreateAccountResult>();

/** A ledger with a few accounts, and helpers that remember every record for replay checks. */
function setup() {
  const ledger = new Ledger();
  const accounts: AccountRecord[] = [];
  const transfers: TransferRecord[] = [];
  let now = T0;
  const createAccounts = (inputs: AccountInput[], at = now) => {
    const out = ledger.createAccounts(inputs, at);
    out.results.forEach((r) => seenAccountResults.add(r));
    accounts.push(...out.records);
    return out;
  };
  createAccounts([
    { id: "wallet", ledger: "CNY", code: "wallet", ownerId: "org_1", flags: AccountFlags.debitsMustNotExceedCredits },
    { id: "wallet2", ledger: "CNY", code: "wallet", ownerId: "org_2", flags: AccountFlags.debitsMustNotExceedCredits },
    { id: "escrow", ledger: "CNY", code: "escrow", ownerId: "contract_1" },
    { id: "clearing", ledger: "CNY", code: "clearing" },
    { id: "fees", ledger: "CNY", code: "platform_fee" },
    { id: "asset", ledger: "CNY", code: "suspense", flags: AccountFlags.creditsMustNotExceedDebits },
    { id: "usd", ledger: "USD", code: "wallet" },
    { id: "usd2", ledger: "USD", code: "clearing" },
    { id: "ice", ledger: "CNY", code: "suspense", flags: AccountFlags.frozen },
  ]);
  const run = (batch: TransferInput[], at?: number) => {
    now = at ?? now + 1;
    const out = ledger.createTransfers(batch, now);
    out.results.forEach((r) => seenTransferResults.add(r));
    transfers.push(...out.records);
    return out;
  };
  const one = (t: TransferInput, at?: number): CreateTransferResult => {
    const out = run([t], at);
    return out.results[0] as CreateTransferResult;
  };
  const fund = (accountId: string, amount: bigint) =>
    expect(one({ id: `fund_${accountId}_${transfers.length}`, debitAccountId: "clearing", creditAccountId: accountId, amount, ledger: "CNY", code: "top_up" })).toBe("ok");
  const bal = (id: string) => {
    const b = ledger.balances(id);
    if (b === undefined) throw new Error(`no account ${id}`);
    return { dp: b.debitsPending, dP: b.debitsPosted, cp: b.creditsPending, cP: b.creditsPosted };
  };
  /** Asserts the books balance and that replaying the records gives the same state. */
  const check = () => {
    expect(ledger.invariants()).toEqual({ ok: true, problems: [] });
    const replayed = Ledger.restore(accounts, transfers);
    expect([...replayed.listAccounts()]).toEqual([...ledger.listAccounts()]);
    // failed events consume timestamps but are not stored, so the restored clock may be behind
    expect(replayed.lastTimestamp).toBe(transfers.at(-1)?.timestamp ?? accounts.at(-1)?.timestamp);
    expect(ledger.lastTimestamp).toBeGreaterThanOrEqual(replayed.lastTimestamp);
  };
  return { ledger, accounts, transfers, run, one, fund, bal, check, createAccounts, now: () => now };
}

const pay = (id: string, amount: bigint | null, extra: Partial<TransferInput> = {}): TransferInput => ({
  id,
  debitAccountId: "wallet",
  creditAccountId: "escrow",
  amount,
  ledger: "CNY",
  code: "fill",
  ...extra,
});
const hold = (id: string, amount: bigint, extra: Partial<TransferInput> = {}): TransferInput =>
  pay(id, amount, { kind: "pending", code: "order_hold", ...extra });

describe("accounts", () => {
  it("creates accounts with timestamps and answers duplicates", () => {
    const { ledger, createAccounts } = setup();
    const out = createAccounts([
      { id: "acc_a", ledger: "CNY", code: "worker_payable", ownerId: "w1" },
      { id: "acc_a", ledger: "CNY", code: "worker_payable", ownerId: "w1" },
      { id: "acc_a", ledger: "CNY", code: "worker_payable", ownerId: "w2" },
      { id: "wallet", ledger: "CNY", code: "wallet", ownerId: "org_1", flags: AccountFlags.debitsMustNotExceedCredits },
    ]);
    expect(out.results).toEqual(["ok", "exists", "exists_with_different_fields", "exists"]);
    expect(out.records).toHaveLength(1);
    const a = ledger.lookupAccount("acc_a");
    expect(a).toMatchObject({ id: "acc_a", ledger: "CNY", code: "worker_payable", ownerId: "w1", flags: 0, userData: null, debitsPosted: 0n, frozen: false });
    expect(a?.timestamp).toBeGreaterThan(T0 * 1000);
    expect(ledger.lookupAccount("nope")).toBeUndefined();
    expect(ledger.balances("nope")).toBeUndefined();
  });

  it("validates account fields", () => {
    const { createAccounts } = setup();
    const bad = (a: Partial<AccountInput>) =>
      createAccounts([{ id: "x1", ledger: "CNY", code: "wallet", ...a } as AccountInput]).results[0];
    expect(bad({ id: "" })).toBe("id_must_not_be_empty");
    expect(bad({ ledger: "" })).toBe("ledger_must_not_be_empty");
    expect(bad({ code: "piggy_bank" as never })).toBe("code_invalid");
    expect(bad({ flags: 8 })).toBe("reserved_flag");
    expect(bad({ flags: 1.5 })).toBe("reserved_flag");
    expect(bad({ flags: AccountFlags.debitsMustNotExceedCredits | AccountFlags.creditsMustNotExceedDebits })).toBe(
      "flags_are_mutually_exclusive",
    );
    expect(bad({ ownerId: "" })).toBe("owner_id_invalid");
    expect(bad({ userData: 5 as never })).toBe("user_data_invalid");
    expect(bad({})).toBe("ok");
  });
});

describe("single transfers", () => {
  it("moves money and keeps double entry", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    const out = t.run([pay("t1", 300n, { userData: "contract_1" })]);
    expect(out.results).toEqual(["ok"]);
    expect(out.records[0]).toEqual({
      id: "t1",
      kind: "single",
      debitAccountId: "wallet",
      creditAccountId: "escrow",
      amount: 300n,
      pendingId: null,
      ledger: "CNY",
      code: "fill",
      flags: 0,
      timeoutMs: 0,
      userData: "contract_1",
      timestamp: t.now() * 1000,
    });
    expect(t.bal("wallet")).toEqual({ dp: 0n, dP: 300n, cp: 0n, cP: 1000n });
    expect(t.bal("escrow")).toEqual({ dp: 0n, dP: 0n, cp: 0n, cP: 300n });
    expect(t.ledger.lookupTransfer("t1")).toEqual(out.records[0]);
    t.check();
  });

  it("refuses an overdraft on a no-overdraft account, to the fen", () => {
    const t = setup();
    t.fund("wallet", 100n);
    expect(t.one(pay("t1", 101n))).toBe("exceeds_credits");
    expect(t.one(pay("t1", 100n))).toBe("ok");
    expect(t.one(pay("t2", 1n))).toBe("exceeds_credits");
    t.check();
  });

  it("refuses credits beyond debits on a credits-must-not-exceed-debits account", () => {
    const t = setup();
    expect(t.one({ id: "a1", debitAccountId: "asset", creditAccountId: "clearing", amount: 50n, ledger: "CNY", code: "x" })).toBe("ok");
    const back = (id: string, amount: bigint) => ({ id, debitAccountId: "clearing", creditAccountId: "asset", amount, ledger: "CNY", code: "x" });
    expect(t.one(back("a2", 51n))).toBe("exceeds_debits");
    expect(t.one(back("a2", 50n))).toBe("ok");
    t.check();
  });

  it("validates every field, in order", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    const r = (x: Partial<TransferInput>) => t.one({ ...pay("v1", 10n), ...x } as TransferInput);
    expect(r({ id: "" })).toBe("id_must_not_be_empty");
    expect(r({ id: 7 as never })).toBe("id_must_not_be_empty");
    expect(r({ id: "~mine" })).toBe("id_is_reserved");
    expect(r({ kind: "expire" as never })).toBe("kind_invalid");
    expect(r({ flags: 32 })).toBe("reserved_flag");
    expect(r({ flags: -1 })).toBe("reserved_flag");
    expect(r({ flags: 2 ** 32 + 1 })).toBe("reserved_flag");
    expect(r({ debitAccountId: "" })).toBe("debit_account_id_must_not_be_empty");
    expect(r({ debitAccountId: undefined })).toBe("debit_account_id_must_not_be_empty");
    expect(r({ creditAccountId: null })).toBe("credit_account_id_must_not_be_empty");
    expect(r({ creditAccountId: "wallet" })).toBe("accounts_must_be_different");
    expect(r({ pendingId: "h" })).toBe("pending_id_must_be_empty");
    expect(r({ timeoutMs: 5 })).toBe("timeout_reserved_for_pending_transfer");
    expect(r({ flags: closingDebit })).toBe("closing_transfer_must_be_pending");
    expect(r({ ledger: "" })).toBe("ledger_must_not_be_empty");
    expect(r({ code: "" })).toBe("code_must_not_be_empty");
    expect(r({ userData: 1 as never })).toBe("user_data_invalid");
    expect(r({ amount: 10 as never })).toBe("amount_invalid");
    expect(r({ amount: -1n })).toBe("amount_must_not_be_negative");
    expect(r({ amount: 0n })).toBe("amount_must_not_be_zero");
    expect(r({ amount: null })).toBe("amount_must_not_be_zero");
    expect(r({ debitAccountId: "ghost" })).toBe("debit_account_not_found");
    expect(r({ creditAccountId: "ghost" })).toBe("credit_account_not_found");
    expect(r({ creditAccountId: "usd" })).toBe("accounts_must_have_the_same_ledger");
    expect(r({ debitAccountId: "usd", creditAccountId: "usd2" })).toBe("transfer_must_have_the_same_ledger_as_accounts");
    expect(r({ debitAccountId: "ice" })).toBe("debit_account_frozen");
    expect(r({ creditAccountId: "ice" })).toBe("credit_account_frozen");
    expect(r({ amount: MAX_AMOUNT })).toBe("exceeds_credits");
    expect(r({})).toBe("ok");
    expect(t.transfers).toHaveLength(2); // the funding and v1: failures store nothing
    t.check();
  });

  it("refuses amounts and balances beyond BIGINT", () => {
    const t = setup();
    const big = (id: string, amount: bigint, debit = "clearing", credit = "escrow") => ({ id, debitAccountId: debit, creditAccountId: credit, amount, ledger: "CNY", code: "x" });
    expect(t.one(big("b0", MAX_AMOUNT + 1n))).toBe("overflows_debits");
    expect(t.one(big("b1", MAX_AMOUNT))).toBe("ok");
    expect(t.one(big("b2", 1n))).toBe("overflows_debits");
    expect(t.one(big("b3", 1n, "fees"))).toBe("overflows_credits");
    t.check();
  });
});

describe("idempotency", () => {
  it("answers exists for the same fields and exists_with_different_fields otherwise", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    expect(t.one(pay("t1", 100n))).toBe("ok");
    expect(t.one(pay("t1", 100n))).toBe("exists");
    expect(t.one(pay("t1", 101n))).toBe("exists_with_different_fields");
    expect(t.one(pay("t1", 100n, { code: "other" }))).toBe("exists_with_different_fields");
    expect(t.one(pay("t1", 100n, { userData: "x" }))).toBe("exists_with_different_fields");
    expect(t.one(pay("t1", 100n, { kind: "pending" }))).toBe("exists_with_different_fields");
    expect(t.one(pay("t1", 100n, { flags: balancingDebit }))).toBe("exists_with_different_fields");
    // an identical retry is exists even where a fresh transfer would now fail
    expect(t.one(pay("drain", 900n))).toBe("ok");
    expect(t.one(pay("t1", 100n))).toBe("exists");
    expect(t.bal("wallet").dP).toBe(1000n);
    // a duplicate within one batch
    t.fund("wallet", 10n);
    expect(t.run([pay("d1", 5n), pay("d1", 5n), pay("d1", 6n)]).results).toEqual(["ok", "exists", "exists_with_different_fields"]);
    t.check();
  });

  it("does not store failed transfers, so their ids may be retried", () => {
    const t = setup();
    expect(t.one(pay("t1", 100n))).toBe("exceeds_credits");
    t.fund("wallet", 100n);
    expect(t.one(pay("t1", 100n))).toBe("ok");
    t.check();
  });

  it("treats omitted post/void fields as inherited, and null post amount as the whole hold", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    expect(t.one(hold("h1", 100n, { userData: "order_1" }))).toBe("ok");
    expect(t.one({ id: "p1", kind: "post", pendingId: "h1" })).toBe("ok");
    expect(t.ledger.lookupTransfer("p1")).toMatchObject({ amount: 100n, debitAccountId: "wallet", code: "order_hold", userData: "order_1" });
    expect(t.one({ id: "p1", kind: "post", pendingId: "h1", amount: 100n, debitAccountId: "wallet", creditAccountId: "escrow", ledger: "CNY", code: "order_hold" })).toBe("exists");
    expect(t.one({ id: "p1", kind: "post", pendingId: "h1", amount: 99n })).toBe("exists_with_different_fields");
    expect(t.one({ id: "p1", kind: "post", pendingId: "h1", code: "fill" })).toBe("exists_with_different_fields");
    expect(t.one({ id: "p1", kind: "void", pendingId: "h1" })).toBe("exists_with_different_fields");

    expect(t.one(hold("h2", 100n))).toBe("ok");
    expect(t.one({ id: "p2", kind: "post", pendingId: "h2", amount: 60n })).toBe("ok");
    expect(t.one({ id: "p2", kind: "post", pendingId: "h2" })).toBe("exists_with_different_fields"); // null = whole hold ≠ 60
    expect(t.one({ id: "p2", kind: "post", pendingId: "h2", amount: 60n })).toBe("exists");
    t.check();
  });
});

describe("two-phase transfers", () => {
  it("holds, then posts in full", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    expect(t.one(hold("h1", 400n))).toBe("ok");
    expect(t.bal("wallet")).toEqual({ dp: 400n, dP: 0n, cp: 0n, cP: 1000n });
    expect(t.bal("escrow")).toEqual({ dp: 0n, dP: 0n, cp: 400n, cP: 0n });
    expect(t.ledger.holdStatus("h1")).toBe("pending");
    expect(t.one({ id: "p1", kind: "post", pendingId: "h1" })).toBe("ok");
    expect(t.bal("wallet")).toEqual({ dp: 0n, dP: 400n, cp: 0n, cP: 1000n });
    expect(t.bal("escrow")).toEqual({ dp: 0n, dP: 0n, cp: 0n, cP: 400n });
    expect(t.ledger.holdStatus("h1")).toBe("posted");
    t.check();
  });

  it("posts part of a hold and releases the rest", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    expect(t.one(hold("h1", 400n))).toBe("ok");
    expect(t.one({ id: "p1", kind: "post", pendingId: "h1", amount: 401n })).toBe("exceeds_pending_transfer_amount");
    expect(t.one({ id: "p1", kind: "post", pendingId: "h1", amount: 0n })).toBe("amount_must_not_be_zero");
    expect(t.one({ id: "p1", kind: "post", pendingId: "h1", amount: -1n })).toBe("amount_must_not_be_negative");
    expect(t.one({ id: "p1", kind: "post", pendingId: "h1", amount: 150n })).toBe("ok");
    expect(t.bal("wallet")).toEqual({ dp: 0n, dP: 150n, cp: 0n, cP: 1000n });
    expect(t.bal("escrow")).toEqual({ dp: 0n, dP: 0n, cp: 0n, cP: 150n });
    t.check();
  });

  it("voids a hold", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    expect(t.one(hold("h1", 400n))).toBe("ok");
    expect(t.one({ id: "v1", kind: "void", pendingId: "h1", amount: 399n })).toBe("pending_transfer_has_different_amount");
    expect(t.one({ id: "v1", kind: "void", pendingId: "h1", amount: 400n })).toBe("ok");
    expect(t.bal("wallet")).toEqual({ dp: 0n, dP: 0n, cp: 0n, cP: 1000n });
    expect(t.ledger.holdStatus("h1")).toBe("voided");
    t.check();
  });

  it("counts pending debits against the limit, so a hold cannot overdraw", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    expect(t.one(hold("h1", 700n))).toBe("ok");
    expect(t.one(hold("h2", 301n))).toBe("exceeds_credits");
    expect(t.one(pay("s1", 301n))).toBe("exceeds_credits");
    expect(t.one(hold("h2", 300n))).toBe("ok");
    expect(t.one(pay("s1", 1n))).toBe("exceeds_credits");
    expect(t.one({ id: "v1", kind: "void", pendingId: "h1" })).toBe("ok");
    expect(t.one(pay("s1", 700n))).toBe("ok");
    t.check();
  });

  it("resolves a hold at most once", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    expect(t.one(hold("h1", 100n))).toBe("ok");
    expect(t.one(hold("h2", 100n))).toBe("ok");
    expect(t.one({ id: "p1", kind: "post", pendingId: "h1", amount: 10n })).toBe("ok");
    expect(t.one({ id: "p2", kind: "post", pendingId: "h1" })).toBe("pending_transfer_already_posted");
    expect(t.one({ id: "p2", kind: "void", pendingId: "h1" })).toBe("pending_transfer_already_posted");
    expect(t.one({ id: "v2", kind: "void", pendingId: "h2" })).toBe("ok");
    expect(t.one({ id: "p3", kind: "post", pendingId: "h2" })).toBe("pending_transfer_already_voided");
    expect(t.one({ id: "v3", kind: "void", pendingId: "h2" })).toBe("pending_transfer_already_voided");
    // both resolutions in one batch: the second loses
    expect(t.one(hold("h3", 100n))).toBe("ok");
    expect(
      t.run([
        { id: "p4", kind: "post", pendingId: "h3" },
        { id: "v4", kind: "void", pendingId: "h3" },
      ]).results,
    ).toEqual(["ok", "pending_transfer_already_posted"]);
    t.check();
  });

  it("validates post and void", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    expect(t.one(hold("h1", 100n))).toBe("ok");
    expect(t.one(pay("s1", 10n))).toBe("ok");
    const r = (x: Partial<TransferInput>) => t.one({ id: "pv", kind: "post", pendingId: "h1", ...x });
    expect(r({ pendingId: "" })).toBe("pending_id_must_not_be_empty");
    expect(r({ pendingId: null })).toBe("pending_id_must_not_be_empty");
    expect(r({ pendingId: "pv" })).toBe("pending_id_must_be_different");
    expect(r({ timeoutMs: 10 })).toBe("timeout_reserved_for_pending_transfer");
    expect(r({ flags: balancingDebit })).toBe("flags_are_mutually_exclusive");
    expect(r({ flags: closingCredit, kind: "void" })).toBe("flags_are_mutually_exclusive");
    expect(r({ userData: 3 as never })).toBe("user_data_invalid");
    expect(r({ amount: 5 as never })).toBe("amount_invalid");
    expect(r({ pendingId: "ghost" })).toBe("pending_transfer_not_found");
    expect(r({ pendingId: "s1" })).toBe("pending_transfer_not_pending");
    expect(r({ debitAccountId: "wallet2" })).toBe("pending_transfer_has_different_debit_account_id");
    expect(r({ creditAccountId: "fees" })).toBe("pending_transfer_has_different_credit_account_id");
    expect(r({ ledger: "USD" })).toBe("pending_transfer_has_different_ledger");
    expect(r({ code: "fill" })).toBe("pending_transfer_has_different_code");
    expect(r({ debitAccountId: "wallet", creditAccountId: "escrow", ledger: "CNY", code: "order_hold", userData: "own" })).toBe("ok");
    expect(t.ledger.lookupTransfer("pv")?.userData).toBe("own");
    t.check();
  });

  it("expires holds by time: records the expiry, releases the money, refuses late posts", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    const start = t.now() + 1;
    expect(t.one(hold("h1", 100n, { timeoutMs: 1000 }), start)).toBe("ok");
    expect(t.one(hold("h2", 200n, { timeoutMs: 500 }), start)).toBe("ok");
    expect(t.one(hold("h3", 300n), start)).toBe("ok"); // never expires
    expect(t.one(hold("h4", 1n, { timeoutMs: -1 }))).toBe("timeout_invalid");
    expect(t.one(hold("h4", 1n, { timeoutMs: 1.5 }))).toBe("timeout_invalid");
    expect(t.one(hold("h4", 1n, { timeoutMs: MAX_TIMEOUT_MS + 1 }))).toBe("timeout_invalid");

    // h2 got the second µs of `start`, so it is due 1 µs after start + 500 ms
    expect(t.ledger.expirePending(start + 500)).toEqual([]);
    const expired = t.ledger.expirePending(start + 501);
    t.transfers.push(...expired);
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ id: expireRecordId("h2"), kind: "expire", pendingId: "h2", amount: 200n, debitAccountId: "wallet", creditAccountId: "escrow" });
    expect(t.ledger.holdStatus("h2")).toBe("expired");
    expect(t.bal("wallet").dp).toBe(400n);
    expect(t.one({ id: "p2", kind: "post", pendingId: "h2" }, start + 600)).toBe("pending_transfer_expired");

    // h1 is due at start+1000; a post at that instant is already too late, and the
    // next batch writes the expiry record before its own transfers
    expect(t.one({ id: "p1", kind: "post", pendingId: "h1" }, start + 999)).toBe("ok");
    expect(t.one(hold("h5", 100n, { timeoutMs: 10 }), start + 1000)).toBe("ok");
    const out = t.run([{ id: "p5", kind: "post", pendingId: "h5" }, pay("s1", 1n)], start + 1010);
    expect(out.results).toEqual(["pending_transfer_expired", "ok"]);
    expect(out.records.map((r) => r.id)).toEqual([expireRecordId("h5"), "s1"]);
    expect(out.records[0]?.timestamp).toBeLessThan(out.records[1]?.timestamp as number);
    expect(t.bal("wallet")).toEqual({ dp: 300n, dP: 101n, cp: 0n, cP: 1000n });
    t.check();
  });

  it("treats a hold as expired from the exact µs of its expiry", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    const at = t.now() + 10;
    // second event of its call: timestamp at×1000 + 1, due (at + 50)×1000 + 1
    const out = t.run([pay("pad", 1n), hold("h", 100n, { timeoutMs: 50 }), hold("h2", 100n, { timeoutMs: 50 })], at);
    expect(out.records[1]?.timestamp).toBe(at * 1000 + 1);
    // p2 gets µs +0, two before h2 is due; p gets µs +1, exactly when h is due
    const late = t.run([{ id: "p2", kind: "post", pendingId: "h2" }, { id: "p", kind: "post", pendingId: "h" }], at + 50);
    expect(late.results).toEqual(["ok", "pending_transfer_expired"]);
    expect(late.records.map((r) => r.timestamp)).toEqual([(at + 50) * 1000]);
    t.check();
  });

  it("expires in order of expiry, then of creation", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    const at = t.now() + 1;
    t.run([hold("a", 1n, { timeoutMs: 30 }), hold("b", 1n, { timeoutMs: 10 }), hold("c", 1n, { timeoutMs: 10 }), hold("d", 1n, { timeoutMs: 20 })], at);
    const ids = t.ledger.expirePending(at + 100).map((r) => r.pendingId);
    expect(ids).toEqual(["b", "c", "d", "a"]);
  });
});

describe("linked chains", () => {
  it("applies a chain as a unit", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    const out = t.run([
      pay("a", 500n, { flags: linked }),
      { id: "b", debitAccountId: "escrow", creditAccountId: "wallet2", amount: 450n, ledger: "CNY", code: "settle", flags: linked },
      { id: "c", debitAccountId: "escrow", creditAccountId: "fees", amount: 50n, ledger: "CNY", code: "fee" },
    ]);
    expect(out.results).toEqual(["ok", "ok", "ok"]);
    expect(out.records.map((r) => r.id)).toEqual(["a", "b", "c"]);
    expect(t.bal("escrow")).toEqual({ dp: 0n, dP: 500n, cp: 0n, cP: 500n });
    t.check();
  });

  it("rolls a failed chain back exactly, including holds, posts, voids and freezes", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    expect(t.one(hold("h0", 100n))).toBe("ok");
    expect(t.one(hold("h9", 50n))).toBe("ok");
    const before = [...t.ledger.listAccounts()];
    const out = t.run([
      pay("ok1", 1n),
      hold("h1", 300n, { flags: linked, timeoutMs: 5 }),
      { id: "p0", kind: "post", pendingId: "h0", amount: 40n, flags: linked },
      { id: "v9", kind: "void", pendingId: "h9", flags: linked },
      { id: "fz", kind: "pending", debitAccountId: "wallet2", creditAccountId: "escrow", amount: 0n, ledger: "CNY", code: "freeze", flags: linked | closingDebit },
      pay("s1", 100n, { flags: linked }),
      pay("s2", 10_000n), // fails: exceeds credits
      pay("ok2", 1n),
    ]);
    expect(out.results).toEqual(["ok", "linked_event_failed", "linked_event_failed", "linked_event_failed", "linked_event_failed", "linked_event_failed", "exceeds_credits", "ok"]);
    expect(out.records.map((r) => r.id)).toEqual(["ok1", "ok2"]);
    const after = [...t.ledger.listAccounts()];
    const wallet = (xs: typeof before) => xs.find((a) => a.id === "wallet");
    expect(wallet(after)?.debitsPosted).toBe((wallet(before)?.debitsPosted ?? 0n) + 2n);
    expect(after.filter((a) => a.id !== "wallet" && a.id !== "escrow")).toEqual(before.filter((a) => a.id !== "wallet" && a.id !== "escrow"));
    expect(t.ledger.holdStatus("h0")).toBe("pending");
    expect(t.ledger.holdStatus("h9")).toBe("pending");
    expect(t.ledger.holdStatus("h1")).toBeUndefined();
    expect(t.ledger.lookupTransfer("p0")).toBeUndefined();
    expect(t.ledger.balances("wallet2")?.frozen).toBe(false);
    // the rolled-back hold never expires
    expect(t.ledger.expirePending(t.now() + 1000)).toEqual([]);
    // and every id may be retried
    expect(t.run([{ id: "p0", kind: "post", pendingId: "h0" }, hold("h1", 1n)]).results).toEqual(["ok", "ok"]);
    t.check();
  });

  it("fails every member of a chain whose first member fails, and reports the failure on the right member", () => {
    const t = setup();
    t.fund("wallet", 100n);
    const out = t.run([pay("a", 0n, { flags: linked }), pay("b", 1n, { flags: linked }), pay("c", 1n), pay("d", 1n)]);
    expect(out.results).toEqual(["amount_must_not_be_zero", "linked_event_failed", "linked_event_failed", "ok"]);
  });

  it("fails a chain left open at the end of the batch", () => {
    const t = setup();
    t.fund("wallet", 100n);
    expect(t.run([pay("a", 1n), pay("b", 1n, { flags: linked }), pay("c", 1n, { flags: linked })]).results).toEqual([
      "ok",
      "linked_event_failed",
      "linked_event_chain_open",
    ]);
    expect(t.run([pay("d", 1n, { flags: linked })]).results).toEqual(["linked_event_chain_open"]);
    expect(t.ledger.lookupTransfer("b")).toBeUndefined();
    t.check();
  });

  it("answers exists for every member when a committed chain is retried", () => {
    const t = setup();
    t.fund("wallet", 100n);
    const chain = [pay("a", 10n, { flags: linked }), pay("b", 20n, { flags: linked }), pay("c", 30n)];
    expect(t.run(chain).results).toEqual(["ok", "ok", "ok"]);
    expect(t.run(chain).results).toEqual(["exists", "exists", "exists"]);
    // a changed member fails the retried chain
    expect(t.run([chain[0] as TransferInput, pay("b", 21n, { flags: linked }), chain[2] as TransferInput]).results).toEqual([
      "linked_event_failed",
      "exists_with_different_fields",
      "linked_event_failed",
    ]);
    expect(t.bal("wallet").dP).toBe(60n);
    t.check();
  });

  it("lets a later member of a chain see the effects of earlier ones", () => {
    const t = setup();
    const out = t.run([
      { id: "in", debitAccountId: "clearing", creditAccountId: "wallet", amount: 100n, ledger: "CNY", code: "top_up", flags: linked },
      hold("h", 100n, { flags: linked }),
      { id: "p", kind: "post", pendingId: "h", amount: 70n },
    ]);
    expect(out.results).toEqual(["ok", "ok", "ok"]);
    expect(t.bal("wallet")).toEqual({ dp: 0n, dP: 70n, cp: 0n, cP: 100n });
    t.check();
  });
});

describe("balancing transfers", () => {
  it("moves at most what the debit account has", () => {
    const t = setup();
    t.fund("wallet", 300n);
    expect(t.one(hold("h", 100n))).toBe("ok");
    expect(t.one(pay("sweep", 1000n, { flags: balancingDebit }))).toBe("ok");
    expect(t.ledger.lookupTransfer("sweep")?.amount).toBe(200n);
    expect(t.one(pay("sweep", 500n, { flags: balancingDebit }))).toBe("exists"); // a cap above what moved
    expect(t.one(pay("sweep", 199n, { flags: balancingDebit }))).toBe("exists_with_different_fields");
    expect(t.one(pay("sweep2", null, { flags: balancingDebit }))).toBe("ok");
    expect(t.ledger.lookupTransfer("sweep2")?.amount).toBe(0n); // nothing left: moves zero
    t.check();
  });

  it("empties an escrow to zero in a settlement chain", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    expect(t.one(pay("fund_escrow", 800n))).toBe("ok");
    const out = t.run([
      { id: "s1", debitAccountId: "escrow", creditAccountId: "wallet2", amount: 600n, ledger: "CNY", code: "settle", flags: linked },
      { id: "s2", debitAccountId: "escrow", creditAccountId: "fees", amount: 48n, ledger: "CNY", code: "fee", flags: linked },
      { id: "s3", debitAccountId: "escrow", creditAccountId: "wallet", amount: null, ledger: "CNY", code: "refund", flags: balancingDebit },
    ]);
    expect(out.results).toEqual(["ok", "ok", "ok"]);
    expect(t.ledger.lookupTransfer("s3")?.amount).toBe(152n);
    const e = t.bal("escrow");
    expect(e.cP - e.dP).toBe(0n);
    t.check();
  });

  it("caps by the credit account with balancingCredit", () => {
    const t = setup();
    expect(t.one({ id: "a1", debitAccountId: "asset", creditAccountId: "clearing", amount: 80n, ledger: "CNY", code: "x" })).toBe("ok");
    expect(t.one({ id: "a2", debitAccountId: "clearing", creditAccountId: "asset", amount: 100n, ledger: "CNY", code: "x", flags: balancingCredit })).toBe("ok");
    expect(t.ledger.lookupTransfer("a2")?.amount).toBe(80n);
    t.check();
  });

  it("holds what is available with a balancing pending transfer", () => {
    const t = setup();
    t.fund("wallet", 50n);
    expect(t.one(hold("h", 80n, { flags: balancingDebit }))).toBe("ok");
    expect(t.ledger.lookupTransfer("h")?.amount).toBe(50n);
    t.check();
  });
});

describe("frozen accounts", () => {
  it("refuses transfers on an account created frozen", () => {
    const t = setup();
    expect(t.one({ id: "x", debitAccountId: "clearing", creditAccountId: "ice", amount: 1n, ledger: "CNY", code: "x" })).toBe("credit_account_frozen");
    expect(t.ledger.lookupAccount("ice")?.frozen).toBe(true);
  });

  it("freezes with a closing hold and unfreezes when it is voided or expires; holds may still be released", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    expect(t.one(hold("h_old", 100n))).toBe("ok");
    const freeze = { id: "fz", kind: "pending" as const, debitAccountId: "wallet", creditAccountId: "fees", amount: 0n, ledger: "CNY", code: "dispute_freeze", flags: closingDebit };
    expect(t.one(freeze)).toBe("ok");
    expect(t.ledger.balances("wallet")?.frozen).toBe(true);
    expect(t.ledger.balances("fees")?.frozen).toBe(false);
    expect(t.one(pay("s1", 1n))).toBe("debit_account_frozen");
    expect(t.one({ id: "in", debitAccountId: "clearing", creditAccountId: "wallet", amount: 1n, ledger: "CNY", code: "x" })).toBe("credit_account_frozen");
    expect(t.one({ ...freeze, id: "fz2" })).toBe("debit_account_frozen");
    expect(t.one({ id: "p_old", kind: "post", pendingId: "h_old" })).toBe("debit_account_frozen");
    expect(t.one({ id: "p_fz", kind: "post", pendingId: "fz" })).toBe("debit_account_frozen");
    expect(t.one({ id: "v_old", kind: "void", pendingId: "h_old" })).toBe("ok");
    expect(t.one({ id: "unfreeze", kind: "void", pendingId: "fz" })).toBe("ok");
    expect(t.ledger.balances("wallet")?.frozen).toBe(false);
    expect(t.one(pay("s1", 1n))).toBe("ok");

    // a timed freeze, on the credit side, lifts itself
    const at = t.now() + 1;
    expect(t.one({ id: "fz3", kind: "pending", debitAccountId: "clearing", creditAccountId: "escrow", amount: 5n, ledger: "CNY", code: "freeze", flags: closingCredit, timeoutMs: 100 }, at)).toBe("ok");
    expect(t.ledger.balances("escrow")?.frozen).toBe(true);
    expect(t.one(pay("s2", 1n), at + 50)).toBe("credit_account_frozen");
    expect(t.one(pay("s2", 1n), at + 100)).toBe("ok");
    expect(t.ledger.balances("escrow")?.frozen).toBe(false);
    t.check();
  });
});

describe("failure inside a batch", () => {
  it("undoes everything the call did, expiries included, if it throws", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    const at = t.now() + 1;
    expect(t.one(hold("h", 100n, { timeoutMs: 5 }), at)).toBe("ok");
    const before = [...t.ledger.listAccounts()];
    const count = t.ledger.transferCount;
    const poisoned = pay("boom", 1n);
    Object.defineProperty(poisoned, "code", {
      get() {
        throw new Error("poisoned input");
      },
    });
    expect(() => t.ledger.createTransfers([pay("fine", 1n, { flags: linked }), pay("fine2", 1n), poisoned], at + 10)).toThrow("poisoned input");
    expect([...t.ledger.listAccounts()]).toEqual(before);
    expect(t.ledger.transferCount).toBe(count);
    expect(t.ledger.holdStatus("h")).toBe("pending");
    // the hold is still due and expires on the next call
    expect(t.ledger.expirePending(at + 10).map((r) => r.pendingId)).toEqual(["h"]);
  });
});

describe("group commit", () => {
  it("rolls back every call of a group whose commit failed, and keeps a committed one", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    const at = t.now() + 1;
    expect(t.one(hold("h_due", 100n, { timeoutMs: 5 }), at)).toBe("ok");
    expect(t.one(hold("h_keep", 100n))).toBe("ok");
    const before = [...t.ledger.listAccounts()];
    const count = t.ledger.transferCount;

    t.ledger.openGroup();
    expect(() => t.ledger.openGroup()).toThrow(/already open/);
    expect(t.ledger.createAccounts([{ id: "new_escrow", ledger: "CNY", code: "escrow" }], at + 10).results).toEqual(["ok"]);
    const out = t.ledger.createTransfers(
      [
        pay("g1", 50n, { creditAccountId: "new_escrow" }),
        { id: "g2", kind: "post", pendingId: "h_keep", amount: 30n },
        { id: "fz", kind: "pending", debitAccountId: "wallet2", creditAccountId: "fees", amount: 0n, ledger: "CNY", code: "freeze", flags: closingDebit },
      ],
      at + 10,
    );
    expect(out.records.map((r) => r.kind)).toEqual(["expire", "single", "post", "pending"]);
    expect(t.ledger.expirePending(at + 20)).toEqual([]);
    t.ledger.rollbackGroup();

    expect(t.ledger.groupOpen).toBe(false);
    expect([...t.ledger.listAccounts()]).toEqual(before);
    expect(t.ledger.transferCount).toBe(count);
    expect(t.ledger.holdStatus("h_due")).toBe("pending");
    expect(t.ledger.holdStatus("h_keep")).toBe("pending");
    expect(t.ledger.invariants().ok).toBe(true);
    // the hold that had expired inside the rolled-back group is still due
    const again = t.run([pay("g1", 50n)], at + 30);
    expect(again.records.map((r) => r.id)).toEqual([expireRecordId("h_due"), "g1"]);

    t.ledger.openGroup();
    expect(t.one({ id: "g2", kind: "post", pendingId: "h_keep" })).toBe("ok");
    t.ledger.commitGroup();
    expect(() => t.ledger.commitGroup()).toThrow(/no group/);
    expect(() => t.ledger.rollbackGroup()).toThrow(/no group/);
    expect(t.ledger.holdStatus("h_keep")).toBe("posted");
    t.check();
  });
});

describe("group commit: expiry after rollback", () => {
  it("still expires a hold whose post was rolled back after its queue entry was dropped", () => {
    const t = setup();
    const at = t.now() + 1;
    expect(t.one({ ...hold("h", 5n, { timeoutMs: 1 }), debitAccountId: "clearing" }, at)).toBe("ok");
    t.ledger.openGroup();
    expect(t.ledger.createTransfers([{ id: "p", kind: "post", pendingId: "h" }], at).results).toEqual(["ok"]);
    expect(t.ledger.expirePending(at + 5)).toEqual([]); // drops the posted hold's queue entry
    t.ledger.rollbackGroup();
    expect(t.ledger.holdStatus("h")).toBe("pending");
    expect(t.ledger.expirePending(at + 6).map((r) => r.pendingId)).toEqual(["h"]);
  });
});

describe("timestamps, replay and verification", () => {
  it("assigns strictly increasing µs timestamps even when the clock stalls or goes back", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    const a = t.run([pay("a", 1n), pay("b", 1n)], T0 + 10).records;
    const b = t.run([pay("c", 1n)], T0 + 5).records;
    const ts = [...a, ...b].map((r) => r.timestamp);
    expect(ts[0]).toBe((T0 + 10) * 1000);
    expect(ts).toEqual([ts[0], (ts[0] as number) + 1, (ts[0] as number) + 2]);
    expect(() => t.ledger.createTransfers([], -1)).toThrow(RangeError);
    expect(() => t.ledger.createTransfers([], 1.5)).toThrow(RangeError);
    expect(() => t.ledger.createAccounts([], Number.NaN)).toThrow(RangeError);
  });

  it("refuses to restore a tampered or reordered log", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    t.one(hold("h", 300n, { timeoutMs: 10 }));
    t.one({ id: "p", kind: "post", pendingId: "h", amount: 100n });
    t.one(pay("s", 50n, { flags: balancingDebit }));
    t.check();
    const { accounts, transfers } = t;
    const tamper = (i: number, patch: Partial<TransferRecord>) =>
      transfers.map((r, k) => (k === i ? { ...r, ...patch } : r));
    expect(() => Ledger.restore(accounts, tamper(2, { amount: 301n }))).toThrow(/exceeds_pending_transfer_amount/);
    expect(() => Ledger.restore(accounts, tamper(2, { amount: 99n }))).not.toThrow(); // a different but valid history
    expect(() => Ledger.restore(accounts, tamper(3, { amount: 901n }))).toThrow(/differ/); // more than was available
    expect(() => Ledger.restore(accounts, tamper(0, { amount: 1n }))).toThrow(/exceeds_credits/);
    expect(() => Ledger.restore(accounts, [transfers[0], transfers[1], transfers[3], transfers[2]] as TransferRecord[])).toThrow(/timestamp/);
    expect(() => Ledger.restore(accounts, [...transfers, transfers[3] as TransferRecord])).toThrow(/timestamp/);
    expect(() => Ledger.restore(accounts.slice(1), transfers)).toThrow(/not_found/);
    expect(() => Ledger.restore(accounts, tamper(3, { userData: "x" }))).not.toThrow(); // valid, caught by the hash chain
    expect(() => Ledger.restore(accounts, tamper(1, { userData: "x" }))).toThrow(/differ/); // the post inherited null
    const lateExpiry = { ...(transfers[1] as TransferRecord), id: expireRecordId("h"), kind: "expire" as const, pendingId: "h", timeoutMs: 0, timestamp: (transfers[1] as TransferRecord).timestamp + 1 };
    expect(() => Ledger.restore(accounts, [transfers[0], transfers[1], lateExpiry] as TransferRecord[])).toThrow(/not pending and due/);
  });

  it("chains accounts and transfers into one sequence that detects edits, gaps and rewrites behind a checkpoint", () => {
    const t = setup();
    t.fund("wallet", 1000n);
    t.run([pay("a", 1n), pay("b", 2n, { userData: 'quote"s' })]);
    // accounts and transfers in creation (timestamp) order, numbered 1, 2, 3, …
    const records = [
      ...t.accounts.map((record) => ({ type: "account" as const, record })),
      ...t.transfers.map((record) => ({ type: "transfer" as const, record })),
    ].sort((x, y) => x.record.timestamp - y.record.timestamp);
    let prev = GENESIS_HASH;
    const entries: ChainEntry[] = records.map((r, i) => {
      const contentHash = r.type === "account" ? hashAccount(r.record) : transferContentHash(r.record);
      prev = chainLink(prev, contentHash);
      return { ...r, sequence: i + 1, contentHash, chainHash: prev } as ChainEntry;
    });
    const start = () => ({ sequence: 0, chainHash: GENESIS_HASH, timestamp: 0, anchored: 0 });
    const at = start();
    expect(walkChain(entries, at)).toBeUndefined();
    expect(at.sequence).toBe(entries.length);
    expect(entries[0]?.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalTransfer(t.transfers[1] as TransferRecord)).toContain('"1"'); // amounts as decimal strings
    expect(hashAccount(t.accounts[0] as AccountRecord)).not.toBe(hashAccount(t.accounts[1] as AccountRecord));

    // an account's flag cleared: caught at that account
    const wallet = entries.findIndex((e) => e.record.id === "wallet");
    const cleared = entries.map((e, i) => (i === wallet ? ({ ...e, record: { ...e.record, flags: 0 } } as ChainEntry) : e));
    expect(walkChain(cleared, start())).toMatchObject({ sequence: wallet + 1, type: "account", id: "wallet" });
    // a transfer's amount changed
    const last = entries.length - 1;
    const edited = entries.map((e, i) => (i === last ? ({ ...e, record: { ...e.record, amount: 3n } } as ChainEntry) : e));
    expect(walkChain(edited, start())?.sequence).toBe(last + 1);
    // a record dropped: the first missing position is named
    expect(walkChain([...entries.slice(0, 3), ...entries.slice(4)], start())).toMatchObject({ sequence: 4, reason: expect.stringMatching(/missing/) });
    // a rewrite with every hash recomputed verifies on its own, but not against a checkpoint signed before it
    let p2 = GENESIS_HASH;
    const rewritten = edited.map((e) => {
      const contentHash = e.type === "account" ? hashAccount(e.record) : transferContentHash(e.record);
      p2 = chainLink(p2, contentHash);
      return { ...e, contentHash, chainHash: p2 } as ChainEntry;
    });
    expect(walkChain(rewritten, start())).toBeUndefined();
    const signed = new Map([
      [4, { sequence: 4, chainHash: entries[3]!.chainHash, signedAt: "t1" }],
      [entries.length, { sequence: entries.length, chainHash: entries[last]!.chainHash, signedAt: "t2" }],
    ]);
    expect(walkChain(rewritten, start(), signed)).toMatchObject({ sequence: 5, reason: expect.stringMatching(new RegExp(`records 5…${entries.length} .*rewritten`)) });
  });

  it("reports broken books from invariants()", () => {
    const t = setup();
    t.fund("wallet", 100n);
    // corrupt the private state the way a bug would
    const states = (t.ledger as unknown as { accountStates: Map<string, { debitsPosted: bigint }> }).accountStates;
    (states.get("wallet") as { debitsPosted: bigint }).debitsPosted = 200n;
    const report = t.ledger.invariants();
    expect(report.ok).toBe(false);
    expect(report.problems.join("\n")).toMatch(/wallet: balances differ[\s\S]*debits exceed credits[\s\S]*posted debits 300 ≠ posted credits 100/);
  });
});

describe("result codes", () => {
  it("every transfer and account result code is exercised above", () => {
    expect(CREATE_TRANSFER_RESULTS.filter((c) => !seenTransferResults.has(c))).toEqual([]);
    expect(CREATE_ACCOUNT_RESULTS.filter((c) => !seenAccountResults.has(c))).toEqual([]);
  });
});
