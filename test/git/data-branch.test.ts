import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  fetchMonitoringHistory,
  pushMonitoringRecords,
  readMonitoringHistory,
  readMonitoringHistoryAtRef,
} from "../../src/commands/monitoring-history";
import { appendToBranch, authorizationEnv, readBranchFiles } from "../../src/git/data-branch";
import {
  monitoringRecordOf,
  serializeRecord,
  writeLocalHistory,
  type MonitoredRun,
} from "../../src/monitor/history";
import type { Logger } from "../../src/util/logger";
import { UserError } from "../../src/util/errors";
import { createRepo, git, type TestRepo } from "../helpers/repo";

const identity = { name: "Monitor Bot", email: "bot@example.com" };

function run(model: string): MonitoredRun {
  return {
    model,
    version: "v1.0.0",
    stage: "production",
    drift: {
      dataset_drift: false,
      drift_share: 0.5,
      share_of_drifted_columns: 0,
      number_of_columns: 1,
      number_of_drifted_columns: 0,
      number_of_column_errors: 0,
      number_of_undecided_columns: 0,
      columns: [
        {
          name: "a",
          type: "numeric",
          test: "ks",
          statistic: 0.1,
          p_value: 0.5,
          threshold: 0.05,
          drift: false,
        },
      ],
    },
    alert: { action: "none" },
  };
}

const record = (model: string, day: number) =>
  monitoringRecordOf(run(model), { ranAt: new Date(Date.UTC(2026, 0, day, 6)) });

let repo: TestRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

async function originFiles(origin: string, branch = "gitml-monitoring"): Promise<string[]> {
  return (await readBranchFiles({ cwd: origin, ref: `refs/heads/${branch}`, maxBytes: 1e6 }))!
    .map((f) => f.path)
    .sort();
}

describe("a data branch written with plumbing", () => {
  it("creates the branch without history, then commits on top of it, leaving the clone untouched", async () => {
    repo = await createRepo();
    repo.commit("README.md", "hello");
    git(repo.work, ["push", "--quiet", "origin", "main"]);
    const before = git(repo.work, ["status", "--porcelain"]);
    const first = await appendToBranch({
      remote: repo.origin,
      branch: "gitml-monitoring",
      files: [{ path: "churn/1.json", content: "one" }],
      message: "first",
      identity,
    });
    expect(first.attempts).toBe(1);
    const second = await appendToBranch({
      remote: repo.origin,
      branch: "gitml-monitoring",
      files: [{ path: "churn/2.json", content: "two" }],
      prune: (paths) => paths.filter((p) => p.endsWith("1.json")),
      message: "second",
      identity,
    });
    expect(second.removed).toEqual(["churn/1.json"]);
    expect(git(repo.origin, ["rev-list", "refs/heads/gitml-monitoring"]).split("\n")).toEqual([
      second.commit,
      first.commit,
    ]);
    expect(git(repo.origin, ["log", "-1", "--format=%an <%ae>%n%s", "gitml-monitoring"])).toBe(
      "Monitor Bot <bot@example.com>\nsecond",
    );
    expect(await originFiles(repo.origin)).toEqual(["churn/2.json"]);
    // Nothing in the clone changed: no branch, no index, not shallow.
    expect(git(repo.work, ["status", "--porcelain"])).toBe(before);
    expect(git(repo.work, ["branch", "--list", "gitml-monitoring"])).toBe("");
    expect(git(repo.work, ["rev-parse", "--is-shallow-repository"])).toBe("false");
  });

  it("keeps every record when several jobs push at once (non-fast-forward pushes retried)", async () => {
    repo = await createRepo();
    const writers = ["churn", "fraud", "dir:team/ltv", "churn"].map((model, i) =>
      pushMonitoringRecords({
        cwd: repo!.work,
        records: [record(model, i + 1)],
        identity,
        retryDelayMs: 20,
        attempts: 20,
      }),
    );
    const outcomes = await Promise.all(writers);
    expect(outcomes.every((o) => o !== undefined)).toBe(true);
    const files = await originFiles(repo.origin);
    expect(files).toHaveLength(4);
    expect(files.filter((f) => f.startsWith("churn/"))).toHaveLength(2);
    expect(files.some((f) => f.startsWith("dir%3Ateam%2Fltv/"))).toBe(true);
    expect(git(repo.origin, ["rev-list", "--count", "gitml-monitoring"])).toBe("4");
  });

  it("starts over from the new tip when another writer pushed between its fetch and its push", async () => {
    repo = await createRepo();
    await pushMonitoringRecords({ cwd: repo.work, records: [record("churn", 1)], identity });
    let interloper: Promise<unknown> | undefined;
    const outcome = await pushMonitoringRecords({
      cwd: repo.work,
      records: [record("churn", 3)],
      identity,
      retryDelayMs: 1,
      beforePush: async (attempt) => {
        if (attempt === 1)
          await (interloper = pushMonitoringRecords({
            cwd: repo!.work,
            records: [record("fraud", 2)],
            identity,
          }));
      },
    });
    expect(interloper).toBeDefined();
    expect(outcome!.attempts).toBe(2);
    expect((await originFiles(repo.origin)).map((f) => f.split("/")[0])).toEqual(["churn", "churn", "fraud"]);
    expect(git(repo.origin, ["rev-list", "--count", "gitml-monitoring"])).toBe("3");
  });

  it("keeps the newest records per model on the branch, other models' records untouched", async () => {
    repo = await createRepo();
    await pushMonitoringRecords({ cwd: repo.work, records: [record("fraud", 1)], identity });
    for (let day = 1; day <= 5; day++)
      await pushMonitoringRecords({
        cwd: repo.work,
        records: [record("churn", day)],
        identity,
        retention: 3,
      });
    const files = await originFiles(repo.origin);
    expect(files.filter((f) => f.startsWith("churn/")).map((f) => f.slice(6, 14))).toEqual([
      "20260103",
      "20260104",
      "20260105",
    ]);
    expect(files.filter((f) => f.startsWith("fraud/"))).toHaveLength(1);
  });

  it("says what the remote refused, without retrying a refusal", async () => {
    repo = await createRepo();
    const hook = path.join(repo.origin, "hooks", "pre-receive");
    await fs.writeFile(hook, "#!/bin/sh\necho 'protected branch' >&2\nexit 1\n", { mode: 0o755 });
    const attempt = appendToBranch({
      remote: repo.origin,
      branch: "gitml-monitoring",
      files: [{ path: "churn/1.json", content: "one" }],
      message: "m",
      identity,
      retryDelayMs: 1,
    });
    await expect(attempt).rejects.toThrow(UserError);
    await expect(attempt).rejects.toThrow(/refused the push to the branch gitml-monitoring/);
  });

  it("refuses branch names and paths it would not write", async () => {
    repo = await createRepo();
    const base = { remote: repo.origin, message: "m", identity, files: [{ path: "a/b.json", content: "x" }] };
    await expect(appendToBranch({ ...base, branch: "--upload-pack=evil" })).rejects.toThrow(UserError);
    await expect(
      appendToBranch({ ...base, branch: "ok", files: [{ path: "../x", content: "x" }] }),
    ).rejects.toThrow(/not a path/);
  });

  it("ignores GIT_DIR and friends in its environment, and refuses transports that run commands", async () => {
    repo = await createRepo();
    repo.commit("README.md", "hello");
    const refsBefore = git(repo.work, ["for-each-ref"]);
    const saved = { GIT_DIR: process.env.GIT_DIR, GIT_INDEX_FILE: process.env.GIT_INDEX_FILE };
    process.env.GIT_DIR = path.join(repo.work, ".git");
    process.env.GIT_INDEX_FILE = path.join(repo.work, ".git", "index");
    try {
      await appendToBranch({
        remote: repo.origin,
        branch: "gitml-monitoring",
        files: [{ path: "churn/1.json", content: "one" }],
        message: "m",
        identity,
      });
    } finally {
      for (const [name, value] of Object.entries(saved))
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
    expect(git(repo.work, ["for-each-ref"])).toBe(refsBefore);
    expect(git(repo.work, ["status", "--porcelain"])).toBe("");
    expect(await originFiles(repo.origin)).toEqual(["churn/1.json"]);

    // Even where git's configuration allows `ext::` (a command as a transport), it is refused.
    const marker = path.join(repo.root, "ran");
    const config = {
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "protocol.ext.allow",
      GIT_CONFIG_VALUE_0: "always",
    };
    Object.assign(process.env, config);
    try {
      const attempt = appendToBranch({
        remote: `ext::sh -c touch% ${marker}`,
        branch: "gitml-monitoring",
        files: [{ path: "churn/2.json", content: "two" }],
        message: "m",
        identity,
        attempts: 1,
      });
      await expect(attempt).rejects.toThrow(UserError);
    } finally {
      for (const name of Object.keys(config)) delete process.env[name];
    }
    await expect(fs.access(marker)).rejects.toThrow();
  });

  it("sends a token only through the environment of the commands that need it", () => {
    const env = authorizationEnv("https://github.com/", "s3cret");
    expect(env).toEqual({
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.https://github.com/.extraheader",
      GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${Buffer.from("x-access-token:s3cret").toString("base64")}`,
    });
  });
});

describe("reading the history branch", () => {
  it("reads every model's runs from a clone after a fetch, newest first; nothing before the first push", async () => {
    repo = await createRepo();
    const reader = repo.clone("reader");
    expect(await fetchMonitoringHistory({ cwd: reader })).toBeUndefined();
    expect(await readMonitoringHistoryAtRef({ cwd: reader })).toBeUndefined();
    await pushMonitoringRecords({
      cwd: repo.work,
      records: [record("churn", 1), record("fraud", 1)],
      identity,
    });
    await pushMonitoringRecords({ cwd: repo.work, records: [record("churn", 2)], identity });
    expect(await fetchMonitoringHistory({ cwd: reader })).toBe("refs/remotes/origin/gitml-monitoring");
    const history = (await readMonitoringHistoryAtRef({ cwd: reader }))!;
    expect([...history.models.keys()]).toEqual(["churn", "fraud"]);
    expect(history.models.get("churn")!.map((r) => r.ranAt.slice(0, 10))).toEqual([
      "2026-01-02",
      "2026-01-01",
    ]);
    expect((await readMonitoringHistoryAtRef({ cwd: reader, models: ["fraud"] }))!.models.size).toBe(1);
  });

  it("merges a project's local history with the fetched branch, newest first, each record once", async () => {
    repo = await createRepo();
    repo.commit("README.md", "hello");
    // Nothing anywhere yet: an empty history, not an error.
    expect((await readMonitoringHistory({ root: repo.work })).models.size).toBe(0);
    const shared = record("churn", 2);
    await pushMonitoringRecords({ cwd: repo.work, records: [record("churn", 1), shared], identity });
    await writeLocalHistory(path.join(repo.work, ".gitml/monitoring"), [record("churn", 3), shared]);
    await writeLocalHistory(path.join(repo.work, ".gitml/monitoring"), [record("fraud", 1)]);
    await fetchMonitoringHistory({ cwd: repo.work });
    const history = await readMonitoringHistory({ root: repo.work });
    expect([...history.models.keys()]).toEqual(["churn", "fraud"]);
    expect(history.models.get("churn")!.map((r) => r.ranAt.slice(0, 10))).toEqual([
      "2026-01-03",
      "2026-01-02",
      "2026-01-01",
    ]);
  });

  it("reads a bare catalog repository fetched at depth 1 from a URL", async () => {
    repo = await createRepo();
    await pushMonitoringRecords({ cwd: repo.work, records: [record("churn", 1)], identity });
    await pushMonitoringRecords({ cwd: repo.work, records: [record("churn", 2)], identity });
    const catalog = path.join(repo.root, "catalog.git");
    git(repo.root, ["init", "--quiet", "--bare", catalog]);
    const ref = await fetchMonitoringHistory({ cwd: catalog, remote: `file://${repo.origin}`, depth: 1 });
    expect(ref).toBe("refs/gitml/monitoring/fetched");
    expect((await readMonitoringHistoryAtRef({ cwd: catalog, ref }))!.models.get("churn")).toHaveLength(2);
  });

  it("skips corrupt, foreign and oversized files on the branch with a warning naming ref and path", async () => {
    repo = await createRepo();
    const good = record("churn", 1);
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warning: (m) => warnings.push(m) };
    await appendToBranch({
      remote: repo.origin,
      branch: "gitml-monitoring",
      files: [
        { path: "churn/20260101T060000.000Z-00000001.json", content: serializeRecord(good) },
        { path: "churn/20260102T060000.000Z-00000002.json", content: "{ not json" },
        { path: "churn/20260103T060000.000Z-00000003.json", content: JSON.stringify({ kind: "other" }) },
        { path: "churn/20260104T060000.000Z-00000004.json", content: `{"pad": "${"x".repeat(70_000)}"}` },
        { path: "fraud/20260105T060000.000Z-00000005.json", content: serializeRecord(good) },
        { path: "README.md", content: "not a record" },
      ],
      message: "hand-made",
      identity,
    });
    const history = (await readMonitoringHistoryAtRef({
      cwd: repo.origin,
      ref: "refs/heads/gitml-monitoring",
      logger,
    }))!;
    expect(history.models.get("churn")).toEqual([good]);
    expect(history.models.has("fraud")).toBe(false);
    expect(history.skipped.map((s) => s.file).sort()).toEqual([
      "refs/heads/gitml-monitoring:churn/20260102T060000.000Z-00000002.json",
      "refs/heads/gitml-monitoring:churn/20260103T060000.000Z-00000003.json",
      "refs/heads/gitml-monitoring:churn/20260104T060000.000Z-00000004.json",
      "refs/heads/gitml-monitoring:fraud/20260105T060000.000Z-00000005.json",
    ]);
    expect(warnings).toHaveLength(4);
  });

  it("reads non-ASCII column names byte-exactly in a batch", async () => {
    repo = await createRepo();
    const base = run("churn");
    const exotic = monitoringRecordOf(
      {
        ...base,
        drift: {
          ...base.drift,
          dataset_drift: true,
          share_of_drifted_columns: 1,
          number_of_drifted_columns: 1,
          columns: [{ ...base.drift.columns[0]!, name: "prix € — 価格", p_value: 0.001, drift: true }],
        },
      },
      { ranAt: new Date(Date.UTC(2026, 0, 1)) },
    );
    await pushMonitoringRecords({ cwd: repo.work, records: [exotic, record("churn", 2)], identity });
    const history = (await readMonitoringHistoryAtRef({
      cwd: repo.origin,
      ref: "refs/heads/gitml-monitoring",
    }))!;
    expect(history.models.get("churn")![1]!.drift!.topColumns[0]!.name).toBe("prix € — 価格");
  });
});
