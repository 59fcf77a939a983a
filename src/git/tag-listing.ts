import { spawn } from "node:child_process";
import type { TagRecord } from "../registry/types";

// Kept free of heavy imports: the CLI entry loads this before anything else (see prefetchTagListing).

const FIELD = "%00";
// creatordate is the tagger date of an annotated tag and the committer date of a lightweight one; raw
// is "<seconds> <±hhmm>", the tagger's own UTC offset, which GTO keeps in its times (and so do we).
export const TAG_FORMAT = [
  "%(refname:strip=2)",
  "%(objecttype)",
  "%(objectname)",
  "%(*objectname)",
  "%(creatordate:raw)",
  "%(taggername)",
  "%(taggeremail:trim)",
  "%(contents)",
].join(FIELD);
const FIELDS_PER_TAG = 8;

export const TAG_LISTING_ARGS = ["for-each-ref", `--format=${TAG_FORMAT}${FIELD}`, "refs/tags"];

export function parseForEachRef(output: string): TagRecord[] {
  const parser = new TagListingParser();
  parser.push(output);
  return parser.end();
}

/**
 * Parses for-each-ref output as it streams in, so that parsing overlaps git's own work. Each record is
 * the format followed by a NUL and the newline for-each-ref prints after it; git messages cannot
 * contain NUL, so splitting on it is exact. Fields are cut straight out of the text (no intermediate
 * arrays, and nothing for the fields a record does not keep): git prints the whole listing in one burst
 * at the end, so this parse is on the critical path of every read.
 */
export class TagListingParser {
  private readonly records: TagRecord[] = [];
  private rest = "";
  private readonly fieldEnds = new Int32Array(FIELDS_PER_TAG);

  push(chunk: string): void {
    const text = this.rest === "" ? chunk : this.rest + chunk;
    const ends = this.fieldEnds;
    let start = 0;
    for (;;) {
      let from = start;
      let field = 0;
      for (; field < FIELDS_PER_TAG; field++) {
        const nul = text.indexOf("\0", from);
        if (nul < 0) break;
        ends[field] = nul;
        from = nul + 1;
      }
      if (field < FIELDS_PER_TAG) break;
      this.addRecord(text, start, ends);
      start = from;
    }
    this.rest = start === 0 ? text : text.slice(start);
  }

  end(): TagRecord[] {
    return this.records;
  }

  private addRecord(text: string, start: number, ends: Int32Array): void {
    const tagStart = text.charCodeAt(start) === 10 ? start + 1 : start;
    if (tagStart === ends[0]) return;
    const typeStart = ends[0]! + 1;
    const annotated = ends[1]! - typeStart === 3 && text.startsWith("tag", typeStart);
    this.records.push(
      new ListedTag(
        text.slice(tagStart, ends[0]),
        annotated,
        annotated ? text.slice(ends[2]! + 1, ends[3]) : text.slice(ends[1]! + 1, ends[2]),
        parseUnixTime(text, ends[3]! + 1, ends[4]!),
        text,
        ends[3]! + 1,
        ends[4]! + 1,
      ),
    );
  }
}

/**
 * A listed tag whose tagger and message are cut out of the listing only when read: replaying a large
 * registry reads neither, and 30,000 fewer strings keep the heap under the size at which V8 starts a
 * full collection just before the process exits.
 */
class ListedTag implements TagRecord {
  readonly #text: string;
  /** Where the raw date (`<seconds> <±hhmm>`) starts in #text. */
  readonly #dateStart: number;
  /** Where the tagger name starts in #text; the email and the message follow, NUL-separated. */
  readonly #taggerStart: number;
  constructor(
    readonly tag: string,
    readonly annotated: boolean,
    readonly commit: string,
    readonly date: number,
    text: string,
    dateStart: number,
    taggerStart: number,
  ) {
    this.#text = text;
    this.#dateStart = dateStart;
    this.#taggerStart = taggerStart;
  }
  get utcOffset(): number {
    return parseUtcOffset(this.#text, this.#dateStart, this.#taggerStart - 1);
  }
  get taggerName(): string {
    return this.#text.slice(this.#taggerStart, this.#text.indexOf("\0", this.#taggerStart));
  }
  get taggerEmail(): string {
    const start = this.#text.indexOf("\0", this.#taggerStart) + 1;
    return this.#text.slice(start, this.#text.indexOf("\0", start));
  }
  get message(): string {
    const emailStart = this.#text.indexOf("\0", this.#taggerStart) + 1;
    const start = this.#text.indexOf("\0", emailStart) + 1;
    let end = this.#text.indexOf("\0", start);
    if (end > start && this.#text.charCodeAt(end - 1) === 10) end--;
    return this.#text.slice(start, end);
  }
}

/**
 * Seconds since the epoch from the raw date in text[start, end) (`<seconds> <±hhmm>`), without cutting
 * out a string for the usual digits-only case.
 */
function parseUnixTime(text: string, start: number, end: number): number {
  const space = text.indexOf(" ", start);
  if (space >= 0 && space < end) end = space;
  if (end === start || end - start > 15) return Number(text.slice(start, end)) || 0;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number(text.slice(start, end)) || 0;
    value = value * 10 + digit;
  }
  return value;
}

/** The `±hhmm` after the seconds in text[start, end), in seconds east of UTC (0 when absent or odd). */
function parseUtcOffset(text: string, start: number, end: number): number {
  const match = /^\d+ ([+-])(\d\d)(\d\d)$/.exec(text.slice(start, end));
  if (!match) return 0;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60;
  return match[1] === "-" ? -seconds : seconds;
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
 * Starts the one `git for-each-ref` a read-only verb needs before the rest of the CLI is even loaded, and
 * parses its output as it arrives, so git's time overlaps Node's module loading and the parsing. The CLI
 * entry hands the result to commands as a `PrefetchedTagsGit` (./prefetched-tags.ts); any failure just
 * means that Git runs git itself (and reports the error properly).
 */
export function prefetchTagListing(cwd: string): TagListingPrefetch {
  const records = new Promise<TagRecord[] | undefined>((resolve) => {
    const child = spawn("git", TAG_LISTING_ARGS, { cwd, stdio: ["ignore", "pipe", "ignore"] });
    const parser = new TagListingParser();
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => parser.push(chunk));
    child.on("error", () => resolve(undefined));
    child.on("close", (code) => resolve(code === 0 ? parser.end() : undefined));
  });
  return new TagListingPrefetch(cwd, records);
}
