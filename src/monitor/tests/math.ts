/** Special functions for the p-values of the drift tests (no dependency carries them in Node). */

/** Complementary error function, Numerical Recipes' Chebyshev fit: relative error < 1.2e-7. */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z > z) for a standard normal Z. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

const lanczos = [
  676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const xm = x - 1;
  let a = 0.99999999999980993;
  const t = xm + 7.5;
  for (let i = 0; i < lanczos.length; i++) a += lanczos[i]! / (xm + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (xm + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x) (series below a+1, continued fraction above). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnPrefix = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lnPrefix));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lnPrefix) * h;
}

export function chiSquareSf(statistic: number, degreesOfFreedom: number): number {
  if (!(statistic >= 0)) return NaN;
  if (statistic === Infinity) return 0;
  return gammaQ(degreesOfFreedom / 2, statistic / 2);
}

/** Kolmogorov's limiting distribution, P(K > λ). */
function kolmogorovSf(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/**
 * Two-sided p-value of the two-sample KS statistic. Exact (counting lattice paths that leave the band,
 * as scipy's `method="exact"`, assuming no ties) when n1·n2 ≤ 4e6, otherwise the asymptotic
 * distribution with Stephens' small-sample correction.
 */
export function ksTwoSamplePValue(statistic: number, n1: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return NaN;
  if (statistic <= 0) return 1;
  if (n1 * n2 <= 4e6) return ksExactPValue(statistic, n1, n2);
  const en = (n1 * n2) / (n1 + n2);
  const sqrtEn = Math.sqrt(en);
  return kolmogorovSf((sqrtEn + 0.12 + 0.11 / sqrtEn) * statistic);
}

function ksExactPValue(statistic: number, n1: number, n2: number): number {
  // A path from (0,0) to (n1,n2) stays inside when |i/n1 − j/n2| < d, i.e. |i·n2 − j·n1| < h.
  const h = Math.round(statistic * n1 * n2);
  // inside[j] holds (paths reaching (i, j) inside the band) / C(i+j, i): stays within [0, 1].
  let row = new Float64Array(n2 + 1);
  row[0] = 1;
  for (let j = 1; j <= n2; j++) row[j] = Math.abs(j * n1) < h ? row[j - 1]! : 0;
  for (let i = 1; i <= n1; i++) {
    const next = new Float64Array(n2 + 1);
    next[0] = Math.abs(i * n2) < h ? row[0]! : 0;
    for (let j = 1; j <= n2; j++) {
      if (Math.abs(i * n2 - j * n1) >= h) continue;
      next[j] = (row[j]! * i + next[j - 1]! * j) / (i + j);
    }
    row = next;
  }
  return Math.min(1, Math.max(0, 1 - row[n2]!));
}
