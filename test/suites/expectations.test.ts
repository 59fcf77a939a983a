import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExpectations, type DeclaredExpectation } from "../../src/suites/expectations";
import { SuiteData } from "../../src/suites/data";
import { ExpectationSchema } from "../../src/suites/schema";
import type { CheckResult } from "../../src/suites/types";
import { UserError } from "../../src/util/errors";
import { rng } from "../helpers/data";

/** One row of the generated data; every expected number below is computed from these rows in JS. */
interface Row {
  id: number;
  dup: number;
  age: number | null;
  plan: string | null;
  email: string;
  score: number;
  flag: boolean;
  day: string;
  ts: string;
  name: string;
  empty: number | null;
}

const ROWS = 200;

function makeRows(): Row[] {
  const random = rng(7);
  return Array.from({ length: ROWS }, (_, i) => ({
    id: i + 1,
    dup: i % 150,
    age: i % 10 === 3 ? null : i % 50 === 7 ? 150 : 20 + ((i * 7) % 60),
    plan: i === 11 ? "enterprise" : i === 12 ? null : ["basic", "pro", "team"][i % 3]!,
    email: i % 40 === 5 ? "not-an-email" : `user${i}@example.com`,
    score: Math.round(random() * 10_000) / 100,
    flag: i % 2 === 0,
    day: `2024-01-${String(1 + (i % 28)).padStart(2, "0")}`,
    ts: `2024-01-01 10:${String(i % 60).padStart(2, "0")}:00`,
    name: "x".repeat(1 + (i % 8)),
    empty: null,
  }));
}

const rows = makeRows();
const columnNames = Object.keys(rows[0]!) as Array<keyof Row>;

function delimited(data: Row[], delimiter: string): string {
  const lines = data.map((row) => columnNames.map((name) => (row[name] === null ? "" : String(row[name]))));
  return [columnNames.join(delimiter), ...lines.map((cells) => cells.join(delimiter))].join("\n") + "\n";
}

/** Linear interpolation between closest ranks (numpy's default), computed independently of DuckDB. */
function quantile(sorted: number[], q: number): number {
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (position - low) * (sorted[high]! - sorted[low]!);
}

const ages = rows.map((row) => row.age).filter((age): age is number => age !== null);
const sortedAges = [...ages].sort((a, b) => a - b);
const sortedScores = rows.map((row) => row.score).sort((a, b) => a - b);
const meanAge = ages.reduce((sum, age) => sum + age, 0) / ages.length;

function declare(input: Record<string, unknown>): DeclaredExpectation {
  return { ...ExpectationSchema.parse(input), suite: "gitml.yaml" };
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gitml-expectations-"));
  await writeFile(join(dir, "train.csv"), delimited(rows, ","));
  await writeFile(join(dir, "train.tsv"), delimited(rows, "\t"));
  await writeFile(join(dir, "train.jsonl"), rows.map((row) => JSON.stringify(row)).join("\n") + "\n");
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(
    `COPY (SELECT * FROM read_csv('${join(dir, "train.csv")}')) TO '${join(dir, "train.parquet")}' (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(
  file: string,
  expectations: Array<Record<string, unknown>>,
  onData?: (data: SuiteData) => void,
): Promise<CheckResult[]> {
  const data = await SuiteData.open({ baseDir: dir, files: { train: file } });
  try {
    onData?.(data);
    return await runExpectations({ data, dataName: "train", expectations: expectations.map(declare) });
  } finally {
    data.close();
  }
}

async function one(file: string, expectation: Record<string, unknown>): Promise<CheckResult> {
  const [result] = await run(file, [expectation]);
  return result!;
}

describe.each(["train.csv", "train.parquet"])("expectations on %s", (file) => {
  it("not null: nulls fail over all rows, `mostly` relaxes it exactly at the boundary", async () => {
    const nulls = rows.filter((row) => row.age === null).length;
    const [strict, atBoundary, tooStrict, clean] = await run(file, [
      { expect: "column_values_to_not_be_null", column: "age" },
      { expect: "column_values_to_not_be_null", column: "age", mostly: 1 - nulls / ROWS },
      { expect: "column_values_to_not_be_null", column: "age", mostly: 0.95 },
      { expect: "column_values_to_not_be_null", column: "id" },
    ]);
    expect(strict!.status).toBe("fail");
    expect(strict!.failingFraction).toBeCloseTo(nulls / ROWS, 12);
    expect(strict!.observed).toBeCloseTo(1 - nulls / ROWS, 12);
    expect(strict!.detail).toBe("20 of 200 rows of `age` (10%) are null");
    expect(strict!.examples).toBeUndefined();
    expect(atBoundary!.status).toBe("pass");
    expect(atBoundary!.detail).toContain("within the 10% allowed");
    expect(tooStrict!.status).toBe("fail");
    expect(tooStrict!.detail).toContain("more than the 5% allowed");
    expect(clean!.status).toBe("pass");
    expect(clean!.detail).toBe("all 200 rows of `id` are not null");
  });

  it("between: nulls are excluded from the denominator; failing values become examples", async () => {
    const outside = ages.filter((age) => age < 0 || age > 120);
    const [failing, relaxed, wide] = await run(file, [
      { expect: "column_values_to_be_between", column: "age", min_value: 0, max_value: 120 },
      { expect: "column_values_to_be_between", column: "age", min_value: 0, max_value: 120, mostly: 0.97 },
      { expect: "column_values_to_be_between", column: "age", min_value: 0, max_value: 150 },
    ]);
    expect(failing!.status).toBe("fail");
    expect(failing!.failingFraction).toBeCloseTo(outside.length / ages.length, 12);
    expect(failing!.examples).toEqual([150]);
    expect(failing!.rule).toBe("between 0 and 120");
    expect(failing!.detail).toBe(
      `${outside.length} of ${ages.length} non-null values of \`age\` (2.22%) are not between 0 and 120`,
    );
    expect(relaxed!.status).toBe("pass");
    expect(relaxed!.rule).toBe("between 0 and 120 for ≥ 97% of non-null values");
    expect(relaxed!.examples).toBeUndefined();
    expect(wide!.status).toBe("pass");
    expect(wide!.failingFraction).toBe(0);
  });

  it("between: strict bounds exclude the bound itself; one-sided bounds", async () => {
    const [inclusive, strictMin, strictMax, onlyMin, onlyMax] = await run(file, [
      { expect: "column_values_to_be_between", column: "id", min_value: 1, max_value: ROWS },
      {
        expect: "column_values_to_be_between",
        column: "id",
        min_value: 1,
        max_value: ROWS,
        strict_min: true,
      },
      {
        expect: "column_values_to_be_between",
        column: "id",
        min_value: 1,
        max_value: ROWS,
        strict_max: true,
      },
      { expect: "column_values_to_be_between", column: "id", min_value: 190 },
      { expect: "column_values_to_be_between", column: "id", max_value: 3, strict_max: true },
    ]);
    expect(inclusive!.status).toBe("pass");
    expect(strictMin!.status).toBe("fail");
    expect(strictMin!.examples).toEqual([1]);
    expect(strictMin!.rule).toBe("greater than 1 and at most 200");
    expect(strictMax!.status).toBe("fail");
    expect(strictMax!.examples).toEqual([ROWS]);
    expect(onlyMin!.status).toBe("fail");
    expect(onlyMin!.failingFraction).toBeCloseTo(189 / ROWS, 12);
    expect(onlyMin!.examples).toEqual([1, 2, 3, 4, 5]);
    expect(onlyMax!.rule).toBe("less than 3");
    expect(onlyMax!.failingFraction).toBeCloseTo((ROWS - 2) / ROWS, 12);
  });

  it("in set: nulls excluded, failing values listed once, numbers match numbers", async () => {
    const nonNullPlans = rows.filter((row) => row.plan !== null).length;
    const [missing, complete, numeric, booleans] = await run(file, [
      { expect: "column_values_to_be_in_set", column: "plan", value_set: ["basic", "pro", "team"] },
      {
        expect: "column_values_to_be_in_set",
        column: "plan",
        value_set: ["basic", "pro", "team", "enterprise"],
      },
      { expect: "column_values_to_be_in_set", column: "dup", value_set: [0, 1, "2", ...range(3, 140)] },
      { expect: "column_values_to_be_in_set", column: "flag", value_set: [true] },
    ]);
    expect(missing!.status).toBe("fail");
    expect(missing!.failingFraction).toBeCloseTo(1 / nonNullPlans, 12);
    expect(missing!.examples).toEqual(["enterprise"]);
    expect(missing!.rule).toBe('in {"basic", "pro", "team"}');
    expect(complete!.status).toBe("pass");
    const dupOutside = rows.filter((row) => row.dup >= 140).length;
    expect(numeric!.failingFraction).toBeCloseTo(dupOutside / ROWS, 12);
    expect(numeric!.examples).toEqual([140, 141, 142, 143, 144]);
    expect(booleans!.failingFraction).toBeCloseTo(0.5, 12);
    expect(booleans!.examples).toEqual([false]);
  });

  it("unique: every row of a repeated value fails, as Great Expectations counts", async () => {
    const counts = new Map<number, number>();
    for (const row of rows) counts.set(row.dup, (counts.get(row.dup) ?? 0) + 1);
    const repeatedRows = [...counts.values()].filter((n) => n > 1).reduce((a, b) => a + b, 0);
    const [distinct, repeated, relaxed] = await run(file, [
      { expect: "column_values_to_be_unique", column: "id" },
      { expect: "column_values_to_be_unique", column: "dup" },
      { expect: "column_values_to_be_unique", column: "dup", mostly: 0.5 },
    ]);
    expect(distinct!.status).toBe("pass");
    expect(repeated!.status).toBe("fail");
    expect(repeated!.failingFraction).toBeCloseTo(repeatedRows / ROWS, 12);
    expect(repeated!.examples).toEqual([0, 1, 2, 3, 4]);
    expect(relaxed!.status).toBe("pass");
  });

  it("regex: unanchored RE2 match on text; an invalid pattern is an error finding", async () => {
    const bad = rows.filter((row) => !/^[^@]+@[^@]+\.[a-z]+$/.test(row.email)).length;
    const [email, unanchored, invalid] = await run(file, [
      { expect: "column_values_to_match_regex", column: "email", regex: "^[^@]+@[^@]+\\.[a-z]+$" },
      { expect: "column_values_to_match_regex", column: "email", regex: "example" },
      { expect: "column_values_to_match_regex", column: "email", regex: "([a-z" },
    ]);
    expect(email!.status).toBe("fail");
    expect(email!.failingFraction).toBeCloseTo(bad / ROWS, 12);
    expect(email!.examples).toEqual(["not-an-email"]);
    expect(unanchored!.failingFraction).toBeCloseTo(bad / ROWS, 12);
    expect(invalid!.status).toBe("error");
    expect(invalid!.detail).toMatch(/regular expression \/\(\[a-z\/ is invalid: missing \]/);
  });

  it("value lengths: text length of each non-null value", async () => {
    const short = rows.filter((row) => row.name.length < 2).length;
    const [all, failing] = await run(file, [
      { expect: "column_value_lengths_to_be_between", column: "name", min_value: 1, max_value: 8 },
      { expect: "column_value_lengths_to_be_between", column: "name", min_value: 2 },
    ]);
    expect(all!.status).toBe("pass");
    expect(failing!.status).toBe("fail");
    expect(failing!.failingFraction).toBeCloseTo(short / ROWS, 12);
    expect(failing!.examples).toEqual(["x"]);
  });

  it("type: DuckDB types against integer, float, number, string, boolean, date and timestamp", async () => {
    const cases: Array<[string, string, boolean]> = [
      ["id", "integer", true],
      ["id", "number", true],
      ["id", "float", false],
      ["score", "float", true],
      ["score", "number", true],
      ["score", "integer", false],
      ["plan", "string", true],
      ["plan", "number", false],
      ["flag", "boolean", true],
      ["day", "date", true],
      ["ts", "timestamp", true],
      ["ts", "date", false],
    ];
    const results = await run(
      file,
      cases.map(([column, type_]) => ({ expect: "column_values_to_be_of_type", column, type_ })),
    );
    expect(results.map((r) => r.status)).toEqual(cases.map(([, , ok]) => (ok ? "pass" : "fail")));
    expect(results[2]!.detail).toBe("`id` is BIGINT (integer), not float");
    expect(results[7]!.detail).toBe(
      "`plan` is VARCHAR (string), not number (a column is read as text when a value is not a number or every cell is empty)",
    );
  });

  it("mean, median and quantiles match values computed from the sorted data", async () => {
    const median = quantile(sortedAges, 0.5);
    const p10 = quantile(sortedScores, 0.1);
    const p90 = quantile(sortedScores, 0.9);
    const [mean, meanFail, med, medFail, quantiles, quantilesFail] = await run(file, [
      {
        expect: "column_mean_to_be_between",
        column: "age",
        min_value: meanAge - 0.01,
        max_value: meanAge + 0.01,
      },
      { expect: "column_mean_to_be_between", column: "age", max_value: meanAge - 1 },
      { expect: "column_median_to_be_between", column: "age", min_value: median, max_value: median },
      { expect: "column_median_to_be_between", column: "age", min_value: median, strict_min: true },
      {
        expect: "column_quantile_values_to_be_between",
        column: "score",
        quantile_ranges: {
          quantiles: [0.1, 0.9],
          value_ranges: [
            [p10 - 0.001, null],
            [null, p90 + 0.001],
          ],
        },
      },
      {
        expect: "column_quantile_values_to_be_between",
        column: "score",
        quantile_ranges: {
          quantiles: [0.1, 0.9],
          value_ranges: [
            [null, null],
            [null, p90 - 1],
          ],
        },
      },
    ]);
    expect(mean!.status).toBe("pass");
    expect(mean!.observed).toBeCloseTo(meanAge, 9);
    expect(meanFail!.status).toBe("fail");
    expect(meanFail!.detail).toMatch(/^the mean of `age` is [\d.]+; expected at most [\d.]+$/);
    expect(med!.status).toBe("pass");
    expect(med!.observed).toBeCloseTo(median, 9);
    expect(medFail!.status).toBe("fail");
    expect(quantiles!.status).toBe("pass");
    expect(quantiles!.rule).toMatch(/^p10 at least [\d.]+; p90 at most [\d.]+$/);
    expect(quantiles!.observed).toBeCloseTo(p10, 9);
    expect(quantilesFail!.status).toBe("fail");
    expect(quantilesFail!.observed).toBeCloseTo(p90, 9);
    expect(quantilesFail!.detail).toMatch(/^of `score`, p90 is [\d.]+ \(expected at most [\d.]+\)$/);
    expect(quantilesFail!.examples).toBeUndefined();
  });

  it("row count, column existence and column set", async () => {
    const [count, countFail, exists, absent, exact, extra, subset] = await run(file, [
      { expect: "table_row_count_to_be_between", min_value: 100, max_value: 300 },
      { expect: "table_row_count_to_be_between", max_value: 150 },
      { expect: "column_to_exist", column: "age" },
      { expect: "column_to_exist", column: "agee" },
      { expect: "table_columns_to_match_set", column_set: columnNames },
      { expect: "table_columns_to_match_set", column_set: ["id", "age", "height"] },
      { expect: "table_columns_to_match_set", column_set: ["id", "age"], exact_match: false },
    ]);
    expect(count!.status).toBe("pass");
    expect(count!.observed).toBe(ROWS);
    expect(countFail!.status).toBe("fail");
    expect(countFail!.detail).toBe(`train (${file}) has 200 rows; expected at most 150`);
    expect(exists!.status).toBe("pass");
    expect(absent!.status).toBe("fail");
    expect(absent!.detail).toContain("did you mean `age`?");
    expect(exact!.status).toBe("pass");
    expect(extra!.status).toBe("fail");
    expect(extra!.detail).toContain("lacks `height`");
    expect(extra!.detail).toContain("has unexpected `dup`");
    expect(subset!.status).toBe("pass");
  });

  it("a missing column is an error finding naming the file's columns, with a did-you-mean", async () => {
    const result = await one(file, { expect: "column_values_to_be_between", column: "Agee", min_value: 0 });
    expect(result.status).toBe("error");
    expect(result.detail).toContain("has no column `Agee`; did you mean `age`?");
    for (const name of columnNames) expect(result.detail).toContain(`\`${name}\``);
  });

  it("a statistic of a text column or of an all-null column is an error finding, not a throw", async () => {
    const [textMean, nullMean, nullValues] = await run(file, [
      { expect: "column_mean_to_be_between", column: "plan", min_value: 0 },
      { expect: "column_mean_to_be_between", column: "empty", min_value: 0 },
      { expect: "column_values_to_be_between", column: "empty", min_value: 0 },
    ]);
    expect(textMean!.status).toBe("error");
    expect(textMean!.detail).toContain("`plan` is VARCHAR");
    // An empty CSV column is sniffed as VARCHAR, Parquet keeps that type: either way, not numeric.
    expect(nullMean!.status).toBe("error");
    expect(nullValues!.status).toBe("error");
  });
});

describe("results", () => {
  it("keep input order, carry id, suite, data, column and severity", async () => {
    const results = await run("train.csv", [
      { expect: "column_values_to_not_be_null", column: "age", required: false },
      { expect: "table_row_count_to_be_between", min_value: 1 },
      { expect: "column_values_to_be_unique", column: "id" },
    ]);
    expect(results.map((r) => r.id)).toEqual([
      "expectation:train:column_values_to_not_be_null:age:0",
      "expectation:train:table_row_count_to_be_between::1",
      "expectation:train:column_values_to_be_unique:id:2",
    ]);
    expect(results.map((r) => r.severity)).toEqual(["warning", "error", "error"]);
    expect(
      results.every((r) => r.kind === "expectation" && r.suite === "gitml.yaml" && r.data === "train"),
    ).toBe(true);
    expect(results[0]!.column).toBe("age");
    expect(results[1]!.column).toBeUndefined();
  });

  it("all checks of a table are answered by one aggregate query", async () => {
    const queries: string[] = [];
    await run(
      "train.csv",
      [
        { expect: "column_values_to_not_be_null", column: "id" },
        { expect: "column_values_to_be_between", column: "age", min_value: 0, max_value: 200 },
        { expect: "column_values_to_be_in_set", column: "flag", value_set: [true, false] },
        { expect: "column_values_to_be_unique", column: "id" },
        { expect: "column_value_lengths_to_be_between", column: "name", max_value: 10 },
        { expect: "column_mean_to_be_between", column: "score", min_value: 0 },
        { expect: "column_median_to_be_between", column: "score", min_value: 0 },
        {
          expect: "column_quantile_values_to_be_between",
          column: "score",
          quantile_ranges: {
            quantiles: [0.25, 0.75],
            value_ranges: [
              [0, null],
              [null, 100],
            ],
          },
        },
      ],
      (data) => {
        const query = data.query.bind(data);
        data.query = (sql: string) => {
          queries.push(sql);
          return query(sql);
        };
      },
    );
    const aggregates = queries.filter((sql) => !/^(DESCRIBE|SELECT count\(\*\)::DOUBLE AS n)/.test(sql));
    expect(aggregates).toHaveLength(1);
    // Median and both quantiles of `score` share one sort.
    expect(aggregates[0]!.match(/quantile_cont/g)).toHaveLength(1);
  });

  it("when the combined query fails, only the check that broke it becomes an error", async () => {
    const results = await run(
      "train.csv",
      [
        { expect: "column_values_to_not_be_null", column: "id" },
        { expect: "column_values_to_be_unique", column: "id" },
        { expect: "column_mean_to_be_between", column: "age", min_value: 0 },
      ],
      (data) => {
        const query = data.query.bind(data);
        data.query = (sql: string) =>
          sql.includes("count(DISTINCT")
            ? Promise.reject(new Error("Out of Memory Error: test\nmore"))
            : query(sql);
      },
    );
    expect(results.map((r) => r.status)).toEqual(["pass", "error", "pass"]);
    expect(results[1]!.detail).toBe("the check could not be evaluated: Out of Memory Error: test");
  });

  it("a missing data file is a UserError from SuiteData", async () => {
    await expect(run("absent.csv", [{ expect: "column_to_exist", column: "id" }])).rejects.toBeInstanceOf(
      UserError,
    );
  });

  it("no expectations: no results and no read", async () => {
    expect(await run("absent.csv", [])).toEqual([]);
  });
});

describe("NaN", () => {
  it("a NaN is a non-null value outside any bounds, and a NaN mean fails its bounds", async () => {
    await writeFile(join(dir, "nan.csv"), "x\n1\nnan\n3\n\n");
    const data = await SuiteData.open({ baseDir: dir, files: { nan: "nan.csv" } });
    try {
      const [between, mean, notNull] = await runExpectations({
        data,
        dataName: "nan",
        expectations: [
          { expect: "column_values_to_be_between", column: "x", min_value: 0, max_value: 10 },
          { expect: "column_mean_to_be_between", column: "x", min_value: 0, max_value: 10 },
          { expect: "column_values_to_not_be_null", column: "x" },
        ].map(declare),
      });
      expect(between!.failingFraction).toBeCloseTo(1 / 3, 12);
      expect(between!.examples).toEqual([NaN]);
      expect(mean!.status).toBe("fail");
      expect(mean!.observed).toBeNaN();
      expect(notNull!.failingFraction).toBeCloseTo(1 / 4, 12);
    } finally {
      data.close();
    }
  });
});

describe.each(["train.tsv", "train.jsonl"])("reading %s", (file) => {
  it("evaluates the same as CSV", async () => {
    const results = await run(file, [
      { expect: "column_values_to_be_between", column: "age", min_value: 0, max_value: 120 },
      { expect: "column_values_to_be_in_set", column: "plan", value_set: ["basic", "pro", "team"] },
      { expect: "table_row_count_to_be_between", min_value: ROWS, max_value: ROWS },
      {
        expect: "column_mean_to_be_between",
        column: "age",
        min_value: meanAge - 1e-6,
        max_value: meanAge + 1e-6,
      },
    ]);
    expect(results.map((r) => r.status)).toEqual(["fail", "fail", "pass", "pass"]);
    expect(results[0]!.examples).toEqual([150]);
    expect(results[1]!.examples).toEqual(["enterprise"]);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
