/**
 * Reconciliation: operators prove that the money in the ledger is the money
 * at the provider, and fix what is not.
 *
 * - Provider records come in by import: the offline gateway's bank
 *   statement (a CSV upload, see statement-csv.ts), Stripe's balance
 *   transactions (fetched with pagination). An import is idempotent on the
 *   provider's id of each record.
 * - The ledger side is the clearing account's statement, copied with what
 *   identifies each movement (payments says which gateway and ids; a
 *   correction names its exception).
 * - A run for (provider, date) is cumulative: everything up to the date that
 *   no run matched, given to the pure engine (reconcile.ts). Matched
 *   movements are settled; the rest go to the exception queue. A run on
 *   unchanged data changes nothing (same scope fingerprint: the earlier run
 *   is answered). Runs move forward: a date before the provider's latest run
 *   is refused (that run already covered it).
 * - An exception is resolved only by a new ledger transfer between clearing
 *   and suspense for its effect, with an id derived from the exception
 *   ("reconciliation:<exception>:<n>"), in the recoverable three steps
 *   (src/http/idempotency.ts): resolving under the request's claim → the
 *   ledger → resolved; or by accepting a tier-3 suggestion, which links the
 *   two movements (no money moves: their amounts are equal).
 */
import type { AccountInput, AccountSnapshot, CreateAccountsOutcome, CreateTransfersOutcome, StatementLine, StatementOptions, TransferInput } from "../ledger";
import { CNY, accountStands, ledgerRefusal, platformAccountId, platformAccounts, transferStands } from "../ledger";
import type { ClearingMovement } from "../payments";
import { normaliseReference } from "../payments";
import { escrowOf } from "../exchange";
import { shanghaiDate } from "../parties";
import { claimLost, type Claim, type Recover } from "../shared/claim";
import type { Clock } from "../shared/clock";
import { decodeCursor, pageOf, type Page } from "../shared/cursor";
import { DomainError, invalidField, notFound } from "../shared/errors";
import type { NewId } from "../shared/ids";
import { sha256Hex } from "../shared/sha256";
import { fenToJsonNumber } from "../shared/money";
import type { Principal } from "../shared/principal";
import { reconcile, type Item, type ItemKind, type LedgerEntry, type ProviderRecord } from "./reconcile";
import type { ExceptionRow, ExceptionStatus, FoundException, ImportRow, ItemRow, LedgerEntryRow, NoteRow, Provider, ProviderRecordRow, ReconciliationRepository, RunRow } from "./reconciliation.repository";
import { decodeStatement, parseStatement, referencesIn, type StatementEncoding, type StatementProblem } from "./statement-csv";
import { csvLine } from "./csv";

/** What reconciliation needs of the ledger's single writer (the sequencer): post corrections, read the clearing account. */
export interface ReconciliationLedger {
  createAccounts(inputs: AccountInput[]): Promise<CreateAccountsOutcome>;
  createTransfers(batch: TransferInput[]): Promise<CreateTransfersOutcome>;
  lookupAccount(id: string): AccountSnapshot | undefined;
  statement(accountId: string, options?: StatementOptions): Promise<StatementLine[]>;
}

/** A provider's records fetched for a period (Stripe's balance transactions), page by page. */
export interface ProviderSource {
  readonly provider: Provider;
  fetch(range: { fromDate: string; toDate: string }, onPage: (records: ProviderRecordRow[]) => Promise<void>): Promise<void>;
}

export interface ReconciliationDeps {
  repo: ReconciliationRepository;
  ledger: ReconciliationLedger;
  /** Which gateway and ids payments wrote for these clearing transfers. */
  describeClearing(transferIds: readonly string[]): Promise<Map<string, ClearingMovement>>;
  /** The ledger shard whose clearing account is reconciled. */
  shard: string;
  clock: Clock;
  newId: NewId;
  /** Tier 3 window, days either side. */
  windowDays: number;
  /** Statement lines written per transaction (and per progress report). */
  importChunk?: number;
  /** Fetches Stripe's records, when Stripe is configured. */
  stripeSource?: ProviderSource;
}

/** Progress of a long import: lines written of the file's total. */
export type ImportProgress = (p: { done: number; total: number }) => void;

export const PROVIDERS = ["offline", "stripe"] as const;

/** Names of the operations reconciliation records on claims (see src/http/idempotency.ts). */
export const RECONCILIATION_OPERATIONS = { resolve: "reconciliation.exception.resolve" } as const;

export interface ImportView {
  id: string;
  provider: Provider;
  filename: string | null;
  encoding: string;
  status: "importing" | "imported";
  total: number;
  done: number;
  inserted: number;
  alreadyImported: number;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface TotalsView {
  currency: string;
  /** Cumulative to the date: Σ clearing movements through this provider. */
  ledgerFen: number;
  /** Cumulative to the date: Σ the provider's records (its net). */
  providerFen: number;
  /** providerFen − ledgerFen. */
  differenceFen: number;
  /** Σ effects of the open exceptions; equals differenceFen. */
  openExceptionsFen: number;
  /** differenceFen − openExceptionsFen: zero, or the books disagree with the engine (reported, never hidden). */
  unexplainedFen: number;
  openExceptions: number;
  /** The date's own movements on each side. */
  dayLedgerFen: number;
  dayProviderFen: number;
}

export interface RunView {
  id: string;
  provider: Provider;
  date: string;
  ledgerCount: number;
  providerCount: number;
  matched: number;
  exceptions: number;
  suggestions: number;
  totals: TotalsView[];
  startedBy: string;
  createdAt: string;
  /** True when nothing changed since the run answered (the same run, nothing written). */
  unchanged: boolean;
}

export interface ItemView {
  position: number;
  kind: ItemKind;
  tier: number | null;
  currency: string;
  ledgerIds: string[];
  providerIds: string[];
  correctionIds: string[];
  ledgerFen: number;
  providerFen: number;
  effectFen: number;
  date: string;
  exceptionId: string | null;
  suggestedExceptionId: string | null;
}

export interface NoteView {
  id: string;
  author: string;
  body: string;
  createdAt: string;
}

export interface ExceptionView {
  id: string;
  provider: Provider;
  kind: ItemKind;
  currency: string;
  ledgerIds: string[];
  providerIds: string[];
  ledgerFen: number;
  providerFen: number;
  /** What it adds to the difference (provider − ledger); the correction moves this much into clearing from suspense (negative: out). */
  effectFen: number;
  date: string;
  suggestedExceptionId: string | null;
  status: ExceptionStatus;
  owner: string | null;
  resolution: string | null;
  correctionTransferId: string | null;
  correctionFen: number | null;
  matchedWith: string | null;
  openedAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** Whole days since it was first found. */
  ageDays: number;
  firstRunId: string;
  lastRunId: string;
  notes: NoteView[];
}

export interface ControlTotalsView {
  provider: Provider;
  date: string;
  asOf: string;
  totals: TotalsView[];
}

/** Re-read this far behind the copy's cursor (µs), so a movement committed slightly out of timestamp order is not missed; copies are idempotent. */
const CURSOR_OVERLAP_US = 300_000_000;
const STATEMENT_PAGE = 1000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const CONTRACT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const DAY_MS = 86_400_000;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

const sha256 = sha256Hex;

/** The exception a discrepancy is, across runs: derived from the provider and the item's stable key. */
export function exceptionIdOf(provider: Provider, key: string): string {
  return `rex_${sha256(`${provider}\u0000${key}`).slice(0, 32)}`;
}

/** µs since the epoch at the start of a local date (Asia/Shanghai). */
function dayStartUs(date: string): number {
  return (Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) - SHANGHAI_OFFSET_MS) * 1000;
}

function checkDate(date: string, field: string): void {
  if (!DATE.test(date) || shanghaiDate(dayStartUs(date) / 1000 + 1) !== date) throw invalidField(field, `"${date}" is not a date like 2026-12-01`);
}

function checkProvider(provider: string, field: string): Provider {
  if (!(PROVIDERS as readonly string[]).includes(provider)) throw invalidField(field, `must be one of ${PROVIDERS.join(", ")}`);
  return provider as Provider;
}

/** The canonical text of an engine input: what a run's fingerprint hashes. */
function canonicalScope(date: string, ledger: readonly LedgerEntry[], provider: readonly ProviderRecord[], settled: readonly string[]): string {
  const l = [...ledger]
    .map((e) => [e.id, e.currency, e.amountFen.toString(), e.date, [...e.identifiers].sort(), e.transferGroup, [...(e.corrects ?? [])].sort()])
    .sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
  const p = [...provider]
    .map((e) => [e.id, e.currency, e.amountFen.toString(), e.date, [...e.identifiers].sort(), e.transferGroup])
    .sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
  return JSON.stringify([date, l, p, [...settled].sort()]);
}

function operatorOnly(principal: Principal, what: string): void {
  if (principal.role !== "operator") throw new DomainError("forbidden", `only an operator ${what}`);
}

function importView(r: ImportRow): ImportView {
  return {
    id: r.id, provider: r.provider, filename: r.filename, encoding: r.encoding, status: r.status, total: r.total, done: r.done, inserted: r.inserted,
    alreadyImported: r.already, createdBy: r.createdBy, createdAt: r.createdAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

function statementProblem(problems: readonly StatementProblem[]): DomainError {
  const first = problems[0]!;
  const where = first.line > 0 ? `line ${first.line}${first.column ? `, column ${first.column}` : ""}: ` : "";
  return new DomainError("validation_failed", `${where}${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? "s" : ""})` : ""}`, {
    field: "/body",
    line: first.line,
    column: first.column,
    problems: problems.map((p) => ({ line: p.line, column: p.column, message: p.message })),
  });
}

interface Evaluation {
  provider: Provider;
  date: string;
  ledger: LedgerEntry[];
  records: ProviderRecord[];
  settled: string[];
  scopeFingerprint: string;
  items: Item[];
}

export function createReconciliationService(deps: ReconciliationDeps) {
  const { repo, ledger, clock } = deps;
  const chunk = deps.importChunk ?? 500;

  async function ensurePlatformAccounts(): Promise<void> {
    const missing = platformAccounts(CNY).filter((a) => ledger.lookupAccount(a.id) === undefined);
    if (missing.length === 0) return;
    const out = await ledger.createAccounts(missing);
    out.results.forEach((r, i) => {
      if (!accountStands(r)) throw new Error(`ledger account ${missing[i]!.id}: ${r}`);
    });
  }

  /**
   * Copies the clearing account's new cash movements (single transfers and
   * posted holds; a hold is not cash yet) with what identifies them.
   * Returns how many movements it looked at.
   */
  async function ingestLedger(): Promise<number> {
    const clearing = platformAccountId("clearing");
    const cursor = await repo.cursor(deps.shard);
    let after = Math.max(0, cursor - CURSOR_OVERLAP_US);
    let last = cursor;
    let seen = 0;
    for (;;) {
      const lines = await ledger.statement(clearing, { afterTimestamp: after, limit: STATEMENT_PAGE });
      if (lines.length === 0) break;
      seen += lines.length;
      const cash = lines.filter((l) => l.transfer.kind === "single" || l.transfer.kind === "post");
      const ids = cash.map((l) => l.transfer.id);
      const [described, corrections] = await Promise.all([deps.describeClearing(ids), repo.exceptionsByCorrection(ids)]);
      const rows: LedgerEntryRow[] = cash.map((l) => {
        const t = l.transfer;
        const amountFen = l.direction === "debit" ? t.amount : -t.amount;
        const base = { transferId: t.id, currency: t.ledger, amountFen, ledgerTimestamp: t.timestamp, businessDate: shanghaiDate(Math.floor(t.timestamp / 1000)) };
        const fix = corrections.get(t.id);
        if (fix) return { ...base, provider: fix.provider, kind: "correction", identifiers: [], transferGroup: null, corrects: [...fix.ledgerIds, ...fix.providerIds], businessDate: fix.itemDate };
        const d = described.get(t.id);
        if (d) return { ...base, provider: d.provider, kind: d.kind, identifiers: d.identifiers, transferGroup: d.transferGroup, corrects: [] };
        // A movement nobody explains is reconciled against the bank: it will stand out as missing there.
        return { ...base, provider: "offline" as const, kind: "other", identifiers: [t.id], transferGroup: null, corrects: [] };
      });
      after = lines[lines.length - 1]!.transfer.timestamp;
      last = Math.max(last, after);
      await repo.insertLedgerEntries(deps.shard, rows, last);
      if (lines.length < STATEMENT_PAGE) break;
    }
    return seen;
  }

  /** The engine over a provider's open scope up to a date (after copying the ledger's new movements). */
  async function evaluate(provider: Provider, date: string): Promise<Evaluation> {
    await ingestLedger();
    const scope = await repo.openScope(provider, date);
    const links = await repo.matchLinks(provider, [...scope.ledger.map((e) => e.transferId), ...scope.records.map((r) => r.id)]);
    const withLink = (id: string, identifiers: string[]) => (links.has(id) ? [...identifiers, links.get(id)!] : identifiers);
    const ledgerIn: LedgerEntry[] = scope.ledger.map((e) => ({
      id: e.transferId, currency: e.currency, amountFen: e.amountFen, date: e.businessDate, identifiers: withLink(e.transferId, e.identifiers), transferGroup: e.transferGroup,
      ...(e.corrects.length > 0 ? { corrects: e.corrects } : {}),
    }));
    const recordsIn: ProviderRecord[] = scope.records.map((r) => ({
      id: r.id, currency: r.currency, amountFen: r.amountFen, date: r.valueDate, identifiers: withLink(r.id, r.identifiers), transferGroup: r.transferGroup,
    }));
    const identifiers = [...new Set([...ledgerIn, ...recordsIn].flatMap((e) => e.identifiers))];
    const settled = await repo.settledAmong(provider, identifiers);
    const { items } = reconcile({ ledger: ledgerIn, provider: recordsIn, settledIdentifiers: settled, windowDays: deps.windowDays });
    return { provider, date, ledger: ledgerIn, records: recordsIn, settled, scopeFingerprint: sha256(canonicalScope(date, ledgerIn, recordsIn, settled)), items };
  }

  async function totalsOf(ev: Evaluation): Promise<TotalsView[]> {
    const cumulative = await repo.cumulativeTotals(ev.provider, ev.date, ev.date);
    const open = new Map<string, { fen: bigint; n: number }>();
    for (const i of ev.items) {
      if (i.kind === "matched") continue;
      const o = open.get(i.currency) ?? { fen: 0n, n: 0 };
      o.fen += i.effectFen;
      o.n++;
      open.set(i.currency, o);
    }
    const currencies = [...new Set([...cumulative.keys(), ...open.keys()])].sort();
    return currencies.map((currency) => {
      const c = cumulative.get(currency) ?? { ledgerFen: 0n, providerFen: 0n, dayLedgerFen: 0n, dayProviderFen: 0n };
      const o = open.get(currency) ?? { fen: 0n, n: 0 };
      const difference = c.providerFen - c.ledgerFen;
      return {
        currency, ledgerFen: fenToJsonNumber(c.ledgerFen), providerFen: fenToJsonNumber(c.providerFen), differenceFen: fenToJsonNumber(difference),
        openExceptionsFen: fenToJsonNumber(o.fen), unexplainedFen: fenToJsonNumber(difference - o.fen), openExceptions: o.n,
        dayLedgerFen: fenToJsonNumber(c.dayLedgerFen), dayProviderFen: fenToJsonNumber(c.dayProviderFen),
      };
    });
  }

  function runView(r: RunRow, unchanged: boolean): RunView {
    return {
      id: r.id, provider: r.provider, date: r.businessDate, ledgerCount: r.ledgerCount, providerCount: r.providerCount, matched: r.matched, exceptions: r.exceptions,
      suggestions: r.suggestions, totals: r.totals as TotalsView[], startedBy: r.startedBy, createdAt: r.createdAt.toISOString(), unchanged,
    };
  }

  function itemView(i: ItemRow): ItemView {
    return {
      position: i.position, kind: i.kind, tier: i.tier, currency: i.currency, ledgerIds: i.ledgerIds, providerIds: i.providerIds, correctionIds: i.correctionIds,
      ledgerFen: fenToJsonNumber(i.ledgerFen), providerFen: fenToJsonNumber(i.providerFen), effectFen: fenToJsonNumber(i.effectFen), date: i.itemDate,
      exceptionId: i.exceptionId, suggestedExceptionId: i.suggestionId,
    };
  }

  function exceptionView(e: ExceptionRow, notes: readonly NoteRow[] = []): ExceptionView {
    return {
      id: e.id, provider: e.provider, kind: e.kind, currency: e.currency, ledgerIds: e.ledgerIds, providerIds: e.providerIds, ledgerFen: fenToJsonNumber(e.ledgerFen),
      providerFen: fenToJsonNumber(e.providerFen), effectFen: fenToJsonNumber(e.effectFen), date: e.itemDate, suggestedExceptionId: e.suggestionId, status: e.status,
      owner: e.owner, resolution: e.resolution, correctionTransferId: e.correctionTransferId, correctionFen: e.correctionFen === null ? null : fenToJsonNumber(e.correctionFen),
      matchedWith: e.matchedWith, openedAt: e.openedAt.toISOString(), updatedAt: e.updatedAt.toISOString(), resolvedAt: e.resolvedAt?.toISOString() ?? null,
      resolvedBy: e.resolvedBy, ageDays: Math.max(0, Math.floor((clock.now().getTime() - e.openedAt.getTime()) / DAY_MS)), firstRunId: e.firstRunId,
      lastRunId: e.lastRunId, notes: notes.map((n) => ({ id: n.id, author: n.author, body: n.body, createdAt: n.createdAt.toISOString() })),
    };
  }

  async function exceptionWithNotes(id: string): Promise<ExceptionView> {
    const e = await repo.findException(id);
    if (!e) throw notFound("exception", id);
    return exceptionView(e, await repo.notes(id));
  }

  /** Drives a correction from resolving to resolved (or back to open when the ledger refuses it); null when none is under way. */
  async function completeCorrection(id: string, claim: Claim): Promise<ExceptionView | null> {
    const e = await repo.findException(id);
    if (!e || e.resolution !== "correction" || (e.status !== "resolving" && e.status !== "resolved")) return null;
    if (e.status === "resolved") return exceptionWithNotes(id);
    await ensurePlatformAccounts();
    const fen = e.correctionFen!;
    const clearing = platformAccountId("clearing");
    const suspense = platformAccountId("suspense");
    const out = await ledger.createTransfers([
      {
        id: e.correctionTransferId!, debitAccountId: fen > 0n ? clearing : suspense, creditAccountId: fen > 0n ? suspense : clearing,
        amount: fen > 0n ? fen : -fen, ledger: e.currency, code: "reconciliation", userData: id,
      },
    ]);
    const result = out.results[0]!;
    if (!transferStands(result)) {
      if ((await repo.undoCorrection(id, clock.now(), claim)) === "claim_lost") throw claimLost();
      throw ledgerRefusal(result, "/params/id");
    }
    if ((await repo.finishCorrection(id, clock.now(), claim)) === "claim_lost") throw claimLost();
    return exceptionWithNotes(id);
  }

  async function importRecords(
    principal: Principal,
    provider: Provider,
    file: { sha: string; filename: string | null; encoding: string },
    records: readonly ProviderRecordRow[],
    onProgress?: ImportProgress,
  ): Promise<ImportView> {
    // The same file again is the same import: finished, it is answered; cut off, it is written again (idempotently) to the end.
    const found = await repo.findImportByFile(provider, file.sha);
    if (found?.status === "imported") return importView(found);
    // Nothing is written when one line disagrees with what an earlier import stored under the same id.
    const ids = records.map((r) => r.id);
    for (let i = 0; i < ids.length; i += 5000) {
      const stored = await repo.storedHashes(provider, ids.slice(i, i + 5000));
      for (const r of records.slice(i, i + 5000)) {
        const h = stored.get(r.id);
        if (h !== undefined && h !== r.contentHash) {
          throw new DomainError("conflict", `transaction ${r.id} was imported before with another date, amount or currency; a statement line never changes`, {
            field: "/body",
            transactionId: r.id,
          });
        }
      }
    }
    const started = found ?? (await repo.startImport({ id: deps.newId("imp"), provider, fileSha256: file.sha, filename: file.filename, encoding: file.encoding, total: records.length, createdBy: principal.credentialId, createdAt: clock.now() }));
    if (started.status === "imported") return importView(started);
    if (found) await repo.restartImport(started.id);
    onProgress?.({ done: 0, total: records.length });
    for (let i = 0; i < records.length; i += chunk) {
      const part = records.slice(i, i + chunk);
      await repo.insertRecords(started.id, part, i + part.length);
      onProgress?.({ done: i + part.length, total: records.length });
    }
    return importView(await repo.finishImport(started.id, clock.now()));
  }

  function recordHash(r: { currency: string; amountFen: bigint; valueDate: string }): string {
    return sha256(`${r.valueDate}|${r.currency}|${r.amountFen}`);
  }

  return {
    ingestLedger,

    /**
     * An operator uploads the bank's statement (offline gateway): every line
     * is checked first (a problem names its line and column; nothing is
     * written), then the lines are written in chunks, reporting progress.
     */
    async importStatement(
      principal: Principal,
      input: { bytes: Uint8Array; filename?: string | null; encoding?: StatementEncoding },
      onProgress?: ImportProgress,
    ): Promise<ImportView> {
      operatorOnly(principal, "imports bank statements");
      const encoding = input.encoding ?? "utf-8";
      const decoded = decodeStatement(input.bytes, encoding);
      if (!decoded.ok) throw statementProblem([decoded.problem]);
      const parsed = parseStatement(decoded.text);
      if (!parsed.ok) throw statementProblem(parsed.problems);
      const records: ProviderRecordRow[] = parsed.lines.map((l) => {
        const refs = referencesIn(l.reference, normaliseReference);
        return {
          provider: "offline", id: l.transactionId, source: "bank_statement", currency: l.currency, amountFen: l.amountFen, valueDate: l.date,
          identifiers: [l.transactionId, ...refs.identifiers], transferGroup: refs.transferGroup, counterparty: l.counterparty, reference: l.reference,
          contentHash: recordHash({ currency: l.currency, amountFen: l.amountFen, valueDate: l.date }),
        };
      });
      return importRecords(principal, "offline", { sha: sha256(input.bytes), filename: input.filename ?? null, encoding }, records, onProgress);
    },

    /** Fetches Stripe's balance transactions for a period (with pagination) as one import; idempotent on each transaction's id. */
    async importStripe(principal: Principal, range: { fromDate: string; toDate: string }, onProgress?: ImportProgress): Promise<ImportView> {
      operatorOnly(principal, "imports provider records");
      checkDate(range.fromDate, "/body/fromDate");
      checkDate(range.toDate, "/body/toDate");
      if (range.toDate < range.fromDate) throw invalidField("/body/toDate", "must not be before fromDate");
      const source = deps.stripeSource;
      if (!source) throw new DomainError("unprocessable", "Stripe is not configured (STRIPE_SECRET_KEY)", { field: "/body" });
      const records: ProviderRecordRow[] = [];
      await source.fetch(range, async (page) => {
        records.push(...page.map((r) => ({ ...r, contentHash: recordHash(r) })));
        onProgress?.({ done: records.length, total: records.length });
      });
      // A fetch of the same period with the same records is the same import.
      const sha = sha256(JSON.stringify([range, records.map((r) => [r.id, r.contentHash]).sort()]));
      return importRecords(principal, "stripe", { sha, filename: `stripe ${range.fromDate}..${range.toDate}`, encoding: "api" }, records, onProgress);
    },

    async listImports(principal: Principal, query: { limit?: number; cursor?: string }): Promise<Page<ImportView>> {
      operatorOnly(principal, "reads imports");
      const limit = query.limit ?? 100;
      const after = query.cursor ? decodeCursor(query.cursor, ["t", "id"]) : undefined;
      const rows = await repo.listImports({ limit: limit + 1, ...(after ? { after: { createdAt: new Date(after.t), id: after.id } } : {}) });
      return pageOf(rows, limit, importView, (r) => ({ t: r.createdAt.toISOString(), id: r.id }));
    },

    async getImport(principal: Principal, id: string): Promise<ImportView> {
      operatorOnly(principal, "reads imports");
      const r = await repo.findImport(id);
      if (!r) throw notFound("import", id);
      return importView(r);
    },

    /**
     * Reconciles a provider up to a date: matches, settles what matched,
     * updates the exception queue. Unchanged data answers the run that saw it.
     */
    async run(principal: Principal, input: { provider: string; date: string }): Promise<RunView> {
      operatorOnly(principal, "runs reconciliation");
      const provider = checkProvider(input.provider, "/body/provider");
      checkDate(input.date, "/body/date");
      const latest = await repo.latestRun(provider);
      if (latest && latest.businessDate > input.date) {
        throw new DomainError("conflict", `runs are cumulative and ${provider} was reconciled up to ${latest.businessDate} already; run that date or a later one`, {
          field: "/body/date",
          latestDate: latest.businessDate,
        });
      }
      const ev = await evaluate(provider, input.date);
      if (latest && latest.businessDate === input.date && latest.resultFingerprint === ev.scopeFingerprint) return runView(latest, true);

      const matched = ev.items.filter((i) => i.kind === "matched");
      const settledLedger = new Set(matched.flatMap((i) => [...i.ledgerIds, ...i.correctionIds]));
      const settledRecords = new Set(matched.flatMap((i) => i.providerIds));
      const newlySettled = [
        ...ev.ledger.filter((e) => settledLedger.has(e.id)).flatMap((e) => e.identifiers),
        ...ev.records.filter((e) => settledRecords.has(e.id)).flatMap((e) => e.identifiers),
      ];
      const residueLedger = ev.ledger.filter((e) => !settledLedger.has(e.id));
      const residueRecords = ev.records.filter((e) => !settledRecords.has(e.id));
      const residueIds = new Set([...residueLedger, ...residueRecords].flatMap((e) => e.identifiers));
      const residueSettled = [...new Set([...ev.settled, ...newlySettled])].filter((x) => residueIds.has(x));
      const resultFingerprint = sha256(canonicalScope(input.date, residueLedger, residueRecords, residueSettled));

      const idOf = new Map(ev.items.map((i) => [i.key, exceptionIdOf(provider, i.key)]));
      const open = ev.items.filter((i) => i.kind !== "matched");
      const owners = await repo.ownersOf(provider, open.flatMap((i) => [...i.ledgerIds, ...i.providerIds]));
      const exceptions: FoundException[] = open.map((i) => ({
        id: idOf.get(i.key)!, kind: i.kind, currency: i.currency, ledgerIds: i.ledgerIds, providerIds: i.providerIds, ledgerFen: i.ledgerFen, providerFen: i.providerFen,
        effectFen: i.effectFen, itemDate: i.date, suggestionId: i.suggestion === null ? null : idOf.get(i.suggestion) ?? null,
        owner: [...i.ledgerIds, ...i.providerIds].map((m) => owners.get(m)).find((o) => o !== undefined) ?? null,
      }));
      const totals = await totalsOf(ev);
      const now = clock.now();
      const run: RunRow = {
        id: deps.newId("rrn"), provider, businessDate: input.date, scopeFingerprint: ev.scopeFingerprint, resultFingerprint, ledgerCount: ev.ledger.length,
        providerCount: ev.records.length, matched: matched.length, exceptions: open.length, suggestions: open.filter((i) => i.suggestion !== null).length,
        totals, startedBy: principal.credentialId, createdAt: now,
      };
      const items: ItemRow[] = ev.items.map((i, position) => ({
        position, kind: i.kind, tier: i.tier, currency: i.currency, ledgerIds: [...i.ledgerIds], providerIds: [...i.providerIds], correctionIds: [...i.correctionIds],
        ledgerFen: i.ledgerFen, providerFen: i.providerFen, effectFen: i.effectFen, itemDate: i.date,
        exceptionId: i.kind === "matched" ? null : idOf.get(i.key)!, suggestionId: i.suggestion === null ? null : idOf.get(i.suggestion) ?? null,
      }));
      const saved = await repo.saveRun(
        { run, items, settledLedgerIds: [...settledLedger], settledProviderIds: [...settledRecords], settledIdentifiers: [...new Set(newlySettled)], exceptions },
        latest?.id ?? null,
      );
      if (saved === "stale") throw new DomainError("conflict", `another ${provider} run finished meanwhile; run again`, { field: "/body/date" });
      return runView(run, false);
    },

    /** Live control totals of a provider up to a date: nothing is written but the copy of the ledger's new movements. */
    async controlTotals(principal: Principal, input: { provider: string; date: string }): Promise<ControlTotalsView> {
      operatorOnly(principal, "reads control totals");
      const provider = checkProvider(input.provider, "/querystring/provider");
      checkDate(input.date, "/querystring/date");
      // A date a later run went past is answered from its own run: later runs settled movements of it together with later
      // ones, so the live scope no longer shows that day as it was.
      const latest = await repo.latestRun(provider);
      if (latest && latest.businessDate > input.date) {
        const run = await repo.latestRunOn(provider, input.date);
        if (!run) {
          throw new DomainError("conflict", `${provider} was reconciled up to ${latest.businessDate} without a run for ${input.date}; read the totals of ${latest.businessDate}`, {
            field: "/querystring/date",
            latestDate: latest.businessDate,
          });
        }
        return { provider, date: input.date, asOf: run.createdAt.toISOString(), totals: run.totals as TotalsView[] };
      }
      const ev = await evaluate(provider, input.date);
      return { provider, date: input.date, asOf: clock.now().toISOString(), totals: await totalsOf(ev) };
    },

    async listRuns(principal: Principal, query: { provider?: string; limit?: number; cursor?: string }): Promise<Page<RunView>> {
      operatorOnly(principal, "reads reconciliation runs");
      const limit = query.limit ?? 100;
      const after = query.cursor ? decodeCursor(query.cursor, ["t", "id"]) : undefined;
      const rows = await repo.listRuns({
        limit: limit + 1,
        ...(query.provider ? { provider: checkProvider(query.provider, "/querystring/provider") } : {}),
        ...(after ? { after: { createdAt: new Date(after.t), id: after.id } } : {}),
      });
      return pageOf(rows, limit, (r) => runView(r, false), (r) => ({ t: r.createdAt.toISOString(), id: r.id }));
    },

    async getRun(principal: Principal, id: string): Promise<RunView> {
      operatorOnly(principal, "reads reconciliation runs");
      const r = await repo.findRun(id);
      if (!r) throw notFound("reconciliation run", id);
      return runView(r, false);
    },

    async listItems(principal: Principal, runId: string, query: { kind?: ItemKind; limit?: number; cursor?: string }): Promise<Page<ItemView>> {
      operatorOnly(principal, "reads reconciliation runs");
      if (!(await repo.findRun(runId))) throw notFound("reconciliation run", runId);
      const limit = query.limit ?? 100;
      const after = query.cursor ? Number(decodeCursor(query.cursor, ["p"]).p) : undefined;
      if (after !== undefined && !Number.isSafeInteger(after)) throw invalidField("/querystring/cursor", "the cursor is not one this server issued; pass the `next` value of the previous page");
      const rows = await repo.listItems(runId, { limit: limit + 1, ...(query.kind ? { kind: query.kind } : {}), ...(after !== undefined ? { after } : {}) });
      return pageOf(rows, limit, itemView, (r) => ({ p: r.position }));
    },

    async listExceptions(principal: Principal, query: { provider?: string; status?: ExceptionStatus; owner?: string; limit?: number; cursor?: string }): Promise<Page<ExceptionView>> {
      operatorOnly(principal, "reads the exception queue");
      const limit = query.limit ?? 100;
      const after = query.cursor ? decodeCursor(query.cursor, ["t", "id"]) : undefined;
      const rows = await repo.listExceptions({
        limit: limit + 1,
        ...(query.provider ? { provider: checkProvider(query.provider, "/querystring/provider") } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.owner ? { owner: query.owner } : {}),
        ...(after ? { after: { openedAt: new Date(after.t), id: after.id } } : {}),
      });
      return pageOf(rows, limit, (e) => exceptionView(e), (e) => ({ t: e.openedAt.toISOString(), id: e.id }));
    },

    async getException(principal: Principal, id: string): Promise<ExceptionView> {
      operatorOnly(principal, "reads the exception queue");
      return exceptionWithNotes(id);
    },

    /** Gives an exception to an operator (by their name or key id), or back to nobody. */
    async assign(principal: Principal, id: string, owner: string | null): Promise<ExceptionView> {
      operatorOnly(principal, "assigns exceptions");
      if (owner !== null && owner.trim().length === 0) throw invalidField("/body/owner", "name the owner, or send null to unassign");
      const e = await repo.assign(id, owner === null ? null : owner.trim(), clock.now());
      if (!e) throw notFound("exception", id);
      return exceptionWithNotes(id);
    },

    async comment(principal: Principal, id: string, body: string): Promise<ExceptionView> {
      operatorOnly(principal, "comments on exceptions");
      const text = body.trim();
      if (text.length === 0) throw invalidField("/body/body", "the note is empty");
      if (!(await repo.findException(id))) throw notFound("exception", id);
      await repo.addNote({ id: deps.newId("rno"), exceptionId: id, author: principal.credentialId, body: text, createdAt: clock.now() });
      return exceptionWithNotes(id);
    },

    /**
     * Resolves an exception: "correct" posts its effect between clearing and
     * suspense as a new transfer (never an edit); "match" accepts a pairing
     * with an exception missing on the other side for the same amount (the
     * suggestion, or one the operator names). Repeating answers the same.
     */
    async resolve(principal: Principal, id: string, input: { action: "correct" } | { action: "match"; with?: string }, claim: Claim): Promise<ExceptionView> {
      operatorOnly(principal, "resolves exceptions");
      const e = await repo.findException(id);
      if (!e) throw notFound("exception", id);
      if (input.action === "match") {
        const otherId = input.with ?? e.suggestionId;
        if (!otherId) throw invalidField("/body/with", "this exception has no suggested counterpart; name the exception it matches");
        if (e.status === "resolved" && e.resolution === "match" && e.matchedWith === otherId) return exceptionWithNotes(id);
        const other = await repo.findException(otherId);
        if (!other) throw invalidField("/body/with", `exception ${otherId} was not found`);
        const pair = new Set([e.kind, other.kind]);
        if (!(pair.has("missing_in_ledger") && pair.has("missing_at_provider")) || e.provider !== other.provider || e.currency !== other.currency) {
          throw new DomainError("unprocessable", "only a movement missing in the ledger and one missing at the provider, of one provider and currency, can be matched", { field: "/body/with" });
        }
        if (e.effectFen + other.effectFen !== 0n) {
          throw new DomainError("unprocessable", "the two amounts differ; correct each exception instead", { field: "/body/with" });
        }
        if ((await repo.resolveByMatch(id, otherId, principal.credentialId, clock.now())) === "not_open") {
          throw new DomainError("conflict", "both exceptions must be open", { field: "/body/with" });
        }
        return exceptionWithNotes(id);
      }
      if (e.status === "resolved" && e.resolution === "correction") return exceptionWithNotes(id);
      if (e.status === "resolving") throw new DomainError("conflict", "this exception is being resolved by another request; read it again shortly", { field: "/params/id" });
      if (e.status !== "open") throw new DomainError("conflict", `an exception that is ${e.status} cannot be corrected`, { field: "/params/id", status: e.status });
      if (e.effectFen === 0n) throw new DomainError("unprocessable", "this exception moves no money; nothing to correct", { field: "/params/id" });
      const n = e.correctionTransferId ? Number(/:(\d+)$/.exec(e.correctionTransferId)?.[1] ?? "0") + 1 : 1;
      const started = await repo.startCorrection(
        id,
        { transferId: `reconciliation:${id}:${n}`, amountFen: e.effectFen, by: principal.credentialId, at: clock.now() },
        claim,
        RECONCILIATION_OPERATIONS.resolve,
      );
      if (started === "claim_lost") throw claimLost();
      if (started === "not_open") {
        const now = (await repo.findException(id))!;
        if (now.status === "resolved" && now.resolution === "correction") return exceptionWithNotes(id);
        throw new DomainError("conflict", `the exception is ${now.status}`, { field: "/params/id", status: now.status });
      }
      return (await completeCorrection(id, claim))!;
    },

    /** The trial balance at the end of a date (Asia/Shanghai), as CSV: posted totals per account, then per ledger. */
    async trialBalanceCsv(principal: Principal, date: string): Promise<{ filename: string; body: string }> {
      operatorOnly(principal, "exports the trial balance");
      checkDate(date, "/querystring/date");
      const rows = await repo.trialBalanceAt(deps.shard, dayStartUs(date) + DAY_MS * 1000 - 1);
      const lines = [csvLine(["account_id", "ledger", "code", "owner_id", "debits_posted_fen", "credits_posted_fen", "balance_fen"])];
      const totals = new Map<string, { d: bigint; c: bigint }>();
      for (const r of rows) {
        lines.push(csvLine([r.accountId, r.ledger, r.code, r.ownerId ?? "", r.debitsPosted.toString(), r.creditsPosted.toString(), (r.creditsPosted - r.debitsPosted).toString()]));
        const t = totals.get(r.ledger) ?? { d: 0n, c: 0n };
        t.d += r.debitsPosted;
        t.c += r.creditsPosted;
        totals.set(r.ledger, t);
      }
      for (const [l, t] of [...totals.entries()].sort()) lines.push(csvLine([`TOTAL ${l}`, l, "", "", t.d.toString(), t.c.toString(), (t.c - t.d).toString()]));
      return { filename: `trial-balance-${date}.csv`, body: `\uFEFF${lines.join("\r\n")}\r\n` };
    },

    /** Every ledger transfer of a date (Asia/Shanghai), oldest first, as CSV. */
    async transfersCsv(principal: Principal, date: string): Promise<{ filename: string; body: string }> {
      operatorOnly(principal, "exports transfers");
      checkDate(date, "/querystring/date");
      const from = dayStartUs(date);
      const to = from + DAY_MS * 1000;
      const lines = [csvLine(["at", "transfer_id", "kind", "code", "debit_account_id", "credit_account_id", "amount_fen", "ledger", "pending_id", "user_data"])];
      let after = from - 1;
      for (;;) {
        const page = await repo.transfersBetween(deps.shard, from, to, after, 5000);
        for (const t of page) {
          const ts = Number(t["timestamp"]);
          lines.push(csvLine([new Date(Math.floor(ts / 1000)).toISOString(), t["id"] as string, t["kind"] as string, t["code"] as string, t["debit_account_id"] as string,
            t["credit_account_id"] as string, String(t["amount"]), t["ledger"] as string, (t["pending_id"] as string | null) ?? "", (t["user_data"] as string | null) ?? ""]));
          after = ts;
        }
        if (page.length < 5000) break;
      }
      return { filename: `transfers-${date}.csv`, body: `\uFEFF${lines.join("\r\n")}\r\n` };
    },

    /**
     * A contract's statement as CSV: every movement of its escrow account, oldest first (the fill's escrow in,
     * each seat's wages, fee, withholding and refund out), with the running posted totals and balance.
     */
    async contractStatementCsv(principal: Principal, contractId: string): Promise<{ filename: string; body: string }> {
      operatorOnly(principal, "exports contract statements");
      if (!CONTRACT_ID.test(contractId)) throw invalidField("/querystring/contractId", "is not a contract id");
      const account = escrowOf(contractId);
      if (!(await repo.accountExists(deps.shard, account))) throw notFound("contract", contractId);
      const lines = [csvLine(["at", "transfer_id", "kind", "code", "direction", "counterparty_account_id", "amount_fen", "debits_posted_fen", "credits_posted_fen", "balance_fen", "user_data"])];
      let after = 0;
      for (;;) {
        const page = await ledger.statement(account, { afterTimestamp: after, limit: STATEMENT_PAGE });
        for (const l of page) {
          const t = l.transfer;
          lines.push(csvLine([
            new Date(Math.floor(t.timestamp / 1000)).toISOString(), t.id, t.kind, t.code, l.direction, l.direction === "debit" ? t.creditAccountId : t.debitAccountId,
            t.amount.toString(), l.debitsPosted.toString(), l.creditsPosted.toString(), (l.creditsPosted - l.debitsPosted).toString(), t.userData ?? "",
          ]));
          after = t.timestamp;
        }
        if (page.length < STATEMENT_PAGE) break;
      }
      return { filename: `contract-${contractId}-statement.csv`, body: `\uFEFF${lines.join("\r\n")}\r\n` };
    },

    /** Recovery of the operations reconciliation records on claims, for the idempotency layer to register. */
    operations: {
      [RECONCILIATION_OPERATIONS.resolve]: (async (target, claim) => {
        const view = await completeCorrection(target, claim);
        return view === null ? null : { statusCode: 200, body: view };
      }) as Recover,
    } as Record<string, Recover>,
  };
}
export type ReconciliationService = ReturnType<typeof createReconciliationService>;
