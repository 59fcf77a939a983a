/**
 * Drift statistics computed from two column profiles. Each follows the Evidently implementation of the
 * same name (evidently/calculations/stattests/*.py) on the non-null, finite values; where a profile
 * holds a sketch instead of exact values the result carries `errorBound` (see ../sketch for why).
 */
import { populationStd, type ColumnProfile, type ProfileSettings, type Value } from "../profile";
import { linearBuckets, sketchBuckets } from "../sketch";
import { chiSquareSf, ksTwoSamplePValue, normalSf } from "./math";

export type TestName =
  "ks" | "chisquare" | "z" | "wasserstein" | "jensenshannon" | "psi" | "kl_div" | "hellinger";

/** Evidently's default thresholds: p-value tests drift below (KS: at or below), distances at or above. */
export const testDefaults: Record<TestName, { threshold: number; kind: "p_value" | "distance" }> = {
  ks: { threshold: 0.05, kind: "p_value" },
  chisquare: { threshold: 0.05, kind: "p_value" },
  z: { threshold: 0.05, kind: "p_value" },
  wasserstein: { threshold: 0.1, kind: "distance" },
  jensenshannon: { threshold: 0.1, kind: "distance" },
  psi: { threshold: 0.1, kind: "distance" },
  kl_div: { threshold: 0.1, kind: "distance" },
  hellinger: { threshold: 0.1, kind: "distance" },
};

export interface TestResult {
  statistic: number;
  pValue?: number;
  /**
   * Largest possible |statistic − exact statistic| caused by the sketch or by truncated value counts; 0 when
   * computed exactly, NaN when no useful bound is known.
   */
  errorBound: number;
  /**
   * Where the exact statistic lies, when that is narrower than statistic ± errorBound (KS on a sketch and
   * Jensen–Shannon over truncated counts has a one-sided part). Default: statistic ± errorBound.
   */
  range?: [number, number];
  /** The p-value at each end of `range` (p-value tests): the exact p-value lies between them. */
  pValueRange?: [number, number];
}

/** A column's usable values as sorted weighted points (exact values, or sketch representatives). */
interface Points {
  values: number[];
  counts: number[];
  /** Bucket keys when the points come from the sketch, so that two sides align bucket by bucket. */
  keys?: string[];
  total: number;
  exact: boolean;
  /** Bin width when the points are the centres of the uniform grid's bins (see ../sketch). */
  binWidth?: number;
}

/** Thrown for a column that a test cannot be applied to; detectDrift reports it on that column. */
export class ColumnTestError extends Error {
  override readonly name = "ColumnTestError";
}

function usableCount(column: ColumnProfile): number {
  if (column.numeric) return column.numeric.count;
  return column.count - column.nulls;
}

function exactPoints(column: ColumnProfile): Points | undefined {
  if (!column.numeric || !column.values.complete) return undefined;
  const pairs = column.values.entries
    .filter((e): e is [number, number] => typeof e[0] === "number")
    .sort((a, b) => a[0] - b[0]);
  return {
    values: pairs.map((p) => p[0]),
    counts: pairs.map((p) => p[1]),
    total: pairs.reduce((s, p) => s + p[1], 0),
    exact: true,
  };
}

function sketchPoints(column: ColumnProfile, settings: ProfileSettings): Points {
  if (!column.numeric) throw new ColumnTestError(`column "${column.name}" is not numeric`);
  const buckets = sketchBuckets(column.numeric.sketch, settings);
  return {
    values: buckets.map((b) => b.value),
    counts: buckets.map((b) => b.count),
    keys: buckets.map((b) => b.key),
    total: column.numeric.count,
    exact: false,
  };
}

function requireNonEmpty(ref: ColumnProfile, cur: ColumnProfile): void {
  if (usableCount(ref) === 0) throw new ColumnTestError("reference has no non-null finite values");
  if (usableCount(cur) === 0) throw new ColumnTestError("current data has no non-null finite values");
}

/** A side on the uniform grid at `exponent` (at least its own), or undefined without that sketch. */
function linearPoints(column: ColumnProfile, exponent?: number): Points | undefined {
  const linear = column.numeric?.linear;
  if (!linear) return undefined;
  const k = Math.max(linear.exponent, exponent ?? linear.exponent);
  const buckets = linearBuckets(linear, k);
  return {
    values: buckets.map((b) => b.value),
    counts: buckets.map((b) => b.count),
    keys: buckets.map((b) => b.key),
    total: column.numeric!.count,
    exact: false,
    binWidth: Math.pow(2, k),
  };
}

/**
 * The two sides on one grid: exact values if both are exact; otherwise each sketch both sides have (the
 * log buckets, and the uniform grid at the coarser of the two exponents), for the test to keep the one
 * with the tighter bound.
 */
function alignedPoints(
  ref: ColumnProfile,
  cur: ColumnProfile,
  settings: ProfileSettings,
): Array<[Points, Points]> {
  const a = exactPoints(ref);
  const b = exactPoints(cur);
  if (a && b) return [[a, b]];
  const pairs: Array<[Points, Points]> = [[sketchPoints(ref, settings), sketchPoints(cur, settings)]];
  const la = ref.numeric?.linear;
  const lb = cur.numeric?.linear;
  if (la && lb) {
    const exponent = Math.max(la.exponent, lb.exponent);
    pairs.push([linearPoints(ref, exponent)!, linearPoints(cur, exponent)!]);
  }
  return pairs;
}

/** The result with the smallest error bound. */
function tightest(results: TestResult[]): TestResult {
  return results.reduce((best, r) => (r.errorBound < best.errorBound ? r : best));
}

/** Merged grid of both sides' points: value, and each side's count at it. */
function mergeGrid(a: Points, b: Points): Array<{ x: number; ca: number; cb: number }> {
  const grid: Array<{ x: number; ca: number; cb: number }> = [];
  let i = 0;
  let j = 0;
  while (i < a.values.length || j < b.values.length) {
    const va = i < a.values.length ? a.values[i]! : Infinity;
    const vb = j < b.values.length ? b.values[j]! : Infinity;
    const sameBucket =
      a.keys && b.keys && i < a.values.length && j < b.values.length && a.keys[i] === b.keys[j];
    if (sameBucket || va === vb) grid.push({ x: va, ca: a.counts[i++]!, cb: b.counts[j++]! });
    else if (va < vb) grid.push({ x: va, ca: a.counts[i++]!, cb: 0 });
    else grid.push({ x: vb, ca: 0, cb: b.counts[j++]! });
  }
  return grid;
}

/** scipy.stats.ks_2samp (two-sided), Evidently's "ks": p-value, drift when p ≤ threshold. */
export function ksTest(
  ref: ColumnProfile,
  cur: ColumnProfile,
  settings: ProfileSettings,
  options: { pValue?: boolean } = {},
): TestResult {
  requireNonEmpty(ref, cur);
  return tightest(alignedPoints(ref, cur, settings).map(([a, b]) => ksOnPoints(a, b, options)));
}

function ksOnPoints(a: Points, b: Points, options: { pValue?: boolean }): TestResult {
  let fa = 0;
  let fb = 0;
  let d = 0;
  let maxMass = 0;
  for (const g of mergeGrid(a, b)) {
    fa += g.ca / a.total;
    fb += g.cb / b.total;
    d = Math.max(d, Math.abs(fa - fb));
    maxMass = Math.max(maxMass, g.ca / a.total, g.cb / b.total);
  }
  const errorBound = a.exact ? 0 : maxMass;
  // The exact p-value costs O(n1·n2): skipped where only the statistic is wanted (chunk statistics).
  const pValue = options.pValue === false ? undefined : ksTwoSamplePValue(d, a.total, b.total);
  if (errorBound === 0) return { statistic: d, pValue, errorBound };
  // The sketch CDF is exact at bucket edges, so D(sketch) can only underestimate D (and so overestimate
  // the p-value): the exact D lies in [D, D + bound], and the exact p-value between the two ends' p-values.
  const upper = Math.min(1, d + errorBound);
  const result: TestResult = { statistic: d, pValue, errorBound, range: [d, upper] };
  if (pValue !== undefined) result.pValueRange = [ksTwoSamplePValue(upper, a.total, b.total), pValue];
  return result;
}

/**
 * scipy.stats.wasserstein_distance divided by max(np.std(reference), 0.001), Evidently's
 * "wasserstein" (drift when ≥ 0.1).
 */
export function wassersteinTest(
  ref: ColumnProfile,
  cur: ColumnProfile,
  settings: ProfileSettings,
): TestResult {
  requireNonEmpty(ref, cur);
  const norm = Math.max(populationStd(ref.numeric!), 0.001);
  const meanAbs = (c: ColumnProfile): number => c.numeric!.sumAbs / c.numeric!.count;
  return tightest(
    alignedPoints(ref, cur, settings).map(([a, b]) => {
      const grid = mergeGrid(a, b);
      let fa = 0;
      let fb = 0;
      let w = 0;
      // Uniform grid: within a bin the CDF difference moves by at most max(p_ref, p_cur), over width h.
      let binned = 0;
      for (let k = 0; k < grid.length; k++) {
        fa += grid[k]!.ca / a.total;
        fb += grid[k]!.cb / b.total;
        if (k < grid.length - 1) w += Math.abs(fa - fb) * (grid[k + 1]!.x - grid[k]!.x);
        binned += Math.max(grid[k]!.ca / a.total, grid[k]!.cb / b.total);
      }
      const bound = a.exact
        ? 0
        : a.binWidth !== undefined
          ? a.binWidth * binned
          : settings.relativeAccuracy * (meanAbs(ref) + meanAbs(cur)) + 2 * settings.minIndexable;
      return { statistic: w / norm, errorBound: bound / norm };
    }),
  );
}

/**
 * Categorical counts over one key space shared by both sides, with what truncation leaves unknown. A
 * profile keeps at most `valueCap` values per column, the most frequent ones, and counts the rest as
 * "other". Every value kept by either side is a category; where the other side did not keep it (and did
 * not keep every value) its count there is unknown, taken as 0, and known to be at most that side's
 * smallest kept count. So the exact shares differ from these by moving at most `movedA`/`movedB` of a
 * side's mass out of its "(other)" cell into such categories, and by splitting the "(other)" cells
 * (shares `otherA`/`otherB`) into their values: the bounds of the distances below follow from both.
 */
function categoryCounts(
  ref: ColumnProfile,
  cur: ColumnProfile,
): {
  keys: Value[];
  a: number[];
  b: number[];
  movedA: number;
  movedB: number;
  otherA: number;
  otherB: number;
} {
  // Compare as text when the kinds differ (e.g. codes read as integers on one side, strings on the other).
  const asText =
    ref.kind !== cur.kind && (ref.kind === "string" || cur.kind === "string" || ref.kind === "boolean");
  const key = (v: Value): Value => (asText ? String(v) : v);
  const ma = new Map<Value, number>();
  const mb = new Map<Value, number>();
  for (const [v, c] of ref.values.entries) ma.set(key(v), (ma.get(key(v)) ?? 0) + c);
  for (const [v, c] of cur.values.entries) mb.set(key(v), (mb.get(key(v)) ?? 0) + c);
  const keys: Value[] = [...new Set<Value>([...ma.keys(), ...mb.keys()])];
  const a = keys.map((k) => ma.get(k) ?? 0);
  const b = keys.map((k) => mb.get(k) ?? 0);
  if (ref.values.other > 0 || cur.values.other > 0) {
    keys.push("(other)");
    a.push(ref.values.other);
    b.push(cur.values.other);
  }
  const total = (x: number[]): number => x.reduce((s, y) => s + y, 0);
  const moved = (side: ColumnProfile, kept: Map<Value, number>, n: number): number => {
    if (side.values.complete || side.values.other === 0) return 0;
    const unknown = keys.filter((k) => k !== "(other)" && !kept.has(k)).length;
    const smallestKept = side.values.entries.at(-1)?.[1] ?? side.values.other;
    return Math.min(side.values.other, unknown * smallestKept) / n;
  };
  const na = total(a);
  const nb = total(b);
  return {
    keys,
    a,
    b,
    movedA: moved(ref, ma, na),
    movedB: moved(cur, mb, nb),
    otherA: ref.values.other / na,
    otherB: cur.values.other / nb,
  };
}

/** Truncated counts on a side: the categorical statistic is approximate. */
function approximate(counts: { movedA: number; movedB: number; otherA: number; otherB: number }): boolean {
  return counts.movedA > 0 || counts.movedB > 0 || (counts.otherA > 0 && counts.otherB > 0);
}

/** Binary entropy (natural log). */
function binaryEntropy(p: number): number {
  return p <= 0 || p >= 1 ? 0 : -p * Math.log(p) - (1 - p) * Math.log(1 - p);
}

function categorical(column: ColumnProfile): ColumnProfile {
  if (column.numeric && !column.values.complete)
    throw new ColumnTestError(
      `numeric column has more than the profile's exact value cap of distinct values`,
    );
  return column;
}

/** Evidently's "chisquare": scipy.stats.chisquare(current counts, reference counts scaled to current). */
export function chiSquareTest(ref: ColumnProfile, cur: ColumnProfile): TestResult {
  requireNonEmpty(ref, cur);
  // A current value the (complete) reference never had makes Evidently's statistic infinite, even when
  // the current side kept only its most frequent values.
  if (ref.values.complete && !cur.values.complete && cur.values.distinct > ref.values.distinct)
    return { statistic: Infinity, pValue: 0, errorBound: 0 };
  const counts = categoryCounts(categorical(ref), categorical(cur));
  const { a, b } = counts;
  const na = a.reduce((s, x) => s + x, 0);
  const nb = b.reduce((s, x) => s + x, 0);
  let stat = 0;
  for (let k = 0; k < a.length; k++) {
    const expected = (a[k]! * nb) / na;
    const observed = b[k]!;
    if (expected === 0) stat += observed > 0 ? Infinity : 0;
    else stat += ((observed - expected) * (observed - expected)) / expected;
  }
  const df = a.length - 1;
  const pValue = df === 0 ? 1 : chiSquareSf(stat, df);
  // Over truncated counts the statistic has no useful bound.
  return { statistic: stat, pValue, errorBound: approximate(counts) ? NaN : 0 };
}

/** Evidently's "z": two-proportion z-test on a binary column, two-sided. */
export function zTest(ref: ColumnProfile, cur: ColumnProfile): TestResult {
  requireNonEmpty(ref, cur);
  const { keys, a, b } = categoryCounts(categorical(ref), categorical(cur));
  if (keys.length > 2) throw new ColumnTestError(`z-test needs a binary column, found ${keys.length} values`);
  if (keys.length === 1) return { statistic: 0, pValue: 1, errorBound: 0 };
  // Evidently codes the smallest value (in sorted order) as 0, the other as 1.
  const first = [...keys].sort((x, y) =>
    typeof x === "number" && typeof y === "number" ? x - y : String(x) < String(y) ? -1 : 1,
  )[0];
  const index = keys.indexOf(first!);
  const n1 = a[0]! + a[1]!;
  const n2 = b[0]! + b[1]!;
  const p1 = (n1 - a[index]!) / n1;
  const p2 = (n2 - b[index]!) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  // 2·sf(|z|) is at most 1 in exact arithmetic; the erfc approximation can overshoot by 1e-7.
  return { statistic: z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))), errorBound: 0 };
}

/**
 * Evidently's get_binned_data: for a numeric reference with more than 20 distinct values, both sides are
 * histogrammed on Sturges' bins over the combined range; otherwise shares per distinct value. With
 * `fillZeroes`, empty cells get a small share as Evidently does for PSI and KL. With a sketch, a value
 * falls in the bin of its bucket's representative: a bucket that straddles a bin edge may be misplaced,
 * so the shares are off by at most the mass of such buckets (reported as `errorBound`).
 */
export function binnedShares(
  ref: ColumnProfile,
  cur: ColumnProfile,
  settings: ProfileSettings,
  fillZeroes: boolean,
): { a: number[]; b: number[]; movedA: number; movedB: number; otherA: number; otherB: number } {
  requireNonEmpty(ref, cur);
  let a: number[];
  let b: number[];
  let movedA = 0;
  let movedB = 0;
  let otherA = 0;
  let otherB = 0;
  if (ref.numeric && !(ref.values.complete && ref.values.distinct <= 20 && cur.values.complete)) {
    const na = ref.numeric.count;
    const nb = cur.numeric?.count ?? 0;
    if (!cur.numeric) throw new ColumnTestError("current data is not numeric");
    const lo = Math.min(ref.numeric.min, cur.numeric.min);
    const hi = Math.max(ref.numeric.max, cur.numeric.max);
    const bins = Math.max(1, Math.ceil(Math.log2(na + nb) + 1));
    const width = hi > lo ? (hi - lo) / bins : 1;
    const binOf = (x: number): number => Math.min(bins - 1, Math.max(0, Math.floor((x - lo) / width)));
    const histogram = (p: Points): number[] => {
      const h = new Array<number>(bins).fill(0);
      for (let k = 0; k < p.values.length; k++) h[binOf(p.values[k]!)]! += p.counts[k]!;
      return h.map((c) => c / p.total);
    };
    const straddling = (p: Points): number => {
      if (p.exact) return 0;
      let mass = 0;
      const rel = settings.relativeAccuracy;
      for (let k = 0; k < p.values.length; k++) {
        const x = p.values[k]!;
        const spread = p.binWidth !== undefined ? p.binWidth / 2 : Math.abs(x) * rel + settings.minIndexable;
        if (binOf(x - spread) !== binOf(x + spread)) mass += p.counts[k]! / p.total;
      }
      return mass;
    };
    // Per side: its exact values, else whichever sketch misplaces less mass across the bins' edges.
    const side = (column: ColumnProfile): { points: Points; moved: number } => {
      const exact = exactPoints(column);
      if (exact) return { points: exact, moved: 0 };
      const options = [sketchPoints(column, settings), linearPoints(column)]
        .filter((p): p is Points => p !== undefined)
        .map((points) => ({ points, moved: straddling(points) }));
      return options.reduce((best, o) => (o.moved < best.moved ? o : best));
    };
    const sa = side(ref);
    const sb = side(cur);
    a = histogram(sa.points);
    b = histogram(sb.points);
    movedA = sa.moved;
    movedB = sb.moved;
  } else {
    const counts = categoryCounts(categorical(ref), categorical(cur));
    const na = counts.a.reduce((s, x) => s + x, 0);
    const nb = counts.b.reduce((s, x) => s + x, 0);
    a = counts.a.map((c) => c / na);
    b = counts.b.map((c) => c / nb);
    ({ movedA, movedB } = counts);
    if (counts.otherA > 0 && counts.otherB > 0) ({ otherA, otherB } = counts);
  }
  if (fillZeroes) {
    a = fillZeroShares(a);
    b = fillZeroShares(b);
  }
  return { a, b, movedA, movedB, otherA, otherB };
}

function fillZeroShares(shares: number[]): number[] {
  const positive = shares.filter((s) => s > 0);
  if (positive.length === 0) return shares;
  const smallest = Math.min(...positive);
  const fill = smallest <= 0.0001 ? smallest / 1e6 : 0.0001;
  return shares.map((s) => (s === 0 ? fill : s));
}

function normalise(p: number[]): number[] {
  const s = p.reduce((x, y) => x + y, 0);
  return p.map((x) => x / s);
}

function klDivergence(p: number[], q: number[]): number {
  let s = 0;
  for (let k = 0; k < p.length; k++) {
    if (p[k]! === 0) continue;
    s += q[k]! === 0 ? Infinity : p[k]! * Math.log(p[k]! / q[k]!);
  }
  return s;
}

/** scipy.spatial.distance.jensenshannon (natural log) on Evidently's binned shares; drift when ≥ 0.1. */
export function jensenShannonTest(
  ref: ColumnProfile,
  cur: ColumnProfile,
  settings: ProfileSettings,
): TestResult {
  const { a, b, movedA, movedB, otherA, otherB } = binnedShares(ref, cur, settings, false);
  const p = normalise(a);
  const q = normalise(b);
  const m = p.map((x, k) => (x + q[k]!) / 2);
  const divergence = Math.max(0, (klDivergence(p, m) + klDivergence(q, m)) / 2);
  const js = Math.sqrt(divergence);
  // JS distance is a metric with JS(p, p')² ≤ ln2·TV(p, p'), and moving mass δ changes TV by at most δ.
  const moved = Math.sqrt(Math.LN2 * movedA) + Math.sqrt(Math.LN2 * movedB);
  if (otherA === 0 || otherB === 0) return { statistic: js, errorBound: moved };
  // "(other)" on both sides (see categoryCounts): by the chain rule of the KL divergence, splitting a
  // cell of shares a and b into its values adds at most ½(a+b)·H(a/(a+b)) to the JS divergence, and
  // never removes any.
  const split = ((otherA + otherB) / 2) * binaryEntropy(otherA / (otherA + otherB));
  const upper = Math.sqrt(divergence + split) + moved;
  return { statistic: js, errorBound: upper - js, range: [Math.max(0, js - moved), upper] };
}

/** Evidently's "psi": Σ (ref − cur)·ln(ref / cur) on binned shares with zeroes filled; drift when ≥ 0.1. */
export function psiTest(ref: ColumnProfile, cur: ColumnProfile, settings: ProfileSettings): TestResult {
  const { a, b, movedA, movedB, otherA } = binnedShares(ref, cur, settings, true);
  let psi = 0;
  for (let k = 0; k < a.length; k++) psi += (a[k]! - b[k]!) * Math.log(a[k]! / b[k]!);
  // PSI and KL have no useful bound under moved mass or truncated counts (unbounded as a share nears 0).
  return { statistic: psi, errorBound: movedA + movedB + otherA > 0 ? NaN : 0 };
}

/** Evidently's "kl_div": scipy.stats.entropy(ref, cur) on binned shares with zeroes filled; drift when ≥ 0.1. */
export function klDivTest(ref: ColumnProfile, cur: ColumnProfile, settings: ProfileSettings): TestResult {
  const { a, b, movedA, movedB, otherA } = binnedShares(ref, cur, settings, true);
  const statistic = klDivergence(normalise(a), normalise(b));
  return { statistic, errorBound: movedA + movedB + otherA > 0 ? NaN : 0 };
}

/**
 * Hellinger distance sqrt(1 − Σ sqrt(p·q)) on the binned shares (Evidently bins numeric columns for it
 * with Sturges' rule over the distinct values; here the same bins as the other binned tests are used).
 */
export function hellingerTest(ref: ColumnProfile, cur: ColumnProfile, settings: ProfileSettings): TestResult {
  const { a, b, movedA, movedB, otherA, otherB } = binnedShares(ref, cur, settings, false);
  let bc = 0;
  for (let k = 0; k < a.length; k++) bc += Math.sqrt(a[k]! * b[k]!);
  const squared = 1 - Math.min(1, Math.max(0, bc));
  const h = Math.sqrt(squared);
  // Hellinger is a metric with H(p, p')² ≤ TV(p, p') ≤ moved mass.
  const moved = Math.sqrt(movedA) + Math.sqrt(movedB);
  if (otherA === 0 || otherB === 0) return { statistic: h, errorBound: moved };
  // Splitting the "(other)" cells (shares a and b) into their values lowers the affinity Σ√(pq) by at most √(ab).
  const upper = Math.sqrt(Math.min(1, squared + Math.sqrt(otherA * otherB))) + moved;
  return { statistic: h, errorBound: upper - h, range: [Math.max(0, h - moved), upper] };
}

/** `pValue: false`: the statistic alone, where computing the p-value is costly (KS). */
export function runTest(
  name: TestName,
  ref: ColumnProfile,
  cur: ColumnProfile,
  settings: ProfileSettings,
  options: { pValue?: boolean } = {},
): TestResult {
  switch (name) {
    case "ks":
      return ksTest(ref, cur, settings, options);
    case "wasserstein":
      return wassersteinTest(ref, cur, settings);
    case "chisquare":
      return chiSquareTest(ref, cur);
    case "z":
      return zTest(ref, cur);
    case "jensenshannon":
      return jensenShannonTest(ref, cur, settings);
    case "psi":
      return psiTest(ref, cur, settings);
    case "kl_div":
      return klDivTest(ref, cur, settings);
    case "hellinger":
      return hellingerTest(ref, cur, settings);
  }
}
