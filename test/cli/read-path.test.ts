import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRepo, runCli, type TestRepo } from "../helpers/repo";

const TRACE = path.join(import.meta.dirname, "fixtures", "trace-dist-loads.mjs");

let repo: TestRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

/**
 * The registry read path (show, history, check-ref) must stay small: it reads tags only, so it must never
 * load the config schema (zod, yaml) or GitHub's client. Loading them cost a third of the read's time once
 * (docs/benchmarks.md), through a helper imported from commands/context.ts.
 */
describe("the registry read path", () => {
  it.each([
    ["show", "--json"],
    ["history", "--json"],
    ["check-ref", "churn@v1.0.0"],
  ])("gitml %s loads neither zod, yaml nor Octokit", async (...args) => {
    repo = await createRepo();
    const result = await runCli(args, {
      cwd: repo.work,
      env: { NODE_OPTIONS: `--import=${TRACE}` },
    });
    expect(result.code, result.stderr).toBe(0);
    const loaded = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("GITML-LOADED "))
      .map((line) => line.split(" ")[1]!);
    expect(loaded.length).toBeGreaterThan(2);
    const sources = await Promise.all(loaded.map((url) => fs.readFile(new URL(url), "utf8")));
    const offenders = loaded.filter((_, i) => /ZodError|yaml\.alias|@octokit/.test(sources[i]!));
    expect(offenders).toEqual([]);
  });
});
