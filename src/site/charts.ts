/**
 * Charts as inline SVG (nothing loaded, nothing run): a sparkline for the index and one chart per metric
 * on a model page, x = versions in registration order, y = the metric, with markers on the versions that
 * hold a stage. Coordinates are rounded to one decimal to keep 200 sparklines small.
 */
import { formatNumber } from "../report/format";
import { esc } from "./html";

export interface ChartPoint {
  label: string;
  value: number;
  /** Stages this point's version holds now (marked on the chart). */
  stages?: readonly string[];
}

const round = (n: number): string => String(Math.round(n * 10) / 10);

function scale(values: readonly number[], from: number, to: number): (v: number) => number {
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return () => (from + to) / 2;
  return (v) => from + ((v - min) / (max - min)) * (to - from);
}

/** A small trend line (the index's headline metric), last point dotted; empty string for no points. */
export function sparkline(points: readonly ChartPoint[], label: string): string {
  if (points.length === 0) return "";
  const width = 100;
  const height = 24;
  const x = (i: number) => (points.length === 1 ? width / 2 : 2 + (i / (points.length - 1)) * (width - 4));
  const y = scale(
    points.map((p) => p.value),
    height - 3,
    3,
  );
  // Whole pixels: 200 of these sit on the index, and a 100×24 line needs no finer grain.
  const coordinates = points.map((p, i) => `${Math.round(x(i))},${Math.round(y(p.value))}`).join(" ");
  const last = points[points.length - 1]!;
  const first = points[0]!;
  const summary = `${label}: ${formatNumber(first.value)} (${first.label}) to ${formatNumber(last.value)} (${last.label}) over ${points.length} version${points.length === 1 ? "" : "s"}`;
  return (
    `<svg class="spark" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(summary)}">` +
    `<polyline points="${coordinates}"/>` +
    `<circle cx="${Math.round(x(points.length - 1))}" cy="${Math.round(y(last.value))}" r="2.5"/></svg>`
  );
}

const STAGE_COLORS = ["#8250df", "#1a7f37", "#bf3989", "#bc4c00", "#0550ae"];

/** One metric across versions, with stage markers and min/max/first/last labels. */
export function metricChart(
  metric: string,
  points: readonly ChartPoint[],
  stageOrder: readonly string[],
): string {
  const width = 360;
  const height = 190;
  const left = 52;
  const right = 12;
  const top = 22;
  const bottom = 34;
  const values = points.map((p) => p.value);
  const x = (i: number) =>
    points.length === 1
      ? (left + width - right) / 2
      : left + (i / (points.length - 1)) * (width - left - right);
  const y = scale(values, height - bottom, top);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const title = `${metric} across ${points.length} version${points.length === 1 ? "" : "s"}: from ${formatNumber(first.value)} (${first.label}) to ${formatNumber(last.value)} (${last.label}), lowest ${formatNumber(min)}, highest ${formatNumber(max)}`;
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">`,
  );
  // Axes and the min/max labels.
  parts.push(
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#d1d9e0"/>`,
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#d1d9e0"/>`,
    `<text x="${left - 4}" y="${round(y(max) + 4)}" font-size="10" text-anchor="end" fill="#59636e">${esc(formatNumber(max))}</text>`,
  );
  if (max !== min)
    parts.push(
      `<text x="${left - 4}" y="${round(y(min) + 4)}" font-size="10" text-anchor="end" fill="#59636e">${esc(formatNumber(min))}</text>`,
    );
  parts.push(
    `<text x="${left}" y="${height - bottom + 14}" font-size="10" fill="#59636e">${esc(first.label)}</text>`,
  );
  if (points.length > 1)
    parts.push(
      `<text x="${width - right}" y="${height - bottom + 14}" font-size="10" text-anchor="end" fill="#59636e">${esc(last.label)}</text>`,
    );
  if (points.length > 1) {
    const line = points.map((p, i) => `${round(x(i))},${round(y(p.value))}`).join(" ");
    parts.push(`<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="${line}"/>`);
  }
  const legend = new Set<string>();
  points.forEach((point, i) => {
    const cx = round(x(i));
    const cy = round(y(point.value));
    const stages = point.stages ?? [];
    if (stages.length === 0) {
      const tip = `${point.label}: ${formatNumber(point.value)}`;
      parts.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="#0969da"><title>${esc(tip)}</title></circle>`);
      return;
    }
    // A version holding several stages at once gets one ring per stage, concentric, in the stages'
    // order from the outside in: the outer ring carries the tooltip, the inner ones let the pointer through.
    const held = [...stages].sort((a, b) => stageRank(a, stageOrder) - stageRank(b, stageOrder));
    for (const stage of held) legend.add(stage);
    const tip = `${point.label}: ${formatNumber(point.value)} (${held.join(", ")})`;
    held.forEach((stage, ring) => {
      const radius = 5 + (held.length - 1 - ring) * 3.5;
      const color = stageColor(stage, stageOrder);
      parts.push(
        ring === 0
          ? `<circle cx="${cx}" cy="${cy}" r="${radius}" fill="#fff" stroke="${color}" stroke-width="2.5" class="stage-marker" data-stages="${esc(held.join(" "))}"><title>${esc(tip)}</title></circle>`
          : `<circle cx="${cx}" cy="${cy}" r="${radius}" fill="none" stroke="${color}" stroke-width="2.5" class="stage-ring" pointer-events="none"/>`,
      );
    });
  });
  // The legend names each stage's marker colour, on one line below the axis.
  let legendX = left;
  for (const stage of [...legend].sort((a, b) => stageRank(a, stageOrder) - stageRank(b, stageOrder))) {
    const color = stageColor(stage, stageOrder);
    parts.push(
      `<circle cx="${legendX + 4}" cy="${height - 8}" r="4" fill="#fff" stroke="${color}" stroke-width="2"/>`,
      `<text x="${legendX + 12}" y="${height - 4}" font-size="10" fill="#1f2328">${esc(clipLabel(stage))}</text>`,
    );
    legendX += 24 + Math.min(stage.length, 14) * 6;
  }
  parts.push("</svg>");
  return parts.join("");
}

function stageRank(stage: string, order: readonly string[]): number {
  const index = order.indexOf(stage);
  return index === -1 ? order.length : index;
}

function stageColor(stage: string, order: readonly string[]): string {
  return STAGE_COLORS[stageRank(stage, order) % STAGE_COLORS.length]!;
}

function clipLabel(text: string): string {
  return text.length > 14 ? `${text.slice(0, 13)}…` : text;
}
