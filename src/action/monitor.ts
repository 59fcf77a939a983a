/**
 * actions/monitor: on a schedule, compares each monitored model's production reference profile (from the
 * GitHub Releases store) with recent data via `monitorEach()` (the same use case as `gitml monitor`: model
 * selection, one model's failure isolated from the others, the alert decision), reporting per model to
 * the job summary, one alert issue kept in step with the verdict (opened on drift, a comment per run
 * while it lasts, closed when the data recovers), and optionally a retraining dispatch. Drift is a
 * finding, not a failure: the step succeeds and says so in its outputs.
 */
import * as core from "@actions/core";
import * as path from "node:path";
import { z } from "zod";
import { combinedFailure, monitorEach, type ModelMonitorResult } from "../commands/monitor";
import {
  dispatchRetrainTrigger,
  issueAlertSink,
  shareSentence,
  type RetrainDispatch,
} from "../commands/monitor-alerts";
import {
  branchHistorySink,
  HISTORY_BRANCH,
  localHistorySink,
  type HistorySink,
} from "../commands/monitoring-history";
import type { ProfileProgress } from "../monitor/read/files";
import { authorizationEnv } from "../git/data-branch";
import { GitCli } from "../git/git";
import { DEFAULT_HISTORY_RETENTION, readLocalHistory } from "../monitor/history";
import { isUserError, UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { actionOctokit, actionReleasesStore } from "./github-env";
import { dataEnginePreparer } from "./native";
import {
  actionLogger,
  booleanInput,
  parseInputs,
  readRunnerEnvironment,
  runAction,
  type RunnerEnvironment,
} from "./runtime";

const RETRAIN_MODES = ["none", "workflow_dispatch", "repository_dispatch"] as const;

const inputShape = {
  model: z.string().optional(),
  token: z.string().min(1, "is required"),
  stage: z.string().default("production"),
  reference: z.string().optional(),
  current: z.string().optional(),
  labels: z.string().default("gitml,drift"),
  issue: booleanInput.default(true),
  retrain: z.enum(RETRAIN_MODES).default("none"),
  "retrain-workflow": z.string().optional(),
  "retrain-event": z.string().default("gitml-retrain"),
  ref: z.string().optional(),
  "working-directory": z.string().default("."),
  history: booleanInput.default(true),
  "history-retention": z.coerce.number().int().min(1).max(10_000).default(DEFAULT_HISTORY_RETENTION),
  "history-dir": z.string().optional(),
  "push-history": z.string().optional(),
};

interface MonitorActionOptions {
  model?: string;
  token: string;
  stage: string;
  reference?: string;
  current?: string;
  labels: string[];
  issue: boolean;
  /** How retraining is asked for while a model alerts; none when absent. */
  retrain?: RetrainDispatch;
  cwd: string;
  /** Records per model kept on the gitml-monitoring branch; undefined: no history is pushed. */
  historyRetention?: number;
  /** Write the run's records to this folder instead of pushing them (a later job pushes them). */
  historyDir?: string;
  /** Only push the records in this folder (written by runs with `history-dir`), then stop. */
  pushHistory?: string;
}

function readOptions(env: RunnerEnvironment): MonitorActionOptions {
  const inputs = parseInputs(inputShape);
  const labels = inputs.labels
    .split(/[,\n]/)
    .map((label) => label.trim())
    .filter((label) => label !== "");
  if (labels.length === 0)
    throw new UserError("input 'labels': give at least one label (default gitml,drift)");
  if (inputs.retrain === "workflow_dispatch" && !inputs["retrain-workflow"]) {
    throw new UserError(
      "input 'retrain-workflow' is required with retrain: workflow_dispatch (the workflow file name, e.g. retrain.yml)",
    );
  }
  return {
    model: inputs.model,
    token: inputs.token,
    stage: inputs.stage,
    reference: inputs.reference,
    current: inputs.current,
    labels,
    issue: inputs.issue,
    retrain:
      inputs.retrain === "workflow_dispatch"
        ? {
            kind: "workflow_dispatch",
            workflow: inputs["retrain-workflow"]!,
            // The branch or tag the dispatched workflow runs on.
            ref: inputs.ref ?? branchOf(env.ref) ?? defaultBranchOf(env.payload),
          }
        : inputs.retrain === "repository_dispatch"
          ? { kind: "repository_dispatch", event: inputs["retrain-event"] }
          : undefined,
    cwd: path.resolve(env.workspace, inputs["working-directory"]),
    historyRetention: inputs.history ? inputs["history-retention"] : undefined,
    historyDir:
      inputs.history && inputs["history-dir"]
        ? path.resolve(env.workspace, inputs["history-dir"])
        : undefined,
    pushHistory: inputs["push-history"] ? path.resolve(env.workspace, inputs["push-history"]) : undefined,
  };
}

/**
 * The run's records pushed to the history branch of `origin`, with the token sent by this process's git
 * alone (never written to the checkout's config, where the job's other steps could read it).
 */
function historyBranchSink(
  options: MonitorActionOptions,
  env: RunnerEnvironment,
  logger: Logger,
  pushed: { commit?: string },
): HistorySink {
  const sink = branchHistorySink({
    cwd: options.cwd,
    remote: "origin",
    retention: options.historyRetention,
    authEnv: authorizationEnv(env.serverUrl, options.token),
    runUrl: env.runUrl,
    logger,
    onPushed: (commit) => (pushed.commit = commit),
  });
  return {
    name: sink.name,
    save: (records) =>
      sink.save(records).catch((error: unknown) => {
        if (!isUserError(error)) throw error;
        // The remote answered no: most often the job's token may not write contents.
        const refused = /refused|could not fetch/.test(error.message);
        throw new UserError(
          refused
            ? `${error.message}. Keeping the monitoring history needs a token with \`contents: write\` (the monitor job's permissions) that may push to the branch ${HISTORY_BRANCH}; or set the input history: false`
            : `${error.message}; or set the input history: false`,
          { cause: error },
        );
      }),
  };
}

function branchOf(ref: string): string | undefined {
  if (!ref) return undefined;
  return ref.replace(/^refs\/(heads|tags)\//, "");
}

function defaultBranchOf(payload: Record<string, unknown>): string | undefined {
  const repository = payload.repository as { default_branch?: unknown } | undefined;
  return typeof repository?.default_branch === "string" ? repository.default_branch : undefined;
}

async function repositoryRoot(cwd: string): Promise<string> {
  try {
    return await new GitCli(cwd).topLevel();
  } catch {
    throw new UserError(
      "not inside a git repository: check out the repository first (actions/checkout with fetch-depth: 0, so the registry's tags are there)",
      { where: cwd },
    );
  }
}

/** ": 1,200,000 of ~3,000,000 rows profiled (40 %)", from the scans' progress; "" before any. */
function rowsSentence(progress: ProfileProgress | undefined): string {
  if (!progress) return "";
  const rows = (n: number) => Math.round(n).toLocaleString("en-US");
  if (progress.rowsTotal === undefined || progress.rowsTotal <= 0)
    return `: ${rows(progress.rowsDone)} rows profiled`;
  const share = Math.min(100, Math.floor((100 * progress.rowsDone) / progress.rowsTotal));
  return `: ${rows(progress.rowsDone)} of ~${rows(progress.rowsTotal)} rows profiled (${share} %)`;
}

/** Periodic "still working" lines, so a long profiling run shows life in the Actions log. */
function heartbeat(logger: Logger, what: () => string): () => void {
  const configured = Number(process.env.GITML_PROGRESS_INTERVAL_MS);
  const interval = Number.isFinite(configured) && configured > 0 ? configured : 30_000;
  const started = Date.now();
  const timer = setInterval(() => {
    logger.info(`… ${what()} (${Math.round((Date.now() - started) / 1000)} s so far)`);
  }, interval);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * `push-history`: the records monitoring jobs wrote with `history-dir` (downloaded into one folder), each
 * checked as any reader checks it (those jobs ran the model's commands: a file that is not a valid
 * record is left out, with a warning), pushed to the history branch in one commit.
 */
async function pushRecordsOnly(
  options: MonitorActionOptions,
  env: RunnerEnvironment,
  logger: Logger,
  folder: string,
): Promise<void> {
  const found = await readLocalHistory(folder, { logger });
  const records = [...found.models.values()].flat();
  const pushed: { commit?: string } = {};
  if (records.length === 0) logger.info(`monitoring history: no records in ${folder}, nothing to push`);
  else
    await historyBranchSink(
      { ...options, historyRetention: options.historyRetention ?? DEFAULT_HISTORY_RETENTION },
      env,
      logger,
      pushed,
    ).save(records);
  core.setOutput("history-commit", pushed.commit ?? "");
}

async function main(): Promise<void> {
  const env = readRunnerEnvironment();
  const options = readOptions(env);
  const logger = actionLogger;
  await repositoryRoot(options.cwd);
  if (options.pushHistory) return pushRecordsOnly(options, env, logger, options.pushHistory);
  const octokit = actionOctokit(options.token, env);
  const store = actionReleasesStore(octokit, options.token, env);
  const repository = { octokit, owner: env.owner, repo: env.repo, runUrl: env.runUrl, logger };
  const history: { commit?: string } = {};

  const step: { text: string; progress?: ProfileProgress; stop?: () => void } = { text: "" };
  const run = await monitorEach(
    { cwd: options.cwd, logger, store, prepareDataEngine: dataEnginePreparer(logger) },
    {
      model: options.model,
      reference: options.reference,
      current: options.current,
      stage: options.stage,
      unnamedComparison: false,
      inputNames: { reference: "the action's `reference` input", current: "the action's `current` input" },
      localAlert: false,
      alertSink: options.issue ? issueAlertSink({ ...repository, labels: options.labels }) : undefined,
      retrain: options.retrain && dispatchRetrainTrigger({ ...repository, dispatch: options.retrain }),
      history: options.historyDir
        ? localHistorySink(options.historyDir)
        : options.historyRetention !== undefined
          ? historyBranchSink(options, env, logger, history)
          : false,
      runUrl: env.runUrl,
      onProgress: (progress) => (step.progress = progress),
      observer: {
        modelStarted(model, index, count) {
          step.text = "comparing the data with the reference profile";
          step.progress = undefined;
          step.stop = heartbeat(logger, () => `${model}: ${step.text}${rowsSentence(step.progress)}`);
          core.startGroup(`[${index + 1}/${count}] ${model}`);
        },
        step: (_model, text) => (step.text = text),
        async judged(result) {
          step.progress = undefined;
          logger.info(
            `${result.model}: ${result.drift.schema_drift ? "SCHEMA DRIFT" : result.drift.dataset_drift ? "DRIFT" : "no drift"}, ${shareSentence(result)}`,
          );
          await core.summary.addRaw(result.markdown, true).write();
        },
        modelEnded() {
          step.stop?.();
          core.endGroup();
        },
      },
    },
  );

  setOutputs(run.results, options.issue);
  core.setOutput("history-commit", history.commit ?? "");
  if (run.results.length > 1) await writeOverview(run.results);
  if (run.failures.length > 0) throw combinedFailure(run.failures);
  if (run.historyFailure !== undefined) throw run.historyFailure;
}

/** Dataset drift or schema drift (performance decay alerts, but is not drift). */
const drifted = (result: ModelMonitorResult): boolean =>
  result.drift.dataset_drift || result.drift.schema_drift === true;

/** The alert issue of a result, when the action keeps issues (else null in the outputs). */
function issueOf(result: ModelMonitorResult, issues: boolean) {
  return issues ? result.alert : undefined;
}

function setOutputs(results: ModelMonitorResult[], issues: boolean): void {
  const driftedModels = results.filter(drifted).map((r) => r.model);
  core.setOutput("drift", String(driftedModels.length > 0));
  core.setOutput("models-drifted", JSON.stringify(driftedModels));
  core.setOutput("reports", JSON.stringify(Object.fromEntries(results.map((r) => [r.model, r.report]))));
  core.setOutput(
    "issues",
    JSON.stringify(
      Object.fromEntries(results.filter((r) => issueOf(r, issues)?.url).map((r) => [r.model, r.alert.url])),
    ),
  );
  const only = results.length === 1 ? results[0] : undefined;
  core.setOutput("report", only?.report ?? "");
  core.setOutput("issue-url", (only && issueOf(only, issues)?.url) ?? "");
  core.setOutput(
    "results",
    JSON.stringify(
      results.map((r) => {
        const issue = issueOf(r, issues);
        return {
          model: r.model,
          version: r.version ?? null,
          dataset_drift: r.drift.dataset_drift,
          schema_drift: r.drift.schema_drift === true,
          share_of_drifted_columns: r.drift.share_of_drifted_columns,
          report: r.report,
          issue: issue
            ? { action: issue.action, number: issue.number ?? null, url: issue.url ?? null }
            : null,
          retrain: r.retrain ?? null,
        };
      }),
    ),
  );
}

async function writeOverview(results: ModelMonitorResult[]): Promise<void> {
  await core.summary
    .addHeading("gitml monitor: overview", 3)
    .addTable([
      [
        { data: "Model", header: true },
        { data: "Version", header: true },
        { data: "Drift", header: true },
        { data: "Share drifted", header: true },
        { data: "Issue", header: true },
      ],
      ...results.map((r) => [
        r.model,
        r.version ?? "-",
        drifted(r) ? "🔴 drift" : "🟢 none",
        String(Number(r.drift.share_of_drifted_columns.toFixed(3))),
        r.alert.url ? `<a href="${r.alert.url}">#${r.alert.number}</a> (${r.alert.action})` : "-",
      ]),
    ])
    .write();
}

await runAction(main);
