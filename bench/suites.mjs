// Test suites on big data (issue #7): what a whole suite adds to `gitml evaluate` beyond reading its data
// once. Target: ≤ 2 s over 1M rows × 50 columns.
//
// The data (generated with DuckDB): train, 1M rows × 51 columns (30 numeric, 20 text, a label); test, a
// quarter of that; predictions, 1M rows with two segment columns. Two models in one git repository share
// the same outputs: `plain` has no suite, `suited` has ~50 expectations of every kind on train, all four
// train/test checks and slices with fairness on the predictions. Per run (interleaved, median of RUNS):
//   suite time = `gitml evaluate suited` − `gitml evaluate plain` (both spawned, same outputs),
//   read once  = SuiteData loading train and test in this process (what any suite must pay),
//   added      = suite time − read once.
// Usage: node bench/suites.mjs [DATADIR=<temp>] [rows=1000000] [format=csv|parquet]
// Prints a JSON line per figure (for bench/run.mjs) and exits 1 when the added time exceeds the target.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { cli, importSource, median } from "./lib.mjs";

const TARGET_MS = 2000;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const [dataArg, rowsArg = "1000000", format = "csv"] = process.argv.slice(2);
const rows = Number(rowsArg);
const dataDir = dataArg ?? mkdtempSync(join(tmpdir(), "gitml-bench-suites-"));
const modelDir = join(dataDir, `suites-${rows}-${format}`);
const trainFile = join(modelDir, `train.${format}`);
const testFile = join(modelDir, `test.${format}`);
const predictionsFile = join(modelDir, "predictions.csv");

const NUMERIC = 30;
const TEXT = 20;

async function generate(file, count, seed) {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(`SELECT setseed(${seed})`);
  const columns = ["range + 1 AS id", "(random() < 0.3)::INTEGER AS label"];
  for (let i = 1; i < NUMERIC; i++) {
    const normal = "sqrt(-2 * ln(random())) * cos(2 * pi() * random())";
    const value =
      i % 3 === 0
        ? `round(${40 + i} + ${5 + (i % 7)} * ${normal}, 3)`
        : i % 3 === 1
          ? `round(exp(${normal} * 0.7), 4)`
          : `floor(100 * random())::BIGINT`;
    // Every fifth numeric column has 2% missing cells.
    columns.push(
      i % 5 === 0 ? `CASE WHEN random() < 0.02 THEN NULL ELSE ${value} END AS n${i}` : `${value} AS n${i}`,
    );
  }
  for (let i = 0; i < TEXT; i++) {
    const value =
      i % 4 === 0
        ? `'user' || range || '@example.com'`
        : i % 4 === 1
          ? `'code-' || lpad(floor(random() * 10000)::INTEGER::VARCHAR, 4, '0')`
          : `'c' || floor(random() * ${3 + (i % 12)})::INTEGER`;
    columns.push(
      i % 6 === 5 ? `CASE WHEN random() < 0.01 THEN NULL ELSE ${value} END AS t${i}` : `${value} AS t${i}`,
    );
  }
  const started = performance.now();
  const select = `SELECT ${columns.join(", ")} FROM range(${count})`;
  await connection.run(
    `COPY (${select}) TO '${file}' (${format === "parquet" ? "FORMAT parquet" : "HEADER"})`,
  );
  console.log(
    `generated ${count} rows × ${columns.length} columns (${format}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  connection.closeSync();
  instance.closeSync();
}

/** About 50 expectations of every kind; some fail, so the example queries are part of the time. */
function expectations() {
  const list = [
    { expect: "table_row_count_to_be_between", min_value: 1 },
    {
      expect: "table_columns_to_match_set",
      column_set: [
        "id",
        "label",
        ...Array.from({ length: NUMERIC - 1 }, (_, i) => `n${i + 1}`),
        ...Array.from({ length: TEXT }, (_, i) => `t${i}`),
      ],
    },
    { expect: "column_to_exist", column: "t3" },
    { expect: "column_values_to_be_unique", column: "id" },
    { expect: "column_values_to_be_unique", column: "t1" }, // fails: 10,000 codes over all rows
    { expect: "column_values_to_be_of_type", column: "id", type_: "integer" },
    { expect: "column_values_to_be_of_type", column: "n3", type_: "float" },
    { expect: "column_values_to_be_of_type", column: "n2", type_: "number" },
    { expect: "column_values_to_be_of_type", column: "t2", type_: "string" },
    { expect: "column_values_to_be_of_type", column: "t5", type_: "integer" }, // fails
  ];
  for (const i of [5, 10, 15, 20, 25])
    list.push({ expect: "column_values_to_not_be_null", column: `n${i}`, mostly: 0.95 });
  for (const i of [5, 11, 17]) list.push({ expect: "column_values_to_not_be_null", column: `t${i}` }); // fail
  for (const i of [2, 8, 14])
    list.push({ expect: "column_values_to_be_between", column: `n${i}`, min_value: 0, max_value: 99 });
  for (const i of [3, 9])
    list.push({
      expect: "column_values_to_be_between",
      column: `n${i}`,
      min_value: 0,
      max_value: 60,
      mostly: 0.9,
    });
  list.push({ expect: "column_values_to_be_between", column: "n4", max_value: 2, strict_max: true }); // fails
  list.push({
    expect: "column_values_to_be_between",
    column: "n6",
    min_value: 30,
    strict_min: true,
    mostly: 0.99,
  });
  for (const i of [2, 6, 10]) {
    const k = 3 + (i % 12);
    list.push({
      expect: "column_values_to_be_in_set",
      column: `t${i}`,
      value_set: Array.from({ length: k }, (_, j) => `c${j}`),
    });
  }
  list.push({ expect: "column_values_to_be_in_set", column: "t3", value_set: ["c0", "c1", "c2", "c3"] }); // fails
  list.push({
    expect: "column_values_to_be_in_set",
    column: "n2",
    value_set: Array.from({ length: 90 }, (_, j) => j),
  }); // fails
  list.push({ expect: "column_values_to_match_regex", column: "t0", regex: "^[a-z0-9]+@[a-z.]+$" });
  list.push({ expect: "column_values_to_match_regex", column: "t1", regex: "^code-[0-9]{4}$" });
  list.push({ expect: "column_values_to_match_regex", column: "t4", regex: "@example\\.org$", mostly: 0.5 }); // fails
  list.push({ expect: "column_value_lengths_to_be_between", column: "t1", min_value: 9, max_value: 9 });
  list.push({ expect: "column_value_lengths_to_be_between", column: "t0", max_value: 20 }); // fails
  list.push({ expect: "column_value_lengths_to_be_between", column: "t7", min_value: 2 });
  for (const i of [3, 6, 9, 12])
    list.push({ expect: "column_mean_to_be_between", column: `n${i}`, min_value: 0, max_value: 100 });
  for (const i of [1, 4, 7, 10])
    list.push({ expect: "column_median_to_be_between", column: `n${i}`, min_value: 0.5, max_value: 2 });
  for (const i of [13, 16, 19, 22])
    list.push({
      expect: "column_quantile_values_to_be_between",
      column: `n${i}`,
      quantile_ranges: {
        quantiles: [0.05, 0.5, 0.95],
        value_ranges: [
          [null, null],
          [0, 100],
          [null, 150],
        ],
      },
    });
  return list;
}

async function generatePredictions() {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run("SELECT setseed(0.3)");
  await connection.run(
    `COPY (SELECT y_true, CASE WHEN random() < 0.85 THEN y_true ELSE 1 - y_true END AS y_pred,
            round(random(), 4) AS y_score, region, plan
          FROM (SELECT (random() < 0.3)::INTEGER AS y_true, 'r' || floor(random() * 10)::INTEGER AS region,
                       ['free', 'pro', 'team'][1 + floor(random() * 3)::INTEGER] AS plan FROM range(${rows})))
     TO '${predictionsFile}' (HEADER)`,
  );
  connection.closeSync();
  instance.closeSync();
}

const yaml = (value) => JSON.stringify(value);
function config() {
  const outputs = { model: "model.json", predictions: "predictions.csv" };
  const suite = {
    data: { train: `train.${format}`, test: `test.${format}` },
    expectations: { train: expectations() },
    train_test: {
      label: "label",
      new_categories: { max_share: 1 },
      label_drift: {},
      leakage: { ignore_columns: ["id"] },
      size_ratio: { min: 0.1, max: 0.5 },
    },
    slices: {
      columns: ["region", "plan"],
      min: { accuracy: 0.5 },
      max_gap: { accuracy: 0.2 },
      fairness: { demographic_parity_difference: { max: 0.5 }, equalized_odds_difference: { max: 0.5 } },
    },
  };
  // JSON is YAML: the config needs no YAML writer.
  return yaml({
    models: {
      plain: { path: ".", outputs },
      suited: { path: ".", outputs, suite },
    },
  });
}

mkdirSync(modelDir, { recursive: true });
if (!existsSync(trainFile)) await generate(trainFile, rows, 0.1);
if (!existsSync(testFile)) await generate(testFile, Math.round(rows / 4), 0.2);
if (!existsSync(predictionsFile)) await generatePredictions();
writeFileSync(join(modelDir, "model.json"), "{}\n");
writeFileSync(join(modelDir, "gitml.yaml"), `${config()}\n`);
const git = (...args) => execFileSync("git", args, { cwd: modelDir, stdio: "ignore" });
if (!existsSync(join(modelDir, ".git"))) {
  git("init", "-q", "-b", "main");
  git(
    "-c",
    "user.name=bench",
    "-c",
    "user.email=bench@example.com",
    "commit",
    "-q",
    "--allow-empty",
    "-m",
    "bench",
  );
}

const { SuiteData } = await importSource("src/suites/data.ts");

/**
 * CPU time (user + system, ms) of this process's finished children, from /proc (Linux; else NaN): the
 * machine may be shared, so CPU time is reported beside wall time.
 */
function childrenCpuMs() {
  try {
    // Fields after the command name: cutime and cstime are the 14th and 15th, in clock ticks (100 Hz).
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return NaN;
  }
}
const selfCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

function evaluateMs(model) {
  const started = performance.now();
  const cpuBefore = childrenCpuMs();
  let output;
  try {
    output = execFileSync(process.execPath, [cli, "evaluate", model, "--json"], {
      cwd: modelDir,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    // Exit 1 is a failing check (the suite has some on purpose); anything else is a broken bench.
    if (error.status !== 1) throw error;
    output = error.stdout;
  }
  return { ms: performance.now() - started, cpuMs: childrenCpuMs() - cpuBefore, result: JSON.parse(output) };
}

const reads = [];
const readCpu = [];
const suiteTimes = [];
const suiteCpu = [];
let checks;
for (let run = 0; run < RUNS; run++) {
  const data = await SuiteData.open({ baseDir: modelDir, files: { train: trainFile, test: testFile } });
  try {
    const started = performance.now();
    const cpuBefore = selfCpuMs();
    await data.table("train");
    await data.table("test");
    reads.push(performance.now() - started);
    readCpu.push(selfCpuMs() - cpuBefore);
  } finally {
    data.close();
  }
  const plain = evaluateMs("plain");
  const suited = evaluateMs("suited");
  suiteTimes.push(suited.ms - plain.ms);
  suiteCpu.push(suited.cpuMs - plain.cpuMs);
  checks = suited.result.checks;
}
if (!dataArg) rmSync(dataDir, { recursive: true, force: true });

const statuses = checks.reduce((counts, c) => ({ ...counts, [c.status]: (counts[c.status] ?? 0) + 1 }), {});
const readMs = Math.round(median(reads));
const suiteMs = Math.round(median(suiteTimes));
const addedMs = suiteMs - readMs;
const addedCpuMs = Math.round(median(suiteCpu) - median(readCpu));
const [load] = loadavg();
console.log(
  `${rows} rows × 51 columns (${format}) + ${Math.round(rows / 4)} test rows + ${rows} predictions; ${checks.length} checks: ${JSON.stringify(statuses)}`,
);
console.log(
  `suite: ${suiteMs} ms = read once ${readMs} ms + added ${addedMs} ms (target ≤ ${TARGET_MS} ms; ${cpus().length} cores, load average ${load.toFixed(1)})`,
);
console.log(
  `CPU time: suite ${Math.round(median(suiteCpu))} ms = read once ${Math.round(median(readCpu))} ms + added ${addedCpuMs} ms (all threads)`,
);
console.log(JSON.stringify({ name: `suites-read-${format}-ms`, value: readMs }));
console.log(JSON.stringify({ name: `suites-total-${format}-ms`, value: suiteMs }));
console.log(JSON.stringify({ name: `suites-added-${format}-ms`, value: addedMs }));
console.log(JSON.stringify({ name: `suites-added-cpu-${format}-ms`, value: addedCpuMs }));
console.log(JSON.stringify({ name: `suites-checks-${format}`, value: checks.length }));
if (statuses.error) {
  console.error(`${statuses.error} checks could not be evaluated: the benchmark's suite is wrong`);
  for (const c of checks.filter((c) => c.status === "error")) console.error(`  ${c.id}: ${c.detail}`);
  process.exit(1);
}
if (addedMs > TARGET_MS) {
  console.error(`the suite added ${addedMs} ms > ${TARGET_MS} ms beyond reading its data once`);
  process.exit(1);
}
