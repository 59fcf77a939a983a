import { describe, expect, it } from "vitest";
import { profileRecords } from "../../src/monitor/profile";
import { detectDrift } from "../../src/monitor/tests/detect";
import { rng } from "../helpers/data";

/** Approximately normal values (sum of uniforms), deterministic. */
function normals(n: number, mean: number, sd: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => mean + sd * (r() + r() + r() + r() + r() + r() - 3) * Math.SQRT2);
}

const column = (values: unknown[], name = "x") => profileRecords(values.map((v) => ({ [name]: v })));

describe("detectDrift", () => {
  it("never crashes on awkward columns and reports each problem on its column", () => {
    const n = 200;
    const reference = profileRecords(
      Array.from({ length: n }, (_, i) => ({
        ok: i * 1.5,
        empty: null,
        constant: 7.5,
        weird: i % 10 === 0 ? NaN : i % 10 === 1 ? Infinity : i * 0.5,
        gone: "x",
        changes: i * 0.25,
        cats: ["a", "b", "c"][i % 3],
        text: `a long unique sentence number ${i}`,
      })),
    );
    const current = profileRecords(
      Array.from({ length: n }, (_, i) => ({
        ok: i * 1.5,
        empty: null,
        constant: 7.5,
        weird: i % 5 === 0 ? -Infinity : i * 0.5,
        changes: `s${i}`,
        cats: ["a", "b", "z"][i % 3],
        text: `another unique sentence ${i}`,
        fresh: i,
      })),
    );
    const report = detectDrift({ reference, current });
    const byName = new Map(report.columns.map((c) => [c.name, c]));
    expect(byName.get("ok")).toMatchObject({ test: "ks", drift: false, statistic: 0 });
    expect(byName.get("empty")!.error).toMatch(/no non-null/);
    expect(byName.get("constant")).toMatchObject({ drift: false });
    expect(byName.get("constant")!.error).toBeUndefined();
    expect(byName.get("weird")).toMatchObject({ type: "numeric", drift: false });
    expect(byName.get("gone")!.error).toMatch(/missing/);
    expect(byName.get("changes")!.error).toMatch(/type changed/);
    expect(byName.get("cats")).toMatchObject({ test: "chisquare", drift: true, p_value: 0 });
    // Text is tested through its descriptors: the wording changed ("a long … number" → "another").
    expect(byName.get("text")).toMatchObject({ type: "text", drift: true });
    expect(byName.get("text")!.descriptors!.map((d) => d.drift)).toEqual([true, true, true, true]);
    expect(byName.get("text")!.error).toBeUndefined();
    expect(byName.get("fresh")!.error).toMatch(/new/);
    expect(report.number_of_column_errors).toBe(4);
    expect(report.number_of_columns).toBe(5);
    expect(report.number_of_drifted_columns).toBe(2);
    expect(report.dataset_drift).toBe(false);
    expect(report.share_of_drifted_columns).toBe(0.4);
    // Infinity would not survive JSON: the report must still serialise.
    expect(() => JSON.stringify(report)).not.toThrow();
  });

  it("reports empty current data on the column", () => {
    const report = detectDrift({ reference: column([1.5, 2.5, 3.5]), current: column([null, NaN]) });
    expect(report.columns[0]!.error).toMatch(/current data has no non-null/);
    expect(report.dataset_drift).toBe(false);
  });

  it("chooses Evidently's default test from the reference size and the number of values", () => {
    const pick = (ref: unknown[], cur: unknown[]) =>
      detectDrift({ reference: column(ref), current: column(cur) }).columns[0]!.test;
    const small = normals(500, 0, 1, 1);
    const large = normals(3000, 0, 1, 2);
    expect(pick(small, normals(500, 0, 1, 3))).toBe("ks");
    expect(pick(large, normals(500, 0, 1, 4))).toBe("wasserstein");
    const fewNumbers = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i % k) + 0.5);
    expect(pick(fewNumbers(500, 4), fewNumbers(500, 4))).toBe("chisquare");
    expect(pick(fewNumbers(500, 2), fewNumbers(500, 2))).toBe("z");
    expect(pick(fewNumbers(3000, 4), fewNumbers(500, 4))).toBe("jensenshannon");
    const cats = (n: number, k: number) => Array.from({ length: n }, (_, i) => `c${i % k}`);
    expect(pick(cats(500, 3), cats(500, 3))).toBe("chisquare");
    expect(pick(cats(500, 2), cats(500, 2))).toBe("z");
    expect(pick(cats(3000, 2), cats(500, 2))).toBe("jensenshannon");
  });

  it("applies per-type and per-column overrides of test and threshold", () => {
    const reference = profileRecords(
      normals(3000, 0, 1, 5).map((v, i) => ({ a: v, b: v, c: ["x", "y"][i % 2] })),
    );
    const current = profileRecords(
      normals(3000, 0.15, 1, 6).map((v, i) => ({ a: v, b: v, c: ["x", "y"][i % 2] })),
    );
    const plain = detectDrift({ reference, current });
    expect(plain.columns.find((c) => c.name === "a")).toMatchObject({ test: "wasserstein", drift: true });
    const tuned = detectDrift({
      reference,
      current,
      options: {
        perType: { numeric: { threshold: 0.5 } },
        perColumn: { b: { test: "ks" }, c: { test: "psi", threshold: 0.2 } },
        driftShare: 0.3,
      },
    });
    const byName = new Map(tuned.columns.map((c) => [c.name, c]));
    expect(byName.get("a")).toMatchObject({ test: "wasserstein", threshold: 0.5, drift: false });
    expect(byName.get("b")).toMatchObject({ test: "ks", threshold: 0.5 });
    expect(byName.get("b")!.p_value).toBeLessThan(0.5);
    expect(byName.get("b")!.drift).toBe(true);
    expect(byName.get("c")).toMatchObject({ test: "psi", threshold: 0.2, drift: false });
    expect(tuned.dataset_drift).toBe(true);
    expect(tuned.drift_share).toBe(0.3);
  });

  it("reports a test that does not apply to a column instead of throwing", () => {
    const report = detectDrift({
      reference: column(["a", "b", "c", "a", "b", "c"]),
      current: column(["a", "b", "c", "a", "b", "c"]),
      options: { perColumn: { x: { test: "z" } } },
    });
    expect(report.columns[0]!.error).toMatch(/binary/);
  });

  it("declares dataset drift when the share of drifted columns reaches drift_share", () => {
    const rows = (shift: number, seed: number) =>
      normals(2000, 0, 1, seed).map((v) => ({ a: v + shift, b: v + shift, c: v, d: v }));
    const report = detectDrift({
      reference: profileRecords(rows(0, 7)),
      current: profileRecords(rows(1, 7)),
    });
    expect(report.number_of_drifted_columns).toBe(2);
    expect(report.share_of_drifted_columns).toBe(0.5);
    expect(report.dataset_drift).toBe(true);
    const stricter = detectDrift({
      reference: profileRecords(rows(0, 7)),
      current: profileRecords(rows(1, 7)),
      options: { driftShare: 0.75 },
    });
    expect(stricter.dataset_drift).toBe(false);
  });
});

describe("schema drift (issue #13: never 'no drift' on data whose columns are not the reference's)", () => {
  const rows = (n: number, names: string[], seed: number) => {
    const r = rng(seed);
    return profileRecords(
      Array.from({ length: n }, (_, i) =>
        Object.fromEntries(names.map((name) => [name, i % 7 === 0 ? r() : i])),
      ),
    );
  };
  const reference = rows(200, ["a", "b", "c", "d"], 1);

  it("is schema drift when most reference columns are missing, naming them and the new ones", () => {
    // What a misread CSV looks like: the whole header as one column.
    const report = detectDrift({ reference, current: rows(200, ["a,b,c,d"], 2) });
    expect(report.schema_drift).toBe(true);
    expect(report.dataset_drift).toBe(false);
    expect(report.missing_columns).toEqual(["a", "b", "c", "d"]);
    expect(report.new_columns).toEqual(["a,b,c,d"]);
    expect(report.schema_drift_reason).toBe(
      '4 of the reference\'s 4 columns are missing from the current data: "a", "b", "c", "d"; columns new in the current data: "a,b,c,d"',
    );
    const renamed = detectDrift({ reference, current: rows(200, ["a", "x", "y", "z"], 2) });
    expect(renamed.schema_drift).toBe(true);
    expect(renamed.missing_columns).toEqual(["b", "c", "d"]);
  });

  it("is not schema drift when half or fewer columns are missing; they are still listed", () => {
    const report = detectDrift({ reference, current: rows(200, ["a", "b", "e"], 1) });
    expect(report.schema_drift).toBe(false);
    expect(report.missing_columns).toEqual(["c", "d"]);
    expect(report.new_columns).toEqual(["e"]);
    expect(report.number_of_columns).toBe(2);
  });

  it("0 comparable columns is schema drift, never 'no drift'", () => {
    // Every column present, none testable: the current data has only nulls.
    const nulls = profileRecords(Array.from({ length: 50 }, () => ({ a: null, b: null, c: null, d: null })));
    const report = detectDrift({ reference, current: nulls });
    expect(report.number_of_columns).toBe(0);
    expect(report.schema_drift).toBe(true);
    expect(report.schema_drift_reason).toMatch(/^none of the reference's 4 columns could be compared/);
  });
});
