import { distance } from "fastest-levenshtein";

const normalise = (value: string): string => value.toLowerCase().replace(/[-_\s]/g, "");

/**
 * The candidate a typo most likely meant, or undefined when none is close enough to be a useful hint.
 * `compareTo`, `compare-to` and `Compare_To` all match `compare_to` outright, as does an abbreviation
 * that fits one candidate only (`prod`); otherwise a few edits may differ
 * (one for words of up to three letters, else two, or a third of the word up to three).
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  const exact = list.find((candidate) => normalise(candidate) === normalise(word));
  if (exact !== undefined) return exact;
  // An abbreviation (`prod` for `production`) is a likely intent when it fits exactly one candidate.
  const extensions = list.filter(
    (candidate) => word.length >= 3 && normalise(candidate).startsWith(normalise(word)),
  );
  if (extensions.length === 1) return extensions[0];
  const budget = word.length <= 3 ? 1 : Math.min(3, Math.max(2, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of list) {
    const d = isOneSwapAway(normalise(word), normalise(candidate))
      ? 1
      : distance(normalise(word), normalise(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= budget ? best : undefined;
}

/** `; did you mean \`x\`?` or the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const hit = nearest(word, candidates);
  return hit === undefined ? "" : `; did you mean \`${hit}\`?`;
}

/** `mni` for `min`: Levenshtein counts a swap of neighbours as two edits; typists make it as one. */
function isOneSwapAway(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length && diff.length <= 2; i++) if (a[i] !== b[i]) diff.push(i);
  const [i, j] = diff;
  return diff.length === 2 && i !== undefined && j === i + 1 && a[i] === b[j] && a[j] === b[i];
}
