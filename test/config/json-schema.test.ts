import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CONFIG_SCHEMA_ID, ConfigSchema, configJsonSchema } from "../../src/config";

const designExample = parse(readFileSync(new URL("./fixtures/design-example.yaml", import.meta.url), "utf8"));
const minimalModel = { path: "m", outputs: { model: "x" } };
const withModel = (extra: Record<string, unknown>) => ({ models: { churn: { ...minimalModel, ...extra } } });
const withGate = (gate: Record<string, unknown>) => withModel({ gates: [gate] });

const valid: Record<string, unknown> = {
  "DESIGN.md's example": designExample,
  "minimal model": { models: { churn: minimalModel } },
  "no models": { models: {} },
  "model in a folder": { models: { "models/nlp:sentiment": minimalModel } },
  "custom stages and promotions": withModel({
    stages: ["dev", "prod"],
    promotions: { prod: ["dev", "new"] },
  }),
  "every optional key": withModel({
    train: "python train.py",
    compare_to: "staging",
    bump: "patch",
    on_gate_failure: "warn",
    description: "d",
    owners: ["@team"],
    intended_use: "u",
    monitor: { current: "live.csv", current_command: "make live.csv", drift_share: 1 },
    gates: [
      { metric: "auc", min: 0.5, max: 1, required: false, direction: "higher" },
      { metric: "loss", no_regression: {} },
      { metric: "rmse", no_regression: { relative: 0.02 } },
    ],
  }),
  "github store": { models: {}, store: { type: "github" } },
  "importance gates, outputs.importances and importance_drift_share": withModel({
    outputs: { model: "model.pkl", reference: "train.csv", importances: "importances.json" },
    gates: [
      { metric: "auc", min: 0.5 },
      { importance: { max_single: 0.5 } },
      { importance: { features: ["age", "income"], min_share: 0.6 }, required: false },
    ],
    monitor: { current: "live.csv", importance_drift_share: 0.3 },
  }),
  "a suite, expectation names with and without GX's expect_ prefix": withModel({
    suite: {
      extends: ["suites/base.yaml", { repo: "acme/suites", ref: "v1", path: "s.yaml" }],
      data: { train: "train.csv" },
      expectations: {
        train: [
          { expect: "column_values_to_not_be_null", column: "age", mostly: 0.99 },
          { expect: "expect_column_values_to_be_between", column: "age", min_value: 0 },
        ],
      },
      slices: { columns: ["region"], max_gap: { accuracy: 0.1 } },
      train_test: { leakage: { ignore_columns: ["id"] } },
    },
  }),
};

// Every rule JSON Schema can express; the zod-only ones are listed in the test below.
const invalid: Record<string, unknown> = {
  "empty document": null,
  "missing models": { store: { type: "local" } },
  "unknown top-level key": { models: {}, modles: {} },
  "unknown model key": withModel({ compare_too: "production" }),
  "unknown outputs key": withModel({ outputs: { model: "x", metric: "m.json" } }),
  "an unknown expectation": withModel({
    suite: { expectations: { train: [{ expect: "expect_column_to_be_pretty", column: "a" }] } },
  }),
  "missing outputs.model": withModel({ outputs: { metrics: "m.json" } }),
  "empty path": withModel({ path: "" }),
  "invalid model name": { models: { "churn model": minimalModel } },
  "model name ending in a dash": { models: { "churn-": minimalModel } },
  "invalid stage name": withModel({ stages: ["staging", "prod uction"] }),
  "duplicate stage": withModel({ stages: ["staging", "staging"] }),
  "reserved stage name": withModel({ stages: ["new", "production"] }),
  "no stages": withModel({ stages: [] }),
  "bad bump": withModel({ bump: "minro" }),
  "bad on_gate_failure": withModel({ on_gate_failure: "ignore" }),
  "gate without a rule": withGate({ metric: "auc" }),
  "gate with a string bound": withGate({ metric: "auc", min: "high" }),
  "gate without metric": withGate({ min: 1 }),
  "both regression tolerances": withGate({ metric: "f1", no_regression: { tolerance: 0.1, relative: 0.1 } }),
  "negative tolerance": withGate({ metric: "f1", no_regression: { tolerance: -1 } }),
  "bad direction": withGate({ metric: "f1", min: 0, direction: "up" }),
  "importance gate with a metric's rule": withGate({ importance: { max_single: 0.5 }, min: 0.1 }),
  "importance gate with a metric": withGate({ importance: { max_single: 0.5 }, metric: "auc" }),
  "importance gate above 1": withGate({ importance: { max_single: 1.5 } }),
  "importance gate without a rule": withGate({ importance: {} }),
  "importance gate with features but no share": withGate({
    importance: { max_single: 0.5, features: ["a"] },
  }),
  "importance gate with an unknown key": withGate({ importance: { max_singel: 0.5 } }),
  "importance_drift_share 0": withModel({ monitor: { current: "x", importance_drift_share: 0 } }),
  "drift_share 0": withModel({ monitor: { current: "x", drift_share: 0 } }),
  "drift_share above 1": withModel({ monitor: { current: "x", drift_share: 1.5 } }),
  "monitor without current": withModel({ monitor: { drift_share: 0.5 } }),
  "bad store type": { models: {}, store: { type: "s3" } },
  "promotion sources not a list": withModel({ promotions: { production: "staging" } }),
};

describe("configJsonSchema", () => {
  const schema = configJsonSchema();
  const ajv = new Ajv2020({ allErrors: true });
  const validate = ajv.compile(schema);

  it("carries $schema, $id and a title", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe(CONFIG_SCHEMA_ID);
    expect(schema.title).toBe("gitml.yaml");
    expect(configJsonSchema({ id: "https://example.test/s.json" }).$id).toBe("https://example.test/s.json");
  });

  it("describes every key, so editors show help", () => {
    const undocumented: string[] = [];
    const visit = (node: unknown, at: string): void => {
      if (node === null || typeof node !== "object") return;
      const record = node as Record<string, unknown>;
      const properties = record.properties as Record<string, Record<string, unknown>> | undefined;
      for (const [key, child] of Object.entries(properties ?? {})) {
        if (typeof child.description !== "string" || child.description.length < 10)
          undocumented.push(`${at}.${key}`);
        visit(child, `${at}.${key}`);
      }
      for (const key of ["items", "additionalProperties", "propertyNames"])
        visit(record[key], `${at}[${key}]`);
    };
    visit(schema, "");
    expect(undocumented).toEqual([]);
    // Sanity check that the walk reaches deep keys.
    const json = JSON.stringify(schema);
    expect(json).toContain("Share of drifted columns");
    expect(json).toContain("Absolute drop allowed");
  });

  it("marks keys with defaults optional and shows the defaults", () => {
    const model = (schema.properties as Record<string, { additionalProperties: Record<string, unknown> }>)
      .models.additionalProperties;
    expect(model.required).toEqual(["path", "outputs"]);
    const properties = model.properties as Record<string, { default?: unknown }>;
    expect(properties.stages?.default).toEqual(["staging", "production"]);
    expect(properties.bump?.default).toBe("minor");
    expect(properties.on_gate_failure?.default).toBe("fail");
  });

  it.each(Object.entries(valid))("accepts %s, as zod does", (_name, config) => {
    expect(ConfigSchema.safeParse(config).success).toBe(true);
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each(Object.entries(invalid))("rejects %s, as zod does", (_name, config) => {
    expect(ConfigSchema.safeParse(config).success).toBe(false);
    expect(validate(config)).toBe(false);
  });

  it("leaves cross-field rules and git's ref-name rules to zod", () => {
    const zodOnly = [
      withModel({ compare_to: "qa" }),
      withModel({ promotions: { prod: ["staging"] } }),
      withModel({ promotions: { production: ["qa"] } }),
      withGate({ metric: "auc", min: 2, max: 1 }),
      withModel({ path: "/abs/path" }),
      withModel({ path: "../outside" }),
      // git's ref-name rules, which the registry adds to GTO's grammar.
      { models: { "team//churn": minimalModel } },
      { models: { "a.lock:churn": minimalModel } },
    ];
    for (const config of zodOnly) {
      expect(ConfigSchema.safeParse(config).success).toBe(false);
      expect(validate(config)).toBe(true);
    }
  });
});
