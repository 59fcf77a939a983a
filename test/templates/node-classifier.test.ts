import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { readImportancesFile } from "../../src/evaluate/importances-file";
import Ajv2020 from "ajv/dist/2020";
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

const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
const CLASSES = ["setosa", "versicolor", "virginica"];

let root: string;
let repo: string;
let model: string;
const out = (file: string) => path.join(model, "out", file);
const read = (file: string) => readFileSync(file);

beforeAll(async () => {
  root = await tempDir("gitml-node-template-");
  repo = path.join(root, "repo");
  copyTemplate("node-classifier", repo);
  model = path.join(repo, "models", "iris");
  // The lock file pins the template's dependencies; `npm ci` installs exactly them.
  await runOk("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], repo);
  await runOk(process.execPath, ["train.mjs"], model);
}, 180_000);

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe("node-classifier template: gitml.yaml", () => {
  const text = readFileSync(path.join(templatesDir, "node-classifier", "gitml.yaml"), "utf8");
  const config = parseConfig(text, "gitml.yaml");
  const iris = config.models.iris;

  it("declares the iris model as gitml expects it", () => {
    expect(Object.keys(config.models)).toEqual(["iris"]);
    expect(iris.path).toBe("models/iris");
    expect(iris.train).toBe("node train.mjs");
    expect(iris.stages).toEqual(["staging", "production"]);
    expect(iris.compare_to).toBe("production");
    expect(iris.bump).toBe("minor");
    expect(iris.monitor).toMatchObject({ current: "data/live/*.csv", drift_share: 0.5 });
    expect(iris.gates).toContainEqual(expect.objectContaining({ metric: "accuracy", min: 0.85 }));
    expect(iris.gates).toContainEqual(
      expect.objectContaining({ metric: "f1_macro", no_regression: { tolerance: 0.02 } }),
    );
    expect(iris.description).toBeTruthy();
    expect(iris.owners?.length).toBeGreaterThan(0);
    expect(iris.intended_use).toBeTruthy();
  });

  it("writes the forest's permutation importances, per class too, in the form gitml reads", async () => {
    expect(iris.outputs.importances).toBe("out/importances.json");
    expect(iris.importance_gates).toEqual([
      { importance: { features: ["petal_length", "petal_width"], min_share: 0.5 }, required: true },
    ]);
    const importances = await readImportancesFile(out("importances.json"), {
      name: "out/importances.json",
      columns: readCsv(out("reference.csv")).header,
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
    expect(importances.features.map((f) => f.feature).sort()).toEqual([...FEATURES].sort());
    expect(importances.features.reduce((sum, f) => sum + f.share, 0)).toBeCloseTo(1, 6);
    // Iris is told apart by its petals: they hold most of the forest's importance.
    const petals = importances.features
      .filter((f) => f.feature.startsWith("petal_"))
      .reduce((sum, f) => sum + f.share, 0);
    expect(petals).toBeGreaterThan(0.6);
    expect(Object.keys(importances.per_class ?? {})).toEqual(CLASSES);
    // Shuffling the petals costs versicolor (the class most often confused) recall.
    expect(importances.per_class!.versicolor![0]!.feature).toMatch(/^petal_/);
    expect(importances.per_class!.versicolor![0]!.importance).toBeGreaterThan(0);
  });

  it("names outputs that training really writes, and a params file that exists", () => {
    for (const output of Object.values(iris.outputs)) {
      expect(existsSync(path.join(repo, iris.path, output)), output).toBe(true);
    }
  });

  it("lists metrics a gate names only if training writes them", () => {
    const metrics = JSON.parse(readFileSync(out("metrics.json"), "utf8")) as Record<string, unknown>;
    const lookup = (dotted: string) =>
      dotted.split(".").reduce<unknown>((value, key) => (value as Record<string, unknown>)?.[key], metrics);
    for (const gate of iris.gates) expect(typeof lookup(gate.metric), gate.metric).toBe("number");
  });
});

describe("node-classifier template: training", () => {
  it("writes metrics nested as dvclive does, in a sensible range", () => {
    const metrics = JSON.parse(readFileSync(out("metrics.json"), "utf8"));
    expect(metrics.accuracy).toBeGreaterThan(0.85);
    expect(metrics.accuracy).toBeLessThanOrEqual(1);
    expect(metrics.f1_macro).toBeGreaterThan(0.85);
    expect(Object.keys(metrics.per_class)).toEqual(CLASSES);
    for (const name of CLASSES) {
      expect(metrics.per_class[name].recall).toBeGreaterThanOrEqual(0.7);
      expect(metrics.per_class[name].recall).toBeLessThanOrEqual(1);
    }
  });

  it("holds out a stratified test split and keeps the rest as the reference data", () => {
    const predictions = readCsv(out("predictions.csv"));
    const reference = readCsv(out("reference.csv"));
    expect(predictions.header).toEqual([...FEATURES, "y_true", "y_pred", "y_score"]);
    expect(reference.header).toEqual([...FEATURES, "species"]);
    // testSize 0.3 of 50 flowers per class.
    expect(predictions.rows).toHaveLength(45);
    expect(reference.rows).toHaveLength(105);
    for (const name of CLASSES) expect(share(column(predictions, "y_true"), name)).toBeCloseTo(1 / 3, 5);
    const scores = column(predictions, "y_score").map(Number);
    expect(scores.every((score) => score > 0 && score <= 1)).toBe(true);
    const accuracy = share(
      column(predictions, "y_true").map((truth, i) => String(truth === column(predictions, "y_pred")[i])),
      "true",
    );
    expect(accuracy).toBeCloseTo(JSON.parse(readFileSync(out("metrics.json"), "utf8")).accuracy, 10);
  });

  it("passes its own suite: expectations on the training data and the train/test checks", async () => {
    const result = await evaluateTemplate(repo, "iris");
    expect(result.checks.filter((c) => c.status !== "pass")).toEqual([]);
    expect(result.checks.map((c) => c.id.split(":").slice(0, 3).join(":"))).toEqual([
      "expectation:reference:table_columns_to_match_set",
      "expectation:reference:column_values_to_be_in_set",
      "expectation:reference:column_values_to_be_between",
      "expectation:reference:column_values_to_not_be_null",
      "expectation:reference:table_row_count_to_be_between",
      "train_test:label_drift",
      "train_test:leakage",
      "train_test:size_ratio",
    ]);
    expect(result.verdict).toBe("pass");
  });

  it("writes a model that ml-random-forest loads and that predicts what predictions.csv says", async () => {
    const script = [
      'import { readFileSync } from "node:fs";',
      'import { RandomForestClassifier } from "ml-random-forest";',
      'const saved = JSON.parse(readFileSync("models/iris/out/model.json", "utf8"));',
      "const forest = RandomForestClassifier.load(saved);",
      'const rows = readFileSync("models/iris/out/predictions.csv", "utf8").trim().split("\\n").slice(1);',
      'const features = rows.map((line) => line.split(",").slice(0, 4).map(Number));',
      "console.log(JSON.stringify(forest.predict(features).map((i) => saved.classes[i])));",
    ].join("\n");
    writeFileSync(path.join(repo, "load-model.mjs"), script);
    const predicted = JSON.parse(await runOk(process.execPath, ["load-model.mjs"], repo));
    expect(predicted).toEqual(column(readCsv(out("predictions.csv")), "y_pred"));
  });

  it("is deterministic: the same params give byte-identical outputs, another seed another forest", async () => {
    const files = ["model.json", "metrics.json", "predictions.csv", "reference.csv", "importances.json"];
    const first = files.map((file) => read(out(file)));
    await runOk(process.execPath, ["train.mjs"], model);
    files.forEach((file, i) => expect(read(out(file)).equals(first[i]), file).toBe(true));

    const params = path.join(model, "params.yaml");
    const original = readFileSync(params, "utf8");
    try {
      writeFileSync(params, original.replace(/^seed: \d+/m, "seed: 7"));
      await runOk(process.execPath, ["train.mjs"], model);
      expect(read(out("model.json")).equals(first[0])).toBe(false);
    } finally {
      writeFileSync(params, original);
      await runOk(process.execPath, ["train.mjs"], model);
    }
  });

  it("refuses invalid params with the file and the rule", async () => {
    const params = path.join(model, "params.yaml");
    const original = readFileSync(params, "utf8");
    try {
      writeFileSync(params, original.replace(/^testSize: .*/m, "testSize: 1.5"));
      const result = await run(process.execPath, ["train.mjs"], model);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("params.yaml");
      expect(result.stderr).toContain("testSize: a number in (0, 1) (found 1.5)");
    } finally {
      writeFileSync(params, original);
    }
  });
});

describe("node-classifier template: params at the edges", () => {
  async function trainWith(replacements: Record<string, string>) {
    const params = path.join(model, "params.yaml");
    const original = readFileSync(params, "utf8");
    let text = original;
    for (const [key, value] of Object.entries(replacements)) {
      text = text.replace(new RegExp(`^${key}: [^ ]*`, "m"), `${key}: ${value}`);
    }
    try {
      writeFileSync(params, text);
      return await run(process.execPath, ["train.mjs"], model);
    } finally {
      writeFileSync(params, original);
    }
  }

  it("trains with 1 to 5 trees, and with 10 trees seeing every feature (maxFeatures: 1)", async () => {
    // The library's out-of-bag estimate used to crash here ("input must not be empty").
    for (const [nEstimators, maxFeatures] of [
      ["1", "0.8"],
      ["2", "0.8"],
      ["3", "0.8"],
      ["4", "0.8"],
      ["5", "0.8"],
      ["10", "1"],
      ["3", "0.25"],
      ["3", "4"],
    ]) {
      const result = await trainWith({ nEstimators, maxFeatures });
      expect(result.stderr, `${nEstimators} trees, maxFeatures ${maxFeatures}`).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`trained ${nEstimators} trees`);
    }
    await runOk(process.execPath, ["train.mjs"], model);
  }, 60_000);

  it("refuses a maxFeatures that would give a tree no feature, or more features than there are", async () => {
    for (const maxFeatures of ["0.2", "5", "2.5", "0"]) {
      const result = await trainWith({ maxFeatures });
      expect(result.code, maxFeatures).toBe(2);
      expect(result.stderr).toContain(`maxFeatures: a share from 0.25 to 1`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    const zero = await trainWith({ nEstimators: "0" });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("nEstimators: an integer from 1 to 10000 (found 0)");
  });
});

describe("node-classifier template: simulate_live", () => {
  it("writes live data like the training data without drift, and shifted data with it", async () => {
    const none = path.join(root, "none.csv");
    const shifted = path.join(root, "shift.csv");
    await runOk(
      process.execPath,
      ["simulate_live.mjs", "--drift", "none", "--rows", "600", "-o", none],
      model,
    );
    await runOk(
      process.execPath,
      ["simulate_live.mjs", "--drift", "shift", "--rows", "600", "-o", shifted],
      model,
    );
    const reference = readCsv(out("reference.csv"));
    const live = readCsv(none);
    const drifted = readCsv(shifted);
    expect(live.header).toEqual(reference.header);
    expect(drifted.header).toEqual(reference.header);
    expect(live.rows).toHaveLength(600);

    for (const feature of FEATURES) {
      expect(Math.abs(mean(live, feature) - mean(reference, feature)), feature).toBeLessThan(0.25);
    }
    expect(mean(drifted, "petal_length") - mean(reference, "petal_length")).toBeGreaterThan(1.5);
    expect(mean(drifted, "sepal_width") / mean(reference, "sepal_width")).toBeLessThan(0.85);
    expect(share(column(live, "species"), "virginica")).toBeLessThan(0.45);
    expect(share(column(drifted, "species"), "virginica")).toBeGreaterThan(0.6);
  });

  it("is reproducible by seed and writes data/live/current.csv by default", async () => {
    const a = path.join(root, "a.csv");
    const b = path.join(root, "b.csv");
    const c = path.join(root, "c.csv");
    await runOk(process.execPath, ["simulate_live.mjs", "--seed", "5", "-o", a], model);
    await runOk(process.execPath, ["simulate_live.mjs", "--seed", "5", "-o", b], model);
    await runOk(process.execPath, ["simulate_live.mjs", "--seed", "6", "-o", c], model);
    expect(read(a).equals(read(b))).toBe(true);
    expect(read(a).equals(read(c))).toBe(false);

    await runOk(process.execPath, ["simulate_live.mjs"], model);
    expect(readCsv(path.join(model, "data", "live", "current.csv")).rows).toHaveLength(200);
  });

  it("rejects an unknown drift kind", async () => {
    const result = await run(process.execPath, ["simulate_live.mjs", "--drift", "sideways"], model);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--drift must be none or shift");
  });
});

describe("node-classifier template: package", () => {
  it("installs from the npm registry only, with no install scripts", () => {
    const lock = JSON.parse(
      readFileSync(path.join(templatesDir, "node-classifier", "package-lock.json"), "utf8"),
    );
    type LockEntry = { resolved?: string; integrity?: string; link?: boolean; hasInstallScript?: boolean };
    const packages = Object.entries(lock.packages as Record<string, LockEntry>).filter(
      ([name]) => name !== "",
    );
    expect(packages.length).toBeGreaterThan(0);
    for (const [name, entry] of packages) {
      // A registry tarball carries an integrity hash; git, file: and link dependencies do not.
      expect(entry.integrity, name).toMatch(/^sha512-/);
      expect(entry.link, name).toBeUndefined();
      if (entry.resolved !== undefined)
        expect(entry.resolved, name).toMatch(/^https:\/\/registry\.npmjs\.org\//);
      expect(entry.hasInstallScript, name).toBeUndefined();
    }
  });
});
