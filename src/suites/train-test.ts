/**
 * Checks between a training and a test set (issue #7 §4): categories the model never saw, label drift,
 * test rows leaked from training, and the relative size of the two sets. Both sets come from SuiteData,
 * so each file is parsed once per evaluation however many checks read it; every statistic is one DuckDB
 * query, except label drift, which reuses monitoring's profiles and drift tests so that the two agree.
 *
 * A check that cannot be evaluated (missing file, column or label) becomes an `error` finding: a
 * suite never crashes the evaluation over the data it was pointed at.
 */
import { detectDrift } from "../monitor/tests/detect";
import { testDefaults, type TestName } from "../monitor/tests/stattests";
import {
  defaultProfileSettings,
  emptyProfile,
  inferColumnType,
  isMostlyUnique,
  MAX_CATEGORICAL_INTEGERS,
  mergeColumns,
  ProfileBuilder,
  profileRecords,
  type ColumnProfile,
  type DatasetProfile,
} from "../monitor/profile";
import { formatNumber } from "../util/format";
import { describeUserError, isUserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { quoteIdent, typeFamily, type LoadedTable, type SuiteData, type TableColumn } from "./data";
import type { TrainTestConfig } from "./schema";
import type { CellValue, CheckResult } from "./types";

export type TrainTestCheck = "new_categories" | "label_drift" | "leakage" | "size_ratio";

const CHECK_ORDER: TrainTestCheck[] = ["new_categories", "label_drift", "leakage", "size_ratio"];

const CHECK_NAMES: Record<TrainTestCheck, string> = {
  new_categories: "new categories in test",
  label_drift: "label drift between train and test",
  leakage: "train/test leakage",
  size_ratio: "test/train size ratio",
};

const TEST_LABELS: Record<TestName, string> = {
  ks: "Kolmogorov–Smirnov test",
  chisquare: "chi-square test",
  z: "z-test for proportions",
  wasserstein: "normalised Wasserstein distance",
  jensenshannon: "Jensen–Shannon distance",
  psi: "PSI",
  kl_div: "KL divergence",
  hellinger: "Hellinger distance",
};

const MAX_EXAMPLES = 5;
/** Up to this many distinct label values, the label's profile is built by merging (see labelProfile). */
const MAX_MERGED_LABEL_VALUES = 100;
const LEAKED_ROW_EXAMPLES = 3;
const MAX_COLUMNS_PER_EXAMPLE = 6;
const MAX_CELL_CHARS = 40;

export interface TrainTestOptions {
  data: SuiteData;
  config: TrainTestConfig;
  /** Where each check was declared (copied into its results' `suite`). */
  suiteOf: (check: TrainTestCheck) => string;
  logger?: Logger;
}

/** Runs every check present in `config` (in a fixed order), one result each. */
export async function runTrainTestChecks(options: TrainTestOptions): Promise<CheckResult[]> {
  const { data, config, logger } = options;
  const configured = CHECK_ORDER.filter((check) => config[check] !== undefined);
  if (configured.length === 0) return [];

  const result = (check: TrainTestCheck, outcome: Outcome): CheckResult => {
    const required = config[check]?.required ?? true;
    return {
      id: `train_test:${check}`,
      kind: "train_test",
      name: check === "label_drift" && config.label ? `label drift of ${config.label}` : CHECK_NAMES[check],
      suite: options.suiteOf(check),
      data: config.test,
      severity: required ? "error" : "warning",
      ...outcome,
    };
  };

  const loaded: LoadedTable[] = [];
  for (const name of [config.train, config.test]) {
    try {
      loaded.push(await data.table(name));
    } catch (error) {
      if (!isUserError(error)) throw error;
      const detail = `Cannot read the \`${name}\` data (${describeUserError(error)}), so the check could not run.`;
      return configured.map((check) =>
        result(check, { status: "error", rule: ruleWithoutData(check, config), detail }),
      );
    }
  }
  const [train, test] = loaded as [LoadedTable, LoadedTable];

  const sides: Sides = { data, train, test, logger };
  const results: CheckResult[] = [];
  for (const check of configured) {
    let outcome: Outcome;
    try {
      outcome = await runCheck(check, sides, config);
    } catch (error) {
      if (!(error instanceof QueryError)) throw error;
      logger?.debug(`train_test.${check}: ${error.message}`);
      outcome = {
        status: "error",
        rule: ruleWithoutData(check, config),
        detail: `The check could not be evaluated: ${error.message}.`,
      };
    }
    results.push(result(check, outcome));
  }
  return results;
}

type Outcome = Pick<
  CheckResult,
  "status" | "rule" | "detail" | "observed" | "column" | "examples" | "failingFraction"
>;

interface Sides {
  data: SuiteData;
  train: LoadedTable;
  test: LoadedTable;
  logger?: Logger;
}

function runCheck(check: TrainTestCheck, sides: Sides, config: TrainTestConfig): Promise<Outcome> {
  switch (check) {
    case "new_categories":
      return newCategories(sides, config.new_categories!.max_share);
    case "label_drift":
      return labelDrift(sides, config.label, config.label_drift!);
    case "leakage":
      return leakage(sides, config.leakage!.max_share, config.leakage!.ignore_columns ?? []);
    case "size_ratio":
      return Promise.resolve(sizeRatio(sides, config.size_ratio!));
  }
}

function ruleWithoutData(check: TrainTestCheck, config: TrainTestConfig): string {
  switch (check) {
    case "new_categories":
      return shareRule(config.new_categories!.max_share, NEW_CATEGORY_RULE);
    case "label_drift":
      return driftRule(config.label_drift!.test, config.label_drift!.threshold);
    case "leakage":
      return shareRule(config.leakage!.max_share, LEAKAGE_RULE);
    case "size_ratio":
      return boundsRule(config.size_ratio!.min, config.size_ratio!.max);
  }
}

// ---------------------------------------------------------------------------------------------------
// Queries

/** A DuckDB failure on the user's data (an odd type, say): it becomes an `error` finding on that check. */
class QueryError extends Error {
  override readonly name = "QueryError";
}

async function query(data: SuiteData, sql: string): Promise<Array<Record<string, unknown>>> {
  try {
    return await data.query(sql);
  } catch (error) {
    throw new QueryError((error instanceof Error ? error.message : String(error)).split("\n")[0]!, {
      cause: error,
    });
  }
}

const isIntegerType = (type: string): boolean => typeFamily(type) === "integer";
const isFloatType = (type: string): boolean => typeFamily(type) === "float";
const isNumericType = (type: string): boolean => isIntegerType(type) || isFloatType(type);
const isStringType = (type: string): boolean => typeFamily(type) === "string";

/**
 * The SQL that makes a column comparable across the two files: as it is when both have the same type,
 * as DOUBLE when both are numbers (a BIGINT 3 equals a DOUBLE 3.0), else as text.
 */
function comparable(trainType: string, testType: string): (expression: string) => string {
  if (trainType === testType) return (e) => e;
  if (isNumericType(trainType) && isNumericType(testType)) return (e) => `CAST(${e} AS DOUBLE)`;
  return (e) => `CAST(${e} AS VARCHAR)`;
}

function sharedColumns(train: LoadedTable, test: LoadedTable): Array<[TableColumn, TableColumn]> {
  const testByName = new Map(test.columns.map((c) => [c.name, c]));
  return train.columns.flatMap((c) => {
    const other = testByName.get(c.name);
    return other ? [[c, other] as [TableColumn, TableColumn]] : [];
  });
}

/** Counts are cast to DOUBLE in SQL; Number() also covers a BIGINT that slips through as bigint. */
const toNumber = (value: unknown): number => Number(value);

function toCell(value: unknown): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return value;
  if (typeof value === "bigint")
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : String(value);
  return String(value);
}

// ---------------------------------------------------------------------------------------------------
// new_categories

interface CategoryFinding {
  column: string;
  unseenRows: number;
  distinctUnseen: number;
  examples: CellValue[];
}

/**
 * The categorical columns of training, by monitoring's rules (Evidently's): strings and booleans, and
 * integers with at most 10 distinct values; strings that are mostly unique are text (ids, free text) and
 * dates are ordered, so neither is compared. A column with no value in training has no type to go by.
 */
function isCategory(column: TableColumn, nonNull: number, distinct: number, whole: boolean): boolean {
  return (
    column.type === "BOOLEAN" ||
    (isStringType(column.type) && !isMostlyUnique(distinct, nonNull)) ||
    (isIntegerType(column.type) && distinct <= MAX_CATEGORICAL_INTEGERS) ||
    (isFloatType(column.type) && whole && distinct <= MAX_CATEGORICAL_INTEGERS)
  );
}

/**
 * An exact count(DISTINCT) of every column of training costs a hash table of values per column, built on
 * one thread (≈ 1 s for 200k rows × 50 columns, several at 1M), mostly for measurements, ids and free
 * text that are plainly not categories. So columns are first ruled out on cheaper evidence:
 * - a number with a fraction, or with more than 10 distinct values among the first SAMPLE_ROWS rows (a
 *   lower bound of its count): exact;
 * - a string mostly distinct among those rows (the others are not estimated) whose HyperLogLog estimate (approx_count_distinct) exceeds TEXT_ESTIMATE_MARGIN times the
 *   most values a category may have (half its rows): DuckDB's estimate is within ≈ 15% (64 registers;
 *   16% was the worst seen on 1M unique strings), so a column with at most half its rows distinct would
 *   need an estimate 50% too high, over 3 standard errors, to be taken for text.
 * Every other column gets an exact count (distinctCount) and is judged on that; only categories are
 * then searched for unseen values (unseenCategories).
 */
const TEXT_ESTIMATE_MARGIN = 1.5;
const SAMPLE_ROWS = 4096;

interface CategoryCandidates {
  /** Columns that may be categorical: their exact distinct count decides. */
  maybe: Array<{ pair: [TableColumn, TableColumn]; nonNull: number; whole: boolean }>;
  empty: string[];
}

async function categoryCandidates(
  sides: Sides,
  shared: Array<[TableColumn, TableColumn]>,
): Promise<CategoryCandidates> {
  let candidates = shared.filter(
    ([c]) => isStringType(c.type) || c.type === "BOOLEAN" || isNumericType(c.type),
  );
  const sampled = candidates.filter(([c]) => c.type !== "BOOLEAN");
  /** Strings mostly distinct in the sample: only these are worth an estimate over every row. */
  const textLike = new Set<[TableColumn, TableColumn]>();
  if (sampled.length > 0) {
    const selects = sampled.flatMap(([c], i) => {
      const col = quoteIdent(c.name);
      const parts = [`count(DISTINCT ${col})::DOUBLE AS s${i}`];
      if (isFloatType(c.type)) parts.push(`bool_and(${wholeSql(col)}) AS w${i}`);
      if (isStringType(c.type)) parts.push(`count(${col})::DOUBLE AS n${i}`);
      return parts;
    });
    const [sample] = await query(
      sides.data,
      `SELECT ${selects.join(", ")}
       FROM (SELECT ${sampled.map(([c]) => quoteIdent(c.name)).join(", ")} FROM ${sides.train.sql} LIMIT ${SAMPLE_ROWS})`,
    );
    const ruledOut = new Set<[TableColumn, TableColumn]>();
    sampled.forEach((pair, i) => {
      const distinct = toNumber(sample![`s${i}`]);
      if (isStringType(pair[0].type)) {
        if (isMostlyUnique(distinct, toNumber(sample![`n${i}`]))) textLike.add(pair);
      } else if (distinct > MAX_CATEGORICAL_INTEGERS || sample![`w${i}`] === false) ruledOut.add(pair);
    });
    candidates = candidates.filter((pair) => !ruledOut.has(pair));
  }
  if (candidates.length === 0) return { maybe: [], empty: [] };
  const selects = candidates.flatMap((pair, i) => {
    const [c] = pair;
    const col = quoteIdent(c.name);
    const parts = [`count(${col})::DOUBLE AS n${i}`];
    if (isFloatType(c.type)) parts.push(`coalesce(bool_and(${wholeSql(col)}), true) AS w${i}`);
    if (textLike.has(pair)) parts.push(`approx_count_distinct(${col})::DOUBLE AS e${i}`);
    return parts;
  });
  const [stats] = await query(sides.data, `SELECT ${selects.join(", ")} FROM ${sides.train.sql}`);
  const empty: string[] = [];
  const maybe: CategoryCandidates["maybe"] = [];
  candidates.forEach((pair, i) => {
    const [column] = pair;
    const nonNull = toNumber(stats![`n${i}`]);
    const whole = !isFloatType(column.type) || stats![`w${i}`] === true;
    if (nonNull === 0) empty.push(column.name);
    else if (!whole) return;
    else if (textLike.has(pair) && isMostlyUnique(toNumber(stats![`e${i}`]) / TEXT_ESTIMATE_MARGIN, nonNull))
      return;
    else maybe.push({ pair, nonNull, whole });
  });
  return { maybe, empty };
}

const wholeSql = (col: string): string => `isfinite(${col}::DOUBLE) AND ${col} = trunc(${col})`;

/** The exact number of distinct training values of a column. */
async function distinctCount(sides: Sides, column: TableColumn): Promise<number> {
  const [row] = await query(
    sides.data,
    `SELECT count(DISTINCT ${quoteIdent(column.name)})::DOUBLE AS d FROM ${sides.train.sql}`,
  );
  return toNumber(row!.d);
}

/**
 * The test values the training column lacks: how many rows and values, and the most frequent few.
 * Two plain queries rather than one with window functions over the anti join: that form made DuckDB
 * 1.5.5 fail now and then on several threads with an internal error ("Attempted to access index 1
 * within vector of size 1").
 */
async function unseenCategories(
  sides: Sides,
  [trainColumn, testColumn]: [TableColumn, TableColumn],
): Promise<CategoryFinding> {
  const as = comparable(trainColumn.type, testColumn.type);
  const col = quoteIdent(testColumn.name);
  // Test values are counted before they are looked up.
  const unseen = `SELECT tv.v, tv.n FROM (
      SELECT ${col} AS v, count(*) AS n FROM ${sides.test.sql} WHERE ${col} IS NOT NULL GROUP BY ${col}) tv
    WHERE NOT EXISTS (
      SELECT 1 FROM (SELECT DISTINCT ${quoteIdent(trainColumn.name)} AS v FROM ${sides.train.sql}) seen
      WHERE ${as("seen.v")} = ${as("tv.v")})`;
  const [totals] = await query(
    sides.data,
    `SELECT coalesce(sum(n), 0)::DOUBLE AS total, count(*)::DOUBLE AS kinds FROM (${unseen})`,
  );
  const unseenRows = toNumber(totals!.total);
  const distinctUnseen = toNumber(totals!.kinds);
  if (distinctUnseen === 0) return { column: testColumn.name, unseenRows, distinctUnseen, examples: [] };
  const top = await query(
    sides.data,
    `SELECT v FROM (${unseen}) ORDER BY n DESC, CAST(v AS VARCHAR) LIMIT ${MAX_EXAMPLES}`,
  );
  return { column: testColumn.name, unseenRows, distinctUnseen, examples: top.map((r) => toCell(r.v)) };
}

async function newCategories(sides: Sides, maxShare: number): Promise<Outcome> {
  const rule = shareRule(maxShare, NEW_CATEGORY_RULE);
  const shared = sharedColumns(sides.train, sides.test);
  const { maybe, empty } = await categoryCandidates(sides, shared);
  const categorical: Array<[TableColumn, TableColumn]> = [];
  const findings: CategoryFinding[] = [];
  for (const { pair, nonNull, whole } of maybe) {
    if (!isCategory(pair[0], nonNull, await distinctCount(sides, pair[0]), whole)) continue;
    categorical.push(pair);
    findings.push(await unseenCategories(sides, pair));
  }
  const skipped =
    empty.length > 0 ? ` (not compared, no value in training: ${nameList(empty.map(code))})` : "";
  if (categorical.length === 0)
    return {
      status: "pass",
      rule,
      observed: 0,
      detail: `No categorical column is in both \`${sides.train.name}\` and \`${sides.test.name}\`, so there was nothing to compare${skipped}.`,
    };
  const testRows = sides.test.rows;
  const share = (f: CategoryFinding): number => (testRows > 0 ? f.unseenRows / testRows : 0);
  const withNew = findings.filter((f) => f.unseenRows > 0).sort((a, b) => b.unseenRows - a.unseenRows);
  if (withNew.length === 0)
    return {
      status: "pass",
      rule,
      observed: 0,
      detail: `Every ${sides.test.name} value of the ${plural(categorical.length, "categorical column")} (${nameList(categorical.map(([c]) => code(c.name)))}) occurs in ${sides.train.name}${skipped}.`,
    };
  const worst = withNew[0]!;
  const failing = withNew.filter((f) => share(f) > maxShare);
  const listed = withNew
    .map(
      (f) =>
        `${code(f.column)} ${formatShare(share(f))} (${plural(f.unseenRows, "row")}, ${plural(f.distinctUnseen, "new value")})`,
    )
    .join(", ");
  const verdict =
    failing.length > 0
      ? `, above the allowed ${formatShare(maxShare)}`
      : `, within the allowed ${formatShare(maxShare)}`;
  return {
    status: failing.length > 0 ? "fail" : "pass",
    rule,
    column: worst.column,
    observed: share(worst),
    failingFraction: share(worst),
    examples: worst.examples,
    detail: `Test rows with a category never seen in ${sides.train.name}: ${listed}${verdict}${skipped}.`,
  };
}

// ---------------------------------------------------------------------------------------------------
// label_drift

/** The label's values as monitoring profiles them: numbers as DOUBLE (integer-ness comes from the data). */
function labelExpression(column: TableColumn): string {
  const col = quoteIdent(column.name);
  if (isNumericType(column.type)) return `CAST(${col} AS DOUBLE)`;
  if (column.type === "BOOLEAN") return col;
  return `CAST(${col} AS VARCHAR)`;
}

/** The label column's profile, from the value counts DuckDB returns (see profileFromCounts). */
async function labelProfile(
  sides: Sides,
  table: LoadedTable,
  column: TableColumn,
): Promise<ColumnProfile | undefined> {
  const rows = await query(
    sides.data,
    `SELECT ${labelExpression(column)} AS v, count(*)::DOUBLE AS n FROM ${table.sql} GROUP BY 1 ORDER BY 1 NULLS FIRST`,
  );
  return profileFromCounts(
    column.name,
    rows.map((row) => [toCell(row.v), toNumber(row.n)]),
  );
}

/**
 * The column profile monitoring's ProfileBuilder makes of these values (each repeated `count` times);
 * undefined for no values at all. A class label (few values, many rows) is built from one record per
 * value, scaled and merged with monitoring's exact mergeColumns (≈ 1 ms instead of ≈ 0.4 s per million
 * rows); a label with many values has about as many values as rows, so its records are added one by one.
 */
export function profileFromCounts(
  name: string,
  counts: Array<[CellValue, number]>,
): ColumnProfile | undefined {
  const settings = defaultProfileSettings;
  if (counts.length <= MAX_MERGED_LABEL_VALUES) {
    let merged: ColumnProfile | undefined;
    for (const [value, count] of counts) {
      const single = profileRecords([{ [name]: value }], settings).columns[0]!;
      const part = repeated(single, count);
      merged = merged ? mergeColumns(merged, part, settings) : part;
    }
    return merged;
  }
  const builder = new ProfileBuilder(settings);
  for (const [value, count] of counts) {
    const record = { [name]: value };
    for (let k = count; k > 0; k--) builder.addRecord(record);
  }
  return builder.finish().columns[0];
}

/** The profile of `times` copies of the one-row profile `single` (every count scales; m2 stays 0). */
function repeated(single: ColumnProfile, times: number): ColumnProfile {
  const scale = <K>(entries: Array<[K, number]>): Array<[K, number]> =>
    entries.map(([key, count]) => [key, count * times]);
  const column: ColumnProfile = {
    ...single,
    count: single.count * times,
    nulls: single.nulls * times,
    nan: single.nan * times,
    posInf: single.posInf * times,
    negInf: single.negInf * times,
    values: { ...single.values, entries: scale(single.values.entries), other: single.values.other * times },
  };
  if (single.numeric) {
    const { sketch, linear } = single.numeric;
    column.numeric = {
      ...single.numeric,
      count: single.numeric.count * times,
      sumAbs: single.numeric.sumAbs * times,
      sketch: {
        zero: sketch.zero * times,
        positive: scale(sketch.positive),
        negative: scale(sketch.negative),
      },
    };
    if (linear) column.numeric.linear = { ...linear, counts: linear.counts.map((c) => c * times) };
  }
  return column;
}

async function labelDrift(
  sides: Sides,
  label: string | undefined,
  config: NonNullable<TrainTestConfig["label_drift"]>,
): Promise<Outcome> {
  const rule = driftRule(config.test, config.threshold);
  if (label === undefined)
    return {
      status: "error",
      rule,
      detail: "Label drift needs the label column: set `train_test.label` to its name.",
    };
  const missingFrom = [sides.train, sides.test].filter((t) => !t.columns.some((c) => c.name === label));
  if (missingFrom.length > 0)
    return {
      status: "error",
      rule,
      column: label,
      detail: `The label column ${code(label)} is missing from ${nameList(missingFrom.map((t) => `\`${t.name}\` (${t.source})`))}.`,
    };
  const trainColumn = sides.train.columns.find((c) => c.name === label)!;
  const testColumn = sides.test.columns.find((c) => c.name === label)!;
  const reference = await labelProfile(sides, sides.train, trainColumn);
  const current = await labelProfile(sides, sides.test, testColumn);
  const noValues = (table: LoadedTable): Outcome => ({
    status: "error",
    rule,
    column: label,
    detail: `The label column ${code(label)} has no values in \`${table.name}\` (${table.source}), so its drift cannot be measured.`,
  });
  if (!reference || reference.count === reference.nulls) return noValues(sides.train);
  if (!current || current.count === current.nulls) return noValues(sides.test);
  const labelType = inferColumnType(reference);
  const report = detectDrift({
    reference: profileOf(reference),
    current: profileOf(current),
    options: {
      columns: [label],
      perColumn: {
        [label]: {
          ...(config.test ? { test: config.test } : {}),
          ...(config.threshold !== undefined ? { threshold: config.threshold } : {}),
        },
      },
    },
  });
  const drift = report.columns[0]!;
  if (drift.error !== undefined || drift.test === null || drift.statistic === null)
    return {
      status: "error",
      rule,
      column: label,
      detail: `Label drift of ${code(label)} could not be tested: ${drift.error ?? "no test applies"}.`,
    };
  const test = drift.test;
  const threshold = drift.threshold!;
  const isPValue = testDefaults[test].kind === "p_value";
  const measured = isPValue
    ? `${TEST_LABELS[test]} p-value ${formatNumber(drift.p_value)} ${drift.drift ? "<" : "≥"} ${formatNumber(threshold)} (statistic ${formatNumber(drift.statistic)})`
    : `${TEST_LABELS[test]} ${formatNumber(drift.statistic)} ${drift.drift ? "≥" : "<"} ${formatNumber(threshold)}`;
  const approx =
    drift.error_bound !== undefined ? ` (± ${formatNumber(drift.error_bound)} from the sketch)` : "";
  const verdict = drift.drift
    ? `the ${labelType} label's distribution differs between ${sides.train.name} and ${sides.test.name}`
    : `no drift of the ${labelType} label between ${sides.train.name} and ${sides.test.name}`;
  return {
    status: drift.drift ? "fail" : "pass",
    rule: driftRule(test, threshold),
    column: label,
    observed: isPValue && drift.p_value !== undefined ? drift.p_value : drift.statistic,
    detail: `${code(label)}: ${measured}${approx}: ${verdict}.`,
  };
}

function profileOf(column: ColumnProfile): DatasetProfile {
  return { ...emptyProfile(), rows: column.count, columns: [column] };
}

// ---------------------------------------------------------------------------------------------------
// leakage

async function leakage(sides: Sides, maxShare: number, ignored: readonly string[]): Promise<Outcome> {
  const rule = shareRule(maxShare, LEAKAGE_RULE);
  const shared = sharedColumns(sides.train, sides.test).filter(([a]) => !ignored.includes(a.name));
  if (shared.length === 0)
    return {
      status: "error",
      rule,
      detail: `\`${sides.train.name}\` (${sides.train.source}) and \`${sides.test.name}\` (${sides.test.source}) share no column, so their rows cannot be compared.`,
    };
  if (sides.test.rows === 0)
    return {
      status: "pass",
      rule,
      observed: 0,
      detail: `\`${sides.test.name}\` has no rows, so none can leak from ${sides.train.name}.`,
    };
  // One semi join over every shared column, nulls matching nulls, which DuckDB runs as a hash join
  // (≈ 0.7–1.2 s for 1M × 250k rows × 50 columns: every key column is hashed and kept). Rows that match
  // on all columns match on any few, so a join on a few specific columns first narrows both sides to
  // the rows that can match at all (usually none), and the join on every column runs on those only.
  // The example rows are rendered after the LIMIT, not for every match.
  const matching = (pairs: Array<[TableColumn, TableColumn]>) =>
    pairs
      .map(([a, b]) => {
        const as = comparable(a.type, b.type);
        return `${as(`t.${quoteIdent(b.name)}`)} IS NOT DISTINCT FROM ${as(`r.${quoteIdent(a.name)}`)}`;
      })
      .join(" AND ");
  const on = matching(shared);
  const narrowing = narrowingColumns(shared);
  const ROW = quoteIdent("__gitml_row");
  const tables =
    narrowing.length < shared.length
      ? `test_rows AS MATERIALIZED (
           SELECT t.rowid AS row_id FROM ${sides.test.sql} t SEMI JOIN ${sides.train.sql} r ON ${matching(narrowing)}),
         train_rows AS MATERIALIZED (
           SELECT r.rowid AS row_id FROM ${sides.train.sql} r SEMI JOIN ${sides.test.sql} t ON ${matching(narrowing)}),
         test_side AS (SELECT rowid AS ${ROW}, * FROM ${sides.test.sql} WHERE rowid IN (SELECT row_id FROM test_rows)),
         train_side AS (SELECT * FROM ${sides.train.sql} WHERE rowid IN (SELECT row_id FROM train_rows))`
      : `test_side AS (SELECT rowid AS ${ROW}, * FROM ${sides.test.sql}),
         train_side AS (SELECT * FROM ${sides.train.sql})`;
  const shown = shared.slice(0, MAX_COLUMNS_PER_EXAMPLE);
  const cells = shown.map(([, b], i) => `CAST(t.${quoteIdent(b.name)} AS VARCHAR) AS c${i}`).join(", ");
  // Counted, then the first few listed, in two queries: a window over ORDER BY … LIMIT fails now and then
  // in DuckDB 1.5.5 on several threads (duckdb/duckdb#22352).
  const leakedRows = `test_side t SEMI JOIN train_side r ON ${on}`;
  const [counted] = await query(
    sides.data,
    `WITH ${tables} SELECT count(*)::DOUBLE AS leaked FROM ${leakedRows}`,
  );
  const leaked = toNumber(counted!.leaked);
  const rows =
    leaked === 0
      ? []
      : await query(
          sides.data,
          `WITH ${tables},
           first_leaked AS (SELECT t.${ROW} AS row_id FROM ${leakedRows} ORDER BY row_id LIMIT ${LEAKED_ROW_EXAMPLES})
           SELECT ${cells} FROM first_leaked f JOIN ${sides.test.sql} t ON t.rowid = f.row_id
           ORDER BY f.row_id`,
        );
  const testRows = sides.test.rows;
  const share = testRows > 0 ? leaked / testRows : 0;
  const over = `compared over ${plural(shared.length, "shared column")}`;
  const more = shared.length > shown.length ? ", …" : "";
  const examples: CellValue[] = rows.map(
    (row) => shown.map(([, b], i) => `${b.name}=${renderCell(row[`c${i}`])}`).join(", ") + more,
  );
  const failed = share > maxShare;
  const detail =
    leaked === 0
      ? `No ${sides.test.name} row also occurs in ${sides.train.name} (${over}).`
      : `${formatCount(leaked)} of ${formatCount(testRows)} ${sides.test.name} rows (${formatShare(share)}) ${leaked === 1 ? "also occurs" : "also occur"} in ${sides.train.name} (${over})${
          failed
            ? `, above the allowed ${formatShare(maxShare)}: remove them from one of the sets`
            : `, within the allowed ${formatShare(maxShare)}`
        }.`;
  return {
    status: failed ? "fail" : "pass",
    rule,
    observed: share,
    failingFraction: share,
    detail,
    ...(examples.length > 0 ? { examples } : {}),
  };
}

/** How many columns narrow the leakage join down before it compares every column. */
const NARROWING_COLUMNS = 4;

/**
 * The columns most likely to tell rows apart, by type alone (no query): measurements (floats), then
 * text, then integers, then the rest (booleans, dates), each in file order. Any choice gives the same
 * result; a poor one (a few flags) only narrows less.
 */
function narrowingColumns(shared: Array<[TableColumn, TableColumn]>): Array<[TableColumn, TableColumn]> {
  const rank = ([a]: [TableColumn, TableColumn]): number =>
    isFloatType(a.type) ? 0 : isStringType(a.type) ? 1 : isIntegerType(a.type) ? 2 : 3;
  return shared
    .map((pair, index) => ({ pair, index }))
    .sort((x, y) => rank(x.pair) - rank(y.pair) || x.index - y.index)
    .slice(0, NARROWING_COLUMNS)
    .map(({ pair }) => pair);
}

function renderCell(value: unknown): string {
  if (value === null || value === undefined) return "null";
  const text = String(value);
  return text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS - 1)}…` : text;
}

// ---------------------------------------------------------------------------------------------------
// size_ratio

function sizeRatio(sides: Sides, config: NonNullable<TrainTestConfig["size_ratio"]>): Outcome {
  const rule = boundsRule(config.min, config.max);
  const { train, test } = sides;
  const counts = `${test.name} has ${plural(test.rows, "row")}, ${train.name} ${plural(train.rows, "row")}`;
  if (train.rows === 0)
    return {
      status: "error",
      rule,
      detail: `\`${train.name}\` (${train.source}) has no rows, so the ratio is undefined (${counts}).`,
    };
  const ratio = test.rows / train.rows;
  const tooSmall = config.min !== undefined && ratio < config.min;
  const tooLarge = config.max !== undefined && ratio > config.max;
  const verdict = tooSmall
    ? `below the minimum ${formatNumber(config.min)}`
    : tooLarge
      ? `above the maximum ${formatNumber(config.max)}`
      : "within bounds";
  return {
    status: tooSmall || tooLarge ? "fail" : "pass",
    rule,
    observed: ratio,
    detail: `Test/train ratio ${formatNumber(ratio)} is ${verdict} (${counts}).`,
  };
}

// ---------------------------------------------------------------------------------------------------
// Wording

const NEW_CATEGORY_RULE = {
  none: "no test row with a category unseen in training",
  some: "of test rows per column with a category unseen in training",
};
const LEAKAGE_RULE = { none: "no test row also in training", some: "of test rows also in training" };

function shareRule(maxShare: number, words: { none: string; some: string }): string {
  return maxShare === 0 ? words.none : `≤ ${formatShare(maxShare)} ${words.some}`;
}

function driftRule(test: TestName | undefined, threshold: number | undefined): string {
  if (test === undefined)
    return threshold === undefined
      ? "no drift (monitoring's default test)"
      : `no drift at threshold ${formatNumber(threshold)} (monitoring's default test)`;
  const limit = threshold ?? testDefaults[test].threshold;
  return testDefaults[test].kind === "p_value"
    ? `${TEST_LABELS[test]} p-value ≥ ${formatNumber(limit)}`
    : `${TEST_LABELS[test]} < ${formatNumber(limit)}`;
}

function boundsRule(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `between ${formatNumber(min)} and ${formatNumber(max)}`;
  return min !== undefined ? `≥ ${formatNumber(min)}` : `≤ ${formatNumber(max)}`;
}

/** A share as a percentage people read at a glance: 2 significant digits, `<0.01%` rather than 0%. */
export function formatShare(fraction: number): string {
  if (fraction === 0) return "0%";
  const percent = fraction * 100;
  if (percent < 0.01) return "<0.01%";
  return `${percent >= 10 ? Number(percent.toFixed(1)) : Number(percent.toPrecision(2))}%`;
}

const formatCount = (n: number): string => n.toLocaleString("en-US");
const plural = (n: number, noun: string): string => `${formatCount(n)} ${noun}${n === 1 ? "" : "s"}`;
const code = (name: string): string => `\`${name}\``;

function nameList(names: string[], max = 5): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}
