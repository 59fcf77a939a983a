import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import * as path from "node:path";
import type { ModelConfig } from "../config";
import { Failure, UserError } from "../util/errors";
import type { Logger } from "../util/logger";

/**
 * Runs a model's `train` command in its folder through the shell, as a person would type it. Its output
 * goes to stderr so that gitml's stdout stays clean for --json.
 */
export async function runTrainCommand(options: {
  root: string;
  name: string;
  model: ModelConfig;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}): Promise<void> {
  const { model, name } = options;
  if (!model.train)
    throw new UserError(`models.${name}.train is not set: gitml does not know how to train ${name}`);
  const cwd = path.resolve(options.root, model.path);
  if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) {
    throw new UserError(`models.${name}.path is '${model.path}', but that folder does not exist`);
  }
  options.logger.info(`training ${name}: ${model.train} (in ${path.relative(options.root, cwd) || "."})`);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(model.train!, {
      cwd,
      shell: true,
      env: options.env ?? process.env,
      stdio: ["ignore", process.stderr, process.stderr],
    });
    child.on("error", (error) => reject(new UserError(`cannot run models.${name}.train (${error.message})`)));
    child.on("close", (exitCode) => resolve(exitCode ?? 1));
  });
  if (code !== 0) throw new Failure(`training ${name} failed: \`${model.train}\` exited with code ${code}`);
}
