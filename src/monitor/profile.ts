/**
 * Column profiles: the mergeable sufficient statistics that drift tests are computed from. A profile is
 * what a release stores as `profile.json` (the reference) and what monitoring computes from recent
 * production data (the current side), possibly in partitions that `mergeProfiles` combines.
 *
 * What is exact and what is approximate:
 * - counts (rows, nulls, NaN, ±Inf), min/max: exact; mean and variance merge with Chan et al.'s parallel
 *   algorithm (exact within floating-point error);
 * - value counts: exact for every distinct value while a column has at most `valueCap` distinct values
 *   (default 1000, so any reference of ≤ 1000 rows is kept exactly and the small-sample tests of Evidently
 *   are computed exactly); beyond the cap the `valueCap` most frequent values are kept and the rest is
 *   counted as "other" (then counts of kept values are lower bounds if partitions truncated differently);
 * - numeric distribution: a log-bucket sketch (see ./sketch) with relative accuracy α (default 0.5 %);
 *   the KS and Wasserstein error bounds it implies are stated there and reported per column.
 */
import { UserError } from "../util/errors";
import {
  defaultSketchSettings,
  LinearAccumulator,
  mergeLinearSketches,
  mergeSketches,
  SketchAccumulator,
  type LinearSketch,
  type LogSketch,
  type SketchSettings,
} from "./sketch";
import { characterCount, nonLetterShare, wordsOf } from "./text";

export const PROFILE_FORMAT = "gitml-profile";
export const PROFILE_VERSION = 1;

/** The physical kind of the values seen, merged over partitions along a small lattice. */
export type StorageKind = "null" | "boolean" | "integer" | "float" | "string";
/** The statistical type used to choose a drift test (Evidently's rules, see `inferColumnType`). */
export type ColumnType = "numeric" | "categorical" | "text" | "empty";
export type Value = string | number | boolean;

export interface ProfileSettings extends SketchSettings {
  /** Distinct values kept exactly per column; beyond it, the most frequent ones plus "other". */
  valueCap: number;
}

export const defaultProfileSettings: ProfileSettings = { ...defaultSketchSettings, valueCap: 1000 };

export interface NumericSummary {
  /** Finite values (NaN and ±Inf are counted on the column, not here). */
  count: number;
  min: number;
  max: number;
  mean: number;
  /** Sum of squared deviations from the mean (population variance = m2 / count). */
  m2: number;
  /** Σ|x|, for the Wasserstein error bound. */
  sumAbs: number;
  sketch: LogSketch;
  /** The uniform power-of-two grid (see ./sketch); optional: older profiles lack it. */
  linear?: LinearSketch;
}

export interface ValueCounts {
  /** [value, count], most frequent first (ties by value) so that the JSON is stable. */
  entries: Array<[Value, number]>;
  /** Non-null values not in `entries` (only when `complete` is false). */
  other: number;
  /** Number of distinct values; a lower bound when `complete` is false. */
  distinct: number;
  complete: boolean;
}

export interface ColumnProfile {
  name: string;
  kind: StorageKind;
  /** Rows, nulls included. */
  count: number;
  nulls: number;
  nan: number;
  posInf: number;
  negInf: number;
  numeric?: NumericSummary;
  /** Over non-null values; for numeric columns over finite values. */
  values: ValueCounts;
  /**
   * Text descriptors of a string column whose value counts were truncated (see `textSummaryOf`: with
   * complete counts they are derived when needed, so they are not stored). Optional: older profiles lack it.
   */
  text?: TextSummary;
}

/**
 * A string column's text descriptors (see ./text), each a column profile of its own so that they merge
 * and are tested like any column: per value, its length in characters, its number of words and its
 * share of non-letter characters; and the vocabulary, one entry per word occurrence.
 */
export interface TextSummary {
  length: ColumnProfile;
  wordCount: ColumnProfile;
  nonLetterShare: ColumnProfile;
  vocabulary: ColumnProfile;
}

export const TEXT_DESCRIPTORS = ["length", "wordCount", "nonLetterShare", "vocabulary"] as const;
export type TextDescriptor = (typeof TEXT_DESCRIPTORS)[number];

/**
 * The null distribution behind data-driven drift thresholds (`gitml profile --chunks k`): the reference
 * was profiled as k row ranges ("chunks"), and each chunk was tested against the merge of the others.
 * Per column and per test the k statistics are kept (not the chunk profiles: the statistic depends on
 * the reference alone, so this is all monitoring needs, at a fraction of the size). Optional.
 */
export interface ChunkStatistics {
  chunks: number;
  columns: Record<string, ColumnChunkStatistics>;
}

export interface ColumnChunkStatistics {
  /** Per sample: [usable values in the rest of the reference, usable values in the chunk]. */
  sizes: Array<[number, number]>;
  /** Per test name, the statistic per sample (null: the test did not apply, or was not finite). */
  statistics: Record<string, Array<number | null>>;
  /** Text columns: the same per text descriptor. */
  descriptors?: Partial<Record<TextDescriptor, ColumnChunkStatistics>>;
}

export interface DatasetProfile {
  format: typeof PROFILE_FORMAT;
  version: typeof PROFILE_VERSION;
  rows: number;
  settings: ProfileSettings;
  columns: ColumnProfile[];
  /** Data-driven threshold statistics, when the profile was made with chunks. Optional. */
  chunks?: ChunkStatistics;
}

const kindRank: Record<StorageKind, number> = { null: 0, boolean: 1, integer: 2, float: 3, string: 4 };

/** null ⊔ x = x; integer ⊔ float = float; any other mix is string (as a CSV reader would type it). */
export function mergeKinds(a: StorageKind, b: StorageKind): StorageKind {
  if (a === b) return a;
  if (a === "null") return b;
  if (b === "null") return a;
  const [lo, hi] = kindRank[a] < kindRank[b] ? [a, b] : [b, a];
  if (lo === "integer" && hi === "float") return "float";
  return "string";
}

function isNumericKind(kind: StorageKind): boolean {
  return kind === "integer" || kind === "float";
}

/** Evidently's limit: integers with more distinct values are numeric, with at most this many categorical. */
export const MAX_CATEGORICAL_INTEGERS = 10;

/**
 * Evidently's "text" rule for strings (`infer_column_type` in evidently/core/datasets.py, 0.7):
 * mostly unique, i.e. more than half of the non-null values distinct. Monitoring applies it as is: 50
 * unique strings are free text too, and taking them for categories would make chi-square infinite
 * (p = 0, drift) for any two samples of unique strings.
 */
export function isText(distinct: number, nonNull: number): boolean {
  return distinct > 0.5 * nonNull;
}

/**
 * The train/test checks' notion of free text: Evidently's rule over more than 100 distinct values, so
 * that the short code lists of a small test file stay categories there (a new category is what those
 * checks look for).
 */
export function isMostlyUnique(distinct: number, nonNull: number): boolean {
  return distinct > 100 && isText(distinct, nonNull);
}

/**
 * Evidently's type rules (`infer_column_type`, Evidently 0.7): floats are numeric; integers are
 * categorical with at most 10 distinct values, numeric otherwise; booleans are categorical; strings are
 * categorical, or text when mostly unique (more than half of the non-null values distinct).
 *
 * Deliberate differences (docs/monitoring.md, "Drift verdicts and Evidently"):
 * - the type comes from the reference profile, so that a column keeps its test from one run to the next
 *   (Evidently infers it from each current batch, where a small batch of a categorical column can look
 *   like text, or an integer code with 11 values in one batch like a number);
 * - the storage kind comes from the values, not from pandas' dtype: a column of whole numbers is integer
 *   whatever the file (`1.0` in a CSV, DOUBLE in Parquet, `1.0` in JSON, which JSON.parse makes 1), and
 *   a column with missing values keeps its kind (pandas turns integers with nulls into floats, so
 *   Evidently calls them numeric, and booleans with nulls into objects, which Evidently leaves out
 *   untested and uncounted; here they are tested on their non-null values like any other column).
 */
export function inferColumnType(column: ColumnProfile): ColumnType {
  const nonNull = column.count - column.nulls;
  const usable = isNumericKind(column.kind) ? (column.numeric?.count ?? 0) : nonNull;
  if (column.kind === "null" || usable === 0) return "empty";
  switch (column.kind) {
    case "float":
      return "numeric";
    case "integer":
      return column.values.complete && column.values.distinct <= MAX_CATEGORICAL_INTEGERS
        ? "categorical"
        : "numeric";
    case "boolean":
      return "categorical";
    case "string":
      return isText(column.values.distinct, nonNull) ? "text" : "categorical";
  }
}

function compareValues(a: Value, b: Value): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Builds the ValueCounts form from a full map, truncating to the cap. */
export function valueCountsFromMap(
  counts: Map<Value, number>,
  cap: number,
  options: { other?: number; knownIncomplete?: boolean; distinctAtLeast?: number } = {},
): ValueCounts {
  const entries = [...counts.entries()]
    .filter(([, c]) => c > 0)
    .sort((a, b) => b[1] - a[1] || compareValues(a[0], b[0]));
  const distinct = Math.max(entries.length, options.distinctAtLeast ?? 0);
  const kept = entries.slice(0, cap);
  const dropped = entries.slice(cap).reduce((s, [, c]) => s + c, 0);
  const complete = !options.knownIncomplete && entries.length <= cap;
  return { entries: kept, other: (options.other ?? 0) + dropped, distinct, complete };
}

function recastValue(value: Value, kind: StorageKind): Value {
  return kind === "string" ? String(value) : value;
}

function mergeValueCounts(a: ValueCounts, b: ValueCounts, kind: StorageKind, cap: number): ValueCounts {
  const counts = new Map<Value, number>();
  for (const vc of [a, b])
    for (const [v, c] of vc.entries) {
      const key = recastValue(v, kind);
      counts.set(key, (counts.get(key) ?? 0) + c);
    }
  return valueCountsFromMap(counts, cap, {
    other: a.other + b.other,
    knownIncomplete: !a.complete || !b.complete,
    distinctAtLeast: Math.max(a.distinct, b.distinct),
  });
}

function mergeNumeric(a: NumericSummary, b: NumericSummary, settings: SketchSettings): NumericSummary {
  if (a.count === 0) return { ...b, sketch: mergeSketches(a.sketch, b.sketch, settings) };
  if (b.count === 0) return { ...a, sketch: mergeSketches(a.sketch, b.sketch, settings) };
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  const merged: NumericSummary = {
    count,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    mean: a.mean + (delta * b.count) / count,
    m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / count,
    sumAbs: a.sumAbs + b.sumAbs,
    sketch: mergeSketches(a.sketch, b.sketch, settings),
  };
  // Only when both sides have it: a part without it (an older profile) leaves the merge without it.
  const linear = a.linear && b.linear && mergeLinearSketches(a.linear, b.linear, merged.min, merged.max);
  if (linear) merged.linear = linear;
  return merged;
}

export function emptyNumeric(): NumericSummary {
  return {
    count: 0,
    min: Infinity,
    max: -Infinity,
    mean: 0,
    m2: 0,
    sumAbs: 0,
    sketch: { zero: 0, positive: [], negative: [] },
  };
}

function allNullColumn(name: string, rows: number): ColumnProfile {
  return {
    name,
    kind: "null",
    count: rows,
    nulls: rows,
    nan: 0,
    posInf: 0,
    negInf: 0,
    values: { entries: [], other: 0, distinct: 0, complete: true },
  };
}

/** `describeText: false` for the text descriptors' own columns, which carry no text descriptors. */
export function mergeColumns(
  a: ColumnProfile,
  b: ColumnProfile,
  settings: ProfileSettings,
  describeText = true,
): ColumnProfile {
  const kind = mergeKinds(a.kind, b.kind);
  const merged: ColumnProfile = {
    name: a.name,
    kind,
    count: a.count + b.count,
    nulls: a.nulls + b.nulls,
    nan: a.nan + b.nan,
    posInf: a.posInf + b.posInf,
    negInf: a.negInf + b.negInf,
    values: mergeValueCounts(a.values, b.values, kind, settings.valueCap),
  };
  if (isNumericKind(kind))
    merged.numeric = mergeNumeric(a.numeric ?? emptyNumeric(), b.numeric ?? emptyNumeric(), settings);
  const text = describeText ? mergedTextSummary(a, b, merged, settings) : undefined;
  if (text) merged.text = text;
  return merged;
}

function sameSettings(a: ProfileSettings, b: ProfileSettings): boolean {
  return (
    a.relativeAccuracy === b.relativeAccuracy &&
    a.minIndexable === b.minIndexable &&
    a.valueCap === b.valueCap
  );
}

/**
 * Combines the profiles of two disjoint parts of a dataset into the profile of their union. Columns are
 * matched by name; a column missing from one side counts as null for that side's rows. Associative and
 * commutative up to floating-point rounding (column order follows first appearance).
 */
export function mergeProfiles(a: DatasetProfile, b: DatasetProfile): DatasetProfile {
  if (!sameSettings(a.settings, b.settings))
    throw new UserError(
      `cannot merge profiles made with different settings (${JSON.stringify(a.settings)} vs ${JSON.stringify(b.settings)})`,
    );
  const byName = new Map(b.columns.map((c) => [c.name, c]));
  const columns: ColumnProfile[] = [];
  for (const ca of a.columns) {
    const cb = byName.get(ca.name) ?? allNullColumn(ca.name, b.rows);
    columns.push(mergeColumns(ca, cb, a.settings));
    byName.delete(ca.name);
  }
  for (const cb of byName.values())
    columns.push(mergeColumns(allNullColumn(cb.name, a.rows), cb, a.settings));
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    rows: a.rows + b.rows,
    settings: a.settings,
    columns,
  };
}

export function mergeAllProfiles(profiles: DatasetProfile[]): DatasetProfile {
  if (profiles.length === 0) throw new UserError("no profiles to merge");
  return profiles.slice(1).reduce(mergeProfiles, profiles[0]!);
}

export function emptyProfile(settings: ProfileSettings = defaultProfileSettings): DatasetProfile {
  return { format: PROFILE_FORMAT, version: PROFILE_VERSION, rows: 0, settings, columns: [] };
}

/** Population standard deviation of the finite values (what np.std computes). */
export function populationStd(n: NumericSummary): number {
  return n.count > 0 ? Math.sqrt(Math.max(0, n.m2 / n.count)) : NaN;
}

/**
 * Reads a profile from parsed JSON, checking the format and version so that a future format is refused
 * with a clear message instead of being misread.
 */
export function parseProfile(json: unknown, where?: string): DatasetProfile {
  const p = json as Partial<DatasetProfile> | null;
  if (!p || typeof p !== "object" || p.format !== PROFILE_FORMAT)
    throw new UserError(`not a gitml profile (expected "format": "${PROFILE_FORMAT}")`, { where });
  if (p.version !== PROFILE_VERSION)
    throw new UserError(
      `unsupported profile version ${String(p.version)} (this gitml reads version ${PROFILE_VERSION})`,
      {
        where,
      },
    );
  if (!Array.isArray(p.columns) || typeof p.rows !== "number" || !p.settings)
    throw new UserError("profile is missing rows, settings or columns", { where });
  return p as DatasetProfile;
}

/** JSON cannot hold ±Infinity: an empty numeric summary's min/max are written as null and read back. */
export function profileToJson(profile: DatasetProfile): string {
  return JSON.stringify(profile, (_k, v: unknown) =>
    typeof v === "number" && !Number.isFinite(v) ? null : v,
  );
}

export function profileFromJson(text: string, where?: string): DatasetProfile {
  const profile = parseProfile(JSON.parse(text), where);
  for (const c of profile.columns)
    if (c.numeric && c.numeric.count === 0) {
      c.numeric.min = Infinity;
      c.numeric.max = -Infinity;
    }
  return profile;
}

/**
 * In-memory profile builder for records (JSON values): used for small inputs and as the reference
 * implementation the SQL engine is tested against. Memory grows with distinct values, not with rows.
 */
export class ProfileBuilder {
  private rows = 0;
  private readonly columns = new Map<string, ColumnAccumulator>();

  constructor(private readonly settings: ProfileSettings = defaultProfileSettings) {}

  addRecord(record: Record<string, unknown>): void {
    for (const [name, acc] of this.columns) if (!(name in record)) acc.add(null);
    for (const [name, value] of Object.entries(record)) {
      let acc = this.columns.get(name);
      if (!acc) {
        acc = new ColumnAccumulator(name, this.settings);
        acc.addNulls(this.rows);
        this.columns.set(name, acc);
      }
      acc.add(value);
    }
    this.rows++;
  }

  finish(): DatasetProfile {
    return {
      format: PROFILE_FORMAT,
      version: PROFILE_VERSION,
      rows: this.rows,
      settings: this.settings,
      columns: [...this.columns.values()].map((c) => c.finish()),
    };
  }
}

export function profileRecords(
  records: Iterable<Record<string, unknown>>,
  settings?: ProfileSettings,
): DatasetProfile {
  const builder = new ProfileBuilder(settings);
  for (const r of records) builder.addRecord(r);
  return builder.finish();
}

class ColumnAccumulator {
  private kind: StorageKind = "null";
  private count = 0;
  private nulls = 0;
  private nan = 0;
  private posInf = 0;
  private negInf = 0;
  private finite = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private sumAbs = 0;
  private readonly sketch: SketchAccumulator;
  private readonly linear = new LinearAccumulator();
  private readonly counts = new Map<Value, number>();

  constructor(
    private readonly name: string,
    private readonly settings: ProfileSettings,
  ) {
    this.sketch = new SketchAccumulator(settings);
  }

  addNulls(n: number): void {
    this.count += n;
    this.nulls += n;
  }

  add(value: unknown): void {
    this.count++;
    if (value === null || value === undefined || value === "") {
      this.nulls++;
      return;
    }
    if (typeof value === "number") {
      this.kind = mergeKinds(this.kind, Number.isInteger(value) ? "integer" : "float");
      if (Number.isNaN(value)) this.nan++;
      else if (value === Infinity) this.posInf++;
      else if (value === -Infinity) this.negInf++;
      else this.addFinite(value);
      return;
    }
    if (typeof value === "boolean") this.kind = mergeKinds(this.kind, "boolean");
    else this.kind = mergeKinds(this.kind, "string");
    const key: Value =
      typeof value === "boolean" ? value : typeof value === "string" ? value : JSON.stringify(value);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  private addFinite(x: number): void {
    this.finite++;
    const delta = x - this.mean;
    this.mean += delta / this.finite;
    this.m2 += delta * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    this.sumAbs += Math.abs(x);
    this.sketch.add(x);
    this.linear.add(x);
    this.counts.set(x, (this.counts.get(x) ?? 0) + 1);
  }

  finish(): ColumnProfile {
    const numeric = isNumericKind(this.kind);
    let counts = this.counts;
    if (this.kind === "string") {
      // A column that mixes numbers and strings is a string column: numbers become their text.
      counts = new Map();
      for (const [v, c] of this.counts) counts.set(String(v), (counts.get(String(v)) ?? 0) + c);
    }
    const column: ColumnProfile = {
      name: this.name,
      kind: this.kind,
      count: this.count,
      nulls: this.nulls,
      nan: this.nan,
      posInf: this.posInf,
      negInf: this.negInf,
      values: valueCountsFromMap(counts, this.settings.valueCap),
    };
    if (numeric) {
      column.numeric = {
        count: this.finite,
        min: this.min,
        max: this.max,
        mean: this.mean,
        m2: this.m2,
        sumAbs: this.sumAbs,
        sketch: this.sketch.toSketch(),
      };
      const linear = this.linear.toSketch(this.min, this.max);
      if (linear) column.numeric.linear = linear;
    }
    // Truncated counts can no longer give the text descriptors, so they are kept beside them.
    if (this.kind === "string" && !column.values.complete)
      column.text = textSummaryOfCounts(counts, this.settings);
    return column;
  }
}

/**
 * Accumulates the text descriptors of a string column (see ./text), one value (or one distinct value
 * with its count) at a time: the hook a reader calls for string columns with more distinct values than
 * the profile's value cap. Memory grows with distinct words and distinct descriptor values, not rows.
 */
export class TextSummaryBuilder {
  private readonly length = new Map<number, number>();
  private readonly wordCount = new Map<number, number>();
  private readonly nonLetterShare = new Map<number, number>();
  private readonly vocabulary = new Map<Value, number>();

  constructor(private readonly settings: ProfileSettings = defaultProfileSettings) {}

  add(text: string, count = 1): void {
    if (count <= 0) return;
    const words = wordsOf(text);
    addCount(this.length, characterCount(text), count);
    addCount(this.wordCount, words.length, count);
    addCount(this.nonLetterShare, nonLetterShare(text), count);
    for (const word of words) addCount(this.vocabulary, word, count);
  }

  finish(): TextSummary {
    const cap = this.settings.valueCap;
    const words = [...this.vocabulary.values()].reduce((s, c) => s + c, 0);
    return {
      length: numericColumnOfCounts("length", "integer", this.length, this.settings),
      wordCount: numericColumnOfCounts("wordCount", "integer", this.wordCount, this.settings),
      nonLetterShare: numericColumnOfCounts("nonLetterShare", "float", this.nonLetterShare, this.settings),
      vocabulary: {
        name: "vocabulary",
        kind: words > 0 ? "string" : "null",
        count: words,
        nulls: 0,
        nan: 0,
        posInf: 0,
        negInf: 0,
        values: valueCountsFromMap(this.vocabulary, cap),
      },
    };
  }
}

function addCount<K>(map: Map<K, number>, key: K, count: number): void {
  map.set(key, (map.get(key) ?? 0) + count);
}

/** An exact numeric column profile of weighted values (every value finite). */
function numericColumnOfCounts(
  name: string,
  kind: "integer" | "float",
  counts: Map<number, number>,
  settings: ProfileSettings,
): ColumnProfile {
  const summary = emptyNumeric();
  const sketch = new SketchAccumulator(settings);
  const linear = new LinearAccumulator();
  for (const [x, c] of counts) {
    // Chan et al.'s merge of a block of c equal values (mean x, no spread) into the running summary.
    const total = summary.count + c;
    const delta = x - summary.mean;
    summary.m2 += (delta * delta * summary.count * c) / total;
    summary.mean += (delta * c) / total;
    summary.count = total;
    summary.min = Math.min(summary.min, x);
    summary.max = Math.max(summary.max, x);
    summary.sumAbs += Math.abs(x) * c;
    sketch.add(x, c);
    linear.add(x, c);
  }
  summary.sketch = sketch.toSketch();
  const linearSketch = linear.toSketch(summary.min, summary.max);
  if (linearSketch) summary.linear = linearSketch;
  const column: ColumnProfile = {
    name,
    kind: summary.count > 0 ? kind : "null",
    count: summary.count,
    nulls: 0,
    nan: 0,
    posInf: 0,
    negInf: 0,
    values: valueCountsFromMap(counts, settings.valueCap),
  };
  if (summary.count > 0) column.numeric = summary;
  return column;
}

/** Text descriptors of distinct values with their counts. */
export function textSummaryOfCounts(
  counts: Iterable<[Value, number]>,
  settings: ProfileSettings = defaultProfileSettings,
): TextSummary {
  const builder = new TextSummaryBuilder(settings);
  for (const [value, count] of counts) builder.add(String(value), count);
  return builder.finish();
}

/**
 * A column's text descriptors: the stored ones, or derived from its value counts when those are
 * complete (exact); undefined when neither is possible (a reader that does not compute them, or a
 * profile made before they existed).
 */
export function textSummaryOf(
  column: ColumnProfile,
  settings: ProfileSettings = defaultProfileSettings,
): TextSummary | undefined {
  if (column.text) return column.text;
  if (column.values.complete) return textSummaryOfCounts(column.values.entries, settings);
  return undefined;
}

function mergedTextSummary(
  a: ColumnProfile,
  b: ColumnProfile,
  merged: ColumnProfile,
  settings: ProfileSettings,
): TextSummary | undefined {
  if (merged.kind !== "string" || merged.values.complete) return undefined;
  const ta = textSummaryOf(a, settings);
  const tb = textSummaryOf(b, settings);
  if (!ta || !tb) return undefined;
  return {
    length: mergeColumns(ta.length, tb.length, settings, false),
    wordCount: mergeColumns(ta.wordCount, tb.wordCount, settings, false),
    nonLetterShare: mergeColumns(ta.nonLetterShare, tb.nonLetterShare, settings, false),
    vocabulary: mergeColumns(ta.vocabulary, tb.vocabulary, settings, false),
  };
}
