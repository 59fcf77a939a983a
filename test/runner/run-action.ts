/**
 * Runs a bundled action (`dist/actions/<name>.js`) in a child process exactly as the GitHub Actions runner
 * does: inputs as `INPUT_<NAME>` variables, the webhook payload in a file named by GITHUB_EVENT_PATH,
 * outputs and the job summary written to the files GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { RUNNER_GIT_ENV, TEST_GIT_ENV } from "../helpers/repo";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function actionBundlePath(name: string): string {
  return path.join(repoRoot, "dist", "actions", `${name}.js`);
}

export interface RunActionOptions {
  /** The checkout: GITHUB_WORKSPACE and the step's working directory. */
  cwd: string;
  /** A hosted runner's git: no identity configured (default: a test identity, for tests that tag directly). */
  bareRunner?: boolean;
  /** Inputs by the name action.yml declares (`working-directory`, `upload-candidate`, ...). */
  inputs: Record<string, string>;
  eventName: string;
  payload: object;
  /** owner/repo */
  repository: string;
  /** What https://api.github.com is (the REST stand-in's URL). */
  apiUrl: string;
  /** Sets INPUT_TOKEN unless `inputs.token` is given (action.yml defaults it to github.token). */
  token?: string;
  sha?: string;
  ref?: string;
  /** Default https://github.com: @actions/artifact refuses to run on GHES-looking hosts. */
  serverUrl?: string;
  runId?: number;
  runAttempt?: number;
  workflow?: string;
  job?: string;
  /** The artifact results-service stand-in: sets ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN. */
  artifacts?: { resultsUrl: string; runtimeToken: string };
  /** Extra variables, applied last (may override any of the above). */
  env?: Record<string, string>;
  /** Run this file instead of dist/actions/<name>.js (tests of the harness itself). */
  bundle?: string;
  /** Kill the child after this long (default 60 s). */
  timeoutMs?: number;
}

export interface ActionRun {
  code: number;
  outputs: Record<string, string>;
  summary: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** The variable name @actions/core's getInput reads: spaces become `_`, upper-cased, hyphens kept. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

/**
 * Parses a GITHUB_OUTPUT (or GITHUB_ENV / GITHUB_STATE) file: `name<<DELIMITER\nvalue\nDELIMITER` blocks
 * as @actions/core writes them, plus the one-line `name=value` form shell steps use.
 */
export function parseKeyValueFile(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delimiter) {
          closed = true;
          break;
        }
        value.push(lines[i]!);
      }
      if (!closed) throw new Error(`output file: '${name}' has no closing delimiter ${delimiter}`);
      result[name] = value.join("\n");
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`output file: cannot parse line ${JSON.stringify(line)}`);
    result[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return result;
}

/** The environment the runner gives a step, before `options.env`. */
export function runnerEnvironment(
  name: string,
  options: RunActionOptions,
  files: {
    eventPath: string;
    outputPath: string;
    summaryPath: string;
    statePath: string;
    envPath: string;
    runnerTemp: string;
  },
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? os.homedir(),
    LANG: process.env.LANG ?? "C.UTF-8",
    // git in the child must not read the developer's configuration (the runner's is empty too); with
    // `bareRunner`, git has no identity either, as on a hosted runner.
    ...(options.bareRunner ? RUNNER_GIT_ENV : TEST_GIT_ENV),
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_ACTION: `__gitml_${name}`,
    GITHUB_ACTION_PATH: path.join(repoRoot, "actions", name),
    GITHUB_ACTOR: "octocat",
    GITHUB_WORKSPACE: options.cwd,
    GITHUB_REPOSITORY: options.repository,
    GITHUB_REPOSITORY_OWNER: options.repository.split("/")[0]!,
    GITHUB_API_URL: options.apiUrl,
    GITHUB_GRAPHQL_URL: `${options.apiUrl}/graphql`,
    GITHUB_SERVER_URL: options.serverUrl ?? "https://github.com",
    GITHUB_SHA: options.sha ?? "",
    GITHUB_REF: options.ref ?? "",
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: files.eventPath,
    GITHUB_OUTPUT: files.outputPath,
    GITHUB_STEP_SUMMARY: files.summaryPath,
    GITHUB_STATE: files.statePath,
    GITHUB_ENV: files.envPath,
    GITHUB_RUN_ID: String(options.runId ?? 1),
    GITHUB_RUN_NUMBER: String(options.runId ?? 1),
    GITHUB_RUN_ATTEMPT: String(options.runAttempt ?? 1),
    GITHUB_WORKFLOW: options.workflow ?? "gitml",
    GITHUB_JOB: options.job ?? "evaluate",
    RUNNER_TEMP: files.runnerTemp,
    RUNNER_OS: "Linux",
    RUNNER_ARCH: "X64",
  };
  if (options.token !== undefined && options.inputs.token === undefined)
    env[inputVariable("token")] = options.token;
  for (const [input, value] of Object.entries(options.inputs)) env[inputVariable(input)] = value;
  if (options.artifacts) {
    env.ACTIONS_RESULTS_URL = options.artifacts.resultsUrl;
    env.ACTIONS_RUNTIME_TOKEN = options.artifacts.runtimeToken;
  }
  return { ...env, ...(options.env ?? {}) };
}

export async function runActionBundle(name: string, options: RunActionOptions): Promise<ActionRun> {
  const bundle = options.bundle ?? actionBundlePath(name);
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), `gitml-runner-${name}-`));
  try {
    const files = {
      eventPath: path.join(scratch, "event.json"),
      outputPath: path.join(scratch, "output"),
      summaryPath: path.join(scratch, "step_summary"),
      statePath: path.join(scratch, "state"),
      envPath: path.join(scratch, "env"),
      runnerTemp: path.join(scratch, "temp"),
    };
    mkdirSync(files.runnerTemp);
    writeFileSync(files.eventPath, JSON.stringify(options.payload));
    // The runner creates these files empty before the step starts.
    for (const file of [files.outputPath, files.summaryPath, files.statePath, files.envPath])
      writeFileSync(file, "");
    const env = runnerEnvironment(name, options, files);

    const started = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(process.execPath, [bundle], {
          cwd: options.cwd,
          env,
          stdio: ["ignore", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
        child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
        const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
        child.on("error", reject);
        child.on("close", (exitCode, signal) => {
          clearTimeout(timer);
          resolve({
            code: exitCode ?? (signal ? 128 : 1),
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(err).toString("utf8") + (signal ? `\n[killed by ${signal}]` : ""),
          });
        });
      },
    );
    const durationMs = performance.now() - started;
    return {
      code,
      outputs: parseKeyValueFile(readFileSync(files.outputPath, "utf8")),
      summary: readFileSync(files.summaryPath, "utf8"),
      stdout,
      stderr,
      durationMs,
    };
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** Lines of the step log the runner would show as annotations (`::error::`, `::warning::`). */
export function workflowCommands(
  stdout: string,
  command: "error" | "warning" | "notice" | "debug",
): string[] {
  const prefix = `::${command}`;
  return stdout
    .split(/\r?\n/)
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(line.indexOf("::", 2) + 2));
}

// ---------------------------------------------------------------------------------------------------------
// Real webhook payloads (npm @octokit/webhooks-examples)

interface WebhookDefinition {
  name: string;
  examples: Array<Record<string, unknown>>;
}

let definitions: WebhookDefinition[] | undefined;

function loadDefinitions(): WebhookDefinition[] {
  definitions ??= createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];
  return definitions;
}

/**
 * A deep copy of a real payload GitHub sent for `name` (e.g. "pull_request", "push", "workflow_run"),
 * the first example with `action` when given (e.g. "opened", "synchronize", "completed").
 */
export function webhookPayload(name: string, action?: string): Record<string, unknown> {
  const definition = loadDefinitions().find((d) => d.name === name);
  if (!definition) throw new Error(`@octokit/webhooks-examples has no '${name}' event`);
  const example = definition.examples.find((e) => action === undefined || e.action === action);
  if (!example) {
    const known = [...new Set(definition.examples.map((e) => String(e.action)))].join(", ");
    throw new Error(
      `@octokit/webhooks-examples has no '${name}' example with action '${action}' (has: ${known})`,
    );
  }
  return structuredClone(example);
}

export interface PointPayloadOptions {
  /** owner/repo of the test repository. */
  repository: string;
  /** The head commit (pull_request head.sha, push after / head_commit.id, workflow_run head_sha). */
  sha?: string;
  /** The base commit of a pull request. */
  baseSha?: string;
  /** PR number (pull_request.number and the payload's `number`). */
  number?: number;
  headRef?: string;
  baseRef?: string;
  /** owner/repo the head branch lives in, when it is a fork. */
  headRepository?: string;
  /** Base of the URLs in the payload (default https://github.com / https://api.github.com). */
  serverUrl?: string;
  apiUrl?: string;
}

type Json = Record<string, unknown>;

function retargetRepository(
  repo: Json,
  fullName: string,
  ids: { id: number },
  urls: { server: string; api: string },
): void {
  const [owner, name] = fullName.split("/") as [string, string];
  const oldFullName = String(repo.full_name);
  const replaceUrls = (value: unknown): unknown => {
    if (typeof value !== "string") return value;
    return value
      .replaceAll(`https://api.github.com/repos/${oldFullName}`, `${urls.api}/repos/${fullName}`)
      .replaceAll(`https://github.com/${oldFullName}`, `${urls.server}/${fullName}`)
      .replaceAll(`git@github.com:${oldFullName}`, `git@github.com:${fullName}`)
      .replaceAll(`git://github.com/${oldFullName}`, `git://github.com/${fullName}`);
  };
  for (const [key, value] of Object.entries(repo)) repo[key] = replaceUrls(value);
  repo.id = ids.id;
  repo.name = name;
  repo.full_name = fullName;
  if (repo.owner && typeof repo.owner === "object") {
    const ownerRecord = repo.owner as Json;
    ownerRecord.login = owner;
    ownerRecord.html_url = `${urls.server}/${owner}`;
    ownerRecord.url = `${urls.api}/users/${owner}`;
  }
}

/**
 * Points a real payload at the test repository: repository names and URLs, the head/base commits and
 * branch names, the PR number. With `headRepository` different from `repository`, the pull request comes
 * from a fork (head.repo is another repository with `fork: true`), as GitHub sends it.
 */
export function pointPayloadAt<T extends Json>(payload: T, options: PointPayloadOptions): T {
  const urls = {
    server: options.serverUrl ?? "https://github.com",
    api: options.apiUrl ?? "https://api.github.com",
  };
  const p = payload as Json;
  const baseRepoId = 4242;
  if (p.repository && typeof p.repository === "object")
    retargetRepository(p.repository as Json, options.repository, { id: baseRepoId }, urls);

  const pr = p.pull_request as Json | undefined;
  if (pr) {
    const head = pr.head as Json;
    const base = pr.base as Json;
    if (base?.repo) retargetRepository(base.repo as Json, options.repository, { id: baseRepoId }, urls);
    if (head?.repo) {
      const headRepo = options.headRepository ?? options.repository;
      retargetRepository(
        head.repo as Json,
        headRepo,
        { id: headRepo === options.repository ? baseRepoId : 4343 },
        urls,
      );
      (head.repo as Json).fork = headRepo !== options.repository;
      head.label = `${headRepo.split("/")[0]}:${options.headRef ?? String(head.ref)}`;
      if (head.user && typeof head.user === "object") (head.user as Json).login = headRepo.split("/")[0];
    }
    if (options.sha) head.sha = options.sha;
    if (options.baseSha) base.sha = options.baseSha;
    if (options.headRef) head.ref = options.headRef;
    if (options.baseRef) base.ref = options.baseRef;
    if (options.number !== undefined) {
      pr.number = options.number;
      p.number = options.number;
    }
    const number = Number(pr.number);
    pr.url = `${urls.api}/repos/${options.repository}/pulls/${number}`;
    pr.html_url = `${urls.server}/${options.repository}/pull/${number}`;
    pr.issue_url = `${urls.api}/repos/${options.repository}/issues/${number}`;
    pr.comments_url = `${urls.api}/repos/${options.repository}/issues/${number}/comments`;
  }

  if (options.sha && "after" in p) {
    p.after = options.sha;
    if (p.head_commit && typeof p.head_commit === "object") (p.head_commit as Json).id = options.sha;
  }
  if (options.headRef && "ref" in p && typeof p.ref === "string" && p.ref.startsWith("refs/"))
    p.ref = `refs/heads/${options.headRef}`;

  const run = p.workflow_run as Json | undefined;
  if (run) {
    if (options.sha) run.head_sha = options.sha;
    if (options.headRef) run.head_branch = options.headRef;
    if (run.repository && typeof run.repository === "object")
      retargetRepository(run.repository as Json, options.repository, { id: baseRepoId }, urls);
    if (run.head_repository && typeof run.head_repository === "object") {
      const headRepo = options.headRepository ?? options.repository;
      retargetRepository(
        run.head_repository as Json,
        headRepo,
        { id: headRepo === options.repository ? baseRepoId : 4343 },
        urls,
      );
    }
  }
  return payload;
}

/** A real `pull_request` payload (`action`, default "opened") pointed at the test repository. */
export function pullRequestPayload(options: PointPayloadOptions & { action?: string }): Json {
  return pointPayloadAt(webhookPayload("pull_request", options.action ?? "opened"), options);
}
