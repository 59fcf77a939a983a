// Generates the drift benchmark data with DuckDB (fast, streamed): ROWS × (NUMERIC + CATEGORICAL)
// columns, a reference and a current set where a quarter of the columns are shifted, as CSV and Parquet.
// Usage: node bench/monitor/generate.mjs OUTDIR [rows=1000000] [numeric=150] [categorical=50]
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";

const [out = "/tmp/gitml-bench", rows = "1000000", numeric = "150", categorical = "50"] =
  process.argv.slice(2);
mkdirSync(out, { recursive: true });
const instance = await DuckDBInstance.create(":memory:");
const connection = await instance.connect();

function select(shifted) {
  const columns = [];
  for (let i = 0; i < Number(numeric); i++) {
    const drift = shifted && i % 4 === 0 ? 0.5 : 0;
    const normal = "sqrt(-2 * ln(random())) * cos(2 * pi() * random())";
    // a mix of shapes: normal, lognormal, and integer-valued counts
    const expr =
      i % 3 === 0
        ? `round(${10 + i} + ${1 + (i % 7)} * (${normal} + ${drift}), 4)`
        : i % 3 === 1
          ? `round(exp(${normal} * 0.8 + ${drift}), 4)`
          : `floor(50 * random() + ${drift * 20})::BIGINT`;
    columns.push(`${expr} AS n${i}`);
  }
  for (let i = 0; i < Number(categorical); i++) {
    const k = 3 + (i % 12);
    const bias = shifted && i % 4 === 0 ? "power(random(), 2)" : "random()";
    columns.push(`'c' || floor(${bias} * ${k})::INTEGER AS c${i}`);
  }
  return `SELECT ${columns.join(", ")} FROM range(${Number(rows)})`;
}

for (const [name, shifted] of [
  ["reference", false],
  ["current", true],
]) {
  const started = performance.now();
  await connection.run(`COPY (${select(shifted)}) TO '${join(out, name + ".parquet")}' (FORMAT parquet)`);
  await connection.run(
    `COPY (SELECT * FROM '${join(out, name + ".parquet")}') TO '${join(out, name + ".csv")}' (HEADER)`,
  );
  console.log(`${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
connection.closeSync();
instance.closeSync();
