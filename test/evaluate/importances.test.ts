import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  compareImportances,
  driftedImportance,
  evaluateImportanceGates,
  importancesToJson,
  normaliseImportances,
  parseStoredImportances,
  summariseImportances,
  withImportanceGates,
} from "../../src/evaluate/importances";
import { parseImportances, readImportancesFile } from "../../src/evaluate/importances-file";
import { UserError } from "../../src/util/errors";
import { thrownUserError } from "../helpers/errors";
import Ajv2020 from "ajv/dist/2020";
import { readFileSync } from "node:fs";

/** docs/importances.schema.json: the documented format, compiled as an editor or a CI step would. */
const schema = JSON.parse(readFileSync(path.join(__dirname, "../../docs/importances.schema.json"), "utf8"));
const ajv = new Ajv2020({ allErrors: true });
const validInput = ajv.compile(schema);
const validStored = ajv.compile({ ...schema, $id: undefined, oneOf: undefined, $ref: "#/$defs/stored" });

const COLUMNS = ["age", "income", "tenure", "city", "label"];
const opts = { name: "out/importances.json", columns: COLUMNS, columnsFrom: "data/train.csv" };

describe("reading outputs.importances", () => {
  it("reads the full JSON form: ranks, shares, per class and mean |SHAP|", () => {
    const text = JSON.stringify(
      {
        method: "permutation",
        importances: { age: 0.1, income: 0.3, tenure: 0.6 },
        per_class: { yes: { age: 0.5, income: 0.5 } },
        mean_abs_shap: { age: 0.02, tenure: 0.4 },
      },
      null,
      2,
    );
    const parsed = parseImportances(text, opts);
    expect(parsed.method).toBe("permutation");
    expect(parsed.features.map((f) => f.feature)).toEqual(["tenure", "income", "age"]);
    expect(parsed.features[0]).toEqual({
      feature: "tenure",
      importance: 0.6,
      share: 0.6,
      mean_abs_shap: 0.4,
    });
    expect(parsed.features[2]!.share).toBeCloseTo(0.1);
    expect(parsed.per_class!.yes!.map((f) => f.share)).toEqual([0.5, 0.5]);
    // The stored form reads back as it was written.
    expect(parseStoredImportances(importancesToJson(parsed))).toEqual(parsed);
  });

  it("reads a flat JSON object and a CSV with per-class and SHAP columns", () => {
    expect(
      parseImportances('{"age": 1, "income": 3}', opts).features.map((f) => [f.feature, f.share]),
    ).toEqual([
      ["income", 0.75],
      ["age", 0.25],
    ]);
    const csv = "feature,importance,mean_abs_shap,importance.yes\nage,1,0.5,\nincome,3,,2\n";
    const parsed = parseImportances(csv, { ...opts, name: "imp.csv" }, ",");
    expect(parsed.features).toEqual([
      { feature: "income", importance: 3, share: 0.75 },
      { feature: "age", importance: 1, share: 0.25, mean_abs_shap: 0.5 },
    ]);
    expect(parsed.per_class).toEqual({ yes: [{ feature: "income", importance: 2, share: 1 }] });
  });

  it("says what is wrong and where: negative, NaN, not a number, duplicates, unknown feature, empty", () => {
    const json = (body: string) => thrownUserError(() => parseImportances(body, opts));
    const negative = json('{\n  "importances": {\n    "age": 0.2,\n    "income": -0.01\n  }\n}');
    expect(negative.where).toBe("out/importances.json:4");
    expect(negative.message).toMatch(/"income" is negative \(-0.01\).*max\(0, value\)/);
    const nan = json('{\n"age": NaN\n}');
    expect(nan.where).toBe("out/importances.json:2");
    expect(nan.message).toMatch(/is NaN/);
    expect(json('{"age": "high"}').message).toMatch(/not a number \(found the string "high"\)/);
    const twice = json('{\n"age": 1,\n"income": 2,\n"age": 3\n}');
    expect(twice.where).toBe("out/importances.json:4");
    expect(twice.message).toMatch(/"age" is listed twice .*first on line 2/);
    const unknown = json('{\n"age": 1,\n"incme": 2\n}');
    expect(unknown.where).toBe("out/importances.json:3");
    expect(unknown.message).toMatch(
      /"incme" is not a column of the reference data \(data\/train.csv\).*income/,
    );
    expect(json("  \n").message).toMatch(/empty/);
    expect(json("{}").message).toMatch(/no feature has an importance/);
    expect(json('{"importances": {"age": 1}, "methd": "x"}').message).toMatch(/unknown key "methd".*method/);
    expect(json("[1, 2]").message).toMatch(/expected a JSON object/);
    expect(json('{"age": 1,').where).toMatch(/^out\/importances.json:\d+$/);

    const csv = (body: string) =>
      thrownUserError(() => parseImportances(body, { ...opts, name: "imp.csv" }, ","));
    const csvTwice = csv("feature,importance\nage,1\nincome,2\nage,3\n");
    expect([csvTwice.where, csvTwice.message]).toEqual([
      "imp.csv:4",
      expect.stringMatching(/listed twice \(first on line 2\)/),
    ]);
    expect(csv("feature,importance\nage,nan\n").message).toMatch(/is nan/);
    expect(csv("feature,importance\nage,-1\n").where).toBe("imp.csv:2");
    expect(csv("feature,importance\nzip,1\n").message).toMatch(/"zip" is not a column/);
    expect(csv("feature,importance\n").message).toMatch(/no feature has an importance/);
    expect(csv("name,value\nage,1\n").message).toMatch(/must name the columns feature and importance/);
    expect(csv("feature,importance,std\nage,1,0\n").message).toMatch(/unknown column "std"/);
  });

  it("without reference columns any feature is accepted; a missing file is a user error", async () => {
    expect(parseImportances('{"zip": 1}', { name: "x.json" }).features[0]!.feature).toBe("zip");
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-imp-"));
    await expect(
      readImportancesFile(path.join(dir, "nope.json"), { name: "nope.json" }),
    ).rejects.toBeInstanceOf(UserError);
    await fs.writeFile(path.join(dir, "i.csv"), "feature,importance\nage,2\n");
    expect((await readImportancesFile(path.join(dir, "i.csv"), { name: "i.csv" })).features[0]!.share).toBe(
      1,
    );
    await fs.rm(dir, { recursive: true });
  });

  it("the JSON Schema describes what the reader accepts, and what gitml stores", () => {
    const full = {
      method: "permutation",
      importances: { age: 0.1, income: 0.3 },
      per_class: { yes: { age: 0.5 } },
      mean_abs_shap: { age: 0.02 },
    };
    for (const accepted of [full, { age: 1, income: 0 }]) {
      expect(validInput(accepted), JSON.stringify(validInput.errors)).toBe(true);
      expect(() => parseImportances(JSON.stringify(accepted), opts)).not.toThrow();
    }
    for (const refused of [
      '{"age": -1}',
      '{"importances": {"age": 1}, "methd": "x"}',
      "{}",
      '{"age": "high"}',
    ]) {
      expect(validInput(JSON.parse(refused)), refused).toBe(false);
      expect(() => parseImportances(refused, opts), refused).toThrow(UserError);
    }
    const stored = JSON.parse(importancesToJson(parseImportances(JSON.stringify(full), opts)));
    expect(validStored(stored), JSON.stringify(validStored.errors)).toBe(true);
  });

  it("a stored file that is not gitml's is refused", () => {
    expect(() => parseStoredImportances('{"schema":"x","features":[]}')).toThrow(/schema/);
    expect(() =>
      parseStoredImportances(
        '{"schema":"gitml.importances/v1","features":[{"feature":"a","importance":1,"share":2}]}',
      ),
    ).toThrow(/share/);
  });
});

const candidate = normaliseImportances({
  importances: new Map([
    ["a", 50],
    ["b", 20],
    ["c", 15],
    ["d", 10],
    ["e", 5],
  ]),
});

describe("summary, comparison, gates and drift weights", () => {
  it("summarises the top k with shares and what the rest hold", () => {
    const summary = summariseImportances(candidate, 2);
    expect(summary.featureCount).toBe(5);
    expect(summary.top).toEqual([
      { rank: 1, feature: "a", share: 0.5, importance: 50 },
      { rank: 2, feature: "b", share: 0.2, importance: 20 },
    ]);
    expect(summary.restShare).toBeCloseTo(0.3);
    expect(summariseImportances({ x: 0.6, y: 0.3 }, 1).restShare).toBeCloseTo(0.4);
  });

  it("ranks the candidate beside production and calls out what entered and left the top k", () => {
    const comparison = compareImportances(candidate, { b: 0.4, a: 0.3, z: 0.2, c: 0.1 }, 3);
    expect(
      comparison.rows.map((r) => [r.feature, r.candidateRank, r.baselineRank, r.entered, r.left]),
    ).toEqual([
      ["a", 1, 2, false, false],
      ["b", 2, 1, false, false],
      ["c", 3, 4, true, false],
      ["z", undefined, 3, false, true],
    ]);
    expect(compareImportances(candidate, undefined, 3).rows.every((r) => !r.entered && !r.left)).toBe(true);
  });

  it("gates: one feature dominating, and the share an allow-list holds", () => {
    const [single, allowed, missing, advisory] = evaluateImportanceGates(
      [
        { importance: { max_single: 0.4 } },
        { importance: { features: ["a", "b"], min_share: 0.6 } },
        { importance: { max_single: 0.9 } },
        { importance: { max_single: 0.9 }, required: false },
      ],
      candidate,
    );
    expect(single).toMatchObject({
      passed: false,
      candidate: 0.5,
      detail: expect.stringMatching(/a holds 50 %.*dominates/),
    });
    expect(allowed).toMatchObject({ passed: true, candidate: 0.7 });
    expect(missing!.passed).toBe(true);
    const none = evaluateImportanceGates(
      [{ importance: { max_single: 0.9 } }, { importance: { max_single: 0.9 }, required: false }],
      undefined,
    );
    expect(none.map((g) => [g.passed, g.skipped !== undefined])).toEqual([
      [false, false],
      [true, true],
    ]);
    expect(advisory!.severity).toBe("warning");
    const combined = withImportanceGates({ overall: "pass", gates: [], failed: 0, warned: 0 }, [
      single!,
      allowed!,
    ]);
    expect(combined).toMatchObject({ overall: "fail", failed: 1, warned: 0 });
  });

  it("weighs drifted columns by importance", () => {
    const drifted = driftedImportance({ a: 0.5, b: 0.2, c: 0.3 }, ["c", "a", "unknown"]);
    expect(drifted.share).toBeCloseTo(0.8);
    expect(drifted.columns.map((c) => c.name)).toEqual(["a", "c"]);
  });
});
