import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readLocalHistory } from "../../src/monitor/history";
import { customersCsv } from "../helpers/data";
import { registerInProduction } from "../helpers/monitored-model";
import { createRepo, runCli, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

const CONFIG = `models:
  churn:
    path: m
    outputs:
      model: out/model.bin
      reference: data/train.csv
    monitor:
      current: data/live/*.csv
      drift_share: 0.5
  fraud:
    path: f
    outputs:
      model: out/model.bin
    monitor:
      current: data/live.csv
`;

describe("gitml monitor keeps a local monitoring history", () => {
  it("records every run of every model under .gitml/monitoring, newest first, failed runs included", async () => {
    repo = await createRepo();
    await registerInProduction(repo, CONFIG);
    const live = path.join(repo.work, "m/data/live/today.csv");
    const history = path.join(repo.work, ".gitml/monitoring");

    await fs.writeFile(live, customersCsv(1500, 2));
    let result = await runCli(["monitor", "churn"], { cwd: repo.work });
    expect(result.code).toBe(0);
    await fs.writeFile(live, customersCsv(1500, 3, 1));
    result = await runCli(["monitor", "churn"], { cwd: repo.work });
    expect(result.code).toBe(0);
    // fraud has no version in production: its run fails (exit 2), churn's is still recorded.
    result = await runCli(["monitor"], { cwd: repo.work });
    expect(result.code).toBe(2);

    const read = await readLocalHistory(history);
    expect(read.skipped).toEqual([]);
    const churn = read.models.get("churn")!;
    expect(churn.map((r) => r.verdict)).toEqual(["drift", "drift", "ok"]);
    expect(churn.map((r) => r.alert.state)).toEqual(["open", "open", "none"]);
    expect(churn[0]).toMatchObject({
      model: "churn",
      version: "v0.0.1",
      stage: "production",
      rows: { reference: 2000, current: 1500 },
      drift: { datasetDrift: true, driftedColumns: 3, totalColumns: 3, share: 1 },
      error: null,
    });
    expect(churn[0]!.drift!.topColumns.map((c) => c.name).sort()).toEqual(["age", "income", "plan"]);
    expect(churn[0]!.drift!.topColumns.every((c) => c.test !== null && c.threshold !== null)).toBe(true);
    expect(Date.parse(churn[0]!.ranAt)).toBeGreaterThan(Date.parse(churn[2]!.ranAt));
    const fraud = read.models.get("fraud")!;
    expect(fraud).toHaveLength(1);
    expect(fraud[0]).toMatchObject({ verdict: "error", drift: null, alert: { state: "unknown" } });
    expect(fraud[0]!.error).toMatch(/no version of fraud is in 'production'/);
  });

  it("--no-history records nothing; an unnamed comparison has no model to record", async () => {
    repo = await createRepo();
    await registerInProduction(repo, CONFIG);
    await fs.writeFile(path.join(repo.work, "m/data/live/today.csv"), customersCsv(1500, 2));
    let result = await runCli(["monitor", "churn", "--no-history"], { cwd: repo.work });
    expect(result.code).toBe(0);
    await expect(fs.access(path.join(repo.work, ".gitml/monitoring"))).rejects.toThrow();

    result = await runCli(
      ["monitor", "--reference", "m/data/train.csv", "--current", "m/data/live/today.csv"],
      { cwd: repo.work },
    );
    expect(result.code).toBe(0);
    await expect(fs.access(path.join(repo.work, ".gitml/monitoring"))).rejects.toThrow();
  });

  it("a history that cannot be written fails the run after the report (exit 2 for a user's folder)", async () => {
    repo = await createRepo();
    await registerInProduction(repo, CONFIG);
    await fs.writeFile(path.join(repo.work, "m/data/live/today.csv"), customersCsv(1500, 2));
    // A file where the history folder should be.
    await fs.mkdir(path.join(repo.work, ".gitml"), { recursive: true });
    await fs.writeFile(path.join(repo.work, ".gitml/monitoring"), "in the way");
    const result = await runCli(["monitor", "churn"], { cwd: repo.work });
    expect(result.stdout).toMatch(/churn@v0\.0\.1: no dataset drift/);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/monitoring history .* could not be written|\.gitml\/monitoring/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
