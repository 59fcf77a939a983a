/**
 * Fairlearn's between-group measures of a binary classifier, from per-group confusion counts.
 *
 * Definitions follow fairlearn.metrics (method="between_groups", agg="worst_case"):
 * - selection rate of a group: P(ŷ = positive);
 * - demographic_parity_difference: max − min of the selection rates; `_ratio`: min / max;
 * - true positive rate P(ŷ = pos | y = pos) and false positive rate P(ŷ = pos | y ≠ pos) per group, as
 *   scikit-learn's `confusion_matrix(normalize="true")` gives them: a group without positives has a TPR
 *   of 0 (and one without negatives an FPR of 0), not an undefined rate;
 * - equalized_odds_difference: the larger of the TPR and the FPR differences;
 * - equalized_odds_ratio: the smaller of the TPR and the FPR ratios.
 * A ratio whose largest rate is 0 is 0/0: Fairlearn gives NaN; here it is undefined (no value), and the
 * equalized odds ratio takes whichever of its two ratios is defined.
 */
import type { FairnessMeasure } from "./schema";

/** Confusion counts of one group against the positive class. */
export interface GroupCounts {
  group: string;
  rows: number;
  /** Rows predicted positive. */
  selected: number;
  /** Rows whose true label is positive. */
  positives: number;
  /** Rows predicted positive whose true label is positive. */
  truePositives: number;
}

export interface GroupRates {
  group: string;
  selectionRate: number;
  truePositiveRate: number;
  falsePositiveRate: number;
  /** True when the group has no positive (resp. negative) rows, so its TPR (resp. FPR) is 0 by convention. */
  noPositives: boolean;
  noNegatives: boolean;
}

export function groupRates(counts: GroupCounts): GroupRates {
  const negatives = counts.rows - counts.positives;
  const falsePositives = counts.selected - counts.truePositives;
  return {
    group: counts.group,
    selectionRate: counts.rows === 0 ? 0 : counts.selected / counts.rows,
    truePositiveRate: counts.positives === 0 ? 0 : counts.truePositives / counts.positives,
    falsePositiveRate: negatives === 0 ? 0 : falsePositives / negatives,
    noPositives: counts.positives === 0,
    noNegatives: negatives === 0,
  };
}

/** The lowest and highest value of one rate over the groups, with the groups that hold them. */
export interface RateRange {
  rate: "selection rate" | "true positive rate" | "false positive rate";
  min: { group: string; value: number };
  max: { group: string; value: number };
  difference: number;
  /** min / max; undefined when max is 0 (0/0). */
  ratio?: number;
}

function rangeOf(rates: readonly GroupRates[], rate: RateRange["rate"]): RateRange {
  const valueOf = (r: GroupRates) =>
    rate === "selection rate"
      ? r.selectionRate
      : rate === "true positive rate"
        ? r.truePositiveRate
        : r.falsePositiveRate;
  let min = rates[0];
  let max = rates[0];
  for (const r of rates) {
    if (valueOf(r) < valueOf(min)) min = r;
    if (valueOf(r) > valueOf(max)) max = r;
  }
  const low = valueOf(min);
  const high = valueOf(max);
  return {
    rate,
    min: { group: min.group, value: low },
    max: { group: max.group, value: high },
    difference: high - low,
    ...(high === 0 ? {} : { ratio: low / high }),
  };
}

export interface FairnessValue {
  measure: FairnessMeasure;
  /** Undefined when the measure is 0/0 for these groups (every rate it divides by is 0). */
  value?: number;
  /** The rate ranges the value was taken from (one for demographic parity, two for equalized odds). */
  ranges: RateRange[];
}

/** One measure over at least one group. */
export function fairnessMeasure(measure: FairnessMeasure, rates: readonly GroupRates[]): FairnessValue {
  if (rates.length === 0) throw new Error("fairnessMeasure needs at least one group");
  if (measure === "demographic_parity_difference" || measure === "demographic_parity_ratio") {
    const selection = rangeOf(rates, "selection rate");
    const value = measure === "demographic_parity_difference" ? selection.difference : selection.ratio;
    return { measure, value, ranges: [selection] };
  }
  const ranges = [rangeOf(rates, "true positive rate"), rangeOf(rates, "false positive rate")];
  if (measure === "equalized_odds_difference")
    return { measure, value: Math.max(...ranges.map((r) => r.difference)), ranges };
  const ratios = ranges.flatMap((r) => (r.ratio === undefined ? [] : [r.ratio]));
  return { measure, value: ratios.length ? Math.min(...ratios) : undefined, ranges };
}
