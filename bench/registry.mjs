// Registry read at 10,000 tags: `gitml show --json` and `gitml show <model>#production --json` against
// `git for-each-ref` over the same tags with the same fields, in the same run. Target: ≤ 2× git's time.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { cli, importSource, median, writeTaggedRepo } from "./lib.mjs";

const MODELS = 100;
const VERSIONS = 80; // 8,000 registrations
const STAGE_TAGS_PER_MODEL = 20; // 2,000 assignments → 10,000 tags

export function generateRegistryRepo(dir) {
  return writeTaggedRepo(dir, VERSIONS, (tag) => {
    for (let m = 0; m < MODELS; m++) {
      const name = `model-${m}`;
      for (let v = 1; v <= VERSIONS; v++) {
        const metrics = JSON.stringify({ accuracy: 0.8 + v / 1000, f1: 0.7 + m / 1000 });
        tag(
          `${name}@v1.${v}.0`,
          v,
          `Registering artifact ${name} version v1.${v}.0\n\nGitml-Metrics: ${metrics}\n`,
        );
      }
      for (let s = 1; s <= STAGE_TAGS_PER_MODEL; s++) {
        const stage = s % 2 ? "staging" : "production";
        const v = VERSIONS - STAGE_TAGS_PER_MODEL + s;
        tag(`${name}#${stage}#${s}`, v, `Assigning stage ${stage} to artifact ${name} version v1.${v}.0\n`);
      }
    }
  });
}

/**
 * The reference: ONE `git for-each-ref` printing every field gitml reads of each tag (what gitml itself
 * ran before it split the read into a listing and `git cat-file --batch`, see src/git/tag-listing.ts).
 */
const REFERENCE_LISTING_ARGS = [
  "for-each-ref",
  `--format=${[
    "%(refname:strip=2)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objectname)",
    "%(creatordate:raw)",
    "%(taggername)",
    "%(taggeremail:trim)",
    "%(contents)",
  ].join("%00")}%00`,
  "refs/tags",
];

/** What gitml runs: its listing and its cat-file, from its source (for the record of each run). */
async function cliTagReadArgs() {
  const { TAG_REFS_ARGS, TAG_OBJECTS_ARGS } = await importSource("src/git/tag-listing.ts");
  return [TAG_REFS_ARGS, TAG_OBJECTS_ARGS];
}

function time(command, args, cwd) {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

export async function runRegistryBench({ runs = 15 } = {}) {
  const gitmlArgs = await cliTagReadArgs();
  const dir = mkdtempSync(join(tmpdir(), "gitml-bench-registry-"));
  // On a shared machine the figures move with its load: kept with them.
  const loadBefore = loadavg()[0];
  try {
    const tagCount = generateRegistryRepo(dir);
    const git = [],
      all = [],
      one = [];
    // Interleaved, so machine noise hits all three alike; one warm-up round first.
    for (let i = 0; i <= runs; i++) {
      const g = time("git", REFERENCE_LISTING_ARGS, dir);
      const a = time(process.execPath, [cli, "show", "--json"], dir);
      const o = time(process.execPath, [cli, "show", "model-42#production", "--json"], dir);
      if (i === 0) {
        const parsed = JSON.parse(a.stdout);
        if (Object.keys(parsed).length !== MODELS)
          throw new Error(`show --json listed ${Object.keys(parsed).length} models`);
        if (!o.stdout.includes(`v1.${VERSIONS}.0`))
          throw new Error(`model-42#production is not v1.${VERSIONS}.0: ${o.stdout}`);
        continue;
      }
      git.push(g.ms);
      all.push(a.ms);
      one.push(o.ms);
    }
    const gitMs = median(git);
    return {
      tags: tagCount,
      reference: `git ${REFERENCE_LISTING_ARGS.join(" ")}`,
      gitmlReads: gitmlArgs.map((args) => `git ${args.join(" ")}`),
      runs,
      gitForEachRefMs: gitMs,
      showJsonMs: median(all),
      showStageJsonMs: median(one),
      showJsonRatio: median(all) / gitMs,
      showStageJsonRatio: median(one) / gitMs,
      nodeStartupMs: median(Array.from({ length: runs }, () => time(process.execPath, ["-e", "0"], dir).ms)),
      loadAverage: [loadBefore, loadavg()[0]],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
