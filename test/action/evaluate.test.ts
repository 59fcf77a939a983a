import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ForkReportSchema } from "../../src/report/schema";
import { pullRequestPayload, workflowCommands } from "../runner/run-action";
import { useStandin } from "../standin";
import { type Bed, configFor, createBed, gitmlComments, READ_ONLY_TOKEN, REPOSITORY } from "./setup";

let bed: Bed | undefined;
afterEach(async () => {
  if (bed) {
    expect(bed.artifacts.problems).toEqual([]);
    await bed.cleanup();
  }
  bed = undefined;
});

/** GitHub REST calls the run made (the artifact service is not the REST API). */
function restCalls(b: Bed): string[] {
  return b.github.calls.log.map((c) => `${c.method} ${c.operationId} ${c.status}`);
}

describe("actions/evaluate run as the runner runs it", () => {
  const github = useStandin({ readOnlyTokens: [READ_ONLY_TOKEN] });

  it("first model: no baseline, passes, one comment, summary, candidate artifact with its digest", async () => {
    bed = await createBed(github.current);
    const run = await bed.run();
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({
      verdict: "pass",
      "baseline-version": "",
      "artifact-name": "gitml-candidate-churn",
    });
    expect(run.outputs["candidate-digest"]).toMatch(/^sha256:[0-9a-f]{64}$/);

    const comments = gitmlComments(bed);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("<!-- gitml:evaluate:churn:gitml-PR -->");
    expect(comments[0]!.body.match(/<!-- gitml:/g)).toHaveLength(1);
    expect(comments[0]!.body).toMatch(/first version: no baseline/);
    expect(run.outputs["comment-url"]).toContain(`#issuecomment-${comments[0]!.id}`);
    expect(run.summary).toContain("### gitml · churn");
    expect(run.summary).toMatch(/All gates passed/);

    const [artifact] = bed.artifacts.artifactsOf(bed.runId, "gitml-candidate-churn");
    expect(String(artifact!.id)).toBe(run.outputs["artifact-id"]);
    const files = bed.artifacts.files(artifact!);
    expect([...files.keys()].sort()).toEqual([
      "manifest.json",
      "metrics/metrics.json",
      "model/model.json",
      "report/report.html",
      "report/report.md",
    ]);
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8")) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      model: "churn",
      candidateDigest: run.outputs["candidate-digest"],
      pr: bed.pull.number,
      verdict: "pass",
    });
    // The REST API lists it for the run, so the merge workflow can find it.
    expect(bed.ghRepo.artifacts.map((a) => [a.runId, a.name])).toEqual([
      [bed.runId, "gitml-candidate-churn"],
    ]);
    expect(bed.github.calls.total).toBeLessThanOrEqual(5);
  });

  it("a regression against production fails a gate: exit 1, comment and check run say fail", async () => {
    bed = await createBed(github.current);
    await bed.writeMetrics("churn", { accuracy: 0.9, loss: 0.2 });
    bed.commitAll("production model");
    await bed.registerProduction("churn", "v1.0.0");
    await bed.writeMetrics("churn", { accuracy: 0.8, loss: 0.2 });
    bed.commitAll("worse model");

    github.current.resetCalls();
    const run = await bed.run({ inputs: { check: "true" } });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ verdict: "fail", "baseline-version": "v1.0.0" });
    expect(workflowCommands(run.stdout, "error").join("\n")).toMatch(/churn: 1 gate\(s\) failed: accuracy/);
    const [comment] = gitmlComments(bed);
    expect(comment!.body).toMatch(/Gates failed: 1 of/);
    expect(comment!.body).toContain("v1.0.0");
    const checks = [...bed.ghRepo.checkRuns.values()];
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({
      name: "gitml / churn",
      conclusion: "failure",
      headSha: bed.pull.headSha,
    });
    expect(run.outputs["check-run-url"]).not.toBe("");
    // list comments, create comment, create check run
    expect(restCalls(bed)).toEqual([
      "GET issues/list-comments 200",
      "POST issues/create-comment 201",
      "POST checks/create 201",
    ]);
  });

  it("feature importances: production's come from its tag (the store is not read), still 3 API calls", async () => {
    const config = configFor(["churn"]).replace(
      "      metrics: out/metrics.json\n",
      "      metrics: out/metrics.json\n      importances: out/importances.json\n",
    );
    bed = await createBed(github.current, { config });
    const writeImportances = (values: Record<string, number>) =>
      fs.writeFile(
        path.join(bed!.repo.work, "models/churn/out/importances.json"),
        JSON.stringify({ importances: values }),
      );
    await writeImportances({ tenure: 6, charges: 3, "<img src=x>": 1 });
    bed.commitAll("production model");
    await bed.registerProduction("churn", "v1.0.0");
    // Nothing of the store is left: whatever the report shows of production came from the tag.
    await fs.rm(path.join(bed.repo.root, "store"), { recursive: true, force: true });
    await writeImportances({ charges: 5, tenure: 4, contract: 1 });
    bed.commitAll("candidate leaning on charges");

    github.current.resetCalls();
    const run = await bed.run({ inputs: { check: "true" } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const [comment] = gitmlComments(bed);
    expect(comment!.body).toContain("#### Feature importances");
    expect(comment!.body).toMatch(/\| 1 \| charges \| 50 % \| 30 % \| 2 \| ▲ 1 \|/);
    expect(comment!.body).toMatch(/\| 3 \| contract \| 10 % \| — \| — \| 🆕 entered the top 10 \|/);
    // A feature name is data: escaped in the table, reduced to safe characters in the chart.
    expect(comment!.body).toContain("&#60;img src=x&#62;");
    expect(comment!.body).not.toContain("<img");
    expect(restCalls(bed)).toEqual([
      "GET issues/list-comments 200",
      "POST issues/create-comment 201",
      "POST checks/create 201",
    ]);
  });

  it("an improvement passes and updates the same comment on the next push", async () => {
    bed = await createBed(github.current);
    await bed.registerProduction("churn", "v1.0.0");
    const first = await bed.run({ inputs: { check: "true" } });
    expect(first.code).toBe(0);
    const before = { ...gitmlComments(bed)[0]! };

    await bed.writeMetrics("churn", { accuracy: 0.86, loss: 0.25 });
    bed.commitAll("better model");
    github.current.resetCalls();
    const run = await bed.run({ inputs: { check: "true" } });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ verdict: "pass", "baseline-version": "v1.0.0" });
    const comments = gitmlComments(bed);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.id).toBe(before!.id);
    expect(comments[0]!.body).not.toBe(before!.body);
    expect(comments[0]!.body).toMatch(/All gates passed/);
    expect(comments[0]!.body).toContain("0.86");
    expect([...bed.ghRepo.checkRuns.values()].at(-1)).toMatchObject({ conclusion: "success" });
    expect(bed.github.calls.total).toBeLessThanOrEqual(5);
    expect(bed.github.calls.count("issues/update-comment")).toBe(1);
    expect(bed.github.calls.count("issues/create-comment")).toBe(0);
  });

  it.each([
    [150, 140],
    [250, 230],
  ])(
    "a PR with %i comments, the marker at #%i (found on a later page): updated, not duplicated",
    async (total, at) => {
      bed = await createBed(github.current);
      github.current.state.seedComments(bed.ghRepo, bed.pull.number, at - 1);
      expect((await bed.run()).code).toBe(0);
      github.current.state.seedComments(bed.ghRepo, bed.pull.number, total - at);
      const [created] = gitmlComments(bed);
      expect(
        github.current.state.commentsOf(bed.ghRepo, bed.pull.number).findIndex((c) => c.id === created!.id),
      ).toBe(at - 1);

      await bed.writeMetrics("churn", { accuracy: 0.75, loss: 0.3 });
      bed.commitAll("retrain");
      github.current.resetCalls();
      const run = await bed.run();
      expect(run.code).toBe(0);
      expect(github.current.state.commentsOf(bed.ghRepo, bed.pull.number)).toHaveLength(total);
      const comments = gitmlComments(bed);
      expect(comments.map((c) => c.id)).toEqual([created!.id]);
      expect(comments[0]!.body).toContain("0.75");
      expect(bed.github.calls.count("issues/list-comments")).toBe(Math.ceil(at / 100));
      expect(bed.github.calls.count("issues/create-comment")).toBe(0);
    },
  );

  it("two models in one PR keep two comments; a second workflow keeps its own", async () => {
    bed = await createBed(github.current, { models: ["churn", "fraud"] });
    expect((await bed.run({ inputs: { model: "churn" } })).code).toBe(0);
    expect((await bed.run({ inputs: { model: "fraud" } })).code).toBe(0);
    expect((await bed.run({ inputs: { model: "churn" } })).code).toBe(0);
    let comments = gitmlComments(bed);
    expect(comments).toHaveLength(2);
    expect(comments[0]!.body).toContain("gitml · churn");
    expect(comments[1]!.body).toContain("gitml · fraud");
    expect((await bed.run({ inputs: { model: "churn" }, workflow: "nightly eval" })).code).toBe(0);
    comments = gitmlComments(bed);
    expect(comments).toHaveLength(3);
    expect(comments[2]!.body).toContain("<!-- gitml:evaluate:churn:nightly-eval -->");
  });

  it("metric names cannot forge rows or inject markup", async () => {
    bed = await createBed(github.current);
    await bed.writeMetrics("churn", {
      accuracy: 0.8,
      loss: 0.3,
      "| ✅ pass |": 1,
      "<img src=x onerror=alert(1)>": 2,
      "--><script>alert(1)</script>": 3,
    });
    bed.commitAll("hostile metric names");
    const run = await bed.run();
    expect(run.code).toBe(0);
    const [comment] = gitmlComments(bed);
    for (const text of [comment!.body, run.summary]) {
      expect(text).not.toMatch(/<img/i);
      expect(text).not.toMatch(/<script/i);
      // The only HTML comments are gitml's own markers.
      expect(
        text.split("\n").filter((l) => l.includes("-->") && !/^<!-- gitml[a-z-]*:[a-z:.-]+ -->$/i.test(l)),
      ).toEqual([]);
      expect(text.split("\n").filter((l) => /^\|\s*✅ pass\s*\|/.test(l))).toEqual([]);
    }
    // Each hostile name still gets exactly one (escaped) row.
    expect(comment!.body.split("\n").filter((l) => l.includes("&#60;img src=x"))).toHaveLength(1);
  });

  it("fork PR with a read-only token: no failure, no comment, report saved for a follow-up job", async () => {
    bed = await createBed(github.current);
    const payload = pullRequestPayload({
      repository: REPOSITORY,
      headRepository: "mallory/ml",
      sha: bed.pull.headSha,
      number: bed.pull.number,
    });
    const run = await bed.run({ token: READ_ONLY_TOKEN, payload, inputs: { check: "true" } });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.outputs["comment-url"]).toBe("");
    expect(gitmlComments(bed)).toEqual([]);
    expect(bed.ghRepo.checkRuns.size).toBe(0);
    const warnings = workflowCommands(run.stdout, "warning").join("\n");
    expect(warnings).toMatch(/Could not comment on #1 \(a pull request from a fork\)/);
    expect(warnings).toMatch(/Skipped the check run/);
    expect(run.summary).toContain("### gitml · churn");

    const [report] = bed.artifacts.artifactsOf(bed.runId, "gitml-report-churn");
    expect(String(report!.id)).toBe(run.outputs["report-artifact-id"]);
    const files = bed.artifacts.files(report!);
    // Structured results only (no markdown), valid against the schema the follow-up checks them with.
    expect([...files.keys()]).toEqual(["report.json"]);
    const saved = ForkReportSchema.parse(JSON.parse(files.get("report.json")!.toString("utf8")));
    expect(saved).toMatchObject({
      pr: bed.pull.number,
      marker: "evaluate:churn:gitml-PR",
      model: "churn",
      repository: REPOSITORY,
      runId: bed.runId,
    });
    expect(saved.report.gates.overall).toBe("pass");
    expect(bed.artifacts.artifactsOf(bed.runId, "gitml-candidate-churn")).toHaveLength(1);
  });

  it("faults on 20% of API calls: every run completes with exactly one comment", async () => {
    bed = await createBed(github.current);
    await bed.registerProduction("churn", "v1.0.0");
    github.current.faults.add({ status: 502, probability: 0.1, phase: "after" });
    github.current.faults.add({ status: 500, probability: 0.05 });
    github.current.faults.add({ secondaryRateLimit: { retryAfterSeconds: 1 }, probability: 0.05 });
    let faulted = 0;
    for (let i = 0; i < 6; i++) {
      github.current.faults.reseed(100 + i);
      const accuracy = (80 + i) / 100;
      await bed.writeMetrics("churn", { accuracy, loss: 0.3 });
      bed.commitAll(`retrain ${i}`);
      github.current.resetCalls();
      const run = await bed.run({ inputs: { check: "true", "upload-candidate": "false" } });
      expect(run.code, run.stdout).toBe(0);
      faulted += bed.github.calls.log.filter((c) => c.status >= 403).length;
      const comments = gitmlComments(bed);
      expect(comments).toHaveLength(1);
      expect(comments[0]!.body).toContain(`| **accuracy** | 0.8 | ${accuracy} |`);
    }
    expect(faulted).toBeGreaterThan(0);
  }, 60_000);

  it("a malformed metrics file: exit 2 with file and reason, nothing posted", async () => {
    bed = await createBed(github.current);
    await bed.writeMetrics("churn", '{ "accuracy": 0.8, "loss": ');
    bed.commitAll("broken metrics");
    const run = await bed.run({ inputs: { check: "true" } });
    expect(run.code).toBe(2);
    const errors = workflowCommands(run.stdout, "error").join("\n");
    expect(errors).toMatch(/models\/churn\/out\/metrics\.json/);
    expect(errors).toMatch(/invalid JSON/);
    expect(errors).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(gitmlComments(bed)).toEqual([]);
    expect(bed.artifacts.artifacts).toEqual([]);
  });

  it("errors in gitml.yaml become check-run annotations at file:line (exit 2)", async () => {
    bed = await createBed(github.current, {
      config:
        "models:\n  churn:\n    path: models/churn\n    outputs:\n      model: out/model.json\n      metrics: out/metrics.json\n    gates:\n      - metric: accuracy\n        minimum: 0.7\n",
    });
    const run = await bed.run({ inputs: { check: "true" } });
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      /^::error title=gitml\.yaml,file=gitml\.yaml,line=9,col=9::models\.churn\.gates\[0\]\.minimum: unknown key/m,
    );
    const [check] = [...bed.ghRepo.checkRuns.values()];
    expect(check).toMatchObject({ conclusion: "failure", name: "gitml / churn" });
    expect(check!.annotations).toEqual([
      expect.objectContaining({
        path: "gitml.yaml",
        start_line: 9,
        annotation_level: "failure",
        message: expect.stringMatching(/minimum: unknown key/),
      }),
    ]);
  });

  it("on_gate_failure: warn reports the failure but exits 0", async () => {
    bed = await createBed(github.current, { warn: true });
    await bed.writeMetrics("churn", { accuracy: 0.5, loss: 0.3 });
    bed.commitAll("weak model");
    const run = await bed.run({ inputs: { check: "true" } });
    expect(run.code).toBe(0);
    expect(run.outputs.verdict).toBe("fail");
    expect(workflowCommands(run.stdout, "warning").join("\n")).toMatch(/gates failed, reported only/);
    expect([...bed.ghRepo.checkRuns.values()][0]).toMatchObject({ conclusion: "neutral" });
  });
});

describe("actions/evaluate with a test suite", () => {
  const github = useStandin();

  it("a failing expectation fails the step with the check named; comment and check run show it", async () => {
    const config = `${configFor(["churn"])}    suite:
      data:
        train: data/train.csv
      expectations:
        train:
          - expect: column_values_to_be_between
            column: age
            min_value: 0
            max_value: 120
`;
    bed = await createBed(github.current, { config });
    await bed.writeMetrics("churn", { accuracy: 0.9, loss: 0.2 });
    const data = path.join(bed.repo.work, "models", "churn", "data");
    await fs.mkdir(data, { recursive: true });
    await fs.writeFile(path.join(data, "train.csv"), "age,plan\n34,free\n212,pro\n51,free\n");
    bed.commitAll("model with an impossible age in its training data");

    const run = await bed.run({ inputs: { check: "true" } });
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe("fail");
    expect(workflowCommands(run.stdout, "error").join("\n")).toMatch(
      /churn: 1 check\(s\) failed: age in range \(.*212/,
    );
    const [comment] = gitmlComments(bed);
    expect(comment!.body).toMatch(/#### Checks/);
    expect(comment!.body).toContain("212");
    expect([...bed.ghRepo.checkRuns.values()][0]).toMatchObject({
      conclusion: "failure",
      output: { title: expect.stringMatching(/^fail: 2\/2 gates passed, 0\/1 checks passed/) },
    });
  });
});
