/**
 * Reference catalogue of the exchange: districts with their minimum wages,
 * skills and certificate levels, standard shift slots, key groups, and the
 * market id that combines skill × district × day × slot.
 *
 * Pure and static: the data lives in catalogue-data/, nothing here reads
 * files, the clock or the environment.
 */
import { DISTRICTS, MINIMUM_WAGE_SOURCE } from "./catalogue-data/districts";
import type { District } from "./catalogue-data/districts";
import { SKILLS } from "./catalogue-data/skills";
import type { Skill } from "./catalogue-data/skills";
import type { ValidationResult } from "./identity";

export { MINIMUM_WAGE_SOURCE };
export type { District, DistrictKind, MinimumWageTier } from "./catalogue-data/districts";
export type { Skill, SkillLicence } from "./catalogue-data/skills";

// ---------------------------------------------------------------------------
// Districts and minimum wages
// ---------------------------------------------------------------------------

/** Chongqing's 38 district-level divisions (GB/T 2260), with seed minimum wages. */
export const districts: readonly District[] = DISTRICTS;

const districtIndex: ReadonlyMap<string, District> = new Map(districts.map((d) => [d.code, d]));

/** The division with this six-digit code, or undefined. */
export function districtByCode(code: string): District | undefined {
  return districtIndex.get(code);
}

/** Hourly minimum wage in fen for a division (rates may never be lower), or undefined for an unknown code. */
export function minimumHourlyWageFen(code: string): number | undefined {
  // The published hourly figure is the standard for non-full-time work. It is
  // used as the floor for every shift because it is the stricter one: the
  // monthly figure spread over 21.75 days × 8 hours is only about 12 yuan.
  return districtIndex.get(code)?.minimumHourlyWageFen;
}

// ---------------------------------------------------------------------------
// Skills and certificate levels
// ---------------------------------------------------------------------------

/** The tradeable skills (≥ 20), in display order. */
export const skills: readonly Skill[] = SKILLS;

const skillIndex: ReadonlyMap<string, Skill> = new Map(skills.map((s) => [s.id, s]));

/** The skill with this id, or undefined. */
export function skillById(id: string): Skill | undefined {
  return skillIndex.get(id);
}

/** A certificate level as used in matching: higher `level` means more qualified. */
export interface CertificateLevel {
  readonly level: 0 | 1 | 2 | 3 | 4 | 5;
  readonly code: "none" | "vocational_5" | "vocational_4" | "vocational_3" | "vocational_2" | "vocational_1";
  readonly name_zh: string;
  readonly name_en: string;
}

/**
 * Certificate levels in ascending order, so `level` compares directly.
 *
 * China numbers vocational skill levels the other way round (五级/初级工 is
 * the lowest, 一级/高级技师 the highest); matching needs "at least level n",
 * so the project flips them and keeps the official name in `code`.
 */
export const certificateLevels: readonly CertificateLevel[] = Object.freeze([
  { level: 0, code: "none", name_zh: "无", name_en: "none" },
  { level: 1, code: "vocational_5", name_zh: "五级/初级工", name_en: "level 5 / junior worker" },
  { level: 2, code: "vocational_4", name_zh: "四级/中级工", name_en: "level 4 / intermediate worker" },
  { level: 3, code: "vocational_3", name_zh: "三级/高级工", name_en: "level 3 / senior worker" },
  { level: 4, code: "vocational_2", name_zh: "二级/技师", name_en: "level 2 / technician" },
  { level: 5, code: "vocational_1", name_zh: "一级/高级技师", name_en: "level 1 / senior technician" },
] as const satisfies readonly CertificateLevel[]);

// ---------------------------------------------------------------------------
// Shift slots
// ---------------------------------------------------------------------------

/** Id of a standard shift slot. */
export type ShiftSlotId = "D1" | "N1" | "E1" | "M1";

/** A standard shift slot; times are wall-clock "HH:MM" in Asia/Shanghai. */
export interface ShiftSlot {
  readonly id: ShiftSlotId;
  readonly name_zh: string;
  readonly name_en: string;
  readonly start: string;
  readonly end: string;
  /** True when the shift ends on the calendar day after its market date. */
  readonly crossesMidnight: boolean;
  readonly breakMinutes: number;
  /** Minutes billed at the hourly rate: the span less the unpaid break. */
  readonly paidMinutes: number;
}

/**
 * The standard slots. A market's date is the day the shift starts.
 *
 * Every slot longer than six hours carries one unpaid hour for a meal break,
 * so the pre-trade hold (headcount × paid hours × rate) matches what is paid.
 */
export const shiftSlots: readonly ShiftSlot[] = Object.freeze([
  { id: "D1", name_zh: "白班", name_en: "day", start: "08:00", end: "17:00", crossesMidnight: false, breakMinutes: 60, paidMinutes: 480 },
  { id: "N1", name_zh: "夜班", name_en: "night", start: "20:00", end: "08:00", crossesMidnight: true, breakMinutes: 60, paidMinutes: 660 },
  { id: "E1", name_zh: "晚班", name_en: "evening", start: "17:00", end: "22:00", crossesMidnight: false, breakMinutes: 0, paidMinutes: 300 },
  { id: "M1", name_zh: "早班", name_en: "morning", start: "06:00", end: "14:00", crossesMidnight: false, breakMinutes: 60, paidMinutes: 420 },
] as const satisfies readonly ShiftSlot[]);

const slotIndex: ReadonlyMap<string, ShiftSlot> = new Map(shiftSlots.map((s) => [s.id, s]));

/** The slot with this id, or undefined. */
export function shiftSlotById(id: string): ShiftSlot | undefined {
  return slotIndex.get(id);
}

// ---------------------------------------------------------------------------
// Key groups
// ---------------------------------------------------------------------------

/** A key group (重点群体) whose placements statistics report separately. */
export interface KeyGroup {
  readonly id: string;
  readonly name_zh: string;
  readonly name_en: string;
  readonly source: string;
}

/**
 * The key groups named in the action plan (渝人社〔2023〕85号, section 三(一):
 * "聚焦高校毕业生、农民工等重点群体"). The plan names only these two; groups
 * from national employment policy (veterans, people with disabilities, the
 * long-term unemployed) are not added until someone decides to report on them.
 */
export const keyGroups: readonly KeyGroup[] = Object.freeze([
  { id: "college_graduate", name_zh: "高校毕业生", name_en: "college graduate", source: "渝人社〔2023〕85号 三(一)" },
  { id: "migrant_worker", name_zh: "农民工", name_en: "migrant worker", source: "渝人社〔2023〕85号 三(一)" },
]);

// ---------------------------------------------------------------------------
// Market ids and shift windows
// ---------------------------------------------------------------------------

/** The parts of a market id: skill × district × local date (YYYY-MM-DD) × slot. */
export interface MarketRef {
  readonly skill: string;
  readonly district: string;
  readonly date: string;
  readonly slot: ShiftSlotId;
}

/** Why a market id was refused; each names the part that is wrong. */
export type MarketIdReason = "format" | "skill" | "district" | "date" | "slot";

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseLocalDate(date: string): { year: number; month: number; day: number } | undefined {
  const match = DATE_PATTERN.exec(date);
  if (match === null) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return undefined;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  return { year, month, day };
}

/** "welder.500107.2026-12-01.D1" from its parts; does not validate (parseMarketId does). */
export function formatMarketId(ref: MarketRef): string {
  return `${ref.skill}.${ref.district}.${ref.date}.${ref.slot}`;
}

/** Parse and check a market id against the catalogue; ids are case-sensitive and canonical. */
export function parseMarketId(id: string): ValidationResult<MarketRef, MarketIdReason> {
  const parts = id.split(".");
  if (parts.length !== 4) {
    return { ok: false, reason: "format", message: 'market id must read "skill.district.date.slot"' };
  }
  const [skill = "", district = "", date = "", slot = ""] = parts;
  if (!skillIndex.has(skill)) {
    return { ok: false, reason: "skill", message: `unknown skill "${skill}"` };
  }
  if (!districtIndex.has(district)) {
    return { ok: false, reason: "district", message: `unknown district code "${district}"` };
  }
  if (parseLocalDate(date) === undefined) {
    return { ok: false, reason: "date", message: `market date must be a real YYYY-MM-DD date, got "${date}"` };
  }
  const shiftSlot = slotIndex.get(slot);
  if (shiftSlot === undefined) {
    return { ok: false, reason: "slot", message: `unknown shift slot "${slot}"` };
  }
  return { ok: true, value: { skill, district, date, slot: shiftSlot.id } };
}

// China has kept UTC+8 all year since 1991, so fixed-offset arithmetic is
// exact for any shift date the exchange will see and needs no tz database.
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

/** A shift's start and end as epoch milliseconds. */
export interface ShiftWindow {
  readonly startsAt: number;
  readonly endsAt: number;
}

function wallClockToEpoch(year: number, month: number, day: number, hhmm: string): number {
  const hours = Number(hhmm.slice(0, 2));
  const minutes = Number(hhmm.slice(3, 5));
  // Date.UTC rolls day overflow into the next month/year, which is what a
  // night shift ending "tomorrow" needs.
  return Date.UTC(year, month - 1, day, hours, minutes) - SHANGHAI_OFFSET_MS;
}

/**
 * Start and end (epoch ms) of a slot on a local date in Asia/Shanghai; good-till for demand orders is `startsAt`.
 *
 * Throws RangeError for a malformed date or unknown slot: callers pass parts
 * that parseMarketId has already checked.
 */
export function shiftWindow(date: string, slotId: string): ShiftWindow {
  const parsed = parseLocalDate(date);
  if (parsed === undefined) throw new RangeError(`shiftWindow: not a YYYY-MM-DD date: "${date}"`);
  const slot = slotIndex.get(slotId);
  if (slot === undefined) throw new RangeError(`shiftWindow: unknown shift slot "${slotId}"`);
  const { year, month, day } = parsed;
  return {
    startsAt: wallClockToEpoch(year, month, day, slot.start),
    endsAt: wallClockToEpoch(year, month, day + (slot.crossesMidnight ? 1 : 0), slot.end),
  };
}

/** The calendar date ("YYYY-MM-DD") in Asia/Shanghai at an instant, e.g. `today` for validateResidentId. */
export function shanghaiDate(epochMs: number): string {
  return new Date(epochMs + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** An instant as ISO 8601 in Asia/Shanghai with its offset, e.g. "2026-12-01T08:00:00.000+08:00". */
export function shanghaiIso(epochMs: number): string {
  return `${new Date(epochMs + SHANGHAI_OFFSET_MS).toISOString().slice(0, 23)}+08:00`;
}

/** Paid hours of a slot as a decimal string ("8", "7.5"); every standard slot is paid in whole or half hours. */
export function paidHours(slot: ShiftSlot): string {
  const h = slot.paidMinutes / 60;
  return Number.isInteger(h * 100) ? String(h) : (slot.paidMinutes / 60).toFixed(4);
}
