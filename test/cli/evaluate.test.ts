import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRepo, runCli, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

function config(onGateFailure: "fail" | "warn" = "fail"): string {
  return `models:
  churn:
    path: models/churn
    outputs:
      model: out/model.json
      metrics: out/metrics.json
      params: params.yaml
    on_gate_failure: ${onGateFailure}
    gates:
      - metric: accuracy
        min: 0.8
      - metric: eval.f1
        no_regression: { tolerance: 0.01 }
      - metric: latency_ms
        max: 50
`;
}

async function writeCandidate(r: TestRepo, metrics: object, params = "trees: 100\n"): Promise<void> {
  const dir = path.join(r.work, "models/churn");
  await fs.mkdir(path.join(dir, "out"), { recursive: true });
  await fs.writeFile(path.join(dir, "out/model.json"), JSON.stringify(metrics));
  await fs.writeFile(path.join(dir, "out/metrics.json"), JSON.stringify(metrics));
  await fs.writeFile(path.join(dir, "params.yaml"), params);
}

/** Registers the current outputs and puts them in production, as a merge would. */
async function shipToProduction(r: TestRepo): Promise<void> {
  r.commit("models/churn/out/.keep", String(Math.random()));
  expect((await runCli(["register", "churn"], { cwd: r.work })).code).toBe(0);
  expect((await runCli(["promote", "churn", "--stage", "staging"], { cwd: r.work })).code).toBe(0);
  expect((await runCli(["promote", "churn", "--stage", "production"], { cwd: r.work })).code).toBe(0);
}

describe("gitml evaluate", () => {
  it("the first model: no baseline, gates on thresholds only, JSON as documented", async () => {
    repo = await createRepo();
    repo.commit("gitml.yaml", config());
    await writeCandidate(repo, { accuracy: 0.9, eval: { f1: 0.8 }, latency_ms: 20 });
    const result = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ verdict: "pass", baseline: null });
    expect(json.metrics).toContainEqual({ name: "eval.f1", candidate: 0.8, baseline: null, delta: null });
    expect(json.gates.map((g: { metric: string; passed: boolean }) => [g.metric, g.passed])).toEqual([
      ["accuracy", true],
      ["eval.f1", true],
      ["latency_ms", true],
    ]);
    const markdown = await fs.readFile(json.report, "utf8");
    expect(markdown).toMatch(/<!-- gitml:churn -->/);
    expect(markdown).toMatch(/no baseline/i);
    expect(await fs.readFile(json.html, "utf8")).toMatch(/<html/i);
  });

  it("a regression against production fails its gate: exit 1, deltas against the production version", async () => {
    repo = await createRepo();
    repo.commit("gitml.yaml", config());
    await writeCandidate(repo, { accuracy: 0.9, eval: { f1: 0.85 }, latency_ms: 20 });
    await shipToProduction(repo);
    await writeCandidate(repo, { accuracy: 0.91, eval: { f1: 0.8 }, latency_ms: 20 }, "trees: 10\n");
    const result = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ verdict: "fail", baseline: "v0.0.1", baselineStage: "production" });
    const f1 = json.metrics.find((m: { name: string }) => m.name === "eval.f1");
    expect(f1.delta).toBeCloseTo(-0.05, 10);
    expect(json.gates.find((g: { metric: string }) => g.metric === "eval.f1").passed).toBe(false);
    // The params diff comes from the production version's stored params.
    const markdown = await fs.readFile(json.report, "utf8");
    expect(markdown).toMatch(/Params diff \(1 changed\)[\s\S]*trees \| 100 \| 10 \| changed/);
  });

  it("an improvement passes; with on_gate_failure: warn a failure exits 0", async () => {
    repo = await createRepo();
    repo.commit("gitml.yaml", config("warn"));
    await writeCandidate(repo, { accuracy: 0.85, eval: { f1: 0.8 }, latency_ms: 20 });
    await shipToProduction(repo);
    await writeCandidate(repo, { accuracy: 0.9, eval: { f1: 0.84 }, latency_ms: 20 });
    let result = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).verdict).toBe("pass");
    await writeCandidate(repo, { accuracy: 0.7, eval: { f1: 0.84 }, latency_ms: 20 });
    result = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ verdict: "fail", warnOnly: true });
  });

  it("a metric that is not a number is skipped with a warning naming the file and key, and its gate fails", async () => {
    repo = await createRepo();
    repo.commit("gitml.yaml", config());
    await writeCandidate(repo, { accuracy: "high", eval: { f1: 0.8 }, latency_ms: 20 });
    const result = await runCli(["evaluate", "churn"], { cwd: repo.work });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /warning: .*out\/metrics\.json: skipped 1 value\(s\) .*"accuracy" \(string "high"\)/,
    );
    expect(result.stdout).toMatch(/metric "accuracy" was not reported/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("a metrics file that is not metrics at all is a user error naming the file", async () => {
    repo = await createRepo();
    repo.commit("gitml.yaml", config());
    await writeCandidate(repo, [0.9]);
    const result = await runCli(["evaluate", "churn"], { cwd: repo.work });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/out\/metrics\.json/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("prints a readable text report by default", async () => {
    repo = await createRepo();
    repo.commit("gitml.yaml", config());
    await writeCandidate(repo, { accuracy: 0.5, eval: { f1: 0.8 }, latency_ms: 20 });
    const result = await runCli(["evaluate", "churn"], { cwd: repo.work });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/accuracy/);
    expect(result.stdout).toMatch(/report: .*report\.md/);
  });
});
