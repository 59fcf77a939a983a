/**
 * A compact plain-text report for a terminal (`gitml evaluate` without --json).
 */
import {
  formatDelta,
  formatNumber,
  formatPercent,
  gateIcon,
  gatesByMetric,
  oneLine,
  verdictOf,
  verdictSentence,
} from "./format";
import type { EvaluationReport } from "./types";

const VERDICT_WORD = { pass: "PASS", warn: "PASS (with warnings)", fail: "FAIL" } as const;

export function renderText(report: EvaluationReport, options: { maxRows?: number } = {}): string {
  const maxRows = options.maxRows ?? 50;
  const lines: string[] = [];
  const against = report.baseline
    ? `vs ${oneLine(report.baseline.stage)} ${oneLine(report.baseline.version)}`
    : `first version: no baseline in ${oneLine(report.compareTo)}`;
  lines.push(`${oneLine(report.model)} ${oneLine(report.candidate.version)} ${against}`);
  lines.push(`${VERDICT_WORD[verdictOf(report)]}: ${verdictSentence(report)}`);
  for (const gate of report.gates.gates) {
    lines.push(`  ${gateIcon(gate)} ${oneLine(gate.metric)} ${oneLine(gate.rule)}: ${oneLine(gate.detail)}`);
  }
  const gates = gatesByMetric(report);
  const rows = report.comparison.slice(0, maxRows).map((row) => {
    const gate = (gates.get(row.name) ?? []).map(gateIcon).join("");
    const arrow = row.better === undefined ? "" : row.better ? "better" : "worse";
    return report.baseline
      ? [
          oneLine(row.name),
          formatNumber(row.baseline),
          formatNumber(row.candidate),
          formatDelta(row.delta),
          formatPercent(row.deltaPct),
          arrow,
          gate,
        ]
      : [oneLine(row.name), formatNumber(row.candidate), gate];
  });
  if (rows.length) {
    const header = report.baseline
      ? ["metric", "baseline", "candidate", "delta", "delta%", "", "gate"]
      : ["metric", "candidate", "gate"];
    const all = [header, ...rows];
    const widths = header.map((_, i) => Math.max(...all.map((r) => [...r[i]].length)));
    lines.push("");
    for (const row of all) {
      lines.push(
        row
          .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
          .join("  ")
          .trimEnd(),
      );
    }
    const hidden = report.comparison.length - rows.length;
    if (hidden > 0) lines.push(`… ${hidden} more metrics`);
  }
  if (report.links.runUrl) lines.push("", `run: ${oneLine(report.links.runUrl)}`);
  if (report.links.fullReportUrl) lines.push(`full report: ${oneLine(report.links.fullReportUrl)}`);
  return `${lines.join("\n")}\n`;
}
