/**
 * The words of expectation results: rules (`between 0 and 120`), counts (`1,000`) and shares (`1.2%`), so
 * that every check's `rule` and `detail` read the same way in the PR report.
 */
import { formatNumber } from "../../util/format";
import type { CellValue } from "../types";

export interface Bounds {
  min?: number;
  max?: number;
  strictMin?: boolean;
  strictMax?: boolean;
}

/** `1,234,567`: row counts for people. */
export function formatCount(value: number): string {
  return value.toLocaleString("en-US");
}

/**
 * `1.2%`, with up to two decimals; a share that is neither 0 nor 1 never rounds to `0%` or `100%`, so a
 * failing check never reads as if nothing failed.
 */
export function formatShare(fraction: number): string {
  if (fraction === 0) return "0%";
  if (fraction === 1) return "100%";
  const percent = Number((fraction * 100).toFixed(2));
  if (percent === 0) return "<0.01%";
  if (percent === 100) return ">99.99%";
  return `${percent}%`;
}

/** `between 0 and 120`, `greater than 0 and at most 120`, `at least 0`, `less than 120`. */
export function rangePhrase(bounds: Bounds): string {
  const { min, max, strictMin = false, strictMax = false } = bounds;
  const low =
    min === undefined ? undefined : `${strictMin ? "greater than" : "at least"} ${formatNumber(min)}`;
  const high = max === undefined ? undefined : `${strictMax ? "less than" : "at most"} ${formatNumber(max)}`;
  if (low !== undefined && high !== undefined) {
    if (!strictMin && !strictMax && min === max) return `exactly ${formatNumber(min)}`;
    if (!strictMin && !strictMax) return `between ${formatNumber(min)} and ${formatNumber(max)}`;
    return `${low} and ${high}`;
  }
  return low ?? high ?? "any value";
}

/** Whether a measured value satisfies the bounds (a side left undefined is open). */
export function withinBounds(value: number, bounds: Bounds): boolean {
  const { min, max, strictMin = false, strictMax = false } = bounds;
  // NaN compares false with everything, so without this a NaN mean would pass any bounds.
  if (Number.isNaN(value)) return false;
  if (min !== undefined && (strictMin ? value <= min : value < min)) return false;
  if (max !== undefined && (strictMax ? value >= max : value > max)) return false;
  return true;
}

/** ` for ≥ 99% of non-null values` when `mostly` relaxes the rule, else the empty string. */
export function mostlySuffix(mostly: number, of = "non-null values"): string {
  return mostly < 1 ? ` for ≥ ${formatShare(mostly)} of ${of}` : "";
}

const MAX_LISTED = 10;

/** `{a, b, c}`, or the first few and how many more for a long list. */
export function formatSet(values: ReadonlyArray<string | number | boolean>): string {
  const shown = values.slice(0, MAX_LISTED).map((value) => formatValue(value));
  const more = values.length > MAX_LISTED ? `, … (${values.length - MAX_LISTED} more)` : "";
  return `{${shown.join(", ")}${more}}`;
}

/** A cell value as it appears in a sentence: strings quoted, numbers readable. */
export function formatValue(value: CellValue): string {
  if (value === null) return "null";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** `a, b and c`. */
export function formatList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
