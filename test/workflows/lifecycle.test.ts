/**
 * The golden path end to end: the node template's own caller workflows, calling gitml's published reusable
 * workflows, run by the harness as the runner would, against the GitHub REST stand-in, the artifact
 * stand-in and a bare git origin, with real webhook payloads. The model really trains (ml-random-forest on
 * iris) in every pull request.
 *
 * As strict as GitHub where it breaks first runs: GitHub's load-time permission check of called workflows
 * (the template callers must grant what every nested job requests), one token per job scoped to its
 * `permissions:` (the stand-in answers 403 beyond them), and the CLI on PATH only through the real
 * `actions/setup` bundle (nothing installed by package name). Stood in for, as the harness says:
 * actions/checkout, setup-node/python, upload/download-artifact, and `npm ci` (prepared node_modules).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readMonitoringHistoryAtRef } from "../../src/commands/monitoring-history";
import { createRepo, git, type TestRepo } from "../helpers/repo";
import {
  pointPayloadAt,
  pullRequestPayload,
  repoRoot,
  runActionBundle,
  webhookPayload,
} from "../runner/run-action";
import { useStandin } from "../standin";
import { startArtifactService, type ArtifactService } from "../standin/artifacts";
import type { PullRecord, RepoRecord } from "../standin/state";
import { WorkflowHarness, type WorkflowRunResult } from "./harness";

const OWNER = "acme";
const NAME = "iris-models";
const REPOSITORY = `${OWNER}/${NAME}`;
const TOKEN = "ghs_workflowtoken";
/** What GITHUB_TOKEN is on a pull request from a fork: read-only. */
const READ_ONLY_TOKEN = "ghs_forkreadonly";
const ARTIFACT_CLIENT = path.join(repoRoot, "test", "standin", "artifacts", "artifact-client.mjs");
const TEMPLATE = path.join(repoRoot, "templates", "node-classifier");
const GITML_NODE_MODULES = path.join(repoRoot, "node_modules");

/** The template's gitml.yaml, with versions kept on GitHub Releases and production data committed. */
async function templateConfig(): Promise<string> {
  const text = await fs.readFile(path.join(TEMPLATE, "gitml.yaml"), "utf8");
  const adapted = text
    .replace(/current: data\/live\/\*\.csv/, "current: data/current.csv")
    .replace(/store:\n {2}type: local[^\n]*\n {2}path: \.gitml\/store\n/, "store:\n  type: github\n");
  expect(adapted).toContain("current: data/current.csv");
  expect(adapted).toContain("type: github");
  return adapted;
}

describe("the golden-path workflows, end to end", () => {
  const standin = useStandin();
  let repo: TestRepo;
  let artifacts: ArtifactService;
  let ghRepo: RepoRecord;
  let harness: WorkflowHarness;

  beforeEach(async () => {
    repo = await createRepo();
    ghRepo = standin.current.state.seedRepo({ owner: OWNER, name: NAME });
    // As Settings → Environments makes it: the promote action checks it carries a protection rule.
    standin.current.state.seedEnvironment(ghRepo, "production", { reviewers: ["octocat"] });
    artifacts = await startArtifactService({ github: standin.current, repository: REPOSITORY });
    const model = path.join(repo.work, "models", "iris");
    await fs.mkdir(model, { recursive: true });
    for (const file of ["common.mjs", "params.yaml", "simulate_live.mjs", "train.mjs"])
      await fs.copyFile(path.join(TEMPLATE, "models", "iris", file), path.join(model, file));
    await fs.copyFile(path.join(TEMPLATE, "package.json"), path.join(repo.work, "package.json"));
    await fs.copyFile(path.join(TEMPLATE, ".gitignore"), path.join(repo.work, ".gitignore"));
    await fs.cp(path.join(TEMPLATE, ".github"), path.join(repo.work, ".github"), { recursive: true });
    await fs.writeFile(path.join(repo.work, "gitml.yaml"), await templateConfig());
    // What `npm ci` gives the laptop; the harness's npm stand-in does the same in each job. gitml's own
    // node_modules has the template's packages (the demo trains with them too), so no network is needed.
    await fs.symlink(GITML_NODE_MODULES, path.join(repo.work, "node_modules"));
    await writeLiveData("none");
    commitAll("the iris model");
    git(repo.work, ["push", "--quiet", "origin", "main"]);
    harness = new WorkflowHarness({
      origin: repo.origin,
      root: path.join(repo.root, "runner"),
      github: standin.current,
      ghRepo,
      artifacts,
      repository: REPOSITORY,
      token: TOKEN,
      nodeModules: GITML_NODE_MODULES,
    });
  });
  afterEach(async () => {
    await artifacts.close();
    await repo.cleanup();
  });

  function commitAll(message: string): string {
    git(repo.work, ["add", "-A"]);
    git(repo.work, ["commit", "--quiet", "-m", message]);
    return git(repo.work, ["rev-parse", "HEAD"]);
  }

  async function writeLiveData(drift: "none" | "shift"): Promise<void> {
    const dir = path.join(repo.work, "models", "iris");
    await fs.mkdir(path.join(dir, "data"), { recursive: true });
    execFileSync(
      process.execPath,
      ["simulate_live.mjs", "--drift", drift, "--rows", "300", "-o", "data/current.csv"],
      {
        cwd: dir,
        stdio: "pipe",
      },
    );
  }

  const workflow = (name: string) => path.join(repo.work, ".github", "workflows", name);

  function explain(run: WorkflowRunResult): string {
    return run.steps
      .filter((s) => s.outcome === "failure")
      .map((s) => `--- ${s.job} / ${s.name}\n${s.log.slice(-3000)}`)
      .join("\n");
  }

  /** A pull request changing params.yaml, opened: the PR workflow runs on GitHub's `pull_request` payload. */
  async function openPullRequest(
    params: Record<string, string>,
    options: { fork?: boolean } = {},
  ): Promise<{ pull: PullRecord; run: WorkflowRunResult }> {
    const base = git(repo.work, ["rev-parse", "main"]);
    const branch = `tune-${Object.values(params).join("-")}`;
    git(repo.work, ["checkout", "--quiet", "-b", branch]);
    const file = path.join(repo.work, "models", "iris", "params.yaml");
    let text = await fs.readFile(file, "utf8");
    for (const [key, value] of Object.entries(params))
      text = text.replace(new RegExp(`^${key}: \\S+`, "m"), `${key}: ${value}`);
    await fs.writeFile(file, text);
    const head = commitAll(`tune ${JSON.stringify(params)}`);
    git(repo.work, ["push", "--quiet", "origin", branch]);
    const pull = standin.current.state.seedPull(ghRepo, {
      headSha: head,
      headRef: branch,
      baseSha: base,
      title: `Tune ${branch}`,
    });
    const payload = pullRequestPayload({
      repository: REPOSITORY,
      sha: head,
      baseSha: base,
      number: pull.number,
      headRef: branch,
      baseRef: "main",
    });
    const run = await harness.run({
      file: workflow("gitml-pr.yml"),
      eventName: "pull_request",
      payload,
      sha: head,
      ref: `refs/pull/${pull.number}/merge`,
      fork: options.fork,
    });
    return { pull, run };
  }

  /** Merges (fast-forward, as "rebase and merge") and runs the release workflow on the push. */
  async function merge(pull: PullRecord): Promise<WorkflowRunResult> {
    const before = git(repo.work, ["rev-parse", "main"]);
    git(repo.work, ["checkout", "--quiet", "main"]);
    // GitHub's default merge button: a squash commit on main, not the evaluated head commit.
    git(repo.work, ["merge", "--quiet", "--squash", pull.headRef]);
    git(repo.work, ["commit", "--quiet", "-m", `Merge pull request #${pull.number} (squashed)`]);
    git(repo.work, ["push", "--quiet", "origin", "main"]);
    const after = git(repo.work, ["rev-parse", "HEAD"]);
    standin.current.state.mergePull(ghRepo, pull.number, [after]);
    const payload = pointPayloadAt(webhookPayload("push"), { repository: REPOSITORY, sha: after });
    payload.before = before;
    payload.ref = "refs/heads/main";
    return harness.run({
      file: workflow("gitml-release.yml"),
      eventName: "push",
      payload,
      sha: after,
      ref: "refs/heads/main",
    });
  }

  async function schedule(): Promise<WorkflowRunResult> {
    const sha = git(repo.work, ["rev-parse", "main"]);
    const payload = {
      schedule: "17 6 * * *",
      repository: pointPayloadAt(webhookPayload("push"), { repository: REPOSITORY }).repository,
    };
    return harness.run({
      file: workflow("gitml-monitor.yml"),
      eventName: "schedule",
      payload,
      sha,
      ref: "refs/heads/main",
    });
  }

  function originTags(): string[] {
    return git(repo.origin, ["tag", "--list"]).split("\n").filter(Boolean).sort();
  }

  /** What a process left behind by the fork's training could do with the job's artifact token. */
  async function replaceArtifact(runId: number, name: string, files: Record<string, string>): Promise<void> {
    const root = await fs.mkdtemp(path.join(repo.root, "forged-"));
    for (const [file, content] of Object.entries(files)) await fs.writeFile(path.join(root, file), content);
    const client = (args: string[]) =>
      runActionBundle("artifact-client", {
        bundle: ARTIFACT_CLIENT,
        cwd: root,
        inputs: {},
        token: READ_ONLY_TOKEN,
        eventName: "pull_request",
        payload: {},
        repository: REPOSITORY,
        apiUrl: standin.current.url,
        runId,
        artifacts: artifacts.runnerEnv({ runId }),
        env: { ARTIFACT_CLIENT_ARGS: JSON.stringify(args) },
      });
    expect((await client(["delete", name])).code).toBe(0);
    const uploaded = await client([
      "upload",
      name,
      root,
      ...Object.keys(files).map((f) => path.join(root, f)),
    ]);
    expect(uploaded.code, uploaded.stderr).toBe(0);
  }

  function reportComments(pull: PullRecord) {
    return standin.current.state
      .commentsOf(ghRepo, pull.number)
      .filter((c) => c.body.includes("<!-- gitml:evaluate:"));
  }

  it("a fork's pull request: the read-only run saves the report, the workflow_run follow-up posts it", async () => {
    const forkRun = await openPullRequest({ nEstimators: "30", seed: "5" }, { fork: true });
    const pull = forkRun.pull;
    expect(forkRun.run.job("gitml/evaluate (iris)")?.result, explain(forkRun.run)).toBe("success");
    expect(reportComments(pull)).toHaveLength(0);
    expect(artifacts.artifactsOf(forkRun.run.runId, "gitml-report-iris")).toHaveLength(1);

    const payload = pointPayloadAt(webhookPayload("workflow_run", "completed"), {
      repository: REPOSITORY,
      sha: pull.headSha,
      headRef: pull.headRef,
    });
    const workflowRun = payload.workflow_run as Record<string, unknown>;
    workflowRun.id = forkRun.run.runId;
    workflowRun.event = "pull_request";
    workflowRun.conclusion = "success";
    const main = git(repo.work, ["rev-parse", "main"]);
    const followUp = await harness.run({
      file: workflow("gitml-pr-report.yml"),
      eventName: "workflow_run",
      payload,
      sha: main,
      ref: "refs/heads/main",
    });
    expect(followUp.job("gitml/changes")?.result).toBe("skipped");
    expect(followUp.job("gitml/post-report")?.result, explain(followUp)).toBe("success");
    // The follow-up never checks out code: its only step is gitml's report action.
    expect(followUp.steps.filter((s) => s.job === "gitml/post-report").map((s) => s.name)).toEqual([
      "Post the saved reports",
    ]);
    const posted = reportComments(pull);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.body).toContain("iris");

    // Run again (e.g. a re-run): the same sticky comment is updated, not duplicated.
    const again = await harness.run({
      file: workflow("gitml-pr-report.yml"),
      eventName: "workflow_run",
      payload,
      sha: main,
      ref: "refs/heads/main",
    });
    expect(again.job("gitml/post-report")?.result, explain(again)).toBe("success");
    expect(reportComments(pull)).toHaveLength(1);

    // A report that claims another commit is refused.
    workflowRun.head_sha = main;
    const mismatch = await harness.run({
      file: workflow("gitml-pr-report.yml"),
      eventName: "workflow_run",
      payload,
      sha: main,
      ref: "refs/heads/main",
    });
    expect(mismatch.steps.find((s) => s.name === "Post the saved reports")?.log).toContain(
      "0 report(s) posted",
    );

    // The fork's leftover process (or its workflow) swaps the saved results for forged ones: markup,
    // mentions, a tracking image, a second marker, a verdict of its own. gitml renders them as data.
    workflowRun.head_sha = pull.headSha;
    const [saved] = artifacts.artifactsOf(forkRun.run.runId, "gitml-report-iris");
    const genuine = JSON.parse(artifacts.files(saved!).get("report.json")!.toString("utf8"));
    const lure = "✅ All gates passed @octocat ![t](https://tracker.example/p.png) <!-- gitml:evaluate:x -->";
    genuine.report.candidate.metrics = { [lure]: 0.99, ...genuine.report.candidate.metrics };
    genuine.report.comparison.unshift({ name: lure, candidate: 0.99, direction: "higher", gated: false });
    genuine.report.gates.gates[0].detail = lure;
    genuine.report.candidate.version = `**approved by @security-team**`;
    await replaceArtifact(forkRun.run.runId, "gitml-report-iris", {
      "report.json": JSON.stringify(genuine),
      "comment.md": `<!-- gitml:${genuine.marker} -->\n✅ All gates passed, ship it @octocat`,
    });
    const forged = await harness.run({
      file: workflow("gitml-pr-report.yml"),
      eventName: "workflow_run",
      payload,
      sha: main,
      ref: "refs/heads/main",
    });
    expect(forged.job("gitml/post-report")?.result, explain(forged)).toBe("success");
    const [comment] = reportComments(pull);
    expect(reportComments(pull)).toHaveLength(1);
    expect(comment!.body.match(/<!-- gitml:/g)).toHaveLength(1);
    expect(comment!.body).not.toContain("@octocat");
    expect(comment!.body).not.toContain("@security-team");
    expect(comment!.body).not.toContain("![");
    expect(comment!.body).not.toContain("ship it");
    expect(comment!.body).not.toMatch(/\*\*approved/);
    expect(comment!.body).toContain("&#64;octocat");

    // Markdown alone, with no results gitml can check, is not posted at all.
    await replaceArtifact(forkRun.run.runId, "gitml-report-iris", {
      "comment.md": "✅ All gates passed @octocat",
    });
    const markdownOnly = await harness.run({
      file: workflow("gitml-pr-report.yml"),
      eventName: "workflow_run",
      payload,
      sha: main,
      ref: "refs/heads/main",
    });
    const log = markdownOnly.steps.find((s) => s.name === "Post the saved reports")?.log ?? "";
    expect(log).toMatch(/no report\.json of gitml's/);
    expect(log).toContain("0 report(s) posted");
    expect(reportComments(pull)[0]!.body).toBe(comment!.body);

    // Merged: the fork-built candidate never ships; the release retrains on the merged commit and says so.
    standin.current.state.seedRepo({ owner: "mallory", name: NAME });
    pull.headRepo = `mallory/${NAME}`;
    const released = await merge(pull);
    expect(released.job("gitml/register (iris)")?.result, explain(released)).toBe("success");
    const registered = released.steps.find((s) => s.name === "Register iris")!;
    expect(registered.outputs.retrained).toBe("true");
    expect(registered.log).toMatch(/came from a fork: its candidate is never shipped/);
    const releasedComment = standin.current.state
      .commentsOf(ghRepo, pull.number)
      .find((c) => c.body.includes("released iris"));
    expect(releasedComment?.body).toContain("came from a fork");
  }, 180_000);

  it("a merge queue's run answers for the queue without retraining", async () => {
    const main = git(repo.work, ["rev-parse", "main"]);
    const payload = pointPayloadAt(webhookPayload("merge_group", "checks_requested"), {
      repository: REPOSITORY,
      sha: main,
    });
    const run = await harness.run({
      file: workflow("gitml-pr.yml"),
      eventName: "merge_group",
      payload,
      sha: main,
      ref: "refs/heads/gh-readonly-queue/main/pr-1-" + main,
    });
    expect(run.job("gitml/merge-queue")?.result, explain(run)).toBe("success");
    expect(run.job("gitml/changes")?.result).toBe("skipped");
    expect(artifacts.artifacts).toEqual([]);
  });

  it("PR report → release → approval → drift alert opened and closed → rollback", async () => {
    // 1. The first pull request: trained, evaluated (no baseline yet), one report comment.
    const first = await openPullRequest({ nEstimators: "30", seed: "5" });
    expect(first.run.startupFailure).toBeUndefined();
    expect(first.run.job("gitml/changes")?.outputs.models, explain(first.run)).toBe('["iris"]');
    // The CLI reached PATH through gitml's setup action (the real bundle), not an install by name.
    expect(
      first.run.steps.find((s) => s.job === "gitml/changes" && s.name === "Put the gitml CLI on PATH")
        ?.outcome,
    ).toBe("success");
    // The called workflow's `outputs` reach the caller job.
    expect(first.run.job("gitml")?.outputs).toEqual({ models: '["iris"]' });
    expect(first.run.job("gitml/evaluate (iris)")?.result, explain(first.run)).toBe("success");
    expect(first.run.job("gitml/post-report")?.result).toBe("skipped");
    expect(reportComments(first.pull)).toHaveLength(1);
    expect(artifacts.artifactsOf(first.run.runId, "gitml-candidate-iris")).toHaveLength(1);
    // As on GitHub, the PR's jobs evaluate the test merge commit (refs/pull/N/merge), not the bare head,
    // while the reviewed digest is recorded on the head, where the merge finds it.
    const mergeRef = git(repo.origin, ["rev-parse", `refs/pull/${first.pull.number}/merge`]);
    expect(git(repo.origin, ["rev-parse", `${mergeRef}^2`])).toBe(first.pull.headSha);
    const checkout = first.run.steps.find(
      (s) => s.job === "gitml/evaluate (iris)" && s.name.startsWith("actions/checkout"),
    );
    expect(checkout?.log).toContain(mergeRef);
    expect(
      [...ghRepo.checkRuns.values()].filter(
        (r) => r.headSha === first.pull.headSha && r.externalId?.startsWith("gitml-candidate:"),
      ),
    ).toHaveLength(1);

    // 2. Merged: the reviewed candidate becomes iris@v… with a release, and staging; production waits.
    const release1 = await merge(first.pull);
    expect(release1.job("gitml/register (iris)")?.result, explain(release1)).toBe("success");
    expect(release1.waiting).toEqual(["production"]);
    const v1 = release1.steps.find((s) => s.name === "Register iris")!.outputs;
    expect(v1.stage).toBe("staging");
    const tagsAfterMerge = originTags();
    expect(tagsAfterMerge.filter((t) => t.startsWith("iris@v"))).toHaveLength(1);
    expect(tagsAfterMerge.some((t) => t.startsWith("iris#staging#"))).toBe(true);
    expect(tagsAfterMerge.some((t) => t.startsWith("iris#production#"))).toBe(false);
    const v1Tag = tagsAfterMerge.find((t) => t.startsWith("iris@v"))!;
    const v1Version = v1Tag.slice("iris@".length);
    expect([...ghRepo.releases.values()].map((r) => r.tagName)).toEqual([v1Tag]);

    // 3. Approval of the production Environment: the same version is promoted.
    standin.current.resetCalls();
    const approved1 = await release1.approve("production");
    // A promotion's budget of REST calls, with the job's own scoped token.
    expect(standin.current.calls.total).toBeLessThanOrEqual(10);
    expect(approved1.job("gitml/production (iris)")?.result, explain(approved1)).toBe("success");
    expect(originTags().filter((t) => t.startsWith("iris#production#"))).toHaveLength(1);

    // 4. A second pull request: the comment now compares with production, with deltas.
    standin.current.resetCalls();
    const second = await openPullRequest({ nEstimators: "50", seed: "42" });
    // A PR report's budget of REST calls (one model: the whole run is its report), all of them counted: the
    // comment and the check; the production baseline's metrics and params come from its tag, so the
    // GitHub Release is not read at all.
    const calls = standin.current.calls;
    expect(calls.total, JSON.stringify(calls.byOperation)).toBeLessThanOrEqual(5);
    expect(
      Object.keys(calls.byOperation).filter((operation) => operation.startsWith("repos/get-release")),
    ).toEqual([]);
    expect(second.run.job("gitml/evaluate (iris)")?.result, explain(second.run)).toBe("success");
    const comments = reportComments(second.pull);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain(v1Version);
    expect(comments[0]!.body).toMatch(/[+−-]\d/);

    const release2 = await merge(second.pull);
    expect(release2.job("gitml/register (iris)")?.result, explain(release2)).toBe("success");
    const approved2 = await release2.approve("production");
    expect(approved2.job("gitml/production (iris)")?.result, explain(approved2)).toBe("success");
    const versions = originTags().filter((t) => t.startsWith("iris@v"));
    expect(versions).toHaveLength(2);
    const v2Version = versions.find((t) => t !== v1Tag)!.slice("iris@".length);

    // 5. Drifted production data on the schedule: one alert issue.
    await writeLiveData("shift");
    commitAll("drifted live data");
    git(repo.work, ["push", "--quiet", "origin", "main"]);
    const drifted = await schedule();
    expect(drifted.job("gitml/monitor (iris)")?.result, explain(drifted)).toBe("success");
    const alerts = () =>
      [...ghRepo.issues.values()].filter((i) => !i.isPull && i.body?.includes("<!-- gitml:alert:iris -->"));
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]!.state).toBe("open");
    expect(alerts()[0]!.title).toContain(v2Version);

    // 6. The data recovers: the issue is closed with a comment.
    await writeLiveData("none");
    commitAll("live data back to normal");
    git(repo.work, ["push", "--quiet", "origin", "main"]);
    const recovered = await schedule();
    expect(recovered.job("gitml/monitor (iris)")?.result, explain(recovered)).toBe("success");
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]!.state).toBe("closed");
    // Both runs recorded on the gitml-monitoring branch, newest first, for the catalog's drift history.
    const history = await readMonitoringHistoryAtRef({
      cwd: repo.origin,
      ref: "refs/heads/gitml-monitoring",
    });
    expect(history?.skipped).toEqual([]);
    expect(
      history?.models.get("iris")?.map((r) => [r.verdict, r.version, r.alert.state, r.alert.number]),
    ).toEqual([
      ["ok", v2Version, "closed", alerts()[0]!.number],
      ["drift", v2Version, "open", alerts()[0]!.number],
    ]);

    // 7. Rollback dispatch: production goes back to the first version.
    const dispatchPayload = pointPayloadAt(webhookPayload("workflow_dispatch"), { repository: REPOSITORY });
    dispatchPayload.inputs = { model: "iris", stage: "production", version: v1Version };
    const sha = git(repo.work, ["rev-parse", "main"]);
    const dispatched = await harness.run({
      file: workflow("gitml-rollback.yml"),
      eventName: "workflow_dispatch",
      payload: dispatchPayload,
      sha,
      ref: "refs/heads/main",
    });
    // A rollback into production passes the same approval as a promotion.
    expect(dispatched.waiting).toEqual(["production"]);
    const rollback = await dispatched.approve("production");
    expect(rollback.job("gitml/rollback")?.result, explain(rollback)).toBe("success");
    expect(rollback.job("gitml/rollback")?.outputs).toMatchObject({
      version: v1Version,
      previous: v2Version,
    });
    expect(rollback.job("gitml")?.outputs).toEqual({ version: v1Version, previous: v2Version });
    const productionTags = originTags().filter((t) => t.startsWith("iris#production#"));
    expect(productionTags).toHaveLength(3);
    const newest = productionTags.sort((a, b) => Number(a.split("#")[2]) - Number(b.split("#")[2])).at(-1)!;
    expect(git(repo.origin, ["rev-parse", `${newest}^{commit}`])).toBe(
      git(repo.origin, ["rev-parse", `${v1Tag}^{commit}`]),
    );
  }, 240_000);
});
