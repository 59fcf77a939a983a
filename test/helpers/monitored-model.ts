import * as fs from "node:fs/promises";
import * as path from "node:path";
import { expect } from "vitest";
import { customersCsv } from "./data";
import { runCli, type TestRepo } from "./repo";

/**
 * The monitored model of the CLI tests: `churn` in folder `m`, trained on 2,000 customers
 * (`m/data/train.csv`), registered and promoted through staging to production with `config` committed.
 */
export async function registerInProduction(r: TestRepo, config: string): Promise<void> {
  await fs.mkdir(path.join(r.work, "m/out"), { recursive: true });
  await fs.mkdir(path.join(r.work, "m/data/live"), { recursive: true });
  await fs.writeFile(path.join(r.work, "m/out/model.bin"), "weights");
  await fs.writeFile(path.join(r.work, "m/data/train.csv"), customersCsv(2000, 1));
  r.commit("gitml.yaml", config);
  for (const args of [
    ["register", "churn"],
    ["promote", "churn", "--stage", "staging"],
    ["promote", "churn", "--stage", "production"],
  ]) {
    const result = await runCli(args, { cwd: r.work });
    expect(result.stderr).toBe("");
  }
}
