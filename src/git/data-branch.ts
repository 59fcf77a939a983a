/**
 * A data branch: a branch of small files that gitml appends to with git plumbing alone — no checkout, no
 * work tree, no change to the caller's repository. Each write happens in a scratch bare repository: fetch
 * the branch's tip (depth 1), build the new tree in a temporary index, commit it on top of the tip, push.
 * A push that lost a race with another writer (non-fast-forward) starts over from the new tip, so
 * concurrent writers all land and none overwrites another. The monitoring history (branch
 * `gitml-monitoring`) is one.
 *
 * Reading goes through the repository holding the fetched branch: one `ls-tree` and one `cat-file --batch`
 * for any number of files.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { EnvironmentError, UserError } from "../util/errors";
import { gitSpawnError } from "./spawn-error";

export interface DataBranchFile {
  /** '/'-separated path in the branch. */
  path: string;
  content: string;
}

export interface AppendToBranchOptions {
  /** Where the branch lives: a URL or a path git can push to. */
  remote: string;
  branch: string;
  files: readonly DataBranchFile[];
  /** Given every path of the new tree, the paths to remove (retention); default none. */
  prune?: (paths: readonly string[]) => string[];
  message: string;
  /** The commits' author and committer. */
  identity: { name: string; email: string };
  /**
   * Extra environment for the fetch and the push only (credentials as `GIT_CONFIG_*`, see
   * `authorizationEnv`); never written to any config file.
   */
  authEnv?: NodeJS.ProcessEnv;
  /** Pushes tried before giving up on a branch others keep moving; default 10. */
  attempts?: number;
  /** Base delay between attempts (ms, jittered, growing); default 250. */
  retryDelayMs?: number;
  /** Called before each push with the attempt's number (tests use it to let another writer in first). */
  beforePush?: (attempt: number) => Promise<void>;
}

export interface AppendOutcome {
  commit: string;
  /** Pushes it took (1 when no other writer got in between). */
  attempts: number;
  removed: string[];
}

interface RunOptions {
  cwd: string;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  allowFailure?: boolean;
}

interface RunOutput {
  stdout: Buffer;
  stderr: string;
  failed: boolean;
}

const EMPTY_SHA = "0".repeat(40);

/**
 * Variables that would point git at another repository, index or object store than the one in `cwd`
 * (set, say, when gitml runs inside a git hook): never inherited, so plumbing meant for the scratch
 * repository cannot write into the caller's.
 */
const REPOSITORY_VARIABLES = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR",
  "GIT_NAMESPACE",
  "GIT_CEILING_DIRECTORIES",
];

function environment(extra: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of REPOSITORY_VARIABLES) delete env[name];
  return {
    ...env,
    ...extra,
    GIT_TERMINAL_PROMPT: "0",
    // Transports a remote URL may use: no `ext::` (runs a command) or `fd::`, whatever the config says.
    GIT_ALLOW_PROTOCOL: "https:http:ssh:git:file",
  };
}

function git(args: string[], options: RunOptions): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      args,
      {
        cwd: options.cwd,
        env: environment(options.env),
        encoding: "buffer",
        maxBuffer: 1024 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const errorText = stderr.toString("utf8");
        if (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT" && !stderr.length)
            return reject(gitSpawnError(options.cwd));
          if (options.allowFailure)
            return resolve({ stdout, stderr: errorText || error.message, failed: true });
          return reject(new Error(`git ${args[0]} failed: ${errorText.trim() || error.message}`));
        }
        resolve({ stdout, stderr: errorText, failed: false });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

async function text(args: string[], options: RunOptions): Promise<string> {
  return (await git(args, options)).stdout.toString("utf8").trim();
}

function lastLine(value: string): string {
  return value.trim().split("\n").pop() ?? "";
}

function assertBranchName(branch: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(branch) || branch.includes("..") || branch.endsWith(".lock"))
    throw new UserError(`'${branch}' is not a branch name gitml writes`);
}

/**
 * Environment that makes git send `token` to `serverUrl` (as actions/checkout does, but for this process
 * only): `GIT_CONFIG_*` variables, so nothing reaches a config file or a command line.
 */
export function authorizationEnv(serverUrl: string, token: string): NodeJS.ProcessEnv {
  const basic = Buffer.from(`x-access-token:${token}`, "utf8").toString("base64");
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: `http.${serverUrl.replace(/\/+$/, "")}/.extraheader`,
    GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}`,
  };
}

/** Fetches `branch` of `remote` into `into` of the repository at `cwd`; false when the remote has no such branch. */
async function fetchTip(
  cwd: string,
  remote: string,
  branch: string,
  into: string,
  options: { depth?: number; env?: NodeJS.ProcessEnv },
): Promise<boolean> {
  const result = await git(
    [
      "fetch",
      "--quiet",
      "--no-tags",
      "--no-write-fetch-head",
      ...(options.depth ? [`--depth=${options.depth}`] : []),
      "--",
      remote,
      `+refs/heads/${branch}:${into}`,
    ],
    { cwd, env: options.env, allowFailure: true },
  );
  if (!result.failed) return true;
  if (/couldn't find remote ref/i.test(result.stderr)) return false;
  throw new UserError(`could not fetch the branch ${branch} from '${remote}': ${lastLine(result.stderr)}`);
}

type PushResult = { ok: true } | { ok: false; retry: boolean; reason: string };

async function pushCommit(
  cwd: string,
  remote: string,
  branch: string,
  commit: string,
  env?: NodeJS.ProcessEnv,
) {
  const result = await git(["push", "--porcelain", "--", remote, `${commit}:refs/heads/${branch}`], {
    cwd,
    env,
    allowFailure: true,
  });
  const stdout = result.stdout.toString("utf8");
  const rejected = /^!\t[^\t]*\t(.*)$/m.exec(stdout);
  if (!result.failed && /^Done$/m.test(stdout) && !rejected) return { ok: true } as PushResult;
  const reason = rejected?.[1] ?? lastLine(result.stderr || stdout);
  // Another writer moved the branch (or holds its lock): start over from its new tip.
  const retry =
    /fetch first|non-fast-forward|stale info|cannot lock ref|failed to lock|incorrect old value/i.test(
      `${reason}\n${result.stderr}`,
    );
  return { ok: false, retry, reason } as PushResult;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Adds `files` to `branch` of `remote` in one commit (creating the branch, without history, when it does
 * not exist), removes what `prune` names, and pushes; retried from the new tip when another writer pushed
 * first. UserError when the remote refuses the push for another reason (permissions, protection rules).
 */
export async function appendToBranch(options: AppendToBranchOptions): Promise<AppendOutcome> {
  assertBranchName(options.branch);
  if (options.remote.startsWith("-")) throw new UserError(`'${options.remote}' is not a git remote`);
  const attempts = options.attempts ?? 10;
  const delay = options.retryDelayMs ?? 250;
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-data-branch-"));
  const repo = path.join(scratch, "repo.git");
  const index = path.join(scratch, "index");
  const identity = {
    GIT_AUTHOR_NAME: options.identity.name,
    GIT_AUTHOR_EMAIL: options.identity.email,
    GIT_COMMITTER_NAME: options.identity.name,
    GIT_COMMITTER_EMAIL: options.identity.email,
  };
  try {
    await git(["init", "--quiet", "--bare", repo], { cwd: scratch });
    // The blobs do not change from one attempt to the next: written once.
    const blobs: Array<{ path: string; id: string }> = [];
    for (const file of options.files) {
      if (file.path.split("/").some((part) => part === "" || part === "." || part === ".."))
        throw new Error(`'${file.path}' is not a path gitml writes on a data branch`);
      blobs.push({
        path: file.path,
        id: await text(["hash-object", "-w", "--stdin"], { cwd: repo, input: file.content }),
      });
    }
    const tracking = `refs/gitml/data-branch/${options.branch}`;
    let last = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const exists = await fetchTip(repo, options.remote, options.branch, tracking, {
        depth: 1,
        env: options.authEnv,
      });
      const tip = exists
        ? await text(["rev-parse", "--verify", `${tracking}^{commit}`], { cwd: repo })
        : undefined;
      const withIndex = { cwd: repo, env: { GIT_INDEX_FILE: index } };
      await fs.rm(index, { force: true });
      await git(["read-tree", ...(tip ? [tip] : ["--empty"])], withIndex);
      const existing = (await git(["ls-files", "-z"], withIndex)).stdout
        .toString("utf8")
        .split("\0")
        .filter(Boolean);
      const paths = [...new Set([...existing, ...blobs.map((b) => b.path)])];
      const removed = options.prune?.(paths) ?? [];
      const removing = new Set(removed);
      const entries = [
        ...removed.map((p) => `0 ${EMPTY_SHA}\t${p}\0`),
        ...blobs.filter((b) => !removing.has(b.path)).map((b) => `100644 blob ${b.id}\t${b.path}\0`),
      ];
      await git(["update-index", "-z", "--index-info"], { ...withIndex, input: entries.join("") });
      const tree = await text(["write-tree"], withIndex);
      // Every file already there as it is (a record pushed before): nothing to commit.
      if (tip && tree === (await text(["rev-parse", `${tip}^{tree}`], { cwd: repo })))
        return { commit: tip, attempts: attempt, removed: [] };
      const commit = await text(["commit-tree", tree, ...(tip ? ["-p", tip] : []), "-F", "-"], {
        cwd: repo,
        env: identity,
        input: options.message.endsWith("\n") ? options.message : `${options.message}\n`,
      });
      await options.beforePush?.(attempt);
      const pushed = await pushCommit(repo, options.remote, options.branch, commit, options.authEnv);
      if (pushed.ok) return { commit, attempts: attempt, removed };
      if (!pushed.retry)
        throw new UserError(
          `'${options.remote}' refused the push to the branch ${options.branch}: ${pushed.reason}`,
        );
      last = pushed.reason;
      if (attempt < attempts) await sleep(delay * attempt * (0.5 + Math.random()));
    }
    throw new EnvironmentError(
      `could not push to the branch ${options.branch} of '${options.remote}' after ${attempts} attempts: other writers kept moving it (${last})`,
    );
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

export interface BranchFileContent {
  path: string;
  /** Size in bytes. */
  size: number;
  /** The file's text; undefined when it is larger than `maxBytes` (not read). */
  text?: string;
}

/**
 * The files of `ref` (a branch, remote-tracking ref or commit) in the repository at `cwd`, read in two git
 * calls; undefined when the ref does not exist. Files larger than `maxBytes` are listed but not read;
 * only paths `wanted` accepts are listed at all.
 */
export async function readBranchFiles(options: {
  cwd: string;
  ref: string;
  maxBytes: number;
  wanted?: (path: string) => boolean;
}): Promise<BranchFileContent[] | undefined> {
  if (options.ref.startsWith("-")) throw new UserError(`'${options.ref}' is not a git ref`);
  const resolved = await git(
    ["rev-parse", "--verify", "--quiet", "--end-of-options", `${options.ref}^{tree}`],
    {
      cwd: options.cwd,
      allowFailure: true,
    },
  );
  const tree = resolved.stdout.toString("utf8").trim();
  if (resolved.failed || !/^[0-9a-f]{40,64}$/.test(tree)) {
    if (/not a git repository/i.test(resolved.stderr))
      throw new UserError(`${options.cwd} is not inside a git repository`);
    return undefined;
  }
  const listing = (await git(["ls-tree", "-r", "-l", "-z", "--full-tree", tree], { cwd: options.cwd })).stdout
    .toString("utf8")
    .split("\0")
    .filter(Boolean);
  const files: BranchFileContent[] = [];
  const toRead: Array<{ file: BranchFileContent; id: string }> = [];
  for (const line of listing) {
    // `<mode> SP <type> SP <object> SP+ <size> TAB <path>`
    const match = /^(\d+) (\w+) ([0-9a-f]+) +(\d+|-)\t(.*)$/s.exec(line);
    if (!match || match[2] !== "blob") continue;
    const file: BranchFileContent = { path: match[5]!, size: Number(match[4]) };
    if (options.wanted && !options.wanted(file.path)) continue;
    files.push(file);
    if (file.size <= options.maxBytes) toRead.push({ file, id: match[3]! });
  }
  if (toRead.length === 0) return files;
  const batch = (
    await git(["cat-file", "--batch"], { cwd: options.cwd, input: toRead.map((r) => `${r.id}\n`).join("") })
  ).stdout;
  // `<id> blob <size>\n<bytes>\n` per object, in the order asked.
  let offset = 0;
  for (const { file } of toRead) {
    const newline = batch.indexOf(0x0a, offset);
    const header = batch.subarray(offset, newline).toString("utf8");
    const size = Number(/^[0-9a-f]+ blob (\d+)$/.exec(header)?.[1]);
    if (!Number.isFinite(size)) throw new Error(`git cat-file --batch answered '${header}'`);
    file.text = batch.subarray(newline + 1, newline + 1 + size).toString("utf8");
    offset = newline + 1 + size + 1;
  }
  return files;
}

/**
 * Fetches `branch` of `remote` into the local ref `into` (e.g. `refs/remotes/origin/gitml-monitoring`);
 * false when the remote has no such branch. `depth` 1 fetches the tip only (for a scratch or catalog
 * repository: it makes the repository shallow).
 */
export async function fetchBranch(options: {
  cwd: string;
  remote: string;
  branch: string;
  into: string;
  depth?: number;
  authEnv?: NodeJS.ProcessEnv;
}): Promise<boolean> {
  assertBranchName(options.branch);
  if (options.remote.startsWith("-")) throw new UserError(`'${options.remote}' is not a git remote`);
  if (!/^refs\/[A-Za-z0-9._/-]+$/.test(options.into) || options.into.includes(".."))
    throw new UserError(`'${options.into}' is not a ref to fetch into`);
  return fetchTip(options.cwd, options.remote, options.branch, options.into, {
    depth: options.depth,
    env: options.authEnv,
  });
}
