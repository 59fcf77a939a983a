/**
 * The CLI's exit codes, one per kind of ending (src/util/errors.ts): a script must tell a user error, a
 * GitHub or environment failure and a crash apart from each other and from a failed gate.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRepo, repoRoot, runCli, type TestRepo } from "../helpers/repo";
import { useStandin } from "../standin";

let repo: TestRepo | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

const CONFIG = `models:
  churn:
    path: models/churn
    outputs:
      model: out/model.json
      metrics: out/metrics.json
    stages: [staging, production]
`;

const FORCE_BUG = `--import ${path.join(repoRoot, "test/helpers/force-bug.mjs")}`;

describe("gitml exit codes", () => {
  const github = useStandin();

  it("a user error exits 2 with a plain message naming the file", async () => {
    repo = await createRepo();
    await fs.writeFile(path.join(repo.work, "gitml.yaml"), "models: 3\n");
    const result = await runCli(["models"], { cwd: repo.work });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^gitml: error: .*gitml\.yaml/);
    expect(result.stderr).not.toMatch(/internal error|GitHub or the environment|\bat .*\.js:\d+/);
  });

  it("-C naming a folder that does not exist, or a file, exits 2 naming it, for any verb (not 'git missing')", async () => {
    repo = await createRepo();
    const missing = path.join(repo.root, "no-such-folder");
    const file = path.join(repo.root, "a-file");
    await fs.writeFile(file, "not a folder\n");
    // show and history start their git read before the CLI loads (src/cli/bin.ts); models and site do not.
    for (const verb of [["show"], ["history", "churn"], ["models"], ["site"]]) {
      for (const [folder, said] of [
        [missing, `the folder ${missing} does not exist`],
        [file, `${file} is not a folder`],
      ] as const) {
        const result = await runCli(["-C", folder, ...verb], { cwd: repo.work });
        expect(result.code, `${verb.join(" ")} -C ${folder}`).toBe(2);
        expect(result.stderr).toContain(said);
        expect(result.stderr).not.toMatch(/git was not found|GitHub or the environment|\bat .*\.js:\d+/);
      }
    }
  });

  it("GitHub answering 500 beyond the retries exits 3, saying it is GitHub's failure and not a bug", async () => {
    repo = await createRepo();
    await fs.mkdir(path.join(repo.work, "models/churn/out"), { recursive: true });
    await fs.writeFile(path.join(repo.work, "models/churn/out/model.json"), "{}");
    await fs.writeFile(path.join(repo.work, "models/churn/out/metrics.json"), '{"accuracy":0.9}');
    repo.commit("gitml.yaml", CONFIG);
    const env = { GITML_STORE: path.join(repo.root, "store") };
    expect((await runCli(["register", "churn", "--version", "v1.0.0"], { cwd: repo.work, env })).code).toBe(
      0,
    );

    // The same version, now read from GitHub Releases, which fails every request.
    await fs.writeFile(path.join(repo.work, "gitml.yaml"), `${CONFIG}store:\n  type: github\n`);
    github.current.state.seedRepo({ owner: "acme", name: "ml" });
    github.current.faults.add({ status: 500 });
    const result = await runCli(["get", "churn@v1.0.0", "-o", path.join(repo.root, "got")], {
      cwd: repo.work,
      env: { GITHUB_TOKEN: "ghs_reader", GITHUB_REPOSITORY: "acme/ml", GITHUB_API_URL: github.current.url },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^gitml: error: GitHub or the environment failed, not gitml/m);
    expect(result.stderr).toMatch(/HTTP 500/);
    expect(result.stderr).not.toMatch(/internal error|please report/);
    // Every attempt reached GitHub: the client retried before giving up.
    expect(github.current.calls.log.filter((c) => c.status === 500).length).toBeGreaterThan(1);
  }, 60_000);

  it("a bug exits 70 (EX_SOFTWARE) with 'please report it' and the stack", async () => {
    repo = await createRepo();
    await fs.writeFile(path.join(repo.work, "gitml.yaml"), CONFIG);
    const result = await runCli(["models"], {
      cwd: repo.work,
      env: { NODE_OPTIONS: FORCE_BUG, GITML_TEST_BUG_PATH: "gitml\\.yaml$" },
    });
    expect(result.code).toBe(70);
    expect(result.stderr).toMatch(/^gitml: internal error \(please report it\): TypeError: forced bug/);
    expect(result.stderr).toMatch(/\bat .*\.js:\d+/);
  });

  it("--help lists the exit codes", async () => {
    repo = await createRepo();
    const result = await runCli(["--help"], { cwd: repo.work });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Exit codes: 0 ok, 1 failure .* 2 user error, 3 GitHub or the environment/);
    expect(result.stdout).toMatch(/70 internal error/);
  });
});
