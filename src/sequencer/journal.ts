/**
 * The journal's encoding: one batch's commands as one compact JSON text.
 * Every accepted command is journalled, so its size is paid on every write
 * (and read back on every restart): commands are positional arrays with
 * one-letter tags, instants are offsets from the batch's first, positions
 * follow from the batch's first one, and ledger results collapse to "ok"
 * when every input was ok. An input the compact form cannot carry exactly
 * (a field of an unexpected type) is kept as it came, so a replay reads
 * back exactly what the sequencer applied. Pure.
 */
import type { AccountInput, CreateAccountResult, CreateTransferResult, TransferInput } from "../ledger/ledger.types";
import type { ExchangeCommand, PlaceOrder } from "../exchange/exchange.core";
import type { JournalCommand } from "./batch";

type Row = unknown[];

interface Encoded {
  /** format */
  readonly v: 2;
  /** the first command's position; the others follow one by one */
  readonly s: number;
  /** the first command's instant (ms); each row carries its offset from it */
  readonly a: number;
  readonly c: Row[];
}

const TRANSFER_KEYS = new Set(["id", "kind", "debitAccountId", "creditAccountId", "amount", "pendingId", "ledger", "code", "flags", "timeoutMs", "userData"]);

function str(v: unknown): boolean {
  return v === undefined || v === null || typeof v === "string";
}

function num(v: unknown): boolean {
  return v === undefined || (typeof v === "number" && Number.isFinite(v));
}

/** A transfer input as an array, or as an object ({ b } for bigints) when the array could not carry it exactly. */
function transferRow(t: TransferInput): unknown {
  const keysKnown = Object.keys(t).every((k) => TRANSFER_KEYS.has(k));
  const fits =
    keysKnown &&
    typeof t.id === "string" &&
    str(t.kind) &&
    str(t.debitAccountId) &&
    str(t.creditAccountId) &&
    (t.amount === undefined || t.amount === null || typeof t.amount === "bigint") &&
    str(t.pendingId) &&
    str(t.ledger) &&
    str(t.code) &&
    num(t.flags) &&
    num(t.timeoutMs) &&
    str(t.userData);
  if (fits) {
    return [
      t.id,
      t.kind ?? null,
      t.debitAccountId ?? null,
      t.creditAccountId ?? null,
      t.amount === undefined || t.amount === null ? null : t.amount.toString(),
      t.pendingId ?? null,
      t.ledger ?? null,
      t.code ?? null,
      t.flags ?? 0,
      t.timeoutMs ?? 0,
      t.userData ?? null,
    ];
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) out[k] = typeof v === "bigint" ? { b: v.toString() } : v;
  return out;
}

function transferInput(e: unknown): TransferInput {
  if (Array.isArray(e)) {
    const [id, kind, debitAccountId, creditAccountId, amount, pendingId, ledger, code, flags, timeoutMs, userData] = e as [
      string,
      TransferInput["kind"] | null,
      string | null,
      string | null,
      string | null,
      string | null,
      string | null,
      string | null,
      number,
      number,
      string | null,
    ];
    return {
      id,
      ...(kind !== null ? { kind } : {}),
      debitAccountId,
      creditAccountId,
      amount: amount === null ? null : BigInt(amount),
      pendingId,
      ledger,
      code,
      flags,
      timeoutMs,
      userData,
    };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e as Record<string, unknown>)) {
    out[k] = v !== null && typeof v === "object" && typeof (v as { b?: unknown }).b === "string" ? BigInt((v as { b: string }).b) : v;
  }
  return out as unknown as TransferInput;
}

function results<T extends string>(rs: readonly T[]): "ok" | T[] {
  return rs.every((r) => r === "ok") ? "ok" : [...rs];
}

function expand<T extends string>(r: "ok" | T[], n: number): T[] {
  return r === "ok" ? (Array.from({ length: n }, () => "ok") as T[]) : r;
}

const KIND = { enterprise: "e", agency: "a" } as const;
const COLOUR = { red: "r", blue: "b", black: "k" } as const;
const TIF = { good_till: "g", ioc: "i", fok: "f" } as const;

function placeRow(p: PlaceOrder): Row {
  const dk = p.dedupeKey === null ? 0 : p.dedupeKey === p.clientOrderId ? 1 : p.dedupeKey;
  return [
    p.id,
    p.party.id,
    KIND[p.party.kind],
    COLOUR[p.party.colour],
    p.party.lendsStaff ? 1 : 0,
    p.party.licensedUntil,
    p.clientOrderId,
    dk,
    p.market,
    p.side === "demand" ? "d" : "s",
    p.quantity,
    p.rateFen,
    TIF[p.timeInForce],
    p.goodTill,
    p.minFill,
    p.minCertificate,
    p.minColour,
    p.excludedSuppliers.length === 0 ? 0 : [...p.excludedSuppliers],
    p.minSplit,
    p.allOrNone ? 1 : 0,
    p.certificate,
    p.shared ? 1 : 0,
  ];
}

function placeOrder(r: Row): PlaceOrder {
  const [id, partyId, kind, colour, lends, licensedUntil, clientOrderId, dk, market, side, quantity, rateFen, tif, goodTill, minFill, minCertificate, minColour, excluded, minSplit, aon, certificate, shared] =
    r as [string, string, "e" | "a", "r" | "b" | "k", 0 | 1, string | null, string | null, 0 | 1 | string, string, "d" | "s", number, number, "g" | "i" | "f", number | null, number, number, "blue" | "red" | null, 0 | string[], number, 0 | 1, number, 0 | 1];
  return {
    id,
    party: { id: partyId, kind: kind === "e" ? "enterprise" : "agency", colour: colour === "r" ? "red" : colour === "b" ? "blue" : "black", lendsStaff: lends === 1, licensedUntil },
    clientOrderId,
    dedupeKey: dk === 0 ? null : dk === 1 ? clientOrderId : dk,
    market,
    side: side === "d" ? "demand" : "supply",
    quantity,
    rateFen,
    timeInForce: tif === "g" ? "good_till" : tif === "i" ? "ioc" : "fok",
    goodTill,
    minFill,
    minCertificate,
    minColour,
    excludedSuppliers: excluded === 0 ? [] : excluded,
    minSplit,
    allOrNone: aon === 1,
    certificate,
    shared: shared === 1,
  };
}

function row(e: JournalCommand, base: number): Row {
  const dt = e.at - base;
  switch (e.t) {
    case "accounts":
      return ["a", dt, e.inputs, results(e.results)];
    case "transfers":
      return ["t", dt, e.batch, results(e.results)];
    case "tick":
      return ["k", dt];
    case "settings":
      return ["s", dt, e.settings];
    case "place":
      return ["p", dt, ...placeRow(e.order)];
    case "cancel":
      return ["c", dt, e.orderId, e.by];
    case "reduce":
      return ["r", dt, e.orderId, e.by, e.quantity];
    case "rerate":
      return ["R", dt, e.orderId, e.by, e.rateFen];
    case "cancelAll":
      return ["A", dt, e.organisationId, e.market, e.side, e.reason];
    case "colour":
      return ["C", dt, e.organisationId, COLOUR[e.colour], e.reason];
  }
}

function command(r: Row, seq: number, base: number): JournalCommand {
  const at = base + (r[1] as number);
  const rest = r.slice(2);
  switch (r[0]) {
    case "a": {
      const inputs = rest[0] as AccountInput[];
      return { seq, at, t: "accounts", inputs, results: expand(rest[1] as "ok" | CreateAccountResult[], inputs.length) };
    }
    case "t": {
      const batch = rest[0] as unknown[];
      return { seq, at, t: "transfers", batch: batch as Record<string, unknown>[], results: expand(rest[1] as "ok" | CreateTransferResult[], batch.length) };
    }
    case "k":
      return { seq, at, t: "tick" };
    case "s":
      return { seq, at, t: "settings", settings: rest[0] as never };
    case "p":
      return { seq, at, t: "place", order: placeOrder(rest) };
    case "c":
      return { seq, at, t: "cancel", orderId: rest[0] as string, by: rest[1] as string };
    case "r":
      return { seq, at, t: "reduce", orderId: rest[0] as string, by: rest[1] as string, quantity: rest[2] as number };
    case "R":
      return { seq, at, t: "rerate", orderId: rest[0] as string, by: rest[1] as string, rateFen: rest[2] as number };
    case "A":
      return { seq, at, t: "cancelAll", organisationId: rest[0] as string, market: rest[1] as string | null, side: rest[2] as "demand" | "supply" | null, reason: rest[3] as string };
    case "C": {
      const c = rest[1] as string;
      return { seq, at, t: "colour", organisationId: rest[0] as string, colour: c === "r" ? "red" : c === "b" ? "blue" : "black", reason: rest[2] as string };
    }
    default:
      throw new Error(`unknown journal command ${String(r[0])}`);
  }
}

/** The stored form of a transfer input (what a "transfers" entry's batch holds). */
export function encodeTransferInput(t: TransferInput): unknown {
  return transferRow(t);
}

/** A transfer input as it was given, from its stored form. */
export function decodeTransferInput(e: unknown): TransferInput {
  return transferInput(e);
}

/** A batch's commands as the journal stores them. */
export function encodeJournal(entries: readonly JournalCommand[]): string {
  const first = entries[0];
  if (first === undefined) return JSON.stringify({ v: 2, s: 0, a: 0, c: [] });
  const encoded: Encoded = { v: 2, s: first.seq, a: first.at, c: entries.map((e) => row(e, first.at)) };
  return JSON.stringify(encoded);
}

/** A batch's commands from their stored form. */
export function decodeJournal(text: string): JournalCommand[] {
  const parsed = JSON.parse(text) as Encoded | JournalCommand[];
  if (Array.isArray(parsed)) return parsed; // the first format: the commands as objects
  if (parsed.v !== 2) throw new Error(`unknown journal format ${String((parsed as { v?: unknown }).v)}`);
  return parsed.c.map((r, i) => command(r, parsed.s + i, parsed.a));
}

export type { ExchangeCommand };
