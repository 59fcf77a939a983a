// 8 concurrent `gitml register` from 8 clones against one bare origin: how many distinct versions land.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { cli } from "./lib.mjs";

export async function runConcurrencyBench({ writers = 8 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "gitml-bench-race-"));
  const sh = (cwd, ...args) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();
  try {
    const origin = join(dir, "origin.git");
    sh(dir, "init", "--quiet", "--bare", "-b", "main", origin);
    const seed = join(dir, "seed");
    sh(dir, "clone", "--quiet", origin, seed);
    sh(seed, "commit", "--quiet", "--allow-empty", "-m", "seed");
    sh(seed, "push", "--quiet", "origin", "HEAD:main");
    const clones = Array.from({ length: writers }, (_, i) => {
      const c = join(dir, `c${i}`);
      sh(dir, "clone", "--quiet", origin, c);
      sh(c, "commit", "--quiet", "--allow-empty", "-m", `work ${i}`);
      return c;
    });
    const start = performance.now();
    const results = await Promise.all(
      clones.map((cwd) =>
        promisify(execFile)(process.execPath, [cli, "register", "churn", "--json"], { cwd }),
      ),
    );
    const wallMs = performance.now() - start;
    const versions = results.map((r) => JSON.parse(r.stdout).version);
    const originTags = sh(origin, "tag", "--list").split("\n").filter(Boolean);
    return {
      writers,
      distinctVersions: new Set(versions).size,
      tagsAtOrigin: originTags.length,
      lost: writers - originTags.length,
      wallMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
