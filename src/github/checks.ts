/**
 * Check runs with a conclusion, a summary and file:line annotations. GitHub takes at most 50 annotations
 * per request, so the first 50 go with the create and the rest follow in updates of 50.
 */
import { type GitHubClient, rethrowPermission } from "./client";

export const ANNOTATIONS_PER_REQUEST = 50;

export type CheckConclusion =
  "success" | "failure" | "neutral" | "cancelled" | "skipped" | "timed_out" | "action_required";

export interface CheckAnnotation {
  path: string;
  line: number;
  endLine?: number;
  level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
}

export interface CreateCheckRunOptions {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  name: string;
  headSha: string;
  conclusion: CheckConclusion;
  title: string;
  summary: string;
  text?: string;
  annotations?: CheckAnnotation[];
  detailsUrl?: string;
}

export interface CheckRunResult {
  id: number;
  url: string;
  /** Requests made: one create plus one update per further batch of 50 annotations. */
  requests: number;
}

function toGitHub(a: CheckAnnotation) {
  return {
    path: a.path,
    start_line: a.line,
    end_line: a.endLine ?? a.line,
    annotation_level: a.level,
    message: a.message,
    ...(a.title ? { title: a.title } : {}),
  };
}

export async function createCheckRun(options: CreateCheckRunOptions): Promise<CheckRunResult> {
  const { octokit, owner, repo } = options;
  const batches: CheckAnnotation[][] = [];
  const annotations = options.annotations ?? [];
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) {
    batches.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  }
  const output = (batch: CheckAnnotation[] | undefined) => ({
    title: options.title,
    summary: options.summary,
    ...(options.text ? { text: options.text } : {}),
    ...(batch ? { annotations: batch.map(toGitHub) } : {}),
  });
  try {
    // With more than one batch the run stays in progress until the last batch carries the conclusion.
    const single = batches.length <= 1;
    const { data } = await octokit.rest.checks.create({
      owner,
      repo,
      name: options.name,
      head_sha: options.headSha,
      ...(options.detailsUrl ? { details_url: options.detailsUrl } : {}),
      ...(single
        ? { status: "completed" as const, conclusion: options.conclusion }
        : { status: "in_progress" as const }),
      output: output(batches[0]),
    });
    for (let i = 1; i < batches.length; i++) {
      const last = i === batches.length - 1;
      await octokit.rest.checks.update({
        owner,
        repo,
        check_run_id: data.id,
        ...(last ? { status: "completed" as const, conclusion: options.conclusion } : {}),
        output: output(batches[i]),
      });
    }
    return { id: data.id, url: data.html_url ?? data.url, requests: Math.max(batches.length, 1) };
  } catch (error) {
    rethrowPermission(error, `create the "${options.name}" check run in ${owner}/${repo}`, "checks: write");
  }
}
