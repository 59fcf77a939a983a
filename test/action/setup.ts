/**
 * A test bed for actions/evaluate: a real git repository with a bare origin, the GitHub REST stand-in with
 * the same repository and a pull request, the artifact results-service stand-in, and the bundle run as the
 * runner runs it.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { createRepo, git, runCli, type TestRepo } from "../helpers/repo";
import { pullRequestPayload, runActionBundle, type ActionRun } from "../runner/run-action";
import { startArtifactService, type ArtifactService } from "../standin/artifacts";
import type { Standin } from "../standin";
import type { PullRecord, RepoRecord } from "../standin/state";

export const OWNER = "acme";
export const REPO = "ml";
export const REPOSITORY = `${OWNER}/${REPO}`;
export const TOKEN = "ghs_writer";
export const READ_ONLY_TOKEN = "ghs_forkreadonly";

export function configFor(models: string[], options: { warn?: boolean } = {}): string {
  const blocks = models.map(
    (name) => `  ${name}:
    path: models/${name}
    outputs:
      model: out/model.json
      metrics: out/metrics.json
    stages: [staging, production]
    compare_to: production${options.warn ? "\n    on_gate_failure: warn" : ""}
    gates:
      - metric: accuracy
        min: 0.7
        no_regression: { tolerance: 0.01 }
      - metric: loss
        max: 0.5
`,
  );
  return `models:\n${blocks.join("")}`;
}

export interface Bed {
  repo: TestRepo;
  github: Standin;
  artifacts: ArtifactService;
  ghRepo: RepoRecord;
  pull: PullRecord;
  /** The workflow run of the latest `run()` (each push starts a new run). */
  runId: number;
  writeMetrics(model: string, metrics: Record<string, unknown> | string): Promise<void>;
  /** Commits the working tree (config, model, metrics) and returns the sha. */
  commitAll(message?: string): string;
  /** Registers the current commit's candidate with the CLI and promotes it to production. */
  registerProduction(model: string, version: string): Promise<void>;
  run(options?: {
    inputs?: Record<string, string>;
    token?: string;
    payload?: Record<string, unknown>;
    env?: Record<string, string>;
    workflow?: string;
    /** Re-run an earlier workflow run instead of starting a new one. */
    runId?: number;
  }): Promise<ActionRun>;
  cleanup(): Promise<void>;
}

export async function createBed(
  github: Standin,
  options: { models?: string[]; warn?: boolean; config?: string } = {},
): Promise<Bed> {
  const models = options.models ?? ["churn"];
  const repo = await createRepo();
  const artifacts = await startArtifactService({ github, repository: REPOSITORY });
  const ghRepo = github.state.seedRepo({ owner: OWNER, name: REPO });

  const writeMetrics = async (model: string, metrics: Record<string, unknown> | string) => {
    const out = path.join(repo.work, "models", model, "out");
    await fs.mkdir(out, { recursive: true });
    await fs.writeFile(
      path.join(out, "metrics.json"),
      typeof metrics === "string" ? metrics : JSON.stringify(metrics),
    );
    await fs.writeFile(path.join(out, "model.json"), JSON.stringify({ model, metrics }));
  };
  const commitAll = (message = "update") => {
    git(repo.work, ["add", "-A"]);
    git(repo.work, ["commit", "--quiet", "--allow-empty", "-m", message]);
    return git(repo.work, ["rev-parse", "HEAD"]);
  };

  await fs.writeFile(path.join(repo.work, "gitml.yaml"), options.config ?? configFor(models, options));
  await fs.writeFile(path.join(repo.work, ".gitignore"), ".gitml/reports/\n");
  for (const model of models) await writeMetrics(model, { accuracy: 0.8, loss: 0.3 });
  const sha = commitAll("candidate");
  const pull = github.state.seedPull(ghRepo, { headSha: sha, headRef: "feature", title: "Retrain" });
  const newRun = (headSha: string) =>
    github.state.seedWorkflowRun(ghRepo, {
      workflowFile: "gitml-pr.yml",
      headSha,
      headBranch: "feature",
      event: "pull_request",
      status: "in_progress",
      conclusion: null,
    }).id;

  const bed: Bed = {
    repo,
    github,
    artifacts,
    ghRepo,
    pull,
    runId: 0,
    writeMetrics,
    commitAll,
    async registerProduction(model, version) {
      const cli = { cwd: repo.work, env: { GITML_STORE: path.join(repo.root, "store") } };
      const reg = await runCli(["register", model, "--version", version], cli);
      if (reg.code !== 0) throw new Error(`register failed: ${reg.stderr}`);
      for (const stage of ["staging", "production"]) {
        const prom = await runCli(["promote", model, "--stage", stage, "--version", version], cli);
        if (prom.code !== 0) throw new Error(`promote failed: ${prom.stderr}`);
      }
    },
    async run(runOptions = {}) {
      const headSha = git(repo.work, ["rev-parse", "HEAD"]);
      bed.pull.headSha = headSha;
      const runId = (bed.runId = runOptions.runId ?? newRun(headSha));
      const payload =
        runOptions.payload ??
        pullRequestPayload({ repository: REPOSITORY, sha: headSha, number: pull.number, headRef: "feature" });
      return runActionBundle("evaluate", {
        cwd: repo.work,
        inputs: { model: models[0]!, ...runOptions.inputs },
        token: runOptions.token ?? TOKEN,
        eventName: "pull_request",
        payload,
        repository: REPOSITORY,
        apiUrl: github.url,
        sha: headSha,
        ref: `refs/pull/${pull.number}/merge`,
        runId,
        workflow: runOptions.workflow ?? "gitml PR",
        artifacts: artifacts.runnerEnv({ runId }),
        env: {
          GITML_RETRY_BASE_MS: "1",
          GITML_PACE_WRITES: "false",
          GITML_STORE: path.join(repo.root, "store"),
          ...runOptions.env,
        },
      });
    },
    async cleanup() {
      await artifacts.close();
      await repo.cleanup();
    },
  };
  return bed;
}

/** The stand-in's comments on the PR that carry a gitml marker. */
export function gitmlComments(bed: Bed): Array<{ id: number; body: string }> {
  return bed.github.state
    .commentsOf(bed.ghRepo, bed.pull.number)
    .filter((c) => c.body.includes("<!-- gitml:"));
}
