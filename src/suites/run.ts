/**
 * Runs a model's resolved suite: expectations on each declared data file, slices and fairness on the
 * predictions, train/test checks. Every data file is loaded once (SuiteData) and shared by all checks.
 * A check that cannot run (missing file, missing column) becomes an `error` finding; the run goes on.
 */
import type {
  PredictionMetricsOptions,
  PredictionMetricsResult,
  PredictionTable,
} from "../evaluate/predictions";
import { UserError } from "../util/errors";
import type { Logger } from "../util/logger";
import { SuiteData } from "./data";
import { runExpectations } from "./expectations";
import { suiteOf, type ResolvedSuite } from "./load";
import { computeSlices } from "./slices";
import { runTrainTestChecks } from "./train-test";
import type { CheckResult, SuiteResult } from "./types";

export interface RunSuiteOptions {
  /** The model's folder: data paths are relative to it. */
  modelDir: string;
  /** The repository root: no data path may lead out of it. */
  root: string;
  suite: ResolvedSuite;
  /** Data names that default to the model's outputs (`predictions`, `reference`) unless the suite names them. */
  defaultData?: Record<string, string>;
  /** The parsed predictions, with the slice columns kept, when the model writes predictions. */
  predictions?: PredictionTable;
  predictionOptions?: PredictionMetricsOptions;
  /** The whole file's metrics, already computed with `predictionOptions` (saves slicing a pass). */
  predictionMetrics?: PredictionMetricsResult;
  logger?: Logger;
}

/** True when running the suite needs the data engine (DuckDB). */
export function suiteReadsData(suite: ResolvedSuite): boolean {
  return Object.values(suite.expectations).some((list) => list.length > 0) || suite.train_test !== undefined;
}

export async function runSuite(options: RunSuiteOptions): Promise<SuiteResult> {
  const { suite, logger } = options;
  const started = Date.now();
  const checks: CheckResult[] = [];
  const result: SuiteResult = { checks, slices: [], sources: suite.sources };

  // The data checks wait on DuckDB, which reads and queries on its own threads; the slices are plain
  // JS. So the data files start loading first, the slices are computed meanwhile, and the findings are
  // listed in the usual order: data checks, then slices.
  const dataChecks = suiteReadsData(suite) ? await startDataChecks(options) : undefined;
  // Best effort: a turn of the event loop lets the first file's checks (a stat) finish and its read start.
  if (dataChecks && suite.slices) for (let turn = 0; turn < 3; turn++) await new Promise(setImmediate);
  let sliceChecks: CheckResult[] = [];
  try {
    const slicing = Date.now();
    sliceChecks = sliceFindings(options, result);
    if (suite.slices) logger?.debug(`suite slices: ${Date.now() - slicing} ms`);
  } finally {
    if (dataChecks) checks.push(...(await dataChecks()));
  }
  checks.push(...sliceChecks);
  logger?.debug(`suite: ${checks.length} checks in ${Date.now() - started} ms`);
  return result;
}

/**
 * Opens the data, starts loading every declared file the checks read, and returns a function that runs
 * the checks once awaited. A file that cannot be read fails here only in the checks that read it.
 */
async function startDataChecks(options: RunSuiteOptions): Promise<() => Promise<CheckResult[]>> {
  const { suite, logger } = options;
  const data = await SuiteData.open({
    baseDir: options.modelDir,
    root: options.root,
    files: { ...options.defaultData, ...suite.data },
    logger,
  });
  const needed = new Set(
    Object.entries(suite.expectations)
      .filter(([, list]) => list.length > 0)
      .map(([name]) => name),
  );
  if (suite.train_test) for (const name of [suite.train_test.train, suite.train_test.test]) needed.add(name);
  // One connection runs one statement at a time, so the files load one after the other, in the background.
  const loading = (async () => {
    for (const name of needed) if (data.has(name)) await data.table(name).catch(() => undefined);
  })();
  const expectationChecks = async (): Promise<CheckResult[]> => {
    const checks: CheckResult[] = [];
    for (const [dataName, expectations] of Object.entries(suite.expectations)) {
      if (expectations.length === 0) continue;
      try {
        checks.push(...(await runExpectations({ data, dataName, expectations, logger })));
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        checks.push(
          ...expectations.map((expectation, index) =>
            unreadableDataFinding({
              id: `expectation:${dataName}:${expectation.expect}:${"column" in expectation ? expectation.column : ""}:${index}`,
              kind: "expectation",
              name: expectation.expect,
              suite: expectation.suite,
              data: dataName,
              required: expectation.required,
              error,
            }),
          ),
        );
      }
    }
    return checks;
  };
  const trainTestChecks = async (): Promise<CheckResult[]> => {
    if (!suite.train_test) return [];
    const started = Date.now();
    const checks = await runTrainTestChecks({
      data,
      config: suite.train_test,
      suiteOf: (check) => suiteOf(suite, `train_test.${check}`),
      logger,
    });
    logger?.debug(`suite train_test: ${Date.now() - started} ms`);
    return checks;
  };
  return async () => {
    try {
      await loading;
      // Two chains of queries on two connections: each keeps a core busy while the other's statement
      // finishes on one thread. Both settle before the data is closed, whichever fails.
      const settled = await Promise.allSettled([expectationChecks(), trainTestChecks()]);
      const failed = settled.find((outcome) => outcome.status === "rejected");
      if (failed) throw failed.reason;
      return settled.flatMap((outcome) => (outcome.status === "fulfilled" ? outcome.value : []));
    } finally {
      data.close();
    }
  };
}

function sliceFindings(options: RunSuiteOptions, result: SuiteResult): CheckResult[] {
  const { suite } = options;
  const checks: CheckResult[] = [];
  if (suite.slices) {
    if (!options.predictions) {
      checks.push({
        id: "slice:predictions",
        kind: "slice",
        name: "slices",
        suite: suiteOf(suite, "slices.columns"),
        status: "error",
        severity: suite.slices.required ? "error" : "warning",
        rule: "needs outputs.predictions",
        detail:
          "slices are computed from the model's predictions, but the model declares no `outputs.predictions`",
      });
    } else {
      const sliced = computeSlices({
        table: options.predictions,
        slices: suite.slices,
        predictionOptions: options.predictionOptions,
        overall: options.predictionMetrics,
        suiteOf: (keyPath) => suiteOf(suite, `slices.${keyPath}`),
      });
      checks.push(...sliced.checks);
      result.slices = sliced.tables;
    }
  }
  return checks;
}

function unreadableDataFinding(options: {
  id: string;
  kind: CheckResult["kind"];
  name: string;
  suite: string;
  data: string;
  required: boolean;
  error: UserError;
}): CheckResult {
  const where = options.error.where ? `${options.error.where}: ` : "";
  return {
    id: options.id,
    kind: options.kind,
    name: options.name,
    suite: options.suite,
    data: options.data,
    status: "error",
    severity: options.required ? "error" : "warning",
    rule: "data readable",
    detail: `cannot run on \`${options.data}\`: ${where}${options.error.message}`,
  };
}
