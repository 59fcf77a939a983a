import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigSchema, DEFAULT_STAGES, ModelNameSchema, parseConfig } from "../../src/config";

const designExample = readFileSync(new URL("./fixtures/design-example.yaml", import.meta.url), "utf8");

describe("ConfigSchema", () => {
  it("accepts DESIGN.md's example and keeps every value it sets", () => {
    const config = parseConfig(designExample, "gitml.yaml");
    const churn = config.models.churn;
    expect(churn).toBeDefined();
    expect(churn?.path).toBe("models/churn");
    expect(churn?.train).toBe("python train.py");
    expect(churn?.outputs).toEqual({
      model: "out/model.pkl",
      metrics: "out/metrics.json",
      params: "params.yaml",
      predictions: "out/predictions.csv",
      reference: "data/train.parquet",
    });
    expect(churn?.stages).toEqual(["staging", "production"]);
    expect(churn?.compare_to).toBe("production");
    expect(churn?.bump).toBe("minor");
    expect(churn?.gates).toEqual([
      { metric: "accuracy", min: 0.8, required: true, direction: "higher" },
      { metric: "f1", no_regression: { tolerance: 0.01 }, required: true, direction: "higher" },
      { metric: "latency_ms", max: 50, required: true, direction: "lower" },
    ]);
    expect(churn?.monitor).toEqual({ current: "data/live/*.parquet", drift_share: 0.5 });
    expect(config.store).toEqual({ type: "local", path: ".gitml/store" });
  });

  it("applies every default to a minimal config", () => {
    const config = parseConfig(
      "models:\n  churn:\n    path: m\n    outputs: { model: model.pkl }\n",
      "gitml.yaml",
    );
    expect(config).toEqual({
      models: {
        churn: {
          path: "m",
          outputs: { model: "model.pkl" },
          stages: ["staging", "production"],
          promotions: { staging: ["new"], production: ["staging"] },
          compare_to: "production",
          bump: "minor",
          gates: [],
          on_gate_failure: "fail",
        },
      },
      store: { type: "local", path: ".gitml/store" },
    });
    expect(DEFAULT_STAGES).toEqual(["staging", "production"]);
  });

  it("does not share default arrays between models", () => {
    const config = ConfigSchema.parse({
      models: { a: { path: "a", outputs: { model: "m" } }, b: { path: "b", outputs: { model: "m" } } },
    });
    expect(config.models.a?.stages).not.toBe(config.models.b?.stages);
    expect(config.models.a?.gates).not.toBe(config.models.b?.gates);
  });

  it("derives compare_to and promotions from custom stages", () => {
    const config = parseConfig(
      "models:\n  m:\n    path: m\n    outputs: { model: x }\n    stages: [dev, qa, prod]\n    promotions:\n      prod: [qa, new]\n",
      "gitml.yaml",
    );
    const model = config.models.m;
    // No `production` stage: the last stage is the comparison baseline.
    expect(model?.compare_to).toBe("prod");
    expect(model?.promotions).toEqual({ dev: ["new"], qa: ["dev"], prod: ["qa", "new"] });
  });

  it("defaults gate direction from its rules and keeps an explicit one", () => {
    const config = ConfigSchema.parse({
      models: {
        m: {
          path: "m",
          outputs: { model: "x" },
          gates: [
            { metric: "loss", max: 1 },
            { metric: "loss", no_regression: {}, direction: "lower" },
            { metric: "auc", min: 0.5, max: 1 },
            { metric: "rmse", no_regression: { relative: 0.02 }, required: false },
          ],
        },
      },
    });
    expect(config.models.m?.gates.map((gate) => gate.direction)).toEqual([
      "lower",
      "lower",
      "higher",
      "higher",
    ]);
    expect(config.models.m?.gates[3]).toEqual({
      metric: "rmse",
      no_regression: { relative: 0.02 },
      required: false,
      direction: "higher",
    });
  });

  it("accepts the optional model-card, monitoring and store keys", () => {
    const config = ConfigSchema.parse({
      models: {
        "models/nlp:sentiment": {
          path: "models/nlp",
          outputs: { model: "out" },
          description: "Sentiment of support tickets",
          owners: ["@ml-team"],
          intended_use: "Triage only",
          on_gate_failure: "warn",
          monitor: { current: "live.csv", current_command: "python export.py", drift_share: 1 },
        },
      },
      store: { type: "github" },
    });
    const model = config.models["models/nlp:sentiment"];
    expect(model?.on_gate_failure).toBe("warn");
    expect(model?.monitor).toEqual({
      current: "live.csv",
      current_command: "python export.py",
      drift_share: 1,
    });
    expect(config.store).toEqual({ type: "github", path: ".gitml/store" });
  });

  it("checks model names against GTO's grammar", () => {
    for (const name of ["churn", "a", "Churn_2", "team/churn", "models/churn:churn", "a-b"]) {
      expect(ModelNameSchema.safeParse(name).success, name).toBe(true);
    }
    for (const name of ["-churn", "churn-", "churn model", "churn@v1", "a#b", ":churn", "churn:", "a:b:c"]) {
      expect(ModelNameSchema.safeParse(name).success, name).toBe(false);
    }
  });
});
