import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffParams, parseMetrics, readMetrics, readParams } from "../../src/evaluate/metrics";
import type { Logger } from "../../src/util/logger";
import { rejectedUserError, thrownUserError } from "../helpers/errors";

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  return { logger: { debug() {}, info() {}, warning: (m) => warnings.push(m), error() {} }, warnings };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gitml-metrics-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe("readMetrics: JSON and YAML", () => {
  it("flattens nested keys with dots, as dvclive's metrics.json nests them", async () => {
    // The shape dvclive writes: step at the top, one mapping per split.
    const path = await file(
      "metrics.json",
      JSON.stringify({
        step: 9,
        train: { loss: 0.21, acc: 0.93 },
        eval: { loss: 0.34, f1: 0.8, per_class: { a: 0.7 } },
      }),
    );
    expect(await readMetrics(path)).toEqual({
      step: 9,
      "train.loss": 0.21,
      "train.acc": 0.93,
      "eval.loss": 0.34,
      "eval.f1": 0.8,
      "eval.per_class.a": 0.7,
    });
  });

  it("reads YAML (.yaml and .yml) the same way", async () => {
    const text = "eval:\n  f1: 0.8\n  auc: 9.1e-1\ntrain:\n  loss: 0.2\n";
    const expected = { "eval.f1": 0.8, "eval.auc": 0.91, "train.loss": 0.2 };
    expect(await readMetrics(await file("m.yaml", text))).toEqual(expected);
    expect(await readMetrics(await file("m.yml", text))).toEqual(expected);
  });

  it("skips lists as DVC does, and says so in one warning", async () => {
    const { logger, warnings } = recordingLogger();
    const path = await file(
      "lists.json",
      JSON.stringify({
        acc: 0.9,
        confusion: [
          [1, 2],
          [3, 4],
        ],
        eval: { roc: [0.1] },
      }),
    );
    expect(await readMetrics(path, { logger })).toEqual({ acc: 0.9 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).toContain('"confusion" (a list)');
    expect(warnings[0]).toContain('"eval.roc" (a list)');
  });

  it("strips a UTF-8 byte order mark", async () => {
    expect(await readMetrics(await file("bom.json", '\ufeff{"acc": 1}'))).toEqual({ acc: 1 });
  });
});

describe("readMetrics: CSV and TSV", () => {
  it("takes the last row of a dvclive TSV history", async () => {
    const path = await file(
      "loss.tsv",
      "timestamp\tstep\tloss\n1700000000000\t0\t0.9\n1700000001000\t1\t0.5\n1700000002000\t2\t0.25\n",
    );
    expect(await readMetrics(path)).toEqual({ timestamp: 1700000002000, step: 2, loss: 0.25 });
  });

  it("takes the last row of a CSV with quoted headers, CRLF and a trailing blank line", async () => {
    const path = await file("m.csv", 'acc,"f1, macro",loss\r\n0.5,0.4,1e-1\r\n0.9,0.85,-2.5E-2\r\n\r\n');
    expect(await readMetrics(path)).toEqual({ acc: 0.9, "f1, macro": 0.85, loss: -0.025 });
  });

  it("skips a column whose last value is not a number, naming the file and line in one warning", async () => {
    const { logger, warnings } = recordingLogger();
    const path = await file("bad.csv", "acc,model,loss\n0.9,1,2\n0.91,rf,nan\n");
    expect(await readMetrics(path, { logger })).toEqual({ acc: 0.91 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${path}:3`);
    expect(warnings[0]).toContain('"model" (string "rf")');
    expect(warnings[0]).toContain('"loss" (nan)');
  });

  it("rejects a header-only file", async () => {
    const only = await rejectedUserError(readMetrics(await file("header.csv", "acc,loss\n")));
    expect(only.message).toMatch(/header row and at least one row/);
  });

  it("rejects a last row whose field count differs from the header", async () => {
    const error = await rejectedUserError(readMetrics(await file("short.csv", "a,b\n1,2\n3\n")));
    expect(error.where).toMatch(/short\.csv:3$/);
  });
});

describe("readMetrics: values that are not finite numbers (one rule: skipped, with a warning)", () => {
  const cases: [string, string, string, RegExp][] = [
    ["string.json", '{"eval": {"f1": "0.8"}, "acc": 1}', "eval.f1", /string "0\.8"/],
    ["bool.json", '{"passed": true, "acc": 1}', "passed", /boolean true/],
    ["null.json", '{"auc": null, "acc": 1}', "auc", /null/],
    // Python's json.dump (so dvclive) writes these bare tokens.
    ["nan.json", '{"eval": {"loss": NaN}, "acc": 1}', "eval.loss", /NaN/],
    ["inf.json", '{"loss": -Infinity, "acc": 1}', "loss", /-Infinity/],
    ["nan.yaml", "train:\n  loss: .nan\nacc: 1\n", "train.loss", /NaN/],
    ["inf.yaml", "latency: .inf\nacc: 1\n", "latency", /Infinity/],
    ["empty-string.yaml", 'acc: 1\nname: ""\n', "name", /string ""/],
    ["list.yaml", "acc: 1\nhistory: [0.1, 0.2]\n", "history", /a list/],
  ];
  it.each(cases)(
    "%s: the other metrics are kept, the warning names the file and the key",
    async (name, text, key, found) => {
      const { logger, warnings } = recordingLogger();
      const path = await file(name, text);
      expect(await readMetrics(path, { logger })).toEqual({ acc: 1 });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(path);
      expect(warnings[0]).toContain(`"${key}"`);
      expect(warnings[0]).toMatch(found);
    },
  );

  it("rejects a top-level list or scalar", async () => {
    const error = await rejectedUserError(readMetrics(await file("list.json", "[1, 2]")));
    expect(error.message).toMatch(/mapping/);
  });

  it("rejects keys that collide once flattened", async () => {
    const error = await rejectedUserError(readMetrics(await file("dup.json", '{"a.b": 1, "a": {"b": 2}}')));
    expect(error.message).toContain('"a.b"');
  });
});

describe("readMetrics: unreadable and malformed files", () => {
  it("reports a missing file and a directory", async () => {
    const missing = join(dir, "nope.json");
    const error = await rejectedUserError(readMetrics(missing));
    expect(error.where).toBe(missing);
    expect(error.message).toMatch(/not found/);
    const sub = join(dir, "adir.json");
    await mkdir(sub);
    expect((await rejectedUserError(readMetrics(sub))).message).toMatch(/directory/);
  });

  it("gives line:col for a JSON syntax error", async () => {
    const path = await file("broken.json", '{\n  "acc": 0.9\n  "f1": 0.8\n}');
    const error = await rejectedUserError(readMetrics(path));
    expect(error.where).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3:\\d+$`));
    expect(error.message).toMatch(/invalid JSON/);
  });

  it("gives line:col for a YAML syntax error", async () => {
    const path = await file("broken.yaml", "eval:\n  f1: 0.8\n  auc: [0.1\n");
    const error = await rejectedUserError(readMetrics(path));
    expect(error.where).toMatch(/broken\.yaml:\d+:\d+$/);
    expect(error.message).toMatch(/invalid YAML/);
  });

  it("reports duplicate YAML keys with their position", async () => {
    const error = await rejectedUserError(readMetrics(await file("dupkey.yaml", "acc: 1\nacc: 2\n")));
    expect(error.where).toMatch(/dupkey\.yaml:2:\d+$/);
  });

  it("parseMetrics names the given file in errors without touching the disk", () => {
    expect(() => parseMetrics('{"a": 1,}', { file: "release/metrics.json", format: "json" })).toThrow(
      expect.objectContaining({ where: expect.stringMatching(/^release\/metrics\.json:/) }),
    );
  });
});

describe("readParams and diffParams", () => {
  it("flattens params, keeping any scalar and whole lists", async () => {
    const path = await file(
      "params.yaml",
      "train:\n  lr: 0.01\n  epochs: 10\n  optimizer: adam\n  layers: [64, 32]\n  shuffle: true\nseed: null\n",
    );
    expect(await readParams(path)).toEqual({
      "train.lr": 0.01,
      "train.epochs": 10,
      "train.optimizer": "adam",
      "train.layers": [64, 32],
      "train.shuffle": true,
      seed: null,
    });
  });

  it("reads JSON params and treats an empty file as no params", async () => {
    expect(await readParams(await file("p.json", '{"a": {"b": "c"}}'))).toEqual({ "a.b": "c" });
    expect(await readParams(await file("empty.yaml", ""))).toEqual({});
  });

  it("classifies every key like dvc params diff --all, sorted by key", () => {
    const rows = diffParams(
      { lr: 0.02, epochs: 10, layers: [64, 32], added: "x" },
      { lr: 0.01, epochs: 10, layers: [64, 32], removed: true },
    );
    expect(rows).toEqual([
      { key: "added", candidate: "x", change: "added" },
      { key: "epochs", candidate: 10, baseline: 10, change: "same" },
      { key: "layers", candidate: [64, 32], baseline: [64, 32], change: "same" },
      { key: "lr", candidate: 0.02, baseline: 0.01, change: "changed" },
      { key: "removed", baseline: true, change: "removed" },
    ]);
  });

  it("sees a changed list and a type change (1 vs '1') as changes", () => {
    const rows = diffParams({ layers: [64], n: 1 }, { layers: [64, 32], n: "1" });
    expect(rows.map((r) => r.change)).toEqual(["changed", "changed"]);
  });
});

describe("names that reach the object prototype, and absurd nesting", () => {
  it("a metric or param named __proto__, constructor or prototype is an error, not silently dropped", () => {
    for (const [text, format] of [
      ['{"__proto__": 0.5, "accuracy": 0.9}', "json"],
      ['{"eval": {"constructor": 0.5}}', "json"],
      ["prototype: 0.5\n", "yaml"],
      ["__proto__: 0.5\n", "yaml"],
    ] as const) {
      const error = thrownUserError(() => parseMetrics(text, { file: "m", format }));
      expect(error.message).toMatch(
        /cannot be a metric or param name: `(__proto__|constructor|prototype)` is reserved/,
      );
      expect(error.where).toBe("m");
    }
    const csv = thrownUserError(() =>
      parseMetrics("accuracy,__proto__\n0.9,0.5\n", { file: "m.csv", format: "csv" }),
    );
    expect(csv.where).toBe("m.csv:1");
  });

  it("metrics nested tens of thousands of levels deep are a user error naming the file", () => {
    const depth = 50_000;
    const json = '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
    const error = thrownUserError(() => parseMetrics(json, { file: "deep.json", format: "json" }));
    expect(error.where).toBe("deep.json");
    expect(error.message).toMatch(/nests deeper than 100 levels/);
    const yaml = "{a: ".repeat(depth) + "1" + "}".repeat(depth);
    expect(thrownUserError(() => parseMetrics(yaml, { file: "deep.yaml", format: "yaml" })).where).toMatch(
      /^deep\.yaml/,
    );
  });
});
