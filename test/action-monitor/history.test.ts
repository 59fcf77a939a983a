/**
 * actions/monitor keeps the monitoring history on the `gitml-monitoring` branch of a real bare origin:
 * one record per model per run, concurrent jobs all landing, a refused push failing the step after the
 * alerts, and the token never written to the checkout.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readMonitoringHistoryAtRef } from "../../src/commands/monitoring-history";
import { git } from "../helpers/repo";
import { useStandin } from "../standin";
import { DEFAULT_HISTORY_RETENTION } from "../../src/monitor/history";
import { actionMetadata, createBed, customersCsv, describeRun, TOKEN, type Bed } from "./bed";

const BRANCH_REF = "refs/heads/gitml-monitoring";

describe("actions/monitor: monitoring history", () => {
  const standin = useStandin();
  let bed: Bed | undefined;
  afterEach(async () => {
    await bed?.cleanup();
    bed = undefined;
  });

  it("pushes each run's record to gitml-monitoring on origin: verdict, top columns, alert issue, run link", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }]);
    await bed.writeLive("churn", "drifted");
    const first = await bed.run({}, { runId: 11 });
    expect(first.code, describeRun(first)).toBe(0);
    const tip = git(bed.repo.origin, ["rev-parse", BRANCH_REF]);
    expect(first.outputs["history-commit"]).toBe(tip);
    expect(first.stdout).toMatch(/monitoring history: 1 record\(s\) pushed to gitml-monitoring/);

    await bed.writeLive("churn", "like-reference");
    const second = await bed.run({}, { runId: 12 });
    expect(second.code, describeRun(second)).toBe(0);

    const history = (await readMonitoringHistoryAtRef({ cwd: bed.repo.origin, ref: BRANCH_REF }))!;
    expect(history.skipped).toEqual([]);
    const runs = history.models.get("churn")!;
    expect(runs.map((r) => r.verdict)).toEqual(["ok", "drift"]);
    const issue = bed.issues()[0]!;
    const issueUrl = `${standin.current.webUrl}/acme/ml/issues/${issue.number}`;
    expect(runs[1]).toMatchObject({
      model: "churn",
      version: "v0.0.1",
      stage: "production",
      runUrl: expect.stringMatching(/\/acme\/ml\/actions\/runs\/11$/),
      alert: { state: "open", action: "opened", url: issueUrl, number: issue.number },
      drift: { datasetDrift: true, totalColumns: 3 },
      rows: { reference: 3000, current: 2000 },
    });
    expect(runs[1]!.drift!.topColumns.length).toBeGreaterThan(0);
    expect(runs[0]).toMatchObject({ alert: { state: "closed", action: "closed", url: issueUrl } });
    // Two runs, two commits, by the Actions bot; the checkout itself untouched and holding no token.
    expect(git(bed.repo.origin, ["log", "--format=%an", BRANCH_REF]).split("\n")).toEqual([
      "github-actions[bot]",
      "github-actions[bot]",
    ]);
    const config = git(bed.checkout, ["config", "--list", "--local"]);
    expect(config).not.toMatch(/extraheader/i);
    expect(config).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString("base64"));
    expect(git(bed.checkout, ["status", "--porcelain"])).toBe("");
  });

  it("keeps both records when two models' jobs push at the same time", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }, { name: "fraud" }]);
    await bed.writeLive("churn", "drifted");
    // The matrix's second job runs in its own checkout, as on its own runner.
    const other = bed.repo.clone("checkout-fraud");
    await fs.mkdir(path.join(other, "models/fraud/data/live"), { recursive: true });
    await fs.writeFile(path.join(other, "models/fraud/data/live/today.csv"), customersCsv(2000, 9));
    const [churn, fraud] = await Promise.all([
      bed.run({ model: "churn" }, { runId: 21 }),
      bed.run({ model: "fraud" }, { runId: 21, cwd: other }),
    ]);
    expect(churn.code, describeRun(churn)).toBe(0);
    expect(fraud.code, describeRun(fraud)).toBe(0);
    const history = (await readMonitoringHistoryAtRef({ cwd: bed.repo.origin, ref: BRANCH_REF }))!;
    expect(history.models.get("churn")!.map((r) => r.verdict)).toEqual(["drift"]);
    expect(history.models.get("fraud")!.map((r) => r.verdict)).toEqual(["ok"]);
    expect(git(bed.repo.origin, ["rev-list", "--count", BRANCH_REF])).toBe("2");
  });

  it("records a model that could not be monitored, and keeps the retention", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }]);
    // No live data: the run fails for churn (exit 2), and says so in the history.
    const failed = await bed.run({ "history-retention": "2" }, { runId: 31 });
    expect(failed.code, describeRun(failed)).toBe(2);
    for (const runId of [32, 33]) {
      await bed.writeLive("churn", "like-reference", runId);
      const run = await bed.run({ "history-retention": "2" }, { runId });
      expect(run.code, describeRun(run)).toBe(0);
    }
    let runs = (await readMonitoringHistoryAtRef({ cwd: bed.repo.origin, ref: BRANCH_REF }))!.models.get(
      "churn",
    )!;
    expect(runs.map((r) => r.runUrl?.split("/").pop())).toEqual(["33", "32"]);
    await fs.rm(path.join(bed.checkout, "models/churn/data/live/today.csv"));
    const again = await bed.run({}, { runId: 34 });
    expect(again.code).toBe(2);
    runs = (await readMonitoringHistoryAtRef({ cwd: bed.repo.origin, ref: BRANCH_REF }))!.models.get(
      "churn",
    )!;
    expect(runs[0]).toMatchObject({ verdict: "error", drift: null, alert: { state: "unknown" } });
    expect(runs[0]!.error).toMatch(/today\.csv|no file|match/i);
  });

  it("documents the history inputs and output with the defaults the code uses", async () => {
    const { inputs, outputs } = await actionMetadata();
    expect(inputs.history?.default).toBe("true");
    expect(inputs["history-retention"]?.default).toBe(String(DEFAULT_HISTORY_RETENTION));
    expect(outputs["history-commit"]).toBeDefined();
    const workflow = await fs.readFile(path.join(__dirname, "../../reusable-workflows/monitor.yml"), "utf8");
    expect(workflow).toMatch(new RegExp(`history-retention:[^]*?default: ${DEFAULT_HISTORY_RETENTION}\\n`));
  });

  it("history-dir writes the records for a later job, which checks and pushes them with push-history", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }]);
    const folder = path.join(bed.repo.root, "records");
    await bed.writeLive("churn", "drifted");
    const monitored = await bed.run({ "history-dir": folder }, { runId: 41 });
    expect(monitored.code, describeRun(monitored)).toBe(0);
    expect(monitored.outputs["history-commit"]).toBe("");
    expect(git(bed.repo.origin, ["for-each-ref", "refs/heads/gitml-monitoring"])).toBe("");
    const written = await fs.readdir(path.join(folder, "churn"));
    expect(written).toHaveLength(1);
    // What a job running the model's commands might leave next to the record: not pushed.
    await fs.writeFile(
      path.join(folder, "churn", "20260101T000000.000Z-00000000.json"),
      '{"kind": "forged"}',
    );

    const pushed = await bed.run({ "push-history": folder }, { runId: 42 });
    expect(pushed.code, describeRun(pushed)).toBe(0);
    expect(pushed.outputs["history-commit"]).toBe(git(bed.repo.origin, ["rev-parse", BRANCH_REF]));
    expect(pushed.stdout).toMatch(
      /skipped .*20260101T000000\.000Z-00000000\.json: kind is not gitml\.monitoring-run/,
    );
    expect(pushed.stdout).not.toContain("DuckDB");
    const runs = (await readMonitoringHistoryAtRef({ cwd: bed.repo.origin, ref: BRANCH_REF }))!.models.get(
      "churn",
    )!;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ verdict: "drift", runUrl: expect.stringMatching(/\/runs\/41$/) });
    expect(await git(bed.repo.origin, ["ls-tree", "-r", "--name-only", BRANCH_REF])).toBe(
      `churn/${written[0]}`,
    );
    // Nothing monitored, nothing alerted by the push-only run.
    expect(bed.issues()).toHaveLength(1);
    expect(bed.comments(bed.issues()[0]!)).toEqual([]);

    // The job re-run: the same records, the same names, nothing new to commit.
    const again = await bed.run({ "push-history": folder }, { runId: 42 });
    expect(again.code, describeRun(again)).toBe(0);
    expect(git(bed.repo.origin, ["rev-list", "--count", BRANCH_REF])).toBe("1");

    const empty = await bed.run({ "push-history": path.join(bed.repo.root, "none") }, { runId: 43 });
    expect(empty.code, describeRun(empty)).toBe(0);
    expect(empty.outputs["history-commit"]).toBe("");
  });

  it("history: false pushes nothing", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }]);
    await bed.writeLive("churn", "drifted");
    const run = await bed.run({ history: "false" });
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.outputs["history-commit"]).toBe("");
    expect(git(bed.repo.origin, ["for-each-ref", "refs/heads/gitml-monitoring"])).toBe("");
  });

  it("a checkout without origin fails the step after the report, saying how to go without a history", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }]);
    git(bed.checkout, ["remote", "remove", "origin"]);
    await bed.writeLive("churn", "drifted");
    const run = await bed.run();
    expect(run.code, describeRun(run)).toBe(2);
    expect(run.stdout + run.stderr).toMatch(
      /no remote 'origin' to keep the monitoring history on; or set the input history: false/,
    );
    expect(run.outputs.drift).toBe("true");
    expect(bed.issues()).toHaveLength(1);
    const quiet = await bed.run({ history: "false" }, { runId: 2 });
    expect(quiet.code, describeRun(quiet)).toBe(0);
  });

  it("a refused push fails the step after the alert issue was opened, saying what permission it needs", async () => {
    bed = await createBed(standin.current, [{ name: "churn" }]);
    await fs.writeFile(
      path.join(bed.repo.origin, "hooks", "pre-receive"),
      "#!/bin/sh\nwhile read old new ref; do\n  case \"$ref\" in refs/heads/gitml-monitoring) echo 'denied by policy' >&2; exit 1;; esac\ndone\n",
      { mode: 0o755 },
    );
    await bed.writeLive("churn", "drifted");
    const run = await bed.run();
    expect(run.code, describeRun(run)).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/contents: write/);
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
    expect(bed.issues()).toHaveLength(1);
    expect(run.outputs.drift).toBe("true");
  });
});
