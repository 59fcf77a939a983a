/**
 * Monitoring history: one small, versioned JSON record per model per monitoring run, kept where a later
 * build (the catalog site) can read it — locally under `.gitml/monitoring/<model>/`, on GitHub on the
 * `gitml-monitoring` branch (written by the monitor action, see src/commands/monitoring-history.ts).
 *
 * Records are written by gitml, but they hold strings that come from data and config (column names, error
 * messages, URLs) and they sit in places anyone with write access can edit: the reader trusts nothing.
 * Every record is checked for shape, types and sizes before it is returned; a file that fails is skipped
 * with a warning naming it, never thrown, so one bad file cannot take a site build down. Consumers still
 * escape every string they show.
 *
 * Layout (the same in the folder and on the branch):
 *   <model, URI-encoded>/<ranAt without - and :>-<8 hex of the record's sha256>.json
 *   e.g. churn/20261206T072519.123Z-1a2b3c4d.json
 * The file name starts with the run's time, so names sort oldest first and retention keeps the last N.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { isValidName, isValidStage, isValidVersion } from "../registry/names";
import type { Logger } from "../util/logger";
import type { AlertUpdate } from "./alerts";
import type { PerformanceResult } from "./performance";
import type { ColumnDrift, DriftReport } from "./tests/detect";
import { testDefaults } from "./tests/stattests";

/** What a record says it is, so a stray JSON file is not mistaken for one. */
export const MONITORING_RECORD_KIND = "gitml.monitoring-run";
export const MONITORING_SCHEMA_VERSION = 1;
/** Records kept per model (the oldest are removed as new ones are written): about 3 months of daily runs. */
export const DEFAULT_HISTORY_RETENTION = 100;
/** Drifted columns a record keeps, the most drifted first. */
export const TOP_DRIFTED_COLUMNS = 10;
/** The folder under the project root holding the local history. */
export const LOCAL_HISTORY_DIR = path.join(".gitml", "monitoring");
/** The branch holding the history on GitHub. */
export const HISTORY_BRANCH = "gitml-monitoring";

/** A record file bigger than this is not read (gitml writes a few KB at most). */
export const MAX_RECORD_BYTES = 64 * 1024;
/** Longest string the writer keeps for free text (errors, reasons, notes); the reader allows a little more. */
const MAX_TEXT = 2000;
const MAX_COLUMN_NAME = 200;
const MAX_URL = 2048;
const MAX_SHORT = 200;

/**
 * - `drift`: dataset drift or schema drift (performance may have decayed too);
 * - `decay`: the data did not drift, but performance on labelled data decayed beyond the tolerance;
 * - `ok`: neither;
 * - `error`: the run failed (no data, no reference, a bug): `error` says why.
 */
export type MonitoringVerdict = "drift" | "decay" | "ok" | "error";

export type AlertState = "open" | "closed" | "none" | "unknown";

/** A drifted column as the history keeps it. `score` is what was compared with `threshold`. */
export interface RecordedColumn {
  name: string;
  type: string;
  test: string | null;
  statistic: number | null;
  pValue: number | null;
  /** The p-value for a p-value test with a fixed threshold, else the statistic (|z| for the z-test). */
  score: number | null;
  scoreKind: "p_value" | "statistic";
  threshold: number | null;
  drifted: boolean;
  /** Why the column could not be tested. */
  error: string | null;
}

export interface RecordedDrift {
  datasetDrift: boolean;
  schemaDrift: boolean;
  schemaDriftReason: string | null;
  /** Share of drifted columns, 0..1. */
  share: number;
  /** The share at or above which the dataset drifted (monitor.drift_share). */
  driftShare: number;
  driftedColumns: number;
  totalColumns: number;
  columnErrors: number;
  undecidedColumns: number;
  /** The most drifted columns (at most TOP_DRIFTED_COLUMNS), most drifted first. */
  topColumns: RecordedColumn[];
}

export interface RecordedPerformance {
  metric: string;
  reference: number | null;
  current: number | null;
  delta: number | null;
  tolerance: number;
  decayed: boolean;
  direction: string;
  /** Labelled rows measured. */
  rows: number;
  note: string | null;
}

export interface RecordedAlert {
  /** `unknown` when the run failed before the alert was looked at. */
  state: AlertState;
  action: AlertUpdate["action"] | null;
  url: string | null;
  number: number | null;
}

export interface MonitoringRecord {
  schemaVersion: typeof MONITORING_SCHEMA_VERSION;
  kind: typeof MONITORING_RECORD_KIND;
  model: string;
  /** The version monitored (the one in `stage`); null when the run failed before it was known. */
  version: string | null;
  stage: string;
  /** ISO 8601 UTC, when the run ended. */
  ranAt: string;
  runUrl: string | null;
  verdict: MonitoringVerdict;
  rows: { reference: number; current: number } | null;
  drift: RecordedDrift | null;
  /** Drift of the model's prediction column, when the current data has it. */
  predictionDrift: RecordedColumn | null;
  /** Performance on labelled current data, when it had labels. */
  performance: RecordedPerformance | null;
  alert: RecordedAlert;
  /** Why the run failed (verdict `error`). */
  error: string | null;
}

/** What a monitoring run knew about one model, as `monitorEach` returns it. */
export interface MonitoredRun {
  model: string;
  version?: string;
  stage: string;
  drift: DriftReport;
  performance?: PerformanceResult;
  predictionColumn?: string;
  alert: AlertUpdate;
  rows?: { reference: number; current: number };
}

function finite(value: number | null | undefined): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function clip(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** Only http(s) URLs are kept: anything else (javascript:, data:) is dropped. */
function safeUrl(url: string | undefined | null): string | null {
  if (!url || url.length > MAX_URL) return null;
  return /^https?:\/\/[^\s]+$/i.test(url) ? url : null;
}

/** The value a column's threshold was compared with, and what it is. */
function scoreOf(column: ColumnDrift): { score: number | null; scoreKind: RecordedColumn["scoreKind"] } {
  const kind = column.test && column.test in testDefaults ? testDefaults[column.test].kind : "distance";
  if (kind === "p_value" && column.threshold_source !== "data" && column.p_value !== undefined)
    return { score: finite(column.p_value), scoreKind: "p_value" };
  const statistic = finite(column.statistic);
  return {
    score: statistic === null ? null : column.test === "z" ? Math.abs(statistic) : statistic,
    scoreKind: "statistic",
  };
}

/** How far past its threshold a column is (> 1 beyond it), comparable across tests. */
function severity(column: RecordedColumn): number {
  if (column.score === null || column.threshold === null) return 0;
  if (column.scoreKind === "p_value") return column.threshold / Math.max(column.score, 1e-300);
  return column.threshold === 0 ? Infinity : column.score / column.threshold;
}

function recordedColumn(column: ColumnDrift): RecordedColumn {
  return {
    name: clip(column.name, MAX_COLUMN_NAME),
    type: clip(column.type, MAX_SHORT),
    test: column.test,
    statistic: finite(column.statistic),
    pValue: finite(column.p_value),
    ...scoreOf(column),
    threshold: finite(column.threshold),
    drifted: column.drift,
    error: column.error ? clip(column.error, MAX_TEXT) : null,
  };
}

/** The drifted columns, most drifted first (ties by name), at most `limit`. */
export function topDriftedColumns(drift: DriftReport, limit = TOP_DRIFTED_COLUMNS): RecordedColumn[] {
  return drift.columns
    .filter((c) => c.drift)
    .map(recordedColumn)
    .sort((a, b) => severity(b) - severity(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, limit);
}

function alertState(alert: AlertUpdate, alerting: boolean): AlertState {
  if (alert.action === "opened" || alert.action === "updated" || alert.action === "commented") return "open";
  if (alert.action === "closed") return "closed";
  // Nothing changed: an alert that was open stays open while the model alerts (a sink that was not
  // asked, e.g. issues turned off, also says none).
  return alerting && (alert.url !== undefined || alert.file !== undefined) ? "open" : "none";
}

/**
 * The record of one model's monitoring run. `error`: a step after the verdict failed (the alert, the
 * retraining dispatch); the verdict stands, and `alertKnown: false` says the alert was not brought in step.
 */
export function monitoringRecordOf(
  run: MonitoredRun,
  options: { ranAt?: Date; runUrl?: string; error?: string; alertKnown?: boolean } = {},
): MonitoringRecord {
  const { drift, performance } = run;
  const dataDrift = drift.dataset_drift || drift.schema_drift === true;
  const decayed = performance?.decayed === true;
  const prediction = run.predictionColumn
    ? drift.columns.find((c) => c.name === run.predictionColumn)
    : undefined;
  return {
    schemaVersion: MONITORING_SCHEMA_VERSION,
    kind: MONITORING_RECORD_KIND,
    model: run.model,
    version: run.version ?? null,
    stage: run.stage,
    ranAt: (options.ranAt ?? new Date()).toISOString(),
    runUrl: safeUrl(options.runUrl),
    verdict: dataDrift ? "drift" : decayed ? "decay" : "ok",
    rows: run.rows ? { reference: run.rows.reference, current: run.rows.current } : null,
    drift: {
      datasetDrift: drift.dataset_drift,
      schemaDrift: drift.schema_drift === true,
      schemaDriftReason: drift.schema_drift_reason ? clip(drift.schema_drift_reason, MAX_TEXT) : null,
      share: finite(drift.share_of_drifted_columns) ?? 0,
      driftShare: finite(drift.drift_share) ?? 0,
      driftedColumns: drift.number_of_drifted_columns,
      totalColumns: drift.number_of_columns,
      columnErrors: drift.number_of_column_errors,
      undecidedColumns: drift.number_of_undecided_columns,
      topColumns: topDriftedColumns(drift),
    },
    predictionDrift: prediction ? recordedColumn(prediction) : null,
    performance: performance
      ? {
          metric: clip(performance.metric, MAX_SHORT),
          reference: finite(performance.reference),
          current: finite(performance.current),
          delta: finite(performance.delta),
          tolerance: finite(performance.tolerance) ?? 0,
          decayed,
          direction: performance.direction,
          rows: performance.rows,
          note: performance.note ? clip(performance.note, MAX_TEXT) : null,
        }
      : null,
    alert:
      options.alertKnown === false
        ? { state: "unknown", action: null, url: null, number: null }
        : {
            state: alertState(run.alert, dataDrift || decayed),
            action: run.alert.action,
            url: safeUrl(run.alert.url),
            number: typeof run.alert.number === "number" ? run.alert.number : null,
          },
    error: options.error ? clip(options.error, MAX_TEXT) : null,
  };
}

/** The record of a run that could not monitor the model: no verdict on the data, the reason why. */
export function failedMonitoringRecord(options: {
  model: string;
  stage: string;
  error: string;
  version?: string;
  ranAt?: Date;
  runUrl?: string;
}): MonitoringRecord {
  return {
    schemaVersion: MONITORING_SCHEMA_VERSION,
    kind: MONITORING_RECORD_KIND,
    model: options.model,
    version: options.version ?? null,
    stage: options.stage,
    ranAt: (options.ranAt ?? new Date()).toISOString(),
    runUrl: safeUrl(options.runUrl),
    verdict: "error",
    rows: null,
    drift: null,
    predictionDrift: null,
    performance: null,
    alert: { state: "unknown", action: null, url: null, number: null },
    error: clip(options.error || "the run failed", MAX_TEXT),
  };
}

// ---------------------------------------------------------------------------------------------------
// Validation

/** Why a value is not a valid record; thrown inside the validator only. */
class Invalid extends Error {}

type Json = unknown;

function object(value: Json, where: string): Record<string, Json> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Invalid(`${where} is not an object`);
  return value as Record<string, Json>;
}

function text(value: Json, where: string, limit: number): string {
  if (typeof value !== "string") throw new Invalid(`${where} is not a string`);
  if (value.length > limit) throw new Invalid(`${where} is longer than ${limit} characters`);
  return value;
}

function optionalText(value: Json, where: string, limit: number): string | null {
  return value === null || value === undefined ? null : text(value, where, limit);
}

function number(value: Json, where: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new Invalid(`${where} is not a number`);
  return value;
}

function optionalNumber(value: Json, where: string): number | null {
  return value === null || value === undefined ? null : number(value, where);
}

function count(value: Json, where: string): number {
  const n = number(value, where);
  if (!Number.isSafeInteger(n) || n < 0) throw new Invalid(`${where} is not a count`);
  return n;
}

function flag(value: Json, where: string): boolean {
  if (typeof value !== "boolean") throw new Invalid(`${where} is not true or false`);
  return value;
}

function oneOf<T extends string>(value: Json, where: string, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value))
    throw new Invalid(`${where} is not one of ${allowed.join(", ")}`);
  return value as T;
}

function url(value: Json, where: string): string | null {
  const given = optionalText(value, where, MAX_URL);
  if (given === null) return null;
  if (safeUrl(given) === null) throw new Invalid(`${where} is not an http(s) URL`);
  return given;
}

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z$/;

function validColumn(value: Json, where: string): RecordedColumn {
  const c = object(value, where);
  return {
    name: text(c.name, `${where}.name`, MAX_COLUMN_NAME + 50),
    type: text(c.type, `${where}.type`, MAX_SHORT),
    test: optionalText(c.test, `${where}.test`, MAX_SHORT),
    statistic: optionalNumber(c.statistic, `${where}.statistic`),
    pValue: optionalNumber(c.pValue, `${where}.pValue`),
    score: optionalNumber(c.score, `${where}.score`),
    scoreKind: oneOf(c.scoreKind, `${where}.scoreKind`, ["p_value", "statistic"] as const),
    threshold: optionalNumber(c.threshold, `${where}.threshold`),
    drifted: flag(c.drifted, `${where}.drifted`),
    error: optionalText(c.error, `${where}.error`, MAX_TEXT + 50),
  };
}

function validDrift(value: Json): RecordedDrift | null {
  if (value === null) return null;
  const d = object(value, "drift");
  const top = d.topColumns;
  if (!Array.isArray(top)) throw new Invalid("drift.topColumns is not a list");
  if (top.length > 50) throw new Invalid("drift.topColumns has more than 50 columns");
  const share = number(d.share, "drift.share");
  if (share < 0 || share > 1) throw new Invalid("drift.share is not between 0 and 1");
  return {
    datasetDrift: flag(d.datasetDrift, "drift.datasetDrift"),
    schemaDrift: flag(d.schemaDrift, "drift.schemaDrift"),
    schemaDriftReason: optionalText(d.schemaDriftReason, "drift.schemaDriftReason", MAX_TEXT + 50),
    share,
    driftShare: number(d.driftShare, "drift.driftShare"),
    driftedColumns: count(d.driftedColumns, "drift.driftedColumns"),
    totalColumns: count(d.totalColumns, "drift.totalColumns"),
    columnErrors: count(d.columnErrors, "drift.columnErrors"),
    undecidedColumns: count(d.undecidedColumns, "drift.undecidedColumns"),
    topColumns: top.map((c, i) => validColumn(c, `drift.topColumns[${i}]`)),
  };
}

function validPerformance(value: Json): RecordedPerformance | null {
  if (value === null || value === undefined) return null;
  const p = object(value, "performance");
  return {
    metric: text(p.metric, "performance.metric", MAX_SHORT),
    reference: optionalNumber(p.reference, "performance.reference"),
    current: optionalNumber(p.current, "performance.current"),
    delta: optionalNumber(p.delta, "performance.delta"),
    tolerance: number(p.tolerance, "performance.tolerance"),
    decayed: flag(p.decayed, "performance.decayed"),
    direction: text(p.direction, "performance.direction", MAX_SHORT),
    rows: count(p.rows, "performance.rows"),
    note: optionalText(p.note, "performance.note", MAX_TEXT + 50),
  };
}

function validAlert(value: Json): RecordedAlert {
  const a = object(value, "alert");
  const issue = optionalNumber(a.number, "alert.number");
  if (issue !== null && (!Number.isSafeInteger(issue) || issue <= 0))
    throw new Invalid("alert.number is not an issue number");
  return {
    state: oneOf(a.state, "alert.state", ["open", "closed", "none", "unknown"] as const),
    action:
      a.action === null || a.action === undefined
        ? null
        : oneOf(a.action, "alert.action", ["opened", "updated", "commented", "closed", "none"] as const),
    url: url(a.url, "alert.url"),
    number: issue,
  };
}

/**
 * The record in `value`, checked field by field; throws an Error saying which field is wrong. Fields a
 * later gitml may add are dropped: only what this version knows is returned.
 */
export function parseMonitoringRecord(value: unknown): MonitoringRecord {
  try {
    const r = object(value, "the record");
    if (r.kind !== MONITORING_RECORD_KIND) throw new Invalid(`kind is not ${MONITORING_RECORD_KIND}`);
    if (r.schemaVersion !== MONITORING_SCHEMA_VERSION)
      throw new Invalid(
        `schemaVersion ${JSON.stringify(r.schemaVersion)} is not ${MONITORING_SCHEMA_VERSION} (written by another gitml version?)`,
      );
    const model = text(r.model, "model", 300);
    if (!isValidName(model, false)) throw new Invalid("model is not a valid model name");
    const version = optionalText(r.version, "version", 100);
    if (version !== null && !isValidVersion(version)) throw new Invalid("version is not a valid version");
    const stage = text(r.stage, "stage", 100);
    if (!isValidStage(stage, false)) throw new Invalid("stage is not a valid stage");
    const ranAt = text(r.ranAt, "ranAt", 40);
    if (!ISO_UTC.test(ranAt) || !Number.isFinite(Date.parse(ranAt)))
      throw new Invalid("ranAt is not an ISO 8601 UTC time");
    const rows =
      r.rows === null || r.rows === undefined
        ? null
        : {
            reference: count(object(r.rows, "rows").reference, "rows.reference"),
            current: count(object(r.rows, "rows").current, "rows.current"),
          };
    const verdict = oneOf(r.verdict, "verdict", ["drift", "decay", "ok", "error"] as const);
    const drift = validDrift(r.drift ?? null);
    if (verdict !== "error" && drift === null) throw new Invalid(`a '${verdict}' record has no drift`);
    return {
      schemaVersion: MONITORING_SCHEMA_VERSION,
      kind: MONITORING_RECORD_KIND,
      model,
      version,
      stage,
      ranAt,
      runUrl: url(r.runUrl, "runUrl"),
      verdict,
      rows,
      drift,
      predictionDrift:
        r.predictionDrift === null || r.predictionDrift === undefined
          ? null
          : validColumn(r.predictionDrift, "predictionDrift"),
      performance: validPerformance(r.performance),
      alert: validAlert(r.alert),
      error: optionalText(r.error, "error", MAX_TEXT + 50),
    };
  } catch (error) {
    if (error instanceof Invalid) throw new Error(error.message);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------
// Layout

/** The folder a model's records are kept in: the name URI-encoded, so `dir:a/b` stays one folder. */
export function modelFolder(model: string): string {
  return encodeURIComponent(model);
}

const RECORD_FILE = /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}\.json$/;

/** Whether `name` is a record file name gitml writes (foreign files are neither read nor pruned). */
export function isRecordFileName(name: string): boolean {
  return RECORD_FILE.test(name);
}

/**
 * `<model folder>/<time>-<digest>.json`, '/'-separated, the digest of the record's bytes: the same record
 * always has the same name (writing it twice, e.g. a re-run job pushing again, adds nothing), two runs in
 * the same millisecond have two. Only for valid model names (never `.` or `..`).
 */
export function recordPath(record: MonitoringRecord): string {
  if (!isValidName(record.model, false))
    throw new Error(`'${record.model}' is not a model name: no monitoring record is kept for it`);
  const time = new Date(record.ranAt).toISOString().replace(/[-:]/g, "");
  const digest = createHash("sha256").update(serializeRecord(record)).digest("hex").slice(0, 8);
  return `${modelFolder(record.model)}/${time}-${digest}.json`;
}

export function serializeRecord(record: MonitoringRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/**
 * Of one model folder's file names, those retention removes: every record file but the newest `keep`
 * (names sort by time). Files gitml did not write are left alone.
 */
export function namesBeyondRetention(names: readonly string[], keep: number): string[] {
  const records = names.filter(isRecordFileName).sort();
  return records.slice(0, Math.max(0, records.length - Math.max(1, keep)));
}

// ---------------------------------------------------------------------------------------------------
// Reading

export interface SkippedRecord {
  /** The file (a path, or `<ref>:<path>` on a branch). */
  file: string;
  reason: string;
}

export interface MonitoringHistory {
  /** Each model's runs, newest first. */
  models: Map<string, MonitoringRecord[]>;
  /** Files that were not valid records, and why (each also logged as a warning). */
  skipped: SkippedRecord[];
}

/** A file to read as a record: its path in the layout ('/'-separated) and its text. */
export interface RecordFile {
  path: string;
  /** How to name it in a warning. */
  label: string;
  text: string;
}

/** Newest first: by time, then by file name (same-millisecond runs keep a stable order). */
function newestFirst(
  a: { record: MonitoringRecord; path: string },
  b: { record: MonitoringRecord; path: string },
) {
  const byTime = Date.parse(b.record.ranAt) - Date.parse(a.record.ranAt);
  return byTime !== 0 ? byTime : a.path < b.path ? 1 : a.path > b.path ? -1 : 0;
}

/** Validates record files and groups them per model, newest first; invalid files are skipped and named. */
export function historyOfFiles(files: Iterable<RecordFile>, logger?: Logger): MonitoringHistory {
  const kept = new Map<string, Array<{ record: MonitoringRecord; path: string }>>();
  const skipped: SkippedRecord[] = [];
  const skip = (file: string, reason: string) => {
    skipped.push({ file, reason });
    logger?.warning(`monitoring history: skipped ${file}: ${reason}`);
  };
  for (const file of files) {
    const parts = file.path.split("/");
    if (parts.length !== 2) {
      skip(file.label, "not in a model's folder");
      continue;
    }
    let record: MonitoringRecord;
    try {
      if (Buffer.byteLength(file.text) > MAX_RECORD_BYTES)
        throw new Error(`larger than ${MAX_RECORD_BYTES} bytes`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(file.text);
      } catch {
        throw new Error("not valid JSON");
      }
      record = parseMonitoringRecord(parsed);
    } catch (error) {
      skip(file.label, (error as Error).message);
      continue;
    }
    if (modelFolder(record.model) !== parts[0]) {
      skip(file.label, `a record of model ${JSON.stringify(record.model)} in another model's folder`);
      continue;
    }
    const runs = kept.get(record.model) ?? [];
    runs.push({ record, path: file.path });
    kept.set(record.model, runs);
  }
  const models = new Map<string, MonitoringRecord[]>();
  for (const [model, runs] of [...kept].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    models.set(
      model,
      runs.sort(newestFirst).map((r) => r.record),
    );
  return { models, skipped };
}

export interface ReadHistoryOptions {
  /** Only these models (default every model with records). */
  models?: readonly string[];
  /** Told of every skipped file. */
  logger?: Logger;
}

/**
 * The monitoring history kept in a folder (default layout `.gitml/monitoring`): each model's runs,
 * newest first. A missing folder is an empty history.
 */
export async function readLocalHistory(
  dir: string,
  options: ReadHistoryOptions = {},
): Promise<MonitoringHistory> {
  const folders = await fs.readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return [];
    throw error;
  });
  const wanted = options.models ? new Set(options.models.map(modelFolder)) : undefined;
  const files: RecordFile[] = [];
  const skipped: SkippedRecord[] = [];
  for (const folder of folders) {
    if (!folder.isDirectory() || (wanted && !wanted.has(folder.name))) continue;
    const folderPath = path.join(dir, folder.name);
    for (const entry of await fs.readdir(folderPath, { withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".json")) continue;
      const file = path.join(folderPath, entry.name);
      const size = (await fs.stat(file)).size;
      if (size > MAX_RECORD_BYTES) {
        skipped.push({ file, reason: `larger than ${MAX_RECORD_BYTES} bytes` });
        options.logger?.warning(`monitoring history: skipped ${file}: larger than ${MAX_RECORD_BYTES} bytes`);
        continue;
      }
      files.push({
        path: `${folder.name}/${entry.name}`,
        label: file,
        text: await fs.readFile(file, "utf8"),
      });
    }
  }
  const history = historyOfFiles(files, options.logger);
  return { models: history.models, skipped: [...skipped, ...history.skipped] };
}

// ---------------------------------------------------------------------------------------------------
// Writing (locally)

/**
 * Adds records to the history folder (each written to a temporary file, then renamed, so a reader never
 * sees half a record) and removes each model's oldest records beyond `retention`. Returns the files written.
 */
export async function writeLocalHistory(
  dir: string,
  records: readonly MonitoringRecord[],
  options: { retention?: number } = {},
): Promise<string[]> {
  const retention = options.retention ?? DEFAULT_HISTORY_RETENTION;
  const written: string[] = [];
  const touched = new Set<string>();
  for (const record of records) {
    const relative = recordPath(record);
    const file = path.join(dir, ...relative.split("/"));
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    await fs.writeFile(temporary, serializeRecord(record));
    await fs.rename(temporary, file);
    written.push(file);
    touched.add(path.dirname(file));
  }
  for (const folder of touched) {
    const names = await fs.readdir(folder);
    for (const name of namesBeyondRetention(names, retention))
      await fs.rm(path.join(folder, name), { force: true });
  }
  return written;
}

// ---------------------------------------------------------------------------------------------------
// Summary (what the catalog's index shows per model)

export interface MonitoringStatus {
  /** The last run's verdict, or `not-monitored` when there is no record. */
  status: MonitoringVerdict | "not-monitored";
  lastRun: MonitoringRecord | undefined;
  /** The alert issue (or file) open after the last run that looked at it. */
  openAlert: { url: string | null; number: number | null } | undefined;
}

/** A model's monitoring status from its runs (newest first, as the readers return them). */
export function monitoringStatus(runs: readonly MonitoringRecord[] | undefined): MonitoringStatus {
  const lastRun = runs?.[0];
  if (!lastRun) return { status: "not-monitored", lastRun: undefined, openAlert: undefined };
  // A failed run did not look at the alert: the last run that did says whether one is open.
  const known = runs.find((r) => r.alert.state !== "unknown");
  const openAlert =
    known?.alert.state === "open" ? { url: known.alert.url, number: known.alert.number } : undefined;
  return { status: lastRun.verdict, lastRun, openAlert };
}
