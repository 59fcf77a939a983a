/**
 * Slices: the predictions' metrics per value of each segment column, gates on them (`min`, `max_gap`),
 * and Fairlearn's between-group fairness measures over the same groups.
 *
 * The rows are grouped once per column, and each slice's metrics come from the same code that computes
 * the whole file's (computePredictionMetrics), told the whole file's task, classes and positive class so
 * that a slice holding only two of five classes, or few distinct values, is still measured the same way.
 *
 * Slices with fewer rows than `min_rows` are listed but neither gated nor counted in fairness measures:
 * a handful of rows swings a rate too far to judge a model by. A metric a slice cannot have (ROC AUC on
 * a slice with one class) is null there and that slice is left out of that metric's gates.
 */
import { defaultDirection, formatThreshold, type Direction } from "../evaluate/gates";
import {
  computePredictionMetrics,
  normalizeLabel,
  type PredictionMetricsOptions,
  type PredictionMetricsResult,
  type PredictionTable,
} from "../evaluate/predictions";
import { formatNumber } from "../util/format";
import { UserError } from "../util/errors";
import { fairnessMeasure, groupRates, type GroupCounts, type GroupRates } from "./fairness";
import type { FairnessMeasure, SlicesConfig } from "./schema";
import type { CheckResult, SliceRow, SliceTable } from "./types";

export interface ComputeSlicesOptions {
  /** The predictions, with the slice columns kept (`parsePredictions({ segments })`). */
  table: PredictionTable;
  slices: SlicesConfig;
  /** As for the whole file's metrics (task, positive class, classes). */
  predictionOptions?: PredictionMetricsOptions;
  /** Where a key of the `slices` block was declared: `columns`, `min.accuracy`, `fairness.<measure>`, … */
  suiteOf: (keyPath: string) => string;
  /** The whole file's metrics, when already computed from this table with `predictionOptions`: saves a pass. */
  overall?: PredictionMetricsResult;
}

export interface SlicesOutcome {
  tables: SliceTable[];
  checks: CheckResult[];
}

/** The text of a missing segment cell. */
export const NULL_SLICE = "(null)";
/** More distinct values than this and a column is an identifier, not a segment. */
export const MAX_SLICES_PER_COLUMN = 10_000;
const DATA = "predictions";
const MAX_LISTED = 5;

const DEFAULT_METRICS: Record<PredictionMetricsResult["task"], string[]> = {
  binary: ["accuracy", "f1"],
  multiclass: ["accuracy", "f1_macro"],
  regression: ["mae", "rmse"],
};

const TASK_NAMES: Record<PredictionMetricsResult["task"], string> = {
  binary: "binary classification",
  multiclass: "multiclass classification",
  regression: "regression",
};

export function computeSlices(options: ComputeSlicesOptions): SlicesOutcome {
  const { table, slices, suiteOf } = options;
  const severity: CheckResult["severity"] = slices.required ? "error" : "warning";
  const checks: CheckResult[] = [];

  let overall: PredictionMetricsResult;
  try {
    overall = options.overall ?? computePredictionMetrics(table, options.predictionOptions);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const where = error.where ? `${error.where}: ` : "";
    checks.push({
      id: "slice:predictions",
      kind: "slice",
      name: "slices",
      suite: suiteOf("columns"),
      data: DATA,
      status: "error",
      severity,
      rule: "metrics computable",
      detail: `slices need the predictions' metrics, which cannot be computed: ${where}${error.message}`,
    });
    return { tables: [], checks };
  }

  const sliceOptions = optionsForSlices(overall, options.predictionOptions);
  const minGates = definedEntries(slices.min);
  const gapGates = definedEntries(slices.max_gap);
  const shown = unique([
    ...(slices.metrics ?? DEFAULT_METRICS[overall.task]),
    ...minGates.map(([metric]) => metric),
    ...gapGates.map(([metric]) => metric),
  ]);

  // A gated metric the task never produces cannot be judged on any slice: one finding per gate, not per column.
  const computable = (metric: string) => Object.hasOwn(overall.metrics, metric);
  for (const [kind, gates] of [
    ["min", minGates],
    ["max_gap", gapGates],
  ] as const) {
    for (const [metric] of gates.filter(([m]) => !computable(m))) {
      checks.push({
        id: `slice:${kind}:${metric}`,
        kind: "slice",
        name: kind === "min" ? `${metric} in every slice` : `${metric} gap across slices`,
        suite: suiteOf(`${kind}.${metric}`),
        data: DATA,
        status: "error",
        severity,
        rule: "metric computable",
        detail: unavailableMetric(metric, overall),
      });
    }
  }

  const fairness = definedEntries(slices.fairness) as Array<[FairnessMeasure, FairnessBound]>;
  const fairnessSeverity = (bound: FairnessBound) =>
    slices.required && bound.required ? "error" : "warning";
  if (fairness.length > 0 && overall.task !== "binary") {
    for (const [measure, bound] of fairness) {
      checks.push({
        id: `fairness:${measure}`,
        kind: "fairness",
        name: humanMeasure(measure),
        suite: suiteOf(`fairness.${measure}`),
        data: DATA,
        status: "error",
        severity: fairnessSeverity(bound),
        rule: describeBound(bound),
        detail: `${humanMeasure(measure)} needs binary classification, but the predictions are ${TASK_NAMES[overall.task]}${
          overall.task === "multiclass" && (overall.confusionMatrix?.labels.length ?? 0) <= 2
            ? " (two classes but no positive class: set the positive class)"
            : ""
        }`,
      });
    }
  }
  const withScores = shown.some((metric) => SCORE_METRICS.has(metric));
  // Binary slices without score metrics are measured from four counts per slice (see countedMetrics),
  // which fairness needs too: the labels are compared with the positive class once for all columns.
  const counted = overall.task === "binary" && (fairness.length > 0 || countable(sliceOptions, withScores));
  const binaryLabels = counted ? binaryFlags(table, overall.positiveClass!) : undefined;
  const tables: SliceTable[] = [];
  for (const column of slices.columns) {
    const cells = table.segments?.[column];
    if (!cells) {
      checks.push(columnFinding(column, missingColumnDetail(column, table), severity, suiteOf));
      continue;
    }
    const groups = groupRows(cells);
    if (groups.keys.length > MAX_SLICES_PER_COLUMN) {
      checks.push(
        columnFinding(
          column,
          `column "${column}" has ${formatNumber(groups.keys.length)} distinct values (more than ${formatNumber(MAX_SLICES_PER_COLUMN)}): it looks like an identifier, not a segment; slice by a coarser column`,
          severity,
          suiteOf,
        ),
      );
      continue;
    }
    const counts = binaryLabels ? countGroups(groups, binaryLabels) : undefined;
    const fromCounts = counts && countable(sliceOptions, withScores);
    const indices = fromCounts ? undefined : rowsOfGroups(groups);
    const order = groups.keys
      .map((_, id) => id)
      .sort((a, b) => compareSliceValues(groups.keys[a]!, groups.keys[b]!));
    const rows: SliceRow[] = order.map((id) => ({
      value: groups.keys[id]!,
      rows: groups.sizes[id]!,
      metrics: fromCounts
        ? countedMetrics(counts[id]!, shown)
        : sliceMetrics(subTable(table, indices![id]!, withScores), sliceOptions, shown),
      weakest: false,
      small: groups.sizes[id]! < slices.min_rows,
    }));
    markWeakest(rows, shown[0], slices.weakest);
    const sliceTable: SliceTable = { column, metrics: shown, rows };
    tables.push(sliceTable);
    const context = { column, rows, minRows: slices.min_rows, severity, suiteOf };
    for (const [metric, threshold] of minGates.filter(([m]) => computable(m)))
      checks.push(minCheck({ ...context, metric, threshold }));
    for (const [metric, maxGap] of gapGates.filter(([m]) => computable(m)))
      checks.push(gapCheck({ ...context, metric, maxGap }));

    if (counts && fairness.length > 0) {
      const gated = order.filter((id) => groups.sizes[id]! >= slices.min_rows);
      const rates = gated.map((id) => groupRates(counts[id]!));
      sliceTable.fairness = {};
      for (const [measure, bound] of fairness) {
        const check = fairnessCheck({
          measure,
          bound,
          rates,
          column,
          smallGroups: order.length - gated.length,
          minRows: slices.min_rows,
          positive: overall.positiveClass!,
          severity: fairnessSeverity(bound),
          suite: suiteOf(`fairness.${measure}`),
        });
        if (check.observed !== undefined) sliceTable.fairness[measure] = check.observed;
        checks.push(check);
      }
    }
  }
  return { tables, checks };
}

type FairnessBound = NonNullable<NonNullable<SlicesConfig["fairness"]>[FairnessMeasure]>;

// --- grouping and per-slice metrics -------------------------------------------------------------

/** Each row's group (ids in order of first appearance), each group's text and size. */
interface Grouping {
  keys: string[];
  sizes: number[];
  ids: Int32Array;
}

/**
 * Groups the rows by segment value in one pass. A cell's text is made once per distinct cell, not per
 * row: `1` and `"1"` are one slice, as their text is.
 */
function groupRows(cells: ReadonlyArray<string | number | boolean | null>): Grouping {
  const byCell = new Map<string | number | boolean | null, number>();
  const byKey = new Map<string, number>();
  const keys: string[] = [];
  const sizes: number[] = [];
  const ids = new Int32Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    let id = byCell.get(cell);
    if (id === undefined) {
      const key = cell === null || cell === "" ? NULL_SLICE : String(cell);
      id = byKey.get(key);
      if (id === undefined) {
        id = keys.length;
        keys.push(key);
        sizes.push(0);
        byKey.set(key, id);
      }
      byCell.set(cell, id);
    }
    ids[i] = id;
    sizes[id]!++;
  }
  return { keys, sizes, ids };
}

/** The row indices of each group, in row order (one counting sort, no array per row pushed). */
function rowsOfGroups({ sizes, ids }: Grouping): Int32Array[] {
  const all = new Int32Array(ids.length);
  const starts: number[] = [];
  let offset = 0;
  for (const size of sizes) {
    starts.push(offset);
    offset += size;
  }
  const next = [...starts];
  for (let i = 0; i < ids.length; i++) all[next[ids[i]!]!++] = i;
  return starts.map((start, id) => all.subarray(start, start + sizes[id]!));
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Numbers by value, other text alphabetically, `(null)` last. */
function compareSliceValues(a: string, b: string): number {
  if (a === NULL_SLICE || b === NULL_SLICE) return a === b ? 0 : a === NULL_SLICE ? 1 : -1;
  const numeric = NUMBER.test(a) && NUMBER.test(b);
  if (numeric && Number(a) !== Number(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function pick<T>(values: readonly T[], indices: Int32Array): T[] {
  // push, not new Array(n): V8 keeps a preallocated array of over 100,000 holes in slow dictionary mode.
  const out: T[] = [];
  for (const index of indices) out.push(values[index]);
  return out;
}

/** Metrics computed from the score columns: the only ones that need them (and the costly ones, by a sort). */
const SCORE_METRICS = new Set(["roc_auc", "log_loss"]);

function subTable(table: PredictionTable, indices: Int32Array, withScores: boolean): PredictionTable {
  const sub: PredictionTable = {
    source: table.source,
    columns: table.columns,
    yTrue: pick(table.yTrue, indices),
    yPred: pick(table.yPred, indices),
    lines: pick(table.lines, indices),
  };
  if (withScores && table.yScore) sub.yScore = pick(table.yScore, indices);
  if (withScores && table.classScores)
    sub.classScores = Object.fromEntries(
      Object.entries(table.classScores).map(([cls, cells]) => [cls, pick(cells, indices)]),
    );
  if (table.locations) sub.locations = pick(table.locations, indices);
  return sub;
}

/**
 * The whole file's task, classes and positive class, so that each slice is measured as the whole is:
 * without them a slice of a regression with few distinct values would pass for classification, and a
 * slice of a multiclass task holding only `0` and `1` for a binary one.
 */
function optionsForSlices(
  overall: PredictionMetricsResult,
  given: PredictionMetricsOptions = {},
): PredictionMetricsOptions {
  if (overall.task === "regression") return { ...given, task: "regression" };
  const labels = overall.confusionMatrix?.labels ?? [];
  const classes =
    given.classes ?? (overall.task === "multiclass" || labels.length === 2 ? labels : undefined);
  return {
    ...given,
    task: "classification",
    ...(classes ? { classes } : {}),
    ...(overall.positiveClass !== undefined ? { positiveClass: overall.positiveClass } : {}),
  };
}

function sliceMetrics(
  table: PredictionTable,
  options: PredictionMetricsOptions,
  metrics: readonly string[],
): Record<string, number | null> {
  let computed: PredictionMetricsResult["metrics"] = {};
  try {
    computed = computePredictionMetrics(table, options).metrics;
  } catch (error) {
    // The whole file's metrics were computable, so a slice's failure leaves only that slice blank.
    if (!(error instanceof UserError)) throw error;
  }
  return Object.fromEntries(
    metrics.map((metric) => [metric, Object.hasOwn(computed, metric) ? computed[metric] : null]),
  );
}

function markWeakest(rows: SliceRow[], metric: string | undefined, count: number): void {
  if (metric === undefined || count === 0) return;
  const direction = defaultDirection(metric);
  const judged = rows.filter((row) => !row.small && row.metrics[metric] != null);
  judged.sort((a, b) => worseFirst(a.metrics[metric]!, b.metrics[metric]!, direction));
  // A slice is weakest only against a better one: never every slice, never slices tied with the best.
  const best = judged[judged.length - 1]?.metrics[metric];
  for (const row of judged.slice(0, Math.min(count, judged.length - 1)))
    if (row.metrics[metric] !== best) row.weakest = true;
}

function worseFirst(a: number, b: number, direction: Direction): number {
  return direction === "higher" ? a - b : b - a;
}

/** Per row: is the (normalised) true label, the prediction, positive; do they agree. */
interface BinaryFlags {
  actual: Uint8Array;
  predicted: Uint8Array;
  correct: Uint8Array;
}

function binaryFlags(table: PredictionTable, positive: string): BinaryFlags {
  // normalizeLabel is pure and labels repeat: each distinct cell is normalised once.
  const normalized = new Map<string, string>();
  const normalize = (cell: string): string => {
    let label = normalized.get(cell);
    if (label === undefined) normalized.set(cell, (label = normalizeLabel(cell)));
    return label;
  };
  const rows = table.yTrue.length;
  const flags: BinaryFlags = {
    actual: new Uint8Array(rows),
    predicted: new Uint8Array(rows),
    correct: new Uint8Array(rows),
  };
  for (let i = 0; i < rows; i++) {
    const truth = normalize(table.yTrue[i]!);
    const prediction = normalize(table.yPred[i]!);
    flags.actual[i] = truth === positive ? 1 : 0;
    flags.predicted[i] = prediction === positive ? 1 : 0;
    flags.correct[i] = truth === prediction ? 1 : 0;
  }
  return flags;
}

type BinaryCounts = GroupCounts & { correct: number };

function countGroups(groups: Grouping, flags: BinaryFlags): BinaryCounts[] {
  const counts = groups.keys.map((group, id) => ({
    group,
    rows: groups.sizes[id]!,
    selected: 0,
    positives: 0,
    truePositives: 0,
    correct: 0,
  }));
  const { ids } = groups;
  for (let i = 0; i < ids.length; i++) {
    const count = counts[ids[i]!]!;
    count.selected += flags.predicted[i]!;
    count.positives += flags.actual[i]!;
    count.truePositives += flags.predicted[i]! & flags.actual[i]!;
    count.correct += flags.correct[i]!;
  }
  return counts;
}

/**
 * True when a binary slice's metrics follow from its counts alone: no score metric is shown and no
 * averaged metric asked for (both need the rows themselves).
 */
function countable(options: PredictionMetricsOptions, withScores: boolean): boolean {
  return !withScores && !options.allAverages;
}

/**
 * computePredictionMetrics' binary metrics (scikit-learn's formulas, zero_division=0) from the counts,
 * with the same arithmetic, so that the values are identical; a metric it would not give is null.
 */
function countedMetrics(counts: BinaryCounts, metrics: readonly string[]): Record<string, number | null> {
  const precision = counts.selected === 0 ? 0 : counts.truePositives / counts.selected;
  const recall = counts.positives === 0 ? 0 : counts.truePositives / counts.positives;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const computed: Record<string, number> = {
    accuracy: counts.correct / counts.rows,
    precision,
    recall,
    f1,
  };
  return Object.fromEntries(
    metrics.map((metric) => [metric, Object.hasOwn(computed, metric) ? computed[metric]! : null]),
  );
}

// --- checks -------------------------------------------------------------------------------------

/** Float noise (0.9 − 0.8 = 0.09999999999999998) must not decide a gate. */
function exceeds(value: number, limit: number): boolean {
  return value > limit + 1e-12 * Math.max(1, Math.abs(limit));
}

function below(value: number, limit: number): boolean {
  return value < limit - 1e-12 * Math.max(1, Math.abs(limit));
}

function unavailableMetric(metric: string, overall: PredictionMetricsResult): string {
  const omitted = overall.omitted.find((o) => o.metric.split(/,\s*/).includes(metric));
  if (omitted) return `${metric} cannot be computed on the predictions: ${omitted.reason}`;
  return `${metric} is not a metric of ${TASK_NAMES[overall.task]} (computed: ${Object.keys(overall.metrics).join(", ")})`;
}

function missingColumnDetail(column: string, table: PredictionTable): string {
  const available = table.header?.filter(
    (name) => name !== table.columns.label && name !== table.columns.prediction,
  );
  if (!table.segments)
    return `column "${column}" was not kept from the predictions file (\`${table.source}\`)`;
  return `column "${column}" is not in the predictions file \`${table.source}\`${
    available ? ` (its other columns: ${available.length ? available.join(", ") : "none"})` : ""
  }`;
}

function columnFinding(
  column: string,
  detail: string,
  severity: CheckResult["severity"],
  suiteOf: (keyPath: string) => string,
): CheckResult {
  return {
    id: `slice:columns:${column}`,
    kind: "slice",
    name: `slices by ${column}`,
    suite: suiteOf("columns"),
    data: DATA,
    column,
    status: "error",
    severity,
    rule: "a segment column of the predictions",
    detail,
  };
}

interface GateContext {
  column: string;
  rows: SliceRow[];
  minRows: number;
  severity: CheckResult["severity"];
  suiteOf: (keyPath: string) => string;
}

/** The slices a metric's gate judges: enough rows, and a value. */
function judgedSlices(context: GateContext, metric: string) {
  const big = context.rows.filter((row) => !row.small);
  const judged = big.flatMap((row) => {
    const value = row.metrics[metric];
    return value == null ? [] : [{ row, value }];
  });
  const notes: string[] = [];
  const small = context.rows.length - big.length;
  if (small > 0) notes.push(`${plural(small, "slice")} under ${context.minRows} rows not gated`);
  const blank = big.length - judged.length;
  if (blank > 0)
    notes.push(
      `${metric} undefined on ${plural(blank, "slice")} (${listValues(big.filter((row) => row.metrics[metric] == null).map((row) => row.value))})`,
    );
  return { judged, notes };
}

function minCheck(context: GateContext & { metric: string; threshold: number }): CheckResult {
  const { column, metric, threshold } = context;
  const direction = defaultDirection(metric);
  const comparator = direction === "higher" ? "≥" : "≤";
  const base = {
    id: `slice:min:${metric}:${column}`,
    kind: "slice" as const,
    name: `${metric} ${comparator} ${formatThreshold(threshold)} in every ${column} slice`,
    suite: context.suiteOf(`min.${metric}`),
    data: DATA,
    column,
    severity: context.severity,
    rule: `${comparator} ${formatThreshold(threshold)} in every slice`,
  };
  const { judged, notes } = judgedSlices(context, metric);
  const suffix = notes.length ? `; ${notes.join("; ")}` : "";
  if (judged.length === 0) {
    return {
      ...base,
      status: "pass",
      detail: `no ${column} slice has ${context.minRows} rows or more and a ${metric}: nothing to gate${suffix}`,
    };
  }
  const worst = judged.reduce((a, b) => (worseFirst(a.value, b.value, direction) <= 0 ? a : b));
  const failing = judged
    .filter(({ value }) => (direction === "higher" ? below(value, threshold) : exceeds(value, threshold)))
    .sort((a, b) => worseFirst(a.value, b.value, direction));
  const judgedRows = judged.reduce((sum, { row }) => sum + row.rows, 0);
  const failingRows = failing.reduce((sum, { row }) => sum + row.rows, 0);
  const observed = worst.value;
  if (failing.length === 0) {
    return {
      ...base,
      status: "pass",
      observed,
      failingFraction: 0,
      detail: `every ${column} slice judged has ${metric} ${comparator} ${formatThreshold(threshold)} (worst: ${formatNumber(observed)} for ${worst.row.value})${suffix}`,
    };
  }
  const listed = failing
    .slice(0, MAX_LISTED)
    .map(({ row, value }) => `${row.value} (${formatNumber(value)}, ${formatNumber(row.rows)} rows)`);
  const more = failing.length > MAX_LISTED ? ` and ${failing.length - MAX_LISTED} more` : "";
  return {
    ...base,
    status: "fail",
    observed,
    failingFraction: failingRows / judgedRows,
    examples: failing.slice(0, MAX_LISTED).map(({ row }) => row.value),
    detail: `${metric} is ${direction === "higher" ? "below" : "above"} ${formatThreshold(threshold)} in ${failing.length} of ${plural(judged.length, `${column} slice`)}: ${listed.join(", ")}${more}${suffix}`,
  };
}

function gapCheck(context: GateContext & { metric: string; maxGap: number }): CheckResult {
  const { column, metric, maxGap } = context;
  const direction = defaultDirection(metric);
  const base = {
    id: `slice:max_gap:${metric}:${column}`,
    kind: "slice" as const,
    name: `${metric} gap across ${column}`,
    suite: context.suiteOf(`max_gap.${metric}`),
    data: DATA,
    column,
    severity: context.severity,
    rule: `best − worst slice ≤ ${formatThreshold(maxGap)}`,
  };
  const { judged, notes } = judgedSlices(context, metric);
  const suffix = notes.length ? `; ${notes.join("; ")}` : "";
  if (judged.length < 2) {
    return {
      ...base,
      status: "pass",
      detail: `${judged.length === 0 ? "no" : "only one"} ${column} slice has ${context.minRows} rows or more and a ${metric}: no gap to measure${suffix}`,
    };
  }
  const sorted = [...judged].sort((a, b) => worseFirst(a.value, b.value, direction));
  const worst = sorted[0];
  const best = sorted[sorted.length - 1];
  const gap = Math.abs(best.value - worst.value);
  const failed = exceeds(gap, maxGap);
  const span = `${metric} ranges from ${formatNumber(worst.value)} (${worst.row.value}) to ${formatNumber(best.value)} (${best.row.value}) across ${plural(judged.length, `${column} slice`)}`;
  return {
    ...base,
    status: failed ? "fail" : "pass",
    observed: gap,
    ...(failed ? { examples: [worst.row.value, best.row.value] } : {}),
    detail: `${span}: gap ${formatNumber(gap)} ${failed ? "exceeds" : "within"} ${formatThreshold(maxGap)}${suffix}`,
  };
}

function humanMeasure(measure: FairnessMeasure): string {
  return measure.replace(/_/g, " ");
}

function describeBound(bound: FairnessBound): string {
  const parts: string[] = [];
  if (bound.min !== undefined) parts.push(`≥ ${formatThreshold(bound.min)}`);
  if (bound.max !== undefined) parts.push(`≤ ${formatThreshold(bound.max)}`);
  return parts.join(" and ");
}

function fairnessCheck(options: {
  measure: FairnessMeasure;
  bound: FairnessBound;
  rates: GroupRates[];
  column: string;
  smallGroups: number;
  minRows: number;
  positive: string;
  severity: CheckResult["severity"];
  suite: string;
}): CheckResult {
  const { measure, bound, rates, column } = options;
  const base = {
    id: `fairness:${measure}:${column}`,
    kind: "fairness" as const,
    name: `${humanMeasure(measure)} across ${column}`,
    suite: options.suite,
    data: DATA,
    column,
    severity: options.severity,
    rule: describeBound(bound),
  };
  const notes: string[] = [];
  if (options.smallGroups > 0)
    notes.push(`${plural(options.smallGroups, "group")} under ${options.minRows} rows left out`);
  if (rates.length < 2) {
    return {
      ...base,
      status: "pass",
      detail: `${rates.length === 0 ? "no" : "only one"} ${column} group has ${options.minRows} rows or more: no groups to compare${notes.length ? `; ${notes.join("; ")}` : ""}`,
    };
  }
  const equalizedOdds = measure.startsWith("equalized_odds");
  if (equalizedOdds) {
    const noPositives = rates.filter((r) => r.noPositives).map((r) => r.group);
    const noNegatives = rates.filter((r) => r.noNegatives).map((r) => r.group);
    if (noPositives.length)
      notes.push(
        `no true "${options.positive}" in ${listValues(noPositives)}, whose true positive rate counts as 0 (as Fairlearn does)`,
      );
    if (noNegatives.length)
      notes.push(
        `only true "${options.positive}" in ${listValues(noNegatives)}, whose false positive rate counts as 0 (as Fairlearn does)`,
      );
  }
  const suffix = notes.length ? `; ${notes.join("; ")}` : "";
  const result = fairnessMeasure(measure, rates);
  const spans = result.ranges.map((range) => {
    const name = range.rate === "selection rate" ? `selection rate P(ŷ = ${options.positive})` : range.rate;
    return `${name} ranges from ${formatNumber(range.min.value)} (${range.min.group}) to ${formatNumber(range.max.value)} (${range.max.group})`;
  });
  const kind = measure.endsWith("ratio") ? "ratio" : "difference";
  if (result.value === undefined) {
    return {
      ...base,
      status: "error",
      detail: `${spans.join(", ")} across ${plural(rates.length, `${column} group`)}: every rate is 0, so the ${kind} is 0/0, undefined${suffix}`,
    };
  }
  const value = result.value;
  const tooLow = bound.min !== undefined && below(value, bound.min);
  const tooHigh = bound.max !== undefined && exceeds(value, bound.max);
  const verdict = tooLow
    ? `is below ${formatThreshold(bound.min!)}`
    : tooHigh
      ? `exceeds ${formatThreshold(bound.max!)}`
      : `meets ${describeBound(bound)}`;
  const failed = tooLow || tooHigh;
  const extremes = result.ranges.flatMap((range) => [range.min.group, range.max.group]);
  return {
    ...base,
    status: failed ? "fail" : "pass",
    observed: value,
    ...(failed ? { examples: [...new Set(extremes)].slice(0, MAX_LISTED) } : {}),
    detail: `${spans.join("; ")} across ${plural(rates.length, `${column} group`)}: ${kind} ${formatNumber(value)} ${verdict}${suffix}`,
  };
}

// --- text ---------------------------------------------------------------------------------------

function plural(count: number, noun: string): string {
  return `${formatNumber(count)} ${noun}${count === 1 ? "" : "s"}`;
}

function listValues(values: readonly string[]): string {
  const shown = values.slice(0, MAX_LISTED).join(", ");
  return values.length > MAX_LISTED ? `${shown} and ${values.length - MAX_LISTED} more` : shown;
}

/** A partial record's entries, without keys set to undefined. */
function definedEntries<V>(record: Partial<Record<string, V>> | undefined): Array<[string, V]> {
  return Object.entries(record ?? {}).flatMap(([key, value]) =>
    value === undefined ? [] : [[key, value] as [string, V]],
  );
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
