import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRepo, git, runCli, tags, tempDir, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

const FEATURES = Array.from({ length: 12 }, (_, i) => `f${String(i + 1).padStart(2, "0")}`);

function config(gates = ""): string {
  return `models:
  churn:
    path: models/churn
    outputs:
      model: out/model.json
      metrics: out/metrics.json
      reference: out/reference.csv
      importances: out/importances.json
    gates:
      - metric: accuracy
        min: 0.5
${gates}`;
}

/** A candidate whose importances are `weights` (feature → value), over 12 reference columns. */
async function writeCandidate(
  r: TestRepo,
  weights: Record<string, number> | string,
  accuracy = 0.9,
): Promise<void> {
  const dir = path.join(r.work, "models/churn/out");
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, "model.json"), JSON.stringify({ weights }));
  await fs.writeFile(path.join(dir, "metrics.json"), JSON.stringify({ accuracy }));
  const rows = Array.from({ length: 40 }, (_, row) =>
    FEATURES.map((_, col) => (row * (col + 3)) % 17).join(","),
  );
  await fs.writeFile(path.join(dir, "reference.csv"), `${FEATURES.join(",")}\n${rows.join("\n")}\n`);
  await fs.writeFile(
    path.join(dir, "importances.json"),
    typeof weights === "string"
      ? weights
      : JSON.stringify({ method: "permutation", importances: weights }, null, 2),
  );
}

/** Importances falling with the feature's number, except those overridden. */
function weights(overrides: Record<string, number> = {}): Record<string, number> {
  return Object.fromEntries(FEATURES.map((f, i) => [f, overrides[f] ?? 12 - i]));
}

async function ship(r: TestRepo): Promise<void> {
  r.commit("models/churn/out/.keep", String(Math.random()));
  const registered = await runCli(["register", "churn"], { cwd: r.work });
  expect(registered.stderr).toBe("");
  expect(registered.code).toBe(0);
  expect((await runCli(["promote", "churn", "--stage", "staging"], { cwd: r.work })).code).toBe(0);
  expect((await runCli(["promote", "churn", "--stage", "production"], { cwd: r.work })).code).toBe(0);
}

describe("feature importances through the lifecycle (CLI)", () => {
  it("report, tag, stored importances.json and model card; the next PR ranks against production", async () => {
    repo = await createRepo();
    repo.commit("gitml.yaml", config());
    await writeCandidate(repo, weights());
    const first = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(first.code).toBe(0);
    const firstReport = await fs.readFile(JSON.parse(first.stdout).report, "utf8");
    expect(firstReport).toContain("#### Feature importances (permutation)");
    expect(firstReport).toMatch(/The candidate's top 10 of 12 features/);
    expect(firstReport).toMatch(/\| 1 +\| f01 +\| 15\.4 % +\|/);

    await ship(repo);
    const tagMessage = git(repo.work, ["tag", "-l", "--format=%(contents)", "churn@v0.0.1"]);
    const trailer = /^Gitml-Importances: (.*)$/m.exec(tagMessage)?.[1];
    expect(Object.keys(JSON.parse(trailer!))).toEqual(FEATURES);
    const shown = await runCli(["show", "churn@v0.0.1"], { cwd: repo.work });
    expect(shown.stdout).toMatch(
      /^ {2}importance: f01 15\.4%, f02 14\.1%, f03 12\.8%, f04 11\.5%, f05 10\.3%, …$/m,
    );
    const out = await tempDir();
    expect((await runCli(["get", "churn@v0.0.1", "-o", out], { cwd: repo.work })).code).toBe(0);
    const stored = JSON.parse(await fs.readFile(path.join(out, "importances.json"), "utf8"));
    expect(stored).toMatchObject({ schema: "gitml.importances/v1", method: "permutation" });
    expect(stored.features[0]).toMatchObject({ feature: "f01", importance: 12 });
    const card = await fs.readFile(path.join(out, "model-card.md"), "utf8");
    expect(card).toMatch(/## Feature importances/);
    expect(card).toMatch(/\| 1 \| f01 \| 15\.4 % \| 12 \|/);
    expect(card).toMatch(/The other 2 features hold/);
    await fs.rm(out, { recursive: true, force: true });

    // f12 jumps to the top; f10 falls out of the top 10.
    await writeCandidate(repo, weights({ f12: 40, f10: 0 }));
    const pr = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(pr.code).toBe(0);
    const report = await fs.readFile(JSON.parse(pr.stdout).report, "utf8");
    expect(report).toMatch(/entered the top 10: \*\*f12\*\* · left it: \*\*f10\*\*/);
    expect(report).toMatch(/\| 1 +\| f12 +\| [\d.]+ % +\| [\d.]+ % +\| 12 +\| 🆕 entered the top 10 +\|/);
    expect(report).toMatch(/\| 12 +\| f10 +\| 0 % +\| [\d.]+ % +\| 10 +\| ⬇️ left the top 10 +\|/);
    expect(report).toMatch(/\| 2 +\| f01 +\| .*\| 1 +\| ▼ 1 +\|/);
    expect(report).toContain("```mermaid");
    expect(report).toMatch(/line \[/);
  });

  it("an importance gate fails a model that leans on one feature (exit 1) and passes otherwise", async () => {
    repo = await createRepo();
    repo.commit(
      "gitml.yaml",
      config(`      - importance: { max_single: 0.5 }
      - importance: { features: [f01, f02, f03], min_share: 0.3 }
`),
    );
    await writeCandidate(repo, weights());
    expect((await runCli(["evaluate", "churn"], { cwd: repo.work })).code).toBe(0);
    await writeCandidate(repo, weights({ f07: 500 }));
    const leaky = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(leaky.code).toBe(1);
    const json = JSON.parse(leaky.stdout);
    expect(json.gates.filter((g: { passed: boolean }) => !g.passed)).toEqual([
      expect.objectContaining({
        metric: "feature importance",
        detail: expect.stringMatching(/f07 holds 8\d\.?\d* %.*dominates/),
      }),
      expect.objectContaining({
        metric: "feature importance",
        detail: expect.stringMatching(/listed features hold/),
      }),
    ]);
    // Registering from the working tree is refused too.
    repo.commit("models/churn/out/.keep", "x");
    const register = await runCli(["register", "churn"], { cwd: repo.work });
    expect(register.code).toBe(1);
    expect(tags(repo.work)).toEqual([]);
  });

  it("bad importances: exit 2 at file:line, nothing registered", async () => {
    repo = await createRepo();
    repo.commit("gitml.yaml", config());
    await writeCandidate(repo, '{\n  "importances": {\n    "f01": 0.5,\n    "zipcode": 0.2\n  }\n}\n');
    repo.commit("models/churn/out/.keep", "x");
    const register = await runCli(["register", "churn"], { cwd: repo.work });
    expect(register.code).toBe(2);
    expect(register.stderr).toMatch(/models\/churn\/out\/importances\.json:4/);
    expect(register.stderr).toMatch(
      /"zipcode" is not a column of the reference data \(out\/reference\.csv\)/,
    );
    expect(register.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(tags(repo.work)).toEqual([]);
    await expect(fs.readdir(path.join(repo.work, ".gitml/store"))).rejects.toThrow();

    await writeCandidate(repo, '{"f01": 0.5, "f02": -0.1}');
    const evaluate = await runCli(["evaluate", "churn"], { cwd: repo.work });
    expect(evaluate.code).toBe(2);
    expect(evaluate.stderr).toMatch(/importances\.json:1.*"f02" is negative/);
  });

  it("an importance gate without outputs.importances is a config error", async () => {
    repo = await createRepo();
    repo.commit(
      "gitml.yaml",
      `models:
  churn:
    path: models/churn
    outputs:
      model: out/model.json
      metrics: out/metrics.json
    gates:
      - importance: { max_single: 0.5 }
      - importance: { max_single: 0.5 }
        metric: accuracy
`,
    );
    const result = await runCli(["evaluate", "churn"], { cwd: repo.work });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /gitml\.yaml:8:\d+: .*needs the importances file: declare `outputs.importances`/,
    );
    expect(result.stderr).toMatch(/gitml\.yaml:10:\d+: .*takes no `metric`/);
  });
});
