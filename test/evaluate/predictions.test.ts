import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  combineMetrics,
  computePredictionMetrics,
  normalizeLabel,
  parsePredictions,
  predictionMetricsFromFile,
  readPredictions,
  rocAuc,
} from "../../src/evaluate/predictions";
import { thrownUserError } from "../helpers/errors";

const metricsOf = (csv: string, options = {}) =>
  computePredictionMetrics(parsePredictions(csv, { source: "p.csv" }), options);

describe("task detection", () => {
  it("0/1 labels are binary with positive class 1, and pandas' 1.0 equals 1", () => {
    const r = metricsOf("y_true,y_pred\n1,1.0\n0,0.0\n1,0\n0,1\n1,1\n");
    expect(r.task).toBe("binary");
    expect(r.positiveClass).toBe("1");
    // tp 2, fp 1, fn 1
    expect(r.metrics.precision).toBeCloseTo(2 / 3, 12);
    expect(r.metrics.recall).toBeCloseTo(2 / 3, 12);
    expect(r.confusionMatrix).toEqual({
      labels: ["0", "1"],
      matrix: [
        [1, 1],
        [1, 2],
      ],
    });
  });

  it("True/False labels are binary with positive class true", () => {
    const r = metricsOf("y_true,y_pred\nTrue,true\nFalse,True\nfalse,FALSE\n");
    expect(r.task).toBe("binary");
    expect(r.positiveClass).toBe("true");
    expect(r.metrics.precision).toBe(0.5);
    expect(r.metrics.recall).toBe(1);
  });

  it("two string labels without a positive class give macro/weighted averages and say why", () => {
    const r = metricsOf("y_true,y_pred\ncat,cat\ndog,cat\n");
    expect(r.task).toBe("multiclass");
    expect(r.metrics.f1).toBeUndefined();
    expect(r.metrics.f1_macro).toBeDefined();
    expect(r.omitted[0].reason).toMatch(/no positive class/);
    const withPositive = metricsOf("y_true,y_pred\ncat,cat\ndog,cat\n", { positiveClass: "dog" });
    expect(withPositive.task).toBe("binary");
    expect(withPositive.metrics.recall).toBe(0);
  });

  it("non-integer numbers, or many distinct integers, are regression; task: classification overrides", () => {
    expect(metricsOf("y_true,y_pred\n1.5,1.2\n2,2.5\n").task).toBe("regression");
    const many = ["y_true,y_pred", ...Array.from({ length: 30 }, (_, i) => `${i},${i + 1}`)].join("\n");
    const r = metricsOf(many);
    expect(r.task).toBe("regression");
    expect(r.metrics.mae).toBe(1);
    expect(r.metrics.rmse).toBe(1);
    expect(metricsOf(many, { task: "classification" }).task).toBe("multiclass");
    expect(metricsOf("y_true,y_pred\n1,1\n2,3\n", { task: "regression" }).metrics.mae).toBe(0.5);
  });

  it("normalises labels", () => {
    expect(normalizeLabel("1.0")).toBe("1");
    expect(normalizeLabel("-0")).toBe("0");
    expect(normalizeLabel(" TRUE ")).toBe("true");
    expect(normalizeLabel("Setosa")).toBe("Setosa");
  });
});

describe("scores", () => {
  it("ROC AUC counts tied scores as half", () => {
    expect(rocAuc([0.5, 0.5], [true, false])).toBe(0.5);
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBe(0.75);
    expect(rocAuc([0.1, 0.2], [true, true])).toBeUndefined();
  });

  it("leaves ROC AUC out when y_true holds one class, and log_loss when scores are not probabilities", () => {
    const one = metricsOf("y_true,y_pred,y_score\n1,1,0.9\n1,0,0.2\n");
    expect(one.metrics.roc_auc).toBeUndefined();
    expect(one.metrics.log_loss).toBeDefined();
    expect(one.omitted.map((o) => o.metric)).toContain("roc_auc");
    const margins = metricsOf("y_true,y_pred,y_score\n1,1,2.5\n0,0,-1\n0,1,0.3\n");
    expect(margins.metrics.roc_auc).toBe(1);
    expect(margins.metrics.log_loss).toBeUndefined();
  });

  it("refuses a binary y_score that is the probability of the predicted class", () => {
    const r = metricsOf("y_true,y_pred,y_score\n1,1,0.9\n0,0,0.95\n0,0,0.7\n1,1,0.6\n");
    expect(r.metrics.roc_auc).toBeUndefined();
    expect(r.omitted[0].reason).toMatch(/probability of the predicted class/);
  });

  it("multiclass roc_auc needs one probability column per class", () => {
    const single = metricsOf("y_true,y_pred,y_score\na,a,0.9\nb,b,0.8\nc,a,0.6\n");
    expect(single.metrics.roc_auc).toBeUndefined();
    expect(single.omitted[0].reason).toMatch(/y_score_<class>/);
    const notSummingToOne = metricsOf(
      "y_true,y_pred,y_score_a,y_score_b,y_score_c\na,a,0.9,0.9,0\nb,b,0,1,0\nc,c,0,0,1\n",
    );
    expect(notSummingToOne.metrics.roc_auc).toBeUndefined();
    expect(notSummingToOne.omitted[0].reason).toMatch(/summing to 1 \(row at p.csv:2\)/);
    const good = metricsOf(
      "y_true,y_pred,y_score_a,y_score_b,y_score_c\na,a,0.8,0.1,0.1\nb,b,0,1,0\nc,c,0,0,1\n",
    );
    expect(good.metrics.roc_auc).toBe(1);
  });
});

describe("bad input is a UserError naming file, column and row", () => {
  it("missing columns, listing the header", () => {
    const e = thrownUserError(() => parsePredictions("label,y_pred\n1,1\n", { source: "out/p.csv" }));
    expect(e.where).toBe("out/p.csv:1");
    expect(e.message).toBe('missing column "y_true" (the header has "label", "y_pred")');
  });

  it("an empty file and a header without rows", () => {
    expect(thrownUserError(() => parsePredictions("", { source: "p.csv" })).message).toMatch(/empty/);
    expect(thrownUserError(() => parsePredictions("y_true,y_pred\n", { source: "p.csv" })).message).toMatch(
      /no rows/,
    );
  });

  it("a label outside the declared classes", () => {
    const table = parsePredictions("y_true,y_pred\na,a\nb,z\n", { source: "p.csv" });
    const e = thrownUserError(() => computePredictionMetrics(table, { classes: ["a", "b"] }));
    expect(e.where).toBe("p.csv:3");
    expect(e.message).toBe('column "y_pred": label "z" is not one of the declared classes (a, b)');
  });

  it("a score that is not a number, an empty label, a ragged row", () => {
    const score = thrownUserError(() => metricsOf("y_true,y_pred,y_score\n1,1,0.4\n0,0,high\n"));
    expect(score.where).toBe("p.csv:3");
    expect(score.message).toMatch(/column "y_score": "high" is not a finite number/);
    const empty = thrownUserError(() => parsePredictions("y_true,y_pred\n1,1\n,0\n", { source: "p.csv" }));
    expect(empty.where).toBe("p.csv:3");
    expect(empty.message).toBe('column "y_true" is empty');
    const ragged = thrownUserError(() => parsePredictions("y_true,y_pred\n1,1,1\n", { source: "p.csv" }));
    expect(ragged.where).toBe("p.csv:2");
    expect(ragged.message).toMatch(/invalid CSV/);
  });

  it("a non-numeric value in a regression", () => {
    const e = thrownUserError(() => metricsOf("y_true,y_pred\n1.5,2\nx,3\n", { task: "regression" }));
    expect(e.where).toBe("p.csv:3");
    expect(e.message).toMatch(/column "y_true": "x" is not a finite number/);
  });

  it("skips unlabelled rows on request (monitoring data whose labels have not arrived)", () => {
    const table = parsePredictions("y_true,y_pred\n1,1\n,0\n0,0\n", {
      source: "p.csv",
      skipUnlabelled: true,
    });
    expect(table.yTrue).toEqual(["1", "0"]);
    expect(table.lines).toEqual([2, 4]);
  });
});

describe("files", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-predictions-"));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it("reads a file with a BOM, CRLF line ends, quoted fields and extra columns", async () => {
    const file = path.join(dir, "p.csv");
    await fs.writeFile(file, '\ufeffnote,y_true,y_pred,segment\r\n"a, b",1,1,x\r\n"c",0,1,y\r\n');
    const r = await predictionMetricsFromFile(file);
    expect(r.rows).toBe(2);
    expect(r.metrics.accuracy).toBe(0.5);
  });

  it("a missing file names the file", async () => {
    const file = path.join(dir, "nope.csv");
    await expect(readPredictions(file)).rejects.toMatchObject({
      where: file,
      message: "predictions file not found",
    });
  });
});

it("the metrics file wins over computed metrics on a name clash", () => {
  expect(combineMetrics({ accuracy: 0.9, custom: 1 }, { accuracy: 0.5, f1: 0.4 })).toEqual({
    accuracy: 0.9,
    custom: 1,
    f1: 0.4,
  });
  expect(combineMetrics(undefined, undefined)).toBeUndefined();
});
