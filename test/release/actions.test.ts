/**
 * The register and promote actions, run from their bundles as the runner runs them, after the evaluate
 * action uploaded the PR's candidate: the cross-run download goes through @actions/artifact for real.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBed, REPOSITORY, TOKEN, type Bed } from "../action/setup";
import { git, runCli } from "../helpers/repo";
import { pointPayloadAt, runActionBundle, webhookPayload, type ActionRun } from "../runner/run-action";
import { useStandin } from "../standin";
import { storeFor } from "./helpers";

describe("actions/register and actions/promote", () => {
  const standin = useStandin();
  let bed: Bed;
  let scratch: string;

  beforeEach(async () => {
    bed = await createBed(standin.current);
    scratch = path.join(bed.repo.root, "scratch");
    await fs.mkdir(scratch);
  });
  afterEach(async () => {
    await bed.cleanup();
  });

  function runMergeAction(name: "register" | "promote", inputs: Record<string, string>): Promise<ActionRun> {
    const sha = git(bed.repo.work, ["rev-parse", "HEAD"]);
    const runId = standin.current.state.seedWorkflowRun(bed.ghRepo, {
      workflowFile: "gitml-release.yml",
      headSha: sha,
      event: name === "register" ? "push" : "workflow_dispatch",
      status: "in_progress",
      conclusion: null,
    }).id;
    return runActionBundle(name, {
      cwd: bed.repo.work,
      inputs,
      token: TOKEN,
      eventName: "push",
      payload: pointPayloadAt(webhookPayload("push"), { repository: REPOSITORY, sha }),
      repository: REPOSITORY,
      apiUrl: standin.current.url,
      sha,
      ref: "refs/heads/main",
      runId,
      workflow: "gitml release",
      job: name,
      artifacts: bed.artifacts.runnerEnv({ runId }),
      env: { GITML_RETRY_BASE_MS: "1", GITML_PACE_WRITES: "false" },
    });
  }

  it("ships the candidate the PR evaluation uploaded, then promotes it within the API budget", async () => {
    const evaluation = await bed.run();
    expect(evaluation.code, evaluation.stderr + evaluation.stdout).toBe(0);
    const prRun = bed.ghRepo.workflowRuns.find((r) => r.id === bed.runId)!;
    prRun.status = "completed";
    prRun.conclusion = "success";
    git(bed.repo.work, ["push", "--quiet", "origin", "main"]);

    const registered = await runMergeAction("register", {
      model: "churn",
      "evaluation-workflow": "gitml-pr.yml",
    });
    expect(registered.code, registered.stderr + registered.stdout).toBe(0);
    expect(registered.outputs).toMatchObject({
      model: "churn",
      version: "v0.0.1",
      stage: "staging",
      tag: "churn@v0.0.1",
      retrained: "false",
      pr: String(bed.pull.number),
    });
    expect(registered.outputs["release-url"]).toContain("/releases/tag/");
    expect(registered.outputs["artifact-url"]).toMatch(/model\.tar\.gz$/);
    expect(registered.summary).toContain("Released churn v0.0.1 → staging");
    const comment = standin.current.state
      .commentsOf(bed.ghRepo, bed.pull.number)
      .find((c) => c.body.includes("released churn v0.0.1 → staging"));
    expect(comment).toBeDefined();

    // The released bytes are the ones in the working tree the evaluation saw.
    const into = path.join(scratch, "deploy");
    await storeFor(standin.current, scratch, { owner: "acme", repo: "ml" }).fetch({
      model: "churn",
      version: "v0.0.1",
      digest: registered.outputs.digest as `sha256:${string}`,
      into,
    });
    expect(await fs.readFile(path.join(into, "model", "model.json"), "utf8")).toBe(
      await fs.readFile(path.join(bed.repo.work, "models", "churn", "out", "model.json"), "utf8"),
    );

    standin.current.resetCalls();
    const promoted = await runMergeAction("promote", { model: "churn", stage: "production" });
    expect(promoted.code, promoted.stderr + promoted.stdout).toBe(0);
    expect(promoted.outputs).toMatchObject({
      version: "v0.0.1",
      stage: "production",
      tag: "churn@v0.0.1",
      "stage-tag": "churn#production#2",
    });
    expect(standin.current.calls.total).toBeLessThanOrEqual(10);
    // git does the promotion; GitHub is asked once, for the release's links.
    expect(standin.current.calls.log.map((c) => c.operationId)).toEqual(["repos/get-release-by-tag"]);
    expect(git(bed.repo.origin, ["tag", "--list"]).split("\n").sort()).toEqual([
      "churn#production#2",
      "churn#staging#1",
      "churn@v0.0.1",
    ]);
  });

  it("refuses a forbidden promotion with a clear message and exit code 2", async () => {
    git(bed.repo.work, ["push", "--quiet", "origin", "main"]);
    const cli = await runCli(["register", "churn", "--version", "v1.0.0"], {
      cwd: bed.repo.work,
      env: { GITML_STORE: path.join(bed.repo.root, "store") },
    });
    expect(cli.code, cli.stderr).toBe(0);
    const refused = await runMergeAction("promote", {
      model: "churn",
      stage: "production",
      version: "v1.0.0",
    });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/::error::.*production.*staging|::error::.*staging.*production/);
    expect(git(bed.repo.origin, ["tag", "--list"])).toBe("churn@v1.0.0");
  });
});
