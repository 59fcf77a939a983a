import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRepo, git, runCli, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

const CONFIG = `models:
  churn:
    path: models/churn
    outputs: { model: out/m.bin }
    monitor: { current: live.csv }
  fraud:
    path: models/fraud
    outputs: { model: out/m.bin }
`;

async function list(args: string[]): Promise<{ code: number; names?: string[]; stderr: string }> {
  const result = await runCli(["models", ...args, "--json"], { cwd: repo.work });
  return {
    code: result.code,
    names: result.code === 0 ? JSON.parse(result.stdout) : undefined,
    stderr: result.stderr,
  };
}

describe("gitml models (the matrix of a workflow)", () => {
  it("lists the models a change touches, the named ones, or the monitored ones", async () => {
    repo = await createRepo();
    const base = repo.commit("gitml.yaml", CONFIG);
    expect((await list([])).names).toEqual(["churn", "fraud"]);
    expect((await list(["--monitored"])).names).toEqual(["churn"]);

    repo.commit("models/fraud/train.py", "print('x')\n");
    expect((await list(["--since", base])).names).toEqual(["fraud"]);
    repo.commit("README.md", "# elsewhere\n");
    const afterReadme = git(repo.work, ["rev-parse", "HEAD"]);
    expect((await list(["--since", afterReadme])).names).toEqual([]);
    // A change to gitml.yaml can change any model.
    await fs.appendFile(path.join(repo.work, "gitml.yaml"), "# tweak\n");
    repo.commit("gitml.yaml", await fs.readFile(path.join(repo.work, "gitml.yaml"), "utf8"));
    expect((await list(["--since", afterReadme])).names).toEqual(["churn", "fraud"]);

    expect((await list(["--only", "fraud, churn"])).names).toEqual(["churn", "fraud"]);
    const unknown = await list(["--only", "chrun"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/not in gitml\.yaml: chrun.*did you mean .?churn/);
    const badRef = await list(["--since", "no-such-ref"]);
    expect(badRef.code).toBe(2);
  });
});
