/**
 * Attendance, pure: the site's rotating check-in code and the geofence.
 *
 * The code is six digits from an HMAC of the enterprise and the current
 * 30-second window, keyed by a server secret: it can be shown on the site's
 * screen (and as a QR code) and typed or scanned by a worker standing there,
 * but not guessed from elsewhere, and a photo of it is useless a minute
 * later. The previous window's code is accepted too, so a code typed as it
 * rotates still works.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** How often the code changes. */
export const CODE_PERIOD_MS = 30_000;

function codeFor(secret: string, enterpriseId: string, window: number): string {
  const mac = createHmac("sha256", secret).update(`checkin:${enterpriseId}:${window}`).digest();
  // Dynamic truncation as in HOTP (RFC 4226): 31 bits, then six decimal digits.
  const offset = mac[mac.length - 1]! & 0x0f;
  const n = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(n % 1_000_000).padStart(6, "0");
}

/** The code shown at `now`, and until when it is shown. */
export function currentCode(secret: string, enterpriseId: string, now: number): { code: string; validUntil: number } {
  const window = Math.floor(now / CODE_PERIOD_MS);
  return { code: codeFor(secret, enterpriseId, window), validUntil: (window + 1) * CODE_PERIOD_MS };
}

/** Whether `code` is the site's code now or in the window just before. */
export function codeMatches(secret: string, enterpriseId: string, now: number, code: string): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  const window = Math.floor(now / CODE_PERIOD_MS);
  let ok = false;
  for (const w of [window, window - 1]) {
    // Compare every candidate in full: the time taken says nothing about which digits were right.
    ok = timingSafeEqual(Buffer.from(codeFor(secret, enterpriseId, w)), Buffer.from(code)) || ok;
  }
  return ok;
}

/** Metres between two points given in micro-degrees (haversine on a sphere of the Earth's mean radius). */
export function distanceMetres(aLatE6: number, aLonE6: number, bLatE6: number, bLonE6: number): number {
  const rad = (e6: number) => (e6 / 1e6) * (Math.PI / 180);
  const dLat = rad(bLatE6 - aLatE6);
  const dLon = rad(bLonE6 - aLonE6);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(aLatE6)) * Math.cos(rad(bLatE6)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Degrees as a decimal string or number → integer micro-degrees, or null when out of range. */
export function microDegrees(value: number, max: number): number | null {
  if (!Number.isFinite(value) || Math.abs(value) > max) return null;
  return Math.round(value * 1e6);
}
