import { execFile, spawn } from "node:child_process";
import type { TagRecord } from "../registry/types";
import { gitSpawnError } from "./spawn-error";
import { parseTagRefs, readTagObjects, TAG_OBJECTS_ARGS, TAG_REFS_ARGS } from "./tag-listing";

/** The remote `fetchTagsOnly` names in the repositories it makes. */
const REMOTE = "catalog";
const REMOTE_URL_KEY = `remote.${REMOTE}.url`;
/** Where `fetchHead` keeps the remote's HEAD commit. */
const HEAD_REF = "refs/gitml/head";

/** The transports a fetch from an untrusted remote may use. */
export type RemoteProtocol = "https" | "ssh" | "file";

export interface RemoteGitOptions {
  /** Transports git may use; every other one (`ext::`, `fd::`, git://, http://) is refused. */
  protocols: readonly RemoteProtocol[];
  /** Environment for git (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds one git command may take before it counts as failed. Default 120000. */
  timeoutMs?: number;
}

/** One git command a RemoteGit ran that failed; `stderr` is git's own explanation. */
export class RemoteGitError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
  ) {
    super(`git ${args.join(" ")} failed: ${stderr.trim()}`);
  }
}

/** The commit a RemoteGit checked out, as git stores it. */
export interface CheckedOutCommit {
  commit: string;
  /** The raw commit object (`git cat-file commit`). */
  raw: string;
  /** Every file of the commit's tree (recursive): mode, blob id, path. */
  entries: Array<[mode: string, id: string, path: string]>;
}

/**
 * git as gitml runs it against a repository someone else names (a shared suite): only the allowed
 * transports, whatever the user's config says — no `ext::` helper, no `fd::`, no protocol a URL could
 * pick — and never waiting for a password prompt (such a fetch runs unattended: CI, hooks). It works in
 * folders outside any repository, so no repository's config applies. The caller validates URLs and refs;
 * both still reach git only after `--` or as values of options that take them whole.
 */
export class RemoteGit {
  private readonly env: NodeJS.ProcessEnv;
  private readonly protocolConfig: string[];
  private readonly timeoutMs: number;

  constructor(options: RemoteGitOptions) {
    this.env = {
      ...(options.env ?? process.env),
      GIT_TERMINAL_PROMPT: "0",
      GIT_PROTOCOL_FROM_USER: "0",
      GIT_ALLOW_PROTOCOL: options.protocols.join(":"),
    };
    this.protocolConfig = [
      "-c",
      "protocol.allow=never",
      ...options.protocols.flatMap((protocol) => ["-c", `protocol.${protocol}.allow=always`]),
      "-c",
      "protocol.ext.allow=never",
      "-c",
      "protocol.fd.allow=never",
    ];
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** `git ls-remote` of `refs` at `url`, as git prints it (`<sha>\t<ref>` lines), run in `cwd`. */
  listRemote(cwd: string, url: string, refs: readonly string[]): Promise<string> {
    return this.run(cwd, ["ls-remote", "--", url, ...refs]);
  }

  /** Makes `dir` a repository holding just `ref` of `url` (shallow, no tags), checked out detached. */
  async checkOutRemote(dir: string, url: string, ref: string): Promise<void> {
    await this.run(dir, ["init", "--quiet"]);
    await this.run(dir, ["fetch", "--quiet", "--depth", "1", "--no-tags", "--", url, ref]);
    await this.run(dir, ["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", "FETCH_HEAD"]);
  }

  /**
   * Makes `dir` a bare repository holding every tag of `url` and the commits they point at, but no tree
   * and no file (`--filter=tree:0`; a server that ignores filters sends the trees too, never the working
   * files' checkout): what an organisation's catalog reads of each repository.
   */
  async fetchTagsOnly(dir: string, url: string): Promise<void> {
    await this.run(dir, ["init", "--quiet", "--bare"]);
    // A named remote: git records a filtered fetch's source as a "promisor" by remote name, and refuses
    // a path as that name.
    await this.run(dir, ["config", REMOTE_URL_KEY, url]);
    await this.run(dir, [
      "fetch",
      "--quiet",
      "--no-write-fetch-head",
      "--filter=tree:0",
      "--no-tags",
      "--",
      REMOTE,
      "+refs/tags/*:refs/tags/*",
    ]);
  }

  /**
   * Fetches the tip of `branch` of the remote `fetchTagsOnly` read (files included: a small data branch)
   * into the local ref `into` of the repository at `dir`; false when the remote has no such branch.
   */
  async fetchBranchTip(dir: string, branch: string, into: string): Promise<boolean> {
    if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(branch) || !/^refs\/[A-Za-z0-9._/-]+$/.test(into))
      throw new Error(`fetchBranchTip: invalid branch '${branch}' or ref '${into}'`);
    // Asked first: a shallow fetch of a ref the remote lacks fails without saying why.
    const listed = await this.run(dir, ["ls-remote", "--heads", "--", REMOTE, `refs/heads/${branch}`]);
    if (!listed.split("\n").some((line) => line.endsWith(`\trefs/heads/${branch}`))) return false;
    await this.run(dir, [
      "fetch",
      "--quiet",
      "--no-write-fetch-head",
      "--depth=1",
      "--no-tags",
      "--",
      REMOTE,
      `+refs/heads/${branch}:${into}`,
    ]);
    return true;
  }

  /**
   * Fetches the commit the remote's HEAD names and its trees, no file (`--filter=blob:none`), into
   * `refs/gitml/head`, so single files of it can be read with `readFileAtHead`; false when the remote has
   * no HEAD (an empty repository). The trees come along because a tree fetched on demand would bring
   * every file under it too.
   */
  async fetchHead(dir: string): Promise<boolean> {
    const listed = await this.run(dir, ["ls-remote", "--", REMOTE, "HEAD"]);
    if (!/\tHEAD$/m.test(listed)) return false;
    await this.run(dir, [
      "fetch",
      "--quiet",
      "--no-write-fetch-head",
      "--filter=blob:none",
      "--depth=1",
      "--no-tags",
      "--",
      REMOTE,
      `+HEAD:${HEAD_REF}`,
    ]);
    return true;
  }

  /**
   * One file of the commit `fetchHead` fetched, its blob fetched on demand (a partial clone's promisor
   * fetch, under the same protocol rules); undefined when there is no such file or it is larger than
   * `maxBytes`.
   */
  async readFileAtHead(dir: string, file: string, maxBytes: number): Promise<string | undefined> {
    if (!/^[A-Za-z0-9._-][A-Za-z0-9._/-]*$/.test(file))
      throw new Error(`readFileAtHead: invalid path '${file}'`);
    const object = `${HEAD_REF}:${file}`;
    let size: number;
    try {
      size = Number((await this.run(dir, ["cat-file", "-s", object])).trim());
    } catch (error) {
      if (
        error instanceof RemoteGitError &&
        /not a valid object name|does not exist|path .* does not exist/i.test(error.stderr)
      )
        return undefined;
      throw error;
    }
    if (!Number.isFinite(size) || size > maxBytes) return undefined;
    return this.run(dir, ["cat-file", "blob", object]);
  }

  /** Every tag in the repository at `dir`, as the registry's replay reads them (as GitCli.readTags does). */
  async readTags(dir: string): Promise<TagRecord[]> {
    const refs = parseTagRefs(await this.run(dir, [...TAG_REFS_ARGS]));
    if (refs.length === 0) return [];
    const catFile = spawn("git", [...this.protocolConfig, ...TAG_OBJECTS_ARGS], {
      cwd: dir,
      env: this.env,
      stdio: ["pipe", "pipe", "pipe"],
      timeout: this.timeoutMs,
    });
    return readTagObjects(catFile, refs);
  }

  /** The commit checked out in `dir`, with the objects needed to verify its files later. */
  async describeHead(dir: string): Promise<CheckedOutCommit> {
    const commit = (await this.run(dir, ["rev-parse", "HEAD"])).trim();
    const raw = await this.run(dir, ["cat-file", "commit", "HEAD"]);
    const listing = await this.run(dir, ["ls-tree", "-r", "--full-tree", "-z", "HEAD"]);
    const entries = listing
      .split("\0")
      .filter(Boolean)
      .map((line): [string, string, string] => {
        const [meta, file] = [line.slice(0, line.indexOf("\t")), line.slice(line.indexOf("\t") + 1)];
        const [mode, , id] = meta.split(" ");
        return [mode!, id!, file];
      });
    return { commit, raw, entries };
  }

  private run(cwd: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        "git",
        [...this.protocolConfig, ...args],
        { cwd, env: this.env, encoding: "utf8", timeout: this.timeoutMs, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          if ((error as NodeJS.ErrnoException).code === "ENOENT") return reject(gitSpawnError(cwd));
          reject(new RemoteGitError(args, stderr || error.message));
        },
      );
    });
  }
}

/** git's own explanation of a RemoteGitError, without the generic advice lines it adds; rethrows others. */
export function remoteGitReason(error: unknown): string {
  if (!(error instanceof RemoteGitError)) throw error;
  const lines = error.stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/^Please make sure|^and the repository exists/.test(line));
  const fatal = lines.filter((line) => /^(fatal|error):/.test(line));
  return ((fatal.length > 0 ? fatal : lines).join("; ") || "git failed").replace(/^(fatal|error):\s*/, "");
}
