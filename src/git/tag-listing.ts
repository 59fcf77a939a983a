import { spawn } from "node:child_process";
import type { TagRecord } from "../registry/types";

// Kept free of heavy imports: the CLI entry loads this before anything else (see prefetchTagListing).

const FIELD = "%00";
// creatordate is the tagger date of an annotated tag and the committer date of a lightweight one.
export const TAG_FORMAT = [
  "%(refname:strip=2)",
  "%(objecttype)",
  "%(objectname)",
  "%(*objectname)",
  "%(creatordate:unix)",
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
 * contain NUL, so splitting on it is exact.
 */
export class TagListingParser {
  private readonly records: TagRecord[] = [];
  private fields: string[] = [];
  private rest = "";

  push(chunk: string): void {
    const parts = (this.rest + chunk).split("\0");
    this.rest = parts.pop()!;
    for (const part of parts) {
      this.fields.push(part);
      if (this.fields.length === FIELDS_PER_TAG) {
        this.addRecord(this.fields);
        this.fields = [];
      }
    }
  }

  end(): TagRecord[] {
    return this.records;
  }

  private addRecord(fields: string[]): void {
    const tag = fields[0]!.charCodeAt(0) === 10 ? fields[0]!.slice(1) : fields[0]!;
    if (tag === "") return;
    const annotated = fields[1] === "tag";
    const message = fields[7]!;
    this.records.push({
      tag,
      annotated,
      commit: annotated ? fields[3]! : fields[2]!,
      date: Number(fields[4]) || 0,
      taggerName: fields[5]!,
      taggerEmail: fields[6]!,
      message: message.endsWith("\n") ? message.slice(0, -1) : message,
    });
  }
}

let prefetched: { cwd: string; records: Promise<TagRecord[] | undefined> } | undefined;

/**
 * Starts the one `git for-each-ref` a read-only verb needs before the rest of the CLI is even loaded, and
 * parses its output as it arrives, so git's time overlaps Node's module loading and the parsing. The
 * listing is used once, by the first GitCli reading tags in that folder; any failure just means GitCli
 * runs git itself (and reports the error properly).
 */
export function prefetchTagListing(cwd: string): void {
  const records = new Promise<TagRecord[] | undefined>((resolve) => {
    const child = spawn("git", TAG_LISTING_ARGS, { cwd, stdio: ["ignore", "pipe", "ignore"] });
    const parser = new TagListingParser();
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => parser.push(chunk));
    child.on("error", () => resolve(undefined));
    child.on("close", (code) => resolve(code === 0 ? parser.end() : undefined));
  });
  prefetched = { cwd, records };
}

export function takePrefetchedTagListing(cwd: string): Promise<TagRecord[] | undefined> | undefined {
  if (!prefetched || prefetched.cwd !== cwd) return undefined;
  const { records } = prefetched;
  prefetched = undefined;
  return records;
}
