import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { profileData } from "../../src/monitor/read";
import { inferColumnType, profileRecords, type DatasetProfile } from "../../src/monitor/profile";
import { decide } from "../../src/monitor/tests/decide";
import { detectDrift, type ColumnDrift } from "../../src/monitor/tests/detect";
import { runTest } from "../../src/monitor/tests/stattests";
import { hasScipy, python, tempDir } from "./helpers";

// The classes where gitml's verdict was found to differ from Evidently's default drift tests, each on
// a minimal case, against Evidently's rules re-implemented with pandas + scipy
// (fixtures/evidently_reference.py): equal where gitml follows Evidently, and the documented deliberate
// difference where it does not (docs/monitoring.md, "Drift verdicts and Evidently").
interface EvidentlyCase {
  name: string;
  ref: string;
  cur: string;
  type: "numeric" | "categorical" | "text" | "unknown";
  test?: string;
  statistic?: number;
  p_value?: number;
  drift?: boolean;
}

const scipy = hasScipy();

it.runIf(process.env.CI === "true")("CI has scipy and pandas, so the comparisons below ran", () => {
  expect(scipy && hasPandas()).toBe(true);
});

function hasPandas(): boolean {
  try {
    execFileSync(python, ["-c", "import pandas"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!scipy || !hasPandas())("verdicts against Evidently's default drift tests", () => {
  const temp = tempDir();
  const cases = new Map<string, EvidentlyCase>();
  const profiles = new Map<string, [DatasetProfile, DatasetProfile]>();

  beforeAll(async () => {
    const script = join(import.meta.dirname, "fixtures", "evidently_reference.py");
    const list = JSON.parse(
      execFileSync(python, [script, temp.dir], { encoding: "utf8", maxBuffer: 64 << 20 }),
    ) as EvidentlyCase[];
    for (const c of list) {
      cases.set(c.name, c);
      profiles.set(c.name, [await profileData({ paths: [c.ref] }), await profileData({ paths: [c.cur] })]);
    }
  }, 120_000);
  afterAll(() => temp.cleanup());

  const column = (name: string): { gitml: ColumnDrift; evidently: EvidentlyCase } => {
    const [reference, current] = profiles.get(name)!;
    const report = detectDrift({ reference, current, options: { columns: ["x"] } });
    return { gitml: report.columns[0]!, evidently: cases.get(name)! };
  };

  it("free text with fewer than 100 distinct values is text, as in Evidently (not chi-square, p = 0)", () => {
    const { gitml, evidently } = column("free_text");
    expect(evidently.type).toBe("text");
    expect(gitml.type).toBe("text");
    expect(gitml.test).not.toBe("chisquare");
    // Two samples of the same kind of sentences: the descriptors (length, words, vocabulary) agree.
    expect(gitml.drift).toBe(false);
  });

  it("more than 1,000 categories: one shared key space and the range of the exact JS, no false alarm", () => {
    const { gitml, evidently } = column("many_categories");
    expect(gitml.test).toBe("jensenshannon");
    expect(evidently.test).toBe("jensenshannon");
    expect(evidently.drift).toBe(false);
    // Before: each side folded its own tail, giving 0.136 here (a false alarm).
    expect(gitml.drift).toBe(false);
    const [lo, hi] = gitml.statistic_range!;
    expect(lo).toBeLessThanOrEqual(evidently.statistic!);
    expect(hi).toBeGreaterThanOrEqual(evidently.statistic!);
    expect(gitml.error_bound).toBeGreaterThan(0);
  });

  it("Wasserstein on values like 1e4 ± 1: the uniform grid decides as Evidently; where only the log buckets are there, undecided", () => {
    const { gitml, evidently } = column("offset_wasserstein");
    expect(gitml.test).toBe("wasserstein");
    expect(evidently.drift).toBe(false);
    // Before: 0.151 ± 101 from the log buckets alone, reported as drift.
    expect(gitml.undecided).toBeUndefined();
    expect(gitml.drift).toBe(false);
    expect(Math.abs(gitml.statistic! - evidently.statistic!)).toBeLessThanOrEqual(gitml.error_bound!);
    expect(gitml.error_bound!).toBeLessThan(0.01);
    // A reference profile without the grid (made by an older gitml): the bound straddles 0.1.
    const [reference, current] = profiles
      .get("offset_wasserstein")!
      .map((p) => JSON.parse(JSON.stringify(p)) as DatasetProfile);
    for (const c of reference!.columns) delete c.numeric?.linear;
    const old = detectDrift({ reference: reference!, current: current!, options: { columns: ["x"] } })
      .columns[0]!;
    expect(old.undecided).toBe(true);
    expect(old.drift).toBe(false);
    const [lo, hi] = old.statistic_range!;
    expect(lo).toBeLessThanOrEqual(evidently.statistic!);
    expect(hi).toBeGreaterThanOrEqual(evidently.statistic!);
  });

  it("KS on a sketch reports the range of the exact p-value and decides only outside it", () => {
    const { gitml, evidently } = column("ks_sketch");
    expect(gitml.test).toBe("ks");
    const [pLow, pHigh] = gitml.p_value_range!;
    expect(pLow).toBeLessThanOrEqual(evidently.p_value! * (1 + 1e-6));
    expect(pHigh).toBeGreaterThanOrEqual(evidently.p_value! * (1 - 1e-6));
    if (gitml.undecided) expect(pLow <= 0.05 && pHigh > 0.05).toBe(true);
    else expect(gitml.drift).toBe(evidently.drift);
  });

  it("deliberate: whole-number floats are integers whatever the file format (Evidently: numeric from CSV)", async () => {
    const { gitml, evidently } = column("whole_floats");
    expect(evidently.type).toBe("numeric");
    expect(gitml.type).toBe("categorical");
    const parquet = join(temp.dir, "whole_floats.parquet");
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT id, x::DOUBLE AS x FROM read_csv('${cases.get("whole_floats")!.cur}')) TO '${parquet}' (FORMAT parquet)`,
    );
    connection.closeSync();
    instance.closeSync();
    const fromParquet = await profileData({ paths: [parquet] });
    const fromCsv = profiles.get("whole_floats")![1];
    const x = (p: DatasetProfile) => p.columns.find((c) => c.name === "x")!;
    expect(x(fromParquet).kind).toBe("integer");
    expect(inferColumnType(x(fromParquet))).toBe(inferColumnType(x(fromCsv)));
    const records = profileRecords([{ x: 1.0 }, { x: 2.0 }, { x: 3.0 }]);
    expect(inferColumnType(records.columns[0]!)).toBe("categorical");
  });

  it("deliberate: booleans with missing values are tested and counted (Evidently leaves them out)", () => {
    const { gitml, evidently } = column("bool_nulls");
    expect(evidently.type).toBe("unknown");
    expect(gitml.type).toBe("categorical");
    expect(gitml.test).toBe("z");
    expect(gitml.error).toBeUndefined();
    const [reference, current] = profiles.get("bool_nulls")!;
    expect(detectDrift({ reference, current, options: { columns: ["x"] } }).number_of_columns).toBe(1);
  });

  it("deliberate: the column type comes from the reference (Evidently: from the current data)", () => {
    const { gitml, evidently } = column("type_from_current");
    expect(evidently.type).toBe("numeric");
    expect(gitml.type).toBe("categorical");
    expect(gitml.test).toBe("chisquare");
    expect(gitml.drift).toBe(evidently.drift);
  });
});

describe("Evidently's threshold comparisons", () => {
  const numbers = (values: number[]) => profileRecords(values.map((x) => ({ x })));

  it("KS drifts at p ≤ threshold (ks_stattest.py), chi-square only below it", () => {
    const reference = numbers(Array.from({ length: 40 }, (_, i) => i));
    const current = numbers(Array.from({ length: 40 }, (_, i) => i + 9));
    const [ref, cur] = [reference.columns[0]!, current.columns[0]!];
    const p = runTest("ks", ref, cur, reference.settings).pValue!;
    expect(p).toBeGreaterThan(0);
    expect(decide({ test: "ks", ref, cur, reference, configured: p, mode: "fixed" }).drift).toBe(true);
    const chi = runTest("chisquare", ref, ref, reference.settings).pValue!;
    expect(
      decide({ test: "chisquare", ref, cur: ref, reference, configured: chi, mode: "fixed" }).drift,
    ).toBe(false);
  });

  it("the z-test's p-value never exceeds 1", () => {
    const reference = profileRecords([{ x: "a" }, { x: "b" }, { x: "a" }, { x: "b" }]);
    const result = runTest("z", reference.columns[0]!, reference.columns[0]!, reference.settings);
    expect(result.statistic).toBe(0);
    expect(result.pValue).toBeLessThanOrEqual(1);
    expect(result.pValue).toBeCloseTo(1, 6);
  });
});
