// Evaluating a big predictions file (issue #13): `gitml evaluate` of a model whose outputs.predictions is
// a binary classification CSV (y_true, y_pred, y_score, a segment column) of 1M and 10M rows, spawned as
// a user runs it, its peak RSS and wall time measured by /usr/bin/time. Target: ≤ 1 GB at 10M rows (the
// file held as text took 0.92 GB at 1M rows and ran out of memory, 4.5 GB, at 10M). The metrics are
// checked against one pass of DuckDB over the same file (accuracy, precision, recall, f1 are counts).
// Usage: node bench/predictions.mjs [DATADIR=<temp>] [rows=1000000,10000000]
// Prints a JSON line per size (for bench/run.mjs) and exits 1 when a size is over the target.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "./lib.mjs";

const TARGET_BYTES = 1e9;
const [dataArg, sizesArg = "1000000,10000000"] = process.argv.slice(2);
const dataDir = dataArg ?? mkdtempSync(join(tmpdir(), "gitml-bench-predictions-"));
const sizes = sizesArg.split(",").map(Number);

async function generate(file, rows) {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run("SELECT setseed(0.42)");
  // A noisy score: y_true is drawn from it, y_pred thresholds it at 0.5.
  await connection.run(`COPY (
      SELECT (random() < s)::INTEGER AS y_true, (s >= 0.5)::INTEGER AS y_pred, round(s, 6) AS y_score,
             ['north', 'south', 'east', 'west'][1 + (i % 4)::INTEGER] AS region
      FROM (SELECT range AS i, random() AS s FROM range(${rows}))
    ) TO '${file}' (HEADER, DELIMITER ',')`);
  const reader = await connection.runAndReadAll(
    `SELECT avg((y_true = y_pred)::DOUBLE) AS accuracy,
            sum((y_true = 1 AND y_pred = 1)::INTEGER)::DOUBLE / sum(y_pred)::DOUBLE AS precision,
            sum((y_true = 1 AND y_pred = 1)::INTEGER)::DOUBLE / sum(y_true)::DOUBLE AS recall
       FROM read_csv('${file}')`,
  );
  connection.closeSync();
  instance.closeSync();
  return reader.getRowObjectsJS()[0];
}

function git(cwd, args) {
  execFileSync("git", args, { cwd, stdio: "ignore" });
}

const figures = [];
let over = false;
for (const rows of sizes) {
  const repo = join(dataDir, `evaluate-${rows}`);
  const file = join(repo, "m", "predictions.csv");
  mkdirSync(join(repo, "m"), { recursive: true });
  if (!existsSync(join(repo, ".git"))) {
    git(repo, ["init", "-q", "-b", "main"]);
    writeFileSync(join(repo, "m", "model.bin"), "weights");
    writeFileSync(
      join(repo, "gitml.yaml"),
      "models:\n  big:\n    path: m\n    outputs:\n      model: model.bin\n      predictions: predictions.csv\n",
    );
    writeFileSync(join(repo, ".gitignore"), ".gitml/\nm/predictions.csv\n");
    git(repo, ["add", "-A"]);
    git(repo, ["-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "bench"]);
  }
  const expected = await generate(file, rows);
  const timing = join(repo, "time.txt");
  const out = execFileSync(
    "/usr/bin/time",
    ["-o", timing, "-f", "TIME %M %e", process.execPath, cli, "evaluate", "big", "--json"],
    { cwd: repo, encoding: "utf8", maxBuffer: 1 << 26 },
  );
  const timed = readFileSync(timing, "utf8");
  const [, maxKb, seconds] = /TIME (\d+) ([\d.]+)/.exec(timed) ?? [];
  const metrics = Object.fromEntries(JSON.parse(out).metrics.map((m) => [m.name, m.candidate]));
  for (const name of ["accuracy", "precision", "recall"])
    if (Math.abs(metrics[name] - expected[name]) > 1e-12)
      throw new Error(`${rows} rows: ${name} ${metrics[name]} but DuckDB counts ${expected[name]}`);
  const figure = {
    bench: "predictions",
    rows,
    file_mb: statSync(file).size / 1e6,
    peak_rss_mb: Number(maxKb) / 1024,
    seconds: Number(seconds),
    roc_auc: metrics.roc_auc,
  };
  if (figure.peak_rss_mb * 2 ** 20 > TARGET_BYTES) over = true;
  figures.push(figure);
  console.log(JSON.stringify(figure));
}
process.exitCode = over ? 1 : 0;
