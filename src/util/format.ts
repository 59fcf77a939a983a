/** Numbers for people, the same everywhere gitml words a finding: reports, suite checks, the CLI. */

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
