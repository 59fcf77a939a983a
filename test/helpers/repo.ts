import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const cliPath = path.join(repoRoot, "dist", "cli.js");

/** A fixed git identity and no user/system git config, so tests behave the same on every machine. */
/** git reading no system or global configuration: a hosted runner's git, which has no identity either. */
export const RUNNER_GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
} as const;

export const TEST_GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.com",
  GIT_COMMITTER_NAME: "Test Tagger",
  GIT_COMMITTER_EMAIL: "tagger@example.com",
} as const;

export function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...TEST_GIT_ENV, ...extra };
}

export function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync("git", args, {
    cwd,
    env: gitEnv(env),
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
  }).trim();
}

export async function tempDir(prefix = "gitml-test-"): Promise<string> {
  return fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), prefix)));
}

export interface TestRepo {
  /** A working clone. */
  work: string;
  /** The bare repository that is the clone's `origin`. */
  origin: string;
  root: string;
  /** Another clone of the same origin. */
  clone(name: string, args?: string[]): string;
  commit(file: string, content: string, message?: string): string;
  cleanup(): Promise<void>;
}

export async function createRepo(options: { withOrigin?: boolean } = {}): Promise<TestRepo> {
  const root = await tempDir();
  const origin = path.join(root, "origin.git");
  const work = path.join(root, "work");
  if (options.withOrigin !== false) {
    git(root, ["init", "--quiet", "--bare", "-b", "main", origin]);
    git(root, ["clone", "--quiet", origin, work]);
  } else {
    git(root, ["init", "--quiet", "-b", "main", work]);
  }
  git(work, ["checkout", "--quiet", "-B", "main"]);
  const repo: TestRepo = {
    work,
    origin,
    root,
    clone(name, args = []) {
      const target = path.join(root, name);
      git(root, ["clone", "--quiet", ...args, `file://${origin}`, target]);
      return target;
    },
    commit(file, content, message = `change ${file}`) {
      return commitIn(work, file, content, message);
    },
    cleanup: () => fs.rm(root, { recursive: true, force: true }),
  };
  repo.commit("README.md", "# test repo\n", "initial commit");
  if (options.withOrigin !== false) git(work, ["push", "--quiet", "origin", "main"]);
  return repo;
}

export function commitIn(cwd: string, file: string, content: string, message = `change ${file}`): string {
  const target = path.join(cwd, file);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, content);
  git(cwd, ["add", "--", file]);
  git(cwd, ["commit", "--quiet", "-m", message]);
  return git(cwd, ["rev-parse", "HEAD"]);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI bundle as a user would (`node dist/cli.js ...`). */
export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cliPath, ...args],
      { cwd: options.cwd, env: gitEnv(options.env), encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function tags(cwd: string): string[] {
  const out = git(cwd, ["tag", "--list"]);
  return out === "" ? [] : out.split("\n").sort();
}
