import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";

// Imports nothing but Node's own modules: the CLI entry starts these git processes before it loads any
// module of gitml's (see tag-listing.ts for what they print and how it is read).

/** Each tag's object, object type and name: a listing that reads no object at all. */
export const TAG_REFS_ARGS = [
  "for-each-ref",
  "--format=%(objectname) %(objecttype) %(refname:strip=2)",
  "refs/tags",
];
/** `--buffer`: git flushes its output when its buffer fills rather than after every object. */
export const TAG_OBJECTS_ARGS = ["cat-file", "--batch", "--buffer"];

/** The two git processes of a tag read, started before anything reads them. */
export interface StartedTagRead {
  readonly cwd: string;
  /** cat-file prints nothing before it is asked, and ends only once its input does. */
  readonly catFile: ChildProcessByStdio<Writable, Readable, null>;
  /**
   * Hands the listing over: what it printed so far, then each chunk as it comes, then its exit code
   * (null: killed, or git could not be started).
   */
  readListing(onText: (text: string) => void, onEnd: (code: number | null) => void): void;
  /** True once either process could not be started (git missing, no such folder). */
  readonly failed: boolean;
  /** Stops both (the listing failed, or its reader did). */
  kill(): void;
}

/**
 * Spawns the listing first (everything waits for it), then cat-file, which waits for its requests.
 * Throws (ENOTDIR) when cwd is a file, which Node throws rather than reports as an 'error' event.
 */
export function startTagRead(cwd: string): StartedTagRead {
  const list = spawn("git", TAG_REFS_ARGS, { cwd, stdio: ["ignore", "pipe", "ignore"] });
  const catFile = spawn("git", TAG_OBJECTS_ARGS, { cwd, stdio: ["pipe", "pipe", "ignore"] });
  // Read from the start: Node drains (and drops) the output of a process that exits with nobody
  // reading it, and a fast listing can end before its reader's module is loaded.
  const printed: string[] = [];
  let onText: (text: string) => void = (text) => printed.push(text);
  let ended: number | null | undefined;
  let onEnd: (code: number | null) => void = (code) => (ended = code);
  let failed = false;
  list.stdout.setEncoding("utf8");
  list.stdout.on("data", (text: string) => onText(text));
  list.on("close", (code) => onEnd(code));
  // Heard from the start too: an 'error' event nobody listens to would end the process.
  list.on("error", () => (failed = true));
  catFile.on("error", () => (failed = true));
  catFile.stdin.on("error", () => {});
  return {
    cwd,
    catFile,
    get failed() {
      return failed;
    },
    readListing(textHandler, endHandler) {
      for (const text of printed.splice(0)) textHandler(text);
      onText = textHandler;
      if (ended !== undefined) endHandler(ended);
      else onEnd = endHandler;
    },
    kill() {
      list.kill();
      catFile.kill();
    },
  };
}
