/** Releases and release assets (uploads are served on the uploads origin, their bodies kept on disk). */
import { writeFileSync } from "node:fs";
import { assetDownloadUrl, assetJson, releaseJson } from "../fixtures";
import {
  GitHubHttpError,
  type HandlerTable,
  bodyOf,
  intParam,
  notFound,
  paginate,
  repoOf,
  validationFailed,
} from "../http";
import type { ReleaseRecord, RepoRecord, StandinState } from "../state";
import { assetRecord, fakeSha, sha256Hex } from "../state";

interface ReleaseBody {
  tag_name?: string;
  target_commitish?: string;
  name?: string;
  body?: string;
  draft?: boolean;
  prerelease?: boolean;
}

function releaseOf(repo: RepoRecord, id: number): ReleaseRecord {
  const release = repo.releases.get(id);
  if (!release) throw notFound();
  return release;
}

/** Publishing a release whose tag does not exist creates the tag at target_commitish, as GitHub does. */
function ensureTag(state: StandinState, repo: RepoRecord, release: ReleaseRecord): void {
  const ref = `refs/tags/${release.tagName}`;
  if (repo.refs.has(ref)) return;
  const target =
    repo.refs.get(`refs/heads/${release.targetCommitish}`) ??
    (/^[0-9a-f]{40}$/.test(release.targetCommitish) ? release.targetCommitish : undefined);
  repo.refs.set(ref, target ?? fakeSha(`${repo.name}:${release.targetCommitish}`));
  void state;
}

function sortedReleases(repo: RepoRecord): ReleaseRecord[] {
  return [...repo.releases.values()].sort((a, b) => b.id - a.id);
}

export const releaseHandlers: HandlerTable = {
  "repos/create-release": (ctx) => {
    const repo = repoOf(ctx);
    const body = bodyOf<ReleaseBody>(ctx);
    const tagName = String(body.tag_name);
    if ([...repo.releases.values()].some((r) => r.tagName === tagName && !r.draft)) {
      throw validationFailed("Release", "tag_name", "already_exists");
    }
    const now = ctx.state.now();
    const release: ReleaseRecord = {
      id: ctx.state.nextId(),
      tagName,
      targetCommitish: body.target_commitish ?? repo.defaultBranch,
      name: body.name ?? null,
      body: body.body ?? null,
      draft: body.draft ?? false,
      prerelease: body.prerelease ?? false,
      author: ctx.state.actor,
      createdAt: now,
      publishedAt: body.draft ? null : now,
    };
    repo.releases.set(release.id, release);
    if (!release.draft) ensureTag(ctx.state, repo, release);
    return {
      status: 201,
      body: releaseJson(ctx.state, repo, release),
      headers: { location: `${ctx.state.urls.api}/repos/${repo.owner}/${repo.name}/releases/${release.id}` },
    };
  },

  "repos/get-release": (ctx) => {
    const repo = repoOf(ctx);
    return { status: 200, body: releaseJson(ctx.state, repo, releaseOf(repo, intParam(ctx, "release_id"))) };
  },

  "repos/get-release-by-tag": (ctx) => {
    const repo = repoOf(ctx);
    // Drafts have no tag yet: GitHub does not find them by tag name.
    const release = sortedReleases(repo).find((r) => r.tagName === String(ctx.params.tag) && !r.draft);
    if (!release) throw notFound();
    return { status: 200, body: releaseJson(ctx.state, repo, release) };
  },

  "repos/get-latest-release": (ctx) => {
    const repo = repoOf(ctx);
    const release = sortedReleases(repo).find((r) => !r.draft && !r.prerelease);
    if (!release) throw notFound();
    return { status: 200, body: releaseJson(ctx.state, repo, release) };
  },

  "repos/list-releases": (ctx) => {
    const repo = repoOf(ctx);
    return paginate(ctx, sortedReleases(repo), (r) => releaseJson(ctx.state, repo, r));
  },

  "repos/update-release": (ctx) => {
    const repo = repoOf(ctx);
    const release = releaseOf(repo, intParam(ctx, "release_id"));
    const body = bodyOf<ReleaseBody>(ctx);
    if (body.tag_name !== undefined) release.tagName = body.tag_name;
    if (body.target_commitish !== undefined) release.targetCommitish = body.target_commitish;
    if (body.name !== undefined) release.name = body.name;
    if (body.body !== undefined) release.body = body.body;
    if (body.prerelease !== undefined) release.prerelease = body.prerelease;
    if (body.draft === false && release.draft) {
      if (
        [...repo.releases.values()].some((r) => r !== release && r.tagName === release.tagName && !r.draft)
      ) {
        throw validationFailed("Release", "tag_name", "already_exists");
      }
      release.draft = false;
      release.publishedAt = ctx.state.now();
      ensureTag(ctx.state, repo, release);
    } else if (body.draft === true) {
      release.draft = true;
    }
    return { status: 200, body: releaseJson(ctx.state, repo, release) };
  },

  "repos/delete-release": (ctx) => {
    const repo = repoOf(ctx);
    const release = releaseOf(repo, intParam(ctx, "release_id"));
    repo.releases.delete(release.id);
    for (const asset of [...repo.assets.values()]) {
      if (asset.releaseId !== release.id) continue;
      repo.assets.delete(asset.id);
      ctx.state.removeFile(asset.path);
    }
    return { status: 204 };
  },

  "repos/upload-release-asset": (ctx) => {
    const repo = repoOf(ctx);
    const release = releaseOf(repo, intParam(ctx, "release_id"));
    const name = String(ctx.params.name);
    if ([...repo.assets.values()].some((a) => a.releaseId === release.id && a.name === name)) {
      // Documented without a body: the server sends none.
      throw new GitHubHttpError(422, "Validation Failed", [
        { resource: "ReleaseAsset", field: "name", code: "already_exists" },
      ]);
    }
    const upload = ctx.upload;
    if (!upload) throw new Error("stand-in: an asset upload reached the handler without its streamed body");
    upload.claimed = true;
    if (ctx.breakUpload) {
      // GitHub's 502 can leave the asset behind with no bytes, in state "open".
      writeFileSync(upload.path, "");
    }
    const now = ctx.state.now();
    const contentType = String(ctx.headers["content-type"] ?? "application/octet-stream");
    const asset = assetRecord({
      id: ctx.state.nextId(),
      releaseId: release.id,
      name,
      label: ctx.params.label === undefined ? null : String(ctx.params.label),
      contentType,
      path: upload.path,
      size: ctx.breakUpload ? 0 : upload.size,
      sha256: ctx.breakUpload ? sha256Hex(Buffer.alloc(0)) : upload.sha256,
      state: ctx.breakUpload ? "open" : "uploaded",
      uploader: ctx.state.actor,
      createdAt: now,
      updatedAt: now,
    });
    repo.assets.set(asset.id, asset);
    return { status: 201, body: assetJson(ctx.state, repo, asset) };
  },

  "repos/list-release-assets": (ctx) => {
    const repo = repoOf(ctx);
    const release = releaseOf(repo, intParam(ctx, "release_id"));
    const assets = [...repo.assets.values()].filter((a) => a.releaseId === release.id);
    return paginate(ctx, assets, (a) => assetJson(ctx.state, repo, a));
  },

  "repos/get-release-asset": (ctx) => {
    const repo = repoOf(ctx);
    const asset = repo.assets.get(intParam(ctx, "asset_id"));
    if (!asset) throw notFound();
    if (String(ctx.headers.accept ?? "").includes("application/octet-stream")) {
      return { status: 302, headers: { location: assetDownloadUrl(ctx.state, repo, asset) } };
    }
    return { status: 200, body: assetJson(ctx.state, repo, asset) };
  },

  "repos/delete-release-asset": (ctx) => {
    const repo = repoOf(ctx);
    const asset = repo.assets.get(intParam(ctx, "asset_id"));
    if (!asset) throw notFound();
    repo.assets.delete(asset.id);
    ctx.state.removeFile(asset.path);
    return { status: 204 };
  },
};
