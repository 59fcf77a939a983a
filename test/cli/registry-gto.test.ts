/**
 * The registry verbs write what GTO writes and answer what GTO answers, as the CLI runs (no gitml.yaml,
 * a real bare origin). Each case cites the GTO code it follows (iterative/gto @ 4b652c8); reading is
 * also checked against GTO's recorded answers in test/registry/gto-differential.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRepo, git, runCli, tags, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

async function ok(args: string[]): Promise<string> {
  const result = await runCli(args, { cwd: repo.work });
  expect(result.stderr, args.join(" ")).not.toMatch(/internal error/);
  expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

describe("writing as GTO does", () => {
  // gto/registry.py `register`: `found_version = find_version(commit_hexsha=rev)`; a different version
  // on that commit is refused ("For this REF you can only register …"), deregistered or not.
  it("refuses a second version on a commit whose version was deregistered", async () => {
    repo = await createRepo();
    await ok(["register", "m", "--version", "v1.0.0"]);
    await ok(["deregister", "m", "--version", "v1.0.0"]);
    const before = tags(repo.origin);
    for (const args of [
      ["register", "m", "--version", "v2.0.0"],
      ["register", "m"],
    ]) {
      const refused = await runCli(args, { cwd: repo.work });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /already carries m@v1\.0\.0 \(deregistered\).*GTO can only register v1\.0\.0/,
      );
    }
    expect(tags(repo.origin)).toEqual(before);
    expect(tags(repo.work)).toEqual(before);
    // Another commit is fine.
    repo.commit("x.txt", "2");
    expect(await ok(["register", "m", "--version", "v2.0.0"])).toMatch(/registered m@v2\.0\.0/);
  });

  // gto/registry.py `register`: with no version and no bump, `bump_patch=True`.
  it("bumps the patch without gitml.yaml, like GTO", async () => {
    repo = await createRepo();
    await ok(["register", "m", "--version", "v1.2.3"]);
    repo.commit("x.txt", "2");
    expect(await ok(["register", "m"])).toMatch(/registered m@v1\.2\.4 /);
    repo.commit("x.txt", "3");
    expect(await ok(["register", "m", "--bump", "minor"])).toMatch(/registered m@v1\.3\.0 /);
  });

  // GTO dropped its VersionIsOld check in iterative/gto#117 ("allow registering smaller versions"):
  // `register` only refuses a version that exists (`VersionAlreadyRegistered`).
  it("accepts a lower version than the latest, as GTO does since #117", async () => {
    repo = await createRepo();
    await ok(["register", "m", "--version", "v0.0.1"]);
    repo.commit("x.txt", "2");
    expect(await ok(["register", "m", "--version", "v0.0.0"])).toMatch(/registered m@v0\.0\.0/);
    const refused = await runCli(["register", "m", "--version", "v0.0.1"], { cwd: repo.work });
    expect(refused.code).toBe(2);
  });

  // gto/registry.py `deprecate`: `simple=True` unless forced, so the first deprecation is the plain
  // `m@deprecated`; gto/tag.py `name_tag` appends `#N` only for non-simple tags, which is what a second
  // deprecation (after a revival) needs, the plain name being taken.
  it("deprecates with m@deprecated, and m@deprecated#N once that name is taken", async () => {
    repo = await createRepo();
    await ok(["register", "m", "--version", "v1.0.0"]);
    await ok(["promote", "m", "--stage", "prod"]);
    expect(await ok(["deprecate", "m"])).toMatch(/tag m@deprecated on /);
    expect(tags(repo.origin)).toContain("m@deprecated");
    repo.commit("x.txt", "2");
    await ok(["register", "m", "--version", "v1.1.0"]);
    expect(await ok(["deprecate", "m"])).toMatch(/tag m@deprecated#2 on /);
    expect(tags(repo.origin)).toEqual(["m#prod#1", "m@deprecated", "m@deprecated#2", "m@v1.0.0", "m@v1.1.0"]);
  });

  it("never writes two events of a model in one second (readers' tie rules differ)", async () => {
    repo = await createRepo();
    await ok(["register", "m", "--version", "v1.0.0"]);
    repo.commit("x.txt", "2");
    await ok(["register", "m", "--version", "v1.1.0"]);
    await ok(["promote", "m", "--stage", "prod", "--version", "v1.0.0"]);
    await ok(["promote", "m", "--stage", "prod", "--version", "v1.1.0"]);
    const dates = git(repo.work, [
      "for-each-ref",
      "--format=%(creatordate:unix)",
      "--sort=creatordate",
      "refs/tags",
    ])
      .split("\n")
      .map(Number);
    expect(new Set(dates).size).toBe(dates.length);
    expect(JSON.parse(await ok(["show", "--json"])).m.stage.prod).toBe("v1.1.0");
  });
});

describe("answering as GTO does", () => {
  // gto/api.py `_show_versions`: a deprecated artifact lists nothing; `@latest` is `versions[:1]`.
  it("show m@latest and m#stage on a deprecated model print [] (no crash)", async () => {
    repo = await createRepo();
    await ok(["register", "m", "--version", "v1.0.0"]);
    await ok(["promote", "m", "--stage", "prod"]);
    await ok(["deprecate", "m"]);
    expect(JSON.parse(await ok(["show", "m@latest", "--json"]))).toEqual([]);
    expect(JSON.parse(await ok(["show", "m#prod", "--json"]))).toEqual([]);
    expect(await ok(["show", "m@latest"])).toMatch(/m is deprecated/);
  });

  // gto/cli.py `check_ref`: no events -> prints nothing, exit 0. gto/api.py `history` filters events
  // by artifact; `_show_versions` filters by stage: empty lists, not errors.
  it("check-ref of another tag, a stage nobody holds and an unknown model's history are empty, exit 0", async () => {
    repo = await createRepo();
    await ok(["register", "m", "--version", "v1.0.0"]);
    git(repo.work, ["tag", "-a", "release-2024", "-m", "a release"]);
    const check = await runCli(["check-ref", "refs/tags/release-2024", "--json"], { cwd: repo.work });
    expect(check).toMatchObject({ code: 0, stdout: "" });
    expect(check.stderr).toMatch(/not a registry tag/);
    expect((await runCli(["check-ref", "nope@v9.9.9"], { cwd: repo.work })).code).toBe(0);
    expect(JSON.parse(await ok(["show", "m#prod", "--json"]))).toEqual([]);
    expect(await ok(["show", "m#prod"])).toMatch(/no version of m is in stage 'prod'/);
    expect(JSON.parse(await ok(["history", "nobody", "--json"]))).toEqual([]);
  });

  // gto/tag.py `index_tag`: a stage tag on a commit with no registration names the commit.
  it("names the commit for a stage assigned to an unregistered commit (GTO's assign --sr)", async () => {
    repo = await createRepo();
    const commit = git(repo.work, ["rev-parse", "HEAD"]);
    git(repo.work, ["tag", "-a", "m#prod#1", "-m", "Assigning stage prod to artifact m commit"]);
    const holder = JSON.parse(await ok(["show", "m#prod", "--json"]));
    expect(holder.map((v: { version: string; discovered: boolean }) => [v.version, v.discovered])).toEqual([
      [commit, true],
    ]);
    expect(JSON.parse(await ok(["show", "m@latest", "--json"]))[0].version).toBe(commit);
    expect(await ok(["show", "m#prod"])).toContain(`m@${commit}`);
  });

  // scmrepo's GitTag.tag_datetime keeps the tagger's offset; pydantic dumps it with isoformat().
  it("prints times in the tagger's own UTC offset", async () => {
    repo = await createRepo();
    const offset = await runCli(["register", "m", "--version", "v1.0.0", "--no-push"], {
      cwd: repo.work,
      env: { GIT_COMMITTER_DATE: "1700000000 -0530" },
    });
    expect(offset.code).toBe(0);
    const [event] = JSON.parse(await ok(["history", "m", "--json"]));
    expect(event.timestamp).toBe("2023-11-14T16:43:20-05:30");
  });
});
