/**
 * GTO's tag grammar (gto/constants.py `tag_re`, gto/tag.py `parse_name` / `name_tag`):
 *
 *   <artifact>@v<semver>[!][#N]     register / deregister (`!`)
 *   <artifact>#<stage>[!][#N]       assign / unassign (`!`); without `#N` it is GTO's simple form
 *   <artifact>@deprecated[#N]       deprecate
 *
 * where <artifact> is `name` or `dir=name` (the model `dir:name`). GTO's `@created` form matches
 * its regex, but GTO has no action for it: its reads index every tag its regex matches, so one
 * `m@created` tag makes every GTO `show`, `history` and `check-ref` fail. gitml skips it and
 * reports it (replay's `ignored`, and `doctor`), so that one stray tag does not stop the registry.
 *
 * Reading accepts every tag GTO's regex accepts, whatever its length; gitml's length limits
 * (names.ts) apply only to the tags it writes.
 */
import { UserError } from "../util/errors";
import type { TagAction } from "./types";
import {
  FULLNAME_IN_TAG_PATTERN,
  NAME_PATTERN,
  SEMVER_PATTERN,
  SEPARATOR_IN_NAME,
  SEPARATOR_IN_TAG,
  assertValidName,
  assertValidStage,
  assertValidVersion,
  isValidName,
  isValidStage,
  isValidVersion,
} from "./names";

/** gitml writes no tag longer than this (git keeps each tag in a file; names stop at 255 bytes). */
export const MAX_TAG_LENGTH = 250;

const tagRe = new RegExp(
  `^(?<artifact>${FULLNAME_IN_TAG_PATTERN})` +
    `(?:(?:#(?<stage>${NAME_PATTERN})|@(?<version>v${SEMVER_PATTERN}))(?<cancel>!?)|@(?<deprecated>deprecated)|@(?<created>created))` +
    `(?:#(?<counter>[0-9]+))?$`,
);

// A registry has few names and many tags: validate each name once per process.
const nameValidity = new Map<string, boolean>();
function isValidNameMemo(name: string): boolean {
  let valid = nameValidity.get(name);
  if (valid === undefined) {
    valid = isValidName(name, false);
    if (nameValidity.size < 100_000) nameValidity.set(name, valid);
  }
  return valid;
}

/**
 * Parses a tag name (short, or with a `refs/tags/` prefix). Returns undefined when the tag is not a
 * registry tag GTO would index; never throws.
 */
export function parseTag(tag: string): TagAction | undefined {
  const short = tag.startsWith("refs/tags/") ? tag.slice("refs/tags/".length) : tag;
  const fast = parseCommonTag(short);
  return fast === FALL_BACK ? parseTagWithRegex(short) : fast;
}

const FALL_BACK = Symbol("fall back to the regex");
const CODE_AT = 64; // '@'
const CODE_HASH = 35; // '#'
const CODE_BANG = 33; // '!'
const artifactRe = new RegExp(`^${FULLNAME_IN_TAG_PATTERN}$`);
const plainVersionRe = /^v(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)$/;
const counterRe = /^[0-9]+$/;
// Artifact spelling in a tag -> model name, or null when the regex or git's rules reject it.
const artifactNames = new Map<string, string | null>();
const stageValidity = new Map<string, boolean>();
let lastArtifact = "";
let lastArtifactName: string | null = null;

/**
 * The regex's named groups cost several allocations per tag; registries are almost only plain
 * `name@vX.Y.Z`, `name#stage#N` and `name@deprecated#N` tags, which this reads by hand. It gives the
 * regex's answer or FALL_BACK (any other shape: folders, prereleases, stray characters).
 */
function parseCommonTag(short: string): TagAction | undefined | typeof FALL_BACK {
  const length = short.length;
  let cut = 0;
  while (cut < length) {
    const code = short.charCodeAt(cut);
    if (code === CODE_AT || code === CODE_HASH) break;
    cut++;
  }
  if (cut === 0 || cut === length) return FALL_BACK;
  let name: string | null | undefined;
  // for-each-ref lists tags by name, so a model's tags come one after another: skip the lookup.
  if (cut === lastArtifact.length && short.startsWith(lastArtifact)) {
    name = lastArtifactName;
  } else {
    const artifact = short.slice(0, cut);
    name = artifactNames.get(artifact);
    if (name === undefined) {
      name = artifactRe.test(artifact) ? artifact.replace(SEPARATOR_IN_TAG, SEPARATOR_IN_NAME) : null;
      if (name !== null && !isValidNameMemo(name)) name = null;
      if (artifactNames.size < 100_000) artifactNames.set(artifact, name);
    }
    lastArtifact = artifact;
    lastArtifactName = name;
  }
  if (name === null) return undefined;

  const start = cut + 1;
  if (short.charCodeAt(cut) === CODE_AT && short.startsWith("deprecated", start)) {
    const end = start + "deprecated".length;
    if (end === length) return { action: "deprecate", name };
    if (short.charCodeAt(end) !== CODE_HASH) return FALL_BACK;
    const counter = counterAt(short, end + 1);
    if (counter === FALL_BACK) return FALL_BACK;
    return counter === undefined ? undefined : { action: "deprecate", name, counter };
  }
  let end = start;
  while (end < length) {
    const code = short.charCodeAt(end);
    if (code === CODE_BANG || code === CODE_HASH) break;
    end++;
  }
  const part = short.slice(start, end);
  const cancelled = end < length && short.charCodeAt(end) === CODE_BANG;
  const tail = cancelled ? end + 1 : end;
  let counter: number | undefined;
  if (tail < length) {
    if (short.charCodeAt(tail) !== CODE_HASH) return FALL_BACK;
    const parsed = counterAt(short, tail + 1);
    if (parsed === FALL_BACK) return FALL_BACK;
    if (parsed === undefined) return undefined;
    counter = parsed;
  }
  let action: TagAction;
  if (short.charCodeAt(cut) === CODE_AT) {
    if (!plainVersionRe.test(part)) return FALL_BACK;
    action = { action: cancelled ? "deregister" : "register", name, version: part };
  } else {
    let valid = stageValidity.get(part);
    if (valid === undefined) {
      valid = nameRe.test(part) && isValidStage(part, false);
      if (stageValidity.size < 100_000) stageValidity.set(part, valid);
    }
    if (!valid) return FALL_BACK;
    action = { action: cancelled ? "unassign" : "assign", name, stage: part };
  }
  if (counter !== undefined) action.counter = counter;
  return action;
}

/** The `#N` counter running from `start` to the end: FALL_BACK when not digits, undefined when unsafe. */
function counterAt(short: string, start: number): number | undefined | typeof FALL_BACK {
  const end = short.length;
  if (start === end) return FALL_BACK;
  if (end - start > 15) {
    const digits = short.slice(start);
    return counterRe.test(digits) ? parseCounter(digits) : FALL_BACK;
  }
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = short.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return FALL_BACK;
    value = value * 10 + digit;
  }
  return value;
}

const nameRe = new RegExp(`^${NAME_PATTERN}$`);

function parseTagWithRegex(short: string): TagAction | undefined {
  const match = tagRe.exec(short);
  const groups = match?.groups;
  if (!groups || groups.created !== undefined) return undefined;
  const name = groups.artifact!.replace(SEPARATOR_IN_TAG, SEPARATOR_IN_NAME);
  // GTO's regex admits names git could never store (e.g. `a/../b`); those are not registry tags.
  if (!isValidNameMemo(name)) return undefined;
  const counter = groups.counter === undefined ? undefined : parseCounter(groups.counter);
  if (groups.counter !== undefined && counter === undefined) return undefined;
  const cancelled = groups.cancel === "!";
  if (groups.deprecated !== undefined) return withCounter({ action: "deprecate", name }, counter);
  if (groups.version !== undefined) {
    if (!isValidVersion(groups.version, false)) return undefined;
    return withCounter(
      { action: cancelled ? "deregister" : "register", name, version: groups.version },
      counter,
    );
  }
  if (groups.stage !== undefined) {
    if (!isValidStage(groups.stage, false)) return undefined;
    return withCounter({ action: cancelled ? "unassign" : "assign", name, stage: groups.stage }, counter);
  }
  return undefined;
}

/**
 * Formats the tag for an action, validating every part (UserError on bad input). GTO's simple stage
 * forms (`name#stage`, `name#stage!`) are read-only: they cannot be repeated, so gitml never writes them.
 */
export function formatTag(action: TagAction): string {
  assertValidName(action.name);
  const artifact = action.name.replace(SEPARATOR_IN_NAME, SEPARATOR_IN_TAG);
  let tag: string;
  switch (action.action) {
    case "register":
    case "deregister":
      assertValidVersion(action.version);
      tag = `${artifact}@${action.version}${action.action === "deregister" ? "!" : ""}`;
      break;
    case "assign":
    case "unassign":
      assertValidStage(action.stage);
      if (action.counter === undefined) {
        throw new UserError(
          `Refusing to write GTO's simple stage tag ${JSON.stringify(`${artifact}#${action.stage}`)}: stage tags carry a #N counter.`,
        );
      }
      tag = `${artifact}#${action.stage}${action.action === "unassign" ? "!" : ""}`;
      break;
    case "deprecate":
      tag = `${artifact}@deprecated`;
      break;
    default:
      throw new Error(`Unknown registry action ${JSON.stringify((action as { action: unknown }).action)}`);
  }
  if (action.counter !== undefined) {
    if (!Number.isSafeInteger(action.counter) || action.counter < 1) {
      throw new UserError(`Invalid tag counter ${String(action.counter)}: it must be a whole number ≥ 1.`);
    }
    tag += `#${action.counter}`;
  }
  if (tag.length > MAX_TAG_LENGTH) {
    throw new UserError(
      `Tag ${JSON.stringify(tag.slice(0, 60))}… is longer than ${MAX_TAG_LENGTH} characters.`,
    );
  }
  return tag;
}

/** GTO's event name for an action (as in `check-ref --json` / `history --json`). */
export function eventTypeOf(action: TagAction["action"]) {
  return EVENT_TYPES[action];
}

const EVENT_TYPES = {
  register: "registration",
  deregister: "deregistration",
  assign: "assignment",
  unassign: "unassignment",
  deprecate: "deprecation",
} as const;

/**
 * True for tags that are shaped like registry tags (a valid model name followed by `@` or `#`) but do
 * not parse: replay reports them instead of silently skipping them.
 */
export function looksLikeRegistryTag(tag: string): boolean {
  const short = tag.startsWith("refs/tags/") ? tag.slice("refs/tags/".length) : tag;
  const cut = short.search(/[@#]/);
  if (cut <= 0) return false;
  return isValidName(short.slice(0, cut).replace(SEPARATOR_IN_TAG, SEPARATOR_IN_NAME), false);
}

function parseCounter(text: string): number | undefined {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

function withCounter<T extends TagAction>(action: T, counter: number | undefined): T {
  if (counter !== undefined) action.counter = counter;
  return action;
}
