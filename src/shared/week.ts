/**
 * ISO 8601 weeks of local dates in Asia/Shanghai ("2026-W49": Monday to
 * Sunday, week 1 holds the year's first Thursday). Guidance prices and
 * statistics are reported per week of the shift's market date.
 *
 * Calendar arithmetic in integers (days since 1970-01-01, Howard Hinnant's
 * civil-date algorithms): no Date object, no time zone database, nothing that
 * reads a clock, so the pure cores that use it stay pure.
 */

const DAY_MS = 86_400_000;
// China has kept UTC+8 all year since 1991 (see src/parties/catalogue.ts).
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEK = /^(\d{4})-W(\d{2})$/;

/** Days since 1970-01-01 of a proleptic Gregorian date. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The date of a day number (inverse of daysFromCivil). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** Day number of a "YYYY-MM-DD" date, or undefined when it is not a real date. */
export function dayNumber(date: string): number | undefined {
  const m = DATE.exec(date);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const days = daysFromCivil(year, month, day);
  const back = civilFromDays(days);
  return back.month === month && back.day === day ? days : undefined;
}

/** "YYYY-MM-DD" of a day number. */
export function dateOfDay(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** 1 = Monday … 7 = Sunday. 1970-01-01 was a Thursday. */
export function isoWeekday(days: number): number {
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

/** The ISO week ("2026-W49") of a "YYYY-MM-DD" local date. Throws RangeError for a date that is not real. */
export function isoWeekOf(date: string): string {
  const days = dayNumber(date);
  if (days === undefined) throw new RangeError(`isoWeekOf: not a real YYYY-MM-DD date: "${date}"`);
  // The week belongs to the year of its Thursday.
  const thursday = days - isoWeekday(days) + 4;
  const { year } = civilFromDays(thursday);
  const week = Math.floor((thursday - daysFromCivil(year, 1, 1)) / 7) + 1;
  return `${pad(year, 4)}-W${pad(week, 2)}`;
}

/** The local date (Asia/Shanghai) of an instant, as "YYYY-MM-DD". */
export function shanghaiDateOf(epochMs: number): string {
  return dateOfDay(Math.floor((epochMs + SHANGHAI_OFFSET_MS) / DAY_MS));
}

/** The ISO week of an instant in Asia/Shanghai. */
export function isoWeekOfInstant(epochMs: number): string {
  return isoWeekOf(shanghaiDateOf(epochMs));
}

/** The Monday ("YYYY-MM-DD") of an ISO week, or undefined when the week does not exist (W53 of a 52-week year). */
export function isoWeekMonday(week: string): string | undefined {
  const m = WEEK.exec(week);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || n > 53) return undefined;
  const jan4 = daysFromCivil(year, 1, 4); // always in week 1
  const monday = jan4 - isoWeekday(jan4) + 1 + (n - 1) * 7;
  const date = dateOfDay(monday);
  return isoWeekOf(date) === week ? date : undefined;
}

/** True for a week id that exists ("2026-W53" does, "2025-W53" does not). */
export function isIsoWeek(week: string): boolean {
  return isoWeekMonday(week) !== undefined;
}

/** The week `n` weeks after `week` (negative n goes back). Throws RangeError for a week that does not exist. */
export function addWeeks(week: string, n: number): string {
  const monday = isoWeekMonday(week);
  if (monday === undefined) throw new RangeError(`addWeeks: not an ISO week: "${week}"`);
  return isoWeekOf(dateOfDay((dayNumber(monday) as number) + 7 * n));
}
