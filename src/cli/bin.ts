#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";
import { startTagRead, type StartedTagRead } from "../git/tag-read-start";

// Read-only registry verbs spend most of their time waiting for git to read the tags: start it before the
// rest of the CLI loads. Verbs that fetch from origin first read the tags after fetching, so not those.
const READ_ONLY_VERBS = new Set(["show", "history", "check-ref"]);
const args = process.argv.slice(2);
let tagRead: StartedTagRead | undefined;
const verb = args.find((a, i) => !a.startsWith("-") && !["-C", "--cwd"].includes(args[i - 1] ?? ""));
if (verb && READ_ONLY_VERBS.has(verb)) {
  // A registry read runs each function for one pass over the tags, then exits: V8's optimizing compiler
  // (TurboFan), which starts on the parser and replay after a few thousand tags, spends more CPU
  // compiling them than its code saves in that one pass (10,000 tags: 60 ms more CPU, docs/benchmarks.md),
  // CPU that git and the parse itself need. The baseline compiler's code is enough.
  setFlagsFromString("--max-opt=1");
  // Nearly everything the read allocates lives until it exits (10,000 records and their replay): the young
  // generation, grown 4× rather than 2× at a time, copies it in 7 collections instead of 11 and promotes
  // less, so the old generation never fills up for a full mark-compact (~9 ms less collection in all).
  setFlagsFromString("--semi-space-growth-factor=4");
}
if (verb && READ_ONLY_VERBS.has(verb) && !args.includes("--fetch")) {
  const cwdFlag = args.findIndex((a) => a === "-C" || a === "--cwd");
  const cwd = cwdFlag >= 0 && args[cwdFlag + 1] ? args[cwdFlag + 1]! : process.cwd();
  try {
    tagRead = startTagRead(cwd);
  } catch {
    // Node throws ENOTDIR for a -C that is a file: the command runs git itself and reports it.
    tagRead = undefined;
  }
}
// Its reader is loaded alongside the CLI, and reads what git printed meanwhile (it waits in the pipes).
const tagListing = tagRead
  ? import("../git/tag-listing").then(({ prefetchStartedTagRead }) => prefetchStartedTagRead(tagRead))
  : undefined;

// A reader that goes away early (`gitml profile data.csv | head`) closes the pipe: write nothing more
// and end quietly with the command's own exit code (so a failed gate still fails a pipeline).
const finished: { code?: number } = {};
let pipeClosed = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    pipeClosed = true;
    stream.write = (() => true) as typeof stream.write;
    if (finished.code !== undefined) process.exit(finished.code);
  });
}

const { main } = await import("./index");
const code = await main(process.argv, { tagListing: await tagListing });
finished.code = code;
// Leave once everything written is flushed, without waiting for the event loop and V8's teardown of a
// large heap (~20 ms after reading 10,000 tags); waiting for the drain keeps large piped output whole.
if (pipeClosed || process.stdout.writableLength === 0) process.exit(code);
process.stdout.once("drain", () => process.exit(code));
