/**
 * A database whose raw-SQL statements can be made to fail or wait, once, for
 * fault-injection tests: fail the write that follows a ledger step, hold the
 * ledger writer's append until the test lets it go, lose the answer of a
 * committed append. Prisma (parties) is untouched.
 */
import type { Database, QueryResult, SqlClient, SqlPool } from "../../src/infra/db";

export interface Fault {
  /** Statements the fault applies to. */
  readonly match: RegExp;
  /** "fail": throw before running. "wait": wait for release() before running. "lose": run, then throw as if the connection dropped. */
  readonly kind: "fail" | "wait" | "lose";
  /** Runs after the statement (kind "lose"), before the throw: e.g. terminate the backend. */
  readonly after?: () => Promise<void>;
}

export interface FaultySql {
  readonly db: Database;
  /** Applies `fault` to the next matching statement only. */
  arm(fault: Fault): void;
  /** Resolves when a "wait" fault holds a statement. */
  reached(): Promise<void>;
  /** Lets a held statement run. */
  release(): void;
  /** Whether the armed fault has fired. */
  fired(): boolean;
}

export function faultySql(db: Database): FaultySql {
  let armed: Fault | undefined;
  let fired = false;
  let onReached: () => void = () => undefined;
  let reached = new Promise<void>((r) => (onReached = r));
  let onRelease: () => void = () => undefined;
  let released = new Promise<void>((r) => (onRelease = r));

  const wrap = (c: SqlClient): SqlClient => ({
    exec: (script) => c.exec(script),
    async query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const fault = armed;
      if (fault === undefined || !fault.match.test(text)) return c.query<R>(text, params);
      armed = undefined;
      fired = true;
      if (fault.kind === "fail") throw new Error("injected failure");
      if (fault.kind === "wait") {
        onReached();
        await released;
        return c.query<R>(text, params);
      }
      const r = await c.query<R>(text, params);
      await fault.after?.();
      void r;
      throw new Error("Connection terminated unexpectedly (injected after the statement ran)");
    },
  });
  const base = db.sql;
  const top = wrap(base);
  const sql: SqlPool = {
    query: top.query,
    exec: top.exec,
    transaction: (fn) => base.transaction((tx) => fn(wrap(tx))),
    withConnection: (fn) => base.withConnection((conn) => fn(wrap(conn))),
  };
  return {
    db: { kind: db.kind, prisma: db.prisma, sql, close: () => db.close() },
    arm(fault) {
      armed = fault;
      fired = false;
      reached = new Promise<void>((r) => (onReached = r));
      released = new Promise<void>((r) => (onRelease = r));
    },
    reached: () => reached,
    release: () => onRelease(),
    fired: () => fired,
  };
}
