/**
 * The command line for scheduled jobs: `npm run shiftex -- <command>`.
 *
 *   reconcile --date 2026-12-01 [--provider offline|stripe] [--statement FILE [--encoding gb18030]]
 *       imports the statement file first (offline) or fetches the date's balance transactions (stripe), then runs
 *       reconciliation up to the date
 *   import-statement FILE [--encoding utf-8|gb18030]
 *   export trial-balance --date 2026-12-01 [--out FILE]     (also: export transfers --date …)
 *   verify                                                   the hash chain against every signed checkpoint, Σ debits = Σ credits,
 *                                                            and every closed contract's escrow at zero
 *
 * It reads the ledger and writes reconciliation's own tables only, so it runs
 * beside a running server on PostgreSQL (the ledger's single writer stays the
 * server's). With the embedded database (no DATABASE_URL) stop the server
 * first: PGlite serves one process.
 *
 * The last line on stdout is a summary a person can read. Exit codes:
 *    0  done; nothing needs attention
 *    1  reconcile: exceptions are open (the difference is fully explained by them; an operator works the queue)
 *    2  the books disagree: verify failed (chain, checkpoint, Σ debits ≠ Σ credits, or a closed contract's escrow not at zero),
 *       or a difference no exception explains
 *   64  usage: unknown command or option, missing or bad argument
 *   65  data refused: the statement file or a value (the message names the line and column, or the field), or a date
 *       before the provider's latest run (runs are cumulative: run that date or a later one)
 *   69  unavailable: the database cannot be reached
 *   70  internal error
 *   75  temporary: another run finished meanwhile, or Stripe did not answer; retry later
 *   78  configuration: a setting is invalid (the message names it)
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { config as loadProcessConfig, ConfigError, type Config } from "./config";
import { openDatabase, type Database } from "./infra/db";
import { migrateDatabase } from "./infra/migrate";
import { checkpointVerifier, createLedgerRepository, verifyStoredChain } from "./ledger";
import { closedEscrowProblems, createContractsRepository } from "./contracts";
import { createPaymentsRepository, createStripeApi } from "./payments";
import { shanghaiDate } from "./parties";
import { createReconciliationModule, stripeProviderSource, type ImportProgress, type ProviderSource, type ReconciliationService, type RunView } from "./reconciliation";
import { DomainError } from "./shared/errors";
import { newId } from "./shared/ids";
import { fenToYuan } from "./shared/money";
import type { Principal } from "./shared/principal";
import { systemClock } from "./shared/clock";

export const EXIT = { ok: 0, exceptions: 1, disagree: 2, usage: 64, data: 65, unavailable: 69, internal: 70, retry: 75, config: 78 } as const;

export interface CliIo {
  out(line: string): void;
  err(text: string): void;
  /** stderr is a terminal: draw a progress bar. */
  readonly tty: boolean;
}

/** What the commands work on; opened once per invocation. */
export interface CliContext {
  readonly config: Config;
  readonly db: Database;
  readonly reconciliation: ReconciliationService;
  close(): Promise<void>;
}

const CLI_PRINCIPAL: Principal = { role: "operator", organisationId: null, workerId: null, credentialId: "cli", callerId: "cli" };

const USAGE = `usage: npm run shiftex -- <command>
  reconcile --date YYYY-MM-DD [--provider offline|stripe] [--statement FILE] [--encoding utf-8|gb18030]
  import-statement FILE [--encoding utf-8|gb18030]
  export trial-balance --date YYYY-MM-DD [--out FILE]
  export transfers --date YYYY-MM-DD [--out FILE]
  verify`;

class UsageError extends Error {}

/** A progress bar on a terminal (stderr), nothing otherwise. */
export function progressBar(io: CliIo, label: string): ImportProgress & { end(): void } {
  let shown = -1;
  const draw = ((p: { done: number; total: number }) => {
    if (!io.tty || p.total === 0) return;
    const pct = Math.floor((p.done * 100) / p.total);
    if (pct === shown) return;
    shown = pct;
    const width = 30;
    const full = Math.round((pct * width) / 100);
    io.err(`\r${label} [${"#".repeat(full)}${"-".repeat(width - full)}] ${String(pct).padStart(3)}% ${p.done}/${p.total}`);
  }) as ImportProgress & { end(): void };
  draw.end = () => {
    if (io.tty && shown >= 0) io.err("\n");
  };
  return draw;
}

function yuan(fen: number): string {
  return fenToYuan(BigInt(fen));
}

function runSummary(run: RunView): { line: string; code: number } {
  const parts = run.totals.map((t) => `${t.currency} ledger ${yuan(t.ledgerFen)} vs provider ${yuan(t.providerFen)}, difference ${yuan(t.differenceFen)} (${t.openExceptions} open, unexplained ${yuan(t.unexplainedFen)})`);
  const unexplained = run.totals.some((t) => t.unexplainedFen !== 0);
  const open = run.totals.reduce((n, t) => n + t.openExceptions, 0);
  const line =
    `reconcile ${run.provider} ${run.date}: ${run.matched} matched, ${run.exceptions} exception${run.exceptions === 1 ? "" : "s"} open, ${run.suggestions} suggested` +
    `${parts.length > 0 ? `; ${parts.join("; ")}` : "; nothing to reconcile"}${run.unchanged ? " (unchanged since the last run)" : ""} — run ${run.id}`;
  return { line, code: unexplained ? EXIT.disagree : open > 0 ? EXIT.exceptions : EXIT.ok };
}

function checkDate(date: string | undefined): string {
  if (date === undefined) throw new UsageError("--date is required");
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UsageError(`--date ${date} is not a date like 2026-12-01`);
  return date;
}

function checkEncoding(e: string | undefined): "utf-8" | "gb18030" {
  if (e === undefined || e === "utf-8" || e === "utf8") return "utf-8";
  if (e === "gb18030" || e === "gbk") return "gb18030";
  throw new UsageError(`--encoding must be utf-8 or gb18030, got ${e}`);
}

async function importFile(ctx: CliContext, io: CliIo, file: string, encoding: "utf-8" | "gb18030"): Promise<string> {
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new DomainError("validation_failed", `cannot read ${file}: ${err.code ?? err.message}`, { field: "file" });
  });
  const bar = progressBar(io, "import");
  try {
    const view = await ctx.reconciliation.importStatement(CLI_PRINCIPAL, { bytes, filename: path.basename(file), encoding }, bar);
    return `import ${view.id} of ${path.basename(file)}: ${view.total} lines, ${view.inserted} new, ${view.alreadyImported} imported before`;
  } finally {
    bar.end();
  }
}

/** Runs one command; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, open: () => Promise<CliContext> = openContext): Promise<number> {
  let ctx: CliContext | undefined;
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === "help" || command === "--help") {
      io.out(USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    const sub = command === "export" ? rest.shift() : undefined;
    const { values, positionals } = parseArgs({
      args: rest,
      options: { date: { type: "string" }, provider: { type: "string" }, statement: { type: "string" }, encoding: { type: "string" }, out: { type: "string" } },
      allowPositionals: true,
      strict: true,
    });
    switch (command) {
      case "reconcile": {
        const date = checkDate(values.date);
        const provider = values.provider ?? "offline";
        if (provider !== "offline" && provider !== "stripe") throw new UsageError(`--provider must be offline or stripe, got ${provider}`);
        if (values.statement !== undefined && provider !== "offline") throw new UsageError("--statement is the offline gateway's bank statement");
        if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
        const encoding = checkEncoding(values.encoding);
        ctx = await open();
        if (values.statement !== undefined) io.out(await importFile(ctx, io, values.statement, encoding));
        if (provider === "stripe") {
          const bar = progressBar(io, "fetch");
          try {
            const view = await ctx.reconciliation.importStripe(CLI_PRINCIPAL, { fromDate: date, toDate: date }, bar);
            io.out(`import ${view.id} from Stripe: ${view.total} balance transactions, ${view.inserted} new`);
          } finally {
            bar.end();
          }
        }
        const summary = runSummary(await ctx.reconciliation.run(CLI_PRINCIPAL, { provider, date }));
        io.out(summary.line);
        return summary.code;
      }
      case "import-statement": {
        const file = positionals[0];
        if (file === undefined || positionals.length > 1) throw new UsageError("import-statement takes one file");
        const encoding = checkEncoding(values.encoding);
        ctx = await open();
        io.out(await importFile(ctx, io, file, encoding));
        return EXIT.ok;
      }
      case "export": {
        if (sub !== "trial-balance" && sub !== "transfers") throw new UsageError(`export what? trial-balance or transfers, got ${sub ?? "nothing"}`);
        const date = checkDate(values.date);
        ctx = await open();
        const file = sub === "trial-balance" ? await ctx.reconciliation.trialBalanceCsv(CLI_PRINCIPAL, date) : await ctx.reconciliation.transfersCsv(CLI_PRINCIPAL, date);
        const lines = file.body.trim().split("\r\n").length - 1;
        if (values.out !== undefined) {
          await writeFile(values.out, file.body);
          io.out(`export ${sub} ${date}: ${lines} line${lines === 1 ? "" : "s"} written to ${values.out}`);
        } else {
          io.out(file.body.replace(/\r\n$/, ""));
          io.err(`export ${sub} ${date}: ${lines} line${lines === 1 ? "" : "s"}\n`);
        }
        return EXIT.ok;
      }
      case "verify": {
        if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
        ctx = await open();
        const { config, db } = ctx;
        const chain = await verifyStoredChain(db.sql, config.ledger.shard, {
          mode: "full",
          check: checkpointVerifier([config.ledger.signingKey, ...config.ledger.previousPublicKeys]),
        });
        const tb = await ctx.reconciliation.trialBalanceCsv(CLI_PRINCIPAL, shanghaiDate(Date.now() + 86_400_000));
        const totals = tb.body.split("\r\n").filter((l) => l.startsWith("TOTAL ")).map((l) => l.split(","));
        const unbalanced = totals.filter((t) => t[4] !== t[5]);
        const escrows = await closedEscrowProblems(createContractsRepository(db.sql, config.ledger.shard));
        for (const problem of escrows) io.err(`${problem}\n`);
        const ok = chain.ok && unbalanced.length === 0 && escrows.length === 0;
        io.out(
          `verify ${config.ledger.shard}: ${ok ? "ok" : "FAILED"}; ${chain.checked} records and ${chain.checkpointsChecked} checkpoints checked` +
            (chain.firstBad ? `; first bad record ${chain.firstBad.sequence}: ${chain.firstBad.reason}` : "") +
            (unbalanced.length > 0 ? `; debits ≠ credits in ${unbalanced.map((t) => t[1]).join(", ")}` : `; debits = credits in ${totals.map((t) => t[1]).join(", ") || "every ledger"}`) +
            (escrows.length > 0 ? `; ${escrows.length} closed contract${escrows.length === 1 ? "'s" : "s'"} escrow not at zero (listed above)` : ""),
        );
        return ok ? EXIT.ok : EXIT.disagree;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`${(err as Error).message}\n${USAGE}\n`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      io.err(`configuration: ${err.message}\n`);
      return EXIT.config;
    }
    if (err instanceof DomainError) {
      io.err(`${err.message}\n`);
      // A date before the provider's latest run: runs are cumulative, so repeating it would never help.
      if (err.code === "conflict" && err.details["latestDate"] !== undefined) return EXIT.data;
      if (err.code === "conflict" || err.code === "not_ready" || err.code === "idempotency_in_progress") return EXIT.retry;
      if (err.status < 500) return EXIT.data;
      return EXIT.internal;
    }
    const code = (err as { code?: string }).code;
    if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "ETIMEDOUT" || code === "57P03" || code === "3D000") {
      io.err(`the database cannot be reached: ${(err as Error).message}\n`);
      return EXIT.unavailable;
    }
    io.err(`internal error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.internal;
  } finally {
    await ctx?.close();
  }
}

/**
 * Opens the configured database (migrated, as start-up does) and a
 * reconciliation service that reads the ledger from storage: the command
 * line never writes the ledger, so it needs no writer of its own.
 */
export async function openContext(): Promise<CliContext> {
  const config = loadProcessConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: path.join(config.dataDir, "pglite"), poolSize: 4 });
  try {
    await migrateDatabase(db, config.databaseOwnerUrl);
    const ledgerRepo = createLedgerRepository(db.sql, config.ledger.shard);
    const refuse = async (): Promise<never> => {
      throw new Error("the command line reads the ledger; corrections go through the server (POST /v1/reconciliation/exceptions/:id/resolve)");
    };
    const payments = createPaymentsRepository(db.sql);
    const { secretKey, webhookSecret, apiBase, maxNetworkRetries } = config.stripe;
    const source: ProviderSource | undefined = secretKey && webhookSecret ? stripeProviderSource(createStripeApi({ secretKey, webhookSecret, apiBase, maxNetworkRetries })) : undefined;
    const module = createReconciliationModule({
      sql: db.sql,
      ledger: {
        createAccounts: refuse,
        createTransfers: refuse,
        lookupAccount: () => undefined,
        statement: (accountId, options) => ledgerRepo.statement(accountId, options?.afterTimestamp ?? 0, options?.limit ?? 100),
      },
      config,
      clock: systemClock,
      newId,
      describeClearing: (ids) => payments.describeClearing(ids),
      stripeSource: source,
    });
    return { config, db, reconciliation: module.service, close: () => db.close() };
  } catch (err) {
    await db.close();
    throw err;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const io: CliIo = { out: (l) => process.stdout.write(`${l}\n`), err: (t) => process.stderr.write(t), tty: process.stderr.isTTY === true };
  process.exitCode = await runCli(process.argv.slice(2), io);
}
