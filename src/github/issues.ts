/**
 * Alert issues: one open issue per model, found by a hidden marker in its body. An alert opens it (or
 * comments on it while it stays open); recovery comments and closes it.
 */
import type { Logger } from "../util/logger";
import { type GitHubClient, isServerOrNetworkError, rethrowPermission } from "./client";
import { markerComment, withMarker } from "./comments";

export interface AlertIssueOptions {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  /** The model the alert is about; one issue per model. */
  model: string;
  /** True while the model is in alert (drift, failing gates); false once it has recovered. */
  alerting: boolean;
  /** Title and body for a newly opened issue. */
  title: string;
  body: string;
  /** Comment added on each alerting run while the issue stays open. */
  comment: string;
  /** Comment added when closing on recovery. */
  recoveryComment?: string;
  /** Labels put on a new issue; the first is the one open issues are searched by (default ["gitml"]). */
  labels?: string[];
  logger?: Logger;
}

export type AlertIssueAction = "opened" | "commented" | "closed" | "none";

export interface AlertIssueResult {
  action: AlertIssueAction;
  issueNumber?: number;
  url?: string;
}

interface FoundIssue {
  number: number;
  html_url: string;
}

function alertMarker(model: string): string {
  return `alert:${model}`;
}

async function findOpenAlertIssue(
  octokit: GitHubClient,
  owner: string,
  repo: string,
  model: string,
  label: string,
): Promise<FoundIssue | undefined> {
  const needle = markerComment(alertMarker(model));
  const pages = octokit.paginate.iterator(octokit.rest.issues.listForRepo, {
    owner,
    repo,
    state: "open",
    labels: label,
    per_page: 100,
  });
  for await (const page of pages) {
    const found = page.data.find((issue) => !issue.pull_request && issue.body?.includes(needle));
    if (found) return found;
  }
  return undefined;
}

export async function upsertAlertIssue(options: AlertIssueOptions): Promise<AlertIssueResult> {
  const { octokit, owner, repo, model, logger } = options;
  const labels = options.labels && options.labels.length > 0 ? options.labels : ["gitml"];
  const find = () => findOpenAlertIssue(octokit, owner, repo, model, labels[0]);
  try {
    const open = await find();
    if (options.alerting && open) {
      await octokit.rest.issues.createComment({
        owner,
        repo,
        issue_number: open.number,
        body: options.comment,
      });
      return { action: "commented", issueNumber: open.number, url: open.html_url };
    }
    if (options.alerting) {
      const body = withMarker(alertMarker(model), options.body);
      for (let attempt = 1; ; attempt++) {
        try {
          // Not retried blindly: a 5xx may have opened the issue anyway; look before trying again.
          const { data } = await octokit.rest.issues.create({
            owner,
            repo,
            title: options.title,
            body,
            labels,
            request: { retries: 0 },
          });
          return { action: "opened", issueNumber: data.number, url: data.html_url };
        } catch (error) {
          if (!isServerOrNetworkError(error) || attempt >= 4) throw error;
          logger?.warning(
            `Opening the alert issue for ${model} failed; checking whether it was opened before retrying.`,
          );
          const landed = await find();
          if (landed) return { action: "opened", issueNumber: landed.number, url: landed.html_url };
        }
      }
    }
    if (!open) return { action: "none" };
    if (options.recoveryComment) {
      await octokit.rest.issues.createComment({
        owner,
        repo,
        issue_number: open.number,
        body: options.recoveryComment,
      });
    }
    await octokit.rest.issues.update({
      owner,
      repo,
      issue_number: open.number,
      state: "closed",
      state_reason: "completed",
    });
    return { action: "closed", issueNumber: open.number, url: open.html_url };
  } catch (error) {
    rethrowPermission(error, `update the alert issue for ${model} in ${owner}/${repo}`, "issues: write");
  }
}
