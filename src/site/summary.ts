/** What the index and a model page both say about a model: its monitoring status, its last change. */
import type { CatalogEvent, CatalogModel, MonitoringRun } from "./types";

export type MonitoringStatus = "drift" | "ok" | "error" | "pending" | "none";

export interface MonitoringSummary {
  status: MonitoringStatus;
  /** Short text for the badge: `drift`, `ok`, `no run yet`, `not monitored`. */
  label: string;
  /** What the last run found, in a sentence; undefined when there is none. */
  detail?: string;
  lastRun?: MonitoringRun;
  alertOpen: boolean;
}

export function monitoringSummary(model: CatalogModel): MonitoringSummary {
  const monitoring = model.monitoring;
  if (!monitoring) return { status: "none", label: "not monitored", alertOpen: false };
  const lastRun = monitoring.runs[0];
  if (!lastRun) return { status: "pending", label: "no run yet", alertOpen: monitoring.alertOpen };
  if (lastRun.error !== undefined)
    return {
      status: "error",
      label: "run failed",
      detail: lastRun.error,
      lastRun,
      alertOpen: monitoring.alertOpen,
    };
  return {
    status: lastRun.alerting ? "drift" : "ok",
    label: lastRun.alerting ? "drift" : "ok",
    detail: runFindings(lastRun),
    lastRun,
    alertOpen: monitoring.alertOpen,
  };
}

/** `dataset drift: 3 of 10 columns (30%)`, `schema drift`, `accuracy decayed`, or `no drift`. */
export function runFindings(run: MonitoringRun): string {
  if (run.error !== undefined) return `the run failed: ${run.error}`;
  const findings: string[] = [];
  if (run.schemaDrift) findings.push("schema drift");
  const share = `${run.driftedColumns} of ${run.columns} column${run.columns === 1 ? "" : "s"} drifted (${percent(run.driftedShare)})`;
  findings.push(run.datasetDrift ? `dataset drift: ${share}` : share);
  if (run.performance?.decayed) findings.push(`${run.performance.metric} decayed`);
  return findings.join("; ");
}

export function percent(share: number): string {
  if (!Number.isFinite(share)) return "—";
  return `${Math.round(share * 1000) / 10}%`;
}

/** The model's most recent event, in words. */
export function lastChange(model: CatalogModel): CatalogEvent | undefined {
  let last: CatalogEvent | undefined;
  for (const event of model.events) if (!last || event.date >= last.date) last = event;
  return last;
}

export function describeEvent(event: CatalogEvent): string {
  const version = event.version ?? "";
  switch (event.kind) {
    case "register":
      return `registered ${version}`;
    case "promote":
      return `promoted ${version} to ${event.stage}${event.previous ? ` (was ${event.previous})` : ""}`;
    case "rollback":
      return `rolled ${event.stage} back to ${version}${event.previous ? ` (from ${event.previous})` : ""}`;
    case "unassign":
      return `took ${event.stage} from ${version}`;
    case "deregister":
      return `deregistered ${version}`;
    case "deprecate":
      return "deprecated the model";
  }
}
