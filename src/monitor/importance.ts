/**
 * Drift triage by feature importance: which drifted columns matter to the model. The monitored version's
 * importances weigh each drifted column, so twelve drifted columns the model ignores read differently from
 * one it leans on; with `monitor.importance_drift_share` that weighted share, not the column count,
 * decides whether the data set drifted.
 */
import { driftedImportance } from "../evaluate/importances";
import type { DriftReport } from "./tests/detect";

export function weighDriftByImportance(
  report: DriftReport,
  options: {
    /** Feature → share of the model's importance; undefined when the version recorded none. */
    shares?: Readonly<Record<string, number>>;
    /** `monitor.importance_drift_share`. */
    threshold?: number;
    /** Where the shares came from, for the report. */
    source?: string;
  },
): DriftReport {
  const { shares, threshold } = options;
  if (!shares) {
    if (threshold === undefined) return report;
    return {
      ...report,
      importance: {
        drifted_share: 0,
        drifted_columns: [],
        threshold,
        decided_by: "columns",
        note: "monitor.importance_drift_share is set, but the monitored version recorded no feature importances (outputs.importances): the share of drifted columns decided",
      },
    };
  }
  const drifted = report.columns.filter((c) => c.drift && !c.error).map((c) => c.name);
  const weighed = driftedImportance(shares, drifted);
  const columns = report.columns.map((c) =>
    Object.hasOwn(shares, c.name) ? { ...c, importance: shares[c.name]! } : c,
  );
  const decidedByImportance = threshold !== undefined;
  return {
    ...report,
    columns,
    // Tested columns only: with nothing compared there is no drift to weigh, and schema drift alerts anyway.
    dataset_drift: decidedByImportance
      ? report.columns.some((c) => !c.error && c.test !== null) && weighed.share >= threshold
      : report.dataset_drift,
    importance: {
      drifted_share: weighed.share,
      drifted_columns: weighed.columns,
      ...(threshold === undefined ? {} : { threshold }),
      decided_by: decidedByImportance ? "importance" : "columns",
      ...(options.source ? { note: options.source } : {}),
    },
  };
}
