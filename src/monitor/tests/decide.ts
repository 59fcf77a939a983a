/**
 * One drift test on one pair of column profiles, and its verdict against the right threshold: Evidently's
 * default test choice, configured thresholds, and data-driven thresholds (./thresholds).
 */
import type { ColumnChunkStatistics, ColumnProfile, DatasetProfile } from "../profile";
import { runTest, testDefaults, type TestName } from "./stattests";
import { dataThreshold, thresholdedStatistic, type ThresholdMode } from "./thresholds";

/** Where a column's threshold came from. */
export type ThresholdSource = "default" | "configured" | "data";

/** One test applied to one pair of column profiles, and its verdict. */
export interface TestOutcome {
  test: TestName;
  /** The test's statistic (the signed z for "z"; the data-driven threshold applies to |z|). */
  statistic: number;
  p_value?: number;
  /** On the p-value for a p-value test with a fixed threshold; on the statistic otherwise. */
  threshold: number;
  threshold_source: ThresholdSource;
  /** Why a data-driven threshold was asked for but not used. */
  threshold_note?: string;
  drift: boolean;
  /**
   * The error bound of a sketch (or of truncated category counts) straddles the threshold: the exact statistic could
   * fall on either side, so no verdict is given (drift is false). See `statistic_range`.
   */
  undecided?: boolean;
  error_bound?: number;
  /** Where the exact statistic lies, when it was not computed exactly. */
  statistic_range?: [number, number];
  /** Where the exact p-value lies, when it was not computed exactly (p-value tests). */
  p_value_range?: [number, number];
}

/**
 * Evidently's comparison per test: KS drifts at p ≤ threshold (`p_value <= threshold` in
 * ks_stattest.py), chi-square and z below it (`p_value < threshold`), distances at or above it.
 */
export function driftsAt(test: TestName, threshold: number, value: number): boolean {
  if (testDefaults[test].kind === "distance") return value >= threshold;
  return test === "ks" ? value <= threshold : value < threshold;
}

/** Distinct non-null values over both sides (exact when both sides kept every value, else > 5). */
function combinedDistinct(ref: ColumnProfile, cur: ColumnProfile): number {
  if (!ref.values.complete || !cur.values.complete)
    return Math.max(ref.values.distinct, cur.values.distinct, 6);
  return new Set([
    ...ref.values.entries.map((e) => String(e[0])),
    ...cur.values.entries.map((e) => String(e[0])),
  ]).size;
}

export function usableRows(column: ColumnProfile): number {
  return column.numeric ? column.numeric.count : column.count - column.nulls;
}

/**
 * Evidently's default test per column, `_get_default_stattest` in
 * evidently/calculations/stattests/registry.py: with a reference of at most 1000 (non-null) rows, numeric
 * columns with more than 5 distinct values (over both sides) get KS and otherwise chi-square (> 2 values)
 * or the z-test; categorical columns get chi-square (> 2 values) or the z-test. With a larger reference,
 * numeric columns get the normalised Wasserstein distance (> 5 values) or Jensen-Shannon, and categorical
 * columns get Jensen-Shannon.
 */
export function defaultTest(
  type: "numeric" | "categorical",
  ref: ColumnProfile,
  cur: ColumnProfile,
): TestName {
  const nValues = combinedDistinct(ref, cur);
  if (usableRows(ref) <= 1000) {
    if (type === "numeric" && nValues > 5) return "ks";
    return nValues > 2 ? "chisquare" : "z";
  }
  if (type === "numeric" && nValues > 5) return "wasserstein";
  return "jensenshannon";
}

/**
 * Runs one test and decides drift: against the configured threshold, else the data-driven one when
 * asked for and available, else the test's default. Throws ColumnTestError when the test cannot apply.
 */
export function decide(input: {
  test: TestName;
  ref: ColumnProfile;
  cur: ColumnProfile;
  reference: DatasetProfile;
  configured?: number;
  /** Scales a default p-value threshold (a text column's descriptors share the column's α). */
  defaultScale?: number;
  mode: ThresholdMode;
  nullSample?: ColumnChunkStatistics;
}): TestOutcome {
  const { test, ref, cur, reference } = input;
  const result = runTest(test, ref, cur, reference.settings);
  const isPValue = testDefaults[test].kind === "p_value";
  const bound = result.errorBound;
  const range: [number, number] | undefined =
    result.range ??
    (bound > 0 && Number.isFinite(bound)
      ? [Math.max(0, result.statistic - bound), result.statistic + bound]
      : undefined);
  const outcome = (
    threshold: number,
    source: ThresholdSource,
    drift: boolean,
    undecided: boolean,
    note?: string,
  ): TestOutcome => {
    const o: TestOutcome = {
      test,
      statistic: result.statistic,
      threshold,
      threshold_source: source,
      drift: drift && !undecided,
    };
    if (undecided) o.undecided = true;
    if (note) o.threshold_note = note;
    if (isPValue) o.p_value = result.pValue;
    if (bound !== 0) o.error_bound = bound;
    if (range) o.statistic_range = range;
    if (isPValue && result.pValueRange) o.p_value_range = result.pValueRange;
    return o;
  };
  // Decided only when both ends of the range where the exact value lies give the same verdict.
  const fixed = (threshold: number, source: ThresholdSource, note?: string): TestOutcome => {
    if (!isPValue) {
      const drift = driftsAt(test, threshold, result.statistic);
      const undecided =
        range !== undefined && driftsAt(test, threshold, range[0]) !== driftsAt(test, threshold, range[1]);
      return outcome(threshold, source, drift, undecided, note);
    }
    const drift = driftsAt(test, threshold, result.pValue!);
    const ends = result.pValueRange;
    const undecided =
      ends !== undefined && driftsAt(test, threshold, ends[0]) !== driftsAt(test, threshold, ends[1]);
    return outcome(threshold, source, drift, undecided, note);
  };
  if (input.configured !== undefined) return fixed(input.configured, "configured");
  const byDefault = testDefaults[test].threshold * (isPValue ? (input.defaultScale ?? 1) : 1);
  if (input.mode !== "data") return fixed(byDefault, "default");
  const data = dataThreshold(test, input.nullSample, {
    reference: usableRows(ref),
    current: usableRows(cur),
  });
  if ("error" in data) return fixed(byDefault, "default", `data-driven threshold unavailable: ${data.error}`);
  const exceeds = (statistic: number): boolean => thresholdedStatistic(test, statistic) > data.threshold;
  const undecided = range !== undefined && test !== "z" && exceeds(range[0]) !== exceeds(range[1]);
  return outcome(data.threshold, "data", exceeds(result.statistic), undecided);
}
