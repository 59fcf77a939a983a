import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  predictionMetricsFromFile,
  type PredictionMetricsOptions,
  type PredictionMetricsResult,
} from "../../src/evaluate/predictions";
import { rng } from "../helpers/data";
import { SYSTEM_PYTHON, systemPythonHas } from "../helpers/python";

// Every metric computed from a predictions file is checked against scikit-learn (Debian's
// python3-sklearn) on the same file, to 1e-9.
const python = SYSTEM_PYTHON;
const sklearn = systemPythonHas("sklearn", "pandas");

// Skipping is for laptops without scikit-learn; in CI, which installs it, a skip would hide a failure.
it.runIf(process.env.CI === "true")("CI has scikit-learn, so the cross-checks below ran", () => {
  expect(sklearn).toBe(true);
});

interface Case {
  name: string;
  csv: string;
  options: PredictionMetricsOptions;
  /** How the python side reads it: positive label for binary, label list for multiclass. */
  sk:
    | { task: "binary"; pos: string; neg: string }
    | { task: "multiclass"; classes: string[] }
    | { task: "regression" };
}

function csvOf(header: string[], rows: Array<Array<string | number>>): string {
  return `${[header, ...rows].map((r) => r.join(",")).join("\n")}\n`;
}

function binaryCase(name: string, n: number, seed: number, labels: [string, string], ties: boolean): Case {
  const random = rng(seed);
  const rows: Array<Array<string | number>> = [];
  for (let i = 0; i < n; i++) {
    const positive = random() < 0.4;
    let score = Math.min(1, Math.max(0, (positive ? 0.65 : 0.35) + (random() - 0.5) * 0.9));
    if (ties) score = Math.round(score * 10) / 10; // many tied scores
    if (i === 0) score = 0; // exercises log-loss clipping
    if (i === 1) score = 1;
    rows.push([
      random().toFixed(3),
      positive ? labels[1] : labels[0],
      score >= 0.5 ? labels[1] : labels[0],
      score,
    ]);
  }
  return {
    name,
    csv: csvOf(["feature", "y_true", "y_pred", "y_score"], rows),
    options: labels[1] === "1" ? {} : { positiveClass: labels[1] },
    sk: { task: "binary", pos: labels[1], neg: labels[0] },
  };
}

function multiclassCase(name: string, n: number, seed: number): Case {
  const classes = ["setosa", "versicolor", "virginica", "other"];
  const random = rng(seed);
  const rows: Array<Array<string | number>> = [];
  for (let i = 0; i < n; i++) {
    const truth = Math.floor(random() * classes.length);
    const weights = classes.map((_, c) => (c === truth ? 2 : 0.2) + random());
    const total = weights.reduce((a, b) => a + b, 0);
    const probabilities = weights.map((w) => w / total);
    const predicted = probabilities.indexOf(Math.max(...probabilities));
    rows.push([classes[truth], classes[predicted], ...probabilities.map((p) => p.toPrecision(17))]);
  }
  return {
    name,
    csv: csvOf(["y_true", "y_pred", ...classes.map((c) => `y_score_${c}`)], rows),
    options: {},
    sk: { task: "multiclass", classes },
  };
}

function regressionCase(name: string, n: number, seed: number): Case {
  const random = rng(seed);
  const rows: Array<Array<string | number>> = [];
  for (let i = 0; i < n; i++) {
    const truth = 100 * random() - 20;
    rows.push([
      truth.toFixed(4),
      (truth + 15 * (random() - 0.5)).toFixed(4),
      i % 3 === 0 ? "north" : "south",
    ]);
  }
  return { name, csv: csvOf(["y_true", "y_pred", "region"], rows), options: {}, sk: { task: "regression" } };
}

const SKLEARN_SCRIPT = `
import json, sys
import numpy as np, pandas as pd
from sklearn import metrics as m
out = {}
for case in json.loads(sys.stdin.read()):
    df = pd.read_csv(case["file"], dtype=str)
    sk = case["sk"]
    r = {}
    if sk["task"] == "regression":
        t = df["y_true"].astype(float); p = df["y_pred"].astype(float)
        r = {"mae": m.mean_absolute_error(t, p), "rmse": m.mean_squared_error(t, p) ** 0.5, "r2": m.r2_score(t, p)}
    elif sk["task"] == "binary":
        t = df["y_true"]; p = df["y_pred"]; s = df["y_score"].astype(float)
        pos = sk["pos"]
        r = {
            "accuracy": m.accuracy_score(t, p),
            "precision": m.precision_score(t, p, pos_label=pos, zero_division=0),
            "recall": m.recall_score(t, p, pos_label=pos, zero_division=0),
            "f1": m.f1_score(t, p, pos_label=pos, zero_division=0),
            "roc_auc": m.roc_auc_score((t == pos).astype(int), s),
            # scikit-learn takes a 1-d score as the probability of the greater label: 0/1-encode it.
            "log_loss": m.log_loss((t == pos).astype(int), s, labels=[0, 1]),
        }
    else:
        t = df["y_true"]; p = df["y_pred"]
        classes = sorted(sk["classes"])
        probs = df[["y_score_" + c for c in classes]].astype(float).to_numpy()
        r = {"accuracy": m.accuracy_score(t, p)}
        for avg in ("macro", "weighted"):
            r["precision_" + avg] = m.precision_score(t, p, average=avg, zero_division=0)
            r["recall_" + avg] = m.recall_score(t, p, average=avg, zero_division=0)
            r["f1_" + avg] = m.f1_score(t, p, average=avg, zero_division=0)
        r["roc_auc"] = m.roc_auc_score(t, probs, multi_class="ovr", average="macro", labels=classes)
        r["log_loss"] = m.log_loss(t, probs, labels=classes)
        cm = m.confusion_matrix(t, p, labels=sorted(set(t) | set(p)))
        r["confusion"] = cm.tolist()
    out[case["name"]] = {k: (v if isinstance(v, list) else float(v)) for k, v in r.items()}
print(json.dumps(out))
`;

describe.skipIf(!sklearn)("metrics from predictions against scikit-learn", () => {
  let dir: string;
  const cases: Case[] = [
    binaryCase("binary 0/1", 400, 1, ["0", "1"], false),
    binaryCase("binary with tied scores", 300, 2, ["0", "1"], true),
    binaryCase("binary string labels", 150, 3, ["benign", "malignant"], false),
    binaryCase("binary small", 12, 4, ["0", "1"], true),
    multiclassCase("multiclass 4 classes", 500, 5),
    multiclassCase("multiclass small", 40, 6),
    regressionCase("regression", 300, 7),
  ];
  const ours = new Map<string, PredictionMetricsResult>();
  let theirs: Record<string, Record<string, number | number[][]>> = {};

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-predictions-sk-"));
    const files = await Promise.all(
      cases.map(async (c, i) => {
        const file = path.join(dir, `case-${i}.csv`);
        await fs.writeFile(file, c.csv);
        ours.set(c.name, await predictionMetricsFromFile(file, c.options));
        return { name: c.name, file, sk: c.sk };
      }),
    );
    theirs = JSON.parse(
      execFileSync(python, ["-c", SKLEARN_SCRIPT], { input: JSON.stringify(files) }).toString(),
    );
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  for (const c of cases) {
    it(`${c.name}: every metric equals scikit-learn's to 1e-9`, () => {
      const result = ours.get(c.name)!;
      const expected = theirs[c.name];
      expect(result.task).toBe(c.sk.task);
      const names = Object.keys(expected).filter((k) => k !== "confusion");
      expect(Object.keys(result.metrics).sort()).toEqual(names.sort());
      for (const name of names) {
        expect(
          Math.abs(result.metrics[name] - (expected[name] as number)),
          `${name}: ${result.metrics[name]} vs ${String(expected[name])}`,
        ).toBeLessThan(1e-9);
      }
      if (expected.confusion) expect(result.confusionMatrix!.matrix).toEqual(expected.confusion);
    });
  }
});
