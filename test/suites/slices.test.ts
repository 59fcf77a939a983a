import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  computePredictionMetrics,
  parsePredictions,
  readPredictions,
  type PredictionMetricsOptions,
  type PredictionTable,
} from "../../src/evaluate/predictions";
import { MergedSlicesSchema, type SlicesConfig } from "../../src/suites/schema";
import { computeSlices, NULL_SLICE } from "../../src/suites/slices";
import type { CheckResult, SliceTable } from "../../src/suites/types";

type Row = Record<string, string | number>;

function csvOf(rows: Row[]): string {
  const header = Object.keys(rows[0]);
  return `${[header.join(","), ...rows.map((r) => header.map((h) => r[h]).join(","))].join("\n")}\n`;
}

function tableOf(rows: Row[], segments: string[]): PredictionTable {
  return parsePredictions(csvOf(rows), { source: "out/predictions.csv", segments });
}

function slicesOf(input: Record<string, unknown>): SlicesConfig {
  return MergedSlicesSchema.parse(input);
}

function run(
  table: PredictionTable,
  slices: Record<string, unknown>,
  predictionOptions?: PredictionMetricsOptions,
) {
  return computeSlices({
    table,
    slices: slicesOf(slices),
    predictionOptions,
    suiteOf: (keyPath) => `gitml.yaml#${keyPath}`,
  });
}

function check(checks: CheckResult[], id: string): CheckResult {
  const found = checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} among ${checks.map((c) => c.id).join(", ")}`);
  return found;
}

function sliceTable(tables: SliceTable[], column: string): SliceTable {
  const found = tables.find((t) => t.column === column);
  if (!found) throw new Error(`no slice table for ${column}`);
  return found;
}

function row(table: SliceTable, value: string) {
  const found = table.rows.find((r) => r.value === value);
  if (!found) throw new Error(`no slice ${value} in ${table.column}`);
  return found;
}

/** Accuracy and positive-class F1 of some rows, written out from the definitions. */
function reference(rows: Row[], positive = "1") {
  let correct = 0;
  let tp = 0;
  let predicted = 0;
  let actual = 0;
  for (const r of rows) {
    const t = String(r.y_true);
    const p = String(r.y_pred);
    if (t === p) correct++;
    if (p === positive) predicted++;
    if (t === positive) actual++;
    if (t === positive && p === positive) tp++;
  }
  const precision = predicted ? tp / predicted : 0;
  const recall = actual ? tp / actual : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { accuracy: correct / rows.length, f1 };
}

// A small binary table whose per-group numbers are easy to derive by hand:
// F: 5 rows, 3 correct, tp 2 of 3 predicted / 3 actual; M: 4 rows, all correct; one row without gender.
const SMALL: Row[] = [
  { y_true: 1, y_pred: 1, gender: "F", region: "north" },
  { y_true: 1, y_pred: 0, gender: "F", region: "south" },
  { y_true: 0, y_pred: 0, gender: "F", region: "north" },
  { y_true: 0, y_pred: 1, gender: "F", region: "south" },
  { y_true: 1, y_pred: 1, gender: "F", region: "north" },
  { y_true: 1, y_pred: 1, gender: "M", region: "south" },
  { y_true: 0, y_pred: 0, gender: "M", region: "north" },
  { y_true: 0, y_pred: 0, gender: "M", region: "south" },
  { y_true: 1, y_pred: 1, gender: "M", region: "north" },
  { y_true: 0, y_pred: 1, gender: "", region: "south" },
];

describe("parsePredictions keeps segment columns on request", () => {
  it("keeps the asked-for columns, empty cells as null, and the header", () => {
    const table = tableOf(SMALL, ["gender", "age"]);
    expect(Object.keys(table.segments!)).toEqual(["gender"]);
    expect(table.segments!.gender).toEqual(["F", "F", "F", "F", "F", "M", "M", "M", "M", null]);
    expect(table.header).toEqual(["y_true", "y_pred", "gender", "region"]);
  });

  it("without the option the table is as before", () => {
    const table = parsePredictions(csvOf(SMALL), { source: "p.csv" });
    expect(table.segments).toBeUndefined();
    expect(table.header).toBeUndefined();
  });

  it("segment cells follow the rows that skipUnlabelled keeps", () => {
    const table = parsePredictions("y_true,y_pred,g\n1,1,a\n,0,b\n0,0,c\n", {
      source: "p.csv",
      skipUnlabelled: true,
      segments: ["g"],
    });
    expect(table.segments!.g).toEqual(["a", "c"]);
  });

  it("readPredictions passes the option through", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-slices-"));
    try {
      const file = path.join(dir, "p.csv");
      await fs.writeFile(file, csvOf(SMALL));
      const table = await readPredictions(file, { segments: ["region"] });
      expect(table.segments!.region.filter((v) => v === "north")).toHaveLength(5);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("slice tables", () => {
  it("one row per value with accuracy and f1, nulls as (null), small slices flagged", () => {
    const { tables, checks } = run(tableOf(SMALL, ["gender", "region"]), {
      columns: ["gender", "region"],
      min_rows: 2,
    });
    expect(checks).toEqual([]);
    const gender = sliceTable(tables, "gender");
    expect(gender.metrics).toEqual(["accuracy", "f1"]);
    expect(gender.rows.map((r) => [r.value, r.rows, r.small])).toEqual([
      ["F", 5, false],
      ["M", 4, false],
      [NULL_SLICE, 1, true],
    ]);
    expect(row(gender, "F").metrics.accuracy).toBeCloseTo(0.6, 12);
    expect(row(gender, "F").metrics.f1).toBeCloseTo(2 / 3, 12);
    expect(row(gender, "M").metrics).toEqual({ accuracy: 1, f1: 1 });
    // The lone null row predicts 1 for a true 0: accuracy 0, f1 0 (no true positive).
    expect(row(gender, NULL_SLICE).metrics).toEqual({ accuracy: 0, f1: 0 });
    const region = sliceTable(tables, "region");
    for (const value of ["north", "south"]) {
      const expected = reference(SMALL.filter((r) => r.region === value));
      expect(row(region, value).metrics.accuracy).toBeCloseTo(expected.accuracy, 12);
      expect(row(region, value).metrics.f1).toBeCloseTo(expected.f1, 12);
    }
  });

  it("marks the N weakest non-small slices by the first metric", () => {
    const rows: Row[] = [];
    // Group g<k> has accuracy k/10 over 10 rows; group tiny has 1 (wrong) row.
    for (let k = 1; k <= 5; k++)
      for (let i = 0; i < 10; i++) rows.push({ y_true: 1, y_pred: i < k ? 1 : 0, g: `g${k}` });
    rows.push({ y_true: 1, y_pred: 0, g: "tiny" });
    const { tables } = run(tableOf(rows, ["g"]), { columns: ["g"], min_rows: 5, weakest: 2 });
    const g = sliceTable(tables, "g");
    expect(g.rows.filter((r) => r.weakest).map((r) => r.value)).toEqual(["g1", "g2"]);
    expect(row(g, "tiny").small).toBe(true);
    expect(row(g, "tiny").weakest).toBe(false);
  });

  it("never marks every slice, nor slices tied with the best, as weakest", () => {
    const rows: Row[] = [];
    // a and b are perfect, c gets 5 of 10 right: with weakest: 3 only c is weakest.
    for (const [group, correct] of [
      ["a", 10],
      ["b", 10],
      ["c", 5],
    ] as const)
      for (let i = 0; i < 10; i++) rows.push({ y_true: 1, y_pred: i < correct ? 1 : 0, g: group });
    const { tables } = run(tableOf(rows, ["g"]), { columns: ["g"], min_rows: 5, weakest: 3 });
    expect(
      sliceTable(tables, "g")
        .rows.filter((r) => r.weakest)
        .map((r) => r.value),
    ).toEqual(["c"]);
  });

  it("lower-is-better metrics: the weakest slices have the highest error", () => {
    const rows: Row[] = [];
    for (const [group, error] of [
      ["a", 1],
      ["b", 5],
      ["c", 3],
    ] as const)
      for (let i = 0; i < 30; i++) rows.push({ y_true: i + 0.5, y_pred: i + 0.5 + error, g: group });
    const { tables } = run(tableOf(rows, ["g"]), { columns: ["g"], weakest: 1 });
    const g = sliceTable(tables, "g");
    expect(g.metrics).toEqual(["mae", "rmse"]);
    expect(row(g, "b").metrics.mae).toBeCloseTo(5, 12);
    expect(g.rows.filter((r) => r.weakest).map((r) => r.value)).toEqual(["b"]);
  });

  it("sorts numeric segment values by value", () => {
    const rows: Row[] = ["10", "9", "100", "9"].map((age) => ({ y_true: 1, y_pred: 1, age }));
    const { tables } = run(tableOf(rows, ["age"]), { columns: ["age"] });
    expect(sliceTable(tables, "age").rows.map((r) => r.value)).toEqual(["9", "10", "100"]);
  });

  it("a metric a slice cannot have is null (ROC AUC on a slice with one class)", () => {
    const rows: Row[] = [
      { y_true: 1, y_pred: 1, y_score: 0.9, g: "a" },
      { y_true: 0, y_pred: 0, y_score: 0.2, g: "a" },
      { y_true: 1, y_pred: 1, y_score: 0.8, g: "b" },
      { y_true: 1, y_pred: 0, y_score: 0.3, g: "b" },
    ];
    const { tables } = run(tableOf(rows, ["g"]), { columns: ["g"], metrics: ["roc_auc", "accuracy"] });
    const g = sliceTable(tables, "g");
    expect(row(g, "a").metrics.roc_auc).toBe(1);
    expect(row(g, "b").metrics.roc_auc).toBeNull();
    expect(row(g, "b").metrics.accuracy).toBe(0.5);
  });

  it("slices keep the whole file's task: a multiclass slice holding only 0 and 1 stays multiclass", () => {
    const rows: Row[] = [
      { y_true: 0, y_pred: 0, g: "a" },
      { y_true: 1, y_pred: 0, g: "a" },
      { y_true: 1, y_pred: 1, g: "a" },
      { y_true: 2, y_pred: 2, g: "b" },
      { y_true: 0, y_pred: 2, g: "b" },
    ];
    const { tables } = run(tableOf(rows, ["g"]), { columns: ["g"], metrics: ["f1_macro", "f1"] });
    const g = sliceTable(tables, "g");
    // Slice a: labels 0 and 1 present; macro F1 over them is (2/3 + 2/3) / 2.
    expect(row(g, "a").metrics.f1_macro).toBeCloseTo(2 / 3, 12);
    expect(row(g, "a").metrics.f1).toBeNull();
  });

  it("slices keep the whole file's task: a regression slice with few integer values stays regression", () => {
    const rows: Row[] = [];
    for (let i = 0; i < 40; i++) rows.push({ y_true: i, y_pred: i + 2, g: i < 5 ? "few" : "many" });
    const { tables } = run(tableOf(rows, ["g"]), { columns: ["g"], min_rows: 1 });
    expect(row(sliceTable(tables, "g"), "few").metrics).toEqual({ mae: 2, rmse: 2 });
  });

  it("accepts the whole file's metrics already computed, with the same result", () => {
    const table = tableOf(SMALL, ["gender"]);
    const slices = slicesOf({ columns: ["gender"], min_rows: 2, max_gap: { accuracy: 0.1 } });
    const suiteOf = () => "gitml.yaml";
    const overall = computePredictionMetrics(table);
    expect(computeSlices({ table, slices, suiteOf, overall })).toEqual(
      computeSlices({ table, slices, suiteOf }),
    );
  });

  it("gated metrics are added to the table's metrics", () => {
    const { tables } = run(tableOf(SMALL, ["gender"]), {
      columns: ["gender"],
      metrics: ["accuracy"],
      min: { recall: 0.1 },
    });
    expect(sliceTable(tables, "gender").metrics).toEqual(["accuracy", "recall"]);
  });
});

describe("min and max_gap gates", () => {
  const table = tableOf(SMALL, ["gender"]);

  it("min fails listing the slices below, ignoring small slices", () => {
    const { checks } = run(table, { columns: ["gender"], min_rows: 2, min: { accuracy: 0.7 } });
    const c = check(checks, "slice:min:accuracy:gender");
    expect(c).toMatchObject({
      kind: "slice",
      status: "fail",
      severity: "error",
      suite: "gitml.yaml#min.accuracy",
      column: "gender",
      data: "predictions",
      observed: 0.6,
      examples: ["F"],
      failingFraction: 5 / 9,
    });
    expect(c.detail).toContain("F (0.6, 5 rows)");
    expect(c.detail).toContain("1 slice under 2 rows not gated");
    expect(c.detail).not.toContain(NULL_SLICE);
  });

  it("min passes when every judged slice meets it, and says the worst", () => {
    const { checks } = run(table, { columns: ["gender"], min_rows: 2, min: { accuracy: 0.6 } });
    const c = check(checks, "slice:min:accuracy:gender");
    expect(c.status).toBe("pass");
    expect(c.observed).toBe(0.6);
    expect(c.detail).toMatch(/worst: 0\.6 for F/);
  });

  it("min of a lower-is-better metric is a maximum", () => {
    const rows: Row[] = [];
    for (let i = 0; i < 60; i++)
      rows.push({ y_true: i, y_pred: i + (i < 30 ? 1 : 4), g: i < 30 ? "a" : "b" });
    const { checks } = run(tableOf(rows, ["g"]), { columns: ["g"], min: { mae: 3 } });
    const c = check(checks, "slice:min:mae:g");
    expect(c.status).toBe("fail");
    expect(c.rule).toBe("≤ 3 in every slice");
    expect(c.examples).toEqual(["b"]);
    expect(c.observed).toBe(4);
  });

  it("max_gap is best − worst over the non-small slices of each column", () => {
    const { checks } = run(table, {
      columns: ["gender"],
      min_rows: 2,
      max_gap: { accuracy: 0.3, f1: 0.5 },
    });
    const accuracy = check(checks, "slice:max_gap:accuracy:gender");
    expect(accuracy.status).toBe("fail");
    expect(accuracy.observed).toBeCloseTo(0.4, 12);
    expect(accuracy.suite).toBe("gitml.yaml#max_gap.accuracy");
    expect(accuracy.detail).toMatch(/from 0\.6 \(F\) to 1 \(M\)/);
    const f1 = check(checks, "slice:max_gap:f1:gender");
    expect(f1.status).toBe("pass");
    expect(f1.observed).toBeCloseTo(1 / 3, 12);
  });

  it("a gap exactly at the limit passes despite float noise", () => {
    const rows: Row[] = [];
    for (let i = 0; i < 10; i++) rows.push({ y_true: 1, y_pred: i < 9 ? 1 : 0, g: "a" }); // 0.9
    for (let i = 0; i < 10; i++) rows.push({ y_true: 1, y_pred: i < 8 ? 1 : 0, g: "b" }); // 0.8
    const { checks } = run(tableOf(rows, ["g"]), { columns: ["g"], min_rows: 1, max_gap: { accuracy: 0.1 } });
    expect(check(checks, "slice:max_gap:accuracy:g").status).toBe("pass");
  });

  it("fewer than two judged slices: nothing to gate, and it says why", () => {
    const { checks } = run(table, { columns: ["gender"], min_rows: 5, max_gap: { accuracy: 0.01 } });
    const c = check(checks, "slice:max_gap:accuracy:gender");
    expect(c.status).toBe("pass");
    expect(c.observed).toBeUndefined();
    expect(c.detail).toMatch(/only one gender slice has 5 rows or more/);
  });

  it("required: false makes the checks warnings", () => {
    const { checks } = run(table, {
      columns: ["gender"],
      min_rows: 2,
      min: { accuracy: 0.7 },
      required: false,
    });
    expect(check(checks, "slice:min:accuracy:gender").severity).toBe("warning");
  });

  it("a gated metric the task does not produce is an error finding, once per gate", () => {
    const { checks } = run(tableOf(SMALL, ["gender", "region"]), {
      columns: ["gender", "region"],
      min: { mae: 1 },
      max_gap: { roc_auc: 0.1 },
    });
    const mae = check(checks, "slice:min:mae");
    expect(mae.status).toBe("error");
    expect(mae.detail).toMatch(/mae is not a metric of binary classification/);
    const auc = check(checks, "slice:max_gap:roc_auc");
    expect(auc.status).toBe("error");
    expect(auc.detail).toMatch(/no "y_score" column/);
    expect(checks.filter((c) => c.id.startsWith("slice:min:mae"))).toHaveLength(1);
  });
});

describe("columns and unreadable predictions", () => {
  it("a slice column absent from the file is an error finding, not a throw", () => {
    const { checks, tables } = run(tableOf(SMALL, ["gender", "age"]), {
      columns: ["age", "gender"],
      min_rows: 2,
      min: { accuracy: 0.7 },
    });
    const c = check(checks, "slice:columns:age");
    expect(c).toMatchObject({
      status: "error",
      severity: "error",
      column: "age",
      suite: "gitml.yaml#columns",
    });
    expect(c.detail).toBe(
      'column "age" is not in the predictions file `out/predictions.csv` (its other columns: gender, region)',
    );
    expect(tables.map((t) => t.column)).toEqual(["gender"]);
    expect(check(checks, "slice:min:accuracy:gender").status).toBe("fail");
  });

  it("a table read without segment columns says so", () => {
    const table = parsePredictions(csvOf(SMALL), { source: "p.csv" });
    const { checks } = run(table, { columns: ["gender"] });
    expect(check(checks, "slice:columns:gender").detail).toMatch(/was not kept/);
  });

  it("predictions whose metrics cannot be computed give one error finding", () => {
    const rows: Row[] = [
      { y_true: 1, y_pred: 1, y_score: "high", g: "a" },
      { y_true: 0, y_pred: 0, y_score: 0.1, g: "b" },
    ];
    const { checks, tables } = run(tableOf(rows, ["g"]), { columns: ["g"] });
    expect(tables).toEqual([]);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ id: "slice:predictions", status: "error" });
    expect(checks[0].detail).toMatch(/out\/predictions\.csv:2: column "y_score": "high"/);
  });

  it("an identifier-like column with too many values is refused", () => {
    const rows: Row[] = [];
    for (let i = 0; i < 10_001; i++) rows.push({ y_true: i % 2, y_pred: 1, id: `u${i}` });
    const { checks, tables } = run(tableOf(rows, ["id"]), { columns: ["id"] });
    expect(tables).toEqual([]);
    expect(check(checks, "slice:columns:id").detail).toMatch(/10,001|10001/);
  });
});

describe("fairness", () => {
  // Rates by group (positive class 1):
  //   F: selection 3/5, TPR 2/3, FPR 1/2      M: selection 2/4, TPR 1, FPR 0
  const table = tableOf(SMALL, ["gender"]);
  const all = {
    demographic_parity_difference: { max: 0.05 },
    demographic_parity_ratio: { min: 0.8 },
    equalized_odds_difference: { max: 0.6 },
    equalized_odds_ratio: { min: 0.5, required: false },
  };

  it("computes Fairlearn's four measures over the non-small groups", () => {
    const { checks, tables } = run(table, { columns: ["gender"], min_rows: 2, fairness: all });
    const fairness = sliceTable(tables, "gender").fairness!;
    expect(fairness.demographic_parity_difference).toBeCloseTo(3 / 5 - 2 / 4, 12);
    expect(fairness.demographic_parity_ratio).toBeCloseTo(2 / 4 / (3 / 5), 12);
    expect(fairness.equalized_odds_difference).toBeCloseTo(Math.max(1 - 2 / 3, 1 / 2 - 0), 12);
    expect(fairness.equalized_odds_ratio).toBeCloseTo(Math.min(2 / 3 / 1, 0 / (1 / 2)), 12);

    const dpd = check(checks, "fairness:demographic_parity_difference:gender");
    expect(dpd).toMatchObject({
      kind: "fairness",
      status: "fail",
      severity: "error",
      suite: "gitml.yaml#fairness.demographic_parity_difference",
      rule: "≤ 0.05",
    });
    expect(dpd.detail).toMatch(/selection rate P\(ŷ = 1\) ranges from 0\.5 \(M\) to 0\.6 \(F\)/);
    expect(dpd.detail).toMatch(/1 group under 2 rows left out/);
    expect(check(checks, "fairness:demographic_parity_ratio:gender").status).toBe("pass");
    expect(check(checks, "fairness:equalized_odds_difference:gender").status).toBe("pass");
    const eor = check(checks, "fairness:equalized_odds_ratio:gender");
    expect(eor).toMatchObject({ status: "fail", severity: "warning", observed: 0 });
  });

  it("only the configured measures are put on the table", () => {
    const { tables } = run(table, {
      columns: ["gender"],
      min_rows: 2,
      fairness: { demographic_parity_difference: { max: 1 } },
    });
    expect(Object.keys(sliceTable(tables, "gender").fairness!)).toEqual(["demographic_parity_difference"]);
  });

  it("a group without positives has a TPR of 0, as Fairlearn's confusion matrices give it", () => {
    const rows: Row[] = [
      { y_true: 1, y_pred: 1, g: "a" },
      { y_true: 0, y_pred: 0, g: "a" },
      { y_true: 0, y_pred: 0, g: "b" },
      { y_true: 0, y_pred: 1, g: "b" },
    ];
    const { checks } = run(tableOf(rows, ["g"]), {
      columns: ["g"],
      min_rows: 1,
      fairness: { equalized_odds_difference: { max: 0.5 } },
    });
    const c = check(checks, "fairness:equalized_odds_difference:g");
    // TPR: a 1, b 0 (no positives); FPR: a 0, b 1/2.
    expect(c.observed).toBe(1);
    expect(c.detail).toMatch(/no true "1" in b, whose true positive rate counts as 0/);
  });

  it("a ratio whose largest rate is 0 is undefined: an error finding", () => {
    const rows: Row[] = [
      { y_true: 1, y_pred: 0, g: "a" },
      { y_true: 0, y_pred: 0, g: "b" },
    ];
    const { checks, tables } = run(tableOf(rows, ["g"]), {
      columns: ["g"],
      min_rows: 1,
      fairness: { demographic_parity_ratio: { min: 0.8 }, equalized_odds_ratio: { min: 0.8 } },
    });
    expect(check(checks, "fairness:demographic_parity_ratio:g").status).toBe("error");
    expect(check(checks, "fairness:demographic_parity_ratio:g").detail).toMatch(/0\/0/);
    expect(sliceTable(tables, "g").fairness).toEqual({});
  });

  it("needs binary classification: multiclass and regression give an error finding per measure", () => {
    const multiclass = tableOf(
      [
        { y_true: "a", y_pred: "b", g: "x" },
        { y_true: "c", y_pred: "c", g: "y" },
      ],
      ["g"],
    );
    const { checks } = run(multiclass, { columns: ["g"], fairness: all });
    const found = checks.filter((c) => c.kind === "fairness");
    expect(found.map((c) => c.id).sort()).toEqual(
      Object.keys(all)
        .map((m) => `fairness:${m}`)
        .sort(),
    );
    for (const c of found) {
      expect(c.status).toBe("error");
      expect(c.detail).toMatch(/needs binary classification, but the predictions are multiclass/);
    }
    const regression = tableOf(
      Array.from({ length: 30 }, (_, i) => ({ y_true: i + 0.5, y_pred: i, g: "x" })),
      ["g"],
    );
    const r = run(regression, { columns: ["g"], fairness: { demographic_parity_difference: { max: 0.1 } } });
    expect(check(r.checks, "fairness:demographic_parity_difference").detail).toMatch(/regression/);
  });

  it("uses the configured positive class", () => {
    const rows: Row[] = [
      { y_true: "yes", y_pred: "yes", g: "a" },
      { y_true: "no", y_pred: "yes", g: "a" },
      { y_true: "no", y_pred: "no", g: "b" },
      { y_true: "yes", y_pred: "no", g: "b" },
    ];
    const { checks } = run(
      tableOf(rows, ["g"]),
      { columns: ["g"], min_rows: 1, fairness: { demographic_parity_difference: { max: 0.5 } } },
      { positiveClass: "yes" },
    );
    const c = check(checks, "fairness:demographic_parity_difference:g");
    expect(c.observed).toBe(1);
    expect(c.detail).toMatch(/P\(ŷ = yes\)/);
  });
});

describe("binary slices from counts", () => {
  it("give exactly the metrics computePredictionMetrics gives each slice's rows", () => {
    // Labels written several ways (1, 1.0, True…) and segment cells of several types: the counted path
    // must normalise and group exactly as the per-slice computation does.
    const labels = ["1", "0", "1.0", "0.0", " 1", "-0"];
    const segment: Array<string | number | boolean | null> = ["a", "b", 1, "1", null, "", true, "true"];
    const n = 997;
    const yTrue: string[] = [];
    const yPred: string[] = [];
    const cells: Array<string | number | boolean | null> = [];
    let state = 11;
    const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
    for (let i = 0; i < n; i++) {
      yTrue.push(labels[next() % labels.length]!);
      yPred.push(labels[next() % labels.length]!);
      cells.push(segment[next() % segment.length]!);
    }
    const table: PredictionTable = {
      source: "p.csv",
      columns: { label: "y_true", prediction: "y_pred", score: "y_score" },
      yTrue,
      yPred,
      lines: yTrue.map((_, i) => i + 2),
      segments: { s: cells },
    };
    const metrics = ["accuracy", "precision", "recall", "f1", "precision_macro"];
    const { tables } = run(table, { columns: ["s"], metrics, min_rows: 1 });
    const keyOf = (cell: string | number | boolean | null) =>
      cell === null || cell === "" ? NULL_SLICE : String(cell);
    const values = [...new Set(cells.map(keyOf))];
    expect(tables[0].rows.map((r) => r.value).sort()).toEqual([...values].sort());
    for (const value of values) {
      const indices = cells.flatMap((cell, i) => (keyOf(cell) === value ? [i] : []));
      const expected = computePredictionMetrics(
        {
          ...table,
          yTrue: indices.map((i) => yTrue[i]!),
          yPred: indices.map((i) => yPred[i]!),
          lines: indices.map((i) => i + 2),
          segments: undefined,
        },
        { task: "classification", classes: ["0", "1"], positiveClass: "1" },
      ).metrics;
      const got = row(tables[0], value);
      expect(got.rows).toBe(indices.length);
      // Identical, not close: the same arithmetic on the same counts.
      expect(got.metrics).toEqual({
        accuracy: expected.accuracy,
        precision: expected.precision,
        recall: expected.recall,
        f1: expected.f1,
        precision_macro: null, // only with allAverages, as computePredictionMetrics gives it
      });
    }
  });
});

describe("scale", () => {
  it("1,000,000 rows over two columns within a few seconds of CPU", () => {
    const n = 1_000_000;
    const yTrue: string[] = [];
    const yPred: string[] = [];
    const region: string[] = [];
    const age: string[] = [];
    const lines: number[] = [];
    let state = 7;
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const truth = state & 1 ? "1" : "0";
      yTrue.push(truth);
      yPred.push(state & 6 ? truth : truth === "1" ? "0" : "1");
      region.push(`r${(state >>> 8) % 50}`);
      age.push(String(18 + ((state >>> 16) % 60)));
      lines.push(i + 2);
    }
    const table: PredictionTable = {
      source: "big.csv",
      columns: { label: "y_true", prediction: "y_pred", score: "y_score" },
      yTrue,
      yPred,
      lines,
      segments: { region, age },
    };
    // CPU time, not wall time: the suite may share the machine with other work.
    const before = process.cpuUsage();
    const { tables, checks } = run(table, {
      columns: ["region", "age"],
      min: { accuracy: 0.5 },
      max_gap: { accuracy: 0.2 },
      fairness: { demographic_parity_difference: { max: 0.2 }, equalized_odds_ratio: { min: 0.5 } },
    });
    const used = process.cpuUsage(before);
    const seconds = (used.user + used.system) / 1e6;
    expect(tables.map((t) => t.rows.length)).toEqual([50, 60]);
    expect(tables[0].rows.reduce((sum, r) => sum + r.rows, 0)).toBe(n);
    expect(checks.map((c) => c.status)).toEqual(Array(8).fill("pass"));
    expect(seconds).toBeLessThan(10);
  }, 60_000);
});
