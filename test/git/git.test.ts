import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GitCli } from "../../src/git/git";
import { RemoteGit } from "../../src/git/remote";
import { UserError } from "../../src/util/errors";
import { createRepo, git, gitEnv, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

describe("GitCli.readTags", () => {
  it("reads annotated and lightweight tags with targets, dates, taggers and exact messages in one call", async () => {
    repo = await createRepo();
    const first = git(repo.work, ["rev-parse", "HEAD"]);
    const second = repo.commit("model.txt", "v2");
    const message =
      'Registering artifact churn version v1.0.0\n\nGitml-Metrics: {"accuracy":0.9}\nGitml-Pr: 7';
    git(repo.work, ["tag", "-a", "--cleanup=verbatim", "-m", message, "churn@v1.0.0", first], {
      GIT_COMMITTER_DATE: "1700000000 +0000",
    });
    git(repo.work, ["tag", "churn@v9.9.9", second]); // lightweight
    const cli = new GitCli(repo.work, gitEnv());
    const records = await cli.readTags();
    expect(records).toHaveLength(2);
    const annotated = records.find((r) => r.tag === "churn@v1.0.0")!;
    expect(annotated).toMatchObject({
      annotated: true,
      commit: first,
      date: 1700000000,
      taggerName: "Test Tagger",
    });
    expect(annotated.taggerEmail).toContain("tagger@example.com");
    expect(annotated.message).toBe(message);
    const lightweight = records.find((r) => r.tag === "churn@v9.9.9")!;
    expect(lightweight).toMatchObject({ annotated: false, commit: second });
  });

  it("keeps a message byte-exact through createAnnotatedTag, including a trailing blank-line block", async () => {
    repo = await createRepo();
    const cli = new GitCli(repo.work, gitEnv());
    const head = await cli.resolveCommit("HEAD");
    const message =
      "Assigning stage production to artifact churn version v1.0.0\n\n  indented line\n# not a comment";
    await cli.createAnnotatedTag("churn#production#1", head, message);
    const [record] = await cli.readTags();
    expect(record!.message).toBe(message);
    expect(record!.commit).toBe(head);
  });
});

describe("GitCli.pushTagsAtomic", () => {
  it("pushes all tags, and reports the ones the remote already has without pushing any", async () => {
    repo = await createRepo();
    const other = repo.clone("other");
    const cli = new GitCli(repo.work, gitEnv());
    const otherCli = new GitCli(other, gitEnv());
    const head = await cli.resolveCommit("HEAD");
    const theirs = await otherCli.createTagObject("m@v1.0.0", head, "theirs");
    expect(await otherCli.pushTagsAtomic("origin", [{ tag: "m@v1.0.0", object: theirs }])).toEqual({
      ok: true,
    });
    // Pushing by object id creates no local ref.
    expect(git(other, ["tag", "--list"])).toBe("");

    const mine = await cli.createTagObject("m@v1.0.0", head, "mine");
    const mineToo = await cli.createTagObject("m#prod#1", head, "mine too");
    const outcome = await cli.pushTagsAtomic("origin", [
      { tag: "m@v1.0.0", object: mine },
      { tag: "m#prod#1", object: mineToo },
    ]);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok === false && outcome.rejected).toContain("m@v1.0.0");
    // Atomic: the other tag did not reach the remote either.
    expect(git(repo.origin, ["tag", "--list"]).split("\n")).toEqual(["m@v1.0.0"]);
  });
});

describe("GitCli errors", () => {
  it("says plainly when the folder is not a repository, or a ref names no commit", async () => {
    repo = await createRepo();
    const outside = new GitCli(repo.root, gitEnv());
    await expect(outside.topLevel()).rejects.toThrow(/not inside a git repository/);
    const cli = new GitCli(repo.work, gitEnv());
    await expect(cli.resolveCommit("no-such-branch")).rejects.toThrow(/does not name a commit/);
    await expect(cli.resolveCommit("--upload-pack=evil")).rejects.toThrow(/is not a git ref/);
  });

  it("reports a missing git binary as the environment's failure (exit 3), not the user's input", async () => {
    repo = await createRepo();
    const cli = new GitCli(repo.work, { ...gitEnv(), PATH: "/nonexistent" });
    await expect(cli.topLevel()).rejects.toMatchObject({
      name: "EnvironmentError",
      message: expect.stringMatching(/git was not found/),
    });
  });

  it("a missing git is the environment's failure for remote reads too (shared suites, an org catalog)", async () => {
    repo = await createRepo();
    const remote = new RemoteGit({ protocols: ["file"], env: { ...gitEnv(), PATH: "/nonexistent" } });
    await expect(remote.readTags(repo.work)).rejects.toMatchObject({
      name: "EnvironmentError",
      message: expect.stringMatching(/git was not found/),
    });
    const missing = path.join(repo.root, "no-such-folder");
    await expect(remote.readTags(missing)).rejects.toMatchObject({
      name: "UserError",
      message: expect.stringMatching(/does not exist/),
    });
  });

  it("reports a working folder that does not exist, or is a file, as the user's error, not git missing", async () => {
    repo = await createRepo();
    const missing = path.join(repo.root, "no-such-folder");
    await expect(new GitCli(missing, gitEnv()).topLevel()).rejects.toMatchObject({
      name: "UserError",
      message: expect.stringContaining(`the folder ${missing} does not exist`),
    });
    const file = path.join(repo.root, "a-file");
    await fs.writeFile(file, "not a folder\n");
    await expect(new GitCli(file, gitEnv()).topLevel()).rejects.toMatchObject({
      name: "UserError",
      message: expect.stringContaining(`${file} is not a folder`),
    });
    // With both missing, the folder is what the user typed wrong: it is named first.
    await expect(new GitCli(missing, { ...gitEnv(), PATH: "/nonexistent" }).topLevel()).rejects.toThrow(
      /does not exist/,
    );
  });
});

describe("GitCli and values that look like options", () => {
  it("passes remotes and refs after `--`, so none runs a command", async () => {
    repo = await createRepo();
    const { existsSync } = await import("node:fs");
    const { join } = await import("node:path");
    const marker = join(repo.root, "PWNED");
    const remote = `--upload-pack=touch ${marker};:`;
    const cli = new GitCli(repo.work, gitEnv());
    await expect(cli.fetchTags(remote)).rejects.toThrow();
    await cli.pushTagsAtomic(remote, [{ tag: "x@v1.0.0", object: "0".repeat(40) }]).catch(() => undefined);
    expect(await cli.remoteUrl(remote)).toBeUndefined();
    await expect(cli.resolveCommit(`--output=${marker}`)).rejects.toThrow(/not a git ref/);
    expect(existsSync(marker)).toBe(false);
  });
});

describe("GitCli and a lock file left by a killed git", () => {
  it("says which file to delete (a user error) instead of failing with a stack trace", async () => {
    repo = await createRepo();
    const other = repo.clone("other");
    const otherCli = new GitCli(other, gitEnv());
    const head = await otherCli.resolveCommit("HEAD");
    await otherCli.createAnnotatedTag("m@v1.0.0", head, "theirs");
    git(other, ["push", "--quiet", "origin", "refs/tags/m@v1.0.0"]);

    const cli = new GitCli(repo.work, gitEnv());
    const lockFile = path.join(repo.work, ".git", "refs", "tags", "m@v1.0.0.lock");
    await fs.mkdir(path.dirname(lockFile), { recursive: true });
    await fs.writeFile(lockFile, "");
    const fetchError = await cli.fetchTags("origin").catch((e: unknown) => e);
    expect(fetchError).toBeInstanceOf(UserError);
    expect((fetchError as Error).message).toContain(`git could not lock ${lockFile}`);
    const object = await cli.createTagObject("m@v1.0.0", head, "mine");
    await expect(cli.setTagRefs([{ tag: "m@v1.0.0", object }], "force")).rejects.toThrow(/delete that file/);

    await fs.rm(lockFile);
    await cli.fetchTags("origin");
    // `create` of an existing name is a lost race (false), not an error.
    expect(await cli.setTagRefs([{ tag: "m@v1.0.0", object }], "create")).toBe(false);
  });
});
