/**
 * The data engine: the one module that opens DuckDB. Suites, profiling and performance monitoring get
 * their connections and their file readers here, so that a data file is read the same way (strict CSV,
 * same quoting) wherever gitml reads it, and a missing engine is the same user error everywhere.
 *
 * `@duckdb/node-api` is native: it is imported lazily (only code that reads data loads it) and must stay
 * an external module in every bundle (esbuild `external: ["@duckdb/node-api"]`). In an action the
 * package may come from a cache: `CommandContext.prepareDataEngine` makes it resolvable, and commands
 * call it before anything here loads the package.
 *
 * DuckDB 1.5.5 work-arounds the readers' callers rely on (duckdb/duckdb#22352 and its kin):
 * - a window over `ORDER BY … LIMIT` fails now and then on several threads: count in one query, list
 *   the first few in another;
 * - a streamed result that fails part-way ends like a finished one (the C API gives no error): after a
 *   streamed scan, a count that is not streamed (or the CSV rejects tables, see `rejectsOptions`) says
 *   whether every row was read;
 * - a sniffer prompt's `new_line='\r\n'` read in strict mode gives no rows: the line ending is left to
 *   DuckDB (see duckdb.ts `sniffCsvFile`).
 */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { UserError } from "../../util/errors";
import type { CsvHead } from "./checks";
import type { DataFormat } from "./files";

export type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBVector } from "@duckdb/node-api";

type DuckDbModule = typeof import("@duckdb/node-api");

/** The engine's package, loaded once; its absence is the user's to fix (install it), not a crash. */
export async function loadDuckDb(): Promise<DuckDbModule> {
  try {
    return await import("@duckdb/node-api");
  } catch (error) {
    throw new UserError(
      "reading data files needs the @duckdb/node-api package (npm install @duckdb/node-api)",
      {
        cause: error,
      },
    );
  }
}

export interface EngineSettings {
  /** DuckDB's memory_limit, e.g. "1GB" (it spills to disk beyond it); DuckDB's own default when absent. */
  memoryLimit?: string;
  threads?: number;
  /** Rows may come back in any order (a streaming scan that aggregates needs none, and runs faster). */
  anyRowOrder?: boolean;
  /** Track query progress (how much of the input was read), for `DataEngine.progress`. */
  progress?: boolean;
}

/** One in-memory DuckDB database and its first connection. Close it when done. */
export interface DataEngine {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
  /** Another connection to the same database (statements on it run alongside the first's). */
  connect(): Promise<DuckDBConnection>;
  /** Closes the connections made here and the database. */
  close(): void;
}

export async function openDataEngine(settings: EngineSettings = {}): Promise<DataEngine> {
  const duckdb = await loadDuckDb();
  const config: Record<string, string> = {};
  if (settings.memoryLimit) config.memory_limit = settings.memoryLimit;
  if (settings.threads) config.threads = String(settings.threads);
  const instance = await duckdb.DuckDBInstance.create(":memory:", config);
  const connections: DuckDBConnection[] = [];
  const connect = async (): Promise<DuckDBConnection> => {
    const connection = await instance.connect();
    connections.push(connection);
    if (settings.anyRowOrder) await connection.run("SET preserve_insertion_order = false");
    if (settings.progress)
      await connection.run("SET enable_progress_bar = true; SET enable_progress_bar_print = false");
    return connection;
  };
  const connection = await connect();
  return {
    instance,
    connection,
    connect,
    close: () => {
      for (const open of connections) open.closeSync();
      instance.closeSync();
    },
  };
}

/** A query's rows as plain JS objects (BIGINT comes back as bigint: cast counts to DOUBLE). */
export async function queryRows(
  connection: DuckDBConnection,
  sql: string,
): Promise<Array<Record<string, unknown>>> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
}

/** The files a glob matches, in name order (none: an empty list). */
export async function globFiles(connection: DuckDBConnection, pattern: string): Promise<string[]> {
  const matched = await queryRows(connection, `SELECT file FROM glob(${quoteString(pattern)}) ORDER BY file`);
  return matched.map((row) => String(row.file));
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const quoteString = (text: string): string => `'${text.replace(/'/g, "''")}'`;
export const fileList = (files: string[]): string => `[${files.map(quoteString).join(", ")}]`;

/**
 * DuckDB read_csv options that make it read exactly this dialect and reject any row that does not fit
 * (see ./checks for why). With `rejects` (a name), a bad row is not thrown but kept in DuckDB's rejects
 * tables `<name>_errors` and `<name>_scans`: a streamed result that fails part-way ends like one that is
 * done (the C API's fetch_chunk returns no chunk either way, and @duckdb/node-api gives no error), so a
 * streaming reader must look there once its scan ends (see ./checks `rejectedRowError`).
 */
export function strictCsvOptions(head: CsvHead | undefined, format: "csv" | "tsv", rejects?: string): string {
  const dialect = head
    ? `, delim = ${quoteString(head.delimiter)}, quote = ${quoteString(head.quote)}, escape = ${quoteString(head.escape)}`
    : format === "tsv"
      ? ", delim = '\\t'"
      : "";
  return `, header = true${dialect}, strict_mode = true, null_padding = false${rejectsOptions(rejects)}`;
}

export function rejectsOptions(rejects: string | undefined): string {
  return rejects === undefined
    ? ", ignore_errors = false"
    : `, ignore_errors = true, store_rejects = true, rejects_table = ${quoteString(`${rejects}_errors`)}, rejects_scan = ${quoteString(`${rejects}_scans`)}`;
}

/** The same options for a read that takes every column as text (to find the line a sniff choked on). */
export function varcharCsvOptions(head: CsvHead): string {
  const columns = head.columns.map((name, i) => `${quoteString(name || `column${i}`)}: 'VARCHAR'`).join(", ");
  return `, auto_detect = false, columns = {${columns}}${strictCsvOptions(head, "csv")}`;
}

/**
 * A suite's table: the types DuckDB's sniffer infers (so `column_values_to_be_of_type` sees what a reader
 * would); `fullSample` sniffs the whole file, for a value late in it that does not fit the sampled type.
 */
export function tableReaderSql(
  format: DataFormat,
  pattern: string,
  fullSample: boolean,
  head?: CsvHead,
): string {
  const file = quoteString(pattern);
  switch (format) {
    case "csv":
    case "tsv":
      return `read_csv(${file}${strictCsvOptions(head, format)}, union_by_name = true${
        fullSample ? ", sample_size = -1" : ""
      })`;
    case "jsonl":
      return `read_json(${file}, format = 'newline_delimited', union_by_name = true${fullSample ? ", sample_size = -1" : ""})`;
    case "parquet":
      return `read_parquet(${file}, union_by_name = true)`;
  }
}

/** The CSV dialect every file's checked head agrees on, if they do (else DuckDB sniffs each, strictly). */
export function sharedHead(files: string[], heads?: Map<string, CsvHead | undefined>): CsvHead | undefined {
  const first = heads?.get(files[0]!);
  return first &&
    files.every((f) => {
      const h = heads?.get(f);
      return h?.delimiter === first.delimiter && h.quote === first.quote;
    })
    ? first
    : undefined;
}

/** Column types a profile scan sniffs CSV into (numbers as DOUBLE, see `profileReaderSql`). */
export const PROFILE_TYPE_CANDIDATES = "auto_type_candidates = ['BOOLEAN', 'DOUBLE', 'VARCHAR']";

/**
 * The files of a profile scan. CSV/TSV: strict, with the dialect the files' heads agree on. Parquet
 * rows carry their file and row number, for partitions by row range.
 */
export function profileReaderSql(
  format: DataFormat,
  files: string[],
  fullSample: boolean,
  heads?: Map<string, CsvHead | undefined>,
): string {
  const list = fileList(files);
  switch (format) {
    case "csv":
    case "tsv":
      // Numbers are read as DOUBLE: the sniffer types columns from a sample and would silently round a
      // late "12.5" into a BIGINT column. Integer-ness is decided from the data instead.
      return `read_csv(${list}${strictCsvOptions(sharedHead(files, heads), format)}, union_by_name = true, ${PROFILE_TYPE_CANDIDATES}${
        fullSample ? ", sample_size = -1" : ""
      })`;
    case "jsonl":
      return `read_json(${list}, format = 'newline_delimited', union_by_name = true${fullSample ? ", sample_size = -1" : ""})`;
    case "parquet":
      return `read_parquet(${list}, union_by_name = true, filename = true, file_row_number = true)`;
  }
}

/**
 * Every cell as written (CSV read as text, so labels compare as they do in a predictions file), each row
 * with its `filename`.
 */
export function textReaderSql(format: DataFormat, path: string): string {
  const file = quoteString(path);
  switch (format) {
    case "csv":
    case "tsv":
      return `read_csv(${file}, header = true, union_by_name = true, all_varchar = true, filename = true${format === "tsv" ? ", delim = '\\t'" : ""})`;
    case "jsonl":
      return `read_json(${file}, format = 'newline_delimited', union_by_name = true, filename = true)`;
    case "parquet":
      return `read_parquet(${file}, union_by_name = true, filename = true)`;
  }
}
