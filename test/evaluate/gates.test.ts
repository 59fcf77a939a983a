import { describe, expect, it } from "vitest";
import {
  compareMetrics,
  defaultDirection,
  describeRule,
  evaluateGates,
  type GateRule,
} from "../../src/evaluate/gates";

const one = (rule: GateRule, candidate: Record<string, number>, baseline?: Record<string, number>) =>
  evaluateGates({ rules: [rule], candidate, baseline }).gates[0];

describe("direction by name", () => {
  it.each([
    ["accuracy", "higher"],
    ["eval.f1", "higher"],
    ["roc_auc", "higher"],
    ["r2", "higher"],
    ["eval.val_loss", "lower"],
    ["valLoss", "lower"],
    ["log_loss", "lower"],
    ["rmse", "lower"],
    ["test/mae", "lower"],
    ["latency_ms", "lower"],
    ["p95-latency", "lower"],
    ["training_time", "lower"],
    ["model_size", "lower"],
    ["mean_absolute_percentage_error", "lower"],
    ["num_errors", "lower"],
    // scikit-learn's negated scorers are higher-is-better.
    ["neg_mean_squared_error", "higher"],
    // a segment match, not a substring: "timeliness" is not "time", "mse" is not in "rmsprop_gain".
    ["timeliness", "higher"],
    ["rmsprop_gain", "higher"],
  ])("%s is %s-is-better", (name, expected) => {
    expect(defaultDirection(name)).toBe(expected);
  });

  it("an explicit direction wins over the name", () => {
    const gate = one(
      { metric: "loss", min: 0.5, direction: "higher", no_regression: {} },
      { loss: 0.6 },
      { loss: 0.7 },
    );
    expect(gate.direction).toBe("higher");
    expect(gate.passed).toBe(false);
  });
});

describe("min and max", () => {
  it("passes at the threshold and fails below min / above max", () => {
    expect(one({ metric: "acc", min: 0.8 }, { acc: 0.8 }).passed).toBe(true);
    const low = one({ metric: "acc", min: 0.8 }, { acc: 0.79 });
    expect(low.passed).toBe(false);
    expect(low.rule).toBe("≥ 0.8");
    expect(low.detail).toBe("0.79 < 0.8");
    expect(one({ metric: "latency_ms", max: 50 }, { latency_ms: 50 }).passed).toBe(true);
    const slow = one({ metric: "latency_ms", max: 50 }, { latency_ms: 51.5 });
    expect(slow.passed).toBe(false);
    expect(slow.detail).toBe("51.5 > 50");
  });

  it("combines min and max in one rule", () => {
    const rule = { metric: "x", min: 1, max: 2 };
    expect(describeRule(rule)).toBe("≥ 1, ≤ 2");
    expect(one(rule, { x: 1.5 }).passed).toBe(true);
    expect(one(rule, { x: 2.5 }).passed).toBe(false);
  });
});

describe("no_regression", () => {
  it("higher-is-better: absolute tolerance", () => {
    const rule = { metric: "f1", no_regression: { tolerance: 0.01 } };
    expect(describeRule(rule)).toBe("no regression (tolerance 0.01)");
    expect(one(rule, { f1: 0.82 }, { f1: 0.83 }).passed).toBe(true); // dropped exactly the tolerance
    expect(one(rule, { f1: 0.9 }, { f1: 0.83 }).passed).toBe(true);
    const fail = one(rule, { f1: 0.81 }, { f1: 0.83 });
    expect(fail.passed).toBe(false);
    expect(fail.detail).toBe("dropped 0.02 from 0.83 (allowed 0.01)");
  });

  it("does not fail on float noise at the boundary (1.1 - 1.0 > 0.1 in binary)", () => {
    expect(
      one({ metric: "score", no_regression: { tolerance: 0.1 } }, { score: 1.0 }, { score: 1.1 }).passed,
    ).toBe(true);
  });

  it("lower-is-better: a rise beyond tolerance fails, a fall passes", () => {
    const rule = { metric: "val_loss", no_regression: { tolerance: 0.05 } };
    expect(one(rule, { val_loss: 0.3 }, { val_loss: 0.4 }).passed).toBe(true);
    expect(one(rule, { val_loss: 0.44 }, { val_loss: 0.4 }).passed).toBe(true);
    const fail = one(rule, { val_loss: 0.5 }, { val_loss: 0.4 });
    expect(fail.passed).toBe(false);
    expect(fail.detail).toMatch(/^rose 0\.1 from 0\.4/);
  });

  it("relative tolerance is a fraction of the baseline's magnitude, in both directions", () => {
    const higher = { metric: "auc", no_regression: { relative: 0.02 } };
    expect(describeRule(higher)).toBe("no regression (relative 2%)");
    expect(one(higher, { auc: 0.882 }, { auc: 0.9 }).passed).toBe(true); // allowed 0.018
    expect(one(higher, { auc: 0.88 }, { auc: 0.9 }).passed).toBe(false);
    // A negative baseline: the allowance uses |baseline|.
    const negative = { metric: "neg_log_loss", no_regression: { relative: 0.1 } };
    expect(one(negative, { neg_log_loss: -0.55 }, { neg_log_loss: -0.5 }).passed).toBe(true);
    expect(one(negative, { neg_log_loss: -0.56 }, { neg_log_loss: -0.5 }).passed).toBe(false);
    const lower = { metric: "rmse", no_regression: { relative: 0.1 } };
    expect(one(lower, { rmse: 10.9 }, { rmse: 10 }).passed).toBe(true);
    expect(one(lower, { rmse: 11.2 }, { rmse: 10 }).passed).toBe(false);
  });

  it("tolerance and relative add up (atol + rtol, as numpy.isclose)", () => {
    const rule = { metric: "acc", no_regression: { tolerance: 0.01, relative: 0.01 } };
    expect(one(rule, { acc: 0.98 }, { acc: 1 }).passed).toBe(true);
    expect(one(rule, { acc: 0.979 }, { acc: 1 }).passed).toBe(false);
  });

  it("a zero tolerance fails any regression", () => {
    const rule = { metric: "acc", no_regression: {} };
    expect(describeRule(rule)).toBe("no regression");
    expect(one(rule, { acc: 0.9 }, { acc: 0.9 }).passed).toBe(true);
    expect(one(rule, { acc: 0.8999 }, { acc: 0.9 }).passed).toBe(false);
  });

  it("passes with no baseline, and says so", () => {
    const gate = one({ metric: "f1", no_regression: { tolerance: 0.01 } }, { f1: 0.5 });
    expect(gate.passed).toBe(true);
    expect(gate.detail).toMatch(/no baseline/);
    const missingInBaseline = one({ metric: "f1", no_regression: {} }, { f1: 0.5 }, { acc: 1 });
    expect(missingInBaseline.passed).toBe(true);
    expect(missingInBaseline.detail).toMatch(/no baseline value/);
  });

  it("still applies min when there is no baseline", () => {
    expect(one({ metric: "f1", min: 0.6, no_regression: {} }, { f1: 0.5 }).passed).toBe(false);
  });
});

describe("missing metrics, required and overall", () => {
  it("a required gate on a missing metric fails and suggests the nested name", () => {
    const result = evaluateGates({ rules: [{ metric: "f1", min: 0.5 }], candidate: { "eval.f1": 0.9 } });
    expect(result.overall).toBe("fail");
    expect(result.failed).toBe(1);
    expect(result.gates[0].detail).toMatch(/not reported.*did you mean "eval\.f1"/);
  });

  it("suggests a near spelling", () => {
    expect(one({ metric: "acuracy", min: 0.5 }, { accuracy: 0.9, loss: 1 }).detail).toMatch(
      /did you mean "accuracy"/,
    );
  });

  it("a non-required gate on a missing metric is skipped and passes", () => {
    const result = evaluateGates({
      rules: [{ metric: "f1", min: 0.5, required: false }],
      candidate: { acc: 1 },
    });
    expect(result.overall).toBe("pass");
    expect(result.gates[0].skipped).toMatch(/not reported/);
    expect(result.gates[0].passed).toBe(true);
  });

  it("a failing non-required gate warns without failing the run", () => {
    const result = evaluateGates({
      rules: [
        { metric: "acc", min: 0.5 },
        { metric: "latency_ms", max: 10, required: false },
      ],
      candidate: { acc: 0.9, latency_ms: 12 },
    });
    expect(result.overall).toBe("pass");
    expect(result.warned).toBe(1);
    expect(result.gates[1]).toMatchObject({ passed: false, severity: "warning" });
  });

  it("any failing required gate fails the run and the others are still evaluated", () => {
    const result = evaluateGates({
      rules: [
        { metric: "acc", min: 0.95 },
        { metric: "f1", no_regression: { tolerance: 0.01 } },
      ],
      candidate: { acc: 0.9, f1: 0.8 },
      baseline: { acc: 0.9, f1: 0.7 },
    });
    expect(result.overall).toBe("fail");
    expect(result.gates.map((g) => g.passed)).toEqual([false, true]);
    expect(result.gates[1]).toMatchObject({ candidate: 0.8, baseline: 0.7 });
  });

  it("no rules means pass", () => {
    expect(evaluateGates({ rules: [], candidate: {} }).overall).toBe("pass");
  });
});

describe("compareMetrics", () => {
  it("puts gated metrics first in gate order, then the rest alphabetically, with deltas", () => {
    const rows = compareMetrics({
      candidate: { zeta: 1, alpha: 2, loss: 0.3, acc: 0.9 },
      baseline: { zeta: 1, alpha: 1, loss: 0.4, acc: 0.8, old: 5 },
      rules: [
        { metric: "loss", max: 1 },
        { metric: "acc", min: 0.5 },
      ],
    });
    expect(rows.map((r) => r.name)).toEqual(["loss", "acc", "alpha", "old", "zeta"]);
    const [loss, acc, alpha, old, zeta] = rows;
    expect(loss.delta).toBeCloseTo(-0.1);
    expect(loss.deltaPct).toBeCloseTo(-25);
    expect(loss).toMatchObject({ direction: "lower", better: true, gated: true });
    expect(acc).toMatchObject({ direction: "higher", better: true });
    expect(alpha).toMatchObject({ delta: 1, deltaPct: 100, better: true, gated: false });
    expect(old).toMatchObject({ baseline: 5 });
    expect(old.candidate).toBeUndefined();
    expect(old.delta).toBeUndefined();
    expect(zeta).toMatchObject({ delta: 0, deltaPct: 0 });
    expect(zeta.better).toBeUndefined();
  });

  it("never divides by a zero baseline", () => {
    const [row] = compareMetrics({ candidate: { errors: 3 }, baseline: { errors: 0 } });
    expect(row.delta).toBe(3);
    expect(row.deltaPct).toBeUndefined();
    expect(row.better).toBe(false);
  });

  it("lists a gated metric that neither side reports", () => {
    const rows = compareMetrics({ candidate: { a: 1 }, rules: [{ metric: "f1", min: 0.5 }] });
    expect(rows[0]).toMatchObject({ name: "f1", gated: true });
    expect(rows[0].candidate).toBeUndefined();
  });
});
