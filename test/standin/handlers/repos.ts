/** Repositories and pull requests. */
import {
  deploymentProtectionRulesJson,
  diffEntryJson,
  environmentJson,
  pullJson,
  repoJson,
  userJson,
} from "../fixtures";
import {
  GitHubHttpError,
  type HandlerContext,
  type HandlerTable,
  intParam,
  notFound,
  paginate,
  repoOf,
} from "../http";

function environmentOf(ctx: HandlerContext) {
  const repo = repoOf(ctx);
  const environment = repo.environments.get(String(ctx.params.environment_name).toLowerCase());
  // GitHub answers 404 for an environment that does not exist (a job naming it would create it unprotected).
  if (!environment) throw notFound();
  return { repo, environment };
}

export const repoHandlers: HandlerTable = {
  // An installation token (GITHUB_TOKEN, an app's token) is no user: GitHub answers 403.
  "users/get-authenticated": (ctx) => {
    const actor = ctx.state.user(ctx.state.actor);
    if (actor.type === "Bot") throw new GitHubHttpError(403, "Resource not accessible by integration");
    const created = "2020-01-01T00:00:00Z";
    return {
      status: 200,
      body: {
        ...userJson(ctx.state, actor.login),
        name: null,
        company: null,
        blog: null,
        location: null,
        email: null,
        hireable: null,
        bio: null,
        public_repos: 0,
        public_gists: 0,
        followers: 0,
        following: 0,
        created_at: created,
        updated_at: created,
      },
    };
  },

  "repos/get-environment": (ctx) => {
    const { repo, environment } = environmentOf(ctx);
    return { status: 200, body: environmentJson(ctx.state, repo, environment) };
  },

  "repos/get-all-deployment-protection-rules": (ctx) => {
    const { environment } = environmentOf(ctx);
    return { status: 200, body: deploymentProtectionRulesJson(ctx.state, environment) };
  },

  "repos/get": (ctx) => ({ status: 200, body: repoJson(ctx.state, repoOf(ctx), { full: true }) }),

  "pulls/get": (ctx) => {
    const repo = repoOf(ctx);
    const pull = repo.pulls.get(intParam(ctx, "pull_number"));
    if (!pull) throw notFound();
    return { status: 200, body: pullJson(ctx.state, repo, pull, { full: true }) };
  },

  "pulls/list": (ctx) => {
    const repo = repoOf(ctx);
    const wanted = String(ctx.params.state ?? "open");
    const head = ctx.params.head === undefined ? undefined : String(ctx.params.head);
    const base = ctx.params.base === undefined ? undefined : String(ctx.params.base);
    const pulls = [...repo.pulls.values()]
      .filter((p) => wanted === "all" || repo.issues.get(p.number)?.state === wanted)
      .filter((p) => !head || head === `${(p.headRepo ?? repo.owner).split("/")[0]}:${p.headRef}`)
      .filter((p) => !base || base === p.baseRef)
      .sort((a, b) => (ctx.params.direction === "asc" ? a.number - b.number : b.number - a.number));
    return paginate(ctx, pulls, (p) => pullJson(ctx.state, repo, p));
  },

  "pulls/list-files": (ctx) => {
    const repo = repoOf(ctx);
    const pull = repo.pulls.get(intParam(ctx, "pull_number"));
    if (!pull) throw notFound();
    return paginate(ctx, pull.files, (f) => diffEntryJson(ctx.state, repo, pull, f));
  },

  "repos/list-pull-requests-associated-with-commit": (ctx) => {
    const repo = repoOf(ctx);
    const sha = String(ctx.params.commit_sha);
    // As GitHub does: an open pull request whose head is the commit, and a merged one whose merge put the
    // commit on its base branch (the merge, the squash, or any of the rebased commits).
    const matches = (candidate: string) =>
      candidate === sha || (sha.length >= 7 && candidate.startsWith(sha));
    const pulls = [...repo.pulls.values()].filter((p) =>
      p.merged ? (p.mergedCommits ?? []).some(matches) : matches(p.headSha),
    );
    return paginate(ctx, pulls, (p) => pullJson(ctx.state, repo, p));
  },
};
