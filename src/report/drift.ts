import { markdownTable } from "markdown-table";
import type { ColumnDrift, DriftReport } from "../monitor";
import type { PerformanceResult } from "../monitor/performance";
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
  /** The column holding the model's predictions: its row is marked, and its drift is stated. */
  predictionColumn?: string;
  performance?: PerformanceResult;
}

/** The drift report as markdown: the verdict, one row per column, a chart of the drift scores. */
export function renderDriftMarkdown(report: DriftReport, context: DriftReportContext): string {
  const model = escapeMarkdown(context.model);
  const against = context.version
    ? ` against ${escapeMarkdown(context.version)}${context.stage ? ` (${escapeMarkdown(context.stage)})` : ""}`
    : "";
  const importance = report.importance;
  const byImportance = importance?.decided_by === "importance";
  const verdict = byImportance
    ? `${report.dataset_drift ? "🔴 **Dataset drift**" : "🟢 **No dataset drift**"}: the drifted columns hold ${percent(importance!.drifted_share)} of the model's importance (${report.dataset_drift ? "≥" : "<"} ${percent(importance!.threshold!)}, \`importance_drift_share\`) · ${report.number_of_drifted_columns} of ${report.number_of_columns} columns drifted`
    : report.dataset_drift
      ? `🔴 **Dataset drift**: ${report.number_of_drifted_columns} of ${report.number_of_columns} columns drifted (share ${formatNumber(report.share_of_drifted_columns)} ≥ ${formatNumber(report.drift_share)})`
      : `🟢 **No dataset drift**: ${report.number_of_drifted_columns} of ${report.number_of_columns} columns drifted (share ${formatNumber(report.share_of_drifted_columns)} < ${formatNumber(report.drift_share)})`;
  const weighed = report.columns.some((c) => c.importance !== undefined);
  const schema = report.schema_drift ? [schemaDriftLine(report), ""] : [];
  const lines = [
    stickyMarkerLine(`monitor:${context.model}`),
    `### gitml · drift · ${model}${against}`,
    "",
    ...schema,
    verdict,
    "",
    `Reference: ${context.referenceRows} rows · current: ${context.currentRows} rows${report.number_of_column_errors ? ` · ${report.number_of_column_errors} column(s) could not be tested` : ""}${report.number_of_undecided_columns ? ` · ${report.number_of_undecided_columns} column(s) undecided (the approximation's error bound straddles the threshold; not counted as drifted)` : ""}`,
    "",
    ...importanceLines(report),
    ...predictionLines(report, context),
    markdownTable(
      [
        [
          "Column",
          ...(weighed ? ["Importance"] : []),
          "Type",
          "Test",
          "Statistic",
          "p-value",
          "Threshold",
          "Drift",
        ],
        // Drifted first, those the model leans on most at the top: the order to look at them in.
        ...[...report.columns]
          .sort(
            (a, b) =>
              Number(b.drift) - Number(a.drift) ||
              (b.importance ?? -1) - (a.importance ?? -1) ||
              a.name.localeCompare(b.name),
          )
          .map((c) => [
            escapeMarkdown(c.name) + (c.name === context.predictionColumn ? " (prediction)" : ""),
            ...(weighed ? [c.importance === undefined ? "-" : percent(c.importance)] : []),
            c.type,
            c.test === null ? "-" : c.descriptor ? `${c.test} (text ${c.descriptor})` : c.test,
            c.statistic === null ? "-" : statisticCell(c.statistic, c.statistic_range),
            c.p_value === undefined ? "-" : statisticCell(c.p_value, c.p_value_range),
            thresholdCell(c),
            c.error
              ? `⚠️ ${escapeMarkdown(c.error)}`
              : c.drift
                ? "🔴 drift"
                : c.undecided
                  ? "⚪ undecided"
                  : "🟢",
          ]),
      ],
      { align: ["l", ...(weighed ? (["r"] as const) : []), "l", "l", "r", "r", "r", "l"] },
    ),
  ];
  // Distance tests only (no p-value at all; a p-value of 0 is still a p-value test): their statistic
  // and threshold share a scale, so bars and the line compare.
  const charted = report.columns
    .filter((c) => c.statistic !== null && c.threshold !== null && c.p_value === undefined)
    .filter((c) => Number.isFinite(c.statistic))
    .slice(0, 30);
  if (charted.length > 0) {
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

const percent = (share: number) => `${Number((share * 100).toPrecision(3))} %`;

/**
 * Drift triage: how much of the model's importance the drifted columns hold, the most important named
 * (or why the importance rule could not apply).
 */
function importanceLines(report: DriftReport): string[] {
  const importance = report.importance;
  if (!importance) return [];
  if (!report.columns.some((c) => c.importance !== undefined)) {
    return importance.note ? [`⚠️ ${escapeMarkdown(importance.note)}`, ""] : [];
  }
  const drifted = importance.drifted_columns;
  const named = drifted
    .slice(0, 5)
    .map((c) => `${codeSpan(c.name.replace(/\s+/g, " "))} ${percent(c.share)}`)
    .join(", ");
  const more = drifted.length > 5 ? ` and ${drifted.length - 5} more` : "";
  const sentence =
    drifted.length === 0
      ? "**Importance**: no drifted column is one of the model's features"
      : `**Importance**: ${drifted.length} drifted column${drifted.length === 1 ? "" : "s"} hold${drifted.length === 1 ? "s" : ""} ${percent(importance.drifted_share)} of the model's importance: ${named}${more}`;
  const source = importance.note ? ` (${escapeMarkdown(importance.note)})` : "";
  return [`${sentence}${source}`, ""];
}

/** A value, and the range the exact one lies in when it was approximated. */
function statisticCell(value: number, range?: [number, number]): string {
  if (!range) return formatNumber(value);
  return `${formatNumber(value)} (${formatNumber(range[0])}–${formatNumber(range[1])})`;
}

/** The threshold, and where a data-driven one came from (or why the fixed one was used instead). */
function thresholdCell(column: ColumnDrift): string {
  if (column.threshold === null) return "-";
  const value = formatNumber(column.threshold);
  if (column.threshold_source === "data") return `${value} (from the reference)`;
  if (column.threshold_note) return `${value} ⚠️ ${escapeMarkdown(column.threshold_note)}`;
  return value;
}

/** Prediction drift and performance decay, each one line, above the per-column table. */
function predictionLines(report: DriftReport, context: DriftReportContext): string[] {
  const lines: string[] = [];
  const prediction = report.columns.find((c) => c.name === context.predictionColumn);
  if (prediction) {
    const name = codeSpan(prediction.name);
    const state = prediction.error
      ? `⚠️ could not be tested (${escapeMarkdown(prediction.error)})`
      : prediction.drift
        ? "🔴 drifted"
        : "🟢 no drift";
    lines.push(`**Prediction drift** (column ${name}): ${state}`);
  }
  const p = context.performance;
  if (p) {
    const metric = codeSpan(p.metric);
    const current = p.current === null ? "-" : formatNumber(p.current);
    const on = `on ${p.rows} labelled rows`;
    if (p.task === null) {
      lines.push(`**Performance**: ⚠️ ${escapeMarkdown(p.note ?? "could not be measured")}`);
    } else if (p.reference === null || p.current === null || p.delta === null) {
      lines.push(
        `**Performance**: ${metric} ${current} ${on} · ${escapeMarkdown(p.note ?? "no reference value")}`,
      );
    } else {
      const verdict = p.decayed ? "🔴 **decayed**" : "🟢 within tolerance";
      const sign = p.delta > 0 ? "+" : "";
      lines.push(
        `**Performance**: ${verdict}: ${metric} ${current} ${on} vs ${formatNumber(p.reference)} registered (${sign}${formatNumber(p.delta)}, tolerance ${formatNumber(p.tolerance)}, ${p.direction} is better)`,
      );
    }
  }
  // Each its own paragraph: consecutive lines would run together in rendered markdown.
  return lines.flatMap((line) => [line, ""]);
}

/** Inside a code span nothing is markdown, so only a backtick could break out of it. */
/** Schema drift in one line, the columns named as code (they come from the data). */
function schemaDriftLine(report: DriftReport): string {
  const names = (list: string[]) => {
    const shown = list.slice(0, 20).map((name) => codeSpan(name.replace(/\s+/g, " ")));
    return list.length > 20 ? `${shown.join(", ")} and ${list.length - 20} more` : shown.join(", ");
  };
  const missing = report.missing_columns ?? [];
  const added = report.new_columns ?? [];
  const compared = report.columns.filter((c) => c.type !== "unknown").length;
  const what =
    missing.length > 0 && missing.length > compared / 2
      ? `${missing.length} of the reference's ${compared} columns are missing from the current data: ${names(missing)}`
      : `none of the reference's ${compared} columns could be compared with the current data (see each column's error)`;
  return `🔴 **Schema drift**: ${what}${added.length > 0 ? `; new columns: ${names(added)}` : ""}`;
}

function codeSpan(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}
