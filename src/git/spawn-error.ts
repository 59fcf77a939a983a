import { statSync } from "node:fs";
import { EnvironmentError, UserError } from "../util/errors";

const GIT_MISSING = "git was not found on PATH: install git (https://git-scm.com) and retry";

/**
 * What an ENOENT from starting git means. Node reports a working folder that does not exist with the
 * same code as a missing executable, so the folder is checked first: a mistyped `-C` is the user's to
 * fix (exit 2), a missing git is the machine's (an EnvironmentError, exit 3), wherever git is started.
 */
export function gitSpawnError(cwd: string | undefined): Error {
  const folderError = cwd === undefined ? undefined : missingFolderError(cwd);
  return folderError ?? new EnvironmentError(GIT_MISSING);
}

/** A UserError when `folder` does not exist or is not a folder; undefined when it is one. */
export function missingFolderError(folder: string): UserError | undefined {
  try {
    if (statSync(folder).isDirectory()) return undefined;
    return new UserError(`${folder} is not a folder (the folder gitml runs in: -C/--cwd or the current one)`);
  } catch {
    return new UserError(
      `the folder ${folder} does not exist (the folder gitml runs in: -C/--cwd or the current one)`,
    );
  }
}
