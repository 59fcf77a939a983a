/**
 * The promote action: assigns a stage to a version (default: the one in the stage before; an older
 * version is a rollback), enforcing gitml.yaml's allowed promotions, and sets outputs for a deploy job.
 * Bound to a GitHub Environment with required reviewers, this is the approval gate for production.
 */
import * as core from "@actions/core";
import * as path from "node:path";
import { z } from "zod";
import { promoteRelease } from "../commands/register-on-merge";
import { actionOctokit, actionReleasesStore } from "./github-env";
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
  stage: z.string().min(1),
  version: z.string().optional(),
  token: z.string().min(1),
  "working-directory": z.string().default("."),
  environment: z.string().optional(),
  "allow-unprotected-environment": booleanInput.default(false),
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
  const result = await promoteRelease(
    { cwd: path.resolve(env.workspace, options["working-directory"]), logger: actionLogger, store },
    {
      model: options.model,
      stage: options.stage,
      version: options.version,
      approval: {
        octokit,
        owner: env.owner,
        repo: env.repo,
        environment: options.environment,
        allowUnprotected: options["allow-unprotected-environment"],
        repositoryUrl: `${env.serverUrl}/${env.owner}/${env.repo}`,
      },
    },
  );
  core.setOutput("model", result.model);
  core.setOutput("version", result.version);
  core.setOutput("stage", result.stage);
  core.setOutput("previous", result.previous ?? "");
  core.setOutput("tag", result.versionTag);
  core.setOutput("stage-tag", result.tag ?? "");
  core.setOutput("release-url", result.releaseUrl ?? "");
  core.setOutput("artifact-url", result.artifactUrl ?? "");
  const rollback = result.previous !== undefined && result.previous !== result.version;
  await core.summary
    .addHeading(
      result.tag
        ? `Promoted ${result.model} ${result.version} → ${result.stage}${rollback ? ` (was ${result.previous})` : ""}`
        : `${result.model} ${result.version} already holds ${result.stage}: nothing to do`,
      3,
    )
    .write();
}

await runAction(main);
