/**
 * Occupancy bitmap over the price levels of a book: one bit per level, plus a
 * summary word per 32 words so that finding the next occupied level across a
 * wide, sparse band costs a few word reads instead of a scan of every level.
 *
 * Int32Array rather than Uint32Array: V8 keeps int32 loads in registers, while
 * uint32 values with the top bit set become doubles.
 */
export class OccupancyBitmap {
  /** Number of addressable levels. */
  readonly size: number;
  private readonly words: Int32Array;
  private readonly summary: Int32Array;

  constructor(size: number) {
    this.size = size;
    const wordCount = (size + 31) >>> 5;
    this.words = new Int32Array(Math.max(1, wordCount));
    this.summary = new Int32Array(Math.max(1, (wordCount + 31) >>> 5));
  }

  has(i: number): boolean {
    return ((this.words[i >>> 5]! >>> (i & 31)) & 1) === 1;
  }

  set(i: number): void {
    const w = i >>> 5;
    const before = this.words[w]!;
    this.words[w] = before | (1 << (i & 31));
    if (before === 0) this.summary[w >>> 5]! |= 1 << (w & 31);
  }

  clear(i: number): void {
    const w = i >>> 5;
    const after = this.words[w]! & ~(1 << (i & 31));
    this.words[w] = after;
    if (after === 0) this.summary[w >>> 5]! &= ~(1 << (w & 31));
  }

  /** Lowest occupied level >= i, or -1. */
  nextFrom(i: number): number {
    if (i >= this.size) return -1;
    if (i < 0) i = 0;
    const words = this.words;
    let w = i >>> 5;
    const bits = words[w]! & (-1 << (i & 31));
    if (bits !== 0) return (w << 5) + ctz(bits);
    w += 1;
    const summary = this.summary;
    let s = w >>> 5;
    if (s >= summary.length) return -1;
    let sb = summary[s]! & (-1 << (w & 31));
    while (sb === 0) {
      s += 1;
      if (s >= summary.length) return -1;
      sb = summary[s]!;
    }
    w = (s << 5) + ctz(sb);
    return (w << 5) + ctz(words[w]!);
  }

  /** Highest occupied level <= i, or -1. */
  prevFrom(i: number): number {
    if (i < 0) return -1;
    if (i >= this.size) i = this.size - 1;
    const words = this.words;
    let w = i >>> 5;
    const bits = words[w]! & (-1 >>> (31 - (i & 31)));
    if (bits !== 0) return (w << 5) + 31 - Math.clz32(bits);
    if (w === 0) return -1;
    w -= 1;
    const summary = this.summary;
    let s = w >>> 5;
    let sb = summary[s]! & (-1 >>> (31 - (w & 31)));
    while (sb === 0) {
      if (s === 0) return -1;
      s -= 1;
      sb = summary[s]!;
    }
    w = (s << 5) + 31 - Math.clz32(sb);
    return (w << 5) + 31 - Math.clz32(words[w]!);
  }
}

/** Count of trailing zero bits of a non-zero 32-bit integer. */
function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}
