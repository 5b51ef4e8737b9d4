/**
 * Staffing rules about the person, pure: what a juvenile worker (16–17) may
 * not be named for. The contract service refuses such an assignment; the
 * targeted push of open seats (src/marketdata) does not offer it either.
 */
import { skillById } from "../parties/catalogue";

const MIN = 60_000;
/** Skills a juvenile worker may not be named for, beyond the licensed operations (heavy lifting, building sites). */
const HEAVY_SKILLS = new Set(["construction-labourer", "mover", "scaffolder"]);

/** Night work for the juvenile-worker rule: any part of the shift between 22:00 and 06:00 in Asia/Shanghai. */
export function touchesNight(start: number, end: number): boolean {
  const SH = 8 * 3_600_000;
  for (let t = start; t < end; t += MIN) {
    const minuteOfDay = Math.floor(((t + SH) % 86_400_000) / MIN);
    if (minuteOfDay >= 22 * 60 || minuteOfDay < 6 * 60) return true;
  }
  return false;
}

/** Why a juvenile worker may not work this shift (night, or hazardous, heavy or licensed work), or null when they may. */
export function juvenileRefusal(skillId: string, shiftStart: number, shiftEnd: number): "juvenile_night" | "juvenile_hazard" | null {
  if (touchesNight(shiftStart, shiftEnd)) return "juvenile_night";
  if (skillById(skillId)?.licensedOperation || HEAVY_SKILLS.has(skillId)) return "juvenile_hazard";
  return null;
}
