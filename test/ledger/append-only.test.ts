// The stored ledger refuses UPDATE, DELETE and TRUNCATE; what is changed behind the triggers' back (as the tables'
// owner could) is caught by the hash chain over accounts and transfers and by the signed checkpoints, by
// GET /v1/ledger/verify's full verification and by the writer's start-up verification.
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LedgerCorruptError,
  checkpointVerifier,
  developmentSigningKey,
  openLedgerWriter,
  verifyStoredChain,
  type LedgerWriter,
  type LedgerWriterLog,
  type LedgerWriterOptions,
} from "../../src/ledger";
import { fixedClock } from "../../src/shared/clock";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { behindTriggers, loadRows, rewriteChain, single, testAccounts } from "../helpers/ledger";
import { backends } from "../helpers/services";

// Positions of the seeded shard: accounts 1–4, then f1 5, f2 6, f3 7, p1 8, p2 9.
const POS = { clearing: 1, walletA: 2, walletB: 3, escrow: 4, f1: 5, f2: 6, f3: 7, p1: 8, p2: 9 };

describe.each(backends)("append-only ledger and its tamper evidence on $name", (backend) => {
  let t: TestDatabase;
  const clock = fixedClock(new Date("2026-12-01T08:00:00Z"));
  let serial = 0;
  const open = (shard: string, extra: Partial<LedgerWriterOptions> = {}) =>
    openLedgerWriter({ sql: t.db.sql, clock, shard, expiryIntervalMs: 0, checkpointIntervalMs: 0, ...extra });
  const openError = (shard: string, extra: Partial<LedgerWriterOptions> = {}) =>
    open(shard, extra).then(
      async (w) => {
        await w.close();
        return undefined;
      },
      (e: unknown) => e as LedgerCorruptError,
    );

  /** A shard with a few committed records, and a signed checkpoint after each call (4, 6, 7, 8, 9). */
  async function seeded(): Promise<{ shard: string; w: LedgerWriter }> {
    const shard = `tamper${++serial}`;
    const w = await open(shard);
    await w.createAccounts(testAccounts);
    await w.checkpoint();
    await w.createTransfers([single("f1", "clearing", "wallet:a", 1_000n), single("f2", "clearing", "wallet:a", 2_000n)]);
    await w.checkpoint();
    for (const batch of [[single("f3", "clearing", "wallet:a", 3_000n)], [single("p1", "wallet:a", "wallet:b", 500n)], [single("p2", "wallet:a", "wallet:b", 700n)]]) {
      await w.createTransfers(batch);
      await w.checkpoint();
    }
    expect(w.tip.sequence).toBe(POS.p2);
    expect(w.lastCheckpoint?.sequence).toBe(POS.p2);
    return { shard, w };
  }

  beforeAll(async () => {
    t = await createTestDatabase(backend);
  });
  afterAll(async () => t?.drop());

  it("refuses UPDATE, DELETE and TRUNCATE on ledger_transfers, ledger_accounts and ledger_checkpoints", async () => {
    const { shard, w } = await seeded();
    await w.close();
    const refused = async (text: string, params: unknown[] = []) => {
      const err = await t.db.sql.query(text, params).then(
        () => undefined,
        (e: unknown) => e as { code?: string; message: string },
      );
      expect(err, text).toBeDefined();
      expect(err!.code).toBe("42501");
      expect(err!.message).toMatch(/append-only/);
    };
    await refused(`UPDATE ledger_transfers SET amount = amount + 1 WHERE shard = $1 AND id = 'f1'`, [shard]);
    await refused(`DELETE FROM ledger_transfers WHERE shard = $1 AND id = 'p2'`, [shard]);
    await refused(`TRUNCATE ledger_transfers`);
    await refused(`UPDATE ledger_accounts SET flags = 0 WHERE shard = $1 AND id = 'wallet:a'`, [shard]);
    await refused(`DELETE FROM ledger_accounts WHERE shard = $1`, [shard]);
    await refused(`TRUNCATE ledger_accounts`);
    await refused(`UPDATE ledger_checkpoints SET chain_hash = 'x' WHERE shard = $1`, [shard]);
    await refused(`DELETE FROM ledger_checkpoints WHERE shard = $1`, [shard]);
    await refused(`TRUNCATE ledger_checkpoints`);
    const rows = await loadRows(t.db.sql, shard);
    expect(rows.transfers.map((r) => [r.id, r.amount])).toEqual([
      ["f1", 1_000n],
      ["f2", 2_000n],
      ["f3", 3_000n],
      ["p1", 500n],
      ["p2", 700n],
    ]);
    expect(rows.accounts).toHaveLength(4);
    expect((await open(shard).then(async (again) => [await again.verifyChain(), await again.close()]))[0]).toMatchObject({ ok: true, checked: 9 });
  });

  it("records removed after a checkpoint fail verification naming the first missing one, and the restart refuses the chain", async () => {
    const { shard, w } = await seeded();
    expect(await w.verifyChain()).toMatchObject({ ok: true, checked: 9, checkpointsChecked: 5 });
    await behindTriggers(t.db.sql, (c) => c.query(`DELETE FROM ledger_transfers WHERE shard = $1 AND id IN ('p1', 'p2')`, [shard]));
    const report = await w.verifyChain();
    expect(report.ok).toBe(false);
    expect(report.firstBad).toMatchObject({ sequence: POS.p1, reason: expect.stringMatching(/records 8…9 are missing/) });
    await w.close();

    // Before issue 7 the writer re-read its tip from the database and opened on the shorter chain.
    const err = await openError(shard);
    expect(err).toBeInstanceOf(LedgerCorruptError);
    expect(err!.sequence).toBe(POS.p1);
    expect(err!.message).toMatch(/first bad record 8: records 8…9 are missing, though the checkpoint signed at .* covers them/);
  });

  it("the tail removed while the server was down is caught by the checkpoint the writer signed when it closed", async () => {
    const shard = `tail${++serial}`;
    const w = await open(shard);
    await w.createAccounts(testAccounts);
    await w.createTransfers([single("f1", "clearing", "wallet:a", 1_000n)]);
    await w.createTransfers([single("f2", "clearing", "wallet:a", 2_000n)]);
    expect(w.lastCheckpoint).toBeUndefined(); // no interval, no explicit checkpoint: only close signs
    await w.close();
    const { rows } = await t.db.sql.query<{ sequence: bigint; key_id: string }>(`SELECT sequence, key_id FROM ledger_checkpoints WHERE shard = $1`, [shard]);
    expect(rows.map((r) => Number(r.sequence))).toEqual([6]);

    await behindTriggers(t.db.sql, (c) => c.query(`DELETE FROM ledger_transfers WHERE shard = $1 AND id = 'f2'`, [shard]));
    const err = await openError(shard);
    expect(err).toBeInstanceOf(LedgerCorruptError);
    expect(err!.sequence).toBe(6);
    expect(err!.message).toMatch(/record 6 is missing/);
  });

  it("a history rewritten with recomputed hashes behind a checkpoint fails verification, naming the first position the checkpoints no longer vouch for", async () => {
    const { shard, w } = await seeded();
    // f3 becomes 2 999 instead of 3 000: a valid history on its own, every hash recomputed from f3 on
    const changed = await rewriteChain(t.db.sql, shard, (e) => (e.type === "transfer" && e.record.id === "f3" ? { ...e.record, amount: 2_999n } : undefined));
    expect(changed).toEqual([POS.f3]);
    // links and contents alone verify: only the signatures tell
    const unsigned = await verifyStoredChain(t.db.sql, shard, { mode: "full", check: () => "bad_signature" });
    expect(unsigned.checked).toBe(9);
    const report = await w.verifyChain();
    expect(report.ok).toBe(false);
    expect(report.firstBad).toMatchObject({ sequence: POS.f3, reason: expect.stringMatching(/records 7…7 do not hash to the checkpoint signed for record 7 .*rewritten/) });
    await w.close();

    // start-up refuses it: incrementally (the newest checkpoint no longer matches), and fully (naming f3's position)
    const incremental = await openError(shard);
    expect(incremental).toBeInstanceOf(LedgerCorruptError);
    expect(incremental!.message).toMatch(/do not hash to the checkpoint signed for record 9/);
    const full = await openError(shard, { verifyOnOpen: "full" });
    expect(full).toBeInstanceOf(LedgerCorruptError);
    expect(full!.sequence).toBe(POS.f3);
  });

  it("clearing an account's no-overdraft flag is detected, with or without its hashes recomputed", async () => {
    const { shard, w } = await seeded();
    await behindTriggers(t.db.sql, (c) => c.query(`UPDATE ledger_accounts SET flags = 0 WHERE shard = $1 AND id = 'wallet:a'`, [shard]));
    expect((await w.verifyChain()).firstBad).toMatchObject({ sequence: POS.walletA, type: "account", id: "wallet:a", reason: expect.stringMatching(/content hash/) });
    await w.close();
    // start-up re-hashes every account, also behind the newest checkpoint
    const err = await openError(shard);
    expect(err).toBeInstanceOf(LedgerCorruptError);
    expect(err!.sequence).toBe(POS.walletA);

    const other = await seeded();
    await rewriteChain(t.db.sql, other.shard, (e) => (e.type === "account" && e.record.id === "wallet:b" ? { ...e.record, flags: 0 } : undefined));
    const report = await other.w.verifyChain();
    expect(report.ok).toBe(false);
    // the checkpoint after the accounts (record 4) no longer matches: the rewrite lies in records 1…4
    expect(report.firstBad).toMatchObject({ sequence: 1, reason: expect.stringMatching(/records 1…4 do not hash to the checkpoint signed for record 4/) });
    await other.w.close();
    expect(await openError(other.shard)).toBeInstanceOf(LedgerCorruptError);
  });

  it("an edited transfer is named by the full verification; start-up does not re-hash transfers behind the newest checkpoint unless asked to", async () => {
    const { shard, w } = await seeded();
    await w.close();
    // the rules still accept a bigger top-up, so a replay alone cannot tell
    await behindTriggers(t.db.sql, (c) => c.query(`UPDATE ledger_transfers SET amount = 2500 WHERE shard = $1 AND id = 'f2'`, [shard]));
    const logs: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const log: LedgerWriterLog = { info: (obj, msg) => void logs.push({ obj: obj as Record<string, unknown>, msg }), warn: () => undefined, error: () => undefined };
    const incremental = await open(shard, { log });
    // what start-up checked: the newest checkpoint (record 9) and what follows it, not the history behind it
    expect(logs.find((l) => l.msg === "ledger: stored chain verified")?.obj).toMatchObject({ mode: "incremental", from: 9, checked: 1, through: 9, lastCheckpoint: 9 });
    // the state is replayed from the journal, which still says 2 000: the edited row changes no balance
    expect(incremental.balances("wallet:a")?.creditsPosted).toBe(6_000n);
    expect((await incremental.verifyChain()).firstBad).toMatchObject({ sequence: POS.f2, type: "transfer", id: "f2" });
    await incremental.close();
    const err = await openError(shard, { verifyOnOpen: "full" });
    expect(err).toBeInstanceOf(LedgerCorruptError);
    expect(err!.sequence).toBe(POS.f2);
  });

  it("a change that breaks the rules makes the reopen refuse the log", async () => {
    const { shard, w } = await seeded();
    await w.close();
    // a pays more than it ever received: the replay's no-overdraft check fails
    await behindTriggers(t.db.sql, (c) => c.query(`UPDATE ledger_transfers SET amount = 999999 WHERE shard = $1 AND id = 'p2'`, [shard]));
    const err = await openError(shard);
    expect(err).toBeInstanceOf(LedgerCorruptError);
    expect(err!.message).toMatch(/p2/);
  });

  it("a removed record in the middle breaks the chain at its position; start-up finds the gap behind the newest checkpoint", async () => {
    const { shard, w } = await seeded();
    await behindTriggers(t.db.sql, (c) => c.query(`DELETE FROM ledger_transfers WHERE shard = $1 AND id = 'f2'`, [shard]));
    expect((await w.verifyChain()).firstBad).toMatchObject({ sequence: POS.f2, reason: expect.stringMatching(/record 6 is missing/) });
    await w.close();
    const err = await openError(shard);
    expect(err).toBeInstanceOf(LedgerCorruptError);
    expect(err!.sequence).toBe(POS.f2);
  });

  it("a tampered checkpoint fails verification; the newest one also fails start-up", async () => {
    const { shard, w } = await seeded();
    const { rows } = await t.db.sql.query<{ signature: string }>(`SELECT signature FROM ledger_checkpoints WHERE shard = $1 AND sequence = 6`, [shard]);
    // a valid signature, but of another checkpoint
    await behindTriggers(t.db.sql, (c) => c.query(`UPDATE ledger_checkpoints SET signature = $2 WHERE shard = $1 AND sequence = 7`, [shard, rows[0]!.signature]));
    const report = await w.verifyChain();
    expect(report.ok).toBe(false);
    expect(report.firstBad).toMatchObject({ sequence: POS.f3, reason: expect.stringMatching(/checkpoint for record 7 .* does not verify/) });
    await w.close();

    await behindTriggers(t.db.sql, (c) => c.query(`UPDATE ledger_checkpoints SET chain_hash = repeat('0', 64) WHERE shard = $1 AND sequence = 9`, [shard]));
    const err = await openError(shard);
    expect(err).toBeInstanceOf(LedgerCorruptError);
    expect(err!.sequence).toBe(POS.p2);
    expect(err!.message).toMatch(/does not verify/);
  });

  it("checkpoints signed by a key it does not trust are refused; a rotated key verifies with the old public key listed", async () => {
    const { shard, w } = await seeded();
    await w.close();
    const newKey = generateKeyPairSync("ed25519").privateKey;
    const err = await openError(shard, { signingKey: newKey });
    expect(err).toBeInstanceOf(LedgerCorruptError);
    expect(err!.message).toMatch(/LEDGER_PREVIOUS_PUBLIC_KEYS/);

    const rotated = await open(shard, { signingKey: newKey, previousPublicKeys: [developmentSigningKey()] });
    await rotated.createTransfers([single("after-rotation", "clearing", "wallet:a", 1n)]);
    const c = await rotated.checkpoint();
    expect(checkpointVerifier([newKey])(c!)).toBe("ok");
    expect(await rotated.verifyChain()).toMatchObject({ ok: true, checkpointsChecked: 6 });
    await rotated.close();
  });
});

describe.each(backends)("signed checkpoints on $name", (backend) => {
  let t: TestDatabase;
  const clock = fixedClock(new Date("2026-12-01T08:00:00Z"));
  beforeAll(async () => {
    t = await createTestDatabase(backend);
  });
  afterAll(async () => t?.drop());

  it("are signed while the chain grows, at close, and at open when the tip moved; never twice for one position", async () => {
    const w = await openLedgerWriter({ sql: t.db.sql, clock, shard: "timed", expiryIntervalMs: 0, checkpointIntervalMs: 20 });
    await w.createAccounts(testAccounts);
    await expect.poll(() => w.lastCheckpoint?.sequence, { timeout: 5_000 }).toBe(4);
    await w.createTransfers([single("f1", "clearing", "wallet:a", 1_000n)]);
    await expect.poll(() => w.lastCheckpoint?.sequence, { timeout: 5_000 }).toBe(5);
    expect(await w.checkpoint()).toEqual(w.lastCheckpoint); // nothing moved: the same checkpoint
    await w.createTransfers([single("f2", "clearing", "wallet:a", 1_000n)]);
    const untilClose = w.tip.sequence;
    await w.close();
    const { rows } = await t.db.sql.query<{ sequence: bigint }>(`SELECT sequence FROM ledger_checkpoints WHERE shard = 'timed' ORDER BY sequence`);
    expect(rows.map((r) => Number(r.sequence)).at(-1)).toBe(untilClose);
    expect(new Set(rows.map((r) => r.sequence)).size).toBe(rows.length);

    // records appended by a writer that died before it could sign are signed by the next one at open
    const w2 = await openLedgerWriter({ sql: t.db.sql, clock, shard: "timed", expiryIntervalMs: 0, checkpointIntervalMs: 0 });
    await w2.createTransfers([single("f3", "clearing", "wallet:a", 1_000n)]);
    const tip = w2.tip.sequence;
    await w2.close();
    // as if it had crashed before its closing checkpoint
    await behindTriggers(t.db.sql, (c) => c.query(`DELETE FROM ledger_checkpoints WHERE shard = 'timed' AND sequence = $1`, [tip]));
    const w3 = await openLedgerWriter({ sql: t.db.sql, clock, shard: "timed", expiryIntervalMs: 0, checkpointIntervalMs: 0 });
    expect(w3.lastCheckpoint?.sequence).toBe(w3.tip.sequence);
    expect(await w3.verifyChain()).toMatchObject({ ok: true });
    await w3.close();
  });
});
