/**
 * A suite end to end through the CLI: a model's `suite` extends a shared suite file, reads its data once,
 * and its checks become rows of `evaluate --json` and of the PR report, with the suite each came from.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRepo, runCli, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

const CONFIG = `models:
  churn:
    path: models/churn
    outputs:
      model: out/model.json
      metrics: out/metrics.json
      predictions: out/predictions.csv
    gates:
      - metric: accuracy
        min: 0.5
    suite:
      extends: [suites/platform.yaml]
      data:
        train: data/train.csv
        test: data/test.csv
      expectations:
        train:
          - expect: column_values_to_be_between
            column: age
            min_value: 0
            max_value: 120
      slices:
        max_gap: { accuracy: 0.2 }
`;

const PLATFORM_SUITE = `# The platform team's suite: every model's training data and slices must pass it.
expectations:
  train:
    - expect: expect_column_values_to_not_be_null
      column: age
    - expect: column_to_exist
      column: plan
slices:
  columns: [region]
  min_rows: 4
  fairness:
    demographic_parity_difference: { max: 0.9, required: false }
train_test:
  leakage: { ignore_columns: [id] }
  size_ratio: { min: 0.1 }
`;

interface Data {
  ages: Array<number | null>;
  /** Test rows copied from train (leakage). */
  leaked: number;
  /** Correct predictions in region b, out of 4. */
  regionBCorrect: number;
}

async function writeModel(r: TestRepo, data: Data): Promise<void> {
  const dir = path.join(r.work, "models/churn");
  await fs.mkdir(path.join(dir, "out"), { recursive: true });
  await fs.mkdir(path.join(dir, "data"), { recursive: true });
  await fs.writeFile(path.join(dir, "out/model.json"), "{}");
  await fs.writeFile(path.join(dir, "out/metrics.json"), JSON.stringify({ auc: 0.9 }));
  const train = data.ages.map((age, i) => `${i},${age ?? ""},${i % 2 ? "pro" : "free"}`);
  const test = Array.from({ length: 4 }, (_, i) => `${100 + i},${30 + i * 7 + 0.5},free`);
  for (let i = 0; i < data.leaked; i++)
    test[i] = `${200 + i},${data.ages[i] ?? ""},${i % 2 ? "pro" : "free"}`;
  await fs.writeFile(path.join(dir, "data/train.csv"), ["id,age,plan", ...train].join("\n") + "\n");
  await fs.writeFile(path.join(dir, "data/test.csv"), ["id,age,plan", ...test].join("\n") + "\n");
  const predictions = ["y_true,y_pred,y_score,region"];
  for (let i = 0; i < 4; i++) predictions.push(`${i % 2},${i % 2},0.${i % 2 ? 9 : 1},a`);
  for (let i = 0; i < 4; i++) {
    const truth = i % 2;
    predictions.push(`${truth},${i < data.regionBCorrect ? truth : 1 - truth},0.5,b`);
  }
  await fs.writeFile(path.join(dir, "out/predictions.csv"), predictions.join("\n") + "\n");
}

interface Check {
  id: string;
  kind: string;
  name: string;
  suite: string;
  status: string;
  severity: string;
  column?: string;
  examples?: unknown[];
  observed?: number;
  detail: string;
}

const byId = (checks: Check[], prefix: string): Check => {
  const found = checks.filter((c) => c.id.startsWith(prefix));
  expect(found, `one check with id ${prefix}…`).toHaveLength(1);
  return found[0]!;
};

describe("gitml evaluate with a suite", () => {
  it("failing checks fail the evaluation, each named with its suite, examples and the slice table", async () => {
    repo = await createRepo();
    repo.commit("gitml.yaml", CONFIG);
    repo.commit("suites/platform.yaml", PLATFORM_SUITE);
    const ages = [25, 150, null, 40, 33, 61, 47, 52, 38, 29, 44, 58];
    await writeModel(repo, { ages, leaked: 2, regionBCorrect: 2 });

    const result = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(result.code, result.stderr).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json.verdict).toBe("fail");
    const checks: Check[] = json.checks;

    const between = byId(checks, "expectation:train:column_values_to_be_between:age");
    expect(between).toMatchObject({ status: "fail", suite: "gitml.yaml", severity: "error" });
    expect(between.examples, result.stderr).toEqual([150]);
    const notNull = byId(checks, "expectation:train:column_values_to_not_be_null:age");
    expect(notNull).toMatchObject({ status: "fail", suite: "suites/platform.yaml" });
    expect(byId(checks, "expectation:train:column_to_exist:plan")).toMatchObject({ status: "pass" });

    const gap = byId(checks, "slice:max_gap:accuracy:region");
    expect(gap).toMatchObject({ status: "fail", suite: "gitml.yaml", observed: 0.5 });
    const parity = byId(checks, "fairness:demographic_parity_difference:region");
    expect(parity).toMatchObject({ suite: "suites/platform.yaml", severity: "warning" });

    const leakage = byId(checks, "train_test:leakage");
    expect(leakage).toMatchObject({ status: "fail", suite: "suites/platform.yaml", observed: 0.5 });
    expect(byId(checks, "train_test:size_ratio")).toMatchObject({ status: "pass" });

    expect(json.suites.map((s: { name: string }) => s.name)).toEqual(["suites/platform.yaml", "gitml.yaml"]);
    const region = json.slices.find((t: { column: string }) => t.column === "region");
    expect(region.rows.map((r: { value: string; rows: number }) => [r.value, r.rows])).toEqual([
      ["a", 4],
      ["b", 4],
    ]);

    const markdown = await fs.readFile(json.report, "utf8");
    expect(markdown).toContain("suites/platform.yaml");
    expect(markdown).toContain("region");
  });

  it("clean data and even slices pass", async () => {
    repo = await createRepo();
    repo.commit("gitml.yaml", CONFIG);
    repo.commit("suites/platform.yaml", PLATFORM_SUITE);
    await writeModel(repo, {
      ages: [25, 31, 44, 40, 33, 61, 47, 52, 38, 29, 44, 58],
      leaked: 0,
      regionBCorrect: 4,
    });
    const result = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.verdict).toBe("pass");
    expect(json.checks.filter((c: Check) => c.status !== "pass" && c.severity === "error")).toEqual([]);
    expect(json.checks.length).toBeGreaterThanOrEqual(7);
  });

  it("bad input is a finding, not a crash: a missing column, a missing data file", async () => {
    repo = await createRepo();
    repo.commit(
      "gitml.yaml",
      CONFIG.replace("column: age\n            min_value", "column: agee\n            min_value").replace(
        "test: data/test.csv",
        "test: data/missing.csv",
      ),
    );
    repo.commit("suites/platform.yaml", PLATFORM_SUITE);
    await writeModel(repo, { ages: [25, 31, 44, 40, 33, 61], leaked: 0, regionBCorrect: 4 });
    const result = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(result.code, result.stderr).toBe(1);
    const checks: Check[] = JSON.parse(result.stdout).checks;
    const missingColumn = byId(checks, "expectation:train:column_values_to_be_between:agee");
    expect(missingColumn.status).toBe("error");
    expect(missingColumn.detail).toMatch(/agee/);
    expect(missingColumn.detail).toMatch(/age/);
    const leakage = byId(checks, "train_test:leakage");
    expect(leakage.status).toBe("error");
    expect(leakage.detail).toContain("data/missing.csv");
  });

  it("a shared suite cannot read data outside the repository into the report", async () => {
    repo = await createRepo();
    // Outside the working tree: a file with a secret, and a link to it committed inside.
    const secret = path.join(repo.root, "secret.csv");
    await fs.writeFile(secret, "id,token\n1,TOPSECRET-1\n2,TOPSECRET-2\n");
    const relativeOut = path.relative(path.join(repo.work, "models/churn"), secret);
    const suite = (train: string) =>
      `data:\n  train: ${JSON.stringify(train)}\nexpectations:\n  train:\n    - { expect: column_values_to_be_in_set, column: token, value_set: [x] }\nslices:\n  columns: [region]\n`;
    repo.commit("gitml.yaml", CONFIG.replace(/ {8}train: data\/train.csv\n/, ""));
    await writeModel(repo, { ages: [25, 31], leaked: 0, regionBCorrect: 4 });
    await fs.symlink(secret, path.join(repo.work, "models/churn/data/link.csv"));
    for (const train of [secret, relativeOut, "data/link.csv"]) {
      repo.commit("suites/platform.yaml", suite(train));
      const result = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
      expect(result.stdout + result.stderr).not.toContain("TOPSECRET");
      expect(result.stdout, result.stderr).not.toBe("");
      const json = JSON.parse(result.stdout);
      const check = byId(json.checks, "expectation:train:column_values_to_be_in_set:token");
      expect(check.status).toBe("error");
      expect(check.detail).toMatch(/must stay inside the repository/);
      expect(await fs.readFile(json.report, "utf8")).not.toContain("TOPSECRET");
    }
  });

  it("a shared suite whose repo is a git option runs nothing: exit 2 at its line in gitml.yaml", async () => {
    repo = await createRepo();
    repo.commit(
      "gitml.yaml",
      CONFIG.replace(
        "extends: [suites/platform.yaml]",
        'extends:\n        - { repo: "--upload-pack=touch PWNED;:", ref: v1, path: suite.yaml }',
      ),
    );
    await writeModel(repo, { ages: [25, 31], leaked: 0, regionBCorrect: 4 });
    const result = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/gitml\.yaml:13:\d+: cannot use suite .*is not a repository reference/);
    const everywhere = [repo.work, repo.root, path.join(repo.work, "models/churn")];
    for (const dir of everywhere) await expect(fs.stat(path.join(dir, "PWNED"))).rejects.toThrow();
  });

  it("an unreachable shared suite is a user error at its line in gitml.yaml (exit 2, no report)", async () => {
    repo = await createRepo();
    repo.commit(
      "gitml.yaml",
      CONFIG.replace(
        "extends: [suites/platform.yaml]",
        "extends:\n        - { repo: /nonexistent/suites.git, ref: v1, path: suite.yaml }",
      ),
    );
    await writeModel(repo, { ages: [25, 31], leaked: 0, regionBCorrect: 4 });
    const result = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/gitml\.yaml:13:\d+: cannot use suite `suite.yaml`/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    await expect(fs.stat(path.join(repo.work, ".gitml/reports/churn/report.md"))).rejects.toThrow();
  });
});
