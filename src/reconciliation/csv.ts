/**
 * One CSV line of a reconciliation export, through the one CSV writer
 * (src/shared/csv.ts). The service hands every cell over as text; a whole
 * number of fen is passed on as a number, so a spreadsheet reads "-500" as
 * a number rather than the formula-neutralised text a leading minus gets.
 */
import { csvLine as line } from "../shared/csv";

export function csvLine(fields: readonly string[]): string {
  return line(fields.map((f) => (/^-?\d+$/.test(f) ? BigInt(f) : f)));
}
