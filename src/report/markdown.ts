/**
 * The sticky PR comment, as GitHub-flavoured markdown.
 *
 * Every user-controlled string goes through escapeMarkdown: characters that markdown, GFM tables or
 * HTML treat as syntax become numeric character references. CommonMark never reads a character
 * reference as syntax, and a GFM table splits rows on literal `|` before entities are decoded, so an
 * escaped string cannot forge a table cell, open a code span, a link or an HTML tag. Newlines become
 * spaces so a string cannot end its line (and with it a row, a list item or a fenced block). Mermaid
 * labels use a stricter whitelist (mermaidLabel) because Mermaid does not decode markdown entities.
 *
 * The comment is made of sections separated by invisible `<!-- gitml-section:… -->` lines, which
 * fitToCommentLimit uses to shrink it at clean boundaries.
 */
import { markdownTable } from "markdown-table";
import type { ComparisonRow } from "../evaluate/gates";
import { diffParams, formatParamValue, type ParamDiffRow } from "../evaluate/metrics";
import {
  formatDelta,
  formatNumber,
  formatPercent,
  gateIcon,
  gatesByMetric,
  oneLine,
  safeUrl,
  stickyMarkerLine,
  trendArrow,
  trendMetrics,
  trendSeries,
  VERDICT_ICON,
  verdictOf,
  verdictSentence,
} from "./format";
import type { EvaluationReport } from "./types";

/** GitHub rejects issue and PR comment bodies longer than this. */
export const GITHUB_COMMENT_LIMIT = 65_536;

const MARKDOWN_SPECIAL = /[\\`*_~[\]<>&|!$:@#"']/g;

export function escapeMarkdown(text: string): string {
  return oneLine(text).replace(MARKDOWN_SPECIAL, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A quoted Mermaid string: only characters Mermaid cannot read as syntax, so it can neither end the string nor the block. */
export function mermaidLabel(text: string, maxLength = 40): string {
  const safe = oneLine(text)
    .replace(/[^A-Za-z0-9 ._@+/=-]/g, "_")
    .slice(0, maxLength);
  return `"${safe}"`;
}

/** A number Mermaid's xychart grammar accepts: plain decimal, no exponent. */
export function mermaidNumber(value: number): string {
  const rounded = Number(value.toPrecision(6));
  const text = String(rounded);
  if (!/e/i.test(text)) return text;
  return rounded.toFixed(20).replace(/\.?0+$/, "");
}

type SectionId = "head" | "table" | "trend" | "details" | "footer";
const SECTION_PREFIX = "<!-- gitml-section:";
const sectionLine = (id: SectionId) => `${SECTION_PREFIX}${id} -->`;

export interface MarkdownOptions {
  /** Most versions drawn in the trend chart, candidate included. Default 12. */
  maxTrendPoints?: number;
  /** Most metrics given a trend chart. Default 3. */
  maxTrendCharts?: number;
}

export function renderMarkdown(report: EvaluationReport, options: MarkdownOptions = {}): string {
  const sections: string[] = [renderHead(report), renderTable(report)];
  const trend = renderTrend(report, options);
  if (trend) sections.push(trend);
  const details = renderDetails(report);
  if (details) sections.push(details);
  sections.push(renderFooter(report));
  return `${sections.join("\n\n")}\n`;
}

function renderHead(report: EvaluationReport): string {
  const lines: string[] = [
    stickyMarkerLine(report.marker),
    `### gitml · ${escapeMarkdown(report.model)}`,
    "",
  ];
  const digest = report.candidate.digest ? ` · ${escapeMarkdown(shortDigest(report.candidate.digest))}` : "";
  const candidate = `**Candidate** ${escapeMarkdown(report.candidate.version)}${digest}`;
  if (report.baseline) {
    lines.push(
      `${candidate} vs **${escapeMarkdown(report.baseline.stage)}** ${escapeMarkdown(report.baseline.version)}`,
    );
  } else {
    lines.push(`${candidate} · first version: no baseline in **${escapeMarkdown(report.compareTo)}**`);
  }
  lines.push("", `${VERDICT_ICON[verdictOf(report)]} **${verdictSentence(report)}**`);
  const notable = report.gates.gates.filter((g) => !g.passed || g.skipped);
  if (notable.length) {
    lines.push("");
    for (const gate of notable) {
      lines.push(
        `- ${gateIcon(gate)} **${escapeMarkdown(gate.metric)}** ${escapeMarkdown(gate.rule)}: ${escapeMarkdown(gate.detail)}`,
      );
    }
  }
  return lines.join("\n");
}

function shortDigest(digest: string): string {
  const match = /^(sha256:)?([0-9a-f]{64})$/i.exec(digest);
  return match ? `${match[1] ?? ""}${match[2].slice(0, 12)}` : digest;
}

function renderTable(report: EvaluationReport): string {
  const gates = gatesByMetric(report);
  const gateCell = (row: ComparisonRow) =>
    (gates.get(row.name) ?? []).map((g) => `${gateIcon(g)} ${escapeMarkdown(g.rule)}`).join("<br>");
  const name = (row: ComparisonRow) =>
    row.gated ? `**${escapeMarkdown(row.name)}**` : escapeMarkdown(row.name);
  let table: string;
  if (report.baseline) {
    const header = [
      "Metric",
      `${escapeMarkdown(report.baseline.stage)} ${escapeMarkdown(report.baseline.version)}`,
      "Candidate",
      "Δ",
      "Δ %",
      "",
      "Gate",
    ];
    const rows = report.comparison.map((row) => [
      name(row),
      formatNumber(row.baseline),
      formatNumber(row.candidate),
      formatDelta(row.delta),
      formatPercent(row.deltaPct),
      trendArrow(row),
      gateCell(row),
    ]);
    table = markdownTable([header, ...rows], {
      align: ["l", "r", "r", "r", "r", "c", "l"],
      alignDelimiters: false,
    });
  } else {
    const rows = report.comparison.map((row) => [name(row), formatNumber(row.candidate), gateCell(row)]);
    table = markdownTable([["Metric", "Candidate", "Gate"], ...rows], {
      align: ["l", "r", "l"],
      alignDelimiters: false,
    });
  }
  if (report.comparison.length === 0) table = "_No metrics reported._";
  return `${sectionLine("table")}\n${table}`;
}

function renderTrend(report: EvaluationReport, options: MarkdownOptions): string | undefined {
  const charts: string[] = [];
  for (const metric of trendMetrics(report, options.maxTrendCharts ?? 3)) {
    const series = trendSeries(report, metric, options.maxTrendPoints ?? 12);
    if (series.length < 2) continue;
    charts.push(
      [
        "```mermaid",
        "xychart-beta",
        `  title ${mermaidLabel(metric, 60)}`,
        `  x-axis [${series.map((p) => mermaidLabel(p.label, 24)).join(", ")}]`,
        `  y-axis ${mermaidLabel(metric, 60)}`,
        `  line [${series.map((p) => mermaidNumber(p.value)).join(", ")}]`,
        "```",
      ].join("\n"),
    );
  }
  if (!charts.length) return undefined;
  return `${sectionLine("trend")}\n#### Trend (registered versions, then this candidate)\n\n${charts.join("\n\n")}`;
}

function details(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

const MAX_PARAM_CHARS = 120;
function paramCell(row: ParamDiffRow, side: "candidate" | "baseline"): string {
  if (!Object.hasOwn(row, side)) return "—";
  const text = formatParamValue(row[side]);
  return escapeMarkdown(text.length > MAX_PARAM_CHARS ? `${text.slice(0, MAX_PARAM_CHARS)}…` : text);
}

function renderParams(report: EvaluationReport): string | undefined {
  const candidateParams = report.candidate.params;
  const baselineParams = report.baseline?.params;
  const diff =
    report.paramsDiff ??
    (candidateParams && baselineParams ? diffParams(candidateParams, baselineParams) : undefined);
  if (diff) {
    const changed = diff.filter((r) => r.change !== "same");
    const counts = (["changed", "added", "removed", "same"] as const)
      .map((c) => [c, diff.filter((r) => r.change === c).length] as const)
      .filter(([, n]) => n > 0)
      .map(([c, n]) => `${n} ${c === "same" ? "unchanged" : c}`);
    const body = changed.length
      ? markdownTable(
          [
            ["Param", "Baseline", "Candidate", "Change"],
            ...changed.map((r) => [
              escapeMarkdown(r.key),
              paramCell(r, "baseline"),
              paramCell(r, "candidate"),
              r.change,
            ]),
          ],
          { alignDelimiters: false },
        )
      : "No parameter changes.";
    return details(`Params diff (${counts.join(", ") || "no params"})`, body);
  }
  if (candidateParams && Object.keys(candidateParams).length) {
    const rows = Object.keys(candidateParams)
      .sort()
      .map((key) => [
        escapeMarkdown(key),
        paramCell({ key, candidate: candidateParams[key], change: "added" }, "candidate"),
      ]);
    return details(
      `Params (${rows.length})`,
      markdownTable([["Param", "Value"], ...rows], { alignDelimiters: false }),
    );
  }
  return undefined;
}

function renderDetails(report: EvaluationReport): string | undefined {
  const blocks: string[] = [];
  const params = renderParams(report);
  if (params) blocks.push(params);
  const fingerprints = Object.entries(report.fingerprints ?? {});
  if (fingerprints.length) {
    const table = markdownTable(
      [
        ["Data", "Fingerprint"],
        ...fingerprints.map(([data, fp]) => [escapeMarkdown(data), escapeMarkdown(fp)]),
      ],
      { alignDelimiters: false },
    );
    blocks.push(details("Data fingerprints", table));
  }
  if (report.candidate.digest) {
    blocks.push(details("Artifact digest", `Candidate artifact: ${escapeMarkdown(report.candidate.digest)}`));
  }
  const runUrl = safeUrl(report.links.runUrl);
  if (runUrl) blocks.push(details("Run", `[Workflow run that produced this report](${runUrl})`));
  if (!blocks.length) return undefined;
  return `${sectionLine("details")}\n${blocks.join("\n\n")}`;
}

function renderFooter(report: EvaluationReport): string {
  const parts: string[] = [];
  const full = safeUrl(report.links.fullReportUrl);
  if (full) parts.push(`[Full report](${full})`);
  parts.push("updated on every push by gitml");
  return `${sectionLine("footer")}\n<sub>${parts.join(" · ")}</sub>`;
}

// --- fitting GitHub's comment limit -------------------------------------------------------------

export interface FitOptions {
  /** Default 65,536 (GitHub's limit), measured in UTF-16 code units, which never undercounts characters. */
  limit?: number;
  /** Markdown appended when anything was cut, e.g. `[Full report](…)`. */
  fullReportPointer?: string;
}

interface Section {
  id: string;
  text: string;
}

function splitSections(markdown: string): Section[] {
  const sections: Section[] = [{ id: "head", text: "" }];
  const lines = markdown.split("\n");
  let current: string[] = [];
  const flush = () => {
    sections[sections.length - 1].text = current.join("\n").replace(/\n+$/, "");
    current = [];
  };
  for (const line of lines) {
    if (line.startsWith(SECTION_PREFIX) && line.endsWith(" -->")) {
      flush();
      sections.push({ id: line.slice(SECTION_PREFIX.length, -" -->".length), text: "" });
    }
    current.push(line);
  }
  flush();
  return sections.filter((s) => s.text !== "");
}

const join = (sections: Section[]) => sections.map((s) => s.text).join("\n\n");

/**
 * Shrinks a comment to `limit` at clean boundaries: first the trend charts go, then the details, then
 * table rows from the bottom (gated metrics come first, so they stay), replaced by a
 * "… N more metrics in the full report" line. Whole lines only: never inside a row, a tag or a block.
 */
export function fitToCommentLimit(markdown: string, options: FitOptions = {}): string {
  const limit = options.limit ?? GITHUB_COMMENT_LIMIT;
  if (markdown.length <= limit) return markdown;
  const pointer = `\n\n${options.fullReportPointer ?? "_This report was shortened to fit a GitHub comment._"}\n`;
  const fits = (text: string) => text.length + pointer.length <= limit;
  const finish = (text: string) => `${text}${pointer}`;

  let sections = splitSections(markdown);
  for (const drop of ["trend", "details"]) {
    sections = sections.filter((s) => s.id !== drop);
    if (fits(join(sections))) return finish(join(sections));
  }

  const tableIndex = sections.findIndex((s) => s.id === "table");
  if (tableIndex >= 0) {
    const lines = sections[tableIndex].text.split("\n");
    const firstRow = lines.findIndex((l) => l.startsWith("|"));
    if (firstRow >= 0) {
      let lastRow = firstRow;
      while (lastRow + 1 < lines.length && lines[lastRow + 1].startsWith("|")) lastRow++;
      const keepBefore = lines.slice(0, firstRow + 2); // section marker, header row, delimiter row
      const rows = lines.slice(firstRow + 2, lastRow + 1);
      const after = lines.slice(lastRow + 1);
      const withRows = (kept: number) => {
        const omitted = rows.length - kept;
        const note =
          omitted > 0 ? ["", `… ${omitted} more metric${omitted === 1 ? "" : "s"} in the full report`] : [];
        const table = {
          id: "table",
          text: [...keepBefore, ...rows.slice(0, kept), ...note, ...after].join("\n"),
        };
        return join([...sections.slice(0, tableIndex), table, ...sections.slice(tableIndex + 1)]);
      };
      // The longest prefix of rows that fits, by binary search over the row count.
      let low = 0;
      let high = rows.length;
      while (low < high) {
        const mid = Math.ceil((low + high) / 2);
        if (fits(withRows(mid))) low = mid;
        else high = mid - 1;
      }
      if (fits(withRows(low))) return finish(withRows(low));
    }
    sections = sections.filter((s) => s.id !== "table");
    if (fits(join(sections))) return finish(join(sections));
  }

  // Only a pathological head (or foreign markdown) gets here: keep whole lines that fit.
  const kept: string[] = [];
  let length = 0;
  for (const line of join(sections).split("\n")) {
    const next = length + (kept.length ? 1 : 0) + line.length;
    if (next + pointer.length > limit) break;
    kept.push(line);
    length = next;
  }
  return finish(kept.join("\n"));
}
