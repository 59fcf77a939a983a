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
import type { ConfusionMatrix } from "../evaluate/predictions";
import type { CheckResult, SliceTable, SuiteResult } from "../suites/types";
import {
  checkCounts,
  checkIcon,
  checkLocation,
  checkObserved,
  checkSummaryParts,
  clip,
  failingChecks,
  formatCount,
  formatDelta,
  formatExample,
  formatNumber,
  formatPercent,
  gateIcon,
  groupBySuite,
  MAX_CONFUSION_CLASSES,
  suiteLabel,
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
  weakestFirst,
} from "./format";
import {
  IMPORTANCE_GATE_LABEL,
  type ImportanceComparison,
  type ImportanceRow,
} from "../evaluate/importances";
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

type SectionId =
  | "head"
  | "table"
  | "checks"
  | "checks-failed"
  | "checks-passed"
  | "slices"
  | "slice-chart"
  | "confusion"
  | "importances"
  | "importance-chart"
  | "trend"
  | "details"
  | "footer";
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
  if (report.importances) sections.push(...renderImportances(report, report.importances));
  if (report.suite) sections.push(...renderChecks(report.suite), ...renderSlices(report.suite.slices));
  if (report.confusionMatrix) sections.push(renderConfusion(report.confusionMatrix));
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

// --- feature importances -----------------------------------------------------------------------

const sharePercent = (share: number | undefined) =>
  share === undefined ? "—" : `${Number((share * 100).toPrecision(3))} %`;

/** How a feature moved between production's ranking and the candidate's. */
function rankChange(row: ImportanceRow, comparison: ImportanceComparison): string {
  if (!comparison.hasBaseline) return "";
  if (row.entered) return `🆕 entered the top ${comparison.k}`;
  if (row.left) return `⬇️ left the top ${comparison.k}`;
  if (row.candidateRank === undefined || row.baselineRank === undefined) return "";
  const moved = row.baselineRank - row.candidateRank;
  if (moved === 0) return "=";
  return moved > 0 ? `▲ ${moved}` : `▼ ${-moved}`;
}

function renderImportances(report: EvaluationReport, comparison: ImportanceComparison): string[] {
  const baseline = report.baseline;
  const method = comparison.method ? ` (${cell(comparison.method, 80)})` : "";
  const lines = [sectionLine("importances"), `#### Feature importances${method}`, ""];
  const shown = comparison.rows.filter(
    (r) => r.candidateRank !== undefined && r.candidateRank <= comparison.k,
  );
  const shap = comparison.rows.some((r) => r.candidateMeanAbsShap !== undefined);
  const intro = `The candidate's top ${shown.length} of ${formatCount(comparison.candidateFeatures)} features, by share of its importance`;
  if (baseline && comparison.hasBaseline) {
    const entered = comparison.rows.filter((r) => r.entered).map((r) => `**${cell(r.feature, 80)}**`);
    const left = comparison.rows.filter((r) => r.left).map((r) => `**${cell(r.feature, 80)}**`);
    const changes = [
      entered.length ? `entered the top ${comparison.k}: ${entered.join(", ")}` : "",
      left.length ? `left it: ${left.join(", ")}` : "",
    ].filter((t) => t !== "");
    lines.push(
      `${intro}, beside ${escapeMarkdown(baseline.stage)} ${escapeMarkdown(baseline.version)}'s${changes.length ? ` · ${changes.join(" · ")}` : " · the same features as in production"}.`,
      "",
    );
    const header = [
      "Rank",
      "Feature",
      "Candidate",
      ...(shap ? ["mean abs SHAP"] : []),
      `${escapeMarkdown(baseline.stage)} ${escapeMarkdown(baseline.version)}`,
      `${escapeMarkdown(baseline.stage)} rank`,
      "Change",
    ];
    const rows = comparison.rows.map((r) => [
      r.candidateRank === undefined ? "—" : String(r.candidateRank),
      cell(r.feature, 80),
      sharePercent(r.candidateShare),
      ...(shap ? [formatNumber(r.candidateMeanAbsShap)] : []),
      sharePercent(r.baselineShare),
      r.baselineRank === undefined ? "—" : String(r.baselineRank),
      rankChange(r, comparison),
    ]);
    lines.push(
      markdownTable([header, ...rows], {
        align: ["r", "l", "r", ...(shap ? ["r"] : []), "r", "r", "l"],
        alignDelimiters: false,
      }),
    );
  } else {
    const why = baseline
      ? ` (${escapeMarkdown(baseline.stage)} ${escapeMarkdown(baseline.version)} recorded no importances)`
      : "";
    lines.push(`${intro}${why}.`, "");
    const rows = shown.map((r) => [
      String(r.candidateRank),
      cell(r.feature, 80),
      sharePercent(r.candidateShare),
      ...(shap ? [formatNumber(r.candidateMeanAbsShap)] : []),
    ]);
    const header = ["Rank", "Feature", "Share", ...(shap ? ["mean abs SHAP"] : [])];
    lines.push(
      markdownTable([header, ...rows], {
        align: ["r", "l", "r", ...(shap ? ["r"] : [])],
        alignDelimiters: false,
      }),
    );
  }
  // The importance gates have no row in the metrics table: their verdicts go with the ranking.
  const gates = report.gates.gates.filter((g) => g.metric === IMPORTANCE_GATE_LABEL);
  if (gates.length) {
    lines.push("");
    for (const gate of gates)
      lines.push(`- ${gateIcon(gate)} ${escapeMarkdown(gate.rule)}: ${escapeMarkdown(gate.detail)}`);
  }
  const sections = [lines.join("\n")];
  const chart = importanceChart(report, comparison, shown);
  if (chart) sections.push([sectionLine("importance-chart"), chart].join("\n"));
  return sections;
}

/** Bars: the candidate's shares of its top features; line: production's share of the same features. */
function importanceChart(
  report: EvaluationReport,
  comparison: ImportanceComparison,
  shown: ImportanceRow[],
): string | undefined {
  if (shown.length < 2) return undefined;
  const candidate = shown.map((r) => (r.candidateShare ?? 0) * 100);
  const production = shown.map((r) => (r.baselineShare ?? 0) * 100);
  const withBaseline = comparison.hasBaseline && report.baseline !== undefined;
  const high =
    Math.min(100, Math.ceil(Math.max(...candidate, ...(withBaseline ? production : [])) / 10) * 10) || 10;
  const title = withBaseline
    ? `Importance share in percent - bars candidate - line ${report.baseline!.stage} ${report.baseline!.version}`
    : "Importance share in percent";
  return [
    "```mermaid",
    "xychart-beta",
    `  title ${mermaidLabel(title, 80)}`,
    `  x-axis [${shown.map((r) => mermaidLabel(r.feature, 20)).join(", ")}]`,
    `  y-axis ${mermaidLabel("percent", 20)} 0 --> ${mermaidNumber(high)}`,
    `  bar [${candidate.map(mermaidNumber).join(", ")}]`,
    ...(withBaseline ? [`  line [${production.map(mermaidNumber).join(", ")}]`] : []),
    "```",
  ].join("\n");
}

// --- suite checks, slices, confusion matrix ------------------------------------------------------

/** Longest text of a check's cell (name, rule, detail) before it is cut, so one row cannot crowd out the rest. */
const MAX_CELL_CHARS = 300;
const MAX_EXAMPLES = 5;
const cell = (text: string | undefined, max = MAX_CELL_CHARS) =>
  text ? escapeMarkdown(clip(text, max)) : "—";

function examplesCell(check: CheckResult): string {
  const examples = (check.examples ?? []).slice(0, MAX_EXAMPLES);
  // <code> keeps whitespace and empty strings visible; its content is escaped like any other text.
  return examples.map((v) => `<code>${escapeMarkdown(formatExample(v))}</code>`).join(" ");
}

function renderChecks(suite: SuiteResult): string[] {
  if (!suite.checks.length) return [];
  const counts = checkCounts(suite.checks);
  const suites = [...new Set(suite.checks.map((c) => c.suite))];
  const from = suites.map((name) => `**${cell(suiteLabel(name, suite.sources))}**`).join(", ");
  const sections = [
    [
      sectionLine("checks"),
      "#### Checks",
      "",
      `${checkSummaryParts(counts).join(" · ")} · from ${from}`,
    ].join("\n"),
  ];
  for (const [name, checks] of groupBySuite(failingChecks(suite.checks))) {
    const table = markdownTable(
      [
        ["", "Check", "Data", "Observed", "Rule", "Detail", "Examples"],
        ...checks.map((c) => [
          checkIcon(c),
          `**${cell(c.name)}**`,
          cell(checkLocation(c)),
          checkObserved(c),
          cell(c.rule),
          cell(c.detail),
          examplesCell(c),
        ]),
      ],
      { align: ["c", "l", "l", "r", "l", "l", "l"], alignDelimiters: false },
    );
    const heading = `Not passed, from **${cell(suiteLabel(name, suite.sources))}**:`;
    sections.push([sectionLine("checks-failed"), heading, "", table].join("\n"));
  }
  const passed = suite.checks.filter((c) => c.status === "pass");
  if (passed.length) {
    const table = markdownTable(
      [
        ["", "Check", "Data", "Observed", "Rule", "Suite"],
        ...passed.map((c) => [
          checkIcon(c),
          cell(c.name),
          cell(checkLocation(c)),
          checkObserved(c),
          cell(c.rule),
          cell(suiteLabel(c.suite, suite.sources)),
        ]),
      ],
      { align: ["c", "l", "l", "r", "l", "l"], alignDelimiters: false },
    );
    sections.push(
      [
        sectionLine("checks-passed"),
        details(`✅ ${formatCount(passed.length)} passed check${passed.length === 1 ? "" : "s"}`, table),
      ].join("\n"),
    );
  }
  return sections;
}

/** Slice tables with more slices than this get no chart: the bars would be unreadable. */
const MAX_CHART_SLICES = 30;

function sliceFlags(row: SliceTable["rows"][number]): string {
  const flags: string[] = [];
  if (row.weakest) flags.push("🔻 weakest");
  if (row.small) flags.push("small: not gated");
  return flags.join(" · ");
}

function renderSlices(tables: readonly SliceTable[]): string[] {
  const sections: string[] = [];
  tables.forEach((slices, index) => {
    const lines = [sectionLine("slices")];
    if (index === 0) lines.push("#### Slices", "");
    const rows = weakestFirst(slices.rows);
    if (!rows.length) {
      lines.push(`By **${cell(slices.column)}**: no rows.`);
      sections.push(lines.join("\n"));
      return;
    }
    const table = markdownTable(
      [
        [cell(slices.column, 80), "Rows", ...slices.metrics.map((m) => cell(m, 80)), ""],
        ...rows.map((r) => [
          cell(r.value, 80),
          formatCount(r.rows),
          ...slices.metrics.map((m) => formatNumber(r.metrics[m] ?? undefined)),
          sliceFlags(r),
        ]),
      ],
      { align: ["l", "r", ...slices.metrics.map(() => "r"), "l"], alignDelimiters: false },
    );
    lines.push(
      `By **${cell(slices.column)}** (${formatCount(rows.length)} slices, weakest first):`,
      "",
      table,
    );
    const fairness = Object.entries(slices.fairness ?? {});
    if (fairness.length) {
      const measures = fairness.map(([name, value]) => `${cell(name)} **${formatNumber(value)}**`);
      lines.push("", `Fairness across **${cell(slices.column)}**: ${measures.join(" · ")}`);
    }
    sections.push(lines.join("\n"));
    const chart = sliceChart(slices);
    if (chart) sections.push([sectionLine("slice-chart"), chart].join("\n"));
  });
  return sections;
}

/** A Mermaid bar chart of the first metric per slice, when there are a few slices to compare. */
function sliceChart(slices: SliceTable): string | undefined {
  const metric = slices.metrics[0];
  if (metric === undefined) return undefined;
  const bars = slices.rows.flatMap((r) => {
    const value = r.metrics[metric];
    return typeof value === "number" && Number.isFinite(value) ? [{ label: r.value, value }] : [];
  });
  if (bars.length < 2 || bars.length > MAX_CHART_SLICES) return undefined;
  const values = bars.map((b) => b.value);
  // From zero, so bar heights compare; a metric within [0, 1] keeps that scale.
  const low = Math.min(0, ...values);
  let high = Math.max(0, ...values);
  if (low === 0 && high > 0 && high <= 1) high = 1;
  if (high === low) high = low + 1;
  return [
    "```mermaid",
    "xychart-beta",
    `  title ${mermaidLabel(`${metric} by ${slices.column}`, 60)}`,
    `  x-axis [${bars.map((b) => mermaidLabel(b.label, 20)).join(", ")}]`,
    `  y-axis ${mermaidLabel(metric, 60)} ${mermaidNumber(low)} --> ${mermaidNumber(high)}`,
    `  bar [${values.map(mermaidNumber).join(", ")}]`,
    "```",
  ].join("\n");
}

function renderConfusion(confusion: ConfusionMatrix): string {
  const { labels, matrix } = confusion;
  const lines = [sectionLine("confusion"), "#### Confusion matrix", ""];
  if (!labels.length) return [...lines, "No predictions."].join("\n");
  if (labels.length > MAX_CONFUSION_CLASSES) {
    const note = `${labels.length} classes: too many to show as a table here (at most ${MAX_CONFUSION_CLASSES}).`;
    return [...lines, note].join("\n");
  }
  const table = markdownTable(
    [
      ["true ↓ · predicted →", ...labels.map((l) => cell(l, 40))],
      ...labels.map((label, i) => [
        `**${cell(label, 40)}**`,
        ...labels.map((_, j) => {
          const count = formatCount(matrix[i]?.[j] ?? 0);
          return i === j ? `**${count}**` : count;
        }),
      ]),
    ],
    { align: ["l", ...labels.map(() => "r")], alignDelimiters: false },
  );
  const note = "Rows are true labels, columns predicted labels; the diagonal (bold) is correct.";
  return [...lines, note, "", table].join("\n");
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

/** Sections dropped whole, in this order, before any table is shortened: charts, then what is collapsed anyway. */
const DROPPABLE: readonly string[] = [
  "trend",
  "importance-chart",
  "slice-chart",
  "checks-passed",
  "details",
  "confusion",
];
/** Sections whose table is shortened from the bottom, and what its rows are called in the note. */
const TRUNCATABLE: Readonly<Record<string, string>> = {
  table: "metric",
  importances: "feature",
  "checks-failed": "failing check",
  slices: "slice",
};
/** When even one row per table does not fit, these go whole, in this order (the head always stays). */
const LAST_RESORT: readonly string[] = ["slices", "checks-failed", "table"];

interface TableParts {
  before: string[];
  rows: string[];
  after: string[];
}

/** The first GFM table of a section: lines before its first row (header and delimiter included), rows, lines after. */
function tableParts(text: string): TableParts | undefined {
  const lines = text.split("\n");
  const header = lines.findIndex((l) => l.startsWith("|"));
  if (header < 0) return undefined;
  let last = header;
  while (last + 1 < lines.length && lines[last + 1].startsWith("|")) last++;
  return {
    before: lines.slice(0, header + 2),
    rows: lines.slice(header + 2, last + 1),
    after: lines.slice(last + 1),
  };
}

function shortenedTable(parts: TableParts, noun: string, kept: number): string {
  const omitted = parts.rows.length - kept;
  // The note is its own paragraph: a line right after a table would be read as one more row.
  const note =
    omitted > 0 ? ["", `… ${omitted} more ${noun}${omitted === 1 ? "" : "s"} in the full report`] : [];
  return [...parts.before, ...parts.rows.slice(0, kept), ...note, ...parts.after].join("\n");
}

/**
 * The longest text with every table cut to the same number of rows (small tables stay whole), or
 * undefined when not even one row per table fits.
 */
function fitTables(sections: Section[], fits: (text: string) => boolean): string | undefined {
  const parts = sections.map((s) => (Object.hasOwn(TRUNCATABLE, s.id) ? tableParts(s.text) : undefined));
  const withRows = (kept: number) =>
    join(
      sections.map((s, i) => {
        const table = parts[i];
        return table ? { id: s.id, text: shortenedTable(table, TRUNCATABLE[s.id], kept) } : s;
      }),
    );
  const longest = Math.max(0, ...parts.map((p) => p?.rows.length ?? 0));
  if (fits(withRows(longest))) return withRows(longest);
  if (!fits(withRows(1))) return undefined;
  // The largest per-table row count that fits, by binary search (the text grows with it).
  let low = 1;
  let high = longest;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(withRows(mid))) low = mid;
    else high = mid - 1;
  }
  return withRows(low);
}

/**
 * Shrinks a comment to `limit` at clean boundaries: first the charts, the passing checks, the details and
 * the confusion matrix go; then every table (metrics, failing checks, slices) is cut to the same number of
 * rows from the bottom, with a "… N more … in the full report" line (gated metrics, failing checks that
 * fail the PR and the weakest slices come first, so they stay). Whole lines only: never inside a row, a
 * tag or a block.
 */
export function fitToCommentLimit(markdown: string, options: FitOptions = {}): string {
  const limit = options.limit ?? GITHUB_COMMENT_LIMIT;
  if (markdown.length <= limit) return markdown;
  const pointer = `\n\n${options.fullReportPointer ?? "_This report was shortened to fit a GitHub comment._"}\n`;
  const fits = (text: string) => text.length + pointer.length <= limit;
  const finish = (text: string) => `${text}${pointer}`;

  let sections = splitSections(markdown);
  for (const drop of DROPPABLE) {
    if (!sections.some((s) => s.id === drop)) continue;
    sections = sections.filter((s) => s.id !== drop);
    if (fits(join(sections))) return finish(join(sections));
  }
  for (const drop of [undefined, ...LAST_RESORT]) {
    sections = sections.filter((s) => s.id !== drop);
    const fitted = fitTables(sections, fits);
    if (fitted !== undefined) return finish(fitted);
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
