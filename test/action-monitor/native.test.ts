/**
 * The DuckDB engine at run time: the bundle copied out of the gitml checkout (as a GitHub Action's
 * checkout has no node_modules) installs the pinned engine with npm into RUNNER_TOOL_CACHE, loads it from
 * there, and reuses the cache on the next run. npm is a stand-in on PATH that records its arguments and
 * installs from this checkout's node_modules, so the suite needs no network.
 */
import { chmodSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DUCKDB_PACKAGE, DUCKDB_VERSION, engineCacheDir, npmInstallArgs } from "../../src/action/native";
import { DUCKDB_LOCK } from "../../src/action/native-lock";
import { tempDir } from "../helpers/repo";
import { repoRoot } from "../runner/run-action";
import { useStandin } from "../standin";
import { createBed, describeRun, type Bed } from "./bed";

const FAKE_NPM = `#!${process.execPath}
const fs = require("node:fs");
const path = require("node:path");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_NPM_LOG, JSON.stringify(args) + "\\n");
if (process.env.FAKE_NPM_FAIL) {
  console.error("npm error code ECONNREFUSED\\nnpm error network request to registry failed");
  process.exit(1);
}
const prefix = args[args.indexOf("--prefix") + 1];
const source = process.env.FAKE_NPM_SOURCE;
for (const name of fs.readdirSync(source)) {
  fs.cpSync(path.join(source, name), path.join(prefix, "node_modules", "@duckdb", name), {
    recursive: true,
    dereference: true,
  });
}
`;

describe("the DuckDB engine of actions/monitor", () => {
  it("pins the same version as package.json", async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(repoRoot, "package.json"), "utf8"));
    expect(pkg.dependencies[DUCKDB_PACKAGE]).toBe(DUCKDB_VERSION);
    // The install takes its versions from the lock (native-lock.ts), which must pin the same one.
    expect(DUCKDB_LOCK[DUCKDB_PACKAGE]?.version).toBe(DUCKDB_VERSION);
  });

  describe("outside a checkout with node_modules", () => {
    const standin = useStandin();
    let bed: Bed;
    let scratch: string;
    let bundle: string;
    let env: Record<string, string>;

    beforeEach(async () => {
      bed = await createBed(standin.current, [{ name: "churn" }]);
      scratch = await tempDir("gitml-native-");
      // The action as GitHub checks it out: actions/ and dist/, no node_modules anywhere above.
      await fs.cp(path.join(repoRoot, "dist"), path.join(scratch, "gitml", "dist"), { recursive: true });
      bundle = path.join(scratch, "gitml", "dist", "actions", "monitor.js");
      const bin = path.join(scratch, "bin");
      await fs.mkdir(bin);
      await fs.writeFile(path.join(bin, "npm"), FAKE_NPM);
      chmodSync(path.join(bin, "npm"), 0o755);
      env = {
        PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
        RUNNER_TOOL_CACHE: path.join(scratch, "toolcache"),
        FAKE_NPM_LOG: path.join(scratch, "npm.log"),
        FAKE_NPM_SOURCE: path.join(repoRoot, "node_modules", "@duckdb"),
      };
    });
    afterEach(async () => {
      await bed.cleanup();
      await fs.rm(scratch, { recursive: true, force: true });
    });

    const npmCalls = async (): Promise<string[][]> => {
      const log = await fs.readFile(env.FAKE_NPM_LOG!, "utf8").catch(() => "");
      return log
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as string[]);
    };

    it("installs the pinned engine into the tool cache once, then loads it from the cache", async () => {
      await bed.writeLive("churn", "drifted");
      const first = await bed.run({}, { bundle, env });
      expect(first.code, describeRun(first)).toBe(0);
      expect(first.outputs.drift).toBe("true");
      const cacheDir = engineCacheDir(env.RUNNER_TOOL_CACHE!);
      expect(first.stdout).toContain(
        `installing ${DUCKDB_PACKAGE}@${DUCKDB_VERSION} with npm into ${cacheDir}`,
      );
      expect(first.stdout).not.toContain("found at");
      const calls = await npmCalls();
      expect(calls).toHaveLength(1);
      const prefix = calls[0]![calls[0]!.indexOf("--prefix") + 1]!;
      expect(path.dirname(prefix)).toBe(path.dirname(cacheDir));
      expect(calls[0]).toEqual(npmInstallArgs(prefix));
      await expect(fs.access(path.join(cacheDir, "node_modules", "@duckdb", "node-api"))).resolves.toBe(
        undefined,
      );
      // The scratch folder of the install was renamed into place, nothing half-done is left.
      const siblings = await fs.readdir(path.dirname(cacheDir));
      expect(siblings).toEqual([path.basename(cacheDir)]);

      await bed.writeLive("churn", "like-reference");
      const second = await bed.run({}, { bundle, env, runId: 2 });
      expect(second.code, describeRun(second)).toBe(0);
      expect(second.outputs.drift).toBe("false");
      expect(second.stdout).toContain(`using the cached ${DUCKDB_PACKAGE}@${DUCKDB_VERSION} in ${cacheDir}`);
      expect(await npmCalls()).toHaveLength(1);
      expect(bed.issues()[0]!.state).toBe("closed");
    });

    it("explains a failed install (exit 2) and leaves no cache behind", async () => {
      await bed.writeLive("churn", "drifted");
      const run = await bed.run({}, { bundle, env: { ...env, FAKE_NPM_FAIL: "1" } });
      expect(run.code, describeRun(run)).toBe(2);
      expect(run.stdout).toContain(`installing ${DUCKDB_PACKAGE}@${DUCKDB_VERSION} failed`);
      expect(run.stdout).toContain("ECONNREFUSED");
      expect(bed.issues()).toEqual([]);
      const cacheParent = path.dirname(engineCacheDir(env.RUNNER_TOOL_CACHE!));
      expect(await fs.readdir(cacheParent)).toEqual([]);
    });

    it("needs no engine when both sides are profiles", async () => {
      const ref = path.join(bed.checkout, "ref.json");
      const cur = path.join(bed.checkout, "cur.json");
      // Profiles made by the CLI from this checkout (where the engine resolves), as a matrix job would.
      const { profileData, profileToJson } = await import("../../src/monitor");
      const train = path.join(bed.checkout, "models", "churn", "data", "train.csv");
      await bed.writeLive("churn", "drifted");
      const live = path.join(bed.checkout, "models", "churn", "data", "live", "today.csv");
      await fs.writeFile(ref, profileToJson(await profileData({ paths: [train] })));
      await fs.writeFile(cur, profileToJson(await profileData({ paths: [live] })));
      const run = await bed.run(
        { reference: "ref.json", current: "cur.json", issue: "false" },
        { bundle, env: { ...env, FAKE_NPM_FAIL: "1" } },
      );
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.outputs.drift).toBe("true");
      expect(await npmCalls()).toEqual([]);
      expect(run.stdout).not.toContain("DuckDB engine");
    });
  });
});
