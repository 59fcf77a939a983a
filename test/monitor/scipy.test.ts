import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { profileData } from "../../src/monitor/read";
import { detectDrift } from "../../src/monitor/tests/detect";
import { runTest, type TestName } from "../../src/monitor/tests/stattests";
import type { DatasetProfile } from "../../src/monitor/profile";
import { generateScenarios, hasScipy, profileOneColumnCsv, tempDir, type Scenario } from "./helpers";

// Cross-checks every profile-based statistic with scipy on the same generated files: equal when the
// profiles hold exact values, within the error bound the test reports when a sketch was used.
const scipy = hasScipy();

// Skipping is for laptops without Debian's scipy; in CI, which installs it, a skip would hide a failure.
it.runIf(process.env.CI === "true")("CI has scipy, so the cross-checks below ran", () => {
  expect(scipy).toBe(true);
});

describe.skipIf(!scipy)("drift statistics against scipy", () => {
  const temp = tempDir();
  let scenarios: Scenario[] = [];
  const profiles = new Map<
    string,
    { js: [DatasetProfile, DatasetProfile]; sql: [DatasetProfile, DatasetProfile] }
  >();

  beforeAll(async () => {
    scenarios = generateScenarios(temp.dir);
    for (const s of scenarios) {
      const numeric = s.type === "numeric";
      profiles.set(s.name, {
        js: [profileOneColumnCsv(s.ref, numeric), profileOneColumnCsv(s.cur, numeric)],
        sql: [await profileData({ paths: [s.ref] }), await profileData({ paths: [s.cur] })],
      });
    }
  });
  afterAll(() => temp.cleanup());

  const numericTests: TestName[] = ["ks", "wasserstein", "jensenshannon", "hellinger", "psi", "kl_div"];
  const categoricalTests: TestName[] = ["chisquare", "z", "jensenshannon", "hellinger", "psi", "kl_div"];

  it("matches scipy within the stated bound for every scenario, test and engine", () => {
    expect(scenarios.length).toBeGreaterThan(10);
    let compared = 0;
    for (const s of scenarios) {
      for (const engine of ["js", "sql"] as const) {
        const [ref, cur] = profiles.get(s.name)![engine];
        const tests = s.type === "numeric" ? numericTests : categoricalTests;
        for (const test of tests) {
          const exact = s.exact[test];
          if (exact === undefined) continue;
          const r = runTest(test, ref.columns[0]!, cur.columns[0]!, ref.settings);
          const where = `${s.name}/${test}/${engine}: got ${r.statistic}, scipy ${exact}, bound ${r.errorBound}`;
          if (Number.isNaN(r.errorBound)) {
            // PSI/KL on a sketch: no stated bound; they must still be in the right region.
            expect(Math.abs(r.statistic - exact), where).toBeLessThan(0.25 * exact + 0.01);
          } else {
            expect(Math.abs(r.statistic - exact), where).toBeLessThanOrEqual(
              r.errorBound + 1e-6 * (1 + Math.abs(exact)),
            );
          }
          if (test === "ks") {
            // The sketch KS is a lower bound of the exact one.
            expect(r.statistic, where).toBeLessThanOrEqual(exact + 1e-12);
            if (r.errorBound === 0) expect(r.pValue!, where).toBeCloseTo(s.exact.ks_p!, 4);
          }
          if (test === "chisquare" || test === "z") {
            expect(Math.abs(r.pValue! - s.exact[`${test}_p`]!), where).toBeLessThan(
              1e-6 + 1e-3 * s.exact[`${test}_p`]!,
            );
          }
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it("keeps the Wasserstein bound tight enough to decide Evidently's 0.1 threshold", () => {
    for (const s of scenarios.filter((x) => x.name.startsWith("large_"))) {
      const [ref, cur] = profiles.get(s.name)!.sql;
      const r = runTest("wasserstein", ref.columns[0]!, cur.columns[0]!, ref.settings);
      expect(r.errorBound, s.name).toBeLessThan(0.05);
      expect(r.statistic >= 0.1, s.name).toBe(s.exact.wasserstein! >= 0.1);
    }
  });

  it("gives Evidently's verdicts: drift where the data was shifted, none where it was not", () => {
    const verdict = (name: string) => {
      const [reference, current] = profiles.get(name)!.sql;
      return detectDrift({ reference, current }).columns[0]!;
    };
    expect(verdict("small_same")).toMatchObject({ test: "ks", drift: false });
    expect(verdict("small_mean_shift")).toMatchObject({ test: "ks", drift: true });
    expect(verdict("small_var_change")).toMatchObject({ test: "ks", drift: true });
    expect(verdict("large_same")).toMatchObject({ test: "wasserstein", drift: false });
    expect(verdict("large_mean_shift")).toMatchObject({ test: "wasserstein", drift: true });
    expect(verdict("large_var_change")).toMatchObject({ test: "wasserstein", drift: true });
    expect(verdict("cat_same")).toMatchObject({ test: "jensenshannon", drift: false });
    expect(verdict("cat_label_shift")).toMatchObject({ test: "jensenshannon", drift: true });
    expect(verdict("cat_new_category")).toMatchObject({ test: "jensenshannon", drift: true });
    expect(verdict("cat_small")).toMatchObject({ test: "chisquare", drift: true });
    expect(verdict("binary_small")).toMatchObject({ test: "z", drift: true });
  });
});
