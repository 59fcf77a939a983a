/**
 * Formatting and escaping shared by the markdown, HTML and text renderers.
 */
import type { ComparisonRow, GateResult } from "../evaluate/gates";
import type { CellValue, CheckResult, SliceRow, SuiteSource } from "../suites/types";
import type { EvaluationReport } from "./types";
import { UserError } from "../util/errors";
import { formatNumber } from "../util/format";

// Number formatting lives in util/ (suites word their findings with it too); the renderers import it from here.
export { formatNumber };

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

function gatesVerdict(report: EvaluationReport): Verdict {
  if (report.gates.overall === "fail") return "fail";
  return report.gates.warned > 0 ? "warn" : "pass";
}

/** The report's verdict: the worse of the gates' and the suite checks'. */
export function verdictOf(report: EvaluationReport): Verdict {
  const counts = checkCounts(report.suite?.checks ?? []);
  const checks: Verdict = counts.failed > 0 ? "fail" : counts.warnings > 0 ? "warn" : "pass";
  const gates = gatesVerdict(report);
  if (gates === "fail" || checks === "fail") return "fail";
  return gates === "warn" || checks === "warn" ? "warn" : "pass";
}

export const VERDICT_ICON: Record<Verdict, string> = { pass: "✅", warn: "⚠️", fail: "❌" };

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

function gatesSentence(report: EvaluationReport): string {
  const { gates } = report;
  const total = gates.gates.length;
  if (total === 0) return "No gates configured";
  const evaluated = gates.gates.filter((g) => !g.skipped).length;
  const passed = gates.gates.filter((g) => g.passed && !g.skipped).length;
  const skipped = total - evaluated;
  const skippedNote = skipped ? `, ${skipped} skipped` : "";
  switch (gatesVerdict(report)) {
    case "fail":
      return `Gates failed: ${gates.failed} of ${total} failed${gates.warned ? `, ${plural(gates.warned, "warning")}` : ""}${skippedNote}`;
    case "warn":
      return `Gates passed with warnings: ${plural(gates.warned, "advisory gate")} failed${skippedNote}`;
    default:
      return `All gates passed (${passed} of ${evaluated}${skippedNote})`;
  }
}

function checksSentence(counts: CheckCounts): string {
  const count = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? "" : "s"}`;
  if (counts.failed > 0) {
    const warnings = counts.warnings ? `, ${count(counts.warnings, "warning")}` : "";
    return `Checks failed: ${formatCount(counts.failed)} of ${formatCount(counts.total)} failed${warnings}`;
  }
  if (counts.warnings > 0)
    return `Checks passed with warnings: ${count(counts.warnings, "advisory check")} failed`;
  return `All checks passed (${formatCount(counts.passed)} of ${formatCount(counts.total)})`;
}

/** The verdict in words: the gates' sentence, then the suite checks' when there are any. */
export function verdictSentence(report: EvaluationReport): string {
  const checks = report.suite?.checks ?? [];
  if (!checks.length) return gatesSentence(report);
  const checksText = checksSentence(checkCounts(checks));
  if (!report.gates.gates.length) return checksText;
  return `${gatesSentence(report)} · ${checksText}`;
}

// --- suite checks -------------------------------------------------------------------------------

export interface CheckCounts {
  total: number;
  passed: number;
  /** Checks that did not pass and fail the report (severity `error`), including those not evaluated. */
  failed: number;
  /** Checks that did not pass but only warn (severity `warning`), including those not evaluated. */
  warnings: number;
  /** Checks with status `error`: they could not be evaluated (counted in failed or warnings too). */
  notEvaluated: number;
}

export function checkCounts(checks: readonly CheckResult[]): CheckCounts {
  const counts: CheckCounts = { total: checks.length, passed: 0, failed: 0, warnings: 0, notEvaluated: 0 };
  for (const check of checks) {
    if (check.status === "pass") {
      counts.passed++;
      continue;
    }
    if (check.status === "error") counts.notEvaluated++;
    if (check.severity === "warning") counts.warnings++;
    else counts.failed++;
  }
  return counts;
}

/** One line for the checks section: `45 passed · ❌ 2 failed · ⚠️ 1 warning · 1 not evaluated`. */
export function checkSummaryParts(counts: CheckCounts): string[] {
  const parts = [`${formatCount(counts.passed)} passed`];
  if (counts.failed) parts.push(`❌ ${formatCount(counts.failed)} failed`);
  if (counts.warnings)
    parts.push(`⚠️ ${formatCount(counts.warnings)} warning${counts.warnings === 1 ? "" : "s"}`);
  if (counts.notEvaluated) parts.push(`${formatCount(counts.notEvaluated)} could not be evaluated`);
  return parts;
}

export function checkIcon(check: CheckResult): string {
  if (check.status === "pass") return "✅";
  return check.severity === "warning" ? "⚠️" : "❌";
}

/** Checks that did not pass, those that fail the report first; otherwise in the order they were run. */
export function failingChecks(checks: readonly CheckResult[]): CheckResult[] {
  const notPassed = checks.filter((c) => c.status !== "pass");
  return [
    ...notPassed.filter((c) => c.severity !== "warning"),
    ...notPassed.filter((c) => c.severity === "warning"),
  ];
}

/** Checks grouped by the suite that declared them, in order of first appearance. */
export function groupBySuite(checks: readonly CheckResult[]): Map<string, CheckResult[]> {
  const groups = new Map<string, CheckResult[]>();
  for (const check of checks) {
    const group = groups.get(check.suite) ?? [];
    group.push(check);
    groups.set(check.suite, group);
  }
  return groups;
}

/** The suite's name as shown, with the commit a remote suite resolved to (raw: renderers escape). */
export function suiteLabel(suite: string, sources: readonly SuiteSource[] = []): string {
  const commit = sources.find((s) => s.name === suite)?.commit;
  return commit ? `${suite} (commit ${commit.slice(0, 12)})` : suite;
}

/** `train · age`, `train`, `age` or `` (raw: renderers escape). */
export function checkLocation(check: CheckResult): string {
  return [check.data, check.column].filter((part): part is string => Boolean(part)).join(" · ");
}

/** The observed value, or why there is none. */
export function checkObserved(check: CheckResult): string {
  if (check.status === "error") return "not evaluated";
  return formatNumber(check.observed);
}

/** A failing value as a person would type it; long strings shortened (raw: renderers escape). */
export function formatExample(value: CellValue, maxLength = 40): string {
  if (value === null) return "null";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean") return String(value);
  return clip(value, maxLength);
}

/** At most `maxLength` characters, with `…` when cut; never splits a surrogate pair. */
export function clip(text: string, maxLength: number): string {
  const chars = [...text];
  return chars.length > maxLength ? `${chars.slice(0, maxLength - 1).join("")}…` : text;
}

/** A count with thousands separators: `12,345`. */
export function formatCount(value: number): string {
  if (!Number.isInteger(value)) return formatNumber(value);
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** The slice rows of a table with the weakest first (stable otherwise), so a shortened table keeps them. */
export function weakestFirst(rows: readonly SliceRow[]): SliceRow[] {
  return [...rows.filter((r) => r.weakest), ...rows.filter((r) => !r.weakest)];
}

/** Per-class confusion matrices are shown as tables up to this many classes. */
export const MAX_CONFUSION_CLASSES = 20;

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

/** The sticky marker's alphabet; no "--" either, which would close the HTML comment. */
const MARKER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/;

/** `value` in the marker's alphabet: any other character becomes "-", runs of "-" one, led by a letter or digit. */
export function markerPart(value: string): string {
  return value
    .replace(/[^A-Za-z0-9._:/@+-]/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "");
}

/**
 * The hidden HTML comment that identifies a gitml comment or issue body — the one encoder of markers, so
 * the line a report carries and the one the sticky comment is found by are always the same.
 */
export function markerComment(marker: string): string {
  if (!MARKER_PATTERN.test(marker) || marker.includes("--")) {
    throw new UserError(
      `invalid comment marker "${marker}": use letters, digits and . _ : / @ + - (no "--"), starting with a letter or digit`,
    );
  }
  return `<!-- gitml:${marker} -->`;
}

/** The line that identifies a model's sticky comment, any marker made safe first. */
export function stickyMarkerLine(marker: string): string {
  return markerComment(markerPart(marker) || "report");
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

/**
 * Characters that change how text around them is shown without showing themselves: bidi embeddings,
 * overrides, isolates and marks, zero-width spaces and joiners, the word joiner and invisible operators,
 * the byte-order mark. A name holding one could pose as another (`acc\u202Eycarucca`).
 */
const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** Invisible characters written out as `\uXXXX`, so that what a name holds is what the reader sees. */
export function showInvisible(text: string): string {
  return text.replace(
    INVISIBLE,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
  );
}

/**
 * Newlines and control characters become spaces, invisible characters `\uXXXX`: one user string is
 * always one line, shown as it is. Every renderer (markdown, HTML, text, terminal) passes user strings
 * through here.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return showInvisible(text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " "));
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
