/**
 * Model-based test: random sequences of account and transfer batches (every
 * kind, linked chains, open chains, duplicates and retried batches, expiries,
 * time moving on) run against the real Ledger and against a deliberately
 * plain reference written below: state cloned before each chain and put back
 * on failure, holds found by scanning, no undo log, no heap, no caches. Both
 * must give the same result per item, the same records and the same balances
 * after every step; the books must balance; and replaying the records must
 * rebuild the same state.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AccountFlags, Ledger, MAX_AMOUNT, MAX_TIMEOUT_MS, TransferFlags, expireRecordId } from "./index";
import type {
  AccountCode,
  AccountInput,
  AccountRecord,
  CreateAccountResult,
  CreateTransferResult,
  PendingStatus,
  TransferInput,
  TransferRecord,
} from "./index";

// ------------------------------------------------------------ the reference

interface RefAccount {
  record: AccountRecord;
  dp: bigint;
  dP: bigint;
  cp: bigint;
  cP: bigint;
  frozen: boolean;
}

interface RefState {
  accounts: Map<string, RefAccount>;
  transfers: Map<string, TransferRecord>;
  status: Map<string, PendingStatus>;
}

const CODES: readonly string[] = ["wallet", "escrow", "supplier_payable", "worker_payable", "platform_fee", "penalty", "tax_withheld", "clearing", "suspense"];
const F = TransferFlags;

const isLinked = (t: TransferInput): boolean =>
  typeof t.flags === "number" && Number.isInteger(t.flags) && t.flags >= 1 && t.flags <= 31 && (t.flags & F.linked) !== 0;

const isStr = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const has = (v: unknown): boolean => v !== undefined && v !== null;

class Reference {
  state: RefState = { accounts: new Map(), transfers: new Map(), status: new Map() };
  clock = 0;

  private tick(nowUs: number): number {
    this.clock = Math.max(this.clock + 1, nowUs);
    return this.clock;
  }

  createAccounts(inputs: AccountInput[], nowMs: number) {
    const results: CreateAccountResult[] = [];
    const records: AccountRecord[] = [];
    for (const a of inputs) {
      const ts = this.tick(nowMs * 1000);
      const r = this.createAccount(a, ts);
      results.push(r);
      if (r === "ok") records.push((this.state.accounts.get(a.id) as RefAccount).record);
    }
    return { results, records };
  }

  private createAccount(a: AccountInput, ts: number): CreateAccountResult {
    if (!isStr(a.id)) return "id_must_not_be_empty";
    const e = this.state.accounts.get(a.id)?.record;
    if (e) {
      const same = a.ledger === e.ledger && a.code === e.code && (a.ownerId ?? null) === e.ownerId && (a.flags ?? 0) === e.flags && (a.userData ?? null) === e.userData;
      return same ? "exists" : "exists_with_different_fields";
    }
    if (!isStr(a.ledger)) return "ledger_must_not_be_empty";
    if (!CODES.includes(a.code)) return "code_invalid";
    const flags = a.flags ?? 0;
    if (!Number.isInteger(flags) || flags < 0 || flags > 7) return "reserved_flag";
    if ((flags & 3) === 3) return "flags_are_mutually_exclusive";
    if (has(a.ownerId) && !isStr(a.ownerId)) return "owner_id_invalid";
    if (has(a.userData) && typeof a.userData !== "string") return "user_data_invalid";
    const record: AccountRecord = { id: a.id, ledger: a.ledger, code: a.code, ownerId: a.ownerId ?? null, flags, userData: a.userData ?? null, timestamp: ts };
    this.state.accounts.set(a.id, { record, dp: 0n, dP: 0n, cp: 0n, cP: 0n, frozen: (flags & 4) !== 0 });
    return "ok";
  }

  private expiresAt(p: TransferRecord): number {
    return p.timeoutMs === 0 ? Infinity : p.timestamp + p.timeoutMs * 1000;
  }

  expire(nowUs: number): TransferRecord[] {
    const due = [...this.state.transfers.values()]
      .filter((p) => p.kind === "pending" && this.state.status.get(p.id) === "pending" && this.expiresAt(p) <= nowUs)
      .sort((a, b) => this.expiresAt(a) - this.expiresAt(b) || a.timestamp - b.timestamp);
    const out: TransferRecord[] = [];
    for (const p of due) {
      const r: TransferRecord = { ...p, id: expireRecordId(p.id), kind: "expire", pendingId: p.id, flags: 0, timeoutMs: 0, timestamp: this.tick(nowUs) };
      this.release(p, "expired");
      this.state.transfers.set(r.id, r);
      out.push(r);
    }
    return out;
  }

  private release(p: TransferRecord, status: PendingStatus): void {
    const dr = this.state.accounts.get(p.debitAccountId) as RefAccount;
    const cr = this.state.accounts.get(p.creditAccountId) as RefAccount;
    dr.dp -= p.amount;
    cr.cp -= p.amount;
    this.state.status.set(p.id, status);
    if (status !== "posted") {
      if (p.flags & F.closingDebit) dr.frozen = false;
      if (p.flags & F.closingCredit) cr.frozen = false;
    }
  }

  createTransfers(batch: TransferInput[], nowMs: number) {
    const nowUs = nowMs * 1000;
    const records = this.expire(nowUs);
    const results: CreateTransferResult[] = [];
    let i = 0;
    while (i < batch.length) {
      let end = i;
      while (end < batch.length - 1 && isLinked(batch[end] as TransferInput)) end++;
      const open = isLinked(batch[end] as TransferInput); // only possible for the last event
      const saved = structuredClone(this.state);
      const applied: TransferRecord[] = [];
      const got: CreateTransferResult[] = [];
      let failed = -1;
      for (let k = i; k <= end; k++) {
        const ts = this.tick(nowUs);
        if (failed >= 0) {
          got.push("linked_event_failed");
          continue;
        }
        const r = open && k === end ? "linked_event_chain_open" : this.one(batch[k] as TransferInput, ts, applied);
        got.push(r);
        if (r !== "ok" && r !== "exists") failed = k - i;
      }
      if (failed >= 0) {
        this.state = saved;
        // the last event of an open chain always says so, even when an earlier member failed first
        const last = end - i;
        results.push(...got.map((r, k) => (k === failed ? r : open && k === last ? "linked_event_chain_open" : "linked_event_failed")));
      } else {
        results.push(...got);
        records.push(...applied);
      }
      i = end + 1;
    }
    return { results, records };
  }

  private same(t: TransferInput, e: TransferRecord): boolean {
    const kind = t.kind ?? "single";
    if (kind !== e.kind || (t.flags ?? 0) !== e.flags || (t.timeoutMs ?? 0) !== e.timeoutMs || (t.pendingId ?? null) !== e.pendingId) return false;
    if (kind === "post" || kind === "void") {
      const inherits = (given: unknown, stored: unknown) => !has(given) || given === stored;
      if (!inherits(t.debitAccountId, e.debitAccountId) || !inherits(t.creditAccountId, e.creditAccountId)) return false;
      if (!inherits(t.ledger, e.ledger) || !inherits(t.code, e.code) || !inherits(t.userData, e.userData)) return false;
      const hold = this.state.transfers.get(e.pendingId as string) as TransferRecord;
      if (!has(t.amount)) return kind === "void" || e.amount === hold.amount;
      return t.amount === e.amount;
    }
    if (t.debitAccountId !== e.debitAccountId || t.creditAccountId !== e.creditAccountId || t.ledger !== e.ledger || t.code !== e.code) return false;
    if ((t.userData ?? null) !== e.userData) return false;
    if ((e.flags & (F.balancingDebit | F.balancingCredit)) !== 0) return !has(t.amount) || (typeof t.amount === "bigint" && t.amount >= e.amount);
    return t.amount === e.amount;
  }

  private one(t: TransferInput, ts: number, out: TransferRecord[]): CreateTransferResult {
    if (!isStr(t.id)) return "id_must_not_be_empty";
    if (t.id.startsWith("~")) return "id_is_reserved";
    const kind = t.kind ?? "single";
    if (!["single", "pending", "post", "void"].includes(kind)) return "kind_invalid";
    const flags = t.flags ?? 0;
    if (!Number.isInteger(flags) || flags < 0 || flags > 31) return "reserved_flag";
    const existing = this.state.transfers.get(t.id);
    if (existing) return this.same(t, existing) ? "exists" : "exists_with_different_fields";
    const { accounts, transfers, status } = this.state;
    const timeout = t.timeoutMs ?? 0;

    if (kind === "single" || kind === "pending") {
      if (!isStr(t.debitAccountId)) return "debit_account_id_must_not_be_empty";
      if (!isStr(t.creditAccountId)) return "credit_account_id_must_not_be_empty";
      if (t.debitAccountId === t.creditAccountId) return "accounts_must_be_different";
      if (has(t.pendingId)) return "pending_id_must_be_empty";
      if (kind === "pending" && !(Number.isSafeInteger(timeout) && timeout >= 0 && timeout <= MAX_TIMEOUT_MS)) return "timeout_invalid";
      if (kind === "single" && timeout !== 0) return "timeout_reserved_for_pending_transfer";
      const closing = (flags & (F.closingDebit | F.closingCredit)) !== 0;
      if (kind === "single" && closing) return "closing_transfer_must_be_pending";
      if (!isStr(t.ledger)) return "ledger_must_not_be_empty";
      if (!isStr(t.code)) return "code_must_not_be_empty";
      if (has(t.userData) && typeof t.userData !== "string") return "user_data_invalid";
      const balancing = (flags & (F.balancingDebit | F.balancingCredit)) !== 0;
      let amount: bigint;
      if (!has(t.amount)) {
        if (!balancing) return "amount_must_not_be_zero";
        amount = MAX_AMOUNT;
      } else if (typeof t.amount !== "bigint") return "amount_invalid";
      else if (t.amount < 0n) return "amount_must_not_be_negative";
      else if (t.amount === 0n && !closing) return "amount_must_not_be_zero";
      else amount = t.amount;
      const dr = accounts.get(t.debitAccountId);
      if (!dr) return "debit_account_not_found";
      const cr = accounts.get(t.creditAccountId);
      if (!cr) return "credit_account_not_found";
      if (dr.record.ledger !== cr.record.ledger) return "accounts_must_have_the_same_ledger";
      if (t.ledger !== dr.record.ledger) return "transfer_must_have_the_same_ledger_as_accounts";
      if (dr.frozen) return "debit_account_frozen";
      if (cr.frozen) return "credit_account_frozen";
      const clamp = (x: bigint) => (x < 0n ? 0n : x);
      if (flags & F.balancingDebit) amount = [amount, clamp(dr.cP - dr.dP - dr.dp)].reduce((a, b) => (a < b ? a : b));
      if (flags & F.balancingCredit) amount = [amount, clamp(cr.dP - cr.cP - cr.cp)].reduce((a, b) => (a < b ? a : b));
      if (dr.dP + dr.dp + amount > MAX_AMOUNT) return "overflows_debits";
      if (cr.cP + cr.cp + amount > MAX_AMOUNT) return "overflows_credits";
      if (dr.record.flags & AccountFlags.debitsMustNotExceedCredits && dr.dP + dr.dp + amount > dr.cP) return "exceeds_credits";
      if (cr.record.flags & AccountFlags.creditsMustNotExceedDebits && cr.cP + cr.cp + amount > cr.dP) return "exceeds_debits";
      const record: TransferRecord = {
        id: t.id, kind, debitAccountId: t.debitAccountId, creditAccountId: t.creditAccountId, amount, pendingId: null,
        ledger: t.ledger, code: t.code, flags, timeoutMs: timeout, userData: t.userData ?? null, timestamp: ts,
      };
      if (kind === "single") {
        dr.dP += amount;
        cr.cP += amount;
      } else {
        dr.dp += amount;
        cr.cp += amount;
        status.set(t.id, "pending");
        if (flags & F.closingDebit) dr.frozen = true;
        if (flags & F.closingCredit) cr.frozen = true;
      }
      transfers.set(t.id, record);
      out.push(record);
      return "ok";
    }

    // post / void
    if (!isStr(t.pendingId)) return "pending_id_must_not_be_empty";
    if (t.pendingId === t.id) return "pending_id_must_be_different";
    if (timeout !== 0) return "timeout_reserved_for_pending_transfer";
    if ((flags & ~F.linked) !== 0) return "flags_are_mutually_exclusive";
    if (has(t.userData) && typeof t.userData !== "string") return "user_data_invalid";
    if (has(t.amount)) {
      if (typeof t.amount !== "bigint") return "amount_invalid";
      if (t.amount < 0n) return "amount_must_not_be_negative";
      if (t.amount === 0n && kind === "post") return "amount_must_not_be_zero";
    }
    const p = transfers.get(t.pendingId);
    if (!p) return "pending_transfer_not_found";
    if (p.kind !== "pending") return "pending_transfer_not_pending";
    if (has(t.debitAccountId) && t.debitAccountId !== p.debitAccountId) return "pending_transfer_has_different_debit_account_id";
    if (has(t.creditAccountId) && t.creditAccountId !== p.creditAccountId) return "pending_transfer_has_different_credit_account_id";
    if (has(t.ledger) && t.ledger !== p.ledger) return "pending_transfer_has_different_ledger";
    if (has(t.code) && t.code !== p.code) return "pending_transfer_has_different_code";
    const st = status.get(p.id);
    if (st === "posted") return "pending_transfer_already_posted";
    if (st === "voided") return "pending_transfer_already_voided";
    if (st === "expired" || this.expiresAt(p) <= ts) return "pending_transfer_expired";
    const dr = accounts.get(p.debitAccountId) as RefAccount;
    const cr = accounts.get(p.creditAccountId) as RefAccount;
    let amount = p.amount;
    if (kind === "post") {
      if (has(t.amount) && (t.amount as bigint) > p.amount) return "exceeds_pending_transfer_amount";
      if (has(t.amount)) amount = t.amount as bigint;
      if (dr.frozen) return "debit_account_frozen";
      if (cr.frozen) return "credit_account_frozen";
    } else if (has(t.amount) && t.amount !== p.amount) return "pending_transfer_has_different_amount";
    const record: TransferRecord = {
      id: t.id, kind, debitAccountId: p.debitAccountId, creditAccountId: p.creditAccountId, amount, pendingId: p.id,
      ledger: p.ledger, code: p.code, flags, timeoutMs: 0, userData: t.userData ?? p.userData, timestamp: ts,
    };
    this.release(p, kind === "post" ? "posted" : "voided");
    if (kind === "post") {
      dr.dP += amount;
      cr.cP += amount;
    }
    transfers.set(t.id, record);
    out.push(record);
    return "ok";
  }
}

// ----------------------------------------------------------- the generators

const ACCOUNT_IDS = ["A", "B", "C", "D", "E", "F", "G", "H", "X1", "X2"];
// Each kind draws ids from its own small pool, so posts usually find their hold and
// duplicates are frequent; an id from another pool now and then exercises the mismatches.
const SINGLE_IDS = ["s0", "s1", "s2", "s3", "s4", "s5"];
const HOLD_IDS = ["h0", "h1", "h2", "h3", "h4", "h5"];
const RESOLVE_IDS = ["r0", "r1", "r2", "r3", "r4", "r5"];
const ALL_IDS = [...SINGLE_IDS, ...HOLD_IDS, ...RESOLVE_IDS];

/** Fixed accounts: two no-overdraft wallets, an escrow, a free clearing account, an asset-style account, other currency, a frozen one. */
const INITIAL_ACCOUNTS: AccountInput[] = [
  { id: "A", ledger: "CNY", code: "wallet", ownerId: "org_a", flags: AccountFlags.debitsMustNotExceedCredits },
  { id: "B", ledger: "CNY", code: "wallet", ownerId: "org_b", flags: AccountFlags.debitsMustNotExceedCredits },
  { id: "C", ledger: "CNY", code: "escrow" },
  { id: "D", ledger: "CNY", code: "clearing" },
  { id: "E", ledger: "CNY", code: "suspense", flags: AccountFlags.creditsMustNotExceedDebits },
  { id: "F", ledger: "USD", code: "clearing" },
  { id: "G", ledger: "CNY", code: "suspense", flags: AccountFlags.frozen },
  { id: "H", ledger: "USD", code: "wallet", flags: AccountFlags.debitsMustNotExceedCredits },
];

const accountArb: fc.Arbitrary<AccountInput> = fc.record({
  id: fc.constantFrom("X1", "X2", "A", ""),
  ledger: fc.constantFrom("CNY", "CNY", "USD", ""),
  code: fc.constantFrom<AccountCode>("wallet", "escrow", "clearing", "bogus" as AccountCode),
  ownerId: fc.constantFrom(undefined, null, "o1", ""),
  flags: fc.constantFrom(undefined, 0, 1, 2, 3, 4, 8),
});

const idArb = (pool: string[]) =>
  fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: fc.constantFrom(...ALL_IDS) });

/** Bad or unusual values per field; a generated transfer gets at most one of them. */
const MUTATIONS: Record<string, unknown[]> = {
  id: ["", "~x", 7],
  kind: ["bogus", "expire"],
  flags: [32, -1, 1.5, F.closingDebit, F.balancingCredit, 31],
  debitAccountId: [undefined, "", "nope", "G", "F", "X1"],
  creditAccountId: [undefined, "", "nope", "G", "H", "A", "X2"],
  amount: [0n, -3n, undefined, null, MAX_AMOUNT, MAX_AMOUNT + 1n, 5],
  pendingId: ["h1", "s1", "", undefined],
  ledger: ["", "USD", undefined],
  code: ["", undefined, "c9"],
  timeoutMs: [-1, 2.5, 5, MAX_TIMEOUT_MS + 1],
  userData: [3, "u9"],
};
const mutationArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...Object.keys(MUTATIONS))
      .chain((field) => fc.constantFrom(...(MUTATIONS[field] as unknown[])).map((value) => ({ field, value }))),
  },
);
const withMutation = (arb: fc.Arbitrary<TransferInput>): fc.Arbitrary<TransferInput> =>
  fc.tuple(arb, mutationArb).map(([t, m]) => (m === null ? t : ({ ...t, [m.field]: m.value } as TransferInput)));

const CNY_ACCOUNTS = ["A", "B", "C", "D", "E"];
const amountArb = fc.oneof({ weight: 12, arbitrary: fc.bigInt({ min: 1n, max: 60n }) }, { weight: 1, arbitrary: fc.constant(null) });
const postingFlagsArb = fc.oneof(
  { weight: 14, arbitrary: fc.constant(undefined) },
  { weight: 5, arbitrary: fc.constant(F.linked) },
  { weight: 2, arbitrary: fc.constantFrom(F.balancingDebit, F.balancingCredit, F.balancingDebit | F.linked) },
  { weight: 3, arbitrary: fc.constantFrom(F.closingDebit, F.closingCredit, F.closingDebit | F.linked, F.closingDebit | F.closingCredit | F.linked) },
);

const postingArb = (kind: "single" | "pending"): fc.Arbitrary<TransferInput> =>
  withMutation(
    fc.record({
      id: idArb(kind === "single" ? SINGLE_IDS : HOLD_IDS),
      kind: kind === "single" ? fc.constantFrom(undefined, "single" as const) : fc.constant("pending" as const),
      // funding from the clearing account D is common, so wallets hold money
      accounts: fc
        .oneof({ weight: 2, arbitrary: fc.constant("D") }, { weight: 3, arbitrary: fc.constantFrom(...CNY_ACCOUNTS) })
        .chain((debit) => fc.constantFrom(...CNY_ACCOUNTS.filter((a) => a !== debit)).map((credit) => [debit, credit] as const)),
      amount: amountArb,
      ledger: fc.constant("CNY"),
      code: fc.constantFrom("c1", "c2"),
      flags: postingFlagsArb,
      // short timeouts and small time steps make posts land exactly on a hold's expiry now and then
      timeoutMs: kind === "pending" ? fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 12 })) : fc.constant(undefined),
      userData: fc.constantFrom(undefined, null, "u1", "u2"),
    }).map(({ accounts: [debitAccountId, creditAccountId], ...t }) => ({ ...t, debitAccountId, creditAccountId })),
  );

// the other currency, so a ledger mismatch and per-ledger sums are exercised
const usdArb: fc.Arbitrary<TransferInput> = fc.record({
  id: idArb(SINGLE_IDS),
  debitAccountId: fc.constantFrom("F", "H"),
  creditAccountId: fc.constantFrom("F", "H"),
  amount: amountArb,
  ledger: fc.constant("USD"),
  code: fc.constant("c1"),
  flags: fc.constantFrom(undefined, F.linked),
});

const resolveArb: fc.Arbitrary<TransferInput> = withMutation(
  fc.record({
    id: idArb(RESOLVE_IDS),
    kind: fc.constantFrom("post" as const, "void" as const),
    pendingId: idArb(HOLD_IDS),
    amount: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.bigInt({ min: 1n, max: 60n }) }),
    debitAccountId: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...CNY_ACCOUNTS) }),
    creditAccountId: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...CNY_ACCOUNTS) }),
    ledger: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant("CNY") }),
    code: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom("c1", "c2") }),
    flags: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant(F.linked) }),
    userData: fc.constantFrom(undefined, undefined, null, "u3"),
  }),
);

const transferArb = fc.oneof(
  { weight: 3, arbitrary: postingArb("single") },
  { weight: 4, arbitrary: postingArb("pending") },
  { weight: 3, arbitrary: resolveArb },
  { weight: 1, arbitrary: usdArb },
);

type Command =
  | { type: "accounts"; inputs: AccountInput[]; advanceMs: number }
  | { type: "transfers"; batch: TransferInput[]; advanceMs: number }
  | { type: "retry"; back: number; advanceMs: number }
  | { type: "expire"; advanceMs: number }
  | { type: "group"; action: "open" | "commit" | "rollback"; advanceMs: number };

const advanceArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: 7, max: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: -1 }) },
);

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ type: fc.constant("accounts" as const), inputs: fc.array(accountArb, { maxLength: 3 }), advanceMs: advanceArb }) },
  { weight: 12, arbitrary: fc.record({ type: fc.constant("transfers" as const), batch: fc.array(transferArb, { maxLength: 10 }), advanceMs: advanceArb }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("retry" as const), back: fc.nat(5), advanceMs: advanceArb }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("expire" as const), advanceMs: advanceArb }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("group" as const), action: fc.constantFrom("open" as const, "commit" as const, "rollback" as const), advanceMs: advanceArb }) },
);

// ----------------------------------------------------------------- the test

const T0 = 1_767_225_600_000;

function expectSameState(ledger: Ledger, ref: Reference): void {
  for (const [id, a] of ref.state.accounts) {
    expect(ledger.lookupAccount(id), `account ${id}`).toEqual({
      ...a.record,
      debitsPending: a.dp,
      debitsPosted: a.dP,
      creditsPending: a.cp,
      creditsPosted: a.cP,
      frozen: a.frozen,
    });
  }
  expect(ledger.accountCount).toBe(ref.state.accounts.size);
  expect(ledger.transferCount).toBe(ref.state.transfers.size);
  for (const [id, t] of ref.state.transfers) expect(ledger.lookupTransfer(id)).toEqual(t);
  for (const [id, s] of ref.state.status) expect(ledger.holdStatus(id), `hold ${id}`).toBe(s);
}

describe("ledger against a plain reference model", () => {
  it("gives the same results, records and balances for random histories, and replays to the same state", () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 30 }), (commands) => {
        const ledger = new Ledger();
        const ref = new Reference();
        let now = T0;
        const accountLog: AccountRecord[] = [];
        const transferLog: TransferRecord[] = [];
        const batches: TransferInput[][] = [];
        // an open group: the reference keeps a copy of its state and the log lengths to go back to
        let group: { state: RefState; accounts: number; transfers: number } | null = null;

        const a0 = ledger.createAccounts(INITIAL_ACCOUNTS, now);
        expect(a0).toEqual(ref.createAccounts(INITIAL_ACCOUNTS, now));
        accountLog.push(...a0.records);

        for (const cmd of commands) {
          now += cmd.advanceMs;
          switch (cmd.type) {
            case "accounts": {
              const got = ledger.createAccounts(cmd.inputs, now);
              expect(got).toEqual(ref.createAccounts(cmd.inputs, now));
              accountLog.push(...got.records);
              break;
            }
            case "transfers":
            case "retry": {
              const batch = cmd.type === "transfers" ? cmd.batch : batches[batches.length - 1 - (cmd.back % Math.max(1, batches.length))] ?? [];
              batches.push(batch);
              const got = ledger.createTransfers(batch, now);
              const want = ref.createTransfers(batch, now);
              expect(got.results).toEqual(want.results);
              expect(got.records).toEqual(want.records);
              transferLog.push(...got.records);
              break;
            }
            case "expire": {
              const got = ledger.expirePending(now);
              expect(got).toEqual(ref.expire(now * 1000));
              transferLog.push(...got);
              break;
            }
            case "group": {
              if (cmd.action === "open" && group === null) {
                ledger.openGroup();
                group = { state: structuredClone(ref.state), accounts: accountLog.length, transfers: transferLog.length };
              } else if (cmd.action === "commit" && group !== null) {
                ledger.commitGroup();
                group = null;
              } else if (cmd.action === "rollback" && group !== null) {
                ledger.rollbackGroup();
                ref.state = group.state;
                accountLog.length = group.accounts;
                transferLog.length = group.transfers;
                group = null;
              }
              expect(ledger.groupOpen).toBe(group !== null);
              break;
            }
          }
          expect(ledger.lastTimestamp).toBe(ref.clock);
          expectSameState(ledger, ref);
          expect(ledger.invariants()).toEqual({ ok: true, problems: [] });
        }

        const restored = Ledger.restore(accountLog, transferLog);
        expect([...restored.listAccounts()]).toEqual([...ledger.listAccounts()]);
        for (const [id, s] of ref.state.status) expect(restored.holdStatus(id)).toBe(s);
        expect(restored.transferCount).toBe(ledger.transferCount);
        // the restored ledger carries on exactly like the original
        const next: TransferInput[] = [{ id: "after", debitAccountId: "D", creditAccountId: "A", amount: 7n, ledger: "CNY", code: "c1" }];
        const a = ledger.createTransfers(next, now + 100);
        const b = restored.createTransfers(next, now + 100);
        expect(b.results).toEqual(a.results);
        expect(b.records.map((r) => ({ ...r, timestamp: 0 }))).toEqual(a.records.map((r) => ({ ...r, timestamp: 0 })));
        expect([...restored.listAccounts()]).toEqual([...ledger.listAccounts()]);
      }),
      { numRuns: 1000 },
    );
  });

  it("generates histories where money actually moves (sanity check of the generators)", () => {
    const seen = new Set<CreateTransferResult>();
    let okKinds = new Set<string>();
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 5, maxLength: 30 }), (commands) => {
        const ledger = new Ledger();
        ledger.createAccounts(INITIAL_ACCOUNTS, T0);
        let now = T0;
        const batches: TransferInput[][] = [];
        for (const cmd of commands) {
          now += cmd.advanceMs;
          if (cmd.type !== "transfers" && cmd.type !== "retry") continue;
          const batch = cmd.type === "transfers" ? cmd.batch : batches[batches.length - 1 - (cmd.back % Math.max(1, batches.length))] ?? [];
          batches.push(batch);
          const out = ledger.createTransfers(batch, now);
          out.results.forEach((r) => seen.add(r));
          okKinds = new Set([...okKinds, ...out.records.map((r) => r.kind)]);
        }
      }),
      { numRuns: 300 },
    );
    expect([...okKinds].sort()).toEqual(["expire", "pending", "post", "single", "void"]);
    for (const r of ["ok", "exists", "exists_with_different_fields", "linked_event_failed", "linked_event_chain_open", "exceeds_credits", "pending_transfer_expired", "pending_transfer_already_posted", "pending_transfer_already_voided", "exceeds_pending_transfer_amount", "debit_account_frozen"] as const) {
      expect(seen.has(r), r).toBe(true);
    }
  });
});
