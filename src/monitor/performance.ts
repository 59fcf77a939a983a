/**
 * Performance decay: when production data has its labels (and the model's predictions) in it, the
 * monitored metric is computed on it exactly as `gitml evaluate` computes metrics from predictions
 * (src/evaluate/predictions.ts) and compared with the monitored version's own value of that metric,
 * as registered (tag metadata). It has decayed when it is worse by more than the tolerance, "worse"
 * following the gates' direction rules (`rmse` lower is better, `f1_macro` higher).
 *
 * Labels often arrive late: rows whose label is empty or null are left out, and with no labelled row
 * at all there is no performance to report (not an error).
 *
 * The three columns are read with DuckDB (as the profiles are, so the same files, globs and formats
 * work), streamed into typed columns (see PredictionVectors): memory is about 30 bytes a labelled row.
 */
import { defaultDirection, type Direction } from "../evaluate/gates";
import type { Metrics } from "../evaluate/metrics";
import {
  computePredictionMetrics,
  computeVectorMetrics,
  LabelColumn,
  predictionColumns,
  ScoreColumn,
  type PredictionColumns,
  type PredictionMetricsOptions,
  type PredictionTable,
  type PredictionTask,
  type PredictionVectors,
} from "../evaluate/predictions";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { readErrorOf } from "./read/checks";
import { globFiles, openDataEngine, quoteIdent, textReaderSql } from "./read/engine";
import { assertJsonDepth, formatOf, isGlob, type DataFormat } from "./read/files";

export const DEFAULT_PERFORMANCE_TOLERANCE = 0.05;

export interface PerformanceResult {
  metric: string;
  /** The monitored version's value; null when it has none for this metric. */
  reference: number | null;
  /** The value on the labelled current data; null when the metric is undefined there (see `note`). */
  current: number | null;
  /** current − reference. */
  delta: number | null;
  tolerance: number;
  /** True when `current` is worse than `reference` by more than `tolerance`. */
  decayed: boolean;
  direction: Direction;
  /** Null when the labelled data could not be read or measured (see `note`). */
  task: PredictionTask | null;
  /** Labelled rows the metric was computed on. */
  rows: number;
  /** Why there is no verdict, when there is none. */
  note?: string;
}

export interface AssessPerformanceOptions {
  /** The labelled current data (as `readLabelledData` streams it, or a table read in memory). */
  current: PredictionVectors | PredictionTable;
  /** The monitored version's metrics (registered with it). */
  referenceMetrics?: Metrics;
  /** Default `accuracy` (classification) or `rmse` (regression). */
  metric?: string;
  /** Absolute; default 0.05. */
  tolerance?: number;
  /** The model's task, positive class and classes, as for `outputs.predictions`. */
  predictions?: Omit<PredictionMetricsOptions, "allAverages">;
  /** Names the monitored version in notes, e.g. `churn@v1.4.0`. */
  referenceName?: string;
}

/** Computes the monitored metric on the current data and compares it with the reference value. */
export function assessPerformance(options: AssessPerformanceOptions): PerformanceResult {
  const tolerance = options.tolerance ?? DEFAULT_PERFORMANCE_TOLERANCE;
  const metricsOptions = { ...options.predictions, allAverages: true };
  const { current: data } = options;
  const computed =
    data.yTrue instanceof LabelColumn
      ? computeVectorMetrics(data as PredictionVectors, metricsOptions)
      : computePredictionMetrics(data as PredictionTable, metricsOptions);
  const metric = options.metric ?? (computed.task === "regression" ? "rmse" : "accuracy");
  const direction = defaultDirection(metric);
  const current = computed.metrics[metric] ?? null;
  const reference = options.referenceMetrics?.[metric] ?? null;
  const base = { metric, tolerance, direction, task: computed.task, rows: computed.rows, reference, current };
  if (current === null) {
    const why = computed.omitted.find((o) => o.metric.split(", ").includes(metric))?.reason;
    return {
      ...base,
      delta: null,
      decayed: false,
      note: `${metric} cannot be computed on the current data (${computed.task})${why ? `: ${why}` : ""}`,
    };
  }
  if (reference === null) {
    return {
      ...base,
      delta: null,
      decayed: false,
      note: `${options.referenceName ?? "the monitored version"} has no registered ${metric} to compare with`,
    };
  }
  const delta = current - reference;
  const worseBy = direction === "higher" ? -delta : delta;
  return { ...base, delta, decayed: worseBy > tolerance };
}

/**
 * A performance result without a verdict, for labelled data that could not be measured (a label outside
 * the declared classes, a prediction missing in a labelled row): the monitoring report goes on and says why.
 */
export function unmeasuredPerformance(options: {
  metric?: string;
  tolerance?: number;
  reason: string;
}): PerformanceResult {
  const metric = options.metric ?? "accuracy";
  return {
    metric,
    reference: null,
    current: null,
    delta: null,
    tolerance: options.tolerance ?? DEFAULT_PERFORMANCE_TOLERANCE,
    decayed: false,
    direction: defaultDirection(metric),
    task: null,
    rows: 0,
    note: `performance could not be measured: ${options.reason}`,
  };
}

/**
 * Reads the label, prediction and score columns of data files (a path or glob; CSV, TSV, JSON Lines,
 * Parquet). Returns undefined when the data has no label or no prediction column: there is nothing to
 * measure, which is normal before labels arrive.
 */
export async function readLabelledData(options: {
  path: string;
  columns?: PredictionColumns;
  format?: DataFormat;
  logger?: Logger;
}): Promise<PredictionVectors | undefined> {
  const columns = predictionColumns(options.columns);
  const format = options.format ?? formatOf(options.path);
  const engine = await openDataEngine();
  const { connection } = engine;
  try {
    if (format === "jsonl") {
      const files = isGlob(options.path) ? await globFiles(connection, options.path) : [options.path];
      for (const file of files) await assertJsonDepth(file);
    }
    const source = textReaderSql(format, options.path);
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    const names = new Set(described.getRowObjectsJS().map((row) => String(row.column_name)));
    const missing = [columns.label, columns.prediction].filter((name) => !names.has(name));
    if (missing.length > 0) {
      options.logger?.debug(
        `${options.path}: no ${missing.join(" / ")} column, so no performance to measure`,
      );
      return undefined;
    }
    const text = (name: string) => `trim(CAST(${quoteIdent(name)} AS VARCHAR))`;
    const hasScore = names.has(columns.score);
    const selected = [
      text(columns.label),
      `coalesce(${text(columns.prediction)}, '')`,
      hasScore ? `coalesce(${text(columns.score)}, '')` : "NULL",
      "filename",
    ];
    const labelled = `WHERE ${text(columns.label)} IS NOT NULL AND ${text(columns.label)} <> ''`;
    const result = await connection.stream(`SELECT ${selected.join(", ")} FROM ${source} ${labelled}`);
    // Each row's file, as an index into `files` (where an error points).
    const files: string[] = [];
    const fileIndex = new Map<string, number>();
    let fileOf = new Int32Array(1024);
    const vectors: PredictionVectors = {
      source: options.path,
      columns,
      rows: 0,
      yTrue: new LabelColumn(),
      yPred: new LabelColumn(),
      ...(hasScore ? { yScore: new ScoreColumn() } : {}),
      where: (row) => files[fileOf[row]!]!,
    };
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const [label, prediction, score, file] = [0, 1, 2, 3].map((i) => chunk.getColumnVector(i));
      for (let row = 0; row < chunk.rowCount; row++) {
        const where = String(file!.getItem(row));
        if (prediction!.getItem(row) === "") {
          throw new UserError(`column "${columns.prediction}" is empty in a labelled row`, { where });
        }
        let index = fileIndex.get(where);
        if (index === undefined) {
          fileIndex.set(where, (index = files.length));
          files.push(where);
        }
        vectors.yTrue.push(String(label!.getItem(row)));
        vectors.yPred.push(String(prediction!.getItem(row)));
        vectors.yScore?.push(String(score!.getItem(row)));
        if (vectors.rows === fileOf.length) {
          const bigger = new Int32Array(fileOf.length * 2);
          bigger.set(fileOf);
          fileOf = bigger;
        }
        fileOf[vectors.rows++] = index;
      }
    }
    // A streamed result that fails part-way ends like a finished one (the C API gives no error): a
    // count, not streamed, throws the error instead of measuring part of the rows.
    const counted = await connection
      .runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM ${source} ${labelled}`)
      .catch((error: unknown) => {
        throw (
          readErrorOf(
            error,
            (file, line) => `${file ?? options.path}${line === undefined ? "" : `:${line}`}`,
          ) ??
          new UserError(`cannot read the labelled data: ${String(error).split("\n")[0]}`, {
            where: options.path,
            cause: error,
          })
        );
      });
    const expected = Number(counted.getRowObjectsJS()[0]?.n);
    if (expected !== vectors.rows)
      throw new UserError(
        `reading stopped after ${vectors.rows} of ${expected} labelled rows: the data is damaged`,
        {
          where: options.path,
        },
      );
    return vectors;
  } finally {
    engine.close();
  }
}
