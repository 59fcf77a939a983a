/**
 * Column accumulators fed with DuckDB's result vectors as they stream out of the scan: one pass over the
 * data computes every statistic of every column. Measured at 200k rows × 200 columns, DuckDB's
 * histogram() aggregate cost ~100 ns per value and ln() ~50 ns, where these loops over the vectors'
 * Float64Arrays cost a few ns per value; DuckDB keeps doing what it is fast at (parsing CSV, decoding
 * Parquet, casting, hashing strings) on its own threads while JavaScript consumes the chunks.
 *
 * Exactness is that of the SQL engine it replaces: counts, min/max and exact value counts are exact; the
 * mean and m2 are merged per chunk with Chan et al.'s formula; sketch buckets use `bucketIndex` itself,
 * so they equal what `SketchAccumulator.add` gives for the same values. Value counts are kept exactly
 * while a column has at most `exactLimit` distinct values; beyond it the map is dropped and a
 * HyperLogLog estimates the distinct count.
 */
import { bucketIndex, gammaOf, LinearAccumulator, SketchAccumulator, type SketchSettings } from "../sketch";

/** A DuckDB validity mask as 32-bit words (bit set = valid), or null when every row is valid. */
export type Validity = Uint32Array | null;

export function validityWords(data: BigUint64Array | null | undefined): Validity {
  return data ? new Uint32Array(data.buffer, data.byteOffset, data.length * 2) : null;
}

const isValid = (validity: Validity, row: number): boolean =>
  validity === null || ((validity[row >>> 5]! >>> (row & 31)) & 1) === 1;

const HLL_BITS = 12;
/** 2^-r for every register value r (at most 32 − 12 + 1). */
const INVERSE_POWERS = Float64Array.from({ length: 64 }, (_, r) => 2 ** -r);

/**
 * HyperLogLog with 4096 registers (standard error ≈ 1.6 %), fed with 32-bit hashes. Only used for the
 * distinct count of columns with too many values to count exactly, where the profile states it as an
 * estimate (it never decides whether counts are exact: the exact map's size does).
 */
export class HyperLogLog {
  readonly registers = new Uint8Array(1 << HLL_BITS);

  addHash(hash: number): void {
    const index = hash >>> (32 - HLL_BITS);
    const rank = Math.clz32((hash << HLL_BITS) | (1 << (HLL_BITS - 1))) + 1;
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  estimate(): number {
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (const r of this.registers) {
      sum += INVERSE_POWERS[r]!;
      if (r === 0) zeros++;
    }
    const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    return Math.round(raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw);
  }
}

const hashView = new Float64Array(1);
const hashWords = new Uint32Array(hashView.buffer);

/** A 32-bit hash of a double's bits (murmur3's finaliser over both words). */
export function hashNumber(x: number): number {
  hashView[0] = x === 0 ? 0 : x; // -0 and 0 are one value, as in the value counts
  return hashWords32(hashWords[0]!, hashWords[1]!);
}

/** hashNumber of the double whose low and high 32-bit words these are. */
export function hashWords32(low: number, high: number): number {
  let h = low ^ Math.imul(high, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Exact counts of up to `limit` distinct keys (finite doubles, -0 as 0) in an open-addressing table on
 * typed arrays: about 5× cheaper per value than a Map. It is never more than half full, so probing ends.
 */
export class ExactCounts {
  readonly keys: Float64Array;
  readonly counts: Float64Array;
  size = 0;
  private readonly mask: number;
  private readonly shift: number;

  constructor(readonly limit: number) {
    let bits = 4;
    while (2 ** bits < 2 * (limit + 1)) bits++;
    this.keys = new Float64Array(2 ** bits);
    this.counts = new Float64Array(2 ** bits);
    this.mask = 2 ** bits - 1;
    this.shift = 32 - bits;
  }

  /** Counts one occurrence of `key`; true when the key was not seen before. */
  add(key: number): boolean {
    hashView[0] = key;
    return this.addBits(key, hashWords[0]!, hashWords[1]!);
  }

  /** `add` for a key whose low and high 32-bit words the caller has at hand. */
  addBits(key: number, low: number, high: number): boolean {
    const { keys, counts, mask } = this;
    // Fibonacci hashing of the double's two words: one multiplication, the top bits as the slot.
    let slot = Math.imul(low ^ high, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const count = counts[slot]!;
      if (count === 0) {
        keys[slot] = key;
        counts[slot] = 1;
        this.size++;
        return true;
      }
      if (keys[slot] === key) {
        counts[slot] = count + 1;
        return false;
      }
      slot = (slot + 1) & mask;
    }
  }

  forEach(visit: (key: number, count: number) => void): void {
    this.counts.forEach((count, slot) => {
      if (count > 0) visit(this.keys[slot]!, count);
    });
  }
}

/** Counts per bucket index in a growable dense array (DDSketch's dense store). */
class DenseCounts {
  counts = new Float64Array(0);
  offset = 0;

  add(index: number, count: number): void {
    let slot = index - this.offset;
    if (slot < 0 || slot >= this.counts.length) {
      this.grow(index);
      slot = index - this.offset;
    }
    this.counts[slot]! += count;
  }

  grow(index: number): void {
    if (this.counts.length === 0) {
      this.counts = new Float64Array(64);
      this.offset = index - 32;
      return;
    }
    const lo = Math.min(this.offset, index);
    const hi = Math.max(this.offset + this.counts.length, index + 1);
    const span = hi - lo;
    const grown = new Float64Array(Math.max(span + (span >> 1), this.counts.length * 2));
    const newOffset = lo - ((grown.length - span) >> 1);
    grown.set(this.counts, this.offset - newOffset);
    this.counts = grown;
    this.offset = newOffset;
  }

  addTo(acc: SketchAccumulator, sign: 1 | -1): void {
    this.counts.forEach((count, slot) => {
      if (count > 0) acc.addBucket(sign, slot + this.offset, count);
    });
  }
}

/** Marks a cell whose values fall in more than one bucket (never a real index: see BucketIndexCache). */
const STRADDLES = -0x80000000;
/** Mantissa bits (below the exponent) that pick a cell of a cached page. */
const CELL_BITS = 12;

/**
 * `bucketIndex` looked up by a double's top bits instead of computed with a logarithm per value. A
 * page per binary exponent (allocated when first seen) splits [2^e, 2^(e+1)) into 2^12 cells by the
 * mantissa's top bits; a cell whose two ends have the same index (with a margin far above Math.log's
 * rounding) gives every value inside that index, as the index is monotone in the value. Cells are
 * 0.024 % wide and buckets ≈ 1 % (α = 0.5 %), so ~2.5 % of the cells straddle a bucket edge: their
 * values get `bucketIndex` itself. Either way the result equals `bucketIndex(magnitude, logGamma)`.
 * Shared by every column of a scan (the mapping depends only on the settings).
 */
export class BucketIndexCache {
  private readonly pages: Array<Int32Array | undefined> = new Array<Int32Array | undefined>(2048);
  private readonly bits = new Float64Array(1);
  private readonly words = new Uint32Array(this.bits.buffer);
  /** False when indexes could overflow the page's Int32 (an absurdly small α): no caching then. */
  readonly usable: boolean;

  constructor(readonly logGamma: number) {
    this.usable = 745 / logGamma < 2 ** 30;
  }

  /** The index of a finite magnitude ≥ minIndexable, given its double's high word (sign bit clear). */
  index(magnitude: number, high: number): number {
    const page = this.pages[high >>> 20] ?? this.fill(high >>> 20);
    const index = page[(high >>> (20 - CELL_BITS)) & ((1 << CELL_BITS) - 1)]!;
    return index !== STRADDLES ? index : bucketIndex(magnitude, this.logGamma);
  }

  /** The page of one binary exponent (not used for exponent 2047: Inf and NaN never get here). */
  page(exponent: number): Int32Array {
    return this.pages[exponent] ?? this.fill(exponent);
  }

  private fill(exponent: number): Int32Array {
    const page = new Int32Array(1 << CELL_BITS);
    const margin = 1e-7;
    let t0 = this.scaledLog(exponent, 0);
    for (let cell = 0; cell < page.length; cell++) {
      const t1 = this.scaledLog(exponent, cell + 1);
      const index = Math.ceil(t0);
      // Every value of the cell has a scaled log in [t0, t1], so the index is ceil(t0) when both ends
      // lie inside (index − 1, index] with room to spare.
      page[cell] = t0 > index - 1 + margin && t1 <= index - margin ? index : STRADDLES;
      t0 = t1;
    }
    this.pages[exponent] = page;
    return page;
  }

  /** log(start of a cell) / log(γ); cell 2^12 is the next exponent's first value. */
  private scaledLog(exponent: number, cell: number): number {
    this.words[0] = 0;
    this.words[1] = ((exponent << 20) + (cell << (20 - CELL_BITS))) >>> 0;
    const start = this.bits[0]!;
    // Exponent 0 cell 0 is +0: no value of that cell reaches here (all are below minIndexable > 0).
    return start > 0 ? Math.log(start) / this.logGamma : -Infinity;
  }
}

/** Sketch buckets of a stream of finite values, equal to SketchAccumulator.add's. */
class SketchCounts {
  readonly logGamma: number;
  zero = 0;
  readonly positive = new DenseCounts();
  readonly negative = new DenseCounts();

  constructor(private readonly settings: SketchSettings) {
    this.logGamma = Math.log(gammaOf(settings));
  }

  add(x: number, count: number): void {
    const magnitude = Math.abs(x);
    if (magnitude < this.settings.minIndexable) this.zero += count;
    else (x > 0 ? this.positive : this.negative).add(bucketIndex(magnitude, this.logGamma), count);
  }

  toAccumulator(): SketchAccumulator {
    const acc = new SketchAccumulator(this.settings);
    acc.addBucket(0, 0, this.zero);
    this.positive.addTo(acc, 1);
    this.negative.addTo(acc, -1);
    return acc;
  }
}

export interface NumericScanResult {
  nonNull: number;
  nan: number;
  posInf: number;
  negInf: number;
  finite: number;
  min: number;
  max: number;
  mean: number;
  m2: number;
  sumAbs: number;
  /** Every finite value is integral. */
  integral: boolean;
  /** Exact counts of the finite values, or undefined beyond the exact limit. */
  values: Map<number, number> | undefined;
  /** Distinct finite values: exact with `values`, else a HyperLogLog estimate above the limit. */
  distinct: number;
  sketch: SketchAccumulator;
  linear: LinearAccumulator;
}

export class NumericScan {
  private nonNull = 0;
  private nan = 0;
  private posInf = 0;
  private negInf = 0;
  private finite = 0;
  private min = Infinity;
  private max = -Infinity;
  private mean = 0;
  private m2 = 0;
  private sumAbs = 0;
  private integral = true;
  private values: ExactCounts | undefined;
  private hll: HyperLogLog | undefined;
  private readonly sketch: SketchCounts;
  private readonly linear = new LinearAccumulator();
  private scratch = new Float64Array(2048);
  private scratchWords = new Uint32Array(this.scratch.buffer);

  constructor(
    private readonly settings: SketchSettings,
    private readonly exactLimit: number,
    private readonly buckets: BucketIndexCache = new BucketIndexCache(Math.log(gammaOf(settings))),
  ) {
    this.sketch = new SketchCounts(settings);
    if (this.buckets.logGamma !== this.sketch.logGamma) throw new Error("bucket cache of other settings");
    this.values = new ExactCounts(exactLimit);
  }

  addVector(items: Float64Array, validity: Validity, rows: number): void {
    // Locals, not fields, in the loops: V8 keeps them in registers.
    let finite = items;
    let n = rows;
    let sum = 0;
    let sumAbs = 0;
    let min = this.min;
    let max = this.max;
    let nonFinite = false;
    if (validity === null) {
      for (let row = 0; row < rows; row++) {
        const x = items[row]!;
        if (x - x !== 0) {
          nonFinite = true;
          break;
        }
        sum += x;
        sumAbs += x < 0 ? -x : x;
        if (x < min) min = x;
        if (x > max) max = x;
      }
    }
    let words: Uint32Array;
    if (validity !== null || nonFinite) {
      // Rare: nulls or NaN/±Inf in this chunk. Gather the finite values first.
      if (this.scratch.length < rows) {
        this.scratch = new Float64Array(rows);
        this.scratchWords = new Uint32Array(this.scratch.buffer);
      }
      finite = this.scratch;
      words = this.scratchWords;
      n = 0;
      let nonNull = 0;
      for (let row = 0; row < rows; row++) {
        if (!isValid(validity, row)) continue;
        nonNull++;
        const x = items[row]!;
        if (x - x === 0) finite[n++] = x;
        else if (x !== x) this.nan++;
        else if (x > 0) this.posInf++;
        else this.negInf++;
      }
      this.nonNull += nonNull;
      sum = 0;
      sumAbs = 0;
      min = this.min;
      max = this.max;
      for (let k = 0; k < n; k++) {
        const x = finite[k]!;
        sum += x;
        sumAbs += x < 0 ? -x : x;
        if (x < min) min = x;
        if (x > max) max = x;
      }
    } else {
      this.nonNull += rows;
      words = new Uint32Array(items.buffer, items.byteOffset, 2 * rows);
    }
    if (n === 0) return;
    let integral = this.integral;
    if (integral) for (let k = 0; k < n && integral; k++) integral = Math.floor(finite[k]!) === finite[k]!;
    const mean = sum / n;
    let m2 = 0;
    for (let k = 0; k < n; k++) {
      const d = finite[k]! - mean;
      m2 += d * d;
    }
    // Chan et al.: merge this chunk's (n, mean, m2) into the running ones.
    const total = this.finite + n;
    const delta = mean - this.mean;
    this.mean += (delta * n) / total;
    this.m2 += m2 + (delta * delta * this.finite * n) / total;
    this.finite = total;
    this.sumAbs += sumAbs;
    this.min = min;
    this.max = max;
    this.integral = integral;
    this.countValues(finite, words, n);
  }

  private countValues(finite: Float64Array, words: Uint32Array, n: number): void {
    let k = 0;
    const values = this.values;
    if (values) {
      while (k < n) {
        const x = finite[k]!;
        if (x === 0) values.add(0);
        else values.addBits(x, words[2 * k]!, words[2 * k + 1]!);
        k++;
        if (values.size > this.exactLimit) break;
      }
      if (values.size <= this.exactLimit) return;
      // Too many distinct values to count: from now on only the sketch and the distinct estimate.
      const hll = new HyperLogLog();
      values.forEach((x, count) => {
        this.sketch.add(x, count);
        this.linear.add(x, count);
        hll.addHash(hashNumber(x));
      });
      this.hll = hll;
      this.values = undefined;
    }
    if (this.buckets.usable) this.sketchAndEstimate(finite, words, k, n);
    else
      for (; k < n; k++) {
        const x = finite[k]!;
        this.sketch.add(x, 1);
        this.linear.add(x, 1);
        this.hll!.addHash(hashNumber(x));
      }
  }

  /** The hot loop of high-cardinality columns: bucket counts and distinct estimate from the bits. */
  private sketchAndEstimate(finite: Float64Array, words: Uint32Array, from: number, n: number): void {
    const registers = this.hll!.registers;
    const sketch = this.sketch;
    const buckets = this.buckets;
    const minIndexable = this.settings.minIndexable;
    const logGamma = buckets.logGamma;
    const linear = this.linear;
    // The chunk's range (addVector updated min and max before counting): a refit covers all of it.
    linear.observe(this.min, this.max);
    let linearCounts = linear.counts;
    let linearScale = linear.scale;
    let linearStart = linear.start;
    let zero = 0;
    let pageExponent = -1;
    let page = buckets.page(0);
    for (let k = from; k < n; k++) {
      const x = finite[k]!;
      let low = words[2 * k]!;
      let high = words[2 * k + 1]!;
      if (x === 0) low = high = 0; // -0 is 0, as in hashNumber
      const h = hashWords32(low, high);
      const slot = h >>> (32 - HLL_BITS);
      const rank = Math.clz32((h << HLL_BITS) | (1 << (HLL_BITS - 1))) + 1;
      if (rank > registers[slot]!) registers[slot] = rank;
      // The uniform grid, inlined: a refit (a value outside the window) is rare.
      const bin = Math.floor(x * linearScale) - linearStart;
      if (bin >= 0 && bin < linearCounts.length) {
        linearCounts[bin]! += 1;
      } else {
        linear.add(x, 1);
        linearCounts = linear.counts;
        linearScale = linear.scale;
        linearStart = linear.start;
      }
      const magnitude = x < 0 ? -x : x;
      if (magnitude < minIndexable) {
        zero++;
        continue;
      }
      // Consecutive values of a column mostly share their binary exponent: keep its page at hand.
      const exponent = (high >>> 20) & 0x7ff;
      if (exponent !== pageExponent) {
        page = buckets.page(exponent);
        pageExponent = exponent;
      }
      let index = page[(high >>> (20 - CELL_BITS)) & ((1 << CELL_BITS) - 1)]!;
      if (index === STRADDLES) index = bucketIndex(magnitude, logGamma);
      const side = x > 0 ? sketch.positive : sketch.negative;
      const at = index - side.offset;
      if (at >= 0 && at < side.counts.length) side.counts[at]! += 1;
      else side.add(index, 1);
    }
    sketch.zero += zero;
  }

  result(): NumericScanResult {
    let values: Map<number, number> | undefined;
    if (this.values) {
      const exact = new Map<number, number>();
      this.values.forEach((x, count) => {
        exact.set(x, count);
        this.sketch.add(x, count);
        this.linear.add(x, count);
      });
      values = exact;
    }
    return {
      nonNull: this.nonNull,
      nan: this.nan,
      posInf: this.posInf,
      negInf: this.negInf,
      finite: this.finite,
      min: this.min,
      max: this.max,
      mean: this.mean,
      m2: this.m2,
      sumAbs: this.sumAbs,
      integral: this.integral,
      values,
      distinct: values ? values.size : Math.max(this.hll!.estimate(), this.exactLimit + 1),
      sketch: this.sketch.toAccumulator(),
      linear: this.linear,
    };
  }
}

export interface TextScanResult {
  nonNull: number;
  /** Exact counts, or undefined beyond the exact limit. */
  values: Map<string, number> | undefined;
  /** Exact with `values`, else a HyperLogLog estimate above the limit. */
  distinct: number;
}

/**
 * Non-numeric columns (strings, booleans, anything cast to text), counted by a 53-bit key of the text
 * (see `textKeys`), so that a string is decoded into JavaScript only the first time its key is seen.
 * Two distinct values of one column sharing a key would be counted together: with at most
 * `exactLimit` (2,000 by default) values kept, the chance is below 1e-9.
 */
export class TextScan {
  private nonNull = 0;
  private counts: ExactCounts | undefined;
  private readonly names = new Map<number, string>();
  private hll: HyperLogLog | undefined;

  constructor(private readonly exactLimit: number) {
    this.counts = new ExactCounts(exactLimit);
  }

  /** `hashes` holds each row's key (ignored where the row is null); `text(row)` decodes one row's value. */
  addVector(hashes: Float64Array, validity: Validity, rows: number, text: (row: number) => string): void {
    let row = 0;
    let nonNull = 0;
    const counts = this.counts;
    if (counts) {
      const limit = this.exactLimit;
      for (; row < rows; row++) {
        if (validity !== null && !isValid(validity, row)) continue;
        nonNull++;
        const key = hashes[row]!;
        if (counts.add(key)) {
          if (counts.size > limit) {
            row++;
            break;
          }
          this.names.set(key, text(row));
        }
      }
      if (counts.size > limit) {
        const hll = new HyperLogLog();
        counts.forEach((key) => hll.addHash(hashNumber(key)));
        this.hll = hll;
        this.counts = undefined;
        this.names.clear();
      }
    }
    if (!this.counts) {
      const hll = this.hll!;
      for (; row < rows; row++) {
        if (validity !== null && !isValid(validity, row)) continue;
        nonNull++;
        hll.addHash(hashNumber(hashes[row]!));
      }
    }
    this.nonNull += nonNull;
  }

  result(): TextScanResult {
    if (!this.counts)
      return {
        nonNull: this.nonNull,
        values: undefined,
        distinct: Math.max(this.hll!.estimate(), this.exactLimit + 1),
      };
    const values = new Map<string, number>();
    // By name, not by key: should one text ever get two keys, its counts still add up.
    this.counts.forEach((key, count) => {
      const name = this.names.get(key)!;
      values.set(name, (values.get(name) ?? 0) + count);
    });
    return { nonNull: this.nonNull, values, distinct: values.size };
  }
}

/** Bytes of a string DuckDB keeps inside its 16-byte string_t instead of behind a pointer. */
const INLINE_LENGTH = 12;

const rotl15 = (x: number): number => (x << 15) | (x >>> 17);

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Two independent 32-bit hashes of a JavaScript string, as one 53-bit key. */
function stringKey(text: string): number {
  let a = 0x811c9dc5 ^ text.length;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  // Odd keys for decoded strings, even for inlined ones: the two kinds never share a key.
  return (mix32(a) >>> 0) * 2 ** 21 + ((mix32(b) >>> 11) | 1);
}

/**
 * The key of every row of a DuckDB VARCHAR vector, read from its string_t array (4 little-endian
 * words per row: length, then up to 12 inlined bytes, zero-padded by DuckDB; or a prefix and a
 * pointer for longer strings). Short strings (the usual categories) are keyed from those words
 * without decoding them; longer ones are decoded with `text(row)` and keyed from their characters.
 * A string is always short or always long, so each text has one key.
 */
export function textKeys(
  words: Uint32Array,
  validity: Validity,
  rows: number,
  text: (row: number) => string,
  out: Float64Array,
): void {
  for (let row = 0; row < rows; row++) {
    if (validity !== null && !isValid(validity, row)) continue;
    const w = 4 * row;
    const length = words[w]!;
    if (length > INLINE_LENGTH) {
      out[row] = stringKey(text(row));
      continue;
    }
    const w1 = words[w + 1]!;
    const w2 = words[w + 2]!;
    const w3 = words[w + 3]!;
    // Two murmur-style chains over the words: each step is a bijection of the state for a given
    // word, so texts differing in one word never collide in either chain.
    let a = Math.imul(length ^ 0x9e3779b9, 0x85ebca6b);
    a = Math.imul(rotl15(a ^ w1), 0xcc9e2d51);
    a = Math.imul(rotl15(a ^ w2), 0x1b873593);
    a = mix32(Math.imul(rotl15(a ^ w3), 0xe6546b64));
    let b = Math.imul(length ^ 0x7f4a7c15, 0xc2b2ae35);
    b = Math.imul(rotl15(b ^ w1), 0x5bd1e995);
    b = Math.imul(rotl15(b ^ w2), 0x27d4eb2f);
    b = mix32(Math.imul(rotl15(b ^ w3), 0x165667b1));
    out[row] = a * 2 ** 21 + ((b >>> 11) & ~1);
  }
}
