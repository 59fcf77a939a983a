/**
 * What makes a data file readable, checked before DuckDB is trusted with it, and DuckDB's read errors
 * in the user's words.
 *
 * DuckDB's CSV sniffer picks whichever dialect makes every sampled row agree: one short row (or a
 * cut-off last line) makes it read the whole header as one column, and a header-only file sniffs to
 * VARCHAR columns of no rows. Either way every real column looked "missing" and monitoring said "no
 * drift". So the dialect is decided here from the file's first lines (the delimiter that splits the
 * header, RFC 4180 quotes), every record of those lines must have the header's number of values, and
 * DuckDB then reads with that dialect in strict mode (`strict_mode`, no `null_padding`, no
 * `ignore_errors`), so that a bad row further on is an error with its line rather than a guess.
 */
import { open, stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { createReadStream } from "node:fs";
import { UserError } from "../../util/errors";
import type { DataFormat } from "./files";

/** The first bytes of a text file that are checked in JavaScript (DuckDB reads the rest strictly). */
const HEAD_BYTES = 1 << 20;
const CSV_DELIMITERS = [",", ";", "\t", "|"];

/** A CSV/TSV file's dialect and header, as its first lines show them. */
export interface CsvHead {
  delimiter: string;
  quote: string;
  escape: string;
  /** The header's column names. */
  columns: string[];
}

/**
 * Checks that a data file is not empty and, for CSV/TSV, that its first lines are well-formed records
 * under one header; returns the CSV dialect (undefined for other formats and for zstd-compressed text,
 * which DuckDB then sniffs, still in strict mode). Throws a UserError naming the file and line.
 */
export async function checkDataFile(file: string, format: DataFormat): Promise<CsvHead | undefined> {
  const { size } = await stat(file);
  if (size === 0) throw new UserError("the file is empty", { where: file });
  if (format !== "csv" && format !== "tsv") return undefined;
  if (/\.zst$/i.test(file)) return undefined;
  const { bytes, complete } = /\.gz$/i.test(file) ? await gunzipHead(file) : await readHead(file, size);
  return inspectCsvHead(bytes, complete, format, file);
}

async function readHead(file: string, size: number): Promise<{ bytes: Buffer; complete: boolean }> {
  const handle = await open(file, "r");
  try {
    const length = Math.min(size, HEAD_BYTES);
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await handle.read(bytes, 0, length, 0);
    return { bytes: bytes.subarray(0, bytesRead), complete: bytesRead >= size };
  } finally {
    await handle.close();
  }
}

async function gunzipHead(file: string): Promise<{ bytes: Buffer; complete: boolean }> {
  const parts: Buffer[] = [];
  let length = 0;
  const stream = createReadStream(file).pipe(createGunzip());
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parts.push(chunk);
      length += chunk.length;
      if (length >= HEAD_BYTES) {
        stream.destroy();
        return { bytes: Buffer.concat(parts).subarray(0, HEAD_BYTES), complete: false };
      }
    }
  } catch (error) {
    throw new UserError(`not readable as gzip: ${error instanceof Error ? error.message : String(error)}`, {
      where: file,
      cause: error,
    });
  }
  return { bytes: Buffer.concat(parts), complete: true };
}

/** The position of the first byte that is not UTF-8, or -1; an incomplete sequence at a cut end is fine. */
export function firstInvalidUtf8(bytes: Uint8Array, complete: boolean): number {
  for (let i = 0; i < bytes.length;) {
    const byte = bytes[i]!;
    if (byte < 0x80) {
      i++;
      continue;
    }
    const length =
      byte >= 0xc2 && byte <= 0xdf
        ? 2
        : byte >= 0xe0 && byte <= 0xef
          ? 3
          : byte >= 0xf0 && byte <= 0xf4
            ? 4
            : 0;
    if (length === 0) return i;
    if (i + length > bytes.length) return complete ? i : -1;
    for (let k = 1; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    const second = bytes[i + 1]!;
    // Overlong forms, UTF-16 surrogates and code points beyond U+10FFFF.
    if (byte === 0xe0 && second < 0xa0) return i;
    if (byte === 0xed && second > 0x9f) return i;
    if (byte === 0xf0 && second < 0x90) return i;
    if (byte === 0xf4 && second > 0x8f) return i;
    i += length;
  }
  return -1;
}

function lineAt(bytes: Uint8Array, position: number): number {
  let line = 1;
  for (let i = 0; i < position; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

interface ParsedHead {
  header: string[];
  /** Data records: the line each starts on and its number of values. */
  records: Array<{ line: number; values: number }>;
  /** The line of a quote still open where the text ends. */
  openQuoteLine?: number;
}

/**
 * Records of CSV text under RFC 4180 (a quote opens a value only at its start; `""` inside quotes is a
 * quote), skipping blank lines as DuckDB does. With `complete` false the last, possibly cut, record is
 * dropped. `maxRecords` stops early (the header alone: 1).
 */
function parseCsv(
  text: string,
  delimiter: string,
  quote: string,
  complete: boolean,
  maxRecords = Infinity,
): ParsedHead {
  const header: string[] = [];
  const records: ParsedHead["records"] = [];
  let line = 1;
  let recordLine = 1;
  let values = 1;
  let field = "";
  let fieldStart = true;
  let inQuotes = false;
  let quoteLine = 1;
  let empty = true;
  let isHeader = true;
  const endRecord = (): boolean => {
    if (isHeader) {
      if (empty && values === 1 && field === "") return false;
      header.push(field.replace(/\r$/, ""));
      isHeader = false;
    } else if (!(empty && values === 1)) records.push({ line: recordLine, values });
    return header.length > 0 && records.length + 1 >= maxRecords;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === quote) {
        if (text[i + 1] === quote) {
          if (isHeader) field += quote;
          i++;
        } else inQuotes = false;
      } else {
        if (c === "\n") line++;
        if (isHeader) field += c;
      }
      continue;
    }
    if (c === "\r" && text[i + 1] === "\n") continue;
    // A lone carriage return ends a line too (old Mac line endings), as DuckDB reads it.
    if (c === "\n" || c === "\r") {
      if (endRecord()) return { header, records };
      line++;
      recordLine = line;
      values = 1;
      field = "";
      fieldStart = true;
      empty = true;
      continue;
    }
    empty = false;
    if (c === delimiter) {
      values++;
      if (isHeader) header.push(field);
      field = "";
      fieldStart = true;
      continue;
    }
    if (c === quote && fieldStart) {
      inQuotes = true;
      quoteLine = line;
    } else if (isHeader) field += c;
    fieldStart = false;
  }
  if (inQuotes) return complete ? { header, records, openQuoteLine: quoteLine } : { header, records };
  if (complete && !empty) endRecord();
  return { header, records };
}

/** The dialect and header of CSV/TSV bytes (the file's head), or a UserError saying what is wrong where. */
export function inspectCsvHead(
  bytes: Buffer,
  complete: boolean,
  format: "csv" | "tsv",
  file: string,
): CsvHead {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const invalid = firstInvalidUtf8(bytes.subarray(start), complete);
  if (invalid >= 0) {
    const at = start + invalid;
    throw new UserError(
      `byte ${at} (0x${bytes[at]!.toString(16).padStart(2, "0")}) is not UTF-8 text: save the file as UTF-8`,
      { where: `${file}:${lineAt(bytes, at)}` },
    );
  }
  const text = bytes.subarray(start).toString("utf8");
  if (text.trim() === "") throw new UserError("the file is empty (no header, no rows)", { where: file });
  const quote = '"';
  const delimiter =
    format === "tsv"
      ? "\t"
      : CSV_DELIMITERS.map((d) => ({ d, n: parseCsv(text, d, quote, complete, 1).header.length })).reduce(
          (best, next) => (next.n > best.n ? next : best),
        ).d;
  const parsed = parseCsv(text, delimiter, quote, complete);
  if (parsed.openQuoteLine !== undefined)
    throw new UserError(
      `a quoted value opened on line ${parsed.openQuoteLine} is never closed (an unmatched ")`,
      {
        where: `${file}:${parsed.openQuoteLine}`,
      },
    );
  const columns = parsed.header.length;
  for (const record of parsed.records)
    if (record.values !== columns)
      throw new UserError(valueCountMessage(record.values, columns), { where: `${file}:${record.line}` });
  if (complete && parsed.records.length === 0)
    throw new UserError("the file has a header but no data rows", { where: `${file}:1` });
  return { delimiter, quote, escape: quote, columns: parsed.header };
}

function valueCountMessage(found: number, expected: number): string {
  return found < expected
    ? `this row has ${found} value${found === 1 ? "" : "s"} but the header has ${expected} columns (a short or cut-off row)`
    : `this row has ${found} values but the header has ${expected} columns (a delimiter inside an unquoted value?)`;
}

/**
 * The first row a strict CSV scan rejected (see engine `strictCsvOptions`), as a UserError at its file and
 * line; undefined when none was, or when only type conversions failed (`conversions` then says so: the
 * caller re-reads with types sniffed from the whole file).
 */
export function rejectedRowError(
  rejected: { file: string; line: number; errorType: string; message: string } | undefined,
  locate: LocationOf,
): UserError | undefined {
  if (!rejected || rejected.errorType === "CAST") return undefined;
  const where = locate(rejected.file, rejected.line);
  const counts = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(rejected.message);
  if (counts && (rejected.errorType === "MISSING COLUMNS" || rejected.errorType === "TOO MANY COLUMNS"))
    return new UserError(valueCountMessage(Number(counts[2]), Number(counts[1])), { where });
  if (rejected.errorType === "UNQUOTED VALUE" || /unterminated quote/i.test(rejected.message))
    return new UserError(`a quoted value is never closed, or text follows a closing quote (an unmatched ")`, {
      where,
    });
  if (rejected.errorType === "INVALID UNICODE")
    return new UserError("this row has bytes that are not UTF-8 text: save the file as UTF-8", { where });
  if (rejected.errorType === "LINE SIZE OVER MAXIMUM")
    return new UserError(
      "this row is longer than DuckDB's max_line_size (2 MB): a missing newline or quote?",
      {
        where,
      },
    );
  return new UserError(`cannot read this row: ${firstSentence(rejected.message)}`, { where });
}

/** Maps a file DuckDB names (a partition's copy) to the user's file and line. */
export type LocationOf = (file: string | undefined, line: number | undefined) => string;

/**
 * DuckDB's read error in the user's words (what is wrong, and the file and line), or undefined when
 * it is not a data error (a bug, or a type conversion the caller retries).
 */
export function readErrorOf(error: unknown, locate: LocationOf): UserError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const csv = /CSV Error on Line: (\d+)/.exec(message);
  if (csv) {
    const line = Number(csv[1]);
    const file = /^\s*file = (.+)$/m.exec(message)?.[1]?.trim();
    const where = locate(file, line);
    const counts = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
    if (counts)
      return new UserError(valueCountMessage(Number(counts[2]), Number(counts[1])), { where, cause: error });
    if (/unterminated quote/i.test(message))
      return new UserError(`a quoted value is never closed (an unmatched ")`, { where, cause: error });
    if (/invalid unicode|not utf-8/i.test(message))
      return new UserError("this row has bytes that are not UTF-8 text: save the file as UTF-8", {
        where,
        cause: error,
      });
    if (/could not convert|conversion error/i.test(message)) return undefined;
    return new UserError(`cannot read this row: ${firstSentence(message.split("\n")[2] ?? message)}`, {
      where,
      cause: error,
    });
  }
  const json = /Malformed JSON in file "(.+?)", at byte (\d+) in line (\d+): ([^\n]*)/.exec(message);
  if (json)
    // DuckDB's line is where its JSON parser gave up: the bad record may end just before it.
    return new UserError(`malformed JSON at or just before line ${json[3]}: ${firstSentence(json[4]!)}`, {
      where: locate(json[1], undefined),
      cause: error,
    });
  const magic = /No magic bytes found at (?:the )?(?:end|start|beginning) of file '(.+?)'/.exec(message);
  if (magic)
    return new UserError("not a Parquet file, or a cut-off one: its PAR1 footer is missing", {
      where: locate(magic[1], undefined),
      cause: error,
    });
  if (
    /parquet|thrift|corrupt/i.test(message) &&
    /Invalid Input Error|IO Error|Invalid Error/i.test(message)
  ) {
    const file = /'([^']+\.(?:parquet|pq))'|"([^"]+\.(?:parquet|pq))"/i.exec(message);
    return new UserError(`corrupt Parquet: ${firstSentence(message)}`, {
      where: locate(file?.[1] ?? file?.[2], undefined),
      cause: error,
    });
  }
  return undefined;
}

/** The first line of a DuckDB message, without its error class and SQL echo. */
function firstSentence(message: string): string {
  return message
    .split("\n")[0]!
    .replace(/^[A-Za-z ]*Error: /, "")
    .trim()
    .replace(/\.$/, "");
}
