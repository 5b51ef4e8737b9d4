/**
 * Money. Amounts are integer fen (1 yuan = 100 fen) held as bigint; a float
 * never touches money. Decimals appear only where a rate meets a quantity
 * (hourly rate × hours, amount × fee rate); there the project's one configured
 * BigNumber clone computes exactly and rounds once, half-even, to whole fen.
 * Splits use the largest-remainder method so the parts always sum to the whole.
 */
import BigNumber from "bignumber.js";

/** Integer minor units of CNY: 1 yuan = 100 fen. */
export type Fen = bigint;

/** Largest amount PostgreSQL BIGINT can hold; every stored amount and balance fits. */
export const MAX_FEN: Fen = 9_223_372_036_854_775_807n;

/**
 * The project's BigNumber: half-even (banker's) rounding, no exponent
 * notation in strings. A clone, so nobody's global config can change ours.
 */
export const Decimal = BigNumber.clone({
  DECIMAL_PLACES: 20,
  ROUNDING_MODE: BigNumber.ROUND_HALF_EVEN,
  EXPONENTIAL_AT: 1e9,
});
export type Decimal = BigNumber;

/** Result of parsing a yuan string without throwing. */
export type ParseYuanResult = { ok: true; fen: Fen } | { ok: false; error: string };

const YUAN = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?$/;
const UNSIGNED_DECIMAL = /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/**
 * Parses a yuan amount such as "18.50", "18.5", "-0.05" or "1200".
 * Rejects non-strings, floats passed as numbers, exponents, signs other than a
 * leading "-", leading zeros, more than two decimals and values beyond BIGINT.
 */
export function parseYuan(input: string): ParseYuanResult {
  if (typeof input !== "string") {
    return { ok: false, error: `yuan amount must be a decimal string, got ${typeof input}` };
  }
  const m = YUAN.exec(input);
  if (m === null) {
    const error = /^-?[0-9]+\.[0-9]{3,}$/.test(input)
      ? `yuan amount "${input}" has more than 2 decimal places`
      : `yuan amount "${input}" is not a decimal like "18.50"`;
    return { ok: false, error };
  }
  const negative = m[1] === "-";
  const whole = BigInt(m[2] ?? "0");
  const frac = (m[3] ?? "").padEnd(2, "0");
  const abs = whole * 100n + BigInt(frac);
  if (abs > MAX_FEN) return { ok: false, error: `yuan amount "${input}" is too large` };
  return { ok: true, fen: negative ? -abs : abs };
}

/** "18.50" → 1850n. Throws RangeError naming the problem on bad input. */
export function yuanToFen(input: string): Fen {
  const r = parseYuan(input);
  if (!r.ok) throw new RangeError(r.error);
  return r.fen;
}

/** 1850n → "18.50"; -5n → "-0.05". Always exactly two decimals. */
export function fenToYuan(fen: Fen): string {
  if (typeof fen !== "bigint") throw new RangeError(`fen must be a bigint, got ${typeof fen}`);
  const negative = fen < 0n;
  const abs = negative ? -fen : fen;
  const frac = (abs % 100n).toString().padStart(2, "0");
  return `${negative ? "-" : ""}${abs / 100n}.${frac}`;
}

/**
 * A non-negative decimal quantity (hours, a rate) as a Decimal.
 * Strings must be plain decimals ("7.5", "0.05"): no sign, exponent or spaces.
 */
function toDecimal(value: string | BigNumber, what: string): Decimal {
  if (typeof value === "string") {
    if (!UNSIGNED_DECIMAL.test(value)) {
      throw new RangeError(`${what} "${value}" is not a non-negative decimal like "7.5"`);
    }
    return new Decimal(value);
  }
  if (BigNumber.isBigNumber(value)) {
    const d = new Decimal(value);
    if (!d.isFinite() || d.isNegative()) {
      throw new RangeError(`${what} ${d.toString()} must be a finite non-negative number`);
    }
    return d;
  }
  throw new RangeError(`${what} must be a decimal string or BigNumber, got ${typeof value}`);
}

function requireFen(value: bigint, what: string): void {
  if (typeof value !== "bigint") throw new RangeError(`${what} must be a bigint of fen, got ${typeof value}`);
}

/** Rounds a decimal number of fen to whole fen, half-even. */
function roundToFen(x: Decimal): Fen {
  return BigInt(x.integerValue(Decimal.ROUND_HALF_EVEN).toFixed(0));
}

/**
 * Pay for `hours` at `rateFenPerHour`, rounded once to whole fen, half-even.
 * wage(2500n, "7.5") → 18750n; wage(1n, "0.5") → 0n; wage(1n, "1.5") → 2n.
 */
export function wage(rateFenPerHour: Fen, hours: string | BigNumber): Fen {
  requireFen(rateFenPerHour, "hourly rate");
  if (rateFenPerHour < 0n) throw new RangeError(`hourly rate ${rateFenPerHour} fen must not be negative`);
  const h = toDecimal(hours, "hours");
  return roundToFen(new Decimal(rateFenPerHour.toString()).times(h));
}

/**
 * amountFen × rate rounded half-even to whole fen, e.g. a fee:
 * applyRate(10050n, "0.05") → 502n (502.5 rounds to even).
 */
export function applyRate(amountFen: Fen, rate: string | BigNumber): Fen {
  requireFen(amountFen, "amount");
  const r = toDecimal(rate, "rate");
  return roundToFen(new Decimal(amountFen.toString()).times(r));
}

/** An amount with a fee on top: total = base + fee, fee = applyRate(base, feeRate). */
export interface WithFee {
  base: Fen;
  fee: Fen;
  total: Fen;
}

/** Adds a fee charged on top of `baseFen` (the pre-trade hold is base × (1 + fee)). */
export function withFee(baseFen: Fen, feeRate: string | BigNumber): WithFee {
  const fee = applyRate(baseFen, feeRate);
  return { base: baseFen, fee, total: baseFen + fee };
}

/**
 * Splits `total` in proportion to `weights` by the largest-remainder method:
 * every part gets floor(total × w / Σw); the fen left over go one each to the
 * parts with the largest remainders, ties to the lower index. Parts always sum
 * to `total`. A negative total is split as its absolute value and negated.
 * Weights must be non-negative with a positive sum.
 */
export function splitLargestRemainder(total: Fen, weights: readonly bigint[]): Fen[] {
  requireFen(total, "total");
  if (weights.length === 0) throw new RangeError("cannot split among zero weights");
  let sum = 0n;
  for (const w of weights) {
    if (typeof w !== "bigint") throw new RangeError(`weights must be bigints, got ${typeof w}`);
    if (w < 0n) throw new RangeError(`weight ${w} must not be negative`);
    sum += w;
  }
  if (sum === 0n) throw new RangeError("weights must not all be zero");
  if (total < 0n) return splitLargestRemainder(-total, weights).map((p) => -p);

  const parts: Fen[] = new Array<Fen>(weights.length);
  const remainders: bigint[] = new Array<bigint>(weights.length);
  let allocated = 0n;
  for (let i = 0; i < weights.length; i++) {
    const scaled = total * (weights[i] as bigint);
    const q = scaled / sum;
    parts[i] = q;
    remainders[i] = scaled % sum;
    allocated += q;
  }
  let left = total - allocated; // < weights.length
  if (left > 0n) {
    const order = weights.map((_, i) => i);
    order.sort((a, b) => {
      const ra = remainders[a] as bigint;
      const rb = remainders[b] as bigint;
      return ra === rb ? a - b : ra > rb ? -1 : 1;
    });
    for (let k = 0; left > 0n; k++, left--) {
      const i = order[k] as number;
      parts[i] = (parts[i] as bigint) + 1n;
    }
  }
  return parts;
}

/**
 * Fen as a JSON number for `*Fen` fields. Exact up to 2^53 fen (about 90
 * trillion yuan); beyond that it throws rather than round.
 */
export function fenToJsonNumber(fen: Fen): number {
  if (fen > 9_007_199_254_740_991n || fen < -9_007_199_254_740_991n) throw new RangeError(`${fen} fen is too large for a JSON number`);
  return Number(fen);
}

/**
 * Pay for whole `minutes` at `rateFenPerHour`: rate × minutes / 60, rounded
 * once to whole fen, half-even, in integers. The contract machines count time
 * in minutes, and minutes / 60 is often not a finite decimal (10 min =
 * 0.1666… h), so this avoids rounding the hours before the money.
 * wageForMinutes(2500n, 450) → 18750n (7.5 h); wageForMinutes(1n, 30) → 0n; wageForMinutes(3n, 30) → 2n.
 */
export function wageForMinutes(rateFenPerHour: Fen, minutes: number | bigint): Fen {
  requireFen(rateFenPerHour, "hourly rate");
  if (rateFenPerHour < 0n) throw new RangeError(`hourly rate ${rateFenPerHour} fen must not be negative`);
  if (typeof minutes === "number" && !Number.isSafeInteger(minutes)) throw new RangeError(`minutes must be a whole number, got ${minutes}`);
  const m = BigInt(minutes);
  if (m < 0n) throw new RangeError(`minutes ${m} must not be negative`);
  const n = rateFenPerHour * m;
  const q = n / 60n;
  const r = n % 60n;
  if (r * 2n > 60n || (r * 2n === 60n && q % 2n === 1n)) return q + 1n;
  return q;
}
