/**
 * The full report as one standalone HTML page: inline CSS and inline SVG, no scripts, no external
 * assets, every user string HTML-escaped. It has no size limit, so it is what the PR comment's
 * "full report" pointer leads to.
 */
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
  escapeHtml,
  failingChecks,
  formatCount,
  formatDelta,
  formatExample,
  groupBySuite,
  suiteLabel,
  formatNumber,
  formatPercent,
  gateIcon,
  gatesByMetric,
  oneLine,
  safeUrl,
  trendArrow,
  trendMetrics,
  trendSeries,
  VERDICT_ICON,
  verdictOf,
  verdictSentence,
} from "./format";
import type { EvaluationReport } from "./types";

const esc = (text: string) => escapeHtml(oneLine(text));

const CSS = `
body{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;max-width:1100px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;margin:.5rem 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d1d9e0;padding:4px 10px;text-align:left;vertical-align:top}
td.num{text-align:right}th{background:#f6f8fa}
.verdict{font-size:1.1rem;font-weight:600;padding:.5rem .75rem;border-radius:6px;display:inline-block}
.pass{background:#dafbe1}.warn{background:#fff8c5}.fail{background:#ffebe9}
.better{color:#1a7f37}.worse{color:#d1242f}.muted{color:#59636e}
h3{font-size:1rem;margin:1rem 0 .25rem}
details{margin:.5rem 0}summary{cursor:pointer;font-weight:600}
svg{background:#fff;border:1px solid #d1d9e0;border-radius:6px;margin:.25rem .5rem .25rem 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
`;

export function renderHtml(report: EvaluationReport): string {
  const verdict = verdictOf(report);
  const parts: string[] = [];
  parts.push(`<h1>gitml · ${esc(report.model)}</h1>`);
  const digest = report.candidate.digest ? ` <code>${esc(report.candidate.digest)}</code>` : "";
  parts.push(
    report.baseline
      ? `<p><strong>Candidate</strong> ${esc(report.candidate.version)}${digest} vs <strong>${esc(report.baseline.stage)}</strong> ${esc(report.baseline.version)}</p>`
      : `<p><strong>Candidate</strong> ${esc(report.candidate.version)}${digest} · first version: no baseline in <strong>${esc(report.compareTo)}</strong></p>`,
  );
  parts.push(`<p class="verdict ${verdict}">${VERDICT_ICON[verdict]} ${esc(verdictSentence(report))}</p>`);

  if (report.gates.gates.length) {
    parts.push("<h2>Gates</h2>");
    parts.push(
      table(
        ["", "Metric", "Rule", "Result"],
        report.gates.gates.map((g) => [gateIcon(g), esc(g.metric), esc(g.rule), esc(g.detail)]),
      ),
    );
  }

  parts.push("<h2>Metrics</h2>");
  parts.push(metricsTable(report));
  if (report.importances) parts.push(importancesSection(report));
  if (report.suite) parts.push(checksSection(report.suite), slicesSection(report.suite.slices));
  if (report.confusionMatrix) parts.push(confusionSection(report.confusionMatrix));

  const charts = trendMetrics(report, 6)
    .map((metric) => ({ metric, series: trendSeries(report, metric, 30) }))
    .filter((c) => c.series.length >= 2)
    .map((c) => svgChart(c.metric, c.series));
  if (charts.length) parts.push("<h2>Trend</h2>", `<div>${charts.join("")}</div>`);

  parts.push(paramsSection(report));
  const fingerprints = Object.entries(report.fingerprints ?? {});
  if (fingerprints.length) {
    parts.push(
      `<details open><summary>Data fingerprints</summary>${table(
        ["Data", "Fingerprint"],
        fingerprints.map(([d, f]) => [esc(d), `<code>${esc(f)}</code>`]),
      )}</details>`,
    );
  }
  if (report.candidate.digest) {
    parts.push(
      `<details open><summary>Artifact digest</summary><p><code>${esc(report.candidate.digest)}</code></p></details>`,
    );
  }
  const runUrl = safeUrl(report.links.runUrl);
  if (runUrl) parts.push(`<p><a href="${escapeHtml(runUrl)}">Workflow run</a></p>`);

  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // No scripts, no remote loads: the page may be opened from an artifact or a file.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>gitml · ${esc(report.model)} · ${esc(report.candidate.version)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    ...parts.filter((p) => p !== ""),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

// --- suite checks, slices, confusion matrix ------------------------------------------------------

function examplesHtml(check: CheckResult): string {
  return (check.examples ?? [])
    .slice(0, 5)
    .map((v) => `<code>${esc(formatExample(v, 80))}</code>`)
    .join(" ");
}

function checksSection(suite: SuiteResult): string {
  if (!suite.checks.length) return "";
  const counts = checkCounts(suite.checks);
  const parts = ["<h2>Checks</h2>", `<p>${checkSummaryParts(counts).join(" · ")}</p>`];
  for (const [name, checks] of groupBySuite(failingChecks(suite.checks))) {
    parts.push(
      `<h3>Not passed, from <code>${esc(suiteLabel(name, suite.sources))}</code></h3>`,
      table(
        ["", "Check", "Data", "Observed", "Rule", "Detail", "Examples"],
        checks.map((c) => [
          checkIcon(c),
          `<strong>${esc(c.name)}</strong>`,
          esc(checkLocation(c)) || "—",
          checkObserved(c),
          esc(c.rule),
          esc(c.detail),
          examplesHtml(c),
        ]),
        new Set([3]),
      ),
    );
  }
  const passed = suite.checks.filter((c) => c.status === "pass");
  if (passed.length) {
    const rows = passed.map((c) => [
      checkIcon(c),
      esc(c.name),
      esc(checkLocation(c)),
      checkObserved(c),
      esc(c.rule),
      `<code>${esc(suiteLabel(c.suite, suite.sources))}</code>`,
    ]);
    parts.push(
      `<details><summary>✅ ${formatCount(passed.length)} passed check${passed.length === 1 ? "" : "s"}</summary>${table(["", "Check", "Data", "Observed", "Rule", "Suite"], rows, new Set([3]))}</details>`,
    );
  }
  return parts.join("\n");
}

function slicesSection(tables: readonly SliceTable[]): string {
  if (!tables.length) return "";
  const parts = ["<h2>Slices</h2>"];
  for (const slices of tables) {
    parts.push(`<h3>By <code>${esc(slices.column)}</code> (${formatCount(slices.rows.length)} slices)</h3>`);
    if (!slices.rows.length) {
      parts.push('<p class="muted">No rows.</p>');
      continue;
    }
    const metricColumns = new Set(slices.metrics.map((_, i) => i + 2));
    parts.push(
      table(
        [esc(slices.column), "Rows", ...slices.metrics.map(esc), ""],
        slices.rows.map((r) => [
          r.weakest ? `<strong>${esc(r.value)}</strong>` : esc(r.value),
          formatCount(r.rows),
          ...slices.metrics.map((m) => formatNumber(r.metrics[m] ?? undefined)),
          [
            r.weakest ? '<span class="worse">🔻 weakest</span>' : "",
            r.small ? '<span class="muted">small: not gated</span>' : "",
          ]
            .filter(Boolean)
            .join(" · "),
        ]),
        new Set([1, ...metricColumns]),
      ),
    );
    const fairness = Object.entries(slices.fairness ?? {});
    if (fairness.length) {
      const measures = fairness.map(
        ([name, value]) => `${esc(name)} <strong>${formatNumber(value)}</strong>`,
      );
      parts.push(`<p>Fairness across <code>${esc(slices.column)}</code>: ${measures.join(" · ")}</p>`);
    }
    const chart = svgBars(slices);
    if (chart) parts.push(`<div>${chart}</div>`);
  }
  return parts.join("\n");
}

/** Horizontal bars of the first metric per slice, the weakest in red; only for a readable number of slices. */
function svgBars(slices: SliceTable): string | undefined {
  const metric = slices.metrics[0];
  if (metric === undefined) return undefined;
  const bars = slices.rows.flatMap((r) => {
    const value = r.metrics[metric];
    return typeof value === "number" && Number.isFinite(value) ? [{ row: r, value }] : [];
  });
  if (bars.length < 2 || bars.length > 40) return undefined;
  const barHeight = 16;
  const labelWidth = 140;
  const barWidth = 260;
  const width = labelWidth + barWidth + 60;
  const height = 28 + bars.length * (barHeight + 4);
  const values = bars.map((b) => b.value);
  const low = Math.min(0, ...values);
  let high = Math.max(0, ...values);
  if (low === 0 && high > 0 && high <= 1) high = 1;
  if (high === low) high = low + 1;
  const x = (v: number) => labelWidth + ((v - low) * barWidth) / (high - low);
  const shapes = bars.map((b, i) => {
    const y = 24 + i * (barHeight + 4);
    const from = Math.min(x(0), x(b.value));
    const w = Math.max(1, Math.abs(x(b.value) - x(0)));
    const label = esc(clip(b.row.value, 20));
    return (
      `<text x="${labelWidth - 6}" y="${y + 12}" font-size="11" text-anchor="end" fill="#59636e">${label}</text>` +
      `<rect x="${from.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${b.row.weakest ? "#d1242f" : "#0969da"}"><title>${esc(b.row.value)}: ${formatNumber(b.value)}</title></rect>` +
      `<text x="${(Math.max(x(0), x(b.value)) + 4).toFixed(1)}" y="${y + 12}" font-size="11">${formatNumber(b.value)}</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(metric)} by ${esc(slices.column)}">` +
    `<text x="8" y="16" font-size="12" font-weight="600">${esc(metric)} by ${esc(slices.column)}</text>${shapes.join("")}</svg>`
  );
}

/** The page has no size limit, so it shows wider matrices than the PR comment; beyond this none is readable. */
const MAX_HTML_CONFUSION_CLASSES = 50;

function confusionSection(confusion: ConfusionMatrix): string {
  const { labels, matrix } = confusion;
  const heading = "<h2>Confusion matrix</h2>";
  if (!labels.length) return `${heading}<p class="muted">No predictions.</p>`;
  if (labels.length > MAX_HTML_CONFUSION_CLASSES) {
    return `${heading}<p class="muted">${labels.length} classes: too many to show as a table.</p>`;
  }
  const rows = labels.map((label, i) => [
    `<strong>${esc(label)}</strong>`,
    ...labels.map((_, j) => {
      const count = formatCount(matrix[i]?.[j] ?? 0);
      return i === j ? `<strong>${count}</strong>` : count;
    }),
  ]);
  const numeric = new Set(labels.map((_, j) => j + 1));
  return `${heading}<p class="muted">Rows are true labels, columns predicted labels; the diagonal (bold) is correct.</p>${table(["true ↓ · predicted →", ...labels.map(esc)], rows, numeric)}`;
}

function importancesSection(report: EvaluationReport): string {
  const comparison = report.importances!;
  const percent = (share: number | undefined) =>
    share === undefined ? "—" : `${Number((share * 100).toPrecision(3))} %`;
  const withBaseline = comparison.hasBaseline && report.baseline !== undefined;
  const base = withBaseline ? `${esc(report.baseline!.stage)} ${esc(report.baseline!.version)}` : "";
  const header = withBaseline
    ? ["Rank", "Feature", "Candidate", base, "Its rank", "Change"]
    : ["Rank", "Feature", "Share"];
  const rows = comparison.rows.map((r) => {
    const change = r.entered
      ? `entered the top ${comparison.k}`
      : r.left
        ? `left the top ${comparison.k}`
        : r.candidateRank !== undefined && r.baselineRank !== undefined
          ? r.baselineRank === r.candidateRank
            ? "="
            : `${r.baselineRank > r.candidateRank ? "▲" : "▼"} ${Math.abs(r.baselineRank - r.candidateRank)}`
          : "";
    const rank = r.candidateRank === undefined ? "—" : String(r.candidateRank);
    return withBaseline
      ? [
          rank,
          esc(r.feature),
          percent(r.candidateShare),
          percent(r.baselineShare),
          r.baselineRank === undefined ? "—" : String(r.baselineRank),
          change,
        ]
      : [rank, esc(r.feature), percent(r.candidateShare)];
  });
  const method = comparison.method ? ` (${esc(comparison.method)})` : "";
  return `<h2>Feature importances${method}</h2>${table(header, rows, new Set(withBaseline ? [0, 2, 3, 4] : [0, 2]))}`;
}

function table(header: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string {
  const head = `<tr>${header.map((h) => `<th>${h}</th>`).join("")}</tr>`;
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((cell, i) => (numeric.has(i) ? `<td class="num">${cell}</td>` : `<td>${cell}</td>`)).join("")}</tr>`,
    )
    .join("\n");
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function metricsTable(report: EvaluationReport): string {
  if (!report.comparison.length) return '<p class="muted">No metrics reported.</p>';
  const gates = gatesByMetric(report);
  const gateCell = (row: ComparisonRow) =>
    (gates.get(row.name) ?? []).map((g) => `${gateIcon(g)} ${esc(g.rule)}`).join("<br>");
  const name = (row: ComparisonRow) => (row.gated ? `<strong>${esc(row.name)}</strong>` : esc(row.name));
  if (!report.baseline) {
    return table(
      ["Metric", "Candidate", "Gate"],
      report.comparison.map((r) => [name(r), formatNumber(r.candidate), gateCell(r)]),
      new Set([1]),
    );
  }
  const arrow = (row: ComparisonRow) => {
    const text = trendArrow(row);
    if (!text) return "";
    return `<span class="${row.better ? "better" : "worse"}">${text}</span>`;
  };
  return table(
    [
      "Metric",
      `${esc(report.baseline.stage)} ${esc(report.baseline.version)}`,
      "Candidate",
      "Δ",
      "Δ %",
      "",
      "Gate",
    ],
    report.comparison.map((r) => [
      name(r),
      formatNumber(r.baseline),
      formatNumber(r.candidate),
      formatDelta(r.delta),
      formatPercent(r.deltaPct),
      arrow(r),
      gateCell(r),
    ]),
    new Set([1, 2, 3, 4]),
  );
}

function paramCell(row: ParamDiffRow, side: "candidate" | "baseline"): string {
  return Object.hasOwn(row, side) ? `<code>${esc(formatParamValue(row[side]))}</code>` : "—";
}

function paramsSection(report: EvaluationReport): string {
  const candidateParams = report.candidate.params;
  const baselineParams = report.baseline?.params;
  const diff =
    report.paramsDiff ??
    (candidateParams && baselineParams ? diffParams(candidateParams, baselineParams) : undefined);
  if (diff) {
    const rows = diff.map((r) => [esc(r.key), paramCell(r, "baseline"), paramCell(r, "candidate"), r.change]);
    const changed = diff.filter((r) => r.change !== "same").length;
    return `<details open><summary>Params diff (${changed} of ${diff.length} differ)</summary>${table(["Param", "Baseline", "Candidate", "Change"], rows)}</details>`;
  }
  if (candidateParams && Object.keys(candidateParams).length) {
    const rows = Object.keys(candidateParams)
      .sort()
      .map((key) => [esc(key), `<code>${esc(formatParamValue(candidateParams[key]))}</code>`]);
    return `<details open><summary>Params</summary>${table(["Param", "Value"], rows)}</details>`;
  }
  return "";
}

/** A small line chart: one point per version, the candidate last and highlighted. */
function svgChart(metric: string, series: { label: string; value: number }[]): string {
  const width = 340;
  const height = 180;
  const pad = { left: 48, right: 12, top: 24, bottom: 36 };
  const values = series.map((p) => p.value);
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (min === max) {
    const spread = Math.abs(min) * 0.05 || 1;
    min -= spread;
    max += spread;
  }
  const x = (i: number) => pad.left + (i * (width - pad.left - pad.right)) / Math.max(1, series.length - 1);
  const y = (v: number) => pad.top + ((max - v) * (height - pad.top - pad.bottom)) / (max - min);
  const points = series.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  const dots = series
    .map((p, i) => {
      const last = i === series.length - 1;
      return `<circle cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="${last ? 4 : 2.5}" fill="${last ? "#0969da" : "#59636e"}"><title>${esc(p.label)}: ${formatNumber(p.value)}</title></circle>`;
    })
    .join("");
  const label = (text: string) => esc(text.length > 14 ? `${text.slice(0, 13)}…` : text);
  const firstLabel = `<text x="${pad.left}" y="${height - 12}" font-size="10" fill="#59636e">${label(series[0].label)}</text>`;
  const lastLabel = `<text x="${width - pad.right}" y="${height - 12}" font-size="10" text-anchor="end" fill="#0969da">${label(series[series.length - 1].label)}</text>`;
  const axis = `<text x="4" y="${pad.top + 4}" font-size="10" fill="#59636e">${formatNumber(max)}</text><text x="4" y="${height - pad.bottom}" font-size="10" fill="#59636e">${formatNumber(min)}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(metric)} trend">` +
    `<text x="${pad.left}" y="16" font-size="12" font-weight="600">${esc(metric)}</text>${axis}` +
    `<polyline fill="none" stroke="#0969da" stroke-width="2" points="${points}"/>${dots}${firstLabel}${lastLabel}</svg>`
  );
}
