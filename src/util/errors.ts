/**
 * Two kinds of failure, as codeql-action separates them: a UserError is something the user can fix
 * (bad config, bad input, missing file, invalid tag name) and exits 2 with a plain message; anything
 * else is a bug and exits 1 with its stack. A Failure is neither: the tool worked and what it checked
 * failed (a gate, the training command): exit 1 with a plain message.
 */
export class UserError extends Error {
  override readonly name = "UserError";
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

export const ExitCode = { ok: 0, failure: 1, userError: 2 } as const;

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/** The text a person sees for a user error: `where: message`. */
export function describeUserError(error: UserError): string {
  return error.where ? `${error.where}: ${error.message}` : error.message;
}
