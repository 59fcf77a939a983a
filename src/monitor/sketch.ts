/**
 * A data-independent, mergeable quantile structure for numeric columns: DDSketch-style logarithmic
 * buckets (Masson, Rim & Lee, VLDB 2019). A finite value x with |x| ≥ minIndexable falls in bucket
 * i = ceil(log_γ |x|) with γ = (1+α)/(1−α), signed by x; |x| < minIndexable falls in the zero bucket.
 * Every value lies within relative distance α of its bucket's representative 2γ^i/(γ+1), so:
 *
 * - Wasserstein-1: moving each value to its representative moves it by at most α·|x|, hence
 *   |W(sketch) − W(exact)| ≤ α·(E_ref|x| + E_cur|x|) (+ minIndexable), reported per column.
 * - Kolmogorov–Smirnov: the sketch CDF is exact at bucket edges, hence
 *   D(sketch) ≤ D(exact) ≤ D(sketch) + max over buckets of max(p_ref(b), p_cur(b)), reported per column.
 *
 * Both bounds are computed from the profiles themselves. Caveat: a column whose spread is tiny next to
 * its magnitude (e.g. 300 ± 0.5) falls in few buckets and gets a loose bound; such columns usually have
 * few distinct values and then the profile's exact value counts are used instead (no error at all).
 * Merging is adding bucket counts, so it is exact, associative and commutative.
 */

export interface SketchSettings {
  /** Relative accuracy α of every bucket's representative value. */
  relativeAccuracy: number;
  /** Values with smaller magnitude share the zero bucket. */
  minIndexable: number;
}

export const defaultSketchSettings: SketchSettings = { relativeAccuracy: 0.005, minIndexable: 1e-9 };

/** Sparse bucket counts, as sorted [index, count] pairs so that the JSON stays compact and stable. */
export interface LogSketch {
  zero: number;
  positive: Array<[number, number]>;
  negative: Array<[number, number]>;
}

export function gammaOf(settings: SketchSettings): number {
  return (1 + settings.relativeAccuracy) / (1 - settings.relativeAccuracy);
}

export function bucketIndex(magnitude: number, logGamma: number): number {
  return Math.ceil(Math.log(magnitude) / logGamma);
}

export function representative(index: number, gamma: number): number {
  return (2 * Math.pow(gamma, index)) / (gamma + 1);
}

/** Accumulates bucket counts in maps; `toSketch` produces the sorted JSON form. */
export class SketchAccumulator {
  private readonly logGamma: number;
  zero = 0;
  readonly positive = new Map<number, number>();
  readonly negative = new Map<number, number>();

  constructor(private readonly settings: SketchSettings) {
    this.logGamma = Math.log(gammaOf(settings));
  }

  add(value: number, count = 1): void {
    const magnitude = Math.abs(value);
    if (magnitude < this.settings.minIndexable) {
      this.zero += count;
      return;
    }
    const index = bucketIndex(magnitude, this.logGamma);
    const side = value > 0 ? this.positive : this.negative;
    side.set(index, (side.get(index) ?? 0) + count);
  }

  addBucket(sign: -1 | 0 | 1, index: number, count: number): void {
    if (sign === 0) this.zero += count;
    else {
      const side = sign > 0 ? this.positive : this.negative;
      side.set(index, (side.get(index) ?? 0) + count);
    }
  }

  addSketch(sketch: LogSketch): void {
    this.zero += sketch.zero;
    for (const [i, c] of sketch.positive) this.addBucket(1, i, c);
    for (const [i, c] of sketch.negative) this.addBucket(-1, i, c);
  }

  toSketch(): LogSketch {
    const sorted = (m: Map<number, number>): Array<[number, number]> =>
      [...m.entries()].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
    return { zero: this.zero, positive: sorted(this.positive), negative: sorted(this.negative) };
  }
}

export function mergeSketches(a: LogSketch, b: LogSketch, settings: SketchSettings): LogSketch {
  const acc = new SketchAccumulator(settings);
  acc.addSketch(a);
  acc.addSketch(b);
  return acc.toSketch();
}

/** One bucket in value order: a stable key, its representative value and its count. */
export interface SketchBucket {
  key: string;
  value: number;
  count: number;
}

/** The buckets in ascending value order (most negative first). */
export function sketchBuckets(sketch: LogSketch, settings: SketchSettings): SketchBucket[] {
  const gamma = gammaOf(settings);
  const out: SketchBucket[] = [];
  for (let k = sketch.negative.length - 1; k >= 0; k--) {
    const [i, c] = sketch.negative[k]!;
    out.push({ key: `n${i}`, value: -representative(i, gamma), count: c });
  }
  if (sketch.zero > 0) out.push({ key: "z", value: 0, count: sketch.zero });
  for (const [i, c] of sketch.positive) out.push({ key: `p${i}`, value: representative(i, gamma), count: c });
  return out;
}

/**
 * The second numeric sketch: a histogram on a uniform grid whose bin width is a power of two, h = 2^k,
 * with k the smallest exponent at which the column's [min, max] spans at most LINEAR_BINS bins (and at
 * which bin indices stay below 2^50, so that they are exact in floating point). Grids of different k nest, so two sketches merge exactly (the finer one is coarsened
 * to the other's k, then to the k the union's range needs), and the result depends only on the values,
 * not on their order or partitioning. Where the log buckets are coarse — a column whose spread is small
 * next to its magnitude, like 10,000 ± 1 — this grid is fine (h ≈ range / 2048), and the other way round
 * for heavy tails; the drift tests use whichever gives the tighter bound:
 *
 * - Wasserstein-1: within a bin the CDF difference moves by at most max(p_ref(b), p_cur(b)), hence
 *   |W(sketch) − W(exact)| ≤ Σ_b h·max(p_ref(b), p_cur(b)) ≤ h;
 * - Kolmogorov–Smirnov: exact at bin edges, as for the log buckets.
 */
export const LINEAR_BINS = 2048;
export const MIN_LINEAR_EXPONENT = -1022;
/** Bin indices stay below 2^INDEX_BITS in magnitude. */
const INDEX_BITS = 50;

export interface LinearSketch {
  /** Bin width 2^exponent. */
  exponent: number;
  /** Index of the first bin: bin j covers [(start + j)·h, (start + j + 1)·h). */
  start: number;
  counts: number[];
}

function binOf(x: number, exponent: number): number {
  return Math.floor(x * Math.pow(2, -exponent));
}

function linearFits(lo: number, hi: number, exponent: number): boolean {
  return binOf(hi, exponent) - binOf(lo, exponent) < LINEAR_BINS;
}

/**
 * The smallest exponent ≥ atLeast at which [lo, hi] spans at most LINEAR_BINS bins with indices below
 * 2^50. Both conditions only grow with the range, so accumulating values one by one ends at the exponent
 * of their final range, whatever their order.
 */
export function linearExponent(lo: number, hi: number, atLeast = MIN_LINEAR_EXPONENT): number {
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
  const floor = Math.max(
    atLeast,
    magnitude > 0 ? Math.ceil(Math.log2(magnitude)) - INDEX_BITS : MIN_LINEAR_EXPONENT,
  );
  const span = hi - lo;
  let k = Math.max(floor, span > 0 ? Math.ceil(Math.log2(span / LINEAR_BINS)) - 1 : floor);
  while (k > floor && linearFits(lo, hi, k - 1)) k--;
  while (!linearFits(lo, hi, k)) k++;
  return k;
}

/** Streams values into the grid; the window is re-fitted (bins coarsened) when a value falls outside. */
export class LinearAccumulator {
  exponent = MIN_LINEAR_EXPONENT;
  start = 0;
  /** Multiplier x ↦ x·2^-exponent. */
  scale = 0;
  counts: Float64Array = new Float64Array(0);
  private lo = Infinity;
  private hi = -Infinity;

  add(x: number, count = 1): void {
    const i = Math.floor(x * this.scale) - this.start;
    if (i >= 0 && i < this.counts.length) {
      this.counts[i]! += count;
      if (x < this.lo) this.lo = x;
      if (x > this.hi) this.hi = x;
      return;
    }
    this.refit(Math.min(this.lo, x), Math.max(this.hi, x));
    this.counts[Math.floor(x * this.scale) - this.start]! += count;
  }

  /** Values outside [lo, hi] seen by the hot loops of readers that inline `add`. */
  observe(lo: number, hi: number): void {
    if (lo < this.lo) this.lo = lo;
    if (hi > this.hi) this.hi = hi;
  }

  refit(lo: number, hi: number, atLeast = MIN_LINEAR_EXPONENT): void {
    const exponent = linearExponent(
      lo,
      hi,
      Math.max(atLeast, this.counts.length > 0 ? this.exponent : MIN_LINEAR_EXPONENT),
    );
    const start = binOf(lo, exponent);
    const counts = new Float64Array(LINEAR_BINS);
    const factor = Math.pow(2, exponent - this.exponent);
    for (let j = 0; j < this.counts.length; j++) {
      const c = this.counts[j]!;
      if (c !== 0) counts[Math.floor((this.start + j) / factor) - start]! += c;
    }
    this.exponent = exponent;
    this.start = start;
    this.scale = Math.pow(2, -exponent);
    this.counts = counts;
    this.lo = lo;
    this.hi = hi;
  }

  addSketch(sketch: LinearSketch): void {
    const h = Math.pow(2, sketch.exponent);
    const last = sketch.start + sketch.counts.length - 1;
    // The sketch's range, to bin precision: enough to fit the window (min and max refit it exactly after).
    this.refit(Math.min(this.lo, sketch.start * h), Math.max(this.hi, last * h), sketch.exponent);
    const factor = Math.pow(2, this.exponent - sketch.exponent);
    for (let j = 0; j < sketch.counts.length; j++) {
      const c = sketch.counts[j]!;
      if (c !== 0) this.counts[Math.floor((sketch.start + j) / factor) - this.start]! += c;
    }
  }

  /** The sketch of the values added, on the grid their exact [min, max] needs. */
  toSketch(min = this.lo, max = this.hi): LinearSketch | undefined {
    if (!(min <= max)) return undefined;
    if (this.counts.length === 0) return undefined;
    // At least the accumulated exponent (bins cannot be split); the same as the range's own exponent
    // unless sketches were merged whose bin-level ranges were wider than the exact one.
    const exponent = linearExponent(min, max, this.exponent);
    const start = binOf(min, exponent);
    const size = binOf(max, exponent) - start + 1;
    const counts = new Array<number>(size).fill(0);
    const factor = Math.pow(2, exponent - this.exponent);
    for (let j = 0; j < this.counts.length; j++) {
      const c = this.counts[j]!;
      if (c !== 0) counts[Math.floor((this.start + j) / factor) - start]! += c;
    }
    return { exponent, start, counts };
  }
}

/** The merge of two linear sketches, on the grid the union of their exact ranges needs. */
export function mergeLinearSketches(
  a: LinearSketch,
  b: LinearSketch,
  min: number,
  max: number,
): LinearSketch | undefined {
  const acc = new LinearAccumulator();
  acc.addSketch(a);
  acc.addSketch(b);
  return acc.toSketch(min, max);
}

/** The bins in ascending order as buckets (centre of the bin, count), keyed to align two sketches. */
export function linearBuckets(sketch: LinearSketch, exponent = sketch.exponent): SketchBucket[] {
  const factor = Math.pow(2, exponent - sketch.exponent);
  const h = Math.pow(2, exponent);
  const byIndex = new Map<number, number>();
  for (let j = 0; j < sketch.counts.length; j++) {
    const c = sketch.counts[j]!;
    if (c === 0) continue;
    const index = Math.floor((sketch.start + j) / factor);
    byIndex.set(index, (byIndex.get(index) ?? 0) + c);
  }
  return [...byIndex.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([index, count]) => ({ key: `l${index}`, value: (index + 0.5) * h, count }));
}
