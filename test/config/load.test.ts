import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, modelConfig, parseConfig } from "../../src/config";
import { UserError } from "../../src/util/errors";

const designExample = readFileSync(new URL("./fixtures/design-example.yaml", import.meta.url), "utf8");

/** DESIGN.md's example with one line (1-based) replaced, so positions are easy to check by eye. */
function designWith(line: number, replacement: string): string {
  const lines = designExample.split("\n");
  lines[line - 1] = replacement;
  return lines.join("\n");
}

function errorOf(text: string, file = "gitml.yaml"): ConfigError {
  try {
    parseConfig(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(UserError);
    return error as ConfigError;
  }
  throw new Error("expected the config to be rejected");
}

const messageOf = (text: string) => errorOf(text).message;

describe("parseConfig errors: file:line:col, key path, expected and found", () => {
  it("wrong type", () => {
    expect(designExample.split("\n")[15]).toBe("        min: 0.80");
    expect(messageOf(designWith(16, "        min: high"))).toBe(
      'gitml.yaml:16:14: models.churn.gates[0].min: expected a number, found "high"',
    );
  });

  it("unknown key with a suggestion", () => {
    expect(messageOf(designWith(12, "    compare_too: production"))).toBe(
      "gitml.yaml:12:5: models.churn.compare_too: unknown key `compare_too`; did you mean `compare_to`?",
    );
    expect(messageOf(designWith(18, "        no_regression: { tolerence: 0.01 }"))).toBe(
      "gitml.yaml:18:26: models.churn.gates[1].no_regression.tolerence: unknown key `tolerence`; did you mean `tolerance`?",
    );
    expect(messageOf(designWith(13, "    bumpVersion: minor"))).toBe(
      "gitml.yaml:13:5: models.churn.bumpVersion: unknown key `bumpVersion`; expected one of: path, train, outputs, stages, promotions, compare_to, protected_stages, bump, gates, on_gate_failure, monitor, suite, description, owners, intended_use",
    );
    expect(messageOf("models: {}\nstore: { type: local, pth: x }\n")).toBe(
      "gitml.yaml:2:23: store.pth: unknown key `pth`; did you mean `path`?",
    );
    expect(messageOf("model: {}\n")).toContain(
      "gitml.yaml:1:1: model: unknown key `model`; did you mean `models`?",
    );
  });

  it("enum value with a suggestion", () => {
    expect(messageOf(designWith(13, "    bump: minro"))).toBe(
      'gitml.yaml:13:11: models.churn.bump: expected one of "major", "minor", "patch", found "minro"; did you mean `minor`?',
    );
    expect(messageOf(designWith(25, "  type: s3"))).toBe(
      'gitml.yaml:25:9: store.type: expected one of "local", "github", found "s3"',
    );
  });

  it("number out of range", () => {
    expect(messageOf(designWith(23, "      drift_share: 1.5"))).toBe(
      "gitml.yaml:23:20: models.churn.monitor.drift_share: expected a number <= 1, found 1.5",
    );
    expect(messageOf(designWith(23, "      drift_share: 0"))).toBe(
      "gitml.yaml:23:20: models.churn.monitor.drift_share: expected a number > 0, found 0",
    );
  });

  it("missing required key points at its parent", () => {
    expect(messageOf(designWith(6, ""))).toBe(
      "gitml.yaml:5:5: models.churn.outputs.model: required key is missing (expected a string)",
    );
    expect(messageOf("store: { type: github }\n")).toBe(
      "gitml.yaml:1:1: models: required key is missing (expected a mapping)",
    );
  });

  it("gate without a rule, and contradictory rules", () => {
    expect(messageOf(designWith(20, "        required: false"))).toBe(
      "gitml.yaml:19:9: models.churn.gates[2]: gate for `latency_ms` has no rule: give at least one of `min`, `max`, `no_regression`",
    );
    expect(messageOf(designWith(18, "        no_regression: { tolerance: 0.01, relative: 0.02 }"))).toBe(
      "gitml.yaml:18:53: models.churn.gates[1].no_regression.relative: give either `tolerance` (absolute) or `relative`, not both",
    );
    expect(messageOf(designWith(16, "        min: 0.8\n        max: 0.5"))).toBe(
      "gitml.yaml:16:14: models.churn.gates[0].min: min (0.8) is greater than max (0.5), so no value can pass",
    );
  });

  it("invalid model name points at the key", () => {
    expect(messageOf(designWith(2, "  churn model:"))).toBe(
      "gitml.yaml:2:3: models[\"churn model\"]: Invalid model name \"churn model\": it contains spaces (only a-z, A-Z, 0-9, '-', '_', '/').",
    );
  });

  it("invalid, duplicate and reserved stage names", () => {
    expect(messageOf(designWith(11, "    stages: [staging, prod uction]"))).toBe(
      "gitml.yaml:11:23: models.churn.stages[1]: Invalid stage \"prod uction\": it contains spaces (only a-z, A-Z, 0-9, '-', '_', '/').",
    );
    expect(messageOf(designWith(11, "    stages: [staging, production, staging, new]"))).toBe(
      [
        "gitml.yaml has 2 problems:",
        "gitml.yaml:11:35: models.churn.stages[2]: stage `staging` is listed twice",
        "gitml.yaml:11:44: models.churn.stages[3]: `new` is reserved (in `promotions` it means a version with no stage yet); choose another stage name",
      ].join("\n"),
    );
    expect(messageOf(designWith(11, "    stages: []"))).toBe(
      "gitml.yaml:11:13: models.churn.stages: expected a list with at least 1 item(s), found an empty list",
    );
  });

  it("compare_to must be one of the stages", () => {
    expect(messageOf(designWith(12, "    compare_to: prod"))).toBe(
      "gitml.yaml:12:17: models.churn.compare_to: `prod` is not one of the model's stages (known stages: staging, production); did you mean `production`?",
    );
    expect(messageOf(designWith(11, "    stages: [dev, prod]"))).toBe(
      "gitml.yaml:12:17: models.churn.compare_to: `production` is not one of the model's stages (known stages: dev, prod)",
    );
  });

  it("promotions may name only known stages", () => {
    const text = designWith(
      11,
      "    stages: [staging, production]\n    promotions:\n      prodction: [staging]\n      staging: [neww]",
    );
    expect(messageOf(text)).toBe(
      [
        "gitml.yaml has 2 problems:",
        "gitml.yaml:13:7: models.churn.promotions.prodction: `prodction` is not one of the model's stages (known stages: staging, production); did you mean `production`?",
        "gitml.yaml:14:17: models.churn.promotions.staging[0]: `neww` is neither one of the model's stages (known stages: staging, production) nor `new`; did you mean `new`?",
      ].join("\n"),
    );
  });

  it("reports every problem, one per line, in file order, with structured problems", () => {
    const text = [
      "models:",
      "  churn:",
      "    path: models/churn",
      "    outputs: { model: 7 }",
      "    bump: huge",
      "    gates:",
      "      - metric: auc",
      "        mni: 0.5",
      "store:",
      "  type: github",
      "  path: ''",
      "",
    ].join("\n");
    const error = errorOf(text, "repo/gitml.yaml");
    expect(error.message).toBe(
      [
        "repo/gitml.yaml has 4 problems:",
        "repo/gitml.yaml:4:23: models.churn.outputs.model: expected a string, found 7",
        'repo/gitml.yaml:5:11: models.churn.bump: expected one of "major", "minor", "patch", found "huge"',
        "repo/gitml.yaml:8:9: models.churn.gates[0].mni: unknown key `mni`; did you mean `min`?",
        'repo/gitml.yaml:11:9: store.path: expected a non-empty string, found ""',
      ].join("\n"),
    );
    expect(error.problems[0]).toEqual({
      file: "repo/gitml.yaml",
      line: 4,
      col: 23,
      path: "models.churn.outputs.model",
      message: "expected a string, found 7",
    });
  });

  it("empty file and non-mapping document", () => {
    expect(messageOf("")).toBe(
      "gitml.yaml:1:1: the file is empty: expected a mapping with at least `models`",
    );
    expect(messageOf("# only a comment\n")).toBe(
      "gitml.yaml:1:1: the file is empty: expected a mapping with at least `models`",
    );
    expect(messageOf("- churn\n")).toBe("gitml.yaml:1:1: expected a mapping, found a list of 1 item(s)");
  });

  it("YAML syntax errors carry line:col", () => {
    expect(messageOf("models: [a, b]]\n")).toBe(
      'gitml.yaml:1:15: YAML syntax error: Unexpected flow-seq-end token in YAML stream: "]"',
    );
    expect(messageOf("models:\n  churn:\n\tpath: x\n")).toBe(
      "gitml.yaml:3:1: YAML syntax error: Tabs are not allowed as indentation",
    );
    expect(messageOf("models:\n  churn:\n    path: x\n   outputs: {}\n")).toBe(
      "gitml.yaml:4:1: models: YAML syntax error: All mapping items must start at the same column",
    );
    expect(messageOf("models: {}\n---\nmodels: {}\n")).toBe(
      "gitml.yaml:2:1: YAML syntax error: the file must hold one YAML document (found `---`)",
    );
  });

  it("duplicate keys are errors at the second occurrence", () => {
    expect(messageOf(designWith(13, "    bump: minor\n    bump: major"))).toBe(
      "gitml.yaml:14:5: models.churn: duplicate key `bump`: each key may appear only once in a mapping",
    );
    expect(messageOf("models: {}\nmodels: {}\n")).toBe(
      "gitml.yaml:2:1: duplicate key `models`: each key may appear only once in a mapping",
    );
  });

  it("a value reached through a YAML alias is still located", () => {
    const text =
      "x-gates: &gates\n  - metric: acc\n    min: bad\n" +
      "models:\n  churn:\n    path: m\n    outputs: { model: x }\n    gates: *gates\n";
    // x-gates is itself an unknown key; the alias target's problem points into the anchored node.
    expect(messageOf(text)).toBe(
      [
        "gitml.yaml has 2 problems:",
        "gitml.yaml:1:1: x-gates: unknown key `x-gates`; expected one of: models, store",
        'gitml.yaml:3:10: models.churn.gates[0].min: expected a number, found "bad"',
      ].join("\n"),
    );
  });
});

describe("a YAML alias bomb", () => {
  it("is a user error at the file's first alias, not an internal error", () => {
    const levels = ["a", "b", "c", "d", "e", "f", "g"];
    const text =
      `${levels[0]}: &${levels[0]} ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n` +
      levels
        .slice(1)
        .map((name, i) => `${name}: &${name} [${Array(9).fill(`*${levels[i]}`).join(", ")}]`)
        .join("\n") +
      "\nmodels: {}\n";
    const message = messageOf(text);
    expect(message).toMatch(/^gitml\.yaml:2:\d+: its aliases \(\*name\) expand to too many nodes/);
  });
});

describe("loadConfig", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "gitml-config-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns undefined when there is no config", async () => {
    expect(await loadConfig({ cwd: dir })).toBeUndefined();
  });

  it("reads gitml.yaml with an absolute file and its folder as root", async () => {
    await writeFile(path.join(dir, "gitml.yaml"), designExample);
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded?.file).toBe(path.join(dir, "gitml.yaml"));
    expect(path.isAbsolute(loaded?.file ?? "")).toBe(true);
    expect(loaded?.root).toBe(dir);
    expect(loaded?.config.models.churn?.compare_to).toBe("production");
  });

  it("falls back to gitml.yml", async () => {
    await writeFile(path.join(dir, "gitml.yml"), "models: {}\n");
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded?.file).toBe(path.join(dir, "gitml.yml"));
    expect(loaded?.config).toEqual({ models: {}, store: { type: "local", path: ".gitml/store" } });
  });

  it("refuses to guess when both names exist", async () => {
    await writeFile(path.join(dir, "gitml.yaml"), "models: {}\n");
    await writeFile(path.join(dir, "gitml.yml"), "models: {}\n");
    await expect(loadConfig({ cwd: dir })).rejects.toThrow(
      "both gitml.yaml and gitml.yml exist; keep one so it is clear which applies",
    );
  });

  it("reads an explicit file, names it relative to cwd in errors, and rejects a missing one", async () => {
    await mkdir(path.join(dir, "conf"));
    await writeFile(
      path.join(dir, "conf", "ml.yaml"),
      "models:\n  churn:\n    path: 3\n    outputs: { model: x }\n",
    );
    await expect(loadConfig({ cwd: dir, file: "conf/ml.yaml" })).rejects.toThrow(
      "conf/ml.yaml:3:11: models.churn.path: expected a string, found 3",
    );
    await writeFile(path.join(dir, "conf", "ok.yaml"), "models: {}\n");
    const loaded = await loadConfig({ cwd: dir, file: "conf/ok.yaml" });
    expect(loaded?.root).toBe(path.join(dir, "conf"));
    const missing = loadConfig({ cwd: dir, file: "nope.yaml" });
    await expect(missing).rejects.toBeInstanceOf(UserError);
    await expect(missing).rejects.toThrow("config file not found: nope.yaml");
  });

  it("modelConfig returns the model or lists the configured names", async () => {
    await writeFile(path.join(dir, "gitml.yaml"), designExample);
    const loaded = await loadConfig({ cwd: dir });
    if (!loaded) throw new Error("config expected");
    expect(modelConfig(loaded, "churn").path).toBe("models/churn");
    expect(() => modelConfig(loaded, "chrun")).toThrow(
      "model `chrun` is not in gitml.yaml (configured models: churn); did you mean `churn`?",
    );
    const error = (() => {
      try {
        modelConfig(loaded, "fraud");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).where).toBe(path.join(dir, "gitml.yaml"));
    expect((error as UserError).message).toBe(
      "model `fraud` is not in gitml.yaml (configured models: churn)",
    );
  });
});
