import { markdownTable } from "markdown-table";
import type { ModelMonitorResult } from "../commands/monitor";
import type { DatasetProfile } from "../monitor";
import { oneLine } from "../report/format";
import { json, out } from "./print";

export function printProfile(result: { profile: DatasetProfile; output?: string }): void {
  if (!result.output) return out(JSON.stringify(result.profile));
  const columns = result.profile.columns.length;
  out(`profiled ${result.profile.rows} rows × ${columns} columns into ${result.output}`);
}

export function printMonitor(results: ModelMonitorResult[], asJson: boolean): void {
  if (asJson) {
    // One model: the drift report itself (the documented shape); several: one entry per model.
    const entries = results.map((r) => ({
      model: r.model,
      version: r.version ?? null,
      stage: r.stage,
      ...r.drift,
      prediction_column: r.predictionColumn ?? null,
      performance: r.performance ?? null,
      report: r.report,
      alert: r.alert,
    }));
    return json(entries.length === 1 ? entries[0] : entries);
  }
  for (const r of results) {
    const d = r.drift;
    if (d.schema_drift)
      out(`${r.model}${r.version ? `@${r.version}` : ""}: SCHEMA DRIFT: ${d.schema_drift_reason ?? ""}`);
    const verdict = d.dataset_drift ? "DATASET DRIFT" : "no dataset drift";
    const undecided = d.number_of_undecided_columns ? `, ${d.number_of_undecided_columns} undecided` : "";
    const importance = d.importance;
    const rule =
      importance?.decided_by === "importance"
        ? `importance share ${importance.drifted_share.toFixed(2)}, threshold ${importance.threshold}`
        : `share ${d.share_of_drifted_columns.toFixed(2)}, threshold ${d.drift_share}`;
    out(
      `${r.model}${r.version ? `@${r.version}` : ""}: ${verdict} (${d.number_of_drifted_columns}/${d.number_of_columns} columns drifted${undecided}, ${rule})`,
    );
    if (importance && d.columns.some((c) => c.importance !== undefined)) {
      const named = importance.drifted_columns
        .slice(0, 5)
        .map((c) => `${oneLine(c.name)} ${(c.share * 100).toPrecision(3)}%`)
        .join(", ");
      out(
        `  drifted columns hold ${(importance.drifted_share * 100).toPrecision(3)}% of the model's importance${named ? `: ${named}` : ""}`,
      );
    } else if (importance?.note) out(`  ${oneLine(importance.note)}`);
    const number = (x: number): string => (Number.isFinite(x) ? x.toPrecision(4) : String(x));
    const withRange = (x: number, range?: [number, number]): string =>
      range ? `${number(x)} (${number(range[0])}..${number(range[1])})` : number(x);
    out(
      markdownTable([
        ["column", "type", "test", "statistic", "p-value", "threshold", "drift"],
        ...d.columns.map((c) => [
          oneLine(c.name),
          c.type,
          c.test ?? "-",
          c.statistic === null ? "-" : withRange(c.statistic, c.statistic_range),
          c.p_value === undefined ? "-" : withRange(c.p_value, c.p_value_range),
          c.threshold === null ? "-" : String(c.threshold),
          c.error ? `error: ${oneLine(c.error)}` : c.drift ? "DRIFT" : c.undecided ? "undecided" : "ok",
        ]),
      ]),
    );
    out(`report: ${r.report}`);
    if (r.performance) {
      const p = r.performance;
      out(
        `performance: ${p.metric} ${p.current ?? "-"} vs ${p.reference ?? "-"} at registration${p.decayed ? " (DECAYED beyond the tolerance " + p.tolerance + ")" : ""}`,
      );
    }
    if (r.alert.action !== "none") out(`alert ${r.alert.action}: ${r.alert.file}`);
  }
}
