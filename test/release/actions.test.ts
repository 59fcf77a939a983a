/**
 * The register and promote actions, run from their bundles as the runner runs them, after the evaluate
 * action uploaded the PR's candidate: the cross-run download goes through @actions/artifact for real.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBed, REPOSITORY, TOKEN, type Bed } from "../action/setup";
import { git, runCli } from "../helpers/repo";
import { pointPayloadAt, runActionBundle, webhookPayload, type ActionRun } from "../runner/run-action";
import { useStandin } from "../standin";
import { digestFiles } from "../../src/store/digest";
import { artifactArchives } from "../standin/handlers/actions";
import { storeFor } from "./helpers";

const ARTIFACT_CLIENT = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "../standin/artifacts/artifact-client.mjs",
);

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
    // Another model's job of the same run failed, so the run did: churn's own job decides.
    const prRun = bed.ghRepo.workflowRuns.find((r) => r.id === bed.runId)!;
    standin.current.state.seedJob(prRun, { name: "gitml / evaluate churn" });
    standin.current.state.seedJob(prRun, { name: "gitml / evaluate fraud", conclusion: "failure" });
    prRun.status = "completed";
    prRun.conclusion = "failure";
    git(bed.repo.work, ["push", "--quiet", "origin", "main"]);
    standin.current.state.mergePull(bed.ghRepo, bed.pull.number, [git(bed.repo.work, ["rev-parse", "HEAD"])]);

    standin.current.resetCalls();
    const registered = await runMergeAction("register", {
      model: "churn",
      "evaluation-workflow": "gitml-pr.yml",
    });
    expect(registered.code, registered.stderr + registered.stdout).toBe(0);
    // 20 calls, of which finding the run by its job and checking the recorded digest take one each.
    expect(standin.current.calls.total).toBeLessThanOrEqual(20);
    expect(standin.current.calls.count("actions/list-jobs-for-workflow-run")).toBe(1);
    expect(standin.current.calls.count("checks/list-for-ref")).toBe(1);
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

    standin.current.state.seedEnvironment(bed.ghRepo, "production", { reviewers: ["octocat"] });
    standin.current.resetCalls();
    const promoted = await runMergeAction("promote", {
      model: "churn",
      stage: "production",
      environment: "production",
    });
    expect(promoted.code, promoted.stderr + promoted.stdout).toBe(0);
    expect(promoted.outputs).toMatchObject({
      version: "v0.0.1",
      stage: "production",
      tag: "churn@v0.0.1",
      "stage-tag": "churn#production#2",
    });
    expect(standin.current.calls.total).toBeLessThanOrEqual(10);
    // git does the promotion; GitHub is asked whether production's environment asks anyone, and for the links.
    expect(standin.current.calls.log.map((c) => c.operationId)).toEqual([
      "repos/get-environment",
      "repos/get-release-by-tag",
    ]);
    expect(git(bed.repo.origin, ["tag", "--list"]).split("\n").sort()).toEqual([
      "churn#production#2",
      "churn#staging#1",
      "churn@v0.0.1",
    ]);
  });

  /** What a process the PR's train command left behind could do with the job's artifact token. */
  async function swapCandidate(
    files: Record<string, string>,
    manifestFiles?: Array<{ path: string; source: string }>,
  ): Promise<void> {
    const root = path.join(scratch, `forged-${Date.now()}`);
    const entries = Object.entries(files);
    for (const [file, content] of entries) {
      await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await fs.writeFile(path.join(root, file), content);
    }
    // A self-consistent manifest: the digest inside the artifact matches the files it lists.
    const listed = manifestFiles ?? entries.map(([file]) => ({ source: path.join(root, file), path: file }));
    const manifest = {
      schema: 1,
      model: "churn",
      candidateDigest: await digestFiles(listed),
      files: listed.map((f) => ({ path: f.path, role: "model" })),
    };
    await fs.writeFile(path.join(root, "manifest.json"), JSON.stringify(manifest));
    const client = (args: string[]) =>
      runActionBundle("artifact-client", {
        bundle: ARTIFACT_CLIENT,
        cwd: root,
        inputs: {},
        token: TOKEN,
        eventName: "pull_request",
        payload: {},
        repository: REPOSITORY,
        apiUrl: standin.current.url,
        runId: bed.runId,
        artifacts: bed.artifacts.runnerEnv({ runId: bed.runId }),
        env: { ARTIFACT_CLIENT_ARGS: JSON.stringify(args) },
      });
    const deleted = await client(["delete", "gitml-candidate-churn"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    const uploaded = await client([
      "upload",
      "gitml-candidate-churn",
      root,
      ...[...entries.map(([file]) => file), "manifest.json"].map((f) => path.join(root, f)),
    ]);
    expect(uploaded.code, uploaded.stderr).toBe(0);
  }

  async function evaluateAndMerge(): Promise<void> {
    const evaluation = await bed.run();
    expect(evaluation.code, evaluation.stderr + evaluation.stdout).toBe(0);
    const prRun = bed.ghRepo.workflowRuns.find((r) => r.id === bed.runId)!;
    prRun.status = "completed";
    prRun.conclusion = "success";
    standin.current.state.mergePull(bed.ghRepo, bed.pull.number, [git(bed.repo.work, ["rev-parse", "HEAD"])]);
  }

  it("refuses an artifact PR code swapped after the evaluation recorded the reviewed digest", async () => {
    await evaluateAndMerge();
    await swapCandidate({ "model/model.json": '{"backdoor":true}' });
    git(bed.repo.work, ["push", "--quiet", "origin", "main"]);
    const refused = await runMergeAction("register", {
      model: "churn",
      "evaluation-workflow": "gitml-pr.yml",
    });
    expect(refused.code, refused.stderr + refused.stdout).toBe(2);
    expect(refused.stdout).toMatch(/::error::.*does not match the digest its evaluation recorded/);
    expect(git(bed.repo.origin, ["tag", "--list"])).toBe("");
    expect(bed.ghRepo.releases.size).toBe(0);

    // The record: gitml's check run on the head commit, written with the job's token, not the artifact's.
    const record = [...bed.ghRepo.checkRuns.values()].find((r) => r.name === "gitml / churn");
    expect(record?.externalId).toMatch(new RegExp(`^gitml-candidate:${bed.runId}:sha256:[0-9a-f]{64}$`));
    expect(record?.output.text).toContain("Reviewed candidate");
    expect(record?.conclusion).toBe("neutral");
  });

  it("an expired candidate artifact: refused with what to do, nothing written", async () => {
    await evaluateAndMerge();
    // GitHub still lists an expired artifact, and answers 410 Gone on its download.
    for (const artifact of bed.ghRepo.artifacts) artifactArchives.delete(artifact);
    git(bed.repo.work, ["push", "--quiet", "origin", "main"]);
    const refused = await runMergeAction("register", {
      model: "churn",
      "evaluation-workflow": "gitml-pr.yml",
    });
    expect(refused.code, refused.stderr + refused.stdout).toBe(2);
    expect(refused.stdout).toMatch(
      /::warning::.*gitml-candidate-churn of run \d+ could not be found or downloaded.*expired/,
    );
    expect(refused.stdout).toMatch(/::error::.*expired or is missing.*retrain: true/);
    expect(git(bed.repo.origin, ["tag", "--list"])).toBe("");
    expect(bed.ghRepo.releases.size).toBe(0);
  });

  it("refuses a candidate manifest whose paths lead outside the download folder", async () => {
    await evaluateAndMerge();
    const outside = path.join(bed.repo.root, "outside-secret.txt");
    await fs.writeFile(outside, "a file the release job must never read");
    const escape = "../".repeat(30) + outside.slice(1);
    await swapCandidate({ "model/model.json": "{}" }, [{ path: escape, source: outside }]);
    git(bed.repo.work, ["push", "--quiet", "origin", "main"]);
    const refused = await runMergeAction("register", {
      model: "churn",
      "evaluation-workflow": "gitml-pr.yml",
    });
    expect(refused.code, refused.stderr + refused.stdout).toBe(2);
    expect(refused.stdout).toMatch(/::error::.*no valid manifest\.json.*relative path inside/);
    expect(refused.stdout).not.toContain("a file the release job must never read");
    expect(git(bed.repo.origin, ["tag", "--list"])).toBe("");
    expect(bed.ghRepo.releases.size).toBe(0);
  });

  it("refuses a forbidden promotion with a clear message and exit code 2", async () => {
    git(bed.repo.work, ["push", "--quiet", "origin", "main"]);
    const cli = await runCli(["register", "churn", "--version", "v1.0.0"], {
      cwd: bed.repo.work,
      env: { GITML_STORE: path.join(bed.repo.root, "store") },
    });
    expect(cli.code, cli.stderr).toBe(0);
    standin.current.state.seedEnvironment(bed.ghRepo, "production", { waitTimer: 5 });
    const refused = await runMergeAction("promote", {
      model: "churn",
      stage: "production",
      version: "v1.0.0",
      environment: "production",
    });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/::error::.*production.*staging|::error::.*staging.*production/);
    expect(git(bed.repo.origin, ["tag", "--list"])).toBe("churn@v1.0.0");
  });

  it("approvals fail closed: a protected stage is entered only through an environment with a protection rule", async () => {
    git(bed.repo.work, ["push", "--quiet", "origin", "main"]);
    const cli = { cwd: bed.repo.work, env: { GITML_STORE: path.join(bed.repo.root, "store") } };
    expect((await runCli(["register", "churn", "--version", "v1.0.0"], cli)).code).toBe(0);
    expect((await runCli(["promote", "churn", "--stage", "staging"], cli)).code).toBe(0);
    const productionTags = () =>
      git(bed.repo.origin, ["tag", "--list"])
        .split("\n")
        .filter((t) => t.startsWith("churn#production#"));
    const promoteToProduction = (extra: Record<string, string> = {}) =>
      runMergeAction("promote", { model: "churn", stage: "production", ...extra });
    let tagsBefore: string[] = [];
    const expectRefused = async (run: ActionRun, pattern: RegExp) => {
      expect(run.code, run.stderr + run.stdout).toBe(2);
      expect(run.stdout).toMatch(pattern);
      expect(run.stdout).toMatch(/allow-unprotected-environment: true/);
      expect(productionTags()).toEqual(tagsBefore);
    };

    // The job names no environment.
    await expectRefused(
      await promoteToProduction(),
      /::error::.*production is a protected stage.*bound to a GitHub Environment/,
    );
    // The environment does not exist (a job naming it would have GitHub create it, unprotected).
    await expectRefused(
      await promoteToProduction({ environment: "production" }),
      /::error::.*has no environment of that name/,
    );
    // It exists, as GitHub creates it on the fly: no rule. A branch policy asks nobody either; nor does a
    // disabled custom rule.
    const environment = standin.current.state.seedEnvironment(bed.ghRepo, "production", {
      protectedBranchesOnly: true,
      customRules: [{ app: "deploy-gate", enabled: false }],
    });
    await expectRefused(
      await promoteToProduction({ environment: "production" }),
      /::error::.*carry a protection rule, but it has none.*settings\/environments/,
    );

    // Opting out, knowingly: promoted, with a warning.
    const optedOut = await promoteToProduction({
      environment: "production",
      "allow-unprotected-environment": "true",
    });
    expect(optedOut.code, optedOut.stderr + optedOut.stdout).toBe(0);
    expect(optedOut.stdout).toMatch(/::warning::.*without checking for an approval/);
    expect(productionTags()).toHaveLength(1);

    // Staging is not protected: no environment needed, no API call about one.
    await bed.writeMetrics("churn", { accuracy: 0.85, loss: 0.2 });
    bed.commitAll("second model");
    git(bed.repo.work, ["push", "--quiet", "origin", "main"]);
    const second = await runCli(["register", "churn", "--version", "v1.1.0"], cli);
    expect(second.code, second.stderr).toBe(0);
    standin.current.resetCalls();
    const staged = await runMergeAction("promote", { model: "churn", stage: "staging", version: "v1.1.0" });
    expect(staged.code, staged.stderr + staged.stdout).toBe(0);
    expect(standin.current.calls.count("repos/get-environment")).toBe(0);

    // An enabled custom deployment protection rule protects it (found by a second call).
    environment.customRules = [{ app: "deploy-gate", enabled: true }];
    standin.current.resetCalls();
    const viaCustomRule = await promoteToProduction({ environment: "production" });
    expect(viaCustomRule.code, viaCustomRule.stderr + viaCustomRule.stdout).toBe(0);
    expect(viaCustomRule.stdout).toContain("custom rule (deploy-gate)");
    expect(standin.current.calls.total).toBeLessThanOrEqual(10);
    expect(productionTags()).toHaveLength(2);

    // A rollback into production is checked the same way.
    environment.customRules = [];
    tagsBefore = productionTags();
    const rollback = await promoteToProduction({ environment: "production", version: "v1.0.0" });
    await expectRefused(rollback, /carry a protection rule/);
  });
});
