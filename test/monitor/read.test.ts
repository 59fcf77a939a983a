import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeAllProfiles, profileRecords, type DatasetProfile } from "../../src/monitor/profile";
import { parsePartition, profileData, type ProfileProgress } from "../../src/monitor/read";
import { UserError } from "../../src/util/errors";
import { tempDir } from "./helpers";
import { rng } from "../helpers/data";

interface Row {
  id: number;
  amount: number | null;
  score: number;
  city: string | null;
  flag: boolean;
}

function makeRows(n: number, seed: number): Row[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const u = r();
    return {
      id: i,
      amount: u < 0.03 ? null : Math.round((r() * 2000 - 500) * 1000) / 1000,
      score: u > 0.99 ? NaN : u > 0.985 ? Infinity : Math.round(Math.exp(r() * 8) * 1e4) / 1e4,
      city: u < 0.05 ? null : ["Lyon", "Oslo", "Lima", "Pune"][Math.floor(r() * 4)]!,
      flag: r() < 0.3,
    };
  });
}

const cell = (v: unknown): string =>
  v === null
    ? ""
    : typeof v === "number" && !Number.isFinite(v)
      ? Number.isNaN(v)
        ? "nan"
        : v > 0
          ? "inf"
          : "-inf"
      : String(v);

function writeDelimited(path: string, rows: Row[], delimiter: string): void {
  const names = Object.keys(rows[0]!);
  const lines = [
    names.join(delimiter),
    ...rows.map((r) => names.map((k) => cell(r[k as keyof Row])).join(delimiter)),
  ];
  writeFileSync(path, lines.join("\n") + "\n");
}

function writeJsonl(path: string, rows: Row[]): void {
  // JSON has no NaN/Infinity: those rows carry null there.
  const safe = (v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v);
  writeFileSync(
    path,
    rows
      .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, safe(v)]))))
      .join("\n") + "\n",
  );
}

async function toParquet(csv: string, parquet: string): Promise<void> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(
    `COPY (SELECT * FROM read_csv('${csv}')) TO '${parquet}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`,
  );
  connection.closeSync();
  instance.closeSync();
}

function expectEquivalent(
  actual: DatasetProfile,
  expected: DatasetProfile,
  options: { nanAsNull?: boolean } = {},
): void {
  expect(actual.rows).toBe(expected.rows);
  for (const e of expected.columns) {
    const a = actual.columns.find((c) => c.name === e.name)!;
    expect(a, e.name).toBeDefined();
    expect(a.kind, e.name).toBe(e.kind);
    const nonFinite = e.nan + e.posInf + e.negInf;
    expect(a.nulls, e.name).toBe(options.nanAsNull ? e.nulls + nonFinite : e.nulls);
    if (!options.nanAsNull) expect([a.nan, a.posInf, a.negInf], e.name).toEqual([e.nan, e.posInf, e.negInf]);
    expect(a.values.complete, e.name).toBe(e.values.complete);
    if (e.values.complete) expect(new Map(a.values.entries), e.name).toEqual(new Map(e.values.entries));
    if (e.numeric) {
      const an = a.numeric!;
      expect(an.count, e.name).toBe(e.numeric.count);
      expect([an.min, an.max], e.name).toEqual([e.numeric.min, e.numeric.max]);
      expect(an.mean, e.name).toBeCloseTo(e.numeric.mean, 6);
      expect(an.m2 / e.numeric.m2, e.name).toBeCloseTo(1, 8);
      expect(an.sketch, e.name).toEqual(e.numeric.sketch);
      expect(an.linear, e.name).toEqual(e.numeric.linear);
    }
  }
}

describe("profileData (DuckDB)", () => {
  const temp = tempDir();
  const rows = makeRows(5000, 42);
  const expected = profileRecords(rows as unknown as Array<Record<string, unknown>>);
  const csv = join(temp.dir, "data.csv");

  beforeAll(async () => {
    writeDelimited(csv, rows, ",");
    writeDelimited(join(temp.dir, "data.tsv"), rows, "\t");
    writeJsonl(join(temp.dir, "data.jsonl"), rows);
    await toParquet(csv, join(temp.dir, "data.parquet"));
    for (let k = 0; k < 4; k++)
      writeDelimited(join(temp.dir, `part-${k}.csv`), rows.slice(k * 1250, (k + 1) * 1250), ",");
  });
  afterAll(() => temp.cleanup());

  it("profiles CSV exactly as the in-memory builder does", async () => {
    expectEquivalent(await profileData({ paths: [csv] }), expected);
  });

  it("profiles TSV, Parquet and JSON Lines the same way", async () => {
    expectEquivalent(await profileData({ paths: [join(temp.dir, "data.tsv")] }), expected);
    expectEquivalent(await profileData({ paths: [join(temp.dir, "data.parquet")] }), expected);
    expectEquivalent(await profileData({ paths: [join(temp.dir, "data.jsonl")] }), expected, {
      nanAsNull: true,
    });
  });

  it("profiles file partitions of a glob that merge into the whole", async () => {
    const glob = join(temp.dir, "part-*.csv");
    const whole = await profileData({ paths: [glob] });
    expectEquivalent(whole, expected);
    const parts = await Promise.all(
      [0, 1, 2, 3].map((index) => profileData({ paths: [glob], partition: { index, count: 4 } })),
    );
    expect(parts.map((p) => p.rows)).toEqual([1250, 1250, 1250, 1250]);
    expectEquivalent(mergeAllProfiles(parts), expected);
    // Fewer partitions than files: contiguous groups of files.
    const halves = await Promise.all(
      [0, 1].map((index) => profileData({ paths: [glob], partition: { index, count: 2 } })),
    );
    expect(halves.map((p) => p.rows)).toEqual([2500, 2500]);
  });

  it("profiles row ranges of a Parquet file that merge into the whole", async () => {
    const path = join(temp.dir, "data.parquet");
    const parts = await Promise.all(
      [0, 1, 2].map((index) => profileData({ paths: [path], partition: { index, count: 3 } })),
    );
    expect(parts.map((p) => p.rows)).toEqual([1666, 1667, 1667]);
    expectEquivalent(mergeAllProfiles(parts), expected);
  });

  it.each(["data.csv", "data.tsv", "data.jsonl"])(
    "profiles row ranges of one %s file that merge into the whole",
    async (name) => {
      const path = join(temp.dir, name);
      const parts = await Promise.all(
        [0, 1, 2].map((index) => profileData({ paths: [path], partition: { index, count: 3 } })),
      );
      expect(
        parts.every((p) => p.rows > 1500 && p.rows < 1850),
        String(parts.map((p) => p.rows)),
      ).toBe(true);
      expectEquivalent(mergeAllProfiles(parts), expected, { nanAsNull: name.endsWith(".jsonl") });
      // Row ranges over the bytes of several files, more partitions than files.
      const glob = join(temp.dir, "part-*.csv");
      const spread = await Promise.all(
        [0, 1, 2, 3, 4, 5, 6].map((index) => profileData({ paths: [glob], partition: { index, count: 7 } })),
      );
      expect(spread.reduce((sum, p) => sum + p.rows, 0)).toBe(5000);
      expectEquivalent(mergeAllProfiles(spread), expected);
    },
  );

  it("splits CSV by records, not lines: quoted newlines and quotes stay inside their record", async () => {
    const path = join(temp.dir, "quoted.csv");
    const r = rng(5);
    const lines = ["note,amount"];
    for (let i = 0; i < 400; i++) {
      const u = r();
      const note = u < 0.3 ? `"line ${i % 7}\nnext, ""quoted"""` : u < 0.5 ? `"plain ${i % 5}"` : `n${i % 9}`;
      lines.push(`${note},${Math.round(r() * 1e4) / 100}`);
    }
    writeFileSync(path, lines.join("\n") + "\n");
    const whole = await profileData({ paths: [path] });
    expect(whole.rows).toBe(400);
    for (const count of [2, 5, 13]) {
      const parts = await Promise.all(
        Array.from({ length: count }, (_, index) =>
          profileData({ paths: [path], partition: { index, count } }),
        ),
      );
      expect(
        parts.reduce((sum, p) => sum + p.rows, 0),
        String(count),
      ).toBe(400);
      expectEquivalent(mergeAllProfiles(parts), whole);
    }
    // More partitions than records: the extra ones are empty.
    const tiny = join(temp.dir, "tiny.csv");
    writeFileSync(tiny, 'note,amount\n"a\nb",1\nc,2\n');
    const parts = await Promise.all(
      [0, 1, 2, 3, 4].map((index) => profileData({ paths: [tiny], partition: { index, count: 5 } })),
    );
    expect(parts.map((p) => p.rows).sort()).toEqual([0, 0, 0, 1, 1]);
    expectEquivalent(mergeAllProfiles(parts.filter((p) => p.rows > 0)), await profileData({ paths: [tiny] }));
  });

  it("reports progress: rows done as chunks are profiled, then the final count as the total", async () => {
    for (const path of [csv, join(temp.dir, "data.parquet")]) {
      const seen: ProfileProgress[] = [];
      await profileData({ paths: [path], onProgress: (p) => seen.push(p), progressIntervalMs: 0 });
      const done = seen.map((p) => p.rowsDone);
      expect(done.length, path).toBeGreaterThan(2);
      expect(done, path).toEqual([...done].sort((a, b) => a - b));
      expect(seen.at(-1), path).toEqual({ rowsDone: 5000, rowsTotal: 5000, file: path });
      for (const p of seen)
        if (p.rowsTotal !== undefined) expect(p.rowsTotal).toBeGreaterThanOrEqual(p.rowsDone);
    }
  });

  it("re-sniffs the whole file when a late row does not fit the sampled type", async () => {
    const path = join(temp.dir, "late.csv");
    const lines = ["n"];
    for (let i = 0; i < 30000; i++) lines.push(String(i % 50));
    lines.push("12.5");
    writeFileSync(path, lines.join("\n") + "\n");
    const profile = await profileData({ paths: [path] });
    expect(profile.columns[0]).toMatchObject({ kind: "float" });
    expect(profile.columns[0]!.numeric!.count).toBe(30001);
    expect(profile.columns[0]!.numeric!.max).toBe(49);
    expect(new Map(profile.columns[0]!.values.entries).get(12.5)).toBe(1);
    const word = join(temp.dir, "late-word.csv");
    writeFileSync(word, [...lines, "twelve"].join("\n") + "\n");
    const words = await profileData({ paths: [word] });
    expect(words.columns[0]).toMatchObject({ kind: "string", count: 30002, nulls: 0 });
    expect(new Map(words.columns[0]!.values.entries).get("twelve")).toBe(1);
  });

  it("says what is wrong with the input", async () => {
    await expect(profileData({ paths: [join(temp.dir, "nope.csv")] })).rejects.toThrow(UserError);
    await expect(profileData({ paths: [join(temp.dir, "*.nothing")] })).rejects.toThrow(/no file matches/);
    await expect(profileData({ paths: [join(temp.dir, "data.txt")] })).rejects.toThrow(UserError);
    const gz = join(temp.dir, "data.csv.gz");
    writeFileSync(gz, gzipSync(readFileSync(csv)));
    await expect(profileData({ paths: [gz], partition: { index: 0, count: 2 } })).rejects.toThrow(
      /compressed data .* at least 2 files/,
    );
    await expect(profileData({ paths: [csv], partition: { index: 2, count: 2 } })).rejects.toThrow(UserError);
    const bad = join(temp.dir, "bad.parquet");
    writeFileSync(bad, "not parquet");
    await expect(profileData({ paths: [bad] })).rejects.toThrow(UserError);
  });

  it("parses --partition i/N", () => {
    expect(parsePartition("2/8")).toEqual({ index: 1, count: 8 });
    expect(() => parsePartition("0/8")).toThrow(UserError);
    expect(() => parsePartition("9/8")).toThrow(UserError);
    expect(() => parsePartition("x")).toThrow(UserError);
  });
});
