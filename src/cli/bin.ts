#!/usr/bin/env node
import { prefetchTagListing } from "../git/tag-listing";

// Read-only registry verbs spend most of their time waiting for `git for-each-ref`: start it before the
// rest of the CLI loads. Verbs that fetch from origin first read the tags after fetching, so not those.
const READ_ONLY_VERBS = new Set(["show", "history", "check-ref"]);
const args = process.argv.slice(2);
const verb = args.find((a, i) => !a.startsWith("-") && !["-C", "--cwd"].includes(args[i - 1] ?? ""));
if (verb && READ_ONLY_VERBS.has(verb) && !args.includes("--fetch")) {
  const cwdFlag = args.findIndex((a) => a === "-C" || a === "--cwd");
  const cwd = cwdFlag >= 0 && args[cwdFlag + 1] ? args[cwdFlag + 1]! : process.cwd();
  prefetchTagListing(cwd);
}

const { main } = await import("./index");
// exitCode rather than process.exit(): a large --json output piped to another program must not be cut off.
process.exitCode = await main(process.argv);
