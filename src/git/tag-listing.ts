import { execFile } from "node:child_process";
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
  // Each record is the format followed by a NUL and the newline for-each-ref prints after it; git
  // messages cannot contain NUL, so splitting on it is exact.
  const parts = output.split("\0");
  const records: TagRecord[] = [];
  for (let i = 0; i + FIELDS_PER_TAG <= parts.length; i += FIELDS_PER_TAG) {
    const tag = parts[i]!.replace(/^\n/, "");
    if (tag === "") break;
    const annotated = parts[i + 1] === "tag";
    records.push({
      tag,
      annotated,
      commit: annotated ? parts[i + 3]! : parts[i + 2]!,
      date: Number(parts[i + 4]) || 0,
      taggerName: parts[i + 5]!,
      taggerEmail: parts[i + 6]!,
      message: parts[i + 7]!.replace(/\n$/, ""),
    });
  }
  return records;
}

let prefetched: { cwd: string; output: Promise<string | undefined> } | undefined;

/**
 * Starts the one `git for-each-ref` a read-only verb needs before the rest of the CLI is even loaded, so
 * git's time overlaps Node's module loading. The listing is used once, by the first GitCli reading tags in
 * that folder; any failure just means GitCli runs git itself (and reports the error properly).
 */
export function prefetchTagListing(cwd: string): void {
  const output = new Promise<string | undefined>((resolve) => {
    execFile(
      "git",
      TAG_LISTING_ARGS,
      { cwd, maxBuffer: 1024 * 1024 * 1024, encoding: "utf8" },
      (error, stdout) => resolve(error ? undefined : stdout),
    );
  });
  prefetched = { cwd, output };
}

export function takePrefetchedTagListing(cwd: string): Promise<string | undefined> | undefined {
  if (!prefetched || prefetched.cwd !== cwd) return undefined;
  const { output } = prefetched;
  prefetched = undefined;
  return output;
}
