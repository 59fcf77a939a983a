import { configDefaults, defineConfig } from "vitest/config";

/**
 * Tests that start processes: git on temporary repositories, `dist/cli.js`, the actions as the runner runs
 * them, the workflow harness, python for the statistics cross-checks, Chromium for the catalog's pages.
 * They need `npm run build` first. Every other test is a unit test: in-process, no build, the fast inner
 * loop (`npx vitest run --project unit`), which fails any test that starts a process
 * (test/helpers/no-child-processes.ts).
 */
const integration = [
  "test/action/**",
  "test/action-monitor/**",
  "test/browser/**",
  "test/cli/**",
  "test/commands/**",
  "test/git/**",
  "test/init/**",
  "test/runner/**",
  "test/standin/artifacts/**",
  "test/templates/**",
  "test/workflows/**",
  "test/evaluate/predictions-evaluate.test.ts",
  "test/evaluate/predictions-sklearn.test.ts",
  "test/monitor/evidently.test.ts",
  "test/monitor/performance.test.ts",
  "test/monitor/scipy.test.ts",
  "test/registry/gto-differential.test.ts",
  "test/release/actions.test.ts",
  "test/release/importances.test.ts",
  "test/release/merge.test.ts",
  "test/store/github-context.test.ts",
  "test/suites/evaluate-suite.test.ts",
  "test/suites/load-remote.test.ts",
  "test/suites/slices-sklearn.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn git and node children; two cores on CI machines.
    pool: "forks",
    // The JSON report lets .ci/run end with the plain "N passed, N failed" line CI reads.
    reporters: ["default", ["json", { outputFile: ".vitest-tmp/results.json" }]],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...integration],
          setupFiles: ["test/helpers/no-child-processes.ts"],
        },
      },
      { extends: true, test: { name: "integration", include: integration.map(asTestGlob) } },
    ],
  },
});

/** A folder's glob names its test files only. */
function asTestGlob(glob: string): string {
  return glob.endsWith("/**") ? `${glob}/*.test.ts` : glob;
}
