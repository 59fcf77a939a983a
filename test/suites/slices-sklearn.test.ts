import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPredictions, type PredictionMetricsOptions } from "../../src/evaluate/predictions";
import { FAIRNESS_MEASURES, MergedSlicesSchema } from "../../src/suites/schema";
import { computeSlices, NULL_SLICE, type SlicesOutcome } from "../../src/suites/slices";
import { rng } from "../helpers/data";
import { SYSTEM_PYTHON, systemPythonHas } from "../helpers/python";

// Per-slice metrics and Fairlearn's fairness measures, checked against the same quantities computed in
// Python from scikit-learn confusion matrices (Fairlearn's own definitions: confusion_matrix with
// normalize="true", so a group without positives has a TPR of 0), to 1e-12.
const python = SYSTEM_PYTHON;
const sklearn = systemPythonHas("sklearn", "pandas", "numpy");

// Skipping is for laptops without scikit-learn; in CI, which installs it, a skip would hide a failure.
it.runIf(process.env.CI === "true")("CI has scikit-learn, so the cross-checks below ran", () => {
  expect(sklearn).toBe(true);
});

const MIN_ROWS = 30;

interface Case {
  name: string;
  csv: string;
  options: PredictionMetricsOptions;
  columns: string[];
  sk: { task: "binary"; pos: string; neg: string } | { task: "multiclass" } | { task: "regression" };
}

function csvOf(header: string[], rows: Array<Array<string | number>>): string {
  return `${[header, ...rows].map((r) => r.join(",")).join("\n")}\n`;
}

/**
 * Groups with different base rates and error rates; `none` has no positive label, `all` no negative
 * one, `tiny` fewer than MIN_ROWS rows, and some rows have no region.
 */
function binaryCase(name: string, seed: number, labels: [string, string]): Case {
  const random = rng(seed);
  const groups: Array<{ group: string; rows: number; base: number; error: number }> = [
    { group: "a", rows: 400, base: 0.3, error: 0.1 },
    { group: "b", rows: 250, base: 0.6, error: 0.25 },
    { group: "none", rows: 80, base: 0, error: 0.2 },
    { group: "all", rows: 60, base: 1, error: 0.3 },
    { group: "tiny", rows: 7, base: 0.5, error: 0.5 },
  ];
  const rows: Array<Array<string | number>> = [];
  for (const { group, rows: count, base, error } of groups) {
    for (let i = 0; i < count; i++) {
      const positive = random() < base;
      const wrong = random() < error;
      const region = random() < 0.05 ? "" : random() < 0.5 ? "north" : "south";
      rows.push([
        positive ? labels[1] : labels[0],
        positive !== wrong ? labels[1] : labels[0],
        group,
        region,
      ]);
    }
  }
  return {
    name,
    csv: csvOf(["y_true", "y_pred", "group", "region"], rows),
    options: labels[1] === "1" ? {} : { positiveClass: labels[1] },
    columns: ["group", "region"],
    sk: { task: "binary", pos: labels[1], neg: labels[0] },
  };
}

function multiclassCase(name: string, seed: number): Case {
  const random = rng(seed);
  const classes = ["cat", "dog", "bird"];
  const rows: Array<Array<string | number>> = [];
  for (let i = 0; i < 600; i++) {
    const group = i % 3 === 0 ? "x" : i % 3 === 1 ? "y" : "z";
    // Group z only ever holds cats and dogs: its macro averages are over those two labels.
    const truth = group === "z" ? Math.floor(random() * 2) : Math.floor(random() * 3);
    const predicted = random() < 0.7 ? truth : Math.floor(random() * (group === "z" ? 2 : 3));
    rows.push([classes[truth], classes[predicted], group]);
  }
  return {
    name,
    csv: csvOf(["y_true", "y_pred", "group"], rows),
    options: {},
    columns: ["group"],
    sk: { task: "multiclass" },
  };
}

function regressionCase(name: string, seed: number): Case {
  const random = rng(seed);
  const rows: Array<Array<string | number>> = [];
  for (let i = 0; i < 500; i++) {
    const truth = 50 * random();
    const group = truth < 10 ? "low" : truth < 40 ? "mid" : "high";
    rows.push([truth.toFixed(4), (truth + (group === "high" ? 8 : 3) * (random() - 0.5)).toFixed(4), group]);
  }
  return {
    name,
    csv: csvOf(["y_true", "y_pred", "group"], rows),
    options: {},
    columns: ["group"],
    sk: { task: "regression" },
  };
}

const SCRIPT = `
import json, sys
import numpy as np, pandas as pd
from sklearn import metrics as m
MIN_ROWS = ${MIN_ROWS}
out = {}
for case in json.loads(sys.stdin.read()):
    df = pd.read_csv(case["file"], dtype=str, keep_default_na=False)
    sk = case["sk"]
    result = {}
    for column in case["columns"]:
        slices = {}
        rates = {}
        for value, part in df.groupby(column):
            t, p = part["y_true"], part["y_pred"]
            key = value if value != "" else "${NULL_SLICE}"
            if sk["task"] == "regression":
                tf, pf = t.astype(float), p.astype(float)
                slices[key] = {"mae": m.mean_absolute_error(tf, pf), "rmse": m.mean_squared_error(tf, pf) ** 0.5}
            elif sk["task"] == "multiclass":
                slices[key] = {"accuracy": m.accuracy_score(t, p), "f1_macro": m.f1_score(t, p, average="macro", zero_division=0)}
            else:
                pos, neg = sk["pos"], sk["neg"]
                slices[key] = {"accuracy": m.accuracy_score(t, p), "f1": m.f1_score(t, p, pos_label=pos, labels=[neg, pos], zero_division=0)}
                if len(part) >= MIN_ROWS:
                    cm = m.confusion_matrix(t, p, labels=[neg, pos], normalize="true")
                    rates[key] = {"selection": float(np.mean(p == pos)), "tpr": cm[1, 1], "fpr": cm[0, 1]}
        entry = {"slices": {k: {n: float(v) for n, v in s.items()} for k, s in slices.items()}}
        if rates:
            sel = np.array([r["selection"] for r in rates.values()])
            tpr = np.array([r["tpr"] for r in rates.values()])
            fpr = np.array([r["fpr"] for r in rates.values()])
            entry["fairness"] = {
                "demographic_parity_difference": float(sel.max() - sel.min()),
                "demographic_parity_ratio": float(sel.min() / sel.max()),
                "equalized_odds_difference": float(max(tpr.max() - tpr.min(), fpr.max() - fpr.min())),
                "equalized_odds_ratio": float(min(tpr.min() / tpr.max(), fpr.min() / fpr.max())),
            }
        result[column] = entry
    out[case["name"]] = result
print(json.dumps(out))
`;

type Expected = Record<
  string,
  { slices: Record<string, Record<string, number>>; fairness?: Record<string, number> }
>;

describe.skipIf(!sklearn)("slices and fairness against scikit-learn", () => {
  let dir: string;
  const cases: Case[] = [
    binaryCase("binary 0/1", 11, ["0", "1"]),
    binaryCase("binary with a named positive class", 12, ["rejected", "approved"]),
    multiclassCase("multiclass", 13),
    regressionCase("regression", 14),
  ];
  const ours = new Map<string, SlicesOutcome>();
  let theirs: Record<string, Expected> = {};

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-slices-sk-"));
    const files = await Promise.all(
      cases.map(async (c, i) => {
        const file = path.join(dir, `case-${i}.csv`);
        await fs.writeFile(file, c.csv);
        const table = await readPredictions(file, { segments: c.columns });
        const binary = c.sk.task === "binary";
        const slices = MergedSlicesSchema.parse({
          columns: c.columns,
          min_rows: MIN_ROWS,
          ...(binary ? { fairness: Object.fromEntries(FAIRNESS_MEASURES.map((m) => [m, { max: 1 }])) } : {}),
          ...(c.sk.task === "multiclass" ? { metrics: ["accuracy", "f1_macro"] } : {}),
        });
        ours.set(
          c.name,
          computeSlices({ table, slices, predictionOptions: c.options, suiteOf: () => "gitml.yaml" }),
        );
        return { name: c.name, file, sk: c.sk, columns: c.columns };
      }),
    );
    theirs = JSON.parse(execFileSync(python, ["-c", SCRIPT], { input: JSON.stringify(files) }).toString());
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  for (const c of cases) {
    it(`${c.name}: every slice's metrics and every fairness measure equal the reference to 1e-12`, () => {
      const result = ours.get(c.name)!;
      const expected = theirs[c.name];
      expect(result.checks.filter((check) => check.status === "error")).toEqual([]);
      for (const column of c.columns) {
        const table = result.tables.find((t) => t.column === column)!;
        const reference = expected[column];
        expect(table.rows.map((r) => r.value).sort()).toEqual(Object.keys(reference.slices).sort());
        for (const row of table.rows) {
          for (const [metric, value] of Object.entries(reference.slices[row.value])) {
            expect(row.metrics[metric], `${column}=${row.value} ${metric}`).not.toBeNull();
            expect(Math.abs(row.metrics[metric]! - value), `${column}=${row.value} ${metric}`).toBeLessThan(
              1e-12,
            );
          }
        }
        if (c.sk.task === "binary") {
          expect(Object.keys(table.fairness!).sort()).toEqual([...FAIRNESS_MEASURES].sort());
          for (const [measure, value] of Object.entries(reference.fairness!)) {
            expect(Math.abs(table.fairness![measure] - value), `${column} ${measure}`).toBeLessThan(1e-12);
          }
        }
      }
    });
  }

  it("the binary cases exercise the edge cases (groups without positives or negatives, a small group)", () => {
    const table = ours.get("binary 0/1")!.tables.find((t) => t.column === "group")!;
    expect(table.rows.find((r) => r.value === "tiny")!.small).toBe(true);
    const eod = ours
      .get("binary 0/1")!
      .checks.find((c) => c.id === "fairness:equalized_odds_difference:group")!;
    expect(eod.detail).toMatch(/no true "1" in none/);
    expect(eod.detail).toMatch(/only true "1" in all/);
    expect(eod.detail).toMatch(/1 group under 30 rows left out/);
  });
});
