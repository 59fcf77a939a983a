import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// The benchmark's generator: 10,000 registry tags in one `git fast-import`.
import { generateRegistryRepo } from "../../bench/registry.mjs";
import { cliPath, createRepo, gitEnv, runCli, tempDir, type TestRepo } from "../helpers/repo";

const TRACE = path.join(import.meta.dirname, "fixtures", "trace-dist-loads.mjs");

let repo: TestRepo | undefined;
let dir: string | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
  if (dir) await fs.rm(dir, { recursive: true, force: true });
  dir = undefined;
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

/** Runs node with V8's `--trace-opt` and returns what it printed (the trace goes to stdout). */
function traceOptimizations(args: string[], cwd: string): string {
  return execFileSync(process.execPath, ["--trace-opt", ...args], {
    cwd,
    env: gitEnv(),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
}

const TURBOFAN_COMPILE = /completed compiling .*TURBOFAN/;

describe("the registry read path's compiler", () => {
  it("leaves V8's optimizing compiler off: compiling replay cost more CPU than it saved (docs/benchmarks.md)", async () => {
    dir = await tempDir("gitml-read-opt-");
    expect(generateRegistryRepo(dir)).toBe(10_000);
    // The trace shows TurboFan at work in a process that did not turn it off, so its absence below means something.
    const hotLoop = "let s = 0; for (let i = 0; i < 1e7; i++) s += i % 7; console.log(s);";
    expect(traceOptimizations(["-e", hotLoop], dir)).toMatch(TURBOFAN_COMPILE);
    for (const args of [
      ["show", "--json"],
      ["show", "model-42#production", "--json"],
      ["history", "--json"],
    ]) {
      const output = traceOptimizations([cliPath, ...args], dir);
      expect(output, args.join(" ")).toContain('"v1.80.0"');
      expect(output, args.join(" ")).not.toMatch(TURBOFAN_COMPILE);
    }
  });
});

describe("the registry read path's heap", () => {
  it("grows the young generation fast enough that reading 10,000 tags needs no full collection", async () => {
    dir = await tempDir("gitml-read-gc-");
    expect(generateRegistryRepo(dir)).toBe(10_000);
    const traceGc = (args: string[]) =>
      execFileSync(process.execPath, ["--trace-gc", ...args], {
        cwd: dir,
        env: gitEnv(),
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
      });
    // A process keeping as much alive, without gitml's flags, fills the old generation: the trace shows
    // its mark-compact, so the absence of one below means something.
    const script = [
      "const keep = [];",
      "for (let i = 0; i < 400000; i++) keep.push({ i, tag: 'model-' + (i % 100) + '@v1.' + i + '.0' });",
      "console.log(keep.length);",
    ].join(" ");
    expect(traceGc(["-e", script])).toMatch(/Mark-Compact/);
    for (const args of [
      ["show", "--json"],
      ["show", "model-42#production", "--json"],
    ]) {
      const output = traceGc([cliPath, ...args]);
      expect(output, args.join(" ")).toContain('"v1.80.0"');
      expect(output, args.join(" ")).toMatch(/Scavenge/);
      expect(output, args.join(" ")).not.toMatch(/Mark-Compact/);
    }
  });
});
