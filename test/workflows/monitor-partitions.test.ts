/**
 * monitor.yml with `partitions`: a matrix of `gitml profile --model M --partition i/N` jobs uploads part
 * profiles as artifacts, the monitor job merges them and reports drift on the merged profile. Run by the
 * harness against the GitHub REST and artifact stand-ins; the result must be the unpartitioned run's.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { customersCsv } from "../helpers/data";
import { createRepo, git, runCli, type TestRepo } from "../helpers/repo";
import { pointPayloadAt, webhookPayload } from "../runner/run-action";
import { useStandin } from "../standin";
import { startArtifactService, type ArtifactService } from "../standin/artifacts";
import type { RepoRecord } from "../standin/state";
import { WorkflowHarness, type WorkflowRunResult } from "./harness";

const OWNER = "acme";
const NAME = "churn-models";
const REPOSITORY = `${OWNER}/${NAME}`;

const caller = (partitions: number) => `name: gitml monitor
on:
  schedule:
    - cron: "17 6 * * *"
permissions:
  contents: write
  issues: write
  actions: write
jobs:
  gitml:
    uses: gitml/gitml/.github/workflows/monitor.yml@v1
    with:
      partitions: ${partitions}
`;

describe("monitor.yml with partitions", () => {
  const standin = useStandin();
  let repo: TestRepo;
  let artifacts: ArtifactService;
  let ghRepo: RepoRecord;
  let harness: WorkflowHarness;

  beforeEach(async () => {
    repo = await createRepo();
    ghRepo = standin.current.state.seedRepo({ owner: OWNER, name: NAME });
    artifacts = await startArtifactService({ github: standin.current, repository: REPOSITORY });
    const model = path.join(repo.work, "m");
    await fs.mkdir(path.join(model, "out"), { recursive: true });
    await fs.mkdir(path.join(model, "data"), { recursive: true });
    await fs.writeFile(path.join(model, "out/model.bin"), "weights");
    await fs.writeFile(path.join(model, "data/train.csv"), customersCsv(3000, 1));
    // Drifted current data, one file: the partitions are byte ranges cut at record starts.
    await fs.writeFile(path.join(model, "data/current.csv"), customersCsv(2500, 3, 1));
    await fs.mkdir(path.join(repo.work, ".github/workflows"), { recursive: true });
    await fs.writeFile(path.join(repo.work, ".github/workflows/partitioned.yml"), caller(4));
    await fs.writeFile(path.join(repo.work, ".github/workflows/whole.yml"), caller(1));
    await fs.writeFile(
      path.join(repo.work, "gitml.yaml"),
      `store:\n  type: github\nmodels:\n  churn:\n    path: m\n    outputs:\n      model: out/model.bin\n      reference: data/train.csv\n    monitor:\n      current: data/current.csv\n      current_command: echo ran > ran.txt\n`,
    );
    git(repo.work, ["add", "-A"]);
    git(repo.work, ["commit", "--quiet", "-m", "the churn model"]);
    git(repo.work, ["push", "--quiet", "origin", "main"]);
    for (const args of [
      ["register", "churn"],
      ["promote", "churn", "--stage", "staging"],
      ["promote", "churn", "--stage", "production"],
    ]) {
      // Registered as the release workflow would: a tag, and a GitHub Release holding the reference profile.
      const result = await runCli(args, {
        cwd: repo.work,
        env: {
          GITHUB_TOKEN: "ghs_workflowtoken",
          GITHUB_REPOSITORY: REPOSITORY,
          GITHUB_API_URL: standin.current.url,
        },
      });
      expect(result.code, result.stderr).toBe(0);
    }
    harness = new WorkflowHarness({
      origin: repo.origin,
      root: path.join(repo.root, "runner"),
      github: standin.current,
      ghRepo,
      artifacts,
      repository: REPOSITORY,
      token: "ghs_workflowtoken",
    });
  });
  afterEach(async () => {
    await artifacts.close();
    await repo.cleanup();
  });

  const explain = (run: WorkflowRunResult): string =>
    run.steps
      .filter((s) => s.outcome === "failure")
      .map((s) => `--- ${s.job} / ${s.name}\n${s.log.slice(-3000)}`)
      .join("\n");

  async function schedule(file: string): Promise<WorkflowRunResult> {
    const sha = git(repo.work, ["rev-parse", "main"]);
    return harness.run({
      file: path.join(repo.work, ".github/workflows", file),
      eventName: "schedule",
      payload: {
        schedule: "17 6 * * *",
        repository: pointPayloadAt(webhookPayload("push"), { repository: REPOSITORY }).repository,
      },
      sha,
      ref: "refs/heads/main",
    });
  }

  interface DriftJson {
    dataset_drift: boolean;
    columns: Array<{ name: string; test: string; statistic: number; drift: boolean; p_value?: number }>;
  }

  async function driftOf(run: WorkflowRunResult): Promise<DriftJson> {
    const report = run.steps.find((s) => s.name === "Monitor churn")!.outputs.report!;
    return JSON.parse(await fs.readFile(path.join(path.dirname(report), "drift.json"), "utf8")) as DriftJson;
  }

  it("4 partition jobs and a merge give the unpartitioned run's report", async () => {
    const partitioned = await schedule("partitioned.yml");
    expect(partitioned.job("gitml/monitor (churn)")?.result, explain(partitioned)).toBe("success");
    const parts = partitioned.steps.filter((s) => s.job.startsWith("gitml/profile (churn, "));
    expect(new Set(parts.map((s) => s.job)).size).toBe(4);
    const profiled = parts.filter((s) => s.name.startsWith("Profile part"));
    expect(profiled.map((s) => s.outcome)).toEqual(["success", "success", "success", "success"]);
    const rows = profiled.map((s) => Number(/profiled (\d+) rows/.exec(s.log)?.[1]));
    expect(rows.reduce((x, y) => x + y, 0)).toBe(2500);
    expect(rows.every((n) => n > 0 && n < 2500)).toBe(true);
    const uploaded = artifacts
      .artifactsOf(partitioned.runId)
      .filter((a) => a.name.startsWith("gitml-profile-"));
    expect(uploaded).toHaveLength(4);
    const merge = partitioned.steps.find((s) => s.name === "Merge the part profiles")!;
    expect(merge.log).toMatch(/profiled 2500 rows × 3 columns/);

    const whole = await schedule("whole.yml");
    expect(whole.job("gitml/monitor (churn)")?.result, explain(whole)).toBe("success");
    expect(whole.jobs.filter((j) => j.id.startsWith("gitml/profile")).map((j) => j.result)).toEqual([
      "skipped",
    ]);
    expect(whole.steps.some((s) => s.name === "Merge the part profiles" && s.outcome === "success")).toBe(
      false,
    );

    const [a, b] = [await driftOf(partitioned), await driftOf(whole)];
    expect(a.dataset_drift).toBe(true);
    expect(a.dataset_drift).toBe(b.dataset_drift);
    expect(a.columns.map((c) => [c.name, c.test, c.drift])).toEqual(
      b.columns.map((c) => [c.name, c.test, c.drift]),
    );
    for (const [i, column] of a.columns.entries()) {
      expect(column.statistic, column.name).toBeCloseTo(b.columns[i]!.statistic, 9);
      if (column.p_value !== undefined)
        expect(column.p_value, column.name).toBeCloseTo(b.columns[i]!.p_value!, 9);
    }
    // The partitioned run's monitor job compared the merged profile: it never read (or fetched) the data.
    const ranIn = async (run: WorkflowRunResult): Promise<boolean> => {
      const report = run.steps.find((s) => s.name === "Monitor churn")!.outputs.report!;
      const workspace = report.slice(0, report.indexOf(`${path.sep}.gitml${path.sep}`));
      return fs.access(path.join(workspace, "m", "ran.txt")).then(
        () => true,
        () => false,
      );
    };
    expect(await ranIn(partitioned)).toBe(false);
    expect(await ranIn(whole)).toBe(true);
    // One alert issue, opened by the first run and updated by the second.
    const alerts = [...ghRepo.issues.values()].filter(
      (i) => !i.isPull && i.body?.includes("gitml:alert:churn"),
    );
    expect(alerts).toHaveLength(1);
  }, 240_000);
});
