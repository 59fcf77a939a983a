/**
 * Where monitoring runs are kept for later builds (the catalog site): the local folder
 * `.gitml/monitoring/` (the CLI) and the `gitml-monitoring` branch of the repository on GitHub (the monitor
 * action pushes there; any clone reads it after `git fetch origin gitml-monitoring`). The record format,
 * validation and local files are in src/monitor/history.ts; the branch plumbing in src/git/data-branch.ts.
 */
import * as path from "node:path";
import { appendToBranch, fetchBranch, readBranchFiles, type AppendOutcome } from "../git/data-branch";
import { GitCli } from "../git/git";
import {
  DEFAULT_HISTORY_RETENTION,
  historyOfFiles,
  HISTORY_BRANCH,
  isRecordFileName,
  LOCAL_HISTORY_DIR,
  MAX_RECORD_BYTES,
  modelFolder,
  namesBeyondRetention,
  readLocalHistory,
  recordPath,
  serializeRecord,
  writeLocalHistory,
  type MonitoringHistory,
  type MonitoringRecord,
  type ReadHistoryOptions,
} from "../monitor/history";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";

export { HISTORY_BRANCH, LOCAL_HISTORY_DIR };

/** Where a monitoring run's records go: a folder, or a branch (the edges choose). */
export interface HistorySink {
  /** Where, in messages ("monitoring history in .gitml/monitoring"). */
  readonly name: string;
  save(records: readonly MonitoringRecord[]): Promise<void>;
}

/** The project's local history folder. */
export function localHistoryDir(root: string): string {
  return path.join(root, LOCAL_HISTORY_DIR);
}

/** Records written to `dir` (default `.gitml/monitoring` of the project), `retention` kept per model. */
export function localHistorySink(
  dir: string,
  options: { retention?: number; logger?: Logger } = {},
): HistorySink {
  return {
    name: `monitoring history in ${dir}`,
    async save(records) {
      const files = await writeLocalHistory(dir, records, { retention: options.retention }).catch(
        (error: NodeJS.ErrnoException) => {
          // Something in the way or no permission: the user can fix it; a full disk stays an environment error.
          if (["ENOTDIR", "EEXIST", "EISDIR", "EACCES", "EPERM"].includes(error.code ?? ""))
            throw new UserError(`the monitoring history could not be written: ${error.message}`, {
              where: dir,
              cause: error,
            });
          throw error;
        },
      );
      for (const file of files) options.logger?.debug(`monitoring history: wrote ${file}`);
    },
  };
}

/** The history in a folder (default the project's `.gitml/monitoring`). */
export function readLocalMonitoringHistory(
  root: string,
  options: ReadHistoryOptions & { dir?: string } = {},
): Promise<MonitoringHistory> {
  return readLocalHistory(options.dir ?? localHistoryDir(root), options);
}

/** The URL (or absolute path) a remote name stands for in the repository at `cwd`; a URL as it is. */
async function remoteLocation(cwd: string, remote: string): Promise<string> {
  if (remote.startsWith("-")) throw new UserError(`'${remote}' is not a git remote`);
  if (/^[A-Za-z0-9._-]+$/.test(remote)) {
    const url = await new GitCli(cwd).remoteUrl(remote);
    if (!url)
      throw new UserError(`this repository has no remote '${remote}' to keep the monitoring history on`);
    // A path relative to the repository (a local bare origin) means the same from the scratch repository.
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]+@[^/]+:/.test(url) || path.isAbsolute(url)
      ? url
      : path.resolve(await new GitCli(cwd).topLevel(), url);
  }
  return remote;
}

export interface PushHistoryOptions {
  /** A repository whose remote holds the branch. */
  cwd: string;
  /** A remote name or URL; default origin. */
  remote?: string;
  branch?: string;
  records: readonly MonitoringRecord[];
  retention?: number;
  /** Credentials for the fetch and push (see authorizationEnv in src/git/data-branch). */
  authEnv?: NodeJS.ProcessEnv;
  identity?: { name: string; email: string };
  /** Pushes tried when other writers keep moving the branch (default 10), and the base delay between. */
  attempts?: number;
  retryDelayMs?: number;
  beforePush?: (attempt: number) => Promise<void>;
  runUrl?: string;
}

/** The identity of commits on the history branch made from Actions (the GitHub Actions bot's). */
export const ACTIONS_BOT_IDENTITY = {
  name: "github-actions[bot]",
  email: "41898282+github-actions[bot]@users.noreply.github.com",
};

/**
 * Pushes the records to the history branch in one commit, keeping `retention` records per model;
 * retried from the new tip when another monitoring job pushed first.
 */
export async function pushMonitoringRecords(options: PushHistoryOptions): Promise<AppendOutcome | undefined> {
  if (options.records.length === 0) return undefined;
  const retention = options.retention ?? DEFAULT_HISTORY_RETENTION;
  const models = [...new Set(options.records.map((r) => r.model))];
  const folders = new Set(models.map(modelFolder));
  return appendToBranch({
    remote: await remoteLocation(options.cwd, options.remote ?? "origin"),
    branch: options.branch ?? HISTORY_BRANCH,
    files: options.records.map((record) => ({ path: recordPath(record), content: serializeRecord(record) })),
    prune: (paths) => {
      const byFolder = new Map<string, string[]>();
      for (const file of paths) {
        const [folder, name, ...rest] = file.split("/");
        if (rest.length > 0 || !name || !folders.has(folder!)) continue;
        byFolder.set(folder!, [...(byFolder.get(folder!) ?? []), name]);
      }
      return [...byFolder].flatMap(([folder, names]) =>
        namesBeyondRetention(names, retention).map((name) => `${folder}/${name}`),
      );
    },
    message: [
      `gitml monitor: ${models.length === 1 ? models[0] : `${models.length} models`} (${options.records.map((r) => `${r.model} ${r.verdict}`).join(", ")})`,
      ...(options.runUrl ? ["", options.runUrl] : []),
    ].join("\n"),
    identity: options.identity ?? ACTIONS_BOT_IDENTITY,
    authEnv: options.authEnv,
    attempts: options.attempts,
    retryDelayMs: options.retryDelayMs,
    beforePush: options.beforePush,
  });
}

/** The records go to the history branch of a remote (the monitor action). */
export function branchHistorySink(
  options: Omit<PushHistoryOptions, "records"> & { logger?: Logger; onPushed?: (commit: string) => void },
): HistorySink {
  const branch = options.branch ?? HISTORY_BRANCH;
  return {
    name: `monitoring history on the branch ${branch}`,
    async save(records) {
      const outcome = await pushMonitoringRecords({ ...options, records });
      if (outcome) options.onPushed?.(outcome.commit);
      if (outcome)
        options.logger?.info(
          `monitoring history: ${records.length} record(s) pushed to ${branch} (${outcome.commit.slice(0, 12)}${outcome.attempts > 1 ? `, after ${outcome.attempts} attempts` : ""})`,
        );
    },
  };
}

/** The default ref a clone holds the history branch in, after `git fetch <remote>`. */
export function historyTrackingRef(remote = "origin"): string {
  return `refs/remotes/${remote}/${HISTORY_BRANCH}`;
}

/**
 * The history on a branch of the repository at `cwd` (default `refs/remotes/origin/gitml-monitoring`,
 * what `git fetch origin` brings): each model's runs, newest first; undefined when the ref does not
 * exist (no monitoring run has pushed yet, or it was not fetched). Invalid files are skipped with a
 * warning naming `<ref>:<path>`.
 */
export async function readMonitoringHistoryAtRef(options: {
  cwd: string;
  ref?: string;
  models?: readonly string[];
  logger?: Logger;
}): Promise<MonitoringHistory | undefined> {
  const ref = options.ref ?? historyTrackingRef();
  const wanted = options.models ? new Set(options.models.map(modelFolder)) : undefined;
  const files = await readBranchFiles({
    cwd: options.cwd,
    ref,
    maxBytes: MAX_RECORD_BYTES,
    wanted: (file) => {
      const parts = file.split("/");
      return parts.length === 2 && isRecordFileName(parts[1]!) && (!wanted || wanted.has(parts[0]!));
    },
  });
  if (!files) return undefined;
  const tooLarge = files.filter((f) => f.text === undefined);
  for (const file of tooLarge)
    options.logger?.warning(
      `monitoring history: skipped ${ref}:${file.path}: larger than ${MAX_RECORD_BYTES} bytes`,
    );
  const history = historyOfFiles(
    files
      .filter((f) => f.text !== undefined)
      .map((f) => ({ path: f.path, label: `${ref}:${f.path}`, text: f.text! })),
    options.logger,
  );
  return {
    models: history.models,
    skipped: [
      ...tooLarge.map((f) => ({ file: `${ref}:${f.path}`, reason: `larger than ${MAX_RECORD_BYTES} bytes` })),
      ...history.skipped,
    ],
  };
}

/**
 * Fetches the history branch of `remote` (a name or URL) into `into` (default
 * `refs/remotes/<remote>/gitml-monitoring` for a remote name) and returns that ref, or undefined when the
 * remote has none. `depth: 1` for a scratch or catalog repository (only the tip's files are read).
 */
export async function fetchMonitoringHistory(options: {
  cwd: string;
  remote?: string;
  into?: string;
  depth?: number;
  authEnv?: NodeJS.ProcessEnv;
}): Promise<string | undefined> {
  const remote = options.remote ?? "origin";
  const named = /^[A-Za-z0-9._-]+$/.test(remote);
  const into = options.into ?? (named ? historyTrackingRef(remote) : `refs/gitml/monitoring/fetched`);
  const found = await fetchBranch({
    cwd: options.cwd,
    remote,
    branch: HISTORY_BRANCH,
    into,
    depth: options.depth,
    authEnv: options.authEnv,
  });
  return found ? into : undefined;
}

/**
 * Several histories as one (e.g. the local folder and the branch): each model's runs from all of them,
 * newest first, a record found in more than one kept once; the skipped files of all.
 */
export function mergeHistories(...histories: Array<MonitoringHistory | undefined>): MonitoringHistory {
  const models = new Map<string, MonitoringRecord[]>();
  const seen = new Set<string>();
  for (const history of histories) {
    for (const [model, runs] of history?.models ?? []) {
      for (const run of runs) {
        const key = JSON.stringify(run);
        if (seen.has(key)) continue;
        seen.add(key);
        models.set(model, [...(models.get(model) ?? []), run]);
      }
    }
  }
  for (const runs of models.values()) runs.sort((a, b) => Date.parse(b.ranAt) - Date.parse(a.ranAt));
  return {
    models: new Map([...models].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    skipped: histories.flatMap((h) => h?.skipped ?? []),
  };
}

/**
 * Everything a project knows of its monitoring: the local folder (`.gitml/monitoring`) and the history
 * branch as fetched (default `refs/remotes/origin/gitml-monitoring`, absent until fetched), merged.
 */
export async function readMonitoringHistory(options: {
  root: string;
  ref?: string;
  models?: readonly string[];
  logger?: Logger;
}): Promise<MonitoringHistory> {
  const [local, branch] = await Promise.all([
    readLocalMonitoringHistory(options.root, { models: options.models, logger: options.logger }),
    readMonitoringHistoryAtRef({
      cwd: options.root,
      ref: options.ref,
      models: options.models,
      logger: options.logger,
    }),
  ]);
  return mergeHistories(branch, local);
}
