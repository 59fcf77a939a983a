import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { customersCsv } from "../helpers/data";
import { registerInProduction as registerWith } from "../helpers/monitored-model";
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
`;

const registerInProduction = (r: TestRepo, config = CONFIG) => registerWith(r, config);

describe("gitml monitor", () => {
  it("compares live data with the production version's stored reference profile; the alert opens, updates and closes", async () => {
    repo = await createRepo();
    await registerInProduction(repo);
    const live = path.join(repo.work, "m/data/live/today.csv");

    await fs.writeFile(live, customersCsv(1500, 2));
    let result = await runCli(["monitor", "churn", "--json"], { cwd: repo.work });
    expect(result.stderr).toBe("");
    let json = JSON.parse(result.stdout);
    expect(json).toMatchObject({
      model: "churn",
      version: "v0.0.1",
      stage: "production",
      dataset_drift: false,
      alert: { action: "none" },
    });
    expect(json.columns.map((c: { name: string }) => c.name).sort()).toEqual(["age", "income", "plan"]);

    await fs.writeFile(live, customersCsv(1500, 3, 1));
    result = await runCli(["monitor", "churn", "--json"], { cwd: repo.work });
    json = JSON.parse(result.stdout);
    expect(json.dataset_drift).toBe(true);
    expect(
      json.columns
        .filter((c: { drift: boolean }) => c.drift)
        .map((c: { name: string }) => c.name)
        .sort(),
    ).toEqual(["age", "income", "plan"]);
    expect(json.alert.action).toBe("opened");
    const alertFile = path.join(repo.work, ".gitml/alerts/churn.md");
    expect(await fs.readFile(alertFile, "utf8")).toMatch(/Drift alert: churn/);

    result = await runCli(["monitor", "churn", "--json"], { cwd: repo.work });
    expect(JSON.parse(result.stdout).alert.action).toBe("updated");
    expect((await fs.readFile(alertFile, "utf8")).match(/^## /gm)).toHaveLength(2);

    await fs.writeFile(live, customersCsv(1500, 4));
    result = await runCli(["monitor", "churn", "--json"], { cwd: repo.work });
    json = JSON.parse(result.stdout);
    expect(json.alert.action).toBe("closed");
    await expect(fs.access(alertFile)).rejects.toThrow();
    expect(await fs.readdir(path.join(repo.work, ".gitml/alerts/closed"))).toHaveLength(1);
    expect(await fs.readFile(json.report, "utf8")).toMatch(/No dataset drift/);
  });

  it("thresholds: data — the registered reference carries chunk statistics and monitoring uses them", async () => {
    repo = await createRepo();
    await registerInProduction(
      repo,
      CONFIG.replace("drift_share: 0.5", "drift_share: 0.5\n      thresholds: data\n      chunks: 4"),
    );
    await fs.writeFile(path.join(repo.work, "m/data/live/today.csv"), customersCsv(1500, 2));
    const result = await runCli(["monitor", "churn", "--json"], { cwd: repo.work });
    expect(result.stderr).toBe("");
    const json = JSON.parse(result.stdout);
    expect(json.dataset_drift).toBe(false);
    for (const column of json.columns) {
      expect(column.threshold_source, column.name).toBe("data");
      expect(column.threshold_note, column.name).toBeUndefined();
    }
  });

  it("profile --model profiles the model's monitor.current, in parts that merge into the whole", async () => {
    repo = await createRepo();
    await fs.mkdir(path.join(repo.work, "m/data/live"), { recursive: true });
    await fs.writeFile(path.join(repo.work, "m/data/live/a.csv"), customersCsv(600, 8));
    await fs.writeFile(path.join(repo.work, "m/data/live/b.csv"), customersCsv(500, 9));
    repo.commit(
      "gitml.yaml",
      CONFIG.replace("drift_share: 0.5", "current_command: echo fetched > fetched.txt"),
    );
    const whole = await runCli(["profile", "--model", "churn", "-o", "whole.json"], { cwd: repo.work });
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stderr).toMatch(/running models.churn.monitor.current_command/);
    expect(whole.stdout).toMatch(/profiled 1100 rows × 3 columns/);
    // current_command ran in the model's folder first.
    expect(await fs.readFile(path.join(repo.work, "m/fetched.txt"), "utf8")).toBe("fetched\n");
    for (const i of [1, 2, 3]) {
      const r = await runCli(["profile", "--model", "churn", "--partition", `${i}/3`, "-o", `p${i}.json`], {
        cwd: repo.work,
      });
      expect(r.code, r.stderr).toBe(0);
    }
    await runCli(["profile", "merge", "p1.json", "p2.json", "p3.json", "-o", "merged.json"], {
      cwd: repo.work,
    });
    const read = async (f: string) => JSON.parse(await fs.readFile(path.join(repo.work, f), "utf8"));
    const [merged, single] = [await read("merged.json"), await read("whole.json")];
    expect(merged.rows).toBe(1100);
    expect(merged.columns.map((c: { values: unknown }) => c.values)).toEqual(
      single.columns.map((c: { values: unknown }) => c.values),
    );

    const both = await runCli(["profile", "data.csv", "--model", "churn"], { cwd: repo.work });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give data or --model churn, not both/);
    const unknown = await runCli(["profile", "--model", "nope"], { cwd: repo.work });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/model `nope` is not in gitml.yaml/);
    const nothing = await runCli(["profile"], { cwd: repo.work });
    expect(nothing.code).toBe(2);
  });

  it("profiles partitions in separate runs and merges them; explicit --reference/--current profiles", async () => {
    repo = await createRepo();
    const data = path.join(repo.work, "data");
    await fs.mkdir(data, { recursive: true });
    await fs.writeFile(path.join(data, "a.csv"), customersCsv(700, 5));
    await fs.writeFile(path.join(data, "b.csv"), customersCsv(700, 6));
    await fs.writeFile(path.join(data, "shifted.csv"), customersCsv(700, 7, 1));
    for (const i of [1, 2]) {
      const r = await runCli(["profile", "data/[ab].csv", "--partition", `${i}/2`, "-o", `p${i}.json`], {
        cwd: repo.work,
      });
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/profiled 700 rows × 3 columns/);
    }
    const merged = await runCli(["profile", "merge", "p1.json", "p2.json", "-o", "reference.json"], {
      cwd: repo.work,
    });
    expect(merged.stdout).toMatch(/profiled 1400 rows/);
    const whole = await runCli(["profile", "data/[ab].csv", "-o", "whole.json"], { cwd: repo.work });
    expect(whole.code).toBe(0);
    const a = JSON.parse(await fs.readFile(path.join(repo.work, "reference.json"), "utf8"));
    const b = JSON.parse(await fs.readFile(path.join(repo.work, "whole.json"), "utf8"));
    expect(a.rows).toBe(b.rows);
    const mean = (p: { columns: Array<{ name: string; numeric?: { mean: number } }> }) =>
      p.columns.find((c) => c.name === "age")!.numeric!.mean;
    expect(mean(a)).toBeCloseTo(mean(b), 9);

    const result = await runCli(
      [
        "monitor",
        "anything",
        "--reference",
        "reference.json",
        "--current",
        "data/shifted.csv",
        "--json",
        "--no-alert",
      ],
      { cwd: repo.work },
    );
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout).dataset_drift).toBe(true);
  });

  it("bad input: a missing data file and a malformed profile are user errors", async () => {
    repo = await createRepo();
    await fs.writeFile(path.join(repo.work, "broken.json"), '{"format": "something else"}');
    let result = await runCli(["monitor", "m", "--reference", "broken.json", "--current", "nope.csv"], {
      cwd: repo.work,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/broken\.json.*not a gitml profile/);
    result = await runCli(["profile", "missing/*.csv"], { cwd: repo.work });
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
