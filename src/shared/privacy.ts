/**
 * Finds personal data in what Shiftex shows the public: a pure search of a
 * JSON value or a text (a page, a CSV) for given resident ID numbers, phone
 * numbers and workers' names, however they are spelled. The crawler test of
 * the public routes runs it over every response; a service can run it over an
 * operator's free text (a penalty's reason) before publishing it.
 *
 * "However spelled":
 * - encodings are undone first, repeatedly: HTML character references
 *   (&#24352; &#x5f20; &amp;), JavaScript/JSON escapes (\u5f20, \u{5f20},
 *   \x41) and URL percent-encoding (%E5%BC%A0), then Unicode NFKC (full-width
 *   １３８ and Ｘ become 138 and X, the ideographic space a space);
 * - phone numbers are compared on their 11 national digits inside any run of
 *   digits and separators (spaces, - . / ( ) +), with or without +86 / 0086,
 *   and with Chinese numerals (一三八…) read as digits;
 * - resident ID numbers likewise on their 18 characters (x or X), separators
 *   ignored;
 * - names with punctuation, white space and invisible characters removed on
 *   both sides, case-folded (for names in Latin letters).
 *
 * A match inside a longer run of digits is reported too: a leak detector that
 * errs towards reporting. Reports mask the value they found, so a failing
 * test's output does not itself publish it.
 */

/** The personal data to look for. */
export interface SensitiveValues {
  readonly residentIds?: readonly string[];
  readonly phones?: readonly string[];
  readonly names?: readonly string[];
}

/** What kind of personal data was found. */
export type SensitiveKind = "resident_id" | "phone" | "name";

/** One occurrence found. */
export interface Leak {
  readonly kind: SensitiveKind;
  /** The value found, masked ("500***********123X", "138****8000", "张*"). */
  readonly value: string;
  /** Where: "$" for a text; a JSON path such as "$.items[2].reason" (a key itself ends in "{key}"). */
  readonly path: string;
  /** True when it was found only once encodings were undone (entities, escapes, percent-encoding, full-width forms). */
  readonly encoded: boolean;
}

const CHINESE_DIGITS: Record<string, string> = { 零: "0", 〇: "0", 一: "1", 二: "2", 三: "3", 四: "4", 五: "5", 六: "6", 七: "7", 八: "8", 九: "9" };
const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

function codePoint(n: number): string {
  return Number.isInteger(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : "";
}

function decodePercent(s: string): string {
  return s.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
    return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  });
}

function decodeOnce(s: string): string {
  const entities = s.replace(/&#(\d{1,7});?|&#x([0-9a-f]{1,6});?|&(amp|lt|gt|quot|apos|nbsp);/gi, (m, dec?: string, hex?: string, name?: string) => {
    if (dec !== undefined) return codePoint(Number(dec)) || m;
    if (hex !== undefined) return codePoint(parseInt(hex, 16)) || m;
    return NAMED_ENTITIES[(name ?? "").toLowerCase()] ?? m;
  });
  const escapes = entities.replace(/\\u\{([0-9a-f]{1,6})\}|\\u([0-9a-f]{4})|\\x([0-9a-f]{2})/gi, (m, braced?: string, unit?: string, byte?: string) => {
    if (braced !== undefined) return codePoint(parseInt(braced, 16)) || m;
    // "\ud83d\ude00" decodes one code unit at a time; the two join up in the string.
    return String.fromCharCode(parseInt(unit ?? byte ?? "0", 16));
  });
  return decodePercent(escapes);
}

/** The text with every encoding undone (up to a few layers deep), then NFKC. */
export function decodeForSearch(s: string): string {
  let current = s;
  for (let i = 0; i < 4; i++) {
    const next = decodeOnce(current);
    if (next === current) break;
    current = next;
  }
  return current.normalize("NFKC");
}

/** Runs of digits (Chinese numerals read as digits) and separators, as their digit strings. */
function digitRuns(s: string): string[] {
  const runs: string[] = [];
  for (const m of s.matchAll(/[0-9零〇一二三四五六七八九](?:[0-9零〇一二三四五六七八九\s\-./()+]*[0-9零〇一二三四五六七八九])?/g)) {
    runs.push(m[0].replace(/[零〇一二三四五六七八九]/g, (c) => CHINESE_DIGITS[c] ?? c).replace(/[^0-9]/g, ""));
  }
  return runs;
}

/** Runs of the characters of a resident ID (digits, X) and separators, upper-cased, separators removed. */
function idRuns(s: string): string[] {
  const runs: string[] = [];
  for (const m of s.matchAll(/[0-9xX](?:[0-9xX\s\-./]*[0-9xX])?/g)) runs.push(m[0].toUpperCase().replace(/[^0-9X]/g, ""));
  return runs;
}

// Punctuation, spaces and invisible format characters go on both sides: "张-三", "张 三", "张\u200b三" and a
// minority name with or without its middle dot (阿依古丽·买买提) all compare equal.
function compactName(s: string): string {
  return s.normalize("NFKC").replace(/[\p{P}\p{Z}\p{Cf}\s]+/gu, "").toLowerCase();
}

/** A phone number's 11 national digits, or null for something that is not a mainland mobile number. */
function nationalPhone(phone: string): string | null {
  const digits = decodeForSearch(phone).replace(/[^0-9]/g, "");
  const national = digits.length === 13 && digits.startsWith("86") ? digits.slice(2) : digits.length === 15 && digits.startsWith("0086") ? digits.slice(4) : digits;
  return /^1[3-9]\d{9}$/.test(national) ? national : null;
}

function normalisedId(id: string): string | null {
  const v = decodeForSearch(id).toUpperCase().replace(/[^0-9X]/g, "");
  return /^\d{17}[\dX]$/.test(v) ? v : null;
}

function mask(kind: SensitiveKind, v: string): string {
  if (kind === "resident_id") return `${v.slice(0, 3)}${"*".repeat(11)}${v.slice(14)}`;
  if (kind === "phone") return `${v.slice(0, 3)}****${v.slice(7)}`;
  const chars = [...v];
  return `${chars[0] ?? ""}${"*".repeat(Math.max(1, chars.length - 1))}`;
}

interface Needles {
  readonly phones: readonly string[];
  readonly ids: readonly string[];
  readonly names: readonly string[];
}

function needlesOf(sensitive: SensitiveValues): Needles {
  const phones = (sensitive.phones ?? []).map((p) => {
    const n = nationalPhone(p);
    if (n === null) throw new RangeError(`findSensitive: "${mask("phone", p.replace(/\D/g, ""))}" is not a mainland mobile number`);
    return n;
  });
  const ids = (sensitive.residentIds ?? []).map((id) => {
    const n = normalisedId(id);
    if (n === null) throw new RangeError("findSensitive: a resident ID must have 18 characters");
    return n;
  });
  const names = (sensitive.names ?? []).map((name) => {
    const n = compactName(name);
    // One character would match half the pages of a Chinese site; refuse rather than report noise.
    if ([...n].length < 2) throw new RangeError("findSensitive: a name must have at least two characters to be searched for");
    return n;
  });
  return { phones: [...new Set(phones)], ids: [...new Set(ids)], names: [...new Set(names)] };
}

function searchText(text: string, needles: Needles): { kind: SensitiveKind; value: string; encoded: boolean }[] {
  const plain = text.normalize("NFKC");
  const decoded = decodeForSearch(text);
  // The text as written first, then decoded: a hit only in the second was hidden by an encoding.
  const views = plain === decoded ? [plain] : [plain, decoded];
  const phoneRuns = needles.phones.length > 0 ? views.map(digitRuns) : [];
  const idRunsOf = needles.ids.length > 0 ? views.map(idRuns) : [];
  const compact = needles.names.length > 0 ? views.map(compactName) : [];
  const found: { kind: SensitiveKind; value: string; encoded: boolean }[] = [];
  const look = (kind: SensitiveKind, needle: string, inView: (i: number) => boolean) => {
    const i = views.findIndex((_, k) => inView(k));
    if (i >= 0) found.push({ kind, value: mask(kind, needle), encoded: i > 0 });
  };
  for (const p of needles.phones) look("phone", p, (i) => (phoneRuns[i] ?? []).some((r) => r.includes(p)));
  for (const id of needles.ids) look("resident_id", id, (i) => (idRunsOf[i] ?? []).some((r) => r.includes(id)));
  for (const name of needles.names) look("name", name, (i) => (compact[i] ?? "").includes(name));
  return found;
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Every occurrence of the sensitive values in `subject`: a string is searched
 * as text; anything else is walked as JSON (strings, numbers and bigints, and
 * object keys). Empty when nothing is found. Throws RangeError for a value to
 * look for that cannot be searched for meaningfully (a name of one
 * character, a phone that is not a mobile number, an ID without 18 characters).
 */
export function findSensitive(subject: unknown, sensitive: SensitiveValues): Leak[] {
  const needles = needlesOf(sensitive);
  const leaks: Leak[] = [];
  const seen = new Set<string>();
  const report = (path: string, text: string) => {
    for (const f of searchText(text, needles)) {
      const id = `${f.kind}\u0000${f.value}\u0000${path}`;
      if (seen.has(id)) continue;
      seen.add(id);
      leaks.push({ kind: f.kind, value: f.value, path, encoded: f.encoded });
    }
  };
  const walk = (value: unknown, path: string, depth: number): void => {
    if (depth > 200) throw new RangeError("findSensitive: the value is nested too deeply");
    if (typeof value === "string") report(path, value);
    else if (typeof value === "number" || typeof value === "bigint") report(path, String(value));
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`, depth + 1));
    else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        report(`${keyPath(path, k)}{key}`, k);
        walk(v, keyPath(path, k), depth + 1);
      }
    }
  };
  walk(subject, "$", 0);
  return leaks;
}
