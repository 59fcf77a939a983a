/**
 * Sticky comments: one comment per marker on a pull request or issue, updated in place run after run.
 * The marker is searched on every page of comments (CML only looks at the first), and a create that
 * fails with a 5xx is never blindly retried: GitHub may have created the comment before failing.
 */
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { type GitHubClient, httpStatusOf, isServerOrNetworkError, rethrowPermission } from "./client";

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
}

const MARKER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/;

/** The hidden HTML comment that identifies a gitml comment or issue body. */
export function markerComment(marker: string): string {
  if (!MARKER_PATTERN.test(marker) || marker.includes("--")) {
    throw new UserError(
      `invalid comment marker "${marker}": use letters, digits and . _ : / @ + - (no "--"), starting with a letter or digit`,
    );
  }
  return `<!-- gitml:${marker} -->`;
}

export function withMarker(marker: string, body: string): string {
  return `${markerComment(marker)}\n${body}`;
}

/** The oldest comment carrying the marker, reading every page (100 per page) until found. */
export async function findMarkedComment(options: {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  issueNumber: number;
  marker: string;
}): Promise<FoundComment | undefined> {
  const needle = markerComment(options.marker);
  const pages = options.octokit.paginate.iterator(options.octokit.rest.issues.listComments, {
    owner: options.owner,
    repo: options.repo,
    issue_number: options.issueNumber,
    per_page: 100,
  });
  for await (const page of pages) {
    const found = page.data.find((c) => c.body?.includes(needle));
    if (found) return found;
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
