import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mergeProfileFiles, profile } from "../../src/commands/profile";
import {
  mergeAllProfiles,
  profileFromJson,
  profileRecords,
  profileToJson,
  type DatasetProfile,
} from "../../src/monitor/profile";
import { detectDrift } from "../../src/monitor/tests/detect";
import {
  chunkStatistics,
  concatChunkStatistics,
  dataThreshold,
  NULL_SIGMAS,
} from "../../src/monitor/tests/thresholds";
import { silentLogger } from "../../src/util/logger";
import { tempDir } from "./helpers";
import { rng } from "../helpers/data";

/** Approximately normal draws (sum of six uniforms), deterministic. */
function normalSource(seed: number): (mean: number, sd: number) => number {
  const r = rng(seed);
  return (mean, sd) => mean + sd * (r() + r() + r() + r() + r() + r() - 3) * Math.SQRT2;
}

/** The reference profiled as k contiguous row ranges, merged, with the chunk statistics attached. */
function chunkedReference(rows: Array<Record<string, unknown>>, k: number): DatasetProfile {
  const parts = Array.from({ length: k }, (_, j) =>
    profileRecords(rows.slice(Math.floor((j * rows.length) / k), Math.floor(((j + 1) * rows.length) / k))),
  );
  return { ...mergeAllProfiles(parts), chunks: chunkStatistics(parts) };
}

describe("data-driven thresholds", () => {
  it("with a p-value test at large n, tolerate the reference's own wobble and flag a shift beyond it", () => {
    // KS on 10k-row batches calls a new batch drifted (p ≈ 0) although the reference's own batches
    // differ as much (evidently#50/#171); the bound on D learnt from the reference's chunks does not.
    const draw = normalSource(11);
    const offsets = [0, 0.06, -0.04, 0.02, -0.06, 0.04, -0.02, 0.05, -0.05, 0.01];
    const batch = (offset: number) =>
      Array.from({ length: 10_000 }, () => ({ a: draw(offset, 1), b: draw(-offset, 2) }));
    const reference = chunkedReference(offsets.flatMap(batch), offsets.length);
    const perColumn = { a: { test: "ks" as const }, b: { test: "ks" as const } };
    const newBatch = profileRecords(batch(0.06));
    const fixed = detectDrift({ reference, current: newBatch, options: { perColumn } });
    expect(fixed.columns.map((c) => [c.threshold_source, c.drift])).toEqual([
      ["default", true],
      ["default", true],
    ]);
    const data = detectDrift({ reference, current: newBatch, options: { perColumn, thresholds: "data" } });
    expect(data.columns.map((c) => [c.test, c.threshold_source, c.drift])).toEqual([
      ["ks", "data", false],
      ["ks", "data", false],
    ]);
    // The threshold is on D, with the p-value still beside it.
    expect(data.columns[0]!.threshold!).toBeGreaterThan(data.columns[0]!.statistic!);
    expect(data.columns[0]!.p_value).toBeLessThan(0.05);

    const shifted = profileRecords(batch(0.3));
    const real = detectDrift({ reference, current: shifted, options: { perColumn, thresholds: "data" } });
    expect(real.columns.map((c) => c.drift)).toEqual([true, true]);
  });

  it("stop Jensen-Shannon from flagging sampling noise of a many-valued column, and flag a real shift", () => {
    // 300 equally likely categories: a 1500-row current sample from the very same distribution has a JS
    // distance well above the fixed 0.1 by sampling noise alone.
    const r = rng(5);
    const category = (skew: boolean) => {
      const u = r();
      // With skew, the first 30 categories get three times their weight.
      const k = skew && u < 0.25 ? Math.floor(r() * 30) : Math.floor(r() * 300);
      return { c: `cat${k}` };
    };
    const reference = chunkedReference(
      Array.from({ length: 50_000 }, () => category(false)),
      10,
    );
    const same = profileRecords(Array.from({ length: 1500 }, () => category(false)));
    const fixed = detectDrift({ reference, current: same }).columns[0]!;
    expect(fixed).toMatchObject({ test: "jensenshannon", threshold: 0.1, drift: true });
    const data = detectDrift({ reference, current: same, options: { thresholds: "data" } }).columns[0]!;
    expect(data).toMatchObject({ test: "jensenshannon", threshold_source: "data", drift: false });
    expect(data.threshold!).toBeGreaterThan(data.statistic!);
    // The same statistic, measured from chunks 3× larger than the current sample, is rescaled to it:
    // the threshold is above the chunk statistics themselves.
    const chunkJs = reference.chunks!.columns.c!.statistics.jensenshannon!.map(Number);
    expect(data.threshold!).toBeGreaterThan(Math.max(...chunkJs));

    const skewed = profileRecords(Array.from({ length: 1500 }, () => category(true)));
    const real = detectDrift({ reference, current: skewed, options: { thresholds: "data" } }).columns[0]!;
    expect(real).toMatchObject({ threshold_source: "data", drift: true });
  });

  it("learn a column's natural batch-to-batch variation, which a fixed Wasserstein threshold flags", () => {
    // Ten daily batches whose mean wobbles by up to ±0.15σ: a new day inside that wobble is not drift.
    const draw = normalSource(3);
    const offsets = [0, 0.15, -0.1, 0.05, -0.15, 0.1, -0.05, 0.12, -0.12, 0.02];
    const day = (offset: number) => Array.from({ length: 5000 }, () => ({ x: draw(offset, 1) }));
    const reference = chunkedReference(offsets.flatMap(day), offsets.length);
    const newDay = profileRecords(day(0.15));
    const fixed = detectDrift({ reference, current: newDay }).columns[0]!;
    expect(fixed).toMatchObject({ test: "wasserstein", threshold_source: "default", drift: true });
    const data = detectDrift({ reference, current: newDay, options: { thresholds: "data" } }).columns[0]!;
    expect(data).toMatchObject({ test: "wasserstein", threshold_source: "data", drift: false });
    const shifted = profileRecords(day(0.6));
    const real = detectDrift({ reference, current: shifted, options: { thresholds: "data" } }).columns[0]!;
    expect(real).toMatchObject({ threshold_source: "data", drift: true });
  });

  it("fall back to the fixed threshold, saying why, and yield to a configured threshold", () => {
    const draw = normalSource(8);
    const rows = (n: number) => Array.from({ length: n }, () => ({ x: draw(0, 1), y: draw(0, 1) }));
    const plain = profileRecords(rows(3000));
    const current = profileRecords(rows(3000));
    const noChunks = detectDrift({ reference: plain, current, options: { thresholds: "data" } }).columns[0]!;
    expect(noChunks).toMatchObject({ threshold: 0.1, threshold_source: "default" });
    expect(noChunks.threshold_note).toMatch(/no chunk statistics/);
    const chunked = chunkedReference(rows(3000), 5);
    const configured = detectDrift({
      reference: chunked,
      current,
      options: { thresholds: "data", perColumn: { y: { threshold: 0.3 } } },
    }).columns;
    expect(configured[0]!.threshold_source).toBe("data");
    expect(configured[1]).toMatchObject({ threshold: 0.3, threshold_source: "configured" });
  });

  it("rescale each chunk statistic to the compared sample sizes, at the test's rate", () => {
    const sample = {
      sizes: [
        [900, 100],
        [900, 100],
        [900, 100],
      ] as Array<[number, number]>,
      statistics: { wasserstein: [0.1, 0.2, 0.3], psi: [0.1, 0.2, 0.3], z: [1, 2, 3], chisquare: [1, 2, 3] },
    };
    const neff = (a: number, b: number) => (a * b) / (a + b);
    const same = dataThreshold("wasserstein", sample, { reference: 900, current: 100 });
    expect(same).toMatchObject({ mean: expect.closeTo(0.2, 12), samples: 3 });
    expect("threshold" in same && same.threshold).toBeCloseTo(0.2 + NULL_SIGMAS * 0.1, 12);
    const sizes = { reference: 10_000, current: 400 };
    const ratio = neff(900, 100) / neff(sizes.reference, sizes.current);
    const w = dataThreshold("wasserstein", sample, sizes);
    expect("mean" in w && w.mean).toBeCloseTo(0.2 * Math.sqrt(ratio), 12);
    const psi = dataThreshold("psi", sample, sizes);
    expect("mean" in psi && psi.mean).toBeCloseTo(0.2 * ratio, 12);
    const z = dataThreshold("z", sample, sizes);
    expect("mean" in z && z.mean).toBeCloseTo(2, 12);
    const chi = dataThreshold("chisquare", sample, sizes);
    expect("mean" in chi && chi.mean).toBeCloseTo(2 * (400 / 100) * ratio, 12);
    expect(dataThreshold("ks", sample, sizes)).toMatchObject({ error: expect.stringMatching(/ks/) });
    const one = { sizes: [[900, 100]] as Array<[number, number]>, statistics: { ks: [0.1] } };
    expect(dataThreshold("ks", one, sizes)).toMatchObject({ error: expect.stringMatching(/fewer than two/) });
  });

  it("keep k samples per column and test in the profile, survive JSON, and leave old profiles loadable", () => {
    const draw = normalSource(21);
    const rows = Array.from({ length: 1200 }, (_, i) => ({
      x: draw(0, 1),
      flag: i % 3 === 0,
      note: `entry ${i} says ${i % 7 === 0 ? "hello" : "bye"}`,
      empty: null,
    }));
    const profile = chunkedReference(rows, 4);
    const stats = profile.chunks!;
    expect(stats.chunks).toBe(4);
    expect(Object.keys(stats.columns).sort()).toEqual(["flag", "note", "x"]);
    const x = stats.columns.x!;
    expect(x.sizes).toEqual([
      [900, 300],
      [900, 300],
      [900, 300],
      [900, 300],
    ]);
    expect(x.statistics.wasserstein!.every((s) => typeof s === "number" && s > 0)).toBe(true);
    // Chi-square between two samples of a continuous column is infinite (no value is shared): no sample.
    expect(x.statistics.chisquare!.every((s) => s === null)).toBe(true);
    expect(stats.columns.flag!.statistics.z!.every((s) => s !== null && s >= 0)).toBe(true);
    expect(Object.keys(stats.columns.note!.descriptors!).sort()).toEqual([
      "length",
      "nonLetterShare",
      "vocabulary",
      "wordCount",
    ]);
    expect(stats.columns.note!.descriptors!.vocabulary!.statistics.jensenshannon).toHaveLength(4);

    const back = profileFromJson(profileToJson(profile));
    expect(back.chunks).toEqual(JSON.parse(JSON.stringify(stats)));
    const old = JSON.parse(profileToJson(profile)) as Record<string, unknown>;
    delete old.chunks;
    expect(profileFromJson(JSON.stringify(old)).chunks).toBeUndefined();

    const twice = concatChunkStatistics(stats, stats);
    expect(twice.chunks).toBe(8);
    expect(twice.columns.x!.sizes).toHaveLength(8);
    expect(twice.columns.x!.statistics.ks).toEqual([...x.statistics.ks!, ...x.statistics.ks!]);
  });
});

describe("gitml profile --chunks", () => {
  it("reads the data once per chunk, merges the whole, and merge keeps every partition's samples", async () => {
    const temp = tempDir();
    try {
      const draw = normalSource(4);
      const lines = ["x,c"];
      for (let i = 0; i < 3000; i++) lines.push(`${draw(0, 1)},${["a", "b", "c"][i % 3]}`);
      const csvs = [0, 1, 2, 3, 4, 5].map((f) => {
        const file = join(temp.dir, `part-${f}.csv`);
        writeFileSync(file, [lines[0], ...lines.slice(1 + f * 500, 1 + (f + 1) * 500)].join("\n") + "\n");
        return file;
      });
      const context = { cwd: temp.dir, logger: silentLogger };
      // Six files, three chunks: whole files per chunk, so this works for CSV too.
      const whole = await profile(context, { data: csvs, chunks: "3", output: "whole.json" });
      expect(whole.profile.rows).toBe(3000);
      expect(whole.profile.chunks!.chunks).toBe(3);
      expect(whole.profile.chunks!.columns.x!.sizes).toEqual([
        [2000, 1000],
        [2000, 1000],
        [2000, 1000],
      ]);
      const plain = await profile(context, { data: csvs });
      expect(whole.profile.columns.map((c) => [c.name, c.count, c.numeric?.mean])).toEqual(
        plain.profile.columns.map((c) => [
          c.name,
          c.count,
          c.numeric ? expect.closeTo(c.numeric.mean, 10) : undefined,
        ]),
      );
      // Two matrix jobs, three chunks each: each job reads its half of the files in three parts.
      await profile(context, { data: csvs, partition: "1/2", chunks: 3, output: "p1.json" });
      await profile(context, { data: csvs, partition: "2/2", chunks: 3, output: "p2.json" });
      const merged = await mergeProfileFiles(context, { inputs: ["p1.json", "p2.json"] });
      expect(merged.profile.rows).toBe(3000);
      expect(merged.profile.chunks!.chunks).toBe(6);
      expect(merged.profile.chunks!.columns.c!.sizes).toEqual(Array(6).fill([1000, 500]));
      await expect(profile(context, { data: csvs, chunks: "2" })).rejects.toThrow(/chunk count/);
      await expect(profile(context, { data: csvs, chunks: "ten" })).rejects.toThrow(/chunk count/);
    } finally {
      temp.cleanup();
    }
  });
});
