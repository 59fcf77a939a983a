/** Check runs and commit statuses. */
import { checkRunJson, statusJson } from "../fixtures";
import {
  type HandlerTable,
  bodyOf,
  intParam,
  notFound,
  paginateWrapped,
  repoOf,
  validationFailed,
} from "../http";
import type { CheckRunRecord } from "../state";

interface CheckRunBody {
  name?: string;
  head_sha?: string;
  details_url?: string;
  external_id?: string;
  status?: CheckRunRecord["status"];
  conclusion?: NonNullable<CheckRunRecord["conclusion"]>;
  started_at?: string;
  completed_at?: string;
  output?: { title?: string; summary?: string; text?: string; annotations?: unknown[] };
}

const MAX_ANNOTATIONS_PER_REQUEST = 50;

function applyCheckRunBody(run: CheckRunRecord, body: CheckRunBody, now: string): void {
  if (body.name !== undefined) run.name = body.name;
  if (body.details_url !== undefined) run.detailsUrl = body.details_url;
  if (body.external_id !== undefined) run.externalId = body.external_id;
  if (body.started_at !== undefined) run.startedAt = body.started_at;
  if (body.status !== undefined) run.status = body.status;
  if (body.conclusion !== undefined) {
    // GitHub marks a run completed as soon as it has a conclusion.
    run.conclusion = body.conclusion;
    run.status = "completed";
  }
  if (run.status === "completed") run.completedAt = body.completed_at ?? run.completedAt ?? now;
  if (body.output) {
    const annotations = body.output.annotations ?? [];
    if (annotations.length > MAX_ANNOTATIONS_PER_REQUEST) {
      throw validationFailed(
        "CheckRun",
        "annotations",
        "invalid",
        "Only 50 annotations may be sent per request",
      );
    }
    run.output = {
      title: body.output.title ?? run.output.title,
      summary: body.output.summary ?? run.output.summary,
      text: body.output.text ?? run.output.text,
    };
    run.annotations.push(...annotations);
  }
}

export const checkHandlers: HandlerTable = {
  "checks/create": (ctx) => {
    const repo = repoOf(ctx);
    const body = bodyOf<CheckRunBody>(ctx);
    if (body.status === "completed" && body.conclusion === undefined) {
      throw validationFailed("CheckRun", "conclusion", "missing_field");
    }
    const now = ctx.state.now();
    const run: CheckRunRecord = {
      id: ctx.state.nextId(),
      name: String(body.name),
      headSha: String(body.head_sha),
      status: "queued",
      conclusion: null,
      detailsUrl: null,
      externalId: null,
      startedAt: now,
      completedAt: null,
      output: { title: null, summary: null, text: null },
      annotations: [],
    };
    applyCheckRunBody(run, body, now);
    repo.checkRuns.set(run.id, run);
    return { status: 201, body: checkRunJson(ctx.state, repo, run) };
  },

  "checks/update": (ctx) => {
    const repo = repoOf(ctx);
    const run = repo.checkRuns.get(intParam(ctx, "check_run_id"));
    if (!run) throw notFound();
    applyCheckRunBody(run, bodyOf<CheckRunBody>(ctx), ctx.state.now());
    return { status: 200, body: checkRunJson(ctx.state, repo, run) };
  },

  // GitHub resolves the ref to a commit; the stand-in's records hold shas, so a full or abbreviated sha matches.
  "checks/list-for-ref": (ctx) => {
    const repo = repoOf(ctx);
    const ref = String(ctx.params.ref);
    const sha = repo.refs.get(ref.startsWith("refs/") ? ref : `refs/heads/${ref}`) ?? ref;
    let runs = [...repo.checkRuns.values()]
      .filter((r) => r.headSha.startsWith(sha))
      .filter((r) => ctx.params.check_name === undefined || r.name === ctx.params.check_name)
      .filter((r) => ctx.params.status === undefined || r.status === ctx.params.status)
      .filter((r) => ctx.params.app_id === undefined || (r.app?.id ?? 15368) === Number(ctx.params.app_id))
      .sort((a, b) => b.id - a.id);
    if (ctx.params.filter !== "all") {
      // "latest" (the default): the most recent run of each name (and app).
      const seen = new Set<string>();
      runs = runs.filter((r) => {
        const key = `${r.name}\u0000${r.app?.slug ?? "github-actions"}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
    return paginateWrapped(ctx, runs, "check_runs", (r) => checkRunJson(ctx.state, repo, r));
  },

  "repos/create-commit-status": (ctx) => {
    const repo = repoOf(ctx);
    const body = bodyOf<{
      state: "error" | "failure" | "pending" | "success";
      target_url?: string | null;
      description?: string | null;
      context?: string;
    }>(ctx);
    const status = {
      id: ctx.state.nextId(),
      sha: String(ctx.params.sha),
      state: body.state,
      context: body.context ?? "default",
      description: body.description ?? null,
      targetUrl: body.target_url ?? null,
      creator: ctx.state.actor,
      createdAt: ctx.state.now(),
    };
    repo.statuses.push(status);
    return { status: 201, body: statusJson(ctx.state, repo, status) };
  },
};
