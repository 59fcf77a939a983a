import { mkdirSync, writeFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load";
import { execFileSync } from "node:child_process";
import { defaultSuiteCacheDir, repoUrl } from "../../src/suites/fetch";
import { resolveSuite, suiteOf } from "../../src/suites/load";
import { UserError } from "../../src/util/errors";
import type { Logger } from "../../src/util/logger";
import { createRepo, git, gitEnv, tempDir, type TestRepo } from "../helpers/repo";
import { rejectedUserError } from "../helpers/errors";

let shared: TestRepo;
let root: string;
let v1: string;

beforeEach(async () => {
  shared = await createRepo();
  shared.commit("suites/common.yaml", "slices:\n  columns: [gender]\n  min_rows: 40\n");
  v1 = shared.commit(
    "suites/base.yaml",
    [
      "extends: [suites/common.yaml]",
      "expectations:",
      "  train:",
      "    - { expect: column_values_to_not_be_null, column: age }",
      "slices:",
      "  columns: [gender, region]",
      "  max_gap: { accuracy: 0.1 }",
      "",
    ].join("\n"),
  );
  git(shared.work, ["tag", "-a", "v1", "-m", "suite v1"]);
  git(shared.work, ["push", "--quiet", "origin", "main", "v1"]);
  root = await tempDir("gitml-suites-remote-");
});

afterEach(async () => {
  await shared.cleanup();
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(cacheRoot(), { recursive: true, force: true });
});

function writeConfig(suiteLines: string[]): void {
  const lines = [
    "models:",
    "  churn:",
    "    path: models/churn",
    "    outputs: { model: out/model.pkl }",
    "    suite:",
  ];
  writeFileSync(
    path.join(root, "gitml.yaml"),
    [...lines, ...suiteLines.map((l) => `      ${l}`), ""].join("\n"),
  );
}

function extendsRemote(repo: string, ref: string, file = "suites/base.yaml", extra: string[] = []): void {
  writeConfig(["extends:", `  - { repo: "${repo}", ref: "${ref}", path: ${file} }`, ...extra]);
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warning: (message) => warnings.push(message) };
}

async function resolve(logger?: Logger) {
  const config = parseConfig(await fs.readFile(path.join(root, "gitml.yaml"), "utf8"), "gitml.yaml");
  const suite = config.models.churn?.suite;
  if (suite === undefined) throw new Error("test config has no suite");
  return resolveSuite({
    root,
    configFile: "gitml.yaml",
    suite,
    model: "churn",
    git: { env: gitEnv(), allowLocal: true },
    cacheDir: cacheRoot(),
    logger,
  });
}

/** The suite cache of these tests: outside the working tree, as by default. */
const cacheRoot = () => path.join(path.dirname(root), `${path.basename(root)}-cache`);

async function cachedCommits(): Promise<string[]> {
  const cache = cacheRoot();
  const [repoDir] = await fs.readdir(cache);
  const entries = await fs.readdir(path.join(cache, repoDir as string, "commits"));
  return entries.filter((name) => !name.endsWith(".objects.json"));
}

describe("resolveSuite with suites from another repository", () => {
  it("fetches a tag, follows the remote file's own extends inside that repository, and records the commit", async () => {
    const repo = `file://${shared.origin}`;
    extendsRemote(repo, "v1", "suites/base.yaml", ["slices: { columns: [gender], min: { f1: 0.5 } }"]);
    const resolved = await resolve();

    const base = `${repo}@v1:suites/base.yaml`;
    const common = `${repo}@v1:suites/common.yaml`;
    expect(resolved.sources).toEqual([
      { name: common, commit: v1 },
      { name: base, commit: v1 },
      { name: "gitml.yaml" },
    ]);
    expect(resolved.slices).toMatchObject({
      columns: ["gender"],
      min_rows: 40,
      max_gap: { accuracy: 0.1 },
      min: { f1: 0.5 },
    });
    expect(resolved.expectations.train?.[0]?.suite).toBe(base);
    expect(suiteOf(resolved, "slices.min_rows")).toBe(common);
    expect(suiteOf(resolved, "slices.max_gap.accuracy")).toBe(base);
    expect(suiteOf(resolved, "slices.columns")).toBe("gitml.yaml");
    // The cache holds the files of the commit, and no temporary folder is left behind.
    expect(await cachedCommits()).toEqual([v1]);
    const cache = cacheRoot();
    const [repoDir] = await fs.readdir(cache);
    expect((await fs.readdir(path.join(cache, repoDir as string))).sort()).toEqual(["commits", "refs"]);
  });

  it("reuses a cached tag or commit without the network", async () => {
    extendsRemote(shared.origin, "v1");
    const first = await resolve();
    await fs.rm(shared.origin, { recursive: true, force: true });

    const again = await resolve();
    expect(again.sources[1]).toEqual({ name: `${shared.origin}@v1:suites/base.yaml`, commit: v1 });
    expect(again.slices).toEqual(first.slices);

    // A full sha resolves to the commit fetched for the tag: the same cached files.
    extendsRemote(shared.origin, v1);
    const bySha = await resolve();
    expect(bySha.sources[1]).toEqual({ name: `${shared.origin}@${v1}:suites/base.yaml`, commit: v1 });
    expect(bySha.slices).toEqual(first.slices);
  });

  it("fetches a commit by its full sha, even one no branch points at any more", async () => {
    shared.commit("suites/base.yaml", "slices: { columns: [later] }\n");
    git(shared.work, ["push", "--quiet", "origin", "main"]);
    extendsRemote(`file://${shared.origin}`, v1);
    const resolved = await resolve();
    expect(resolved.sources[1]?.commit).toBe(v1);
    expect(resolved.slices?.columns).toEqual(["gender", "region"]);
  });

  it("refreshes a branch on every run, and falls back to the cached copy with a warning", async () => {
    extendsRemote(shared.origin, "main");
    const before = await resolve();
    expect(before.slices?.max_gap).toEqual({ accuracy: 0.1 });

    const next = shared.commit(
      "suites/base.yaml",
      "slices:\n  columns: [gender]\n  max_gap: { accuracy: 0.05 }\n",
    );
    git(shared.work, ["push", "--quiet", "origin", "main"]);
    const after = await resolve();
    expect(after.sources.at(-2)?.commit).toBe(next);
    expect(after.slices?.max_gap).toEqual({ accuracy: 0.05 });
    expect((await cachedCommits()).sort()).toEqual([v1, next].sort());

    await fs.rm(shared.origin, { recursive: true, force: true });
    const logger = recordingLogger();
    const offline = await resolve(logger);
    expect(offline.slices?.max_gap).toEqual({ accuracy: 0.05 });
    expect(offline.sources.at(-2)?.commit).toBe(next);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(
      /^cannot read repository .*; using the cached copy of .*@main \(commit [0-9a-f]{12}\)/,
    );
  });

  it("keeps a cached tag even when the tag moved in the remote (pinned)", async () => {
    extendsRemote(shared.origin, "v1");
    await resolve();
    shared.commit("suites/base.yaml", "slices: { columns: [moved] }\n");
    git(shared.work, ["tag", "-f", "-a", "v1", "-m", "moved"]);
    git(shared.work, ["push", "--quiet", "--force", "origin", "main", "v1"]);
    const resolved = await resolve();
    expect(resolved.sources[1]?.commit).toBe(v1);
    expect(resolved.slices?.columns).toEqual(["gender", "region"]);
  });

  it("resolves concurrently into the same cache", async () => {
    extendsRemote(shared.origin, "v1");
    const results = await Promise.all([resolve(), resolve(), resolve(), resolve()]);
    for (const result of results) expect(result.sources[1]?.commit).toBe(v1);
    expect(await cachedCommits()).toEqual([v1]);
  });

  it("says which extends entry names an unreachable repository", async () => {
    const missing = path.join(root, "no-such-repo.git");
    writeConfig([
      "slices: { columns: [g] }",
      "extends:",
      "  - suites/none.yaml",
      `  - { repo: "${missing}", ref: v1, path: s.yaml }`,
    ]);
    mkdirSync(path.join(root, "suites"));
    writeFileSync(path.join(root, "suites/none.yaml"), "{}\n");
    const error = await rejectedUserError(resolve());
    expect(error.where).toBe("gitml.yaml:9:11");
    expect(error.message).toMatch(
      new RegExp(
        `^cannot use suite \`s\\.yaml\` of .*no-such-repo\\.git@v1: cannot read repository .*no-such-repo\\.git: .+`,
      ),
    );
  });

  it("says when the ref does not exist", async () => {
    extendsRemote(shared.origin, "v9");
    const error = await rejectedUserError(resolve());
    expect(error.where).toBe("gitml.yaml:7:11");
    expect(error.message).toContain(`has no tag or branch \`v9\``);

    extendsRemote(shared.origin, v1.slice(0, 8));
    expect((await rejectedUserError(resolve())).message).toContain("full 40-character sha");
  });

  it("says when the suite file is not in the repository at that ref", async () => {
    extendsRemote(shared.origin, "v1", "suites/nope.yaml");
    const error = await rejectedUserError(resolve());
    expect(error.message).toBe(
      `cannot use suite \`suites/nope.yaml\` of ${shared.origin}@v1: ${shared.origin}@v1:suites/nope.yaml does not exist`,
    );
    expect(error.where).toBe("gitml.yaml:7:11");
  });

  it("reports problems of a remote suite file at its name, line and column", async () => {
    shared.commit("suites/bad.yaml", "slices:\n  columns: [g]\n  weakest: many\n");
    git(shared.work, ["tag", "v2"]);
    git(shared.work, ["push", "--quiet", "origin", "main", "v2"]);
    extendsRemote(shared.origin, "v2", "suites/bad.yaml");
    const error = await rejectedUserError(resolve());
    expect(error.message).toBe(
      `${shared.origin}@v2:suites/bad.yaml:3:12: slices.weakest: expected a number, found "many"`,
    );
  });
});

describe("the suite cache", () => {
  it("lives outside the working tree by default", async () => {
    extendsRemote(shared.origin, "v1");
    const suite = parseConfig(await fs.readFile(path.join(root, "gitml.yaml"), "utf8"), "gitml.yaml").models
      .churn!.suite!;
    const env = gitEnv({ GITML_CACHE_DIR: cacheRoot() });
    await resolveSuite({
      root,
      configFile: "gitml.yaml",
      suite,
      model: "churn",
      git: { env, allowLocal: true },
    });
    const [repoDir] = await fs.readdir(path.join(cacheRoot(), "suites"));
    expect(await fs.readdir(path.join(cacheRoot(), "suites", repoDir!, "commits"))).toContain(v1);
    expect(await fs.readdir(root)).toEqual(["gitml.yaml"]);

    expect(defaultSuiteCacheDir({ GITHUB_ACTIONS: "true", RUNNER_TEMP: "/runner/_temp" })).toBe(
      "/runner/_temp/gitml/suites",
    );
    expect(defaultSuiteCacheDir({ XDG_CACHE_HOME: "/xdg" })).toBe("/xdg/gitml/suites");
    expect(defaultSuiteCacheDir({ GITML_CACHE_DIR: "/c", XDG_CACHE_HOME: "/xdg" })).toBe("/c/suites");
  });

  it("a cached file that no longer matches its commit is refused and fetched again", async () => {
    extendsRemote(shared.origin, "v1");
    await resolve();
    const [repoDir] = await fs.readdir(cacheRoot());
    const cachedBase = path.join(cacheRoot(), repoDir!, "commits", v1, "suites/base.yaml");
    await fs.writeFile(cachedBase, "slices:\n  columns: [tampered]\n");

    const logger = recordingLogger();
    const resolved = await resolve(logger);
    expect(resolved.slices?.columns).toEqual(["gender", "region"]);
    expect(logger.warnings.join("\n")).toMatch(/was modified: suites\/base\.yaml is not the blob/);
    expect(await fs.readFile(cachedBase, "utf8")).not.toContain("tampered");

    // With the repository gone, a tampered copy is an error, never used.
    await fs.writeFile(cachedBase, "slices:\n  columns: [tampered]\n");
    await fs.rm(shared.origin, { recursive: true, force: true });
    const error = await rejectedUserError(resolve());
    expect(error.where).toBe("gitml.yaml:7:11");
    expect(error.message).not.toContain("tampered");
  });

  it("a forged record of the commit's objects is refused too", async () => {
    extendsRemote(shared.origin, v1);
    await resolve();
    const [repoDir] = await fs.readdir(cacheRoot());
    const commits = path.join(cacheRoot(), repoDir!, "commits");
    const cachedBase = path.join(commits, v1, "suites/base.yaml");
    const forged = "slices:\n  columns: [forged]\n";
    await fs.writeFile(cachedBase, forged);
    // Point the record at the forged blob: the tree no longer hashes to the commit's.
    const recordFile = path.join(commits, `${v1}.objects.json`);
    const record = JSON.parse(await fs.readFile(recordFile, "utf8")) as { entries: string[][] };
    const forgedId = execFileSync("git", ["hash-object", "--stdin"], {
      input: forged,
      encoding: "utf8",
    }).trim();
    for (const entry of record.entries) if (entry[2] === "suites/base.yaml") entry[1] = forgedId;
    await fs.writeFile(recordFile, JSON.stringify(record));
    await fs.rm(shared.origin, { recursive: true, force: true });
    const logger = recordingLogger();
    const error = await rejectedUserError(resolve(logger));
    expect(logger.warnings.join("\n"), logger.warnings.join("\n")).toMatch(
      /its file list does not hash to tree/,
    );
    expect(error.message).toMatch(/cannot fetch/);
  });
});

describe("suite files are not read through symbolic links", () => {
  it("refuses a remote suite file that is a symbolic link", async () => {
    await fs.symlink("/etc/passwd", path.join(shared.work, "suites/link.yaml"));
    git(shared.work, ["add", "suites/link.yaml"]);
    git(shared.work, ["commit", "--quiet", "-m", "link"]);
    git(shared.work, ["tag", "v4"]);
    git(shared.work, ["push", "--quiet", "origin", "main", "v4"]);
    extendsRemote(shared.origin, "v4", "suites/link.yaml");
    const error = await rejectedUserError(resolve());
    expect(error.message).toMatch(/suites\/link\.yaml is a symbolic link, not a suite file/);
  });

  it("refuses a local suite file that is a link out of the repository", async () => {
    const outside = path.join(cacheRoot(), "outside.yaml");
    await fs.mkdir(cacheRoot(), { recursive: true });
    await fs.writeFile(outside, "slices: { columns: [outside] }\n");
    await fs.mkdir(path.join(root, "suites"));
    await fs.symlink(outside, path.join(root, "suites/base.yaml"));
    writeConfig(["extends: [suites/base.yaml]"]);
    const error = await rejectedUserError(resolve());
    expect(error.message).toMatch(/suites\/base\.yaml is a symbolic link out of the repository/);
  });
});

describe("a shared suite cannot run commands through git", () => {
  const injected = (marker: string) => `--upload-pack=touch ${marker};:`;

  it("refuses an option as `repo` in gitml.yaml, at its line, and runs nothing", async () => {
    const marker = path.join(root, "PWNED");
    extendsRemote(injected(marker), "v1");
    for (const allowLocal of [false, true]) {
      const error = await rejectedUserError(
        resolveSuite({
          root,
          configFile: "gitml.yaml",
          suite: parseConfig(await fs.readFile(path.join(root, "gitml.yaml"), "utf8"), "gitml.yaml").models
            .churn!.suite!,
          model: "churn",
          git: { env: gitEnv(), allowLocal },
          cacheDir: path.join(root, "cache"),
        }),
      );
      expect(error.where).toBe("gitml.yaml:7:11");
      expect(error.message).toContain("is not a repository reference");
    }
    // The shell the injected upload-pack would run starts in the current folder, or the cache folder.
    await expect(fs.stat(marker)).rejects.toThrow();
    await expect(fs.stat(path.join(process.cwd(), marker))).rejects.toThrow();
  });

  it("refuses an option nested in a remote suite, at its line in that suite file", async () => {
    const marker = path.join(root, "PWNED");
    shared.commit(
      "suites/evil.yaml",
      ["extends:", `  - { repo: "${injected(marker)}", ref: v1, path: x.yaml }`, ""].join("\n"),
    );
    git(shared.work, ["tag", "v3"]);
    git(shared.work, ["push", "--quiet", "origin", "main", "v3"]);
    extendsRemote(shared.origin, "v3", "suites/evil.yaml");
    const error = await rejectedUserError(resolve());
    expect(error.where).toBe(`${shared.origin}@v3:suites/evil.yaml:2:5`);
    expect(error.message).toContain("is not a repository reference");
    await expect(fs.stat(marker)).rejects.toThrow();
  });

  it("refuses a ref that git would read as an option", async () => {
    const marker = path.join(root, "PWNED");
    extendsRemote(shared.origin, `--upload-pack=touch ${marker}`);
    const error = await rejectedUserError(resolve());
    expect(error.where).toBe("gitml.yaml:7:11");
    expect(error.message).toContain("is not a tag, branch or commit name");
    await expect(fs.stat(marker)).rejects.toThrow();
  });

  it("takes local paths and file:// URLs only when the user opts in", async () => {
    extendsRemote(shared.origin, "v1");
    const suite = parseConfig(await fs.readFile(path.join(root, "gitml.yaml"), "utf8"), "gitml.yaml").models
      .churn!.suite!;
    const withEnv = (env: NodeJS.ProcessEnv) =>
      resolveSuite({ root, configFile: "gitml.yaml", suite, model: "churn", git: { env: gitEnv(env) } });
    const error = await rejectedUserError(withEnv({ GITML_ALLOW_LOCAL_SUITES: "" }));
    expect(error.message).toContain("GITML_ALLOW_LOCAL_SUITES=1");
    expect((await withEnv({ GITML_ALLOW_LOCAL_SUITES: "1" })).sources[1]?.commit).toBe(v1);
  });
});

describe("repoUrl", () => {
  it("maps owner/name to GitHub and leaves URLs as they are", () => {
    expect(repoUrl("acme/ml-suites", "/r")).toBe("https://github.com/acme/ml-suites.git");
    expect(repoUrl("acme/ml-suites.git", "/r")).toBe("https://github.com/acme/ml-suites.git");
    expect(repoUrl("git@github.com:acme/s.git", "/r")).toBe("git@github.com:acme/s.git");
    expect(repoUrl("https://git.example.com/acme/s.git", "/r")).toBe("https://git.example.com/acme/s.git");
    expect(repoUrl("ssh://git@git.example.com:2222/acme/s.git", "/r")).toBe(
      "ssh://git@git.example.com:2222/acme/s.git",
    );
    expect(repoUrl("file:///srv/s.git", "/r", true)).toBe("file:///srv/s.git");
    expect(repoUrl("../shared.git", "/work/repo", true)).toBe("/work/shared.git");
  });

  it("refuses what is not a repository reference", () => {
    for (const repo of [
      "--upload-pack=touch PWNED;:",
      "-oProxyCommand=x",
      "ext::sh -c touch% PWNED",
      "fd::17",
      "git://example.com/a.git",
      "http://example.com/a.git",
      "ssh://-oProxyCommand=x/a",
      "git@-oProxyCommand=x:a",
      "git@host:-a",
      "https://example.com/a\nb",
      "file:///srv/s.git",
      "../shared.git",
      "/srv/s.git",
    ])
      expect(() => repoUrl(repo, "/r"), repo).toThrow(UserError);
  });
});
