/**
 * actions/monitor run from its bundle as the runner runs it, against the REST stand-in and a real bare
 * origin holding the registry: the alert issue's lifecycle, retraining dispatches, user errors.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { profileRecords, profileToJson } from "../../src/monitor";
import { useStandin } from "../standin";
import { actionMetadata, createBed, describeRun, type Bed } from "./bed";

describe("actions/monitor", () => {
  const standin = useStandin();
  let bed: Bed | undefined;
  afterEach(async () => {
    await bed?.cleanup();
    bed = undefined;
  });

  it("opens one alert issue on drift, comments while it lasts, closes it when the data recovers", async () => {
    bed = await createBed(standin.current, [{ name: "churn", owners: ["@acme/ml", "alice"] }]);
    const calls = standin.current.calls;

    await bed.writeLive("churn", "drifted");
    const first = await bed.run();
    expect(first.code, describeRun(first)).toBe(0);
    expect(first.outputs.drift).toBe("true");
    expect(first.stdout).toContain("DuckDB engine: using @duckdb/node-api found at");
    expect(JSON.parse(first.outputs["models-drifted"]!)).toEqual(["churn"]);
    expect(first.outputs.report).toMatch(/\.gitml\/reports\/churn\/drift\.md$/);
    expect(first.summary).toContain("Dataset drift");
    expect(first.summary).toContain("| Column");
    expect(first.summary).toContain("```mermaid");
    let issues = bed.issues();
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue.state).toBe("open");
    expect(issue.labels).toEqual(["gitml", "drift"]);
    expect(issue.title).toContain("churn");
    expect(issue.body).toContain("<!-- gitml:alert:churn -->");
    expect(issue.body).toContain("cc @acme/ml @alice");
    expect(issue.body).toContain("v0.0.1 (production)");
    expect(issue.body).toContain("| Column");
    expect(first.outputs["issue-url"]).toBe(`${standin.current.webUrl}/acme/ml/issues/${issue.number}`);
    expect(JSON.parse(first.outputs.issues!)).toEqual({ churn: first.outputs["issue-url"] });
    expect(JSON.parse(first.outputs.results!)).toMatchObject([
      { model: "churn", version: "v0.0.1", dataset_drift: true, issue: { action: "opened" }, retrain: null },
    ]);
    expect(bed.comments(issue)).toEqual([]);
    // Every output action.yml documents is set, and nothing undocumented.
    expect(Object.keys(first.outputs).sort()).toEqual(Object.keys((await actionMetadata()).outputs).sort());

    await bed.writeLive("churn", "drifted", 8);
    const second = await bed.run({}, { runId: 2 });
    expect(second.code, describeRun(second)).toBe(0);
    expect(second.outputs.drift).toBe("true");
    issues = bed.issues();
    expect(issues).toHaveLength(1);
    expect(issues[0]!.state).toBe("open");
    const comments = bed.comments(issue);
    expect(comments).toHaveLength(1);
    expect(comments[0]).toContain("Drift persists");
    expect(comments[0]).toContain("/actions/runs/2");
    expect(JSON.parse(second.outputs.results!)[0].issue).toMatchObject({
      action: "commented",
      number: issue.number,
    });

    await bed.writeLive("churn", "like-reference");
    const third = await bed.run({}, { runId: 3 });
    expect(third.code, describeRun(third)).toBe(0);
    expect(third.outputs.drift).toBe("false");
    expect(JSON.parse(third.outputs["models-drifted"]!)).toEqual([]);
    expect(third.summary).toContain("No dataset drift");
    issues = bed.issues();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ state: "closed", stateReason: "completed" });
    const afterRecovery = bed.comments(issue);
    expect(afterRecovery).toHaveLength(2);
    expect(afterRecovery[1]).toContain("Recovered");
    expect(calls.count("issues/create")).toBe(1);

    // Healthy again: nothing to open, nothing to close.
    const fourth = await bed.run({}, { runId: 4 });
    expect(fourth.code, describeRun(fourth)).toBe(0);
    expect(JSON.parse(fourth.outputs.results!)[0].issue.action).toBe("none");
    expect(bed.issues()).toHaveLength(1);
    expect(calls.count("issues/create")).toBe(1);
  });

  it("keeps exactly one issue through the lifecycle when a fifth of the API calls fail", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }]);
    const faults = standin.current.faults;
    faults.add({ status: 502, probability: 0.1, phase: "after" });
    faults.add({ status: 500, probability: 0.1 });

    for (const [runId, kind] of [
      [1, "drifted"],
      [2, "drifted"],
      [3, "drifted"],
      [4, "like-reference"],
    ] as const) {
      await bed.writeLive("churn", kind, 10 + runId);
      const run = await bed.run({}, { runId });
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.outputs.drift).toBe(String(kind === "drifted"));
      expect(bed.issues(), `after run ${runId}`).toHaveLength(1);
    }
    const fired = faults.active.reduce((sum, f) => sum + f.fired, 0);
    expect(fired).toBeGreaterThan(0);
    const [issue] = bed.issues();
    expect(issue!.state).toBe("closed");
    const comments = bed.comments(issue!);
    expect(comments.filter((c) => c.includes("Recovered")).length).toBeGreaterThanOrEqual(1);
    expect(comments.filter((c) => c.includes("Drift persists")).length).toBeGreaterThanOrEqual(2);
  });

  it("dispatches the retraining workflow on drift with the model and the reason, and nothing without drift", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }]);
    const calls = standin.current.calls;
    await bed.writeLive("churn", "drifted");
    const drifted = await bed.run({ retrain: "workflow_dispatch", "retrain-workflow": "retrain.yml" });
    expect(drifted.code, describeRun(drifted)).toBe(0);
    expect(calls.count("actions/create-workflow-dispatch")).toBe(1);
    expect(bed.ghRepo.dispatches).toEqual([
      {
        kind: "workflow",
        workflow: "retrain.yml",
        ref: "main",
        inputs: { model: "churn", reason: "data drift on churn@v0.0.1" },
      },
    ]);
    expect(JSON.parse(drifted.outputs.results!)[0].retrain).toEqual({
      kind: "workflow_dispatch",
      target: "retrain.yml",
    });

    const event = await bed.run({ retrain: "repository_dispatch", issue: "false" }, { runId: 2 });
    expect(event.code, describeRun(event)).toBe(0);
    expect(calls.count("repos/create-dispatch-event")).toBe(1);
    expect(bed.ghRepo.dispatches[1]).toMatchObject({
      kind: "repository",
      eventType: "gitml-retrain",
      clientPayload: {
        model: "churn",
        version: "v0.0.1",
        stage: "production",
        run_url: "https://github.com/acme/ml/actions/runs/2",
      },
    });
    const payload = bed.ghRepo.dispatches[1]!.clientPayload!;
    expect([...(payload.drifted_columns as string[])].sort()).toEqual(["age", "income", "plan"]);
    expect(payload.share_of_drifted_columns).toBe(1);
    // issue: false leaves the issue alone (no comment from the second run).
    expect(bed.comments(bed.issues()[0]!)).toEqual([]);

    await bed.writeLive("churn", "like-reference");
    const healthy = await bed.run(
      { retrain: "workflow_dispatch", "retrain-workflow": "retrain.yml" },
      { runId: 3 },
    );
    expect(healthy.code, describeRun(healthy)).toBe(0);
    expect(bed.ghRepo.dispatches).toHaveLength(2);
    expect(calls.count("actions/create-workflow-dispatch")).toBe(1);
  });

  it("opens one issue per model, each with its own marker, and reports both", async () => {
    bed = await createBed(standin.current, [
      { name: "churn", owners: ["@acme/ml"] },
      { name: "fraud", owners: ["@acme/risk"] },
    ]);
    await bed.writeLive("churn", "drifted");
    await bed.writeLive("fraud", "drifted", 9);
    const run = await bed.run({ labels: "ml-alert, data" }, { env: { GITML_PROGRESS_INTERVAL_MS: "20" } });
    expect(run.code, describeRun(run)).toBe(0);
    // Each model in its own log group, with periodic progress lines while it is worked on.
    expect(run.stdout).toContain("::group::[1/2] churn");
    expect(run.stdout).toContain("::group::[2/2] fraud");
    expect(run.stdout).toMatch(/^… churn: .* s so far\)$/m);
    expect(JSON.parse(run.outputs["models-drifted"]!)).toEqual(["churn", "fraud"]);
    const issues = bed.issues();
    expect(issues).toHaveLength(2);
    expect(issues.map((i) => i.labels)).toEqual([
      ["ml-alert", "data"],
      ["ml-alert", "data"],
    ]);
    const byModel = Object.fromEntries(
      issues.map((i) => [/<!-- gitml:alert:(\w+) -->/.exec(i.body ?? "")![1], i]),
    );
    expect(byModel.churn!.body).toContain("@acme/ml");
    expect(byModel.fraud!.body).toContain("@acme/risk");
    expect(byModel.fraud!.body).not.toContain("@acme/ml");
    expect(JSON.parse(run.outputs.issues!)).toEqual({
      churn: `${standin.current.webUrl}/acme/ml/issues/${byModel.churn!.number}`,
      fraud: `${standin.current.webUrl}/acme/ml/issues/${byModel.fraud!.number}`,
    });
    expect(run.outputs.report).toBe("");
    expect(Object.keys(JSON.parse(run.outputs.reports!))).toEqual(["churn", "fraud"]);
    expect(run.summary).toContain("gitml monitor: overview");

    // Only fraud recovers: its issue closes, churn's gets a comment.
    await bed.writeLive("fraud", "like-reference");
    const next = await bed.run({ labels: "ml-alert, data" }, { runId: 2 });
    expect(next.code, describeRun(next)).toBe(0);
    expect(JSON.parse(next.outputs["models-drifted"]!)).toEqual(["churn"]);
    expect(byModel.churn!.state).toBe("open");
    expect(byModel.fraud!.state).toBe("closed");
    expect(bed.issues()).toHaveLength(2);
  });

  it("fails with exit 2 and a clear message for a model without a monitor block and no current data", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }, { name: "ranker", monitored: false }]);
    const run = await bed.run({ model: "ranker" });
    expect(run.code, describeRun(run)).toBe(2);
    expect(run.stdout).toMatch(/::error::.*ranker has no monitor block in gitml\.yaml.*current/);
    expect(bed.issues()).toEqual([]);
    expect(standin.current.calls.total).toBe(0);
  });

  it("rejects bad inputs with exit 2 before touching GitHub", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }]);
    const noWorkflow = await bed.run({ retrain: "workflow_dispatch" });
    expect(noWorkflow.code, describeRun(noWorkflow)).toBe(2);
    expect(noWorkflow.stdout).toContain("input 'retrain-workflow' is required");
    const badMode = await bed.run({ retrain: "sometimes" });
    expect(badMode.code, describeRun(badMode)).toBe(2);
    expect(badMode.stdout).toMatch(/::error::input 'retrain'/);
    const unknown = await bed.run({ model: "chrun" });
    expect(unknown.code, describeRun(unknown)).toBe(2);
    expect(unknown.stdout).toContain("did you mean");
    expect(standin.current.calls.total).toBe(0);
  });

  it("shortens a report too long for an issue, keeping the table's head; the summary keeps it all", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }]);
    // Profiles built in memory: DuckDB would take seconds for this many columns.
    const columns = 1200;
    const names = Array.from({ length: columns }, (_, i) => `f${i}`);
    const records = (shift: number) =>
      Array.from({ length: 150 }, (_, r) =>
        Object.fromEntries(names.map((n, c) => [n, ((r * 7919 + c * 104729) % 1000) / 100 + shift])),
      );
    await fs.writeFile(path.join(bed.checkout, "ref.json"), profileToJson(profileRecords(records(0))));
    await fs.writeFile(path.join(bed.checkout, "cur.json"), profileToJson(profileRecords(records(5))));
    const run = await bed.run({ model: "churn", reference: "ref.json", current: "cur.json" });
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.outputs.drift).toBe("true");
    const [issue] = bed.issues();
    const body = issue!.body!;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain("| Column");
    expect(body).toContain("full report is in the workflow run's job summary");
    const rows = body.split("\n").filter((line) => /^\| f\d+ /.test(line));
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.length).toBeLessThan(columns);
    expect(run.summary.split("\n").filter((line) => /^\| f\d+ /.test(line))).toHaveLength(columns);
  });
});
