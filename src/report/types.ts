import type { ComparisonRow, GateEvaluation, GateRule } from "../evaluate/gates";
import { compareMetrics, evaluateGates } from "../evaluate/gates";
import type { Metrics, ParamDiffRow, Params } from "../evaluate/metrics";
import { diffParams } from "../evaluate/metrics";
import {
  compareImportances,
  evaluateImportanceGates,
  withImportanceGates,
  type ImportanceComparison,
  type ImportanceGateRule,
  type Importances,
} from "../evaluate/importances";
import type { ConfusionMatrix } from "../evaluate/predictions";
import type { SuiteResult } from "../suites/types";

/** Everything one PR report shows. Renderers escape every string in it; callers pass raw values. */
export interface EvaluationReport {
  /** The model's name as configured, e.g. `churn` or `models:churn`. */
  model: string;
  /** Identifies the sticky comment (usually the model name); see stickyMarkerLine. */
  marker: string;
  /** The stage the candidate is compared with (`compare_to`), named even when it holds no version yet. */
  compareTo: string;
  candidate: {
    /** A label for the candidate, e.g. `v1.5.0 (candidate)` or `PR #42 @ abc1234`. */
    version: string;
    /** `sha256:<hex>` of the candidate's artifact. */
    digest?: string;
    metrics: Metrics;
    params?: Params;
  };
  baseline?: { version: string; stage: string; metrics: Metrics; params?: Params };
  gates: GateEvaluation;
  comparison: ComparisonRow[];
  /** Defaults to diffParams(candidate.params, baseline.params) when both are known. */
  paramsDiff?: ParamDiffRow[];
  /** The last registered versions, oldest first; renderers append the candidate. */
  trend: TrendPoint[];
  links: { runUrl?: string; fullReportUrl?: string };
  /** Data name -> fingerprint (e.g. `train.parquet` -> `sha256:…`). */
  fingerprints?: Record<string, string>;
  /** The test suite's checks and slice tables; failing checks count in the verdict like gates. */
  suite?: SuiteResult;
  /** Of the candidate's predictions, for a classification model. */
  confusionMatrix?: ConfusionMatrix;
  /** The candidate's top features beside the baseline's, when the candidate wrote importances. */
  importances?: ImportanceComparison;
}

export interface TrendPoint {
  version: string;
  metrics: Metrics;
}

/** Assembles a report from raw inputs: evaluates the gates and builds the comparison rows. */
export function buildEvaluationReport(options: {
  model: string;
  marker?: string;
  compareTo: string;
  candidate: EvaluationReport["candidate"];
  baseline?: EvaluationReport["baseline"];
  rules: readonly GateRule[];
  trend?: TrendPoint[];
  links?: EvaluationReport["links"];
  fingerprints?: Record<string, string>;
  suite?: SuiteResult;
  confusionMatrix?: ConfusionMatrix;
  /**
   * The candidate's importances, the baseline's shares (its tag's; undefined when it recorded none) and
   * the gates on them.
   */
  importances?: {
    candidate?: Importances;
    baseline?: Readonly<Record<string, number>>;
    rules?: readonly ImportanceGateRule[];
  };
}): EvaluationReport {
  const { candidate, baseline, rules } = options;
  const importances = options.importances;
  return {
    model: options.model,
    marker: options.marker ?? options.model,
    compareTo: options.compareTo,
    candidate,
    baseline,
    gates: withImportanceGates(
      evaluateGates({ rules, candidate: candidate.metrics, baseline: baseline?.metrics }),
      evaluateImportanceGates(importances?.rules ?? [], importances?.candidate),
    ),
    comparison: compareMetrics({ candidate: candidate.metrics, baseline: baseline?.metrics, rules }),
    paramsDiff:
      candidate.params && baseline?.params ? diffParams(candidate.params, baseline.params) : undefined,
    trend: options.trend ?? [],
    links: options.links ?? {},
    fingerprints: options.fingerprints,
    suite: options.suite,
    confusionMatrix: options.confusionMatrix,
    ...(importances?.candidate
      ? {
          importances: compareImportances(importances.candidate, baseline ? importances.baseline : undefined),
        }
      : {}),
  };
}
