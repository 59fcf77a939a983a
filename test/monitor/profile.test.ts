import { describe, expect, it } from "vitest";
import {
  inferColumnType,
  mergeAllProfiles,
  mergeProfiles,
  profileFromJson,
  profileRecords,
  profileToJson,
  type DatasetProfile,
} from "../../src/monitor/profile";
import { rng } from "../helpers/data";

function records(n: number, seed: number): Array<Record<string, unknown>> {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    f: r() < 0.05 ? null : (r() - 0.5) * 1000 + (i % 7),
    g: r() < 0.01 ? NaN : r() < 0.01 ? Infinity : r() < 0.01 ? -Infinity : Math.exp(r() * 10),
    k: Math.floor(r() * 6),
    s: ["red", "green", "blue"][Math.floor(r() * 3)],
    id: `row-${i}-${seed}`,
  }));
}

function expectSameProfile(a: DatasetProfile, b: DatasetProfile): void {
  expect(a.rows).toBe(b.rows);
  expect(a.columns.map((c) => c.name).sort()).toEqual(b.columns.map((c) => c.name).sort());
  for (const ca of a.columns) {
    const cb = b.columns.find((c) => c.name === ca.name)!;
    expect({
      kind: ca.kind,
      count: ca.count,
      nulls: ca.nulls,
      nan: ca.nan,
      pinf: ca.posInf,
      ninf: ca.negInf,
    }).toEqual({
      kind: cb.kind,
      count: cb.count,
      nulls: cb.nulls,
      nan: cb.nan,
      pinf: cb.posInf,
      ninf: cb.negInf,
    });
    expect(ca.values.complete).toBe(cb.values.complete);
    if (ca.values.complete) {
      expect(ca.values.distinct).toBe(cb.values.distinct);
      expect(new Map(ca.values.entries)).toEqual(new Map(cb.values.entries));
    } else {
      // Beyond the cap the distinct count of a merge is a lower bound; the kept counts add up.
      expect(ca.values.distinct).toBeGreaterThan(ca.values.entries.length - 1);
      const total = (v: typeof ca.values) => v.entries.reduce((s, e) => s + e[1], 0) + v.other;
      expect(total(ca.values)).toBe(total(cb.values));
    }
    if (ca.numeric) {
      const na = ca.numeric;
      const nb = cb.numeric!;
      expect(na.count).toBe(nb.count);
      expect(na.min).toBe(nb.min);
      expect(na.max).toBe(nb.max);
      expect(na.mean).toBeCloseTo(nb.mean, 8);
      expect(na.m2 / nb.m2).toBeCloseTo(1, 10);
      expect(na.sumAbs / nb.sumAbs).toBeCloseTo(1, 10);
      expect(na.sketch).toEqual(nb.sketch);
    }
  }
}

describe("mergeProfiles", () => {
  const parts = [records(700, 1), records(1300, 2), records(400, 3)];
  const whole = profileRecords(parts.flat());
  const [a, b, c] = parts.map((p) => profileRecords(p)) as [DatasetProfile, DatasetProfile, DatasetProfile];

  it("equals the profile of the whole data", () => {
    expectSameProfile(mergeAllProfiles([a, b, c]), whole);
  });

  it("is associative and commutative", () => {
    expectSameProfile(mergeProfiles(mergeProfiles(a, b), c), mergeProfiles(a, mergeProfiles(b, c)));
    expectSameProfile(mergeProfiles(c, mergeProfiles(b, a)), whole);
    expectSameProfile(mergeProfiles(b, a), mergeProfiles(a, b));
  });

  it("survives a JSON round trip", () => {
    const back = profileFromJson(profileToJson(whole));
    expectSameProfile(back, whole);
    const empty = profileFromJson(profileToJson(profileRecords([{ x: null }, { x: NaN }])));
    expect(empty.columns[0]!.numeric!.min).toBe(Infinity);
  });

  it("keeps the most frequent values beyond the cap and counts the rest as other", () => {
    const settings = { relativeAccuracy: 0.005, minIndexable: 1e-9, valueCap: 10 };
    const rows = Array.from({ length: 500 }, (_, i) => ({ c: i < 300 ? `hot${i % 5}` : `cold${i}` }));
    const merged = mergeProfiles(
      profileRecords(rows.slice(0, 250), settings),
      profileRecords(rows.slice(250), settings),
    );
    const values = merged.columns[0]!.values;
    expect(values.complete).toBe(false);
    expect(values.entries).toHaveLength(10);
    expect(values.entries.slice(0, 5).map((e) => e[1])).toEqual([60, 60, 60, 60, 60]);
    expect(values.entries.reduce((s, e) => s + e[1], 0) + values.other).toBe(500);
    expect(values.distinct).toBeGreaterThanOrEqual(10);
  });

  it("infers types that survive merging partitions of different kinds", () => {
    const ints = profileRecords(Array.from({ length: 50 }, (_, i) => ({ x: i % 20, y: i % 3, z: i })));
    const floats = profileRecords(
      Array.from({ length: 50 }, (_, i) => ({ x: i + 0.5, y: i % 3, z: `v${i}` })),
    );
    const merged = mergeProfiles(ints, floats);
    const byName = (p: DatasetProfile, n: string) => p.columns.find((c) => c.name === n)!;
    expect(byName(ints, "x").kind).toBe("integer");
    expect(inferColumnType(byName(ints, "x"))).toBe("numeric");
    expect(inferColumnType(byName(ints, "y"))).toBe("categorical");
    expect(byName(merged, "x").kind).toBe("float");
    expect(inferColumnType(byName(merged, "x"))).toBe("numeric");
    expect(byName(merged, "x").numeric!.count).toBe(100);
    expect(inferColumnType(byName(merged, "y"))).toBe("categorical");
    // integers in one partition, strings in another: a string column whose values include "3".
    expect(byName(merged, "z").kind).toBe("string");
    expect(byName(merged, "z").numeric).toBeUndefined();
    expect(new Map(byName(merged, "z").values.entries).get("3")).toBe(1);
  });

  it("treats a column missing from a partition as null there", () => {
    const p1 = profileRecords([{ a: 1 }, { a: 2 }]);
    const p2 = profileRecords([{ a: 3, b: "x" }]);
    const merged = mergeProfiles(p1, p2);
    const b = merged.columns.find((c) => c.name === "b")!;
    expect(b).toMatchObject({ count: 3, nulls: 2, kind: "string" });
  });

  it("refuses to merge profiles made with different sketch settings", () => {
    const p = profileRecords([{ a: 1 }]);
    const q = profileRecords([{ a: 1 }], { relativeAccuracy: 0.01, minIndexable: 1e-9, valueCap: 1000 });
    expect(() => mergeProfiles(p, q)).toThrow(/different settings/);
  });
});

describe("inferColumnType", () => {
  it("follows Evidently's rules", () => {
    const type = (values: unknown[]) =>
      inferColumnType(profileRecords(values.map((x) => ({ x }))).columns[0]!);
    expect(type([1.5, 2, 3])).toBe("numeric");
    expect(type(Array.from({ length: 100 }, (_, i) => i % 10))).toBe("categorical");
    expect(type(Array.from({ length: 100 }, (_, i) => i % 11))).toBe("numeric");
    expect(type(["a", "b", "a", "b"])).toBe("categorical");
    // More than half of the values distinct is text, however few (Evidently has no floor either).
    expect(type(["a", "b", "c", "a"])).toBe("text");
    expect(type([true, false])).toBe("categorical");
    expect(type(Array.from({ length: 300 }, (_, i) => `free text ${i}`))).toBe("text");
    expect(type([null, null])).toBe("empty");
    expect(type([NaN, Infinity])).toBe("empty");
  });
});

describe("the uniform power-of-two grid", () => {
  it("depends only on the values: parts merged in any order equal the whole, and the range fits", () => {
    const random = rng(7);
    const values = Array.from(
      { length: 3000 },
      () => 1e4 + (random() - 0.5) * 2 + (random() < 0.01 ? 50 : 0),
    );
    const whole = profileRecords(values.map((x) => ({ x }))).columns[0]!.numeric!.linear!;
    const parts = [values.slice(0, 700), values.slice(700, 2100), values.slice(2100)].map((p) =>
      profileRecords(p.map((x) => ({ x }))),
    );
    for (const order of [
      [0, 1, 2],
      [2, 0, 1],
      [1, 2, 0],
    ]) {
      const merged = mergeAllProfiles(order.map((i) => parts[i]!)).columns[0]!.numeric!.linear!;
      expect(merged).toEqual(whole);
    }
    expect(whole.counts.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(whole.counts.length).toBeLessThanOrEqual(2048);
    // The bins are as fine as the range allows: half the width would not fit it.
    const h = 2 ** whole.exponent;
    expect(
      Math.floor(Math.max(...values) / (h / 2)) - Math.floor(Math.min(...values) / (h / 2)),
    ).toBeGreaterThanOrEqual(2048);
  });
});
