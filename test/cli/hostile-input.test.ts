/**
 * Input built to break gitml (absurd nesting, names that reach JavaScript's object prototype) is a user
 * error naming the file: exit 2, never a crash (exit 139) or an internal error.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRepo, runCli, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

const DEPTH = 50_000;
const deepObject = '{"a":'.repeat(DEPTH) + "1" + "}".repeat(DEPTH);

describe("hostile input", () => {
  it("a JSON Lines record nested 50,000 levels deep: exit 2 at its line, not a segfault", async () => {
    repo = await createRepo();
    await fs.writeFile(path.join(repo.work, "deep.jsonl"), `{"x": 1}\n${deepObject}\n`);
    const result = await runCli(["profile", "deep.jsonl", "-o", "p.json"], { cwd: repo.work });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/deep\.jsonl:2: this JSON Lines record nests deeper than 1000 levels/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("a metrics file nested 50,000 levels deep: exit 2 naming it", async () => {
    repo = await createRepo();
    repo.commit(
      "gitml.yaml",
      "models:\n  churn:\n    path: m\n    outputs:\n      model: out/model.bin\n      metrics: out/metrics.json\n",
    );
    await fs.mkdir(path.join(repo.work, "m/out"), { recursive: true });
    await fs.writeFile(path.join(repo.work, "m/out/model.bin"), "weights");
    await fs.writeFile(path.join(repo.work, "m/out/metrics.json"), deepObject);
    const result = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/metrics\.json.*nests deeper than 100 levels/);
  });

  it("a model named constructor, or a gate on __proto__, is a clear error at its line", async () => {
    repo = await createRepo();
    repo.commit(
      "gitml.yaml",
      "models:\n  constructor:\n    path: m\n    outputs:\n      model: out/model.bin\n      metrics: out/metrics.json\n",
    );
    let result = await runCli(["evaluate", "constructor", "--json"], { cwd: repo.work });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/gitml\.yaml:2:3: .*`constructor` cannot be a model name: it is reserved/);

    repo.commit(
      "gitml.yaml",
      "models:\n  churn:\n    path: m\n    outputs:\n      model: out/model.bin\n      metrics: out/metrics.json\n    gates:\n      - { metric: __proto__, min: 0.5 }\n",
    );
    result = await runCli(["evaluate", "churn", "--json"], { cwd: repo.work });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/gitml\.yaml:8:\d+: .*`__proto__` cannot be a metric name/);
  });
});
