import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monitor } from "../../src/commands/monitor";
import { promote } from "../../src/commands/promote";
import { register } from "../../src/commands/register";
import { parsePredictions } from "../../src/evaluate/predictions";
import { openProject } from "../../src/commands/context";
import { readRegistry } from "../../src/git/registry-sync";
import { assessPerformance, readLabelledData } from "../../src/monitor/performance";
import { silentLogger } from "../../src/util/logger";
import { createRepo, type TestRepo } from "../helpers/repo";

/** `rows` rows of a binary classifier that is wrong on every `1 / errorRate`-th row. */
function labelled(
  rows: number,
  errorRate: number,
  options: { labels?: boolean; blankEvery?: number } = {},
): string {
  const wrongEvery = Math.round(1 / errorRate);
  const header = options.labels === false ? "x,y_pred" : "x,y_true,y_pred";
  const lines = [header];
  for (let i = 0; i < rows; i++) {
    const truth = i % 3 === 0 ? 1 : 0;
    const predicted = i % wrongEvery === 0 ? 1 - truth : truth;
    const x = ((i * 37) % 101) / 10;
    const label = options.blankEvery && i % options.blankEvery === 1 ? "" : String(truth);
    lines.push(options.labels === false ? `${x},${predicted}` : `${x},${label},${predicted}`);
  }
  return `${lines.join("\n")}\n`;
}

const table = (csv: string) => parsePredictions(csv, { source: "current.csv", skipUnlabelled: true });

describe("assessPerformance", () => {
  it("flags decay when the metric drops by more than the tolerance, and not when it stays close", () => {
    const reference = { accuracy: 0.9 };
    const degraded = assessPerformance({ current: table(labelled(300, 0.25)), referenceMetrics: reference });
    expect(degraded).toMatchObject({
      metric: "accuracy",
      reference: 0.9,
      current: 0.75,
      decayed: true,
      tolerance: 0.05,
    });
    expect(degraded.delta).toBeCloseTo(-0.15, 12);
    const similar = assessPerformance({
      current: table(labelled(300, 0.1)),
      referenceMetrics: { accuracy: 0.92 },
    });
    expect(similar).toMatchObject({ current: 0.9, decayed: false, direction: "higher" });
  });

  it("lower-is-better metrics decay upwards (rmse), with the configured tolerance", () => {
    const csv = "y_true,y_pred\n1.5,1.0\n2.5,3.0\n4.0,4.5\n";
    const worse = assessPerformance({ current: table(csv), referenceMetrics: { rmse: 0.3 }, tolerance: 0.1 });
    expect(worse).toMatchObject({
      metric: "rmse",
      current: 0.5,
      direction: "lower",
      decayed: true,
      task: "regression",
    });
    const better = assessPerformance({
      current: table(csv),
      referenceMetrics: { rmse: 0.9 },
      tolerance: 0.1,
    });
    expect(better.decayed).toBe(false);
  });

  it("f1_macro is available for binary data too; a reference without the metric gives no verdict, with a note", () => {
    const result = assessPerformance({
      current: table(labelled(90, 0.1)),
      metric: "f1_macro",
      referenceMetrics: { accuracy: 0.9 },
      referenceName: "churn@v1.0.0",
    });
    expect(result.current).toBeGreaterThan(0.8);
    expect(result).toMatchObject({ reference: null, delta: null, decayed: false });
    expect(result.note).toBe("churn@v1.0.0 has no registered f1_macro to compare with");
    const noScore = assessPerformance({
      current: table(labelled(30, 0.1)),
      metric: "roc_auc",
      referenceMetrics: { roc_auc: 0.9 },
    });
    expect(noScore).toMatchObject({ current: null, decayed: false });
    expect(noScore.note).toMatch(/no "y_score" column/);
  });
});

describe("readLabelledData", () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await createRepo({ withOrigin: false });
  });
  afterAll(() => repo.cleanup());

  it("reads label, prediction and score from CSV globs and JSON Lines, leaving out rows whose label has not arrived", async () => {
    const dir = path.join(repo.root, "read");
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, "a.csv"), "y_true,y_pred,y_score\n1,1,0.9\n,0,0.2\n0,0,0.1\n");
    await fs.writeFile(path.join(dir, "b.csv"), "y_pred,y_true,y_score\n1.0,0,0.6\n");
    const csv = await readLabelledData({ path: path.join(dir, "*.csv") });
    expect(csv!.rows).toBe(3);
    const rows = [0, 1, 2]
      .map((i) => [csv!.yTrue.label(i), csv!.yPred.label(i), csv!.yScore!.values[i]])
      .sort((a, b) => String(a).localeCompare(String(b)));
    expect(rows).toEqual([
      ["0", "0", 0.1],
      ["0", "1", 0.6],
      ["1", "1", 0.9],
    ]);
    await fs.writeFile(
      path.join(dir, "c.jsonl"),
      '{"label": "cat", "guess": "cat"}\n{"label": null, "guess": "dog"}\n{"label": "dog", "guess": "cat"}\n',
    );
    const jsonl = await readLabelledData({
      path: path.join(dir, "c.jsonl"),
      columns: { label: "label", prediction: "guess" },
    });
    expect([0, 1].map((i) => jsonl!.yTrue.label(i)).sort()).toEqual(["cat", "dog"]);
    expect(jsonl!.rows).toBe(2);
    expect(jsonl!.yScore).toBeUndefined();
  });

  it("data without the label column has no performance to measure", async () => {
    const file = path.join(repo.root, "unlabelled.csv");
    await fs.writeFile(file, labelled(10, 0.1, { labels: false }));
    expect(await readLabelledData({ path: file })).toBeUndefined();
  });
});

describe("monitor(): performance decay against the production version's registered metrics", () => {
  let repo: TestRepo;
  const context = () => ({ cwd: repo.work, logger: silentLogger, push: false });

  beforeAll(async () => {
    repo = await createRepo({ withOrigin: false });
    const dir = path.join(repo.work, "m");
    await fs.mkdir(path.join(dir, "out"), { recursive: true });
    await fs.writeFile(path.join(dir, "out/model.bin"), "weights");
    // Held-out predictions (accuracy 0.9): registration computes metrics from them for the tag.
    await fs.writeFile(path.join(dir, "out/predictions.csv"), labelled(300, 0.1));
    await fs.writeFile(path.join(dir, "out/reference.csv"), labelled(600, 0.1));
    repo.commit(
      "gitml.yaml",
      `models:
  churn:
    path: m
    outputs:
      model: out/model.bin
      predictions: out/predictions.csv
      reference: out/reference.csv
    monitor:
      current: live/*.csv
      performance: { metric: accuracy, tolerance: 0.05 }
`,
    );
    await register(context(), { model: "churn" });
    await promote(context(), { model: "churn", stage: "staging" });
    await promote(context(), { model: "churn", stage: "production" });
  });
  afterAll(() => repo.cleanup());

  async function run(csv: string) {
    const file = path.join(repo.root, `current-${Math.random().toString(36).slice(2)}.csv`);
    await fs.writeFile(file, csv);
    const [result] = await monitor(context(), { model: "churn", current: file, localAlert: false });
    return result;
  }

  it("the tag carries the metrics computed from predictions", async () => {
    const project = await openProject(context());
    const version = (await readRegistry(project.repo)).models.get("churn")!.latest!;
    expect(version.metadata?.metrics?.accuracy).toBeCloseTo(0.9, 12);
    expect(version.metadata?.metrics?.f1).toBeGreaterThan(0.8);
  });

  it("degraded labels: decay detected, and the report says so and names the prediction column", async () => {
    const result = await run(labelled(400, 0.25, { blankEvery: 4 }));
    expect(result.performance).toMatchObject({ metric: "accuracy", decayed: true, tolerance: 0.05 });
    expect(result.performance!.reference).toBeCloseTo(0.9, 12);
    expect(result.performance!.rows).toBe(300);
    expect(result.predictionColumn).toBe("y_pred");
    expect(result.markdown).toMatch(
      /\*\*Performance\*\*: 🔴 \*\*decayed\*\*: `accuracy` 0\.\d+ on 300 labelled rows vs 0\.9 registered/,
    );
    expect(result.markdown).toMatch(/\*\*Prediction drift\*\* \(column `y_pred`\)/);
    expect(result.markdown).toContain("| y&#95;pred (prediction) |");
  });

  it("similar labels: no decay", async () => {
    const result = await run(labelled(500, 0.1));
    expect(result.performance).toMatchObject({ decayed: false, current: 0.9 });
    expect(result.markdown).toMatch(/🟢 within tolerance/);
  });

  it("labelled data that cannot be measured: performance says why, the drift report goes on", async () => {
    const csv = labelled(50, 0.1).replace(/\n(\d\.?\d*),1,1\n/, "\n$1,1,\n");
    expect(csv).toMatch(/,1,\n/);
    const result = await run(csv);
    expect(result.performance).toMatchObject({ task: null, decayed: false, current: null });
    expect(result.performance!.note).toMatch(/column "y_pred" is empty in a labelled row/);
    expect(result.markdown).toMatch(/\*\*Performance\*\*: ⚠️ performance could not be measured/);
    expect(result.drift.columns.length).toBe(3);
  });

  it("labels absent: performance omitted, not an error; the drift report goes on", async () => {
    const result = await run(labelled(300, 0.1, { labels: false }));
    expect(result.performance).toBeUndefined();
    expect(result.drift.columns.map((c) => c.name)).toContain("y_pred");
    expect(result.markdown).not.toMatch(/\*\*Performance\*\*/);
  });
});
