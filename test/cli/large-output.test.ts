import * as fs from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
// The benchmark's generator: many annotated tags in one `git fast-import`.
import { generateRegistryRepo } from "../../bench/registry.mjs";
import { runCli, tempDir } from "../helpers/repo";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe("large output through a pipe", () => {
  it("history --json of 10,000 tags arrives whole (the CLI exits only once stdout has drained)", async () => {
    dir = await tempDir("gitml-large-");
    expect(generateRegistryRepo(dir)).toBe(10_000);
    const result = await runCli(["history", "--json"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(1_000_000); // far beyond a pipe's 64 KiB buffer
    const events = JSON.parse(result.stdout) as Array<{ event: string }>;
    expect(events).toHaveLength(10_000);
    expect(events.filter((e) => e.event === "registration")).toHaveLength(8_000);
  });
});
