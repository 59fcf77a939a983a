import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { modelConfig, type ModelConfig } from "../config";
import { readMetrics, readParams, type Metrics, type Params } from "../evaluate/metrics";
import type { PredictionMetricsResult } from "../evaluate/predictions";
import { readRegistry } from "../git/registry-sync";
import { ALL_METRICS_FILE } from "../registry/message";
import { assertValidName } from "../registry";
import type { ModelState, VersionState } from "../registry/types";
import {
  buildEvaluationReport,
  fitToCommentLimit,
  renderHtml,
  renderMarkdown,
  verdictOf,
  type EvaluationReport,
} from "../report";
import { digestFiles, isDigest, type Digest } from "../store/digest";
import { resolveSuite, type ResolvedSuite } from "../suites/load";
import { runSuite, suiteReadsData } from "../suites/run";
import type { CheckResult, SliceTable, SuiteResult, SuiteSource } from "../suites/types";
import type { ArtifactInput, ArtifactStore } from "../store/types";
import { UserError } from "../util/errors";
import { openProject, type CommandContext } from "./context";
import { predictionMetricsOptions, readModelOutputs } from "./model-outputs";
import { pickBaseline } from "./resolve";
import { runTrainCommand } from "./train";

export interface EvaluateOptions {
  model: string;
  /** Run the model's `train` command first. */
  train?: boolean;
  /** Folder for report.md and report.html; default `.gitml/reports/<model>` in the repository. */
  outDir?: string;
  /** Identifies the sticky comment: default the model name (a workflow adds its own name). */
  marker?: string;
  /** A label for the candidate in the report, e.g. `PR #42 @ abc1234`. */
  candidateLabel?: string;
  runUrl?: string;
  /** Versions shown in the trend chart. */
  trendLength?: number;
}

export interface EvaluateResult {
  model: string;
  verdict: "pass" | "fail";
  /** True when gates failed but the model's `on_gate_failure` is `warn`. */
  warnOnly: boolean;
  baseline: string | null;
  baselineStage: string | null;
  metrics: Array<{ name: string; candidate: number | null; baseline: number | null; delta: number | null }>;
  gates: Array<{ metric: string; rule: string; passed: boolean; detail: string }>;
  /** The suite's checks (expectations, slices, fairness, train/test), each with the suite it came from. */
  checks: CheckResult[];
  /** Per-slice metrics of each slice column. */
  slices: SliceTable[];
  /** The suite files the checks came from (a remote one with the commit its ref resolved to). */
  suites: SuiteSource[];
  /** The candidate's artifacts as one digest: what the merge must ship byte for byte. */
  candidateDigest: Digest;
  /** The candidate's files (declared outputs and the reference profile), for uploading it. */
  candidateFiles: ArtifactInput[];
  dataFingerprint?: string;
  /**
   * What was computed from `outputs.predictions`: the task, the confusion matrix (kept out of `metrics`)
   * and the metrics left out with the reason. The computed metrics themselves are in `metrics`.
   */
  predictions?: Omit<PredictionMetricsResult, "metrics">;
  report: string;
  html: string;
  /** The markdown, already fitted to GitHub's comment limit. */
  markdown: string;
  evaluation: EvaluationReport;
}

/**
 * Compares a candidate model (its declared outputs in the working tree) with the version in the model's
 * `compare_to` stage (else its latest version) and writes the PR report.
 */
export async function evaluate(context: CommandContext, options: EvaluateOptions): Promise<EvaluateResult> {
  assertValidName(options.model);
  const project = await openProject({ ...context, push: true });
  if (!project.config) {
    throw new UserError(
      `evaluate needs a gitml.yaml in ${project.root} that declares ${options.model}'s outputs (gitml init writes one)`,
    );
  }
  const model = modelConfig(project.config, options.model);
  // Resolved before training so that a broken shared suite is reported before a long training run.
  const suite: ResolvedSuite | undefined = model.suite
    ? await resolveSuite({
        root: project.root,
        configFile: project.config.file,
        suite: model.suite,
        model: options.model,
        logger: context.logger,
      })
    : undefined;
  if (options.train)
    await runTrainCommand({ root: project.root, name: options.model, model, logger: context.logger });
  if (!model.outputs.metrics && !model.outputs.predictions) {
    throw new UserError(
      `models.${options.model} declares neither outputs.metrics nor outputs.predictions: evaluate has nothing to compare`,
      {
        where: project.config.file,
      },
    );
  }
  const modelDir = path.resolve(project.root, model.path);
  const outDir = path.resolve(
    project.root,
    options.outDir ?? path.join(".gitml", "reports", options.model.replace(/[/:]/g, "-")),
  );
  // The reference profile is kept next to the report: it travels with the candidate to the merge.
  const candidate = await readModelOutputs({
    root: project.root,
    name: options.model,
    model,
    configFile: project.config.file,
    logger: context.logger,
    profileDir: outDir,
    segments: suite?.slices?.columns,
    prepareDataEngine: context.prepareDataEngine,
  });
  const candidateFiles = candidate.files;
  const candidateMetrics = candidate.metrics!;
  const candidateParams = model.outputs.params
    ? await readParams(path.resolve(modelDir, model.outputs.params))
    : undefined;

  const state = await readRegistry(project.repo);
  const registered = state.models.get(options.model);
  const baselineVersion = registered ? pickBaseline(registered, model.compare_to) : undefined;
  const baseline = baselineVersion
    ? await loadBaseline(project.store, options.model, baselineVersion, model)
    : undefined;
  const trend = registered ? trendOf(registered, options.trendLength ?? 10) : [];

  const candidateDigest = await digestFiles(candidateFiles);
  if (suite && suiteReadsData(suite)) await context.prepareDataEngine?.();
  const suiteResult: SuiteResult | undefined = suite
    ? await runSuite({
        modelDir,
        root: project.root,
        suite,
        defaultData: definedOnly({
          predictions: model.outputs.predictions,
          reference: model.outputs.reference,
        }),
        predictions: candidate.predictionTable,
        predictionOptions: predictionMetricsOptions(model),
        predictionMetrics: candidate.predictions,
        logger: context.logger,
      })
    : undefined;
  const evaluation = buildEvaluationReport({
    model: options.model,
    marker: options.marker ?? options.model,
    compareTo: model.compare_to,
    candidate: {
      // Shown after "Candidate" in every report: name what it is, not "candidate" again.
      version: options.candidateLabel ?? "working tree",
      digest: candidateDigest,
      metrics: candidateMetrics,
      params: candidateParams,
    },
    baseline,
    rules: model.gates,
    trend,
    links: { runUrl: options.runUrl },
    fingerprints: candidate.dataFingerprint ? { reference: candidate.dataFingerprint } : undefined,
    suite: suiteResult,
    confusionMatrix: candidate.predictions?.confusionMatrix,
    // Production's shares ride in its tag: no store access, so no API call on GitHub Releases.
    importances: {
      candidate: candidate.importances,
      baseline: baselineVersion?.version.metadata?.importances,
      rules: model.importance_gates,
    },
  });

  await fs.mkdir(outDir, { recursive: true });
  const reportFile = path.join(outDir, "report.md");
  const htmlFile = path.join(outDir, "report.html");
  const fullMarkdown = renderMarkdown(evaluation);
  await fs.writeFile(reportFile, fullMarkdown);
  await fs.writeFile(htmlFile, renderHtml(evaluation));
  const markdown = fitToCommentLimit(fullMarkdown, {
    fullReportPointer: options.runUrl
      ? `the full report is in the [job summary](${options.runUrl}) and the run's artifacts`
      : `the full report is in ${path.relative(project.root, reportFile)}`,
  });

  const failed = verdictOf(evaluation) === "fail";
  return {
    model: options.model,
    verdict: failed ? "fail" : "pass",
    warnOnly: failed && model.on_gate_failure === "warn",
    baseline: baseline?.version ?? null,
    baselineStage: baseline?.stage ?? null,
    metrics: evaluation.comparison.map((row) => ({
      name: row.name,
      candidate: row.candidate ?? null,
      baseline: row.baseline ?? null,
      delta: row.delta ?? null,
    })),
    gates: evaluation.gates.gates.map((g) => ({
      metric: g.metric,
      rule: g.rule,
      passed: g.passed,
      detail: g.detail,
    })),
    checks: suiteResult?.checks ?? [],
    slices: suiteResult?.slices ?? [],
    suites: suiteResult?.sources ?? [],
    candidateDigest,
    candidateFiles,
    dataFingerprint: candidate.dataFingerprint,
    predictions: candidate.predictions && withoutMetrics(candidate.predictions),
    report: reportFile,
    html: htmlFile,
    markdown,
    evaluation,
  };
}

async function loadBaseline(
  store: ArtifactStore,
  name: string,
  picked: { version: VersionState; stage: string },
  config: ModelConfig,
): Promise<EvaluationReport["baseline"]> {
  const { version, stage } = picked;
  // The tag's metadata block makes the common case free: no store access at all. A tag that carries
  // only the headline metrics (metricsOmitted) sends us to the store for all of them.
  // Params ride in the tag too when they are small (the usual case), so the params diff is free as well.
  const complete = !version.metadata?.metricsOmitted;
  let metrics: Metrics | undefined = version.metadata?.metrics;
  let params: Params | undefined = version.metadata?.params;
  const digest = version.metadata?.artifactDigest;
  const needsParams = config.outputs.params !== undefined && params === undefined && digest !== undefined;
  const needsStore = !metrics || !complete || needsParams;
  if (needsStore && digest && isDigest(digest)) {
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "gitml-baseline-"));
    try {
      const fetched = await store.fetch({
        model: name,
        version: version.version,
        digest,
        into: scratch,
        roles: ["metrics", "params"],
      });
      const byRole = (role: string) => fetched.manifest.files.find((f) => f.role === role);
      const metricsFile =
        fetched.manifest.files.find((f) => f.role === "metrics" && f.path === ALL_METRICS_FILE) ??
        byRole("metrics");
      if ((!metrics || !complete) && metricsFile)
        metrics = await readMetrics(path.join(scratch, ...metricsFile.path.split("/")));
      const paramsFile = byRole("params");
      if (!params && paramsFile) params = await readParams(path.join(scratch, ...paramsFile.path.split("/")));
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
    }
  }
  if (!metrics) {
    throw new UserError(
      `the baseline ${name}@${version.version} (${stage}) has no metrics: its tag carries none and the store has none for it; register versions with gitml so their metrics are kept`,
    );
  }
  return { version: version.version, stage, metrics, params };
}

function trendOf(model: ModelState, length: number): Array<{ version: string; metrics: Metrics }> {
  return model.versions
    .filter((v) => v.active && v.metadata?.metrics)
    .slice(0, length)
    .reverse()
    .map((v) => ({ version: v.version, metrics: v.metadata!.metrics! }));
}

function withoutMetrics(result: PredictionMetricsResult): Omit<PredictionMetricsResult, "metrics"> {
  const { metrics: _metrics, ...rest } = result;
  return rest;
}

function definedOnly(entries: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(entries).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
