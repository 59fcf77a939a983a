/**
 * Publishing the catalog: the templates' `gitml-site.yml` caller and gitml's `site.yml`, run by the harness
 * as the runner would: a real registry in a bare origin, the CLI from gitml's setup action, `gitml site`,
 * and GitHub Pages through the three official actions — stood in for by the harness (configure-pages
 * and deploy-pages call the REST stand-in's Pages endpoints with the job's own token, deploy-pages gets an
 * OIDC token only with `id-token: write`, upload-pages-artifact tars the folder as the action does), so
 * what is checked here is what GitHub would refuse: a caller granting less than the deploy job asks, a
 * build job that could publish, Pages switched off or publishing from a branch.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pushMonitoringRecords } from "../../src/commands/monitoring-history";
import { createOctokit } from "../../src/github";
import { GitHubReleasesStore } from "../../src/github/release-store";
import {
  MONITORING_RECORD_KIND,
  MONITORING_SCHEMA_VERSION,
  type MonitoringRecord,
  type RecordedColumn,
} from "../../src/monitor/history";
import { silentLogger } from "../../src/util/logger";
import { createRepo, git, type TestRepo } from "../helpers/repo";
import { pointPayloadAt, repoRoot, webhookPayload } from "../runner/run-action";
import { useStandin } from "../standin";
import { startArtifactService, type ArtifactService } from "../standin/artifacts";
import type { RepoRecord } from "../standin/state";
import { WorkflowHarness, type WorkflowRunResult } from "./harness";

const OWNER = "acme";
const NAME = "models";
const REPOSITORY = `${OWNER}/${NAME}`;
const CALLER = (template: string) =>
  path.join(repoRoot, "templates", template, ".github", "workflows", "gitml-site.yml");

describe("the site workflow: gitml site, then GitHub Pages", () => {
  const standin = useStandin();
  let repo: TestRepo;
  let artifacts: ArtifactService;
  let ghRepo: RepoRecord;
  let harness: WorkflowHarness;
  let head: string;

  beforeEach(async () => {
    repo = await createRepo();
    ghRepo = standin.current.state.seedRepo({ owner: OWNER, name: NAME });
    artifacts = await startArtifactService({ github: standin.current, repository: REPOSITORY });
    // Two versions of churn with metrics in their tags, the second in production: what merges leave.
    const tag = (name: string, message: string, date: string) =>
      git(repo.work, ["tag", "-a", name, "-m", message], { GIT_COMMITTER_DATE: date });
    repo.commit("README.md", "# models\n", "first model");
    tag(
      "churn@v1.0.0",
      'Registering artifact churn version v1.0.0\n\nGitml-Metrics: {"accuracy":0.81,"f1":0.7}',
      "2026-01-05T09:00:00Z",
    );
    head = repo.commit("README.md", "# models\n\nchurn, tuned\n", "tune churn");
    tag(
      "churn@v1.1.0",
      'Registering artifact churn version v1.1.0\n\nGitml-Metrics: {"accuracy":0.86,"f1":0.74}',
      "2026-01-12T09:00:00Z",
    );
    tag(
      "churn#production#3",
      "Assigning stage production to artifact churn version v1.1.0",
      "2026-01-12T10:00:00Z",
    );
    git(repo.work, ["push", "--quiet", "origin", "main", "--tags"]);
    harness = new WorkflowHarness({
      origin: repo.origin,
      root: path.join(repo.root, "runner"),
      github: standin.current,
      ghRepo,
      artifacts,
      repository: REPOSITORY,
      token: "ghs_unused",
    });
  });
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await artifacts.close();
    await repo.cleanup();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  /** The caller as GitHub starts it after the release workflow finished on main. */
  function afterRelease(file: string, approved = ["github-pages"]): Promise<WorkflowRunResult> {
    const payload = pointPayloadAt(webhookPayload("workflow_run", "completed"), {
      repository: REPOSITORY,
      sha: head,
    });
    const run = payload.workflow_run as Record<string, unknown>;
    run.name = "gitml release";
    run.conclusion = "success";
    run.head_branch = "main";
    return harness.run({
      file,
      eventName: "workflow_run",
      payload,
      sha: head,
      ref: "refs/heads/main",
      approved,
    });
  }

  /** Runs `body` with a harness whose published gitml workflows have `site` as site.yml. */
  async function withPublished<T>(site: string, body: () => Promise<T>): Promise<T> {
    const published = await fs.mkdtemp(path.join(repo.root, "published-"));
    await fs.cp(path.join(repoRoot, ".github", "workflows"), path.join(published, "workflows"), {
      recursive: true,
    });
    await fs.writeFile(path.join(published, "workflows", "site.yml"), site);
    const original = harness;
    harness = new WorkflowHarness({
      origin: repo.origin,
      root: path.join(published, "runner"),
      github: standin.current,
      ghRepo,
      artifacts,
      repository: REPOSITORY,
      token: "ghs_unused",
      publishedWorkflows: path.join(published, "workflows"),
    });
    try {
      return await body();
    } finally {
      harness = original;
    }
  }

  function explain(run: WorkflowRunResult): string {
    return (
      (run.startupFailure ?? "") +
      run.steps
        .filter((s) => s.outcome === "failure")
        .map((s) => `--- ${s.job} / ${s.name}\n${s.log.slice(-3000)}`)
        .join("\n")
    );
  }

  it.each(["node-classifier", "sklearn-classifier"])(
    "%s's caller builds the catalog and publishes exactly it on Pages",
    async (template) => {
      standin.current.state.seedPages(ghRepo);
      const run = await afterRelease(CALLER(template));
      expect(run.job("gitml/build")?.result, explain(run)).toBe("success");
      expect(run.job("gitml/deploy")?.result, explain(run)).toBe("success");
      expect(run.job("gitml")?.outputs["page-url"]).toBe("https://acme.github.io/models/");

      // One deployment, of this run's github-pages artifact, proved with an OIDC token.
      const [artifact] = artifacts.artifactsOf(run.runId, "github-pages");
      expect(artifact).toBeDefined();
      expect(ghRepo.pages!.deployments).toEqual([
        expect.objectContaining({
          artifactId: artifact!.id,
          buildVersion: head,
          environment: "github-pages",
        }),
      ]);
      expect(ghRepo.pages!.deployments[0]!.oidcToken).toMatch(/^oidc\./);

      // What Pages serves is the catalog of this registry.
      const published = harness.pagesRoot;
      const index = await fs.readFile(path.join(published, "index.html"), "utf8");
      expect(index).toContain('href="models/churn.html"');
      expect(index).toContain("v1.1.0");
      const model = await fs.readFile(path.join(published, "models", "churn.html"), "utf8");
      expect(model).toContain("accuracy");
      expect(model).toContain("gitml get churn@v1.1.0");

      expect(index).toContain('data-status="none"'); // no monitoring branch yet
    },
  );

  it("shows the drift history the monitor workflow keeps on its branch", async () => {
    standin.current.state.seedPages(ghRepo);
    // What the monitor workflow pushes after a run that found drift (the same writer, the same branch).
    const drifted = (name: string, statistic: number): RecordedColumn => ({
      name,
      type: "numeric",
      test: "wasserstein",
      statistic,
      pValue: null,
      score: statistic,
      scoreKind: "statistic",
      threshold: 0.1,
      drifted: true,
      error: null,
    });
    const record: MonitoringRecord = {
      schemaVersion: MONITORING_SCHEMA_VERSION,
      kind: MONITORING_RECORD_KIND,
      model: "churn",
      version: "v1.1.0",
      stage: "production",
      ranAt: "2026-01-20T06:17:00.000Z",
      runUrl: "https://github.com/acme/models/actions/runs/777",
      verdict: "drift",
      rows: { reference: 2000, current: 500 },
      drift: {
        datasetDrift: true,
        schemaDrift: false,
        schemaDriftReason: null,
        share: 0.6,
        driftShare: 0.5,
        driftedColumns: 3,
        totalColumns: 5,
        columnErrors: 0,
        undecidedColumns: 0,
        topColumns: [
          drifted("tenure_months", 0.42),
          drifted("monthly_charges", 0.31),
          drifted("support_calls", 0.2),
        ],
      },
      predictionDrift: null,
      performance: null,
      alert: { state: "open", action: "opened", url: "https://github.com/acme/models/issues/9", number: 9 },
      error: null,
    };
    await pushMonitoringRecords({ cwd: repo.work, records: [record] });

    const run = await afterRelease(CALLER("node-classifier"));
    expect(run.job("gitml/deploy")?.result, explain(run)).toBe("success");
    const index = await fs.readFile(path.join(harness.pagesRoot, "index.html"), "utf8");
    expect(index).toMatch(/data-status="drift"/);
    const model = await fs.readFile(path.join(harness.pagesRoot, "models", "churn.html"), "utf8");
    expect(model).toContain("tenure_months");
    expect(model).toContain("https://github.com/acme/models/actions/runs/777");
  });

  it("reads the model card from the version's GitHub Release with the build job's contents: read", async () => {
    standin.current.state.seedPages(ghRepo);
    // gitml.yaml keeps versions on GitHub Releases, as the release workflow writes them.
    repo.commit(
      "gitml.yaml",
      [
        "models:",
        "  churn:",
        "    path: models/churn",
        "    description: Predicts which customers leave.",
        "    outputs:",
        "      model: out/model.bin",
        "      metrics: out/metrics.json",
        "    stages: [staging, production]",
        "store:",
        "  type: github",
        "",
      ].join("\n"),
      "versions on GitHub Releases",
    );
    head = git(repo.work, ["rev-parse", "HEAD"]);
    const files = path.join(repo.root, "v2");
    await fs.mkdir(files, { recursive: true });
    await fs.writeFile(path.join(files, "model.bin"), "weights");
    await fs.writeFile(path.join(files, "metrics.json"), JSON.stringify({ accuracy: 0.9 }));
    const store = new GitHubReleasesStore({
      octokit: createOctokit({ token: "ghs_seed", baseUrl: standin.current.url, logger: silentLogger }),
      token: "ghs_seed",
      owner: OWNER,
      repo: NAME,
      logger: silentLogger,
      retryDelayMs: 1,
    });
    const staged = await store.stage({
      model: "churn",
      version: "v2.0.0",
      files: [
        { source: path.join(files, "model.bin"), path: "model.bin", role: "model" },
        { source: path.join(files, "metrics.json"), path: "metrics.json", role: "metrics" },
      ],
      lineage: { commit: head, pr: 21 },
    });
    git(repo.work, [
      "tag",
      "-a",
      "churn@v2.0.0",
      "-m",
      `Registering artifact churn version v2.0.0\n\nGitml-Metrics: {"accuracy":0.9}\nGitml-Artifact-Digest: ${staged.digest}\nGitml-Pr: 21`,
    ]);
    git(repo.work, ["push", "--quiet", "origin", "main", "churn@v2.0.0"]);
    await store.publish(staged);

    const run = await afterRelease(CALLER("sklearn-classifier"));
    expect(run.job("gitml/deploy")?.result, explain(run)).toBe("success");
    const build = run.steps.find((s) => s.name === "Build the catalog")!;
    expect(build.log).not.toMatch(/could not be read|set GITHUB_TOKEN/);
    const model = await fs.readFile(path.join(harness.pagesRoot, "models", "churn.html"), "utf8");
    expect(model).toContain('Model card <span class="muted">(v2.0.0)</span>');
    expect(model).toContain("Predicts which customers leave.");

    // The same build job without contents: read: the stand-in refuses the release, as GitHub would.
    const site = await fs.readFile(path.join(repoRoot, ".github", "workflows", "site.yml"), "utf8");
    const blind = site.replace(/permissions:\n {6}contents: read.*\n/, "permissions: {}\n");
    expect(blind).not.toBe(site);
    const refused = await withPublished(blind, () => afterRelease(CALLER("sklearn-classifier")));
    const blindBuild = refused.steps.find((s) => s.name === "Build the catalog")!;
    expect(blindBuild.log, explain(refused)).toMatch(/model card of churn@v2\.0\.0 could not be read/);
  });

  it("builds an organisation's catalog from the repositories the caller lists (repos input)", async () => {
    standin.current.state.seedPages(ghRepo);
    // Two more registries, each only a bare repository: the catalog fetches their tags, not their files.
    const others: string[] = [];
    for (const [name, model] of [
      ["fraud", "fraud-detector"],
      ["forecast", "demand"],
    ] as const) {
      const other = await createRepo();
      cleanups.push(() => other.cleanup());
      other.commit("README.md", `# ${name}\n`, "first");
      git(other.work, ["tag", "-a", `${model}@v0.3.0`, "-m", `Registering artifact ${model} version v0.3.0`]);
      git(other.work, ["push", "--quiet", "origin", "main", "--tags"]);
      others.push(other.origin);
    }
    const caller = path.join(repo.root, "caller", ".github", "workflows", "gitml-site.yml");
    await fs.mkdir(path.dirname(caller), { recursive: true });
    // Comma- and newline-separated, as the input's description allows.
    const repos = `${others[0]},\n        ${others[1]}`;
    await fs.writeFile(
      caller,
      (await fs.readFile(CALLER("node-classifier"), "utf8")) +
        `    with:\n      repos: |\n        ${repos}\n`,
    );
    // Local paths stand for the repositories' URLs only on a machine that opts in (gitml's tests).
    harness = new WorkflowHarness({
      origin: repo.origin,
      root: path.join(repo.root, "runner-org"),
      github: standin.current,
      ghRepo,
      artifacts,
      repository: REPOSITORY,
      token: "ghs_unused",
      machineEnv: { GITML_ALLOW_LOCAL_SUITES: "1" },
    });
    const run = await afterRelease(caller);
    expect(run.job("gitml/deploy")?.result, explain(run)).toBe("success");
    const index = await fs.readFile(path.join(harness.pagesRoot, "index.html"), "utf8");
    expect(index).toContain("fraud-detector");
    expect(index).toContain("demand");
    expect(index).toContain("in 2 repositories");
  });

  it("stops at configure-pages, deploying nothing, when Pages is off or publishes from a branch", async () => {
    let run = await afterRelease(CALLER("node-classifier"));
    expect(run.job("gitml/build")?.result).toBe("success");
    expect(run.job("gitml/deploy")?.result).toBe("failure");
    const configure = run.steps.find((s) => s.name === "Check the Pages settings")!;
    expect(configure.outcome).toBe("failure");
    expect(configure.log).toContain("verify that the repository has Pages enabled");
    expect(run.steps.find((s) => s.name === "Deploy")?.outcome).toBe("skipped");

    standin.current.state.seedPages(ghRepo, { buildType: "legacy" });
    run = await afterRelease(CALLER("node-classifier"));
    expect(run.job("gitml/deploy")?.result).toBe("failure");
    expect(run.steps.find((s) => s.name === "Deploy")?.log).toMatch(
      /not configured to build from GitHub Actions/,
    );
    expect(ghRepo.pages!.deployments).toEqual([]);
  });

  it("never starts when the caller grants less than the deploy job asks", async () => {
    standin.current.state.seedPages(ghRepo);
    const text = await fs.readFile(CALLER("node-classifier"), "utf8");
    const file = path.join(repo.root, "caller", ".github", "workflows", "gitml-site.yml");
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text.replace(/^ {2}id-token: write.*\n/m, ""));
    const run = await afterRelease(file);
    expect(run.startupFailure).toContain(
      "The nested job 'deploy' is requesting 'id-token: write', but is only allowed 'id-token: none'.",
    );
    expect(run.jobs).toEqual([]);
    expect(ghRepo.pages!.deployments).toEqual([]);
  });

  it("a deploy job without id-token: write or pages: write is refused, as on GitHub", async () => {
    standin.current.state.seedPages(ghRepo);
    // A called workflow whose deploy job asks for too little (the caller grants all it needs).
    const site = await fs.readFile(path.join(repoRoot, ".github", "workflows", "site.yml"), "utf8");
    // Without id-token: write the runner hands out no OIDC token; without pages: write not even the
    // settings can be read (configure-pages, before any deployment).
    for (const [scope, step, message] of [
      ["id-token", "Deploy", 'Ensure GITHUB_TOKEN has permission "id-token: write"'],
      ["pages", "Check the Pages settings", "Resource not accessible by integration (HTTP 403)"],
    ] as const) {
      const weaker = site.replace(new RegExp(`^ {6}${scope}: write.*\\n`, "m"), "");
      expect(weaker).not.toBe(site);
      const run = await withPublished(weaker, () => afterRelease(CALLER("node-classifier")));
      expect(run.job("gitml/build")?.result, explain(run)).toBe("success");
      expect(run.job("gitml/deploy")?.result, explain(run)).toBe("failure");
      expect(run.steps.find((s) => s.name === step)?.log).toContain(message);
    }
    expect(ghRepo.pages!.deployments).toEqual([]);
  });
});
