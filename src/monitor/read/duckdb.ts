/**
 * The profiling engine: DuckDB computes every statistic in SQL, streaming over the files, so memory
 * depends on the number of columns, buckets and distinct values kept, not on rows. Chosen after
 * measuring (1M rows × 20 columns): DuckDB 0.5 s (Parquet) / 1.6 s (CSV) for all histograms, against
 * 13 s for one csv-parse pass and 4.6 s with 876 MB RSS for hyparquet.
 *
 * `@duckdb/node-api` is native: it is imported lazily here, so that only `profileData` loads it, and it
 * must stay an external module in any bundle (esbuild `external: ["@duckdb/node-api"]`).
 *
 * Two passes: (1) one aggregate query for counts, NaN/±Inf, min/max/mean/variance/Σ|x| and an
 * approximate distinct count per column; (2) one query of histogram() aggregates: the sketch buckets of
 * every numeric column and the value counts of columns whose approximate distinct count is small enough
 * to keep exactly. High-cardinality string columns get a top-K query each.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { UserError } from "../../util/errors";
import type { Logger } from "../../util/logger";
import {
  PROFILE_FORMAT,
  PROFILE_VERSION,
  valueCountsFromMap,
  type ColumnProfile,
  type DatasetProfile,
  type ProfileSettings,
  type StorageKind,
  type Value,
} from "../profile";
import { gammaOf, SketchAccumulator } from "../sketch";
import { partitionRange, type DataFormat, type Partition } from "./files";

export interface DuckDbProfileOptions {
  files: string[];
  format: DataFormat;
  settings: ProfileSettings;
  partition?: Partition;
  columns?: string[];
  /** DuckDB's memory_limit, e.g. "1GB" (it spills to disk beyond it). */
  memoryLimit?: string;
  threads?: number;
  logger?: Logger;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const quoteString = (text: string): string => `'${text.replace(/'/g, "''")}'`;
const fileList = (files: string[]): string => `[${files.map(quoteString).join(", ")}]`;

function readerSql(format: DataFormat, files: string[], fullSample: boolean): string {
  const list = fileList(files);
  switch (format) {
    case "csv":
    case "tsv":
      // Numbers are read as DOUBLE: the sniffer types columns from a sample and would silently round a
      // late "12.5" into a BIGINT column. Integer-ness is decided from the data instead (see `integral`).
      return `read_csv(${list}, header = true, union_by_name = true, auto_type_candidates = ['BOOLEAN', 'DOUBLE', 'VARCHAR']${format === "tsv" ? ", delim = '\\t'" : ""}${
        fullSample ? ", sample_size = -1" : ""
      })`;
    case "jsonl":
      return `read_json(${list}, format = 'newline_delimited', union_by_name = true${fullSample ? ", sample_size = -1" : ""})`;
    case "parquet":
      return `read_parquet(${list}, union_by_name = true, filename = true, file_row_number = true)`;
  }
}

function kindOfSqlType(type: string): StorageKind {
  const t = type.toUpperCase();
  if (t === "BOOLEAN") return "boolean";
  if (/^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|UHUGEINT)$/.test(t)) return "integer";
  if (/^(FLOAT|DOUBLE|REAL)$/.test(t) || t.startsWith("DECIMAL")) return "float";
  if (t === '"NULL"' || t === "NULL") return "null";
  return "string";
}

const num = (v: unknown): number => (v === null || v === undefined ? NaN : Number(v));

interface SourceColumn {
  name: string;
  kind: StorageKind;
  /** SQL expression of the column as DOUBLE (numeric) or VARCHAR (everything else). */
  expr: string;
}

async function openConnection(
  options: DuckDbProfileOptions,
): Promise<{ connection: DuckDBConnection; close: () => void }> {
  let duckdb: typeof import("@duckdb/node-api");
  try {
    duckdb = await import("@duckdb/node-api");
  } catch (error) {
    throw new UserError("profiling data needs the @duckdb/node-api package (npm install @duckdb/node-api)", {
      cause: error,
    });
  }
  const config: Record<string, string> = { memory_limit: options.memoryLimit ?? "1GB" };
  if (options.threads) config.threads = String(options.threads);
  const instance = await duckdb.DuckDBInstance.create(":memory:", config);
  const connection = await instance.connect();
  await connection.run("SET preserve_insertion_order = false");
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

async function rows(connection: DuckDBConnection, sql: string): Promise<Array<Record<string, unknown>>> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Array<Record<string, unknown>>;
}

/** The FROM clause, restricted to this partition's row range when partitioning a Parquet file set by rows. */
async function sourceSql(
  connection: DuckDBConnection,
  options: DuckDbProfileOptions,
  fullSample: boolean,
): Promise<string> {
  const { files, format, partition } = options;
  const reader = readerSql(format, files, fullSample);
  if (!partition || partition.count === 1) return reader;
  if (format !== "parquet")
    throw new UserError(
      `cannot split ${files.length} ${format} file(s) into ${partition.count} partitions by rows: give at least ${partition.count} files or use Parquet`,
    );
  // Row ranges over the concatenation of the files, from Parquet metadata (no data is read).
  const counts = await rows(
    connection,
    `SELECT file_name, sum(num_rows)::BIGINT AS n FROM (SELECT DISTINCT file_name, row_group_id, row_group_num_rows AS num_rows FROM parquet_metadata(${fileList(files)})) GROUP BY file_name`,
  );
  const perFile = new Map(counts.map((r) => [String(r.file_name), num(r.n)]));
  const total = files.reduce((s, f) => s + (perFile.get(f) ?? 0), 0);
  const [start, end] = partitionRange(total, partition);
  const conditions: string[] = [];
  let offset = 0;
  for (const file of files) {
    const n = perFile.get(file) ?? 0;
    const lo = Math.max(start, offset) - offset;
    const hi = Math.min(end, offset + n) - offset;
    if (hi > lo)
      conditions.push(
        `(filename = ${quoteString(file)} AND file_row_number >= ${lo} AND file_row_number < ${hi})`,
      );
    offset += n;
  }
  if (conditions.length === 0) return `(SELECT * FROM ${reader} WHERE false)`;
  return `(SELECT * FROM ${reader} WHERE ${conditions.join(" OR ")})`;
}

async function describe(
  connection: DuckDBConnection,
  source: string,
  options: DuckDbProfileOptions,
): Promise<SourceColumn[]> {
  const described = await rows(connection, `DESCRIBE SELECT * FROM ${source}`);
  const hidden = options.format === "parquet" ? new Set(["filename", "file_row_number"]) : new Set<string>();
  const wanted = options.columns ? new Set(options.columns) : undefined;
  return described
    .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }))
    .filter((c) => !hidden.has(c.name) && (!wanted || wanted.has(c.name)))
    .map((c) => {
      const kind = kindOfSqlType(c.type);
      const id = quoteIdent(c.name);
      const expr =
        kind === "integer" || kind === "float" ? `TRY_CAST(${id} AS DOUBLE)` : `CAST(${id} AS VARCHAR)`;
      return { name: c.name, kind, expr };
    });
}

export async function profileWithDuckDb(options: DuckDbProfileOptions): Promise<DatasetProfile> {
  const { connection, close } = await openConnection(options);
  try {
    try {
      return await runProfile(connection, options, false);
    } catch (error) {
      // The sniffer types columns from a sample; a later row that does not fit needs a full-file sniff.
      if (!/Conversion Error|Could not convert|sniff/i.test(String(error))) throw error;
      options.logger?.debug(`retrying with a full-file type sniff: ${String(error)}`);
      return await runProfile(connection, options, true);
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      `cannot read ${options.format} data: ${error instanceof Error ? error.message : String(error)}`,
      {
        where:
          options.files.length === 1
            ? options.files[0]
            : `${options.files[0]} (+${options.files.length - 1} files)`,
        cause: error,
      },
    );
  } finally {
    close();
  }
}

async function runProfile(
  connection: DuckDBConnection,
  options: DuckDbProfileOptions,
  fullSample: boolean,
): Promise<DatasetProfile> {
  const { settings } = options;
  const source = await sourceSql(connection, options, fullSample);
  const columns = await describe(connection, source, options);
  const isNumeric = (c: SourceColumn): boolean => c.kind === "integer" || c.kind === "float";
  // Text formats carry no integer/float distinction that survives sniffing: a column is integer when
  // every finite value is integral (as JavaScript's JSON.parse sees 1.0 as 1).
  const integral = (c: SourceColumn): boolean => c.kind === "float" && options.format !== "parquet";

  // Pass 1: aggregates. Non-finite values are turned into NULL once in a subquery (aggregates skip
  // NULLs): measured, FILTER (WHERE isfinite(x)) clauses were 6× slower and grew superlinearly in memory.
  const finite = (i: number): string => quoteIdent(`__gitml_finite_${i}`);
  const finiteColumns = columns
    .map((c, i) => (isNumeric(c) ? `CASE WHEN isfinite(${c.expr}) THEN ${c.expr} END AS ${finite(i)}` : ""))
    .filter((x) => x !== "");
  const cleaned =
    finiteColumns.length > 0 ? `(SELECT *, ${finiteColumns.join(", ")} FROM ${source})` : source;
  const aggregates: string[] = ["count(*) AS n_rows"];
  columns.forEach((c, i) => {
    const x = c.expr;
    aggregates.push(`count(${quoteIdent(c.name)}) AS nn_${i}`, `approx_count_distinct(${x}) AS ad_${i}`);
    if (isNumeric(c)) {
      const f = finite(i);
      aggregates.push(
        `coalesce(sum(isnan(${x})::INTEGER), 0) AS nan_${i}`,
        `coalesce(sum((${x} = 'inf'::DOUBLE)::INTEGER), 0) AS pinf_${i}`,
        `coalesce(sum((${x} = '-inf'::DOUBLE)::INTEGER), 0) AS ninf_${i}`,
        `count(${f}) AS fin_${i}`,
        `min(${f}) AS min_${i}`,
        `max(${f}) AS max_${i}`,
        `avg(${f}) AS mean_${i}`,
        `var_pop(${f}) AS var_${i}`,
        `sum(abs(${f})) AS sabs_${i}`,
      );
      if (integral(c)) aggregates.push(`bool_and(${f} = round(${f})) AS int_${i}`);
    }
  });
  const [agg] = await rows(connection, `SELECT ${aggregates.join(", ")} FROM ${cleaned}`);
  if (!agg) throw new Error("aggregate query returned no row");
  const rowCount = num(agg.n_rows);

  // Pass 2: one histogram() aggregate per sketch and per exactly counted column, in a single scan.
  // (An earlier design unnested (column, key) pairs into one GROUP BY: rows × columns keys, 10× slower
  // and far above DuckDB's memory limit.) Bucket keys pack sign and index: ±(offset + index), 0 = zero.
  const cap = settings.valueCap;
  const lnGamma = Math.log(gammaOf(settings));
  const offset = 10_000_000;
  const histograms: string[] = [];
  const exactValues = new Set<number>();
  const topK: number[] = [];
  columns.forEach((c, i) => {
    const x = c.expr;
    const nonNull = num(agg[`nn_${i}`]);
    if (nonNull === 0) return;
    if (isNumeric(c))
      histograms.push(
        `histogram(CASE WHEN abs(${finite(i)}) < ${settings.minIndexable} THEN 0 ELSE sign(${finite(i)}) * (${offset} + ceil(ln(greatest(abs(${finite(i)}), ${settings.minIndexable})) / ${lnGamma})) END::BIGINT) AS sk_${i}`,
      );
    // approx_count_distinct errs by a few percent: twice the cap leaves room, the exact count decides.
    if (num(agg[`ad_${i}`]) <= 2 * cap) {
      exactValues.add(i);
      histograms.push(isNumeric(c) ? `histogram(${finite(i)}) AS vc_${i}` : `histogram(${x}) AS vc_${i}`);
    } else if (!isNumeric(c)) topK.push(i);
  });

  const sketches = new Map<number, SketchAccumulator>();
  const valueMaps = new Map<number, Map<Value, number>>();
  type Entries = Array<{ key: unknown; value: unknown }> | null;
  if (histograms.length > 0) {
    const [h] = await rows(connection, `SELECT ${histograms.join(", ")} FROM ${cleaned}`);
    columns.forEach((column, i) => {
      const sketch = h?.[`sk_${i}`] as Entries | undefined;
      if (sketch) {
        const acc = new SketchAccumulator(settings);
        for (const { key, value } of sketch) {
          const k = num(key);
          acc.addBucket(k > 0 ? 1 : k < 0 ? -1 : 0, Math.abs(k) - offset, num(value));
        }
        sketches.set(i, acc);
      }
      const counts = h?.[`vc_${i}`] as Entries | undefined;
      if (counts) {
        const map = new Map<Value, number>();
        for (const { key, value } of counts) {
          const v: Value = isNumeric(column)
            ? num(key)
            : column.kind === "boolean"
              ? String(key) === "true"
              : String(key);
          map.set(v, (map.get(v) ?? 0) + num(value));
        }
        valueMaps.set(i, map);
      }
    });
  }

  for (const i of topK) {
    const c = columns[i]!;
    const top = await rows(
      connection,
      `SELECT ${c.expr} AS v, count(*) AS c FROM ${source} WHERE ${c.expr} IS NOT NULL GROUP BY ALL ORDER BY c DESC, v LIMIT ${cap}`,
    );
    valueMaps.set(i, new Map(top.map((r) => [String(r.v), num(r.c)])));
  }

  const profileColumns: ColumnProfile[] = columns.map((c, i) => {
    const nonNull = num(agg[`nn_${i}`]);
    const kind: StorageKind =
      nonNull === 0 ? "null" : integral(c) && agg[`int_${i}`] === true ? "integer" : c.kind;
    const map = valueMaps.get(i) ?? new Map<Value, number>();
    const approxDistinct = num(agg[`ad_${i}`]);
    const finite = isNumeric(c) ? num(agg[`fin_${i}`]) : nonNull;
    const counted = [...map.values()].reduce((s, x) => s + x, 0);
    const values = exactValues.has(i)
      ? valueCountsFromMap(map, settings.valueCap)
      : valueCountsFromMap(map, settings.valueCap, {
          knownIncomplete: true,
          other: finite - counted,
          distinctAtLeast: Math.max(approxDistinct, settings.valueCap + 1),
        });
    const column: ColumnProfile = {
      name: c.name,
      kind,
      count: rowCount,
      nulls: rowCount - nonNull,
      nan: isNumeric(c) ? num(agg[`nan_${i}`]) : 0,
      posInf: isNumeric(c) ? num(agg[`pinf_${i}`]) : 0,
      negInf: isNumeric(c) ? num(agg[`ninf_${i}`]) : 0,
      values: kind === "null" ? { entries: [], other: 0, distinct: 0, complete: true } : values,
    };
    if (isNumeric(c) && kind !== "null") {
      const n = num(agg[`fin_${i}`]);
      column.numeric = {
        count: n,
        min: n > 0 ? num(agg[`min_${i}`]) : Infinity,
        max: n > 0 ? num(agg[`max_${i}`]) : -Infinity,
        mean: n > 0 ? num(agg[`mean_${i}`]) : 0,
        m2: n > 0 ? num(agg[`var_${i}`]) * n : 0,
        sumAbs: n > 0 ? num(agg[`sabs_${i}`]) : 0,
        sketch: (sketches.get(i) ?? new SketchAccumulator(settings)).toSketch(),
      };
    }
    return column;
  });
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    rows: rowCount,
    settings,
    columns: profileColumns,
  };
}
