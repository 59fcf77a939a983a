/**
 * Drift of a text column (strings that are mostly unique, where comparing values says nothing), from
 * the text descriptors its profile carries (../text, `TextSummary` in ../profile):
 *
 * - length (characters per value), wordCount (words per value), nonLetterShare (share of characters
 *   that are neither letters nor white space): numeric columns, each tested with the default numeric
 *   test (KS for a reference of ≤ 1000 values, else the normalised Wasserstein distance; few distinct
 *   values: chi-square, z or Jensen-Shannon, as for any numeric column);
 * - vocabulary (word frequencies, the top `valueCap` words plus "other"): always Jensen-Shannon, since
 *   chi-square is infinite as soon as the current data has one word the reference never had, which text
 *   always does. Out-of-vocabulary words weigh in here: they are categories the reference lacks.
 *
 * The column drifts when any descriptor drifts. With fixed thresholds, a p-value test's threshold is
 * split between the four descriptors (Bonferroni: 0.05 / 4), so that the column's false-alarm rate stays
 * at the test's α. The column's test, statistic and threshold are those of the descriptor furthest past
 * (or closest to) its threshold, named in `descriptor`; `descriptors` holds all four.
 */
import {
  TEXT_DESCRIPTORS,
  textSummaryOf,
  type ColumnChunkStatistics,
  type ColumnProfile,
  type DatasetProfile,
} from "../profile";
import { decide, defaultTest, type TestOutcome } from "./decide";
import type { ColumnDrift, DescriptorDrift } from "./detect";
import { ColumnTestError, type TestName } from "./stattests";
import type { ThresholdMode } from "./thresholds";

/** How far past its threshold an outcome is: ≥ 1 means drift (∞ for a p-value of 0). */
function severity(o: TestOutcome): number {
  if (o.p_value !== undefined && o.threshold_source !== "data")
    return o.p_value === 0 ? Infinity : o.threshold / o.p_value;
  const statistic = o.test === "z" ? Math.abs(o.statistic) : o.statistic;
  return o.threshold > 0 ? statistic / o.threshold : statistic > 0 ? Infinity : 0;
}

export function testTextColumn(input: {
  ref: ColumnProfile;
  cur: ColumnProfile;
  reference: DatasetProfile;
  mode: ThresholdMode;
  nullSample?: ColumnChunkStatistics;
}): Partial<ColumnDrift> {
  const { ref, cur, reference, mode } = input;
  const settings = reference.settings;
  const refText = textSummaryOf(ref, settings);
  if (!refText)
    return {
      error:
        "text column: the reference profile has no text descriptors (made by a reader or a gitml that does not compute them)",
    };
  const curText = textSummaryOf(cur, settings);
  if (!curText)
    return {
      error:
        "text column: the current profile has no text descriptors (made by a reader or a gitml that does not compute them)",
    };
  const descriptors: DescriptorDrift[] = [];
  const outcomes: Array<{ descriptor: DescriptorDrift; outcome: TestOutcome }> = [];
  for (const descriptor of TEXT_DESCRIPTORS) {
    const r = refText[descriptor];
    const c = curText[descriptor];
    let test: TestName | undefined;
    try {
      test = descriptor === "vocabulary" ? "jensenshannon" : defaultTest("numeric", r, c);
      const outcome = decide({
        test,
        ref: r,
        cur: c,
        reference,
        defaultScale: 1 / TEXT_DESCRIPTORS.length,
        mode,
        nullSample: input.nullSample?.descriptors?.[descriptor],
      });
      const result: DescriptorDrift = { descriptor, ...outcome };
      descriptors.push(result);
      outcomes.push({ descriptor: result, outcome });
    } catch (error) {
      const message = error instanceof ColumnTestError ? error.message : `test failed: ${String(error)}`;
      descriptors.push({ descriptor, ...(test ? { test } : {}), drift: false, error: message });
    }
  }
  if (outcomes.length === 0)
    return {
      error: `text column: no descriptor could be tested (${descriptors.map((d) => `${d.descriptor}: ${d.error}`).join("; ")})`,
      descriptors,
    };
  const shown = outcomes.reduce((best, o) => (severity(o.outcome) > severity(best.outcome) ? o : best));
  const { outcome } = shown;
  const column: Partial<ColumnDrift> = {
    test: outcome.test,
    statistic: outcome.statistic,
    threshold: outcome.threshold,
    threshold_source: outcome.threshold_source,
    drift: outcomes.some((o) => o.outcome.drift),
    descriptor: shown.descriptor.descriptor,
    descriptors,
  };
  if (outcome.p_value !== undefined) column.p_value = outcome.p_value;
  if (outcome.error_bound !== undefined) column.error_bound = outcome.error_bound;
  if (outcome.threshold_note !== undefined) column.threshold_note = outcome.threshold_note;
  // No descriptor drifted, but one might have: the column has no verdict either.
  if (!column.drift && outcomes.some((o) => o.outcome.undecided)) column.undecided = true;
  return column;
}
