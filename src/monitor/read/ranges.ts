/**
 * Row-range partitions of CSV, TSV and JSON Lines files, by bytes: partition i of N owns the records
 * that start in its share of the data bytes (the files' bytes after their header, concatenated), so
 * the N partitions tile the data exactly and each reads only its own bytes. Its records are copied,
 * behind the header, into a temporary file that the profiler reads like any other.
 *
 * Measured at 200k rows × 200 columns (210 MB CSV), partition 4/4: numbering rows inside one DuckDB
 * scan (LIMIT/OFFSET with insertion order kept) parses every row up to the partition's end, 2.4 CPU-s
 * for the scan alone; profiling the byte range, copy and sniff included, took 2.2 CPU-s (the whole
 * file: 3.2). The copy costs disk space: the partition's share of the data.
 *
 * A record ends at a newline outside quotes. With a quote character in the dialect, whether a
 * newline is inside quotes is decided by the parity of the quotes before it, counted from the start
 * of the data (RFC 4180: a doubled quote inside a quoted field leaves the parity unchanged; with
 * another escape character, an escaped quote is not counted). JSON Lines cannot hold a raw newline
 * inside a value, so every newline ends a record there.
 */
import { createReadStream, createWriteStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { UserError } from "../../util/errors";
import { partitionRange, type Partition } from "./files";

export interface TextDialect {
  /** The quote character, or "" when quotes are not special. */
  quote: string;
  /** The escape character, or "" (RFC 4180 escapes a quote by doubling it: escape = quote). */
  escape: string;
  /** Whether the first record is a header that every partition's file needs. */
  header: boolean;
}

const NEWLINE = 0x0a;
const BLOCK = 1 << 22;

/** Reads a file in blocks from `start`, handing each block to `visit` until it returns a position. */
async function scanBlocks(
  handle: fs.FileHandle,
  start: number,
  visit: (block: Buffer, at: number) => number | undefined,
): Promise<number | undefined> {
  const buffer = Buffer.allocUnsafe(BLOCK);
  for (let at = start; ;) {
    const { bytesRead } = await handle.read(buffer, 0, BLOCK, at);
    if (bytesRead === 0) return undefined;
    const found = visit(buffer.subarray(0, bytesRead), at);
    if (found !== undefined) return found;
    at += bytesRead;
  }
}

/** Finds record starts in one file, keeping the quote parity from the data start onwards. */
class RecordBoundaries {
  private constructor(
    private readonly handle: fs.FileHandle,
    readonly size: number,
    private readonly quote: number | undefined,
    private readonly escape: number | undefined,
  ) {}

  static async open(file: string, dialect: TextDialect): Promise<RecordBoundaries> {
    const handle = await fs.open(file, "r");
    const { size } = await handle.stat();
    const code = (c: string): number | undefined => (c === "" ? undefined : Buffer.from(c)[0]);
    const quote = code(dialect.quote);
    const escape = dialect.escape === dialect.quote ? undefined : code(dialect.escape);
    return new RecordBoundaries(handle, size, quote, escape);
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  /** Quotes in [from, to) that toggle the in-quotes state, modulo 2. */
  private async parity(from: number, to: number): Promise<number> {
    const { quote, escape } = this;
    if (quote === undefined || to <= from) return 0;
    let parity = 0;
    let previous = -1;
    await scanBlocks(this.handle, from, (block, at) => {
      const limit = Math.min(block.length, to - at);
      for (let i = block.indexOf(quote); i !== -1 && i < limit; i = block.indexOf(quote, i + 1)) {
        const before = i > 0 ? block[i - 1]! : previous;
        if (escape === undefined || before !== escape) parity ^= 1;
      }
      previous = block[block.length - 1]!;
      return at + block.length >= to ? to : undefined;
    });
    return parity;
  }

  /**
   * The first record start at or after `position` (≥ `dataStart`): the byte after the first newline
   * outside quotes at or after position − 1; the file's size when there is none.
   */
  async recordStart(position: number, dataStart: number): Promise<number> {
    if (position <= dataStart) return dataStart;
    if (position >= this.size) return this.size;
    let inQuotes = (await this.parity(dataStart, position - 1)) === 1;
    const { quote, escape } = this;
    let previous = -1;
    const found = await scanBlocks(this.handle, position - 1, (block, at) => {
      for (let i = 0; i < block.length; i++) {
        const byte = block[i]!;
        if (byte === NEWLINE && !inQuotes) return at + i + 1;
        if (byte === quote && (escape === undefined || (i > 0 ? block[i - 1] : previous) !== escape))
          inQuotes = !inQuotes;
      }
      previous = block[block.length - 1]!;
      return undefined;
    });
    return found ?? this.size;
  }
}

/** A partition's copy of one source file's records, behind that file's header. */
export interface PartitionFile {
  path: string;
  source: string;
  /** Where the header ends in the source (its first record starts). */
  dataStart: number;
  /** Where the copied records start in the source. */
  from: number;
}

/** The source file's line of line `line` of a partition's copy (for error messages). */
export async function sourceLineOf(copy: PartitionFile, line: number): Promise<number> {
  const newlines = async (end: number): Promise<number> => {
    let count = 0;
    if (end <= 0) return 0;
    const handle = await fs.open(copy.source, "r");
    try {
      await scanBlocks(handle, 0, (block, at) => {
        const limit = Math.min(block.length, end - at);
        for (let i = block.indexOf(NEWLINE); i !== -1 && i < limit; i = block.indexOf(NEWLINE, i + 1))
          count++;
        return at + block.length >= end ? end : undefined;
      });
    } finally {
      await handle.close();
    }
    return count;
  };
  const headerLines = await newlines(copy.dataStart);
  return line <= headerLines ? line : (await newlines(copy.from)) + line - headerLines;
}

/**
 * Writes partition `partition` of the text files' records into temporary files under `dir` (one per
 * source file it touches, each starting with that file's header) and returns them, in order.
 * `dialects` holds each file's dialect (as sniffed).
 */
export async function writeByteRangePartition(options: {
  files: string[];
  dialects: TextDialect[];
  partition: Partition;
  dir: string;
}): Promise<PartitionFile[]> {
  const { files, dialects, partition, dir } = options;
  const opened: RecordBoundaries[] = [];
  try {
    const spans: Array<{ dataStart: number; size: number }> = [];
    for (const [i, file] of files.entries()) {
      const boundaries = await RecordBoundaries.open(file, dialects[i]!);
      opened.push(boundaries);
      // The header is the first record: it ends at the first newline outside quotes.
      const dataStart = dialects[i]!.header ? await boundaries.recordStart(1, 0) : 0;
      spans.push({ dataStart, size: boundaries.size });
    }
    const total = spans.reduce((sum, s) => sum + (s.size - s.dataStart), 0);
    const [start, end] = partitionRange(total, partition);
    const written: PartitionFile[] = [];
    let offset = 0;
    for (const [i, file] of files.entries()) {
      const { dataStart, size } = spans[i]!;
      const length = size - dataStart;
      const lo = Math.max(start, offset) - offset;
      const hi = Math.min(end, offset + length) - offset;
      offset += length;
      if (hi <= lo) continue;
      const boundaries = opened[i]!;
      const from = await boundaries.recordStart(dataStart + lo, dataStart);
      const to = await boundaries.recordStart(dataStart + hi, dataStart);
      if (to <= from) continue;
      const target = path.join(dir, `${String(written.length).padStart(4, "0")}-${path.basename(file)}`);
      const out = createWriteStream(target);
      await pipeline(
        (async function* () {
          if (dataStart > 0) yield* createReadStream(file, { start: 0, end: dataStart - 1 });
          yield* createReadStream(file, { start: from, end: to - 1 });
        })(),
        out,
      );
      written.push({ path: target, source: file, dataStart, from });
    }
    return written;
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot split the data into partitions: ${String(error)}`, { cause: error });
  } finally {
    await Promise.all(opened.map((b) => b.close()));
  }
}
