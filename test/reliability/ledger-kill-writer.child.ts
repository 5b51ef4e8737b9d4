// Run by ledger-killed-backend.test.ts in a child process (a crash must not take the test runner down):
// terminates the writer's PostgreSQL backend under load, then checks the writer recovered.
// Prints one JSON line; exit 0 only if every check passed.
import { openDatabase } from "../../src/infra/db";
import { AccountFlags, LedgerUnavailableError, LedgerWriteError, openLedgerWriter, type TransferInput } from "../../src/ledger";
import { systemClock } from "../../src/shared/clock";
import { loadRows, replayFromDb } from "../helpers/ledger";

const url = process.argv[2];
if (!url) throw new Error("usage: kill-writer.child.ts <database url>");
const db = await openDatabase({ databaseUrl: url, poolSize: 4 });
const shard = "killed";
const w = await openLedgerWriter({ sql: db.sql, clock: systemClock, shard, expiryIntervalMs: 0 });
await w.createAccounts([
  { id: "clearing", ledger: "CNY", code: "clearing" },
  { id: "a", ledger: "CNY", code: "wallet", flags: AccountFlags.debitsMustNotExceedCredits },
  { id: "b", ledger: "CNY", code: "wallet", flags: AccountFlags.debitsMustNotExceedCredits },
]);
let retries = 0;
async function submit(batch: TransferInput[]): Promise<void> {
  for (;;) {
    try {
      await w.createTransfers(batch);
      return;
    } catch (err) {
      if (!(err instanceof LedgerWriteError || err instanceof LedgerUnavailableError)) throw err;
      retries++;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
const killer = async () => {
  await new Promise((r) => setTimeout(r, 150));
  const { rows } = await db.sql.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  for (const r of rows) await db.sql.query(`SELECT pg_terminate_backend($1)`, [r.pid]);
  return rows.length;
};
const clients = Array.from({ length: 10 }, async (_, c) => {
  for (let i = 0; i < 150; i++) {
    await submit([
      { id: `f${c}:${i}`, debitAccountId: "clearing", creditAccountId: "a", amount: 10n, ledger: "CNY", code: "top_up" },
      { id: `p${c}:${i}`, debitAccountId: "a", creditAccountId: "b", amount: 7n, ledger: "CNY", code: "pay" },
    ]);
  }
});
const [killed] = await Promise.all([killer(), ...clients]);
const rows = await loadRows(db.sql, shard);
const replay = replayFromDb(rows);
const chain = await w.verifyChain();
const result = {
  killed,
  retries,
  transfers: rows.transfers.length,
  chainOk: chain.ok,
  balancesMatch: ["clearing", "a", "b"].every((id) => JSON.stringify(replay.balances(id), (_, v) => (typeof v === "bigint" ? String(v) : v)) === JSON.stringify(w.balances(id), (_, v) => (typeof v === "bigint" ? String(v) : v))),
  b: String(w.balances("b")?.creditsPosted),
};
await w.close();
await db.close();
console.log(JSON.stringify(result));
const ok = result.killed === 1 && result.transfers === 3000 && result.chainOk && result.balancesMatch && result.b === "10500";
process.exit(ok ? 0 : 1);
