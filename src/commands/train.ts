import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
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
 * Environment variables a user command never sees. A `train` command is pull-request code: with the
 * runner's tokens it could replace the uploaded candidate artifact, read the workflow's token, ask for an
 * OIDC token, or write the runner's file commands (`GITHUB_ENV` sets variables — `NODE_OPTIONS` — for
 * gitml's own later steps). Variables of the user's own (cloud credentials the training needs) pass.
 */
export const WITHHELD_ENV_NAMES: ReadonlySet<string> = new Set([
  "ACTIONS_RUNTIME_TOKEN",
  "ACTIONS_RUNTIME_URL",
  "ACTIONS_RESULTS_URL",
  "ACTIONS_CACHE_URL",
  "ACTIONS_CACHE_SERVICE_V2",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_URL",
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "GITHUB_PAT",
  "GH_ENTERPRISE_TOKEN",
  "GITHUB_ENTERPRISE_TOKEN",
  "GITML_TOKEN",
  "GITHUB_ENV",
  "GITHUB_PATH",
  "GITHUB_OUTPUT",
  "GITHUB_STATE",
  "GITHUB_STEP_SUMMARY",
]);

/** Every action input (`INPUT_TOKEN`, …), any other `ACTIONS_*` runtime value, and `*_TOKEN` of GitHub's. */
const WITHHELD_ENV_PATTERN =
  /^(?:INPUT_|ACTIONS_(?:RUNTIME|RESULTS|CACHE|ID_TOKEN)_|(?:GITHUB|GH)_[A-Z0-9_]*TOKEN$)/i;

/** The environment a command from gitml.yaml runs with: `env` without the runner's tokens and inputs. */
export function userCommandEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (WITHHELD_ENV_NAMES.has(name.toUpperCase()) || WITHHELD_ENV_PATTERN.test(name)) continue;
    kept[name] = value;
  }
  return kept;
}

/** How long a command's leftover processes get to end after SIGTERM before they are killed. */
const LEFTOVER_GRACE_MS = 3_000;

/**
 * Runs a command from gitml.yaml through the shell, as a person would type it, in the model's folder. Its
 * output goes to stderr so that gitml's stdout stays clean for --json.
 *
 * The command runs without the runner's tokens (`userCommandEnv`) in a process group of its own; when
 * the shell exits, whatever it left behind in that group is ended (SIGTERM, then SIGKILL) and awaited
 * before this returns, so no process of the command outlives it to touch what gitml does next.
 */
export async function runShellCommand(options: {
  command: string;
  cwd: string;
  what: string;
  logger: Logger;
  /** Keep the command's output, and show it only if it fails. */
  quiet?: boolean;
  /** The environment to start from (default `process.env`); withheld variables are removed from it. */
  env?: NodeJS.ProcessEnv;
}): Promise<void> {
  const { command, cwd, what } = options;
  if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) {
    throw new UserError(`${what} runs in ${cwd}, but that folder does not exist`);
  }
  options.logger.info(`running ${what}: ${command}`);
  const captured: Buffer[] = [];
  const ownGroup = process.platform !== "win32";
  let received: NodeJS.Signals | undefined;
  const code = await new Promise<number>((resolve, reject) => {
    const output = options.quiet ? "pipe" : process.stderr;
    const child = spawn(command, {
      cwd,
      shell: true,
      env: userCommandEnv(options.env ?? process.env),
      detached: ownGroup,
      stdio: ["ignore", output, output],
    });
    child.stdout?.on("data", (chunk: Buffer) => captured.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => captured.push(chunk));
    let exitCode: number | undefined;
    let closed = false;
    const finish = () => {
      if (exitCode !== undefined && closed) resolve(exitCode);
    };
    // In a group of its own the command no longer gets the terminal's Ctrl-C: pass it (and a SIGTERM
    // sent to gitml) on, and once the group is gone, end gitml by the same signal.
    const forward = (signal: NodeJS.Signals) => {
      const first = received === undefined;
      received ??= signal;
      if (child.pid === undefined) return;
      signalGroup(child.pid, signal);
      // A command that ignores the signal (or inherited it ignored) is ended as leftovers are.
      const pid = child.pid;
      if (first)
        setTimeout(() => void endProcessGroup(pid).catch(() => undefined), LEFTOVER_GRACE_MS).unref();
    };
    const forwarded: NodeJS.Signals[] = ownGroup ? ["SIGINT", "SIGTERM", "SIGHUP"] : [];
    for (const signal of forwarded) process.on(signal, forward);
    const stopForwarding = () => {
      for (const signal of forwarded) process.off(signal, forward);
    };
    child.on("error", (error) => {
      stopForwarding();
      reject(new UserError(`cannot run ${what} (${error.message})`));
    });
    // `exit`, not `close`: a leftover process holding the output pipe would keep `close` from firing.
    child.on("exit", (code, signal) => {
      const pid = child.pid;
      const leftovers = ownGroup && pid !== undefined ? endProcessGroup(pid) : Promise.resolve();
      void leftovers.then(
        () => {
          stopForwarding();
          if (received !== undefined) process.kill(process.pid, received);
          exitCode = code ?? (signal ? 128 : 1);
          finish();
        },
        (error: unknown) => {
          stopForwarding();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
    child.on("close", () => {
      closed = true;
      finish();
    });
  });
  if (code !== 0) {
    if (captured.length > 0) process.stderr.write(Buffer.concat(captured));
    throw new Failure(`${what} failed: \`${command}\` exited with code ${code}`);
  }
}

/**
 * True while a live process is in the group. On Linux /proc tells zombies apart (a leftover re-parented to
 * a PID 1 that never reaps — a bare container — stays a zombie, but it can do nothing); elsewhere a
 * signal 0 says whether anything is left.
 */
function groupAlive(pgid: number): boolean {
  const members = liveGroupMembersFromProc(pgid);
  if (members !== undefined) return members > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // EPERM: a member changed its user; it is still alive, and not ours to kill.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function liveGroupMembersFromProc(pgid: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  let live = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // `pid (comm) state ppid pgrp …`: comm may hold spaces and parentheses, so parse after the last `)`.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") live++;
  }
  return live;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Gone already.
  }
}

/** Ends every process left in the group `pgid`: SIGTERM, a grace period, SIGKILL; resolves once none is left. */
async function endProcessGroup(pgid: number): Promise<void> {
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, "SIGTERM");
  const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));
  for (let waited = 0; waited < LEFTOVER_GRACE_MS && groupAlive(pgid); waited += 25) await sleep(25);
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, "SIGKILL");
  // After SIGKILL only reaping is left; children of the group are re-parented to init, which reaps them.
  for (let waited = 0; waited < 10_000 && groupAlive(pgid); waited += 25) await sleep(25);
  if (groupAlive(pgid))
    throw new Error(
      `processes of group ${pgid} survived SIGKILL (are they stopped or in uninterruptible sleep?)`,
    );
}
