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
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { parse as parseStream } from "csv-parse";
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
    throw unreadablePredictions(file, error);
  }
  return parsePredictions(text, { ...options, source: file });
}

function unreadablePredictions(file: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  return new UserError(code === "ENOENT" ? "predictions file not found" : `cannot read (${code})`, {
    where: file,
    cause: error,
  });
}

const CSV_OPTIONS = { bom: true, info: true, skip_empty_lines: true, trim: true } as const;

function csvUserError(error: unknown, source: string): unknown {
  if (!(error instanceof CsvError)) return error;
  const line = typeof error.lines === "number" ? `:${error.lines}` : "";
  return new UserError(`invalid CSV: ${error.message}`, { where: `${source}${line}`, cause: error });
}

/** Where the columns metrics read are in a predictions file's header (checked: label and prediction). */
interface HeaderLayout {
  label: number;
  prediction: number;
  score: number;
  classScores: Array<{ cls: string; at: number }>;
}

function headerLayout(header: string[], columns: Required<PredictionColumns>, where: string): HeaderLayout {
  const missing = [columns.label, columns.prediction].filter((name) => !header.includes(name));
  if (missing.length > 0) {
    throw new UserError(
      `missing column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} (the header has ${header.map((h) => `"${h}"`).join(", ")})`,
      { where },
    );
  }
  const prefix = `${columns.score}_`;
  return {
    label: header.indexOf(columns.label),
    prediction: header.indexOf(columns.prediction),
    score: header.indexOf(columns.score),
    classScores: header.flatMap((name, at) =>
      name.startsWith(prefix) && name.length > prefix.length ? [{ cls: name.slice(prefix.length), at }] : [],
    ),
  };
}

/**
 * Whether a data record counts (false: an unlabelled row skipped); an empty label or prediction is a
 * UserError at its line.
 */
function checkRecord(
  record: string[],
  layout: HeaderLayout,
  columns: Required<PredictionColumns>,
  where: () => string,
  skipUnlabelled: boolean | undefined,
): boolean {
  if (record[layout.label] === "" && skipUnlabelled) return false;
  for (const [name, at] of [
    [columns.label, layout.label],
    [columns.prediction, layout.prediction],
  ] as const) {
    if (record[at] === "") throw new UserError(`column "${name}" is empty`, { where: where() });
  }
  return true;
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
    records = parse(text, CSV_OPTIONS) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (error) {
    throw csvUserError(error, source);
  }
  if (records.length === 0)
    throw new UserError("the predictions file is empty (no header)", { where: source });
  const header = records[0].record;
  const layout = headerLayout(header, columns, `${source}:${records[0].info.lines}`);
  if (records.length === 1)
    throw new UserError("the predictions file has a header but no rows", { where: source });
  const table: PredictionTable = { source, columns, yTrue: [], yPred: [], lines: [] };
  if (layout.score >= 0) table.yScore = [];
  if (layout.classScores.length > 0)
    table.classScores = Object.fromEntries(layout.classScores.map(({ cls }) => [cls, []]));
  const segmentAt = (options.segments ?? []).flatMap((name) =>
    header.indexOf(name) >= 0 ? [{ cells: [] as Array<string | null>, at: header.indexOf(name), name }] : [],
  );
  if (options.segments) {
    table.segments = Object.fromEntries(segmentAt.map(({ name, cells }) => [name, cells]));
    table.header = header;
  }
  for (const { record, info } of records.slice(1)) {
    if (!checkRecord(record, layout, columns, () => `${source}:${info.lines}`, options.skipUnlabelled))
      continue;
    table.yTrue.push(record[layout.label]);
    table.yPred.push(record[layout.prediction]);
    table.yScore?.push(record[layout.score]);
    for (const { cls, at } of layout.classScores) table.classScores![cls].push(record[at]);
    for (const { cells, at } of segmentAt) cells.push(record[at] === "" ? null : record[at]);
    table.lines.push(info.lines);
  }
  if (table.yTrue.length === 0 && !options.skipUnlabelled)
    throw new UserError("the predictions file has a header but no rows", { where: source });
  return table;
}

// --- columns ------------------------------------------------------------------------------------

/**
 * A column of labels in 8 bytes a row (12 once a label is not a number), whatever the row count: a
 * decimal cell as its number (the normalised label is then the number written canonically), any other
 * cell as a code into `texts` (its normalised text). Metrics are computed over these, so that a
 * predictions file is never held as strings: 10M rows as text arrays took 4.5 GB.
 */
export class LabelColumn {
  numbers = new Float64Array(1024);
  /** Per row, the code of its text label or -1 for a number; absent while every label is a number. */
  private codes?: Int32Array;
  readonly texts: string[] = [];
  private readonly textCodes = new Map<string, number>();
  length = 0;
  /** The first cell that is not a finite number, as written (for regression's error message). */
  firstNonFinite?: { row: number; cell: string };

  push(cell: string): void {
    const row = this.length++;
    if (row === this.numbers.length) {
      this.numbers = grow(this.numbers);
      if (this.codes) this.codes = grow(this.codes);
    }
    const text = cell.trim();
    const number = DECIMAL.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(number) && this.firstNonFinite === undefined) this.firstNonFinite = { row, cell };
    if (!Number.isNaN(number)) {
      this.numbers[row] = number;
      if (this.codes) this.codes[row] = -1;
      return;
    }
    this.codes ??= new Int32Array(this.numbers.length).fill(-1);
    const label = normalizeLabel(text);
    let code = this.textCodes.get(label);
    if (code === undefined) {
      code = this.texts.length;
      this.texts.push(label);
      this.textCodes.set(label, code);
    }
    this.codes[row] = code;
  }

  /** Every cell is a decimal number. */
  allDecimal(): boolean {
    return this.texts.length === 0;
  }

  /** The code of the row's text label in `texts`, or -1 when it is a number. */
  code(row: number): number {
    return this.codes ? this.codes[row]! : -1;
  }

  label(row: number): string {
    const code = this.code(row);
    return code >= 0 ? this.texts[code]! : canonicalNumber(this.numbers[row]!);
  }
}

/** Scores as numbers, 8 bytes a row; a cell that is not a finite number is NaN, the first one kept. */
export class ScoreColumn {
  values = new Float64Array(1024);
  length = 0;
  firstInvalid?: { row: number; cell: string };

  push(cell: string): void {
    const row = this.length++;
    if (row === this.values.length) this.values = grow(this.values);
    const value = DECIMAL.test(cell) ? Number(cell) : NaN;
    if (!Number.isFinite(value) && this.firstInvalid === undefined) this.firstInvalid = { row, cell };
    this.values[row] = value;
  }
}

function grow<T extends Float64Array | Int32Array>(array: T): T {
  const bigger = new (array.constructor as new (length: number) => T)(array.length * 2);
  bigger.set(array);
  return bigger;
}

function canonicalNumber(n: number): string {
  return Object.is(n, -0) ? "0" : String(n);
}

/** The predictions as columns (see LabelColumn), and where each row is. */
export interface PredictionVectors {
  source: string;
  columns: Required<PredictionColumns>;
  rows: number;
  yTrue: LabelColumn;
  yPred: LabelColumn;
  yScore?: ScoreColumn;
  /** Per-class scores by column suffix (`y_score_setosa` → `setosa`). */
  classScores?: Record<string, ScoreColumn>;
  where(row: number): string;
}

/** The columns of a table read in memory (slices, monitoring data). */
export function vectorsOf(table: PredictionTable): PredictionVectors {
  const column = <C extends LabelColumn | ScoreColumn>(cells: string[], made: C): C => {
    for (const cell of cells) made.push(cell);
    return made;
  };
  return {
    source: table.source,
    columns: table.columns,
    rows: table.yTrue.length,
    yTrue: column(table.yTrue, new LabelColumn()),
    yPred: column(table.yPred, new LabelColumn()),
    ...(table.yScore ? { yScore: column(table.yScore, new ScoreColumn()) } : {}),
    ...(table.classScores
      ? {
          classScores: Object.fromEntries(
            Object.entries(table.classScores).map(([cls, cells]) => [cls, column(cells, new ScoreColumn())]),
          ),
        }
      : {}),
    where: (row) => whereOf(table, row),
  };
}

/**
 * Reads a predictions file as columns, streaming: memory is the columns' (about 12 bytes a row per
 * label column, 8 per score column, 4 for the line), not the file's text. The same parser, header
 * checks and errors as `parsePredictions`.
 */
export async function readPredictionVectors(
  file: string,
  options: { columns?: PredictionColumns; skipUnlabelled?: boolean } = {},
): Promise<PredictionVectors> {
  const columns = predictionColumns(options.columns);
  let lines = new Int32Array(1024);
  let layout: HeaderLayout | undefined;
  let vectors: PredictionVectors | undefined;
  const parser = createReadStream(file).pipe(parseStream(CSV_OPTIONS));
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      if (!layout) {
        layout = headerLayout(record, columns, `${file}:${info.lines}`);
        vectors = {
          source: file,
          columns,
          rows: 0,
          yTrue: new LabelColumn(),
          yPred: new LabelColumn(),
          ...(layout.score >= 0 ? { yScore: new ScoreColumn() } : {}),
          ...(layout.classScores.length > 0
            ? {
                classScores: Object.fromEntries(
                  layout.classScores.map(({ cls }) => [cls, new ScoreColumn()]),
                ),
              }
            : {}),
          where: (row) => `${file}:${lines[row]}`,
        };
        continue;
      }
      const v = vectors!;
      if (!checkRecord(record, layout, columns, () => `${file}:${info.lines}`, options.skipUnlabelled))
        continue;
      v.yTrue.push(record[layout.label]!);
      v.yPred.push(record[layout.prediction]!);
      v.yScore?.push(record[layout.score]!);
      for (const { cls, at } of layout.classScores) v.classScores![cls]!.push(record[at]!);
      if (v.rows === lines.length) lines = grow(lines);
      lines[v.rows++] = info.lines;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code && !(error instanceof CsvError))
      throw unreadablePredictions(file, error);
    throw csvUserError(error, file);
  }
  if (!vectors) throw new UserError("the predictions file is empty (no header)", { where: file });
  if (vectors.rows === 0 && !options.skipUnlabelled)
    throw new UserError("the predictions file has a header but no rows", { where: file });
  return vectors;
}

/** Reads a predictions file (streaming, see readPredictionVectors) and computes its metrics. */
export async function predictionMetricsFromFile(
  file: string,
  options: PredictionMetricsOptions & { columns?: PredictionColumns } = {},
): Promise<PredictionMetricsResult> {
  return computeVectorMetrics(await readPredictionVectors(file, { columns: options.columns }), options);
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
  return computeVectorMetrics(vectorsOf(table), options);
}

export function computeVectorMetrics(
  data: PredictionVectors,
  options: PredictionMetricsOptions = {},
): PredictionMetricsResult {
  if (data.rows === 0) throw new UserError("no rows to compute metrics from", { where: data.source });
  const regression =
    options.task === "regression" || (options.task === undefined && looksLikeRegression(data));
  return regression ? regressionMetrics(data) : classificationMetrics(data, options);
}

// --- task detection -----------------------------------------------------------------------------

function looksLikeRegression(data: PredictionVectors): boolean {
  if (!data.yTrue.allDecimal() || !data.yPred.allDecimal()) return false;
  const integral = (column: LabelColumn) => {
    for (let row = 0; row < data.rows; row++) if (!Number.isInteger(column.numbers[row]!)) return false;
    return true;
  };
  if (!integral(data.yTrue) || !integral(data.yPred)) return true;
  const distinct = new Set<number>();
  for (let row = 0; row < data.rows && distinct.size <= REGRESSION_MIN_DISTINCT; row++)
    distinct.add(data.yTrue.numbers[row]!);
  return distinct.size > REGRESSION_MIN_DISTINCT;
}

/** `1.0` → `1`, `True` → `true`; anything else as written. */
export function normalizeLabel(value: string | number | boolean): string {
  const text = String(value).trim();
  if (DECIMAL.test(text)) return canonicalNumber(Number(text));
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

/**
 * Each row's label as an index into `labels` (the distinct normalised labels of both columns, in
 * compareLabels order), computed once per distinct number or text.
 */
function labelIndices(data: PredictionVectors): {
  labels: string[];
  truth: Int32Array;
  predicted: Int32Array;
} {
  const seen = new Set<string>();
  const byNumber = new Map<number, string>();
  for (const column of [data.yTrue, data.yPred]) {
    for (const text of column.texts) seen.add(text);
    for (let row = 0; row < data.rows; row++) {
      if (column.code(row) >= 0) continue;
      const n = column.numbers[row]!;
      if (!byNumber.has(n)) {
        const label = canonicalNumber(n);
        byNumber.set(n, label);
        seen.add(label);
      }
    }
  }
  const labels = [...seen].sort(compareLabels);
  const index = new Map(labels.map((label, i) => [label, i]));
  const indices = (column: LabelColumn): Int32Array => {
    const out = new Int32Array(data.rows);
    const ofText = column.texts.map((text) => index.get(text)!);
    const ofNumber = new Map([...byNumber].map(([n, label]) => [n, index.get(label)!]));
    for (let row = 0; row < data.rows; row++) {
      const code = column.code(row);
      out[row] = code >= 0 ? ofText[code]! : ofNumber.get(column.numbers[row]!)!;
    }
    return out;
  };
  return { labels, truth: indices(data.yTrue), predicted: indices(data.yPred) };
}

function classificationMetrics(
  data: PredictionVectors,
  options: PredictionMetricsOptions,
): PredictionMetricsResult {
  const { labels: present, truth, predicted } = labelIndices(data);
  const n = data.rows;
  const declared = options.classes?.map(normalizeLabel);
  if (declared) {
    const known = new Set(declared);
    for (const [name, indices] of [
      [data.columns.label, truth],
      [data.columns.prediction, predicted],
    ] as const) {
      const unknown = new Set(present.flatMap((label, i) => (known.has(label) ? [] : [i])));
      if (unknown.size === 0) continue;
      const at = indices.findIndex((i) => unknown.has(i));
      if (at >= 0) {
        throw new UserError(
          `column "${name}": label "${present[indices[at]!]}" is not one of the declared classes (${declared.join(", ")})`,
          { where: data.where(at) },
        );
      }
    }
  }
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
  const stats = present.map(() => ({ tp: 0, predicted: 0, actual: 0 }));
  const counts = present.map(() => new Float64Array(present.length));
  let correct = 0;
  for (let row = 0; row < n; row++) {
    const t = truth[row]!;
    const p = predicted[row]!;
    stats[t]!.actual++;
    stats[p]!.predicted++;
    counts[t]![p]!++;
    if (t === p) {
      stats[t]!.tp++;
      correct++;
    }
  }
  const presentIndex = new Map(present.map((label, i) => [label, i]));
  const matrix = labels.map((t) =>
    labels.map((p) => {
      const ti = presentIndex.get(t);
      const pi = presentIndex.get(p);
      return ti === undefined || pi === undefined ? 0 : counts[ti]![pi]!;
    }),
  );
  const statsByLabel = new Map(present.map((label, i) => [label, stats[i]!]));
  const metrics: Metrics = { accuracy: correct / n };
  if (binary) {
    const s = statsByLabel.get(positive!) ?? { tp: 0, predicted: 0, actual: 0 };
    const { precision, recall, f1 } = scores(s);
    Object.assign(metrics, { precision, recall, f1 });
    if (options.allAverages) Object.assign(metrics, averagedScores(statsByLabel, present));
    const positiveIndex = presentIndex.get(positive!) ?? -1;
    binaryScoreMetrics(data, truth, predicted, positiveIndex, positive!, metrics, omitted);
  } else {
    Object.assign(metrics, averagedScores(statsByLabel, present));
    multiclassScoreMetrics(data, truth, present, metrics, omitted);
  }
  return {
    task: binary ? "binary" : "multiclass",
    rows: n,
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

/** A score column's values, or the UserError of its first cell that is not a finite number. */
function checkedScores(data: PredictionVectors, scores: ScoreColumn, column: string): Float64Array {
  const bad = scores.firstInvalid;
  if (bad) {
    throw new UserError(
      `column "${column}": ${bad.cell === "" ? "empty score" : `"${bad.cell}" is not a finite number`}`,
      { where: data.where(bad.row) },
    );
  }
  return scores.values.subarray(0, data.rows);
}

function binaryScoreMetrics(
  data: PredictionVectors,
  truth: Int32Array,
  predicted: Int32Array,
  positiveIndex: number,
  positive: string,
  metrics: Metrics,
  omitted: PredictionMetricsResult["omitted"],
): void {
  const column = data.columns.score;
  if (!data.yScore) {
    omitted.push({ metric: "roc_auc, log_loss", reason: `no "${column}" column` });
    return;
  }
  const score = checkedScores(data, data.yScore, column);
  const isPositive = new Uint8Array(data.rows);
  for (let row = 0; row < data.rows; row++) isPositive[row] = truth[row] === positiveIndex ? 1 : 0;
  let probabilities = true;
  for (const s of score) if (!(s >= 0 && s <= 1)) probabilities = false;
  if (probabilities && scoresFollowPrediction(score, predicted, positiveIndex)) {
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
      reason: `"${data.columns.label}" holds only one class: ROC AUC is undefined`,
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
function scoresFollowPrediction(score: Float64Array, predicted: Int32Array, positiveIndex: number): boolean {
  let maxNegative = -Infinity;
  let minPositive = Infinity;
  for (let row = 0; row < score.length; row++) {
    const s = score[row]!;
    if (!(s >= 0.5)) return false;
    if (predicted[row] === positiveIndex) minPositive = Math.min(minPositive, s);
    else maxNegative = Math.max(maxNegative, s);
  }
  return Number.isFinite(maxNegative) && Number.isFinite(minPositive) && maxNegative > minPositive;
}

/**
 * scikit-learn's trapezoidal ROC AUC as the Mann-Whitney U over positives × negatives, a tie counting
 * one half: each side's scores sorted (typed-array sorts, no index array), then one merge. U is a sum
 * of halves below 2^53, so exact, and equal to the average-rank formula.
 */
export function rocAuc(
  score: ArrayLike<number>,
  isPositive: ArrayLike<boolean | number>,
): number | undefined {
  let positives = 0;
  for (let i = 0; i < isPositive.length; i++) if (isPositive[i]) positives++;
  const negatives = isPositive.length - positives;
  if (positives === 0 || negatives === 0) return undefined;
  const pos = new Float64Array(positives);
  const neg = new Float64Array(negatives);
  for (let i = 0, p = 0, q = 0; i < isPositive.length; i++) {
    if (isPositive[i]) pos[p++] = score[i]!;
    else neg[q++] = score[i]!;
  }
  pos.sort();
  neg.sort();
  let u = 0;
  let below = 0;
  for (let i = 0; i < positives;) {
    const s = pos[i]!;
    let same = 1;
    while (i + same < positives && pos[i + same] === s) same++;
    while (below < negatives && neg[below]! < s) below++;
    let tied = 0;
    while (below + tied < negatives && neg[below + tied] === s) tied++;
    u += same * (below + tied / 2);
    i += same;
  }
  return u / (positives * negatives);
}

/** Probabilities are clipped to [ε, 1 − ε] with ε the float64 machine epsilon, as scikit-learn's `eps="auto"`. */
function clip(p: number): number {
  return Math.min(1 - Number.EPSILON, Math.max(Number.EPSILON, p));
}

function binaryLogLoss(score: Float64Array, isPositive: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < score.length; i++) {
    const p = clip(score[i]!);
    const q = 1 - p;
    // scikit-learn clips, then renormalises each row [1 − p, p] to sum to 1.
    sum -= Math.log((isPositive[i] ? p : q) / (p + q));
  }
  return sum / score.length;
}

function multiclassScoreMetrics(
  data: PredictionVectors,
  truth: Int32Array,
  present: string[],
  metrics: Metrics,
  omitted: PredictionMetricsResult["omitted"],
): void {
  const prefix = `${data.columns.score}_`;
  const byClass = new Map(
    Object.entries(data.classScores ?? {}).map(([cls, scores]) => [
      normalizeLabel(cls),
      { column: `${prefix}${cls}`, scores },
    ]),
  );
  const classes = [...byClass.keys()].sort(compareLabels);
  if (classes.length === 0) {
    omitted.push({
      metric: "roc_auc, log_loss",
      reason: data.yScore
        ? `one "${data.columns.score}" per row cannot rank every class: give one "${prefix}<class>" probability column per class`
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
    checkedScores(data, byClass.get(cls)!.scores, byClass.get(cls)!.column),
  );
  let rowSumOff = -1;
  let outside = false;
  for (let row = 0; row < data.rows; row++) {
    let sum = 0;
    for (const column of probabilities) {
      const p = column[row]!;
      sum += p;
      if (p < 0 || p > 1) outside = true;
    }
    if (rowSumOff < 0 && Math.abs(sum - 1) > 1e-8 + 1e-5) rowSumOff = row;
  }
  if (rowSumOff >= 0 || outside) {
    omitted.push({
      metric: "roc_auc, log_loss",
      reason: `the "${prefix}<class>" columns are not probabilities summing to 1${rowSumOff >= 0 ? ` (row at ${data.where(rowSumOff)})` : ""}`,
    });
    return;
  }
  // Each row's class as an index into `classes` (every present label has a column, checked above).
  const classOfPresent = present.map((label) => classes.indexOf(label));
  const trueClass = new Int32Array(data.rows);
  const occurs = new Set<number>();
  for (let row = 0; row < data.rows; row++) {
    trueClass[row] = classOfPresent[truth[row]!]!;
    occurs.add(trueClass[row]!);
  }
  if (classes.every((_, c) => occurs.has(c))) {
    // One-vs-rest, macro: every class against the rest, by its own probability column.
    const aucs = classes.map((_, c) => {
      const isClass = new Uint8Array(data.rows);
      for (let row = 0; row < data.rows; row++) isClass[row] = trueClass[row] === c ? 1 : 0;
      return rocAuc(probabilities[c]!, isClass)!;
    });
    metrics.roc_auc = aucs.reduce((a, b) => a + b, 0) / aucs.length;
  } else {
    omitted.push({
      metric: "roc_auc",
      reason: `some score classes never occur in "${data.columns.label}": one-vs-rest ROC AUC is undefined for them`,
    });
  }
  let sum = 0;
  const clipped = new Float64Array(classes.length);
  for (let row = 0; row < data.rows; row++) {
    let total = 0;
    for (let c = 0; c < classes.length; c++) total += clipped[c] = clip(probabilities[c]![row]!);
    sum -= Math.log(clipped[trueClass[row]!]! / total);
  }
  metrics.log_loss = sum / data.rows;
}

// --- regression ---------------------------------------------------------------------------------

function regressionMetrics(data: PredictionVectors): PredictionMetricsResult {
  const numbers = (column: LabelColumn, name: string): Float64Array => {
    const bad = column.firstNonFinite;
    if (bad) {
      throw new UserError(`column "${name}": "${bad.cell}" is not a finite number (the task is regression)`, {
        where: data.where(bad.row),
      });
    }
    return column.numbers.subarray(0, data.rows);
  };
  const yTrue = numbers(data.yTrue, data.columns.label);
  const yPred = numbers(data.yPred, data.columns.prediction);
  const n = data.rows;
  let absolute = 0;
  let squared = 0;
  let sumTrue = 0;
  for (let i = 0; i < n; i++) {
    absolute += Math.abs(yTrue[i]! - yPred[i]!);
    squared += (yTrue[i]! - yPred[i]!) ** 2;
    sumTrue += yTrue[i]!;
  }
  const metrics: Metrics = { mae: absolute / n, rmse: Math.sqrt(squared / n) };
  const omitted: PredictionMetricsResult["omitted"] = [];
  if (n < 2) {
    omitted.push({ metric: "r2", reason: "r² needs at least two rows" });
  } else {
    const mean = sumTrue / n;
    let total = 0;
    for (let i = 0; i < n; i++) total += (yTrue[i]! - mean) ** 2;
    // scikit-learn's force_finite: a constant y_true scores 1 when predicted exactly, else 0.
    metrics.r2 = total === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / total;
  }
  return { task: "regression", rows: n, metrics, omitted };
}
