/**
 * An action's exit codes, run as the runner runs it: the same mapping as the CLI's (src/util/errors.ts),
 * so a workflow can tell a user error, a GitHub or environment failure and a bug apart.
 */
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/repo";
import { workflowCommands } from "../runner/run-action";
import { useStandin } from "../standin";
import { type Bed, createBed } from "./setup";

let bed: Bed | undefined;
afterEach(async () => {
  await bed?.cleanup();
  bed = undefined;
});

/** The step's failure messages, as the runner shows them. */
function errors(run: { stdout: string }): string {
  return workflowCommands(run.stdout, "error").join("\n");
}

describe("actions/evaluate exit codes", () => {
  const github = useStandin();

  it("an input the workflow got wrong is a user error: exit 2, the input named, no stack", async () => {
    bed = await createBed(github.current);
    const run = await bed.run({ inputs: { "upload-candidate": "maybe" } });
    expect(run.code).toBe(2);
    expect(errors(run)).toMatch(/input 'upload-candidate'/);
    expect(errors(run)).not.toMatch(/internal error|GitHub or the environment|\bat .*\.js:\d+/);
  });

  it("GitHub answering 500 beyond the retries: exit 3, reported as GitHub's failure, not a bug", async () => {
    bed = await createBed(github.current);
    github.current.faults.add({ status: 500 });
    const run = await bed.run({ env: { GITML_RETRY_BASE_MS: "1" } });
    expect(run.code).toBe(3);
    expect(errors(run)).toMatch(/GitHub or the environment failed, not gitml.*HTTP 500/);
    expect(errors(run)).not.toMatch(/internal error|please report/);
    expect(github.current.calls.log.filter((c) => c.status === 500).length).toBeGreaterThan(1);
  });

  it("a bug: exit 70 with 'please report it'", async () => {
    bed = await createBed(github.current);
    const run = await bed.run({
      env: {
        NODE_OPTIONS: `--import ${path.join(repoRoot, "test/helpers/force-bug.mjs")}`,
        GITML_TEST_BUG_PATH: "gitml\\.yaml$",
      },
    });
    expect(run.code).toBe(70);
    expect(errors(run)).toMatch(/gitml internal error \(please report it\): TypeError: forced bug/);
  });
});
