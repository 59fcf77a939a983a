// GitHub loads reusable workflows only from .github/workflows/, so each reusable-workflows/X.yml is
// published there byte for byte. Fails when a copy is missing or differs; `--fix` copies them over.
import { copyFileSync, existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const source = "reusable-workflows";
const published = join(".github", "workflows");
const fix = process.argv.includes("--fix");
const files = readdirSync(source).filter((f) => /\.ya?ml$/.test(f));
let problems = 0;
for (const file of files) {
  const from = join(source, file);
  const to = join(published, file);
  const same = existsSync(to) && readFileSync(from).equals(readFileSync(to));
  if (same) continue;
  if (fix) {
    copyFileSync(from, to);
    console.log(`copied ${from} -> ${to}`);
    continue;
  }
  problems++;
  console.log(
    `${to}: ${existsSync(to) ? "differs from" : "missing; publish"} ${from} (node .ci/workflows-in-sync.mjs --fix)`,
  );
}
console.log(`workflows in sync: ${files.length} reusable workflow(s), ${problems} problem(s)`);
if (files.length === 0) {
  console.log(`no workflow in ${source}/`);
  process.exitCode = 1;
}
if (problems > 0) process.exitCode = 1;
