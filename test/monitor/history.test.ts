import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_HISTORY_RETENTION,
  failedMonitoringRecord,
  historyOfFiles,
  isRecordFileName,
  modelFolder,
  monitoringRecordOf,
  monitoringStatus,
  namesBeyondRetention,
  parseMonitoringRecord,
  readLocalHistory,
  recordPath,
  serializeRecord,
  writeLocalHistory,
  type MonitoredRun,
  type MonitoringRecord,
} from "../../src/monitor/history";
import type { ColumnDrift, DriftReport } from "../../src/monitor";
import type { Logger } from "../../src/util/logger";
import { tempDir } from "../helpers/repo";

function column(partial: Partial<ColumnDrift> & { name: string }): ColumnDrift {
  return { type: "numeric", test: "wasserstein", statistic: 0, threshold: 0.1, drift: false, ...partial };
}

function driftReport(columns: ColumnDrift[], extra: Partial<DriftReport> = {}): DriftReport {
  const drifted = columns.filter((c) => c.drift).length;
  return {
    dataset_drift: drifted / columns.length >= 0.5,
    drift_share: 0.5,
    share_of_drifted_columns: drifted / columns.length,
    number_of_columns: columns.length,
    number_of_drifted_columns: drifted,
    number_of_column_errors: columns.filter((c) => c.error).length,
    number_of_undecided_columns: 0,
    columns,
    ...extra,
  };
}

function run(partial: Partial<MonitoredRun> = {}): MonitoredRun {
  return {
    model: "churn",
    version: "v1.2.0",
    stage: "production",
    drift: driftReport([
      column({ name: "age", statistic: 0.3, drift: true }),
      column({ name: "tenure", statistic: 0.05 }),
    ]),
    alert: { action: "opened", url: "https://github.com/o/r/issues/7", number: 7 },
    rows: { reference: 1000, current: 500 },
    ...partial,
  };
}

const quietLogger = (): Logger & { warnings: string[] } => {
  const warnings: string[] = [];
  return { debug() {}, info() {}, error() {}, warning: (m) => warnings.push(m), warnings };
};

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  dirs = [];
});
async function scratch(): Promise<string> {
  const dir = await tempDir("gitml-history-");
  dirs.push(dir);
  return dir;
}

describe("monitoring records", () => {
  it("keeps the verdict, the shares, the most drifted columns first, and the alert", () => {
    const report = driftReport([
      column({ name: "mild", statistic: 0.12, drift: true }),
      column({ name: "ks_col", test: "ks", statistic: 0.4, p_value: 1e-9, threshold: 0.05, drift: true }),
      column({ name: "strong", statistic: 0.9, drift: true }),
      column({ name: "calm", statistic: 0.01 }),
      column({
        name: "z_col",
        test: "z",
        statistic: -5,
        p_value: 0.01,
        threshold: 0.05,
        threshold_source: "data",
        drift: true,
      }),
    ]);
    const record = monitoringRecordOf(run({ drift: report }), {
      ranAt: new Date("2026-12-06T07:00:00.000Z"),
      runUrl: "https://github.com/o/r/actions/runs/1",
    });
    expect(record.verdict).toBe("drift");
    expect(record.ranAt).toBe("2026-12-06T07:00:00.000Z");
    expect(record.drift).toMatchObject({
      datasetDrift: true,
      driftedColumns: 4,
      totalColumns: 5,
      share: 0.8,
    });
    // p = 1e-9 under 0.05 is far more drift than 0.9 over 0.1; |z| = 5 over a data threshold 0.05 beyond both.
    expect(record.drift!.topColumns.map((c) => c.name)).toEqual(["ks_col", "z_col", "strong", "mild"]);
    expect(record.drift!.topColumns[0]).toMatchObject({ scoreKind: "p_value", score: 1e-9, threshold: 0.05 });
    expect(record.drift!.topColumns[1]).toMatchObject({ scoreKind: "statistic", score: 5, statistic: -5 });
    expect(record.alert).toEqual({
      state: "open",
      action: "opened",
      url: "https://github.com/o/r/issues/7",
      number: 7,
    });
    expect(parseMonitoringRecord(JSON.parse(serializeRecord(record)))).toEqual(record);
  });

  it("says decay when only performance decayed, and keeps the prediction column's drift", () => {
    const record = monitoringRecordOf(
      run({
        drift: driftReport([
          column({ name: "y_pred", statistic: 0.2, drift: true }),
          column({ name: "a" }),
          column({ name: "b" }),
        ]),
        predictionColumn: "y_pred",
        performance: {
          metric: "accuracy",
          reference: 0.9,
          current: 0.7,
          delta: -0.2,
          tolerance: 0.05,
          decayed: true,
          direction: "higher",
          task: "binary",
          rows: 300,
        },
        alert: { action: "commented", url: "https://github.com/o/r/issues/7", number: 7 },
      }),
    );
    expect(record.verdict).toBe("decay");
    expect(record.predictionDrift).toMatchObject({ name: "y_pred", drifted: true });
    expect(record.performance).toMatchObject({ metric: "accuracy", current: 0.7, decayed: true, rows: 300 });
    expect(record.alert.state).toBe("open");
  });

  it("records a closed alert, an ok run, and a failed run", () => {
    const recovered = monitoringRecordOf(
      run({
        drift: driftReport([column({ name: "a" })]),
        alert: { action: "closed", url: "https://github.com/o/r/issues/7", number: 7 },
      }),
    );
    expect(recovered).toMatchObject({ verdict: "ok", alert: { state: "closed" } });
    const calm = monitoringRecordOf(
      run({ drift: driftReport([column({ name: "a" })]), alert: { action: "none" } }),
    );
    expect(calm.alert.state).toBe("none");
    const failed = failedMonitoringRecord({
      model: "churn",
      stage: "production",
      error: "no version of churn is in 'production'",
    });
    expect(failed).toMatchObject({ verdict: "error", drift: null, alert: { state: "unknown" } });
    expect(parseMonitoringRecord(JSON.parse(serializeRecord(failed)))).toEqual(failed);
  });

  it("clips untrusted text and drops URLs that are not http(s)", () => {
    const record = monitoringRecordOf(
      run({
        drift: driftReport([column({ name: "x".repeat(5000), statistic: 1, drift: true })]),
        alert: { action: "opened", url: "javascript:alert(1)", number: 3 },
      }),
      { runUrl: "data:text/html,<script>" },
    );
    expect(record.drift!.topColumns[0]!.name.length).toBeLessThanOrEqual(200);
    expect(record.alert.url).toBeNull();
    expect(record.runUrl).toBeNull();
    expect(() => parseMonitoringRecord(JSON.parse(serializeRecord(record)))).not.toThrow();
  });

  it("refuses records of another kind, version or shape, naming the field", () => {
    const good = JSON.parse(serializeRecord(monitoringRecordOf(run()))) as Record<string, unknown>;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...good, kind: "something-else" }, /kind/],
      [{ ...good, schemaVersion: 2 }, /schemaVersion 2/],
      [{ ...good, model: "../etc" }, /model/],
      [{ ...good, ranAt: "yesterday" }, /ranAt/],
      [{ ...good, verdict: "maybe" }, /verdict/],
      [{ ...good, runUrl: "javascript:alert(1)" }, /runUrl/],
      [{ ...good, drift: { ...(good.drift as object), share: 7 } }, /drift.share/],
      [{ ...good, drift: { ...(good.drift as object), topColumns: [{ name: 3 }] } }, /topColumns\[0\].name/],
      [
        { ...good, drift: { ...(good.drift as object), topColumns: new Array(51).fill(null) } },
        /more than 50/,
      ],
      [{ ...good, alert: { state: "open", url: "https://x", number: -1 } }, /alert.number/],
      [{ ...good, error: "e".repeat(10_000) }, /error is longer/],
      [{ ...good, drift: null }, /has no drift/],
    ];
    for (const [value, reason] of cases) expect(() => parseMonitoringRecord(value)).toThrow(reason);
  });

  it("names files by time so that they sort oldest first, one folder per model", () => {
    const record = monitoringRecordOf(run({ model: "dir:team/churn" }), {
      ranAt: new Date("2026-12-06T07:25:19.123Z"),
    });
    const file = recordPath(record);
    expect(file).toMatch(/^dir%3Ateam%2Fchurn\/20261206T072519\.123Z-[0-9a-f]{8}\.json$/);
    // The name follows the bytes: the same record, the same name; another run, another name.
    expect(recordPath(parseMonitoringRecord(JSON.parse(serializeRecord(record))))).toBe(file);
    expect(recordPath({ ...record, runUrl: "https://github.com/o/r/actions/runs/2" })).not.toBe(file);
    expect(isRecordFileName(file.split("/")[1]!)).toBe(true);
    expect(modelFolder("churn")).toBe("churn");
    expect(
      namesBeyondRetention(
        [
          "20260103T000000.000Z-00000000.json",
          "notes.txt",
          "20260101T000000.000Z-00000000.json",
          "20260102T000000.000Z-00000000.json",
        ],
        2,
      ),
    ).toEqual(["20260101T000000.000Z-00000000.json"]);
  });
});

describe("the local history folder", () => {
  it("writes records and reads them back per model, newest first", async () => {
    const dir = await scratch();
    const times = ["2026-01-02T00:00:00.000Z", "2026-01-01T00:00:00.000Z", "2026-01-03T00:00:00.000Z"];
    await writeLocalHistory(
      dir,
      times.map((t) => monitoringRecordOf(run(), { ranAt: new Date(t) })),
    );
    await writeLocalHistory(dir, [
      monitoringRecordOf(run({ model: "dir:fraud" }), { ranAt: new Date(times[0]!) }),
    ]);
    const history = await readLocalHistory(dir);
    expect([...history.models.keys()]).toEqual(["churn", "dir:fraud"]);
    expect(history.models.get("churn")!.map((r) => r.ranAt)).toEqual([times[2], times[0], times[1]]);
    expect(history.skipped).toEqual([]);
    expect((await readLocalHistory(dir, { models: ["dir:fraud"] })).models.size).toBe(1);
    expect((await fs.readdir(path.join(dir, "churn"))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("keeps the newest records per model beyond the retention, and leaves foreign files alone", async () => {
    const dir = await scratch();
    const day = (n: number) => new Date(Date.UTC(2026, 0, n));
    for (let n = 1; n <= 6; n++)
      await writeLocalHistory(dir, [monitoringRecordOf(run(), { ranAt: day(n) })], { retention: 4 });
    await fs.writeFile(path.join(dir, "churn", "README.md"), "notes");
    await writeLocalHistory(dir, [monitoringRecordOf(run(), { ranAt: day(7) })], { retention: 4 });
    const runs = (await readLocalHistory(dir)).models.get("churn")!;
    expect(runs.map((r) => r.ranAt.slice(0, 10))).toEqual([
      "2026-01-07",
      "2026-01-06",
      "2026-01-05",
      "2026-01-04",
    ]);
    expect(await fs.readFile(path.join(dir, "churn", "README.md"), "utf8")).toBe("notes");
    expect(DEFAULT_HISTORY_RETENTION).toBeGreaterThanOrEqual(30);
  });

  it("skips corrupt, foreign, oversized and misplaced files with a warning naming each, and reads the rest", async () => {
    const dir = await scratch();
    await writeLocalHistory(dir, [
      monitoringRecordOf(run(), { ranAt: new Date("2026-01-01T00:00:00.000Z") }),
    ]);
    const churn = path.join(dir, "churn");
    await fs.writeFile(
      path.join(churn, "20260102T000000.000Z-aaaaaaaa.json"),
      '{"kind": "gitml.monitoring-run", ',
    );
    await fs.writeFile(
      path.join(churn, "20260103T000000.000Z-bbbbbbbb.json"),
      JSON.stringify({ hello: "world" }),
    );
    await fs.writeFile(path.join(churn, "20260104T000000.000Z-cccccccc.json"), " ".repeat(70 * 1024));
    const fraud = monitoringRecordOf(run({ model: "fraud" }), {
      ranAt: new Date("2026-01-05T00:00:00.000Z"),
    });
    await fs.writeFile(path.join(churn, "20260105T000000.000Z-dddddddd.json"), serializeRecord(fraud));
    await fs.writeFile(path.join(dir, "stray.json"), "{}");
    const logger = quietLogger();
    const history = await readLocalHistory(dir, { logger });
    expect(history.models.get("churn")).toHaveLength(1);
    expect(history.models.has("fraud")).toBe(false);
    const reasons = Object.fromEntries(history.skipped.map((s) => [path.basename(s.file), s.reason]));
    expect(reasons).toEqual({
      "20260102T000000.000Z-aaaaaaaa.json": "not valid JSON",
      "20260103T000000.000Z-bbbbbbbb.json": expect.stringMatching(/kind/),
      "20260104T000000.000Z-cccccccc.json": expect.stringMatching(/larger than/),
      "20260105T000000.000Z-dddddddd.json": expect.stringMatching(/another model's folder/),
    });
    expect(logger.warnings).toHaveLength(4);
    expect(logger.warnings.every((w) => w.includes(churn))).toBe(true);
  });

  it("reads a missing folder as an empty history", async () => {
    const history = await readLocalHistory(path.join(await scratch(), "nothing-here"));
    expect(history.models.size).toBe(0);
  });
});

describe("monitoring status", () => {
  const at = (day: number, partial: Partial<MonitoringRecord>): MonitoringRecord => ({
    ...monitoringRecordOf(run(), { ranAt: new Date(Date.UTC(2026, 0, day)) }),
    ...partial,
  });

  it("is not-monitored without runs, else the last verdict, with the alert of the last run that saw it", () => {
    expect(monitoringStatus(undefined).status).toBe("not-monitored");
    const runs = [
      at(3, { verdict: "error", alert: { state: "unknown", action: null, url: null, number: null } }),
      at(2, {}),
    ];
    expect(monitoringStatus(runs)).toMatchObject({
      status: "error",
      lastRun: runs[0],
      openAlert: { url: "https://github.com/o/r/issues/7", number: 7 },
    });
    expect(
      monitoringStatus([
        at(4, { verdict: "ok", alert: { state: "closed", action: "closed", url: null, number: 7 } }),
        ...runs,
      ]).openAlert,
    ).toBeUndefined();
  });

  it("orders same-time records by file name, and skips files outside a model folder", () => {
    const record = serializeRecord(
      monitoringRecordOf(run(), { ranAt: new Date("2026-01-01T00:00:00.000Z") }),
    );
    const history = historyOfFiles([
      { path: "churn/a.json", label: "a", text: record },
      { path: "churn/b.json", label: "b", text: record.replace("opened", "commented") },
      { path: "top.json", label: "top", text: record },
    ]);
    expect(history.models.get("churn")!.map((r) => r.alert.action)).toEqual(["commented", "opened"]);
    expect(history.skipped).toEqual([{ file: "top", reason: "not in a model's folder" }]);
  });
});
