/**
 * The Octokit gitml talks to GitHub with: @octokit/rest with the retry and throttling plugins, composed
 * as peter-evans/create-pull-request does. Pure of @actions/*: it takes a token, a base URL and a Logger.
 */
import { retry } from "@octokit/plugin-retry";
import { throttling, type ThrottlingOptions } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";

const GitHubOctokit = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof GitHubOctokit>;

export interface CreateOctokitOptions {
  token: string;
  /** API base URL: https://api.github.com, a GHES `/api/v3` URL, or a test stand-in. */
  baseUrl?: string;
  logger: Logger;
  userAgent?: string;
  /** How many times a rate-limited request is retried after the advised wait (default 3). */
  rateLimitRetries?: number;
  /** How many times a 5xx is retried with quadratic back-off (default 3). */
  serverErrorRetries?: number;
  /**
   * Milliseconds per "second" of advised or back-off wait (default 1000). Tests pass 1 so retries
   * are immediate while the number of retries stays what production does.
   */
  retryAfterBaseValueMs?: number;
  /**
   * Space writes as GitHub asks (one per second, content-creating ones every three) to stay clear of
   * secondary rate limits (default true). Tests against the stand-in turn it off.
   */
  paceWrites?: boolean;
}

type LimiterGroup = ThrottlingOptions["write"];

/** A Bottleneck.Group look-alike that runs every job at once: used when write pacing is off. */
function unpacedGroup(): LimiterGroup {
  const limiter = {
    schedule: (...args: unknown[]) => {
      const fnIndex = typeof args[0] === "function" ? 0 : 1;
      const fn = args[fnIndex] as (...a: unknown[]) => unknown;
      return Promise.resolve().then(() => fn(...args.slice(fnIndex + 1)));
    },
  };
  return { key: () => limiter } as unknown as LimiterGroup;
}

export function createOctokit(options: CreateOctokitOptions): GitHubClient {
  const { logger } = options;
  const rateLimitRetries = options.rateLimitRetries ?? 3;
  const baseValue = options.retryAfterBaseValueMs ?? 1000;
  const describe = (o: { method: string; url: string }) => `${o.method} ${o.url}`;
  const unpaced =
    options.paceWrites === false ? { write: unpacedGroup(), notifications: unpacedGroup() } : {};
  return new GitHubOctokit({
    auth: options.token,
    baseUrl: options.baseUrl ?? "https://api.github.com",
    userAgent: options.userAgent ?? "gitml",
    log: {
      // Octokit logs every request at info; that is debug detail for gitml's users.
      debug: (m: string) => logger.debug(m),
      info: (m: string) => logger.debug(m),
      warn: (m: string) => logger.warning(m),
      error: (m: string) => logger.error(m),
    },
    retry: { retries: options.serverErrorRetries ?? 3, retryAfterBaseValue: baseValue },
    throttle: {
      retryAfterBaseValue: baseValue,
      ...unpaced,
      onRateLimit: (retryAfter, request, _octokit, retryCount) => {
        if (retryCount < rateLimitRetries) {
          logger.warning(
            `GitHub rate limit hit by ${describe(request)}; retrying after ${retryAfter}s (retry ${retryCount + 1}/${rateLimitRetries}).`,
          );
          return true;
        }
        logger.error(
          `GitHub rate limit hit by ${describe(request)}; giving up after ${rateLimitRetries} retries.`,
        );
        return false;
      },
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
        if (retryCount < rateLimitRetries) {
          logger.warning(
            `GitHub secondary rate limit hit by ${describe(request)}; retrying after ${retryAfter}s (retry ${retryCount + 1}/${rateLimitRetries}).`,
          );
          return true;
        }
        logger.error(
          `GitHub secondary rate limit hit by ${describe(request)}; giving up after ${rateLimitRetries} retries.`,
        );
        return false;
      },
    },
  });
}

/** What an HTTP failure from Octokit looks like (RequestError), without depending on its class. */
export interface HttpFailure {
  status: number;
  message: string;
}

export function httpStatusOf(error: unknown): number | undefined {
  if (error && typeof error === "object" && "status" in error && typeof error.status === "number")
    return error.status;
  return undefined;
}

/**
 * The token may not do what was asked: typically a pull request from a fork, whose GITHUB_TOKEN is
 * read-only. A UserError, because the fix is in the workflow's `permissions:` or in skipping forks.
 */
export class GitHubPermissionError extends UserError {
  readonly status: number;
  readonly action: string;
  constructor(
    action: string,
    options: { status: number; message: string; permission?: string; cause?: unknown },
  ) {
    const grant = options.permission ? ` Grant \`permissions: ${options.permission}\` to the job;` : "";
    super(
      `GitHub refused to ${action} (HTTP ${options.status}: ${options.message}). The token lacks permission.${grant} a pull request from a fork only gets a read-only GITHUB_TOKEN.`,
      { cause: options.cause },
    );
    this.status = options.status;
    this.action = action;
  }
}

/** True for a refusal by permission (not a rate limit): a GitHubPermissionError or a raw 403 from Octokit. */
export function isPermissionError(error: unknown): boolean {
  if (error instanceof GitHubPermissionError) return true;
  if (httpStatusOf(error) !== 403) return false;
  const message = error instanceof Error ? error.message : "";
  return !/rate limit/i.test(message);
}

/** Rethrows a permission refusal as a GitHubPermissionError naming the action; anything else unchanged. */
export function rethrowPermission(error: unknown, action: string, permission?: string): never {
  if (isPermissionError(error) && !(error instanceof GitHubPermissionError)) {
    const status = httpStatusOf(error) ?? 403;
    const message = error instanceof Error ? error.message.split(" - ")[0] : String(error);
    throw new GitHubPermissionError(action, { status, message, permission, cause: error });
  }
  throw error;
}

/** A 5xx or a network failure: the request may or may not have taken effect. */
export function isServerOrNetworkError(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status === undefined || status >= 500;
}
