/**
 * The register action: on the push of a merged pull request to the default branch, registers the
 * reviewed candidate as a new version in the GitHub Releases store, promotes it to the first stage,
 * comments on the pull request, and sets outputs for a deploy job (`needs:`).
 */
import * as core from "@actions/core";
import * as path from "node:path";
import { z } from "zod";
import { registerOnMerge } from "../commands/register-on-merge";
import { ArtifactCandidateSource } from "./candidates";
import { actionOctokit, actionReleasesStore } from "./github-env";
import { dataEnginePreparer } from "./native";
import {
  actionLogger,
  booleanInput,
  parseInputs,
  readRunnerEnvironment,
  runAction,
  useBotIdentityUnlessConfigured,
} from "./runtime";

const inputs = {
  model: z.string().min(1),
  token: z.string().min(1),
  retrain: booleanInput.default(false),
  "fork-pull-requests": z.enum(["retrain", "refuse"]).default("retrain"),
  "evaluation-app": z.string().min(1).default("github-actions"),
  "wait-for-evaluation": z.coerce.number().min(0).max(360).default(15),
  bump: z.enum(["major", "minor", "patch"]).optional(),
  "evaluation-workflow": z.string().optional(),
  "working-directory": z.string().default("."),
  sha: z.string().optional(),
};

async function main(): Promise<void> {
  const options = parseInputs(inputs);
  const env = readRunnerEnvironment();
  const octokit = actionOctokit(options.token, env);
  await useBotIdentityUnlessConfigured(
    path.resolve(env.workspace, options["working-directory"]),
    actionLogger,
  );
  const store = actionReleasesStore(octokit, options.token, env);
  const workflow =
    options["evaluation-workflow"] ?? workflowFileOf(process.env.GITHUB_WORKFLOW_REF) ?? env.workflow;
  const candidates = new ArtifactCandidateSource({
    octokit,
    token: options.token,
    owner: env.owner,
    repo: env.repo,
    workflow,
    logger: actionLogger,
    waitMs: options["wait-for-evaluation"] * 60_000,
  });
  const result = await registerOnMerge(
    {
      cwd: path.resolve(env.workspace, options["working-directory"]),
      logger: actionLogger,
      prepareDataEngine: dataEnginePreparer(actionLogger),
    },
    {
      model: options.model,
      commit: options.sha ?? env.sha,
      octokit,
      owner: env.owner,
      repo: env.repo,
      store,
      candidates,
      retrain: options.retrain,
      forkPullRequests: options["fork-pull-requests"],
      trustedApps: [options["evaluation-app"]],
      bump: options.bump,
      runUrl: env.runUrl,
      repositoryUrl: `${env.serverUrl}/${env.owner}/${env.repo}`,
      workDir: process.env.RUNNER_TEMP,
    },
  );
  core.setOutput("model", result.model);
  core.setOutput("version", result.version);
  core.setOutput("stage", result.stage);
  core.setOutput("tag", result.tag);
  core.setOutput("release-url", result.releaseUrl ?? "");
  core.setOutput("artifact-url", result.artifactUrl ?? "");
  core.setOutput("digest", result.digest ?? "");
  core.setOutput("retrained", String(result.retrained));
  core.setOutput("pr", result.pr === undefined ? "" : String(result.pr));
  await core.summary
    .addHeading(`Released ${result.model} ${result.version} → ${result.stage}`, 3)
    .addList([
      `tag: ${result.tag}`,
      ...(result.releaseUrl ? [`release: ${result.releaseUrl}`] : []),
      ...(result.pr !== undefined ? [`pull request: #${result.pr}`] : []),
      ...(result.retrained
        ? [
            result.fromFork
              ? "retrained at merge: the pull request came from a fork, whose bytes never ship"
              : "retrained at merge: the reviewed candidate had expired",
          ]
        : []),
      ...(result.resumed ? ["resumed the registration an earlier run had started"] : []),
    ])
    .write();
}

/** `.github/workflows/x.yml` from GITHUB_WORKFLOW_REF (`owner/repo/.github/workflows/x.yml@refs/...`). */
function workflowFileOf(ref: string | undefined): string | undefined {
  const match = ref ? /\/\.github\/workflows\/([^@/]+)@/.exec(ref) : null;
  return match?.[1];
}

await runAction(main);
