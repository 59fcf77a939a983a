// The `partitions` figure of monitor.yml: 10 partitions of 1M rows × 200 columns each (the drift
// benchmark's current data, bench/monitor/generate.mjs, as 10 files: a partition is a whole file when
// there are at least as many files as partitions), each profiled by `gitml profile --partition i/10` in
// its own process as a matrix job would, then `gitml profile merge` over the 10 part profiles.
// Prints one JSON line per measured process, then `{"bench":"partitions", ...}` with the figures.
// Usage: node bench/monitor/partitions.mjs [DATADIR=/tmp/gitml-bench] [format=parquet] [measuredParts=10]
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { cli, median } from "../lib.mjs";

const [dataDir = "/tmp/gitml-bench", format = "parquet", measured = "10"] = process.argv.slice(2);
const PARTITIONS = 10;
const work = join(dataDir, "partitions");
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, "data"), { recursive: true });
// Ten files of 1M rows each, without 10× the disk: links to the one generated file.
for (let i = 0; i < PARTITIONS; i++)
  symlinkSync(
    join(dataDir, `current.${format}`),
    join(work, "data", `part-${String(i).padStart(2, "0")}.${format}`),
  );

/** Wall time and peak RSS of one CLI run, from GNU time. */
function timed(args) {
  const stats = join(work, "time.txt");
  execFileSync("/usr/bin/time", ["-f", "%e %M", "-o", stats, process.execPath, cli, ...args], {
    cwd: work,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const [seconds, kb] = readFileSync(stats, "utf8").trim().split(/\s+/).map(Number);
  return { seconds, peak_rss_mb: kb / 1024 };
}

const parts = [];
for (let i = 1; i <= Math.min(PARTITIONS, Number(measured)); i++) {
  const run = timed([
    "profile",
    `data/*.${format}`,
    "--partition",
    `${i}/${PARTITIONS}`,
    "-o",
    `part-${i}.json`,
  ]);
  console.log(JSON.stringify({ part: i, ...run }));
  parts.push(run);
}
// Parts not measured are the same profile (the same file): the merge still reads ten part profiles.
const files = [];
for (let i = 1; i <= PARTITIONS; i++) files.push(`part-${Math.min(i, parts.length)}.json`);
const merge = timed(["profile", "merge", ...files, "-o", "merged.json"]);
console.log(JSON.stringify({ merge: true, ...merge }));
const rows = JSON.parse(readFileSync(join(work, "merged.json"), "utf8")).rows;
const seconds = parts.map((p) => p.seconds);
console.log(
  JSON.stringify({
    bench: "partitions",
    format,
    partitions: PARTITIONS,
    rows,
    part_s: { median: median(seconds), min: Math.min(...seconds), max: Math.max(...seconds) },
    part_peak_rss_mb: Math.max(...parts.map((p) => p.peak_rss_mb)),
    merge_s: merge.seconds,
    merge_peak_rss_mb: merge.peak_rss_mb,
  }),
);
rmSync(work, { recursive: true, force: true });
