import { replay, replaysLast } from "../registry/replay";
import { parseTag } from "../registry/tags";
import type { RegistryEvent, RegistryState, TagRecord } from "../registry/types";
import type { Digest } from "../store/digest";
import type { ArtifactStore, StagedVersion } from "../store/types";
import { UserError, isUserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { GitCli, type Git, type TagObject } from "./git";

/** A git repository used as a registry: its tags, and the remote they are shared through. */
export interface RegistryRepo {
  git: Git;
  /** The remote new tags are pushed to and fetched from; undefined for a purely local registry. */
  remote?: string;
  logger: Logger;
  /**
   * The artifact store, when the command has one: a local-only registration is published only when
   * the artifacts its tag records are there (set by openProject).
   */
  store?: ArtifactStore;
}

export interface OpenRegistryOptions {
  cwd: string;
  logger: Logger;
  /** false keeps new tags local (`--no-push`). */
  push?: boolean;
  remote?: string;
  git?: Git;
}

/** Where tags dropped from refs/tags are kept (`refs/gitml/dropped/<tag>`), so nothing is lost for good. */
export const DROPPED_NAMESPACE = "dropped";

export async function openRegistry(options: OpenRegistryOptions): Promise<RegistryRepo> {
  const git = options.git ?? new GitCli(options.cwd);
  await git.topLevel(); // fails early, with a UserError, outside a repository or without git
  const remoteName = options.remote ?? "origin";
  const hasRemote = options.push !== false && (await git.remoteUrl(remoteName)) !== undefined;
  return { git, remote: hasRemote ? remoteName : undefined, logger: options.logger };
}

/**
 * Replays the registry from local tags, after fetching the remote's when there is one. Local registry
 * tags the remote lacks are kept and reported: the next command that writes publishes or drops them.
 */
export async function readRegistry(
  repo: RegistryRepo,
  options: { fetch?: boolean } = {},
): Promise<RegistryState> {
  if (!repo.remote || options.fetch === false) return replay(await repo.git.readTags());
  const synced = await syncWithRemote(repo, repo.remote);
  const pending = localOnlyRegistryTags(synced);
  if (pending.length > 0) {
    repo.logger.warning(
      `${describeTags(pending.map((r) => r.tag))} ${pending.length === 1 ? "is a local registry tag" : "are local registry tags"} '${repo.remote}' lacks (made with --no-push, or left by an interrupted run): the next register, promote, unassign, deregister or deprecate publishes them, or drops those origin's tags make invalid (\`gitml doctor\` lists them)`,
    );
  }
  return replay(synced.records);
}

export interface PlannedTag {
  tag: string;
  commit: string;
  message: string;
}

export interface PublishOptions {
  /**
   * Computes the tags to create from the freshest state; called again after every lost race.
   * `localOnly` names the local tags the remote lacks that will be published with the plan's.
   */
  plan: (
    state: RegistryState,
    attempt: number,
    context: { localOnly: ReadonlySet<string> },
  ) => Promise<PlannedTag[]> | PlannedTag[];
  attempts?: number;
  /** Milliseconds; the wait before attempt n is a random value below base·2ⁿ (full jitter). */
  backoffBaseMs?: number;
}

export interface PublishResult {
  tags: PlannedTag[];
  /** The state the winning plan was computed from. */
  state: RegistryState;
  attempts: number;
  /** Local-only registry tags found before the plan and pushed with it. */
  published: string[];
  /** Local-only registry tags found before the plan that could not be published, and why. */
  dropped: DroppedTag[];
}

export interface DroppedTag {
  tag: string;
  reason: string;
}

/**
 * Creates tags so that nothing is ever half-written and concurrent writers never produce the same
 * version or lose a registration:
 * - the plan is computed from freshly fetched tags;
 * - its tags are written as objects only, pushed in one atomic push, and become local refs only once
 *   the remote has them: a refused push, or a process killed at any moment, leaves no local tag the
 *   remote lacks (at worst the remote has a tag the next fetch brings);
 * - when the remote refuses because another writer took a name first, the plan is computed again from
 *   the new state;
 * - local registry tags the remote lacks (made with `--no-push`, or by an older gitml interrupted
 *   between its tag and its push) are published with the plan's tags when they are still valid on top
 *   of the remote's, and set aside under refs/gitml/dropped/ with the reason when they are not.
 */
export async function publishTags(repo: RegistryRepo, options: PublishOptions): Promise<PublishResult> {
  const attempts = options.attempts ?? 12;
  const backoffBaseMs = options.backoffBaseMs ?? 50;
  const dropped: DroppedTag[] = [];
  // Before any work (staging a large model, say): a tag cannot be written without a tagger.
  await repo.git.taggerIdentity();
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let records: TagRecord[];
    let pending: PendingTag[] = [];
    if (repo.remote) {
      const synced = await syncWithRemote(repo, repo.remote);
      const sorted = await sortLocalOnlyTags(repo, synced);
      records = sorted.records;
      pending = sorted.publish;
      dropped.push(...sorted.drop);
    } else {
      records = await repo.git.readTags();
    }
    const state = replay(records);
    const tags = await options.plan(state, attempt, {
      localOnly: new Set(pending.map((p) => p.record.tag)),
    });
    const result = (): PublishResult => ({
      tags,
      state,
      attempts: attempt,
      published: pending.map((p) => p.record.tag),
      dropped,
    });
    if (tags.length === 0 && pending.length === 0) return result();
    if (
      !tags.every((t) => replaysLast(state.models.get(parseTag(t.tag)?.name ?? ""), t.tag, nowInSeconds()))
    ) {
      // Same second as an event this one must follow, and the tie-break would put it first: wait a tick.
      await sleep(1000 - (Date.now() % 1000) + 5);
      attempt--;
      continue;
    }
    const created: TagObject[] = [];
    for (const planned of tags) {
      created.push({
        tag: planned.tag,
        object: await repo.git.createTagObject(planned.tag, planned.commit, planned.message),
      });
    }
    if (!repo.remote) {
      if (await repo.git.setTagRefs(created, "create")) return result();
      repo.logger.info(`another process created ${describeTags(tags.map((t) => t.tag))} first; retrying`);
      continue;
    }
    if (pending.length > 0) {
      repo.logger.info(
        `publishing ${describeTags(pending.map((p) => p.record.tag))} to '${repo.remote}'${tags.length > 0 ? " with this command's tags" : ""}: local registry tags it lacked (made with --no-push, or left by an interrupted run)`,
      );
    }
    const outcome = await repo.git.pushTagsAtomic(repo.remote, [
      ...created,
      ...pending.map((p) => ({ tag: p.record.tag, object: p.object })),
    ]);
    if (outcome.ok) {
      // The remote has them: now, and only now, they exist locally.
      await repo.git.setTagRefs(created, "force");
      for (const p of pending) if (p.artifacts) await repo.store?.publish(p.artifacts);
      return result();
    }
    repo.logger.info(
      `lost a race for ${outcome.rejected.join(", ")} at '${repo.remote}' (attempt ${attempt}); refetching and retrying`,
    );
    await sleep(Math.random() * backoffBaseMs * 2 ** Math.min(attempt, 6));
  }
  throw new UserError(
    `could not publish registry tags to '${repo.remote}' after ${attempts} attempts: other writers kept taking the same names; retry later`,
  );
}

interface SyncedTags {
  /** Every local tag, after the fetch. */
  records: TagRecord[];
  /** The remote's tags (name -> object id) as listed before the fetch. */
  remoteTags: Map<string, string>;
  /** Local tag objects (name -> object id) before the fetch. */
  localTags: Map<string, string>;
}

/**
 * Lists the remote's tags, sets aside local registry tags the remote has under the same name with
 * other content (the remote is the truth, but the fetch that replaces them should not lose them
 * silently), then fetches.
 */
async function syncWithRemote(repo: RegistryRepo, remote: string): Promise<SyncedTags> {
  const [remoteTags, localTags] = await Promise.all([
    repo.git.remoteTagObjects(remote),
    repo.git.localTagObjects(),
  ]);
  const replaced: TagObject[] = [];
  for (const [tag, object] of localTags) {
    const theirs = remoteTags.get(tag);
    if (theirs !== undefined && theirs !== object && parseTag(tag)) replaced.push({ tag, object });
  }
  if (replaced.length > 0) {
    await repo.git.setAsideTags(replaced, DROPPED_NAMESPACE);
    repo.logger.warning(
      `'${remote}' has other tags named ${describeTags(replaced.map((r) => r.tag))}: theirs replace the local ones (kept as refs/gitml/${DROPPED_NAMESPACE}/<tag>)`,
    );
  }
  await repo.git.fetchTags(remote);
  return { records: await repo.git.readTags(), remoteTags, localTags };
}

/**
 * Local tags in the registry's grammar that the remote does not have: here before the fetch and not in
 * the remote's listing (a tag another writer pushed between the listing and the fetch is the remote's).
 */
function localOnlyRegistryTags(synced: SyncedTags): TagRecord[] {
  return synced.records.filter(
    (r) => !synced.remoteTags.has(r.tag) && synced.localTags.has(r.tag) && parseTag(r.tag) !== undefined,
  );
}

interface PendingTag {
  record: TagRecord;
  object: string;
  /** A registration's stored artifacts, indexed in the store once its tag is published. */
  artifacts?: StagedVersion;
}

/**
 * Decides, for each local registry tag the remote lacks, whether it is published or dropped, and drops
 * (sets aside) those that are not valid on top of the remote's tags. Returns the records to plan from.
 */
async function sortLocalOnlyTags(
  repo: RegistryRepo,
  synced: SyncedTags,
): Promise<{ records: TagRecord[]; publish: PendingTag[]; drop: DroppedTag[] }> {
  const localOnly = localOnlyRegistryTags(synced);
  if (localOnly.length === 0) return { records: synced.records, publish: [], drop: [] };
  const decisions = await decideLocalOnlyTags(
    synced.records.filter((r) => !localOnly.includes(r)),
    localOnly,
    {
      remote: repo.remote ?? "origin",
      artifactsOf: async (event, digest) => {
        if (!repo.store) return undefined;
        try {
          const found = await repo.store.readManifest({ model: event.name, version: event.version!, digest });
          return { model: event.name, version: event.version!, ...found };
        } catch (error) {
          if (isUserError(error)) return null;
          throw error;
        }
      },
    },
  );
  const drop = decisions.filter((d) => d.reason !== undefined);
  if (drop.length > 0) {
    await repo.git.setAsideTags(
      drop.map((d) => ({
        tag: d.record.tag,
        object: synced.localTags.get(d.record.tag) ?? `refs/tags/${d.record.tag}`,
      })),
      DROPPED_NAMESPACE,
    );
    for (const d of drop) {
      repo.logger.warning(
        `dropped the local tag ${d.record.tag}, which '${repo.remote}' lacks: ${d.reason} (kept as refs/gitml/${DROPPED_NAMESPACE}/${d.record.tag}; run the command again if it is still wanted)`,
      );
    }
  }
  const droppedNames = new Set(drop.map((d) => d.record.tag));
  return {
    records: synced.records.filter((r) => !droppedNames.has(r.tag)),
    publish: decisions
      .filter((d) => d.reason === undefined)
      .map((d) => ({
        record: d.record,
        object: synced.localTags.get(d.record.tag) ?? `refs/tags/${d.record.tag}`,
        artifacts: d.artifacts,
      })),
    drop: drop.map((d) => ({ tag: d.record.tag, reason: d.reason! })),
  };
}

export interface LocalOnlyDecision {
  record: TagRecord;
  /** Why the tag cannot be published; undefined when it can. */
  reason?: string;
  artifacts?: StagedVersion;
}

/**
 * Whether each local-only registry tag is still valid on top of the remote's tags, judged as the verb
 * that wrote it would judge it now: a registration needs a version number and a commit the remote has
 * not used, and its artifacts in the store; a `#N` tag needs a counter the remote has not used; stage
 * and deregistration tags need their version to be published (on the remote, or with them). Tags
 * replay ignores (lightweight ones, for instance) are not the registry's and are left alone.
 */
export async function decideLocalOnlyTags(
  remoteRecords: TagRecord[],
  localOnly: TagRecord[],
  options: {
    remote: string;
    /** The stored artifacts a registration records; null when the store lacks them. */
    artifactsOf: (event: RegistryEvent, digest: Digest) => Promise<StagedVersion | null | undefined>;
  },
): Promise<LocalOnlyDecision[]> {
  const remote = replay(remoteRecords);
  const combined = replay([...remoteRecords, ...localOnly]);
  const localNames = new Set(localOnly.map((r) => r.tag));
  const events: RegistryEvent[] = [];
  for (const model of combined.models.values()) {
    for (const event of model.events) if (localNames.has(event.tag)) events.push(event);
  }
  const recordOf = new Map(localOnly.map((r) => [r.tag, r]));
  const counters = new Map<string, Set<number>>();
  for (const model of remote.models.values()) {
    counters.set(
      model.name,
      new Set(model.events.flatMap((e) => (e.counter === undefined ? [] : [e.counter]))),
    );
  }
  const publishedVersions = new Set<string>(); // `${model}\0${version}` registered by a published tag
  const droppedVersions = new Set<string>();
  const decisions: LocalOnlyDecision[] = [];
  // Replay order, so a registration is judged before the stage tags that depend on it.
  for (const event of events) {
    const record = recordOf.get(event.tag)!;
    const model = remote.models.get(event.name);
    const key = `${event.name}\0${event.version ?? ""}`;
    let reason: string | undefined;
    let artifacts: StagedVersion | undefined;
    if (event.counter !== undefined && counters.get(event.name)?.has(event.counter)) {
      reason = `'${options.remote}' already has a tag of ${event.name} numbered #${event.counter}`;
    } else if (event.type === "registration") {
      const taken = model?.versions.find((v) => v.version === event.version);
      const onCommit = model?.versions.find((v) => v.commit === event.commit && v.active);
      const digest = event.metadata?.artifactDigest as Digest | undefined;
      if (taken) {
        reason = `'${options.remote}' already has ${event.name}@${event.version} (at ${taken.commit.slice(0, 12)})`;
      } else if (onCommit) {
        reason = `'${options.remote}' registered ${event.name}@${onCommit.version} on the same commit (one commit holds one version)`;
      } else if (digest !== undefined) {
        const found = await options.artifactsOf(event, digest);
        if (found === null) {
          reason = `the artifacts it records (${digest}) are not in the store: the run that tagged it stopped before storing them`;
        } else {
          artifacts = found;
        }
      }
      if (reason === undefined) publishedVersions.add(key);
      else droppedVersions.add(key);
    } else if (event.type !== "deprecation") {
      const onRemote = model?.versions.some((v) => v.version === event.version) ?? false;
      if (droppedVersions.has(key)) {
        reason = `it concerns ${event.name}@${event.version}, whose local registration was dropped`;
      } else if (!onRemote && !publishedVersions.has(key) && event.type === "deregistration") {
        reason = `'${options.remote}' never had ${event.name}@${event.version}`;
      }
    }
    if (reason === undefined && event.counter !== undefined) {
      if (!counters.has(event.name)) counters.set(event.name, new Set());
      counters.get(event.name)!.add(event.counter);
    }
    decisions.push({ record, reason, artifacts });
  }
  return decisions;
}

/** How the registry's tags here compare with the remote's (for `gitml doctor`; changes nothing). */
export async function compareWithRemote(
  git: Git,
  remote: string,
): Promise<{ localOnly: string[]; remoteOnly: string[]; differing: string[] }> {
  const [remoteTags, localTags] = await Promise.all([git.remoteTagObjects(remote), git.localTagObjects()]);
  const localOnly: string[] = [];
  const differing: string[] = [];
  for (const [tag, object] of localTags) {
    if (!parseTag(tag)) continue;
    const theirs = remoteTags.get(tag);
    if (theirs === undefined) localOnly.push(tag);
    else if (theirs !== object) differing.push(tag);
  }
  const remoteOnly = [...remoteTags.keys()].filter((tag) => !localTags.has(tag) && parseTag(tag));
  return { localOnly, remoteOnly, differing };
}

export function describeTags(tags: string[], limit = 8): string {
  const shown = tags.slice(0, limit).join(", ");
  return tags.length > limit ? `${shown} and ${tags.length - limit} more` : shown;
}

function nowInSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
