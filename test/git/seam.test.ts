import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

// Every git process gitml starts is started in src/git (GitCli, RemoteGit, the tag listing, commit
// descriptions), so the hardening there (`--`, protocol allow-list, identity and lock errors) cannot
// be bypassed by a command that shells out on its own.

const SRC = path.resolve(__dirname, "../../src");
const GIT_FOLDER = path.join(SRC, "git");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.[cm]?[jt]sx?$/.test(entry.name) ? [full] : [];
  });
}

/** `execFile("git"`, `spawn(\n "git"`, `promisify(execFile)("git"`, `execSync("git …"`, and the like. */
const RUNS_GIT =
  /\b(?:execFile|execFileSync|spawn|spawnSync|exec|execSync|fork|execa|\$)\b\)?\s*\(\s*["'`]git(?:["'`]|\s)/;

/** Files outside src/git that start processes, each for a reason that is not git. */
const PROCESS_STARTERS: Record<string, string> = {
  "action/native.ts": "installs the native data engine with npm",
  "commands/train.ts": "runs the user's own train/evaluate commands",
};

const outside = sourceFiles(SRC).filter((file) => !file.startsWith(GIT_FOLDER + path.sep));
const relative = (file: string) => path.relative(SRC, file).split(path.sep).join("/");

describe("git runs only in src/git", () => {
  it("finds the source files it checks (and the git folder's own git calls)", () => {
    expect(outside.length).toBeGreaterThan(20);
    const inside = sourceFiles(GIT_FOLDER).filter((file) => RUNS_GIT.test(readFileSync(file, "utf8")));
    expect(inside.map(relative).sort()).toEqual([
      "git/commit-info.ts",
      "git/data-branch.ts",
      "git/git.ts",
      "git/remote.ts",
      "git/tag-read-start.ts",
    ]);
  });

  it("no file outside src/git runs git", () => {
    const offenders = outside.filter((file) => RUNS_GIT.test(readFileSync(file, "utf8"))).map(relative);
    expect(offenders, "run git through the Git interface in src/git instead").toEqual([]);
  });

  it("only the known files outside src/git start processes, and none of them passes git a command", () => {
    const starters = outside
      .filter((file) => /from\s+["'](?:node:)?child_process["']/.test(readFileSync(file, "utf8")))
      .map(relative)
      .sort();
    expect(
      starters,
      "a new file starts processes: if it runs git, add a method to src/git/git.ts instead; if not, list it in PROCESS_STARTERS with its reason",
    ).toEqual(Object.keys(PROCESS_STARTERS).sort());
  });
});
