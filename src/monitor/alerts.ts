/**
 * Where monitoring reports its verdicts: an alert sink keeps one alert per model in step with the verdict
 * (opened on drift, updated while it lasts, closed on recovery), and a retrain trigger asks for a new
 * model while it alerts. The use case (commands/monitor) decides when; the edges choose the sinks: the
 * CLI the local alert file (./alert-file), the action a GitHub issue and, optionally, a dispatch.
 */
import type { DriftReport } from "./tests/detect";
import type { PerformanceResult } from "./performance";

/** One model's verdict, as a sink or trigger sees it. */
export interface MonitoredModel {
  model: string;
  version?: string;
  stage: string;
  drift: DriftReport;
  /** The drift report as markdown (links to the run when there is one). */
  markdown: string;
  /** Dataset drift, schema drift or performance decay: what opens (and keeps open) an alert. */
  alerting: boolean;
  performance?: PerformanceResult;
  /** The model's owners (gitml.yaml `owners`), to notify. */
  owners?: string[];
}

export interface AlertUpdate {
  action: "opened" | "updated" | "commented" | "closed" | "none";
  /** The local alert file. */
  file?: string;
  /** The alert issue. */
  url?: string;
  number?: number;
}

export interface AlertSink {
  /** What the alert is, in progress messages ("alert file", "alert issue"). */
  readonly name: string;
  update(verdict: MonitoredModel): Promise<AlertUpdate>;
}

export interface RetrainOutcome {
  kind: string;
  /** The workflow or event that retrains. */
  target: string;
}

export interface RetrainTrigger {
  /** Called for a model in alert, after its alert sink; undefined when nothing was triggered. */
  trigger(verdict: MonitoredModel, alert: AlertUpdate): Promise<RetrainOutcome | undefined>;
}
