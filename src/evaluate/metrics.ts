/**
 * Reading metrics and params files the way DVC and dvclive write them.
 *
 * Behaviour taken from DVC (dvc/repo/metrics/show.py, dvc/utils/flatten.py):
 * - nested mappings are flattened with `.` (`{"eval": {"f1": 0.8}}` -> `eval.f1`);
 * - a leaf that is not a finite number is not a metric: DVC skips lists and strings ("unsupported
 *   type"); gitml skips every such leaf alike (list, string, boolean, null, NaN, ±Infinity), with ONE
 *   warning naming each skipped key and what it held, so nothing disappears silently. A gate on a
 *   skipped key fails as "not reported" (the warning says why). DVC keeps booleans (Python's bool is
 *   an int); we do not;
 * - empty mappings contribute nothing.
 *
 * CSV/TSV (dvclive's `plots/metrics/*.tsv`, or any header + rows file): each column is a metric and
 * the LAST row holds the current value; a column whose last value is not a number is skipped the same
 * way. A file that cannot be read as metrics at all (bad syntax, a top-level list, a short row) is an
 * error.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseDocument } from "yaml";
import { UserError } from "../util/errors";
import { silentLogger, type Logger } from "../util/logger";

export type Metrics = Record<string, number>;

/** A param's value: any scalar, or a whole list (DVC compares lists as one value, it does not index them). */
export type ParamValue = string | number | boolean | null | readonly unknown[];
export type Params = Record<string, ParamValue>;

export type MetricsFormat = "json" | "yaml" | "csv" | "tsv";

export interface ParamDiffRow {
  key: string;
  candidate?: ParamValue;
  baseline?: ParamValue;
  change: "added" | "removed" | "changed" | "same";
}

/** The format a file is read as, from its extension; unknown extensions are read as YAML (a superset of JSON), as DVC does. */
export function formatFromPath(file: string): MetricsFormat {
  switch (extname(file).toLowerCase()) {
    case ".json":
      return "json";
    case ".csv":
      return "csv";
    case ".tsv":
      return "tsv";
    default:
      return "yaml";
  }
}

export async function readMetrics(file: string, options: { logger?: Logger } = {}): Promise<Metrics> {
  const text = await readText(file);
  return parseMetrics(text, { file, format: formatFromPath(file), logger: options.logger });
}

/** Parses metrics text; `file` only names the source in error messages. */
export function parseMetrics(
  text: string,
  options: { file: string; format: MetricsFormat; logger?: Logger },
): Metrics {
  const { file, format } = options;
  const logger = options.logger ?? silentLogger;
  if (format === "csv" || format === "tsv")
    return parseDelimitedMetrics(text, file, format === "csv" ? "," : "\t", logger);
  const tree = format === "json" ? parseJson(text, file) : parseYaml(text, file);
  if (!isPlainObject(tree)) {
    throw new UserError(`expected a mapping of metric names to numbers, found ${describeValue(tree)}`, {
      where: file,
    });
  }
  const metrics: Metrics = {};
  const skipped: string[] = [];
  flatten(
    tree,
    "",
    (key, value) => {
      if (typeof value !== "number" || !Number.isFinite(value)) {
        skipped.push(`"${key}" (${describeValue(value)})`);
        return;
      }
      setOnce(metrics, key, value, file);
    },
    file,
  );
  warnSkipped(logger, file, skipped);
  return metrics;
}

function warnSkipped(logger: Logger, where: string, skipped: string[]): void {
  if (skipped.length === 0) return;
  const shown = skipped.slice(0, 10).join(", ");
  const more = skipped.length > 10 ? ` and ${skipped.length - 10} more` : "";
  logger.warning(
    `${where}: skipped ${skipped.length} value(s) that are not finite numbers, so not metrics: ${shown}${more}`,
  );
}

export async function readParams(file: string): Promise<Params> {
  const text = await readText(file);
  return parseParams(text, { file, format: formatFromPath(file) });
}

export function parseParams(text: string, options: { file: string; format: MetricsFormat }): Params {
  const { file, format } = options;
  if (format === "csv" || format === "tsv") {
    throw new UserError("params files must be YAML or JSON", { where: file });
  }
  const tree = format === "json" ? parseJson(text, file) : parseYaml(text, file);
  if (tree === null || tree === undefined) return {};
  if (!isPlainObject(tree)) {
    throw new UserError(`expected a mapping of params, found ${describeValue(tree)}`, { where: file });
  }
  const params: Params = {};
  flatten(
    tree,
    "",
    (key, value) => {
      if (
        value === null ||
        typeof value === "string" ||
        typeof value === "number" ||
        typeof value === "boolean" ||
        Array.isArray(value)
      ) {
        setOnce(params, key, value as ParamValue, file);
        return;
      }
      throw new UserError(`param "${key}" has an unsupported value (${describeValue(value)})`, {
        where: file,
      });
    },
    file,
  );
  return params;
}

/** Like `dvc params diff --all`: every key of either side, sorted, with what happened to it. */
export function diffParams(candidate: Params, baseline: Params): ParamDiffRow[] {
  const keys = [...new Set([...Object.keys(candidate), ...Object.keys(baseline)])].sort(compareStrings);
  return keys.map((key) => {
    const inCandidate = Object.hasOwn(candidate, key);
    const inBaseline = Object.hasOwn(baseline, key);
    if (!inBaseline) return { key, candidate: candidate[key], change: "added" };
    if (!inCandidate) return { key, baseline: baseline[key], change: "removed" };
    const same = paramValuesEqual(candidate[key], baseline[key]);
    return { key, candidate: candidate[key], baseline: baseline[key], change: same ? "same" : "changed" };
  });
}

export function paramValuesEqual(a: ParamValue, b: ParamValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return Object.is(a, b) || a === b;
}

export function formatParamValue(value: ParamValue | undefined): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value) ?? String(value);
}

// --- internals ---------------------------------------------------------------------------------

/** Sorting by code unit, not locale, so the order is the same on every machine. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "file not found"
        : code === "EISDIR"
          ? "is a directory"
          : `cannot read (${code ?? String(error)})`;
    throw new UserError(reason, { where: file, cause: error });
  }
}

/** How deep a metrics or params file may nest: DVC's files nest a few levels; thousands is no metrics file. */
export const MAX_METRICS_DEPTH = 100;

/** Names that would reach an object's prototype instead of naming a value. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

function reservedKeyError(key: string, name: string, where: string | undefined): UserError {
  return new UserError(
    `"${key}" cannot be a metric or param name: \`${name}\` is reserved (it would reach JavaScript's object prototype); rename it`,
    { where },
  );
}

function flatten(
  tree: Record<string, unknown>,
  prefix: string,
  visit: (key: string, value: unknown) => void,
  file = "",
  depth = 1,
): void {
  if (depth > MAX_METRICS_DEPTH) {
    throw new UserError(
      `"${prefix}" nests deeper than ${MAX_METRICS_DEPTH} levels: metrics and params files are mappings a few levels deep`,
      { where: file || undefined },
    );
  }
  for (const [name, value] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (RESERVED_KEYS.has(name)) throw reservedKeyError(key, name, file || undefined);
    if (isPlainObject(value)) flatten(value, key, visit, file, depth + 1);
    else visit(key, value);
  }
}

function setOnce<T>(target: Record<string, T>, key: string, value: T, file: string): void {
  if (Object.hasOwn(target, key)) {
    throw new UserError(`key "${key}" appears twice once nested keys are joined with "."`, { where: file });
  }
  target[key] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") {
    const nonFinite = NON_FINITE_MARKERS.get(value);
    if (nonFinite !== undefined) return String(nonFinite);
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  }
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return `boolean ${value}`;
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : typeof value;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function lineColAt(text: string, index: number): string {
  const before = text.slice(0, Math.max(0, Math.min(index, text.length)));
  const lines = before.split("\n");
  return `${lines.length}:${lines[lines.length - 1].length + 1}`;
}

/*
 * Python's json module (so dvclive) writes NaN, Infinity and -Infinity as bare tokens, which is not
 * JSON. To report "metric x is NaN" instead of a syntax error, those tokens are swapped for marker
 * strings (outside string literals only) when plain JSON.parse fails.
 */
const NON_FINITE_MARKERS = new Map<string, number>([
  ["\u0000gitml:NaN", Number.NaN],
  ["\u0000gitml:Infinity", Number.POSITIVE_INFINITY],
  ["\u0000gitml:-Infinity", Number.NEGATIVE_INFINITY],
]);

function replacePythonNonFinite(text: string): string | undefined {
  let out = "";
  let changed = false;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      out += ch;
      if (ch === "\\") {
        out += text[i + 1] ?? "";
        i++;
      } else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    const token = ["-Infinity", "Infinity", "NaN"].find((t) => text.startsWith(t, i));
    if (token) {
      out += JSON.stringify(`\u0000gitml:${token}`);
      i += token.length - 1;
      changed = true;
      continue;
    }
    out += ch;
  }
  return changed ? out : undefined;
}

function parseJson(raw: string, file: string): unknown {
  const text = stripBom(raw);
  try {
    return JSON.parse(text);
  } catch (error) {
    const patched = replacePythonNonFinite(text);
    if (patched !== undefined) {
      try {
        return JSON.parse(patched);
      } catch {
        // Report the original error, whose positions refer to the file as written.
      }
    }
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    const at = position ? Number(position[1]) : /end of JSON input/.test(message) ? text.length : undefined;
    const where = at === undefined ? file : `${file}:${lineColAt(text, at)}`;
    throw new UserError(`invalid JSON: ${message}`, { where, cause: error });
  }
}

function parseYaml(raw: string, file: string): unknown {
  const document = parseDocument(stripBom(raw), { prettyErrors: true });
  const first = document.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new UserError(
      `invalid YAML: ${first.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`,
      { where, cause: first },
    );
  }
  return document.toJS();
}

/** RFC 4180 records: quoted fields may hold the delimiter, quotes ("") and newlines. Returns each record with its 1-based start line. */
export function parseDelimited(
  text: string,
  delimiter: string,
  file: string,
): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let fieldStarted = false;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0].trim() === "")) records.push({ line: recordLine, fields });
    fields = [];
    field = "";
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && !fieldStarted) {
      inQuotes = true;
      fieldStarted = true;
    } else if (ch === delimiter) {
      fields.push(field);
      field = "";
      fieldStarted = false;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
      if (ch.trim() !== "") fieldStarted = true;
    }
  }
  if (inQuotes) throw new UserError("unterminated quoted field", { where: `${file}:${recordLine}` });
  if (field !== "" || fields.length > 0) endRecord();
  return records;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE_WORDS = /^[+-]?(nan|inf|infinity)$/i;

function parseDelimitedMetrics(raw: string, file: string, delimiter: string, logger: Logger): Metrics {
  const records = parseDelimited(stripBom(raw), delimiter, file);
  if (records.length < 2) {
    throw new UserError("expected a header row and at least one row of values", { where: file });
  }
  const header = records[0].fields.map((name) => name.trim());
  const last = records[records.length - 1];
  header.forEach((name, column) => {
    if (RESERVED_KEYS.has(name)) throw reservedKeyError(name, name, `${file}:${records[0].line}`);
    if (name === "")
      throw new UserError(`column ${column + 1} has an empty header`, {
        where: `${file}:${records[0].line}`,
      });
  });
  if (last.fields.length !== header.length) {
    throw new UserError(`the last row has ${last.fields.length} fields but the header has ${header.length}`, {
      where: `${file}:${last.line}`,
    });
  }
  const metrics: Metrics = {};
  const skipped: string[] = [];
  header.forEach((name, column) => {
    const cell = last.fields[column].trim();
    if (!DECIMAL.test(cell)) {
      const found = NON_FINITE_WORDS.test(cell)
        ? cell
        : cell === ""
          ? "an empty cell"
          : `string ${JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell)}`;
      skipped.push(`"${name}" (${found})`);
      return;
    }
    setOnce(metrics, name, Number(cell), file);
  });
  warnSkipped(logger, `${file}:${last.line}`, skipped);
  return metrics;
}
