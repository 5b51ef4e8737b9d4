/**
 * Opaque page cursors. Every list answers `{ items, next }`; `next` is null
 * on the last page, otherwise the client passes it back as `cursor`. The
 * cursor is the keyset position (e.g. the last id or timestamp) as base64url
 * JSON: opaque to clients, so its content may change without breaking them.
 */
import { invalidField } from "./errors";

/** Encodes a keyset position. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), "utf8").toString("base64url");
}

/**
 * Decodes a cursor given back by a client, checking that it holds the keys
 * the list pages on; a bad cursor is a 400 naming `field`.
 */
export function decodeCursor<K extends string>(cursor: string, keys: readonly K[], field = "/querystring/cursor"): Record<K, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalidField(field, "the cursor is not one this server issued; pass the `next` value of the previous page");
  }
  const out = {} as Record<K, string>;
  for (const k of keys) {
    const v = (parsed as Record<string, unknown> | null)?.[k];
    if (typeof v !== "string" && typeof v !== "number") {
      throw invalidField(field, "the cursor is not one this server issued; pass the `next` value of the previous page");
    }
    out[k] = String(v);
  }
  return out;
}

/** One page of a list: the items and the cursor of the next page (null on the last). */
export interface Page<T> {
  readonly items: T[];
  readonly next: string | null;
}

/**
 * Cuts a page from `limit + 1` rows fetched in keyset order: the extra row
 * only says that another page exists.
 */
export function pageOf<R, T>(rows: readonly R[], limit: number, view: (r: R) => T, position: (r: R) => Record<string, string | number>): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(view), next: more && last !== undefined ? encodeCursor(position(last)) : null };
}
