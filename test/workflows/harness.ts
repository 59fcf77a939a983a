/**
 * Runs a workflow file the way GitHub's runner does, locally: jobs in `needs` order, `if:` and every
 * `${{ }}` evaluated with GitHub's own @actions/expressions against the contexts, matrix legs, reusable
 * workflows called with `uses:` (gitml/gitml/.github/workflows/X.yml is this repository's published copy)
 * with their `outputs`, `run:` steps in the shell GitHub picks (`bash -e {0}` without `shell:`, `bash
 * --noprofile --norc -eo pipefail {0}` with `shell: bash`) with the step's env, GITHUB_OUTPUT / GITHUB_ENV /
 * GITHUB_PATH honoured, and gitml's actions from their bundles (runActionBundle), `actions/setup` included:
 * the only way `gitml` reaches PATH.
 *
 * GitHub's token rules apply (./permissions.ts): a run whose called workflows ask for more than the caller
 * grants fails before any job starts, with GitHub's message; each job gets its own GITHUB_TOKEN scoped to
 * exactly its `permissions:` (capped at read for a fork's pull request), and the REST stand-in answers 403
 * to any call beyond those scopes.
 *
 * Still stood in for: actions/checkout (clones the bare origin at the sha), setup-node and setup-python
 * (the machine's own), upload/download-artifact (the artifact stand-in; uploads through @actions/artifact's own client, as
 * actions/upload-artifact does), the three GitHub Pages actions (configure-pages reads the stand-in's Pages
 * site with the job's token; upload-pages-artifact tars the folder as the action does and uploads it;
 * deploy-pages needs the job's `id-token: write` for its OIDC token, creates the deployment with the job's
 * token and unpacks what it published under `pagesRoot`), and `npm ci` of the model's
 * dependencies (links prepared node_modules: there is no registry here). Jobs bound to an Environment wait
 * until the test approves it. */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { RUNNER_GIT_ENV, TEST_GIT_ENV } from "../helpers/repo";
import { minimatch } from "./glob";
import type { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { parse as parseYaml } from "yaml";
import type { ArtifactService } from "../standin/artifacts";
import type { Standin } from "../standin";
import type { RepoRecord } from "../standin/state";
import { parseKeyValueFile, repoRoot, runActionBundle } from "../runner/run-action";
import {
  asString,
  evaluateExpression,
  evaluateToken,
  mappingValue,
  sequenceItems,
  truthy,
  type Contexts,
  type Json,
} from "./expressions";
import { loadWorkflowParser } from "./parser";
import {
  loadCalledWorkflow,
  loadTimeProblems,
  nestedJobGrant,
  PUBLISHED_WORKFLOWS,
  topLevelJobGrant,
  type RepositoryDefault,
  type WorkflowDoc,
} from "./permissions";
import { grantAll, lowerOf, type Grant } from "../standin/scopes";

export interface HarnessOptions {
  /** Bare git repository standing for the GitHub repository's git side. */
  origin: string;
  /** Scratch folder: workspaces, runner temp, the tool shims. */
  root: string;
  github: Standin;
  ghRepo: RepoRecord;
  artifacts: ArtifactService;
  /** owner/name */
  repository: string;
  /** What GITHUB_TOKEN is in every job. */
  token: string;
  /** node_modules a stand-in `npm ci` links into the checkout (the npm registry stand-in). */
  nodeModules?: string;
  /**
   * The repository's default workflow permissions, what a job without `permissions:` (in a workflow
   * without them) gets: "restricted" (contents and packages read; GitHub's default since 2023) unless said.
   */
  repositoryDefault?: RepositoryDefault;
  /**
   * Where gitml's published reusable workflows are read from (default this checkout's
   * `.github/workflows/`): a test may point at a copy with one workflow changed.
   */
  publishedWorkflows?: string;
  /** Environment variables the runner machine itself has (a self-hosted runner's), in every step. */
  machineEnv?: Record<string, string>;
}

export interface StepRecord {
  job: string;
  name: string;
  outcome: "success" | "failure" | "skipped";
  outputs: Record<string, string>;
  log: string;
}

export interface JobResult {
  /** Caller job id and called job id joined with "/", plus the matrix leg in parentheses. */
  id: string;
  result: "success" | "failure" | "skipped" | "waiting";
  outputs: Record<string, string>;
  environment?: string;
}

export interface RunWorkflowOptions {
  /** The caller workflow file. */
  file: string;
  eventName: string;
  payload: Record<string, unknown>;
  sha: string;
  ref: string;
  /** Environments whose required reviewers approved (jobs bound to others wait). */
  approved?: string[];
  /**
   * One GITHUB_TOKEN for every job of this run, unscoped (default: each job gets a token scoped to exactly
   * its `permissions:`). A read-only one stands for a fork's pull request.
   */
  token?: string;
  /** A pull request from a fork: every job's token is capped at read, as GitHub does. */
  fork?: boolean;
}

export interface WorkflowRunResult {
  runId: number;
  /**
   * Why GitHub refused to start the run (the load-time permission check of called workflows); no job ran.
   */
  startupFailure?: string;
  jobs: JobResult[];
  steps: StepRecord[];
  /** The environments jobs are waiting for. */
  waiting: string[];
  job(id: string): JobResult | undefined;
  /** Approves an environment and runs the jobs that waited for it (and what needs them). */
  approve(environment: string): Promise<WorkflowRunResult>;
}

type Parsed = Awaited<ReturnType<typeof parseWorkflowFile>>;

export async function parseWorkflowFile(file: string) {
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await loadWorkflowParser();
  const result = parseWorkflow(
    { name: file, content: readFileSync(file, "utf8") },
    new NoOperationTraceWriter(),
  );
  const errors = result.context.errors.getErrors();
  if (errors.length > 0 || !result.value)
    throw new Error(`${file}: ${errors.map((e) => e.message).join("; ")}`);
  const template = await convertWorkflowTemplate(result.context, result.value);
  if (template.errors?.length)
    throw new Error(`${file}: ${template.errors.map((e) => e.Message).join("; ")}`);
  const doc = parseYaml(readFileSync(file, "utf8")) as WorkflowDoc & {
    defaults?: { run?: { shell?: string } };
    on?: { workflow_call?: { outputs?: Record<string, { value?: string }> } };
  };
  return { file, raw: result.value, template, doc };
}

/** gitml's published reusable workflows; `./.github/workflows/X` is the same file in gitml's own runs. */
const REUSABLE =
  /^(?:gitml\/gitml\/\.github\/workflows\/([\w.-]+\.ya?ml)@\S+|\.\/\.github\/workflows\/([\w.-]+\.ya?ml))$/;
/** gitml's actions at a ref (run from this checkout's bundles), or `./actions/X` of the job's own checkout. */
const GITML_ACTION = /^(?:gitml\/gitml\/actions\/([\w-]+)@\S+|\.\/actions\/([\w-]+))$/;

interface JobState {
  result: JobResult["result"];
  outputs: Record<string, string>;
}

export class WorkflowHarness {
  readonly steps: StepRecord[] = [];
  /** What the last GitHub Pages deployment published (stand-in for the site Pages serves). */
  readonly pagesRoot: string;
  private readonly shims: string;
  private sequence = 0;

  constructor(private readonly options: HarnessOptions) {
    this.shims = path.join(options.root, "shims");
    this.pagesRoot = path.join(options.root, "pages");
    this.writeShims();
  }

  /**
   * `npm` stands in for the registry in `npm ci` (the model's dependencies). Nothing else: `gitml` reaches
   * PATH only through gitml's own setup action, as on GitHub, and any install by package name goes to the
   * real npm, which has no registry to reach here.
   */
  private writeShims(): void {
    mkdirSync(this.shims, { recursive: true });
    const realNpm = execFileSync("bash", ["-c", "command -v npm"], { encoding: "utf8" }).trim();
    const script = (name: string, body: string) => {
      const file = path.join(this.shims, name);
      writeFileSync(file, `#!/usr/bin/env bash\n${body}\n`);
      chmodSync(file, 0o755);
    };
    script(
      "npm",
      [
        `case "$1" in`,
        `  ci)`,
        this.options.nodeModules
          ? `    [ -e node_modules ] || ln -s "${this.options.nodeModules}" node_modules; echo "npm stand-in: linked node_modules"; exit 0 ;;`
          : `    echo "npm stand-in: no node_modules to provide" >&2; exit 1 ;;`,
        `esac`,
        `exec "${realNpm}" "$@"`,
      ].join("\n"),
    );
  }

  /**
   * For a pull_request run: writes GitHub's test merge commit of the PR's head into its base branch's tip
   * as `refs/pull/N/merge` in the origin, and returns its sha (undefined for other events).
   */
  private pullMergeRef(options: RunWorkflowOptions): string | undefined {
    const pull = options.payload.pull_request as
      { number?: number; head?: { sha?: string }; base?: { ref?: string } } | undefined;
    const match = /^refs\/pull\/(\d+)\/merge$/.exec(options.ref);
    if (options.eventName !== "pull_request" || !match || !pull?.head?.sha) return undefined;
    const git = (args: string[]) =>
      execFileSync("git", args, {
        cwd: this.options.origin,
        encoding: "utf8",
        env: { ...process.env, ...TEST_GIT_ENV },
      }).trim();
    const base = git(["rev-parse", `refs/heads/${pull.base?.ref ?? "main"}`]);
    const tree = git(["merge-tree", "--write-tree", base, pull.head.sha]).split("\n")[0]!;
    const merge = git([
      "commit-tree",
      tree,
      "-p",
      base,
      "-p",
      pull.head.sha,
      "-m",
      `Merge ${pull.head.sha} into ${base}`,
    ]);
    git(["update-ref", options.ref, merge]);
    return merge;
  }

  async run(options: RunWorkflowOptions): Promise<WorkflowRunResult> {
    const caller = await parseWorkflowFile(options.file);
    const workflowFile = path.basename(options.file);
    const ghRun = this.options.github.state.seedWorkflowRun(this.options.ghRepo, {
      workflowFile,
      headSha: options.sha,
      headBranch: headBranchOf(options),
      event: options.eventName,
      status: "in_progress",
      conclusion: null,
    });
    const repositoryDefault = this.options.repositoryDefault ?? "restricted";
    const published = this.options.publishedWorkflows ?? PUBLISHED_WORKFLOWS;
    const problems = loadTimeProblems(caller.doc, {
      file: path.relative(path.dirname(path.dirname(path.dirname(options.file))), options.file),
      defaults: repositoryDefault,
      load: (uses) => loadCalledWorkflow(uses, published),
    });
    if (problems.length > 0) {
      ghRun.status = "completed";
      ghRun.conclusion = "failure";
      const result: WorkflowRunResult = {
        runId: ghRun.id,
        startupFailure: problems.join("\n"),
        jobs: [],
        steps: [],
        waiting: [],
        job: () => undefined,
        approve: () => Promise.resolve(result),
      };
      return result;
    }
    // As GitHub does for pull_request: the run's head is the PR's head, but jobs get the test merge
    // commit (refs/pull/N/merge, head merged into the base's tip) as GITHUB_SHA and check it out.
    const mergeSha = this.pullMergeRef(options);
    const approved = new Set(options.approved ?? []);
    const states = new Map<string, JobState>();
    const results: JobResult[] = [];
    const runStart = this.steps.length;
    const github: Record<string, Json> = {
      event_name: options.eventName,
      event: options.payload as Json,
      sha: mergeSha ?? options.sha,
      ref: options.ref,
      ref_name: options.ref.replace(/^refs\/(heads|tags)\//, ""),
      repository: this.options.repository,
      repository_owner: this.options.repository.split("/")[0]!,
      run_id: String(ghRun.id),
      run_number: String(ghRun.runNumber),
      run_attempt: "1",
      actor: "octocat",
      workflow: String(
        caller.template.jobs.length
          ? ((parseYaml(readFileSync(options.file, "utf8")) as { name?: string }).name ?? workflowFile)
          : workflowFile,
      ),
      server_url: "https://github.com",
      api_url: this.options.github.url,
      token: options.token ?? this.options.token,
    };
    const callerInputs = (options.payload.inputs as Record<string, Json> | undefined) ?? {};

    const runAll = async (): Promise<void> => {
      await this.runJobs(caller, {
        prefix: "",
        github,
        inputs: callerInputs,
        states,
        results,
        approved,
        runId: ghRun.id,
        options,
      });
    };
    await runAll();

    const finish = (): WorkflowRunResult => {
      const waiting = [...new Set(results.filter((j) => j.result === "waiting").map((j) => j.environment!))];
      const failed = results.some((j) => j.result === "failure");
      if (waiting.length === 0) {
        ghRun.status = "completed";
        ghRun.conclusion = failed ? "failure" : "success";
      }
      const latest = (id: string) => [...results].reverse().find((j) => j.id === id);
      return {
        runId: ghRun.id,
        jobs: dedupeLatest(results),
        steps: this.steps.slice(runStart),
        waiting,
        job: latest,
        approve: async (environment: string) => {
          approved.add(environment);
          for (const [id, state] of states) if (state.result === "waiting") states.delete(id);
          await runAll();
          return finish();
        },
      };
    };
    return finish();
  }

  private async runJobs(
    workflow: Parsed,
    scope: {
      prefix: string;
      github: Record<string, Json>;
      inputs: Record<string, Json>;
      states: Map<string, JobState>;
      results: JobResult[];
      approved: Set<string>;
      runId: number;
      options: RunWorkflowOptions;
      secrets?: Record<string, string>;
      /** The grant of the job that called this workflow; undefined at the top of the run. */
      callerGrant?: Grant;
    },
  ): Promise<void> {
    const rawJobs = mappingValue(workflow.raw, "jobs");
    const pending = [...workflow.template.jobs];
    while (pending.length > 0) {
      const index = pending.findIndex((job) =>
        (job.needs ?? []).every((need) => {
          const state = scope.states.get(scope.prefix + need.value);
          return state !== undefined && state.result !== "waiting";
        }),
      );
      if (index < 0) {
        // The rest waits (an Environment not yet approved upstream).
        for (const job of pending) {
          const id = scope.prefix + job.id.value;
          if (!scope.states.has(id)) scope.states.set(id, { result: "waiting", outputs: {} });
        }
        return;
      }
      const job = pending.splice(index, 1)[0]!;
      const id = scope.prefix + job.id.value;
      if (scope.states.has(id)) continue; // done in an earlier pass (before an approval)
      const needs: Contexts["needs"] = {};
      for (const need of job.needs ?? []) {
        const state = scope.states.get(scope.prefix + need.value)!;
        needs[need.value] = { result: state.result, outputs: state.outputs };
      }
      const needsFailed = Object.values(needs).some((n) => n.result !== "success");
      let grant = scope.callerGrant
        ? nestedJobGrant(workflow.doc, job.id.value, scope.callerGrant)
        : topLevelJobGrant(workflow.doc, job.id.value, this.options.repositoryDefault ?? "restricted");
      if (scope.options.fork) grant = lowerOf(grant, grantAll("read"));
      // Each job's GITHUB_TOKEN carries exactly its permissions (unless the test gave the run one token).
      const jobToken = scope.options.token ?? this.options.github.tokens.issue(grant, job.id.value);
      const contexts: Partial<Contexts> = {
        github: { ...scope.github, token: jobToken },
        inputs: scope.inputs,
        needs,
        secrets: { ...scope.secrets, GITHUB_TOKEN: jobToken },
        vars: {},
      };
      const runIf = truthy(evaluateExpression(job.if.expression, contexts, { failed: needsFailed }));
      if (!runIf) {
        scope.states.set(id, { result: "skipped", outputs: {} });
        scope.results.push({ id, result: "skipped", outputs: {} });
        continue;
      }
      const rawJob = mappingValue(rawJobs, job.id.value);
      if (job.type === "reusableWorkflowJob") {
        const match = REUSABLE.exec(job.ref.value);
        if (!match)
          throw new Error(`${id}: only gitml's reusable workflows are known here, not ${job.ref.value}`);
        const called = await parseWorkflowFile(
          path.join(this.options.publishedWorkflows ?? PUBLISHED_WORKFLOWS, match[1] ?? match[2]!),
        );
        const given = evaluateToken(mappingValue(rawJob, "with"), contexts, { failed: false }) as Record<
          string,
          Json
        > | null;
        const inputs = calledInputs(called, given ?? {});
        const secretsGiven = evaluateToken(mappingValue(rawJob, "secrets"), contexts, { failed: false });
        await this.runJobs(called, {
          ...scope,
          prefix: `${id}/`,
          inputs,
          states: scope.states,
          callerGrant: grant,
          secrets:
            secretsGiven === "inherit"
              ? scope.secrets
              : Object.fromEntries(
                  Object.entries((secretsGiven as Record<string, Json> | null) ?? {}).map(([k, v]) => [
                    k,
                    asString(v),
                  ]),
                ),
        });
        const calledResults = [...scope.states.entries()].filter(([key]) => key.startsWith(`${id}/`));
        const waiting = calledResults.some(([, s]) => s.result === "waiting");
        if (waiting) continue; // runs again after the approval
        const failed = calledResults.some(([, s]) => s.result === "failure");
        const outputs = calledOutputs(called, id, scope.states);
        scope.states.set(id, { result: failed ? "failure" : "success", outputs });
        scope.results.push({ id, result: failed ? "failure" : "success", outputs });
        continue;
      }
      const environmentToken = mappingValue(rawJob, "environment");
      if (environmentToken) {
        // Only the name decides whether the job waits; `url` may name the job's steps (GitHub evaluates
        // it when the job is done), so it is not evaluated here.
        const named = mappingValue(environmentToken, "name");
        const name = asString(evaluateToken(named ?? environmentToken, contexts, { failed: false }));
        if (name && !scope.approved.has(name)) {
          scope.states.set(id, { result: "waiting", outputs: {} });
          scope.results.push({ id, result: "waiting", outputs: {}, environment: name });
          continue;
        }
      }
      const legs = matrixLegs(
        evaluateToken(mappingValue(mappingValue(rawJob, "strategy"), "matrix"), contexts, { failed: false }),
      );
      let failed = false;
      const outputs: Record<string, string> = {};
      for (const matrix of legs) {
        const legId =
          legs.length > 1 || Object.keys(matrix).length > 0
            ? `${id} (${Object.values(matrix).map(asString).join(", ")})`
            : id;
        const leg = await this.runJob(
          legId,
          job.id.value,
          rawJob,
          { ...contexts, matrix, strategy: {}, job: {} },
          { ...scope, defaultShell: workflow.doc.defaults?.run?.shell },
        );
        failed ||= leg.result === "failure";
        Object.assign(outputs, leg.outputs);
        scope.results.push({ id: legId, result: leg.result, outputs: leg.outputs });
      }
      scope.states.set(id, { result: failed ? "failure" : "success", outputs });
      scope.results.push({ id, result: failed ? "failure" : "success", outputs });
    }
  }

  private async runJob(
    legId: string,
    jobId: string,
    rawJob: TemplateToken | undefined,
    baseContexts: Partial<Contexts>,
    scope: {
      github: Record<string, Json>;
      runId: number;
      options: RunWorkflowOptions;
      defaultShell?: string;
    },
  ): Promise<{ result: "success" | "failure"; outputs: Record<string, string> }> {
    const dir = path.join(this.options.root, "jobs", `${++this.sequence}-${jobId}`);
    const workspace = path.join(dir, "workspace");
    const runnerTemp = path.join(dir, "temp");
    mkdirSync(workspace, { recursive: true });
    mkdirSync(runnerTemp, { recursive: true });
    const runner = { temp: runnerTemp, os: "Linux", arch: "X64" };
    const github = { ...(baseContexts.github ?? scope.github), workspace, job: jobId };
    const jobDefaultShell = asString(
      evaluateToken(
        mappingValue(mappingValue(mappingValue(rawJob, "defaults"), "run"), "shell"),
        baseContexts,
        {
          failed: false,
        },
      ),
    );
    const contexts: Partial<Contexts> = { ...baseContexts, github, runner, steps: {}, env: {} };
    const jobEnv = evaluateToken(mappingValue(rawJob, "env"), contexts, { failed: false }) as Record<
      string,
      Json
    > | null;
    const env: Record<string, string> = Object.fromEntries(
      Object.entries(jobEnv ?? {}).map(([k, v]) => [k, asString(v)]),
    );
    const extraPath: string[] = [];
    let failed = false;
    const steps = sequenceItems(mappingValue(rawJob, "steps"));
    for (const [index, rawStep] of steps.entries()) {
      const stepContexts: Partial<Contexts> = { ...contexts, env };
      const ifToken = mappingValue(rawStep, "if");
      const condition = ifToken ? stepCondition(ifToken) : "success()";
      const stepId =
        asString(evaluateToken(mappingValue(rawStep, "id"), stepContexts, { failed })) || `__step${index}`;
      const name =
        asString(evaluateToken(mappingValue(rawStep, "name"), stepContexts, { failed })) ||
        asString(evaluateToken(mappingValue(rawStep, "uses"), stepContexts, { failed })) ||
        `run ${index}`;
      if (!truthy(evaluateExpression(condition, stepContexts, { failed }))) {
        contexts.steps![stepId] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
        this.steps.push({ job: legId, name, outcome: "skipped", outputs: {}, log: "" });
        continue;
      }
      const stepEnvValue = evaluateToken(mappingValue(rawStep, "env"), stepContexts, { failed }) as Record<
        string,
        Json
      > | null;
      const stepEnv = {
        ...env,
        ...Object.fromEntries(Object.entries(stepEnvValue ?? {}).map(([k, v]) => [k, asString(v)])),
      };
      const workingDirectory = asString(
        evaluateToken(mappingValue(rawStep, "working-directory"), stepContexts, { failed }),
      );
      const cwd = path.resolve(workspace, workingDirectory || ".");
      const files = {
        output: path.join(runnerTemp, `output-${index}`),
        env: path.join(runnerTemp, `env-${index}`),
        path: path.join(runnerTemp, `path-${index}`),
        summary: path.join(runnerTemp, `summary-${index}`),
      };
      for (const file of Object.values(files)) writeFileSync(file, "");
      const runnerEnv: Record<string, string> = {
        ...this.options.machineEnv,
        PATH: [...extraPath, this.shims, process.env.PATH ?? ""].join(":"),
        HOME: process.env.HOME ?? "/root",
        LANG: "C.UTF-8",
        // A hosted runner's git: no system or global configuration, so no identity either.
        ...RUNNER_GIT_ENV,
        CI: "true",
        GITHUB_ACTIONS: "true",
        GITHUB_WORKSPACE: workspace,
        GITHUB_REPOSITORY: this.options.repository,
        GITHUB_REPOSITORY_OWNER: this.options.repository.split("/")[0]!,
        GITHUB_API_URL: this.options.github.url,
        GITHUB_SERVER_URL: "https://github.com",
        GITHUB_SHA: scope.options.sha,
        GITHUB_REF: scope.options.ref,
        GITHUB_EVENT_NAME: scope.options.eventName,
        GITHUB_RUN_ID: String(scope.runId),
        GITHUB_JOB: jobId,
        GITHUB_OUTPUT: files.output,
        GITHUB_ENV: files.env,
        GITHUB_PATH: files.path,
        GITHUB_STEP_SUMMARY: files.summary,
        RUNNER_TEMP: runnerTemp,
        RUNNER_OS: "Linux",
        GITML_RETRY_BASE_MS: "1",
        GITML_PACE_WRITES: "false",
      };
      let outcome: "success" | "failure" = "success";
      let outputs: Record<string, string> = {};
      let log = "";
      const uses = asString(evaluateToken(mappingValue(rawStep, "uses"), stepContexts, { failed }));
      const withValues = evaluateToken(mappingValue(rawStep, "with"), stepContexts, { failed }) as Record<
        string,
        Json
      > | null;
      const inputs = Object.fromEntries(Object.entries(withValues ?? {}).map(([k, v]) => [k, asString(v)]));
      try {
        if (uses) {
          const result = await this.runUses(uses, inputs, {
            workspace,
            runnerTemp,
            stepEnv: { ...stepEnv, PATH: runnerEnv.PATH!, GITHUB_PATH: files.path, GITHUB_ENV: files.env },
            contexts: stepContexts,
            scope,
            jobId,
          });
          outcome = result.ok ? "success" : "failure";
          outputs = result.outputs;
          log = result.log;
          Object.assign(env, parseKeyValueFile(readFileSync(files.env, "utf8")));
          extraPath.unshift(...readFileSync(files.path, "utf8").split("\n").filter(Boolean).reverse());
        } else {
          const script = asString(evaluateToken(mappingValue(rawStep, "run"), stepContexts, { failed }));
          const scriptFile = path.join(runnerTemp, `step-${index}.sh`);
          writeFileSync(scriptFile, script);
          const shell =
            asString(evaluateToken(mappingValue(rawStep, "shell"), stepContexts, { failed })) ||
            jobDefaultShell ||
            scope.defaultShell;
          const [command, ...args] = shellCommand(shell, scriptFile);
          const result = await runProcess(command!, args, {
            cwd,
            env: { ...runnerEnv, ...stepEnv },
          });
          outcome = result.code === 0 ? "success" : "failure";
          outputs = parseKeyValueFile(readFileSync(files.output, "utf8"));
          log = result.output;
          Object.assign(env, parseKeyValueFile(readFileSync(files.env, "utf8")));
          extraPath.unshift(...readFileSync(files.path, "utf8").split("\n").filter(Boolean).reverse());
        }
      } catch (error) {
        outcome = "failure";
        log += `\n${(error as Error).stack ?? String(error)}`;
      }
      contexts.steps![stepId] = { outputs, outcome, conclusion: outcome };
      this.steps.push({ job: legId, name, outcome, outputs, log });
      if (outcome === "failure") failed = true;
    }
    const outputsValue = evaluateToken(mappingValue(rawJob, "outputs"), contexts, { failed }) as Record<
      string,
      Json
    > | null;
    return {
      result: failed ? "failure" : "success",
      outputs: Object.fromEntries(Object.entries(outputsValue ?? {}).map(([k, v]) => [k, asString(v)])),
    };
  }

  private async runUses(uses: string, inputs: Record<string, string>, step: UsesStep): Promise<StepOutcome> {
    const gitmlAction = GITML_ACTION.exec(uses);
    if (gitmlAction) {
      const name = gitmlAction[1] ?? gitmlAction[2]!;
      // `./actions/X` runs from the job's checkout, as the runner does; `gitml/gitml/...@ref` from this one.
      const home = gitmlAction[2] ? step.workspace : repoRoot;
      const declared = parseYaml(readFileSync(path.join(home, "actions", name, "action.yml"), "utf8")) as {
        inputs?: Record<string, { default?: string }>;
      };
      const withDefaults: Record<string, string> = {};
      for (const [input, spec] of Object.entries(declared.inputs ?? {})) {
        if (inputs[input] !== undefined) withDefaults[input] = inputs[input];
        else if (spec.default !== undefined) withDefaults[input] = expandDefault(spec.default, step.contexts);
      }
      const run = await runActionBundle(name, {
        bareRunner: true,
        bundle: path.join(home, "dist", "actions", `${name}.js`),
        cwd: step.workspace,
        inputs: withDefaults,
        eventName: step.scope.options.eventName,
        payload: step.scope.options.payload,
        repository: this.options.repository,
        apiUrl: this.options.github.url,
        sha: asString(step.scope.github.sha),
        ref: step.scope.options.ref,
        runId: step.scope.runId,
        workflow: asString(step.scope.github.workflow ?? "gitml"),
        job: step.jobId,
        artifacts: this.options.artifacts.runnerEnv({ runId: step.scope.runId, job: step.jobId }),
        env: {
          ...step.stepEnv,
          GITML_RETRY_BASE_MS: "1",
          GITML_PACE_WRITES: "false",
          RUNNER_TEMP: step.runnerTemp,
        },
      });
      return { ok: run.code === 0, outputs: run.outputs, log: run.stdout + run.stderr };
    }
    const [action] = uses.split("@");
    switch (action) {
      case "actions/checkout": {
        const sha = asString(step.scope.github.sha);
        execFileSync("git", ["clone", "--quiet", this.options.origin, step.workspace], { stdio: "pipe" });
        if (/^refs\/pull\/\d+\/merge$/.test(step.scope.options.ref)) {
          // Not cloned by default, as on GitHub: fetched by name.
          execFileSync("git", ["fetch", "--quiet", "origin", step.scope.options.ref], {
            cwd: step.workspace,
            stdio: "pipe",
          });
        }
        // The head of a pull request lives on its branch in the origin (GitHub's refs/pull/N/head).
        execFileSync("git", ["checkout", "--quiet", "--detach", sha], { cwd: step.workspace, stdio: "pipe" });
        return { ok: true, outputs: { commit: sha, ref: step.scope.options.ref }, log: `checked out ${sha}` };
      }
      case "actions/setup-node":
      case "actions/setup-python":
        return { ok: true, outputs: {}, log: `${action}: the runner's own` };
      case "actions/upload-artifact": {
        const files: string[] = [];
        const roots: string[] = [];
        for (const line of (inputs.path ?? "")
          .split("\n")
          .map((l) => l.trim())
          .filter(Boolean)) {
          const resolved = path.resolve(step.workspace, line);
          if (!existsSync(resolved)) continue;
          if ((await fs.stat(resolved)).isDirectory()) {
            roots.push(resolved);
            for (const entry of await fs.readdir(resolved, { recursive: true, withFileTypes: true }))
              if (entry.isFile()) files.push(path.join(entry.parentPath, entry.name));
          } else {
            roots.push(path.dirname(resolved));
            files.push(resolved);
          }
        }
        if (files.length === 0)
          return inputs["if-no-files-found"] === "error"
            ? { ok: false, outputs: {}, log: `no files found at ${inputs.path}` }
            : { ok: true, outputs: {}, log: `no files found at ${inputs.path}: nothing uploaded` };
        // The action's root: the least common ancestor of the paths given.
        const root = roots.reduce((a, b) => {
          while (!`${b}${path.sep}`.startsWith(`${a}${path.sep}`)) a = path.dirname(a);
          return a;
        });
        const result = await this.uploadArtifact(inputs.name || "artifact", root, files, step);
        return { ok: result.ok, outputs: { "artifact-id": result.id }, log: result.log };
      }
      // GitHub Pages, as its three actions use it: the REST calls go to the stand-in with the job's token
      // (so `pages` and `id-token` are enforced as GitHub does), the artifact to the artifact stand-in.
      case "actions/configure-pages":
        return this.configurePages(inputs, step);
      case "actions/upload-pages-artifact": {
        const site = path.resolve(step.workspace, inputs.path || "_site/");
        const archive = path.join(step.runnerTemp, "artifact.tar");
        // The action's own archive step on Linux (v5: hidden files left out unless asked for).
        const hidden = inputs["include-hidden-files"] === "true" ? [] : ["--exclude=.[^/]*"];
        const tar = await runProcess(
          "tar",
          ["--dereference", "--hard-dereference", "--directory", site, "-cvf", archive].concat([
            "--exclude=.git",
            "--exclude=.github",
            ...hidden,
            ".",
          ]),
          { cwd: step.workspace, env: { PATH: process.env.PATH ?? "" } },
        );
        if (tar.code !== 0) return { ok: false, outputs: {}, log: tar.output };
        const result = await this.uploadArtifact(
          inputs.name || "github-pages",
          step.runnerTemp,
          [archive],
          step,
        );
        return { ok: result.ok, outputs: { artifact_id: result.id }, log: tar.output + result.log };
      }
      case "actions/deploy-pages":
        return this.deployPages(inputs, step);
      case "actions/download-artifact": {
        const runId = Number(inputs["run-id"] || step.scope.runId);
        const target = path.resolve(step.workspace, inputs.path || ".");
        const found = this.options.artifacts
          .artifactsOf(runId)
          .filter((a) => (inputs.name ? a.name === inputs.name : minimatch(a.name, inputs.pattern || "*")));
        for (const artifact of found) {
          const into =
            inputs.name || inputs["merge-multiple"] === "true" ? target : path.join(target, artifact.name);
          for (const [file, content] of this.options.artifacts.files(artifact)) {
            const destination = path.join(into, file);
            await fs.mkdir(path.dirname(destination), { recursive: true });
            await fs.writeFile(destination, content);
          }
        }
        if (inputs.name && found.length === 0)
          return { ok: false, outputs: {}, log: `no artifact ${inputs.name}` };
        return {
          ok: true,
          outputs: { "download-path": target },
          log: `downloaded ${found.length} artifact(s)`,
        };
      }
      default:
        throw new Error(`no stand-in for ${uses}`);
    }
  }

  /** Uploads files as actions/upload-artifact does: @actions/artifact's own client, against the stand-in. */
  private async uploadArtifact(
    name: string,
    root: string,
    files: string[],
    step: UsesStep,
  ): Promise<{ ok: boolean; id: string; log: string }> {
    const artifacts = this.options.artifacts.runnerEnv({ runId: step.scope.runId, job: step.jobId });
    const script = [
      `const { DefaultArtifactClient } = await import(${JSON.stringify(path.join(repoRoot, "node_modules", "@actions", "artifact", "lib", "artifact.js"))});`,
      `const [name, root, ...files] = process.argv.slice(1);`,
      `const result = await new DefaultArtifactClient().uploadArtifact(name, files, root);`,
      `console.log(JSON.stringify(result));`,
    ].join("\n");
    const result = await new Promise<{ code: number; log: string }>((resolve) => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script, name, root, ...files], {
        env: {
          ...process.env,
          ACTIONS_RESULTS_URL: artifacts.resultsUrl,
          ACTIONS_RUNTIME_TOKEN: artifacts.runtimeToken,
          GITHUB_WORKSPACE: step.workspace,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let log = "";
      child.stdout.on("data", (d: Buffer) => (log += d.toString()));
      child.stderr.on("data", (d: Buffer) => (log += d.toString()));
      child.on("close", (code) => resolve({ code: code ?? 1, log }));
    });
    const id = /"id":\s*(\d+)/.exec(result.log)?.[1] ?? "";
    return { ok: result.code === 0, id, log: result.log };
  }

  /** A REST call to the stand-in with the step's token, as the Pages actions make them. */
  private async pagesApi(
    method: "GET" | "POST",
    route: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${this.options.github.url}/repos/${this.options.repository}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /**
   * actions/configure-pages (without `enablement`): reads the Pages site, which takes `pages: read`, and
   * fails as the action does when Pages is off or the token may not read it.
   */
  private async configurePages(inputs: Record<string, string>, step: UsesStep): Promise<StepOutcome> {
    const token = inputs.token || asString(step.contexts.github?.token ?? "");
    const { status, json } = await this.pagesApi("GET", "/pages", token);
    if (status !== 200)
      return {
        ok: false,
        outputs: {},
        log:
          `Get Pages site failed. Please verify that the repository has Pages enabled and configured to build ` +
          `using GitHub Actions, or consider exploring the \`enablement\` parameter for this action. ` +
          `Error: ${String(json.message)} (HTTP ${status})`,
      };
    const url = new URL(String(json.html_url));
    const basePath = url.pathname.replace(/\/$/, "");
    return {
      ok: true,
      outputs: {
        base_url: `${url.origin}${basePath}`,
        origin: url.origin,
        host: url.host,
        base_path: basePath,
      },
      log: `Pages site: ${url.href} (build_type ${String(json.build_type)})`,
    };
  }

  /**
   * actions/deploy-pages: an OIDC token (which a runner hands out only to a job granted `id-token: write`),
   * the run's `github-pages` artifact, `POST /pages/deployments` with the job's token (`pages: write`),
   * then the status. The deployed files are unpacked under {@link pagesRoot}, as the Pages site would
   * serve them.
   */
  private async deployPages(inputs: Record<string, string>, step: UsesStep): Promise<StepOutcome> {
    const token = inputs.token || asString(step.contexts.github?.token ?? "");
    const grant = this.options.github.tokens.grantOf(asString(step.contexts.github?.token ?? ""));
    if (grant && grant["id-token"] !== "write")
      return {
        ok: false,
        outputs: {},
        log:
          `Error: Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable. ` +
          `Ensure GITHUB_TOKEN has permission "id-token: write".`,
      };
    const name = inputs.artifact_name || "github-pages";
    const [artifact] = this.options.artifacts.artifactsOf(step.scope.runId, name);
    if (!artifact)
      return {
        ok: false,
        outputs: {},
        log: `No artifacts named "${name}" were found for this workflow run. Ensure artifacts are uploaded with actions/upload-pages-artifact.`,
      };
    const claims = {
      repository: this.options.repository,
      run_id: String(step.scope.runId),
      job: step.jobId,
      environment: "github-pages",
      aud: `https://github.com/${this.options.repository.split("/")[0]}`,
    };
    const oidcToken = `oidc.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.stand-in`;
    const created = await this.pagesApi("POST", "/pages/deployments", token, {
      artifact_id: artifact.id,
      pages_build_version: asString(step.scope.github.sha),
      oidc_token: oidcToken,
    });
    if (created.status !== 200)
      return {
        ok: false,
        outputs: {},
        log:
          `Creating Pages deployment failed: ${String(created.json.message)} (HTTP ${created.status}). ` +
          (created.status === 403 ? `Ensure GITHUB_TOKEN has permission "pages: write".` : ""),
      };
    const status = await this.pagesApi(
      "GET",
      `/pages/deployments/${encodeURIComponent(String(created.json.id))}`,
      token,
    );
    if (status.json.status !== "succeed")
      return { ok: false, outputs: {}, log: `Deployment ended ${String(status.json.status)}` };
    await fs.rm(this.pagesRoot, { recursive: true, force: true });
    await fs.mkdir(this.pagesRoot, { recursive: true });
    const archive = this.options.artifacts.files(artifact).get("artifact.tar");
    if (!archive) return { ok: false, outputs: {}, log: "the github-pages artifact holds no artifact.tar" };
    const tarFile = path.join(step.runnerTemp, "deployed.tar");
    await fs.writeFile(tarFile, archive);
    const untar = await runProcess("tar", ["-xf", tarFile, "-C", this.pagesRoot], {
      cwd: step.runnerTemp,
      env: { PATH: process.env.PATH ?? "" },
    });
    if (untar.code !== 0) return { ok: false, outputs: {}, log: untar.output };
    const pageUrl = String(created.json.page_url);
    return { ok: true, outputs: { page_url: pageUrl }, log: `Reported success! ${pageUrl}` };
  }
}

interface UsesStep {
  workspace: string;
  runnerTemp: string;
  stepEnv: Record<string, string>;
  contexts: Partial<Contexts>;
  scope: { github: Record<string, Json>; runId: number; options: RunWorkflowOptions };
  jobId: string;
}

interface StepOutcome {
  ok: boolean;
  outputs: Record<string, string>;
  log: string;
}

/**
 * The command a Linux runner runs a `run:` script with: no `shell:` is `bash -e {0}` (no pipefail, and
 * the profile is read); `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`.
 */
function shellCommand(shell: string | undefined, scriptFile: string): string[] {
  switch (shell || undefined) {
    case undefined:
      return ["bash", "-e", scriptFile];
    case "bash":
      return ["bash", "--noprofile", "--norc", "-eo", "pipefail", scriptFile];
    case "sh":
      return ["sh", "-e", scriptFile];
    case "python":
      return ["python3", scriptFile];
    default:
      if (shell!.includes("{0}")) return ["bash", "-c", shell!.replace("{0}", `'${scriptFile}'`)];
      throw new Error(`shell ${shell} is not one a Linux runner knows`);
  }
}

/** A called workflow's `outputs`, evaluated against its jobs' results and outputs (the `jobs` context). */
function calledOutputs(
  called: Parsed,
  callerId: string,
  states: Map<string, JobState>,
): Record<string, string> {
  const jobs: Record<string, Json> = {};
  for (const [key, state] of states)
    if (key.startsWith(`${callerId}/`) && !key.slice(callerId.length + 1).includes("/"))
      jobs[key.slice(callerId.length + 1)] = { result: state.result, outputs: state.outputs };
  const declared = called.doc.on?.workflow_call?.outputs ?? {};
  return Object.fromEntries(
    Object.entries(declared).map(([name, spec]) => [
      name,
      expandDefault(String(spec.value ?? ""), { jobs } as unknown as Partial<Contexts>),
    ]),
  );
}

function headBranchOf(options: RunWorkflowOptions): string {
  const pull = options.payload.pull_request as { head?: { ref?: string } } | undefined;
  return pull?.head?.ref ?? options.ref.replace(/^refs\/heads\//, "");
}

/** A step's `if:` as the runner reads it: an expression without `${{ }}`, with success() implied. */
function stepCondition(token: TemplateToken): string {
  const kind = token.constructor.name.replace(/^_/, "");
  const t = token as unknown as { value?: string; expression?: string };
  const expression = kind === "BasicExpressionToken" ? t.expression! : String(t.value);
  return /\b(success|failure|always|cancelled)\(\)/.test(expression)
    ? expression
    : `success() && (${expression})`;
}

/** An action.yml default such as `${{ github.token }}`. */
function expandDefault(value: string, contexts: Partial<Contexts>): string {
  return value.replace(/\$\{\{(.*?)\}\}/g, (_, expression: string) =>
    asString(evaluateExpression(expression.trim(), contexts, { failed: false })),
  );
}

/** The inputs context of a called workflow: given values, typed, over the declared defaults. */
function calledInputs(called: Parsed, given: Record<string, Json>): Record<string, Json> {
  const declared = called.template.events.workflow_call?.inputs ?? {};
  // The parser's template drops `type` and `default` of `type: number` inputs: read them from the file.
  const fromFile =
    (
      parseYaml(readFileSync(called.file, "utf8")) as {
        on?: { workflow_call?: { inputs?: Record<string, { type?: string; default?: Json }> } };
      }
    ).on?.workflow_call?.inputs ?? {};
  const inputs: Record<string, Json> = {};
  for (const [name, parsed] of Object.entries(declared)) {
    const spec = {
      ...parsed,
      type: parsed.type ?? fromFile[name]?.type,
      default: parsed.default ?? fromFile[name]?.default,
    };
    const raw =
      given[name] ??
      (spec.default as Json | undefined) ??
      (spec.type === "boolean" ? false : (spec.type as string) === "number" ? 0 : "");
    const rawValue =
      raw !== null && typeof raw === "object" && "value" in (raw as object)
        ? (raw as { value: Json }).value
        : raw;
    inputs[name] =
      spec.type === "boolean"
        ? rawValue === true || rawValue === "true"
        : (spec.type as string) === "number"
          ? Number(rawValue)
          : asString(rawValue);
    if (spec.required && given[name] === undefined)
      throw new Error(`${called.file}: required input ${name} not given`);
  }
  for (const name of Object.keys(given))
    if (!(name in declared)) throw new Error(`${called.file}: no input named ${name}`);
  return inputs;
}

/** The legs of a matrix: the cross product of its keys (include/exclude are not used by gitml). */
function matrixLegs(matrix: Json): Array<Record<string, Json>> {
  if (!matrix || typeof matrix !== "object" || Array.isArray(matrix)) return [{}];
  let legs: Array<Record<string, Json>> = [{}];
  for (const [key, values] of Object.entries(matrix)) {
    if (key === "include" || key === "exclude")
      throw new Error("matrix include/exclude are not supported here");
    const list = Array.isArray(values) ? values : [values];
    legs = legs.flatMap((leg) => list.map((value) => ({ ...leg, [key]: value })));
  }
  return legs;
}

function dedupeLatest(results: JobResult[]): JobResult[] {
  const byId = new Map<string, JobResult>();
  for (const result of results) byId.set(result.id, result);
  return [...byId.values()];
}

function runProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    if (!existsSync(options.cwd))
      return resolve({ code: 1, output: `working directory ${options.cwd} does not exist` });
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString("utf8") });
    });
  });
}
