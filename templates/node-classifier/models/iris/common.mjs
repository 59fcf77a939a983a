// Helpers shared by train.mjs and simulate_live.mjs: the data set's columns, a seeded random number
// generator (so every run with the same seed gives the same bytes) and CSV writing.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
export const LABEL = "species";
export const CLASSES = ["setosa", "versicolor", "virginica"];

/** mulberry32: a small, well-distributed 32-bit PRNG; Math.random cannot be seeded. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box-Muller) from a uniform generator. */
export function seededGaussian(random) {
  return () => {
    const u = 1 - random(); // (0, 1]: log(0) would be -Infinity
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Fisher-Yates on a copy. */
export function shuffled(items, random) {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

function csvCell(value) {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Writes rows (arrays) under a header, creating the folder; "\n" line ends so outputs are byte-stable. */
export function writeCsv(file, header, rows) {
  mkdirSync(dirname(file), { recursive: true });
  const lines = [header, ...rows].map((row) => row.map(csvCell).join(","));
  writeFileSync(file, `${lines.join("\n")}\n`);
}

/** `indent: 0` writes one line (for large files such as the model). */
export function writeJson(file, value, { indent = 2 } = {}) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, indent)}\n`);
}
