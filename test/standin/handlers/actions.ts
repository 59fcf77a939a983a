/** GitHub Actions: workflow runs, artifacts and dispatches. */
import { artifactJson, workflowRunJson } from "../fixtures";
import { type HandlerTable, bodyOf, intParam, notFound, paginateWrapped, repoOf } from "../http";

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

  "actions/list-workflow-run-artifacts": (ctx) => {
    const repo = repoOf(ctx);
    const runId = intParam(ctx, "run_id");
    if (!repo.workflowRuns.some((r) => r.id === runId)) throw notFound();
    const artifacts = repo.artifacts
      .filter((a) => a.runId === runId)
      .filter((a) => ctx.params.name === undefined || a.name === ctx.params.name);
    return paginateWrapped(ctx, artifacts, "artifacts", (a) => artifactJson(ctx.state, repo, a));
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
