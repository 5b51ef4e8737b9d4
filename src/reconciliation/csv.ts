/**
 * One CSV line of an export. Text goes through the payout file's csvField
 * (quoted as needed, formula-leading characters neutralised); a whole
 * number of fen is written as it is, so a spreadsheet reads "-500" as a number.
 */
import { csvField } from "../payments";

export function csvLine(fields: readonly string[]): string {
  return fields.map((f) => (/^-?\d+$/.test(f) ? f : csvField(f))).join(",");
}
