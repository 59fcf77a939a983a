/** Git references and annotated tag objects. */
import { gitRefJson, gitTagJson } from "../fixtures";
import { GitHubHttpError, type HandlerTable, bodyOf, notFound, repoOf, validationFailed } from "../http";
import { fakeSha } from "../state";

/** The `ref` path parameter omits the leading "refs/" ("tags/v1", "heads/main"). */
function fullRef(ref: unknown): string {
  const value = String(ref);
  return value.startsWith("refs/") ? value : `refs/${value}`;
}

export const gitHandlers: HandlerTable = {
  "git/create-tag": (ctx) => {
    const repo = repoOf(ctx);
    const body = bodyOf<{
      tag: string;
      message: string;
      object: string;
      type: string;
      tagger?: { name: string; email: string; date?: string };
    }>(ctx);
    const now = ctx.state.now();
    const sha = fakeSha(`tag:${repo.id}:${body.tag}:${body.object}:${body.message}:${now}`);
    const tag = {
      sha,
      tag: body.tag,
      message: body.message,
      objectSha: body.object,
      objectType: body.type,
      tagger: {
        name: body.tagger?.name ?? ctx.state.actor,
        email: body.tagger?.email ?? "41898282+github-actions[bot]@users.noreply.github.com",
        date: body.tagger?.date ?? now,
      },
    };
    repo.tagObjects.set(sha, tag);
    return {
      status: 201,
      body: gitTagJson(ctx.state, repo, tag),
      headers: { location: `${ctx.state.urls.api}/repos/${repo.owner}/${repo.name}/git/tags/${sha}` },
    };
  },

  "git/get-tag": (ctx) => {
    const repo = repoOf(ctx);
    const tag = repo.tagObjects.get(String(ctx.params.tag_sha));
    if (!tag) throw notFound();
    return { status: 200, body: gitTagJson(ctx.state, repo, tag) };
  },

  "git/create-ref": (ctx) => {
    const repo = repoOf(ctx);
    const body = bodyOf<{ ref: string; sha: string }>(ctx);
    if (!/^refs\/[^/]+\/.+/.test(body.ref)) {
      throw new GitHubHttpError(422, "Reference name must start with 'refs/' and have at least two slashes.");
    }
    if (repo.refs.has(body.ref)) throw new GitHubHttpError(422, "Reference already exists");
    repo.refs.set(body.ref, body.sha);
    return {
      status: 201,
      body: gitRefJson(ctx.state, repo, body.ref, body.sha),
      headers: { location: `${ctx.state.urls.api}/repos/${repo.owner}/${repo.name}/git/${body.ref}` },
    };
  },

  "git/get-ref": (ctx) => {
    const repo = repoOf(ctx);
    const ref = fullRef(ctx.params.ref);
    const sha = repo.refs.get(ref);
    if (!sha) throw notFound();
    return { status: 200, body: gitRefJson(ctx.state, repo, ref, sha) };
  },

  "git/update-ref": (ctx) => {
    const repo = repoOf(ctx);
    const ref = fullRef(ctx.params.ref);
    if (!repo.refs.has(ref)) throw validationFailed("Ref", "ref", "invalid", "Reference does not exist");
    const body = bodyOf<{ sha: string; force?: boolean }>(ctx);
    repo.refs.set(ref, body.sha);
    return { status: 200, body: gitRefJson(ctx.state, repo, ref, body.sha) };
  },

  "git/delete-ref": (ctx) => {
    const repo = repoOf(ctx);
    const ref = fullRef(ctx.params.ref);
    // Documented as a 422 without a body.
    if (!repo.refs.delete(ref)) throw new GitHubHttpError(422, "Reference does not exist");
    return { status: 204 };
  },

  "git/list-matching-refs": (ctx) => {
    const repo = repoOf(ctx);
    const prefix = fullRef(ctx.params.ref);
    const refs = [...repo.refs.entries()]
      .filter(([name]) => name.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    // The description gives this operation no per_page/page: GitHub answers with every match at once.
    return { status: 200, body: refs.map(([name, sha]) => gitRefJson(ctx.state, repo, name, sha)) };
  },
};
