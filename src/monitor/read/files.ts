import { stat } from "node:fs/promises";
import { UserError } from "../../util/errors";

export type DataFormat = "csv" | "tsv" | "jsonl" | "parquet";

/** How far a profiling scan is, for a progress display. */
export interface ProfileProgress {
  rowsDone: number;
  /** Rows in all: exact for Parquet, estimated from the bytes read so far for CSV, TSV and JSON Lines. */
  rowsTotal?: number;
  /** The file (or the first of the files) being read. */
  file?: string;
}

export interface Partition {
  /** 0-based. */
  index: number;
  count: number;
}

const extensions: Array<[RegExp, DataFormat]> = [
  [/\.csv(\.gz|\.zst)?$/i, "csv"],
  [/\.(tsv|tab)(\.gz|\.zst)?$/i, "tsv"],
  [/\.(jsonl|ndjson|json)(\.gz|\.zst)?$/i, "jsonl"],
  [/\.(parquet|pq)$/i, "parquet"],
];

export function formatOf(path: string): DataFormat {
  for (const [pattern, format] of extensions) if (pattern.test(path)) return format;
  throw new UserError("cannot tell the data format from the file name (use .csv, .tsv, .jsonl or .parquet)", {
    where: path,
  });
}

export function isGlob(path: string): boolean {
  return /[*?[{]/.test(path);
}

/** Parses the CLI's `--partition i/N` (1-based i, as a matrix job numbers them) into a Partition. */
export function parsePartition(text: string): Partition {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index < 1 || index > count)
    throw new UserError(`invalid partition "${text}": expected i/N with 1 ≤ i ≤ N, e.g. 2/8`);
  return { index: index - 1, count };
}

export function checkPartition(partition: Partition): void {
  const { index, count } = partition;
  if (!Number.isInteger(index) || !Number.isInteger(count) || count < 1 || index < 0 || index >= count)
    throw new UserError(`invalid partition ${index}/${count}: need 0 ≤ index < count`);
}

/** The contiguous share of `total` items that partition i of N owns: [start, end). */
export function partitionRange(total: number, partition: Partition): [number, number] {
  return [
    Math.floor((partition.index * total) / partition.count),
    Math.floor(((partition.index + 1) * total) / partition.count),
  ];
}

export async function assertReadable(path: string): Promise<void> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new UserError("not a file", { where: path });
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError("data file not found", { where: path, cause: error });
  }
}
