import type { TagRecord } from "../registry/types";
import type { Git, PushOutcome, TagObject } from "./git";
import type { TagListingPrefetch } from "./tag-listing";

/**
 * A Git whose first `readTags` is served by a listing started before the CLI loaded (see
 * `prefetchTagListing`), so read-only verbs do not wait for git twice; everything else, and every later
 * read, goes to the Git it wraps. The CLI entry creates it and passes it to commands in their context.
 */
export class PrefetchedTagsGit implements Git {
  constructor(
    private readonly inner: Git,
    private readonly prefetch: TagListingPrefetch,
  ) {
    if (prefetch.cwd !== inner.cwd) {
      throw new Error(`a tag listing of ${prefetch.cwd} cannot serve a repository in ${inner.cwd}`);
    }
  }

  get cwd(): string {
    return this.inner.cwd;
  }

  async readTags(): Promise<TagRecord[]> {
    return (await this.prefetch.take()) ?? this.inner.readTags();
  }

  topLevel(): Promise<string> {
    return this.inner.topLevel();
  }
  resolveCommit(ref: string): Promise<string> {
    return this.inner.resolveCommit(ref);
  }
  createTagObject(tag: string, commit: string, message: string): Promise<string> {
    return this.inner.createTagObject(tag, commit, message);
  }
  createAnnotatedTag(tag: string, commit: string, message: string): Promise<void> {
    return this.inner.createAnnotatedTag(tag, commit, message);
  }
  setTagRefs(tags: TagObject[], mode: "create" | "force"): Promise<boolean> {
    return this.inner.setTagRefs(tags, mode);
  }
  setAsideTags(tags: TagObject[], namespace: string): Promise<void> {
    return this.inner.setAsideTags(tags, namespace);
  }
  deleteLocalTag(tag: string): Promise<void> {
    return this.inner.deleteLocalTag(tag);
  }
  localTagObjects(): Promise<Map<string, string>> {
    return this.inner.localTagObjects();
  }
  remoteTagObjects(remote: string): Promise<Map<string, string>> {
    return this.inner.remoteTagObjects(remote);
  }
  remoteUrl(remote: string): Promise<string | undefined> {
    return this.inner.remoteUrl(remote);
  }
  isShallow(): Promise<boolean> {
    return this.inner.isShallow();
  }
  fetchTags(remote: string): Promise<void> {
    return this.inner.fetchTags(remote);
  }
  pushTagsAtomic(remote: string, tags: TagObject[]): Promise<PushOutcome> {
    return this.inner.pushTagsAtomic(remote, tags);
  }
  taggerIdentity(): Promise<string> {
    return this.inner.taggerIdentity();
  }
  isDetached(): Promise<boolean> {
    return this.inner.isDetached();
  }
  changedFiles(since: string, until: string): Promise<string[]> {
    return this.inner.changedFiles(since, until);
  }
  version(): Promise<string | undefined> {
    return this.inner.version();
  }
  init(branch: string): Promise<void> {
    return this.inner.init(branch);
  }
  setConfig(key: string, value: string): Promise<void> {
    return this.inner.setConfig(key, value);
  }
  commit(message: string, changes: "tracked" | "all"): Promise<void> {
    return this.inner.commit(message, changes);
  }
  checkoutBranch(branch: string, options?: { create?: boolean }): Promise<void> {
    return this.inner.checkoutBranch(branch, options);
  }
  mergeNoFastForward(branch: string, message: string): Promise<void> {
    return this.inner.mergeNoFastForward(branch, message);
  }
}
