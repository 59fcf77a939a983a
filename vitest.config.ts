import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn git and node children; two cores on CI machines.
    pool: "forks",
    // The JSON report lets .ci/run end with the plain "N passed, N failed" line CI reads.
    reporters: ["default", ["json", { outputFile: ".vitest-tmp/results.json" }]],
  },
});
