/**
 * Great Expectations-style data expectations over one suite data table.
 *
 * Every expectation of a table is answered by ONE aggregate SELECT (a `count_if` per value check, `avg`,
 * one `quantile_cont` list per column, `count(DISTINCT)` …), so a suite of fifty checks costs about one
 * scan of data that is already in memory; only checks that fail run a second, small query for examples.
 * A check that cannot be evaluated (missing column, wrong type, bad regex) is an `error` result, never a
 * throw, so one mistake in the suite does not hide the other checks' findings.
 */
import { didYouMean } from "../../util/suggest";
import type { Logger } from "../../util/logger";
import {
  quoteIdent,
  quoteString,
  typeFamily,
  type LoadedTable,
  type SuiteData,
  type TableColumn,
} from "../data";
import type { Expectation } from "../schema";
import type { CellValue, CheckResult } from "../types";
import {
  formatCount,
  formatList,
  formatSet,
  formatShare,
  mostlySuffix,
  rangePhrase,
  withinBounds,
  type Bounds,
} from "./text";
import { formatNumber } from "../../util/format";

export type DeclaredExpectation = Expectation & { suite: string };

export interface RunExpectationsOptions {
  data: SuiteData;
  /** The data name the expectations are declared under (`train`, `test`, …). */
  dataName: string;
  expectations: DeclaredExpectation[];
  logger?: Logger;
}

const MAX_EXAMPLES = 5;
/** Examples come from the first failing rows only: enough to find five distinct values in practice. */
const EXAMPLE_SCAN_ROWS = 10_000;
/** Shares are compared with this tolerance so that `mostly: 0.99` of 1,000 values accepts exactly 990. */
const SHARE_EPSILON = 1e-12;

/** One result per expectation, in input order. A missing data file is a UserError from SuiteData. */
export async function runExpectations(options: RunExpectationsOptions): Promise<CheckResult[]> {
  const { data, dataName, expectations, logger } = options;
  if (expectations.length === 0) return [];
  const table = await data.table(dataName);
  const context: TableContext = {
    data,
    table,
    columns: new Map(table.columns.map((column) => [column.name, column])),
    logger,
  };

  const planned: Array<CheckResult | PendingCheck> = [];
  for (const [index, expectation] of expectations.entries()) {
    planned.push(await plan(context, expectation, index));
  }
  const pending = planned.filter(isPending);
  const values = await aggregate(context, pending);

  const results: CheckResult[] = [];
  for (const item of planned) {
    if (!isPending(item)) {
      results.push(item);
      continue;
    }
    const answer = values.get(item);
    results.push(answer instanceof Error ? item.error(answer) : await item.finish(answer!, context));
  }
  return results;
}

interface TableContext {
  data: SuiteData;
  table: LoadedTable;
  columns: Map<string, TableColumn>;
  logger?: Logger;
}

/** What a check needs from the aggregate SELECT. */
interface Needs {
  /** Aggregate SQL expressions over the table, e.g. `count_if("age" > 120)`. */
  expressions: string[];
  /** Quantiles of numeric columns, merged into one `quantile_cont` per column. */
  quantiles: Array<{ column: string; q: number }>;
}

interface AggregateValues {
  number(expression: string): number | null;
  quantile(column: string, q: number): number | null;
}

interface PendingCheck {
  readonly pending: true;
  needs: Needs;
  finish(values: AggregateValues, context: TableContext): Promise<CheckResult>;
  /** The result when the aggregate query itself failed for this check. */
  error(cause: Error): CheckResult;
}

function isPending(item: CheckResult | PendingCheck): item is PendingCheck {
  return "pending" in item;
}

// ---------------------------------------------------------------------------------------------------
// The one aggregate SELECT

class AggregateQuery {
  private readonly aliases = new Map<string, string>();
  private readonly quantiles = new Map<string, number[]>();
  private readonly quantileAliases = new Map<string, string>();

  constructor(needs: Needs[]) {
    for (const need of needs) {
      for (const expression of need.expressions)
        if (!this.aliases.has(expression)) this.aliases.set(expression, `a${this.aliases.size}`);
      for (const { column, q } of need.quantiles) {
        const list = this.quantiles.get(column) ?? [];
        if (!list.includes(q)) list.push(q);
        this.quantiles.set(column, list);
      }
    }
    for (const [column, list] of this.quantiles) {
      list.sort((a, b) => a - b);
      this.quantileAliases.set(column, `q${this.quantileAliases.size}`);
    }
  }

  get empty(): boolean {
    return this.aliases.size === 0 && this.quantiles.size === 0;
  }

  sql(table: string): string {
    const select = [...this.aliases].map(([expression, alias]) => `${expression} AS ${alias}`);
    for (const [column, list] of this.quantiles) {
      // One selection per column serves all its quantiles; the column keeps its own type (a cast to DOUBLE
      // would copy it, and quantile_cont interpolates integers as DOUBLE anyway).
      select.push(
        `quantile_cont(${quoteIdent(column)}, [${list.map(sqlNumber).join(", ")}]) AS ${this.quantileAliases.get(column)}`,
      );
    }
    return `SELECT ${select.join(",\n  ")}\nFROM ${table}`;
  }

  values(row: Record<string, unknown>): AggregateValues {
    return {
      number: (expression) => toNumber(row[this.aliases.get(expression)!]),
      quantile: (column, q) => {
        const list = row[this.quantileAliases.get(column)!];
        if (!Array.isArray(list)) return null;
        return toNumber(list[this.quantiles.get(column)!.indexOf(q)]);
      },
    };
  }
}

/** Runs every pending check's aggregates in one query; if that fails, each check alone, to isolate the culprit. */
async function aggregate(
  context: TableContext,
  pending: PendingCheck[],
): Promise<Map<PendingCheck, AggregateValues | Error>> {
  const answers = new Map<PendingCheck, AggregateValues | Error>();
  if (pending.length === 0) return answers;
  const { data, table, logger } = context;
  const query = new AggregateQuery(pending.map((check) => check.needs));
  if (query.empty) {
    for (const check of pending) answers.set(check, query.values({}));
    return answers;
  }
  const started = Date.now();
  try {
    const [row] = await data.query(query.sql(table.sql));
    const values = query.values(row ?? {});
    for (const check of pending) answers.set(check, values);
    logger?.debug(
      `suite expectations on ${table.name}: ${pending.length} checks in one query, ${Date.now() - started} ms`,
    );
    return answers;
  } catch (error) {
    logger?.debug(
      `suite expectations on ${table.name}: combined query failed (${firstLine(error)}); one by one`,
    );
  }
  for (const check of pending) {
    const alone = new AggregateQuery([check.needs]);
    try {
      const [row] = alone.empty ? [{}] : await data.query(alone.sql(table.sql));
      answers.set(check, alone.values(row ?? {}));
    } catch (error) {
      answers.set(check, error instanceof Error ? error : new Error(String(error)));
    }
  }
  return answers;
}

// ---------------------------------------------------------------------------------------------------
// Planning: each expectation becomes a finished result (schema-only checks, findings) or a pending one

type Base = Pick<CheckResult, "id" | "kind" | "name" | "suite" | "data" | "column" | "severity">;

function baseOf(expectation: DeclaredExpectation, dataName: string, index: number): Base {
  const column = "column" in expectation ? expectation.column : undefined;
  return {
    id: `expectation:${dataName}:${expectation.expect}:${column ?? ""}:${index}`,
    kind: "expectation",
    name: nameOf(expectation),
    suite: expectation.suite,
    data: dataName,
    ...(column === undefined ? {} : { column }),
    severity: expectation.required ? "error" : "warning",
  };
}

function nameOf(expectation: Expectation): string {
  switch (expectation.expect) {
    case "column_to_exist":
      return `column ${expectation.column} exists`;
    case "table_columns_to_match_set":
      return expectation.exact_match ? "columns match set" : "columns include set";
    case "column_values_to_not_be_null":
      return `${expectation.column} not null`;
    case "column_values_to_be_between":
      return `${expectation.column} in range`;
    case "column_values_to_be_in_set":
      return `${expectation.column} in set`;
    case "column_values_to_be_unique":
      return `${expectation.column} unique`;
    case "column_values_to_match_regex":
      return `${expectation.column} matches regex`;
    case "column_values_to_be_of_type":
      return `${expectation.column} is ${expectation.type_}`;
    case "column_value_lengths_to_be_between":
      return `${expectation.column} length in range`;
    case "column_mean_to_be_between":
      return `${expectation.column} mean`;
    case "column_median_to_be_between":
      return `${expectation.column} median`;
    case "column_quantile_values_to_be_between":
      return `${expectation.column} quantiles`;
    case "table_row_count_to_be_between":
      return "row count";
  }
}

function boundsOf(expectation: {
  min_value?: number;
  max_value?: number;
  strict_min: boolean;
  strict_max: boolean;
}): Bounds {
  return {
    min: expectation.min_value,
    max: expectation.max_value,
    strictMin: expectation.strict_min,
    strictMax: expectation.strict_max,
  };
}

async function plan(
  context: TableContext,
  expectation: DeclaredExpectation,
  index: number,
): Promise<CheckResult | PendingCheck> {
  const { table } = context;
  const base = baseOf(expectation, table.name, index);
  const done = (
    status: CheckResult["status"],
    rule: string,
    detail: string,
    extra: Partial<CheckResult> = {},
  ) => ({ ...base, status, rule, detail, ...extra }) satisfies CheckResult;

  switch (expectation.expect) {
    case "column_to_exist": {
      const rule = "column exists";
      return context.columns.has(expectation.column)
        ? done("pass", rule, `\`${expectation.column}\` is a column of ${describeTable(table)}`)
        : done("fail", rule, missingColumnDetail(expectation.column, table));
    }
    case "table_columns_to_match_set":
      return matchColumnSet(expectation, table, done);
    case "table_row_count_to_be_between": {
      const bounds = boundsOf(expectation);
      const rule = rangePhrase(bounds);
      const rows = formatCount(table.rows);
      return withinBounds(table.rows, bounds)
        ? done("pass", rule, `${describeTable(table)} has ${rows} rows`, { observed: table.rows })
        : done("fail", rule, `${describeTable(table)} has ${rows} rows; expected ${rule}`, {
            observed: table.rows,
          });
    }
    default:
      break;
  }

  const column = context.columns.get(expectation.column);
  const checkRule = ruleOf(expectation);
  if (!column) return done("error", checkRule, missingColumnDetail(expectation.column, table));
  const ident = quoteIdent(column.name);

  switch (expectation.expect) {
    case "column_values_to_be_of_type": {
      const actual = typeFamily(column.type);
      const matches = typeMatches(column.type, expectation.type_);
      const hint =
        !matches && actual === "string" && ["integer", "float", "number"].includes(expectation.type_)
          ? TEXT_NOT_NUMBER_HINT
          : "";
      return done(
        matches ? "pass" : "fail",
        checkRule,
        `\`${column.name}\` is ${column.type}${actual ? ` (${actual})` : ""}${matches ? "" : `, not ${expectation.type_}${hint}`}`,
      );
    }
    case "column_values_to_not_be_null":
      return columnValues(base, checkRule, {
        column,
        failing: `count(*) - count(${ident})`,
        considered: "count(*)",
        mostly: expectation.mostly ?? 1,
        failPhrase: "are null",
        passPhrase: "are not null",
        of: "rows",
      });
    case "column_values_to_be_between": {
      if (!isNumeric(column.type))
        return done("error", checkRule, notNumeric(column, "values compared with bounds"));
      const condition = outsideSql(ident, boundsOf(expectation));
      return columnValues(base, checkRule, {
        column,
        failing: `count_if(${condition})`,
        failCondition: condition,
        mostly: expectation.mostly ?? 1,
        failPhrase: `are not ${rangePhrase(boundsOf(expectation))}`,
        passPhrase: `are ${rangePhrase(boundsOf(expectation))}`,
      });
    }
    case "column_values_to_be_in_set": {
      const condition = `NOT coalesce(${inSetSql(ident, column.type, expectation.value_set)}, false)`;
      return columnValues(base, checkRule, {
        column,
        failing: `count_if(${ident} IS NOT NULL AND ${condition})`,
        failCondition: `${ident} IS NOT NULL AND ${condition}`,
        mostly: expectation.mostly ?? 1,
        failPhrase: `are not in ${formatSet(expectation.value_set)}`,
        passPhrase: `are in ${formatSet(expectation.value_set)}`,
      });
    }
    case "column_values_to_match_regex": {
      const invalid = await regexError(context.data, expectation.regex);
      if (invalid)
        return done(
          "error",
          checkRule,
          `the regular expression /${expectation.regex}/ is invalid: ${invalid}`,
        );
      const condition = `NOT regexp_matches(${asText(ident, column.type)}, ${quoteString(expectation.regex)})`;
      return columnValues(base, checkRule, {
        column,
        failing: `count_if(${condition})`,
        failCondition: condition,
        mostly: expectation.mostly ?? 1,
        failPhrase: `do not match /${expectation.regex}/`,
        passPhrase: `match /${expectation.regex}/`,
      });
    }
    case "column_value_lengths_to_be_between": {
      const bounds = boundsOf(expectation);
      const condition = outsideSql(`length(${asText(ident, column.type)})`, bounds);
      return columnValues(base, checkRule, {
        column,
        failing: `count_if(${condition})`,
        failCondition: condition,
        mostly: expectation.mostly ?? 1,
        failPhrase: `have a length that is not ${rangePhrase(bounds)}`,
        passPhrase: `have a length ${rangePhrase(bounds)}`,
      });
    }
    case "column_values_to_be_unique":
      return uniqueValues(base, checkRule, column, expectation.mostly ?? 1);
    case "column_mean_to_be_between":
    case "column_median_to_be_between": {
      const statistic = expectation.expect === "column_mean_to_be_between" ? "mean" : "median";
      if (!isNumeric(column.type))
        return done("error", checkRule, notNumeric(column, `its ${statistic} computed`));
      const bounds = boundsOf(expectation);
      const mean = `avg(${ident})::DOUBLE`;
      return {
        pending: true,
        needs:
          statistic === "mean"
            ? { expressions: [mean], quantiles: [] }
            : { expressions: [], quantiles: [{ column: column.name, q: 0.5 }] },
        error: (cause) => done("error", checkRule, couldNotEvaluate(cause)),
        finish: async (values) => {
          const observed = statistic === "mean" ? values.number(mean) : values.quantile(column.name, 0.5);
          if (observed === null)
            return done(
              "error",
              checkRule,
              `\`${column.name}\` has no non-null values, so it has no ${statistic}`,
            );
          const ok = withinBounds(observed, bounds);
          return done(
            ok ? "pass" : "fail",
            checkRule,
            `the ${statistic} of \`${column.name}\` is ${formatNumber(observed)}${ok ? "" : `; expected ${rangePhrase(bounds)}`}`,
            { observed },
          );
        },
      };
    }
    case "column_quantile_values_to_be_between": {
      if (!isNumeric(column.type))
        return done("error", checkRule, notNumeric(column, "its quantiles computed"));
      const { quantiles, value_ranges: ranges } = expectation.quantile_ranges;
      return {
        pending: true,
        needs: { expressions: [], quantiles: quantiles.map((q) => ({ column: column.name, q })) },
        error: (cause) => done("error", checkRule, couldNotEvaluate(cause)),
        finish: async (values) => {
          const measured = quantiles.map((q, i) => {
            const [min, max] = ranges[i]!;
            const bounds: Bounds = { min: min ?? undefined, max: max ?? undefined };
            const value = values.quantile(column.name, q);
            return { q, value, bounds, ok: value !== null && withinBounds(value, bounds) };
          });
          if (measured.some((m) => m.value === null))
            return done(
              "error",
              checkRule,
              `\`${column.name}\` has no non-null values, so it has no quantiles`,
            );
          const failed = measured.filter((m) => !m.ok);
          const shown = failed.length > 0 ? failed : measured;
          const observed = shown[0]!.value!;
          const parts = shown.map(
            (m) =>
              `${quantileLabel(m.q)} is ${formatNumber(m.value!)}${m.ok ? "" : ` (expected ${rangePhrase(m.bounds)})`}`,
          );
          return done(
            failed.length > 0 ? "fail" : "pass",
            checkRule,
            `of \`${column.name}\`, ${formatList(parts)}`,
            { observed },
          );
        },
      };
    }
  }
}

function ruleOf(
  expectation: Exclude<
    Expectation,
    { expect: "column_to_exist" | "table_columns_to_match_set" | "table_row_count_to_be_between" }
  >,
): string {
  switch (expectation.expect) {
    case "column_values_to_not_be_null":
      return `not null${mostlySuffix(expectation.mostly ?? 1, "rows")}`;
    case "column_values_to_be_between":
      return `${rangePhrase(boundsOf(expectation))}${mostlySuffix(expectation.mostly ?? 1)}`;
    case "column_values_to_be_in_set":
      return `in ${formatSet(expectation.value_set)}${mostlySuffix(expectation.mostly ?? 1)}`;
    case "column_values_to_be_unique":
      return `unique${mostlySuffix(expectation.mostly ?? 1)}`;
    case "column_values_to_match_regex":
      return `matches /${expectation.regex}/${mostlySuffix(expectation.mostly ?? 1)}`;
    case "column_values_to_be_of_type":
      return `of type ${expectation.type_}`;
    case "column_value_lengths_to_be_between":
      return `length ${rangePhrase(boundsOf(expectation))}${mostlySuffix(expectation.mostly ?? 1)}`;
    case "column_mean_to_be_between":
      return `mean ${rangePhrase(boundsOf(expectation))}`;
    case "column_median_to_be_between":
      return `median ${rangePhrase(boundsOf(expectation))}`;
    case "column_quantile_values_to_be_between": {
      const { quantiles, value_ranges: ranges } = expectation.quantile_ranges;
      return quantiles
        .map((q, i) => {
          const [min, max] = ranges[i]!;
          return `${quantileLabel(q)} ${rangePhrase({ min: min ?? undefined, max: max ?? undefined })}`;
        })
        .join("; ");
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Column value checks: failing count over the rows considered, `mostly`, examples of failing values

interface ColumnValuesSpec {
  column: TableColumn;
  /** Aggregate SQL: how many considered rows fail. */
  failing: string;
  /** Aggregate SQL: how many rows are considered; default the non-null values. */
  considered?: string;
  /** Row-level SQL true for a failing value, for examples; none for checks whose failures are nulls. */
  failCondition?: string;
  mostly: number;
  failPhrase: string;
  passPhrase: string;
  /** What is counted: `non-null values` (default) or `rows`. */
  of?: string;
}

function columnValues(base: Base, rule: string, spec: ColumnValuesSpec): PendingCheck {
  const considered = spec.considered ?? `count(${quoteIdent(spec.column.name)})`;
  return {
    pending: true,
    needs: { expressions: [spec.failing, considered], quantiles: [] },
    error: (cause) => ({ ...base, status: "error", rule, detail: couldNotEvaluate(cause) }),
    finish: async (values, context) => {
      const failing = values.number(spec.failing) ?? 0;
      const total = values.number(considered) ?? 0;
      return valuesResult(base, rule, spec, failing, total, async () =>
        spec.failCondition === undefined ? undefined : examplesOf(context, spec.column, spec.failCondition),
      );
    },
  };
}

async function valuesResult(
  base: Base,
  rule: string,
  spec: Pick<ColumnValuesSpec, "column" | "mostly" | "failPhrase" | "passPhrase" | "of">,
  failing: number,
  total: number,
  examples: () => Promise<CellValue[] | undefined>,
): Promise<CheckResult> {
  const of = spec.of ?? "non-null values";
  const name = `\`${spec.column.name}\``;
  if (total === 0)
    return {
      ...base,
      status: "pass",
      rule,
      detail: `${name} has no ${of} to check`,
      observed: 1,
      failingFraction: 0,
    };
  const failingFraction = failing / total;
  const passing = (total - failing) / total;
  const ok = passing >= spec.mostly - SHARE_EPSILON;
  const allowed = spec.mostly < 1 ? `${formatShare(1 - spec.mostly)} allowed` : undefined;
  let detail: string;
  if (failing === 0) detail = `all ${formatCount(total)} ${of} of ${name} ${spec.passPhrase}`;
  else {
    detail = `${formatCount(failing)} of ${formatCount(total)} ${of} of ${name} (${formatShare(failingFraction)}) ${spec.failPhrase}`;
    if (allowed) detail += ok ? `, within the ${allowed}` : `, more than the ${allowed}`;
  }
  const result: CheckResult = {
    ...base,
    status: ok ? "pass" : "fail",
    rule,
    detail,
    observed: passing,
    failingFraction,
  };
  if (!ok) {
    const found = await examples();
    if (found && found.length > 0) result.examples = found;
  }
  return result;
}

function uniqueValues(base: Base, rule: string, column: TableColumn, mostly: number): PendingCheck {
  const ident = quoteIdent(column.name);
  const distinct = `count(DISTINCT ${ident})`;
  const nonNull = `count(${ident})`;
  const spec = { column, mostly, failPhrase: "are duplicates", passPhrase: "are distinct" };
  return {
    pending: true,
    needs: { expressions: [distinct, nonNull], quantiles: [] },
    error: (cause) => ({ ...base, status: "error", rule, detail: couldNotEvaluate(cause) }),
    finish: async (values, context) => {
      const total = values.number(nonNull) ?? 0;
      if ((values.number(distinct) ?? 0) >= total)
        return valuesResult(base, rule, spec, 0, total, async () => []);
      // As Great Expectations counts: every row whose value occurs more than once fails, not only the repeats.
      // Counted and listed in two queries: a window over ORDER BY … LIMIT fails now and then in DuckDB 1.5.5
      // on several threads (duckdb/duckdb#22352).
      const duplicates = `SELECT ${ident} AS c, count(*) AS n, min(rowid) AS r FROM ${context.table.sql}
               WHERE ${ident} IS NOT NULL GROUP BY ${ident} HAVING count(*) > 1`;
      const counted = await safeQuery(context, `SELECT sum(n)::DOUBLE AS failing FROM (${duplicates})`);
      if (!counted)
        return { ...base, status: "error", rule, detail: "the duplicate values could not be counted" };
      const failing = toNumber(counted[0]?.failing) ?? 0;
      const examples = async () =>
        (
          await safeQuery(
            context,
            `SELECT ${displaySql("c", column.type)} AS v FROM (${duplicates}) ORDER BY r LIMIT ${MAX_EXAMPLES}`,
          )
        )?.map((row) => toCell(row.v));
      return valuesResult(base, rule, spec, failing, total, examples);
    },
  };
}

/** Up to five distinct failing values, in the order they first occur in the file. */
async function examplesOf(
  context: TableContext,
  column: TableColumn,
  failCondition: string,
): Promise<CellValue[] | undefined> {
  const ident = quoteIdent(column.name);
  const rows = await safeQuery(
    context,
    `SELECT ${displaySql("c", column.type)} AS v
     FROM (SELECT ${ident} AS c, rowid AS r FROM ${context.table.sql} WHERE ${failCondition} LIMIT ${EXAMPLE_SCAN_ROWS})
     GROUP BY c ORDER BY min(r) LIMIT ${MAX_EXAMPLES}`,
  );
  return rows?.map((row) => toCell(row.v));
}

async function safeQuery(
  context: TableContext,
  sql: string,
): Promise<Array<Record<string, unknown>> | undefined> {
  try {
    return await context.data.query(sql);
  } catch (error) {
    context.logger?.warning(
      `suite expectations on ${context.table.name}: a follow-up query failed: ${firstLine(error)}`,
    );
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Schema checks

function matchColumnSet(
  expectation: Extract<Expectation, { expect: "table_columns_to_match_set" }>,
  table: LoadedTable,
  done: (status: CheckResult["status"], rule: string, detail: string) => CheckResult,
): CheckResult {
  const actual = table.columns.map((column) => column.name);
  const expected = new Set(expectation.column_set);
  const missing = expectation.column_set.filter((name) => !actual.includes(name));
  const unexpected = expectation.exact_match ? actual.filter((name) => !expected.has(name)) : [];
  const rule = `${expectation.exact_match ? "exactly" : "include"} ${formatSet(expectation.column_set)}`;
  if (missing.length === 0 && unexpected.length === 0)
    return done(
      "pass",
      rule,
      `${describeTable(table)} has ${expectation.exact_match ? "exactly" : "all of"} the ${formatCount(expected.size)} expected columns`,
    );
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`lacks ${formatNames(missing)}`);
  if (unexpected.length > 0) problems.push(`has unexpected ${formatNames(unexpected)}`);
  return done("fail", rule, `${describeTable(table)} ${problems.join(" and ")}`);
}

// ---------------------------------------------------------------------------------------------------
// Types

function typeMatches(type: string, expected: DeclaredTypeName): boolean {
  const family = typeFamily(type);
  if (expected === "number") return family === "integer" || family === "float";
  return family === expected;
}

type DeclaredTypeName = Extract<Expectation, { expect: "column_values_to_be_of_type" }>["type_"];

/** Why a column a person thinks numeric may have been read as text. */
const TEXT_NOT_NUMBER_HINT =
  " (a column is read as text when a value is not a number or every cell is empty)";

function isNumeric(type: string): boolean {
  return typeMatches(type, "number");
}

function notNumeric(column: TableColumn, purpose: string): string {
  const family = typeFamily(column.type);
  return `\`${column.name}\` is ${column.type}${family ? ` (${family})` : ""}, not numeric, so it cannot have ${purpose}${
    family === "string" ? TEXT_NOT_NUMBER_HINT : ""
  }`;
}

// ---------------------------------------------------------------------------------------------------
// SQL pieces

function sqlNumber(value: number): string {
  return `${String(value)}::DOUBLE`;
}

/** Row-level SQL true when a non-null value lies outside the bounds (null for a null value). */
function outsideSql(value: string, bounds: Bounds): string {
  const parts: string[] = [];
  if (bounds.min !== undefined)
    parts.push(`${value} ${bounds.strictMin ? "<=" : "<"} ${sqlNumber(bounds.min)}`);
  if (bounds.max !== undefined)
    parts.push(`${value} ${bounds.strictMax ? ">=" : ">"} ${sqlNumber(bounds.max)}`);
  return parts.length > 0 ? `(${parts.join(" OR ")})` : "false";
}

/**
 * Membership compared in the column's own type: `1` and `"1"` both match 1 in a numeric column, `true`
 * and `"true"` a boolean one; other columns compare as text, so dates match `"2024-01-31"`.
 */
function inSetSql(ident: string, type: string, valueSet: ReadonlyArray<string | number | boolean>): string {
  let literals: string[];
  let subject = ident;
  if (isNumeric(type)) {
    const numbers = valueSet
      .map((value) => (typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN))
      .filter((value) => Number.isFinite(value));
    // An integer column against integer literals is several times faster than against DOUBLEs (DuckDB
    // keeps the column's type), and a fractional value can never equal an integer anyway.
    literals =
      typeFamily(type) === "integer"
        ? numbers.filter((value) => Number.isSafeInteger(value)).map((value) => String(value))
        : numbers.map(sqlNumber);
  } else if (type === "BOOLEAN") {
    literals = valueSet
      .map((value) => (typeof value === "boolean" ? value : String(value).toLowerCase()))
      .filter((value) => value === true || value === false || value === "true" || value === "false")
      .map((value) => String(value));
  } else {
    subject = asText(ident, type);
    literals = valueSet.map((value) => quoteString(String(value)));
  }
  return literals.length > 0 ? `${subject} IN (${[...new Set(literals)].join(", ")})` : "false";
}

function asText(ident: string, type: string): string {
  return type === "VARCHAR" ? ident : `CAST(${ident} AS VARCHAR)`;
}

/** An example value as JS can carry it: numbers as DOUBLE, booleans as they are, everything else as text. */
function displaySql(ident: string, type: string): string {
  if (isNumeric(type)) return `TRY_CAST(${ident} AS DOUBLE)`;
  if (type === "BOOLEAN") return ident;
  return asText(ident, type);
}

/** DuckDB's own message when the pattern does not compile (RE2 syntax), else undefined. */
async function regexError(data: SuiteData, regex: string): Promise<string | undefined> {
  try {
    await data.query(`SELECT regexp_matches('', ${quoteString(regex)})`);
    return undefined;
  } catch (error) {
    return firstLine(error).replace(/^Invalid Input Error:\s*/, "");
  }
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

function toNumber(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  return null;
}

function toCell(value: unknown): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return Number(value);
  return String(value);
}

function quantileLabel(q: number): string {
  if (q === 0.5) return "median";
  if (q === 0) return "min";
  if (q === 1) return "max";
  return `p${Number((q * 100).toFixed(2))}`;
}

function describeTable(table: LoadedTable): string {
  return `${table.name} (${table.source})`;
}

const MAX_NAMED_COLUMNS = 20;

function formatNames(names: readonly string[]): string {
  const shown = names.slice(0, MAX_NAMED_COLUMNS).map((name) => `\`${name}\``);
  if (names.length > MAX_NAMED_COLUMNS) shown.push(`${names.length - MAX_NAMED_COLUMNS} more`);
  return formatList(shown);
}

function missingColumnDetail(column: string, table: LoadedTable): string {
  const names = table.columns.map((c) => c.name);
  return `${describeTable(table)} has no column \`${column}\`${didYouMean(column, names)} (its columns: ${
    names.length > 0 ? formatNames(names) : "none"
  })`;
}

function couldNotEvaluate(cause: Error): string {
  return `the check could not be evaluated: ${firstLine(cause)}`;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}
