/**
 * actions/report: the follow-up of a fork's pull request. The fork's run had a read-only token, so its
 * evaluate step saved structured results (`report.json` in `gitml-report-<model>`) instead of commenting.
 * This action runs on `workflow_run` in the base repository, never checks out or runs the fork's code,
 * validates each saved report against its schema and against the finished run (repository, run, head
 * commit, the pull request still at that commit), renders it with gitml's own renderer and escaping, and
 * keeps it as the model's sticky comment. Nothing the fork wrote is posted as markdown.
 */
import * as core from "@actions/core";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import { markerComment, upsertStickyComment, type GitHubClient } from "../github";
import { rethrowPermission } from "../github/client";
import { assertValidName } from "../registry";
import { fitToCommentLimit, renderMarkdown } from "../report/markdown";
import { ForkReportSchema, type ForkReport } from "../report/schema";
import { UserError } from "../util/errors";
import { artifactNameFor } from "./artifacts";
import { actionOctokit } from "./github-env";
import { REPORT_ARTIFACT_PREFIX, stickyMarker } from "./markers";
import {
  actionLogger,
  parseInputs,
  readRunnerEnvironment,
  runAction,
  type RunnerEnvironment,
} from "./runtime";

/** A saved report is a few hundred KB at most; anything far larger is not one of gitml's. */
const MAX_REPORT_BYTES = 8 * 1024 * 1024;

const inputShape = {
  token: z.string().min(1),
};

interface FinishedRun {
  id: number;
  headSha: string;
  htmlUrl: string;
  event: string;
}

function finishedRunOf(env: RunnerEnvironment): FinishedRun {
  const run = env.payload.workflow_run as
    { id?: unknown; head_sha?: unknown; html_url?: unknown; event?: unknown } | undefined;
  if (env.eventName !== "workflow_run" || typeof run?.id !== "number" || typeof run.head_sha !== "string") {
    throw new UserError(
      `actions/report posts the saved reports of a fork's pull_request run: run it on \`workflow_run\` (completed) of the pull-request workflow, not on \`${env.eventName}\` (see reusable-workflows/README.md)`,
    );
  }
  return {
    id: run.id,
    headSha: run.head_sha,
    htmlUrl: typeof run.html_url === "string" ? run.html_url : env.runUrl,
    event: typeof run.event === "string" ? run.event : "",
  };
}

/** Why a saved report is not posted, or undefined when it checks out. */
function problemWith(report: ForkReport, artifactName: string, run: FinishedRun, env: RunnerEnvironment) {
  try {
    assertValidName(report.model);
    markerComment(report.marker);
  } catch (error) {
    return (error as Error).message;
  }
  if (artifactName !== artifactNameFor(REPORT_ARTIFACT_PREFIX, report.model))
    return `it is for model ${JSON.stringify(report.model)}, not the one its name says`;
  if (!report.marker.startsWith(stickyMarker(report.model, "")))
    return `its marker ${JSON.stringify(report.marker)} is not ${report.model}'s`;
  if (report.repository.toLowerCase() !== `${env.owner}/${env.repo}`.toLowerCase())
    return `it names another repository (${report.repository})`;
  if (report.runId !== run.id || report.headSha !== run.headSha) return "it belongs to another run or commit";
  return undefined;
}

async function pullHead(
  octokit: GitHubClient,
  env: RunnerEnvironment,
  pr: number,
): Promise<string | undefined> {
  try {
    const { data } = await octokit.rest.pulls.get({ owner: env.owner, repo: env.repo, pull_number: pr });
    return data.head.sha;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    rethrowPermission(error, `read pull request #${pr}`, "pull-requests: read");
  }
}

async function main(): Promise<void> {
  const inputs = parseInputs(inputShape);
  const env = readRunnerEnvironment();
  const run = finishedRunOf(env);
  if (run.event !== "pull_request") {
    core.info(
      `run ${run.id} was triggered by ${run.event || "an unknown event"}, not a pull request: nothing to post`,
    );
    return;
  }
  const octokit = actionOctokit(inputs.token, env);
  const { DefaultArtifactClient } = await import("@actions/artifact");
  const client = new DefaultArtifactClient();
  const findBy = {
    token: inputs.token,
    workflowRunId: run.id,
    repositoryOwner: env.owner,
    repositoryName: env.repo,
  };
  const { artifacts } = await client.listArtifacts({ findBy, latest: true });
  const saved = artifacts.filter((a) => a.name.startsWith(`${REPORT_ARTIFACT_PREFIX}-`));
  const scratch = await fs.mkdtemp(path.join(process.env.RUNNER_TEMP ?? os.tmpdir(), "gitml-reports-"));
  let posted = 0;
  try {
    for (const artifact of saved) {
      const into = path.join(scratch, String(artifact.id));
      await client.downloadArtifact(artifact.id, { path: into, findBy });
      const file = path.join(into, "report.json");
      const stat = await fs.lstat(file).catch(() => undefined);
      if (!stat?.isFile() || stat.size > MAX_REPORT_BYTES) {
        core.warning(
          `${artifact.name}: no report.json of gitml's (the fork's run saved something else); skipped`,
        );
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(await fs.readFile(file, "utf8"));
      } catch {
        core.warning(`${artifact.name}: report.json is not JSON; skipped`);
        continue;
      }
      const parsed = ForkReportSchema.safeParse(json);
      if (!parsed.success) {
        const problems = parsed.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
          .join("; ");
        core.warning(`${artifact.name}: report.json does not match gitml's schema (${problems}); skipped`);
        continue;
      }
      const report = parsed.data;
      const problem = problemWith(report, artifact.name, run, env);
      if (problem) {
        core.warning(`${artifact.name}: not posted, ${problem}`);
        continue;
      }
      const head = await pullHead(octokit, env, report.pr);
      if (head !== run.headSha) {
        core.warning(
          `pull request #${report.pr} is not at ${run.headSha.slice(0, 12)} (now ${head?.slice(0, 12) ?? "gone"}): its newer run reports instead`,
        );
        continue;
      }
      // The model and marker were checked above; the run link is the finished run's, from GitHub.
      const markdown = fitToCommentLimit(
        renderMarkdown({
          ...report.report,
          model: report.model,
          marker: report.marker,
          links: { runUrl: run.htmlUrl },
        }),
        { fullReportPointer: `the full report is in the [run's job summary](${run.htmlUrl})` },
      );
      const markerLine = `${markerComment(report.marker)}\n`;
      const comment = await upsertStickyComment({
        octokit,
        owner: env.owner,
        repo: env.repo,
        issueNumber: report.pr,
        marker: report.marker,
        body: markdown.startsWith(markerLine) ? markdown.slice(markerLine.length) : markdown,
        logger: actionLogger,
      });
      core.info(
        `${comment.created ? "posted" : "updated"} the report of ${report.model} on #${report.pr}: ${comment.url}`,
      );
      posted++;
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  core.setOutput("posted", String(posted));
  core.info(`${posted} report(s) posted`);
}

await runAction(main);
