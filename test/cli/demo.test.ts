import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { git, runCli, tags, tempDir } from "../helpers/repo";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe("gitml demo (the README's main job)", () => {
  it("runs the whole local lifecycle and says where every report is", async () => {
    dir = path.join(await tempDir("gitml-demo-test-"), "demo");
    const started = Date.now();
    const result = await runCli(["demo", "--dir", dir], { cwd: process.cwd() });
    const seconds = (Date.now() - started) / 1000;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(seconds).toBeLessThan(60);

    // Registry: two versions, each promoted through staging to production; v2 holds production.
    expect(tags(dir)).toEqual(
      [
        "iris@v0.0.1",
        "iris@v0.1.0",
        "iris#staging#1",
        "iris#production#2",
        "iris#staging#3",
        "iris#production#4",
      ].sort(),
    );
    expect(git(dir, ["tag", "-l", "--format=%(contents)", "iris@v0.1.0"])).toMatch(
      /Gitml-Data-Fingerprint: sha256:/,
    );

    // The PR report compares the branch with production, with deltas.
    const report = await fs.readFile(path.join(dir, ".gitml/reports/iris/report.md"), "utf8");
    expect(report).toMatch(/production.*v0\.0\.1/);
    expect(report).toMatch(/\+0\.02222/);
    expect(await fs.readFile(path.join(dir, ".gitml/reports/iris/report.html"), "utf8")).toMatch(/<table/);
    // ...and the forest's feature importances beside production's, with the petals on top.
    expect(report).toMatch(/#### Feature importances \(permutation/);
    expect(report).toMatch(/^\| 1 \| petal&#95;(width|length) \| [\d.]+ % \| [\d.]+ % \| \d \|/m);
    expect(report).toMatch(/bars candidate - line production v0\.0\.1/);
    expect(result.stdout).toMatch(/feature importances \(permutation/);
    expect(git(dir, ["tag", "-l", "--format=%(contents)", "iris@v0.1.0"])).toMatch(
      /Gitml-Importances: \{"petal_/,
    );

    // Monitoring found the simulated shift against v0.1.0's stored reference profile and opened the alert.
    const drift = JSON.parse(await fs.readFile(path.join(dir, ".gitml/reports/iris/drift.json"), "utf8"));
    expect(drift.dataset_drift).toBe(true);
    expect(drift.columns.find((c: { name: string }) => c.name === "petal_length").drift).toBe(true);
    // Weighed by v0.1.0's importances: the drifted petals hold most of what the forest leans on.
    expect(drift.importance.drifted_share).toBeGreaterThan(0.5);
    expect(await fs.readFile(path.join(dir, ".gitml/reports/iris/drift.md"), "utf8")).toMatch(
      /\*\*Importance\*\*: \d drifted columns hold [\d.]+ % of the model's importance: `petal_/,
    );
    expect(await fs.readFile(path.join(dir, ".gitml/alerts/iris.md"), "utf8")).toMatch(/Drift alert: iris/);
    for (const line of ["PR report (markdown)", "drift report", "local alert"])
      expect(result.stdout).toContain(line);

    // It ends with the model catalog, and says where it is.
    const site = path.join(dir, ".gitml/site/index.html");
    expect(result.stdout).toContain(`model catalog (site):  ${site}`);
    const index = await fs.readFile(site, "utf8");
    expect(index).toContain('<a href="models/iris.html"><strong>iris</strong></a>');
    // The monitoring run above, from the history monitor recorded: drift, the alert open.
    expect(index).toContain('<tr data-status="drift">');
    expect(index).toContain("alert open");
    expect(await fs.readFile(path.join(dir, ".gitml/site/models/iris.html"), "utf8")).toContain(
      "gitml get iris@v0.1.0",
    );
  });

  it("refuses a folder that is not empty", async () => {
    dir = await tempDir("gitml-demo-test-");
    await fs.writeFile(path.join(dir, "keep.txt"), "mine");
    const result = await runCli(["demo", "--dir", dir], { cwd: process.cwd() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not empty/);
    expect(await fs.readdir(dir)).toEqual(["keep.txt"]);
  });
});
