/**
 * The one recogniser of unique-constraint violations, whichever way the
 * statement went: Prisma (P2002, through either driver adapter) or raw SQL
 * (SQLSTATE 23505 from pg or PGlite). Repositories use it to return an
 * outcome ("taken", "duplicate") instead of throwing a database error.
 */
import { Prisma } from "../generated/prisma/client";

/**
 * True when `err` is a unique violation; with `on`, only when the violated
 * constraint, index or column list mentions that name (snake_case column or
 * camelCase field, e.g. "credit_code" or "creditCode").
 */
export function isUniqueViolation(err: unknown, on?: string): boolean {
  let text: string;
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    if (err.code !== "P2002") return false;
    text = `${JSON.stringify(err.meta ?? {})} ${err.message}`;
  } else if (typeof err === "object" && err !== null && (err as { code?: unknown }).code === "23505") {
    const e = err as { constraint?: unknown; detail?: unknown; message?: unknown };
    text = `${String(e.constraint ?? "")} ${String(e.detail ?? "")} ${String(e.message ?? "")}`;
  } else {
    return false;
  }
  if (on === undefined) return true;
  const snake = on.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return text.includes(on) || text.includes(snake);
}
