/**
 * Identity numbers used by the parties module: the unified social credit code
 * of organisations, the resident identity number of workers, and mobile phone
 * numbers for one-time-code login.
 *
 * Everything here is pure: no I/O, no clock (callers pass `today`), no
 * environment reads (the hashing key is passed in). Validators return results rather
 * than throwing, because bad input is expected at the edge and routes turn the
 * `reason` into a problem+json error naming the field. Helpers that receive
 * input only a programmer can get wrong (a missing secret, a malformed `today`,
 * a bad prefix given to a test/seed helper) throw instead.
 *
 * Messages never echo the resident ID itself: they end up in logs and error
 * bodies, and the raw number is personal data we promise not to keep.
 */
import { createHmac } from "node:crypto";

/** Outcome of validating untrusted input: the normalised value, or why it was refused. */
export type ValidationResult<T, R extends string> =
  | { ok: true; value: T }
  | { ok: false; reason: R; message: string };

function fail<R extends string>(reason: R, message: string): { ok: false; reason: R; message: string } {
  return { ok: false, reason, message };
}

// ---------------------------------------------------------------------------
// Unified social credit code (统一社会信用代码), GB 32100-2015
// ---------------------------------------------------------------------------

/** The 31 characters a credit code may use; I, O, Z, S and V are left out because they read like 1, 0, 2, 5 and U. */
export const CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// Weight i is 3^i mod 31; every weight is non-zero mod the prime 31, which is
// what makes every single-character substitution detectable (see tests).
const CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

/**
 * Registration authority (position 1) → institution types (position 2) that
 * GB 32100-2015 assigns. Enterprises are 91, individual businesses 92, farmer
 * co-operatives 93; public institutions 12; social organisations 51–53.
 */
const CREDIT_CODE_REGISTRATION: Readonly<Record<string, string>> = {
  "1": "1239", // 机构编制: 机关, 事业单位, 群众团体, 其他
  "2": "19", // 外交: 外国常住新闻机构, 其他
  "3": "123459", // 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
  "4": "19", // 文化: 外国在华文化中心, 其他
  "5": "1239", // 民政: 社会团体, 民办非企业单位, 基金会, 其他
  "6": "129", // 旅游: 外国/港澳台旅游部门常驻代表机构, 其他
  "7": "129", // 宗教: 宗教活动场所, 宗教院校, 其他
  "8": "19", // 工会: 基层工会, 其他
  "9": "123", // 工商: 企业, 个体工商户, 农民专业合作社
  A: "19", // 中央军委改革和编制办公室: 军队事业单位, 其他
  N: "1239", // 农业: 组级/村级/乡镇级集体经济组织, 其他
  Y: "1", // 其他
};

/**
 * First two digits of GB/T 2260 province-level codes, plus 83 used by the
 * residence permits of Taiwan residents (81/82 likewise for Hong Kong and
 * Macao). Region codes outside these cannot have been issued.
 */
const PROVINCE_PREFIXES: ReadonlySet<string> = new Set([
  "11", "12", "13", "14", "15",
  "21", "22", "23",
  "31", "32", "33", "34", "35", "36", "37",
  "41", "42", "43", "44", "45", "46",
  "50", "51", "52", "53", "54",
  "61", "62", "63", "64", "65",
  "71", "81", "82", "83",
]);

/** Why a unified social credit code was refused. */
export type CreditCodeReason = "length" | "charset" | "registration" | "region" | "checksum";

function creditCodeCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    sum += CREDIT_CODE_CHARSET.indexOf(first17.charAt(i)) * (CREDIT_CODE_WEIGHTS[i] ?? 0);
  }
  // 31 - (sum mod 31) lies in 1..31; 31 wraps to index 0 ('0').
  return CREDIT_CODE_CHARSET.charAt((31 - (sum % 31)) % 31);
}

/**
 * Validate an 18-character unified social credit code (GB 32100-2015); accepts lowercase and surrounding spaces, returns the upper-case code.
 *
 * Checks, in order: length, charset, registration authority and type
 * (positions 1–2), administrative division (positions 3–8: six digits with a
 * real province prefix, or 100000 for national-level registrations), and the
 * mod-31 check character. The organisation code inside positions 9–17
 * (GB 11714) is deliberately not checked: codes given to individual businesses
 * and some re-registered bodies do not carry a valid one, and refusing a real
 * registered code is worse than missing a typo the mod-31 check already catches.
 */
export function validateCreditCode(code: string): ValidationResult<string, CreditCodeReason> {
  const normalised = code.trim().toUpperCase();
  if (normalised.length !== 18) {
    return fail("length", `unified social credit code must be 18 characters, got ${normalised.length}`);
  }
  for (let i = 0; i < 18; i++) {
    if (!CREDIT_CODE_CHARSET.includes(normalised.charAt(i))) {
      return fail(
        "charset",
        `unified social credit code may only use digits and the letters ABCDEFGHJKLMNPQRTUWXY (position ${i + 1})`,
      );
    }
  }
  const authority = normalised.charAt(0);
  const types = CREDIT_CODE_REGISTRATION[authority];
  if (types === undefined || !types.includes(normalised.charAt(1))) {
    return fail(
      "registration",
      `unified social credit code starts with an unknown registration authority and type "${normalised.slice(0, 2)}"`,
    );
  }
  const region = normalised.slice(2, 8);
  if (!/^\d{6}$/.test(region) || !(region === "100000" || PROVINCE_PREFIXES.has(region.slice(0, 2)))) {
    return fail("region", `unified social credit code positions 3-8 must be an administrative division code, got "${region}"`);
  }
  if (creditCodeCheckChar(normalised.slice(0, 17)) !== normalised.charAt(17)) {
    return fail("checksum", "unified social credit code check character does not match");
  }
  return { ok: true, value: normalised };
}

/** Append the GB 32100 check character to 17 characters (for seeds and tests); throws RangeError on bad input. */
export function creditCodeWithChecksum(first17: string): string {
  const prefix = first17.toUpperCase();
  if (prefix.length !== 17 || [...prefix].some((c) => !CREDIT_CODE_CHARSET.includes(c))) {
    throw new RangeError("creditCodeWithChecksum needs 17 characters from the credit code charset");
  }
  return prefix + creditCodeCheckChar(prefix);
}

// ---------------------------------------------------------------------------
// Resident identity number (公民身份号码), GB 11643-1999
// ---------------------------------------------------------------------------

// ISO 7064 MOD 11-2: weight i is 2^(17-i) mod 11, all non-zero mod the prime 11.
const RESIDENT_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const RESIDENT_ID_CHECK = "10X98765432";

/** Why a resident identity number was refused. */
export type ResidentIdReason = "length" | "format" | "birthdate" | "region" | "checksum";

/** A valid resident ID with what it encodes: birth date (YYYY-MM-DD) and sex (odd sequence = male). */
export type ResidentIdResult =
  | { ok: true; value: string; birthDate: string; sex: "male" | "female" }
  | { ok: false; reason: ResidentIdReason; message: string };

function residentIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    sum += Number(first17.charAt(i)) * (RESIDENT_ID_WEIGHTS[i] ?? 0);
  }
  return RESIDENT_ID_CHECK.charAt(sum % 11);
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one; UTC avoids any local-zone effect.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

function normaliseResidentId(id: string): string {
  return id.trim().toUpperCase();
}

/**
 * Validate an 18-digit resident identity number (GB 11643-1999); lowercase x is accepted and returned as X.
 *
 * `today` is the caller's current calendar date in Asia/Shanghai as
 * "YYYY-MM-DD" (from the injected Clock), so the rule "not born in the
 * future" stays deterministic. Birth dates before 1900-01-01 are refused.
 * First-generation 15-digit numbers are refused ("length"): they stopped being
 * valid in 2013. Messages never contain the number.
 */
export function validateResidentId(id: string, today: string): ResidentIdResult {
  const todayMatch = DATE_PATTERN.exec(today);
  if (todayMatch === null || !isCalendarDate(Number(todayMatch[1]), Number(todayMatch[2]), Number(todayMatch[3]))) {
    throw new TypeError(`validateResidentId: today must be a YYYY-MM-DD date, got "${today}"`);
  }
  const normalised = normaliseResidentId(id);
  if (normalised.length !== 18) {
    return fail("length", `resident ID number must be 18 characters, got ${normalised.length}`);
  }
  if (!/^\d{17}[\dX]$/.test(normalised)) {
    return fail("format", "resident ID number must be 17 digits followed by a digit or X");
  }
  if (!PROVINCE_PREFIXES.has(normalised.slice(0, 2))) {
    return fail("region", "resident ID number does not start with a known province code");
  }
  const year = Number(normalised.slice(6, 10));
  const month = Number(normalised.slice(10, 12));
  const day = Number(normalised.slice(12, 14));
  if (!isCalendarDate(year, month, day)) {
    return fail("birthdate", "resident ID number contains a birth date that does not exist");
  }
  // Fixed-width YYYY-MM-DD strings compare in calendar order.
  const birthDate = `${normalised.slice(6, 10)}-${normalised.slice(10, 12)}-${normalised.slice(12, 14)}`;
  if (birthDate < "1900-01-01") {
    return fail("birthdate", "resident ID number contains a birth date before 1900");
  }
  if (birthDate > today) {
    return fail("birthdate", "resident ID number contains a birth date in the future");
  }
  if (residentIdCheckChar(normalised.slice(0, 17)) !== normalised.charAt(17)) {
    return fail("checksum", "resident ID number check digit does not match");
  }
  const sex = Number(normalised.charAt(16)) % 2 === 1 ? "male" : "female";
  return { ok: true, value: normalised, birthDate, sex };
}

/** The legal minimum working age in China (Labour Law art. 15): younger people may not be employed. */
export const MINIMUM_WORKING_AGE = 16;
/** Workers aged 16–17 are juvenile workers (未成年工): no night shifts, no hazardous or heavy work. */
export const ADULT_AGE = 18;

/**
 * Age in whole years on `today` of someone born on `birthDate` (both
 * YYYY-MM-DD). A birthday on 29 February counts from 1 March in other years.
 */
export function ageOn(birthDate: string, today: string): number {
  const b = DATE_PATTERN.exec(birthDate);
  const t = DATE_PATTERN.exec(today);
  if (b === null || t === null) throw new TypeError(`ageOn: dates must be YYYY-MM-DD, got "${birthDate}" and "${today}"`);
  const years = Number(t[1]) - Number(b[1]);
  // MM-DD strings compare in calendar order.
  return `${t[2]}-${t[3]}` < `${b[2]}-${b[3]}` ? years - 1 : years;
}

/** Append the GB 11643 check character to 17 digits (for seeds and tests); throws RangeError on bad input. */
export function residentIdWithChecksum(first17: string): string {
  if (!/^\d{17}$/.test(first17)) {
    throw new RangeError("residentIdWithChecksum needs exactly 17 digits");
  }
  return first17 + residentIdCheckChar(first17);
}

/**
 * Mask a resident ID for display as "500***********123X" (first 3 and last 4 kept, 18 characters).
 *
 * Anything that is not 18 characters after normalisation comes back as 18
 * asterisks, so a bad value can never leak through the mask.
 */
export function maskResidentId(id: string): string {
  const normalised = normaliseResidentId(id);
  if (normalised.length !== 18) return "*".repeat(18);
  return `${normalised.slice(0, 3)}${"*".repeat(11)}${normalised.slice(14)}`;
}

/**
 * Keyed hash (HMAC-SHA256, lowercase hex) of a normalised resident ID, the only form of the number we store.
 *
 * The raw ID is never stored: the worker record keeps this hash (unique, so
 * one identity is one worker across all agencies) and the masked form. The
 * hash must be keyed because the ID space is small and structured (region ×
 * birth date × sequence): a plain SHA-256 could be reversed by enumeration.
 * The key is a secret from config; rotating it means re-hashing from a fresh
 * presentation of each ID, so treat it as long-lived. Throws on an empty key
 * so a missing secret cannot silently produce guessable hashes.
 */
export function hashResidentId(id: string, key: Buffer | string): string {
  if (key.length === 0) {
    throw new RangeError("hashResidentId: the hashing key must not be empty");
  }
  return createHmac("sha256", key).update(normaliseResidentId(id), "utf8").digest("hex");
}

// ---------------------------------------------------------------------------
// Mobile phone numbers
// ---------------------------------------------------------------------------

/** Why a mobile number was refused. */
export type ChinaMobileReason = "format" | "prefix";

/**
 * Validate a mainland China mobile number and return it in E.164 form ("+8613800138000").
 *
 * Accepts 11 digits, optionally prefixed by +86, 0086 or 86, with spaces or
 * hyphens as separators (people paste numbers formatted as "138 0013 8000").
 * The number must start with 1 followed by 3–9, the prefixes carriers use.
 */
export function validateChinaMobile(phone: string): ValidationResult<string, ChinaMobileReason> {
  const compact = phone.trim().replace(/[\s-]/g, "");
  const match = /^(?:\+86|0086|86)?(\d{11})$/.exec(compact);
  const national = match?.[1];
  if (national === undefined) {
    return fail("format", "mobile number must be 11 digits, optionally prefixed by +86");
  }
  if (!/^1[3-9]/.test(national)) {
    return fail("prefix", "mobile number must start with 13-19");
  }
  return { ok: true, value: `+86${national}` };
}
