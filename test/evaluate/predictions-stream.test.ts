/**
 * The streamed predictions reader (readPredictionVectors, what `gitml evaluate` uses without slices)
 * gives exactly what reading the file into memory gives: the same metrics to the last bit, the same
 * errors at the same lines.
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  computePredictionMetrics,
  predictionMetricsFromFile,
  readPredictions,
  rocAuc,
  type PredictionMetricsOptions,
} from "../../src/evaluate/predictions";
import { UserError } from "../../src/util/errors";
import { rng } from "../helpers/data";

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-predictions-stream-"));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, text);
  return file;
}

async function both(file: string, options: PredictionMetricsOptions = {}) {
  return {
    streamed: await predictionMetricsFromFile(file, options),
    inMemory: computePredictionMetrics(await readPredictions(file), options),
  };
}

describe("streamed predictions", () => {
  it("binary, multiclass and regression metrics equal the in-memory ones exactly (ties, 1.0 = 1, True)", async () => {
    const r = rng(7);
    const binary = ["y_true,y_pred,y_score"];
    const multi = ["y_true,y_pred,y_score_a,y_score_b,y_score_c"];
    const regression = ["y_true,y_pred"];
    for (let i = 0; i < 5000; i++) {
      const score = Math.round(r() * 50) / 50; // many ties
      const truth = r() < score ? 1 : 0;
      binary.push(`${truth === 1 && i % 3 === 0 ? "1.0" : truth},${score >= 0.5 ? 1 : 0},${score}`);
      const a = r();
      const b = (1 - a) * r();
      const probabilities = [a, b, 1 - a - b];
      const cls = ["a", "b", "c"][probabilities.indexOf(Math.max(...probabilities))]!;
      multi.push(`${["a", "b", "c"][Math.floor(r() * 3)]},${cls},${probabilities.join(",")}`);
      regression.push(`${(r() * 100).toFixed(3)},${(r() * 100).toFixed(3)}`);
    }
    for (const [name, text, options] of [
      ["binary.csv", binary.join("\n"), {}],
      ["binary-averages.csv", binary.join("\n"), { allAverages: true }],
      ["multi.csv", multi.join("\n"), {}],
      ["regression.csv", regression.join("\n"), {}],
      ["bools.csv", "y_true,y_pred\nTrue,true\nFALSE,true\ntrue,False\n", {}],
    ] as const) {
      const { streamed, inMemory } = await both(await write(name, text), options);
      expect(streamed, name).toEqual(inMemory);
      expect(Object.keys(streamed.metrics).length, name).toBeGreaterThan(2);
    }
  });

  it("gives the same errors at the same lines", async () => {
    const cases: Array<[string, string, PredictionMetricsOptions]> = [
      ["missing.csv", "label,y_pred\n1,1\n", {}],
      ["empty.csv", "", {}],
      ["header.csv", "y_true,y_pred\n", {}],
      ["empty-label.csv", "y_true,y_pred\n1,1\n,0\n", {}],
      ["ragged.csv", "y_true,y_pred\n1,1\n1,0,3\n", {}],
      ["score.csv", "y_true,y_pred,y_score\n1,1,0.4\n0,0,high\n", {}],
      ["declared.csv", "y_true,y_pred\na,a\nb,z\n", { classes: ["a", "b"] }],
      ["regression.csv", "y_true,y_pred\n1.5,2\nx,2\n", { task: "regression" }],
    ];
    for (const [name, text, options] of cases) {
      const file = await write(name, text);
      const streamed = await predictionMetricsFromFile(file, options).catch((e: unknown) => e);
      const inMemory = await readPredictions(file)
        .then((table) => computePredictionMetrics(table, options))
        .catch((e: unknown) => e);
      expect(streamed, name).toBeInstanceOf(UserError);
      expect([(streamed as UserError).where, (streamed as UserError).message], name).toEqual([
        (inMemory as UserError).where,
        (inMemory as UserError).message,
      ]);
    }
  });

  it("ROC AUC from sorted sides equals the average-rank formula, ties included", () => {
    const r = rng(3);
    const score = Array.from({ length: 2000 }, () => Math.round(r() * 20) / 20);
    const positive = score.map((s) => r() < s);
    // scikit-learn's definition, by pairs: P(s+ > s-) + ½ P(s+ = s-).
    let pairs = 0;
    let wins = 0;
    for (let i = 0; i < score.length; i++)
      if (positive[i])
        for (let j = 0; j < score.length; j++)
          if (!positive[j]) {
            pairs++;
            wins += score[i]! > score[j]! ? 1 : score[i] === score[j] ? 0.5 : 0;
          }
    expect(rocAuc(score, positive)).toBe(wins / pairs);
  });
});
