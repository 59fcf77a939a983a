import { execFile, spawn } from "node:child_process";
import type { TagRecord } from "../registry/types";
import { parseTagRefs, readTagObjects, TAG_OBJECTS_ARGS, TAG_REFS_ARGS } from "./tag-listing";
import { UserError } from "../util/errors";
import { gitSpawnError } from "./spawn-error";

/**
 * The git CLI behind one small interface (as actions/checkout hides git behind GitCommandManager), so the
 * registry logic can be tested against real repositories and nothing else shells out to git: every git
 * process gitml starts is started in src/git (test/git/seam.test.ts holds that). A fetch from an
 * untrusted remote (a shared suite) goes through `RemoteGit` (./remote.ts) instead, which adds its own
 * protocol restrictions.
 */
export interface Git {
  readonly cwd: string;
  /** The working tree's top-level folder. */
  topLevel(): Promise<string>;
  /** Every tag with everything replay needs: one `git for-each-ref`, then one `git cat-file --batch`. */
  readTags(): Promise<TagRecord[]>;
  /** The commit a ref names (`HEAD`, a branch, a sha, a tag); UserError when it names none. */
  resolveCommit(ref: string): Promise<string>;
  /**
   * Writes an annotated tag object (tagger = git's committer identity, now) WITHOUT creating the ref:
   * nothing under refs/tags exists until `setTagRefs` is called, so a tag that is never pushed is
   * never seen. UserError when git has no identity to tag with.
   */
  createTagObject(tag: string, commit: string, message: string): Promise<string>;
  /** createTagObject + a local ref (tests, and the registry's own code when there is no remote). */
  createAnnotatedTag(tag: string, commit: string, message: string): Promise<void>;
  /**
   * Points local tags at objects in one all-or-nothing ref transaction. `create` refuses (returns false,
   * changes nothing) when any of the tags already exists; `force` overwrites.
   */
  setTagRefs(tags: TagObject[], mode: "create" | "force"): Promise<boolean>;
  /** Moves local tags out of refs/tags into `refs/gitml/<namespace>/` (kept, but no longer registry tags). */
  setAsideTags(tags: TagObject[], namespace: string): Promise<void>;
  deleteLocalTag(tag: string): Promise<void>;
  /** The object every local tag points at (tag name -> object id). */
  localTagObjects(): Promise<Map<string, string>>;
  /** The object every tag of the remote points at (tag name -> object id); UserError when unreachable. */
  remoteTagObjects(remote: string): Promise<Map<string, string>>;
  remoteUrl(remote: string): Promise<string | undefined>;
  isShallow(): Promise<boolean>;
  /** Fetch every tag of the remote, replacing local tags that differ (the remote is the truth). */
  fetchTags(remote: string): Promise<void>;
  /**
   * Push tags (by object id) all-or-nothing; returns the tags the remote refused because they already
   * exist there. Local refs are not touched.
   */
  pushTagsAtomic(remote: string, tags: TagObject[]): Promise<PushOutcome>;
  /** git's committer identity (`Name <email> time zone`); UserError, saying what to run, when it has none. */
  taggerIdentity(): Promise<string>;
  /** True when the working tree has a detached HEAD. */
  isDetached(): Promise<boolean>;
  /**
   * The files (paths from the top level) that differ between two commits, renames as a deletion plus an
   * addition; UserError when either is not a commit.
   */
  changedFiles(since: string, until: string): Promise<string[]>;
  /** `git --version`'s line (wherever cwd is), or undefined when git cannot be run at all. */
  version(): Promise<string | undefined>;
  /** `git init` in cwd, with `branch` as the first branch's name. */
  init(branch: string): Promise<void>;
  /** Sets a config value in this repository's own config (`git config <key> <value>`). */
  setConfig(key: string, value: string): Promise<void>;
  /**
   * Commits `tracked` changes (`git commit -a`) or `all` of the working tree, untracked files included
   * (`git add -A` first), with git's configured identity.
   */
  commit(message: string, changes: "tracked" | "all"): Promise<void>;
  /** Checks out a branch; `create` starts a new one at HEAD. */
  checkoutBranch(branch: string, options?: { create?: boolean }): Promise<void>;
  /** Merges a branch into the current one with a merge commit even when it could fast-forward. */
  mergeNoFastForward(branch: string, message: string): Promise<void>;
}

/** A tag name and the object (an id, or any name git resolves) it points at. */
export interface TagObject {
  tag: string;
  object: string;
}

export type PushOutcome = { ok: true } | { ok: false; rejected: string[]; reason: string };

interface RunResult {
  stdout: string;
  stderr: string;
}

class GitCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | string | undefined,
    readonly stderr: string,
  ) {
    super(`git ${args.join(" ")} failed (${exitCode}): ${stderr.trim()}`);
  }
}

/** What a person without a git identity is told (git's own advice, plus what applies in CI). */
export const NO_IDENTITY_HELP = [
  "git has no identity to write registry tags with (a tag records its tagger). Set one:",
  '  git config --global user.name "Your Name"',
  '  git config --global user.email "you@example.com"',
  "(omit --global for this repository only; in a workflow, run them in a step before gitml, or set GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL)",
].join("\n");

/** A lock file left by a git process killed mid-way (or one still running): git's own advice, plainly. */
function staleLockError(stderr: string): UserError | undefined {
  const lock = /Unable to create '([^']+\.lock)': File exists/.exec(stderr);
  return lock
    ? new UserError(
        `git could not lock ${lock[1]}: another git process is running in this repository, or one was killed mid-way; if none is running, delete that file and retry`,
      )
    : undefined;
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

export class GitCli implements Git {
  constructor(
    readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private run(
    args: string[],
    options: { allowFailure?: boolean; input?: string; anywhere?: boolean } = {},
  ): Promise<RunResult> {
    const spawnError = () => gitSpawnError(options.anywhere ? undefined : this.cwd);
    const running = new Promise<RunResult>((resolve, reject) => {
      const child = execFile(
        "git",
        args,
        {
          // `anywhere`: a command that reads no repository runs in the process's folder, so a cwd that
          // does not exist is not mistaken for git missing (both fail with ENOENT).
          ...(options.anywhere ? {} : { cwd: this.cwd }),
          env: this.env,
          maxBuffer: 1024 * 1024 * 1024,
          encoding: "utf8",
        },
        (error, stdout, stderr) => {
          if (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === "ENOENT") {
              reject(spawnError());
              return;
            }
            if (options.allowFailure) {
              resolve({ stdout, stderr: stderr || error.message });
              return;
            }
            if (/not a git repository/i.test(stderr)) {
              reject(new UserError(`${this.cwd} is not inside a git repository (run \`git init\` first)`));
              return;
            }
            reject(staleLockError(stderr) ?? new GitCommandError(args, code, stderr));
            return;
          }
          resolve({ stdout, stderr });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
    // A working folder that is a file: Node throws ENOTDIR from execFile rather than reporting it.
    return running.catch((error: unknown) => {
      throw (error as NodeJS.ErrnoException).code === "ENOTDIR" ? spawnError() : error;
    });
  }

  async topLevel(): Promise<string> {
    return (await this.run(["rev-parse", "--show-toplevel"])).stdout.trim();
  }

  async readTags(): Promise<TagRecord[]> {
    const refs = parseTagRefs((await this.run(TAG_REFS_ARGS)).stdout);
    if (refs.length === 0) return [];
    const catFile = spawn("git", TAG_OBJECTS_ARGS, {
      cwd: this.cwd,
      env: this.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    return readTagObjects(catFile, refs);
  }

  async resolveCommit(ref: string): Promise<string> {
    if (ref.startsWith("-")) throw new UserError(`'${ref}' is not a git ref`);
    const { stdout, stderr } = await this.run(
      ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`],
      {
        allowFailure: true,
      },
    );
    const sha = stdout.trim();
    if (!/^[0-9a-f]{40,64}$/.test(sha)) {
      if (/not a git repository/i.test(stderr)) {
        throw new UserError(`${this.cwd} is not inside a git repository (run \`git init\` first)`);
      }
      if (ref === "HEAD") throw new UserError("this repository has no commits yet: commit something first");
      throw new UserError(`'${ref}' does not name a commit in this repository`);
    }
    return sha;
  }

  async taggerIdentity(): Promise<string> {
    const { stdout, stderr } = await this.run(["var", "GIT_COMMITTER_IDENT"], { allowFailure: true });
    const ident = stdout.trim();
    if (ident === "") {
      if (/tell me who you are|identity unknown|auto-detect|empty ident/i.test(stderr)) {
        throw new UserError(NO_IDENTITY_HELP);
      }
      throw new GitCommandError(["var", "GIT_COMMITTER_IDENT"], undefined, stderr);
    }
    return ident;
  }

  async createTagObject(tag: string, commit: string, message: string): Promise<string> {
    // The bytes `git tag --annotate --cleanup=verbatim` writes, minus the ref: the message is kept
    // byte-exact (trailers included) and goes in on stdin, so no part of it is parsed as an argument.
    const body = message.endsWith("\n") ? message : `${message}\n`;
    const ident = await this.taggerIdentity();
    const object = `object ${commit}\ntype commit\ntag ${tag}\ntagger ${ident}\n\n${body}`;
    return (await this.run(["mktag"], { input: object })).stdout.trim();
  }

  async createAnnotatedTag(tag: string, commit: string, message: string): Promise<void> {
    const object = await this.createTagObject(tag, commit, message);
    if (!(await this.setTagRefs([{ tag, object }], "create"))) {
      throw new UserError(`tag '${tag}' already exists in this repository`);
    }
  }

  async setTagRefs(tags: TagObject[], mode: "create" | "force"): Promise<boolean> {
    if (tags.length === 0) return true;
    // -z: NUL-separated fields, so no name is ever split or parsed; one transaction for all of them.
    const commands = tags
      .map((t) =>
        mode === "create"
          ? `create refs/tags/${t.tag}\0${t.object}\0`
          : `update refs/tags/${t.tag}\0${t.object}\0\0`,
      )
      .join("");
    const { stderr } = await this.run(["update-ref", "-z", "--stdin"], {
      input: commands,
      allowFailure: true,
    });
    if (stderr.trim() === "") return true;
    // `create` of a name that exists: another process made it first (a race, the caller retries).
    if (mode === "create" && /reference already exists/i.test(stderr)) return false;
    throw staleLockError(stderr) ?? new GitCommandError(["update-ref", "-z", "--stdin"], undefined, stderr);
  }

  async setAsideTags(tags: TagObject[], namespace: string): Promise<void> {
    if (tags.length === 0) return;
    const commands = tags
      .map(
        (t) =>
          `update refs/gitml/${namespace}/${t.tag}\0${t.object}\0\0delete refs/tags/${t.tag}\0${t.object}\0`,
      )
      .join("");
    await this.run(["update-ref", "-z", "--stdin"], { input: commands });
  }

  async deleteLocalTag(tag: string): Promise<void> {
    await this.run(["tag", "--delete", "--", tag], { allowFailure: true });
  }

  async localTagObjects(): Promise<Map<string, string>> {
    const { stdout } = await this.run([
      "for-each-ref",
      "--format=%(objectname)%00%(refname:strip=2)",
      "refs/tags",
    ]);
    return parseObjectList(stdout, /^([0-9a-f]+)\0(.+)$/);
  }

  async remoteTagObjects(remote: string): Promise<Map<string, string>> {
    try {
      const { stdout } = await this.run(["ls-remote", "--tags", "--", remote]);
      // `<oid>\trefs/tags/<name>`, plus `<name>^{}` lines for the peeled commits, which are skipped.
      return parseObjectList(stdout, /^([0-9a-f]+)\trefs\/tags\/(.+)$/, (name) => !name.endsWith("^{}"));
    } catch (error) {
      if (error instanceof GitCommandError) {
        throw new UserError(`could not reach '${remote}': ${lastLine(error.stderr)}`);
      }
      throw error;
    }
  }

  async remoteUrl(remote: string): Promise<string | undefined> {
    const { stdout } = await this.run(["remote", "get-url", "--", remote], { allowFailure: true });
    return stdout.trim() || undefined;
  }

  async isShallow(): Promise<boolean> {
    return (await this.run(["rev-parse", "--is-shallow-repository"])).stdout.trim() === "true";
  }

  async isDetached(): Promise<boolean> {
    const { stdout } = await this.run(["symbolic-ref", "--quiet", "HEAD"], { allowFailure: true });
    return stdout.trim() === "";
  }

  async changedFiles(since: string, until: string): Promise<string[]> {
    for (const ref of [since, until]) {
      if (ref.startsWith("-")) throw new UserError(`'${ref}' is not a git ref`);
    }
    try {
      const { stdout } = await this.run([
        "diff",
        "--name-only",
        // From the top level wherever cwd is, even with `diff.relative` set.
        "--no-relative",
        "--no-renames",
        "--end-of-options",
        since,
        until,
        "--",
      ]);
      return stdout.split("\n").filter(Boolean);
    } catch (error) {
      if (error instanceof GitCommandError) {
        throw new UserError(
          `cannot list the files changed between ${since} and ${until}: ${lastLine(error.stderr)}`,
        );
      }
      throw error;
    }
  }

  async version(): Promise<string | undefined> {
    return this.run(["--version"], { anywhere: true }).then(
      (result) => result.stdout.trim(),
      () => undefined,
    );
  }

  async init(branch: string): Promise<void> {
    assertNotAnOption(branch, "branch name");
    await this.run(["init", "--quiet", "-b", branch]);
  }

  async setConfig(key: string, value: string): Promise<void> {
    assertNotAnOption(key, "config key");
    await this.run(["config", "--", key, value]);
  }

  async commit(message: string, changes: "tracked" | "all"): Promise<void> {
    if (changes === "all") await this.run(["add", "-A"]);
    // `-m` takes the next argument whole, so a message is never read as an option.
    await this.run(["commit", "--quiet", ...(changes === "tracked" ? ["-a"] : []), "-m", message]);
  }

  async checkoutBranch(branch: string, options: { create?: boolean } = {}): Promise<void> {
    assertNotAnOption(branch, "branch name");
    await this.run(["checkout", "--quiet", ...(options.create ? ["-b", branch] : [branch])]);
  }

  async mergeNoFastForward(branch: string, message: string): Promise<void> {
    assertNotAnOption(branch, "branch name");
    await this.run(["merge", "--quiet", "--no-ff", "-m", message, "--end-of-options", branch]);
  }

  async fetchTags(remote: string): Promise<void> {
    const args = [
      "fetch",
      "--quiet",
      "--no-write-fetch-head",
      "--force",
      "--",
      remote,
      "+refs/tags/*:refs/tags/*",
    ];
    // A shallow clone (actions/checkout's default) must not pull the whole history behind every tag.
    if (await this.isShallow()) args.splice(1, 0, "--depth=1");
    try {
      await this.run(args);
    } catch (error) {
      if (error instanceof GitCommandError) {
        throw new UserError(`could not fetch tags from '${remote}': ${lastLine(error.stderr)}`);
      }
      throw error;
    }
  }

  async pushTagsAtomic(remote: string, tags: TagObject[]): Promise<PushOutcome> {
    const refspecs = tags.map((t) => `${t.object}:refs/tags/${t.tag}`);
    const result = await this.run(["push", "--atomic", "--porcelain", "--", remote, ...refspecs], {
      allowFailure: true,
    });
    // --porcelain prints one line per ref: `<flag>\t<from>:<to>\t<summary>`; `!` means rejected. A tag
    // that exists there already, or a ref another push holds locked, is a lost race worth retrying;
    // a hook or a permission refusal is not.
    const rejected: string[] = [];
    let refused: string | undefined;
    for (const line of result.stdout.split("\n")) {
      const match = /^!\t[^\t]*:refs\/tags\/([^\t]+)\t(.*)$/.exec(line);
      if (!match) continue;
      if (/hook declined|permission|protected|denied/i.test(match[2]!)) refused = `${match[1]}: ${match[2]}`;
      else rejected.push(match[1]!);
    }
    if (refused) throw new UserError(`'${remote}' refused the tag push (${refused})`);
    if (rejected.length > 0) return { ok: false, rejected, reason: lastLine(result.stderr) };
    if (!/^Done$/m.test(result.stdout) || /^!/m.test(result.stdout)) {
      throw new UserError(`could not push tags to '${remote}': ${lastLine(result.stderr || result.stdout)}`);
    }
    return { ok: true };
  }
}

/** A value git would read as an option (`--upload-pack=…`) is refused before it reaches git. */
function assertNotAnOption(value: string, what: string): void {
  if (value.startsWith("-")) throw new UserError(`'${value}' is not a valid ${what}`);
}

function parseObjectList(
  text: string,
  line: RegExp,
  keep: (name: string) => boolean = () => true,
): Map<string, string> {
  const objects = new Map<string, string>();
  for (const row of text.split("\n")) {
    const match = line.exec(row);
    if (match && keep(match[2]!)) objects.set(match[2]!, match[1]!);
  }
  return objects;
}
