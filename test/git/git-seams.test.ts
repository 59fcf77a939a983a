import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GitCli } from "../../src/git/git";
import { PrefetchedTagsGit } from "../../src/git/prefetched-tags";
import { RemoteGit, RemoteGitError, remoteGitReason } from "../../src/git/remote";
import { prefetchTagListing, TagListingPrefetch } from "../../src/git/tag-listing";
import type { TagRecord } from "../../src/registry/types";
import { UserError } from "../../src/util/errors";
import { createRepo, git, gitEnv, tempDir, type TestRepo } from "../helpers/repo";

let repo: TestRepo | undefined;
const folders: string[] = [];
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
  await Promise.all(folders.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

describe("PrefetchedTagsGit", () => {
  it("a listing already taken is not served again: reads see the tags made since", async () => {
    repo = await createRepo();
    git(repo.work, ["tag", "-a", "-m", "first", "churn@v1.0.0"]);
    const prefetch = prefetchTagListing(repo.work);
    const prefetched = new PrefetchedTagsGit(new GitCli(repo.work, gitEnv()), prefetch);
    const listed = await prefetch.take();
    expect(listed?.map((r) => r.tag)).toEqual(["churn@v1.0.0"]);
    // The listing was taken above: the wrapper reads through git, and sees a tag made since.
    git(repo.work, ["tag", "-a", "-m", "second", "churn@v2.0.0"]);
    expect((await prefetched.readTags()).map((r) => r.tag).sort()).toEqual(["churn@v1.0.0", "churn@v2.0.0"]);
  });

  it("reads the prefetched listing once, then runs git for every later read", async () => {
    repo = await createRepo();
    git(repo.work, ["tag", "-a", "-m", "first", "churn@v1.0.0"]);
    const listing: TagRecord[] = [];
    const prefetch = new TagListingPrefetch(repo.work, Promise.resolve(listing));
    const prefetched = new PrefetchedTagsGit(new GitCli(repo.work, gitEnv()), prefetch);
    expect(await prefetched.readTags()).toBe(listing);
    expect((await prefetched.readTags()).map((r) => r.tag)).toEqual(["churn@v1.0.0"]);
    expect(prefetch.take()).toBeUndefined();
  });

  it("falls back to its Git when the prefetch failed, so errors are reported properly", async () => {
    const outside = await tempDir();
    folders.push(outside);
    const prefetched = new PrefetchedTagsGit(new GitCli(outside, gitEnv()), prefetchTagListing(outside));
    await expect(prefetched.readTags()).rejects.toThrow(UserError);
    await expect(prefetched.readTags()).rejects.toThrow(/not inside a git repository/);
  });

  it("refuses a listing of another folder", async () => {
    repo = await createRepo();
    expect(() => new PrefetchedTagsGit(new GitCli(repo!.work), prefetchTagListing(repo!.root))).toThrow(
      /cannot serve/,
    );
  });
});

describe("GitCli.changedFiles", () => {
  it("lists changed paths from the top level, even from a subfolder with diff.relative set", async () => {
    repo = await createRepo();
    const base = git(repo.work, ["rev-parse", "HEAD"]);
    repo.commit("models/churn/params.yaml", "trees: 10");
    repo.commit("gitml.yaml", "models: {}");
    git(repo.work, ["config", "diff.relative", "true"]);
    const cli = new GitCli(path.join(repo.work, "models"), gitEnv());
    expect((await cli.changedFiles(base, "HEAD")).sort()).toEqual(["gitml.yaml", "models/churn/params.yaml"]);
  });

  it("refuses an option for a ref and reports a ref that names nothing as a user error", async () => {
    repo = await createRepo();
    const cli = new GitCli(repo.work, gitEnv());
    await expect(cli.changedFiles("--output=/tmp/x", "HEAD")).rejects.toThrow(/is not a git ref/);
    await expect(cli.changedFiles("no-such-ref", "HEAD")).rejects.toThrow(
      /cannot list the files changed between no-such-ref and HEAD: .*no-such-ref/,
    );
  });
});

describe("GitCli: version and a repository's set-up", () => {
  it("reports git's version whatever its folder", async () => {
    expect(await new GitCli("/no/such/folder", gitEnv()).version()).toMatch(/^git version \d/);
    expect(await new GitCli(process.cwd(), { ...gitEnv(), PATH: "/no/such/bin" }).version()).toBeUndefined();
  });

  it("initialises, configures, commits, branches and merges as the demo does", async () => {
    const dir = await tempDir();
    folders.push(dir);
    const cli = new GitCli(dir, { ...gitEnv(), GIT_CONFIG_GLOBAL: "/dev/null" });
    await cli.init("main");
    await cli.setConfig("user.name", "demo");
    await cli.setConfig("user.email", "demo@example.invalid");
    await fs.writeFile(path.join(dir, "a.txt"), "1");
    await cli.commit("--first", "all");
    await cli.checkoutBranch("topic", { create: true });
    await fs.writeFile(path.join(dir, "a.txt"), "2");
    await fs.writeFile(path.join(dir, "untracked.txt"), "left out");
    await cli.commit("change a", "tracked");
    await cli.checkoutBranch("main");
    await cli.mergeNoFastForward("topic", "Merge branch 'topic'");
    expect(git(dir, ["log", "--topo-order", "--format=%s", "main"]).split("\n")).toEqual([
      "Merge branch 'topic'",
      "change a",
      "--first",
    ]);
    expect(git(dir, ["config", "user.name"])).toBe("demo");
    expect(git(dir, ["ls-files"])).toBe("a.txt");
    await expect(cli.checkoutBranch("--orphan=x")).rejects.toThrow(/not a valid branch name/);
    await expect(cli.mergeNoFastForward("-s", "m")).rejects.toThrow(/not a valid branch name/);
  });
});

describe("RemoteGit", () => {
  it("refuses transports it was not given, whatever the URL picks", async () => {
    repo = await createRepo();
    const dir = await tempDir();
    folders.push(dir);
    const remote = new RemoteGit({ protocols: ["https", "ssh"], env: gitEnv(), timeoutMs: 30_000 });
    const failure = await remote.listRemote(dir, `file://${repo.origin}`, ["main"]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RemoteGitError);
    expect(remoteGitReason(failure)).toMatch(/transport 'file' not allowed/);
    const local = new RemoteGit({ protocols: ["file"], env: gitEnv(), timeoutMs: 30_000 });
    expect(await local.listRemote(dir, `file://${repo.origin}`, ["main"])).toMatch(/\trefs\/heads\/main$/m);
  });

  it("checks out one ref and describes its commit as git stores it", async () => {
    repo = await createRepo();
    const head = repo.commit("suite/checks.yaml", "checks: []");
    git(repo.work, ["push", "--quiet", "origin", "main"]);
    const dir = await tempDir();
    folders.push(dir);
    const remote = new RemoteGit({ protocols: ["file"], env: gitEnv(), timeoutMs: 30_000 });
    await remote.checkOutRemote(dir, `file://${repo.origin}`, "refs/heads/main");
    const described = await remote.describeHead(dir);
    expect(described.commit).toBe(head);
    expect(described.raw).toBe(`${git(repo.work, ["cat-file", "commit", head])}\n`);
    expect(described.entries).toContainEqual([
      "100644",
      git(repo.work, ["rev-parse", `${head}:suite/checks.yaml`]),
      "suite/checks.yaml",
    ]);
  });
});
