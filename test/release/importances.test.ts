import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { evaluate } from "../../src/commands/evaluate";
import { registerOnMerge } from "../../src/commands/register-on-merge";
import { register } from "../../src/commands/register";
import { isUserError } from "../../src/util/errors";
import { silentLogger } from "../../src/util/logger";
import { commitIn, createRepo, git, gitEnv, tempDir, type TestRepo } from "../helpers/repo";
import { useStandin } from "../standin";
import { FolderCandidates, OWNER, REPO, octokitFor, storeFor } from "./helpers";

const CONFIG = `models:
  churn:
    path: models/churn
    train: node train.mjs
    outputs:
      model: out/model.bin
      metrics: out/metrics.json
      reference: out/reference.csv
      importances: out/importances.csv
`;

/** The merge path: the reviewed candidate's files (evaluate's, importances.json among them) handed to register. */
describe("importances in a GitHub Release, shipped from the reviewed candidate", () => {
  const standin = useStandin();
  let repo: TestRepo;
  let scratch: string;

  beforeEach(async () => {
    for (const [key, value] of Object.entries(gitEnv())) if (key.startsWith("GIT_")) vi.stubEnv(key, value!);
    repo = await createRepo();
    scratch = await tempDir("gitml-release-importances-");
    const out = path.join(repo.work, "models/churn/out");
    await fs.mkdir(out, { recursive: true });
    await fs.writeFile(path.join(out, "model.bin"), "weights");
    await fs.writeFile(path.join(out, "metrics.json"), JSON.stringify({ accuracy: 0.9 }));
    await fs.writeFile(path.join(out, "reference.csv"), "tenure,charges,plan\n1,2,a\n3,4,b\n5,6,a\n");
    await fs.writeFile(
      path.join(out, "importances.csv"),
      "feature,importance\ntenure,3\ncharges,1\nplan,0\n",
    );
    // The training a merge re-runs when there is no reviewed candidate: the same outputs as above.
    commitIn(
      repo.work,
      "models/churn/train.mjs",
      `import { mkdirSync, writeFileSync } from "node:fs";
mkdirSync("out", { recursive: true });
writeFileSync("out/model.bin", "weights");
writeFileSync("out/metrics.json", JSON.stringify({ accuracy: 0.9 }));
writeFileSync("out/reference.csv", "tenure,charges,plan\\n1,2,a\\n3,4,b\\n");
writeFileSync("out/importances.csv", "feature,importance\\ntenure,1\\ncharges,1\\n");
`,
    );
    commitIn(repo.work, "gitml.yaml", CONFIG);
    git(repo.work, ["push", "--quiet", "origin", "main"]);
    standin.current.state.seedRepo({ owner: OWNER, name: REPO });
  });
  afterEach(async () => {
    await repo.cleanup();
    await fs.rm(scratch, { recursive: true, force: true });
  });

  const context = () => ({ cwd: repo.work, logger: silentLogger, store: storeFor(standin.current, scratch) });
  const release = () => standin.current.state.findRepo(OWNER, REPO)!;

  it("stores importances.json (checksummed, role importances), the tag's shares and the card's section", async () => {
    const candidate = await evaluate(context(), { model: "churn" });
    const shipped = candidate.candidateFiles.find((f) => f.role === "importances");
    expect(shipped?.path).toBe("importances.json");
    const registered = await register(context(), { model: "churn", files: candidate.candidateFiles });

    const tag = git(repo.origin, ["tag", "-l", "--format=%(contents)", `churn@${registered.version}`]);
    expect(tag).toContain('Gitml-Importances: {"tenure":0.75,"charges":0.25,"plan":0}');
    const published = [...release().releases.values()].find(
      (r) => r.tagName === `churn@${registered.version}`,
    )!;
    const assets = [...release().assets.values()].filter((a) => a.releaseId === published.id);
    expect(assets.map((a) => a.name).sort()).toEqual([
      "importances.json",
      "manifest.json",
      "metrics.json",
      "model-card.md",
      "model.tar.gz",
      "profile.json",
      "reference.csv",
    ]);
    const manifest = JSON.parse(assets.find((a) => a.name === "manifest.json")!.data.toString());
    expect(manifest.files).toContainEqual(
      expect.objectContaining({
        path: "importances.json",
        role: "importances",
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    );
    const stored = JSON.parse(assets.find((a) => a.name === "importances.json")!.data.toString());
    expect(stored.features.map((f: { feature: string }) => f.feature)).toEqual(["tenure", "charges", "plan"]);
    expect(published.body).toMatch(/## Feature importances/);
    expect(published.body).toMatch(/\| 1 \| tenure \| 75 % \| 3 \|/);

    // Fetching only the importances is one verified download, as the monitor does with the profile.
    const into = path.join(scratch, "fetched");
    const fetched = await storeFor(standin.current, scratch).fetch({
      model: "churn",
      version: registered.version,
      into,
      roles: ["importances"],
    });
    expect(fetched.files.map((f) => path.basename(f))).toEqual(["importances.json"]);
  });

  it("a version retrained at merge carries its importances and reference profile like a reviewed one", async () => {
    const commit = git(repo.work, ["rev-parse", "HEAD"]);
    const result = await registerOnMerge(
      { cwd: repo.work, logger: silentLogger },
      {
        model: "churn",
        commit,
        octokit: octokitFor(standin.current),
        owner: OWNER,
        repo: REPO,
        store: storeFor(standin.current, scratch),
        candidates: new FolderCandidates(path.join(scratch, "candidates"), standin.current),
        retrain: true,
      },
    );
    expect(result.retrained).toBe(true);
    const published = [...release().releases.values()].find((r) => r.tagName === `churn@${result.version}`)!;
    const names = [...release().assets.values()]
      .filter((a) => a.releaseId === published.id)
      .map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(["importances.json", "profile.json"]));
    const tag = git(repo.origin, ["tag", "-l", "--format=%(contents)", `churn@${result.version}`]);
    expect(tag).toContain('Gitml-Importances: {"charges":0.5,"tenure":0.5}');
  });

  it("a candidate whose importances.json is not gitml's is refused before anything is stored or tagged", async () => {
    const candidate = await evaluate(context(), { model: "churn" });
    const forged = candidate.candidateFiles.find((f) => f.role === "importances")!;
    await fs.writeFile(
      forged.source,
      '{"schema":"gitml.importances/v1","features":[{"feature":"x","importance":1,"share":7}]}',
    );
    const refused = await register(context(), { model: "churn", files: candidate.candidateFiles }).catch(
      (e: unknown) => e,
    );
    expect(isUserError(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/importances\.json is not usable: .*share/);
    expect(git(repo.origin, ["tag", "--list"])).toBe("");
    expect([...release().releases.values()]).toEqual([]);
  });
});
