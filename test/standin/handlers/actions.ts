/** GitHub Actions: workflow runs, artifacts and dispatches. */
import { artifactJson, jobJson, workflowRunJson } from "../fixtures";
import {
  GitHubHttpError,
  type HandlerContext,
  type HandlerTable,
  bodyOf,
  intParam,
  notFound,
  paginateWrapped,
  repoOf,
} from "../http";
import type { ArtifactRecord } from "../state";

/**
 * Where an artifact's zip can be downloaded: a fresh signed blob URL, registered by the artifact
 * results-service stand-in (test/standin/artifacts) when it finalizes an upload. Seeded artifacts have none.
 */
export const artifactArchives = new WeakMap<ArtifactRecord, () => string>();

function artifactOf(ctx: HandlerContext): { repo: ReturnType<typeof repoOf>; artifact: ArtifactRecord } {
  const repo = repoOf(ctx);
  const artifact = repo.artifacts.find((a) => a.id === intParam(ctx, "artifact_id"));
  if (!artifact) throw notFound();
  return { repo, artifact };
}

export const actionsHandlers: HandlerTable = {
  "actions/list-workflow-runs": (ctx) => {
    const repo = repoOf(ctx);
    const workflow = String(ctx.params.workflow_id);
    const runs = repo.workflowRuns
      .filter((r) => r.workflowFile === workflow || String(r.workflowId) === workflow)
      .filter((r) => ctx.params.head_sha === undefined || r.headSha === ctx.params.head_sha)
      .filter((r) => ctx.params.branch === undefined || r.headBranch === ctx.params.branch)
      .filter((r) => ctx.params.event === undefined || r.event === ctx.params.event)
      .filter(
        (r) =>
          ctx.params.status === undefined ||
          r.status === ctx.params.status ||
          r.conclusion === ctx.params.status,
      )
      .sort((a, b) => b.id - a.id);
    return paginateWrapped(ctx, runs, "workflow_runs", (r) => workflowRunJson(ctx.state, repo, r));
  },

  "actions/list-jobs-for-workflow-run": (ctx) => {
    const repo = repoOf(ctx);
    const run = repo.workflowRuns.find((r) => r.id === intParam(ctx, "run_id"));
    if (!run) throw notFound();
    // "latest" (the default): the jobs of the most recent attempt.
    const jobs = run.jobs.filter((j) => ctx.params.filter === "all" || j.runAttempt === run.runAttempt);
    return paginateWrapped(ctx, jobs, "jobs", (j) => jobJson(ctx.state, repo, run, j));
  },

  "actions/list-workflow-run-artifacts": (ctx) => {
    const repo = repoOf(ctx);
    const runId = intParam(ctx, "run_id");
    if (!repo.workflowRuns.some((r) => r.id === runId)) throw notFound();
    const artifacts = repo.artifacts
      .filter((a) => a.runId === runId)
      .filter((a) => ctx.params.name === undefined || a.name === ctx.params.name);
    return paginateWrapped(ctx, artifacts, "artifacts", (a) => artifactJson(ctx.state, repo, a));
  },

  "actions/get-artifact": (ctx) => {
    const { repo, artifact } = artifactOf(ctx);
    return { status: 200, body: artifactJson(ctx.state, repo, artifact) };
  },

  "actions/download-artifact": (ctx) => {
    const { artifact } = artifactOf(ctx);
    if (ctx.params.archive_format !== "zip") throw notFound();
    const signedUrl = artifactArchives.get(artifact);
    // GitHub answers 410 Gone for an artifact whose content no longer exists.
    if (!signedUrl) throw new GitHubHttpError(410, "Artifact has expired");
    return { status: 302, headers: { location: signedUrl() } };
  },

  "actions/create-workflow-dispatch": (ctx) => {
    const repo = repoOf(ctx);
    const body = bodyOf<{ ref: string; inputs?: Record<string, unknown> }>(ctx);
    repo.dispatches.push({
      kind: "workflow",
      workflow: String(ctx.params.workflow_id),
      ref: body.ref,
      inputs: body.inputs,
    });
    return { status: 204 };
  },

  "repos/create-dispatch-event": (ctx) => {
    const repo = repoOf(ctx);
    const body = bodyOf<{ event_type: string; client_payload?: Record<string, unknown> }>(ctx);
    repo.dispatches.push({
      kind: "repository",
      eventType: body.event_type,
      clientPayload: body.client_payload,
    });
    return { status: 204 };
  },
};
