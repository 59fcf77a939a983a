import { UserError } from "../../util/errors";
import type { Logger } from "../../util/logger";
import { defaultProfileSettings, type DatasetProfile, type ProfileSettings } from "../profile";
import {
  assertReadable,
  checkPartition,
  formatOf,
  isGlob,
  partitionRange,
  type DataFormat,
  type Partition,
} from "./files";

export { formatOf, parsePartition, type DataFormat, type Partition } from "./files";

export interface ProfileDataOptions {
  /** Files or globs (`data/live/*.parquet`); all of one format. */
  paths: string[];
  /** Default: from the file extension. */
  format?: DataFormat;
  /**
   * Profile only the index-th (0-based) of count parts so that a matrix of jobs can profile a dataset and
   * merge the profiles: whole files when there are at least `count` files, else row ranges (Parquet).
   */
  partition?: Partition;
  settings?: Partial<ProfileSettings>;
  /** Only these columns. */
  columns?: string[];
  /** DuckDB memory limit, e.g. "512MB" (default 1GB; DuckDB spills to disk beyond it). */
  memoryLimit?: string;
  threads?: number;
  logger?: Logger;
}

async function expandPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    if (!isGlob(path)) {
      await assertReadable(path);
      files.push(path);
      continue;
    }
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll(
        `SELECT file FROM glob('${path.replace(/'/g, "''")}') ORDER BY file`,
      );
      const matched = reader.getRowObjectsJS().map((r) => String(r.file));
      if (matched.length === 0) throw new UserError("no file matches this pattern", { where: path });
      files.push(...matched);
    } finally {
      connection.closeSync();
      instance.closeSync();
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
  });
}
