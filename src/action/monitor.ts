/**
 * actions/monitor: on a schedule, compares each monitored model's production reference profile (from the
 * GitHub Releases store) with recent data via `monitor()` (the same command as `gitml monitor`), then per
 * model: the drift report in the job summary, one alert issue kept in step with the verdict (opened on
 * drift, a comment per run while it lasts, closed when the data recovers), and optionally a retraining
 * dispatch. Drift is a finding, not a failure: the step succeeds and says so in its outputs.
 */
import * as core from "@actions/core";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { z } from "zod";
import { monitor, type ModelMonitorResult } from "../commands/monitor";
import type { ProfileProgress } from "../monitor/read/files";
import { loadConfig, modelConfig, type LoadedConfig } from "../config";
import { rethrowPermission, upsertAlertIssue, type AlertIssueResult, type GitHubClient } from "../github";
import { fitToCommentLimit } from "../report";
import { describeUserError, isUserError, UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { actionOctokit, actionReleasesStore } from "./github-env";
import { ensureDuckDb } from "./native";
import {
  actionLogger,
  booleanInput,
  parseInputs,
  readRunnerEnvironment,
  runAction,
  type RunnerEnvironment,
} from "./runtime";

const RETRAIN_MODES = ["none", "workflow_dispatch", "repository_dispatch"] as const;
type RetrainMode = (typeof RETRAIN_MODES)[number];

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
};

interface MonitorActionOptions {
  model?: string;
  token: string;
  stage: string;
  reference?: string;
  current?: string;
  labels: string[];
  issue: boolean;
  retrain: RetrainMode;
  retrainWorkflow?: string;
  retrainEvent: string;
  /** The branch or tag a dispatched workflow runs on. */
  ref?: string;
  cwd: string;
}

/** Issue bodies and comments must fit GitHub's 65,536 characters, with room for the marker and preamble. */
const ISSUE_TEXT_LIMIT = 60_000;
const SUMMARY_POINTER =
  "_Shortened to fit GitHub's limit: the full report is in the workflow run's job summary._";

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
    retrain: inputs.retrain,
    retrainWorkflow: inputs["retrain-workflow"],
    retrainEvent: inputs["retrain-event"],
    ref: inputs.ref ?? branchOf(env.ref) ?? defaultBranchOf(env.payload),
    cwd: path.resolve(env.workspace, inputs["working-directory"]),
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
    const { stdout } = await promisify(execFile)("git", ["rev-parse", "--show-toplevel"], { cwd });
    return stdout.trim();
  } catch {
    throw new UserError(
      "not inside a git repository: check out the repository first (actions/checkout with fetch-depth: 0, so the registry's tags are there)",
      { where: cwd },
    );
  }
}

/** The models to monitor: the one named, else every model with a `monitor` block. */
function modelsToMonitor(config: LoadedConfig | undefined, named: string | undefined): string[] {
  if (named) return [named];
  const names = Object.entries(config?.config.models ?? {})
    .filter(([, model]) => model.monitor)
    .map(([name]) => name);
  if (names.length > 0) return names;
  throw new UserError(
    config
      ? `no model in ${path.basename(config.file)} has a monitor block: add one (monitor: { current: ... }) or set the model, reference and current inputs`
      : "no gitml.yaml in the working directory: set the model, reference and current inputs (or working-directory)",
    { where: config?.file },
  );
}

/** Checked before any download, so a misnamed or unmonitored model fails fast with the action's words. */
function assertMonitorable(
  config: LoadedConfig | undefined,
  model: string,
  options: MonitorActionOptions,
): void {
  if (!config) return;
  const configured = modelConfig(config, model);
  if (!configured.monitor && !options.current) {
    throw new UserError(
      `${model} has no monitor block in ${path.basename(config.file)}: add one (monitor: { current: <data file or glob> }) or set the action's \`current\` input`,
      { where: config.file },
    );
  }
}

/** `@handle` for GitHub handles and teams; anything else (an e-mail, a name) as written. */
function mention(owner: string): string {
  const trimmed = owner.trim();
  if (/^@?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\/[A-Za-z0-9._-]+)?$/.test(trimmed))
    return trimmed.startsWith("@") ? trimmed : `@${trimmed}`;
  return trimmed;
}

function subject(result: ModelMonitorResult): string {
  return `\`${result.model}\`${result.version ? ` ${result.version} (${result.stage})` : ""}`;
}

function shareSentence(result: ModelMonitorResult): string {
  const d = result.drift;
  const share = Number(d.share_of_drifted_columns.toFixed(3));
  const shares = `${d.number_of_drifted_columns} of ${d.number_of_columns} columns drifted (share ${share} ${d.dataset_drift ? "≥" : "<"} ${d.drift_share})`;
  return d.schema_drift
    ? `schema drift: ${d.schema_drift_reason ?? "the columns differ"}; ${shares}`
    : shares;
}

function runLink(runUrl: string): string {
  return `[workflow run](${runUrl})`;
}

interface AlertTexts {
  title: string;
  body: string;
  comment: string;
  recoveryComment: string;
}

function finding(result: ModelMonitorResult): string {
  const found = [
    ...(result.drift.schema_drift ? ["Schema drift"] : []),
    ...(result.drift.dataset_drift ? ["Data drift"] : []),
    ...(result.performance?.decayed === true ? ["Performance decay"] : []),
  ];
  if (found.length === 0) return "Data drift";
  return found.map((f, i) => (i === 0 ? f : f.toLowerCase())).join(" and ");
}

function alertTexts(result: ModelMonitorResult, owners: string[], runUrl: string): AlertTexts {
  const report = fitToCommentLimit(result.markdown, {
    limit: ISSUE_TEXT_LIMIT,
    fullReportPointer: SUMMARY_POINTER,
  });
  const cc = owners.length > 0 ? `\n\ncc ${owners.map(mention).join(" ")}` : "";
  return {
    title: `${finding(result)}: ${result.model}${result.version ? `@${result.version}` : ""}`,
    body: [
      `**gitml found ${finding(result).toLowerCase()}** in ${subject(result)}: ${shareSentence(result)}. ${runLink(runUrl)}${cc}`,
      "",
      "_This issue stays open while the drift lasts: each monitoring run adds one comment, and gitml closes it when the data recovers._",
      "",
      report,
    ].join("\n"),
    comment: [
      `**Drift persists** in ${subject(result)}: ${shareSentence(result)}. ${runLink(runUrl)}`,
      "",
      "<details><summary>Drift report</summary>",
      "",
      report,
      "</details>",
    ].join("\n"),
    recoveryComment: `✅ **Recovered**: ${subject(result)} no longer shows dataset or schema drift: ${shareSentence(result)}. Closing. ${runLink(runUrl)}`,
  };
}

interface DispatchOutcome {
  kind: Exclude<RetrainMode, "none">;
  target: string;
}

async function dispatchRetraining(options: {
  octokit: GitHubClient;
  env: RunnerEnvironment;
  action: MonitorActionOptions;
  result: ModelMonitorResult;
  issueUrl?: string;
  logger: Logger;
}): Promise<DispatchOutcome | undefined> {
  const { octokit, env, action, result, logger } = options;
  const where = { owner: env.owner, repo: env.repo };
  const version = result.version ?? "";
  if (action.retrain === "workflow_dispatch") {
    const workflow = action.retrainWorkflow!;
    if (!action.ref)
      throw new UserError("input 'ref': which branch should the retraining workflow run on? (e.g. main)");
    try {
      // workflow_dispatch refuses inputs the workflow does not declare: only the two that gitml's retrain
      // workflow (reusable-workflows/retrain.yml) and its callers declare.
      await octokit.rest.actions.createWorkflowDispatch({
        ...where,
        workflow_id: workflow,
        ref: action.ref,
        inputs: {
          model: result.model,
          reason: `data drift on ${result.model}${version ? `@${version}` : ""}`,
        },
      });
    } catch (error) {
      rethrowPermission(error, `dispatch the workflow ${workflow} on ${action.ref}`, "actions: write");
    }
    logger.info(
      `${result.model}: dispatched ${workflow} on ${action.ref} to retrain (version ${version || "-"})`,
    );
    return { kind: "workflow_dispatch", target: workflow };
  }
  if (action.retrain === "repository_dispatch") {
    const drifted = result.drift.columns.filter((c) => c.drift).map((c) => c.name);
    try {
      await octokit.rest.repos.createDispatchEvent({
        ...where,
        event_type: action.retrainEvent,
        client_payload: {
          model: result.model,
          version,
          stage: result.stage,
          share_of_drifted_columns: result.drift.share_of_drifted_columns,
          drifted_columns: drifted.slice(0, 100),
          issue_url: options.issueUrl ?? "",
          run_url: env.runUrl,
        },
      });
    } catch (error) {
      rethrowPermission(
        error,
        `send the repository_dispatch event ${action.retrainEvent}`,
        "contents: write",
      );
    }
    logger.info(`${result.model}: sent repository_dispatch '${action.retrainEvent}' to retrain`);
    return { kind: "repository_dispatch", target: action.retrainEvent };
  }
  return undefined;
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

interface ModelOutcome {
  model: string;
  version?: string;
  /** Dataset drift or schema drift. */
  drift: boolean;
  datasetDrift: boolean;
  schemaDrift: boolean;
  shareOfDriftedColumns: number;
  report: string;
  issue?: AlertIssueResult;
  retrain?: DispatchOutcome;
}

function isProfile(source: string | undefined): boolean {
  return source !== undefined && source.endsWith(".json");
}

async function main(): Promise<void> {
  const env = readRunnerEnvironment();
  const options = readOptions(env);
  const logger = actionLogger;
  const root = await repositoryRoot(options.cwd);
  const config = await loadConfig({ cwd: root });
  const models = modelsToMonitor(config, options.model);
  for (const model of models) assertMonitorable(config, model, options);

  const octokit = actionOctokit(options.token, env);
  const store = actionReleasesStore(octokit, options.token, env);
  if (!(isProfile(options.reference) && isProfile(options.current))) await ensureDuckDb({ logger });

  const outcomes: ModelOutcome[] = [];
  const failures: Array<{ model: string; error: unknown }> = [];
  for (const [index, model] of models.entries()) {
    const step: { text: string; progress?: ProfileProgress } = {
      text: "comparing the data with the reference profile",
    };
    const stop = heartbeat(logger, () => `${model}: ${step.text}${rowsSentence(step.progress)}`);
    core.startGroup(`[${index + 1}/${models.length}] ${model}`);
    try {
      const [result] = await monitor(
        { cwd: options.cwd, logger, store },
        {
          model,
          reference: options.reference,
          current: options.current,
          stage: options.stage,
          localAlert: false,
          runUrl: env.runUrl,
          onProgress: (progress) => (step.progress = progress),
        },
      );
      if (!result) throw new Error(`monitor() returned no result for ${model}`);
      step.progress = undefined;
      logger.info(
        `${model}: ${result.drift.schema_drift ? "SCHEMA DRIFT" : result.drift.dataset_drift ? "DRIFT" : "no drift"}, ${shareSentence(result)}`,
      );
      await core.summary.addRaw(result.markdown, true).write();

      // Decaying performance (labels arrived and the metric fell beyond its tolerance) alerts like drift.
      // Schema drift (the columns are not the reference's) and decaying performance alert like drift.
      const { alerting } = result;
      const outcome: ModelOutcome = {
        model,
        version: result.version,
        drift: result.drift.dataset_drift || result.drift.schema_drift === true,
        datasetDrift: result.drift.dataset_drift,
        schemaDrift: result.drift.schema_drift === true,
        shareOfDriftedColumns: result.drift.share_of_drifted_columns,
        report: result.report,
      };
      if (options.issue) {
        step.text = "updating the alert issue";
        const owners = config ? (modelConfig(config, model).owners ?? []) : [];
        const texts = alertTexts(result, owners, env.runUrl);
        outcome.issue = await upsertAlertIssue({
          octokit,
          owner: env.owner,
          repo: env.repo,
          model,
          alerting,
          ...texts,
          labels: options.labels,
          logger,
        });
        if (outcome.issue.action !== "none")
          logger.info(`${model}: alert issue ${outcome.issue.action} ${outcome.issue.url ?? ""}`);
      }
      if (alerting && options.retrain !== "none") {
        step.text = "dispatching retraining";
        outcome.retrain = await dispatchRetraining({
          octokit,
          env,
          action: options,
          result,
          issueUrl: outcome.issue?.url,
          logger,
        });
      }
      outcomes.push(outcome);
    } catch (error) {
      // One model's problem must not hide the others' drift: report it and go on.
      failures.push({ model, error });
      core.error(`${model}: ${isUserError(error) ? describeUserError(error) : String(error)}`);
    } finally {
      stop();
      core.endGroup();
    }
  }

  setOutputs(outcomes);
  if (outcomes.length > 1) await writeOverview(outcomes);
  if (failures.length > 0) throw combinedFailure(failures);
}

function setOutputs(outcomes: ModelOutcome[]): void {
  const drifted = outcomes.filter((o) => o.drift).map((o) => o.model);
  core.setOutput("drift", String(drifted.length > 0));
  core.setOutput("models-drifted", JSON.stringify(drifted));
  core.setOutput("reports", JSON.stringify(Object.fromEntries(outcomes.map((o) => [o.model, o.report]))));
  core.setOutput(
    "issues",
    JSON.stringify(
      Object.fromEntries(outcomes.filter((o) => o.issue?.url).map((o) => [o.model, o.issue!.url])),
    ),
  );
  const only = outcomes.length === 1 ? outcomes[0] : undefined;
  core.setOutput("report", only?.report ?? "");
  core.setOutput("issue-url", only?.issue?.url ?? "");
  core.setOutput(
    "results",
    JSON.stringify(
      outcomes.map((o) => ({
        model: o.model,
        version: o.version ?? null,
        dataset_drift: o.datasetDrift,
        schema_drift: o.schemaDrift,
        share_of_drifted_columns: o.shareOfDriftedColumns,
        report: o.report,
        issue: o.issue
          ? { action: o.issue.action, number: o.issue.issueNumber ?? null, url: o.issue.url ?? null }
          : null,
        retrain: o.retrain ?? null,
      })),
    ),
  );
}

async function writeOverview(outcomes: ModelOutcome[]): Promise<void> {
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
      ...outcomes.map((o) => [
        o.model,
        o.version ?? "-",
        o.drift ? "🔴 drift" : "🟢 none",
        String(Number(o.shareOfDriftedColumns.toFixed(3))),
        o.issue?.url ? `<a href="${o.issue.url}">#${o.issue.issueNumber}</a> (${o.issue.action})` : "-",
      ]),
    ])
    .write();
}

/** A single failure as it is; several user errors as one (exit 2); any bug wins (exit 1). */
function combinedFailure(failures: Array<{ model: string; error: unknown }>): unknown {
  if (failures.length === 1) return failures[0]!.error;
  const bug = failures.find((f) => !isUserError(f.error));
  if (bug) return bug.error;
  return new UserError(
    `${failures.length} models could not be monitored:\n${failures
      .map((f) => `- ${f.model}: ${describeUserError(f.error as UserError)}`)
      .join("\n")}`,
  );
}

await runAction(main);
