/**
 * The pull-request run whose evaluation of one model produced the candidate a merge ships. Each model is
 * judged by its own job (a matrix leg `evaluate <model>`), not by the run's conclusion: another model's
 * failure must not block this one, and this one's failure must block it even when the run is re-run green
 * elsewhere. A run still going when the merge happens is waited for, within a bound.
 */
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { type GitHubClient, rethrowPermission } from "./client";

export interface EvaluationRun {
  runId: number;
  runUrl: string;
  runAttempt: number;
  /** The model's job in that run, when the workflow names its jobs as gitml's reusable workflow does. */
  job?: string;
}

export interface FindEvaluationRunOptions {
  octokit: GitHubClient;
  owner: string;
  repo: string;
  /** The workflow (file name or id) whose pull_request runs evaluate the models. */
  workflow: string;
  headSha: string;
  model: string;
  /** For messages, e.g. "PR #12". */
  pullLabel: string;
  logger: Logger;
  /** How long to wait for an evaluation still running (default 15 minutes; 0: do not wait). */
  waitMs?: number;
  /** Time between looks (default 20 s). */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** True for the model's evaluate job: `evaluate <model>`, or `<caller job> / evaluate <model>` when called. */
export function isEvaluateJobOf(jobName: string, model: string): boolean {
  const leg = `evaluate ${model}`;
  return jobName === leg || jobName.endsWith(` / ${leg}`);
}

type Look =
  | { kind: "found"; run: EvaluationRun }
  | { kind: "none" }
  | { kind: "running"; runUrl: string }
  | { kind: "failed"; runUrl: string; conclusion: string };

/** undefined when no run of the workflow evaluated this commit (the candidate is missing). */
export async function findEvaluationRun(
  options: FindEvaluationRunOptions,
): Promise<EvaluationRun | undefined> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const waitMs = options.waitMs ?? 15 * 60_000;
  const pollMs = options.pollMs ?? 20_000;
  const deadline = now() + waitMs;
  for (;;) {
    const look = await lookOnce(options);
    if (look.kind === "found") return look.run;
    if (look.kind === "none") return undefined;
    if (look.kind === "failed") {
      throw new UserError(
        `the evaluation of ${options.model} for ${options.pullLabel} ended "${look.conclusion}" (${look.runUrl}): there is no passing reviewed candidate to release. Re-run that evaluation (or push a fix and merge it), then re-run this job.`,
      );
    }
    if (now() + pollMs > deadline) {
      throw new UserError(
        `the evaluation of ${options.model} for ${options.pullLabel} has not finished after ${Math.round(waitMs / 60_000)} minute(s) (${look.runUrl}): the pull request was merged before its run was done. Once that run has finished, re-run this job.`,
      );
    }
    options.logger.info(
      `waiting for the evaluation of ${options.model} for ${options.pullLabel} to finish (${look.runUrl})`,
    );
    await sleep(pollMs);
  }
}

async function lookOnce(options: FindEvaluationRunOptions): Promise<Look> {
  const { octokit, owner, repo } = options;
  try {
    const { data } = await octokit.rest.actions.listWorkflowRuns({
      owner,
      repo,
      workflow_id: options.workflow,
      head_sha: options.headSha,
      per_page: 20,
    });
    // Newest first: the run whose report the reviewers saw last.
    const runs = data.workflow_runs
      .filter((r) => r.event === "pull_request" || r.event === "pull_request_target")
      .sort((a, b) => b.id - a.id);
    for (const run of runs) {
      const { data: listed } = await octokit.rest.actions.listJobsForWorkflowRun({
        owner,
        repo,
        run_id: run.id,
        filter: "latest",
        per_page: 100,
      });
      const job = listed.jobs.find((j) => isEvaluateJobOf(j.name, options.model));
      const evaluation = {
        runId: run.id,
        runUrl: run.html_url,
        runAttempt: run.run_attempt ?? 1,
        job: job?.name,
      };
      if (job) {
        if (job.status !== "completed") return { kind: "running", runUrl: run.html_url };
        if (job.conclusion === "success") return { kind: "found", run: evaluation };
        if (job.conclusion === "skipped") continue; // this run did not evaluate the model
        return { kind: "failed", runUrl: run.html_url, conclusion: job.conclusion ?? "unknown" };
      }
      // A workflow of the user's own, whose jobs gitml cannot recognise: the run's result decides.
      if (run.status !== "completed") return { kind: "running", runUrl: run.html_url };
      if (run.conclusion === "success") return { kind: "found", run: evaluation };
      return { kind: "failed", runUrl: run.html_url, conclusion: run.conclusion ?? "unknown" };
    }
    return { kind: "none" };
  } catch (error) {
    rethrowPermission(error, `list the runs of ${options.workflow} in ${owner}/${repo}`, "actions: read");
  }
}
