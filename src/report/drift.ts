import { markdownTable } from "markdown-table";
import type { DriftReport } from "../monitor";
import { formatNumber, safeUrl, stickyMarkerLine } from "./format";
import { escapeMarkdown } from "./markdown";

export interface DriftReportContext {
  model: string;
  /** The version whose reference profile was compared, e.g. `v1.4.0`, and its stage. */
  version?: string;
  stage?: string;
  referenceRows: number;
  currentRows: number;
  runUrl?: string;
}

/** The drift report as markdown: the verdict, one row per column, a chart of the drift scores. */
export function renderDriftMarkdown(report: DriftReport, context: DriftReportContext): string {
  const model = escapeMarkdown(context.model);
  const against = context.version
    ? ` against ${escapeMarkdown(context.version)}${context.stage ? ` (${escapeMarkdown(context.stage)})` : ""}`
    : "";
  const verdict = report.dataset_drift
    ? `🔴 **Dataset drift**: ${report.number_of_drifted_columns} of ${report.number_of_columns} columns drifted (share ${formatNumber(report.share_of_drifted_columns)} ≥ ${formatNumber(report.drift_share)})`
    : `🟢 **No dataset drift**: ${report.number_of_drifted_columns} of ${report.number_of_columns} columns drifted (share ${formatNumber(report.share_of_drifted_columns)} < ${formatNumber(report.drift_share)})`;
  const lines = [
    stickyMarkerLine(`monitor:${context.model}`),
    `### gitml · drift · ${model}${against}`,
    "",
    verdict,
    "",
    `Reference: ${context.referenceRows} rows · current: ${context.currentRows} rows${report.number_of_column_errors ? ` · ${report.number_of_column_errors} column(s) could not be tested` : ""}`,
    "",
    markdownTable(
      [
        ["Column", "Type", "Test", "Statistic", "p-value", "Threshold", "Drift"],
        ...[...report.columns]
          .sort((a, b) => Number(b.drift) - Number(a.drift) || a.name.localeCompare(b.name))
          .map((c) => [
            escapeMarkdown(c.name),
            c.type,
            c.test ?? "-",
            c.statistic === null ? "-" : formatNumber(c.statistic),
            c.p_value === undefined ? "-" : formatNumber(c.p_value),
            c.threshold === null ? "-" : formatNumber(c.threshold),
            c.error ? `⚠️ ${escapeMarkdown(c.error)}` : c.drift ? "🔴 drift" : "🟢",
          ]),
      ],
      { align: ["l", "l", "l", "r", "r", "r", "l"] },
    ),
  ];
  const charted = report.columns
    .filter((c) => c.statistic !== null && c.threshold !== null && !c.p_value)
    .slice(0, 30);
  if (charted.length > 0) {
    // Distance tests only: their statistic and threshold share a scale, so bars and the line compare.
    const label = (name: string) => JSON.stringify(name.replace(/[^\w .-]/g, "_").slice(0, 30));
    lines.push(
      "",
      "```mermaid",
      "xychart-beta",
      '  title "Drift score by column (line: threshold)"',
      `  x-axis [${charted.map((c) => label(c.name)).join(", ")}]`,
      `  bar [${charted.map((c) => formatNumber(c.statistic!)).join(", ")}]`,
      `  line [${charted.map((c) => formatNumber(c.threshold!)).join(", ")}]`,
      "```",
    );
  }
  const runUrl = safeUrl(context.runUrl);
  if (runUrl) lines.push("", `[Workflow run](${runUrl})`);
  return `${lines.join("\n")}\n`;
}
