import { afterEach, expect, it, vi } from "vitest";

afterEach(() => {
  vi.doUnmock("@duckdb/node-api");
  vi.resetModules();
});

it("a missing @duckdb/node-api is one user error saying how to install it, for every reader", async () => {
  vi.resetModules();
  vi.doMock("@duckdb/node-api", () => {
    throw new Error("Cannot find package '@duckdb/node-api'");
  });
  // Imported after the mock, as the readers are: the error class is that module graph's.
  const { isUserError } = await import("../../src/util/errors");
  const { openDataEngine } = await import("../../src/monitor/read/engine");
  const { SuiteData } = await import("../../src/suites/data");
  const { readLabelledData } = await import("../../src/monitor/performance");
  for (const open of [
    () => openDataEngine(),
    () => SuiteData.open({ baseDir: ".", files: {} }),
    () => readLabelledData({ path: "predictions.csv" }),
  ]) {
    const error = await open().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toBe(
      "reading data files needs the @duckdb/node-api package (npm install @duckdb/node-api)",
    );
  }
});
