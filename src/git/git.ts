import { execFile } from "node:child_process";
import type { TagRecord } from "../registry/types";
import { parseForEachRef, TAG_LISTING_ARGS, takePrefetchedTagListing } from "./tag-listing";
import { EnvironmentError, UserError } from "../util/errors";

/**
 * The git CLI behind one small interface (as actions/checkout hides git behind GitCommandManager), so the
 * registry logic can be tested against real repositories and nothing else shells out to git.
 */
export interface Git {
  readonly cwd: string;
  /** The working tree's top-level folder. */
  topLevel(): Promise<string>;
  /** Every tag with everything replay needs, in ONE `git for-each-ref` call. */
  readTags(): Promise<TagRecord[]>;
  /** The commit a ref names (`HEAD`, a branch, a sha, a tag); UserError when it names none. */
  resolveCommit(ref: string): Promise<string>;
  createAnnotatedTag(tag: string, commit: string, message: string): Promise<void>;
  deleteLocalTag(tag: string): Promise<void>;
  remoteUrl(remote: string): Promise<string | undefined>;
  isShallow(): Promise<boolean>;
  /** Fetch every tag of the remote, replacing local tags that differ (the remote is the truth). */
  fetchTags(remote: string): Promise<void>;
  /** Push tags all-or-nothing; returns the tags the remote refused because they already exist there. */
  pushTagsAtomic(remote: string, tags: string[]): Promise<PushOutcome>;
  /** True when the working tree has a detached HEAD. */
  isDetached(): Promise<boolean>;
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

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

export class GitCli implements Git {
  constructor(
    readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private run(args: string[], options: { allowFailure?: boolean; input?: string } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        "git",
        args,
        { cwd: this.cwd, env: this.env, maxBuffer: 1024 * 1024 * 1024, encoding: "utf8" },
        (error, stdout, stderr) => {
          if (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === "ENOENT") {
              reject(
                new EnvironmentError(
                  "git was not found on PATH: install git (https://git-scm.com) and retry",
                ),
              );
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
            reject(new GitCommandError(args, code, stderr));
            return;
          }
          resolve({ stdout, stderr });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  async topLevel(): Promise<string> {
    return (await this.run(["rev-parse", "--show-toplevel"])).stdout.trim();
  }

  async readTags(): Promise<TagRecord[]> {
    const prefetched = await takePrefetchedTagListing(this.cwd);
    return prefetched ?? parseForEachRef((await this.run(TAG_LISTING_ARGS)).stdout);
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

  async createAnnotatedTag(tag: string, commit: string, message: string): Promise<void> {
    // --cleanup=verbatim keeps the message byte-exact (trailers included); the message comes on stdin so
    // no part of it is ever parsed as an argument.
    await this.run(["tag", "--annotate", "--no-sign", "--cleanup=verbatim", "--file=-", "--", tag, commit], {
      input: message.endsWith("\n") ? message : `${message}\n`,
    });
  }

  async deleteLocalTag(tag: string): Promise<void> {
    await this.run(["tag", "--delete", "--", tag], { allowFailure: true });
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

  async pushTagsAtomic(remote: string, tags: string[]): Promise<PushOutcome> {
    const refspecs = tags.map((t) => `refs/tags/${t}:refs/tags/${t}`);
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
