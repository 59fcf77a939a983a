import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { rng } from "../helpers/data";
import { createRepo, runCli, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

const COLUMNS = ["tenure", "charges", "region", "signup_day"];

/** Four numeric columns; those in `shifted` moved by half their range. */
function data(rows: number, seed: number, shifted: readonly string[] = []): string {
  const random = rng(seed);
  const lines = [COLUMNS.join(",")];
  for (let i = 0; i < rows; i++) {
    lines.push(COLUMNS.map((c) => (random() * 100 + (shifted.includes(c) ? 50 : 0)).toFixed(3)).join(","));
  }
  return `${lines.join("\n")}\n`;
}

function config(rule: string): string {
  return `models:
  churn:
    path: m
    outputs:
      model: out/model.bin
      reference: data/train.csv
      importances: out/importances.json
    monitor:
      current: data/live/current.csv
      drift_share: 0.5
${rule}`;
}

/** `churn` in production, trained on `data/train.csv`; the model leans on tenure (85 % of its importance). */
async function productionModel(r: TestRepo, rule: string): Promise<void> {
  await fs.mkdir(path.join(r.work, "m/out"), { recursive: true });
  await fs.mkdir(path.join(r.work, "m/data/live"), { recursive: true });
  await fs.writeFile(path.join(r.work, "m/out/model.bin"), "weights");
  await fs.writeFile(path.join(r.work, "m/data/train.csv"), data(1000, 1));
  await fs.writeFile(
    path.join(r.work, "m/out/importances.json"),
    JSON.stringify({ importances: { tenure: 0.85, charges: 0.05, region: 0.05, signup_day: 0.05 } }),
  );
  r.commit("gitml.yaml", config(rule));
  for (const args of [
    ["register", "churn"],
    ["promote", "churn", "--stage", "staging"],
    ["promote", "churn", "--stage", "production"],
  ]) {
    const result = await runCli(args, { cwd: r.work });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  }
}

async function monitorWith(shifted: string[]) {
  await fs.writeFile(path.join(repo.work, "m/data/live/current.csv"), data(800, 2, shifted));
  const result = await runCli(["monitor", "churn", "--json"], { cwd: repo.work });
  expect(result.stderr).toBe("");
  const json = JSON.parse(result.stdout);
  const markdown = await fs.readFile(path.join(repo.work, ".gitml/reports/churn/drift.md"), "utf8");
  return { json, markdown };
}

describe("drift triage by feature importance (monitor.importance_drift_share)", () => {
  it("three unimportant columns drift: no alert; the one the model leans on drifts: alert", async () => {
    repo = await createRepo();
    await productionModel(repo, "      importance_drift_share: 0.3\n");

    // 3 of 4 columns drifted: the column count (0.75 ≥ drift_share 0.5) would alert, but they hold 15 %.
    const calm = await monitorWith(["charges", "region", "signup_day"]);
    expect(calm.json.number_of_drifted_columns).toBe(3);
    expect(calm.json.share_of_drifted_columns).toBeGreaterThanOrEqual(0.5);
    expect(calm.json.importance).toMatchObject({ decided_by: "importance", threshold: 0.3 });
    expect(calm.json.importance.drifted_share).toBeCloseTo(0.15, 6);
    expect(calm.json.dataset_drift).toBe(false);
    expect(calm.markdown).toMatch(
      /🟢 \*\*No dataset drift\*\*: the drifted columns hold 15 % of the model's importance \(< 30 %/,
    );
    expect(calm.markdown).toMatch(
      /\*\*Importance\*\*: 3 drifted columns hold 15 % of the model's importance/,
    );
    await expect(fs.readFile(path.join(repo.work, ".gitml/alerts/churn.md"), "utf8")).rejects.toThrow();

    // Only tenure drifted: 1 of 4 columns (0.25 < 0.5) would not alert, but it holds 85 %.
    const alarming = await monitorWith(["tenure"]);
    expect(alarming.json.number_of_drifted_columns).toBe(1);
    expect(alarming.json.importance.drifted_share).toBeCloseTo(0.85, 6);
    expect(alarming.json.dataset_drift).toBe(true);
    expect(alarming.json.alert.action).toBe("opened");
    expect(alarming.markdown).toMatch(
      /🔴 \*\*Dataset drift\*\*: the drifted columns hold 85 % of the model's importance \(≥ 30 %/,
    );
    expect(alarming.markdown).toMatch(
      /\*\*Importance\*\*: 1 drifted column holds 85 % of the model's importance: `tenure` 85 %/,
    );
    // The table leads with the drifted column, and gives every column's importance.
    const rows = alarming.markdown
      .split("\n")
      .filter((l) => /^\| (tenure|charges|region|signup&#95;day) /.test(l));
    expect(rows[0]).toMatch(/^\| tenure +\| +85 % \| numeric /);
    expect(rows).toHaveLength(4);
  });

  it("without the rule the column count decides, and the report still states the importance that drifted", async () => {
    repo = await createRepo();
    await productionModel(repo, "");
    const { json, markdown } = await monitorWith(["charges", "region", "signup_day"]);
    expect(json.dataset_drift).toBe(true);
    expect(json.importance).toMatchObject({ decided_by: "columns" });
    expect(json.importance.drifted_columns.map((c: { name: string }) => c.name)).toEqual([
      "charges",
      "region",
      "signup_day",
    ]);
    expect(markdown).toMatch(/🔴 \*\*Dataset drift\*\*: 3 of 4 columns drifted/);
    expect(markdown).toMatch(/3 drifted columns hold 15 % of the model's importance/);

    // With --reference (no stored profile), production's tag still weighs the drift.
    const given = await runCli(["monitor", "churn", "--reference", "m/data/train.csv", "--json"], {
      cwd: repo.work,
    });
    expect(given.stderr).toBe("");
    const weighed = JSON.parse(given.stdout);
    expect(weighed.importance.drifted_share).toBeCloseTo(0.15, 6);
    expect(weighed.importance.note).toBe("the top features recorded in churn@v0.0.1's tag");
  });
});
