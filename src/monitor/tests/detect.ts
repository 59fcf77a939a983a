import {
  inferColumnType,
  type ColumnProfile,
  type ColumnType,
  type DatasetProfile,
  type TextDescriptor,
} from "../profile";
import { decide, defaultTest, type TestOutcome, type ThresholdSource } from "./decide";
import { ColumnTestError, type TestName } from "./stattests";
import { testTextColumn } from "./text";
import type { ThresholdMode } from "./thresholds";

export { defaultTest, decide, type TestOutcome, type ThresholdSource } from "./decide";

export interface TestChoice {
  test?: TestName;
  threshold?: number;
}

export interface DriftOptions {
  /** Dataset drift when the share of drifted columns is at least this (Evidently's default 0.5). */
  driftShare?: number;
  /** Only these columns (default: every column of the reference). */
  columns?: string[];
  /** Test/threshold for every numeric or categorical column, unless a column says otherwise. */
  perType?: Partial<Record<"numeric" | "categorical", TestChoice>>;
  perColumn?: Record<string, TestChoice>;
  /**
   * "fixed" (default): each test's configured or default threshold. "data": mean + 3σ of the reference's
   * own chunk-to-chunk statistics (see ./thresholds), where the reference profile has them and no
   * threshold is configured for the column or its type.
   */
  thresholds?: ThresholdMode;
}

/** A text column's result per descriptor (see ./text). */
export interface DescriptorDrift extends Partial<TestOutcome> {
  descriptor: TextDescriptor;
  drift: boolean;
  error?: string;
}

export interface ColumnDrift {
  name: string;
  type: ColumnType | "unknown";
  test: TestName | null;
  statistic: number | null;
  p_value?: number;
  threshold: number | null;
  /** Present when the column was tested. */
  threshold_source?: ThresholdSource;
  threshold_note?: string;
  drift: boolean;
  /** The exact statistic could lie on either side of the threshold: no verdict (see TestOutcome). */
  undecided?: boolean;
  /** How far the statistic may be from the exact one because a sketch was used (0: exact). */
  error_bound?: number;
  statistic_range?: [number, number];
  p_value_range?: [number, number];
  /** Why this column could not be tested; it then counts neither as drifted nor as tested. */
  error?: string;
  /**
   * Text columns: the descriptor whose test the column's test, statistic and threshold show (the one
   * furthest past, or closest to, its threshold), and every descriptor's result.
   */
  descriptor?: TextDescriptor;
  descriptors?: DescriptorDrift[];
  /** The column's share of the monitored version's feature importance, when the version recorded them. */
  importance?: number;
}

export interface DriftReport {
  dataset_drift: boolean;
  drift_share: number;
  share_of_drifted_columns: number;
  number_of_columns: number;
  number_of_drifted_columns: number;
  number_of_column_errors: number;
  /**
   * The current data's columns are mostly not the reference's (more than half of the reference's
   * columns are missing), or no column could be compared at all: an alert like dataset drift, never
   * "no drift" (a misread file or a renamed schema must not look like calm data).
   */
  schema_drift?: boolean;
  /** Why there is schema drift, in a sentence naming the columns. */
  schema_drift_reason?: string;
  /** Reference columns the current data lacks, and current columns the reference lacks. */
  missing_columns?: string[];
  new_columns?: string[];
  /** Tested columns without a verdict (counted in number_of_columns, not as drifted). */
  number_of_undecided_columns: number;
  columns: ColumnDrift[];
  /** How much of the model's importance drifted (see ../importance.ts), when the version recorded importances. */
  importance?: ImportanceDrift;
}

/** The drifted columns weighed by the monitored version's feature importances. */
export interface ImportanceDrift {
  /** Share of the model's importance held by the drifted columns, in [0, 1]. */
  drifted_share: number;
  /** Drifted columns that are features of the model, most important first, with their shares. */
  drifted_columns: Array<{ name: string; share: number }>;
  /** `monitor.importance_drift_share`, when set: the dataset drifts at this share instead of `drift_share`. */
  threshold?: number;
  /** What decided `dataset_drift`: the importance-weighted share, or the count of drifted columns. */
  decided_by: "importance" | "columns";
  /** Where the importances came from (e.g. `importances.json of v1.4.0`), or why the rule could not apply. */
  note?: string;
}

/** More than this share of the reference's columns missing from the current data is schema drift. */
const SCHEMA_DRIFT_MISSING_SHARE = 0.5;

function listed(names: string[], limit = 10): string {
  const shown = names.slice(0, limit).map((name) => JSON.stringify(name));
  return names.length > limit ? `${shown.join(", ")} and ${names.length - limit} more` : shown.join(", ");
}

/** Schema drift and its reason, from the columns compared (see DriftReport.schema_drift). */
function schemaDrift(
  compared: number,
  tested: number,
  missing: string[],
  added: string[],
): { schema_drift: boolean; schema_drift_reason?: string } {
  const extra = added.length > 0 ? `; columns new in the current data: ${listed(added)}` : "";
  if (compared > 0 && missing.length > SCHEMA_DRIFT_MISSING_SHARE * compared)
    return {
      schema_drift: true,
      schema_drift_reason: `${missing.length} of the reference's ${compared} columns are missing from the current data: ${listed(missing)}${extra}`,
    };
  if (tested === 0 && (compared > 0 || added.length > 0))
    return {
      schema_drift: true,
      schema_drift_reason:
        compared === 0
          ? `the reference has no columns to compare${extra}`
          : `none of the reference's ${compared} columns could be compared with the current data (see each column's error)${extra}`,
    };
  return { schema_drift: false };
}

function compatible(type: ColumnType, cur: ColumnProfile): boolean {
  if (cur.kind === "null") return true;
  if (type === "numeric") return cur.kind === "integer" || cur.kind === "float";
  return true;
}

function testColumn(
  ref: ColumnProfile,
  cur: ColumnProfile | undefined,
  reference: DatasetProfile,
  options: DriftOptions,
): ColumnDrift {
  const type = inferColumnType(ref);
  const base: ColumnDrift = {
    name: ref.name,
    type,
    test: null,
    statistic: null,
    threshold: null,
    drift: false,
  };
  if (!cur) return { ...base, error: "column is missing from the current data" };
  if (type === "empty") return { ...base, error: "reference column has no non-null values" };
  if (!compatible(type, cur))
    return { ...base, error: `type changed: reference is ${ref.kind} (${type}), current is ${cur.kind}` };
  const mode = options.thresholds ?? "fixed";
  const nullSample = reference.chunks?.columns[ref.name];
  if (type === "text") return { ...base, ...testTextColumn({ ref, cur, reference, mode, nullSample }) };
  const choice = { ...options.perType?.[type], ...options.perColumn?.[ref.name] };
  let test: TestName | null = null;
  try {
    test = choice.test ?? defaultTest(type, ref, cur);
    return {
      ...base,
      ...decide({ test, ref, cur, reference, configured: choice.threshold, mode, nullSample }),
    };
  } catch (error) {
    // A column that cannot be tested must not stop the others; bugs still surface as their message.
    const message = error instanceof ColumnTestError ? error.message : `test failed: ${String(error)}`;
    return { ...base, test, error: message };
  }
}

/**
 * Compares the current profile with the reference column by column and gives the dataset verdict.
 * Column problems (missing, empty, text, type change, a test that cannot apply) are reported on the
 * column with `error` and leave the rest of the report intact. Columns only in the current data are
 * reported as errors too, so that a new column is visible.
 */
export function detectDrift(input: {
  reference: DatasetProfile;
  current: DatasetProfile;
  options?: DriftOptions;
}): DriftReport {
  const { reference, current } = input;
  const options = input.options ?? {};
  const driftShare = options.driftShare ?? 0.5;
  const currentByName = new Map(current.columns.map((c) => [c.name, c]));
  const selected = options.columns ? new Set(options.columns) : undefined;
  const columns: ColumnDrift[] = [];
  for (const ref of reference.columns) {
    if (selected && !selected.has(ref.name)) continue;
    columns.push(testColumn(ref, currentByName.get(ref.name), reference, options));
  }
  const known = new Set(reference.columns.map((c) => c.name));
  for (const cur of current.columns)
    if (!known.has(cur.name) && (!selected || selected.has(cur.name)))
      columns.push({
        name: cur.name,
        type: "unknown",
        test: null,
        statistic: null,
        threshold: null,
        drift: false,
        error: "column is new: not in the reference profile",
      });
  if (selected)
    for (const name of selected)
      if (!columns.some((c) => c.name === name))
        columns.push({
          name,
          type: "unknown",
          test: null,
          statistic: null,
          threshold: null,
          drift: false,
          error: "no such column",
        });
  const tested = columns.filter((c) => c.error === undefined);
  const drifted = tested.filter((c) => c.drift).length;
  const share = tested.length > 0 ? drifted / tested.length : 0;
  const compared = reference.columns.filter((c) => !selected || selected.has(c.name));
  const missing = compared.filter((c) => !currentByName.has(c.name)).map((c) => c.name);
  const added = current.columns
    .filter((c) => !known.has(c.name) && (!selected || selected.has(c.name)))
    .map((c) => c.name);
  return {
    dataset_drift: tested.length > 0 && share >= driftShare,
    drift_share: driftShare,
    share_of_drifted_columns: share,
    number_of_columns: tested.length,
    number_of_drifted_columns: drifted,
    number_of_column_errors: columns.length - tested.length,
    ...schemaDrift(compared.length, tested.length, missing, added),
    missing_columns: missing,
    new_columns: added,
    number_of_undecided_columns: tested.filter((c) => c.undecided).length,
    columns,
  };
}
