/** Generated test data, the same on every run. */

/** Deterministic pseudo-random numbers, so the data (and the verdicts) are the same on every run. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Customers: two numeric columns and a categorical one; `shift` moves all three. */
export function customersCsv(rows: number, seed: number, shift = 0): string {
  const random = rng(seed);
  const lines = ["age,income,plan"];
  for (let i = 0; i < rows; i++) {
    const age = 20 + random() * 40 + shift * 15;
    const income = 1000 + random() * 500 + shift * 400;
    const plan = random() < (shift ? 0.8 : 0.3) ? "pro" : "basic";
    lines.push(`${age.toFixed(2)},${income.toFixed(2)},${plan}`);
  }
  return `${lines.join("\n")}\n`;
}
