/**
 * CSV files for people who open them in Excel: RFC 4180 (comma separated,
 * CRLF line ends, fields quoted when they hold a comma, quote or line break,
 * quotes doubled), UTF-8 with a byte order mark, and text cells that a
 * spreadsheet would run as a formula neutralised. Every CSV Shiftex writes
 * (payout batches, guidance prices, statistics, reconciliation exports) goes
 * through here, so they all open the same way.
 */

/** What a cell may hold. Text is neutralised against formulas; numbers are written as they are (a number is never a formula). */
export type CsvValue = string | number | bigint | boolean | null;

/** The content type of every CSV response. */
export const CSV_CONTENT_TYPE = "text/csv; charset=utf-8";

// Excel reads a file without a byte order mark in the system code page
// (GBK on a Chinese Windows), and the Chinese names break.
const BOM = "\uFEFF";

/**
 * A text field, quoted when it holds a separator, quote or line break.
 *
 * A text starting with = + - @ tab or carriage return is what a spreadsheet
 * takes for a formula (CSV injection); it gets a leading apostrophe, which
 * Excel shows as text and hides. Pass numbers as numbers, not strings, or a
 * negative one is neutralised too.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One cell: null is empty, numbers must be finite (written without exponent for integers), text goes through csvField. */
export function csvCell(value: CsvValue): string {
  if (value === null) return "";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`CSV cell: ${value} is not a finite number`);
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) throw new RangeError(`CSV cell: ${value} is beyond a safe integer; pass a bigint`);
    return String(value);
  }
  return csvField(value);
}

/** One record without its line end. */
export function csvLine(values: readonly CsvValue[]): string {
  return values.map(csvCell).join(",");
}

/**
 * A whole file: byte order mark, the header, one line per row, every line
 * ended by CRLF (the last one too). Each row must have as many cells as the
 * header, so a column can never shift.
 */
export function csvDocument(header: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  const lines = [csvLine(header)];
  let n = 0;
  for (const row of rows) {
    n++;
    if (row.length !== header.length) throw new RangeError(`CSV row ${n} has ${row.length} cells, the header ${header.length}`);
    lines.push(csvLine(row));
  }
  return `${BOM}${lines.join("\r\n")}\r\n`;
}
