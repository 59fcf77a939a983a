/**
 * Reading a YAML file a user wrote (gitml.yaml, a shared suite): YAML document -> zod, with every problem
 * reported as `file:line:col: key.path: what was expected, what was found`, all at once, one per line, with
 * "did you mean" hints from the schema's keys.
 */
import { Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit } from "yaml";
import type { Node as YamlNode, Pair } from "yaml";
import type { z } from "zod";
import { UserError } from "./errors";
import { didYouMean } from "./suggest";
/** One problem in a config file; `ConfigError.problems` lets Actions annotate each one in place. */
export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  /** Key path such as `models.churn.gates[1].min`, or "" for the document itself. */
  path: string;
  message: string;
}

/** A UserError for an invalid config file; its message lists every problem, one per line. */
export class ConfigError extends UserError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    const sorted = [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
    const lines = sorted.map(formatProblem);
    const heading =
      sorted.length === 1 ? "" : `${sorted[0]?.file ?? "config"} has ${sorted.length} problems:\n`;
    super(heading + lines.join("\n"));
    this.problems = sorted;
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.col}`;
  return problem.path === ""
    ? `${where}: ${problem.message}`
    : `${where}: ${problem.path}: ${problem.message}`;
}

/** A parsed YAML file that can point at any key path in its text (for `file:line:col` messages). */
export interface YamlSource {
  /** The name used in messages. */
  file: string;
  /** The document as plain JavaScript values. */
  data: unknown;
  /** Line and column (1-based) of a key path's value, or of its key when `atKey`. */
  position(segments: readonly PropertyKey[], atKey?: boolean): { line: number; col: number };
  /** `file:line:col` of a key path. */
  where(segments: readonly PropertyKey[], atKey?: boolean): string;
}

/**
 * The document as plain values. Aliases are expanded with a cap (yaml's `maxAliasCount`), so a "billion
 * laughs" file stops early; that is the user's file at fault, reported at its first alias.
 */
function toPlainData(
  doc: Document,
  file: string,
  position: (offset: number) => { line: number; col: number },
): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (!(error instanceof ReferenceError) || !/alias/i.test(error.message)) throw error;
    let firstAlias = 0;
    visit(doc, {
      Alias(_key, node) {
        firstAlias = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    const { line, col } = position(firstAlias);
    throw new ConfigError([
      {
        file,
        line,
        col,
        path: "",
        message:
          "its aliases (*name) expand to too many nodes (more than 100 per alias, a resource-exhaustion pattern): write the values out, or use fewer levels of aliases",
      },
    ]);
  }
}

/** Parses one YAML document; a syntax error is a ConfigError with positions. */
export function readYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number) => lineCounter.linePos(offset);

  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => {
        const { line, col } = position(error.pos[0]);
        return {
          file,
          line,
          col,
          path: yamlErrorPath(doc, error.pos[0]),
          message: yamlErrorMessage(error, text),
        };
      }),
    );
  }
  const source: YamlSource = {
    file,
    data: toPlainData(doc, file, position),
    position: (segments, atKey = false) => position(locate(doc, [...segments], atKey)),
    where: (segments, atKey = false) => {
      const { line, col } = source.position(segments, atKey);
      return `${file}:${line}:${col}`;
    },
  };
  return source;
}

/**
 * Validates a parsed YAML file against a zod schema; every problem becomes a ConfigError line at its
 * `file:line:col`, with "did you mean" hints from the schema's keys.
 */
export function validateYaml<S extends z.ZodType>(
  source: YamlSource,
  schema: S,
  options: { emptyMessage?: string } = {},
): z.output<S> {
  const data = source.data;
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const context: IssueContext = {
    data,
    schema,
    emptyMessage: options.emptyMessage ?? "the file is empty: expected a mapping",
  };
  const problems = result.error.issues
    .flatMap((issue) => issueProblems(issue, context))
    .map((problem) => {
      const { line, col } = source.position(problem.segments, problem.atKey);
      return { file: source.file, line, col, path: formatPath(problem.segments), message: problem.message };
    });
  throw new ConfigError(dedupe(problems));
}

// ---- zod issue -> problem ------------------------------------------------------------------------

type Segment = PropertyKey;

interface RawProblem {
  segments: Segment[];
  message: string;
  /** Point at the key rather than its value (unknown keys, bad names). */
  atKey: boolean;
}

interface IssueContext {
  data: unknown;
  /** The root schema, for the keys a mapping may have. */
  schema: unknown;
  emptyMessage: string;
}

function issueProblems(issue: z.core.$ZodIssue, context: IssueContext): RawProblem[] {
  const data = context.data;
  const segments = [...issue.path];
  const found = valueAt(data, segments);
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys(context.schema, segments, data);
      return issue.keys.map((key) => ({
        segments: [...segments, key],
        atKey: true,
        message:
          `unknown key \`${key}\`` +
          (didYouMean(key, known) || (known.length > 0 ? `; expected one of: ${known.join(", ")}` : "")),
      }));
    }
    case "invalid_type": {
      const expected = typeName(issue.expected);
      if (segments.length === 0 && (data === null || data === undefined)) {
        return [{ segments, atKey: false, message: context.emptyMessage }];
      }
      if (found.present === false) {
        return [{ segments, atKey: false, message: `required key is missing (expected ${expected})` }];
      }
      return [{ segments, atKey: false, message: `expected ${expected}, found ${describe(found.value)}` }];
    }
    case "invalid_value": {
      const values = issue.values.map((value) => JSON.stringify(value));
      const hint =
        typeof found.value === "string"
          ? didYouMean(
              found.value,
              issue.values.filter((v): v is string => typeof v === "string"),
            )
          : "";
      return [
        {
          segments,
          atKey: false,
          message: `expected one of ${values.join(", ")}, found ${describe(found.value)}${hint}`,
        },
      ];
    }
    case "too_small":
    case "too_big": {
      const isMin = issue.code === "too_small";
      const bound = isMin ? issue.minimum : issue.maximum;
      const op = isMin ? (issue.inclusive ? ">=" : ">") : issue.inclusive ? "<=" : "<";
      const expected =
        issue.origin === "array"
          ? `a list with ${isMin ? "at least" : "at most"} ${bound} item(s)`
          : issue.origin === "string"
            ? isMin && bound === 1
              ? "a non-empty string"
              : `a string of ${isMin ? "at least" : "at most"} ${bound} character(s)`
            : `a number ${op} ${bound}`;
      return [{ segments, atKey: false, message: `expected ${expected}, found ${describe(found.value)}` }];
    }
    case "invalid_union":
      // Report the branch that got furthest, so the message is about the user's likely intent.
      return (issue.errors.toSorted((a, b) => a.length - b.length)[0] ?? []).flatMap((inner) =>
        issueProblems({ ...inner, path: [...segments, ...inner.path] }, context),
      );
    case "invalid_key":
    case "invalid_element":
      return issue.issues.flatMap((inner) =>
        issueProblems({ ...inner, path: [...segments, ...inner.path] }, context).map((p) => ({
          ...p,
          atKey: true,
        })),
      );
    default: {
      const atKey = issue.code === "custom" && issue.params?.atKey === true;
      return [{ segments, atKey, message: issue.message }];
    }
  }
}

function typeName(expected: string): string {
  switch (expected) {
    case "object":
    case "record":
    case "map":
      return "a mapping";
    case "array":
      return "a list";
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "true or false";
    default:
      return expected;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null (an empty value)";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : `a list of ${value.length} item(s)`;
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

function valueAt(data: unknown, segments: Segment[]): { present: boolean; value: unknown } {
  let current = data;
  for (const segment of segments) {
    if (current === null || typeof current !== "object") return { present: false, value: undefined };
    const key = segment as keyof typeof current;
    if (!Object.prototype.hasOwnProperty.call(current, key)) return { present: false, value: undefined };
    current = current[key];
  }
  return { present: true, value: current };
}

/** `models.churn.gates[1].min`; keys that would be ambiguous in that notation are quoted. */
export function formatPath(segments: readonly Segment[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const key = String(segment);
      out += /^[A-Za-z0-9_\-/:]+$/.test(key) ? (out === "" ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Keys the schema allows at `segments`, for "did you mean". */
function knownKeys(root: unknown, segments: Segment[], data: unknown): string[] {
  let schemas: unknown[] = [root];
  for (const segment of segments) {
    schemas = schemas.flatMap((schema) => children(schema, segment));
  }
  const objects = schemas.flatMap(unwrap).filter((schema) => defOf(schema)?.type === "object");
  // Of a discriminated union's variants, the one the value names (e.g. by `expect:`) has the keys that count.
  const value = valueAt(data, segments).value;
  const named = objects.filter((schema) => literalsMatch(schema, value));
  return [...new Set((named.length > 0 ? named : objects).flatMap(objectKeys))];
}

/** True when every literal-typed key of an object schema holds that literal in `value`. */
function literalsMatch(schema: unknown, value: unknown): boolean {
  const shape = defOf(schema)?.shape ?? {};
  const literals = Object.entries(shape).filter(([, child]) => defOf(child)?.type === "literal");
  if (literals.length === 0 || value === null || typeof value !== "object") return false;
  return literals.every(([key, child]) =>
    ((defOf(child) as { values?: unknown[] } | undefined)?.values ?? []).includes(
      (value as Record<string, unknown>)[key],
    ),
  );
}

interface SchemaDef {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  out?: unknown;
  valueType?: unknown;
  element?: unknown;
  options?: unknown[];
}

function defOf(schema: unknown): SchemaDef | undefined {
  return (schema as { _zod?: { def?: SchemaDef } })?._zod?.def;
}

/** Looks through wrappers (default, optional, pipe, union) to the schemas that parse the value. */
function unwrap(schema: unknown): unknown[] {
  const def = defOf(schema);
  if (!def) return [];
  if (def.innerType !== undefined) return unwrap(def.innerType);
  // A preprocess is a pipe from a transform: the schema that parses the value is its output side.
  if (def.type === "pipe") return [...unwrap(def.in), ...unwrap(def.out)];
  if (def.type === "union") return (def.options ?? []).flatMap(unwrap);
  return [schema];
}

function children(schema: unknown, segment: Segment): unknown[] {
  return unwrap(schema).flatMap((inner) => {
    const def = defOf(inner);
    if (def?.type === "object") {
      const child = def.shape?.[String(segment)];
      return child === undefined ? [] : [child];
    }
    if (def?.type === "record") return [def.valueType];
    if (def?.type === "array") return [def.element];
    return [];
  });
}

function objectKeys(schema: unknown): string[] {
  return unwrap(schema).flatMap((inner) => {
    const def = defOf(inner);
    return def?.type === "object" ? Object.keys(def.shape ?? {}) : [];
  });
}

// ---- positions --------------------------------------------------------------------------------

/**
 * The source offset for a key path: the value's start, or the key's when `atKey`. A missing key
 * points at the key of the closest existing parent (where the user would add it).
 */
function locate(doc: Document, segments: Segment[], atKey: boolean): number {
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  for (const segment of segments) {
    node = resolveAlias(doc, node);
    let next: { node: unknown; pair?: Pair } | undefined;
    if (isMap(node)) {
      const found = node.items.find((item) => keyText(item.key) === String(segment));
      if (found) next = { node: found.value, pair: found };
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item !== undefined) next = { node: item };
    }
    if (next === undefined) return keyOffset(pair) ?? nodeOffset(node) ?? 0;
    node = next.node;
    pair = next.pair;
  }
  if (atKey) return keyOffset(pair) ?? nodeOffset(node) ?? 0;
  return nodeOffset(node) ?? keyOffset(pair) ?? 0;
}

function resolveAlias(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === "string" ? key : undefined;
}

function keyOffset(pair: Pair | undefined): number | undefined {
  return pair === undefined ? undefined : nodeOffset(pair.key);
}

function nodeOffset(node: unknown): number | undefined {
  return (node as YamlNode | null | undefined)?.range?.[0] ?? undefined;
}

// ---- YAML syntax errors ----------------------------------------------------------------------

function yamlErrorMessage(
  error: { code: string; message: string; pos: [number, number] },
  text: string,
): string {
  const firstLine = error.message.split("\n")[0] ?? error.message;
  if (error.code === "DUPLICATE_KEY") {
    const key = /^("[^"\n]*"|'[^'\n]*'|[^:\n]*)/.exec(text.slice(error.pos[0]))?.[1]?.trim();
    return `duplicate key${key ? ` \`${key}\`` : ""}: each key may appear only once in a mapping`;
  }
  if (error.code === "MULTIPLE_DOCS")
    return "YAML syntax error: the file must hold one YAML document (found `---`)";
  return `YAML syntax error: ${firstLine}`;
}

/** The key path of the mapping holding `offset`, so syntax errors also say where in the structure. */
function yamlErrorPath(doc: Document, offset: number): string {
  const segments: Segment[] = [];
  let node: unknown = doc.contents;
  for (let depth = 0; depth < 64; depth++) {
    let next: unknown;
    if (isMap(node)) {
      for (const item of node.items) {
        const value = item.value as YamlNode | null;
        const [start, , end] = value?.range ?? [];
        if (
          start !== undefined &&
          end !== undefined &&
          offset >= start &&
          offset < end &&
          isCollectionNode(value)
        ) {
          segments.push(keyText(item.key) ?? "?");
          next = value;
          break;
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const [start, , end] = (item as YamlNode | null)?.range ?? [];
        if (
          next === undefined &&
          start !== undefined &&
          end !== undefined &&
          offset >= start &&
          offset < end
        ) {
          if (isCollectionNode(item)) {
            segments.push(index);
            next = item;
          }
        }
      });
    }
    if (next === undefined) break;
    node = next;
  }
  return formatPath(segments);
}

const isCollectionNode = (node: unknown): boolean => isMap(node) || isSeq(node);

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = formatProblem(problem);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
