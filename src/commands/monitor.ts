import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { modelConfig, type ModelConfig } from "../config";
import type { Metrics } from "../evaluate/metrics";
import { GitCli } from "../git/git";
import { readRegistry } from "../git/registry-sync";
import {
  detectDrift,
  profileData,
  profileDataInChunks,
  type DatasetProfile,
  type ProfileProgress,
} from "../monitor";
import { localAlertSink } from "../monitor/alert-file";
import type {
  AlertSink,
  AlertUpdate,
  MonitoredModel,
  RetrainOutcome,
  RetrainTrigger,
} from "../monitor/alerts";
import { DEFAULT_CHUNKS } from "../monitor/tests/thresholds";
import {
  assessPerformance,
  readLabelledData,
  unmeasuredPerformance,
  type PerformanceResult,
} from "../monitor/performance";
import { assertValidStage, isValidName } from "../registry";
import { renderDriftMarkdown } from "../report/drift";
import { isDigest } from "../store/digest";
import { failedMonitoringRecord, monitoringRecordOf, type MonitoringRecord } from "../monitor/history";
import { describeUserError, isUserError, UserError } from "../util/errors";
import { openProject, type CommandContext, type Project } from "./context";
import { predictionMetricsOptions } from "./model-outputs";
import { localHistoryDir, localHistorySink, type HistorySink } from "./monitoring-history";
import { readProfileFile } from "./profile";
import { runShellCommand } from "./train";

export interface MonitorOptions {
  /** A model with a `monitor` block; absent: every such model. */
  model?: string;
  /** Data or a profile.json; default: the reference profile stored with the version in `stage`. */
  reference?: string;
  /** Data (file or glob) or a profile.json; default: the model's `monitor.current`. */
  current?: string;
  /** The stage whose version is monitored (default production). */
  stage?: string;
  /** Folder for the reports; default `.gitml/reports/<model>`. */
  outDir?: string;
  /** Keep the local alert file (`.gitml/alerts/<model>.md`) in step with the verdict (default true). */
  localAlert?: boolean;
  /** Where each model's alert is kept instead of the local alert file (the action: a GitHub issue). */
  alertSink?: AlertSink;
  /** Asked to retrain a model while it alerts (the action: a workflow or repository dispatch). */
  retrain?: RetrainTrigger;
  /**
   * Where each model's run is recorded for later builds (the action: the `gitml-monitoring` branch).
   * Default: the project's `.gitml/monitoring/` folder; false records nothing (`--no-history`).
   */
  history?: HistorySink | false;
  /**
   * With both `reference` and `current` and no model, compare the two as an unnamed comparison (the
   * CLI; default). False: monitor every monitored model on them (the action, whose alerts are per model).
   */
  unnamedComparison?: boolean;
  /** How the edge names its inputs, in messages that say how to fix a run (default: the CLI's options). */
  inputNames?: { reference: string; current: string };
  runUrl?: string;
  /** Rows profiled so far (reference and current data together), for a progress display. */
  onProgress?: (progress: ProfileProgress) => void;
  /** Told as each model's run starts, moves on, is judged and ends (the action's log groups, summary). */
  observer?: MonitorObserver;
}

export interface MonitorObserver {
  modelStarted?(model: string, index: number, count: number): void;
  /** What the model's run does now, e.g. "updating the alert issue". */
  step?(model: string, text: string): void;
  /** The verdict, before the alert sink and the retrain trigger hear of it. */
  judged?(result: ModelMonitorResult): Promise<void> | void;
  /** After the model's run, whether it succeeded or failed. */
  modelEnded?(model: string): void;
}

export interface ModelMonitorResult extends MonitoredModel {
  /** Path of the markdown drift report. */
  report: string;
  alert: AlertUpdate;
  retrain?: RetrainOutcome;
  /** The column holding the model's predictions, when the data has it: its drift is the prediction drift. */
  predictionColumn?: string;
  /** Rows of the reference and of the current data compared. */
  rows?: { reference: number; current: number };
  /**
   * The monitored metric on the labelled current data against the version's registered value; absent
   * when the current data has no labels (or no predictions) or is a profile.
   */
  performance?: PerformanceResult;
}

export interface ModelFailure {
  model: string;
  error: unknown;
}

export interface MonitorRun {
  results: ModelMonitorResult[];
  /** Models that could not be monitored: one model's failure does not stop the others. */
  failures: ModelFailure[];
  /** The records kept in the monitoring history (one per named model, failed runs included). */
  records: MonitoringRecord[];
  /** Why the records could not be kept, when they could not (after every model was monitored). */
  historyFailure?: unknown;
}

/**
 * Compares the production version's reference profile with recent data, per model, reports drift, and
 * keeps each model's alert in step; throws when a model could not be monitored (see `combinedFailure`),
 * after the others were.
 */
export async function monitor(
  context: CommandContext,
  options: MonitorOptions = {},
): Promise<ModelMonitorResult[]> {
  const run = await monitorEach(context, options);
  if (run.failures.length > 0) throw combinedFailure(run.failures);
  if (run.historyFailure !== undefined) throw run.historyFailure;
  return run.results;
}

/** `monitor` that returns the models it could not monitor beside those it did (for edges that report both). */
export async function monitorEach(
  context: CommandContext,
  options: MonitorOptions = {},
): Promise<MonitorRun> {
  const stage = options.stage ?? "production";
  assertValidStage(stage);
  // Given both sides, monitor compares them anywhere, as `gitml profile` profiles anywhere: a project
  // (repository, gitml.yaml, registry) is used when there is one, for a named model's settings.
  const comparison = options.reference !== undefined && options.current !== undefined;
  const project =
    comparison && !(await insideGitRepository(context.cwd))
      ? undefined
      : await openProject({ ...context, push: true });
  const unnamed = comparison && !options.model && options.unnamedComparison !== false;
  const names = unnamed ? [undefined] : modelsToMonitor(project, options);
  if (!(isProfileFile(options.reference ?? "") && isProfileFile(options.current ?? "")))
    await context.prepareDataEngine?.();
  const run: MonitorRun = { results: [], failures: [], records: [] };
  const alertSink =
    options.alertSink ??
    (options.localAlert === false
      ? undefined
      : localAlertSink(path.join(project?.root ?? context.cwd, ".gitml", "alerts")));
  const { observer } = options;
  for (const [index, named] of names.entries()) {
    const name = named ?? comparisonName(options);
    observer?.modelStarted?.(name, index, names.length);
    // What is known when a later step fails: the verdict, and whether the alert was brought in step.
    let judged: ModelMonitorResult | undefined;
    let alertKnown = !alertSink;
    try {
      const result = await monitorModel(project, context, named, stage, options);
      judged = result;
      await observer?.judged?.(result);
      // An unnamed comparison has no model to keep an alert for.
      if (alertSink && named) {
        observer?.step?.(name, `updating the ${alertSink.name}`);
        result.alert = await alertSink.update(result);
      }
      alertKnown = true;
      if (result.alerting && options.retrain && named) {
        observer?.step?.(name, "dispatching retraining");
        const retrain = await options.retrain.trigger(result, result.alert);
        if (retrain) result.retrain = retrain;
      }
      run.results.push(result);
      if (recordable(named)) run.records.push(monitoringRecordOf(result, { runUrl: options.runUrl }));
    } catch (error) {
      // One model's problem must not hide the others' drift: report it and go on.
      run.failures.push({ model: name, error });
      if (recordable(named)) {
        const reason = failureText(error);
        run.records.push(
          judged
            ? monitoringRecordOf(judged, { runUrl: options.runUrl, error: reason, alertKnown })
            : failedMonitoringRecord({ model: named, stage, error: reason, runUrl: options.runUrl }),
        );
      }
      if (names.length > 1)
        context.logger.error(`${name}: ${isUserError(error) ? describeUserError(error) : String(error)}`);
    } finally {
      observer?.modelEnded?.(name);
    }
  }
  const history =
    options.history ??
    (project && run.records.length > 0 ? localHistorySink(localHistoryDir(project.root)) : undefined);
  if (history && run.records.length > 0) {
    try {
      await history.save(run.records);
    } catch (error) {
      // The verdicts and alerts stand: the caller reports that the history could not be kept.
      run.historyFailure = error;
    }
  }
  return run;
}

/**
 * Whether a run is recorded in the history: a model's (not an unnamed comparison's), with a name the
 * registry accepts (a name given on the command line without a gitml.yaml may be anything).
 */
function recordable(named: string | undefined): named is string {
  return named !== undefined && isValidName(named, false);
}

/** What a failed run's record says: the user error as the user sees it, else the error's message. */
function failureText(error: unknown): string {
  if (isUserError(error)) return describeUserError(error);
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The models to monitor: the one named, else every model with a `monitor` block; checked before any is read. */
function modelsToMonitor(project: Project | undefined, options: MonitorOptions): string[] {
  const config = project?.config;
  const inputs = options.inputNames ?? { reference: "--reference", current: "--current" };
  const names = options.model
    ? [options.model]
    : Object.entries(config?.config.models ?? {})
        .filter(([, model]) => model.monitor)
        .map(([name]) => name);
  if (names.length === 0) {
    throw new UserError(
      config
        ? `no model in ${path.basename(config.file)} has a monitor block: add one (monitor: { current: <data file or glob> }), say which model, or compare two data sets with ${inputs.reference} and ${inputs.current}`
        : `no gitml.yaml here: say which model, or compare two data sets with ${inputs.reference} and ${inputs.current}`,
      { where: config?.file },
    );
  }
  // A misnamed or unmonitored model fails before any download or profiling.
  if (config)
    for (const name of names)
      if (!modelConfig(config, name).monitor && options.current === undefined)
        throw new UserError(
          `${name} has no monitor block in ${path.basename(config.file)}: add one (monitor: { current: <data file or glob> }) or give ${inputs.current}`,
          { where: config.file },
        );
  return names;
}

/** A single failure as it is; several user errors as one (exit 2); otherwise the first other failure wins (exitCodeOf decides its code). */
export function combinedFailure(failures: ModelFailure[]): unknown {
  if (failures.length === 1) return failures[0]!.error;
  const bug = failures.find((f) => !isUserError(f.error));
  if (bug) return bug.error;
  return new UserError(
    `${failures.length} models could not be monitored:\n${failures
      .map((f) => `- ${f.model}: ${describeUserError(f.error as UserError)}`)
      .join("\n")}`,
  );
}

function insideGitRepository(cwd: string): Promise<boolean> {
  return new GitCli(cwd).topLevel().then(
    () => true,
    () => false,
  );
}

/** The name a comparison without a model goes by: its two sides. */
function comparisonName(options: MonitorOptions): string {
  return `${path.basename(options.current!)} vs ${path.basename(options.reference!)}`;
}

/**
 * One model's monitoring run. Without a project (outside a repository) or a model name, `--reference`
 * and `--current` are compared with the default settings, and no local alert is kept for an unnamed
 * comparison (there is no model to keep it for).
 */
async function monitorModel(
  project: Project | undefined,
  context: CommandContext,
  named: string | undefined,
  stage: string,
  options: MonitorOptions,
): Promise<ModelMonitorResult> {
  const name = named ?? comparisonName(options);
  const model = project?.config && named ? modelConfig(project.config, named) : undefined;
  const thresholds = model?.monitor?.thresholds ?? "fixed";
  // Data-driven thresholds need the reference in chunks: reference data is then read once per chunk.
  const chunks = thresholds === "data" ? (model?.monitor?.chunks ?? DEFAULT_CHUNKS) : undefined;
  // Reference and current are profiled at the same time: each scan leaves cores idle while it waits
  // on the other engine (DuckDB parsing, JavaScript counting), so together they finish sooner.
  const progress = progressOfSides(options.onProgress);
  // A stored reference is fetched first (no profiling): the current data is not read for nothing.
  const stored = options.reference ? undefined : await storedReference(project!, name, stage);
  const [referenceSettled, currentSettled] = await Promise.allSettled([
    (async (): Promise<{ profile: DatasetProfile; version?: string; metrics?: Metrics }> =>
      stored ?? {
        profile: await profileOf(context.cwd, options.reference!, context, chunks, progress.reference),
      })(),
    (async () => {
      const source = options.current ?? (await currentData(project!, name, model, context));
      return {
        currentSource: source,
        current: await profileOf(context.cwd, source, context, undefined, progress.current),
      };
    })(),
  ]);
  // Both settle before either error is thrown, the reference's first, as when they ran one by one.
  if (referenceSettled.status === "rejected") throw referenceSettled.reason;
  if (currentSettled.status === "rejected") throw currentSettled.reason;
  const reference = referenceSettled.value;
  const { currentSource, current } = currentSettled.value;
  if (thresholds === "data" && !reference.profile.chunks)
    context.logger.warning(
      `${name}: monitor.thresholds is data but the reference profile has no chunk statistics (make it with gitml profile --chunks k): fixed thresholds are used`,
    );
  const drift = detectDrift({
    reference: reference.profile,
    current,
    options: { driftShare: model?.monitor?.drift_share, thresholds },
  });
  const predictionName = model?.monitor?.prediction ?? "y_pred";
  const predictionColumn = drift.columns.some((c) => c.name === predictionName) ? predictionName : undefined;
  const performance = await performanceOf(
    context,
    name,
    model,
    currentSource,
    reference.metrics || reference.version || !project || !named
      ? reference
      : await registeredMetrics(project, named, stage),
  );
  const markdown = renderDriftMarkdown(drift, {
    model: name,
    version: reference.version,
    stage: reference.version ? stage : undefined,
    referenceRows: reference.profile.rows,
    currentRows: current.rows,
    runUrl: options.runUrl,
    predictionColumn,
    performance,
  });
  const root = project?.root ?? context.cwd;
  const outDir = path.resolve(
    root,
    options.outDir ?? path.join(".gitml", "reports", named ? named.replace(/[/:]/g, "-") : "comparison"),
  );
  await fs.mkdir(outDir, { recursive: true });
  const report = path.join(outDir, "drift.md");
  await fs.writeFile(report, markdown);
  await fs.writeFile(path.join(outDir, "drift.json"), `${JSON.stringify(drift, null, 2)}\n`);
  const alerting = drift.dataset_drift || drift.schema_drift === true || performance?.decayed === true;
  return {
    model: name,
    version: reference.version,
    stage,
    drift,
    report,
    markdown,
    alert: { action: "none" },
    alerting,
    rows: { reference: reference.profile.rows, current: current.rows },
    owners: model?.owners ?? [],
    ...(predictionColumn ? { predictionColumn } : {}),
    ...(performance ? { performance } : {}),
  };
}

/** The monitored metric on the current data, when it holds labels and predictions (not for a profile). */
async function performanceOf(
  context: CommandContext,
  name: string,
  model: ModelConfig | undefined,
  currentSource: string,
  reference: { version?: string; metrics?: Metrics },
): Promise<PerformanceResult | undefined> {
  const file = path.resolve(context.cwd, currentSource);
  if (isProfileFile(file)) return undefined;
  const monitorConfig = model?.monitor;
  const metric = monitorConfig?.performance?.metric;
  const tolerance = monitorConfig?.performance?.tolerance;
  try {
    const table = await readLabelledData({
      path: file,
      columns: {
        label: monitorConfig?.label,
        prediction: monitorConfig?.prediction,
        score: monitorConfig?.score,
      },
      logger: context.logger,
    });
    if (!table || table.rows === 0) return undefined;
    return assessPerformance({
      current: table,
      referenceMetrics: reference.metrics,
      metric,
      tolerance,
      predictions: model ? predictionMetricsOptions(model) : undefined,
      referenceName: reference.version ? `${name}@${reference.version}` : undefined,
    });
  } catch (error) {
    // Bad labels must not cost the drift report: performance says why it has no verdict.
    if (!(error instanceof UserError)) throw error;
    const reason = describeUserError(error);
    context.logger.warning(`${name}: performance could not be measured: ${reason}`);
    return unmeasuredPerformance({ metric, tolerance, reason });
  }
}

/** With `--reference`, performance still compares with the metrics of the version in the stage, if any. */
async function registeredMetrics(
  project: Project,
  name: string,
  stage: string,
): Promise<{ version?: string; metrics?: Metrics }> {
  const model = (await readRegistry(project.repo)).models.get(name);
  const holder = model?.stages[stage];
  const version = holder && model.versions.find((v) => v.version === holder.version);
  return version ? { version: version.version, metrics: version.metadata?.metrics } : {};
}

function isProfileFile(file: string): boolean {
  return file.endsWith(".json") && !file.endsWith(".jsonl");
}

/** A profile.json is read as it is; anything else is data to profile (in chunks when `chunks` is set). */
async function profileOf(
  cwd: string,
  source: string,
  context: CommandContext,
  chunks?: number,
  onProgress?: (progress: ProfileProgress) => void,
): Promise<DatasetProfile> {
  const file = path.resolve(cwd, source);
  if (isProfileFile(file)) return readProfileFile(file);
  if (chunks !== undefined)
    return profileDataInChunks({ paths: [file], logger: context.logger, chunks, onProgress });
  return profileData({ paths: [file], logger: context.logger, onProgress });
}

/**
 * One progress callback fed by the reference and the current scans running together: rows done add
 * up, and the total is known once both scans have given theirs.
 */
function progressOfSides(onProgress: ((progress: ProfileProgress) => void) | undefined): {
  reference?: (progress: ProfileProgress) => void;
  current?: (progress: ProfileProgress) => void;
} {
  if (!onProgress) return {};
  const sides: Record<"reference" | "current", ProfileProgress | undefined> = {
    reference: undefined,
    current: undefined,
  };
  const report = (side: "reference" | "current") => (progress: ProfileProgress) => {
    sides[side] = progress;
    const known = [sides.reference, sides.current].filter((p): p is ProfileProgress => p !== undefined);
    const totals = known.map((p) => p.rowsTotal);
    onProgress({
      rowsDone: known.reduce((sum, p) => sum + p.rowsDone, 0),
      rowsTotal:
        known.length === 2 && totals.every((t) => t !== undefined)
          ? totals.reduce((sum, t) => sum! + t!, 0)
          : undefined,
      file: progress.file,
    });
  };
  return { reference: report("reference"), current: report("current") };
}

async function storedReference(
  project: Project,
  name: string,
  stage: string,
): Promise<{ profile: DatasetProfile; version: string; metrics?: Metrics }> {
  const state = await readRegistry(project.repo);
  const holder = state.models.get(name)?.stages[stage];
  if (!holder)
    throw new UserError(
      `no version of ${name} is in '${stage}': nothing to monitor yet (or pass --reference)`,
    );
  const version = state.models.get(name)!.versions.find((v) => v.version === holder.version);
  const digest = version?.metadata?.artifactDigest;
  if (!version || !digest || !isDigest(digest)) {
    throw new UserError(
      `${name}@${holder.version} was registered without artifacts, so it has no reference profile (pass --reference)`,
    );
  }
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-reference-"));
  try {
    const fetched = await project.store.fetch({
      model: name,
      version: version.version,
      digest,
      into: scratch,
      roles: ["profile"],
    });
    const file = fetched.manifest.files.find((f) => f.role === "profile");
    if (!file) {
      throw new UserError(
        `${name}@${version.version} has no reference profile: declare outputs.reference in gitml.yaml so registration profiles it (or pass --reference)`,
      );
    }
    return {
      profile: await readProfileFile(path.join(scratch, ...file.path.split("/"))),
      version: version.version,
      // Registration keeps the version's metrics (computed from predictions too) in its tag.
      metrics: version.metadata?.metrics,
    };
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** The model's `monitor.current` data, after running its `current_command` (also `gitml profile --model`). */
export async function currentData(
  project: Pick<Project, "root" | "config">,
  name: string,
  model: ModelConfig | undefined,
  context: CommandContext,
): Promise<string> {
  const monitorConfig = model?.monitor;
  if (!model || !monitorConfig) {
    throw new UserError(`${name} has no monitor block in gitml.yaml: pass --current <data>`, {
      where: project.config?.file,
    });
  }
  const modelDir = path.resolve(project.root, model.path);
  if (monitorConfig.current_command) {
    await runShellCommand({
      command: monitorConfig.current_command,
      cwd: modelDir,
      what: `models.${name}.monitor.current_command`,
      logger: context.logger,
    });
  }
  return path.resolve(modelDir, monitorConfig.current);
}
