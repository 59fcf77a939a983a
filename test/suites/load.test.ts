import { mkdirSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load";
import { MAX_EXTENDS_DEPTH, resolveSuite, suiteOf } from "../../src/suites/load";
import type { ResolveSuiteOptions } from "../../src/suites/load";
import { tempDir } from "../helpers/repo";
import { rejectedUserError } from "../helpers/errors";

let root: string;
beforeEach(async () => {
  root = await tempDir("gitml-suites-load-");
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function write(file: string, text: string): void {
  const target = path.join(root, file);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, text);
}

/** gitml.yaml with one model `churn` whose `suite:` block is `suiteYaml` (indented by the caller's 4). */
function writeConfig(suiteYaml: string): void {
  write(
    "gitml.yaml",
    [
      "models:",
      "  churn:",
      "    path: models/churn",
      "    outputs: { model: out/model.pkl }",
      "    suite:",
      suiteYaml,
    ].join("\n") + "\n",
  );
}

async function resolve(extra: Partial<ResolveSuiteOptions> = {}) {
  const config = parseConfig(await fs.readFile(path.join(root, "gitml.yaml"), "utf8"), "gitml.yaml");
  const suite = config.models.churn?.suite;
  if (suite === undefined) throw new Error("test config has no suite");
  return resolveSuite({ root, configFile: path.join(root, "gitml.yaml"), suite, model: "churn", ...extra });
}

const baseSuite = `
data:
  train: data/train.csv
  test: data/test.csv
expectations:
  train:
    - { expect: expect_column_values_to_not_be_null, column: age, mostly: 0.9 }
    - { expect: column_values_to_be_between, column: age, min_value: 0, max_value: 120 }
    - { expect: table_row_count_to_be_between, min_value: 100 }
slices:
  columns: [gender, region]
  min_rows: 50
  min: { accuracy: 0.7 }
  max_gap: { f1: 0.1, accuracy: 0.2 }
  fairness:
    demographic_parity_difference: { max: 0.1 }
train_test:
  leakage: { max_share: 0.01 }
  size_ratio: { min: 0.1 }
`;

describe("resolveSuite with local suite files", () => {
  it("returns the model's own block as is when it extends nothing", async () => {
    writeConfig(
      [
        "      data: { train: data/train.csv }",
        "      expectations:",
        "        train: [{ expect: column_to_exist, column: age }]",
      ].join("\n"),
    );
    const resolved = await resolve();
    expect(resolved.data).toEqual({ train: "data/train.csv" });
    expect(resolved.expectations.train).toEqual([
      { expect: "column_to_exist", column: "age", required: true, suite: "gitml.yaml" },
    ]);
    expect(resolved.slices).toBeUndefined();
    expect(resolved.sources).toEqual([{ name: "gitml.yaml" }]);
    expect(suiteOf(resolved, "data.train")).toBe("gitml.yaml");
  });

  it("merges nested extends in order, then the model's own keys, recording who set what", async () => {
    write("suites/base.yaml", baseSuite);
    write(
      "suites/team.yaml",
      `
extends: [suites/base.yaml]
data: { test: data/holdout.csv }
expectations:
  train:
    - { expect: column_values_to_be_between, column: age, min_value: 18, max_value: 99 }
    - { expect: column_values_to_be_unique, column: id }
slices:
  columns: [gender]
  max_gap: { f1: 0.05 }
  fairness:
    demographic_parity_difference: { max: 0.05, required: false }
`,
    );
    writeConfig(
      [
        "      extends: [suites/team.yaml]",
        "      data: { predictions: out/preds.csv }",
        "      expectations:",
        "        train:",
        "          - { expect: expect_column_values_to_not_be_null, column: age, mostly: 0.99 }",
        "        test:",
        "          - { expect: column_to_exist, column: age }",
        "      slices:",
        "        columns: [gender, age_band]",
        "        min: { f1: 0.6 }",
        "      train_test:",
        "        leakage: { required: false }",
      ].join("\n"),
    );
    const resolved = await resolve();

    expect(resolved.sources.map((source) => source.name)).toEqual([
      "suites/base.yaml",
      "suites/team.yaml",
      "gitml.yaml",
    ]);
    expect(resolved.data).toEqual({
      train: "data/train.csv",
      test: "data/holdout.csv",
      predictions: "out/preds.csv",
    });

    // Same (expect, column) replaces in place; a new identity is appended.
    expect(
      resolved.expectations.train?.map((e) => [e.expect, "column" in e ? e.column : undefined, e.suite]),
    ).toEqual([
      ["column_values_to_not_be_null", "age", "gitml.yaml"],
      ["column_values_to_be_between", "age", "suites/team.yaml"],
      ["table_row_count_to_be_between", undefined, "suites/base.yaml"],
      ["column_values_to_be_unique", "id", "suites/team.yaml"],
    ]);
    expect(resolved.expectations.train?.[0]).toMatchObject({ mostly: 0.99 });
    expect(resolved.expectations.train?.[1]).toMatchObject({ min_value: 18, max_value: 99 });
    expect(resolved.expectations.test?.map((e) => e.suite)).toEqual(["gitml.yaml"]);

    // Lists are replaced, mappings merged key by key, earlier values survive later defaults.
    const slices = resolved.slices;
    expect(slices?.columns).toEqual(["gender", "age_band"]);
    expect(slices?.min_rows).toBe(50);
    expect(slices?.min).toEqual({ accuracy: 0.7, f1: 0.6 });
    expect(slices?.max_gap).toEqual({ f1: 0.05, accuracy: 0.2 });
    expect(slices?.fairness?.demographic_parity_difference).toEqual({ max: 0.05, required: false });
    expect(resolved.train_test?.leakage).toEqual({ max_share: 0.01, required: false });
    expect(resolved.train_test?.size_ratio).toEqual({ min: 0.1, required: true });

    expect(resolved.origins["slices.columns"]).toBe("gitml.yaml");
    expect(resolved.origins["slices.min.accuracy"]).toBe("suites/base.yaml");
    expect(resolved.origins["slices.min.f1"]).toBe("gitml.yaml");
    expect(resolved.origins["slices.max_gap.f1"]).toBe("suites/team.yaml");
    expect(resolved.origins["slices.max_gap.accuracy"]).toBe("suites/base.yaml");
    expect(resolved.origins["slices.min_rows"]).toBe("suites/base.yaml");
    expect(resolved.origins["slices.fairness.demographic_parity_difference"]).toBe("suites/team.yaml");
    expect(resolved.origins["train_test.leakage"]).toBe("gitml.yaml");
    expect(resolved.origins["train_test.leakage.max_share"]).toBe("suites/base.yaml");
    expect(resolved.origins["data.test"]).toBe("suites/team.yaml");

    expect(suiteOf(resolved, "train_test.size_ratio")).toBe("suites/base.yaml");
    // A key left to its default belongs to the suite that declared the enclosing block.
    expect(suiteOf(resolved, "train_test.size_ratio.required")).toBe("suites/base.yaml");
    expect(suiteOf(resolved, "slices.fairness.demographic_parity_difference.min")).toBe("suites/team.yaml");
    expect(suiteOf(resolved, "nothing.here")).toBe("gitml.yaml");
  });

  it("applies several extends in order: the later one wins", async () => {
    write("a.yaml", "slices: { columns: [a], min: { accuracy: 0.5 } }\n");
    write("b.yaml", "slices: { columns: [b], min: { accuracy: 0.8 } }\n");
    writeConfig("      extends: [a.yaml, b.yaml]");
    const resolved = await resolve();
    expect(resolved.slices?.columns).toEqual(["b"]);
    expect(resolved.slices?.min).toEqual({ accuracy: 0.8 });
    expect(suiteOf(resolved, "slices.min.accuracy")).toBe("b.yaml");
    expect(resolved.sources.map((source) => source.name)).toEqual(["a.yaml", "b.yaml", "gitml.yaml"]);
  });

  it("replaces a list wholesale and forgets the origins of what it replaced", async () => {
    write(
      "a.yaml",
      "expectations:\n  train:\n    - { expect: column_values_to_be_in_set, column: g, value_set: [m, f, x] }\n",
    );
    writeConfig(
      [
        "      extends: [a.yaml]",
        "      expectations:",
        "        train:",
        "          - { expect: column_values_to_be_in_set, column: g, value_set: [m, f] }",
      ].join("\n"),
    );
    const resolved = await resolve();
    expect(resolved.expectations.train).toHaveLength(1);
    expect(resolved.expectations.train?.[0]).toMatchObject({ value_set: ["m", "f"], suite: "gitml.yaml" });
  });

  it("finds the model's block without the model's name", async () => {
    write("a.yaml", "slices: { columns: [a], min_rows: 10 }\n");
    writeConfig("      extends: [a.yaml]\n      slices: { columns: [b] }");
    const resolved = await resolve({ model: undefined });
    // Merged as written: the model's block does not reset min_rows to its default.
    expect(resolved.slices).toMatchObject({ columns: ["b"], min_rows: 10 });
  });

  it("reports a cycle with its chain at the extends entry that closes it", async () => {
    write("suites/a.yaml", "extends: [suites/b.yaml]\n");
    write("suites/b.yaml", "slices: { columns: [x] }\nextends:\n  - suites/c.yaml\n");
    write("suites/c.yaml", "extends: [suites/a.yaml]\n");
    writeConfig("      extends: [suites/a.yaml]");
    const error = await rejectedUserError(resolve());
    expect(error.message).toBe(
      "suites extend each other in a cycle: suites/a.yaml → suites/b.yaml → suites/c.yaml → suites/a.yaml",
    );
    expect(error.where).toBe("suites/c.yaml:1:11");
  });

  it("reports a suite extending itself", async () => {
    write("self.yaml", "extends: [./self.yaml]\n");
    writeConfig("      extends: [self.yaml]");
    const error = await rejectedUserError(resolve());
    expect(error.message).toContain("cycle: self.yaml → self.yaml");
  });

  it("allows the same base twice (diamond) and lists it once in sources", async () => {
    write("base.yaml", "slices: { columns: [x], min_rows: 5 }\n");
    write("left.yaml", "extends: [base.yaml]\n");
    write("right.yaml", "extends: [base.yaml]\nslices: { columns: [y] }\n");
    writeConfig("      extends: [left.yaml, right.yaml]");
    const resolved = await resolve();
    expect(resolved.slices).toMatchObject({ columns: ["y"], min_rows: 5 });
    expect(resolved.sources.map((source) => source.name)).toEqual([
      "base.yaml",
      "left.yaml",
      "right.yaml",
      "gitml.yaml",
    ]);
  });

  it(`stops at ${MAX_EXTENDS_DEPTH} levels of extends`, async () => {
    for (let level = 1; level <= MAX_EXTENDS_DEPTH + 1; level++)
      write(`s${level}.yaml`, level <= MAX_EXTENDS_DEPTH ? `extends: [s${level + 1}.yaml]\n` : "{}\n");
    writeConfig("      extends: [s1.yaml]");
    const error = await rejectedUserError(resolve());
    expect(error.message).toMatch(new RegExp(`nests deeper than ${MAX_EXTENDS_DEPTH} suites`));
    expect(error.where).toBe(`s${MAX_EXTENDS_DEPTH}.yaml:1:11`);

    write(`s${MAX_EXTENDS_DEPTH}.yaml`, "slices: { columns: [deep] }\n");
    const resolved = await resolve();
    expect(resolved.slices?.columns).toEqual(["deep"]);
    expect(suiteOf(resolved, "slices.columns")).toBe(`s${MAX_EXTENDS_DEPTH}.yaml`);
  });

  it("reports every problem of a bad suite file at file:line:col", async () => {
    write(
      "suites/bad.yaml",
      [
        "expectations:",
        "  train:",
        "    - { expect: column_values_to_be_between, column: age }",
        "    - expect: column_to_exist",
        "      colum: age",
        "slices:",
        "  columns: [g]",
        "  min_row: 5",
        "",
      ].join("\n"),
    );
    writeConfig("      extends: [suites/bad.yaml]");
    const error = await rejectedUserError(resolve());
    const lines = error.message.split("\n");
    expect(lines[0]).toBe("suites/bad.yaml has 4 problems:");
    expect(lines).toContain(
      "suites/bad.yaml:4:7: expectations.train[1].column: required key is missing (expected a string)",
    );
    expect(lines).toContain(
      "suites/bad.yaml:3:7: expectations.train[0]: give `min_value`, `max_value` or both",
    );
    expect(
      lines.some((line) =>
        line.startsWith(
          "suites/bad.yaml:5:7: expectations.train[1].colum: unknown key `colum`; did you mean `column`",
        ),
      ),
    ).toBe(true);
    expect(
      lines.some((line) =>
        line.startsWith(
          "suites/bad.yaml:8:3: slices.min_row: unknown key `min_row`; did you mean `min_rows`",
        ),
      ),
    ).toBe(true);
  });

  it("reports YAML syntax errors of a suite file with their position", async () => {
    write("bad.yaml", "slices:\n  columns: [a\n");
    writeConfig("      extends: [bad.yaml]");
    const error = await rejectedUserError(resolve());
    expect(error.message).toMatch(/^bad\.yaml:\d+:\d+: .*YAML syntax error/);
  });

  it("says which extends entry names a missing file, at its line and column", async () => {
    writeConfig("      extends:\n        - suites/ok.yaml\n        - suites/missing.yaml");
    write("suites/ok.yaml", "{}\n");
    const error = await rejectedUserError(resolve());
    expect(error.message).toBe("cannot use suite `suites/missing.yaml`: suites/missing.yaml does not exist");
    expect(error.where).toBe("gitml.yaml:8:11");
  });

  it("refuses paths that leave the repository", async () => {
    writeConfig("      extends: [../outside.yaml]");
    const error = await rejectedUserError(resolve());
    expect(error.message).toContain("must stay inside the repository");
    expect(error.where).toBe("gitml.yaml:6:17");
  });

  it("keeps a suite file's data paths as written (relative to the model's path)", async () => {
    write("suites/shared/data.yaml", "data: { reference: ../../data/ref.parquet }\n");
    writeConfig("      extends: [suites/shared/data.yaml]");
    const resolved = await resolve();
    expect(resolved.data).toEqual({ reference: "../../data/ref.parquet" });
  });
});

describe("gitml.yaml's suite block", () => {
  it("is validated with the suite schema, with positions", () => {
    const text = [
      "models:",
      "  churn:",
      "    path: m",
      "    outputs: { model: x }",
      "    suite:",
      "      slices: { columns: [g], metrics: [acuracy] }",
      "",
    ].join("\n");
    expect(() => parseConfig(text, "gitml.yaml")).toThrow(
      /gitml\.yaml:6:41: models\.churn\.suite\.slices\.metrics\[0\]: expected one of .*did you mean "?`?accuracy/,
    );
  });
});
