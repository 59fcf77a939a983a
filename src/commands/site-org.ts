/**
 * An organisation's catalog: the repositories named by `--repo` (repeated) and a catalog file, each read
 * WITHOUT cloning its contents — its tags (with the commits they point at, no trees, no files) fetched
 * into a temporary bare repository and replayed there. A repository is named as a shared suite is:
 * `owner/name` (GitHub), an https or ssh URL, `user@host:path`; a local path or file:// URL only with
 * GITML_ALLOW_LOCAL_SUITES=1 (tests), since the name reaches git. For a GitHub repository, model cards
 * come from its Releases through the Releases store, when a token is at hand.
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { RemoteGit, remoteGitReason, RemoteGitError } from "../git/remote";
import { replay } from "../registry/replay";
import type { RegistryState } from "../registry/types";
import type { ArtifactStore } from "../store/types";
import { allowLocalSuites, repoUrl } from "../suites/fetch";
import { UserError } from "../util/errors";
import { readYaml, validateYaml } from "../util/yaml";
import { CONFIG_FILE_NAMES, parseConfig, type Config } from "../config";
import { HISTORY_BRANCH, type MonitoringHistory } from "../monitor/history";
import { githubSlugOf, type CommandContext } from "./context";
import { readMonitoringHistoryAtRef } from "./monitoring-history";

export interface OrgRepoSource {
  /** How the catalog names it: `owner/name`, or the URL without its scheme. */
  id: string;
  /** What git fetched. */
  url: string;
  webUrl?: string;
  state: RegistryState;
  /** Its gitml.yaml at the default branch's tip (descriptions, owners, stages, gates), when readable. */
  config?: Config;
  /** The repository's monitoring history branch, when it has one. */
  history?: MonitoringHistory;
  store?: ArtifactStore;
  warnings: string[];
}

const GITHUB_SLUG = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/;

const CatalogFileSchema = z.strictObject({
  title: z.string().min(1).optional().describe("The site's title."),
  repos: z
    .array(
      z.union([
        z.string().min(1),
        z.strictObject({
          repo: z
            .string()
            .min(1)
            .describe("`owner/name` (GitHub), an https or ssh URL, or `user@host:path`."),
          github: z
            .string()
            .regex(GITHUB_SLUG, "expected owner/name")
            .optional()
            .describe(
              "The GitHub repository whose Releases hold the artifacts, when `repo` is not on github.com.",
            ),
          name: z.string().min(1).optional().describe("How the catalog names the repository."),
        }),
      ]),
    )
    .min(1, "list at least one repository"),
});

interface RepoEntry {
  repo: string;
  github?: string;
  name?: string;
  /** Where it was named: `catalog.yaml:4:5` or `--repo`. */
  where: string;
}

/** The catalog file's title and repositories, then every repository's tags. */
export async function readOrgRepos(
  context: CommandContext,
  options: { repos: readonly string[]; catalogFile?: string },
): Promise<{ title?: string; repos: OrgRepoSource[] }> {
  const entries: RepoEntry[] = options.repos.map((repo) => ({ repo, where: "--repo" }));
  let title: string | undefined;
  let base = context.cwd;
  if (options.catalogFile !== undefined) {
    const file = path.resolve(context.cwd, options.catalogFile);
    const catalog = await readCatalogFile(file);
    title = catalog.title;
    base = path.dirname(file);
    entries.push(...catalog.entries);
  }
  const unique = new Map<string, RepoEntry>();
  for (const entry of entries) if (!unique.has(entry.repo)) unique.set(entry.repo, entry);
  const allowLocal = allowLocalSuites();
  // Every name is checked before anything is fetched: a bad entry fails the build at once, wherever it is.
  const urls = new Map([...unique.values()].map((entry) => [entry, urlOf(entry, base, allowLocal)]));
  const git = new RemoteGit({ protocols: allowLocal ? ["https", "ssh", "file"] : ["https", "ssh"] });
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-catalog-"));
  try {
    const list = [...unique.values()];
    const sources: OrgRepoSource[] = new Array(list.length);
    let next = 0;
    let failed = false;
    // A few repositories at a time: each is one fetch, mostly waiting on the network. After a failure no
    // new one starts, and the folder is removed only once every git still running has ended.
    const worker = async () => {
      while (next < list.length && !failed) {
        const index = next++;
        const entry = list[index]!;
        sources[index] = await readRepo(
          context,
          git,
          entry,
          urls.get(entry)!,
          path.join(work, String(index)),
        );
      }
    };
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(4, list.length) }, () =>
        worker().catch((error: unknown) => {
          failed = true;
          throw error;
        }),
      ),
    );
    const failure = settled.find((result) => result.status === "rejected");
    if (failure) throw failure.reason;
    const named = new Map<string, RepoEntry>();
    sources.forEach((source, i) => {
      const other = named.get(source.id);
      if (other)
        throw new UserError(
          `two repositories are both named ${source.id} (${other.repo} and ${list[i]!.repo}): give one a \`name\` in the catalog file`,
          { where: list[i]!.where },
        );
      named.set(source.id, list[i]!);
    });
    return { ...(title ? { title } : {}), repos: sources };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function readCatalogFile(file: string): Promise<{ title?: string; entries: RepoEntry[] }> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError(`the catalog file ${file} does not exist`);
    if (code === "EISDIR") throw new UserError(`the catalog file ${file} is a folder`);
    throw error;
  }
  const source = readYaml(text, file);
  const parsed = validateYaml(source, CatalogFileSchema, {
    emptyMessage:
      "the catalog file is empty: expected `repos:` (a list of owner/name or URLs) and an optional `title:`",
  });
  return {
    ...(parsed.title ? { title: parsed.title } : {}),
    entries: parsed.repos.map((entry, i) => {
      const where = source.where(["repos", i]);
      return typeof entry === "string"
        ? { repo: entry, where }
        : {
            repo: entry.repo,
            where,
            ...(entry.github ? { github: entry.github } : {}),
            ...(entry.name ? { name: entry.name } : {}),
          };
    }),
  };
}

function urlOf(entry: RepoEntry, base: string, allowLocal: boolean): string {
  try {
    return repoUrl(entry.repo, base, allowLocal);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(error.message, { where: entry.where });
    throw error;
  }
}

async function readRepo(
  context: CommandContext,
  git: RemoteGit,
  entry: RepoEntry,
  url: string,
  dir: string,
): Promise<OrgRepoSource> {
  await fs.mkdir(dir, { recursive: true });
  try {
    await git.fetchTagsOnly(dir, url);
  } catch (error) {
    if (!(error instanceof RemoteGitError)) throw error;
    throw new UserError(`could not read the tags of ${entry.repo}: ${remoteGitReason(error)}`, {
      where: entry.where,
    });
  }
  const warnings: string[] = [];
  const state = replay(await git.readTags(dir), {
    logger: { ...context.logger, warning: (message: string) => warnings.push(message) },
  });
  const history = await historyOf(git, dir, entry, warnings);
  const config = await configOf(git, dir, entry, warnings);
  const github =
    entry.github ??
    (GITHUB_SLUG.test(entry.repo) ? entry.repo.replace(/\.git$/, "") : undefined) ??
    (/^(?:https:\/\/|ssh:\/\/(?:[^@/]+@)?|[^@/]+@)github\.com[:/]/i.test(url)
      ? githubSlugOf(url)
      : undefined);
  const server = (process.env.GITHUB_SERVER_URL || "https://github.com").replace(/\/+$/, "");
  const webUrl = github ? `${server}/${github}` : undefined;
  const id = entry.name ?? github ?? url.replace(/^[a-z]+:\/\/(?:[^@/]+@)?/i, "").replace(/\.git$/, "");
  const store = github ? await releasesStore(context, github, warnings) : undefined;
  return {
    id,
    url,
    ...(webUrl ? { webUrl } : {}),
    state,
    ...(config ? { config } : {}),
    ...(history ? { history } : {}),
    ...(store ? { store } : {}),
    warnings,
  };
}

/** Most bytes of another repository's gitml.yaml read (a config is a few KB). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The repository's gitml.yaml at its default branch's tip: the commit, its root tree and that one file
 * are fetched, nothing else. Missing or invalid, it costs a warning (or nothing), never the build.
 */
async function configOf(
  git: RemoteGit,
  dir: string,
  entry: RepoEntry,
  warnings: string[],
): Promise<Config | undefined> {
  try {
    if (!(await git.fetchHead(dir))) return undefined;
    for (const name of CONFIG_FILE_NAMES) {
      const text = await git.readFileAtHead(dir, name, MAX_CONFIG_BYTES);
      if (text === undefined) continue;
      try {
        return parseConfig(text, `${entry.repo}:${name}`);
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        warnings.push(
          `its ${name} could not be read, so descriptions and owners are missing: ${error.message}`,
        );
        return undefined;
      }
    }
    return undefined;
  } catch (error) {
    warnings.push(`its gitml.yaml could not be fetched: ${remoteGitReason(error)}`);
    return undefined;
  }
}

/** The monitoring history branch's tip, fetched beside the tags; a failure costs a warning, not the build. */
async function historyOf(
  git: RemoteGit,
  dir: string,
  entry: RepoEntry,
  warnings: string[],
): Promise<MonitoringHistory | undefined> {
  const ref = "refs/gitml/history";
  try {
    if (!(await git.fetchBranchTip(dir, HISTORY_BRANCH, ref))) return undefined;
  } catch (error) {
    warnings.push(
      `the monitoring history (branch ${HISTORY_BRANCH}) of ${entry.repo} could not be fetched: ${remoteGitReason(error)}`,
    );
    return undefined;
  }
  const history = await readMonitoringHistoryAtRef({ cwd: dir, ref });
  for (const skipped of history?.skipped ?? [])
    warnings.push(`monitoring history: skipped ${skipped.file}: ${skipped.reason}`);
  return history;
}

/** The repository's Releases as a store, when a token can read them; otherwise a warning says so. */
async function releasesStore(
  context: CommandContext,
  slug: string,
  warnings: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ArtifactStore | undefined> {
  const token = context.github?.token || env.GITHUB_TOKEN || env.GH_TOKEN;
  if (!token) {
    warnings.push(
      `model cards are read from ${slug}'s Releases: set GITHUB_TOKEN (or GH_TOKEN) to show them`,
    );
    return undefined;
  }
  const [owner, repo] = slug.split("/") as [string, string];
  const baseUrl = context.github?.apiUrl || env.GITHUB_API_URL || "https://api.github.com";
  const [{ createOctokit }, { GitHubReleasesStore }] = await Promise.all([
    import("../github/client"),
    import("../github/release-store"),
  ]);
  const { logger } = context;
  return new GitHubReleasesStore({
    octokit: createOctokit({ token, baseUrl, logger }),
    token,
    owner,
    repo,
    logger,
  });
}
