/**
 * The data files a suite reads, each loaded once into a DuckDB table that every check then queries:
 * expectations and train/test checks together cost one parse of each file, however many checks there are.
 *
 * The tables live in the instance's in-memory database (not TEMP, which one connection alone sees), so
 * that checks on different tables run at once on up to MAX_CONNECTIONS connections: many of their
 * aggregates (exact distinct counts, quantiles) finish on one thread, leaving the other cores idle.
 *
 * Tables keep the types DuckDB's CSV sniffer infers (so `column_values_to_be_of_type` sees what a reader
 * would); when a value late in a file does not fit the sampled type, the file is re-read with the whole
 * file as the sample. DuckDB, its reader SQL and quoting come from monitor/read/engine.
 */
import { realpath } from "node:fs/promises";
import * as path from "node:path";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { checkDataFile, readErrorOf, type CsvHead } from "../monitor/read/checks";
import {
  globFiles,
  openDataEngine,
  queryRows,
  quoteIdent,
  tableReaderSql,
  type DataEngine,
  type DuckDBConnection,
} from "../monitor/read/engine";
import { assertJsonDepth, assertReadable, formatOf, isGlob, type DataFormat } from "../monitor/read/files";

export { quoteIdent, quoteString } from "../monitor/read/engine";

export interface TableColumn {
  name: string;
  /** DuckDB's type name, e.g. BIGINT, DOUBLE, VARCHAR, BOOLEAN, DATE, TIMESTAMP. */
  type: string;
}

export interface LoadedTable {
  /** The data name in the suite (`train`, `test`, …). */
  name: string;
  /** The table to query, already quoted for SQL. */
  sql: string;
  columns: TableColumn[];
  rows: number;
  /** The path as the user wrote it (relative to the model's folder), for messages. */
  source: string;
}

/** Statements that may run at once: one per check chain (expectations, train/test). */
const MAX_CONNECTIONS = 2;

/** A lazily loaded set of named data files over a few DuckDB connections. Close it when done. */
export class SuiteData {
  private readonly loaded = new Map<string, Promise<LoadedTable>>();
  private readonly connections: DuckDBConnection[];
  private readonly idle: DuckDBConnection[];
  private readonly waiting: Array<(connection: DuckDBConnection) => void> = [];

  private constructor(
    private readonly engine: DataEngine,
    /** The first connection (for statements of one's own, e.g. in tests); queries use any idle one. */
    readonly connection: DuckDBConnection,
    private readonly files: Record<string, string>,
    private readonly baseDir: string,
    private readonly logger?: Logger,
    private readonly root?: string,
  ) {
    this.connections = [connection];
    this.idle = [connection];
  }

  /**
   * `files`: data name → path or glob relative to `baseDir` (the model's folder). Nothing is read until a
   * check asks for a table.
   */
  static async open(options: {
    baseDir: string;
    files: Record<string, string>;
    /**
     * The repository root: every data path must stay inside it, symlinks resolved (a shared suite is
     * untrusted, and what it reads ends up in the report). Without it, paths are not limited.
     */
    root?: string;
    logger?: Logger;
    threads?: number;
  }): Promise<SuiteData> {
    const engine = await openDataEngine({ threads: options.threads });
    return new SuiteData(
      engine,
      engine.connection,
      options.files,
      options.baseDir,
      options.logger,
      options.root,
    );
  }

  /** The data names the suite declared (or that default from the model's outputs). */
  get names(): string[] {
    return Object.keys(this.files);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.files, name);
  }

  /** Loads (once) and describes the named data; a missing name or file is a UserError. */
  table(name: string): Promise<LoadedTable> {
    let table = this.loaded.get(name);
    if (!table) {
      table = this.load(name);
      this.loaded.set(name, table);
    }
    return table;
  }

  /** Runs a query and returns its rows as plain JS objects (BIGINT comes back as bigint: cast counts to DOUBLE). */
  async query(sql: string): Promise<Array<Record<string, unknown>>> {
    return this.withConnection(async (connection) => {
      return queryRows(connection, sql);
    });
  }

  close(): void {
    this.engine.close();
  }

  private async withConnection<T>(use: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    let connection = this.idle.pop();
    if (!connection && this.connections.length < MAX_CONNECTIONS) {
      connection = await this.engine.connect();
      this.connections.push(connection);
    }
    connection ??= await new Promise<DuckDBConnection>((resolve) => this.waiting.push(resolve));
    try {
      return await use(connection);
    } finally {
      const next = this.waiting.shift();
      if (next) next(connection);
      else this.idle.push(connection);
    }
  }

  /** The files a path or glob names, each checked; the CSV dialect they share. */
  private async checkFiles(
    absolute: string,
    source: string,
    format: DataFormat,
  ): Promise<CsvHead | undefined> {
    let files = [absolute];
    if (isGlob(absolute)) {
      files = await this.withConnection((connection) => globFiles(connection, absolute));
      if (files.length === 0) throw new UserError("no file matches this pattern", { where: source });
    }
    return checkSuiteFiles(files, absolute, source, format);
  }

  private run(sql: string): Promise<void> {
    return this.withConnection(async (connection) => {
      await connection.run(sql);
    });
  }

  private async load(name: string): Promise<LoadedTable> {
    if (!this.has(name)) {
      const known = this.names.length > 0 ? this.names.join(", ") : "none";
      throw new UserError(
        `no data named \`${name}\` (declared: ${known}); add it under the suite's \`data\``,
      );
    }
    const source = this.files[name]!;
    const absolute = path.resolve(this.baseDir, source);
    if (this.root !== undefined) await assertInsideRepository(this.root, this.baseDir, source);
    if (!isGlob(absolute)) {
      try {
        await assertReadable(absolute);
      } catch (error) {
        // Say it with the path as the user wrote it in the suite.
        if (error instanceof UserError) throw new UserError(error.message, { where: source, cause: error });
        throw error;
      }
      if (this.root !== undefined) await assertRealpathInside(this.root, absolute, source);
    }
    const format = formatOf(absolute);
    const head = await this.checkFiles(absolute, source, format);
    const table = quoteIdent(`data_${this.loaded.size}_${name}`);
    const started = Date.now();
    // Messages name the file as the suite does (a glob's files by their own path).
    const locate = (file: string | undefined, line: number | undefined): string => {
      const shown = !file || path.resolve(file) === absolute ? source : file;
      return line === undefined ? shown : `${shown}:${line}`;
    };
    try {
      await this.run(
        `CREATE TABLE ${table} AS SELECT * FROM ${tableReaderSql(format, absolute, false, head)}`,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const readError = readErrorOf(error, locate);
      if (readError) throw readError;
      if (/could not convert|conversion error|sniff/i.test(message)) {
        await this.run(`DROP TABLE IF EXISTS ${table}`);
        try {
          await this.run(
            `CREATE TABLE ${table} AS SELECT * FROM ${tableReaderSql(format, absolute, true, head)}`,
          );
        } catch (retry) {
          throw readErrorOf(retry, locate) ?? unreadable(source, retry);
        }
      } else if (/no files found/i.test(message)) {
        throw new UserError("no file matches this pattern", { where: source });
      } else {
        throw unreadable(source, error);
      }
    }
    const described = await this.query(`DESCRIBE ${table}`);
    const columns = described.map((row) => ({
      name: String(row.column_name),
      type: String(row.column_type),
    }));
    const [{ n }] = (await this.query(`SELECT count(*)::DOUBLE AS n FROM ${table}`)) as [{ n: number }];
    if (n === 0) throw new UserError("the data holds no rows", { where: source });
    this.logger?.debug(
      `suite data ${name}: ${n} rows × ${columns.length} columns from ${source} in ${Date.now() - started} ms`,
    );
    return { name, sql: table, columns, rows: n, source };
  }
}

const outside = (source: string, why: string) =>
  new UserError(`data paths must stay inside the repository: this one ${why}`, { where: source });

/**
 * `source` (relative to `baseDir`) names files inside `root`: not absolute, no `..` out of it, and the
 * folder a glob starts from is inside it once symlinks are resolved.
 */
async function assertInsideRepository(root: string, baseDir: string, source: string): Promise<void> {
  if (path.isAbsolute(source) || /^[A-Za-z]:[\\/]/.test(source) || source.startsWith("\\"))
    throw outside(source, "is absolute");
  const absolute = path.resolve(baseDir, source);
  if (!isInside(path.resolve(root), absolute)) throw outside(source, "leads out of it");
  if (isGlob(absolute)) {
    const segments = absolute.split(path.sep);
    const firstGlob = segments.findIndex((segment) => isGlob(segment));
    const start = segments.slice(0, firstGlob).join(path.sep) || path.sep;
    const real = await realpathOrUndefined(start);
    if (real !== undefined && !isInside(await realRoot(root), real))
      throw outside(source, "starts in a folder that is a link out of it");
  }
}

async function assertRealpathInside(root: string, file: string, source: string): Promise<void> {
  const real = await realpathOrUndefined(file);
  if (real !== undefined && !isInside(await realRoot(root), real))
    throw outside(source, "is a link to a file out of it");
}

async function realRoot(root: string): Promise<string> {
  return (await realpathOrUndefined(root)) ?? path.resolve(root);
}

function realpathOrUndefined(file: string): Promise<string | undefined> {
  return realpath(file).catch(() => undefined);
}

function isInside(folder: string, file: string): boolean {
  const back = path.relative(folder, file);
  return back === "" || (!back.startsWith(`..${path.sep}`) && back !== ".." && !path.isAbsolute(back));
}

/**
 * Checks each file of the data (see monitor/read/checks) and returns the CSV dialect they share, if
 * they do. An error names the file as the suite does.
 */
async function checkSuiteFiles(
  files: string[],
  absolute: string,
  source: string,
  format: DataFormat,
): Promise<CsvHead | undefined> {
  const heads: Array<CsvHead | undefined> = [];
  for (const file of files) {
    try {
      if (format === "jsonl") await assertJsonDepth(file);
      heads.push(await checkDataFile(file, format));
    } catch (error) {
      if (!(error instanceof UserError) || file !== absolute) throw error;
      const line = error.where?.startsWith(`${file}:`) ? error.where.slice(file.length) : "";
      throw new UserError(error.message, { where: `${source}${line}`, cause: error });
    }
  }
  const first = heads[0];
  return first && heads.every((h) => h?.delimiter === first.delimiter && h.quote === first.quote)
    ? first
    : undefined;
}

function unreadable(source: string, error: unknown): UserError {
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0];
  return new UserError(`cannot read this data file: ${message}`, { where: source, cause: error });
}

const INTEGER_TYPES = new Set([
  "TINYINT",
  "SMALLINT",
  "INTEGER",
  "BIGINT",
  "HUGEINT",
  "UTINYINT",
  "USMALLINT",
  "UINTEGER",
  "UBIGINT",
  "UHUGEINT",
]);

/** What a DuckDB column type is, in the words `column_values_to_be_of_type` uses. */
export type TypeFamily = "integer" | "float" | "string" | "boolean" | "date" | "timestamp";

/** The family of a DuckDB type; undefined for the others (lists, structs, intervals, …). */
export function typeFamily(type: string): TypeFamily | undefined {
  if (INTEGER_TYPES.has(type)) return "integer";
  if (type === "FLOAT" || type === "DOUBLE" || type.startsWith("DECIMAL")) return "float";
  if (type === "VARCHAR" || type.startsWith("ENUM")) return "string";
  if (type === "BOOLEAN") return "boolean";
  if (type === "DATE") return "date";
  if (type.startsWith("TIMESTAMP")) return "timestamp";
  return undefined;
}
