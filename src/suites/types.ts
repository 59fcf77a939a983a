/**
 * The shapes every suite check produces, whatever its kind, so that the runner, the gate verdict, the
 * PR report and `evaluate --json` handle expectations, slices, fairness and train/test checks alike.
 */

/** A cell value as read from a data file (null for a missing cell). */
export type CellValue = string | number | boolean | null;

export type CheckKind = "expectation" | "slice" | "fairness" | "train_test";

export interface CheckResult {
  /** Stable identity within one evaluation, e.g. `expectation:train:column_values_to_not_be_null:age`. */
  id: string;
  kind: CheckKind;
  /** Short human name, e.g. `age not null` or `accuracy gap across gender`. */
  name: string;
  /** Where the check was declared: `gitml.yaml`, a repository file, or `owner/repo@ref:path`. */
  suite: string;
  /** The data name the check read (`train`, `test`, `predictions`, …). */
  data?: string;
  column?: string;
  /**
   * `error`: the check could not be evaluated (missing column, unreadable file, …); it counts as failed,
   * and `detail` says why.
   */
  status: "pass" | "fail" | "error";
  /** A failing `error` check fails the PR; a failing `warning` check (required: false) only warns. */
  severity: "error" | "warning";
  /** The measured value the rule is applied to (a fraction, a metric, a gap, a row count). */
  observed?: number;
  /** Human form of the rule, e.g. `≥ 99% of non-null values`, `≤ 0.1`, `between 0 and 120`. */
  rule: string;
  /** One sentence a person can act on, e.g. `12 of 1,000 non-null values (1.2%) are outside [0, 120]`. */
  detail: string;
  /** Share of the rows the check looked at that failed it. */
  failingFraction?: number;
  /** A few failing values (at most 5), for a person to recognise the problem. */
  examples?: CellValue[];
}

/** Per-slice metrics of one segment column (for the report's slice table). */
export interface SliceTable {
  column: string;
  metrics: string[];
  rows: SliceRow[];
  /** Fairlearn's between-group measures over this column, when computed (e.g. demographic_parity_difference). */
  fairness?: Record<string, number>;
}

export interface SliceRow {
  /** The segment value as text (`(null)` for missing cells). */
  value: string;
  rows: number;
  /** Metric name → value; null when it cannot be computed on this slice (e.g. roc_auc with one class). */
  metrics: Record<string, number | null>;
  /** True for the weakest slices of the column (lowest on the first metric, by its direction). */
  weakest: boolean;
  /** True when the slice has fewer rows than `min_rows`: shown, but not gated. */
  small: boolean;
}

/** A suite file that contributed checks: for the report's "which suite" line and for pinning. */
export interface SuiteSource {
  /** As shown in results' `suite`. */
  name: string;
  /** For a suite from another repository: the commit the ref resolved to. */
  commit?: string;
}

/** Everything a suite run produced. */
export interface SuiteResult {
  checks: CheckResult[];
  slices: SliceTable[];
  sources: SuiteSource[];
}
