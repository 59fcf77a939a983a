import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { evaluate } from "../../src/commands/evaluate";
import { promote } from "../../src/commands/promote";
import { register } from "../../src/commands/register";
import { UserError } from "../../src/util/errors";
import { silentLogger } from "../../src/util/logger";
import { createRepo, type TestRepo } from "../helpers/repo";

let repo: TestRepo | undefined;
afterEach(async () => repo?.cleanup());
const context = () => ({ cwd: repo!.work, logger: silentLogger, push: false });

/** Binary predictions wrong on every `wrongEvery`-th row, with a score that ranks them. */
function predictions(rows: number, wrongEvery: number): string {
  const lines = ["y_true,y_pred,y_score"];
  for (let i = 0; i < rows; i++) {
    const truth = i < rows / 2 ? 0 : 1;
    const predicted = i % wrongEvery === 0 ? 1 - truth : truth;
    lines.push(`${truth},${predicted},${predicted === 1 ? 0.8 : 0.2}`);
  }
  return `${lines.join("\n")}\n`;
}

async function setUp(options: { metricsFile?: object; wrongEvery: number; gates: string }): Promise<void> {
  repo = await createRepo({ withOrigin: false });
  const dir = path.join(repo.work, "m");
  await fs.mkdir(path.join(dir, "out"), { recursive: true });
  await fs.writeFile(path.join(dir, "out/model.bin"), "weights");
  await fs.writeFile(path.join(dir, "out/predictions.csv"), predictions(200, options.wrongEvery));
  if (options.metricsFile)
    await fs.writeFile(path.join(dir, "out/metrics.json"), JSON.stringify(options.metricsFile));
  repo.commit(
    "gitml.yaml",
    `models:
  churn:
    path: m
    outputs:
      model: out/model.bin
${options.metricsFile ? "      metrics: out/metrics.json\n" : ""}      predictions: out/predictions.csv
    gates:
${options.gates}`,
  );
}

describe("evaluate with outputs.predictions", () => {
  it("a model with predictions and no metrics file: computed metrics are the candidate's, and gates apply to them", async () => {
    await setUp({
      wrongEvery: 10,
      gates: "      - metric: accuracy\n        min: 0.95\n      - metric: roc_auc\n        min: 0.8\n",
    });
    const result = await evaluate(context(), { model: "churn" });
    const names = result.metrics.map((m) => m.name).sort();
    expect(names).toEqual(["accuracy", "f1", "log_loss", "precision", "recall", "roc_auc"]);
    const accuracy = result.metrics.find((m) => m.name === "accuracy")!;
    expect(accuracy.candidate).toBeCloseTo(0.9, 12);
    expect(result.gates.map((g) => [g.metric, g.passed])).toEqual([
      ["accuracy", false],
      ["roc_auc", true],
    ]);
    expect(result.verdict).toBe("fail");
    expect(result.predictions).toMatchObject({ task: "binary", positiveClass: "1", rows: 200 });
    expect(result.predictions!.confusionMatrix!.matrix).toEqual([
      [90, 10],
      [10, 90],
    ]);
  });

  it("registration keeps the computed metrics in the tag, so the next PR compares against them", async () => {
    await setUp({
      wrongEvery: 10,
      gates: "      - metric: f1\n        no_regression: { tolerance: 0.01 }\n",
    });
    await register(context(), { model: "churn" });
    await promote(context(), { model: "churn", stage: "staging" });
    await promote(context(), { model: "churn", stage: "production" });
    await fs.writeFile(path.join(repo!.work, "m/out/predictions.csv"), predictions(200, 5));
    const result = await evaluate(context(), { model: "churn" });
    const f1 = result.metrics.find((m) => m.name === "f1")!;
    expect(f1.baseline).toBeCloseTo(0.9, 12);
    expect(f1.candidate).toBeCloseTo(0.8, 12);
    expect(result.gates).toEqual([expect.objectContaining({ metric: "f1", passed: false })]);
  });

  it("with a metrics file too, the computed metrics are added and the file's values win on a name clash", async () => {
    await setUp({
      metricsFile: { accuracy: 0.5, latency_ms: 12 },
      wrongEvery: 10,
      gates: "      - metric: precision\n        min: 0.5\n",
    });
    const result = await evaluate(context(), { model: "churn" });
    const byName = Object.fromEntries(result.metrics.map((m) => [m.name, m.candidate]));
    expect(byName.accuracy).toBe(0.5);
    expect(byName.latency_ms).toBe(12);
    expect(byName.precision).toBeCloseTo(0.9, 12);
  });

  it("a declared predictions file that is missing is a UserError naming the key", async () => {
    await setUp({ wrongEvery: 10, gates: "      - metric: accuracy\n        min: 0.5\n" });
    await fs.rm(path.join(repo!.work, "m/out/predictions.csv"));
    const error = await evaluate(context(), { model: "churn" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(
      /models\.churn\.outputs\.predictions is 'out\/predictions\.csv'/,
    );
  });
});

describe("outputs.predictions as { path, task, positive_class, classes }", () => {
  async function withConfig(predictionsCsv: string): Promise<void> {
    repo = await createRepo({ withOrigin: false });
    const dir = path.join(repo.work, "m");
    await fs.mkdir(path.join(dir, "out"), { recursive: true });
    await fs.writeFile(path.join(dir, "out/model.bin"), "weights");
    await fs.writeFile(path.join(dir, "out/predictions.csv"), predictionsCsv);
    repo.commit(
      "gitml.yaml",
      `models:
  cancer:
    path: m
    outputs:
      model: out/model.bin
      predictions:
        path: out/predictions.csv
        positive_class: malignant
        classes: [benign, malignant]
`,
    );
  }

  it("uses the configured positive class", async () => {
    await withConfig(
      "y_true,y_pred\nmalignant,malignant\nmalignant,benign\nbenign,benign\nbenign,malignant\nbenign,benign\n",
    );
    const result = await evaluate(context(), { model: "cancer" });
    const byName = Object.fromEntries(result.metrics.map((m) => [m.name, m.candidate]));
    expect(result.predictions).toMatchObject({ task: "binary", positiveClass: "malignant" });
    expect(byName.recall).toBe(0.5);
    expect(byName.precision).toBe(0.5);
    expect(byName.accuracy).toBe(0.6);
  });

  it("a label outside the declared classes is a UserError naming file, column and row", async () => {
    await withConfig("y_true,y_pred\nmalignant,malignant\nbenign,unknown\n");
    const error = await evaluate(context(), { model: "cancer" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).where).toMatch(/m\/out\/predictions\.csv:3$/);
    expect((error as UserError).message).toBe(
      'column "y_pred": label "unknown" is not one of the declared classes (benign, malignant)',
    );
  });
});
