import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRepo, git, runCli, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

describe("gitml doctor", () => {
  it("reports lightweight registry tags, a broken gitml.yaml and missing artifacts, and exits 1", async () => {
    repo = await createRepo();
    await fs.mkdir(path.join(repo.work, "m/out"), { recursive: true });
    await fs.writeFile(path.join(repo.work, "m/out/model.bin"), "weights");
    await fs.writeFile(
      path.join(repo.work, "gitml.yaml"),
      "models:\n  m:\n    path: m\n    outputs:\n      model: out/model.bin\n",
    );
    expect((await runCli(["register", "m"], { cwd: repo.work })).code).toBe(0);
    git(repo.work, ["tag", "m@v9.9.9"]); // lightweight: GTO and gitml ignore it
    let result = await runCli(["doctor", "--json"], { cwd: repo.work });
    let checks = JSON.parse(result.stdout) as Array<{ check: string; status: string; detail: string }>;
    expect(checks.find((c) => c.check === "tag m@v9.9.9")).toMatchObject({
      status: "warning",
      detail: expect.stringMatching(/lightweight/),
    });
    expect(checks.find((c) => c.check === "artifact store")).toMatchObject({
      status: "ok",
      detail: expect.stringMatching(/1 version manifest/),
    });
    expect(result.code).toBe(0);

    await fs.rm(path.join(repo.work, ".gitml/store/manifests"), { recursive: true });
    await fs.writeFile(path.join(repo.work, "gitml.yaml"), "models:\n  m:\n    pth: m\n");
    result = await runCli(["doctor", "--json"], { cwd: repo.work });
    checks = JSON.parse(result.stdout);
    expect(result.code).toBe(1);
    expect(checks.find((c) => c.check === "gitml.yaml")).toMatchObject({
      status: "error",
      detail: expect.stringMatching(/gitml\.yaml:3:5.*pth/),
    });
  });
});

describe("gitml doctor and test suites", () => {
  it("resolves each model's suite: a local one is ok, an unreachable shared one an error at its line", async () => {
    repo = await createRepo();
    await fs.mkdir(path.join(repo.work, "suites"), { recursive: true });
    await fs.writeFile(path.join(repo.work, "suites/base.yaml"), "train_test:\n  leakage: {}\n");
    await fs.mkdir(path.join(repo.work, "m"));
    const config = (extendsEntry: string) =>
      `models:\n  m:\n    path: m\n    outputs:\n      model: out/model.bin\n    suite:\n      extends:\n        - ${extendsEntry}\n`;
    await fs.writeFile(path.join(repo.work, "gitml.yaml"), config("suites/base.yaml"));
    let result = await runCli(["doctor", "--json"], { cwd: repo.work });
    let checks = JSON.parse(result.stdout) as Array<{ check: string; status: string; detail: string }>;
    expect(checks.find((c) => c.check === "suite of m")).toEqual({
      check: "suite of m",
      status: "ok",
      detail: "suites/base.yaml, gitml.yaml",
    });
    expect(result.code).toBe(0);

    await fs.writeFile(
      path.join(repo.work, "gitml.yaml"),
      config("{ repo: /nonexistent/suites.git, ref: v1, path: base.yaml }"),
    );
    result = await runCli(["doctor", "--json"], { cwd: repo.work });
    checks = JSON.parse(result.stdout);
    expect(result.code).toBe(1);
    expect(checks.find((c) => c.check === "suite of m")).toMatchObject({
      status: "error",
      detail: expect.stringMatching(/gitml\.yaml:8:\d+: .*\/nonexistent\/suites\.git/),
    });
  });
});

describe("doctor: what a new user trips on", () => {
  it("reports a model path that does not exist and an origin that cannot be reached", async () => {
    repo = await createRepo();
    await fs.writeFile(
      path.join(repo.work, "gitml.yaml"),
      "models:\n  m:\n    path: models/m\n    outputs:\n      model: out/model.bin\n",
    );
    let checks = JSON.parse((await runCli(["doctor", "--json"], { cwd: repo.work })).stdout) as Array<{
      check: string;
      status: string;
      detail: string;
    }>;
    expect(checks.find((c) => c.check === "path of m")).toMatchObject({
      status: "error",
      detail: expect.stringMatching(/gitml\.yaml: models\.m\.path: 'models\/m' does not exist/),
    });
    expect(checks.find((c) => c.check === "remote")).toMatchObject({ status: "ok" });
    expect(checks.find((c) => c.check === "git identity")).toMatchObject({ status: "ok" });

    await fs.mkdir(path.join(repo.work, "models/m"), { recursive: true });
    await fs.rm(repo.origin, { recursive: true });
    const result = await runCli(["doctor", "--json"], { cwd: repo.work });
    checks = JSON.parse(result.stdout);
    expect(checks.find((c) => c.check === "path of m")).toBeUndefined();
    expect(checks.find((c) => c.check === "remote")).toMatchObject({
      status: "error",
      detail: expect.stringContaining("could not reach 'origin'"),
    });
    expect(result.code).toBe(1);
  });
});

describe("--help", () => {
  const verbs = [
    "register",
    "promote",
    "assign",
    "unassign",
    "deregister",
    "deprecate",
    "show",
    "history",
    "check-ref",
    "get",
    "evaluate",
    "doctor",
  ];
  it.each(verbs)("gitml %s --help describes the verb and exits 0", async (verb) => {
    repo = await createRepo({ withOrigin: false });
    const result = await runCli([verb, "--help"], { cwd: repo.work });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`Usage: gitml ${verb}`));
    expect(result.stdout.split("\n").length).toBeGreaterThan(4);
  });
});
