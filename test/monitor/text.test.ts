import { describe, expect, it } from "vitest";
import {
  defaultProfileSettings,
  inferColumnType,
  mergeAllProfiles,
  profileRecords,
  TextSummaryBuilder,
  textSummaryOf,
  type DatasetProfile,
} from "../../src/monitor/profile";
import { detectDrift } from "../../src/monitor/tests/detect";
import { characterCount, nonLetterShare, wordsOf } from "../../src/monitor/text";
import { rng } from "../helpers/data";

const vocabulary = "the a model data drift report user order item price late fast good bad".split(" ");

/** Unique sentences: an id, then 3–10 words from `words`, with optional digits. */
function sentences(
  n: number,
  seed: number,
  options: { words?: string[]; extraWords?: number; digits?: boolean } = {},
) {
  const r = rng(seed);
  const words = options.words ?? vocabulary;
  return Array.from({ length: n }, (_, i) => {
    const count = 3 + Math.floor(r() * 8) + (options.extraWords ?? 0);
    const body = Array.from({ length: count }, () => words[Math.floor(r() * words.length)]).join(" ");
    return `#${i} ${body}${options.digits ? ` ${Math.floor(r() * 1e6)}!` : ""}`;
  });
}

const textProfile = (texts: Array<string | null>, valueCap = 1000): DatasetProfile =>
  profileRecords(
    texts.map((t) => ({ t })),
    { ...defaultProfileSettings, valueCap },
  );

describe("text descriptors", () => {
  it("measure characters, words and non-letter share per value", () => {
    expect(characterCount("héllo 👋")).toBe(7);
    expect(wordsOf("Don't STOP, 2 times!")).toEqual(["don", "t", "stop", "2", "times"]);
    expect(nonLetterShare("ab 12!")).toBeCloseTo(3 / 6, 12);
    expect(nonLetterShare("")).toBe(0);
  });

  it("summarise a column exactly: the same as profiling each value's descriptors", () => {
    const texts = sentences(300, 1, { digits: true });
    const builder = new TextSummaryBuilder();
    for (const t of texts) builder.add(t);
    const summary = builder.finish();
    const direct = profileRecords(
      texts.map((t) => ({
        length: characterCount(t),
        wordCount: wordsOf(t).length,
        nonLetterShare: nonLetterShare(t),
      })),
    );
    for (const name of ["length", "wordCount", "nonLetterShare"] as const) {
      const expected = direct.columns.find((c) => c.name === name)!;
      const actual = summary[name];
      expect(actual.count).toBe(expected.count);
      expect(actual.numeric!.mean).toBeCloseTo(expected.numeric!.mean, 9);
      expect(actual.numeric!.m2).toBeCloseTo(expected.numeric!.m2, 6);
      expect(actual.numeric!.sketch).toEqual(expected.numeric!.sketch);
      expect(actual.values).toEqual(expected.values);
    }
    const words = texts.flatMap(wordsOf);
    expect(summary.vocabulary.count).toBe(words.length);
    expect(summary.vocabulary.values.entries.find((e) => e[0] === "drift")![1]).toBe(
      words.filter((w) => w === "drift").length,
    );
  });

  it("are stored only when value counts are truncated, and merge across partitions like the whole", () => {
    const texts = sentences(600, 2);
    const small = textProfile(texts.slice(0, 100));
    expect(small.columns[0]!.text).toBeUndefined(); // derivable from the complete counts
    expect(textSummaryOf(small.columns[0]!)!.length.count).toBe(100);
    const whole = textProfile(texts, 200);
    expect(whole.columns[0]!.values.complete).toBe(false);
    expect(whole.columns[0]!.text).toBeDefined();
    // Partitions below the cap (no stored descriptors) merge into a truncated column that has them.
    const merged = mergeAllProfiles(
      [0, 1, 2, 3].map((p) => textProfile(texts.slice(p * 150, (p + 1) * 150), 200)),
    );
    expect(merged.columns[0]!.values.complete).toBe(false);
    const a = merged.columns[0]!.text!;
    const b = whole.columns[0]!.text!;
    for (const name of ["length", "wordCount", "nonLetterShare", "vocabulary"] as const) {
      expect(a[name].count).toBe(b[name].count);
      expect(a[name].values.entries).toEqual(b[name].values.entries);
      if (b[name].numeric) expect(a[name].numeric!.mean).toBeCloseTo(b[name].numeric!.mean, 9);
    }
    // Non-string columns never carry them.
    const mixed = profileRecords(
      Array.from({ length: 2000 }, (_, i) => ({ n: i * 0.5, c: `k${i % 4}` })),
      {
        ...defaultProfileSettings,
        valueCap: 10,
      },
    );
    expect(mixed.columns.map((c) => c.text)).toEqual([undefined, undefined]);
  });
});

describe("text drift", () => {
  const test = (reference: DatasetProfile, current: DatasetProfile) =>
    detectDrift({ reference, current }).columns[0]!;

  it("does not flag new texts from the same process", () => {
    const reference = textProfile(sentences(3000, 3));
    expect(inferColumnType(reference.columns[0]!)).toBe("text");
    const result = test(reference, textProfile(sentences(3000, 4)));
    expect(result).toMatchObject({ type: "text", drift: false, threshold_source: "default" });
    expect(result.error).toBeUndefined();
    expect(result.descriptors!.map((d) => [d.descriptor, d.test, d.drift])).toEqual([
      ["length", "wasserstein", false],
      ["wordCount", "wasserstein", false],
      ["nonLetterShare", "wasserstein", false],
      ["vocabulary", "jensenshannon", false],
    ]);
  });

  it("flags longer texts, new words and more digits, naming the descriptor", () => {
    const reference = textProfile(sentences(3000, 5));
    const longer = test(reference, textProfile(sentences(3000, 6, { extraWords: 6 })));
    expect(longer.drift).toBe(true);
    expect(longer.descriptors!.find((d) => d.descriptor === "length")!.drift).toBe(true);
    const otherWords = "un deux trois quatre cinq six sept huit neuf dix onze douze".split(" ");
    const foreign = test(reference, textProfile(sentences(3000, 7, { words: otherWords })));
    expect(foreign).toMatchObject({ drift: true, descriptor: "vocabulary", test: "jensenshannon" });
    const digits = test(reference, textProfile(sentences(3000, 8, { digits: true })));
    expect(digits.descriptors!.find((d) => d.descriptor === "nonLetterShare")!.drift).toBe(true);
  });

  it("splits a p-value threshold between descriptors on a small reference", () => {
    const result = test(textProfile(sentences(300, 9)), textProfile(sentences(300, 10)));
    const ks = result.descriptors!.filter((d) => d.test === "ks");
    expect(ks.length).toBeGreaterThan(0);
    expect(ks.every((d) => d.threshold === 0.05 / 4)).toBe(true);
  });

  it("reports a text column whose truncated profile has no descriptors (an older profile)", () => {
    const reference = textProfile(sentences(3000, 11), 100);
    delete reference.columns[0]!.text;
    const result = test(reference, textProfile(sentences(3000, 12), 100));
    expect(result.error).toMatch(/reference profile has no text descriptors/);
    expect(result.drift).toBe(false);
  });

  it("reports a text column that became a constant through its descriptors", () => {
    const reference = textProfile(sentences(3000, 13));
    const result = test(reference, textProfile(Array.from({ length: 3000 }, () => "N/A")));
    expect(result.drift).toBe(true);
  });
});

/** Numbers to 12 significant digits, deep. */
function rounded(value: unknown): unknown {
  if (typeof value === "number") return Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]));
  return value;
}

describe("text descriptors of data read through DuckDB", () => {
  async function readBoth(texts: string[], valueCap: number) {
    const { profileData } = await import("../../src/monitor/read");
    const fs = await import("node:fs/promises");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-text-read-"));
    try {
      const file = path.join(dir, "reviews.csv");
      const quoted = texts.map((t) => `"${t.replace(/"/g, '""')}",${t.length % 3}`);
      await fs.writeFile(file, ["review,stars", ...quoted].join("\n") + "\n");
      const read = await profileData({ paths: [file], settings: { valueCap } });
      const direct = profileRecords(
        texts.map((review) => ({ review })),
        { ...defaultProfileSettings, valueCap },
      );
      return {
        read: read.columns.find((c) => c.name === "review")!,
        direct: direct.columns.find((c) => c.name === "review")!,
      };
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  it("equal the descriptors of the values themselves, for value counts kept in the scan or grouped after it", async () => {
    // 150 distinct values with a cap of 100 are counted in the scan (up to 2 × cap); 3,000 need the GROUP BY.
    for (const n of [150, 3000]) {
      const texts = sentences(n, n);
      const { read, direct } = await readBoth(texts, 100);
      expect(read.values.complete, `${n} values`).toBe(false);
      expect(read.text, `${n} values`).toBeDefined();
      // Equal but for the order of floating-point sums (the values arrive in another order).
      expect(rounded(read.text), `${n} values`).toEqual(rounded(direct.text));
    }
  });

  it("are not computed for a column whose value counts are complete (they derive from the counts)", async () => {
    const { read } = await readBoth(sentences(50, 7), 100);
    expect(read.values.complete).toBe(true);
    expect(read.text).toBeUndefined();
    expect(textSummaryOf(read, defaultProfileSettings)).toBeDefined();
  });
});
