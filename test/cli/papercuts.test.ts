import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
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
    gates:
      - metric: accuracy
        min: 0.8
`;

async function withModel(r: TestRepo, accuracy: number): Promise<void> {
  await fs.mkdir(path.join(r.work, "models/churn/out"), { recursive: true });
  await fs.writeFile(path.join(r.work, "models/churn/out/model.json"), JSON.stringify({ trees: [accuracy] }));
  await fs.writeFile(path.join(r.work, "models/churn/out/metrics.json"), JSON.stringify({ accuracy }));
  await fs.writeFile(path.join(r.work, ".gitignore"), ".gitml/\n");
  git(r.work, ["add", "-A"]);
  r.commit("gitml.yaml", CONFIG);
}

describe("register and the gates", () => {
  it("refuses outputs whose metrics fail a gate (exit 1, naming it); --force registers with a warning", async () => {
    repo = await createRepo();
    await withModel(repo, 0.7);
    const refused = await runCli(["register", "churn"], { cwd: repo.work });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("1 gate(s) failed");
    expect(refused.stderr).toMatch(/accuracy ≥ 0\.8: .*0\.7/);
    expect(refused.stderr).toContain("--force");
    expect(tags(repo.work)).toEqual([]);
    expect(tags(repo.origin)).toEqual([]);

    const forced = await runCli(["register", "churn", "--force"], { cwd: repo.work });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/warning: churn: registering with --force although 1 gate\(s\) failed/);
    expect(tags(repo.origin)).toHaveLength(1);
  });
});

describe("get -o", () => {
  it("refuses a folder that holds files unless --force, and writes nothing there", async () => {
    repo = await createRepo();
    await withModel(repo, 0.9);
    const reg = await runCli(["register", "churn", "--json"], { cwd: repo.work });
    expect(reg.code).toBe(0);
    const { tag } = JSON.parse(reg.stdout) as { tag: string };
    const folder = path.join(repo.work, "deploy");
    await fs.mkdir(path.join(folder, "model"), { recursive: true });
    await fs.writeFile(path.join(folder, "model", "model.json"), "another version's model\n");

    const refused = await runCli(["get", tag, "-o", "deploy"], { cwd: repo.work });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/deploy is not empty \(model\).*--force/);
    expect(await fs.readFile(path.join(folder, "model", "model.json"), "utf8")).toBe(
      "another version's model\n",
    );

    const forced = await runCli(["get", tag, "-o", "deploy", "--force"], { cwd: repo.work });
    expect(forced.code).toBe(0);
    expect(JSON.parse(await fs.readFile(path.join(folder, "model", "model.json"), "utf8"))).toEqual({
      trees: [0.9],
    });
    // A new folder, or an empty one, needs no flag.
    expect((await runCli(["get", tag, "-o", "fresh"], { cwd: repo.work })).code).toBe(0);
  });
});

describe("labels and help", () => {
  it("a local report names the candidate once ('working tree'), not 'Candidate candidate'", async () => {
    repo = await createRepo();
    await withModel(repo, 0.9);
    const result = await runCli(["evaluate", "churn", "-o", "report"], { cwd: repo.work });
    expect(result.code).toBe(0);
    const markdown = await fs.readFile(path.join(repo.work, "report", "report.md"), "utf8");
    const html = await fs.readFile(path.join(repo.work, "report", "report.html"), "utf8");
    for (const text of [markdown, html, result.stdout]) {
      expect(text).not.toMatch(/candidate(\*\*|<\/strong>)? candidate/i);
    }
    expect(markdown).toContain("**Candidate** working tree");
  });

  it("--json promises GTO's shape only on the verbs that have one", async () => {
    for (const verb of ["show", "history", "check-ref"]) {
      expect((await runCli([verb, "--help"], { cwd: process.cwd() })).stdout).toContain("in GTO's shape");
    }
    for (const verb of ["evaluate", "monitor", "doctor", "register", "promote", "get"]) {
      const help = await runCli([verb, "--help"], { cwd: process.cwd() });
      expect(help.stdout, verb).toContain("--json");
      expect(help.stdout, verb).not.toContain("GTO's shape");
    }
  });
});
