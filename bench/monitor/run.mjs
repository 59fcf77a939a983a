// Drift report benchmark: gitml (DuckDB profiles + profile-based tests) against pandas + scipy running
// Evidently's default tests (bench/monitor/reference.py). Data from bench/monitor/generate.mjs.
// Usage: node bench/monitor/run.mjs [DATADIR=/tmp/gitml-bench] [csv|parquet ...]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const [dataDir = "/tmp/gitml-bench", ...formats] = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), "gitml-bench-"));
const bundle = join(work, "monitor.mjs");
await build({
  entryPoints: [join(here, "../../src/monitor/index.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  outfile: bundle,
  external: ["@duckdb/node-api"],
  logLevel: "warning",
});
// Inside the repository (bench/out is ignored), so the bundle resolves @duckdb/node-api from node_modules.
const linked = join(here, "../out/monitor.mjs");
execFileSync("mkdir", ["-p", dirname(linked)]);
execFileSync("cp", [bundle, linked]);
// pandas reads Parquet only with pyarrow or fastparquet, which Debian's python3-pandas does not bring:
// the reference reads the CSV files, and both gitml runs are compared with that one run.
const python = JSON.parse(
  execFileSync(
    "/usr/bin/python3",
    [join(here, "reference.py"), join(dataDir, "reference.csv"), join(dataDir, "current.csv")],
    { encoding: "utf8", maxBuffer: 1 << 26 },
  ),
);
console.log(`pandas+scipy csv:`, JSON.stringify(python));
try {
  for (const format of formats.length ? formats : ["parquet", "csv"]) {
    const ref = join(dataDir, `reference.${format}`);
    const cur = join(dataDir, `current.${format}`);
    const gitml = JSON.parse(
      execFileSync("node", [join(here, "profile-run.mjs"), linked, ref, cur], { encoding: "utf8" }),
    );
    console.log(`gitml ${format}:`, JSON.stringify(gitml));
    console.log(
      `${format}: ${(python.total_s / gitml.total_s).toFixed(1)}× faster than pandas+scipy on CSV, peak memory ${(gitml.peak_rss_mb / python.peak_rss_mb).toFixed(2)} of pandas`,
    );
    console.log(JSON.stringify({ bench: "monitor", format, gitml, python }));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(linked, { force: true });
}
