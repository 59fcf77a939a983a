/**
 * A model's monitoring as the catalog shows it, from the monitoring history's records (newest first,
 * already validated by the reader in src/monitor/history.ts).
 */
import { monitoringStatus, type MonitoringRecord } from "../monitor/history";
import type { CatalogMonitoring, MonitoringRun } from "./types";

export function catalogMonitoring(
  records: readonly MonitoringRecord[],
  configured: boolean,
): CatalogMonitoring | undefined {
  if (!configured && records.length === 0) return undefined;
  const status = monitoringStatus(records);
  return {
    configured,
    runs: records.map(monitoringRun),
    alertOpen: status.openAlert !== undefined,
    ...(status.openAlert?.url ? { alertUrl: status.openAlert.url } : {}),
  };
}

function monitoringRun(record: MonitoringRecord): MonitoringRun {
  const drift = record.drift;
  return {
    date: Date.parse(record.ranAt) / 1000,
    ...(record.version ? { version: record.version } : {}),
    stage: record.stage,
    datasetDrift: drift?.datasetDrift ?? false,
    schemaDrift: drift?.schemaDrift ?? false,
    driftedShare: drift?.share ?? 0,
    columns: drift?.totalColumns ?? 0,
    driftedColumns: drift?.driftedColumns ?? 0,
    topDrifted: (drift?.topColumns ?? []).map((column) => ({
      name: column.name,
      ...(column.score !== null
        ? { score: column.score, ...(column.scoreKind === "p_value" ? { pValue: true } : {}) }
        : {}),
      ...(column.test ? { test: column.test } : {}),
    })),
    ...(record.performance
      ? {
          performance: {
            metric: record.performance.metric,
            current: record.performance.current,
            reference: record.performance.reference,
            decayed: record.performance.decayed,
          },
        }
      : {}),
    alerting: record.verdict === "drift" || record.verdict === "decay",
    ...(record.verdict === "error" ? { error: record.error ?? "unknown error" } : {}),
    ...(record.runUrl ? { runUrl: record.runUrl } : {}),
  };
}
