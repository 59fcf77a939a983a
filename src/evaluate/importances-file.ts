/**
 * Reading `outputs.importances`, the file a training writes with its global feature importances, in one of
 * two formats (docs/importances.md, JSON Schema docs/importances.schema.json):
 *
 *   JSON  {"method": "permutation", "importances": {"age": 0.12, ...},
 *          "per_class": {"yes": {"age": 0.2, ...}}, "mean_abs_shap": {"age": 0.31, ...}}
 *         or just {"age": 0.12, ...}
 *   CSV   feature,importance[,mean_abs_shap][,importance.<class>...]
 *
 * Every problem is a UserError at file:line: a value that is negative, NaN or not a number, a feature
 * listed twice, a feature that is not a column of the reference data, an empty file.
 */
import * as fs from "node:fs/promises";
import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode, type Pair } from "yaml";
import { UserError } from "../util/errors";
import { didYouMean } from "../util/suggest";
import { parseDelimited } from "./metrics";
import { normaliseImportances, type Importances, type RawImportances } from "./importances";

export interface ReadImportancesOptions {
  /** The name the file goes by in messages (relative to the repository). */
  name: string;
  /** The reference data's columns: every feature must be one of them. */
  columns?: readonly string[];
  /** The reference data's name, for the message about a feature that is not one of its columns. */
  columnsFrom?: string;
}

const JSON_KEYS = ["schema", "method", "importances", "per_class", "mean_abs_shap"] as const;
const NON_FINITE = /^[+-]?(nan|\.nan|inf|\.inf|infinity)$/i;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The importances file, read, checked and normalised (shares, most important first). */
export async function readImportancesFile(
  file: string,
  options: ReadImportancesOptions,
): Promise<Importances> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    throw new UserError(`cannot read the importances file: ${(error as Error).message}`, {
      where: options.name,
      cause: error,
    });
  }
  return parseImportances(
    text,
    options,
    /\.tsv$/i.test(file) ? "\t" : /\.csv$/i.test(file) ? "," : undefined,
  );
}

/** Parses importances text: JSON (or YAML) unless a CSV/TSV delimiter is given. */
export function parseImportances(
  text: string,
  options: ReadImportancesOptions,
  delimiter?: string,
): Importances {
  const body = text.replace(/^\uFEFF/, "");
  if (body.trim() === "") {
    throw new UserError(
      "the importances file is empty: expected feature → importance (JSON or CSV, see docs/importances.md)",
      { where: options.name },
    );
  }
  const raw =
    delimiter === undefined ? parseJsonLike(body, options.name) : parseCsv(body, delimiter, options.name);
  checkColumns(raw, options);
  return normaliseImportances(raw.values);
}

/** A value's line, kept beside it for the column check. */
interface Located {
  values: RawImportances;
  lines: Map<string, number>;
}

function checkColumns(raw: Located, options: ReadImportancesOptions): void {
  if (!options.columns) return;
  const columns = new Set(options.columns);
  const { values } = raw;
  const features = [
    ...values.importances.keys(),
    ...[...(values.perClass?.values() ?? [])].flatMap((m) => [...m.keys()]),
    ...(values.meanAbsShap?.keys() ?? []),
  ];
  for (const feature of features) {
    if (columns.has(feature)) continue;
    throw new UserError(
      `feature ${JSON.stringify(feature)} is not a column of the reference data${options.columnsFrom ? ` (${options.columnsFrom})` : ""}${didYouMean(feature, columns)}`,
      { where: `${options.name}:${raw.lines.get(feature) ?? 1}` },
    );
  }
}

// --- JSON -----------------------------------------------------------------------------------------

function parseJsonLike(text: string, name: string): Located {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const lineOf = (node: YamlNode | Pair | null | undefined): number => {
    const range =
      node && "range" in node
        ? node.range
        : node && "key" in node
          ? (node.key as YamlNode)?.range
          : undefined;
    return range ? lineCounter.linePos(range[0]).line : 1;
  };
  const first = doc.errors[0];
  if (first) {
    const { line } = lineCounter.linePos(first.pos[0]);
    throw new UserError(`invalid JSON: ${first.message.split("\n")[0]}`, { where: `${name}:${line}` });
  }
  const root = doc.contents;
  if (!isMap(root)) {
    throw new UserError("expected a JSON object of feature → importance (see docs/importances.md)", {
      where: `${name}:${lineOf(root)}`,
    });
  }
  const lines = new Map<string, number>();
  const keyOf = (pair: Pair): string => {
    if (!isScalar(pair.key) || typeof pair.key.value !== "string" || pair.key.value === "") {
      throw new UserError("every key must be a non-empty string", {
        where: `${name}:${lineOf(pair.key as YamlNode)}`,
      });
    }
    return pair.key.value;
  };
  /** A map of feature → value, each checked; `what` names it in messages. */
  const readMap = (node: unknown, what: string, where: number): Map<string, number> => {
    if (!isMap(node))
      throw new UserError(`${what} must be an object of feature → number`, { where: `${name}:${where}` });
    const values = new Map<string, number>();
    const firstLine = new Map<string, number>();
    for (const pair of node.items) {
      const feature = keyOf(pair);
      const line = lineOf(pair.key as YamlNode);
      const before = firstLine.get(feature);
      if (before !== undefined) {
        throw new UserError(
          `feature ${JSON.stringify(feature)} is listed twice in ${what} (first on line ${before})`,
          {
            where: `${name}:${line}`,
          },
        );
      }
      firstLine.set(feature, line);
      if (!lines.has(feature)) lines.set(feature, line);
      values.set(
        feature,
        checkedValue(pair.value, `${what} of ${JSON.stringify(feature)}`, `${name}:${line}`),
      );
    }
    return values;
  };

  const topKeys = root.items.map((pair) => (isScalar(pair.key) ? pair.key.value : undefined));
  const canonical = topKeys.includes("importances") && isMap(root.get("importances", true));
  if (!canonical) {
    const importances = readMap(root, "importance", lineOf(root));
    if (importances.size === 0) throw emptyError(name, lineOf(root));
    return { values: { importances }, lines };
  }
  const values: { -readonly [K in keyof RawImportances]: RawImportances[K] } = { importances: new Map() };
  const seen = new Set<string>();
  for (const pair of root.items) {
    const key = keyOf(pair);
    const line = lineOf(pair.key as YamlNode);
    if (seen.has(key))
      throw new UserError(`key ${JSON.stringify(key)} is given twice`, { where: `${name}:${line}` });
    seen.add(key);
    switch (key) {
      case "schema":
      case "method": {
        const value = isScalar(pair.value) ? pair.value.value : undefined;
        if (typeof value !== "string" || value === "" || value.length > 100 || /[\r\n]/.test(value))
          throw new UserError(`${key} must be a one-line string`, { where: `${name}:${line}` });
        if (key === "method") values.method = value;
        break;
      }
      case "importances":
        values.importances = readMap(pair.value, "importance", line);
        break;
      case "mean_abs_shap":
        values.meanAbsShap = readMap(pair.value, "mean_abs_shap", line);
        break;
      case "per_class": {
        if (!isMap(pair.value))
          throw new UserError("per_class must be an object of class → {feature: importance}", {
            where: `${name}:${line}`,
          });
        const perClass = new Map<string, Map<string, number>>();
        for (const classPair of pair.value.items) {
          const label = keyOf(classPair);
          const classLine = lineOf(classPair.key as YamlNode);
          if (perClass.has(label))
            throw new UserError(`class ${JSON.stringify(label)} is listed twice in per_class`, {
              where: `${name}:${classLine}`,
            });
          perClass.set(
            label,
            readMap(classPair.value, `the importance for class ${JSON.stringify(label)}`, classLine),
          );
        }
        values.perClass = perClass;
        break;
      }
      default:
        throw new UserError(
          `unknown key ${JSON.stringify(key)}: expected ${JSON_KEYS.join(", ")}${didYouMean(key, JSON_KEYS)}`,
          { where: `${name}:${line}` },
        );
    }
  }
  if (values.importances.size === 0)
    throw emptyError(name, lineOf(root.get("importances", true) as YamlNode));
  return { values, lines };
}

function checkedValue(node: unknown, what: string, where: string): number {
  const value = isScalar(node) ? node.value : node;
  if (typeof value === "number") {
    if (Number.isNaN(value))
      throw new UserError(`${what} is NaN: importances must be finite numbers ≥ 0`, { where });
    if (!Number.isFinite(value))
      throw new UserError(`${what} is infinite: importances must be finite numbers ≥ 0`, { where });
    if (value < 0) {
      throw new UserError(
        `${what} is negative (${value}): importances must be ≥ 0 (a permutation importance below 0 is noise: write max(0, value))`,
        { where },
      );
    }
    return value;
  }
  if (typeof value === "string" && NON_FINITE.test(value.trim()))
    throw new UserError(`${what} is ${value.trim()}: importances must be finite numbers ≥ 0`, { where });
  const found =
    typeof value === "string"
      ? `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
      : value === null
        ? "null"
        : typeof value === "object"
          ? "an object or list"
          : String(value);
  throw new UserError(`${what} is not a number (found ${found})`, { where });
}

const emptyError = (name: string, line: number) =>
  new UserError("no feature has an importance: expected at least one feature → importance", {
    where: `${name}:${line}`,
  });

// --- CSV ------------------------------------------------------------------------------------------

const CLASS_COLUMN = /^importance\.(.+)$/;

function parseCsv(text: string, delimiter: string, name: string): Located {
  const records = parseDelimited(text, delimiter, name);
  const header = records[0]!.fields.map((field) => field.trim());
  const headerLine = records[0]!.line;
  const column = (wanted: string) => header.indexOf(wanted);
  const featureAt = column("feature");
  const importanceAt = column("importance");
  if (featureAt < 0 || importanceAt < 0) {
    throw new UserError(
      `the header must name the columns feature and importance (found ${header.map((h) => JSON.stringify(h)).join(", ")})`,
      { where: `${name}:${headerLine}` },
    );
  }
  const shapAt = column("mean_abs_shap");
  const classColumns: Array<{ label: string; at: number }> = [];
  header.forEach((title, at) => {
    if (at === featureAt || at === importanceAt || at === shapAt) return;
    const match = CLASS_COLUMN.exec(title);
    if (match) classColumns.push({ label: match[1]!, at });
    else
      throw new UserError(
        `unknown column ${JSON.stringify(title)}: expected feature, importance, mean_abs_shap or importance.<class>`,
        { where: `${name}:${headerLine}` },
      );
  });
  const seenHeader = new Set<string>();
  for (const title of header) {
    if (seenHeader.has(title))
      throw new UserError(`column ${JSON.stringify(title)} appears twice in the header`, {
        where: `${name}:${headerLine}`,
      });
    seenHeader.add(title);
  }
  if (records.length < 2) throw emptyError(name, headerLine);
  const importances = new Map<string, number>();
  const meanAbsShap = new Map<string, number>();
  const perClass = new Map(classColumns.map((c) => [c.label, new Map<string, number>()]));
  const lines = new Map<string, number>();
  for (const record of records.slice(1)) {
    const where = `${name}:${record.line}`;
    if (record.fields.length !== header.length) {
      throw new UserError(`this row has ${record.fields.length} fields but the header has ${header.length}`, {
        where,
      });
    }
    const feature = record.fields[featureAt]!.trim();
    if (feature === "") throw new UserError("the feature is empty", { where });
    const before = lines.get(feature);
    if (before !== undefined)
      throw new UserError(`feature ${JSON.stringify(feature)} is listed twice (first on line ${before})`, {
        where,
      });
    lines.set(feature, record.line);
    const cell = (at: number, what: string): number => {
      const raw = record.fields[at]!.trim();
      return checkedValue(DECIMAL.test(raw) ? Number(raw) : raw, what, where);
    };
    importances.set(feature, cell(importanceAt, `the importance of ${JSON.stringify(feature)}`));
    if (shapAt >= 0 && record.fields[shapAt]!.trim() !== "")
      meanAbsShap.set(feature, cell(shapAt, `mean_abs_shap of ${JSON.stringify(feature)}`));
    for (const { label, at } of classColumns) {
      if (record.fields[at]!.trim() === "") continue;
      perClass
        .get(label)!
        .set(
          feature,
          cell(at, `the importance of ${JSON.stringify(feature)} for class ${JSON.stringify(label)}`),
        );
    }
  }
  const values: RawImportances = {
    importances,
    ...(meanAbsShap.size > 0 ? { meanAbsShap } : {}),
    ...(perClass.size > 0 ? { perClass } : {}),
  };
  return { values, lines };
}
