import * as path from "node:path";
import { DEFAULT_STORE_PATH, loadConfig, type LoadedConfig } from "../config";
import { openRegistry, type RegistryRepo } from "../git/registry-sync";
import { LocalStore } from "../store/local";
import type { ArtifactStore } from "../store/types";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";

/** What every command is given by its caller (the CLI or an action), never read from globals. */
export interface CommandContext {
  cwd: string;
  logger: Logger;
  /** false keeps new tags local (`--no-push`). */
  push?: boolean;
  /** Overrides the store the config names (tests, and actions that bring their own). */
  store?: ArtifactStore;
}

export interface Project {
  root: string;
  repo: RegistryRepo;
  config?: LoadedConfig;
  store: ArtifactStore;
}

/** Opens the repository the command runs in: its registry, its optional gitml.yaml, its artifact store. */
export async function openProject(context: CommandContext): Promise<Project> {
  const repo = await openRegistry({ cwd: context.cwd, logger: context.logger, push: context.push });
  const root = await repo.git.topLevel();
  const config = await loadConfig({ cwd: root });
  return { root, repo, config, store: context.store ?? storeFor(root, config) };
}

function storeFor(root: string, config: LoadedConfig | undefined): ArtifactStore {
  const storeConfig = config?.config.store;
  if (storeConfig?.type === "github") {
    throw new UserError(
      "store.type is 'github', which needs the GitHub Releases store: it is not available from the CLI yet; use store.type 'local' locally",
      { where: config!.file },
    );
  }
  const storePath = process.env.GITML_STORE ?? storeConfig?.path ?? DEFAULT_STORE_PATH;
  return new LocalStore(path.resolve(root, storePath));
}
