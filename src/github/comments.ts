/**
 * Sticky comments: one comment per marker on a pull request or issue, updated in place run after run.
 * The marker is searched on every page of comments (CML only looks at the first), and a create that
 * fails with a 5xx is never blindly retried: GitHub may have created the comment before failing.
 *
 * Only a comment nobody but gitml's token can edit counts as the sticky one: one written by a GitHub App
 * (GITHUB_TOKEN writes as `github-actions[bot]`; an app token as `<app>[bot]`) or by the token's own user.
 * A person posting the marker first would otherwise own "the report" and could edit it to ✅ later.
 */
import { markerComment } from "../report/format";
import type { Logger } from "../util/logger";
import { type GitHubClient, httpStatusOf, isServerOrNetworkError, rethrowPermission } from "./client";

export { markerComment } from "../report/format";

export interface StickyCommentOptions {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  issueNumber: number;
  /** Identifies the comment among others, e.g. "report:churn". */
  marker: string;
  body: string;
  logger?: Logger;
  /** Create attempts after a 5xx before giving up (default 4). */
  maxCreateAttempts?: number;
}

export interface StickyCommentResult {
  id: number;
  url: string;
  created: boolean;
}

interface FoundComment {
  id: number;
  html_url: string;
  body?: string;
  user?: { login: string; type: string } | null;
}

export function withMarker(marker: string, body: string): string {
  return `${markerComment(marker)}\n${body}`;
}

/**
 * Who the token acts as: a user's login (a personal or OAuth token), or `app` for an installation token
 * (GITHUB_TOKEN, an app's token), for which GitHub refuses `GET /user` with 403.
 */
type TokenIdentity = { kind: "user"; login: string } | { kind: "app" };

async function tokenIdentity(octokit: GitHubClient): Promise<TokenIdentity> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    return { kind: "user", login: data.login };
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 403 || status === 401) return { kind: "app" };
    throw error;
  }
}

/**
 * The oldest comment carrying the marker that gitml's token wrote, reading every page (100 per page)
 * until found. A comment by a GitHub App (a bot account: nobody opening a pull request can edit it)
 * counts at once; one by a user counts only when it is the token's own user, which costs one
 * `GET /user`, asked only when such a comment turns up.
 */
export async function findMarkedComment(options: {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  issueNumber: number;
  marker: string;
  logger?: Logger;
}): Promise<FoundComment | undefined> {
  const needle = markerComment(options.marker);
  let identity: Promise<TokenIdentity> | undefined;
  const ours = async (comment: FoundComment): Promise<boolean> => {
    if (comment.user?.type === "Bot") return true;
    identity ??= tokenIdentity(options.octokit);
    const me = await identity;
    const mine = me.kind === "user" && comment.user?.login.toLowerCase() === me.login.toLowerCase();
    if (!mine)
      options.logger?.warning(
        `Ignoring comment ${comment.html_url}: it carries gitml's ${options.marker} marker but was written by ${comment.user?.login ?? "a deleted account"}, not by gitml's token.`,
      );
    return mine;
  };
  const pages = options.octokit.paginate.iterator(options.octokit.rest.issues.listComments, {
    owner: options.owner,
    repo: options.repo,
    issue_number: options.issueNumber,
    per_page: 100,
  });
  for await (const page of pages) {
    for (const comment of page.data) {
      if (comment.body?.includes(needle) && (await ours(comment))) return comment;
    }
  }
  return undefined;
}

export async function upsertStickyComment(options: StickyCommentOptions): Promise<StickyCommentResult> {
  const { octokit, owner, repo, issueNumber, logger } = options;
  const body = withMarker(options.marker, options.body);
  const where = { owner, repo, issue_number: issueNumber };
  const action = `comment on #${issueNumber} of ${owner}/${repo}`;
  const permission = "pull-requests: write (or issues: write)";
  try {
    const existing = await findMarkedComment(options);
    if (existing) return await updateOrRecreate(existing, false);
    const maxAttempts = options.maxCreateAttempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      try {
        // No automatic retry: a POST that failed with a 5xx may have created the comment anyway.
        const { data } = await octokit.rest.issues.createComment({ ...where, body, request: { retries: 0 } });
        return { id: data.id, url: data.html_url, created: true };
      } catch (error) {
        if (!isServerOrNetworkError(error) || attempt >= maxAttempts) throw error;
        logger?.warning(
          `Creating the ${options.marker} comment failed (${describe(error)}); checking whether it was created before retrying.`,
        );
        const landed = await findMarkedComment(options);
        if (landed) return await updateOrRecreate(landed, true);
      }
    }
  } catch (error) {
    rethrowPermission(error, action, permission);
  }

  async function updateOrRecreate(comment: FoundComment, created: boolean): Promise<StickyCommentResult> {
    if (comment.body === body) return { id: comment.id, url: comment.html_url, created };
    try {
      const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: comment.id, body });
      return { id: data.id, url: data.html_url, created };
    } catch (error) {
      // Deleted between listing and updating: start over with a new comment.
      if (httpStatusOf(error) !== 404) throw error;
      const { data } = await octokit.rest.issues.createComment({ ...where, body, request: { retries: 0 } });
      return { id: data.id, url: data.html_url, created: true };
    }
  }
}

function describe(error: unknown): string {
  const status = httpStatusOf(error);
  return status === undefined ? String(error) : `HTTP ${status}`;
}
