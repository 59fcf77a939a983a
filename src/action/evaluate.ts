/**
 * actions/evaluate: inputs → `evaluate()` (the same command as `gitml evaluate`) → job summary, sticky PR
 * comment, check run, candidate artifact, outputs. A read-only token (fork PR) never fails the step: the
 * report goes to the summary and to an artifact a follow-up `workflow_run` job can post.
 */
import * as core from "@actions/core";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import type { CommandContext } from "../commands/context";
import { evaluate, type EvaluateResult } from "../commands/evaluate";
import { ConfigError } from "../config";
import {
  candidateRecordId,
  checkRunName,
  createCheckRun,
  createOctokit,
  isPermissionError,
  markerComment,
  upsertStickyComment,
  type CheckAnnotation,
  type CheckConclusion,
  type GitHubClient,
} from "../github";
import { FORK_REPORT_SCHEMA, type ForkReport } from "../report/schema";
import { Failure, isUserError, type UserError } from "../util/errors";
import { artifactNameFor, artifactServiceAvailable, uploadFiles } from "./artifacts";
import { REPORT_ARTIFACT_PREFIX, stickyMarker } from "./markers";
import { dataEnginePreparer } from "./native";
import {
  actionLogger,
  booleanInput,
  parseInputs,
  readRunnerEnvironment,
  runAction,
  type RunnerEnvironment,
} from "./runtime";

export const CANDIDATE_ARTIFACT_PREFIX = "gitml-candidate";
export { REPORT_ARTIFACT_PREFIX, stickyMarker } from "./markers";

const inputShape = {
  model: z.string().min(1, "is required"),
  token: z.string().optional(),
  "working-directory": z.string().default("."),
  train: booleanInput.default(false),
  marker: z.string().optional(),
  comment: booleanInput.default(true),
  check: booleanInput.default(false),
  "upload-candidate": booleanInput.default(true),
  "artifact-retention-days": z.coerce.number().int().min(1).max(90).optional(),
};

export interface EvaluateActionOptions {
  model: string;
  token: string | undefined;
  cwd: string;
  train: boolean;
  /** The sticky comment's marker: per model and per workflow. */
  marker: string;
  comment: boolean;
  check: boolean;
  uploadCandidate: boolean;
  retentionDays: number | undefined;
}

interface PullRequestInfo {
  number: number;
  headSha: string;
  /** owner/repo of the head branch; differs from the repository for a fork. */
  headRepository: string | undefined;
}

function readOptions(env: RunnerEnvironment): EvaluateActionOptions {
  const inputs = parseInputs(inputShape);
  return {
    model: inputs.model,
    token: inputs.token,
    cwd: path.resolve(env.workspace, inputs["working-directory"]),
    train: inputs.train,
    marker: stickyMarker(inputs.model, inputs.marker ?? env.workflow),
    comment: inputs.comment,
    check: inputs.check,
    uploadCandidate: inputs["upload-candidate"],
    retentionDays: inputs["artifact-retention-days"],
  };
}

function pullRequestOf(env: RunnerEnvironment): PullRequestInfo | undefined {
  if (env.eventName !== "pull_request" && env.eventName !== "pull_request_target") return undefined;
  const pr = env.payload.pull_request as
    { number?: number; head?: { sha?: string; repo?: { full_name?: string } | null } } | undefined;
  if (typeof pr?.number !== "number") return undefined;
  return { number: pr.number, headSha: pr.head?.sha ?? env.sha, headRepository: pr.head?.repo?.full_name };
}

function octokitFor(token: string, env: RunnerEnvironment): GitHubClient {
  // Tunables for test harnesses and debugging; production uses the defaults.
  const retryBase = Number(process.env.GITML_RETRY_BASE_MS);
  return createOctokit({
    token,
    baseUrl: env.apiUrl,
    logger: actionLogger,
    ...(Number.isFinite(retryBase) && retryBase > 0 ? { retryAfterBaseValueMs: retryBase } : {}),
    ...(process.env.GITML_PACE_WRITES === "false" ? { paceWrites: false } : {}),
  });
}

function verdictConclusion(result: EvaluateResult): CheckConclusion {
  if (result.verdict === "pass") return "success";
  return result.warnOnly ? "neutral" : "failure";
}

/** `file:line[:col]` in a UserError's `where`, relative to the workspace, for an annotation. */
function locate(
  where: string | undefined,
  workspace: string,
): { file: string; line: number; col?: number } | undefined {
  const m = where ? /^(.*?):(\d+)(?::(\d+))?$/.exec(where) : null;
  if (!m) return undefined;
  return {
    file: path.relative(workspace, path.resolve(workspace, m[1]!)),
    line: Number(m[2]),
    col: m[3] ? Number(m[3]) : undefined,
  };
}

type LocatedAnnotation = CheckAnnotation & { col?: number };

function configAnnotations(error: UserError, workspace: string): LocatedAnnotation[] {
  if (error instanceof ConfigError) {
    return error.problems.map((p) => ({
      path: path.relative(workspace, path.resolve(workspace, p.file)),
      line: Math.max(p.line, 1),
      col: p.col,
      level: "failure" as const,
      title: "gitml.yaml",
      message: p.path ? `${p.path}: ${p.message}` : p.message,
    }));
  }
  const at = locate(error.where, workspace);
  return at ? [{ path: at.file, line: at.line, col: at.col, level: "failure", message: error.message }] : [];
}

async function reportUserError(
  error: UserError,
  options: EvaluateActionOptions,
  env: RunnerEnvironment,
  pr: PullRequestInfo | undefined,
): Promise<void> {
  const annotations = configAnnotations(error, env.workspace);
  for (const a of annotations)
    core.error(a.message, { title: a.title ?? "gitml", file: a.path, startLine: a.line, startColumn: a.col });
  if (!options.check || !options.token || annotations.length === 0) return;
  try {
    await createCheckRun({
      octokit: octokitFor(options.token, env),
      owner: env.owner,
      repo: env.repo,
      name: checkRunName(options.model),
      headSha: pr?.headSha ?? env.sha,
      conclusion: "failure",
      title: "gitml.yaml has errors",
      summary: error.message,
      annotations,
      detailsUrl: env.runUrl,
    });
  } catch (checkError) {
    core.warning(`Could not create the check run with the configuration errors: ${String(checkError)}`);
  }
}

async function main(): Promise<void> {
  const env = readRunnerEnvironment();
  const options = readOptions(env);
  const pr = pullRequestOf(env);
  const context: CommandContext = {
    cwd: options.cwd,
    logger: actionLogger,
    prepareDataEngine: dataEnginePreparer(actionLogger),
    github: options.token
      ? { token: options.token, repository: `${env.owner}/${env.repo}`, apiUrl: env.apiUrl }
      : undefined,
  };

  let result: EvaluateResult;
  try {
    result = await evaluate(context, {
      model: options.model,
      train: options.train,
      marker: options.marker,
      candidateLabel: pr ? `PR #${pr.number} @ ${pr.headSha.slice(0, 7)}` : env.sha.slice(0, 7) || undefined,
      runUrl: env.runUrl,
    });
  } catch (error) {
    if (isUserError(error)) await reportUserError(error, options, env, pr);
    throw error;
  }

  const fullReport = await fs.readFile(result.report, "utf8");
  await core.summary.addRaw(fullReport, true).write();

  const octokit = options.token ? octokitFor(options.token, env) : undefined;
  let commentUrl = "";
  let reportArtifactId = "";
  if (pr && options.comment) {
    const posted = octokit ? await postComment(octokit, options, env, pr, result) : undefined;
    if (posted) commentUrl = posted;
    else reportArtifactId = await saveReportForFollowUp(options, env, pr, result);
  }

  // The digest the reviewers see is recorded here, by gitml, outside the artifact: the merge ships the
  // artifact only when its bytes match this record (see docs/security.md).
  const recordCandidate = options.uploadCandidate && artifactServiceAvailable();
  const digestLine = `Reviewed candidate: \`${result.candidateDigest}\` (workflow run ${env.runId}). The merge ships these bytes, and no others.`;
  let checkRunUrl = "";
  if ((options.check || recordCandidate) && octokit) {
    try {
      const check = await createCheckRun({
        octokit,
        owner: env.owner,
        repo: env.repo,
        name: checkRunName(options.model),
        headSha: pr?.headSha ?? env.sha,
        // With `check: false` the run only records the candidate: it never blocks the pull request.
        conclusion: options.check ? verdictConclusion(result) : "neutral",
        title: options.check ? checkTitle(result) : `reviewed candidate ${result.candidateDigest}`,
        summary: !options.check
          ? digestLine
          : result.markdown.length <= 65_000
            ? result.markdown
            : `${checkTitle(result)}\n\nSee the job summary for the full report.`,
        ...(recordCandidate
          ? { externalId: candidateRecordId(env.runId, result.candidateDigest), text: digestLine }
          : {}),
        detailsUrl: env.runUrl,
      });
      checkRunUrl = check.url;
    } catch (error) {
      if (!isPermissionError(error)) throw error;
      core.warning(
        `Skipped the check run: ${(error as Error).message}${recordCandidate ? " Without it the reviewed digest is not recorded, so the merge will not ship this candidate." : ""}`,
      );
    }
  }

  let artifact: { id: number; name: string } | undefined;
  if (options.uploadCandidate) artifact = await uploadCandidate(options, env, pr, result);

  core.setOutput("verdict", result.verdict);
  core.setOutput("report", result.report);
  core.setOutput("html", result.html);
  core.setOutput("comment-url", commentUrl);
  core.setOutput("baseline-version", result.baseline ?? "");
  core.setOutput("candidate-digest", result.candidateDigest);
  core.setOutput("artifact-id", artifact ? String(artifact.id) : "");
  core.setOutput("artifact-name", artifact?.name ?? "");
  core.setOutput("report-artifact-id", reportArtifactId);
  core.setOutput("check-run-url", checkRunUrl);

  if (result.verdict === "fail") {
    const problems = failureList(result);
    if (result.warnOnly)
      core.warning(`${options.model}: gates failed, reported only (on_gate_failure: warn): ${problems}`);
    else throw new Failure(`${options.model}: ${problems}`);
  }
}

/** The failed gates and required checks, as one line for the log. */
function failureList(result: EvaluateResult): string {
  const gates = result.gates.filter((g) => !g.passed);
  const checks = result.checks.filter((c) => c.status !== "pass" && c.severity === "error");
  const parts: string[] = [];
  if (gates.length > 0)
    parts.push(
      `${gates.length} gate(s) failed: ${gates.map((g) => `${g.metric} ${g.rule} (${g.detail})`).join("; ")}`,
    );
  if (checks.length > 0)
    parts.push(
      `${checks.length} check(s) failed: ${checks.map((c) => `${c.name} (${c.detail}${examplesOf(c)})`).join("; ")}`,
    );
  return parts.join("; ");
}

function examplesOf(check: EvaluateResult["checks"][number]): string {
  return check.examples && check.examples.length > 0
    ? `; e.g. ${check.examples.map((value) => JSON.stringify(value)).join(", ")}`
    : "";
}

function checkTitle(result: EvaluateResult): string {
  const passed = result.gates.filter((g) => g.passed).length;
  const checks =
    result.checks.length > 0
      ? `, ${result.checks.filter((c) => c.status === "pass").length}/${result.checks.length} checks passed`
      : "";
  return `${result.verdict === "pass" ? "pass" : "fail"}: ${passed}/${result.gates.length} gates passed${checks}${result.baseline ? ` vs ${result.baseline}` : ""}`;
}

/** The comment's URL, or undefined when the token may not comment (fork PR): the caller saves the report. */
async function postComment(
  octokit: GitHubClient,
  options: EvaluateActionOptions,
  env: RunnerEnvironment,
  pr: PullRequestInfo,
  result: EvaluateResult,
): Promise<string | undefined> {
  // The report starts with the same marker line upsertStickyComment adds; keep one.
  const markerLine = `${markerComment(options.marker)}\n`;
  const body = result.markdown.startsWith(markerLine)
    ? result.markdown.slice(markerLine.length)
    : result.markdown;
  try {
    const comment = await upsertStickyComment({
      octokit,
      owner: env.owner,
      repo: env.repo,
      issueNumber: pr.number,
      marker: options.marker,
      body,
      logger: actionLogger,
    });
    core.info(`${comment.created ? "Created" : "Updated"} the report comment: ${comment.url}`);
    return comment.url;
  } catch (error) {
    if (!isPermissionError(error)) throw error;
    const fork =
      pr.headRepository && pr.headRepository !== `${env.owner}/${env.repo}`
        ? " (a pull request from a fork)"
        : "";
    core.warning(
      `Could not comment on #${pr.number}${fork}: ${(error as Error).message} The report is in the job summary and saved as an artifact for a follow-up workflow_run job to post.`,
    );
    return undefined;
  }
}

async function saveReportForFollowUp(
  options: EvaluateActionOptions,
  env: RunnerEnvironment,
  pr: PullRequestInfo,
  result: EvaluateResult,
): Promise<string> {
  if (!artifactServiceAvailable()) {
    core.warning("The artifact service is not available to this job: the report is only in the job summary.");
    return "";
  }
  const uploaded = await uploadFiles({
    name: artifactNameFor(REPORT_ARTIFACT_PREFIX, options.model),
    files: [],
    // Structured results, never markdown: the follow-up renders them with gitml's own renderer.
    generated: {
      "report.json": `${JSON.stringify(
        {
          schema: FORK_REPORT_SCHEMA,
          repository: `${env.owner}/${env.repo}`,
          pr: pr.number,
          headSha: pr.headSha,
          runId: env.runId,
          model: options.model,
          marker: options.marker,
          report: result.evaluation,
        } satisfies ForkReport,
        null,
        2,
      )}\n`,
    },
    stagingRoot: process.env.RUNNER_TEMP ?? os.tmpdir(),
    retentionDays: options.retentionDays,
    logger: actionLogger,
  });
  return String(uploaded.id);
}

async function uploadCandidate(
  options: EvaluateActionOptions,
  env: RunnerEnvironment,
  pr: PullRequestInfo | undefined,
  result: EvaluateResult,
): Promise<{ id: number; name: string } | undefined> {
  if (!artifactServiceAvailable()) {
    core.warning("The artifact service is not available to this job: the candidate was not uploaded.");
    return undefined;
  }
  const files = result.candidateFiles;
  const manifest = {
    schema: 1,
    model: options.model,
    candidateDigest: result.candidateDigest,
    verdict: result.verdict,
    baseline: result.baseline,
    commit: pr?.headSha ?? env.sha,
    pr: pr?.number ?? null,
    runUrl: env.runUrl,
    files: files.map((f) => ({ path: f.path, role: f.role })),
    metrics: result.metrics,
  };
  const uploaded = await uploadFiles({
    name: artifactNameFor(CANDIDATE_ARTIFACT_PREFIX, options.model),
    files: [
      ...files.map((f) => ({ source: f.source, path: f.path })),
      { source: result.report, path: "report/report.md" },
      { source: result.html, path: "report/report.html" },
    ],
    generated: { "manifest.json": `${JSON.stringify(manifest, null, 2)}\n` },
    stagingRoot: process.env.RUNNER_TEMP ?? os.tmpdir(),
    retentionDays: options.retentionDays,
    logger: actionLogger,
  });
  return { id: uploaded.id, name: uploaded.name };
}

await runAction(main);
