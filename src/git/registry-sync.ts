import { replay, replaysLast } from "../registry/replay";
import { parseTag } from "../registry/tags";
import type { RegistryState } from "../registry/types";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { GitCli, type Git } from "./git";

/** A git repository used as a registry: its tags, and the remote they are shared through. */
export interface RegistryRepo {
  git: Git;
  /** The remote new tags are pushed to and fetched from; undefined for a purely local registry. */
  remote?: string;
  logger: Logger;
}

export interface OpenRegistryOptions {
  cwd: string;
  logger: Logger;
  /** false keeps new tags local (`--no-push`). */
  push?: boolean;
  remote?: string;
  git?: Git;
}

export async function openRegistry(options: OpenRegistryOptions): Promise<RegistryRepo> {
  const git = options.git ?? new GitCli(options.cwd);
  await git.topLevel(); // fails early, with a UserError, outside a repository or without git
  const remoteName = options.remote ?? "origin";
  const hasRemote = options.push !== false && (await git.remoteUrl(remoteName)) !== undefined;
  return { git, remote: hasRemote ? remoteName : undefined, logger: options.logger };
}

/** Replays the registry from local tags, after fetching the remote's when there is one. */
export async function readRegistry(
  repo: RegistryRepo,
  options: { fetch?: boolean } = {},
): Promise<RegistryState> {
  if (repo.remote && options.fetch !== false) await repo.git.fetchTags(repo.remote);
  return replay(await repo.git.readTags());
}

export interface PlannedTag {
  tag: string;
  commit: string;
  message: string;
}

export interface PublishOptions {
  /** Computes the tags to create from the freshest state; called again after every lost race. */
  plan: (state: RegistryState, attempt: number) => Promise<PlannedTag[]> | PlannedTag[];
  attempts?: number;
  /** Milliseconds; the wait before attempt n is a random value below base·2ⁿ (full jitter). */
  backoffBaseMs?: number;
}

export interface PublishResult {
  tags: PlannedTag[];
  /** The state the winning plan was computed from. */
  state: RegistryState;
  attempts: number;
}

/**
 * Creates tags so that concurrent writers never produce the same version or lose a registration: the plan
 * is computed from freshly fetched tags, all of its tags are pushed in one atomic push, and when the remote
 * refuses because another writer took a name first, the local tags are dropped, the remote's fetched, and
 * the plan computed again from the new state.
 */
export async function publishTags(repo: RegistryRepo, options: PublishOptions): Promise<PublishResult> {
  const attempts = options.attempts ?? 12;
  const backoffBaseMs = options.backoffBaseMs ?? 50;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const state = await readRegistry(repo);
    const tags = await options.plan(state, attempt);
    if (tags.length === 0) return { tags, state, attempts: attempt };
    if (
      !tags.every((t) => replaysLast(state.models.get(parseTag(t.tag)?.name ?? ""), t.tag, nowInSeconds()))
    ) {
      // Same second as an event this one must follow, and the tie-break would put it first: wait a tick.
      await sleep(1000 - (Date.now() % 1000) + 5);
      attempt--;
      continue;
    }
    const created: string[] = [];
    try {
      for (const planned of tags) {
        await repo.git.createAnnotatedTag(planned.tag, planned.commit, planned.message);
        created.push(planned.tag);
      }
    } catch (error) {
      await dropLocalTags(repo.git, created);
      throw error;
    }
    if (!repo.remote) return { tags, state, attempts: attempt };
    const outcome = await repo.git.pushTagsAtomic(
      repo.remote,
      tags.map((t) => t.tag),
    );
    if (outcome.ok) return { tags, state, attempts: attempt };
    await dropLocalTags(repo.git, created);
    repo.logger.info(
      `lost a race for ${outcome.rejected.join(", ")} at '${repo.remote}' (attempt ${attempt}); refetching and retrying`,
    );
    await sleep(Math.random() * backoffBaseMs * 2 ** Math.min(attempt, 6));
  }
  throw new UserError(
    `could not publish registry tags to '${repo.remote}' after ${attempts} attempts: other writers kept taking the same names; retry later`,
  );
}

async function dropLocalTags(git: Git, tags: string[]): Promise<void> {
  for (const tag of tags) await git.deleteLocalTag(tag);
}

function nowInSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
