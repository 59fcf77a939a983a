/**
 * Global feature importances: what a model leans on. gitml never runs the model, so the training step
 * writes them (`outputs.importances`) and gitml carries them through the lifecycle: the PR report compares
 * the candidate's top features with production's, gates catch a model that leans on one feature (leakage
 * often looks like that), the version stores them (`importances.json`) and the monitor weighs drifted
 * columns by them.
 *
 * Pure functions over plain data, with no runtime imports: the catalog site and the registry's read path may load
 * this module without paying for a parser. Reading the user's file is importances-file.ts.
 */
import type { GateEvaluation, GateResult } from "./gates";

/** The `schema` of a version's `importances.json`. */
export const IMPORTANCES_SCHEMA = "gitml.importances/v1";
/** The path (and GitHub Release asset name) of the normalised importances inside a version. */
export const IMPORTANCES_FILE = "importances.json";
/** Features shown in the PR report's table and chart, and kept in a registration tag. */
export const REPORT_TOP_K = 10;

export interface FeatureImportance {
  feature: string;
  /** As the training wrote it (≥ 0, finite). */
  importance: number;
  /** `importance` over the sum of all features' importances, in [0, 1] (0 for all when they sum to 0). */
  share: number;
  /** Mean absolute SHAP value, when the training wrote one. */
  mean_abs_shap?: number;
}

/**
 * A version's importances as stored (`importances.json`): features most important first (ties by name),
 * each with its share of the total, optionally per class.
 */
export interface Importances {
  schema: typeof IMPORTANCES_SCHEMA;
  /** How they were computed, as the training said (e.g. `permutation`, `impurity`, `gain`). */
  method?: string;
  features: FeatureImportance[];
  /** Per class: the same, for the importance of the features to that class alone. */
  per_class?: Record<string, FeatureImportance[]>;
}

/** What a training file holds once read: feature → importance, optionally per class and mean |SHAP|. */
export interface RawImportances {
  method?: string;
  importances: ReadonlyMap<string, number>;
  perClass?: ReadonlyMap<string, ReadonlyMap<string, number>>;
  meanAbsShap?: ReadonlyMap<string, number>;
}

const byImportance = (a: FeatureImportance, b: FeatureImportance) =>
  b.importance - a.importance || (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : 0);

function ranked(
  values: ReadonlyMap<string, number>,
  shap?: ReadonlyMap<string, number>,
): FeatureImportance[] {
  let total = 0;
  for (const value of values.values()) total += value;
  const features = [...values].map(([feature, importance]) => {
    const entry: FeatureImportance = { feature, importance, share: total > 0 ? importance / total : 0 };
    const meanAbsShap = shap?.get(feature);
    if (meanAbsShap !== undefined) entry.mean_abs_shap = meanAbsShap;
    return entry;
  });
  return features.sort(byImportance);
}

/** The stored form of what the training wrote (values already checked by the reader). */
export function normaliseImportances(raw: RawImportances): Importances {
  const result = { schema: IMPORTANCES_SCHEMA } as Importances;
  if (raw.method !== undefined) result.method = raw.method;
  result.features = ranked(raw.importances, raw.meanAbsShap);
  if (raw.perClass && raw.perClass.size > 0) {
    result.per_class = Object.fromEntries(
      [...raw.perClass].map(([label, values]) => [label, ranked(values)]),
    );
  }
  return result;
}

/**
 * A version's `importances.json`, checked: the file may come from a store or a candidate artifact that
 * someone else could write, so nothing in it is believed before it is checked. Throws an Error naming the
 * problem (callers say where the file came from).
 */
export function parseStoredImportances(text: string): Importances {
  const data: unknown = JSON.parse(text);
  const fail = (why: string): never => {
    throw new Error(`not a gitml importances file (${IMPORTANCES_SCHEMA}): ${why}`);
  };
  if (typeof data !== "object" || data === null || Array.isArray(data)) return fail("expected an object");
  const record = data as Record<string, unknown>;
  if (record.schema !== IMPORTANCES_SCHEMA) fail(`schema is ${JSON.stringify(record.schema)}`);
  if (record.method !== undefined && typeof record.method !== "string") fail("method must be a string");
  const list = (value: unknown, where: string): FeatureImportance[] => {
    if (!Array.isArray(value)) return fail(`${where} must be a list`);
    const seen = new Set<string>();
    return value.map((item: unknown, index) => {
      const entry = item as Record<string, unknown> | null;
      const at = `${where}[${index}]`;
      if (typeof entry !== "object" || entry === null) return fail(`${at} must be an object`);
      const { feature, importance, share, mean_abs_shap: shap } = entry;
      if (typeof feature !== "string" || feature === "")
        return fail(`${at}.feature must be a non-empty string`);
      if (seen.has(feature)) fail(`${at}: feature ${JSON.stringify(feature)} is listed twice`);
      seen.add(feature);
      const finite = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0;
      if (!finite(importance)) fail(`${at}.importance must be a finite number ≥ 0`);
      if (!finite(share) || (share as number) > 1) fail(`${at}.share must be a number from 0 to 1`);
      if (shap !== undefined && !finite(shap)) fail(`${at}.mean_abs_shap must be a finite number ≥ 0`);
      return {
        feature,
        importance: importance as number,
        share: share as number,
        ...(shap === undefined ? {} : { mean_abs_shap: shap as number }),
      };
    });
  };
  const result = { schema: IMPORTANCES_SCHEMA } as Importances;
  if (typeof record.method === "string") result.method = record.method;
  result.features = list(record.features, "features");
  if (record.per_class !== undefined) {
    if (typeof record.per_class !== "object" || record.per_class === null || Array.isArray(record.per_class))
      fail("per_class must be an object of class → list");
    result.per_class = Object.fromEntries(
      Object.entries(record.per_class as Record<string, unknown>).map(([label, value]) => [
        label,
        list(value, `per_class.${label}`),
      ]),
    );
  }
  return result;
}

/** Serialised as stored in a version (stable bytes for the same importances). */
export function importancesToJson(importances: Importances): string {
  return `${JSON.stringify(importances, null, 1)}\n`;
}

// --- summary --------------------------------------------------------------------------------------

export interface ImportanceSummary {
  method?: string;
  /** How many features have an importance. */
  featureCount: number;
  /** The k most important, rank 1 first. */
  top: Array<{ rank: number; feature: string; share: number; importance?: number }>;
  /** The share held by the features outside `top`. */
  restShare: number;
}

/**
 * The top `k` features with their shares, and the share the rest hold: what a page or a card shows.
 * Takes a stored `importances.json` or a share map (a registration tag's, see tagImportances).
 */
export function summariseImportances(
  importances: Importances | Readonly<Record<string, number>>,
  k = REPORT_TOP_K,
): ImportanceSummary {
  const features = isImportances(importances) ? importances.features : sharesAsFeatures(importances);
  const top = features.slice(0, Math.max(0, k)).map((f, index) => ({
    rank: index + 1,
    feature: f.feature,
    share: f.share,
    ...(isImportances(importances) ? { importance: f.importance } : {}),
  }));
  const held = top.reduce((sum, f) => sum + f.share, 0);
  const total = features.reduce((sum, f) => sum + f.share, 0);
  return {
    ...(isImportances(importances) && importances.method ? { method: importances.method } : {}),
    featureCount: features.length,
    top,
    // A tag's shares may leave features out: the rest is whatever the top does not hold of the whole.
    restShare: Math.max(0, (isImportances(importances) ? total : 1) - held),
  };
}

function isImportances(value: Importances | Readonly<Record<string, number>>): value is Importances {
  return (
    (value as Importances).schema === IMPORTANCES_SCHEMA && Array.isArray((value as Importances).features)
  );
}

function sharesAsFeatures(shares: Readonly<Record<string, number>>): FeatureImportance[] {
  return Object.entries(shares)
    .map(([feature, share]) => ({ feature, importance: share, share }))
    .sort(byImportance);
}

/** Feature → share of every feature (the monitor's weights). */
export function sharesOf(importances: Importances): Record<string, number> {
  return Object.fromEntries(importances.features.map((f) => [f.feature, f.share]));
}

// --- candidate vs production ----------------------------------------------------------------------

export interface ImportanceRow {
  feature: string;
  /** Rank among the candidate's features (1 = most important); absent when the candidate has none for it. */
  candidateRank?: number;
  candidateShare?: number;
  /** The candidate's mean |SHAP| for the feature, when its training wrote them. */
  candidateMeanAbsShap?: number;
  /** Rank among production's features as known (a tag keeps the top 20). */
  baselineRank?: number;
  baselineShare?: number;
  /** In the candidate's top k, not in production's: a feature the model now leans on. */
  entered: boolean;
  /** In production's top k, not in the candidate's. */
  left: boolean;
}

export interface ImportanceComparison {
  k: number;
  method?: string;
  candidateFeatures: number;
  /** The candidate's top k in order, then the features that left production's top k. */
  rows: ImportanceRow[];
  /** Whether production's importances were known (else the rows have no baseline side). */
  hasBaseline: boolean;
}

/**
 * The candidate's top k beside production's: ranks, shares and which features entered or left the top k.
 * `baseline` is production's shares (from its tag), undefined when it recorded none.
 */
export function compareImportances(
  candidate: Importances,
  baseline: Readonly<Record<string, number>> | undefined,
  k = REPORT_TOP_K,
): ImportanceComparison {
  const base = baseline ? sharesAsFeatures(baseline) : [];
  const baseRank = new Map(base.map((f, index) => [f.feature, { rank: index + 1, share: f.share }]));
  const candRank = new Map(
    candidate.features.map((f, index) => [
      f.feature,
      { rank: index + 1, share: f.share, meanAbsShap: f.mean_abs_shap },
    ]),
  );
  const candidateTop = candidate.features.slice(0, k);
  const candidateTopNames = new Set(candidateTop.map((f) => f.feature));
  const baselineTopNames = new Set(base.slice(0, k).map((f) => f.feature));
  const row = (feature: string): ImportanceRow => {
    const c = candRank.get(feature);
    const b = baseRank.get(feature);
    return {
      feature,
      ...(c ? { candidateRank: c.rank, candidateShare: c.share } : {}),
      ...(c?.meanAbsShap === undefined ? {} : { candidateMeanAbsShap: c.meanAbsShap }),
      ...(b ? { baselineRank: b.rank, baselineShare: b.share } : {}),
      entered: baseline !== undefined && candidateTopNames.has(feature) && !baselineTopNames.has(feature),
      left: baseline !== undefined && baselineTopNames.has(feature) && !candidateTopNames.has(feature),
    };
  };
  const rows = [
    ...candidateTop.map((f) => row(f.feature)),
    ...base
      .slice(0, k)
      .filter((f) => !candidateTopNames.has(f.feature))
      .map((f) => row(f.feature)),
  ];
  return {
    k,
    ...(candidate.method ? { method: candidate.method } : {}),
    candidateFeatures: candidate.features.length,
    rows,
    hasBaseline: baseline !== undefined,
  };
}

// --- gates ----------------------------------------------------------------------------------------

/** A gate on the candidate's importances (`gates: - importance: {...}`). */
export interface ImportanceGateRule {
  importance: {
    /** No single feature may hold more than this share. */
    max_single?: number;
    /** With `min_share`: these features together must hold at least that share. */
    features?: string[];
    min_share?: number;
  };
  required?: boolean;
}

/** The result of an importance gate: a metric gate's result with no baseline (the rule is absolute). */
export type ImportanceGateResult = Omit<GateResult, "baseline">;

/** What importance gates are called in the report's gate lists. */
export const IMPORTANCE_GATE_LABEL = "feature importance";

const percent = (share: number) => `${Number((share * 100).toPrecision(3))} %`;

export function describeImportanceRule(rule: ImportanceGateRule["importance"]): string {
  const parts: string[] = [];
  if (rule.max_single !== undefined) parts.push(`no single feature above ${percent(rule.max_single)}`);
  if (rule.min_share !== undefined && rule.features)
    parts.push(`${rule.features.join(", ")} hold ≥ ${percent(rule.min_share)}`);
  return parts.join("; ");
}

/** Each rule against the candidate's importances; a missing file fails a required gate and skips another. */
export function evaluateImportanceGates(
  rules: readonly ImportanceGateRule[],
  candidate: Importances | undefined,
): ImportanceGateResult[] {
  return rules.map((gate) => {
    const required = gate.required !== false;
    const base = {
      metric: IMPORTANCE_GATE_LABEL,
      rule: describeImportanceRule(gate.importance),
      severity: required ? ("error" as const) : ("warning" as const),
    };
    if (!candidate || candidate.features.length === 0) {
      const why = "the candidate wrote no importances (outputs.importances)";
      return required
        ? { ...base, passed: false, direction: "lower", detail: why }
        : { ...base, passed: true, skipped: why, direction: "lower", detail: why };
    }
    const problems: string[] = [];
    const findings: string[] = [];
    let observed: number | undefined;
    let direction: "higher" | "lower" = "lower";
    const { max_single: maxSingle, features, min_share: minShare } = gate.importance;
    if (maxSingle !== undefined) {
      const top = candidate.features[0]!;
      observed = top.share;
      const text = `${top.feature} holds ${percent(top.share)}`;
      if (top.share > maxSingle) problems.push(`${text} (> ${percent(maxSingle)}: one feature dominates)`);
      else findings.push(text);
    }
    if (features && minShare !== undefined) {
      const wanted = new Set(features);
      const held = candidate.features.filter((f) => wanted.has(f.feature)).reduce((s, f) => s + f.share, 0);
      if (maxSingle === undefined) {
        observed = held;
        direction = "higher";
      }
      const text = `the listed features hold ${percent(held)}`;
      if (held < minShare) problems.push(`${text} (< ${percent(minShare)})`);
      else findings.push(text);
    }
    return {
      ...base,
      passed: problems.length === 0,
      ...(observed === undefined ? {} : { candidate: observed }),
      direction,
      detail: [...problems, ...findings].join("; "),
    };
  });
}

// --- drift triage ---------------------------------------------------------------------------------

export interface DriftedImportance {
  /** Share of the model's importance held by the drifted columns, in [0, 1]. */
  share: number;
  /** The drifted columns that have an importance, most important first. */
  columns: Array<{ name: string; share: number }>;
}

/** How much of the model's importance the drifted columns hold (features not in the data count as not drifted). */
export function driftedImportance(
  shares: Readonly<Record<string, number>>,
  driftedColumns: readonly string[],
): DriftedImportance {
  const columns = driftedColumns
    .filter((name) => Object.hasOwn(shares, name))
    .map((name) => ({ name, share: shares[name]! }))
    .sort((a, b) => b.share - a.share || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    share: Math.min(
      1,
      columns.reduce((sum, c) => sum + c.share, 0),
    ),
    columns,
  };
}

/** Metric gates' evaluation with the importance gates' results added (the verdict and counts recomputed). */
export function withImportanceGates(
  evaluation: GateEvaluation,
  results: readonly ImportanceGateResult[],
): GateEvaluation {
  if (results.length === 0) return evaluation;
  const gates = [...evaluation.gates, ...results];
  const failedOf = (severity: "error" | "warning") =>
    gates.filter((g) => !g.passed && g.severity === severity).length;
  const failed = failedOf("error");
  return { overall: failed > 0 ? "fail" : "pass", gates, failed, warned: failedOf("warning") };
}
