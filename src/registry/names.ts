/**
 * Names, stages and versions exactly as GTO (iterative/gto, gto/constants.py) accepts them, plus the
 * few extra rules git itself enforces on ref names (so a name we accept always yields a tag git can
 * create, and a name git could never hold is refused up front with a reason).
 *
 * GTO's regexes (copied, not paraphrased):
 *   dirname = "[a-zA-Z0-9-_./]+"
 *   name    = "[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?"
 *   fullname        = (dirname ":")? name      -- how a user writes a model in a folder
 *   fullname_in_tag = (dirname "=")? name      -- how the same model is spelled inside a tag
 *   semver  = the semver.org regex, and a version is "v" + semver (lowercase v only)
 */
import { UserError } from "../util/errors";

/** A model in a folder is `dir:name` for people and `dir=name` inside tags (GTO's separators). */
export const SEPARATOR_IN_NAME = ":";
export const SEPARATOR_IN_TAG = "=";

// Character classes are written with an escaped '-' so they mean the same in JS as in Python.
export const NAME_PATTERN = "[a-zA-Z0-9](?:[a-zA-Z0-9\\-/_]*[a-zA-Z0-9])?";
export const DIRNAME_PATTERN = "[a-zA-Z0-9\\-_./]+";
export const SEMVER_PATTERN =
  "(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)" +
  "(?:-(?:(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?" +
  "(?:\\+(?:[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?";
export const FULLNAME_IN_TAG_PATTERN = `(?:${DIRNAME_PATTERN}${SEPARATOR_IN_TAG})?${NAME_PATTERN}`;

const nameRe = new RegExp(`^${NAME_PATTERN}$`);
const dirnameRe = new RegExp(`^${DIRNAME_PATTERN}$`);
const versionRe = new RegExp(`^v${SEMVER_PATTERN}$`);

/**
 * GTO sets no length limit; git stores each tag as a file, and file names stop at 255 bytes. These
 * limits leave room for `@v…`, `#stage#N` and `!` within one path component. They apply to what gitml
 * writes; reading accepts what GTO accepts (`withLimits: false`), so a longer tag another tool wrote
 * still counts.
 */
export const MAX_NAME_LENGTH = 128;
export const MAX_STAGE_LENGTH = 64;
export const MAX_VERSION_LENGTH = 64;

const fullnameRe = new RegExp(`^(?:${DIRNAME_PATTERN}${SEPARATOR_IN_NAME})?${NAME_PATTERN}$`);
/** Anything git might refuse that GTO's regexes let through; names without it skip the slow checks. */
const gitHazard = /\.|\/\/|^[-/]|\/:/;

/** True when `name` is a valid model name, `name` or `dir:name` (GTO's fullname + git's ref rules). */
export function isValidName(name: string, withLimits = true): boolean {
  if (typeof name !== "string" || name.length === 0) return false;
  if (withLimits && name.length > MAX_NAME_LENGTH) return false;
  if (!fullnameRe.test(name)) return false;
  return !gitHazard.test(name) || nameProblem(name, undefined, withLimits) === undefined;
}

export function isValidStage(stage: string, withLimits = true): boolean {
  return (
    typeof stage === "string" &&
    (!withLimits || stage.length <= MAX_STAGE_LENGTH) &&
    nameRe.test(stage) &&
    !stage.includes("//")
  );
}

export function isValidVersion(version: string, withLimits = true): boolean {
  return (!withLimits || version.length <= MAX_VERSION_LENGTH) && versionRe.test(version);
}

/** Throws a UserError saying why `name` is not a valid model name. */
export function assertValidName(name: string, what = "model name", withLimits = true): void {
  const problem = nameProblem(name, what, withLimits);
  if (problem) throw new UserError(problem);
}

export function assertValidStage(stage: string, what = "stage", withLimits = true): void {
  const problem = simpleNameProblem(stage, what, withLimits ? MAX_STAGE_LENGTH : Infinity);
  if (problem) throw new UserError(problem);
}

export function assertValidVersion(version: string, what = "version", withLimits = true): void {
  if (isValidVersion(version, withLimits)) return;
  const shown = JSON.stringify(version);
  if (withLimits && version.length > MAX_VERSION_LENGTH) {
    throw new UserError(
      `Invalid ${what} ${shown.slice(0, 40)}…: longer than ${MAX_VERSION_LENGTH} characters.`,
    );
  }
  if (new RegExp(`^${SEMVER_PATTERN}$`).test(version)) {
    throw new UserError(`Invalid ${what} ${shown}: versions start with a lowercase "v", e.g. "v${version}".`);
  }
  if (new RegExp(`^V${SEMVER_PATTERN}$`).test(version)) {
    throw new UserError(`Invalid ${what} ${shown}: use a lowercase "v", e.g. "v${version.slice(1)}".`);
  }
  throw new UserError(
    `Invalid ${what} ${shown}: expected "v" followed by a semantic version (MAJOR.MINOR.PATCH, e.g. "v1.4.0" or "v2.0.0-rc.1").`,
  );
}

/** `dir:name` -> `dir=name`; a plain name is unchanged. Validates first. */
export function nameToTagPart(name: string): string {
  assertValidName(name);
  return name.replace(SEPARATOR_IN_NAME, SEPARATOR_IN_TAG);
}

/** `dir=name` -> `dir:name`; a plain name is unchanged. Validates the result. */
export function tagPartToName(tagPart: string): string {
  const name = tagPart.replace(SEPARATOR_IN_TAG, SEPARATOR_IN_NAME);
  assertValidName(name);
  return name;
}

/** Splits `dir:name` into its parts (dir undefined for a plain name). Assumes a valid name. */
export function splitName(name: string): { dir?: string; base: string } {
  const at = name.indexOf(SEPARATOR_IN_NAME);
  return at < 0 ? { base: name } : { dir: name.slice(0, at), base: name.slice(at + 1) };
}

function nameProblem(name: string, what = "model name", withLimits = true): string | undefined {
  if (typeof name !== "string" || name.length === 0) return `Invalid ${what}: it is empty.`;
  const shown = JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
  if (withLimits && name.length > MAX_NAME_LENGTH)
    return `Invalid ${what} ${shown}: longer than ${MAX_NAME_LENGTH} characters.`;
  const parts = name.split(SEPARATOR_IN_NAME);
  if (parts.length > 2) return `Invalid ${what} ${shown}: at most one ":" (folder:name) is allowed.`;
  if (parts.length === 2) {
    const [dir, base] = parts as [string, string];
    const dirProblem = dirnameProblem(dir);
    if (dirProblem) return `Invalid ${what} ${shown}: the folder part ${JSON.stringify(dir)} ${dirProblem}.`;
    const baseProblem = simpleNameReason(base);
    if (baseProblem) return `Invalid ${what} ${shown}: the name after ":" ${baseProblem}.`;
    return undefined;
  }
  const reason = simpleNameReason(name);
  return reason ? `Invalid ${what} ${shown}: it ${reason}.` : undefined;
}

function simpleNameProblem(value: string, what: string, maxLength: number): string | undefined {
  if (typeof value !== "string" || value.length === 0) return `Invalid ${what}: it is empty.`;
  const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value.length > maxLength) return `Invalid ${what} ${shown}: longer than ${maxLength} characters.`;
  const reason = simpleNameReason(value);
  return reason ? `Invalid ${what} ${shown}: it ${reason}.` : undefined;
}

/** Why a GTO `name` (no folder part) is invalid, phrased to follow "it …". */
function simpleNameReason(value: string): string | undefined {
  if (value.length === 0) return "is empty";
  if (nameRe.test(value))
    return value.includes("//") ? 'contains "//" (git refuses empty path parts)' : undefined;
  if (/[^\x20-\x7e]/.test(value))
    return "contains non-ASCII or control characters (only a-z, A-Z, 0-9, '-', '_', '/')";
  if (/\s/.test(value)) return "contains spaces (only a-z, A-Z, 0-9, '-', '_', '/')";
  if (value.includes(".")) return "contains a dot (only a-z, A-Z, 0-9, '-', '_', '/')";
  const bad = value.match(/[^a-zA-Z0-9\-/_]/);
  if (bad) return `contains ${JSON.stringify(bad[0])} (only a-z, A-Z, 0-9, '-', '_', '/')`;
  if (!/^[a-zA-Z0-9]/.test(value))
    return `starts with ${JSON.stringify(value[0])} (it must start with a letter or digit)`;
  return `ends with ${JSON.stringify(value[value.length - 1])} (it must end with a letter or digit)`;
}

/** GTO's dirname regex, narrowed by git's ref-name rules (git check-ref-format). */
function dirnameProblem(dir: string): string | undefined {
  if (dir.length === 0) return "is empty";
  if (/[^\x20-\x7e]/.test(dir)) return "contains non-ASCII or control characters";
  if (!dirnameRe.test(dir)) {
    const bad = dir.match(/[^a-zA-Z0-9\-_./]/);
    return `contains ${JSON.stringify(bad?.[0] ?? "?")} (only a-z, A-Z, 0-9, '-', '_', '.', '/')`;
  }
  if (dir.includes("..")) return 'contains ".." (git refuses it in tag names)';
  if (dir.startsWith("/") || dir.endsWith("/")) return 'starts or ends with "/"';
  if (dir.includes("//")) return 'contains "//"';
  if (dir.startsWith("-")) return 'starts with "-"';
  for (const component of dir.split("/")) {
    if (component.startsWith("."))
      return `has a part starting with "." (${JSON.stringify(component)}; git refuses it)`;
    if (component.endsWith(".lock")) return `has a part ending with ".lock" (git refuses it)`;
  }
  if (dir.endsWith(".")) return 'ends with "."';
  return undefined;
}
