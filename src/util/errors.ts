/**
 * Four outcomes, each with its own exit code so a script can tell them apart (codeql-action separates
 * user errors from bugs the same way):
 *
 * | code | class              | meaning                                                                  |
 * | ---- | ------------------ | ------------------------------------------------------------------------ |
 * | 0    |                    | ok                                                                       |
 * | 1    | `Failure`          | the tool worked and what it checked failed (a gate, the training command) |
 * | 2    | `UserError`        | something the user can fix: bad config, bad input, missing file, bad name |
 * | 3    | `EnvironmentError` | GitHub or the machine failed: network, 5xx after retries, 401/403/429, git missing, disk full |
 * | 70   | anything else      | a bug in gitml (EX_SOFTWARE): "internal error (please report it)"       |
 *
 * `exitCodeOf` and `describeError` are the one mapping; the CLI and every action use them.
 */
export class UserError extends Error {
  override readonly name: string = "UserError";
  /** Where the problem is, e.g. `gitml.yaml:12:5` or `models/churn/out/metrics.json`. */
  readonly where?: string;
  constructor(message: string, options?: { where?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.where = options?.where;
  }
}

export class Failure extends Error {
  override readonly name = "Failure";
}

/**
 * GitHub or the environment failed, not gitml and not the user's input: the network is down, GitHub
 * answered 5xx after the retries, refused the token, git is missing, the disk is full. Retrying later or
 * fixing the machine helps; reporting a bug does not.
 */
export class EnvironmentError extends Error {
  override readonly name: string = "EnvironmentError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

export const ExitCode = { ok: 0, failure: 1, userError: 2, environment: 3, internal: 70 } as const;

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/** The text a person sees for a user error: `where: message`. */
export function describeUserError(error: UserError): string {
  return error.where ? `${error.where}: ${error.message}` : error.message;
}

/** System error codes that mean the machine or the network failed, not gitml. */
const ENVIRONMENT_ERROR_CODES = new Set([
  "ENOSPC",
  "EDQUOT",
  "EROFS",
  "EIO",
  "EMFILE",
  "ENFILE",
  "ENOMEM",
  "EACCES",
  "EPERM",
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
]);

/**
 * HTTP statuses that are GitHub's or the token's doing: 5xx (after the client's retries), 401 (bad or
 * expired token), 403 (refused: permission refusals gitml understands are UserErrors before they get
 * here), 429 (rate limit after the retries).
 */
function isEnvironmentStatus(status: number): boolean {
  return status >= 500 || status === 401 || status === 403 || status === 429;
}

function ownStatus(error: object): number | undefined {
  return "status" in error && typeof error.status === "number" ? error.status : undefined;
}

function ownCode(error: object): string | undefined {
  return "code" in error && typeof error.code === "string" ? error.code : undefined;
}

/** The error, or one of its causes, that says the environment failed; undefined when none does. */
function environmentCause(error: unknown): Error | undefined {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    if (e instanceof UserError || e instanceof Failure) return undefined;
    if (e instanceof EnvironmentError) return e;
    const status = ownStatus(e);
    if (status !== undefined && isEnvironmentStatus(status)) return e as Error;
    const code = ownCode(e);
    if (code !== undefined && ENVIRONMENT_ERROR_CODES.has(code)) return e as Error;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export type ErrorKind = "failure" | "user" | "environment" | "internal";

export function kindOf(error: unknown): ErrorKind {
  if (error instanceof UserError) return "user";
  if (error instanceof Failure) return "failure";
  if (environmentCause(error)) return "environment";
  return "internal";
}

/** The exit code of a run that ended with `error` (see the table above). */
export function exitCodeOf(error: unknown): number {
  switch (kindOf(error)) {
    case "user":
      return ExitCode.userError;
    case "failure":
      return ExitCode.failure;
    case "environment":
      return ExitCode.environment;
    case "internal":
      return ExitCode.internal;
  }
}

/** What an HTTP failure was asked, when the error says (Octokit's RequestError carries its request). */
function requestOf(error: unknown): string {
  const request = (error as { request?: { method?: unknown; url?: unknown } })?.request;
  if (typeof request?.method !== "string" || typeof request.url !== "string") return "";
  return ` (${request.method} ${request.url.replace(/\?.*$/, "")})`;
}

/**
 * The message a person sees for an error, without its kind's prefix: `where: message` for a user error,
 * the failure's message, what GitHub or the machine said, or a bug's stack.
 */
export function describeError(error: unknown): string {
  if (error instanceof UserError) return describeUserError(error);
  if (error instanceof Failure) return error.message;
  const cause = environmentCause(error);
  if (cause) {
    const status = ownStatus(cause);
    const what = status === undefined ? "" : `HTTP ${status}${requestOf(cause)}: `;
    const outer = cause === error ? "" : `${(error as Error).message ?? String(error)}: `;
    return `${outer}${what}${cause.message}`;
  }
  return (error as Error)?.stack ?? String(error);
}

const ENVIRONMENT_HINT =
  "GitHub or the environment failed, not gitml (retry later; check the network, the token, the disk)";

/**
 * How a run that ended with `error` reports it, so a script and a person both learn which kind it was.
 * `cli`: lines for stderr, after "gitml:". `action`: the step's failure message (the runner adds "Error:").
 */
export function errorReport(error: unknown, style: "cli" | "action" = "cli"): string {
  const text = describeError(error);
  const cli = style === "cli";
  switch (kindOf(error)) {
    case "user":
      return cli ? `gitml: error: ${text}` : text;
    case "failure":
      return cli ? `gitml: ${text}` : text;
    case "environment":
      return cli ? `gitml: error: ${ENVIRONMENT_HINT}: ${text}` : `${ENVIRONMENT_HINT}: ${text}`;
    case "internal":
      return cli
        ? `gitml: internal error (please report it): ${text}`
        : `gitml internal error (please report it): ${text}`;
  }
}
