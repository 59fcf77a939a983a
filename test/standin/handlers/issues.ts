/** Issues, issue comments and labels. */
import { commentJson, issueJson, labelJson } from "../fixtures";
import { GitHubHttpError, type HandlerTable, bodyOf, intParam, notFound, paginate, repoOf } from "../http";
import type { IssueRecord, RepoRecord, StandinState } from "../state";

function issueOf(repo: RepoRecord, number: number): IssueRecord {
  const issue = repo.issues.get(number);
  if (!issue) throw notFound();
  return issue;
}

function labelNames(
  state: StandinState,
  repo: RepoRecord,
  labels: Array<string | { name?: string }>,
): string[] {
  const names = labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))).filter((n) => n !== "");
  for (const name of names) state.ensureLabel(repo, name);
  return [...new Set(names)];
}

export const issueHandlers: HandlerTable = {
  "issues/create": (ctx) => {
    const repo = repoOf(ctx);
    const body = bodyOf<{
      title: string | number;
      body?: string | null;
      labels?: Array<string | { name?: string }>;
    }>(ctx);
    const issue = ctx.state.createIssue(repo, {
      title: String(body.title),
      body: body.body ?? null,
      labels: labelNames(ctx.state, repo, body.labels ?? []),
      isPull: false,
    });
    return { status: 201, body: issueJson(ctx.state, repo, issue) };
  },

  "issues/get": (ctx) => {
    const repo = repoOf(ctx);
    return { status: 200, body: issueJson(ctx.state, repo, issueOf(repo, intParam(ctx, "issue_number"))) };
  },

  "issues/update": (ctx) => {
    const repo = repoOf(ctx);
    const issue = issueOf(repo, intParam(ctx, "issue_number"));
    const body = bodyOf<{
      title?: string | number | null;
      body?: string | null;
      state?: "open" | "closed";
      state_reason?: "completed" | "not_planned" | "reopened" | "duplicate" | null;
      labels?: Array<string | { name?: string }>;
    }>(ctx);
    if (body.title !== undefined && body.title !== null) issue.title = String(body.title);
    if (body.body !== undefined) issue.body = body.body;
    if (body.labels !== undefined) issue.labels = labelNames(ctx.state, repo, body.labels);
    issue.updatedAt = ctx.state.now();
    if (body.state === "closed" && issue.state === "open") {
      issue.state = "closed";
      issue.stateReason = body.state_reason === "not_planned" ? "not_planned" : "completed";
      issue.closedAt = issue.updatedAt;
    } else if (body.state === "open" && issue.state === "closed") {
      issue.state = "open";
      issue.stateReason = "reopened";
      issue.closedAt = null;
    }
    return { status: 200, body: issueJson(ctx.state, repo, issue) };
  },

  "issues/list-for-repo": (ctx) => {
    const repo = repoOf(ctx);
    const state = String(ctx.params.state ?? "open");
    const labels = ctx.params.labels
      ? String(ctx.params.labels)
          .split(",")
          .map((l) => l.trim().toLowerCase())
          .filter(Boolean)
      : [];
    const ascending = ctx.params.direction === "asc";
    const issues = [...repo.issues.values()]
      .filter((i) => state === "all" || i.state === state)
      .filter((i) => labels.every((l) => i.labels.some((have) => have.toLowerCase() === l)))
      .sort((a, b) => (ascending ? a.number - b.number : b.number - a.number));
    return paginate(ctx, issues, (i) => issueJson(ctx.state, repo, i));
  },

  "issues/list-comments": (ctx) => {
    const repo = repoOf(ctx);
    const issue = issueOf(repo, intParam(ctx, "issue_number"));
    return paginate(ctx, ctx.state.commentsOf(repo, issue.number), (c) => commentJson(ctx.state, repo, c));
  },

  "issues/create-comment": (ctx) => {
    const repo = repoOf(ctx);
    const issue = issueOf(repo, intParam(ctx, "issue_number"));
    const comment = ctx.state.createComment(repo, issue.number, bodyOf<{ body: string }>(ctx).body);
    return {
      status: 201,
      body: commentJson(ctx.state, repo, comment),
      headers: {
        location: `${ctx.state.urls.api}/repos/${repo.owner}/${repo.name}/issues/comments/${comment.id}`,
      },
    };
  },

  "issues/get-comment": (ctx) => {
    const repo = repoOf(ctx);
    const comment = repo.comments.get(intParam(ctx, "comment_id"));
    if (!comment) throw notFound();
    return { status: 200, body: commentJson(ctx.state, repo, comment) };
  },

  "issues/update-comment": (ctx) => {
    const repo = repoOf(ctx);
    const comment = repo.comments.get(intParam(ctx, "comment_id"));
    if (!comment) throw notFound();
    comment.body = bodyOf<{ body: string }>(ctx).body;
    comment.updatedAt = ctx.state.now();
    return { status: 200, body: commentJson(ctx.state, repo, comment) };
  },

  "issues/delete-comment": (ctx) => {
    const repo = repoOf(ctx);
    if (!repo.comments.delete(intParam(ctx, "comment_id"))) throw notFound();
    return { status: 204 };
  },

  "issues/add-labels": (ctx) => {
    const repo = repoOf(ctx);
    const issue = issueOf(repo, intParam(ctx, "issue_number"));
    const body = ctx.body as
      string[] | { labels?: Array<string | { name: string }> } | Array<{ name: string }> | string | undefined;
    let requested: Array<string | { name?: string }>;
    if (typeof body === "string") requested = [body];
    else if (Array.isArray(body)) requested = body;
    else requested = body?.labels ?? [];
    if (requested.length === 0)
      throw new GitHubHttpError(422, "Validation Failed", [{ code: "missing_field", field: "labels" }]);
    issue.labels = [...new Set([...issue.labels, ...labelNames(ctx.state, repo, requested)])];
    issue.updatedAt = ctx.state.now();
    return {
      status: 200,
      body: issue.labels.map((n) => labelJson(ctx.state, repo, ctx.state.ensureLabel(repo, n))),
    };
  },
};
