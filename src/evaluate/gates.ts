/**
 * Gates: the thresholds a candidate model must meet, and the candidate-vs-baseline comparison table.
 * Pure functions over flat metric maps (see metrics.ts).
 */
import { closest, distance } from "fastest-levenshtein";
import type { Metrics } from "./metrics";

export type Direction = "higher" | "lower";

export interface GateRule {
  metric: string;
  min?: number;
  max?: number;
  /**
   * The candidate may be worse than the baseline by at most `tolerance` (absolute) plus
   * `relative × |baseline|` (numpy.isclose's atol + rtol convention when both are given).
   */
  no_regression?: { tolerance?: number; relative?: number };
  /** Default true. A required gate fails the run; a non-required one only warns, and a missing metric is skipped. */
  required?: boolean;
  direction?: Direction;
}

export interface GateResult {
  metric: string;
  /** Human form of the rule, e.g. `≥ 0.8`, `no regression (tolerance 0.01)`. */
  rule: string;
  passed: boolean;
  /** `error` gates decide the overall verdict; `warning` gates (required: false) only warn. */
  severity: "error" | "warning";
  /** Why the gate was not evaluated (e.g. a non-required metric that was not reported). */
  skipped?: string;
  candidate?: number;
  baseline?: number;
  direction: Direction;
  /** One sentence a person can act on, e.g. `0.78 < 0.8` or `dropped 0.02 from 0.83 (allowed 0.01)`. */
  detail: string;
}

export interface GateEvaluation {
  overall: "pass" | "fail";
  gates: GateResult[];
  /** Failed gates that decide the verdict. */
  failed: number;
  /** Failed gates that only warn (required: false). */
  warned: number;
}

export interface ComparisonRow {
  name: string;
  candidate?: number;
  baseline?: number;
  /** candidate − baseline. */
  delta?: number;
  /** delta / |baseline| × 100; absent when the baseline is 0 and the values differ. */
  deltaPct?: number;
  direction: Direction;
  /** True when the change is an improvement for this metric's direction, false when a regression, absent when unchanged or not comparable. */
  better?: boolean;
  gated: boolean;
}

/*
 * Which metrics are better when lower, by name segment. A name is split into lower-case segments at
 * `.`, `/`, `_`, `-`, spaces and camelCase boundaries (`eval.val_loss` -> eval, val, loss;
 * `valLoss` -> val, loss), and a trailing plural `s` is ignored. Any segment in this table makes the
 * metric lower-is-better; everything else is higher-is-better. A leading `neg`/`negative` segment flips
 * the result, as in scikit-learn's `neg_mean_squared_error` scorer (negated, so higher is better).
 * An explicit `direction` on a gate always wins.
 */
export const LOWER_IS_BETTER_SEGMENTS: ReadonlySet<string> = new Set([
  // losses and errors
  "loss",
  "logloss",
  "nll",
  "error",
  "err",
  "mae",
  "mse",
  "rmse",
  "msle",
  "rmsle",
  "mape",
  "smape",
  "wape",
  "brier",
  "hinge",
  "perplexity",
  "ppl",
  "wer",
  "cer",
  "eer",
  "fpr",
  "fnr",
  "divergence",
  "distance",
  // cost of running the model
  "latency",
  "time",
  "duration",
  "runtime",
  "seconds",
  "ms",
  "size",
  "bytes",
  "memory",
  "cost",
]);

export function nameSegments(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((s) => s !== "")
    .map((s) => s.toLowerCase());
}

export function defaultDirection(metric: string): Direction {
  const segments = nameSegments(metric);
  const lower = segments.some(
    (s) =>
      LOWER_IS_BETTER_SEGMENTS.has(s) || (s.endsWith("s") && LOWER_IS_BETTER_SEGMENTS.has(s.slice(0, -1))),
  );
  const negated = segments[0] === "neg" || segments[0] === "negative";
  return lower !== negated ? "lower" : "higher";
}

/** The direction of a metric: an explicit direction on any gate for it wins, else the name table. */
export function directionOf(metric: string, rules: readonly GateRule[] = []): Direction {
  const explicit = rules.find((r) => r.metric === metric && r.direction !== undefined)?.direction;
  return explicit ?? defaultDirection(metric);
}

export function formatThreshold(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

export function describeRule(rule: GateRule): string {
  const parts: string[] = [];
  if (rule.min !== undefined) parts.push(`≥ ${formatThreshold(rule.min)}`);
  if (rule.max !== undefined) parts.push(`≤ ${formatThreshold(rule.max)}`);
  if (rule.no_regression) {
    const { tolerance, relative } = rule.no_regression;
    const allowances: string[] = [];
    if (tolerance) allowances.push(`tolerance ${formatThreshold(tolerance)}`);
    if (relative) allowances.push(`relative ${formatThreshold(relative * 100)}%`);
    parts.push(allowances.length ? `no regression (${allowances.join(" + ")})` : "no regression");
  }
  return parts.length ? parts.join(", ") : "reported";
}

/*
 * Regression arithmetic on floats read from text: 1.1 − 1.0 is 0.10000000000000009, which would fail a
 * tolerance of 0.1. Differences within a few ulps of the operands are treated as equal.
 */
function withinAllowance(drop: number, allowed: number, scale: number): boolean {
  return drop <= allowed + 1e-12 * Math.max(1, Math.abs(scale));
}

export function evaluateGates(options: {
  rules: readonly GateRule[];
  candidate: Metrics;
  baseline?: Metrics;
}): GateEvaluation {
  const { rules, candidate, baseline } = options;
  const gates = rules.map((rule) => evaluateGate(rule, candidate, baseline, rules));
  const failed = gates.filter((g) => !g.passed && g.severity === "error").length;
  const warned = gates.filter((g) => !g.passed && g.severity === "warning").length;
  return { overall: failed > 0 ? "fail" : "pass", gates, failed, warned };
}

function evaluateGate(
  rule: GateRule,
  candidateMetrics: Metrics,
  baselineMetrics: Metrics | undefined,
  rules: readonly GateRule[],
): GateResult {
  const required = rule.required ?? true;
  const severity = required ? "error" : "warning";
  const direction = directionOf(rule.metric, rules);
  const base = { metric: rule.metric, rule: describeRule(rule), severity, direction } as const;
  const candidate = Object.hasOwn(candidateMetrics, rule.metric) ? candidateMetrics[rule.metric] : undefined;
  const baseline =
    baselineMetrics && Object.hasOwn(baselineMetrics, rule.metric) ? baselineMetrics[rule.metric] : undefined;

  if (candidate === undefined) {
    const hint = suggestMetric(rule.metric, Object.keys(candidateMetrics));
    const missing = `metric "${rule.metric}" was not reported by the candidate${hint ? ` (did you mean "${hint}"?)` : ""}`;
    if (!required)
      return { ...base, passed: true, skipped: missing, baseline, detail: `skipped: ${missing}` };
    return { ...base, passed: false, baseline, detail: missing };
  }

  const failures: string[] = [];
  const notes: string[] = [];
  const shown = formatThreshold(candidate);
  if (rule.min !== undefined) {
    if (candidate < rule.min) failures.push(`${shown} < ${formatThreshold(rule.min)}`);
    else notes.push(`${shown} ≥ ${formatThreshold(rule.min)}`);
  }
  if (rule.max !== undefined) {
    if (candidate > rule.max) failures.push(`${shown} > ${formatThreshold(rule.max)}`);
    else notes.push(`${shown} ≤ ${formatThreshold(rule.max)}`);
  }
  if (rule.no_regression) {
    if (baseline === undefined) {
      notes.push(
        baselineMetrics
          ? "no baseline value for this metric: nothing to regress from"
          : "no baseline: nothing to regress from",
      );
    } else {
      const tolerance = rule.no_regression.tolerance ?? 0;
      const relative = rule.no_regression.relative ?? 0;
      const allowed = tolerance + relative * Math.abs(baseline);
      // How much worse the candidate is, positive when worse, whichever the direction.
      const drop = direction === "higher" ? baseline - candidate : candidate - baseline;
      const verb = direction === "higher" ? "dropped" : "rose";
      if (!withinAllowance(drop, allowed, baseline)) {
        failures.push(
          `${verb} ${formatThreshold(Math.abs(drop))} from ${formatThreshold(baseline)} (allowed ${formatThreshold(allowed)})`,
        );
      } else if (drop > 0) {
        notes.push(
          `${verb} ${formatThreshold(drop)} from ${formatThreshold(baseline)}, within ${formatThreshold(allowed)}`,
        );
      } else {
        notes.push(`no regression from ${formatThreshold(baseline)}`);
      }
    }
  }
  const passed = failures.length === 0;
  const detail = passed ? (notes.length ? notes.join("; ") : `${shown} reported`) : failures.join("; ");
  return { ...base, passed, candidate, baseline, detail };
}

function suggestMetric(wanted: string, available: readonly string[]): string | undefined {
  if (available.length === 0) return undefined;
  const bySuffix = available.find((name) => name.endsWith(`.${wanted}`) || wanted.endsWith(`.${name}`));
  if (bySuffix) return bySuffix;
  const near = closest(wanted, available as string[]);
  return distance(wanted, near) <= Math.max(2, Math.floor(wanted.length / 3)) ? near : undefined;
}

/**
 * One row per metric of either side (and per gated metric even if neither side has it), gated metrics
 * first in the order their gates are declared, then the rest alphabetically.
 */
export function compareMetrics(options: {
  candidate: Metrics;
  baseline?: Metrics;
  rules?: readonly GateRule[];
}): ComparisonRow[] {
  const { candidate, baseline = {}, rules = [] } = options;
  const gatedOrder = [...new Set(rules.map((r) => r.metric))];
  const gated = new Set(gatedOrder);
  const others = [...new Set([...Object.keys(candidate), ...Object.keys(baseline)])]
    .filter((name) => !gated.has(name))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...gatedOrder, ...others].map((name) => {
    const c = Object.hasOwn(candidate, name) ? candidate[name] : undefined;
    const b = Object.hasOwn(baseline, name) ? baseline[name] : undefined;
    const direction = directionOf(name, rules);
    const row: ComparisonRow = { name, direction, gated: gated.has(name) };
    if (c !== undefined) row.candidate = c;
    if (b !== undefined) row.baseline = b;
    if (c !== undefined && b !== undefined) {
      const delta = c - b;
      row.delta = delta;
      if (b !== 0) row.deltaPct = (delta / Math.abs(b)) * 100;
      else if (delta === 0) row.deltaPct = 0;
      if (delta !== 0) row.better = direction === "higher" ? delta > 0 : delta < 0;
    }
    return row;
  });
}
