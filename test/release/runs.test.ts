/**
 * Which pull-request run holds a model's reviewed candidate: judged by the model's own job (jobs API),
 * re-runs included, and waited for when the merge came first. Against the OpenAPI-validated stand-in.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { findEvaluationRun, isEvaluateJobOf } from "../../src/github/runs";
import { isUserError } from "../../src/util/errors";
import { silentLogger } from "../../src/util/logger";
import { useStandin } from "../standin";
import type { RepoRecord, WorkflowRunRecord } from "../standin/state";
import { OWNER, REPO, octokitFor } from "./helpers";

const HEAD = "a".repeat(40);

describe("finding the evaluation run of a model", () => {
  const standin = useStandin();
  let ghRepo: RepoRecord;

  beforeEach(() => {
    ghRepo = standin.current.state.seedRepo({ owner: OWNER, name: REPO });
  });

  function prRun(status: WorkflowRunRecord["status"] = "completed", conclusion: string | null = "success") {
    return standin.current.state.seedWorkflowRun(ghRepo, {
      workflowFile: "gitml-pr.yml",
      headSha: HEAD,
      headBranch: "feature",
      event: "pull_request",
      status,
      conclusion,
    });
  }

  function find(extra: { waitMs?: number; sleep?: (ms: number) => Promise<void>; now?: () => number } = {}) {
    return findEvaluationRun({
      octokit: octokitFor(standin.current),
      owner: OWNER,
      repo: REPO,
      workflow: "gitml-pr.yml",
      headSha: HEAD,
      model: "churn",
      pullLabel: "PR #7",
      logger: silentLogger,
      pollMs: 1000,
      waitMs: 0,
      ...extra,
    });
  }

  it("recognises the model's job by gitml's names, called or not", () => {
    expect(isEvaluateJobOf("gitml / evaluate churn", "churn")).toBe(true);
    expect(isEvaluateJobOf("evaluate churn", "churn")).toBe(true);
    expect(isEvaluateJobOf("gitml / evaluate churn-v2", "churn")).toBe(false);
    expect(isEvaluateJobOf("gitml / evaluate dir:churn", "churn")).toBe(false);
  });

  it("another model's failed job does not block this one; this one's failure does", async () => {
    const run = prRun("completed", "failure");
    standin.current.state.seedJob(run, { name: "gitml / changed models" });
    standin.current.state.seedJob(run, { name: "gitml / evaluate churn" });
    standin.current.state.seedJob(run, { name: "gitml / evaluate fraud", conclusion: "failure" });
    standin.current.resetCalls();
    expect(await find()).toMatchObject({ runId: run.id, job: "gitml / evaluate churn" });
    // One call for the runs, one for the jobs of the run.
    expect(standin.current.calls.total).toBe(2);

    run.jobs[1]!.conclusion = "failure";
    const refused = await find().catch((e: unknown) => e);
    expect(isUserError(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/evaluation of churn for PR #7 ended "failure".*Re-run/);
  });

  it("a re-run's latest attempt decides, and a run that skipped the model leaves it to an older one", async () => {
    const older = prRun();
    standin.current.state.seedJob(older, { name: "gitml / evaluate churn" });
    const rerun = prRun("completed", "success");
    standin.current.state.seedJob(rerun, { name: "gitml / evaluate churn", conclusion: "failure" });
    rerun.runAttempt = 2;
    standin.current.state.seedJob(rerun, { name: "gitml / evaluate churn" });
    expect(await find()).toMatchObject({ runId: rerun.id, runAttempt: 2 });

    const skipping = prRun();
    standin.current.state.seedJob(skipping, { name: "gitml / evaluate churn", conclusion: "skipped" });
    expect((await find())?.runId).toBe(rerun.id);
  });

  it("waits for an evaluation still running when the merge came first, within a bound", async () => {
    const run = prRun("in_progress", null);
    const job = standin.current.state.seedJob(run, { name: "gitml / evaluate churn", status: "in_progress" });
    let clock = 0;
    let naps = 0;
    const found = await find({
      waitMs: 60_000,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
        if (++naps === 3) {
          job.status = "completed";
          job.conclusion = "success";
        }
      },
    });
    expect(found?.runId).toBe(run.id);
    expect(naps).toBe(3);

    job.status = "in_progress";
    job.conclusion = null;
    clock = 0;
    const gaveUp = await find({
      waitMs: 5_000,
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
    }).catch((e: unknown) => e);
    expect(isUserError(gaveUp)).toBe(true);
    expect((gaveUp as Error).message).toMatch(
      /has not finished after .*merged before its run was done.*re-run this job/,
    );
    expect((gaveUp as Error).message).toContain(`/actions/runs/${run.id}`);
  });

  it("no run at all: nothing to ship (the caller refuses or retrains); a push run is not an evaluation", async () => {
    standin.current.state.seedWorkflowRun(ghRepo, {
      workflowFile: "gitml-pr.yml",
      headSha: HEAD,
      event: "push",
    });
    expect(await find()).toBeUndefined();
  });

  it("a workflow of the user's own, with jobs gitml does not name: the run's result decides", async () => {
    const run = prRun("completed", "success");
    standin.current.state.seedJob(run, { name: "build and evaluate" });
    expect((await find())?.runId).toBe(run.id);
    run.conclusion = "failure";
    expect(await find().catch((e: unknown) => (e as Error).message)).toMatch(/ended "failure"/);
  });
});
