import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const cli = join(root, "dist", "cli.js");

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Imports a TypeScript module of the project from a bench script (which is plain JS), bundled on the fly
 * into bench/out/ — inside the repository, so its dependencies resolve from node_modules.
 */
export async function importSource(relativePath) {
  const outfile = join(root, "bench", "out", relativePath.replace(/[/\\]/g, "_").replace(/\.ts$/, ".mjs"));
  await build({
    entryPoints: [join(root, relativePath)],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    logLevel: "error",
    external: ["@duckdb/node-api"],
    banner: {
      js: 'import { createRequire as __r } from "node:module"; const require = __r(import.meta.url);',
    },
  });
  return import(pathToFileURL(outfile).href);
}

/**
 * A new repository at `dir` with a line of `commits` commits on main (marks :1 … :N), then whatever tags
 * `addTags(tag)` writes, all in one `git fast-import` (seconds for 10,000 annotated tags). Each object
 * gets the next second of time, so the registry's order is the order of writing. Returns the tag count.
 */
export function writeTaggedRepo(dir, commits, addTags) {
  execFileSync("git", ["init", "--quiet", "-b", "main", dir]);
  const lines = [];
  let time = 1_700_000_000;
  for (let c = 1; c <= commits; c++) {
    const msg = `commit ${c}`;
    lines.push(
      "commit refs/heads/main",
      `mark :${c}`,
      `committer Bench <bench@example.com> ${time++} +0000`,
      `data ${msg.length}`,
      msg,
    );
    if (c > 1) lines.push(`from :${c - 1}`);
    lines.push("");
  }
  addTags((name, mark, message) => {
    lines.push(
      `tag ${name}`,
      `from :${mark}`,
      `tagger Bench <bench@example.com> ${time++} +0000`,
      `data ${Buffer.byteLength(message)}`,
      message,
    );
  });
  execFileSync("git", ["fast-import", "--quiet"], { cwd: dir, input: lines.join("\n") + "\n" });
  return execFileSync("git", ["for-each-ref", "--count=100000", "--format=x", "refs/tags"], {
    cwd: dir,
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean).length;
}
