import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
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

/**
 * How deep a JSON Lines record may nest. DuckDB's JSON reader recurses per level and crashes the whole
 * process (SIGSEGV, exit 139) somewhere past ten thousand; data nested even a thousand deep is no table.
 */
export const MAX_JSON_DEPTH = 1000;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

/**
 * Refuses a JSON Lines file (plain or .gz) with a record nested deeper than `maxDepth`, before DuckDB
 * reads it: one streaming pass over the bytes, counting brackets outside strings. A `.zst` file is not
 * scanned (Node has no zstd here); DuckDB reads it as is.
 */
export async function assertJsonDepth(file: string, maxDepth = MAX_JSON_DEPTH): Promise<void> {
  if (/\.zst$/i.test(file)) return;
  // A file profiled in several chunks is scanned once while it does not change.
  const stats = await stat(file).catch(() => undefined);
  const key = stats ? `${file}\0${stats.size}\0${stats.mtimeMs}\0${maxDepth}` : undefined;
  if (key !== undefined && scannedJsonFiles.has(key)) return;
  await scanJsonDepth(file, maxDepth);
  if (key !== undefined) scannedJsonFiles.add(key);
}

const scannedJsonFiles = new Set<string>();

async function scanJsonDepth(file: string, maxDepth: number): Promise<void> {
  const raw = createReadStream(file, { highWaterMark: 1024 * 1024 });
  const stream = /\.gz$/i.test(file) ? raw.pipe(createGunzip()) : raw;
  let depth = 0;
  let line = 1;
  let inString = false;
  let escaped = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i]!;
        if (byte === NEWLINE) {
          line++;
          // A record ends at its line: an unbalanced one is DuckDB's to report, not to carry over.
          depth = 0;
          inString = false;
          escaped = false;
          continue;
        }
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) inString = false;
          continue;
        }
        if (byte === QUOTE) inString = true;
        else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
          if (++depth > maxDepth)
            throw new UserError(
              `this JSON Lines record nests deeper than ${maxDepth} levels: gitml reads flat records (one object of columns per line)`,
              { where: `${file}:${line}` },
            );
        } else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && depth > 0) depth--;
      }
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot read this file (${(error as Error).message})`, { where: file, cause: error });
  } finally {
    raw.destroy();
  }
}
