/**
 * Metrics computed from a predictions file (`outputs.predictions`), as scikit-learn computes them.
 *
 * The file is a CSV with a header: `y_true`, `y_pred`, optionally `y_score`, optionally one score
 * column per class named `y_score_<class>` (multiclass probabilities), and any other columns (features,
 * segments), which metrics ignore (`segments` keeps some for slicing). It is a held-out set, so it is
 * read in memory.
 *
 * Labels are compared as text after two normalisations, so that pandas' `1.0` and `1` are one class:
 * a decimal number is written canonically (`1.0` → `1`, `-0` → `0`), and `True`/`FALSE` become
 * `true`/`false`.
 *
 * Task detection (`task` overrides it):
 * - **regression** when every y_true and y_pred is a finite number and either some value is not an
 *   integer or y_true has more than 20 distinct values;
 * - otherwise **classification**: **binary** when there are two declared classes, or at most two
 *   labels appear and the positive class is known (configured, or `1` in {0, 1} / {-1, 1}, or `true`
 *   in {false, true}); **multiclass** otherwise.
 *
 * Metric names (scikit-learn's scorer names, so gates read the same everywhere):
 * - binary: `accuracy`, `precision`, `recall`, `f1` (of the positive class), and with `y_score` (the
 *   score or probability of the positive class) `roc_auc` and, when every score is in [0, 1], `log_loss`;
 * - multiclass: `accuracy`, `precision_macro`, `recall_macro`, `f1_macro` (unweighted mean over the
 *   labels present in y_true or y_pred) and `precision_weighted`, `recall_weighted`, `f1_weighted`
 *   (weighted by each label's count in y_true); with one `y_score_<class>` column per class holding
 *   probabilities that sum to 1, `roc_auc` (one-vs-rest, macro) and `log_loss`. A single `y_score`
 *   column cannot rank every class against the rest, so multiclass `roc_auc` needs the per-class columns;
 * - regression: `mae`, `rmse`, `r2`.
 * A 0/0 precision, recall or F1 counts as 0 (scikit-learn's `zero_division=0`). A metric that is not
 * defined for the data (ROC AUC with one class in y_true, r² of one row) is left out and listed in
 * `omitted` with the reason. The confusion matrix (rows: true label, columns: predicted) is returned
 * beside the metrics, not among them.
 */
import { readFile } from "node:fs/promises";
import { CsvError, parse } from "csv-parse/sync";
import { UserError } from "../util/errors";
import type { Metrics } from "./metrics";

export type PredictionTask = "binary" | "multiclass" | "regression";

export interface PredictionColumns {
  /** Default `y_true`. */
  label?: string;
  /** Default `y_pred`. */
  prediction?: string;
  /** Default `y_score`; per-class scores are `<score>_<class>`. */
  score?: string;
}

/** The columns metrics are computed from, one entry per row. */
export interface PredictionTable {
  /** Names the source in error messages. */
  source: string;
  columns: Required<PredictionColumns>;
  yTrue: string[];
  yPred: string[];
  /** Raw `y_score` cells; absent when the file has no such column. */
  yScore?: string[];
  /** Raw per-class score cells by column suffix (`y_score_setosa` → `setosa`). */
  classScores?: Record<string, string[]>;
  /** The file line of each row, for error messages. */
  lines: number[];
  /** Where each row is, when not `source:line` (data read by a query engine: the file it came from). */
  locations?: string[];
  /**
   * Segment columns kept for slicing (`parsePredictions({ segments })`): column → one cell per row, null
   * for an empty cell. A requested column the file does not have is absent here.
   */
  segments?: Record<string, Array<string | number | boolean | null>>;
  /** The file's column names, kept with `segments` so that a message can list them. */
  header?: string[];
}

/** Where row `index` of a table is, for an error message. */
export function whereOf(table: PredictionTable, index: number): string {
  return table.locations?.[index] ?? `${table.source}:${table.lines[index]}`;
}

export interface PredictionMetricsOptions {
  /** Default: detected (see the module comment). */
  task?: "classification" | "regression";
  /** The positive class of a binary task; default `1` or `true`. */
  positiveClass?: string | number | boolean;
  /** The declared classes: every label must be one of them; they also order the confusion matrix. */
  classes?: Array<string | number | boolean>;
  /** Also give the `_macro` and `_weighted` averages of a binary task (monitoring may name them). */
  allAverages?: boolean;
}

export interface ConfusionMatrix {
  labels: string[];
  /** matrix[i][j]: rows whose true label is labels[i] and predicted label labels[j]. */
  matrix: number[][];
}

export interface PredictionMetricsResult {
  task: PredictionTask;
  rows: number;
  metrics: Metrics;
  confusionMatrix?: ConfusionMatrix;
  positiveClass?: string;
  /** Metrics that were not computed, and why. */
  omitted: Array<{ metric: string; reason: string }>;
}

export { PREDICTION_METRIC_NAMES, type PredictionMetricName } from "./metric-names";

const DEFAULT_COLUMNS: Required<PredictionColumns> = {
  label: "y_true",
  prediction: "y_pred",
  score: "y_score",
};
/** Above this many distinct numeric y_true values an all-integer target is taken as regression. */
const REGRESSION_MIN_DISTINCT = 20;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function predictionColumns(columns: PredictionColumns = {}): Required<PredictionColumns> {
  return {
    label: columns.label ?? DEFAULT_COLUMNS.label,
    prediction: columns.prediction ?? DEFAULT_COLUMNS.prediction,
    score: columns.score ?? DEFAULT_COLUMNS.score,
  };
}

export async function readPredictions(
  file: string,
  options: { columns?: PredictionColumns; skipUnlabelled?: boolean; segments?: readonly string[] } = {},
): Promise<PredictionTable> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(code === "ENOENT" ? "predictions file not found" : `cannot read (${code})`, {
      where: file,
      cause: error,
    });
  }
  return parsePredictions(text, { ...options, source: file });
}

/**
 * Parses predictions CSV text. `skipUnlabelled` drops rows whose label is empty (monitoring data whose
 * labels have not arrived yet) instead of failing on them.
 */
export function parsePredictions(
  text: string,
  options: {
    source: string;
    columns?: PredictionColumns;
    skipUnlabelled?: boolean;
    /** Other columns to keep as `segments` (for slices); those the file lacks are left out, not an error. */
    segments?: readonly string[];
  },
): PredictionTable {
  const { source } = options;
  const columns = predictionColumns(options.columns);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (error) {
    if (error instanceof CsvError) {
      const line = typeof error.lines === "number" ? `:${error.lines}` : "";
      throw new UserError(`invalid CSV: ${error.message}`, { where: `${source}${line}`, cause: error });
    }
    throw error;
  }
  if (records.length === 0)
    throw new UserError("the predictions file is empty (no header)", { where: source });
  const header = records[0].record;
  const indexOf = (name: string) => header.indexOf(name);
  const missing = [columns.label, columns.prediction].filter((name) => indexOf(name) < 0);
  if (missing.length > 0) {
    throw new UserError(
      `missing column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} (the header has ${header.map((h) => `"${h}"`).join(", ")})`,
      { where: `${source}:${records[0].info.lines}` },
    );
  }
  if (records.length === 1)
    throw new UserError("the predictions file has a header but no rows", { where: source });
  const labelAt = indexOf(columns.label);
  const predAt = indexOf(columns.prediction);
  const scoreAt = indexOf(columns.score);
  const prefix = `${columns.score}_`;
  const classScoreAt = header.flatMap((name, at) =>
    name.startsWith(prefix) && name.length > prefix.length ? [{ cls: name.slice(prefix.length), at }] : [],
  );
  const table: PredictionTable = { source, columns, yTrue: [], yPred: [], lines: [] };
  if (scoreAt >= 0) table.yScore = [];
  if (classScoreAt.length > 0)
    table.classScores = Object.fromEntries(classScoreAt.map(({ cls }) => [cls, []]));
  const segmentAt = (options.segments ?? []).flatMap((name) =>
    indexOf(name) >= 0 ? [{ cells: [] as Array<string | null>, at: indexOf(name), name }] : [],
  );
  if (options.segments) {
    table.segments = Object.fromEntries(segmentAt.map(({ name, cells }) => [name, cells]));
    table.header = header;
  }
  for (const { record, info } of records.slice(1)) {
    const label = record[labelAt];
    if (label === "" && options.skipUnlabelled) continue;
    for (const [name, at] of [
      [columns.label, labelAt],
      [columns.prediction, predAt],
    ] as const) {
      if (record[at] === "")
        throw new UserError(`column "${name}" is empty`, { where: `${source}:${info.lines}` });
    }
    table.yTrue.push(label);
    table.yPred.push(record[predAt]);
    table.yScore?.push(record[scoreAt]);
    for (const { cls, at } of classScoreAt) table.classScores![cls].push(record[at]);
    for (const { cells, at } of segmentAt) cells.push(record[at] === "" ? null : record[at]);
    table.lines.push(info.lines);
  }
  if (table.yTrue.length === 0 && !options.skipUnlabelled)
    throw new UserError("the predictions file has a header but no rows", { where: source });
  return table;
}

/** Reads a predictions file and computes its metrics. */
export async function predictionMetricsFromFile(
  file: string,
  options: PredictionMetricsOptions & { columns?: PredictionColumns } = {},
): Promise<PredictionMetricsResult> {
  return computePredictionMetrics(await readPredictions(file, { columns: options.columns }), options);
}

/**
 * The metrics of a model's outputs when it writes both a metrics file and predictions: the computed
 * metrics, then the file's on top, so a value the training wrote itself wins on a name clash.
 */
export function combineMetrics(
  fromFile: Metrics | undefined,
  computed: Metrics | undefined,
): Metrics | undefined {
  if (!fromFile && !computed) return undefined;
  return { ...computed, ...fromFile };
}

export function computePredictionMetrics(
  table: PredictionTable,
  options: PredictionMetricsOptions = {},
): PredictionMetricsResult {
  const rows = table.yTrue.length;
  if (rows === 0) throw new UserError("no rows to compute metrics from", { where: table.source });
  const regression =
    options.task === "regression" || (options.task === undefined && looksLikeRegression(table));
  return regression ? regressionMetrics(table) : classificationMetrics(table, options);
}

// --- task detection -----------------------------------------------------------------------------

function looksLikeRegression(table: PredictionTable): boolean {
  const all = [...table.yTrue, ...table.yPred];
  if (!all.every((v) => DECIMAL.test(v))) return false;
  if (all.some((v) => !Number.isInteger(Number(v)))) return true;
  return new Set(table.yTrue.map(Number)).size > REGRESSION_MIN_DISTINCT;
}

/** `1.0` → `1`, `True` → `true`; anything else as written. */
export function normalizeLabel(value: string | number | boolean): string {
  const text = String(value).trim();
  if (DECIMAL.test(text)) {
    const n = Number(text);
    return Object.is(n, -0) ? "0" : String(n);
  }
  const lower = text.toLowerCase();
  return lower === "true" || lower === "false" ? lower : text;
}

function compareLabels(a: string, b: string): number {
  if (DECIMAL.test(a) && DECIMAL.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function defaultPositive(labels: ReadonlySet<string>): string | undefined {
  const within = (allowed: string[]) => [...labels].every((l) => allowed.includes(l));
  if (within(["0", "1"]) || within(["-1", "1"])) return "1";
  if (within(["false", "true"])) return "true";
  return undefined;
}

// --- classification -----------------------------------------------------------------------------

function classificationMetrics(
  table: PredictionTable,
  options: PredictionMetricsOptions,
): PredictionMetricsResult {
  const yTrue = table.yTrue.map(normalizeLabel);
  const yPred = table.yPred.map(normalizeLabel);
  const declared = options.classes?.map(normalizeLabel);
  if (declared) {
    const known = new Set(declared);
    for (const [name, values] of [
      [table.columns.label, yTrue],
      [table.columns.prediction, yPred],
    ] as const) {
      const at = values.findIndex((v) => !known.has(v));
      if (at >= 0) {
        throw new UserError(
          `column "${name}": label "${values[at]}" is not one of the declared classes (${declared.join(", ")})`,
          { where: whereOf(table, at) },
        );
      }
    }
  }
  const present = [...new Set([...yTrue, ...yPred])].sort(compareLabels);
  const omitted: PredictionMetricsResult["omitted"] = [];
  let positive = options.positiveClass === undefined ? undefined : normalizeLabel(options.positiveClass);
  const binaryShape = declared ? declared.length === 2 : present.length <= 2;
  if (positive === undefined && binaryShape) positive = defaultPositive(new Set(declared ?? present));
  if (positive !== undefined && declared && !declared.includes(positive)) {
    throw new UserError(
      `the positive class "${positive}" is not one of the declared classes (${declared.join(", ")})`,
    );
  }
  const binary = binaryShape && positive !== undefined;
  if (binaryShape && !binary) {
    omitted.push({
      metric: "precision, recall, f1",
      reason: `two classes (${present.join(", ")}) but no positive class: set it to get binary metrics; macro and weighted averages are given instead`,
    });
  }

  const labels = declared ?? present;
  const matrix = confusionMatrix(yTrue, yPred, labels);
  const metrics: Metrics = { accuracy: yTrue.filter((t, i) => t === yPred[i]).length / yTrue.length };
  const stats = perLabelStats(yTrue, yPred, present);
  if (binary) {
    const s = stats.get(positive!) ?? { tp: 0, predicted: 0, actual: 0 };
    const { precision, recall, f1 } = scores(s);
    Object.assign(metrics, { precision, recall, f1 });
    if (options.allAverages) Object.assign(metrics, averagedScores(stats, present));
    binaryScoreMetrics(table, yTrue, yPred, positive!, metrics, omitted);
  } else {
    Object.assign(metrics, averagedScores(stats, present));
    multiclassScoreMetrics(table, yTrue, present, metrics, omitted);
  }
  return {
    task: binary ? "binary" : "multiclass",
    rows: yTrue.length,
    metrics,
    confusionMatrix: { labels, matrix },
    positiveClass: binary ? positive : undefined,
    omitted,
  };
}

interface LabelStats {
  tp: number;
  predicted: number;
  actual: number;
}

function perLabelStats(yTrue: string[], yPred: string[], labels: string[]): Map<string, LabelStats> {
  const stats = new Map(labels.map((l) => [l, { tp: 0, predicted: 0, actual: 0 }]));
  yTrue.forEach((t, i) => {
    const p = yPred[i];
    stats.get(t)!.actual++;
    stats.get(p)!.predicted++;
    if (t === p) stats.get(t)!.tp++;
  });
  return stats;
}

/** scikit-learn's formulas, zero_division=0: F1 = 2PR / (P + R), 0 when both are 0. */
function scores(s: LabelStats): { precision: number; recall: number; f1: number } {
  const precision = s.predicted === 0 ? 0 : s.tp / s.predicted;
  const recall = s.actual === 0 ? 0 : s.tp / s.actual;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

function averagedScores(stats: Map<string, LabelStats>, labels: string[]): Metrics {
  const per = labels.map((l) => ({ ...scores(stats.get(l)!), support: stats.get(l)!.actual }));
  const total = per.reduce((sum, s) => sum + s.support, 0);
  const macro = (key: "precision" | "recall" | "f1") => per.reduce((sum, s) => sum + s[key], 0) / per.length;
  const weighted = (key: "precision" | "recall" | "f1") =>
    total === 0 ? 0 : per.reduce((sum, s) => sum + s[key] * s.support, 0) / total;
  return {
    precision_macro: macro("precision"),
    recall_macro: macro("recall"),
    f1_macro: macro("f1"),
    precision_weighted: weighted("precision"),
    recall_weighted: weighted("recall"),
    f1_weighted: weighted("f1"),
  };
}

function confusionMatrix(yTrue: string[], yPred: string[], labels: string[]): number[][] {
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  yTrue.forEach((t, i) => {
    const row = index.get(t);
    const column = index.get(yPred[i]);
    if (row !== undefined && column !== undefined) matrix[row][column]++;
  });
  return matrix;
}

function parseScores(table: PredictionTable, cells: string[], column: string): number[] {
  return cells.map((cell, i) => {
    const value = DECIMAL.test(cell) ? Number(cell) : NaN;
    if (!Number.isFinite(value)) {
      throw new UserError(
        `column "${column}": ${cell === "" ? "empty score" : `"${cell}" is not a finite number`}`,
        {
          where: whereOf(table, i),
        },
      );
    }
    return value;
  });
}

function binaryScoreMetrics(
  table: PredictionTable,
  yTrue: string[],
  yPred: string[],
  positive: string,
  metrics: Metrics,
  omitted: PredictionMetricsResult["omitted"],
): void {
  const column = table.columns.score;
  if (!table.yScore) {
    omitted.push({ metric: "roc_auc, log_loss", reason: `no "${column}" column` });
    return;
  }
  const score = parseScores(table, table.yScore, column);
  const isPositive = yTrue.map((t) => t === positive);
  const probabilities = score.every((s) => s >= 0 && s <= 1);
  if (probabilities && scoresFollowPrediction(score, yPred, positive)) {
    omitted.push({
      metric: "roc_auc, log_loss",
      reason: `"${column}" looks like the probability of the predicted class (every score ≥ 0.5, whichever class is predicted), not of the positive class "${positive}"`,
    });
    return;
  }
  const auc = rocAuc(score, isPositive);
  if (auc === undefined)
    omitted.push({
      metric: "roc_auc",
      reason: `"${table.columns.label}" holds only one class: ROC AUC is undefined`,
    });
  else metrics.roc_auc = auc;
  if (probabilities) metrics.log_loss = binaryLogLoss(score, isPositive);
  else
    omitted.push({ metric: "log_loss", reason: `"${column}" has values outside [0, 1]: not probabilities` });
}

/**
 * True when scores cannot be P(positive) thresholded into y_pred but can be P(predicted class): every
 * score ≥ 0.5 while both classes are predicted, and the predictions are not separable by a threshold.
 */
function scoresFollowPrediction(score: number[], yPred: string[], positive: string): boolean {
  if (!score.every((s) => s >= 0.5)) return false;
  let maxNegative = -Infinity;
  let minPositive = Infinity;
  score.forEach((s, i) => {
    if (yPred[i] === positive) minPositive = Math.min(minPositive, s);
    else maxNegative = Math.max(maxNegative, s);
  });
  return Number.isFinite(maxNegative) && Number.isFinite(minPositive) && maxNegative > minPositive;
}

/** Mann-Whitney U with average ranks for ties, over positives × negatives: scikit-learn's trapezoidal AUC. */
export function rocAuc(score: number[], isPositive: boolean[]): number | undefined {
  const positives = isPositive.filter(Boolean).length;
  const negatives = isPositive.length - positives;
  if (positives === 0 || negatives === 0) return undefined;
  const order = score.map((_, i) => i).sort((a, b) => score[a] - score[b]);
  let rankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && score[order[end + 1]] === score[order[start]]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) if (isPositive[order[k]]) rankSum += averageRank;
    start = end + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Probabilities are clipped to [ε, 1 − ε] with ε the float64 machine epsilon, as scikit-learn's `eps="auto"`. */
function clip(p: number): number {
  return Math.min(1 - Number.EPSILON, Math.max(Number.EPSILON, p));
}

function binaryLogLoss(score: number[], isPositive: boolean[]): number {
  let sum = 0;
  score.forEach((s, i) => {
    const p = clip(s);
    const q = 1 - p;
    // scikit-learn clips, then renormalises each row [1 − p, p] to sum to 1.
    sum -= Math.log((isPositive[i] ? p : q) / (p + q));
  });
  return sum / score.length;
}

function multiclassScoreMetrics(
  table: PredictionTable,
  yTrue: string[],
  present: string[],
  metrics: Metrics,
  omitted: PredictionMetricsResult["omitted"],
): void {
  const prefix = `${table.columns.score}_`;
  const byClass = new Map(
    Object.entries(table.classScores ?? {}).map(([cls, cells]) => [
      normalizeLabel(cls),
      { column: `${prefix}${cls}`, cells },
    ]),
  );
  const classes = [...byClass.keys()].sort(compareLabels);
  if (classes.length === 0) {
    omitted.push({
      metric: "roc_auc, log_loss",
      reason: table.yScore
        ? `one "${table.columns.score}" per row cannot rank every class: give one "${prefix}<class>" probability column per class`
        : `no "${prefix}<class>" probability columns`,
    });
    return;
  }
  const missing = present.filter((label) => !byClass.has(label));
  if (missing.length > 0) {
    omitted.push({
      metric: "roc_auc, log_loss",
      reason: `no score column for class${missing.length > 1 ? "es" : ""} ${missing.join(", ")} (expected ${missing.map((m) => `"${prefix}${m}"`).join(", ")})`,
    });
    return;
  }
  const probabilities = classes.map((cls) =>
    parseScores(table, byClass.get(cls)!.cells, byClass.get(cls)!.column),
  );
  const rowSumOff = yTrue.findIndex(
    (_, i) => Math.abs(probabilities.reduce((sum, column) => sum + column[i], 0) - 1) > 1e-8 + 1e-5,
  );
  if (rowSumOff >= 0 || probabilities.some((column) => column.some((p) => p < 0 || p > 1))) {
    omitted.push({
      metric: "roc_auc, log_loss",
      reason: `the "${prefix}<class>" columns are not probabilities summing to 1${rowSumOff >= 0 ? ` (row at ${whereOf(table, rowSumOff)})` : ""}`,
    });
    return;
  }
  const trueClasses = new Set(yTrue);
  if (classes.every((cls) => trueClasses.has(cls))) {
    // One-vs-rest, macro: every class against the rest, by its own probability column.
    const aucs = classes.map((cls, c) =>
      rocAuc(
        probabilities[c],
        yTrue.map((t) => t === cls),
      )!,
    );
    metrics.roc_auc = aucs.reduce((a, b) => a + b, 0) / aucs.length;
  } else {
    omitted.push({
      metric: "roc_auc",
      reason: `some score classes never occur in "${table.columns.label}": one-vs-rest ROC AUC is undefined for them`,
    });
  }
  let sum = 0;
  yTrue.forEach((t, i) => {
    const clipped = probabilities.map((column) => clip(column[i]));
    const total = clipped.reduce((a, b) => a + b, 0);
    sum -= Math.log(clipped[classes.indexOf(t)] / total);
  });
  metrics.log_loss = sum / yTrue.length;
}

// --- regression ---------------------------------------------------------------------------------

function regressionMetrics(table: PredictionTable): PredictionMetricsResult {
  const numbers = (cells: string[], column: string) =>
    cells.map((cell, i) => {
      const value = DECIMAL.test(cell) ? Number(cell) : NaN;
      if (!Number.isFinite(value)) {
        throw new UserError(`column "${column}": "${cell}" is not a finite number (the task is regression)`, {
          where: whereOf(table, i),
        });
      }
      return value;
    });
  const yTrue = numbers(table.yTrue, table.columns.label);
  const yPred = numbers(table.yPred, table.columns.prediction);
  const n = yTrue.length;
  let absolute = 0;
  let squared = 0;
  yTrue.forEach((t, i) => {
    absolute += Math.abs(t - yPred[i]);
    squared += (t - yPred[i]) ** 2;
  });
  const metrics: Metrics = { mae: absolute / n, rmse: Math.sqrt(squared / n) };
  const omitted: PredictionMetricsResult["omitted"] = [];
  if (n < 2) {
    omitted.push({ metric: "r2", reason: "r² needs at least two rows" });
  } else {
    const mean = yTrue.reduce((a, b) => a + b, 0) / n;
    const total = yTrue.reduce((sum, t) => sum + (t - mean) ** 2, 0);
    // scikit-learn's force_finite: a constant y_true scores 1 when predicted exactly, else 0.
    metrics.r2 = total === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / total;
  }
  return { task: "regression", rows: n, metrics, omitted };
}
