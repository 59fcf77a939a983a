/**
 * Issue #15: the monitoring use case lives in commands/monitor. One model's failure does not stop the
 * others (the CLI now isolates models as the action always did), and verdicts reach whichever alert
 * sink and retrain trigger the edge gives.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { monitorEach } from "../../src/commands/monitor";
import type { AlertSink, MonitoredModel, RetrainTrigger } from "../../src/monitor/alerts";
import { silentLogger } from "../../src/util/logger";
import { customersCsv } from "../helpers/data";
import { registerInProduction } from "../helpers/monitored-model";
import { createRepo, runCli, type TestRepo } from "../helpers/repo";

// `fraud` comes first and has no version in production: before, `gitml monitor` stopped there.
const CONFIG = `models:
  fraud:
    path: f
    owners: ["@acme/risk"]
    outputs:
      model: out/model.bin
    monitor:
      current: data/live.csv
  churn:
    path: m
    owners: ["@acme/ml"]
    outputs:
      model: out/model.bin
      reference: data/train.csv
    monitor:
      current: data/live/today.csv
`;

let repo: TestRepo;
let live: string;

beforeAll(async () => {
  repo = await createRepo();
  await fs.mkdir(path.join(repo.work, "f/data"), { recursive: true });
  await fs.writeFile(path.join(repo.work, "f/data/live.csv"), customersCsv(500, 2));
  await registerInProduction(repo, CONFIG);
  live = path.join(repo.work, "m/data/live/today.csv");
});
afterAll(async () => repo?.cleanup());

describe("the monitoring use case", () => {
  it("monitors every model though one fails: the others are reported, the failure exits 2", async () => {
    await fs.writeFile(live, customersCsv(1500, 3, 1));
    const run = await runCli(["monitor", "--json"], { cwd: repo.work });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("fraud: no version of fraud is in 'production'");
    expect(JSON.parse(run.stdout)).toMatchObject({
      model: "churn",
      dataset_drift: true,
      alert: { action: "opened" },
    });
    expect(await fs.readFile(path.join(repo.work, ".gitml/alerts/churn.md"), "utf8")).toContain(
      "Drift alert: churn",
    );
  });

  it("a misnamed model fails before any model is read", async () => {
    const run = await runCli(["monitor", "chrun"], { cwd: repo.work });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("did you mean");
    expect(run.stdout).toBe("");
  });

  it("gives verdicts to the alert sink, and to the retrain trigger only while the model alerts", async () => {
    const alerts: Array<Pick<MonitoredModel, "model" | "alerting" | "owners">> = [];
    const retrained: string[] = [];
    const sink: AlertSink = {
      name: "test alert",
      update: async (verdict) => {
        alerts.push({ model: verdict.model, alerting: verdict.alerting, owners: verdict.owners });
        return { action: verdict.alerting ? "opened" : "none", url: `https://alerts/${verdict.model}` };
      },
    };
    const trigger: RetrainTrigger = {
      trigger: async (verdict, alert) => {
        retrained.push(`${verdict.model} ${alert.url}`);
        return { kind: "test", target: "retrain" };
      },
    };
    const steps: string[] = [];
    const monitorChurn = () =>
      monitorEach(
        { cwd: repo.work, logger: silentLogger },
        {
          model: "churn",
          alertSink: sink,
          retrain: trigger,
          observer: {
            modelStarted: (model, index, count) => steps.push(`start ${model} ${index + 1}/${count}`),
            step: (model, text) => steps.push(`${model}: ${text}`),
            judged: (result) => void steps.push(`judged ${result.model} ${result.alerting}`),
            modelEnded: (model) => steps.push(`end ${model}`),
          },
        },
      );

    await fs.writeFile(live, customersCsv(1500, 3, 1));
    const drifted = await monitorChurn();
    expect(drifted.failures).toEqual([]);
    expect(drifted.results[0]).toMatchObject({
      alerting: true,
      alert: { action: "opened", url: "https://alerts/churn" },
      retrain: { kind: "test", target: "retrain" },
    });
    expect(retrained).toEqual(["churn https://alerts/churn"]);
    expect(steps).toEqual([
      "start churn 1/1",
      "judged churn true",
      "churn: updating the test alert",
      "churn: dispatching retraining",
      "end churn",
    ]);

    await fs.writeFile(live, customersCsv(1500, 4));
    const healthy = await monitorChurn();
    expect(healthy.results[0]).toMatchObject({ alerting: false, alert: { action: "none" } });
    expect(healthy.results[0]!.retrain).toBeUndefined();
    expect(alerts).toEqual([
      { model: "churn", alerting: true, owners: ["@acme/ml"] },
      { model: "churn", alerting: false, owners: ["@acme/ml"] },
    ]);
    expect(retrained).toHaveLength(1);
  });
});
