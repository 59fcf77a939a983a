import type { ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { parseTag } from "../registry/tags";
import type { TagAction, TagRecord } from "../registry/types";
import { startTagRead, TAG_OBJECTS_ARGS, TAG_REFS_ARGS, type StartedTagRead } from "./tag-read-start";

export { TAG_OBJECTS_ARGS, TAG_REFS_ARGS };

// Kept free of heavy imports (tags.ts is the registry's grammar alone): the CLI entry loads this before
// anything else (see prefetchTagListing).

/**
 * Every tag is read with two git processes rather than one `git for-each-ref` asking for the tagger,
 * date and message: for-each-ref reads every tag object before it prints its first line (its sort
 * fills in all fields), so its output comes in one burst at the end and nothing can overlap it. Here
 * 1. `for-each-ref` lists each tag's name, object and object type, which needs no object read at all;
 * 2. `cat-file --batch` prints the tag objects (and the commits of lightweight tags) as it reads them,
 *    and they are parsed while it still runs.
 * git does less work this way (10,000 tags: ~30 + ~30 ms, against ~85 ms for the one for-each-ref of
 * the same fields), and the fields mean exactly what for-each-ref's `%(*objectname)`,
 * `%(creatordate:raw)`, `%(taggername)`, `%(taggeremail:trim)` and `%(contents)` would give
 * (test/git/tag-listing.test.ts compares both on odd and malformed tags).
 */

/** One line of TAG_REFS_ARGS's listing. */
export interface ListedRef {
  tag: string;
  /** The object the ref points at. */
  object: string;
  /** Its type: `tag` for an annotated tag, `commit` (usually) for a lightweight one. */
  type: string;
}

/** Parses TAG_REFS_ARGS's output (ref names hold neither spaces nor newlines: git forbids both). */
export function parseTagRefs(listing: string): ListedRef[] {
  const refs: ListedRef[] = [];
  parseTagRefLines(listing, refs, true);
  return refs;
}

/**
 * Adds the refs of `listing`'s lines to `refs`; returns where the unfinished last line starts (the
 * text's length when `whole`, or when every line is finished).
 */
function parseTagRefLines(listing: string, refs: ListedRef[], whole: boolean): number {
  let start = 0;
  while (start < listing.length) {
    let end = listing.indexOf("\n", start);
    if (end < 0) {
      if (!whole) return start;
      end = listing.length;
    }
    const afterObject = listing.indexOf(" ", start);
    const afterType = afterObject < 0 ? -1 : listing.indexOf(" ", afterObject + 1);
    if (afterType > 0 && afterType < end) {
      refs.push({
        object: listing.slice(start, afterObject),
        type: objectType(listing, afterObject + 1, afterType),
        tag: listing.slice(afterType + 1, end),
      });
    }
    start = end + 1;
  }
  return listing.length;
}

/** listing[start, end): `tag` and `commit` (nearly every ref) as shared strings rather than one per ref. */
function objectType(listing: string, start: number, end: number): string {
  if (end - start === 3 && listing.startsWith("tag", start)) return "tag";
  if (end - start === 6 && listing.startsWith("commit", start)) return "commit";
  return listing.slice(start, end);
}

/** Tags and commits are read from cat-file; a lightweight tag of a tree or a blob has no fields to read. */
function hasFields(ref: ListedRef): boolean {
  return ref.type === "tag" || ref.type === "commit";
}

/** What cat-file is asked for: one object id per line, in listing order. */
export function objectRequests(refs: readonly ListedRef[]): string {
  let requests = "";
  for (const ref of refs) if (hasFields(ref)) requests += `${ref.object}\n`;
  return requests;
}

/**
 * Parses `cat-file --batch` output as it streams in, into one record per listed ref, in listing order.
 * Each chunk is read as latin1 text, one character per byte, so cat-file's sizes (in bytes) are
 * offsets in it and the parse runs on V8's string builtins. Records keep no part of that text (it
 * dies young, which costs the garbage collector nothing): they keep the bytes, outside V8's heap, and
 * decode the tagger and message as UTF-8 only when read (replaying a large registry reads neither).
 */
export class TagObjectParser {
  readonly #refs: readonly ListedRef[];
  readonly #records: TagRecord[] = [];
  /** The next listed ref to make a record of. */
  #next = 0;
  /** Output not parsed yet (an object split across chunks), and how many bytes the next object needs. */
  #pending: Buffer[] = [];
  #pendingLength = 0;
  /** One string per commit: most tags share their commit with others. */
  readonly #commits = new Map<string, string>();
  #needed = 0;

  constructor(refs: readonly ListedRef[]) {
    this.#refs = refs;
    this.#recordRefsWithoutFields();
  }

  push(chunk: Buffer): void {
    this.#pending.push(chunk);
    this.#pendingLength += chunk.length;
    // A large object arrives in many chunks: join them once, when it is whole.
    if (this.#pendingLength < this.#needed) return;
    const bytes = this.#pending.length === 1 ? chunk : Buffer.concat(this.#pending, this.#pendingLength);
    const text = bytes.toString("latin1");
    let position = 0;
    this.#needed = 0;
    while (this.#next < this.#refs.length) {
      const headerEnd = text.indexOf("\n", position);
      if (headerEnd < 0) break;
      // `<id> <type> <size>`, or `<id> missing`
      const lastSpace = text.lastIndexOf(" ", headerEnd);
      const size = lastSpace > position ? digitsAt(text, lastSpace + 1, headerEnd) : -1;
      if (size < 0) {
        throw new Error(
          `git cat-file: ${text.slice(position, headerEnd)} (tag ${this.#refs[this.#next]!.tag})`,
        );
      }
      const start = headerEnd + 1;
      const end = start + size;
      if (end + 1 > text.length) {
        this.#needed = end + 1 - position;
        break;
      }
      this.#records.push(objectRecord(this.#refs[this.#next++]!, text, bytes, start, end, this.#commits));
      this.#recordRefsWithoutFields();
      position = end + 1; // the newline after the object
    }
    const rest = position < bytes.length ? bytes.subarray(position) : undefined;
    this.#pending = rest ? [rest] : [];
    this.#pendingLength = rest ? rest.length : 0;
  }

  /** Every ref's record; throws when cat-file ended before printing them all. */
  end(): TagRecord[] {
    this.#recordRefsWithoutFields(); // refs listed after the last object
    if (this.#next < this.#refs.length) {
      throw new Error(`git cat-file ended before printing tag ${this.#refs[this.#next]!.tag}`);
    }
    return this.#records;
  }

  #recordRefsWithoutFields(): void {
    while (this.#next < this.#refs.length && !hasFields(this.#refs[this.#next]!)) {
      const ref = this.#refs[this.#next++]!;
      this.#records.push(new ListedTag(ref.tag, false, ref.object, 0, 0, NO_BYTES, 0, 0, -1));
    }
  }
}

const NO_BYTES = Buffer.alloc(0);

/** The record of a ref from its object, text[start, end) (latin1: one character per byte of `bytes`). */
function objectRecord(
  ref: ListedRef,
  text: string,
  bytes: Buffer,
  start: number,
  end: number,
  commits: Map<string, string>,
): TagRecord {
  const annotated = ref.type === "tag";
  const identHeader = annotated ? "tagger " : "committer ";
  let commit = annotated ? "" : ref.object;
  let sawObject = false;
  let ident = -1;
  let position = start;
  // What git writes: `object <id>` first, then a `tagger` line before the header's end (its first
  // empty line), found with two searches instead of a loop over the lines.
  if (annotated && text.startsWith("object ", start)) {
    const objectEnd = start + 7 + ref.object.length;
    const tagger = text.charCodeAt(objectEnd) === 10 ? text.indexOf("\ntagger ", objectEnd) : -1;
    if (tagger > 0 && tagger + 8 <= end) {
      const headerEnd = text.indexOf("\n\n", objectEnd);
      if (headerEnd < 0 || headerEnd > tagger) {
        commit = internedCommit(commits, text, bytes, start + 7, objectEnd);
        ident = tagger + 8;
        position = end; // header read
      }
    }
  }
  // Any other header: lines up to the first empty one (git reads the first line of each kind).
  while (position < end && text.charCodeAt(position) !== 10) {
    let lineEnd = text.indexOf("\n", position);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    if (annotated && !sawObject && text.startsWith("object ", position) && position + 7 <= lineEnd) {
      // `%(*objectname)`: what the tag points at (empty without an object line).
      commit = internedCommit(commits, text, bytes, position + 7, lineEnd);
      sawObject = true;
    } else if (
      ident < 0 &&
      text.startsWith(identHeader, position) &&
      position + identHeader.length <= lineEnd
    ) {
      ident = position + identHeader.length;
    }
    position = lineEnd + 1;
  }
  if (ident < 0) return new ListedTag(ref.tag, annotated, commit, 0, 0, bytes, start, end, ident);
  const dateStart = text.indexOf("> ", ident);
  if (dateStart < 0 || dateStart + 2 > end)
    return new ListedTag(ref.tag, annotated, commit, 0, 0, bytes, start, end, ident);
  return identRecord(ref, annotated, commit, text, bytes, start, end, ident, dateStart + 2);
}

/**
 * A record with `%(creatordate:raw)` as git computes it from the ident: the number after the first
 * `> `, then the zone as a number, which git prints as `%+05d` (so a zone past four digits is no UTC
 * offset).
 */
function identRecord(
  ref: ListedRef,
  annotated: boolean,
  commit: string,
  text: string,
  bytes: Buffer,
  start: number,
  end: number,
  ident: number,
  dateStart: number,
): TagRecord {
  let position = dateStart;
  while (position < end && isSpace(text.charCodeAt(position))) position++;
  const secondsStart = position;
  let seconds = 0;
  for (let digit = text.charCodeAt(position) - 48; position < end && digit >= 0 && digit <= 9;) {
    seconds = seconds * 10 + digit;
    digit = text.charCodeAt(++position) - 48;
  }
  if (position - secondsStart > 15) seconds = Number(text.slice(secondsStart, position));
  while (position < end && isSpace(text.charCodeAt(position))) position++;
  const sign = text.charCodeAt(position);
  if (sign === 43 /* + */ || sign === 45 /* - */) position++;
  let zone = 0;
  for (let digit = text.charCodeAt(position) - 48; position < end && digit >= 0 && digit <= 9;) {
    zone = zone * 10 + digit;
    digit = text.charCodeAt(++position) - 48;
  }
  let utcOffset = 0;
  if (zone <= 9999) {
    utcOffset = Math.floor(zone / 100) * 3600 + (zone % 100) * 60;
    if (sign === 45 && utcOffset !== 0) utcOffset = -utcOffset;
  }
  return new ListedTag(ref.tag, annotated, commit, seconds, utcOffset, bytes, start, end, ident);
}

/** A decimal number in text[start, end), or -1 when it is not one. */
function digitsAt(text: string, start: number, end: number): number {
  if (end <= start) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** C's isspace. */
function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/**
 * text[start, end) as a string of its own: a slice would keep the whole chunk's text alive (V8 slices
 * longer strings by reference), and the garbage collector would copy it around with the records.
 */
function internedCommit(
  commits: Map<string, string>,
  text: string,
  bytes: Buffer,
  start: number,
  end: number,
): string {
  const slice = text.slice(start, end);
  let commit = commits.get(slice);
  if (commit === undefined) {
    commit = bytes.toString("latin1", start, end);
    commits.set(commit, commit);
  }
  return commit;
}

/**
 * A listed tag whose tagger and message are decoded only when read: replaying a large registry reads
 * neither, and 30,000 strings fewer are 30,000 objects the garbage collector does not copy.
 */
class ListedTag implements TagRecord {
  /** Parsed here, while git still prints the objects, rather than in replay after the last one. */
  readonly action: TagAction | null;
  readonly #bytes: Buffer;
  readonly #start: number;
  readonly #end: number;
  /** Where the tagger's (a lightweight tag's: the committer's) ident starts in #bytes; -1: none. */
  readonly #ident: number;
  constructor(
    readonly tag: string,
    readonly annotated: boolean,
    readonly commit: string,
    readonly date: number,
    readonly utcOffset: number,
    bytes: Buffer,
    start: number,
    end: number,
    ident: number,
  ) {
    this.action = parseTag(tag) ?? null;
    this.#bytes = bytes;
    this.#start = start;
    this.#end = end;
    this.#ident = ident;
  }
  /** `%(taggername)`: up to ` <` on the tagger line; empty for a lightweight tag. */
  get taggerName(): string {
    if (!this.annotated || this.#ident < 0) return "";
    let lineEnd = this.#bytes.indexOf(NEWLINE, this.#ident);
    if (lineEnd < 0 || lineEnd > this.#end) lineEnd = this.#end;
    const nameEnd = this.#bytes.indexOf(" <", this.#ident);
    return nameEnd < 0 || nameEnd + 1 >= lineEnd ? "" : this.#bytes.toString("utf8", this.#ident, nameEnd);
  }
  /** `%(taggeremail:trim)`: between the first `<` after the tagger line's start and the next `>`. */
  get taggerEmail(): string {
    if (!this.annotated || this.#ident < 0) return "";
    const open = this.#bytes.indexOf("<", this.#ident);
    if (open < 0 || open >= this.#end) return "";
    const close = this.#bytes.indexOf(">", open + 1);
    return close < 0 || close >= this.#end ? "" : this.#bytes.toString("utf8", open + 1, close);
  }
  /**
   * `%(contents)` without its final newline: what follows the header and any empty lines after it, up
   * to a NUL (git reads it as a C string).
   */
  get message(): string {
    const bytes = this.#bytes;
    const end = this.#end;
    let position = this.#start;
    while (position < end && bytes[position] !== NEWLINE) {
      const lineEnd = bytes.indexOf(NEWLINE, position);
      position = lineEnd < 0 || lineEnd >= end ? end : lineEnd + 1;
    }
    while (position < end && bytes[position] === NEWLINE) position++;
    let messageEnd = bytes.indexOf(0, position);
    if (messageEnd < 0 || messageEnd > end) messageEnd = end;
    if (messageEnd > position && bytes[messageEnd - 1] === NEWLINE) messageEnd--;
    return bytes.toString("utf8", position, messageEnd);
  }
}

const NEWLINE = 10;

/**
 * Reads the listed refs' objects from a started `git cat-file --batch` (TAG_OBJECTS_ARGS), parsing its
 * output as it arrives; rejects when cat-file fails or ends early.
 */
export function readTagObjects(
  catFile: ChildProcessByStdio<Writable, Readable, Readable | null>,
  refs: readonly ListedRef[],
): Promise<TagRecord[]> {
  const records = collectTagObjects(catFile, refs);
  catFile.stdin.end(objectRequests(refs));
  return records;
}

/**
 * Parses what a started cat-file prints for `refs` (an array that may still grow while its requests
 * are written); rejects when cat-file fails or ends early.
 */
function collectTagObjects(
  catFile: ChildProcessByStdio<Writable, Readable, Readable | null>,
  refs: readonly ListedRef[],
): Promise<TagRecord[]> {
  return new Promise((resolve, reject) => {
    const parser = new TagObjectParser(refs);
    let failure: unknown;
    let stderr = "";
    catFile.stderr?.setEncoding("utf8");
    catFile.stderr?.on("data", (text: string) => (stderr += text));
    catFile.stdout.on("data", (chunk: Buffer) => {
      if (failure !== undefined) return;
      try {
        parser.push(chunk);
      } catch (error) {
        failure = error;
        catFile.kill();
      }
    });
    // A cat-file that died early closes its input: the error is the exit code's, not EPIPE's.
    catFile.stdin.on("error", () => {});
    catFile.on("error", reject);
    catFile.on("close", (code) => {
      if (failure !== undefined) reject(failure);
      else if (code !== 0) reject(new Error(`git cat-file --batch failed (${code}): ${stderr.trim()}`));
      else {
        try {
          resolve(parser.end());
        } catch (error) {
          reject(error);
        }
      }
    });
  });
}

/**
 * A tag listing started ahead of time, used at most once: after a command writes tags, the listing is
 * stale, so the first read takes it and every later read runs git again.
 */
export class TagListingPrefetch {
  #records: Promise<TagRecord[] | undefined> | undefined;
  constructor(
    readonly cwd: string,
    records: Promise<TagRecord[] | undefined>,
  ) {
    this.#records = records;
  }
  /** The listing (undefined when git failed: the caller runs git itself and reports the error), once. */
  take(): Promise<TagRecord[] | undefined> | undefined {
    const records = this.#records;
    this.#records = undefined;
    return records;
  }
}

/**
 * Starts the git processes of a tag read and reads them (see prefetchStartedTagRead); the CLI entry
 * starts them itself, before it loads this module.
 */
export function prefetchTagListing(cwd: string): TagListingPrefetch {
  try {
    return prefetchStartedTagRead(startTagRead(cwd));
  } catch {
    // cwd is a file (ENOTDIR): the caller's own git run reports it.
    return new TagListingPrefetch(cwd, Promise.resolve(undefined));
  }
}

/**
 * Reads a tag read started before the rest of the CLI was even loaded (./tag-read-start.ts), so git's
 * time overlaps Node's module loading and the parsing. The CLI entry hands the result to commands as a
 * `PrefetchedTagsGit` (./prefetched-tags.ts); any failure just means that Git runs git itself (and
 * reports the error).
 */
export function prefetchStartedTagRead(started: StartedTagRead): TagListingPrefetch {
  const { catFile } = started;
  const records = new Promise<TagRecord[] | undefined>((resolve) => {
    const failed = () => {
      started.kill();
      resolve(undefined);
    };
    if (started.failed) return failed();
    const refs: ListedRef[] = [];
    collectTagObjects(catFile, refs).then(resolve, () => resolve(undefined));
    // Each chunk of the listing is asked of cat-file as it arrives, so cat-file starts on the first
    // objects while the rest of the listing is parsed.
    let unfinished = "";
    const ask = (text: string, whole: boolean) => {
      const listing = unfinished + text;
      const first = refs.length;
      unfinished = listing.slice(parseTagRefLines(listing, refs, whole));
      const requests = objectRequests(refs.slice(first));
      if (requests !== "") catFile.stdin.write(requests);
    };
    started.readListing(
      (text) => ask(text, false),
      (code) => {
        if (code !== 0 || started.failed) return failed();
        ask("", true);
        catFile.stdin.end();
      },
    );
  });
  return new TagListingPrefetch(started.cwd, records);
}
