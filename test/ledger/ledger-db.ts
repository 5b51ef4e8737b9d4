// Reads a shard's ledger rows straight from the database, for checks that must not trust the writer.
import type { SqlClient } from "../../src/infra/db";
import { Ledger, type AccountRecord, type TransferRecord } from "../../src/ledger";
import { loadAccounts, transferPages } from "../../src/ledger/ledger.repository";

export interface ShardRows {
  accounts: AccountRecord[];
  transfers: TransferRecord[];
}

export async function loadRows(sql: SqlClient, shard: string): Promise<ShardRows> {
  const accounts = (await loadAccounts(sql, shard)).map((a) => a.record);
  const transfers: TransferRecord[] = [];
  for await (const page of transferPages(sql, shard, 5_000)) for (const r of page) transfers.push(r.record);
  return { accounts, transfers };
}

/** An independent Ledger rebuilt from the rows (throws if they do not replay). */
export function replayFromDb(rows: ShardRows): Ledger {
  return Ledger.restore(rows.accounts, rows.transfers);
}
