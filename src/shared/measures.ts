/**
 * The few statistics the trust, market-data and statistics cores share, in
 * one place so a median means the same thing everywhere:
 *
 * - Percentiles use the nearest-rank method on weighted observations: the
 *   p-th percentile is the smallest observed value v such that observations
 *   ≤ v carry at least p % of the total weight (rank ⌈p·W/100⌉, at least 1).
 *   The result is always a value that was observed (a rate that was really
 *   traded, a duration that really happened), never an interpolation; the
 *   median of an even count is the lower of the two middle values.
 * - Ratios carry their numerator and denominator and a percentage to one
 *   decimal place, rounded half-even in integers (no float ever rounds).
 */

/** A value observed `weight` times (weight: a positive safe integer, e.g. a trade's headcount). */
export interface Observation {
  readonly value: number;
  readonly weight: number;
}

function checkP(p: number): void {
  if (!Number.isInteger(p) || p < 0 || p > 100) throw new RangeError(`percentile must be a whole number 0..100, got ${p}`);
}

/**
 * Nearest-rank percentiles of weighted observations, one per entry of `ps`
 * (whole numbers 0..100); null for each when there are no observations.
 */
export function weightedPercentiles(observations: readonly Observation[], ps: readonly number[]): (number | null)[] {
  ps.forEach(checkP);
  let total = 0;
  for (const o of observations) {
    if (!Number.isSafeInteger(o.weight) || o.weight <= 0) throw new RangeError(`observation weight must be a positive whole number, got ${o.weight}`);
    if (!Number.isFinite(o.value)) throw new RangeError(`observation value must be finite, got ${o.value}`);
    total += o.weight;
  }
  if (total === 0) return ps.map(() => null);
  if (!Number.isSafeInteger(total * 100)) throw new RangeError("total weight too large");
  const sorted = [...observations].sort((a, b) => a.value - b.value);
  return ps.map((p) => {
    const rank = Math.max(1, Math.ceil((p * total) / 100));
    let seen = 0;
    for (const o of sorted) {
      seen += o.weight;
      if (seen >= rank) return o.value;
    }
    return (sorted[sorted.length - 1] as Observation).value;
  });
}

/** Nearest-rank percentiles of plain values (each observed once). */
export function percentiles(values: readonly number[], ps: readonly number[]): (number | null)[] {
  return weightedPercentiles(
    values.map((value) => ({ value, weight: 1 })),
    ps,
  );
}

/** The nearest-rank median (the lower middle value of an even count), or null for no values. */
export function median(values: readonly number[]): number | null {
  return percentiles(values, [50])[0] ?? null;
}

/** A share: numerator of denominator, and the percentage to one decimal ("12.5"), null when the denominator is 0. */
export interface Ratio {
  readonly numerator: number;
  readonly denominator: number;
  readonly percent: string | null;
}

/** numerator / denominator as a Ratio; percent rounded half-even to one decimal place. */
export function ratio(numerator: number, denominator: number): Ratio {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || numerator < 0 || denominator < 0) {
    throw new RangeError(`ratio needs non-negative whole numbers, got ${numerator}/${denominator}`);
  }
  if (denominator === 0) return { numerator, denominator, percent: null };
  const d = BigInt(denominator);
  const scaled = BigInt(numerator) * 1000n; // tenths of a percent
  let q = scaled / d;
  const r2 = (scaled % d) * 2n;
  if (r2 > d || (r2 === d && q % 2n === 1n)) q += 1n;
  return { numerator, denominator, percent: `${q / 10n}.${q % 10n}` };
}

/** Milliseconds as hours with one decimal, rounded half-even in integers. */
export function hoursOf(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new RangeError(`hoursOf: ${ms} is not whole milliseconds`);
  const negative = ms < 0;
  const abs = Math.abs(ms);
  // tenths of an hour = ms / 360000, half-even
  let q = Math.floor(abs / 360_000);
  const r2 = (abs - q * 360_000) * 2;
  if (r2 > 360_000 || (r2 === 360_000 && q % 2 === 1)) q += 1;
  const text = `${Math.floor(q / 10)}.${q % 10}`;
  return negative && q !== 0 ? `-${text}` : text;
}
