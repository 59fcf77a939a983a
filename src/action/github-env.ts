import { createOctokit, type GitHubClient } from "../github/client";
import { GitHubReleasesStore } from "../github/release-store";
import { actionLogger, type RunnerEnvironment } from "./runtime";

/** Tunables for test harnesses and debugging (the evaluate action reads the same); production uses the defaults. */
function retryBaseMs(): number | undefined {
  const value = Number(process.env.GITML_RETRY_BASE_MS);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

export function actionOctokit(token: string, env: RunnerEnvironment): GitHubClient {
  const retryBase = retryBaseMs();
  return createOctokit({
    token,
    baseUrl: env.apiUrl,
    logger: actionLogger,
    ...(retryBase !== undefined ? { retryAfterBaseValueMs: retryBase } : {}),
    ...(process.env.GITML_PACE_WRITES === "false" ? { paceWrites: false } : {}),
  });
}

export function actionReleasesStore(
  octokit: GitHubClient,
  token: string,
  env: RunnerEnvironment,
): GitHubReleasesStore {
  return new GitHubReleasesStore({
    octokit,
    token,
    owner: env.owner,
    repo: env.repo,
    logger: actionLogger,
    workDir: process.env.RUNNER_TEMP,
    retryDelayMs: retryBaseMs(),
  });
}
