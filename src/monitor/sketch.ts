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
