import { UserError } from "../../util/errors";
import type { Logger } from "../../util/logger";
import {
  defaultProfileSettings,
  mergeAllProfiles,
  type DatasetProfile,
  type ProfileSettings,
} from "../profile";
import { checkChunkCount, chunkStatistics } from "../tests/thresholds";
import {
  assertJsonDepth,
  assertReadable,
  checkPartition,
  formatOf,
  isGlob,
  partitionRange,
  type DataFormat,
  type Partition,
  type ProfileProgress,
} from "./files";
import { globFiles, openDataEngine } from "./engine";

export { formatOf, parsePartition, type DataFormat, type Partition, type ProfileProgress } from "./files";

export interface ProfileDataOptions {
  /** Files or globs (`data/live/*.parquet`); all of one format. */
  paths: string[];
  /** Default: from the file extension. */
  format?: DataFormat;
  /**
   * Profile only the index-th (0-based) of count parts so that a matrix of jobs can profile a dataset and
   * merge the profiles: whole files when there are at least `count` files, else row ranges (Parquet:
   * from its metadata; CSV, TSV, JSON Lines: byte ranges aligned to record starts, see ./ranges).
   */
  partition?: Partition;
  settings?: Partial<ProfileSettings>;
  /** Only these columns. */
  columns?: string[];
  /** DuckDB memory limit, e.g. "512MB" (default 1GB; DuckDB spills to disk beyond it). */
  memoryLimit?: string;
  threads?: number;
  logger?: Logger;
  /**
   * Called as rows are profiled (at most every `progressIntervalMs`, default 200 ms, and once at the
   * end with the final count as the total).
   */
  onProgress?: (progress: ProfileProgress) => void;
  progressIntervalMs?: number;
}

async function expandPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    if (!isGlob(path)) {
      await assertReadable(path);
      files.push(path);
      continue;
    }
    const engine = await openDataEngine();
    try {
      const matched = await globFiles(engine.connection, path);
      if (matched.length === 0) throw new UserError("no file matches this pattern", { where: path });
      files.push(...matched);
    } finally {
      engine.close();
    }
  }
  return [...new Set(files)];
}

/** Profiles CSV, TSV, JSON Lines or Parquet data, streamed through DuckDB (memory flat in the row count). */
export async function profileData(options: ProfileDataOptions): Promise<DatasetProfile> {
  if (options.paths.length === 0) throw new UserError("no data files given");
  const settings: ProfileSettings = { ...defaultProfileSettings, ...options.settings };
  if (!(settings.relativeAccuracy > 0 && settings.relativeAccuracy < 1))
    throw new UserError(`relative accuracy must be in (0, 1), got ${settings.relativeAccuracy}`);
  let files = await expandPaths(options.paths);
  const format = options.format ?? formatOf(files[0]!);
  for (const f of files)
    if (!options.format && formatOf(f) !== format)
      throw new UserError(`mixed data formats: ${files[0]} is ${format} but this is ${formatOf(f)}`, {
        where: f,
      });
  if (format === "jsonl") for (const f of files) await assertJsonDepth(f);
  let partition = options.partition;
  if (partition) {
    checkPartition(partition);
    if (files.length >= partition.count) {
      const [start, end] = partitionRange(files.length, partition);
      files = files.slice(start, end);
      partition = undefined;
    }
  }
  const { profileWithDuckDb } = await import("./duckdb");
  return profileWithDuckDb({
    files,
    format,
    settings,
    partition,
    columns: options.columns,
    memoryLimit: options.memoryLimit,
    threads: options.threads,
    logger: options.logger,
    onProgress: options.onProgress,
    progressIntervalMs: options.progressIntervalMs,
  });
}

/**
 * Profiles data as k chunks (row ranges, or whole files when there are at least as many files as
 * parts), one read per chunk, and returns their merge (the profile of the whole data) carrying the
 * chunk statistics. With `partition` i/N, the chunks are the k sub-ranges of that partition, so that a
 * matrix of jobs still covers every row once; `gitml profile merge` then keeps every job's samples.
 */
export async function profileDataInChunks(
  options: ProfileDataOptions & { chunks: number },
): Promise<DatasetProfile> {
  checkChunkCount(options.chunks);
  const k = options.chunks;
  const base = options.partition ?? { index: 0, count: 1 };
  const parts: DatasetProfile[] = [];
  const { onProgress } = options;
  for (let j = 0; j < k; j++) {
    options.logger?.debug(`profiling chunk ${j + 1}/${k}`);
    // Rows of the chunks done so far, plus this chunk's; its total stands for each remaining chunk.
    const before = parts.reduce((sum, p) => sum + p.rows, 0);
    parts.push(
      await profileData({
        ...options,
        partition: { index: base.index * k + j, count: base.count * k },
        onProgress:
          onProgress &&
          ((p) =>
            onProgress({
              ...p,
              rowsDone: before + p.rowsDone,
              rowsTotal: p.rowsTotal === undefined ? undefined : before + p.rowsTotal * (k - j),
            })),
      }),
    );
  }
  return { ...mergeAllProfiles(parts), chunks: chunkStatistics(parts) };
}
