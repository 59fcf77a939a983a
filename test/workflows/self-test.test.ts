/**
 * gitml's own self-test workflow (.github/workflows/self-test.yml), which only GitHub can run for real, run
 * here by the harness on a push: a copy of this checkout (with its fresh bundles) is the repository, so
 * `uses: ./actions/...` runs the bundles of that copy, as the runner runs a repository's own actions.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRepo, git, type TestRepo } from "../helpers/repo";
import { pointPayloadAt, repoRoot, webhookPayload } from "../runner/run-action";
import { useStandin } from "../standin";
import { startArtifactService, type ArtifactService } from "../standin/artifacts";
import { WorkflowHarness } from "./harness";

describe("the self-test workflow", () => {
  const standin = useStandin();
  let repo: TestRepo;
  let artifacts: ArtifactService;

  beforeEach(async () => {
    repo = await createRepo();
    const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: repoRoot, encoding: "utf8" })
      .split("\0")
      .filter((file) => file !== "" && !file.startsWith("dist/"));
    for (const file of tracked) {
      const source = path.join(repoRoot, file);
      const stat = await fs.stat(source).catch(() => undefined);
      if (!stat?.isFile()) continue; // deleted in the working tree
      await fs.mkdir(path.dirname(path.join(repo.work, file)), { recursive: true });
      await fs.copyFile(source, path.join(repo.work, file));
    }
    // The bundles as built from these sources (CI holds the committed ones equal to them).
    await fs.cp(path.join(repoRoot, "dist"), path.join(repo.work, "dist"), { recursive: true });
    git(repo.work, ["add", "-A"]);
    git(repo.work, ["commit", "--quiet", "-m", "gitml"]);
    git(repo.work, ["push", "--quiet", "origin", "main"]);
    artifacts = await startArtifactService({ github: standin.current, repository: "gitml/gitml" });
  }, 60_000);
  afterEach(async () => {
    await artifacts.close();
    await repo.cleanup();
  });

  it("on a push, runs this commit's actions on the scratch model, on each runner of its matrix", async () => {
    const ghRepo = standin.current.state.seedRepo({ owner: "gitml", name: "gitml" });
    const harness = new WorkflowHarness({
      origin: repo.origin,
      root: path.join(repo.root, "runner"),
      github: standin.current,
      ghRepo,
      artifacts,
      repository: "gitml/gitml",
      token: "ghs_unused",
      nodeModules: path.join(repoRoot, "node_modules"),
    });
    const sha = git(repo.work, ["rev-parse", "HEAD"]);
    const payload = pointPayloadAt(webhookPayload("push"), { repository: "gitml/gitml", sha });
    payload.ref = "refs/heads/main";
    const run = await harness.run({
      file: path.join(repo.work, ".github", "workflows", "self-test.yml"),
      eventName: "push",
      payload,
      sha,
      ref: "refs/heads/main",
    });
    const failures = run.steps
      .filter((s) => s.outcome === "failure")
      .map((s) => `--- ${s.job} / ${s.name}\n${s.log.slice(-3000)}`)
      .join("\n");
    expect(run.startupFailure).toBeUndefined();
    expect(run.job("pull-request")?.result).toBe("skipped");
    for (const os of ["ubuntu-latest", "windows-latest"]) {
      expect(run.job(`actions (${os})`)?.result, failures).toBe("success");
      const outputs = (name: string) =>
        run.steps.find((s) => s.job === `actions (${os})` && s.name.startsWith(name))?.outputs;
      expect(outputs("Evaluate")?.verdict).toBe("pass");
      expect(outputs("Monitor")?.drift).toBe("true");
    }
    // With data-engine the setup action prepared DuckDB for the CLI (`gitml register` profiles data).
    expect(run.steps.find((s) => s.name === "Put this commit's CLI on PATH")!.log).toContain(
      "DuckDB engine:",
    );
    // The CLI the job ran is the checkout's bundle, not this repository's.
    const cli = run.steps.find((s) => s.name === "Put this commit's CLI on PATH")!.outputs.cli!;
    expect(cli).toMatch(/\/workspace\/dist\/cli\.js$/);
    expect(cli.startsWith(repoRoot)).toBe(false);
  }, 240_000);
});
