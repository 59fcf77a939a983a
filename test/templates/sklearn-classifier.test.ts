import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { readImportancesFile } from "../../src/evaluate/importances-file";
import Ajv2020 from "ajv/dist/2020";
import { SYSTEM_PYTHON, systemPythonHas } from "../helpers/python";
import { tempDir } from "../helpers/repo";
import {
  column,
  copyTemplate,
  evaluateTemplate,
  mean,
  readCsv,
  run,
  runOk,
  share,
  templatesDir,
} from "./helpers";

const PYTHON = SYSTEM_PYTHON;
const sklearnMissing = systemPythonHas("sklearn", "pandas", "yaml", "joblib")
  ? undefined
  : `${PYTHON} cannot import sklearn, pandas, yaml and joblib (apt-get install -y python3-sklearn python3-pandas python3-yaml)`;

describe("sklearn-classifier template: gitml.yaml", () => {
  const text = readFileSync(path.join(templatesDir, "sklearn-classifier", "gitml.yaml"), "utf8");
  const config = parseConfig(text, "gitml.yaml");

  it("declares the cancer model with its outputs, gates and monitoring", () => {
    const cancer = config.models.cancer;
    expect(cancer.path).toBe("models/cancer");
    expect(cancer.train).toBe("python3 train.py");
    expect(cancer.outputs).toEqual({
      model: "out/model.pkl",
      metrics: "out/metrics.json",
      params: "params.yaml",
      predictions: "out/predictions.csv",
      reference: "out/reference.csv",
      importances: "out/importances.json",
    });
    expect(cancer.importance_gates).toEqual([{ importance: { max_single: 0.5 }, required: true }]);
    expect(cancer.compare_to).toBe("production");
    expect(cancer.monitor?.current).toBe("data/live/*.csv");
    // log_loss only has `max`, so lower is better.
    expect(cancer.gates.find((gate) => gate.metric === "log_loss")?.direction).toBe("lower");
  });
});

// Skipping is for laptops without Debian's scikit-learn; in CI, which installs it, a skip would hide a failure.
it.runIf(process.env.CI === "true")("CI has scikit-learn, so the template tests below ran", () => {
  expect(sklearnMissing).toBeUndefined();
});

describe.skipIf(sklearnMissing !== undefined)(
  `sklearn-classifier template with ${PYTHON}${sklearnMissing ? ` (skipped: ${sklearnMissing})` : ""}`,
  () => {
    let root: string;
    let model: string;
    const out = (file: string) => path.join(model, "out", file);

    beforeAll(async () => {
      root = await tempDir("gitml-sklearn-template-");
      copyTemplate("sklearn-classifier", path.join(root, "repo"));
      model = path.join(root, "repo", "models", "cancer");
      await runOk(PYTHON, ["train.py"], model);
    }, 120_000);

    afterAll(async () => {
      await fs.rm(root, { recursive: true, force: true });
    });

    it("trains and writes every declared output, with metrics in a sensible range", () => {
      const config = parseConfig(
        readFileSync(path.join(templatesDir, "sklearn-classifier", "gitml.yaml"), "utf8"),
        "gitml.yaml",
      );
      for (const output of Object.values(config.models.cancer.outputs)) {
        expect(existsSync(path.join(model, output)), output).toBe(true);
      }
      const metrics = JSON.parse(readFileSync(out("metrics.json"), "utf8"));
      expect(Object.keys(metrics).sort()).toEqual([
        "accuracy",
        "f1",
        "log_loss",
        "precision",
        "recall",
        "roc_auc",
      ]);
      expect(metrics.accuracy).toBeGreaterThan(0.9);
      expect(metrics.roc_auc).toBeGreaterThan(0.95);
      expect(metrics.f1).toBeGreaterThan(0.85);
      expect(metrics.log_loss).toBeGreaterThan(0);
      expect(metrics.log_loss).toBeLessThan(0.3);
      for (const gate of config.models.cancer.gates) {
        if (gate.min !== undefined)
          expect(metrics[gate.metric], gate.metric).toBeGreaterThanOrEqual(gate.min);
        if (gate.max !== undefined) expect(metrics[gate.metric], gate.metric).toBeLessThanOrEqual(gate.max);
      }
    });

    it("writes predictions and reference data a monitor can read", () => {
      const predictions = readCsv(out("predictions.csv"));
      const reference = readCsv(out("reference.csv"));
      expect(predictions.header.slice(-3)).toEqual(["y_true", "y_pred", "y_score"]);
      expect(predictions.header).toContain("mean_radius");
      expect(reference.header.at(-1)).toBe("malignant");
      // test_size 0.25 of 569 rows, stratified.
      expect(predictions.rows.length + reference.rows.length).toBe(569);
      expect(predictions.rows).toHaveLength(143);
      expect(share(column(predictions, "y_true"), "1")).toBeCloseTo(
        share(column(reference, "malignant"), "1"),
        2,
      );
      const scores = column(predictions, "y_score").map(Number);
      expect(scores.every((score) => score >= 0 && score <= 1)).toBe(true);
      const predictedFromScore = scores.map((score) => (score >= 0.5 ? "1" : "0"));
      expect(predictedFromScore).toEqual(column(predictions, "y_pred"));
    });

    it("writes permutation importances and mean |SHAP| that gitml reads, every feature a reference column", async () => {
      const reference = readCsv(out("reference.csv"));
      const importances = await readImportancesFile(out("importances.json"), {
        name: "out/importances.json",
        columns: reference.header,
      });
      expect(importances.method).toMatch(/^permutation/);
      // The file as written follows the documented JSON Schema (docs/importances.schema.json).
      const schema = JSON.parse(
        readFileSync(path.join(templatesDir, "../docs/importances.schema.json"), "utf8"),
      );
      const valid = new Ajv2020().compile(schema);
      expect(
        valid(JSON.parse(readFileSync(out("importances.json"), "utf8"))),
        JSON.stringify(valid.errors),
      ).toBe(true);
      // Every feature of the data set (the label is not a feature), each with a share and a mean |SHAP|.
      expect(importances.features.map((f) => f.feature).sort()).toEqual(reference.header.slice(0, -1).sort());
      expect(importances.features.reduce((sum, f) => sum + f.share, 0)).toBeCloseTo(1, 6);
      expect(importances.features.every((f) => f.mean_abs_shap !== undefined && f.mean_abs_shap > 0)).toBe(
        true,
      );
      // Cell-nucleus shape and texture carry the model; no single feature dominates (the template's gate).
      expect(importances.features[0]!.share).toBeLessThan(0.5);
      expect(importances.features[0]!.share).toBeGreaterThan(0.1);
    });

    it("passes its own suite, with a slice table per texture band", async () => {
      const result = await evaluateTemplate(path.join(root, "repo"), "cancer");
      expect(result.checks.filter((c) => c.status !== "pass" && c.severity === "error")).toEqual([]);
      expect(result.checks.some((c) => c.id.startsWith("slice:min:accuracy:texture_band"))).toBe(true);
      const bands = result.slices.find((t) => t.column === "texture_band");
      expect(bands?.rows.map((r) => r.value).sort()).toEqual(["high", "low", "medium"]);
      expect(bands?.rows.reduce((sum, r) => sum + r.rows, 0)).toBe(143);
      expect(result.verdict).toBe("pass");
    });

    it("is deterministic: the same params give the same outputs", async () => {
      const files = ["metrics.json", "predictions.csv", "reference.csv", "model.pkl", "importances.json"];
      const first = files.map((file) => readFileSync(out(file)));
      await runOk(PYTHON, ["train.py"], model);
      files.forEach((file, i) => expect(readFileSync(out(file)).equals(first[i]), file).toBe(true));
    });

    it("refuses invalid params", async () => {
      const params = path.join(model, "params.yaml");
      const original = readFileSync(params, "utf8");
      try {
        writeFileSync(params, original.replace(/^C: .*/m, "C: -1"));
        const result = await run(PYTHON, ["train.py"], model);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain("C: a number > 0 (found -1)");
      } finally {
        writeFileSync(params, original);
      }
    });

    it("simulates live data without drift and with it", async () => {
      const none = path.join(root, "none.csv");
      const shifted = path.join(root, "shift.csv");
      await runOk(PYTHON, ["simulate_live.py", "--drift", "none", "--rows", "400", "-o", none], model);
      await runOk(PYTHON, ["simulate_live.py", "--drift", "shift", "--rows", "400", "-o", shifted], model);
      const reference = readCsv(out("reference.csv"));
      const live = readCsv(none);
      const drifted = readCsv(shifted);
      expect(live.header).toEqual(reference.header);
      expect(drifted.header).toEqual(reference.header);
      expect(live.rows).toHaveLength(400);

      const relativeShift = (csv: typeof live, name: string) => mean(csv, name) / mean(reference, name) - 1;
      for (const name of ["mean_radius", "mean_texture", "worst_area", "mean_smoothness"]) {
        expect(Math.abs(relativeShift(live, name)), name).toBeLessThan(0.06);
      }
      expect(relativeShift(drifted, "mean_radius")).toBeGreaterThan(0.3);
      expect(relativeShift(drifted, "mean_texture")).toBeGreaterThan(0.2);
      expect(share(column(drifted, "malignant"), "1")).toBeGreaterThan(0.6);
      expect(share(column(live, "malignant"), "1")).toBeLessThan(0.5);
    });
  },
);
