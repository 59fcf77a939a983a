/**
 * GITHUB_TOKEN permissions as GitHub applies them: the load-time check of called workflows (a run that
 * asks for more than its caller grants never starts), one token per job scoped to its `permissions:`, and
 * the stand-in's 403 to any call beyond those scopes. Also the runner's default shell;
 * the lifecycle test holds reusable workflows' outputs.
 */
import { Octokit } from "@octokit/rest";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createRepo, type TestRepo } from "../helpers/repo";
import { pointPayloadAt, webhookPayload } from "../runner/run-action";
import { useStandin } from "../standin";
import { startArtifactService, type ArtifactService } from "../standin/artifacts";
import { grantAll } from "../standin/scopes";
import type { RepoRecord } from "../standin/state";
import { WorkflowHarness } from "./harness";
import { grantOf, loadTimeProblems, type WorkflowDoc } from "./permissions";

/** The templates' gitml-pr.yml before issue 11: it grants what the evaluate job uses, no more. */
const OLD_PR_CALLER = `name: gitml PR
on:
  pull_request:
permissions:
  contents: read
  pull-requests: write
  checks: write
jobs:
  gitml:
    uses: gitml/gitml/.github/workflows/pull-request.yml@v1
    with:
      setup-command: npm ci
`;

/** The monitor caller as the README advised when retrain-on-drift is off: `actions: write` dropped. */
const MONITOR_WITHOUT_ACTIONS = `name: gitml monitor
on:
  schedule:
    - cron: "17 6 * * *"
permissions:
  contents: write
  issues: write
jobs:
  gitml:
    uses: gitml/gitml/.github/workflows/monitor.yml@v1
`;

/** The catalog's caller as the templates have it (issue 16). */
const SITE_CALLER = `name: gitml site
on:
  workflow_dispatch:
permissions:
  contents: read
  pages: write
  id-token: write
jobs:
  gitml:
    uses: gitml/gitml/.github/workflows/site.yml@v1
`;

const check = (text: string, defaults: "restricted" | "permissive" = "restricted") =>
  loadTimeProblems(parse(text) as WorkflowDoc, { file: ".github/workflows/caller.yml", defaults });

describe("GitHub's load-time permission check of called workflows", () => {
  it("refuses the old PR caller: post-report asks actions: read though its if: skips it on pull_request", () => {
    expect(check(OLD_PR_CALLER)).toEqual([
      `error parsing called workflow ".github/workflows/caller.yml" -> "gitml/gitml/.github/workflows/pull-request.yml@v1": The nested job 'post-report' is requesting 'actions: read', but is only allowed 'actions: none'.`,
    ]);
    expect(check(OLD_PR_CALLER.replace("  checks: write\n", "  checks: write\n  actions: read\n"))).toEqual(
      [],
    );
  });

  it("refuses a monitor caller without actions: write, whether or not retrain-on-drift is on", () => {
    const problems = check(MONITOR_WITHOUT_ACTIONS);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(
      "The nested job 'monitor' is requesting 'actions: write', but is only allowed 'actions: none'.",
    );
  });

  it("refuses a site caller that grants less than the deploy job's pages: write and id-token: write", () => {
    expect(check(SITE_CALLER)).toEqual([]);
    const site = `error parsing called workflow ".github/workflows/caller.yml" -> "gitml/gitml/.github/workflows/site.yml@v1"`;
    expect(check(SITE_CALLER.replace("  id-token: write\n", ""))).toEqual([
      `${site}: The nested job 'deploy' is requesting 'id-token: write', but is only allowed 'id-token: none'.`,
    ]);
    expect(check(SITE_CALLER.replace("pages: write", "pages: read"))).toEqual([
      `${site}: The nested job 'deploy' is requesting 'pages: write', but is only allowed 'pages: read'.`,
    ]);
    // The repository's default, even a permissive one, never includes id-token.
    const noGrant = SITE_CALLER.replace(/permissions:\n( {2}.*\n)+/, "");
    expect(check(noGrant, "permissive")[0]).toContain(
      "'id-token: write', but is only allowed 'id-token: none'",
    );
    expect(check(noGrant, "restricted")[0]).toContain(
      "'id-token: write', but is only allowed 'id-token: none'",
    );
    expect(check(SITE_CALLER.replace(/permissions:\n( {2}.*\n)+/, "permissions: read-all\n"))[0]).toContain(
      "'id-token: write', but is only allowed 'id-token: none'",
    );
  });

  it("refuses a monitor caller granting contents: read only: the history job pushes the monitoring history", () => {
    const readOnly = MONITOR_WITHOUT_ACTIONS.replace("contents: write", "contents: read").replace(
      "  issues: write\n",
      "  issues: write\n  actions: write\n",
    );
    expect(check(readOnly)).toEqual([
      `error parsing called workflow ".github/workflows/caller.yml" -> "gitml/gitml/.github/workflows/monitor.yml@v1": The nested job 'history' is requesting 'contents: write', but is only allowed 'contents: read'.`,
    ]);
    expect(check(readOnly.replace("contents: read", "contents: write"))).toEqual([]);
  });

  it("monitor.yml: the jobs that run the model's commands cannot write contents; the one that can runs only gitml", async () => {
    const workflow = parse(
      await fs.readFile(path.join(__dirname, "../../reusable-workflows/monitor.yml"), "utf8"),
    ) as {
      jobs: Record<string, { permissions: Record<string, string>; steps: Array<Record<string, unknown>> }>;
    };
    for (const job of ["profile", "monitor"]) expect(workflow.jobs[job]!.permissions.contents).toBe("read");
    const history = workflow.jobs.history!;
    expect(history.permissions).toEqual({ contents: "write" });
    expect(history.steps.filter((step) => "run" in step)).toEqual([]);
    expect(history.steps.map((step) => String(step.uses).split("@")[0])).toEqual([
      "actions/checkout",
      "actions/download-artifact",
      "gitml/gitml/actions/monitor",
    ]);
    expect(history.steps[0]!.with).toMatchObject({ "persist-credentials": false });
  });

  it("a job-level grant beats the workflow's; no grant at all is the repository default", () => {
    const jobLevel = OLD_PR_CALLER.replace("    uses:", "    permissions:\n      contents: read\n    uses:");
    expect(check(jobLevel)[0]).toContain(
      "The nested job 'evaluate' is requesting 'checks: write', but is only allowed 'checks: none'.",
    );
    const noGrant = OLD_PR_CALLER.replace(/permissions:\n( {2}.*\n)+/, "");
    expect(check(noGrant, "restricted")[0]).toContain("'checks: none'");
    expect(check(noGrant, "permissive")).toEqual([]);
    expect(check(OLD_PR_CALLER.replace(/permissions:\n( {2}.*\n)+/, "permissions: write-all\n"))).toEqual([]);
    expect(check(OLD_PR_CALLER.replace(/permissions:\n( {2}.*\n)+/, "permissions: read-all\n"))[0]).toContain(
      "is requesting 'checks: write', but is only allowed 'checks: read'",
    );
  });

  it("reads permissions as GitHub does", () => {
    const none = grantAll("none");
    expect(grantOf(undefined, grantAll("read"))).toEqual(grantAll("read"));
    expect(grantOf({}, grantAll("write"))).toEqual(none);
    expect(grantOf({ issues: "write", metadata: "read" }, none)).toEqual({ ...none, issues: "write" });
    expect(() => grantOf({ isssues: "write" }, none)).toThrow(/unknown scope isssues/);
    expect(() => grantOf({ issues: "admin" }, none)).toThrow(/admin is not read, write or none/);
  });
});

describe("the harness: load-time check, per-job tokens, shells, outputs", () => {
  const standin = useStandin();
  let repo: TestRepo;
  let artifacts: ArtifactService;
  let ghRepo: RepoRecord;
  let harness: WorkflowHarness;
  const workflows = () => path.join(repo.root, "caller", ".github", "workflows");

  beforeEach(async () => {
    repo = await createRepo();
    ghRepo = standin.current.state.seedRepo({ owner: "acme", name: "models", private: true });
    artifacts = await startArtifactService({ github: standin.current, repository: "acme/models" });
    await fs.mkdir(workflows(), { recursive: true });
    harness = new WorkflowHarness({
      origin: repo.origin,
      root: path.join(repo.root, "runner"),
      github: standin.current,
      ghRepo,
      artifacts,
      repository: "acme/models",
      token: "ghs_unused",
    });
  });
  afterEach(async () => {
    await artifacts.close();
    await repo.cleanup();
  });

  async function run(name: string, text: string, eventName = "workflow_dispatch") {
    const file = path.join(workflows(), name);
    await fs.writeFile(file, text);
    const payload = pointPayloadAt(webhookPayload("workflow_dispatch"), { repository: "acme/models" });
    payload.inputs = {};
    return harness.run({ file, eventName, payload, sha: "0".repeat(40), ref: "refs/heads/main" });
  }

  it("fails the old PR caller before any job starts, with GitHub's message", async () => {
    const result = await run("gitml-pr.yml", OLD_PR_CALLER, "pull_request");
    expect(result.startupFailure).toBe(
      `error parsing called workflow ".github/workflows/gitml-pr.yml" -> "gitml/gitml/.github/workflows/pull-request.yml@v1": The nested job 'post-report' is requesting 'actions: read', but is only allowed 'actions: none'.`,
    );
    expect(result.jobs).toEqual([]);
    expect(result.steps).toEqual([]);
    expect(standin.current.calls.total).toBe(0);
    expect(ghRepo.workflowRuns.find((r) => r.id === result.runId)?.conclusion).toBe("failure");
  });

  it("gives each job a token with exactly its permissions; the stand-in answers 403 beyond them", async () => {
    const script = [
      `code="$(curl --silent --output "$RUNNER_TEMP/answer.json" --write-out '%{http_code}' -X POST -H "Authorization: Bearer $GH_TOKEN" -H "Content-Type: application/json" "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/issues" -d '{"title":"from a job"}')"`,
      `echo "code=$code" >> "$GITHUB_OUTPUT"`,
      `echo "message=$(jq -r .message "$RUNNER_TEMP/answer.json")" >> "$GITHUB_OUTPUT"`,
    ].join("\n");
    const job = (permissions: string) =>
      `    runs-on: ubuntu-latest\n    permissions:\n${permissions}\n    steps:\n      - id: call\n        shell: bash\n        env:\n          GH_TOKEN: \${{ github.token }}\n        run: |\n${script
        .split("\n")
        .map((l) => `          ${l}`)
        .join("\n")}\n`;
    const result = await run(
      "scoped.yml",
      `name: scoped\non: workflow_dispatch\njobs:\n  reader:\n${job("      contents: read")}  writer:\n${job("      issues: write")}`,
    );
    expect(result.startupFailure).toBeUndefined();
    const outputs = (jobId: string) => result.steps.find((s) => s.job === jobId)!.outputs;
    expect(outputs("reader")).toEqual({ code: "403", message: "Resource not accessible by integration" });
    expect(outputs("writer")).toEqual({ code: "201", message: "null" });
    expect([...ghRepo.issues.values()].filter((i) => i.title === "from a job")).toHaveLength(1);
  });

  it("runs a run: step without shell: as bash -e {0}, and shell: bash with pipefail", async () => {
    const result = await run(
      "shells.yml",
      [
        "name: shells",
        "on: workflow_dispatch",
        "permissions: {}",
        "jobs:",
        "  default:",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - run: false | true",
        "  bash:",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - run: false | true",
        "        shell: bash",
        "  defaults:",
        "    runs-on: ubuntu-latest",
        "    defaults:",
        "      run:",
        "        shell: bash",
        "    steps:",
        "      - run: false | true",
        "",
      ].join("\n"),
    );
    expect(result.job("default")?.result).toBe("success");
    expect(result.job("bash")?.result).toBe("failure");
    expect(result.job("defaults")?.result).toBe("failure");
  });
});

describe("the stand-in's token scopes", () => {
  const standin = useStandin();

  it("maps each call to its scope and answers 403 with GitHub's body beyond it", async () => {
    const s = standin.current;
    const repo = s.state.seedRepo({ owner: "acme", name: "models" });
    const pull = s.state.seedPull(repo);
    const issue = s.state.seedIssue(repo, { title: "an issue" });
    const none = grantAll("none");
    const octokit = (grant: Partial<typeof none>) =>
      new Octokit({
        auth: s.tokens.issue({ ...none, ...grant }),
        baseUrl: s.url,
        request: { retries: 0 },
        log: { debug() {}, info() {}, warn() {}, error() {} },
      });
    const where = { owner: "acme", repo: "models" };
    const prWriter = octokit({ "pull-requests": "write" });
    await prWriter.rest.issues.createComment({ ...where, issue_number: pull.number, body: "on the PR" });
    await expect(
      prWriter.rest.issues.createComment({ ...where, issue_number: issue.number, body: "on an issue" }),
    ).rejects.toMatchObject({
      status: 403,
      response: {
        data: {
          message: "Resource not accessible by integration",
          documentation_url: expect.stringContaining("docs.github.com"),
          status: "403",
        },
      },
    });
    await expect(prWriter.rest.repos.listReleases(where)).rejects.toMatchObject({ status: 403 });
    await octokit({ contents: "read" }).rest.repos.listReleases(where);
    await expect(
      octokit({ contents: "read" }).rest.repos.createRelease({ ...where, tag_name: "v1" }),
    ).rejects.toMatchObject({ status: 403 });
    await octokit({ contents: "write" }).rest.repos.createRelease({ ...where, tag_name: "v1" });
    await octokit({}).rest.repos.get(where);
    await expect(
      octokit({ actions: "read" }).rest.actions.createWorkflowDispatch({
        ...where,
        workflow_id: "x.yml",
        ref: "main",
      }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      octokit({ checks: "read" }).rest.checks.create({ ...where, name: "gitml", head_sha: pull.headSha }),
    ).rejects.toMatchObject({ status: 403 });
  });
});
