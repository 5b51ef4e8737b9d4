/** Content negotiation shared by the routes that answer JSON or CSV. */

/** True when the client asked for CSV: `format=csv`, or an Accept header that lists text/csv before JSON. */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === "csv";
  if (accept === undefined) return false;
  const types = accept.split(",").map((p) => (p.trim().split(";")[0] ?? "").trim().toLowerCase());
  const csv = types.indexOf("text/csv");
  const json = types.findIndex((t) => t === "application/json" || t === "*/*");
  return csv >= 0 && (json < 0 || csv < json);
}
