/**
 * actions/setup run as the runner runs it, from a copy of gitml laid out as the runner checks an action
 * out (`_actions/gitml/gitml/v1/`, here with a space in the path): the `gitml` on PATH afterwards is the CLI
 * bundled in that same copy, run by the Node that ran the action, with nothing installed.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repoRoot, runActionBundle } from "../runner/run-action";

describe("actions/setup", () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "gitml setup-"));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it("puts this checkout's bundled CLI on PATH through GITHUB_PATH", async () => {
    const checkout = path.join(root, "_actions", "gitml", "gitml", "v1");
    await fs.mkdir(path.join(checkout, "actions"), { recursive: true });
    await fs.cp(path.join(repoRoot, "dist"), path.join(checkout, "dist"), { recursive: true });
    await fs.cp(path.join(repoRoot, "actions", "setup"), path.join(checkout, "actions", "setup"), {
      recursive: true,
    });
    const runnerTemp = path.join(root, "runner temp");
    await fs.mkdir(runnerTemp);
    const githubPath = path.join(root, "github_path");
    await fs.writeFile(githubPath, "");
    const run = await runActionBundle("setup", {
      bundle: path.join(checkout, "dist", "actions", "setup.js"),
      cwd: root,
      inputs: {},
      eventName: "push",
      payload: {},
      repository: "acme/models",
      apiUrl: "http://127.0.0.1:9",
      env: { RUNNER_TEMP: runnerTemp, GITHUB_PATH: githubPath },
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const cli = path.join(checkout, "dist", "cli.js");
    expect(run.outputs).toEqual({ cli, bin: path.join(runnerTemp, "gitml-cli") });
    const added = (await fs.readFile(githubPath, "utf8")).trim();
    expect(added).toBe(path.join(runnerTemp, "gitml-cli"));

    // The command on PATH runs the copy's CLI (not gitml's own checkout, not a package): a bundle that
    // prints where it is stands in for the copy's cli.js, and the wrapper runs it with the action's Node.
    await fs.writeFile(
      cli,
      "console.log(JSON.stringify({ argv: process.argv.slice(1), node: process.execPath }));\n",
    );
    const printed = JSON.parse(
      execFileSync("gitml", ["models", "--json", "it's $HOME"], {
        env: { PATH: `${added}:/usr/bin:/bin` },
        encoding: "utf8",
      }),
    ) as { argv: string[]; node: string };
    expect(printed.argv).toEqual([cli, "models", "--json", "it's $HOME"]);
    expect(printed.node).toBe(process.execPath);
  });

  it("fails as a bug when the checkout has no bundled CLI", async () => {
    const checkout = path.join(root, "broken");
    await fs.mkdir(path.join(checkout, "dist", "actions"), { recursive: true });
    await fs.cp(
      path.join(repoRoot, "dist", "actions", "setup.js"),
      path.join(checkout, "dist", "actions", "setup.js"),
    );
    await fs.cp(path.join(repoRoot, "dist", "chunks"), path.join(checkout, "dist", "chunks"), {
      recursive: true,
    });
    const run = await runActionBundle("setup", {
      bundle: path.join(checkout, "dist", "actions", "setup.js"),
      cwd: root,
      inputs: {},
      eventName: "push",
      payload: {},
      repository: "acme/models",
      apiUrl: "http://127.0.0.1:9",
      env: { RUNNER_TEMP: root },
    });
    // A bug's own exit code (EX_SOFTWARE), so a workflow tells it from a failed gate (1).
    expect(run.code).toBe(70);
    expect(run.stdout).toContain("gitml internal error (please report it)");
    expect(run.stdout).toContain(`has no ${path.join(checkout, "dist", "cli.js")}`);
  });
});
