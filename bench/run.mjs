// `npm run bench`: every benchmark, as ratios against a reference measured in the same run.
// Results go to bench/results.json and are printed as the README's table.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./lib.mjs";
import { runRegistryBench } from "./registry.mjs";
import { runConcurrencyBench } from "./concurrency.mjs";

const only = process.argv[2];
const results = { date: new Date().toISOString(), node: process.version };
const rows = [];

if (!only || only === "registry") {
  const r = (results.registry = await runRegistryBench());
  rows.push([
    `registry read, ${r.tags} tags: \`gitml show --json\``,
    `${r.gitForEachRefMs.toFixed(0)} ms (git for-each-ref)`,
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
if (!only || only === "concurrency") {
  const c = (results.concurrency = await runConcurrencyBench());
  rows.push([
    `${c.writers} concurrent registrations, one origin`,
    "-",
    `${c.distinctVersions} distinct versions, ${c.lost} lost, ${c.wallMs.toFixed(0)} ms`,
    "-",
    `${c.writers} distinct, 0 lost`,
  ]);
}

if (!only || only === "action") {
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

writeFileSync(join(root, "bench", "results.json"), JSON.stringify(results, null, 2) + "\n");
console.log("| what | reference | gitml | ratio | target |\n|---|---|---|---|---|");
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
