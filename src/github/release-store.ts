import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import semver from "semver";
import { type GitHubClient, httpStatusOf, isServerOrNetworkError, rethrowPermission } from "./client";
import { formatTag } from "../registry/tags";
import { modelCardOf } from "../report/model-card";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { writeDeterministicArchive } from "../store/archive";
import { IncomingFiles } from "../store/incoming";
import { digestHex, isDigest, sha256Bytes, sha256File, type Digest } from "../store/digest";
import {
  isFileRole,
  parseManifest,
  serializeManifest,
  type FileRole,
  type Manifest,
} from "../store/manifest";
import { downloadToFile, TransferError, uploadFileRange } from "../store/transfer";
import type {
  ArtifactInput,
  ArtifactStore,
  FetchRequest,
  ReleaseLinks,
  StageRequest,
  StagedVersion,
  StoredVersion,
  VersionRef,
} from "../store/types";

type Release = Awaited<ReturnType<GitHubClient["rest"]["repos"]["getRelease"]>>["data"];
type Asset = Release["assets"][number];

/** GitHub refuses release assets of 2 GiB or more: parts stay one MiB below. */
export const DEFAULT_PART_SIZE = 2 * 1024 ** 3 - 1024 ** 2;
export const MANIFEST_ASSET = "manifest.json";
const PART_SUFFIX = /\.part-(\d{3,})$/;
const MANIFEST_MARKER = /<!-- gitml:manifest (sha256:[0-9a-f]{64}) -->/;

/** Points where a test can stop the store, as a crash would. */
export type StoreStep = "draft" | "upload" | "verify" | "before-publish";

export interface GitHubReleasesStoreOptions {
  octokit: GitHubClient;
  /** Sent with the streamed uploads and downloads, which bypass Octokit to keep memory flat. */
  token: string;
  owner: string;
  repo: string;
  logger: Logger;
  /** Largest asset; bigger files are split into `name.part-001…` (default 2 GiB − 1 MiB). */
  partSize?: number;
  /** Parts uploaded or downloaded at once (default 4). */
  concurrency?: number;
  /** Tries per asset upload before giving up (default 5). */
  uploadAttempts?: number;
  /** Milliseconds per back-off step between upload tries (default 1000; tests pass 1). */
  retryDelayMs?: number;
  /** Scratch space for archives and the model card (default the OS temp folder). */
  workDir?: string;
  /** Called after each step of stage() and before publishing; a test throws from it to simulate a crash. */
  afterStep?: (step: StoreStep, ref: VersionRef) => void | Promise<void>;
}

interface PartPlan {
  name: string;
  start: number;
  length: number;
  sha256: string;
}

interface LocalAsset {
  name: string;
  role: FileRole;
  file: string;
  size: number;
  sha256: string;
  contentType: string;
  parts: PartPlan[];
}

/**
 * Registered versions as GitHub Releases: one release per version, named by its registry tag, holding the
 * model archive, metrics, params, profile, model card and manifest. A version is staged as a DRAFT (found
 * by tag name and target commit, so concurrent registrations never share one), its assets verified
 * against GitHub's own size and sha256, and published only after the registry tag is pushed.
 */
export class GitHubReleasesStore implements ArtifactStore {
  readonly kind = "github" as const;
  private readonly partSize: number;
  private readonly concurrency: number;

  constructor(private readonly options: GitHubReleasesStoreOptions) {
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    if (this.partSize < 1) throw new Error("partSize must be positive");
  }

  private get where(): { owner: string; repo: string } {
    return { owner: this.options.owner, repo: this.options.repo };
  }

  private tagOf(ref: VersionRef): string {
    return formatTag({ action: "register", name: ref.model, version: ref.version });
  }

  // ---- stage / publish / discard -------------------------------------------------------------------

  async stage(request: StageRequest): Promise<StagedVersion> {
    const ref = { model: request.model, version: request.version };
    const tag = this.tagOf(ref);
    const work = await fs.mkdtemp(path.join(this.options.workDir ?? os.tmpdir(), "gitml-release-"));
    try {
      const assets = await this.prepareAssets(request, work);
      const manifest: Manifest = {
        schema: "gitml.manifest/v1",
        model: request.model,
        version: request.version,
        createdAt: new Date().toISOString(),
        files: assets.map((a) => ({ path: a.name, role: a.role, size: a.size, sha256: a.sha256 })),
        lineage: request.lineage,
      };
      const { bytes, digest } = serializeManifest(manifest);
      const manifestFile = path.join(work, MANIFEST_ASSET);
      await fs.writeFile(manifestFile, bytes);
      const manifestAsset: LocalAsset = {
        name: MANIFEST_ASSET,
        role: "other",
        file: manifestFile,
        size: Buffer.byteLength(bytes),
        sha256: digestHex(digest),
        contentType: "application/json",
        parts: [
          { name: MANIFEST_ASSET, start: 0, length: Buffer.byteLength(bytes), sha256: digestHex(digest) },
        ],
      };
      const body = withManifestMarker(await fs.readFile(path.join(work, "model-card.md"), "utf8"), digest);
      const release = await this.findOrCreateDraft(tag, request.lineage.commit, body);
      await this.options.afterStep?.("draft", ref);
      // The manifest goes last: a draft holding a manifest holds everything the manifest lists.
      await this.syncAssets(release, assets, [manifestAsset]);
      await this.options.afterStep?.("upload", ref);
      await this.verifyAssets(release.id, [...assets, manifestAsset]);
      await this.options.afterStep?.("verify", ref);
      return { ...ref, manifest, digest };
    } catch (error) {
      rethrowPermission(error, `store ${tag} as a GitHub Release draft`, "contents: write");
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }

  async publish(staged: StagedVersion): Promise<void> {
    await this.options.afterStep?.("before-publish", staged);
    const tag = this.tagOf(staged);
    const commit = staged.manifest.lineage.commit;
    const releases = await this.listReleases();
    const published = releases.find((r) => !r.draft && r.tag_name === tag);
    if (published) {
      if (manifestDigestOf(published) === staged.digest) return;
      throw new UserError(
        `a different release ${tag} is already published (${published.html_url}): versions are never reused`,
      );
    }
    const draft = pickDraft(releases, tag, commit);
    if (!draft) {
      throw new UserError(
        `no draft release ${tag} for commit ${commit.slice(0, 12)} to publish: stage the version again (re-run the registration)`,
      );
    }
    const manifestAsset = draft.assets.find((a) => a.name === MANIFEST_ASSET);
    if (manifestAsset?.digest && manifestAsset.digest !== staged.digest) {
      throw new Error(
        `draft ${tag} holds manifest ${manifestAsset.digest}, not the staged ${staged.digest}: refusing to publish it`,
      );
    }
    const newer = releases.some((r) => {
      if (r.draft || r === draft) return false;
      const other = versionOfTag(r.tag_name, staged.model);
      return (
        other !== undefined &&
        semver.valid(other) &&
        semver.valid(staged.version) &&
        semver.gt(other, staged.version)
      );
    });
    try {
      await this.options.octokit.rest.repos.updateRelease({
        ...this.where,
        release_id: draft.id,
        draft: false,
        body: withManifestMarker(stripManifestMarker(draft.body ?? ""), staged.digest),
        make_latest: newer ? "false" : "true",
      });
    } catch (error) {
      rethrowPermission(error, `publish release ${tag}`, "contents: write");
    }
  }

  async discard(staged: StagedVersion): Promise<void> {
    const tag = this.tagOf(staged);
    const releases = await this.listReleases();
    for (const release of releases) {
      if (
        release.draft &&
        release.tag_name === tag &&
        release.target_commitish === staged.manifest.lineage.commit
      ) {
        await this.deleteRelease(release.id);
      }
    }
  }

  /**
   * Removes drafts this model's registrations left behind: those for a commit that is registered under
   * another version (its registration finished elsewhere), and those older than `minAgeMs` (default six
   * hours, measured on GitHub's clock) whose tag is not registered at their commit.
   */
  async removeOrphanDrafts(options: {
    model: string;
    /** The commit each registered version of the model points at. */
    registered: ReadonlyMap<string, string>;
    minAgeMs?: number;
  }): Promise<string[]> {
    const releases = await this.listReleases();
    const newest = Math.max(0, ...releases.map((r) => Date.parse(r.created_at)));
    const registeredCommits = new Map([...options.registered].map(([version, commit]) => [commit, version]));
    const removed: string[] = [];
    for (const release of releases) {
      if (!release.draft) continue;
      const version = versionOfTag(release.tag_name, options.model);
      if (version === undefined) continue;
      const commit = release.target_commitish;
      if (options.registered.get(version) === commit) continue; // registered: publish will take it
      const lost = registeredCommits.has(commit);
      const stale = newest - Date.parse(release.created_at) >= (options.minAgeMs ?? 6 * 3600_000);
      if (!lost && !stale) continue;
      await this.deleteRelease(release.id);
      removed.push(`${release.tag_name} (${commit.slice(0, 12)})`);
    }
    return removed;
  }

  // ---- read ----------------------------------------------------------------------------------------

  async readManifest(ref: VersionRef & { digest?: Digest }): Promise<{ manifest: Manifest; digest: Digest }> {
    const { manifest, digest } = await this.loadVersion(ref);
    return { manifest, digest };
  }

  async fetch(request: FetchRequest): Promise<{ manifest: Manifest; digest: Digest; files: string[] }> {
    const { manifest, digest, release } = await this.loadVersion(request);
    const assets = await this.assetsOf(release);
    // Every asset is downloaded to a temporary name and verified (an archive unpacked beside it) before
    // any of them replaces what is there.
    const files = await IncomingFiles.into(request.into, async (incoming) => {
      for (const file of manifest.files) {
        // A role this gitml does not know (a newer one wrote it) is never asked for by name.
        if (request.roles && !(isFileRole(file.role) && request.roles.includes(file.role))) continue;
        const parts = partsOf(assets, file.path);
        if (parts.length === 0) {
          throw new UserError(
            `asset '${file.path}' of ${this.tagOf(request)} is missing from its release (${release.html_url})`,
          );
        }
        const temp = incoming.tempFile();
        await this.downloadParts(parts, temp);
        const actual = await sha256File(temp);
        if (digestHex(actual.digest) !== file.sha256 || actual.size !== file.size) {
          throw new UserError(
            `asset '${file.path}' of ${this.tagOf(request)} failed verification: expected sha256 ${file.sha256} (${file.size} bytes), got ${digestHex(actual.digest)} (${actual.size} bytes); refusing to use it`,
            { where: release.html_url },
          );
        }
        if (file.path.endsWith(".tar.gz")) await incoming.acceptArchive(temp);
        else incoming.accept(temp, file.path);
      }
    });
    return { manifest, digest, files };
  }

  async list(model?: string): Promise<StoredVersion[]> {
    const out: StoredVersion[] = [];
    for (const release of await this.listReleases()) {
      if (release.draft) continue;
      const digest = manifestDigestOf(release);
      if (!digest) continue;
      const at = release.tag_name.lastIndexOf("@");
      if (at <= 0) continue;
      const version = release.tag_name.slice(at + 1);
      const name = model ?? release.tag_name.slice(0, at);
      if (model !== undefined && versionOfTag(release.tag_name, model) === undefined) continue;
      out.push({ model: name, version, digest });
    }
    return out;
  }

  async remove(ref: VersionRef): Promise<void> {
    const tag = this.tagOf(ref);
    for (const release of await this.listReleases()) {
      if (release.tag_name === tag) await this.deleteRelease(release.id);
    }
  }

  /** The release page and the model's download link of a published version: one API call. */
  async links(ref: VersionRef): Promise<ReleaseLinks> {
    const tag = this.tagOf(ref);
    const { data } = await this.options.octokit.rest.repos.getReleaseByTag({ ...this.where, tag });
    const model = data.assets.find((a) => a.name === "model.tar.gz");
    const manifest = data.assets.find((a) => a.name === MANIFEST_ASSET);
    return {
      releaseUrl: data.html_url,
      artifactUrl: (model ?? manifest)?.browser_download_url,
      manifestUrl: manifest?.browser_download_url,
    };
  }

  // ---- internals -----------------------------------------------------------------------------------

  private async prepareAssets(request: StageRequest, work: string): Promise<LocalAsset[]> {
    const byRole = new Map<FileRole, ArtifactInput[]>();
    for (const input of request.files) byRole.set(input.role, [...(byRole.get(input.role) ?? []), input]);
    const planned: Array<{ name: string; role: FileRole; file: string; contentType: string }> = [];
    const taken = new Set<string>([MANIFEST_ASSET]);
    const claim = (name: string, role: FileRole): string => {
      const unique = taken.has(name) ? `${role}-${name}` : name;
      if (taken.has(unique)) throw new Error(`two artifacts would be stored as asset '${unique}'`);
      taken.add(unique);
      return unique;
    };
    for (const [role, inputs] of byRole) {
      if (role === "model-card") continue;
      if (role === "model" || inputs.length > 1) {
        const name = claim(`${role}.tar.gz`, role);
        const target = path.join(work, name);
        await writeDeterministicArchive({
          entries: inputs.map((i) => ({ source: i.source, path: i.path })),
          target,
        });
        planned.push({ name, role, file: target, contentType: "application/gzip" });
      } else {
        const input = inputs[0]!;
        const name = claim(path.posix.basename(input.path), role);
        planned.push({ name, role, file: input.source, contentType: contentTypeOf(name) });
      }
    }
    const cardFile = path.join(work, "model-card.md");
    // The registering command stages the card it rendered (it is the release body too); a caller that
    // staged none still gets one from the files alone.
    const provided = byRole.get("model-card")?.[0];
    if (provided) await fs.copyFile(provided.source, cardFile);
    else await fs.writeFile(cardFile, await modelCardOf(request, {}, this.options.logger));
    planned.push({
      name: claim("model-card.md", "model-card"),
      role: "model-card",
      file: cardFile,
      contentType: "text/markdown; charset=utf-8",
    });
    const assets: LocalAsset[] = [];
    for (const plan of planned) assets.push({ ...plan, ...(await this.measure(plan.file, plan.name)) });
    return assets.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** One read of the file gives its digest and every part's digest. */
  private async measure(
    file: string,
    name: string,
  ): Promise<{ size: number; sha256: string; parts: PartPlan[] }> {
    const whole = createHash("sha256");
    const parts: PartPlan[] = [];
    let partHash = createHash("sha256");
    let partStart = 0;
    let offset = 0;
    const closePart = () => {
      parts.push({ name: "", start: partStart, length: offset - partStart, sha256: partHash.digest("hex") });
      partHash = createHash("sha256");
      partStart = offset;
    };
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      let buffer = chunk as Buffer;
      whole.update(buffer);
      while (buffer.length > 0) {
        const room = this.partSize - (offset - partStart);
        const piece = buffer.subarray(0, room);
        partHash.update(piece);
        offset += piece.length;
        buffer = buffer.subarray(piece.length);
        if (offset - partStart === this.partSize) closePart();
      }
    }
    if (offset > partStart || parts.length === 0) closePart();
    const split = parts.length > 1;
    parts.forEach((part, index) => {
      part.name = split ? `${name}.part-${String(index + 1).padStart(3, "0")}` : name;
    });
    return { size: offset, sha256: whole.digest("hex"), parts };
  }

  private async listReleases(): Promise<Release[]> {
    return (await this.options.octokit.paginate(this.options.octokit.rest.repos.listReleases, {
      ...this.where,
      per_page: 100,
    })) as Release[];
  }

  /**
   * A release's assets: the release object already lists them, so asking again costs a call for nothing,
   * unless it lists so many that a page limit may have cut the list (a model split into many parts).
   */
  private async assetsOf(release: Release): Promise<Asset[]> {
    return release.assets.length < 100 ? release.assets : this.listAssets(release.id);
  }

  private async listAssets(releaseId: number): Promise<Asset[]> {
    return (await this.options.octokit.paginate(this.options.octokit.rest.repos.listReleaseAssets, {
      ...this.where,
      release_id: releaseId,
      per_page: 100,
    })) as Asset[];
  }

  private async deleteRelease(id: number): Promise<void> {
    try {
      await this.options.octokit.rest.repos.deleteRelease({ ...this.where, release_id: id });
    } catch (error) {
      if (httpStatusOf(error) !== 404) throw error; // already gone: a retried delete that had landed
    }
  }

  private async deleteAsset(id: number): Promise<void> {
    try {
      await this.options.octokit.rest.repos.deleteReleaseAsset({ ...this.where, asset_id: id });
    } catch (error) {
      if (httpStatusOf(error) !== 404) throw error;
    }
  }

  private async findOrCreateDraft(tag: string, commit: string, body: string): Promise<Release> {
    const attempts = this.options.uploadAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const releases = await this.listReleases();
      const published = releases.find((r) => !r.draft && r.tag_name === tag);
      if (published) {
        throw new UserError(
          `release ${tag} is already published (${published.html_url}): versions are never reused`,
        );
      }
      const drafts = releases
        .filter((r) => r.draft && r.tag_name === tag && r.target_commitish === commit)
        .sort((a, b) => a.id - b.id);
      // A create that failed after taking effect, then retried, leaves two: keep the first.
      for (const duplicate of drafts.slice(1)) await this.deleteRelease(duplicate.id);
      if (drafts[0]) {
        this.options.logger.info(`reusing draft release ${tag} (an earlier run staged it)`);
        if (drafts[0].body !== body)
          await this.options.octokit.rest.repos.updateRelease({
            ...this.where,
            release_id: drafts[0].id,
            body,
          });
        return drafts[0];
      }
      try {
        const { data } = await this.options.octokit.rest.repos.createRelease({
          ...this.where,
          tag_name: tag,
          target_commitish: commit,
          name: tag,
          body,
          draft: true,
          // Not retried blindly: a 5xx may have created it; the listing above finds it on the next turn.
          request: { retries: 0 },
        });
        return data;
      } catch (error) {
        if (!isServerOrNetworkError(error) || attempt >= attempts) throw error;
        this.options.logger.warning(
          `creating draft release ${tag} failed (${describe(error)}); checking whether it was created`,
        );
        await this.backoff(attempt);
      }
    }
  }

  private async syncAssets(release: Release, assets: LocalAsset[], last: LocalAsset[]): Promise<void> {
    const all = [...assets, ...last];
    const wanted = new Map<string, { asset: LocalAsset; part: PartPlan }>();
    for (const asset of all) for (const part of asset.parts) wanted.set(part.name, { asset, part });
    const existing = await this.listAssets(release.id);
    const present = new Set<string>();
    for (const found of existing) {
      const plan = wanted.get(found.name);
      if (plan && assetMatches(found, plan.part)) {
        present.add(found.name);
        continue;
      }
      // Broken (a 502 leaves an empty asset), stale (an earlier run's manifest) or not ours: it goes.
      this.options.logger.info(
        `removing ${plan ? "broken" : "unexpected"} asset ${found.name} from draft ${release.tag_name}`,
      );
      await this.deleteAsset(found.id);
    }
    if (present.size > 0)
      this.options.logger.info(
        `${present.size} asset(s) of ${release.tag_name} already uploaded and verified; skipping them`,
      );
    const pending = (list: LocalAsset[]) =>
      list.flatMap((asset) =>
        asset.parts.filter((p) => !present.has(p.name)).map((part) => ({ asset, part })),
      );
    await runBounded(pending(assets), this.concurrency, ({ asset, part }) =>
      this.uploadPart(release, asset, part),
    );
    await runBounded(pending(last), 1, ({ asset, part }) => this.uploadPart(release, asset, part));
  }

  private async uploadPart(release: Release, asset: LocalAsset, part: PartPlan): Promise<void> {
    const attempts = this.options.uploadAttempts ?? 5;
    const url = new URL(release.upload_url.replace(/\{[^}]*\}$/, ""));
    url.searchParams.set("name", part.name);
    for (let attempt = 1; ; attempt++) {
      try {
        const uploaded = (await uploadFileRange({
          url,
          file: asset.file,
          start: part.start,
          length: part.length,
          contentType: asset.contentType,
          headers: this.headers(),
        })) as Asset;
        if (assetMatches(uploaded, part)) return;
        throw new TransferError(
          `GitHub stored ${part.name} as ${uploaded.size} bytes (${uploaded.state}), not ${part.length}`,
          502,
        );
      } catch (error) {
        const status = error instanceof TransferError ? error.status : undefined;
        if (status === 401 || status === 403 || status === 404) {
          if (!(error instanceof TransferError && error.retryAfterSeconds !== undefined)) {
            rethrowPermission(
              Object.assign(new Error((error as Error).message), { status }),
              `upload ${part.name} to release ${release.tag_name}`,
              "contents: write",
            );
          }
        }
        if (attempt >= attempts) throw error;
        this.options.logger.warning(
          `uploading ${part.name} failed (${(error as Error).message}); retrying (${attempt}/${attempts - 1})`,
        );
        await this.backoff(attempt, error instanceof TransferError ? error.retryAfterSeconds : undefined);
        // The upload may have landed anyway, or left a broken asset whose name blocks the next try.
        const found = (await this.listAssets(release.id)).find((a) => a.name === part.name);
        if (found && assetMatches(found, part)) return;
        if (found) await this.deleteAsset(found.id);
      }
    }
  }

  private async verifyAssets(releaseId: number, expected: LocalAsset[]): Promise<void> {
    const listed = new Map((await this.listAssets(releaseId)).map((a) => [a.name, a]));
    const problems: string[] = [];
    for (const asset of expected) {
      for (const part of asset.parts) {
        const found = listed.get(part.name);
        if (!found) problems.push(`${part.name} is missing`);
        else if (!assetMatches(found, part))
          problems.push(`${part.name} is ${found.size} bytes (${found.state}), expected ${part.length}`);
      }
    }
    if (problems.length > 0)
      throw new Error(`the draft release's assets did not verify after upload: ${problems.join("; ")}`);
  }

  private async loadVersion(
    ref: VersionRef & { digest?: Digest },
  ): Promise<{ manifest: Manifest; digest: Digest; release: Release }> {
    const tag = this.tagOf(ref);
    const candidates: Release[] = [];
    try {
      const { data } = await this.options.octokit.rest.repos.getReleaseByTag({ ...this.where, tag });
      candidates.push(data);
    } catch (error) {
      if (httpStatusOf(error) !== 404) rethrowPermission(error, `read release ${tag}`, "contents: read");
      // The tag was pushed but publishing did not happen yet (a crash in between): the draft holds it.
      candidates.push(...(await this.listReleases()).filter((r) => r.draft && r.tag_name === tag));
    }
    if (candidates.length === 0) {
      throw new UserError(
        `${ref.model}@${ref.version} has no release ${tag} in ${this.where.owner}/${this.where.repo}`,
      );
    }
    let lastProblem: UserError | undefined;
    for (const release of candidates) {
      const expected = ref.digest ?? manifestDigestOf(release);
      const manifestAsset = release.assets.find((a) => a.name === MANIFEST_ASSET);
      if (!manifestAsset) {
        lastProblem = new UserError(`release ${tag} has no ${MANIFEST_ASSET}`, { where: release.html_url });
        continue;
      }
      const scratch = await fs.mkdtemp(path.join(this.options.workDir ?? os.tmpdir(), "gitml-manifest-"));
      try {
        const file = path.join(scratch, MANIFEST_ASSET);
        await this.downloadAsset(manifestAsset.id, file, false);
        const bytes = await fs.readFile(file, "utf8");
        const actual = sha256Bytes(bytes);
        if (expected && actual !== expected) {
          lastProblem = new UserError(
            `manifest of ${ref.model}@${ref.version} does not match the registry: expected ${expected}, found ${actual}; refusing to use it`,
            { where: release.html_url },
          );
          continue;
        }
        const manifest = parseManifest(bytes, release.html_url);
        if (manifest.model !== ref.model || manifest.version !== ref.version) {
          lastProblem = new UserError(
            `manifest ${actual} describes ${manifest.model}@${manifest.version}, not ${ref.model}@${ref.version}`,
            {
              where: release.html_url,
            },
          );
          continue;
        }
        return { manifest, digest: actual, release };
      } finally {
        await fs.rm(scratch, { recursive: true, force: true });
      }
    }
    throw lastProblem!;
  }

  private async downloadParts(parts: Asset[], target: string): Promise<void> {
    // Parts are appended in order: one at a time keeps memory flat and the file contiguous.
    for (const [index, part] of parts.entries()) await this.downloadAsset(part.id, target, index > 0);
  }

  private async downloadAsset(assetId: number, file: string, append: boolean): Promise<void> {
    const base = this.options.octokit.request.endpoint.DEFAULTS.baseUrl;
    const url = new URL(
      `${base}/repos/${encodeURIComponent(this.where.owner)}/${encodeURIComponent(this.where.repo)}/releases/assets/${assetId}`,
    );
    const attempts = this.options.uploadAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        const before = append ? ((await fs.stat(file).catch(() => undefined))?.size ?? 0) : 0;
        try {
          await downloadToFile({
            url,
            file,
            append,
            headers: { ...this.headers(), accept: "application/octet-stream" },
          });
          return;
        } catch (error) {
          if (append) await fs.truncate(file, before).catch(() => undefined);
          throw error;
        }
      } catch (error) {
        const status = error instanceof TransferError ? error.status : undefined;
        if ((status !== undefined && status < 500 && status !== 429) || attempt >= attempts) throw error;
        await this.backoff(attempt, error instanceof TransferError ? error.retryAfterSeconds : undefined);
      }
    }
  }

  private headers(): Record<string, string> {
    return {
      authorization: `token ${this.options.token}`,
      accept: "application/vnd.github+json",
      "user-agent": "gitml",
      "x-github-api-version": "2022-11-28",
    };
  }

  private backoff(attempt: number, retryAfterSeconds?: number): Promise<void> {
    const unit = this.options.retryDelayMs ?? 1000;
    const ms = retryAfterSeconds !== undefined ? retryAfterSeconds * unit : unit * attempt * attempt;
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

function assetMatches(
  asset: Pick<Asset, "state" | "size"> & { digest?: string | null },
  part: PartPlan,
): boolean {
  if (asset.state !== "uploaded" || asset.size !== part.length) return false;
  // GitHub reports each asset's sha256; older assets may lack it, and then the size is what can be checked.
  return !asset.digest || asset.digest === `sha256:${part.sha256}`;
}

function partsOf(assets: Asset[], name: string): Asset[] {
  const whole = assets.find((a) => a.name === name);
  if (whole) return [whole];
  return assets
    .filter((a) => a.name.startsWith(`${name}.part-`) && PART_SUFFIX.test(a.name))
    .sort((a, b) => Number(PART_SUFFIX.exec(a.name)![1]) - Number(PART_SUFFIX.exec(b.name)![1]));
}

function pickDraft(releases: Release[], tag: string, commit: string): Release | undefined {
  return releases
    .filter((r) => r.draft && r.tag_name === tag && r.target_commitish === commit)
    .sort((a, b) => a.id - b.id)[0];
}

function versionOfTag(tag: string, model: string): string | undefined {
  const prefix = `${formatTag({ action: "register", name: model, version: "v0.0.0" }).slice(0, -"v0.0.0".length)}`;
  return tag.startsWith(prefix) ? tag.slice(prefix.length) : undefined;
}

function withManifestMarker(body: string, digest: Digest): string {
  return `${stripManifestMarker(body).trimEnd()}\n\n<!-- gitml:manifest ${digest} -->\n`;
}

function stripManifestMarker(body: string): string {
  return body.replace(MANIFEST_MARKER, "").trimEnd();
}

function manifestDigestOf(release: Pick<Release, "body">): Digest | undefined {
  const found = MANIFEST_MARKER.exec(release.body ?? "")?.[1];
  return found && isDigest(found) ? found : undefined;
}

function contentTypeOf(name: string): string {
  const ext = path.extname(name).toLowerCase();
  const types: Record<string, string> = {
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".csv": "text/csv",
    ".txt": "text/plain; charset=utf-8",
    ".gz": "application/gzip",
    ".parquet": "application/vnd.apache.parquet",
  };
  return types[ext] ?? "application/octet-stream";
}

function describe(error: unknown): string {
  const status = httpStatusOf(error);
  return status === undefined ? String(error) : `HTTP ${status}`;
}

async function runBounded<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}
