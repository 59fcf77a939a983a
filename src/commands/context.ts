import * as path from "node:path";
import { DEFAULT_STORE_PATH, loadConfig, type LoadedConfig } from "../config";
import type { Git } from "../git/git";
import { gitOf } from "./command-git";
import { openRegistry, type RegistryRepo } from "../git/registry-sync";
import { LocalStore } from "../store/local";
import type { ArtifactStore } from "../store/types";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";

/** What every command is given by its caller (the CLI or an action), never read from globals. */
export interface CommandContext {
  cwd: string;
  logger: Logger;
  /**
   * git in `cwd` (read through `gitOf`); default a GitCli there. The CLI passes one that serves the tag
   * listing it started before loading.
   */
  git?: Git;
  /** false keeps new tags local (`--no-push`). */
  push?: boolean;
  /** Overrides the store the config names (tests, and actions that bring their own). */
  store?: ArtifactStore;
  /**
   * How to reach GitHub when gitml.yaml says `store.type: github`. Actions pass their `token` input and
   * the runner's repository; without it the CLI reads GITHUB_TOKEN / GH_TOKEN, GITHUB_REPOSITORY (or the
   * origin URL) and GITHUB_API_URL.
   */
  github?: GitHubConnection;
  /**
   * Makes the native data engine (DuckDB) importable before a command reads data files. The CLI has it
   * in node_modules and passes nothing; actions install it on first use (src/action/native.ts).
   */
  prepareDataEngine?: () => Promise<void>;
}

export interface GitHubConnection {
  token: string;
  /** `owner/name`. */
  repository: string;
  apiUrl: string;
}

export interface Project {
  root: string;
  repo: RegistryRepo;
  config?: LoadedConfig;
  store: ArtifactStore;
}

/** Opens the repository the command runs in: its registry, its optional gitml.yaml, its artifact store. */
export async function openProject(context: CommandContext): Promise<Project> {
  const { root, repo, config } = await openRepository(context);
  const store = context.store ?? (await storeFor(root, config, repo, context));
  repo.store = store;
  return { root, repo, config, store };
}

/** A project opened by a command that reads the store only for extras (the catalog's model cards). */
export interface ProjectWithOptionalStore extends Omit<Project, "store"> {
  store?: ArtifactStore;
  /** True when there is no store because it is GitHub Releases and no token was given. */
  storeNeedsToken?: boolean;
}

/**
 * openProject, except that a GitHub Releases store without a token is no error: the project comes
 * without a store (`storeNeedsToken`). Every other problem (a bad gitml.yaml, no repository) still throws.
 */
export async function openProjectStoreOptional(context: CommandContext): Promise<ProjectWithOptionalStore> {
  const { root, repo, config } = await openRepository(context);
  try {
    const store = context.store ?? (await storeFor(root, config, repo, context));
    repo.store = store;
    return { root, repo, config, store };
  } catch (error) {
    if (!(error instanceof StoreTokenMissing)) throw error;
    return { root, repo, config, storeNeedsToken: true };
  }
}

async function openRepository(context: CommandContext): Promise<Omit<Project, "store">> {
  const repo = await openRegistry({
    cwd: context.cwd,
    logger: context.logger,
    push: context.push,
    git: gitOf(context),
  });
  const root = await repo.git.topLevel();
  const config = await loadConfig({ cwd: root });
  return { root, repo, config };
}

/** gitml.yaml names GitHub Releases as the store, and no token can read them. */
class StoreTokenMissing extends UserError {
  override readonly name = "UserError";
}

async function storeFor(
  root: string,
  config: LoadedConfig | undefined,
  repo: RegistryRepo,
  context: CommandContext,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ArtifactStore> {
  const { logger } = context;
  const storeConfig = config?.config.store;
  if (storeConfig?.type === "github") {
    const token = context.github?.token || env.GITHUB_TOKEN || env.GH_TOKEN;
    if (!token) {
      throw new StoreTokenMissing(
        "store.type is 'github': set GITHUB_TOKEN (or GH_TOKEN) to a token that may read (and, to register, write) the repository's releases",
        { where: config!.file },
      );
    }
    const slug =
      context.github?.repository || env.GITHUB_REPOSITORY || githubSlugOf(await repo.git.remoteUrl("origin"));
    const [owner, name] = slug?.split("/") ?? [];
    if (!owner || !name) {
      throw new UserError(
        "store.type is 'github', but which repository holds the releases is unknown: set GITHUB_REPOSITORY=owner/name or give the repository a GitHub `origin` remote",
        { where: config!.file },
      );
    }
    const baseUrl = context.github?.apiUrl || env.GITHUB_API_URL || "https://api.github.com";
    // Loaded only for this store type: the local store must not pay for Octokit and tar at start-up.
    const [{ createOctokit }, { GitHubReleasesStore }] = await Promise.all([
      import("../github/client"),
      import("../github/release-store"),
    ]);
    return new GitHubReleasesStore({
      octokit: createOctokit({ token, baseUrl, logger }),
      token,
      owner,
      repo: name,
      logger,
    });
  }
  const storePath = process.env.GITML_STORE ?? storeConfig?.path ?? DEFAULT_STORE_PATH;
  return new LocalStore(path.resolve(root, storePath));
}

/** `owner/name` of a GitHub remote URL (https, ssh or scp-like), else undefined. */
export function githubSlugOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const match =
    /^(?:https?:\/\/(?:[^@/]+@)?|ssh:\/\/(?:[^@/]+@)?|[^@/]+@)?[^/:]+[:/]([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(
      url.trim(),
    );
  return match ? `${match[1]}/${match[2]}` : undefined;
}
