/**
 * Issue #13, "never blind": a malformed data file is a user error at its file and line and leaves the
 * alert as it was; current data whose columns are not the reference's is schema drift; `monitor`
 * compares two data sets anywhere; `--fail-on-drift` makes drift an exit code.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customersCsv } from "../helpers/data";
import { malformedCustomerFiles } from "../helpers/malformed";
import { registerInProduction } from "../helpers/monitored-model";
import { createRepo, runCli, tags, tempDir, type TestRepo } from "../helpers/repo";

const CONFIG = `models:
  churn:
    path: m
    outputs:
      model: out/model.bin
      reference: data/train.csv
    monitor:
      current: data/live/today.csv
`;

let repo: TestRepo;
let live: string;
let alertFile: string;

beforeAll(async () => {
  repo = await createRepo();
  await registerInProduction(repo, CONFIG);
  live = path.join(repo.work, "m/data/live/today.csv");
  alertFile = path.join(repo.work, ".gitml/alerts/churn.md");
});
afterAll(async () => repo?.cleanup());

describe("gitml monitor never goes blind", () => {
  it("a malformed current file is a user error at its line and the open alert stays open", async () => {
    await fs.writeFile(live, customersCsv(1500, 3, 1));
    const opened = await runCli(["monitor", "churn", "--json"], { cwd: repo.work });
    expect(JSON.parse(opened.stdout).alert.action).toBe("opened");
    const alert = await fs.readFile(alertFile, "utf8");
    for (const bad of malformedCustomerFiles()) {
      await fs.writeFile(live, bad.content);
      const result = await runCli(["monitor", "churn"], { cwd: repo.work });
      expect(result.code, bad.name).toBe(2);
      expect(result.stderr.replace(path.join(repo.work, "m/data/live/today.csv"), bad.name)).toMatch(
        new RegExp(bad.error.source.replace(/^\w+\\\.csv/, bad.name.replace(".", "\\."))),
      );
      expect(result.stderr).not.toMatch(/\n\s+at |sniff|read_csv|LINE 1|Possible fixes/i);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      // Neither closed as recovered nor updated.
      expect(await fs.readFile(alertFile, "utf8")).toBe(alert);
    }
    await expect(fs.access(path.join(repo.work, ".gitml/alerts/closed"))).rejects.toThrow();
  });

  it("current data whose columns are not the reference's is schema drift: an alert naming them", async () => {
    await fs.rm(path.join(repo.work, ".gitml/alerts"), { recursive: true, force: true });
    const renamed = customersCsv(300, 4).replace("age,income,plan", "Age,Income,plan");
    await fs.writeFile(live, renamed);
    const result = await runCli(["monitor", "churn", "--json"], { cwd: repo.work });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({
      schema_drift: true,
      missing_columns: ["age", "income"],
      new_columns: ["Age", "Income"],
      alert: { action: "opened" },
    });
    const report = await fs.readFile(json.report, "utf8");
    expect(report).toContain(
      "**Schema drift**: 2 of the reference's 3 columns are missing from the current data: `age`, `income`; new columns: `Age`, `Income`",
    );
    const text = await runCli(["monitor", "churn", "--fail-on-drift"], { cwd: repo.work });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/churn@v0\.0\.1: SCHEMA DRIFT: 2 of the reference's 3 columns are missing/);
  });

  it("--fail-on-drift exits 1 on drift and 0 without it; the default stays 0", async () => {
    await fs.writeFile(live, customersCsv(1500, 5, 1));
    expect((await runCli(["monitor", "churn"], { cwd: repo.work })).code).toBe(0);
    expect((await runCli(["monitor", "churn", "--fail-on-drift"], { cwd: repo.work })).code).toBe(1);
    await fs.writeFile(live, customersCsv(1500, 6));
    expect((await runCli(["monitor", "churn", "--fail-on-drift"], { cwd: repo.work })).code).toBe(0);
  });

  it("a malformed reference at registration is a user error and no version is registered", async () => {
    const before = tags(repo.work);
    for (const bad of malformedCustomerFiles()) {
      await fs.writeFile(path.join(repo.work, "m/data/train.csv"), bad.content);
      const result = await runCli(["register", "churn", "--bump", "patch"], { cwd: repo.work });
      expect(result.code, bad.name).toBe(2);
      expect(result.stderr).toContain("m/data/train.csv");
      expect(result.stderr).not.toMatch(/\n\s+at |sniff|read_csv/i);
      expect(tags(repo.work)).toEqual(before);
    }
    await fs.writeFile(path.join(repo.work, "m/data/train.csv"), customersCsv(2000, 1));
  });
});

describe("gitml monitor anywhere", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir("gitml-nogit-");
    await fs.writeFile(path.join(dir, "reference.csv"), customersCsv(800, 7));
    await fs.writeFile(path.join(dir, "same.csv"), customersCsv(800, 8));
    await fs.writeFile(path.join(dir, "shifted.csv"), customersCsv(800, 9, 1));
    await fs.writeFile(path.join(dir, "short.csv"), malformedCustomerFiles()[0]!.content);
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it("compares --reference and --current with no model and outside any git repository", async () => {
    const calm = await runCli(["monitor", "--reference", "reference.csv", "--current", "same.csv"], {
      cwd: dir,
    });
    expect(calm.stderr).toBe("");
    expect(calm.code).toBe(0);
    expect(calm.stdout).toMatch(/^same\.csv vs reference\.csv: no dataset drift \(0\/3 columns drifted/);
    expect(await fs.readFile(path.join(dir, ".gitml/reports/comparison/drift.md"), "utf8")).toMatch(
      /No dataset drift/,
    );

    const shifted = await runCli(
      ["monitor", "--reference", "reference.csv", "--current", "shifted.csv", "--json", "--fail-on-drift"],
      { cwd: dir },
    );
    expect(shifted.code).toBe(1);
    expect(JSON.parse(shifted.stdout)).toMatchObject({ dataset_drift: true, alert: { action: "none" } });
    // No model, no alert to keep.
    await expect(fs.access(path.join(dir, ".gitml/alerts"))).rejects.toThrow();

    const bad = await runCli(["monitor", "--reference", "reference.csv", "--current", "short.csv"], {
      cwd: dir,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/short\.csv:102: this row has 2 values/);
  });

  it("without both sides it still says what it needs", async () => {
    const result = await runCli(["monitor", "--current", "same.csv"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not inside a git repository/);
  });
});
