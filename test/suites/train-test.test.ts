import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { profileRecords, type ColumnProfile } from "../../src/monitor/profile";
import { detectDrift } from "../../src/monitor/tests/detect";
import { SuiteData } from "../../src/suites/data";
import { TrainTestSchema } from "../../src/suites/schema";
import { formatShare, profileFromCounts, runTrainTestChecks } from "../../src/suites/train-test";
import type { CheckResult } from "../../src/suites/types";
import { rng } from "../helpers/data";

let dir: string;
const opened: SuiteData[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gitml-train-test-"));
});

afterEach(async () => {
  for (const data of opened.splice(0)) data.close();
  await rm(dir, { recursive: true, force: true });
});

type Row = Record<string, string | number | boolean | null>;

function csv(rows: Row[], columns = Object.keys(rows[0] ?? {})): string {
  const cell = (v: Row[string] | undefined) => (v === null || v === undefined ? "" : String(v));
  return `${[columns.join(","), ...rows.map((r) => columns.map((c) => cell(r[c])).join(","))].join("\n")}\n`;
}

async function writeCsv(name: string, rows: Row[], columns?: string[]): Promise<string> {
  await writeFile(join(dir, name), csv(rows, columns));
  return name;
}

async function run(
  files: Record<string, string>,
  config: Record<string, unknown>,
): Promise<{ results: CheckResult[]; byCheck: (check: string) => CheckResult }> {
  const data = await SuiteData.open({ baseDir: dir, files });
  opened.push(data);
  const results = await runTrainTestChecks({
    data,
    config: TrainTestSchema.parse(config),
    suiteOf: (check) => `gitml.yaml#train_test.${check}`,
  });
  const byCheck = (check: string) => {
    const found = results.find((r) => r.id === `train_test:${check}`);
    if (!found) throw new Error(`no result for ${check}`);
    return found;
  };
  return { results, byCheck };
}

function people(n: number, seed: number, options: { cities?: string[]; offset?: number } = {}): Row[] {
  const random = rng(seed);
  const cities = options.cities ?? ["Oslo", "Bergen", "Tromsø"];
  return Array.from({ length: n }, (_, i) => ({
    id: (options.offset ?? 0) + i,
    age: 20 + Math.floor(random() * 50),
    city: cities[Math.floor(random() * cities.length)]!,
    tier: 1 + Math.floor(random() * 3),
    score: Number((random() * 10).toFixed(3)),
    churned: random() < 0.3,
  }));
}

/** What a drift check's rule compares: the p-value of a p-value test, else the statistic (as monitoring). */
function thresholded(drift: { statistic: number | null; p_value?: number }): number {
  return drift.p_value ?? drift.statistic!;
}

describe("runTrainTestChecks: shape", () => {
  it("returns one result per configured check, in order, with ids, suite, data and severity", async () => {
    const train = await writeCsv("train.csv", people(50, 1));
    const test = await writeCsv("test.csv", people(20, 2, { offset: 1000 }));
    const { results } = await run(
      { train, test },
      { label: "churned", size_ratio: { min: 0.1, required: false }, leakage: {}, new_categories: {} },
    );
    expect(results.map((r) => r.id)).toEqual([
      "train_test:new_categories",
      "train_test:leakage",
      "train_test:size_ratio",
    ]);
    for (const r of results) {
      expect(r.kind).toBe("train_test");
      expect(r.suite).toBe(`gitml.yaml#${r.id.replace(":", ".")}`);
      expect(r.data).toBe("test");
      expect(r.rule.length).toBeGreaterThan(0);
      expect(r.detail.length).toBeGreaterThan(0);
    }
    expect(results.map((r) => r.severity)).toEqual(["error", "error", "warning"]);
  });

  it("runs nothing when no check is configured", async () => {
    const { results } = await run({}, { label: "y" });
    expect(results).toEqual([]);
  });
});

describe("size_ratio", () => {
  it("passes within bounds and fails outside, with the ratio observed", async () => {
    const train = await writeCsv("train.csv", people(100, 1));
    const test = await writeCsv("test.csv", people(25, 2));
    const inside = await run({ train, test }, { size_ratio: { min: 0.2, max: 0.3 } });
    expect(inside.byCheck("size_ratio")).toMatchObject({ status: "pass", observed: 0.25 });
    expect(inside.byCheck("size_ratio").rule).toBe("between 0.2 and 0.3");
    const below = await run({ train, test }, { size_ratio: { min: 0.3 } });
    expect(below.byCheck("size_ratio")).toMatchObject({ status: "fail", observed: 0.25, rule: "≥ 0.3" });
    expect(below.byCheck("size_ratio").detail).toContain("below the minimum 0.3");
    expect(below.byCheck("size_ratio").detail).toContain("25 rows");
    const above = await run({ train, test }, { size_ratio: { max: 0.2 } });
    expect(above.byCheck("size_ratio")).toMatchObject({ status: "fail", rule: "≤ 0.2" });
  });

  it("is an error finding when train has no rows", async () => {
    const train = await writeCsv("train.csv", [], ["id", "age"]);
    const test = await writeCsv("test.csv", people(5, 2));
    const { byCheck } = await run({ train, test }, { size_ratio: { min: 0.1 } });
    expect(byCheck("size_ratio").status).toBe("error");
    expect(byCheck("size_ratio").detail).toContain("train.csv");
  });
});

describe("missing data", () => {
  it("turns a missing file into an error finding per check naming the file", async () => {
    const train = await writeCsv("train.csv", people(10, 1));
    const { results } = await run(
      { train, test: "nowhere/test.csv" },
      { label: "churned", leakage: {}, size_ratio: { min: 0.1 }, label_drift: {} },
    );
    expect(results.map((r) => r.status)).toEqual(["error", "error", "error"]);
    for (const r of results) expect(r.detail).toContain("nowhere/test.csv");
  });

  it("names the data when it is not declared at all", async () => {
    const test = await writeCsv("test.csv", people(10, 1));
    const { results } = await run({ test }, { train: "training", leakage: {} });
    expect(results[0]!.status).toBe("error");
    expect(results[0]!.detail).toContain("`training`");
  });
});

describe("new_categories", () => {
  it("passes when every categorical value of test occurs in train", async () => {
    const train = await writeCsv("train.csv", people(200, 1));
    const test = await writeCsv("test.csv", people(50, 2, { offset: 5000 }));
    const { byCheck } = await run({ train, test }, { new_categories: {} });
    const r = byCheck("new_categories");
    expect(r.status).toBe("pass");
    expect(r.observed).toBe(0);
    // city (string), tier (integer, 3 values) and churned (boolean) are categorical; id, age and score are not.
    expect(r.detail).toContain("3 categorical columns");
    expect(r.detail).toMatch(/`city`.*`tier`.*`churned`/);
    expect(r.detail).not.toContain("`id`");
  });

  it("fails with the worst column's share and its unseen values", async () => {
    const train = await writeCsv("train.csv", people(200, 1, { cities: ["Oslo", "Bergen"] }));
    const testRows = people(100, 2, { cities: ["Oslo", "Bergen", "Tromsø", "Bodø"], offset: 5000 });
    testRows[0]!.tier = 9; // one unseen integer category
    const test = await writeCsv("test.csv", testRows);
    const { byCheck } = await run({ train, test }, { new_categories: { max_share: 0.05 } });
    const r = byCheck("new_categories");
    const unseenCity = testRows.filter((row) => row.city === "Tromsø" || row.city === "Bodø").length;
    expect(unseenCity).toBeGreaterThan(5);
    expect(r.status).toBe("fail");
    expect(r.column).toBe("city");
    expect(r.observed).toBeCloseTo(unseenCity / 100, 12);
    expect(r.failingFraction).toBe(r.observed);
    expect(new Set(r.examples)).toEqual(new Set(["Tromsø", "Bodø"]));
    expect(r.detail).toContain(`\`city\` ${formatShare(unseenCity / 100)}`);
    expect(r.detail).toContain("`tier` 1%");
    expect(r.detail).toContain("above the allowed 5%");
    expect(r.rule).toBe("≤ 5% of test rows per column with a category unseen in training");
  });

  it("passes when new categories stay within max_share, still listing them", async () => {
    const train = await writeCsv("train.csv", [{ plan: "a" }, { plan: "b" }, { plan: "a" }]);
    const test = await writeCsv("test.csv", [{ plan: "a" }, { plan: "c" }, { plan: "b" }, { plan: "a" }]);
    const within = await run({ train, test }, { new_categories: { max_share: 0.25 } });
    expect(within.byCheck("new_categories"), within.byCheck("new_categories").detail).toMatchObject({
      status: "pass",
      observed: 0.25,
      examples: ["c"],
    });
    const strict = await run({ train, test }, { new_categories: {} });
    expect(strict.byCheck("new_categories")).toMatchObject({ status: "fail", observed: 0.25 });
    expect(strict.byCheck("new_categories").rule).toBe("no test row with a category unseen in training");
  });

  it("keeps at most 5 examples, the most frequent first", async () => {
    const train = await writeCsv("train.csv", [{ c: "seen" }]);
    const values = ["u1", "u2", "u2", "u3", "u4", "u5", "u6", "u6", "u6", "seen"];
    const test = await writeCsv(
      "test.csv",
      values.map((c) => ({ c })),
    );
    const { byCheck } = await run({ train, test }, { new_categories: {} });
    const r = byCheck("new_categories");
    expect(r.examples).toHaveLength(5);
    expect(r.examples!.slice(0, 2)).toEqual(["u6", "u2"]);
    expect(r.observed).toBeCloseTo(0.9, 12);
    expect(r.detail).toContain("6 new values");
  });

  it("ignores nulls in test, skips columns with no value in training, and columns in one file only", async () => {
    const train = await writeCsv("train.csv", [
      { plan: "a", empty: null, only_train: "x" },
      { plan: "b", empty: null, only_train: "y" },
    ]);
    const test = await writeCsv("test.csv", [
      { plan: "a", empty: "new", only_test: "z" },
      { plan: null, empty: "newer", only_test: "w" },
    ]);
    const { byCheck } = await run({ train, test }, { new_categories: {} });
    const r = byCheck("new_categories");
    expect(r.status).toBe("pass");
    expect(r.detail).toContain("no value in training: `empty`");
    expect(r.detail).not.toContain("only_test");
  });

  it("compares an integer column with a float column of the same values", async () => {
    await writeFile(join(dir, "train.csv"), "k\n1\n2\n3\n");
    await writeFile(join(dir, "test.csv"), "k\n1.0\n2.0\n4.0\n");
    const { byCheck } = await run({ train: "train.csv", test: "test.csv" }, { new_categories: {} });
    const r = byCheck("new_categories");
    expect(r.status, r.detail).toBe("fail");
    expect(r.observed).toBeCloseTo(1 / 3, 12);
    expect(r.examples).toEqual([4]);
  });

  it("treats integers with more than 10 values and mostly unique strings as not categorical", async () => {
    const train = await writeCsv(
      "train.csv",
      Array.from({ length: 300 }, (_, i) => ({ n: i, code: `id-${i}`, g: i % 2 ? "x" : "y" })),
    );
    const test = await writeCsv(
      "test.csv",
      Array.from({ length: 30 }, (_, i) => ({ n: 1000 + i, code: `id-${1000 + i}`, g: "x" })),
    );
    const { byCheck } = await run({ train, test }, { new_categories: {} });
    expect(byCheck("new_categories")).toMatchObject({ status: "pass", observed: 0 });
    expect(byCheck("new_categories").detail).toContain("1 categorical column (`g`)");
  });

  it("classifies on every row, not on the first rows the cheap pre-checks look at", async () => {
    // 6,000 rows: the first 4,096 hold few values, the later rows decide.
    const rows = 6000;
    const head = 4500;
    const trainRows = Array.from({ length: rows }, (_, i) => ({
      late_many: i < head ? i % 3 : i % 40, // 40 integer values overall: not categorical
      few: i % 4, // 4 values throughout: categorical
      late_fraction: i < head ? 2 : 2.5, // whole in the head only: not categorical
      label_text: i < head ? `v${i % 5}` : `w${i}`, // 1,505 distinct strings ≤ half the rows: categorical
      unique_text: `u${i}`, // every row distinct: text
    }));
    const testRows = Array.from({ length: 100 }, (_, i) => ({
      late_many: 1000 + i,
      few: i === 0 ? 7 : i % 4,
      late_fraction: 9,
      label_text: i < 10 ? "never" : "v1",
      unique_text: `x${i}`,
    }));
    const train = await writeCsv("train.csv", trainRows);
    const test = await writeCsv("test.csv", testRows);
    const { byCheck } = await run({ train, test }, { new_categories: { max_share: 0.5 } });
    const r = byCheck("new_categories");
    expect(r.detail).toContain("`label_text` 10% (10 rows, 1 new value)");
    expect(r.detail).toContain("`few` 1% (1 row, 1 new value)");
    for (const name of ["late_many", "late_fraction", "unique_text"]) expect(r.detail).not.toContain(name);
    expect(r).toMatchObject({ status: "pass", column: "label_text", examples: ["never"], observed: 0.1 });
  });

  it("does not treat dates as categories (a time split always has new dates)", async () => {
    await writeFile(join(dir, "train.csv"), "day,plan\n2024-01-01,a\n2024-01-02,b\n");
    await writeFile(join(dir, "test.csv"), "day,plan\n2024-02-01,a\n2024-02-02,a\n");
    const { byCheck } = await run({ train: "train.csv", test: "test.csv" }, { new_categories: {} });
    expect(byCheck("new_categories")).toMatchObject({ status: "pass", observed: 0 });
    expect(byCheck("new_categories").detail).toContain("1 categorical column (`plan`)");
  });

  it("passes with nothing to compare when no shared column is categorical", async () => {
    const train = await writeCsv("train.csv", [{ x: 1.5 }, { x: 2.5 }]);
    const test = await writeCsv("test.csv", [{ x: 3.5 }]);
    const { byCheck } = await run({ train, test }, { new_categories: {} });
    expect(byCheck("new_categories").status).toBe("pass");
    expect(byCheck("new_categories").detail).toContain("nothing to compare");
  });
});

describe("leakage", () => {
  it("finds test rows identical to a train row, nulls matching nulls, with compact examples", async () => {
    const trainRows: Row[] = [
      { age: 41, city: "Oslo", plan: null },
      { age: 35, city: "Bergen", plan: "pro" },
      { age: 35, city: "Bergen", plan: "pro" },
      { age: 50, city: null, plan: "basic" },
    ];
    const testRows: Row[] = [
      { age: 41, city: "Oslo", plan: null }, // leaked, null = null
      { age: 41, city: "Oslo", plan: "pro" }, // differs in plan
      { age: 35, city: "Bergen", plan: "pro" }, // leaked (duplicated in train: counted once)
      { age: 50, city: "Bodø", plan: "basic" }, // null in train vs value here: differs
      { age: 60, city: "Oslo", plan: "basic" },
    ];
    const train = await writeCsv("train.csv", trainRows);
    const test = await writeCsv("test.csv", testRows);
    const { byCheck } = await run({ train, test }, { leakage: {} });
    const r = byCheck("leakage");
    expect(r.status).toBe("fail");
    expect(r.observed).toBeCloseTo(2 / 5, 12);
    expect(r.failingFraction).toBe(r.observed);
    expect(r.examples).toEqual(["age=41, city=Oslo, plan=null", "age=35, city=Bergen, plan=pro"]);
    expect(r.detail).toContain("2 of 5 test rows (40%) also occur in train");
    expect(r.detail).toContain("3 shared columns");
    expect(r.rule).toBe("no test row also in training");
  });

  it("finds the same rows over many columns as a row-by-row comparison (narrowed join)", async () => {
    // Rows that agree on the first columns compared (floats, text) but differ later must not count.
    const random = rng(7);
    const make = (i: number): Row => ({
      x: random() < 0.5 ? 0.5 : 1.5,
      y: random() < 0.5 ? 0.25 : 0.75,
      name: random() < 0.2 ? null : `n${Math.floor(random() * 2)}`,
      code: `c${Math.floor(random() * 2)}`,
      k: Math.floor(random() * 2),
      flag: random() < 0.5,
      maybe: random() < 0.3 ? null : Math.floor(random() * 2),
      id: i,
    });
    const trainRows = Array.from({ length: 400 }, (_, i) => make(i));
    const testRows = Array.from({ length: 300 }, (_, i) => make(1000 + i));
    const key = (row: Row) => JSON.stringify(Object.entries(row).filter(([name]) => name !== "id"));
    const seen = new Set(trainRows.map(key));
    const expected = testRows.filter((row) => seen.has(key(row))).length;
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(testRows.length);
    const train = await writeCsv("train.csv", trainRows);
    const test = await writeCsv("test.csv", testRows);
    const { byCheck } = await run({ train, test }, { leakage: { ignore_columns: ["id"], max_share: 1 } });
    const r = byCheck("leakage");
    expect(r.observed).toBeCloseTo(expected / testRows.length, 12);
    expect(r.detail).toContain(`${expected} of 300 test rows`);
    expect(r.detail).toContain("7 shared columns");
    const first = testRows.find((row) => seen.has(key(row)))!;
    expect(r.examples![0]).toBe(
      `x=${first.x}, y=${first.y}, name=${first.name ?? "null"}, code=${first.code}, k=${first.k}, flag=${first.flag}, …`,
    );
  });

  it("compares over the shared columns only and passes under max_share", async () => {
    const train = await writeCsv("train.csv", [
      { a: 1, b: "x", only_train: 7 },
      { a: 2, b: "y", only_train: 8 },
    ]);
    const test = await writeCsv("test.csv", [
      { a: 1, b: "x", only_test: 0 },
      { a: 3, b: "x", only_test: 0 },
      { a: 4, b: "x", only_test: 0 },
      { a: 5, b: "x", only_test: 0 },
    ]);
    const { byCheck } = await run({ train, test }, { leakage: { max_share: 0.25 } });
    expect(byCheck("leakage")).toMatchObject({ status: "pass", observed: 0.25, examples: ["a=1, b=x"] });
    expect(byCheck("leakage").rule).toBe("≤ 25% of test rows also in training");
  });

  it("leaves ignore_columns (a row id) out of the comparison", async () => {
    const train = await writeCsv("train.csv", [
      { id: 1, a: 1, b: "x" },
      { id: 2, a: 2, b: "y" },
    ]);
    const test = await writeCsv("test.csv", [
      { id: 10, a: 1, b: "x" },
      { id: 11, a: 3, b: "x" },
    ]);
    const withId = await run({ train, test }, { leakage: {} });
    expect(withId.byCheck("leakage")).toMatchObject({ status: "pass", observed: 0 });
    const withoutId = await run({ train, test }, { leakage: { ignore_columns: ["id"] } });
    expect(withoutId.byCheck("leakage")).toMatchObject({
      status: "fail",
      observed: 0.5,
      examples: ["a=1, b=x"],
    });
  });

  it("passes with no leaked rows; a header-only test file is an error finding at its line", async () => {
    const train = await writeCsv("train.csv", people(100, 1));
    const test = await writeCsv("test.csv", people(40, 2, { offset: 1000 }));
    const clean = await run({ train, test }, { leakage: {} });
    expect(clean.byCheck("leakage")).toMatchObject({ status: "pass", observed: 0 });
    expect(clean.byCheck("leakage").examples).toBeUndefined();
    const empty = await writeCsv("empty.csv", [], ["id", "age", "city"]);
    // A header and no rows is a broken file, not a test set of size 0 (issue #13: never blind).
    const none = await run({ train, test: empty }, { leakage: {}, size_ratio: { min: 0.1 } });
    for (const check of ["leakage", "size_ratio"]) {
      expect(none.byCheck(check).status).toBe("error");
      expect(none.byCheck(check).detail).toContain("empty.csv:1: the file has a header but no data rows");
    }
  });

  it("is an error finding when the files share no column", async () => {
    const train = await writeCsv("train.csv", [{ a: 1 }]);
    const test = await writeCsv("test.csv", [{ b: 1 }]);
    const { byCheck } = await run({ train, test }, { leakage: {} });
    expect(byCheck("leakage").status).toBe("error");
    expect(byCheck("leakage").detail).toContain("share no column");
  });

  it("reads Parquet and finds the leaked rows among many", async () => {
    const data = await SuiteData.open({ baseDir: dir, files: {} });
    opened.push(data);
    await data.connection.run(
      `COPY (SELECT i AS id, i % 97 AS a, 'v' || (i % 13) AS b, CASE WHEN i % 5 = 0 THEN NULL ELSE i * 0.5 END AS x
             FROM range(20000) t(i)) TO '${join(dir, "train.parquet")}'`,
    );
    await data.connection.run(
      `COPY (SELECT i AS id, i % 97 AS a, 'v' || (i % 13) AS b, CASE WHEN i % 5 = 0 THEN NULL ELSE i * 0.5 END AS x
             FROM range(19000, 24000) t(i)) TO '${join(dir, "test.parquet")}'`,
    );
    const { byCheck } = await run(
      { train: "train.parquet", test: "test.parquet" },
      { leakage: { max_share: 0.1 }, size_ratio: { max: 0.5 } },
    );
    expect(byCheck("leakage")).toMatchObject({ status: "fail", observed: 1000 / 5000 });
    expect(byCheck("leakage").examples![0]).toBe("id=19000, a=85, b=v7, x=null");
    expect(byCheck("size_ratio")).toMatchObject({ status: "pass", observed: 0.25 });
  });
});

describe("label_drift", () => {
  it("needs the label: an error finding when it is not configured or missing from a file", async () => {
    const train = await writeCsv("train.csv", people(20, 1));
    const testRows = people(20, 2).map(({ churned: _churned, ...rest }) => rest);
    const test = await writeCsv("test.csv", testRows);
    const unset = await run({ train, test }, { label_drift: {} });
    expect(unset.byCheck("label_drift").status).toBe("error");
    expect(unset.byCheck("label_drift").detail).toContain("train_test.label");
    const missing = await run({ train, test }, { label: "churned", label_drift: {} });
    expect(missing.byCheck("label_drift")).toMatchObject({ status: "error", column: "churned" });
    expect(missing.byCheck("label_drift").detail).toContain("`test` (test.csv)");
  });

  it("is an error finding when the label has no values on one side", async () => {
    const train = await writeCsv("train.csv", people(20, 1));
    const test = await writeCsv(
      "test.csv",
      people(20, 2).map((r) => ({ ...r, churned: null })),
    );
    const { byCheck } = await run({ train, test }, { label: "churned", label_drift: {} });
    expect(byCheck("label_drift").status).toBe("error");
    expect(byCheck("label_drift").detail).toContain("no values in `test`");
    const empty = await writeCsv("empty.csv", [], ["churned"]);
    const none = await run({ train, test: empty }, { label: "churned", label_drift: {} });
    expect(none.byCheck("label_drift").status).toBe("error");
  });

  function labels(n: number, seed: number, pYes: number): Row[] {
    const random = rng(seed);
    return Array.from({ length: n }, () => ({
      y: random() < pYes ? "yes" : random() < 0.5 ? "no" : "maybe",
    }));
  }

  it("passes on the same distribution and fails on a shifted one, with monitoring's statistic", async () => {
    const trainRows = labels(600, 1, 0.3);
    const sameRows = labels(300, 2, 0.3);
    const shiftedRows = labels(300, 3, 0.7);
    const train = await writeCsv("train.csv", trainRows);
    const same = await writeCsv("same.csv", sameRows);
    const shifted = await writeCsv("shifted.csv", shiftedRows);
    for (const [file, rows, status] of [
      [same, sameRows, "pass"],
      [shifted, shiftedRows, "fail"],
    ] as const) {
      const { byCheck } = await run({ train, test: file }, { label: "y", label_drift: {} });
      const expected = detectDrift({ reference: profileRecords(trainRows), current: profileRecords(rows) })
        .columns[0]!;
      const r = byCheck("label_drift");
      expect(expected.test).toBe("chisquare");
      expect(r.status).toBe(status);
      expect(r.observed).toBeCloseTo(thresholded(expected), 9);
      expect(r.detail).toContain("chi-square test p-value");
      expect(r.rule).toBe("chi-square test p-value ≥ 0.05");
      expect(r.name).toBe("label drift of y");
    }
  });

  it("uses KS for a small numeric label and Wasserstein beyond 1000 rows, as monitoring does", async () => {
    const random = rng(7);
    const make = (n: number, shift: number) =>
      Array.from({ length: n }, () => ({ target: Number((random() * 100 + shift).toFixed(2)) }));
    for (const [nTrain, test] of [
      [500, "ks"],
      [3000, "wasserstein"],
    ] as const) {
      const trainRows = make(nTrain, 0);
      const testRows = make(400, 8);
      const train = await writeCsv(`train-${nTrain}.csv`, trainRows);
      const testFile = await writeCsv(`test-${nTrain}.csv`, testRows);
      const { byCheck } = await run({ train, test: testFile }, { label: "target", label_drift: {} });
      const expected = detectDrift({
        reference: profileRecords(trainRows),
        current: profileRecords(testRows),
      }).columns[0]!;
      expect(expected.test).toBe(test);
      const r = byCheck("label_drift");
      expect(r.observed).toBeCloseTo(thresholded(expected), 9);
      expect(r.status).toBe(expected.drift ? "fail" : "pass");
    }
  });

  it("matches monitoring for numeric labels with few values (profiles built by merging)", async () => {
    const random = rng(21);
    // 20 integer values: numeric for monitoring (> 10 values); 50 float values over 2000 rows: Wasserstein
    // on the sketch, so the repeated sketch buckets must equal the ones of row-by-row profiling.
    const integers = (n: number, shift: number) =>
      Array.from({ length: n }, () => ({ y: Math.floor(random() * 20) + shift }));
    const floats = (n: number, shift: number) =>
      Array.from({ length: n }, () => ({ y: (Math.floor(random() * 50) + shift) * 0.37 - 3 }));
    for (const [name, make, test] of [
      ["integers", integers, "ks"],
      ["floats", floats, "wasserstein"],
    ] as const) {
      const trainRows = make(name === "floats" ? 2000 : 600, 0);
      const testRows = make(500, 2);
      const train = await writeCsv(`train-${name}.csv`, trainRows);
      const testFile = await writeCsv(`test-${name}.csv`, testRows);
      const { byCheck } = await run({ train, test: testFile }, { label: "y", label_drift: {} });
      const expected = detectDrift({
        reference: profileRecords(trainRows),
        current: profileRecords(testRows),
      }).columns[0]!;
      expect(expected.test).toBe(test);
      const r = byCheck("label_drift");
      expect(r.observed).toBeCloseTo(thresholded(expected), 9);
      expect(r.status).toBe(expected.drift ? "fail" : "pass");
      expect(r.detail).toContain("numeric label");
    }
  });

  it("applies the configured test and threshold", async () => {
    const trainRows = labels(400, 4, 0.3);
    const testRows = labels(400, 5, 0.4);
    const train = await writeCsv("train.csv", trainRows);
    const test = await writeCsv("test.csv", testRows);
    const expected = detectDrift({
      reference: profileRecords(trainRows),
      current: profileRecords(testRows),
      options: { perColumn: { y: { test: "psi" } } },
    }).columns[0]!;
    const loose = await run({ train, test }, { label: "y", label_drift: { test: "psi", threshold: 10 } });
    expect(loose.byCheck("label_drift")).toMatchObject({ status: "pass", rule: "PSI < 10" });
    expect(loose.byCheck("label_drift").observed).toBeCloseTo(thresholded(expected), 12);
    const strict = await run(
      { train, test },
      { label: "y", label_drift: { test: "psi", threshold: expected.statistic! / 2 } },
    );
    expect(strict.byCheck("label_drift").status).toBe("fail");
  });

  it("profiles a boolean label as categorical and an integer class label exactly", async () => {
    const trainRows = people(300, 11);
    const testRows = people(300, 12);
    const train = await writeCsv("train.csv", trainRows);
    const test = await writeCsv("test.csv", testRows);
    for (const label of ["churned", "tier"]) {
      const { byCheck } = await run({ train, test }, { label, label_drift: {} });
      const pick = (rows: Row[]) => rows.map((r) => ({ [label]: r[label] }));
      const expected = detectDrift({
        reference: profileRecords(pick(trainRows)),
        current: profileRecords(pick(testRows)),
      }).columns[0]!;
      const r = byCheck("label_drift");
      expect(r.observed).toBeCloseTo(thresholded(expected), 12);
      expect(r.detail).toContain("categorical label");
    }
  });
});

describe("profileFromCounts", () => {
  function rowByRow(counts: Array<[string | number | boolean | null, number]>): ColumnProfile {
    const records = counts.flatMap(([v, n]) => Array.from({ length: n }, () => ({ y: v })));
    return profileRecords(records).columns[0]!;
  }

  function expectSameProfile(actual: ColumnProfile | undefined, expected: ColumnProfile): void {
    expect(actual).toBeDefined();
    const { numeric, ...rest } = actual!;
    const { numeric: expectedNumeric, ...expectedRest } = expected;
    expect(rest).toEqual(expectedRest);
    if (!expectedNumeric) return expect(numeric).toBeUndefined();
    const { mean, m2, ...exact } = numeric!;
    const { mean: expectedMean, m2: expectedM2, ...expectedExact } = expectedNumeric;
    expect(exact).toEqual(expectedExact);
    expect(mean).toBeCloseTo(expectedMean, 9);
    expect(m2 / expectedM2).toBeCloseTo(1, 9);
  }

  it("equals row-by-row profiling for class labels, numeric labels with NaN and nulls, and many values", () => {
    const cases: Array<Array<[string | number | boolean | null, number]>> = [
      [
        ["yes", 700],
        ["no", 250],
        [null, 50],
      ],
      [
        [true, 3],
        [false, 9],
      ],
      [
        [-2.5, 40],
        [0, 7],
        [1, 3],
        [3.75, 120],
        [NaN, 2],
        [null, 5],
      ],
      Array.from({ length: 300 }, (_, i): [number, number] => [i * 0.731 - 40, 1 + (i % 4)]),
    ];
    for (const counts of cases) expectSameProfile(profileFromCounts("y", counts), rowByRow(counts));
    expect(profileFromCounts("y", [])).toBeUndefined();
  });
});

describe("formatShare", () => {
  it("formats shares as percentages people read", () => {
    expect(formatShare(0)).toBe("0%");
    expect(formatShare(0.25)).toBe("25%");
    expect(formatShare(0.01234)).toBe("1.2%");
    expect(formatShare(0.000001)).toBe("<0.01%");
    expect(formatShare(1)).toBe("100%");
  });
});
