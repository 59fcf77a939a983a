/**
 * Fetching a shared suite's repository at a ref, with git, into a cache that later runs reuse.
 *
 * Layout under the cache folder, per repository: `commits/<sha>/` holds the files of one commit and never
 * changes once written, `commits/<sha>.objects.json` the git objects they came from (the raw commit and
 * every path's mode and blob id); `refs/<ref>.json` says which commit a tag or branch named when last
 * fetched. All are written to a temporary name first and renamed, so a concurrent run sees the old or
 * the new copy, never half of one. A commit or a cached tag is used without network; a branch is looked
 * up on every run (`git ls-remote`, cheap) and fetched only when it moved.
 *
 * The cache lives outside the working tree (`defaultSuiteCacheDir`), where a pull request cannot commit
 * into it, and every file read from it is checked against those objects (`readSuiteFileVerified`): the
 * commit object hashes to its sha, its tree to the recorded paths, the file to its blob id. A file that
 * does not match is refused, and its commit fetched again.
 */
import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readFile, realpath, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { RemoteGit, remoteGitReason } from "../git/remote";
import { UserError } from "../util/errors";
import { silentLogger, type Logger } from "../util/logger";
import { exists, writeFileAtomic } from "../util/fs";

export interface SuiteGitOptions {
  /** Environment for git (default `process.env`); tests pass a fixed identity and no user config. */
  env?: NodeJS.ProcessEnv;
  /**
   * Whether `extends` may name a local path or a `file://` URL. Off unless the user opts in (the
   * `GITML_ALLOW_LOCAL_SUITES=1` environment variable, read by `allowLocalSuites`): a shared suite is
   * untrusted, and a local path would let it read any repository on the machine.
   */
  allowLocal?: boolean;
  /** Milliseconds one git command may take before it counts as failed. Default 120000. */
  timeoutMs?: number;
}

export type RefKind = "commit" | "tag" | "branch" | "ref";

export interface FetchedRef {
  /** The folder holding the repository's files at `commit`. */
  dir: string;
  commit: string;
  kind: RefKind;
  /** True when no network was used, or the refresh failed and the cached copy was used. */
  fromCache: boolean;
}

export interface FetchRefOptions {
  /** As written in `extends`: `owner/name` (GitHub), a git URL, or a local path (relative to `root`). */
  repo: string;
  ref: string;
  /** The repository root, for local paths. */
  root: string;
  cacheDir: string;
  git?: SuiteGitOptions;
  logger?: Logger;
}

/** A repository or ref that cannot be fetched; the caller says which `extends` entry it came from. */
export class SuiteFetchError extends UserError {}

const GITHUB_SHORTHAND = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/;
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** `https://host/…` or `ssh://[user@]host[:port]/…`: a host that cannot be read as an option, then a path. */
const NETWORK_URL =
  /^(?:https|ssh):\/\/(?:[A-Za-z0-9._~%!$&'()*+,;=-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*(?::\d+)?\/[^\s]*$/i;
/** scp-like `user@host:path` (git@github.com:owner/name.git); the path must not read as an option. */
const SCP_LIKE = /^[A-Za-z0-9][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.-]*:(?!-)[^\s:]+$/;

/** The environment variable that lets `extends` name local paths and `file://` URLs. */
export const ALLOW_LOCAL_SUITES_ENV = "GITML_ALLOW_LOCAL_SUITES";

export function allowLocalSuites(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(?:1|true|yes)$/i.test(env[ALLOW_LOCAL_SUITES_ENV] ?? "");
}

const REFERENCE_FORMS =
  "use `owner/name` (GitHub), `https://host/path`, `ssh://host/path` or `user@host:path`" +
  ` (local paths and file:// URLs only with ${ALLOW_LOCAL_SUITES_ENV}=1)`;

/**
 * `owner/name` → its GitHub URL; an https/ssh URL or `user@host:path` as is; a local path or `file://`
 * URL only when `allowLocal`. Anything else — an option (`--upload-pack=…`), `ext::`, `git://`,
 * `http://`, control characters — is refused: the value reaches git, and a suite comes from people
 * other than the user.
 */
export function repoUrl(repo: string, root: string, allowLocal = false): string {
  const refuse = (why: string): never => {
    throw new SuiteFetchError(
      `\`${printable(repo)}\` is not a repository reference (${why}): ${REFERENCE_FORMS}`,
    );
  };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(repo)) refuse("it holds control characters");
  if (repo.startsWith("-")) refuse("it starts with `-`");
  if (GITHUB_SHORTHAND.test(repo))
    return repo.endsWith(".git") ? `https://github.com/${repo}` : `https://github.com/${repo}.git`;
  if (NETWORK_URL.test(repo)) return repo;
  if (SCP_LIKE.test(repo)) return repo;
  if (/^file:\/\//i.test(repo)) {
    if (!allowLocal) refuse(`a file:// URL needs ${ALLOW_LOCAL_SUITES_ENV}=1`);
    return repo;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(repo) && !/^[a-z]:[\\/]/i.test(repo))
    refuse("only https, ssh and scp-like `user@host:path` remotes are allowed");
  if (!allowLocal) refuse(`a local path needs ${ALLOW_LOCAL_SUITES_ENV}=1`);
  return path.resolve(root, repo);
}

/**
 * A tag, branch or full commit sha, as `git check-ref-format` allows them, restricted to characters that
 * cannot read as an option or a revision expression.
 */
export function assertValidRef(ref: string): void {
  const valid =
    isFullSha(ref) ||
    (/^[A-Za-z0-9_][A-Za-z0-9._/+-]*$/.test(ref) &&
      !/\.\.|\/\/|\/\.|\.lock(?:\/|$)|[./]$/.test(ref) &&
      ref.length <= 255);
  if (!valid)
    throw new SuiteFetchError(
      `\`${printable(ref)}\` is not a tag, branch or commit name (letters, digits, \`._/+-\`, not starting with \`-\` or \`.\`)`,
    );
}

/** A value for a message: control and invisible characters shown as `\uXXXX`. */
function printable(value: string): string {
  return value.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

export const isFullSha = (ref: string): boolean => FULL_SHA.test(ref);

/** Returns the repository's files at `ref`, from the cache when allowed, fetching otherwise. */
export async function fetchRef(options: FetchRefOptions): Promise<FetchedRef> {
  const logger = options.logger ?? silentLogger;
  const url = repoUrl(options.repo, options.root, options.git?.allowLocal ?? false);
  assertValidRef(options.ref);
  const git = suiteGit(options.git);
  const repoDir = path.join(options.cacheDir, cacheKey(url));
  const commitDir = (commit: string) => path.join(repoDir, "commits", commit);
  const label = `${options.repo}@${options.ref}`;

  if (isFullSha(options.ref)) {
    if (await exists(commitDir(options.ref)))
      return { dir: commitDir(options.ref), commit: options.ref, kind: "commit", fromCache: true };
    const commit = await fetchInto(git, url, options.ref, repoDir, label);
    return { dir: commitDir(commit), commit, kind: "commit", fromCache: false };
  }

  const refFile = path.join(repoDir, "refs", `${encodeURIComponent(options.ref)}.json`);
  const cached = await readCachedRef(refFile, commitDir);
  if (cached?.kind === "tag") return { ...cached, fromCache: true };

  const useCachedAfter = (why: string): FetchedRef => {
    if (cached === undefined) throw new SuiteFetchError(why);
    logger.warning(
      `${why}; using the cached copy of ${label} (commit ${cached.commit.slice(0, 12)}), which may be out of date`,
    );
    return { ...cached, fromCache: true };
  };

  let listing: string;
  try {
    await mkdir(repoDir, { recursive: true });
    // Run outside any repository (the cache folder is none), so no repository's config applies.
    listing = await git.listRemote(repoDir, url, [options.ref, `${options.ref}^{}`]);
  } catch (error) {
    return useCachedAfter(
      `cannot read repository ${describeRepo(options.repo, url)}: ${remoteGitReason(error)}`,
    );
  }
  const remote = findRef(listing, options.ref);
  if (remote === undefined) {
    return useCachedAfter(
      `repository ${describeRepo(options.repo, url)} has no tag or branch \`${options.ref}\`` +
        (/^[0-9a-f]{7,39}$/.test(options.ref)
          ? " (a commit must be given as its full 40-character sha)"
          : ""),
    );
  }

  let commit: string;
  if (remote.kind !== "tag" && (await exists(commitDir(remote.commit)))) {
    commit = remote.commit;
  } else {
    try {
      commit = await fetchInto(git, url, remote.name, repoDir, label);
    } catch (error) {
      if (!(error instanceof SuiteFetchError)) throw error;
      return useCachedAfter(error.message);
    }
  }
  await writeFileAtomic(refFile, JSON.stringify({ ref: options.ref, kind: remote.kind, commit }) + "\n");
  return { dir: commitDir(commit), commit, kind: remote.kind, fromCache: false };
}

// ---- cache --------------------------------------------------------------------------------------

/**
 * Where fetched suites are cached, outside any working tree: `$GITML_CACHE_DIR/suites`; in GitHub
 * Actions `$RUNNER_TEMP/gitml/suites` (the job's own temporary folder); else `$XDG_CACHE_HOME/gitml/suites`
 * or `~/.cache/gitml/suites`.
 */
export function defaultSuiteCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITML_CACHE_DIR) return path.resolve(env.GITML_CACHE_DIR, "suites");
  if (env.GITHUB_ACTIONS === "true" && env.RUNNER_TEMP) return path.join(env.RUNNER_TEMP, "gitml", "suites");
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME))
    return path.join(env.XDG_CACHE_HOME, "gitml", "suites");
  return path.join(os.homedir(), ".cache", "gitml", "suites");
}

/** A cached file that does not match the git objects it came from; the caller fetches the commit again. */
export class SuiteCacheMismatch extends UserError {}

/** What `commits/<sha>.objects.json` holds. */
interface CommitObjects {
  commit: string;
  /** The raw commit object (`git cat-file commit`). */
  raw: string;
  /** Every blob and submodule of the commit's tree: [mode, object id, path]. */
  entries: Array<[string, string, string]>;
}

const objectsFile = (commitDir: string) => `${commitDir}.objects.json`;

/**
 * Reads `relative` from a fetched commit, checked against the commit's objects: refuses a path the
 * commit does not hold as a regular file (a symlink included), and bytes that are not the blob.
 */
export async function readSuiteFileVerified(
  fetched: FetchedRef,
  relative: string,
  /** The file as messages name it (`owner/name@ref:path`). */
  name = relative,
): Promise<string> {
  const label = `the cached copy of commit ${fetched.commit.slice(0, 12)}`;
  // Verified on every read (a hash over the file list: cheap next to git), so nothing unverified is kept.
  const paths = await verifiedPaths(fetched);
  const entry = paths.get(relative);
  if (entry === undefined)
    throw new SuiteFetchError(
      [...paths.keys()].some((file) => file.startsWith(`${relative}/`))
        ? `${name} is a folder, not a suite file`
        : `${name} does not exist`,
    );
  const [mode, blob] = entry;
  if (mode === "120000") throw new SuiteFetchError(`${name} is a symbolic link, not a suite file`);
  if (mode !== "100644" && mode !== "100755") throw new SuiteFetchError(`${name} is not a file`);
  const file = path.join(fetched.dir, ...relative.split("/"));
  const stats = await lstat(file).catch(() => undefined);
  if (!stats?.isFile()) throw new SuiteCacheMismatch(`${label} has no file ${relative}`);
  const bytes = await readFile(file);
  if (gitObjectId("blob", bytes, fetched.commit.length) !== blob)
    throw new SuiteCacheMismatch(`${label} was modified: ${relative} is not the blob ${blob.slice(0, 12)}`);
  return bytes.toString("utf8");
}

/** Forgets a cached commit whose files did not verify, so that the next fetch writes it again. */
export async function discardCachedCommit(fetched: FetchedRef): Promise<void> {
  await rm(objectsFile(fetched.dir), { force: true });
  await rm(fetched.dir, { recursive: true, force: true });
}

/** Checks the recorded objects hash to the commit's sha; returns path → [mode, blob id]. */
async function verifiedPaths(fetched: FetchedRef): Promise<Map<string, [string, string]>> {
  const label = `the cached copy of commit ${fetched.commit.slice(0, 12)}`;
  let objects: CommitObjects;
  try {
    objects = JSON.parse(await readFile(objectsFile(fetched.dir), "utf8")) as CommitObjects;
  } catch {
    throw new SuiteCacheMismatch(`${label} has no record of its git objects`);
  }
  const length = fetched.commit.length;
  if (
    typeof objects?.raw !== "string" ||
    !Array.isArray(objects.entries) ||
    gitObjectId("commit", Buffer.from(objects.raw, "utf8"), length) !== fetched.commit
  )
    throw new SuiteCacheMismatch(
      `${label} was modified: its commit object does not hash to ${fetched.commit}`,
    );
  const tree = /^tree ([0-9a-f]+)$/m.exec(objects.raw)?.[1];
  if (tree === undefined || treeId(objects.entries, length) !== tree)
    throw new SuiteCacheMismatch(`${label} was modified: its file list does not hash to tree ${tree ?? "?"}`);
  return new Map(objects.entries.map(([mode, id, file]) => [file, [mode, id]]));
}

/** git's object id: the hash of `<type> <size>\0<bytes>` (sha1, or sha256 for 64-character ids). */
function gitObjectId(type: string, bytes: Buffer, idLength: number): string {
  return createHash(idLength === 64 ? "sha256" : "sha1")
    .update(`${type} ${bytes.length}\0`)
    .update(bytes)
    .digest("hex");
}

/** The id of the tree holding `entries` (recursive listing), computed as git writes tree objects. */
function treeId(entries: Array<[string, string, string]>, idLength: number): string {
  interface Folder {
    files: Map<string, [string, string]>;
    folders: Map<string, Folder>;
  }
  const top: Folder = { files: new Map(), folders: new Map() };
  for (const [mode, id, file] of entries) {
    const parts = file.split("/");
    let folder = top;
    for (const part of parts.slice(0, -1)) {
      let next = folder.folders.get(part);
      if (next === undefined) folder.folders.set(part, (next = { files: new Map(), folders: new Map() }));
      folder = next;
    }
    folder.files.set(parts[parts.length - 1]!, [mode, id]);
  }
  const hashFolder = (folder: Folder): string => {
    const items: Array<{ name: string; sortKey: string; mode: string; id: string }> = [];
    for (const [name, [mode, id]] of folder.files) items.push({ name, sortKey: name, mode, id });
    for (const [name, child] of folder.folders)
      items.push({ name, sortKey: `${name}/`, mode: "40000", id: hashFolder(child) });
    // git sorts tree entries bytewise, a folder as if its name ended in "/".
    items.sort((a, b) => Buffer.compare(Buffer.from(a.sortKey), Buffer.from(b.sortKey)));
    const body = Buffer.concat(
      items.map((item) =>
        Buffer.concat([Buffer.from(`${item.mode} ${item.name}\0`), Buffer.from(item.id, "hex")]),
      ),
    );
    return gitObjectId("tree", body, idLength);
  };
  return hashFolder(top);
}

/** The real path of a file inside `folder`, or undefined when a symlink leads out of it. */
export async function realpathInside(folder: string, file: string): Promise<string | undefined> {
  const [realFolder, realFile] = await Promise.all([realpath(folder), realpath(file)]);
  const back = path.relative(realFolder, realFile);
  return back === "" || back.startsWith("..") || path.isAbsolute(back) ? undefined : realFile;
}

/** A readable folder name for the repository, plus a hash of its URL so that two URLs never share one. */
function cacheKey(url: string): string {
  const readable = url
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, "")
    .replace(/\.git$/, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[-.]+|-+$/g, "")
    .slice(-60);
  const hash = createHash("sha256").update(url).digest("hex").slice(0, 12);
  return `${readable}-${hash}`;
}

async function readCachedRef(
  refFile: string,
  commitDir: (commit: string) => string,
): Promise<Omit<FetchedRef, "fromCache"> | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(refFile, "utf8"));
  } catch {
    return undefined;
  }
  const { kind, commit } = (parsed ?? {}) as { kind?: unknown; commit?: unknown };
  if (typeof commit !== "string" || !isFullSha(commit)) return undefined;
  if (kind !== "tag" && kind !== "branch" && kind !== "ref") return undefined;
  const dir = commitDir(commit);
  return (await exists(dir)) ? { dir, commit, kind } : undefined;
}

/**
 * Shallow-fetches `ref` into a fresh folder and renames it to `commits/<sha>`. Returns the sha. When
 * another run wrote the same commit first, its copy is kept (commits never change).
 */
async function fetchInto(
  git: RemoteGit,
  url: string,
  ref: string,
  repoDir: string,
  label: string,
): Promise<string> {
  await mkdir(path.join(repoDir, "commits"), { recursive: true });
  const temp = await mkdtemp(path.join(repoDir, ".fetch-"));
  try {
    try {
      await git.checkOutRemote(temp, url, ref);
    } catch (error) {
      throw new SuiteFetchError(`cannot fetch ${label}: ${remoteGitReason(error)}`);
    }
    const objects: CommitObjects = await git.describeHead(temp);
    const { commit } = objects;
    await writeFileAtomic(objectsFile(path.join(repoDir, "commits", commit)), JSON.stringify(objects));
    await rm(path.join(temp, ".git"), { recursive: true, force: true });
    try {
      await rename(temp, path.join(repoDir, "commits", commit));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EPERM") throw error;
    }
    return commit;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/**
 * git as a suite fetch runs it: https and ssh only (file too when local suites are allowed), whatever
 * the user's config says (RemoteGit enforces it).
 */
function suiteGit(options: SuiteGitOptions = {}): RemoteGit {
  return new RemoteGit({
    protocols: options.allowLocal ? ["https", "ssh", "file"] : ["https", "ssh"],
    env: options.env,
    timeoutMs: options.timeoutMs,
  });
}

function describeRepo(repo: string, url: string): string {
  return repo === url ? repo : `${repo} (${url})`;
}

interface RemoteRef {
  /** The full ref name to fetch. */
  name: string;
  kind: Exclude<RefKind, "commit">;
  commit: string;
}

/** The ref `git fetch <ref>` would take, from `git ls-remote` output (tags before branches, as git does). */
function findRef(listing: string, ref: string): RemoteRef | undefined {
  const shas = new Map<string, string>();
  for (const line of listing.split("\n")) {
    const [sha, name] = line.split("\t");
    if (sha && name) shas.set(name, sha);
  }
  const candidates: Array<[string, RemoteRef["kind"]]> = [
    [ref, "ref"],
    [`refs/${ref}`, "ref"],
    [`refs/tags/${ref}`, "tag"],
    [`refs/heads/${ref}`, "branch"],
  ];
  for (const [name, kind] of candidates) {
    const sha = shas.get(`${name}^{}`) ?? shas.get(name);
    if (sha !== undefined && (kind !== "ref" || name.startsWith("refs/")))
      return {
        name,
        kind: name.startsWith("refs/tags/") ? "tag" : name.startsWith("refs/heads/") ? "branch" : kind,
        commit: sha,
      };
  }
  return undefined;
}
