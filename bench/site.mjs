// The catalog site at 200 models × 50 versions: `gitml site` (read every tag, replay, render 201 pages,
// write them atomically) against `git for-each-ref` over the same tags with the same fields, in the same
// run. Targets: built in ≤ 5 s, index.html ≤ 300 KB, no resource from another host.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, importSource, median, writeTaggedRepo } from "./lib.mjs";

const MODELS = 200;
const VERSIONS = 50; // 10,000 registrations
const STAGE_TAGS_PER_MODEL = 6; // 1,200 assignments (promotions and a rollback)

/** A repository holding MODELS × VERSIONS registrations with gitml's trailers, and stage moves. */
export function generateCatalogRepo(dir) {
  return writeTaggedRepo(dir, VERSIONS, (tag) => {
    const hex = (n) => n.toString(16).padStart(64, "0");
    for (let m = 0; m < MODELS; m++) {
      const name = m % 10 === 0 ? `team-${m % 7}/model-${m}` : `model-${m}`;
      for (let v = 1; v <= VERSIONS; v++) {
        const metrics = JSON.stringify({
          accuracy: 0.8 + ((v * 7 + m) % 13) / 100,
          f1: 0.7 + v / 1000,
          roc_auc: 0.85 + ((v + m) % 9) / 100,
          latency_ms: 20 + ((v * m) % 17),
        });
        const params = JSON.stringify({ n_estimators: 50 + v, max_depth: 4 + (v % 5), criterion: "gini" });
        tag(
          `${name}@v1.${v}.0`,
          v,
          `Registering artifact ${name} version v1.${v}.0\n\n` +
            `Gitml-Metrics: ${metrics}\nGitml-Params: ${params}\n` +
            `Gitml-Data-Fingerprint: sha256:${hex(v % 4)}\n` +
            `Gitml-Run-Url: https://github.com/acme/models/actions/runs/${m * 100 + v}\nGitml-Pr: ${v}\n`,
        );
      }
      const moves = [
        ["staging", VERSIONS - 2],
        ["production", VERSIONS - 2],
        ["staging", VERSIONS - 1],
        ["production", VERSIONS - 1],
        ["staging", VERSIONS],
        ["production", VERSIONS - 2], // a rollback
      ].slice(0, STAGE_TAGS_PER_MODEL);
      moves.forEach(([stage, v], i) =>
        tag(
          `${name}#${stage}#${i + 1}`,
          v,
          `Assigning stage ${stage} to artifact ${name} version v1.${v}.0\n`,
        ),
      );
    }
  });
}

function time(command, args, cwd, env = process.env) {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8", maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function folderBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(full) : statSync(full).size;
  }
  return total;
}

/** Any way a page could load something: an element that fetches, a src, a CSS url(), an import. */
function externalResources(html) {
  const markup = html.replace(/(<script[^>]*>)[\s\S]*?<\/script>/g, "$1</script>");
  return (
    markup.match(/<(?:link|img|iframe|object|embed|base|audio|video|source)\b|\ssrc=|url\(|@import/gi) ?? []
  ).length;
}

export async function runSiteBench({ runs = 5 } = {}) {
  const listingArgs = (await importSource("src/git/tag-listing.ts")).TAG_LISTING_ARGS;
  const dir = mkdtempSync(join(tmpdir(), "gitml-bench-site-"));
  const env = { ...process.env, GITHUB_REPOSITORY: "", GITHUB_TOKEN: "" };
  try {
    const tags = generateCatalogRepo(dir);
    const git = [];
    const site = [];
    const out = join(dir, "site");
    for (let i = 0; i <= runs; i++) {
      const g = time("git", listingArgs, dir);
      const s = time(process.execPath, [cli, "site", "-o", out, "--json"], dir, env);
      if (i === 0) {
        const result = JSON.parse(s.stdout);
        if (result.models !== MODELS || result.versions !== MODELS * VERSIONS)
          throw new Error(`the site lists ${result.models} models, ${result.versions} versions`);
        continue;
      }
      git.push(g.ms);
      site.push(s.ms);
    }
    const index = readFileSync(join(out, "index.html"), "utf8");
    const pages = readdirSync(join(out, "models")).map((name) =>
      readFileSync(join(out, "models", name), "utf8"),
    );
    const modelPageBytes = pages.map((p) => Buffer.byteLength(p));
    const gitMs = median(git);
    return {
      models: MODELS,
      versions: MODELS * VERSIONS,
      tags,
      runs,
      gitForEachRefMs: gitMs,
      siteMs: median(site),
      siteRatio: median(site) / gitMs,
      indexBytes: Buffer.byteLength(index),
      modelPageMedianBytes: median(modelPageBytes),
      modelPageMaxBytes: Math.max(...modelPageBytes),
      siteBytes: folderBytes(out),
      pages: pages.length + 1,
      externalResources: [index, ...pages].reduce((n, html) => n + externalResources(html), 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await runSiteBench()));
