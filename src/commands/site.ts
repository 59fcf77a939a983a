/**
 * `gitml site`: the static model catalog. Gathers the catalog data — registry tags (metrics, params,
 * digests, run, PR from their trailers), the store's model cards, gitml.yaml's descriptions and owners,
 * monitoring history — from this repository or from an organisation's repositories (their tags fetched
 * into a temporary bare repository, no contents), renders it (src/site), and writes the site to the
 * output folder atomically: built in a sibling folder, then swapped in, so a failed build leaves the
 * previous site as it was.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { Config } from "../config";
import { readRegistry } from "../git/registry-sync";
import type { ModelState, RegistryState } from "../registry/types";
import {
  catalogModel,
  catalogMonitoring,
  GENERATOR_META,
  renderSite,
  type Catalog,
  type CatalogModel,
  type CatalogRepo,
} from "../site";
import { isDigest } from "../store/digest";
import type { ArtifactStore } from "../store/types";
import { describeUserError, EnvironmentError, isUserError, UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import type { MonitoringHistory, MonitoringRecord } from "../monitor/history";
import { githubSlugOf, openProjectStoreOptional, type CommandContext } from "./context";
import { readMonitoringHistory } from "./monitoring-history";
import { readOrgRepos, type OrgRepoSource } from "./site-org";

export interface SiteOptions {
  /** Output folder (default `.gitml/site` in the repository, or in `cwd` for an organisation's catalog). */
  output?: string;
  /** Repositories of an organisation's catalog (`owner/name`, an https or ssh URL). */
  repos?: string[];
  /** A catalog file (YAML: `title`, `repos`). */
  catalogFile?: string;
  /** The site's title (default: the catalog file's, else the repository's name). */
  title?: string;
  /** Fetch this repository's tags from origin first (by default the local tags are read). */
  fetch?: boolean;
  /** The build time shown on the pages (tests pin it). */
  now?: Date;
}

export interface SiteResult {
  /** The site's folder. */
  dir: string;
  /** Its index.html. */
  index: string;
  repos: number;
  models: number;
  versions: number;
  pages: number;
  /** What could not be read (also shown on the index). */
  warnings: string[];
}

export async function buildSite(context: CommandContext, options: SiteOptions = {}): Promise<SiteResult> {
  const org = (options.repos?.length ?? 0) > 0 || options.catalogFile !== undefined;
  let catalog: Catalog;
  let base: string;
  if (org) {
    const { title, repos } = await readOrgRepos(context, {
      repos: options.repos ?? [],
      catalogFile: options.catalogFile,
    });
    catalog = {
      title: options.title ?? title ?? "Model catalog",
      generatedAt: (options.now ?? new Date()).toISOString(),
      repos: await Promise.all(repos.map((source) => orgRepo(source, context.logger))),
    };
    base = context.cwd;
  } else {
    const local = await localRepo(context, options);
    catalog = {
      title: options.title ?? local.repo.id,
      generatedAt: (options.now ?? new Date()).toISOString(),
      repos: [local.repo],
    };
    base = local.root;
  }
  const files = renderSite(catalog);
  const dir = path.resolve(
    options.output ? context.cwd : base,
    options.output ?? path.join(".gitml", "site"),
  );
  await writeSiteAtomically(dir, files);
  const models = catalog.repos.reduce((n, r) => n + r.models.length, 0);
  return {
    dir,
    index: path.join(dir, "index.html"),
    repos: catalog.repos.length,
    models,
    versions: catalog.repos.reduce(
      (n, r) => n + r.models.reduce((m, model) => m + model.versions.length, 0),
      0,
    ),
    pages: files.length,
    warnings: catalog.repos.flatMap((r) => r.warnings.map((w) => (org ? `${r.id}: ${w}` : w))),
  };
}

/** This repository: its registry, gitml.yaml's details, its store's model cards, its monitoring. */
async function localRepo(
  context: CommandContext,
  options: SiteOptions,
): Promise<{ root: string; repo: CatalogRepo }> {
  // The store serves only the model cards and stored-file lists: without a token for GitHub Releases
  // the catalog is still built from the tags, and says what is missing.
  const project = await openProjectStoreOptional(context);
  const state = await readRegistry(project.repo, { fetch: options.fetch === true });
  const webUrl = await webUrlOf(project.repo.git.remoteUrl("origin"));
  const warnings: string[] = [];
  if (project.storeNeedsToken)
    warnings.push(
      "model cards and stored files are read from GitHub Releases (store.type: github): set GITHUB_TOKEN (or GH_TOKEN) to a token that may read the releases to show them",
    );
  const history = await monitoringHistoryOf(project.root, warnings);
  const models = catalogModels(state, project.config?.config, history);
  await addModelCards(models, state, project.store, warnings, context.logger);
  const id = webUrl ? webUrl.replace(/^https?:\/\/[^/]+\//, "") : path.basename(project.root);
  return { root: project.root, repo: { id, ...(webUrl ? { webUrl } : {}), models, warnings } };
}

/**
 * Every registered model and every configured one not registered yet, with what gitml.yaml says of it
 * (description, owners, stage order, gated metrics, whether it is monitored) and its monitoring runs.
 */
function catalogModels(
  state: RegistryState,
  config: Config | undefined,
  history: ReadonlyMap<string, readonly MonitoringRecord[]>,
): CatalogModel[] {
  const names = [...new Set([...state.models.keys(), ...Object.keys(config?.models ?? {})])];
  return names.map((name) => {
    const configured = config?.models[name];
    return catalogModel(state.models.get(name) ?? emptyModel(name), {
      description: configured?.description,
      owners: configured?.owners,
      stages: configured?.stages,
      gatedMetrics: configured?.gates.map((gate) => gate.metric),
      monitoring: catalogMonitoring(history.get(name) ?? [], configured?.monitor !== undefined),
    });
  });
}

function emptyModel(name: string): ModelState {
  return { name, versions: [], stages: {}, deprecated: false, events: [], nextCounter: 1 };
}

/** `https://github.com/owner/name` for a GitHub origin (or the workflow's repository), else undefined. */
async function webUrlOf(
  originUrl: Promise<string | undefined>,
  env = process.env,
): Promise<string | undefined> {
  const server = (env.GITHUB_SERVER_URL || "https://github.com").replace(/\/+$/, "");
  if (env.GITHUB_REPOSITORY && /^[\w.-]+\/[\w.-]+$/.test(env.GITHUB_REPOSITORY))
    return `${server}/${env.GITHUB_REPOSITORY}`;
  const url = await originUrl;
  if (!url || !/github\.com[:/]/i.test(url)) return undefined;
  const slug = githubSlugOf(url);
  return slug ? `https://github.com/${slug}` : undefined;
}

/**
 * What the store holds of the newest active version with artifacts: its manifest's files and its model
 * card, read through the store and verified against the manifest its tag records. A store that cannot
 * serve them costs a warning.
 */
export async function readStoredVersion(
  store: ArtifactStore | undefined,
  model: ModelState,
  warnings: string[],
  logger: Logger,
): Promise<Pick<CatalogModel, "modelCard" | "artifacts">> {
  if (!store) return {};
  const version = model.versions.find((v) => v.active && v.metadata?.artifactDigest);
  const digest = version?.metadata?.artifactDigest;
  if (!version || !digest || !isDigest(digest)) return {};
  const into = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-card-"));
  try {
    const fetched = await store.fetch({
      model: model.name,
      version: version.version,
      digest,
      into,
      roles: ["model-card"],
    });
    const artifacts = {
      version: version.version,
      store: store.kind,
      files: fetched.manifest.files.map(({ path, role, size }) => ({ path, role, size })),
    };
    const file = fetched.files[0];
    if (!file) return { artifacts };
    const markdown = await fs.readFile(path.isAbsolute(file) ? file : path.join(into, file), "utf8");
    return { artifacts, modelCard: { version: version.version, markdown } };
  } catch (error) {
    // The store lacks it, refuses it (a digest mismatch), or GitHub is down: the card is missing, the
    // rest of the site is not. Anything else is a bug and fails the build.
    if (!isUserError(error) && !(error instanceof EnvironmentError)) throw error;
    const why = isUserError(error) ? describeUserError(error) : error.message;
    warnings.push(`the model card of ${model.name}@${version.version} could not be read: ${why}`);
    logger.debug(`model card of ${model.name}@${version.version}: ${why}`);
    return {};
  } finally {
    await fs.rm(into, { recursive: true, force: true });
  }
}

/**
 * Each model's monitoring runs: the local history folder and the history branch as fetched, merged. A
 * record the reader cannot validate is a warning of the site (not logged again).
 */
async function monitoringHistoryOf(root: string, warnings: string[]): Promise<MonitoringHistory["models"]> {
  const history = await readMonitoringHistory({ root });
  for (const skipped of history.skipped)
    warnings.push(`monitoring history: skipped ${skipped.file}: ${skipped.reason}`);
  return history.models;
}

async function orgRepo(source: OrgRepoSource, logger: Logger): Promise<CatalogRepo> {
  const warnings = [...source.warnings];
  const models = catalogModels(source.state, source.config, source.history?.models ?? new Map());
  await addModelCards(models, source.state, source.store, warnings, logger);
  return {
    id: source.id,
    ...(source.webUrl ? { webUrl: source.webUrl } : {}),
    cloneUrl: source.url,
    models,
    warnings,
  };
}

/** Each registered model's stored files and card, from the store (models are updated in place). */
async function addModelCards(
  models: CatalogModel[],
  state: RegistryState,
  store: ArtifactStore | undefined,
  warnings: string[],
  logger: Logger,
): Promise<void> {
  if (!store) return;
  for (let i = 0; i < models.length; i++) {
    const registered = state.models.get(models[i]!.name);
    if (!registered) continue;
    models[i] = { ...models[i]!, ...(await readStoredVersion(store, registered, warnings, logger)) };
  }
}

/**
 * Writes the files into a new sibling of `dir`, then swaps it in: readers (and a failed build) see the
 * old site or the new one, never half of one. An existing `dir` is replaced only when it is empty or a
 * site gitml built, so a mistyped `-o` cannot delete someone's folder.
 */
async function writeSiteAtomically(dir: string, files: { path: string; content: string }[]): Promise<void> {
  const existing = await fs.stat(dir).catch(() => undefined);
  if (existing && !existing.isDirectory())
    throw new UserError(`${dir} is a file, not a folder: choose another -o`);
  if (existing) {
    const entries = await fs.readdir(dir);
    const index = entries.includes("index.html")
      ? await fs.readFile(path.join(dir, "index.html"), "utf8").catch(() => "")
      : "";
    if (entries.length > 0 && !index.includes(GENERATOR_META))
      throw new UserError(
        `${dir} holds files that are not a site gitml built (${entries.slice(0, 3).join(", ")}${entries.length > 3 ? ", …" : ""}): choose an empty or new folder with -o`,
      );
  }
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const suffix = randomBytes(4).toString("hex");
  const building = `${dir}.building-${suffix}`;
  const old = `${dir}.old-${suffix}`;
  try {
    for (const file of files) {
      const target = path.join(building, ...file.path.split("/"));
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, file.content);
    }
    if (existing) await fs.rename(dir, old);
    try {
      await fs.rename(building, dir);
    } catch (error) {
      if (existing) await fs.rename(old, dir);
      throw error;
    }
  } finally {
    await fs.rm(building, { recursive: true, force: true });
    await fs.rm(old, { recursive: true, force: true });
  }
}
