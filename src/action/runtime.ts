import * as core from "@actions/core";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { GitCli } from "../git/git";
import { errorReport, exitCodeOf, isUserError, UserError } from "../util/errors";
import type { Logger } from "../util/logger";

/**
 * The edge between the Actions runner and gitml's commands: the only place (with the entry files next to
 * it) that knows about @actions/*. Every action parses its inputs once into a typed options object, runs a
 * command, and sets outputs; errors are sorted by exitCodeOf here (2 user error, 3 GitHub or the environment, 70 a bug).
 */

export const actionLogger: Logger = {
  debug: (m) => core.debug(m),
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  error: (m) => core.error(m),
};

/** What the runner tells every action through its environment, read once. */
export interface RunnerEnvironment {
  workspace: string;
  owner: string;
  repo: string;
  apiUrl: string;
  serverUrl: string;
  eventName: string;
  /** The webhook payload of the triggering event (GITHUB_EVENT_PATH). */
  payload: Record<string, unknown>;
  sha: string;
  ref: string;
  runId: number;
  runAttempt: number;
  workflow: string;
  job: string;
  /** Link to this workflow run, for reports and lineage. */
  runUrl: string;
}

export function readRunnerEnvironment(env: NodeJS.ProcessEnv = process.env): RunnerEnvironment {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set: this must run as a GitHub Actions step`);
    return value;
  };
  const [owner, repo] = required("GITHUB_REPOSITORY").split("/") as [string, string];
  const eventPath = env.GITHUB_EVENT_PATH;
  const payload = eventPath ? (JSON.parse(readFileSync(eventPath, "utf8")) as Record<string, unknown>) : {};
  const serverUrl = env.GITHUB_SERVER_URL ?? "https://github.com";
  const runId = Number(env.GITHUB_RUN_ID ?? 0);
  return {
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    owner,
    repo,
    apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
    serverUrl,
    eventName: env.GITHUB_EVENT_NAME ?? "",
    payload,
    sha: env.GITHUB_SHA ?? "",
    ref: env.GITHUB_REF ?? "",
    runId,
    runAttempt: Number(env.GITHUB_RUN_ATTEMPT ?? 1),
    workflow: env.GITHUB_WORKFLOW ?? "",
    job: env.GITHUB_JOB ?? "",
    runUrl: `${serverUrl}/${owner}/${repo}/actions/runs/${runId}`,
  };
}

/**
 * Reads the inputs an action.yml declares into one validated, typed object. Keys are the input names as
 * action.yml spells them (kebab-case); an empty input is absent, so zod defaults apply.
 */
export function parseInputs<Shape extends z.ZodRawShape>(shape: Shape): z.output<z.ZodObject<Shape>> {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(shape)) {
    const value = core.getInput(name);
    if (value !== "") raw[name] = value;
  }
  const result = z.object(shape).safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `input '${issue.path.join(".")}': ${issue.message}`);
    throw new InputError(problems.join("; "));
  }
  return result.data;
}

/** An action input the workflow got wrong: a user error, reported and exited as one. */
class InputError extends UserError {
  override readonly name = "InputError";
}

/** Boolean inputs as the runner passes them (YAML 1.2 core schema, as @actions/core's getBooleanInput). */
export const booleanInput = z
  .enum(["true", "True", "TRUE", "false", "False", "FALSE"])
  .transform((v) => v.toLowerCase() === "true");

/** Runs an action's body and turns its outcome into the step's result and exit code (see exitCodeOf). */
export async function runAction(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    core.setFailed(errorReport(error, "action"));
    process.exitCode = exitCodeOf(error);
  }
}

/** The identity GitHub's own bot commits with (actions/checkout's documentation suggests it for workflows). */
export const ACTIONS_BOT_IDENTITY = {
  name: "github-actions[bot]",
  email: "41898282+github-actions[bot]@users.noreply.github.com",
} as const;

/**
 * Registry tags are annotated, so they need a tagger, and a hosted runner has no git identity. Unless the
 * job configured one (`git config user.name …` or GIT_COMMITTER_* in its env), the actions that write tags
 * tag as GitHub Actions' bot, and say so.
 */
export async function useBotIdentityUnlessConfigured(cwd: string, logger: Logger): Promise<void> {
  try {
    await new GitCli(cwd).taggerIdentity();
  } catch (error) {
    if (!isUserError(error)) throw error;
    process.env.GIT_COMMITTER_NAME = ACTIONS_BOT_IDENTITY.name;
    process.env.GIT_COMMITTER_EMAIL = ACTIONS_BOT_IDENTITY.email;
    process.env.GIT_AUTHOR_NAME ??= ACTIONS_BOT_IDENTITY.name;
    process.env.GIT_AUTHOR_EMAIL ??= ACTIONS_BOT_IDENTITY.email;
    logger.info(`git has no identity on this runner: tagging as ${ACTIONS_BOT_IDENTITY.name}`);
  }
}
