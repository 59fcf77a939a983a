import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { buildSite } from "../../src/commands/site";
import { createOctokit } from "../../src/github";
import { GitHubReleasesStore } from "../../src/github/release-store";
import { RemoteGit } from "../../src/git/remote";
import { pushMonitoringRecords } from "../../src/commands/monitoring-history";
import { monitoringRecordOf, writeLocalHistory } from "../../src/monitor/history";
import { silentLogger } from "../../src/util/logger";
import { useStandin } from "../standin";
import { commitIn, createRepo, git, runCli, tempDir, type TestRepo } from "../helpers/repo";

const HOSTILE_DESCRIPTION = `Churn </script><img src=x onerror="window.__pwned=1">`;

const CONFIG = `models:
  churn:
    path: models/churn
    description: '${HOSTILE_DESCRIPTION}'
    owners: ["@acme/ml"]
    outputs:
      model: out/model.json
      metrics: out/metrics.json
    stages: [staging, production]
    gates:
      - metric: f1
        min: 0.1
    monitor:
      current: data/live.csv
  unregistered:
    path: models/other
    outputs:
      model: out/model.json
`;

async function writeOutputs(work: string, accuracy: number): Promise<void> {
  await fs.mkdir(path.join(work, "models/churn/out"), { recursive: true });
  await fs.writeFile(path.join(work, "models/churn/out/model.json"), JSON.stringify({ accuracy }));
  await fs.writeFile(
    path.join(work, "models/churn/out/metrics.json"),
    JSON.stringify({ accuracy, f1: accuracy - 0.1 }),
  );
}

/** A repository with churn registered twice (metrics, stored artifacts), promoted, and a rollback. */
async function registryRepo(): Promise<TestRepo> {
  const repo = await createRepo();
  repo.commit("gitml.yaml", CONFIG);
  await writeOutputs(repo.work, 0.8);
  for (const args of [
    ["register", "churn", "--version", "v1.0.0"],
    ["promote", "churn", "--stage", "staging"],
    ["promote", "churn", "--stage", "production"],
  ]) {
    const result = await runCli(args, { cwd: repo.work });
    expect(result.stderr).toBe("");
  }
  repo.commit("models/churn/params.txt", "more trees\n");
  await writeOutputs(repo.work, 0.9);
  for (const args of [
    ["register", "churn", "--version", "v1.1.0"],
    ["promote", "churn", "--stage", "staging"],
    ["promote", "churn", "--stage", "production"],
    ["promote", "churn", "--stage", "production", "--version", "v1.0.0"],
  ]) {
    const result = await runCli(args, { cwd: repo.work });
    expect(result.code).toBe(0);
  }
  return repo;
}

describe("gitml site on this repository", () => {
  let repo: TestRepo;
  afterEach(async () => repo?.cleanup());

  it("builds index and model pages from tags, gitml.yaml, the store's model card and the monitoring history", async () => {
    repo = await registryRepo();
    await writeLocalHistory(path.join(repo.work, ".gitml", "monitoring"), [
      monitoringRecordOf(
        {
          model: "churn",
          version: "v1.0.0",
          stage: "production",
          drift: {
            dataset_drift: true,
            drift_share: 0.5,
            share_of_drifted_columns: 1,
            number_of_columns: 1,
            number_of_drifted_columns: 1,
            number_of_column_errors: 0,
            number_of_undecided_columns: 0,
            columns: [
              {
                name: "<b>tenure</b>",
                type: "numeric",
                test: "wasserstein",
                statistic: 0.4,
                threshold: 0.1,
                drift: true,
              },
            ],
          },
          alert: { action: "opened", file: ".gitml/alerts/churn.md" },
        },
        { ranAt: new Date("2026-02-01T10:00:00Z") },
      ),
    ]);
    const result = await runCli(["site", "--json"], { cwd: repo.work });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    const dir = path.join(repo.work, ".gitml", "site");
    expect(summary).toMatchObject({ dir, repos: 1, models: 2, versions: 2, pages: 3, warnings: [] });

    const index = await fs.readFile(path.join(dir, "index.html"), "utf8");
    expect(index).toContain('<a href="models/churn.html"><strong>churn</strong></a>');
    expect(index).toContain("unregistered");
    expect(index).toContain("Churn &lt;/script&gt;&lt;img src=x onerror=&quot;");
    expect(index).not.toContain(HOSTILE_DESCRIPTION);
    expect(index).toContain("@acme/ml");
    // f1 is gated: the headline, with the trend across both versions.
    expect(index).toMatch(/0\.8 <span class="muted">f1<\/span>/);
    expect(index).toContain('aria-label="f1: 0.7 (v1.0.0) to 0.8 (v1.1.0) over 2 versions"');
    expect(index).toContain('data-status="drift"');
    expect(index).toContain("alert open");
    expect(index).toContain("rolled production back to v1.0.0 (from v1.1.0)");

    const page = await fs.readFile(path.join(dir, "models", "churn.html"), "utf8");
    expect(page).toContain("gitml get churn@v1.1.0");
    expect(page.match(/<svg class="chart"/g)).toHaveLength(2);
    // The model card, read from the local store and verified against the manifest the tag records.
    expect(page).toContain('<h2 id="card">Model card <span class="muted">(v1.1.0)</span></h2>');
    expect(page).toContain("<td>accuracy</td><td>0.9</td>");
    expect(page).toContain("v1.1.0 is stored in the local store:");
    expect(page).toMatch(
      /<li><code>model\/model\.json<\/code> <span class="muted">model, \d+ B<\/span><\/li>/,
    );
    expect(page).toContain("&lt;b&gt;tenure&lt;/b&gt;");
    expect(page).toContain("1/1 (100%)");
  });

  it("replaces its own site as a whole, and refuses to overwrite a folder it did not build", async () => {
    repo = await registryRepo();
    const out = path.join(repo.root, "public");
    expect((await runCli(["site", "-o", out], { cwd: repo.work })).code).toBe(0);
    await fs.writeFile(path.join(out, "models", "stale.html"), "old");
    expect((await runCli(["site", "-o", out, "--title", "Acme"], { cwd: repo.work })).code).toBe(0);
    expect(await fs.readdir(path.join(out, "models"))).toEqual(["churn.html", "unregistered.html"]);
    expect(await fs.readFile(path.join(out, "index.html"), "utf8")).toContain("<title>Acme</title>");
    // No leftover of the swap beside it.
    expect((await fs.readdir(repo.root)).filter((n) => n.startsWith("public"))).toEqual(["public"]);

    // A store that lost the version: the site is still built, without the card, and says why.
    await fs.rm(path.join(repo.work, ".gitml", "store"), { recursive: true, force: true });
    const lost = await runCli(["site", "-o", out, "--json"], { cwd: repo.work });
    expect(lost.code).toBe(0);
    expect(JSON.parse(lost.stdout).warnings).toEqual([
      expect.stringMatching(/^the model card of churn@v1\.1\.0 could not be read: /),
    ]);
    expect(await fs.readFile(path.join(out, "models", "churn.html"), "utf8")).toContain(
      "No stored model card",
    );

    const mine = path.join(repo.root, "notes");
    await fs.mkdir(mine);
    await fs.writeFile(path.join(mine, "index.html"), "<p>my notes</p>");
    const refused = await runCli(["site", "-o", mine], { cwd: repo.work });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/holds files that are not a site gitml built/);
    expect(await fs.readdir(mine)).toEqual(["index.html"]);
  });

  it("a history file it cannot read is a warning, printed without the terminal escapes its name holds", async () => {
    repo = await registryRepo();
    const folder = path.join(repo.work, ".gitml", "monitoring", "churn");
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, "\u001b]0;pwned\u0007\u001b[2J.json"), "not json");
    const result = await runCli(["site"], { cwd: repo.work });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/warning: monitoring history: skipped .*pwned.*not valid JSON/);
    // eslint-disable-next-line no-control-regex
    expect(result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const index = await fs.readFile(path.join(repo.work, ".gitml", "site", "index.html"), "utf8");
    expect(index).toContain("some of it could not be read");
    // eslint-disable-next-line no-control-regex
    expect(index).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });

  it("store.type github without a token: built from the tags anyway, saying model cards need GITHUB_TOKEN (exit 0)", async () => {
    repo = await registryRepo();
    await fs.writeFile(path.join(repo.work, "gitml.yaml"), `${CONFIG}store:\n  type: github\n`);
    const env = { GITHUB_TOKEN: "", GH_TOKEN: "", GITHUB_REPOSITORY: "acme/churn" };
    const result = await runCli(["site", "--json"], { cwd: repo.work, env });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ models: 2, versions: 2, pages: 3 });
    expect(summary.warnings).toEqual([
      expect.stringMatching(/model cards .*set GITHUB_TOKEN \(or GH_TOKEN\)/),
    ]);
    const index = await fs.readFile(path.join(summary.dir, "index.html"), "utf8");
    expect(index).toContain("some of it could not be read");
    expect(index).toContain("set GITHUB_TOKEN (or GH_TOKEN)");
    // Everything the tags hold is there: versions, stages, metrics; the card is not.
    const page = await fs.readFile(path.join(summary.dir, "models", "churn.html"), "utf8");
    expect(page).toContain("gitml get churn@v1.1.0");
    expect(page.match(/<svg class="chart"/g)).toHaveLength(2);
    expect(page).toContain("No stored model card");
    // The text output says it too.
    const text = await runCli(["site"], { cwd: repo.work, env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/warning: model cards .*set GITHUB_TOKEN/);

    // Commands that need the store still ask for the token.
    const get = await runCli(["get", "churn@v1.1.0", "-o", path.join(repo.root, "got")], {
      cwd: repo.work,
      env,
    });
    expect(get.code).toBe(2);
    expect(get.stderr).toMatch(/store\.type is 'github': set GITHUB_TOKEN/);
  });

  it("outside a repository is a user error; an empty registry gives a site that says how to start", async () => {
    const empty = await tempDir();
    try {
      const outside = await runCli(["site"], { cwd: empty });
      expect(outside.code).toBe(2);
      git(empty, ["init", "--quiet"]);
      const result = await runCli(["site"], { cwd: empty });
      expect(result.code).toBe(0);
      expect(await fs.readFile(path.join(empty, ".gitml/site/index.html"), "utf8")).toContain(
        "No model is registered yet",
      );
    } finally {
      await fs.rm(empty, { recursive: true, force: true });
    }
  });
});

describe("an organisation's catalog", () => {
  const repos: TestRepo[] = [];
  afterEach(async () => {
    for (const repo of repos.splice(0)) await repo.cleanup();
  });

  async function bareWithTags(model: string, versions: string[]): Promise<TestRepo> {
    const repo = await createRepo();
    repos.push(repo);
    for (const version of versions) {
      commitIn(repo.work, `${version}.txt`, version);
      const result = await runCli(["register", model, "--version", version], { cwd: repo.work });
      expect(result.code).toBe(0);
    }
    return repo;
  }

  it("reads each repository's tags without its files, only with the local opt-in for local paths", async () => {
    const a = await bareWithTags("churn", ["v1.0.0", "v1.1.0"]);
    const b = await bareWithTags("fraud", ["v0.1.0"]);
    // Descriptions and owners come from the repository's gitml.yaml at its default branch's tip.
    a.commit("gitml.yaml", CONFIG);
    git(a.work, ["push", "--quiet", "origin", "main"]);
    // Monitoring runs from its history branch, as the monitor workflow pushes them.
    await pushMonitoringRecords({
      cwd: b.work,
      records: [
        monitoringRecordOf(
          {
            model: "fraud",
            version: "v0.1.0",
            stage: "production",
            drift: {
              dataset_drift: false,
              drift_share: 0.5,
              share_of_drifted_columns: 0.25,
              number_of_columns: 4,
              number_of_drifted_columns: 1,
              number_of_column_errors: 0,
              number_of_undecided_columns: 0,
              columns: [
                { name: "amount", type: "numeric", test: "psi", statistic: 0.3, threshold: 0.1, drift: true },
              ],
            },
            alert: { action: "none" },
          },
          { ranAt: new Date("2026-02-02T08:00:00Z") },
        ),
      ],
    });
    const cwd = await tempDir();
    try {
      const refused = await runCli(["site", "--repo", a.origin], { cwd });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/GITML_ALLOW_LOCAL_SUITES=1/);

      const env = { GITML_ALLOW_LOCAL_SUITES: "1" };
      const result = await runCli(["site", "--repo", a.origin, "--repo", b.origin, "-o", "site", "--json"], {
        cwd,
        env,
      });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ repos: 2, models: 3, versions: 3, pages: 4 });
      const pages = (await fs.readdir(path.join(cwd, "site", "models"))).sort();
      expect(pages).toHaveLength(3);
      expect(pages.some((p) => p.endsWith(".churn.html"))).toBe(true);
      const index = await fs.readFile(path.join(cwd, "site", "index.html"), "utf8");
      // churn, fraud, and the configured model not registered yet.
      expect(index).toContain("3 models, 3 versions in 2 repositories");
      expect(index).toContain("Churn &lt;/script&gt;&lt;img src=x onerror=&quot;");
      expect(index).toContain("@acme/ml");
      expect(index).toContain('<tr data-status="ok">');
      expect(index).toContain("1 of 4 columns drifted (25%)");
      const fraud = pages.find((p) => p.endsWith(".fraud.html"))!;
      expect(await fs.readFile(path.join(cwd, "site", "models", fraud), "utf8")).toContain("amount");

      // One repository that cannot be read fails the build, and the site already there stays as it was.
      const before = await fs.readFile(path.join(cwd, "site", "index.html"), "utf8");
      const unreachable = await runCli(
        ["site", "--repo", a.origin, "--repo", path.join(cwd, "missing.git"), "-o", "site"],
        { cwd, env },
      );
      expect(unreachable.code).toBe(2);
      expect(unreachable.stderr).toMatch(/--repo: could not read the tags of .*missing\.git/);
      expect(await fs.readFile(path.join(cwd, "site", "index.html"), "utf8")).toBe(before);
      expect((await fs.readdir(cwd)).sort()).toEqual(["site"]);
      const option = await runCli(["site", "--repo", "--upload-pack=touch /tmp/x"], { cwd, env });
      expect(option.code).toBe(2);
    } finally {
      await fs.rm(cwd, { recursive: true, force: true });
    }
  });

  it("fetches tags and commits, not trees or files, from a server that honours filters; gitml.yaml alone on demand", async () => {
    const a = await bareWithTags("churn", ["v1.0.0"]);
    a.commit("gitml.yaml", CONFIG);
    git(a.work, ["push", "--quiet", "origin", "main"]);
    git(a.origin, ["config", "uploadpack.allowFilter", "true"]);
    git(a.origin, ["config", "uploadpack.allowAnySHA1InWant", "true"]);
    const blob = git(a.work, ["rev-parse", "HEAD:v1.0.0.txt"]);
    const dir = await tempDir();
    try {
      const remote = new RemoteGit({ protocols: ["file"] });
      await remote.fetchTagsOnly(dir, a.origin);
      expect((await remote.readTags(dir)).map((t) => t.tag)).toEqual(["churn@v1.0.0"]);
      // rev-list names what it lacks without fetching it: the tree and the file are missing, the commit is not.
      const listed = git(dir, ["rev-list", "--objects", "--missing=print", "--all"]).split("\n");
      expect(listed).toContain(git(a.work, ["rev-parse", "churn@v1.0.0^{commit}"]));
      expect(listed).toContain(`?${git(a.work, ["rev-parse", "churn@v1.0.0^{tree}"])}`);
      expect(listed.some((line) => line.includes(blob))).toBe(false);
      expect(await remote.fetchBranchTip(dir, "gitml-monitoring", "refs/gitml/history")).toBe(false);

      expect(await remote.fetchHead(dir)).toBe(true);
      expect(await remote.readFileAtHead(dir, "gitml.yaml", 1 << 20)).toBe(CONFIG);
      expect(await remote.readFileAtHead(dir, "missing.yaml", 1 << 20)).toBeUndefined();
      expect(await remote.readFileAtHead(dir, "gitml.yaml", 10)).toBeUndefined();
      // Its trees are known now, its other files still missing (`?`).
      const after = git(dir, ["rev-list", "--objects", "--missing=print", "--all"]).split("\n");
      expect(after).toContain(`?${blob}`);
      expect(after.some((line) => line.startsWith(blob))).toBe(false);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("a catalog file: its title, its repositories; a bad entry is reported at its line", async () => {
    const a = await bareWithTags("churn", ["v1.0.0"]);
    const cwd = await tempDir();
    try {
      await fs.writeFile(
        path.join(cwd, "catalog.yaml"),
        `title: Acme models\nrepos:\n  - repo: ${a.origin}\n    name: acme/churn\n`,
      );
      const env = { GITML_ALLOW_LOCAL_SUITES: "1" };
      const result = await runCli(["site", "--catalog", "catalog.yaml", "-o", "out"], { cwd, env });
      expect(result.code).toBe(0);
      const index = await fs.readFile(path.join(cwd, "out", "index.html"), "utf8");
      expect(index).toContain("<title>Acme models</title>");

      await fs.writeFile(
        path.join(cwd, "bad.yaml"),
        `title: x\nrepos:\n  - acme/ok\n  - repo: a\n    color: red\n`,
      );
      const bad = await runCli(["site", "--catalog", "bad.yaml"], { cwd, env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/bad\.yaml:5:\d+: .*color/);
      await fs.writeFile(
        path.join(cwd, "scheme.yaml"),
        `repos:\n  - acme/ok\n  - ext::sh -c touch% /tmp/pwned\n`,
      );
      const scheme = await runCli(["site", "--catalog", "scheme.yaml"], { cwd, env });
      expect(scheme.code).toBe(2);
      expect(scheme.stderr).toMatch(/scheme\.yaml:3:\d+: .*not a repository reference/);
      await fs.writeFile(
        path.join(cwd, "twice.yaml"),
        `repos:\n  - repo: ${a.origin}\n    name: same\n  - repo: ${a.origin}/\n    name: same\n`,
      );
      const twice = await runCli(["site", "--catalog", "twice.yaml"], { cwd, env });
      expect(twice.code).toBe(2);
      expect(twice.stderr).toMatch(/twice\.yaml:4:\d+: two repositories are both named same/);
      const missing = await runCli(["site", "--catalog", "nope.yaml"], { cwd });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/nope\.yaml does not exist/);
    } finally {
      await fs.rm(cwd, { recursive: true, force: true });
    }
  });
});

describe("an organisation's catalog with GitHub Releases (the stand-in)", () => {
  const standin = useStandin();
  let repo: TestRepo;
  let cwd: string;
  beforeEach(async () => {
    cwd = await tempDir();
    process.env.GITML_ALLOW_LOCAL_SUITES = "1";
  });
  afterEach(async () => {
    delete process.env.GITML_ALLOW_LOCAL_SUITES;
    await repo?.cleanup();
    await fs.rm(cwd, { recursive: true, force: true });
  });

  it("shows the model card from the repository's Release, verified against the digest its tag records", async () => {
    standin.current.state.seedRepo({ owner: "acme", name: "churn" });
    repo = await createRepo();
    const commit = git(repo.work, ["rev-parse", "HEAD"]);
    const octokit = createOctokit({ token: "ghs_test", baseUrl: standin.current.url, logger: silentLogger });
    const store = new GitHubReleasesStore({
      octokit,
      token: "ghs_test",
      owner: "acme",
      repo: "churn",
      logger: silentLogger,
      retryDelayMs: 1,
    });
    await fs.writeFile(path.join(cwd, "model.bin"), "weights");
    await fs.writeFile(path.join(cwd, "metrics.json"), JSON.stringify({ accuracy: 0.93 }));
    const staged = await store.stage({
      model: "churn",
      version: "v2.0.0",
      files: [
        { source: path.join(cwd, "model.bin"), path: "model.bin", role: "model" },
        { source: path.join(cwd, "metrics.json"), path: "metrics.json", role: "metrics" },
      ],
      lineage: { commit, pr: 12 },
    });
    git(repo.work, [
      "tag",
      "-a",
      "churn@v2.0.0",
      "-m",
      `Registering artifact churn version v2.0.0\n\nGitml-Metrics: {"accuracy":0.93}\nGitml-Artifact-Digest: ${staged.digest}\nGitml-Pr: 12`,
    ]);
    git(repo.work, ["push", "--quiet", "origin", "churn@v2.0.0"]);
    await store.publish(staged);

    await fs.writeFile(
      path.join(cwd, "catalog.yaml"),
      `repos:\n  - repo: ${repo.origin}\n    github: acme/churn\n`,
    );
    const context = {
      cwd,
      logger: silentLogger,
      github: { token: "ghs_test", apiUrl: standin.current.url, repository: "" },
    };
    const result = await buildSite(context, { catalogFile: "catalog.yaml", output: "site" });
    expect(result.warnings).toEqual([]);
    const page = await fs.readFile(path.join(cwd, "site", "models", "churn.html"), "utf8");
    expect(page).toContain('Model card <span class="muted">(v2.0.0)</span>');
    expect(page).toContain("<td>accuracy</td><td>0.93</td>");
    expect(page).toContain("https://github.com/acme/churn/pull/12");
    expect(page).toContain('href="https://github.com/acme/churn/releases/tag/churn%40v2.0.0"');
    expect(page).toContain(`git clone ${repo.origin}`);

    // Without a token the site is still built; the index says why there is no card.
    for (const name of ["GITHUB_TOKEN", "GH_TOKEN"]) vi.stubEnv(name, "");
    const without = await buildSite(
      { cwd, logger: silentLogger },
      { catalogFile: "catalog.yaml", output: "site2" },
    );
    expect(without.warnings).toEqual([
      expect.stringMatching(/model cards are read from acme\/churn's Releases: set GITHUB_TOKEN/),
    ]);
    expect(await fs.readFile(path.join(cwd, "site2", "index.html"), "utf8")).toContain("set GITHUB_TOKEN");
    vi.unstubAllEnvs();
  });
});
