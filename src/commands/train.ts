import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import * as path from "node:path";
import type { ModelConfig } from "../config";
import { Failure, UserError } from "../util/errors";
import type { Logger } from "../util/logger";

/** Runs a model's `train` command in its folder. */
export async function runTrainCommand(options: {
  root: string;
  name: string;
  model: ModelConfig;
  logger: Logger;
}): Promise<void> {
  const { model, name } = options;
  if (!model.train)
    throw new UserError(`models.${name}.train is not set: gitml does not know how to train ${name}`);
  await runShellCommand({
    command: model.train,
    cwd: path.resolve(options.root, model.path),
    what: `models.${name}.train`,
    logger: options.logger,
  });
}

/**
 * Runs a command from gitml.yaml through the shell, as a person would type it, in the model's folder. Its
 * output goes to stderr so that gitml's stdout stays clean for --json.
 */
export async function runShellCommand(options: {
  command: string;
  cwd: string;
  what: string;
  logger: Logger;
  /** Keep the command's output, and show it only if it fails. */
  quiet?: boolean;
}): Promise<void> {
  const { command, cwd, what } = options;
  if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) {
    throw new UserError(`${what} runs in ${cwd}, but that folder does not exist`);
  }
  options.logger.info(`running ${what}: ${command}`);
  const captured: Buffer[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const output = options.quiet ? "pipe" : process.stderr;
    const child = spawn(command, { cwd, shell: true, stdio: ["ignore", output, output] });
    child.stdout?.on("data", (chunk: Buffer) => captured.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => captured.push(chunk));
    child.on("error", (error) => reject(new UserError(`cannot run ${what} (${error.message})`)));
    child.on("close", (exitCode) => resolve(exitCode ?? 1));
  });
  if (code !== 0) {
    if (captured.length > 0) process.stderr.write(Buffer.concat(captured));
    throw new Failure(`${what} failed: \`${command}\` exited with code ${code}`);
  }
}
