/**
 * Data-driven drift thresholds, against false alarms on large samples (evidently#50, #171): a fixed
 * p-value flags practically nothing at all once n is large, and a fixed distance cannot know how much a
 * column moves by itself from one stretch of data to the next. Here the reference is split into k
 * contiguous row ranges ("chunks"); each chunk is tested against the merge of the others, with every
 * test, and the k statistics are the null distribution of "no drift, just the data's own variation".
 *
 * At monitoring time, for a column and its chosen test, threshold = mean + 3σ of those k statistics,
 * after rescaling each to the sizes being compared (below); the column drifts when its statistic exceeds
 * that threshold. For the p-value tests the threshold is on the test statistic instead of the p-value
 * (KS: D; chi-square: the χ² statistic; z: |z|), since a p-value's null distribution is uniform
 * whatever the data and so carries no information about the data's own variation.
 *
 * Rescaling: under no drift, a statistic shrinks with the effective sample size
 * n_eff = n_ref·n_cur/(n_ref + n_cur) at a known rate: KS D, Wasserstein, Jensen-Shannon and Hellinger
 * distances as n_eff^(-1/2); PSI and KL as n_eff^(-1); Evidently's chi-square statistic (current counts
 * against reference shares) as n_cur/n_eff; |z| not at all. Each chunk sample (rest against chunk) is
 * scaled from its own sizes to the monitored ones. Variation that is not sampling noise (seasonality,
 * batches) does not shrink with n, so this scaling over-allows it when the current data is much smaller
 * than a chunk and under-allows it when much larger: choose k so that a chunk is about the size of one
 * monitoring window (e.g. a 30-day reference monitored daily: k = 30), where the scale is about 1.
 * With k samples the σ estimate is itself noisy (k ≥ 10 advised).
 */
import {
  inferColumnType,
  mergeAllProfiles,
  mergeProfiles,
  TEXT_DESCRIPTORS,
  textSummaryOf,
  type ChunkStatistics,
  type ColumnChunkStatistics,
  type ColumnProfile,
  type DatasetProfile,
  type ProfileSettings,
} from "../profile";
import { UserError } from "../../util/errors";
import { runTest, testDefaults, type TestName } from "./stattests";

export type ThresholdMode = "fixed" | "data";

/** How many standard deviations above the null mean the data-driven threshold lies. */
export const NULL_SIGMAS = 3;

/** Null statistic ∝ n_cur^current · n_eff^effective (see the module comment). */
const nullScaling: Record<TestName, { current: number; effective: number }> = {
  ks: { current: 0, effective: -0.5 },
  wasserstein: { current: 0, effective: -0.5 },
  jensenshannon: { current: 0, effective: -0.5 },
  hellinger: { current: 0, effective: -0.5 },
  psi: { current: 0, effective: -1 },
  kl_div: { current: 0, effective: -1 },
  chisquare: { current: 1, effective: -1 },
  z: { current: 0, effective: 0 },
};

const TEST_NAMES = Object.keys(testDefaults) as TestName[];

/** Chunks per reference when the config does not say (`monitor.chunks`). */
export const DEFAULT_CHUNKS = 10;
export const MIN_CHUNKS = 3;
export const MAX_CHUNKS = 1000;

export function checkChunkCount(chunks: number): void {
  if (!Number.isInteger(chunks) || chunks < MIN_CHUNKS || chunks > MAX_CHUNKS)
    throw new UserError(
      `invalid chunk count ${String(chunks)}: need a whole number from ${MIN_CHUNKS} to ${MAX_CHUNKS} (10 is a good start)`,
    );
}

/** The statistic a data-driven threshold applies to: the test's statistic (|z| for the signed z). */
export function thresholdedStatistic(test: TestName, statistic: number): number {
  return test === "z" ? Math.abs(statistic) : statistic;
}

function usable(column: ColumnProfile): number {
  return column.numeric ? column.numeric.count : column.count - column.nulls;
}

/** Every test's statistic for one (rest, chunk) pair; null where the test does not apply. */
function statisticsOf(
  rest: ColumnProfile,
  chunk: ColumnProfile,
  settings: ProfileSettings,
  tests: readonly TestName[],
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const test of tests) {
    try {
      const s = thresholdedStatistic(test, runTest(test, rest, chunk, settings, { pValue: false }).statistic);
      out[test] = Number.isFinite(s) ? s : null;
    } catch {
      // A test that cannot apply to this column (e.g. chi-square on a sketched numeric) has no null sample.
      out[test] = null;
    }
  }
  return out;
}

function emptyStatistics(tests: readonly TestName[]): ColumnChunkStatistics {
  return { sizes: [], statistics: Object.fromEntries(tests.map((t) => [t, []])) };
}

function pushSample(
  target: ColumnChunkStatistics,
  rest: ColumnProfile,
  chunk: ColumnProfile,
  settings: ProfileSettings,
  tests: readonly TestName[],
): void {
  target.sizes.push([usable(rest), usable(chunk)]);
  const stats = statisticsOf(rest, chunk, settings, tests);
  for (const test of tests) target.statistics[test]!.push(stats[test] ?? null);
}

/**
 * The null samples of every column (and every text descriptor) from the profiles of k disjoint chunks:
 * chunk i against the merge of the others, for every test. O(k) merges (prefix and suffix merges).
 */
export function chunkStatistics(chunks: DatasetProfile[]): ChunkStatistics {
  if (chunks.length < 2) throw new Error("chunk statistics need at least two chunks");
  const k = chunks.length;
  const prefix: Array<DatasetProfile | undefined> = [undefined];
  for (let i = 0; i < k - 1; i++) prefix.push(prefix[i] ? mergeProfiles(prefix[i]!, chunks[i]!) : chunks[i]);
  const suffix: Array<DatasetProfile | undefined> = new Array<DatasetProfile | undefined>(k).fill(undefined);
  for (let i = k - 2; i >= 0; i--)
    suffix[i] = suffix[i + 1] ? mergeProfiles(chunks[i + 1]!, suffix[i + 1]!) : chunks[i + 1];
  const whole = mergeAllProfiles(chunks);
  const settings = whole.settings;
  const columns: Record<string, ColumnChunkStatistics> = {};
  for (const column of whole.columns) {
    const type = inferColumnType(column);
    if (type === "empty") continue;
    columns[column.name] = emptyStatistics(TEST_NAMES);
    if (type === "text")
      columns[column.name]!.descriptors = Object.fromEntries(
        TEXT_DESCRIPTORS.map((d) => [
          d,
          emptyStatistics(d === "vocabulary" ? ["jensenshannon"] : TEST_NAMES),
        ]),
      );
  }
  for (let i = 0; i < k; i++) {
    const restProfile =
      prefix[i] && suffix[i] ? mergeProfiles(prefix[i]!, suffix[i]!) : (prefix[i] ?? suffix[i])!;
    const rest = new Map(restProfile.columns.map((c) => [c.name, c]));
    const chunk = new Map(chunks[i]!.columns.map((c) => [c.name, c]));
    for (const [name, target] of Object.entries(columns)) {
      const r = rest.get(name);
      const c = chunk.get(name);
      if (!r || !c) continue;
      pushSample(target, r, c, settings, TEST_NAMES);
      if (!target.descriptors) continue;
      const rt = textSummaryOf(r, settings);
      const ct = textSummaryOf(c, settings);
      if (!rt || !ct) continue;
      for (const d of TEXT_DESCRIPTORS)
        pushSample(
          target.descriptors[d]!,
          rt[d],
          ct[d],
          settings,
          d === "vocabulary" ? ["jensenshannon"] : TEST_NAMES,
        );
    }
  }
  return { chunks: k, columns };
}

/** Null samples of two profiles of disjoint data, each made with chunks: all samples, side by side. */
export function concatChunkStatistics(a: ChunkStatistics, b: ChunkStatistics): ChunkStatistics {
  const concat = (x?: ColumnChunkStatistics, y?: ColumnChunkStatistics): ColumnChunkStatistics => {
    const tests = new Set([...Object.keys(x?.statistics ?? {}), ...Object.keys(y?.statistics ?? {})]);
    const pad = (s: ColumnChunkStatistics | undefined, test: string): Array<number | null> =>
      s ? (s.statistics[test] ?? s.sizes.map(() => null)) : [];
    const out: ColumnChunkStatistics = {
      sizes: [...(x?.sizes ?? []), ...(y?.sizes ?? [])],
      statistics: Object.fromEntries([...tests].map((t) => [t, [...pad(x, t), ...pad(y, t)]])),
    };
    if (x?.descriptors || y?.descriptors)
      out.descriptors = Object.fromEntries(
        TEXT_DESCRIPTORS.map((d) => [d, concat(x?.descriptors?.[d], y?.descriptors?.[d])]),
      );
    return out;
  };
  const names = new Set([...Object.keys(a.columns), ...Object.keys(b.columns)]);
  return {
    chunks: a.chunks + b.chunks,
    columns: Object.fromEntries([...names].map((n) => [n, concat(a.columns[n], b.columns[n])])),
  };
}

export interface DataThreshold {
  threshold: number;
  /** Mean and standard deviation of the rescaled null sample, and how many samples it had. */
  mean: number;
  std: number;
  samples: number;
}

/**
 * mean + 3σ of a test's null sample rescaled to the sizes being compared (usable values of the
 * reference and the current column); an error message when there is no usable sample (fewer than two
 * chunks where the test applied).
 */
export function dataThreshold(
  test: TestName,
  sample: ColumnChunkStatistics | undefined,
  sizes: { reference: number; current: number },
): DataThreshold | { error: string } {
  if (!sample) return { error: "the reference profile has no chunk statistics for this column" };
  const stats = sample.statistics[test];
  if (!stats) return { error: `the reference profile has no chunk statistics for ${test}` };
  const { current: a, effective: b } = nullScaling[test];
  const effective = (n: number, m: number): number => (n * m) / (n + m);
  const target = effective(sizes.reference, sizes.current);
  const scaled: number[] = [];
  for (let j = 0; j < stats.length; j++) {
    const s = stats[j];
    const [nRest, nChunk] = sample.sizes[j] ?? [0, 0];
    if (s === null || s === undefined || nRest <= 0 || nChunk <= 0) continue;
    const scale = Math.pow(sizes.current / nChunk, a) * Math.pow(target / effective(nRest, nChunk), b);
    scaled.push(s * scale);
  }
  if (scaled.length < 2)
    return { error: `${test} applied to fewer than two reference chunks (${scaled.length})` };
  const mean = scaled.reduce((x, y) => x + y, 0) / scaled.length;
  const variance = scaled.reduce((x, y) => x + (y - mean) ** 2, 0) / (scaled.length - 1);
  const std = Math.sqrt(variance);
  // A floor, so that a column that never moved (all zeros) still needs a non-zero statistic to drift.
  return { threshold: Math.max(mean + NULL_SIGMAS * std, 1e-12), mean, std, samples: scaled.length };
}
