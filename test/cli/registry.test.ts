import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_STORE_PATH } from "../../src/config";
import type { Digest } from "../../src/store/digest";
import { LocalStore } from "../../src/store/local";
import { createRepo, git, runCli, tags, type TestRepo } from "../helpers/repo";

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

async function withModel(r: TestRepo, accuracy = 0.9): Promise<string> {
  await fs.mkdir(path.join(r.work, "models/churn/out"), { recursive: true });
  await fs.writeFile(path.join(r.work, "models/churn/out/model.json"), JSON.stringify({ trees: [accuracy] }));
  await fs.writeFile(
    path.join(r.work, "models/churn/out/metrics.json"),
    JSON.stringify({ accuracy, eval: { f1: 0.8 } }),
  );
  return r.commit("gitml.yaml", CONFIG);
}

describe("registry verbs without gitml.yaml (as GTO's)", () => {
  it("register → promote → show/history/check-ref, pushed to origin", async () => {
    repo = await createRepo();
    const reg = await runCli(["register", "rf"], { cwd: repo.work });
    expect(reg.stderr).toBe("");
    expect(reg.code).toBe(0);
    expect(reg.stdout).toMatch(/registered rf@v0\.0\.1 /);
    const version = /rf@(v[0-9.]+)/.exec(reg.stdout)![1]!;
    expect(tags(repo.origin)).toEqual([`rf@${version}`]);

    const prom = await runCli(["promote", "rf", "--stage", "prod"], { cwd: repo.work });
    expect(prom.code).toBe(0);
    expect(tags(repo.origin)).toEqual([`rf#prod#1`, `rf@${version}`].sort());
    // Annotated, with GTO's sentence.
    expect(git(repo.origin, ["cat-file", "-t", "rf#prod#1"])).toBe("tag");
    expect(git(repo.origin, ["tag", "-l", "--format=%(contents:subject)", "rf#prod#1"])).toBe(
      `Assigning stage prod to artifact rf version ${version}`,
    );

    const show = await runCli(["show", "--json"], { cwd: repo.work });
    expect(JSON.parse(show.stdout)).toMatchObject({ rf: { version, stage: { prod: version } } });
    const one = await runCli(["show", "rf#prod", "--json"], { cwd: repo.work });
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(version);

    const hist = await runCli(["history", "rf", "--json"], { cwd: repo.work });
    expect(hist.code).toBe(0);
    expect(hist.stdout).toContain("registration");
    expect(hist.stdout).toContain("assignment");

    const check = await runCli(["check-ref", "refs/tags/rf#prod#1", "--json"], { cwd: repo.work });
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/assignment/);
  });

  it("--no-push keeps tags local", async () => {
    repo = await createRepo();
    const reg = await runCli(["register", "rf", "--version", "v1.2.3", "--no-push"], { cwd: repo.work });
    expect(reg.code).toBe(0);
    expect(tags(repo.work)).toEqual(["rf@v1.2.3"]);
    expect(tags(repo.origin)).toEqual([]);
  });

  it("deregister, unassign, deprecate and revival", async () => {
    repo = await createRepo();
    expect((await runCli(["register", "rf", "--version", "v1.0.0"], { cwd: repo.work })).code).toBe(0);
    repo.commit("x.txt", "2");
    expect((await runCli(["register", "rf", "--version", "v1.1.0"], { cwd: repo.work })).code).toBe(0);
    expect(
      (await runCli(["promote", "rf", "--stage", "prod", "--version", "v1.1.0"], { cwd: repo.work })).code,
    ).toBe(0);
    expect(
      (await runCli(["unassign", "rf", "--stage", "prod", "--version", "v1.1.0"], { cwd: repo.work })).code,
    ).toBe(0);
    expect((await runCli(["deregister", "rf", "--version", "v1.1.0"], { cwd: repo.work })).code).toBe(0);
    let show = JSON.parse((await runCli(["show", "--json"], { cwd: repo.work })).stdout);
    expect(show.rf.version).toBe("v1.0.0");
    expect(show.rf.stage.prod ?? null).toBeNull();

    expect((await runCli(["deprecate", "rf"], { cwd: repo.work })).code).toBe(0);
    show = JSON.parse((await runCli(["show", "--json"], { cwd: repo.work })).stdout);
    expect(show.rf?.active ?? false).toBe(false);
    expect(tags(repo.origin)).toContain("rf@v1.1.0!");
  });
});

describe("registry verbs with gitml.yaml", () => {
  it("stores the declared outputs before tagging and `get` returns them verified", async () => {
    repo = await createRepo();
    await withModel(repo, 0.91);
    const reg = await runCli(["register", "churn", "--json"], { cwd: repo.work });
    expect(reg.stderr).toBe("");
    const result = JSON.parse(reg.stdout);
    expect(result).toMatchObject({ model: "churn", version: "v0.0.1", pushed: true });
    expect(result.digest).toMatch(/^sha256:/);
    // The tag carries the metrics and the artifact digest, so reports need no download.
    const body = git(repo.work, ["tag", "-l", "--format=%(contents)", "churn@v0.0.1"]);
    expect(body).toContain(result.digest);
    expect(body).toContain("0.91");

    const prom = await runCli(["promote", "churn", "--stage", "staging"], { cwd: repo.work });
    expect(prom.code).toBe(0);
    const got = await runCli(["get", "churn#staging", "-o", "deploy", "--json"], { cwd: repo.work });
    expect(got.stderr).toBe("");
    const files = JSON.parse(got.stdout)
      .files.map((f: string) => path.relative(path.join(repo.work, "deploy"), f))
      .sort();
    expect(files).toEqual(["metrics/metrics.json", "model-card.md", "model/model.json"]);
    expect(await fs.readFile(path.join(repo.work, "deploy/model/model.json"), "utf8")).toBe(
      '{"trees":[0.91]}',
    );
  });

  it("keeps a model card with a locally registered version, and `get` returns it", async () => {
    repo = await createRepo();
    await withModel(repo, 0.91);
    await fs.writeFile(
      path.join(repo.work, "gitml.yaml"),
      CONFIG.replace(
        "    path: models/churn\n",
        "    path: models/churn\n    description: Predicts churn.\n",
      ),
    );
    git(repo.work, ["commit", "-qam", "describe the model"]);
    const reg = await runCli(["register", "churn", "--json"], { cwd: repo.work });
    expect(reg.stderr).toBe("");
    const { digest } = JSON.parse(reg.stdout) as { digest: Digest };

    // The manifest the tag records lists the card beside the model.
    const store = new LocalStore(path.join(repo.work, DEFAULT_STORE_PATH));
    const { manifest } = await store.readManifest({ model: "churn", version: "v0.0.1", digest });
    expect(manifest.files.filter((f) => f.role === "model-card")).toEqual([
      expect.objectContaining({ path: "model-card.md", role: "model-card" }),
    ]);

    const got = await runCli(["get", "churn@v0.0.1", "-o", "deploy"], { cwd: repo.work });
    expect(got.code).toBe(0);
    const card = await fs.readFile(path.join(repo.work, "deploy/model-card.md"), "utf8");
    expect(card).toContain("# churn v0.0.1");
    expect(card).toContain("Predicts churn.");
    expect(card).toContain("| accuracy | 0.91 |");
  });

  it("follows the stage order: production takes the version in staging, rollback is allowed", async () => {
    repo = await createRepo();
    await withModel(repo, 0.8);
    await runCli(["register", "churn"], { cwd: repo.work });
    await runCli(["promote", "churn", "--stage", "staging"], { cwd: repo.work });
    expect((await runCli(["promote", "churn", "--stage", "production"], { cwd: repo.work })).code).toBe(0);
    await fs.writeFile(path.join(repo.work, "models/churn/out/model.json"), "{}");
    repo.commit("models/churn/out/note.txt", "v2");
    await runCli(["register", "churn"], { cwd: repo.work });
    await runCli(["promote", "churn", "--stage", "staging"], { cwd: repo.work });
    await runCli(["promote", "churn", "--stage", "production"], { cwd: repo.work });
    let show = JSON.parse((await runCli(["show", "--json"], { cwd: repo.work })).stdout);
    expect(show.churn.stage.production).toBe("v0.1.0");
    const rollback = await runCli(["promote", "churn", "--stage", "production", "--version", "v0.0.1"], {
      cwd: repo.work,
    });
    expect(rollback.stderr).toBe("");
    expect(rollback.code).toBe(0);
    show = JSON.parse((await runCli(["show", "--json"], { cwd: repo.work })).stdout);
    expect(show.churn.stage.production).toBe("v0.0.1");
  });
});

describe("bad input: clear message, exit 2, nothing written", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["a name with a dot", ["register", "my.model"], /name/i],
    ["a name with a space", ["register", "my model"], /name/i],
    ["a unicode name", ["register", "modèle"], /name/i],
    ["a leading dash", ["register", "--", "-model"], /name/i],
    ["a name with ..", ["register", "a..b"], /name/i],
    ["a tag-shaped injection", ["register", "a@v1.0.0;rm -rf ~"], /name/i],
    ["a version without v", ["register", "m", "--version", "1.0.0"], /version/i],
    ["a version that is not semver", ["register", "m", "--version", "v1.0"], /version/i],
    ["an unknown bump", ["register", "m", "--bump", "huge"], /bump|choices|allowed/i],
    [
      "promoting a version that does not exist",
      ["promote", "m", "--stage", "prod", "--version", "v9.9.9"],
      /not/,
    ],
    ["an unknown option", ["show", "--frobnicate"], /unknown option/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      repo = await createRepo();
      if (args[0] === "promote") await runCli(["register", "m", "--version", "v1.0.0"], { cwd: repo.work });
      const before = tags(repo.origin);
      const result = await runCli(args, { cwd: repo.work });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(tags(repo.origin)).toEqual(before);
    });
  }

  it("two versions on one commit", async () => {
    repo = await createRepo();
    expect((await runCli(["register", "m"], { cwd: repo.work })).code).toBe(0);
    const again = await runCli(["register", "m"], { cwd: repo.work });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already has version v0\.0\.1 on commit/);
    expect(tags(repo.origin)).toEqual(["m@v0.0.1"]);
  });

  it("promoting a deregistered version", async () => {
    repo = await createRepo();
    await runCli(["register", "m", "--version", "v1.0.0"], { cwd: repo.work });
    await runCli(["deregister", "m", "--version", "v1.0.0"], { cwd: repo.work });
    const result = await runCli(["promote", "m", "--stage", "prod", "--version", "v1.0.0"], {
      cwd: repo.work,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/deregistered/);
  });

  it("a stage not in gitml.yaml, and a promotion the rules forbid", async () => {
    repo = await createRepo();
    await withModel(repo);
    await runCli(["register", "churn"], { cwd: repo.work });
    const unknown = await runCli(["promote", "churn", "--stage", "prod"], { cwd: repo.work });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/'prod' is not a stage of churn \(its stages: staging, production\)/);
    const skip = await runCli(["promote", "churn", "--stage", "production", "--version", "v0.0.1"], {
      cwd: repo.work,
    });
    expect(skip.code).toBe(2);
    expect(skip.stderr).toMatch(/cannot promote from a version with no stage to `production`/);
    expect(tags(repo.origin)).toEqual(["churn@v0.0.1"]);
  });

  it("a missing model output: no tag, and the store is not left half-written for that version", async () => {
    repo = await createRepo();
    await withModel(repo);
    await fs.rm(path.join(repo.work, "models/churn/out/model.json"));
    const result = await runCli(["register", "churn"], { cwd: repo.work });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /models\.churn\.outputs\.model is 'out\/model\.json', but models\/churn\/out\/model\.json does not exist/,
    );
    expect(tags(repo.work)).toEqual([]);
  });

  it("a corrupted store file makes `get` refuse", async () => {
    repo = await createRepo();
    await withModel(repo);
    await runCli(["register", "churn"], { cwd: repo.work });
    const blobs = path.join(repo.work, ".gitml/store/blobs/sha256");
    for (const blob of await fs.readdir(blobs)) await fs.writeFile(path.join(blobs, blob), "tampered");
    const result = await runCli(["get", "churn@v0.0.1", "-o", "out"], { cwd: repo.work });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/failed verification/);
  });

  it("not a git repository", async () => {
    repo = await createRepo();
    const result = await runCli(["register", "m"], { cwd: repo.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not inside a git repository/);
  });

  it("no git on PATH", async () => {
    repo = await createRepo();
    const result = await runCli(["show"], { cwd: repo.work, env: { PATH: "/nonexistent" } });
    // The machine, not the user's input nor a bug: the environment's exit code.
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/git was not found on PATH/);
  });
});

describe("clones as CI checks them out", () => {
  it("a shallow clone without tags fetches them before registering the next version", async () => {
    repo = await createRepo();
    await runCli(["register", "m", "--version", "v1.0.0"], { cwd: repo.work });
    repo.commit("b.txt", "b");
    git(repo.work, ["push", "--quiet", "origin", "main"]);
    const shallow = repo.clone("shallow", ["--depth=1", "--no-tags"]);
    expect(tags(shallow)).toEqual([]);
    const result = await runCli(["register", "m", "--bump", "patch"], { cwd: shallow });
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/m@v1\.0\.1/);
    expect(tags(repo.origin)).toEqual(["m@v1.0.0", "m@v1.0.1"]);
  });

  it("a detached HEAD registers the commit it is on", async () => {
    repo = await createRepo();
    const head = git(repo.work, ["rev-parse", "HEAD"]);
    git(repo.work, ["checkout", "--quiet", "--detach", head]);
    const result = await runCli(["register", "m", "--json"], { cwd: repo.work });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).commit).toBe(head);
  });
});
