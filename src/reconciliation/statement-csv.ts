/**
 * The bank statement the offline gateway reconciles against: a CSV export of
 * the escrow bank account, uploaded by an operator. Pure: bytes in, lines
 * out, or problems naming the line and column.
 *
 * Format (RFC 4180 CSV):
 * - Encoding: UTF-8, with or without a byte order mark (the default), or
 *   GB18030 (GBK) as Chinese banks' Excel exports often are: choose
 *   `encoding=gb18030` on upload. A file that is not valid in the chosen
 *   encoding is refused, naming the byte.
 * - Line ends CRLF or LF; fields may be quoted with ", a quote inside doubled
 *   (""); a quoted field may span lines. Empty lines are skipped.
 * - The first line names the columns, in any order, in English or Chinese
 *   (case and surrounding spaces ignored); unknown columns are ignored:
 *     transaction_id  交易流水号 / 流水号      required: the bank's id of the line, unique
 *     date            交易日期 / 日期          required: YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD (value date, Asia/Shanghai)
 *     amount          金额 / 交易金额          signed yuan: positive money in, negative money out
 *     credit          贷方金额 / 收入金额      yuan received (use credit and debit instead of amount)
 *     debit           借方金额 / 支出金额      yuan paid out
 *     currency        币种                     CNY (also RMB, 人民币); default CNY
 *     counterparty    对方户名                 payer or payee name
 *     counterparty_account 对方账号            their account number
 *     reference       附言 / 摘要 / 用途        the remark: quote the top-up reference (SX-XXXX-XXXX), the withdrawal id (wdr_…) or the payout batch id (pay_…)
 *   Either `amount`, or `credit` and/or `debit` (exactly one of them filled
 *   per line), must be present.
 * - Amounts are yuan with at most 2 decimals ("1250", "1250.5", "1,250.50";
 *   "-" or a leading minus for money out in `amount`), turned into fen
 *   without floats. Zero is refused.
 */
import { parseYuan } from "../shared/money";

export const STATEMENT_ENCODINGS = ["utf-8", "gb18030"] as const;
export type StatementEncoding = (typeof STATEMENT_ENCODINGS)[number];

export interface StatementLine {
  /** Physical line (1 = the header) where the record starts. */
  readonly line: number;
  readonly transactionId: string;
  /** YYYY-MM-DD. */
  readonly date: string;
  /** Signed fen: + money in. */
  readonly amountFen: bigint;
  readonly currency: string;
  readonly counterparty: string | null;
  readonly counterpartyAccount: string | null;
  readonly reference: string | null;
}

export interface StatementProblem {
  readonly line: number;
  /** The column's name as the format defines it, or null for the whole line. */
  readonly column: string | null;
  readonly message: string;
}

export type ParsedStatement = { ok: true; lines: StatementLine[] } | { ok: false; problems: StatementProblem[] };

const COLUMNS: Record<string, readonly string[]> = {
  transaction_id: ["transaction_id", "transaction id", "交易流水号", "流水号", "银行流水号"],
  date: ["date", "value_date", "交易日期", "日期", "记账日期"],
  amount: ["amount", "金额", "交易金额"],
  credit: ["credit", "贷方金额", "收入金额", "收入"],
  debit: ["debit", "借方金额", "支出金额", "支出"],
  currency: ["currency", "币种"],
  counterparty: ["counterparty", "对方户名", "对方名称"],
  counterparty_account: ["counterparty_account", "对方账号"],
  reference: ["reference", "附言", "摘要", "用途", "备注"],
};

const CURRENCIES: Record<string, string> = { CNY: "CNY", RMB: "CNY", 人民币: "CNY" };

/** Most problems reported at once: enough to fix a file in one go, bounded for a file that is wholly wrong. */
const MAX_PROBLEMS = 20;

/** Bytes → text in the chosen encoding; a byte order mark is dropped. Throws a problem naming the byte on invalid input. */
export function decodeStatement(bytes: Uint8Array, encoding: StatementEncoding): { ok: true; text: string } | { ok: false; problem: StatementProblem } {
  try {
    const text = new TextDecoder(encoding, { fatal: true, ignoreBOM: false }).decode(bytes);
    return { ok: true, text };
  } catch {
    // Find the first undecodable byte for the message: decode growing prefixes would be quadratic; scan UTF-8 by hand instead.
    const at = encoding === "utf-8" ? firstInvalidUtf8(bytes) : -1;
    const line = at < 0 ? 0 : countLines(bytes, at);
    const hint = encoding === "utf-8" ? "; a bank export saved by Excel is often GB18030: upload it with encoding=gb18030" : "";
    return { ok: false, problem: { line, column: null, message: `the file is not valid ${encoding}${at >= 0 ? ` (byte ${at + 1})` : ""}${hint}` } };
  }
}

function countLines(bytes: Uint8Array, upTo: number): number {
  let n = 1;
  for (let i = 0; i < upTo; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const need = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return -1;
}

/** RFC 4180 records with the physical line each starts on. */
function* records(text: string): Generator<{ line: number; fields: string[] } | { line: number; error: string }> {
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = "";
    let quoted = false;
    let wasQuoted = false;
    let ended = false;
    while (i < n) {
      const ch = text[i]!;
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          quoted = false;
          i++;
          continue;
        }
        if (ch === "\n") line++;
        field += ch;
        i++;
        continue;
      }
      if (ch === '"') {
        if (field !== "" || wasQuoted) {
          yield { line: start, error: `column ${fields.length + 1}: a quote inside an unquoted field (double it, or quote the whole field)` };
          while (i < n && text[i] !== "\n") i++;
          i++;
          line++;
          ended = true;
          break;
        }
        quoted = true;
        wasQuoted = true;
        i++;
        continue;
      }
      if (ch === ",") {
        fields.push(field);
        field = "";
        wasQuoted = false;
        i++;
        continue;
      }
      if (ch === "\r" && text[i + 1] === "\n") {
        i++;
        continue;
      }
      if (ch === "\n") {
        i++;
        line++;
        break;
      }
      if (wasQuoted) {
        yield { line: start, error: `column ${fields.length + 1}: text after the closing quote` };
        while (i < n && text[i] !== "\n") i++;
        i++;
        line++;
        ended = true;
        break;
      }
      field += ch;
      i++;
    }
    if (ended) continue;
    if (quoted) {
      yield { line: start, error: "a quoted field is not closed before the end of the file" };
      return;
    }
    fields.push(field);
    if (fields.length === 1 && fields[0]!.trim() === "") continue; // an empty line
    yield { line: start, fields };
  }
}

const DATE_FORMS = [/^(\d{4})-(\d{2})-(\d{2})$/, /^(\d{4})\/(\d{2})\/(\d{2})$/, /^(\d{4})(\d{2})(\d{2})$/];

function parseDate(raw: string): string | null {
  for (const re of DATE_FORMS) {
    const m = re.exec(raw);
    if (!m) continue;
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const t = new Date(Date.UTC(y, mo - 1, d));
    if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return null;
    return `${m[1]}-${m[2]}-${m[3]}`;
  }
  return null;
}

/** A yuan amount as banks write it: thousands separators allowed, at most 2 decimals. */
function parseAmount(raw: string): { ok: true; fen: bigint } | { ok: false; error: string } {
  const compact = raw.replace(/^\+/, "");
  if (/,/.test(compact) && !/^-?\d{1,3}(,\d{3})+(\.\d{1,2})?$/.test(compact)) return { ok: false, error: `"${raw}" has misplaced thousands separators` };
  const plain = compact.replace(/,/g, "");
  // parseYuan refuses leading zeros; bank exports write "0.50", which it accepts, and never "007".
  const r = parseYuan(plain);
  return r.ok ? r : { ok: false, error: r.error.replace(/^yuan amount /, "") };
}

/** Parses a decoded statement: every line checked; problems name the line and column. */
export function parseStatement(text: string): ParsedStatement {
  const problems: StatementProblem[] = [];
  const lines: StatementLine[] = [];
  const add = (p: StatementProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let index: Record<string, number> | undefined;
  let width = 0;
  const seen = new Map<string, number>();
  for (const r of records(body)) {
    if ("error" in r) {
      add({ line: r.line, column: null, message: r.error });
      if (index === undefined) break;
      continue;
    }
    if (index === undefined) {
      index = {};
      width = r.fields.length;
      r.fields.forEach((name, i) => {
        const key = name.trim().toLowerCase();
        for (const [column, aliases] of Object.entries(COLUMNS)) if (aliases.includes(key) && index![column] === undefined) index![column] = i;
      });
      for (const required of ["transaction_id", "date"]) {
        if (index[required] === undefined) add({ line: r.line, column: required, message: `the header has no ${required} column (${COLUMNS[required]!.join(", ")})` });
      }
      if (index["amount"] === undefined && index["credit"] === undefined && index["debit"] === undefined) {
        add({ line: r.line, column: "amount", message: "the header has no amount column, nor credit/debit columns" });
      }
      if (problems.length > 0) return { ok: false, problems };
      continue;
    }
    const cell = (column: string): string => {
      const i = index![column];
      return i === undefined ? "" : (r.fields[i] ?? "").trim();
    };
    if (r.fields.length !== width) {
      add({ line: r.line, column: null, message: `the line has ${r.fields.length} fields, the header ${width}` });
      continue;
    }
    const before = problems.length;
    const transactionId = cell("transaction_id");
    if (transactionId === "") add({ line: r.line, column: "transaction_id", message: "is empty" });
    else if (transactionId.length > 128) add({ line: r.line, column: "transaction_id", message: "is longer than 128 characters" });
    else if (/[\u0000-\u001f\u007f]/.test(transactionId)) add({ line: r.line, column: "transaction_id", message: "holds a control character" });
    else if (seen.has(transactionId)) add({ line: r.line, column: "transaction_id", message: `"${transactionId}" appears twice in the file (first on line ${seen.get(transactionId)})` });
    else seen.set(transactionId, r.line);
    const rawDate = cell("date");
    const date = parseDate(rawDate);
    if (date === null) add({ line: r.line, column: "date", message: rawDate === "" ? "is empty" : `"${rawDate}" is not a date like 2026-12-01` });
    let amountFen = 0n;
    if (index["amount"] !== undefined) {
      const raw = cell("amount");
      const a = raw === "" ? { ok: false as const, error: "is empty" } : parseAmount(raw);
      if (!a.ok) add({ line: r.line, column: "amount", message: a.error });
      else if (a.fen === 0n) add({ line: r.line, column: "amount", message: "is zero" });
      else amountFen = a.fen;
    } else {
      const credit = cell("credit");
      const debit = cell("debit");
      const filled = (s: string) => s !== "" && !/^0+(\.0+)?$/.test(s);
      if (filled(credit) === filled(debit)) {
        add({ line: r.line, column: filled(credit) ? "debit" : "credit", message: "exactly one of credit and debit must hold an amount" });
      } else {
        const column = filled(credit) ? "credit" : "debit";
        const a = parseAmount(filled(credit) ? credit : debit);
        if (!a.ok) add({ line: r.line, column, message: a.error });
        else if (a.fen <= 0n) add({ line: r.line, column, message: "must be more than zero (the column says the direction)" });
        else amountFen = column === "credit" ? a.fen : -a.fen;
      }
    }
    const rawCurrency = cell("currency");
    const currency = rawCurrency === "" ? "CNY" : CURRENCIES[rawCurrency.toUpperCase()] ?? CURRENCIES[rawCurrency];
    if (currency === undefined) add({ line: r.line, column: "currency", message: `"${rawCurrency}" is not CNY` });
    const text = (column: string, max: number): string | null => {
      const v = cell(column);
      if (v.length > max) add({ line: r.line, column, message: `is longer than ${max} characters` });
      else if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) add({ line: r.line, column, message: "holds a control character" });
      return v === "" ? null : v;
    };
    const counterparty = text("counterparty", 200);
    const counterpartyAccount = text("counterparty_account", 64);
    const reference = text("reference", 500);
    if (problems.length === before) {
      lines.push({ line: r.line, transactionId, date: date!, amountFen, currency: currency!, counterparty, counterpartyAccount, reference });
    }
  }
  if (index === undefined && problems.length === 0) add({ line: 1, column: null, message: "the file is empty: it needs a header line and at least one statement line" });
  if (problems.length > 0) return { ok: false, problems };
  if (lines.length === 0) return { ok: false, problems: [{ line: 2, column: null, message: "the file has a header but no statement line" }] };
  return { ok: true, lines };
}

/**
 * What a statement line quotes that the ledger knows: top-up references
 * (any way a person types them), withdrawal ids, and a payout batch id (the
 * transfer group).
 */
export function referencesIn(remark: string | null, normaliseReference: (s: string) => string): { identifiers: string[]; transferGroup: string | null } {
  if (remark === null) return { identifiers: [], transferGroup: null };
  const identifiers = new Set<string>();
  for (const m of remark.matchAll(/S\s*X[\s\-_]*[0-9A-Za-z]{4}[\s\-_]*[0-9A-Za-z]{4}(?![0-9A-Za-z])/gi)) identifiers.add(normaliseReference(m[0]));
  for (const m of remark.matchAll(/\bwdr_[0-9a-z]{10,40}\b/g)) identifiers.add(m[0]);
  const batch = /\bpay_[0-9a-z]{10,40}\b/.exec(remark);
  return { identifiers: [...identifiers], transferGroup: batch ? batch[0] : null };
}
