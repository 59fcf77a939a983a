import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultProfileSettings, profileRecords } from "../../src/monitor/profile";
import { profileData } from "../../src/monitor/read";
import {
  BucketIndexCache,
  ExactCounts,
  hashNumber,
  HyperLogLog,
  NumericScan,
  TextScan,
  textKeys,
} from "../../src/monitor/read/scan";
import { bucketIndex, gammaOf, representative } from "../../src/monitor/sketch";
import { tempDir } from "./helpers";
import { rng } from "../helpers/data";

/** Feeds values (null = missing) to a NumericScan in chunks of `size`, with a validity mask when needed. */
function scanNumbers(values: Array<number | null>, size: number, exactLimit: number): NumericScan {
  const scan = new NumericScan(defaultProfileSettings, exactLimit);
  for (let start = 0; start < values.length; start += size) {
    const part = values.slice(start, start + size);
    const items = new Float64Array(part.map((v) => v ?? 0));
    const hasNull = part.some((v) => v === null);
    const validity = hasNull ? new Uint32Array(Math.ceil(part.length / 32)) : null;
    if (validity) part.forEach((v, row) => v !== null && (validity[row >>> 5]! |= 1 << (row & 31)));
    scan.addVector(items, validity, part.length);
  }
  return scan;
}

describe("NumericScan", () => {
  const r = rng(7);
  const mixed = Array.from({ length: 9000 }, (_, i) => {
    const u = r();
    if (u < 0.02) return null;
    if (u < 0.03) return [NaN, Infinity, -Infinity][i % 3]!;
    return Math.round((r() - 0.3) * 1e6) / 100;
  });

  it.each([
    ["many distinct values (sketch + estimate)", mixed, 2000],
    ["few distinct values (exact counts)", mixed.map((v) => (v === null ? v : Math.round(v / 2000))), 2000],
  ])("matches the in-memory profile builder: %s", (_name, values, limit) => {
    const expected = profileRecords(values.map((x) => ({ x }))).columns[0]!;
    const result = scanNumbers(values, 1000, limit).result();
    expect(result.nonNull).toBe(expected.count - expected.nulls);
    expect([result.nan, result.posInf, result.negInf]).toEqual([
      expected.nan,
      expected.posInf,
      expected.negInf,
    ]);
    const numeric = expected.numeric!;
    expect(result.finite).toBe(numeric.count);
    expect([result.min, result.max]).toEqual([numeric.min, numeric.max]);
    expect(result.mean).toBeCloseTo(numeric.mean, 8);
    expect(result.m2 / numeric.m2).toBeCloseTo(1, 10);
    expect(result.sumAbs).toBeCloseTo(numeric.sumAbs, 4);
    expect(result.sketch.toSketch()).toEqual(numeric.sketch);
    const distinct = new Set(values.filter((v) => v !== null && Number.isFinite(v))).size;
    if (distinct <= limit) {
      expect(result.values && new Map(result.values)).toEqual(new Map(expected.values.entries));
      expect(result.distinct).toBe(distinct);
    } else {
      expect(result.values).toBeUndefined();
      expect(Math.abs(result.distinct - distinct) / distinct).toBeLessThan(0.05);
    }
  });

  it("decides integrality over every finite value", () => {
    expect(scanNumbers([1, 2, null, NaN, 3], 2, 10).result().integral).toBe(true);
    expect(scanNumbers([1, 2, 3, 4.5], 2, 10).result().integral).toBe(false);
  });
});

describe("ExactCounts and HyperLogLog", () => {
  it("counts keys exactly, -0 and 0 included", () => {
    const counts = new ExactCounts(100);
    const r = rng(3);
    const expected = new Map<number, number>();
    for (let i = 0; i < 5000; i++) {
      const key = Math.floor(r() * 90) / 7 - 3;
      counts.add(key === 0 ? 0 : key);
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const seen = new Map<number, number>();
    counts.forEach((key, count) => seen.set(key, count));
    expect(seen).toEqual(expected);
    expect(counts.size).toBe(expected.size);
  });

  it("estimates large distinct counts within a few percent", () => {
    for (const n of [500, 20000, 300000]) {
      const hll = new HyperLogLog();
      for (let i = 0; i < n; i++) hll.addHash(hashNumber(i / 3));
      expect(Math.abs(hll.estimate() - n) / n, String(n)).toBeLessThan(0.05);
    }
  });
});

describe("TextScan", () => {
  it("keeps exact counts up to the limit, then only an estimate", () => {
    const texts = (n: number) => Array.from({ length: 3 * n }, (_, i) => `v${i % n}`);
    const feed = (values: string[], limit: number) => {
      const scan = new TextScan(limit);
      // Like DuckDB's 64-bit hash as a double: uniform over [0, 2^64).
      const hashes = new Float64Array(values.map((v) => hashNumber(Number(v.slice(1))) * 2 ** 32 + 12345));
      scan.addVector(hashes, null, values.length, (row) => values[row]!);
      return scan.result();
    };
    const small = feed(texts(40), 50);
    expect(small.values).toEqual(new Map(Array.from({ length: 40 }, (_, i) => [`v${i}`, 3])));
    expect(small).toMatchObject({ nonNull: 120, distinct: 40 });
    const large = feed(texts(5000), 50);
    expect(large.values).toBeUndefined();
    expect(large.nonNull).toBe(15000);
    expect(Math.abs(large.distinct - 5000) / 5000).toBeLessThan(0.05);
  });
});

describe("profileData beyond the exact limit", () => {
  const temp = tempDir();
  afterAll(() => temp.cleanup());
  it("keeps the exact top values of a high-cardinality text column and estimates its distinct count", async () => {
    const path = join(temp.dir, "wide.csv");
    const lines = ["word,amount"];
    // word w0 appears 500 times, w1..w2999 once or twice: 3000 distinct values, above 2 × the cap of 1000.
    for (let i = 0; i < 500; i++) lines.push(`w0,${i}`);
    for (let i = 1; i < 3000; i++) lines.push(`w${i},${i * 1.5}`, ...(i % 2 === 0 ? [`w${i},1`] : []));
    writeFileSync(path, lines.join("\n") + "\n");
    const [word, amount] = (await profileData({ paths: [path] })).columns;
    expect(word!.values.complete).toBe(false);
    expect(word!.values.entries[0]).toEqual(["w0", 500]);
    expect(word!.values.entries[1]![1]).toBe(2);
    expect(Math.abs(word!.values.distinct - 3000) / 3000).toBeLessThan(0.05);
    expect(word!.values.entries.reduce((s, [, c]) => s + c, 0) + word!.values.other).toBe(lines.length - 1);
    expect(amount!.values.complete).toBe(false);
    expect(amount!.numeric!.count).toBe(lines.length - 1);
  });
});

describe("BucketIndexCache", () => {
  it("gives bucketIndex's index for values across magnitudes, bucket edges included", () => {
    for (const relativeAccuracy of [0.005, 0.02, 1e-4]) {
      const gamma = gammaOf({ relativeAccuracy, minIndexable: 1e-9 });
      const logGamma = Math.log(gamma);
      const cache = new BucketIndexCache(logGamma);
      const bits = new Float64Array(1);
      const words = new Uint32Array(bits.buffer);
      const r = rng(11);
      const values: number[] = [];
      for (let i = 0; i < 20000; i++) values.push(Math.exp((r() - 0.5) * 80));
      // Values at and next to bucket edges γ^i, where a cache would most likely be wrong.
      for (let i = -2000; i < 2000; i += 7) {
        const edge = Math.pow(gamma, i);
        values.push(edge, edge * (1 + 1e-15), edge * (1 - 1e-15), representative(i, gamma));
      }
      for (const x of values) {
        bits[0] = x;
        expect(cache.index(x, words[1]!), `${x} at α=${relativeAccuracy}`).toBe(bucketIndex(x, logGamma) + 0); // + 0: -0 and 0 are one bucket
      }
    }
  });
});

describe("textKeys", () => {
  it("keys equal texts equally and different texts differently, short and long", () => {
    const texts = [
      "",
      "a",
      "b",
      "ab",
      "ba",
      "c12",
      "abcdefghijkl",
      "abcdefghijkm",
      "é",
      "a long text value",
      "a long text valuf",
    ];
    const rows = texts.length;
    // A string_t array as DuckDB lays it out: length, then the inlined bytes (zero-padded) or a prefix.
    const words = new Uint32Array(4 * rows);
    const bytes = new Uint8Array(words.buffer);
    texts.forEach((text, row) => {
      const encoded = new TextEncoder().encode(text);
      words[4 * row] = encoded.length;
      bytes.set(encoded.subarray(0, encoded.length <= 12 ? 12 : 4), 16 * row + 4);
      if (encoded.length > 12) words[4 * row + 2] = row * 977; // a pointer: differs per row
    });
    const keys = new Float64Array(rows);
    textKeys(words, null, rows, (row) => texts[row]!, keys);
    expect(new Set(keys).size).toBe(rows);
    for (const key of keys) expect(Number.isSafeInteger(key) && key >= 0).toBe(true);
    // The same texts again (long ones at other addresses) get the same keys.
    const again = new Float64Array(rows);
    for (let row = 0; row < rows; row++) if (words[4 * row]! > 12) words[4 * row + 2] = 5 + row;
    textKeys(words, null, rows, (row) => texts[row]!, again);
    expect([...again]).toEqual([...keys]);
  });
});
