/**
 * Formatting and escaping shared by the markdown, HTML and text renderers.
 */
import type { ComparisonRow, GateResult } from "../evaluate/gates";
import type { EvaluationReport } from "./types";

const SIGNIFICANT_DIGITS = 4;

/** A metric value for people: integers as they are, others to 4 significant digits, exponent only when tiny or huge. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined) return "—";
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) && magnitude < 1e15) return String(value);
  if (magnitude >= 1e6 || magnitude < 1e-4) return trimExponent(value.toExponential(SIGNIFICANT_DIGITS - 1));
  if (magnitude >= 10 ** SIGNIFICANT_DIGITS) return String(Math.round(value));
  return String(Number(value.toPrecision(SIGNIFICANT_DIGITS)));
}

function trimExponent(text: string): string {
  return text.replace(/\.?0+e/, "e").replace("e+", "e");
}

/** A signed difference: `+0.012`, `-3`, `0`. */
export function formatDelta(value: number | undefined): string {
  if (value === undefined) return "—";
  if (value === 0) return "0";
  const text = formatNumber(value);
  return value > 0 ? `+${text}` : text;
}

/** A signed percentage: `+1.5%`; `—` when undefined (a zero baseline). */
export function formatPercent(value: number | undefined): string {
  if (value === undefined) return "—";
  if (value === 0) return "0%";
  const magnitude = Math.abs(value);
  const text = magnitude >= 100 ? String(Math.round(magnitude)) : String(Number(magnitude.toPrecision(2)));
  // A change too small for 2 digits still shows its sign rather than a misleading 0%.
  const shown = text === "0" ? "<0.01" : text;
  return `${value > 0 ? "+" : "-"}${shown}%`;
}

/** ▲/▼ for the change's sign, with 🟢/🔴 for whether it is good for this metric's direction. */
export function trendArrow(row: ComparisonRow): string {
  if (row.delta === undefined || row.delta === 0 || row.better === undefined) return "";
  const arrow = row.delta > 0 ? "▲" : "▼";
  return `${arrow} ${row.better ? "🟢" : "🔴"}`;
}

export type Verdict = "pass" | "warn" | "fail";

export function verdictOf(report: EvaluationReport): Verdict {
  if (report.gates.overall === "fail") return "fail";
  return report.gates.warned > 0 ? "warn" : "pass";
}

export const VERDICT_ICON: Record<Verdict, string> = { pass: "✅", warn: "⚠️", fail: "❌" };

export function verdictSentence(report: EvaluationReport): string {
  const { gates } = report;
  const total = gates.gates.length;
  if (total === 0) return "No gates configured";
  const evaluated = gates.gates.filter((g) => !g.skipped).length;
  const passed = gates.gates.filter((g) => g.passed && !g.skipped).length;
  const skipped = total - evaluated;
  const skippedNote = skipped ? `, ${skipped} skipped` : "";
  switch (verdictOf(report)) {
    case "fail":
      return `Gates failed: ${gates.failed} of ${total} failed${gates.warned ? `, ${gates.warned} warning${gates.warned > 1 ? "s" : ""}` : ""}${skippedNote}`;
    case "warn":
      return `Gates passed with warnings: ${gates.warned} advisory gate${gates.warned > 1 ? "s" : ""} failed${skippedNote}`;
    default:
      return `All gates passed (${passed} of ${evaluated}${skippedNote})`;
  }
}

export function gateIcon(gate: GateResult): string {
  if (gate.skipped) return "⏭️";
  if (gate.passed) return "✅";
  return gate.severity === "warning" ? "⚠️" : "❌";
}

export function gatesByMetric(report: EvaluationReport): Map<string, GateResult[]> {
  const byMetric = new Map<string, GateResult[]>();
  for (const gate of report.gates.gates) {
    const list = byMetric.get(gate.metric) ?? [];
    list.push(gate);
    byMetric.set(gate.metric, list);
  }
  return byMetric;
}

/** The line that identifies a model's sticky comment. Restricted to a safe alphabet so it can never close the comment. */
export function stickyMarkerLine(marker: string): string {
  // A single "-" is common in model names; runs of them are what could close the comment ("-->").
  const safe = marker.replace(/[^A-Za-z0-9._:/@#=+-]/g, "_").replace(/-{2,}/g, "-");
  return `<!-- gitml:${safe} -->`;
}

/** Metrics drawn in the trend: gated metrics the candidate reports (at most `max`), else the first metric. */
export function trendMetrics(report: EvaluationReport, max = 3): string[] {
  const gated = [...new Set(report.gates.gates.map((g) => g.metric))].filter((m) =>
    Object.hasOwn(report.candidate.metrics, m),
  );
  const chosen = gated.length
    ? gated
    : report.comparison.filter((r) => r.candidate !== undefined).map((r) => r.name);
  return chosen.slice(0, max);
}

/** Points of one metric's trend, oldest first, ending with the candidate; versions without the metric are left out. */
export function trendSeries(
  report: EvaluationReport,
  metric: string,
  maxPoints = 20,
): { label: string; value: number }[] {
  const points = report.trend
    .filter((p) => Object.hasOwn(p.metrics, metric) && Number.isFinite(p.metrics[metric]))
    .map((p) => ({ label: p.version, value: p.metrics[metric] }));
  points.push({ label: report.candidate.version, value: report.candidate.metrics[metric] });
  return points.slice(-maxPoints);
}

/** Only http(s) URLs are linked; anything else is dropped. */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return undefined;
  // URL.href percent-encodes spaces, quotes and angle brackets; these remain and would end a markdown link or attribute.
  return parsed.href.replace(
    /[()'`|*_[\]\\]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

/** Newlines and control characters become spaces: one user string is always one line. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ");
}

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch]);
}
