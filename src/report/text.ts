/**
 * A compact plain-text report for a terminal (`gitml evaluate` without --json).
 */
import type { ConfusionMatrix } from "../evaluate/predictions";
import type { SliceTable, SuiteResult } from "../suites/types";
import {
  checkCounts,
  checkIcon,
  checkLocation,
  checkObserved,
  checkSummaryParts,
  failingChecks,
  formatCount,
  formatDelta,
  formatExample,
  formatNumber,
  formatPercent,
  gateIcon,
  gatesByMetric,
  MAX_CONFUSION_CLASSES,
  oneLine,
  suiteLabel,
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
    lines.push("");
    const header = report.baseline
      ? ["metric", "baseline", "candidate", "delta", "delta%", "", "gate"]
      : ["metric", "candidate", "gate"];
    lines.push(...aligned([header, ...rows]));
    const hidden = report.comparison.length - rows.length;
    if (hidden > 0) lines.push(`… ${hidden} more metrics`);
  }
  if (report.importances) lines.push(...importanceLines(report));
  if (report.suite)
    lines.push(...checkLines(report.suite, maxRows), ...sliceLines(report.suite.slices, maxRows));
  if (report.confusionMatrix) lines.push(...confusionLines(report.confusionMatrix));
  if (report.links.runUrl) lines.push("", `run: ${oneLine(report.links.runUrl)}`);
  if (report.links.fullReportUrl) lines.push(`full report: ${oneLine(report.links.fullReportUrl)}`);
  return `${lines.join("\n")}\n`;
}

/** Rows as columns: the first left-aligned, the others right-aligned, two spaces apart. */
function aligned(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? "")].length)));
  const pad = (text: string, width: number, left: boolean) => {
    const fill = " ".repeat(Math.max(0, width - [...text].length));
    return left ? text + fill : fill + text;
  };
  return rows.map((row) =>
    row
      .map((cell, i) => pad(cell, widths[i], i === 0))
      .join("  ")
      .trimEnd(),
  );
}

function importanceLines(report: EvaluationReport): string[] {
  const comparison = report.importances!;
  const percent = (share: number | undefined) =>
    share === undefined ? "-" : `${Number((share * 100).toPrecision(3))}%`;
  const withBaseline = comparison.hasBaseline && report.baseline !== undefined;
  const method = comparison.method ? ` (${oneLine(comparison.method)})` : "";
  const header = withBaseline
    ? ["feature", "rank", "share", `${oneLine(report.baseline!.stage)} rank`, "share", ""]
    : ["feature", "rank", "share"];
  const rows = comparison.rows.map((r) => {
    const base = [
      oneLine(r.feature),
      r.candidateRank === undefined ? "-" : String(r.candidateRank),
      percent(r.candidateShare),
    ];
    if (!withBaseline) return base;
    const note = r.entered ? `entered the top ${comparison.k}` : r.left ? `left the top ${comparison.k}` : "";
    return [
      ...base,
      r.baselineRank === undefined ? "-" : String(r.baselineRank),
      percent(r.baselineShare),
      note,
    ];
  });
  return ["", `feature importances${method}:`, ...aligned([header, ...rows]).map((l) => `  ${l}`)];
}

function checkLines(suite: SuiteResult, maxRows: number): string[] {
  if (!suite.checks.length) return [];
  const lines = ["", `checks: ${checkSummaryParts(checkCounts(suite.checks)).join(", ")}`];
  const failing = failingChecks(suite.checks);
  for (const check of failing.slice(0, maxRows)) {
    const where = [suiteLabel(check.suite, suite.sources), checkLocation(check)].filter(Boolean).join(" · ");
    const examples = check.examples?.length
      ? ` (e.g. ${check.examples
          .slice(0, 5)
          .map((v) => (typeof v === "string" ? JSON.stringify(formatExample(v)) : formatExample(v)))
          .join(", ")})`
      : "";
    lines.push(
      `  ${checkIcon(check)} ${oneLine(check.name)} [${oneLine(where)}]: ${check.status === "error" ? "not evaluated" : `observed ${checkObserved(check)}`}, rule ${oneLine(check.rule)}: ${oneLine(check.detail)}${oneLine(examples)}`,
    );
  }
  const hidden = failing.length - Math.min(failing.length, maxRows);
  if (hidden > 0) lines.push(`  … ${hidden} more failing checks`);
  return lines;
}

function sliceLines(tables: readonly SliceTable[], maxRows: number): string[] {
  const lines: string[] = [];
  for (const slices of tables) {
    lines.push("", `slices by ${oneLine(slices.column)}:`);
    const rows = slices.rows
      .slice(0, maxRows)
      .map((r) => [
        oneLine(r.value),
        formatCount(r.rows),
        ...slices.metrics.map((m) => formatNumber(r.metrics[m] ?? undefined)),
        [r.weakest ? "weakest" : "", r.small ? "small" : ""].filter(Boolean).join(","),
      ]);
    if (rows.length) {
      const header = ["value", "rows", ...slices.metrics.map(oneLine), ""];
      lines.push(...aligned([header, ...rows]).map((l) => `  ${l}`));
    }
    const hidden = slices.rows.length - rows.length;
    if (hidden > 0) lines.push(`  … ${hidden} more slices`);
    const fairness = Object.entries(slices.fairness ?? {});
    if (fairness.length) {
      lines.push(
        `  fairness: ${fairness.map(([name, value]) => `${oneLine(name)} ${formatNumber(value)}`).join(", ")}`,
      );
    }
  }
  return lines;
}

function confusionLines(confusion: ConfusionMatrix): string[] {
  const { labels, matrix } = confusion;
  if (!labels.length) return [];
  if (labels.length > MAX_CONFUSION_CLASSES) {
    return [
      "",
      `confusion matrix: ${labels.length} classes, too many to show (at most ${MAX_CONFUSION_CLASSES})`,
    ];
  }
  const header = ["true \\ predicted", ...labels.map(oneLine)];
  const rows = labels.map((label, i) => [
    oneLine(label),
    ...labels.map((_, j) => formatCount(matrix[i]?.[j] ?? 0)),
  ]);
  return [
    "",
    "confusion matrix (rows: true, columns: predicted):",
    ...aligned([header, ...rows]).map((l) => `  ${l}`),
  ];
}
