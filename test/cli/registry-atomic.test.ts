import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cliPath, createRepo, git, gitEnv, runCli, tags, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

const CONFIG = `models:
  churn:
    path: models/churn
    outputs:
      model: out/model.json
      metrics: out/metrics.json
    stages: [staging, production]
`;

async function withModel(r: TestRepo): Promise<void> {
  await fs.mkdir(path.join(r.work, "models/churn/out"), { recursive: true });
  await fs.writeFile(path.join(r.work, "models/churn/out/model.json"), JSON.stringify({ trees: [1] }));
  await fs.writeFile(path.join(r.work, "models/churn/out/metrics.json"), JSON.stringify({ accuracy: 0.9 }));
  await fs.writeFile(path.join(r.work, ".gitignore"), ".gitml/\n");
  git(r.work, ["add", "-A"]);
  r.commit("gitml.yaml", CONFIG);
}

async function refusePushes(r: TestRepo, refuse: boolean): Promise<void> {
  const hook = path.join(r.origin, "hooks", "pre-receive");
  if (refuse) {
    await fs.writeFile(hook, "#!/bin/sh\necho 'pushes are frozen' >&2\nexit 1\n", { mode: 0o755 });
  } else {
    await fs.rm(hook, { force: true });
  }
}

/** Every registry tag and the object it points at, for comparing two repositories exactly. */
function tagObjects(cwd: string): string[] {
  const out = git(cwd, ["for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/tags"]);
  return out === "" ? [] : out.split("\n").sort();
}

async function storedManifests(r: TestRepo): Promise<string[]> {
  return fs.readdir(path.join(r.work, ".gitml/store/manifests/sha256")).catch(() => []);
}

describe("a refused push leaves nothing behind", () => {
  it("register: exit 2, no local tag, no stored manifest; the same command succeeds once origin accepts", async () => {
    repo = await createRepo();
    await withModel(repo);
    await refusePushes(repo, true);
    const refused = await runCli(["register", "churn"], { cwd: repo.work });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refused the tag push .*pre-receive hook declined/);
    expect(refused.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(tags(repo.work)).toEqual([]);
    expect(tags(repo.origin)).toEqual([]);
    expect(await storedManifests(repo)).toEqual([]);
    const show = await runCli(["show", "--json"], { cwd: repo.work });
    expect(JSON.parse(show.stdout)).toEqual({});

    await refusePushes(repo, false);
    const accepted = await runCli(["register", "churn", "--json"], { cwd: repo.work });
    expect(accepted.stderr).toBe("");
    expect(accepted.code).toBe(0);
    const version = (JSON.parse(accepted.stdout) as { version: string }).version;
    expect(tags(repo.origin)).toEqual([`churn@${version}`]);
    expect(tagObjects(repo.work)).toEqual(tagObjects(repo.origin));
    const got = await runCli(["get", `churn@${version}`, "-o", "got"], { cwd: repo.work });
    expect(got.code).toBe(0);
  });

  it("promote: no local stage tag; the retry promotes instead of saying there is nothing to do", async () => {
    repo = await createRepo();
    expect((await runCli(["register", "rf", "--version", "v0.0.1"], { cwd: repo.work })).code).toBe(0);
    await refusePushes(repo, true);
    const refused = await runCli(["promote", "rf", "--stage", "prod"], { cwd: repo.work });
    expect(refused.code).toBe(2);
    expect(tags(repo.work)).toEqual(["rf@v0.0.1"]);

    await refusePushes(repo, false);
    const retry = await runCli(["promote", "rf", "--stage", "prod", "--json"], { cwd: repo.work });
    expect(retry.code).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ tag: "rf#prod#1" });
    expect(tags(repo.origin)).toEqual(["rf#prod#1", "rf@v0.0.1"]);
    expect(tagObjects(repo.work)).toEqual(tagObjects(repo.origin));
  });

  it("no git identity: a user error saying what to run, and no tag", async () => {
    repo = await createRepo();
    const home = path.join(repo.root, "home");
    await fs.mkdir(home);
    const noIdentity = {
      HOME: home,
      GIT_COMMITTER_NAME: undefined,
      GIT_COMMITTER_EMAIL: undefined,
      GIT_AUTHOR_NAME: undefined,
      GIT_AUTHOR_EMAIL: undefined,
      EMAIL: undefined,
      // Without this git may invent user@host from the machine's name and succeed.
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "user.useConfigOnly",
      GIT_CONFIG_VALUE_0: "true",
    };
    const result = await runCli(["register", "rf"], { cwd: repo.work, env: noIdentity });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('git config --global user.name "Your Name"');
    expect(result.stderr).toContain('git config --global user.email "you@example.com"');
    expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(tags(repo.work)).toEqual([]);
    expect(tags(repo.origin)).toEqual([]);

    const doctor = await runCli(["doctor", "--json"], { cwd: repo.work, env: noIdentity });
    const identity = (JSON.parse(doctor.stdout) as { check: string; status: string; detail: string }[]).find(
      (c) => c.check === "git identity",
    );
    expect(identity).toMatchObject({ status: "error" });
    expect(identity!.detail).toContain("git config --global user.email");
    expect(doctor.code).toBe(1);
  });
});

describe("local registry tags origin lacks", () => {
  it("--no-push register, then a pushed promote: both tags reach origin, and a fresh clone names the version", async () => {
    repo = await createRepo();
    expect(
      (await runCli(["register", "rf", "--version", "v0.0.1", "--no-push"], { cwd: repo.work })).code,
    ).toBe(0);
    const doctor = await runCli(["doctor", "--json"], { cwd: repo.work });
    const checks = JSON.parse(doctor.stdout) as { check: string; status: string; detail: string }[];
    expect(checks.find((c) => c.check === "tags origin lacks")).toMatchObject({ status: "warning" });
    expect(checks.find((c) => c.check === "tags origin lacks")!.detail).toContain("rf@v0.0.1");

    const promoted = await runCli(["promote", "rf", "--stage", "prod"], { cwd: repo.work });
    expect(promoted.code).toBe(0);
    expect(promoted.stderr).toMatch(/publishing rf@v0\.0\.1 to 'origin'/);
    expect(tags(repo.origin)).toEqual(["rf#prod#1", "rf@v0.0.1"]);
    const fresh = repo.clone("fresh");
    const show = await runCli(["show", "rf#prod", "--json"], { cwd: fresh });
    expect(show.stdout).toContain("v0.0.1");
  });

  it("register --no-push, then register: the second run publishes the first's version instead of refusing", async () => {
    repo = await createRepo();
    await withModel(repo);
    const local = await runCli(["register", "churn", "--no-push", "--json"], { cwd: repo.work });
    expect(local.code).toBe(0);
    const { version, tag } = JSON.parse(local.stdout) as { version: string; tag: string };
    expect(tags(repo.origin)).toEqual([]);

    const pushed = await runCli(["register", "churn", "--json"], { cwd: repo.work });
    expect(pushed.code).toBe(0);
    expect(JSON.parse(pushed.stdout)).toMatchObject({ version, tag });
    expect(pushed.stderr).toMatch(/already registered on this commit with --no-push: published it/);
    expect(tags(repo.origin)).toEqual([tag]);
    expect(tagObjects(repo.work)).toEqual(tagObjects(repo.origin));
    const fresh = repo.clone("fresh");
    expect(
      (
        await runCli(["get", tag, "-o", "got"], {
          cwd: fresh,
          env: { GITML_STORE: path.join(repo.work, ".gitml/store") },
        })
      ).code,
    ).toBe(0);

    // Now that origin has it, the commit's version is taken as before.
    const again = await runCli(["register", "churn"], { cwd: repo.work });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already has version/);
  });

  it("left by an older gitml's refused push: a registration whose artifacts never reached the store is dropped, and the version is free again", async () => {
    repo = await createRepo();
    await withModel(repo);
    const head = git(repo.work, ["rev-parse", "HEAD"]);
    // What gitml before this fix left: the tag, with a digest the store never kept, and no push.
    git(repo.work, [
      "tag",
      "-a",
      "--cleanup=verbatim",
      "-m",
      `Registering artifact churn version v0.1.0\n\nGitml-Artifact-Digest: sha256:${"ab".repeat(32)}\n`,
      "churn@v0.1.0",
      head,
    ]);
    git(repo.work, [
      "tag",
      "-a",
      "-m",
      "Assigning stage staging to artifact churn version v0.1.0",
      "churn#staging#1",
      head,
    ]);
    const result = await runCli(["register", "churn", "--version", "v0.1.0"], { cwd: repo.work });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/dropped the local tag churn@v0\.1\.0\b.*not in the store/);
    expect(result.stderr).toMatch(/dropped the local tag churn#staging#1\b.*registration was dropped/);
    expect(tags(repo.origin)).toEqual(["churn@v0.1.0"]);
    expect(tagObjects(repo.work)).toEqual(tagObjects(repo.origin));
    // Kept aside, not lost.
    expect(
      git(repo.work, ["for-each-ref", "--format=%(refname)", "refs/gitml/dropped"]).split("\n").sort(),
    ).toEqual(["refs/gitml/dropped/churn#staging#1", "refs/gitml/dropped/churn@v0.1.0"]);
    expect((await runCli(["get", "churn@v0.1.0", "-o", "got"], { cwd: repo.work })).code).toBe(0);
  });

  it("a local assignment whose counter origin used meanwhile is dropped; one still valid is published", async () => {
    repo = await createRepo();
    expect((await runCli(["register", "rf", "--version", "v0.0.1"], { cwd: repo.work })).code).toBe(0);
    const other = repo.clone("other");
    expect((await runCli(["promote", "rf", "--stage", "dev", "--no-push"], { cwd: repo.work })).code).toBe(0);
    expect((await runCli(["promote", "rf", "--stage", "prod"], { cwd: other })).code).toBe(0);
    expect(tags(repo.origin)).toEqual(["rf#prod#1", "rf@v0.0.1"]);
    repo.commit("b.txt", "b");
    expect(
      (await runCli(["register", "rf", "--version", "v0.2.0", "--no-push"], { cwd: repo.work })).code,
    ).toBe(0);

    const result = await runCli(["deprecate", "rf"], { cwd: repo.work });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/dropped the local tag rf#dev#1\b.*already has a tag of rf numbered #1/);
    expect(result.stderr).toMatch(/publishing rf@v0\.2\.0 to 'origin'/);
    // (the deprecation tag's own name is GTO's business: only what was published or dropped is checked)
    expect(tags(repo.origin)).toEqual(expect.arrayContaining(["rf#prod#1", "rf@v0.0.1", "rf@v0.2.0"]));
    expect(tags(repo.origin)).not.toContain("rf#dev#1");
    expect(tagObjects(repo.work)).toEqual(tagObjects(repo.origin));
  });
});

describe("a huge metrics file", () => {
  it("the tag keeps the headline metrics (gated first) within the documented limit; `get` returns them all", async () => {
    repo = await createRepo();
    await withModel(repo);
    const perSample = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`s${i}`, i / 100_000]));
    // The gated metric comes last in the file: it must still be in the tag.
    const metrics = { accuracy: 0.9, per_sample: perSample, eval: { f1: 0.81 } };
    await fs.writeFile(path.join(repo.work, "models/churn/out/metrics.json"), JSON.stringify(metrics));
    await fs.writeFile(
      path.join(repo.work, "gitml.yaml"),
      `${CONFIG}    gates:\n      - metric: eval.f1\n        min: 0.5\n`,
    );
    git(repo.work, ["commit", "--quiet", "-am", "big metrics"]);
    const reg = await runCli(["register", "churn", "--json"], { cwd: repo.work });
    expect(reg.code).toBe(0);
    expect(reg.stderr).toMatch(/the tag carries \d+ of 100002 metrics/);
    const { tag } = JSON.parse(reg.stdout) as { tag: string };
    const size = Number(git(repo.origin, ["cat-file", "-s", tag]));
    expect(size).toBeLessThan(4096 + 512);
    const shown = await runCli(["show", tag, "--json"], { cwd: repo.work });
    expect(shown.code).toBe(0);
    const body = git(repo.work, ["tag", "-l", "--format=%(contents)", tag]);
    const tagMetrics = JSON.parse(/^Gitml-Metrics: (.*)$/m.exec(body)![1]!) as Record<string, number>;
    expect(tagMetrics["eval.f1"]).toBe(0.81);
    expect(tagMetrics.accuracy).toBe(0.9);
    const omitted = Number(/^Gitml-Metrics-Omitted: (\d+)$/m.exec(body)![1]);
    expect(omitted + Object.keys(tagMetrics).length).toBe(100_002);

    const got = await runCli(["get", tag, "-o", "got"], { cwd: repo.work });
    expect(got.code).toBe(0);
    const all = JSON.parse(await fs.readFile(path.join(repo.work, "got/metrics.json"), "utf8")) as Record<
      string,
      number
    >;
    expect(Object.keys(all)).toHaveLength(100_002);
    expect(all["per_sample.s99999"]).toBe(0.99999);
  }, 120_000);
});

describe("killed mid-way", () => {
  it("30 runs killed (process group) at random moments: after the next command, local and origin agree exactly", async () => {
    repo = await createRepo();
    await withModel(repo);
    // origin is a server: a cancelled runner's processes die, the server's receive-pack does not. A
    // file:// push runs receive-pack as a child of git push, so it is moved to a session of its own.
    const serverSide = path.join(repo.root, "receive-pack");
    await fs.writeFile(serverSide, '#!/bin/sh\nexec setsid git-receive-pack "$@"\n', { mode: 0o755 });
    git(repo.work, ["config", "remote.origin.receivepack", serverSide]);
    const started = Date.now();
    expect((await runCli(["register", "churn"], { cwd: repo.work })).code).toBe(0);
    // Kill moments spread over a whole run as long as this machine takes for one right now.
    const runMs = Date.now() - started;
    const env = gitEnv();
    const runs = 30;
    let killed = 0;
    for (let i = 0; i < runs; i++) {
      repo.commit("models/churn/note.txt", `run ${i}`);
      const args = i % 2 === 0 ? ["register", "churn"] : ["promote", "churn", "--stage", "staging"];
      const child = spawn(process.execPath, [cliPath, ...args], {
        cwd: repo.work,
        env,
        detached: true,
        stdio: "ignore",
      });
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      const delay = Math.random() * runMs;
      const outcome = await Promise.race([
        exited.then(() => "finished" as const),
        new Promise<"killed">((resolve) => setTimeout(() => resolve("killed"), delay)),
      ]);
      if (outcome === "killed") {
        try {
          process.kill(-child.pid!, "SIGKILL"); // the whole group: node and the git it runs
          killed++;
        } catch {
          // finished just now
        }
      }
      await exited;
      // The next command, uninterrupted, registers the commit the killed one may not have.
      const next = await runCli(["register", "churn", "--json"], { cwd: repo.work });
      if (next.code !== 0)
        expect(next.stderr, `run ${i} (${args[0]} ${outcome})`).toMatch(/already has version/);
      expect(tagObjects(repo.work), `run ${i} (${args[0]} ${outcome})`).toEqual(tagObjects(repo.origin));
    }
    expect(killed).toBeGreaterThan(runs / 3);
    // Stage counters on origin have no gaps, and every registration's artifacts are there.
    const counters = tags(repo.origin)
      .filter((t) => t.startsWith("churn#"))
      .map((t) => Number(t.split("#")[2]))
      .sort((a, b) => a - b);
    expect(counters).toEqual(counters.map((_, i) => i + 1));
    const doctor = await runCli(["doctor", "--json"], { cwd: repo.work });
    const checks = JSON.parse(doctor.stdout) as { check: string; status: string }[];
    expect(checks.filter((c) => c.status === "error")).toEqual([]);
    expect(checks.find((c) => c.check === "tags origin lacks")).toBeUndefined();
  }, 240_000);
});
