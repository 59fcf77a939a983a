import * as fs from "node:fs/promises";
import * as path from "node:path";
import {
  candidateRecordId,
  checkRunName,
  createCheckRun,
  createOctokit,
  type GitHubClient,
} from "../../src/github";
import type { Candidate, CandidateSource } from "../../src/commands/register-on-merge";
import { loadConfig, modelConfig } from "../../src/config";
import { collectModelArtifacts } from "../../src/store/collect";
import { digestFiles, type Digest } from "../../src/store/digest";
import { GitHubReleasesStore, type GitHubReleasesStoreOptions } from "../../src/github/release-store";
import type { Standin } from "../standin";

export const OWNER = "acme";
export const REPO = "models";

/** A model whose `train` writes a model folder and metrics from a seed in train.txt. */
export const CONFIG = `models:
  churn:
    path: models/churn
    train: node train.mjs
    outputs:
      model: out/model
      metrics: out/metrics.json
    stages: [staging, production]
    bump: minor
    description: Predicts which customers churn.
    owners: ["@acme/ml"]
    intended_use: Ranking retention offers; not for credit decisions.
`;

export const TRAIN = `import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
const seed = readFileSync("seed.txt", "utf8").trim();
mkdirSync("out/model", { recursive: true });
writeFileSync("out/model/weights.bin", seed.repeat(2000));
writeFileSync("out/model/config.json", JSON.stringify({ seed }));
writeFileSync("out/metrics.json", JSON.stringify({ accuracy: 0.8 + seed.length / 1000 }));
`;

export function octokitFor(standin: Standin): GitHubClient {
  return createOctokit({
    token: "ghs_test",
    baseUrl: standin.url,
    logger: { debug() {}, info() {}, warning() {}, error() {} },
    retryAfterBaseValueMs: 1,
    paceWrites: false,
    serverErrorRetries: 5,
  });
}

export function storeFor(
  standin: Standin,
  workDir: string,
  extra: Partial<GitHubReleasesStoreOptions> = {},
): GitHubReleasesStore {
  return new GitHubReleasesStore({
    octokit: octokitFor(standin),
    token: "ghs_test",
    owner: OWNER,
    repo: REPO,
    logger: { debug() {}, info() {}, warning() {}, error() {} },
    retryDelayMs: 1,
    workDir,
    ...extra,
  });
}

/**
 * Stands in for the PR run's workflow artifact: the evaluation trained the candidate in the PR's checkout,
 * kept its files, and recorded their digest in its check run on the head commit, as the evaluate action
 * does (`standin` given). `expire` drops one, as GitHub's retention does.
 */
export class FolderCandidates implements CandidateSource {
  readonly kept = new Map<
    number,
    {
      dir: string;
      digest: Digest;
      runId: number;
      paths: Array<{ path: string; role: Candidate["files"][number]["role"] }>;
    }
  >();
  requests = 0;

  constructor(
    private readonly root: string,
    private readonly standin?: Standin,
  ) {}

  /** Runs what the PR evaluation does: collect the outputs trained in the checkout, keep them, record their digest. */
  async evaluate(pr: number, checkout: string, headSha?: string): Promise<Digest> {
    const loaded = (await loadConfig({ cwd: checkout }))!;
    const model = modelConfig(loaded, "churn");
    const files = await collectModelArtifacts({
      root: checkout,
      modelName: "churn",
      model,
      configFile: loaded.file,
    });
    const dir = path.join(this.root, `pr-${pr}`);
    for (const file of files) {
      const target = path.join(dir, ...file.path.split("/"));
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.copyFile(file.source, target);
    }
    const digest = await digestFiles(files);
    const runId = 7000 + pr;
    this.kept.set(pr, { dir, digest, runId, paths: files.map((f) => ({ path: f.path, role: f.role })) });
    if (this.standin && headSha) {
      await createCheckRun({
        octokit: octokitFor(this.standin),
        owner: OWNER,
        repo: REPO,
        name: checkRunName("churn"),
        headSha,
        conclusion: "success",
        title: "pass",
        summary: "report",
        externalId: candidateRecordId(runId, digest),
      });
    }
    return digest;
  }

  expire(pr: number): void {
    this.kept.delete(pr);
  }

  async find(request: { pull: { number: number }; into: string }): Promise<Candidate | undefined> {
    this.requests++;
    const kept = this.kept.get(request.pull.number);
    if (!kept) return undefined;
    const files = [];
    for (const { path: logical, role } of kept.paths) {
      const target = path.join(request.into, ...logical.split("/"));
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.copyFile(path.join(kept.dir, ...logical.split("/")), target);
      files.push({ source: target, path: logical, role });
    }
    return { files, runId: kept.runId, gates: [{ metric: "accuracy", rule: "min 0.8", passed: true }] };
  }
}
