/**
 * Tag messages: GTO's sentence first (gto/registry.py writes exactly these), then, after a blank line,
 * gitml's machine-readable block as git trailers, which `git interpret-trailers` and
 * `git for-each-ref --format=%(trailers)` understand:
 *
 *   Registering artifact churn version v1.4.0
 *
 *   Gitml-Metrics: {"accuracy":0.91}
 *   Gitml-Metrics-Omitted: 1200        (only when metrics were left out, see headlineMetrics)
 *   Gitml-Params: {"n_estimators":50}  (only when they fit in TAG_PARAMS_MAX_BYTES)
 *   Gitml-Importances: {"tenure":0.41,"charges":0.22}   (top features' shares, see tagImportances)
 *   Gitml-Artifact-Digest: sha256:<64 hex>
 *   Gitml-Data-Fingerprint: sha256:<64 hex>
 *   Gitml-Run-Url: https://github.com/o/r/actions/runs/1
 *   Gitml-Pr: 42
 *
 * Every value is one line: metrics are compact JSON (JSON.stringify never emits a raw newline) and the
 * other values are validated to contain no whitespace, so no value can start an extra trailer.
 * Reading is forgiving: a malformed trailer is dropped and reported, never thrown. Both directions check
 * values with metadataProblem, written without zod: every registry read replays thousands of messages, and
 * loading zod alone would cost more than the whole replay.
 */
import { UserError } from "../util/errors";
import type { TagAction, TagMetadata } from "./types";
import { formatTag } from "./tags";

export const TRAILER_KEYS = {
  metrics: "Gitml-Metrics",
  metricsOmitted: "Gitml-Metrics-Omitted",
  params: "Gitml-Params",
  importances: "Gitml-Importances",
  artifactDigest: "Gitml-Artifact-Digest",
  dataFingerprint: "Gitml-Data-Fingerprint",
  runUrl: "Gitml-Run-Url",
  pr: "Gitml-Pr",
} as const satisfies Record<keyof TagMetadata, string>;

type MetadataKey = keyof typeof TRAILER_KEYS;
const KEY_BY_TRAILER = new Map<string, MetadataKey>(
  (Object.entries(TRAILER_KEYS) as [MetadataKey, string][]).map(([key, trailer]) => [
    trailer.toLowerCase(),
    key,
  ]),
);

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f\u2028\u2029]/;
/**
 * GTO's sentence for an action. `version` is required for stage actions and deregistration; for a
 * stage assigned to an unregistered commit pass the 40-hex commit (GTO then writes "commit <sha>").
 */
export function gtoSentence(action: TagAction, version?: string): string {
  formatTag(stageFormsWritable(action)); // validates name, stage, version syntax
  const { name } = action;
  switch (action.action) {
    case "register":
      return `Registering artifact ${name} version ${action.version}`;
    case "deregister":
      return `Deregistering artifact ${name} version ${action.version}`;
    case "assign": {
      const target = requireVersion(action, version);
      return `Assigning stage ${action.stage} to artifact ${name} ${isCommitSha(target) ? "commit" : "version"} ${target}`;
    }
    case "unassign":
      // GTO's wording, quotes and "to" included (gto/registry.py `unassign`).
      return `Unassigning stage '${action.stage}' to artifact '${name}' version '${requireVersion(action, version)}'`;
    case "deprecate":
      return `Deprecating artifact '${name}'`;
  }
}

/** The full tag message: GTO's sentence, then the trailer block when there is metadata. */
export function tagMessage(action: TagAction, version?: string, metadata?: TagMetadata): string {
  const sentence = gtoSentence(action, version);
  const trailers = metadata ? formatTrailers(metadata) : [];
  return trailers.length === 0 ? `${sentence}\n` : `${sentence}\n\n${trailers.join("\n")}\n`;
}

/** Metadata as trailer lines, validated (UserError naming the field on bad values). */
export function formatTrailers(metadata: TagMetadata): string[] {
  for (const [field, value] of Object.entries(metadata)) {
    if (value === undefined) continue;
    if (!(field in TRAILER_KEYS))
      throw new UserError(`Invalid tag metadata ${field}: not a gitml metadata field.`);
    const problem = metadataProblem(field as MetadataKey, value);
    if (problem) throw new UserError(`Invalid tag metadata ${field}: ${problem}.`);
  }
  const value = metadata;
  const lines: string[] = [];
  if (value.metrics !== undefined) lines.push(`${TRAILER_KEYS.metrics}: ${JSON.stringify(value.metrics)}`);
  if (value.metricsOmitted !== undefined)
    lines.push(`${TRAILER_KEYS.metricsOmitted}: ${value.metricsOmitted}`);
  if (value.params !== undefined) lines.push(`${TRAILER_KEYS.params}: ${JSON.stringify(value.params)}`);
  if (value.importances !== undefined)
    lines.push(`${TRAILER_KEYS.importances}: ${JSON.stringify(value.importances)}`);
  if (value.artifactDigest !== undefined)
    lines.push(`${TRAILER_KEYS.artifactDigest}: ${value.artifactDigest}`);
  if (value.dataFingerprint !== undefined)
    lines.push(`${TRAILER_KEYS.dataFingerprint}: ${value.dataFingerprint}`);
  if (value.runUrl !== undefined) lines.push(`${TRAILER_KEYS.runUrl}: ${value.runUrl}`);
  if (value.pr !== undefined) lines.push(`${TRAILER_KEYS.pr}: ${value.pr}`);
  for (const line of lines) {
    // Belt and braces: the schema already rules these out.
    if (line.includes("\n") || line.includes("\r")) throw new Error(`trailer line with a newline: ${line}`);
  }
  return lines;
}

export interface ParsedTagMessage {
  /** The message without the trailer block (GTO's sentence, or whatever a person wrote). */
  sentence: string;
  metadata?: TagMetadata;
  /** What was wrong with the block (each problem dropped one value or the block); empty when fine. */
  problems: string[];
}

const TRAILER_LINE = /^([A-Za-z0-9][A-Za-z0-9-]*):[ \t]?(.*)$/;
const SIGNATURE_START = /\n-----BEGIN (?:PGP|SSH) SIGNATURE-----[\s\S]*$/;

/** Splits a tag message into GTO's sentence and gitml's metadata. Never throws. */
export function parseTagMessage(message: string): ParsedTagMessage {
  const problems: string[] = [];
  let text = String(message ?? "");
  if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
  if (text.includes("-----BEGIN ")) text = `\n${text}`.replace(SIGNATURE_START, "");
  text = text.trim();
  // Fast path: GTO's own messages (and most tags) carry no gitml block.
  if (!/gitml-/i.test(text)) return { sentence: text, problems };
  const paragraphs = text.split(/\n[ \t]*\n/);
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1]!.trim() : undefined;
  const lines = last === undefined ? [] : last.split("\n");
  const isTrailerBlock =
    lines.length > 0 &&
    lines.every((line) => TRAILER_LINE.test(line)) &&
    lines.some((line) => line.toLowerCase().startsWith("gitml-"));
  if (!isTrailerBlock) {
    if (lines.some((line) => /^gitml-[a-z-]+:/i.test(line))) {
      problems.push("ignored a Gitml metadata block that mixes trailer lines with other text");
    }
    return { sentence: text, problems };
  }

  const sentence = paragraphs.slice(0, -1).join("\n\n").trim();
  const metadata: TagMetadata = {};
  const seen = new Set<MetadataKey>();
  for (const line of lines) {
    const [, rawKey, rawValue] = TRAILER_LINE.exec(line)!;
    const trailer = rawKey!;
    if (!trailer.toLowerCase().startsWith("gitml-")) continue; // someone else's trailer (Signed-off-by, …)
    const key = KEY_BY_TRAILER.get(trailer.toLowerCase());
    if (!key) {
      problems.push(`ignored unknown trailer ${trailer}`);
      continue;
    }
    if (seen.has(key)) {
      problems.push(`ignored repeated trailer ${TRAILER_KEYS[key]} (the first one counts)`);
      continue;
    }
    seen.add(key);
    const problem = readField(metadata, key, rawValue!.trim());
    if (problem) problems.push(`ignored ${TRAILER_KEYS[key]}: ${problem}`);
  }
  return Object.keys(metadata).length > 0 ? { sentence, metadata, problems } : { sentence, problems };
}

function readField(metadata: TagMetadata, key: MetadataKey, text: string): string | undefined {
  let raw: unknown = text;
  if (key === "metrics" || key === "params" || key === "importances") {
    try {
      raw = JSON.parse(text);
    } catch {
      return "not valid JSON";
    }
  } else if (key === "pr") {
    if (!/^[0-9]{1,16}$/.test(text)) return "expected a pull request number";
    raw = Number(text);
  } else if (key === "metricsOmitted") {
    if (!/^[0-9]{1,16}$/.test(text)) return "expected a count";
    raw = Number(text);
  }
  const problem = metadataProblem(key, raw);
  if (problem) return problem;
  (metadata as Record<MetadataKey, unknown>)[key] = raw;
  return undefined;
}

/** Why a metadata value may not be written or read, or undefined when it is fine. */
export function metadataProblem(key: MetadataKey, value: unknown): string | undefined {
  switch (key) {
    case "metrics": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return "expected an object of metric names to numbers";
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return "expected a plain object";
      for (const [name, metric] of Object.entries(value)) {
        if (name.length === 0) return "a metric name is empty";
        if (name.length > 200) return "a metric name is longer than 200 characters";
        if (CONTROL_CHARS.test(name)) return "a metric name contains control characters";
        if (typeof metric !== "number" || !Number.isFinite(metric))
          return "metric values must be finite numbers";
      }
      return undefined;
    }
    case "params": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return "expected an object of param names to values";
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return "expected a plain object";
      for (const [name, param] of Object.entries(value)) {
        if (name.length === 0) return "a param name is empty";
        if (name.length > 200) return "a param name is longer than 200 characters";
        if (CONTROL_CHARS.test(name)) return "a param name contains control characters";
        const scalar = param === null || ["string", "number", "boolean"].includes(typeof param);
        if (!scalar && !Array.isArray(param)) return "param values must be scalars or lists";
      }
      if (Buffer.byteLength(JSON.stringify(value)) > TAG_PARAMS_MAX_BYTES)
        return `more than ${TAG_PARAMS_MAX_BYTES} bytes of JSON`;
      return undefined;
    }
    case "importances": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return "expected an object of feature names to shares";
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return "expected a plain object";
      const entries = Object.entries(value);
      if (entries.length === 0) return "no features";
      if (entries.length > TAG_IMPORTANCES_MAX_FEATURES)
        return `more than ${TAG_IMPORTANCES_MAX_FEATURES} features`;
      for (const [name, share] of entries) {
        if (name.length === 0) return "a feature name is empty";
        if (name.length > 200) return "a feature name is longer than 200 characters";
        if (CONTROL_CHARS.test(name)) return "a feature name contains control characters";
        if (typeof share !== "number" || !Number.isFinite(share) || share < 0 || share > 1)
          return "shares must be numbers from 0 to 1";
      }
      if (Buffer.byteLength(JSON.stringify(value)) > TAG_IMPORTANCES_MAX_BYTES)
        return `more than ${TAG_IMPORTANCES_MAX_BYTES} bytes of JSON`;
      return undefined;
    }
    case "artifactDigest":
    case "dataFingerprint":
      return typeof value === "string" && /^sha256:[0-9a-f]{64}$/.test(value)
        ? undefined
        : "expected sha256:<64 lowercase hex digits>";
    case "runUrl":
      if (typeof value !== "string") return "expected an http(s) URL";
      if (value.length > 2000) return "longer than 2000 characters";
      if (!/^https?:\/\/\S+$/.test(value)) return "expected an http(s) URL without spaces";
      if (CONTROL_CHARS.test(value) || !URL.canParse(value)) return "not a valid URL";
      return undefined;
    case "pr":
      return typeof value === "number" && Number.isSafeInteger(value) && value > 0
        ? undefined
        : "expected a pull request number";
    case "metricsOmitted":
      return typeof value === "number" && Number.isSafeInteger(value) && value > 0
        ? undefined
        : "expected a positive count";
  }
}

/**
 * Most bytes of metrics JSON a registration tag carries. Every clone fetches every tag, so a metrics
 * file with thousands of entries (per-class, per-sample, per-step values) must not ride along in full:
 * the tag keeps the headline metrics and the store keeps them all.
 */
export const TAG_METRICS_MAX_BYTES = 4096;

/**
 * Most bytes of params JSON a registration tag carries: enough for a model's hyperparameters, so the PR
 * report's params diff needs no store access; larger params files are diffed from the store.
 */
export const TAG_PARAMS_MAX_BYTES = 2048;

/** The params a tag may carry: all of them when they fit, else none (a partial diff would mislead). */
export function tagParams<T extends object>(params: T | undefined): T | undefined {
  if (params === undefined) return undefined;
  return Buffer.byteLength(JSON.stringify(params)) <= TAG_PARAMS_MAX_BYTES ? params : undefined;
}

/** Most features a registration tag's importances carry, and most bytes of their JSON. */
export const TAG_IMPORTANCES_MAX_FEATURES = 20;
export const TAG_IMPORTANCES_MAX_BYTES = 1024;

/**
 * The importance shares a registration tag carries: the most important features first (`features` comes
 * ranked), as many as fit (at most TAG_IMPORTANCES_MAX_FEATURES and TAG_IMPORTANCES_MAX_BYTES of JSON),
 * rounded to 4 decimals. Enough for the PR report's top 10 without reading the store, which would cost
 * API calls on GitHub Releases; the version's importances.json keeps them all.
 */
export function tagImportances(
  features: ReadonlyArray<{ feature: string; share: number }>,
): Record<string, number> | undefined {
  const kept: Record<string, number> = {};
  let bytes = 2; // {}
  for (const { feature, share } of features.slice(0, TAG_IMPORTANCES_MAX_FEATURES)) {
    if (feature.length > 200 || CONTROL_CHARS.test(feature)) continue;
    const rounded = Math.round(share * 1e4) / 1e4;
    const entry = Buffer.byteLength(`${JSON.stringify(feature)}:${JSON.stringify(rounded)}`) + 1;
    if (bytes + entry > TAG_IMPORTANCES_MAX_BYTES) break;
    kept[feature] = rounded;
    bytes += entry;
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** Where a version's full metrics are stored when its tag carries only the headline ones. */
export const ALL_METRICS_FILE = "metrics.json";

/**
 * The metrics a tag carries: the gated ones first (they are what reports and promotions compare),
 * then the others in their file order, as many as fit in `maxBytes` of JSON. `omitted` counts the rest.
 */
export function headlineMetrics(
  metrics: Record<string, number>,
  options: { first?: readonly string[]; maxBytes?: number } = {},
): { metrics: Record<string, number>; omitted: number } {
  const maxBytes = options.maxBytes ?? TAG_METRICS_MAX_BYTES;
  const names = Object.keys(metrics);
  if (Buffer.byteLength(JSON.stringify(metrics)) <= maxBytes) return { metrics, omitted: 0 };
  const ordered = [...new Set([...(options.first ?? []).filter((n) => Object.hasOwn(metrics, n)), ...names])];
  const kept: Record<string, number> = {};
  let bytes = 2; // {}
  for (const name of ordered) {
    const entry = Buffer.byteLength(`${JSON.stringify(name)}:${JSON.stringify(metrics[name])}`) + 1;
    if (bytes + entry > maxBytes) continue;
    kept[name] = metrics[name]!;
    bytes += entry;
  }
  return { metrics: kept, omitted: names.length - Object.keys(kept).length };
}

function requireVersion(action: TagAction, version: string | undefined): string {
  if (version === undefined || version.length === 0) {
    throw new Error(`tagMessage: a ${action.action} message needs the version it concerns`);
  }
  if (!isCommitSha(version)) {
    // Same validation as a tag's version, so a crafted version cannot carry a newline into the message.
    formatTag({ action: "register", name: action.name, version });
  }
  return version;
}

/** Stage actions are validated with a dummy counter so that GTO's simple form can still get a sentence. */
function stageFormsWritable(action: TagAction): TagAction {
  if ((action.action === "assign" || action.action === "unassign") && action.counter === undefined) {
    return { ...action, counter: 1 };
  }
  return action;
}

export function isCommitSha(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value) || /^[0-9a-f]{64}$/.test(value);
}
