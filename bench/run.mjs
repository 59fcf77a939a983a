// `npm run bench`: the benchmarks, each as a ratio against a reference measured in the same run.
// `npm run bench` runs registry, concurrency, action and site; `npm run bench monitor`, `npm run bench partitions`,
// `npm run bench suites`, `npm run bench predictions` and `npm run bench release` run the big-data ones (minutes, gigabytes); `npm run bench all` runs everything.
// Results go to bench/results.json and are printed as the table of docs/benchmarks.md.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./lib.mjs";
import { runRegistryBench } from "./registry.mjs";
import { runConcurrencyBench } from "./concurrency.mjs";
import { runSiteBench } from "./site.mjs";

const only = process.argv[2];
const results = { date: new Date().toISOString(), node: process.version };
const rows = [];

if (!only || only === "registry" || only === "all") {
  const r = (results.registry = await runRegistryBench());
  rows.push([
    `registry read, ${r.tags} tags: \`gitml show --json\``,
    `${r.gitForEachRefMs.toFixed(0)} ms (git for-each-ref; load average ${r.loadAverage.map((l) => l.toFixed(1)).join("–")})`,
    `${r.showJsonMs.toFixed(0)} ms`,
    `${r.showJsonRatio.toFixed(2)}×`,
    "≤ 2×",
  ]);
  rows.push([
    `registry read, ${r.tags} tags: \`gitml show model#production --json\``,
    `${r.gitForEachRefMs.toFixed(0)} ms (git for-each-ref)`,
    `${r.showStageJsonMs.toFixed(0)} ms`,
    `${r.showStageJsonRatio.toFixed(2)}×`,
    "≤ 2×",
  ]);
}
if (!only || only === "concurrency" || only === "all") {
  const c = (results.concurrency = await runConcurrencyBench());
  rows.push([
    `${c.writers} concurrent registrations, one origin`,
    "-",
    `${c.distinctVersions} distinct versions, ${c.lost} lost, ${c.wallMs.toFixed(0)} ms`,
    "-",
    `${c.writers} distinct, 0 lost`,
  ]);
}

if (!only || only === "action" || only === "all") {
  // A script of its own (it bundles the stand-in): its JSON lines are the figures.
  const lines = execFileSync(process.execPath, [join(root, "bench", "action-startup.mjs")], {
    encoding: "utf8",
  });
  const a = (results.actionStartup = Object.fromEntries(
    lines
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l))
      .map((f) => [f.name, f.value]),
  ));
  rows.push([
    "evaluate action: spawn → first GitHub API call",
    `${a["node-empty-process-ms"]} ms (empty node process)`,
    `${a["action-startup-to-first-api-call-ms"]} ms`,
    "-",
    "≤ 300 ms",
  ]);
  rows.push([
    "evaluate action bundle (start-up / with lazy chunks)",
    "-",
    `${(a["action-bundle-startup-bytes"] / 1e6).toFixed(2)} MB / ${(a["action-bundle-total-bytes"] / 1e6).toFixed(2)} MB`,
    "-",
    "≤ 3 MB",
  ]);
}

if (!only || only === "site" || only === "all") {
  const s = (results.site = await runSiteBench());
  rows.push([
    `catalog site, ${s.models} models × ${s.versions / s.models} versions (${s.tags} tags): \`gitml site\``,
    `${s.gitForEachRefMs.toFixed(0)} ms (git for-each-ref)`,
    `${(s.siteMs / 1000).toFixed(2)} s for ${s.pages} pages`,
    `${s.siteRatio.toFixed(1)}×`,
    "≤ 5 s",
  ]);
  rows.push([
    "catalog site: index.html / largest model page / whole site; resources from other hosts",
    "-",
    `${(s.indexBytes / 1024).toFixed(0)} KB / ${(s.modelPageMaxBytes / 1024).toFixed(0)} KB / ${(s.siteBytes / 2 ** 20).toFixed(1)} MB; ${s.externalResources}`,
    "-",
    "index ≤ 300 KB; 0",
  ]);
}

if (only === "monitor" || only === "all") {
  // 1M rows × 200 columns (3.3 GB of data, about 10 minutes with the pandas reference): run on request.
  const dataDir = process.env.GITML_BENCH_DATA ?? "/tmp/gitml-bench";
  if (!existsSync(join(dataDir, "current.csv"))) {
    execFileSync(process.execPath, [join(root, "bench", "monitor", "generate.mjs"), dataDir], {
      stdio: "inherit",
    });
  }
  const lines = execFileSync(process.execPath, [join(root, "bench", "monitor", "run.mjs"), dataDir], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const figures = lines
    .split("\n")
    .filter((l) => l.startsWith('{"bench":"monitor"'))
    .map((l) => JSON.parse(l));
  results.monitor = figures;
  for (const f of figures) {
    rows.push([
      `drift report, 1M rows × 200 columns, ${f.format}`,
      `${f.python.total_s.toFixed(0)} s, ${(f.python.peak_rss_mb / 1024).toFixed(1)} GB (pandas + scipy)`,
      `${f.gitml.total_s.toFixed(0)} s, ${(f.gitml.peak_rss_mb / 1024).toFixed(2)} GB`,
      `${(f.python.total_s / f.gitml.total_s).toFixed(1)}× faster, ${(f.gitml.peak_rss_mb / f.python.peak_rss_mb).toFixed(2)} of the memory`,
      "≥ 5× faster, ≤ 1/5 memory",
    ]);
  }
}

if (only === "partitions" || only === "all") {
  // monitor.yml's partitions: 10 parts of 1M rows × 200 columns, each its own `gitml profile` process,
  // then `gitml profile merge` (the drift benchmark's data; a few minutes): on request.
  const dataDir = process.env.GITML_BENCH_DATA ?? "/tmp/gitml-bench";
  if (!existsSync(join(dataDir, "current.parquet"))) {
    execFileSync(process.execPath, [join(root, "bench", "monitor", "generate.mjs"), dataDir], {
      stdio: "inherit",
    });
  }
  const lines = execFileSync(process.execPath, [join(root, "bench", "monitor", "partitions.mjs"), dataDir], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const p = (results.partitions = lines
    .split("\n")
    .filter((l) => l.startsWith('{"bench":"partitions"'))
    .map((l) => JSON.parse(l))[0]);
  rows.push([
    `monitor.yml partitions: ${p.partitions} parts of 1M rows × 200 columns, ${p.format}`,
    "-",
    `${p.part_s.median.toFixed(1)} s per part (${p.part_s.min.toFixed(1)}–${p.part_s.max.toFixed(1)}), peak ${(p.part_peak_rss_mb / 1024).toFixed(2)} GB; merge of ${p.partitions} profiles ${p.merge_s.toFixed(1)} s`,
    "-",
    "-",
  ]);
}

if (only === "suites" || only === "all") {
  // A test suite over 1M rows × 51 columns (CSV and Parquet, ~1 GB of generated data): on request.
  const dataDir = process.env.GITML_BENCH_SUITES_DATA ?? "/tmp/gitml-suites-bench";
  results.suites = {};
  for (const format of ["csv", "parquet"]) {
    let lines;
    try {
      lines = execFileSync(
        process.execPath,
        [join(root, "bench", "suites.mjs"), dataDir, "1000000", format],
        {
          encoding: "utf8",
          maxBuffer: 1 << 26,
        },
      );
    } catch (error) {
      // Exit 1 means over the target: the figures are still printed, and the table says so.
      if (error.status !== 1 || !error.stdout) throw error;
      lines = error.stdout;
    }
    const f = Object.fromEntries(
      lines
        .split("\n")
        .filter((l) => l.startsWith('{"name"'))
        .map((l) => JSON.parse(l))
        .map((figure) => [figure.name, figure.value]),
    );
    results.suites[format] = f;
    rows.push([
      `test suite (${f[`suites-checks-${format}`]} checks), 1M rows × 51 columns + 250k test rows, ${format}`,
      `${(f[`suites-read-${format}-ms`] / 1000).toFixed(1)} s (reading the data once)`,
      `${(f[`suites-total-${format}-ms`] / 1000).toFixed(1)} s added to \`gitml evaluate\``,
      `+${(f[`suites-added-${format}-ms`] / 1000).toFixed(1)} s beyond the read`,
      "≤ +2 s",
    ]);
  }
}

if (only === "predictions" || only === "all") {
  // `gitml evaluate` with a 1M- and a 10M-row predictions file (200 MB of CSV, a few minutes): on request.
  const dataDir = process.env.GITML_BENCH_PREDICTIONS_DATA ?? "/tmp/gitml-bench-predictions";
  let lines;
  try {
    lines = execFileSync(process.execPath, [join(root, "bench", "predictions.mjs"), dataDir], {
      encoding: "utf8",
      maxBuffer: 1 << 26,
    });
  } catch (error) {
    // Exit 1 means over the target: the figures are still printed, and the table says so.
    if (error.status !== 1 || !error.stdout) throw error;
    lines = error.stdout;
  }
  const figures = lines
    .split("\n")
    .filter((l) => l.startsWith('{"bench":"predictions"'))
    .map((l) => JSON.parse(l));
  results.predictions = figures;
  for (const f of figures) {
    rows.push([
      `\`gitml evaluate\`, predictions file of ${(f.rows / 1e6).toFixed(0)}M rows (${f.file_mb.toFixed(0)} MB CSV)`,
      "-",
      `${f.seconds.toFixed(1)} s, peak RSS ${f.peak_rss_mb.toFixed(0)} MB`,
      "-",
      "≤ 1 GB",
    ]);
  }
}

if (only === "release" || only === "all") {
  // A 5 GiB model through the Releases stand-in in parts, against one stream of the same bytes to the same
  // upload endpoint (minutes, 10 GB of disk for the stand-in's files): on request.
  const { runReleaseUploadBench } = await import("./release-upload.mjs");
  const r = (results.releaseUpload = await runReleaseUploadBench());
  rows.push([
    `${(r.sizeBytes / 2 ** 30).toFixed(0)} GiB model to GitHub Releases, ${r.parts} parts × ${r.concurrency} streams`,
    `${r.singleStreamStandinMiBps.toFixed(0)} MiB/s (one stream, same endpoint)`,
    `${r.partsMiBps.toFixed(0)} MiB/s, peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    `${(r.throughputRatio * 100).toFixed(0)}%`,
    "≥ 80%, memory flat",
  ]);
}

// Merged into the last results, so a partial run (`npm run bench suites`) keeps the other figures.
const resultsFile = join(root, "bench", "results.json");
const previous = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, "utf8")) : {};
writeFileSync(resultsFile, JSON.stringify({ ...previous, ...results }, null, 2) + "\n");
console.log("| what | reference | gitml | ratio | target |\n|---|---|---|---|---|");
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
